//! `install_certs [--rotate]`: install the signed certificate chains of the API (Main) and UI
//! (Assets) services (guide §5.5 step 2, R-TLS-2, R-TLS-3).
//!
//! Each chain comes from `--main-chain FILE` / `--ui-chain FILE`, or is pasted on the terminal,
//! leaf certificate first, ended by an empty line. The daemon checks both chains (order,
//! validity, names, the key of the request made by `get_csrs`, no wildcard, not one
//! certificate for both services) before it installs anything, and every node then serves them
//! without a restart.

use super::{CertCommand, Details, ensure_socket, run_main};
use crate::client::{Client, decode_payload};
use crate::error::CliError;
use crate::output::{format_unix_time, now_unix, print_stdout};
use crate::prompt::{StdTerminal, Terminal, ask_pem_chain, stdin_is_terminal};
use coffer_admin::{AdminRequest, CertsInstalled, DEFAULT_DATA_DIR};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The question for the Main chain.
pub const MAIN_CHAIN_QUESTION: &str = "Paste the signed certificate chain for Main (Cluster), \
                                       leaf certificate first, then an empty line";
/// The question for the UI chain.
pub const UI_CHAIN_QUESTION: &str = "Paste the signed certificate chain for Assets (UI), leaf \
                                     certificate first, then an empty line";

/// Install the signed certificate chains of the API (Main) and UI (Assets) services.
///
/// Run it on the node where `get_csrs` ran, with `--rotate` if and only if `get_csrs` had it.
/// A chain not given as a file is pasted on the terminal.
#[derive(clap::Parser, Debug)]
#[command(
    name = "install_certs",
    version,
    after_help = "Run as root (sudo): the admin socket DIR/admin.sock is only accessible to root.\n\
                  Each chain is PEM, leaf certificate first, then each issuer.\n\
                  Exit codes: 0 success; 1 failure (details in the log file); 2 usage error."
)]
pub struct InstallCertsArgs {
    /// The node's data directory; its admin socket is DIR/admin.sock.
    #[arg(
        long,
        value_name = "DIR",
        env = "COFFER_DATA_DIR",
        default_value = DEFAULT_DATA_DIR
    )]
    pub data_dir: PathBuf,
    /// Replace the installed certificates with chains for the requests of `get_csrs --rotate`.
    #[arg(long)]
    pub rotate: bool,
    /// The signed chain for Main (Cluster), PEM, leaf first.
    #[arg(long, value_name = "FILE")]
    pub main_chain: Option<PathBuf>,
    /// The signed chain for Assets (UI), PEM, leaf first.
    #[arg(long, value_name = "FILE")]
    pub ui_chain: Option<PathBuf>,
    /// Where a failure is logged in detail; DIR/install_certs.log when this cannot be written.
    #[arg(
        long,
        value_name = "FILE",
        default_value = "/var/log/install_certs.log"
    )]
    pub log_file: PathBuf,
}

/// The two chains, PEM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chains {
    /// Main (Cluster).
    pub main: String,
    /// Assets (UI).
    pub ui: String,
}

/// The `install_certs` program.
pub fn main() -> ExitCode {
    run_main::<InstallCertsArgs>()
}

impl CertCommand for InstallCertsArgs {
    const NAME: &'static str = "install_certs";
    const SECRET_FLAGS: &'static [&'static str] = &[];

    fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    fn log_file(&self) -> &Path {
        &self.log_file
    }

    fn run(self, details: &mut Details) -> Result<(), CliError> {
        let source = |file: &Option<PathBuf>| {
            file.as_ref()
                .map_or_else(|| "pasted".to_owned(), |path| path.display().to_string())
        };
        details.push(("rotate".into(), self.rotate.to_string()));
        details.push(("Main (Cluster) chain from".into(), source(&self.main_chain)));
        details.push(("Assets (UI) chain from".into(), source(&self.ui_chain)));
        details.push(("log file".into(), self.log_file.display().to_string()));
        let mut terminal = StdTerminal;
        let terminal: Option<&mut dyn Terminal> = if stdin_is_terminal() {
            ensure_socket(&self.data_dir)?;
            Some(&mut terminal)
        } else {
            None
        };
        let chains = self.resolve(terminal)?;
        // Certificates are public; support needs to see exactly what was sent.
        details.push(("Main (Cluster) chain".into(), describe_chain(&chains.main)));
        details.push(("Assets (UI) chain".into(), describe_chain(&chains.ui)));
        let request = AdminRequest::InstallCerts {
            main_chain_pem: chains.main,
            ui_chain_pem: chains.ui,
            rotate: self.rotate,
        };
        let installed: CertsInstalled = decode_payload(
            "install_certs",
            Client::new(&self.data_dir).request(&request)?,
        )?;
        print_stdout(&render(&installed, self.rotate, now_unix()));
        Ok(())
    }
}

