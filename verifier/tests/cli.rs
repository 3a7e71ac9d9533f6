//! The `tenderlog-verify` binary, run as an arbitrator would run it, on the
//! golden evidence bundle (`tests/golden/bundle-v1.zip`) and on tampered
//! copies of it. Proves the exit-status contract (0 verified, 1 a check
//! failed, 2 unreadable input) and that each kind of tampering is caught by
//! the check that names it:
//!
//! - the golden bundle verifies (text and `--json`, every applicable check
//!   passing), and `--document` finds the entry that logged a file;
//! - a file whose digest was not logged fails "document digest";
//! - another key (`--key`, or a bundle whose newest checkpoint another key
//!   signed) fails "checkpoint signature";
//! - a tender bundle missing one of the tender's events fails "per-tender
//!   chain completeness";
//! - evidence from a forked log (a different tree of the same sizes, signed
//!   by the same key) fails "consistency to the newest checkpoint", while
//!   every inclusion proof still verifies: each leaf really is in the
//!   checkpoint it was proved against, and only the link between checkpoints
//!   exposes the fork;
//! - a garbage key, a non-zip file or a missing file exit 2.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "../../tests/src/help.rs"]
#[allow(unreachable_pub)]
mod help;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{DOCUMENT, DOCUMENT_ENTRY, Log, ORIGIN, TENDER, sha256};
use verifier::bundle::{Bundle, Selection, consistency_to_text};
use verifier::checkpoint::Checkpoint;
use verifier::report::{CHECKS, Report, Status, verify_bundle};
use verifier::rules::Outcome;

const VERIFY: &str = env!("CARGO_BIN_EXE_tenderlog-verify");

fn golden_bundle() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/golden/bundle-v1.zip")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn first_line(&self) -> &str {
        self.stdout.lines().next().unwrap_or("")
    }

    /// Exit 1, and the verdict names `check` as the first failure.
    fn fails(&self, check: &str) {
        assert_eq!(self.code, 1, "expected exit 1:\n{}{}", self.stdout, self.stderr);
        assert!(
            self.first_line().starts_with("NOT VERIFIED")
                && self.first_line().contains(&format!("first: {check} (")),
            "expected {check:?} to fail first:\n{}",
            self.stdout
        );
    }

    /// Exit 2 with a message on stderr containing `what`.
    fn unreadable(&self, what: &str) {
        assert_eq!(self.code, 2, "expected exit 2:\n{}{}", self.stdout, self.stderr);
        assert!(self.stdout.is_empty(), "{}", self.stdout);
        assert!(self.stderr.contains(what), "expected {what:?} in: {}", self.stderr);
    }
}

fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    // No trust file of the user's: these tests give their keys.
    let out = Command::new(VERIFY)
        .args(args)
        .env("TENDERLOG_TRUST", "/nonexistent/tenderlog-trust.json")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn write_bundle(dir: &Path, name: &str, b: &Bundle) -> PathBuf {
    write(dir, name, &b.to_zip().unwrap())
}

/// The library's verdict on `b` with the bundle's own key, for detail checks.
fn report(b: &Bundle) -> Report {
    verify_bundle(&Bundle::from_zip(&b.to_zip().unwrap()).unwrap(), None, &[])
}

fn statuses(r: &Report, check: &str) -> Vec<(String, Status)> {
    r.checks
        .iter()
        .filter(|c| c.check.as_str() == check)
        .map(|c| (c.subject.clone(), c.status))
        .collect()
}

fn all_pass(r: &Report, check: &str) -> bool {
    let s = statuses(r, check);
    !s.is_empty() && s.iter().all(|(_, st)| *st == Status::Pass)
}

#[test]
fn the_golden_bundle_is_what_the_builder_writes() {
    assert_eq!(std::fs::read(golden_bundle()).unwrap(), common::tender_bundle().to_zip().unwrap());
}

