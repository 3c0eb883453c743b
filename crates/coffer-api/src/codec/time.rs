//! Dates: [`CompactTime`] for objects, [`format_rfc3339`] for audit entries.
//!
//! The calendar arithmetic is the proleptic Gregorian day count of Howard Hinnant's
//! `days_from_civil` / `civil_from_days`, restricted to non-negative Unix times.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::WireError;

/// An object date: UTC, whole seconds, written `YYYYMMDDTHHMMSSZ` (e.g. `20170101T000000Z`).
///
/// Rs refuses fractions, separators, offsets and dates before 1970, so the value is a count of
/// seconds since the Unix epoch, at most [`CompactTime::MAX`] (the last second of year 9999).
/// Never-used objects carry [`CompactTime::EPOCH`], `19700101T000000Z`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CompactTime(u64);

impl CompactTime {
    /// `19700101T000000Z`.
    pub const EPOCH: CompactTime = CompactTime(0);

    /// `99991231T235959Z`, the last instant four year digits can write.
    pub const MAX: CompactTime = CompactTime(MAX_SECONDS);

    /// The time `seconds` after the Unix epoch; fails past [`CompactTime::MAX`].
    pub fn from_unix_seconds(seconds: u64) -> Result<Self, WireError> {
        if seconds > MAX_SECONDS {
            return Err(WireError::CompactTimeOutOfRange {
                detail: format!("{seconds} seconds is after year 9999"),
            });
        }
        Ok(CompactTime(seconds))
    }

    /// Like [`from_unix_seconds`](Self::from_unix_seconds), clamping to [`CompactTime::MAX`].
    pub fn saturating_from_unix_seconds(seconds: u64) -> Self {
        CompactTime(seconds.min(MAX_SECONDS))
    }

    /// Seconds since the Unix epoch.
    pub const fn unix_seconds(self) -> u64 {
        self.0
    }
}

impl From<CompactTime> for u64 {
    fn from(time: CompactTime) -> u64 {
        time.0
    }
}

impl fmt::Display for CompactTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = Civil::from_unix_seconds(self.0);
        write!(
            f,
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            c.year, c.month, c.day, c.hour, c.minute, c.second
        )
    }
}

impl FromStr for CompactTime {
    type Err = WireError;

    fn from_str(text: &str) -> Result<Self, WireError> {
        let invalid = || WireError::InvalidCompactTime {
            value: text.to_owned(),
        };
        let bytes = text.as_bytes();
        if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
            return Err(invalid());
        }
        let digits = |range: std::ops::Range<usize>| -> Result<u32, WireError> {
            let part = &bytes[range];
            if !part.iter().all(u8::is_ascii_digit) {
                return Err(invalid());
            }
            Ok(part.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
        };
        let civil = Civil {
            year: i64::from(digits(0..4)?),
            month: digits(4..6)?,
            day: digits(6..8)?,
            hour: digits(9..11)?,
            minute: digits(11..13)?,
            second: digits(13..15)?,
        };
        if !(1..=12).contains(&civil.month)
            || civil.day == 0
            || civil.day > days_in_month(civil.year, civil.month)
            || civil.hour > 23
            || civil.minute > 59
            || civil.second > 59
        {
            return Err(invalid());
        }
        if civil.year < 1970 {
            return Err(WireError::CompactTimeOutOfRange {
                detail: format!("`{text}` is before 1970-01-01T00:00:00Z"),
            });
        }
        // Year ≥ 1970 and every field in range, so the count is non-negative and ≤ MAX.
        Ok(CompactTime(civil.to_unix_seconds()))
    }
}

impl Serialize for CompactTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CompactTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimeVisitor;

        impl Visitor<'_> for TimeVisitor {
            type Value = CompactTime;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a UTC date/time `YYYYMMDDTHHMMSSZ`")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<CompactTime, E> {
                text.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_str(TimeVisitor)
    }
}

