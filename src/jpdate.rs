//! Japanese dates: reading every form the batch contract allows, and calendar-month
//! arithmetic as the Civil Code counts it.
//!
//! Accepted: `2026-11-20`, `2026/11/20`, `2026.11.20`, `20261120`, `2026年11月20日`,
//! era dates (`令和8年11月20日`, `令和元年5月1日`, `R8.11.20`, `H31/4/30`, `平成31年4月30日`),
//! spreadsheet serials (`46346`), full-width digits, and an ISO date-time whose time is
//! dropped. An era date outside its era (平成31年5月1日: 平成 ended on 2019-04-30) is refused
//! rather than silently moved, because it usually means a keying error.

use chrono::{Datelike, Duration, FixedOffset, Months, NaiveDate};
use std::fmt;

/// Japan Standard Time, UTC+9, no daylight saving.
pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset")
}

/// A moment as the contract writes times: ISO 8601 to the second, with its offset.
pub fn iso(t: chrono::DateTime<FixedOffset>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// Now in Japan, as [`iso`] writes it (run records, audit entries, the lock holder).
pub fn now_iso() -> String {
    iso(chrono::Utc::now().with_timezone(&jst()))
}

/// Today in Japan.
pub fn today_jst() -> NaiveDate {
    chrono::Utc::now().with_timezone(&jst()).date_naive()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateError(pub String);

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Japanese era: its names as people and banks write them, and the days it covers.
/// This is the one era table: forms, statements (Zengin, bank CSV) and letters use it.
pub struct Era {
    pub names: &'static [&'static str],
    pub first_day: (i32, u32, u32),
    pub last_day: Option<(i32, u32, u32)>,
}

pub const REIWA: Era = Era { names: &["令和", "令", "R"], first_day: (2019, 5, 1), last_day: None };
pub const HEISEI: Era = Era { names: &["平成", "平", "H"], first_day: (1989, 1, 8), last_day: Some((2019, 4, 30)) };
const SHOWA: Era = Era { names: &["昭和", "昭", "S"], first_day: (1926, 12, 25), last_day: Some((1989, 1, 7)) };
const TAISHO: Era = Era { names: &["大正", "大", "T"], first_day: (1912, 7, 30), last_day: Some((1926, 12, 24)) };
const MEIJI: Era = Era { names: &["明治", "明", "M"], first_day: (1868, 10, 23), last_day: Some((1912, 7, 29)) };

/// Every era a form may use (birth dates reach back to 明治), newest first.
pub const ERAS: &[&Era] = &[&REIWA, &HEISEI, &SHOWA, &TAISHO, &MEIJI];
/// The eras a bank statement may use: a 昭和 date in a bank export is an error.
pub const RECENT_ERAS: &[&Era] = &[&REIWA, &HEISEI];

impl Era {
    /// The date of era year `year`, or `None` when it does not exist or lies outside the
    /// era (平成31年5月1日 is not a date: 平成 ended on 2019-04-30).
    pub fn date(&self, year: u32, month: u32, day: u32) -> Option<NaiveDate> {
        if year == 0 {
            return None;
        }
        let (fy, fm, fd) = self.first_day;
        let date = NaiveDate::from_ymd_opt(fy + year as i32 - 1, month, day)?;
        if date < ymd(fy, fm, fd) {
            return None;
        }
        if let Some((ly, lm, ld)) = self.last_day {
            if date > ymd(ly, lm, ld) {
                return None;
            }
        }
        Some(date)
    }
}

/// An era date among `eras` (`令和8年11月20日`, `令和元年5月1日`, `R8.11.20`, `R08/11/20`,
/// `h31.4.30`); `None` when it names none of them or is not a date of its era.
pub fn parse_era_date(raw: &str, eras: &[&Era]) -> Option<NaiveDate> {
    let s = normalise(raw);
    let era = eras.iter().find_map(|e| e.names.iter().find_map(|n| s.strip_prefix(n).map(|rest| (e, rest))));
    let (era, rest) = era?;
    let (y, m, d) = three_numbers(&rest.trim_start().replacen('元', "1", 1))?;
    era.date(y, m, d)
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("era boundaries are valid dates")
}

/// Full-width digits and punctuation to ASCII, trimmed; 元年 kept as is.
fn normalise(s: &str) -> String {
    crate::text::fold(s)
        .chars()
        .map(|c| match c {
            'r' | 'h' | 's' | 't' | 'm' => c.to_ascii_uppercase(),
            _ => c,
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Splits `12/3/4`, `12年3月4日`, `12.3.4` into numbers, failing on anything else.
fn three_numbers(s: &str) -> Option<(u32, u32, u32)> {
    let mut nums = Vec::with_capacity(3);
    let mut cur = String::new();
    let mut seps = Vec::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            cur.push(c);
        } else if c == ' ' {
            continue;
        } else {
            if cur.is_empty() {
                return None;
            }
            nums.push(cur.parse::<u32>().ok()?);
            cur.clear();
            seps.push(c);
        }
    }
    if !cur.is_empty() {
        nums.push(cur.parse::<u32>().ok()?);
    }
    let ok_seps = match seps.as_slice() {
        ['年', '月'] | ['年', '月', '日'] => true,
        [a, b] => a == b && matches!(a, '/' | '-' | '.'),
        _ => false,
    };
    if nums.len() != 3 || !ok_seps {
        return None;
    }
    Some((nums[0], nums[1], nums[2]))
}

fn calendar_date(y: i32, m: u32, d: u32, raw: &str) -> Result<NaiveDate, DateError> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| DateError(format!("「{raw}」は存在しない日付です")))
}

