//! What a profile may say: the provider ids and their options, the fields every profile may
//! have, and the checks a profile passes before tokex uses or writes it.

use super::{OAuth2, Provider, StoreName};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
#[value(rename_all = "kebab-case")]
pub enum ProviderId {
    Vcd,
    VmwareCsp,
    Virtana,
    HuaweiOneaccess,
    HuaweiIdentityCenter,
    Oauth2,
}

impl ProviderId {
    pub fn name(self) -> &'static str {
        match self {
            ProviderId::Vcd => "vcd",
            ProviderId::VmwareCsp => "vmware-csp",
            ProviderId::Virtana => "virtana",
            ProviderId::HuaweiOneaccess => "huawei-oneaccess",
            ProviderId::HuaweiIdentityCenter => "huawei-identity-center",
            ProviderId::Oauth2 => "oauth2",
        }
    }
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Grant {
    ClientCredentials,
    RefreshToken,
    /// RFC 8628: `tokex login` shows a code to enter in any browser; then a refresh token.
    DeviceCode,
    /// RFC 6749 §4.1 with PKCE and a loopback redirect (RFC 8252): `tokex login` opens a
    /// browser; then a refresh token.
    AuthorizationCode,
    /// RFC 8693: the `subject` token exchanged for the provider's own.
    TokenExchange,
    /// RFC 7523 §2.1: the `subject` token as the grant's assertion.
    JwtBearer,
}

/// How a confidential client proves itself: RFC 6749 §2.3.1's HTTP Basic (the default servers
/// must support) or the id and secret in the form, or a signed JWT (RFC 7523 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum ClientAuth {
    ClientSecretBasic,
    ClientSecretPost,
    /// RFC 7523 §2.2: an assertion tokex signs with the private key in the profile's store.
    PrivateKeyJwt,
    /// The `subject` token is the client assertion (Microsoft Entra workload identity).
    ClientAssertion,
}

/// How `tokex cargo` hands the token to cargo, which sends it as the whole `Authorization`
/// value: `Bearer TOKEN` (the default), or the token alone for registries that want it raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum CargoAuth {
    Bearer,
    Raw,
}

/// One `[profiles.NAME]` table: the provider's own fields ([`Provider`]), then what every
/// profile may say. Keys are the `profile add` flags with `-` written as `_`.
/// Read by [`super::read`] in one pass; written by serde's derive.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    /// `provider = "NAME"` and that provider's fields; any key neither it nor the fields below
    /// take is refused there (its variants deny unknown fields).
    #[serde(flatten)]
    pub provider: Provider,
    #[serde(rename = "match", skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_env: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_command: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// Total time for one token request, retries included (`"30s"`; whole seconds too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<crate::duration::Seconds>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exec_env: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cargo_auth: Option<CargoAuth>,
    /// How long before the token's last stretch a cache hit starts a background refresh
    /// (e.g. "10m"; "0s" never): default a quarter of the token's lifetime.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_ahead: Option<String>,
    /// The secret store for this profile; else the config's `[defaults] store`, `TOKEX_STORE`,
    /// or the platform's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<StoreName>,
}

/// A token request that takes longer than an hour is not coming back.
pub const MAX_TIMEOUT_SECS: u64 = 3600;

impl Profile {
    /// A profile of `provider` that says nothing else.
    pub fn new(provider: Provider) -> Self {
        Profile {
            provider,
            matches: Vec::new(),
            username: None,
            secret_env: None,
            secret_file: None,
            secret_command: None,
            ca_file: None,
            timeout: None,
            exec_env: Vec::new(),
            cargo_auth: None,
            refresh_ahead: None,
            store: None,
        }
    }

    pub fn id(&self) -> ProviderId {
        self.provider.id()
    }

    /// The oauth2 fields, for what only that provider does (sign-in, discovery, revocation).
    pub fn oauth2(&self) -> Option<&OAuth2> {
        match &self.provider {
            Provider::Oauth2(o) => Some(o),
            _ => None,
        }
    }

