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
//! Memory: the compact range (≤ 64 hashes), one tile row per level, and one
//! head per tender. Leaves are read by a second thread so that reading and
//! hashing overlap.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher as _, Hasher as _};
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
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
    envelope: std::result::Result<Envelope, verifier::Error>,
    leaf_hash: Hash,
}

/// A worker's results for one chunk: facts in index order, and the rows
/// the chunk's entries imply in each index table (sums commute, so each
/// chunk's are added up as they arrive).
struct Checked {
    facts: Vec<Facts>,
    implied: Implied,
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

/// Leaves of one chunk: their bytes end to end, and each one's index and
/// end offset (one allocation per chunk, not per leaf).
#[derive(Default)]
struct Leaves {
    bytes: Vec<u8>,
    rows: Vec<(i64, usize)>,
}

impl Leaves {
    fn iter(&self) -> impl Iterator<Item = (i64, &[u8])> {
        let mut start = 0;
        self.rows.iter().map(move |&(idx, end)| {
            let leaf = &self.bytes[start..end];
            start = end;
            (idx, leaf)
        })
    }
}

/// A numbered chunk of leaves, or the error that ended the reading.
type LeafChunk = (usize, Result<Leaves>);

/// Entries per chunk handed between the audit's threads.
const AUDIT_CHUNK: usize = 1024;

/// Streams leaves `[0, total)` in numbered chunks, reusing the buffers the
/// workers hand back (a fresh megabyte per chunk costs page faults).
fn read_leaves(
    dir: &Path,
    total: u64,
    tx: mpsc::SyncSender<LeafChunk>,
    recycled: mpsc::Receiver<Leaves>,
) {
    let mut n = 0usize;
    let mut run = || -> Result<()> {
        let conn = store::connect(dir, true)?;
        let mut st = conn.prepare("SELECT idx, leaf FROM leaves WHERE idx < ?1 ORDER BY idx")?;
        let mut rows = st.query([total as i64])?;
        let mut chunk = Leaves::default();
        while let Some(r) = rows.next()? {
            let idx: i64 = r.get(0)?;
            match r.get_ref(1)? {
                rusqlite::types::ValueRef::Blob(b) => chunk.bytes.extend_from_slice(b),
                _ => {
                    let index = u64::try_from(idx).ok();
                    return Err(fail("canonical leaf", index, "stored leaf is not a byte string"));
                }
            };
            chunk.rows.push((idx, chunk.bytes.len()));
            if chunk.rows.len() == AUDIT_CHUNK {
                let next = recycled.try_recv().unwrap_or_else(|_| Leaves {
                    bytes: Vec::with_capacity(chunk.bytes.capacity()),
                    rows: Vec::with_capacity(AUDIT_CHUNK),
                });
                if tx.send((n, Ok(std::mem::replace(&mut chunk, next)))).is_err() {
                    return Ok(());
                }
                n += 1;
            }
        }
        if !chunk.rows.is_empty() && tx.send((n, Ok(chunk))).is_ok() {
            n += 1;
        }
        Ok(())
    };
    if let Err(e) = run() {
        let _ = tx.send((n, Err(e)));
    }
}

/// Decodes and hashes one leaf, adding the index rows it implies (only for
/// entries `index.db` covers) to `implied`.
fn check_leaf(
    idx: i64,
    leaf: &[u8],
    scope: AuditScope,
    indexed: u64,
    implied: &mut Implied,
) -> Facts {
    let lh = leaf_hash(leaf);
    if scope == AuditScope::Integrity {
        return Facts { idx, envelope: Envelope::read(leaf), leaf_hash: lh };
    }
    let event = match Event::decode(leaf) {
        Ok(e) => e,
        Err(e) => return Facts { idx, envelope: Err(e), leaf_hash: lh },
    };
    if (idx as u64) < indexed {
        let ib = idx.to_be_bytes();
        implied.hashes.add(&[&store::prefix(&lh).to_be_bytes(), &ib]);
        implied.tenders.add(&[event.tender.as_bytes(), &event.seq.to_be_bytes(), &ib]);
        let content = store::prefix(&event.content_digest());
        implied.contents.add(&[&content.to_be_bytes(), &ib]);
        if let Some(d) = event.body.document() {
            implied.docs.add(&[&store::prefix(&d.sha256).to_be_bytes(), &ib]);
        }
    }
    Facts { idx, envelope: Ok(Envelope::from(&event)), leaf_hash: lh }
}

/// Checks chunks until the reader is done or the auditor stops.
fn check_chunks(
    rx: &Mutex<mpsc::Receiver<LeafChunk>>,
    tx: &mpsc::SyncSender<(usize, Result<Checked>)>,
    recycle: &mpsc::Sender<Leaves>,
    scope: AuditScope,
    indexed: u64,
) {
    loop {
        let job = match rx.lock() {
            Ok(guard) => guard.recv(),
            Err(_) => return,
        };
        let Ok((n, chunk)) = job else { return };
        let out = chunk.map(|mut leaves| {
            let mut implied = Implied::default();
            let facts = leaves
                .iter()
                .map(|(idx, leaf)| check_leaf(idx, leaf, scope, indexed, &mut implied))
                .collect();
            leaves.bytes.clear();
            leaves.rows.clear();
            // The reader may have finished: then the buffer is simply dropped.
            let _ = recycle.send(leaves);
            Checked { facts, implied }
        });
        if tx.send((n, out)).is_err() {
            return;
        }
    }
}

fn fail(check: &'static str, index: Option<u64>, detail: impl Into<String>) -> LedgerError {
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

const KEY_A: std::hash::BuildHasherDefault<std::collections::hash_map::DefaultHasher> =
    std::hash::BuildHasherDefault::new();

impl RowSet {
    fn merge(&mut self, other: &RowSet) {
        self.count += other.count;
        self.a = self.a.wrapping_add(other.a);
        self.b = self.b.wrapping_add(other.b);
    }

    fn add(&mut self, parts: &[&[u8]]) {
        let mut ha = KEY_A.build_hasher();
        let mut hb = KEY_A.build_hasher();
        hb.write_u8(0xa5);
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
                        "tree node",
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
                "tree node",
                Some(entry),
                format!(
                    "stored hash of node (level {level}, index {index}) differs from the leaves"
                ),
            )),
            None => Err(fail(
                "tree node",
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
            "index extent",
            None,
            format!("index.db covers {indexed} entries, the log has {total}"),
        ));
    }

