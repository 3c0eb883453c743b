use proptest::prelude::*;

use super::*;
use crate::parse_query;
use crate::query::{SortOrder, SortSpec};

fn uuid(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn minimal() -> Sobject {
    Sobject {
        kid: None,
        name: None,
        description: None,
        acct_id: uuid(1),
        group_id: None,
        creator: Principal::App(uuid(2)),
        obj_type: ObjectType::Aes,
        key_size: None,
        elliptic_curve: None,
        key_ops: vec![],
        enabled: true,
        state: None,
        origin: ObjectOrigin::FortanixHsm,
        created_at: CompactTime::EPOCH,
        lastused_at: CompactTime::EPOCH,
        activation_date: None,
        deactivation_date: None,
        compromise_date: None,
        revocation_reason: None,
        never_exportable: None,
        public_only: false,
        compliant_with_policies: None,
        deterministic_signatures: None,
        custom_metadata: None,
        rsa: None,
        pub_key: None,
        value: None,
        transient_key: None,
        links: None,
        kcv: None,
    }
}

#[test]
fn sobject_without_optional_fields_still_has_the_rs_required_ones() {
    let json = serde_json::to_value(minimal()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "acct_id": uuid(1).to_string(),
            "creator": {"app": uuid(2).to_string()},
            "obj_type": "AES",
            "key_ops": [],
            "enabled": true,
            "origin": "FortanixHSM",
            "created_at": "19700101T000000Z",
            "lastused_at": "19700101T000000Z",
            "public_only": false,
        })
    );
}

#[test]
fn rsa_sub_object_always_has_both_policy_arrays() {
    let sobject = Sobject {
        obj_type: ObjectType::Rsa,
        rsa: Some(RsaOptions {
            key_size: Some(2048),
            ..RsaOptions::default()
        }),
        pub_key: Some(Blob::new(vec![0x30, 0x82])),
        ..minimal()
    };
    let json = serde_json::to_value(&sobject).unwrap();
    assert_eq!(
        json["rsa"],
        serde_json::json!({"key_size": 2048, "encryption_policy": [], "signature_policy": []})
    );
    assert_eq!(json["pub_key"], "MII=");
}

#[test]
fn links_and_revocation_reason_shapes() {
    let sobject = Sobject {
        links: Some(KeyLinks {
            replacement: Some(uuid(9)),
            replaced: None,
        }),
        state: Some(SobjectState::Compromised),
        revocation_reason: Some(RevocationReason {
            code: RevocationReasonCode::KeyCompromise,
            message: None,
            compromise_occurance_date: None,
        }),
        ..minimal()
    };
    let json = serde_json::to_value(&sobject).unwrap();
    assert_eq!(
        json["links"],
        serde_json::json!({"replacement": uuid(9).to_string()})
    );
    assert_eq!(
        json["revocation_reason"],
        serde_json::json!({"code": "KeyCompromise"})
    );
    assert_eq!(json["state"], "Compromised");
}

#[test]
fn sobject_request_treats_nulls_as_absent_and_ignores_unknown_members() {
    let req: SobjectRequest = serde_json::from_str(
        r#"{"name":"k1","obj_type":"AES","key_size":256,"key_ops":null,"description":null,
            "fpe":null,"publish_public_key":null,"rotation_policy":{"interval_days":3},
            "custom_metadata":{"owner":"payments"},"value":null,"group_id":null}"#,
    )
    .unwrap();
    assert_eq!(req.name.as_deref(), Some("k1"));
    assert_eq!(req.obj_type, Some(ObjectType::Aes));
    assert_eq!(req.key_size, Some(256));
    assert_eq!(req.key_ops, None);
    assert_eq!(req.custom_metadata.unwrap()["owner"], "payments");
    let empty_ops: SobjectRequest = serde_json::from_str(r#"{"key_ops":[]}"#).unwrap();
    assert_eq!(empty_ops.key_ops, Some(vec![]));
}

