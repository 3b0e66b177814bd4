//! Kernel keyrings that belong to nobody, so no test reads or writes the keyrings of the user who
//! runs it, and each environment sees its own `@u` and persistent keyring:
//! - as root (CI's first pass), tokex runs as a throw-away user id;
//! - as anyone else (a contributor, CI's second pass), tokex runs as that user inside a user
//!   namespace of the environment's own: since Linux 5.3 the user and persistent keyrings are
//!   per user namespace, so it has a fresh `@u`, shared by every tokex process of the
//!   environment, and gone with the namespace. No privilege is needed.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// How the throw-away user's tokex finds its session keyring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Session {
    /// Whatever the test process has: a plain shell's fallback `_uid_ses.UID` when the suite
    /// runs outside any session keyring (CI's first pass), else the suite's own session keyring
    /// (CI's second pass, inside `keyctl session -`).
    Inherit,
    /// A new session keyring for each tokex run, as `keyctl session - tokex …` (and two SSH
    /// logins) give it.
    Fresh,
}

/// Whether this process may act as other users: tests that need a second user (an attacker)
/// run only then, and say so otherwise.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Whether a test that needs other user ids can run; if not, says why on stderr.
pub fn root_or_skip(test: &str) -> bool {
    if !is_root() {
        eprintln!(
            "{test}: skipped: acting as another user needs root (CI runs this as root; as yourself, `cargo test` runs everything else)"
        );
    }
    is_root()
}

/// A user id no account uses, unique per environment in this process and across test binaries.
pub fn throwaway_uid() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    assert!(
        is_root(),
        "throw-away user ids need root; call root_or_skip first"
    );
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    assert!(
        n < 2_000,
        "more than 2,000 keyutils environments in one test program"
    );
    700_000 + (std::process::id() % 500) * 2_000 + n
}

/// Who a keyutils environment's tokex runs as, and in which session keyring.
pub struct KeyUser {
    pub uid: u32,
    pub session: Session,
    ns: Option<UserNs>,
}

impl KeyUser {
    /// A throw-away user id as root, else this user in a user namespace of its own.
    pub fn new(session: Session) -> KeyUser {
        if is_root() {
            KeyUser {
                uid: throwaway_uid(),
                session,
                ns: None,
            }
        } else {
            KeyUser {
                // SAFETY: geteuid has no preconditions and cannot fail.
                uid: unsafe { libc::geteuid() },
                session,
                ns: Some(UserNs::new()),
            }
        }
    }

    /// Makes `cmd` run as this user, in its session.
    pub fn apply(&self, cmd: &mut Command) {
        self.apply_in(cmd, self.session);
    }

    /// Makes `cmd` run as this user, in `session`.
    pub fn apply_in(&self, cmd: &mut Command, session: Session) {
        match &self.ns {
            Some(ns) => ns.enter(cmd),
            None => {
                cmd.uid(self.uid).gid(self.uid);
            }
        }
        if session == Session::Fresh {
            join_fresh_session(cmd);
        }
    }

    /// Gives `dir` to this user, so its tokex may read the config and write its cache (a user
    /// namespace's tokex is the test's own user: nothing to do).
    pub fn own(&self, dir: &Path) {
        if self.ns.is_none() {
            chown_tree(dir, self.uid);
        }
    }

    /// This user's tokex keys as `/proc/keys` lists them.
    pub fn keys(&self) -> Vec<String> {
        let lines = tokex_keys_seen_by(|c| self.apply_in(c, Session::Inherit));
        match &self.ns {
            None => lines,
            // The namespace's keys are the test user's too, so /proc/keys also lists the user's
            // own; only those in the namespace's keyrings are this environment's.
            Some(_) => {
                let mine = self.keyring_members();
                lines
                    .into_iter()
                    .filter(|l| {
                        let id = l.split_whitespace().next().unwrap_or("");
                        u32::from_str_radix(id, 16).is_ok_and(|id| mine.contains(&id))
                    })
                    .collect()
            }
        }
    }

    /// The serials of everything in the user's `@u` and persistent keyring (seen from a session
    /// keyring made for the purpose, so no other keyring gains a link).
    fn keyring_members(&self) -> Vec<u32> {
        let mut c = Command::new("keyctl");
        c.args([
            "session",
            "-",
            "sh",
            "-c",
            "keyctl rlist @u; echo; keyctl rlist \"$(keyctl get_persistent @s)\"",
        ]);
        self.apply_in(&mut c, Session::Inherit);
        let out = c.output().expect("keyctl: install the keyutils package");
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter_map(|id| id.parse().ok())
            .collect()
    }

    /// Invalidates every tokex key this user still has.
    pub fn sweep(&self) {
        for line in self.keys() {
            if let Some(id) = line.split_whitespace().next() {
                let mut k = Command::new("keyctl");
                k.args(["invalidate", &format!("0x{id}")]);
                self.apply_in(&mut k, Session::Inherit);
                let _ = k.output();
            }
        }
    }
}

