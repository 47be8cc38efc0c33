//! Master keys and AES-256-GCM sealing of recoverable secrets.
//!
//! Each ciphertext is bound to its key row by using the row id as associated data, so a
//! ciphertext copied onto another row does not decrypt.

use std::{io::Write, os::unix::fs::OpenOptionsExt, path::Path};

use aes_gcm::{
    aead::{Aead, KeyInit, Payload},
    Aes256Gcm, Nonce,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use rand::{rngs::OsRng, TryRngCore};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{format::hex, Secret, VaultError};

pub const NONCE_LEN: usize = 12;

/// One master key. Its AES round keys are wiped from memory when it is dropped (the `aes`
/// crate's `zeroize` feature), and the bytes it was made from never outlive its construction.
pub struct MasterKey {
    id: String,
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKey").field("id", &self.id).finish()
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VaultError> {
        if bytes.len() != 32 {
            return Err(VaultError::InvalidMasterKey(format!(
                "expected 32 bytes, got {}",
                bytes.len()
            )));
        }
        // Hashed in two parts, so no concatenated copy of the key is allocated.
        let id = hex(&Sha256::new()
            .chain_update(b"licenseshipper master key id\0")
            .chain_update(bytes)
            .finalize())[..16]
            .to_owned();
        let cipher = Aes256Gcm::new_from_slice(bytes)
            .map_err(|e| VaultError::InvalidMasterKey(e.to_string()))?;
        Ok(Self { id, cipher })
    }

    pub fn from_base64(encoded: &str) -> Result<Self, VaultError> {
        let bytes = Zeroizing::new(
            STANDARD
                .decode(encoded.trim())
                .map_err(|_| VaultError::InvalidMasterKey("not valid base64".into()))?,
        );
        Self::from_bytes(&bytes)
    }

    /// 32 fresh bytes from the OS CSPRNG, base64-encoded.
    pub fn generate_base64() -> String {
        let mut bytes = Zeroizing::new([0u8; 32]);
        OsRng
            .try_fill_bytes(bytes.as_mut())
            .expect("the OS random number generator failed");
        STANDARD.encode(bytes.as_ref())
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Reads a key file, creating it (mode 0600) when it does not exist. Refuses a file that
    /// group or others may read.
    pub fn load_or_create(path: &Path) -> Result<Self, VaultError> {
        let err = |message: String| VaultError::KeyFile {
            path: path.display().to_string(),
            message,
        };
        if !path.exists() {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
            }
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| err(e.to_string()))?;
            let encoded = Zeroizing::new(Self::generate_base64());
            writeln!(file, "{}", encoded.as_str()).map_err(|e| err(e.to_string()))?;
        }
        Self::load(path)
    }

    /// Reads an existing key file, refusing one that group or others may read.
    pub fn load(path: &Path) -> Result<Self, VaultError> {
        use std::os::unix::fs::PermissionsExt;
        let err = |message: String| VaultError::KeyFile {
            path: path.display().to_string(),
            message,
        };
        let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(err(format!(
                "permissions {mode:04o} are too wide; run `chmod 600 {}`",
                path.display()
            )));
        }
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?);
        Self::from_base64(&text).map_err(|e| err(e.to_string()))
    }
}

/// A sealed secret as stored on its row.
pub struct Sealed {
    pub ciphertext: Vec<u8>,
    pub nonce: Vec<u8>,
    pub master_key_id: String,
}

/// The primary master key (used to seal) and older ones still accepted for opening.
#[derive(Debug)]
pub struct Keyring {
    primary: MasterKey,
    previous: Vec<MasterKey>,
}

impl Keyring {
    /// `previous` keys that repeat the primary or each other are dropped.
    pub fn new(primary: MasterKey, previous: Vec<MasterKey>) -> Self {
        let mut ring = Self {
            primary,
            previous: Vec::new(),
        };
        for key in previous {
            if !ring.knows(&key.id) {
                ring.previous.push(key);
            }
        }
        ring
    }

    /// The ring for a rotation to `new`: it seals, and every key of this ring still opens.
    pub fn rotating_to(self, new: MasterKey) -> Self {
        let mut previous = vec![self.primary];
        previous.extend(self.previous);
        Self::new(new, previous)
    }

    pub fn primary_id(&self) -> &str {
        self.primary.id()
    }

    /// Every key id this ring opens, the primary first.
    pub fn ids(&self) -> Vec<&str> {
        std::iter::once(&self.primary)
            .chain(&self.previous)
            .map(|k| k.id())
            .collect()
    }

    pub fn knows(&self, id: &str) -> bool {
        self.find(id).is_some()
    }

    fn find(&self, id: &str) -> Option<&MasterKey> {
        std::iter::once(&self.primary)
            .chain(&self.previous)
            .find(|k| k.id == id)
    }

    pub fn seal(&self, row_id: &str, secret: &Secret) -> Sealed {
        self.seal_bytes(row_id, secret.expose().as_bytes())
    }

