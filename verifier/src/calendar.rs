//! Days as the law counts them (民法典 art. 200–204): civil dates in China
//! Standard Time, and which of them are rest days.
//!
//! Which days are rest days is **data**, not code: the State Council
//! publishes each year's holidays and the weekends worked in exchange
//! (调休), and a verdict given today must be reproducible years later with
//! the arrangement it used. A [`HolidayCalendar`] says, for each year it
//! covers, which dates are off and which weekend dates are worked; a date in
//! a year it does not cover is *unknown*, never guessed, and a rule that
//! needs it is indeterminate. [`HolidayCalendar::shipped`] is the
//! arrangement tenderlog ships (`verifier/data/calendar-cn.json`).
//!
//! China Standard Time is UTC+08:00 all year (no daylight saving since
//! 1991), so a fixed offset is exact for every time a log can hold.

use std::collections::BTreeSet;

use jiff::civil::{Date, Weekday};
use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, ToSpan as _};
use serde::{Deserialize, Serialize};

use crate::Error;

/// Longest calendar name, in bytes.
pub const MAX_CALENDAR_NAME_BYTES: usize = 128;
/// Longest source note of a year, in bytes.
pub const MAX_SOURCE_BYTES: usize = 512;
/// Most years one calendar covers.
pub const MAX_YEARS: usize = 200;

/// A holiday arrangement, year by year. The field order is its canonical
/// encoding's.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HolidayCalendar {
    /// The calendar's name, e.g. `cn-state-council`.
    pub name: String,
    /// Its version: a changed calendar is a new version.
    pub version: u64,
    /// The years covered, ascending, none twice.
    pub years: Vec<YearArrangement>,
}

/// One year's arrangement.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct YearArrangement {
    /// The year.
    pub year: i16,
    /// Where the arrangement was published.
    pub source: String,
    /// Every day off that is not a plain weekend day: statutory holidays and
    /// the days of their breaks, `YYYY-MM-DD`, ascending.
    pub off_days: Vec<String>,
    /// Saturdays and Sundays that are working days (调休), ascending.
    pub working_days: Vec<String>,
}

/// A date the calendar cannot classify: its year is not covered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the holiday calendar does not cover {0} (add that year's State Council arrangement)")]
pub struct Uncovered(pub Date);

/// The calendar shipped with tenderlog.
const SHIPPED: &str = include_str!("../data/calendar-cn.json");

/// A calendar ready to answer: the data, checked, with its dates parsed.
#[derive(Clone, Debug)]
pub struct Calendar {
    data: HolidayCalendar,
    years: BTreeSet<i16>,
    off: BTreeSet<Date>,
    working: BTreeSet<Date>,
    /// The log entry it was published in, if it was read from a log.
    entry: Option<u64>,
}

impl HolidayCalendar {
    /// The arrangement tenderlog ships.
    pub fn shipped() -> HolidayCalendar {
        // The shipped file is checked by this crate's tests; a malformed one
        // is a build defect, so fall back to a calendar covering nothing
        // (every rule needing a rest day is then indeterminate), not a panic.
        serde_json::from_str(SHIPPED).unwrap_or_else(|_| HolidayCalendar {
            name: "none".into(),
            version: 0,
            years: Vec::new(),
        })
    }

