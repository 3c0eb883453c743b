//! Wire compatibility with the official Rust client, `sdkms` 0.5.
//!
//! Answers: our types are serialized and decoded with `sdkms::api_model`'s own model types,
//! exactly as the client does with a response body. Requests: the client's types are
//! serialized and decoded with ours, exactly as the server does with a request body. Query
//! strings are built with the client's own `UrlEncode` and parsed both ways the server may.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a panic is the failure report"
)]

use std::collections::{BTreeMap, HashMap, HashSet};

use coffer_api as api;
use sdkms::api_model as rs;
use sdkms::operations::UrlEncode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

mod admin;
mod codecs;
mod crypto;
mod query;
mod sobject;

/// Serializes `value` and decodes the JSON as `T`, panicking with the JSON on failure.
fn via_json<T: DeserializeOwned>(value: &impl Serialize) -> T {
    let json = serde_json::to_string(value).expect("serializes");
    match serde_json::from_str(&json) {
        Ok(decoded) => decoded,
        Err(err) => panic!("{err}\n  in {json}"),
    }
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn at(seconds: u64) -> api::CompactTime {
    api::CompactTime::from_unix_seconds(seconds).unwrap()
}

fn blob(bytes: &[u8]) -> api::Blob {
    api::Blob::from(bytes)
}
