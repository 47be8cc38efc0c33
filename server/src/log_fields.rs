//! The fields of text log lines (uncoloured): exactly as tracing-subscriber's default writes
//! them, with a short cut for plain text.
//!
//! The default formatter styles each field name even when colours are off, and escapes each
//! text value character by character; when every request opened a span (formatted at once,
//! whether or not a line was logged in it) that was several thousand instructions per request. A text field whose value needs no escaping
//! is written here as the default would write it; every other field (messages, errors, text
//! with quotes or control characters, numbers, `%`/`?` values) is handed to the default
//! formatter itself, so whatever escaping it does, and does not do, stays as it was.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing_subscriber::{
    field::{RecordFields, VisitOutput},
    fmt::{
        format::{DefaultVisitor, Writer},
        FormatFields,
    },
};

/// Formats fields as `name=value`, separated by spaces; `message` bare.
pub struct TextFields;

impl<'w> FormatFields<'w> for TextFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'w>, fields: R) -> fmt::Result {
        let mut visitor = Visitor {
            writer,
            empty: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct Visitor<'w> {
    writer: Writer<'w>,
    /// Nothing written yet (no separating space before the next field).
    empty: bool,
    result: fmt::Result,
}

impl Visitor<'_> {
    /// Records one field through the default formatter.
    fn via_default(&mut self, field: &Field, record: impl FnOnce(&mut DefaultVisitor<'_>)) {
        if self.result.is_err() {
            return;
        }
        let mut visitor = DefaultVisitor::new(self.writer.by_ref(), self.empty);
        record(&mut visitor);
        self.result = visitor.finish();
        // The default skips the fields that bridged `log` records carry (their line's own
        // prefix shows them) and writes every other.
        self.empty = self.empty && field.name().starts_with("log.");
    }
}

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        let name = field.name();
        // What `Debug` prints unchanged between quotes: printable ASCII, no quote or backslash.
        let plain = value
            .bytes()
            .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\');
        if !plain || name == "message" || name.starts_with("log.") || self.result.is_err() {
            return self.via_default(field, |v| v.record_str(field, value));
        }
        let name = name.strip_prefix("r#").unwrap_or(name);
        let separator = if std::mem::take(&mut self.empty) {
            ""
        } else {
            " "
        };
        self.result = write!(self.writer, "{separator}{name}=\"{value}\"");
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.via_default(field, |v| v.record_error(field, value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.via_default(field, |v| v.record_debug(field, value));
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    /// A log writer whose lines a test reads back.
    #[derive(Clone, Default)]
    pub(crate) struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Lines {
        pub(crate) fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Lines {
        type Writer = Lines;
        fn make_writer(&'a self) -> Lines {
            self.clone()
        }
    }

    /// The lines a closure logs, through tracing-subscriber's default fields or ours.
    fn logged(ours: bool, log: impl Fn()) -> String {
        let lines = Lines::default();
        let builder = tracing_subscriber::fmt()
            .with_writer(lines.clone())
            .with_ansi(false)
            .without_time()
            .with_max_level(tracing::Level::INFO);
        if ours {
            tracing::subscriber::with_default(builder.fmt_fields(TextFields).finish(), log);
        } else {
            tracing::subscriber::with_default(builder.finish(), log);
        }
        lines.text()
    }

    #[test]
    fn lines_read_exactly_as_with_the_default_fields() {
        let log = || {
            let error = std::io::Error::other("disk full");
            let span = tracing::info_span!(
                "request",
                id = "0b6c2f4e-6f7a-4d1e-9a55-3c2b1d0e9f8a",
                method = "POST",
                path = "/api/v1/keys.verify",
                function = Some("keys.verify"),
                key_id = tracing::field::Empty
            );
            let _entered = span.enter();
            span.record("key_id", "01a2320b-aff4-755d-afed-4837edb65aac");
            tracing::info!(count = 3, ok = true, r#type = "flush", "usage written");
            tracing::warn!(
                header = "evil\nkey_id=forged \"quoted\" \\ tab\t é 🔑",
                error = &error as &(dyn std::error::Error + 'static),
                "odd input"
            );
            tracing::info!(empty = "", spaced = "two words", "edge cases");
            let plain_message = "a message given as text";
            tracing::info!(
                message = plain_message,
                log.target = "bridged",
                after = "log"
            );
            let source = std::io::Error::other("socket closed");
            let outer = std::io::Error::new(std::io::ErrorKind::BrokenPipe, source);
            tracing::warn!(
                error = &outer as &(dyn std::error::Error + 'static),
                "\u{1b}[31mred\u{7} bell \u{9b} C1"
            );
            tracing::info!(first = 1, name = "plain", "numbers before text");
            // A bridged record's fields first: the default skips them and writes no space.
            tracing::info!(log.target = "bridged", after = "log", then = 2);
            let bridged = tracing::info_span!("bridged", log.file = "x.rs", kept = "yes");
            let _inside = bridged.enter();
            tracing::info!(inside = "a span that opened with a log field");
        };
        let ours = logged(true, log);
        assert_eq!(ours, logged(false, log));
        // The lines are really there, and text that could forge a field or drive a terminal stays
        // quoted and escaped.
        assert!(ours.contains("path=\"/api/v1/keys.verify\""), "{ours}");
        assert!(
            ours.contains(r#"header="evil\nkey_id=forged \"quoted\" \\ tab\t é 🔑""#),
            "{ours}"
        );
        assert!(
            !ours.contains('\u{1b}'),
            "terminal escapes stay escaped: {ours}"
        );
        assert_eq!(ours.lines().count(), 8, "{ours}");
    }
}
