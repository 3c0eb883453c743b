//! `sdkms-cluster label`: data-centre labels (guide §5.3.6; R-CLU-7). One node at a time
//! (`--node NAME --dc DC`), or every node from a map file (`--auto --dc-map FILE`), the
//! guide's "automated script".

use crate::client::Client;
use crate::error::CliError;
use crate::output::print_stdout;
use coffer_admin::AdminRequest;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Set the data centre of one node, or of every node listed in a map file.
///
/// The map file has one `NODE-NAME DATA-CENTRE` pair per line; blank lines and text after `#`
/// are ignored. Labelling is idempotent, so a partly failed run can simply be repeated.
#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["node", "auto"])))]
pub(crate) struct LabelArgs {
    /// The node to label.
    #[arg(long, value_name = "NAME", requires = "dc")]
    pub(crate) node: Option<String>,
    /// Its data centre.
    #[arg(long, value_name = "DC", requires = "node")]
    pub(crate) dc: Option<String>,
    /// Label every node listed in --dc-map.
    #[arg(long, requires = "dc_map", conflicts_with_all = ["node", "dc"])]
    pub(crate) auto: bool,
    /// The map file for --auto: one `NODE-NAME DATA-CENTRE` per line.
    #[arg(long, value_name = "FILE", requires = "auto")]
    pub(crate) dc_map: Option<PathBuf>,
}

impl LabelArgs {
    /// Sends one `label` request per node and reports each.
    pub(crate) fn run(self, data_dir: &Path) -> Result<(), CliError> {
        let client = Client::new(data_dir);
        let labels = match (self.node, self.dc, self.dc_map) {
            (Some(node), Some(dc), _) => {
                // The answer only echoes the label.
                client.request(&AdminRequest::Label {
                    node: node.clone(),
                    dc: dc.clone(),
                })?;
                print_stdout(&format!("node {node} labelled with data centre {dc}\n"));
                return Ok(());
            }
            (None, None, Some(path)) => read_map(&path)?,
            // clap already enforces this; kept as a plain refusal rather than a panic.
            _ => {
                return Err(CliError::Refused {
                    message: "give either --node NAME --dc DC, or --auto --dc-map FILE".into(),
                    hint: "see `sdkms-cluster label --help`".into(),
                });
            }
        };

        let mut failures = 0;
        for Label { node, dc } in &labels {
            let request = AdminRequest::Label {
                node: node.clone(),
                dc: dc.clone(),
            };
            match client.request(&request) {
                Ok(_) => print_stdout(&format!("{node}: labelled with data centre {dc}\n")),
                // The daemon refused this one; the others may still succeed.
                Err(CliError::Daemon(error)) => {
                    failures += 1;
                    let hint = error
                        .hint
                        .map(|hint| format!(" (hint: {hint})"))
                        .unwrap_or_default();
                    print_stdout(&format!("{node}: FAILED: {}{hint}\n", error.message));
                }
                // The daemon is unreachable; no point trying the next node.
                Err(other) => return Err(other),
            }
        }
        if failures > 0 {
            return Err(CliError::ReportFailed {
                message: format!("{failures} of {} labels failed", labels.len()),
                hint: "fix the causes above and run the same command again; labels already set \
                       are set again unchanged"
                    .into(),
            });
        }
        Ok(())
    }
}

/// One line of the map file.
#[derive(Debug, PartialEq, Eq)]
struct Label {
    node: String,
    dc: String,
}

/// Reads and checks the whole map file before anything is sent.
fn read_map(path: &Path) -> Result<Vec<Label>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::ReadFile {
        what: "data-centre map",
        path: path.to_path_buf(),
        source,
    })?;
    parse_map(&text).map_err(|(line, reason)| CliError::BadFile {
        path: path.to_path_buf(),
        line,
        reason,
    })
}

/// Parses `NODE-NAME DATA-CENTRE` lines; an error carries the 1-based line (0: whole file).
fn parse_map(text: &str) -> Result<Vec<Label>, (usize, String)> {
    let mut labels = Vec::new();
    let mut seen = HashSet::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let content = line.split('#').next().unwrap_or_default();
        let words: Vec<&str> = content.split_whitespace().collect();
        match words.as_slice() {
            [] => continue,
            [node, dc] => {
                if !seen.insert((*node).to_owned()) {
                    return Err((number, format!("node {node} is listed twice")));
                }
                labels.push(Label {
                    node: (*node).to_owned(),
                    dc: (*dc).to_owned(),
                });
            }
            _ => {
                return Err((
                    number,
                    format!(
                        "expected `NODE-NAME DATA-CENTRE`, found `{}`",
                        content.trim()
                    ),
                ));
            }
        }
    }
    if labels.is_empty() {
        return Err((0, "no `NODE-NAME DATA-CENTRE` lines".into()));
    }
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_skips_blank_lines_and_comments() {
        let labels =
            parse_map("# site map\nnode-1 dc-east\n\n  node-2\tdc-west   # rack 4\n").unwrap();
        assert_eq!(
            labels,
            vec![
                Label {
                    node: "node-1".into(),
                    dc: "dc-east".into()
                },
                Label {
                    node: "node-2".into(),
                    dc: "dc-west".into()
                },
            ]
        );
    }

    #[test]
    fn a_bad_map_line_is_reported_with_its_number() {
        assert_eq!(
            parse_map("node-1 dc-east\nnode-2\n"),
            Err((2, "expected `NODE-NAME DATA-CENTRE`, found `node-2`".into()))
        );
        assert_eq!(
            parse_map("node-1 a\nnode-1 b\n"),
            Err((2, "node node-1 is listed twice".into()))
        );
        assert_eq!(
            parse_map("# nothing\n"),
            Err((0, "no `NODE-NAME DATA-CENTRE` lines".into()))
        );
    }
}
