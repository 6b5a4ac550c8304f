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
            bytes[r].iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
        };
        let month = time::Month::try_from(num(4..6) as u8).map_err(|_| Malformed::Date)?;
        let date = time::Date::from_calendar_date(num(0..4) as i32, month, num(6..8) as u8)
            .map_err(|_| Malformed::Date)?;
        let clock = time::Time::from_hms(num(9..11) as u8, num(11..13) as u8, num(13..15) as u8)
            .map_err(|_| Malformed::Date)?;

        let unix = time::PrimitiveDateTime::new(date, clock).assume_utc().unix_timestamp();
        Ok((AmzDate(bytes), Timestamp(unix)))
    }

    /// The whole value, `yyyymmddThhmmssZ`.
    pub fn as_str(&self) -> &str {
        // Built only from ASCII digits, 'T' and 'Z': cannot fail.
        std::str::from_utf8(&self.0).unwrap_or_default()
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
    fn amz_date_round_trips() {
        let (date, ts) = AmzDate::parse(b"20150830T123600Z").unwrap();
        assert_eq!(ts.unix(), 1_440_938_160);
        assert_eq!(ts.to_amz_date().unwrap(), date);
        assert_eq!(date.date(), "20150830");
        assert_eq!(date.date_number(), 20150830);
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
