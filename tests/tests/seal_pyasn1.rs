//! E-seals made by an independent encoder — `tests/py/make_seal.py`, Python
//! `pyasn1` for the DER and `gmssl` for SM2, over certificates and keys the
//! `openssl` command makes — give the verdicts they should: good seals (DER
//! and raw r‖s signatures) verify; a seal used outside its validity window,
//! by a signer not in its certificate list, or with its picture or
//! properties changed after the maker signed it is caught by the named
//! check; and through the document checks, a seal bound to another trader's
//! certificate, or a unit seal bound to two trader certificates, is refused.
//!
//! Skipped (and says so) where python3 with `pyasn1` and `gmssl` or openssl is
//! missing, unless `TENDERLOG_REQUIRE_FIXTURES` is set (CI sets it).
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use tenderlog_tests::fixtures::{Alg, Fixtures, Made, UNIT, USCC, have_openssl};
use verifier::Hash;
use verifier::event::{
    BindingAction, Bytes, CertKind, CertificateEvent, Document, DocumentType, Lifecycle,
    SealBinding,
};
use verifier::pki::{Cert, TrustStore};
use verifier::policy::SealRole;
use verifier::seal::SealSignature;
use verifier::signing::{CertRecord, Context, SealRecord, check_document};

fn have_python_encoder() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import pyasn1, gmssl"])
        .output()
        .is_ok_and(|o| o.status.success());
    let required = std::env::var_os("TENDERLOG_REQUIRE_FIXTURES").is_some();
    if !ok || !have_openssl() {
        assert!(
            !required,
            "TENDERLOG_REQUIRE_FIXTURES is set but python3 with pyasn1 and gmssl, or openssl, is missing (pip install -r tests/py/requirements.txt)"
        );
        tenderlog_tests::skipped("python3 with pyasn1 and gmssl is not installed");
    }
    ok
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("py").join("make_seal.py")
}

fn now_s() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// `YYYYMMDDHHMMSSZ` for a Unix time in seconds.
fn gtime(s: u64) -> String {
    let d = der::DateTime::from_unix_duration(std::time::Duration::from_secs(s)).unwrap();
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        d.year(),
        d.month(),
        d.day(),
        d.hour(),
        d.minutes(),
        d.seconds()
    )
}

struct World {
    fx: Fixtures,
    ca: Made,
    maker: Made,
    a: Made,
    b: Made,
    /// When the seals are made and applied, s (inside every certificate's validity).
    t0: u64,
    doc_sm3: [u8; 32],
    doc_sha: [u8; 32],
}

impl World {
    fn new(dir: &Path) -> World {
        let fx = Fixtures::new(dir);
        let ca = fx.ca("sealca", Alg::Sm2);
        let maker = fx.leaf(&ca, "maker", Alg::Sm2, "/C=CN/O=Seal platform/CN=seal maker", 365, "");
        let a = fx.trader(&ca, "trader-a", Alg::Sm2);
        let b = fx.trader(&ca, "trader-b", Alg::Sm2);
        let (doc_sha, doc_sm3) = fx.document("bid.pdf", b"%PDF-1.7 a bid under seal\n");
        // openssl starts certificates now: seal events a little later.
        World { fx, ca, maker, a, b, t0: now_s() + 5, doc_sm3, doc_sha }
    }

