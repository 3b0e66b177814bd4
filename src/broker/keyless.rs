//! The subject token of a keyless profile: fetched from its source for every exchange (the
//! GitHub Actions endpoint, a variable, a file the kubelet rotates, another profile), checked
//! for expiry, and never stored. Also what `status` and `doctor` say of such a source.

use super::{Broker, Tokens, Want};
use crate::config::{OAuth2, Subject};
use crate::error::{Error, Result};
use crate::http::{Http, Request, Settings};
use crate::sensitive::{MAX_SECRET, Secret};
use crate::stores::{Description, Role};
use time::OffsetDateTime;
use zeroize::Zeroizing;

pub const REQUEST_URL: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
pub const REQUEST_TOKEN: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

/// How long a subject another profile issues must still be valid when it is exchanged.
const SUBJECT_MIN_VALID: time::Duration = time::Duration::minutes(1);

/// The subject token for one exchange, or one line naming the source that did not give one.
pub fn subject(broker: &Broker, name: &str, o: &OAuth2, timeout: Option<u64>) -> Result<Secret> {
    let source = o
        .subject
        .as_ref()
        .ok_or_else(|| Error::op("the profile names no `subject`"))?;
    let token = fetch(broker, name, source, o.subject_audience.as_deref(), timeout)
        .map_err(|e| e.context(format_args!("subject {source}")))?;
    check_expiry(&token, OffsetDateTime::now_utc())
        .map_err(|e| e.context(format_args!("subject {source}")))?;
    Ok(token)
}

fn fetch(
    broker: &Broker,
    name: &str,
    source: &Subject,
    audience: Option<&str>,
    timeout: Option<u64>,
) -> Result<Secret> {
    let token = match source {
        Subject::Env(var) => match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Secret::new(v.trim().to_string()),
            _ => {
                return Err(Error::not_found(format!(
                    "the variable {var} is not set (in GitLab CI, declare it under the job's `id_tokens`)"
                )));
            }
        },
        Subject::File(path) => read_file(path)?,
        Subject::GithubActions => github_actions(audience, timeout)?,
        Subject::Profile(other) => {
            if other == name {
                return Err(Error::usage("a profile cannot be its own subject"));
            }
            broker
                .token(other, Want::lasting(SUBJECT_MIN_VALID))?
                .token
                .access_token
        }
    };
    if token
        .expose()
        .contains(|c: char| c.is_whitespace() || c.is_control())
    {
        return Err(Error::op("the token holds spaces or control characters"));
    }
    Ok(token)
}

/// A token file, read afresh (the kubelet rotates projected tokens behind a symlink, which is
/// followed): used only if it is owned by the user or root and writable by nobody else.
fn read_file(path: &str) -> Result<Secret> {
    let shown = std::path::Path::new(path);
    let file = std::fs::File::open(shown).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::not_found(format!("{path} does not exist")),
        _ => Error::op(format!("{path}: {e}")),
    })?;
    crate::fsutil::check_trusted(&file, shown, crate::fsutil::Owner::UserOrAdmin)
        .map_err(|e| Error::usage(e.to_string()))?;
    let bytes = Zeroizing::new(
        crate::fsutil::read_limited(file, MAX_SECRET)
            .map_err(|e| Error::op(format!("{path}: {e}")))?,
    );
    let text =
        std::str::from_utf8(&bytes).map_err(|_| Error::op(format!("{path} is not UTF-8")))?;
    match text.trim() {
        "" => Err(Error::not_found(format!("{path} is empty"))),
        t => Ok(Secret::new(t.to_string())),
    }
}

/// The GitHub Actions (and Forgejo Actions) answer: `{"value": "<JWT>"}`.
#[derive(serde::Deserialize)]
struct IdToken {
    value: Secret,
}

