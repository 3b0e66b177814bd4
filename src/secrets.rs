//! Where a profile's long-lived secret lives: the OS secret store (Secret Service or the Linux
//! kernel keyring, through keyring-core), or, for CI and password managers, an environment
//! variable, a 0600 file, or a command's output. Never a plaintext file of our own.

use crate::config::Profile;
use crate::error::{Error, Result};
use crate::sensitive::Secret;
use std::fmt;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::OnceLock;

pub const SERVICE: &str = "tokex";
const MAX_SECRET: u64 = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    SecretService,
    Keyutils,
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreKind::SecretService => "secret-service",
            StoreKind::Keyutils => "keyutils",
        })
    }
}

/// The store in use and why it was chosen, for `tokex status` and error messages.
#[derive(Debug, Clone)]
pub struct StoreChoice {
    pub kind: StoreKind,
    pub why: &'static str,
}

/// `TOKEX_STORE` decides; otherwise the Secret Service when a D-Bus session bus is there (a
/// desktop login), else the kernel keyring (SSH sessions, containers, servers).
pub fn store_choice() -> Result<StoreChoice> {
    match std::env::var("TOKEX_STORE")
        .ok()
        .filter(|v| !v.is_empty())
        .as_deref()
    {
        Some("secret-service") => Ok(StoreChoice {
            kind: StoreKind::SecretService,
            why: "TOKEX_STORE=secret-service",
        }),
        Some("keyutils") => Ok(StoreChoice {
            kind: StoreKind::Keyutils,
            why: "TOKEX_STORE=keyutils",
        }),
        Some(other) => Err(Error::usage(format!(
            "TOKEX_STORE={other:?} is not a store: use secret-service or keyutils"
        ))),
        None if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty()) => {
            Ok(StoreChoice {
                kind: StoreKind::SecretService,
                why: "default: a D-Bus session bus is present",
            })
        }
        None => Ok(StoreChoice {
            kind: StoreKind::Keyutils,
            why: "default: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset)",
        }),
    }
}

/// Where one profile's secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Store,
    Env(String),
    File(String),
    Command(String),
}

impl Source {
    pub fn of(profile: &Profile) -> Source {
        if let Some(v) = &profile.secret_env {
            Source::Env(v.clone())
        } else if let Some(f) = &profile.secret_file {
            Source::File(f.clone())
        } else if let Some(c) = &profile.secret_command {
            Source::Command(c.clone())
        } else {
            Source::Store
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Store => f.write_str("the secret store"),
            Source::Env(v) => write!(f, "secret_env {v}"),
            Source::File(p) => write!(f, "secret_file {p}"),
            Source::Command(_) => f.write_str("secret_command"),
        }
    }
}

/// Reads the profile's secret from wherever it lives.
pub fn read(name: &str, profile: &Profile) -> Result<Secret> {
    let secret = match Source::of(profile) {
        Source::Store => store_get(name)?,
        Source::Env(var) => match std::env::var(&var) {
            Ok(v) if !v.is_empty() => Secret::new(v),
            _ => return Err(Error::op(format!("secret_env {var} is not set"))),
        },
        Source::File(path) => read_secret_file(Path::new(&path))?,
        Source::Command(cmd) => run_secret_command(&cmd)?,
    };
    if secret.is_empty() {
        return Err(Error::op(format!(
            "the secret from {} is empty",
            Source::of(profile)
        )));
    }
    Ok(secret)
}

/// Stores a new secret where the profile keeps it: the store, or a `secret_file` (rewritten
/// atomically, 0600). Environment variables and commands cannot be written back.
pub fn write(name: &str, profile: &Profile, secret: &Secret) -> Result<()> {
    match Source::of(profile) {
        Source::Store => store_set(name, secret),
        Source::File(path) => {
            let mut bytes = secret.expose().as_bytes().to_vec();
            bytes.push(b'\n');
            let out = crate::fsutil::write_atomic(Path::new(&path), &bytes, 0o600, 0o700);
            zeroize::Zeroize::zeroize(&mut bytes);
            out.map_err(|e| Error::op(format!("writing secret_file {path}: {e}")))?;
            let back = read_secret_file(Path::new(&path))?;
            if &back != secret {
                return Err(Error::op(format!(
                    "secret_file {path} did not read back as written"
                )));
            }
            Ok(())
        }
        other => Err(Error::usage(format!(
            "the profile reads its secret from {other}; tokex cannot write it there"
        ))),
    }
}

