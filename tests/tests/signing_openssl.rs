//! The document checks (`verifier::signing::check_document`, which the ledger
//! runs before logging and the offline verifier runs on bundles) against
//! fixtures made by `openssl`: raw signatures over the document digest by
//! ECDSA, Ed25519, RSA and SM2 certificates, detached CMS with signed
//! attributes, RFC 3161 tokens from an OpenSSL TSA, and the default rule pack.
//! Every negative case of the signed-documents issue fails with the check it
//! names: tampered document, wrong CA, expired certificate, certificate
//! revoked before (and not after) the trusted time, wrong SM2 ID, signer kind
//! not allowed, missing timestamp, USCC with a wrong check character.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use sha2::Digest as _;
use tenderlog_tests::fixtures::{Alg, Fixtures, Made, UNIT, USCC, have_openssl};
use verifier::Hash;
use verifier::event::{
    Bytes, CertKind, CertificateEvent, DocSignature, Document, DocumentType, Lifecycle,
    SignatureFormat,
};
use verifier::pki::{Cert, TrustStore};
use verifier::policy::RulePack;
use verifier::signing::{CertRecord, Context, Finding, check_document, first_failure};

const DOC: &[u8] = b"ZB2026-001 bid of bidder A: 1,234,567.00 CNY\n";

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

fn record(m: &Made, kind: CertKind, history: &[(Lifecycle, u64)]) -> CertRecord {
    let events: Vec<CertificateEvent> = history
        .iter()
        .map(|(l, t)| CertificateEvent {
            der: Bytes(m.der.clone()),
            cert_kind: kind,
            uscc: (kind == CertKind::Trader).then(|| USCC.parse().unwrap()),
            unit_name: (kind == CertKind::Trader).then(|| UNIT.into()),
            resident_id: None,
            lifecycle: *l,
            effective_ms: *t,
        })
        .collect();
    let refs: Vec<_> = events.iter().enumerate().map(|(i, e)| (i as u64, e)).collect();
    CertRecord::from_chain(&refs).unwrap()
}

fn fp(m: &Made) -> Hash {
    verifier::pki::fingerprint_of(&m.der)
}

fn store(roots: &[&Made]) -> TrustStore {
    TrustStore::new(roots.iter().map(|m| Cert::from_der(&m.der).unwrap()).collect()).unwrap()
}

fn doc(
    t: DocumentType,
    sha: [u8; 32],
    sm3: [u8; 32],
    sigs: Vec<DocSignature>,
    ts: Vec<Vec<u8>>,
) -> Document {
    Document {
        document_type: t,
        sha256: Hash(sha),
        sm3: Some(Hash(sm3)),
        size: DOC.len() as u64,
        media_type: "application/pdf".into(),
        title: None,
        signatures: sigs,
        timestamps: ts.into_iter().map(Bytes).collect(),
        seals: Vec::new(),
        ofd_seals: Vec::new(),
        received_timestamp: None,
    }
}

fn raw(m: &Made, value: Vec<u8>) -> DocSignature {
    DocSignature { format: SignatureFormat::Raw, cert: fp(m), sm2_id: None, value: Bytes(value) }
}

fn failed(f: &[Finding]) -> Option<(&'static str, String)> {
    first_failure(f).map(|(check, reason)| (check.as_str(), reason))
}

fn assert_fails(f: &[Finding], check: &str, contains: &str) {
    let (c, why) = failed(f).unwrap_or_else(|| panic!("expected {check} to fail: {f:#?}"));
    assert_eq!(c, check, "{why}");
    assert!(why.contains(contains), "{check}: {why:?} lacks {contains:?}");
    // The failure's kind fits the check that found it.
    use verifier::signing::Reason::*;
    let reason = f.iter().find_map(|x| x.result.as_ref().err()).map(|e| e.reason).unwrap();
    let fits: &[verifier::signing::Reason] = match check {
        "signature" => &[Invalid],
        "certificate chain" => &[Untrusted, Unregistered],
        "certificate status at trusted time" => &[NotInForce],
        "timestamp" => &[Invalid, Untrusted, Late],
        "policy" => &[Policy],
        "seal" => &[Invalid, Untrusted, Unregistered, NotInForce, Policy, Incomplete],
        _ => panic!("no reasons listed for {check}"),
    };
    assert!(fits.contains(&reason), "{check} failed as {reason:?}: {why}");
}

