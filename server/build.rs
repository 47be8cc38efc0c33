//! Embeds the built client (`../dist`, Trunk's output) in the binary, with brotli (quality 11)
//! and gzip (level 9) variants of every text and wasm file made here, at build time: one file
//! deploys. Without a built client the binary embeds none and needs `--site-root`.

use std::{
    env,
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
};

#[path = "src/compress.rs"]
mod compress;

fn main() {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist");
    // A directory here means: rerun when anything in it changes.
    println!("cargo:rerun-if-changed={}", dist.display());
    println!("cargo:rerun-if-changed=src/compress.rs");
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    let mut code = String::from("&[\n");
    if dist.join("index.html").is_file() {
        let mut files: Vec<PathBuf> = fs::read_dir(&dist)
            .expect("read dist")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            // Trunk's lock file and other dotfiles are no part of the site.
            .filter(|p| {
                !p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'))
            })
            // Variants the server itself wrote next to the files are made again here.
            .filter(|p| !matches!(ext(p), "br" | "gz" | "tmp"))
            .collect();
        files.sort();
        for path in files {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("UTF-8 name");
            let data = fs::read(&path).expect("read asset");
            let (br, gz) = if compress::is_compressible(ext(&path)) {
                let br = out.join(format!("{name}.br"));
                let gz = out.join(format!("{name}.gz"));
                fs::write(&br, compress::brotli_11(&data)).expect("write br");
                fs::write(&gz, compress::gzip_9(&data)).expect("write gz");
                (
                    format!("Some(include_bytes!({:?}))", br.display().to_string()),
                    format!("Some(include_bytes!({:?}))", gz.display().to_string()),
                )
            } else {
                ("None".to_owned(), "None".to_owned())
            };
            let _ = writeln!(
                code,
                "    Asset {{ path: {name:?}, body: include_bytes!({:?}), br: {br}, gz: {gz} }},",
                path.display().to_string()
            );
        }
    } else {
        println!(
            "cargo:warning=no client in {}: this binary will need --site-root (run `make client` first to build it in)",
            dist.display()
        );
    }
    code.push_str("]\n");
    fs::write(out.join("site_assets.rs"), code).expect("write site_assets.rs");
}

fn ext(path: &Path) -> &str {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
}
