//! How this node reaches its peers.
//!
//! For now there is no transport: [`Network`] hands out connections whose every RPC fails with
//! [`Unreachable`]. A single voter never calls it — it replicates to nobody and asks nobody for
//! votes. The mTLS cluster transport replaces this module's types, behind the same
//! [`RaftNetworkFactory`] seam.

use coffer_store::TypeConfig;
use openraft::error::{InstallSnapshotError, RPCError, RaftError, Unreachable};
use openraft::network::RPCOption;
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::{BasicNode, RaftNetwork, RaftNetworkFactory};

/// Hands out a connection per peer; see the module docs.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Network;

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = PeerConnection;

    async fn new_client(&mut self, target: u64, node: &BasicNode) -> PeerConnection {
        PeerConnection {
            target,
            addr: node.addr.clone(),
        }
    }
}

/// A connection to one peer that fails every RPC with [`Unreachable`].
#[derive(Clone, Debug)]
pub(crate) struct PeerConnection {
    target: u64,
    addr: String,
}

impl PeerConnection {
    fn unreachable<E: std::error::Error>(&self) -> RPCError<u64, BasicNode, E> {
        tracing::trace!(target_node = self.target, addr = %self.addr, "no cluster transport yet");
        RPCError::Unreachable(Unreachable::new(&NoTransport {
            target: self.target,
        }))
    }
}

impl RaftNetwork<TypeConfig> for PeerConnection {
    async fn append_entries(
        &mut self,
        _rpc: AppendEntriesRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<AppendEntriesResponse<u64>, RPCError<u64, BasicNode, RaftError<u64>>> {
        Err(self.unreachable())
    }

    async fn install_snapshot(
        &mut self,
        _rpc: InstallSnapshotRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<u64>,
        RPCError<u64, BasicNode, RaftError<u64, InstallSnapshotError>>,
    > {
        Err(self.unreachable())
    }

    async fn vote(
        &mut self,
        _rpc: VoteRequest<u64>,
        _option: RPCOption,
    ) -> Result<VoteResponse<u64>, RPCError<u64, BasicNode, RaftError<u64>>> {
        Err(self.unreachable())
    }
}

/// Why every RPC fails for now.
#[derive(Debug, thiserror::Error)]
#[error("no cluster transport to node {target}")]
struct NoTransport {
    target: u64,
}
