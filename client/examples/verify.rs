//! Another service checks a key its user presented, with its own `keys:verify` key:
//!
//! ```sh
//! LS_URL=https://keys.example.com LS_API_KEY=lsk_… cargo run -p client --example verify -- lsk_candidate…
//! ```

#[tokio::main]
async fn main() -> Result<(), client::Error> {
    let url = std::env::var("LS_URL").unwrap_or_else(|_| "http://127.0.0.1:3000".into());
    let key = std::env::var("LS_API_KEY")
        .map_err(|_| client::Error::Usage("set LS_API_KEY to a key holding keys:verify".into()))?;
    let candidate = std::env::args()
        .nth(1)
        .ok_or_else(|| client::Error::Usage("usage: verify <candidate key>".into()))?;
    let api = client::Client::new(&url, key)?;
    let verdict = api.verify(&candidate).await?;
    if verdict.valid {
        println!(
            "valid: {} ({})",
            verdict.name.unwrap_or_default(),
            verdict.key_id.unwrap_or_default()
        );
    } else {
        println!("refused: {:?}", verdict.code);
    }
    Ok(())
}
