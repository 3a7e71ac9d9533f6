//! The PostgreSQL backend: [`PgLog`], the [`LogWriter`] over a database,
//! and [`PgSource`], its readers — the same seam as the SQLite backend,
//! passing the same conformance suite and fault matrix
//! (`tests/tests/storage.rs`).
//!
//! A commit is one `READ COMMITTED` transaction that first
//! compares-and-swaps the one-row `head` table (`UPDATE … WHERE size = $
//! AND root = $`): the row lock serialises committers, and a committer
//! whose expected head is stale — a second writer, or a sequencer that was
//! deposed while it still ran — updates no row and commits nothing. Then
//! the leaves go in by binary `COPY`, the tile rows the batch completes are
//! read and written in one statement each, and the checkpoint row is
//! inserted; the commit returns once PostgreSQL has flushed it
//! (`synchronous_commit` on, its default: the docs say how to require a
//! synchronous standby as well).
//!
//! Only standard PostgreSQL is used (tables, `COPY`, `ON CONFLICT`,
//! `UNNEST`, `REPEATABLE READ` snapshots), so servers that speak its wire
//! protocol and SQL (openGauss, KingbaseES, Highgo) are candidates.
//!
//! The schema carries its version in `meta`; a database of another version
//! is refused at open. Creating the tables is idempotent.

mod audit;
mod conn;
pub mod migrate;
pub mod reads;
pub mod tables;

pub use audit::audit;

use std::collections::HashMap;

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;
use postgres::{Client, IsolationLevel, NoTls, Transaction};
use verifier::merkle::NodeSource;
use verifier::{EMPTY_ROOT, Hash};

use crate::error::{LedgerError, Result, StorageError};
use crate::layout::{TILE_WIDTH, hash_from, sql_u64, tile_id};
use crate::storage::{Batch, LogReader, LogSource, LogWriter, TreeHead};

/// Version of the PostgreSQL schema.
pub const PG_SCHEMA_VERSION: u32 = 1;

