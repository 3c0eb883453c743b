//! Key material at rest: never in plaintext on disk, and still usable after a restart
//! (SPEC R-API-2).

use std::path::{Path, PathBuf};

use anyhow::{Context, ensure};
use coffer_compat_tests::clients;
use coffer_compat_tests::data::{b64, leak_forms, random_bytes, unique_name};
use coffer_compat_tests::der;
use coffer_compat_tests::keys::{self, by_kid, kid};
use coffer_compat_tests::{CofferServer, sdkms};
use coffer_testkit::files::{contains, files_under};
use sdkms::api_model::*;

/// The one file in the data directory that holds secrets in the clear on purpose: the dev
/// credentials the evaluator is meant to read.
const CREDENTIALS_FILE: &str = "dev-credentials.json";

#[test]
fn key_material_never_reaches_the_disk_in_plaintext_and_survives_a_restart() -> anyhow::Result<()> {
    let mut server = CofferServer::start_dev()?;
    let credentials = server.credentials().clone();
    let app = clients::app_with_api_key(&server)?;

    eprintln!("--- import an AES-256 key with known bytes and encrypt with it");
    let aes_bytes = random_bytes(32);
    let aes = app.import_sobject(&keys::import(
        &unique_name("disk-aes"),
        ObjectType::Aes,
        &aes_bytes,
    ))?;
    let aes_plain = random_bytes(40);
    let aes_cipher = app.encrypt(&keys::aes_encrypt(kid(&aes)?, CipherMode::Cbc, &aes_plain))?;

    eprintln!("--- generate an exportable AES key and read its value");
    let generated = app.create_sobject(&keys::with_ops(
        keys::generate(&unique_name("disk-gen"), ObjectType::Aes, 256),
        keys::default_ops(ObjectType::Aes) | KeyOperations::EXPORT,
    ))?;
    let generated_bytes: Vec<u8> = app
        .export_sobject(&by_kid(kid(&generated)?))?
        .value
        .context("export without value")?
        .into();
    let generated_plain = random_bytes(29);
    let generated_cipher = app.encrypt(&keys::aes_encrypt(
        kid(&generated)?,
        CipherMode::Gcm,
        &generated_plain,
    ))?;

    eprintln!("--- import an HMAC key with known bytes and MAC with it");
    let hmac_bytes = random_bytes(32);
    let hmac = app.import_sobject(&keys::import(
        &unique_name("disk-hmac"),
        ObjectType::Hmac,
        &hmac_bytes,
    ))?;
    let mac = app.mac(&MacRequest {
        key: Some(by_kid(kid(&hmac)?)),
        alg: Some(DigestAlgorithm::Sha256),
        data: Blob::from("persist me"),
    })?;

    eprintln!("--- generate an exportable RSA key, read its private exponent, sign");
    let rsa = app.create_sobject(&keys::with_ops(
        keys::generate(&unique_name("disk-rsa"), ObjectType::Rsa, 2048),
        keys::default_ops(ObjectType::Rsa) | KeyOperations::EXPORT,
    ))?;
    let rsa_der: Vec<u8> = app
        .export_sobject(&by_kid(kid(&rsa)?))?
        .value
        .context("export without value")?
        .into();
    let rsa_fields = der::children(der::read_all(&rsa_der)?.content)?;
    let private_exponent =
        der::unsigned(rsa_fields.get(3).context("no private exponent")?.content).to_vec();
    let signature = app.sign(&SignRequest {
        key: Some(by_kid(kid(&rsa)?)),
        hash_alg: DigestAlgorithm::Sha256,
        hash: None,
        data: Some(Blob::from("persist me")),
        mode: None,
        deterministic_signature: None,
    })?;

    eprintln!("--- stop the server gracefully");
    let status = server.stop()?;
    ensure!(
        status.success(),
        "SIGTERM must end the server cleanly, got {status}"
    );

    eprintln!("--- scan every file under the data directory");
    let secret = credentials.app_secret()?;
    let secrets: Vec<(&str, Vec<u8>)> = vec![
        ("imported AES key", aes_bytes.clone()),
        ("generated AES key", generated_bytes.clone()),
        ("imported HMAC key", hmac_bytes),
        ("RSA private key DER", rsa_der),
        ("RSA private exponent", private_exponent),
        ("app secret", secret.into_bytes()),
        (
            "sysadmin password",
            credentials.sysadmin_password.clone().into_bytes(),
        ),
        (
            "plaintext encrypted under the imported key",
            aes_plain.clone(),
        ),
    ];
    let Scan { scanned, leaks } = scan(server.data_dir(), &secrets)?;
    eprintln!("scanned {scanned:#?}");
    ensure!(!scanned.is_empty(), "the data directory is empty");
    ensure!(leaks.is_empty(), "plaintext secrets on disk: {leaks:#?}");

    eprintln!("--- the scan itself finds a planted secret in each form");
    let canary = tempfile::tempdir()?;
    std::fs::write(
        canary.path().join("raw"),
        [b"..".as_slice(), &aes_bytes, b".."].concat(),
    )?;
    std::fs::write(canary.path().join("b64"), b64(&generated_bytes))?;
    std::fs::write(canary.path().join("hex"), hex::encode_upper(&aes_plain))?;
    let planted = scan(canary.path(), &secrets)?.leaks;
    ensure!(
        planted.len() == 3,
        "the scan missed planted secrets: {planted:#?}"
    );

    eprintln!("--- restart on the same data directory");
    server.restart()?;
    let restarted = server.credentials().clone();
    ensure!(
        restarted.pid != credentials.pid,
        "the restart wrote a new pid"
    );
    ensure!(
        restarted.api_key == credentials.api_key,
        "the API key survives a restart"
    );
    ensure!(
        restarted.account_id == credentials.account_id,
        "same account after restart"
    );
    let app = clients::app_with_api_key(&server)?;

    eprintln!("--- old ciphertexts decrypt, old MACs and signatures verify");
    let decrypted = app.decrypt(&keys::aes_decrypt(kid(&aes)?, CipherMode::Cbc, &aes_cipher))?;
    ensure!(
        decrypted.plain[..] == aes_plain[..],
        "imported key after restart"
    );
    let decrypted = app.decrypt(&keys::aes_decrypt(
        kid(&generated)?,
        CipherMode::Gcm,
        &generated_cipher,
    ))?;
    ensure!(
        decrypted.plain[..] == generated_plain[..],
        "generated key after restart"
    );
    let mac_ok = app.mac_verify(&VerifyMacRequest {
        key: Some(by_kid(kid(&hmac)?)),
        alg: Some(DigestAlgorithm::Sha256),
        data: Blob::from("persist me"),
        digest: None,
        mac: Some(mac.mac),
    })?;
    ensure!(mac_ok.result, "HMAC key after restart");
    let verified = app.verify(&VerifyRequest {
        key: Some(by_kid(kid(&rsa)?)),
        hash_alg: DigestAlgorithm::Sha256,
        hash: None,
        data: Some(Blob::from("persist me")),
        mode: None,
        signature: signature.signature,
    })?;
    ensure!(verified.result, "RSA key after restart");

    eprintln!("--- the exported value and the metadata are unchanged");
    let exported = app.export_sobject(&by_kid(kid(&generated)?))?;
    ensure!(
        exported.value.as_deref() == Some(&generated_bytes[..]),
        "generated key changed"
    );
    for before in [&aes, &generated, &hmac, &rsa] {
        let after = app.get_sobject(None, &by_kid(kid(before)?))?;
        ensure!(
            after.name == before.name
                && after.obj_type == before.obj_type
                && after.key_size == before.key_size
                && after.key_ops == before.key_ops
                && after.created_at == before.created_at
                && after.pub_key == before.pub_key,
            "metadata changed across the restart: {before:?} → {after:?}"
        );
    }
    Ok(())
}

