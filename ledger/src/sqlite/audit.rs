//! The audit of a data directory's store: the checks of [`crate::audit`]
//! over the SQLite files, and what only a store has to check: no leaf,
//! checkpoint or tile row beyond the tree its newest checkpoint covers, and
//! the projection tables of `index.db` equal to what the leaves imply
//! (compared as multiset digests, so that no table is loaded into memory).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::OptionalExtension as _;
use verifier::Hash;
use verifier::check::CheckName;

use crate::audit::{AuditReport, AuditScope, Extents, INDEX_TABLES, RowSet, fail};
use crate::error::Result;
use crate::layout::{hash_from, sql_u64, tile_id};
use crate::storage::{LogReader, LogSource, TreeHead};
use crate::store::{Store, TILE_WIDTH};

/// Readers of the store in a data directory, each over its own connection.
#[derive(Debug)]
pub struct SqliteSource {
    dir: PathBuf,
}

impl SqliteSource {
    /// Readers of the store in `dir`.
    pub fn new(dir: &Path) -> SqliteSource {
        SqliteSource { dir: dir.to_owned() }
    }
}

impl LogSource for SqliteSource {
    type Reader = SqliteReader;

    fn reader(&self) -> Result<SqliteReader> {
        SqliteReader::open(Store::open(&self.dir)?)
    }
}

/// The SQLite connection of a data directory's store.
fn conn_of(store: &Store) -> Result<&rusqlite::Connection> {
    match store.reads().as_sqlite() {
        Some(r) => Ok(&r.conn),
        None => Err(crate::LedgerError::Corrupt("not a SQLite store".into())),
    }
}

/// A reader of the store, inside one read transaction for its whole life.
pub struct SqliteReader {
    store: Store,
}

impl std::fmt::Debug for SqliteReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SqliteReader({})", self.store.dir().display())
    }
}

impl SqliteReader {
    fn open(store: Store) -> Result<SqliteReader> {
        // The snapshot is taken by the first read, not by BEGIN: read now.
        conn_of(&store)?.execute_batch("BEGIN DEFERRED; SELECT 1 FROM meta LIMIT 1;")?;
        Ok(SqliteReader { store })
    }

    /// The store it reads.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

impl Drop for SqliteReader {
    fn drop(&mut self) {
        // A read transaction has nothing to keep.
        if let Ok(conn) = conn_of(&self.store) {
            let _ = conn.execute_batch("COMMIT");
        }
    }
}

impl LogReader for SqliteReader {
    fn latest(&mut self) -> Result<TreeHead> {
        let cp = self.store.latest_checkpoint()?.checkpoint;
        Ok(TreeHead { size: cp.size, root: cp.root })
    }

    fn leaves(
        &mut self,
        from: u64,
        to: u64,
        each: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
    ) -> Result<()> {
        let mut st = conn_of(&self.store)?.prepare_cached(
            "SELECT idx, leaf FROM leaves WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
        )?;
        let mut rows = st.query([from as i64, to as i64])?;
        while let Some(r) = rows.next()? {
            let idx: i64 = r.get(0)?;
            match r.get_ref(1)? {
                rusqlite::types::ValueRef::Blob(leaf) => each(sql_u64(idx)?, leaf)?,
                _ => {
                    return Err(fail(
                        CheckName::CanonicalLeaf,
                        u64::try_from(idx).ok(),
                        "stored leaf is not a byte string",
                    ));
                }
            }
        }
        Ok(())
    }

    fn keeps_level(&self, _level: u32) -> bool {
        true
    }

    fn signed_ms(&mut self, size: u64) -> Result<Option<u64>> {
        let v: Option<i64> = conn_of(&self.store)?
            .prepare_cached("SELECT signed_ms FROM checkpoints WHERE size = ?1")?
            .query_row([size as i64], |r| r.get(0))
            .optional()?;
        v.map(sql_u64).transpose()
    }

    fn tile(&mut self, level: u32, tile: u64) -> Result<Option<Vec<u8>>> {
        // Read as a raw value: a row of the wrong type is a finding, not an
        // I/O error.
        let row: Option<rusqlite::types::Value> = conn_of(&self.store)?
            .prepare_cached("SELECT hashes FROM tiles WHERE id = ?1")?
            .query_row([tile_id(level, tile * TILE_WIDTH)], |r| r.get(0))
            .optional()?;
        match row {
            None => Ok(None),
            Some(rusqlite::types::Value::Blob(b)) => Ok(Some(b)),
            Some(_) => Err(fail(
                CheckName::TreeNode,
                None,
                format!("tile row for level {level}, tile {tile} is not a byte string"),
            )),
        }
    }

    fn checkpoints(
        &mut self,
        from: u64,
        to: u64,
        each: &mut dyn FnMut(u64, Hash, &str) -> Result<()>,
    ) -> Result<()> {
        let mut st = conn_of(&self.store)?.prepare_cached(
            "SELECT size, root, note FROM checkpoints WHERE size >= ?1 AND size <= ?2 ORDER BY size",
        )?;
        let mut rows = st.query([from as i64, to as i64])?;
        while let Some(r) = rows.next()? {
            let size = sql_u64(r.get(0)?)?;
            let root = hash_from(&r.get::<_, Vec<u8>>(1)?, "checkpoint root")?;
            let note: String = r.get(2)?;
            each(size, root, &note)?;
        }
        Ok(())
    }

