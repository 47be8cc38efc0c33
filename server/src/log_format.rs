//! Log lines as tracing-subscriber writes them, naming the request they were written in.
//!
//! A request's context ([`RequestContext`]) is not a tracing span (see its module): these
//! formats write it where the default formats write a request span, and only when a line is
//! written. In text, `request{id=… method=… path=… function=… key_id=…}:` before the target, its
//! fields formatted by the subscriber's own field formatter; in JSON, a `span` object with
//! those fields and `"name":"request"`.

use std::fmt;

use app::server::request_context::RequestContext;
use serde::ser::{SerializeMap, Serializer as _};
use tracing::{
    callsite::Callsite,
    field::{Field, Value},
    metadata::Kind,
    span::Record,
    Event, Level, Metadata, Subscriber,
};
use tracing_log::NormalizeEvent;
use tracing_serde::{fields::AsMap, AsSerde};
use tracing_subscriber::{
    fmt::{
        format::{self, Format, Full, Writer},
        time::{FormatTime, SystemTime},
        FmtContext, FormatEvent, FormatFields,
    },
    registry::LookupSpan,
};

/// The name and fields of a request, as a span of them would be written.
fn request_fields() -> &'static Metadata<'static> {
    tracing::callsite!(
        name: "request",
        kind: Kind::SPAN,
        fields: id, method, path, function, key_id
    )
    .metadata()
}

/// Calls `f` with the current request's fields (a function and a key only once known).
fn with_request_fields<R>(
    request: &RequestContext,
    f: impl FnOnce(&Metadata<'static>, &[(&Field, Option<&dyn Value>); 5]) -> R,
) -> R {
    let meta = request_fields();
    let mut names = meta.fields().iter();
    let mut next = || names.next().expect("five fields");
    let (id, method, path, function, key_id) = (next(), next(), next(), next(), next());
    let (id_value, method_value, path_value) = (request.id(), request.method(), request.path());
    let function_value = request.function();
    let key = request.key_id();
    let key_value = key.as_deref();
    let values: [(&Field, Option<&dyn Value>); 5] = [
        (&id, Some(&id_value)),
        (&method, Some(&method_value)),
        (&path, Some(&path_value)),
        (&function, function_value.as_ref().map(|f| f as &dyn Value)),
        (&key_id, key_value.as_ref().map(|k| k as &dyn Value)),
    ];
    f(meta, &values)
}

const DIMMED: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// tracing-subscriber's default text lines (time, level, spans, target, fields), with the
/// request first among the spans.
pub struct Text {
    /// Everything after the level, written by the default format itself.
    rest: Format<Full, ()>,
}

impl Default for Text {
    fn default() -> Self {
        Self {
            rest: format::format().without_time().with_level(false),
        }
    }
}

impl<S, N> FormatEvent<S, N> for Text
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let ansi = writer.has_ansi_escapes();
        let (dimmed, reset) = if ansi { (DIMMED, RESET) } else { ("", "") };
        writer.write_str(dimmed)?;
        if SystemTime.format_time(&mut writer).is_err() {
            writer.write_str("<unknown time>")?;
        }
        write!(writer, "{reset} ")?;
        let (colour, level) = match *event.metadata().level() {
            Level::TRACE => ("\x1b[35m", "TRACE"),
            Level::DEBUG => ("\x1b[34m", "DEBUG"),
            Level::INFO => ("\x1b[32m", " INFO"),
            Level::WARN => ("\x1b[33m", " WARN"),
            Level::ERROR => ("\x1b[31m", "ERROR"),
        };
        if ansi {
            write!(writer, "{colour}{level}{RESET} ")?;
        } else {
            write!(writer, "{level} ")?;
        }
        RequestContext::with_current(|request| write_request(ctx, writer.by_ref(), request))
            .unwrap_or(Ok(()))?;
        self.rest.format_event(ctx, writer, event)
    }
}

