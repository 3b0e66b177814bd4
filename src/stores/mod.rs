//! Where a profile's long-lived secret lives, behind one trait: the OS secret store (Secret
//! Service or the Linux kernel keyring, through keyring-core), or, for CI and password managers,
//! an environment variable, a 0600 file, or a command's output. Never a plaintext file of ours.

mod command;
mod env;
mod file;
mod keyring;
#[cfg(target_os = "linux")]
mod keyutils;
#[cfg(test)]
pub mod memory;
#[cfg(target_os = "linux")]
mod secret_service;

use crate::config::Profile;
use crate::error::{Error, Result};
use crate::sensitive::Secret;
use std::sync::{Arc, OnceLock};

/// The keyring service name; the account is the profile name.
pub const SERVICE: &str = "tokex";
/// No secret tokex keeps is longer than this; more is not a credential.
pub const MAX_SECRET: u64 = 64 * 1024;

pub trait Store: Send + Sync {
    /// The secret for `account`; an error of kind `NotFound` when there is none.
    fn get(&self, account: &str) -> Result<Secret>;
    /// Writes `secret`, then reads it back: `Ok` means the next process will find it.
    fn set(&self, account: &str, secret: &Secret) -> Result<()>;
    /// Deletes the secret: `Ok(false)` when there was none.
    fn delete(&self, account: &str) -> Result<bool>;
    /// Whether the store answers at all, without touching any profile's entry.
    fn probe(&self) -> Result<()>;
    fn describe(&self) -> Description;
}

/// A source of the secret that tokex reads and never writes (`secret_env`, `secret_command`):
/// as a [`Store`], writes are refused by name and there is nothing to delete or probe.
pub trait ReadOnly: Send + Sync {
    fn read(&self) -> Result<Secret>;
    fn describe(&self) -> Description;
}

impl<T: ReadOnly> Store for T {
    fn get(&self, _account: &str) -> Result<Secret> {
        self.read()
    }

    fn set(&self, _account: &str, _secret: &Secret) -> Result<()> {
        Err(Error::usage(format!(
            "the secret comes from {}; tokex cannot write it there",
            ReadOnly::describe(self).name
        )))
    }

    fn delete(&self, _account: &str) -> Result<bool> {
        Ok(false)
    }

    fn probe(&self) -> Result<()> {
        Ok(())
    }

    fn describe(&self) -> Description {
        ReadOnly::describe(self)
    }
}

/// What `status`, `doctor` and messages say about a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    /// `keyutils`, `secret-service`, `secret_env VAR`, `secret_file PATH`, `secret_command`.
    pub name: String,
    /// Where the data is kept, in words.
    pub location: String,
    /// How long it lives.
    pub lifetime: &'static str,
    pub role: Role,
    /// Whether reading it is free of side effects, so `status` and `doctor` may (a command may
    /// prompt for a password).
    pub quiet_read: bool,
}

/// What tokex may do with a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// tokex's own store: `login` writes it, `logout` deletes, a rotation is written back.
    Vault,
    /// The user's `secret_file`: a rotation is written back; `login` and `logout` leave it.
    UserFile,
    /// Read only (`secret_env`, `secret_command`): a rotation cannot be kept.
    ReadOnly,
}

/// Whether `profile` keeps its secret in the OS store rather than a source of its own.
pub fn in_os_store(profile: &Profile) -> bool {
    profile.secret_env.is_none()
        && profile.secret_file.is_none()
        && profile.secret_command.is_none()
}

/// The store that holds `profile`'s secret.
pub fn for_profile(profile: &Profile) -> Result<Arc<dyn Store>> {
    if let Some(var) = &profile.secret_env {
        Ok(Arc::new(env::Env::new(var)))
    } else if let Some(path) = &profile.secret_file {
        Ok(Arc::new(file::File::new(path)))
    } else if let Some(cmd) = &profile.secret_command {
        Ok(Arc::new(command::Command::new(cmd)))
    } else {
        os_store()
    }
}

/// The OS store chosen for this process and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub kind: OsStore,
    pub why: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OsStore {
    SecretService,
    Keyutils,
}

