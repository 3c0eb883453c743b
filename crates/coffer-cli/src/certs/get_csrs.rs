//! `get_csrs [--rotate]`: the key and certificate signing request of the API (Main) and UI
//! (Assets) services, and the first sysadmin (guide §5.5 step 1, R-TLS-1, R-TLS-3).
//!
//! On a terminal it asks, in the guide's order, for what the flags did not give:
//!
//! ```text
//! Domain name for the cluster (Main): dsm.example.com
//! Subject alternative names for the cluster, one per line, empty line to finish:
//! Mutual-TLS interface name (empty for none): mtls.example.com
//! Domain name for the UI (Assets): CN=ui.example.com O=Example L=Mountain View ST=California
//! Subject alternative names for the UI, one per line, empty line to finish:
//! Cluster name: production
//! Sysadmin email address: admin@example.com
//! Sysadmin password:              (no echo, asked twice)
//! ```
//!
//! A domain's SANs are asked only when neither the domain nor its SANs came as flags. The
//! mutual-TLS interface (guide §5.5: an additional interface as SAN name on the main
//! certificate, for client-certificate authentication of apps) is asked with the main domain,
//! unless `--mtls-san` came as a flag or this is a `--rotate`: rotated requests keep the
//! installed interfaces that are still among the main SANs. Its name is added to the main
//! certificate's names. When
//! standard input is not a terminal nothing is asked: a missing value is an error naming its
//! flag. The password comes from `--sysadmin-password`, else `COFFER_SYSADMIN_PASSWORD`, else
//! the terminal. The daemon creates the sysadmin only when none exists yet.
//!
//! On success stdout holds the two requests, each after its heading (`Cluster Certificate
//! Request:`, `UI Certificate Request:`), then the next steps; questions go to stderr.

use super::{CertCommand, Details, ensure_socket, run_main};
use crate::client::{Client, decode_payload};
use crate::error::CliError;
use crate::output::print_stdout;
use crate::prompt::{
    StdTerminal, Terminal, ask_list, ask_new_password, ask_required, stdin_is_terminal,
};
use coffer_admin::{AdminRequest, CsrsCreated, DEFAULT_DATA_DIR};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The questions, in the guide's order.
pub const MAIN_DOMAIN_QUESTION: &str = "Domain name for the cluster (Main)";
/// See [`MAIN_DOMAIN_QUESTION`].
pub const MAIN_SANS_QUESTION: &str =
    "Subject alternative names for the cluster, one per line, empty line to finish";
/// See [`MAIN_DOMAIN_QUESTION`].
pub const MTLS_QUESTION: &str = "Mutual-TLS interface name (empty for none)";
/// See [`MAIN_DOMAIN_QUESTION`].
pub const UI_DOMAIN_QUESTION: &str = "Domain name for the UI (Assets)";
/// See [`MAIN_DOMAIN_QUESTION`].
pub const UI_SANS_QUESTION: &str =
    "Subject alternative names for the UI, one per line, empty line to finish";
/// See [`MAIN_DOMAIN_QUESTION`].
pub const CLUSTER_NAME_QUESTION: &str = "Cluster name";
/// See [`MAIN_DOMAIN_QUESTION`].
pub const EMAIL_QUESTION: &str = "Sysadmin email address";
/// See [`MAIN_DOMAIN_QUESTION`].
pub const PASSWORD_QUESTION: &str = "Sysadmin password";
/// Asked right after [`PASSWORD_QUESTION`].
pub const PASSWORD_AGAIN_QUESTION: &str = "Repeat the sysadmin password";

/// Printed once before the first domain question.
const DOMAIN_FORMATS: &str = "Domain names may be given in two formats:\n\
    \x20 simple:        dsm.example.com\n\
    \x20 distinguished: CN=dsm.example.com O=Example L=Mountain View ST=California\n";

