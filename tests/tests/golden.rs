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
use verifier::checkpoint::{Checkpoint, SignedCheckpoint};
use verifier::event::{
    Body, Bytes, CertKind, CertificateEvent, Document, DocumentType, Event, EventLink, Lifecycle,
    Schedule,
};
use verifier::note::NoteSigner;
use verifier::{Hash, leaf_hash};

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

fn h(byte: u8) -> Hash {
    Hash([byte; 32])
}

fn document_event() -> Event {
    Event {
        v: 1,
        tender: "ZB2026-001 第一标段".into(),
        seq: 3,
        prev_tender: Some(EventLink { index: 40, leaf_hash: h(0x11) }),
        prev_leaf: Some(h(0x22)),
        received_ms: 1_798_000_000_123,
        principal: "bidder-a".into(),
        body: Body::Document(Document {
            document_type: DocumentType::Bid,
            sha256: h(0x33),
            sm3: Some(h(0x44)),
            size: 1_234_567,
            media_type: "application/ofd".into(),
            title: Some("投标文件".into()),
            signatures: Vec::new(),
            timestamps: Vec::new(),
            seals: Vec::new(),
            received_timestamp: None,
        }),
        policy: None,
    }
}

fn schedule_event() -> Event {
    Event {
        v: 1,
        tender: "ZB2026-001".into(),
        seq: 0,
        prev_tender: None,
        prev_leaf: None,
        received_ms: 0,
        principal: "agency-01".into(),
        body: Body::Schedule(Schedule {
            bid_deadline_ms: 1_798_000_000_000,
            opening_ms: 1_798_000_000_000,
        }),
        policy: None,
    }
}

fn certificate_event() -> Event {
    // A self-signed Ed25519 trader certificate made once with openssl for this
    // golden file (tests/golden/trader-cert.der, the project's own fixture).
    let der =
        std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden/trader-cert.der"))
            .unwrap();
    Event {
        v: 1,
        tender: verifier::event::cert_tender(&verifier::pki::fingerprint_of(&der)),
        seq: 0,
        prev_tender: None,
        prev_leaf: Some(h(0x66)),
        received_ms: 1_798_000_000_456,
        principal: "ca-registry".into(),
        body: Body::Certificate(CertificateEvent {
            der: Bytes(der),
            cert_kind: CertKind::Trader,
            uscc: Some("91350100M000100Y43".into()),
            unit_name: Some("某某建设有限公司".into()),
            resident_id: None,
            lifecycle: Lifecycle::Issued,
            effective_ms: 1_798_000_000_000,
        }),
        policy: None,
    }
}

/// A signed, stamped document under a rule pack: the signature and token
/// bytes are placeholders (the format pins where they go, not their validity).
fn signed_document_event() -> Event {
    use verifier::event::{DocSignature, SignatureFormat};
    let mut e = document_event();
    e.seq = 2;
    e.prev_tender = Some(EventLink { index: 41, leaf_hash: h(0x41) });
    if let Body::Document(d) = &mut e.body {
        d.signatures = vec![
            DocSignature {
                format: SignatureFormat::Raw,
                cert: h(0xc1),
                sm2_id: None,
                value: Bytes(vec![0x30; 70]),
            },
            DocSignature {
                format: SignatureFormat::Cms,
                cert: h(0xc2),
                sm2_id: Some("bidder-a@example".into()),
                value: Bytes(vec![0x31; 40]),
            },
        ];
        d.timestamps = vec![Bytes(vec![0x32; 50])];
    }
    e.policy = Some(EventLink { index: 3, leaf_hash: h(0x03) });
    e
}

/// A document with e-seals and the platform's receipt token.
fn document_with_seals_event() -> Event {
    let mut e = signed_document_event();
    if let Body::Document(d) = &mut e.body {
        d.sm3 = Some(h(0x33));
        d.seals = vec![Bytes(vec![0x30; 60])];
        d.received_timestamp = Some(Bytes(vec![0x34; 50]));
    }
    e
}

/// A unit seal bound to a trader certificate (the seal is the demo's).
fn seal_binding_event() -> Event {
    let seal = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden/seal-v4.der"))
        .unwrap();
    let fp = verifier::pki::fingerprint_of(&seal);
    Event {
        v: 1,
        tender: verifier::event::seal_tender(&fp),
        seq: 0,
        prev_tender: None,
        prev_leaf: Some(h(0x05)),
        received_ms: 1_798_000_000_005,
        principal: "ca-registry".into(),
        body: Body::SealBinding(verifier::event::SealBinding {
            seal: Bytes(seal),
            role: verifier::policy::SealRole::UnitSeal,
            cert: h(0xc1),
            action: verifier::event::BindingAction::Bound,
            effective_ms: 1_797_000_000_000,
        }),
        policy: None,
    }
}

fn policy_event() -> Event {
    Event {
        v: 1,
        tender: "policy".into(),
        seq: 0,
        prev_tender: None,
        prev_leaf: Some(h(0x02)),
        received_ms: 1_798_000_000_003,
        principal: "operator".into(),
        body: Body::Policy(verifier::policy::RulePack::default_pack()),
        policy: None,
    }
}

fn rejection_event() -> Event {
    let Body::Document(d) = document_event().body else { unreachable!() };
    Event {
        v: 1,
        tender: "ZB2026-001".into(),
        seq: 3,
        prev_tender: Some(EventLink { index: 42, leaf_hash: h(0x42) }),
        prev_leaf: Some(h(0x42)),
        received_ms: 1_798_000_000_777,
        principal: "bidder-a".into(),
        body: Body::SubmissionRejected(verifier::event::Rejection::new(
            &d,
            "policy",
            "a bid needs a verified trusted timestamp; none was given",
        )),
        policy: None,
    }
}

#[test]
fn event_v1_leaves() {
    for (name, e) in [
        ("event-v1-document", document_event()),
        ("event-v1-schedule", schedule_event()),
        ("event-v1-certificate", certificate_event()),
        ("event-v1-signed-document", signed_document_event()),
        ("event-v1-policy", policy_event()),
        ("event-v1-submission-rejected", rejection_event()),
        ("event-v1-document-with-seals", document_with_seals_event()),
        ("event-v1-seal-binding", seal_binding_event()),
    ] {
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
