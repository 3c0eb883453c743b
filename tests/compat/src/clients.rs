//! Official-client handles for a running server, trusting only its dev CA.

use anyhow::Context;
use coffer_testkit::CofferServer;
use sdkms::SdkmsClient;
use sdkms::api_model::SelectAccountRequest;
use simple_hyper_client::HttpsConnector;
use simple_hyper_client::blocking::Client as HttpClient;
use tokio_native_tls::native_tls;
use uuid::Uuid;

/// A blocking HTTP client (the one `sdkms` uses) whose native-tls connector trusts only the CA
/// in `ca_cert_pem`.
pub fn http_client(ca_cert_pem: &str) -> anyhow::Result<HttpClient> {
    let ca = native_tls::Certificate::from_pem(ca_cert_pem.as_bytes())
        .context("parsing the dev CA certificate")?;
    let tls = native_tls::TlsConnector::builder()
        .disable_built_in_roots(true)
        .add_root_certificate(ca)
        .build()
        .context("building the native-tls connector")?;
    Ok(HttpClient::with_connector(HttpsConnector::new(tls.into())))
}

/// A client with no credentials at all.
pub fn anonymous(server: &CofferServer) -> anyhow::Result<SdkmsClient> {
    builder(server)?.build().context("building an sdkms client")
}

/// The dev app using `with_api_key`: `Authorization: Basic <api key>` on every call, no session.
pub fn app_with_api_key(server: &CofferServer) -> anyhow::Result<SdkmsClient> {
    api_key_client(server, &server.credentials().api_key)
}

/// Any API key sent as Basic on every call (no session).
pub fn api_key_client(server: &CofferServer, api_key: &str) -> anyhow::Result<SdkmsClient> {
    builder(server)?
        .with_api_key(api_key)
        .build()
        .context("building an sdkms client")
}

/// The dev app logged in through `POST /sys/v1/session/auth`: a bearer session.
pub fn app_session(server: &CofferServer) -> anyhow::Result<SdkmsClient> {
    let session = anonymous(server)?
        .authenticate_with_api_key(&server.credentials().api_key)
        .context("app login with the dev API key")?;
    Ok(session)
}

/// A user (or sysadmin) logged in with email and password; no account selected yet.
pub fn user_session(
    server: &CofferServer,
    email: &str,
    password: &str,
) -> anyhow::Result<SdkmsClient> {
    let session = anonymous(server)?
        .authenticate_user(email, password)
        .with_context(|| format!("user login as {email}"))?;
    Ok(session)
}

/// The sysadmin logged in, with the dev account selected.
pub fn sysadmin_session(server: &CofferServer) -> anyhow::Result<SdkmsClient> {
    let credentials = server.credentials();
    let session = user_session(
        server,
        &credentials.sysadmin_email,
        &credentials.sysadmin_password,
    )?;
    session
        .select_account(&SelectAccountRequest {
            acct_id: uuid(&credentials.account_id)?,
        })
        .context("selecting the dev account")?;
    Ok(session)
}

/// A client that presents an existing bearer token.
pub fn with_token(server: &CofferServer, token: &str) -> anyhow::Result<SdkmsClient> {
    builder(server)?
        .with_access_token(token)
        .build()
        .context("building an sdkms client")
}

/// Parses one of the ids in the dev credentials.
pub fn uuid(text: &str) -> anyhow::Result<Uuid> {
    Uuid::parse_str(text).with_context(|| format!("{text:?} is not a UUID"))
}

fn builder(server: &CofferServer) -> anyhow::Result<sdkms::SdkmsClientBuilder> {
    let credentials = server.credentials();
    Ok(SdkmsClient::builder()
        .with_http_client(http_client(&credentials.ca_cert_pem)?)
        .with_api_endpoint(&credentials.url))
}
