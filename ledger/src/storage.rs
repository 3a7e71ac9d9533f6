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
//! Beside committing, a backend reads the log ([`LogReader`]), looks
//! entries up ([`Lookups`]), and keeps checkpoint tokens ([`StampTable`]),
//! the checkpoints its witnesses cosigned ([`CosignedTable`]) and API
//! tokens ([`TokenTable`]).
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

/// Reading a log, as the audit does: leaves, tile rows and signed
/// checkpoints. The data directory's store is one reader
/// ([`crate::sqlite::SqliteSource`]); a log's public tiles over HTTP are
/// another ([`crate::remote::TileSource`]), so the same checks audit a log
/// someone else runs.
///
/// A reader sees one snapshot of the log for its whole life. Nothing below
/// the newest checkpoint ever changes, so readers opened at different times
/// agree on everything a given checkpoint covers.
pub trait LogReader {
    /// The head of the newest signed checkpoint in this reader's snapshot,
    /// as stored (its note is among [`LogReader::checkpoints`], and checked
    /// there).
    fn latest(&mut self) -> Result<TreeHead>;

    /// Calls `each(index, leaf)` for the leaves `[from, to)`, in order. A
    /// leaf that is not stored ends the calls early (the audit reports the
    /// gap).
    fn leaves(
        &mut self,
        from: u64,
        to: u64,
        each: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
    ) -> Result<()>;

    /// Whether the reader keeps tile rows of tree level `level` (a store
    /// keeps every level; C2SP tlog-tiles publish every eighth).
    fn keeps_level(&self, level: u32) -> bool;

    /// The stored hashes of tile `tile` of tree level `level` (the nodes
    /// `[256·tile, 256·tile + 256)`, 32 bytes each; fewer in the last,
    /// partial tile), or `None` when there is no such row.
    fn tile(&mut self, level: u32, tile: u64) -> Result<Option<Vec<u8>>>;

    /// Calls `each(size, root, note)` for the stored signed checkpoints of
    /// sizes in `[from, to]`, in size order. A reader of public tiles has
    /// only the newest.
    fn checkpoints(
        &mut self,
        from: u64,
        to: u64,
        each: &mut dyn FnMut(u64, Hash, &str) -> Result<()>,
    ) -> Result<()>;

    /// When the checkpoint of `size` was last signed (its heartbeat), ms
    /// since the epoch; `None` when the reader does not know (public tiles
    /// carry no such time) or has no such checkpoint.
    fn signed_ms(&mut self, _size: u64) -> Result<Option<u64>> {
        Ok(None)
    }

    /// A consistency proof from `size` to `total`, from the stored nodes;
    /// `None` when the reader cannot make one (every checkpoint it has is
    /// then checked by its root alone, re-derived from the leaves).
    fn consistency_proof(&mut self, size: u64, total: u64) -> Result<Option<Vec<Hash>>>;
}

/// Where readers of one log come from: one per auditing thread, each over
/// its own connection.
pub trait LogSource: Send + Sync {
    /// The reader type.
    type Reader: LogReader;

    /// A new reader, with a snapshot at least as new as every reader's
    /// before it.
    fn reader(&self) -> Result<Self::Reader>;
}

/// Finding entries by what they hold: the index a backend keeps beside the
/// log (entries it has not indexed yet are found by scanning the leaves
/// after it, so an answer is always complete up to the tree size read).
pub trait Lookups {
    /// The index of the entry whose leaf hash is `hash`.
    fn index_of_leaf_hash(&self, hash: &Hash) -> Result<Option<u64>>;

    /// A tender's events as `(seq, index)`, in sequence order.
    fn tender_events(&self, tender: &str) -> Result<Vec<(u64, u64)>>;

    /// The indexes of the events that logged a document with this SHA-256.
    fn document_events(&self, sha256: &Hash) -> Result<Vec<u64>>;

    /// Every tender with events, as `(tender, events, index of its latest
    /// event)`, the most recently active first; `limit` at most.
    fn tenders(&self, limit: usize) -> Result<Vec<TenderSummary>>;
}

/// A tender as a list of tenders shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenderSummary {
    /// The tender ID.
    pub tender: String,
    /// How many events it has.
    pub events: u64,
    /// The index of its latest event.
    pub latest: u64,
}

/// The RFC 3161 tokens over signed checkpoints (the stamper's table).
pub trait StampTable {
    /// The token of checkpoint `size`, if it was stamped.
    fn get(&self, size: u64) -> Result<Option<crate::stamper::Stamp>>;

    /// The largest stamped size, if any.
    fn latest_size(&self) -> Result<Option<u64>>;

    /// The smallest stamped size of at least `size`, if any: the first
    /// stamped checkpoint that covers entry `size - 1`.
    fn first_from(&self, size: u64) -> Result<Option<u64>>;

    /// Keeps `stamp` as the token of checkpoint `size` (a second token for
    /// a size is ignored: the first stays).
    fn insert(&self, size: u64, stamp: &crate::stamper::Stamp) -> Result<()>;
}

/// Every checkpoint whose witness cosignatures met the operator's policy
/// (the log-signed note with the cosignature lines added), by size: what
/// a certificate or a page names as the first cosigned checkpoint covering
/// an entry, and what bundles are proved against.
pub trait CosignedTable {
    /// Keeps `note` as the cosigned checkpoint of `size`, cosigned at
    /// `cosigned_ms` (a second one for a size is ignored: the first stays).
    fn insert(&self, size: u64, note: &str, cosigned_ms: u64) -> Result<()>;

    /// The smallest cosigned checkpoint of at least `size`, if any: the
    /// first one that covers entry `size - 1`.
    fn first_from(&self, size: u64) -> Result<Option<Cosigned>>;

    /// The newest cosigned checkpoint, if any.
    fn latest(&self) -> Result<Option<Cosigned>>;
}

/// One cosigned checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cosigned {
    /// Its tree size.
    pub size: u64,
    /// The note: the log's signatures and the witnesses' cosignatures.
    pub note: String,
    /// When its quorum was met, ms since the epoch.
    pub cosigned_ms: u64,
}

/// The API's bearer tokens, kept by the SHA-256 of their secret.
pub trait TokenTable {
    /// Stores a new token.
    fn insert(&self, row: &TokenRow) -> Result<()>;

    /// Every token, oldest first.
    fn all(&self) -> Result<Vec<TokenRow>>;

    /// Marks token `id` revoked at `now_ms`; false when there is no such
    /// token not yet revoked.
    fn revoke(&self, id: &str, now_ms: u64) -> Result<bool>;
}

/// One stored API token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRow {
    /// The public ID (the `tlk_<id>_` part).
    pub id: String,
    /// SHA-256 of the secret.
    pub secret_sha256: Vec<u8>,
    /// The role, as text (`submitter`, `admin`).
    pub role: String,
    /// Whom it speaks for (recorded as the principal of its submissions).
    pub name: String,
    /// When it was made, ms since the epoch.
    pub created_ms: u64,
    /// When it was revoked, if it was.
    pub revoked_ms: Option<u64>,
}
