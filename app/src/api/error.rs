//! The one error type that crosses the server-function boundary, on the wire as
//! `{"error": {"code", "message", "field"?, "retry_after"?}}`.

use serde::{Deserialize, Serialize};
use server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};

use super::types::Scope;

/// Why a presented API key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyRejection {
    Malformed,
    NotFound,
    Expired,
    Disabled,
}

impl KeyRejection {
    pub fn code(self) -> &'static str {
        match self {
            Self::Malformed => "key_malformed",
            Self::NotFound => "key_not_found",
            Self::Expired => "key_expired",
            Self::Disabled => "key_disabled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(into = "Envelope", try_from = "Envelope")]
pub enum ApiError {
    #[error("Sign in to continue.")]
    Unauthenticated,
    #[error("{}", key_message(*.0))]
    InvalidKey(KeyRejection),
    #[error("Email or password is incorrect.")]
    InvalidCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("This API key lacks the scope {}.", .0.as_str())]
    MissingScope(Scope),
    #[error("Cross-origin request refused.")]
    CrossOrigin,
    #[error("{message}")]
    Validation { field: String, message: String },
    #[error("{0} not found.")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("This key can't be revealed: it was created without recoverable storage.")]
    NotRecoverable,
    #[error("Already set up: sign in instead.")]
    AlreadySetUp,
    #[error("Too many attempts. Try again in {retry_after} seconds.")]
    RateLimited { retry_after: u64 },
    #[error("Request body too large.")]
    PayloadTooLarge,
    #[error("Send the arguments as JSON, with Content-Type: application/json.")]
    UnsupportedMediaType,
    #[error("The request body was not received in time.")]
    RequestTimeout,
    #[error("{0}")]
    BadRequest(String),
    #[error("Could not reach the server. Check your connection and retry.")]
    Network(String),
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
}

fn key_message(reason: KeyRejection) -> &'static str {
    match reason {
        KeyRejection::Malformed => "The API key is malformed.",
        KeyRejection::NotFound => "The API key is not recognised.",
        KeyRejection::Expired => "The API key has expired.",
        KeyRejection::Disabled => "The API key is disabled.",
    }
}

impl ApiError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidKey(r) => r.code(),
            Self::InvalidCredentials => "invalid_credentials",
            Self::Forbidden(_) => "forbidden",
            Self::MissingScope(_) => "missing_scope",
            Self::CrossOrigin => "cross_origin",
            Self::Validation { .. } => "validation",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::NotRecoverable => "not_recoverable",
            Self::AlreadySetUp => "already_set_up",
            Self::RateLimited { .. } => "rate_limited",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RequestTimeout => "request_timeout",
            Self::BadRequest(_) => "bad_request",
            Self::Network(_) => "network",
            Self::Internal => "internal",
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthenticated | Self::InvalidKey(_) | Self::InvalidCredentials => 401,
            Self::Forbidden(_) | Self::MissingScope(_) | Self::CrossOrigin => 403,
            Self::Validation { .. } => 422,
            Self::NotFound(_) => 404,
            Self::Conflict(_) | Self::NotRecoverable | Self::AlreadySetUp => 409,
            Self::RateLimited { .. } => 429,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::RequestTimeout => 408,
            Self::BadRequest(_) => 400,
            Self::Network(_) => 503,
            Self::Internal => 500,
        }
    }

    /// The field a validation error names, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Validation { field, .. } => Some(field),
            _ => None,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    error: Body,
}

#[derive(Serialize, Deserialize)]
struct Body {
    code: String,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<Scope>,
}

impl From<ApiError> for Envelope {
    fn from(e: ApiError) -> Self {
        let (field, retry_after, scope) = match &e {
            ApiError::Validation { field, .. } => (Some(field.clone()), None, None),
            ApiError::RateLimited { retry_after } => (None, Some(*retry_after), None),
            ApiError::MissingScope(s) => (None, None, Some(*s)),
            _ => (None, None, None),
        };
        Envelope {
            error: Body {
                code: e.code().to_owned(),
                message: e.to_string(),
                field,
                retry_after,
                scope,
            },
        }
    }
}

impl TryFrom<Envelope> for ApiError {
    type Error = String;

    fn try_from(env: Envelope) -> Result<Self, String> {
        let Body {
            code,
            message,
            field,
            retry_after,
            scope,
        } = env.error;
        Ok(match code.as_str() {
            "unauthenticated" => Self::Unauthenticated,
            "key_malformed" => Self::InvalidKey(KeyRejection::Malformed),
            "key_not_found" => Self::InvalidKey(KeyRejection::NotFound),
            "key_expired" => Self::InvalidKey(KeyRejection::Expired),
            "key_disabled" => Self::InvalidKey(KeyRejection::Disabled),
            "invalid_credentials" => Self::InvalidCredentials,
            "forbidden" => Self::Forbidden(message),
            "missing_scope" => Self::MissingScope(scope.ok_or("missing scope")?),
            "cross_origin" => Self::CrossOrigin,
            "validation" => Self::Validation {
                field: field.unwrap_or_default(),
                message,
            },
            "not_found" => Self::NotFound(
                message
                    .strip_suffix(" not found.")
                    .unwrap_or(&message)
                    .to_owned(),
            ),
            "conflict" => Self::Conflict(message),
            "not_recoverable" => Self::NotRecoverable,
            "already_set_up" => Self::AlreadySetUp,
            "rate_limited" => Self::RateLimited {
                retry_after: retry_after.unwrap_or(60),
            },
            "payload_too_large" => Self::PayloadTooLarge,
            "unsupported_media_type" => Self::UnsupportedMediaType,
            "request_timeout" => Self::RequestTimeout,
            "bad_request" => Self::BadRequest(message),
            "network" => Self::Network(message),
            _ => Self::Internal,
        })
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m) => Self::BadRequest(format!("Invalid request body: {m}")),
            // On the server this is the request body failing to decode: the caller's mistake.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(m) => {
                Self::BadRequest(format!("Invalid request body: {m}"))
            }
            ServerFnErrorErr::MissingArg(m) => Self::BadRequest(format!("Missing argument: {m}")),
            ServerFnErrorErr::Request(m) => Self::Network(m),
            _ => Self::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_round_trips_through_json() {
        let all = [
            ApiError::Unauthenticated,
            ApiError::InvalidKey(KeyRejection::Expired),
            ApiError::InvalidCredentials,
            ApiError::Forbidden("Admins only.".into()),
            ApiError::MissingScope(Scope::KeysWrite),
            ApiError::CrossOrigin,
            ApiError::validation("name", "Name is required."),
            ApiError::NotFound("API key".into()),
            ApiError::Conflict("Email taken.".into()),
            ApiError::NotRecoverable,
            ApiError::AlreadySetUp,
            ApiError::RateLimited { retry_after: 42 },
            ApiError::PayloadTooLarge,
            ApiError::UnsupportedMediaType,
            ApiError::RequestTimeout,
            ApiError::BadRequest("bad".into()),
            ApiError::Internal,
        ];
        for e in all {
            let json = serde_json::to_value(&e).unwrap();
            assert_eq!(json["error"]["code"], e.code());
            let back: ApiError = serde_json::from_value(json).unwrap();
            assert_eq!(back, e);
        }
    }
}