/// A user namespace that maps only this user to itself, kept alive by a `cat` that ends when
/// its stdin closes: when the test drops it, or when the test process dies.
struct UserNs {
    holder: Child,
    ns: File,
}

impl UserNs {
    fn new() -> UserNs {
        // SAFETY: geteuid and getegid have no preconditions and cannot fail.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        // Formatted before the fork: the child may not allocate.
        let uid_map = format!("{uid} {uid} 1\n");
        let gid_map = format!("{gid} {gid} 1\n");
        let mut c = Command::new("cat");
        c.stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: runs in the child between fork and exec, using only syscalls on memory
        // prepared before the fork (unshare needs a single-threaded process: the child is).
        unsafe {
            c.pre_exec(move || {
                if libc::unshare(libc::CLONE_NEWUSER) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                write_proc(c"/proc/self/uid_map", uid_map.as_bytes())?;
                write_proc(c"/proc/self/setgroups", b"deny")?;
                write_proc(c"/proc/self/gid_map", gid_map.as_bytes())
            });
        }
        let holder = c.spawn().unwrap_or_else(|e| {
            panic!(
                "the keyutils tests, run as a user other than root, need an unprivileged user namespace ({e}): allow them (sysctl kernel.unprivileged_userns_clone=1, or on Ubuntu kernel.apparmor_restrict_unprivileged_userns=0), or run the suite as root as CI does"
            )
        });
        let ns = File::open(format!("/proc/{}/ns/user", holder.id())).unwrap();
        UserNs { holder, ns }
    }

    /// Makes `cmd` join this namespace before it runs (its creator's user has every
    /// capability in it, which setns needs, and keeps its own uid there).
    fn enter(&self, cmd: &mut Command) {
        let fd = self.ns.as_raw_fd();
        // SAFETY: runs in the child between fork and exec; setns reads no memory, and `fd`
        // stays open in the parent (so in the child) while the Command is alive.
        unsafe {
            cmd.pre_exec(move || {
                if libc::setns(fd, libc::CLONE_NEWUSER) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
}

impl Drop for UserNs {
    fn drop(&mut self) {
        drop(self.holder.stdin.take());
        let _ = self.holder.wait();
    }
}

/// Writes `data` to a /proc file with syscalls only (safe between fork and exec).
fn write_proc(path: &std::ffi::CStr, data: &[u8]) -> std::io::Result<()> {
    // SAFETY: `path` is NUL-terminated and `data` is a live slice of the given length.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let n = libc::write(fd, data.as_ptr().cast(), data.len());
        let result = if n == data.len() as isize {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        };
        libc::close(fd);
        result
    }
}

/// Makes `cmd` join a new anonymous session keyring before it runs, as `keyctl session -` does.
fn join_fresh_session(cmd: &mut Command) {
    // SAFETY: runs in the child between fork and exec; KEYCTL_JOIN_SESSION_KEYRING (1) with a
    // null name allocates nothing in this process and reads no memory of ours.
    unsafe {
        cmd.pre_exec(|| {
            let r = libc::syscall(
                libc::SYS_keyctl,
                1 as libc::c_long,
                std::ptr::null::<libc::c_char>(),
            );
            if r < 0 {
                Err(std::io::Error::last_os_error())
            } else {
                Ok(())
            }
        });
    }
}

/// `cmd` as throw-away user `uid` (group `uid`, no supplementary groups), in `session` (root).
pub fn as_user(cmd: &mut Command, uid: u32, session: Session) {
    cmd.uid(uid).gid(uid);
    if session == Session::Fresh {
        join_fresh_session(cmd);
    }
}

/// Gives everything under `dir` to `uid`, so its tokex may read the config and write its cache.
pub fn chown_tree(dir: &Path, uid: u32) {
    std::os::unix::fs::lchown(dir, Some(uid), Some(uid)).unwrap();
    if dir.is_dir() && !dir.is_symlink() {
        for entry in std::fs::read_dir(dir).unwrap() {
            chown_tree(&entry.unwrap().path(), uid);
        }
    }
}

/// The lines of `/proc/keys` that `cmd` (made some user's by `as_who`) sees (root does not see
/// other users' keys), for keys of tokex's: `tokex:` descriptions, and keyring-core's older
/// `@tokex` ones.
fn tokex_keys_seen_by(as_who: impl FnOnce(&mut Command)) -> Vec<String> {
    let mut cat = Command::new("cat");
    cat.arg("/proc/keys");
    as_who(&mut cat);
    let out = cat.output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(" tokex:") || l.contains("@tokex:"))
        // Keys not instantiated (no `I`), invalidated (`i`), dead (`D`) or with no references
        // left are the kernel garbage collector's: no search finds them.
        .filter(|l| {
            let mut cols = l.split_whitespace().skip(1);
            let flags = cols.next().unwrap_or("");
            let usage = cols.next().unwrap_or("0");
            flags.starts_with('I') && !flags.contains('i') && !flags.contains('D') && usage != "0"
        })
        .map(str::to_string)
        .collect()
}
