//! `tenderlog backup`: a copy of a data directory, taken while the server
//! runs, that `serve` and `audit` take as they are.
//!
//! What is copied, in this order: the checkpoint timestamps and the
//! cosigned checkpoints (first: every stamp and cosignature in the copy is
//! then of a checkpoint the copied log covers, since the log only grows),
//! the log, the API tokens, then the signing key, the
//! commitment key, the verifier key, the trusted roots and the local TSA.
//! Each database is one consistent snapshot (`VACUUM INTO`). The index is
//! left out: the ledger rebuilds it from the leaves. Everything is fsynced
//! before the command answers; key files keep their 0600 mode.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{LedgerError, Result};

/// What a backup holds.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BackupReport {
    /// The backup directory.
    pub dir: PathBuf,
    /// The tree size of the copy's newest checkpoint.
    pub tree_size: u64,
    /// That checkpoint, the signed note.
    pub checkpoint: String,
    /// The files written, relative to the backup directory.
    pub files: Vec<PathBuf>,
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> LedgerError + use<> {
    let path = path.to_owned();
    move |source| LedgerError::Io { action, path, source }
}

/// Backs up the data directory `dir` into the new directory `to` (absent,
/// or empty).
pub fn backup(dir: &Path, to: &Path) -> Result<BackupReport> {
    if !crate::store::db_path(dir).is_file() {
        return Err(LedgerError::Io {
            action: "back up",
            path: dir.to_owned(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no tenderlog store here (tenderlog.db is missing)",
            ),
        });
    }
    let empty = fs::read_dir(to).map(|mut entries| entries.next().is_none());
    match empty {
        Ok(false) => {
            return Err(LedgerError::Io {
                action: "back up into",
                path: to.to_owned(),
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "the folder is not empty; give a new one",
                ),
            });
        }
        Ok(true) => {}
        Err(_) => create_private_dir(to)?,
    }
    let mut files = Vec::new();
    // Databases: the stamps and cosignatures before the log (see the module docs).
    for name in [
        crate::sqlite::stamps::stamps_path(dir),
        crate::sqlite::cosigned::cosigned_path(dir),
        crate::store::db_path(dir),
        crate::sqlite::tokens::tokens_path(dir),
    ] {
        if !name.is_file() {
            continue;
        }
        let rel = rel(dir, &name);
        let dst = to.join(&rel);
        crate::sqlite::backup::copy_database(&name, &dst)?;
        sync_file(&dst)?;
        files.push(rel);
    }
    // Keys and roots, as they are (modes kept).
    for name in [
        crate::store::key_path(dir),
        dir.join("commit.key"),
        crate::store::vkey_path(dir),
        crate::keys::post_quantum_key_path(dir),
        crate::keys::post_quantum_vkey_path(dir),
        dir.join("trust"),
        crate::tsa::tsa_dir(dir),
    ] {
        copy_tree(dir, &name, to, &mut files)?;
    }
    sync_dir(to)?;
    let store = crate::store::Store::open(to)?;
    let latest = store.latest_checkpoint()?;
    Ok(BackupReport {
        dir: to.to_owned(),
        tree_size: latest.checkpoint.size,
        checkpoint: latest.note,
        files,
    })
}

fn rel(dir: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(dir).map(Path::to_path_buf).unwrap_or_else(|_| path.to_path_buf())
}

/// Copies the file or folder `path` (under `dir`) to the same place under
/// `to`, when it exists.
fn copy_tree(dir: &Path, path: &Path, to: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let Ok(meta) = fs::metadata(path) else { return Ok(()) };
    let rel = rel(dir, path);
    let dst = to.join(&rel);
    if meta.is_dir() {
        create_private_dir(&dst)?;
        let mut entries: Vec<_> = fs::read_dir(path)
            .map_err(io("read", path))?
            .filter_map(std::result::Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for e in entries {
            copy_tree(dir, &e, to, files)?;
        }
        sync_dir(&dst)?;
    } else if meta.is_file() {
        fs::copy(path, &dst).map_err(io("copy", path))?;
        sync_file(&dst)?;
        files.push(rel);
    }
    Ok(())
}

fn create_private_dir(path: &Path) -> Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        b.mode(0o700);
    }
    b.create(path).map_err(io("create", path))
}

fn sync_file(path: &Path) -> Result<()> {
    fs::File::open(path).and_then(|f| f.sync_all()).map_err(io("sync", path))
}

fn sync_dir(path: &Path) -> Result<()> {
    fs::File::open(path).and_then(|f| f.sync_all()).map_err(io("sync", path))
}
