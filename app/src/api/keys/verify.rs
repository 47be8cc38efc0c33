use leptos::prelude::*;
use server_fn::codec::Json;

use crate::api::{error::ApiError, types::Verification};

crate::api_fn! {
    need: Scope(KeysVerify),
    /// Checks a candidate key for a shop plugin or service (scope `keys:verify`); a valid
    /// candidate's use is recorded.
    #[server(prefix = "/api", endpoint = "v1/keys.verify", input = Json, output = Json)]
    pub async fn verify_key(key: String) -> Result<Verification, ApiError> {
        use crate::{api::types::VerifyCode, server::clock::from_ms};
        let (state, caller) = crate::server::request()?;
        let outcome = state.keys.verify(&key).await?;
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
