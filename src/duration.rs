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
            s.chars().take(40).collect::<String>()
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