    /// Runs the encoder on a spec (extra keys over the defaults); returns
    /// the `SES_Signature` DER and the bare `SESeal` DER.
    fn make(&self, name: &str, extra: serde_json::Value) -> (Vec<u8>, Vec<u8>) {
        let mut spec = serde_json::json!({
            "vid": "PYASN1", "es_id": "35010000000001", "seal_type": 1, "name": "某某建设有限公司公章",
            "cert_list": ["trader-a.der"],
            "create": gtime(self.t0), "valid_start": gtime(self.t0),
            "valid_end": gtime(self.t0 + 86_400),
            "maker_cert": "maker.der", "maker_key": "maker.key",
            "signer_cert": "trader-a.der", "signer_key": "trader-a.key",
            "time_info": gtime(self.t0 + 10),
            "data_hash_hex": hex::encode(self.doc_sm3),
            "property_info": "bid.pdf",
            "out": format!("{name}.ses"), "seal_out": format!("{name}.esl"),
        });
        for (k, v) in extra.as_object().unwrap() {
            spec[k] = v.clone();
        }
        let path = self.fx.dir.join(format!("{name}.json"));
        std::fs::write(&path, serde_json::to_vec_pretty(&spec).unwrap()).unwrap();
        let o = Command::new("python3").arg(script()).arg(&path).output().unwrap();
        assert!(o.status.success(), "make_seal.py {name}: {}", String::from_utf8_lossy(&o.stderr));
        (
            std::fs::read(self.fx.dir.join(format!("{name}.ses"))).unwrap(),
            std::fs::read(self.fx.dir.join(format!("{name}.esl"))).unwrap(),
        )
    }

    fn at_ms(&self) -> u64 {
        (self.t0 + 20) * 1000
    }

    /// An OFD package from the independent assembler (`tests/py/make_ofd.py`)
    /// with one seal applied by trader A, listing `cert_list`: its bytes.
    fn ofd(&self, name: &str, cert_list: &[&str]) -> Vec<u8> {
        let spec = serde_json::json!({
            "maker_cert": "maker.der", "maker_key": "maker.key",
            "signer_cert": "trader-a.der", "signer_key": "trader-a.key",
            "out": format!("{name}.ofd"),
            "signatures": [{
                "es_id": "35010000000001", "name": "某某建设有限公司公章", "cert_list": cert_list,
                "create": gtime(self.t0), "valid_start": gtime(self.t0),
                "valid_end": gtime(self.t0 + 86_400), "time_info": gtime(self.t0 + 10),
                "with_seal_file": true,
            }],
        });
        let path = self.fx.dir.join(format!("{name}.json"));
        std::fs::write(&path, serde_json::to_vec_pretty(&spec).unwrap()).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("py").join("make_ofd.py");
        let o = Command::new("python3").arg(script).arg(&path).output().unwrap();
        assert!(o.status.success(), "make_ofd.py {name}: {}", String::from_utf8_lossy(&o.stderr));
        std::fs::read(self.fx.dir.join(format!("{name}.ofd"))).unwrap()
    }

    fn failed(&self, ses: &[u8]) -> Vec<&'static str> {
        let s = SealSignature::parse(ses).unwrap();
        s.verify_digest(Some(&self.doc_sm3), self.at_ms())
            .into_iter()
            .filter(|c| c.outcome.is_err())
            .map(|c| c.check)
            .collect()
    }
}

