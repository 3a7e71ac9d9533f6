//! `tokens.db`: the API's bearer tokens, stored by the SHA-256 of their
//! secret (the secret itself is never stored). Authentication itself — the
//! cache and the constant-time comparison — is the API's (`api::tokens`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, params};

use crate::error::Result;
use crate::layout::sql_u64;
pub use crate::storage::TokenRow;
use crate::storage::TokenTable;

/// The path of the token table of a data directory.
pub fn tokens_path(dir: &Path) -> PathBuf {
    dir.join("tokens.db")
}

/// The token table of a data directory, created on first use.
pub struct TokenDb {
    conn: Connection,
}

impl std::fmt::Debug for TokenDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenDb")
    }
}

impl TokenDb {
    /// Opens (creating it if need be) `DIR/tokens.db`.
    pub fn open(dir: &Path) -> Result<TokenDb> {
        let conn = Connection::open(tokens_path(dir))?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS tokens (
                id TEXT PRIMARY KEY, secret_sha256 BLOB NOT NULL, role TEXT NOT NULL,
                name TEXT NOT NULL, created_ms INTEGER NOT NULL, revoked_ms INTEGER)",
        )?;
        Ok(TokenDb { conn })
    }
}

impl TokenTable for TokenDb {
    fn insert(&self, row: &TokenRow) -> Result<()> {
        self.conn.execute(
            "INSERT INTO tokens (id, secret_sha256, role, name, created_ms, revoked_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                row.id,
                row.secret_sha256,
                row.role,
                row.name,
                row.created_ms as i64,
                row.revoked_ms.map(|v| v as i64)
            ],
        )?;
        Ok(())
    }

    fn all(&self) -> Result<Vec<TokenRow>> {
        let mut st = self.conn.prepare(
            "SELECT id, secret_sha256, role, name, created_ms, revoked_ms FROM tokens
             ORDER BY created_ms, id",
        )?;
        let mut rows = st.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(TokenRow {
                id: r.get(0)?,
                secret_sha256: r.get(1)?,
                role: r.get(2)?,
                name: r.get(3)?,
                created_ms: sql_u64(r.get(4)?)?,
                revoked_ms: r.get::<_, Option<i64>>(5)?.map(sql_u64).transpose()?,
            });
        }
        Ok(out)
    }

    fn revoke(&self, id: &str, now_ms: u64) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE tokens SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms IS NULL",
            params![id, now_ms as i64],
        )?;
        Ok(n > 0)
    }
}
