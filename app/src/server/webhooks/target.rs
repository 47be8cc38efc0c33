//! Where webhooks may go: an `https` URL (plain `http` only when allowed) whose host resolves to
//! public addresses only, checked when an endpoint is saved and again, on the very addresses
//! connected to, at every delivery (so a name re-pointed at an internal address after it was
//! saved is refused too: no DNS rebinding).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use reqwest::Url;

use crate::api::{error::ApiError, webhooks::types::MAX_WEBHOOK_URL_LEN};

/// What the server allows beyond public `https` endpoints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TargetPolicy {
    /// `http://` URLs (`--allow-insecure-webhooks`).
    pub allow_insecure: bool,
    /// Loopback, private, link-local and other non-public addresses (`--allow-private-webhooks`).
    pub allow_private: bool,
}

/// Why an address may not be called, or `None` for a public one.
pub fn forbidden_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            // IPv4 inside IPv6 (mapped, compatible, NAT64) is judged as the IPv4 it carries.
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_v4(v4);
            }
            let s = v6.segments();
            // Local-use NAT64 (64:ff9b:1::/48) reaches whatever the operator maps it to.
            if s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1 {
                return Some("a local NAT64 address");
            }
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                let [a, b] = s[6].to_be_bytes();
                let [c, d] = s[7].to_be_bytes();
                return forbidden_v4(Ipv4Addr::new(a, b, c, d));
            }
            if v6.is_loopback() {
                Some("a loopback address")
            } else if v6.is_unspecified() {
                Some("the unspecified address")
            } else if v6.is_multicast() {
                Some("a multicast address")
            } else if (s[0] & 0xfe00) == 0xfc00 {
                Some("a private (unique local) address")
            } else if (s[0] & 0xffc0) == 0xfe80 {
                Some("a link-local address")
            } else if (s[0] & 0xffc0) == 0xfec0 {
                Some("a site-local address")
            } else if s[0] == 0x2001 && s[1] == 0 {
                Some("a Teredo tunnel address")
            } else if s[0] == 0x2001 && s[1] == 0x0db8 {
                Some("a documentation address")
            } else if s[0..6] == [0, 0, 0, 0, 0, 0] {
                // ::a.b.c.d (deprecated IPv4-compatible).
                Some("an IPv4-compatible address")
            } else if s[0] == 0x2002 {
                // 6to4 carries an IPv4 address in bits 16..48.
                let [a, b] = s[1].to_be_bytes();
                let [c, d] = s[2].to_be_bytes();
                forbidden_v4(Ipv4Addr::new(a, b, c, d))
            } else {
                None
            }
        }
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_private() {
        Some("a private address")
    } else if ip.is_link_local() {
        // 169.254.169.254 is the cloud metadata service.
        Some("a link-local (metadata) address")
    } else if a == 0 {
        Some("the unspecified network")
    } else if a == 100 && (b & 0xc0) == 64 {
        Some("a shared (carrier-grade NAT) address")
    } else if a == 192 && b == 0 && c == 0 {
        Some("a protocol-assignment address")
    } else if a == 198 && (b & 0xfe) == 18 {
        Some("a benchmarking address")
    } else if ip.is_documentation() {
        Some("a documentation address")
    } else if ip.is_multicast() || a >= 240 {
        Some("a multicast or reserved address")
    } else {
        None
    }
}

/// Checks an endpoint URL's form (not yet where it resolves): the normalized URL, or a 422
/// naming `field`.
pub fn parse_url(field: &str, raw: &str, policy: TargetPolicy) -> Result<Url, ApiError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(ApiError::validation(field, "Enter the endpoint's URL."));
    }
    if raw.len() > MAX_WEBHOOK_URL_LEN {
        return Err(ApiError::validation(
            field,
            format!("A URL may be at most {MAX_WEBHOOK_URL_LEN} characters."),
        ));
    }
    let url = Url::parse(raw).map_err(|_| {
        ApiError::validation(
            field,
            "Enter a full URL, such as https://shop.example/hooks.",
        )
    })?;
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_insecure => {}
        "http" => {
            return Err(ApiError::validation(
                field,
                "The URL must use https (this server does not send webhooks over plain http).",
            ))
        }
        _ => return Err(ApiError::validation(field, "The URL must use https.")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ApiError::validation(
            field,
            "The URL may not hold a user name or password: the signature authenticates us.",
        ));
    }
    if url.fragment().is_some() {
        return Err(ApiError::validation(
            field,
            "The URL may not have a #fragment.",
        ));
    }
    if url.host().is_none() {
        return Err(ApiError::validation(field, "The URL needs a host."));
    }
    Ok(url)
}

