//! Whom a signer signs for, in a registered tender: a trader certificate
//! bound to the tenderer's or agency's USCC signs the owner's documents and
//! never a bid; one bound to another unit signs bids and never the owner's
//! documents; the contract takes both sides; experts are not judged by
//! unit. The same function refuses on admission and fails rule P01 in the
//! compliance report.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use tenderlog_tests::events::{certificate_event, h, registration_event};
use verifier::event::{Body, DocSignature, Document, DocumentType, SignatureFormat};
use verifier::registration::Registration;
use verifier::signing::{CertRecord, check_signers_entitled};

/// The golden trader certificate (bound to 91350100M000100Y43, the
/// registration fixture's tenderer), its record, and its fingerprint.
fn signer() -> (verifier::Hash, HashMap<verifier::Hash, CertRecord>) {
    let Body::Certificate(c) = certificate_event().body else { unreachable!() };
    let fp = verifier::pki::fingerprint_of(&c.der.0);
    let record = CertRecord::from_chain(&[(0, &c)]).unwrap();
    (fp, HashMap::from([(fp, record)]))
}

fn registration() -> Registration {
    let Body::Registration(r) = registration_event().body else { unreachable!() };
    r
}

fn signed(t: DocumentType, fp: verifier::Hash) -> Document {
    let mut d = Document::new(t, h(0x31), 1, "application/pdf");
    d.signatures.push(DocSignature {
        format: SignatureFormat::Raw,
        cert: fp,
        sm2_id: None,
        value: verifier::event::Bytes(vec![1; 64]),
    });
    d
}

#[test]
fn owner_documents_are_signed_for_the_owner_and_bids_never_are() {
    let (fp, certs) = signer();
    let owner = registration();
    assert_eq!(
        check_signers_entitled(&owner, &signed(DocumentType::AwardNotice, fp), &certs),
        Ok(())
    );
    let bid = check_signers_entitled(&owner, &signed(DocumentType::Bid, fp), &certs);
    assert!(bid.as_ref().is_err_and(|e| e.contains("91350100M000100Y43")), "{bid:?}");
    assert_eq!(check_signers_entitled(&owner, &signed(DocumentType::Contract, fp), &certs), Ok(()));

    // A registration where this unit is neither tenderer nor agency: the
    // certificate signs bids, not the award notice.
    let mut other = registration();
    other.tenderer.uscc = "91110000600037341L".parse().unwrap();
    other.agency = None;
    assert_eq!(check_signers_entitled(&other, &signed(DocumentType::Bid, fp), &certs), Ok(()));
    let forged = check_signers_entitled(&other, &signed(DocumentType::AwardNotice, fp), &certs);
    assert!(forged.is_err(), "{forged:?}");
    // A signer with no record is the signature check's to refuse, not this one's.
    assert_eq!(
        check_signers_entitled(&other, &signed(DocumentType::AwardNotice, h(9)), &certs),
        Ok(())
    );
}

#[test]
fn the_compliance_report_fails_p01_for_a_signer_on_the_wrong_side() {
    use verifier::rules::{Context, Outcome, Reading, Step, judge};
    let (fp, certs) = signer();
    let mut other = registration();
    other.tenderer.uscc = "91110000600037341L".parse().unwrap();
    other.agency = None;
    other.tenderer.principals = vec!["agency-01".into()];
    let reg = Body::Registration(other);
    let award = Body::Document(signed(DocumentType::AwardNotice, fp));
    let steps = [
        Step { at: 10, received_ms: 1, principal: "agency-01", body: &reg },
        Step { at: 11, received_ms: 2, principal: "agency-01", body: &award },
    ];
    let (calendar, pack) =
        (verifier::calendar::Calendar::shipped(), verifier::policy::RulePack::default_pack());
    let mut ctx = Context {
        calendar: &calendar,
        reading: Reading::default(),
        pack: &pack,
        certs: Some(&certs),
    };
    let c = judge("T", &steps, &ctx);
    let p01 = c.verdicts.iter().find(|v| v.rule == "P01").unwrap();
    assert_eq!((p01.outcome, p01.events.as_slice()), (Outcome::Fail, [11].as_slice()), "{p01:?}");
    // Without certificate records the signers are not judged, and it says so.
    ctx.certs = None;
    let c = judge("T", &steps, &ctx);
    let p01 = c.verdicts.iter().find(|v| v.rule == "P01").unwrap();
    assert_eq!(p01.outcome, Outcome::Pass);
    assert!(p01.detail.contains("signers not judged"), "{p01:?}");
}
