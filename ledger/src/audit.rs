//! The audit: re-derive the whole log from its leaves and compare.
//!
//! One pass over the leaves, in index order, checks for every entry:
//! the leaf is a canonical v1 event (`canonical leaf`); its `prev_leaf` is the
//! hash of the entry before (`global chain`); its tender sequence number and
//! `prev_tender` link follow the tender's previous event (`tender chain`); its
//! received time does not go back (`received time`); and every tree node it
//! completes equals the stored tile hash (`tree node`). At every checkpointed
//! size the re-derived root must equal the signed root (`checkpoint root`) and
//! the note must verify (`checkpoint signature`); every checkpoint must be
//! consistent with the newest (`checkpoint consistency`). Finally the stored
//! tiles may hold nothing beyond the tree (`tile extent`), and each projection
//! table must equal the one the leaves imply (`index <name>`), compared as
//! multiset digests so that no table is loaded into memory.
//!
//! An integrity audit ([`AuditScope::Integrity`]) skips the canonical check
//! (it reads each leaf's envelope only) and the index tables.
//!
//! Memory: the compact range (≤ 64 hashes), one tile row per level, one head
//! per tender, and a bounded number of chunks in flight; checkpoints are read
//! chunk by chunk, never all at once. Leaves and checkpoints are read and
//! checked by one thread per core, each taking the next chunk of 1,024
//! entries as it is free, over its own connection; this thread runs the
//! checks that depend on the entries before, in index order; `index.db` is
//! summed by another.

use std::collections::HashMap;
use std::hash::{BuildHasher as _, Hasher as _};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};

use rusqlite::Connection;
use verifier::check::CheckName;
use verifier::checkpoint::SignedCheckpoint;
use verifier::event::{Envelope, Event};
use verifier::merkle::{self, CompactRange};
use verifier::{Hash, leaf_hash};

use crate::error::{LedgerError, Result};
use crate::store::{self, Store, TILE_WIDTH, hash_from, sql_u64};

/// What a successful audit covered.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AuditReport {
    /// Which checks ran.
    pub scope: AuditScope,
    /// Entries checked.
    pub entries: u64,
    /// Entries covered by `index.db` (the rest are still being indexed).
    pub indexed: u64,
    /// Signed checkpoints checked.
    pub checkpoints: u64,
    /// Distinct tenders seen.
    pub tenders: u64,
    /// Root of the whole log.
    pub root: Hash,
}

/// How much an audit re-derives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditScope {
    /// Every check: the integrity checks, and each leaf decoded in full and
    /// re-encoded (a canonical v1 event), and the index tables compared
    /// with what the leaves imply.
    #[default]
    Full,
    /// What proves the record complete and unaltered: every tree node and
    /// checkpoint root re-derived from the leaves, both hash chains, the
    /// received-time order, every checkpoint's signature and consistency.
    /// Each leaf is read only as far as its envelope ([`Envelope`]), and
    /// `index.db` (rebuilt from the leaves if lost) is not read.
    Integrity,
}

/// What the sequential checks need of one leaf, found by a worker.
struct Facts {
    idx: i64,
    /// The envelope's fields, or why it could not be read.
    chain: std::result::Result<Chain, verifier::Error>,
    leaf_hash: Hash,
}

/// An envelope with its tender id kept in the chunk's text buffer (one
/// allocation per chunk rather than one per leaf).
struct Chain {
    tender: std::ops::Range<usize>,
    seq: u64,
    prev_tender: Option<verifier::event::EventLink>,
    prev_leaf: Option<Hash>,
    received_ms: u64,
}

impl Chain {
    fn of(e: &Envelope<'_>, tenders: &mut String) -> Chain {
        let start = tenders.len();
        tenders.push_str(e.tender);
        Chain {
            tender: start..tenders.len(),
            seq: e.seq,
            prev_tender: e.prev_tender,
            prev_leaf: e.prev_leaf,
            received_ms: e.received_ms,
        }
    }
}

/// A worker's results for one chunk: facts in index order, the chunk's
/// tender ids, and the rows the chunk's entries imply in each index table
/// (sums commute, so each chunk's are added up as they arrive).
struct Checked {
    facts: Vec<Facts>,
    tenders: String,
    implied: Implied,
    /// The chunk's checkpoints in size order: size, signed root, and what
    /// was wrong with the note or its consistency with the newest, if
    /// anything (raised when the pass reaches that size, so findings keep
    /// their index order).
    checkpoints: Vec<(u64, Hash, Option<LedgerError>)>,
}

