//! Unix: directories 0700 and files 0600 owned by the user, `O_NOFOLLOW`, `execvp`, process
//! groups killed whole, and symlinks for the helper entry points.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command};

const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;

/// Creates `dir` and its missing parents, the last one readable by the user alone.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
}

/// Refuses a directory owned by another user, and tightens a looser mode of one we own.
pub fn check_private_dir(dir: &Path, meta: &Metadata) -> io::Result<()> {
    if meta.uid() != current_uid() {
        return Err(io::Error::other(format!(
            "{} is owned by another user",
            dir.display()
        )));
    }
    if meta.mode() & 0o777 & !DIR_MODE != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE))?;
    }
    Ok(())
}

/// A rename over a file never fails because someone has it open.
pub const RENAME_MAY_BE_BLOCKED: bool = false;

/// The permissions a new private file is created with.
pub fn private_file_permissions() -> Option<fs::Permissions> {
    Some(fs::Permissions::from_mode(FILE_MODE))
}

/// Opens an existing file for reading; a symlink in its place is an error, never followed, and
/// a FIFO or device does not block the open (`O_NONBLOCK`; [`trust_problem`] then refuses it).
pub fn open_nofollow(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(path)
}

/// Opens a directory itself, not what a symlink in its place points to, to check it.
pub fn open_dir_nofollow(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_DIRECTORY)
        .open(path)
}

/// Opens (creating, 0600) the file whose OS lock serialises a profile's exchanges.
pub fn open_lock_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(FILE_MODE)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(path)
}

/// Who may own a file tokex trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The user alone: what tokex writes itself (the cache, its locks).
    User,
    /// The user or the administrator (root): what the user or the system configured (the
    /// config, a `ca_file`).
    UserOrAdmin,
}

/// Why the opened `file` (a regular file or a directory) must not be trusted: another kind of
/// file, another user's, or writable by group or others (a sticky directory such as /tmp
/// excepted when `Owner::UserOrAdmin`, for nobody can replace another's file there). Checked on
/// the descriptor, so what is checked is what is read.
pub fn trust_problem(file: &File, owner: Owner) -> io::Result<Option<String>> {
    let meta = file.metadata()?;
    let kind = meta.file_type();
    if !kind.is_file() && !kind.is_dir() {
        return Ok(Some("is not a regular file".into()));
    }
    let uid = meta.uid();
    if uid != current_uid() && !(owner == Owner::UserOrAdmin && uid == 0) {
        return Ok(Some(format!("is owned by another user (uid {uid})")));
    }
    let mode = meta.mode() & 0o7777;
    // S_ISVTX, the sticky bit (its libc type differs between Linux and macOS).
    let sticky_dir = kind.is_dir() && mode & 0o1000 != 0;
    if mode & 0o022 != 0 && !(owner == Owner::UserOrAdmin && sticky_dir) {
        return Ok(Some(format!(
            "is writable by group or others (mode {:04o}); run `chmod go-w` on it",
            mode & 0o777
        )));
    }
    Ok(None)
}

/// Stops other processes of the same user from reading this one's memory and environment
/// through /proc or ptrace (Linux: not dumpable), and keeps a crash from writing a core file
/// that holds a secret (everywhere: `RLIMIT_CORE` 0).
/// Only the soft limit is lowered: a command `tokex exec` becomes may raise it again.
pub fn harden_process() {
    let mut core = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write the struct passed; prctl takes plain integers.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_CORE, &mut core) == 0 {
            core.rlim_cur = 0;
            libc::setrlimit(libc::RLIMIT_CORE, &core);
        }
        #[cfg(target_os = "linux")]
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}

/// Why a user's own secret file must not be trusted (readable by others, someone else's), with
/// the fix; `None` when it is private.
pub fn secret_file_problem(shown: &str, meta: &Metadata) -> Option<String> {
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Some(format!(
            "has mode {mode:04o}, readable by others; run `chmod 600 {shown}`"
        ));
    }
    if meta.uid() != current_uid() {
        return Some("is owned by another user".into());
    }
    None
}

