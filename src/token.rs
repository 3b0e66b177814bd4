//! An access token and when it stops working, by this machine's clock.

use crate::sensitive::Secret;
use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone)]
pub struct Token {
    pub access_token: Secret,
    /// As the server named it; `Bearer` for every provider tokex knows.
    pub token_type: String,
    /// When the answer arrived, by the local clock.
    pub obtained_at: OffsetDateTime,
    /// `obtained_at` plus the lifetime the server granted, by the local clock.
    pub expires_at: OffsetDateTime,
    /// A new refresh token, when the server rotated it; never cached, only stored.
    pub refresh_token: Option<Secret>,
}

impl Token {
    pub fn lifetime(&self) -> Duration {
        self.expires_at - self.obtained_at
    }

    pub fn remaining(&self, now: OffsetDateTime) -> Duration {
        self.expires_at - now
    }

    /// The expiry callers are told: a little before the real one (a tenth of the lifetime, at
    /// most a minute), so they come back before the server starts refusing the token.
    pub fn reported_expiry(&self) -> OffsetDateTime {
        let margin: Duration =
            (self.lifetime() / 10_i32).clamp(Duration::ZERO, Duration::minutes(1));
        self.expires_at - margin
    }

    /// Whole seconds from `now` to the reported expiry, never negative.
    pub fn reported_expires_in(&self, now: OffsetDateTime) -> i64 {
        (self.reported_expiry() - now).whole_seconds().max(0)
    }

    /// The scheme for an `Authorization` header, spelled as RFC 6750 does.
    pub fn scheme(&self) -> &str {
        if self.token_type.eq_ignore_ascii_case("bearer") {
            "Bearer"
        } else {
            &self.token_type
        }
    }
}

#[cfg(test)]
impl Token {
    /// A test token: `access`, obtained 2026-11-23 10:00 UTC, valid for `lifetime`.
    pub fn sample(access: &str, lifetime: Duration) -> Token {
        let at = time::macros::datetime!(2026-11-23 10:00:00 UTC);
        Token {
            access_token: Secret::from(access),
            token_type: "bearer".into(),
            obtained_at: at,
            expires_at: at + lifetime,
            refresh_token: None,
        }
    }
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    // Second precision in UTC with `Z`: the one form every caller parses (Go's time.RFC3339 too).
    let t = t
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn token(lifetime: Duration) -> Token {
        Token::sample("t", lifetime)
    }

    #[test]
    fn reported_expiry_is_a_little_early() {
        assert_eq!(
            token(Duration::hours(1)).reported_expiry(),
            datetime!(2026-11-23 10:59:00 UTC)
        );
        assert_eq!(
            token(Duration::seconds(100)).reported_expiry(),
            datetime!(2026-11-23 10:01:30 UTC)
        );
        assert_eq!(token(Duration::hours(1)).scheme(), "Bearer");
    }

    #[test]
    fn rfc3339_is_utc_seconds_with_z() {
        let t = datetime!(2026-11-23 12:00:00.123 +02:00);
        assert_eq!(rfc3339(t), "2026-11-23T10:00:00Z");
    }
}