#[test]
fn independently_encoded_seals_get_their_verdicts() {
    if !have_python_encoder() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let w = World::new(t.path());

    // Good seals, with DER and raw r‖s signatures from both parties.
    for (name, fmt) in [("good-der", "der"), ("good-raw", "raw")] {
        let (ses, esl) = w.make(
            name,
            serde_json::json!({"signature_format": fmt, "maker_signature_format": fmt}),
        );
        let s = SealSignature::parse(&ses).unwrap();
        assert_eq!(s.version, 4);
        assert_eq!(s.seal.es_id, "35010000000001");
        assert_eq!(s.seal.name, "某某建设有限公司公章");
        assert_eq!(s.seal.der, esl, "the seal inside is the seal the encoder wrote");
        assert_eq!(s.seal.maker_cert, w.maker.der);
        assert_eq!(s.signer_cert, w.a.der);
        assert_eq!(s.data_hash, w.doc_sm3);
        assert_eq!(s.time_info_ms, (w.t0 + 10) * 1000);
        assert!(w.failed(&ses).is_empty(), "{name}: {:?}", w.failed(&ses));
        if fmt == "raw" {
            assert_eq!(s.signature.len(), 64);
        }
        // Another document: only the data hash is wrong.
        let other = [7u8; 32];
        let bad: Vec<_> = s
            .verify_digest(Some(&other), w.at_ms())
            .into_iter()
            .filter(|c| c.outcome.is_err())
            .map(|c| c.check)
            .collect();
        assert_eq!(bad, ["seal data hash"], "{name}");
    }

    // Outside its validity window: applied before the seal's validStart.
    let (ses, _) = w.make(
        "not-yet-valid",
        serde_json::json!({"valid_start": gtime(w.t0 + 3600), "valid_end": gtime(w.t0 + 7200)}),
    );
    assert_eq!(w.failed(&ses), ["seal validity"]);
    // ...and after its validEnd.
    let (ses, _) = w.make("expired", serde_json::json!({"valid_end": gtime(w.t0 + 15)}));
    assert_eq!(w.failed(&ses), ["seal validity"]);

    // The signer is not in the seal's certificate list.
    let (ses, _) = w.make("not-listed", serde_json::json!({"cert_list": ["trader-b.der"]}));
    assert_eq!(w.failed(&ses), ["seal certificate binding"]);

    // Picture or properties changed after the maker signed the seal (the
    // signer then signs the changed seal): the maker's signature says so.
    for tamper in ["picture", "name", "valid_end"] {
        let (ses, _) = w.make(
            &format!("tampered-{tamper}"),
            serde_json::json!({"tamper": tamper, "tamper_resign_signer": true}),
        );
        assert_eq!(w.failed(&ses), ["seal maker signature"], "{tamper}");
        // Without re-signing, the signer's signature breaks too.
        let (ses, _) =
            w.make(&format!("tampered-{tamper}-2"), serde_json::json!({"tamper": tamper}));
        assert_eq!(w.failed(&ses), ["seal signer signature", "seal maker signature"], "{tamper}");
    }
    let (ses, _) = w.make("tampered-data-hash", serde_json::json!({"tamper": "data_hash"}));
    assert_eq!(w.failed(&ses), ["seal data hash", "seal signer signature"]);
    let (ses, _) = w.make("tampered-sig", serde_json::json!({"tamper": "signer_signature"}));
    assert_eq!(w.failed(&ses), ["seal signer signature"]);
}

fn record(m: &Made, from_ms: u64) -> CertRecord {
    let ev = CertificateEvent {
        der: Bytes(m.der.clone()),
        cert_kind: CertKind::Trader,
        uscc: Some(USCC.parse().unwrap()),
        unit_name: Some(UNIT.into()),
        resident_id: None,
        lifecycle: Lifecycle::Issued,
        effective_ms: from_ms,
    };
    CertRecord::from_chain(&[(0, &ev)]).unwrap()
}

fn binding(esl: &[u8], cert: &Made, action: BindingAction, at_ms: u64) -> SealBinding {
    SealBinding {
        seal: Bytes(esl.to_vec()),
        role: SealRole::UnitSeal,
        cert: verifier::pki::fingerprint_of(&cert.der),
        action,
        effective_ms: at_ms,
    }
}

