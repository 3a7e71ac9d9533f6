//! Signed PDFs made by an independent signer — pyHanko, driven by
//! `tests/py/make_pdf.py`, with RSA and P-256 certificates by `openssl`, and
//! a GB/T 38540 seal by `pyasn1` + `gmssl` in place of a CMS — get the
//! verdicts pyHanko's own validator gives them: a signed file holds; an
//! incremental update after signing is reported with its size; two
//! signatures both hold; a changed byte inside the range, a flipped bit of
//! the CMS, and a byte range that leaves more than the signature value
//! unsigned are refused; the seal holds over the covered bytes.
//!
//! Skipped (and says so) where python3 with pyHanko, pyasn1 and gmssl, or
//! openssl is missing, unless `TENDERLOG_REQUIRE_FIXTURES` is set (CI sets it).
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use verifier::pdf::{PdfReport, SignatureKind};

fn have_signer() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import pyhanko, pyasn1, gmssl"])
        .output()
        .is_ok_and(|o| o.status.success())
        && tenderlog_tests::fixtures::have_openssl();
    if !ok {
        tenderlog_tests::tool_missing(
            "python3 with pyhanko, pyasn1 and gmssl, or openssl (pip install -r tests/py/requirements.txt)",
        );
    }
    ok
}

fn failed(r: &PdfReport) -> Vec<Vec<&'static str>> {
    r.signatures
        .iter()
        .map(|s| s.checks.iter().filter(|c| c.outcome.is_err()).map(|c| c.check).collect())
        .collect()
}

#[test]
fn pdfs_signed_by_pyhanko_get_the_verdicts_pyhanko_gives() {
    if !have_signer() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("pdf");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("py").join("make_pdf.py");
    let o = Command::new("python3")
        .arg(script)
        .args(["--self-test", "--keep"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "make_pdf.py --self-test: {}", String::from_utf8_lossy(&o.stdout));
    for signer in ["out-rsa", "out-ec"] {
        let read = |v: &str| {
            let bytes = std::fs::read(dir.join(signer).join(format!("{v}.pdf"))).unwrap();
            (verifier::pdf::verify(&bytes, None).unwrap(), bytes.len() as u64)
        };
        let (plain, size) = read("plain");
        assert!(plain.verified(), "{signer} plain: {plain:#?}");
        assert_eq!(plain.signatures.len(), 1);
        let s = &plain.signatures[0];
        assert_eq!(s.kind, SignatureKind::Cms);
        assert_eq!(s.appended_after, 0);
        assert_eq!(s.byte_range[2] + s.byte_range[3], size, "the range covers the whole file");
        assert!(s.signer.as_deref().unwrap().contains("make_pdf"), "{:?}", s.signer);

        let (after, _) = read("incremental_after");
        assert!(!after.verified(), "{signer}: an update after signing is not the signed file");
        assert!(after.signatures[0].verified(), "the signature still holds over its range");
        assert!(after.signatures[0].appended_after > 0);

        let (two, _) = read("two_signatures");
        assert!(two.verified(), "{signer} two: {two:#?}");
        assert_eq!(two.signatures.len(), 2);
        assert!(two.signatures[0].appended_after > 0 && two.signatures[1].appended_after == 0);

        let (gap, _) = read("byterange_gap");
        assert_eq!(failed(&gap), [["byte range"]], "{signer}");
        let (bad, _) = read("tampered_contents");
        assert_eq!(failed(&bad), [["signature"]], "{signer}");
        let (none, _) = read("unsigned");
        assert!(none.signatures.is_empty() && !none.verified());
    }
    // RSA-only variants: a changed byte inside the range; the seal; 10 MiB.
    let read = |v: &str| {
        verifier::pdf::verify(
            &std::fs::read(dir.join("out-rsa").join(format!("{v}.pdf"))).unwrap(),
            None,
        )
        .unwrap()
    };
    assert_eq!(failed(&read("tampered_covered")), [["signature"]]);
    let seal = read("ses_seal");
    assert!(seal.verified(), "{seal:#?}");
    assert_eq!(seal.signatures[0].kind, SignatureKind::Seal);
    let ses = std::fs::read(dir.join("out-rsa/ses_seal.ses.der")).unwrap();
    assert_eq!(seal.signatures[0].seal.as_ref().unwrap().der, ses);
    assert!(read("pad_mb").verified());

    // Every single-bit change inside the signed range of the plain file is refused.
    let bytes = std::fs::read(dir.join("out-rsa/plain.pdf")).unwrap();
    let [_, b, c, d] = verifier::pdf::verify(&bytes, None).unwrap().signatures[0].byte_range;
    let positions: Vec<u64> = (0..b).step_by(7).chain((c..c + d).step_by(7)).collect();
    for p in positions {
        let mut changed = bytes.clone();
        changed[p as usize] ^= 1 << (p % 8);
        let r = verifier::pdf::verify(&changed, None);
        assert!(
            !r.as_ref().is_ok_and(PdfReport::verified),
            "byte {p} changed, and the file still verifies"
        );
    }
}