/// What every auditing thread needs to know of the log.
struct Shared {
    dir: std::path::PathBuf,
    total: u64,
    chunks: u64,
    scope: AuditScope,
    indexed: u64,
    vkey: verifier::note::NoteVerifier,
    newest_root: Hash,
}

/// Row-set digests of the index tables, as implied by the leaves.
#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
struct Implied {
    hashes: RowSet,
    tenders: RowSet,
    contents: RowSet,
    docs: RowSet,
}

impl Implied {
    fn add(&mut self, other: &Implied) {
        self.hashes.merge(&other.hashes);
        self.tenders.merge(&other.tenders);
        self.contents.merge(&other.contents);
        self.docs.merge(&other.docs);
    }
}

/// Entries per chunk: the unit of work of one auditing thread.
const AUDIT_CHUNK: u64 = 1024;

/// Chunks handed out beyond the one the pass waits for: the most results
/// held at once (a chunk's take about 130 KiB), which bounds memory whatever
/// the log size.
const AHEAD: u64 = 32;

/// Hands chunks to the auditing threads in index order, each as soon as a
/// thread is free, and at most [`AHEAD`] beyond the pass. (Dealing them
/// round-robin instead, one queue per thread, left a core idle about a tenth
/// of the time: a thread the scheduler had delayed held up the pass while
/// the other, its queue full, waited.)
struct Window {
    /// The next chunk to hand out.
    next: AtomicU64,
    /// Chunks the pass has taken.
    taken: Mutex<u64>,
    moved: Condvar,
    /// Raised when the audit ends early: threads stop taking work.
    stop: AtomicBool,
}

impl Window {
    fn new() -> Window {
        Window {
            next: AtomicU64::new(0),
            taken: Mutex::new(0),
            moved: Condvar::new(),
            stop: AtomicBool::new(false),
        }
    }

    /// The next chunk of `chunks` for a thread, once it is within reach of
    /// the pass; `None` when all are handed out or the audit stopped.
    fn claim(&self, chunks: u64) -> Option<u64> {
        let chunk = self.next.fetch_add(1, Ordering::Relaxed);
        if chunk >= chunks {
            return None;
        }
        let mut taken = self.taken.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        while chunk >= *taken + AHEAD && !self.stop.load(Ordering::Relaxed) {
            taken = self.moved.wait(taken).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        (!self.stop.load(Ordering::Relaxed)).then_some(chunk)
    }

    /// The pass took one more chunk.
    fn took(&self) {
        *self.taken.lock().unwrap_or_else(std::sync::PoisonError::into_inner) += 1;
        self.moved.notify_all();
    }
}

/// Stops the helper threads when dropped (the audit returned, perhaps early).
struct StopOnDrop(Arc<Window>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::Relaxed);
        // Under the lock, so a thread between its check and its wait hears it.
        let _taken = self.0.taken.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.0.moved.notify_all();
    }
}

/// Checks the chunks [`Window`] hands it over a store connection of its
/// own: each chunk's leaves, hashed where SQLite keeps them (no copy, no
/// hand-over between threads), and the checkpoints whose size ends in it:
/// signature, note against row, and consistency with the newest by a proof
/// over the tiles (a log fed over HTTP signs a checkpoint per small batch, so
/// these are many and spread over the threads). Sends each result with its
/// chunk number; ends when the chunks are handed out, on the first error, or
/// when the receiver hangs up. Rows below the newest checkpoint never
/// change, so every thread reads the same ones whatever snapshot it has.
fn check_chunks(sh: &Shared, win: &Window, tx: &mpsc::SyncSender<(u64, Result<Checked>)>) {
    // A thread that cannot read at all reports it as the result of a chunk,
    // so the pass meets it.
    let report = |e: LedgerError| {
        if let Some(chunk) = win.claim(sh.chunks) {
            let _ = tx.send((chunk, Err(e)));
        }
    };
    let store = match Store::open(&sh.dir) {
        Ok(s) => s,
        Err(e) => return report(e),
    };
    // One read transaction for all its chunks, as the pass has: starting one
    // per chunk (shared lock, WAL header, file checks) cost 2% of the audit.
    let began = store.snapshot(|store| -> Result<()> {
        while let Some(chunk) = win.claim(sh.chunks) {
            let out = check_chunk(sh, store, chunk);
            let failed = out.is_err();
            if tx.send((chunk, out)).is_err() || failed {
                break;
            }
        }
        Ok(())
    });
    if let Err(e) = began {
        report(e);
    }
}