/// `request{fields}:` as the default writes a span, then a space unless other spans follow.
fn write_request<S, N>(
    ctx: &FmtContext<'_, S, N>,
    mut writer: Writer<'_>,
    request: &RequestContext,
) -> fmt::Result
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    let (dimmed, bold, reset) = if writer.has_ansi_escapes() {
        (DIMMED, BOLD, RESET)
    } else {
        ("", "", "")
    };
    write!(writer, "{bold}request{reset}{bold}{{{reset}")?;
    with_request_fields(request, |meta, values| {
        let values = meta.fields().value_set(values);
        ctx.format_fields(writer.by_ref(), Record::new(&values))
    })?;
    write!(writer, "{bold}}}{reset}{dimmed}:{reset}")?;
    if ctx.event_scope().is_none() {
        writer.write_char(' ')?;
    }
    Ok(())
}

/// tracing-subscriber's JSON lines (`timestamp`, `level`, `fields`, `target`), with the request
/// as their `span`.
#[derive(Default)]
pub struct Json;

impl<S, N> FormatEvent<S, N> for Json
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut timestamp = String::new();
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        let normalized = event.normalized_metadata();
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        let line = (|| {
            let mut line = serde_json::Serializer::new(Adaptor(&mut writer));
            let mut map = line.serialize_map(None)?;
            map.serialize_entry("timestamp", &timestamp)?;
            map.serialize_entry("level", &meta.level().as_serde())?;
            map.serialize_entry("fields", &event.field_map())?;
            map.serialize_entry("target", meta.target())?;
            RequestContext::with_current(|request| map.serialize_entry("span", &Span(request)))
                .transpose()?;
            map.end()
        })();
        line.map_err(|_| fmt::Error)?;
        writeln!(writer)
    }
}

/// The request as tracing-subscriber writes a span: its fields by name, then its name.
struct Span<'a>(&'a RequestContext);

impl serde::Serialize for Span<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let request = self.0;
        let key = request.key_id();
        let mut map = serializer.serialize_map(None)?;
        if let Some(function) = request.function() {
            map.serialize_entry("function", function)?;
        }
        map.serialize_entry("id", request.id())?;
        if let Some(key) = key.as_deref() {
            map.serialize_entry("key_id", key)?;
        }
        map.serialize_entry("method", request.method())?;
        map.serialize_entry("path", request.path())?;
        map.serialize_entry("name", request_fields().name())?;
        map.end()
    }
}

/// A [`Writer`] as the `io::Write` serde_json writes to (its output is UTF-8).
struct Adaptor<'a, 'w>(&'a mut Writer<'w>);

