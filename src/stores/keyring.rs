//! Any keyring-core store as a [`Store`]: entries `SERVICE`/profile, every write read back, and
//! keyring-core's errors described without formatting the bytes some of them carry.

use super::{Choice, Description, Role, SERVICE, Store};
use crate::error::{Error, Result};
use crate::sensitive::Secret;
use std::sync::Arc;

pub struct Keyring {
    inner: Arc<keyring_core::CredentialStore>,
    choice: Choice,
    location: &'static str,
    lifetime: &'static str,
    /// The ways out when the store refuses access, for this store only.
    unlock_hint: &'static str,
    /// A store's own reading of a platform error it knows (a locked keychain, a denied prompt).
    explain: fn(&keyring_core::Error) -> Option<String>,
}

impl Keyring {
    pub fn new(
        inner: Arc<keyring_core::CredentialStore>,
        choice: Choice,
        location: &'static str,
        lifetime: &'static str,
        unlock_hint: &'static str,
        explain: fn(&keyring_core::Error) -> Option<String>,
    ) -> Keyring {
        Keyring {
            inner,
            choice,
            location,
            lifetime,
            unlock_hint,
            explain,
        }
    }

    fn name(&self) -> &'static str {
        self.choice.kind.name()
    }

    fn entry(&self, account: &str) -> Result<keyring_core::Entry> {
        self.inner
            .build(SERVICE, account, None)
            .map_err(|e| Error::op(format!("secret store {}: {}", self.name(), self.why(&e))))
    }

    fn failed(&self, what: &str, e: &keyring_core::Error) -> Error {
        Error::op(format!("{what} {}: {}", self.name(), self.why(e)))
    }

    fn why(&self, e: &keyring_core::Error) -> String {
        use keyring_core::Error as E;
        if let Some(known) = (self.explain)(e) {
            return known;
        }
        match e {
            E::PlatformFailure(p) => format!("platform failure: {p}"),
            E::NoStorageAccess(p) => format!(
                "no access to the store: {p}; {}, or give the profile secret_env, secret_file or secret_command",
                self.unlock_hint
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
}

impl Store for Keyring {
    fn get(&self, account: &str) -> Result<Secret> {
        match self.entry(account)?.get_password() {
            Ok(p) => Ok(Secret::new(p)),
            Err(keyring_core::Error::NoEntry) => Err(Error::not_found(format!(
                "no secret in {} for this profile: run `tokex login {account}`",
                self.name()
            ))),
            Err(e) => Err(self.failed("reading the secret from", &e)),
        }
    }

    fn set(&self, account: &str, secret: &Secret) -> Result<()> {
        let entry = self.entry(account)?;
        // What a failed write puts back: a rotation must never cost the user the credential
        // they had.
        let previous = entry.get_password().ok().map(Secret::new);
        entry
            .set_password(secret.expose())
            .map_err(|e| self.failed("writing the secret to", &e))?;
        // A rotated refresh token that did not really land would lock the account out later;
        // find out now, while the caller still holds the old one.
        let checked = match entry.get_password() {
            Ok(back) if back == secret.expose() => Ok(()),
            Ok(_) => Err(Error::op(format!(
                "{} did not read back the secret as written",
                self.name()
            ))),
            Err(e) => Err(self.failed("reading back from", &e)),
        };
        if checked.is_err() {
            // Nothing half-written stays behind: the previous secret, or nothing.
            match &previous {
                Some(p) => {
                    let _ = entry.set_password(p.expose());
                }
                None => {
                    let _ = entry.delete_credential();
                }
            }
        }
        checked
    }

    fn delete(&self, account: &str) -> Result<bool> {
        match self.entry(account)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(self.failed("deleting from", &e)),
        }
    }

    fn probe(&self) -> Result<()> {
        super::probe_by_writing(self)
    }

    fn describe(&self) -> Description {
        Description {
            name: self.name().into(),
            location: self.location.into(),
            lifetime: self.lifetime,
            role: Role::Vault,
            quiet_read: true,
        }
    }
}

/// The line for a store that cannot even be opened, with the ways out for that store.
pub fn unusable(choice: Choice, e: &keyring_core::Error, hint: &str) -> Error {
    let why = match e {
        keyring_core::Error::PlatformFailure(p) | keyring_core::Error::NoStorageAccess(p) => {
            p.to_string()
        }
        _ => "it did not open".into(),
    };
    Error::op(format!(
        "secret store {} ({}) is not usable: {why}; {hint}, or give the profile secret_env, secret_file or secret_command",
        choice.kind.name(),
        choice.why
    ))
}
