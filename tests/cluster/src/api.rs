//! The DSM API of one node, through the official `sdkms` client trusting the cluster CA.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use anyhow::{Context, ensure};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use coffer_testkit::{RawClient, RawResponse};
use sdkms::SdkmsClient;
use sdkms::api_model::{
    AccountRequest, Algorithm, AppCredential, AppGroups, AppPermissions, AppRequest, Blob,
    CipherMode, CryptMode, DecryptRequest, EncryptRequest, EncryptResponse, GroupRequest,
    ObjectType, SelectAccountRequest, Sobject, SobjectDescriptor, SobjectRequest,
};
use simple_hyper_client::HttpsConnector;
use simple_hyper_client::blocking::Client as HttpClient;
use tokio_native_tls::native_tls;
use uuid::Uuid;

use crate::node::Node;

/// The first sysadmin's login.
const SYSADMIN_EMAIL: &str = "sysadmin@cluster.coffer.test";
/// A password that satisfies the policy (12+ characters, four character classes).
const SYSADMIN_PASSWORD: &str = "Cluster-test-passw0rd!";
/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What [`Credentials::provision`] set up: a sysadmin, an account, a group and an app with
/// every permission on the group.
#[derive(Clone)]
pub struct Credentials {
    /// The sysadmin's email.
    pub email: String,
    /// The sysadmin's password.
    pub password: String,
    /// The account the sysadmin created (and administers).
    pub account_id: Uuid,
    /// The group holding the app's keys.
    pub group_id: Uuid,
    /// The app.
    pub app_id: Uuid,
    /// The app's API key: base64 of `app_id:secret`.
    pub api_key: String,
}

impl Credentials {
    /// Creates the sysadmin with `sdkms-cluster sysadmin create` on `node`, then, through that
    /// node's API: logs in, creates an account, selects it, creates a group and an app in it,
    /// and reads the app's secret.
    pub fn provision(node: &Node) -> anyhow::Result<Self> {
        node.cli(&[
            "sysadmin",
            "create",
            "--email",
            SYSADMIN_EMAIL,
            "--password",
            SYSADMIN_PASSWORD,
        ])?
        .ok()?;
        let api = Endpoint::of(node)?;
        let admin = api
            .anonymous()?
            .authenticate_user(SYSADMIN_EMAIL, SYSADMIN_PASSWORD)
            .context("sysadmin login (POST /sys/v1/session/auth)")?;
        let account = admin
            .create_account(&AccountRequest {
                name: Some("cluster-tests".to_owned()),
                ..Default::default()
            })
            .context("POST /sys/v1/accounts")?;
        admin
            .select_account(&SelectAccountRequest {
                acct_id: account.acct_id,
            })
            .context("POST /sys/v1/session/select_account")?;
        let group = admin
            .create_group(&GroupRequest {
                name: Some("cluster-keys".to_owned()),
                ..Default::default()
            })
            .context("POST /sys/v1/groups")?;
        let permissions = AppPermissions::SIGN
            | AppPermissions::VERIFY
            | AppPermissions::ENCRYPT
            | AppPermissions::DECRYPT
            | AppPermissions::EXPORT
            | AppPermissions::MANAGE;
        let mut groups = HashMap::new();
        groups.insert(group.group_id, Some(permissions));
        let app = admin
            .create_app(
                None,
                &AppRequest {
                    name: Some("cluster-app".to_owned()),
                    default_group: Some(group.group_id),
                    add_groups: Some(AppGroups::from(groups)),
                    ..Default::default()
                },
            )
            .context("POST /sys/v1/apps")?;
        let credential = admin
            .get_app_credential(&app.app_id)
            .context("GET /sys/v1/apps/{id}/credential")?;
        let AppCredential::Secret(secret) = credential.credential else {
            anyhow::bail!("the app's credential is not a secret");
        };
        Ok(Self {
            email: SYSADMIN_EMAIL.to_owned(),
            password: SYSADMIN_PASSWORD.to_owned(),
            account_id: account.acct_id,
            group_id: group.group_id,
            app_id: app.app_id,
            api_key: STANDARD.encode(format!("{}:{secret}", app.app_id)),
        })
    }
}

/// Where a node's API is and which CA it is checked against; plain data, so it can be sent to
/// another thread.
#[derive(Clone, Debug)]
struct Endpoint {
    url: String,
    ca_pem: String,
}

