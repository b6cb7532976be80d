//! Calendar dates as day numbers (days since 1970-01-01), with the civil-calendar arithmetic the generator
//! needs (add days, months, years) and ISO-8601 formatting. No time zones, no wall clock.

use std::fmt;

/// A calendar date (proleptic Gregorian), stored as the number of days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub i32);

impl Date {
    /// The date of year `y`, month `m` (1-12), day `d` (1-31). Out-of-range days roll over.
    pub const fn from_ymd(y: i32, m: u32, d: u32) -> Date {
        // Howard Hinnant's days_from_civil.
        let y = if m <= 2 { y - 1 } else { y };
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let mp = (m as i32 + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d as i32 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Date(era * 146_097 + doe - 719_468)
    }

    /// Year, month (1-12) and day (1-31).
    pub const fn ymd(self) -> (i32, u32, u32) {
        let z = self.0 + 719_468;
        let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        (if m <= 2 { y + 1 } else { y }, m, d)
    }

    /// The year.
    pub const fn year(self) -> i32 {
        self.ymd().0
    }

    /// This date plus `n` days (negative goes back).
    pub const fn add_days(self, n: i32) -> Date {
        Date(self.0 + n)
    }

    /// The same day `n` months later (clamped to the month's last day: Jan 31 + 1 month = Feb 28/29).
    pub const fn add_months(self, n: i32) -> Date {
        let (y, m, d) = self.ymd();
        let total = y * 12 + (m as i32 - 1) + n;
        let ny = total.div_euclid(12);
        let nm = (total.rem_euclid(12) + 1) as u32;
        let last = days_in_month(ny, nm);
        Date::from_ymd(ny, nm, if d > last { last } else { d })
    }

    /// The same day `n` years later (Feb 29 becomes Feb 28 in a common year).
    pub const fn add_years(self, n: i32) -> Date {
        self.add_months(n * 12)
    }

    /// Whole years elapsed from `self` (a birth date) to `on`.
    pub const fn age_on(self, on: Date) -> i32 {
        let (by, bm, bd) = self.ymd();
        let (y, m, d) = on.ymd();
        let mut age = y - by;
        if m < bm || (m == bm && d < bd) {
            age -= 1;
        }
        age
    }

    /// Write the ISO-8601 form `YYYY-MM-DD` (10 bytes, years 0-9999). Dates of 1900-2099 come from a
    /// precomputed table (date formatting is a hot spot of the streaming writer).
    #[inline]
    pub fn write_iso(self, out: &mut Vec<u8>) {
        let table = iso_table();
        match usize::try_from(self.0 - TABLE_START.0)
            .ok()
            .and_then(|i| table.get(i))
        {
            Some(s) => out.extend_from_slice(s),
            None => self.write_iso_slow(out),
        }
    }

    fn write_iso_slow(self, out: &mut Vec<u8>) {
        let (y, m, d) = self.ymd();
        let y = y.clamp(0, 9999) as u32;
        out.extend_from_slice(&[
            b'0' + (y / 1000) as u8,
            b'0' + (y / 100 % 10) as u8,
            b'0' + (y / 10 % 10) as u8,
            b'0' + (y % 10) as u8,
            b'-',
            b'0' + (m / 10) as u8,
            b'0' + (m % 10) as u8,
            b'-',
            b'0' + (d / 10) as u8,
            b'0' + (d % 10) as u8,
        ]);
    }

    /// Write the French form `DD/MM/YYYY`.
    pub fn write_fr(self, out: &mut Vec<u8>) {
        if let Some(s) = usize::try_from(self.0 - TABLE_START.0)
            .ok()
            .and_then(|i| iso_table().get(i))
        {
            out.extend_from_slice(&[s[8], s[9], b'/', s[5], s[6], b'/', s[0], s[1], s[2], s[3]]);
            return;
        }
        let (y, m, d) = self.ymd();
        let y = y.clamp(0, 9999) as u32;
        out.extend_from_slice(&[
            b'0' + (d / 10) as u8,
            b'0' + (d % 10) as u8,
            b'/',
            b'0' + (m / 10) as u8,
            b'0' + (m % 10) as u8,
            b'/',
            b'0' + (y / 1000) as u8,
            b'0' + (y / 100 % 10) as u8,
            b'0' + (y / 10 % 10) as u8,
            b'0' + (y % 10) as u8,
        ]);
    }

    /// Parse `YYYY-MM-DD`.
    pub fn parse_iso(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let mut v = 0u32;
            for &c in &b[r] {
                if !c.is_ascii_digit() {
                    return None;
                }
                v = v * 10 + u32::from(c - b'0');
            }
            Some(v)
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y as i32, m) {
            return None;
        }
        Some(Date::from_ymd(y as i32, m, d))
    }
}