    /// Seals any short secret, bound to `aad` (its row, so a ciphertext moved to another row
    /// does not open).
    pub fn seal_bytes(&self, aad: &str, plain: &[u8]) -> Sealed {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng
            .try_fill_bytes(&mut nonce)
            .expect("the OS random number generator failed");
        let ciphertext = self
            .primary
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: aad.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of a short message cannot fail");
        Sealed {
            ciphertext,
            nonce: nonce.to_vec(),
            master_key_id: self.primary.id.clone(),
        }
    }

    pub fn open(
        &self,
        row_id: &str,
        ciphertext: &[u8],
        nonce: &[u8],
        master_key_id: &str,
    ) -> Result<Secret, VaultError> {
        let plain = self.open_bytes(row_id, ciphertext, nonce, master_key_id)?;
        let text = std::str::from_utf8(&plain).map_err(|_| VaultError::Tampered)?;
        super::format::parse(text).map_err(|_| VaultError::Tampered)
    }

    /// Opens what [`Keyring::seal_bytes`] sealed for `aad`.
    pub fn open_bytes(
        &self,
        aad: &str,
        ciphertext: &[u8],
        nonce: &[u8],
        master_key_id: &str,
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let key = self
            .find(master_key_id)
            .ok_or_else(|| VaultError::UnknownMasterKey(master_key_id.to_owned()))?;
        if nonce.len() != NONCE_LEN {
            return Err(VaultError::Tampered);
        }
        key.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| VaultError::Tampered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::vault::format::generate;

    fn ring() -> Keyring {
        Keyring::new(
            MasterKey::from_base64(&MasterKey::generate_base64()).unwrap(),
            vec![],
        )
    }

    #[test]
    fn seals_and_opens() {
        let ring = ring();
        let secret = generate();
        let sealed = ring.seal("row-1", &secret);
        assert!(!sealed
            .ciphertext
            .windows(8)
            .any(|w| w == &secret.expose().as_bytes()[..8]));
        let opened = ring
            .open(
                "row-1",
                &sealed.ciphertext,
                &sealed.nonce,
                &sealed.master_key_id,
            )
            .unwrap();
        assert_eq!(opened, secret);
    }

    #[test]
    fn detects_tampering_and_row_swaps() {
        let ring = ring();
        let sealed = ring.seal("row-1", &generate());
        let mut flipped = sealed.ciphertext.clone();
        flipped[3] ^= 1;
        assert!(matches!(
            ring.open("row-1", &flipped, &sealed.nonce, &sealed.master_key_id),
            Err(VaultError::Tampered)
        ));
        assert!(matches!(
            ring.open(
                "row-2",
                &sealed.ciphertext,
                &sealed.nonce,
                &sealed.master_key_id
            ),
            Err(VaultError::Tampered)
        ));
    }

    #[test]
    fn wrong_master_key_is_reported() {
        let sealed = ring().seal("row-1", &generate());
        let other = ring();
        assert!(matches!(
            other.open(
                "row-1",
                &sealed.ciphertext,
                &sealed.nonce,
                &sealed.master_key_id
            ),
            Err(VaultError::UnknownMasterKey(_))
        ));
    }

    #[test]
    fn a_rotating_ring_seals_with_the_new_key_and_opens_with_all() {
        let old_b64 = MasterKey::generate_base64();
        let old = || MasterKey::from_base64(&old_b64).unwrap();
        let sealed_old = Keyring::new(old(), vec![]).seal("row-1", &generate());
        let new_b64 = MasterKey::generate_base64();
        let new = || MasterKey::from_base64(&new_b64).unwrap();
        let ring = Keyring::new(old(), vec![]).rotating_to(new());
        assert_eq!(ring.primary_id(), new().id());
        assert!(ring
            .open(
                "row-1",
                &sealed_old.ciphertext,
                &sealed_old.nonce,
                &sealed_old.master_key_id
            )
            .is_ok());
        assert_eq!(ring.seal("row-2", &generate()).master_key_id, new().id());
        // Rotating to the key that is already current keeps one copy of it.
        let again = Keyring::new(new(), vec![old()]).rotating_to(new());
        assert_eq!(again.ids(), vec![new().id(), old().id()]);
    }

    #[test]
    fn master_keys_wipe_their_aes_round_keys() {
        fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        wiped_on_drop::<aes::Aes256>();
    }

    #[test]
    fn rejects_short_keys_and_wide_files() {
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
        let dir = std::env::temp_dir().join(format!("ls-mk-{}", uuid::Uuid::now_v7()));
        let path = dir.join("master.key");
        let created = MasterKey::load_or_create(&path).unwrap();
        let again = MasterKey::load(&path).unwrap();
        assert_eq!(created.id(), again.id());
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = MasterKey::load(&path).unwrap_err().to_string();
        assert!(err.contains("too wide"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
