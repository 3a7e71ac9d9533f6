//! A witness's state in SQLite (`witness.db`, WAL, `synchronous=FULL`):
//! per origin the latest cosigned checkpoint, and the split-view evidence.
//! The checks and the committer are `crate::witness`; this is only storage.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension as _, params};

use crate::error::{LedgerError, Result};
use crate::witness::{Evidence, Latest, Refusal, WitnessState, Write};

/// The state's format version (`PRAGMA user_version`).
const STATE_VERSION: i64 = 1;

struct Sqlite {
    conn: Connection,
    path: PathBuf,
}

fn sql(path: &Path) -> impl Fn(rusqlite::Error) -> LedgerError + '_ {
    move |e| LedgerError::Io {
        action: "use the witness state",
        path: path.to_owned(),
        source: std::io::Error::other(e),
    }
}

/// Opens (creating or checking the schema of) the witness state at `path`.
pub fn open(path: &Path) -> Result<Box<dyn WitnessState>> {
    let conn = Connection::open(path).map_err(sql(path))?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;",
    )
    .map_err(sql(path))?;
    let version: i64 =
        conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(sql(path))?;
    match version {
        0 => conn
            .execute_batch(&format!(
                "BEGIN IMMEDIATE;
                 CREATE TABLE IF NOT EXISTS latest(origin TEXT PRIMARY KEY, size INTEGER NOT NULL,
                   root TEXT NOT NULL, note TEXT NOT NULL, cosigned_ms INTEGER NOT NULL);
                 CREATE TABLE IF NOT EXISTS evidence(id INTEGER PRIMARY KEY, origin TEXT NOT NULL,
                   reason TEXT NOT NULL, received_ms INTEGER NOT NULL, held TEXT NOT NULL,
                   refused TEXT NOT NULL, old INTEGER NOT NULL, proof TEXT NOT NULL);
                 PRAGMA user_version = {STATE_VERSION};
                 COMMIT;"
            ))
            .map_err(sql(path))?,
        STATE_VERSION => {}
        v => {
            return Err(LedgerError::Key {
                path: path.to_owned(),
                reason: format!(
                    "witness state version {v}; this build reads {STATE_VERSION}: upgrade tenderlog"
                ),
            });
        }
    }
    Ok(Box::new(Sqlite { conn, path: path.to_owned() }))
}

impl WitnessState for Sqlite {
    fn all_latest(&mut self) -> Result<HashMap<String, Latest>> {
        let path = &self.path;
        let mut q = self
            .conn
            .prepare("SELECT origin, size, root, note, cosigned_ms FROM latest")
            .map_err(sql(path))?;
        let rows = q
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Latest {
                        size: r.get::<_, i64>(1)? as u64,
                        root: r.get(2)?,
                        note: r.get(3)?,
                        cosigned_ms: r.get::<_, i64>(4)? as u64,
                    },
                ))
            })
            .map_err(sql(path))?;
        rows.collect::<std::result::Result<HashMap<_, _>, _>>().map_err(sql(path))
    }

    fn commit(&mut self, writes: &[Write]) -> Result<Vec<std::result::Result<(), Refusal>>> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql(&path))?;
        let mut out = Vec::with_capacity(writes.len());
        for w in writes {
            out.push(match w {
                Write::Advance { origin, old, latest } => {
                    let changed = tx
                        .execute(
                            "INSERT INTO latest(origin, size, root, note, cosigned_ms)
                             VALUES (?1, ?2, ?3, ?4, ?5)
                             ON CONFLICT(origin) DO UPDATE SET size = ?2, root = ?3, note = ?4,
                               cosigned_ms = ?5 WHERE latest.size = ?6",
                            params![
                                origin,
                                latest.size as i64,
                                latest.root,
                                latest.note,
                                latest.cosigned_ms as i64,
                                *old as i64
                            ],
                        )
                        .map_err(sql(&path))?;
                    if changed == 1 {
                        Ok(())
                    } else {
                        let size: Option<i64> = tx
                            .query_row("SELECT size FROM latest WHERE origin = ?1", [origin], |r| {
                                r.get(0)
                            })
                            .optional()
                            .map_err(sql(&path))?;
                        Err(Refusal::Conflict(size.unwrap_or(0) as u64))
                    }
                }
                Write::Evidence(e) => {
                    tx.execute(
                        "INSERT INTO evidence(origin, reason, received_ms, held, refused, old, proof)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![
                            e.origin,
                            e.reason,
                            e.received_ms as i64,
                            e.held,
                            e.refused,
                            e.old as i64,
                            e.proof.join("\n")
                        ],
                    )
                    .map_err(sql(&path))?;
                    Ok(())
                }
            });
        }
        tx.commit().map_err(sql(&path))?;
        Ok(out)
    }

    fn evidence(&mut self) -> Result<Vec<Evidence>> {
        let path = &self.path;
        let mut q = self
            .conn
            .prepare(
                "SELECT id, origin, reason, received_ms, held, refused, old, proof FROM evidence ORDER BY id",
            )
            .map_err(sql(path))?;
        let rows = q
            .query_map([], |r| {
                Ok(Evidence {
                    id: r.get::<_, i64>(0)? as u64,
                    origin: r.get(1)?,
                    reason: r.get(2)?,
                    received_ms: r.get::<_, i64>(3)? as u64,
                    held: r.get(4)?,
                    refused: r.get(5)?,
                    old: r.get::<_, i64>(6)? as u64,
                    proof: r
                        .get::<_, String>(7)?
                        .split('\n')
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned)
                        .collect(),
                })
            })
            .map_err(sql(path))?;
        rows.collect::<std::result::Result<Vec<_>, _>>().map_err(sql(path))
    }
}