impl std::io::Write for Adaptor<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = std::str::from_utf8(buf).map_err(std::io::Error::other)?;
        self.0.write_str(text).map_err(std::io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;
    use tracing_subscriber::{filter::LevelFilter, fmt::SubscriberBuilder};

    use super::*;
    use crate::log_fields::{tests::Lines, TextFields};

    const ID: &str = "0b6c2f4e-6f7a-4d1e-9a55-3c2b1d0e9f8a";
    const KEY: &str = "01a2320b-aff4-755d-afed-4837edb65aac";

    /// What a request logs: lines before and after its key authenticates, text that must stay
    /// escaped, a span of its own, and a server error.
    fn lines_of_a_request(record_key: impl Fn()) {
        tracing::info!(count = 3, "before the key");
        record_key();
        tracing::warn!(header = "evil\nkey_id=forged \"quoted\"", "odd input");
        {
            let inner = tracing::info_span!("flush", rows = 2);
            let _entered = inner.enter();
            tracing::info!("in a span of its own");
        }
        tracing::error!(target: "licenseshipper::access", status = 500, "response failed");
    }

    /// The request through its context, as the server logs it now.
    fn through_context(subscriber: impl tracing::Subscriber + Send + Sync + 'static) {
        let request = RequestContext::new(
            HeaderValue::from_static(ID),
            http::Method::POST,
            &"/api/v1/keys.verify?api_key=secret".parse().unwrap(),
            Some("keys.verify"),
        );
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("outside any request");
            futures::executor::block_on(request.scope(async {
                lines_of_a_request(|| app::server::request_context::record_key_id(KEY));
            }));
            tracing::info!("after the request");
        });
    }

    /// The same request as a tracing span, as the default formats write it.
    fn through_span(subscriber: impl tracing::Subscriber + Send + Sync + 'static) {
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("outside any request");
            let span = tracing::info_span!(
                "request",
                id = ID,
                method = "POST",
                path = "/api/v1/keys.verify",
                function = Some("keys.verify"),
                key_id = tracing::field::Empty
            );
            span.in_scope(|| {
                lines_of_a_request(|| {
                    span.record("key_id", KEY);
                })
            });
            drop(span);
            tracing::info!("after the request");
        });
    }

    /// A subscriber writing to `lines` at info level, coloured or not.
    fn builder(
        lines: &Lines,
        ansi: bool,
    ) -> SubscriberBuilder<format::DefaultFields, Format, LevelFilter, Lines> {
        tracing_subscriber::fmt()
            .with_writer(lines.clone())
            .with_ansi(ansi)
            .with_max_level(Level::INFO)
    }

    /// Each line without its time (the first word, styled or not).
    fn untimed(text: &str) -> Vec<String> {
        text.lines()
            .map(|l| {
                l.split_once(' ')
                    .expect("a time, then the rest")
                    .1
                    .to_owned()
            })
            .collect()
    }

    #[test]
    fn text_lines_read_as_the_default_with_a_request_span() {
        for ansi in [false, true] {
            let (ours, default) = (Lines::default(), Lines::default());
            through_context(builder(&ours, ansi).event_format(Text::default()).finish());
            through_span(builder(&default, ansi).finish());
            assert_eq!(
                untimed(&ours.text()),
                untimed(&default.text()),
                "ansi: {ansi}"
            );
            // And with the server's own fields for uncoloured text.
            if !ansi {
                let plain = Lines::default();
                through_context(
                    builder(&plain, false)
                        .event_format(Text::default())
                        .fmt_fields(TextFields)
                        .finish(),
                );
                assert_eq!(untimed(&plain.text()), untimed(&default.text()));
            }
        }
        let lines = Lines::default();
        through_context(
            builder(&lines, false)
                .event_format(Text::default())
                .finish(),
        );
        let text = lines.text();
        assert_eq!(text.lines().count(), 6, "{text}");
        assert!(
            text.contains(&format!(
                r#"request{{id="{ID}" method="POST" path="/api/v1/keys.verify" function="keys.verify" key_id="{KEY}"}}:flush{{rows=2}}: "#
            )),
            "{text}"
        );
        assert!(!text.contains("api_key"), "never the query: {text}");
        assert!(
            text.contains(r#"header="evil\nkey_id=forged \"quoted\"""#),
            "{text}"
        );
    }

    #[test]
    fn json_lines_read_as_the_default_with_the_request_as_their_span() {
        let parse = |lines: &Lines| -> Vec<serde_json::Value> {
            lines
                .text()
                .lines()
                .map(|l| {
                    let mut line: serde_json::Value = serde_json::from_str(l).unwrap();
                    assert!(
                        line["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')),
                        "{l}"
                    );
                    line.as_object_mut().unwrap().remove("timestamp");
                    line
                })
                .collect()
        };
        let (ours, default) = (Lines::default(), Lines::default());
        through_context(builder(&ours, false).json().event_format(Json).finish());
        through_span(
            builder(&default, false)
                .json()
                .with_current_span(true)
                .with_span_list(false)
                .finish(),
        );
        let (ours, default) = (parse(&ours), parse(&default));
        assert_eq!(ours.len(), 6);
        // A span of its own inside the request: the default names that span, ours the
        // request; every other line alike.
        assert_eq!(default[3]["span"]["name"], "flush");
        assert_eq!(ours[3]["span"]["name"], "request");
        for (i, (ours, default)) in ours.iter().zip(&default).enumerate() {
            if i != 3 {
                assert_eq!(ours, default, "line {i}");
            }
        }
        assert_eq!(ours[1]["span"]["function"], "keys.verify");
        assert!(
            ours[1]["span"].get("key_id").is_none(),
            "no key before it authenticates"
        );
        assert_eq!(ours[2]["span"]["key_id"], KEY);
        assert!(ours[0].get("span").is_none() && ours[5].get("span").is_none());
    }
}