fn read_secret_file(path: &Path) -> Result<Secret> {
    let file = crate::fsutil::open_nofollow(path)
        .map_err(|e| Error::op(format!("secret_file {}: {e}", path.display())))?;
    let meta = file
        .metadata()
        .map_err(|e| Error::op(format!("secret_file {}: {e}", path.display())))?;
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Error::usage(format!(
            "secret_file {p} has mode {mode:04o}, readable by others; run `chmod 600 {p}`",
            p = path.display()
        )));
    }
    if meta.uid() != crate::fsutil::current_uid() {
        return Err(Error::usage(format!(
            "secret_file {} is owned by another user",
            path.display()
        )));
    }
    let bytes = crate::fsutil::read_limited(file, MAX_SECRET)
        .map_err(|e| Error::op(format!("secret_file {}: {e}", path.display())))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::op(format!("secret_file {} is not UTF-8", path.display())))?;
    Ok(Secret::new(first_line(text)))
}

fn run_secret_command(cmd: &str) -> Result<Secret> {
    // The user's stderr stays attached so a password manager can explain itself; stdin is closed
    // because a caller's stdin (git's request, docker's URL) is not the command's to read.
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| Error::op(format!("secret_command could not start: {e}")))?;
    let mut out = Vec::new();
    let read = child
        .stdout
        .take()
        .map(|s| s.take(MAX_SECRET + 1).read_to_end(&mut out));
    let status = child
        .wait()
        .map_err(|e| Error::op(format!("secret_command: {e}")))?;
    if !status.success() {
        zeroize::Zeroize::zeroize(&mut out);
        return Err(Error::op(format!("secret_command failed ({status})")));
    }
    if matches!(read, Some(Err(_))) || out.len() as u64 > MAX_SECRET {
        zeroize::Zeroize::zeroize(&mut out);
        return Err(Error::op("secret_command printed no readable secret"));
    }
    let text =
        String::from_utf8(out).map_err(|_| Error::op("secret_command output is not UTF-8"))?;
    Ok(Secret::new(first_line(text)))
}

fn first_line(mut text: String) -> String {
    let end = text.find(['\n', '\r']).unwrap_or(text.len());
    let line = text[..end].to_string();
    zeroize::Zeroize::zeroize(&mut text);
    line
}

// ---- the OS secret store ----

fn init_store() -> Result<StoreChoice> {
    store_choice()?;
    static INIT: OnceLock<std::result::Result<StoreChoice, String>> = OnceLock::new();
    let r = INIT.get_or_init(|| {
        let choice = store_choice().map_err(|e| e.message().to_string())?;
        let store: std::result::Result<std::sync::Arc<keyring_core::CredentialStore>, _> =
            match choice.kind {
                StoreKind::SecretService => zbus_secret_service_keyring_store::Store::new()
                    .map(|s| s as std::sync::Arc<keyring_core::CredentialStore>),
                StoreKind::Keyutils => linux_keyutils_keyring_store::Store::new()
                    .map(|s| s as std::sync::Arc<keyring_core::CredentialStore>),
            };
        match store {
            Ok(s) => {
                keyring_core::set_default_store(s);
                Ok(choice)
            }
            Err(e) => Err(store_failure(&choice, &e)),
        }
    });
    r.clone().map_err(Error::op)
}

fn store_failure(choice: &StoreChoice, e: &keyring_core::Error) -> String {
    let why = describe(e);
    let hint = match choice.kind {
        StoreKind::SecretService => {
            "start a Secret Service (gnome-keyring, KeePassXC) or set TOKEX_STORE=keyutils"
        }
        StoreKind::Keyutils => {
            "the kernel keyring may be blocked (container seccomp); set TOKEX_STORE=secret-service"
        }
    };
    format!(
        "secret store {} ({}) is not usable: {why}; {hint}, or give the profile secret_env, secret_file or secret_command",
        choice.kind, choice.why
    )
}

