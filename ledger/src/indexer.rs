//! The index follower: derives the lookup tables from the leaves, off the
//! commit path, into tables of their own (SQLite: `index.db`, a file of
//! its own; PostgreSQL: tables beside the log's).
//!
//! Why a follower. The lookup tables key on hashes, so every batch would touch
//! pages all over their B-trees; written in the commit transaction they cost
//! several times the leaves' own bytes and grow with the log (at 1 M entries
//! ingest fell to a seventh of a bare insert). Written here, in large chunks,
//! by a second thread, they neither slow nor block the sequencer.
//!
//! Why it is safe. The tables are projections: they hold entries
//! `[0, indexed_upto)` and record `indexed_upto` in the same transaction, so
//! they are always a consistent prefix. A crash may lose their last chunks,
//! never corrupt them, and the writer re-indexes from `indexed_upto` on open
//! ([`catch_up`]). Entries beyond `indexed_upto` are found by the sequencer
//! in memory and by readers by scanning that (short) tail.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use verifier::event::Event;
use verifier::{Hash, leaf_hash};

use crate::error::{LedgerError, Result};
use crate::store::{Store, prefix};

/// Most entries indexed per transaction.
pub(crate) const CHUNK: u64 = 32_768;
/// How long the follower waits to fill a chunk; also the usual index lag.
const GATHER: Duration = Duration::from_millis(250);

/// Where a backend keeps the lookup tables.
pub(crate) trait IndexWriter: Send {
    /// Entries `[0, n)` are indexed.
    fn indexed_upto(&mut self) -> Result<u64>;
    /// Writes the rows of entries `[from, from + rows.len())` and moves
    /// `indexed_upto` past them, in one transaction; refuses when
    /// `indexed_upto` is not `from`. Rows are in index order.
    fn write_rows(&mut self, from: u64, rows: &[IndexRow]) -> Result<()>;
}

/// Checks that `rows` are entries `from, from + 1, …`.
pub(crate) fn check_contiguous(from: u64, rows: &[IndexRow]) -> Result<()> {
    for (k, r) in rows.iter().enumerate() {
        if r.idx != from + k as u64 {
            return Err(LedgerError::Corrupt(format!("index rows skip entry {}", from + k as u64)));
        }
    }
    Ok(())
}

/// What one entry contributes to the lookup tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IndexRow {
    /// The entry's index.
    pub idx: u64,
    /// [`prefix`] of its leaf hash.
    pub leaf: i64,
    /// [`prefix`] of its content digest.
    pub content: i64,
    /// [`prefix`] of the logged document's SHA-256, for document events.
    pub document: Option<i64>,
    /// Its tender and sequence number there.
    pub tender: String,
    /// Its sequence number within the tender.
    pub seq: u64,
}

impl IndexRow {
    /// The row of an event, given its leaf hash.
    pub(crate) fn of(idx: u64, leaf_hash: &Hash, event: &Event) -> Result<IndexRow> {
        Ok(IndexRow {
            idx,
            leaf: prefix(leaf_hash),
            content: prefix(&event.content_digest()?),
            document: event.body.document().map(|d| prefix(&d.sha256)),
            tender: event.tender.clone(),
            seq: event.seq,
        })
    }
}

/// A chunk's rows as each lookup table takes them: `(key, idx)` pairs in
/// key order, so that every B-tree page is visited once, in order, instead
/// of at random (on PostgreSQL the follower's inserts took a third less
/// time in `bench pg`: neighbouring keys share pages still in cache).
pub(crate) struct TableKeys<'a> {
    /// `leaf_hashes`: leaf-hash prefix, entry.
    pub leaf_hashes: Vec<(i64, i64)>,
    /// `contents`: content-digest prefix, entry.
    pub contents: Vec<(i64, i64)>,
    /// `documents`: document-digest prefix, entry (document events only).
    pub documents: Vec<(i64, i64)>,
    /// `tender_events`: tender, sequence number, entry.
    pub tender_events: Vec<(&'a str, i64, i64)>,
}

