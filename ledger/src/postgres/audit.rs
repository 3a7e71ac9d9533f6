//! The audit of a log in PostgreSQL: the checks of [`crate::audit`] over
//! its tables, and what only a store has to check, as for a data directory
//! (`crate::sqlite::audit`): no leaf, checkpoint or tile row beyond the tree
//! its newest checkpoint covers, and the lookup tables equal to what the
//! leaves imply (compared as multiset digests, streamed, never loaded).

use std::sync::atomic::{AtomicBool, Ordering};

use postgres::types::Type;
use postgres::{Client, fallible_iterator::FallibleIterator as _};
use verifier::check::CheckName;

use super::{PgSource, connect};
use crate::audit::{AuditReport, AuditScope, Extents, INDEX_TABLES, RowSet, fail};
use crate::error::Result;
use crate::layout::sql_u64;
use crate::storage::LogSource as _;

/// Audits the log at `url` with the checks of `scope` (as `tenderlog audit
/// --data` does a data directory's).
pub fn audit(
    url: &str,
    scope: AuditScope,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<AuditReport> {
    let (_, keys) = crate::meta::log_keys(&super::meta_of(url)?)?;
    let source = PgSource::new(url);
    // What the lookup tables cover, read before the log's snapshot is
    // taken: the follower indexes only committed entries, so it is no more
    // than that snapshot holds.
    let indexed = match scope {
        AuditScope::Full => indexed_upto(&mut connect(url)?)?,
        AuditScope::Integrity => 0,
    };
    let mut main = source.reader()?;
    let scan = |stop: &AtomicBool| scan_index(url, indexed, stop);
    let full = scope == AuditScope::Full;
    crate::audit::audit_store(
        &source,
        &mut main,
        &keys,
        scope,
        indexed,
        full.then_some(&scan as crate::audit::IndexScan<'_>),
        &mut |main, pass| {
            let total = pass.head.size;
            crate::audit::check_extents(&extents(&mut main.client, total)?, total, pass)
        },
        progress,
    )
}

fn indexed_upto(client: &mut Client) -> Result<u64> {
    sql_u64(client.query_one("SELECT upto FROM index_state", &[])?.get(0))
}

/// What the log's snapshot holds beyond the tree of `total` entries.
fn extents(client: &mut Client, total: u64) -> Result<Extents> {
    let leaves_beyond =
        client.query_one("SELECT COUNT(*) FROM leaves WHERE idx >= $1", &[&(total as i64)])?.get(0);
    let checkpoints = client.query_one("SELECT COUNT(*) FROM checkpoints", &[])?.get(0);
    let tiles = client
        .query("SELECT id, length(hashes)::BIGINT FROM tiles", &[])?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    Ok(Extents { leaves_beyond, checkpoints, tiles })
}

/// Sums the rows of each lookup table for entries `[0, indexed)`, streamed
/// from one snapshot of its own. The snapshot may be newer than the
/// audit's: the follower only ever adds rows, for entries it had not
/// covered, so rows below `indexed` are the same in both; a row of an entry
/// beyond what the tables say they cover is a finding.
fn scan_index(url: &str, indexed: u64, stop: &AtomicBool) -> Result<[RowSet; 4]> {
    let mut client = connect(url)?;
    let mut tx = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    let covers = sql_u64(tx.query_one("SELECT upto FROM index_state", &[])?.get(0))?;
    if covers < indexed {
        return Err(fail(
            CheckName::IndexExtent,
            None,
            format!(
                "the lookup tables went from {indexed} to {covers} entries during the audit; run it again"
            ),
        ));
    }
    let mut sets = [RowSet::default(); 4];
    for ((check, table, columns), set) in INDEX_TABLES.iter().zip(sets.iter_mut()) {
        let sql = format!("SELECT {} FROM {table}", columns.join(", "));
        let mut rows = tx.query_raw(&sql, std::iter::empty::<i64>())?;
        while let Some(r) = rows.next()? {
            if stop.load(Ordering::Relaxed) {
                return Ok([RowSet::default(); 4]);
            }
            let cols = columns.len();
            // Integers as 8 big-endian bytes, text as its bytes, as the
            // leaves' implied rows are summed.
            let mut ints = [[0u8; 8]; 3];
            for (c, int) in ints.iter_mut().enumerate().take(cols) {
                if *r.columns()[c].type_() == Type::INT8 {
                    *int = (r.get::<_, i64>(c) as u64).to_be_bytes();
                }
            }
            let idx = u64::from_be_bytes(ints[cols - 1]);
            if idx >= covers {
                return Err(fail(
                    *check,
                    Some(idx),
                    format!(
                        "a row for entry {idx}, beyond the {covers} entries the lookup tables cover"
                    ),
                ));
            }
            if idx >= indexed {
                continue;
            }
            let texts: Vec<&str> = (0..cols)
                .map(|c| if *r.columns()[c].type_() == Type::INT8 { "" } else { r.get(c) })
                .collect();
            let mut parts: [&[u8]; 3] = [&[]; 3];
            for (c, part) in parts.iter_mut().enumerate().take(cols) {
                *part = if *r.columns()[c].type_() == Type::INT8 {
                    &ints[c]
                } else {
                    texts[c].as_bytes()
                };
            }
            set.add(&parts[..cols]);
        }
    }
    Ok(sets)
}
