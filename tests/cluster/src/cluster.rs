//! The nodes of one scenario.

use std::net::Ipv4Addr;

use anyhow::{Context, bail};

use crate::api::{ApiClient, Credentials};
use crate::node::Node;
use crate::wait::{DEADLINE, wait_until};

/// Runs a scenario on the subnet `127.X.Y.0/24` given as `"127.X.Y"`.
///
/// An error from `body` becomes a panic raised while the cluster (and so every daemon) is still
/// alive: unwinding drops the nodes, which then print the end of their daemon logs and keep
/// their directories.
pub fn scenario(subnet: &str, body: impl FnOnce(&mut Cluster) -> anyhow::Result<()>) {
    let mut cluster = match Cluster::new(subnet) {
        Ok(cluster) => cluster,
        Err(error) => panic!("{error:?}"),
    };
    if let Err(error) = body(&mut cluster) {
        panic!("{error:?}");
    }
}

/// Daemons named `node1`, `node2`, … at `SUBNET.1`, `SUBNET.2`, …
pub struct Cluster {
    subnet: [u8; 3],
    nodes: Vec<Node>,
    credentials: Option<Credentials>,
}

impl Cluster {
    /// An empty cluster on `subnet` (`"127.X.Y"`).
    pub fn new(subnet: &str) -> anyhow::Result<Self> {
        let octets: Vec<u8> = subnet
            .split('.')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .with_context(|| format!("{subnet:?} is not three octets"))?;
        let subnet: [u8; 3] = octets
            .try_into()
            .map_err(|_| anyhow::anyhow!("{subnet:?} is not three octets"))?;
        Ok(Self {
            subnet,
            nodes: Vec::new(),
            credentials: None,
        })
    }

    /// Starts the next daemon (`nodeN` at `SUBNET.N`), uninitialized, and returns N.
    pub fn start_node(&mut self) -> anyhow::Result<usize> {
        let number = self.nodes.len() + 1;
        let name = format!("node{number}");
        let node = Node::start(&name, self.ip(number))?;
        self.nodes.push(node);
        Ok(number)
    }

    /// Starts `count` daemons, creates the cluster on node1 and joins the others one at a time
    /// (a fresh token from node1 for each), then waits until node1 lists them all as healthy
    /// voters.
    pub fn form(&mut self, count: usize) -> anyhow::Result<()> {
        eprintln!("--- form a {count}-node cluster on {}", self.ip(0));
        while self.nodes.len() < count {
            self.start_node()?;
        }
        self.node(1).create()?;
        for number in 2..=count {
            let token = self.node(1).token()?;
            self.node(number).join(self.ip(1), &token)?;
        }
        self.wait_healthy_voters(1, &self.names(1..=count))?;
        Ok(())
    }

    /// Creates the sysadmin, account, group and app through node `number`.
    pub fn provision(&mut self, number: usize) -> anyhow::Result<Credentials> {
        eprintln!("--- provision a sysadmin, an account, a group and an app through node{number}");
        let credentials = Credentials::provision(self.node(number))?;
        self.credentials = Some(credentials.clone());
        Ok(credentials)
    }

    /// The provisioned credentials.
    pub fn credentials(&self) -> anyhow::Result<&Credentials> {
        self.credentials
            .as_ref()
            .context("no credentials: call Cluster::provision first")
    }

    /// The app's API client for node `number`.
    pub fn api(&self, number: usize) -> anyhow::Result<ApiClient> {
        ApiClient::new(self.node(number), self.credentials()?)
    }

    /// Node `number` (named `nodeN`).
    ///
    /// # Panics
    /// When no such node was started: a mistake in the test itself.
    pub fn node(&self, number: usize) -> &Node {
        match self.nodes.get(number.wrapping_sub(1)) {
            Some(node) => node,
            None => panic!("the test uses node{number}, which was never started"),
        }
    }

    /// Node `number`, mutable (to stop, kill or restart it).
    ///
    /// # Panics
    /// When no such node was started: a mistake in the test itself.
    pub fn node_mut(&mut self, number: usize) -> &mut Node {
        match self.nodes.get_mut(number.wrapping_sub(1)) {
            Some(node) => node,
            None => panic!("the test uses node{number}, which was never started"),
        }
    }

    /// The address of node `number`: `SUBNET.number`.
    pub fn ip(&self, number: usize) -> Ipv4Addr {
        let [a, b, c] = self.subnet;
        Ipv4Addr::new(a, b, c, u8::try_from(number).unwrap_or(u8::MAX))
    }

    /// The number of the node called `name`.
    pub fn number_of(&self, name: &str) -> anyhow::Result<usize> {
        match self.nodes.iter().position(|node| node.name() == name) {
            Some(index) => Ok(index + 1),
            None => bail!("no node called {name}"),
        }
    }

    /// The names `nodeN` for N in `numbers`.
    pub fn names(&self, numbers: impl IntoIterator<Item = usize>) -> Vec<String> {
        numbers
            .into_iter()
            .map(|number| format!("node{number}"))
            .collect()
    }

    /// Waits until node `number`'s status lists exactly `expected`, all healthy voters with
    /// one leader.
    pub fn wait_healthy_voters<S: AsRef<str> + std::fmt::Debug>(
        &self,
        number: usize,
        expected: &[S],
    ) -> anyhow::Result<()> {
        let node = self.node(number);
        wait_until(
            &format!("{} lists {expected:?} as healthy voters", node.name()),
            DEADLINE,
            || node.status()?.check_healthy_voters(expected),
        )
    }
}
