//! The tables front-ends of one PostgreSQL log share beside the log: the
//! API's tokens ([`PgTokens`]), the address of the front-end that
//! sequences now ([`SequencerBoard`]), the checkpoints' RFC 3161 tokens
//! ([`PgStamps`]) and the checkpoints whose witness cosignatures met the
//! policy ([`PgCosigned`]). Every front-end reads and writes the same
//! rows, so a token made, a checkpoint stamped or a cosignature collected
//! on one shows on all, and survives a takeover.

use std::borrow::Borrow;

use super::conn::Conn;
use crate::error::Result;
use crate::layout::sql_u64;
use crate::stamper::Stamp;
use crate::storage::{Cosigned, CosignedTable, StampTable, TokenRow, TokenTable};

/// The API's tokens of a PostgreSQL log: every front-end authenticates
/// against the same rows, so a token made or revoked on one holds on all.
#[derive(Debug)]
pub struct PgTokens {
    conn: Conn,
}

impl PgTokens {
    /// The token table of the log at `url`.
    pub fn open(url: &str) -> Result<PgTokens> {
        Ok(PgTokens { conn: Conn::open_completing(url)? })
    }
}

impl TokenTable for PgTokens {
    fn insert(&self, row: &TokenRow) -> Result<()> {
        self.conn.execute(
            "INSERT INTO tokens (id, secret_sha256, role, name, created_ms, revoked_ms)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &row.id,
                &row.secret_sha256,
                &row.role,
                &row.name,
                &(row.created_ms as i64),
                &row.revoked_ms.map(|v| v as i64),
            ],
        )?;
        Ok(())
    }

    fn all(&self) -> Result<Vec<TokenRow>> {
        self.conn
            .query(
                "SELECT id, secret_sha256, role, name, created_ms, revoked_ms FROM tokens
                 ORDER BY created_ms, id",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(TokenRow {
                    id: r.get(0),
                    secret_sha256: r.get(1),
                    role: r.get(2),
                    name: r.get(3),
                    created_ms: sql_u64(r.get(4))?,
                    revoked_ms: r.get::<_, Option<i64>>(5).map(sql_u64).transpose()?,
                })
            })
            .collect()
    }

    fn revoke(&self, id: &str, now_ms: u64) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE tokens SET revoked_ms = $2 WHERE id = $1 AND revoked_ms IS NULL",
            &[&id, &(now_ms as i64)],
        )?;
        Ok(n > 0)
    }
}

/// The one-row `sequencer` table: the address of the front-end that holds
/// the log's sequencer lock now, which the other front-ends forward
/// submissions to. One connection, opened again when the server closed it.
#[derive(Debug)]
pub struct SequencerBoard {
    conn: Conn,
}

impl SequencerBoard {
    /// The board of the log at `db`.
    pub fn open(db: &str) -> Result<SequencerBoard> {
        Ok(SequencerBoard { conn: Conn::open(db)? })
    }

    /// Records `url` as the sequencer's address, since `now_ms` (call it
    /// while holding the sequencer lock).
    pub fn advertise(&self, url: &str, now_ms: u64) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sequencer (one, url, since_ms) VALUES (TRUE, $1, $2)
             ON CONFLICT (one) DO UPDATE SET url = EXCLUDED.url, since_ms = EXCLUDED.since_ms",
            &[&url, &(now_ms as i64)],
        )?;
        Ok(())
    }

    /// The address the sequencer advertised last, if any.
    pub fn current(&self) -> Result<Option<String>> {
        Ok(self.conn.one("SELECT url FROM sequencer", &[])?.map(|r| r.get(0)))
    }
}

/// The checkpoints' RFC 3161 tokens in the database, over a connection of
/// their own ([`PgStamps::open`], the stamper's) or a reader's
/// ([`crate::store::Store::stamps`]).
#[derive(Debug)]
pub struct StampsOn<C>(pub(crate) C);

/// The stamper's token table.
pub type PgStamps = StampsOn<Conn>;

impl PgStamps {
    /// The token table of the log at `url`.
    pub fn open(url: &str) -> Result<PgStamps> {
        Ok(StampsOn(Conn::open_completing(url)?))
    }
}

impl<C: Borrow<Conn>> StampTable for StampsOn<C> {
    fn get(&self, size: u64) -> Result<Option<Stamp>> {
        self.0
            .borrow()
            .one(
                "SELECT token, tsa, gen_ms FROM checkpoint_tokens WHERE size = $1",
                &[&(size as i64)],
            )?
            .map(|r| Ok(Stamp { token: r.get(0), tsa: r.get(1), gen_ms: sql_u64(r.get(2))? }))
            .transpose()
    }

    fn latest_size(&self) -> Result<Option<u64>> {
        let row = self.0.borrow().one("SELECT MAX(size) FROM checkpoint_tokens", &[])?;
        row.and_then(|r| r.get::<_, Option<i64>>(0)).map(sql_u64).transpose()
    }

    fn first_from(&self, size: u64) -> Result<Option<u64>> {
        let row = self
            .0
            .borrow()
            .one("SELECT MIN(size) FROM checkpoint_tokens WHERE size >= $1", &[&(size as i64)])?;
        row.and_then(|r| r.get::<_, Option<i64>>(0)).map(sql_u64).transpose()
    }

    fn insert(&self, size: u64, s: &Stamp) -> Result<()> {
        self.0.borrow().execute(
            "INSERT INTO checkpoint_tokens (size, token, tsa, gen_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT (size) DO NOTHING",
            &[&(size as i64), &s.token, &s.tsa, &(s.gen_ms as i64)],
        )?;
        Ok(())
    }
}

/// The cosigned checkpoints in the database, over a connection of their
/// own ([`PgCosigned::open`], the witness client's) or a reader's.
#[derive(Debug)]
pub struct CosignedOn<C>(pub(crate) C);

/// The witness client's cosigned checkpoint table.
pub type PgCosigned = CosignedOn<Conn>;

impl PgCosigned {
    /// The cosigned checkpoint table of the log at `url`.
    pub fn open(url: &str) -> Result<PgCosigned> {
        Ok(CosignedOn(Conn::open_completing(url)?))
    }
}

fn cosigned_row(r: postgres::Row) -> Result<Cosigned> {
    Ok(Cosigned { size: sql_u64(r.get(0))?, note: r.get(1), cosigned_ms: sql_u64(r.get(2))? })
}

impl<C: Borrow<Conn>> CosignedTable for CosignedOn<C> {
    fn insert(&self, size: u64, note: &str, cosigned_ms: u64) -> Result<()> {
        self.0.borrow().execute(
            "INSERT INTO cosigned_checkpoints (size, note, cosigned_ms) VALUES ($1, $2, $3)
             ON CONFLICT (size) DO NOTHING",
            &[&(size as i64), &note, &(cosigned_ms as i64)],
        )?;
        Ok(())
    }

    fn first_from(&self, size: u64) -> Result<Option<Cosigned>> {
        self.0
            .borrow()
            .one(
                "SELECT size, note, cosigned_ms FROM cosigned_checkpoints WHERE size >= $1
                 ORDER BY size LIMIT 1",
                &[&(size as i64)],
            )?
            .map(cosigned_row)
            .transpose()
    }

    fn latest(&self) -> Result<Option<Cosigned>> {
        self.0
            .borrow()
            .one(
                "SELECT size, note, cosigned_ms FROM cosigned_checkpoints ORDER BY size DESC LIMIT 1",
                &[],
            )?
            .map(cosigned_row)
            .transpose()
    }
}
