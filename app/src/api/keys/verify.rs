use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, types::Verification};

crate::api_fn! {
    need: Scope(KeysVerify),
    /// Checks a candidate key for a shop plugin or service (scope `keys:verify`); a valid
    /// candidate's use is recorded.
    ///
    /// `ip`, if given, is the address the candidate was presented from (the plugin's own
    /// client): a key with an IP allowlist that does not hold it answers `valid: false`, code
    /// `ip_not_allowed`. Without `ip` the allowlist is not checked. An `ip` that is no IPv4 or
    /// IPv6 address is a 422.
    #[server(prefix = "/api", endpoint = "v1/keys.verify", input = Json, output = Json)]
    pub async fn verify_key(
        key: String,
        #[server(default)] ip: Option<String>,
    ) -> Result<Verification, ApiError> {
        use crate::api::{error::KeyRejection, types::VerifyCode};
        use crate::server::{clock::from_ms, keys::allowlist};
        let (state, caller) = crate::server::request()?;
        let from = ip
            .as_deref()
            .map(|ip| {
                ip.trim().parse::<std::net::IpAddr>().map_err(|_| {
                    ApiError::validation("ip", "Give the client's address as an IPv4 or IPv6 address.")
                })
            })
            .transpose()?;
        let outcome = state.keys.verify(&key).await?.and_then(|snapshot| match from {
            Some(from) if !allowlist::admits(&snapshot.allowed_cidrs, Some(from)) => {
                Err(KeyRejection::IpNotAllowed)
            }
            _ => Ok(snapshot),
        });
        Ok(match outcome {
            Ok(snapshot) => {
                state.keys.record_use(
                    &snapshot.key_id,
                    caller.ip.as_deref(),
                    caller.user_agent.as_deref(),
                );
                Verification {
                    valid: true,
                    code: VerifyCode::Valid,
                    key_id: Some(snapshot.key_id.clone()),
                    name: Some(snapshot.name.clone()),
                    project: snapshot.project.clone(),
                    scopes: Some(snapshot.scopes.clone()),
                    expires_at: snapshot.expires_at.map(from_ms),
                }
            }
            Err(rejected) => Verification {
                valid: false,
                code: VerifyCode::Rejected(rejected),
                key_id: None,
                name: None,
                project: None,
                scopes: None,
                expires_at: None,
            },
        })
    }
}
