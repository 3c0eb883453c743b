//! `sdkms-cluster token create|list|delete`: join tokens (their checks live in
//! `coffer_node::join_tokens`).

use coffer_admin::{AdminError, TokenCreated, TokenDeleted, TokenInfo};
use coffer_core::{Command, JoinToken, UnixTime};
use coffer_node::join_tokens::{self, ALPHABET, signing_key, verifier};
use coffer_node::vault::Purpose;
use coffer_node::{Node, now};
use std::sync::Arc;

/// Creates a token.
pub(crate) async fn create(node: Arc<Node>, ttl_secs: u64) -> Result<TokenCreated, AdminError> {
    join_tokens::check_lifetime(ttl_secs).map_err(|e| AdminError::new(e.to_string(), None))?;
    let id = random_text(6)?;
    let secret = random_text(16)?;
    let created_at = now();
    let expires_at = UnixTime(created_at.0 + ttl_secs);
    let signing_key = signing_key(&secret).map_err(AdminError::from)?;
    let token = JoinToken {
        verifier: verifier(&secret),
        signing_key: node
            .seal(Purpose::JoinToken(&id), &signing_key)
            .map_err(|e| AdminError::new(e.to_string(), None))?,
        id: id.clone(),
        created_at,
        expires_at,
    };
    node.propose(Command::CreateJoinToken {
        token,
        at: created_at,
    })
    .await
    .map_err(|e| {
        AdminError::new(
            format!("could not store the token: {e}"),
            Some("check `sdkms-cluster status`"),
        )
    })?;
    Ok(TokenCreated {
        token: format!("{id}.{secret}"),
        expires_at: expires_at.0,
    })
}

/// Lists unexpired tokens (ids and times only).
pub(crate) async fn list(node: Arc<Node>) -> Result<Vec<TokenInfo>, AdminError> {
    let state = node.cluster.state();
    let state = state.read();
    let at = now();
    let tokens: Vec<TokenInfo> = state
        .cluster()
        .map(|c| {
            c.tokens
                .values()
                .filter(|t| t.expires_at > at)
                .map(|t| TokenInfo {
                    id: t.id.clone(),
                    created_at: t.created_at.0,
                    expires_at: t.expires_at.0,
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(tokens)
}

/// Deletes the token with id `id` (the part before the dot; a whole token is accepted too), so
/// that no node can join with it any more. An unknown id is refused and changes nothing.
pub(crate) async fn delete(node: Arc<Node>, id: String) -> Result<TokenDeleted, AdminError> {
    let id = id
        .split_once('.')
        .map_or(id.as_str(), |(id, _)| id)
        .to_owned();
    let known = node
        .cluster
        .state()
        .read()
        .cluster()
        .is_some_and(|c| c.tokens.contains_key(&id));
    if !known {
        return Err(AdminError::new(
            format!("no join token has the id {id:?}"),
            Some("see `sdkms-cluster token list`"),
        ));
    }
    node.propose(Command::DeleteJoinToken { id: id.clone() })
        .await
        .map_err(|e| AdminError::new(format!("could not delete the token: {e}"), None))?;
    Ok(TokenDeleted { id })
}

fn random_text(len: usize) -> Result<String, AdminError> {
    // 252 is the largest multiple of 36 below 256: rejecting larger bytes keeps it uniform.
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let bytes = coffer_crypto::random::random_vec(len * 2)
            .map_err(|e| AdminError::new(format!("no randomness: {e}"), None))?;
        out.extend(
            bytes
                .into_iter()
                .filter(|b| *b < 252)
                .map(|b| ALPHABET[usize::from(b) % ALPHABET.len()] as char),
        );
    }
    out.truncate(len);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_node::join_tokens::split;

    #[test]
    fn generated_tokens_have_the_kubeadm_shape() {
        let token = format!("{}.{}", random_text(6).unwrap(), random_text(16).unwrap());
        assert!(split(&token).is_some(), "{token}");
    }
}
