//! The OpenAPI 3.1 document, built from the server-function registry: paths, summaries (doc
//! comments), request and response schemas (the wire types), what each function needs, the
//! errors it can answer (the error codes themselves), and the limits validation enforces (the
//! same constants). Nothing in it is written by hand.

use serde_json::{json, Value};
use strum::IntoEnumIterator;
use utoipa::openapi::{
    path::{HttpMethod, OperationBuilder, PathItemBuilder},
    security::{
        ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
    },
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApiBuilder, PathsBuilder, Ref,
    ResponseBuilder, ResponsesBuilder,
};

use crate::api::{
    error::ErrorCode,
    registry::{self, Endpoint, Need, Schemas},
    types::{
        MAX_ALLOWED_CIDRS, MAX_AUDIT_PAGE, MAX_BULK_DELETE, MAX_GRACE_SECONDS, MAX_PAGE_SIZE,
        MAX_POLICY_DAYS, MAX_RATE_LIMIT_PER_MINUTE, MAX_USAGE_DAYS,
    },
    validate::{EMAIL_MAX, NAME_MAX, PASSWORD_MAX, PASSWORD_MIN, PROJECT_MAX, QUERY_MAX},
};

/// The limits validation enforces, by argument or field name, as JSON Schema keywords.
fn limits() -> Vec<(&'static str, Value)> {
    vec![
        ("name", json!({"minLength": 1, "maxLength": NAME_MAX})),
        ("project", json!({"maxLength": PROJECT_MAX})),
        ("query", json!({"maxLength": QUERY_MAX})),
        ("email", json!({"maxLength": EMAIL_MAX})),
        (
            "password",
            json!({"minLength": PASSWORD_MIN, "maxLength": PASSWORD_MAX}),
        ),
        (
            "new_password",
            json!({"minLength": PASSWORD_MIN, "maxLength": PASSWORD_MAX}),
        ),
        ("page", json!({"minimum": 1, "maximum": i64::MAX})),
        ("page_size", json!({"minimum": 1, "maximum": MAX_PAGE_SIZE})),
        (
            "grace_seconds",
            json!({"minimum": 0, "maximum": MAX_GRACE_SECONDS}),
        ),
        ("ids", json!({"minItems": 1, "maxItems": MAX_BULK_DELETE})),
        ("allowed_cidrs", json!({"maxItems": MAX_ALLOWED_CIDRS})),
        ("limit", json!({"minimum": 1, "maximum": MAX_AUDIT_PAGE})),
        ("days", json!({"minimum": 1, "maximum": MAX_USAGE_DAYS})),
        (
            "max_lifetime_days",
            json!({"minimum": 1, "maximum": MAX_POLICY_DAYS}),
        ),
        (
            "default_expiry_days",
            json!({"minimum": 1, "maximum": MAX_POLICY_DAYS}),
        ),
        (
            "rate_limit_per_minute",
            json!({"minimum": 1, "maximum": MAX_RATE_LIMIT_PER_MINUTE}),
        ),
    ]
}

fn tag(endpoint: &Endpoint) -> &'static str {
    match endpoint.need {
        Need::Key => "Integrators",
        _ if endpoint.name().starts_with("keys.") => "Keys",
        _ if endpoint.name().starts_with("auth.") => "Accounts",
        _ if endpoint.name().starts_with("admins.") => "Admins",
        _ if endpoint.name().starts_with("settings.") => "Settings",
        _ => "Audit",
    }
}

fn security(need: Need) -> Vec<SecurityRequirement> {
    let bearer = SecurityRequirement::new("bearer", Vec::<String>::new());
    let session = SecurityRequirement::new("session", Vec::<String>::new());
    match need {
        Need::Public => vec![],
        Need::Admin | Need::Session => vec![session],
        Need::Key => vec![bearer],
        Need::Scope(_) => vec![bearer, session],
    }
}

