//! Security objects: generate, import, get, list, update, rotate, delete, export
//! (dsm-api.md §5; §10 items 10–20).

use std::collections::HashMap;

use anyhow::{Context, ensure};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{self as lc_signature, KeyPair as _};
use coffer_compat_tests::clients::{self, uuid};
use coffer_compat_tests::data::{random_bytes, unb64, unique_name};
use coffer_compat_tests::der::{
    self, OID_EC_PUBLIC_KEY, OID_P256, OID_P384, OID_P521, OID_RSA_ENCRYPTION,
};
use coffer_compat_tests::expect::{
    expect_client_error, expect_no_content, expect_raw, expect_status,
};
use coffer_compat_tests::keys::{self, by_kid, by_name, kid};
use coffer_compat_tests::raw;
use coffer_compat_tests::wire::check_sobject;
use coffer_compat_tests::{CofferServer, sdkms};
use sdkms::SdkmsClient;
use sdkms::api_model::*;
use uuid::Uuid;

#[test]
fn generated_keys_of_every_supported_type_carry_the_required_fields() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let credentials = server.credentials().clone();
    let app = clients::app_with_api_key(&server)?;
    let app_id = uuid(&credentials.app_id)?;
    let account = uuid(&credentials.account_id)?;
    let group = uuid(&credentials.group_id)?;

    let mut requests: Vec<SobjectRequest> = Vec::new();
    for bits in [128, 192, 256] {
        requests.push(keys::generate(
            &unique_name("gen-aes"),
            ObjectType::Aes,
            bits,
        ));
    }
    for bits in [2048, 3072, 4096] {
        requests.push(keys::generate(
            &unique_name("gen-rsa"),
            ObjectType::Rsa,
            bits,
        ));
    }
    for curve in [
        EllipticCurve::NistP256,
        EllipticCurve::NistP384,
        EllipticCurve::NistP521,
    ] {
        requests.push(keys::generate_ec(&unique_name("gen-ec"), curve));
    }
    requests.push(keys::generate(
        &unique_name("gen-hmac"),
        ObjectType::Hmac,
        256,
    ));

    for request in requests {
        let obj_type = request.obj_type.context("request without obj_type")?;
        eprintln!(
            "--- generate {obj_type:?} {:?}{:?}",
            request.key_size, request.elliptic_curve
        );
        let key = app.create_sobject(&request)?;
        ensure!(key.obj_type == obj_type, "obj_type {:?}", key.obj_type);
        ensure!(key.name == request.name, "name not kept");
        ensure!(key.acct_id == account, "acct_id is the dev account");
        ensure!(
            key.group_id == Some(group),
            "absent group_id means the app's default group"
        );
        ensure!(
            key.creator == Principal::App(app_id),
            "creator: {:?}",
            key.creator
        );
        ensure!(
            key.origin == ObjectOrigin::FortanixHSM,
            "origin: {:?}",
            key.origin
        );
        ensure!(key.enabled, "keys are enabled by default");
        ensure!(!key.public_only, "generated keys have their private half");
        ensure!(key.value.is_none(), "value only on export");
        ensure!(
            key.key_ops
                .contains(keys::default_ops(obj_type) - KeyOperations::APPMANAGEABLE),
            "default key_ops for {obj_type:?} lack some of {:?}: {:?}",
            keys::default_ops(obj_type),
            key.key_ops
        );
        ensure!(
            !key.key_ops.contains(KeyOperations::EXPORT),
            "EXPORT only when asked for"
        );
        match obj_type {
            ObjectType::Ec => {
                ensure!(
                    key.elliptic_curve == request.elliptic_curve,
                    "curve not kept"
                );
                let spki = der::spki(key.pub_key.as_deref().context("EC keys publish pub_key")?)?;
                ensure!(
                    spki.algorithm == OID_EC_PUBLIC_KEY,
                    "pub_key is not an EC SPKI"
                );
                let expected = match request.elliptic_curve {
                    Some(EllipticCurve::NistP256) => OID_P256,
                    Some(EllipticCurve::NistP384) => OID_P384,
                    _ => OID_P521,
                };
                ensure!(
                    spki.parameter.as_deref() == Some(expected),
                    "SPKI names the wrong curve"
                );
            }
            ObjectType::Rsa => {
                ensure!(
                    key.key_size == request.key_size,
                    "key_size {:?}",
                    key.key_size
                );
                ensure!(key.rsa.is_some(), "RSA keys report their rsa options");
                let spki = der::spki(key.pub_key.as_deref().context("RSA keys publish pub_key")?)?;
                ensure!(
                    spki.algorithm == OID_RSA_ENCRYPTION,
                    "pub_key is not an RSA SPKI"
                );
                let public = der::read_all(&spki.key)?;
                let parts = der::children(public.content)?;
                let modulus = der::unsigned(parts[0].content);
                ensure!(
                    Some(modulus.len() as u32 * 8) == request.key_size,
                    "modulus has {} bits",
                    modulus.len() * 8
                );
            }
            _ => {
                ensure!(
                    key.key_size == request.key_size,
                    "key_size {:?}",
                    key.key_size
                );
                ensure!(key.pub_key.is_none(), "symmetric keys have no pub_key");
            }
        }

        eprintln!("--- the raw GET of the same key has the exact wire format");
        let raw = raw::json_ok(
            &server,
            "GET",
            &format!("/crypto/v1/keys/{}", kid(&key)?),
            &credentials.basic_auth(),
            None,
        )?;
        check_sobject(&raw, false)?;
    }
    Ok(())
}

