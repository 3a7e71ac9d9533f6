//! PDFs from submitters and arbitrators' files: reading them and checking
//! their signatures never panics, and the caps hold.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(report) = verifier::pdf::verify(data, None) {
        assert!(report.signatures.len() <= verifier::pdf::MAX_SIGNATURES);
        let _ = report.verified();
    }
});