impl Date {
    /// Day of the week, 0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday).
    pub const fn weekday(self) -> u32 {
        (self.0 + 3).rem_euclid(7) as u32
    }

    /// Whether this is a working day in departement `dept` (a code: `75`, `2A`, `971`...): not a Saturday,
    /// a Sunday or a public holiday there ([`is_public_holiday`]).
    pub fn is_working_day(self, dept: &str) -> bool {
        Calendar::of(dept).is_working(self)
    }

    /// The `n`-th working day after this date in `dept` (`n` = 0: the first at or after it).
    pub fn add_working_days(self, n: u32, dept: &str) -> Date {
        Calendar::of(dept).add_working(self, n)
    }

    /// The first working day at or after this date in `dept`.
    pub fn next_working_day(self, dept: &str) -> Date {
        Calendar::of(dept).next_working(self)
    }

    /// The last working day at or before this date in `dept`.
    pub fn previous_working_day(self, dept: &str) -> Date {
        Calendar::of(dept).previous_working(self)
    }
}

/// The working days of one departement: weekends and its public holidays are off. Dates of 1900-2099 are
/// read from a precomputed table (the generator asks for every act of every case file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calendar {
    class: u8,
    dept: &'static str,
}

impl Calendar {
    /// The calendar of departement `dept` (a code: `75`, `2A`, `971`...).
    pub fn of(dept: &str) -> Calendar {
        let class = holiday_class(dept);
        Calendar {
            class: class as u8,
            dept: HOLIDAY_CLASSES[class as usize],
        }
    }

    /// Whether `d` is a working day.
    #[inline]
    pub fn is_working(self, d: Date) -> bool {
        match usize::try_from(d.0 - TABLE_START.0)
            .ok()
            .and_then(|i| closed_days().get(i))
        {
            Some(mask) => mask & (1 << self.class) == 0,
            None => d.weekday() < 5 && !is_public_holiday(d, self.dept),
        }
    }

    /// The first working day at or after `d`.
    pub fn next_working(self, d: Date) -> Date {
        let mut d = d;
        while !self.is_working(d) {
            d = d.add_days(1);
        }
        d
    }

    /// The last working day at or before `d`.
    pub fn previous_working(self, d: Date) -> Date {
        let mut d = d;
        while !self.is_working(d) {
            d = d.add_days(-1);
        }
        d
    }

    /// The `n`-th working day after `d` (`n` = 0: the first at or after it).
    pub fn add_working(self, d: Date, n: u32) -> Date {
        let mut d = self.next_working(d);
        for _ in 0..n {
            d = self.next_working(d.add_days(1));
        }
        d
    }
}

/// Easter Sunday of year `y` (Gregorian calendar; the anonymous algorithm of Meeus/Jones/Butcher).
pub const fn easter(y: i32) -> Date {
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::from_ymd(y, month as u32, day as u32)
}

/// Whether `date` is a public holiday in departement `dept` (code-du-travail art. L3133-1 and the local
/// rules): the eleven national ones (1 January, Easter Monday, 1 May, 8 May, Ascension, Whit Monday,
/// 14 July, 15 August, 1 November, 11 November, 25 December); in Alsace-Moselle (57, 67, 68) also Good
/// Friday and 26 December; overseas, the day of the abolition of slavery (971 27 May, 972 22 May,
/// 973 10 June, 974 20 December, 976 27 April).
pub fn is_public_holiday(date: Date, dept: &str) -> bool {
    let (y, m, d) = date.ymd();
    let fixed = matches!(
        (m, d),
        (1, 1) | (5, 1) | (5, 8) | (7, 14) | (8, 15) | (11, 1) | (11, 11) | (12, 25)
    );
    if fixed {
        return true;
    }
    let local = match dept {
        "57" | "67" | "68" => (m, d) == (12, 26),
        "971" => (m, d) == (5, 27),
        "972" => (m, d) == (5, 22),
        "973" => (m, d) == (6, 10),
        "974" => (m, d) == (12, 20),
        "976" => (m, d) == (4, 27),
        _ => false,
    };
    if local {
        return true;
    }
    let from_easter = date.0 - easter(y).0;
    matches!(from_easter, 1 | 39 | 50) || (from_easter == -2 && matches!(dept, "57" | "67" | "68"))
}

