//! A typed client for the LicenseShipper Keys API.
//!
//! It calls the server's functions over HTTP with an API key, using the very types the server
//! and the admin app use (`app::api`): each call is the server function's own argument struct,
//! sent to its own path, answered with its own output type or the API's one error type. Nothing
//! is copied by hand, so a change to a function is a compile error here, not a surprise.
//!
//! ```no_run
//! # async fn check(presented: &str) -> Result<(), client::Error> {
//! // A shop backend checking a key its customer pasted, with its own `keys:verify` key.
//! let api = client::Client::new("https://keys.example.com", std::env::var("LS_API_KEY").unwrap())?;
//! let verdict = api.verify(presented).await?;
//! if verdict.valid {
//!     println!("key {} of {:?}", verdict.key_id.unwrap_or_default(), verdict.project);
//! }
//! # Ok(()) }
//! ```

use serde::{de::DeserializeOwned, Serialize};
use server_fn::ServerFn;

pub use app::api::{
    keys::{
        BulkDeleteKeys, CreateKey, DeleteKey, DisableKey, EnableKey, GetKey, KeyHistory, KeyUsage,
        ListKeys, RollKey, UpdateKey, VerifyKey, Whoami,
    },
    types, ApiError,
};
use types::{
    CreatedKey, KeyFilter, KeyItem, KeyPage, NewKey, SortField, SortOrder, Verification, WhoAmI,
};

/// What a call can end in: the API's answer, or not reaching it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an error (its code, message and HTTP status).
    #[error("{error} (HTTP {status})")]
    Api { status: u16, error: ApiError },
    /// The server could not be reached, or answered something that is not the API.
    #[error("cannot reach the API: {0}")]
    Transport(String),
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// The API error, when the server answered one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// A connection to one server with one API key.
#[derive(Clone)]
pub struct Client {
    base: String,
    /// `Bearer <key>`, marked sensitive (kept out of debug output).
    bearer: reqwest::header::HeaderValue,
    http: reqwest::Client,
}

impl Client {
    /// `base_url` is the server's origin (`https://keys.example.com`); the key is sent as
    /// `Authorization: Bearer …` and never anywhere else.
    pub fn new(base_url: &str, api_key: impl Into<String>) -> Result<Self, Error> {
        let base = base_url.trim_end_matches('/').to_owned();
        // The key must not cross a network in clear: plain HTTP only to this machine.
        let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|origin| {
                base.strip_prefix(origin)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
            });
        if !(base.starts_with("https://") || loopback) {
            return Err(Error::Usage(format!(
                "the server URL must start with https:// (plain http:// only to this machine): {base_url}"
            )));
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("licenseshipper-client/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| Error::Transport(e.to_string()))?;
        let mut bearer =
            reqwest::header::HeaderValue::from_str(&format!("Bearer {}", api_key.into())).map_err(
                |_| Error::Usage("the API key holds characters no header can carry".into()),
            )?;
        bearer.set_sensitive(true);
        Ok(Self { base, bearer, http })
    }

    /// Calls any server function with its own argument struct.
    pub async fn call<S>(&self, args: S) -> Result<S::Output, Error>
    where
        S: ServerFn + Serialize,
        S::Output: DeserializeOwned,
    {
        let res = self
            .http
            .post(format!("{}{}", self.base, S::PATH))
            .header(reqwest::header::AUTHORIZATION, self.bearer.clone())
            .json(&args)
            .send()
            .await
            .map_err(|e| Error::Transport(e.without_url().to_string()))?;
        let status = res.status();
        let body = res
            .bytes()
            .await
            .map_err(|e| Error::Transport(e.to_string()))?;
        if status.is_success() {
            serde_json::from_slice(&body)
                .map_err(|e| Error::Transport(format!("unexpected answer: {e}")))
        } else {
            match serde_json::from_slice::<ApiError>(&body) {
                Ok(error) => Err(Error::Api {
                    status: status.as_u16(),
                    error,
                }),
                Err(_) => Err(Error::Transport(format!(
                    "HTTP {status} without an API error"
                ))),
            }
        }
    }

    /// Which key this client holds (any key may ask).
    pub async fn whoami(&self) -> Result<WhoAmI, Error> {
        self.call(Whoami {}).await
    }

    /// Checks a candidate key (needs `keys:verify`).
    pub async fn verify(&self, candidate: &str) -> Result<Verification, Error> {
        self.call(VerifyKey {
            key: candidate.to_owned(),
            ip: None,
        })
        .await
    }

    /// Checks a candidate key presented from `client_ip` (needs `keys:verify`): a key whose
    /// IP allowlist does not hold that address is not valid (`ip_not_allowed`).
    pub async fn verify_from(
        &self,
        candidate: &str,
        client_ip: std::net::IpAddr,
    ) -> Result<Verification, Error> {
        self.call(VerifyKey {
            key: candidate.to_owned(),
            ip: Some(client_ip.to_string()),
        })
        .await
    }

    /// A page of keys, newest first unless sorted otherwise (needs `keys:read`).
    pub async fn list(
        &self,
        query: Option<String>,
        page: u64,
        page_size: Option<u64>,
        filter: Option<KeyFilter>,
    ) -> Result<KeyPage, Error> {
        self.call(ListKeys {
            query,
            page: Some(page),
            page_size,
            sort: Some(SortField::Created),
            order: Some(SortOrder::Desc),
            filter,
        })
        .await
    }

    pub async fn get(&self, id: &str) -> Result<KeyItem, Error> {
        self.call(GetKey { id: id.to_owned() }).await
    }

    /// A new key and its secret, answered once (needs `keys:write`).
    pub async fn create(&self, key: NewKey) -> Result<CreatedKey, Error> {
        self.call(CreateKey { key }).await
    }

    /// A new secret; the old one works `grace_seconds` more.
    pub async fn roll(&self, id: &str, grace_seconds: u64) -> Result<CreatedKey, Error> {
        self.call(RollKey {
            id: id.to_owned(),
            grace_seconds,
        })
        .await
    }

    pub async fn disable(&self, id: &str, cascade: bool) -> Result<KeyItem, Error> {
        self.call(DisableKey {
            id: id.to_owned(),
            cascade,
        })
        .await
    }

    pub async fn enable(&self, id: &str) -> Result<KeyItem, Error> {
        self.call(EnableKey { id: id.to_owned() }).await
    }

    pub async fn delete(&self, id: &str, cascade: bool) -> Result<(), Error> {
        self.call(DeleteKey {
            id: id.to_owned(),
            cascade,
        })
        .await
    }
}
