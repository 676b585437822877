//! Dates without a date library: RFC 3339 with any offset read back into an instant (commit
//! dates compared across offsets, the timeline of the HTML report) and instants written as UTC
//! dates; the calendar arithmetic is `validate`'s.

use crate::validate::{days_from_civil, format_rfc3339};

/// Seconds since the epoch of `YYYY-MM-DDTHH:MM:SS` followed by `Z` or `±HH:MM`; `None` for
/// anything else.
pub(crate) fn unix_seconds(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let offset = match &s[19..] {
        "Z" => 0,
        o if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) && &o[3..4] == ":" => {
            let v = num(20..22)? * 3600 + num(23..25)? * 60;
            if o.starts_with('-') {
                -v
            } else {
                v
            }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo as u32, d as u32);
    Some(days * 86_400 + h * 3600 + mi * 60 + sec - offset)
}

/// `YYYY-MM-DDTHH:MM:SS` in UTC (no zone suffix: the form GitLab's reports want).
pub(crate) fn utc_plain(unix_secs: i64) -> String {
    let mut s = format_rfc3339(unix_secs);
    s.pop();
    s
}

/// `YYYYMMDDTHHMMSSZ` in UTC: ISO 8601's basic form, as SigV4's `X-Amz-Date` wants it.
pub(crate) fn utc_compact(unix_secs: i64) -> String {
    format_rfc3339(unix_secs).replace(['-', ':'], "")
}

/// Seconds since the epoch now.
pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_offsets_and_round_trips() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00+00:00"), Some(0));
        assert_eq!(unix_seconds("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(unix_seconds("2000-02-28T18:30:00-05:30"), Some(951_782_400));
        assert_eq!(unix_seconds("2026-12-01T18:59:38Z"), Some(1_796_151_578));
        assert_eq!(utc_plain(1_796_151_578), "2026-12-01T18:59:38");
        assert_eq!(utc_plain(-86_400), "1969-12-31T00:00:00");
        assert_eq!(utc_compact(1_796_151_578), "20261201T185938Z");
        for bad in [
            "",
            "2026-13-01T00:00:00Z",
            "2026-01-01 00:00:00Z",
            "2026-01-01T00:00:00",
        ] {
            assert_eq!(unix_seconds(bad), None, "{bad}");
        }
    }
}
