//! Which OS store holds a profile's secret, and why: the profile's `store` (or the config's
//! `[defaults] store`), else `TOKEX_STORE`, else this platform's own: the Credential Manager on
//! Windows, the login Keychain on macOS, and on Linux the Secret Service when a D-Bus session
//! bus is there (a desktop login), else the kernel keyring (when it takes a test write).

use crate::config::StoreName;
use crate::error::{Error, Result};

/// The OS store chosen, and why, for `status`, `doctor` and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub kind: StoreName,
    pub why: &'static str,
    /// Chosen by default rather than by the user: tested before it is trusted.
    pub default: bool,
}

/// The stores `TOKEX_STORE` may name, each with the words a choice of it gives.
const NAMED: [(StoreName, &str); 5] = [
    (StoreName::SecretService, "TOKEX_STORE=secret-service"),
    (StoreName::Keyutils, "TOKEX_STORE=keyutils"),
    (StoreName::Pass, "TOKEX_STORE=pass"),
    (StoreName::Wincred, "TOKEX_STORE=wincred"),
    (StoreName::Keychain, "TOKEX_STORE=keychain"),
];

pub fn choice(profile: Option<StoreName>) -> Result<Choice> {
    let named = |kind, why| {
        Ok(Choice {
            kind,
            why,
            default: false,
        })
    };
    if let Some(kind) = profile {
        return named(kind, "the profile's `store`");
    }
    let set = std::env::var("TOKEX_STORE").ok().filter(|v| !v.is_empty());
    if let Some(set) = set {
        return match NAMED.iter().find(|(kind, _)| kind.name() == set) {
            Some(&(kind, why)) => named(kind, why),
            None => Err(Error::usage(format!(
                "TOKEX_STORE={:?} is not a store: use {}",
                crate::printable::printable(&set, crate::printable::SHORT),
                super::AVAILABLE.join(", ")
            ))),
        };
    }
    Ok(platform_default())
}

#[cfg(windows)]
fn platform_default() -> Choice {
    Choice {
        kind: StoreName::Wincred,
        why: "default on Windows",
        default: true,
    }
}

#[cfg(target_os = "macos")]
fn platform_default() -> Choice {
    Choice {
        kind: StoreName::Keychain,
        why: "default on macOS",
        default: true,
    }
}

#[cfg(not(any(windows, target_os = "macos")))]
fn platform_default() -> Choice {
    let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty());
    if bus {
        Choice {
            kind: StoreName::SecretService,
            why: "default: a D-Bus session bus is present",
            default: true,
        }
    } else {
        Choice {
            kind: StoreName::Keyutils,
            why: "default: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset)",
            default: true,
        }
    }
}