/// The departements whose public holidays differ from the national ones, each a bit of [`closed_days`]:
/// 0 the others, 1 Alsace-Moselle, 2-6 the overseas departements.
const HOLIDAY_CLASSES: [&str; 7] = ["75", "67", "971", "972", "973", "974", "976"];

fn holiday_class(dept: &str) -> u32 {
    match dept {
        "57" | "67" | "68" => 1,
        "971" => 2,
        "972" => 3,
        "973" => 4,
        "974" => 5,
        "976" => 6,
        _ => 0,
    }
}

/// For each day of 1900-2099, bit `c` set when the day is not worked in holiday class `c` (the rule of
/// [`is_public_holiday`], year by year; a test holds them equal).
fn closed_days() -> &'static [u8] {
    static TABLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let all = (1u8 << HOLIDAY_CLASSES.len()) - 1;
        let mut t: Vec<u8> = (TABLE_START.0..TABLE_END.0)
            .map(|n| if Date(n).weekday() >= 5 { all } else { 0 })
            .collect();
        let mut mark = |d: Date, classes: u8| {
            if let Some(m) = usize::try_from(d.0 - TABLE_START.0)
                .ok()
                .and_then(|i| t.get_mut(i))
            {
                *m |= classes;
            }
        };
        for y in TABLE_START.year()..TABLE_END.year() {
            for (m, d) in [
                (1, 1),
                (5, 1),
                (5, 8),
                (7, 14),
                (8, 15),
                (11, 1),
                (11, 11),
                (12, 25),
            ] {
                mark(Date::from_ymd(y, m, d), all);
            }
            let e = easter(y);
            for days in [1, 39, 50] {
                mark(e.add_days(days), all);
            }
            mark(e.add_days(-2), 1 << 1);
            mark(Date::from_ymd(y, 12, 26), 1 << 1);
            for (c, (m, d)) in [(5, 27), (5, 22), (6, 10), (12, 20), (4, 27)]
                .into_iter()
                .enumerate()
            {
                mark(Date::from_ymd(y, m, d), 1 << (c + 2));
            }
        }
        t
    })
}

const TABLE_START: Date = Date::from_ymd(1900, 1, 1);
const TABLE_END: Date = Date::from_ymd(2100, 1, 1);

fn iso_table() -> &'static [[u8; 10]] {
    static TABLE: std::sync::OnceLock<Vec<[u8; 10]>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (TABLE_START.0..TABLE_END.0)
            .map(|n| {
                let mut b = Vec::with_capacity(10);
                Date(n).write_iso_slow(&mut b);
                b.try_into().expect("ISO dates have 10 bytes")
            })
            .collect()
    })
}

