//! What `tokex status` and `tokex doctor` ask beyond a profile's status: which OS store is in
//! use and whether it answers, whether a profile's token endpoint is reachable, a keyless
//! profile's subject, and a key-pair client's public key.

use super::Broker;
use super::rules::http_for;
use crate::error::{Result, ResultExt};

/// The OS secret store this process would use, and whether it answered a probe.
pub struct StoreCheck {
    /// `keyutils (default: …)`, or why no store could be chosen.
    pub chosen: Result<String>,
    /// `None` when not probed.
    pub answers: Option<Result<()>>,
}

impl Broker {
    /// Describes the OS store; probes it (without touching any profile's entry) when asked.
    pub fn store_check(&self, probe: bool) -> StoreCheck {
        let choice = crate::stores::choice(None);
        let answers = match &choice {
            Ok(c) if probe => Some(crate::stores::os_store(*c).and_then(|s| s.probe())),
            _ => None,
        };
        let chosen = choice.map(|c| format!("{} ({})", c.kind.name(), c.why));
        StoreCheck { chosen, answers }
    }

    /// A `GET` without credentials to the profile's token endpoint: any HTTP status proves DNS,
    /// the connection and TLS work. Returns the host and the status.
    pub fn endpoint_check(&self, name: &str) -> Result<(String, u16)> {
        let profile = self.config().get(name)?;
        let url = crate::providers::token_url(profile).for_profile(name)?;
        let status = http_for(profile)?.probe(&url)?;
        Ok((crate::urlpolicy::host(&url), status))
    }

    /// Whether any profile keeps its secret in the OS store.
    pub fn uses_os_store(&self) -> bool {
        self.config()
            .profiles
            .values()
            .any(|p| !p.own_source() && p.needs_secret())
    }

    /// `doctor` on a keyless profile: its subject token read from its source (the CI endpoint
    /// asked) and checked unexpired, with nothing exchanged. `None` for other profiles.
    pub fn subject_check(&self, name: &str) -> Result<Option<String>> {
        let profile = self.config().get(name)?;
        let Some(o) = profile.oauth2().filter(|o| o.wants_subject()) else {
            return Ok(None);
        };
        super::keyless::probe(self, name, o, profile.timeout.map(|t| t.0)).for_profile(name)?;
        Ok(Some(format!(
            "{}: read, not expired; nothing stored",
            super::keyless::describe(o).name
        )))
    }

    /// The public key of a `private_key_jwt` profile, from the private key in its store.
    pub fn public_jwk(&self, name: &str) -> Result<crate::keypair::Jwk> {
        let profile = self.config().get(name)?;
        let signs = profile
            .oauth2()
            .is_some_and(|o| o.client_auth() == Some(crate::config::ClientAuth::PrivateKeyJwt));
        if !signs {
            return Err(crate::error::Error::usage(
                "--jwk applies to profiles with `client_auth = \"private_key_jwt\"`",
            )
            .for_profile(name));
        }
        let stored = self.store(name, profile)?.get(name).for_profile(name)?;
        crate::keypair::KeyPair::parse(stored.expose())
            .map(|k| k.public_jwk())
            .map_err(|e| crate::error::Error::op(format!("the stored key: {e}")).for_profile(name))
    }
}