    fn consistency_proof(&mut self, size: u64, total: u64) -> Result<Option<Vec<Hash>>> {
        Ok(Some(verifier::merkle::consistency_proof(&mut self.store.nodes(), size, total)?))
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
    let source = SqliteSource::new(dir);
    // One read transaction on each file: a writer appending meanwhile is not
    // seen. The index snapshot is taken first, so it covers no more than the
    // log snapshot taken after it.
    let ix = match scope {
        AuditScope::Full => crate::sqlite::indexer::open_for_reading(dir)?,
        AuditScope::Integrity => None,
    };
    if let Some(ix) = &ix {
        ix.execute_batch("BEGIN DEFERRED")?;
    }
    let indexed = match &ix {
        Some(ix) => crate::sqlite::indexer::indexed_upto(ix)?,
        None => 0,
    };
    let mut main = source.reader()?;
    let vkey = main.store.log_keys().clone();
    let stored_checkpoints: i64 =
        conn_of(&main.store)?.query_row("SELECT COUNT(*) FROM checkpoints", [], |r| r.get(0))?;

    let scan = |stop: &AtomicBool| scan_index(dir, indexed, stop);
    let report = crate::audit::audit_store(
        &source,
        &mut main,
        &vkey,
        scope,
        indexed,
        ix.as_ref().map(|_| &scan as crate::audit::IndexScan<'_>),
        &mut |main, pass| {
            let total = pass.head.size;
            crate::audit::check_extents(&extents(main, total, stored_checkpoints)?, total, pass)?;
            // Each key rotation handed over the tree the log holds at its size
            // (its signatures were checked when the history was read).
            for r in vkey.rotations() {
                let size = r.checkpoint.size;
                if size > total || main.store.root_at(size)? != r.checkpoint.root {
                    return Err(fail(
                        CheckName::KeyHistory,
                        None,
                        format!(
                            "the key rotation at size {size} names a tree this log does not hold"
                        ),
                    ));
                }
            }
            Ok(())
        },
        progress,
    )?;
    drop(main);
    if let Some(ix) = &ix {
        ix.execute_batch("COMMIT")?;
    }
    Ok(report)
}

/// What the store holds beyond the tree of `total` entries.
fn extents(main: &SqliteReader, total: u64, checkpoints: i64) -> Result<Extents> {
    let conn = conn_of(&main.store)?;
    let leaves_beyond =
        conn.query_row("SELECT COUNT(*) FROM leaves WHERE idx >= ?1", [total as i64], |r| {
            r.get(0)
        })?;
    let mut st = conn.prepare("SELECT id, length(hashes) FROM tiles")?;
    let tiles = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<(i64, i64)>>>()?;
    Ok(Extents { leaves_beyond, checkpoints, tiles })
}

/// Sums the rows of each projection table for entries `[0, indexed)`, over a
/// connection of its own (so it runs beside the pass). Its snapshot may be
/// newer than the audit's: the indexer only ever adds rows, for entries it
/// had not covered, so rows of entries below `indexed` are the same in both,
/// rows of entries it covers since are left to the next audit, and a row of
/// an entry beyond what its own snapshot covers is a finding.
fn scan_index(dir: &Path, indexed: u64, stop: &AtomicBool) -> Result<[RowSet; 4]> {
    let Some(ix) = crate::sqlite::indexer::open_for_reading(dir)? else {
        return Err(fail(
            CheckName::IndexExtent,
            None,
            "index.db disappeared during the audit; run it again",
        ));
    };
    ix.execute_batch("BEGIN DEFERRED")?;
    let covers = crate::sqlite::indexer::indexed_upto(&ix)?;
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
    for ((check, table, columns), set) in INDEX_TABLES.iter().zip(sets.iter_mut()) {
        let mut st = ix.prepare(&format!("SELECT {} FROM {table}", columns.join(", ")))?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            if stop.load(Ordering::Relaxed) {
                return Ok([RowSet::default(); 4]);
            }
            let cols = columns.len();
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
                    *check,
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use verifier::event::{Body, Content, Document, DocumentType};

    use super::*;
    use crate::audit::{Implied, check_leaf};

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
                let facts = check_leaf(idx, &leaf, AuditScope::Full, n, &mut tenders, &mut implied);
                assert!(facts.chain.is_ok());
            }
            [implied.hashes, implied.tenders, implied.contents, implied.docs]
        };
        assert_eq!(scan_index(dir.path(), 90, &stop).unwrap(), implied(90));
        assert_eq!(scan_index(dir.path(), 100, &stop).unwrap(), implied(100));
        assert_ne!(implied(90), implied(100));

        // A row for an entry the index does not cover is a finding.
        let ix =
            rusqlite::Connection::open(crate::sqlite::indexer::index_path(dir.path())).unwrap();
        let covers = crate::sqlite::indexer::indexed_upto(&ix).unwrap();
        ix.execute("INSERT INTO documents (prefix, idx) VALUES (1, ?1)", [covers as i64 + 5])
            .unwrap();
        drop(ix);
        let e = scan_index(dir.path(), 90, &stop).unwrap_err().to_string();
        assert!(e.contains("index documents") && e.contains("beyond"), "{e}");
    }
}