/// One chunk of [`check_chunks`]: leaves `[from, to)`, checkpoints of sizes
/// in `(from, to]` (and size 0 in the first chunk).
fn check_chunk(sh: &Shared, store: &Store, chunk: u64) -> Result<Checked> {
    let (from, to) = (chunk * AUDIT_CHUNK, ((chunk + 1) * AUDIT_CHUNK).min(sh.total));
    let mut st = store
        .conn
        .prepare_cached("SELECT idx, leaf FROM leaves WHERE idx >= ?1 AND idx < ?2 ORDER BY idx")?;
    let mut rows = st.query([from as i64, to as i64])?;
    let mut implied = Implied::default();
    let mut tenders = String::new();
    let mut facts = Vec::with_capacity(AUDIT_CHUNK as usize);
    while let Some(r) = rows.next()? {
        let idx: i64 = r.get(0)?;
        match r.get_ref(1)? {
            rusqlite::types::ValueRef::Blob(leaf) => {
                facts.push(check_leaf(idx, leaf, sh.scope, sh.indexed, &mut tenders, &mut implied));
            }
            _ => {
                let index = u64::try_from(idx).ok();
                return Err(fail(
                    CheckName::CanonicalLeaf,
                    index,
                    "stored leaf is not a byte string",
                ));
            }
        }
    }
    let mut checkpoints = Vec::new();
    let mut st = store.conn.prepare_cached(
        "SELECT size, root, note FROM checkpoints WHERE size > ?1 AND size <= ?2 ORDER BY size",
    )?;
    let lowest = if chunk == 0 { -1 } else { from as i64 };
    let mut rows = st.query([lowest, to as i64])?;
    let mut nodes = store.nodes();
    while let Some(r) = rows.next()? {
        let size = sql_u64(r.get(0)?)?;
        let root = hash_from(&r.get::<_, Vec<u8>>(1)?, "checkpoint root")?;
        let note: String = r.get(2)?;
        let verdict = (|| -> Result<()> {
            let signed = SignedCheckpoint::verify(note.as_bytes(), &sh.vkey).map_err(|e| {
                fail(
                    CheckName::CheckpointSignature,
                    None,
                    format!("checkpoint of size {size}: {e}"),
                )
            })?;
            if signed.checkpoint.size != size || signed.checkpoint.root != root {
                return Err(fail(
                    CheckName::CheckpointSignature,
                    None,
                    format!("note of size {size} does not match its row"),
                ));
            }
            let proof = merkle::consistency_proof(&mut nodes, size, sh.total)?;
            merkle::verify_consistency(size, sh.total, &proof, &root, &sh.newest_root).map_err(
                |e| {
                    let detail = format!("size {size} to {}: {e}", sh.total);
                    fail(CheckName::CheckpointConsistency, None, detail)
                },
            )
        })();
        checkpoints.push((size, root, verdict.err()));
    }
    Ok(Checked { facts, tenders, implied, checkpoints })
}

/// Decodes and hashes one leaf, adding the index rows it implies (only for
/// entries `index.db` covers) to `implied` and its tender id to `tenders`.
fn check_leaf(
    idx: i64,
    leaf: &[u8],
    scope: AuditScope,
    indexed: u64,
    tenders: &mut String,
    implied: &mut Implied,
) -> Facts {
    let lh = leaf_hash(leaf);
    if scope == AuditScope::Integrity {
        let chain = Envelope::read(leaf).map(|e| Chain::of(&e, tenders));
        return Facts { idx, chain, leaf_hash: lh };
    }
    let event = match Event::decode(leaf) {
        Ok(e) => e,
        Err(e) => return Facts { idx, chain: Err(e), leaf_hash: lh },
    };
    if (idx as u64) < indexed {
        let ib = idx.to_be_bytes();
        implied.hashes.add(&[&store::prefix(&lh).to_be_bytes(), &ib]);
        implied.tenders.add(&[event.tender.as_bytes(), &event.seq.to_be_bytes(), &ib]);
        let content = match event.content_digest() {
            Ok(d) => store::prefix(&d),
            Err(e) => return Facts { idx, chain: Err(e), leaf_hash: lh },
        };
        implied.contents.add(&[&content.to_be_bytes(), &ib]);
        if let Some(d) = event.body.document() {
            implied.docs.add(&[&store::prefix(&d.sha256).to_be_bytes(), &ib]);
        }
    }
    Facts { idx, chain: Ok(Chain::of(&Envelope::from(&event), tenders)), leaf_hash: lh }
}

