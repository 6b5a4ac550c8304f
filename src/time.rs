//! Time as a value: the library never reads the clock itself.
//!
//! Every check takes `now` as a [`Timestamp`]. The one place that reads the
//! wall clock is [`SystemClock`], meant for the edge of a program (a server's
//! request handler, a command-line tool).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Malformed};

/// A point in time, in whole seconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The time `secs` seconds after 1970-01-01T00:00:00Z (negative: before).
    pub const fn from_unix(secs: i64) -> Self {
        Timestamp(secs)
    }

    /// Seconds since the Unix epoch.
    pub const fn unix(self) -> i64 {
        self.0
    }

    /// This time moved by `secs` seconds (saturating).
    pub const fn add_secs(self, secs: i64) -> Self {
        Timestamp(self.0.saturating_add(secs))
    }

    /// `X-Amz-Date` form: `yyyymmddThhmmssZ`.
    ///
    /// # Errors
    /// [`Error::Config`] for a time outside the years 0 to 9999.
    pub fn to_amz_date(self) -> Result<AmzDate, Error> {
        let t = time::OffsetDateTime::from_unix_timestamp(self.0)
            .map_err(|_| Error::Config("time out of range"))?;
        let year = t.year();
        if !(0..=9999).contains(&year) {
            return Err(Error::Config("time out of range"));
        }
        let mut out = *b"00000000T000000Z";
        put_digits(&mut out[0..4], year as u32);
        put_digits(&mut out[4..6], u8::from(t.month()) as u32);
        put_digits(&mut out[6..8], t.day() as u32);
        put_digits(&mut out[9..11], t.hour() as u32);
        put_digits(&mut out[11..13], t.minute() as u32);
        put_digits(&mut out[13..15], t.second() as u32);
        Ok(AmzDate(out))
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
            Err(e) => Timestamp(-i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX)),
        }
    }
}

