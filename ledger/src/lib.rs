//! tenderlog's write side and storage.
//!
//! * [`init`] creates a data directory: the SQLite store and the Ed25519
//!   checkpoint key (mode 0600), and signs the empty tree.
//! * [`Ledger`] is the one writer of a data directory (a file lock refuses a
//!   second): it sequences batches of submissions into leaves, tile rows, index
//!   rows and a new signed checkpoint, all in one transaction.
//! * [`Store`] reads: checkpoints, leaves, proofs for any past tree size, and
//!   the tender and document indexes.
//! * [`audit()`] re-derives everything from the leaves and names the first
//!   entry and check that disagree.
//!
//! Formats, hashing and proof algorithms come from the `verifier` crate; this
//! crate never re-implements them. It does not serve HTTP (see `api`).
#![forbid(unsafe_code)]

pub mod audit;
mod bundle;
pub mod clock;
mod error;
pub mod indexer;
pub mod issue;
pub mod keys;
pub mod stamper;
pub mod store;
pub mod trust;
pub mod tsa;
mod writer;

pub use audit::{AuditReport, AuditScope, audit, audit_scope};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{LedgerError, Result};
pub use store::Store;
pub use writer::{Appended, BatchOutcome, Ledger, Refused, init};