/// A projection table of `index.db`: the audit check named for it, and the
/// query of its rows, with the entry index last.
struct IndexTable {
    check: CheckName,
    sql: &'static str,
    cols: usize,
}

/// The tables in the order of [`Implied`]'s fields.
const INDEX_TABLES: [IndexTable; 4] = [
    IndexTable {
        check: CheckName::IndexLeafHashes,
        sql: "SELECT prefix, idx FROM leaf_hashes",
        cols: 2,
    },
    IndexTable {
        check: CheckName::IndexTenderEvents,
        sql: "SELECT tender, seq, idx FROM tender_events",
        cols: 3,
    },
    IndexTable {
        check: CheckName::IndexContents,
        sql: "SELECT prefix, idx FROM contents",
        cols: 2,
    },
    IndexTable {
        check: CheckName::IndexDocuments,
        sql: "SELECT prefix, idx FROM documents",
        cols: 2,
    },
];

/// Sums the rows of each projection table for entries `[0, indexed)`, over a
/// connection of its own (so it runs beside the pass). Its snapshot may be
/// newer than the audit's: the indexer only ever adds rows, for entries it
/// had not covered, so rows of entries below `indexed` are the same in both,
/// rows of entries it covers since are left to the next audit, and a row of
/// an entry beyond what its own snapshot covers is a finding.
fn scan_index(dir: &Path, indexed: u64, stop: &AtomicBool) -> Result<[RowSet; 4]> {
    let Some(ix) = crate::indexer::open_for_reading(dir)? else {
        return Err(fail(
            CheckName::IndexExtent,
            None,
            "index.db disappeared during the audit; run it again",
        ));
    };
    ix.execute_batch("BEGIN DEFERRED")?;
    let covers = crate::indexer::indexed_upto(&ix)?;
    if covers < indexed {
        return Err(fail(
            CheckName::IndexExtent,
            None,
            format!(
                "index.db went from {indexed} to {covers} entries during the audit (rebuilt?); run it again"
            ),
        ));
    }
    let mut sets = [RowSet::default(); 4];
    for (table, set) in INDEX_TABLES.iter().zip(sets.iter_mut()) {
        let mut st = ix.prepare(table.sql)?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            if stop.load(Ordering::Relaxed) {
                return Ok([RowSet::default(); 4]);
            }
            let cols = table.cols;
            // Integers as 8 big-endian bytes, text and blobs as they are; no
            // allocation per row (the tables have a row per entry).
            let mut ints = [[0u8; 8]; 3];
            for (c, int) in ints.iter_mut().enumerate().take(cols) {
                if let rusqlite::types::ValueRef::Integer(i) = r.get_ref(c)? {
                    *int = (i as u64).to_be_bytes();
                }
            }
            let idx = u64::from_be_bytes(ints[cols - 1]);
            if idx >= covers {
                return Err(fail(
                    table.check,
                    Some(idx),
                    format!("a row for entry {idx}, beyond the {covers} entries index.db covers"),
                ));
            }
            if idx >= indexed {
                continue;
            }
            let mut parts: [&[u8]; 3] = [&[]; 3];
            for (c, part) in parts.iter_mut().enumerate().take(cols) {
                *part = match r.get_ref(c)? {
                    rusqlite::types::ValueRef::Integer(_) => &ints[c],
                    rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => t,
                    _ => &[],
                };
            }
            set.add(&parts[..cols]);
        }
    }
    Ok(sets)
}

fn fail(check: CheckName, index: Option<u64>, detail: impl Into<String>) -> LedgerError {
    LedgerError::AuditFailed { check, index, detail: detail.into() }
}

/// An order-independent digest of a set of rows: the lane-wise sum of two
/// keyed 64-bit hashes of each row, plus the row count. It detects lost,
/// added or altered rows from corruption or hand edits; it is not meant to
/// resist someone crafting collisions (projections are never trusted by a
/// verifier anyway: proofs are checked against signed checkpoints).
#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
struct RowSet {
    count: u64,
    a: u64,
    b: u64,
}

/// The two hash lanes: foldhash (a fast keyed hash with full avalanche) under
/// two fixed seeds. Fixed, so that the sums of the leaves and of the tables
/// are comparable; SipHash cost a fifth of a full audit.
const LANE_A: foldhash::quality::FixedState =
    foldhash::quality::FixedState::with_seed(0x7465_6e64_6572_6c6f);
