//! Evidence bundles from anyone (an arbitrator gets them from the parties):
//! reading and verifying never panic, and no bundle verifies under a log key
//! whose private half no one has.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verifier::bundle::Bundle;
use verifier::note::NoteVerifier;
use verifier::report::verify_bundle;

fuzz_target!(|data: &[u8]| {
    let Ok(b) = Bundle::from_zip(data) else { return };
    let _ = verify_bundle(&b, None, &[]);
    // A key made from a fixed seed that no bundle author knows to sign with
    // would need the fuzzer to forge Ed25519: it must never verify.
    let key = ed25519_dalek::SigningKey::from_bytes(&[0x5a; 32]).verifying_key();
    if let Ok(k) = NoteVerifier::new(&b.manifest.origin, key) {
        assert!(!verify_bundle(&b, Some(&[k]), &[]).verified);
    }
});
