//! Identifier numbers typed by people: parsing never panics, and what parses
//! prints back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verifier::ids::{ResidentId, Uscc};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(u) = Uscc::parse(s) {
        assert_eq!(u.as_str(), s);
    }
    if let Ok(r) = ResidentId::parse(s) {
        assert_eq!(r.as_str(), s);
    }
});
