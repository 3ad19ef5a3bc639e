//! Logging setup: one JSON object per line, as CloudWatch Logs Insights reads them: `level`,
//! `requestId` (the request being handled, from [`crate::http::request_id`]) and the event's
//! fields, all at the top level (`fields @message | filter requestId = "..."` finds a request's
//! lines, `stats count(*) by code` counts refusals). The level comes from `RUST_LOG` (default
//! `info`). Called once per cold start by every function's `main`.

use std::fmt;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Installs the global JSON subscriber; a second call is a no-op.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .event_format(JsonLines)
        .try_init();
}

/// Formats an event as one flat JSON object. No time: Lambda stamps every line itself.
pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        writeln!(writer, "{}", line(event))
    }
}

/// The JSON text of `event`: `level`, `requestId` when a request is being handled, then
/// its fields (a field named like those two would be overwritten by them, so none is).
pub fn line(event: &Event<'_>) -> String {
    let mut fields = Fields(Map::new());
    event.record(&mut fields);
    let mut out = fields.0;
    out.insert(
        "level".into(),
        Value::from(event.metadata().level().as_str()),
    );
    if let Some(id) = crate::http::request_id::current() {
        out.insert("requestId".into(), Value::from(&*id));
    }
    Value::Object(out).to_string()
}

/// Collects an event's fields as JSON values: numbers and booleans as themselves, the rest
/// (`%display`, `?debug`, the message) as text.
struct Fields(Map<String, Value>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), Value::from(format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), Value::from(value));
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    #[tokio::test]
    async fn lines_are_flat_json_with_the_request_id() {
        let out = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(out.clone())
            .event_format(JsonLines)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        crate::http::request_id::scope("req-42", async {
            tracing::info!(
                deposit_id = "d1",
                amount = 5u64,
                ok = true,
                "deposit activated"
            );
        })
        .await;
        tracing::warn!(code = "x", "outside a request");
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            lines[0],
            serde_json::json!({"level":"INFO","requestId":"req-42","message":"deposit activated",
                               "deposit_id":"d1","amount":5,"ok":true})
        );
        assert_eq!(
            lines[1],
            serde_json::json!({"level":"WARN","message":"outside a request","code":"x"})
        );
    }
}
