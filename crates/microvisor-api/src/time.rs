//! ISO 8601 UTC timestamps (`2021-01-01T12:34:56Z`), as Unix seconds. Hand-rolled on purpose:
//! the API uses one fixed format, and a date crate would cost the wasm bundle far more.

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_iso8601(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)` into Unix seconds. `None` for
/// anything else; never panics.
pub fn parse_iso8601(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 || !text.is_ascii() {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let separators_ok = bytes[4] == b'-'
        && bytes[7] == b'-'
        && matches!(bytes[10], b'T' | b't' | b' ')
        && bytes[13] == b':'
        && bytes[16] == b':';
    if !separators_ok {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hours = num_in(rest, 1..3)?;
            let minutes = num_in(rest, 4..6)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            sign * (hours * 3600 + minutes * 60)
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

fn num_in(text: &str, range: std::ops::Range<usize>) -> Option<i64> {
    let part = text.get(range)?;
    part.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| part.parse().ok())?
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days-from-civil algorithms.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// "just now", "5 min ago", "in 3 h", "2 days ago": a person's sense of `then` from `now`.
pub fn relative(then: i64, now: i64) -> String {
    let delta = now - then;
    let magnitude = delta.unsigned_abs();
    let amount = match magnitude {
        0..=44 => return "just now".to_owned(),
        45..=3_599 => format!("{} min", magnitude.div_ceil(60).max(1)),
        3_600..=86_399 => format!("{} h", magnitude / 3_600),
        86_400..=2_591_999 => plural(magnitude / 86_400, "day"),
        2_592_000..=31_535_999 => plural(magnitude / 2_592_000, "month"),
        _ => plural(magnitude / 31_536_000, "year"),
    };
    if delta >= 0 {
        format!("{amount} ago")
    } else {
        format!("in {amount}")
    }
}

/// "23 h 59 min", "4 min 10 s", "expired": time left until `deadline`.
pub fn remaining(deadline: i64, now: i64) -> String {
    let left = deadline - now;
    if left <= 0 {
        return "expired".to_owned();
    }
    let (hours, minutes, seconds) = (left / 3600, left % 3600 / 60, left % 60);
    if hours > 0 {
        format!("{hours} h {minutes} min")
    } else if minutes > 0 {
        format!("{minutes} min {seconds} s")
    } else {
        format!("{seconds} s")
    }
}

fn plural(count: u64, unit: &str) -> String {
    if count == 1 {
        format!("1 {unit}")
    } else {
        format!("{count} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_known_instants() {
        assert_eq!(format_iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_iso8601(1_609_504_496), "2021-01-01T12:34:56Z");
        assert_eq!(parse_iso8601("2021-01-01T12:34:56Z"), Some(1_609_504_496));
        assert_eq!(
            parse_iso8601("2021-01-01T12:34:56.789Z"),
            Some(1_609_504_496)
        );
        assert_eq!(
            parse_iso8601("2021-01-01T13:34:56+01:00"),
            Some(1_609_504_496)
        );
        assert_eq!(parse_iso8601("2024-02-29T00:00:00Z"), Some(1_709_164_800));
    }

    #[test]
    fn round_trips_across_eras() {
        for secs in [
            -62_135_596_800,
            -1,
            951_782_400,
            4_102_444_800,
            1_700_000_000,
        ] {
            assert_eq!(parse_iso8601(&format_iso8601(secs)), Some(secs), "{secs}");
        }
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in [
            "",
            "2021-01-01",
            "2021-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2021-01-01T24:00:00Z",
            "2021-01-01T00:00:00",
            "2021-01-01T00:00:00.Z",
            "2021-01-01T00:00:00+1:00",
            "２０２１-01-01T00:00:00Z",
            "+021-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
    }

    #[test]
    fn describes_relative_times() {
        assert_eq!(relative(100, 110), "just now");
        assert_eq!(relative(0, 300), "5 min ago");
        assert_eq!(relative(7_200, 0), "in 2 h");
        assert_eq!(relative(0, 86_400), "1 day ago");
        assert_eq!(relative(0, 3 * 86_400), "3 days ago");
        assert_eq!(remaining(100 + 86_399, 100), "23 h 59 min");
        assert_eq!(remaining(250, 0), "4 min 10 s");
        assert_eq!(remaining(0, 5), "expired");
    }
}