/// A command for `program`, found on PATH by `execvp` itself.
pub fn command(program: &std::ffi::OsStr) -> Command {
    Command::new(program)
}

/// The file `program` names on PATH, as a shell would find it.
pub fn find_program(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|d| d.is_absolute())
        .map(|d| d.join(program))
        .find(|p| fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// Lets the owner run a file tokex wrote (0700).
pub fn make_executable(path: &Path) -> io::Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(0o700))
}

/// Becomes `cmd` (`execvp`): its exit status, signals and streams are its own. Returns only if
/// it could not start.
pub fn become_command(mut cmd: Command) -> io::Error {
    cmd.exec()
}

/// `command` for the user's shell: `sh -c`.
pub fn shell(command: &str) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c").arg(command);
    c
}

/// Starts `cmd` in a process group of its own, so [`kill_process_group`] stops what it started
/// too (gpg and its pinentry under pass).
pub fn own_process_group(cmd: &mut Command) {
    cmd.process_group(0);
}

pub fn kill_process_group(child: &mut Child) {
    // SAFETY: kill(2) on the process group `own_process_group` created; no memory involved.
    unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
}

/// Whether the entry points are copies or hard links, which an upgrade of tokex leaves behind.
pub const HELPERS_ARE_COPIES: bool = false;

/// How the helper entry points point at tokex here.
pub const HELPER_LINK: &str = "symlink";

/// Makes `entry` a symlink to `target`.
pub fn link_helper(target: &Path, entry: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, entry)
}

/// Where `install-helpers` puts the entry points that git, docker, cargo and bazel find on PATH.
pub fn default_helper_dir(base: &directories::BaseDirs) -> std::path::PathBuf {
    base.executable_dir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| base.home_dir().join(".local/bin"))
}

/// Where uv and pip read the user's config (`$XDG_CONFIG_HOME`, else `~/.config`, on macOS too:
/// uv's `uv-dirs`, pip's `appdirs.user_config_dir`), and their file names.
pub fn tool_config_home(base: &directories::BaseDirs) -> std::path::PathBuf {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(std::path::PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| base.home_dir().join(".config"))
}
pub const PIP_CONFIG_NAME: &str = "pip.conf";

/// A program that runs `exe ARGS...` (pnpm's `tokenHelper`, which takes a path and no
/// arguments), and the suffix its file needs.
pub fn wrapper_script(exe: &Path, args: &[&str]) -> (&'static str, String) {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut line = format!("exec {}", quote(&exe.to_string_lossy()));
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    ("", format!("#!/bin/sh\n# Made by `tokex setup`.\n{line}\n"))
}

/// Where terraform looks for credentials helpers (it never searches PATH).
pub fn terraform_plugin_dir(base: &directories::BaseDirs) -> std::path::PathBuf {
    base.home_dir().join(".terraform.d").join("plugins")
}

/// How to put `dir` on PATH, for the shell users have here.
pub fn path_hint(dir: &Path) -> String {
    format!(
        "add `export PATH=\"{}:$PATH\"` to your shell's profile",
        dir.display()
    )
}

pub fn current_uid() -> u32 {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}