#[test]
fn imported_keys_keep_their_material_and_report_external_origin() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let app = clients::app_with_api_key(&server)?;

    eprintln!("--- AES-256 raw bytes: key_size inferred");
    let aes_bytes = random_bytes(32);
    let aes = app.import_sobject(&keys::with_ops(
        keys::import(&unique_name("imp-aes"), ObjectType::Aes, &aes_bytes),
        keys::default_ops(ObjectType::Aes) | KeyOperations::EXPORT,
    ))?;
    ensure!(
        aes.origin == ObjectOrigin::External,
        "imported keys are External"
    );
    ensure!(
        aes.key_size == Some(256),
        "key_size inferred from 32 bytes: {:?}",
        aes.key_size
    );
    ensure!(aes.value.is_none(), "no value outside export");
    let exported = app.export_sobject(&by_kid(kid(&aes)?))?;
    ensure!(
        exported.value.as_deref() == Some(&aes_bytes[..]),
        "material changed on import"
    );

    eprintln!("--- HMAC raw bytes");
    let hmac = app.import_sobject(&keys::import(
        &unique_name("imp-hmac"),
        ObjectType::Hmac,
        &random_bytes(48),
    ))?;
    ensure!(
        hmac.obj_type == ObjectType::Hmac && hmac.key_size == Some(384),
        "{hmac:?}"
    );

    eprintln!("--- RSA private key as PKCS#8 DER: size and public key inferred");
    let rsa_local = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)?;
    let pkcs8 = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&rsa_local)?;
    let rsa = app.import_sobject(&keys::import(
        &unique_name("imp-rsa"),
        ObjectType::Rsa,
        pkcs8.as_ref(),
    ))?;
    ensure!(
        rsa.key_size == Some(2048),
        "RSA size inferred: {:?}",
        rsa.key_size
    );
    ensure!(
        !rsa.public_only,
        "a private key import keeps the private half"
    );
    let spki = AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(rsa_local.public_key())?;
    ensure!(
        rsa.pub_key.as_deref() == Some(spki.as_ref()),
        "pub_key must be the SPKI of the imported key"
    );

    eprintln!("--- RSA public key as SPKI DER: public_only");
    let public = app.import_sobject(&keys::with_ops(
        keys::import(&unique_name("imp-rsa-pub"), ObjectType::Rsa, spki.as_ref()),
        KeyOperations::VERIFY | KeyOperations::ENCRYPT | KeyOperations::APPMANAGEABLE,
    ))?;
    ensure!(public.public_only, "an SPKI import is public_only");

    eprintln!("--- EC private key as RFC 5915 DER and as PKCS#8: curve inferred");
    let ec_local =
        lc_signature::EcdsaKeyPair::generate(&lc_signature::ECDSA_P256_SHA256_ASN1_SIGNING)?;
    let rfc5915 =
        AsDer::<aws_lc_rs::encoding::EcPrivateKeyRfc5915Der>::as_der(&ec_local.private_key())?;
    let ec_spki = AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(ec_local.public_key())?;
    for (label, value) in [
        ("RFC 5915", rfc5915.as_ref().to_vec()),
        ("PKCS#8", ec_local.to_pkcs8v1()?.as_ref().to_vec()),
    ] {
        let ec = app.import_sobject(&keys::import(
            &unique_name("imp-ec"),
            ObjectType::Ec,
            &value,
        ))?;
        ensure!(
            ec.elliptic_curve == Some(EllipticCurve::NistP256),
            "{label}: curve inferred: {:?}",
            ec.elliptic_curve
        );
        ensure!(
            ec.pub_key.as_deref() == Some(ec_spki.as_ref()),
            "{label}: pub_key must be the SPKI of the imported key"
        );
        ensure!(
            ec.origin == ObjectOrigin::External,
            "{label}: origin External"
        );
    }
    Ok(())
}

