//! The ledger's one error type.

use std::path::PathBuf;

/// Why a ledger operation failed.
///
/// [`LedgerError::is_fatal`] tells a caller whether the ledger must stop (the
/// store or key is wrong and a human must look) or may retry or carry on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// No store in the data directory.
    #[error(
        "couldn't open the data directory {dir}: no tenderlog store there\nhint: create one with `tenderlog init --data {dir} --origin <ORIGIN>`"
    )]
    NoStore {
        /// The directory.
        dir: PathBuf,
    },
    /// `init` found a store already there.
    #[error("couldn't initialise {dir}: it already holds a tenderlog store")]
    AlreadyInitialized {
        /// The directory.
        dir: PathBuf,
    },
    /// Another process holds the writer lock.
    #[error(
        "couldn't lock {path}: another tenderlog process is writing to this data directory\nhint: stop the other writer (only one may append, or the log would fork), or read with a command that does not write"
    )]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// Another process is the sequencer of a PostgreSQL log.
    #[error(
        "another tenderlog process is the sequencer of this PostgreSQL log (it holds the database's sequencer lock)\nhint: only one may append, or the log would fork; this one can serve reads, or take over when that one stops"
    )]
    SequencerElsewhere,
    /// A file could not be read or written.
    #[error("couldn't {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The storage backend failed (its error is its own business: callers
    /// see the message, never the backend's type).
    #[error("storage error: {0}")]
    Storage(#[source] StorageError),
    /// The stored tree head is not the one this writer last committed:
    /// another writer committed, or a commit reported as failed landed.
    /// The writer stops; reopening the data directory resumes from the
    /// stored head.
    #[error(
        "the stored tree head moved under the writer (expected size {expected}, found {found})\nhint: restart the writer; it resumes from the stored head"
    )]
    HeadMoved {
        /// The size this writer last committed.
        expected: u64,
        /// The size stored.
        found: u64,
    },
    /// The signing key file is malformed or does not match the store.
    #[error("couldn't use the signing key {path}: {reason}")]
    Key {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The store's contents break an invariant; it must not be served.
    #[error("store is inconsistent: {0}\nhint: run `tenderlog audit` for a full report")]
    Corrupt(String),
    /// A format or proof error from the verifier.
    #[error(transparent)]
    Format(#[from] verifier::Error),
    /// A request names a tree size larger than the log.
    #[error("tree size {size} is larger than the log ({tree_size} entries)")]
    BeyondTree {
        /// The size asked for.
        size: u64,
        /// The current size.
        tree_size: u64,
    },
    /// An index that is not in the log.
    #[error("entry {index} is not in the log ({tree_size} entries)")]
    NoSuchEntry {
        /// The index asked for.
        index: u64,
        /// The current size.
        tree_size: u64,
    },
    /// The audit found a stored fact that the leaves do not support.
    #[error("audit failed: {check}{}: {detail}", index.map(|i| format!(" at entry {i}")).unwrap_or_default())]
    AuditFailed {
        /// The name of the check that failed.
        check: verifier::check::CheckName,
        /// The entry it concerns, when it concerns one.
        index: Option<u64>,
        /// What was found.
        detail: String,
    },
    /// The index follower has fallen too far behind; appends wait for it.
    #[error(
        "couldn't append: the index is {behind} entries behind and not catching up ({reason})\nhint: check the disk and index.db in the data directory; deleting index.db makes the next start rebuild it"
    )]
    IndexStalled {
        /// Entries not yet indexed.
        behind: u64,
        /// The follower's last error.
        reason: String,
    },
    /// The batch was sequenced on top of one whose commit then failed:
    /// nothing of it was written, and it was not committed.
    #[error(
        "couldn't append: the batch before this one failed to commit, so this one was withdrawn and nothing of it was written\nhint: submit it again"
    )]
    BatchWithdrawn,
    /// The disk holding the data directory is full. Nothing acknowledged is
    /// lost (a batch that could not be written was answered as failed);
    /// the writer goes on once there is room.
    #[error(
        "couldn't write to the data directory: its disk is full\nhint: free space on that disk; no acknowledged entry was lost, and writing resumes by itself once there is room"
    )]
    DiskFull,
    /// A log's server could not be read (`tenderlog audit --url`).
    #[error("couldn't read {url}: {reason}")]
    Remote {
        /// What was fetched.
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// A bundle selection matched no entry.
    #[error("couldn't make a bundle: no entry matches the selection")]
    NothingSelected,
    /// A bundle selection matched too many entries.
    #[error("couldn't make a bundle: {count} entries selected, at most {max} fit in one")]
    TooManyEntries {
        /// Entries selected.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A certificate or timestamp could not be made: a malformed subject
    /// name, a validity window that ends before it starts, keys that do not
    /// belong together, or an encoding failure.
    #[error("couldn't make {what}: {reason}")]
    Issue {
        /// What was being made.
        what: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// Trusted time could not be had: no TSA answered, or its token does not
    /// verify.
    #[error("trusted timestamp: {0}")]
    Tsa(String),
    /// The store was written by a newer format than this build reads.
    #[error("store format {found} is not supported by this build (supports {supported})")]
    StoreVersion {
        /// What the store says.
        found: String,
        /// What this build supports.
        supported: u32,
    },
}

/// A storage backend's own error, opaque to callers.
#[derive(Debug)]
pub struct StorageError(Box<dyn std::error::Error + Send + Sync>);

impl StorageError {
    /// Wraps a backend's error.
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> StorageError {
        StorageError(Box::new(e))
    }

    /// An error described by a message (test backends, injected faults).
    pub fn msg(m: impl Into<String>) -> StorageError {
        StorageError(m.into().into())
    }
}

impl std::fmt::Display for StorageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for StorageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl LedgerError {
    /// True when the ledger must stop rather than retry: a corrupt store, a
    /// wrong key, a store this build cannot read, another sequencer.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            LedgerError::Corrupt(_)
                | LedgerError::HeadMoved { .. }
                | LedgerError::SequencerElsewhere
                | LedgerError::AuditFailed { .. }
                | LedgerError::Key { .. }
                | LedgerError::StoreVersion { .. }
        )
    }
}

/// Shorthand.
pub type Result<T, E = LedgerError> = std::result::Result<T, E>;
