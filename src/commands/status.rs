//! `tokex status [NAME]`: the store in use, the config and cache paths, and per profile where its
//! secret lives and its cached token's state. Never a secret.

use super::Io;
use crate::broker::{Accounts, Broker, CachedState, Role, SecretState};
use crate::callers::write;
use crate::error::Result;
use crate::token::rfc3339;

pub fn run(broker: &Broker, only: Option<&str>, io: &mut Io) -> Result<()> {
    let config = broker.config();
    let mut out = String::new();
    match broker.store_check(false).chosen {
        Ok(store) => out.push_str(&format!("secret store: {store}\n")),
        Err(e) => out.push_str(&format!("secret store: {e}\n")),
    }
    out.push_str(&format!("config: {}\n", config.path.display()));
    let cache = broker.cache().dir().map(|d| d.display().to_string());
    out.push_str(&format!("cache: {}\n", cache.as_deref().unwrap_or("none")));
    // Each store's description (where it keeps a secret, for how long) is said once, after
    // the profiles that name it.
    let mut stores: Vec<String> = Vec::new();
    let names: Vec<&str> = match only {
        Some(n) => vec![n],
        None => config.profiles.keys().map(String::as_str).collect(),
    };
    for name in names {
        let profile = config.get(name)?;
        let status = broker.status(name)?;
        let source = &status.secret.source;
        let own = source.role == Role::Vault;
        let secret = match &status.secret.state {
            _ if !profile.needs_secret() => {
                let state = match &status.secret.state {
                    SecretState::Missing(why) | SecretState::Failed(why) => why.as_str(),
                    SecretState::Present | SecretState::NotChecked => "there",
                };
                format!(
                    "none: keyless, its proof is {} ({state}); nothing stored",
                    source.name
                )
            }
            SecretState::Present if own => {
                let said = format!(
                    "{}: {}; kept {}",
                    source.name, source.location, source.lifetime
                );
                if !stores.contains(&said) {
                    stores.push(said);
                }
                format!("stored in {}", source.name)
            }
            SecretState::Present => format!("from {} (set)", source.name),
            SecretState::Missing(_) if own => format!("missing (run `tokex login {name}`)"),
            SecretState::Missing(_) => format!("from {} (not set)", source.name),
            SecretState::Failed(e) => format!("store error: {e}"),
            SecretState::NotChecked => format!("from {}", source.name),
        };
        let cached = match status.cached {
            CachedState::Valid { until } => format!("valid until {}", rfc3339(until)),
            CachedState::Expired { at } => format!("expired at {}", rfc3339(at)),
            CachedState::None => "none".to_string(),
        };
        out.push_str(&format!(
            "{name}: provider {}; secret {secret}; cached token {cached}\n",
            profile.provider
        ));
    }
    for store in stores {
        out.push_str(&format!("store {store}\n"));
    }
    write(io.stdout, &out)
}
