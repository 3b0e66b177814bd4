//! RFC 6749 token requests and their keyless kin (RFC 8693 token exchange, RFC 7523's JWT
//! bearer grant and client assertions), and the two vendor endpoints that are client_credentials with a
//! fixed path: Virtana (`/authorization/oauth/token`) and Huawei OneAccess (`/api/v2/tenant/token`).

use super::{Proof, endpoint, form_post};
use crate::config::{ClientApp, ClientAuth, Endpoint, Grant, JWT_TOKEN_TYPE, OAuth2};
use crate::error::{Error, Result};
use crate::http::Request;
use crate::keypair::KeyPair;
use crate::sensitive::Secret;
use crate::urlpolicy::check_url;
use time::OffsetDateTime;

pub const VIRTANA_PATH: &str = "/authorization/oauth/token";
pub const ONEACCESS_PATH: &str = "/api/v2/tenant/token";

pub fn vendor_url(app: &ClientApp, path: &str) -> Result<reqwest::Url> {
    endpoint(&app.url, path)
}

/// The URL of an endpoint the profile names or discovered; a usage error naming the field when
/// it has neither.
pub fn endpoint_url(profile: &OAuth2, which: Endpoint) -> Result<reqwest::Url> {
    let (field, discovered) = which.names();
    let value = profile.endpoint(which).ok_or_else(|| {
        let from = match &profile.issuer {
            Some(issuer) => format!("; {issuer}'s discovery document names no `{discovered}`"),
            None => String::new(),
        };
        crate::error::Error::usage(format!("profile needs `{field}`{from}"))
    })?;
    check_url(value).map_err(|e| e.context(format_args!("`{field}`")))
}

/// A vendor's client_credentials request. Virtana documents the fields as query parameters and
/// as a form; a form body keeps the client secret out of access logs. OneAccess documents the
/// form.
pub fn vendor(app: &ClientApp, path: &str, secret: &Secret) -> Result<Request> {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", app.client_id.as_str()),
        ("client_secret", secret.expose()),
    ];
    form_post(vendor_url(app, path)?, &form, None)
}

pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A token request of the profile's grant, the client authenticated as the profile says.
pub fn request(profile: &OAuth2, proof: Proof, now: OffsetDateTime) -> Result<Request> {
    let url = endpoint_url(profile, Endpoint::Token)?;
    let signed = signed_assertion(profile, proof, now)?;
    let mut form: Vec<(&str, &str)> = Vec::new();
    match profile.grant() {
        Grant::ClientCredentials => form.push(("grant_type", "client_credentials")),
        Grant::RefreshToken | Grant::DeviceCode | Grant::AuthorizationCode => {
            form.push(("grant_type", "refresh_token"));
            form.push(("refresh_token", proof.secret()?.expose()));
        }
        Grant::TokenExchange => {
            form.push(("grant_type", TOKEN_EXCHANGE));
            form.push(("subject_token", proof.subject()?.expose()));
            let kind = profile.subject_token_type.as_deref();
            form.push(("subject_token_type", kind.unwrap_or(JWT_TOKEN_TYPE)));
            if let Some(t) = &profile.requested_token_type {
                form.push(("requested_token_type", t));
            }
            if let Some(r) = &profile.resource {
                form.push(("resource", r));
            }
        }
        Grant::JwtBearer => {
            form.push(("grant_type", JWT_BEARER));
            form.push(("assertion", proof.subject()?.expose()));
        }
    }
    let basic = authenticate(&mut form, profile, proof, signed.as_ref())?;
    if let Some(s) = &profile.scope {
        form.push(("scope", s));
    }
    if let Some(a) = &profile.audience {
        form.push(("audience", a));
    }
    form_post(url, &form, basic)
}

/// RFC 8693 §2.2.1: what the answer says it issued.
#[derive(serde::Deserialize)]
struct Issued {
    issued_token_type: Option<String>,
}

/// The access token or JWT a token exchange issued (or the type the profile asked for): any
/// other kind of token is not what callers can send.
pub fn check_issued_type(profile: &OAuth2, body: &[u8]) -> Result<()> {
    let Ok(Issued {
        issued_token_type: Some(kind),
    }) = serde_json::from_slice::<Issued>(body)
    else {
        return Ok(());
    };
    let fine = [ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE];
    if fine.contains(&kind.as_str()) || profile.requested_token_type.as_deref() == Some(&kind) {
        return Ok(());
    }
    Err(Error::op(format!(
        "the token exchange issued a {}, not an access token or a JWT (`requested_token_type` asks for a type)",
        crate::printable::printable(&kind, 120)
    )))
}

pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// The client's proof, added to `form` (or the Basic pair to send): a client secret, a signed
/// assertion, the subject token as the assertion, or, for a public client, its id alone.
fn authenticate<'a>(
    form: &mut Vec<(&'a str, &'a str)>,
    profile: &'a OAuth2,
    proof: Proof<'a>,
    signed: Option<&'a Secret>,
) -> Result<Option<(&'a str, &'a str)>> {
    let Some(auth) = profile.client_auth() else {
        if let Some(id) = &profile.client_id {
            form.push(("client_id", id));
        }
        return Ok(None);
    };
    let id = client_id(profile)?;
    match auth {
        ClientAuth::ClientSecretBasic => return Ok(Some((id, proof.secret()?.expose()))),
        ClientAuth::ClientSecretPost => {
            form.extend([
                ("client_id", id),
                ("client_secret", proof.secret()?.expose()),
            ]);
        }
        ClientAuth::PrivateKeyJwt | ClientAuth::ClientAssertion => {
            let assertion = match signed {
                Some(s) => s,
                None => proof.subject()?,
            };
            form.extend([
                ("client_id", id),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", assertion.expose()),
            ]);
        }
    }
    Ok(None)
}

/// RFC 7523 §3's claims of a client assertion.
#[derive(serde::Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    jti: String,
    iat: i64,
    exp: i64,
}

/// How long a signed client assertion is good for: the server need only see it once.
const ASSERTION_LIFETIME: i64 = 300;

/// For `private_key_jwt`: an assertion signed with the stored key (iss = sub = the client id,
/// aud = the token endpoint or `assertion_audience`, a fresh `jti`, five minutes to live).
fn signed_assertion(profile: &OAuth2, proof: Proof, now: OffsetDateTime) -> Result<Option<Secret>> {
    if profile.client_auth() != Some(ClientAuth::PrivateKeyJwt) {
        return Ok(None);
    }
    let key = KeyPair::parse(proof.secret()?.expose())
        .map_err(|e| Error::usage(format!("the profile's private key: {e}")))?;
    let id = client_id(profile)?;
    let aud = match &profile.assertion_audience {
        Some(a) => a.as_str(),
        None => profile.endpoint(Endpoint::Token).unwrap_or_default(),
    };
    let mut jti = [0u8; 16];
    getrandom::fill(&mut jti)
        .map_err(|e| Error::op(format!("no random bytes for the assertion's jti: {e}")))?;
    let iat = now.unix_timestamp();
    let claims = Claims {
        iss: id,
        sub: id,
        aud,
        jti: hex::encode(jti),
        iat,
        exp: iat + ASSERTION_LIFETIME,
    };
    Ok(Some(Secret::new(key.sign(&claims))))
}

/// An RFC 7009 revocation request for `token` (`hint`: `refresh_token` or `access_token`),
/// authenticated as the profile's token requests are; `None` without a revocation endpoint
/// (`revocation_url`, or the issuer's `revocation_endpoint`).
pub fn revocation(
    profile: &OAuth2,
    proof: Proof,
    token: &Secret,
    hint: &str,
    now: OffsetDateTime,
) -> Result<Option<Request>> {
    if profile.endpoint(Endpoint::Revocation).is_none() {
        return Ok(None);
    }
    let url = endpoint_url(profile, Endpoint::Revocation)?;
    let signed = signed_assertion(profile, proof, now)?;
    let mut form = vec![("token", token.expose()), ("token_type_hint", hint)];
    let basic = authenticate(&mut form, profile, proof, signed.as_ref())?;
    form_post(url, &form, basic).map(Some)
}

/// The client id a confidential client authenticates with (the config's rules require it for
/// every grant but refresh_token).
pub fn client_id(profile: &OAuth2) -> Result<&str> {
    profile
        .client_id
        .as_deref()
        .ok_or_else(|| crate::error::Error::usage("profile needs `client_id`"))
}