impl OsStore {
    pub fn name(self) -> &'static str {
        match self {
            OsStore::SecretService => "secret-service",
            OsStore::Keyutils => "keyutils",
        }
    }
}

/// `TOKEX_STORE` decides; otherwise the Secret Service when a D-Bus session bus is there (a
/// desktop login), else the kernel keyring (SSH sessions, containers, servers).
pub fn choice() -> Result<Choice> {
    let set = std::env::var("TOKEX_STORE").ok().filter(|v| !v.is_empty());
    let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty());
    let (kind, why) = match set.as_deref() {
        Some("secret-service") => (OsStore::SecretService, "TOKEX_STORE=secret-service"),
        Some("keyutils") => (OsStore::Keyutils, "TOKEX_STORE=keyutils"),
        Some(other) => {
            return Err(Error::usage(format!(
                "TOKEX_STORE={:?} is not a store: use secret-service or keyutils",
                other.chars().take(40).collect::<String>()
            )));
        }
        None if bus => (
            OsStore::SecretService,
            "default: a D-Bus session bus is present",
        ),
        None => (
            OsStore::Keyutils,
            "default: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset)",
        ),
    };
    Ok(Choice { kind, why })
}

/// The OS store, opened once per process (the Secret Service costs a D-Bus connection).
pub fn os_store() -> Result<Arc<dyn Store>> {
    let choice = choice()?;
    static OPENED: OnceLock<std::result::Result<Arc<dyn Store>, String>> = OnceLock::new();
    OPENED
        .get_or_init(|| open(choice).map_err(|e| e.message().to_string()))
        .clone()
        .map_err(Error::op)
}

#[cfg(target_os = "linux")]
fn open(choice: Choice) -> Result<Arc<dyn Store>> {
    Ok(match choice.kind {
        OsStore::SecretService => Arc::new(secret_service::open(choice)?),
        OsStore::Keyutils => Arc::new(keyutils::open(choice)?),
    })
}

#[cfg(not(target_os = "linux"))]
fn open(choice: Choice) -> Result<Arc<dyn Store>> {
    Err(Error::op(format!(
        "secret store {} is not available on this platform; give the profile secret_env, secret_file or secret_command",
        choice.kind.name()
    )))
}

/// A store's probe that proves what `login` needs: a scratch entry (never a profile's: profile
/// names cannot start with `.`) written, read back in full and deleted.
pub fn probe_by_writing(store: &dyn Store) -> Result<()> {
    let account = format!(".tokex-probe-{}", std::process::id());
    let nonce = Secret::new(format!(
        "probe-{}",
        time::OffsetDateTime::now_utc().unix_timestamp_nanos()
    ));
    store.set(&account, &nonce)?;
    let back = store.get(&account);
    let gone = store.delete(&account);
    if back? != nonce {
        return Err(Error::op("the probe entry did not read back as written"));
    }
    match gone? {
        true => Ok(()),
        false => Err(Error::op("the probe entry could not be found to delete")),
    }
}

/// The first line of a secret's text, the rest wiped: files and commands may end in a newline.
fn first_line(mut text: String) -> String {
    let end = text.find(['\n', '\r']).unwrap_or(text.len());
    let line = text[..end].to_string();
    zeroize::Zeroize::zeroize(&mut text);
    line
}

/// An empty secret is no secret: `NotFound`, naming where it was looked for.
fn non_empty(secret: Secret, from: &str) -> Result<Secret> {
    if secret.is_empty() {
        Err(Error::not_found(format!("the secret from {from} is empty")))
    } else {
        Ok(secret)
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
    fn a_profile_s_own_source_wins_over_the_os_store() {
        let mut p = Profile::empty(crate::config::ProviderId::VmwareCsp);
        p.secret_env = Some("TOKEX_TEST_NEVER_SET".into());
        let store = for_profile(&p).unwrap();
        assert_eq!(store.describe().name, "secret_env TOKEX_TEST_NEVER_SET");
        assert_eq!(store.describe().role, Role::ReadOnly);
        assert!(store.get("p").unwrap_err().is_not_found());
    }
}
