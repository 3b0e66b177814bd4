//! Reading a token endpoint's answer: the token, its type, its lifetime (from `expires_in`, from
//! Huawei's `expiration_time` in epoch milliseconds, or from a JWT's `exp`), and a rotated
//! refresh token. Lifetimes count from when the answer arrived, so a skewed clock does not matter.

use crate::error::{Error, Result};
use crate::printable::{SHORT, printable};
use crate::sensitive::{Secret, redact};
use crate::token::Token;
use serde_json::Value;
use time::{Duration, OffsetDateTime};

/// Used when an answer says nothing about expiry: short, so tokex asks again soon.
pub const UNKNOWN_LIFETIME: Duration = Duration::minutes(5);
/// Nothing tokex caches lives longer than this, whatever the server claims.
pub const MAX_LIFETIME: Duration = crate::duration::MAX;

pub fn parse(body: &[u8], received: OffsetDateTime, secrets: &[&Secret]) -> Result<Token> {
    parse_as(body, received, secrets, false)
}

/// [`parse`], handing out the answer's OIDC `id_token` instead of its access token when
/// `id_token` is set: what a Kubernetes API server configured for OIDC checks. Its lifetime is
/// its own (`exp` − `iat`), not the access token's `expires_in`.
pub fn parse_as(
    body: &[u8],
    received: OffsetDateTime,
    secrets: &[&Secret],
    id_token: bool,
) -> Result<Token> {
    let v: Value = serde_json::from_slice(body).map_err(|_| {
        let what = if body.trim_ascii_start().starts_with(b"<") {
            "an HTML page"
        } else {
            "not JSON"
        };
        Error::op(format!(
            "the token endpoint answered with {what} ({} bytes)",
            body.len()
        ))
    })?;
    let o = v
        .as_object()
        .ok_or_else(|| Error::op("the token endpoint answered with JSON that is not an object"))?;
    let fields: &[&str] = if id_token {
        &["id_token"]
    } else {
        &["access_token", "token"]
    };
    let token = fields
        .iter()
        .find_map(|k| o.get(*k).and_then(Value::as_str).filter(|s| !s.is_empty()))
        .ok_or_else(|| {
            let keys: Vec<String> = o
                .keys()
                .take(10)
                .map(|k| printable(&redact(k, secrets), SHORT))
                .collect();
            let hint = if id_token {
                " (the sign-in's scope must include `openid`)"
            } else {
                ""
            };
            Error::op(format!(
                "the answer has no {}{hint} (fields: {})",
                fields[0],
                keys.join(", ")
            ))
        })?;
    if token.chars().any(|c| c.is_control() || c == ' ') {
        return Err(Error::op(
            "the access token contains spaces or control characters",
        ));
    }
    let token_type = match o.get("token_type") {
        None | Some(Value::Null) => "Bearer".to_string(),
        Some(Value::String(t)) if t.eq_ignore_ascii_case("bearer") => t.clone(),
        // RFC 8693 §2.2.1: a token exchange's JWT that is not an access token (its type checked
        // by the caller) is sent as a bearer token all the same.
        Some(Value::String(t)) if t == "N_A" && o.contains_key("issued_token_type") => {
            "Bearer".to_string()
        }
        Some(other) => {
            let shown = other
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| other.to_string());
            return Err(Error::op(format!(
                "unsupported token_type {:?}: tokex hands out bearer tokens",
                printable(&redact(&shown, secrets), SHORT)
            )));
        }
    };
    let lifetime = if id_token {
        id_token_lifetime(token)?
    } else {
        lifetime(o, token)?
    };
    let refresh_token = match o.get("refresh_token") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(storable_refresh_token(s)?),
        Some(_) => {
            return Err(Error::op(
                REFRESH_REFUSED.replace("{why}", "is not a string"),
            ));
        }
    };
    Ok(Token {
        access_token: Secret::new(token.to_string()),
        token_type,
        obtained_at: received,
        expires_at: received + lifetime,
        refresh_token,
    })
}

