//! The tables front-ends of one PostgreSQL log share beside the log: the
//! API's tokens ([`PgTokens`]) and the address of the front-end that
//! sequences now ([`advertise`], [`sequencer_url`]).

use std::cell::RefCell;

use postgres::Client;

use crate::error::Result;
use crate::layout::sql_u64;
use crate::storage::{TokenRow, TokenTable};

/// The API's tokens of a PostgreSQL log: every front-end authenticates
/// against the same rows, so a token made or revoked on one holds on all.
pub struct PgTokens {
    client: RefCell<Client>,
}

impl std::fmt::Debug for PgTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgTokens")
    }
}

impl PgTokens {
    /// The token table of the log at `url`.
    pub fn open(url: &str) -> Result<PgTokens> {
        let mut client = super::connect(url)?;
        super::check_schema(&mut client)?;
        client.batch_execute(super::SCHEMA)?;
        Ok(PgTokens { client: RefCell::new(client) })
    }
}

impl TokenTable for PgTokens {
    fn insert(&self, row: &TokenRow) -> Result<()> {
        self.client.borrow_mut().execute(
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
        self.client
            .borrow_mut()
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
        let n = self.client.borrow_mut().execute(
            "UPDATE tokens SET revoked_ms = $2 WHERE id = $1 AND revoked_ms IS NULL",
            &[&id, &(now_ms as i64)],
        )?;
        Ok(n > 0)
    }
}

/// Records `url` as the address of the front-end that sequences the log at
/// `db` now (the one holding its sequencer lock), since `now_ms`. Other
/// front-ends forward submissions there.
pub fn advertise(db: &str, url: &str, now_ms: u64) -> Result<()> {
    let mut client = super::connect(db)?;
    client.execute(
        "INSERT INTO sequencer (one, url, since_ms) VALUES (TRUE, $1, $2)
         ON CONFLICT (one) DO UPDATE SET url = EXCLUDED.url, since_ms = EXCLUDED.since_ms",
        &[&url, &(now_ms as i64)],
    )?;
    Ok(())
}

/// The address the sequencing front-end of the log at `db` advertised
/// last, if any.
pub fn sequencer_url(db: &str) -> Result<Option<String>> {
    let mut client = super::connect(db)?;
    Ok(client.query_opt("SELECT url FROM sequencer", &[])?.map(|r| r.get(0)))
}