#[test]
fn names_are_unique_per_account() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let app = clients::app_with_api_key(&server)?;
    let name = unique_name("unique");

    eprintln!("--- the first object takes the name");
    app.create_sobject(&keys::generate(&name, ObjectType::Aes, 128))?;

    eprintln!("--- generate and import under the same name clash with 409");
    expect_status(
        app.create_sobject(&keys::generate(&name, ObjectType::Aes, 256)),
        409,
    )?;
    expect_status(
        app.import_sobject(&keys::import(&name, ObjectType::Hmac, &random_bytes(32))),
        409,
    )?;

    eprintln!("--- renaming another key onto it clashes too");
    let other = app.create_sobject(&keys::generate(&unique_name("other"), ObjectType::Aes, 128))?;
    let renamed = app.update_sobject(
        &kid(&other)?,
        &SobjectRequest {
            name: Some(name.clone()),
            ..Default::default()
        },
    );
    expect_status(renamed, 409)?;
    Ok(())
}

#[test]
fn key_ops_default_when_absent_export_only_when_asked_and_empty_means_none() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let app = clients::app_with_api_key(&server)?;

    eprintln!("--- absent key_ops: the defaults, without EXPORT");
    let default = app.create_sobject(&keys::generate(
        &unique_name("ops-default"),
        ObjectType::Aes,
        256,
    ))?;
    ensure!(
        default
            .key_ops
            .contains(keys::default_ops(ObjectType::Aes) - KeyOperations::APPMANAGEABLE),
        "defaults: {:?}",
        default.key_ops
    );
    ensure!(
        !default.key_ops.contains(KeyOperations::EXPORT),
        "no EXPORT by default"
    );
    ensure!(
        default.never_exportable != Some(false),
        "never_exportable without EXPORT"
    );
    expect_client_error(app.export_sobject(&by_kid(kid(&default)?)))?;

    eprintln!("--- EXPORT when asked");
    let exportable = app.create_sobject(&keys::with_ops(
        keys::generate(&unique_name("ops-export"), ObjectType::Aes, 256),
        KeyOperations::ENCRYPT | KeyOperations::DECRYPT | KeyOperations::EXPORT,
    ))?;
    ensure!(
        exportable.key_ops
            == KeyOperations::ENCRYPT | KeyOperations::DECRYPT | KeyOperations::EXPORT,
        "explicit key_ops kept exactly: {:?}",
        exportable.key_ops
    );
    ensure!(
        exportable.never_exportable != Some(true),
        "exportable key is not never_exportable"
    );
    let exported = app.export_sobject(&by_kid(kid(&exportable)?))?;
    ensure!(
        exported.value.as_ref().is_some_and(|v| v.len() == 32),
        "AES-256 exports 32 bytes"
    );

    eprintln!("--- an empty array disables every operation");
    let none = app.create_sobject(&keys::with_ops(
        keys::generate(&unique_name("ops-none"), ObjectType::Aes, 256),
        KeyOperations::empty(),
    ))?;
    ensure!(
        none.key_ops.is_empty(),
        "empty key_ops kept: {:?}",
        none.key_ops
    );
    expect_status(
        app.encrypt(&keys::aes_encrypt(
            kid(&none)?,
            CipherMode::Cbc,
            b"nothing allowed",
        )),
        403,
    )?;
    Ok(())
}

#[test]
fn keys_are_found_by_kid_and_by_name_and_unknown_ones_are_404() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let app = clients::app_with_api_key(&server)?;
    let basic = server.credentials().basic_auth();
    let name = unique_name("lookup");
    let key = app.create_sobject(&keys::generate(&name, ObjectType::Aes, 256))?;
    let key_id = kid(&key)?;

    eprintln!("--- POST /crypto/v1/keys/info by kid and by name");
    let by_id = app.get_sobject(None, &by_kid(key_id))?;
    let named = app.get_sobject(None, &by_name(&name))?;
    ensure!(
        by_id.kid == Some(key_id) && named.kid == Some(key_id),
        "info found another key"
    );
    let json_view = app.get_sobject(
        Some(&GetSobjectParams {
            view: SobjectEncoding::Json,
        }),
        &by_kid(key_id),
    )?;
    ensure!(json_view.value.is_none(), "view=json carries no value");

    eprintln!("--- GET /crypto/v1/keys/{{kid}}");
    let got = raw::json_ok(
        &server,
        "GET",
        &format!("/crypto/v1/keys/{key_id}"),
        &basic,
        None,
    )?;
    ensure!(
        got["kid"] == key_id.to_string().as_str(),
        "GET by kid: {got}"
    );
    check_sobject(&got, false)?;

    eprintln!("--- unknown kid and name are 404");
    expect_status(app.get_sobject(None, &by_kid(Uuid::new_v4())), 404)?;
    expect_status(
        app.get_sobject(None, &by_name(&unique_name("missing"))),
        404,
    )?;
    let missing = raw::send(
        &server,
        "GET",
        &format!("/crypto/v1/keys/{}", Uuid::new_v4()),
        &basic,
    )?;
    expect_raw(&missing, &[404])?;
    Ok(())
}