#[test]
fn seal_bindings_decide_whose_seal_it_is() {
    if !have_python_encoder() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let w = World::new(t.path());
    // One seal listing both traders' certificates; trader A applies it.
    let (ses, esl) =
        w.make("shared", serde_json::json!({"cert_list": ["trader-a.der", "trader-b.der"]}));
    let t_ms = w.t0 * 1000;

    // The seed's rule: a unit seal is bound to one trader certificate at most.
    let to_a = binding(&esl, &w.a, BindingAction::Bound, t_ms);
    let to_b = binding(&esl, &w.b, BindingAction::Bound, t_ms);
    let err = SealRecord::from_chain(&[(1, &to_a), (2, &to_b)]).unwrap_err();
    assert!(err.contains("one trader certificate at most"), "{err}");
    // Unbinding first makes the second binding possible.
    let off_a = binding(&esl, &w.a, BindingAction::Unbound, t_ms + 1);
    let to_b_later = binding(&esl, &w.b, BindingAction::Bound, t_ms + 1);
    SealRecord::from_chain(&[(1, &to_a), (2, &off_a), (3, &to_b_later)]).unwrap();
    // A certificate outside the seal's list cannot be bound.
    let (_, esl_a_only) = w.make("a-only", serde_json::json!({}));
    let err =
        SealRecord::from_chain(&[(1, &binding(&esl_a_only, &w.b, BindingAction::Bound, t_ms))])
            .unwrap_err();
    assert!(err.contains("not in the seal's certificate list"), "{err}");

    // Through the document checks.
    let ca = TrustStore::new(vec![Cert::from_der(&w.ca.der).unwrap()]).unwrap();
    let tsa = TrustStore::default();
    let certs: HashMap<Hash, CertRecord> = [&w.a, &w.b]
        .into_iter()
        .map(|m| (verifier::pki::fingerprint_of(&m.der), record(m, t_ms - 60_000)))
        .collect();
    let doc = Document {
        document_type: DocumentType::Bid,
        sha256: Hash(w.doc_sha),
        sm3: Some(Hash(w.doc_sm3)),
        size: 26,
        media_type: "application/pdf".into(),
        title: None,
        signatures: Vec::new(),
        timestamps: Vec::new(),
        seals: vec![Bytes(ses.clone())],
        ofd_seals: Vec::new(),
        received_timestamp: None,
    };
    let fp = SealSignature::parse(&ses).unwrap().seal.fingerprint();
    let check = |chain: &[(u64, &SealBinding)]| {
        let seals: HashMap<Hash, SealRecord> =
            [(fp, SealRecord::from_chain(chain).unwrap())].into_iter().collect();
        let ctx = Context { ca: &ca, tsa: &tsa, certs: &certs, seals: &seals, policy: None };
        check_document(&doc, w.at_ms(), &ctx)
    };
    let failed = |f: &[verifier::signing::Finding]| -> Vec<String> {
        f.iter()
            .filter(|x| x.result.is_err())
            .map(|x| format!("{} / {}", x.check, x.subject))
            .collect()
    };
    // Bound to trader A, applied by trader A: every check passes.
    let ok = check(&[(1, &to_a)]);
    assert!(failed(&ok).is_empty(), "{ok:#?}");
    assert!(ok.iter().any(|f| f.check == "seal" && f.subject == "seal 1 binding"));
    // Bound to trader B instead: the seal is another trader's.
    let other = check(&[(1, &to_b)]);
    assert_eq!(failed(&other), ["seal / seal 1 binding"], "{other:#?}");
    let why = other.iter().find(|f| f.result.is_err()).unwrap().result.clone().unwrap_err();
    assert!(why.detail.contains("bound to certificate"), "{why}");
    assert_eq!(why.reason, verifier::signing::Reason::NotInForce);
    // Unbound from A before it was applied.
    let gone = check(&[(1, &to_a), (2, &off_a)]);
    assert_eq!(failed(&gone), ["seal / seal 1 binding"]);
    // Not registered at all.
    let seals = HashMap::new();
    let ctx = Context { ca: &ca, tsa: &tsa, certs: &certs, seals: &seals, policy: None };
    let none = check_document(&doc, w.at_ms(), &ctx);
    assert_eq!(failed(&none), ["seal / seal 1 binding"]);
    let why = none.iter().find_map(|f| f.result.clone().err()).unwrap();
    assert_eq!(why.reason, verifier::signing::Reason::Unregistered, "{why}");
    // A rule pack that asks for a unit seal: met by the bound seal only.
    let mut pack = verifier::policy::RulePack::default_pack();
    for r in &mut pack.rules {
        if r.document_type == DocumentType::Bid {
            r.seal_roles = vec![SealRole::UnitSeal];
            r.signer_kinds = Vec::new();
            r.timestamp = false;
        }
    }
    let good: HashMap<Hash, SealRecord> =
        [(fp, SealRecord::from_chain(&[(1, &to_a)]).unwrap())].into_iter().collect();
    let ctx = Context { ca: &ca, tsa: &tsa, certs: &certs, seals: &good, policy: Some(&pack) };
    assert!(failed(&check_document(&doc, w.at_ms(), &ctx)).is_empty());
    let bad: HashMap<Hash, SealRecord> =
        [(fp, SealRecord::from_chain(&[(1, &to_b)]).unwrap())].into_iter().collect();
    let ctx = Context { ca: &ca, tsa: &tsa, certs: &certs, seals: &bad, policy: Some(&pack) };
    let f = check_document(&doc, w.at_ms(), &ctx);
    assert_eq!(failed(&f), ["seal / seal 1 binding", "policy / rule pack tenderlog-default v2"]);
}