impl InstallCertsArgs {
    /// The chains from the files given, the others pasted on `terminal`; without a terminal,
    /// every chain not given as a file is an error naming its flag.
    ///
    /// # Errors
    /// [`CliError::ReadFile`] for an unreadable file, [`CliError::Missing`] without a
    /// terminal, [`CliError::Input`] for an incomplete paste.
    pub fn resolve(&self, terminal: Option<&mut dyn Terminal>) -> Result<Chains, CliError> {
        let read = |path: &Path, what: &'static str| {
            std::fs::read_to_string(path).map_err(|source| CliError::ReadFile {
                what,
                path: path.to_path_buf(),
                source,
            })
        };
        let main = match &self.main_chain {
            Some(path) => Some(read(path, "the Main (Cluster) certificate chain")?),
            None => None,
        };
        let ui = match &self.ui_chain {
            Some(path) => Some(read(path, "the Assets (UI) certificate chain")?),
            None => None,
        };
        match (main, ui, terminal) {
            (Some(main), Some(ui), _) => Ok(Chains { main, ui }),
            (main, ui, Some(terminal)) => {
                let main = match main {
                    Some(main) => main,
                    None => ask_pem_chain(terminal, MAIN_CHAIN_QUESTION)?,
                };
                let ui = match ui {
                    Some(ui) => ui,
                    None => ask_pem_chain(terminal, UI_CHAIN_QUESTION)?,
                };
                Ok(Chains { main, ui })
            }
            (main, ui, None) => {
                let mut flags = Vec::new();
                if main.is_none() {
                    flags.push("--main-chain".to_owned());
                }
                if ui.is_none() {
                    flags.push("--ui-chain".to_owned());
                }
                Err(CliError::Missing { flags })
            }
        }
    }
}

/// How many certificates a chain holds, then the chain itself.
fn describe_chain(pem: &str) -> String {
    let count = pem.matches("-----BEGIN CERTIFICATE-----").count();
    format!(
        "{count} certificate{}\n{}",
        if count == 1 { "" } else { "s" },
        pem.trim_end()
    )
}

/// What was installed: each service's names and expiry.
pub fn render(installed: &CertsInstalled, rotate: bool, now: u64) -> String {
    let expiry = |not_after: i64| {
        let secs = u64::try_from(not_after).unwrap_or(0);
        let days = secs.saturating_sub(now) / 86_400;
        format!("expires {} (in {days} days)", format_unix_time(secs))
    };
    let first = if rotate {
        "New certificates installed; they replace the previous ones and are served now, \
         without a restart.\n"
    } else {
        "Certificates installed; the API and the UI serve them now, without a restart.\n"
    };
    format!(
        "{first}\
         Main (Cluster): {main_names}; {main_expiry}\n\
         Assets (UI):    {ui_names}; {ui_expiry}\n",
        main_names = installed.main_names.join(", "),
        main_expiry = expiry(installed.main_not_after),
        ui_names = installed.ui_names.join(", "),
        ui_expiry = expiry(installed.ui_not_after),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prompt::scripted::Scripted;
    use clap::{CommandFactory, Parser};

    #[test]
    fn the_command_definition_is_consistent() {
        InstallCertsArgs::command().debug_assert();
    }

    #[test]
    fn chains_come_from_files_or_the_terminal() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("main.pem");
        std::fs::write(&main, "MAIN PEM\n").unwrap();
        let args = InstallCertsArgs::try_parse_from([
            "install_certs",
            "--main-chain",
            main.to_str().unwrap(),
        ])
        .unwrap();
        let error = args.resolve(None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "missing --ui-chain: standard input is not a terminal, so it cannot be asked for"
        );
        let mut terminal = Scripted::new(
            &[
                "-----BEGIN CERTIFICATE-----",
                "UI",
                "-----END CERTIFICATE-----",
                "",
            ],
            &[],
        );
        let chains = args.resolve(Some(&mut terminal)).unwrap();
        assert_eq!(chains.main, "MAIN PEM\n");
        assert_eq!(
            chains.ui,
            "-----BEGIN CERTIFICATE-----\nUI\n-----END CERTIFICATE-----\n"
        );
        let error = InstallCertsArgs::try_parse_from(["install_certs"])
            .unwrap()
            .resolve(None)
            .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("missing --main-chain, --ui-chain:"),
            "{error}"
        );
    }

    #[test]
    fn an_unreadable_file_is_named() {
        let args = InstallCertsArgs::try_parse_from([
            "install_certs",
            "--main-chain",
            "/nonexistent/main.pem",
            "--ui-chain",
            "/nonexistent/ui.pem",
        ])
        .unwrap();
        let error = args.resolve(None).unwrap_err();
        assert!(
            error.to_string().starts_with(
                "cannot read the Main (Cluster) certificate chain /nonexistent/main.pem:"
            ),
            "{error}"
        );
    }

    #[test]
    fn the_result_names_each_service_and_its_expiry() {
        let text = render(
            &CertsInstalled {
                main_names: vec!["dsm.example.com".into()],
                ui_names: vec!["ui.example.com".into(), "assets.example.com".into()],
                main_not_after: 1_764_339_600,
                ui_not_after: 1_764_339_600,
            },
            false,
            1_764_339_600 - 30 * 86_400,
        );
        assert_eq!(
            text,
            "Certificates installed; the API and the UI serve them now, without a restart.\n\
             Main (Cluster): dsm.example.com; expires 2025-11-28T14:20:00Z (in 30 days)\n\
             Assets (UI):    ui.example.com, assets.example.com; expires 2025-11-28T14:20:00Z (in 30 days)\n"
        );
    }
}
