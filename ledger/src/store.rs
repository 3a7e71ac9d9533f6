//! The read side of a log, whatever backend holds it: checkpoints, leaves,
//! proofs and lookups ([`Store`]).
//!
//! A [`Store`] answers every question over a backend's primitive reads
//! ([`Reads`]): one SQLite data directory ([`crate::sqlite::reads`]) or one
//! PostgreSQL database ([`crate::postgres::reads`]). Proofs, the tile
//! cache, the lookups' index-then-scan-the-tail rule and every error are
//! here, once.
//!
//! Files of a data directory (whatever holds the log, the keys live here):
//!
//! | file | what |
//! |---|---|
//! | `tenderlog.db` (+ `-wal`, `-shm`) | the SQLite store (WAL, `synchronous=FULL`) |
//! | `index.db` | its lookup tables, derived from the leaves by the [index follower](crate::indexer) |
//! | `log.key` | the checkpoint signing key, mode 0600 |
//! | `log.vkey` | the C2SP verifier key, public |
//! | `log-mldsa44.key`, `.vkey` | the ML-DSA-44 checkpoint key (0600) and its vkey |
//! | `writer.lock` | held (flock) by the one process that appends |
//!
//! The lookup tables map a hash to entry indexes by the hash's first 8 bytes
//! as an integer ([`prefix`]): small rows, cheap comparisons; every lookup
//! confirms the full hash against the leaf.

use std::path::{Path, PathBuf};

use verifier::Hash;
use verifier::checkpoint::{Checkpoint, SignedCheckpoint};
use verifier::event::Event;
use verifier::log_keys::{KeyHistory, LogKeys};
use verifier::merkle::{self, NodeSource};
use verifier::note::NoteVerifier;

use crate::error::{LedgerError, Result};
use crate::storage::{Cosigned, CosignedTable, Lookups, StampTable, TenderSummary};

pub use crate::layout::TILE_WIDTH;
pub use crate::sqlite::reads::SCHEMA_VERSION;

/// The SQLite database file inside a data directory.
pub fn db_path(dir: &Path) -> PathBuf {
    dir.join("tenderlog.db")
}

/// The signing key file inside a data directory.
pub fn key_path(dir: &Path) -> PathBuf {
    dir.join("log.key")
}

/// The verifier key file inside a data directory.
pub fn vkey_path(dir: &Path) -> PathBuf {
    dir.join("log.vkey")
}

/// The writer lock file inside a data directory.
pub fn lock_path(dir: &Path) -> PathBuf {
    dir.join("writer.lock")
}

/// The index key of a hash: its first 8 bytes, big-endian, as a signed integer.
pub fn prefix(h: &Hash) -> i64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&h.0[..8]);
    i64::from_be_bytes(b)
}

/// Where a log is kept: a data directory (its keys, its side files, and by
/// default the log itself in SQLite), and, when the operator gave one, the
/// PostgreSQL database that holds the log instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The data directory.
    pub dir: PathBuf,
    /// A `postgres://` URL (or `key=value` settings) of the database that
    /// holds the log; `None` for the data directory's SQLite store.
    pub postgres: Option<String>,
}

impl Location {
    /// The SQLite store of `dir`.
    pub fn dir(dir: &Path) -> Location {
        Location { dir: dir.to_owned(), postgres: None }
    }

    /// `dir`, with the log in the database at `store` when it is a
    /// PostgreSQL URL (`postgres://`, `postgresql://`, or `key=value`
    /// settings naming a `host` or `dbname`); `None` or an empty string
    /// keeps the SQLite store.
    pub fn new(dir: &Path, store: Option<&str>) -> Location {
        let postgres = store.filter(|s| !s.trim().is_empty()).map(str::to_owned);
        Location { dir: dir.to_owned(), postgres }
    }

    /// Whether the log exists there (a SQLite store file, or a database
    /// given: the database is asked when it is opened).
    pub fn exists(&self) -> bool {
        self.postgres.is_some() || db_path(&self.dir).is_file()
    }
}

impl From<&Path> for Location {
    fn from(dir: &Path) -> Location {
        Location::dir(dir)
    }
}

impl From<&PathBuf> for Location {
    fn from(dir: &PathBuf) -> Location {
        Location::dir(dir)
    }
}

