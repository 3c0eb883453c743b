//! The admin socket: one JSON request line in, one JSON response line out.

use crate::runtime::Daemon;
use anyhow::Context;
use coffer_admin::{AdminRequest, AdminResponse, SOCKET_NAME};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncReadExt as _, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

/// Longest request line accepted (a `config.yaml` travels inside `create`).
const MAX_REQUEST: usize = 1024 * 1024;

/// The bound socket.
pub(crate) struct AdminSocket {
    listener: UnixListener,
    path: PathBuf,
    /// The daemon's user (the socket file's owner); with root, the only one answered.
    owner: u32,
}

impl AdminSocket {
    /// Binds `DIR/admin.sock`, replacing a stale socket file, with mode 0600.
    pub(crate) fn bind(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join(SOCKET_NAME);
        if path.exists() {
            if std::os::unix::net::UnixStream::connect(&path).is_ok() {
                anyhow::bail!(
                    "another Coffer daemon is already serving {}",
                    path.display()
                );
            }
            std::fs::remove_file(&path)
                .with_context(|| format!("removing the stale socket {}", path.display()))?;
        }
        let listener =
            UnixListener::bind(&path).with_context(|| format!("binding {}", path.display()))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        let owner = std::fs::metadata(&path)
            .with_context(|| format!("reading {}", path.display()))?
            .uid();
        Ok(Self {
            listener,
            path,
            owner,
        })
    }

    /// The socket's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Serves requests until the listener fails.
    pub(crate) async fn serve(self, daemon: Arc<Daemon>) {
        loop {
            match self.listener.accept().await {
                Ok((stream, _)) => {
                    let daemon = daemon.clone();
                    let owner = self.owner;
                    tokio::spawn(async move {
                        if let Err(error) = answer(stream, daemon, owner).await {
                            tracing::warn!(error = format!("{error:#}"), "admin request failed");
                        }
                    });
                }
                Err(error) => {
                    tracing::error!(%error, "admin socket accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        }
    }
}

/// Answers one connection. Only root and the daemon's own user are answered, whatever the
/// socket file's mode says: the socket is the cluster's root of control.
async fn answer(stream: UnixStream, daemon: Arc<Daemon>, owner: u32) -> anyhow::Result<()> {
    let uid = stream
        .peer_cred()
        .context("reading the client's credentials")?
        .uid();
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let mut reader = BufReader::new(read).take(MAX_REQUEST as u64);
    reader.read_line(&mut line).await?;
    let request = serde_json::from_str::<AdminRequest>(&line);
    let command = request.as_ref().map_or("(malformed)", |r| r.name());
    let response = match request {
        Ok(request) if uid != 0 && uid != owner => {
            tracing::warn!(
                command = request.name(),
                uid,
                "admin request refused: the client is neither root nor the daemon's user"
            );
            AdminResponse::Error(coffer_admin::AdminError::new(
                format!(
                    "the admin socket answers only root and uid {owner}; this command runs as uid {uid}"
                ),
                Some("run sdkms-cluster as root (sudo)"),
            ))
        }
        Ok(request) => {
            tracing::info!(command = request.name(), uid, "admin request");
            daemon.handle(request).await
        }
        Err(error) => AdminResponse::Error(coffer_admin::AdminError::new(
            format!("malformed admin request: {error}"),
            Some("the command and the daemon may be different versions"),
        )),
    };
    daemon.audit_command(command, uid, &response).await;
    let mut out = serde_json::to_vec(&response)?;
    out.push(b'\n');
    write.write_all(&out).await?;
    write.shutdown().await?;
    Ok(())
}
