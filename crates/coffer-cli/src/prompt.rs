//! Questions on the terminal: one line, a list of lines, a pasted PEM chain, a password typed
//! twice without echo. Questions go to stderr, so stdout carries only the command's result.
//!
//! The commands ask only when standard input is a terminal ([`stdin_is_terminal`]); otherwise
//! every value must come from a flag. The questions are written against the [`Terminal`] trait
//! so that they can be exercised without one.

use crate::error::CliError;
use crate::output::print_stderr;
use std::io::{BufRead, IsTerminal};
use std::process::{Command, Stdio};

/// Where answers come from.
pub trait Terminal {
    /// Writes `question` (nothing when empty) and reads one line without its line end; `None`
    /// at the end of the input.
    ///
    /// # Errors
    /// [`CliError::Input`] when reading fails.
    fn read_line(&mut self, question: &str) -> Result<Option<String>, CliError>;

    /// Writes `question` and reads one line without echoing it.
    ///
    /// # Errors
    /// [`CliError::Input`] when the terminal cannot be read or its echo cannot be turned off.
    fn read_secret(&mut self, question: &str) -> Result<String, CliError>;
}

/// The process's own terminal: questions on stderr, answers from stdin, echo switched off with
/// `stty` for secrets.
#[derive(Debug, Default)]
pub struct StdTerminal;

impl Terminal for StdTerminal {
    fn read_line(&mut self, question: &str) -> Result<Option<String>, CliError> {
        if !question.is_empty() {
            print_stderr(question);
        }
        let mut line = String::new();
        let read = std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|error| CliError::Input {
                message: format!("cannot read the terminal: {error}"),
                hint: None,
            })?;
        if read == 0 {
            return Ok(None);
        }
        Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
    }

    fn read_secret(&mut self, question: &str) -> Result<String, CliError> {
        read_hidden(question).map_err(|reason| CliError::Input {
            message: reason,
            hint: None,
        })
    }
}

/// Whether standard input is a terminal, i.e. whether the commands may ask.
pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// Asks until a non-empty answer comes; the answer is trimmed.
///
/// # Errors
/// [`CliError::Input`] at the end of the input or when reading fails.
pub fn ask_required(terminal: &mut dyn Terminal, question: &str) -> Result<String, CliError> {
    loop {
        match terminal.read_line(&format!("{question}: "))? {
            None => return Err(end_of_input(question)),
            Some(answer) if answer.trim().is_empty() => {
                print_stderr("an answer is required\n");
            }
            Some(answer) => return Ok(answer.trim().to_owned()),
        }
    }
}

/// Asks for a list, one item per line, ended by an empty line or the end of the input. Items are
/// trimmed.
///
/// # Errors
/// [`CliError::Input`] when reading fails.
pub fn ask_list(terminal: &mut dyn Terminal, question: &str) -> Result<Vec<String>, CliError> {
    print_stderr(&format!("{question}:\n"));
    let mut items = Vec::new();
    while let Some(line) = terminal.read_line("")? {
        let item = line.trim();
        if item.is_empty() {
            break;
        }
        items.push(item.to_owned());
    }
    Ok(items)
}

/// Asks for a pasted PEM certificate chain: lines up to the first empty line that follows an
/// `-----END CERTIFICATE-----` line (or the end of the input after one). Empty lines before the
/// first certificate is complete are skipped. The chain is returned with `\n` line ends.
///
/// # Errors
/// [`CliError::Input`] when the input ends before a complete certificate, or reading fails.
pub fn ask_pem_chain(terminal: &mut dyn Terminal, question: &str) -> Result<String, CliError> {
    print_stderr(&format!("{question}:\n"));
    let mut chain = String::new();
    let mut complete = false;
    loop {
        let Some(line) = terminal.read_line("")? else {
            if complete {
                return Ok(chain);
            }
            return Err(CliError::Input {
                message: format!(
                    "the input ended before a complete certificate (a line \
                     `-----END CERTIFICATE-----`) was pasted for: {question}"
                ),
                hint: Some(
                    "paste the whole PEM chain, leaf certificate first, then an empty line".into(),
                ),
            });
        };
        let line = line.trim();
        if line.is_empty() {
            if complete {
                return Ok(chain);
            }
            continue;
        }
        if line == "-----END CERTIFICATE-----" {
            complete = true;
        }
        chain.push_str(line);
        chain.push('\n');
    }
}

/// Asks for a new password twice without echo; both must match and not be empty.
///
/// # Errors
/// [`CliError::Input`] when they differ, are empty, or the terminal cannot be read.
pub fn ask_new_password(
    terminal: &mut dyn Terminal,
    question: &str,
    again: &str,
) -> Result<String, CliError> {
    let first = terminal.read_secret(&format!("{question}: "))?;
    if first.is_empty() {
        return Err(CliError::Input {
            message: "the password is empty".into(),
            hint: None,
        });
    }
    let second = terminal.read_secret(&format!("{again}: "))?;
    if first != second {
        return Err(CliError::Input {
            message: "the two passwords differ".into(),
            hint: Some("run the command again and type the same password twice".into()),
        });
    }
    Ok(first)
}