impl From<&Location> for Location {
    fn from(at: &Location) -> Location {
        at.clone()
    }
}

impl Location {
    /// The API's token table of the log: the data directory's `tokens.db`,
    /// or the database's table, which every front-end shares.
    pub fn tokens(&self) -> Result<Box<dyn crate::storage::TokenTable>> {
        Ok(match &self.postgres {
            None => Box::new(crate::sqlite::tokens::TokenDb::open(&self.dir)?),
            Some(url) => Box::new(crate::postgres::tables::PgTokens::open(url)?),
        })
    }

    /// The checkpoints' RFC 3161 tokens, for the stamper to write: the data
    /// directory's `timestamps.db`, or the database's table, which every
    /// front-end shares (so a takeover keeps what the last sequencer got).
    pub fn stamps(&self) -> Result<Box<dyn StampTable + Send>> {
        Ok(match &self.postgres {
            None => Box::new(crate::sqlite::stamps::Stamps::open(&self.dir)?),
            Some(url) => Box::new(crate::postgres::tables::PgStamps::open(url)?),
        })
    }

    /// The cosigned checkpoints, for the witness client to write: the data
    /// directory's `cosigned.db`, or the database's table.
    pub fn cosigned(&self) -> Result<Box<dyn CosignedTable + Send>> {
        Ok(match &self.postgres {
            None => Box::new(crate::sqlite::cosigned::CosignedCheckpoints::open(&self.dir)?),
            Some(url) => Box::new(crate::postgres::tables::PgCosigned::open(url)?),
        })
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.postgres {
            None => write!(f, "{}", self.dir.display()),
            Some(_) => write!(f, "the PostgreSQL database (keys in {})", self.dir.display()),
        }
    }
}

/// A checkpoint row: size, root, note, when last signed.
pub(crate) struct CheckpointRow {
    pub size: u64,
    pub root: Hash,
    pub note: String,
    pub signed_ms: u64,
}

/// The prefix-keyed lookup tables.
#[derive(Clone, Copy, Debug)]
pub(crate) enum HashTable {
    /// Leaf hash → index.
    LeafHashes,
    /// Content digest → index (idempotent resubmission).
    Contents,
    /// A logged document's SHA-256 → index.
    Documents,
}

