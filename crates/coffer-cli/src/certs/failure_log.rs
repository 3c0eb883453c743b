//! The failure log of `get_csrs` and `install_certs`: what support needs to see, kept on the
//! node (the guide: "If get_csrs fails then refer to the logs at /var/log/get_csrs.log").
//!
//! One entry per failure, appended:
//!
//! ```text
//! ==== 2025-11-28T14:20:00Z get_csrs failed (exit code 1)
//! command line: get_csrs --main-domain dsm.example.com … --sysadmin-password <hidden>
//! data directory: /var/lib/coffer
//! main domain: dsm.example.com
//! …
//! error (from the daemon): certificates are already installed
//! hint: to replace them run `get_csrs --rotate`, then `install_certs --rotate`
//! ```
//!
//! Passwords never reach the log: the values of secret flags are replaced by `<hidden>`, and
//! the commands never put a password among the details.

use super::Details;
use crate::error::CliError;
use crate::output::{format_unix_time, now_unix, print_stderr};
use coffer_admin::DEFAULT_DATA_DIR;
use std::error::Error as _;
use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Shown instead of a secret flag's value.
pub const HIDDEN: &str = "<hidden>";

/// A failed run, as the log records it.
#[derive(Debug)]
pub struct Failure<'a> {
    /// The command (`get_csrs`).
    pub command: &'static str,
    /// Flags whose values are hidden (`--sysadmin-password`).
    pub secret_flags: &'a [&'a str],
    /// The command line, program name first.
    pub argv: &'a [OsString],
    /// The data directory (the log's fallback location).
    pub data_dir: &'a Path,
    /// Where the log goes first.
    pub log_file: &'a Path,
    /// What the command was working with.
    pub details: &'a Details,
    /// What went wrong.
    pub error: &'a CliError,
}

/// Logs the failure and prints `<command> failed: <message>; details in <path>` and the hint
/// on stderr; returns the error's exit code.
pub fn report_failure(failure: &Failure<'_>) -> ExitCode {
    let exit_code = if matches!(failure.error, CliError::Refused { .. }) {
        2
    } else {
        1
    };
    let entry = entry(failure, exit_code);
    let written = write_entry(failure.command, failure.log_file, failure.data_dir, &entry);
    let mut text = format!(
        "{} failed: {}; {}\n",
        failure.command,
        failure.error,
        where_written(&written)
    );
    if let Some(hint) = failure.error.hint() {
        text.push_str(&format!("hint: {hint}\n"));
    }
    print_stderr(&text);
    ExitCode::from(exit_code)
}

/// For a command line the parser refused: prints the parser's message (exiting 0 for
/// `--help` and `--version`), logs the failure where the command line says (or the defaults)
/// and exits with 2.
pub fn report_usage_failure(
    command: &'static str,
    secret_flags: &[&str],
    argv: &[OsString],
    error: &clap::Error,
) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    let _ = error.print();
    let log_file =
        flag_value(argv, "--log-file").map_or_else(|| default_log_file(command), PathBuf::from);
    let data_dir = flag_value(argv, "--data-dir")
        .or_else(|| std::env::var_os("COFFER_DATA_DIR"))
        .map_or_else(|| PathBuf::from(DEFAULT_DATA_DIR), PathBuf::from);
    let usage = CliError::Input {
        message: format!("invalid command line: {}", first_line(&error.to_string())),
        hint: Some(format!("see `{command} --help`")),
    };
    let failure = Failure {
        command,
        secret_flags,
        argv,
        data_dir: &data_dir,
        log_file: &log_file,
        details: &Details::new(),
        error: &usage,
    };
    let written = write_entry(command, &log_file, &data_dir, &entry(&failure, 2));
    print_stderr(&format!(
        "{command} failed: invalid command line; {}\n",
        where_written(&written)
    ));
    ExitCode::from(2)
}

/// `/var/log/<command>.log`.
pub fn default_log_file(command: &str) -> PathBuf {
    PathBuf::from(format!("/var/log/{command}.log"))
}