/// Generate the certificate signing requests of the API (Main) and UI (Assets) services and
/// create the first sysadmin.
///
/// Run it on the node where the cluster was created. Values not given as flags are asked for
/// on the terminal; without a terminal every value must be given as a flag.
#[derive(clap::Parser)]
#[command(
    name = "get_csrs",
    version,
    after_help = "Run as root (sudo): the admin socket DIR/admin.sock is only accessible to root.\n\
                  Domains are a simple name (dsm.example.com) or a distinguished name \
                  (CN=dsm.example.com O=Example L=Mountain View ST=California).\n\
                  After signing both requests, install the chains with `install_certs` \
                  (`install_certs --rotate` after `get_csrs --rotate`).\n\
                  Exit codes: 0 success; 1 failure (details in the log file); 2 usage error."
)]
pub struct GetCsrsArgs {
    /// The node's data directory; its admin socket is DIR/admin.sock.
    #[arg(
        long,
        value_name = "DIR",
        env = "COFFER_DATA_DIR",
        default_value = DEFAULT_DATA_DIR
    )]
    pub data_dir: PathBuf,
    /// Make new requests to replace the installed certificates, which keep serving until
    /// `install_certs --rotate` installs the new ones.
    #[arg(long)]
    pub rotate: bool,
    /// The API (Main) domain: a simple name or a full distinguished name.
    #[arg(long, value_name = "DOMAIN")]
    pub main_domain: Option<String>,
    /// An extra DNS name for the API certificate, such as the mutual-TLS interface's name
    /// (repeatable).
    #[arg(long = "main-san", value_name = "NAME")]
    pub main_sans: Vec<String>,
    /// The name of a mutual-TLS interface (repeatable): added to the API certificate's names;
    /// connections for it are asked for a client certificate, with which apps registered with
    /// a certificate authenticate. On `--rotate` the installed interfaces that are still among
    /// the `--main-san` names are kept.
    #[arg(long = "mtls-san", value_name = "NAME")]
    pub mtls_sans: Vec<String>,
    /// The UI (Assets) domain: a simple name or a full distinguished name.
    #[arg(long, value_name = "DOMAIN")]
    pub ui_domain: Option<String>,
    /// An extra DNS name for the UI certificate (repeatable).
    #[arg(long = "ui-san", value_name = "NAME")]
    pub ui_sans: Vec<String>,
    /// The cluster's name.
    #[arg(long, value_name = "NAME")]
    pub cluster_name: Option<String>,
    /// The first sysadmin's login email (unused when a sysadmin exists).
    #[arg(long, value_name = "EMAIL")]
    pub sysadmin_email: Option<String>,
    /// The first sysadmin's password. Prefer the environment variable or the prompt: a flag
    /// shows up in the shell history and the process list.
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "COFFER_SYSADMIN_PASSWORD",
        hide_env_values = true
    )]
    pub sysadmin_password: Option<String>,
    /// Where a failure is logged in detail; DIR/get_csrs.log when this cannot be written.
    #[arg(long, value_name = "FILE", default_value = "/var/log/get_csrs.log")]
    pub log_file: PathBuf,
}

/// What the request is made of, asked or given.
#[derive(Clone, PartialEq, Eq)]
pub struct CsrAnswers {
    /// The API (Main) domain.
    pub main_domain: String,
    /// Its extra names.
    pub main_sans: Vec<String>,
    /// The mutual-TLS interface names (also names of the API certificate).
    pub mtls_sans: Vec<String>,
    /// The UI (Assets) domain.
    pub ui_domain: String,
    /// Its extra names.
    pub ui_sans: Vec<String>,
    /// The cluster's name.
    pub cluster_name: String,
    /// The first sysadmin's email.
    pub sysadmin_email: String,
    /// The first sysadmin's password.
    pub sysadmin_password: String,
}

impl std::fmt::Debug for CsrAnswers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsrAnswers")
            .field("main_domain", &self.main_domain)
            .field("main_sans", &self.main_sans)
            .field("mtls_sans", &self.mtls_sans)
            .field("ui_domain", &self.ui_domain)
            .field("ui_sans", &self.ui_sans)
            .field("cluster_name", &self.cluster_name)
            .field("sysadmin_email", &self.sysadmin_email)
            .finish_non_exhaustive()
    }
}

/// The `get_csrs` program.
pub fn main() -> ExitCode {
    run_main::<GetCsrsArgs>()
}

impl CertCommand for GetCsrsArgs {
    const NAME: &'static str = "get_csrs";
    const SECRET_FLAGS: &'static [&'static str] = &["--sysadmin-password"];

    fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    fn log_file(&self) -> &Path {
        &self.log_file
    }

    fn run(self, details: &mut Details) -> Result<(), CliError> {
        *details = self.given_details();
        let mut terminal = StdTerminal;
        let terminal: Option<&mut dyn Terminal> = if stdin_is_terminal() {
            ensure_socket(&self.data_dir)?;
            Some(&mut terminal)
        } else {
            None
        };
        let answers = self.resolve(terminal)?;
        *details = answers_details(&answers, self.rotate);
        let request = AdminRequest::GetCsrs {
            main_domain: answers.main_domain.clone(),
            main_sans: answers.main_sans.clone(),
            mtls_sans: answers.mtls_sans.clone(),
            ui_domain: answers.ui_domain.clone(),
            ui_sans: answers.ui_sans.clone(),
            cluster_name: answers.cluster_name.clone(),
            sysadmin_email: answers.sysadmin_email.clone(),
            sysadmin_password: answers.sysadmin_password.clone(),
            rotate: self.rotate,
        };
        let created: CsrsCreated =
            decode_payload("get_csrs", Client::new(&self.data_dir).request(&request)?)?;
        print_stdout(&render(&created, &answers, self.rotate));
        Ok(())
    }
}

