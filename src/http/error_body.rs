//! What a token endpoint says when it refuses: four error-body dialects (RFC 6749, VMware Cloud
//! Director, Huawei, VMware Cloud Services) turned into one line, and `Retry-After`, bounded.

use crate::printable::{LINE, printable};
use crate::sensitive::{Secret, redact};
use std::time::Duration;

/// The longest a `Retry-After` may make tokex wait between attempts.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(10);

/// `Retry-After` in seconds (the HTTP-date form is not worth a wait), at most [`MAX_RETRY_WAIT`].
pub fn retry_after(value: &str) -> Option<Duration> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .map(|s| Duration::from_secs(s.min(MAX_RETRY_WAIT.as_secs())))
}

/// The error code of a refusal in any of the four shapes, when it is a short token of visible
/// ASCII (RFC 6749 §5.2's charset, no spaces): what may be kept without keeping server prose.
pub fn error_code(body: &[u8]) -> Option<String> {
    let serde_json::Value::Object(o) = serde_json::from_slice(body).ok()? else {
        return None;
    };
    ["error", "minorErrorCode", "error_code", "moduleCode"]
        .iter()
        .find_map(|k| match o.get(*k)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .filter(|c| !c.is_empty() && c.len() <= 64 && c.bytes().all(|b| b.is_ascii_graphic()))
}

/// `HTTP 400 Bad Request: invalid_grant: Invalid refresh token`, from any of the four error
/// shapes providers use: RFC 6749, VMware Cloud Director, Huawei, VMware Cloud Services. Each
/// value is scrubbed of `secrets` whole, then made printable and cut short.
pub fn describe_error(
    status: reqwest::StatusCode,
    content_type: &str,
    body: &[u8],
    secrets: &[&Secret],
) -> String {
    let clip = |s: &str| printable(&redact(s, secrets), LINE);
    let head = format!("HTTP {}", status.as_u16());
    let head = match status.canonical_reason() {
        Some(r) => format!("{head} {r}"),
        None => head,
    };
    if let Ok(serde_json::Value::Object(o)) = serde_json::from_slice::<serde_json::Value>(body) {
        let text = |k: &str| match o.get(k) {
            Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let pairs = [
            ("error", "error_description"),
            ("minorErrorCode", "message"),
            ("error_code", "error_msg"),
            ("moduleCode", "message"),
        ];
        for (code, msg) in pairs {
            if let Some(c) = text(code) {
                let mut out = format!("{head}: {}", clip(&c));
                if let Some(m) = text(msg) {
                    out.push_str(&format!(": {}", clip(&m)));
                }
                if let Some(r) = text("request_id") {
                    out.push_str(&format!(" (request_id {})", clip(&r)));
                }
                return out;
            }
        }
        if let Some(m) = text("message").or_else(|| text("error_msg")) {
            return format!("{head}: {}", clip(&m));
        }
        return format!("{head} (JSON answer without an error code)");
    }
    if content_type.contains("html") || body.trim_ascii_start().starts_with(b"<") {
        return format!("{head} (an HTML page, not the token API: check the profile's URL)");
    }
    match std::str::from_utf8(body) {
        Ok(t) if !t.trim().is_empty() => format!("{head}: {}", clip(t.trim())),
        _ => head,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    fn d(status: u16, body: &str) -> String {
        describe_error(
            StatusCode::from_u16(status).unwrap(),
            "application/json",
            body.as_bytes(),
            &[],
        )
    }

    #[test]
    fn retry_after_is_bounded() {
        assert_eq!(retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(retry_after("18446744073709551615"), Some(MAX_RETRY_WAIT));
        assert_eq!(retry_after("Wed, 21 Oct 2026 07:28:00 GMT"), None);
        assert_eq!(retry_after("-1"), None);
    }

    #[test]
    fn all_four_error_shapes_reach_the_user() {
        assert_eq!(
            d(
                400,
                r#"{"error":"invalid_grant","error_description":"expired"}"#
            ),
            "HTTP 400 Bad Request: invalid_grant: expired"
        );
        assert_eq!(
            d(
                400,
                r#"{"minorErrorCode":"invalid_grant","message":"Invalid refresh token","stackTrace":"x"}"#
            ),
            "HTTP 400 Bad Request: invalid_grant: Invalid refresh token"
        );
        assert_eq!(
            d(
                401,
                r#"{"error_code":"APIG.0301","error_msg":"verify aksk signature fail","request_id":"r1"}"#
            ),
            "HTTP 401 Unauthorized: APIG.0301: verify aksk signature fail (request_id r1)"
        );
        assert_eq!(
            d(
                400,
                r#"{"moduleCode":340,"message":"invalid_grant: Invalid refresh token"}"#
            ),
            "HTTP 400 Bad Request: 340: invalid_grant: Invalid refresh token"
        );
    }

    #[test]
    fn html_and_text_bodies() {
        let html = describe_error(
            StatusCode::BAD_GATEWAY,
            "text/html",
            b"<html>oops</html>",
            &[],
        );
        assert!(
            html.starts_with("HTTP 502 Bad Gateway (an HTML page"),
            "{html}"
        );
        let text = describe_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            b"boom\nline2",
            &[],
        );
        assert_eq!(text, "HTTP 500 Internal Server Error: boom\u{FFFD}line2");
    }

    #[test]
    fn secrets_are_scrubbed_before_the_text_is_cut() {
        let secret = Secret::new("k".repeat(150) + &"z".repeat(150));
        let body = format!(
            r#"{{"error":"invalid_client","error_description":"bad secret {}\u001b]52;c;x\u0007"}}"#,
            secret.expose()
        );
        let line = describe_error(
            StatusCode::UNAUTHORIZED,
            "application/json",
            body.as_bytes(),
            &[&secret],
        );
        assert_eq!(
            line,
            "HTTP 401 Unauthorized: invalid_client: bad secret [REDACTED]\u{FFFD}]52;c;x\u{FFFD}"
        );
    }
}
