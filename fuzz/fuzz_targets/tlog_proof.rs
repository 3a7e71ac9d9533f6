//! tlog-proof texts from outside (receipts, bundles): parsing never panics,
//! what parses prints back byte for byte, and nothing verifies under a key
//! that did not sign it.
#![no_main]

use ed25519_dalek::SigningKey;
use libfuzzer_sys::fuzz_target;
use verifier::Hash;
use verifier::note::NoteSigner;
use verifier::tlog_proof::TlogProof;

fuzz_target!(|data: &[u8]| {
    let Ok(p) = TlogProof::parse(data) else { return };
    assert_eq!(p.to_text().as_bytes(), data);
    let signer = NoteSigner::new("fuzz.example/log", SigningKey::from_bytes(&[9; 32]))
        .expect("valid name");
    assert!(p.verify(&Hash::default(), &signer.verifier()).is_err());
});
