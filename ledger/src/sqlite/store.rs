//! The SQLite store: schema, connection settings, and every read.
//!
//! Layout of a data directory:
//!
//! | file | what |
//! |---|---|
//! | `tenderlog.db` (+ `-wal`, `-shm`) | the store (SQLite, WAL, `synchronous=FULL`) |
//! | `log.key` | the checkpoint signing key, mode 0600 |
//! | `log.vkey` | the C2SP verifier key, public |
//! | `log-mldsa44.key`, `.vkey` | the ML-DSA-44 checkpoint key (0600) and its vkey |
//! | `writer.lock` | held (flock) by the one process that appends |
//!
//! | `index.db` | lookup tables, derived from the leaves by the [index follower](crate::indexer) |
//!
//! Tables of `tenderlog.db`, written by the sequencer in one transaction per
//! batch. They are the log:
//!
//! * `leaves(idx, leaf)`: the canonical CBOR event leaves.
//! * `tiles(id, hashes)`: complete-subtree hashes, 256 per row, for every level
//!   (`id = level << 56 | tile`; node `(level, n)` sits in tile `n >> 8` at slot
//!   `n & 255`). Rows only grow, and only at their end. Tiles at levels 0, 8,
//!   16, … are exactly the C2SP tlog-tiles; the levels between make every
//!   proof node one read.
//! * `checkpoints(size, root, note, signed_ms)`: every signed checkpoint.
//! * `meta(key → value)`: `schema_version`, `origin`, `vkey` (the key that
//!   signs now), `mldsa44_vkey` (the ML-DSA-44 key that also signs every
//!   checkpoint; absent in logs made before it), `created_ms`, and
//!   `key_history` (the [key history], JSON) once the key has been rotated.
//!
//! [key history]: verifier::log_keys::KeyHistory
//!
//! Tables of `index.db`, projections the audit re-derives and compares:
//!
//! * `leaf_hashes`, `contents` (idempotent resubmission) and `documents` map
//!   a hash to entry indexes: the leaf hash, the content digest, the
//!   document's SHA-256. They key on the hash's first 8 bytes as an integer
//!   ([`prefix`]): small rows, cheap comparisons; every lookup confirms the
//!   full hash against the leaf.
//! * `tender_events((tender, seq) → idx)`: each tender's timeline.
//! * `meta`: `indexed_upto`, the entries `[0, n)` the tables cover.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension as _, params};
use verifier::Hash;
use verifier::checkpoint::{Checkpoint, SignedCheckpoint};
use verifier::event::Event;
use verifier::log_keys::{KeyHistory, LogKeys};
use verifier::merkle::{self, NodeSource};
use verifier::note::NoteVerifier;

use crate::error::{LedgerError, Result};
use crate::storage::Lookups;

/// The on-disk schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;
pub use crate::layout::TILE_WIDTH;
pub(crate) use crate::layout::{hash_from, sql_u64, tile_id};

/// The database file inside a data directory.
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

pub(crate) const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE leaves (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL);
CREATE TABLE tiles (id INTEGER PRIMARY KEY, hashes BLOB NOT NULL);
CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, root BLOB NOT NULL,
                          note TEXT NOT NULL, signed_ms INTEGER NOT NULL);
";

/// The index key of a hash: its first 8 bytes, big-endian, as a signed integer.
pub fn prefix(h: &Hash) -> i64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&h.0[..8]);
    i64::from_be_bytes(b)
}

/// Opens the database of `dir` with the settings every connection needs.
pub(crate) fn connect(dir: &Path, read_only: bool) -> Result<Connection> {
    let path = db_path(dir);
    if !path.is_file() {
        return Err(LedgerError::NoStore { dir: dir.to_owned() });
    }
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(&path, flags)?;
    configure(&conn)?;
    if read_only {
        // Readers are many (a server keeps a pool): what they touch again
        // and again is the B-trees' upper pages and the upper tile rows
        // (cached apart, see `TileCache`), not the bulk of the tiles.
        conn.pragma_update(None, "cache_size", -4_096)?; // 4 MiB
    }
    Ok(conn)
}

pub(crate) fn configure(conn: &Connection) -> Result<()> {
    // WAL + FULL: a commit returns only after the WAL is fsynced, so an
    // acknowledged batch survives SIGKILL and power loss.
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "cache_size", -16_384)?; // 16 MiB, bounded
    Ok(())
}