/// The tables (idempotent).
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leaves (idx BIGINT PRIMARY KEY, leaf BYTEA NOT NULL);
CREATE TABLE IF NOT EXISTS tiles (id BIGINT PRIMARY KEY, hashes BYTEA NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (size BIGINT PRIMARY KEY, root BYTEA NOT NULL,
                                        note TEXT NOT NULL, signed_ms BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS head (one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
                                 size BIGINT NOT NULL, root BYTEA NOT NULL);
CREATE TABLE IF NOT EXISTS index_state (one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
                                        upto BIGINT NOT NULL);
INSERT INTO index_state (upto) VALUES (0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS leaf_hashes (prefix BIGINT NOT NULL, idx BIGINT NOT NULL,
                                        PRIMARY KEY (prefix, idx));
CREATE TABLE IF NOT EXISTS contents (prefix BIGINT NOT NULL, idx BIGINT NOT NULL,
                                     PRIMARY KEY (prefix, idx));
CREATE TABLE IF NOT EXISTS documents (prefix BIGINT NOT NULL, idx BIGINT NOT NULL,
                                      PRIMARY KEY (prefix, idx));
CREATE TABLE IF NOT EXISTS tender_events (tender TEXT NOT NULL, seq BIGINT NOT NULL,
                                          idx BIGINT NOT NULL, PRIMARY KEY (tender, seq));
CREATE TABLE IF NOT EXISTS tokens (id TEXT PRIMARY KEY, secret_sha256 BYTEA NOT NULL,
                                   role TEXT NOT NULL, name TEXT NOT NULL,
                                   created_ms BIGINT NOT NULL, revoked_ms BIGINT);
CREATE TABLE IF NOT EXISTS sequencer (one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
                                      url TEXT NOT NULL, since_ms BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoint_tokens (size BIGINT PRIMARY KEY, token BYTEA NOT NULL,
                                              tsa TEXT NOT NULL, gen_ms BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS cosigned_checkpoints (size BIGINT PRIMARY KEY, note TEXT NOT NULL,
                                                 cosigned_ms BIGINT NOT NULL);
";

/// The key of the sequencer's advisory lock (`pg_try_advisory_lock`): the
/// bytes of "tndrlog1".
pub const SEQUENCER_LOCK: i64 = 0x746e_6472_6c6f_6731;

/// The sequencer lock's key as `pg_locks` shows it: the high half, the
/// low half.
const LOCK_CLASSID: u32 = (SEQUENCER_LOCK >> 32) as u32;
const LOCK_OBJID: u32 = SEQUENCER_LOCK as u32;

/// The database's sequencer lock: a session-level advisory lock held on a
/// connection of its own for as long as the sequencer runs. PostgreSQL
/// releases it when that connection ends, however the process ends.
///
/// The lock elects; it does not fence. A sequencer that lost its
/// connection (a partition, a restarted server) may not know yet that
/// another took over, so every commit also compares-and-swaps the head
/// ([`PgLog`]): the deposed one's next batch fails and nothing forks.
pub struct SequencerLock {
    client: Client,
    /// The server process of the lock's connection: a commit fences on
    /// that process holding the lock ([`PgLog`]).
    pid: i32,
}

impl std::fmt::Debug for SequencerLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SequencerLock")
    }
}

impl SequencerLock {
    /// Takes the lock of the log at `url`, or says another holds it
    /// ([`LedgerError::SequencerElsewhere`]).
    pub fn take(url: &str) -> Result<SequencerLock> {
        let mut client = connect(url)?;
        check_schema(&mut client)?;
        let row = client
            .query_one("SELECT pg_try_advisory_lock($1), pg_backend_pid()", &[&SEQUENCER_LOCK])?;
        if !row.get::<_, bool>(0) {
            return Err(LedgerError::SequencerElsewhere);
        }
        Ok(SequencerLock { client, pid: row.get(1) })
    }

    /// Whether the lock's connection still stands (when it does not, the
    /// lock is gone and another process may hold it).
    pub fn held(&mut self) -> bool {
        !self.client.is_closed() && self.client.simple_query("SELECT 1").is_ok()
    }
}

impl From<postgres::Error> for LedgerError {
    fn from(e: postgres::Error) -> LedgerError {
        LedgerError::Storage(StorageError::new(e))
    }
}

/// Connects to the database at `url` (a `postgres://` URL or `key=value`
/// settings).
pub fn connect(url: &str) -> Result<Client> {
    let mut config: postgres::Config = url.parse()?;
    // The idempotent schema's "already exists, skipping" is no news.
    config.options("-c client_min_messages=warning");
    Ok(config.connect(NoTls)?)
}

/// Makes a new log in the database at `url`: the tables (if need be), the
/// log's identity in `meta`, and the empty tree's signed checkpoint, in one
/// transaction. Refuses a database that already holds a log.
pub fn create(
    url: &str,
    origin: &str,
    vkey: &str,
    post_quantum_vkey: Option<&str>,
    empty_note: &str,
    now_ms: u64,
) -> Result<()> {
    let mut client = connect(url)?;
    client.batch_execute(SCHEMA)?;
    let mut tx =
        client.build_transaction().isolation_level(IsolationLevel::Serializable).start()?;
    if tx.query_opt("SELECT value FROM meta WHERE key = 'schema_version'", &[])?.is_some() {
        return Err(LedgerError::Corrupt(
            "the database already holds a tenderlog log: give another database".into(),
        ));
    }
    let mut meta = vec![
        ("schema_version", PG_SCHEMA_VERSION.to_string()),
        ("origin", origin.to_owned()),
        ("vkey", vkey.to_owned()),
        ("created_ms", now_ms.to_string()),
    ];
    if let Some(v) = post_quantum_vkey {
        meta.push(("mldsa44_vkey", v.to_owned()));
    }
    for (k, v) in &meta {
        tx.execute("INSERT INTO meta (key, value) VALUES ($1, $2)", &[k, v])?;
    }
    tx.execute("INSERT INTO head (size, root) VALUES (0, $1)", &[&&EMPTY_ROOT.0[..]])?;
    tx.execute(
        "INSERT INTO checkpoints (size, root, note, signed_ms) VALUES (0, $1, $2, $3)",
        &[&&EMPTY_ROOT.0[..], &empty_note, &(now_ms as i64)],
    )?;
    tx.commit()?;
    Ok(())
}

/// Records a key rotation: the new verifier key and the key history, in
/// one transaction (the SQLite counterpart is `sqlite::record_rotation`).
pub(crate) fn record_rotation(url: &str, vkey: &str, history: &str) -> Result<()> {
    let mut client = connect(url)?;
    check_schema(&mut client)?;
    let mut tx = client.transaction()?;
    tx.execute("UPDATE meta SET value = $1 WHERE key = 'vkey'", &[&vkey])?;
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('key_history', $1)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        &[&history],
    )?;
    tx.commit()?;
    Ok(())
}

/// Refuses a database that already holds a log (or cannot be reached).
pub fn check_empty(url: &str) -> Result<()> {
    match check_schema(&mut connect(url)?) {
        Err(LedgerError::Corrupt(_)) => Ok(()),
        Ok(()) | Err(LedgerError::StoreVersion { .. }) => Err(LedgerError::Corrupt(
            "the database already holds a tenderlog log: give another database".into(),
        )),
        Err(e) => Err(e),
    }
}

/// The meta rows of the log at `url` (checked: a log of this version).
pub fn meta_of(url: &str) -> Result<crate::meta::Meta> {
    let mut client = connect(url)?;
    check_schema(&mut client)?;
    Ok(client
        .query("SELECT key, value FROM meta", &[])?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// Refuses a database without a log, or with a schema of another version.
pub(crate) fn check_schema(client: &mut Client) -> Result<()> {
    let row = client
        .query_opt(
            "SELECT value FROM meta WHERE key = 'schema_version'
             AND EXISTS (SELECT 1 FROM pg_tables WHERE tablename = 'meta')",
            &[],
        )
        .or_else(|e| match e.code() {
            // No meta table: no log here.
            Some(&postgres::error::SqlState::UNDEFINED_TABLE) => Ok(None),
            _ => Err(e),
        })?;
    let Some(row) = row else {
        return Err(LedgerError::Corrupt(
            "the database holds no tenderlog log: make one with tenderlog init --store".into(),
        ));
    };
    let found: String = row.get(0);
    if found != PG_SCHEMA_VERSION.to_string() {
        return Err(LedgerError::StoreVersion { found, supported: PG_SCHEMA_VERSION });
    }
    Ok(())
}

fn head_of(tx: &mut Transaction<'_>) -> Result<TreeHead> {
    let row = tx.query_one("SELECT size, root FROM head", &[])?;
    Ok(TreeHead { size: sql_u64(row.get(0))?, root: hash_from(row.get(1), "head root")? })
}

/// The PostgreSQL [`LogWriter`]: one connection.
pub struct PgLog {
    client: Client,
    url: String,
    /// The sequencer lock, for a log's sequencer ([`PgLog::sequencer`]).
    lock: Option<SequencerLock>,
}

impl std::fmt::Debug for PgLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgLog")
    }
}

impl PgLog {
    /// Opens the log in the database at `url` for committing.
    pub fn open(url: &str) -> Result<PgLog> {
        let mut client = connect(url)?;
        check_schema(&mut client)?;
        Ok(PgLog { client, url: url.to_owned(), lock: None })
    }

    /// Opens the log at `url` as its sequencer: takes the database's
    /// sequencer lock first ([`SequencerLock`]; another holder is
    /// [`LedgerError::SequencerElsewhere`]).
    pub fn sequencer(url: &str) -> Result<PgLog> {
        let lock = SequencerLock::take(url)?;
        Ok(PgLog { lock: Some(lock), ..PgLog::open(url)? })
    }

    /// Before each statement: a connection the server closed (it
    /// restarted) is opened again, and a sequencer whose lock went with its
    /// connection takes the lock again — or stops committing, when another
    /// process took it meanwhile (the head's compare-and-swap would refuse
    /// its batch anyway; this says why). `ask` asks the lock's connection
    /// whether it still stands (a round trip: the heartbeat's, not every
    /// commit's), since a connection the server ended is only seen closed
    /// once it is used.
    fn ready(&mut self, ask: bool) -> Result<()> {
        if let Some(lock) = &mut self.lock
            && (lock.client.is_closed() || (ask && !lock.held()))
        {
            self.lock = None;
            self.lock = Some(SequencerLock::take(&self.url)?);
        }
        if self.client.is_closed() {
            self.client = connect(&self.url)?;
        }
        Ok(())
    }
}

impl LogWriter for PgLog {
    fn head(&mut self) -> Result<TreeHead> {
        self.ready(false)?;
        let row = self.client.query_one("SELECT size, root FROM head", &[])?;
        Ok(TreeHead { size: sql_u64(row.get(0))?, root: hash_from(row.get(1), "head root")? })
    }

    fn commit(&mut self, expected: &TreeHead, batch: &Batch<'_>) -> Result<()> {
        self.ready(false)?;
        if self.try_commit(expected, batch)? {
            return Ok(());
        }
        // The lock went with its connection (a restarted server, an ended
        // session) while the head stayed ours: take it again and commit —
        // unless another process took it meanwhile, which is this
        // sequencer's end ([`LedgerError::SequencerElsewhere`]).
        self.lock = None;
        self.lock = Some(SequencerLock::take(&self.url)?);
        if self.try_commit(expected, batch)? {
            return Ok(());
        }
        Err(LedgerError::SequencerElsewhere)
    }

    fn touch(&mut self, size: u64, signed_ms: u64) -> Result<()> {
        self.ready(true)?;
        self.client.execute(
            "UPDATE checkpoints SET signed_ms = $2 WHERE size = $1",
            &[&(size as i64), &(signed_ms as i64)],
        )?;
        Ok(())
    }
}

impl PgLog {
    /// One try of a commit: `Ok(false)` when a sequencer's swap found the
    /// head its own but its lock gone (nothing written).
    fn try_commit(&mut self, expected: &TreeHead, batch: &Batch<'_>) -> Result<bool> {
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(IsolationLevel::ReadCommitted)
            .start()?;
        // The compare-and-swap, first: it takes the head row's lock, so a
        // second committer waits here and then finds the head moved. A
        // sequencer's swap also needs its lock still held by its lock's
        // connection: one that lost the lock commits nothing even while
        // the head is still the one it expects.
        let (size, root) = (batch.head.size as i64, &batch.head.root.0[..]);
        let (old_size, old_root) = (expected.size as i64, &expected.root.0[..]);
        if batch.head.size <= expected.size {
            let found = head_of(&mut tx)?.size;
            return Err(LedgerError::HeadMoved { expected: expected.size, found });
        }
        let swapped = match &self.lock {
            None => tx.execute(
                "UPDATE head SET size = $1, root = $2 WHERE size = $3 AND root = $4",
                &[&size, &root, &old_size, &old_root],
            )?,
            Some(lock) => tx.execute(
                "UPDATE head SET size = $1, root = $2 WHERE size = $3 AND root = $4
                 AND EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
                             AND pid = $5 AND classid = $6 AND objid = $7 AND objsubid = 1)",
                &[&size, &root, &old_size, &old_root, &lock.pid, &LOCK_CLASSID, &LOCK_OBJID],
            )?,
        };
        if swapped != 1 {
            let found = head_of(&mut tx)?;
            if self.lock.is_some() && found.size == expected.size && found.root == expected.root {
                // The head is ours, the lock is not.
                return Ok(false);
            }
            return Err(LedgerError::HeadMoved { expected: expected.size, found: found.size });
        }
        {
            let sink = tx.copy_in("COPY leaves (idx, leaf) FROM STDIN (FORMAT binary)")?;
            let mut rows = BinaryCopyInWriter::new(sink, &[Type::INT8, Type::BYTEA]);
            for (index, leaf) in batch.leaves {
                rows.write(&[&(*index as i64), leaf])?;
            }
            rows.finish()?;
        }
        write_tiles(&mut tx, batch.nodes)?;
        tx.execute(
            "INSERT INTO checkpoints (size, root, note, signed_ms) VALUES ($1, $2, $3, $4)",
            &[&size, &root, &batch.note, &(batch.signed_ms as i64)],
        )?;
        tx.commit()?;
        Ok(true)
    }
}

/// Appends the batch's new complete-subtree hashes to their tile rows (see
/// [`crate::layout::extend_rows`]): the rows it continues are read in one
/// statement, and every touched row is written in one.
fn write_tiles(tx: &mut Transaction<'_>, nodes: &[(u32, u64, Hash)]) -> Result<()> {
    let continued = crate::layout::continued_rows(nodes);
    let mut rows: HashMap<i64, Vec<u8>> = HashMap::new();
    if !continued.is_empty() {
        for r in tx.query("SELECT id, hashes FROM tiles WHERE id = ANY($1)", &[&continued])? {
            rows.insert(r.get(0), r.get(1));
        }
    }
    let (ids, hashes): (Vec<i64>, Vec<Vec<u8>>) =
        crate::layout::extend_rows(rows, nodes)?.into_iter().unzip();
    tx.execute(
        "INSERT INTO tiles (id, hashes) SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[])
         ON CONFLICT (id) DO UPDATE SET hashes = EXCLUDED.hashes",
        &[&ids, &hashes],
    )?;
    Ok(())
}

/// Readers of the log in one database, each over its own connection.
#[derive(Clone, Debug)]
pub struct PgSource {
    url: String,
}

impl PgSource {
    /// The readers of the log at `url`.
    pub fn new(url: &str) -> PgSource {
        PgSource { url: url.to_owned() }
    }
}

impl LogSource for PgSource {
    type Reader = PgReader;

    fn reader(&self) -> Result<PgReader> {
        let mut client = connect(&self.url)?;
        check_schema(&mut client)?;
        // One snapshot for the reader's life.
        // (The snapshot is taken by the first statement, not by BEGIN.)
        client.batch_execute(
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1 FROM head;",
        )?;
        Ok(PgReader { client })
    }
}

/// A reader of the log: one `REPEATABLE READ` snapshot for its life.
pub struct PgReader {
    client: Client,
}

impl std::fmt::Debug for PgReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgReader")
    }
}

