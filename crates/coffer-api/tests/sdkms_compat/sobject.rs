//! Security objects, descriptors and key requests.

use super::*;

fn sobject() -> api::Sobject {
    api::Sobject {
        kid: Some(id(100)),
        name: Some("payments-aes".into()),
        description: None,
        acct_id: id(1),
        group_id: Some(id(2)),
        creator: api::Principal::App(id(10)),
        obj_type: api::ObjectType::Aes,
        key_size: Some(256),
        elliptic_curve: None,
        key_ops: vec![
            api::KeyOperations::Encrypt,
            api::KeyOperations::Decrypt,
            api::KeyOperations::AppManageable,
        ],
        enabled: true,
        state: Some(api::SobjectState::Active),
        origin: api::ObjectOrigin::FortanixHsm,
        created_at: at(1_714_564_800),
        lastused_at: api::CompactTime::EPOCH,
        activation_date: Some(at(1_714_564_800)),
        deactivation_date: None,
        compromise_date: None,
        revocation_reason: None,
        never_exportable: Some(true),
        public_only: false,
        compliant_with_policies: Some(true),
        deterministic_signatures: None,
        custom_metadata: Some(BTreeMap::from([("owner".into(), "payments".into())])),
        rsa: None,
        pub_key: None,
        value: None,
        transient_key: None,
        links: None,
        kcv: Some("1A2B3C".into()),
    }
}

#[test]
fn sobjects_decode_in_rs() {
    let theirs: rs::Sobject = via_json(&sobject());
    assert_eq!(theirs.kid, Some(id(100)));
    assert_eq!(theirs.acct_id, id(1));
    assert_eq!(theirs.creator, rs::Principal::App(id(10)));
    assert_eq!(theirs.obj_type, rs::ObjectType::Aes);
    assert_eq!(
        theirs.key_ops,
        rs::KeyOperations::ENCRYPT | rs::KeyOperations::DECRYPT | rs::KeyOperations::APPMANAGEABLE
    );
    assert_eq!(theirs.lastused_at, rs::Time(0));
    assert_eq!(theirs.state, Some(rs::SobjectState::Active));
    assert_eq!(theirs.origin, rs::ObjectOrigin::FortanixHSM);
    assert!(!theirs.public_only);
    assert_eq!(theirs.custom_metadata.unwrap()["owner"], "payments");
}

#[test]
fn sobject_with_only_required_fields_decodes_in_rs() {
    let bare = api::Sobject {
        kid: None,
        name: None,
        group_id: None,
        key_size: None,
        key_ops: vec![],
        state: None,
        activation_date: None,
        never_exportable: None,
        compliant_with_policies: None,
        custom_metadata: None,
        kcv: None,
        ..sobject()
    };
    let theirs: Vec<rs::Sobject> = via_json(&vec![bare]);
    assert_eq!(theirs[0].key_ops, rs::KeyOperations::empty());
}

#[test]
fn rsa_ec_and_lifecycle_sobjects_decode_in_rs() {
    let rsa_key = api::Sobject {
        obj_type: api::ObjectType::Rsa,
        key_size: Some(2048),
        key_ops: vec![
            api::KeyOperations::Sign,
            api::KeyOperations::Verify,
            api::KeyOperations::Export,
        ],
        rsa: Some(api::RsaOptions {
            key_size: Some(2048),
            public_exponent: Some(65537),
            encryption_policy: vec![api::RsaEncryptionPolicy {
                padding: Some(api::RsaEncryptionPaddingPolicy::Oaep {
                    mgf: Some(api::MgfPolicy::Mgf1 {
                        hash: Some(api::DigestAlgorithm::Sha256),
                    }),
                }),
            }],
            signature_policy: vec![api::RsaSignaturePolicy::default()],
        }),
        pub_key: Some(blob(&[0x30, 0x82, 0x01, 0x22])),
        value: Some(blob(&[0x30, 0x82, 0x04, 0xa4])),
        links: Some(api::KeyLinks {
            replacement: Some(id(101)),
            replaced: None,
        }),
        state: Some(api::SobjectState::Compromised),
        compromise_date: Some(at(1_714_600_000)),
        revocation_reason: Some(api::RevocationReason {
            code: api::RevocationReasonCode::KeyCompromise,
            message: Some("leaked".into()),
            compromise_occurance_date: Some(at(1_714_500_000)),
        }),
        deactivation_date: Some(at(1_714_600_000)),
        ..sobject()
    };
    let theirs: rs::Sobject = via_json(&rsa_key);
    let rsa = theirs.rsa.unwrap();
    assert_eq!(rsa.key_size, Some(2048));
    assert_eq!(rsa.encryption_policy.len(), 1);
    assert_eq!(rsa.signature_policy.len(), 1);
    assert_eq!(
        theirs.pub_key.map(Vec::from),
        Some(vec![0x30, 0x82, 0x01, 0x22])
    );
    assert_eq!(theirs.links.unwrap().replacement, Some(id(101)));
    assert_eq!(
        theirs.revocation_reason.unwrap().code,
        rs::RevocationReasonCode::KeyCompromise
    );

    let rsa_without_policies = api::Sobject {
        obj_type: api::ObjectType::Rsa,
        rsa: Some(api::RsaOptions::default()),
        ..sobject()
    };
    let theirs: rs::Sobject = via_json(&rsa_without_policies);
    assert!(theirs.rsa.unwrap().encryption_policy.is_empty());

    let ec_key = api::Sobject {
        obj_type: api::ObjectType::Ec,
        key_size: None,
        elliptic_curve: Some(api::EllipticCurve::NistP256),
        deterministic_signatures: Some(true),
        public_only: true,
        origin: api::ObjectOrigin::External,
        ..sobject()
    };
    let theirs: rs::Sobject = via_json(&ec_key);
    assert_eq!(theirs.elliptic_curve, Some(rs::EllipticCurve::NistP256));
    assert!(theirs.public_only);
    assert_eq!(theirs.origin, rs::ObjectOrigin::External);
}

