//! Receipts (the JSON answer to `POST /v1/events`), built byte for byte as
//! the server writes them, checked by `verify_receipt` and by
//! `tenderlog-verify receipt`. Proves:
//!
//! - a receipt verifies with the log's key alone, and with a newer checkpoint
//!   and the consistency proof to it; the golden `receipt-v1.json` still does;
//! - a newer checkpoint from a forked log (signed by the same key), one signed
//!   by another key, or one given without its consistency proof, fails;
//! - every single-bit change anywhere in a receipt, and anywhere in the newer
//!   checkpoint, is caught: the receipt becomes unreadable (`Err`) or a check
//!   fails. None is accepted; the summary printed says which check caught
//!   the flips in which field;
//! - the binary's exit status follows the library: 0 verified, 1 a check
//!   failed, 2 unreadable.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{DOCUMENT_ENTRY, Log};
use verifier::Hash;
use verifier::report::{Newer, Report, Status, verify_receipt};

const VERIFY: &str = env!("CARGO_BIN_EXE_tenderlog-verify");

fn status(r: &Report, check: &str) -> Vec<Status> {
    r.checks.iter().filter(|c| c.check == check).map(|c| c.status).collect()
}

fn newer<'a>(note: &'a str, proof: Option<Vec<Hash>>) -> Option<Newer<'a>> {
    Some(Newer { checkpoint: note.as_bytes(), proof })
}

/// The first failed check of an unverified report.
fn first_failure(r: &Report) -> &'static str {
    r.checks.iter().find(|c| c.status == Status::Fail).unwrap().check.as_str()
}

#[test]
fn receipts_verify() {
    let key = common::verifier_key();
    let mut log = Log::new();
    for index in [0, DOCUMENT_ENTRY, 4, 6] {
        let receipt = log.receipt(index);
        let r = verify_receipt(&receipt, &key, None).unwrap();
        assert!(r.verified, "{}", r.to_text());
        for check in ["checkpoint origin and key", "canonical leaf", "leaf hash", "inclusion"] {
            assert_eq!(status(&r, check), [Status::Pass], "{check}");
        }
        assert_eq!(status(&r, "checkpoint signature"), [Status::Pass]);
        assert_eq!(status(&r, "consistency to the newest checkpoint"), [Status::NotApplicable]);
        assert_eq!(r.tree_size, Log::batch_size(index));
    }
    // The golden receipt still verifies, and is what the builder writes.
    let golden = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/golden/receipt-v1.json"),
    )
    .unwrap();
    assert_eq!(golden, log.receipt(DOCUMENT_ENTRY));
    assert!(verify_receipt(&golden, &key, None).unwrap().verified);
}

#[test]
fn newer_checkpoints() {
    let key = common::verifier_key();
    let mut log = Log::new();
    let receipt = log.receipt(DOCUMENT_ENTRY);
    let note7 = log.notes[&7].clone();
    let note3 = log.notes[&3].clone();

    // The log's own newer checkpoint and consistency proof.
    let r = verify_receipt(&receipt, &key, newer(&note7, Some(log.consistency(3, 7)))).unwrap();
    assert!(r.verified, "{}", r.to_text());
    assert_eq!(status(&r, "consistency to the newest checkpoint"), [Status::Pass]);
    assert_eq!(status(&r, "checkpoint signature"), [Status::Pass, Status::Pass]);
    assert_eq!(r.tree_size, 7);
    // The receipt's own checkpoint again: nothing to prove.
    let r = verify_receipt(&receipt, &key, newer(&note3, None)).unwrap();
    assert!(r.verified, "{}", r.to_text());

    // A newer checkpoint without the proof cannot show anything.
    let r = verify_receipt(&receipt, &key, newer(&note7, None)).unwrap();
    assert!(!r.verified);
    assert_eq!(first_failure(&r), "consistency to the newest checkpoint");

    // A forked log, signed by the same key: its size-7 checkpoint with its
    // own (valid) consistency proof from its size 3, and its size-3
    // checkpoint itself (same size, different root).
    let mut fork = Log::forked(0, &common::signer());
    let forked7 = fork.notes[&7].clone();
    for proof in [fork.consistency(3, 7), log.consistency(3, 7)] {
        let r = verify_receipt(&receipt, &key, newer(&forked7, Some(proof))).unwrap();
        assert!(!r.verified, "{}", r.to_text());
        assert_eq!(status(&r, "consistency to the newest checkpoint"), [Status::Fail]);
        assert_eq!(first_failure(&r), "consistency to the newest checkpoint");
    }
    let r = verify_receipt(&receipt, &key, newer(&fork.notes[&3], None)).unwrap();
    assert!(!r.verified);
    assert!(r.to_text().contains("the log forked"), "{}", r.to_text());

    // A newer checkpoint signed by another key.
    let other = common::other_signer();
    let forged = other
        .sign(&verifier::checkpoint::Checkpoint::new(common::ORIGIN, 7, log.root(7)).to_text())
        .unwrap();
    let r = verify_receipt(&receipt, &key, newer(&forged, Some(log.consistency(3, 7)))).unwrap();
    assert!(!r.verified);
    assert_eq!(first_failure(&r), "checkpoint signature");

    // The receipt checked against another key.
    let r = verify_receipt(&receipt, &other.verifier(), None).unwrap();
    assert!(!r.verified);
    assert_eq!(first_failure(&r), "checkpoint signature");
    assert_eq!(status(&r, "inclusion"), [Status::Fail]);
}

