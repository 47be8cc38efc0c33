//! The client built into the binary (see `build.rs`): served when no site root is given and
//! `./dist` holds no build, so the one file deploys.

use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue};

pub struct Asset {
    /// The file's name under the site root (`frontend-<hash>_bg.wasm`).
    pub path: &'static str,
    pub body: &'static [u8],
    /// Brotli (quality 11) and gzip (level 9) variants, made at build time.
    pub br: Option<&'static [u8]>,
    pub gz: Option<&'static [u8]>,
}

pub static ASSETS: &[Asset] = include!(concat!(env!("OUT_DIR"), "/site_assets.rs"));

pub fn find(path: &str) -> Option<&'static Asset> {
    let path = path.trim_start_matches('/');
    ASSETS.iter().find(|a| a.path == path)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript",
        "css" => "text/css",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "json" => "application/json",
        "png" => "image/png",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// True when the request accepts `coding` (named, and not with `q=0`).
fn accepts(headers: &HeaderMap, coding: &str) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|part| {
            let mut fields = part.split(';').map(str::trim);
            fields.next() == Some(coding)
                && fields.all(|f| {
                    f.strip_prefix("q=")
                        .is_none_or(|q| q.parse::<f32>().is_ok_and(|q| q > 0.0))
                })
        })
}

/// The asset in the smallest encoding the client accepts.
pub fn response(asset: &'static Asset, headers: &HeaderMap) -> Response {
    let (body, encoding) = match (asset.br, asset.gz) {
        (Some(br), _) if accepts(headers, "br") => (br, Some("br")),
        (_, Some(gz)) if accepts(headers, "gzip") => (gz, Some("gzip")),
        _ => (asset.body, None),
    };
    let mut res = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(content_type(asset.path)),
        )],
        body,
    )
        .into_response();
    if let Some(encoding) = encoding {
        res.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_chosen_by_accept_encoding() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, br;q=0"),
        );
        assert!(accepts(&h, "gzip"));
        assert!(!accepts(&h, "br"));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, gzip;q=0.5"),
        );
        assert!(accepts(&h, "br"));
        assert!(accepts(&h, "gzip"));
        assert!(!accepts(&HeaderMap::new(), "gzip"));
    }
}
