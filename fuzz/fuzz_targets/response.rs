//! A token endpoint's answer: the one parser every provider's response goes through. The first
//! byte chooses raw bytes, or claims built from the fuzzer's numbers (a JWT's exp and iat,
//! Huawei's creation and expiration times, expires_in), so extreme values are tried directly
//! rather than hoped for inside base64.
#![no_main]
use base64::Engine;

fn number(bytes: &[u8], float: bool) -> String {
    let mut b = [0u8; 8];
    b[..bytes.len().min(8)].copy_from_slice(&bytes[..bytes.len().min(8)]);
    if float {
        format!("{:e}", f64::from_le_bytes(b)).replace("inf", "1e999").replace("NaN", "0")
    } else {
        i64::from_le_bytes(b).to_string()
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let secret = tokex::sensitive::Secret::from("fuzz-secret");
    let Some((&mode, rest)) = data.split_first() else { return };
    let received = time::OffsetDateTime::now_utc();
    let parse = |body: &[u8]| {
        if let Ok(t) = tokex::providers::response::parse(body, received, &[&secret]) {
            assert!(t.lifetime() <= tokex::providers::response::MAX_LIFETIME);
            assert!(t.lifetime() > time::Duration::ZERO);
        }
    };
    let (a, b) = rest.split_at(rest.len().min(8));
    let (x, y) = (number(a, mode & 2 != 0), number(b, mode & 4 != 0));
    match mode % 4 {
        0 => parse(rest),
        1 => {
            let claims = format!(r#"{{"exp":{x},"iat":{y}}}"#);
            let jwt = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims);
            parse(format!(r#"{{"access_token":"h.{jwt}.s"}}"#).as_bytes());
        }
        2 => parse(format!(r#"{{"token":"t","creation_time":{y},"expiration_time":{x}}}"#).as_bytes()),
        _ => parse(format!(r#"{{"access_token":"t","expires_in":{x}}}"#).as_bytes()),
    }
});