/// The command line for the log: arguments separated by spaces, quoted when they hold spaces,
/// the values of `secret_flags` (`--flag VALUE` or `--flag=VALUE`) replaced by [`HIDDEN`].
pub fn redacted_command_line(argv: &[OsString], secret_flags: &[&str]) -> String {
    let mut words = Vec::with_capacity(argv.len());
    let mut hide_next = false;
    for (index, arg) in argv.iter().enumerate() {
        let arg = arg.to_string_lossy();
        if index == 0 {
            // The program as invoked, without its directory.
            words.push(Path::new(arg.as_ref()).file_name().map_or_else(
                || arg.to_string(),
                |name| name.to_string_lossy().into_owned(),
            ));
            continue;
        }
        if hide_next {
            words.push(HIDDEN.to_owned());
            hide_next = false;
            continue;
        }
        if let Some(flag) = secret_flags.iter().find(|flag| {
            arg.strip_prefix(**flag)
                .is_some_and(|rest| rest.starts_with('='))
        }) {
            words.push(format!("{flag}={HIDDEN}"));
            continue;
        }
        if secret_flags.contains(&arg.as_ref()) {
            hide_next = true;
        }
        words.push(quote(&arg));
    }
    words.join(" ")
}

/// The log entry.
fn entry(failure: &Failure<'_>, exit_code: u8) -> String {
    let mut text = format!(
        "==== {} {} failed (exit code {exit_code})\n",
        format_unix_time(now_unix()),
        failure.command
    );
    push_field(
        &mut text,
        "command line",
        &redacted_command_line(failure.argv, failure.secret_flags),
    );
    push_field(
        &mut text,
        "data directory",
        &failure.data_dir.display().to_string(),
    );
    for (key, value) in failure.details {
        push_field(&mut text, key, value);
    }
    let origin = match failure.error {
        CliError::Daemon(_) => "error (from the daemon)",
        _ => "error",
    };
    push_field(&mut text, origin, &failure.error.to_string());
    if let Some(hint) = failure.error.hint() {
        push_field(&mut text, "hint", &hint);
    }
    let mut source = failure.error.source();
    while let Some(cause) = source {
        push_field(&mut text, "cause", &cause.to_string());
        source = cause.source();
    }
    text.push('\n');
    text
}

/// `key: value`, or `key:` and the value's lines indented when it spans several.
fn push_field(text: &mut String, key: &str, value: &str) {
    if value.contains('\n') {
        text.push_str(&format!("{key}:\n"));
        for line in value.trim_end().lines() {
            text.push_str(&format!("    {line}\n"));
        }
    } else {
        text.push_str(&format!("{key}: {value}\n"));
    }
}

/// Appends `entry` to `log_file`, else to `DATA_DIR/<command>.log`; the path written, or why
/// neither could be.
fn write_entry(
    command: &str,
    log_file: &Path,
    data_dir: &Path,
    entry: &str,
) -> Result<PathBuf, String> {
    let append = |path: &Path| -> std::io::Result<()> {
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        file.write_all(entry.as_bytes())?;
        file.flush()
    };
    let first = match append(log_file) {
        Ok(()) => return Ok(log_file.to_path_buf()),
        Err(error) => format!("{}: {error}", log_file.display()),
    };
    let fallback = data_dir.join(format!("{command}.log"));
    if fallback == log_file {
        return Err(first);
    }
    match append(&fallback) {
        Ok(()) => Ok(fallback),
        Err(error) => Err(format!("{first}; {}: {error}", fallback.display())),
    }
}

/// `details in PATH`, or why the details could not be written.
fn where_written(written: &Result<PathBuf, String>) -> String {
    match written {
        Ok(path) => format!("details in {}", path.display()),
        Err(reason) => format!("the details could not be written ({reason})"),
    }
}

