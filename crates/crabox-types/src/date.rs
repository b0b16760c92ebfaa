//! Calendar dates (`YYYY-MM-DD`, proleptic Gregorian, UTC) for expiry and support-end dates.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar date. Ordered chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

/// A string that is not a `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseDateError(pub String);

impl fmt::Display for ParseDateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a date; expected `YYYY-MM-DD`, e.g. `2031-12-31`",
            self.0
        )
    }
}

impl std::error::Error for ParseDateError {}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// The date, if it exists in the calendar.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        (1..=12)
            .contains(&month)
            .then(|| days_in_month(year, month))
            .filter(|&days| day >= 1 && day <= days)
            .map(|_| Date { year, month, day })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn day(self) -> u8 {
        self.day
    }

    /// The UTC date of a Unix timestamp (seconds); `None` when the year does not fit in `i32`.
    pub fn from_unix_seconds(seconds: i64) -> Option<Date> {
        // Howard Hinnant's civil_from_days.
        let days = seconds.div_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Some(Date {
            year: i32::try_from(year).ok()?,
            month: u8::try_from(month).expect("month is 1..=12"),
            day: u8::try_from(day).expect("day is 1..=31"),
        })
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        let year = i64::from(self.year) - i64::from(self.month <= 2);
        let era = year.div_euclid(400);
        let yoe = year - era * 400;
        let month = i64::from(self.month);
        let mp = if month > 2 { month - 3 } else { month + 9 };
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

/// The current Unix time in seconds (0 before the epoch).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The Unix time of an HTTP date in its preferred form (RFC 9110 IMF-fixdate,
/// `Sun, 06 Nov 1994 08:49:37 GMT`); `None` for anything else.
pub fn parse_http_date(text: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (_, rest) = text.split_once(", ")?;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let month = MONTHS.iter().position(|m| m == month)? + 1;
    let date = Date::new(
        year.parse().ok()?,
        u8::try_from(month).ok()?,
        day.parse().ok()?,
    )?;
    let clock: Vec<i64> = time
        .split(':')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let [h, m, s] = clock.as_slice() else {
        return None;
    };
    if !(0..24).contains(h) || !(0..60).contains(m) || !(0..61).contains(s) {
        return None;
    }
    Some(date.days_since_epoch() * 86_400 + h * 3600 + m * 60 + s)
}

/// A Unix timestamp as RFC 3339 UTC with seconds (`2023-11-14T22:13:20Z`); `None` when out of
/// range.
pub fn rfc3339(seconds: i64) -> Option<String> {
    let date = Date::from_unix_seconds(seconds)?;
    if !(0..=9999).contains(&date.year()) {
        return None;
    }
    let in_day = seconds.rem_euclid(86_400);
    Some(format!(
        "{date}T{:02}:{:02}:{:02}Z",
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    ))
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = ParseDateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseDateError(s.to_owned());
        let bytes = s.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(err());
        }
        let digits = |range: std::ops::Range<usize>| {
            let part = &s[range];
            part.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| part.parse::<u32>().ok())
                .flatten()
        };
        let (Some(year), Some(month), Some(day)) = (digits(0..4), digits(5..7), digits(8..10))
        else {
            return Err(err());
        };
        Date::new(
            i32::try_from(year).map_err(|_| err())?,
            u8::try_from(month).map_err(|_| err())?,
            u8::try_from(day).map_err(|_| err())?,
        )
        .ok_or_else(err)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        })
    }
}

/// A moment in UTC, to the second, written as RFC 3339 (`2026-11-20T08:00:00Z`, or with an
/// offset such as `+01:00`) or as a date (`2026-11-20`, read as its first second in UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Unix seconds.
    pub fn unix_seconds(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match rfc3339(self.0) {
            Some(text) => f.write_str(&text),
            None => write!(f, "@{}", self.0),
        }
    }
}

