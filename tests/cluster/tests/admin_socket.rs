//! The admin socket answers only root and the daemon's own user, even when its file mode would
//! let others connect; and a daemon whose platform secret lies in its data directory says so.

use anyhow::{Context, ensure};
use coffer_cluster_tests::scenario;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

/// The unprivileged user the refused client runs as.
const NOBODY: &str = "65534";

#[test]
fn other_users_are_refused_and_a_platform_secret_in_the_data_dir_is_warned_of() {
    if !Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
    {
        eprintln!("skipped: needs root to run a client as another user");
        return;
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipped: setpriv (util-linux) is not installed");
        return;
    }
    scenario("127.17.0", |cluster| {
        let number = cluster.start_node()?;
        let node = cluster.node(number);
        eprintln!("--- a misconfigured host: the data directory and the socket open to everyone");
        let dir = node.data_dir();
        let socket = dir.join("admin.sock");
        for (path, mode) in [(dir, 0o755), (socket.as_path(), 0o666)] {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                .with_context(|| format!("chmod {}", path.display()))?;
        }
        let cli = coffer_testkit::process::workspace_binary("sdkms-cluster", "SDKMS_CLUSTER_BIN")?;

        eprintln!("--- root is answered");
        let root = Command::new(&cli)
            .arg("--data-dir")
            .arg(dir)
            .arg("status")
            .output()?;
        ensure!(root.status.success(), "root's status: {root:?}");

        eprintln!("--- uid {NOBODY} connects, and is refused");
        let other = Command::new("setpriv")
            .args([
                &format!("--reuid={NOBODY}"),
                &format!("--regid={NOBODY}"),
                "--clear-groups",
            ])
            .arg(&cli)
            .arg("--data-dir")
            .arg(dir)
            .arg("status")
            .output()?;
        let stderr = String::from_utf8_lossy(&other.stderr);
        ensure!(
            !other.status.success() && stderr.contains("answers only root"),
            "uid {NOBODY} was answered: {other:?}"
        );

        eprintln!("--- the daemon warned that its platform secret lives in the data directory");
        ensure!(
            node.logs()
                .contains("the platform secret is inside the data directory"),
            "no warning about the platform secret's place"
        );
        Ok(())
    });
}
