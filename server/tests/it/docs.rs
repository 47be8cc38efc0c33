//! The API reference matches the registered server functions exactly.

use std::collections::BTreeSet;

use http::StatusCode;

use crate::common::{Backend, TestApp};

/// Every path the API answers: the server functions, and the one raw route (the signed
/// secret-scanning report).
fn registered() -> BTreeSet<String> {
    server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.to_owned())
        .chain([app::server::scanning::REPORT_PATH.to_owned()])
        .collect()
}

#[tokio::test]
async fn openapi_documents_every_endpoint_and_nothing_else() {
    let app = TestApp::new(Backend::Sqlite).await;
    let r = app.get("/api/v1/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["openapi"], "3.1.0");
    let documented: BTreeSet<String> = r.json["paths"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        documented,
        registered(),
        "documented paths = linked server functions"
    );
    // Every documented schema reference resolves.
    let text = r.text;
    let schemas = r.json["components"]["schemas"].as_object().unwrap();
    for part in text.split("#/components/schemas/").skip(1) {
        let name: String = part.chars().take_while(|c| c.is_alphanumeric()).collect();
        assert!(schemas.contains_key(&name), "dangling $ref {name}");
    }
}

#[tokio::test]
async fn the_snapshot_in_docs_is_the_served_document() {
    let app = TestApp::new(Backend::Sqlite).await;
    let served = app.get("/api/v1/openapi.json").await.json;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
    let snapshot: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(
        snapshot == served,
        "docs/openapi.json is stale: regenerate it with `make openapi`"
    );
}

#[test]
fn every_server_function_declares_what_it_needs() {
    for path in registered()
        .into_iter()
        .filter(|p| p != app::server::scanning::REPORT_PATH)
    {
        let declared = app::api::registry::find(&path);
        assert!(
            declared.is_some(),
            "{path} has no api_fn! declaration: it would not be served"
        );
    }
}

#[test]
fn the_documented_error_codes_are_exactly_those_the_server_answers() {
    use app::api::error::ErrorCode;
    use strum::IntoEnumIterator;
    let doc = app::server::openapi::document();
    let documented: BTreeSet<String> = doc["components"]["schemas"]["Error"]["properties"]["error"]
        ["properties"]["code"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    let answered: BTreeSet<String> = ErrorCode::iter()
        .filter(|c| *c != ErrorCode::Network)
        .map(|c| c.as_str().to_owned())
        .collect();
    assert_eq!(documented, answered);
    // And every one is answered by some function.
    let used: BTreeSet<String> = app::api::registry::endpoints()
        .iter()
        .flat_map(|e| e.all_errors())
        .chain(app::server::scanning::REPORT_ERRORS)
        .map(|c| c.as_str().to_owned())
        .collect();
    assert_eq!(used, answered, "codes no function declares it may answer");
}

#[test]
fn the_human_reference_shows_every_endpoint_with_curl() {
    let md =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api.md")).unwrap();
    for path in registered() {
        assert!(
            md.contains(&format!("POST {path}")),
            "docs/api.md lacks {path}"
        );
        let name = path.trim_start_matches("/api/v1/");
        assert!(
            md.contains(&format!("$B/{name}")),
            "docs/api.md has no curl example for {name}"
        );
    }
    // Each endpoint's heading names what its declaration says it needs.
    for endpoint in app::api::registry::endpoints() {
        let heading = format!("### `POST {}`", endpoint.path);
        if let Some(line) = md.lines().find(|l| l.starts_with(&heading)) {
            assert!(
                line.contains(&endpoint.need.label()),
                "docs/api.md: {line:?} does not say it needs {}",
                endpoint.need.label()
            );
        }
    }
    for mentioned in md.split("POST /api/v1/").skip(1) {
        let name: String = mentioned
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '.' || *c == '_')
            .collect();
        assert!(
            registered().contains(&format!("/api/v1/{name}")),
            "docs/api.md documents a missing endpoint {name}"
        );
    }
}

#[test]
fn only_key_or_public_functions_answer_get() {
    // A GET carries no content type, so it would skip the guard against cross-site form posts.
    for endpoint in app::api::registry::endpoints()
        .into_iter()
        .filter(|e| e.get)
    {
        assert!(
            matches!(
                endpoint.need,
                app::api::registry::Need::Key | app::api::registry::Need::Public
            ),
            "{} answers GET",
            endpoint.path
        );
    }
}

#[test]
fn the_webhook_event_table_is_the_event_list() {
    let md =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api.md")).unwrap();
    use app::api::webhooks::types::WebhookEvent;
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| `key.")).collect();
    assert_eq!(rows.len(), WebhookEvent::ALL.len(), "{rows:#?}");
    for event in WebhookEvent::ALL {
        let row = format!("| `{}` | {} |", event.as_str(), event.description());
        assert!(rows.contains(&row.as_str()), "docs/api.md lacks {row}");
    }
}

#[test]
fn the_reference_states_the_list_totals_as_the_server_counts_them() {
    use app::api::types::{group_digits, EXACT_TOTAL_UP_TO};
    let doc = include_str!("../../../docs/api.md");
    let exact = format!(
        "`total` is exact up to {} matching keys",
        group_digits(EXACT_TOTAL_UP_TO)
    );
    let sample = format!(
        "a sample of {} keys",
        group_digits(app::server::keys::list::SAMPLE_ROWS as u64)
    );
    for stated in [exact, sample] {
        assert!(doc.contains(&stated), "docs/api.md must say: {stated}");
    }
}

#[test]
fn the_operations_guide_states_the_sqlite_write_limits_as_the_server_sets_them() {
    use app::server::db::{SQLITE_CONNECTIONS, WRITE_WAIT};
    let doc = include_str!("../../../docs/operations.md").replace("\n  ", " ");
    for stated in [
        format!(
            "waits for its turn for at most {} seconds",
            WRITE_WAIT.as_secs()
        ),
        format!("holding none of the {SQLITE_CONNECTIONS} pooled connections"),
    ] {
        assert!(
            doc.contains(&stated),
            "docs/operations.md must say: {stated}"
        );
    }
}