#[test]
fn listing_is_a_plain_array_honouring_name_group_limit_offset_sort_and_start() -> anyhow::Result<()>
{
    let server = CofferServer::start_dev()?;
    let app = clients::app_session(&server)?;
    let group = uuid(&server.credentials().group_id)?;

    eprintln!("--- five keys");
    let mut created = Vec::new();
    for i in 0..5 {
        let key = app.create_sobject(&keys::generate(
            &unique_name(&format!("list{i}")),
            ObjectType::Aes,
            128,
        ))?;
        created.push(key);
    }
    let mut kids: Vec<Uuid> = created.iter().map(kid).collect::<anyhow::Result<_>>()?;
    kids.sort();

    eprintln!("--- no parameters (`GET /crypto/v1/keys?`): everything, no values");
    let all = app.list_sobjects(None)?;
    ensure!(all.len() == 5, "expected the 5 keys, got {}", all.len());
    ensure!(
        all.iter().all(|k| k.value.is_none()),
        "lists never carry value"
    );

    eprintln!("--- name: exact match");
    let name = created[2].name.clone().context("no name")?;
    let named = list(
        &app,
        ListSobjectsParams {
            name: Some(name.clone()),
            ..Default::default()
        },
    )?;
    ensure!(
        named.len() == 1 && named[0].name.as_deref() == Some(name.as_str()),
        "name filter"
    );

    eprintln!("--- group_id");
    let in_group = list(
        &app,
        ListSobjectsParams {
            group_id: Some(group),
            ..Default::default()
        },
    )?;
    ensure!(in_group.len() == 5, "all five keys are in the dev group");

    eprintln!("--- sort=kid:asc (sent by default), limit, offset, start");
    let sorted = kids_of(&list(&app, ListSobjectsParams::default())?)?;
    ensure!(sorted == kids, "kid:asc order: {sorted:?}");
    let limited = kids_of(&list(
        &app,
        ListSobjectsParams {
            limit: Some(2),
            ..Default::default()
        },
    )?)?;
    ensure!(limited == kids[..2], "limit=2: {limited:?}");
    let offset = kids_of(&list(
        &app,
        ListSobjectsParams {
            limit: Some(2),
            offset: Some(1),
            ..Default::default()
        },
    )?)?;
    ensure!(offset == kids[1..3], "limit=2&offset=1: {offset:?}");
    let started = kids_of(&list(
        &app,
        ListSobjectsParams {
            sort: SobjectSort::ByKid {
                order: Order::Ascending,
                start: Some(kids[1]),
            },
            ..Default::default()
        },
    )?)?;
    ensure!(started == kids[2..], "start after kids[1]: {started:?}");
    let descending = kids_of(&list(
        &app,
        ListSobjectsParams {
            sort: SobjectSort::ByKid {
                order: Order::Descending,
                start: None,
            },
            ..Default::default()
        },
    )?)?;
    let mut reversed = kids.clone();
    reversed.reverse();
    ensure!(descending == reversed, "kid:desc order: {descending:?}");

    eprintln!("--- sort=name:asc");
    let by_names = list(
        &app,
        ListSobjectsParams {
            sort: SobjectSort::ByName {
                order: Order::Ascending,
                start: None,
            },
            ..Default::default()
        },
    )?;
    let names: Vec<String> = by_names.iter().filter_map(|k| k.name.clone()).collect();
    let mut expected = names.clone();
    expected.sort();
    ensure!(
        names == expected && names.len() == 5,
        "name:asc order: {names:?}"
    );

    eprintln!("--- the raw answer is a plain JSON array of valid objects");
    let raw = raw::json_ok(&server, "GET", "/crypto/v1/keys", &raw::bearer(&app)?, None)?;
    let items = raw.as_array().context("list must be a plain array")?;
    ensure!(items.len() == 5, "raw list length {}", items.len());
    for item in items {
        check_sobject(item, false)?;
    }
    Ok(())
}

