//! The storage seam: what the write side needs from a backend.
//!
//! The [`Ledger`](crate::Ledger) sequences and signs; a [`LogWriter`]
//! stores. A backend commits a batch — its leaves, the tree nodes they
//! complete and the signed checkpoint over them — atomically and durably,
//! and only while the stored tree head is the one the writer expects: a
//! compare-and-swap on `(size, root)`, so that a second writer, or a writer
//! whose earlier commit was reported failed but landed, can never commit,
//! and no second root is ever stored for a size.
//!
//! The SQLite backend is [`crate::sqlite::SqliteLog`]. Tests wrap it in a
//! fault-injecting writer (`tenderlog-tests`) and run one conformance suite
//! over every backend.

use verifier::Hash;

use crate::error::Result;

/// A tree head: the size and root a checkpoint signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeHead {
    /// Entries in the tree.
    pub size: u64,
    /// The RFC 6962 root.
    pub root: Hash,
}

/// One batch, sequenced and signed, ready to commit.
#[derive(Clone, Copy, Debug)]
pub struct Batch<'a> {
    /// The new leaves `(index, bytes)`, contiguous from the expected head's size.
    pub leaves: &'a [(u64, Vec<u8>)],
    /// The complete-subtree hashes the leaves complete, `(level, index,
    /// hash)`, in index order within each level.
    pub nodes: &'a [(u32, u64, Hash)],
    /// The head of the tree with the batch.
    pub head: TreeHead,
    /// The signed checkpoint note over `head`.
    pub note: &'a str,
    /// When it was signed, ms since the epoch.
    pub signed_ms: u64,
}

/// Committing to the log. One writer at a time holds it (the data
/// directory's lock); the compare-and-swap keeps it honest anyway.
pub trait LogWriter: Send {
    /// The head of the newest stored checkpoint.
    fn head(&mut self) -> Result<TreeHead>;

    /// Commits `batch` atomically, if and only if the newest stored
    /// checkpoint is still `expected`; durable when it returns `Ok`. When
    /// the head has moved it writes nothing and returns
    /// [`LedgerError::HeadMoved`](crate::LedgerError::HeadMoved).
    ///
    /// An `Err` other than that does not prove nothing landed (a timeout
    /// after the write): the writer checks [`LogWriter::head`] before it
    /// signs anything else.
    fn commit(&mut self, expected: &TreeHead, batch: &Batch<'_>) -> Result<()>;

    /// Records that the newest checkpoint, of `size`, was signed again (the
    /// same note) at `signed_ms`: the heartbeat `/healthz` watches.
    fn touch(&mut self, size: u64, signed_ms: u64) -> Result<()>;
}