/// The JSON field a byte of a compact receipt lies in (its key or value).
fn field_at(receipt: &[u8], pos: usize) -> &'static str {
    const FIELDS: [&str; 7] =
        ["index", "leaf", "leaf_hash", "checkpoint", "inclusion_proof", "tlog_proof", "duplicate"];
    let mut starts: Vec<(usize, &str)> = FIELDS
        .iter()
        .map(|f| {
            let key = format!("\"{f}\":");
            let at = receipt.windows(key.len()).position(|w| w == key.as_bytes()).unwrap();
            (at, *f)
        })
        .collect();
    starts.sort();
    if pos == 0 || pos == receipt.len() - 1 {
        return "{ }";
    }
    starts.iter().rev().find(|(at, _)| *at <= pos).map_or("{ }", |(_, f)| f)
}

/// Flips every bit of `bytes`; returns (field, caught by) → count.
fn flip_all(bytes: &[u8], judge: impl Fn(&[u8]) -> Result<Report, String>) -> Tally {
    let mut tally = Tally::default();
    let mut m = bytes.to_vec();
    for pos in 0..bytes.len() {
        for bit in 0..8 {
            m[pos] ^= 1 << bit;
            let caught = match judge(&m) {
                Err(e) => format!("unreadable ({})", e.split(':').next().unwrap_or("")),
                Ok(r) if !r.verified => first_failure(&r).to_owned(),
                Ok(_) => {
                    tally.accepted.push(format!(
                        "byte {pos} bit {bit}: {:?} -> {:?}",
                        bytes[pos] as char, m[pos] as char
                    ));
                    "ACCEPTED".into()
                }
            };
            *tally.by.entry((pos, caught)).or_default() += 1;
            m[pos] ^= 1 << bit;
        }
    }
    tally
}

#[derive(Default)]
struct Tally {
    by: BTreeMap<(usize, String), usize>,
    accepted: Vec<String>,
}

impl Tally {
    fn total(&self) -> usize {
        self.by.values().sum()
    }

    fn summary(
        &self,
        field: impl Fn(usize) -> &'static str,
    ) -> BTreeMap<(&'static str, String), usize> {
        let mut s = BTreeMap::new();
        for ((pos, caught), n) in &self.by {
            *s.entry((field(*pos), caught.clone())).or_default() += n;
        }
        s
    }
}

