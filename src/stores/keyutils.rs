//! The Linux kernel keyring (keyutils), defined exactly. A secret is the `user` key
//! `tokex:PROFILE` in the user keyring `@u`, with permissions `0x3f1b0000` (possessor: all;
//! same user: view, read, search, link), so every process of the user finds it whichever
//! session keyring it has: a login session, `keyctl session -`, or none (cron, containers, SSH
//! without pam_keyinit, which run under the fallback `_uid_ses.UID`).
//! The key is linked into the user's persistent keyring too (reached through this thread's own
//! keyring, which works from a fallback session as well), which keeps it after the user's last
//! process exits, for 3 days of disuse. Never a session keyring: it dies with the shell, and
//! other processes share it. Every keyring is gone at reboot.
//!
//! A write is read back; a write that fails invalidates the key, so nothing is left anywhere.

use super::{Choice, Description, Role, Store};
use crate::error::{Error, Result};
use crate::sensitive::Secret;
use std::ffi::CString;

/// Possessor: all; user: view, read, search, link; group and others: nothing.
const PERMISSIONS: u32 = 0x3f1b_0000;
/// Copies of one key a delete removes at most (one in `@u`, one in the persistent keyring).
const MAX_COPIES: usize = 4;
/// The largest payload the kernel's `user` key type holds.
const MAX_PAYLOAD: usize = 32_767;
/// A read buffer one byte larger, so a longer key is noticed.
const MAX_READ: usize = MAX_PAYLOAD + 1;

// keyctl(2) operations and special keyring ids, from <linux/keyctl.h>.
const KEY_SPEC_THREAD_KEYRING: i64 = -1;
/// Named by this special id, `@u` and the keys in it are possessed by the caller, whatever its
/// session keyring; by its serial number they may not be (a fallback session's are not).
const KEY_SPEC_USER_KEYRING: i64 = -4;
const KEYCTL_SETPERM: i64 = 5;
const KEYCTL_LINK: i64 = 8;
const KEYCTL_SEARCH: i64 = 10;
const KEYCTL_READ: i64 = 11;
const KEYCTL_INVALIDATE: i64 = 21;
const KEYCTL_GET_PERSISTENT: i64 = 22;

pub struct KeyUtils {
    choice: Choice,
}

pub fn open(choice: Choice) -> Result<KeyUtils> {
    Ok(KeyUtils { choice })
}

fn description(account: &str) -> Result<CString> {
    CString::new(format!("tokex:{account}"))
        .map_err(|_| Error::usage("a profile name cannot contain a NUL byte"))
}

fn keyctl(op: i64, a: i64, b: i64, c: i64, d: i64) -> std::io::Result<i64> {
    // SAFETY: every operation used here takes integers, or pointers to NUL-terminated strings
    // and buffers that the callers keep alive and sized for the duration of the call.
    let r = unsafe { libc::syscall(libc::SYS_keyctl, op, a, b, c, d) };
    if r < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// The persistent keyring's serial, linked into this thread's own keyring, which possesses it
/// for this process whatever its session keyring, and changes no keyring another process uses.
fn persistent() -> Option<i64> {
    keyctl(KEYCTL_GET_PERSISTENT, -1, KEY_SPEC_THREAD_KEYRING, 0, 0).ok()
}

fn search(ring: i64, desc: &CString) -> Result<Option<i64>> {
    let kind = c"user";
    match keyctl(
        KEYCTL_SEARCH,
        ring,
        kind.as_ptr() as i64,
        desc.as_ptr() as i64,
        0,
    ) {
        Ok(id) => Ok(Some(id)),
        // ENOKEY, EKEYEXPIRED, EKEYREVOKED: not there (any more).
        Err(e) if matches!(e.raw_os_error(), Some(126..=128)) => Ok(None),
        Err(e) => Err(failed("reading from", &e)),
    }
}

/// The key for `account`, in `@u` or else in the persistent keyring.
fn find(account: &str) -> Result<Option<i64>> {
    let desc = description(account)?;
    if let Some(id) = search(KEY_SPEC_USER_KEYRING, &desc)? {
        return Ok(Some(id));
    }
    match persistent() {
        Some(p) => search(p, &desc),
        None => Ok(None),
    }
}

fn read(id: i64) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; MAX_READ];
    let n = keyctl(
        KEYCTL_READ,
        id,
        buf.as_mut_ptr() as i64,
        buf.len() as i64,
        0,
    )
    .map_err(|e| failed("reading from", &e))? as usize;
    if n > buf.len() {
        zeroize::Zeroize::zeroize(&mut buf);
        return Err(Error::op(format!(
            "the secret in keyutils is larger than {MAX_PAYLOAD} bytes"
        )));
    }
    buf.truncate(n);
    Ok(buf)
}

