//! What `tokex status` and `tokex doctor` ask beyond a profile's status: which OS store is in
//! use and whether it answers, and whether a profile's token endpoint is reachable.

use super::rules::http_for;
use super::{Broker, Tokens};
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
        self.config().profiles.values().any(|p| !p.own_source())
    }
}
