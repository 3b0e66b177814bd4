//! Provider `oauth2`: a generic OAuth 2.0 / OIDC profile, the endpoints discovered from its
//! issuer, which endpoint it really uses (an explicit `*_url` wins over discovery), and the rules
//! of its grants.

use super::keyless::Subject;
use super::{ClientAuth, Grant};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// The fields of a `provider = "oauth2"` profile.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
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
    /// Keyless profiles: where the token exchanged comes from ([`Subject`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    /// The audience asked of the GitHub Actions OIDC token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_audience: Option<String>,
    /// token_exchange: the subject's RFC 8693 type (default [`super::JWT_TOKEN_TYPE`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_token_type: Option<String>,
    /// token_exchange: the RFC 8693 `requested_token_type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_token_type: Option<String>,
    /// token_exchange: the RFC 8693 `resource` (a URI of the service the token is for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// private_key_jwt: the assertion's `aud` (default: the token endpoint's URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assertion_audience: Option<String>,
}

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
            Grant::ClientCredentials
            | Grant::RefreshToken
            | Grant::TokenExchange
            | Grant::JwtBearer => &[Endpoint::Token],
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
            Grant::TokenExchange => "token_exchange",
            Grant::JwtBearer => "jwt_bearer",
        }
    }
}

/// The scope a sign-in asks for when the profile names none: an ID token and a refresh token.
pub const DEFAULT_SIGNIN_SCOPE: &str = "openid offline_access";

impl OAuth2 {
    pub fn grant(&self) -> Grant {
        self.grant.unwrap_or(Grant::ClientCredentials)
    }

    /// Every endpoint URL the profile names or discovered, with its field.
    pub fn urls(&self) -> Vec<(&'static str, &str)> {
        let own = [
            ("token_url", &self.token_url),
            ("revocation_url", &self.revocation_url),
            ("issuer", &self.issuer),
            ("authorization_url", &self.authorization_url),
            ("device_authorization_url", &self.device_authorization_url),
        ];
        let discovered = self.discovered.iter().flat_map(|d| {
            [
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
            ]
        });
        own.into_iter()
            .map(|(f, v)| (f, v.as_ref()))
            .chain(discovered)
            .filter_map(|(f, v)| v.map(|v| (f, v.as_str())))
            .collect()
    }

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

    /// The rules of the grant, its endpoints and its sign-in fields. `own_source`: the profile
    /// reads its secret from the environment, a file or a command.
    pub fn validate(&self, own_source: bool) -> Result<()> {
        let p = self;
        let grant = p.grant();
        let public = grant == Grant::RefreshToken
            || (matches!(grant, Grant::TokenExchange | Grant::JwtBearer)
                && p.client_auth.is_none());
        if p.client_id.is_none() && !public {
            return Err(Error::usage(format!(
                "provider oauth2 with grant {} needs `client_id` (profile add --client-id)",
                grant.name()
            )));
        }
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
        p.validate_keyless(own_source)?;
        if grant.signs_in() && own_source {
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
        if p.use_id_token && !grant.refreshes() {
            return Err(Error::usage(format!(
                "`use_id_token` needs a user's sign-in (grant device_code, authorization_code or refresh_token): {} issues no ID token",
                grant.name()
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Profile, Provider};

    fn oidc(grant: Grant) -> Profile {
        Profile::new(Provider::oauth2(OAuth2 {
            grant: Some(grant),
            client_id: Some("kubectl".into()),
            issuer: Some("https://idp.example/realms/r".into()),
            ..OAuth2::default()
        }))
    }

    fn fails(p: &Profile, says: &str) {
        let e = p.validate().unwrap_err().to_string();
        assert!(e.contains(says), "{e}");
    }

    fn edit(grant: Grant, change: impl FnOnce(&mut OAuth2)) -> Profile {
        let mut p = oidc(grant);
        let Provider::Oauth2(o) = &mut p.provider else {
            unreachable!()
        };
        change(o);
        p
    }

    #[test]
    fn an_explicit_url_wins_over_discovery() {
        let mut o = OAuth2 {
            grant: Some(Grant::DeviceCode),
            client_id: Some("kubectl".into()),
            issuer: Some("https://idp.example/realms/r".into()),
            ..OAuth2::default()
        };
        assert!(o.needs_discovery());
        o.discovered = Some(Discovered {
            token_endpoint: "https://idp.example/token".into(),
            authorization_endpoint: None,
            device_authorization_endpoint: Some("https://idp.example/device".into()),
            revocation_endpoint: Some("https://idp.example/revoke".into()),
        });
        assert!(!o.needs_discovery());
        o.token_url = Some("https://proxy.example/token".into());
        assert_eq!(
            o.endpoint(Endpoint::Token),
            Some("https://proxy.example/token")
        );
        assert_eq!(
            o.endpoint(Endpoint::Revocation),
            Some("https://idp.example/revoke")
        );
        assert_eq!(o.endpoint(Endpoint::Authorization), None);
        Profile::new(Provider::oauth2(o)).validate().unwrap();
    }

    #[test]
    fn sign_in_profiles_follow_their_rules() {
        oidc(Grant::AuthorizationCode).validate().unwrap();
        let p = edit(Grant::DeviceCode, |o| o.issuer = None);
        let e = p.validate().unwrap_err().to_string();
        assert!(
            e.contains("`issuer`") && e.contains("device_authorization_url"),
            "{e}"
        );
        fails(
            &edit(Grant::DeviceCode, |o| o.client_id = None),
            "client_id",
        );
        let mut p = oidc(Grant::DeviceCode);
        p.secret_env = Some("RT".into());
        fails(&p, "secret store");
        fails(
            &edit(Grant::RefreshToken, |o| o.interactive = true),
            "interactive",
        );
        fails(
            &edit(Grant::ClientCredentials, |o| o.use_id_token = true),
            "use_id_token",
        );
        fails(
            &edit(Grant::DeviceCode, |o| {
                o.issuer = Some("http://idp.example".into())
            }),
            "loopback",
        );
        fails(
            &edit(Grant::DeviceCode, |o| {
                o.discovered = Some(Discovered {
                    token_endpoint: "http://idp.example/token".into(),
                    authorization_endpoint: None,
                    device_authorization_endpoint: None,
                    revocation_endpoint: None,
                })
            }),
            "`discovered.token_endpoint`",
        );
    }
}