#[test]
fn listing_returns_at_most_100_keys_unless_a_limit_is_given() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let app = clients::app_session(&server)?;

    eprintln!("--- 102 keys");
    for i in 0..102 {
        app.create_sobject(&keys::generate(
            &unique_name(&format!("many{i}")),
            ObjectType::Aes,
            128,
        ))?;
    }

    eprintln!("--- default limit 100");
    ensure!(
        app.list_sobjects(None)?.len() == 100,
        "default limit is 100"
    );
    let raw = raw::json_ok(&server, "GET", "/crypto/v1/keys", &raw::bearer(&app)?, None)?;
    ensure!(
        raw.as_array().map(Vec::len) == Some(100),
        "raw default limit is 100"
    );

    eprintln!("--- an explicit larger limit returns them all");
    let all = list(
        &app,
        ListSobjectsParams {
            limit: Some(150),
            ..Default::default()
        },
    )?;
    ensure!(
        all.len() == 102,
        "limit=150 returns all 102, got {}",
        all.len()
    );
    Ok(())
}

#[test]
fn patch_updates_description_metadata_ops_and_enabled_and_disabled_keys_refuse_crypto()
-> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let app = clients::app_with_api_key(&server)?;
    let key = app.create_sobject(&keys::generate(&unique_name("patch"), ObjectType::Aes, 256))?;
    let key_id = kid(&key)?;
    let encrypted = app.encrypt(&keys::aes_encrypt(key_id, CipherMode::Cbc, b"before"))?;

    eprintln!("--- description and custom_metadata");
    let mut metadata = HashMap::new();
    metadata.insert("owner".to_owned(), "payments".to_owned());
    let updated = app.update_sobject(
        &key_id,
        &SobjectRequest {
            description: Some("the payments key".to_owned()),
            custom_metadata: Some(metadata.clone()),
            ..Default::default()
        },
    )?;
    ensure!(
        updated.description.as_deref() == Some("the payments key"),
        "description"
    );
    ensure!(
        updated.custom_metadata.as_ref() == Some(&metadata),
        "custom_metadata"
    );
    ensure!(updated.name == key.name, "nulls leave the name alone");
    ensure!(updated.key_ops == key.key_ops, "nulls leave key_ops alone");

    eprintln!("--- key_ops narrowed to DECRYPT: encrypt is forbidden, decrypt works");
    let narrowed = app.update_sobject(
        &key_id,
        &SobjectRequest {
            key_ops: Some(KeyOperations::DECRYPT | KeyOperations::APPMANAGEABLE),
            ..Default::default()
        },
    )?;
    ensure!(
        narrowed.key_ops == KeyOperations::DECRYPT | KeyOperations::APPMANAGEABLE,
        "key_ops: {:?}",
        narrowed.key_ops
    );
    expect_status(
        app.encrypt(&keys::aes_encrypt(key_id, CipherMode::Cbc, b"no")),
        403,
    )?;
    app.decrypt(&keys::aes_decrypt(key_id, CipherMode::Cbc, &encrypted))?;

    eprintln!("--- disabled: crypto refused with 400 or 403");
    let disabled = app.update_sobject(
        &key_id,
        &SobjectRequest {
            enabled: Some(false),
            ..Default::default()
        },
    )?;
    ensure!(!disabled.enabled, "enabled=false kept");
    let refused = app.decrypt(&keys::aes_decrypt(key_id, CipherMode::Cbc, &encrypted));
    coffer_compat_tests::expect::expect_one_of(refused, &[400, 403])?;
    ensure!(
        !app.get_sobject(None, &by_kid(key_id))?.enabled,
        "the disabled state is stored"
    );

    eprintln!("--- enabled again: crypto works");
    app.update_sobject(
        &key_id,
        &SobjectRequest {
            enabled: Some(true),
            ..Default::default()
        },
    )?;
    let decrypted = app.decrypt(&keys::aes_decrypt(key_id, CipherMode::Cbc, &encrypted))?;
    ensure!(
        &decrypted.plain[..] == b"before",
        "decrypts after re-enabling"
    );
    Ok(())
}

