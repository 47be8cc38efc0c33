//! Log lines as tracing-subscriber writes them, naming the request they were written in.
//!
//! A request's context ([`RequestContext`]) is not a tracing span (see its module): these
//! formats write it where the default formats write a request span, and only when a line is
//! written. In text, `request{id=… method=… path=… function=… key_id=…}:` before the other
//! spans, its fields formatted by the subscriber's own field formatter; in JSON, a `span`
//! object with those fields and `"name":"request"` (other spans are not written in JSON).
//!
//! The layout is fixed to the server's: of the subscriber builder's settings only colours and
//! the field formatter apply (a `.with_target(false)` and the like would be ignored).

use std::fmt;

use app::server::request_context::RequestContext;
use nu_ansi_term::{Color, Style};
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

/// Calls `f` with the current request's fields and their values (a function and a key only
/// once known), in the order [`request_fields`] declares them.
fn with_request_fields<R>(
    request: &RequestContext,
    f: impl FnOnce(&'static Metadata<'static>, [(Field, Option<&str>); 5]) -> R,
) -> R {
    let meta = request_fields();
    let key = request.key_id();
    let mut values = [
        Some(request.id()),
        Some(request.method()),
        Some(request.path()),
        request.function(),
        key.as_deref(),
    ]
    .into_iter();
    let mut fields = meta.fields().iter();
    let pairs = std::array::from_fn(|_| {
        let field = fields
            .next()
            .expect("a value for each field of the request");
        (field, values.next().flatten())
    });
    f(meta, pairs)
}

/// A style, or none when the line is not coloured.
fn paint(ansi: bool, style: Style, text: &str) -> nu_ansi_term::AnsiGenericString<'_, str> {
    if ansi { style } else { Style::new() }.paint(text)
}

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
        let dimmed = if ansi {
            Style::new().dimmed()
        } else {
            Style::new()
        };
        write!(writer, "{}", dimmed.prefix())?;
        if SystemTime.format_time(&mut writer).is_err() {
            writer.write_str("<unknown time>")?;
        }
        write!(writer, "{} ", dimmed.suffix())?;
        let (colour, level) = match *event.metadata().level() {
            Level::TRACE => (Color::Purple, "TRACE"),
            Level::DEBUG => (Color::Blue, "DEBUG"),
            Level::INFO => (Color::Green, " INFO"),
            Level::WARN => (Color::Yellow, " WARN"),
            Level::ERROR => (Color::Red, "ERROR"),
        };
        write!(writer, "{} ", paint(ansi, colour.normal(), level))?;
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
    let ansi = writer.has_ansi_escapes();
    let (bold, dimmed) = (Style::new().bold(), Style::new().dimmed());
    let name = request_fields().name();
    write!(
        writer,
        "{}{}",
        paint(ansi, bold, name),
        paint(ansi, bold, "{")
    )?;
    with_request_fields(request, |meta, pairs| {
        let values = pairs
            .each_ref()
            .map(|(field, value)| (field, value.as_ref().map(|v| v as &dyn Value)));
        let values = meta.fields().value_set(&values);
        ctx.format_fields(writer.by_ref(), Record::new(&values))
    })?;
    write!(
        writer,
        "{}{}",
        paint(ansi, bold, "}"),
        paint(ansi, dimmed, ":")
    )?;
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
            RequestContext::with_current(|request| {
                map.serialize_entry("span", &RequestSpan(request))
            })
            .transpose()?;
            map.end()
        })();
        line.map_err(|_| fmt::Error)?;
        writeln!(writer)
    }
}

/// The request as tracing-subscriber writes a span in JSON: its fields by name (sorted, as
/// its JSON field formatter keeps them), then its name.
struct RequestSpan<'a>(&'a RequestContext);

impl serde::Serialize for RequestSpan<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        with_request_fields(self.0, |meta, mut pairs| {
            pairs.sort_by_key(|(field, _)| field.name());
            let mut map = serializer.serialize_map(None)?;
            for (field, value) in &pairs {
                if let Some(value) = value {
                    map.serialize_entry(field.name(), value)?;
                }
            }
            map.serialize_entry("name", meta.name())?;
            map.end()
        })
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

    /// What a request logs: lines before and after its key authenticates, at every level, text
    /// that must stay escaped, a span of its own, and a server error.
    fn lines_of_a_request(record_key: impl Fn()) {
        tracing::info!(count = 3, "before the key");
        record_key();
        tracing::trace!(step = "gate", "traced");
        tracing::debug!(ok = true, "debugged");
        tracing::warn!(header = "evil\nkey_id=forged \"quoted\"", "odd input");
        {
            let inner = tracing::info_span!("flush", rows = 2);
            let _entered = inner.enter();
            tracing::info!("in a span of its own");
        }
        tracing::error!(target: crate::ACCESS_LOG, status = 500, "response");
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

    /// A subscriber writing to `lines` at every level, coloured or not.
    fn builder(
        lines: &Lines,
        ansi: bool,
    ) -> SubscriberBuilder<format::DefaultFields, Format, LevelFilter, Lines> {
        tracing_subscriber::fmt()
            .with_writer(lines.clone())
            .with_ansi(ansi)
            .with_max_level(Level::TRACE)
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
        assert_eq!(text.lines().count(), 8, "{text}");
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
        // Each line as written, less its time; and parsed.
        let lines = |lines: &Lines| -> Vec<(String, serde_json::Value)> {
            let prefix = r#"{"timestamp":""#;
            lines
                .text()
                .lines()
                .map(|l| {
                    let time = l.strip_prefix(prefix).expect("the time first");
                    let (time, rest) = time.split_once(r#"","#).unwrap();
                    assert!(time.ends_with('Z'), "{l}");
                    (rest.to_owned(), serde_json::from_str(l).unwrap())
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
        let (ours, default) = (lines(&ours), lines(&default));
        assert_eq!(ours.len(), 8);
        // A span of its own inside the request: the default names that span, ours the
        // request; every other line byte for byte alike.
        const NESTED: usize = 5;
        assert_eq!(default[NESTED].1["span"]["name"], "flush");
        assert_eq!(ours[NESTED].1["span"]["name"], "request");
        for (i, (ours, default)) in ours.iter().zip(&default).enumerate() {
            if i != NESTED {
                assert_eq!(ours.0, default.0, "line {i}");
            }
        }
        let span = |i: usize| &ours[i].1["span"];
        assert_eq!(span(1)["function"], "keys.verify");
        assert_eq!(span(1)["path"], "/api/v1/keys.verify");
        assert!(
            span(1).get("key_id").is_none(),
            "no key before it authenticates"
        );
        assert_eq!(span(2)["key_id"], KEY);
        assert_eq!(ours[6].1["level"], "ERROR");
        assert!(ours[0].1.get("span").is_none() && ours[7].1.get("span").is_none());
    }
}
