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
//! The checks run over a [`LogSource`]: the data directory's store
//! (`crate::sqlite::audit`, which adds what only a store has: rows beyond
//! the tree and the index tables) or a log's public tiles over HTTP
//! ([`crate::remote`]), so a log someone else runs is audited by the same
//! code from its tiles and checkpoint alone.
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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, mpsc};

use verifier::chain::{LastEvent, follows, follows_leaf};
use verifier::check::CheckName;
use verifier::checkpoint::SignedCheckpoint;
use verifier::event::{Envelope, Event};
use verifier::log_keys::LogKeys;
use verifier::merkle::{self, CompactRange};
use verifier::{Hash, leaf_hash};

use crate::error::{LedgerError, Result};
use crate::storage::{LogReader, LogSource, TreeHead};
use crate::store::{self, TILE_WIDTH};

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
pub(crate) struct Facts {
    idx: u64,
    /// The envelope's fields, or why it could not be read.
    pub(crate) chain: std::result::Result<Chain, verifier::Error>,
    leaf_hash: Hash,
}

/// An envelope with its tender id kept in the chunk's text buffer (one
/// allocation per chunk rather than one per leaf).
pub(crate) struct Chain {
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
    total: u64,
    chunks: u64,
    scope: AuditScope,
    indexed: u64,
    vkey: LogKeys,
    newest_root: Hash,
}

/// Row-set digests of the index tables, as implied by the leaves.
#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Implied {
    pub(crate) hashes: RowSet,
    pub(crate) tenders: RowSet,
    pub(crate) contents: RowSet,
    pub(crate) docs: RowSet,
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
struct StopOnDrop<'a>(&'a Window);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::Relaxed);
        // Under the lock, so a thread between its check and its wait hears it.
        let _taken = self.0.taken.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.0.moved.notify_all();
    }
}

/// Checks the chunks [`Window`] hands it over a reader of its own: each
/// chunk's leaves, hashed where the reader keeps them (no copy, no
/// hand-over between threads), and the checkpoints whose size ends in it:
/// signature, note against row, and consistency with the newest by a proof
/// over the tiles (a log fed over HTTP signs a checkpoint per small batch, so
/// these are many and spread over the threads). Sends each result with its
/// chunk number; ends when the chunks are handed out, on the first error, or
/// when the receiver hangs up. Nothing below the newest checkpoint ever
/// changes, so every reader sees the same leaves whatever snapshot it has.
fn check_chunks<S: LogSource>(
    source: &S,
    sh: &Shared,
    win: &Window,
    tx: &mpsc::SyncSender<(u64, Result<Checked>)>,
) {
    // One reader (one read transaction) for all its chunks, as the pass
    // has: starting one per chunk cost 2% of the audit.
    let mut reader = match source.reader() {
        Ok(r) => r,
        // A thread that cannot read at all reports it as the result of a
        // chunk, so the pass meets it.
        Err(e) => {
            if let Some(chunk) = win.claim(sh.chunks) {
                let _ = tx.send((chunk, Err(e)));
            }
            return;
        }
    };
    while let Some(chunk) = win.claim(sh.chunks) {
        let out = check_chunk(sh, &mut reader, chunk);
        let failed = out.is_err();
        if tx.send((chunk, out)).is_err() || failed {
            break;
        }
    }
}