/// What a backend reads for a [`Store`]: rows, as stored. Every method sees
/// the snapshot [`Reads::begin`] opened, when one is open.
pub(crate) trait Reads: Send {
    /// Opens one read snapshot for the queries that follow; false when one
    /// is open already (nested: the caller must not end it).
    fn begin(&self) -> Result<bool>;
    /// Ends the snapshot [`Reads::begin`] opened.
    fn end(&self);
    /// The newest checkpoint row.
    fn latest(&self) -> Result<Option<CheckpointRow>>;
    /// The smallest checkpoint of a size above `index`: `(size, note)`.
    fn covering(&self, index: u64) -> Result<Option<(u64, String)>>;
    /// The note of the checkpoint of exactly `size`.
    fn checkpoint_at(&self, size: u64) -> Result<Option<String>>;
    /// The newest `n` checkpoints `(size, note)`, newest first.
    fn newest(&self, n: usize) -> Result<Vec<(u64, String)>>;
    /// The leaf at `index`.
    fn leaf(&self, index: u64) -> Result<Option<Vec<u8>>>;
    /// Calls `each` for the stored leaves `[from, to)`, in index order.
    fn leaves(
        &self,
        from: u64,
        to: u64,
        each: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
    ) -> Result<()>;
    /// One past the largest stored leaf index.
    fn stored_leaves(&self) -> Result<u64>;
    /// The node `(level, index)` alone.
    fn node(&self, level: u32, index: u64) -> Result<Option<Hash>>;
    /// The tile row holding node `(level, index)`.
    fn tile_row(&self, level: u32, index: u64) -> Result<Option<Vec<u8>>>;
    /// The nodes `(level, index)` of `wanted`, those stored, in one go.
    fn nodes_many(
        &self,
        wanted: &[(u32, u64)],
    ) -> Result<std::collections::HashMap<(u32, u64), Hash>> {
        let mut out = std::collections::HashMap::with_capacity(wanted.len());
        for &(level, index) in wanted {
            if let Some(h) = self.node(level, index)? {
                out.insert((level, index), h);
            }
        }
        Ok(out)
    }
    /// Whether one query for many rows costs much less than one each (a
    /// database over the network: proofs then read their rows at once).
    fn prefers_batches(&self) -> bool {
        false
    }
    /// Entries `[0, n)` are in the lookup tables.
    fn indexed_upto(&self) -> Result<u64>;
    /// Candidate indexes for `hash` in `table` (every indexed one).
    fn candidates(&self, table: HashTable, hash: &Hash) -> Result<Vec<u64>>;
    /// [`Reads::candidates`] of each of `hashes`, by [`prefix`]: every
    /// prefix asked for is a key (with no indexes when none matched).
    fn candidates_many(
        &self,
        table: HashTable,
        hashes: &[Hash],
    ) -> Result<std::collections::HashMap<i64, Vec<u64>>> {
        let mut out = std::collections::HashMap::with_capacity(hashes.len());
        for h in hashes {
            out.insert(prefix(h), self.candidates(table, h)?);
        }
        Ok(out)
    }
    /// A tender's indexed events `(seq, index)`, in sequence order.
    fn tender_rows(&self, tender: &str) -> Result<Vec<(u64, u64)>>;
    /// The latest indexed event of `tender`, `(seq, index)`.
    fn tender_head(&self, tender: &str) -> Result<Option<(u64, u64)>>;
    /// Every indexed tender below `upto`: `(tender, events, latest index)`.
    fn tender_groups(&self, upto: u64) -> Result<Vec<(String, u64, u64)>>;
    /// Opens one snapshot of the lookup tables alone (the sequencer's
    /// lookups); false when none was opened.
    fn index_begin(&self) -> Result<bool>;
    /// Ends it.
    fn index_end(&self);
    /// The checkpoints' RFC 3161 tokens, if the log keeps any (a SQLite
    /// log keeps them in its data directory `dir`, beside the log).
    fn stamps<'a>(&'a self, dir: &Path) -> Result<Option<Box<dyn StampTable + 'a>>>;
    /// The cosigned checkpoints, if the log keeps any (as `stamps`).
    fn cosigned<'a>(&'a self, dir: &Path) -> Result<Option<Box<dyn CosignedTable + 'a>>>;
    /// The SQLite reads, for what only a SQLite store has (its audit).
    fn as_sqlite(&self) -> Option<&crate::sqlite::reads::SqliteReads> {
        None
    }
}

/// Read access to a log: checkpoints, leaves, proofs, indexes.
///
/// Readers take no lock and run beside the writer (each sees the last
/// committed batch, or the snapshot [`Store::snapshot`] holds).
pub struct Store {
    reads: Box<dyn Reads>,
    origin: String,
    keys: LogKeys,
    /// Tile rows of the upper tree levels, as last read (see [`TileCache`]).
    tiles: std::cell::RefCell<TileCache>,
    /// The sequencer's batch lookups of content digests, made in one query
    /// ([`Store::prefetch_contents`]).
    prefetched: std::cell::RefCell<Option<std::collections::HashMap<i64, Vec<u64>>>>,
    /// The data directory.
    dir: PathBuf,
}

/// Upper-level tile rows kept by a reader. Every proof touches one node per
/// level, and above the lowest few levels there are few rows, so they are
/// read again and again; a row only ever grows at its end, so a cached copy
/// answers every slot it holds, and a slot beyond it is read afresh.
#[derive(Default)]
struct TileCache {
    rows: std::collections::HashMap<i64, Vec<u8>>,
}

/// Levels below this are read node by node (their rows are too many to keep).
const CACHED_FROM_LEVEL: u32 = 4;
/// Most rows a reader keeps (at most 8 KiB each).
const CACHED_ROWS: usize = 1024;

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.origin)
    }
}

impl Store {
    /// Opens the SQLite store in `dir` for reading.
    pub fn open(dir: &Path) -> Result<Store> {
        Store::open_at(&Location::dir(dir))
    }

    /// Opens the log at `at` for reading.
    pub fn open_at(at: &Location) -> Result<Store> {
        match &at.postgres {
            None => crate::sqlite::reads::open(&at.dir, false),
            Some(url) => crate::postgres::reads::open(url, &at.dir),
        }
    }

