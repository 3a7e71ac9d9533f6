//! The tables front-ends of one PostgreSQL log share beside the log: the
//! API's tokens ([`PgTokens`]) and the address of the front-end that
//! sequences now ([`SequencerBoard`]).

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

/// The one-row `sequencer` table: the address of the front-end that holds
/// the log's sequencer lock now, which the other front-ends forward
/// submissions to. One connection, opened again when the server closed it.
pub struct SequencerBoard {
    client: Client,
    url: String,
}

impl std::fmt::Debug for SequencerBoard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SequencerBoard")
    }
}

impl SequencerBoard {
    /// The board of the log at `db`.
    pub fn open(db: &str) -> Result<SequencerBoard> {
        Ok(SequencerBoard { client: super::connect(db)?, url: db.to_owned() })
    }

    fn client(&mut self) -> Result<&mut Client> {
        if self.client.is_closed() {
            self.client = super::connect(&self.url)?;
        }
        Ok(&mut self.client)
    }

    /// Records `url` as the sequencer's address, since `now_ms` (call it
    /// while holding the sequencer lock).
    pub fn advertise(&mut self, url: &str, now_ms: u64) -> Result<()> {
        self.client()?.execute(
            "INSERT INTO sequencer (one, url, since_ms) VALUES (TRUE, $1, $2)
             ON CONFLICT (one) DO UPDATE SET url = EXCLUDED.url, since_ms = EXCLUDED.since_ms",
            &[&url, &(now_ms as i64)],
        )?;
        Ok(())
    }

    /// The address the sequencer advertised last, if any.
    pub fn current(&mut self) -> Result<Option<String>> {
        Ok(self.client()?.query_opt("SELECT url FROM sequencer", &[])?.map(|r| r.get(0)))
    }
}
