//! Submissions (JSON lines, HTTP bodies): never panic; whatever is accepted
//! becomes an event that encodes within the leaf limit (a sealed document as
//! the commitment the ledger would log), and the document checks run on it
//! without panicking.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use verifier::event::{
    Body, EVENT_VERSION, Event, Request, SEALED_PRINCIPAL, SealRequest, SealedDocument, Submission,
};
use verifier::pki::TrustStore;
use verifier::policy::RulePack;
use verifier::signing::{Context, check_document};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = Submission::from_json(data) else { return };
    let Ok(r) = s.into_request(Some("fuzz")) else { return };
    let (ca, tsa, certs, seals, pack) = (
        TrustStore::default(),
        TrustStore::default(),
        HashMap::new(),
        HashMap::new(),
        RulePack::default_pack(),
    );
    let ctx = Context { ca: &ca, tsa: &tsa, certs: &certs, seals: &seals, policy: Some(&pack) };
    let (tender, principal, body) = match r {
        Request::Seal(SealRequest { tender, principal, document: d }) => {
            let _ = check_document(&d, u64::MAX, &ctx);
            let Ok(commitment) = verifier::event::commitment(&[0; 32], &tender, &principal, &d)
            else {
                return;
            };
            let sealed = SealedDocument { document_type: d.document_type, commitment };
            (tender, SEALED_PRINCIPAL.to_owned(), Body::SealedDocument(sealed))
        }
        Request::Log(c) => {
            if let Some(d) = c.body.document() {
                let _ = check_document(d, u64::MAX, &ctx);
            }
            (c.tender, c.principal, c.body)
        }
    };
    let event = Event {
        v: EVENT_VERSION,
        tender,
        seq: u64::MAX,
        prev_tender: Some(verifier::event::EventLink {
            index: u64::MAX,
            leaf_hash: verifier::Hash([0xff; 32]),
        }),
        prev_leaf: Some(verifier::Hash([0xff; 32])),
        received_ms: u64::MAX,
        principal,
        body,
        policy: None,
    };
    let leaf = event.encode().expect("accepted content fits in a leaf");
    assert_eq!(Event::decode(&leaf).expect("round trip"), event);
});