    /// A store over `reads`, of the log `origin` signed by `keys`.
    pub(crate) fn new(reads: Box<dyn Reads>, origin: String, keys: LogKeys, dir: &Path) -> Store {
        Store {
            reads,
            origin,
            keys,
            tiles: Default::default(),
            prefetched: Default::default(),
            dir: dir.to_owned(),
        }
    }

    /// The backend's reads.
    pub(crate) fn reads(&self) -> &dyn Reads {
        &*self.reads
    }

    /// Runs `f` inside one read snapshot: every query `f` makes sees the
    /// same state of the log (and a backend takes its locks once rather
    /// than once per query: most of a proof's cost otherwise). Nested calls
    /// run `f` in the snapshot already open.
    pub fn snapshot<T, E: From<LedgerError>>(
        &self,
        f: impl FnOnce(&Store) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let opened = self.reads.begin()?;
        let out = f(self);
        if opened {
            // A read snapshot has nothing to keep: ending it cannot lose data.
            self.reads.end();
        }
        out
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The checkpoints' RFC 3161 tokens, if the log keeps any yet.
    pub fn stamps(&self) -> Result<Option<Box<dyn StampTable + '_>>> {
        self.reads.stamps(&self.dir)
    }

    /// The first checkpoint stamped with a token that covers entry
    /// `index`, with its token, if any yet.
    pub fn first_stamp_covering(&self, index: u64) -> Result<Option<(u64, crate::stamper::Stamp)>> {
        let Some(t) = self.stamps()? else { return Ok(None) };
        let Some(size) = t.first_from(index + 1)? else { return Ok(None) };
        Ok(t.get(size)?.map(|s| (size, s)))
    }

    /// The newest cosigned checkpoint, if any (see [`crate::witnessed`]).
    pub fn newest_cosigned(&self) -> Result<Option<Cosigned>> {
        let kept = match self.reads.cosigned(&self.dir)? {
            Some(t) => t.latest()?,
            None => None,
        };
        crate::witnessed::with_legacy_newest(kept, &self.dir)
    }

    /// The first cosigned checkpoint of at least `size` entries (the first
    /// covering entry `size - 1`), if any.
    pub fn first_cosigned_from(&self, size: u64) -> Result<Option<Cosigned>> {
        let kept = match self.reads.cosigned(&self.dir)? {
            Some(t) => t.first_from(size)?,
            None => None,
        };
        crate::witnessed::with_legacy_first(kept, &self.dir, size)
    }

    /// Entries `[0, n)` are in the lookup tables; later ones are found by
    /// scanning the leaves.
    pub fn indexed_upto(&self) -> Result<u64> {
        Ok(self.reads.indexed_upto()?.min(self.tree_size()?))
    }

    /// Calls `f(index, leaf hash, event)` for each entry from `from` (the
    /// `indexed_upto` the caller read *before* its index lookups) on.
    ///
    /// Why the caller passes it: the follower may commit between the index
    /// lookup and the scan. Reading `indexed_upto` once, keeping index rows
    /// below it and scanning from it, every entry is seen exactly once.
    fn scan_tail(&self, from: u64, mut f: impl FnMut(u64, &Hash, &Event)) -> Result<()> {
        let to = self.tree_size()?;
        self.reads.leaves(from, to, &mut |idx, leaf| {
            let event = Event::decode(leaf)
                .map_err(|e| LedgerError::Corrupt(format!("leaf {idx}: {e}")))?;
            f(idx, &verifier::leaf_hash(leaf), &event);
            Ok(())
        })
    }

    /// The indexed entry whose content has this digest (see
    /// [`verifier::event::Content::digest`]); entries not yet indexed are
    /// the writer's to know.
    pub(crate) fn indexed_content(&self, digest: &Hash) -> Result<Option<u64>> {
        let known = self.prefetched.borrow().as_ref().and_then(|m| m.get(&prefix(digest)).cloned());
        let candidates = match known {
            Some(c) => c,
            None => self.reads.candidates(HashTable::Contents, digest)?,
        };
        for idx in candidates {
            let event = self.event(idx)?;
            if event.content_digest()? == *digest {
                return Ok(Some(idx));
            }
        }
        Ok(None)
    }

    /// Looks up the indexed entries of these content digests in one go, for
    /// [`Store::indexed_content`] to answer from until
    /// [`Store::forget_prefetched`] (call both inside one index snapshot).
    pub(crate) fn prefetch_contents(&self, digests: &[Hash]) -> Result<()> {
        let found = self.reads.candidates_many(HashTable::Contents, digests)?;
        *self.prefetched.borrow_mut() = Some(found);
        Ok(())
    }

