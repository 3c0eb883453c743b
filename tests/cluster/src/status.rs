//! `sdkms-cluster status --json`, parsed.

use anyhow::{Context, ensure};
use serde::Deserialize;

/// One node's view of the cluster.
#[derive(Clone, Debug, Deserialize)]
pub struct Status {
    /// The name of the node that answered.
    pub node: String,
    /// Its state: `Uninitialized`, `Joining`, `Member`, `ReadOnly`, …
    pub state: String,
    /// Why it is in that state, when not plainly a member.
    #[serde(default)]
    pub reason: Option<String>,
    /// The leader's name, if one is known.
    #[serde(default)]
    pub leader: Option<String>,
    /// Every member.
    #[serde(default)]
    pub nodes: Vec<NodeEntry>,
    /// Things the operator should fix.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// One member, as seen by the node that answered.
#[derive(Clone, Debug, Deserialize)]
pub struct NodeEntry {
    /// Node name.
    pub name: String,
    /// Raft node id.
    pub id: u64,
    /// Its cluster address.
    pub address: String,
    /// `leader`, `follower` or `learner`.
    pub role: String,
    /// `Member`, `ReadOnly`, `Unreachable`, …
    pub state: String,
    /// Data-centre label.
    #[serde(default)]
    pub dc: Option<String>,
    /// Last log index known applied (matched) on that node.
    #[serde(default)]
    pub applied_index: Option<u64>,
    /// How far behind the leader it is.
    #[serde(default)]
    pub lag: Option<u64>,
    /// Milliseconds since the leader last heard from it.
    #[serde(default)]
    pub last_contact_ms: Option<u64>,
    /// Its clock's offset from the answering node's.
    #[serde(default)]
    pub clock_offset_ms: Option<i64>,
    /// Per-component health, as reported.
    #[serde(default)]
    pub health: serde_json::Value,
}

impl Status {
    /// Parses the output of `status --json`.
    pub fn parse(json: &str) -> anyhow::Result<Self> {
        serde_json::from_str(json).with_context(|| format!("status --json printed {json:?}"))
    }

    /// The entry of the node called `name`.
    pub fn entry(&self, name: &str) -> anyhow::Result<&NodeEntry> {
        self.nodes
            .iter()
            .find(|node| node.name == name)
            .with_context(|| format!("{name} is not listed by {}: {}", self.node, self.summary()))
    }

    /// The names of every listed node, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.nodes.iter().map(|node| node.name.clone()).collect();
        names.sort();
        names
    }

    /// The leader's name; an error when none is known.
    pub fn leader(&self) -> anyhow::Result<&str> {
        self.leader
            .as_deref()
            .with_context(|| format!("{} knows no leader: {}", self.node, self.summary()))
    }

    /// Checks that exactly `expected` are listed, all voters (one leader, the others followers)
    /// in state `Member`, and that the `leader` field names the node listed as leader.
    pub fn check_healthy_voters<S: AsRef<str>>(&self, expected: &[S]) -> anyhow::Result<()> {
        let mut expected: Vec<String> = expected
            .iter()
            .map(|name| name.as_ref().to_owned())
            .collect();
        expected.sort();
        ensure!(
            self.names() == expected,
            "{} lists {:?}, expected {expected:?}: {}",
            self.node,
            self.names(),
            self.summary()
        );
        let leaders: Vec<&str> = self
            .nodes
            .iter()
            .filter(|node| node.role == "leader")
            .map(|node| node.name.as_str())
            .collect();
        ensure!(
            leaders.len() == 1,
            "{} lists {} leaders: {}",
            self.node,
            leaders.len(),
            self.summary()
        );
        for node in &self.nodes {
            ensure!(
                node.role == "leader" || node.role == "follower",
                "{} lists {} as {}, not a voter: {}",
                self.node,
                node.name,
                node.role,
                self.summary()
            );
            ensure!(
                node.state == "Member",
                "{} lists {} in state {}: {}",
                self.node,
                node.name,
                node.state,
                self.summary()
            );
        }
        ensure!(
            self.leader.as_deref() == Some(leaders[0]),
            "{} names {:?} as leader but lists {} as leader: {}",
            self.node,
            self.leader,
            leaders[0],
            self.summary()
        );
        Ok(())
    }

    /// A one-line description for messages.
    pub fn summary(&self) -> String {
        let nodes: Vec<String> = self
            .nodes
            .iter()
            .map(|node| {
                format!(
                    "{}({} {} dc={} applied={} lag={})",
                    node.name,
                    node.role,
                    node.state,
                    node.dc.as_deref().unwrap_or("-"),
                    node.applied_index
                        .map_or_else(|| "-".to_owned(), |index| index.to_string()),
                    node.lag
                        .map_or_else(|| "-".to_owned(), |lag| lag.to_string()),
                )
            })
            .collect();
        format!(
            "[{} state={}{} leader={}] {}",
            self.node,
            self.state,
            self.reason
                .as_deref()
                .map(|reason| format!(" ({reason})"))
                .unwrap_or_default(),
            self.leader.as_deref().unwrap_or("none"),
            nodes.join(" ")
        )
    }
}