impl FromStr for Timestamp {
    type Err = ParseDateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseDateError(s.to_owned());
        if s.len() == 10 {
            return Ok(Timestamp(s.parse::<Date>()?.days_since_epoch() * 86_400));
        }
        let (date, rest) = (s.get(..10).ok_or_else(err)?, s.get(10..).ok_or_else(err)?);
        let date: Date = date.parse().map_err(|_| err())?;
        let rest = rest.strip_prefix(['T', 't', ' ']).ok_or_else(err)?;
        // hh:mm:ss, optional fraction (ignored), then `Z` or ±hh:mm.
        let clock = rest.get(..8).ok_or_else(err)?;
        let mut zone = &rest[8..];
        if let Some(fraction) = zone.strip_prefix('.') {
            let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(err());
            }
            zone = &fraction[digits..];
        }
        let number = |text: &str| -> Option<i64> {
            (text.len() == 2 && text.bytes().all(|b| b.is_ascii_digit()))
                .then(|| text.parse().ok())
                .flatten()
        };
        let (h, m, sec) = match clock.split(':').collect::<Vec<_>>().as_slice() {
            [h, m, sec] => (number(h), number(m), number(sec)),
            _ => return Err(err()),
        };
        let (Some(h), Some(m), Some(sec)) = (h, m, sec) else {
            return Err(err());
        };
        if h > 23 || m > 59 || sec > 60 {
            return Err(err());
        }
        let offset = match zone {
            "Z" | "z" => 0,
            _ => {
                let sign = match zone.as_bytes().first() {
                    Some(b'+') => 1,
                    Some(b'-') => -1,
                    _ => return Err(err()),
                };
                let (oh, om) = zone[1..].split_once(':').ok_or_else(err)?;
                let (Some(oh), Some(om)) = (number(oh), number(om)) else {
                    return Err(err());
                };
                if oh > 23 || om > 59 {
                    return Err(err());
                }
                sign * (oh * 3600 + om * 60)
            }
        };
        Ok(Timestamp(
            date.days_since_epoch() * 86_400 + h * 3600 + m * 60 + sec - offset,
        ))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "an RFC 3339 time in quotes (\"2026-11-20T08:00:00Z\") or a date (\"2026-11-20\")",
                )
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Timestamp, E> {
                text.parse().map_err(|_| {
                    E::custom(format!(
                        "`{text}` is not an RFC 3339 time (\"2026-11-20T08:00:00Z\") or a date (\"2026-11-20\")"
                    ))
                })
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "RFC 3339 time (2026-11-20T08:00:00Z) or a date (2026-11-20, read as 00:00 UTC)",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2}))?$",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_valid_dates_only() {
        assert_eq!(
            "2031-12-31".parse::<Date>().unwrap().to_string(),
            "2031-12-31"
        );
        assert!("2024-02-29".parse::<Date>().is_ok());
        for bad in [
            "2023-02-29",
            "2031-13-01",
            "2031-00-10",
            "2031-1-01",
            "31-12-2031",
            "",
            "2031-12-3x",
            "+031-12-31",
        ] {
            let err = bad.parse::<Date>().unwrap_err();
            assert!(err.to_string().contains("YYYY-MM-DD"), "{bad}: {err}");
        }
    }

    #[test]
    fn unix_seconds_round_trip() {
        assert_eq!(
            Date::from_unix_seconds(0).unwrap().to_string(),
            "1970-01-01"
        );
        assert_eq!(
            Date::from_unix_seconds(951_782_400).unwrap().to_string(),
            "2000-02-29"
        );
        assert_eq!(
            Date::from_unix_seconds(-86_400).unwrap().to_string(),
            "1969-12-31"
        );
        for days in [-800_000_i64, -1, 0, 1, 59, 11_016, 20_000, 2_932_896] {
            let date = Date::from_unix_seconds(days * 86_400 + 43_200).unwrap();
            assert_eq!(date.days_since_epoch(), days, "{date}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_timestamp_gives_a_date_or_none(seconds in proptest::num::i64::ANY) {
            if let Some(date) = Date::from_unix_seconds(seconds) {
                let text = date.to_string();
                if date.year() >= 0 && date.year() <= 9999 {
                    proptest::prop_assert_eq!(text.parse::<Date>().ok(), Some(date));
                }
                proptest::prop_assert_eq!(date.days_since_epoch(), seconds.div_euclid(86_400));
            }
        }

        #[test]
        fn any_text_parses_or_fails_cleanly(text in ".{0,12}") {
            if let Ok(date) = text.parse::<Date>() {
                proptest::prop_assert_eq!(date.to_string(), text);
            }
        }
    }

    #[test]
    fn rfc3339_timestamps() {
        assert_eq!(
            rfc3339(1_700_000_000).as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
        assert_eq!(rfc3339(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(rfc3339(-1).as_deref(), Some("1969-12-31T23:59:59Z"));
        assert_eq!(rfc3339(i64::MAX), None);
    }

    #[test]
    fn extreme_timestamps_do_not_panic() {
        assert_eq!(Date::from_unix_seconds(i64::MAX), None);
        assert_eq!(Date::from_unix_seconds(i64::MIN), None);
    }

    #[test]
    fn orders_chronologically() {
        let a: Date = "2026-11-28".parse().unwrap();
        let b: Date = "2027-01-01".parse().unwrap();
        assert!(a < b);
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            rfc3339(parse_http_date("Sat, 28 Nov 2026 09:00:00 GMT").unwrap()).unwrap(),
            "2026-11-28T09:00:00Z"
        );
        for bad in [
            "",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn timestamps_in_rfc3339_and_as_dates() {
        let t = |s: &str| s.parse::<Timestamp>().map(Timestamp::unix_seconds);
        assert_eq!(t("2026-11-20"), Ok(1_795_132_800));
        assert_eq!(t("2026-11-20T08:00:00Z"), Ok(1_795_132_800 + 8 * 3600));
        assert_eq!(t("2026-11-20T09:30:00+01:30"), Ok(1_795_132_800 + 8 * 3600));
        assert_eq!(t("2026-11-20t08:00:00.123z"), Ok(1_795_132_800 + 8 * 3600));
        assert_eq!(t("2026-11-20T03:00:00-05:00"), Ok(1_795_132_800 + 8 * 3600));
        for bad in [
            "2026-11-20T08:00:00",
            "2026-11-20T24:00:00Z",
            "2026-11-20T08:00Z",
            "2026-13-01",
            "2026-11-20T08:00:00.Z",
            "2026-11-20T08:00:00+1:00",
            "yesterday",
            "",
        ] {
            assert!(t(bad).is_err(), "{bad} was accepted");
        }
        assert_eq!(
            Timestamp(1_795_132_800 + 8 * 3600).to_string(),
            "2026-11-20T08:00:00Z"
        );
    }
}
