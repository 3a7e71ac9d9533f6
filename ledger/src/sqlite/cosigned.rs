//! `cosigned.db`: every checkpoint of a data directory whose witness
//! cosignatures met the operator's policy (see [`crate::witnessed`]).
//!
//! Its own file, beside the log: the witness client writes it from the
//! server's tasks, never inside the sequencer's write transaction.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension as _, params};

use crate::error::{LedgerError, Result};
use crate::storage::{Cosigned, CosignedTable};

/// Format version of `cosigned.db`.
pub const COSIGNED_SCHEMA_VERSION: u32 = 1;

/// The path of the cosigned checkpoint table.
pub fn cosigned_path(dir: &Path) -> PathBuf {
    dir.join("cosigned.db")
}

/// The cosigned checkpoints of a data directory.
pub struct CosignedCheckpoints {
    conn: Connection,
}

impl std::fmt::Debug for CosignedCheckpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CosignedCheckpoints")
    }
}

impl CosignedCheckpoints {
    /// Opens (creating it if need be) `DIR/cosigned.db`; refuses a file of
    /// another format version.
    pub fn open(dir: &Path) -> Result<CosignedCheckpoints> {
        let conn = super::open_side_file(
            &cosigned_path(dir),
            "CREATE TABLE IF NOT EXISTS cosigned_checkpoints (size INTEGER PRIMARY KEY,
               note TEXT NOT NULL, cosigned_ms INTEGER NOT NULL);",
            COSIGNED_SCHEMA_VERSION,
            LedgerError::Corrupt,
        )?;
        Ok(CosignedCheckpoints { conn })
    }

    /// Opens it for reading if it exists.
    pub fn open_existing(dir: &Path) -> Result<Option<CosignedCheckpoints>> {
        if cosigned_path(dir).exists() {
            CosignedCheckpoints::open(dir).map(Some)
        } else {
            Ok(None)
        }
    }

    fn one(&self, sql: &str, size: Option<u64>) -> Result<Option<Cosigned>> {
        let row = |r: &rusqlite::Row<'_>| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
        };
        let got = match size {
            Some(s) => self.conn.query_row(sql, [s as i64], row),
            None => self.conn.query_row(sql, [], row),
        }
        .optional()?;
        got.map(|(size, note, ms)| {
            Ok(Cosigned {
                size: crate::layout::sql_u64(size)?,
                note,
                cosigned_ms: crate::layout::sql_u64(ms)?,
            })
        })
        .transpose()
    }
}

impl CosignedTable for CosignedCheckpoints {
    fn insert(&self, size: u64, note: &str, cosigned_ms: u64) -> Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO cosigned_checkpoints (size, note, cosigned_ms) VALUES (?1, ?2, ?3)",
            params![size as i64, note, cosigned_ms as i64],
        )?;
        Ok(())
    }

    fn first_from(&self, size: u64) -> Result<Option<Cosigned>> {
        self.one(
            "SELECT size, note, cosigned_ms FROM cosigned_checkpoints WHERE size >= ?1
             ORDER BY size LIMIT 1",
            Some(size),
        )
    }

    fn latest(&self) -> Result<Option<Cosigned>> {
        self.one(
            "SELECT size, note, cosigned_ms FROM cosigned_checkpoints ORDER BY size DESC LIMIT 1",
            None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_covering_newest_and_the_first_kept() {
        let t = tempfile::tempdir().unwrap();
        assert!(CosignedCheckpoints::open_existing(t.path()).unwrap().is_none());
        let c = CosignedCheckpoints::open(t.path()).unwrap();
        assert_eq!(c.latest().unwrap(), None);
        c.insert(5, "five\n", 1).unwrap();
        c.insert(9, "nine\n", 2).unwrap();
        c.insert(5, "another five\n", 3).unwrap();
        drop(c);
        let c = CosignedCheckpoints::open_existing(t.path()).unwrap().unwrap();
        let at = |s| c.first_from(s).unwrap().map(|x| (x.size, x.note, x.cosigned_ms));
        assert_eq!(at(0), Some((5, "five\n".into(), 1)), "the first stays");
        assert_eq!(at(5), Some((5, "five\n".into(), 1)));
        assert_eq!(at(6), Some((9, "nine\n".into(), 2)));
        assert_eq!(at(10), None);
        assert_eq!(c.latest().unwrap().map(|x| x.size), Some(9));
    }

    #[test]
    fn another_format_version_is_refused() {
        let t = tempfile::tempdir().unwrap();
        drop(CosignedCheckpoints::open(t.path()).unwrap());
        let conn = Connection::open(cosigned_path(t.path())).unwrap();
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'", []).unwrap();
        drop(conn);
        let e = CosignedCheckpoints::open(t.path()).unwrap_err().to_string();
        assert!(e.contains("format version 99"), "{e}");
    }
}
