//! Encrypt, decrypt, multi-part, sign, verify, MAC, digest, wrap, derive, batch.

use super::*;

fn oaep(hash: rs::DigestAlgorithm) -> rs::CryptMode {
    rs::CryptMode::Rsa(rs::RsaEncryptionPadding::Oaep {
        mgf: rs::Mgf::Mgf1 { hash },
    })
}

#[test]
fn encrypt_and_decrypt_requests_from_rs_decode() {
    let ours: api::EncryptRequest = via_json(&rs::EncryptRequest {
        key: Some(rs::SobjectDescriptor::Name("k".into())),
        alg: rs::Algorithm::Aes,
        plain: rs::Blob::from("hello"),
        mode: Some(rs::CryptMode::Symmetric(rs::CipherMode::Gcm)),
        iv: None,
        ad: Some(rs::Blob::from("ad")),
        tag_len: Some(128),
    });
    assert_eq!(ours.key, Some(api::SobjectDescriptor::Name("k".into())));
    assert_eq!(ours.alg, api::ObjectType::Aes);
    assert_eq!(ours.plain.as_bytes(), b"hello");
    assert_eq!(
        ours.mode,
        Some(api::EncryptionMode::Symmetric(api::CipherMode::Gcm))
    );
    assert_eq!((ours.iv, ours.tag_len), (None, Some(128)));

    for (mode, expected) in [
        (
            oaep(rs::DigestAlgorithm::Sha1),
            api::RsaEncryptionPadding::oaep_mgf1(api::DigestAlgorithm::Sha1),
        ),
        (
            oaep(rs::DigestAlgorithm::Sha256),
            api::RsaEncryptionPadding::oaep_mgf1(api::DigestAlgorithm::Sha256),
        ),
        (
            rs::CryptMode::Rsa(rs::RsaEncryptionPadding::Pkcs1V15 {}),
            api::RsaEncryptionPadding::Pkcs1V15,
        ),
    ] {
        let ours: api::DecryptRequest = via_json(&rs::DecryptRequest {
            key: Some(rs::SobjectDescriptor::Kid(id(100))),
            alg: None,
            cipher: rs::Blob::from(vec![1, 2, 3]),
            mode: Some(mode.clone()),
            iv: None,
            ad: None,
            tag: None,
        });
        assert_eq!(ours.mode, Some(api::EncryptionMode::Rsa(expected)));
        // And what we write decodes back in Rs.
        let back: rs::CryptMode = via_json(&api::EncryptionMode::Rsa(expected));
        assert_eq!(back, mode);
    }
    for mode in api::CipherMode::ALL {
        let back: rs::CryptMode = via_json(&api::EncryptionMode::Symmetric(*mode));
        assert!(matches!(back, rs::CryptMode::Symmetric(_)));
    }
}

#[test]
fn encrypt_and_decrypt_answers_decode_in_rs() {
    let theirs: rs::EncryptResponse = via_json(&api::EncryptResponse {
        kid: Some(id(100)),
        cipher: blob(&[1, 2]),
        iv: Some(blob(&[0; 12])),
        tag: Some(blob(&[7; 16])),
    });
    assert_eq!(theirs.kid, Some(id(100)));
    assert_eq!(theirs.iv.map(|iv| iv.len()), Some(12));
    assert_eq!(theirs.tag.map(|t| t.len()), Some(16));
    let theirs: rs::EncryptResponse = via_json(&api::EncryptResponse {
        kid: None,
        cipher: blob(&[1]),
        iv: None,
        tag: None,
    });
    assert!(theirs.iv.is_none());

    let theirs: rs::DecryptResponse = via_json(&api::DecryptResponse {
        kid: Some(id(100)),
        plain: blob(b"hi"),
    });
    assert_eq!(&*theirs.plain, b"hi");
}

