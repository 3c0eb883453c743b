//! `sdkms-cluster audit-retention` bounds the audit log: lowering the record limit deletes the
//! oldest records at once, in the background, and leaves a record saying so.

use anyhow::ensure;
use coffer_cluster_tests::{DEADLINE, scenario, wait_until};
use coffer_store::Store;

#[test]
fn lowering_the_record_limit_prunes_the_oldest_records() {
    scenario("127.21.0", |cluster| {
        cluster.form(1)?;
        cluster.provision(1)?;
        let node = cluster.node(1);
        let shown = node.cli(&["audit-retention"])?.ok()?;
        ensure!(
            shown.contains("kept 365 days, at most 2000000 per node"),
            "the defaults: {shown}"
        );

        eprintln!("--- 150 audited requests");
        let api = cluster.api(1)?;
        let kid = api.create_key("audited")?;
        for _ in 0..75 {
            api.round_trip(kid)?;
        }

        eprintln!("--- keep at most 100 records");
        let set = node
            .cli(&["audit-retention", "--max-records", "100"])?
            .ok()?;
        ensure!(set.contains("at most 100 per node"), "{set}");
        let refused = node.cli(&["audit-retention", "--max-records", "5"])?;
        ensure!(
            refused.code == Some(1) && refused.stderr.contains("100 to 1000000000 records"),
            "a limit out of bounds is refused: {refused}"
        );
        wait_until("the daemon logs the pruning", DEADLINE, || {
            ensure!(node.logs().contains("pruned the audit log"), "not yet");
            Ok(())
        })?;

        eprintln!("--- read the audit table with the node stopped");
        cluster.node_mut(1).stop()?;
        let store = Store::open(&cluster.node(1).data_dir().join("coffer.redb"))?;
        let audit = store.audit();
        let count = audit.len()?;
        ensure!(
            (90..=105).contains(&count),
            "{count} records left, not about 100"
        );
        let newest = audit.scan_newest_first(None, 200, |_| true)?;
        let texts: Vec<String> = newest
            .iter()
            .map(|(_, entry)| String::from_utf8_lossy(entry).into_owned())
            .collect();
        ensure!(
            texts
                .iter()
                .any(|text| text.contains("Audit retention deleted")),
            "the pruning left a record of itself"
        );
        ensure!(
            texts.iter().any(|text| text.contains("audit-retention")),
            "the newest records (the command itself) were kept"
        );
        ensure!(
            !texts.iter().any(|text| text.contains("sysadmin create")),
            "the oldest records (the provisioning's `sysadmin create`) were deleted"
        );
        Ok(())
    });
}
