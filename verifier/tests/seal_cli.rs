//! `tenderlog-verify seal` on the real-world samples: exit 0 for a v4 seal
//! signature with its content and its root, 1 for the modified v1 sample,
//! naming the failed checks.
#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;

fn vectors() -> Option<PathBuf> {
    let dir = std::env::var_os("TLOG_VECTORS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors"));
    if dir.is_dir() {
        Some(dir.join("real-world"))
    } else {
        // The stderr handle, not eprintln!: the test harness does not capture
        // it, so the skip shows in `cargo test`.
        let _ = writeln!(std::io::stderr(), "SKIPPED: vector folder {} is absent", dir.display());
        None
    }
}

fn verify(args: &[&str]) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_tenderlog-verify")).args(args).output().unwrap();
    (o.status.code().unwrap(), String::from_utf8_lossy(&o.stdout).into_owned())
}

#[test]
fn seal_subcommand() {
    let Some(v) = vectors() else { return };
    let p = |s: &str| v.join(s).to_str().unwrap().to_owned();
    let (code, out) = verify(&[
        "seal",
        &p("ses-v4-gomain-cq-test/SignedValue.dat"),
        "--content",
        &p("ses-v4-gomain-cq-test/Signature.xml"),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("VERIFIED"), "{out}");
    let (code, out) = verify(&[
        "seal",
        &p("ses-v1-dms360/SignedValue.dat"),
        "--content",
        &p("ses-v1-dms360/Signature.xml"),
        "--json",
    ]);
    assert_eq!(code, 1, "{out}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["verified"], false);
    let failed: Vec<&str> = j["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"].get("Err").is_some())
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert!(
        failed.contains(&"seal data hash") && failed.contains(&"seal conformance"),
        "{failed:?}"
    );
    // Without the content, the data hash cannot be checked: not verified.
    let (code, _) = verify(&["seal", &p("ses-v4-gomain-cq-test/SignedValue.dat")]);
    assert_eq!(code, 1);
    // With a root that did not issue these certificates: the chains fail.
    let (code, out) = verify(&[
        "seal",
        &p("ses-v4-gomain-cq-test/SignedValue.dat"),
        "--content",
        &p("ses-v4-gomain-cq-test/Signature.xml"),
        "--root",
        &p("cert/ofdrw-root.cer"),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  seal signer certificate chain"), "{out}");
    // Not a seal: unreadable, exit 2.
    let (code, _) = verify(&["seal", &p("cert/ofdrw-root.cer")]);
    assert_eq!(code, 2);
}
