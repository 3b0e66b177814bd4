//! RFC 7636 proof keys and the `state` value, from the operating system's random source.

use crate::error::{Error, Result};
use crate::sensitive::Secret;
use base64::Engine;
use sha2::{Digest, Sha256};

/// A code verifier and its S256 challenge.
pub struct Pkce {
    pub verifier: Secret,
    pub challenge: String,
}

/// 32 random bytes make a 43-character verifier of `[A-Za-z0-9-_]`, the shortest RFC 7636 §4.1
/// allows and the entropy its §7.1 asks for.
pub fn new() -> Result<Pkce> {
    let verifier = random(32)?;
    let challenge = challenge(&verifier);
    Ok(Pkce {
        verifier: Secret::new(verifier),
        challenge,
    })
}

/// `BASE64URL(SHA256(ASCII(verifier)))`, RFC 7636 §4.2.
pub fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// An unguessable `state` (RFC 6749 §10.12): the callback must return it.
pub fn state() -> Result<String> {
    random(16)
}

/// Whether a callback's `state` is this sign-in's, in time that does not depend on where the
/// two first differ (a local process may probe the listener as often as it likes).
pub fn same(got: &str, want: &str) -> bool {
    got.len() == want.len()
        && got
            .bytes()
            .zip(want.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn random(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)
        .map_err(|e| Error::op(format!("no randomness from the operating system: {e}")))?;
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&buf);
    zeroize::Zeroize::zeroize(&mut buf);
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_are_43_unreserved_characters_and_differ() {
        let (a, b) = (new().unwrap(), new().unwrap());
        let v = a.verifier.expose();
        assert_eq!(v.len(), 43);
        assert!(
            v.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
        );
        assert_ne!(v, b.verifier.expose());
        assert_eq!(a.challenge, challenge(v));
        assert_ne!(state().unwrap(), state().unwrap());
    }
}