#[test]
fn rekey_by_name_creates_a_new_key_that_the_name_resolves_to() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let app = clients::app_with_api_key(&server)?;
    let name = unique_name("rotate");
    let old = app.create_sobject(&keys::generate(&name, ObjectType::Aes, 256))?;
    let old_kid = kid(&old)?;
    let before = app.encrypt(&keys::aes_encrypt(
        old_kid,
        CipherMode::Gcm,
        b"old ciphertext",
    ))?;

    eprintln!("--- rotate the key by name, as the CLI does");
    let new = app.rotate_sobject(&SobjectRequest {
        name: Some(name.clone()),
        ..Default::default()
    })?;
    let new_kid = kid(&new)?;
    ensure!(new_kid != old_kid, "rekey makes a new kid");
    ensure!(
        new.name.as_deref() == Some(name.as_str()),
        "the new key takes the name"
    );
    ensure!(
        new.obj_type == old.obj_type
            && new.key_size == old.key_size
            && new.key_ops == old.key_ops
            && new.group_id == old.group_id,
        "type, size, ops and group carry over: {new:?}"
    );
    ensure!(
        new.links.as_ref().and_then(|l| l.replaced) == Some(old_kid),
        "links.replaced names the old key: {:?}",
        new.links
    );

    eprintln!("--- the name now resolves to the new key");
    let resolved = app.get_sobject(None, &by_name(&name))?;
    ensure!(
        resolved.kid == Some(new_kid),
        "name resolves to {:?}",
        resolved.kid
    );
    let after = app.encrypt(&EncryptRequest {
        key: Some(by_name(&name)),
        ..keys::aes_encrypt(new_kid, CipherMode::Gcm, b"new ciphertext")
    })?;
    ensure!(
        after.kid == Some(new_kid),
        "encrypt by name uses the new key"
    );

    eprintln!("--- the old key stays, linked, and still decrypts");
    let old_now = app.get_sobject(None, &by_kid(old_kid))?;
    ensure!(
        old_now.links.as_ref().and_then(|l| l.replacement) == Some(new_kid),
        "links.replacement names the new key: {:?}",
        old_now.links
    );
    let decrypted = app.decrypt(&keys::aes_decrypt(old_kid, CipherMode::Gcm, &before))?;
    ensure!(
        &decrypted.plain[..] == b"old ciphertext",
        "old ciphertext decrypts"
    );
    Ok(())
}

#[test]
fn delete_answers_204_then_404_and_the_key_is_gone() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let app = clients::app_with_api_key(&server)?;
    let basic = server.credentials().basic_auth();
    let first = app.create_sobject(&keys::generate(
        &unique_name("delete"),
        ObjectType::Aes,
        256,
    ))?;
    let second = app.create_sobject(&keys::generate(
        &unique_name("delete"),
        ObjectType::Aes,
        256,
    ))?;

    eprintln!("--- DELETE on the wire: 204, empty body");
    let deleted = raw::send(
        &server,
        "DELETE",
        &format!("/crypto/v1/keys/{}", kid(&first)?),
        &basic,
    )?;
    expect_no_content(&deleted)?;

    eprintln!("--- the official client's delete, then a second delete");
    app.delete_sobject(&kid(&second)?)?;
    expect_status(app.delete_sobject(&kid(&second)?), 404)?;
    expect_status(app.delete_sobject(&kid(&first)?), 404)?;

    eprintln!("--- get, info, crypto and list no longer see them");
    for gone in [kid(&first)?, kid(&second)?] {
        expect_status(app.get_sobject(None, &by_kid(gone)), 404)?;
        let response = raw::send(&server, "GET", &format!("/crypto/v1/keys/{gone}"), &basic)?;
        expect_raw(&response, &[404])?;
        expect_status(
            app.encrypt(&keys::aes_encrypt(gone, CipherMode::Cbc, b"gone")),
            404,
        )?;
    }
    ensure!(
        app.list_sobjects(None)?.is_empty(),
        "deleted keys are not listed"
    );

    eprintln!("--- the name is free again");
    app.create_sobject(&keys::generate(
        first.name.as_deref().context("no name")?,
        ObjectType::Aes,
        128,
    ))?;
    Ok(())
}

