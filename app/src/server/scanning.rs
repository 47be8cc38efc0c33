//! Secret-scanning partner reports, in GitHub's format: a JSON array of found tokens, signed
//! with ECDSA P-256 (SHA-256) over the raw body. The verifying keys come from a file in the
//! shape GitHub serves its partner keys in; nothing is fetched at run time.

use std::path::Path;

use base64::Engine;
use p256::ecdsa::{signature::Verifier, Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use serde::Deserialize;

use crate::api::{
    error::{ApiError, ErrorCode},
    types::{LeakLabel, LeakReport, LeakVerdict},
};
use crate::server::{
    audit::Actor,
    error::{ServiceError, ServiceResult},
    keys::{
        leaks::{printable, Sighting},
        KeyService,
    },
    vault::{format, hash_secret},
};

/// The path a partner posts reports to.
pub const REPORT_PATH: &str = "/api/v1/secret_scanning.report";
/// The header naming the key that signed a report.
pub const KEY_ID_HEADER: &str = "github-public-key-identifier";
/// The header holding the base64 DER signature of the raw body.
pub const SIGNATURE_HEADER: &str = "github-public-key-signature";
/// The largest report body read.
pub const MAX_REPORT_BYTES: usize = 1024 * 1024;
/// The most tokens one report may carry.
pub const MAX_REPORT_TOKENS: usize = 1000;

/// Every error the report endpoint may answer.
pub const REPORT_ERRORS: [ErrorCode; 8] = [
    ErrorCode::BadRequest,
    ErrorCode::RateLimited,
    ErrorCode::InvalidSignature,
    ErrorCode::NotFound,
    ErrorCode::RequestTimeout,
    ErrorCode::PayloadTooLarge,
    ErrorCode::Validation,
    ErrorCode::Internal,
];

/// The partner's verifying keys, by identifier.
pub struct ScanningKeys {
    keys: Vec<(String, VerifyingKey)>,
}

#[derive(Deserialize)]
struct KeysFile {
    public_keys: Vec<KeyEntry>,
}

#[derive(Deserialize)]
struct KeyEntry {
    key_identifier: String,
    key: String,
}

impl std::fmt::Debug for ScanningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.keys.iter().map(|(id, _)| id))
            .finish()
    }
}

impl ScanningKeys {
    /// Reads `{"public_keys":[{"key_identifier","key" (PEM),"is_current"}]}`; every key must be
    /// a P-256 public key, and there must be one at least.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let file: KeysFile =
            serde_json::from_str(text).map_err(|e| format!("not a public-keys document ({e})"))?;
        let keys = file
            .public_keys
            .into_iter()
            .map(|entry| {
                VerifyingKey::from_public_key_pem(entry.key.trim())
                    .map(|key| (entry.key_identifier.clone(), key))
                    .map_err(|e| {
                        format!(
                            "key {:?} is not a P-256 public key in PEM ({e})",
                            entry.key_identifier
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err("no public keys".into());
        }
        Ok(Self { keys })
    }

    /// Whether a key goes by this identifier (checked before a report's body is read).
    pub fn knows(&self, key_id: &str) -> bool {
        self.keys.iter().any(|(id, _)| id == key_id)
    }

    /// Whether `signature` (base64 of a DER ECDSA signature) is the key `key_id`'s signature of
    /// `body`.
    pub fn verify(&self, key_id: &str, signature: &str, body: &[u8]) -> bool {
        let Some((_, key)) = self.keys.iter().find(|(id, _)| id == key_id) else {
            return false;
        };
        let Ok(der) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
            return false;
        };
        let Ok(signature) = Signature::from_der(&der) else {
            return false;
        };
        key.verify(body, &signature).is_ok()
    }
}

/// The longest reporter-given `source` kept.
pub const MAX_SOURCE: usize = 64;

/// Judges each reported token: a bad checksum is a false positive without a database lookup;
/// a token that is a key's secret (or a rolled key's previous one, during its grace) is a true
/// positive, and the key is reported leaked. `from` is the reporter's address, for the audit log.
pub async fn process(
    keys: &KeyService,
    reports: &[LeakReport],
    from: Option<&str>,
) -> ServiceResult<Vec<LeakVerdict>> {
    let mut verdicts = Vec::with_capacity(reports.len());
    // A token found in several places is judged once: every copy gets the first verdict (a roll
    // in between would otherwise call the later copies false).
    let mut judged: std::collections::HashMap<&str, LeakLabel> = Default::default();
    for report in reports {
        if let Some(label) = judged.get(report.token.as_str()) {
            verdicts.push(LeakVerdict {
                token_raw: report.token.clone(),
                token_type: report.token_type.clone(),
                label: *label,
            });
            continue;
        }
        let hash = format::parse(&report.token)
            .ok()
            .map(|secret| hash_secret(&secret));
        let found = match &hash {
            None => None,
            // Judged under the key's lock by `report_leak` (a retired secret is no leak).
            Some(hash) => keys.by_secret_hash(hash).await?,
        };
        let mut label = LeakLabel::FalsePositive;
        if let (Some(key), Some(hash)) = (found, &hash) {
            let source = printable(report.source.as_deref().unwrap_or("unknown"), MAX_SOURCE);
            let actor = Actor {
                ip: from.map(str::to_owned),
                ..Actor::system(&format!("Secret scanning ({source})"))
            };
            let sighting = Sighting {
                url: report.url.as_deref(),
                source: &source,
            };
            match keys
                .report_leak(&actor, &key.id, Some(hash), sighting)
                .await
            {
                Ok(_) => label = LeakLabel::TruePositive,
                // Deleted, or rolled past it, since it was found: it opens nothing now.
                Err(ServiceError::Api(ApiError::NotFound(_))) => {}
                Err(e) => return Err(e),
            }
        }
        judged.insert(&report.token, label);
        verdicts.push(LeakVerdict {
            token_raw: report.token.clone(),
            token_type: report.token_type.clone(),
            label,
        });
    }
    Ok(verdicts)
}