    let mut checkpoints: Vec<(u64, Hash, String)> = Vec::new();
    {
        let mut st = conn.prepare("SELECT size, root, note FROM checkpoints ORDER BY size")?;
        let rows = st.query_map([], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, String>(2)?))
        })?;
        for row in rows {
            let (size, root, note) = row?;
            checkpoints.push((sql_u64(size)?, hash_from(&root, "checkpoint root")?, note));
        }
    }
    let mut next_cp = 0usize;

    // Pipeline: a reader thread streams chunks of leaves over its own
    // connection; workers decode and hash them in parallel (the costly part:
    // canonical re-encoding and two SHA-256 per leaf) and sum the index rows
    // they imply; this thread takes the facts in order and runs every check
    // that depends on the entries before.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
    let (work_tx, work_rx) = mpsc::sync_channel::<LeafChunk>(workers * 2);
    let (done_tx, done_rx) = mpsc::sync_channel::<(usize, Result<Checked>)>(workers * 2);
    let (recycle_tx, recycled) = mpsc::channel::<Leaves>();
    let reader_dir = dir.to_owned();
    let reader = std::thread::Builder::new()
        .name("audit-reader".into())
        .spawn(move || read_leaves(&reader_dir, total, work_tx, recycled))
        .map_err(|e| fail("audit", None, format!("couldn't start a thread: {e}")))?;
    let work_rx = Arc::new(Mutex::new(work_rx));
    for _ in 0..workers {
        let (rx, tx, recycle) = (work_rx.clone(), done_tx.clone(), recycle_tx.clone());
        std::thread::Builder::new()
            .name("audit-worker".into())
            .spawn(move || check_chunks(&rx, &tx, &recycle, scope, indexed))
            .map_err(|e| fail("audit", None, format!("couldn't start a thread: {e}")))?;
    }
    drop((done_tx, recycle_tx));

    let mut tiles = Tiles { conn, current: Vec::new(), counts: Vec::new() };
    let mut range = CompactRange::new();
    let mut prev_leaf: Option<Hash> = None;
    let mut prev_ms = 0u64;
    let mut heads: HashMap<String, (u64, u64, Hash)> = HashMap::new();
    let mut implied = Implied::default();
    let mut nodes: Vec<(u32, u64, Hash)> = Vec::with_capacity(64);

    let check_cp = |range: &CompactRange, next_cp: &mut usize| -> Result<()> {
        while let Some((size, root, note)) = checkpoints.get(*next_cp) {
            if *size != range.size() {
                break;
            }
            let signed = SignedCheckpoint::verify(note.as_bytes(), &vkey).map_err(|e| {
                fail("checkpoint signature", None, format!("checkpoint of size {size}: {e}"))
            })?;
            if signed.checkpoint.size != *size || signed.checkpoint.root != *root {
                return Err(fail(
                    "checkpoint signature",
                    None,
                    format!("note of size {size} does not match its row"),
                ));
            }
            if *root != range.root() {
                return Err(fail(
                    "checkpoint root",
                    None,
                    format!("signed root of size {size} differs from the root of the leaves"),
                ));
            }
            *next_cp += 1;
        }
        Ok(())
    };
    check_cp(&range, &mut next_cp)?;

    let mut waiting: BTreeMap<usize, Result<Checked>> = BTreeMap::new();
    let mut next_chunk = 0usize;
    let mut results = done_rx.iter();
    loop {
        let chunk = match waiting.remove(&next_chunk) {
            Some(c) => c,
            None => match results.next() {
                Some((n, c)) => {
                    waiting.insert(n, c);
                    continue;
                }
                None => break,
            },
        };
        next_chunk += 1;
        let Checked { facts, implied: rows } = chunk?;
        implied.add(&rows);
        for Facts { idx, envelope, leaf_hash: lh } in facts {
            let index = range.size();
            if sql_u64(idx)? != index {
                return Err(fail(
                    "leaf sequence",
                    Some(index),
                    format!("next stored leaf is {idx}"),
                ));
            }
            let event = envelope.map_err(|e| fail("canonical leaf", Some(index), e.to_string()))?;
            if event.prev_leaf != prev_leaf {
                return Err(fail(
                    "global chain",
                    Some(index),
                    "prev_leaf is not the previous leaf",
                ));
            }
            if event.received_ms < prev_ms {
                return Err(fail("received time", Some(index), "earlier than the previous entry"));
            }
            let head = heads.get_mut(event.tender.as_str());
            let want_seq = head.as_ref().map_or(0, |(s, _, _)| s + 1);
            if event.seq != want_seq {
                return Err(fail(
                    "tender chain",
                    Some(index),
                    format!(
                        "tender {:?}: seq {} where {} was due",
                        event.tender, event.seq, want_seq
                    ),
                ));
            }
            let link = event.prev_tender.map(|l| (l.index, l.leaf_hash));
            if link != head.as_ref().map(|(_, i, h)| (*i, *h)) {
                return Err(fail(
                    "tender chain",
                    Some(index),
                    format!("tender {:?}: prev_tender is not its previous event", event.tender),
                ));
            }
            match head {
                Some(h) => *h = (event.seq, index, lh),
                None => {
                    heads.insert(event.tender, (event.seq, index, lh));
                }
            }
            nodes.clear();
            range.push(lh, |level, i, h| nodes.push((level, i, *h)));
            for (level, i, h) in &nodes {
                tiles.check(*level, *i, h, index)?;
            }
            prev_leaf = Some(lh);
            prev_ms = event.received_ms;
            check_cp(&range, &mut next_cp)?;
        }
        progress(range.size(), total);
    }
    let _ = reader.join();
    if range.size() != total {
        return Err(fail(
            "leaf sequence",
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
            "leaf sequence",
            Some(total),
            "leaves stored beyond the latest checkpoint",
        ));
    }
    if next_cp != checkpoints.len() {
        let size = checkpoints[next_cp].0;
        return Err(fail(
            "checkpoint root",
            None,
            format!("checkpoint of size {size} is beyond the leaves"),
        ));
    }

    // Every checkpoint is consistent with the newest, by proofs over the tiles.
    let mut nodes_src = store.nodes();
    for (size, root, _) in &checkpoints {
        let proof = merkle::consistency_proof(&mut nodes_src, *size, total)?;
        merkle::verify_consistency(*size, total, &proof, root, &latest.checkpoint.root).map_err(
            |e| fail("checkpoint consistency", None, format!("size {size} to {total}: {e}")),
        )?;
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
                    "tile extent",
                    None,
                    format!("tile (level {level}, {tile}) holds {len} bytes, the tree has {want}"),
                ));
            }
        }
    }

    // Projections equal what the leaves imply, for the entries they cover.
    let scan = |ix: &Connection, sql: &str, cols: usize| -> Result<RowSet> {
        let mut set = RowSet::default();
        let mut st = ix.prepare(sql)?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let mut parts: Vec<Vec<u8>> = Vec::with_capacity(cols);
            for c in 0..cols {
                parts.push(match r.get_ref(c)? {
                    rusqlite::types::ValueRef::Integer(i) => (i as u64).to_be_bytes().to_vec(),
                    rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                        t.to_vec()
                    }
                    _ => Vec::new(),
                });
            }
            let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
            set.add(&refs);
        }
        Ok(set)
    };
    for (name, sql, cols, want) in [
        ("index leaf_hashes", "SELECT prefix, idx FROM leaf_hashes", 2, implied.hashes),
        ("index tender_events", "SELECT tender, seq, idx FROM tender_events", 3, implied.tenders),
        ("index contents", "SELECT prefix, idx FROM contents", 2, implied.contents),
        ("index documents", "SELECT prefix, idx FROM documents", 2, implied.docs),
    ] {
        let Some(ix) = store.ix.as_ref().filter(|_| scope == AuditScope::Full) else { break };
        let got = scan(ix, sql, cols)?;
        if got != want {
            return Err(fail(
                name,
                None,
                format!(
                    "{} rows stored, {} implied by the leaves, or rows differ",
                    got.count, want.count
                ),
            ));
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
        checkpoints: checkpoints.len() as u64,
        tenders: heads.len() as u64,
        root: range.root(),
    })
}
