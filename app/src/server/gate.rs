//! The API gate: resolves who is calling (bearer key, session cookie or nobody) once per
//! request, refusing cross-origin cookie calls. (Keys in query strings are refused before.)

use std::{net::IpAddr, sync::Arc};

use http::{header, request::Parts, HeaderMap};

use crate::api::error::{ApiError, KeyRejection};

use super::{
    accounts::sessions,
    caller::{AdminPrincipal, Caller, KeyPrincipal, Principal},
    ratelimit::address_group,
    state::AppState,
};

/// User agents are kept (for Last Used and sessions) up to this many characters.
pub const USER_AGENT_MAX: usize = 512;

fn header_str(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// One `X-Forwarded-For` entry: an address, `ip:port`, `[v6]` or `[v6]:port` (IPv4-mapped
/// IPv6 addresses read as IPv4).
fn forwarded_addr(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .and_then(|e| e.parse().ok())
        })
        .map(|ip: IpAddr| ip.to_canonical())
}

/// The last value of a header that proxies append to: the last comma-separated entry of its
/// last line.
fn last_entry<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(name)
        .iter()
        .next_back()
        .and_then(|line| line.to_str().ok())
        .and_then(|line| line.rsplit(',').next())
        .map(str::trim)
}

/// A connection's peer address as text, written once per connection rather than on every
/// request (the server puts it in each request's extensions).
#[derive(Debug, Clone)]
pub struct Peer(Arc<str>);

impl Peer {
    /// IPv4-mapped IPv6 addresses read as IPv4.
    pub fn new(addr: IpAddr) -> Self {
        Self(addr.to_canonical().to_string().into())
    }
}

/// The client address: the socket peer or, behind a trusted proxy, the right-most entry of all
/// `X-Forwarded-For` lines (the one the proxy itself added; entries left of it are whatever
/// the client sent). An entry that does not parse is not trusted: the peer is used.
pub fn client_ip(headers: &HeaderMap, peer: Option<&Peer>, trust_proxy: bool) -> Option<Arc<str>> {
    let forwarded = trust_proxy
        .then(|| last_entry(headers, "x-forwarded-for").and_then(forwarded_addr))
        .flatten();
    match forwarded {
        Some(ip) => Some(ip.to_string().into()),
        None => peer.map(|peer| peer.0.clone()),
    }
}

/// The scheme and authority this request was made to, as an `Origin` would name it.
fn request_origin(parts: &Parts, trust_proxy: bool, secure_cookies: bool) -> Option<String> {
    let headers = &parts.headers;
    let forwarded = |name| trust_proxy.then(|| last_entry(headers, name)).flatten();
    let scheme = forwarded("x-forwarded-proto")
        .or_else(|| parts.uri.scheme_str())
        .unwrap_or(if secure_cookies { "https" } else { "http" });
    // An absolute-form request target (and HTTP/2's :authority) names the host over `Host`.
    let authority = forwarded("x-forwarded-host")
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .or_else(|| header_str(headers, header::HOST))?;
    Some(format!("{scheme}://{authority}"))
}

