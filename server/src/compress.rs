//! Brotli and gzip variants of static files: which files get them, and at what quality. The
//! same at build time (`build.rs` includes this file, for the client built into the binary)
//! and at run time (`--site-root`).

/// Whether a file with this extension is served compressed.
pub fn is_compressible(ext: &str) -> bool {
    matches!(ext, "wasm" | "js" | "css" | "svg" | "html")
}

pub fn brotli_11(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 3);
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        ..Default::default()
    };
    // Into memory: it cannot fail.
    let _ = brotli::BrotliCompress(&mut &data[..], &mut out, &params);
    out
}

pub fn gzip_9(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}
