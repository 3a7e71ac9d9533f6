//! Golden report texts: what a bidder, a clerk or a judge reads, pinned
//! word for word, in the plain form and as JSON, for the golden bundle
//! verified against the key given, the same with no key (NOT ANCHORED),
//! against the key of another log with the same origin, tampered (one byte
//! of a leaf), with the filed document given and with a file never logged;
//! and for the golden receipt, with and without its document. A change of
//! wording shows up here as a diff to review for a reader who is not a
//! programmer.
//!
//! To write the files after a deliberate change of wording:
//! `TENDERLOG_BLESS=1 cargo test -p tenderlog-tests --test golden_reports`.
#![allow(clippy::unwrap_used)]

#[path = "../../verifier/tests/common/mod.rs"]
mod common;

use std::path::PathBuf;

use verifier::bundle::members;
use verifier::report::{GivenDocument, Report, verify_bundle, verify_receipt_with};

fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden/reports").join(name);
    if std::env::var_os("TENDERLOG_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("golden report {} is missing: {e}", path.display()));
    assert!(
        actual == expected,
        "the report {name} changed; review the wording, then bless (see this file's docs):\n--- golden\n{expected}\n--- now\n{actual}"
    );
}

fn both(name: &str, report: &Report) {
    golden(&format!("{name}.txt"), &report.to_text());
    golden(&format!("{name}.json"), &(serde_json::to_string_pretty(report).unwrap() + "\n"));
}

#[test]
fn bundle_reports() {
    let bundle = common::tender_bundle();
    let key = [common::verifier_key()];
    let filed = GivenDocument::of_bytes("招标文件.txt", common::DOCUMENT);
    let stranger = GivenDocument::of_bytes("not-logged.pdf", b"a file no one filed");

    let verified = verify_bundle(&bundle, Some(&key), &[]);
    assert!(verified.verified && verified.anchored);
    both("bundle-verified", &verified);

    let unanchored = verify_bundle(&bundle, None, &[]);
    assert!(unanchored.verified && !unanchored.anchored);
    both("bundle-not-anchored", &unanchored);

    let other = [common::other_signer().verifier()];
    let other_log = verify_bundle(&bundle, Some(&other), &[]);
    assert!(!other_log.verified);
    both("bundle-another-log", &other_log);

    let mut tampered = bundle.clone();
    let leaf = tampered.members.get_mut(&members::leaf(common::DOCUMENT_ENTRY)).unwrap();
    let last = leaf.len() - 1;
    leaf[last] ^= 0x01;
    let tampered = verify_bundle(&tampered, Some(&key), &[]);
    assert!(!tampered.verified);
    both("bundle-tampered", &tampered);

    let with_document = verify_bundle(&bundle, Some(&key), std::slice::from_ref(&filed));
    assert!(with_document.verified);
    both("bundle-document", &with_document);

    let not_logged = verify_bundle(&bundle, Some(&key), &[stranger]);
    assert!(!not_logged.verified);
    both("bundle-document-not-logged", &not_logged);
}

/// The second golden log: a bid filed under seal and revealed, an open bid
/// refused, a sealed bid refused; with and without the refused files given.
#[test]
fn sealed_and_refused_reports() {
    let bundle = common::sealed_tender_bundle();
    let key = [common::verifier_key()];
    let report = verify_bundle(&bundle, Some(&key), &[]);
    assert!(report.verified, "{}", report.to_text());
    both("bundle-sealed-and-refused", &report);

    let given = [
        GivenDocument::of_bytes("sealed-bid-a.pdf", common::SEALED_BID),
        GivenDocument::of_bytes("late-bid-b.pdf", common::REFUSED_BID),
        GivenDocument::of_bytes("sealed-bid-c.pdf", common::SEALED_REFUSED_BID),
    ];
    let report = verify_bundle(&bundle, Some(&key), &given);
    let text = report.to_text();
    assert!(text.contains("under seal, revealed as entry 4"), "{text}");
    assert!(text.contains("\"late-bid-b.pdf\" was REFUSED"), "{text}");
    // A sealed refusal cannot be linked by a third party holding the file.
    assert!(text.contains("sealed-bid-c.pdf"), "{text}");
    both("bundle-sealed-and-refused-documents", &report);

    // Bidder C's receipt of its refusal, with the opening its answer gave:
    // it alone can link the refusal to its file.
    let mut log = common::Log::sealed();
    let mut receipt: serde_json::Value = serde_json::from_slice(&log.receipt(3)).unwrap();
    let link =
        verifier::event::EventLink { index: 3, leaf_hash: verifier::leaf_hash(&log.leaves[3]) };
    receipt["sealed"] = serde_json::to_value(common::sealed_refusal_opening(link)).unwrap();
    let answer = serde_json::json!({
        "type": "about:blank", "title": "Unprocessable Content", "status": 422, "code": "rejected",
        "detail": "certificate status at trusted time: the certificate was reported lost before the document was received",
        "check": "certificate status at trusted time", "rejection": receipt,
    });
    let report = verify_receipt_with(
        answer.to_string().as_bytes(),
        &common::verifier_key(),
        None,
        &[GivenDocument::of_bytes("sealed-bid-c.pdf", common::SEALED_REFUSED_BID)],
    )
    .unwrap();
    let text = report.to_text();
    assert!(text.contains("REFUSED, not filed: this file was submitted"), "{text}");
    assert!(text.contains("(told to the submitter alone)"), "{text}");
    both("receipt-sealed-refusal", &report);
}

#[test]
fn receipt_reports() {
    let receipt = common::Log::new().receipt(common::DOCUMENT_ENTRY);
    let key = common::verifier_key();
    let plain = verify_receipt_with(&receipt, &key, None, &[]).unwrap();
    assert!(plain.verified);
    both("receipt", &plain);
    let filed = GivenDocument::of_bytes("招标文件.txt", common::DOCUMENT);
    let with_document = verify_receipt_with(&receipt, &key, None, &[filed]).unwrap();
    assert!(with_document.verified);
    both("receipt-document", &with_document);
    let other = GivenDocument::of_bytes("other.pdf", b"another file");
    let wrong = verify_receipt_with(&receipt, &key, None, &[other]).unwrap();
    assert!(!wrong.verified);
    both("receipt-wrong-document", &wrong);
}
