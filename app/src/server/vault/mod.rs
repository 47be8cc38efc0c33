//! Key material: the public key format and the master-key encryption of stored secrets.

pub mod format;
pub mod keyring;

pub use format::{hash_secret, FormatError, Secret};
pub use keyring::{Keyring, MasterKey, Sealed};

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("no master key with id {0} is loaded")]
    UnknownMasterKey(String),
    #[error("stored secret failed authentication (tampered or wrong master key)")]
    Tampered,
    #[error("invalid master key: {0}")]
    InvalidMasterKey(String),
    #[error("master key file {path}: {message}")]
    KeyFile { path: String, message: String },
}