#[test]
fn golden_bundle_verifies() {
    // On the bundle's own key: every check passes, but it is not anchored.
    let r = run(&[golden_bundle()]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(r.first_line().starts_with("NOT ANCHORED: every check of 5 entries"), "{}", r.stdout);
    assert!(
        r.first_line().contains(&common::verifier_key().vkey()),
        "the key to pin: {}",
        r.stdout
    );
    assert!(
        r.stdout.contains("(from the bundle)"),
        "names the trust anchor's source:\n{}",
        r.stdout
    );
    // Against the key given: VERIFIED.
    let r = run(&[
        golden_bundle().into_os_string(),
        "--key".into(),
        common::verifier_key().vkey().into(),
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.first_line().starts_with("VERIFIED: 5 entries of log"), "{}", r.stdout);
    assert!(r.first_line().contains("checkpoint of size 7"), "{}", r.stdout);
    // Every check of the evidence passes; the procedure section shows what
    // the record says (the fixture's opening record precedes its deadline).
    let (checks, procedure) = r.stdout.split_once("\n(what the record shows").unwrap();
    assert!(!checks.contains("FAIL"), "{}", r.stdout);
    assert!(
        procedure.contains("FAIL          T17") && procedure.contains("entry 6"),
        "{}",
        r.stdout
    );
}

#[test]
fn json_report_lists_every_applicable_check() {
    let r = run(&[golden_bundle().into_os_string(), "--json".into()]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (&v["verified"], &v["anchored"]),
        (&serde_json::json!(true), &serde_json::json!(false))
    );
    assert_eq!(v["origin"], ORIGIN);
    assert_eq!(v["tree_size"], 7);
    assert_eq!(v["entries"], 5);
    let checks = v["checks"].as_array().unwrap();
    let status_of = |name: &str| -> Vec<&str> {
        checks
            .iter()
            .filter(|c| c["check"] == name)
            .map(|c| c["status"].as_str().unwrap())
            .collect()
    };
    // Each check of the format that applies to a v1 tender bundle passes on
    // every subject; the ones v1 events cannot carry are reported as such.
    let not_applicable = [
        "witness quorum",
        "signature",
        "certificate chain",
        "certificate status at trusted time",
        "seal",
        "timestamp",
        "policy",
        "commitment reveal",
    ];
    for name in CHECKS.iter().map(|c| c.as_str()) {
        let got = status_of(name);
        if name == "bundle format" {
            // Only reported when something is wrong: a readable bundle's
            // format is checked by `Bundle::from_zip` before the report.
            assert!(got.is_empty(), "{got:?}");
        } else if not_applicable.contains(&name) {
            assert_eq!(got, ["not_applicable"], "{name}");
        } else {
            assert!(!got.is_empty() && got.iter().all(|s| *s == "pass"), "{name}: {got:?}");
        }
    }
    // Per entry: canonical leaf, leaf hash, inclusion, consistency.
    for name in ["canonical leaf", "leaf hash", "inclusion", "consistency to the newest checkpoint"]
    {
        assert_eq!(status_of(name).len(), 5, "{name}");
    }
    // The report is in the order of CHECKS.
    let order: Vec<usize> = checks
        .iter()
        .map(|c| CHECKS.iter().position(|n| c["check"] == n.as_str()).unwrap())
        .collect();
    assert!(order.is_sorted(), "{order:?}");
}

#[test]
fn document_given_is_found_or_not() {
    let dir = tempfile::tempdir().unwrap();
    let doc = write(dir.path(), "招标文件.txt", DOCUMENT);
    let key = common::verifier_key().vkey();
    let r = run(&[
        golden_bundle().into_os_string(),
        "--key".into(),
        key.clone().into(),
        "--document".into(),
        doc.clone().into(),
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.first_line().starts_with("VERIFIED"), "{}", r.stdout);
    let line = r.stdout.lines().find(|l| l.starts_with("document ")).unwrap();
    assert!(
        line.contains(&format!("was logged as entry {DOCUMENT_ENTRY} of tender \"{TENDER}\""))
            && line.contains("agency-01"),
        "{}",
        r.stdout
    );
    let r = run(&[
        golden_bundle().into_os_string(),
        "--json".into(),
        "--document".into(),
        doc.clone().into(),
    ]);
    assert_eq!(r.code, 3, "not anchored without --key");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["documents"][0]["entry"], DOCUMENT_ENTRY);
    assert_eq!(v["documents"][0]["sha256"], sha256(DOCUMENT).to_hex());
    assert_eq!(v["documents"][0]["event"]["kind"], "document");

    // One byte different: not logged.
    let mut other = DOCUMENT.to_vec();
    other[0] ^= 1;
    let wrong = write(dir.path(), "other.txt", &other);
    let r = run(&[golden_bundle().into_os_string(), "--document".into(), wrong.into()]);
    r.fails("document digest");
    assert!(r.first_line().contains(&sha256(&other).to_hex()), "{}", r.stdout);

    // Both: the right one is found, the wrong one fails.
    let wrong = dir.path().join("other.txt");
    let r = run(&[
        golden_bundle().into_os_string(),
        "--document".into(),
        doc.into(),
        "--document".into(),
        wrong.into(),
    ]);
    r.fails("document digest");
    assert!(r.stdout.contains(&format!("was logged as entry {DOCUMENT_ENTRY}")), "{}", r.stdout);

    // A document that does not exist cannot be read.
    let r = run(&[
        golden_bundle().into_os_string(),
        "--document".into(),
        dir.path().join("missing.pdf").into(),
    ]);
    r.unreadable("missing.pdf");
}

#[test]
fn keys_given_override_the_bundle() {
    let dir = tempfile::tempdir().unwrap();
    // The right key, as text and as a file.
    let vkey = common::verifier_key().vkey();
    let r = run(&[golden_bundle().into_os_string(), "--key".into(), vkey.clone().into()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("(given)") && !r.stdout.contains("(from the bundle)"),
        "{}",
        r.stdout
    );
    let file = write(dir.path(), "log.vkey", format!("{vkey}\n").as_bytes());
    let r = run(&[golden_bundle().into_os_string(), "--key".into(), file.into()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // Another key with the same name: nothing in the bundle is signed by it.
    let other = common::other_signer().verifier().vkey();
    let r = run(&[golden_bundle().into_os_string(), "--key".into(), other.into()]);
    r.fails("checkpoint signature");
    assert!(r.stdout.contains("no signature by key"), "{}", r.stdout);

    // A key under another name: no key for the bundle's origin.
    let renamed = verifier::note::NoteSigner::new(
        "other.example/log",
        ed25519_dalek::SigningKey::from_bytes(&[0x42; 32]),
    )
    .unwrap()
    .verifier()
    .vkey();
    let r = run(&[golden_bundle().into_os_string(), "--key".into(), renamed.into()]);
    r.fails("checkpoint origin and key");

    // Garbage is not a key.
    for garbage in ["not a key", "golden.tenderlog.example/log+0975da59+AAAA", ""] {
        let r = run(&[golden_bundle().into_os_string(), "--key".into(), garbage.into()]);
        r.unreadable("--key");
    }
}

#[test]
fn unreadable_inputs_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let not_zip = write(dir.path(), "bundle.zip", b"PK\x03\x04 this is not a zip file\n");
    run(&[not_zip]).unreadable("bundle format");
    let text = write(dir.path(), "bundle.txt", b"hello\n");
    let r = run(&[text]);
    assert!(
        r.stderr.contains("not a zip archive, and a tenderlog evidence bundle is one"),
        "{}",
        r.stderr
    );
    r.unreadable("bundle format");
    // A zip without a manifest.
    let mut b = common::tender_bundle();
    b.members.clear();
    let mut zip = b.to_zip().unwrap();
    // Rename manifest.json (in the local header and the central directory).
    let at: Vec<usize> = zip
        .windows(13)
        .enumerate()
        .filter(|(_, w)| *w == b"manifest.json")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 2);
    for i in at {
        zip[i] = b'M';
    }
    let no_manifest = write(dir.path(), "empty.zip", &zip);
    run(&[no_manifest]).unreadable("bundle format");
    run(&[dir.path().join("missing.zip")]).unreadable("missing.zip");
    run::<&str>(&[]).unreadable("give an evidence bundle");
}

#[test]
fn help_exits_0() {
    for args in [&["--help"][..], &["receipt", "--help"], &["--version"]] {
        let r = run(args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert!(!r.stdout.is_empty());
    }
    assert!(run(&["--help"]).stdout.contains("--document"));
}

#[test]
fn a_missing_tender_event_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let tender = || Selection::Tender(TENDER.into());
    // Without the tender's first event, a middle one, or the one that logged
    // the carried document (then the document is also unaccounted for).
    for (missing, why) in [(0, "event seq 0 is missing"), (3, "event seq 2 is missing")] {
        let keep: Vec<u64> =
            common::TENDER_ENTRIES.iter().copied().filter(|i| *i != missing).collect();
        let b = Log::new().bundle(tender(), &keep, &[DOCUMENT]);
        let r = run(&[write_bundle(dir.path(), &format!("without-{missing}.zip"), &b)]);
        r.fails("per-tender chain completeness");
        assert!(r.first_line().contains(why), "{}", r.stdout);
        let rep = report(&b);
        assert!(all_pass(&rep, "inclusion") && all_pass(&rep, "checkpoint signature"));
        assert!(all_pass(&rep, "consistency to the newest checkpoint"));
    }
    let keep = [0, 3, 4, 6];
    let b = Log::new().bundle(tender(), &keep, &[]);
    let r = run(&[write_bundle(dir.path(), "without-2.zip", &b)]);
    r.fails("per-tender chain completeness");
    assert!(r.first_line().contains("event seq 1 is missing"), "{}", r.stdout);

    // Another tender's event slipped in fails the selection.
    let b = Log::new().bundle(tender(), &[0, 1, 2, 3, 4, 6], &[DOCUMENT]);
    let r = run(&[write_bundle(dir.path(), "with-1.zip", &b)]);
    // Only the selection fails: the tender's own chain is whole.
    r.fails("selection");
    let rep = report(&b);
    assert_eq!(statuses(&rep, "selection"), [("entry 1".to_owned(), Status::Fail)]);
    assert!(all_pass(&rep, "per-tender chain completeness"), "{}", rep.to_text());
}

#[test]
fn a_newest_checkpoint_signed_by_another_key_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::new();
    let mut b = common::tender_bundle();
    let root = log.root(7);
    let forged = common::other_signer().sign(&Checkpoint::new(ORIGIN, 7, root).to_text()).unwrap();
    b.members.insert("checkpoints/7.note".into(), forged.into_bytes());
    let r = run(&[write_bundle(dir.path(), "forged.zip", &b)]);
    r.fails("checkpoint signature");
    assert!(r.first_line().contains("newest checkpoint"), "{}", r.stdout);
    // Every entry is still included in its batch checkpoint, which the
    // right key signed; the newest checkpoint is what is missing.
    let rep = report(&b);
    assert!(all_pass(&rep, "inclusion"), "{}", rep.to_text());
    assert!(
        statuses(&rep, "consistency to the newest checkpoint")
            .iter()
            .all(|(_, s)| *s == Status::Fail)
    );
}

#[test]
fn evidence_from_a_forked_log_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let key = common::signer();
    let consistency = "consistency/3-7.proof";
    let newest = "checkpoints/7.note";

    // (a) Only the consistency proof comes from a fork (a different tree of
    // sizes 3 and 7 from the first leaf on): it does not lead from the real
    // size-3 root to the real size-7 root. Entries 0 and 2 (proved in the
    // size-3 checkpoint) fail; 3, 4 and 6 are in the newest checkpoint itself.
    let mut fork = Log::forked(0, &key);
    let mut a = common::tender_bundle();
    a.members.insert(consistency.into(), consistency_to_text(&fork.consistency(3, 7)).into_bytes());

    // (b) The newest checkpoint and the consistency proof both come from that
    // fork, signed with the log's own key: the fork's checkpoint of size 7
    // does not extend the size-3 checkpoint entries 0 and 2 were proved in,
    // and has another root than the real size-7 checkpoint entries 3, 4 and
    // 6 were proved in.
    let mut b = a.clone();
    b.members.insert(newest.into(), fork.notes[&7].clone().into_bytes());

    // (c) A fork that keeps the first batch and rewrites the second: its
    // consistency proof from size 3 is valid, so entries 0 and 2 pass; the
    // entries of the rewritten batch expose it (same size, different root).
    let mut late = Log::forked(3, &key);
    let mut c = common::tender_bundle();
    c.members.insert(newest.into(), late.notes[&7].clone().into_bytes());
    c.members.insert(consistency.into(), consistency_to_text(&late.consistency(3, 7)).into_bytes());
    assert_eq!(late.root(3), Log::new().root(3));

    let expect: [(&str, &Bundle, &[u64]); 3] =
        [("a", &a, &[0, 2]), ("b", &b, &[0, 2, 3, 4, 6]), ("c", &c, &[3, 4, 6])];
    for (name, bundle, failing) in expect {
        let r = run(&[write_bundle(dir.path(), &format!("fork-{name}.zip"), bundle)]);
        r.fails("consistency to the newest checkpoint");
        let rep = report(bundle);
        // Not inclusion: each leaf is in the checkpoint it was proved against,
        // and every checkpoint carries a valid signature of the log's key.
        assert!(all_pass(&rep, "inclusion"), "{name}: {}", rep.to_text());
        assert!(all_pass(&rep, "checkpoint signature"), "{name}: {}", rep.to_text());
        let failed: Vec<String> = statuses(&rep, "consistency to the newest checkpoint")
            .into_iter()
            .filter(|(_, s)| *s == Status::Fail)
            .map(|(subject, _)| subject)
            .collect();
        let want: Vec<String> = failing.iter().map(|i| format!("entry {i}")).collect();
        assert_eq!(failed, want, "{name}: {}", rep.to_text());
        if name == "c" {
            assert!(r.first_line().contains("the log forked"), "{}", r.stdout);
        }
    }
}

/// A tender bundle cut before the tender's latest event (entry 6, seq 4, in
/// the newest checkpoint): the hash chains alone cannot show it, the log's
/// signed tender head does.
#[test]
fn a_tender_bundle_cut_at_the_tail_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let b = Log::new().bundle(Selection::Tender(TENDER.into()), &[0, 2, 3, 4], &[DOCUMENT]);
    let r = run(&[write_bundle(dir.path(), "without-6.zip", &b)]);
    r.fails("per-tender chain completeness");
    assert!(
        r.first_line().contains("the log's latest event of the tender is seq 4 (entry 6)"),
        "{}",
        r.stdout
    );
    // And without the signed head at all.
    let mut b =
        Log::new().bundle(Selection::Tender(TENDER.into()), &common::TENDER_ENTRIES, &[DOCUMENT]);
    b.members.remove("tender-head.note");
    b.manifest.tender_head = None;
    run(&[write_bundle(dir.path(), "no-head.zip", &b)]).fails("per-tender chain completeness");
}

