//! One poll of the device flow: any status and body is classified, and a final outcome's line
//! is one printable line without the device code, never a panic.
#![no_main]
use tokex::providers::oidc::{Poll, poll_outcome};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&status, body)) = data.split_first() else { return };
    let status = 200 + u16::from(status) * 2;
    let answer = tokex::http::Answer::new(status, "application/json", body.to_vec());
    let code = tokex::sensitive::Secret::from("device-code-canary");
    if let Poll::Stop(line) = poll_outcome(&answer, &[&code]) {
        assert!(!line.contains("device-code-canary"), "{line}");
        assert!(!line.chars().any(tokex::printable::is_unsafe), "{line:?}");
    }
});
