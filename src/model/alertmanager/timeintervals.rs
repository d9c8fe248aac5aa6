//! `time_intervals` / `mute_time_intervals` entries as Alertmanager 0.34's
//! `timeinterval` package reads them: `times`, `weekdays`, `days_of_month`,
//! `months`, `years` and `location`, with its error wording.

use crate::model::Spanned;
use crate::model::reader::{self, Errors};
use crate::yaml::Node;

const ENTRY_FIELDS: &[&str] = &["name", "time_intervals"];
const SPEC_FIELDS: &[&str] = &[
    "times",
    "weekdays",
    "days_of_month",
    "months",
    "years",
    "location",
];
const TIME_FIELDS: &[&str] = &["start_time", "end_time"];

const WEEKDAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Reads one named entry of `time_intervals` or `mute_time_intervals` and
/// checks its specs; returns its name (`None` when it has none, reported as
/// `missing name in …`).
pub(crate) fn read_entry(node: &Node, mute: bool, errs: &mut Errors) -> Option<Spanned<String>> {
    let ty = if mute {
        "config.MuteTimeInterval"
    } else {
        "config.TimeInterval"
    };
    let fields = reader::fields(node, ty, ENTRY_FIELDS, &[], errs)?;
    let mut name = None;
    for (key, _, v) in &fields {
        match *key {
            "name" => name = reader::string(v, "name", errs),
            "time_intervals" => {
                if v.is_null() {
                    continue;
                }
                match v.as_seq() {
                    Some(items) => items.iter().for_each(|i| check_spec(i, errs)),
                    None => errs.report(
                        v.span,
                        format!("time_intervals must be a list, got a {}", v.type_name()),
                    ),
                }
            }
            _ => {}
        }
    }
    match name.filter(|n| !n.value.is_empty()) {
        Some(n) => Some(n),
        None => {
            let what = if mute {
                "missing name in mute time interval"
            } else {
                "missing name in time interval"
            };
            errs.report(node.span, what);
            None
        }
    }
}

fn check_spec(node: &Node, errs: &mut Errors) {
    let Some(fields) = reader::fields(node, "timeinterval.TimeInterval", SPEC_FIELDS, &[], errs)
    else {
        return;
    };
    for (key, _, v) in &fields {
        match *key {
            "times" => {
                for t in items(v, "times", errs) {
                    check_time_range(t, errs);
                }
            }
            "location" => {
                if let Some(loc) = reader::string(v, "location", errs)
                    && !is_known_location(&loc.value)
                {
                    errs.report(loc.span, format!("unknown time zone {}", loc.value));
                }
            }
            "weekdays" | "days_of_month" | "months" | "years" => {
                for s in reader::strings(v, key, errs) {
                    if let Err(e) = check_range(key, &s.value) {
                        errs.report(s.span, e);
                    }
                }
            }
            _ => {}
        }
    }
}

fn items<'n>(v: &'n Node, what: &str, errs: &mut Errors) -> &'n [Node] {
    if v.is_null() {
        return &[];
    }
    match v.as_seq() {
        Some(items) => items,
        None => {
            errs.report(
                v.span,
                format!("{what} must be a list, got a {}", v.type_name()),
            );
            &[]
        }
    }
}

fn check_time_range(node: &Node, errs: &mut Errors) {
    let Some(fields) = reader::fields(node, "timeinterval.TimeRange", TIME_FIELDS, &[], errs)
    else {
        return;
    };
    let mut start = None;
    let mut end = None;
    for (key, _, v) in &fields {
        let s = reader::string(v, key, errs).filter(|s| !s.value.is_empty());
        if *key == "start_time" {
            start = s;
        } else {
            end = s;
        }
    }
    let (Some(start), Some(end)) = (start, end) else {
        errs.report(node.span, "both start and end times must be provided");
        return;
    };
    let (a, b) = (parse_time(&start.value), parse_time(&end.value));
    if a.is_none() {
        errs.report(
            start.span,
            format!("couldn't parse timestamp {}, invalid format", start.value),
        );
    }
    if b.is_none() {
        errs.report(
            end.span,
            format!("couldn't parse timestamp {}, invalid format", end.value),
        );
    }
    if let (Some(a), Some(b)) = (a, b)
        && a >= b
    {
        errs.report(
            node.span,
            "start time cannot be equal or greater than end time",
        );
    }
}

