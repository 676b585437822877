//! Calendar arithmetic for the expiry of credentials: the timestamps AWS writes (`20261101T120000Z`
//! in SigV4, `2026-11-01T12:00:00Z` in STS and instance-metadata JSON) as seconds since the Unix
//! epoch, and back to RFC 3339 for reports. No time zone database is needed: AWS writes UTC.

/// Days from 1970-01-01 to the given proleptic Gregorian date (negative before it).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn digits(text: &[u8]) -> Option<i64> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

fn epoch(year: i64, month: i64, day: i64, h: i64, m: i64, s: i64) -> Option<i64> {
    let valid = (1970..=9999).contains(&year)
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && (0..24).contains(&h)
        && (0..60).contains(&m)
        && (0..=60).contains(&s);
    valid.then(|| days_from_civil(year, month as u32, day as u32) * 86_400 + h * 3600 + m * 60 + s)
}

/// Seconds since the epoch of a SigV4 timestamp, `YYYYMMDDTHHMMSSZ`.
pub(crate) fn parse_amz_date(text: &[u8]) -> Option<i64> {
    if text.len() != 16 || text[8] != b'T' || text[15] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| digits(&text[r]);
    epoch(
        n(0..4)?,
        n(4..6)?,
        n(6..8)?,
        n(9..11)?,
        n(11..13)?,
        n(13..15)?,
    )
}

/// Seconds since the epoch of an ISO 8601 UTC timestamp at the start of `text`
/// (`2026-11-01T12:00:00Z`, with optional fractional seconds, `Z` or `+00:00`), and the bytes
/// it takes.
pub(crate) fn parse_iso8601(text: &[u8]) -> Option<(i64, usize)> {
    if text.len() < 19 {
        return None;
    }
    let sep = |i: usize, c: &[u8]| c.contains(&text[i]);
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"T ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| digits(&text[r]);
    let at = epoch(
        n(0..4)?,
        n(5..7)?,
        n(8..10)?,
        n(11..13)?,
        n(14..16)?,
        n(17..19)?,
    )?;
    let mut len = 19;
    if text.get(len) == Some(&b'.') {
        len += 1;
        while text.get(len).is_some_and(u8::is_ascii_digit) {
            len += 1;
        }
    }
    match text.get(len) {
        Some(b'Z') => len += 1,
        Some(b'+') if text.get(len..len + 6) == Some(b"+00:00") => len += 6,
        _ => {}
    }
    Some((at, len))
}

/// RFC 3339 in UTC (`2026-11-01T12:15:00Z`) of seconds since the epoch.
pub(crate) fn format_rfc3339(at: i64) -> String {
    let (year, month, day) = civil_from_days(at.div_euclid(86_400));
    let secs = at.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_known_instants() {
        assert_eq!(parse_amz_date(b"19700101T000000Z"), Some(0));
        assert_eq!(parse_amz_date(b"20000301T000000Z"), Some(951_868_800));
        let t = parse_amz_date(b"20261101T121500Z").unwrap();
        assert_eq!(format_rfc3339(t), "2026-11-01T12:15:00Z");
        assert_eq!(parse_iso8601(b"2026-11-01T12:15:00Z,"), Some((t, 20)));
        assert_eq!(
            parse_iso8601(b"2026-11-01T12:15:00.123+00:00"),
            Some((t, 29))
        );
        assert_eq!(parse_iso8601(b"2026-11-01 12:15:00"), Some((t, 19)));
        for day in [-1, 0, 59, 60, 365 * 30, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(parse_amz_date(b"20261301T000000Z"), None);
        assert_eq!(parse_amz_date(b"2026110T1215000Z"), None);
        assert_eq!(parse_iso8601(b"2026-11-01X12:15:00Z"), None);
        assert_eq!(parse_iso8601(b"2026-11-01T12:15"), None);
        assert_eq!(parse_iso8601(b"+026-11-01T12:15:00Z"), None);
    }
}