/// Leaves read per statement.
const LEAF_CHUNK: u64 = 10_000;

impl LogReader for PgReader {
    fn latest(&mut self) -> Result<TreeHead> {
        let row = self
            .client
            .query_opt("SELECT size, root FROM checkpoints ORDER BY size DESC LIMIT 1", &[])?
            .ok_or_else(|| LedgerError::Corrupt("no checkpoint".into()))?;
        Ok(TreeHead { size: sql_u64(row.get(0))?, root: hash_from(row.get(1), "checkpoint root")? })
    }

    fn leaves(
        &mut self,
        from: u64,
        to: u64,
        each: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
    ) -> Result<()> {
        let mut next = from;
        while next < to {
            let end = to.min(next.saturating_add(LEAF_CHUNK));
            let rows = self.client.query(
                "SELECT idx, leaf FROM leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                &[&(next as i64), &(end as i64)],
            )?;
            for r in rows {
                let index = sql_u64(r.get(0))?;
                if index != next {
                    // A gap: the caller reports it.
                    return Ok(());
                }
                each(index, r.get(1))?;
                next += 1;
            }
            if next < end {
                return Ok(());
            }
        }
        Ok(())
    }

    fn keeps_level(&self, _level: u32) -> bool {
        true
    }

    fn signed_ms(&mut self, size: u64) -> Result<Option<u64>> {
        self.client
            .query_opt("SELECT signed_ms FROM checkpoints WHERE size = $1", &[&(size as i64)])?
            .map(|r| sql_u64(r.get(0)))
            .transpose()
    }