const LANE_B: foldhash::quality::FixedState =
    foldhash::quality::FixedState::with_seed(0x6175_6469_7421_0001);

impl RowSet {
    fn merge(&mut self, other: &RowSet) {
        self.count += other.count;
        self.a = self.a.wrapping_add(other.a);
        self.b = self.b.wrapping_add(other.b);
    }

    fn add(&mut self, parts: &[&[u8]]) {
        let mut ha = LANE_A.build_hasher();
        let mut hb = LANE_B.build_hasher();
        for p in parts {
            ha.write(p);
            hb.write(p);
        }
        self.count += 1;
        self.a = self.a.wrapping_add(ha.finish());
        self.b = self.b.wrapping_add(hb.finish());
    }
}

struct Tiles<'a> {
    conn: &'a Connection,
    /// Per level: (tile row id, row bytes) of the row being compared.
    current: Vec<Option<(i64, Vec<u8>)>>,
    /// Per level: number of complete nodes derived.
    counts: Vec<u64>,
}

impl Tiles<'_> {
    fn check(&mut self, level: u32, index: u64, hash: &Hash, entry: u64) -> Result<()> {
        let l = level as usize;
        if self.current.len() <= l {
            self.current.resize(l + 1, None);
            self.counts.resize(l + 1, 0);
        }
        self.counts[l] = index + 1;
        let id = store::tile_id(level, index);
        if self.current[l].as_ref().is_none_or(|(cur, _)| *cur != id) {
            // Read as a raw value: a row of the wrong type is a finding, not an I/O error.
            let row: Option<rusqlite::types::Value> = rusqlite::OptionalExtension::optional(
                self.conn
                    .prepare_cached("SELECT hashes FROM tiles WHERE id = ?1")?
                    .query_row([id], |r| r.get(0)),
            )?;
            let row = match row {
                None => None,
                Some(rusqlite::types::Value::Blob(b)) => Some(b),
                Some(_) => {
                    return Err(fail(
                        CheckName::TreeNode,
                        Some(entry),
                        format!("tile row for level {level}, index {index} is not a byte string"),
                    ));
                }
            };
            self.current[l] = Some((id, row.unwrap_or_default()));
        }
        let row = self.current[l].as_ref().map(|(_, r)| r.as_slice()).unwrap_or_default();
        let at = (index % TILE_WIDTH) as usize * 32;
        match row.get(at..at + 32) {
            Some(stored) if stored == hash.0 => Ok(()),
            Some(_) => Err(fail(
                CheckName::TreeNode,
                Some(entry),
                format!(
                    "stored hash of node (level {level}, index {index}) differs from the leaves"
                ),
            )),
            None => Err(fail(
                CheckName::TreeNode,
                Some(entry),
                format!("node (level {level}, index {index}) is missing from the tiles"),
            )),
        }
    }
}