/// Read access to a store: checkpoints, leaves, proofs, indexes.
///
/// Readers take no lock and may run beside the writer (WAL readers see the
/// last committed batch).
pub struct Store {
    pub(crate) conn: Connection,
    /// `index.db`, when there is one (readers may run before any writer made it).
    pub(crate) ix: Option<Connection>,
    origin: String,
    keys: LogKeys,
    /// Tile rows of the upper tree levels, as last read (see [`TileCache`]).
    tiles: std::cell::RefCell<TileCache>,
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

/// Every row of the `meta` table.
pub(crate) fn meta_rows(conn: &Connection) -> Result<crate::meta::Meta> {
    let mut st = conn.prepare("SELECT key, value FROM meta")?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Reads the `meta` table and checks the schema version.
pub(crate) fn read_meta(conn: &Connection) -> Result<(String, LogKeys)> {
    let meta = meta_rows(conn)?;
    let version = meta.get("schema_version").ok_or_else(|| {
        LedgerError::Corrupt("no schema_version (was `tenderlog init` interrupted?)".into())
    })?;
    if *version != SCHEMA_VERSION.to_string() {
        return Err(LedgerError::StoreVersion {
            found: version.clone(),
            supported: SCHEMA_VERSION,
        });
    }
    crate::meta::log_keys(&meta)
}

impl Store {
    /// Opens the store in `dir` for reading.
    pub fn open(dir: &Path) -> Result<Store> {
        let conn = connect(dir, true)?;
        let (origin, keys) = read_meta(&conn)?;
        let ix = crate::indexer::open_for_reading(dir)?;
        Ok(Store { conn, ix, origin, keys, tiles: Default::default(), dir: dir.to_owned() })
    }

    /// The writer's own store: read-write connections (it is the one that
    /// creates `index.db`), with a small cache for the lookups, the only
    /// thing the sequencer reads in `index.db`.
    pub(crate) fn open_for_writer(dir: &Path) -> Result<Store> {
        let conn = connect(dir, false)?;
        let ix = crate::indexer::open_for_writing(dir)?;
        ix.pragma_update(None, "cache_size", -8_192)?;
        let (origin, keys) = read_meta(&conn)?;
        let tiles = Default::default();
        Ok(Store { conn, ix: Some(ix), origin, keys, tiles, dir: dir.to_owned() })
    }

    /// Indexes what a crash (or a deleted `index.db`) left unindexed below
    /// `size`, so that nothing is pending when the index follower starts.
    pub(crate) fn catch_up_index(&self, size: u64) -> Result<()> {
        let mut ix = crate::indexer::open_for_writing(&self.dir)?;
        crate::indexer::catch_up(&self.conn, &mut ix, size)
    }

    /// Runs `f` inside one read transaction: every query `f` makes sees the
    /// same snapshot, and SQLite takes its shared lock and checks the WAL
    /// once rather than once per query (most of a proof's cost otherwise).
    /// Nested calls run `f` in the transaction already open.
    pub fn snapshot<T, E: From<LedgerError>>(
        &self,
        f: impl FnOnce(&Store) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        if !self.conn.is_autocommit() {
            return f(self);
        }
        self.conn.execute_batch("BEGIN DEFERRED").map_err(LedgerError::from)?;
        let out = f(self);
        // A read transaction has nothing to keep: ending it cannot lose data,
        // and a failure here leaves the connection in autocommit anyway.
        let _ = self.conn.execute_batch("COMMIT");
        out
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Entries `[0, n)` are in the lookup tables; later ones are found by
    /// scanning the leaves.
    pub fn indexed_upto(&self) -> Result<u64> {
        match &self.ix {
            Some(ix) => Ok(crate::indexer::indexed_upto(ix)?.min(self.tree_size()?)),
            None => Ok(0),
        }
    }

    /// Calls `f(index, leaf hash, event)` for each entry from `from` (the
    /// `indexed_upto` the caller read *before* its index lookups) on.
    ///
    /// Why the caller passes it: the follower may commit between the index
    /// lookup and the scan. Reading `indexed_upto` once, keeping index rows
    /// below it and scanning from it, every entry is seen exactly once.
    fn scan_tail(&self, from: u64, mut f: impl FnMut(u64, &Hash, &Event)) -> Result<()> {
        let to = self.tree_size()?;
        let mut st = self.conn.prepare_cached(
            "SELECT idx, leaf FROM leaves WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
        )?;
        let mut rows = st.query(params![from as i64, to as i64])?;
        while let Some(r) = rows.next()? {
            let idx = sql_u64(r.get(0)?)?;
            let leaf = r.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
            let event = Event::decode(leaf)
                .map_err(|e| LedgerError::Corrupt(format!("leaf {idx}: {e}")))?;
            f(idx, &verifier::leaf_hash(leaf), &event);
        }
        Ok(())
    }

    /// The indexed entry whose content has this digest (see
    /// [`verifier::event::Content::digest`]); entries not yet indexed are
    /// the writer's to know.
    pub(crate) fn indexed_content(&self, digest: &Hash) -> Result<Option<u64>> {
        match &self.ix {
            Some(ix) => find_indexed_content(&self.conn, ix, digest),
            None => Ok(None),
        }
    }

    /// The latest indexed event of `tender`, as `(seq, index)`.
    pub(crate) fn indexed_tender_head(&self, tender: &str) -> Result<Option<(u64, u64)>> {
        let Some(ix) = &self.ix else { return Ok(None) };
        let row: Option<(i64, i64)> = ix
            .prepare_cached(
                "SELECT seq, idx FROM tender_events WHERE tender = ?1 ORDER BY seq DESC LIMIT 1",
            )?
            .query_row([tender], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(seq, idx)| Ok((sql_u64(seq)?, sql_u64(idx)?))).transpose()
    }

    /// Runs `f` inside one read transaction on `index.db` (when there is
    /// one), so that its lookups share one snapshot.
    pub(crate) fn in_index_snapshot<T, E: From<LedgerError>>(
        &self,
        f: impl FnOnce() -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let snapshot = match &self.ix {
            Some(ix) => Some(ix.unchecked_transaction().map_err(LedgerError::from)?),
            None => None,
        };
        let out = f();
        drop(snapshot);
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

    /// The newest signed checkpoint.
    pub fn latest_checkpoint(&self) -> Result<SignedCheckpoint> {
        let (size, root, note): (i64, Vec<u8>, String) = self
            .conn
            .prepare_cached("SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?
            .ok_or_else(|| LedgerError::Corrupt("no checkpoint".into()))?;
        let size = sql_u64(size)?;
        let root = hash_from(&root, "checkpoint root")?;
        Ok(SignedCheckpoint { checkpoint: Checkpoint::new(&self.origin, size, root), note })
    }

    /// When the latest checkpoint was last signed (see `Ledger::heartbeat`),
    /// ms since the epoch.
    pub fn latest_signed_ms(&self) -> Result<u64> {
        let v: i64 = self
            .conn
            .prepare_cached("SELECT signed_ms FROM checkpoints ORDER BY size DESC LIMIT 1")?
            .query_row([], |r| r.get(0))?;
        sql_u64(v)
    }

    /// The checkpoint the log signed with the batch of entry `index`: the
    /// smallest checkpoint that covers it. Returns its size and note.
    pub fn receipt_checkpoint(&self, index: u64) -> Result<(u64, String)> {
        let row: Option<(i64, String)> = self
            .conn
            .prepare_cached(
                "SELECT size, note FROM checkpoints WHERE size > ?1 ORDER BY size LIMIT 1",
            )?
            .query_row([index as i64], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (size, note) =
            row.ok_or(LedgerError::NoSuchEntry { index, tree_size: self.tree_size()? })?;
        Ok((sql_u64(size)?, note))
    }

    /// The signed checkpoint of exactly `size`, if the log signed one.
    pub fn checkpoint_at(&self, size: u64) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT note FROM checkpoints WHERE size = ?1")?
            .query_row([size as i64], |r| r.get(0))
            .optional()?)
    }

    /// The number of leaves covered by the newest checkpoint.
    pub fn tree_size(&self) -> Result<u64> {
        Ok(self.latest_checkpoint()?.checkpoint.size)
    }

    /// The leaf at `index`.
    pub fn leaf(&self, index: u64) -> Result<Vec<u8>> {
        let leaf: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT leaf FROM leaves WHERE idx = ?1")?
            .query_row([index as i64], |r| r.get(0))
            .optional()?;
        match leaf {
            Some(l) => Ok(l),
            None => Err(LedgerError::NoSuchEntry { index, tree_size: self.tree_size()? }),
        }
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
        let proof = merkle::inclusion_proof(&mut nodes, index, size)?;
        let leaf_hash = nodes.node(0, index)?;
        let root = merkle::root_from_inclusion(index, size, &leaf_hash, &proof)?;
        Ok(InclusionAnswer { leaf_hash, root, proof })
    }

    /// The hash of the leaf at `index`, from the tiles.
    pub fn leaf_hash(&self, index: u64) -> Result<Hash> {
        read_node(&self.conn, 0, index)
    }

    /// A consistency proof from `size1` to `size2`.
    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>> {
        self.check_size(size2)?;
        merkle::consistency_proof(&mut self.nodes(), size1, size2)
    }

    /// The stored tile row `(level, tile)`, possibly partial.
    pub fn tile(&self, level: u32, tile: u64) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .prepare_cached("SELECT hashes FROM tiles WHERE id = ?1")?
            .query_row([tile_id(level, tile * TILE_WIDTH)], |r| r.get(0))
            .optional()?)
    }

    /// Node hashes read from the stored tiles.
    pub fn nodes(&self) -> StoredNodes<'_> {
        StoredNodes { conn: &self.conn, cache: Some(&self.tiles) }
    }
}

impl Lookups for Store {
    /// The index of the leaf with hash `hash`.
    fn index_of_leaf_hash(&self, hash: &Hash) -> Result<Option<u64>> {
        let upto = self.indexed_upto()?;
        if let Some(ix) = &self.ix {
            for idx in
                prefix_matches(ix, HashTable::LeafHashes, hash)?.into_iter().filter(|i| *i < upto)
            {
                if read_node(&self.conn, 0, idx)? == *hash {
                    return Ok(Some(idx));
                }
            }
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
        let mut out = Vec::new();
        let upto = self.indexed_upto()?;
        if let Some(ix) = &self.ix {
            let mut st = ix.prepare_cached(
                "SELECT seq, idx FROM tender_events WHERE tender = ?1 ORDER BY seq",
            )?;
            let rows =
                st.query_map([tender], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
            for row in rows {
                let (s, i) = row?;
                let (seq, idx) = (sql_u64(s)?, sql_u64(i)?);
                if idx < upto {
                    out.push((seq, idx));
                }
            }
        }
        self.scan_tail(upto, |idx, _, e| {
            if e.tender == tender {
                out.push((e.seq, idx));
            }
        })?;
        Ok(out)
    }

    fn tenders(&self, limit: usize) -> Result<Vec<crate::storage::TenderSummary>> {
        use std::collections::HashMap;
        let upto = self.indexed_upto()?;
        let mut found: HashMap<String, (u64, u64)> = HashMap::new();
        if let Some(ix) = &self.ix {
            let mut st = ix.prepare_cached(
                "SELECT tender, COUNT(*), MAX(idx) FROM tender_events WHERE idx < ?1 GROUP BY tender",
            )?;
            let rows = st.query_map([upto as i64], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
            })?;
            for row in rows {
                let (tender, n, latest) = row?;
                found.insert(tender, (sql_u64(n)?, sql_u64(latest)?));
            }
        }
        self.scan_tail(upto, |idx, _, e| {
            let t = found.entry(e.tender.clone()).or_insert((0, idx));
            t.0 += 1;
            t.1 = t.1.max(idx);
        })?;
        let mut out: Vec<crate::storage::TenderSummary> = found
            .into_iter()
            .map(|(tender, (events, latest))| crate::storage::TenderSummary {
                tender,
                events,
                latest,
            })
            .collect();
        out.sort_by_key(|t| std::cmp::Reverse(t.latest));
        out.truncate(limit);
        Ok(out)
    }

    /// The indexes of the events that logged a document with this SHA-256.
    fn document_events(&self, sha256: &Hash) -> Result<Vec<u64>> {
        let mut out = Vec::new();
        let upto = self.indexed_upto()?;
        if let Some(ix) = &self.ix {
            for idx in
                prefix_matches(ix, HashTable::Documents, sha256)?.into_iter().filter(|i| *i < upto)
            {
                let event = Event::decode(&self.leaf(idx)?)
                    .map_err(|e| LedgerError::Corrupt(format!("leaf {idx}: {e}")))?;
                if event.body.document().is_some_and(|d| d.sha256 == *sha256) {
                    out.push(idx);
                }
            }
        }
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

/// A [`NodeSource`] over the `tiles` table of one connection.
pub struct StoredNodes<'a> {
    conn: &'a Connection,
    cache: Option<&'a std::cell::RefCell<TileCache>>,
}

impl NodeSource for StoredNodes<'_> {
    type Error = LedgerError;
    fn node(&mut self, level: u32, index: u64) -> Result<Hash> {
        let Some(cache) = self.cache.filter(|_| level >= CACHED_FROM_LEVEL) else {
            return read_node(self.conn, level, index);
        };
        let (id, slot) = (tile_id(level, index), (index % TILE_WIDTH) as usize);
        let at = slot * 32..slot * 32 + 32;
        if let Some(row) = cache.borrow().rows.get(&id)
            && let Some(b) = row.get(at.clone())
        {
            return hash_from(b, "node hash");
        }
        let row: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT hashes FROM tiles WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        let row = row.ok_or_else(|| {
            LedgerError::Corrupt(format!("node at level {level}, index {index} is missing"))
        })?;
        let h = match row.get(at) {
            Some(b) => hash_from(b, "node hash")?,
            None => {
                return Err(LedgerError::Corrupt(format!(
                    "node at level {level}, index {index} is missing"
                )));
            }
        };
        let mut c = cache.borrow_mut();
        if c.rows.len() >= CACHED_ROWS {
            c.rows.clear();
        }
        c.rows.insert(id, row);
        Ok(h)
    }
}

/// The indexed entry whose content has this digest (see
/// [`verifier::event::Content::digest`]).
pub(crate) fn find_indexed_content(
    main: &Connection,
    ix: &Connection,
    digest: &Hash,
) -> Result<Option<u64>> {
    for idx in prefix_matches(ix, HashTable::Contents, digest)? {
        let leaf: Vec<u8> = main
            .prepare_cached("SELECT leaf FROM leaves WHERE idx = ?1")?
            .query_row([idx as i64], |r| r.get(0))?;
        let event =
            Event::decode(&leaf).map_err(|e| LedgerError::Corrupt(format!("leaf {idx}: {e}")))?;
        if event.content_digest()? == *digest {
            return Ok(Some(idx));
        }
    }
    Ok(None)
}

/// Candidate indexes for `hash` in one of the prefix-keyed index tables.
pub(crate) fn prefix_matches(conn: &Connection, table: HashTable, hash: &Hash) -> Result<Vec<u64>> {
    let sql = match table {
        HashTable::LeafHashes => "SELECT idx FROM leaf_hashes WHERE prefix = ?1 ORDER BY idx",
        HashTable::Contents => "SELECT idx FROM contents WHERE prefix = ?1 ORDER BY idx",
        HashTable::Documents => "SELECT idx FROM documents WHERE prefix = ?1 ORDER BY idx",
    };
    let mut st = conn.prepare_cached(sql)?;
    let mut rows = st.query([prefix(hash)])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(sql_u64(r.get(0)?)?);
    }
    Ok(out)
}

/// The prefix-keyed tables of `index.db`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum HashTable {
    LeafHashes,
    Contents,
    Documents,
}

pub(crate) fn read_node(conn: &Connection, level: u32, index: u64) -> Result<Hash> {
    let slot = (index % TILE_WIDTH) as i64;
    let bytes: Option<Vec<u8>> = conn
        .prepare_cached("SELECT substr(hashes, ?2, 32) FROM tiles WHERE id = ?1")?
        .query_row(params![tile_id(level, index), slot * 32 + 1], |r| r.get(0))
        .optional()?;
    match bytes {
        Some(b) if b.len() == 32 => hash_from(&b, "node hash"),
        _ => Err(LedgerError::Corrupt(format!("node at level {level}, index {index} is missing"))),
    }
}

/// The newest `n` signed checkpoints `(size, note)` of the store in `dir`,
/// newest first, over a read-only connection of their own (the checkpoint
/// stamper's view).
pub(crate) fn newest_checkpoints(dir: &Path, n: usize) -> Result<Vec<(u64, String)>> {
    let conn = connect(dir, true)?;
    let mut stmt =
        conn.prepare("SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT ?1")?;
    let rows: Vec<(i64, String)> = stmt
        .query_map([n as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<std::result::Result<_, _>>()?;
    rows.into_iter().map(|(size, note)| Ok((sql_u64(size)?, note))).collect()
}