/// Formats an audit-log time as RFC 3339 UTC: `2024-05-01T12:00:00Z`, or with the fraction
/// when `nanos` is not zero (`2024-05-01T12:00:00.125Z`, trailing zeros dropped).
///
/// `nanos` of a second or more carry into `seconds`.
pub fn format_rfc3339(seconds: u64, nanos: u32) -> String {
    let seconds = seconds.saturating_add(u64::from(nanos / NANOS_PER_SECOND));
    let nanos = nanos % NANOS_PER_SECOND;
    let c = Civil::from_unix_seconds(seconds);
    let mut out = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    );
    if nanos != 0 {
        let fraction = format!("{nanos:09}");
        out.push('.');
        out.push_str(fraction.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

const NANOS_PER_SECOND: u32 = 1_000_000_000;
const SECONDS_PER_DAY: u64 = 86_400;
/// 9999-12-31T23:59:59Z.
const MAX_SECONDS: u64 = 253_402_300_799;

/// A broken-down UTC time.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

impl Civil {
    fn from_unix_seconds(seconds: u64) -> Self {
        let days = seconds / SECONDS_PER_DAY;
        let in_day = seconds % SECONDS_PER_DAY;
        // `days` ≤ u64::MAX / 86400 fits an i64.
        let (year, month, day) = civil_from_days(days as i64);
        Civil {
            year,
            month,
            day,
            hour: (in_day / 3600) as u32,
            minute: (in_day / 60 % 60) as u32,
            second: (in_day % 60) as u32,
        }
    }

    /// Only called for years ≥ 1970 with every field in range.
    fn to_unix_seconds(&self) -> u64 {
        let days = days_from_civil(self.year, self.month, self.day) as u64;
        days * SECONDS_PER_DAY
            + u64::from(self.hour) * 3600
            + u64::from(self.minute) * 60
            + u64::from(self.second)
    }
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn at(seconds: u64) -> String {
        CompactTime::from_unix_seconds(seconds).unwrap().to_string()
    }

    #[test]
    fn epoch_is_written_19700101t000000z() {
        assert_eq!(CompactTime::EPOCH.to_string(), "19700101T000000Z");
        assert_eq!(
            serde_json::to_string(&CompactTime::EPOCH).unwrap(),
            r#""19700101T000000Z""#
        );
        assert_eq!(
            "19700101T000000Z".parse::<CompactTime>().unwrap(),
            CompactTime::EPOCH
        );
    }

    #[test]
    fn known_instants_format_and_parse() {
        for (seconds, text) in [
            (1_584_235_425, "20200315T012345Z"),
            (1_483_228_800, "20170101T000000Z"),
            (1_714_564_800, "20240501T120000Z"),
            (951_782_400, "20000229T000000Z"),
            (4_107_542_399, "21000228T235959Z"),
            (MAX_SECONDS, "99991231T235959Z"),
        ] {
            assert_eq!(at(seconds), text);
            assert_eq!(
                text.parse::<CompactTime>().unwrap().unix_seconds(),
                seconds,
                "{text}"
            );
        }
    }

    #[test]
    fn malformed_or_impossible_dates_are_refused() {
        for text in [
            "20220119T024257",
            "2022-01-19T02:42:57Z",
            "20220119T024257.5Z",
            "20220119t024257z",
            "20221319T000000Z",
            "20220230T000000Z",
            "21000229T000000Z",
            "20220119T240000Z",
            "20220119T006000Z",
            "2022011aT000000Z",
            "",
        ] {
            assert!(text.parse::<CompactTime>().is_err(), "{text}");
        }
        let err = "19670120T012345Z".parse::<CompactTime>().unwrap_err();
        assert!(err.to_string().contains("before 1970"), "{err}");
        assert!(CompactTime::from_unix_seconds(MAX_SECONDS + 1).is_err());
        assert_eq!(
            CompactTime::saturating_from_unix_seconds(u64::MAX),
            CompactTime::MAX
        );
    }

    #[test]
    fn rfc3339_formats_whole_and_fractional_seconds() {
        assert_eq!(format_rfc3339(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(1_714_564_800, 0), "2024-05-01T12:00:00Z");
        assert_eq!(
            format_rfc3339(1_714_564_800, 125_000_000),
            "2024-05-01T12:00:00.125Z"
        );
        assert_eq!(
            format_rfc3339(1_714_564_800, 1),
            "2024-05-01T12:00:00.000000001Z"
        );
        assert_eq!(
            format_rfc3339(1_714_564_799, 1_000_000_000),
            "2024-05-01T12:00:00Z"
        );
    }

    proptest! {
        #[test]
        fn compact_time_round_trips(seconds in 0..=MAX_SECONDS) {
            let time = CompactTime::from_unix_seconds(seconds).unwrap();
            let json = serde_json::to_string(&time).unwrap();
            prop_assert_eq!(json.len(), 18);
            prop_assert_eq!(serde_json::from_str::<CompactTime>(&json).unwrap(), time);
        }

        #[test]
        fn day_count_inverts(days in 0i64..3_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert!((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m));
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
