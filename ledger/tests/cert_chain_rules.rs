//! The ledger and the offline verifier refuse the same certificate chains:
//! for every chain the ledger refuses to extend, the verifier's replay of
//! that chain (`CertRecord::from_chain`, which bundle reports run) refuses
//! it too, with the same reason; and every chain the ledger accepts, the
//! verifier accepts.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use ledger::issue::{Issued, LeafUsage};
use ledger::{Ledger, ManualClock};
use verifier::event::{Body, Bytes, CertKind, CertificateEvent, Content, Event, Lifecycle};
use verifier::signing::CertRecord;

const NOW: u64 = 1_790_000_000_000;
const USCC: &str = "91350100M000100Y43";

fn event(der: &[u8], lifecycle: Lifecycle, unit_name: &str) -> CertificateEvent {
    CertificateEvent {
        der: Bytes(der.to_vec()),
        cert_kind: CertKind::Trader,
        uscc: Some(USCC.parse().unwrap()),
        unit_name: Some(unit_name.into()),
        resident_id: None,
        lifecycle,
        effective_ms: NOW,
    }
}

fn content(e: &CertificateEvent) -> Content {
    Content {
        tender: verifier::event::cert_tender(&verifier::pki::fingerprint_of(&e.der.0)),
        principal: "ca-registry".into(),
        body: Body::Certificate(e.clone()),
    }
}

/// The certificate's chain as logged, in sequence order.
fn logged_chain(ledger: &Ledger, der: &[u8]) -> Vec<(u64, CertificateEvent)> {
    let tender = verifier::event::cert_tender(&verifier::pki::fingerprint_of(der));
    let store = ledger.store();
    let mut out = Vec::new();
    for i in 0..ledger.size() {
        let ev = Event::decode(&store.leaf(i).unwrap()).unwrap();
        if let (true, Body::Certificate(c)) = (ev.tender == tender, ev.body) {
            out.push((i, c));
        }
    }
    out
}

/// Offers `step` to the ledger and the same chain plus `step` to the
/// verifier; both must decide alike. Returns whether it was accepted.
fn offer(ledger: &mut Ledger, der: &[u8], step: CertificateEvent) -> bool {
    let mut chain = logged_chain(ledger, der);
    let next = ledger.size();
    let outcome = ledger.append(vec![content(&step)]).unwrap();
    let ledger_says = outcome.results.into_iter().next().unwrap();
    chain.push((next, step));
    let refs: Vec<(u64, &CertificateEvent)> = chain.iter().map(|(i, c)| (*i, c)).collect();
    let verifier_says = CertRecord::from_chain(&refs);
    match (&ledger_says, &verifier_says) {
        (Ok(a), Ok(_)) => {
            assert!(!a.duplicate);
            true
        }
        (Err(refused), Err(e)) => {
            assert!(refused.logged.is_none(), "a registry refusal logs nothing");
            let said = refused.error.to_string();
            assert!(said.contains(&e.to_string()), "ledger: {said}\nverifier: {e}");
            false
        }
        (l, v) => panic!("the ledger and the verifier disagree:\nledger: {l:?}\nverifier: {v:?}"),
    }
}

#[test]
fn ledger_and_verifier_refuse_the_same_certificate_chains() {
    let dir = tempfile::tempdir().unwrap();
    ledger::init(dir.path(), "chain.tenderlog.example/log", &ManualClock::new(NOW)).unwrap();
    let year = 365 * 24 * 3_600_000;
    let ca = Issued::root("CN=chain test CA,C=CN", NOW - year, NOW + year).unwrap();
    ledger::trust::add_ca(dir.path(), &ca.der).unwrap();
    let subject = format!("CN=trader,serialNumber={USCC},C=CN");
    let trader = ca.issue(&subject, 2, NOW - year, NOW + year, LeafUsage::Signing).unwrap();
    let der = trader.der.clone();
    let mut ledger = Ledger::open(dir.path(), Arc::new(ManualClock::new(NOW))).unwrap();

    // A later step before the registration.
    assert!(!offer(&mut ledger, &der, event(&der, Lifecycle::ReportedLost, "某某公司")));
    assert!(offer(&mut ledger, &der, event(&der, Lifecycle::Issued, "某某公司")));
    // A second registration, by any name (at another time: the same event
    // again would be a duplicate, answered with the first).
    for step in [Lifecycle::Issued, Lifecycle::Renewed, Lifecycle::Changed, Lifecycle::Reissued] {
        let mut again = event(&der, step, "某某公司");
        again.effective_ms = NOW + 1;
        assert!(!offer(&mut ledger, &der, again), "{step:?}");
    }
    // A later step that changes who the certificate belongs to.
    assert!(!offer(&mut ledger, &der, event(&der, Lifecycle::ReportedLost, "另一家公司")));
    let mut kind = event(&der, Lifecycle::ReportedLost, "某某公司");
    kind.cert_kind = CertKind::Expert;
    assert!(!offer(&mut ledger, &der, kind));
    // Up to the cap, then no more.
    let cap = verifier::signing::MAX_LIFECYCLE_EVENTS;
    for n in 1..cap {
        let mut step = event(&der, Lifecycle::ReportedLost, "某某公司");
        step.effective_ms = NOW + n as u64;
        assert!(offer(&mut ledger, &der, step), "step {n}");
    }
    let mut step = event(&der, Lifecycle::Revoked, "某某公司");
    step.effective_ms = NOW + cap as u64;
    assert!(!offer(&mut ledger, &der, step));
    assert_eq!(logged_chain(&ledger, &der).len(), cap);
}
