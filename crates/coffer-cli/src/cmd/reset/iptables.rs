//! Deletes Coffer's firewall rules: the chain `COFFER` in the filter table and the rules that
//! jump to it, for IPv4 (`iptables`) and IPv6 (`ip6tables`). Nothing else is touched.

use crate::error::CliError;
use crate::output::print_stdout;
use std::io;
use std::process::{Command, Output};

/// The only chain Coffer installs rules in.
const CHAIN: &str = "COFFER";
/// The tools, in the order they run.
const TOOLS: &[&str] = &["iptables", "ip6tables"];

/// Removes the `COFFER` chain and the jumps to it with every installed tool, printing what it
/// does; a missing tool is reported and skipped.
pub(super) fn remove_coffer_rules() -> Result<(), CliError> {
    for tool in TOOLS {
        let listing = match run(tool, &["-S"]) {
            Ok(listing) => listing,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                print_stdout(&format!("{tool} not found; no {tool} rules to remove\n"));
                continue;
            }
            Err(error) => return Err(failed(tool, &["-S"], &error.to_string())),
        };
        let listing = checked(tool, &["-S"], listing)?;
        let plan = Plan::from_listing(&String::from_utf8_lossy(&listing.stdout));
        if plan.is_empty() {
            print_stdout(&format!("{tool}: no {CHAIN} chain; no rules to remove\n"));
            continue;
        }
        for rule in &plan.jumps {
            let mut delete = rule.clone();
            delete[0] = "-D".to_owned();
            let delete: Vec<&str> = delete.iter().map(String::as_str).collect();
            checked(
                tool,
                &delete,
                run(tool, &delete).map_err(|e| failed(tool, &delete, &e.to_string()))?,
            )?;
            print_stdout(&format!("{tool}: deleted rule `{}`\n", display_rule(rule)));
        }
        if plan.chain_exists {
            for step in [["-F", CHAIN], ["-X", CHAIN]] {
                checked(
                    tool,
                    &step,
                    run(tool, &step).map_err(|e| failed(tool, &step, &e.to_string()))?,
                )?;
            }
            print_stdout(&format!("{tool}: flushed and deleted chain {CHAIN}\n"));
        }
    }
    Ok(())
}

/// What to delete, read from `iptables -S`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Plan {
    /// Rules in other chains that jump (`-j`) or go (`-g`) to `COFFER`, as `-A CHAIN …` words.
    jumps: Vec<Vec<String>>,
    /// `-N COFFER` was listed.
    chain_exists: bool,
}

impl Plan {
    /// Reads the rule listing.
    fn from_listing(listing: &str) -> Self {
        let mut plan = Self::default();
        for line in listing.lines() {
            let words = split_words(line);
            match words.as_slice() {
                [new, chain] if new == "-N" && chain == CHAIN => plan.chain_exists = true,
                [append, chain, ..] if append == "-A" && chain != CHAIN => {
                    let targets_coffer = words
                        .windows(2)
                        .any(|pair| (pair[0] == "-j" || pair[0] == "-g") && pair[1] == CHAIN);
                    if targets_coffer {
                        plan.jumps.push(words);
                    }
                }
                _ => {}
            }
        }
        plan
    }

    /// Nothing of Coffer's is installed.
    fn is_empty(&self) -> bool {
        self.jumps.is_empty() && !self.chain_exists
    }
}

/// Splits an `iptables -S` line into words; double quotes group (`--comment "a b"`) and a
/// backslash escapes the next character, as `iptables-save` writes them.
fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    word.push(next);
                }
                in_word = true;
            }
            '"' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// A rule as `iptables -S` prints it, quoting words that contain spaces.
fn display_rule(words: &[String]) -> String {
    let quoted: Vec<String> = words
        .iter()
        .map(|word| {
            if word.is_empty() || word.contains(char::is_whitespace) {
                format!("\"{}\"", word.replace('"', "\\\""))
            } else {
                word.clone()
            }
        })
        .collect();
    quoted.join(" ")
}

/// Runs `tool -w ARGS` (`-w` waits for the xtables lock instead of failing).
fn run(tool: &str, args: &[&str]) -> io::Result<Output> {
    Command::new(tool).arg("-w").args(args).output()
}

/// The output of a run that exited successfully, or the failure with its stderr.
fn checked(tool: &str, args: &[&str], output: Output) -> Result<Output, CliError> {
    if output.status.success() {
        return Ok(output);
    }
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    let reason = if stderr.is_empty() {
        output.status.to_string()
    } else {
        stderr
    };
    Err(failed(tool, args, &reason))
}

/// A failed iptables step.
fn failed(tool: &str, args: &[&str], reason: &str) -> CliError {
    CliError::Iptables {
        command: format!("{tool} -w {}", args.join(" ")),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_coffer_chain_and_jumps_to_it_are_planned() {
        let listing = "-P INPUT ACCEPT\n\
                       -P FORWARD DROP\n\
                       -N COFFER\n\
                       -N DOCKER\n\
                       -A INPUT -p tcp -m comment --comment \"coffer cluster\" -j COFFER\n\
                       -A INPUT -p tcp --dport 22 -j ACCEPT\n\
                       -A FORWARD -g COFFER\n\
                       -A COFFER -p tcp --dport 4444 -j ACCEPT\n\
                       -A DOCKER -j RETURN\n";
        let plan = Plan::from_listing(listing);
        assert!(plan.chain_exists);
        assert_eq!(
            plan.jumps,
            vec![
                split_words("-A INPUT -p tcp -m comment --comment \"coffer cluster\" -j COFFER"),
                split_words("-A FORWARD -g COFFER"),
            ]
        );
        assert_eq!(plan.jumps[0][7], "coffer cluster");
        assert_eq!(
            display_rule(&plan.jumps[0]),
            "-A INPUT -p tcp -m comment --comment \"coffer cluster\" -j COFFER"
        );
    }

    #[test]
    fn a_firewall_without_coffer_rules_plans_nothing() {
        let plan = Plan::from_listing("-P INPUT ACCEPT\n-N COFFERX\n-A INPUT -j COFFERX\n");
        assert!(plan.is_empty());
    }

    #[test]
    fn words_split_on_spaces_outside_quotes() {
        assert_eq!(
            split_words(r#"-A INPUT --comment "a \"b\" c"  -j X"#),
            ["-A", "INPUT", "--comment", "a \"b\" c", "-j", "X"]
        );
        assert_eq!(split_words(r#"--comment """#), ["--comment", ""]);
    }
}
