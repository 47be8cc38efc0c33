//! The built SPA: hashed assets cached for a year, `index.html` for client routes, and the
//! Content-Security-Policy that admits exactly Trunk's inline loader script.

use std::{path::Path, sync::Arc};

use axum::{
    body::Body,
    extract::Request,
    handler::HandlerWithoutStateExt,
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Router,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use http::{header, HeaderValue, StatusCode};
use sha2::{Digest, Sha256};
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

use crate::{
    compress::{brotli_11, gzip_9, is_compressible},
    error::StartupError,
};

pub struct Site {
    /// Where the files are; `None`: the client built into the binary.
    pub root: Option<std::path::PathBuf>,
    index: axum::body::Bytes,
    pub csp: HeaderValue,
}

impl Site {
    /// The client in `root` (Trunk's output), which must hold `index.html`.
    pub fn load(root: &Path) -> Result<Self, StartupError> {
        let index = std::fs::read(root.join("index.html"))
            .map_err(|_| StartupError::SiteRoot(root.display().to_string()))?;
        Ok(Self::new(Some(root.to_owned()), index))
    }

    /// The client to serve: the one built into the binary, unless `root` (development) says
    /// otherwise. Never a directory that merely happens to be there.
    pub fn choose(root: Option<&Path>) -> Result<Self, StartupError> {
        match root {
            Some(root) => Self::load(root),
            None => match crate::embedded::find("index.html") {
                Some(index) => Ok(Self::new(None, index.body.to_vec())),
                None => Err(StartupError::NoClient),
            },
        }
    }

    fn new(root: Option<std::path::PathBuf>, index: Vec<u8>) -> Self {
        let csp = content_security_policy(&String::from_utf8_lossy(&index));
        Self {
            root,
            index: index.into(),
            csp: HeaderValue::from_str(&csp).expect("CSP is ASCII"),
        }
    }

    fn index_response(&self) -> Response {
        (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            self.index.clone(),
        )
            .into_response()
    }
}

/// SHA-256 sources for every inline `<script>` of the page (Trunk's module loader).
fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body_start = tag_end + 1;
        let Some(close) = after[body_start..].find("</script>") else {
            break;
        };
        let body = &after[body_start..body_start + close];
        if !tag.contains(" src=") && !body.trim().is_empty() {
            hashes.push(format!(
                "'sha256-{}'",
                STANDARD.encode(Sha256::digest(body.as_bytes()))
            ));
        }
        rest = &after[body_start + close..];
    }
    hashes
}

pub fn content_security_policy(index_html: &str) -> String {
    let scripts = inline_script_hashes(index_html).join(" ");
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {scripts}; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Trunk names hashed assets `name-<16+ hex>.ext` (or `_bg.wasm`): safe to cache for good.
fn is_hashed_asset(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file
        .split('.')
        .next()
        .unwrap_or(file)
        .trim_end_matches("_bg");
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() >= 12 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

async fn cache_headers(req: Request, next: Next) -> Response {
    let hashed = is_hashed_asset(req.uri().path());
    let mut res = next.run(req).await;
    if res.status().is_success() && !res.headers().contains_key(header::CACHE_CONTROL) {
        let value = if hashed {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    res
}

/// Static files; unknown extension-less paths are client routes and get `index.html`.
pub fn router<S: Clone + Send + Sync + 'static>(site: Arc<Site>) -> Router<S> {
    let spa = site.clone();
    let fallback = move |req: Request<Body>| {
        let site = spa.clone();
        async move {
            let path = req.uri().path();
            if site.root.is_none() {
                match crate::embedded::find(path) {
                    Some(asset) if asset.path != "index.html" => {
                        return crate::embedded::response(asset, req.headers());
                    }
                    Some(_) => return site.index_response(),
                    None => {}
                }
            }
            let last = path.rsplit('/').next().unwrap_or_default();
            if last.contains('.') {
                StatusCode::NOT_FOUND.into_response()
            } else {
                site.index_response()
            }
        }
    };
    let router = match &site.root {
        Some(root) => Router::new().fallback_service(
            ServeDir::new(root)
                .precompressed_br()
                .precompressed_gzip()
                .append_index_html_on_directories(false)
                .fallback(fallback.into_service()),
        ),
        None => Router::new().fallback(fallback),
    };
    router
        .layer(middleware::from_fn(cache_headers))
        // Every variant of a file depends on Accept-Encoding (ServeDir picks .br/.gz by it), so
        // a shared cache must not hand a brotli body to a client that did not ask for one.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::VARY,
            HeaderValue::from_static("accept-encoding"),
        ))
}

/// Writes `.br` (quality 11) and `.gz` (level 9) next to each text or wasm asset that lacks
/// them, so those are served at their smallest without compressing per request. Slow (seconds):
/// run it off the request path. A read-only site root is left as it is.
pub fn precompress(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let compressible = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(is_compressible);
        if !compressible || !path.is_file() {
            continue;
        }
        let Ok(modified) = entry.metadata().and_then(|m| m.modified()) else {
            continue;
        };
        let mut data = None;
        for (ext, encode) in [("br", brotli_11 as fn(&[u8]) -> Vec<u8>), ("gz", gzip_9)] {
            let target = std::path::PathBuf::from(format!("{}.{ext}", path.display()));
            let fresh = std::fs::metadata(&target)
                .and_then(|t| t.modified())
                .is_ok_and(|t| t >= modified);
            if fresh {
                continue;
            }
            // Read only when something is missing: restarts do no work for fresh files.
            let data = match &data {
                Some(data) => data,
                None => match std::fs::read(&path) {
                    Ok(read) => data.insert(read),
                    Err(_) => break,
                },
            };
            let tmp = target.with_extension(format!("{ext}.tmp"));
            let written =
                std::fs::write(&tmp, encode(data)).and_then(|()| std::fs::rename(&tmp, &target));
            if let Err(e) = written {
                let _ = std::fs::remove_file(&tmp);
                tracing::debug!(path = %target.display(), error = %e, "not precompressing");
                return;
            }
        }
    }
    tracing::debug!(root = %root.display(), "static assets precompressed");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_assets_are_recognised() {
        assert!(is_hashed_asset("/frontend-3f2a1b0c9d8e7f60_bg.wasm"));
        assert!(is_hashed_asset("/main-0123456789abcdef.css"));
        assert!(!is_hashed_asset("/index.html"));
        assert!(!is_hashed_asset("/keys"));
        assert!(!is_hashed_asset("/my-file.js"));
    }

    #[test]
    fn assets_are_precompressed_once() {
        let dir = tempfile::tempdir().unwrap();
        let js = dir.path().join("app-0123456789abcdef.js");
        std::fs::write(&js, "console.log('hello');".repeat(200)).unwrap();
        precompress(dir.path());
        let br = std::fs::read(dir.path().join("app-0123456789abcdef.js.br")).unwrap();
        let gz = std::fs::read(dir.path().join("app-0123456789abcdef.js.gz")).unwrap();
        assert!(
            br.len() < 200 && gz.len() < 300,
            "{} {}",
            br.len(),
            gz.len()
        );
        let mut plain = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut plain).unwrap();
        assert_eq!(plain, std::fs::read(&js).unwrap());
    }

    #[test]
    fn inline_scripts_are_hashed_but_external_ones_are_not() {
        let html = r#"<script type="module">init()</script><script src="/a.js"></script>"#;
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 1);
        let expected = STANDARD.encode(Sha256::digest(b"init()"));
        assert_eq!(hashes[0], format!("'sha256-{expected}'"));
    }
}
