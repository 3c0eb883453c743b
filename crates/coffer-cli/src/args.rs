//! Typed command-line values: node addresses and join tokens. Only their shape is checked
//! here; whether the address belongs to this host or the token is valid is the daemon's call.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// An IP address with an optional prefix length: `10.0.0.5/24`, `10.0.0.5`, `fd00::5/64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeAddr {
    /// The address.
    pub ip: IpAddr,
    /// The prefix length of its subnet, 0–32 for IPv4 and 0–128 for IPv6.
    pub prefix: Option<u8>,
}

impl NodeAddr {
    /// Parses `IP/PREFIX` where the prefix is required (`create --self`).
    pub fn parse_with_prefix(text: &str) -> Result<Self, String> {
        let addr: Self = text.parse()?;
        if addr.prefix.is_none() {
            return Err(format!(
                "`{text}` has no prefix length; expected IP/PREFIX such as 10.0.0.5/24 (the \
                 node's address and the size of its subnet)"
            ));
        }
        Ok(addr)
    }

    /// Parses `IP` or `IP/PREFIX` (`join --peer`, `join --self`).
    pub fn parse_optional_prefix(text: &str) -> Result<Self, String> {
        text.parse()
    }
}

impl FromStr for NodeAddr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (ip_text, prefix_text) = match text.split_once('/') {
            Some((ip, prefix)) => (ip, Some(prefix)),
            None => (text, None),
        };
        let ip: IpAddr = ip_text.parse().map_err(|_| {
            format!("`{ip_text}` is not an IP address; expected e.g. 10.0.0.5/24 or fd00::5/64")
        })?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix_text {
            None => None,
            Some(prefix) => {
                let prefix: u8 = prefix
                    .parse()
                    .ok()
                    .filter(|length| *length <= max)
                    .ok_or_else(|| {
                        format!("prefix length `{prefix}` must be a number from 0 to {max}")
                    })?;
                Some(prefix)
            }
        };
        Ok(Self { ip, prefix })
    }
}

impl fmt::Display for NodeAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.prefix {
            Some(prefix) => write!(f, "{}/{prefix}", self.ip),
            None => write!(f, "{}", self.ip),
        }
    }
}

/// A join token, `[a-z0-9]{6}.[a-z0-9]{16}` like kubeadm's: a public id, a dot, a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct JoinToken(String);

impl JoinToken {
    /// The token as sent to the daemon.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for JoinToken {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let lower_alphanumeric =
            |part: &str, len: usize| part.len() == len && part.bytes().all(is_token_byte);
        match text.split_once('.') {
            Some((id, secret)) if lower_alphanumeric(id, 6) && lower_alphanumeric(secret, 16) => {
                Ok(Self(text.to_owned()))
            }
            // Never echo the input: it may be a real token with a typo.
            _ => Err(
                "a join token is 6 lower-case letters or digits, a dot, then 16 more \
                      (like abcdef.0123456789abcdef); create one on a member with \
                      `sdkms-cluster token create`"
                    .into(),
            ),
        }
    }
}

impl fmt::Debug for JoinToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret half stays out of debug output.
        let id = self.0.split('.').next().unwrap_or_default();
        write!(f, "JoinToken({id}.****************)")
    }
}

/// `[a-z0-9]`.
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_lowercase() || byte.is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_with_prefixes_parse_and_print_back() {
        for text in [
            "10.0.0.1/24",
            "10.0.0.1/0",
            "10.0.0.1/32",
            "fd00::5/64",
            "::1/128",
        ] {
            let addr = NodeAddr::parse_with_prefix(text).unwrap();
            assert_eq!(addr.to_string(), text);
        }
        assert_eq!(
            NodeAddr::parse_optional_prefix("10.0.0.1").unwrap().prefix,
            None
        );
    }

    #[test]
    fn create_needs_the_prefix() {
        let error = NodeAddr::parse_with_prefix("10.0.0.1").unwrap_err();
        assert!(error.contains("no prefix length"), "{error}");
    }

    #[test]
    fn prefixes_beyond_the_address_size_are_refused() {
        assert!(
            NodeAddr::parse_with_prefix("10.0.0.1/33")
                .unwrap_err()
                .contains("0 to 32")
        );
        assert!(
            NodeAddr::parse_with_prefix("fd00::1/129")
                .unwrap_err()
                .contains("0 to 128")
        );
        assert!(NodeAddr::parse_with_prefix("10.0.0.1/").is_err());
        assert!(NodeAddr::parse_with_prefix("10.0.0.1/-1").is_err());
        assert!(NodeAddr::parse_with_prefix("10.0.0.1/24/1").is_err());
    }

    #[test]
    fn host_names_are_not_addresses() {
        let error = NodeAddr::parse_optional_prefix("node1.example.com").unwrap_err();
        assert!(error.contains("is not an IP address"), "{error}");
        assert!(NodeAddr::parse_optional_prefix("10.0.0.256").is_err());
    }

    #[test]
    fn the_guides_token_is_well_formed() {
        let token: JoinToken = "525073.715ecf923e4ae1db".parse().unwrap();
        assert_eq!(token.as_str(), "525073.715ecf923e4ae1db");
        assert!("abcdef.0123456789abcdef".parse::<JoinToken>().is_ok());
    }

    #[test]
    fn malformed_tokens_are_refused_without_echoing_them() {
        for bad in [
            "",
            "525073",
            "525073.715ecf923e4ae1d",
            "525073.715ecf923e4ae1dbb",
            "52507.715ecf923e4ae1db",
            "525073.715ECF923E4AE1DB",
            "525073-715ecf923e4ae1db",
            "525073.715ecf92.e4ae1db",
            " 525073.715ecf923e4ae1db",
        ] {
            let error = bad.parse::<JoinToken>().unwrap_err();
            assert!(
                error.contains("6 lower-case letters or digits"),
                "{bad}: {error}"
            );
            assert!(bad.is_empty() || !error.contains(bad), "{bad} echoed");
        }
    }

    #[test]
    fn debug_output_hides_the_token_secret() {
        let token: JoinToken = "525073.715ecf923e4ae1db".parse().unwrap();
        assert_eq!(format!("{token:?}"), "JoinToken(525073.****************)");
    }
}
