//! Golden files pin the evidence bundle v1 format byte for byte: the zip
//! (`bundle-v1.zip`: member order, names, stored entries, fixed timestamps,
//! permissions) and its canonical manifest (`bundle-v1.manifest.json`), and
//! the receipt an arbitrator may be handed (`receipt-v1.json`). The bundle is
//! the one `verifier/tests/common` builds without the ledger: tender
//! `ZB2026-007 第二标段` (five events interleaved with another tender's, in
//! two batches checkpointed at sizes 3 and 7, a consistency proof 3 → 7, one
//! carried document). The golden bundle must verify, offline, with only the
//! key it pins; a change to the format fails here, and bundles already handed
//! out must keep verifying.
//!
//! To write the files after a deliberate format change (a new version, new
//! files): `TENDERLOG_BLESS=1 cargo test -p tenderlog-tests --test golden_bundle`.
#![allow(clippy::unwrap_used)]

#[path = "../../verifier/tests/common/mod.rs"]
mod common;

use std::path::PathBuf;

use verifier::bundle::Bundle;
use verifier::report::{Status, verify_bundle, verify_receipt};

fn golden(name: &str, actual: &[u8]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden").join(name);
    if std::env::var_os("TENDERLOG_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("golden file {} is missing: {e}", path.display()));
    assert!(
        actual == expected.as_slice(),
        "{name} changed ({} bytes, golden {} bytes): formats are forever (see this file's docs)",
        actual.len(),
        expected.len()
    );
}

fn read_golden(name: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden").join(name)).unwrap()
}

#[test]
fn bundle_v1_zip_and_manifest() {
    let bundle = common::tender_bundle();
    let zip = bundle.to_zip().unwrap();
    // The same content always gives the same bytes.
    assert_eq!(common::tender_bundle().to_zip().unwrap(), zip);
    golden("bundle-v1.manifest.json", &bundle.manifest.to_bytes());
    golden("bundle-v1.zip", &zip);

    // The golden file itself reads back to the same bundle and verifies with
    // the key it pins, and with that key given.
    let bytes = read_golden("bundle-v1.zip");
    let read = Bundle::from_zip(&bytes).unwrap();
    // The key it pins is the golden log key.
    let vkey = String::from_utf8(read_golden("log.vkey")).unwrap();
    assert_eq!(read.manifest.trust.log_keys, [vkey.trim_end()]);
    assert_eq!(read.manifest, bundle.manifest);
    assert_eq!(read.members, bundle.members);
    assert_eq!(read.manifest.to_bytes(), read_golden("bundle-v1.manifest.json"));
    for keys in [None, Some(vec![common::verifier_key()])] {
        let report = verify_bundle(&read, keys.as_deref(), &[]);
        assert!(report.verified, "{}", report.to_text());
        assert_eq!(
            (report.origin.as_str(), report.tree_size, report.entries),
            (common::ORIGIN, 7, 5)
        );
        let passed =
            |name: &str| report.checks.iter().any(|c| c.check == name && c.status == Status::Pass);
        for name in [
            "checkpoint origin and key",
            "checkpoint signature",
            "inclusion",
            "consistency to the newest checkpoint",
            "global chain link",
            "per-tender chain completeness",
            "selection",
            "document digest",
        ] {
            assert!(passed(name), "{name} did not pass:\n{}", report.to_text());
        }
    }
}

#[test]
fn receipt_v1() {
    let receipt = common::Log::new().receipt(common::DOCUMENT_ENTRY);
    golden("receipt-v1.json", &receipt);
    let report =
        verify_receipt(&read_golden("receipt-v1.json"), &common::verifier_key(), None).unwrap();
    assert!(report.verified, "{}", report.to_text());
}