/// Every time encoding the two standards and their producers use in
/// `timeInfo` and the seal's dates is read, to the same instant, and a
/// conformance finding names each one that departs from the seal's
/// standard; GM/T 0031 (v1) seals with the v1 `timeInfo` (a BIT STRING
/// holding a DER UTCTime) verify. Certificate lists of type 2 (digests of
/// the certificates, by SM3 or SHA-256) bind the signer whose digest is
/// listed, and only that signer.
#[test]
fn every_time_encoding_and_certificate_digest_lists_are_read() {
    if !have_python_encoder() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let w = World::new(t.path());
    let want = (w.t0 + 10) * 1000;
    // (version, timeInfo encoding, seal date encoding, conformant)
    let cases = [
        (4, "generalized", "generalized", true),
        (4, "utc", "generalized", false),
        (4, "bitstring-der-generalized", "generalized", false),
        (4, "generalized", "utc", false),
        (1, "bitstring-der-utc", "utc", true),
        (1, "bitstring-der-generalized", "utc", false),
        (1, "bitstring-text", "utc", false),
        (1, "bitstring-text-local", "utc", false),
        (1, "utc", "utc", false),
        (1, "generalized", "generalized", false),
    ];
    for (version, time_info, dates, conformant) in cases {
        let name = format!("v{version}-{time_info}-{dates}");
        let (ses, _) = w.make(
            &name,
            serde_json::json!({"version": version, "time_info_encoding": time_info, "validity_encoding": dates}),
        );
        let s = SealSignature::parse(&ses).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s.version, version, "{name}");
        assert_eq!(s.time_info_ms, want, "{name}: timeInfo read as another instant");
        assert_eq!(s.seal.valid_start_ms, w.t0 * 1000, "{name}");
        let failed = w.failed(&ses);
        if conformant {
            assert!(failed.is_empty(), "{name}: {failed:?} {:?}", s.conformance);
        } else {
            // Read, judged, and the deviation named — nothing else fails.
            assert_eq!(failed, ["seal conformance"], "{name}: {:?}", s.conformance);
            assert!(
                s.conformance.iter().any(|n| n.contains("timeInfo") || n.contains("valid")),
                "{name}: {:?}",
                s.conformance
            );
        }
    }

    // Certificate lists of type 2: the signer's digest, by SM3 (the
    // default) or SHA-256, is in the list.
    for alg in ["SM3", "SHA256"] {
        let (ses, _) = w.make(
            &format!("digests-{alg}"),
            serde_json::json!({"cert_list_type": 2, "cert_digest_alg": alg, "cert_list": ["trader-b.der", "trader-a.der"]}),
        );
        let s = SealSignature::parse(&ses).unwrap();
        assert_eq!(s.seal.cert_list_type, 2);
        assert_eq!(s.seal.cert_digests.len(), 2);
        assert!(s.seal.cert_list.is_empty());
        assert!(w.failed(&ses).is_empty(), "{alg}: {:?}", w.failed(&ses));
        assert!(s.seal.lists(&w.a.der) && s.seal.lists(&w.b.der));
        assert!(!s.seal.lists(&w.maker.der));
        // Only the other trader's digest: the signer is not bound.
        let (ses, _) = w.make(
            &format!("digests-{alg}-other"),
            serde_json::json!({"cert_list_type": 2, "cert_digest_alg": alg, "cert_list": ["trader-b.der"]}),
        );
        assert_eq!(w.failed(&ses), ["seal certificate binding"], "{alg}");
    }
}