    /// Forgets what [`Store::prefetch_contents`] found.
    pub(crate) fn forget_prefetched(&self) {
        self.prefetched.borrow_mut().take();
    }

    /// The latest indexed event of `tender`, as `(seq, index)`.
    pub(crate) fn indexed_tender_head(&self, tender: &str) -> Result<Option<(u64, u64)>> {
        self.reads.tender_head(tender)
    }

    /// Runs `f` inside one snapshot of the lookup tables, so that its
    /// lookups share one snapshot.
    pub(crate) fn in_index_snapshot<T, E: From<LedgerError>>(
        &self,
        f: impl FnOnce() -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let opened = self.reads.index_begin()?;
        let out = f();
        if opened {
            self.reads.index_end();
        }
        out
    }

    /// The log's origin (checkpoint first line, key name).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The log's verifier key: the one that signs now.
    pub fn verifier(&self) -> &NoteVerifier {
        self.keys.current()
    }

    /// Every key the log has signed with, each for its tree sizes.
    pub fn log_keys(&self) -> &LogKeys {
        &self.keys
    }

    /// The log's key history, if it has rotated its key.
    pub fn key_history(&self) -> Option<KeyHistory> {
        let rotations = self.keys.rotations();
        (!rotations.is_empty()).then(|| KeyHistory {
            rotations: rotations.iter().map(|r| r.note.clone()).collect(),
            ..KeyHistory::new(&self.origin)
        })
    }

    fn latest_row(&self) -> Result<CheckpointRow> {
        self.reads.latest()?.ok_or_else(|| LedgerError::Corrupt("no checkpoint".into()))
    }

    /// The newest signed checkpoint.
    pub fn latest_checkpoint(&self) -> Result<SignedCheckpoint> {
        let row = self.latest_row()?;
        Ok(SignedCheckpoint {
            checkpoint: Checkpoint::new(&self.origin, row.size, row.root),
            note: row.note,
        })
    }

    /// When the latest checkpoint was last signed (see `Ledger::heartbeat`),
    /// ms since the epoch.
    pub fn latest_signed_ms(&self) -> Result<u64> {
        Ok(self.latest_row()?.signed_ms)
    }

    /// The checkpoint the log signed with the batch of entry `index`: the
    /// smallest checkpoint that covers it. Returns its size and note.
    pub fn receipt_checkpoint(&self, index: u64) -> Result<(u64, String)> {
        match self.reads.covering(index)? {
            Some(found) => Ok(found),
            None => Err(LedgerError::NoSuchEntry { index, tree_size: self.tree_size()? }),
        }
    }

    /// The signed checkpoint of exactly `size`, if the log signed one.
    pub fn checkpoint_at(&self, size: u64) -> Result<Option<String>> {
        self.reads.checkpoint_at(size)
    }

    /// The newest `n` signed checkpoints `(size, note)`, newest first.
    pub fn newest_checkpoints(&self, n: usize) -> Result<Vec<(u64, String)>> {
        self.reads.newest(n)
    }

    /// The number of leaves covered by the newest checkpoint.
    pub fn tree_size(&self) -> Result<u64> {
        Ok(self.latest_row()?.size)
    }

    /// One past the largest stored leaf index (the writer checks it is the
    /// newest checkpoint's size).
    pub(crate) fn stored_leaves(&self) -> Result<u64> {
        self.reads.stored_leaves()
    }

    /// The leaf at `index`.
    pub fn leaf(&self, index: u64) -> Result<Vec<u8>> {
        match self.reads.leaf(index)? {
            Some(l) => Ok(l),
            None => Err(LedgerError::NoSuchEntry { index, tree_size: self.tree_size()? }),
        }
    }

    /// The event at `index`, decoded.
    fn event(&self, index: u64) -> Result<Event> {
        Event::decode(&self.leaf(index)?)
            .map_err(|e| LedgerError::Corrupt(format!("leaf {index}: {e}")))
    }

    fn check_size(&self, size: u64) -> Result<u64> {
        let tree_size = self.tree_size()?;
        if size > tree_size {
            return Err(LedgerError::BeyondTree { size, tree_size });
        }
        Ok(tree_size)
    }

