//! Submissions (JSON lines, HTTP bodies): never panic; whatever is accepted
//! becomes an event that encodes within the leaf limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verifier::event::{Event, EVENT_VERSION, Submission};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = Submission::from_json(data) else { return };
    let Ok(c) = s.into_content(Some("fuzz")) else { return };
    let event = Event {
        v: EVENT_VERSION,
        tender: c.tender,
        seq: u64::MAX,
        prev_tender: Some(verifier::event::EventLink {
            index: u64::MAX,
            leaf_hash: verifier::Hash([0xff; 32]),
        }),
        prev_leaf: Some(verifier::Hash([0xff; 32])),
        received_ms: u64::MAX,
        principal: c.principal,
        body: c.body,
    };
    let leaf = event.encode().expect("accepted content fits in a leaf");
    assert_eq!(Event::decode(&leaf).expect("round trip"), event);
});
