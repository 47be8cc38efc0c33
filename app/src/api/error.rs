//! The one error type that crosses the server-function boundary, on the wire as
//! `{"error": {"code", "message", "field"?, "retry_after"?}}`.

use serde::{Deserialize, Serialize};
use server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};

use super::types::Scope;

/// Every `code` an error can carry on the wire, in one place: the OpenAPI document lists
/// exactly these (less the client-only `network`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    strum::IntoStaticStr,
    strum::EnumIter,
    strum::EnumString,
)]
#[strum(serialize_all = "snake_case")]
pub enum ErrorCode {
    Unauthenticated,
    KeyMalformed,
    KeyNotFound,
    KeyExpired,
    KeyDisabled,
    /// A valid key presented from an address outside its allowlist.
    IpNotAllowed,
    InvalidCredentials,
    /// A signed request (a secret-scanning report) whose signature does not verify.
    InvalidSignature,
    Forbidden,
    MissingScope,
    CrossOrigin,
    ReauthRequired,
    Validation,
    NotFound,
    NotRecoverable,
    AlreadySetUp,
    RateLimited,
    PayloadTooLarge,
    UnsupportedMediaType,
    RequestTimeout,
    BadRequest,
    /// Only the client makes this one (the server could not be reached).
    Network,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The HTTP status an error with this code is answered with.
    pub fn status(self) -> u16 {
        use ErrorCode::*;
        match self {
            Unauthenticated | KeyMalformed | KeyNotFound | KeyExpired | KeyDisabled
            | InvalidCredentials | InvalidSignature => 401,
            Forbidden | MissingScope | CrossOrigin | ReauthRequired | IpNotAllowed => 403,
            Validation => 422,
            NotFound => 404,
            NotRecoverable | AlreadySetUp => 409,
            RateLimited => 429,
            PayloadTooLarge => 413,
            UnsupportedMediaType => 415,
            RequestTimeout => 408,
            BadRequest => 400,
            Network => 503,
            Internal => 500,
        }
    }
}

/// Why a presented API key was refused: the one list, for the gate's errors and for
/// `keys.verify`'s answers alike.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum KeyRejection {
    Malformed,
    NotFound,
    Expired,
    Disabled,
    /// The key allows only some addresses, and this is not one of them.
    IpNotAllowed,
}

impl KeyRejection {
    /// How `keys.verify` names it (`not_found` …).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The error code the gate answers it with (`key_not_found` …).
    pub fn code(self) -> ErrorCode {
        match self {
            Self::Malformed => ErrorCode::KeyMalformed,
            Self::NotFound => ErrorCode::KeyNotFound,
            Self::Expired => ErrorCode::KeyExpired,
            Self::Disabled => ErrorCode::KeyDisabled,
            Self::IpNotAllowed => ErrorCode::IpNotAllowed,
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
    #[error("The request is not signed by a known key.")]
    InvalidSignature,
    #[error("{0}")]
    Forbidden(String),
    #[error("This API key lacks the scope {}.", .0.as_str())]
    MissingScope(Scope),
    #[error("Cross-origin request refused.")]
    CrossOrigin,
    /// Sudo mode: an admin session must have entered its password in the last few minutes.
    #[error("Confirm your password to continue.")]
    ReauthRequired,
    #[error("{message}")]
    Validation { field: String, message: String },
    /// The message names what was not found ("API key … not found.").
    #[error("{0}")]
    NotFound(String),
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
        KeyRejection::IpNotAllowed => "The API key may not be used from this address.",
    }
}

impl ApiError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated => ErrorCode::Unauthenticated,
            Self::InvalidKey(r) => r.code(),
            Self::InvalidCredentials => ErrorCode::InvalidCredentials,
            Self::InvalidSignature => ErrorCode::InvalidSignature,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::MissingScope(_) => ErrorCode::MissingScope,
            Self::CrossOrigin => ErrorCode::CrossOrigin,
            Self::ReauthRequired => ErrorCode::ReauthRequired,
            Self::Validation { .. } => ErrorCode::Validation,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::NotRecoverable => ErrorCode::NotRecoverable,
            Self::AlreadySetUp => ErrorCode::AlreadySetUp,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            Self::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            Self::RequestTimeout => ErrorCode::RequestTimeout,
            Self::BadRequest(_) => ErrorCode::BadRequest,
            Self::Network(_) => ErrorCode::Network,
            Self::Internal => ErrorCode::Internal,
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        self.code().status()
    }

    /// A "… not found." error naming what.
    pub fn not_found(what: &str) -> Self {
        Self::NotFound(format!("{what} not found."))
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
                code: e.code().as_str().to_owned(),
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
        use std::str::FromStr;
        let Ok(code) = ErrorCode::from_str(&code) else {
            return Ok(Self::Internal);
        };
        Ok(match code {
            ErrorCode::Unauthenticated => Self::Unauthenticated,
            ErrorCode::KeyMalformed => Self::InvalidKey(KeyRejection::Malformed),
            ErrorCode::KeyNotFound => Self::InvalidKey(KeyRejection::NotFound),
            ErrorCode::KeyExpired => Self::InvalidKey(KeyRejection::Expired),
            ErrorCode::KeyDisabled => Self::InvalidKey(KeyRejection::Disabled),
            ErrorCode::IpNotAllowed => Self::InvalidKey(KeyRejection::IpNotAllowed),
            ErrorCode::InvalidCredentials => Self::InvalidCredentials,
            ErrorCode::InvalidSignature => Self::InvalidSignature,
            ErrorCode::Forbidden => Self::Forbidden(message),
            ErrorCode::MissingScope => Self::MissingScope(scope.ok_or("missing scope")?),
            ErrorCode::CrossOrigin => Self::CrossOrigin,
            ErrorCode::ReauthRequired => Self::ReauthRequired,
            ErrorCode::Validation => Self::Validation {
                field: field.unwrap_or_default(),
                message,
            },
            ErrorCode::NotFound => Self::NotFound(message),
            ErrorCode::NotRecoverable => Self::NotRecoverable,
            ErrorCode::AlreadySetUp => Self::AlreadySetUp,
            ErrorCode::RateLimited => Self::RateLimited {
                retry_after: retry_after.unwrap_or(60),
            },
            ErrorCode::PayloadTooLarge => Self::PayloadTooLarge,
            ErrorCode::UnsupportedMediaType => Self::UnsupportedMediaType,
            ErrorCode::RequestTimeout => Self::RequestTimeout,
            ErrorCode::BadRequest => Self::BadRequest(message),
            ErrorCode::Network => Self::Network(message),
            ErrorCode::Internal => Self::Internal,
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
            ApiError::ReauthRequired,
            ApiError::validation("name", "Name is required."),
            ApiError::not_found("API key"),
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
            assert_eq!(json["error"]["code"], e.code().as_str());
            assert_eq!(e.status(), e.code().status());
            let back: ApiError = serde_json::from_value(json).unwrap();
            assert_eq!(back, e);
        }
    }
}
