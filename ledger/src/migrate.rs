//! `tenderlog migrate`: a log copied from one backend to the other — a
//! data directory's SQLite store into a PostgreSQL database, or back —
//! resumably, with every leaf, tile row and signed checkpoint as it was.
//!
//! The source is read in one snapshot (its newest checkpoint, of size S).
//! The copy goes in steps, each its own transaction, so an interrupted run
//! is continued by running it again: the identity (`meta` rows, which must
//! match a destination's own), the leaves the destination lacks (from its
//! leaf count up to S), every tile row of the tree of S (rows are upserted:
//! they only grow), every signed checkpoint up to S, and last the head —
//! until then no writer accepts the destination. Before anything is
//! written, every checkpoint the destination already holds must have the
//! source's root at its size: a destination that has diverged (another log,
//! or a copy written to since) is refused. Running it again after the
//! source grew copies only what is new.

use verifier::Hash;

use crate::error::{LedgerError, Result};
use crate::meta::Meta;
use crate::storage::{LogReader, LogSource, TreeHead};

/// Leaves copied per transaction.
const LEAF_CHUNK: u64 = 20_000;
/// Tile rows copied per transaction.
const TILE_CHUNK: usize = 2_000;

/// Where a log is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// A data directory's SQLite store.
    Dir(std::path::PathBuf),
    /// A PostgreSQL database (a `postgres://` URL or `key=value` settings).
    Postgres(String),
}

impl Place {
    /// A PostgreSQL address when `s` looks like one (`postgres://`,
    /// `postgresql://`, or `key=value` settings with a `host=` or
    /// `dbname=`), else a directory.
    pub fn parse(s: &str) -> Place {
        let pg = s.starts_with("postgres://")
            || s.starts_with("postgresql://")
            || s.split_whitespace().any(|w| w.starts_with("host=") || w.starts_with("dbname="));
        if pg { Place::Postgres(s.to_owned()) } else { Place::Dir(s.into()) }
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Dir(d) => write!(f, "{}", d.display()),
            // Settings may carry a password: name the database only.
            Place::Postgres(_) => f.write_str("the PostgreSQL database"),
        }
    }
}

/// Where a copy is written: what `migrate` needs of a backend.
pub trait Destination {
    /// Its meta rows (empty when it holds no log yet).
    fn meta(&mut self) -> Result<Meta>;
    /// Makes the tables (if need be) and writes the identity rows.
    fn put_meta(&mut self, meta: &Meta) -> Result<()>;
    /// How many leaves it holds, contiguous from 0.
    fn leaf_count(&mut self) -> Result<u64>;
    /// Adds leaves (the next ones), in one transaction.
    fn put_leaves(&mut self, leaves: &[(u64, Vec<u8>)]) -> Result<()>;
    /// Writes tile rows `(level, tile, hashes)`, replacing shorter ones,
    /// in one transaction.
    fn put_tiles(&mut self, rows: &[(u32, u64, Vec<u8>)]) -> Result<()>;
    /// The signed checkpoints it holds, `(size, root)`.
    fn checkpoints(&mut self) -> Result<Vec<(u64, Hash)>>;
    /// Adds signed checkpoints `(size, root, note, signed_ms)` it lacks, in
    /// one transaction.
    fn put_checkpoints(&mut self, rows: &[(u64, Hash, String, u64)]) -> Result<()>;
    /// Marks the copy complete up to `head`.
    fn finish(&mut self, head: TreeHead) -> Result<()>;
}

/// What a migration did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Migrated {
    /// The size of the source's newest checkpoint: the copy's head.
    pub size: u64,
    /// Its root.
    pub root: String,
    /// Leaves copied by this run (the rest were there).
    pub leaves_copied: u64,
    /// Tile rows written.
    pub tile_rows: u64,
    /// Signed checkpoints in the copy.
    pub checkpoints: u64,
}

