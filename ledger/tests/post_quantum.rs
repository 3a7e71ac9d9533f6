//! The log's ML-DSA-44 checkpoint signature (C2SP tlog-checkpoint's
//! recommendation): every checkpoint carries it beside the Ed25519 one; a
//! reader that does not anchor the key ignores its line, one that does
//! requires it; bundles propose both keys; the key survives an Ed25519 key
//! rotation, and a key file that is not the store's is refused at open.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;

use ledger::ManualClock;
use verifier::bundle::Selection;
use verifier::checkpoint::SignedCheckpoint;
use verifier::cosignature::CosignerKey;
use verifier::log_keys::{LogAnchor, LogKeys};
use verifier::note::{Note, NoteVerifier};
use verifier::report::{Options, verify_bundle_with};

const ORIGIN: &str = "pq.tenderlog.example/log";
const T: &str = "T-PQ";

#[path = "schedules/mod.rs"]
mod schedules;

fn append(dir: &Path, from: u64, n: u64) -> Vec<SignedCheckpoint> {
    schedules::append(dir, T, 1_796_000_000_000 + from * 1000, from, n)
}

fn classic(dir: &Path) -> NoteVerifier {
    NoteVerifier::parse(std::fs::read_to_string(dir.join("log.vkey")).unwrap().trim()).unwrap()
}

fn post_quantum(dir: &Path) -> CosignerKey {
    let text = std::fs::read_to_string(ledger::keys::post_quantum_vkey_path(dir)).unwrap();
    CosignerKey::parse(text.trim()).unwrap()
}

fn both(dir: &Path) -> LogKeys {
    let anchors = [LogAnchor::Ed25519(classic(dir)), LogAnchor::MlDsa44(post_quantum(dir))];
    LogKeys::from_anchors(ORIGIN, &anchors, None).unwrap()
}

/// `note` without its last signature line.
fn strip_last_line(note: &str) -> String {
    let body = &note[..note.len() - 1];
    note[..body.rfind('\n').unwrap() + 1].to_owned()
}

