//! `sdkms-cluster deploy --config ./config.yaml --stage DEPLOY [--dry-run]` (guide §5.3.3–5.3.4,
//! R-CFG-DEPLOY), `sdkms-cluster config show` (the guide's `kubectl get cm config-values`) and
//! `sdkms-cluster config watch`.

use crate::client::{Client, decode_payload};
use crate::error::CliError;
use crate::output::{format_unix_time, print_stdout};
use coffer_admin::{AdminRequest, ChangeEffect, ConfigShown, Deployed};
use std::path::{Path, PathBuf};

/// Validate a changed config.yaml and store it for the whole cluster, without downtime. The
/// output says, for each changed key, whether this version of Coffer acts on it, and when each
/// node took the new configuration up.
///
/// Exits with 1 when a node did not confirm within 10 s (the configuration is stored all the
/// same).
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
        let behind: Vec<&str> = deployed
            .nodes
            .iter()
            .filter(|(_, outcome)| outcome.is_err())
            .map(|(node, _)| node.as_str())
            .collect();
        if behind.is_empty() {
            return Ok(());
        }
        Err(CliError::ReportFailed {
            message: format!(
                "the configuration is stored, but {} did not confirm taking it up",
                behind.join(", ")
            ),
            hint: "each member takes it up when it applies the change; check it with \
                   `sdkms-cluster config show` on that node"
                .into(),
        })
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
    /// Wait until this node takes up a new configuration (or new certificates), then print it
    /// as `show` does.
    Watch {
        /// Wait for settings newer than this version (printed by `watch --json`); by default,
        /// newer than the node's current ones.
        #[arg(long, value_name = "VERSION")]
        after: Option<u64>,
        /// Give up after this many seconds (at most 600).
        #[arg(long, value_name = "SECONDS", default_value_t = 60,
              value_parser = clap::value_parser!(u64).range(1..=600))]
        timeout: u64,
        /// Print JSON instead: `{"version": N, "effective": {…}}`.
        #[arg(long)]
        json: bool,
    },
}

impl ConfigArgs {
    /// Asks the daemon for the applied configuration, now or at its next change.
    pub(crate) fn run(self, data_dir: &Path) -> Result<(), CliError> {
        let client = Client::new(data_dir);
        match self.action {
            ConfigAction::Show { json } => {
                let shown: ConfigShown =
                    decode_payload("config show", client.request(&AdminRequest::ConfigShow)?)?;
                print_stdout(&render_shown(&shown, json, false));
            }
            ConfigAction::Watch {
                after,
                timeout,
                json,
            } => {
                let after = match after {
                    Some(after) => after,
                    None => {
                        let shown: ConfigShown = decode_payload(
                            "config show",
                            client.request(&AdminRequest::ConfigShow)?,
                        )?;
                        shown.version
                    }
                };
                let request = AdminRequest::ConfigWatch {
                    after,
                    timeout_secs: timeout,
                };
                let shown: ConfigShown = decode_payload("config watch", client.request(&request)?)?;
                print_stdout(&render_shown(&shown, json, true));
            }
        }
        Ok(())
    }
}

/// `config show` and `config watch` output; `with_version` puts the version in the JSON form.
fn render_shown(shown: &ConfigShown, json: bool, with_version: bool) -> String {
    if json {
        let value = if with_version {
            serde_json::json!({"version": shown.version, "effective": shown.effective})
        } else {
            shown.effective.clone()
        };
        return format!(
            "{}\n",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    }
    let mut out = String::from("# applied config.yaml\n");
    out.push_str(&shown.config_yaml);
    if !shown.config_yaml.ends_with('\n') {
        out.push('\n');
    }
    out.push_str("\n# effective values (defaults filled in)\n");
    out.push_str(&serde_json::to_string_pretty(&shown.effective).unwrap_or_default());
    out.push('\n');
    out
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
        match &change.effect {
            ChangeEffect::ActedOn { consumer } => {
                out.push_str(&format!(" — {consumer} acts on it on every node"));
            }
            ChangeEffect::AtNextUpgrade { consumer } => {
                out.push_str(&format!(
                    " — {consumer} acts on it when each node is next upgraded"
                ));
            }
            ChangeEffect::StoredOnly => {
                out.push_str(" — stored; not acted on by this version");
            }
        }
        if let Some(note) = &change.note {
            out.push_str(&format!(" ({note})"));
        }
        out.push('\n');
    }
    for warning in &deployed.warnings {
        out.push_str(&format!("warning: {warning}\n"));
    }
    if deployed.dry_run {
        out.push_str("dry run: nothing was applied\n");
    } else {
        out.push_str("stored for the whole cluster\n");
        for (node, outcome) in &deployed.nodes {
            match outcome {
                Ok(at_ms) => out.push_str(&format!(
                    "{node}: took it up at {}\n",
                    format_unix_time(at_ms / 1000)
                )),
                Err(why) => out.push_str(&format!("{node}: {why}\n")),
            }
        }
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
                effect: ChangeEffect::StoredOnly,
                note: None,
            }],
            warnings: vec!["unknown key `global.foo` (line 3)".into()],
            nodes: Vec::new(),
        };
        let text = render(&deployed);
        assert!(
            text.contains("sdkms.useLogFilter would change: false -> true"),
            "{text}"
        );
        assert!(text.contains("warning: unknown key"), "{text}");
        assert!(text.ends_with("dry run: nothing was applied\n"), "{text}");
    }

    #[test]
    fn a_deploy_names_when_each_node_took_it_up_and_which_did_not() {
        let deployed = Deployed {
            dry_run: false,
            changes: Vec::new(),
            warnings: Vec::new(),
            nodes: vec![
                ("node1".into(), Ok(1_700_000_000_000)),
                (
                    "node2".into(),
                    Err("did not answer: connection refused".into()),
                ),
            ],
        };
        assert_eq!(
            render(&deployed),
            "no setting changes\n\
             stored for the whole cluster\n\
             node1: took it up at 2023-11-14T22:13:20Z\n\
             node2: did not answer: connection refused\n"
        );
    }
}
