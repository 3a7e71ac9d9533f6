//! One connection to a PostgreSQL log, as the readers and the side tables
//! (tokens, checkpoint stamps, cosigned checkpoints) hold it: opened
//! checked (a log of this schema version), statements prepared once, and
//! opened again before the next statement when the server closed it (it
//! restarted) — except inside a snapshot, whose reads must not silently
//! continue on another one.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use postgres::{Client, Row, Statement, types::ToSql};

use crate::error::Result;

/// A checked, reconnecting connection.
pub struct Conn {
    client: RefCell<Client>,
    url: String,
    statements: RefCell<HashMap<&'static str, Statement>>,
    /// A snapshot transaction is open.
    snapshot: Cell<bool>,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Conn")
    }
}

/// A connection with the settings every reader and side table wants.
fn connect(url: &str) -> Result<Client> {
    let mut client = super::connect(url)?;
    // A statement that hangs must not hold a server's worker for ever.
    client.batch_execute("SET statement_timeout = '30s'")?;
    Ok(client)
}

impl Conn {
    /// Connects to the log at `url`; refuses a database without a log of
    /// this schema version.
    pub(crate) fn open(url: &str) -> Result<Conn> {
        let mut client = connect(url)?;
        super::check_schema(&mut client)?;
        Ok(Conn {
            client: RefCell::new(client),
            url: url.to_owned(),
            statements: RefCell::default(),
            snapshot: Cell::new(false),
        })
    }

    /// As [`Conn::open`], and makes the tables a log made by an earlier
    /// build lacks (the schema is idempotent and additive).
    pub(crate) fn open_completing(url: &str) -> Result<Conn> {
        let conn = Conn::open(url)?;
        conn.client.borrow_mut().batch_execute(super::SCHEMA)?;
        Ok(conn)
    }

    /// Opens the connection again if the server closed it, outside a
    /// snapshot (inside one, its statements fail until it ends).
    fn ready(&self) -> Result<()> {
        if self.client.borrow().is_closed() && !self.snapshot.get() {
            *self.client.borrow_mut() = connect(&self.url)?;
            self.statements.borrow_mut().clear();
        }
        Ok(())
    }

    fn prepared(&self, client: &mut Client, sql: &'static str) -> Result<Statement> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let s = client.prepare(sql)?;
        self.statements.borrow_mut().insert(sql, s.clone());
        Ok(s)
    }

    /// Runs a query.
    pub(crate) fn query(
        &self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>> {
        self.ready()?;
        let mut client = self.client.borrow_mut();
        let statement = self.prepared(&mut client, sql)?;
        Ok(client.query(&statement, params)?)
    }

    /// Runs a query for its first row, if any.
    pub(crate) fn one(
        &self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Runs a statement; the rows it changed.
    pub(crate) fn execute(&self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        self.ready()?;
        let mut client = self.client.borrow_mut();
        let statement = self.prepared(&mut client, sql)?;
        Ok(client.execute(&statement, params)?)
    }

    /// Opens a `REPEATABLE READ READ ONLY` snapshot unless one is open;
    /// whether it did.
    pub(crate) fn begin_snapshot(&self) -> Result<bool> {
        if self.snapshot.get() {
            return Ok(false);
        }
        self.ready()?;
        self.client
            .borrow_mut()
            .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
        self.snapshot.set(true);
        Ok(true)
    }

    /// Ends the snapshot.
    pub(crate) fn end_snapshot(&self) {
        self.snapshot.set(false);
        // Nothing to keep; a failure leaves a broken connection, opened
        // again before the next statement.
        let _ = self.client.borrow_mut().batch_execute("COMMIT");
    }
}