    /// The root of the tree of `size` leaves (at most the checkpointed size).
    pub fn root_at(&self, size: u64) -> Result<Hash> {
        self.check_size(size)?;
        merkle::tree_root(&mut self.nodes(), size)
    }

    /// An inclusion proof for `index` in the tree of `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>> {
        self.check_size(size)?;
        if index >= size {
            return Err(LedgerError::NoSuchEntry { index, tree_size: size });
        }
        merkle::inclusion_proof(&mut self.nodes(), index, size)
    }

    /// Everything an inclusion answer needs, in as few reads as possible:
    /// one for the tree size, the proof's nodes, one for the leaf hash; the
    /// root is recomputed from the proof rather than read.
    pub fn prove_inclusion(&self, index: u64, size: u64) -> Result<InclusionAnswer> {
        self.check_size(size)?;
        if index >= size {
            return Err(LedgerError::NoSuchEntry { index, tree_size: size });
        }
        let mut nodes = self.nodes();
        if self.reads.prefers_batches() {
            nodes.prefetch_inclusion(index, size)?;
        }
        let proof = merkle::inclusion_proof(&mut nodes, index, size)?;
        let leaf_hash = nodes.node(0, index)?;
        let root = merkle::root_from_inclusion(index, size, &leaf_hash, &proof)?;
        Ok(InclusionAnswer { leaf_hash, root, proof })
    }

    /// The hash of the leaf at `index`, from the tiles.
    pub fn leaf_hash(&self, index: u64) -> Result<Hash> {
        StoredNodes { reads: &*self.reads, cache: None, read: Default::default() }.node(0, index)
    }

    /// A consistency proof from `size1` to `size2`.
    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>> {
        self.check_size(size2)?;
        merkle::consistency_proof(&mut self.nodes(), size1, size2)
    }

    /// The stored tile row `(level, tile)`, possibly partial.
    pub fn tile(&self, level: u32, tile: u64) -> Result<Option<Vec<u8>>> {
        self.reads.tile_row(level, tile.saturating_mul(TILE_WIDTH))
    }

    /// Node hashes read from the stored tiles.
    pub fn nodes(&self) -> StoredNodes<'_> {
        StoredNodes { reads: &*self.reads, cache: Some(&self.tiles), read: Default::default() }
    }

    /// The indexed entries `table` maps `hash` to, below `upto`, whose
    /// event `keep` accepts.
    fn indexed(
        &self,
        table: HashTable,
        hash: &Hash,
        upto: u64,
        mut keep: impl FnMut(u64) -> Result<bool>,
    ) -> Result<Vec<u64>> {
        let mut out = Vec::new();
        for idx in self.reads.candidates(table, hash)?.into_iter().filter(|i| *i < upto) {
            if keep(idx)? {
                out.push(idx);
            }
        }
        Ok(out)
    }
}

impl Lookups for Store {
    /// The index of the leaf with hash `hash`.
    fn index_of_leaf_hash(&self, hash: &Hash) -> Result<Option<u64>> {
        let upto = self.indexed_upto()?;
        let found = self
            .indexed(HashTable::LeafHashes, hash, upto, |idx| Ok(self.leaf_hash(idx)? == *hash))?;
        if let Some(idx) = found.first() {
            return Ok(Some(*idx));
        }
        let mut found = None;
        self.scan_tail(upto, |idx, lh, _| {
            if found.is_none() && lh == hash {
                found = Some(idx);
            }
        })?;
        Ok(found)
    }

    /// A tender's events as `(seq, index)`, in sequence order.
    fn tender_events(&self, tender: &str) -> Result<Vec<(u64, u64)>> {
        let upto = self.indexed_upto()?;
        let mut out: Vec<(u64, u64)> =
            self.reads.tender_rows(tender)?.into_iter().filter(|(_, idx)| *idx < upto).collect();
        self.scan_tail(upto, |idx, _, e| {
            if e.tender == tender {
                out.push((e.seq, idx));
            }
        })?;
        Ok(out)
    }

