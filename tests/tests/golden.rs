//! Golden files pin every format tenderlog writes: the v1 event leaf, the
//! signed checkpoint note and verifier key, the signing-key file, and the
//! SQLite schemas of `tenderlog.db` and `index.db`. A change to any of them
//! fails here; a deliberate new format gets a new version and new files.
//!
//! To write the files after a deliberate format change:
//! `TENDERLOG_BLESS=1 cargo test -p tenderlog-tests --test golden`.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use ed25519_dalek::SigningKey;
use tenderlog_tests::events::h;
use verifier::checkpoint::{Checkpoint, SignedCheckpoint};
use verifier::event::Event;
use verifier::leaf_hash;
use verifier::note::NoteSigner;

fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden").join(name);
    if std::env::var_os("TENDERLOG_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("golden file {} is missing: {e}", path.display()));
    assert_eq!(actual, expected, "{name} changed: formats are forever (see this file's docs)");
}

#[test]
fn event_v1_leaves() {
    for (name, e) in tenderlog_tests::events::all() {
        let leaf = e.encode().unwrap();
        assert_eq!(Event::decode(&leaf).unwrap(), e);
        golden(&format!("{name}.cbor.hex"), &format!("{}\n", hex::encode(&leaf)));
        golden(&format!("{name}.leafhash"), &format!("{}\n", leaf_hash(&leaf)));
        golden(
            &format!("{name}.json"),
            &format!("{}\n", serde_json::to_string_pretty(&e.to_json()).unwrap()),
        );
    }
}

#[test]
fn checkpoint_note_and_keys() {
    let signer =
        NoteSigner::new("golden.tenderlog.example/log", SigningKey::from_bytes(&[0x42; 32]))
            .unwrap();
    let cp = Checkpoint::new("golden.tenderlog.example/log", 7, h(0x5a));
    let note = signer.sign(&cp.to_text()).unwrap();
    golden("checkpoint.note", &note);
    golden("log.vkey", &format!("{}\n", signer.verifier().vkey()));
    assert_eq!(
        SignedCheckpoint::verify(note.as_bytes(), &signer.verifier()).unwrap().checkpoint,
        cp
    );

    // The key file format: the golden file loads and is the same key.
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("log.key");
    std::fs::copy(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden/log.key"), &key_file)
        .unwrap();
    let loaded = ledger::keys::load(&key_file, "golden.tenderlog.example/log").unwrap();
    assert_eq!(loaded.verifier(), signer.verifier());
}

/// A checkpoint as a log with both keys signs it: the Ed25519 line, then the
/// ML-DSA-44 `subtree/v1` line (FIPS 204 deterministic signing, so the bytes
/// are fixed for a fixed key and time), and the ML-DSA-44 vkey.
#[test]
fn checkpoint_note_with_the_post_quantum_line() {
    let origin = "golden.tenderlog.example/log";
    let classic = NoteSigner::new(origin, SigningKey::from_bytes(&[0x42; 32])).unwrap();
    let pq = verifier::cosignature::Cosigner::mldsa44(origin, &[0x43; 32]).unwrap();
    let pq_key = pq.public().clone();
    let signer = ledger::keys::LogSigner::new(classic, Some(pq));
    let cp = Checkpoint::new(origin, 7, h(0x5a));
    let note = signer.sign_checkpoint(&cp.to_text(), 1_796_000_000_999).unwrap();
    golden("checkpoint-mldsa44.note", &note);
    golden("log-mldsa44.vkey", &format!("{}\n", pq_key.vkey()));
    // Readers of the Ed25519 key alone take it; readers of both check both.
    assert!(
        note.starts_with(
            &std::fs::read_to_string(
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden/checkpoint.note")
            )
            .unwrap()
        )
    );
    let keys = verifier::log_keys::LogKeys::from(signer.verifier()).with_post_quantum(vec![pq_key]);
    assert_eq!(SignedCheckpoint::verify(note.as_bytes(), &keys).unwrap().checkpoint, cp);
}

fn schema(db: &std::path::Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut st = conn
        .prepare("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
        .unwrap();
    let rows = st
        .query_map([], |r| {
            Ok(format!(
                "-- {} {}\n{};\n",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?
            ))
        })
        .unwrap();
    let page: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
    let mut out = format!("-- page_size {page}\n");
    for r in rows {
        out.push_str(&r.unwrap());
    }
    out
}

#[test]
fn store_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("log");
    ledger::init(&data, "golden.tenderlog.example/log", &ledger::ManualClock::new(0)).unwrap();
    drop(ledger::Ledger::open(&data, std::sync::Arc::new(ledger::ManualClock::new(0))).unwrap());
    golden("tenderlog.db.schema.sql", &schema(&data.join("tenderlog.db")));
    golden("index.db.schema.sql", &schema(&data.join("index.db")));
}
