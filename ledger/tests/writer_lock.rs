//! One writer per data directory, even when `writer.lock` is deleted under
//! a running writer: the directory itself is locked too.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use ledger::{Ledger, LedgerError, ManualClock};

#[test]
fn a_second_writer_is_refused_even_without_the_lock_file() {
    let dir = tempfile::tempdir().unwrap();
    ledger::init(dir.path(), "lock.tenderlog.example/log", &ManualClock::new(1)).unwrap();
    let clock = Arc::new(ManualClock::new(2));
    let first = Ledger::open(dir.path(), clock.clone()).unwrap();
    let second = Ledger::open(dir.path(), clock.clone()).err().unwrap();
    assert!(matches!(second, LedgerError::Locked { .. }), "{second}");
    std::fs::remove_file(ledger::store::lock_path(dir.path())).unwrap();
    let third = Ledger::open(dir.path(), clock.clone()).err().unwrap();
    assert!(matches!(third, LedgerError::Locked { .. }), "{third}");
    drop(first);
    // Once the first writer is gone, the next one opens (and makes a new lock file).
    Ledger::open(dir.path(), clock).unwrap();
    assert!(ledger::store::lock_path(dir.path()).exists());
}
