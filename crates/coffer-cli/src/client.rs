//! One round trip on the admin socket: connect, write one JSON line, read one JSON line.

use crate::error::CliError;
use coffer_admin::{AdminRequest, AdminResponse, SOCKET_NAME};
use serde_json::Value;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// How long to wait for the daemon to accept the connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for the answer to a quick request (status, tokens, labels).
const SHORT_ANSWER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait for the answer to a request that changes membership or talks to every
/// node. The daemon gives up on a join or create after 120 s; the margin lets its own error
/// arrive instead of a timeout here.
const LONG_ANSWER_TIMEOUT: Duration = Duration::from_secs(150);
/// How long to wait for a master key rotation, which re-seals every secret of the cluster.
const ROTATION_ANSWER_TIMEOUT: Duration = Duration::from_secs(3600);
/// The longest answer accepted; a status of a large cluster is a few kilobytes.
const MAX_ANSWER_BYTES: u64 = 16 * 1024 * 1024;

/// The local daemon's admin socket.
#[derive(Clone, Debug)]
pub struct Client {
    data_dir: PathBuf,
    socket: PathBuf,
}

/// Whether a daemon could be reached at all (see [`Client::try_request`]).
#[derive(Debug)]
pub enum Reach {
    /// The daemon answered (successfully or with an error).
    Answered(Result<Value, CliError>),
    /// No daemon runs with this data directory: the socket is absent or refuses connections.
    NoDaemon(CliError),
}

impl Client {
    /// The socket of the daemon whose data directory is `data_dir`.
    pub fn new(data_dir: &Path) -> Self {
        Self {
            data_dir: data_dir.to_path_buf(),
            socket: data_dir.join(SOCKET_NAME),
        }
    }

    /// Sends `request` and returns the payload of an `ok` answer; a daemon error becomes
    /// [`CliError::Daemon`].
    pub fn request(&self, request: &AdminRequest) -> Result<Value, CliError> {
        match self.try_request(request) {
            Reach::Answered(result) => result,
            Reach::NoDaemon(error) => Err(error),
        }
    }

    /// Like [`Client::request`], but tells "no daemon here" apart from every other failure,
    /// for commands that can do their work without the daemon.
    pub fn try_request(&self, request: &AdminRequest) -> Reach {
        let stream = match self.connect() {
            Ok(stream) => stream,
            Err(error @ (CliError::NoDaemon { .. } | CliError::StaleSocket { .. })) => {
                return Reach::NoDaemon(error);
            }
            Err(error) => return Reach::Answered(Err(error)),
        };
        Reach::Answered(self.exchange(stream, request))
    }

    /// Connects, giving up after [`CONNECT_TIMEOUT`]. `UnixStream` has no connect timeout, so
    /// the connect runs on a thread; if it hangs, the thread is abandoned (the process exits
    /// soon after anyway).
    fn connect(&self) -> Result<UnixStream, CliError> {
        let (sender, receiver) = mpsc::channel();
        let socket = self.socket.clone();
        std::thread::spawn(move || {
            // The receiver is gone only after a timeout, when nobody wants the result.
            let _ = sender.send(UnixStream::connect(socket));
        });
        let result = receiver
            .recv_timeout(CONNECT_TIMEOUT)
            .map_err(|_| CliError::Timeout {
                socket: self.socket.clone(),
                waiting_for: "accept the connection".into(),
                after: CONNECT_TIMEOUT,
            })?;
        result.map_err(|source| self.connect_error(source))
    }

    /// Names the connect failure in terms of what the operator should do.
    fn connect_error(&self, source: io::Error) -> CliError {
        match source.kind() {
            io::ErrorKind::NotFound => CliError::NoDaemon {
                data_dir: self.data_dir.clone(),
                socket: self.socket.clone(),
            },
            io::ErrorKind::ConnectionRefused => CliError::StaleSocket {
                socket: self.socket.clone(),
                data_dir: self.data_dir.clone(),
            },
            io::ErrorKind::PermissionDenied => CliError::PermissionDenied {
                socket: self.socket.clone(),
            },
            _ => CliError::Connect {
                socket: self.socket.clone(),
                source,
            },
        }
    }

    /// Writes the request line and reads the answer line.
    fn exchange(&self, stream: UnixStream, request: &AdminRequest) -> Result<Value, CliError> {
        let command = request.name();
        let answer_timeout = answer_timeout(request);
        let transport = |source: io::Error| {
            if matches!(
                source.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) {
                CliError::Timeout {
                    socket: self.socket.clone(),
                    waiting_for: format!("answer `{command}`"),
                    after: answer_timeout,
                }
            } else {
                CliError::Transport {
                    socket: self.socket.clone(),
                    source,
                }
            }
        };
        stream
            .set_write_timeout(Some(CONNECT_TIMEOUT))
            .map_err(transport)?;
        stream
            .set_read_timeout(Some(answer_timeout))
            .map_err(transport)?;

        let mut line = serde_json::to_string(request).map_err(|error| CliError::BadAnswer {
            command,
            reason: format!("the request cannot be encoded: {error}"),
        })?;
        line.push('\n');
        (&stream).write_all(line.as_bytes()).map_err(transport)?;
        (&stream).flush().map_err(transport)?;

        let mut answer = String::new();
        BufReader::new((&stream).take(MAX_ANSWER_BYTES))
            .read_line(&mut answer)
            .map_err(transport)?;
        decode_answer(command, &answer)
    }
}