impl<'a> TableKeys<'a> {
    /// The keys of `rows`, each table's sorted.
    pub(crate) fn of(rows: &'a [IndexRow]) -> TableKeys<'a> {
        let sorted = |mut keys: Vec<(i64, i64)>| {
            keys.sort_unstable();
            keys
        };
        let mut tender_events: Vec<(&str, i64, i64)> =
            rows.iter().map(|r| (r.tender.as_str(), r.seq as i64, r.idx as i64)).collect();
        tender_events.sort_unstable();
        TableKeys {
            leaf_hashes: sorted(rows.iter().map(|r| (r.leaf, r.idx as i64)).collect()),
            contents: sorted(rows.iter().map(|r| (r.content, r.idx as i64)).collect()),
            documents: sorted(
                rows.iter().filter_map(|r| Some((r.document?, r.idx as i64))).collect(),
            ),
            tender_events,
        }
    }
}

/// Indexes entries `[from, to)` from the leaves `store` holds.
fn index_range(store: &Store, ix: &mut dyn IndexWriter, from: u64, to: u64) -> Result<()> {
    let mut rows = Vec::with_capacity((to - from) as usize);
    store.reads().leaves(from, to, &mut |idx, leaf| {
        let event =
            Event::decode(leaf).map_err(|e| LedgerError::Corrupt(format!("leaf {idx}: {e}")))?;
        rows.push(IndexRow::of(idx, &leaf_hash(leaf), &event)?);
        Ok(())
    })?;
    if rows.len() as u64 != to - from {
        return Err(LedgerError::Corrupt(format!("leaves {from}..{to} are not all stored")));
    }
    ix.write_rows(from, &rows)
}

/// Brings the lookup tables up to `size`, in chunks, on this thread.
pub(crate) fn catch_up(store: &Store, ix: &mut dyn IndexWriter, size: u64) -> Result<()> {
    let mut upto = ix.indexed_upto()?;
    if upto > size {
        return Err(LedgerError::Corrupt(format!(
            "the lookup tables cover {upto} entries, the log has {size}\nhint: delete index.db \
             (or, on PostgreSQL, empty the index tables) and they will be rebuilt"
        )));
    }
    while upto < size {
        let to = (upto + CHUNK).min(size);
        index_range(store, ix, upto, to)?;
        upto = to;
    }
    Ok(())
}

/// The follower thread: takes the index rows of each committed batch from
/// the sequencer and writes them in chunks of up to [`CHUNK`] entries.
pub(crate) struct Follower {
    /// Entries indexed and visible in the lookup tables.
    pub indexed: Arc<AtomicU64>,
    /// The follower's last error, while it is failing.
    pub error: Arc<Mutex<Option<String>>>,
    rows: Sender<Vec<IndexRow>>,
    thread: std::thread::JoinHandle<()>,
}

impl Follower {
    /// Starts following from `size`, which `ix` must already cover.
    pub(crate) fn spawn(ix: Box<dyn IndexWriter>, size: u64) -> Result<Follower> {
        let indexed = Arc::new(AtomicU64::new(size));
        let error = Arc::new(Mutex::new(None));
        let (rows, rx) = channel::<Vec<IndexRow>>();
        let (i, e) = (indexed.clone(), error.clone());
        let thread = std::thread::Builder::new()
            .name("index-follower".into())
            .spawn(move || follow(ix, size, rx, i, e))
            .map_err(|source| LedgerError::Io {
                action: "start the index thread",
                path: "index-follower".into(),
                source,
            })?;
        Ok(Follower { indexed, error, rows, thread })
    }

    /// Hands over the rows of a committed batch, in index order.
    pub(crate) fn send(&self, rows: Vec<IndexRow>) {
        // A dead follower shows as a stall, which `Ledger::append` reports.
        let _ = self.rows.send(rows);
    }

    /// Writes what was handed over, then stops.
    pub(crate) fn stop(self) {
        drop(self.rows);
        let _ = self.thread.join();
    }
}

fn follow(
    mut ix: Box<dyn IndexWriter>,
    mut upto: u64,
    rx: Receiver<Vec<IndexRow>>,
    indexed: Arc<AtomicU64>,
    error: Arc<Mutex<Option<String>>>,
) {
    let mut buf: Vec<IndexRow> = Vec::new();
    let mut open = true;
    while open || !buf.is_empty() {
        if buf.is_empty() {
            match rx.recv() {
                Ok(rows) => buf = rows,
                Err(_) => open = false,
            }
        }
        // Gather up to a chunk, waiting at most `GATHER` for more: larger
        // chunks touch each index page fewer times.
        let deadline = Instant::now() + GATHER;
        while open && (buf.len() as u64) < CHUNK {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(rows) => buf.extend(rows),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => open = false,
            }
        }
        if buf.is_empty() {
            continue;
        }
        match ix.write_rows(upto, &buf) {
            Ok(()) => {
                upto += buf.len() as u64;
                buf.clear();
                indexed.store(upto, Ordering::SeqCst);
                if let Ok(mut e) = error.lock() {
                    *e = None;
                }
            }
            Err(e) => {
                // Keep the rows and try again; the sequencer waits if we lag.
                if let Ok(mut slot) = error.lock() {
                    *slot = Some(e.to_string());
                }
                if !open {
                    return; // closing: the next open re-indexes from the leaves
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}
