//! `sdkms-cluster reset --delete-data [--reset-iptables]`: return this node to a fresh state
//! (guide §5.1 step 4 and §8 step 3; R-INST-3).
//!
//! With a daemon running, the daemon does the reset. Without one (it is stopped, or it never
//! ran), the command does it itself:
//!
//! - it deletes everything inside the data directory (the directory itself stays), naming each
//!   entry it removes; an absent or empty directory means there is nothing to do;
//! - with `--reset-iptables`, in the filter table of `iptables` and `ip6tables`, it deletes the
//!   rules that jump to the chain `COFFER`, then flushes and deletes that chain. No other rule
//!   is touched. When a tool is not installed it says so and goes on.
//!
//! Both steps are idempotent: a second run succeeds and says there was nothing to remove.

mod iptables;

use crate::client::{Client, Reach};
use crate::cmd::render_details;
use crate::error::CliError;
use crate::output::{print_stderr, print_stdout};
use coffer_admin::AdminRequest;
use serde_json::Value;
use std::io;
use std::path::{Path, PathBuf};

/// Reset this node: delete its data, keys, certificates and cluster membership.
///
/// With the daemon running, the daemon resets the node. Without one, this command deletes
/// everything inside the data directory itself (the directory stays) and, with
/// --reset-iptables, deletes the iptables/ip6tables chain COFFER and the rules that jump to it,
/// and no other rule; a missing iptables is reported and skipped. Running it again is safe.
#[derive(clap::Args, Debug)]
pub(crate) struct ResetArgs {
    /// Confirm that everything in the data directory is deleted; without it nothing is done.
    #[arg(long)]
    pub(crate) delete_data: bool,
    /// Also delete the firewall rules Coffer installed (the iptables chain COFFER and the rules
    /// that jump to it).
    #[arg(long)]
    pub(crate) reset_iptables: bool,
}

impl ResetArgs {
    /// Refuses without `--delete-data`; otherwise resets through the daemon, or locally when
    /// no daemon runs with this data directory.
    pub(crate) fn run(self, data_dir: &Path) -> Result<(), CliError> {
        if !self.delete_data {
            return Err(refusal(data_dir));
        }
        let request = AdminRequest::Reset {
            delete_data: true,
            reset_iptables: self.reset_iptables,
        };
        match Client::new(data_dir).try_request(&request) {
            Reach::Answered(result) => {
                print_stdout(&render_daemon_report(data_dir, &result?));
                Ok(())
            }
            Reach::NoDaemon(why) => {
                print_stderr(&format!("{}; resetting locally\n", no_daemon_note(&why)));
                reset_data_dir(data_dir, &mut |line| print_stdout(line))?;
                if self.reset_iptables {
                    iptables::remove_coffer_rules()?;
                }
                Ok(())
            }
        }
    }
}

/// The daemon's reset report: `{"removed": [paths], "iptables": "what happened"}`; any other
/// shape is shown as it came.
fn render_daemon_report(data_dir: &Path, report: &Value) -> String {
    let mut text = String::from("node reset by the daemon\n");
    let removed = report.get("removed").and_then(Value::as_array);
    let iptables = report.get("iptables").and_then(Value::as_str);
    let Some(removed) = removed else {
        return text + &render_details(report);
    };
    if removed.is_empty() {
        text.push_str(&format!(
            "nothing to remove: {} was already empty\n",
            data_dir.display()
        ));
    }
    for path in removed {
        match path.as_str() {
            Some(path) => text.push_str(&format!("removed {path}\n")),
            None => text.push_str(&format!("removed {path}\n")),
        }
    }
    if let Some(iptables) = iptables {
        text.push_str(&format!("iptables: {iptables}\n"));
    }
    text
}

/// Deletes the contents of `data_dir`, reporting each removed entry as it goes (so a failure
/// part-way still shows what is gone).
fn reset_data_dir(data_dir: &Path, report: &mut dyn FnMut(&str)) -> Result<(), CliError> {
    let metadata = match std::fs::metadata(data_dir) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            report(&format!(
                "nothing to remove: {} does not exist\n",
                data_dir.display()
            ));
            return Ok(());
        }
        Err(source) => {
            return Err(CliError::LocalReset {
                path: data_dir.to_path_buf(),
                source,
            });
        }
    };
    if !metadata.is_dir() {
        return Err(CliError::LocalReset {
            path: data_dir.to_path_buf(),
            source: io::Error::other("the data directory is not a directory"),
        });
    }
    refuse_system_dir(data_dir)?;

    let mut entries = std::fs::read_dir(data_dir)
        .and_then(|entries| {
            entries
                .map(|entry| entry.map(|e| e.path()))
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|source| CliError::LocalReset {
            path: data_dir.to_path_buf(),
            source,
        })?;
    if entries.is_empty() {
        report(&format!(
            "nothing to remove: {} is empty\n",
            data_dir.display()
        ));
        return Ok(());
    }
    entries.sort();
    for path in &entries {
        let kind = remove_entry(path)?;
        report(&format!("removed {} ({kind})\n", path.display()));
    }
    report(&format!(
        "{} is now empty ({} entries removed)\n",
        data_dir.display(),
        entries.len()
    ));
    Ok(())
}