/// GET `$ACTIONS_ID_TOKEN_REQUEST_URL&audience=…` with the job's request token as bearer.
fn github_actions(audience: Option<&str>, timeout: Option<u64>) -> Result<Secret> {
    let var = |v: &str| std::env::var(v).ok().filter(|s| !s.is_empty());
    let (Some(url), Some(bearer)) = (var(REQUEST_URL), var(REQUEST_TOKEN)) else {
        return Err(Error::not_found(format!(
            "{REQUEST_URL} is not set: run in a GitHub Actions job with `permissions: id-token: write`"
        )));
    };
    let bearer = Secret::new(bearer);
    let mut url = crate::urlpolicy::check_url(&url).map_err(|e| e.context(REQUEST_URL))?;
    if let Some(a) = audience {
        url.query_pairs_mut().append_pair("audience", a);
    }
    let http = Http::new(Settings {
        timeout,
        ca_file: None,
        plain_http_only: url.scheme() == "http",
    })?;
    let request = Request {
        method: reqwest::Method::GET,
        url,
        headers: vec![
            (
                "Authorization".into(),
                format!("Bearer {}", bearer.expose()),
            ),
            ("Accept".into(), "application/json".into()),
        ],
        body: Zeroizing::new(Vec::new()),
    };
    let body = http
        .send(&request, &[&bearer])
        .map_err(|e| e.context("the job's OIDC token endpoint"))?;
    let answer: IdToken = serde_json::from_slice(&body)
        .map_err(|_| Error::op("the job's OIDC token endpoint answered without a `value`"))?;
    Ok(answer.value)
}

/// A JWT subject's `exp` (read, not verified: the provider verifies it); a token that is not a
/// JWT has no expiry tokex can see.
fn check_expiry(token: &Secret, now: OffsetDateTime) -> Result<()> {
    let Some((exp, _)) = crate::providers::response::jwt_times(token.expose()) else {
        return Ok(());
    };
    if exp <= now.unix_timestamp() {
        let at = OffsetDateTime::from_unix_timestamp(exp)
            .map(crate::token::rfc3339)
            .unwrap_or_else(|_| exp.to_string());
        return Err(Error::not_found(format!(
            "the token expired at {at}; nothing was exchanged"
        )));
    }
    Ok(())
}

/// What `status` and `doctor` say the profile's proof is.
pub fn describe(o: &OAuth2) -> Description {
    let source = o
        .subject
        .as_ref()
        .map(|s| s.describe(o.subject_audience.as_deref()))
        .unwrap_or_default();
    Description {
        name: source,
        location: "read for each exchange".into(),
        lifetime: "nothing stored",
        role: Role::ReadOnly,
        quiet_read: true,
    }
}

/// Whether the source is there, without fetching or exchanging anything (`status`).
pub fn present(broker: &Broker, o: &OAuth2) -> std::result::Result<(), String> {
    let set = |v: &str| std::env::var_os(v).is_some_and(|s| !s.is_empty());
    match o.subject.as_ref() {
        Some(Subject::Env(var)) if !set(var) => Err(format!("the variable {var} is not set")),
        Some(Subject::File(path)) if !std::path::Path::new(path).is_file() => {
            Err(format!("{path} does not exist"))
        }
        Some(Subject::GithubActions) if !(set(REQUEST_URL) && set(REQUEST_TOKEN)) => Err(format!(
            "{REQUEST_URL} is not set (not in a GitHub Actions job with `permissions: id-token: write`)"
        )),
        Some(Subject::Profile(other)) if broker.config().get(other).is_err() => {
            Err(format!("the config has no profile {other}"))
        }
        _ => Ok(()),
    }
}

/// `doctor`: the source is read (the CI endpoint asked) and its expiry checked; nothing is sent
/// to the token endpoint.
pub fn probe(broker: &Broker, name: &str, o: &OAuth2, timeout: Option<u64>) -> Result<()> {
    subject(broker, name, o, timeout).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn jwt(claims: &str) -> Secret {
        let b = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        Secret::new(format!("{}.{}.sig", b(r#"{"alg":"ES256"}"#), b(claims)))
    }

    #[test]
    fn an_expired_jwt_is_one_line_and_others_pass() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let e = check_expiry(&jwt(r#"{"exp":1799999999}"#), now).unwrap_err();
        assert!(e.is_not_found());
        assert!(
            e.to_string().contains("expired at 2027-01-15T07:59:59Z"),
            "{e}"
        );
        check_expiry(&jwt(r#"{"exp":1800000600}"#), now).unwrap();
        check_expiry(&jwt(r#"{"sub":"x"}"#), now).unwrap();
        check_expiry(&jwt(r#"{"exp":1e400}"#), now).unwrap();
        check_expiry(&Secret::from("opaque-token"), now).unwrap();
    }
}