/// The procedure is judged apart from the evidence's authenticity: the
/// fixture tender's opening record was received before its bid deadline,
/// which the report shows as a violation at that entry while the bundle
/// still verifies (it is authentic evidence of the violation).
#[test]
fn a_procedure_violation_is_reported_and_the_evidence_still_verifies() {
    let b = common::tender_bundle();
    let report = verify_bundle(&b, None, &[]);
    assert!(report.verified, "{}", report.to_text());
    let compliance = report.compliance.as_ref().expect("a tender bundle is judged");
    let t17 = compliance.verdicts.iter().find(|v| v.rule == "T17").unwrap();
    assert_eq!((t17.outcome, t17.events.as_slice()), (Outcome::Fail, [6].as_slice()));
    assert!(t17.detail.contains("before the bid deadline"), "{}", t17.detail);
    assert!(report.to_text().contains("COMPLIANCE: the record shows"), "{}", report.to_text());
    // A bundle of chosen entries is not judged: the tender may be incomplete.
    let some = Log::new().bundle(Selection::Indexes(vec![3, 6]), &[3, 6], &[]);
    let report = verify_bundle(&some, None, &[]);
    assert!(report.compliance.is_none());
}

/// Pinning a key once anchors later checks without --key, and says so; a
/// key of another log pinned for the same origin does not verify its
/// bundles; keys are listed and unpinned by ID; a receipt finds its key in
/// the trust file too.
#[test]
fn a_pinned_key_anchors_without_key() {
    let dir = tempfile::tempdir().unwrap();
    let trust = dir.path().join("config/tenderlog/trust.json");
    let t = trust.to_str().unwrap();
    let bundle = golden_bundle();
    let b = bundle.to_str().unwrap();
    let vkey = common::verifier_key().vkey();
    let other = common::other_signer().verifier().vkey();

    let r = run(&[b, "--trust", t]);
    assert_eq!(r.code, 3, "nothing pinned yet: NOT ANCHORED\n{}", r.stdout);
    assert!(r.stdout.contains("tenderlog-verify trust add"), "{}", r.stdout);

    // Pinned for the same origin, but another log's key: not verified.
    let r = run(&["trust", "add", &other, "--trust", t, "--note", "not the real one"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&[b, "--trust", t]);
    assert_eq!(r.code, 1, "{}", r.stdout);

    let r = run(&["trust", "add", &vkey, "--trust", t, "--note", "from the regulator's letter"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("pinned"), "{}", r.stdout);
    let r = run(&["trust", "add", &vkey, "--trust", t]);
    assert!(r.stdout.contains("pinned already"), "{}", r.stdout);
    let other_id = format!("{:08x}", common::other_signer().verifier().key_id());
    let r = run(&["trust", "remove", &other_id, "--trust", t]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&["trust", "list", "--trust", t]);
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    assert!(r.stdout.contains("from the regulator's letter"), "{}", r.stdout);

    let r = run(&[b, "--trust", t]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("against the log key you pinned"), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("(pinned in {t})")), "{}", r.stdout);
    // The same through the environment.
    let out = Command::new(VERIFY).arg(b).env("TENDERLOG_TRUST", t).output().unwrap();
    assert_eq!(out.status.code(), Some(0));

    // A receipt: its checkpoint names the log, whose pinned key is used.
    let receipt = write(dir.path(), "receipt.json", &Log::new().receipt(DOCUMENT_ENTRY));
    let r = run(&["receipt".as_ref(), receipt.as_os_str(), "--trust".as_ref(), trust.as_os_str()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let empty = dir.path().join("empty.json");
    let r = run(&["receipt".as_ref(), receipt.as_os_str(), "--trust".as_ref(), empty.as_os_str()]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("trust add"), "{}", r.stderr);

    // A damaged trust file is an error, not an empty one.
    std::fs::write(&trust, b"{not json").unwrap();
    let r = run(&[b, "--trust", t]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("trust file"), "{}", r.stderr);
}

/// Every help page, found by walking the commands each page lists, and
/// every example in them run as written (`tests/src/help.rs`), in a folder
/// holding the golden bundle as `ZB2026-001.bundle.zip` and its log's
/// `log.vkey`.
#[test]
fn every_help_page_and_every_example_in_them() {
    let bin = Path::new(VERIFY);
    let pages = help::pages(bin);
    assert!(pages.len() >= 8, "only {} help pages", pages.len());
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(golden_bundle(), dir.path().join("ZB2026-001.bundle.zip")).unwrap();
    std::fs::write(dir.path().join("log.vkey"), common::verifier_key().vkey()).unwrap();
    std::fs::write(dir.path().join("bid.pdf"), b"a bid").unwrap();
    let trust = dir.path().join("trust.json");
    let ran = help::run_examples(
        bin,
        "tenderlog-verify",
        &pages,
        dir.path(),
        &[("TENDERLOG_TRUST", trust.as_os_str())],
        &[],
    );
    assert!(ran >= 4, "only {ran} examples found in the help");
}
