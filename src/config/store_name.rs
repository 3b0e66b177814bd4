//! The names of the secret stores, as a profile's `store`, `TOKEX_STORE` and `--store` say them.

use serde::{Deserialize, Serialize};

/// The secret stores a profile's `store` (or `TOKEX_STORE`) may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
#[value(rename_all = "kebab-case")]
// `--store` offers (and completes) only the stores of the platform it runs on; a config naming
// another platform's store still parses, and says which stores this one has.
pub enum StoreName {
    #[cfg_attr(not(target_os = "linux"), value(skip))]
    SecretService,
    #[cfg_attr(not(target_os = "linux"), value(skip))]
    Keyutils,
    Pass,
    /// The Windows Credential Manager.
    #[cfg_attr(not(windows), value(skip))]
    Wincred,
    /// The macOS login Keychain.
    #[cfg_attr(not(target_os = "macos"), value(skip))]
    Keychain,
}

impl StoreName {
    pub fn name(self) -> &'static str {
        match self {
            StoreName::SecretService => "secret-service",
            StoreName::Keyutils => "keyutils",
            StoreName::Pass => "pass",
            StoreName::Wincred => "wincred",
            StoreName::Keychain => "keychain",
        }
    }
}
