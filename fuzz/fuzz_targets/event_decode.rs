//! Leaves from outside (bundles, tiles, a peer's store): decoding never
//! panics, and whatever decodes is canonical.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verifier::event::Event;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = Event::decode(data) {
        assert_eq!(event.encode().expect("a decoded event encodes"), data);
    }
});