/// Number of days in month `m` of year `y`.
pub const fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 => {
            if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 {
                29
            } else {
                28
            }
        }
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut b = Vec::with_capacity(10);
        self.write_iso(&mut b);
        f.write_str(std::str::from_utf8(&b).map_err(|_| fmt::Error)?)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_and_known_days() {
        assert_eq!(Date::from_ymd(1970, 1, 1), Date(0));
        assert_eq!(Date::from_ymd(2000, 3, 1).ymd(), (2000, 3, 1));
        for n in (-50_000..50_000).step_by(37) {
            let (y, m, d) = Date(n).ymd();
            assert_eq!(Date::from_ymd(y, m, d), Date(n));
        }
        assert_eq!(Date::from_ymd(2025, 6, 30).to_string(), "2025-06-30");
        for n in [
            -30_000,
            TABLE_START.0 - 1,
            TABLE_START.0,
            0,
            20_000,
            TABLE_END.0 - 1,
            TABLE_END.0,
            60_000,
        ] {
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            Date(n).write_iso(&mut fast);
            Date(n).write_iso_slow(&mut slow);
            assert_eq!(fast, slow);
            let mut fr = Vec::new();
            Date(n).write_fr(&mut fr);
            let (y, m, d) = Date(n).ymd();
            assert_eq!(
                String::from_utf8(fr).unwrap(),
                format!("{d:02}/{m:02}/{:04}", y.clamp(0, 9999))
            );
        }
    }

    #[test]
    fn easter_and_public_holidays() {
        assert_eq!(easter(2024), Date::from_ymd(2024, 3, 31));
        assert_eq!(easter(2025), Date::from_ymd(2025, 4, 20));
        assert_eq!(easter(2019), Date::from_ymd(2019, 4, 21));
        assert_eq!(easter(2000), Date::from_ymd(2000, 4, 23));
        assert_eq!(Date::from_ymd(2025, 6, 30).weekday(), 0);
        assert_eq!(Date::from_ymd(1970, 1, 1).weekday(), 3);
        for (y, m, d) in [
            (2025, 1, 1),
            (2025, 4, 21),
            (2025, 5, 29),
            (2025, 6, 9),
            (2024, 5, 9),
            (2024, 7, 14),
            (2023, 11, 11),
        ] {
            assert!(
                is_public_holiday(Date::from_ymd(y, m, d), "75"),
                "{y}-{m}-{d}"
            );
        }
        assert!(!is_public_holiday(Date::from_ymd(2025, 4, 18), "75"));
        assert!(is_public_holiday(Date::from_ymd(2025, 4, 18), "67"));
        assert!(is_public_holiday(Date::from_ymd(2024, 12, 26), "57"));
        assert!(is_public_holiday(Date::from_ymd(2024, 12, 20), "974"));
        assert!(!is_public_holiday(Date::from_ymd(2024, 12, 20), "13"));
        // Saturday 2025-06-28 and Sunday 2025-06-29 are not working days; Monday is.
        let sat = Date::from_ymd(2025, 6, 28);
        assert_eq!(sat.next_working_day("75"), Date::from_ymd(2025, 6, 30));
        assert_eq!(sat.previous_working_day("75"), Date::from_ymd(2025, 6, 27));
        // The table agrees with the rule.
        for n in TABLE_START.0..TABLE_END.0 {
            for dept in ["75", "57", "971", "972", "973", "974", "976", "2A"] {
                let d = Date(n);
                assert_eq!(
                    d.is_working_day(dept),
                    d.weekday() < 5 && !is_public_holiday(d, dept),
                    "{d} {dept}"
                );
            }
        }
        // Friday 2025-06-27 plus one working day is Monday 30 June; Friday 6 June plus one skips Whit Monday.
        assert_eq!(
            Date::from_ymd(2025, 6, 27).add_working_days(1, "75"),
            Date::from_ymd(2025, 6, 30)
        );
        assert_eq!(
            Date::from_ymd(2025, 6, 6).add_working_days(1, "75"),
            Date::from_ymd(2025, 6, 10)
        );
        // Whit Monday 2025-06-09 and the weekend before.
        assert_eq!(
            Date::from_ymd(2025, 6, 7).next_working_day("75"),
            Date::from_ymd(2025, 6, 10)
        );
    }

    #[test]
    fn month_arithmetic_clamps_and_ages() {
        assert_eq!(
            Date::from_ymd(2024, 1, 31).add_months(1),
            Date::from_ymd(2024, 2, 29)
        );
        assert_eq!(
            Date::from_ymd(2024, 2, 29).add_years(1),
            Date::from_ymd(2025, 2, 28)
        );
        assert_eq!(
            Date::from_ymd(2023, 11, 15).add_months(3),
            Date::from_ymd(2024, 2, 15)
        );
        let birth = Date::from_ymd(2005, 6, 30);
        assert_eq!(birth.age_on(Date::from_ymd(2025, 6, 29)), 19);
        assert_eq!(birth.age_on(Date::from_ymd(2025, 6, 30)), 20);
        assert_eq!(Date::parse_iso("2025-02-29"), None);
        assert_eq!(
            Date::parse_iso("2024-02-29"),
            Some(Date::from_ymd(2024, 2, 29))
        );
    }
}