    fn tile(&mut self, level: u32, tile: u64) -> Result<Option<Vec<u8>>> {
        let id = tile_id(level, tile.saturating_mul(TILE_WIDTH));
        Ok(self
            .client
            .query_opt("SELECT hashes FROM tiles WHERE id = $1", &[&id])?
            .map(|r| r.get(0)))
    }

    fn checkpoints(
        &mut self,
        from: u64,
        to: u64,
        each: &mut dyn FnMut(u64, Hash, &str) -> Result<()>,
    ) -> Result<()> {
        let rows = self.client.query(
            "SELECT size, root, note FROM checkpoints WHERE size >= $1 AND size <= $2 ORDER BY size",
            &[&(from.min(i64::MAX as u64) as i64), &(to.min(i64::MAX as u64) as i64)],
        )?;
        for r in rows {
            each(sql_u64(r.get(0))?, hash_from(r.get(1), "checkpoint root")?, r.get(2))?;
        }
        Ok(())
    }

    fn consistency_proof(&mut self, size: u64, total: u64) -> Result<Option<Vec<Hash>>> {
        let mut nodes = Nodes { reader: self, row: None };
        verifier::merkle::consistency_proof(&mut nodes, size, total).map(Some)
    }
}

/// Tree nodes read from a reader's tile rows (the last row kept).
struct Nodes<'a> {
    reader: &'a mut PgReader,
    row: Option<(u32, u64, Vec<u8>)>,
}

impl NodeSource for Nodes<'_> {
    type Error = LedgerError;
    fn node(&mut self, level: u32, index: u64) -> Result<Hash> {
        let tile = index / TILE_WIDTH;
        if !matches!(&self.row, Some((l, t, _)) if *l == level && *t == tile) {
            let row = self.reader.tile(level, tile)?.unwrap_or_default();
            self.row = Some((level, tile, row));
        }
        let slot = (index % TILE_WIDTH) as usize * 32;
        let row = self.row.as_ref().map(|(_, _, r)| r.as_slice()).unwrap_or_default();
        let bytes = row.get(slot..slot + 32).ok_or_else(|| {
            LedgerError::Corrupt(format!("no stored node at level {level}, index {index}"))
        })?;
        hash_from(bytes, "tree node")
    }
}