/// Minutes since midnight of `HH:MM` (`00:00`–`23:59`, or `24:00`).
fn parse_time(s: &str) -> Option<u32> {
    if s == "24:00" {
        return Some(24 * 60);
    }
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !(h.bytes().chain(m.bytes())).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// One `weekdays`/`days_of_month`/`months`/`years` entry: a value or `a:b`.
fn check_range(kind: &str, s: &str) -> Result<(), String> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() > 2 {
        return Err(format!("invalid range {s}"));
    }
    let (a, b) = (parts[0], *parts.last().unwrap_or(&parts[0]));
    match kind {
        "weekdays" => {
            let day = |x: &str| {
                WEEKDAYS
                    .iter()
                    .position(|d| *d == x.to_lowercase())
                    .ok_or_else(|| format!("{} is not a valid weekday", x.to_lowercase()))
            };
            if day(a)? > day(b)? {
                return Err("start day cannot be before end day".into());
            }
        }
        "days_of_month" => {
            let num = |x: &str| {
                x.parse::<i32>()
                    .map_err(|_| format!("{x} is not a valid day of the month"))
            };
            let (a, b) = (num(a)?, num(b)?);
            for d in [a, b] {
                if d == 0 || !(-31..=31).contains(&d) {
                    return Err(format!("{d} is not a valid day of the month: out of range"));
                }
            }
            if a < 0 && b > 0 {
                return Err("end day must be negative if start day is negative".into());
            }
            let norm = |d: i32| if d < 0 { 28 + d } else { d };
            if norm(a) > norm(b) {
                return Err(format!("end day {b} is before start day {a}"));
            }
        }
        "months" => {
            let month = |x: &str| -> Result<usize, String> {
                if let Ok(n) = x.parse::<i64>() {
                    return if (1..=12).contains(&n) {
                        Ok(n as usize)
                    } else {
                        Err(format!("{n} is not a valid month"))
                    };
                }
                MONTHS
                    .iter()
                    .position(|m| *m == x.to_lowercase())
                    .map(|p| p + 1)
                    .ok_or_else(|| format!("{} is not a valid month", x.to_lowercase()))
            };
            let (ma, mb) = (month(a)?, month(b)?);
            if ma > mb {
                return Err(format!("end month {b} is before start month {a}"));
            }
        }
        _ => {
            let year = |x: &str| {
                x.parse::<i64>()
                    .ok()
                    .filter(|y| *y > 0)
                    .ok_or_else(|| format!("{x} is not a valid year"))
            };
            let (ya, yb) = (year(a)?, year(b)?);
            if ya > yb {
                return Err(format!("end year {yb} is before start year {ya}"));
            }
        }
    }
    Ok(())
}

/// Top-level areas of the IANA time zone database (used when the system's
/// zoneinfo is not available to check the full name).
const TZ_AREAS: &[&str] = &[
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Brazil",
    "Canada",
    "Chile",
    "Etc",
    "Europe",
    "Indian",
    "Mexico",
    "Pacific",
    "US",
];

/// Whether Go's `time.LoadLocation` would know `name`: `UTC`, `Local`, or a
/// zone of the time zone database (looked up in the system's zoneinfo as Go
/// does, else checked for a known area).
fn is_known_location(name: &str) -> bool {
    if name.is_empty() || matches!(name, "UTC" | "Local") {
        return true;
    }
    if name.contains("..") || name.starts_with('/') || name.contains('\\') {
        return false;
    }
    let dir = std::path::Path::new("/usr/share/zoneinfo");
    if dir.is_dir() {
        return dir.join(name).is_file();
    }
    match name.split_once('/') {
        Some((area, rest)) => TZ_AREAS.contains(&area) && !rest.is_empty(),
        None => name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-_".contains(c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert!(check_range("weekdays", "Monday:friday").is_ok());
        assert_eq!(
            check_range("weekdays", "funday").unwrap_err(),
            "funday is not a valid weekday"
        );
        assert_eq!(
            check_range("weekdays", "friday:monday").unwrap_err(),
            "start day cannot be before end day"
        );
        assert!(check_range("days_of_month", "-3:-1").is_ok());
        assert_eq!(
            check_range("days_of_month", "0").unwrap_err(),
            "0 is not a valid day of the month: out of range"
        );
        assert_eq!(
            check_range("days_of_month", "-3:5").unwrap_err(),
            "end day must be negative if start day is negative"
        );
        assert!(check_range("months", "january:3").is_ok());
        assert_eq!(
            check_range("months", "janury").unwrap_err(),
            "janury is not a valid month"
        );
        assert_eq!(
            check_range("years", "2030:2020").unwrap_err(),
            "end year 2020 is before start year 2030"
        );
        assert_eq!(parse_time("24:00"), Some(1440));
        assert_eq!(parse_time("25:00"), None);
        assert_eq!(parse_time("9:00"), None);
    }
}
