//! E-seal files from submitters: parsing and verification never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verifier::seal::{SealSignature, parse_seal_only};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = SealSignature::parse(data) {
        let _ = s.verify(Some(b"content"), s.time_info_ms);
    }
    if let Ok(seal) = parse_seal_only(data) {
        let _ = seal.verify_maker();
    }
});
