//! A secret is a type: it has no `Display`, its `Debug` says `REDACTED`, its memory is wiped on
//! drop, and `expose()` is the only way out, so `grep expose` lists every place one leaves its box.

use std::fmt;
use zeroize::Zeroize;

/// No secret tokex keeps is longer than this; more is not a credential.
pub const MAX_SECRET: u64 = 64 * 1024;

/// On the wire it is the plain string (`serde(transparent)`), so protocol messages that carry
/// one hold a `Secret` field and need no wiping of their own.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_string())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(REDACTED)")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Replaces, in text a server sent back, every form in which it may echo one of `secrets`: the
/// secret itself, its percent-encoding (form or URL), its base64 (standard or URL-safe), and
/// any run of [`RUN`] or more bytes of one of those (a server that cut its echo short). Call it
/// on the whole text, before anything is clipped. A Basic credential, `base64(id:secret)`, is
/// recognised when the request's Authorization value is among `secrets`.
pub fn redact(text: &str, secrets: &[&Secret]) -> String {
    let forms: Vec<Vec<u8>> = secrets
        .iter()
        .filter(|s| s.expose().len() >= 4)
        .flat_map(|s| echoed_forms(s.expose()))
        .collect();
    if forms.is_empty() {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut hidden = vec![false; bytes.len()];
    let mut runs = std::collections::HashSet::new();
    for form in &forms {
        let form = String::from_utf8_lossy(form);
        for (at, found) in text.match_indices(&*form) {
            hidden[at..at + found.len()]
                .iter_mut()
                .for_each(|h| *h = true);
        }
        runs.extend(form.as_bytes().windows(RUN).map(<[u8]>::to_vec));
    }
    for (at, window) in bytes.windows(RUN).enumerate() {
        if runs.contains(window) {
            hidden[at..at + RUN].iter_mut().for_each(|h| *h = true);
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut in_secret = false;
    for (at, c) in text.char_indices() {
        if hidden[at..at + c.len_utf8()].iter().any(|h| *h) {
            if !in_secret {
                out.push_str("[REDACTED]");
            }
            in_secret = true;
        } else {
            in_secret = false;
            out.push(c);
        }
    }
    out
}

/// The shortest run of a secret's bytes that [`redact`] recognises on its own.
pub const RUN: usize = 8;

fn echoed_forms(secret: &str) -> Vec<Vec<u8>> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let url = percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
        .to_string();
    let mut forms = vec![
        secret.as_bytes().to_vec(),
        form.into_bytes(),
        url.into_bytes(),
        STANDARD.encode(secret).into_bytes(),
        URL_SAFE_NO_PAD.encode(secret).into_bytes(),
    ];
    forms.sort();
    forms.dedup();
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::from("hunter2-canary");
        assert_eq!(format!("{s:?}"), "Secret(REDACTED)");
        assert_eq!(s.expose(), "hunter2-canary");
    }

    #[test]
    fn redact_replaces_every_occurrence() {
        let s = Secret::from("abcd1234");
        assert_eq!(
            redact("x abcd1234 y abcd1234", &[&s]),
            "x [REDACTED] y [REDACTED]"
        );
    }

    #[test]
    fn every_echoed_form_and_every_long_run_is_scrubbed() {
        use base64::Engine;
        let secret = Secret::from("s3cr+t/v@lue=with spaces&more");
        let b64 = base64::engine::general_purpose::STANDARD;
        let basic = Secret::new(b64.encode("client-id:s3cr+t/v@lue=with spaces&more"));
        for echoed in [
            "s3cr+t/v@lue=with spaces&more".to_string(),
            "s3cr%2Bt%2Fv%40lue%3Dwith+spaces%26more".to_string(),
            "s3cr%2Bt%2Fv%40lue%3Dwith%20spaces%26more".to_string(),
            b64.encode("s3cr+t/v@lue=with spaces&more"),
            b64.encode("client-id:s3cr+t/v@lue=with spaces&more"),
            // Cut short by the server: a prefix, a suffix.
            "s3cr+t/v@lue=w".to_string(),
            "spaces&more".to_string(),
        ] {
            let text = format!("invalid credential '{echoed}' for client");
            let shown = redact(&text, &[&secret, &basic]);
            assert_eq!(
                shown, "invalid credential '[REDACTED]' for client",
                "{echoed}"
            );
        }
        // Unrelated text and short common runs stay.
        assert_eq!(redact("s3cr and more", &[&secret]), "s3cr and more");
        assert_eq!(redact("é s3cr+t/v@lue=w é", &[&secret]), "é [REDACTED] é");
    }
}
