//! C2SP tlog-tiles read from a store: one tile's or entry bundle's bytes,
//! for the server's read path (`GET /tile/…`) and for `tenderlog publish`,
//! so both give the same bytes.
//!
//! Level-L tiles are the stored rows of tree level 8·L. A full tile (256
//! hashes or entries) never changes; a partial tile `.p/W` is the first W
//! of its row, which never change either once they exist.

use verifier::tiles::{TilePath, encode_entry_bundle};

use crate::error::{LedgerError, Result};
use crate::store::Store;

/// The bytes of `tile` in the tree of `size` leaves, or `None` when that
/// tree has no such tile (yet).
pub fn tile_bytes(store: &Store, tile: TilePath, size: u64) -> Result<Option<Vec<u8>>> {
    match tile {
        TilePath::Hashes { level, index, width } => {
            let want = u64::from(width.unwrap_or(256));
            // Complete level-8L nodes in the tree of `size` leaves.
            let nodes = size.checked_shr(8 * u32::from(level)).unwrap_or(0);
            if index.saturating_mul(256).saturating_add(want) > nodes {
                return Ok(None);
            }
            let row = store.tile(8 * u32::from(level), index)?.ok_or_else(|| {
                LedgerError::Corrupt(format!(
                    "tile row {}/{index} is missing; run tenderlog audit",
                    8 * u32::from(level)
                ))
            })?;
            let end = want as usize * 32;
            let bytes = row.get(..end).ok_or_else(|| {
                LedgerError::Corrupt(format!(
                    "tile row {}/{index} is short; run tenderlog audit",
                    8 * u32::from(level)
                ))
            })?;
            Ok(Some(bytes.to_vec()))
        }
        TilePath::Entries { index, width } => {
            let want = u64::from(width.unwrap_or(256));
            let first = index.saturating_mul(256);
            if first.saturating_add(want) > size {
                return Ok(None);
            }
            let leaves =
                (first..first + want).map(|i| store.leaf(i)).collect::<Result<Vec<_>>>()?;
            let refs: Vec<&[u8]> = leaves.iter().map(Vec::as_slice).collect();
            encode_entry_bundle(&refs)
                .map(Some)
                .map_err(|e| LedgerError::Corrupt(format!("couldn't frame entries: {e}")))
        }
    }
}

/// Every tile and entry bundle of the tree of `size` leaves, in C2SP
/// terms: each level's full tiles, then its partial one, from level 0 up;
/// then the entry bundles. Full tiles of a smaller tree of `done` leaves
/// are left out (a publisher already has them).
pub fn tiles_of(size: u64, done: u64) -> Vec<TilePath> {
    let mut out = Vec::new();
    let mut level: u8 = 0;
    loop {
        let shift = 8 * u32::from(level);
        let nodes = size.checked_shr(shift).unwrap_or(0);
        if nodes == 0 {
            break;
        }
        let had_full = done.checked_shr(shift).unwrap_or(0) / 256;
        let (full, partial) = (nodes / 256, nodes % 256);
        for index in had_full..full {
            out.push(TilePath::Hashes { level, index, width: None });
            if level == 0 {
                out.push(TilePath::Entries { index, width: None });
            }
        }
        if partial > 0 {
            let width = Some(partial as u16);
            out.push(TilePath::Hashes { level, index: full, width });
            if level == 0 {
                out.push(TilePath::Entries { index: full, width });
            }
        }
        level += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use verifier::tiles::tile_width_at;

    /// The list agrees with `tile_width_at`, tile by tile, and leaves out
    /// exactly the full tiles a smaller tree already had.
    #[test]
    fn the_tiles_of_a_tree_are_those_tile_width_at_names() {
        for size in [0, 1, 255, 256, 257, 511, 512, 65_535, 65_536, 65_537, 70_000] {
            let all = tiles_of(size, 0);
            for t in &all {
                let (level, index, width) = match *t {
                    TilePath::Hashes { level, index, width } => (level, index, width),
                    TilePath::Entries { index, width } => (0, index, width),
                };
                let w = tile_width_at(level, index, size).unwrap();
                assert_eq!(width.unwrap_or(256), w, "{size}: {t:?}");
            }
            for level in 0..3u8 {
                for index in 0..300 {
                    if let Some(w) = tile_width_at(level, index, size) {
                        let width = (w < 256).then_some(w);
                        assert!(all.contains(&TilePath::Hashes { level, index, width }));
                    }
                }
            }
            for done in [0, 1, 256, 300, size] {
                let done = done.min(size);
                let rest = tiles_of(size, done);
                let had = tiles_of(done, 0);
                for t in &all {
                    let full = matches!(
                        t,
                        TilePath::Hashes { width: None, .. }
                            | TilePath::Entries { width: None, .. }
                    );
                    assert_eq!(
                        rest.contains(t),
                        !(full && had.contains(t)),
                        "{size} after {done}: {t:?}"
                    );
                }
            }
        }
    }
}
