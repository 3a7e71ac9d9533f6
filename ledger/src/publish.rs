//! `tenderlog publish`: the log's read path as static files, exactly per
//! C2SP tlog-tiles — `checkpoint`, `tile/<L>/<N>[.p/<W>]` and
//! `tile/entries/<N>[.p/<W>]` — so any web server or CDN serves it and the
//! database is off the read path.
//!
//! Every file is written whole to a temporary name, synced and renamed into
//! place; a tile that exists is never written again (a full tile never
//! changes, a partial one neither: a bigger tree has another `.p/W`). The
//! checkpoint is replaced last, after every tile it needs is synced, so a
//! reader — or a publisher stopped at any moment — never sees a checkpoint
//! whose tiles are missing. Level-0 tiles are checked against the leaves
//! they are published with before they are written: what is published
//! stays forever.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use verifier::tiles::TilePath;

use crate::error::{LedgerError, Result};
use crate::store::Store;

/// What one publication did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Published {
    /// The tree size of the checkpoint now published.
    pub size: u64,
    /// Tiles and entry bundles written (those already there are kept).
    pub written: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Whether the checkpoint file changed.
    pub checkpoint_replaced: bool,
}

/// Publishes a log into one directory, again and again as it grows.
#[derive(Debug)]
pub struct Publisher {
    out: PathBuf,
    /// The size whose tiles are all known to be on disk (this process wrote
    /// or found them).
    done: u64,
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> LedgerError + use<> {
    let path = path.to_owned();
    move |source| LedgerError::Io { action, path, source }
}

impl Publisher {
    /// A publisher into `out` (created if need be). Its first publication
    /// looks at every tile, keeping those already there.
    pub fn new(out: &Path) -> Result<Publisher> {
        std::fs::create_dir_all(out.join("tile")).map_err(io("create", out))?;
        Ok(Publisher { out: out.to_owned(), done: 0 })
    }

    /// Publishes the checkpoint `note` (of `size` leaves, signed by this
    /// log: the caller read it from `store`) and every tile it needs;
    /// `progress(done, total)` is told as tiles are written.
    pub fn publish(
        &mut self,
        store: &Store,
        note: &str,
        size: u64,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Published> {
        let checkpoint = self.out.join("checkpoint");
        if let Ok(old) = std::fs::read(&checkpoint) {
            // The folder holds this log, and its checkpoint only grows.
            let held = verifier::note::Note::parse(&old)
                .ok()
                .and_then(|n| verifier::checkpoint::Checkpoint::parse_text(&n.text).ok())
                .ok_or_else(|| {
                    LedgerError::Corrupt(format!("{}: not a checkpoint", checkpoint.display()))
                })?;
            if held.origin != store.origin() {
                return Err(LedgerError::Corrupt(format!(
                    "{} holds the log {:?}, not {:?}: publish into another folder",
                    self.out.display(),
                    held.origin,
                    store.origin()
                )));
            }
            if held.size > size {
                return Err(LedgerError::Corrupt(format!(
                    "{} already publishes size {}, above {size}: a published checkpoint never goes back",
                    self.out.display(),
                    held.size
                )));
            }
        }
        let mut report = Published { size, ..Published::default() };
        let tiles = crate::tiles::tiles_of(size, self.done.min(size));
        let total = tiles.len() as u64;
        let mut dirs = BTreeSet::new();
        for (k, tile) in tiles.into_iter().enumerate() {
            let path = self.out.join("tile").join(tile.to_path());
            if !path.exists() {
                let bytes = crate::tiles::tile_bytes(store, tile, size)?.ok_or_else(|| {
                    LedgerError::Corrupt(format!(
                        "the tree of {size} has no tile {}",
                        tile.to_path()
                    ))
                })?;
                if let TilePath::Hashes { level: 0, index, width } = tile {
                    check_level_zero(store, index, width, &bytes)?;
                }
                let dir = path.parent().unwrap_or(&self.out).to_owned();
                std::fs::create_dir_all(&dir).map_err(io("create", &dir))?;
                write_whole(&path, &bytes)?;
                dirs.insert(dir);
                report.written += 1;
                report.bytes += bytes.len() as u64;
            }
            progress(k as u64 + 1, total);
        }
        // The tiles' names are durable before the checkpoint that needs them.
        for d in &dirs {
            sync_dir(d)?;
        }
        let same = std::fs::read(&checkpoint).is_ok_and(|old| old == note.as_bytes());
        if !same {
            write_whole(&checkpoint, note.as_bytes())?;
            sync_dir(&self.out)?;
            report.checkpoint_replaced = true;
        }
        self.done = size;
        Ok(report)
    }
}

/// A level-0 tile holds the leaf hashes of the entries it is published with.
fn check_level_zero(store: &Store, index: u64, width: Option<u16>, bytes: &[u8]) -> Result<()> {
    let first = index * 256;
    for (k, hash) in bytes.chunks(32).enumerate() {
        let leaf = store.leaf(first + k as u64)?;
        if verifier::leaf_hash(&leaf).0 != hash {
            return Err(LedgerError::Corrupt(format!(
                "tile 0/{index}{}: hash {k} is not the hash of entry {}; run tenderlog audit",
                width.map_or(String::new(), |w| format!(".p/{w}")),
                first + k as u64
            )));
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file: synced, then renamed.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp).map_err(io("create", &tmp))?;
    f.write_all(bytes).map_err(io("write", &tmp))?;
    f.sync_all().map_err(io("sync", &tmp))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io("install", path))
}

fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io("sync", dir))
}
