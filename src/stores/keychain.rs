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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StoreName;
    use crate::sensitive::Secret;
    use crate::stores::Store;

    /// On a Mac with an unlocked login keychain (the workflow's macOS runners): a 16 KB secret
    /// is written, read back exactly and deleted, under a scratch account no profile can have.
    #[test]
    fn a_16_kb_secret_round_trips_through_the_login_keychain() {
        let choice = Choice {
            kind: StoreName::Keychain,
            why: "test",
            default: false,
        };
        let store = open(choice).unwrap();
        let account = format!(".tokex-test-{}", std::process::id());
        let secret = Secret::new(
            (0..16 * 1024)
                .map(|i| (b'a' + (i % 26) as u8) as char)
                .collect(),
        );
        store.set(&account, &secret).unwrap();
        assert!(store.get(&account).unwrap() == secret);
        assert!(store.delete(&account).unwrap());
        assert!(store.get(&account).unwrap_err().is_not_found());
    }
}