    /// Checks the calendar and readies it for questions.
    pub fn compile(&self) -> Result<Calendar, Error> {
        let bad = |m: String| Error::EventInvalid(format!("holiday calendar: {m}"));
        if self.name.is_empty() || self.name.len() > MAX_CALENDAR_NAME_BYTES {
            return Err(bad(format!("a name of 1 to {MAX_CALENDAR_NAME_BYTES} bytes")));
        }
        if self.years.len() > MAX_YEARS {
            return Err(bad(format!("at most {MAX_YEARS} years")));
        }
        let mut c = Calendar {
            data: self.clone(),
            years: BTreeSet::new(),
            off: BTreeSet::new(),
            working: BTreeSet::new(),
            entry: None,
        };
        let mut last_year = None;
        for y in &self.years {
            if last_year.is_some_and(|l| l >= y.year) {
                return Err(bad(format!("year {} out of order or twice", y.year)));
            }
            last_year = Some(y.year);
            if y.source.len() > MAX_SOURCE_BYTES {
                return Err(bad(format!(
                    "{}: a source of at most {MAX_SOURCE_BYTES} bytes",
                    y.year
                )));
            }
            c.years.insert(y.year);
            let off = dates(y.year, &y.off_days)
                .map_err(|m| bad(format!("{}: off days: {m}", y.year)))?;
            let working = dates(y.year, &y.working_days)
                .map_err(|m| bad(format!("{}: working days: {m}", y.year)))?;
            if let Some(d) = working.iter().find(|d| !weekend(**d)) {
                return Err(bad(format!(
                    "{d} is listed as a working day but is not a weekend day"
                )));
            }
            if let Some(d) = working.iter().find(|d| off.contains(d)) {
                return Err(bad(format!("{d} is listed both as off and as working")));
            }
            c.off.extend(off);
            c.working.extend(working);
        }
        Ok(c)
    }
}

/// Parses `list` as ascending dates of `year`, none twice.
fn dates(year: i16, list: &[String]) -> Result<BTreeSet<Date>, String> {
    let mut out = BTreeSet::new();
    let mut last: Option<Date> = None;
    for s in list {
        let d: Date = s.parse().map_err(|e| format!("{s:?} is not a YYYY-MM-DD date: {e}"))?;
        // Only the canonical spelling: one date, one string.
        if d.to_string() != *s {
            return Err(format!("{s:?} is not written YYYY-MM-DD"));
        }
        if d.year() != year {
            return Err(format!("{s} is not in {year}"));
        }
        if last.is_some_and(|l| l >= d) {
            return Err(format!("{s} out of order or twice"));
        }
        last = Some(d);
        out.insert(d);
    }
    Ok(out)
}

fn weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

impl Calendar {
    /// The shipped calendar, compiled.
    pub fn shipped() -> Calendar {
        HolidayCalendar::shipped().compile().unwrap_or_else(|_| Calendar {
            data: HolidayCalendar { name: "none".into(), version: 0, years: Vec::new() },
            years: BTreeSet::new(),
            off: BTreeSet::new(),
            working: BTreeSet::new(),
            entry: None,
        })
    }

    /// The data it was compiled from.
    pub fn data(&self) -> &HolidayCalendar {
        &self.data
    }

    /// `name vN`, as a report names it; `name vN (entry K)` for one read
    /// from the log.
    pub fn label(&self) -> String {
        match self.entry {
            Some(k) => format!("{} v{} (entry {k})", self.data.name, self.data.version),
            None => format!("{} v{}", self.data.name, self.data.version),
        }
    }

    /// The calendar a record is judged by: the latest `calendar` event of
    /// `events` (in log order) compiled, naming its entry; the shipped one
    /// when the log has published none. The ledger and the offline verifier
    /// both call this, so their reports agree.
    pub fn in_force<'a>(
        events: impl IntoIterator<Item = (u64, &'a crate::event::Event)>,
    ) -> Result<Calendar, Error> {
        let latest = events
            .into_iter()
            .filter_map(|(i, e)| match &e.body {
                crate::event::Body::Calendar(c) => Some((i, c)),
                _ => None,
            })
            .max_by_key(|(i, _)| *i);
        match latest {
            Some((i, c)) => {
                let mut compiled = c.compile()?;
                compiled.entry = Some(i);
                Ok(compiled)
            }
            None => Ok(Calendar::shipped()),
        }
    }

    /// Whether `d` is a rest day (a day off, or a weekend day not worked).
    pub fn is_rest_day(&self, d: Date) -> Result<bool, Uncovered> {
        if !self.years.contains(&d.year()) {
            return Err(Uncovered(d));
        }
        Ok(self.off.contains(&d) || (weekend(d) && !self.working.contains(&d)))
    }

