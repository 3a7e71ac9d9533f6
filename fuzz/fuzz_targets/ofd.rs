//! OFD packages from submitters and arbitrators' files: reading the zip,
//! its XML and its seals never panics, and the caps hold.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(report) = verifier::ofd::verify(data, None) {
        assert!(report.signatures.len() <= verifier::ofd::MAX_SIGNATURES);
        let _ = report.verified();
    }
});
