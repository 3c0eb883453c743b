//! `sdkms-cluster token create|list|delete`: join tokens (the guide's `kubeadm token
//! create|list|delete`).

use crate::client::{Client, decode_payload};
use crate::error::CliError;
use crate::output::{
    Table, format_duration, format_unix_time, now_unix, parse_duration, print_stderr, print_stdout,
};
use coffer_admin::{AdminRequest, TokenCreated, TokenDeleted, TokenInfo};
use std::path::Path;
use std::time::Duration;

/// Manage join tokens.
#[derive(clap::Args, Debug)]
pub(crate) struct TokenArgs {
    #[command(subcommand)]
    pub(crate) command: TokenCommand,
}

/// `token` subcommands.
#[derive(clap::Subcommand, Debug)]
pub(crate) enum TokenCommand {
    /// Create a join token and print it on stdout (its expiry goes to stderr).
    Create {
        /// How long the token stays valid, at most 7 days: 30m, 24h, 7d, 3600s, 1h30m.
        #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_duration)]
        ttl: Duration,
    },
    /// List the join tokens that have not expired (never their secret half).
    List,
    /// Delete a join token at once, so that no node can join with it any more.
    Delete {
        /// The token's id (the part before the dot), or the whole token.
        #[arg(value_name = "ID")]
        id: String,
    },
}

impl TokenArgs {
    /// Runs the `token` subcommand.
    pub(crate) fn run(self, data_dir: &Path) -> Result<(), CliError> {
        let client = Client::new(data_dir);
        match self.command {
            TokenCommand::Create { ttl } => {
                let request = AdminRequest::TokenCreate {
                    ttl_secs: ttl.as_secs(),
                };
                let created: TokenCreated =
                    decode_payload("token create", client.request(&request)?)?;
                // Only the token goes to stdout, so `TOKEN=$(sdkms-cluster token create)` works.
                print_stdout(&format!("{}\n", created.token));
                print_stderr(&format!(
                    "the token expires at {} (in {})\n",
                    format_unix_time(created.expires_at),
                    format_duration(created.expires_at.saturating_sub(now_unix()))
                ));
            }
            TokenCommand::Delete { id } => {
                let deleted: TokenDeleted = decode_payload(
                    "token delete",
                    client.request(&AdminRequest::TokenDelete { id })?,
                )?;
                print_stdout(&format!("deleted join token {}\n", deleted.id));
            }
            TokenCommand::List => {
                let tokens: Vec<TokenInfo> =
                    decode_payload("token list", client.request(&AdminRequest::TokenList)?)?;
                print_stdout(&render_list(&tokens, now_unix()));
                if tokens.is_empty() {
                    print_stderr("no join tokens; create one with `sdkms-cluster token create`\n");
                }
            }
        }
        Ok(())
    }
}

/// The `token list` table at time `now` (Unix seconds).
fn render_list(tokens: &[TokenInfo], now: u64) -> String {
    let mut table = Table::new(&["TOKEN ID", "CREATED", "EXPIRES", "TTL LEFT"]);
    for token in tokens {
        let left = if token.expires_at > now {
            format_duration(token.expires_at - now)
        } else {
            "expired".to_owned()
        };
        table.push(vec![
            token.id.clone(),
            format_unix_time(token.created_at),
            format_unix_time(token.expires_at),
            left,
        ]);
    }
    table.render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_shows_time_left_like_kubeadm() {
        let now = 1_764_339_600;
        let tokens = [
            TokenInfo {
                id: "525073".into(),
                created_at: now - 60,
                expires_at: now + 86_340,
            },
            TokenInfo {
                id: "abcdef".into(),
                created_at: now - 7_200,
                expires_at: now - 1,
            },
        ];
        assert_eq!(
            render_list(&tokens, now),
            "TOKEN ID   CREATED                EXPIRES                TTL LEFT\n\
             525073     2025-11-28T14:19:00Z   2025-11-29T14:19:00Z   23h59m\n\
             abcdef     2025-11-28T12:20:00Z   2025-11-28T14:19:59Z   expired\n"
        );
    }
}
