//! `tenderlog ofd extract`: the submission body for a signed OFD package —
//! checked on the real-world signed e-invoice against the digests its
//! vectors README states (the file's SHA-256, the seal's dataHash = SM3 of
//! its Signature.xml) — and a package changed after signing is refused.
#![allow(clippy::unwrap_used)]

mod common;

use common::{err, run};

#[test]
fn extract_gives_the_packages_digests_and_seals_and_refuses_a_changed_one() {
    let Some(v) = tenderlog_tests::vectors_dir("the real-world signed OFD") else { return };
    let file = v.join("real-world/ofd/v4signed.ofd");
    let o = run(&["ofd", "extract", file.to_str().unwrap(), "--document-type", "award_notice"], "");
    assert!(o.status.success(), "{}", err(&o));
    let body: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(body["sha256"], "8d9baae6f5f6f52a51f3402eef4cbf373c1e601950772d880819b42970e704f3");
    assert_eq!(body["size"], 13_841);
    assert_eq!(body["media_type"], "application/ofd");
    assert_eq!(body["document_type"], "award_notice");
    let seals = body["ofd_seals"].as_array().unwrap();
    assert_eq!(seals.len(), 1);
    assert_eq!(seals[0]["signature_xml"], "/Doc_0/Signs/Sign_0/Signature.xml");
    assert_eq!(
        seals[0]["signature_xml_sm3"],
        "14859b925039a50fe268d40e4a903da44d64cc56b1eebd0902d45a5a41a134b5"
    );
    // The body is a valid document body: it parses as the event format's.
    let doc: verifier::event::Document = serde_json::from_value(body).unwrap();
    let seal = verifier::seal::SealSignature::parse(&doc.ofd_seals[0].seal.0).unwrap();
    assert_eq!(seal.seal.es_id, "50011200000399");

    // A package whose signed part changed is refused, naming the part.
    let bytes = std::fs::read(&file).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes[..])).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        use std::io::{Read as _, Write as _};
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().unwrap().into_owned();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        if name == "Doc_0/Document.xml" {
            data.extend_from_slice(b"<!-- -->");
        }
        out.start_file(&name, zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(&data).unwrap();
    }
    let t = tempfile::tempdir().unwrap();
    let changed = t.path().join("changed.ofd");
    std::fs::write(&changed, out.finish().unwrap().into_inner()).unwrap();
    let o = run(&["ofd", "extract", changed.to_str().unwrap()], "");
    assert!(!o.status.success());
    assert!(err(&o).contains("/Doc_0/Document.xml"), "{}", err(&o));
}
