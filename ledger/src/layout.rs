//! The storage layout every backend shares: tree nodes kept in tile rows of
//! 256 hashes (`id = level << 56 | index >> 8`), rows that only grow at
//! their end, and how a batch's new nodes extend them.

use std::collections::HashMap;

use verifier::Hash;

use crate::error::{LedgerError, Result};

/// Hashes per tile row.
pub const TILE_WIDTH: u64 = 256;

/// The tile row id of node `(level, index)`.
pub(crate) fn tile_id(level: u32, index: u64) -> i64 {
    (((level as u64) << 56) | (index / TILE_WIDTH)) as i64
}

/// A stored integer that must not be negative.
pub(crate) fn sql_u64(v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| LedgerError::Corrupt(format!("negative integer {v} in store")))
}

/// A stored hash that must be 32 bytes.
pub(crate) fn hash_from(bytes: &[u8], what: &str) -> Result<Hash> {
    Hash::from_slice(bytes).map_err(|_| LedgerError::Corrupt(format!("{what} is not 32 bytes")))
}

/// The ids of the rows a batch's `nodes` continue rather than start: the
/// rows a backend must read before [`extend_rows`].
pub(crate) fn continued_rows(nodes: &[(u32, u64, Hash)]) -> Vec<i64> {
    let mut seen = std::collections::HashSet::new();
    nodes
        .iter()
        .filter(|(level, index, _)| seen.insert(tile_id(*level, *index)) && index % TILE_WIDTH != 0)
        .map(|(level, index, _)| tile_id(*level, *index))
        .collect()
}

/// Appends the batch's new complete-subtree hashes to their rows: `rows`
/// holds the stored rows they continue, and comes back with every touched
/// row as it must be written. New nodes arrive in index order per level,
/// so a row only grows at its end; one that does not end where the next
/// node goes is a corrupt store.
pub(crate) fn extend_rows(
    mut rows: HashMap<i64, Vec<u8>>,
    nodes: &[(u32, u64, Hash)],
) -> Result<HashMap<i64, Vec<u8>>> {
    for (level, index, hash) in nodes {
        let id = tile_id(*level, *index);
        let slot = (index % TILE_WIDTH) as usize;
        let row = rows.entry(id).or_default();
        if row.len() != slot * 32 {
            return Err(LedgerError::Corrupt(format!(
                "tile row for level {level}, index {index} holds {} bytes, expected {}",
                row.len(),
                slot * 32
            )));
        }
        row.extend_from_slice(&hash.0);
    }
    Ok(rows)
}
