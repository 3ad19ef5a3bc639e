//! Counters as CloudWatch Embedded Metric Format log lines: one JSON line on stdout per
//! count, which CloudWatch turns into a metric in the `Paykassma` namespace (alarms in
//! template.yaml watch them). No agent, no API call on the request path.

use std::io::Write;

/// The metric namespace the template's alarms read.
pub const NAMESPACE: &str = "Paykassma";

/// Counts `value` of `name` (e.g. `PostbackSignatureRejected`) for this function.
pub fn count(name: &str, value: u64) {
    let request_id = crate::http::request_id::current();
    let line = emf_line(
        name,
        value,
        time::OffsetDateTime::now_utc().unix_timestamp() * 1000,
        request_id.as_deref(),
    );
    // One write per line so concurrent requests' lines do not interleave.
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(line.as_bytes());
}

fn function_name() -> String {
    std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "local".into())
}

/// `request_id` (the request that counted it) becomes a property, not a dimension: Logs
/// Insights finds the line by it, and the metric's cardinality stays one.
fn emf_line(name: &str, value: u64, timestamp_ms: i64, request_id: Option<&str>) -> String {
    let mut line = serde_json::json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [[]],
                "Metrics": [{"Name": name, "Unit": "Count"}],
            }],
        },
        "function": function_name(),
    });
    line[name] = serde_json::json!(value);
    if let Some(id) = request_id {
        line["requestId"] = serde_json::json!(id);
    }
    let mut text = line.to_string();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_line_names_the_metric_and_its_value() {
        let line = emf_line(
            "PostbackSignatureRejected",
            1,
            1_700_000_000_000,
            Some("r-1"),
        );
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["PostbackSignatureRejected"], 1);
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Paykassma");
        assert_eq!(
            v["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"],
            "PostbackSignatureRejected"
        );
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000i64);
        assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
        assert_eq!(v["requestId"], "r-1");
        let outside: serde_json::Value = serde_json::from_str(&emf_line("X", 1, 0, None)).unwrap();
        assert!(outside.get("requestId").is_none());
    }
}
