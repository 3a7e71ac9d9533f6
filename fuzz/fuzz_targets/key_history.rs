//! Key histories (from a bundle, a server or a file a user was handed):
//! reading and following one never panics, and none links a pinned key
//! whose private half no one has to any other key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verifier::log_keys::{KeyHistory, LogKeys, Rotation};
use verifier::note::NoteVerifier;

const ORIGIN: &str = "fuzz.example/log";

fuzz_target!(|data: &[u8]| {
    let key = ed25519_dalek::SigningKey::from_bytes(&[0x5a; 32]).verifying_key();
    let Ok(k) = NoteVerifier::new(ORIGIN, key) else { return };
    if let Ok(h) = KeyHistory::parse(data)
        && let Ok(keys) = LogKeys::follow(ORIGIN, std::slice::from_ref(&k), Some(&h))
    {
        assert!(keys.rotations().is_empty());
        assert_eq!(keys.keys().count(), 1);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Rotation::verify(text, ORIGIN);
    }
});
