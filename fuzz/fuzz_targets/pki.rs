//! Certificates and CMS signatures from submitters: parsing and checking
//! never panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verifier::pki::{Cert, SM2_DEFAULT_ID, verify_detached_cms};

fuzz_target!(|data: &[u8]| {
    if let Ok(cert) = Cert::from_der(data) {
        let _ = cert.key_alg();
        let _ = cert.subject();
        let _ = cert.validity_ms();
        let _ = cert.is_ca();
        let _ = cert.verify(b"document", &[0u8; 64], SM2_DEFAULT_ID);
        let _ = cert.verify_issued_by(&cert);
    }
    let _ = verify_detached_cms(data, b"document", SM2_DEFAULT_ID);
});
