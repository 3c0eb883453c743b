//! openraft's storage conformance suite against the redb store.

#![allow(
    clippy::expect_used,
    reason = "a failed step should stop the test loudly"
)]

use coffer_store::{LogStore, StateMachineStore, Store, TypeConfig};
use openraft::StorageError;
use openraft::testing::{StoreBuilder, Suite};
use tempfile::TempDir;

/// Each test case gets a fresh store file in its own temp dir; the dir is the guard.
struct RedbBuilder;

impl StoreBuilder<TypeConfig, LogStore, StateMachineStore, TempDir> for RedbBuilder {
    async fn build(&self) -> Result<(TempDir, LogStore, StateMachineStore), StorageError<u64>> {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("node.redb")).expect("store opens");
        Ok((dir, store.log_store(), store.state_machine()))
    }
}

#[test]
fn redb_store_passes_the_openraft_suite() {
    if let Err(error) = Suite::test_all(RedbBuilder) {
        panic!("storage suite failed: {error}");
    }
}