/// The value of `--flag VALUE` or `--flag=VALUE`, the last one given.
fn flag_value(argv: &[OsString], flag: &str) -> Option<OsString> {
    let mut value = None;
    let mut args = argv.iter().skip(1);
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        if text == flag {
            value = args.next().cloned();
        } else if let Some(rest) = text
            .strip_prefix(flag)
            .and_then(|rest| rest.strip_prefix('='))
        {
            value = Some(OsString::from(rest));
        }
    }
    value
}

fn quote(arg: &str) -> String {
    if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
        format!("'{}'", arg.replace('\'', r"'\''"))
    } else {
        arg.to_owned()
    }
}

fn first_line(text: &str) -> &str {
    text.lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or_default()
        .trim()
        .trim_start_matches("error: ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_admin::AdminError;

    fn argv(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn secret_values_are_hidden_in_both_spellings() {
        let line = redacted_command_line(
            &argv(&[
                "/usr/sbin/get_csrs",
                "--sysadmin-password",
                "Pa55-word!x",
                "--cluster-name",
                "my cluster",
                "--sysadmin-password=Other-Pa55!",
                "--sysadmin-email",
                "a@b.c",
            ]),
            &["--sysadmin-password"],
        );
        assert_eq!(
            line,
            "get_csrs --sysadmin-password <hidden> --cluster-name 'my cluster' \
             --sysadmin-password=<hidden> --sysadmin-email a@b.c"
        );
        assert!(!line.contains("Pa55"));
    }

    #[test]
    fn flag_values_are_found_in_both_spellings() {
        let args = argv(&[
            "get_csrs",
            "--log-file",
            "/a",
            "--data-dir=/b",
            "--log-file=/c",
        ]);
        assert_eq!(flag_value(&args, "--log-file"), Some("/c".into()));
        assert_eq!(flag_value(&args, "--data-dir"), Some("/b".into()));
        assert_eq!(flag_value(&args, "--rotate"), None);
    }

    #[test]
    fn the_entry_holds_the_details_the_daemons_error_and_hint() {
        let error = CliError::Daemon(AdminError {
            message: "certificates are already installed".into(),
            hint: Some("run `get_csrs --rotate`".into()),
        });
        let details: Details = vec![
            ("main domain".into(), "dsm.example.com".into()),
            ("chain".into(), "line 1\nline 2\n".into()),
        ];
        let text = entry(
            &Failure {
                command: "get_csrs",
                secret_flags: &["--sysadmin-password"],
                argv: &argv(&["get_csrs", "--sysadmin-password", "secret-Pa55"]),
                data_dir: Path::new("/var/lib/coffer"),
                log_file: Path::new("/var/log/get_csrs.log"),
                details: &details,
                error: &error,
            },
            1,
        );
        assert!(text.starts_with("==== 20"), "{text}");
        assert!(text.contains(" get_csrs failed (exit code 1)\n"), "{text}");
        assert!(text.contains("command line: get_csrs --sysadmin-password <hidden>\n"));
        assert!(text.contains("data directory: /var/lib/coffer\n"));
        assert!(text.contains("main domain: dsm.example.com\n"));
        assert!(text.contains("chain:\n    line 1\n    line 2\n"));
        assert!(text.contains("error (from the daemon): certificates are already installed\n"));
        assert!(text.contains("hint: run `get_csrs --rotate`\n"));
        assert!(!text.contains("secret-Pa55"));
    }

    #[test]
    fn an_unwritable_log_file_falls_back_to_the_data_directory() {
        let dir = tempfile::tempdir().unwrap();
        let unwritable = dir.path().join("missing-directory").join("get_csrs.log");
        let written = write_entry("get_csrs", &unwritable, dir.path(), "entry\n").unwrap();
        assert_eq!(written, dir.path().join("get_csrs.log"));
        write_entry("get_csrs", &unwritable, dir.path(), "second\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&written).unwrap(),
            "entry\nsecond\n"
        );
        let nowhere = dir.path().join("missing-directory");
        let error = write_entry("get_csrs", &unwritable, &nowhere, "entry\n").unwrap_err();
        assert!(error.contains("missing-directory/get_csrs.log"), "{error}");
    }
}
