//! Which OS store holds a profile's secret, and why: the profile's `store` (or the config's
//! `[defaults] store`), else `TOKEX_STORE`, else the Secret Service when a D-Bus session bus is
//! there (a desktop login), else the kernel keyring (when it takes a test write).

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
    match set.as_deref() {
        Some("secret-service") => {
            return named(StoreName::SecretService, "TOKEX_STORE=secret-service");
        }
        Some("keyutils") => return named(StoreName::Keyutils, "TOKEX_STORE=keyutils"),
        Some("pass") => return named(StoreName::Pass, "TOKEX_STORE=pass"),
        Some(other) => {
            return Err(Error::usage(format!(
                "TOKEX_STORE={:?} is not a store: use secret-service, keyutils or pass",
                other.chars().take(40).collect::<String>()
            )));
        }
        None => {}
    }
    let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty());
    Ok(if bus {
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
    })
}