/// keyring-core errors, described without ever formatting the bytes some variants carry.
fn describe(e: &keyring_core::Error) -> String {
    use keyring_core::Error as E;
    match e {
        E::PlatformFailure(p) => format!("platform failure: {p}"),
        E::NoStorageAccess(p) => format!(
            "no access to the store (locked?): {p}; unlock it (log in to the desktop session, or `gnome-keyring-daemon --unlock`), or set TOKEX_STORE=keyutils, or give the profile secret_env, secret_file or secret_command"
        ),
        E::NoEntry => "no secret stored".into(),
        E::BadEncoding(_) => "the stored secret is not UTF-8".into(),
        E::BadDataFormat(_, _) => "the stored secret is malformed".into(),
        E::BadStoreFormat(m) => format!("store format: {m}"),
        E::TooLong(what, max) => format!("{what} longer than {max}"),
        E::Invalid(what, why) => format!("invalid {what}: {why}"),
        E::Ambiguous(_) => "more than one matching entry in the store".into(),
        E::NoDefaultStore => "no store initialised".into(),
        E::NotSupportedByStore(m) => format!("not supported by the store: {m}"),
        _ => "unknown store error".into(),
    }
}

fn entry(name: &str) -> Result<(keyring_core::Entry, StoreChoice)> {
    let choice = init_store()?;
    let entry = keyring_core::Entry::new(SERVICE, name)
        .map_err(|e| Error::op(format!("secret store {}: {}", choice.kind, describe(&e))))?;
    Ok((entry, choice))
}

fn store_get(name: &str) -> Result<Secret> {
    let (entry, choice) = entry(name)?;
    match entry.get_password() {
        Ok(p) => Ok(Secret::new(p)),
        Err(keyring_core::Error::NoEntry) => Err(Error::usage(format!(
            "no secret in {} for this profile: run `tokex login {name}`",
            choice.kind
        ))),
        Err(e) => Err(Error::op(format!(
            "reading the secret from {}: {}",
            choice.kind,
            describe(&e)
        ))),
    }
}

fn store_set(name: &str, secret: &Secret) -> Result<()> {
    let (entry, choice) = entry(name)?;
    entry.set_password(secret.expose()).map_err(|e| {
        Error::op(format!(
            "writing the secret to {}: {}",
            choice.kind,
            describe(&e)
        ))
    })?;
    // A rotated refresh token that did not really land would lock the account out later;
    // find out now, while the caller still holds the old one.
    let back = entry.get_password().map_err(|e| {
        Error::op(format!(
            "reading back from {}: {}",
            choice.kind,
            describe(&e)
        ))
    })?;
    if back != secret.expose() {
        return Err(Error::op(format!(
            "{} did not read back the secret as written",
            choice.kind
        )));
    }
    Ok(())
}

/// Deletes the stored secret; `Ok(false)` when there was none.
pub fn store_delete(name: &str) -> Result<bool> {
    let (entry, choice) = entry(name)?;
    match entry.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring_core::Error::NoEntry) => Ok(false),
        Err(e) => Err(Error::op(format!(
            "deleting from {}: {}",
            choice.kind,
            describe(&e)
        ))),
    }
}

/// Whether the store holds a secret for `name`, for `status` (reads it, never shows it).
pub fn store_has(name: &str) -> Result<bool> {
    match store_get(name) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == crate::error::Kind::Usage => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_drops_the_newline_and_the_rest() {
        assert_eq!(first_line("abc\n".into()), "abc");
        assert_eq!(first_line("abc\r\nxyz".into()), "abc");
        assert_eq!(first_line("abc".into()), "abc");
    }

    #[test]
    fn loose_secret_file_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("s");
        std::fs::write(&f, "s3cret\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = read_secret_file(&f).unwrap_err();
        assert!(e.to_string().contains("chmod 600"), "{e}");
        assert!(!e.to_string().contains("s3cret"));
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_secret_file(&f).unwrap().expose(), "s3cret");
    }

    #[test]
    fn secret_command_output_and_failure() {
        assert_eq!(
            run_secret_command("printf 'abc\\n'").unwrap().expose(),
            "abc"
        );
        let e = run_secret_command("echo leaked; exit 3").unwrap_err();
        assert!(
            e.to_string().contains("failed") && !e.to_string().contains("leaked"),
            "{e}"
        );
    }
}