    /// The first working day on or after `d`.
    pub fn working_day_from(&self, mut d: Date) -> Result<Date, Uncovered> {
        // A break is at most a few weeks; a calendar that marks a whole
        // covered year off still ends at the next uncovered year.
        while self.is_rest_day(d)? {
            d = d.tomorrow().map_err(|_| Uncovered(d))?;
        }
        Ok(d)
    }

    /// The last day of a period of `days` days that starts on `start` (民法典
    /// art. 201: the starting day is not counted; art. 203: a last day that is
    /// a rest day moves to the next working day). An action on or before the
    /// returned date is in time.
    pub fn period_end(&self, start: Date, days: i32) -> Result<Date, Uncovered> {
        let last = add_days(start, days).ok_or(Uncovered(start))?;
        self.working_day_from(last)
    }

    /// The last day of a period of `days` working days (工作日) that starts
    /// on `start`: the starting day is not counted, then every working day
    /// is, rest days not at all (条例 art. 61's periods are of this kind).
    pub fn working_period_end(&self, start: Date, days: u32) -> Result<Date, Uncovered> {
        let mut d = start;
        for _ in 0..days {
            d = d.tomorrow().map_err(|_| Uncovered(d))?;
            d = self.working_day_from(d)?;
        }
        Ok(d)
    }
}

/// The civil date in China Standard Time of `ms` since the Unix epoch; `None`
/// beyond the range of dates (the year 9999).
pub fn cst_date(ms: u64) -> Option<Date> {
    let ts = Timestamp::from_millisecond(i64::try_from(ms).ok()?).ok()?;
    Some(ts.to_zoned(cst()).date())
}

/// China Standard Time, UTC+08:00.
pub fn cst() -> TimeZone {
    TimeZone::fixed(Offset::constant(8))
}

/// `d` plus `days` calendar days.
pub fn add_days(d: Date, days: i32) -> Option<Date> {
    d.checked_add(days.days()).ok()
}

/// Calendar days from `a` to `b` (negative when `b` is earlier).
pub fn days_between(a: Date, b: Date) -> i64 {
    // Both dates are within jiff's range, so the span in days is exact.
    a.until(b).map_or(0, |s| i64::from(s.get_days()))
}

/// `ms` as a person reads it: `2026-03-02 09:00:00 +08:00`.
pub fn cst_text(ms: u64) -> String {
    let Ok(ms) = i64::try_from(ms) else { return format!("{ms} ms") };
    match Timestamp::from_millisecond(ms) {
        Ok(ts) => ts.to_zoned(cst()).strftime("%Y-%m-%d %H:%M:%S %:z").to_string(),
        Err(_) => format!("{ms} ms"),
    }
}

