//! tenderlog's HTTP API.
//!
//! * Writes: `POST /v1/events` (bearer token, role `submitter` or `admin`)
//!   answers with a receipt once the entry is durable and covered by a signed
//!   checkpoint: no merge delay.
//! * Reads (public): checkpoints, inclusion and consistency proofs for any
//!   past size, entries, tender timelines, document lookups, and the C2SP
//!   tlog-tiles paths.
//! * Operations: `/healthz`, `/metrics`, `/v1/openapi.json`.
//!
//! One [`sequencer`] thread owns the ledger; handlers never write. Every error
//! is a problem-details JSON with a stable code ([`error::Code`]).
#![forbid(unsafe_code)]

mod certificates;
pub mod error;
pub mod metrics;
pub mod openapi;
mod pages;
pub mod ratelimit;
pub mod sequencing;
pub mod server;
pub mod state;
mod tiles;
pub mod tls;
pub mod tokens;
mod v1;
pub mod witness;
pub mod witnessing;

pub use server::{Running, ServeError, ServerConfig, router, start};