/// Removes one entry of the data directory; a symbolic link is removed, not followed.
fn remove_entry(path: &Path) -> Result<&'static str, CliError> {
    let failed = |source| CliError::LocalReset {
        path: path.to_path_buf(),
        source,
    };
    let file_type = std::fs::symlink_metadata(path).map_err(failed)?.file_type();
    if file_type.is_dir() {
        std::fs::remove_dir_all(path).map_err(failed)?;
        Ok("directory")
    } else {
        std::fs::remove_file(path).map_err(failed)?;
        Ok(if file_type.is_symlink() {
            "symbolic link"
        } else {
            "file"
        })
    }
}

/// Refuses to empty a directory that belongs to the system (a mistyped `--data-dir /`).
fn refuse_system_dir(data_dir: &Path) -> Result<(), CliError> {
    let canonical = std::fs::canonicalize(data_dir).map_err(|source| CliError::LocalReset {
        path: data_dir.to_path_buf(),
        source,
    })?;
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if SYSTEM_DIRS.iter().any(|dir| canonical == Path::new(dir))
        || home.as_deref() == Some(&canonical)
    {
        return Err(CliError::UnsafeDataDir {
            path: data_dir.to_path_buf(),
        });
    }
    Ok(())
}

/// Why the reset runs locally, in one clause.
fn no_daemon_note(why: &CliError) -> String {
    match why {
        CliError::StaleSocket { socket, .. } => {
            format!(
                "no Coffer daemon accepts connections on {}",
                socket.display()
            )
        }
        CliError::NoDaemon { socket, .. } => {
            format!(
                "no Coffer daemon is running ({} not found)",
                socket.display()
            )
        }
        other => other.to_string(),
    }
}

/// Why `reset` without `--delete-data` does nothing.
fn refusal(data_dir: &Path) -> CliError {
    CliError::Refused {
        message: format!(
            "not resetting without --delete-data: a reset permanently deletes everything in {} \
             (this node's keys, replicated data, certificates and cluster membership)",
            data_dir.display()
        ),
        hint: "to confirm, run `sdkms-cluster reset --delete-data` (add --reset-iptables to also \
               delete Coffer's firewall rules)"
            .into(),
    }
}

/// Directories a data directory can never be.
const SYSTEM_DIRS: &[&str] = &[
    "/",
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/lib32",
    "/lib64",
    "/media",
    "/mnt",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/sbin",
    "/srv",
    "/sys",
    "/tmp",
    "/usr",
    "/usr/local",
    "/var",
    "/var/lib",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_delete_data_the_refusal_names_the_directory_and_how_to_confirm() {
        let error = refusal(Path::new("/var/lib/coffer"));
        assert!(
            error
                .to_string()
                .contains("permanently deletes everything in /var/lib/coffer")
        );
        assert!(
            error
                .hint()
                .unwrap_or_default()
                .contains("sdkms-cluster reset --delete-data")
        );
    }

    #[test]
    fn the_daemons_report_lists_what_it_removed() {
        let report = serde_json::json!({
            "removed": ["/var/lib/coffer/store.redb", "/var/lib/coffer/tls"],
            "iptables": "no Coffer firewall rules to remove"
        });
        assert_eq!(
            render_daemon_report(Path::new("/var/lib/coffer"), &report),
            "node reset by the daemon\n\
             removed /var/lib/coffer/store.redb\n\
             removed /var/lib/coffer/tls\n\
             iptables: no Coffer firewall rules to remove\n"
        );
        let empty = serde_json::json!({"removed": [], "iptables": "not requested"});
        assert!(
            render_daemon_report(Path::new("/d"), &empty)
                .contains("nothing to remove: /d was already empty\n")
        );
        assert_eq!(
            render_daemon_report(Path::new("/d"), &Value::Null),
            "node reset by the daemon\n"
        );
    }

    #[test]
    fn system_directories_are_never_emptied() {
        for dir in ["/", "/etc", "/var/lib"] {
            let error = refuse_system_dir(Path::new(dir)).unwrap_err();
            assert!(matches!(error, CliError::UnsafeDataDir { .. }), "{dir}");
        }
        let dir = tempfile::tempdir().unwrap();
        assert!(refuse_system_dir(dir.path()).is_ok());
    }

    #[test]
    fn emptying_keeps_the_directory_and_does_not_follow_links() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("keep"), "x").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("raft/log")).unwrap();
        std::fs::write(dir.path().join("raft/log/0001"), "entry").unwrap();
        std::fs::write(dir.path().join("node.json"), "{}").unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();

        let mut lines = Vec::new();
        reset_data_dir(dir.path(), &mut |line| lines.push(line.to_owned())).unwrap();

        let d = dir.path().display();
        assert_eq!(
            lines,
            [
                format!("removed {d}/link (symbolic link)\n"),
                format!("removed {d}/node.json (file)\n"),
                format!("removed {d}/raft (directory)\n"),
                format!("{d} is now empty (3 entries removed)\n"),
            ]
        );
        assert!(dir.path().is_dir());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        assert!(outside.path().join("keep").exists());

        lines.clear();
        reset_data_dir(dir.path(), &mut |line| lines.push(line.to_owned())).unwrap();
        assert_eq!(lines, [format!("nothing to remove: {d} is empty\n")]);
    }
}
