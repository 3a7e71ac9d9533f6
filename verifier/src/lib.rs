//! tenderlog's formats and checks.
//!
//! This crate owns every byte format the log writes and every check a reader
//! runs: RFC 6962 leaf and node hashing, inclusion and consistency proofs
//! (verifying them, and building them over any [`merkle::NodeSource`]), C2SP
//! signed notes and checkpoints, and the canonical CBOR event envelope.
//!
//! It does not store, serve or fetch anything: no database, no async runtime,
//! no network. The ledger produces exactly what this crate checks, and an
//! arbitrator can build and audit it on its own.
#![forbid(unsafe_code)]

pub mod bundle;
pub mod calendar;
pub mod cbor;
pub mod chain;
pub mod check;
pub mod checkpoint;
#[cfg(feature = "cli")]
pub mod cli;
pub mod cosignature;
mod error;
pub mod event;
pub mod filing;
pub mod hash;
pub mod ids;
pub mod log_keys;
pub mod merkle;
pub mod note;
pub mod ofd;
#[cfg(feature = "pdf")]
pub mod pdf;
pub mod pki;
pub mod policy;
pub mod procedure;
pub mod registration;
pub mod report;
pub mod rules;
pub mod seal;
pub mod signing;
pub mod steps;
pub mod tiles;
pub mod tlog_proof;
pub mod tsp;
pub mod witness_policy;
pub mod witness_request;

pub use error::Error;
pub use hash::{EMPTY_ROOT, Hash, leaf_hash, node_hash};
