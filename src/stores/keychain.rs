//! The macOS login Keychain: a generic password with service `tokex` and account PROFILE, shown
//! in Keychain Access and found by `security find-generic-password -s tokex -a PROFILE`. Kept
//! until deleted; readable while the login keychain is unlocked (it unlocks with the login).

use super::Choice;
use super::keyring::{Keyring, unusable};
use crate::error::Result;

pub fn open(choice: Choice) -> Result<Keyring> {
    let inner = apple_native_keyring_store::keychain::Store::new().map_err(|e| {
        unusable(
            choice,
            &e,
            "check the login keychain in Keychain Access, or set TOKEX_STORE=pass",
        )
    })?;
    Ok(Keyring::new(
        inner,
        choice,
        "the login Keychain, service tokex, account = profile (security find-generic-password -s tokex -a PROFILE)",
        "until deleted",
        "unlock the login keychain (`security unlock-keychain`), or set TOKEX_STORE=pass",
        explain,
    ))
}

/// The Keychain's answers a user can act on, named with what to do.
fn explain(e: &keyring_core::Error) -> Option<String> {
    let keyring_core::Error::PlatformFailure(inner) = e else {
        return None;
    };
    let code = inner
        .downcast_ref::<security_framework::base::Error>()?
        .code();
    Some(match code {
        // errSecInteractionNotAllowed: locked, and no window may ask (SSH, a daemon).
        -25308 => "the login keychain is locked and macOS may not ask to unlock it here (an SSH session?): run `security unlock-keychain` first, or set TOKEX_STORE=pass".into(),
        // errSecUserCanceled, errSecAuthFailed: the access prompt was dismissed or denied.
        -128 | -25293 => "access to the Keychain item was denied at macOS's prompt: run the command again and choose Allow (or Always Allow)".into(),
        _ => return None,
    })
}