#[test]
fn export_returns_raw_symmetric_bytes_and_der_private_keys() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let app = clients::app_with_api_key(&server)?;
    let basic = server.credentials().basic_auth();
    let export_ops = |obj_type| keys::default_ops(obj_type) | KeyOperations::EXPORT;

    eprintln!("--- AES: both export forms return the raw bytes");
    let aes_bytes = random_bytes(32);
    let aes = app.import_sobject(&keys::with_ops(
        keys::import(&unique_name("exp-aes"), ObjectType::Aes, &aes_bytes),
        export_ops(ObjectType::Aes),
    ))?;
    let exported = app.export_sobject(&by_kid(kid(&aes)?))?;
    ensure!(
        exported.value.as_deref() == Some(&aes_bytes[..]),
        "POST /keys/export value"
    );
    let raw = raw::json_ok(
        &server,
        "GET",
        &format!("/crypto/v1/keys/{}/export", kid(&aes)?),
        &basic,
        None,
    )?;
    check_sobject(&raw, true)?;
    ensure!(
        unb64(raw["value"].as_str().context("no value")?)? == aes_bytes,
        "GET …/export value"
    );
    ensure!(
        app.get_sobject(None, &by_kid(kid(&aes)?))?.value.is_none(),
        "get has no value"
    );

    eprintln!("--- RSA: PKCS#1 RSAPrivateKey whose modulus matches pub_key");
    let rsa = app.create_sobject(&keys::with_ops(
        keys::generate(&unique_name("exp-rsa"), ObjectType::Rsa, 2048),
        export_ops(ObjectType::Rsa),
    ))?;
    let rsa_export = app.export_sobject(&by_kid(kid(&rsa)?))?;
    let pkcs1 = rsa_export.value.context("RSA export without value")?;
    let private = der::read_all(&pkcs1)?;
    ensure!(private.tag == der::SEQUENCE, "RSAPrivateKey is a SEQUENCE");
    let fields = der::children(private.content)?;
    ensure!(
        fields.len() == 9 && fields.iter().all(|f| f.tag == der::INTEGER),
        "RSAPrivateKey has 9 INTEGERs (PKCS#1, not PKCS#8)"
    );
    ensure!(fields[0].content == [0], "two-prime version 0");
    let spki = der::spki(rsa.pub_key.as_deref().context("no pub_key")?)?;
    let public = der::read_all(&spki.key)?;
    let public_fields = der::children(public.content)?;
    ensure!(
        der::unsigned(fields[1].content) == der::unsigned(public_fields[0].content),
        "exported modulus differs from pub_key"
    );

    eprintln!("--- the exported PKCS#1 key imports back and signs like the original");
    let copy = app.import_sobject(&keys::import(
        &unique_name("exp-rsa-copy"),
        ObjectType::Rsa,
        &pkcs1,
    ))?;
    let signature = app.sign(&SignRequest {
        key: Some(by_kid(kid(&copy)?)),
        hash_alg: DigestAlgorithm::Sha256,
        hash: None,
        data: Some(Blob::from("same key")),
        mode: None,
        deterministic_signature: None,
    })?;
    let verified = app.verify(&VerifyRequest {
        key: Some(by_kid(kid(&rsa)?)),
        hash_alg: DigestAlgorithm::Sha256,
        hash: None,
        data: Some(Blob::from("same key")),
        mode: None,
        signature: signature.signature,
    })?;
    ensure!(
        verified.result,
        "the copy's signature verifies with the original"
    );

    eprintln!("--- EC: RFC 5915 ECPrivateKey whose public point matches pub_key");
    let ec = app.create_sobject(&keys::with_ops(
        keys::generate_ec(&unique_name("exp-ec"), EllipticCurve::NistP256),
        export_ops(ObjectType::Ec),
    ))?;
    let ec_export = app.export_sobject(&by_kid(kid(&ec)?))?;
    let sec1 = ec_export.value.context("EC export without value")?;
    let private = der::read_all(&sec1)?;
    let fields = der::children(private.content)?;
    ensure!(
        fields.len() >= 2 && fields[0].tag == der::INTEGER && fields[0].content == [1],
        "ECPrivateKey starts with version 1 (RFC 5915, not PKCS#8)"
    );
    ensure!(
        fields[1].tag == der::OCTET_STRING && fields[1].content.len() == 32,
        "P-256 private key is a 32-byte OCTET STRING"
    );
    let local = lc_signature::EcdsaKeyPair::from_private_key_der(
        &lc_signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        &sec1,
    )?;
    let local_spki = AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(local.public_key())?;
    ensure!(
        ec.pub_key.as_deref() == Some(local_spki.as_ref()),
        "pub_key is the SPKI of the exported private key"
    );

    eprintln!("--- no EXPORT, no export");
    let sealed = app.create_sobject(&keys::generate(
        &unique_name("exp-none"),
        ObjectType::Aes,
        256,
    ))?;
    expect_client_error(app.export_sobject(&by_kid(kid(&sealed)?)))?;
    let response = raw::send(
        &server,
        "GET",
        &format!("/crypto/v1/keys/{}/export", kid(&sealed)?),
        &basic,
    )?;
    ensure!(
        (400..500).contains(&response.status),
        "GET …/export without EXPORT: {response:?}"
    );
    Ok(())
}

fn list(app: &SdkmsClient, params: ListSobjectsParams) -> anyhow::Result<Vec<Sobject>> {
    Ok(app.list_sobjects(Some(&params))?)
}

fn kids_of(objects: &[Sobject]) -> anyhow::Result<Vec<Uuid>> {
    objects.iter().map(kid).collect()
}

