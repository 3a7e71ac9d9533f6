//! Rotating the checkpoint signing key keeps every verifier's trust: a
//! bundle spanning the rotation verifies against the old key or the new one
//! (it carries the key history), the audit passes, the old key signs nothing
//! after, and a crash between the rotation's steps is finished on open.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use ledger::{Appender, AppenderConfig, ManualClock};
use verifier::bundle::{Bundle, Selection, members};
use verifier::checkpoint::SignedCheckpoint;
use verifier::log_keys::LogKeys;
use verifier::note::NoteVerifier;
use verifier::report::verify_bundle;

const ORIGIN: &str = "rotation.tenderlog.example/log";
const T: &str = "T-ROTATE";

#[path = "schedules/mod.rs"]
mod schedules;

fn append(dir: &Path, from: u64, n: u64) -> Vec<SignedCheckpoint> {
    schedules::append(dir, T, 1_000 + from, from, n)
}

fn vkey(dir: &Path) -> NoteVerifier {
    NoteVerifier::parse(std::fs::read_to_string(dir.join("log.vkey")).unwrap().trim()).unwrap()
}

fn bundle(dir: &Path) -> Bundle {
    let store = ledger::Store::open(dir).unwrap();
    let signer = ledger::keys::load(&ledger::store::key_path(dir), store.origin()).unwrap();
    let roots = ledger::trust::bundle_roots(dir).unwrap();
    store.export_bundle(&Selection::Tender(T.into()), Some(&signer), &roots).unwrap()
}

#[test]
fn a_bundle_across_a_rotation_verifies_from_either_key() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ledger::init(dir, ORIGIN, &ManualClock::new(1)).unwrap();
    let before = append(dir, 0, 5);
    let old = vkey(dir);

    let r = ledger::rotate_key(dir).unwrap();
    assert_eq!((r.old.clone(), r.size), (old.clone(), 5));
    let new = vkey(dir);
    assert_eq!(new, r.new);
    assert_ne!(new, old);
    assert!(r.retired.is_file(), "the old private key is kept aside");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join("log.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let after = append(dir, 5, 5);
    // Before the rotation the old key signed; after it, only the new one.
    for c in &before {
        SignedCheckpoint::verify(c.note.as_bytes(), &old).unwrap();
        assert!(SignedCheckpoint::verify(c.note.as_bytes(), &new).is_err());
    }
    for c in &after {
        SignedCheckpoint::verify(c.note.as_bytes(), &new).unwrap();
        assert!(SignedCheckpoint::verify(c.note.as_bytes(), &old).is_err());
    }

    let b = bundle(dir);
    assert_eq!(b.manifest.key_history.as_deref(), Some(members::KEY_HISTORY));
    for (pinned, name) in [(&old, "old"), (&new, "new")] {
        let report = verify_bundle(&b, Some(std::slice::from_ref(pinned)), &[]);
        assert!(report.verified, "pinned the {name} key:\n{}", report.to_text());
        assert!(report.anchored);
        let text = report.to_text();
        assert!(text.contains("key history"), "{text}");
        assert!(text.contains("followed from the given key"), "{text}");
    }
    // The same bundle written again has the same bytes, and reads back.
    let zip = b.to_zip().unwrap();
    assert_eq!(bundle(dir).to_zip().unwrap(), zip);
    let read = Bundle::from_zip(&zip).unwrap();
    assert!(verify_bundle(&read, Some(std::slice::from_ref(&old)), &[]).verified);

    // Without the history, the old key alone cannot vouch for the new one.
    let mut stripped = b.clone();
    stripped.manifest.key_history = None;
    stripped.members.remove(members::KEY_HISTORY);
    let report = verify_bundle(&stripped, Some(std::slice::from_ref(&old)), &[]);
    assert!(!report.verified, "{}", report.to_text());

    // Sampled bit flips of the key history member are all refused.
    let member = b.members[members::KEY_HISTORY].clone();
    for bit in (0..member.len() * 8).step_by(37) {
        let mut flipped = b.clone();
        let mut m = member.clone();
        m[bit / 8] ^= 1 << (bit % 8);
        flipped.members.insert(members::KEY_HISTORY.to_owned(), m);
        let report = verify_bundle(&flipped, Some(std::slice::from_ref(&old)), &[]);
        assert!(!report.verified, "bit {bit} of the key history flipped was accepted");
    }

    // The store's own audit follows the history too.
    let audit = ledger::audit(dir, &mut |_, _| {}).unwrap();
    assert_eq!(audit.entries, 10);

    // Every key of the history, from either end.
    let history = ledger::Store::open(dir).unwrap().key_history().unwrap();
    let keys = LogKeys::follow(ORIGIN, std::slice::from_ref(&new), Some(&history)).unwrap();
    assert_eq!(keys.keys().cloned().collect::<Vec<_>>(), [old.clone(), new.clone()]);
}