impl From<Timestamp> for SystemTime {
    fn from(t: Timestamp) -> Self {
        let magnitude = Duration::from_secs(t.0.unsigned_abs());
        if t.0 >= 0 { UNIX_EPOCH + magnitude } else { UNIX_EPOCH - magnitude }
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar.
///
/// Counts in 400-year eras that start on March 1st, so that the leap day
/// falls at the end of each counted year.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn put_digits(out: &mut [u8], mut value: u32) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// A SigV4 date and time, `yyyymmddThhmmssZ`, always 16 ASCII bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AmzDate([u8; 16]);

impl AmzDate {
    /// Parse `yyyymmddThhmmssZ`, checking that it names a real instant.
    ///
    /// # Errors
    /// [`Malformed::Date`] for anything else.
    pub fn parse(text: &[u8]) -> Result<(AmzDate, Timestamp), Error> {
        let bytes: [u8; 16] = text.try_into().map_err(|_| Malformed::Date)?;
        let digits_ok = bytes[..8].iter().chain(&bytes[9..15]).all(u8::is_ascii_digit);
        if !digits_ok || bytes[8] != b'T' || bytes[15] != b'Z' {
            return Err(Malformed::Date.into());
        }

        let num = |r: std::ops::Range<usize>| {
            bytes[r].iter().fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'))
        };
        let (year, month, day) = (num(0..4), num(4..6), num(6..8));
        let (hour, minute, second) = (num(9..11), num(11..13), num(13..15));
        let real = (1..=12).contains(&month)
            && (1..=days_in_month(year, month)).contains(&day)
            && hour < 24
            && minute < 60
            && second < 60;
        if !real {
            return Err(Malformed::Date.into());
        }
        let unix = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
        Ok((AmzDate(bytes), Timestamp(unix)))
    }

    /// The whole value, `yyyymmddThhmmssZ`.
    pub fn as_str(&self) -> &str {
        // Built only from ASCII digits, 'T' and 'Z': cannot fail.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The whole value as bytes.
    pub(crate) fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The date part, `yyyymmdd`, as bytes.
    pub(crate) fn date_bytes(&self) -> &[u8] {
        &self.0[..8]
    }

    /// The date part, `yyyymmdd`, as used in the credential scope.
    pub fn date(&self) -> &str {
        &self.as_str()[..8]
    }

    /// The date part as a number, `yyyymmdd`.
    pub(crate) fn date_number(&self) -> u32 {
        self.0[..8].iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
    }
}

impl std::fmt::Debug for AmzDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AmzDate({})", self.as_str())
    }
}

impl std::fmt::Display for AmzDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The wall clock. The only place in the crate that reads it.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl SystemClock {
    /// The current time.
    #[expect(clippy::disallowed_methods, reason = "the one place that reads the clock")]
    pub fn now() -> Timestamp {
        Timestamp::from(SystemTime::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_times_convert_both_ways_on_both_sides_of_the_epoch() {
        for secs in [0i64, 5, -5, 1_704_164_645, -2_208_988_800] {
            let magnitude = Duration::from_secs(secs.unsigned_abs());
            let system = if secs >= 0 { UNIX_EPOCH + magnitude } else { UNIX_EPOCH - magnitude };
            assert_eq!(Timestamp::from(system).unix(), secs);
            assert_eq!(SystemTime::from(Timestamp::from_unix(secs)), system);
        }
    }

    #[test]
    fn amz_dates_exist_for_the_years_0_to_9999_only() {
        // 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z, then a second beyond each.
        let (first, last) = (-62_167_219_200, 253_402_300_799);
        assert_eq!(Timestamp::from_unix(first).to_amz_date().unwrap().as_str(), "00000101T000000Z");
        let last_date = Timestamp::from_unix(last).to_amz_date().unwrap();
        assert_eq!(last_date.to_string(), "99991231T235959Z");
        for out in [first - 1, last + 1, i64::MIN, i64::MAX] {
            let refused = Timestamp::from_unix(out).to_amz_date();
            assert!(matches!(refused, Err(Error::Config(_))), "{out}: {refused:?}");
        }
    }

    #[test]
    fn amz_date_round_trips() {
        let (date, ts) = AmzDate::parse(b"20150830T123600Z").unwrap();
        assert_eq!(ts.unix(), 1_440_938_160);
        assert_eq!(ts.to_amz_date().unwrap(), date);
        assert_eq!(date.date(), "20150830");
        assert_eq!(date.date_number(), 20150830);
    }

    #[test]
    fn dates_count_days_as_the_calendar_does() {
        // Checked against `time`'s own conversion, for dates across leap years and eras.
        for (y, m, d) in [
            (1970, 1, 1),
            (2000, 2, 29),
            (1900, 3, 1),
            (2024, 12, 31),
            (1969, 12, 31),
            (1, 1, 1),
            (9999, 12, 31),
            (2100, 2, 28),
        ] {
            let month = time::Month::try_from(m as u8).unwrap();
            let date = time::Date::from_calendar_date(y as i32, month, d as u8).unwrap();
            let want = date.midnight().assume_utc().unix_timestamp() / 86_400;
            assert_eq!(days_from_civil(y, m, d), want, "{y}-{m}-{d}");
        }
        assert!(AmzDate::parse(b"20240229T000000Z").is_ok());
        assert!(AmzDate::parse(b"20230229T000000Z").is_err());
        assert!(AmzDate::parse(b"21000229T000000Z").is_err());
        assert!(AmzDate::parse(b"20000229T235959Z").is_ok());
    }

    #[test]
    fn bad_dates_are_malformed() {
        for bad in [
            &b"20150830T123600"[..],
            b"2015083OT123600Z",
            b"20150230T123600Z",
            b"20151330T123600Z",
            b"20150830T246000Z",
            b"20150830 123600Z",
            b"",
            b"\xff\xfe",
        ] {
            assert_eq!(AmzDate::parse(bad).unwrap_err().reason(), crate::Reason::Malformed);
        }
    }
}
