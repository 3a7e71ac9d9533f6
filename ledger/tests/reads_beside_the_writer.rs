//! Reads beside a writer that keeps appending: `Store::snapshot` sees one
//! log throughout, and audits of either scope pass (their threads read over
//! connections of their own, with snapshots newer than the audit's).

use std::sync::Arc;

use ledger::{Ledger, ManualClock, Store};
use sha2::{Digest, Sha256};
use verifier::Hash;
use verifier::event::{Body, Content, Document, DocumentType};

fn content(i: u64) -> Content {
    Content {
        tender: "ZB2026-00001".into(),
        principal: "test".into(),
        body: Body::Document(Document::new(
            DocumentType::Bid,
            Hash(Sha256::digest(i.to_be_bytes()).into()),
            1 + i,
            "application/pdf",
        )),
    }
}

#[test]
fn a_snapshot_does_not_see_appends_made_during_it() {
    let dir = tempfile::tempdir().unwrap();
    ledger::init(dir.path(), "test.example/log", &ManualClock::new(0)).unwrap();
    let mut ledger = Ledger::open(dir.path(), Arc::new(ManualClock::new(1))).unwrap();
    ledger.append(vec![content(0)]).unwrap();
    let store = Store::open(dir.path()).unwrap();
    let (before, during) = store
        .snapshot(|s| -> ledger::Result<(u64, u64)> {
            let before = s.tree_size()?;
            ledger.append(vec![content(1), content(2)])?;
            // Nested: runs in the transaction already open.
            let during = s.snapshot(|s| s.tree_size())?;
            assert!(s.inclusion_proof(0, 3).is_err(), "size 3 is beyond the snapshot");
            Ok((before, during))
        })
        .unwrap();
    assert_eq!((before, during), (1, 1));
    // Outside the snapshot every query sees the newest log again.
    assert_eq!(store.tree_size().unwrap(), 3);
    assert_eq!(store.inclusion_proof(0, 3).unwrap().len(), 2);
}

#[test]
fn audits_pass_while_the_writer_appends() {
    let dir = tempfile::tempdir().unwrap();
    ledger::init(dir.path(), "test.example/log", &ManualClock::new(0)).unwrap();
    let mut ledger = Ledger::open(dir.path(), Arc::new(ManualClock::new(1))).unwrap();
    ledger.append((0..5000).map(content).collect()).unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut i = 5000;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                ledger.append((i..i + 50).map(content).collect()).unwrap();
                i += 50;
            }
            i
        })
    };
    let mut sizes = Vec::new();
    for round in 0..12 {
        let scope =
            if round % 2 == 0 { ledger::AuditScope::Full } else { ledger::AuditScope::Integrity };
        let report = ledger::audit_scope(dir.path(), scope, &mut |_, _| {})
            .unwrap_or_else(|e| panic!("round {round} ({scope:?}): {e}"));
        sizes.push(report.entries);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.join().unwrap();
    assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");
    assert!(sizes.last() > sizes.first(), "the writer never ran beside an audit: {sizes:?}");
    let last = ledger::audit(dir.path(), &mut |_, _| {}).unwrap();
    assert_eq!(last.entries, written);
}