#[test]
fn opaque_values_are_read_only_with_export_and_a_key_created_without_export_never_gains_it()
-> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let app = clients::app_with_api_key(&server)?;
    let secret = random_bytes(24);

    eprintln!("--- OPAQUE with EXPORT (its default): the value comes back on read");
    let open = app.import_sobject(&keys::import(
        &unique_name("opaque-open"),
        ObjectType::Opaque,
        &secret,
    ))?;
    let read = app.get_sobject(None, &by_kid(kid(&open)?))?;
    ensure!(
        read.value.as_deref() == Some(&secret[..]),
        "an exportable OPAQUE object's value on read: {:?}",
        read.value
    );

    eprintln!("--- OPAQUE without EXPORT: the value never comes back");
    let closed = app.import_sobject(&keys::with_ops(
        keys::import(&unique_name("opaque-closed"), ObjectType::Opaque, &secret),
        KeyOperations::APPMANAGEABLE,
    ))?;
    ensure!(closed.value.is_none(), "value in the import answer");
    let closed_kid = kid(&closed)?;
    let read = app.get_sobject(None, &by_kid(closed_kid))?;
    ensure!(read.value.is_none(), "value on get: {:?}", read.value);
    ensure!(
        read.never_exportable == Some(true),
        "never_exportable: {read:?}"
    );
    expect_client_error(app.export_sobject(&by_kid(closed_kid)))?;

    eprintln!("--- adding EXPORT later is refused and changes nothing");
    expect_status(
        app.update_sobject(
            &closed_kid,
            &SobjectRequest {
                key_ops: Some(KeyOperations::APPMANAGEABLE | KeyOperations::EXPORT),
                ..Default::default()
            },
        ),
        400,
    )?;
    let read = app.get_sobject(None, &by_kid(closed_kid))?;
    ensure!(
        read.key_ops == KeyOperations::APPMANAGEABLE && read.value.is_none(),
        "the refused update changed the key: {read:?}"
    );
    expect_client_error(app.export_sobject(&by_kid(closed_kid)))?;
    Ok(())
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[test]
fn activation_and_deactivation_dates_govern_what_a_key_may_do() -> anyhow::Result<()> {
    let server = CofferServer::start_dev()?;
    let app = clients::app_with_api_key(&server)?;
    let plain = b"dated".to_vec();

    eprintln!("--- a key whose activation date is to come is pre-active and does nothing");
    let later = app.create_sobject(&SobjectRequest {
        activation_date: Some(Time(unix_now() + 3600)),
        ..keys::generate(&unique_name("dated"), ObjectType::Aes, 256)
    })?;
    let later_id = kid(&later)?;
    ensure!(
        later.state == Some(SobjectState::PreActive),
        "state {:?}",
        later.state
    );
    let (status, message) =
        expect_client_error(app.encrypt(&keys::aes_encrypt(later_id, CipherMode::Gcm, &plain)))?;
    ensure!(
        status == 400 && message.contains("not active yet"),
        "{status}: {message}"
    );

    eprintln!("--- activated, it encrypts; then it cannot be moved back before activation");
    app.activate_sobject(&later_id)?;
    let encrypted = app.encrypt(&keys::aes_encrypt(later_id, CipherMode::Gcm, &plain))?;
    let moved = app.update_sobject(
        &later_id,
        &SobjectRequest {
            activation_date: Some(Time(unix_now() + 3600)),
            ..Default::default()
        },
    );
    expect_status(moved.map(|_| ()), 400)?;

    eprintln!("--- once its deactivation date passes it only decrypts, and stays that way");
    app.update_sobject(
        &later_id,
        &SobjectRequest {
            deactivation_date: Some(Time(unix_now() + 2)),
            ..Default::default()
        },
    )?;
    std::thread::sleep(std::time::Duration::from_millis(3100));
    let (status, message) =
        expect_client_error(app.encrypt(&keys::aes_encrypt(later_id, CipherMode::Gcm, &plain)))?;
    ensure!(
        status == 400 && message.contains("deactivated"),
        "{status}: {message}"
    );
    let decrypted = app.decrypt(&keys::aes_decrypt(later_id, CipherMode::Gcm, &encrypted))?;
    ensure!(
        decrypted.plain.to_vec() == plain,
        "decrypts what it encrypted"
    );
    let shown = app.get_sobject(None, &by_kid(later_id))?;
    ensure!(
        shown.state == Some(SobjectState::Deactivated),
        "state {:?}",
        shown.state
    );
    expect_status(app.activate_sobject(&later_id), 400)?;

    eprintln!("--- a deactivation date before the activation date is refused");
    let backwards = app.create_sobject(&SobjectRequest {
        activation_date: Some(Time(unix_now() + 100)),
        deactivation_date: Some(Time(unix_now() + 50)),
        ..keys::generate(&unique_name("backwards"), ObjectType::Aes, 256)
    });
    expect_status(backwards.map(|_| ()), 400)?;
    Ok(())
}
