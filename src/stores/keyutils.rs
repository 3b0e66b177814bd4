//! The Linux kernel keyring (keyutils): no daemon, works over SSH and on servers; its keys are
//! gone at reboot.

use super::Choice;
use super::keyring::{Keyring, unusable};
use crate::error::Result;

pub fn open(choice: Choice) -> Result<Keyring> {
    let inner = linux_keyutils_keyring_store::Store::new().map_err(|e| {
        unusable(
            choice,
            &e,
            "the kernel keyring may be blocked (container seccomp); set TOKEX_STORE=secret-service",
        )
    })?;
    Ok(Keyring::new(
        inner,
        choice,
        "the kernel keyring",
        "until reboot",
        "the kernel refused access to its keyring (a container's seccomp profile, or a session keyring without access)",
    ))
}
