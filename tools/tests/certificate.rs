//! The evidence certificate, checked with tools that are not ours:
//! poppler's `pdftotext` finds the Chinese text, the digests and the
//! certificate number; `pdftoppm` renders the page; `pdfdetach` extracts
//! the attached receipt and checkpoint token, which the verifier's receipt
//! and timestamp checks (what `tenderlog-verify receipt` and
//! `tenderlog-verify timestamp` run) accept; `pdffonts` shows every font
//! embedded; Python's `pikepdf` (qpdf) reads the PDF/A-3B claim from the XMP
//! metadata and the attachments' AFRelationship. Two runs, and the server's
//! `GET /v1/certificates/{index}.pdf`, give identical bytes.
//!
//! Needs poppler-utils, fonts-noto-cjk and pikepdf; skips with a note
//! without them, unless `TENDERLOG_REQUIRE_FIXTURES` is set (CI sets it).
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{err, out, run};
use serde_json::Value;
use sha2::Digest as _;

fn tool(name: &str) -> bool {
    Command::new(name).arg("-v").output().is_ok()
}

fn missing() -> Option<String> {
    for t in ["pdftotext", "pdftoppm", "pdfdetach", "pdffonts"] {
        if !tool(t) {
            return Some(format!("{t} is missing (apt-get install poppler-utils)"));
        }
    }
    if certificate::Fonts::system().is_err() {
        return Some("Noto Sans CJK is missing (apt-get install fonts-noto-cjk)".into());
    }
    let py = Command::new("python3").args(["-c", "import pikepdf"]).output();
    if !py.is_ok_and(|o| o.status.success()) {
        return Some(
            "python3 with pikepdf is missing (pip install -r tests/py/requirements.txt)".into(),
        );
    }
    None
}

/// The demo's entry that opened bidder B's sealed bid, and the sealed entry.
fn reveal_of_bid_b(d: &str) -> (u64, u64) {
    let receipts = Path::new(d).join("demo");
    for i in 0..200 {
        let Ok(text) = std::fs::read_to_string(receipts.join(format!("receipt-{i}.json"))) else {
            continue;
        };
        let r: Value = serde_json::from_str(&text).unwrap();
        let o = run(&["entry", "--data", d, "--index", &r["index"].to_string()], "");
        let e: Value = serde_json::from_str(&out(&o)).unwrap();
        let body = &e["event"]["body"];
        if e["event"]["kind"] == "reveal"
            && body["principal"] == "bidder-b"
            && body["document"]["document_type"] == "bid"
        {
            return (
                r["index"].as_u64().unwrap(),
                e["event"]["body"]["sealed"]["index"].as_u64().unwrap(),
            );
        }
    }
    panic!("the demo has no reveal of bidder B's bid");
}