fn print_summary(title: &str, t: &Tally, summary: &BTreeMap<(&'static str, String), usize>) {
    println!("{title}: {} mutants, {} accepted", t.total(), t.accepted.len());
    for ((field, caught), n) in summary {
        println!("  {field:<16} {caught:<48} {n:>6}");
    }
    let mut by_check: BTreeMap<&str, usize> = BTreeMap::new();
    for ((_, caught), n) in summary {
        *by_check.entry(caught.as_str()).or_default() += n;
    }
    println!("  by check: {by_check:?}");
}

#[test]
fn every_bit_flip_of_a_receipt_is_caught() {
    let key = common::verifier_key();
    let mut log = Log::new();
    for index in [0, DOCUMENT_ENTRY] {
        let receipt = log.receipt(index);
        let t = flip_all(&receipt, |m| verify_receipt(m, &key, None));
        let summary = t.summary(|pos| field_at(&receipt, pos));
        print_summary(&format!("receipt of entry {index}"), &t, &summary);
        assert_eq!(t.total(), receipt.len() * 8);
        assert!(t.accepted.is_empty(), "accepted mutants: {:#?}", t.accepted);
        // Each field's bytes are checked by something (not only by JSON syntax).
        for field in ["leaf", "leaf_hash", "checkpoint", "inclusion_proof", "tlog_proof"] {
            assert!(
                summary.keys().any(|(f, c)| *f == field && !c.starts_with("unreadable")),
                "{field}: {summary:?}"
            );
        }
    }
}

#[test]
fn every_bit_flip_of_the_newer_checkpoint_is_caught() {
    let key = common::verifier_key();
    let mut log = Log::new();
    let receipt = log.receipt(DOCUMENT_ENTRY);
    let note7 = log.notes[&7].clone().into_bytes();
    let proof = log.consistency(3, 7);
    let t = flip_all(&note7, |m| {
        verify_receipt(&receipt, &key, Some(Newer { checkpoint: m, proof: Some(proof.clone()) }))
    });
    let summary = t.summary(|_| "newer checkpoint");
    print_summary("newer checkpoint", &t, &summary);
    assert!(t.accepted.is_empty(), "accepted mutants: {:#?}", t.accepted);
    // And every single-bit change of each consistency proof hash.
    let mut caught = 0;
    for i in 0..proof.len() {
        for bit in 0..256 {
            let mut p = proof.clone();
            p[i].0[bit / 8] ^= 1 << (bit % 8);
            let r = verify_receipt(
                &receipt,
                &key,
                newer(std::str::from_utf8(&note7).unwrap(), Some(p)),
            )
            .unwrap();
            assert_eq!(first_failure(&r), "consistency to the newest checkpoint");
            caught += 1;
        }
    }
    println!("consistency proof: {caught} mutants, all caught by consistency");
}

fn run(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    // No trust file of the user's: these tests give their keys.
    let out = Command::new(VERIFY)
        .args(args)
        .env("TENDERLOG_TRUST", "/nonexistent/tenderlog-trust.json")
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn the_binary_verifies_receipts() {
    let dir = tempfile::tempdir().unwrap();
    let key = common::verifier_key();
    let vkey = key.vkey();
    let mut log = Log::new();
    let receipt = log.receipt(DOCUMENT_ENTRY);
    let path = dir.path().join("receipt.json");
    std::fs::write(&path, &receipt).unwrap();
    let cmd = |file: &Path, more: &[&std::ffi::OsStr]| {
        let mut args: Vec<&std::ffi::OsStr> =
            vec!["receipt".as_ref(), file.as_os_str(), "--key".as_ref(), vkey.as_ref()];
        args.extend_from_slice(more);
        run(&args)
    };
    let (code, out, err) = cmd(&path, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("VERIFIED: 1 entr") && out.contains("size 3"), "{out}");
    let (code, out, _) = cmd(&path, &["--json".as_ref()]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verified"], true);

    // After a rotation of the log's key at size 7: the receipt (size 3)
    // verifies from either key through the history, not from the new key
    // alone; an unreadable history is a usage error.
    let (old, new) = (common::signer(), common::other_signer());
    let rotation = verifier::log_keys::Rotation::text(
        common::ORIGIN,
        7,
        log.root(7),
        &old.verifier(),
        &new.verifier(),
    );
    let history = verifier::log_keys::KeyHistory {
        rotations: vec![new.cosign(&old.sign(&rotation).unwrap()).unwrap()],
        ..verifier::log_keys::KeyHistory::new(common::ORIGIN)
    };
    let history_file = dir.path().join("key-history.json");
    std::fs::write(&history_file, history.to_bytes()).unwrap();
    let with_history = ["--key-history".as_ref(), history_file.as_os_str()];
    let (code, out, err) = cmd(&path, &with_history);
    assert_eq!(code, 0, "{out}{err}");
    let new_vkey = new.verifier().vkey();
    let by_new = |more: &[&std::ffi::OsStr]| {
        let mut args: Vec<&std::ffi::OsStr> =
            vec!["receipt".as_ref(), path.as_os_str(), "--key".as_ref(), new_vkey.as_ref()];
        args.extend_from_slice(more);
        run(&args)
    };
    let (code, out, err) = by_new(&with_history);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("followed from the given key"), "{out}");
    let (code, out, _) = by_new(&[]);
    assert_eq!(code, 1, "{out}");
    std::fs::write(&history_file, b"{\"format\":\"v0\"}").unwrap();
    let (code, _, err) = cmd(&path, &with_history);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--key-history"), "{err}");

    // With the newer checkpoint and the consistency proof as the API serves them.
    let note7 = dir.path().join("checkpoint.note");
    std::fs::write(&note7, &log.notes[&7]).unwrap();
    let consistency = dir.path().join("consistency.json");
    let hexes: Vec<String> = log.consistency(3, 7).iter().map(Hash::to_hex).collect();
    std::fs::write(
        &consistency,
        serde_json::json!({"from": 3, "to": 7, "proof": hexes}).to_string(),
    )
    .unwrap();
    let newer_args = [
        "--checkpoint".as_ref(),
        note7.as_os_str(),
        "--consistency".as_ref(),
        consistency.as_os_str(),
    ];
    let (code, out, err) = cmd(&path, &newer_args);
    assert_eq!(code, 0, "{out}{err}");
    // Folded by default (a count), listed with --verbose.
    assert!(out.contains("0 failed") && !out.contains("pass  "), "{out}");
    let verbose = [&newer_args[..], &["--verbose".as_ref()]].concat();
    let (code, out, err) = cmd(&path, &verbose);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("pass  consistency to the newest checkpoint"), "{out}");
    // A forked newer checkpoint with its own proof: exit 1.
    let mut fork = Log::forked(0, &common::signer());
    std::fs::write(&note7, &fork.notes[&7]).unwrap();
    let hexes: Vec<String> = fork.consistency(3, 7).iter().map(Hash::to_hex).collect();
    std::fs::write(&consistency, serde_json::json!({"proof": hexes}).to_string()).unwrap();
    let (code, out, _) = cmd(&path, &newer_args);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("first: consistency to the newest checkpoint"), "{out}");

    // Mutants: the binary's exit status is the library's verdict.
    let mut seen = BTreeMap::new();
    for pos in (0..receipt.len()).step_by(53) {
        let bit = pos % 8;
        let mut m = receipt.clone();
        m[pos] ^= 1 << bit;
        let want = match verify_receipt(&m, &key, None) {
            Err(_) => 2,
            Ok(r) if !r.verified => 1,
            Ok(_) => 0,
        };
        let p = dir.path().join(format!("mutant-{pos}.json"));
        std::fs::write(&p, &m).unwrap();
        let (code, out, err) = cmd(&p, &[]);
        assert_eq!(code, want, "byte {pos} bit {bit}: {out}{err}");
        assert_ne!(code, 0, "byte {pos} bit {bit} accepted: {out}");
        *seen.entry(code).or_insert(0) += 1;
    }
    println!("binary on receipt mutants: exit status counts {seen:?}");
    assert!(seen.len() == 2, "both exit 1 and exit 2 are exercised: {seen:?}");

    // A garbage key, or a file that is not a receipt: exit 2.
    let (code, _, err) =
        run(&["receipt".as_ref(), path.as_os_str(), "--key".as_ref(), "garbage".as_ref()]);
    assert_eq!(code, 2, "{err}");
    std::fs::write(&path, b"{}").unwrap();
    let (code, _, err) = cmd(&path, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("not a receipt"), "{err}");
}
