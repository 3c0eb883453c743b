//! `proxyHeaderConfig`: which peers of the API listener may (or must) send a PROXY protocol
//! header (R-CFG-PP, R-NET-PP).
//!
//! ```
//! use coffer_config::{HeaderRule, ProxyHeaderConfig};
//!
//! let pp: ProxyHeaderConfig = "maybefrom=192.0.2.0/28,198.51.100.7/32".parse()?;
//! assert_eq!(pp.rule_for("192.0.2.3".parse()?), HeaderRule::Optional);
//! assert_eq!(pp.rule_for("203.0.113.9".parse()?), HeaderRule::Refused);
//! assert_eq!(pp.to_string(), "maybefrom=192.0.2.0/28,198.51.100.7/32");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Serialize, Serializer};

use crate::error::Problem;
use crate::net;

/// The PROXY-protocol policy of the API listener.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProxyHeaderConfig {
    /// `disabled` (the default, same as absent): a PROXY header is refused from everyone.
    #[default]
    Disabled,
    /// `maybefrom=<cidr>,…`: peers in these ranges may send a header; others may not.
    MaybeFrom(Vec<IpNet>),
    /// `requiredfrom=<cidr>,…`: peers in these ranges must send a header; others may not.
    RequiredFrom(Vec<IpNet>),
}

/// What the listener does about a PROXY header from one peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderRule {
    /// A header from this peer is refused (the connection is closed).
    Refused,
    /// The peer may send a header; if it does, its client address is used.
    Optional,
    /// The peer must send a header; a connection without one is closed.
    Required,
}

impl ProxyHeaderConfig {
    /// The source ranges (empty when disabled).
    #[must_use]
    pub fn cidrs(&self) -> &[IpNet] {
        match self {
            ProxyHeaderConfig::Disabled => &[],
            ProxyHeaderConfig::MaybeFrom(c) | ProxyHeaderConfig::RequiredFrom(c) => c,
        }
    }

    /// The rule for a connection from `peer`.
    #[must_use]
    pub fn rule_for(&self, peer: IpAddr) -> HeaderRule {
        let listed = self.cidrs().iter().any(|n| n.contains(&peer));
        match self {
            ProxyHeaderConfig::MaybeFrom(_) if listed => HeaderRule::Optional,
            ProxyHeaderConfig::RequiredFrom(_) if listed => HeaderRule::Required,
            _ => HeaderRule::Refused,
        }
    }
}

impl FromStr for ProxyHeaderConfig {
    type Err = Problem;

    /// Parses `disabled`, `maybefrom=<cidr>,<cidr>,…` or `requiredfrom=<cidr>,<cidr>,…`. No
    /// spaces are allowed anywhere.
    fn from_str(s: &str) -> Result<Self, Problem> {
        if s.chars().any(char::is_whitespace) {
            return Err(Problem::ContainsSpaces);
        }
        if s == "disabled" {
            return Ok(ProxyHeaderConfig::Disabled);
        }
        let (mode, list) = s.split_once('=').ok_or(Problem::NotAProxyHeaderPolicy)?;
        let make: fn(Vec<IpNet>) -> ProxyHeaderConfig = match mode {
            "maybefrom" => ProxyHeaderConfig::MaybeFrom,
            "requiredfrom" => ProxyHeaderConfig::RequiredFrom,
            _ => return Err(Problem::NotAProxyHeaderPolicy),
        };
        let mut cidrs: Vec<IpNet> = Vec::new();
        for item in list.split(',') {
            if item.is_empty() {
                return Err(Problem::EmptyItem);
            }
            let cidr = net::parse_cidr(item).map_err(|problem| Problem::BadListItem {
                item: item.to_owned(),
                problem: Box::new(problem),
            })?;
            if cidrs.contains(&cidr) {
                return Err(Problem::DuplicateItem {
                    item: item.to_owned(),
                });
            }
            cidrs.push(cidr);
        }
        Ok(make(cidrs))
    }
}

impl fmt::Display for ProxyHeaderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (mode, cidrs) = match self {
            ProxyHeaderConfig::Disabled => return f.write_str("disabled"),
            ProxyHeaderConfig::MaybeFrom(c) => ("maybefrom", c),
            ProxyHeaderConfig::RequiredFrom(c) => ("requiredfrom", c),
        };
        write!(f, "{mode}=")?;
        for (i, c) in cidrs.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl Serialize for ProxyHeaderConfig {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_the_three_forms() {
        assert_eq!("disabled".parse(), Ok(ProxyHeaderConfig::Disabled));
        let m: ProxyHeaderConfig = "maybefrom=10.1.0.0/24,10.2.0.5/32".parse().unwrap();
        assert_eq!(m.cidrs().len(), 2);
        assert!(matches!(m, ProxyHeaderConfig::MaybeFrom(_)));
        let r: ProxyHeaderConfig = "requiredfrom=fd00::/64".parse().unwrap();
        assert!(matches!(r, ProxyHeaderConfig::RequiredFrom(_)));
        assert_eq!(r.to_string(), "requiredfrom=fd00::/64");
    }

    #[test]
    fn refuses_spaces_anywhere() {
        for s in [
            "maybefrom=10.1.0.0/24, 10.2.0.0/24",
            "maybefrom= 10.1.0.0/24",
            " disabled",
            "requiredfrom =10.1.0.0/24",
        ] {
            assert_eq!(
                s.parse::<ProxyHeaderConfig>(),
                Err(Problem::ContainsSpaces),
                "{s:?}"
            );
        }
    }

    #[test]
    fn refuses_bad_forms() {
        assert_eq!(
            "Disabled".parse::<ProxyHeaderConfig>(),
            Err(Problem::NotAProxyHeaderPolicy)
        );
        assert_eq!(
            "from=10.0.0.0/8".parse::<ProxyHeaderConfig>(),
            Err(Problem::NotAProxyHeaderPolicy)
        );
        assert_eq!(
            "maybefrom=".parse::<ProxyHeaderConfig>(),
            Err(Problem::EmptyItem)
        );
        assert_eq!(
            "maybefrom=10.0.0.0/8,".parse::<ProxyHeaderConfig>(),
            Err(Problem::EmptyItem)
        );
        assert!(matches!(
            "maybefrom=10.0.0.0/33".parse::<ProxyHeaderConfig>(),
            Err(Problem::BadListItem { .. })
        ));
        assert!(matches!(
            "maybefrom=10.0.0.0/8,10.0.0.0/8".parse::<ProxyHeaderConfig>(),
            Err(Problem::DuplicateItem { .. })
        ));
    }

    #[test]
    fn rules_per_peer() {
        let d = ProxyHeaderConfig::Disabled;
        assert_eq!(d.rule_for(ip("10.0.0.1")), HeaderRule::Refused);
        let m: ProxyHeaderConfig = "maybefrom=10.0.0.0/24".parse().unwrap();
        assert_eq!(m.rule_for(ip("10.0.0.9")), HeaderRule::Optional);
        assert_eq!(m.rule_for(ip("10.0.1.9")), HeaderRule::Refused);
        let r: ProxyHeaderConfig = "requiredfrom=10.0.0.0/24".parse().unwrap();
        assert_eq!(r.rule_for(ip("10.0.0.9")), HeaderRule::Required);
        assert_eq!(r.rule_for(ip("10.0.1.9")), HeaderRule::Refused);
    }
}
