//! A data directory's SQLite store as the destination of `tenderlog
//! migrate` (see [`crate::migrate`]), and the source's identity rows.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};
use verifier::Hash;

use crate::error::{LedgerError, Result};
use crate::layout::{hash_from, sql_u64, tile_id};
use crate::meta::Meta;
use crate::migrate::Destination;
use crate::sqlite::reads::{SCHEMA, SCHEMA_VERSION};
use crate::storage::TreeHead;
use crate::store::db_path;

/// The meta rows of the store in `dir` (checked: a store of this version).
pub fn meta_of(dir: &Path) -> Result<Meta> {
    let conn = crate::sqlite::reads::connect(dir, true)?;
    crate::sqlite::reads::read_meta(&conn)?;
    crate::sqlite::reads::meta_rows(&conn)
}

/// The store in a data directory, being written by a migration.
pub struct SqliteDestination {
    conn: Connection,
}

impl SqliteDestination {
    /// Opens (making the folder and the database if need be) the store in
    /// `dir`.
    pub fn open(dir: &Path) -> Result<SqliteDestination> {
        std::fs::create_dir_all(dir).map_err(|source| LedgerError::Io {
            action: "create",
            path: dir.to_owned(),
            source,
        })?;
        let path: PathBuf = db_path(dir);
        let new = !path.exists();
        let conn = Connection::open(&path)?;
        if new {
            conn.pragma_update(None, "page_size", 16_384)?;
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        let has_meta: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta')",
            [],
            |r| r.get(0),
        )?;
        if !has_meta {
            conn.execute_batch(SCHEMA)?;
        }
        Ok(SqliteDestination { conn })
    }
}

impl Destination for SqliteDestination {
    fn meta(&mut self) -> Result<Meta> {
        crate::sqlite::reads::meta_rows(&self.conn)
    }

    fn put_meta(&mut self, meta: &Meta) -> Result<()> {
        let tx = self.conn.transaction()?;
        for (k, v) in meta.iter().filter(|(k, _)| *k != "schema_version") {
            tx.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)", params![k, v])?;
        }
        tx.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?1)",
            [SCHEMA_VERSION.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn leaf_count(&mut self) -> Result<u64> {
        let (n, max): (i64, i64) = self.conn.query_row(
            "SELECT COUNT(*), COALESCE(MAX(idx) + 1, 0) FROM leaves",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if n != max {
            return Err(LedgerError::Corrupt(format!(
                "the destination's leaves are not contiguous ({n} rows, up to index {max})"
            )));
        }
        sql_u64(n)
    }

    fn put_leaves(&mut self, leaves: &[(u64, Vec<u8>)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut ins = tx.prepare_cached("INSERT INTO leaves (idx, leaf) VALUES (?1, ?2)")?;
            for (i, leaf) in leaves {
                ins.execute(params![*i as i64, leaf])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn put_tiles(&mut self, rows: &[(u32, u64, Vec<u8>)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut put =
                tx.prepare_cached("INSERT OR REPLACE INTO tiles (id, hashes) VALUES (?1, ?2)")?;
            for (level, tile, hashes) in rows {
                put.execute(params![tile_id(*level, tile * 256), hashes])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn checkpoints(&mut self) -> Result<Vec<(u64, Hash)>> {
        let mut st = self.conn.prepare("SELECT size, root FROM checkpoints ORDER BY size")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
        let mut out = Vec::new();
        for r in rows {
            let (s, root) = r?;
            out.push((sql_u64(s)?, hash_from(&root, "checkpoint root")?));
        }
        Ok(out)
    }

    fn put_checkpoints(&mut self, rows: &[(u64, Hash, String, u64)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut ins = tx.prepare_cached(
                "INSERT OR IGNORE INTO checkpoints (size, root, note, signed_ms) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (size, root, note, ms) in rows {
                ins.execute(params![*size as i64, &root.0[..], note, *ms as i64])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn finish(&mut self, _head: TreeHead) -> Result<()> {
        // The newest checkpoint row is this store's head; the index is
        // rebuilt by the next writer. Copy the WAL into the file.
        self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }
}
