//! The API reference matches the registered server functions exactly.

use std::collections::BTreeSet;

use http::StatusCode;

use crate::common::{Backend, TestApp};

fn registered() -> BTreeSet<String> {
    server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.to_owned())
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
    let registered = registered();
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    let phantom: Vec<_> = documented.difference(&registered).collect();
    assert!(
        undocumented.is_empty(),
        "undocumented endpoints: {undocumented:?}"
    );
    assert!(
        phantom.is_empty(),
        "documented endpoints that do not exist: {phantom:?}"
    );
    // Every documented schema reference resolves.
    let text = r.text;
    let schemas = r.json["components"]["schemas"].as_object().unwrap();
    for part in text.split("#/components/schemas/").skip(1) {
        let name: String = part.chars().take_while(|c| c.is_alphanumeric()).collect();
        assert!(schemas.contains_key(&name), "dangling $ref {name}");
    }
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