/// Reads one date as staff type it. The error is a Japanese sentence for the message.
pub fn parse_date(raw: &str) -> Result<NaiveDate, DateError> {
    let s = normalise(raw);
    if s.is_empty() {
        return Err(DateError("日付が空です".into()));
    }
    // ISO date-time from a CSV export: keep the date.
    let date_part = match s.find(['T', ' ']) {
        Some(i) if s.len() > 10 && s[..i].len() == 10 && s.as_bytes()[4] == b'-' => &s[..i],
        _ => s.as_str(),
    };
    for era in ERAS {
        for name in era.names {
            if let Some(rest) = date_part.strip_prefix(name) {
                return parse_era(era, rest.trim_start(), raw);
            }
        }
    }
    if date_part.chars().all(|c| c.is_ascii_digit()) {
        return match date_part.len() {
            8 => {
                let n: u32 = date_part.parse().map_err(|_| bad(raw))?;
                calendar_date((n / 10000) as i32, n / 100 % 100, n % 100, raw)
            }
            5 => from_serial(date_part.parse::<f64>().map_err(|_| bad(raw))?).ok_or_else(|| bad(raw)),
            _ => Err(bad(raw)),
        };
    }
    if let Some(serial) = date_part.strip_suffix(".0").filter(|d| d.len() == 5) {
        return from_serial(serial.parse::<f64>().map_err(|_| bad(raw))?).ok_or_else(|| bad(raw));
    }
    let (y, m, d) = three_numbers(date_part).ok_or_else(|| bad(raw))?;
    if !(1000..=9999).contains(&y) {
        return Err(bad(raw));
    }
    calendar_date(y as i32, m, d, raw)
}

fn bad(raw: &str) -> DateError {
    DateError(format!("「{raw}」を日付として読めません（例: 2026-11-20、2026年11月20日、令和8年11月20日）"))
}

fn parse_era(era: &Era, rest: &str, raw: &str) -> Result<NaiveDate, DateError> {
    let rest = rest.replacen('元', "1", 1);
    let (n, m, d) = three_numbers(&rest).ok_or_else(|| bad(raw))?;
    if n == 0 {
        return Err(bad(raw));
    }
    let year = era.first_day.0 + n as i32 - 1;
    let date = calendar_date(year, m, d, raw)?;
    let (fy, fm, fd) = era.first_day;
    if date < ymd(fy, fm, fd) {
        return Err(DateError(format!("「{raw}」は{}の始まり（{fy}-{fm:02}-{fd:02}）より前です", era.names[0])));
    }
    if let Some((ly, lm, ld)) = era.last_day {
        if date > ymd(ly, lm, ld) {
            return Err(DateError(format!("「{raw}」は{}の終わり（{ly}-{lm:02}-{ld:02}）より後です", era.names[0])));
        }
    }
    Ok(date)
}

/// A spreadsheet serial day number (1900 date system) to a date. Serials before
/// 1900-03-01 are refused: that is where Excel's phantom 1900-02-29 sits.
pub fn from_serial(serial: f64) -> Option<NaiveDate> {
    if !serial.is_finite() || !(61.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    ymd(1899, 12, 30).checked_add_signed(Duration::days(serial.floor() as i64))
}

/// `date` plus `months` calendar months, clamped to the month's last day when the day
/// does not exist (Civil Code art. 143 para. 2): 2026-11-30 + 3 months = 2027-02-28.
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    // chrono's checked_add_months clamps exactly so; it fails only past year 262143.
    date.checked_add_months(Months::new(months)).expect("date within chrono's range")
}