#[test]
fn revoke_request_parses() {
    let req: RevokeRequest = serde_json::from_str(
        r#"{"code":"Superseded","message":null,"compromise_occurance_date":null}"#,
    )
    .unwrap();
    assert_eq!(req.code, RevocationReasonCode::Superseded);
    let err = serde_json::from_str::<RevokeRequest>(r#"{"code":"Bored"}"#).unwrap_err();
    assert!(err.to_string().contains("`Bored`"), "{err}");
}

#[test]
fn list_params_accept_an_empty_query() {
    assert_eq!(
        parse_query::<ListSobjectsParams>("").unwrap(),
        ListSobjectsParams::default()
    );
    assert_eq!(
        parse_query::<ListSobjectsParams>("?").unwrap(),
        ListSobjectsParams::default()
    );
}

#[test]
fn list_params_parse_rs_and_py_queries() {
    let group = uuid(0x5e2b);
    let rs: ListSobjectsParams = parse_query(&format!(
        "?group_id={group}&limit=100&offset=0&sort=kid:asc"
    ))
    .unwrap();
    assert_eq!(rs.group_id, Some(group));
    assert_eq!((rs.limit, rs.offset), (Some(100), Some(0)));
    assert_eq!(rs.sort, Some(SortSpec::ascending("kid")));

    let py: ListSobjectsParams = parse_query(
        "name=my+key%21&show_destroyed=True&show_deleted=FALSE&sort=name:desc&start=a&x=1",
    )
    .unwrap();
    assert_eq!(py.name.as_deref(), Some("my key!"));
    assert_eq!(
        (py.show_destroyed, py.show_deleted),
        (Some(true), Some(false))
    );
    assert_eq!(py.sort.map(|s| s.order), Some(SortOrder::Descending));
    assert_eq!(py.start.as_deref(), Some("a"));
}

#[test]
fn list_params_work_with_serde_urlencoded_as_axum_uses_it() {
    let params: ListSobjectsParams = serde_urlencoded::from_str(
        "name=my+key&limit=5&compliant_with_policies=true&show_deleted=",
    )
    .unwrap();
    assert_eq!(params.name.as_deref(), Some("my key"));
    assert_eq!(params.limit, Some(5));
    assert_eq!(params.compliant_with_policies, Some(true));
    assert_eq!(params.show_deleted, None);
    let encoded = serde_urlencoded::to_string(&params).unwrap();
    assert_eq!(
        serde_urlencoded::from_str::<ListSobjectsParams>(&encoded).unwrap(),
        params
    );
    let get: GetSobjectParams = serde_urlencoded::from_str("view=value&show_destroyed=1").unwrap();
    assert_eq!(get.view, Some(SobjectEncoding::Value));
    assert_eq!(get.show_destroyed, Some(true));
}

#[test]
fn bad_query_values_are_errors_naming_them() {
    let err = parse_query::<ListSobjectsParams>("limit=ten")
        .unwrap_err()
        .to_string();
    assert!(err.contains("`ten`"), "{err}");
    let err = parse_query::<ListSobjectsParams>("show_deleted=maybe")
        .unwrap_err()
        .to_string();
    assert!(err.contains("maybe"), "{err}");
}

fn blob() -> impl Strategy<Value = Blob> {
    proptest::collection::vec(any::<u8>(), 0..40).prop_map(Blob::new)
}

fn time() -> impl Strategy<Value = CompactTime> {
    (0..=CompactTime::MAX.unix_seconds()).prop_map(CompactTime::saturating_from_unix_seconds)
}

fn id() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn text() -> impl Strategy<Value = String> {
    "\\PC{0,16}"
}

fn principal() -> impl Strategy<Value = Principal> {
    prop_oneof![
        id().prop_map(Principal::App),
        id().prop_map(Principal::User),
        id().prop_map(Principal::Plugin)
    ]
}

fn rsa() -> impl Strategy<Value = RsaOptions> {
    let enc = prop_oneof![
        Just(RsaEncryptionPolicy { padding: None }),
        Just(RsaEncryptionPolicy {
            padding: Some(RsaEncryptionPaddingPolicy::Pkcs1V15 {})
        }),
        proptest::option::of(proptest::sample::select(DigestAlgorithm::ALL)).prop_map(|hash| {
            RsaEncryptionPolicy {
                padding: Some(RsaEncryptionPaddingPolicy::Oaep {
                    mgf: Some(MgfPolicy::Mgf1 { hash }),
                }),
            }
        }),
    ];
    let sig = prop_oneof![
        Just(RsaSignaturePolicy { padding: None }),
        Just(RsaSignaturePolicy {
            padding: Some(RsaSignaturePaddingPolicy::Pss { mgf: None })
        }),
    ];
    (
        proptest::option::of(any::<u32>()),
        proptest::option::of(any::<u32>()),
        proptest::collection::vec(enc, 0..3),
        proptest::collection::vec(sig, 0..3),
    )
        .prop_map(
            |(key_size, public_exponent, encryption_policy, signature_policy)| RsaOptions {
                key_size,
                public_exponent,
                encryption_policy,
                signature_policy,
            },
        )
}

prop_compose! {
    fn sobject()(
        (kid, name, description, acct_id, group_id, creator, obj_type, key_size) in (
            proptest::option::of(id()),
            proptest::option::of(text()),
            proptest::option::of(text()),
            id(),
            proptest::option::of(id()),
            principal(),
            proptest::sample::select(ObjectType::ALL),
            proptest::option::of(any::<u32>()),
        ),
        (elliptic_curve, key_ops, enabled, state, origin, created_at, lastused_at) in (
            proptest::option::of(proptest::sample::select(EllipticCurve::ALL)),
            proptest::collection::vec(proptest::sample::select(KeyOperations::ALL), 0..5),
            any::<bool>(),
            proptest::option::of(proptest::sample::select(SobjectState::ALL)),
            proptest::sample::select(ObjectOrigin::ALL),
            time(),
            time(),
        ),
        (activation_date, deactivation_date, compromise_date, revocation_reason) in (
            proptest::option::of(time()),
            proptest::option::of(time()),
            proptest::option::of(time()),
            proptest::option::of((
                proptest::sample::select(RevocationReasonCode::ALL),
                proptest::option::of(text()),
                proptest::option::of(time()),
            ).prop_map(|(code, message, compromise_occurance_date)| RevocationReason {
                code, message, compromise_occurance_date,
            })),
        ),
        (never_exportable, public_only, compliant_with_policies, deterministic_signatures) in (
            proptest::option::of(any::<bool>()),
            any::<bool>(),
            proptest::option::of(any::<bool>()),
            proptest::option::of(any::<bool>()),
        ),
        (custom_metadata, rsa, pub_key, value, transient_key, links, kcv) in (
            proptest::option::of(proptest::collection::btree_map(text(), text(), 0..3)),
            proptest::option::of(rsa()),
            proptest::option::of(blob()),
            proptest::option::of(blob()),
            proptest::option::of(blob()),
            proptest::option::of((proptest::option::of(id()), proptest::option::of(id()))
                .prop_map(|(replacement, replaced)| KeyLinks { replacement, replaced })),
            proptest::option::of("[0-9A-F]{6}"),
        ),
    ) -> Sobject {
        Sobject {
            kid, name, description, acct_id, group_id, creator, obj_type, key_size,
            elliptic_curve, key_ops, enabled, state, origin, created_at, lastused_at,
            activation_date, deactivation_date, compromise_date, revocation_reason,
            never_exportable, public_only, compliant_with_policies, deterministic_signatures,
            custom_metadata, rsa, pub_key, value, transient_key, links, kcv,
        }
    }
}

proptest! {
    #[test]
    fn sobject_round_trips(sobject in sobject()) {
        let json = serde_json::to_string(&sobject).unwrap();
        prop_assert_eq!(serde_json::from_str::<Sobject>(&json).unwrap(), sobject);
    }
}