impl Endpoint {
    fn of(node: &Node) -> anyhow::Result<Self> {
        Ok(Self {
            url: node.api_url(),
            ca_pem: node.ca_pem()?,
        })
    }

    fn builder(&self) -> anyhow::Result<sdkms::SdkmsClientBuilder> {
        Ok(SdkmsClient::builder()
            .with_http_client(http_client(&self.ca_pem)?)
            .with_api_endpoint(&self.url))
    }

    fn anonymous(&self) -> anyhow::Result<SdkmsClient> {
        self.builder()?.build().context("building an sdkms client")
    }
}

/// One node's API as the provisioned app (`Authorization: Basic <api key>` on every call).
pub struct ApiClient {
    endpoint: Endpoint,
    api_key: String,
    app: SdkmsClient,
}

impl ApiClient {
    /// The app's client for `node`, trusting the CA in the node's `cluster-ca.pem`.
    pub fn new(node: &Node, credentials: &Credentials) -> anyhow::Result<Self> {
        Self::connect(&node.api_url(), &node.ca_pem()?, &credentials.api_key)
    }

    /// The app's client for the API at `url` (`https://IP:PORT`), trusting `ca_pem` only.
    pub fn connect(url: &str, ca_pem: &str, api_key: &str) -> anyhow::Result<Self> {
        let endpoint = Endpoint {
            url: url.to_owned(),
            ca_pem: ca_pem.to_owned(),
        };
        let app = endpoint
            .builder()?
            .with_api_key(api_key)
            .build()
            .context("building an sdkms client")?;
        Ok(Self {
            endpoint,
            api_key: api_key.to_owned(),
            app,
        })
    }

    /// The API's base URL.
    pub fn url(&self) -> &str {
        &self.endpoint.url
    }

    /// The app's client (API key on every call, no session).
    pub fn app(&self) -> &SdkmsClient {
        &self.app
    }

    /// A client without credentials.
    pub fn anonymous(&self) -> anyhow::Result<SdkmsClient> {
        self.endpoint.anonymous()
    }

    /// A client presenting an existing bearer token. Dropping it ends the session.
    pub fn with_token(&self, access_token: &str) -> anyhow::Result<SdkmsClient> {
        self.endpoint
            .builder()?
            .with_access_token(access_token)
            .build()
            .context("building an sdkms client")
    }

    /// The app logged in on this node: a bearer session. Dropping it ends the session.
    pub fn app_session(&self) -> anyhow::Result<SdkmsClient> {
        self.anonymous()?
            .authenticate_with_api_key(&self.api_key)
            .with_context(|| format!("app login on {}", self.url()))
    }

    /// The sysadmin logged in on this node, with the provisioned account selected.
    pub fn sysadmin_session(&self, credentials: &Credentials) -> anyhow::Result<SdkmsClient> {
        let session = self
            .anonymous()?
            .authenticate_user(&credentials.email, &credentials.password)
            .with_context(|| format!("sysadmin login on {}", self.url()))?;
        session
            .select_account(&SelectAccountRequest {
                acct_id: credentials.account_id,
            })
            .with_context(|| format!("selecting the account on {}", self.url()))?;
        Ok(session)
    }

    /// A raw HTTPS client for this node, trusting the cluster CA only.
    pub fn raw(&self) -> anyhow::Result<RawClient> {
        RawClient::new(&self.endpoint.url, &self.endpoint.ca_pem)
    }

    /// Generates an AES-256 key called `name` in the app's default group.
    pub fn create_key(&self, name: &str) -> Result<Uuid, sdkms::Error> {
        let key = self.app.create_sobject(&aes_key_request(name))?;
        key.kid.ok_or_else(|| {
            sdkms::Error::StatusCode(format!("201 Created\nthe new key has no kid: {key:?}"))
        })
    }

    /// `POST /crypto/v1/keys` for an AES-256 key, sent raw, so that the exact status and body
    /// of a refusal can be checked.
    pub fn create_key_raw(&self, name: &str) -> anyhow::Result<RawResponse> {
        let body = serde_json::to_vec(&aes_key_request(name))?;
        let authorization = format!("Basic {}", self.api_key);
        self.raw()?.request(
            "POST",
            "/crypto/v1/keys",
            &[
                ("Authorization", &authorization),
                ("Content-Type", "application/json"),
                ("Accept", "application/json"),
            ],
            &body,
        )
    }

