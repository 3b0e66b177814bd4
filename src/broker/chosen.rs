//! What a caller learns of a profile: its name and the few facts a protocol answer needs, never
//! its provider, URLs or secret. The same data whether the broker is this process's or an
//! agent's across a socket (`agent::wire` carries it as is).

use crate::config::{CargoAuth, Config, Profile};
use crate::error::{Error, Result};
use crate::matching::Target;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chosen {
    pub name: String,
    /// The user name a protocol reports with the token (git's Basic, docker's answer).
    pub username: Option<String>,
    /// `tokex exec`'s variables when the command line names none.
    pub exec_env: Vec<String>,
    pub cargo_auth: Option<CargoAuth>,
    /// A missing refresh token may be mended by an interactive sign-in (kubectl).
    pub signs_in: bool,
}

impl Chosen {
    pub fn of(name: &str, profile: &Profile) -> Chosen {
        Chosen {
            name: name.to_string(),
            username: profile.username.clone(),
            exec_env: profile.exec_env.clone(),
            cargo_auth: profile.cargo_auth,
            signs_in: profile
                .oauth2()
                .is_some_and(|o| o.grant().signs_in() && o.interactive),
        }
    }
}

/// One `match` entry and the user name it answers with (docker's `list`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listed {
    pub profile: String,
    pub pattern: String,
    pub username: Option<String>,
}

/// `Some(name)` resolved to its profile, else the profile whose `match` fits `target`.
pub fn choose_in(
    config: &Config,
    named: Option<&str>,
    target: &dyn Fn() -> Result<Target>,
) -> Result<Option<Chosen>> {
    Ok(config
        .choose(named, target)?
        .map(|(name, profile)| Chosen::of(name, profile)))
}

/// Every profile's `match` entries, in profile order.
pub fn listing_in(config: &Config) -> Vec<Listed> {
    config
        .profiles
        .iter()
        .flat_map(|(name, p)| {
            p.matches.iter().map(|m| Listed {
                profile: name.clone(),
                pattern: m.clone(),
                username: p.username.clone(),
            })
        })
        .collect()
}

/// A name no profile of this broker has.
pub fn no_target() -> Result<Target> {
    Err(Error::usage("a profile name is needed here"))
}
