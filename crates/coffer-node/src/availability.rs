//! Whether this member may serve, and whether it may write (R-CLU-7).
//!
//! A member that hears from a leader within its lease serves everything. When the lease runs
//! out (the cluster lost its quorum, or this node is cut off), the node checks its data centre:
//! if it is labelled and it can reach a majority of its own data centre's members (itself
//! included), it goes **read-only** — reads and crypto operations keep working from its local
//! state, writes fail at once with a read-only error. Otherwise it stops serving. A removed node
//! stops serving for good. A background task re-evaluates every [`CHECK_INTERVAL`].

use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How often the mode is re-evaluated.
pub const CHECK_INTERVAL: Duration = Duration::from_millis(500);

/// What the node may do right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Everything.
    Member,
    /// Reads and crypto only; the reason says why.
    ReadOnly(String),
    /// Nothing; the reason says why.
    Unavailable(String),
    /// Removed from the cluster.
    Removed,
}

impl Mode {
    /// The state name shown by `status`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Member => "Member",
            Self::ReadOnly(_) => "ReadOnly",
            Self::Unavailable(_) => "Unavailable",
            Self::Removed => "Removed",
        }
    }

    /// Why, when not plainly a member.
    pub fn reason(&self) -> Option<String> {
        match self {
            Self::Member => None,
            Self::ReadOnly(reason) | Self::Unavailable(reason) => Some(reason.clone()),
            Self::Removed => {
                Some("this node was removed from the cluster; reset it before reuse".into())
            }
        }
    }
}

/// The shared, current mode.
#[derive(Clone)]
pub struct Availability {
    mode: Arc<RwLock<Mode>>,
}

impl Default for Availability {
    fn default() -> Self {
        Self {
            mode: Arc::new(RwLock::new(Mode::Member)),
        }
    }
}

impl Availability {
    /// The current mode.
    pub fn mode(&self) -> Mode {
        self.mode
            .read()
            .map(|m| m.clone())
            .unwrap_or(Mode::Unavailable("internal error".into()))
    }

    /// Sets the mode, logging transitions.
    pub fn set(&self, mode: Mode) {
        if let Ok(mut current) = self.mode.write()
            && *current != mode
        {
            tracing::info!(
                from = current.name(),
                to = mode.name(),
                reason = mode.reason(),
                "node availability changed"
            );
            *current = mode;
        }
    }

    /// Why writes are refused, in read-only mode.
    pub fn read_only_reason(&self) -> Option<String> {
        match self.mode() {
            Mode::ReadOnly(reason) => Some(reason),
            _ => None,
        }
    }

    /// Why nothing is served, when the node cannot serve.
    pub fn unavailable_reason(&self) -> Option<String> {
        match self.mode() {
            Mode::Member | Mode::ReadOnly(_) => None,
            other => other.reason(),
        }
    }
}

/// Decides the mode from what the node observes.
pub fn decide(
    lease_valid: bool,
    removed: bool,
    my_dc: Option<&str>,
    dc_members: usize,
    dc_reachable: usize,
) -> Mode {
    if removed {
        return Mode::Removed;
    }
    if lease_valid {
        return Mode::Member;
    }
    match my_dc {
        Some(dc) if dc_members > 0 && dc_reachable * 2 > dc_members => Mode::ReadOnly(format!(
            "the cluster lost its quorum; data centre {dc} still has {dc_reachable} of {dc_members} nodes"
        )),
        Some(dc) => Mode::Unavailable(format!(
            "the cluster lost its quorum and data centre {dc} has only {dc_reachable} of {dc_members} nodes reachable"
        )),
        None => Mode::Unavailable(
            "the cluster lost its quorum (no data-centre label, so no read-only mode)".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_with_its_data_centre_majority_goes_read_only_when_the_quorum_is_lost() {
        assert_eq!(decide(true, false, Some("east"), 2, 1), Mode::Member);
        assert!(matches!(
            decide(false, false, Some("east"), 2, 2),
            Mode::ReadOnly(_)
        ));
        assert!(matches!(
            decide(false, false, Some("east"), 3, 1),
            Mode::Unavailable(_)
        ));
        assert!(matches!(
            decide(false, false, None, 0, 0),
            Mode::Unavailable(_)
        ));
        assert_eq!(decide(true, true, None, 0, 0), Mode::Removed);
    }
}