#[test]
fn document_checks_on_openssl_fixtures() {
    if !have_openssl() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let fx = Fixtures::new(t.path());
    let (sha, sm3) = fx.document("doc.bin", DOC);
    let (other_sha, other_sm3) = fx.document("other.bin", b"another document\n");

    let ca = fx.ca("ca", Alg::Ecdsa);
    let other_ca = fx.ca("otherca", Alg::Ecdsa);
    let sm2_ca = fx.ca("sm2ca", Alg::Sm2);
    let ec = fx.trader(&ca, "ec", Alg::Ecdsa);
    let ed = fx.trader(&ca, "ed", Alg::Ed25519);
    let rsa = fx.trader(&ca, "rsa", Alg::Rsa);
    let sm2 = fx.trader(&sm2_ca, "sm2", Alg::Sm2);
    let expert = fx.leaf(&ca, "expert", Alg::Ed25519, "/C=CN/CN=expert 1", 365, "");
    let tsa_root = fx.tsa("tsa", "critical,timeStamping");
    let token = fx.stamp("tsa", "doc.bin");

    let cas = store(&[&ca, &sm2_ca]);
    let tsas = store(&[&tsa_root]);
    let long_ago = now_ms() - 3_600_000;
    let mut certs = HashMap::new();
    for (m, k) in [
        (&ec, CertKind::Trader),
        (&ed, CertKind::Trader),
        (&rsa, CertKind::Trader),
        (&sm2, CertKind::Trader),
        (&expert, CertKind::Expert),
    ] {
        certs.insert(fp(m), record(m, k, &[(Lifecycle::Issued, long_ago)]));
    }
    let pack = RulePack::default_pack();
    let no_seals = HashMap::new();
    let ctx =
        Context { ca: &cas, tsa: &tsas, certs: &certs, seals: &no_seals, policy: Some(&pack) };
    let received = now_ms() + 1_000;

    // Every algorithm, raw over the digest, and CMS with signed attributes.
    let good = vec![
        raw(&ec, fx.raw_sign(&ec, &sha, "")),
        raw(&ed, fx.raw_sign(&ed, &sha, "")),
        raw(&rsa, fx.raw_sign(&rsa, &sha, "")),
        raw(&sm2, fx.raw_sign(&sm2, &sm3, "1234567812345678")),
        DocSignature {
            format: SignatureFormat::Cms,
            cert: fp(&ec),
            sm2_id: None,
            value: Bytes(fx.cms_sign(&ec, "doc.bin", true)),
        },
        DocSignature {
            format: SignatureFormat::Cms,
            cert: fp(&rsa),
            sm2_id: None,
            value: Bytes(fx.cms_sign(&rsa, "doc.bin", true)),
        },
    ];
    let bid = doc(DocumentType::Bid, sha, sm3, good.clone(), vec![token.clone()]);
    let f = check_document(&bid, received, &ctx);
    assert_eq!(failed(&f), None, "{f:#?}");
    // One timestamp, three findings per signature, one policy finding.
    assert_eq!(f.len(), 1 + 3 * good.len() + 1);
    assert!(
        f.iter().any(|x| x.check == "timestamp" && x.result.as_ref().unwrap().contains("tsa TSA"))
    );

    // Tampered document: the same signatures over another file's digest.
    for s in &good {
        let d = doc(DocumentType::Bid, other_sha, other_sm3, vec![s.clone()], vec![]);
        let ctx = Context { policy: None, ..ctx_ref(&ctx) };
        assert_fails(&check_document(&d, received, &ctx), "signature", "signature 1");
    }
    // A single-bit change of any raw signature is refused.
    for s in good.iter().filter(|s| s.format == SignatureFormat::Raw) {
        for bit in (0..s.value.0.len() * 8).step_by(7) {
            let mut m = s.clone();
            m.value.0[bit / 8] ^= 1 << (bit % 8);
            let d = doc(DocumentType::Contract, sha, sm3, vec![m], vec![]);
            let f = check_document(&d, received, &Context { policy: None, ..ctx_ref(&ctx) });
            assert_eq!(failed(&f).map(|x| x.0), Some("signature"), "bit {bit}");
        }
    }
    // CMS without signed attributes signs the document itself: refused with why.
    let noattr = DocSignature {
        format: SignatureFormat::Cms,
        cert: fp(&ec),
        sm2_id: None,
        value: Bytes(fx.cms_sign(&ec, "doc.bin", false)),
    };
    let d = doc(DocumentType::Contract, sha, sm3, vec![noattr], vec![]);
    assert_fails(&check_document(&d, received, &ctx), "signature", "without signed attributes");
    // A CMS message by one certificate named as another's.
    let mut swapped = good[4].clone();
    swapped.cert = fp(&rsa);
    let d = doc(DocumentType::Contract, sha, sm3, vec![swapped], vec![]);
    assert_fails(&check_document(&d, received, &ctx), "signature", "not the registered");

    // Wrong CA: the signer's root is not trusted.
    let wrong = store(&[&other_ca]);
    let c = Context { ca: &wrong, ..ctx_ref(&ctx) };
    assert_fails(
        &check_document(
            &doc(DocumentType::Bid, sha, sm3, vec![good[0].clone()], vec![token.clone()]),
            received,
            &c,
        ),
        "certificate chain",
        "no trusted or intermediate CA",
    );
    // Not registered at all.
    let mut unknown = good[0].clone();
    unknown.cert = Hash([7; 32]);
    assert_fails(
        &check_document(
            &doc(DocumentType::Contract, sha, sm3, vec![unknown], vec![]),
            received,
            &ctx,
        ),
        "certificate chain",
        "not registered",
    );
    // Expired: judged at a received time two years on, with no token.
    let later = now_ms() + 2 * 365 * 24 * 3_600_000;
    let f = check_document(
        &doc(DocumentType::Contract, sha, sm3, vec![good[0].clone()], vec![]),
        later,
        &ctx,
    );
    assert_fails(&f, "certificate chain", "was not valid");
    assert!(failed(&f).unwrap().1.contains("platform received time"));

    // A signature is judged at the time a token over *its value* gives (as a
    // CAdES signature timestamp): revoked before that time, invalid; revoked
    // after it, still valid — even when judged long after.
    std::fs::write(fx.dir.join("sig0.bin"), &good[0].value.0).unwrap();
    let sig_token = fx.stamp("tsa", "sig0.bin");
    let sig_digest: [u8; 32] = sha2::Sha256::digest(&good[0].value.0).into();
    let sig_time = verifier::tsp::verify_token(&sig_token, &sig_digest, &tsas).unwrap().time_ms;
    let revoked_at = |effect: u64| {
        let mut certs = certs.clone();
        certs.insert(
            fp(&ec),
            record(
                &ec,
                CertKind::Trader,
                &[(Lifecycle::Issued, long_ago), (Lifecycle::Revoked, effect)],
            ),
        );
        certs
    };
    for (effect, ok) in [(sig_time - 1, false), (sig_time + 60_000, true)] {
        let certs = revoked_at(effect);
        let c = Context { certs: &certs, ..ctx_ref(&ctx) };
        let tokens = vec![token.clone(), sig_token.clone()];
        let f = check_document(
            &doc(DocumentType::Bid, sha, sm3, vec![good[0].clone()], tokens),
            received + 120_000,
            &c,
        );
        if ok {
            assert_eq!(failed(&f), None, "{f:#?}");
            assert!(
                f.iter()
                    .any(|x| x.result.as_ref().is_ok_and(|r| r.contains("after the signing time")))
            );
            assert!(
                f.iter().any(|x| x.result.as_ref().is_ok_and(|r| r.contains("over signature 1")))
            );
        } else {
            assert_fails(&f, "certificate status at trusted time", "revoked");
        }
    }
    // A token over the document proves the document existed, not when it was
    // signed: it does not move the signature before a revocation (a stolen key
    // could sign a stamped document later). Judged at the received time.
    let certs_r = revoked_at(ts_time_of(&token, &sha, &tsas) + 60_000);
    let c = Context { certs: &certs_r, ..ctx_ref(&ctx) };
    let f = check_document(
        &doc(DocumentType::Bid, sha, sm3, vec![good[0].clone()], vec![token.clone()]),
        received + 120_000,
        &c,
    );
    assert_fails(&f, "certificate status at trusted time", "platform received time");
    // And a token's imprint algorithm decides which digest it is over: an SM3
    // token does not stand for the SHA-256 (or the other way round).
    let swapped_digests = Document {
        sm3: Some(Hash(sha)),
        ..doc(DocumentType::Contract, other_sha, sm3, vec![], vec![token.clone()])
    };
    assert_fails(
        &check_document(&swapped_digests, received, &ctx),
        "timestamp",
        "over another digest",
    );
    // Reported lost before: invalid too.
    let mut lost = certs.clone();
    lost.insert(
        fp(&ed),
        record(
            &ed,
            CertKind::Trader,
            &[(Lifecycle::Issued, long_ago), (Lifecycle::ReportedLost, long_ago + 1)],
        ),
    );
    let c = Context { certs: &lost, ..ctx_ref(&ctx) };
    assert_fails(
        &check_document(
            &doc(DocumentType::Bid, sha, sm3, vec![good[1].clone()], vec![token.clone()]),
            received,
            &c,
        ),
        "certificate status at trusted time",
        "reportedlost",
    );

    // Wrong SM2 ID: the signature was made with the default ID.
    let mut wrong_id = good[3].clone();
    wrong_id.sm2_id = Some("1234567812345679".into());
    assert_fails(
        &check_document(
            &doc(DocumentType::Contract, sha, sm3, vec![wrong_id], vec![]),
            received,
            &ctx,
        ),
        "signature",
        "does not verify",
    );
    // A signature made with another ID verifies when the event names it.
    let with_id = DocSignature {
        sm2_id: Some("bidder-a@example".into()),
        ..raw(&sm2, fx.raw_sign(&sm2, &sm3, "bidder-a@example"))
    };
    let f = check_document(
        &doc(DocumentType::Contract, sha, sm3, vec![with_id], vec![]),
        received,
        &ctx,
    );
    assert_eq!(failed(&f), None, "{f:#?}");

    // Signer kind not allowed: a trader may not sign the evaluation report; an expert may.
    let report = |s: DocSignature| {
        doc(DocumentType::EvaluationReport, sha, sm3, vec![s], vec![token.clone()])
    };
    assert_fails(
        &check_document(&report(good[0].clone()), received, &ctx),
        "policy",
        "may not sign",
    );
    let by_expert = raw(&expert, fx.raw_sign(&expert, &sha, ""));
    assert_eq!(failed(&check_document(&report(by_expert), received, &ctx)), None);
    // Unsigned where a signer is required.
    assert_fails(
        &check_document(
            &doc(DocumentType::Bid, sha, sm3, vec![], vec![token.clone()]),
            received,
            &ctx,
        ),
        "policy",
        "must be signed",
    );

    // Missing timestamp for a document type on the seed's list; a contract needs none.
    assert_fails(
        &check_document(
            &doc(DocumentType::Bid, sha, sm3, vec![good[0].clone()], vec![]),
            received,
            &ctx,
        ),
        "policy",
        "needs a verified trusted timestamp",
    );
    assert_eq!(
        failed(&check_document(
            &doc(DocumentType::Contract, sha, sm3, vec![good[0].clone()], vec![]),
            received,
            &ctx
        )),
        None
    );

    // Timestamps: over another document, from an untrusted TSA, too late.
    let other_token = fx.stamp("tsa", "other.bin");
    assert_fails(
        &check_document(
            &doc(DocumentType::Contract, sha, sm3, vec![], vec![other_token]),
            received,
            &ctx,
        ),
        "timestamp",
        "over another digest",
    );
    let c = Context { tsa: &wrong, ..ctx_ref(&ctx) };
    assert_fails(
        &check_document(
            &doc(DocumentType::Contract, sha, sm3, vec![], vec![token.clone()]),
            received,
            &c,
        ),
        "timestamp",
        "timestamp 1",
    );
    assert_fails(
        &check_document(
            &doc(DocumentType::Contract, sha, sm3, vec![], vec![token.clone()]),
            ts_time_of(&token, &sha, &tsas) - 3_600_000,
            &ctx,
        ),
        "timestamp",
        "after the platform received",
    );

    // A trader certificate event whose USCC has a wrong check character
    // cannot even be read (a submission, a leaf, a bundle).
    let good = CertificateEvent {
        der: Bytes(ec.der.clone()),
        cert_kind: CertKind::Trader,
        uscc: Some(USCC.parse().unwrap()),
        unit_name: Some(UNIT.into()),
        resident_id: None,
        lifecycle: Lifecycle::Issued,
        effective_ms: long_ago,
    };
    let mut bad = serde_json::to_value(&good).unwrap();
    bad["uscc"] = "91350100M000100Y44".into();
    let e = serde_json::from_value::<CertificateEvent>(bad).unwrap_err().to_string();
    assert!(e.contains("check"), "{e}");

    // Registered personnel: bound to a resident ID the subject carries, whose
    // check digit is validated.
    let person = fx.leaf(
        &ca,
        "person",
        Alg::Ecdsa,
        "/C=CN/serialNumber=11010519491231002X/CN=engineer",
        365,
        "",
    );
    let personnel = |id: Option<&str>| verifier::event::Content {
        tender: verifier::event::cert_tender(&fp(&person)),
        principal: "ca-registry".into(),
        body: verifier::event::Body::Certificate(CertificateEvent {
            der: Bytes(person.der.clone()),
            cert_kind: CertKind::RegisteredPersonnel,
            uscc: None,
            unit_name: None,
            resident_id: id.map(|s| s.parse().unwrap()),
            lifecycle: Lifecycle::Issued,
            effective_ms: long_ago,
        }),
    };
    personnel(Some("11010519491231002X")).validate().unwrap();
    let e = "110105194912310021".parse::<verifier::ids::ResidentId>().unwrap_err().to_string();
    assert!(e.contains("check"), "{e}");
    // Printed, an event masks the number.
    let shown = format!("{:?}", personnel(Some("11010519491231002X")));
    assert!(!shown.contains("11010519491231002X") && shown.contains("002X"), "{shown}");
    let e = personnel(None).validate().unwrap_err().to_string();
    assert!(e.contains("needs its resident_id"), "{e}");
}

fn ts_time_of(token: &[u8], digest: &[u8; 32], tsas: &TrustStore) -> u64 {
    verifier::tsp::verify_token(token, digest, tsas).unwrap().time_ms
}

fn ctx_ref<'a>(c: &Context<'a>) -> Context<'a> {
    Context { ca: c.ca, tsa: c.tsa, certs: c.certs, seals: c.seals, policy: c.policy }
}