impl GetCsrsArgs {
    /// The flags' values completed with answers on `terminal`; without a terminal, every
    /// missing value is an error naming its flag.
    ///
    /// # Errors
    /// [`CliError::Missing`] without a terminal; [`CliError::Input`] when an answer is
    /// unusable or the terminal cannot be read.
    pub fn resolve(&self, terminal: Option<&mut dyn Terminal>) -> Result<CsrAnswers, CliError> {
        let given_sans = |sans: &[String]| -> Vec<String> {
            sans.iter()
                .map(|san| san.trim().to_owned())
                .filter(|san| !san.is_empty())
                .collect()
        };
        let trimmed = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        let (main_domain, ui_domain) = (trimmed(&self.main_domain), trimmed(&self.ui_domain));
        let cluster_name = trimmed(&self.cluster_name);
        let sysadmin_email = trimmed(&self.sysadmin_email);
        let sysadmin_password = self
            .sysadmin_password
            .clone()
            .filter(|password| !password.is_empty());

        let Some(terminal) = terminal else {
            let missing: Vec<String> = [
                (main_domain.is_none(), "--main-domain"),
                (ui_domain.is_none(), "--ui-domain"),
                (cluster_name.is_none(), "--cluster-name"),
                (sysadmin_email.is_none(), "--sysadmin-email"),
                (
                    sysadmin_password.is_none(),
                    "--sysadmin-password (or COFFER_SYSADMIN_PASSWORD)",
                ),
            ]
            .into_iter()
            .filter(|(absent, _)| *absent)
            .map(|(_, flag)| flag.to_owned())
            .collect();
            return match (
                main_domain,
                ui_domain,
                cluster_name,
                sysadmin_email,
                sysadmin_password,
            ) {
                (
                    Some(main_domain),
                    Some(ui_domain),
                    Some(cluster_name),
                    Some(sysadmin_email),
                    Some(sysadmin_password),
                ) if missing.is_empty() => Ok(CsrAnswers {
                    main_domain,
                    main_sans: given_sans(&self.main_sans),
                    mtls_sans: given_sans(&self.mtls_sans),
                    ui_domain,
                    ui_sans: given_sans(&self.ui_sans),
                    cluster_name,
                    sysadmin_email,
                    sysadmin_password,
                }),
                _ => Err(CliError::Missing { flags: missing }),
            };
        };

        if main_domain.is_none() || ui_domain.is_none() {
            crate::output::print_stderr(DOMAIN_FORMATS);
        }
        // A domain's SANs are asked together with the domain, unless they came as flags.
        let domain_and_sans = |terminal: &mut dyn Terminal,
                               domain: Option<String>,
                               sans: &[String],
                               domain_question: &str,
                               sans_question: &str|
         -> Result<(String, Vec<String>), CliError> {
            match domain {
                Some(domain) => Ok((domain, given_sans(sans))),
                None => {
                    let domain = ask_required(terminal, domain_question)?;
                    let sans = if sans.is_empty() {
                        ask_list(terminal, sans_question)?
                    } else {
                        given_sans(sans)
                    };
                    Ok((domain, sans))
                }
            }
        };
        let main_asked = main_domain.is_none();
        let (main_domain, main_sans) = domain_and_sans(
            &mut *terminal,
            main_domain,
            &self.main_sans,
            MAIN_DOMAIN_QUESTION,
            MAIN_SANS_QUESTION,
        )?;
        // The mutual-TLS interface comes with the main domain's SANs.
        let mtls_sans = if main_asked && self.mtls_sans.is_empty() && !self.rotate {
            let answer = terminal.read_line(&format!("{MTLS_QUESTION}: "))?;
            given_sans(&answer.into_iter().collect::<Vec<_>>())
        } else {
            given_sans(&self.mtls_sans)
        };
        let (ui_domain, ui_sans) = domain_and_sans(
            &mut *terminal,
            ui_domain,
            &self.ui_sans,
            UI_DOMAIN_QUESTION,
            UI_SANS_QUESTION,
        )?;
        let cluster_name = match cluster_name {
            Some(name) => name,
            None => ask_required(terminal, CLUSTER_NAME_QUESTION)?,
        };
        let sysadmin_email = match sysadmin_email {
            Some(email) => email,
            None => ask_required(terminal, EMAIL_QUESTION)?,
        };
        let sysadmin_password = match sysadmin_password {
            Some(password) => password,
            None => ask_new_password(terminal, PASSWORD_QUESTION, PASSWORD_AGAIN_QUESTION)?,
        };
        Ok(CsrAnswers {
            main_domain,
            main_sans,
            mtls_sans,
            ui_domain,
            ui_sans,
            cluster_name,
            sysadmin_email,
            sysadmin_password,
        })
    }