    fn tenders(&self, limit: usize) -> Result<Vec<TenderSummary>> {
        use std::collections::HashMap;
        let upto = self.indexed_upto()?;
        let mut found: HashMap<String, (u64, u64)> = self
            .reads
            .tender_groups(upto)?
            .into_iter()
            .map(|(tender, n, latest)| (tender, (n, latest)))
            .collect();
        self.scan_tail(upto, |idx, _, e| {
            let t = found.entry(e.tender.clone()).or_insert((0, idx));
            t.0 += 1;
            t.1 = t.1.max(idx);
        })?;
        let mut out: Vec<TenderSummary> = found
            .into_iter()
            .map(|(tender, (events, latest))| TenderSummary { tender, events, latest })
            .collect();
        out.sort_by_key(|t| std::cmp::Reverse(t.latest));
        out.truncate(limit);
        Ok(out)
    }

    /// The indexes of the events that logged a document with this SHA-256.
    fn document_events(&self, sha256: &Hash) -> Result<Vec<u64>> {
        let upto = self.indexed_upto()?;
        let mut out = self.indexed(HashTable::Documents, sha256, upto, |idx| {
            Ok(self.event(idx)?.body.document().is_some_and(|d| d.sha256 == *sha256))
        })?;
        self.scan_tail(upto, |idx, _, e| {
            if e.body.document().is_some_and(|d| d.sha256 == *sha256) {
                out.push(idx);
            }
        })?;
        Ok(out)
    }
}

/// An inclusion proof with the leaf hash and root it proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InclusionAnswer {
    /// The entry's leaf hash.
    pub leaf_hash: Hash,
    /// The root of the tree of the requested size.
    pub root: Hash,
    /// The audit path, leaf to root.
    pub proof: Vec<Hash>,
}

/// A [`NodeSource`] over a store's tile rows.
pub struct StoredNodes<'a> {
    reads: &'a dyn Reads,
    cache: Option<&'a std::cell::RefCell<TileCache>>,
    /// Nodes read at once for one proof ([`StoredNodes::prefetch_inclusion`]).
    read: std::collections::HashMap<(u32, u64), Hash>,
}

/// Records which nodes a proof asks for (answering zeros).
struct Wanted(Vec<(u32, u64)>);

impl NodeSource for Wanted {
    type Error = LedgerError;
    fn node(&mut self, level: u32, index: u64) -> Result<Hash> {
        self.0.push((level, index));
        Ok(Hash([0; 32]))
    }
}

impl StoredNodes<'_> {
    /// Reads the nodes of the lower levels (those not cached) that the
    /// inclusion proof of `index` in the tree of `size` needs, and its leaf
    /// hash, in one query.
    fn prefetch_inclusion(&mut self, index: u64, size: u64) -> Result<()> {
        let mut wanted = Wanted(vec![(0, index)]);
        merkle::inclusion_proof(&mut wanted, index, size)?;
        wanted.0.retain(|(level, _)| *level < CACHED_FROM_LEVEL || self.cache.is_none());
        wanted.0.sort_unstable();
        wanted.0.dedup();
        self.read = self.reads.nodes_many(&wanted.0)?;
        Ok(())
    }
}

fn missing(level: u32, index: u64) -> LedgerError {
    LedgerError::Corrupt(format!("node at level {level}, index {index} is missing"))
}

impl NodeSource for StoredNodes<'_> {
    type Error = LedgerError;
    fn node(&mut self, level: u32, index: u64) -> Result<Hash> {
        if let Some(h) = self.read.get(&(level, index)) {
            return Ok(*h);
        }
        let Some(cache) = self.cache.filter(|_| level >= CACHED_FROM_LEVEL) else {
            return self.reads.node(level, index)?.ok_or_else(|| missing(level, index));
        };
        let (id, slot) = (crate::layout::tile_id(level, index), (index % TILE_WIDTH) as usize);
        let at = slot * 32..slot * 32 + 32;
        if let Some(row) = cache.borrow().rows.get(&id)
            && let Some(b) = row.get(at.clone())
        {
            return crate::layout::hash_from(b, "node hash");
        }
        let row = self.reads.tile_row(level, index)?.ok_or_else(|| missing(level, index))?;
        let h = match row.get(at) {
            Some(b) => crate::layout::hash_from(b, "node hash")?,
            None => return Err(missing(level, index)),
        };
        let mut c = cache.borrow_mut();
        if c.rows.len() >= CACHED_ROWS {
            c.rows.clear();
        }
        c.rows.insert(id, row);
        Ok(h)
    }
}
