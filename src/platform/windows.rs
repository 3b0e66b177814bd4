//! Windows: private directories carry a protected ACL that grants the user (and SYSTEM) alone,
//! which the files inside inherit; links are opened as themselves and refused; `tokex exec`
//! runs the command and exits with its code; helper entry points are hard links or copies
//! (symlinks need a privilege most users lack).

mod acl;
pub mod pipe;
use acl::restrict_to_user;
pub use acl::{Owner, trust_problem};
use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::fs::OpenOptionsExt;
use std::os::windows::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command};
use windows_sys::Win32::Storage::FileSystem::{
    FILE_FLAG_BACKUP_SEMANTICS, FILE_FLAG_OPEN_REPARSE_POINT,
};
use windows_sys::Win32::System::Threading::{CREATE_NEW_PROCESS_GROUP, DETACHED_PROCESS};

/// Creates `dir` and its missing parents; [`check_private_dir`], which always follows, gives the
/// last one the ACL that admits the user alone.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

/// Windows has no mode bits to tighten: the directory gets (again) the ACL that admits the
/// user alone, which succeeds only for a directory whose ACL the user may change.
pub fn check_private_dir(dir: &Path, _meta: &Metadata) -> io::Result<()> {
    restrict_to_user(dir)
}

/// A process that opened the file without delete sharing (a virus scanner, an indexer) makes a
/// rename over it fail with "access denied" for as long as it holds it.
pub const RENAME_MAY_BE_BLOCKED: bool = true;

/// New files inherit the private directory's ACL; there are no permissions to pass.
pub fn private_file_permissions() -> Option<fs::Permissions> {
    None
}

/// Opens an existing file for reading; a symbolic link or junction in its place is opened as
/// itself (`FILE_FLAG_OPEN_REPARSE_POINT`) and refused, never followed.
pub fn open_nofollow(path: &Path) -> io::Result<File> {
    refuse_link(
        OpenOptions::new()
            .read(true)
            .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
            .open(path)?,
        path,
    )
}

/// Opens a directory itself (a junction or symlink in its place is opened as itself and
/// refused), to check it.
pub fn open_dir_nofollow(path: &Path) -> io::Result<File> {
    refuse_link(
        OpenOptions::new()
            .read(true)
            .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS)
            .open(path)?,
        path,
    )
}

/// Windows writes no core files of its own (a crash report is Windows Error Reporting's, and
/// only an administrator's debugger reads another process's memory): nothing to do.
pub fn harden_process() {}

/// Opens (creating) the file whose OS lock serialises a profile's exchanges.
pub fn open_lock_file(path: &Path) -> io::Result<File> {
    refuse_link(
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
            .open(path)?,
        path,
    )
}

fn refuse_link(file: File, path: &Path) -> io::Result<File> {
    if file.metadata()?.file_type().is_symlink() {
        return Err(io::Error::other(format!(
            "{} is a link; refused",
            path.display()
        )));
    }
    Ok(file)
}

/// Windows files carry ACLs, not modes: whoever may read the user's own file is the user's
/// choice, as for any file of theirs.
pub fn secret_file_problem(_shown: &str, _meta: &Metadata) -> Option<String> {
    None
}

/// A command for `program` found the way cmd.exe finds it: a bare name (`az`, `gcloud`) is
/// looked up on PATH with each PATHEXT extension in turn, so `.cmd` and `.bat` wrappers run too
/// (std alone would try only `.exe`; it runs a batch file it is given safely quoted).
pub fn command(program: &std::ffi::OsStr) -> Command {
    Command::new(find_on_path(program).unwrap_or_else(|| program.into()))
}

/// The file `program` names on PATH, with one of PATHEXT's extensions, as cmd finds it.
pub fn find_program(program: &str) -> Option<std::path::PathBuf> {
    find_on_path(program.as_ref())
}

/// Nothing to do: Windows runs a `.cmd` by its name.
pub fn make_executable(_path: &Path) -> io::Result<()> {
    Ok(())
}

fn find_on_path(program: &std::ffi::OsStr) -> Option<std::path::PathBuf> {
    let name = Path::new(program);
    if name.extension().is_some() || name.components().count() != 1 {
        return None;
    }
    let exts = std::env::var("PATHEXT").unwrap_or_else(|_| ".COM;.EXE;.BAT;.CMD".into());
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find_map(|dir| {
        exts.split(';').filter(|e| !e.is_empty()).find_map(|ext| {
            let mut file = program.to_os_string();
            file.push(ext);
            let candidate = dir.join(file);
            candidate.is_file().then_some(candidate)
        })
    })
}

/// Windows cannot replace a process: runs `cmd` and exits with its exit code. Returns only if
/// it could not start.
pub fn become_command(mut cmd: Command) -> io::Error {
    match cmd.status() {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(e) => e,
    }
}

/// `command` for the Windows shell: `cmd /D /S /C "…"`, the line passed as written (`/S`
/// strips the outer quotes, so the user's own quoting survives; `/D` skips AutoRun macros).
pub fn shell(command: &str) -> Command {
    let mut c = Command::new("cmd");
    c.raw_arg(format!("/D /S /C \"{command}\""));
    c
}

pub fn own_process_group(cmd: &mut Command) {
    cmd.creation_flags(CREATE_NEW_PROCESS_GROUP);
}

