//! The API gate: resolves who is calling (bearer key, session cookie or nobody) once per
//! request, refusing cross-origin cookie calls. (Keys in query strings are refused before.)

use std::{net::IpAddr, sync::Arc};

use http::{header, request::Parts, HeaderMap};

use crate::api::error::{ApiError, KeyRejection};

use super::{
    accounts::sessions,
    caller::{AdminPrincipal, Caller, KeyPrincipal, Principal},
    keys::verify::Outcome,
    state::AppState,
};

/// Server functions callable without a session or key.
pub const PUBLIC_PATHS: &[&str] = &[
    "/api/v1/auth.login",
    "/api/v1/auth.setup",
    "/api/v1/auth.session",
];

/// User agents are kept (for Last Used and sessions) up to this many characters.
pub const USER_AGENT_MAX: usize = 512;

pub fn is_public(path: &str) -> bool {
    PUBLIC_PATHS.contains(&path)
}

fn header_str(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The client address: the socket peer, or behind a trusted proxy the address it appended last.
pub fn client_ip(headers: &HeaderMap, peer: Option<IpAddr>, trust_proxy: bool) -> Option<String> {
    if trust_proxy {
        if let Some(forwarded) = header_str(headers, "x-forwarded-for") {
            if let Some(ip) = forwarded
                .rsplit(',')
                .map(str::trim)
                .find_map(|s| s.parse::<IpAddr>().ok())
            {
                return Some(ip.to_string());
            }
        }
    }
    peer.map(|ip| ip.to_string())
}

/// True when a browser says this request comes from another origin.
pub fn is_cross_origin(headers: &HeaderMap, trust_proxy: bool) -> bool {
    if let Some(site) = header_str(headers, "sec-fetch-site") {
        if !matches!(site, "same-origin" | "none") {
            return true;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let host = trust_proxy
        .then(|| header_str(headers, "x-forwarded-host"))
        .flatten()
        .or_else(|| header_str(headers, header::HOST));
    let origin_authority = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest.trim_end_matches('/'));
    match (origin_authority, host) {
        (Some(o), Some(h)) => !o.eq_ignore_ascii_case(h),
        _ => true,
    }
}

/// Refuses query strings that carry what looks like a key: keys belong in the header only.
pub fn key_in_query(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        q.split('&').any(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = name.to_ascii_lowercase();
            value.contains("lsk_")
                || name.contains("lsk_")
                || matches!(
                    name.as_str(),
                    "key" | "api_key" | "apikey" | "token" | "access_token" | "secret"
                )
        })
    })
}

/// Resolves the caller of one API request.
pub async fn resolve(
    state: &AppState,
    parts: &Parts,
    peer: Option<IpAddr>,
) -> Result<Caller, ApiError> {
    let headers = &parts.headers;
    let ip = client_ip(headers, peer, state.settings.trust_proxy);
    let user_agent = header_str(headers, header::USER_AGENT)
        .map(|ua| ua.chars().take(USER_AGENT_MAX).collect::<String>());
    let caller = |principal| Caller {
        principal: Arc::new(principal),
        ip: ip.clone(),
        user_agent: user_agent.clone(),
    };

    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let principal = authenticate_key(state, auth, ip.as_deref(), user_agent.as_deref()).await?;
        return Ok(caller(principal));
    }
    if is_cross_origin(headers, state.settings.trust_proxy) {
        return Err(ApiError::CrossOrigin);
    }
    let token = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(sessions::token_from_cookies);
    if let Some(token) = token {
        if let Some((session_hash, user)) = state.accounts.session(token).await? {
            return Ok(caller(Principal::Admin(AdminPrincipal {
                user_id: user.id,
                name: user.name,
                email: user.email,
                session_hash,
            })));
        }
    }
    Ok(caller(Principal::Anonymous))
}

async fn authenticate_key(
    state: &AppState,
    auth: &http::HeaderValue,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> Result<Principal, ApiError> {
    let now = state.clock.now_ms();
    let limit = state.settings.failed_auth_per_minute;
    let subject = ip.unwrap_or("unknown");
    if let Some(retry_after) = state.auth_failures.blocked(subject, limit, now) {
        return Err(ApiError::RateLimited { retry_after });
    }
    let presented = auth
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let outcome = match presented {
        Some(token) => state.keys.verify(token).await?,
        None => Outcome::Malformed,
    };
    let snapshot = match outcome {
        Outcome::Valid(snapshot) => snapshot,
        rejected => {
            let _ = state.auth_failures.hit(subject, limit, now);
            return Err(ApiError::InvalidKey(match rejected {
                Outcome::Malformed | Outcome::Valid(_) => KeyRejection::Malformed,
                Outcome::NotFound => KeyRejection::NotFound,
                Outcome::Expired => KeyRejection::Expired,
                Outcome::Disabled => KeyRejection::Disabled,
            }));
        }
    };
    if let Some(per_minute) = snapshot.rate_limit_per_minute {
        state
            .key_requests
            .hit(&snapshot.key_id, per_minute, now)
            .map_err(|retry_after| ApiError::RateLimited { retry_after })?;
    }
    state.keys.record_use(&snapshot.key_id, ip, user_agent);
    Ok(Principal::Key(KeyPrincipal {
        key_id: snapshot.key_id.clone(),
        name: snapshot.name.clone(),
        project: snapshot.project.clone(),
        scopes: snapshot.scopes.clone(),
        expires_at: snapshot.expires_at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn origin_must_match_host() {
        let same = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000"),
        ]);
        assert!(!is_cross_origin(&same, false));
        let evil = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "https://evil.example"),
        ]);
        assert!(is_cross_origin(&evil, false));
        let null = headers(&[("host", "127.0.0.1:3000"), ("origin", "null")]);
        assert!(is_cross_origin(&null, false));
        let fetch_meta = headers(&[("host", "a"), ("sec-fetch-site", "cross-site")]);
        assert!(is_cross_origin(&fetch_meta, false));
        assert!(!is_cross_origin(&headers(&[("host", "a")]), false));
    }

    #[test]
    fn keys_in_query_strings_are_spotted() {
        assert!(key_in_query(Some("api_key=abc")));
        assert!(key_in_query(Some("x=lsk_123")));
        assert!(!key_in_query(Some("page=2&query=shop")));
        assert!(!key_in_query(None));
    }

    #[test]
    fn forwarded_for_is_used_only_when_trusted() {
        let h = headers(&[("x-forwarded-for", "203.0.113.9, 10.0.0.1")]);
        let peer = Some("127.0.0.1".parse().unwrap());
        assert_eq!(client_ip(&h, peer, false).as_deref(), Some("127.0.0.1"));
        assert_eq!(client_ip(&h, peer, true).as_deref(), Some("10.0.0.1"));
    }
}