/// An OFD package's e-seals, as a submission carries them (each with the
/// SM3 of the `Signature.xml` it signs), pass the same document checks as
/// a document's own seals — signatures, validity, the seal's binding to the
/// signer's registered certificate — and a logged `Signature.xml` digest
/// that is not the one sealed is refused. The package comes from the
/// independent assembler (`tests/py/make_ofd.py`).
#[test]
fn an_ofd_packages_seals_are_checked_as_held() {
    if !have_python_encoder() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let w = World::new(t.path());
    let bytes = w.ofd("award", &["trader-a.der", "trader-b.der"]);

    let given = verifier::report::GivenDocument::of_bytes("award.ofd", &bytes);
    let pkg = given.ofd.clone().expect("read as an OFD package");
    assert_eq!(pkg.intact, Ok(()));
    let [logged] = &pkg.seals[..] else { panic!("{:?}", pkg.seals) };
    let (location, xml_sm3) = (&logged.signature_xml, &logged.signature_xml_sm3);
    let doc = |xml_sm3: Hash| Document {
        document_type: DocumentType::AwardNotice,
        sha256: given.sha256,
        sm3: given.sm3,
        size: bytes.len() as u64,
        media_type: "application/ofd".into(),
        title: None,
        signatures: Vec::new(),
        timestamps: Vec::new(),
        seals: Vec::new(),
        ofd_seals: vec![verifier::event::OfdSeal { signature_xml_sm3: xml_sm3, ..logged.clone() }],
        received_timestamp: None,
    };
    let t_ms = w.t0 * 1000;
    let s = SealSignature::parse(&logged.seal.0).unwrap();
    let ca = TrustStore::new(vec![Cert::from_der(&w.ca.der).unwrap()]).unwrap();
    let tsa = TrustStore::default();
    let certs: HashMap<Hash, CertRecord> =
        [(verifier::pki::fingerprint_of(&w.a.der), record(&w.a, t_ms - 60_000))]
            .into_iter()
            .collect();
    let to_a = binding(&s.seal.der, &w.a, BindingAction::Bound, t_ms);
    let seals: HashMap<Hash, SealRecord> =
        [(s.seal.fingerprint(), SealRecord::from_chain(&[(1, &to_a)]).unwrap())]
            .into_iter()
            .collect();
    let ctx = Context { ca: &ca, tsa: &tsa, certs: &certs, seals: &seals, policy: None };
    let failed = |f: &[verifier::signing::Finding]| -> Vec<String> {
        f.iter()
            .filter(|x| x.result.is_err())
            .map(|x| format!("{} / {}", x.check, x.subject))
            .collect()
    };
    let ok = check_document(&doc(*xml_sm3), w.at_ms(), &ctx);
    assert!(failed(&ok).is_empty(), "{ok:#?}");
    let subject = format!("OFD seal 1 ({location})");
    assert!(
        ok.iter().any(|f| f.check == "seal" && f.subject == subject && f.result.is_ok()),
        "{ok:#?}"
    );
    // The logged Signature.xml digest is not the sealed file's.
    let mut other = xml_sm3.0;
    other[0] ^= 1;
    let bad = check_document(&doc(Hash(other)), w.at_ms(), &ctx);
    assert_eq!(failed(&bad), [format!("seal / {subject}")], "{bad:#?}");
    // The seal bound to another trader: its binding fails.
    let to_b = binding(&s.seal.der, &w.b, BindingAction::Bound, t_ms);
    let seals_b: HashMap<Hash, SealRecord> =
        [(s.seal.fingerprint(), SealRecord::from_chain(&[(1, &to_b)]).unwrap())]
            .into_iter()
            .collect();
    let ctx_b = Context { ca: &ca, tsa: &tsa, certs: &certs, seals: &seals_b, policy: None };
    let wrong = check_document(&doc(*xml_sm3), w.at_ms(), &ctx_b);
    assert_eq!(failed(&wrong), [format!("seal / {subject} binding")], "{wrong:#?}");
}

