//! Shared helpers for tenderlog's end-to-end tests: where the published test
//! vectors live, and how to run the built `tenderlog` binary.

use std::path::PathBuf;

pub mod events;
pub mod faults;
pub mod fixtures;
pub mod help;
pub mod pg;

/// The shared vectors folder: `$TLOG_VECTORS_DIR`, else `../shared/vectors`
/// beside the repository. `None` (and a note on stderr) when it is absent.
pub fn vectors_dir(what: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("TLOG_VECTORS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors"));
    if dir.is_dir() {
        Some(dir)
    } else {
        skipped(&format!("{what}: vector folder {} is absent", dir.display()));
        None
    }
}

/// Says, where `cargo test` shows it, that a test skipped something and
/// why: a line `SKIPPED: …` written to the process's stderr handle, which
/// the test harness does not capture (it captures only `eprintln!`), so a
/// skip is never silent. CI sets `TENDERLOG_REQUIRE_FIXTURES` and fails
/// instead where a fixture's tool is missing.
pub fn skipped(why: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {why}");
}

/// A tool a test needs is missing: fails where `TENDERLOG_REQUIRE_FIXTURES`
/// is set (CI), else says the test skipped and why ([`skipped`]).
pub fn tool_missing(why: &str) {
    assert!(
        std::env::var_os("TENDERLOG_REQUIRE_FIXTURES").is_none(),
        "TENDERLOG_REQUIRE_FIXTURES is set but {why}"
    );
    skipped(why);
}
