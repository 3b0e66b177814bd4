//! Kernel keyrings that belong to nobody: each keyutils test environment runs tokex as a
//! throw-away user id (the suite runs as root, as CI does), so no test reads or writes the
//! keyrings of the user who runs it, and each test sees its own `@u` and persistent keyring.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
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

/// A user id no account uses, unique per environment in this process and across test binaries.
pub fn throwaway_uid() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    assert!(
        unsafe { libc::geteuid() } == 0,
        "the keyutils tests run tokex as throw-away user ids, so they need root (as CI runs them): run `sudo cargo test`"
    );
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    assert!(
        n < 200,
        "more than 200 keyutils environments in one test binary"
    );
    700_000 + (std::process::id() % 5_000) * 200 + n
}

/// `cmd` as user `uid` (group `uid`, no supplementary groups), in `session`.
pub fn as_user(cmd: &mut Command, uid: u32, session: Session) {
    cmd.uid(uid).gid(uid);
    if session == Session::Fresh {
        // SAFETY: runs in the child between fork and exec; KEYCTL_JOIN_SESSION_KEYRING (1) with
        // a null name allocates nothing in this process and reads no memory of ours.
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

/// The lines of `/proc/keys` that user `uid` sees (root does not see other users' keys), for
/// keys of tokex's: `tokex:` descriptions, and keyring-core's older `@tokex` ones.
pub fn tokex_keys(uid: u32) -> Vec<String> {
    let mut cat = Command::new("cat");
    cat.arg("/proc/keys");
    as_user(&mut cat, uid, Session::Inherit);
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

/// Invalidates every tokex key user `uid` still has.
pub fn sweep(uid: u32) {
    for line in tokex_keys(uid) {
        if let Some(id) = line.split_whitespace().next() {
            let mut k = Command::new("keyctl");
            k.args(["invalidate", &format!("0x{id}")]);
            as_user(&mut k, uid, Session::Inherit);
            let _ = k.output();
        }
    }
}