    /// The key with id `kid`.
    pub fn get_key(&self, kid: Uuid) -> anyhow::Result<Sobject> {
        self.app
            .get_sobject(None, &SobjectDescriptor::Kid(kid))
            .with_context(|| format!("GET /crypto/v1/keys/{kid} on {}", self.url()))
    }

    /// AES-GCM encryption of `plain` under `kid`.
    pub fn encrypt(&self, kid: Uuid, plain: &[u8]) -> anyhow::Result<EncryptResponse> {
        self.app
            .encrypt(&EncryptRequest {
                key: Some(SobjectDescriptor::Kid(kid)),
                alg: Algorithm::Aes,
                plain: Blob::from(plain.to_vec()),
                mode: Some(CryptMode::Symmetric(CipherMode::Gcm)),
                iv: None,
                ad: None,
                tag_len: Some(128),
            })
            .with_context(|| format!("encrypt with {kid} on {}", self.url()))
    }

    /// Decrypts what [`encrypt`](Self::encrypt) returned.
    pub fn decrypt(&self, kid: Uuid, encrypted: &EncryptResponse) -> anyhow::Result<Vec<u8>> {
        let decrypted = self
            .app
            .decrypt(&DecryptRequest {
                key: Some(SobjectDescriptor::Kid(kid)),
                alg: Some(Algorithm::Aes),
                cipher: encrypted.cipher.clone(),
                mode: Some(CryptMode::Symmetric(CipherMode::Gcm)),
                iv: encrypted.iv.clone(),
                ad: None,
                tag: encrypted.tag.clone(),
            })
            .with_context(|| format!("decrypt with {kid} on {}", self.url()))?;
        Ok(decrypted.plain.to_vec())
    }

    /// Encrypts and decrypts a message with `kid` on this node.
    pub fn round_trip(&self, kid: Uuid) -> anyhow::Result<()> {
        let plain = format!("round trip through {}", self.url()).into_bytes();
        let encrypted = self.encrypt(kid, &plain)?;
        ensure!(
            encrypted.cipher.to_vec() != plain,
            "the cipher text equals the plain text"
        );
        let decrypted = self.decrypt(kid, &encrypted)?;
        ensure!(
            decrypted == plain,
            "decryption on {} changed the message",
            self.url()
        );
        Ok(())
    }
}

/// A name no other object of this test process has: `PREFIX-N`. Security object names are
/// unique within an account.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The HTTP status behind an `sdkms` error, if the server answered at all.
pub fn status_of(error: &sdkms::Error) -> Option<u16> {
    use sdkms::Error;
    match error {
        Error::BadRequest(_) => Some(400),
        Error::Unauthorized(_) => Some(401),
        Error::Forbidden(_) => Some(403),
        Error::NotFound(_) => Some(404),
        Error::Conflict(_) => Some(409),
        Error::Locked(_) => Some(423),
        // "<code> <reason>\n<body>"
        Error::StatusCode(text) => text.get(..3).and_then(|code| code.parse().ok()),
        _ => None,
    }
}

/// Whether an `sdkms` error is a 503 whose text says the cluster is read-only.
pub fn is_read_only_refusal(error: &sdkms::Error) -> bool {
    status_of(error) == Some(503) && mentions_read_only(&error.to_string())
}

/// Whether `text` mentions read-only mode.
pub fn mentions_read_only(text: &str) -> bool {
    let text = text.to_lowercase();
    text.contains("read-only") || text.contains("read only") || text.contains("readonly")
}

fn aes_key_request(name: &str) -> SobjectRequest {
    SobjectRequest {
        name: Some(name.to_owned()),
        obj_type: Some(ObjectType::Aes),
        key_size: Some(256),
        ..Default::default()
    }
}

/// A blocking HTTP client (the one `sdkms` uses) whose native-tls connector trusts only the CA
/// in `ca_pem`.
fn http_client(ca_pem: &str) -> anyhow::Result<HttpClient> {
    let ca = native_tls::Certificate::from_pem(ca_pem.as_bytes())
        .context("parsing the cluster CA certificate")?;
    let tls = native_tls::TlsConnector::builder()
        .disable_built_in_roots(true)
        .add_root_certificate(ca)
        .build()
        .context("building the native-tls connector")?;
    let connector = HttpsConnector::new(tls.into()).connect_timeout(Some(CONNECT_TIMEOUT));
    Ok(HttpClient::with_connector(connector))
}
