//! The key parser and checksum: never panics; whatever parses has the documented shape and a
//! matching checksum, and any single-character change to it is rejected.
#![no_main]

use app::server::vault::format::{checksum, parse, KEY_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(key) = parse(text) {
        let s = key.expose();
        assert_eq!(s.len(), KEY_LEN);
        assert!(s.starts_with("lsk_"));
        assert_eq!(checksum(&s[..KEY_LEN - 6]), &s[KEY_LEN - 6..]);
        let mut bytes = s.as_bytes().to_vec();
        let i = usize::from(data[0]) % KEY_LEN;
        bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
        assert!(parse(std::str::from_utf8(&bytes).unwrap()).is_err());
    }
    // A valid key built from the input body always parses.
    let body: String = text.chars().filter(char::is_ascii_alphanumeric).take(32).collect();
    if body.len() == 32 {
        let candidate = format!("lsk_{body}");
        let full = format!("{candidate}{}", checksum(&candidate));
        assert!(parse(&full).is_ok());
    }
});
