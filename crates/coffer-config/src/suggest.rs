//! The known key closest to an unknown one.

use crate::raw::KNOWN_KEYS;

/// Sections in the order their keys are preferred when a name exists in several (`clusterIp`
/// and `useLogFilter` are suggested under `sdkms`, their home, first).
const SECTION_PREFERENCE: &[&str] = &["sdkms", "global", "keepalived", "fluentd"];

fn parent(path: &str) -> &str {
    path.rsplit_once('.').map_or("", |(p, _)| p)
}

fn leaf(path: &str) -> &str {
    path.rsplit_once('.').map_or(path, |(_, l)| l)
}

fn preference(path: &str) -> usize {
    let section = path.split(['.', '[']).next().unwrap_or(path);
    SECTION_PREFERENCE
        .iter()
        .position(|s| *s == section)
        .unwrap_or(SECTION_PREFERENCE.len())
}

/// Whether two key names are close enough to suggest one for the other.
fn close(a: &str, b: &str) -> Option<usize> {
    let (a, b) = (a.to_lowercase(), b.to_lowercase());
    let distance = strsim::levenshtein(&a, &b);
    let limit = (a.chars().count().max(b.chars().count()) / 3).max(2);
    let similar = distance <= limit || strsim::jaro_winkler(&a, &b) >= 0.9;
    similar.then_some(distance)
}

/// The known key path closest to `name` found under `prefix` (`""` for the top level), or
/// `None` when nothing is close.
///
/// In order: a key under the same parent that differs only in case; a key of exactly that
/// name (any case) in another section; the most similar key under the same parent; the most
/// similar key anywhere.
pub(crate) fn closest_key(prefix: &str, name: &str) -> Option<String> {
    let siblings = || KNOWN_KEYS.iter().copied().filter(|k| parent(k) == prefix);
    if let Some(k) = siblings().find(|k| leaf(k).eq_ignore_ascii_case(name)) {
        return Some(k.to_owned());
    }
    let mut elsewhere: Vec<&str> = KNOWN_KEYS
        .iter()
        .copied()
        .filter(|k| parent(k) != prefix && leaf(k).eq_ignore_ascii_case(name))
        .collect();
    elsewhere.sort_by_key(|k| preference(k));
    if let Some(k) = elsewhere.first() {
        return Some((*k).to_owned());
    }
    let best = |candidates: &mut dyn Iterator<Item = &'static str>| {
        candidates
            .filter_map(|k| close(leaf(k), name).map(|d| (d, preference(k), k)))
            .min()
            .map(|(_, _, k)| k.to_owned())
    };
    best(&mut siblings()).or_else(|| best(&mut KNOWN_KEYS.iter().copied()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_mismatch_under_the_same_parent() {
        assert_eq!(
            closest_key("global", "clusterIP").as_deref(),
            Some("global.clusterIp")
        );
        assert_eq!(
            closest_key("global", "PodSubnet").as_deref(),
            Some("global.podSubnet")
        );
    }

    #[test]
    fn right_name_wrong_section() {
        assert_eq!(
            closest_key("keepalived", "clusterIp").as_deref(),
            Some("sdkms.clusterIp")
        );
        assert_eq!(
            closest_key("", "localntp").as_deref(),
            Some("global.localntp")
        );
        assert_eq!(
            closest_key("global", "nwIface").as_deref(),
            Some("keepalived.nwIface")
        );
    }

    #[test]
    fn typos() {
        assert_eq!(
            closest_key("keepalived", "nwIfce").as_deref(),
            Some("keepalived.nwIface")
        );
        assert_eq!(closest_key("", "keepalive").as_deref(), Some("keepalived"));
        assert_eq!(
            closest_key("global", "sealingPolicy").as_deref(),
            Some("global.sealingKeyPolicy")
        );
        assert_eq!(
            closest_key("sdkms", "uselogfiltr").as_deref(),
            Some("sdkms.useLogFilter")
        );
    }

    #[test]
    fn nothing_close() {
        assert_eq!(closest_key("global", "banana"), None);
    }
}
