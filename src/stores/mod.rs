//! Where a profile's long-lived secret lives, behind one trait: the OS secret store (on Linux
//! the Secret Service or the kernel keyring, on Windows the Credential Manager, on macOS the
//! login Keychain), `pass`, or, for CI and password managers, an environment variable, a 0600
//! file, or a command's output. Never a plaintext file of ours.

mod choice;
mod command;
mod env;
mod file;
#[cfg(target_os = "macos")]
mod keychain;
#[cfg(any(target_os = "linux", target_os = "macos"))]
mod keyring;
#[cfg(target_os = "linux")]
mod keyutils;
#[cfg(test)]
pub mod memory;
mod pass;
#[cfg(target_os = "linux")]
mod secret_service;
#[cfg(windows)]
mod wincred;

pub use choice::{Choice, choice};

use crate::config::{Profile, StoreName};
use crate::error::{Error, Result};
use crate::sensitive::Secret;
use std::sync::{Arc, Mutex};

/// The keyring service name; the account is the profile name.
pub const SERVICE: &str = "tokex";
pub use crate::sensitive::MAX_SECRET;

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

/// The store that holds `profile`'s secret.
pub fn for_profile(profile: &Profile) -> Result<Arc<dyn Store>> {
    if let Some(var) = &profile.secret_env {
        Ok(Arc::new(env::Env::new(var)))
    } else if let Some(path) = &profile.secret_file {
        Ok(Arc::new(file::File::new(path)))
    } else if let Some(cmd) = &profile.secret_command {
        Ok(Arc::new(command::Command::new(cmd)))
    } else {
        os_store(choice(profile.store)?)
    }
}

/// Whether reading `profile`'s secret may ask the user something (pass's gpg may start a
/// pinentry; a `secret_command` may prompt): such a read happens only where a user is present,
/// never in a background refresh. Decided from the profile alone, without opening anything.
pub fn may_prompt(profile: &Profile) -> bool {
    // A keyless profile reads no secret at all.
    if !profile.needs_secret() {
        return false;
    }
    if profile.secret_command.is_some() {
        return true;
    }
    !profile.own_source() && choice(profile.store).is_ok_and(|c| c.kind == StoreName::Pass)
}

/// The OS store `choice` names, opened once per process and choice (the Secret Service costs a
/// D-Bus connection; the default kernel keyring, a test write). Keyed by the whole choice, not
/// the kind alone: a store named by a profile is not tested as a default, and each one
/// describes why it was chosen.
pub fn os_store(choice: Choice) -> Result<Arc<dyn Store>> {
    type Opened = (Choice, std::result::Result<Arc<dyn Store>, (bool, String)>);
    static OPENED: Mutex<Vec<Opened>> = Mutex::new(Vec::new());
    let mut opened = OPENED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let found = match opened.iter().find(|(c, _)| *c == choice) {
        Some((_, result)) => result.clone(),
        None => {
            let result = open(choice).map_err(|e| {
                (
                    e.kind() == crate::error::Kind::Usage,
                    e.message().to_string(),
                )
            });
            opened.push((choice, result.clone()));
            result
        }
    };
    found.map_err(|(usage, m)| if usage { Error::usage(m) } else { Error::op(m) })
}

/// The stores that can hold a secret on this platform, as `TOKEX_STORE` names them.
#[cfg(target_os = "linux")]
pub const AVAILABLE: &[&str] = &["secret-service", "keyutils", "pass"];
#[cfg(windows)]
pub const AVAILABLE: &[&str] = &["wincred", "pass"];
#[cfg(target_os = "macos")]
pub const AVAILABLE: &[&str] = &["keychain", "pass"];
#[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
pub const AVAILABLE: &[&str] = &["pass"];

fn open(choice: Choice) -> Result<Arc<dyn Store>> {
    Ok(match choice.kind {
        StoreName::Pass => Arc::new(pass::Pass),
        // A session bus address whose bus does not answer (an SSH login that kept a desktop's
        // variables): the default moves on to the kernel keyring, as if there were no bus.
        #[cfg(target_os = "linux")]
        StoreName::SecretService if choice.default => match secret_service::open(choice) {
            Ok(store) => Arc::new(store),
            Err(e) => {
                crate::log::debug(|| format!("{}; trying the kernel keyring", e.message()));
                return open(Choice {
                    kind: StoreName::Keyutils,
                    why: "default: no Secret Service answers on the session bus",
                    default: true,
                });
            }
        },
        #[cfg(target_os = "linux")]
        StoreName::SecretService => Arc::new(secret_service::open(choice)?),
        #[cfg(target_os = "linux")]
        StoreName::Keyutils => {
            let store = keyutils::open(choice)?;
            if choice.default {
                // The default must really take a write, or it is not a default worth having.
                probe_by_writing(&store).map_err(|e| no_default(&e))?;
            }
            Arc::new(store)
        }
        #[cfg(windows)]
        StoreName::Wincred => Arc::new(wincred::open(choice)?),
        #[cfg(target_os = "macos")]
        StoreName::Keychain => Arc::new(keychain::open(choice)?),
        // Every store is named here on every platform: a new one does not compile until it is.
        #[cfg(not(target_os = "linux"))]
        StoreName::SecretService | StoreName::Keyutils => return Err(unavailable(choice.kind)),
        #[cfg(not(windows))]
        StoreName::Wincred => return Err(unavailable(choice.kind)),
        #[cfg(not(target_os = "macos"))]
        StoreName::Keychain => return Err(unavailable(choice.kind)),
    })
}

fn unavailable(kind: StoreName) -> Error {
    Error::usage(format!(
        "secret store {} is not available on this platform; use {} (TOKEX_STORE or the profile's `store`), or give the profile secret_env, secret_file or secret_command",
        kind.name(),
        AVAILABLE.join(", ")
    ))
}

#[cfg(target_os = "linux")]
fn no_default(e: &Error) -> Error {
    Error::op(format!(
        "no usable secret store: no D-Bus session bus for a Secret Service, and the kernel keyring refused a test write ({}); set TOKEX_STORE=pass (a gpg-encrypted password store), or give the profile secret_env, secret_file or secret_command",
        e.message()
    ))
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
        let mut p = Profile::sample(crate::config::ProviderId::VmwareCsp);
        p.secret_env = Some("TOKEX_TEST_NEVER_SET".into());
        let store = for_profile(&p).unwrap();
        assert_eq!(store.describe().name, "secret_env TOKEX_TEST_NEVER_SET");
        assert_eq!(store.describe().role, Role::ReadOnly);
        assert!(store.get("p").unwrap_err().is_not_found());
    }
}
