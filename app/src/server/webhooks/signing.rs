//! Standard Webhooks signatures: `whsec_` secrets (base64 of 32 random bytes) and the
//! `webhook-signature` header, `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per
//! secret that signs (two for a day after a roll).

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use rand::{rngs::OsRng, TryRngCore};
use sha2::Sha256;
use zeroize::Zeroizing;

pub const SECRET_PREFIX: &str = "whsec_";
const SECRET_BYTES: usize = 32;

/// 32 fresh random bytes.
pub fn generate() -> Zeroizing<Vec<u8>> {
    let mut bytes = Zeroizing::new(vec![0u8; SECRET_BYTES]);
    OsRng
        .try_fill_bytes(&mut bytes)
        .expect("the OS random number generator failed");
    bytes
}

/// How the secret is shown (once): `whsec_<base64>`.
pub fn display(secret: &[u8]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(secret))
}

/// `v1,<signature>` for one secret.
pub fn sign(secret: &[u8], msg_id: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The `webhook-signature` header: a signature per secret, space-separated.
pub fn header(secrets: &[&[u8]], msg_id: &str, timestamp: i64, body: &str) -> String {
    secrets
        .iter()
        .map(|s| sign(s, msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification's reference libraries.
    #[test]
    fn matches_the_reference_example() {
        let secret = STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = sign(
            &secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_are_32_random_bytes_shown_with_the_prefix() {
        let (a, b) = (generate(), generate());
        assert_eq!(a.len(), 32);
        assert_ne!(*a, *b);
        let shown = display(&a);
        assert!(shown.starts_with("whsec_"));
        assert_eq!(STANDARD.decode(&shown[6..]).unwrap(), *a);
    }
}