    /// Whether the profile names its own secret source (`secret_env`, `secret_file`,
    /// `secret_command`) rather than a secret store.
    pub fn own_source(&self) -> bool {
        self.secret_env.is_some() || self.secret_file.is_some() || self.secret_command.is_some()
    }

    /// Keeps the endpoints an oauth2 profile's issuer named (other providers have no issuer).
    pub fn set_discovered(&mut self, found: super::Discovered) {
        if let Provider::Oauth2(o) = &mut self.provider {
            o.discovered = Some(found);
        }
    }

    /// Whether the profile's token requests need a secret from a store: every profile's but a
    /// keyless one's, whose subject token is all its proof.
    pub fn needs_secret(&self) -> bool {
        self.oauth2().is_none_or(|o| o.needs_secret())
    }

    /// Whether the profile signs the user in with `tokex login` (oauth2's device_code and
    /// authorization_code grants) rather than storing a secret it is given.
    pub fn signs_in(&self) -> bool {
        self.oauth2().is_some_and(|o| o.grant().signs_in())
    }

    /// The rules the types cannot say, naming the field at fault.
    pub fn validate(&self) -> Result<()> {
        self.provider.validate(self.own_source())?;
        let sources = [&self.secret_env, &self.secret_file, &self.secret_command];
        let own = sources.iter().filter(|s| s.is_some()).count();
        if own + usize::from(self.store.is_some()) > 1 {
            return Err(Error::usage(
                "choose one of `store`, `secret_env`, `secret_file`, `secret_command`",
            ));
        }
        if self
            .timeout
            .is_some_and(|t| !(1..=MAX_TIMEOUT_SECS).contains(&t.0))
        {
            return Err(Error::usage(format!(
                "`timeout` must be 1s to {MAX_TIMEOUT_SECS}s"
            )));
        }
        if let Some(ahead) = &self.refresh_ahead {
            crate::duration::parse(ahead)
                .map_err(|e| Error::usage(format!("`refresh_ahead`: {e}")))?;
        }
        for (field, value) in [
            ("secret_file", &self.secret_file),
            ("ca_file", &self.ca_file),
        ] {
            if value
                .as_deref()
                .is_some_and(|v| !std::path::Path::new(v).is_absolute())
            {
                return Err(Error::usage(format!("`{field}` must be an absolute path")));
            }
        }
        for m in &self.matches {
            crate::matching::check_pattern(m).map_err(|e| Error::usage(format!("`match`: {e}")))?;
        }
        for var in &self.exec_env {
            if var.is_empty() || var.contains(['=', '\0']) {
                return Err(Error::usage(format!(
                    "`exec_env`: {var:?} is not a variable name"
                )));
            }
        }
        Ok(())
    }

    /// How much of a token's life, before its last stretch, a hit may refresh it in the
    /// background: the profile's `refresh_ahead`, else a quarter of `lifetime`.
    pub fn refresh_ahead(&self, lifetime: time::Duration) -> time::Duration {
        self.refresh_ahead
            .as_deref()
            .and_then(|a| crate::duration::parse(a).ok())
            .unwrap_or(lifetime / 4)
    }

    /// Writes everything that shapes the token (every field, as JSON) to `into`: the cache key
    /// is derived from it, so editing any field invalidates a cached token.
    pub fn write_identity(&self, into: &mut impl std::io::Write) {
        // Serialising plain data to a hash cannot fail.
        let _ = serde_json::to_writer(into, self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_is_bounded() {
        let mut p = Profile::new(Provider::VmwareCsp(Default::default()));
        for (t, ok) in [(0, false), (1, true), (3600, true), (u64::MAX, false)] {
            p.timeout = Some(crate::duration::Seconds(t));
            assert_eq!(p.validate().is_ok(), ok, "{t}");
        }
    }
}
