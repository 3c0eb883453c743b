//! Key material seen from every node: a private half deleted through one node is gone on the
//! others too, whatever they had cached, and no update can make the key sign again.

use anyhow::{Context, ensure};
use coffer_cluster_tests::sdkms::api_model::{
    Blob, DigestAlgorithm, EllipticCurve, KeyOperations, ObjectType, SignRequest,
    SobjectDescriptor, SobjectRequest,
};
use coffer_cluster_tests::{DEADLINE, scenario, status_of, unique_name, wait_until};

#[test]
fn a_private_half_deleted_on_one_node_no_longer_signs_on_another() {
    scenario("127.16.0", |cluster| {
        cluster.form(2)?;
        let credentials = cluster.provision(1)?;
        let (one, two) = (cluster.api(1)?, cluster.api(2)?);

        eprintln!("--- an EC key, created on node1, signs on node2 (which now holds it parsed)");
        let key = one.app().create_sobject(&SobjectRequest {
            name: Some(unique_name("signer")),
            obj_type: Some(ObjectType::Ec),
            elliptic_curve: Some(EllipticCurve::NistP256),
            key_ops: Some(
                KeyOperations::SIGN | KeyOperations::VERIFY | KeyOperations::APPMANAGEABLE,
            ),
            ..Default::default()
        })?;
        let kid = key.kid.context("the new key has a kid")?;
        let sign = SignRequest {
            key: Some(SobjectDescriptor::Kid(kid)),
            hash_alg: DigestAlgorithm::Sha256,
            hash: None,
            data: Some(Blob::from("signed on node2")),
            mode: None,
            deterministic_signature: None,
        };
        wait_until("node2 signs with the new key", DEADLINE, || {
            Ok(two.app().sign(&sign)?)
        })?;

        eprintln!("--- node1 deletes the private half");
        let authorization = format!("Basic {}", credentials.api_key);
        let deleted = one.raw()?.request(
            "DELETE",
            &format!("/crypto/v1/keys/{kid}/private"),
            &[("Authorization", &authorization)],
            b"",
        )?;
        ensure!(
            deleted.status == 204,
            "deleting the private half: {deleted:?}"
        );
        wait_until("node2 sees the key as public only", DEADLINE, || {
            let seen = two.get_key(kid)?;
            ensure!(seen.public_only, "not yet public only on node2");
            Ok(())
        })?;

        let refused = |what: &str, result: Result<_, _>| -> anyhow::Result<()> {
            let status = result.as_ref().err().and_then(status_of);
            ensure!(
                status.is_some_and(|status| (400..500).contains(&status)),
                "{what}: {result:?}"
            );
            Ok(())
        };
        eprintln!("--- node2 refuses to sign with it");
        refused(
            "node2 signed with a deleted private key",
            two.app().sign(&sign).map(|_| ()),
        )?;

        eprintln!("--- SIGN cannot be given back to a key without its private half");
        let patched = one.app().update_sobject(
            &kid,
            &SobjectRequest {
                key_ops: Some(
                    KeyOperations::SIGN | KeyOperations::VERIFY | KeyOperations::APPMANAGEABLE,
                ),
                ..Default::default()
            },
        );
        refused("SIGN was added to a public-only key", patched.map(|_| ()))?;
        refused(
            "node2 signed after the PATCH",
            two.app().sign(&sign).map(|_| ()),
        )?;
        Ok(())
    });
}