/// The scope a token answer says was granted (RFC 6749 §5.1), for messages.
pub fn granted_scope(body: &[u8]) -> Option<String> {
    match serde_json::from_slice::<Value>(body).ok()?.get("scope")? {
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn lifetime(o: &serde_json::Map<String, Value>, token: &str) -> Result<Duration> {
    let raw = if let Some(v) = o.get("expires_in").filter(|v| !v.is_null()) {
        let secs = number(v).ok_or_else(|| {
            Error::op(format!(
                "expires_in is not a number of seconds: {}",
                short(v)
            ))
        })?;
        if secs <= 0 {
            return Err(Error::op(format!(
                "expires_in is {secs}: the token is already expired"
            )));
        }
        Duration::seconds(secs)
    } else if let Some(v) = o.get("expiration_time").filter(|v| !v.is_null()) {
        let exp = number(v)
            .ok_or_else(|| Error::op(format!("expiration_time is not a number: {}", short(v))))?;
        // Epoch milliseconds; measured against the server's own creation_time when it gives one.
        let start = match o.get("creation_time").and_then(number) {
            Some(c) => c,
            None => (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64,
        };
        let ms = exp.saturating_sub(start);
        if ms <= 0 {
            return Err(Error::op(
                "expiration_time is not after creation_time: the token is already expired",
            ));
        }
        Duration::milliseconds(ms)
    } else if let Some((exp, iat)) = jwt_times(token) {
        let start = iat.unwrap_or_else(|| OffsetDateTime::now_utc().unix_timestamp());
        if exp <= start {
            return Err(Error::op("the token's JWT exp has passed"));
        }
        // Claims are the server's numbers: `exp - iat` may not fit, and then it is absurd.
        exp.checked_sub(start)
            .map(Duration::seconds)
            .unwrap_or(MAX_LIFETIME)
    } else {
        crate::log::debug(|| "the answer gives no expiry; assuming 5 minutes".into());
        UNKNOWN_LIFETIME
    };
    if raw > MAX_LIFETIME {
        crate::log::debug(|| format!("lifetime {raw} capped at {MAX_LIFETIME}"));
    }
    Ok(raw.min(MAX_LIFETIME))
}

/// An ID token is a JWT (OIDC Core §2) whose `exp` is when the API server stops accepting it.
fn id_token_lifetime(token: &str) -> Result<Duration> {
    let (exp, iat) = jwt_times(token)
        .ok_or_else(|| Error::op("the id_token is not a JWT with an `exp` claim"))?;
    let start = iat.unwrap_or_else(|| OffsetDateTime::now_utc().unix_timestamp());
    match exp.checked_sub(start) {
        Some(secs) if secs > 0 => Ok(Duration::seconds(secs).min(MAX_LIFETIME)),
        Some(_) => Err(Error::op("the id_token's exp has passed")),
        None => Ok(MAX_LIFETIME),
    }
}

/// An RFC 6749 §5.2 error answer: `{"error": "invalid_grant", "error_description": …}`.
#[derive(Debug, serde::Deserialize)]
pub struct OAuthError {
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
}

impl OAuthError {
    pub fn parse(body: &[u8]) -> Option<OAuthError> {
        serde_json::from_slice::<OAuthError>(body)
            .ok()
            .filter(|e| !e.error.is_empty())
    }
}

/// An integer, or an integer in a string (some servers quote `expires_in`).
fn number(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn short(v: &Value) -> String {
    printable(&v.to_string(), SHORT)
}

/// The longest refresh token tokex stores (real ones are a few hundred bytes to a few KiB).
pub const MAX_REFRESH_TOKEN: usize = 16 * 1024;
const REFRESH_REFUSED: &str = "the token endpoint sent a refresh token that {why}; it was not stored, the stored one was kept";

/// A refresh token a server sent, checked before it may replace the stored one: a store keeps
/// one line (pass, a `secret_file`), and a token with a newline, a space or a control
/// character, or an absurd length, is not one any server issues.
fn storable_refresh_token(s: &str) -> Result<Secret> {
    let why = if s.len() > MAX_REFRESH_TOKEN {
        format!("is longer than {MAX_REFRESH_TOKEN} bytes")
    } else if s
        .chars()
        .any(|c| c.is_whitespace() || crate::printable::is_unsafe(c))
    {
        "holds whitespace or control characters".to_string()
    } else {
        return Ok(Secret::new(s.to_string()));
    };
    Err(Error::op(REFRESH_REFUSED.replace("{why}", &why)))
}

/// `exp` and `iat` from a JWT's payload, without verifying it: only the lifetime is wanted.
pub fn jwt_times(token: &str) -> Option<(i64, Option<i64>)> {
    use base64::Engine;
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp").and_then(number)?;
    Some((exp, claims.get("iat").and_then(number)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const AT: OffsetDateTime = datetime!(2026-11-23 10:00:00 UTC);

    fn p(body: &str) -> Result<Token> {
        parse(body.as_bytes(), AT, &[])
    }

    #[test]
    fn rfc6749_answer() {
        let t = p(
            r#"{"access_token":"a1","token_type":"bearer","expires_in":1799,"refresh_token":"r2"}"#,
        )
        .unwrap();
        assert_eq!(t.access_token.expose(), "a1");
        assert_eq!(t.expires_at, AT + Duration::seconds(1799));
        assert_eq!(t.refresh_token.unwrap().expose(), "r2");
    }

    #[test]
    fn expires_in_as_string() {
        let t = p(r#"{"access_token":"a","expires_in":"60"}"#).unwrap();
        assert_eq!(t.lifetime(), Duration::seconds(60));
    }

    #[test]
    fn huawei_epoch_ms_counts_from_creation_time() {
        // The vendor's example: exactly 365 days, whatever this machine's clock says.
        let t = p(r#"{"token":"scim","token_id":"i","creation_time":1754278569275,"expiration_time":1785814569000}"#).unwrap();
        assert_eq!(t.access_token.expose(), "scim");
        assert_eq!(
            t.lifetime(),
            Duration::milliseconds(1785814569000 - 1754278569275)
        );
        assert_eq!(t.token_type, "Bearer");
    }

    #[test]
    fn jwt_exp_minus_iat_when_no_expires_in() {
        use base64::Engine;
        let claims =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"iat":1000,"exp":4600}"#);
        let body = format!(r#"{{"access_token":"h.{claims}.s"}}"#);
        assert_eq!(p(&body).unwrap().lifetime(), Duration::hours(1));
    }

    #[test]
    fn no_expiry_at_all_is_short() {
        assert_eq!(
            p(r#"{"access_token":"opaque"}"#).unwrap().lifetime(),
            UNKNOWN_LIFETIME
        );
    }

    #[test]
    fn bad_answers_are_clear_errors() {
        for (body, want) in [
            ("<html>", "HTML"),
            ("[]", "not an object"),
            (r#"{"token_type":"bearer"}"#, "no access_token"),
            (r#"{"access_token":"a","expires_in":0}"#, "already expired"),
            (r#"{"access_token":"a","expires_in":-5}"#, "already expired"),
            (
                r#"{"access_token":"a","expires_in":"soon"}"#,
                "not a number",
            ),
            (
                r#"{"access_token":"a","token_type":"mac"}"#,
                "unsupported token_type",
            ),
            (
                r#"{"access_token":"a","refresh_token":"r2\nr3"}"#,
                "whitespace or control characters; it was not stored, the stored one was kept",
            ),
            (
                r#"{"access_token":"a","refresh_token":"r2 x"}"#,
                "whitespace",
            ),
            (r#"{"access_token":"a","refresh_token":7}"#, "not a string"),
            (
                r#"{"\u001b]52;c;eA==\u0007":1}"#,
                "no access_token (fields: \u{FFFD}]52;c;eA==\u{FFFD})",
            ),
        ] {
            let e = p(body).unwrap_err().to_string();
            assert!(e.contains(want), "{body}: {e}");
        }
    }

    fn jwt(claims: &str) -> String {
        use base64::Engine;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims);
        format!(r#"{{"access_token":"h.{payload}.s"}}"#)
    }

    #[test]
    fn extreme_jwt_claims_never_overflow() {
        let t = p(&jwt(r#"{"exp":9223372036854775807,"iat":-1}"#)).unwrap();
        assert_eq!(t.lifetime(), MAX_LIFETIME);
        let t = p(&jwt(r#"{"exp":9223372036854775807}"#)).unwrap();
        assert_eq!(t.lifetime(), MAX_LIFETIME);
        for claims in [
            r#"{"exp":-9223372036854775808,"iat":1}"#,
            r#"{"exp":1,"iat":9223372036854775807}"#,
            r#"{"exp":1e300,"iat":-1e300}"#,
        ] {
            match p(&jwt(claims)) {
                Ok(t) => assert!(t.lifetime() <= MAX_LIFETIME, "{claims}"),
                Err(e) => assert!(e.to_string().contains("exp"), "{claims}: {e}"),
            }
        }
        let t = p(r#"{"token":"x","creation_time":-9223372036854775808,"expiration_time":9223372036854775807}"#).unwrap();
        assert_eq!(t.lifetime(), MAX_LIFETIME);
    }

    #[test]
    fn id_token_is_handed_out_with_its_own_lifetime() {
        use base64::Engine;
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"iss":"https://idp","aud":"k8s","iat":1000,"exp":1600}"#);
        let body = format!(
            r#"{{"access_token":"opaque","expires_in":3600,"id_token":"h.{claims}.s","refresh_token":"r2"}}"#
        );
        let t = parse_as(body.as_bytes(), AT, &[], true).unwrap();
        assert_eq!(t.access_token.expose(), format!("h.{claims}.s"));
        assert_eq!(t.lifetime(), Duration::minutes(10));
        assert_eq!(t.refresh_token.unwrap().expose(), "r2");
        let e = parse_as(
            br#"{"access_token":"a","id_token":"opaque"}"#,
            AT,
            &[],
            true,
        );
        assert!(e.unwrap_err().to_string().contains("not a JWT"));
        let e = parse_as(br#"{"access_token":"a"}"#, AT, &[], true).unwrap_err();
        assert!(e.to_string().contains("no id_token") && e.to_string().contains("openid"));
    }

    #[test]
    fn absurd_lifetime_is_capped() {
        assert_eq!(
            p(r#"{"access_token":"a","expires_in":99999999999}"#)
                .unwrap()
                .lifetime(),
            MAX_LIFETIME
        );
    }
}