/// Reads one line from the terminal without echoing it (echo is switched with `stty`, which
/// needs no unsafe code). The error is the reason, in words.
///
/// # Errors
/// When `stty` cannot run or the terminal cannot be read.
pub fn read_hidden(prompt: &str) -> Result<String, String> {
    print_stderr(prompt);
    let set_echo = |on: bool| {
        Command::new("stty")
            .arg(if on { "echo" } else { "-echo" })
            .stdin(Stdio::inherit())
            .status()
            .map_err(|error| format!("cannot run stty: {error}"))
    };
    set_echo(false)?;
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    // Echo comes back on even when reading failed.
    set_echo(true)?;
    print_stderr("\n");
    read.map_err(|error| format!("cannot read the terminal: {error}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn end_of_input(question: &str) -> CliError {
    CliError::Input {
        message: format!("the input ended before an answer to: {question}"),
        hint: None,
    }
}

/// A terminal that answers from a script, for tests.
#[cfg(test)]
pub(crate) mod scripted {
    use super::*;
    use std::collections::VecDeque;

    /// Answers lines and secrets in order and records the questions.
    #[derive(Debug, Default)]
    pub(crate) struct Scripted {
        pub(crate) lines: VecDeque<String>,
        pub(crate) secrets: VecDeque<String>,
        pub(crate) questions: Vec<String>,
    }

    impl Scripted {
        pub(crate) fn new(lines: &[&str], secrets: &[&str]) -> Self {
            Self {
                lines: lines.iter().map(|l| (*l).to_owned()).collect(),
                secrets: secrets.iter().map(|s| (*s).to_owned()).collect(),
                questions: Vec::new(),
            }
        }
    }

    impl Terminal for Scripted {
        fn read_line(&mut self, question: &str) -> Result<Option<String>, CliError> {
            if !question.is_empty() {
                self.questions.push(question.to_owned());
            }
            Ok(self.lines.pop_front())
        }

        fn read_secret(&mut self, question: &str) -> Result<String, CliError> {
            self.questions.push(question.to_owned());
            self.secrets.pop_front().ok_or_else(|| CliError::Input {
                message: "no more secrets".into(),
                hint: None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::scripted::Scripted;
    use super::*;

    #[test]
    fn required_answers_are_asked_again_when_empty_and_trimmed() {
        let mut terminal = Scripted::new(&["", "  dsm.example.com "], &[]);
        let answer = ask_required(&mut terminal, "Cluster name").unwrap();
        assert_eq!(answer, "dsm.example.com");
        assert_eq!(terminal.questions, ["Cluster name: ", "Cluster name: "]);
        let error = ask_required(&mut Scripted::new(&[], &[]), "Cluster name").unwrap_err();
        assert!(error.to_string().contains("ended"), "{error}");
    }

    #[test]
    fn lists_end_at_an_empty_line_or_the_end_of_the_input() {
        let mut terminal = Scripted::new(&["a.example.com", " b.example.com", "", "next"], &[]);
        assert_eq!(
            ask_list(&mut terminal, "SANs").unwrap(),
            ["a.example.com", "b.example.com"]
        );
        assert_eq!(terminal.lines, ["next"]);
        let mut terminal = Scripted::new(&["a.example.com"], &[]);
        assert_eq!(ask_list(&mut terminal, "SANs").unwrap(), ["a.example.com"]);
        assert!(
            ask_list(&mut Scripted::new(&[""], &[]), "SANs")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_pasted_chain_ends_at_the_first_empty_line_after_a_certificate() {
        let mut terminal = Scripted::new(
            &[
                "",
                "-----BEGIN CERTIFICATE-----",
                "AAAA\r",
                "-----END CERTIFICATE-----",
                "-----BEGIN CERTIFICATE-----",
                "BBBB",
                "-----END CERTIFICATE-----  ",
                "",
                "next answer",
            ],
            &[],
        );
        let chain = ask_pem_chain(&mut terminal, "Paste").unwrap();
        assert_eq!(
            chain,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n\
             -----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n"
        );
        assert_eq!(terminal.lines, ["next answer"]);
    }

    #[test]
    fn a_blank_line_inside_the_first_certificate_does_not_end_the_chain() {
        let mut terminal = Scripted::new(
            &[
                "-----BEGIN CERTIFICATE-----",
                "",
                "AAAA",
                "-----END CERTIFICATE-----",
            ],
            &[],
        );
        let chain = ask_pem_chain(&mut terminal, "Paste").unwrap();
        assert!(
            chain.ends_with("AAAA\n-----END CERTIFICATE-----\n"),
            "{chain}"
        );
    }

    #[test]
    fn an_incomplete_chain_is_an_error() {
        let mut terminal = Scripted::new(&["-----BEGIN CERTIFICATE-----", "AAAA"], &[]);
        let error = ask_pem_chain(&mut terminal, "Main").unwrap_err();
        assert!(error.to_string().contains("END CERTIFICATE"), "{error}");
    }

    #[test]
    fn passwords_must_match_and_not_be_empty() {
        let ask = |secrets: &[&str]| {
            ask_new_password(&mut Scripted::new(&[], secrets), "Password", "Again")
        };
        assert_eq!(ask(&["Pa55-word!x", "Pa55-word!x"]).unwrap(), "Pa55-word!x");
        assert!(
            ask(&["Pa55-word!x", "other"])
                .unwrap_err()
                .to_string()
                .contains("differ")
        );
        assert!(ask(&["", ""]).unwrap_err().to_string().contains("empty"));
    }
}