#[test]
fn a_second_rotation_is_followed_from_the_first_key() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ledger::init(dir, ORIGIN, &ManualClock::new(1)).unwrap();
    append(dir, 0, 3);
    let first = vkey(dir);
    ledger::rotate_key(dir).unwrap();
    append(dir, 3, 3);
    // Two rotations at one size are allowed: the middle key signed nothing.
    ledger::rotate_key(dir).unwrap();
    ledger::rotate_key(dir).unwrap();
    append(dir, 6, 3);
    let report = verify_bundle(&bundle(dir), Some(std::slice::from_ref(&first)), &[]);
    assert!(report.verified, "{}", report.to_text());
    assert!(report.to_text_verbose().contains("3 rotations"), "{}", report.to_text_verbose());
    ledger::audit(dir, &mut |_, _| {}).unwrap();
}

#[test]
fn a_rotation_cut_short_by_a_crash_is_finished_or_redone() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ledger::init(dir, ORIGIN, &ManualClock::new(1)).unwrap();
    append(dir, 0, 2);
    let old = vkey(dir);

    // A crash after the new key was written, before the store recorded it:
    // the old key stays in force, and the next rotation uses that new key.
    let pending = ledger::keys::create(&ledger::keys::next_key_path(dir), ORIGIN).unwrap();
    let cps = append(dir, 2, 2);
    SignedCheckpoint::verify(cps[1].note.as_bytes(), &old).unwrap();
    let r = ledger::rotate_key(dir).unwrap();
    assert_eq!(r.new, pending.verifier());

    // A crash after the store recorded it, before the key files moved: put
    // the files back as they were, and the next open finishes the move.
    std::fs::rename(dir.join("log.key"), ledger::keys::next_key_path(dir)).unwrap();
    std::fs::rename(&r.retired, dir.join("log.key")).unwrap();
    std::fs::write(dir.join("log.vkey"), format!("{}\n", old.vkey())).unwrap();
    let cps = append(dir, 4, 2);
    SignedCheckpoint::verify(cps[1].note.as_bytes(), &r.new).unwrap();
    assert_eq!(vkey(dir), r.new);
    assert!(r.retired.is_file());
    assert!(!ledger::keys::next_key_path(dir).exists());
    let report = verify_bundle(&bundle(dir), Some(std::slice::from_ref(&old)), &[]);
    assert!(report.verified, "{}", report.to_text());
}

#[test]
fn rotation_needs_the_writer_lock() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ledger::init(dir, ORIGIN, &ManualClock::new(1)).unwrap();
    let config = AppenderConfig { stamp_checkpoints: false, ..AppenderConfig::default() };
    let appender = Appender::open(dir, config).unwrap();
    let err = ledger::rotate_key(dir).unwrap_err();
    assert!(matches!(err, ledger::LedgerError::Locked { .. }), "{err}");
    appender.shutdown();
}
