//! Signed OFD packages (GB/T 33190) made by an independent assembler —
//! `tests/py/make_ofd.py`: Python's `zipfile` and `lxml` for the package,
//! `pyasn1` and `gmssl` for the seals (via `make_seal.py`), certificates by
//! `openssl` — give the verdict the assembler expects, finding for
//! finding: valid packages (v4 and v1 seals, every check method, certificate
//! digest lists, two signatures, a streamed zip) hold; a part changed,
//! removed or added after signing, a wrong check value, a changed
//! `Signature.xml` or `SignedValue.dat`, and a seal changed after its maker
//! signed are each named; hostile zips are refused. The real-world signed
//! OFD in `../shared/vectors/real-world/ofd/` holds with its 13 references.
//! And every single-bit change to a signed part's bytes is caught.
//!
//! Skipped (and says so) where python3 with `pyasn1`, `gmssl` and `lxml` or
//! openssl is missing, unless `TENDERLOG_REQUIRE_FIXTURES` is set (CI sets it).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;

use verifier::ofd::{OfdReport, RefOutcome};

fn have_assembler() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import pyasn1, gmssl, lxml"])
        .output()
        .is_ok_and(|o| o.status.success())
        && tenderlog_tests::fixtures::have_openssl();
    if !ok {
        tenderlog_tests::tool_missing(
            "python3 with pyasn1, gmssl and lxml, or openssl (pip install -r tests/py/requirements.txt)",
        );
    }
    ok
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("py").join("make_ofd.py")
}

/// The findings of a report, in the assembler's words.
fn findings(r: &OfdReport) -> (Vec<BTreeSet<String>>, Vec<String>) {
    let per_sig = r
        .signatures
        .iter()
        .map(|s| {
            let mut found = BTreeSet::new();
            for re in &s.references {
                let finding = match &re.outcome {
                    RefOutcome::Matches => continue,
                    RefOutcome::Modified => format!("modified: {}", re.part),
                    RefOutcome::Missing => format!("missing: {}", re.part),
                    RefOutcome::Unreadable(why) => format!("unreadable: {} {why}", re.part),
                };
                found.insert(finding);
            }
            for c in s.checks.iter().filter(|c| c.outcome.is_err()) {
                found.insert(match c.check {
                    "references" => continue,
                    "seal data hash" => "data hash mismatch".into(),
                    "seal signer signature" => "signer signature invalid".into(),
                    "seal maker signature" => "seal signature invalid".into(),
                    "seal conformance" => "not conformant".into(),
                    other => format!("{other}: {:?}", c.outcome),
                });
            }
            found
        })
        .collect();
    let notes = r.uncovered.iter().map(|p| format!("uncovered: {p}")).collect();
    (per_sig, notes)
}

/// Whether a signature's spec writes a time the way its seal's standard does
/// not (the assembler judges packages, not conformance; the verifier
/// reports a departure from the standard as a failed check).
fn nonconformant(sig: &serde_json::Value) -> bool {
    let v1 = sig["version"] == 1;
    let (time, dates) = (sig["time_info_encoding"].as_str(), sig["validity_encoding"].as_str());
    let (std_time, std_dates) =
        if v1 { ("bitstring-der-utc", "utc") } else { ("generalized", "generalized") };
    time.is_some_and(|t| t != std_time) || dates.is_some_and(|d| d != std_dates)
}

fn verdict(r: &Result<OfdReport, verifier::ofd::OfdError>) -> &'static str {
    match r {
        Err(_) => "refuse",
        Ok(r) if r.signatures.is_empty() => "unsigned",
        Ok(r) if r.verified() => "valid",
        Ok(_) => "invalid",
    }
}