/// Stops the child itself (TerminateProcess); what it started on its own (a gpg under pass)
/// is not reached, for Windows has no process groups to signal.
pub fn kill_process_group(child: &mut Child) {
    let _ = child.kill();
}

/// Whether the entry points are copies or hard links, which an upgrade of tokex leaves behind.
pub const HELPERS_ARE_COPIES: bool = true;

/// How the helper entry points point at tokex here.
pub const HELPER_LINK: &str = "hard link (or copy)";

/// Makes `entry` a hard link to `target`, or a copy where a hard link cannot be made (another
/// volume, FAT).
pub fn link_helper(target: &Path, entry: &Path) -> io::Result<()> {
    fs::hard_link(target, entry).or_else(|_| fs::copy(target, entry).map(|_| ()))
}

/// Where `install-helpers` puts the entry points: beside tokex's own data, on the same volume
/// as a program installed for the user, so hard links work.
pub fn default_helper_dir(base: &directories::BaseDirs) -> std::path::PathBuf {
    base.data_local_dir().join("tokex").join("bin")
}

/// Where uv and pip read the user's config on Windows: `%APPDATA%`, and pip's file name there.
pub fn tool_config_home(base: &directories::BaseDirs) -> std::path::PathBuf {
    base.config_dir().to_path_buf()
}
pub const PIP_CONFIG_NAME: &str = "pip.ini";

/// A program that runs `exe ARGS...` (pnpm's `tokenHelper`, which takes a path and no
/// arguments, and runs it through the shell): a `.cmd` file.
pub fn wrapper_script(exe: &Path, args: &[&str]) -> (&'static str, String) {
    // cmd cannot run a verbatim path (`\\?\C:\…`, what canonicalize returns).
    let exe = exe.to_string_lossy();
    let exe = match exe.strip_prefix(r"\\?\") {
        Some(unc) if unc.starts_with(r"UNC\") => format!(r"\\{}", &unc[4..]),
        Some(local) => local.to_string(),
        None => exe.into_owned(),
    };
    let mut line = format!("@\"{exe}\"");
    for a in args {
        line.push_str(&format!(" \"{a}\""));
    }
    (".cmd", format!("@rem Made by `tokex setup`.\r\n{line}\r\n"))
}

/// Where terraform looks for credentials helpers on Windows: `%APPDATA%\terraform.d\plugins`.
pub fn terraform_plugin_dir(base: &directories::BaseDirs) -> std::path::PathBuf {
    base.config_dir().join("terraform.d").join("plugins")
}

/// How to put `dir` on the user's PATH for good (setx would truncate a long PATH).
pub fn path_hint(dir: &Path) -> String {
    format!(
        "run in PowerShell: [Environment]::SetEnvironmentVariable('Path', [Environment]::GetEnvironmentVariable('Path', 'User') + ';{}', 'User'), then open a new terminal",
        dir.display()
    )
}

fn wide(s: &std::ffi::OsStr) -> Vec<u16> {
    s.encode_wide().chain(std::iter::once(0)).collect()
}

/// Whether this runs under Wine, which emulates Windows on a Linux file system (tests only).
#[cfg(test)]
pub fn under_wine() -> bool {
    use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleA, GetProcAddress};
    // SAFETY: NUL-terminated names; ntdll is loaded in every process.
    unsafe {
        let ntdll = GetModuleHandleA(c"ntdll.dll".as_ptr().cast());
        !ntdll.is_null() && GetProcAddress(ntdll, c"wine_get_version".as_ptr().cast()).is_some()
    }
}

/// The shell's "open this URL": url.dll's handler takes the URL as one argument, where
/// `cmd /c start` would read `&` in a query string as a command separator.
pub fn url_opener() -> Option<(&'static str, &'static [&'static str])> {
    Some(("rundll32", &["url.dll,FileProtocolHandler"]))
}

/// Windows hands a child only the handles it marks inheritable (std marks none but the
/// standard streams): nothing to close.
pub fn close_inherited_descriptors() {}

/// Starts `cmd` detached from this console, in a process group of its own, and does not wait.
pub fn spawn_detached(mut cmd: Command) -> io::Result<()> {
    let flags = DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP;
    cmd.creation_flags(flags).spawn().map(drop)
}

/// Shows `prompt` on the console and reads one line with echo off (rpassword's console prompt;
/// unlike the Unix one, it does not yet restore the console mode on Ctrl-C).
pub fn read_hidden_line(prompt: &str) -> std::io::Result<String> {
    rpassword::prompt_password(prompt)
}

/// Nothing to release: no shell on Windows waits for a pipe a background process inherited.
pub fn release_stdout() -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_is_exclusive_between_handles() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("p.lock");
        let first = open_lock_file(&path).unwrap();
        first.try_lock().unwrap();
        let second = open_lock_file(&path).unwrap();
        assert!(matches!(
            second.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        drop(first);
        second.try_lock().unwrap();
    }

    #[test]
    fn helper_names_carry_exe() {
        assert_eq!(
            crate::platform::program_name("git-credential-tokex.exe"),
            "git-credential-tokex"
        );
        assert_eq!(
            crate::platform::program_name("GIT-CREDENTIAL-TOKEX.EXE"),
            "GIT-CREDENTIAL-TOKEX"
        );
        assert_eq!(crate::platform::program_name("tokex"), "tokex");
    }
}
