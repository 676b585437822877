//! RFC 3339 rendering of git timestamps (seconds since the epoch plus the author's UTC offset),
//! without a date library.

use crate::validate::civil_from_days;

/// `2026-12-01T18:59:38+01:00` for a git time, in the offset it was recorded with.
pub(crate) fn rfc3339(t: git2::Time) -> String {
    let offset = i64::from(t.offset_minutes());
    let local = t.seconds() + offset * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let sign = if offset < 0 { '-' } else { '+' };
    let off = offset.abs();
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        off / 60,
        off % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_with_the_recorded_offset() {
        assert_eq!(rfc3339(git2::Time::new(0, 0)), "1970-01-01T00:00:00+00:00");
        // 2026-12-01T18:59:38Z
        assert_eq!(
            rfc3339(git2::Time::new(1_796_151_578, 60)),
            "2026-12-01T19:59:38+01:00"
        );
        assert_eq!(
            rfc3339(git2::Time::new(951_782_400, -330)),
            "2000-02-28T18:30:00-05:30"
        );
        assert_eq!(
            rfc3339(git2::Time::new(-86_400, 0)),
            "1969-12-31T00:00:00+00:00"
        );
    }
}