#[test]
fn multi_part_messages_cross_both_ways() {
    let ours: api::EncryptInitRequest = via_json(&rs::EncryptInitRequest {
        key: Some(rs::SobjectDescriptor::Kid(id(100))),
        alg: rs::Algorithm::Aes,
        mode: Some(rs::CipherMode::Cbc),
        iv: None,
    });
    assert_eq!(ours.mode, Some(api::CipherMode::Cbc));
    let theirs: rs::EncryptInitResponse = via_json(&api::EncryptInitResponse {
        kid: Some(id(100)),
        iv: Some(blob(&[0; 16])),
        state: blob(b"state"),
    });
    assert_eq!(&*theirs.state, b"state");
    let ours: api::EncryptUpdateRequest = via_json(&rs::EncryptUpdateRequest {
        key: None,
        plain: rs::Blob::from("p"),
        state: rs::Blob::from("s"),
    });
    assert_eq!(ours.plain.as_bytes(), b"p");
    let theirs: rs::EncryptUpdateResponse = via_json(&api::EncryptUpdateResponse {
        cipher: blob(b"c"),
        state: blob(b"s2"),
    });
    assert_eq!(&*theirs.state, b"s2");
    let ours: api::EncryptFinalRequest = via_json(&rs::EncryptFinalRequest {
        key: None,
        state: rs::Blob::from("s"),
    });
    assert_eq!(ours.tag_len, None);
    let theirs: rs::EncryptFinalResponse = via_json(&api::EncryptFinalResponse {
        cipher: blob(b"c"),
        tag: None,
    });
    assert_eq!(&*theirs.cipher, b"c");

    let ours: api::DecryptInitRequest = via_json(&rs::DecryptInitRequest {
        key: Some(rs::SobjectDescriptor::Name("k".into())),
        alg: Some(rs::Algorithm::Aes),
        mode: Some(rs::CipherMode::Ctr),
        iv: Some(rs::Blob::from(vec![0; 16])),
    });
    assert_eq!(ours.mode, Some(api::CipherMode::Ctr));
    let theirs: rs::DecryptInitResponse = via_json(&api::DecryptInitResponse {
        kid: Some(id(100)),
        state: blob(b"s"),
    });
    assert_eq!(theirs.kid, Some(id(100)));
    let ours: api::DecryptUpdateRequest = via_json(&rs::DecryptUpdateRequest {
        key: None,
        cipher: rs::Blob::from("c"),
        state: rs::Blob::from("s"),
    });
    assert_eq!(ours.cipher.as_bytes(), b"c");
    let theirs: rs::DecryptUpdateResponse = via_json(&api::DecryptUpdateResponse {
        plain: blob(b"p"),
        state: blob(b"s"),
    });
    assert_eq!(&*theirs.plain, b"p");
    let ours: api::DecryptFinalRequest = via_json(&rs::DecryptFinalRequest {
        key: None,
        state: rs::Blob::from("s"),
    });
    assert_eq!(ours.tag, None);
    let theirs: rs::DecryptFinalResponse = via_json(&api::DecryptFinalResponse {
        plain: blob(b"end"),
    });
    assert_eq!(&*theirs.plain, b"end");
}

#[test]
fn sign_and_verify_cross_both_ways() {
    let pss = rs::SignatureMode::Rsa(rs::RsaSignaturePadding::Pss {
        mgf: rs::Mgf::Mgf1 {
            hash: rs::DigestAlgorithm::Sha256,
        },
    });
    let ours: api::SignRequest = via_json(&rs::SignRequest {
        key: Some(rs::SobjectDescriptor::Name("rsa".into())),
        hash_alg: rs::DigestAlgorithm::Sha256,
        hash: Some(rs::Blob::from(vec![0; 32])),
        data: None,
        mode: Some(pss.clone()),
        deterministic_signature: None,
    });
    assert_eq!(
        ours.mode,
        Some(api::RsaSignaturePadding::pss_mgf1(
            api::DigestAlgorithm::Sha256
        ))
    );
    let back: rs::SignatureMode = via_json(&ours.mode.unwrap());
    assert_eq!(back, pss);

    let v15 = rs::SignatureMode::Rsa(rs::RsaSignaturePadding::Pkcs1V15 {});
    let ours: api::VerifyRequest = via_json(&rs::VerifyRequest {
        key: Some(rs::SobjectDescriptor::Kid(id(100))),
        hash_alg: rs::DigestAlgorithm::Sha512,
        hash: None,
        data: Some(rs::Blob::from("data")),
        mode: Some(v15.clone()),
        signature: rs::Blob::from(vec![1; 256]),
    });
    assert_eq!(ours.mode, Some(api::RsaSignaturePadding::Pkcs1V15));
    assert_eq!(ours.signature.len(), 256);
    let back: rs::SignatureMode = via_json(&ours.mode.unwrap());
    assert_eq!(back, v15);

    let theirs: rs::SignResponse = via_json(&api::SignResponse {
        kid: Some(id(100)),
        signature: blob(&[5; 64]),
    });
    assert_eq!(theirs.signature.len(), 64);
    let theirs: rs::VerifyResponse = via_json(&api::VerifyResponse {
        kid: Some(id(100)),
        result: false,
    });
    assert!(!theirs.result);
}