#[test]
fn independently_assembled_packages_get_the_verdicts_their_assembler_expects() {
    if !have_assembler() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("ofd");
    // The self-test makes the certificates, the specs and every package, and
    // checks them by openssl and gmssl alone.
    let o = Command::new("python3")
        .arg(script())
        .args(["--self-test", "--keep"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "make_ofd.py --self-test: {}", String::from_utf8_lossy(&o.stdout));
    let mut specs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| !p.file_name().unwrap().to_str().unwrap().starts_with("bad-"))
        .collect();
    specs.sort();
    assert!(specs.len() >= 30, "only {} packages were made", specs.len());
    let mut seen = BTreeSet::new();
    for spec in &specs {
        let name = spec.file_stem().unwrap().to_str().unwrap().to_owned();
        // Made again, so the expectation is for exactly these bytes.
        let o = Command::new("python3").arg(script()).arg(spec).current_dir(&dir).output().unwrap();
        assert!(o.status.success(), "{name}: {}", String::from_utf8_lossy(&o.stderr));
        let made: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let expect = &made["expect"];
        let bytes = std::fs::read(made["out"].as_str().unwrap()).unwrap();
        let got = verifier::ofd::verify(&bytes, None);
        let sigs: Vec<serde_json::Value> = serde_json::from_slice::<serde_json::Value>(
            &std::fs::read(spec).unwrap(),
        )
        .unwrap()["signatures"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let departs = sigs.iter().any(nonconformant);
        let want_verdict = match expect["verdict"].as_str().unwrap() {
            "valid" if departs => "invalid",
            v => v,
        };
        assert_eq!(verdict(&got), want_verdict, "{name}: {got:#?}");
        seen.insert(expect["verdict"].as_str().unwrap().to_owned());
        let Ok(report) = got else { continue };
        let (per_sig, notes) = findings(&report);
        let want: Vec<BTreeSet<String>> = expect["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .zip(&sigs)
            .map(|(s, spec)| {
                let mut want: BTreeSet<String> = s
                    .as_array()
                    .unwrap()
                    .iter()
                    // A wrongly written CheckValue and a changed part are the
                    // same finding to a verifier: the digests differ.
                    .map(|f| f.as_str().unwrap().replace("check value mismatch: ", "modified: "))
                    .collect();
                if nonconformant(spec) {
                    want.insert("not conformant".into());
                }
                want
            })
            .collect();
        assert_eq!(per_sig, want, "{name}");
        let want_notes: Vec<String> = expect["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().into())
            .collect();
        assert_eq!(notes, want_notes, "{name}");
    }
    assert_eq!(seen, ["invalid", "refuse", "unsigned", "valid"].map(String::from).into());
}

/// The real-world signed e-invoice OFD holds: 13 references by SM3 OID,
/// one v4 seal (README of the vectors).
#[test]
fn the_real_world_signed_ofd_holds() {
    let Some(v) = tenderlog_tests::vectors_dir("the real-world signed OFD") else { return };
    let bytes = std::fs::read(v.join("real-world/ofd/v4signed.ofd")).unwrap();
    let r = verifier::ofd::verify(&bytes, None).unwrap();
    assert!(r.verified(), "{r:#?}");
    assert_eq!(r.signatures.len(), 1);
    let s = &r.signatures[0];
    assert_eq!(s.references.len(), 13);
    assert_eq!(s.check_method, "1.2.156.10197.1.401");
    let seal = s.seal.as_ref().unwrap();
    assert_eq!(seal.seal.es_id, "50011200000399");
    assert_eq!(seal.version, 4);
    // After the seal expired (2023-10-07) it no longer holds.
    let later = verifier::ofd::verify(&bytes, Some(1_700_000_000_000)).unwrap();
    assert!(!later.verified());
}

/// Rebuilds a package with `part` replaced by `data` (the other entries as
/// they were).
fn with_part(package: &[u8], part: &str, data: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(package)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().unwrap().into_owned();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        out.start_file(&name, opts).unwrap();
        out.write_all(if name == part { data } else { &bytes }).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// Every single-bit change to a signed part — a referenced part, the
/// `Signature.xml`, the `SignedValue.dat` — is caught (every bit of the
/// first 64 bytes of each, and 200 more spread over it).
#[test]
fn every_bit_flip_of_a_signed_part_is_caught() {
    let Some(v) = tenderlog_tests::vectors_dir("the real-world signed OFD") else { return };
    let bytes = std::fs::read(v.join("real-world/ofd/v4signed.ofd")).unwrap();
    let pkg = verifier::ofd::Package::read(&bytes).unwrap();
    let report = verifier::ofd::verify(&bytes, None).unwrap();
    let sig = &report.signatures[0];
    let mut parts: Vec<String> =
        sig.references.iter().map(|r| r.part.trim_start_matches('/').to_owned()).collect();
    parts.push(sig.location.trim_start_matches('/').to_owned());
    parts.push("Doc_0/Signs/Sign_0/SignedValue.dat".into());
    // Unchanged, rebuilt: still holds (the rebuild itself changes nothing signed).
    let same = with_part(&bytes, &parts[0], pkg.part(&parts[0]).unwrap());
    assert!(verifier::ofd::verify(&same, None).unwrap().verified());
    let mut flips = 0;
    for part in &parts {
        let data = pkg.part(part).unwrap();
        let bits = data.len() * 8;
        let positions: BTreeSet<usize> =
            (0..bits.min(512)).chain((0..200).map(|k| k * bits / 200)).collect();
        for bit in positions {
            let mut changed = data.to_vec();
            changed[bit / 8] ^= 1 << (bit % 8);
            let r = verifier::ofd::verify(&with_part(&bytes, part, &changed), None);
            assert!(
                !r.as_ref().is_ok_and(OfdReport::verified),
                "bit {bit} of {part} flipped, and the package still holds"
            );
            flips += 1;
        }
    }
    assert!(flips > 5_000, "{flips}");
}

/// The ledger checks an OFD package's e-seals as it checks a document's
/// own: a document whose only e-seals are inside its OFD package, in a log
/// with no rule pack in force, is not taken unchecked — this seal is not
/// registered (no binding), so the submission is refused and the refusal
/// logged, naming the seal check.
#[test]
fn the_ledger_checks_the_seals_inside_an_ofd_package() {
    let Some(v) = tenderlog_tests::vectors_dir("the real-world signed OFD") else { return };
    let bytes = std::fs::read(v.join("real-world/ofd/v4signed.ofd")).unwrap();
    let given = verifier::report::GivenDocument::of_bytes("invoice.ofd", &bytes);
    let pkg = given.ofd.unwrap();
    let mut doc = verifier::event::Document::new(
        verifier::event::DocumentType::AwardNotice,
        given.sha256,
        bytes.len() as u64,
        "application/ofd",
    );
    doc.sm3 = given.sm3;
    doc.ofd_seals = pkg.seals;
    let t = tempfile::tempdir().unwrap();
    ledger::init(t.path(), "ofd.example/log", &ledger::clock::SystemClock).unwrap();
    let clock = std::sync::Arc::new(ledger::ManualClock::new(1_700_000_000_000));
    let mut l = ledger::Ledger::open(t.path(), clock).unwrap();
    let content = verifier::event::Content {
        tender: "ZB2026-OFD".into(),
        principal: "agency-01".into(),
        body: verifier::event::Body::Document(doc),
    };
    let out = l.append(vec![content]).unwrap();
    let refused = out.results[0].as_ref().expect_err("an unregistered seal was taken unchecked");
    assert!(refused.logged.is_some(), "the refusal is logged");
    assert!(refused.error.to_string().contains("seal"), "{}", refused.error);
}
