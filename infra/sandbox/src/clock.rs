//! Gateway time: `YYYY-MM-DD HH:MM:SS` in the gateway's zone (+08:00 by default).

use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// Now, as the gateway prints it in postbacks.
pub fn gateway_now(offset_hours: i8) -> String {
    format_gateway(OffsetDateTime::now_utc(), offset_hours)
}

pub fn format_gateway(at: OffsetDateTime, offset_hours: i8) -> String {
    let offset = UtcOffset::from_hms(offset_hours, 0, 0).unwrap_or(UtcOffset::UTC);
    at.to_offset(offset)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_in_the_gateway_zone() {
        let at = OffsetDateTime::from_unix_timestamp(1_688_345_000).unwrap(); // 2023-07-03 00:43:20 UTC
        assert_eq!(format_gateway(at, 8), "2023-07-03 08:43:20");
        assert_eq!(format_gateway(at, 0), "2023-07-03 00:43:20");
    }
}
