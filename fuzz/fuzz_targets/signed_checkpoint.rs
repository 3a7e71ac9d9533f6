//! Signed notes and checkpoints from outside: parsing and verification never
//! panic, and nothing verifies under a key that did not sign it.
#![no_main]

use ed25519_dalek::SigningKey;
use libfuzzer_sys::fuzz_target;
use verifier::checkpoint::{Checkpoint, SignedCheckpoint};
use verifier::note::{Note, NoteSigner, NoteVerifier};

fuzz_target!(|data: &[u8]| {
    let signer = NoteSigner::new("fuzz.example/log", SigningKey::from_bytes(&[9; 32]))
        .expect("valid name");
    assert!(SignedCheckpoint::verify(data, &signer.verifier()).is_err());
    if let Ok(note) = Note::parse(data) {
        let _ = Checkpoint::parse_text(&note.text);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = NoteVerifier::parse(text);
        if let Ok(cp) = Checkpoint::parse_text(text) {
            assert_eq!(Checkpoint::parse_text(&cp.to_text()).ok(), Some(cp));
        }
    }
});
