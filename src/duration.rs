//! Durations typed by users (`--min-valid 5m`, terraform `external`'s `min_valid`): parsed with
//! checked arithmetic and bounded, so no input can wrap into a negative or absurd duration.

use time::Duration;

/// Nothing tokex caches lives longer than this, so asking a token to stay valid longer can
/// never be met; the same bound caps the lifetimes servers claim.
pub const MAX: Duration = Duration::days(400);

/// `90`, `90s`, `5m`, `2h`, `1d`; at most [`MAX`].
pub fn parse(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    let bad = || {
        format!(
            "{:?} is not a duration like 30s, 5m or 1h",
            crate::printable::printable(s, crate::printable::SHORT)
        )
    };
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: i64 = num.parse().map_err(|_| bad())?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    let secs = n
        .checked_mul(scale)
        .filter(|secs| *secs <= MAX.whole_seconds())
        .ok_or_else(|| format!("{s:?} is longer than the 400 days a token can live"))?;
    Ok(Duration::seconds(secs))
}

/// `1h30m`-style text for messages.
pub fn show(d: Duration) -> String {
    let secs = d.whole_seconds().max(0);
    match (secs / 3600, (secs % 3600) / 60, secs % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, 0, _) => format!("{h}h"),
        (h, m, _) => format!("{h}h{m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_bounds() {
        assert_eq!(parse("90").unwrap(), Duration::seconds(90));
        assert_eq!(parse("5m").unwrap(), Duration::minutes(5));
        assert_eq!(parse("1h").unwrap(), Duration::hours(1));
        assert_eq!(parse("400d").unwrap(), MAX);
        for bad in ["5 minutes", "", "-5m", "1w", "m"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        // Would wrap to a negative duration without checked arithmetic.
        let e = parse("2562047788015216h").unwrap_err();
        assert!(e.contains("400 days"), "{e}");
        assert!(parse("9999999999999999999999s").is_err());
        assert!(parse("401d").unwrap_err().contains("400 days"));
    }

    #[test]
    fn shown_compactly() {
        assert_eq!(show(Duration::seconds(59)), "59s");
        assert_eq!(show(Duration::minutes(5)), "5m");
        assert_eq!(show(Duration::seconds(3540)), "59m");
        assert_eq!(show(Duration::hours(2)), "2h");
        assert_eq!(show(Duration::minutes(150)), "2h30m");
    }
}

/// A duration a profile or a flag gives in whole seconds, written the one way tokex writes
/// every duration (`"30s"`, `"5m"`, `"1h"`); bare whole seconds (`timeout = 30`, as configs
/// written before said it) are read too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seconds(pub u64);

impl std::str::FromStr for Seconds {
    type Err = String;
    fn from_str(text: &str) -> Result<Seconds, String> {
        let d = parse(text)?;
        Ok(Seconds(d.whole_seconds().max(0).unsigned_abs()))
    }
}

impl std::fmt::Display for Seconds {
    /// In the largest unit that divides it, so it reads back exactly.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            s if s > 0 && s % 3600 == 0 => write!(f, "{}h", s / 3600),
            s if s > 0 && s % 60 == 0 => write!(f, "{}m", s / 60),
            s => write!(f, "{s}s"),
        }
    }
}

impl serde::Serialize for Seconds {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Seconds {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Seconds, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Written {
            Whole(u64),
            Text(String),
        }
        match Written::deserialize(d)? {
            Written::Whole(n) => Ok(Seconds(n)),
            Written::Text(t) => t.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// `login --timeout`: a duration (`90s`, `3m`; whole seconds too) from 1 s to an hour.
pub fn signin_wait(text: &str) -> Result<u64, String> {
    let Seconds(s) = text.parse()?;
    if (1..=3600).contains(&s) {
        Ok(s)
    } else {
        Err(format!("{text:?} is not between 1s and 1h"))
    }
}

#[cfg(test)]
mod seconds_tests {
    use super::*;

    #[test]
    fn written_one_way_read_both_ways() {
        for (text, secs, shown) in [
            ("30", 30, "30s"),
            ("30s", 30, "30s"),
            ("90s", 90, "90s"),
            ("2m", 120, "2m"),
            ("1h", 3600, "1h"),
        ] {
            let s: Seconds = text.parse().unwrap();
            assert_eq!(s, Seconds(secs), "{text}");
            assert_eq!(s.to_string(), shown);
            assert_eq!(shown.parse::<Seconds>().unwrap(), s, "round trip");
        }
        assert!("ten".parse::<Seconds>().is_err());
        assert_eq!(signin_wait("3m"), Ok(180));
        assert!(signin_wait("0s").is_err() && signin_wait("2h").is_err());
    }

    #[test]
    fn a_config_may_say_either() {
        #[derive(serde::Deserialize)]
        struct T {
            timeout: Seconds,
        }
        let a: T = toml_edit::de::from_str("timeout = 30").unwrap();
        let b: T = toml_edit::de::from_str("timeout = \"30s\"").unwrap();
        assert_eq!((a.timeout, b.timeout), (Seconds(30), Seconds(30)));
        assert!(toml_edit::de::from_str::<T>("timeout = \"soon\"").is_err());
    }
}