#[test]
fn certificate_pdf_checked_by_independent_tools() {
    if let Some(why) = missing() {
        return tenderlog_tests::tool_missing(&format!("the certificate test needs {why}"));
    }
    let t = tempfile::tempdir().unwrap();
    let o = common::bin().arg("demo").current_dir(t.path()).output().unwrap();
    assert!(o.status.success(), "demo: {}", err(&o));
    let data = t.path().join("tenderlog-data");
    let d = data.to_str().unwrap();
    let (index, sealed) = reveal_of_bid_b(d);
    let bid = std::fs::read(data.join("demo/05-bid-b.txt")).unwrap();
    let sha = hex::encode(sha2::Sha256::digest(&bid));
    let sm3 = hex::encode(<sm3::Sm3 as sm3::Digest>::digest(&bid));
    let policy = data.join("demo/witness-policy.txt");
    let policy = policy.to_str().unwrap();

    // Two runs, the same bytes.
    let pdf = |name: &str| {
        let path = t.path().join(name);
        let o = run(
            &[
                "certificate",
                "--data",
                d,
                "--index",
                &index.to_string(),
                "--out",
                path.to_str().unwrap(),
                "--witness-policy",
                policy,
            ],
            "",
        );
        assert!(o.status.success(), "certificate: {}", err(&o));
        std::fs::read(&path).unwrap()
    };
    let a = pdf("a.pdf");
    assert_eq!(a, pdf("b.pdf"), "two runs gave different bytes");
    assert!(a.starts_with(b"%PDF-"));

    // The text, as poppler extracts it.
    let o = Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-layout"])
        .arg(t.path().join("a.pdf"))
        .arg("-")
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = out(&o);
    for want in [
        "电子招标投标存证证书",
        "ZB2026-DEMO-001",
        "投标文件",
        "bidder-b",
        "乙建筑集团有限公司",
        "证明范围",
        "tenderlog local TSA",
        // The first checkpoint the demo's witness cosigned over the entry,
        // judged by the policy.
        "witness.fgw.example.gov.cn+",
        "quorum",
    ] {
        assert!(text.contains(want), "pdftotext finds no {want:?} in:\n{text}");
    }
    let flat: String = text.split_whitespace().collect();
    assert!(flat.contains(&sha), "no SHA-256 {sha} in the text");
    assert!(flat.contains(&sm3), "no SM3 {sm3} in the text");
    assert!(flat.contains(&format!("TL-{index}-")), "no certificate number");
    assert!(
        text.contains("法定人数已满足") && !text.contains("NOT met"),
        "quorum not met:\n{text}"
    );

    // It renders (look at it: TENDERLOG_SCREENSHOTS keeps the PNG).
    let shots =
        std::env::var_os("TENDERLOG_SCREENSHOTS").map_or_else(|| t.path().to_owned(), Into::into);
    let o = Command::new("pdftoppm")
        .args(["-png", "-r", "80", "-singlefile"])
        .arg(t.path().join("a.pdf"))
        .arg(shots.join("certificate"))
        .output()
        .unwrap();
    assert!(o.status.success(), "pdftoppm: {}", err(&o));
    let png = std::fs::read(shots.join("certificate.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 20_000, "the rendered page is empty");

    // Every font embedded (PDF/A), as poppler lists them.
    let o = Command::new("pdffonts").arg(t.path().join("a.pdf")).output().unwrap();
    let fonts = out(&o);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{fonts}");
    for row in &rows {
        assert!(row.contains("CID") || row.contains("Type"), "{row}");
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cols[cols.len() - 5], "yes", "a font is not embedded: {row}");
    }

    // The attachments, extracted by poppler, verify.
    let x = t.path().join("x");
    std::fs::create_dir(&x).unwrap();
    let o = Command::new("pdfdetach")
        .arg("-saveall")
        .arg("-o")
        .arg(&x)
        .arg(t.path().join("a.pdf"))
        .output()
        .unwrap();
    assert!(o.status.success(), "pdfdetach: {}", err(&o));
    let receipt = std::fs::read(x.join("receipt.json")).unwrap();
    let keys = format!(
        "{}\n{}",
        std::fs::read_to_string(data.join("log.vkey")).unwrap().trim(),
        std::fs::read_to_string(data.join("log-mldsa44.vkey")).unwrap().trim()
    );
    let anchors = verifier::log_keys::LogAnchor::parse_lines(&keys).unwrap();
    let lk = verifier::log_keys::LogKeys::from_anchors(
        verifier::log_keys::LogAnchor::origin(&anchors).unwrap(),
        &anchors,
        None,
    )
    .unwrap();
    let report = verifier::report::verify_receipt(&receipt, &lk, None).unwrap();
    assert!(report.verified, "the attached receipt does not verify: {:?}", report.checks);
    let r: Value = serde_json::from_slice(&receipt).unwrap();
    assert_eq!(r["index"].as_u64(), Some(index));
    let token = std::fs::read(x.join("checkpoint.tsr")).unwrap();
    let note = r["checkpoint"].as_str().unwrap();
    let body = &note[..note.find("\n\n").unwrap() + 1];
    let digest = sha2::Sha256::digest(body.as_bytes());
    let root =
        verifier::pki::Cert::from_der(&std::fs::read(data.join("tsa/tsa-root.der")).unwrap())
            .unwrap();
    let roots = verifier::pki::TrustStore::new(vec![root]).unwrap();
    verifier::tsp::verify_token(&token, &digest, &roots).unwrap();
    let mut other = digest;
    other[0] ^= 1;
    assert!(
        verifier::tsp::verify_token(&token, &other, &roots).is_err(),
        "the token is over the checkpoint"
    );

    // PDF/A-3B as the XMP metadata claims it, and the attachments'
    // relationship, read by pikepdf (qpdf).
    let py = r#"
import sys, pikepdf
pdf = pikepdf.open(sys.argv[1])
meta = pdf.open_metadata()
print("part", meta.get("pdfaid:part"), "conformance", meta.get("pdfaid:conformance"))
for name, spec in pdf.attachments.items():
    print("attached", name, spec.obj.get("/AFRelationship"), len(spec.get_file().read_bytes()))
print("af", len(pdf.Root.get("/AF", [])))
"#;
    let o = Command::new("python3").args(["-c", py]).arg(t.path().join("a.pdf")).output().unwrap();
    assert!(o.status.success(), "pikepdf: {}", err(&o));
    let meta = out(&o);
    assert!(meta.contains("part 3 conformance B"), "{meta}");
    assert!(meta.contains(&format!("attached receipt.json /Data {}", receipt.len())), "{meta}");
    assert!(meta.contains(&format!("attached checkpoint.tsr /Data {}", token.len())), "{meta}");
    assert!(meta.contains("af 2"), "{meta}");

    // The server gives the same bytes for the same public address.
    let (mut server, base) =
        common::serve(d, &["--public-url", "http://127.0.0.1:8080", "--witness-policy", policy]);
    let got = reqwest::blocking::get(format!("{base}/v1/certificates/{index}.pdf")).unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "application/pdf");
    assert_eq!(got.bytes().unwrap().as_ref(), a.as_slice(), "the server's certificate differs");
    // A sealed entry and a non-document (entry 0, the rule pack) have none;
    // a bad index is refused.
    for (path, status) in [
        (format!("{sealed}.pdf"), 404),
        ("0.pdf".into(), 404),
        ("999999.pdf".into(), 404),
        ("x.pdf".into(), 400),
        ("01.pdf".into(), 400),
    ] {
        let got = reqwest::blocking::get(format!("{base}/v1/certificates/{path}")).unwrap();
        assert_eq!(got.status().as_u16(), status, "{path}");
    }
    let _ = server.kill();
}