fn operation(endpoint: &Endpoint, schemas: &mut Schemas) -> utoipa::openapi::path::Operation {
    let (_, request_schemas) = endpoint.request();
    schemas.extend(request_schemas);
    (endpoint.response_components)(schemas);
    let json = "application/json";
    let ok = match (endpoint.response)() {
        Some(schema) => ResponseBuilder::new()
            .description(if endpoint.produces == json {
                "OK"
            } else {
                "OK: streamed as it is read, as a file to save"
            })
            .content(
                endpoint.produces,
                ContentBuilder::new().schema(Some(schema)).build(),
            ),
        None => ResponseBuilder::new()
            .description("OK (the body is `null`)")
            .content(
                json,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Null")))
                    .build(),
            ),
    };
    let mut responses = ResponsesBuilder::new().response("200", ok.build());
    for (status, codes) in errors_by_status(endpoint.all_errors()) {
        responses = responses.response(
            status.to_string(),
            ResponseBuilder::new()
                .description(codes)
                .content(
                    json,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Error")))
                        .build(),
                )
                .build(),
        );
    }
    let doc = endpoint.doc.trim();
    let description = format!("{doc}\n\nNeeds: {}.", endpoint.need.label());
    OperationBuilder::new()
        .operation_id(Some(endpoint.name()))
        .summary(Some(endpoint.summary()))
        .description(Some(description))
        .tag(tag(endpoint))
        .securities(Some(security(endpoint.need)))
        .responses(responses.build())
        .build()
}

/// Error codes grouped by the status they are answered with: "`code`, `code`" per status.
fn errors_by_status(
    codes: impl IntoIterator<Item = ErrorCode>,
) -> std::collections::BTreeMap<u16, String> {
    let mut by_status: std::collections::BTreeMap<u16, Vec<String>> = Default::default();
    for code in codes {
        by_status
            .entry(code.status())
            .or_default()
            .push(format!("`{}`", code.as_str()));
    }
    by_status
        .into_iter()
        .map(|(status, codes)| (status, codes.join(", ")))
        .collect()
}

/// The secret-scanning report's operation (it is no server function: it reads its raw body to
/// check the signature), with the schemas it refers to.
fn scanning_operation(schemas: &mut Schemas) -> Value {
    use crate::api::{
        registry::components_of,
        types::{LeakReport, LeakVerdict},
    };
    use crate::server::scanning::{MAX_REPORT_TOKENS, REPORT_ERRORS};
    components_of::<LeakReport>(schemas);
    components_of::<LeakVerdict>(schemas);
    let mut responses = serde_json::Map::new();
    responses.insert(
        "200".into(),
        json!({"description": "One verdict per reported token", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/LeakVerdict"}}}}}),
    );
    for (status, codes) in errors_by_status(REPORT_ERRORS) {
        responses.insert(
            status.to_string(),
            json!({"description": codes, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}),
        );
    }
    json!({"post": {
        "operationId": "secret_scanning.report",
        "summary": "Reports keys found in public (GitHub secret-scanning partner format).",
        "description": "A JSON array of found tokens, signed with ECDSA P-256 over the raw body by a key from the configured public-keys file (`--scanning-public-keys-file`); 404 when none is configured. A live key is disabled (or rolled with no grace, as the key policy says) within the request.\n\nNeeds: a valid signature.",
        "tags": ["Secret scanning"],
        "security": [],
        "parameters": [
            {"name": "Github-Public-Key-Identifier", "in": "header", "required": true, "schema": {"type": "string"}},
            {"name": "Github-Public-Key-Signature", "in": "header", "required": true, "schema": {"type": "string"}, "description": "base64 of the DER ECDSA signature of the raw body"},
        ],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "array", "maxItems": MAX_REPORT_TOKENS, "items": {"$ref": "#/components/schemas/LeakReport"}}}}},
        "responses": responses,
    }})
}

