//! Token exchange: a provider turns a profile and its secret into an HTTP request, and the
//! provider's answer into a [`Token`]. Each takes its own profile variant
//! ([`crate::config::Provider`]); providers that differ only in a URL and a form are data in
//! one shape ([`form_post`]); only Huawei Identity Center, which signs, has a shape of its own.

mod huawei_idc;
pub mod huawei_sign;
mod oauth2;
pub mod oidc;
pub mod response;
mod vmware;

use crate::config::{Endpoint, Profile, Provider};
use crate::error::{Error, Result};
use crate::http::{Http, Request};
use crate::sensitive::Secret;
use crate::token::Token;
use crate::urlpolicy::check_url;
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// What an exchange is given: the secret from the profile's store (none for a keyless
/// profile) and the subject token (keyless profiles only).
#[derive(Debug, Clone, Copy, Default)]
pub struct Proof<'a> {
    pub secret: Option<&'a Secret>,
    pub subject: Option<&'a Secret>,
}

impl<'a> Proof<'a> {
    /// The stored secret; the broker reads one for every profile that needs it.
    pub fn secret(&self) -> Result<&'a Secret> {
        self.secret
            .ok_or_else(|| Error::op("no secret was read for a profile that needs one"))
    }

    /// The subject token; the broker fetches one for every profile that exchanges it.
    pub fn subject(&self) -> Result<&'a Secret> {
        self.subject
            .ok_or_else(|| Error::op("no subject token was read for a keyless profile"))
    }

    /// What the provider's answer must not echo.
    fn redacted(&self) -> Vec<&'a Secret> {
        self.secret.into_iter().chain(self.subject).collect()
    }
}

/// Exchanges the profile's long-lived secret, or its subject token, for an access token.
///
/// Where the secret is a refresh token a user signed in for, the provider's `invalid_grant`
/// (expired, revoked, signed out elsewhere) is [`Kind::NotFound`](crate::error::Kind): a new
/// sign-in is what it takes, as when nothing was stored.
pub fn exchange(http: &Http, profile: &Profile, proof: Proof) -> Result<Token> {
    let req = build(profile, proof, OffsetDateTime::now_utc())?;
    let hide = proof.redacted();
    if let Provider::Oauth2(o) = &profile.provider
        && o.grant().refreshes()
    {
        let answer = http.send_answer(&req, &hide)?;
        let received = OffsetDateTime::now_utc();
        if !answer.is_success() {
            let line = answer.describe(&hide);
            return Err(match response::OAuthError::parse(&answer.body) {
                Some(e) if e.error == "invalid_grant" => Error::not_found(line),
                _ => Error::op(line),
            });
        }
        return response::parse_as(&answer.body, received, &hide, o.use_id_token);
    }
    // The answer holds the access token (and maybe a refresh token): wiped when parsed.
    let body = Zeroizing::new(http.send(&req, &hide)?);
    let received = OffsetDateTime::now_utc();
    if let Some(o) = profile.oauth2()
        && o.grant() == crate::config::Grant::TokenExchange
    {
        oauth2::check_issued_type(o, &body)?;
    }
    response::parse(&body, received, &hide)
}

/// Revokes `token` at the profile's revocation endpoint (RFC 7009); `false` when the profile has
/// none, which is every provider but `oauth2`.
pub fn revoke(
    http: &Http,
    profile: &Profile,
    proof: Proof,
    token: &Secret,
    hint: &str,
) -> Result<bool> {
    let Some(o) = profile.oauth2() else {
        return Ok(false);
    };
    match oauth2::revocation(o, proof, token, hint, OffsetDateTime::now_utc())? {
        Some(req) => {
            let mut hide = proof.redacted();
            hide.push(token);
            http.send(&req, &hide).map(|_| true)
        }
        None => Ok(false),
    }
}

/// Where the profile's token requests go, without building one (no secret needed): for
/// `tokex doctor`'s reachability check.
pub fn token_url(profile: &Profile) -> Result<reqwest::Url> {
    match &profile.provider {
        Provider::Vcd(p) => vmware::vcd_url(p),
        Provider::VmwareCsp(p) => vmware::csp_url(p),
        Provider::Virtana(p) => oauth2::vendor_url(p, oauth2::VIRTANA_PATH),
        Provider::HuaweiOneaccess(p) => oauth2::vendor_url(p, oauth2::ONEACCESS_PATH),
        Provider::HuaweiIdentityCenter(p) => huawei_idc::url(p),
        Provider::Oauth2(o) => oauth2::endpoint_url(o, Endpoint::Token),
    }
}