/// Turns one answer line into the `ok` payload or the daemon's error.
pub fn decode_answer(command: &'static str, answer: &str) -> Result<Value, CliError> {
    if answer.trim().is_empty() {
        return Err(CliError::BadAnswer {
            command,
            reason: "the daemon closed the connection without answering (see its log: \
                     `journalctl -u coffer`)"
                .into(),
        });
    }
    match serde_json::from_str::<AdminResponse>(answer) {
        Ok(AdminResponse::Ok(payload)) => Ok(payload),
        Ok(AdminResponse::Error(error)) => Err(CliError::Daemon(error)),
        Err(error) => Err(CliError::BadAnswer {
            command,
            reason: error.to_string(),
        }),
    }
}

/// Decodes an `ok` payload into the result type `command` promises.
pub fn decode_payload<T: serde::de::DeserializeOwned>(
    command: &'static str,
    payload: Value,
) -> Result<T, CliError> {
    serde_json::from_value(payload).map_err(|error| CliError::BadAnswer {
        command,
        reason: error.to_string(),
    })
}

/// How long the daemon may take to answer `request`.
fn answer_timeout(request: &AdminRequest) -> Duration {
    match request {
        AdminRequest::Create { .. }
        | AdminRequest::Join { .. }
        | AdminRequest::Remove { .. }
        | AdminRequest::Reset { .. }
        | AdminRequest::Repair
        | AdminRequest::CheckNetwork { .. }
        | AdminRequest::GetCsrs { .. }
        | AdminRequest::InstallCerts { .. }
        | AdminRequest::Deploy { .. } => LONG_ANSWER_TIMEOUT,
        AdminRequest::ConfigShow => SHORT_ANSWER_TIMEOUT,
        AdminRequest::RotateMasterKey => ROTATION_ANSWER_TIMEOUT,
        AdminRequest::Signup { .. }
        | AdminRequest::AuditRetention { .. }
        | AdminRequest::Metrics => SHORT_ANSWER_TIMEOUT,
        AdminRequest::CheckOutbound { .. } => LONG_ANSWER_TIMEOUT,
        AdminRequest::ConfigWatch { timeout_secs, .. } => {
            Duration::from_secs(*timeout_secs) + SHORT_ANSWER_TIMEOUT
        }
        AdminRequest::TokenCreate { .. }
        | AdminRequest::TokenList
        | AdminRequest::TokenDelete { .. }
        | AdminRequest::Status
        | AdminRequest::Label { .. }
        | AdminRequest::SysadminCreate { .. } => SHORT_ANSWER_TIMEOUT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ok_answer_yields_its_payload() {
        let payload = decode_answer("status", "{\"ok\":{\"a\":1}}\n").unwrap();
        assert_eq!(payload, serde_json::json!({"a": 1}));
    }

    #[test]
    fn an_error_answer_keeps_message_and_hint() {
        let error = decode_answer(
            "join",
            r#"{"error":{"message":"token expired","hint":"make a new one"}}"#,
        )
        .unwrap_err();
        assert_eq!(error.to_string(), "token expired");
        assert_eq!(error.hint().as_deref(), Some("make a new one"));
    }

    #[test]
    fn an_empty_answer_says_the_daemon_closed_the_connection() {
        let error = decode_answer("status", "").unwrap_err();
        assert!(
            error.to_string().contains("closed the connection"),
            "{error}"
        );
    }

    #[test]
    fn garbage_is_reported_with_the_command_name() {
        let error = decode_answer("repair", "hello\n").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("the daemon's answer to `repair`"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_socket_names_the_data_directory_and_how_to_start_the_daemon() {
        let dir = tempfile::tempdir().unwrap();
        let client = Client::new(dir.path());
        let error = client.request(&AdminRequest::Status).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("no Coffer daemon is running"), "{text}");
        assert!(text.contains(&format!(
            "coffer server --data-dir {}",
            dir.path().display()
        )));
    }

    #[test]
    fn membership_changes_get_the_long_timeout() {
        let join = AdminRequest::Join {
            peer: "10.0.0.1/24".into(),
            token: "abcdef.0123456789abcdef".into(),
            self_addr: None,
            node_name: None,
        };
        assert_eq!(answer_timeout(&join), LONG_ANSWER_TIMEOUT);
        assert_eq!(answer_timeout(&AdminRequest::Status), SHORT_ANSWER_TIMEOUT);
    }
}