/// True when a browser says this request comes from another origin (scheme, host and port
/// must all match).
pub fn is_cross_origin(parts: &Parts, trust_proxy: bool, secure_cookies: bool) -> bool {
    let headers = &parts.headers;
    if let Some(site) = header_str(headers, "sec-fetch-site") {
        if !matches!(site, "same-origin" | "none") {
            return true;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let origin = origin.to_str().ok().map(|o| o.trim_end_matches('/'));
    match (origin, request_origin(parts, trust_proxy, secure_cookies)) {
        (Some(o), Some(expected)) => !o.eq_ignore_ascii_case(&expected),
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
    peer: Option<&Peer>,
) -> Result<Caller, ApiError> {
    let headers = &parts.headers;
    let ip = client_ip(headers, peer, state.settings.trust_proxy);
    let user_agent = header_str(headers, header::USER_AGENT).map(|ua| {
        let end = ua
            .char_indices()
            .nth(USER_AGENT_MAX)
            .map_or(ua.len(), |(at, _)| at);
        Arc::<str>::from(&ua[..end])
    });
    let caller = |principal| Caller {
        principal: Arc::new(principal),
        ip: ip.clone(),
        user_agent: user_agent.clone(),
    };

    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let principal = authenticate_key(state, auth, ip.as_deref()).await?;
        return Ok(caller(principal));
    }
    if is_cross_origin(
        parts,
        state.settings.trust_proxy,
        state.settings.secure_cookies,
    ) {
        return Err(ApiError::CrossOrigin);
    }
    let token = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(sessions::token_from_cookies);
    if let Some(token) = token {
        if let Some((session, user)) = state.accounts.session(token).await? {
            let role = user.role();
            return Ok(caller(Principal::Admin(AdminPrincipal {
                user_id: user.id,
                name: user.name,
                email: user.email,
                session_hash: session.token_hash,
                reauthenticated_at: session.reauthenticated_at,
                role,
            })));
        }
    }
    Ok(caller(Principal::Anonymous))
}

async fn authenticate_key(
    state: &AppState,
    auth: &http::HeaderValue,
    ip: Option<&str>,
) -> Result<Principal, ApiError> {
    let now = state.clock.now_ms();
    let presented = auth
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let outcome = match presented {
        Some(token) => state.keys.verify(token).await?,
        None => Err(KeyRejection::Malformed),
    };
    // Verification comes first (parse and checksum cost nothing, a lookup one indexed read):
    // a key that verifies is never refused for other callers' failures from the same address.
    let snapshot = match outcome {
        Ok(snapshot) => snapshot,
        Err(rejected) => {
            let limit = state.settings.failed_auth_per_minute;
            let subject = ip.map_or_else(|| "unknown".to_owned(), address_group);
            if let Err(retry_after) = state.auth_failures.hit(&subject, limit, now) {
                return Err(ApiError::RateLimited { retry_after });
            }
            return Err(ApiError::InvalidKey(rejected));
        }
    };
    // A key limited to some addresses is refused from any other, before it counts against its
    // rate limit (an unknown address is refused too).
    if !snapshot.allowed_cidrs.is_empty()
        && !crate::server::keys::allowlist::admits(
            &snapshot.allowed_cidrs,
            ip.and_then(|ip| ip.parse().ok()),
        )
    {
        return Err(ApiError::InvalidKey(KeyRejection::IpNotAllowed));
    }
    if let Some(per_minute) = snapshot.rate_limit_per_minute {
        state
            .key_requests
            .hit(&snapshot.key_id, per_minute, now)
            .map_err(|retry_after| ApiError::RateLimited { retry_after })?;
    }
    // The request's log lines name the key (its id, never its secret).
    crate::server::request_context::record_key_id(&snapshot.key_id);
    Ok(Principal::Key(KeyPrincipal(snapshot)))
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

    fn parts(uri: &str, pairs: &[(&str, &str)]) -> Parts {
        let mut req = http::Request::post(uri).body(()).unwrap();
        *req.headers_mut() = headers(pairs);
        req.into_parts().0
    }

    #[test]
    fn origin_must_match_host() {
        let same = parts(
            "/api/v1/keys.list",
            &[
                ("host", "127.0.0.1:3000"),
                ("origin", "http://127.0.0.1:3000"),
            ],
        );
        assert!(!is_cross_origin(&same, false, false));
        let evil = parts(
            "/",
            &[
                ("host", "127.0.0.1:3000"),
                ("origin", "https://evil.example"),
            ],
        );
        assert!(is_cross_origin(&evil, false, false));
        let null = parts("/", &[("host", "127.0.0.1:3000"), ("origin", "null")]);
        assert!(is_cross_origin(&null, false, false));
        let fetch_meta = parts("/", &[("host", "a"), ("sec-fetch-site", "cross-site")]);
        assert!(is_cross_origin(&fetch_meta, false, false));
        assert!(!is_cross_origin(
            &parts("/", &[("host", "a")]),
            false,
            false
        ));
    }

    #[test]
    fn origin_scheme_must_match_too() {
        let plain_page = parts(
            "/",
            &[("host", "keys.example"), ("origin", "http://keys.example")],
        );
        assert!(
            is_cross_origin(&plain_page, false, true),
            "an http page may not call an https deployment"
        );
        assert!(!is_cross_origin(&plain_page, false, false));
        let behind_tls = parts(
            "/",
            &[
                ("host", "10.0.0.5:3000"),
                ("x-forwarded-host", "keys.example"),
                ("x-forwarded-proto", "https"),
                ("origin", "https://keys.example"),
            ],
        );
        assert!(!is_cross_origin(&behind_tls, true, false));
        assert!(is_cross_origin(&behind_tls, false, false));
    }

    #[test]
    fn http2_requests_without_host_use_the_authority() {
        let h2 = parts(
            "https://keys.example/api/v1/keys.list",
            &[("origin", "https://keys.example")],
        );
        assert!(!is_cross_origin(&h2, false, false));
        let other = parts(
            "https://keys.example/api/v1/keys.list",
            &[("origin", "https://evil.example")],
        );
        assert!(is_cross_origin(&other, false, false));
    }

    #[test]
    fn keys_in_query_strings_are_spotted() {
        assert!(key_in_query(Some("api_key=abc")));
        assert!(key_in_query(Some("x=lsk_123")));
        assert!(!key_in_query(Some("page=2&query=shop")));
        assert!(!key_in_query(None));
    }

    #[test]
    fn a_peer_reads_ipv4_mapped_addresses_as_ipv4() {
        let mapped = Peer::new("::ffff:192.0.2.45".parse().unwrap());
        assert_eq!(
            client_ip(&HeaderMap::new(), Some(&mapped), false).as_deref(),
            Some("192.0.2.45")
        );
        let v6 = Peer::new("2001:db8::1".parse().unwrap());
        assert_eq!(
            client_ip(&HeaderMap::new(), Some(&v6), true).as_deref(),
            Some("2001:db8::1")
        );
    }

    #[test]
    fn forwarded_for_is_used_only_when_trusted() {
        let h = headers(&[("x-forwarded-for", "203.0.113.9, 10.0.0.1")]);
        let peer = Some(&Peer::new("127.0.0.1".parse().unwrap()));
        assert_eq!(client_ip(&h, peer, false).as_deref(), Some("127.0.0.1"));
        assert_eq!(client_ip(&h, peer, true).as_deref(), Some("10.0.0.1"));
    }

    #[test]
    fn the_proxy_entry_is_the_last_of_all_lines() {
        let peer = Some(&Peer::new("127.0.0.1".parse().unwrap()));
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", "198.51.100.7".parse().unwrap());
        h.append(
            "x-forwarded-for",
            "203.0.113.9, 192.0.2.44".parse().unwrap(),
        );
        assert_eq!(client_ip(&h, peer, true).as_deref(), Some("192.0.2.44"));
        // Ports, IPv4 and bracketed IPv6, as some proxies write them.
        let h = headers(&[("x-forwarded-for", "203.0.113.9, 192.0.2.44:5123")]);
        assert_eq!(client_ip(&h, peer, true).as_deref(), Some("192.0.2.44"));
        let h = headers(&[("x-forwarded-for", "[2001:db8::7]:443")]);
        assert_eq!(client_ip(&h, peer, true).as_deref(), Some("2001:db8::7"));
        let h = headers(&[("x-forwarded-for", "2001:db8::8")]);
        assert_eq!(client_ip(&h, peer, true).as_deref(), Some("2001:db8::8"));
        let h = headers(&[("x-forwarded-for", "[2001:db8::9]")]);
        assert_eq!(client_ip(&h, peer, true).as_deref(), Some("2001:db8::9"));
        let h = headers(&[("x-forwarded-for", "::ffff:192.0.2.45")]);
        assert_eq!(client_ip(&h, peer, true).as_deref(), Some("192.0.2.45"));
        // An unparsable last entry is not skipped over to a client-chosen one: the peer is used.
        let h = headers(&[("x-forwarded-for", "203.0.113.9, unknown")]);
        assert_eq!(client_ip(&h, peer, true).as_deref(), Some("127.0.0.1"));
        let h = headers(&[("x-forwarded-for", "203.0.113.9, ")]);
        assert_eq!(client_ip(&h, peer, true).as_deref(), Some("127.0.0.1"));
    }
}
