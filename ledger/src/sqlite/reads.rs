//! The SQLite store's reads ([`SqliteReads`], what a [`Store`] asks of
//! `tenderlog.db` and `index.db`), its schema and its connection settings.
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
//!   a hash's [`prefix`](crate::store::prefix) to entry indexes.
//! * `tender_events((tender, seq) → idx)`: each tender's timeline.
//! * `meta`: `indexed_upto`, the entries `[0, n)` the tables cover.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension as _, params};
use verifier::Hash;
use verifier::log_keys::LogKeys;

use crate::error::{LedgerError, Result};
use crate::layout::{hash_from, sql_u64, tile_id};
use crate::storage::{CosignedTable, StampTable};
use crate::store::{CheckpointRow, HashTable, Reads, Store, TILE_WIDTH, db_path, prefix};

/// The on-disk schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

pub(crate) const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE leaves (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL);
CREATE TABLE tiles (id INTEGER PRIMARY KEY, hashes BLOB NOT NULL);
CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, root BLOB NOT NULL,
                          note TEXT NOT NULL, signed_ms INTEGER NOT NULL);
";

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

/// Opens the store in `dir`: for the writer (read-write connections; it is
/// the one that creates `index.db`, and reads little of it: a small cache),
/// or for reading.
pub(crate) fn open(dir: &Path, writer: bool) -> Result<Store> {
    let conn = connect(dir, !writer)?;
    let (origin, keys) = read_meta(&conn)?;
    let ix = if writer {
        let ix = crate::sqlite::indexer::open_for_writing(dir)?;
        ix.pragma_update(None, "cache_size", -8_192)?;
        Some(ix)
    } else {
        crate::sqlite::indexer::open_for_reading(dir)?
    };
    Ok(store(SqliteReads { conn, ix }, origin, keys, dir))
}

fn store(reads: SqliteReads, origin: String, keys: LogKeys, dir: &Path) -> Store {
    Store::new(Box::new(reads), origin, keys, dir)
}

/// A SQLite store's connections: `tenderlog.db`, and `index.db` when there
/// is one (readers may run before any writer made it).
pub struct SqliteReads {
    pub(crate) conn: Connection,
    pub(crate) ix: Option<Connection>,
}

impl std::fmt::Debug for SqliteReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteReads")
    }
}

/// Opens a read transaction on `conn` unless one is open; whether it did.
fn begin(conn: &Connection) -> Result<bool> {
    if !conn.is_autocommit() {
        return Ok(false);
    }
    conn.execute_batch("BEGIN DEFERRED")?;
    Ok(true)
}

fn end(conn: &Connection) {
    // A read transaction has nothing to keep; a failure here leaves the
    // connection in autocommit anyway.
    let _ = conn.execute_batch("COMMIT");
}

fn u64_pairs(rows: &mut rusqlite::Rows<'_>) -> Result<Vec<(u64, u64)>> {
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push((sql_u64(r.get(0)?)?, sql_u64(r.get(1)?)?));
    }
    Ok(out)
}

impl Reads for SqliteReads {
    fn begin(&self) -> Result<bool> {
        begin(&self.conn)
    }

    fn end(&self) {
        end(&self.conn)
    }

    fn latest(&self) -> Result<Option<CheckpointRow>> {
        let row: Option<(i64, Vec<u8>, String, i64)> = self
            .conn
            .prepare_cached(
                "SELECT size, root, note, signed_ms FROM checkpoints ORDER BY size DESC LIMIT 1",
            )?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        row.map(|(size, root, note, signed_ms)| {
            Ok(CheckpointRow {
                size: sql_u64(size)?,
                root: hash_from(&root, "checkpoint root")?,
                note,
                signed_ms: sql_u64(signed_ms)?,
            })
        })
        .transpose()
    }

    fn covering(&self, index: u64) -> Result<Option<(u64, String)>> {
        let row: Option<(i64, String)> = self
            .conn
            .prepare_cached(
                "SELECT size, note FROM checkpoints WHERE size > ?1 ORDER BY size LIMIT 1",
            )?
            .query_row([index as i64], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(size, note)| Ok((sql_u64(size)?, note))).transpose()
    }

