//! CSV exports, streamed as the rows are read: one database cursor feeds a small channel of
//! ~32 KB chunks, so an export of any size holds a few chunks in memory, and stops reading when
//! the client goes away or stops reading. Each export holds a pooled connection while it runs,
//! so only a few run at once per replica (more are told to retry): slow readers cannot take the
//! pool from everyone else. Cells a spreadsheet would run as a formula are defused.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use futures::{Stream, StreamExt};
use sea_orm::{DatabaseConnection, EntityTrait, Select};

use crate::api::error::ApiError;

/// A chunk is sent once it holds this many bytes.
const CHUNK: usize = 32 * 1024;
/// Chunks waiting for a slow client, at most.
const IN_FLIGHT: usize = 4;
/// Exports running at once on one replica.
pub const MAX_EXPORTS: usize = 2;
/// A client that takes no chunk for this long is cut off (its connection goes back to the pool).
const STALLED: std::time::Duration = std::time::Duration::from_secs(30);
/// No export runs longer than this (a slow trickle of reads cannot hold a slot for hours).
const LONGEST: std::time::Duration = std::time::Duration::from_secs(600);

/// A cell as a spreadsheet should show it: text that starts like a formula (`=`, `+`, `-`,
/// `@`, tab or carriage return) gets a leading `'` (OWASP's CSV-injection advice).
pub fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn record(writer: &mut csv::Writer<Vec<u8>>, cells: &[String]) -> Result<(), csv::Error> {
    writer.write_record(cells.iter().map(|c| cell(c)))
}

/// Streams `select`'s rows as CSV: `header`, then `row(model)` for each, in order. With
/// [`MAX_EXPORTS`] already running (`running`), 429 (`retry_after` 5 s). An export that does not
/// finish — the database fails, or the client stalls or takes too long — ends with an error, so
/// the answer is cut off rather than looking complete.
pub fn csv<E, F>(
    running: &Arc<tokio::sync::Semaphore>,
    db: DatabaseConnection,
    select: Select<E>,
    header: &'static [&'static str],
    row: F,
) -> Result<impl Stream<Item = Result<String, ApiError>> + Send + 'static, ApiError>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    F: Fn(E::Model) -> Vec<String> + Send + 'static,
{
    let permit = running
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::RateLimited { retry_after: 5 })?;
    let finished = Arc::new(AtomicBool::new(false));
    let done = finished.clone();
    let deadline = tokio::time::Instant::now() + LONGEST;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, ApiError>>(IN_FLIGHT);
    // A chunk the client takes in time, or `false` (gone, or stalled).
    let deliver = move |tx: tokio::sync::mpsc::Sender<Result<String, ApiError>>, item| async move {
        let wait = STALLED.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
        matches!(tokio::time::timeout(wait, tx.send(item)).await, Ok(Ok(())))
    };
    tokio::spawn(async move {
        let _running = permit;
        let mut writer = csv::Writer::from_writer(Vec::with_capacity(CHUNK * 2));
        let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
        let _ = record(&mut writer, &header);
        let rows = match select.stream(&db).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::error!(error = %e, "export: the query failed");
                return;
            }
        };
        futures::pin_mut!(rows);
        let mut exported = 0u64;
        while let Some(next) = rows.next().await {
            let model = match next {
                Ok(model) => model,
                Err(e) => {
                    // The answer has begun: cut it off, so the file is visibly incomplete.
                    tracing::error!(error = %e, exported, "export: reading failed midway");
                    return;
                }
            };
            if record(&mut writer, &row(model)).is_err() {
                return;
            }
            exported += 1;
            if writer.get_ref().len() >= CHUNK {
                let chunk = take(&mut writer);
                if !deliver(tx.clone(), Ok(chunk)).await {
                    tracing::info!(exported, "export: the client went away or stopped reading");
                    return;
                }
            }
        }
        // Marked before the last chunk goes: the stream ends cleanly only after it.
        done.store(true, Ordering::Release);
        if deliver(tx.clone(), Ok(take(&mut writer))).await {
            tracing::info!(exported, "export finished");
        } else {
            done.store(false, Ordering::Release);
        }
    });
    // The channel closes when the task ends; unless it finished, one error cuts the answer off.
    // Fused: a compressing layer may poll once more after the end.
    Ok(futures::stream::unfold(Some(rx), move |rx| {
        let finished = finished.clone();
        async move {
            let mut rx = rx?;
            match rx.recv().await {
                Some(item) => Some((item, Some(rx))),
                None if finished.load(Ordering::Acquire) => None,
                None => Some((Err(ApiError::Internal), None)),
            }
        }
    })
    .fuse())
}

/// What the writer holds so far, as text (every cell came from a `String`).
fn take(writer: &mut csv::Writer<Vec<u8>>) -> String {
    let full = std::mem::replace(
        writer,
        csv::Writer::from_writer(Vec::with_capacity(CHUNK * 2)),
    );
    String::from_utf8(full.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_the_rest_kept() {
        assert_eq!(
            cell("=HYPERLINK(\"http://evil\")"),
            "'=HYPERLINK(\"http://evil\")"
        );
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("WooCommerce, EU"), "WooCommerce, EU");
        let mut w = csv::Writer::from_writer(vec![]);
        record(
            &mut w,
            &["a,b".into(), "say \"hi\"".into(), "line\nbreak".into()],
        )
        .unwrap();
        assert_eq!(take(&mut w), "\"a,b\",\"say \"\"hi\"\"\",\"line\nbreak\"\n");
    }
}