/// One chunk of [`check_chunks`]: leaves `[from, to)`, checkpoints of sizes
/// in `(from, to]` (and size 0 in the first chunk).
fn check_chunk(sh: &Shared, reader: &mut impl LogReader, chunk: u64) -> Result<Checked> {
    let (from, to) = (chunk * AUDIT_CHUNK, ((chunk + 1) * AUDIT_CHUNK).min(sh.total));
    let mut implied = Implied::default();
    let mut tenders = String::new();
    let mut facts = Vec::with_capacity(AUDIT_CHUNK as usize);
    reader.leaves(from, to, &mut |idx, leaf| {
        facts.push(check_leaf(idx, leaf, sh.scope, sh.indexed, &mut tenders, &mut implied));
        Ok(())
    })?;
    let mut signed = Vec::new();
    let lowest = if chunk == 0 { 0 } else { from + 1 };
    reader.checkpoints(lowest, to, &mut |size, root, note| {
        signed.push((size, root, note.to_owned()));
        Ok(())
    })?;
    let mut checkpoints = Vec::with_capacity(signed.len());
    for (size, root, note) in signed {
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
            let Some(proof) = reader.consistency_proof(size, sh.total)? else {
                return Ok(());
            };
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
pub(crate) fn check_leaf(
    idx: u64,
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
    if idx < indexed {
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

/// An audit finding: `check` failed (at entry `index`).
pub(crate) fn fail(check: CheckName, index: Option<u64>, detail: impl Into<String>) -> LedgerError {
    LedgerError::AuditFailed { check, index, detail: detail.into() }
}

/// An order-independent digest of a set of rows: the lane-wise sum of two
/// keyed 64-bit hashes of each row, plus the row count. It detects lost,
/// added or altered rows from corruption or hand edits; it is not meant to
/// resist someone crafting collisions (projections are never trusted by a
/// verifier anyway: proofs are checked against signed checkpoints).
#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct RowSet {
    pub(crate) count: u64,
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

    pub(crate) fn add(&mut self, parts: &[&[u8]]) {
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

/// The stored tile rows the pass compares the re-derived nodes with.
struct Tiles<'r, R> {
    reader: &'r mut R,
    /// Per level: (tile, row bytes) of the row being compared.
    current: Vec<Option<(u64, Vec<u8>)>>,
    /// Per level: number of complete nodes derived.
    counts: Vec<u64>,
}

impl<R: LogReader> Tiles<'_, R> {
    fn check(&mut self, level: u32, index: u64, hash: &Hash, entry: u64) -> Result<()> {
        let l = level as usize;
        if self.current.len() <= l {
            self.current.resize(l + 1, None);
            self.counts.resize(l + 1, 0);
        }
        self.counts[l] = index + 1;
        if !self.reader.keeps_level(level) {
            return Ok(());
        }
        let tile = index / TILE_WIDTH;
        if self.current[l].as_ref().is_none_or(|(cur, _)| *cur != tile) {
            let row = self.reader.tile(level, tile)?;
            self.current[l] = Some((tile, row.unwrap_or_default()));
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

/// What the pass over the leaves established.
#[derive(Debug)]
pub(crate) struct Pass {
    /// The tree: the newest checkpoint's size, and the root of the leaves.
    pub(crate) head: TreeHead,
    /// Signed checkpoints checked.
    pub(crate) checkpoints: u64,
    /// Distinct tenders seen.
    pub(crate) tenders: u64,
    /// The index rows the leaves of entries `[0, indexed)` imply.
    pub(crate) implied: Implied,
    /// Per tree level, the complete nodes of the tree.
    pub(crate) nodes_per_level: Vec<u64>,
}

/// The lookup tables, in the order of [`Implied`]'s fields: the check named
/// for each, its table, and its columns (the entry index last). Integer
/// columns are summed as 8 big-endian bytes, text as its bytes.
pub(crate) const INDEX_TABLES: [(CheckName, &str, &[&str]); 4] = [
    (CheckName::IndexLeafHashes, "leaf_hashes", &["prefix", "idx"]),
    (CheckName::IndexTenderEvents, "tender_events", &["tender", "seq", "idx"]),
    (CheckName::IndexContents, "contents", &["prefix", "idx"]),
    (CheckName::IndexDocuments, "documents", &["prefix", "idx"]),
];

/// The lookup tables' sums (in [`INDEX_TABLES`] order) equal what the
/// leaves imply.
pub(crate) fn compare_index(stored: [RowSet; 4], implied: &Implied) -> Result<()> {
    let want = [implied.hashes, implied.tenders, implied.contents, implied.docs];
    for (((check, _, _), got), want) in INDEX_TABLES.iter().zip(stored).zip(want) {
        if got != want {
            return Err(fail(
                *check,
                None,
                format!(
                    "{} rows stored, {} implied by the leaves, or rows differ",
                    got.count, want.count
                ),
            ));
        }
    }
    Ok(())
}

/// What a store holds beyond the tree of `total` entries, as counted by
/// its backend: leaves at or after `total`, checkpoint rows, and each tile
/// row's `(id, bytes)`.
pub(crate) struct Extents {
    pub(crate) leaves_beyond: i64,
    pub(crate) checkpoints: i64,
    pub(crate) tiles: Vec<(i64, i64)>,
}

/// The store holds nothing beyond the tree of `total` entries: no leaf
/// after it, no checkpoint the pass did not check, and tiles holding
/// exactly the tree's complete nodes.
pub(crate) fn check_extents(e: &Extents, total: u64, pass: &Pass) -> Result<()> {
    if e.leaves_beyond != 0 {
        return Err(fail(
            CheckName::LeafSequence,
            Some(total),
            "leaves stored beyond the latest checkpoint",
        ));
    }
    if u64::try_from(e.checkpoints).ok() != Some(pass.checkpoints) {
        return Err(fail(
            CheckName::CheckpointRoot,
            None,
            format!(
                "{} checkpoints stored, {} of them at sizes of the log",
                e.checkpoints, pass.checkpoints
            ),
        ));
    }
    for &(id, len) in &e.tiles {
        let level = (id as u64 >> 56) as usize;
        let tile = id as u64 & ((1u64 << 56) - 1);
        let have = pass.nodes_per_level.get(level).copied().unwrap_or(0);
        let want = have.saturating_sub(tile * TILE_WIDTH).min(TILE_WIDTH) * 32;
        if len as u64 != want {
            return Err(fail(
                CheckName::TileExtent,
                None,
                format!("tile (level {level}, {tile}) holds {len} bytes, the tree has {want}"),
            ));
        }
    }
    Ok(())
}

/// How a store's lookup tables are summed beside the pass: for entries
/// `[0, indexed)`, stopping early (with any result) once the flag is set.
pub(crate) type IndexScan<'a> = &'a (dyn Fn(&AtomicBool) -> Result<[RowSet; 4]> + Sync);

/// The audit of a store: [`pass`], with the lookup tables summed beside it
/// by `scan` on a thread of its own (an early end of the pass stops it),
/// then what only the store can check (`after`, given the pass), then the
/// tables compared with what the leaves imply.
#[allow(clippy::too_many_arguments)]
pub(crate) fn audit_store<S: LogSource>(
    source: &S,
    main: &mut S::Reader,
    keys: &LogKeys,
    scope: AuditScope,
    indexed: u64,
    scan: Option<IndexScan<'_>>,
    after: &mut dyn FnMut(&mut S::Reader, &Pass) -> Result<()>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<AuditReport> {
    let stop = AtomicBool::new(false);
    std::thread::scope(|threads| -> Result<AuditReport> {
        let scan = match scan {
            Some(scan) => Some(
                std::thread::Builder::new()
                    .name("audit-index".into())
                    .spawn_scoped(threads, || scan(&stop))
                    .map_err(|e| {
                        fail(CheckName::Audit, None, format!("couldn't start a thread: {e}"))
                    })?,
            ),
            None => None,
        };
        // Stops the scan when the audit ends early.
        struct Stop<'a>(&'a AtomicBool);
        impl Drop for Stop<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
        let _stop = Stop(&stop);
        let pass = pass(source, main, keys, scope, indexed, progress)?;
        after(main, &pass)?;
        if let Some(scan) = scan {
            let stored = scan.join().map_err(|_| {
                fail(CheckName::Audit, None, "the index scan stopped without a result")
            })??;
            compare_index(stored, &pass.implied)?;
        }
        Ok(AuditReport {
            scope,
            indexed,
            entries: pass.head.size,
            checkpoints: pass.checkpoints,
            tenders: pass.tenders,
            root: pass.head.root,
        })
    })
}

/// Audits the log at `source` with the checks of `scope` that need only
/// its leaves, tiles and checkpoints (no index tables), against `keys`.
pub(crate) fn audit_source<S: LogSource>(
    source: &S,
    keys: &LogKeys,
    scope: AuditScope,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<AuditReport> {
    let mut main = source.reader()?;
    let pass = pass(source, &mut main, keys, scope, 0, progress)?;
    Ok(AuditReport {
        scope,
        entries: pass.head.size,
        indexed: 0,
        checkpoints: pass.checkpoints,
        tenders: pass.tenders,
        root: pass.head.root,
    })
}

/// Runs every check that needs only the leaves, tiles and checkpoints:
/// `main` (whose snapshot fixes the newest checkpoint, the audit's target)
/// reads the tiles for the pass; `workers` readers from `source` read and
/// check the leaves and checkpoints in chunks. `indexed`: the entries whose
/// implied index rows are summed (0 for none).
pub(crate) fn pass<S: LogSource>(
    source: &S,
    main: &mut S::Reader,
    vkey: &LogKeys,
    scope: AuditScope,
    indexed: u64,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Pass> {
    let latest = main.latest()?;
    let total = latest.size;
    if indexed > total {
        return Err(fail(
            CheckName::IndexExtent,
            None,
            format!("index.db covers {indexed} entries, the log has {total}"),
        ));
    }
    let shared = Shared {
        total,
        // At least one, for the checkpoint of size 0.
        chunks: total.div_ceil(AUDIT_CHUNK).max(1),
        scope,
        indexed,
        vkey: vkey.clone(),
        newest_root: latest.root,
    };
    let window = Window::new();
    // Pipeline: `workers` threads read and check chunks of leaves over their
    // own readers (the costly part: SHA-256 of each leaf, and in a full
    // audit the canonical re-encoding and content digest), summing the index
    // rows they imply; this thread takes their results in index order and
    // runs every check that depends on the entries before.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
    std::thread::scope(|scope| {
        // Room for every result the window lets out: a send never waits.
        let (tx, results) = mpsc::sync_channel::<(u64, Result<Checked>)>(AHEAD as usize + workers);
        for _ in 0..workers {
            let (sh, win, tx) = (&shared, &window, tx.clone());
            std::thread::Builder::new()
                .name("audit-worker".into())
                .spawn_scoped(scope, move || check_chunks(source, sh, win, &tx))
                .map_err(|e| {
                    fail(CheckName::Audit, None, format!("couldn't start a thread: {e}"))
                })?;
        }
        drop(tx);
        // Stops the workers when the pass ends, early or not (before the
        // scope waits for them).
        let _stop = StopOnDrop(&window);
        run_pass(&shared, &window, &results, main, progress)
    })
}

/// The sequential checks of [`pass`], in index order.
fn run_pass<R: LogReader>(
    shared: &Shared,
    window: &Window,
    results: &mpsc::Receiver<(u64, Result<Checked>)>,
    main: &mut R,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Pass> {
    let total = shared.total;
    let mut seen_checkpoints = 0u64;
    // Results that came before their turn, by chunk.
    let mut early: HashMap<u64, Result<Checked>> = HashMap::new();

    let mut tiles = Tiles { reader: main, current: Vec::new(), counts: Vec::new() };
    let mut range = CompactRange::new();
    let mut prev_leaf: Option<Hash> = None;
    let mut prev_ms = 0u64;
    // foldhash: the map is looked up once per entry.
    let mut heads: HashMap<String, LastEvent, foldhash::fast::RandomState> = HashMap::default();
    let mut implied = Implied::default();
    let mut nodes: Vec<(u32, u64, Hash)> = Vec::with_capacity(64);

    // Raises the finding a worker had for each checkpoint the pass reaches,
    // and compares its signed root with the root of the leaves.
    let check_cp = |range: &CompactRange,
                    cps: &mut std::iter::Peekable<
        std::vec::IntoIter<(u64, Hash, Option<LedgerError>)>,
    >,
                    seen: &mut u64|
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
            if idx != index {
                return Err(fail(
                    CheckName::LeafSequence,
                    Some(index),
                    format!("next stored leaf is {idx}"),
                ));
            }
            let event =
                chain.map_err(|e| fail(CheckName::CanonicalLeaf, Some(index), e.to_string()))?;
            let tender = &tenders[event.tender.clone()];
            if !follows_leaf(prev_leaf.as_ref(), event.prev_leaf.as_ref()) {
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
            follows(head.as_deref(), event.seq, event.prev_tender).map_err(|b| {
                fail(CheckName::TenderChain, Some(index), format!("tender {tender:?}: {b}"))
            })?;
            let next = LastEvent { index, seq: event.seq, leaf_hash: lh };
            match head {
                Some(h) => *h = next,
                None => {
                    heads.insert(tender.to_owned(), next);
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
    if range.size() != total {
        return Err(fail(
            CheckName::LeafSequence,
            Some(range.size()),
            format!("leaves end at {}, the latest checkpoint covers {total}", range.size()),
        ));
    }
    Ok(Pass {
        head: TreeHead { size: total, root: range.root() },
        checkpoints: seen_checkpoints,
        tenders: heads.len() as u64,
        implied,
        nodes_per_level: tiles.counts,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

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
        drop(StopOnDrop(&win));
        assert_eq!(waiting.join().unwrap(), None);
        assert_eq!(win.claim(1000), None);
    }
}
