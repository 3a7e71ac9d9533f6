//! The witness's `add-checkpoint` body (sent by any client on the network):
//! parsing never panics, a parsed body writes back to the same bytes, and
//! the whole witness check (note, signature, sizes, proof) on it never
//! panics either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verifier::checkpoint::Checkpoint;
use verifier::note::{Note, NoteSigner};
use verifier::witness_request::AddCheckpoint;

fuzz_target!(|data: &[u8]| {
    let Ok(req) = AddCheckpoint::parse(data) else { return };
    assert_eq!(req.to_bytes(), data);
    let log = ed25519_dalek::SigningKey::from_bytes(&[0x5a; 32]);
    let Ok(signer) = NoteSigner::new("fuzz.example/log", log) else { return };
    let Ok(note) = Note::parse(&req.checkpoint) else { return };
    let _ = note.verify(&signer.verifier());
    let Ok(c) = Checkpoint::parse_text(&note.text) else { return };
    let _ = verifier::merkle::verify_consistency(req.old, c.size, &req.proof, &c.root, &c.root);
    let _ = verifier::witness_request::parse_size(data);
});
