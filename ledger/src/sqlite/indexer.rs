//! The index follower: derives the lookup tables from the leaves, off the
//! commit path, into a database file of its own (`index.db`).
//!
//! Why a follower. The lookup tables key on hashes, so every batch would touch
//! pages all over their B-trees; written in the commit transaction they cost
//! several times the leaves' own bytes and grow with the log (at 1 M entries
//! ingest fell to a seventh of a bare insert). Written here, in large chunks,
//! by a second thread into a second file with its own WAL, they neither slow
//! nor block the sequencer.
//!
//! Why it is safe. The tables are projections: `index.db` holds them for
//! entries `[0, indexed_upto)` and records `indexed_upto` in the same
//! transaction, so it is always a consistent prefix. It is written with
//! `synchronous=NORMAL`: a crash may lose its last chunks, never corrupt it,
//! and the writer re-indexes from `indexed_upto` on open. Deleting `index.db`
//! makes the next writer rebuild it. Entries beyond `indexed_upto` are found
//! by the sequencer in memory and by readers by scanning that (short) tail.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension as _, params};
use verifier::event::Event;
use verifier::{Hash, leaf_hash};

use crate::error::{LedgerError, Result};
use crate::store::{prefix, sql_u64};

/// Most entries indexed per transaction.
pub(crate) const CHUNK: u64 = 32_768;
/// How long the follower waits to fill a chunk; also the usual index lag.
const GATHER: Duration = Duration::from_millis(250);

/// The index file inside a data directory.
pub fn index_path(dir: &Path) -> PathBuf {
    dir.join("index.db")
}

