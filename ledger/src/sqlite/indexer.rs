//! The SQLite lookup tables: `index.db`, a database file of its own with
//! its own WAL, written by the [index follower](crate::indexer) with
//! `synchronous=NORMAL` (a crash may lose its last chunks, never corrupt
//! it). Deleting `index.db` makes the next writer rebuild it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension as _, params};

use crate::error::{LedgerError, Result};
use crate::indexer::{IndexRow, IndexWriter, TableKeys, check_contiguous};

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

/// Writes the rows of entries `[from, from + rows.len())` and moves
/// `indexed_upto` past them, in one transaction. Rows must be in index order.
pub(crate) fn write_rows(ix: &mut Connection, from: u64, rows: &[IndexRow]) -> Result<()> {
    let tx = ix.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    if indexed_upto(&tx)? != from {
        return Err(LedgerError::Corrupt("index.db moved under the indexer".into()));
    }
    check_contiguous(from, rows)?;
    let keys = TableKeys::of(rows);
    let keyed = |table: &str, keys: &[(i64, i64)]| -> Result<()> {
        let mut ins =
            tx.prepare_cached(&format!("INSERT INTO {table} (prefix, idx) VALUES (?1, ?2)"))?;
        for (p, i) in keys {
            ins.execute(params![p, i])?;
        }
        Ok(())
    };
    keyed("leaf_hashes", &keys.leaf_hashes)?;
    keyed("contents", &keys.contents)?;
    keyed("documents", &keys.documents)?;
    {
        let mut ins =
            tx.prepare_cached("INSERT INTO tender_events (tender, seq, idx) VALUES (?1, ?2, ?3)")?;
        for (t, seq, i) in &keys.tender_events {
            ins.execute(params![t, seq, i])?;
        }
    }
    let to = from + rows.len() as u64;
    tx.execute("UPDATE meta SET value = ?1 WHERE key = 'indexed_upto'", [to.to_string()])?;
    tx.commit()?;
    Ok(())
}

/// `index.db`, opened for writing.
pub(crate) struct SqliteIndex(pub(crate) Connection);

impl IndexWriter for SqliteIndex {
    fn indexed_upto(&mut self) -> Result<u64> {
        indexed_upto(&self.0)
    }

    fn write_rows(&mut self, from: u64, rows: &[IndexRow]) -> Result<()> {
        write_rows(&mut self.0, from, rows)
    }
}