/// One line for a kernel refusal: the operation, the reason in words, and the ways out that
/// apply to the kernel keyring.
fn failed(what: &str, e: &std::io::Error) -> Error {
    let why = match e.raw_os_error() {
        Some(libc::EACCES | libc::EPERM) => {
            "the kernel refused access (a container's seccomp profile blocks keyctl, or this process may not write the keyring)"
        }
        Some(libc::EDQUOT) => {
            "your user's kernel key quota is full (see /proc/key-users; remove keys you do not need with keyctl)"
        }
        Some(libc::ENOSYS | libc::EOPNOTSUPP) => "this kernel or container does not offer keyrings",
        Some(libc::ENOMEM) => "the kernel is out of memory for keys",
        _ => "the kernel keyring failed",
    };
    Error::op(format!(
        "{what} keyutils: {why} ({e}); use TOKEX_STORE=pass, or give the profile secret_env, secret_file or secret_command"
    ))
}

/// tokex before 0.2 kept keys as keyring-core does, `keyring:PROFILE@tokex`, in the session or
/// persistent keyring: `logout` removes those too, or says which one it could not.
fn legacy_delete(account: &str) -> Result<bool> {
    const KEY_SPEC_SESSION_KEYRING: i64 = -3;
    let desc = CString::new(format!("keyring:{account}@tokex"))
        .map_err(|_| Error::usage("a profile name cannot contain a NUL byte"))?;
    let mut deleted = false;
    for ring in [Some(KEY_SPEC_SESSION_KEYRING), persistent()]
        .into_iter()
        .flatten()
    {
        if let Some(id) = search(ring, &desc)? {
            keyctl(KEYCTL_INVALIDATE, id, 0, 0, 0).map_err(|e| {
                failed(
                    &format!("deleting the older key {id} (keyctl invalidate {id}) from"),
                    &e,
                )
            })?;
            deleted = true;
        }
    }
    Ok(deleted)
}

impl Store for KeyUtils {
    fn get(&self, account: &str) -> Result<Secret> {
        let Some(id) = find(account)? else {
            return Err(Error::not_found(format!(
                "no secret in keyutils for this profile: run `tokex login {account}`"
            )));
        };
        let text = String::from_utf8(read(id)?)
            .map_err(|_| Error::op("the secret in keyutils is not UTF-8"))?;
        Ok(Secret::new(text))
    }

    fn set(&self, account: &str, secret: &Secret) -> Result<()> {
        let desc = description(account)?;
        let kind = c"user";
        let payload = secret.expose().as_bytes();
        if payload.len() > MAX_PAYLOAD {
            return Err(Error::usage(format!(
                "the secret is {} bytes; the kernel keyring keeps at most {MAX_PAYLOAD} in a key: use TOKEX_STORE=pass or secret_file",
                payload.len()
            )));
        }
        // The key is born in this thread's own keyring, so this process possesses it whatever
        // its session keyring (an anonymous `keyctl session -` does not lead to @u) and may set
        // its permissions; linking it into @u then replaces any older key of that name at once.
        // SAFETY: add_key(2) reads the two NUL-terminated strings and `payload.len()` bytes.
        let id = unsafe {
            libc::syscall(
                libc::SYS_add_key,
                kind.as_ptr(),
                desc.as_ptr(),
                payload.as_ptr(),
                payload.len(),
                KEY_SPEC_THREAD_KEYRING,
            )
        };
        if id < 0 {
            return Err(failed(
                "writing the secret to",
                &std::io::Error::last_os_error(),
            ));
        }
        let finish = || -> Result<()> {
            keyctl(KEYCTL_SETPERM, id, i64::from(PERMISSIONS), 0, 0)
                .map_err(|e| failed("writing the secret to", &e))?;
            keyctl(KEYCTL_LINK, id, KEY_SPEC_USER_KEYRING, 0, 0)
                .map_err(|e| failed("writing the secret to", &e))?;
            if let Some(p) = persistent() {
                // Where the kernel has no persistent keyrings, the key in @u serves alone.
                let _ = keyctl(KEYCTL_LINK, id, p, 0, 0);
            }
            let mut back = read(id)?;
            let same = back == payload;
            zeroize::Zeroize::zeroize(&mut back);
            if !same {
                return Err(Error::op(
                    "keyutils did not read back the secret as written",
                ));
            }
            Ok(())
        };
        finish().inspect_err(|_| {
            // Nothing half-written stays behind: the key goes from every keyring.
            let _ = keyctl(KEYCTL_INVALIDATE, id, 0, 0, 0);
        })
    }

    fn delete(&self, account: &str) -> Result<bool> {
        let mut deleted = legacy_delete(account)?;
        for _ in 0..MAX_COPIES {
            let Some(id) = find(account)? else {
                return Ok(deleted);
            };
            keyctl(KEYCTL_INVALIDATE, id, 0, 0, 0).map_err(|e| failed("deleting from", &e))?;
            deleted = true;
        }
        Err(Error::op(format!(
            "deleting from keyutils: tokex:{account} is still there after {MAX_COPIES} deletions"
        )))
    }

    fn probe(&self) -> Result<()> {
        super::probe_by_writing(self)
    }

    fn describe(&self) -> Description {
        Description {
            name: "keyutils".into(),
            location: format!(
                "the kernel keyring: your user keyring @u and your persistent keyring; {}",
                self.choice.why
            ),
            lifetime: "until reboot, or 3 days unused after your last process exits (volatile)",
            role: Role::Vault,
            quiet_read: true,
        }
    }
}