#[test]
fn sobject_requests_from_rs_decode() {
    let ours: api::SobjectRequest = via_json(&rs::SobjectRequest {
        name: Some("k".into()),
        obj_type: Some(rs::ObjectType::Rsa),
        key_size: Some(2048),
        key_ops: Some(rs::KeyOperations::SIGN | rs::KeyOperations::VERIFY),
        rsa: Some(rs::RsaOptions {
            key_size: Some(2048),
            ..Default::default()
        }),
        custom_metadata: Some(HashMap::from([("a".into(), "b".into())])),
        activation_date: Some(rs::Time(1_714_564_800)),
        enabled: Some(true),
        group_id: Some(id(2)),
        state: Some(rs::SobjectState::PreActive),
        ..Default::default()
    });
    assert_eq!(ours.name.as_deref(), Some("k"));
    assert_eq!(ours.obj_type, Some(api::ObjectType::Rsa));
    assert_eq!(
        ours.key_ops,
        Some(vec![api::KeyOperations::Sign, api::KeyOperations::Verify])
    );
    assert_eq!(ours.rsa.unwrap().key_size, Some(2048));
    assert_eq!(ours.activation_date, Some(at(1_714_564_800)));
    assert_eq!(ours.state, Some(api::SobjectState::PreActive));

    let ours: api::SobjectRequest = via_json(&rs::SobjectRequest {
        name: Some("ec".into()),
        obj_type: Some(rs::ObjectType::Ec),
        elliptic_curve: Some(rs::EllipticCurve::NistP384),
        key_ops: Some(rs::KeyOperations::empty()),
        value: Some(rs::Blob::from(vec![1, 2, 3])),
        ..Default::default()
    });
    assert_eq!(ours.elliptic_curve, Some(api::EllipticCurve::NistP384));
    assert_eq!(ours.key_ops, Some(vec![]));
    assert_eq!(ours.value, Some(blob(&[1, 2, 3])));

    let ours: api::SobjectRequest = via_json(&rs::SobjectRequest::default());
    assert_eq!(ours, api::SobjectRequest::default());
}

#[test]
fn descriptors_revocations_and_key_requests_from_rs_decode() {
    for (theirs, ours) in [
        (
            rs::SobjectDescriptor::Kid(id(100)),
            api::SobjectDescriptor::Kid(id(100)),
        ),
        (
            rs::SobjectDescriptor::Name("k".into()),
            api::SobjectDescriptor::Name("k".into()),
        ),
        (
            rs::SobjectDescriptor::TransientKey(rs::Blob::from(vec![9, 9])),
            api::SobjectDescriptor::TransientKey(blob(&[9, 9])),
        ),
    ] {
        let decoded: api::SobjectDescriptor = via_json(&theirs);
        assert_eq!(decoded, ours);
        let back: rs::SobjectDescriptor = via_json(&ours);
        assert_eq!(back, theirs);
    }

    let ours: api::RevokeRequest = via_json(&rs::RevocationReason {
        code: rs::RevocationReasonCode::CACompromise,
        message: None,
        compromise_occurance_date: Some(rs::Time(5)),
    });
    assert_eq!(ours.code, api::RevocationReasonCode::CaCompromise);
    assert_eq!(ours.compromise_occurance_date, Some(at(5)));

    let ours: api::PersistTransientKeyRequest = via_json(&rs::PersistTransientKeyRequest {
        activation_date: None,
        deactivation_date: None,
        name: "p".into(),
        description: None,
        custom_metadata: None,
        enabled: Some(true),
        group_id: None,
        state: None,
        transient_key: rs::Blob::from(vec![1]),
    });
    assert_eq!(ours.name, "p");

    let ours: api::ObjectDigestRequest = via_json(&rs::ObjectDigestRequest {
        key: rs::SobjectDescriptor::Name("k".into()),
        alg: rs::DigestAlgorithm::Sha3_512,
    });
    assert_eq!(ours.alg, api::DigestAlgorithm::Sha3_512);
    let theirs: rs::ObjectDigestResponse = via_json(&api::ObjectDigestResponse {
        kid: Some(id(100)),
        digest: blob(&[1]),
    });
    assert_eq!(theirs.kid, Some(id(100)));
}