#[test]
fn a_killed_server_keeps_every_acknowledged_key() -> anyhow::Result<()> {
    let mut server = CofferServer::start_dev()?;
    let app = clients::app_session(&server)?;

    eprintln!("--- create keys, then SIGKILL without warning");
    let mut created = Vec::new();
    for i in 0..10 {
        let key = app.create_sobject(&keys::generate(
            &unique_name(&format!("durable{i}")),
            ObjectType::Aes,
            256,
        ))?;
        let sample = app.encrypt(&keys::aes_encrypt(kid(&key)?, CipherMode::Cbc, b"durable"))?;
        created.push((kid(&key)?, sample));
    }
    drop(app);
    server.kill()?;

    eprintln!("--- restart: every acknowledged key is back and works");
    server.restart()?;
    let app = clients::app_with_api_key(&server)?;
    for (key_id, sample) in &created {
        let decrypted = app.decrypt(&keys::aes_decrypt(*key_id, CipherMode::Cbc, sample))?;
        ensure!(
            &decrypted.plain[..] == b"durable",
            "key {key_id} lost its material"
        );
    }
    ensure!(
        app.list_sobjects(None)?.len() == created.len(),
        "key count changed"
    );
    Ok(())
}

#[test]
fn a_server_started_on_an_existing_directory_keeps_its_keys_and_credentials() -> anyhow::Result<()>
{
    let scratch = tempfile::tempdir()?;
    let directory = scratch.path().join("data");
    std::fs::create_dir(&directory)?;
    let (key_id, sample, api_key) = {
        eprintln!("--- first server initializes the directory");
        let mut first = CofferServer::start_dev_in(&directory)?;
        let app = clients::app_with_api_key(&first)?;
        let key = app.create_sobject(&keys::generate(
            &unique_name("reused"),
            ObjectType::Aes,
            128,
        ))?;
        let sample = app.encrypt(&keys::aes_encrypt(kid(&key)?, CipherMode::Cbc, b"reused"))?;
        let api_key = first.credentials().api_key.clone();
        drop(app);
        first.stop()?;
        (kid(&key)?, sample, api_key)
    };

    eprintln!("--- a second server process on the same directory");
    let second = CofferServer::start_dev_in(&directory)?;
    ensure!(
        second.credentials().api_key == api_key,
        "credentials are reused, not regenerated"
    );
    let app = clients::app_with_api_key(&second)?;
    let decrypted = app.decrypt(&keys::aes_decrypt(key_id, CipherMode::Cbc, &sample))?;
    ensure!(&decrypted.plain[..] == b"reused", "the key survived");
    Ok(())
}

/// What a scan looked at and what it found.
struct Scan {
    /// Every file read, with its size.
    scanned: Vec<(PathBuf, usize)>,
    /// One line per secret found in a file.
    leaks: Vec<String>,
}

/// Searches every file under `root` (but the credentials file) for each secret in its raw and
/// text forms.
fn scan(root: &Path, secrets: &[(&str, Vec<u8>)]) -> anyhow::Result<Scan> {
    let mut scanned = Vec::new();
    let mut leaks = Vec::new();
    for file in files_under(root)? {
        if file
            .file_name()
            .is_some_and(|name| name == CREDENTIALS_FILE)
        {
            continue;
        }
        let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        for (label, secret) in secrets {
            ensure!(
                secret.len() >= 8,
                "{label} is too short to search for reliably"
            );
            let mut needles = vec![secret.clone()];
            needles.extend(leak_forms(secret).into_iter().map(String::into_bytes));
            if needles.iter().any(|needle| contains(&bytes, needle)) {
                leaks.push(format!("{label} in {}", file.display()));
            }
        }
        scanned.push((file, bytes.len()));
    }
    Ok(Scan { scanned, leaks })
}