#[test]
fn mac_and_digest_cross_both_ways() {
    let ours: api::MacRequest = via_json(&rs::MacRequest {
        key: Some(rs::SobjectDescriptor::Name("hmac".into())),
        alg: Some(rs::DigestAlgorithm::Sha256),
        data: rs::Blob::from("data"),
    });
    assert_eq!(ours.alg, Some(api::DigestAlgorithm::Sha256));
    let theirs: rs::MacResponse = via_json(&api::MacResponse::hmac(Some(id(100)), blob(&[3; 32])));
    assert_eq!(theirs.mac.len(), 32);
    assert_eq!(theirs.digest.map(|d| d.len()), Some(32));

    let ours: api::MacVerifyRequest = via_json(&rs::VerifyMacRequest {
        key: None,
        alg: Some(rs::DigestAlgorithm::Sha256),
        data: rs::Blob::from("data"),
        digest: None,
        mac: Some(rs::Blob::from(vec![3; 32])),
    });
    assert_eq!(ours.mac_value().map(|m| m.len()), Some(32));

    for alg in api::DigestAlgorithm::ALL {
        let theirs: rs::DigestAlgorithm = via_json(alg);
        let ours: api::DigestRequest = via_json(&rs::DigestRequest {
            alg: theirs,
            data: rs::Blob::from("x"),
        });
        assert_eq!(ours.alg, *alg);
    }
    let theirs: rs::DigestResponse = via_json(&api::DigestResponse {
        digest: blob(&[1; 32]),
    });
    assert_eq!(theirs.digest.len(), 32);
}

