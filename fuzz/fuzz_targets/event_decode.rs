//! Leaves from outside (bundles, tiles, a peer's store): decoding never
//! panics, whatever decodes is canonical, and the envelope reader the
//! integrity audit uses agrees with the full decode on every valid leaf.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verifier::event::{Envelope, Event};

fuzz_target!(|data: &[u8]| {
    let envelope = Envelope::read(data);
    if let Ok(event) = Event::decode(data) {
        assert_eq!(event.encode().expect("a decoded event encodes"), data);
        assert_eq!(envelope.expect("a valid leaf has an envelope"), Envelope::from(&event));
    }
});
