//! Generation, export and re-import of every key kind, and the operations each supports.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use coffer_crypto::{
    CipherMode, CryptoError, Curve, DigestAlgorithm, KeyHandle, KeySpec, KeyType,
    RsaEncryptionPadding, SealingKey, SignInput, SignatureScheme, generate, import,
};

fn handle(key_type: KeyType, material: &[u8]) -> KeyHandle {
    KeyHandle::new(key_type, material).unwrap()
}

#[test]
fn every_symmetric_kind_generates_exports_and_reimports() {
    let specs = [
        KeySpec::Aes { bits: 128 },
        KeySpec::Aes { bits: 192 },
        KeySpec::Aes { bits: 256 },
        KeySpec::Hmac { bits: 112 },
        KeySpec::Hmac { bits: 256 },
        KeySpec::Hmac { bits: 8192 },
        KeySpec::Secret { bytes: 48 },
    ];
    for spec in specs {
        let key = generate(spec).unwrap();
        let key_type = spec.key_type();
        let original = handle(key_type, key.material.expose());
        assert_eq!(original.key_size_bits(), key.key_size_bits, "{spec:?}");
        assert!(key.public_key.is_none());

        // Export is the material itself; importing it gives the same material back.
        let reimported = import(key_type, key.material.expose()).unwrap();
        assert_eq!(
            reimported.material.as_ref(),
            Some(&key.material),
            "{spec:?}"
        );
        assert_eq!(reimported.key_size_bits, key.key_size_bits);
        assert!(!reimported.is_public_only());
        let again = handle(key_type, reimported.material.unwrap().expose());

        match key_type {
            KeyType::Aes => {
                let out = original
                    .encrypt(CipherMode::Gcm, None, Some(b"ad"), b"payload", None)
                    .unwrap();
                let back = again
                    .decrypt(
                        CipherMode::Gcm,
                        out.iv.as_deref(),
                        Some(b"ad"),
                        &out.cipher,
                        out.tag.as_deref(),
                    )
                    .unwrap();
                assert_eq!(back.expose(), b"payload");
            }
            KeyType::Hmac => {
                let mac = original.mac(DigestAlgorithm::Sha256, b"payload").unwrap();
                assert!(
                    again
                        .mac_verify(DigestAlgorithm::Sha256, b"payload", &mac)
                        .unwrap()
                );
            }
            _ => {}
        }
    }
}

fn signing_round_trip(
    signer: &KeyHandle,
    verifier: &KeyHandle,
    scheme: SignatureScheme,
    hash: DigestAlgorithm,
) {
    let sig = signer
        .sign(scheme, SignInput::Data(b"payload"), hash)
        .unwrap();
    let digest = hash.digest(b"payload");
    assert!(
        verifier
            .verify(scheme, SignInput::Data(b"payload"), hash, &sig)
            .unwrap()
    );
    assert!(
        verifier
            .verify(scheme, SignInput::Digest(&digest), hash, &sig)
            .unwrap()
    );
    assert!(
        !verifier
            .verify(scheme, SignInput::Data(b"payloae"), hash, &sig)
            .unwrap()
    );
    let mut tampered = sig.clone();
    tampered[sig.len() / 2] ^= 0x04;
    assert!(
        !verifier
            .verify(scheme, SignInput::Data(b"payload"), hash, &tampered)
            .unwrap()
    );
}

#[test]
fn rsa_keys_generate_export_reimport_sign_and_encrypt() {
    for bits in [2048, 3072, 4096] {
        let key = generate(KeySpec::rsa(bits)).unwrap();
        assert_eq!(key.key_size_bits, bits);
        let spki = key.public_key.clone().unwrap();
        let private = handle(KeyType::Rsa, key.material.expose());
        assert_eq!(private.public_key_spki(), Some(spki.as_slice()));

        let reimported = import(KeyType::Rsa, key.material.expose()).unwrap();
        assert_eq!(reimported.material.as_ref(), Some(&key.material));
        assert_eq!(reimported.public_key.as_deref(), Some(spki.as_slice()));
        assert_eq!(reimported.key_size_bits, bits);

        let public = KeyHandle::public_only(KeyType::Rsa, &spki).unwrap();
        assert!(public.is_public_only());
        assert_eq!(public.key_size_bits(), bits);

        for hash in [
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
        ] {
            signing_round_trip(&private, &public, SignatureScheme::RsaPkcs1v15, hash);
            let pss = SignatureScheme::RsaPss {
                mgf_hash: Some(hash),
            };
            signing_round_trip(&private, &public, pss, hash);
        }

        let paddings = [
            RsaEncryptionPadding::Pkcs1v15,
            RsaEncryptionPadding::Oaep(DigestAlgorithm::Sha1),
            RsaEncryptionPadding::Oaep(DigestAlgorithm::Sha256),
            RsaEncryptionPadding::Oaep(DigestAlgorithm::Sha384),
            RsaEncryptionPadding::Oaep(DigestAlgorithm::Sha512),
        ];
        for padding in paddings {
            let cipher = public.rsa_encrypt(padding, b"a wrapped key").unwrap();
            assert_eq!(cipher.len(), bits as usize / 8);
            let plain = private.rsa_decrypt(padding, &cipher).unwrap();
            assert_eq!(plain.expose(), b"a wrapped key", "{padding:?}");
        }
    }
}