/// The era form of a date, as letters print it: `令和8年11月20日`.
pub fn to_era_string(date: NaiveDate) -> String {
    for era in ERAS {
        let (fy, fm, fd) = era.first_day;
        if date >= ymd(fy, fm, fd) {
            let n = date.year() - fy + 1;
            let year = if n == 1 { "元".to_string() } else { n.to_string() };
            return format!("{}{}年{}月{}日", era.names[0], year, date.month(), date.day());
        }
    }
    date.format("%Y年%-m月%-d日").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn reads_every_contract_form() {
        let cases: &[(&str, &str, NaiveDate)] = &[
            ("iso", "2026-11-20", d(2026, 11, 20)),
            ("slashes", "2026/11/20", d(2026, 11, 20)),
            ("short slashes", "2026/1/5", d(2026, 1, 5)),
            ("dots", "2026.11.20", d(2026, 11, 20)),
            ("compact", "20261120", d(2026, 11, 20)),
            ("kanji", "2026年11月20日", d(2026, 11, 20)),
            ("full-width", "２０２６年１１月２０日", d(2026, 11, 20)),
            ("reiwa", "令和8年11月20日", d(2026, 11, 20)),
            ("reiwa letter", "R8.11.20", d(2026, 11, 20)),
            ("reiwa lower", "r8/11/20", d(2026, 11, 20)),
            ("reiwa gannen", "令和元年5月1日", d(2019, 5, 1)),
            ("heisei last day", "平成31年4月30日", d(2019, 4, 30)),
            ("heisei letter", "H31.4.30", d(2019, 4, 30)),
            ("showa birth", "昭和50年3月3日", d(1975, 3, 3)),
            ("showa last", "S64.1.7", d(1989, 1, 7)),
            ("heisei first", "平成元年1月8日", d(1989, 1, 8)),
            ("serial", "46346", d(2026, 11, 20)),
            ("serial float", "46346.0", d(2026, 11, 20)),
            ("datetime", "2026-11-20T00:00:00", d(2026, 11, 20)),
            ("datetime space", "2026-11-20 09:30:00", d(2026, 11, 20)),
            ("padded", "  2026/11/20 ", d(2026, 11, 20)),
        ];
        for (name, raw, want) in cases {
            assert_eq!(parse_date(raw).as_ref(), Ok(want), "{name}: {raw}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_date() {
        let cases: &[(&str, &str)] = &[
            ("month 13", "R7.13.01"),
            ("feb 30", "2026-02-30"),
            ("heisei after its end", "平成31年5月1日"),
            ("reiwa before its start", "令和元年4月30日"),
            ("showa after its end", "昭和64年1月8日"),
            ("mixed separators", "2026/11-20"),
            ("words", "来週"),
            ("empty", ""),
            ("two numbers", "2026/11"),
            ("era year zero", "令和0年1月1日"),
            ("short year", "26/11/20"),
        ];
        for (name, raw) in cases {
            assert!(parse_date(raw).is_err(), "{name}: {raw} should be refused");
        }
    }

    #[test]
    fn month_arithmetic_clamps_to_month_end() {
        let cases: &[(&str, NaiveDate, u32, NaiveDate)] = &[
            ("plain", d(2026, 8, 21), 3, d(2026, 11, 21)),
            ("nov 30 to feb", d(2026, 11, 30), 3, d(2027, 2, 28)),
            ("leap year", d(2027, 11, 30), 3, d(2028, 2, 29)),
            ("aug 31", d(2026, 8, 31), 3, d(2026, 11, 30)),
            ("a year", d(2025, 11, 20), 12, d(2026, 11, 20)),
            ("leap day plus a year", d(2028, 2, 29), 12, d(2029, 2, 28)),
        ];
        for (name, from, months, want) in cases {
            assert_eq!(add_months(*from, *months), *want, "{name}");
        }
    }

    #[test]
    fn serials_match_spreadsheets() {
        assert_eq!(from_serial(45658.0), Some(d(2025, 1, 1)));
        assert_eq!(from_serial(61.0), Some(d(1900, 3, 1)));
        assert_eq!(from_serial(60.0), None);
        assert_eq!(from_serial(f64::NAN), None);
    }

    #[test]
    fn iso_times_carry_the_japan_offset() {
        use chrono::TimeZone;
        assert_eq!(iso(jst().with_ymd_and_hms(2026, 11, 21, 9, 5, 7).unwrap()), "2026-11-21T09:05:07+09:00");
        assert!(now_iso().ends_with("+09:00"));
    }

    #[test]
    fn era_strings_for_letters() {
        assert_eq!(to_era_string(d(2026, 11, 20)), "令和8年11月20日");
        assert_eq!(to_era_string(d(2019, 5, 1)), "令和元年5月1日");
        assert_eq!(to_era_string(d(2019, 4, 30)), "平成31年4月30日");
    }

    #[test]
    fn era_dates_exist_only_inside_their_era() {
        let cases = [
            ("reiwa gannen", &REIWA, (1, 5, 1), Some((2019, 5, 1))),
            ("reiwa before its start", &REIWA, (1, 4, 30), None),
            ("heisei last day", &HEISEI, (31, 4, 30), Some((2019, 4, 30))),
            ("heisei after its end", &HEISEI, (31, 5, 1), None),
            ("heisei first day", &HEISEI, (1, 1, 8), Some((1989, 1, 8))),
            ("year zero", &REIWA, (0, 1, 1), None),
        ];
        for (case, era, (y, m, d), want) in cases {
            let want = want.map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap());
            assert_eq!(era.date(y, m, d), want, "{case}");
        }
    }
}
