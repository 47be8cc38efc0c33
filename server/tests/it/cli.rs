//! The binary's start-up errors: one clear line and a non-zero exit, never a panic trace.

use std::process::{Command, Output};

fn licenseshipper(args: &[&str], envs: &[(&str, &str)], dir: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_licenseshipper"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("LS_MASTER_KEY")
        .envs(envs.iter().copied())
        .env("LS_LOG", "warn")
        .current_dir(dir)
        .output()
        .expect("run licenseshipper")
}

fn site(dir: &std::path::Path) -> String {
    let site = dir.join("dist");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("index.html"), "<html></html>").unwrap();
    site.display().to_string()
}

fn one_error_line(out: &Output) -> String {
    assert!(!out.status.success(), "expected failure");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected, got: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    lines[0].to_owned()
}

#[test]
fn invalid_database_url_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let site = site(dir.path());
    let out = licenseshipper(
        &["serve", "--site-root", &site, "--listen", "127.0.0.1:0"],
        &[("DATABASE_URL", "postgres://nobody:hunter2@127.0.0.1:1/none")],
        dir.path(),
    );
    let line = one_error_line(&out);
    assert!(line.starts_with("error: cannot open database"), "{line}");
    assert!(!line.contains("hunter2"), "password redacted: {line}");
}

#[test]
fn missing_site_root_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = licenseshipper(&["serve", "--site-root", "nowhere"], &[], dir.path());
    let line = one_error_line(&out);
    assert!(
        line.contains("site root nowhere has no index.html"),
        "{line}"
    );
}

#[test]
fn taken_port_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let site = site(dir.path());
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = licenseshipper(
        &["serve", "--site-root", &site, "--listen", &addr],
        &[],
        dir.path(),
    );
    let line = one_error_line(&out);
    assert!(
        line.starts_with(&format!("error: cannot listen on {addr}")),
        "{line}"
    );
}

#[test]
fn a_master_key_file_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let site = site(dir.path());
    let key = dir.path().join("master.key");
    std::fs::write(&key, app::server::vault::MasterKey::generate_base64()).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = licenseshipper(
        &[
            "serve",
            "--site-root",
            &site,
            "--listen",
            "127.0.0.1:0",
            "--master-key-file",
            key.to_str().unwrap(),
        ],
        &[],
        dir.path(),
    );
    let line = one_error_line(&out);
    assert!(line.contains("too wide"), "{line}");
}

#[test]
fn migrate_and_create_admin_work_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = licenseshipper(&["migrate"], &[], dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("data/licenseshipper.db").exists());

    let mut child = Command::new(env!("CARGO_BIN_EXE_licenseshipper"))
        .args([
            "create-admin",
            "--email",
            "ops@example.com",
            "--name",
            "Ops",
        ])
        .env_remove("LS_ADMIN_PASSWORD")
        .env_remove("DATABASE_URL")
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created admin Ops"));

    let short = licenseshipper(
        &["create-admin", "--email", "x@example.com", "--name", "X"],
        &[("LS_ADMIN_PASSWORD", "short")],
        dir.path(),
    );
    let line = one_error_line(&short);
    assert!(line.contains("at least 12 characters"), "{line}");

    // A read-only account, by its role's name; an unknown role is refused up front.
    let password = [("LS_ADMIN_PASSWORD", "a long enough password")];
    let viewer = licenseshipper(
        &[
            "create-admin",
            "--email",
            "v@example.com",
            "--name",
            "Vic",
            "--role",
            "viewer",
        ],
        &password,
        dir.path(),
    );
    assert!(
        viewer.status.success(),
        "{}",
        String::from_utf8_lossy(&viewer.stderr)
    );
    assert!(String::from_utf8_lossy(&viewer.stdout).contains("created viewer Vic"));
    let owner = licenseshipper(
        &[
            "create-admin",
            "--email",
            "o@example.com",
            "--name",
            "O",
            "--role",
            "owner",
        ],
        &password,
        dir.path(),
    );
    assert!(!owner.status.success());
    let err = String::from_utf8_lossy(&owner.stderr);
    assert!(err.contains("admin") && err.contains("viewer"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wrong_master_key_stops_start_up_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = crate::process::sqlite_url(dir.path());
    let server = crate::process::start(dir.path(), &url, &[]).await;
    let cookie = server.setup().await;
    let (status, _) = server
        .api(
            "keys.create",
            serde_json::json!({"name": "sealed"}),
            &cookie,
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    server.signal("TERM");
    assert!(server.wait().success());

    let site = site(dir.path());
    let other = app::server::vault::MasterKey::generate_base64();
    let out = licenseshipper(
        &[
            "serve",
            "--site-root",
            &site,
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &url,
        ],
        &[("LS_MASTER_KEY", other.as_str())],
        dir.path(),
    );
    let line = one_error_line(&out);
    assert!(line.starts_with("error: master key:"), "{line}");
    assert!(line.contains("not the configured master key"), "{line}");
}

#[tokio::test]
async fn serve_says_where_to_go_and_on_a_first_start_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = crate::process::sqlite_url(dir.path());
    let server = crate::process::start(dir.path(), &url, &[]).await;
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    let log = std::fs::read_to_string(dir.path().join(format!("server-{port}.err"))).unwrap();
    assert!(
        log.contains(&format!("open http://127.0.0.1:{port}")),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "http://127.0.0.1:{port}/setup creates the first admin"
        )),
        "{log}"
    );
    // Once an admin exists, a restart only says where to go.
    server.setup().await;
    drop(server);
    let again = crate::process::start(dir.path(), &url, &[]).await;
    let port = again.base.rsplit(':').next().unwrap().to_owned();
    let log = std::fs::read_to_string(dir.path().join(format!("server-{port}.err"))).unwrap();
    assert!(log.contains("open http://"), "{log}");
    assert!(!log.contains("/setup"), "{log}");
}