#[test]
fn pss_signatures_differ_each_time_but_pkcs1v15_signatures_do_not() {
    let key = generate(KeySpec::rsa(2048)).unwrap();
    let rsa = handle(KeyType::Rsa, key.material.expose());
    let sign = |scheme| {
        rsa.sign(scheme, SignInput::Data(b"m"), DigestAlgorithm::Sha256)
            .unwrap()
    };
    let pss = SignatureScheme::RsaPss { mgf_hash: None };
    assert_ne!(sign(pss), sign(pss));
    assert_eq!(
        sign(SignatureScheme::RsaPkcs1v15),
        sign(SignatureScheme::RsaPkcs1v15)
    );
}

#[test]
fn ec_keys_generate_export_reimport_and_sign_with_any_hash() {
    for curve in Curve::ALL {
        let key = generate(KeySpec::Ec(curve)).unwrap();
        assert_eq!(key.curve, Some(curve));
        let spki = key.public_key.clone().unwrap();
        let private = handle(KeyType::Ec, key.material.expose());
        assert_eq!(private.curve(), Some(curve));
        assert_eq!(private.public_key_spki(), Some(spki.as_slice()));

        let reimported = import(KeyType::Ec, key.material.expose()).unwrap();
        assert_eq!(reimported.material.as_ref(), Some(&key.material));
        assert_eq!(reimported.curve, Some(curve));
        assert_eq!(reimported.key_size_bits, curve.bits());

        let public = KeyHandle::public_only(KeyType::Ec, &spki).unwrap();
        for hash in DigestAlgorithm::ALL {
            signing_round_trip(&private, &public, SignatureScheme::Ecdsa, hash);
        }
    }
}

#[test]
fn rsa_pkcs8_imports_normalize_to_the_pkcs1_encoding() {
    let pkcs1 = include_bytes!("data/rsa2048_pkcs1.der");
    let spki = include_bytes!("data/rsa2048_spki.der");
    for value in [&include_bytes!("data/rsa2048_pkcs8.der")[..], &pkcs1[..]] {
        let key = import(KeyType::Rsa, value).unwrap();
        assert_eq!(key.material.unwrap().expose(), pkcs1);
        assert_eq!(key.public_key.as_deref(), Some(&spki[..]));
        assert_eq!(key.key_size_bits, 2048);
        assert_eq!(key.curve, None);
    }
}

#[test]
fn rsa_public_keys_import_as_spki_from_either_encoding() {
    let spki = include_bytes!("data/rsa2048_spki.der");
    for value in [
        &spki[..],
        &include_bytes!("data/rsa2048_pkcs1_public.der")[..],
    ] {
        let key = import(KeyType::Rsa, value).unwrap();
        assert!(key.is_public_only());
        assert_eq!(key.public_key.as_deref(), Some(&spki[..]));
        assert_eq!(key.key_size_bits, 2048);
    }
}

