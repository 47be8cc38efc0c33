//! `lsk_` + 32 base62 characters from the OS CSPRNG + a 6-character base62 CRC32 checksum.

use rand::{rngs::OsRng, TryRngCore};
use sha2::{Digest, Sha256};

pub const PREFIX: &str = "lsk_";
pub const BODY_LEN: usize = 32;
pub const CHECKSUM_LEN: usize = 6;
pub const KEY_LEN: usize = PREFIX.len() + BODY_LEN + CHECKSUM_LEN;
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A full secret key. Its `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The first 8 characters (`lsk_` and four more), shown in lists.
    pub fn start(&self) -> &str {
        &self.0[..8]
    }

    pub fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("wrong length")]
    Length,
    #[error("missing lsk_ prefix")]
    Prefix,
    #[error("character outside base62")]
    Alphabet,
    #[error("checksum mismatch")]
    Checksum,
}

/// Draws a new key from the OS CSPRNG (32 × log2(62) ≈ 190.5 bits).
pub fn generate() -> Secret {
    let mut key = String::with_capacity(KEY_LEN);
    key.push_str(PREFIX);
    let mut drawn = 0;
    let mut buf = [0u8; 64];
    while drawn < BODY_LEN {
        OsRng
            .try_fill_bytes(&mut buf)
            .expect("the OS random number generator failed");
        // Rejection sampling: 248 = 4 × 62, so `b % 62` stays uniform for b < 248.
        for b in buf.iter().filter(|b| **b < 248) {
            if drawn == BODY_LEN {
                break;
            }
            key.push(ALPHABET[usize::from(*b % 62)] as char);
            drawn += 1;
        }
    }
    key.push_str(&checksum(&key));
    Secret(key)
}

/// CRC32 (IEEE) of `s` in base62, left-padded with `0` to 6 characters.
pub fn checksum(s: &str) -> String {
    let mut n = crc32fast::hash(s.as_bytes());
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).expect("base62 is ASCII")
}

/// Checks shape and checksum without touching storage.
pub fn parse(presented: &str) -> Result<Secret, FormatError> {
    if presented.len() != KEY_LEN {
        return Err(FormatError::Length);
    }
    if !presented.starts_with(PREFIX) {
        return Err(FormatError::Prefix);
    }
    if !presented[PREFIX.len()..]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric())
    {
        return Err(FormatError::Alphabet);
    }
    let (body, check) = presented.split_at(KEY_LEN - CHECKSUM_LEN);
    if checksum(body) != check {
        return Err(FormatError::Checksum);
    }
    Ok(Secret(presented.to_owned()))
}

/// SHA-256 of the whole key, lower-case hex: the lookup hash stored in `api_keys.secret_hash`.
pub fn hash_secret(secret: &Secret) -> String {
    hex(&Sha256::digest(secret.expose().as_bytes()))
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = vec![0; bytes.len() * 2];
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0xf)];
    }
    String::from_utf8(out).expect("hex digits are ASCII")
}

/// What lists show instead of the secret: `lsk_AbCd••••••••wXyZ`.
pub fn mask(start: &str, last4: &str) -> String {
    format!("{start}••••••••{last4}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Stored secret hashes are this text: its form must never change.
    #[test]
    fn hex_is_lowercase_two_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0xab, 0xff, 0x10]), "00abff10");
        assert_eq!(
            hex(&Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn generated_keys_have_the_documented_shape() {
        let key = generate();
        let s = key.expose();
        assert_eq!(s.len(), 42);
        assert!(s.starts_with("lsk_"));
        assert!(s[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(&s[36..], checksum(&s[..36]));
        assert_eq!(parse(s).unwrap(), key);
    }

    #[test]
    fn checksum_matches_crc32_ieee_in_base62() {
        // Re-derive the encoding with 64-bit arithmetic, independently of the encoder.
        let crc = crc32fast::hash(b"lsk_");
        let mut n = u64::from(crc);
        let mut expected = String::new();
        for _ in 0..6 {
            expected.insert(0, ALPHABET[(n % 62) as usize] as char);
            n /= 62;
        }
        assert_eq!(checksum("lsk_"), expected);
        assert_eq!(checksum("").len(), 6);
        assert_eq!(checksum(""), "000000", "crc32 of nothing is 0");
    }

    #[test]
    fn rejects_malformed_keys() {
        let key = generate().into_string();
        assert_eq!(parse(&key[..41]), Err(FormatError::Length));
        assert_eq!(
            parse(&format!("lsx_{}", &key[4..])),
            Err(FormatError::Prefix)
        );
        let mut bad = key.clone();
        bad.replace_range(10..11, "-");
        assert_eq!(parse(&bad), Err(FormatError::Alphabet));
        assert_eq!(parse(""), Err(FormatError::Length));
    }

    #[test]
    fn keys_are_not_repeated() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        assert_ne!(hash_secret(&a), hash_secret(&b));
        assert_eq!(format!("{a:?}"), "Secret(<redacted>)");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_generated_key_parses(_seed in any::<u64>()) {
            let key = generate();
            prop_assert!(parse(key.expose()).is_ok());
        }

        #[test]
        fn any_single_character_change_fails(pos in 0usize..KEY_LEN, replacement in 0usize..62) {
            let key = generate().into_string();
            let mut bytes = key.clone().into_bytes();
            let new = ALPHABET[replacement];
            prop_assume!(bytes[pos] != new);
            bytes[pos] = new;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(parse(&changed).is_err(), "{changed} still parsed");
        }
    }
}