/// The desktop's "open this URL" program. `None` on Linux without a graphical session
/// (`DISPLAY`, `WAYLAND_DISPLAY`), over SSH say, where xdg-open would start a text browser on
/// the terminal tokex is using.
pub fn url_opener() -> Option<(&'static str, &'static [&'static str])> {
    if cfg!(target_os = "macos") {
        return Some(("open", &[]));
    }
    let desktop = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
    desktop.then_some(("xdg-open", &[]))
}

/// Starts `cmd` as a daemon and does not wait: in a session of its own (no controlling
/// terminal, so it can never prompt there, and a signal to the caller's group, Ctrl-C, does not
/// reach it), with `/` as its working directory (it keeps no directory of the caller's busy).
/// Its standard streams are the caller's to set; it closes any other descriptor it inherited
/// itself, first thing ([`close_inherited_descriptors`]).
pub fn spawn_detached(mut cmd: Command) -> io::Result<()> {
    use std::os::unix::process::CommandExt;
    cmd.current_dir("/");
    // SAFETY: setsid(2) is async-signal-safe and touches no memory of this process.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.spawn().map(drop)
}

/// Closes every descriptor above 2 that this process inherited (std opens its own with
/// close-on-exec, so at start-up any other is the caller's, a pipe it waits on, say).
pub fn close_inherited_descriptors() {
    #[cfg(target_os = "linux")]
    // SAFETY: close_range(2) on descriptors this process does not use; no memory involved.
    if unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) } == 0 {
        return;
    }
    // SAFETY: sysconf has no preconditions.
    let max = unsafe { libc::sysconf(libc::_SC_OPEN_MAX) }.clamp(3, 65_536) as i32;
    for fd in 3..max {
        // SAFETY: as above; EBADF for descriptors that are not open.
        unsafe { libc::close(fd) };
    }
}

/// What std's start-up does before `main`, for a program that skips it (`#![no_main]`): fds 0-2
/// are open (else the cache file could open as fd 1 and a token be written into it), and
/// SIGPIPE is ignored (a reader that went away is an error to handle, not a death).
pub fn bare_start() {
    for fd in 0..3 {
        // SAFETY: F_GETFD reads no memory; open's path is a NUL-terminated literal.
        unsafe {
            if libc::fcntl(fd, libc::F_GETFD) == -1
                && io::Error::last_os_error().raw_os_error() == Some(libc::EBADF)
            {
                // The lowest free descriptor: this one, as the lower ones are open by now.
                libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
            }
        }
    }
    // SAFETY: installs the predefined SIG_IGN disposition; no handler code runs.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// The arguments the C runtime passed to `main`. A `#![no_main]` program cannot rely on
/// `std::env::args`: std fills it from an initialiser glibc calls with argv, and musl does not.
///
/// # Safety
/// `argv` must be `main`'s own: `argc` pointers to NUL-terminated strings (a null pointer ends
/// it early), alive for the whole program.
pub unsafe fn main_args(
    argc: std::ffi::c_int,
    argv: *const *const std::ffi::c_char,
) -> Vec<std::ffi::OsString> {
    use std::os::unix::ffi::OsStrExt;
    let count = usize::try_from(argc).unwrap_or(0);
    let mut args = Vec::with_capacity(count);
    for i in 0..count {
        // SAFETY: i < argc, and the caller promises argc valid entries.
        let arg = unsafe { *argv.add(i) };
        if arg.is_null() {
            break;
        }
        // SAFETY: a non-null entry of argv is a NUL-terminated string that outlives this call.
        let bytes = unsafe { std::ffi::CStr::from_ptr(arg) }.to_bytes();
        args.push(std::ffi::OsStr::from_bytes(bytes).to_os_string());
    }
    args
}

/// Points stdout at /dev/null: a daemon that said what it had to lets `$(…)` around it end
/// (`eval "$(tokex agent &)"`), as ssh-agent does by forking.
pub fn release_stdout() -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let null = OpenOptions::new().write(true).open("/dev/null")?;
    // SAFETY: both descriptors are open; dup2 replaces fd 1 atomically.
    if unsafe { libc::dup2(null.as_raw_fd(), 1) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_dir_is_0700_and_a_looser_one_is_tightened() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("a/b");
        create_private_dir(&dir).unwrap();
        assert_eq!(fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        check_private_dir(&dir, &fs::metadata(&dir).unwrap()).unwrap();
        assert_eq!(fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
    }

    #[test]
    fn a_symlink_is_not_opened() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real");
        fs::write(&real, "x").unwrap();
        let link = d.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(open_nofollow(&link).is_err());
        assert!(open_lock_file(&link).is_err());
        assert!(open_nofollow(&real).is_ok());
    }
}
