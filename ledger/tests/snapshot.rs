//! `Store::snapshot`: every query inside one call sees the same log, even
//! while the writer appends.

use std::sync::Arc;

use ledger::{Ledger, ManualClock, Store};
use sha2::{Digest, Sha256};
use verifier::Hash;
use verifier::event::{Body, Content, Document, DocumentType};

fn content(i: u64) -> Content {
    Content {
        tender: "ZB2026-00001".into(),
        principal: "test".into(),
        body: Body::Document(Document {
            document_type: DocumentType::Bid,
            sha256: Hash(Sha256::digest(i.to_be_bytes()).into()),
            sm3: None,
            size: 1 + i,
            media_type: "application/pdf".into(),
            title: None,
            signatures: Vec::new(),
            timestamps: Vec::new(),
            seals: Vec::new(),
            received_timestamp: None,
        }),
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
