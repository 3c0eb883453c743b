//! Known-answer tests against published vectors.
//!
//! Sources: FIPS 180-4 / FIPS 202 example values, RFC 4231 (HMAC-SHA-2), RFC 5869 (HKDF),
//! the GCM specification's test cases (McGrew & Viega; also NIST SP 800-38D), NIST SP 800-38A
//! appendix F (ECB, CBC, CTR), RFC 3394 §4 (KW), NIST SP 800-38F KWP vectors, RFC 6979 A.2.5-A.2.7
//! (ECDSA), and fixed keys and signatures made with OpenSSL 3.0 (`tests/data`, see its README).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use coffer_crypto::{
    CipherMode, CryptoError, DigestAlgorithm, KeyHandle, KeyType, RsaEncryptionPadding, SignInput,
    SignatureScheme, digest, hkdf_sha256, hmac, hmac_verify,
};

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.split_whitespace().collect::<String>()).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Digests
// ---------------------------------------------------------------------------------------------

#[test]
fn sha1_and_sha2_of_abc_match_fips_180() {
    let cases = [
        (
            DigestAlgorithm::Sha1,
            "a9993e364706816aba3e25717850c26c9cd0d89d",
        ),
        (
            DigestAlgorithm::Sha224,
            "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7",
        ),
        (
            DigestAlgorithm::Sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            DigestAlgorithm::Sha384,
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163
             1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
        ),
        (
            DigestAlgorithm::Sha512,
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
    ];
    for (alg, expected) in cases {
        assert_eq!(digest(alg, b"abc"), h(expected), "{alg:?}");
    }
}

#[test]
fn sha3_of_abc_matches_fips_202() {
    let cases = [
        (
            DigestAlgorithm::Sha3_256,
            "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532",
        ),
        (
            DigestAlgorithm::Sha3_384,
            "ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c25
             96da7cf0e49be4b298d88cea927ac7f539f1edf228376d25",
        ),
        (
            DigestAlgorithm::Sha3_512,
            "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e
             10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0",
        ),
    ];
    for (alg, expected) in cases {
        assert_eq!(digest(alg, b"abc"), h(expected), "{alg:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// HMAC (RFC 4231) and HKDF (RFC 5869)
// ---------------------------------------------------------------------------------------------

struct HmacCase {
    name: &'static str,
    key: Vec<u8>,
    data: Vec<u8>,
    sha256: &'static str,
    sha384: &'static str,
    sha512: &'static str,
}

fn rfc4231_cases() -> Vec<HmacCase> {
    vec![
        HmacCase {
            name: "test case 1",
            key: vec![0x0b; 20],
            data: b"Hi There".to_vec(),
            sha256: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            sha384: "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c
                     faea9ea9076ede7f4af152e8b2fa9cb6",
            sha512: "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde
                     daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
        },
        HmacCase {
            name: "test case 2",
            key: b"Jefe".to_vec(),
            data: b"what do ya want for nothing?".to_vec(),
            sha256: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            sha384: "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e
                     8e2240ca5e69e2c78b3239ecfab21649",
            sha512: "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554
                     9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
        },
        HmacCase {
            name: "test case 3",
            key: vec![0xaa; 20],
            data: vec![0xdd; 50],
            sha256: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            sha384: "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b
                     2a5ab39dc13814b94e3ab6e101a34f27",
            sha512: "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39
                     bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb",
        },
        HmacCase {
            name: "test case 4",
            key: (1..=25).collect(),
            data: vec![0xcd; 50],
            sha256: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            sha384: "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e
                     6801dd23c4a7d679ccf8a386c674cffb",
            sha512: "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db
                     a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd",
        },
        HmacCase {
            name: "test case 6",
            key: vec![0xaa; 131],
            data: b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
            sha256: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            sha384: "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6
                     0c2ef6ab4030fe8296248df163f44952",
            sha512: "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352
                     6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
        },
        HmacCase {
            name: "test case 7",
            key: vec![0xaa; 131],
            data: b"This is a test using a larger than block-size key and a larger than \
                    block-size data. The key needs to be hashed before being used by the \
                    HMAC algorithm."
                .to_vec(),
            sha256: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            sha384: "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5
                     a678cc31e799176d3860e6110c46523e",
            sha512: "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944
                     b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
        },
    ]
}

#[test]
fn hmac_sha2_matches_rfc_4231() {
    for case in rfc4231_cases() {
        for (alg, expected) in [
            (DigestAlgorithm::Sha256, case.sha256),
            (DigestAlgorithm::Sha384, case.sha384),
            (DigestAlgorithm::Sha512, case.sha512),
        ] {
            let expected = h(expected);
            assert_eq!(
                hmac(alg, &case.key, &case.data).unwrap(),
                expected,
                "{} {alg:?}",
                case.name
            );
            assert!(hmac_verify(alg, &case.key, &case.data, &expected).unwrap());
        }
    }
}

#[test]
fn hmac_key_handles_match_rfc_4231() {
    for case in rfc4231_cases() {
        let handle = KeyHandle::new(KeyType::Hmac, &case.key).unwrap();
        let expected = h(case.sha512);
        assert_eq!(
            handle.mac(DigestAlgorithm::Sha512, &case.data).unwrap(),
            expected
        );
        assert!(
            handle
                .mac_verify(DigestAlgorithm::Sha512, &case.data, &expected)
                .unwrap()
        );
        let mut wrong = expected;
        wrong[63] ^= 1;
        assert!(
            !handle
                .mac_verify(DigestAlgorithm::Sha512, &case.data, &wrong)
                .unwrap()
        );
    }
}

#[test]
fn hmac_sha2_truncated_test_case_5_is_not_accepted_as_a_full_tag() {
    // RFC 4231 test case 5 publishes only the first 128 bits; truncated tags are refused.
    let key = vec![0x0c; 20];
    let data = b"Test With Truncation";
    let truncated = h("a3b6167473100ee06e0c796c2955552b");
    let full = hmac(DigestAlgorithm::Sha256, &key, data).unwrap();
    assert_eq!(&full[..16], truncated.as_slice());
    assert!(!hmac_verify(DigestAlgorithm::Sha256, &key, data, &truncated).unwrap());
}

#[test]
fn hkdf_sha256_matches_rfc_5869_case_1() {
    let okm = hkdf_sha256(
        &[0x0b; 22],
        &h("000102030405060708090a0b0c"),
        &h("f0f1f2f3f4f5f6f7f8f9"),
        42,
    )
    .unwrap();
    assert_eq!(
        okm.expose(),
        h(
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf
           34007208d5b887185865"
        )
    );
}

// ---------------------------------------------------------------------------------------------
// AES
// ---------------------------------------------------------------------------------------------

fn aes(key: &str) -> KeyHandle {
    KeyHandle::new(KeyType::Aes, &h(key)).unwrap()
}

struct GcmCase {
    name: &'static str,
    key: &'static str,
    iv: &'static str,
    plain: &'static str,
    ad: &'static str,
    cipher: &'static str,
    tag: &'static str,
}

const GCM_P64: &str = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
                       1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
const GCM_P60: &str = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
                       1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
const GCM_AD: &str = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
const GCM_IV: &str = "cafebabefacedbaddecaf888";
const GCM_K128: &str = "feffe9928665731c6d6a8f9467308308";
const GCM_K192: &str = "feffe9928665731c6d6a8f9467308308feffe9928665731c";
const GCM_K256: &str = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
const ZERO_IV: &str = "000000000000000000000000";
const ZERO_BLOCK: &str = "00000000000000000000000000000000";

fn gcm_cases() -> Vec<GcmCase> {
    vec![
        GcmCase {
            name: "test case 1",
            key: ZERO_BLOCK,
            iv: ZERO_IV,
            plain: "",
            ad: "",
            cipher: "",
            tag: "58e2fccefa7e3061367f1d57a4e7455a",
        },
        GcmCase {
            name: "test case 2",
            key: ZERO_BLOCK,
            iv: ZERO_IV,
            plain: ZERO_BLOCK,
            ad: "",
            cipher: "0388dace60b6a392f328c2b971b2fe78",
            tag: "ab6e47d42cec13bdf53a67b21257bddf",
        },
        GcmCase {
            name: "test case 3",
            key: GCM_K128,
            iv: GCM_IV,
            plain: GCM_P64,
            ad: "",
            cipher: "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e
                     21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
            tag: "4d5c2af327cd64a62cf35abd2ba6fab4",
        },
        GcmCase {
            name: "test case 4",
            key: GCM_K128,
            iv: GCM_IV,
            plain: GCM_P60,
            ad: GCM_AD,
            cipher: "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e
                     21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
            tag: "5bc94fbc3221a5db94fae95ae7121a47",
        },
        GcmCase {
            name: "test case 7",
            key: "000000000000000000000000000000000000000000000000",
            iv: ZERO_IV,
            plain: "",
            ad: "",
            cipher: "",
            tag: "cd33b28ac773f74ba00ed1f312572435",
        },
        GcmCase {
            name: "test case 8",
            key: "000000000000000000000000000000000000000000000000",
            iv: ZERO_IV,
            plain: ZERO_BLOCK,
            ad: "",
            cipher: "98e7247c07f0fe411c267e4384b0f600",
            tag: "2ff58d80033927ab8ef4d4587514f0fb",
        },
        GcmCase {
            name: "test case 9",
            key: GCM_K192,
            iv: GCM_IV,
            plain: GCM_P64,
            ad: "",
            cipher: "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c
                     7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710acade256",
            tag: "9924a7c8587336bfb118024db8674a14",
        },
        GcmCase {
            name: "test case 10",
            key: GCM_K192,
            iv: GCM_IV,
            plain: GCM_P60,
            ad: GCM_AD,
            cipher: "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c
                     7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710",
            tag: "2519498e80f1478f37ba55bd6d27618c",
        },
        GcmCase {
            name: "test case 13",
            key: "0000000000000000000000000000000000000000000000000000000000000000",
            iv: ZERO_IV,
            plain: "",
            ad: "",
            cipher: "",
            tag: "530f8afbc74536b9a963b4f1c4cb738b",
        },
        GcmCase {
            name: "test case 14",
            key: "0000000000000000000000000000000000000000000000000000000000000000",
            iv: ZERO_IV,
            plain: ZERO_BLOCK,
            ad: "",
            cipher: "cea7403d4d606b6e074ec5d3baf39d18",
            tag: "d0d1c8a799996bf0265b98b5d48ab919",
        },
        GcmCase {
            name: "test case 15",
            key: GCM_K256,
            iv: GCM_IV,
            plain: GCM_P64,
            ad: "",
            cipher: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa
                     8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
            tag: "b094dac5d93471bdec1a502270e3cc6c",
        },
        GcmCase {
            name: "test case 16",
            key: GCM_K256,
            iv: GCM_IV,
            plain: GCM_P60,
            ad: GCM_AD,
            cipher: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa
                     8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
            tag: "76fc6ece0f4e1768cddf8853bb2d551b",
        },
    ]
}

#[test]
fn aes_gcm_matches_the_gcm_specification_test_cases() {
    for case in gcm_cases() {
        let key = aes(case.key);
        let (iv, ad, plain) = (h(case.iv), h(case.ad), h(case.plain));
        let out = key
            .encrypt(CipherMode::Gcm, Some(&iv), Some(&ad), &plain, Some(128))
            .unwrap();
        assert_eq!(out.cipher, h(case.cipher), "{}", case.name);
        assert_eq!(out.tag, Some(h(case.tag)), "{}", case.name);
        assert_eq!(out.iv, Some(iv.clone()));
        let back = key
            .decrypt(
                CipherMode::Gcm,
                Some(&iv),
                Some(&ad),
                &h(case.cipher),
                Some(&h(case.tag)),
            )
            .unwrap();
        assert_eq!(back.expose(), plain.as_slice(), "{}", case.name);
    }
}

#[test]
fn aes_gcm_refuses_published_ciphertexts_with_a_flipped_tag_bit_or_other_ad() {
    for case in gcm_cases() {
        let key = aes(case.key);
        let iv = h(case.iv);
        let mut tag = h(case.tag);
        let cipher = h(case.cipher);
        let other_ad = b"not the header";
        let err = key.decrypt(
            CipherMode::Gcm,
            Some(&iv),
            Some(other_ad),
            &cipher,
            Some(&tag),
        );
        assert_eq!(err, Err(CryptoError::DecryptFailed), "{}", case.name);
        tag[0] ^= 0x01;
        let err = key.decrypt(
            CipherMode::Gcm,
            Some(&iv),
            Some(&h(case.ad)),
            &cipher,
            Some(&tag),
        );
        assert_eq!(err, Err(CryptoError::DecryptFailed), "{}", case.name);
    }
}

const SP800_38A_PLAIN: &str = "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
                               30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710";
const SP800_38A_K128: &str = "2b7e151628aed2a6abf7158809cf4f3c";
const SP800_38A_K192: &str = "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b";
const SP800_38A_K256: &str = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";

#[test]
fn aes_ecb_matches_sp_800_38a_f_1_1() {
    let key = aes(SP800_38A_K128);
    let out = key
        .encrypt(CipherMode::Ecb, None, None, &h(SP800_38A_PLAIN), None)
        .unwrap();
    let expected = h(
        "3ad77bb40d7a3660a89ecaf32466ef97 f5d3d58503b9699de785895a96fdbaaf
                      43b1cd7f598ece23881b00e3ed030688 7b0c785e27e8ad3f8223207104725dd4",
    );
    assert_eq!(out.cipher, expected);
    assert_eq!(out.iv, None);
    let back = key
        .decrypt(CipherMode::Ecb, None, None, &expected, None)
        .unwrap();
    assert_eq!(back.expose(), h(SP800_38A_PLAIN));
}

#[test]
fn aes_cbc_matches_sp_800_38a_f_2() {
    let iv = h("000102030405060708090a0b0c0d0e0f");
    let cases = [
        (
            SP800_38A_K128,
            "7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2
             73bed6b8e3c1743b7116e69e22229516 3ff1caa1681fac09120eca307586e1a7",
        ),
        (
            SP800_38A_K192,
            "4f021db243bc633d7178183a9fa071e8 b4d9ada9ad7dedf4e5e738763f69145a
             571b242012fb7ae07fa9baac3df102e0 08b0e27988598881d920a9e64f5615cd",
        ),
        (
            SP800_38A_K256,
            "f58c4c04d6e5f1ba779eabfb5f7bfbd6 9cfc4e967edb808d679f777bc6702c7d
             39f23369a9d9bacfa530e26304231461 b2eb05e2c39be9fcda6c19078c6a9d1b",
        ),
    ];
    for (key_hex, expected) in cases {
        let key = aes(key_hex);
        let expected = h(expected);
        let plain = h(SP800_38A_PLAIN);

        // Without padding the output is exactly the published ciphertext.
        let out = key
            .encrypt(CipherMode::CbcNoPad, Some(&iv), None, &plain, None)
            .unwrap();
        assert_eq!(out.cipher, expected, "{key_hex}");
        let back = key
            .decrypt(CipherMode::CbcNoPad, Some(&iv), None, &expected, None)
            .unwrap();
        assert_eq!(back.expose(), plain.as_slice());

        // With PKCS#7 padding it is the published ciphertext plus one block of padding.
        let padded = key
            .encrypt(CipherMode::Cbc, Some(&iv), None, &plain, None)
            .unwrap();
        assert_eq!(padded.cipher.len(), 80);
        assert_eq!(&padded.cipher[..64], expected.as_slice());
        let back = key
            .decrypt(CipherMode::Cbc, Some(&iv), None, &padded.cipher, None)
            .unwrap();
        assert_eq!(back.expose(), plain.as_slice());
    }
}

#[test]
fn aes_ctr_matches_sp_800_38a_f_5() {
    let counter = h("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    let cases = [
        (
            SP800_38A_K128,
            "874d6191b620e3261bef6864990db6ce 9806f66b7970fdff8617187bb9fffdff
             5ae4df3edbd5d35e5b4f09020db03eab 1e031dda2fbe03d1792170a0f3009cee",
        ),
        (
            SP800_38A_K192,
            "1abc932417521ca24f2b0459fe7e6e0b 090339ec0aa6faefd5ccc2c6f4ce8e94
             1e36b26bd1ebc670d1bd1d665620abf7 4f78a7f6d29809585a97daec58c6b050",
        ),
        (
            SP800_38A_K256,
            "601ec313775789a5b7a7f504bbf3d228 f443e3ca4d62b59aca84e990cacaf5c5
             2b0930daa23de94ce87017ba2d84988d dfc9c58db67aada613c2dd08457941a6",
        ),
    ];
    for (key_hex, expected) in cases {
        let key = aes(key_hex);
        let expected = h(expected);
        let out = key
            .encrypt(
                CipherMode::Ctr,
                Some(&counter),
                None,
                &h(SP800_38A_PLAIN),
                None,
            )
            .unwrap();
        assert_eq!(out.cipher, expected, "{key_hex}");
        let back = key
            .decrypt(CipherMode::Ctr, Some(&counter), None, &expected, None)
            .unwrap();
        assert_eq!(back.expose(), h(SP800_38A_PLAIN));
    }
}

#[test]
fn aes_key_wrap_matches_rfc_3394_section_4() {
    let kek128 = "000102030405060708090A0B0C0D0E0F";
    let kek256 = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F";
    let cases = [
        (
            "4.1",
            kek128,
            "00112233445566778899AABBCCDDEEFF",
            "1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5",
        ),
        (
            "4.3",
            kek256,
            "00112233445566778899AABBCCDDEEFF",
            "64E8C3F9CE0F5BA2 63E9777905818A2A 93C8191E7D6E8AE7",
        ),
        (
            "4.6",
            kek256,
            "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
            "28C9F404C4B810F4 CBCCB35CFB87F826 3F5786E2D80ED326 CBC7F0E71A99F43B
             FB988B9B7A02DD21",
        ),
    ];
    for (section, kek, key_data, wrapped) in cases {
        let kek = aes(kek);
        let out = kek
            .encrypt(CipherMode::Kw, None, None, &h(key_data), None)
            .unwrap();
        assert_eq!(out.cipher, h(wrapped), "section {section}");
        assert_eq!((out.iv, out.tag), (None, None));
        let back = kek
            .decrypt(CipherMode::Kw, None, None, &h(wrapped), None)
            .unwrap();
        assert_eq!(back.expose(), h(key_data), "section {section}");
        let mut tampered = h(wrapped);
        tampered[0] ^= 1;
        let err = kek.decrypt(CipherMode::Kw, None, None, &tampered, None);
        assert_eq!(err, Err(CryptoError::DecryptFailed));
    }
}

#[test]
fn aes_key_wrap_with_padding_matches_nist_sp_800_38f_vectors() {
    // RFC 5649 §6 uses a 192-bit KEK, which aws-lc-rs's key wrap does not offer; these are
    // NIST's KWP_AE_128 / KWP_AE_256 vectors (CAVS 21.4) instead.
    let cases = [
        (
            "7efb9b3964de316e7245c86186d98b5f",
            "3e",
            "116a4054c13b7fea de9c22aa57b3caed",
        ),
        (
            "45c770fc267175072d70a38269c54685",
            "cc5fb15a17795c34",
            "78ffa3f03b65c55b 812f355730af71ac",
        ),
        (
            "853e2bac0f1e629867acea0d2b3c087e",
            "49575527bc59530fbe",
            "b43781062eb0317e b2dec6329f2d64de 1c33d85570d57db6",
        ),
        (
            "2800f18237cf8d2ba1dfe361784fd7519b0fdb0ec73e2ab1c0b966b9173fc5b5",
            "ad",
            "c1eccf2d077a385e 67aaeb35552c893c",
        ),
    ];
    for (kek, key_data, wrapped) in cases {
        let kek = aes(kek);
        let out = kek
            .encrypt(CipherMode::Kwp, None, None, &h(key_data), None)
            .unwrap();
        assert_eq!(out.cipher, h(wrapped), "{key_data}");
        let back = kek
            .decrypt(CipherMode::Kwp, None, None, &h(wrapped), None)
            .unwrap();
        assert_eq!(back.expose(), h(key_data));
        let mut tampered = h(wrapped);
        tampered[9] ^= 1;
        let err = kek.decrypt(CipherMode::Kwp, None, None, &tampered, None);
        assert_eq!(err, Err(CryptoError::DecryptFailed));
    }
}

#[test]
fn rfc_5649_vectors_need_aes_192_key_wrap_which_is_unsupported() {
    let kek = aes("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8");
    let err = kek.encrypt(CipherMode::Kwp, None, None, &h("466f7250617369"), None);
    assert!(matches!(err, Err(CryptoError::Unsupported(_))));
}

// ---------------------------------------------------------------------------------------------
// ECDSA (RFC 6979 appendix A.2.5-A.2.7, message "sample")
// ---------------------------------------------------------------------------------------------

fn der_integer(bytes: &[u8]) -> Vec<u8> {
    let first = bytes
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(bytes.len() - 1);
    let mut value = bytes[first..].to_vec();
    if value[0] & 0x80 != 0 {
        value.insert(0, 0);
    }
    let mut out = vec![0x02, value.len() as u8];
    out.extend(value);
    out
}

fn der_signature(r: &str, s: &str) -> Vec<u8> {
    let mut body = der_integer(&h(r));
    body.extend(der_integer(&h(s)));
    let mut out = vec![0x30];
    if body.len() >= 0x80 {
        out.push(0x81);
    }
    out.push(body.len() as u8);
    out.extend(body);
    out
}

/// SubjectPublicKeyInfo for an uncompressed point `04 || x || y`.
fn ec_spki(prefix: &str, x: &str, y: &str) -> Vec<u8> {
    let mut out = h(prefix);
    out.push(0x04);
    out.extend(h(x));
    out.extend(h(y));
    out
}

const P256_SPKI_PREFIX: &str = "3059301306072a8648ce3d020106082a8648ce3d030107034200";
const P384_SPKI_PREFIX: &str = "3076301006072a8648ce3d020106052b81040022036200";
const P521_SPKI_PREFIX: &str = "30819b301006072a8648ce3d020106052b8104002303818600";

fn check_rfc6979(spki: &[u8], vectors: &[(DigestAlgorithm, &str, &str)]) {
    let key = KeyHandle::public_only(KeyType::Ec, spki).unwrap();
    for &(hash, r, s) in vectors {
        let sig = der_signature(r, s);
        let ok = |input, sig: &[u8]| {
            key.verify(SignatureScheme::Ecdsa, input, hash, sig)
                .unwrap()
        };
        assert!(ok(SignInput::Data(b"sample"), &sig), "{hash:?}");
        let digest = hash.digest(b"sample");
        assert!(ok(SignInput::Digest(&digest), &sig), "{hash:?} digest");
        assert!(
            !ok(SignInput::Data(b"samplf"), &sig),
            "{hash:?} other message"
        );
        let mut flipped = sig.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x01;
        assert!(
            !ok(SignInput::Data(b"sample"), &flipped),
            "{hash:?} flipped bit"
        );
    }
}

#[test]
fn ecdsa_p256_verifies_rfc_6979_a_2_5_for_every_hash() {
    let spki = ec_spki(
        P256_SPKI_PREFIX,
        "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6",
        "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299",
    );
    check_rfc6979(
        &spki,
        &[
            (
                DigestAlgorithm::Sha1,
                "61340C88C3AAEBEB4F6D667F672CA9759A6CCAA9FA8811313039EE4A35471D32",
                "6D7F147DAC089441BB2E2FE8F7A3FA264B9C475098FDCF6E00D7C996E1B8B7EB",
            ),
            (
                DigestAlgorithm::Sha224,
                "53B2FFF5D1752B2C689DF257C04C40A587FABABB3F6FC2702F1343AF7CA9AA3F",
                "B9AFB64FDC03DC1A131C7D2386D11E349F070AA432A4ACC918BEA988BF75C74C",
            ),
            (
                DigestAlgorithm::Sha256,
                "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716",
                "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8",
            ),
            (
                DigestAlgorithm::Sha384,
                "0EAFEA039B20E9B42309FB1D89E213057CBF973DC0CFC8F129EDDDC800EF7719",
                "4861F0491E6998B9455193E34E7B0D284DDD7149A74B95B9261F13ABDE940954",
            ),
            (
                DigestAlgorithm::Sha512,
                "8496A60B5E9B47C825488827E0495B0E3FA109EC4568FD3F8D1097678EB97F00",
                "2362AB1ADBE2B8ADF9CB9EDAB740EA6049C028114F2460F96554F61FAE3302FE",
            ),
        ],
    );
}

#[test]
fn ecdsa_p384_verifies_rfc_6979_a_2_6_for_every_hash() {
    let spki = ec_spki(
        P384_SPKI_PREFIX,
        "EC3A4E415B4E19A4568618029F427FA5DA9A8BC4AE92E02E06AAE5286B300C64
         DEF8F0EA9055866064A254515480BC13",
        "8015D9B72D7D57244EA8EF9AC0C621896708A59367F9DFB9F54CA84B3F1C9DB1
         288B231C3AE0D4FE7344FD2533264720",
    );
    check_rfc6979(
        &spki,
        &[
            (
                DigestAlgorithm::Sha1,
                "EC748D839243D6FBEF4FC5C4859A7DFFD7F3ABDDF72014540C16D73309834FA3
                 7B9BA002899F6FDA3A4A9386790D4EB2",
                "A3BCFA947BEEF4732BF247AC17F71676CB31A847B9FF0CBC9C9ED4C1A5B3FACF
                 26F49CA031D4857570CCB5CA4424A443",
            ),
            (
                DigestAlgorithm::Sha224,
                "42356E76B55A6D9B4631C865445DBE54E056D3B3431766D0509244793C3F9366
                 450F76EE3DE43F5A125333A6BE060122",
                "9DA0C81787064021E78DF658F2FBB0B042BF304665DB721F077A4298B095E483
                 4C082C03D83028EFBF93A3C23940CA8D",
            ),
            (
                DigestAlgorithm::Sha256,
                "21B13D1E013C7FA1392D03C5F99AF8B30C570C6F98D4EA8E354B63A21D3DAA33
                 BDE1E888E63355D92FA2B3C36D8FB2CD",
                "F3AA443FB107745BF4BD77CB3891674632068A10CA67E3D45DB2266FA7D1FEEB
                 EFDC63ECCD1AC42EC0CB8668A4FA0AB0",
            ),
            (
                DigestAlgorithm::Sha384,
                "94EDBB92A5ECB8AAD4736E56C691916B3F88140666CE9FA73D64C4EA95AD133C
                 81A648152E44ACF96E36DD1E80FABE46",
                "99EF4AEB15F178CEA1FE40DB2603138F130E740A19624526203B6351D0A3A94F
                 A329C145786E679E7B82C71A38628AC8",
            ),
            (
                DigestAlgorithm::Sha512,
                "ED0959D5880AB2D869AE7F6C2915C6D60F96507F9CB3E047C0046861DA4A799C
                 FE30F35CC900056D7C99CD7882433709",
                "512C8CCEEE3890A84058CE1E22DBC2198F42323CE8ACA9135329F03C068E5112
                 DC7CC3EF3446DEFCEB01A45C2667FDD5",
            ),
        ],
    );
}

#[test]
fn ecdsa_p521_verifies_rfc_6979_a_2_7_for_every_hash() {
    let spki = ec_spki(
        P521_SPKI_PREFIX,
        "01894550D0785932E00EAA23B694F213F8C3121F86DC97A04E5A7167DB4E5BCD
         371123D46E45DB6B5D5370A7F20FB633155D38FFA16D2BD761DCAC474B9A2F5023A4",
        "00493101C962CD4D2FDDF782285E64584139C2F91B47F87FF82354D6630F746A
         28A0DB25741B5B34A828008B22ACC23F924FAAFBD4D33F81EA66956DFEAA2BFDFCF5",
    );
    check_rfc6979(
        &spki,
        &[
            (
                DigestAlgorithm::Sha1,
                "00343B6EC45728975EA5CBA6659BBB6062A5FF89EEA58BE3C80B619F322C8791
                 0FE092F7D45BB0F8EEE01ED3F20BABEC079D202AE677B243AB40B5431D497C55D75D",
                "00E7B0E675A9B24413D448B8CC119D2BF7B2D2DF032741C096634D6D65D0DBE3
                 D5694625FB9E8104D3B842C1B0E2D0B98BEA19341E8676AEF66AE4EBA3D5475D5D16",
            ),
            (
                DigestAlgorithm::Sha224,
                "01776331CFCDF927D666E032E00CF776187BC9FDD8E69D0DABB4109FFE1B5E2A
                 30715F4CC923A4A5E94D2503E9ACFED92857B7F31D7152E0F8C00C15FF3D87E2ED2E",
                "0050CB5265417FE2320BBB5A122B8E1A32BD699089851128E360E620A30C7E17
                 BA41A666AF126CE100E5799B153B60528D5300D08489CA9178FB610A2006C254B41F",
            ),
            (
                DigestAlgorithm::Sha256,
                "01511BB4D675114FE266FC4372B87682BAECC01D3CC62CF2303C92B352601265
                 9D16876E25C7C1E57648F23B73564D67F61C6F14D527D54972810421E7D87589E1A7",
                "004A171143A83163D6DF460AAF61522695F207A58B95C0644D87E52AA1A34791
                 6E4F7A72930B1BC06DBE22CE3F58264AFD23704CBB63B29B931F7DE6C9D949A7ECFC",
            ),
            (
                DigestAlgorithm::Sha384,
                "01EA842A0E17D2DE4F92C15315C63DDF72685C18195C2BB95E572B9C5136CA4B
                 4B576AD712A52BE9730627D16054BA40CC0B8D3FF035B12AE75168397F5D50C67451",
                "01F21A3CEE066E1961025FB048BD5FE2B7924D0CD797BABE0A83B66F1E35EEAF
                 5FDE143FA85DC394A7DEE766523393784484BDF3E00114A1C857CDE1AA203DB65D61",
            ),
            (
                DigestAlgorithm::Sha512,
                "00C328FAFCBD79DD77850370C46325D987CB525569FB63C5D3BC53950E6D4C5F
                 174E25A1EE9017B5D450606ADD152B534931D7D4E8455CC91F9B15BF05EC36E377FA",
                "00617CCE7CF5064806C467F678D3B4080D6F1CC50AF26CA209417308281B68AF
                 282623EAA63E5B5C0723D8B8C37FF0777B1A20F8CCB1DCCC43997F1EE0E44DA4A67A",
            ),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// Cross-checks against OpenSSL with fixed keys (tests/data)
// ---------------------------------------------------------------------------------------------

const MESSAGE: &[u8] = b"Coffer known-answer test";

fn rsa_key() -> KeyHandle {
    KeyHandle::new(KeyType::Rsa, include_bytes!("data/rsa2048_pkcs1.der")).unwrap()
}

fn rsa_public() -> KeyHandle {
    KeyHandle::public_only(KeyType::Rsa, include_bytes!("data/rsa2048_spki.der")).unwrap()
}

#[test]
fn rsa_pkcs1v15_signatures_equal_openssl_byte_for_byte() {
    let key = rsa_key();
    let cases: [(DigestAlgorithm, &[u8]); 2] = [
        (
            DigestAlgorithm::Sha256,
            include_bytes!("data/rsa2048_pkcs1v15_sha256.sig"),
        ),
        (
            DigestAlgorithm::Sha512,
            include_bytes!("data/rsa2048_pkcs1v15_sha512.sig"),
        ),
    ];
    for (hash, expected) in cases {
        let sig = key
            .sign(SignatureScheme::RsaPkcs1v15, SignInput::Data(MESSAGE), hash)
            .unwrap();
        assert_eq!(sig, expected, "{hash:?}");
        let digest = hash.digest(MESSAGE);
        let sig = key
            .sign(
                SignatureScheme::RsaPkcs1v15,
                SignInput::Digest(&digest),
                hash,
            )
            .unwrap();
        assert_eq!(sig, expected, "{hash:?} over a pre-computed digest");
    }
}

#[test]
fn openssl_rsa_signatures_verify_and_tampering_is_detected() {
    let public = rsa_public();
    let pss = SignatureScheme::RsaPss { mgf_hash: None };
    let cases: [(SignatureScheme, DigestAlgorithm, &[u8]); 3] = [
        (
            SignatureScheme::RsaPkcs1v15,
            DigestAlgorithm::Sha1,
            include_bytes!("data/rsa2048_pkcs1v15_sha1.sig"),
        ),
        (
            SignatureScheme::RsaPkcs1v15,
            DigestAlgorithm::Sha256,
            include_bytes!("data/rsa2048_pkcs1v15_sha256.sig"),
        ),
        (
            pss,
            DigestAlgorithm::Sha256,
            include_bytes!("data/rsa2048_pss_sha256.sig"),
        ),
    ];
    for (scheme, hash, sig) in cases {
        assert!(
            public
                .verify(scheme, SignInput::Data(MESSAGE), hash, sig)
                .unwrap(),
            "{scheme:?} {hash:?}"
        );
        let mut tampered = sig.to_vec();
        tampered[100] ^= 0x10;
        assert!(
            !public
                .verify(scheme, SignInput::Data(MESSAGE), hash, &tampered)
                .unwrap()
        );
        assert!(
            !public
                .verify(scheme, SignInput::Data(b"other"), hash, sig)
                .unwrap()
        );
    }
}

#[test]
fn openssl_rsa_ciphertexts_decrypt() {
    let key = rsa_key();
    let oaep = RsaEncryptionPadding::Oaep(DigestAlgorithm::Sha256);
    let plain = key
        .rsa_decrypt(oaep, include_bytes!("data/rsa2048_oaep_sha256.bin"))
        .unwrap();
    assert_eq!(plain.expose(), MESSAGE);
    let plain = key
        .rsa_decrypt(
            RsaEncryptionPadding::Pkcs1v15,
            include_bytes!("data/rsa2048_pkcs1v15.bin"),
        )
        .unwrap();
    assert_eq!(plain.expose(), MESSAGE);

    let mut tampered = include_bytes!("data/rsa2048_oaep_sha256.bin").to_vec();
    tampered[5] ^= 1;
    assert_eq!(
        key.rsa_decrypt(oaep, &tampered),
        Err(CryptoError::DecryptFailed)
    );
    let sha1 = RsaEncryptionPadding::Oaep(DigestAlgorithm::Sha1);
    let wrong_hash = key.rsa_decrypt(sha1, include_bytes!("data/rsa2048_oaep_sha256.bin"));
    assert_eq!(wrong_hash, Err(CryptoError::DecryptFailed));
}

#[test]
fn openssl_ecdsa_signatures_verify() {
    let cases: [(&[u8], DigestAlgorithm, &[u8]); 3] = [
        (
            include_bytes!("data/ec_p256_spki.der"),
            DigestAlgorithm::Sha256,
            include_bytes!("data/ec_p256_sha256.sig"),
        ),
        (
            include_bytes!("data/ec_p384_spki.der"),
            DigestAlgorithm::Sha384,
            include_bytes!("data/ec_p384_sha384.sig"),
        ),
        (
            include_bytes!("data/ec_p521_spki.der"),
            DigestAlgorithm::Sha512,
            include_bytes!("data/ec_p521_sha512.sig"),
        ),
    ];
    for (spki, hash, sig) in cases {
        let key = KeyHandle::public_only(KeyType::Ec, spki).unwrap();
        assert!(
            key.verify(SignatureScheme::Ecdsa, SignInput::Data(MESSAGE), hash, sig)
                .unwrap()
        );
        assert!(
            !key.verify(SignatureScheme::Ecdsa, SignInput::Data(b"other"), hash, sig)
                .unwrap()
        );
    }
}