    /// The flags' values, for a failure before all values are known.
    fn given_details(&self) -> Details {
        let or_absent = |value: &Option<String>| {
            value
                .clone()
                .unwrap_or_else(|| "(not given as a flag)".into())
        };
        vec![
            ("rotate".into(), self.rotate.to_string()),
            ("main domain".into(), or_absent(&self.main_domain)),
            ("main SANs".into(), list(&self.main_sans)),
            ("mutual-TLS interfaces".into(), list(&self.mtls_sans)),
            ("UI domain".into(), or_absent(&self.ui_domain)),
            ("UI SANs".into(), list(&self.ui_sans)),
            ("cluster name".into(), or_absent(&self.cluster_name)),
            ("sysadmin email".into(), or_absent(&self.sysadmin_email)),
            (
                "sysadmin password".into(),
                if self.sysadmin_password.is_some() {
                    "given (not logged)".into()
                } else {
                    "not given as a flag or in COFFER_SYSADMIN_PASSWORD".into()
                },
            ),
            ("log file".into(), self.log_file.display().to_string()),
        ]
    }
}

/// The values sent, without the password.
fn answers_details(answers: &CsrAnswers, rotate: bool) -> Details {
    vec![
        ("rotate".into(), rotate.to_string()),
        ("main domain".into(), answers.main_domain.clone()),
        ("main SANs".into(), list(&answers.main_sans)),
        ("mutual-TLS interfaces".into(), list(&answers.mtls_sans)),
        ("UI domain".into(), answers.ui_domain.clone()),
        ("UI SANs".into(), list(&answers.ui_sans)),
        ("cluster name".into(), answers.cluster_name.clone()),
        ("sysadmin email".into(), answers.sysadmin_email.clone()),
        ("sysadmin password".into(), "given (not logged)".into()),
    ]
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".into()
    } else {
        items.join(", ")
    }
}

/// The two requests under their headings, then what happened to the sysadmin and the next
/// steps.
pub fn render(created: &CsrsCreated, answers: &CsrAnswers, rotate: bool) -> String {
    let pem = |text: &str| {
        let mut text = text.trim_end().to_owned();
        text.push('\n');
        text
    };
    let sysadmin = if created.sysadmin_created {
        format!(
            "The first sysadmin, {}, was created.\n",
            answers.sysadmin_email
        )
    } else {
        "A sysadmin already exists; the sysadmin email and password given were not used.\n"
            .to_owned()
    };
    let rotate_flag = if rotate { " --rotate" } else { "" };
    let mtls = if answers.mtls_sans.is_empty() {
        String::new()
    } else {
        format!(
            "\x20    The Cluster request also names the mutual-TLS interface {}; the signed\n\
             \x20    certificate must name it too.\n",
            answers.mtls_sans.join(", ")
        )
    };
    let serving = if rotate {
        "The installed certificates keep serving until the new ones are installed.\n"
    } else {
        ""
    };
    format!(
        "Cluster Certificate Request:\n{main}\n\
         UI Certificate Request:\n{ui}\n\
         {sysadmin}{serving}\n\
         Next steps:\n\
         \x20 1. Have your CA sign both requests: the Cluster request for the Main domain {main_domain},\n\
         \x20    the UI request for the Assets domain {ui_domain}. Each service needs its own\n\
         \x20    certificate; wildcard (catch-all) certificates are not accepted.\n\
         {mtls}\
         \x20 2. Install the signed chains, leaf certificate first, on this node:\n\
         \x20      install_certs{rotate_flag}\n\
         \x20    (or: install_certs{rotate_flag} --main-chain MAIN.pem --ui-chain UI.pem)\n",
        main = pem(&created.cluster_csr_pem),
        ui = pem(&created.ui_csr_pem),
        main_domain = answers.main_domain,
        ui_domain = answers.ui_domain,
    )
}

#[cfg(test)]
mod tests;