/// `ms` for a person, in Beijing time and UTC, to the second:
/// `2026-03-02 09:00:00 +08:00 (01:00:00 UTC)`.
pub fn when(ms: u64) -> String {
    let Ok(signed) = i64::try_from(ms) else { return format!("{ms} ms") };
    match Timestamp::from_millisecond(signed) {
        Ok(ts) => format!("{} ({} UTC)", cst_text(ms), ts.strftime("%Y-%m-%d %H:%M:%S")),
        Err(_) => format!("{ms} ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn working_days_skip_rest_days_and_count_adjusted_working_weekends() {
        let c = Calendar::shipped();
        let d = |s: &str| s.parse::<Date>().expect("a date");
        // Friday 2026-01-09: three working days are Mon 12, Tue 13, Wed 14.
        assert_eq!(c.working_period_end(d("2026-01-09"), 3).unwrap(), d("2026-01-14"));
        // From Thursday 2026-09-24, across 中秋 (Sep 25–27 off): Mon 28,
        // Tue 29, Wed 30.
        assert_eq!(c.working_period_end(d("2026-09-24"), 3).unwrap(), d("2026-09-30"));
        // Across 国庆 (Oct 1–7 off): Thu 8, Fri 9; then the adjusted working
        // Saturday Oct 10 counts.
        assert_eq!(c.working_period_end(d("2026-09-30"), 2).unwrap(), d("2026-10-09"));
        assert_eq!(c.working_period_end(d("2026-10-08"), 2).unwrap(), d("2026-10-10"));
        assert_eq!(c.working_period_end(d("2026-09-29"), 0).unwrap(), d("2026-09-29"));
    }

    #[test]
    fn the_shipped_calendar_is_well_formed_and_covers_2026() {
        let data: HolidayCalendar =
            serde_json::from_str(SHIPPED).expect("the shipped calendar parses");
        let c = data.compile().expect("the shipped calendar is valid");
        assert_eq!(c.label(), "cn-state-council v1");
        // 国庆节 2026: 10-01..10-07 off, Saturday 10-10 worked, Sunday 09-20 worked.
        assert_eq!(c.is_rest_day(date(2026, 10, 1)), Ok(true));
        assert_eq!(c.is_rest_day(date(2026, 10, 8)), Ok(false));
        assert_eq!(c.is_rest_day(date(2026, 10, 10)), Ok(false));
        assert_eq!(c.is_rest_day(date(2026, 9, 20)), Ok(false));
        assert_eq!(c.is_rest_day(date(2026, 10, 11)), Ok(true), "a plain Sunday");
        assert_eq!(c.is_rest_day(date(2027, 1, 1)), Err(Uncovered(date(2027, 1, 1))));
    }

    #[test]
    fn a_period_ending_on_a_rest_day_ends_on_the_next_working_day() {
        let c = Calendar::shipped();
        // 30 days after 2026-09-01 is 2026-10-01 (国庆节): the period runs to
        // Thursday 10-08.
        assert_eq!(c.period_end(date(2026, 9, 1), 30), Ok(date(2026, 10, 8)));
        // Ending on an adjusted working Saturday: no extension.
        assert_eq!(c.period_end(date(2026, 9, 10), 30), Ok(date(2026, 10, 10)));
        // Ending on a plain Saturday: the Monday.
        assert_eq!(c.period_end(date(2026, 3, 4), 3), Ok(date(2026, 3, 9)));
        // Ending in an uncovered year: unknown.
        assert!(c.period_end(date(2026, 12, 20), 30).is_err());
    }

    #[test]
    fn dates_are_read_in_china_standard_time() {
        // 2026-03-01T16:00:00Z is 2026-03-02 00:00 in Beijing.
        let ms = 1_772_380_800_000;
        assert_eq!(cst_date(ms), Some(date(2026, 3, 2)));
        assert_eq!(cst_date(ms - 1), Some(date(2026, 3, 1)));
        assert_eq!(cst_text(ms), "2026-03-02 00:00:00 +08:00");
        assert_eq!(when(ms), "2026-03-02 00:00:00 +08:00 (2026-03-01 16:00:00 UTC)");
        assert_eq!(days_between(date(2026, 3, 1), date(2026, 3, 21)), 20);
        assert_eq!(days_between(date(2026, 3, 21), date(2026, 3, 1)), -20);
        assert_eq!(cst_date(u64::MAX), None);
    }

    #[test]
    fn malformed_calendars_are_refused() {
        let base = HolidayCalendar::shipped();
        let mut bad = base.clone();
        bad.years[0].working_days.push("2026-12-01".into()); // a Tuesday
        assert!(bad.compile().is_err());
        let mut bad = base.clone();
        bad.years[0].off_days.insert(0, "2026-1-1".into());
        assert!(bad.compile().is_err());
        let mut bad = base.clone();
        bad.years[0].off_days.push("2027-01-01".into());
        assert!(bad.compile().is_err());
        let mut bad = base.clone();
        bad.years.push(bad.years[0].clone());
        assert!(bad.compile().is_err());
        let mut bad = base;
        bad.years[0].working_days.push("2026-10-03".into()); // off, and a Saturday
        assert!(bad.compile().is_err());
    }
}
