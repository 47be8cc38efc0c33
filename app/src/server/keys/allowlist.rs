//! A key's IP allowlist: the CIDR ranges (IPv4 and IPv6) it may be used from. Empty means
//! anywhere. Stored normalised (`203.0.113.0/24`, `2001:db8::/32`), space-separated.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::api::{error::ApiError, types::MAX_ALLOWED_CIDRS};

/// Parses and normalises what a caller sent: each entry a CIDR range or a single address
/// (which becomes a /32 or /128); host bits are cleared; duplicates are dropped. A bad entry is
/// a 422 on `field` naming it.
pub fn parse(field: &str, entries: &[String]) -> Result<Vec<IpNet>, ApiError> {
    if entries.len() > MAX_ALLOWED_CIDRS {
        return Err(ApiError::validation(
            field,
            format!("At most {MAX_ALLOWED_CIDRS} IP ranges per key."),
        ));
    }
    let mut nets: Vec<IpNet> = Vec::with_capacity(entries.len());
    for entry in entries {
        let text = entry.trim();
        let net = text
            .parse::<IpNet>()
            .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
            .map(ipv4_if_mapped)
            .map_err(|_| {
                let shown: String = text.chars().take(50).collect();
                ApiError::validation(
                    field,
                    format!(
                        "“{shown}” is not an IP range: write one like 203.0.113.0/24, 2001:db8::/32 or a single address."
                    ),
                )
            })?
            .trunc();
        if !nets.contains(&net) {
            nets.push(net);
        }
    }
    Ok(nets)
}

/// An IPv4-mapped IPv6 range (`::ffff:203.0.113.0/120`) as the IPv4 range it is: addresses are
/// compared as IPv4 (see [`admits`]).
fn ipv4_if_mapped(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96)
                .map(IpNet::V4)
                .unwrap_or(net),
            None => net,
        },
        other => other,
    }
}

/// The column's form of a list.
pub fn to_column(nets: &[IpNet]) -> String {
    nets.iter()
        .map(IpNet::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A list from its column (an entry this build cannot read is skipped: it was written by
/// [`to_column`], so none is).
pub fn from_column(column: &str) -> Vec<IpNet> {
    column
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// Whether a key with this allowlist may be used from `ip`. An empty list allows any address;
/// a non-empty one allows only addresses inside it, so an unknown address is refused.
/// An IPv4-mapped IPv6 address (`::ffff:203.0.113.9`) counts as its IPv4 address.
pub fn admits(allowed: &[IpNet], ip: Option<IpAddr>) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let Some(ip) = ip else { return false };
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    allowed.iter().any(|net| net.contains(&ip))
}

/// Whether every range of `inner` lies inside `outer` (an empty `outer` holds everything; an
/// empty `inner`, meaning anywhere, lies inside only an empty `outer`).
pub fn within(inner: &[IpNet], outer: &[IpNet]) -> bool {
    outer.is_empty()
        || (!inner.is_empty() && inner.iter().all(|n| outer.iter().any(|o| o.contains(n))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        parse(
            "allowed_cidrs",
            &list.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
        .unwrap()
    }

    #[test]
    fn entries_are_normalised_and_deduplicated() {
        assert_eq!(
            to_column(&nets(&[
                "203.0.113.9/24",
                "203.0.113.0/24",
                "198.51.100.7",
                "2001:db8::1/32",
                "::1"
            ])),
            "203.0.113.0/24 198.51.100.7/32 2001:db8::/32 ::1/128"
        );
    }

    #[test]
    fn a_bad_entry_is_named_and_too_many_are_refused() {
        let err = parse(
            "allowed_cidrs",
            &["10.0.0.0/8".into(), "10.0.0.0/33".into()],
        )
        .unwrap_err();
        assert!(
            matches!(&err, ApiError::Validation { field, message } if field == "allowed_cidrs" && message.contains("10.0.0.0/33"))
        );
        let many: Vec<String> = (0..=MAX_ALLOWED_CIDRS)
            .map(|i| format!("10.0.{}.0/24", i % 256))
            .collect();
        assert!(parse("allowed_cidrs", &many).is_err());
    }

    #[test]
    fn only_addresses_inside_pass_and_an_unknown_address_never_does() {
        let list = nets(&["203.0.113.0/24", "2001:db8::/32"]);
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert!(admits(&list, ip("203.0.113.200")));
        assert!(admits(&list, ip("::ffff:203.0.113.7")));
        assert!(admits(&list, ip("2001:db8:1::5")));
        assert!(!admits(&list, ip("203.0.114.1")));
        assert!(!admits(&list, ip("2001:db9::1")));
        assert!(!admits(&list, None));
        assert!(admits(&[], None));
    }

    #[test]
    fn ipv4_mapped_ranges_are_stored_as_ipv4() {
        let list = nets(&["::ffff:203.0.113.0/120"]);
        assert_eq!(to_column(&list), "203.0.113.0/24");
        assert!(admits(&list, Some("203.0.113.5".parse().unwrap())));
        assert!(admits(&list, Some("::ffff:203.0.113.5".parse().unwrap())));
    }

    #[test]
    fn narrower_lists_lie_within_wider_ones() {
        let wide = nets(&["10.0.0.0/8"]);
        assert!(within(&nets(&["10.1.0.0/16", "10.2.3.4"]), &wide));
        assert!(!within(&nets(&["10.0.0.0/7"]), &wide));
        assert!(!within(&[], &wide));
        assert!(within(&[], &[]));
        assert!(within(&wide, &[]));
    }
}