    fn checkpoint_at(&self, size: u64) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT note FROM checkpoints WHERE size = ?1")?
            .query_row([size as i64], |r| r.get(0))
            .optional()?)
    }

    fn newest(&self, n: usize) -> Result<Vec<(u64, String)>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT ?1")?;
        let rows: Vec<(i64, String)> = st
            .query_map([n as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<std::result::Result<_, _>>()?;
        rows.into_iter().map(|(size, note)| Ok((sql_u64(size)?, note))).collect()
    }

    fn leaf(&self, index: u64) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .prepare_cached("SELECT leaf FROM leaves WHERE idx = ?1")?
            .query_row([index as i64], |r| r.get(0))
            .optional()?)
    }

    fn leaves(
        &self,
        from: u64,
        to: u64,
        each: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
    ) -> Result<()> {
        let mut st = self.conn.prepare_cached(
            "SELECT idx, leaf FROM leaves WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
        )?;
        let mut rows = st.query(params![from as i64, to as i64])?;
        while let Some(r) = rows.next()? {
            let idx = sql_u64(r.get(0)?)?;
            let leaf = r.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
            each(idx, leaf)?;
        }
        Ok(())
    }

    fn stored_leaves(&self) -> Result<u64> {
        let n: i64 =
            self.conn
                .query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves", [], |r| r.get(0))?;
        sql_u64(n)
    }

    fn node(&self, level: u32, index: u64) -> Result<Option<Hash>> {
        read_node(&self.conn, level, index)
    }

    fn tile_row(&self, level: u32, index: u64) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .prepare_cached("SELECT hashes FROM tiles WHERE id = ?1")?
            .query_row([tile_id(level, index)], |r| r.get(0))
            .optional()?)
    }

    fn indexed_upto(&self) -> Result<u64> {
        match &self.ix {
            Some(ix) => crate::sqlite::indexer::indexed_upto(ix),
            None => Ok(0),
        }
    }

    fn candidates(&self, table: HashTable, hash: &Hash) -> Result<Vec<u64>> {
        let Some(ix) = &self.ix else { return Ok(Vec::new()) };
        let sql = match table {
            HashTable::LeafHashes => "SELECT idx FROM leaf_hashes WHERE prefix = ?1 ORDER BY idx",
            HashTable::Contents => "SELECT idx FROM contents WHERE prefix = ?1 ORDER BY idx",
            HashTable::Documents => "SELECT idx FROM documents WHERE prefix = ?1 ORDER BY idx",
        };
        let mut st = ix.prepare_cached(sql)?;
        let mut rows = st.query([prefix(hash)])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(sql_u64(r.get(0)?)?);
        }
        Ok(out)
    }

    fn tender_rows(&self, tender: &str) -> Result<Vec<(u64, u64)>> {
        let Some(ix) = &self.ix else { return Ok(Vec::new()) };
        let mut st =
            ix.prepare_cached("SELECT seq, idx FROM tender_events WHERE tender = ?1 ORDER BY seq")?;
        u64_pairs(&mut st.query([tender])?)
    }

    fn tender_head(&self, tender: &str) -> Result<Option<(u64, u64)>> {
        let Some(ix) = &self.ix else { return Ok(None) };
        let mut st = ix.prepare_cached(
            "SELECT seq, idx FROM tender_events WHERE tender = ?1 ORDER BY seq DESC LIMIT 1",
        )?;
        Ok(u64_pairs(&mut st.query([tender])?)?.pop())
    }

    fn tender_groups(&self, upto: u64) -> Result<Vec<(String, u64, u64)>> {
        let Some(ix) = &self.ix else { return Ok(Vec::new()) };
        let mut st = ix.prepare_cached(
            "SELECT tender, COUNT(*), MAX(idx) FROM tender_events WHERE idx < ?1 GROUP BY tender",
        )?;
        let rows = st.query_map([upto as i64], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (tender, n, latest) = row?;
            out.push((tender, sql_u64(n)?, sql_u64(latest)?));
        }
        Ok(out)
    }

    fn index_begin(&self) -> Result<bool> {
        match &self.ix {
            Some(ix) => begin(ix),
            None => Ok(false),
        }
    }

    fn index_end(&self) {
        if let Some(ix) = &self.ix {
            end(ix)
        }
    }

    fn stamps<'a>(&'a self, dir: &Path) -> Result<Option<Box<dyn StampTable + 'a>>> {
        Ok(super::stamps::Stamps::open_existing(dir)?.map(|t| Box::new(t) as Box<dyn StampTable>))
    }

    fn cosigned<'a>(&'a self, dir: &Path) -> Result<Option<Box<dyn CosignedTable + 'a>>> {
        Ok(super::cosigned::CosignedCheckpoints::open_existing(dir)?
            .map(|t| Box::new(t) as Box<dyn CosignedTable>))
    }

    fn as_sqlite(&self) -> Option<&SqliteReads> {
        Some(self)
    }
}

pub(crate) fn read_node(conn: &Connection, level: u32, index: u64) -> Result<Option<Hash>> {
    let slot = (index % TILE_WIDTH) as i64;
    let bytes: Option<Vec<u8>> = conn
        .prepare_cached("SELECT substr(hashes, ?2, 32) FROM tiles WHERE id = ?1")?
        .query_row(params![tile_id(level, index), slot * 32 + 1], |r| r.get(0))
        .optional()?;
    match bytes {
        Some(b) if b.len() == 32 => Ok(Some(hash_from(&b, "node hash")?)),
        _ => Ok(None),
    }
}
