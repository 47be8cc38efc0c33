//! Another service checks a key its user presented, with its own `keys:verify` key. Both keys
//! stay out of the process list: this service's key from LS_API_KEY, the candidate from stdin.
//!
//! ```sh
//! read -rs LS_API_KEY && export LS_API_KEY   # typed, not in shell history
//! printf %s "$CANDIDATE" | LS_URL=https://keys.example.com cargo run -p client --example verify
//! ```

use std::io::Read;

#[tokio::main]
async fn main() -> Result<(), client::Error> {
    let url = std::env::var("LS_URL").unwrap_or_else(|_| "http://127.0.0.1:3000".into());
    let key = std::env::var("LS_API_KEY")
        .map_err(|_| client::Error::Usage("set LS_API_KEY to a key holding keys:verify".into()))?;
    let mut candidate = String::new();
    std::io::stdin()
        .read_to_string(&mut candidate)
        .map_err(|e| client::Error::Usage(format!("read the candidate key from stdin: {e}")))?;
    let api = client::Client::new(&url, key)?;
    let verdict = api.verify(candidate.trim()).await?;
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
