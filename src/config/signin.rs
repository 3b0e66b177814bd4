//! OAuth 2.0 / OIDC profiles that sign the user in: the endpoints discovered from an issuer, which
//! endpoint a profile really uses (an explicit `*_url` wins over discovery), and the rules such a
//! profile obeys.

use super::{Grant, Profile};
use crate::error::{Error, Result};
use crate::urlpolicy::check_url;
use serde::{Deserialize, Serialize};

/// What `ISSUER/.well-known/openid-configuration` said, kept in the profile so that no token
/// request has to ask again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Discovered {
    pub token_endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_authorization_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
}

/// The endpoints a profile may need, for messages and lookups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Token,
    Authorization,
    DeviceAuthorization,
    Revocation,
}

impl Endpoint {
    /// The profile field that sets it, and the discovery document's name for it.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Endpoint::Token => ("token_url", "token_endpoint"),
            Endpoint::Authorization => ("authorization_url", "authorization_endpoint"),
            Endpoint::DeviceAuthorization => {
                ("device_authorization_url", "device_authorization_endpoint")
            }
            Endpoint::Revocation => ("revocation_url", "revocation_endpoint"),
        }
    }

    /// The endpoints `grant` needs to sign in and to refresh.
    pub fn needed_by(grant: Grant) -> &'static [Endpoint] {
        match grant {
            Grant::DeviceCode => &[Endpoint::DeviceAuthorization, Endpoint::Token],
            Grant::AuthorizationCode => &[Endpoint::Authorization, Endpoint::Token],
            Grant::ClientCredentials | Grant::RefreshToken => &[Endpoint::Token],
        }
    }
}

impl Grant {
    /// Whether `tokex login` signs the user in (rather than reading a secret), after which the
    /// stored secret is a refresh token.
    pub fn signs_in(self) -> bool {
        matches!(self, Grant::DeviceCode | Grant::AuthorizationCode)
    }

    /// Whether the stored secret is a refresh token, exchanged with the refresh_token grant.
    pub fn refreshes(self) -> bool {
        self == Grant::RefreshToken || self.signs_in()
    }

    pub fn name(self) -> &'static str {
        match self {
            Grant::ClientCredentials => "client_credentials",
            Grant::RefreshToken => "refresh_token",
            Grant::DeviceCode => "device_code",
            Grant::AuthorizationCode => "authorization_code",
        }
    }
}

/// The scope a sign-in asks for when the profile names none: an ID token and a refresh token.
pub const DEFAULT_SIGNIN_SCOPE: &str = "openid offline_access";

impl Profile {
    /// The URL of `which`: the profile's own field, else what discovery found.
    pub fn endpoint(&self, which: Endpoint) -> Option<&str> {
        let own = match which {
            Endpoint::Token => &self.token_url,
            Endpoint::Authorization => &self.authorization_url,
            Endpoint::DeviceAuthorization => &self.device_authorization_url,
            Endpoint::Revocation => &self.revocation_url,
        };
        let found = self.discovered.as_ref().and_then(|d| match which {
            Endpoint::Token => Some(&d.token_endpoint),
            Endpoint::Authorization => d.authorization_endpoint.as_ref(),
            Endpoint::DeviceAuthorization => d.device_authorization_endpoint.as_ref(),
            Endpoint::Revocation => d.revocation_endpoint.as_ref(),
        });
        own.as_ref().or(found).map(String::as_str)
    }

    /// Whether an endpoint the grant needs is neither set nor discovered yet, so the issuer's
    /// discovery document must be read first.
    pub fn needs_discovery(&self) -> bool {
        self.issuer.is_some()
            && Endpoint::needed_by(self.grant())
                .iter()
                .any(|e| self.endpoint(*e).is_none())
    }

    /// The scope a sign-in asks for.
    pub fn signin_scope(&self) -> &str {
        self.scope.as_deref().unwrap_or(DEFAULT_SIGNIN_SCOPE)
    }

    /// Whether a browser sign-in sends `prompt=consent`: when it asks for `offline_access`
    /// (an OpenID Provider must otherwise ignore that scope, OIDC Core §11), unless the profile
    /// says `consent_prompt = false`.
    pub fn asks_consent(&self) -> bool {
        self.consent_prompt != Some(false)
            && self
                .signin_scope()
                .split_ascii_whitespace()
                .any(|s| s == "offline_access")
    }
}

