//! JavaScript's `Date`, as far as the protocol meets it: a moment in UTC
//! and the two ways Node writes one (`toISOString`, which JSON uses, and
//! `toString`, which socket.io's handshake `time` uses).

/// A moment in UTC, split as a calendar shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsDate {
    /// The year (proleptic Gregorian; may be negative).
    pub year: i64,
    /// The month, 1 to 12.
    pub month: u8,
    /// The day of the month, 1 to 31.
    pub day: u8,
    /// The day of the week, 0 for Sunday.
    pub weekday: u8,
    /// Hours, minutes, seconds and milliseconds of the day.
    pub hour: u8,
    /// See `hour`.
    pub minute: u8,
    /// See `hour`.
    pub second: u8,
    /// See `hour`.
    pub millisecond: u16,
}

impl JsDate {
    /// The moment `ms` milliseconds after 1970-01-01T00:00:00Z (before it
    /// when negative).
    pub fn from_millis(ms: i64) -> Self {
        let days = ms.div_euclid(86_400_000);
        let in_day = ms.rem_euclid(86_400_000);
        // Days to a civil date, after Howard Hinnant's algorithm.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        Self {
            year: yoe + era * 400 + i64::from(month <= 2),
            month: month as u8,
            day: day as u8,
            // 1970-01-01 was a Thursday.
            weekday: (days + 4).rem_euclid(7) as u8,
            hour: (in_day / 3_600_000) as u8,
            minute: (in_day / 60_000 % 60) as u8,
            second: (in_day / 1000 % 60) as u8,
            millisecond: (in_day % 1000) as u16,
        }
    }

    /// As `Date.prototype.toISOString` writes it, what JSON makes of a
    /// Date: `2026-11-25T01:23:45.678Z` (six-digit signed years outside
    /// 0 to 9999).
    pub fn to_iso_string(&self) -> String {
        let year = if (0..=9999).contains(&self.year) {
            format!("{:04}", self.year)
        } else {
            format!(
                "{}{:06}",
                if self.year < 0 { '-' } else { '+' },
                self.year.abs()
            )
        };
        format!(
            "{year}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            self.month, self.day, self.hour, self.minute, self.second, self.millisecond
        )
    }

    /// As `Date.prototype.toString` writes it on a machine in UTC:
    /// `Wed Nov 25 2026 01:23:45 GMT+0000 (Coordinated Universal Time)`.
    pub fn to_js_string(&self) -> String {
        const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        format!(
            "{} {} {:02} {:04} {:02}:{:02}:{:02} GMT+0000 (Coordinated Universal Time)",
            DAYS[usize::from(self.weekday % 7)],
            MONTHS[usize::from(self.month.clamp(1, 12) - 1)],
            self.day,
            self.year,
            self.hour,
            self.minute,
            self.second
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_of_javascripts_forms() {
        // new Date(1764033825678): 2025-11-25T01:23:45.678Z, a Tuesday.
        let date = JsDate::from_millis(1_764_033_825_678);
        assert_eq!(date.to_iso_string(), "2025-11-25T01:23:45.678Z");
        assert_eq!(
            date.to_js_string(),
            "Tue Nov 25 2025 01:23:45 GMT+0000 (Coordinated Universal Time)"
        );
        assert_eq!(
            JsDate::from_millis(-1).to_iso_string(),
            "1969-12-31T23:59:59.999Z"
        );
        assert_eq!(JsDate::from_millis(0).weekday, 4);
    }
}
