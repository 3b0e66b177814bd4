//! The Secret Service (gnome-keyring, KeePassXC) over the D-Bus session bus: a desktop login's
//! store, kept on disk until deleted and unlocked with the login.

use super::Choice;
use super::keyring::{Keyring, unusable};
use crate::error::Result;

pub fn open(choice: Choice) -> Result<Keyring> {
    let inner = zbus_secret_service_keyring_store::Store::new().map_err(|e| {
        unusable(
            choice,
            &e,
            "start a Secret Service (gnome-keyring, KeePassXC) or set TOKEX_STORE=keyutils",
        )
    })?;
    Ok(Keyring::new(
        inner,
        choice,
        "the Secret Service's default collection",
        "until deleted",
        "is it locked? unlock it (log in to the desktop session, or `gnome-keyring-daemon --unlock`), or set TOKEX_STORE=keyutils",
        |_| None,
    ))
}
