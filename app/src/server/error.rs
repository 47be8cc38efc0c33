//! The service layer's error type and its mapping to what clients see.

use crate::api::error::{ApiError, KeyRejection};
use crate::api::types::Scope;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Api(#[from] ApiError),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("vault: {0}")]
    Vault(#[from] super::vault::VaultError),
    #[error("{0}")]
    Internal(String),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    pub fn not_found(what: &str) -> Self {
        Self::Api(ApiError::not_found(what))
    }

    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::Api(ApiError::validation(field, message))
    }

    pub fn key(rejection: KeyRejection) -> Self {
        Self::Api(ApiError::InvalidKey(rejection))
    }

    pub fn scope(scope: Scope) -> Self {
        Self::Api(ApiError::MissingScope(scope))
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Api(api) => api,
            other => {
                // Internal details stay in the server log; the client gets a plain message.
                tracing::error!(error = %other, "internal error");
                ApiError::Internal
            }
        }
    }
}
