//! A bundle of the reveal of one sealed, signed, stamped bid from a real run
//! (`tenderlog demo`: server on 127.0.0.1, documents signed by participant
//! certificates and stamped by the local TSA) carries the reveal, the sealed
//! bid, the signer certificate's whole lifecycle chain with its signed head,
//! and the rule pack; it verifies, and
//! every single-bit change of every member is caught. Cutting the signer's
//! reported-lost step out of a certificate chain is caught by completeness;
//! trusting other CA or TSA roots than the bundle's fails the named checks.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "../../verifier/tests/mutate/mod.rs"]
mod mutate;

use common::{err, run};
use verifier::bundle::{Bundle, Selection};
use verifier::report::{Options, Status, verify_bundle, verify_bundle_with};

fn failed(r: &verifier::report::Report) -> Vec<&'static str> {
    let mut v: Vec<&'static str> =
        r.checks.iter().filter(|c| c.status == Status::Fail).map(|c| c.check.as_str()).collect();
    v.sort_unstable();
    v.dedup();
    v
}

#[test]
fn a_signed_bid_bundle_verifies_and_every_bit_is_authenticated() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("demo");
    let o = run(&["demo", "--data", dir.to_str().unwrap()], "");
    assert!(o.status.success(), "{}", err(&o));

    let store = ledger::Store::open(&dir).unwrap();
    let signer = ledger::keys::load(&ledger::store::key_path(&dir), store.origin()).unwrap();
    let roots = ledger::trust::bundle_roots(&dir).unwrap();
    // Entry 39 reveals bidder A's bid, filed under seal as entry 29 (see the
    // demo's order: the rule pack, the calendar, then the tender).
    let bundle = store.export_bundle(&Selection::Indexes(vec![39]), Some(&signer), &roots).unwrap();
    let bundle = Bundle::from_zip(&bundle.to_zip().unwrap()).unwrap();
    let indexes: Vec<u64> = bundle.manifest.entries.iter().map(|e| e.index).collect();
    assert_eq!(
        indexes,
        [2, 10, 14, 18, 29, 39],
        "bidder A's certificate and seal certificate, its unit seal's binding, the rule pack, the sealed bid, its reveal"
    );
    assert_eq!(bundle.manifest.certificates.len(), 2);
    assert_eq!(bundle.manifest.seals.len(), 1);
    let r = verify_bundle(&bundle, None, &[]);
    assert!(r.verified, "{}", r.to_text());
    for check in [
        "signature",
        "certificate chain",
        "certificate status at trusted time",
        "timestamp",
        "policy",
        "seal",
    ] {
        assert!(
            r.checks.iter().any(|c| c.check == check && c.status == Status::Pass),
            "{check} did not pass:\n{}",
            r.to_text()
        );
    }

    // Verdict only (fail_fast): a bundle that verifies is checked in full
    // all the same; one whose log part fails stops before the signers.
    let fast = verify_bundle_with(&bundle, &Options { fail_fast: true, ..Options::default() });
    assert_eq!((fast.verified, &fast.checks), (r.verified, &r.checks));
    let mut broken = bundle.clone();
    let proof = broken.manifest.entries[0].proof.clone();
    let member = broken.members.get_mut(&proof).unwrap();
    let at = member.len() / 2;
    member[at] ^= 1;
    let has = |r: &verifier::report::Report, check: &str| r.checks.iter().any(|c| c.check == check);
    let full = verify_bundle_with(&broken, &Options::default());
    let fast = verify_bundle_with(&broken, &Options { fail_fast: true, ..Options::default() });
    assert!(!full.verified && !fast.verified);
    assert!(has(&full, "signature") && !has(&fast, "signature"), "{}", fast.to_text());
    let all = failed(&full);
    assert!(!failed(&fast).is_empty() && failed(&fast).iter().all(|c| all.contains(c)));

    // Other trust than the bundle's: the named checks fail.
    let other =
        ledger::issue::Issued::root("CN=some other CA", 1_700_000_000_000, 4_000_000_000_000)
            .unwrap();
    let other = [verifier::pki::Cert::from_der(&other.der).unwrap()];
    let r = verify_bundle_with(&bundle, &Options { ca_roots: Some(&other), ..Options::default() });
    // The signers' chains, and the seal maker's.
    assert_eq!(failed(&r), ["certificate chain", "seal"], "{}", r.to_text());
    assert!(r.trust_anchors.iter().any(|a| a.contains("some other CA (given)")));
    let r = verify_bundle_with(&bundle, &Options { tsa_roots: Some(&other), ..Options::default() });
    assert!(failed(&r).contains(&"timestamp"), "{}", r.to_text());

    // Bidder D's chain has two events; without the reported-lost one, the
    // chain no longer ends where the log's signed head says.
    let d_bundle =
        store.export_bundle(&Selection::Indexes(vec![25]), Some(&signer), &roots).unwrap();
    assert!(d_bundle.manifest.certificates.is_empty(), "a rejection names no signer");
    let mut tender = store
        .export_bundle(&Selection::Tender("ZB2026-DEMO-001".into()), Some(&signer), &roots)
        .unwrap();
    assert!(verify_bundle(&tender, None, &[]).verified);
    // Remove one lifecycle event (entry 2, bidder A's only one) from the tender bundle.
    tender.manifest.entries.retain(|e| e.index != 2);
    tender.members.retain(|n, _| n != "leaves/2.cbor" && n != "proofs/2.tlog-proof");
    tender.members.retain(|n, _| !n.starts_with("consistency/3-"));
    tender.manifest.consistency.retain(|c| c.from != 3);
    let r = verify_bundle(&tender, None, &[]);
    assert!(!r.verified);
    assert!(failed(&r).contains(&"per-tender chain completeness"), "{}", r.to_text());

    // The demo's bundle is proved against the checkpoint its witness (the
    // supervising department) cosigned: judged with the policy the demo
    // wrote, every bit of the cosignature lines counts as well.
    let policy = verifier::witness_policy::WitnessPolicy::parse(
        &std::fs::read_to_string(dir.join("demo/witness-policy.txt")).unwrap(),
    )
    .unwrap();
    let cp = std::str::from_utf8(&bundle.members[&bundle.manifest.checkpoint]).unwrap();
    assert!(cp.contains("\n\u{2014} witness.fgw.example.gov.cn "), "{cp}");
    mutate::assert_every_bit_flip_caught_with(&bundle, Some(&policy));
}
