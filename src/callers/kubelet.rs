//! The kubelet's image credential provider (`credentialprovider.kubelet.k8s.io/v1`, stable since
//! Kubernetes 1.26): a `CredentialProviderRequest` naming an image on stdin, a
//! `CredentialProviderResponse` on stdout. Types: kubernetes `staging/src/k8s.io/kubelet/pkg/
//! apis/credentialprovider/v1/types.go`; the kubelet decodes the answer strictly, so it carries
//! exactly those fields.
//!
//! The answer is keyed by the image's registry (`cacheKeyType: Registry`) and cached by the
//! kubelet for `cacheDuration`: the token's remaining life minus a minute, so the kubelet asks
//! again before a cached credential stops working.

use super::{DEFAULT_USERNAME, clip, json_line, read_input, write, write_secret};
use crate::broker::{Tokens, Want};
use crate::error::{Error, Result};
use crate::matching::Target;
use crate::token::Token;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use time::{Duration, OffsetDateTime};

/// The versions the kubelet speaks (its plugin.go `apiVersions`); the answer repeats the
/// request's, which the kubelet checks.
const API_VERSIONS: [&str; 3] = [
    "credentialprovider.kubelet.k8s.io/v1",
    "credentialprovider.kubelet.k8s.io/v1beta1",
    "credentialprovider.kubelet.k8s.io/v1alpha1",
];

/// A pull starts at once, and the kubelet keeps the answer for `cacheDuration`: ask for a token
/// that leaves it a few minutes.
const MIN_VALID: Duration = Duration::minutes(5);
/// How long before the token's end the kubelet's cached copy lapses.
const CACHE_MARGIN: Duration = Duration::minutes(1);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    api_version: Option<String>,
    kind: Option<String>,
    image: String,
    /// Sent only when the provider's config has `tokenAttributes`; tokex does not use it, but the
    /// kubelet ignores an answer to such a request that lacks `serviceAccountTokenCacheType`.
    #[serde(default)]
    service_account_token: Option<crate::sensitive::Secret>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Response<'a> {
    api_version: &'a str,
    kind: &'static str,
    cache_key_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_duration: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_account_token_cache_type: Option<&'static str>,
    auth: BTreeMap<String, AuthConfig<'a>>,
}

#[derive(Serialize)]
struct AuthConfig<'a> {
    username: &'a str,
    password: &'a str,
}

pub fn serve(tokens: &dyn Tokens, input: &mut dyn Read, out: &mut dyn Write) -> Result<()> {
    let raw = read_input(input, "the kubelet's request")?;
    let req: Request = serde_json::from_slice(&raw).map_err(|_| {
        Error::usage(
            "stdin must be a CredentialProviderRequest: a JSON object with a string `image`",
        )
    })?;
    let api_version = check(&req)?;
    let (registry, target) = image_target(&req.image)?;
    let mut response = Response {
        api_version,
        kind: "CredentialProviderResponse",
        cache_key_type: "Registry",
        cache_duration: None,
        service_account_token_cache_type: req
            .service_account_token
            .is_some()
            .then_some("ServiceAccount"),
        auth: BTreeMap::new(),
    };
    let Some(chosen) = tokens.choose(None, &|| Ok(target.clone()))? else {
        // No credentials from tokex for this image: the kubelet pulls without them.
        return write(out, &json_line(&response)?);
    };
    let issued = tokens.token(&chosen.name, Want::lasting(MIN_VALID))?;
    let username = chosen.username.as_deref().unwrap_or(DEFAULT_USERNAME);
    let text = render(
        &mut response,
        registry,
        username,
        &issued.token,
        OffsetDateTime::now_utc(),
    );
    write_secret(out, text?)
}

fn render<'a>(
    response: &mut Response<'a>,
    registry: String,
    username: &'a str,
    token: &'a Token,
    now: OffsetDateTime,
) -> Result<String> {
    let keep = (token.remaining(now) - CACHE_MARGIN).whole_seconds();
    response.cache_duration = Some(go_duration(keep));
    let password = token.access_token.expose();
    response
        .auth
        .insert(registry, AuthConfig { username, password });
    json_line(&*response)
}

fn check(req: &Request) -> Result<&'static str> {
    if req.kind.as_deref() != Some("CredentialProviderRequest") {
        return Err(Error::usage(
            "stdin is not a CredentialProviderRequest (its `kind`)",
        ));
    }
    let version = req.api_version.as_deref().unwrap_or("");
    API_VERSIONS
        .into_iter()
        .find(|v| *v == version)
        .ok_or_else(|| {
            Error::usage(format!(
                "apiVersion {:?} is not one the kubelet's plugins speak ({})",
                clip(version),
                API_VERSIONS.join(", ")
            ))
        })
}

/// An image reference's registry (`host[:port]`, Docker Hub's when it names none, as the
/// container runtimes read it) and the target its profile is chosen by: registry and repository,
/// without tag or digest.
fn image_target(image: &str) -> Result<(String, Target)> {
    let bad = || Error::usage(format!("{:?} is not an image reference", clip(image)));
    let name = image.split('@').next().unwrap_or("");
    let (first, rest) = name.split_once('/').unwrap_or(("", name));
    let names_registry = first.contains(['.', ':']) || first == "localhost";
    let (registry, repository) = if names_registry {
        (first.to_ascii_lowercase(), rest)
    } else {
        ("docker.io".to_string(), name)
    };
    // A tag follows the last component's colon; a registry's port is before the first slash.
    let repository = match repository.rsplit_once('/') {
        Some((head, last)) => {
            &repository[..head.len() + 1 + last.split(':').next().unwrap_or("").len()]
        }
        None => repository.split(':').next().unwrap_or(""),
    };
    if repository.is_empty() || repository.ends_with('/') || image.chars().any(char::is_whitespace)
    {
        return Err(bad());
    }
    let target = Target::parse(&format!("{registry}/{repository}")).map_err(|_| bad())?;
    Ok((registry, target))
}

/// Whole seconds as Go's `time.Duration.String` writes them (`0s`, `45s`, `59m0s`, `1h0m0s`),
/// the form `metav1.Duration` reads back.
fn go_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    let (h, m, s) = (s / 3600, s % 3600 / 60, s % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s}s"),
        _ => format!("{h}h{m}m{s}s"),
    }
}

#[cfg(test)]
mod tests;
