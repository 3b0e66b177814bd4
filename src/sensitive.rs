//! A secret is a type: it has no `Display`, its `Debug` says `REDACTED`, its memory is wiped on
//! drop, and `expose()` is the only way out, so `grep expose` lists every place one leaves its box.

use std::fmt;
use zeroize::Zeroize;

#[derive(Clone, PartialEq, Eq)]
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

/// Replaces every occurrence of any of `secrets` in `text`, for messages built from server
/// answers, which may echo what they were sent.
pub fn redact(text: &str, secrets: &[&Secret]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if s.expose().len() >= 4 {
            out = out.replace(s.expose(), "[REDACTED]");
        }
    }
    out
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
}
