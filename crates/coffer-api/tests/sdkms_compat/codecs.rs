//! Blobs, dates, enums and flag sets.

use super::*;

#[test]
fn blobs_and_times_cross_both_ways() {
    let ours = blob(&[0xfb, 0xff, 0xbf, 0, 1, 2, 3]);
    let theirs: rs::Blob = via_json(&ours);
    assert_eq!(&*theirs, ours.as_bytes());
    let back: api::Blob = via_json(&theirs);
    assert_eq!(back, ours);

    for seconds in [
        0,
        1,
        951_782_400,
        1_584_235_425,
        4_107_542_399,
        253_402_300_799,
    ] {
        let theirs: rs::Time = via_json(&at(seconds));
        assert_eq!(theirs.0, seconds);
        let back: api::CompactTime = via_json(&rs::Time(seconds));
        assert_eq!(back.unix_seconds(), seconds);
    }
}

#[test]
fn every_enum_value_rs_knows_crosses_both_ways() {
    fn both_ways<O, R>(ours: &[O])
    where
        O: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
        R: Serialize + DeserializeOwned,
    {
        for value in ours {
            let theirs: R = via_json(value);
            let back: O = via_json(&theirs);
            assert_eq!(&back, value);
        }
    }
    both_ways::<_, rs::ObjectType>(api::ObjectType::ALL);
    both_ways::<_, rs::EllipticCurve>(api::EllipticCurve::ALL);
    both_ways::<_, rs::ObjectOrigin>(api::ObjectOrigin::ALL);
    both_ways::<_, rs::CipherMode>(api::CipherMode::ALL);
    both_ways::<_, rs::DigestAlgorithm>(api::DigestAlgorithm::ALL);
    both_ways::<_, rs::RevocationReasonCode>(api::RevocationReasonCode::ALL);
    both_ways::<_, rs::ServerMode>(api::ServerMode::ALL);
    both_ways::<_, rs::AppAuthType>(api::AppAuthType::ALL);
    both_ways::<_, rs::NotificationPref>(api::NotificationPref::ALL);
    both_ways::<_, rs::SobjectEncoding>(api::SobjectEncoding::ALL);
    both_ways::<_, rs::AgreeKeyMechanism>(api::AgreeKeyMechanism::ALL);
    // Rs knows only the live states; the other two are for show_destroyed/show_deleted.
    both_ways::<_, rs::SobjectState>(&api::SobjectState::ALL[..4]);
    // Rs's `Algorithm` (the `alg` of crypto requests) is a subset of ObjectType.
    for alg in [
        rs::Algorithm::Aes,
        rs::Algorithm::Des,
        rs::Algorithm::Des3,
        rs::Algorithm::Rsa,
        rs::Algorithm::Ec,
        rs::Algorithm::Hmac,
    ] {
        let ours: api::ObjectType = via_json(&alg);
        let _: rs::Algorithm = via_json(&ours);
    }
}

#[test]
fn every_flag_set_crosses_both_ways() {
    let ops: rs::KeyOperations = via_json(&api::KeyOperations::ALL);
    assert_eq!(ops, rs::KeyOperations::all());
    let back: Vec<api::KeyOperations> = via_json(&rs::KeyOperations::all());
    assert_eq!(back.len(), api::KeyOperations::ALL.len());

    let perms: rs::AppPermissions = via_json(&api::AppPermission::ALL);
    assert_eq!(perms, rs::AppPermissions::all());
    let back: Vec<api::AppPermission> = via_json(&rs::AppPermissions::all());
    assert_eq!(back.len(), api::AppPermission::ALL.len());

    let flags: rs::UserAccountFlags = via_json(&api::UserAccountFlag::ALL);
    assert_eq!(flags, rs::UserAccountFlags::all());
    let back: Vec<api::UserAccountFlag> = via_json(&rs::UserAccountFlags::all());
    assert_eq!(back.len(), api::UserAccountFlag::ALL.len());

    for role in api::UserGroupRole::ALL {
        let theirs: rs::UserGroupRole = via_json(&api::GroupRoleEntry(*role));
        let back: api::GroupRoleEntry = via_json(&theirs);
        assert_eq!(back.0, *role);
    }
}