/// The address a key is used from is the connection's peer: recorded as the key's last use,
/// and held against its allowlist.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_a_socket_the_peer_address_is_the_callers() {
    use serde_json::json;
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = crate::process::sqlite_url(dir.path());
    let server = crate::process::start(dir.path(), &url, &[("LS_USAGE_FLUSH_MS", "50")]).await;
    let cookie = server.setup().await;
    let create = |allowed: &'static str| {
        let (server, cookie) = (&server, &cookie);
        async move {
            let body =
                json!({"name": allowed, "scopes": ["keys:verify"], "allowed_cidrs": [allowed]});
            let (status, created) = server.api("keys.create", body, cookie).await.unwrap();
            assert_eq!(status, 200, "{created}");
            let id = created["key"]["id"].as_str().unwrap().to_owned();
            (id, created["secret"].as_str().unwrap().to_owned())
        }
    };
    let whoami = |secret: String| {
        let server = &server;
        async move {
            let bearer = format!("Bearer {secret}");
            let (status, _, body) = server
                .request(
                    http::Method::POST,
                    "/api/v1/whoami",
                    "",
                    &[("authorization", bearer.as_str())],
                )
                .await
                .unwrap();
            (status, body)
        }
    };

    let (elsewhere, secret) = create("192.0.2.0/24").await;
    let (status, body) = whoami(secret).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "ip_not_allowed", "{body}");

    let (local, secret) = create("127.0.0.1/32").await;
    let (status, body) = whoami(secret).await;
    assert_eq!(status, 200, "{body}");
    let mut last_ip = serde_json::Value::Null;
    for _ in 0..100 {
        let (_, key) = server
            .api("keys.get", json!({"id": local}), &cookie)
            .await
            .unwrap();
        last_ip = key["last_used_ip"].clone();
        if !last_ip.is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(last_ip, "127.0.0.1");
    let (status, key) = server
        .api("keys.get", json!({"id": elsewhere}), &cookie)
        .await
        .unwrap();
    assert_eq!(status, 200, "{key}");
    assert!(key["last_used_ip"].is_null(), "{key}");
}

#[tokio::test]
async fn an_installed_binary_serves_the_built_in_client_from_an_empty_directory() {
    use http::{header, Method, StatusCode};
    assert!(
        server::embedded::find("index.html").is_some(),
        "this binary embeds no client: build it first (`make client`), then the tests"
    );
    // `cargo install` copies the one file; nothing else comes along.
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let installed = bin.join("licenseshipper");
    std::fs::copy(env!("CARGO_BIN_EXE_licenseshipper"), &installed).unwrap();
    let home = dir.path().join("empty");
    std::fs::create_dir_all(&home).unwrap();
    let url = format!("sqlite://{}/keys.db?mode=rwc", home.display());
    let server = crate::process::launch(&installed, &home, None, &url, &[]).await;

    let (status, _, _) = server.request(Method::GET, "/", "", &[]).await.unwrap();
    assert_eq!(status, StatusCode::OK);
    // The page, a client route and every asset the page names, brotli when asked for.
    let index = server::embedded::find("index.html").unwrap();
    let html = String::from_utf8_lossy(index.body);
    for route in ["/", "/keys", "/keys/0193"] {
        let (status, headers, _) = server.request(Method::GET, route, "", &[]).await.unwrap();
        assert_eq!(status, StatusCode::OK, "{route}");
        assert!(headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
    }
    for asset in server::embedded::ASSETS
        .iter()
        .filter(|a| a.path != "index.html")
    {
        if asset.path.ends_with(".wasm") || asset.path.ends_with(".js") {
            assert!(html.contains(asset.path), "index.html names {}", asset.path);
        }
        let (status, headers, _) = server
            .request(
                Method::GET,
                &format!("/{}", asset.path),
                "",
                &[("accept-encoding", "gzip, br")],
            )
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK, "{}", asset.path);
        if asset.br.is_some() {
            assert_eq!(headers[header::CONTENT_ENCODING], "br", "{}", asset.path);
        }
        if asset.path.ends_with(".wasm") {
            assert_eq!(headers[header::CONTENT_TYPE], "application/wasm");
            assert!(headers[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("immutable"));
        }
    }
    let (status, _, _) = server
        .request(Method::GET, "/missing-0123456789abcdef.js", "", &[])
        .await
        .unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Nothing was written next to it: the directory holds only the database.
    let written: Vec<_> = std::fs::read_dir(&home)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("keys.db") && !n.starts_with("server-") && n != "master.key")
        .collect();
    assert!(written.is_empty(), "{written:?}");
}
