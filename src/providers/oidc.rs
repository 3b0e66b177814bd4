//! The messages of an OAuth 2.0 / OIDC sign-in, typed: the discovery document (OpenID Connect
//! Discovery 1.0 §4), the device authorization grant (RFC 8628 §3.1–3.5) and the authorization
//! code grant with PKCE (RFC 6749 §4.1, RFC 7636 §4). Building and reading them only: the
//! sign-in itself (polling, the browser, the redirect listener) is the broker's.

use super::form_post;
use super::oauth2::{client_id, endpoint_url};
use crate::config::{Discovered, Endpoint, OAuth2};
use crate::error::{Error, Result};
use crate::http::{Answer, Request};
use crate::sensitive::Secret;
use crate::urlpolicy::check_url;
use serde::Deserialize;
use zeroize::Zeroizing;

/// RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default."
pub const DEFAULT_INTERVAL_SECS: u64 = 5;
/// RFC 8628 §3.5: `slow_down` adds 5 seconds to the interval, for this and later requests.
pub const SLOW_DOWN_SECS: u64 = 5;
/// The slowest tokex polls, whatever a server asks: a device code lives minutes, not hours.
pub const MAX_INTERVAL_SECS: u64 = 60;
/// The longest user code shown: codes are typed by hand (RFC 8628 §6.1 suggests 8 characters).
const MAX_USER_CODE: usize = 64;

/// `GET ISSUER/.well-known/openid-configuration`.
pub fn discovery_request(issuer: &str) -> Result<Request> {
    let base = check_url(issuer).map_err(|e| e.context("`issuer`"))?;
    let url = format!(
        "{}/.well-known/openid-configuration",
        base.as_str().trim_end_matches('/')
    );
    Ok(Request {
        method: reqwest::Method::GET,
        url: check_url(&url)?,
        headers: vec![("Accept".into(), "application/json".into())],
        body: Zeroizing::new(Vec::new()),
    })
}

#[derive(Deserialize)]
struct DiscoveryDocument {
    issuer: String,
    token_endpoint: Option<String>,
    authorization_endpoint: Option<String>,
    device_authorization_endpoint: Option<String>,
    revocation_endpoint: Option<String>,
}

/// Reads a discovery document for `issuer`: it must name that issuer (Discovery §4.3, so a
/// document cannot send tokens elsewhere by claiming another identity), and every endpoint must
/// obey tokex's URL rule.
pub fn parse_discovery(body: &[u8], issuer: &str) -> Result<Discovered> {
    let doc: DiscoveryDocument = serde_json::from_slice(body).map_err(|e| {
        if body.trim_ascii_start().starts_with(b"<") {
            Error::op("the discovery document is an HTML page, not JSON: check the issuer URL")
        } else {
            Error::op(format!("the discovery document is not valid JSON ({e})"))
        }
    })?;
    let same = |a: &str, b: &str| a.trim_end_matches('/') == b.trim_end_matches('/');
    if !same(&doc.issuer, issuer) {
        return Err(Error::op(format!(
            "the discovery document names issuer \"{}\", not \"{}\" (use the issuer URL exactly as the provider states it)",
            crate::printable::printable(&doc.issuer, crate::printable::LINE),
            crate::printable::printable(issuer, crate::printable::LINE)
        )));
    }
    let checked = |field: &str, v: Option<String>| -> Result<Option<String>> {
        match v {
            // Kept in its serialised form: percent-encoded, nothing in it acts on a terminal.
            Some(u) => check_url(&u)
                .map(|url| Some(url.as_str().to_string()))
                .map_err(|e| e.context(format_args!("the discovery document's `{field}`"))),
            None => Ok(None),
        }
    };
    let token_endpoint = checked("token_endpoint", doc.token_endpoint)?
        .ok_or_else(|| Error::op("the discovery document names no `token_endpoint`"))?;
    Ok(Discovered {
        token_endpoint,
        authorization_endpoint: checked("authorization_endpoint", doc.authorization_endpoint)?,
        device_authorization_endpoint: checked(
            "device_authorization_endpoint",
            doc.device_authorization_endpoint,
        )?,
        revocation_endpoint: checked("revocation_endpoint", doc.revocation_endpoint)?,
    })
}

/// RFC 8628 §3.1: a public client asks for a device code.
pub fn device_authorization_request(profile: &OAuth2) -> Result<Request> {
    let url = endpoint_url(profile, Endpoint::DeviceAuthorization)?;
    let client_id = client_id(profile)?;
    form_post(
        url,
        &[("client_id", client_id), ("scope", profile.signin_scope())],
        None,
    )
}

/// RFC 8628 §3.2, with Google's and Entra's older spelling `verification_url` accepted.
#[derive(Deserialize)]
pub struct DeviceAuthorization {
    device_code: Secret,
    pub user_code: String,
    #[serde(alias = "verification_url")]
    pub verification_uri: String,
    #[serde(default)]
    pub verification_uri_complete: Option<String>,
    pub expires_in: u64,
    #[serde(default)]
    pub interval: Option<u64>,
}

