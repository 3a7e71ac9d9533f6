//! The PostgreSQL log's reads ([`PgReads`], what a [`Store`] asks of the
//! database) and its lookup tables ([`PgIndex`], written by the index
//! follower beside the log's tables, in transactions of their own).
//!
//! A snapshot is a `REPEATABLE READ READ ONLY` transaction; outside one,
//! each statement reads the newest committed state. Statements are
//! prepared once per connection.

use std::path::Path;

use std::collections::HashMap;

use postgres::{Client, Row, types::ToSql};
use verifier::Hash;

use super::conn::Conn;
use crate::error::Result;
use crate::indexer::{IndexRow, IndexWriter, TableKeys, check_contiguous};
use crate::layout::{hash_from, sql_u64, tile_id};
use crate::storage::{CosignedTable, StampTable};
use crate::store::{CheckpointRow, HashTable, Reads, Store, TILE_WIDTH};

/// Opens the log at `url` for reading, with `dir` as its data directory.
pub(crate) fn open(url: &str, dir: &Path) -> Result<Store> {
    let conn = Conn::open(url)?;
    let meta = conn
        .query("SELECT key, value FROM meta", &[])?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let (origin, keys) = crate::meta::log_keys(&meta)?;
    Ok(Store::new(Box::new(PgReads { conn }), origin, keys, dir))
}

/// One connection's reads.
#[derive(Debug)]
pub struct PgReads {
    conn: Conn,
}

impl PgReads {
    fn query(&self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        self.conn.query(sql, params)
    }

    fn one(&self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>> {
        self.conn.one(sql, params)
    }
}

fn pairs(rows: Vec<Row>) -> Result<Vec<(u64, u64)>> {
    rows.iter().map(|r| Ok((sql_u64(r.get(0))?, sql_u64(r.get(1))?))).collect()
}

impl Reads for PgReads {
    fn begin(&self) -> Result<bool> {
        self.conn.begin_snapshot()
    }

    fn end(&self) {
        self.conn.end_snapshot()
    }

    fn latest(&self) -> Result<Option<CheckpointRow>> {
        self.one(
            "SELECT size, root, note, signed_ms FROM checkpoints ORDER BY size DESC LIMIT 1",
            &[],
        )?
        .map(|r| {
            Ok(CheckpointRow {
                size: sql_u64(r.get(0))?,
                root: hash_from(r.get(1), "checkpoint root")?,
                note: r.get(2),
                signed_ms: sql_u64(r.get(3))?,
            })
        })
        .transpose()
    }

    fn covering(&self, index: u64) -> Result<Option<(u64, String)>> {
        self.one(
            "SELECT size, note FROM checkpoints WHERE size > $1 ORDER BY size LIMIT 1",
            &[&(index as i64)],
        )?
        .map(|r| Ok((sql_u64(r.get(0))?, r.get(1))))
        .transpose()
    }

    fn checkpoint_at(&self, size: u64) -> Result<Option<String>> {
        Ok(self
            .one("SELECT note FROM checkpoints WHERE size = $1", &[&(size as i64)])?
            .map(|r| r.get(0)))
    }

    fn newest(&self, n: usize) -> Result<Vec<(u64, String)>> {
        self.query(
            "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT $1",
            &[&(n as i64)],
        )?
        .iter()
        .map(|r| Ok((sql_u64(r.get(0))?, r.get(1))))
        .collect()
    }

    fn leaf(&self, index: u64) -> Result<Option<Vec<u8>>> {
        Ok(self
            .one("SELECT leaf FROM leaves WHERE idx = $1", &[&(index as i64)])?
            .map(|r| r.get(0)))
    }

    fn leaves(
        &self,
        from: u64,
        to: u64,
        each: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
    ) -> Result<()> {
        // In chunks: a tail scan or a catch-up never holds the whole range.
        const CHUNK: u64 = 10_000;
        let mut next = from;
        while next < to {
            let end = to.min(next.saturating_add(CHUNK));
            let rows = self.query(
                "SELECT idx, leaf FROM leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                &[&(next as i64), &(end as i64)],
            )?;
            for r in &rows {
                each(sql_u64(r.get(0))?, r.get(1))?;
            }
            next = end;
        }
        Ok(())
    }

