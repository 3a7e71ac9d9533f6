//! The SQLite backend: [`SqliteLog`], the [`LogWriter`] over
//! `tenderlog.db`, the making of a new store, and the audit of a store
//! ([`audit`]).
//!
//! A commit is one `IMMEDIATE` transaction: the tree head is compared with
//! the one expected, then the leaves, the changed tile rows and the
//! checkpoint row are written, and the commit returns once the WAL is
//! fsynced (`synchronous=FULL`). The `checkpoints` table's primary key
//! refuses a second row for a size.

pub mod audit;
pub(crate) mod backup;
pub mod cosigned;
pub mod indexer;
pub mod migrate;
pub mod reads;
pub mod stamps;
pub mod tokens;
pub mod witness;

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};
use verifier::{EMPTY_ROOT, Hash};

use crate::error::{LedgerError, Result};
use crate::layout::{hash_from, sql_u64};
use crate::sqlite::reads::{SCHEMA, SCHEMA_VERSION};
use crate::storage::{Batch, LogWriter, TreeHead};
use crate::store;

impl From<rusqlite::Error> for LedgerError {
    /// SQLite's errors reach callers as the opaque [`LedgerError::Storage`],
    /// except a full disk, which the operator must hear about as such.
    fn from(e: rusqlite::Error) -> LedgerError {
        match &e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DiskFull => {
                LedgerError::DiskFull
            }
            _ => LedgerError::Storage(crate::error::StorageError::new(e)),
        }
    }
}

/// Opens (creating it if need be) one of a data directory's side files —
/// `timestamps.db`, `cosigned.db` — with its tables (`schema`, idempotent)
/// and a `meta` table holding its format version; a file of another
/// version is refused, naming it.
pub(crate) fn open_side_file(
    path: &Path,
    schema: &str,
    version: u32,
    refuse: impl FnOnce(String) -> LedgerError,
) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;",
    )?;
    conn.execute_batch(schema)?;
    conn.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?1)",
        [version.to_string()],
    )?;
    let v: String =
        conn.query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0))?;
    if v != version.to_string() {
        return Err(refuse(format!(
            "{} has format version {v}; this build reads version {version}",
            path.display()
        )));
    }
    Ok(conn)
}

/// Records a key rotation in one transaction: the key that signs from now
/// (`vkey`) and the key history that leads to it. The caller holds the
/// writer lock.
pub(crate) fn record_rotation(dir: &Path, vkey: &str, history: &str) -> Result<()> {
    let mut conn = reads::connect(dir, false)?;
    let tx = conn.transaction()?;
    tx.execute("UPDATE meta SET value = ?1 WHERE key = 'vkey'", params![vkey])?;
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('key_history', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![history],
    )?;
    tx.commit()?;
    Ok(())
}

/// Builds the database of a new store in `dir` under a temporary name,
/// with the empty tree's signed checkpoint, and renames it into place: a
/// crash during `init` never leaves a half-made store that `open` would
/// accept. (`init` makes the keys and calls this; the PostgreSQL
/// counterpart is `postgres::create`.)
pub fn create(
    dir: &Path,
    origin: &str,
    vkey: &str,
    post_quantum_vkey: Option<&str>,
    empty_note: &str,
    now_ms: u64,
) -> Result<()> {
    let db = store::db_path(dir);
    let tmp = dir.join("tenderlog.db.init");
    let _ = std::fs::remove_file(&tmp);
    {
        let mut conn = Connection::open(&tmp)?;
        // 16 KiB pages hold fourteen ~1 KiB leaves where 4 KiB pages hold three
        // and waste a quarter: fewer bytes through the WAL and the checkpoint.
        conn.pragma_update(None, "page_size", 16_384)?;
        conn.pragma_update(None, "journal_mode", "DELETE")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        let tx = conn.transaction()?;
        tx.execute_batch(SCHEMA)?;
        for (k, v) in [
            ("schema_version", SCHEMA_VERSION.to_string()),
            ("origin", origin.to_owned()),
            ("vkey", vkey.to_owned()),
            ("created_ms", now_ms.to_string()),
        ] {
            tx.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", params![k, v])?;
        }
        if let Some(v) = post_quantum_vkey {
            tx.execute("INSERT INTO meta (key, value) VALUES ('mldsa44_vkey', ?1)", params![v])?;
        }
        tx.execute(
            "INSERT INTO checkpoints (size, root, note, signed_ms) VALUES (0, ?1, ?2, ?3)",
            params![&EMPTY_ROOT.0[..], empty_note, now_ms as i64],
        )?;
        tx.commit()?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
    }
    let io = |action, path: &Path| {
        let path = path.to_owned();
        move |source| LedgerError::Io { action, path, source }
    };
    File::open(&tmp).and_then(|f| f.sync_all()).map_err(io("sync", &tmp))?;
    std::fs::rename(&tmp, &db).map_err(io("rename", &db))?;
    Ok(())
}

/// The SQLite [`LogWriter`]: the writer's connection to `tenderlog.db` and
/// the thread that copies its WAL into the database file.
pub struct SqliteLog {
    conn: Connection,
    checkpointer: Option<Checkpointer>,
    dir: PathBuf,
}

impl std::fmt::Debug for SqliteLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SqliteLog({})", self.dir.display())
    }
}

impl SqliteLog {
    /// Opens the store of `dir` for committing (the caller holds the
    /// writer lock).
    pub fn open(dir: &Path) -> Result<SqliteLog> {
        let conn = reads::connect(dir, false)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // WAL checkpoints (copying committed pages into the main file) run on
        // their own thread, off the commit path; see `Checkpointer`.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        Ok(SqliteLog { conn, checkpointer: Some(Checkpointer::spawn(dir)?), dir: dir.to_owned() })
    }
}