/// The whole document, as JSON.
pub fn document() -> Value {
    let mut schemas = Schemas::new();
    let scanning = scanning_operation(&mut schemas);
    let mut paths = PathsBuilder::new();
    for endpoint in registry::endpoints() {
        let op = operation(endpoint, &mut schemas);
        let mut item = PathItemBuilder::new().operation(HttpMethod::Post, op.clone());
        if endpoint.get {
            let mut get = op;
            get.operation_id = Some(format!("{}.get", endpoint.name()));
            get.request_body = None;
            item = item.operation(HttpMethod::Get, get);
        }
        paths = paths.path(endpoint.path, item.build());
    }
    let mut components = ComponentsBuilder::new()
        .security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("lsk_ + 32 base62 + 6 base62 CRC32")
                    .build(),
            ),
        )
        .security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("ls_session"))),
        );
    schemas.sort_by(|a, b| a.0.cmp(&b.0));
    schemas.dedup_by(|a, b| a.0 == b.0);
    for (name, schema) in schemas {
        components = components.schema(name, schema);
    }
    let info = InfoBuilder::new()
        .title("LicenseShipper Keys API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "The server functions behind the LicenseShipper Keys app, at stable JSON paths. \
             Integrators authenticate with `Authorization: Bearer lsk_…` (never in the URL); the \
             admin app uses its session cookie, and every call without a bearer key must send \
             `Content-Type: application/json`. Every call is a POST of a JSON object (an empty \
             body means no arguments). Times are RFC 3339 UTC.",
        ))
        .build();
    let api = OpenApiBuilder::new()
        .info(info)
        .paths(paths.build())
        .components(Some(components.build()))
        .build();
    let mut doc = serde_json::to_value(&api).expect("the document serializes");
    doc["servers"] = json!([{"url": "/"}]);
    // Request bodies: one closed JSON object per function (see `Endpoint::request`).
    for endpoint in registry::endpoints() {
        let (schema, _) = endpoint.request();
        let required = schema["required"].as_array().is_some_and(|r| !r.is_empty());
        doc["paths"][endpoint.path]["post"]["requestBody"] = json!({
            "required": required,
            "content": {"application/json": {"schema": schema}},
        });
    }
    doc["paths"][crate::server::scanning::REPORT_PATH] = scanning;
    let schemas = &mut doc["components"]["schemas"];
    schemas["Error"] = error_schema();
    schemas["Null"] = json!({"type": "null"});
    apply_limits(&mut doc, &limits());
    doc
}

/// `{"error": {code, message, field?, retry_after?, scope?}}`, with exactly the codes the server
/// can answer.
fn error_schema() -> Value {
    let codes: Vec<&str> = ErrorCode::iter()
        .filter(|c| *c != ErrorCode::Network)
        .map(ErrorCode::as_str)
        .collect();
    json!({
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "enum": codes},
                "message": {"type": "string"},
                "field": {"type": "string", "description": "with `validation`: the offending argument"},
                "retry_after": {"type": "integer", "minimum": 1, "description": "with `rate_limited`: seconds to wait"},
                "scope": {"type": "string", "description": "with `missing_scope`: the scope the key lacks"},
            },
        }},
    })
}

/// Adds each limit to every property of that name, wherever it is defined; and since JSON
/// Schema treats `format` as a note, spells out what a `date-time` must look like.
fn apply_limits(value: &mut Value, limits: &[(&str, Value)]) {
    match value {
        Value::Object(map) => {
            if map.get("format").and_then(Value::as_str) == Some("date-time") {
                map.insert(
                    "pattern".into(),
                    json!("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"),
                );
            }
            if let Some(Value::Object(properties)) = map.get_mut("properties") {
                for (name, limit) in limits {
                    if let Some(Value::Object(property)) = properties.get_mut(*name) {
                        if let Value::Object(keywords) = limit {
                            for (k, v) in keywords {
                                property.insert(k.clone(), v.clone());
                            }
                        }
                    }
                }
            }
            for child in map.values_mut() {
                apply_limits(child, limits);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| apply_limits(v, limits)),
        _ => {}
    }
}
