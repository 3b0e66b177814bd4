//! What a profile may say: the provider ids and their options, the per-provider field rules,
//! and the checks a profile passes before tokex uses or writes it.

use super::{Discovered, StoreName};
use crate::error::{Error, Result, ResultExt};
use crate::urlpolicy::check_url;
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
}

/// RFC 6749 §2.3.1: HTTP Basic (the default servers must support) or the id and secret in the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum ClientAuth {
    ClientSecretBasic,
    ClientSecretPost,
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

/// One `[profiles.NAME]` table. Keys are the `profile add` flags with `-` written as `_`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub provider: ProviderId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_store_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<Grant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_auth: Option<ClientAuth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    #[serde(default, rename = "match", skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_command: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// Total time for one token request, retries included (`"30s"`; whole seconds too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<crate::duration::Seconds>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_url: Option<String>,
    /// OIDC issuer: its discovery document names the endpoints the other `*_url` fields leave out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_authorization_url: Option<String>,
    /// Hand out the ID token (Kubernetes OIDC) instead of the access token.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub use_id_token: bool,
    /// The kubectl exec plugin may run the sign-in itself when kubectl says it is interactive.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interactive: bool,
    /// A browser sign-in that asks for `offline_access` sends `prompt=consent`, as OpenID
    /// Connect Core §11 requires for a refresh token; `false` for providers that reject it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_prompt: Option<bool>,
    /// The issuer's endpoints as `profile add` discovered them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovered: Option<Discovered>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exec_env: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cargo_auth: Option<CargoAuth>,
    /// How long before the token's last stretch a cache hit starts a background refresh
    /// (e.g. "10m"; "0s" never): default a quarter of the token's lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_ahead: Option<String>,
    /// The secret store for this profile; else the config's `[defaults] store`, `TOKEX_STORE`,
    /// or the platform's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<StoreName>,
}

pub const CSP_DEFAULT_URL: &str = "https://console.cloud.vmware.com";
/// A token request that takes longer than an hour is not coming back.
pub const MAX_TIMEOUT_SECS: u64 = 3600;

impl Profile {
    pub fn empty(provider: ProviderId) -> Self {
        Profile {
            provider,
            url: None,
            tenant: None,
            client_id: None,
            identity_store_id: None,
            tenant_id: None,
            access_key_id: None,
            token_url: None,
            grant: None,
            client_auth: None,
            scope: None,
            audience: None,
            matches: Vec::new(),
            username: None,
            secret_env: None,
            secret_file: None,
            secret_command: None,
            ca_file: None,
            timeout: None,
            revocation_url: None,
            issuer: None,
            authorization_url: None,
            device_authorization_url: None,
            use_id_token: false,
            interactive: false,
            consent_prompt: None,
            discovered: None,
            exec_env: Vec::new(),
            cargo_auth: None,
            refresh_ahead: None,
            store: None,
        }
    }

    /// Whether the profile names its own secret source (`secret_env`, `secret_file`,
    /// `secret_command`) rather than a secret store.
    pub fn own_source(&self) -> bool {
        self.secret_env.is_some() || self.secret_file.is_some() || self.secret_command.is_some()
    }

    pub fn grant(&self) -> Grant {
        self.grant.unwrap_or(Grant::ClientCredentials)
    }

    /// The provider's base URL, with VMware Cloud Services' public default filled in.
    pub fn base_url(&self) -> Option<&str> {
        match (&self.url, self.provider) {
            (Some(u), _) => Some(u.as_str()),
            (None, ProviderId::VmwareCsp) => Some(CSP_DEFAULT_URL),
            (None, _) => None,
        }
    }

    /// Checks what the provider needs and what it would ignore, naming the field at fault.
    pub fn validate(&self) -> Result<()> {
        use ProviderId::*;
        let required: &[&str] = match self.provider {
            Vcd => &["url", "tenant"],
            VmwareCsp => &[],
            Virtana | HuaweiOneaccess => &["url", "client_id"],
            HuaweiIdentityCenter => &["url", "identity_store_id", "tenant_id", "access_key_id"],
            Oauth2 => match self.grant() {
                Grant::RefreshToken => &[],
                _ => &["client_id"],
            },
        };
        let allowed: &[&str] = match self.provider {
            Vcd => &["url", "tenant"],
            VmwareCsp => &["url"],
            Virtana | HuaweiOneaccess => &["url", "client_id"],
            HuaweiIdentityCenter => &["url", "identity_store_id", "tenant_id", "access_key_id"],
            Oauth2 => &[
                "token_url",
                "client_id",
                "grant",
                "client_auth",
                "scope",
                "audience",
                "revocation_url",
                "issuer",
                "authorization_url",
                "device_authorization_url",
                "use_id_token",
                "interactive",
                "consent_prompt",
            ],
        };
        for (field, set) in self.provider_fields() {
            if set && !allowed.contains(&field) {
                return Err(Error::usage(format!(
                    "`{field}` does not apply to provider {}",
                    self.provider
                )));
            }
            if !set && required.contains(&field) {
                return Err(Error::usage(format!(
                    "provider {} needs `{field}` (profile add --{})",
                    self.provider,
                    field.replace('_', "-")
                )));
            }
        }
        for (field, value) in [
            ("url", self.url.as_deref()),
            ("token_url", self.token_url.as_deref()),
            ("revocation_url", self.revocation_url.as_deref()),
            ("issuer", self.issuer.as_deref()),
            ("authorization_url", self.authorization_url.as_deref()),
            (
                "device_authorization_url",
                self.device_authorization_url.as_deref(),
            ),
        ] {
            if let Some(v) = value {
                check_url(v).context(format_args!("`{field}`"))?;
            }
        }
        if self.provider == Oauth2 {
            super::signin::validate(self)?;
        }
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

    fn provider_fields(&self) -> [(&'static str, bool); 16] {
        [
            ("url", self.url.is_some()),
            ("tenant", self.tenant.is_some()),
            ("client_id", self.client_id.is_some()),
            ("identity_store_id", self.identity_store_id.is_some()),
            ("tenant_id", self.tenant_id.is_some()),
            ("access_key_id", self.access_key_id.is_some()),
            ("token_url", self.token_url.is_some()),
            ("grant", self.grant.is_some()),
            ("client_auth", self.client_auth.is_some()),
            ("scope", self.scope.is_some() || self.audience.is_some()),
            ("issuer", self.issuer.is_some() || self.discovered.is_some()),
            ("authorization_url", self.authorization_url.is_some()),
            (
                "device_authorization_url",
                self.device_authorization_url.is_some(),
            ),
            ("use_id_token", self.use_id_token),
            ("interactive", self.interactive),
            ("consent_prompt", self.consent_prompt.is_some()),
        ]
    }

    /// How much of a token's life, before its last stretch, a hit may refresh it in the
    /// background: the profile's `refresh_ahead`, else a quarter of `lifetime`.
    pub fn refresh_ahead(&self, lifetime: time::Duration) -> time::Duration {
        self.refresh_ahead
            .as_deref()
            .and_then(|a| crate::duration::parse(a).ok())
            .unwrap_or(lifetime / 4)
    }

    /// Everything that shapes the token, as one string: the cache key is derived from it, so
    /// editing any of these fields invalidates a cached token.
    pub fn identity(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_is_bounded() {
        let mut p = Profile::empty(ProviderId::VmwareCsp);
        for (t, ok) in [(0, false), (1, true), (3600, true), (u64::MAX, false)] {
            p.timeout = Some(crate::duration::Seconds(t));
            assert_eq!(p.validate().is_ok(), ok, "{t}");
        }
    }
}
