//! `timestamps.db`: the checkpoint tokens of a data directory (see
//! [`crate::stamper`]).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension as _, params};

use crate::error::Result;
use crate::stamper::{Stamp, bad};
use crate::storage::StampTable;

/// Format version of `timestamps.db`.
pub const STAMPS_SCHEMA_VERSION: u32 = 1;

/// The path of the checkpoint token table.
pub fn stamps_path(dir: &Path) -> PathBuf {
    dir.join("timestamps.db")
}

/// The checkpoint tokens of a data directory.
pub struct Stamps {
    conn: Connection,
}

impl Stamps {
    /// Opens (creating it if need be) `DIR/timestamps.db`.
    pub fn open(dir: &Path) -> Result<Stamps> {
        let conn = super::open_side_file(
            &stamps_path(dir),
            "CREATE TABLE IF NOT EXISTS checkpoint_tokens (size INTEGER PRIMARY KEY,
               token BLOB NOT NULL, tsa TEXT NOT NULL, gen_ms INTEGER NOT NULL);",
            STAMPS_SCHEMA_VERSION,
            bad,
        )?;
        Ok(Stamps { conn })
    }

    /// Opens it for reading if it exists.
    pub fn open_existing(dir: &Path) -> Result<Option<Stamps>> {
        if stamps_path(dir).exists() { Stamps::open(dir).map(Some) } else { Ok(None) }
    }
}

impl StampTable for Stamps {
    fn get(&self, size: u64) -> Result<Option<Stamp>> {
        Ok(self
            .conn
            .query_row(
                "SELECT token, tsa, gen_ms FROM checkpoint_tokens WHERE size = ?1",
                [size as i64],
                |r| {
                    Ok(Stamp {
                        token: r.get(0)?,
                        tsa: r.get(1)?,
                        gen_ms: r.get::<_, i64>(2)? as u64,
                    })
                },
            )
            .optional()?)
    }

    fn latest_size(&self) -> Result<Option<u64>> {
        let v: Option<i64> =
            self.conn.query_row("SELECT MAX(size) FROM checkpoint_tokens", [], |r| r.get(0))?;
        Ok(v.map(|s| s as u64))
    }

    fn first_from(&self, size: u64) -> Result<Option<u64>> {
        let v: Option<i64> = self.conn.query_row(
            "SELECT MIN(size) FROM checkpoint_tokens WHERE size >= ?1",
            [size as i64],
            |r| r.get(0),
        )?;
        Ok(v.map(|s| s as u64))
    }

    fn insert(&self, size: u64, s: &Stamp) -> Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO checkpoint_tokens (size, token, tsa, gen_ms) VALUES (?1, ?2, ?3, ?4)",
            params![size as i64, s.token, s.tsa, s.gen_ms as i64],
        )?;
        Ok(())
    }
}