/// A curve with its key in PKCS#8, RFC 5915 and SPKI form.
type EcFiles = (Curve, &'static [u8], &'static [u8], &'static [u8]);

#[test]
fn ec_pkcs8_imports_normalize_to_the_rfc_5915_encoding() {
    let cases: [EcFiles; 3] = [
        (
            Curve::P256,
            include_bytes!("data/ec_p256_pkcs8.der"),
            include_bytes!("data/ec_p256_rfc5915.der"),
            include_bytes!("data/ec_p256_spki.der"),
        ),
        (
            Curve::P384,
            include_bytes!("data/ec_p384_pkcs8.der"),
            include_bytes!("data/ec_p384_rfc5915.der"),
            include_bytes!("data/ec_p384_spki.der"),
        ),
        (
            Curve::P521,
            include_bytes!("data/ec_p521_pkcs8.der"),
            include_bytes!("data/ec_p521_rfc5915.der"),
            include_bytes!("data/ec_p521_spki.der"),
        ),
    ];
    for (curve, pkcs8, rfc5915, spki) in cases {
        for value in [pkcs8, rfc5915] {
            let key = import(KeyType::Ec, value).unwrap();
            assert_eq!(key.material.unwrap().expose(), rfc5915, "{curve:?}");
            assert_eq!(key.public_key.as_deref(), Some(spki));
            assert_eq!(key.curve, Some(curve));
            assert_eq!(key.key_size_bits, curve.bits());
        }
        let public = import(KeyType::Ec, spki).unwrap();
        assert!(public.is_public_only());
        assert_eq!(public.curve, Some(curve));
        assert_eq!(public.public_key.as_deref(), Some(spki));
    }
}

#[test]
fn keys_of_the_wrong_type_are_rejected_on_import() {
    let ec = include_bytes!("data/ec_p256_rfc5915.der");
    let rsa = include_bytes!("data/rsa2048_pkcs1.der");
    assert!(matches!(
        import(KeyType::Rsa, ec),
        Err(CryptoError::InvalidKey(_))
    ));
    assert!(matches!(
        import(KeyType::Ec, rsa),
        Err(CryptoError::InvalidKey(_))
    ));
    assert!(matches!(
        KeyHandle::new(KeyType::Rsa, ec),
        Err(CryptoError::InvalidKey(_))
    ));
    assert!(matches!(
        KeyHandle::new(KeyType::Ec, rsa),
        Err(CryptoError::InvalidKey(_))
    ));
}

#[test]
fn public_only_keys_verify_and_encrypt_but_never_sign_or_decrypt() {
    let rsa =
        KeyHandle::public_only(KeyType::Rsa, include_bytes!("data/rsa2048_spki.der")).unwrap();
    let sign = rsa.sign(
        SignatureScheme::RsaPkcs1v15,
        SignInput::Data(b"m"),
        DigestAlgorithm::Sha256,
    );
    assert!(matches!(sign, Err(CryptoError::IncompatibleKey(_))));
    let cipher = rsa
        .rsa_encrypt(RsaEncryptionPadding::Pkcs1v15, b"m")
        .unwrap();
    let decrypt = rsa.rsa_decrypt(RsaEncryptionPadding::Pkcs1v15, &cipher);
    assert!(matches!(decrypt, Err(CryptoError::IncompatibleKey(_))));

    let ec = KeyHandle::public_only(KeyType::Ec, include_bytes!("data/ec_p384_spki.der")).unwrap();
    let sign = ec.sign(
        SignatureScheme::Ecdsa,
        SignInput::Data(b"m"),
        DigestAlgorithm::Sha384,
    );
    assert!(matches!(sign, Err(CryptoError::IncompatibleKey(_))));
}

#[test]
fn schemes_must_match_the_key() {
    let rsa = handle(KeyType::Rsa, include_bytes!("data/rsa2048_pkcs1.der"));
    let ec = handle(KeyType::Ec, include_bytes!("data/ec_p256_rfc5915.der"));
    let input = SignInput::Data(b"m");
    let sha256 = DigestAlgorithm::Sha256;
    assert!(matches!(
        rsa.sign(SignatureScheme::Ecdsa, input, sha256),
        Err(CryptoError::IncompatibleKey(_))
    ));
    assert!(matches!(
        ec.sign(SignatureScheme::RsaPkcs1v15, input, sha256),
        Err(CryptoError::IncompatibleKey(_))
    ));
    assert!(matches!(
        ec.encrypt(CipherMode::Cbc, None, None, b"m", None),
        Err(CryptoError::IncompatibleKey(_))
    ));
    assert!(matches!(
        rsa.rsa_encrypt(RsaEncryptionPadding::Oaep(DigestAlgorithm::Sha224), b"m"),
        Err(CryptoError::Unsupported(_))
    ));
}

#[test]
fn precomputed_digests_must_have_the_hash_length() {
    let ec = handle(KeyType::Ec, include_bytes!("data/ec_p256_rfc5915.der"));
    let err = ec.sign(
        SignatureScheme::Ecdsa,
        SignInput::Digest(&[0; 31]),
        DigestAlgorithm::Sha256,
    );
    assert!(matches!(err, Err(CryptoError::InvalidInput(_))));
}

#[test]
fn generated_material_survives_sealing_and_only_under_the_same_aad() {
    let master = SealingKey::generate().unwrap();
    let key = generate(KeySpec::Ec(Curve::P256)).unwrap();
    let blob = master.seal(b"kid-7", key.material.expose()).unwrap();
    let unsealed = master.unseal(b"kid-7", &blob).unwrap();
    assert_eq!(unsealed, key.material);
    assert!(KeyHandle::new(KeyType::Ec, unsealed.expose()).is_ok());
    assert_eq!(
        master.unseal(b"kid-8", &blob),
        Err(CryptoError::DecryptFailed)
    );
}
