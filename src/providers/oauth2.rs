//! RFC 6749 token requests, and the two vendor endpoints that are client_credentials with a
//! fixed path: Virtana (`/authorization/oauth/token`) and Huawei OneAccess (`/api/v2/tenant/token`).

use super::{endpoint, form_post, required};
use crate::config::{ClientAuth, Endpoint, Grant, Profile, ProviderId};
use crate::error::Result;
use crate::http::Request;
use crate::sensitive::Secret;
use crate::urlpolicy::check_url;

/// The vendors whose token endpoint is client_credentials at a fixed path under `url`.
fn vendor_path(profile: &Profile) -> Option<&'static str> {
    match profile.provider {
        ProviderId::Virtana => Some("/authorization/oauth/token"),
        ProviderId::HuaweiOneaccess => Some("/api/v2/tenant/token"),
        // Where the profile names it (or its issuer's discovery does); the other providers
        // never come here.
        ProviderId::Oauth2
        | ProviderId::Vcd
        | ProviderId::VmwareCsp
        | ProviderId::HuaweiIdentityCenter => None,
    }
}

pub fn token_url(profile: &Profile) -> Result<reqwest::Url> {
    match vendor_path(profile) {
        Some(path) => endpoint(required(&profile.url, "url")?, path),
        None => endpoint_url(profile, Endpoint::Token),
    }
}

/// The URL of an endpoint the profile names or discovered; a usage error naming the field when
/// it has neither.
pub fn endpoint_url(profile: &Profile, which: Endpoint) -> Result<reqwest::Url> {
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

pub fn request(profile: &Profile, secret: &Secret) -> Result<Request> {
    // Virtana documents the fields as query parameters and as a form; a form body keeps the
    // client secret out of access logs. OneAccess documents the form.
    match vendor_path(profile) {
        Some(_) => client_credentials(
            token_url(profile)?,
            required(&profile.client_id, "client_id")?,
            secret,
            ClientAuth::ClientSecretPost,
            &[],
        ),
        None => generic(profile, secret),
    }
}

fn generic(profile: &Profile, secret: &Secret) -> Result<Request> {
    let url = token_url(profile)?;
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
            required(&profile.client_id, "client_id")?,
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
    profile: &Profile,
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
            required(&profile.client_id, "client_id")?,
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