#[test]
fn every_checkpoint_carries_both_signatures_and_readers_choose() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ledger::init(dir, ORIGIN, &ManualClock::new(1_796_000_000_000)).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let path = ledger::keys::post_quantum_key_path(dir);
        assert_eq!(std::fs::metadata(path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let pq = post_quantum(dir);
    assert_eq!(pq.name(), ORIGIN);
    let cps = append(dir, 0, 5);
    let init_note = ledger::Store::open(dir).unwrap().checkpoint_at(0).unwrap().unwrap();
    let keys = both(dir);
    for note in cps.iter().map(|c| c.note.clone()).chain([init_note]) {
        let parsed = Note::parse(note.as_bytes()).unwrap();
        assert_eq!(parsed.signatures.len(), 2, "{note}");
        // The ML-DSA-44 line is a subtree/v1 cosignature by the origin's key,
        // timestamped with the signing time.
        let ts = pq.verify(&parsed).unwrap();
        assert!((1_796_000_000..1_796_000_010).contains(&ts), "{ts}");
        // An Ed25519-only reader ignores it; a reader of both checks it.
        SignedCheckpoint::verify(note.as_bytes(), &classic(dir)).unwrap();
        SignedCheckpoint::verify(note.as_bytes(), &keys).unwrap();

        // Without it, or with it changed, the reader of both refuses.
        let stripped = strip_last_line(&note);
        SignedCheckpoint::verify(stripped.as_bytes(), &classic(dir)).unwrap();
        let err = SignedCheckpoint::verify(stripped.as_bytes(), &keys).unwrap_err();
        assert!(err.to_string().contains("no signature by the log's ML-DSA-44 key"), "{err}");
        let line = &note[stripped.len()..];
        let sig_b64 = line.rsplit(' ').next().unwrap();
        let mut raw = base64_decode(sig_b64.trim_end());
        raw[11] ^= 1; // the timestamp's last byte
        let changed = format!("{stripped}\u{2014} {ORIGIN} {}\n", base64_encode(&raw));
        let err = SignedCheckpoint::verify(changed.as_bytes(), &keys).unwrap_err();
        assert!(err.to_string().contains("an invalid signature"), "{err}");
    }

    // The bundle proposes both keys and verifies under them, or under both
    // given; the ML-DSA-44 key alone is not an anchor.
    let store = ledger::Store::open(dir).unwrap();
    let signer = ledger::keys::load(&ledger::store::key_path(dir), ORIGIN).unwrap();
    let roots = ledger::trust::bundle_roots(dir).unwrap();
    let b = store.export_bundle(&Selection::Tender(T.into()), Some(&signer), &roots).unwrap();
    assert_eq!(b.manifest.trust.log_keys, [classic(dir).vkey(), pq.vkey()]);
    let r = verify_bundle_with(&b, &Options::default());
    assert!(r.verified, "{}", r.to_text());
    let key_check = r
        .checks
        .iter()
        .find(|c| c.check == verifier::check::CheckName::CheckpointOriginAndKey)
        .unwrap();
    assert!(key_check.detail.contains("and by ML-DSA-44 key"), "{}", key_check.detail);
    let anchors = [LogAnchor::Ed25519(classic(dir)), LogAnchor::MlDsa44(pq.clone())];
    let r = verify_bundle_with(&b, &Options { keys: Some(&anchors), ..Options::default() });
    assert!(r.verified, "{}", r.to_text());
    let alone = [LogAnchor::MlDsa44(pq.clone())];
    let r = verify_bundle_with(&b, &Options { keys: Some(&alone), ..Options::default() });
    assert!(!r.verified);
    assert!(r.to_text().contains("pin that key too"), "{}", r.to_text());
    assert!(r.to_text().starts_with("NOT VERIFIED"), "{}", r.to_text());
    // Another ML-DSA-44 key of the origin is not the log's: refused.
    let other = verifier::cosignature::Cosigner::mldsa44(ORIGIN, &[3; 32]).unwrap();
    let wrong = [LogAnchor::Ed25519(classic(dir)), LogAnchor::MlDsa44(other.public().clone())];
    let r = verify_bundle_with(&b, &Options { keys: Some(&wrong), ..Options::default() });
    assert!(!r.verified, "{}", r.to_text());

    // The audit checks both signatures on every stored checkpoint.
    drop(store);
    assert_eq!(ledger::audit(dir, &mut |_, _| {}).unwrap().entries, 5);
}

#[test]
fn the_post_quantum_key_outlives_a_rotation_and_must_be_the_stores() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ledger::init(dir, ORIGIN, &ManualClock::new(1_796_000_000_000)).unwrap();
    append(dir, 0, 2);
    ledger::rotate_key(dir).unwrap();
    let after = append(dir, 2, 2);
    let keys = both(dir);
    for c in &after {
        // The new Ed25519 key and the same ML-DSA-44 key.
        SignedCheckpoint::verify(c.note.as_bytes(), &keys).unwrap();
    }
    let history = ledger::Store::open(dir).unwrap().key_history().unwrap();
    assert_eq!(history.rotations.len(), 1);

    // A heartbeat re-checks the stored note against both keys in hand.
    let mut ledger =
        ledger::Ledger::open(dir, Arc::new(ManualClock::new(1_796_000_100_000))).unwrap();
    ledger.heartbeat().unwrap();
    drop(ledger);

    // Another ML-DSA-44 key in the key file: the writer refuses to open.
    let path = ledger::keys::post_quantum_key_path(dir);
    std::fs::remove_file(&path).unwrap();
    ledger::keys::create_cosigners(&path, ORIGIN, &[verifier::cosignature::Algorithm::MlDsa44])
        .unwrap();
    let err = ledger::Ledger::open(dir, Arc::new(ManualClock::new(1))).err().unwrap();
    assert!(err.to_string().contains("ML-DSA-44"), "{err}");
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// A log made as before the ML-DSA-44 key (Ed25519 alone) keeps working:
/// one signature line, bundles propose one key and verify; a reader that
/// anchors an ML-DSA-44 key for it is refused, not silently satisfied.
#[test]
fn a_log_without_the_post_quantum_key_signs_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ledger::init_with(dir, ORIGIN, &ManualClock::new(1_796_000_000_000), false).unwrap();
    assert!(!ledger::keys::post_quantum_key_path(dir).exists());
    let cps = append(dir, 0, 3);
    for c in &cps {
        assert_eq!(Note::parse(c.note.as_bytes()).unwrap().signatures.len(), 1);
    }
    let store = ledger::Store::open(dir).unwrap();
    assert!(store.log_keys().post_quantum().is_empty());
    let signer = ledger::keys::load(&ledger::store::key_path(dir), ORIGIN).unwrap();
    let roots = ledger::trust::bundle_roots(dir).unwrap();
    let b = store.export_bundle(&Selection::Tender(T.into()), Some(&signer), &roots).unwrap();
    assert_eq!(b.manifest.trust.log_keys, [classic(dir).vkey()]);
    let anchors = [LogAnchor::Ed25519(classic(dir))];
    let r = verify_bundle_with(&b, &Options { keys: Some(&anchors), ..Options::default() });
    assert!(r.verified && r.anchored, "{}", r.to_text());
    let other = verifier::cosignature::Cosigner::mldsa44(ORIGIN, &[3; 32]).unwrap();
    let both = [LogAnchor::Ed25519(classic(dir)), LogAnchor::MlDsa44(other.public().clone())];
    let r = verify_bundle_with(&b, &Options { keys: Some(&both), ..Options::default() });
    assert!(!r.verified, "{}", r.to_text());
    let mut ledger =
        ledger::Ledger::open(dir, Arc::new(ManualClock::new(1_796_000_100_000))).unwrap();
    ledger.heartbeat().unwrap();
}