impl DeviceAuthorization {
    pub fn parse(answer: &Answer) -> Result<DeviceAuthorization> {
        if !answer.is_success() {
            return Err(Error::op(format!(
                "device authorization refused: {}",
                answer.describe(&[])
            )));
        }
        let d: DeviceAuthorization = serde_json::from_slice(&answer.body).map_err(|e| {
            let what = if answer.body.trim_ascii_start().starts_with(b"<") {
                "an HTML page".to_string()
            } else {
                format!("not the RFC 8628 answer ({e})")
            };
            Error::op(format!(
                "the device authorization endpoint answered with {what}"
            ))
        })?;
        for (field, value) in [
            ("verification_uri", Some(&d.verification_uri)),
            (
                "verification_uri_complete",
                d.verification_uri_complete.as_ref(),
            ),
        ] {
            if let Some(v) = value {
                // Shown to the user to open: it must at least be a web address.
                let url = reqwest::Url::parse(v).map_err(|_| {
                    Error::op(format!("the device authorization's {field} is not a URL"))
                })?;
                if !matches!(url.scheme(), "https" | "http") {
                    return Err(Error::op(format!(
                        "the device authorization's {field} is not a web address"
                    )));
                }
            }
        }
        if d.user_code.is_empty()
            || d.user_code.len() > MAX_USER_CODE
            || d.user_code.chars().any(crate::printable::is_unsafe)
        {
            return Err(Error::op(
                "the device authorization's user_code is unusable",
            ));
        }
        Ok(d)
    }

    /// The polling interval in seconds: the server's, at least one second and at most
    /// [`MAX_INTERVAL_SECS`].
    pub fn interval(&self) -> u64 {
        self.interval
            .unwrap_or(DEFAULT_INTERVAL_SECS)
            .clamp(1, MAX_INTERVAL_SECS)
    }

    /// What the user is shown: the serialised URLs (percent-encoded, so nothing in them acts on
    /// a terminal) and the user code made printable.
    pub fn shown(&self) -> (String, String, Option<String>) {
        let url = |v: &str| {
            reqwest::Url::parse(v).map_or_else(
                |_| crate::printable::printable(v, crate::printable::LINE),
                |u| crate::printable::printable(u.as_str(), crate::printable::URL),
            )
        };
        (
            url(&self.verification_uri),
            crate::printable::printable(&self.user_code, MAX_USER_CODE),
            self.verification_uri_complete.as_deref().map(url),
        )
    }

    pub fn device_code(&self) -> Secret {
        self.device_code.clone()
    }
}

/// RFC 8628 §3.4: one poll of the token endpoint.
pub fn device_token_request(profile: &OAuth2, device_code: &Secret) -> Result<Request> {
    form_post(
        endpoint_url(profile, Endpoint::Token)?,
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", device_code.expose()),
            ("client_id", client_id(profile)?),
        ],
        None,
    )
}

/// What one poll of the device flow says (RFC 8628 §3.5).
#[derive(Debug, PartialEq, Eq)]
pub enum Poll {
    /// A token answer: parse it.
    Granted,
    Pending,
    SlowDown,
    /// The user said no, the code expired, or anything else final: the line says which.
    Stop(String),
}

pub fn poll_outcome(answer: &Answer, secrets: &[&Secret]) -> Poll {
    if answer.is_success() {
        return Poll::Granted;
    }
    let code = super::response::OAuthError::parse(&answer.body).map(|e| e.error);
    match code.as_deref() {
        Some("authorization_pending") => Poll::Pending,
        Some("slow_down") => Poll::SlowDown,
        Some("access_denied") => Poll::Stop("the sign-in was denied (access_denied)".into()),
        Some("expired_token") => Poll::Stop(
            "the device code expired before the sign-in was completed (expired_token)".into(),
        ),
        _ => Poll::Stop(answer.describe(secrets)),
    }
}

/// RFC 6749 §4.1.1 with RFC 7636 §4.3: where the browser goes. The endpoint's own query
/// parameters (some providers put a policy or tenant there) are kept.
pub fn authorization_url(
    profile: &OAuth2,
    redirect_uri: &str,
    state: &str,
    code_challenge: &str,
) -> Result<reqwest::Url> {
    let mut url = endpoint_url(profile, Endpoint::Authorization)?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id(profile)?)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", profile.signin_scope())
        .append_pair("state", state)
        .append_pair("code_challenge", code_challenge)
        .append_pair("code_challenge_method", "S256");
    if profile.asks_consent() {
        url.query_pairs_mut().append_pair("prompt", "consent");
    }
    Ok(url)
}

/// RFC 6749 §4.1.3 with RFC 7636 §4.5: the code, the same redirect URI, the verifier.
pub fn code_token_request(
    profile: &OAuth2,
    code: &Secret,
    redirect_uri: &str,
    verifier: &Secret,
) -> Result<Request> {
    form_post(
        endpoint_url(profile, Endpoint::Token)?,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.expose()),
            ("redirect_uri", redirect_uri),
            ("client_id", client_id(profile)?),
            ("code_verifier", verifier.expose()),
        ],
        None,
    )
}

#[cfg(test)]
mod tests;
