//! What the commands print: aligned tables, durations, timestamps; and the `--ttl` parser.

use std::io::{self, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Columns separated by at least three spaces, headers in capitals, like `kubectl get`.
#[derive(Debug)]
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these column headers.
    pub fn new(headers: &[&'static str]) -> Self {
        Self {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Appends a row; missing cells print empty, extra cells are dropped.
    pub fn push(&mut self, mut row: Vec<String>) {
        row.resize(self.headers.len(), String::new());
        self.rows.push(row);
    }

    /// The table as text, one line per row, each ending in a newline, no trailing spaces.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let headers: Vec<String> = self.headers.iter().map(|h| (*h).to_owned()).collect();
        let mut out = String::new();
        for row in std::iter::once(&headers).chain(&self.rows) {
            let mut line = String::new();
            for (column, (cell, width)) in row.iter().zip(&widths).enumerate() {
                if column > 0 {
                    line.push_str(COLUMN_GAP);
                }
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', width - cell.chars().count()));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// Parses a `--ttl`: one or more `<number><unit>` with units `s`, `m`, `h`, `d`
/// (`30m`, `24h`, `7d`, `3600s`, `1h30m`). Zero is refused: tokens always expire.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let expected = "expected a duration such as 30m, 24h, 7d or 3600s (units: s, m, h, d)";
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(format!("empty duration; {expected}"));
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in trimmed.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit_secs = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            _ => return Err(format!("`{text}`: unknown unit `{c}`; {expected}")),
        };
        if digits.is_empty() {
            return Err(format!("`{text}`: unit `{c}` without a number; {expected}"));
        }
        let amount: u64 = digits
            .parse()
            .map_err(|_| format!("`{text}` is too long"))?;
        total = amount
            .checked_mul(unit_secs)
            .and_then(|secs| total.checked_add(secs))
            .ok_or_else(|| format!("`{text}` is too long"))?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(format!("`{text}`: `{digits}` has no unit; {expected}"));
    }
    if total == 0 {
        return Err(format!(
            "`{text}` is zero; a token must stay valid for some time"
        ));
    }
    Ok(Duration::from_secs(total))
}

/// A duration in its two largest units: `45s`, `5m10s`, `23h59m`, `24h`, `7d`, `6d23h`.
/// Up to two days it counts hours, so a day-long token reads `24h` as `kubeadm` prints it.
pub fn format_duration(secs: u64) -> String {
    let (days, hours, minutes, seconds) = (
        secs / 86_400,
        secs % 86_400 / 3_600,
        secs % 3_600 / 60,
        secs % 60,
    );
    let two = |big: u64, big_unit: &str, small: u64, small_unit: &str| {
        if small == 0 {
            format!("{big}{big_unit}")
        } else {
            format!("{big}{big_unit}{small}{small_unit}")
        }
    };
    if days >= 2 {
        two(days, "d", hours, "h")
    } else if secs >= 3_600 {
        two(secs / 3_600, "h", minutes, "m")
    } else if secs >= 60 {
        two(minutes, "m", seconds, "s")
    } else {
        format!("{seconds}s")
    }
}

/// Milliseconds for a table cell: `250ms` below a second, `3.2s` below a minute, then
/// [`format_duration`].
pub fn format_millis(ms: u64) -> String {
    if ms < 1_000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        // One decimal: 1_250 ms reads 1.2s (rounded down, like `kubectl`'s ages).
        format!("{}.{}s", ms / 1_000, ms % 1_000 / 100)
    } else {
        format_duration(ms / 1_000)
    }
}

/// A signed clock offset: `+0ms`, `-12ms`, `+1.5s`.
pub fn format_offset(ms: i64) -> String {
    let sign = if ms < 0 { '-' } else { '+' };
    format!("{sign}{}", format_millis(ms.unsigned_abs()))
}

/// Unix seconds as an RFC 3339 UTC timestamp, `2025-11-28T14:20:00Z`.
pub fn format_unix_time(secs: u64) -> String {
    let days = secs / 86_400;
    let (year, month, day) = civil_from_days(days);
    let rest = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

/// The current time in Unix seconds (0 if the clock is before 1970).
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// Writes to stdout. A closed pipe (`sdkms-cluster status | head -1`) is not an error.
pub fn print_stdout(text: &str) {
    let mut stdout = io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// Writes to stderr, ignoring failures (there is nowhere left to report them).
pub fn print_stderr(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// The value used in tables when the daemon did not know.
pub const MISSING: &str = "-";

/// Space between table columns.
const COLUMN_GAP: &str = "   ";

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guide_and_kubeadm_durations_parse() {
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1_800)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("3600s"), Ok(Duration::from_secs(3_600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse_duration("24h0m0s"), Ok(Duration::from_secs(86_400)));
    }

    #[test]
    fn malformed_durations_say_what_is_expected() {
        for bad in [
            "",
            "24",
            "h",
            "1w",
            "1.5h",
            "-1h",
            "0s",
            "0h0m",
            "99999999999999999999d",
        ] {
            let error = parse_duration(bad).unwrap_err();
            assert!(!error.is_empty(), "{bad}");
        }
        assert!(parse_duration("24").unwrap_err().contains("has no unit"));
        assert!(
            parse_duration("1w")
                .unwrap_err()
                .contains("unknown unit `w`")
        );
        assert!(parse_duration("0s").unwrap_err().contains("zero"));
    }

    #[test]
    fn durations_print_in_their_two_largest_units() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(45), "45s");
        assert_eq!(format_duration(310), "5m10s");
        assert_eq!(format_duration(1_800), "30m");
        assert_eq!(format_duration(86_400), "24h");
        assert_eq!(format_duration(86_340), "23h59m");
        assert_eq!(format_duration(604_800), "7d");
        assert_eq!(format_duration(604_799), "6d23h");
    }

    #[test]
    fn milliseconds_and_offsets_print_compactly() {
        assert_eq!(format_millis(250), "250ms");
        assert_eq!(format_millis(3_250), "3.2s");
        assert_eq!(format_millis(310_000), "5m10s");
        assert_eq!(format_offset(0), "+0ms");
        assert_eq!(format_offset(-12), "-12ms");
        assert_eq!(format_offset(1_500), "+1.5s");
    }

    #[test]
    fn unix_times_print_as_utc_dates() {
        assert_eq!(format_unix_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_unix_time(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_unix_time(1_764_339_600), "2025-11-28T14:20:00Z");
        assert_eq!(format_unix_time(4_107_542_399), "2100-02-28T23:59:59Z");
    }

    #[test]
    fn tables_align_columns_without_trailing_spaces() {
        let mut table = Table::new(&["NAME", "ROLE", "DC"]);
        table.push(vec!["node-1".into(), "leader".into(), "dc-east".into()]);
        table.push(vec!["n2".into(), "follower".into(), String::new()]);
        table.push(vec!["n3".into()]);
        assert_eq!(
            table.render(),
            "NAME     ROLE       DC\n\
             node-1   leader     dc-east\n\
             n2       follower\n\
             n3\n"
        );
    }

    #[test]
    fn an_empty_table_is_just_its_header() {
        assert_eq!(
            Table::new(&["TOKEN ID", "TTL LEFT"]).render(),
            "TOKEN ID   TTL LEFT\n"
        );
    }
}