/// Audits the store in `dir` with every check ([`AuditScope::Full`]).
/// `progress(done, total)` is called now and then. Returns the first failure
/// found, naming the check and the entry.
pub fn audit(dir: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<AuditReport> {
    audit_scope(dir, AuditScope::Full, progress)
}

/// Audits the store in `dir` with the checks of `scope`.
pub fn audit_scope(
    dir: &Path,
    scope: AuditScope,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<AuditReport> {
    let store = Store::open(dir)?;
    let vkey = store.verifier().clone();
    let conn = &store.conn;
    // One read transaction on each file: a writer appending meanwhile is not
    // seen. The index snapshot is taken first, so it covers no more than the
    // log snapshot taken after it.
    if let Some(ix) = &store.ix {
        ix.execute_batch("BEGIN DEFERRED")?;
    }
    let indexed = match (&store.ix, scope) {
        (Some(ix), AuditScope::Full) => crate::indexer::indexed_upto(ix)?,
        _ => 0,
    };
    conn.execute_batch("BEGIN DEFERRED")?;
    let latest = store.latest_checkpoint()?;
    let total = latest.checkpoint.size;
    if indexed > total {
        return Err(fail(
            CheckName::IndexExtent,
            None,
            format!("index.db covers {indexed} entries, the log has {total}"),
        ));
    }

    let stored_checkpoints: i64 =
        conn.query_row("SELECT COUNT(*) FROM checkpoints", [], |r| r.get(0))?;
    let mut seen_checkpoints = 0i64;

    // Hands out the chunks; it stops every helper thread when this function
    // returns, early or not.
    let window = Arc::new(Window::new());
    let _stop = StopOnDrop(window.clone());
    // The index tables are read beside the pass, by a thread of their own.
    let scan = match (&store.ix, scope) {
        (Some(_), AuditScope::Full) => {
            let (dir, win) = (dir.to_owned(), window.clone());
            Some(
                std::thread::Builder::new()
                    .name("audit-index".into())
                    .spawn(move || scan_index(&dir, indexed, &win.stop))
                    .map_err(|e| {
                        fail(CheckName::Audit, None, format!("couldn't start a thread: {e}"))
                    })?,
            )
        }
        _ => None,
    };

    // Pipeline: `workers` threads read and check chunks of leaves over their
    // own connections (the costly part: SHA-256 of each leaf, and in a full
    // audit the canonical re-encoding and content digest), summing the index
    // rows they imply; this thread takes their results in index order and
    // runs every check that depends on the entries before.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
    let shared = Arc::new(Shared {
        dir: dir.to_owned(),
        total,
        // At least one, for the checkpoint of size 0.
        chunks: total.div_ceil(AUDIT_CHUNK).max(1),
        scope,
        indexed,
        vkey: vkey.clone(),
        newest_root: latest.checkpoint.root,
    });
    // Room for every result the window lets out: a send never waits.
    let (tx, results) = mpsc::sync_channel::<(u64, Result<Checked>)>(AHEAD as usize + workers);
    for _ in 0..workers {
        let (sh, win, tx) = (shared.clone(), window.clone(), tx.clone());
        std::thread::Builder::new()
            .name("audit-worker".into())
            .spawn(move || check_chunks(&sh, &win, &tx))
            .map_err(|e| fail(CheckName::Audit, None, format!("couldn't start a thread: {e}")))?;
    }
    drop(tx);
    // Results that came before their turn, by chunk.
    let mut early: HashMap<u64, Result<Checked>> = HashMap::new();

    let mut tiles = Tiles { conn, current: Vec::new(), counts: Vec::new() };
    let mut range = CompactRange::new();
    let mut prev_leaf: Option<Hash> = None;
    let mut prev_ms = 0u64;
    // foldhash: the map is looked up once per entry.
    let mut heads: HashMap<String, (u64, u64, Hash), foldhash::fast::RandomState> =
        HashMap::default();
    let mut implied = Implied::default();
    let mut nodes: Vec<(u32, u64, Hash)> = Vec::with_capacity(64);

    // Raises the finding a worker had for each checkpoint the pass reaches,
    // and compares its signed root with the root of the leaves.
    let check_cp = |range: &CompactRange,
                    cps: &mut std::iter::Peekable<
        std::vec::IntoIter<(u64, Hash, Option<LedgerError>)>,
    >,
                    seen: &mut i64|
     -> Result<()> {
        while let Some((size, root, verdict)) = cps.next_if(|(size, _, _)| *size == range.size()) {
            if let Some(e) = verdict {
                return Err(e);
            }
            if root != range.root() {
                return Err(fail(
                    CheckName::CheckpointRoot,
                    None,
                    format!("signed root of size {size} differs from the root of the leaves"),
                ));
            }
            *seen += 1;
        }
        Ok(())
    };

    for chunk in 0..shared.chunks {
        let checked = loop {
            if let Some(r) = early.remove(&chunk) {
                break r;
            }
            let (c, r) = results.recv().map_err(|_| {
                fail(
                    CheckName::Audit,
                    Some(range.size()),
                    "an auditing thread stopped without a result",
                )
            })?;
            early.insert(c, r);
        };
        window.took();
        let Checked { facts, tenders, implied: rows, checkpoints } = checked?;
        implied.add(&rows);
        let mut cps = checkpoints.into_iter().peekable();
        if chunk == 0 {
            check_cp(&range, &mut cps, &mut seen_checkpoints)?;
        }
        for Facts { idx, chain, leaf_hash: lh } in facts {
            let index = range.size();
            if sql_u64(idx)? != index {
                return Err(fail(
                    CheckName::LeafSequence,
                    Some(index),
                    format!("next stored leaf is {idx}"),
                ));
            }
            let event =
                chain.map_err(|e| fail(CheckName::CanonicalLeaf, Some(index), e.to_string()))?;
            let tender = &tenders[event.tender.clone()];
            if event.prev_leaf != prev_leaf {
                return Err(fail(
                    CheckName::GlobalChain,
                    Some(index),
                    "prev_leaf is not the previous leaf",
                ));
            }
            if event.received_ms < prev_ms {
                return Err(fail(
                    CheckName::ReceivedTime,
                    Some(index),
                    "earlier than the previous entry",
                ));
            }
            let head = heads.get_mut(tender);
            let want_seq = head.as_ref().map_or(0, |(s, _, _)| s + 1);
            if event.seq != want_seq {
                return Err(fail(
                    CheckName::TenderChain,
                    Some(index),
                    format!("tender {:?}: seq {} where {} was due", tender, event.seq, want_seq),
                ));
            }
            let link = event.prev_tender.map(|l| (l.index, l.leaf_hash));
            if link != head.as_ref().map(|(_, i, h)| (*i, *h)) {
                return Err(fail(
                    CheckName::TenderChain,
                    Some(index),
                    format!("tender {tender:?}: prev_tender is not its previous event"),
                ));
            }
            match head {
                Some(h) => *h = (event.seq, index, lh),
                None => {
                    heads.insert(tender.to_owned(), (event.seq, index, lh));
                }
            }
            nodes.clear();
            range.push(lh, |level, i, h| nodes.push((level, i, *h)));
            for (level, i, h) in &nodes {
                tiles.check(*level, *i, h, index)?;
            }
            prev_leaf = Some(lh);
            prev_ms = event.received_ms;
            check_cp(&range, &mut cps, &mut seen_checkpoints)?;
        }
        let end = ((chunk + 1) * AUDIT_CHUNK).min(total);
        if range.size() != end {
            let n = range.size();
            let detail = format!("no leaf {n} is stored; the latest checkpoint covers {total}");
            return Err(fail(CheckName::LeafSequence, Some(n), detail));
        }
        if let Some((size, _, _)) = cps.next() {
            return Err(fail(
                CheckName::CheckpointRoot,
                None,
                format!("checkpoint of size {size} was not reached by the leaves"),
            ));
        }
        progress(range.size(), total);
    }
    drop(results);
    if range.size() != total {
        return Err(fail(
            CheckName::LeafSequence,
            Some(range.size()),
            format!("leaves end at {}, the latest checkpoint covers {total}", range.size()),
        ));
    }
    let beyond: i64 =
        conn.query_row("SELECT COUNT(*) FROM leaves WHERE idx >= ?1", [total as i64], |r| {
            r.get(0)
        })?;
    if beyond != 0 {
        return Err(fail(
            CheckName::LeafSequence,
            Some(total),
            "leaves stored beyond the latest checkpoint",
        ));
    }
    if seen_checkpoints != stored_checkpoints {
        return Err(fail(
            CheckName::CheckpointRoot,
            None,
            format!(
                "{stored_checkpoints} checkpoints stored, {seen_checkpoints} of them at sizes \
                 of the log"
            ),
        ));
    }

    // Tiles hold exactly the complete nodes of the tree, nothing more.
    {
        let mut st = conn.prepare("SELECT id, length(hashes) FROM tiles")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let len: i64 = r.get(1)?;
            let level = (id as u64 >> 56) as usize;
            let tile = id as u64 & ((1u64 << 56) - 1);
            let have = tiles.counts.get(level).copied().unwrap_or(0);
            let want = have.saturating_sub(tile * TILE_WIDTH).min(TILE_WIDTH) * 32;
            if len as u64 != want {
                return Err(fail(
                    CheckName::TileExtent,
                    None,
                    format!("tile (level {level}, {tile}) holds {len} bytes, the tree has {want}"),
                ));
            }
        }
    }

    // Projections equal what the leaves imply, for the entries they cover.
    if let Some(scan) = scan {
        let stored = scan.join().map_err(|_| {
            fail(CheckName::Audit, None, "the index scan stopped without a result")
        })??;
        let implied = [implied.hashes, implied.tenders, implied.contents, implied.docs];
        for ((table, got), want) in INDEX_TABLES.iter().zip(stored).zip(implied) {
            if got != want {
                return Err(fail(
                    table.check,
                    None,
                    format!(
                        "{} rows stored, {} implied by the leaves, or rows differ",
                        got.count, want.count
                    ),
                ));
            }
        }
    }
    conn.execute_batch("COMMIT")?;
    if let Some(ix) = &store.ix {
        ix.execute_batch("COMMIT")?;
    }
    Ok(AuditReport {
        scope,
        indexed,
        entries: total,
        checkpoints: seen_checkpoints as u64,
        tenders: heads.len() as u64,
        root: range.root(),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use verifier::event::{Body, Content, Document, DocumentType};

    use super::*;

    fn content(i: u64) -> Content {
        Content {
            tender: format!("T-{}", i % 7),
            principal: "test".into(),
            body: Body::Document(Document::new(
                DocumentType::Bid,
                Hash([i as u8; 32]),
                1 + i,
                "application/pdf",
            )),
        }
    }

    fn window() -> Arc<Window> {
        Arc::new(Window::new())
    }

    /// Threads claiming chunks while the pass takes them in order: every
    /// chunk is handed out once, never more than `AHEAD` beyond the pass.
    #[test]
    fn the_window_hands_out_each_chunk_once_and_never_too_far_ahead() {
        let chunks = 20 * AHEAD;
        let win = window();
        let (tx, rx) = mpsc::channel();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let (win, tx) = (win.clone(), tx.clone());
                std::thread::spawn(move || {
                    while let Some(c) = win.claim(chunks) {
                        let taken = *win.taken.lock().unwrap();
                        assert!(
                            c < taken + AHEAD,
                            "chunk {c} handed out when the pass took {taken}"
                        );
                        if c % 7 == t {
                            std::thread::sleep(std::time::Duration::from_micros(200));
                        }
                        tx.send(c).unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        let mut early = std::collections::HashSet::new();
        for want in 0..chunks {
            while !early.remove(&want) {
                let c = rx.recv().unwrap();
                assert!(c >= want && early.insert(c), "chunk {c} handed out twice");
            }
            win.took();
        }
        assert!(rx.recv().is_err(), "more chunks than there are");
        for t in threads {
            t.join().unwrap();
        }
    }

    /// A thread waiting for the pass to move on is released when the audit
    /// stops (returns early), and takes no more work.
    #[test]
    fn stopping_releases_a_thread_waiting_for_its_turn() {
        let win = window();
        for c in 0..AHEAD {
            assert_eq!(win.claim(1000), Some(c));
        }
        let waiting = {
            let win = win.clone();
            std::thread::spawn(move || win.claim(1000))
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!waiting.is_finished(), "chunk {AHEAD} was handed out with the window full");
        drop(StopOnDrop(win.clone()));
        assert_eq!(waiting.join().unwrap(), None);
        assert_eq!(win.claim(1000), None);
    }

    /// The index scan may see a newer index than the audit's snapshot: it
    /// must sum exactly the rows of the entries the audit covers, and refuse
    /// a row beyond what its own snapshot covers.
    #[test]
    fn the_index_scan_sums_only_the_entries_the_audit_covers() {
        let dir = tempfile::tempdir().unwrap();
        crate::init(dir.path(), "test.example/log", &crate::ManualClock::new(0)).unwrap();
        let mut ledger =
            crate::Ledger::open(dir.path(), Arc::new(crate::ManualClock::new(1))).unwrap();
        ledger.append((0..100).map(content).collect()).unwrap();
        let store = Store::open(dir.path()).unwrap();
        // The index follower runs behind the writer; wait for it.
        let started = std::time::Instant::now();
        while store.indexed_upto().unwrap() < 100 {
            assert!(started.elapsed().as_secs() < 30, "the index follower never caught up");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        drop(ledger);
        let stop = AtomicBool::new(false);
        let implied = |n: u64| {
            let mut implied = Implied::default();
            for idx in 0..n {
                let leaf = store.leaf(idx).unwrap();
                let mut tenders = String::new();
                let facts =
                    check_leaf(idx as i64, &leaf, AuditScope::Full, n, &mut tenders, &mut implied);
                assert!(facts.chain.is_ok());
            }
            [implied.hashes, implied.tenders, implied.contents, implied.docs]
        };
        assert_eq!(scan_index(dir.path(), 90, &stop).unwrap(), implied(90));
        assert_eq!(scan_index(dir.path(), 100, &stop).unwrap(), implied(100));
        assert_ne!(implied(90), implied(100));

        // A row for an entry the index does not cover is a finding.
        let ix = rusqlite::Connection::open(crate::indexer::index_path(dir.path())).unwrap();
        let covers = crate::indexer::indexed_upto(&ix).unwrap();
        ix.execute("INSERT INTO documents (prefix, idx) VALUES (1, ?1)", [covers as i64 + 5])
            .unwrap();
        drop(ix);
        let e = scan_index(dir.path(), 90, &stop).unwrap_err().to_string();
        assert!(e.contains("index documents") && e.contains("beyond"), "{e}");
    }
}
