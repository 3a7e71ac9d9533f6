//! tenderlog's write side and storage.
//!
//! * [`init`] creates a data directory: the SQLite store and the Ed25519
//!   checkpoint key (mode 0600), and signs the empty tree.
//! * [`Appender`] is the write side's lifecycle: it opens a data directory
//!   for writing (a file lock refuses a second writer), runs
//!   [admission](admission), the one [sequencer] loop and the checkpoint
//!   stamper, and stops them in order.
//! * [`Ledger`] is what the sequencer drives: it sequences a batch into
//!   leaves, tile rows and a new signed checkpoint in one transaction, and
//!   hands the index rows to the [index follower](indexer).
//! * [`Store`] reads: checkpoints, leaves, proofs for any past tree size, and
//!   the tender and document indexes.
//! * [`audit()`] re-derives everything from the leaves and names the first
//!   entry and check that disagree.
//!
//! Formats, hashing and proof algorithms come from the `verifier` crate; this
//! crate never re-implements them. It does not serve HTTP (see `api`).
#![forbid(unsafe_code)]

pub mod admission;
mod appender;
pub mod audit;
pub mod backup;
mod bundle;
pub mod clock;
mod compliance;
mod error;
pub mod indexer;
pub mod issue;
pub mod keys;
mod layout;
pub mod meta;
pub mod migrate;
pub mod postgres;
pub mod publish;
mod receipt;
pub mod remote;
pub mod sequencer;
pub mod sqlite;
pub mod stamper;
pub mod storage;
pub mod store;
pub mod tiles;
pub mod trust;
pub mod tsa;
pub mod witness;
pub mod witnessed;
mod writer;

pub use admission::Admitted;
pub use appender::{Appender, AppenderConfig, Ticket, Tickets};
pub use audit::{AuditReport, AuditScope};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{LedgerError, Result, StorageError};
pub use sequencer::{Answer, BatchReport, Committed, NoObserver, Observer, Status, SubmitError};
pub use sqlite::audit::{audit, audit_scope};
/// The SQLite store's read side and index, at their long-standing paths.
pub use store::{Location, Store};
pub use writer::{
    Appended, BatchOutcome, Ledger, Refused, Rotated, init, init_at, init_with, rotate_key,
    rotate_key_at,
};
