//! Durations as people write and read them — the one place every flag and configuration
//! key (`--interval`, `--escalate`, `--timeout`, `--sample`, `interval = "2s"`) is parsed,
//! and where durations are written back for messages and tables.
//!
//! Parsing is jiff's "friendly" format (`500ms`, `2s`, `1.5s`, `1m30s`, `1h`, `2 minutes`),
//! plus a bare number as seconds, as `sleep` takes it. prt adds the limits: positive, and at
//! most a year — an interval of zero would spin, a negative one means nothing.

use std::time::Duration;

use crate::i18n::{self, Msg};

/// The longest duration prt accepts anywhere.
const LONGEST: Duration = Duration::from_secs(365 * 86_400);

/// Parses `500ms`, `2s`, `1.5s`, `1m30s`, `1h` (a bare number is seconds); the error is a
/// translated sentence naming the text.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad = || i18n::trf(Msg::CfgDuration, &[&text]);
    let signed = match text.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() => jiff::SignedDuration::try_from_secs_f64(seconds)
            .map_err(|_| i18n::trf(Msg::CfgRange, &[&text]))?,
        Ok(_) => return Err(bad()),
        Err(_) => text.parse::<jiff::SignedDuration>().map_err(|_| bad())?,
    };
    match Duration::try_from(signed) {
        Ok(duration) if !duration.is_zero() && duration <= LONGEST => Ok(duration),
        _ => Err(i18n::trf(Msg::CfgRange, &[&text])),
    }
}

/// `42s`, `5m`, `3h`, `2d`: an age at a glance, in its largest whole unit.
#[must_use]
pub fn age(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        0..60 => format!("{secs}s"),
        60..3_600 => format!("{}m", secs / 60),
        3_600..86_400 => format!("{}h", secs / 3_600),
        _ => format!("{}d", secs / 86_400),
    }
}

/// `500ms`, `2s`, `1.5s`, `1m`: a duration as a person would have written it — what
/// `--interval`, `--escalate` or `--timeout` said, or a time waited.
#[must_use]
pub fn exact(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1_000 {
        format!("{millis}ms")
    } else if millis.is_multiple_of(60_000) && millis < 3_600_000 {
        format!("{}m", millis / 60_000)
    } else if millis.is_multiple_of(1_000) {
        format!("{}s", millis / 1_000)
    } else {
        // Tenths are what a person reads in a wait; more is noise.
        format!("{:.1}s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_people_write() {
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse(" 1h "), Ok(Duration::from_secs(3600)));
        for bad in [
            "0s",
            "0",
            "-1s",
            "-2",
            "5 parsecs",
            "",
            "s",
            "NaN",
            "inf",
            "2y",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn writes_what_people_read() {
        assert_eq!(age(Duration::from_secs(42)), "42s");
        assert_eq!(age(Duration::from_secs(3 * 3600 + 5)), "3h");
        assert_eq!(exact(Duration::from_millis(500)), "500ms");
        assert_eq!(exact(Duration::from_secs(2)), "2s");
        assert_eq!(exact(Duration::from_millis(1500)), "1.5s");
        assert_eq!(exact(Duration::from_secs(120)), "2m");
        assert_eq!(exact(Duration::from_secs(90)), "90s");
        assert_eq!(exact(Duration::from_millis(2345)), "2.3s");
    }
}