    fn stored_leaves(&self) -> Result<u64> {
        let row = self.one("SELECT COALESCE(MAX(idx) + 1, 0) FROM leaves", &[])?;
        sql_u64(row.map_or(0, |r| r.get(0)))
    }

    fn node(&self, level: u32, index: u64) -> Result<Option<Hash>> {
        let slot = (index % TILE_WIDTH) as i32;
        let row = self.one(
            "SELECT substring(hashes FROM $2 FOR 32) FROM tiles WHERE id = $1",
            &[&tile_id(level, index), &(slot * 32 + 1)],
        )?;
        match row.map(|r| r.get::<_, Vec<u8>>(0)) {
            Some(b) if b.len() == 32 => Ok(Some(hash_from(&b, "node hash")?)),
            _ => Ok(None),
        }
    }

    fn tile_row(&self, level: u32, index: u64) -> Result<Option<Vec<u8>>> {
        Ok(self
            .one("SELECT hashes FROM tiles WHERE id = $1", &[&tile_id(level, index)])?
            .map(|r| r.get(0)))
    }

    fn nodes_many(&self, wanted: &[(u32, u64)]) -> Result<HashMap<(u32, u64), Hash>> {
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<i64> = wanted.iter().map(|(l, i)| tile_id(*l, *i)).collect();
        let offsets: Vec<i32> =
            wanted.iter().map(|(_, i)| (i % TILE_WIDTH) as i32 * 32 + 1).collect();
        let rows = self.query(
            "SELECT w.k, substring(t.hashes FROM w.off FOR 32)
             FROM UNNEST($1::BIGINT[], $2::INT[]) WITH ORDINALITY AS w(id, off, k)
             JOIN tiles t ON t.id = w.id",
            &[&ids, &offsets],
        )?;
        let mut out = HashMap::with_capacity(wanted.len());
        for r in rows {
            let k: i64 = r.get(0);
            let bytes: Vec<u8> = r.get(1);
            if let (Some(node), 32) =
                (usize::try_from(k - 1).ok().and_then(|k| wanted.get(k)), bytes.len())
            {
                out.insert(*node, hash_from(&bytes, "node hash")?);
            }
        }
        Ok(out)
    }

    fn prefers_batches(&self) -> bool {
        true
    }

    fn indexed_upto(&self) -> Result<u64> {
        sql_u64(self.one("SELECT upto FROM index_state", &[])?.map_or(0, |r| r.get(0)))
    }

    fn candidates(&self, table: HashTable, hash: &Hash) -> Result<Vec<u64>> {
        let sql = match table {
            HashTable::LeafHashes => "SELECT idx FROM leaf_hashes WHERE prefix = $1 ORDER BY idx",
            HashTable::Contents => "SELECT idx FROM contents WHERE prefix = $1 ORDER BY idx",
            HashTable::Documents => "SELECT idx FROM documents WHERE prefix = $1 ORDER BY idx",
        };
        self.query(sql, &[&crate::store::prefix(hash)])?.iter().map(|r| sql_u64(r.get(0))).collect()
    }

    fn candidates_many(&self, table: HashTable, hashes: &[Hash]) -> Result<HashMap<i64, Vec<u64>>> {
        let sql = match table {
            HashTable::LeafHashes => {
                "SELECT prefix, idx FROM leaf_hashes WHERE prefix = ANY($1) ORDER BY idx"
            }
            HashTable::Contents => {
                "SELECT prefix, idx FROM contents WHERE prefix = ANY($1) ORDER BY idx"
            }
            HashTable::Documents => {
                "SELECT prefix, idx FROM documents WHERE prefix = ANY($1) ORDER BY idx"
            }
        };
        let prefixes: Vec<i64> = hashes.iter().map(crate::store::prefix).collect();
        let mut out: HashMap<i64, Vec<u64>> = prefixes.iter().map(|p| (*p, Vec::new())).collect();
        for r in self.query(sql, &[&prefixes])? {
            out.entry(r.get(0)).or_default().push(sql_u64(r.get(1))?);
        }
        Ok(out)
    }

    fn tender_rows(&self, tender: &str) -> Result<Vec<(u64, u64)>> {
        pairs(self.query(
            "SELECT seq, idx FROM tender_events WHERE tender = $1 ORDER BY seq",
            &[&tender],
        )?)
    }

