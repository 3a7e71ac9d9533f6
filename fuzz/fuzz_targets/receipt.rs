//! Receipts (JSON from a server, or handed over by a bidder): verifying never
//! panics, and none verifies under a key whose private half no one has.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verifier::note::NoteVerifier;
use verifier::report::verify_receipt;

fuzz_target!(|data: &[u8]| {
    let key = ed25519_dalek::SigningKey::from_bytes(&[0x5a; 32]).verifying_key();
    let Ok(k) = NoteVerifier::new("fuzz.example/log", key) else { return };
    if let Ok(r) = verify_receipt(data, &k, None) {
        assert!(!r.verified);
    }
});
