//! `sdkms-cluster deploy --config ./config.yaml --stage DEPLOY [--dry-run]` (guide §5.3.3–5.3.4,
//! R-CFG-DEPLOY) and `sdkms-cluster config show` (the guide's `kubectl get cm config-values`).

use crate::client::{Client, decode_payload};
use crate::error::CliError;
use crate::output::print_stdout;
use coffer_admin::{AdminRequest, ConfigShown, Deployed};
use std::path::{Path, PathBuf};

/// Validate a changed config.yaml and apply it to the running cluster without downtime.
#[derive(clap::Args, Debug)]
pub(crate) struct DeployArgs {
    /// The configuration file.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: PathBuf,
    /// The deployment stage; only `DEPLOY` exists (the guide's spelling).
    #[arg(long, value_name = "STAGE", default_value = "DEPLOY", value_parser = ["DEPLOY"])]
    pub(crate) stage: String,
    /// Only show what would change.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

impl DeployArgs {
    /// Sends the file; prints the changes and warnings.
    pub(crate) fn run(self, data_dir: &Path) -> Result<(), CliError> {
        let config_yaml =
            std::fs::read_to_string(&self.config).map_err(|source| CliError::ReadFile {
                what: "config file",
                path: self.config.clone(),
                source,
            })?;
        let request = AdminRequest::Deploy {
            config_yaml,
            dry_run: self.dry_run,
        };
        let deployed: Deployed =
            decode_payload("deploy", Client::new(data_dir).request(&request)?)?;
        print_stdout(&render(&deployed));
        Ok(())
    }
}

/// The applied configuration.
#[derive(clap::Args, Debug)]
pub(crate) struct ConfigArgs {
    #[command(subcommand)]
    pub(crate) action: ConfigAction,
}

/// What to do with the configuration.
#[derive(clap::Subcommand, Debug)]
pub(crate) enum ConfigAction {
    /// Print the applied config.yaml and its effective values (defaults filled in).
    Show {
        /// Print JSON instead.
        #[arg(long)]
        json: bool,
    },
}

impl ConfigArgs {
    /// Asks the daemon for the applied configuration.
    pub(crate) fn run(self, data_dir: &Path) -> Result<(), CliError> {
        let ConfigAction::Show { json } = self.action;
        let payload = Client::new(data_dir).request(&AdminRequest::ConfigShow)?;
        let shown: ConfigShown = decode_payload("config show", payload)?;
        if json {
            print_stdout(&format!(
                "{}\n",
                serde_json::to_string_pretty(&shown.effective).unwrap_or_default()
            ));
        } else {
            let mut out = String::from("# applied config.yaml\n");
            out.push_str(&shown.config_yaml);
            if !shown.config_yaml.ends_with('\n') {
                out.push('\n');
            }
            out.push_str("\n# effective values (defaults filled in)\n");
            out.push_str(&serde_json::to_string_pretty(&shown.effective).unwrap_or_default());
            out.push('\n');
            print_stdout(&out);
        }
        Ok(())
    }
}

fn render(deployed: &Deployed) -> String {
    let mut out = String::new();
    let verb = if deployed.dry_run {
        "would change"
    } else {
        "changed"
    };
    if deployed.changes.is_empty() {
        out.push_str("no setting changes\n");
    }
    for change in &deployed.changes {
        let show = |v: &Option<serde_json::Value>| {
            v.as_ref().map_or("(unset)".to_owned(), |v| v.to_string())
        };
        out.push_str(&format!(
            "{} {verb}: {} -> {}",
            change.path,
            show(&change.old),
            show(&change.new)
        ));
        if !change.live {
            out.push_str(" (takes effect at the next upgrade)");
        }
        if let Some(note) = &change.note {
            out.push_str(&format!(" — {note}"));
        }
        out.push('\n');
    }
    for warning in &deployed.warnings {
        out.push_str(&format!("warning: {warning}\n"));
    }
    if deployed.dry_run {
        out.push_str("dry run: nothing was applied\n");
    } else {
        out.push_str("applied to the running cluster\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_admin::ConfigChange;

    #[test]
    fn a_dry_run_lists_changes_and_says_nothing_was_applied() {
        let deployed = Deployed {
            dry_run: true,
            changes: vec![ConfigChange {
                path: "sdkms.useLogFilter".into(),
                old: Some(serde_json::json!(false)),
                new: Some(serde_json::json!(true)),
                live: true,
                note: None,
            }],
            warnings: vec!["unknown key `global.foo` (line 3)".into()],
        };
        let text = render(&deployed);
        assert!(
            text.contains("sdkms.useLogFilter would change: false -> true"),
            "{text}"
        );
        assert!(text.contains("warning: unknown key"), "{text}");
        assert!(text.ends_with("dry run: nothing was applied\n"), "{text}");
    }
}
