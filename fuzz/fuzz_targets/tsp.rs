//! Timestamp responses and tokens from a TSA or a bundle: parsing and
//! verification never panic; nothing verifies against an empty trust store.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verifier::pki::TrustStore;
use verifier::tsp::{token_from_response, verify_token};

fuzz_target!(|data: &[u8]| {
    let roots = TrustStore::default();
    let _ = token_from_response(data);
    assert!(verify_token(data, &[0u8; 32], &roots).is_err());
});