const INDEX_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leaf_hashes (prefix INTEGER NOT NULL, idx INTEGER NOT NULL,
                                        PRIMARY KEY (prefix, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS contents (prefix INTEGER NOT NULL, idx INTEGER NOT NULL,
                                     PRIMARY KEY (prefix, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS documents (prefix INTEGER NOT NULL, idx INTEGER NOT NULL,
                                      PRIMARY KEY (prefix, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tender_events (tender TEXT NOT NULL, seq INTEGER NOT NULL,
                                          idx INTEGER NOT NULL,
                                          PRIMARY KEY (tender, seq)) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (key, value) VALUES ('index_version', '1'), ('indexed_upto', '0');
";

/// Opens (creating if needed) the index database for writing.
pub(crate) fn open_for_writing(dir: &Path) -> Result<Connection> {
    let conn = Connection::open(index_path(dir))?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "cache_size", -24_576)?; // 24 MiB: the B-trees' upper levels stay hot
    conn.execute_batch(INDEX_SCHEMA)?;
    let v: String =
        conn.query_row("SELECT value FROM meta WHERE key = 'index_version'", [], |r| r.get(0))?;
    if v != "1" {
        return Err(LedgerError::StoreVersion { found: format!("index {v}"), supported: 1 });
    }
    Ok(conn)
}

/// Opens the index database for reading, if there is one.
pub(crate) fn open_for_reading(dir: &Path) -> Result<Option<Connection>> {
    let path = index_path(dir);
    if !path.is_file() {
        return Ok(None);
    }
    let conn = Connection::open_with_flags(
        &path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    Ok(Some(conn))
}

/// Entries `[0, n)` are indexed.
pub(crate) fn indexed_upto(ix: &Connection) -> Result<u64> {
    let v: Option<String> = ix
        .query_row("SELECT value FROM meta WHERE key = 'indexed_upto'", [], |r| r.get(0))
        .optional()?;
    match v {
        None => Ok(0),
        Some(v) => {
            v.parse().map_err(|_| LedgerError::Corrupt(format!("index.db: indexed_upto is {v:?}")))
        }
    }
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

/// Writes the rows of entries `[from, from + rows.len())` and moves
/// `indexed_upto` past them, in one transaction. Rows must be in index order.
pub(crate) fn write_rows(ix: &mut Connection, from: u64, rows: &[IndexRow]) -> Result<()> {
    let tx = ix.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    if indexed_upto(&tx)? != from {
        return Err(LedgerError::Corrupt("index.db moved under the indexer".into()));
    }
    for (k, r) in rows.iter().enumerate() {
        if r.idx != from + k as u64 {
            return Err(LedgerError::Corrupt(format!("index rows skip entry {}", from + k as u64)));
        }
    }
    // Insert each table in key order: every B-tree page is then visited once,
    // in order, instead of at random.
    let keyed = |table: &str, mut keys: Vec<(i64, i64)>| -> Result<()> {
        keys.sort_unstable();
        let mut ins =
            tx.prepare_cached(&format!("INSERT INTO {table} (prefix, idx) VALUES (?1, ?2)"))?;
        for (p, i) in keys {
            ins.execute(params![p, i])?;
        }
        Ok(())
    };
    keyed("leaf_hashes", rows.iter().map(|r| (r.leaf, r.idx as i64)).collect())?;
    keyed("contents", rows.iter().map(|r| (r.content, r.idx as i64)).collect())?;
    keyed("documents", rows.iter().filter_map(|r| Some((r.document?, r.idx as i64))).collect())?;
    let mut tenders: Vec<(&str, u64, u64)> =
        rows.iter().map(|r| (r.tender.as_str(), r.seq, r.idx)).collect();
    tenders.sort_unstable();
    {
        let mut ins =
            tx.prepare_cached("INSERT INTO tender_events (tender, seq, idx) VALUES (?1, ?2, ?3)")?;
        for (t, seq, i) in tenders {
            ins.execute(params![t, seq as i64, i as i64])?;
        }
    }
    let to = from + rows.len() as u64;
    tx.execute("UPDATE meta SET value = ?1 WHERE key = 'indexed_upto'", [to.to_string()])?;
    tx.commit()?;
    Ok(())
}

/// Indexes entries `[from, to)` from the leaves stored in `main`.
fn index_range(main: &Connection, ix: &mut Connection, from: u64, to: u64) -> Result<()> {
    let mut rows = Vec::with_capacity((to - from) as usize);
    let mut st = main
        .prepare_cached("SELECT idx, leaf FROM leaves WHERE idx >= ?1 AND idx < ?2 ORDER BY idx")?;
    let mut q = st.query(params![from as i64, to as i64])?;
    while let Some(r) = q.next()? {
        let idx = sql_u64(r.get(0)?)?;
        let leaf = r.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
        let event =
            Event::decode(leaf).map_err(|e| LedgerError::Corrupt(format!("leaf {idx}: {e}")))?;
        rows.push(IndexRow::of(idx, &leaf_hash(leaf), &event)?);
    }
    if rows.len() as u64 != to - from {
        return Err(LedgerError::Corrupt(format!("leaves {from}..{to} are not all stored")));
    }
    write_rows(ix, from, &rows)
}

/// Brings the index of `dir` up to `size`, in chunks, on this thread.
pub(crate) fn catch_up(main: &Connection, ix: &mut Connection, size: u64) -> Result<()> {
    let mut upto = indexed_upto(ix)?;
    if upto > size {
        return Err(LedgerError::Corrupt(format!(
            "index.db covers {upto} entries, the log has {size}\nhint: delete {} and it will be rebuilt",
            "index.db"
        )));
    }
    while upto < size {
        let to = (upto + CHUNK).min(size);
        index_range(main, ix, upto, to)?;
        upto = to;
    }
    Ok(())
}

/// The follower thread: takes the index rows of each committed batch from
/// the sequencer and writes them in chunks of up to [`CHUNK`] entries.
pub(crate) struct Follower {
    /// Entries indexed and visible in `index.db`.
    pub indexed: Arc<AtomicU64>,
    /// The follower's last error, while it is failing.
    pub error: Arc<Mutex<Option<String>>>,
    rows: Sender<Vec<IndexRow>>,
    thread: std::thread::JoinHandle<()>,
}

impl Follower {
    /// Starts following from `size`, which `index.db` must already cover.
    pub(crate) fn spawn(dir: &Path, size: u64) -> Result<Follower> {
        let ix = open_for_writing(dir)?;
        let indexed = Arc::new(AtomicU64::new(size));
        let error = Arc::new(Mutex::new(None));
        let (rows, rx) = channel::<Vec<IndexRow>>();
        let (i, e) = (indexed.clone(), error.clone());
        let thread = std::thread::Builder::new()
            .name("index-follower".into())
            .spawn(move || follow(ix, size, rx, i, e))
            .map_err(|source| LedgerError::Io {
                action: "start the index thread for",
                path: index_path(dir),
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
    mut ix: Connection,
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
        match write_rows(&mut ix, upto, &buf) {
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
