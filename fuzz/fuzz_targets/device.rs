//! A device authorization answer (RFC 8628 §3.2) from a hostile server: a refusal or an answer
//! whose interval is bounded and whose shown text cannot act on a terminal, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&status, body)) = data.split_first() else { return };
    let status = if status & 1 == 0 { 200 } else { 400 + u16::from(status >> 1) };
    let answer = tokex::http::Answer::new(status, "application/json", body.to_vec());
    if let Ok(d) = tokex::providers::oidc::DeviceAuthorization::parse(&answer) {
        let interval = d.interval();
        assert!((1..=tokex::providers::oidc::MAX_INTERVAL_SECS).contains(&interval));
        let (uri, code, complete) = d.shown();
        for text in [Some(uri), Some(code), complete].into_iter().flatten() {
            assert!(!text.chars().any(tokex::printable::is_unsafe), "{text:?}");
        }
    }
});