/// The whole path of an OFD package as held: a log that trusts the seal
/// CA registers the trader's certificate and binds the seal to it; the
/// package (assembled by `tests/py/make_ofd.py`) is filed with its e-seals
/// as `tenderlog ofd extract` gives them, and taken; its entry's bundle,
/// given the file, verifies — every check, the e-seals inside the file
/// being the logged ones among them.
#[test]
fn an_ofd_package_is_filed_bundled_and_verified_with_its_file() {
    use verifier::event::{Body, Content};
    if !have_python_encoder() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let w = World::new(t.path());
    let bytes = w.ofd("award", &["trader-a.der"]);
    let given = verifier::report::GivenDocument::of_bytes("award.ofd", &bytes);
    let pkg = given.ofd.clone().unwrap();
    let esl = SealSignature::parse(&pkg.seals[0].seal.0).unwrap().seal.der;

    let dir = t.path().join("log");
    ledger::init(&dir, "ofd.example/log", &ledger::clock::SystemClock).unwrap();
    ledger::trust::add_ca(&dir, &w.ca.der).unwrap();
    let clock = std::sync::Arc::new(ledger::ManualClock::new(w.at_ms()));
    let mut l = ledger::Ledger::open(&dir, clock).unwrap();
    let t_ms = w.t0 * 1000;
    let cert = CertificateEvent {
        der: Bytes(w.a.der.clone()),
        cert_kind: CertKind::Trader,
        uscc: Some(USCC.parse().unwrap()),
        unit_name: Some(UNIT.into()),
        resident_id: None,
        lifecycle: Lifecycle::Issued,
        effective_ms: t_ms - 60_000,
    };
    let bind = binding(&esl, &w.a, BindingAction::Bound, t_ms);
    let registry = |body: Body| Content {
        tender: body.required_tender().unwrap(),
        principal: "registry".into(),
        body,
    };
    let out = l
        .append(vec![registry(Body::Certificate(cert)), registry(Body::SealBinding(bind))])
        .unwrap();
    for r in &out.results {
        assert!(r.is_ok(), "{:?}", r.as_ref().err().map(|e| e.error.to_string()));
    }
    let mut doc = Document::new(
        DocumentType::AwardNotice,
        given.sha256,
        bytes.len() as u64,
        "application/ofd",
    );
    doc.sm3 = given.sm3;
    doc.ofd_seals = pkg.seals;
    let filed = Content {
        tender: "ZB2026-OFD".into(),
        principal: "agency-01".into(),
        body: Body::Document(doc),
    };
    let out = l.append(vec![filed]).unwrap();
    let index = match &out.results[0] {
        Ok(a) => a.index,
        Err(e) => panic!("the OFD was refused: {}", e.error),
    };
    drop(l);

    let store = ledger::Store::open(&dir).unwrap();
    let signer = ledger::keys::load(&ledger::store::key_path(&dir), store.origin()).unwrap();
    let roots = ledger::trust::bundle_roots(&dir).unwrap();
    let selection = verifier::bundle::Selection::Indexes(vec![index]);
    let bundle = store.export_bundle(&selection, Some(&signer), &roots).unwrap();
    let bundle = verifier::bundle::Bundle::from_zip(&bundle.to_zip().unwrap()).unwrap();
    let documents = [given];
    let r = verifier::report::verify_bundle_with(
        &bundle,
        &verifier::report::Options { documents: &documents, ..Default::default() },
    );
    assert!(r.verified, "{}", r.to_text());
    assert!(
        r.checks.iter().any(|c| c.check.as_str() == "seal"
            && c.subject == "award.ofd e-seals"
            && c.status == verifier::report::Status::Pass),
        "{}",
        r.to_text()
    );
}
