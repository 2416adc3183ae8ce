//! Timestamps on the wire, written without `core::fmt`: every listed thread and item
//! carries one, and chrono's `Display` was the largest single cost of a `threads.list`
//! (about 8% of the server's time in a profile). The text is exactly chrono's RFC 3339
//! form, `2026-11-21T09:00:00.123456Z`, with 0, 3, 6 or 9 fraction digits.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::Serializer;

pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; 30];
    match write(at, &mut buf) {
        // Only ASCII digits and separators are written.
        Some(len) => serializer.serialize_str(std::str::from_utf8(&buf[..len]).unwrap_or("")),
        // Years outside 0..=9999 and leap seconds: chrono's own form.
        None => serde::Serialize::serialize(at, serializer),
    }
}

fn write(at: &DateTime<Utc>, buf: &mut [u8; 30]) -> Option<usize> {
    let year = u32::try_from(at.year()).ok().filter(|y| *y <= 9999)?;
    let nanos = at.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    fn digits(buf: &mut [u8], mut value: u32) {
        for slot in buf.iter_mut().rev() {
            *slot = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    digits(&mut buf[0..4], year);
    buf[4] = b'-';
    digits(&mut buf[5..7], at.month());
    buf[7] = b'-';
    digits(&mut buf[8..10], at.day());
    buf[10] = b'T';
    digits(&mut buf[11..13], at.hour());
    buf[13] = b':';
    digits(&mut buf[14..16], at.minute());
    buf[16] = b':';
    digits(&mut buf[17..19], at.second());
    let mut len = 19;
    let (fraction, width) = match nanos {
        0 => (0, 0),
        n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
        n if n % 1_000 == 0 => (n / 1_000, 6),
        n => (n, 9),
    };
    if width > 0 {
        buf[len] = b'.';
        digits(&mut buf[len + 1..len + 1 + width], fraction);
        len += 1 + width;
    }
    buf[len] = b'Z';
    Some(len + 1)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[derive(serde::Serialize)]
    struct Stamp(#[serde(serialize_with = "serialize")] DateTime<Utc>);

    fn ours(at: DateTime<Utc>) -> String {
        serde_json::to_string(&Stamp(at)).unwrap()
    }

    fn chronos(at: DateTime<Utc>) -> String {
        serde_json::to_string(&at).unwrap()
    }

    #[test]
    fn writes_what_chrono_writes() {
        let base = Utc.with_ymd_and_hms(2026, 11, 21, 9, 5, 7).unwrap();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut cases = vec![
            base,
            Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
        ];
        for nanos in [
            1,
            999,
            1_000,
            120_000,
            123_456_000,
            500_000_000,
            999_999_999,
        ] {
            cases.push(base + chrono::Duration::nanoseconds(nanos));
        }
        for _ in 0..2000 {
            // xorshift: varied dates and every fraction width, without a dependency.
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let secs = (seed % 8_000_000_000) as i64 - 1_000_000_000;
            let nanos = match seed % 4 {
                0 => 0,
                1 => (seed >> 8) as u32 % 1000 * 1_000_000,
                2 => (seed >> 8) as u32 % 1_000_000 * 1000,
                _ => (seed >> 8) as u32 % 1_000_000_000,
            };
            cases.push(Utc.timestamp_opt(secs, nanos).unwrap());
        }
        for at in cases {
            assert_eq!(ours(at), chronos(at), "{at:?}");
        }
    }

    #[test]
    fn years_past_9999_fall_back_to_chrono() {
        let far = Utc.with_ymd_and_hms(12026, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(ours(far), chronos(far));
    }
}