/// Copies the log at `from` to `to`; `progress(done, total)` is told the
/// leaves copied.
pub fn migrate(from: &Place, to: &Place, progress: &mut dyn FnMut(u64, u64)) -> Result<Migrated> {
    if from == to {
        return Err(LedgerError::Corrupt("--from and --to are the same place".into()));
    }
    let meta = match from {
        Place::Dir(d) => crate::sqlite::migrate::meta_of(d)?,
        Place::Postgres(u) => crate::postgres::meta_of(u)?,
    };
    let mut dest: Box<dyn Destination> = match to {
        Place::Dir(d) => Box::new(crate::sqlite::migrate::SqliteDestination::open(d)?),
        Place::Postgres(u) => Box::new(crate::postgres::migrate::PgDestination::open(u)?),
    };
    match from {
        Place::Dir(d) => {
            let mut r = crate::sqlite::audit::SqliteSource::new(d).reader()?;
            copy(&meta, &mut r, dest.as_mut(), progress)
        }
        Place::Postgres(u) => {
            let mut r = crate::postgres::PgSource::new(u).reader()?;
            copy(&meta, &mut r, dest.as_mut(), progress)
        }
    }
}

fn copy(
    meta: &Meta,
    src: &mut dyn LogReader,
    dest: &mut dyn Destination,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Migrated> {
    let head = src.latest()?;
    let size = head.size;

    // The identity: the same log, or none yet.
    let held = dest.meta()?;
    let same = |k: &str| held.get(k) == meta.get(k);
    let ours = held.is_empty() || (same("origin") && same("vkey"));
    if !ours {
        return Err(LedgerError::Corrupt(format!(
            "the destination holds another log ({:?}), not {:?}",
            held.get("origin").map_or("", String::as_str),
            meta.get("origin").map_or("", String::as_str)
        )));
    }
    // Every checkpoint the destination holds must be the source's.
    let mut ours = std::collections::BTreeMap::new();
    src.checkpoints(0, size, &mut |s, root, _| {
        ours.insert(s, root);
        Ok(())
    })?;
    for (s, root) in dest.checkpoints()? {
        if ours.get(&s) != Some(&root) {
            return Err(LedgerError::Corrupt(format!(
                "the destination's checkpoint of size {s} is not the source's: it has diverged (written to since, or another log); copy into an empty one"
            )));
        }
    }
    dest.put_meta(meta)?;

    // The leaves it lacks.
    let mut report = Migrated { size, root: head.root.to_hex(), ..Migrated::default() };
    let mut next = dest.leaf_count()?;
    if next > size {
        return Err(LedgerError::Corrupt(format!(
            "the destination holds {next} leaves, more than the source's {size}"
        )));
    }
    while next < size {
        let end = size.min(next + LEAF_CHUNK);
        let mut chunk = Vec::with_capacity((end - next) as usize);
        src.leaves(next, end, &mut |i, leaf| {
            chunk.push((i, leaf.to_vec()));
            Ok(())
        })?;
        if chunk.len() as u64 != end - next {
            return Err(LedgerError::Corrupt(format!("the source lacks leaves in {next}..{end}")));
        }
        dest.put_leaves(&chunk)?;
        report.leaves_copied += chunk.len() as u64;
        next = end;
        progress(next, size);
    }

    // Every tile row of the tree of `size`, level by level.
    let mut rows = Vec::new();
    for level in 0..64u32 {
        let nodes = size >> level;
        if nodes == 0 {
            break;
        }
        for tile in 0..nodes.div_ceil(256) {
            let row = src.tile(level, tile)?.ok_or_else(|| {
                LedgerError::Corrupt(format!("the source has no tile row {level}/{tile}"))
            })?;
            rows.push((level, tile, row));
            if rows.len() == TILE_CHUNK {
                report.tile_rows += rows.len() as u64;
                dest.put_tiles(&std::mem::take(&mut rows))?;
            }
        }
    }
    report.tile_rows += rows.len() as u64;
    dest.put_tiles(&rows)?;

    // The signed checkpoints, oldest first; the head last.
    let mut cps = Vec::new();
    src.checkpoints(0, size, &mut |s, root, note| {
        cps.push((s, root, note.to_owned(), 0));
        Ok(())
    })?;
    for cp in &mut cps {
        cp.3 = src.signed_ms(cp.0)?.unwrap_or(0);
    }
    report.checkpoints = cps.len() as u64;
    for chunk in cps.chunks(TILE_CHUNK) {
        dest.put_checkpoints(chunk)?;
    }
    dest.finish(head)?;
    Ok(report)
}