#[test]
fn wrap_unwrap_derive_and_agree_requests_from_rs_decode() {
    let ours: api::WrapKeyRequest = via_json(&rs::WrapKeyRequest {
        key: Some(rs::SobjectDescriptor::Name("kek".into())),
        subject: Some(rs::SobjectDescriptor::Kid(id(100))),
        kid: None,
        alg: rs::Algorithm::Aes,
        mode: Some(rs::CryptMode::Symmetric(rs::CipherMode::Kw)),
        iv: None,
        ad: None,
        tag_len: None,
    });
    assert_eq!(ours.subject, Some(api::SobjectDescriptor::Kid(id(100))));
    assert_eq!(
        ours.mode,
        Some(api::EncryptionMode::Symmetric(api::CipherMode::Kw))
    );
    let theirs: rs::WrapKeyResponse = via_json(&api::WrapKeyResponse {
        wrapped_key: blob(&[1; 40]),
        iv: None,
        tag: None,
    });
    assert_eq!(theirs.wrapped_key.len(), 40);

    let ours: api::UnwrapKeyRequest = via_json(&rs::UnwrapKeyRequest {
        key: Some(rs::SobjectDescriptor::Name("kek".into())),
        alg: rs::Algorithm::Rsa,
        obj_type: rs::ObjectType::Aes,
        rsa: None,
        wrapped_key: rs::Blob::from(vec![1; 256]),
        mode: Some(oaep(rs::DigestAlgorithm::Sha256)),
        iv: None,
        ad: None,
        tag: None,
        name: Some("unwrapped".into()),
        group_id: None,
        enabled: Some(true),
        description: None,
        custom_metadata: None,
        key_ops: Some(rs::KeyOperations::ENCRYPT),
        transient: None,
    });
    assert_eq!(ours.alg, api::ObjectType::Rsa);
    assert_eq!(ours.obj_type, api::ObjectType::Aes);
    assert_eq!(
        ours.mode,
        Some(api::EncryptionMode::Rsa(
            api::RsaEncryptionPadding::oaep_mgf1(api::DigestAlgorithm::Sha256)
        ))
    );

    let ours: api::DeriveKeyRequest = via_json(&rs::DeriveKeyRequest {
        activation_date: None,
        deactivation_date: None,
        key: Some(rs::SobjectDescriptor::Name("base".into())),
        name: Some("derived".into()),
        group_id: None,
        key_type: rs::ObjectType::Aes,
        key_size: 256,
        mechanism: rs::DeriveKeyMechanism::EncryptData(rs::EncryptRequest {
            key: None,
            alg: rs::Algorithm::Aes,
            plain: rs::Blob::from(vec![0; 32]),
            mode: Some(rs::CryptMode::Symmetric(rs::CipherMode::Ecb)),
            iv: None,
            ad: None,
            tag_len: None,
        }),
        enabled: None,
        description: None,
        custom_metadata: None,
        key_ops: None,
        state: None,
        transient: None,
    });
    assert_eq!(ours.key_size, 256);
    let api::DeriveKeyMechanism::EncryptData(inner) = ours.mechanism;
    assert_eq!(inner.plain.len(), 32);

    let ours: api::AgreeKeyRequest = via_json(&rs::AgreeKeyRequest {
        activation_date: None,
        deactivation_date: None,
        private_key: rs::SobjectDescriptor::Name("mine".into()),
        public_key: rs::SobjectDescriptor::Name("theirs".into()),
        mechanism: rs::AgreeKeyMechanism::DiffieHellman,
        name: Some("shared".into()),
        group_id: None,
        key_type: rs::ObjectType::Secret,
        key_size: 256,
        enabled: true,
        description: None,
        custom_metadata: None,
        key_ops: None,
        state: None,
        transient: false,
    });
    assert_eq!(ours.key_type, api::ObjectType::Secret);
    assert_eq!((ours.enabled, ours.transient), (Some(true), Some(false)));
}

#[test]
fn batches_cross_both_ways() {
    let body: api::BatchEncryptRequest = via_json(&vec![rs::BatchEncryptRequestItem {
        kid: id(100),
        request: rs::EncryptRequest {
            key: None,
            alg: rs::Algorithm::Aes,
            plain: rs::Blob::from("x"),
            mode: Some(rs::CryptMode::Symmetric(rs::CipherMode::Cbc)),
            iv: None,
            ad: None,
            tag_len: None,
        },
    }]);
    assert_eq!(body[0].kid, id(100));
    let body: api::BatchDecryptRequest = via_json(&vec![rs::BatchDecryptRequestItem {
        kid: id(100),
        request: rs::DecryptRequest {
            cipher: rs::Blob::from("c"),
            ..Default::default()
        },
    }]);
    assert_eq!(body[0].request.cipher.as_bytes(), b"c");

    let answer: api::BatchResponse<api::EncryptResponse> = vec![
        api::BatchResponseItem::ok(api::EncryptResponse {
            kid: Some(id(100)),
            cipher: blob(&[1]),
            iv: Some(blob(&[0; 16])),
            tag: None,
        }),
        api::BatchResponseItem::error(404, "security object not found"),
    ];
    let theirs: Vec<rs::BatchResponseItem<rs::EncryptResponse>> = via_json(&answer);
    assert_eq!(theirs[0].status(), 200);
    assert!(
        matches!(&theirs[0], rs::BatchResponseItem::Success { body, .. } if body.kid == Some(id(100)))
    );
    assert!(
        matches!(&theirs[1], rs::BatchResponseItem::Error { status: 404, error } if error == "security object not found")
    );

    let answer: api::BatchResponse<api::VerifyResponse> =
        vec![api::BatchResponseItem::ok(api::VerifyResponse {
            kid: None,
            result: true,
        })];
    let theirs: Vec<rs::BatchResponseItem<rs::VerifyResponse>> = via_json(&answer);
    assert!(matches!(&theirs[0], rs::BatchResponseItem::Success { body, .. } if body.result));
}
