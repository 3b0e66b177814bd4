//! A token endpoint's refusal: status, content type and body in every error dialect, and the
//! `Retry-After` header: one printable line that never shows the secret, whatever the server
//! echoes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    use tokex::http::error_body::{describe_error, retry_after};
    let Some((status, rest)) = data.split_first_chunk::<2>() else { return };
    let code = 100 + u16::from_le_bytes(*status) % 500;
    if let Ok(status) = reqwest::StatusCode::from_u16(code) {
        let secret = tokex::sensitive::Secret::from("fuzz-secret-canary");
        let line = describe_error(status, "application/json", rest, &[&secret]);
        assert!(!line.chars().any(tokex::printable::is_unsafe), "{line:?}");
        assert!(!line.contains("secret-c"), "{line}");
    }
    if let Ok(text) = std::str::from_utf8(rest) {
        if let Some(wait) = retry_after(text) {
            assert!(wait <= tokex::http::error_body::MAX_RETRY_WAIT);
        }
    }
});