    fn tender_head(&self, tender: &str) -> Result<Option<(u64, u64)>> {
        Ok(pairs(self.query(
            "SELECT seq, idx FROM tender_events WHERE tender = $1 ORDER BY seq DESC LIMIT 1",
            &[&tender],
        )?)?
        .pop())
    }

    fn tender_groups(&self, upto: u64) -> Result<Vec<(String, u64, u64)>> {
        self.query(
            "SELECT tender, COUNT(*), MAX(idx) FROM tender_events WHERE idx < $1 GROUP BY tender",
            &[&(upto as i64)],
        )?
        .iter()
        .map(|r| Ok((r.get(0), sql_u64(r.get(1))?, sql_u64(r.get(2))?)))
        .collect()
    }

    fn index_begin(&self) -> Result<bool> {
        self.begin()
    }

    fn index_end(&self) {
        self.end()
    }

    fn stamps<'a>(&'a self, _dir: &Path) -> Result<Option<Box<dyn StampTable + 'a>>> {
        Ok(Some(Box::new(super::tables::StampsOn(&self.conn))))
    }

    fn cosigned<'a>(&'a self, _dir: &Path) -> Result<Option<Box<dyn CosignedTable + 'a>>> {
        Ok(Some(Box::new(super::tables::CosignedOn(&self.conn))))
    }
}

/// The lookup tables of a PostgreSQL log, written by the index follower
/// over a connection of its own.
pub struct PgIndex {
    client: Client,
    url: String,
}

impl std::fmt::Debug for PgIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgIndex")
    }
}

impl PgIndex {
    /// Opens the lookup tables of the log at `url` (making them, if a log
    /// made before they existed lacks them: idempotent).
    pub fn open(url: &str) -> Result<PgIndex> {
        let mut client = super::connect(url)?;
        super::check_schema(&mut client)?;
        client.batch_execute(super::SCHEMA)?;
        Ok(PgIndex { client, url: url.to_owned() })
    }

    /// A connection the server closed (it restarted) is opened again.
    fn ready(&mut self) -> Result<&mut Client> {
        if self.client.is_closed() {
            self.client = super::connect(&self.url)?;
        }
        Ok(&mut self.client)
    }
}

impl IndexWriter for PgIndex {
    fn indexed_upto(&mut self) -> Result<u64> {
        sql_u64(self.ready()?.query_one("SELECT upto FROM index_state", &[])?.get(0))
    }

    fn write_rows(&mut self, from: u64, rows: &[IndexRow]) -> Result<()> {
        check_contiguous(from, rows)?;
        let to = from + rows.len() as u64;
        let mut tx = self.ready()?.transaction()?;
        // Compare-and-swap the covered prefix first: a second indexer (a
        // deposed sequencer's) finds it moved and writes nothing.
        let moved = tx.execute(
            "UPDATE index_state SET upto = $1 WHERE upto = $2",
            &[&(to as i64), &(from as i64)],
        )?;
        if moved != 1 {
            return Err(crate::LedgerError::Corrupt(
                "the lookup tables moved under the indexer".into(),
            ));
        }
        let keys = TableKeys::of(rows);
        let keyed = |tx: &mut postgres::Transaction<'_>, table: &str, keys: &[(i64, i64)]| {
            let (prefixes, idx): (Vec<i64>, Vec<i64>) = keys.iter().copied().unzip();
            tx.execute(
                &format!(
                    "INSERT INTO {table} (prefix, idx) SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[])"
                ),
                &[&prefixes, &idx],
            )
        };
        keyed(&mut tx, "leaf_hashes", &keys.leaf_hashes)?;
        keyed(&mut tx, "contents", &keys.contents)?;
        keyed(&mut tx, "documents", &keys.documents)?;
        let mut tenders = Vec::with_capacity(rows.len());
        let (mut seqs, mut idx) = (Vec::with_capacity(rows.len()), Vec::with_capacity(rows.len()));
        for (t, s, i) in &keys.tender_events {
            tenders.push(*t);
            seqs.push(*s);
            idx.push(*i);
        }
        tx.execute(
            "INSERT INTO tender_events (tender, seq, idx)
             SELECT * FROM UNNEST($1::TEXT[], $2::BIGINT[], $3::BIGINT[])",
            &[&tenders, &seqs, &idx],
        )?;
        tx.commit()?;
        Ok(())
    }
}
