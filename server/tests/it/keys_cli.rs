//! `licenseshipper keys …` and the typed client, against a real server on both backends.

use std::{
    io::Write,
    process::{Command, Output, Stdio},
};

use serde_json::{json, Value};

use crate::{
    common::{Backend, TestDb},
    on_both, process,
};

/// Runs `licenseshipper keys <args>` against `url` with `key` in LS_API_KEY.
fn keys(url: &str, key: Option<&str>, args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_licenseshipper"));
    command
        .arg("keys")
        .args(args)
        .env("LS_URL", url)
        .env("LS_LOG", "warn")
        .env_remove("LS_API_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(key) = key {
        command.env("LS_API_KEY", key);
    }
    let mut child = command.spawn().expect("run licenseshipper keys");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn json_out(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Ids, secrets and times vary from run to run; the shape and the rest must not.
fn normalized(mut v: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for (k, x) in map.iter_mut() {
                    match k.as_str() {
                        "id" | "key_id" => *x = json!("<id>"),
                        "secret" => *x = json!("<secret>"),
                        "masked" => *x = json!("<masked>"),
                        "created_at"
                        | "last_used_at"
                        | "expires_at"
                        | "disabled_at"
                        | "previous_secret_expires_at"
                            if !x.is_null() =>
                        {
                            *x = json!("<time>")
                        }
                        _ => walk(x),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut v);
    v
}

on_both!(
    the_cli_manages_keys_with_an_api_key_and_exits_as_sysexits_says,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let server = process::start(dir.path(), &db.url, &[]).await;
        let cookie = server.setup().await;
        let (_, body) = server
            .api(
                "keys.create",
                json!({"name": "Ops script", "scopes": ["keys:read", "keys:write", "keys:verify"]}),
                &cookie,
            )
            .await
            .unwrap();
        let ops = body["secret"].as_str().unwrap().to_owned();
        let url = server.base.clone();

        // Create, then read it back, for scripts and for people.
        let out = keys(
            &url,
            Some(&ops),
            &[
                "create",
                "WooCommerce EU",
                "--project",
                "shop.example",
                "--scope",
                "keys:verify",
                "--json",
            ],
            "",
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let created = json_out(&out);
        let id = created["key"]["id"].as_str().unwrap().to_owned();
        let secret = created["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("lsk_"));
        assert_eq!(created["key"]["created_by"], "API key: Ops script");

        let out = keys(&url, Some(&ops), &["get", &id, "--json"], "");
        assert!(out.status.success());
        let got = json_out(&out);
        let snapshot = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/keys_get.json");
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(snapshot).unwrap()).unwrap();
        assert_eq!(
            normalized(got),
            expected,
            "`keys get --json` changed shape: scripts depend on it ({snapshot})"
        );

        let out = keys(&url, Some(&ops), &["list"], "");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success());
        assert!(text.starts_with("ID"), "{text}");
        assert!(
            text.contains("WooCommerce EU") && text.contains("Ops script"),
            "{text}"
        );
        assert!(text.contains("Showing 1–2 of 2"), "{text}");
        assert!(!text.contains(&secret) && !text.contains(&ops));

        // Verify reads the candidate from standard input; exit 1 when it is not valid.
        let out = keys(
            &url,
            Some(&ops),
            &["verify", "--json"],
            &format!("{secret}\n"),
        );
        assert!(out.status.success());
        assert_eq!(json_out(&out)["valid"], true);
        let wrong = format!("{secret}0"); // one character too many: not valid
        let out = keys(&url, Some(&ops), &["verify"], &wrong);
        assert_eq!(out.status.code(), Some(1));

        // Roll, disable, enable, delete.
        let out = keys(
            &url,
            Some(&ops),
            &["roll", &id, "--grace-seconds", "60", "--json"],
            "",
        );
        assert!(out.status.success());
        assert_ne!(json_out(&out)["secret"], secret.as_str());
        let out = keys(&url, Some(&ops), &["disable", &id, "--json"], "");
        assert_eq!(json_out(&out)["status"], "disabled");
        let out = keys(&url, Some(&ops), &["enable", &id], "");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Active"));
        let out = keys(&url, Some(&ops), &["delete", &id], "");
        assert!(out.status.success());

        // sysexits: not found 66, no permission 77, usage 64.
        let out = keys(&url, Some(&ops), &["get", &id], "");
        assert_eq!(out.status.code(), Some(66));
        let out = keys(&url, Some(&secret), &["list"], "");
        assert_eq!(out.status.code(), Some(77), "a deleted key");
        let (_, body) = server
            .api(
                "keys.create",
                json!({"name": "reader", "scopes": ["keys:read"]}),
                &cookie,
            )
            .await
            .unwrap();
        let reader = body["secret"].as_str().unwrap().to_owned();
        let out = keys(&url, Some(&reader), &["create", "nope"], "");
        assert_eq!(out.status.code(), Some(77), "missing scope");
        let out = keys(&url, None, &["list"], "");
        assert_eq!(out.status.code(), Some(64));
        assert!(String::from_utf8_lossy(&out.stderr).contains("LS_API_KEY"));
        let out = keys(
            &url,
            Some(&ops),
            &["create", "x", "--scope", "keys:admin"],
            "",
        );
        assert_eq!(out.status.code(), Some(64));
        let out = keys(&url, Some(&ops), &["create", " "], "");
        assert_eq!(out.status.code(), Some(65), "validation");
        let out = keys("http://127.0.0.1:9", Some(&ops), &["list"], "");
        assert_eq!(out.status.code(), Some(69), "unreachable");
    }
);

on_both!(
    the_typed_client_speaks_the_server_types,
    |backend: Backend| async move {
        let db = TestDb::new(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let server = process::start(dir.path(), &db.url, &[]).await;
        let cookie = server.setup().await;
        let (_, body) = server
            .api(
                "keys.create",
                json!({"name": "verifier", "scopes": ["keys:verify"]}),
                &cookie,
            )
            .await
            .unwrap();
        let verifier = body["secret"].as_str().unwrap().to_owned();
        let (_, body) = server
            .api("keys.create", json!({"name": "shop"}), &cookie)
            .await
            .unwrap();
        let shop = body["secret"].as_str().unwrap().to_owned();

        let api = client::Client::new(&server.base, verifier).unwrap();
        let me = api.whoami().await.unwrap();
        assert_eq!(me.name, "verifier");
        let verdict = api.verify(&shop).await.unwrap();
        assert!(verdict.valid);
        assert_eq!(verdict.name.as_deref(), Some("shop"));
        let refused = api.verify("lsk_nonsense").await.unwrap();
        assert!(!refused.valid);
        // Errors come back as the API's own type.
        let err = api.list(None, 1, None, None).await.unwrap_err();
        assert!(matches!(
            err.api(),
            Some(client::ApiError::MissingScope(
                client::types::Scope::KeysRead
            ))
        ));
    }
);
