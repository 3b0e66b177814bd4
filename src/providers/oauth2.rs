//! RFC 6749 token requests, and the two vendor endpoints that are client_credentials with a
//! fixed path: Virtana (`/authorization/oauth/token`) and Huawei OneAccess (`/api/v2/tenant/token`).

use super::{endpoint, form_post, required};
use crate::config::{ClientAuth, Grant, Profile, ProviderId};
use crate::error::Result;
use crate::http::Request;
use crate::sensitive::Secret;
use crate::urlpolicy::check_url;

/// The vendors whose token endpoint is client_credentials at a fixed path under `url`.
fn vendor_path(profile: &Profile) -> Option<&'static str> {
    match profile.provider {
        ProviderId::Virtana => Some("/authorization/oauth/token"),
        ProviderId::HuaweiOneaccess => Some("/api/v2/tenant/token"),
        _ => None,
    }
}

pub fn token_url(profile: &Profile) -> Result<reqwest::Url> {
    match vendor_path(profile) {
        Some(path) => endpoint(required(&profile.url, "url")?, path),
        None => check_url(required(&profile.token_url, "token_url")?)
            .map_err(|e| e.context("`token_url`")),
    }
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
        Grant::RefreshToken => {
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
/// authenticated as the profile's token requests are; `None` without a `revocation_url`.
pub fn revocation(
    profile: &Profile,
    secret: &Secret,
    token: &Secret,
    hint: &str,
) -> Result<Option<Request>> {
    let Some(url) = &profile.revocation_url else {
        return Ok(None);
    };
    let url = check_url(url).map_err(|e| e.context("`revocation_url`"))?;
    let mut form = vec![("token", token.expose()), ("token_type_hint", hint)];
    let basic = match profile.grant() {
        Grant::ClientCredentials => authenticate(
            &mut form,
            required(&profile.client_id, "client_id")?,
            secret,
            profile.client_auth.unwrap_or(ClientAuth::ClientSecretBasic),
        ),
        // A public client: it names itself, the refresh token is the proof.
        Grant::RefreshToken => {
            if let Some(id) = &profile.client_id {
                form.push(("client_id", id));
            }
            None
        }
    };
    form_post(url, &form, basic).map(Some)
}