fn head_of(conn: &Connection) -> Result<TreeHead> {
    let (size, root): (i64, Vec<u8>) = conn
        .prepare_cached("SELECT size, root FROM checkpoints ORDER BY size DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| LedgerError::Corrupt("no checkpoint".into()))?;
    Ok(TreeHead { size: sql_u64(size)?, root: hash_from(&root, "checkpoint root")? })
}

impl LogWriter for SqliteLog {
    fn head(&mut self) -> Result<TreeHead> {
        head_of(&self.conn)
    }

    fn commit(&mut self, expected: &TreeHead, batch: &Batch<'_>) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // The compare-and-swap: inside the write lock, so no other commit
        // can come between the comparison and ours.
        let stored = head_of(&tx)?;
        if stored != *expected || batch.head.size <= stored.size {
            return Err(LedgerError::HeadMoved { expected: expected.size, found: stored.size });
        }
        {
            let mut ins = tx.prepare_cached("INSERT INTO leaves (idx, leaf) VALUES (?1, ?2)")?;
            for (index, leaf) in batch.leaves {
                ins.execute(params![*index as i64, leaf])?;
            }
        }
        write_tiles(&tx, batch.nodes)?;
        // A plain INSERT: the primary key refuses a second root for a size.
        tx.execute(
            "INSERT INTO checkpoints (size, root, note, signed_ms) VALUES (?1, ?2, ?3, ?4)",
            params![
                batch.head.size as i64,
                &batch.head.root.0[..],
                batch.note,
                batch.signed_ms as i64
            ],
        )?;
        tx.commit()?;
        if let Some(c) = &self.checkpointer {
            c.nudge();
        }
        Ok(())
    }

    fn touch(&mut self, size: u64, signed_ms: u64) -> Result<()> {
        self.conn.execute(
            "UPDATE checkpoints SET signed_ms = ?2 WHERE size = ?1",
            params![size as i64, signed_ms as i64],
        )?;
        Ok(())
    }
}

impl Drop for SqliteLog {
    fn drop(&mut self) {
        if let Some(c) = self.checkpointer.take() {
            c.stop();
        }
    }
}

/// WAL length (16 KiB frames, so 64 MiB) beyond which the checkpointer rewinds the WAL.
const WAL_RESTART_FRAMES: i64 = 4_096;

/// Copies committed WAL frames into the database file on a second thread.
///
/// Durability does not depend on it: a commit is durable once its WAL frames
/// are fsynced. It keeps the WAL from growing without bound and takes the
/// page copying (about a fifth of ingest time) off the sequencer.
struct Checkpointer {
    nudge: std::sync::mpsc::SyncSender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Checkpointer {
    fn spawn(dir: &Path) -> Result<Checkpointer> {
        let conn = reads::connect(dir, false)?;
        // It only copies pages; a page cache would just hold memory.
        conn.pragma_update(None, "cache_size", -256)?;
        let (nudge, rx) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || {
                while rx.recv().is_ok() {
                    // PASSIVE never blocks the writer; failures are retried
                    // at the next nudge, and WAL frames stay durable meanwhile.
                    let frames = conn
                        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1))
                        .unwrap_or(0);
                    // Under steady load the WAL is never wholly copied at the
                    // moment a batch starts, so it would never rewind: past
                    // the limit, RESTART briefly holds the next batch until the
                    // few frames left are copied, and the WAL starts over.
                    if frames > WAL_RESTART_FRAMES {
                        let _ = conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()));
                    }
                }
                let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            })
            .map_err(|source| LedgerError::Io {
                action: "start checkpoint thread for",
                path: store::db_path(dir),
                source,
            })?;
        Ok(Checkpointer { nudge, thread })
    }

    fn nudge(&self) {
        let _ = self.nudge.try_send(());
    }

    fn stop(self) {
        drop(self.nudge);
        let _ = self.thread.join();
    }
}

/// Appends new complete-subtree hashes to their tile rows (see
/// [`crate::layout::extend_rows`]).
fn write_tiles(conn: &Connection, nodes: &[(u32, u64, Hash)]) -> Result<()> {
    let mut rows = HashMap::new();
    let mut get = conn.prepare_cached("SELECT hashes FROM tiles WHERE id = ?1")?;
    for id in crate::layout::continued_rows(nodes) {
        let row: Option<Vec<u8>> = get.query_row([id], |r| r.get(0)).optional()?;
        rows.insert(id, row.unwrap_or_default());
    }
    let rows = crate::layout::extend_rows(rows, nodes)?;
    let mut put =
        conn.prepare_cached("INSERT OR REPLACE INTO tiles (id, hashes) VALUES (?1, ?2)")?;
    for (id, row) in rows {
        put.execute(params![id, row])?;
    }
    Ok(())
}

#[cfg(test)]
mod error_tests {
    use super::*;

    /// A full disk reaches the operator as such, with its hint; other SQLite
    /// errors stay opaque.
    #[test]
    fn a_full_disk_is_named() {
        let full = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            Some("database or disk is full".into()),
        );
        let e = LedgerError::from(full);
        assert!(matches!(e, LedgerError::DiskFull), "{e}");
        assert!(e.to_string().contains("hint: free space"), "{e}");
        assert!(!e.is_fatal(), "a full disk is waited out, not fatal");
        let busy = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        );
        assert!(matches!(LedgerError::from(busy), LedgerError::Storage(_)));
    }
}