/// The rules of an oauth2 profile's grant, endpoints and sign-in fields.
pub(super) fn validate(p: &Profile) -> Result<()> {
    let grant = p.grant();
    if p.issuer.is_none()
        && let Some(missing) = Endpoint::needed_by(grant)
            .iter()
            .find(|e| p.endpoint(**e).is_none())
    {
        let field = missing.names().0;
        return Err(Error::usage(format!(
            "provider oauth2 with grant {} needs `issuer` (profile add --issuer) or `{field}` (profile add --{})",
            grant.name(),
            field.replace('_', "-")
        )));
    }
    if let Some(d) = &p.discovered {
        for (field, value) in [
            ("discovered.token_endpoint", Some(&d.token_endpoint)),
            (
                "discovered.authorization_endpoint",
                d.authorization_endpoint.as_ref(),
            ),
            (
                "discovered.device_authorization_endpoint",
                d.device_authorization_endpoint.as_ref(),
            ),
            (
                "discovered.revocation_endpoint",
                d.revocation_endpoint.as_ref(),
            ),
        ] {
            if let Some(v) = value {
                check_url(v).map_err(|e| e.context(format_args!("`{field}`")))?;
            }
        }
    }
    if grant != Grant::ClientCredentials && p.client_auth.is_some() {
        return Err(Error::usage(format!(
            "`client_auth` applies to the client_credentials grant only (the {} grant is a public client: it sends `client_id` in the form)",
            grant.name()
        )));
    }
    if grant.signs_in() && p.own_source() {
        return Err(Error::usage(format!(
            "grant {} keeps the refresh token it signs in for in a secret store: drop `secret_env`, `secret_file` and `secret_command`",
            grant.name()
        )));
    }
    if p.consent_prompt.is_some() && grant != Grant::AuthorizationCode {
        return Err(Error::usage(
            "`consent_prompt` applies to the authorization_code grant (the browser sign-in)",
        ));
    }
    if p.interactive && !grant.signs_in() {
        return Err(Error::usage(
            "`interactive` applies to the device_code and authorization_code grants (the ones that sign in)",
        ));
    }
    if p.use_id_token && grant == Grant::ClientCredentials {
        return Err(Error::usage(
            "`use_id_token` needs a user's sign-in (grant device_code, authorization_code or refresh_token): client_credentials issues no ID token",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProviderId;

    fn oidc(grant: Grant) -> Profile {
        let mut p = Profile::empty(ProviderId::Oauth2);
        p.grant = Some(grant);
        p.client_id = Some("kubectl".into());
        p.issuer = Some("https://idp.example/realms/r".into());
        p
    }

    #[test]
    fn an_explicit_url_wins_over_discovery() {
        let mut p = oidc(Grant::DeviceCode);
        assert!(p.needs_discovery());
        p.discovered = Some(Discovered {
            token_endpoint: "https://idp.example/token".into(),
            authorization_endpoint: None,
            device_authorization_endpoint: Some("https://idp.example/device".into()),
            revocation_endpoint: Some("https://idp.example/revoke".into()),
        });
        assert!(!p.needs_discovery());
        p.token_url = Some("https://proxy.example/token".into());
        assert_eq!(
            p.endpoint(Endpoint::Token),
            Some("https://proxy.example/token")
        );
        assert_eq!(
            p.endpoint(Endpoint::Revocation),
            Some("https://idp.example/revoke")
        );
        assert_eq!(p.endpoint(Endpoint::Authorization), None);
        p.validate().unwrap();
    }

    #[test]
    fn sign_in_profiles_follow_their_rules() {
        oidc(Grant::AuthorizationCode).validate().unwrap();
        let mut p = oidc(Grant::DeviceCode);
        p.issuer = None;
        let e = p.validate().unwrap_err().to_string();
        assert!(
            e.contains("`issuer`") && e.contains("device_authorization_url"),
            "{e}"
        );
        let mut p = oidc(Grant::DeviceCode);
        p.client_id = None;
        assert!(p.validate().unwrap_err().to_string().contains("client_id"));
        let mut p = oidc(Grant::DeviceCode);
        p.secret_env = Some("RT".into());
        assert!(
            p.validate()
                .unwrap_err()
                .to_string()
                .contains("secret store")
        );
        let mut p = oidc(Grant::RefreshToken);
        p.interactive = true;
        assert!(
            p.validate()
                .unwrap_err()
                .to_string()
                .contains("interactive")
        );
        let mut p = oidc(Grant::ClientCredentials);
        p.use_id_token = true;
        assert!(
            p.validate()
                .unwrap_err()
                .to_string()
                .contains("use_id_token")
        );
        let mut p = oidc(Grant::DeviceCode);
        p.issuer = Some("http://idp.example".into());
        assert!(p.validate().unwrap_err().to_string().contains("loopback"));
        let mut p = Profile::empty(ProviderId::Vcd);
        p.url = Some("https://vcd.example".into());
        p.tenant = Some("t".into());
        p.issuer = Some("https://idp.example".into());
        assert!(
            p.validate()
                .unwrap_err()
                .to_string()
                .contains("does not apply")
        );
    }
}
