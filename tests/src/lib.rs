//! Shared helpers for tenderlog's end-to-end tests: where the published test
//! vectors live, and how to run the built `tenderlog` binary.

use std::path::PathBuf;

pub mod events;
pub mod faults;
pub mod fixtures;

/// The shared vectors folder: `$TLOG_VECTORS_DIR`, else `../shared/vectors`
/// beside the repository. `None` (and a note on stderr) when it is absent.
pub fn vectors_dir(what: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("TLOG_VECTORS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped {what}: vector folder {} is absent", dir.display());
        None
    }
}