/// The request a provider sends, for a given moment (Huawei signs the time; a client assertion
/// carries it).
pub fn build(profile: &Profile, proof: Proof, now: OffsetDateTime) -> Result<Request> {
    match &profile.provider {
        Provider::Vcd(p) => vmware::vcd(p, proof.secret()?),
        Provider::VmwareCsp(p) => vmware::csp(p, proof.secret()?),
        Provider::Virtana(p) => oauth2::vendor(p, oauth2::VIRTANA_PATH, proof.secret()?),
        Provider::HuaweiOneaccess(p) => oauth2::vendor(p, oauth2::ONEACCESS_PATH, proof.secret()?),
        Provider::HuaweiIdentityCenter(p) => huawei_idc::request(p, proof.secret()?, now),
        Provider::Oauth2(o) => oauth2::request(o, proof, now),
    }
}

/// Whether a `refresh_token` in this provider's answer replaces the stored secret: only where
/// the secret *is* a refresh token (vCD API tokens and service accounts, CSP API tokens, OAuth 2.0
/// refresh_token grants), never where it is a client secret.
pub fn rotates(profile: &Profile) -> bool {
    match &profile.provider {
        Provider::Vcd(_) | Provider::VmwareCsp(_) => true,
        Provider::Oauth2(o) => o.grant().refreshes(),
        Provider::Virtana(_) | Provider::HuaweiOneaccess(_) | Provider::HuaweiIdentityCenter(_) => {
            false
        }
    }
}

/// Whether the profile's endpoints still have to be read from its issuer's discovery document.
pub fn discovers(profile: &Profile) -> bool {
    profile.oauth2().is_some_and(|o| o.needs_discovery())
}

/// Whether `logout` revokes the profile's tokens at an RFC 7009 endpoint (where it names one).
pub fn revokes(profile: &Profile) -> bool {
    profile.oauth2().is_some()
}

const CSP_HEADER: &str = "csp-auth-token";

/// A header some provider's token goes in, by its name (an agent's client learns it that way).
pub fn known_header(name: &str) -> Option<&'static str> {
    [CSP_HEADER]
        .into_iter()
        .find(|h| h.eq_ignore_ascii_case(name))
}

/// Whether the provider's token goes in its own header rather than `Authorization`: CSP's
/// APIs want `csp-auth-token`.
pub fn own_header(profile: &Profile) -> Option<&'static str> {
    match profile.provider {
        Provider::VmwareCsp(_) => Some(CSP_HEADER),
        Provider::Vcd(_)
        | Provider::Virtana(_)
        | Provider::HuaweiOneaccess(_)
        | Provider::HuaweiIdentityCenter(_)
        | Provider::Oauth2(_) => None,
    }
}

/// `base` + `path`, keeping any path prefix `base` already has (a proxy mount point).
fn endpoint(base: &str, path: &str) -> Result<reqwest::Url> {
    let url = check_url(base).map_err(|e| e.context("`url`"))?;
    let joined = format!("{}{}", url.as_str().trim_end_matches('/'), path);
    check_url(&joined).map_err(|e| e.context("`url`"))
}

/// A `POST` of an `application/x-www-form-urlencoded` body with `Accept: application/json`,
/// optionally with HTTP Basic client authentication encoded as RFC 6749 §2.3.1 requires.
fn form_post(
    url: reqwest::Url,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> Result<Request> {
    let body = Zeroizing::new(encode_form(form).into_bytes());
    let mut headers = vec![
        (
            "Content-Type".to_string(),
            "application/x-www-form-urlencoded".to_string(),
        ),
        ("Accept".to_string(), "application/json".to_string()),
    ];
    if let Some((id, secret)) = basic {
        use base64::Engine;
        let pair = Zeroizing::new(format!("{}:{}", form_encode(id), form_encode(secret)));
        let b64 = base64::engine::general_purpose::STANDARD.encode(pair.as_bytes());
        headers.push(("Authorization".to_string(), format!("Basic {b64}")));
    }
    Ok(Request {
        method: reqwest::Method::POST,
        url,
        headers,
        body,
    })
}

fn encode_form(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `application/x-www-form-urlencoded` encoding of one name or value.
fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// One path segment, percent-encoded (an org or store name may hold any character).
fn path_segment(s: &str) -> String {
    form_encode(s).replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_form_encodes_id_and_secret_first() {
        let url = reqwest::Url::parse("https://as.example/token").unwrap();
        let r = form_post(
            url,
            &[("grant_type", "client_credentials")],
            Some(("s=cr%t", "a b+c")),
        )
        .unwrap();
        let auth = r
            .headers
            .iter()
            .find(|(k, _)| k == "Authorization")
            .unwrap();
        use base64::Engine;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.1.strip_prefix("Basic ").unwrap())
            .unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), "s%3Dcr%25t:a+b%2Bc");
        assert_eq!(&r.body[..], b"grant_type=client_credentials");
    }

    #[test]
    fn endpoint_keeps_a_path_prefix() {
        assert_eq!(
            endpoint("https://h.example/base/", "/oauth/provider/token")
                .unwrap()
                .as_str(),
            "https://h.example/base/oauth/provider/token"
        );
        assert!(endpoint("http://h.example", "/x").is_err());
    }
}
