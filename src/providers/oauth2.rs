//! RFC 6749 token requests, and the two vendor endpoints that are client_credentials with a
//! fixed path: Virtana (`/authorization/oauth/token`) and Huawei OneAccess (`/api/v2/tenant/token`).

use super::{endpoint, form_post};
use crate::config::{ClientApp, ClientAuth, Endpoint, Grant, OAuth2};
use crate::error::Result;
use crate::http::Request;
use crate::sensitive::Secret;
use crate::urlpolicy::check_url;

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
    client_credentials(
        vendor_url(app, path)?,
        &app.client_id,
        secret,
        ClientAuth::ClientSecretPost,
        &[],
    )
}

pub fn request(profile: &OAuth2, secret: &Secret) -> Result<Request> {
    let url = endpoint_url(profile, Endpoint::Token)?;
    let mut extra: Vec<(&str, &str)> = Vec::new();
    if let Some(s) = &profile.scope {
        extra.push(("scope", s));
    }
    if let Some(a) = &profile.audience {
        extra.push(("audience", a));
    }
    match profile.grant() {
        Grant::ClientCredentials => client_credentials(
            url,
            client_id(profile)?,
            secret,
            profile.client_auth.unwrap_or(ClientAuth::ClientSecretBasic),
            &extra,
        ),
        Grant::RefreshToken | Grant::DeviceCode | Grant::AuthorizationCode => {
            let mut form = vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", secret.expose()),
            ];
            if let Some(id) = &profile.client_id {
                form.push(("client_id", id));
            }
            form.extend(extra);
            form_post(url, &form, None)
        }
    }
}

fn client_credentials(
    url: reqwest::Url,
    client_id: &str,
    secret: &Secret,
    auth: ClientAuth,
    extra: &[(&str, &str)],
) -> Result<Request> {
    let mut form = vec![("grant_type", "client_credentials")];
    let basic = authenticate(&mut form, client_id, secret, auth);
    form.extend_from_slice(extra);
    form_post(url, &form, basic)
}

/// RFC 6749 §2.3.1 client authentication: the Basic pair to send, or the form fields added.
fn authenticate<'a>(
    form: &mut Vec<(&'a str, &'a str)>,
    client_id: &'a str,
    secret: &'a Secret,
    auth: ClientAuth,
) -> Option<(&'a str, &'a str)> {
    match auth {
        ClientAuth::ClientSecretBasic => Some((client_id, secret.expose())),
        ClientAuth::ClientSecretPost => {
            form.push(("client_id", client_id));
            form.push(("client_secret", secret.expose()));
            None
        }
    }
}

/// An RFC 7009 revocation request for `token` (`hint`: `refresh_token` or `access_token`),
/// authenticated as the profile's token requests are; `None` without a revocation endpoint
/// (`revocation_url`, or the issuer's `revocation_endpoint`).
pub fn revocation(
    profile: &OAuth2,
    secret: &Secret,
    token: &Secret,
    hint: &str,
) -> Result<Option<Request>> {
    if profile.endpoint(Endpoint::Revocation).is_none() {
        return Ok(None);
    }
    let url = endpoint_url(profile, Endpoint::Revocation)?;
    let mut form = vec![("token", token.expose()), ("token_type_hint", hint)];
    let basic = match profile.grant() {
        Grant::ClientCredentials => authenticate(
            &mut form,
            client_id(profile)?,
            secret,
            profile.client_auth.unwrap_or(ClientAuth::ClientSecretBasic),
        ),
        // A public client: it names itself, the refresh token is the proof.
        Grant::RefreshToken | Grant::DeviceCode | Grant::AuthorizationCode => {
            if let Some(id) = &profile.client_id {
                form.push(("client_id", id));
            }
            None
        }
    };
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