/// Resolves the URL's host and refuses it if any address it has is not public (unless
/// allowed): a 422 naming `field`.
pub async fn check_resolves_publicly(
    field: &str,
    url: &Url,
    policy: TargetPolicy,
) -> Result<(), ApiError> {
    if policy.allow_private {
        return Ok(());
    }
    let addrs = resolve(url)
        .await
        .map_err(|e| ApiError::validation(field, e))?;
    for addr in addrs {
        if let Some(reason) = forbidden_reason(addr.ip()) {
            return Err(ApiError::validation(
                field,
                // The address itself is not echoed: admins need not learn internal DNS.
                format!("The URL leads to {reason}: webhooks go to public addresses only."),
            ));
        }
    }
    Ok(())
}

/// The addresses a URL's host stands for.
async fn resolve(url: &Url) -> Result<Vec<SocketAddr>, String> {
    let port = url.port_or_known_default().unwrap_or(443);
    match url.host() {
        Some(url::Host::Ipv4(ip)) => Ok(vec![SocketAddr::new(IpAddr::V4(ip), port)]),
        Some(url::Host::Ipv6(ip)) => Ok(vec![SocketAddr::new(IpAddr::V6(ip), port)]),
        Some(url::Host::Domain(name)) => {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
                .await
                .map_err(|_| format!("The host {name} could not be resolved."))?
                .collect();
            if found.is_empty() {
                return Err(format!("The host {name} has no address."));
            }
            Ok(found)
        }
        None => Err("The URL needs a host.".to_owned()),
    }
}

/// The resolver every delivery connects through: it answers only public addresses (unless
/// allowed), so what was checked is what is connected to.
pub struct PublicOnly {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| allow_private || forbidden_reason(a.ip()).is_none())
                .collect();
            if allowed.is_empty() {
                let why = found
                    .first()
                    .and_then(|a| forbidden_reason(a.ip()))
                    .unwrap_or("no address");
                return Err(format!("{host} resolves to {why}: not allowed").into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// Before a delivery: a URL with an IP address for its host is checked here (no resolver
/// runs for it). Names are checked by [`PublicOnly`] as they are resolved.
pub fn check_literal(url: &Url, policy: TargetPolicy) -> Result<(), String> {
    if policy.allow_private {
        return Ok(());
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        _ => return Ok(()),
    };
    match forbidden_reason(ip) {
        Some(reason) => Err(format!("{ip} is {reason}: not allowed")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forbidden(s: &str) -> bool {
        forbidden_reason(s.parse().unwrap()).is_some()
    }

    #[test]
    fn internal_addresses_are_refused_and_public_ones_pass() {
        for ip in [
            "127.0.0.1",
            "127.8.9.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
            "64:ff9b:1::a00:1",
            "2001:0:4136:e378::1",
            "fec0::1",
        ] {
            assert!(forbidden(ip), "{ip} should be refused");
        }
        for ip in ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "1.1.1.1"] {
            assert!(!forbidden(ip), "{ip} should pass");
        }
    }

    #[test]
    fn only_https_without_credentials_unless_allowed() {
        let strict = TargetPolicy::default();
        assert!(parse_url("url", "https://shop.example/hooks", strict).is_ok());
        assert!(parse_url("url", "http://shop.example/hooks", strict).is_err());
        assert!(parse_url(
            "url",
            "http://shop.example/hooks",
            TargetPolicy {
                allow_insecure: true,
                allow_private: false
            }
        )
        .is_ok());
        for bad in [
            "",
            "shop.example",
            "ftp://shop.example/",
            "https://user:pw@shop.example/",
            "https://shop.example/#x",
            "file:///etc/passwd",
        ] {
            assert!(parse_url("url", bad, strict).is_err(), "{bad}");
        }
        let long = format!("https://shop.example/{}", "a".repeat(MAX_WEBHOOK_URL_LEN));
        assert!(parse_url("url", &long, strict).is_err());
    }
}
