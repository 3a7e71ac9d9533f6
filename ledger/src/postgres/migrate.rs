//! A PostgreSQL database as the destination of `tenderlog migrate` (see
//! [`crate::migrate`]).

use postgres::Client;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;
use verifier::Hash;

use super::{PG_SCHEMA_VERSION, SCHEMA, connect};
use crate::error::{LedgerError, Result};
use crate::layout::{hash_from, sql_u64, tile_id};
use crate::meta::Meta;
use crate::migrate::Destination;
use crate::storage::TreeHead;

/// A database being written by a migration.
pub struct PgDestination {
    client: Client,
}

impl PgDestination {
    /// Connects, and makes the tables if need be.
    pub fn open(url: &str) -> Result<PgDestination> {
        let mut client = connect(url)?;
        client.batch_execute(SCHEMA)?;
        Ok(PgDestination { client })
    }
}

impl Destination for PgDestination {
    fn meta(&mut self) -> Result<Meta> {
        Ok(self
            .client
            .query("SELECT key, value FROM meta", &[])?
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    fn put_meta(&mut self, meta: &Meta) -> Result<()> {
        let mut tx = self.client.transaction()?;
        for (k, v) in meta.iter().filter(|(k, _)| *k != "schema_version") {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                &[k, v],
            )?;
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO NOTHING",
            &[&PG_SCHEMA_VERSION.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn leaf_count(&mut self) -> Result<u64> {
        let r =
            self.client.query_one("SELECT COUNT(*), COALESCE(MAX(idx) + 1, 0) FROM leaves", &[])?;
        let (n, max): (i64, i64) = (r.get(0), r.get(1));
        if n != max {
            return Err(LedgerError::Corrupt(format!(
                "the destination's leaves are not contiguous ({n} rows, up to index {max})"
            )));
        }
        sql_u64(n)
    }

    fn put_leaves(&mut self, leaves: &[(u64, Vec<u8>)]) -> Result<()> {
        let mut tx = self.client.transaction()?;
        {
            let sink = tx.copy_in("COPY leaves (idx, leaf) FROM STDIN (FORMAT binary)")?;
            let mut rows = BinaryCopyInWriter::new(sink, &[Type::INT8, Type::BYTEA]);
            for (i, leaf) in leaves {
                rows.write(&[&(*i as i64), leaf])?;
            }
            rows.finish()?;
        }
        tx.commit()?;
        Ok(())
    }

    fn put_tiles(&mut self, rows: &[(u32, u64, Vec<u8>)]) -> Result<()> {
        let ids: Vec<i64> = rows.iter().map(|(l, t, _)| tile_id(*l, t * 256)).collect();
        let hashes: Vec<&[u8]> = rows.iter().map(|(_, _, h)| h.as_slice()).collect();
        self.client.execute(
            "INSERT INTO tiles (id, hashes) SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[])
             ON CONFLICT (id) DO UPDATE SET hashes = EXCLUDED.hashes",
            &[&ids, &hashes],
        )?;
        Ok(())
    }

    fn checkpoints(&mut self) -> Result<Vec<(u64, Hash)>> {
        self.client
            .query("SELECT size, root FROM checkpoints ORDER BY size", &[])?
            .into_iter()
            .map(|r| Ok((sql_u64(r.get(0))?, hash_from(r.get(1), "checkpoint root")?)))
            .collect()
    }

    fn put_checkpoints(&mut self, rows: &[(u64, Hash, String, u64)]) -> Result<()> {
        let sizes: Vec<i64> = rows.iter().map(|r| r.0 as i64).collect();
        let roots: Vec<&[u8]> = rows.iter().map(|r| &r.1.0[..]).collect();
        let notes: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
        let ms: Vec<i64> = rows.iter().map(|r| r.3 as i64).collect();
        self.client.execute(
            "INSERT INTO checkpoints (size, root, note, signed_ms)
             SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::TEXT[], $4::BIGINT[])
             ON CONFLICT (size) DO NOTHING",
            &[&sizes, &roots, &notes, &ms],
        )?;
        Ok(())
    }

    fn finish(&mut self, head: TreeHead) -> Result<()> {
        self.client.execute(
            "INSERT INTO head (size, root) VALUES ($1, $2)
             ON CONFLICT (one) DO UPDATE SET size = EXCLUDED.size, root = EXCLUDED.root
             WHERE head.size <= EXCLUDED.size",
            &[&(head.size as i64), &&head.root.0[..]],
        )?;
        Ok(())
    }
}
