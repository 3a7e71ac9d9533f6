//! The `tenderlog` command end to end: init, append, checkpoint, prove, audit,
//! and every kind of bad input, each checked against the pure verifier.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{doc_line, err, init, out, run};
use verifier::checkpoint::SignedCheckpoint;
use verifier::merkle::{verify_consistency, verify_inclusion};
use verifier::note::NoteVerifier;
use verifier::{Hash, leaf_hash};

fn d(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn checkpoint(dir: &Path) -> String {
    let o = run(&["checkpoint", "--data", d(dir)], "");
    assert!(o.status.success(), "{}", err(&o));
    out(&o)
}

fn hashes(v: &serde_json::Value) -> Vec<Hash> {
    v.as_array().unwrap().iter().map(|h| Hash::from_hex(h.as_str().unwrap()).unwrap()).collect()
}

fn append(dir: &Path, lines: &[String]) -> Vec<serde_json::Value> {
    let o = run(&["append", "--data", d(dir), "--batch", "7"], &(lines.join("\n") + "\n"));
    assert!(o.status.success(), "append failed: {}", err(&o));
    out(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn init_append_prove_audit() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("log");
    let vkey = init(&dir, "ggzy.example.gov.cn/tenderlog");
    let key = NoteVerifier::parse(&vkey).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join("log.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "signing key must be owner-only");
    }
    let empty = SignedCheckpoint::verify(checkpoint(&dir).as_bytes(), &key).unwrap();
    assert_eq!(empty.checkpoint.size, 0);

    let lines: Vec<String> = (0..40).map(|i| doc_line(i, &format!("T-{}", i % 3))).collect();
    let receipts = append(&dir, &lines);
    assert_eq!(receipts.len(), 40);
    for (i, r) in receipts.iter().enumerate() {
        assert_eq!(r["index"], i as u64);
        assert_eq!(r["duplicate"], false);
        assert!(r["checkpoint_size"].as_u64().unwrap() > i as u64);
    }
    let cp = SignedCheckpoint::verify(checkpoint(&dir).as_bytes(), &key).unwrap();
    assert_eq!(cp.checkpoint.size, 40);

    // Resubmission is idempotent: same index, no new entry.
    let again = append(&dir, &lines[5..6]);
    assert_eq!(again[0]["index"], 5);
    assert_eq!(again[0]["duplicate"], true);
    assert_eq!(SignedCheckpoint::verify(checkpoint(&dir).as_bytes(), &key).unwrap(), cp);

    // Inclusion proofs at the latest and at past sizes verify with the pure verifier.
    for (index, size) in [(0u64, None), (39, None), (3, Some(4u64)), (17, Some(30))] {
        let mut args = vec!["prove", "inclusion", "--data", d(&dir)];
        let (i, s);
        i = index.to_string();
        args.extend(["--index", &i]);
        if let Some(size) = size {
            s = size.to_string();
            args.extend(["--size", &s]);
        }
        let o = run(&args, "");
        assert!(o.status.success(), "{}", err(&o));
        let p: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
        let lh = Hash::from_hex(p["leaf_hash"].as_str().unwrap()).unwrap();
        assert_eq!(lh.to_hex(), receipts[index as usize]["leaf_hash"].as_str().unwrap());
        let root = Hash::from_hex(p["root"].as_str().unwrap()).unwrap();
        let size = p["tree_size"].as_u64().unwrap();
        verify_inclusion(index, size, &lh, &hashes(&p["proof"]), &root).unwrap();
        if size == 40 {
            assert_eq!(root, cp.checkpoint.root);
        }
        // The past root is the one the log signed at that size, when it signed one.
        if let Some(note) = p["checkpoint"].as_str() {
            let past = SignedCheckpoint::verify(note.as_bytes(), &key).unwrap();
            assert_eq!(past.checkpoint.root, root);
        }
        // Consistency from that size to the latest checkpoint.
        let from = size.to_string();
        let o = run(&["prove", "consistency", "--data", d(&dir), "--from", &from], "");
        let c: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
        verify_consistency(
            size,
            40,
            &hashes(&c["proof"]),
            &root,
            &Hash::from_hex(c["root2"].as_str().unwrap()).unwrap(),
        )
        .unwrap();
        assert_eq!(c["root2"].as_str().unwrap(), cp.checkpoint.root.to_hex());
    }

    // By leaf hash.
    let lh = receipts[9]["leaf_hash"].as_str().unwrap();
    let o = run(&["prove", "inclusion", "--data", d(&dir), "--leaf-hash", lh], "");
    let p: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(p["index"], 9);

    // The entry decodes, and its leaf hashes to the receipt's hash.
    let o = run(&["entry", "--data", d(&dir), "--index", "9"], "");
    let e: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(e["leaf_hash"].as_str().unwrap(), lh);
    assert_eq!(e["event"]["kind"], "document");
    assert_eq!(e["event"]["tender"], "T-0");

    let o = run(&["audit", "--data", d(&dir), "--json"], "");
    assert!(o.status.success(), "{}", err(&o));
    let a: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(a["report"]["entries"], 40);
    assert_eq!(a["report"]["tenders"], 3);
}

/// Each bad input exits 2 with a message naming the problem, and leaves the
/// log byte-for-byte as it was.
#[test]
fn bad_input_changes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("log");
    init(&dir, "example.org/log");
    append(&dir, &[doc_line(1, "T")]);
    let before = checkpoint(&dir);

    let huge_title = format!(
        r#"{{"kind":"document","tender":"T","body":{{"document_type":"bid","sha256":"{:064x}","size":1,"media_type":"a/b","title":"{}"}}}}"#,
        7,
        "x".repeat(70_000)
    );
    let long_line = "x".repeat(2 << 20);
    let cases: Vec<(&str, String, &str)> = vec![
        ("malformed JSON", "{\"kind\":".into(), "line 1"),
        ("unknown kind", r#"{"kind":"nope","tender":"T","body":{}}"#.into(), "unknown event kind"),
        ("bad body", r#"{"kind":"document","tender":"T","body":{"size":1}}"#.into(), "body of document"),
        ("bad hash", r#"{"kind":"document","tender":"T","body":{"document_type":"bid","sha256":"zz","size":1,"media_type":"a/b"}}"#.into(), "hex"),
        ("oversize leaf", huge_title, "title is longer"),
        ("oversize line", long_line, "longer than"),
        ("control character", r#"{"kind":"schedule","tender":"T\u0001","body":{"bid_deadline_ms":1,"opening_ms":2}}"#.into(), "control character"),
        ("unknown field", r#"{"kind":"schedule","tender":"T","extra":1,"body":{"bid_deadline_ms":1,"opening_ms":2}}"#.into(), "unknown field"),
    ];
    for (what, line, needle) in cases {
        let o = run(&["append", "--data", d(&dir)], &(line + "\n"));
        assert_eq!(o.status.code(), Some(2), "{what}: {}", err(&o));
        assert!(err(&o).contains(needle), "{what}: message {:?} lacks {needle:?}", err(&o));
        assert!(out(&o).is_empty(), "{what}: printed a receipt");
        assert_eq!(checkpoint(&dir), before, "{what} changed the log");
    }

    // A bad line after good ones: the good ones before it land, nothing after.
    let input = format!("{}\n{{oops\n{}\n", doc_line(2, "T"), doc_line(3, "T"));
    let o = run(&["append", "--data", d(&dir)], &input);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("line 2"), "{}", err(&o));
    assert_eq!(out(&o).lines().count(), 1);

    // Wrong data directory: a clear error and a hint, nothing created.
    let nowhere = t.path().join("nowhere");
    for args in [
        vec!["append", "--data", d(&nowhere)],
        vec!["checkpoint", "--data", d(&nowhere)],
        vec!["audit", "--data", d(&nowhere)],
    ] {
        let o = run(&args, "");
        assert_eq!(o.status.code(), Some(2));
        assert!(err(&o).contains("no tenderlog store"), "{}", err(&o));
        assert!(err(&o).contains("tenderlog init"), "{}", err(&o));
    }
    assert!(!nowhere.join("tenderlog.db").exists());

    // init over an existing store is refused.
    let o = run(&["init", "--data", d(&dir), "--origin", "example.org/log"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("already holds"), "{}", err(&o));

    // Proofs outside the tree.
    let size: u64 = checkpoint(&dir).lines().nth(1).unwrap().parse().unwrap();
    let big = (size + 1).to_string();
    for args in [
        vec!["prove", "inclusion", "--data", d(&dir), "--index", &big],
        vec!["prove", "inclusion", "--data", d(&dir), "--index", "0", "--size", &big],
        vec!["prove", "consistency", "--data", d(&dir), "--from", "1", "--to", &big],
        vec!["prove", "consistency", "--data", d(&dir), "--from", "2", "--to", "1"],
    ] {
        let o = run(&args, "");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(!err(&o).is_empty());
    }
}

#[test]
fn second_writer_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("log");
    init(&dir, "example.org/log");
    let before = checkpoint(&dir);
    let held = ledger::Ledger::open(&dir, std::sync::Arc::new(ledger::SystemClock)).unwrap();
    let o = run(&["append", "--data", d(&dir)], &(doc_line(1, "T") + "\n"));
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("another tenderlog process is writing"), "{}", err(&o));
    // Readers are not blocked by the writer.
    assert_eq!(checkpoint(&dir), before);
    drop(held);
    let o = run(&["append", "--data", d(&dir)], &(doc_line(1, "T") + "\n"));
    assert!(o.status.success(), "{}", err(&o));
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["init", "--help"],
        vec!["append", "--help"],
        vec!["checkpoint", "--help"],
        vec!["entry", "--help"],
        vec!["prove", "--help"],
        vec!["prove", "inclusion", "--help"],
        vec!["prove", "consistency", "--help"],
        vec!["audit", "--help"],
        vec!["bench", "--help"],
        vec!["bench", "ingest", "--help"],
        vec!["bench", "prove", "--help"],
        vec!["bench", "audit", "--help"],
        vec!["bench", "http", "--help"],
        vec!["bench", "build", "--help"],
        vec!["serve", "--help"],
        vec!["token", "--help"],
        vec!["token", "create", "--help"],
        vec!["token", "list", "--help"],
        vec!["token", "revoke", "--help"],
        vec!["bundle", "--help"],
        vec!["demo", "--help"],
    ] {
        let o = run(&args, "");
        assert!(o.status.success(), "{args:?}");
        assert!(out(&o).contains("Usage"), "{args:?}");
    }
    let o = run(&["no-such-command"], "");
    assert_eq!(o.status.code(), Some(2));
}

/// The audit catches each kind of tampering with the store and names the
/// check (and the entry, where there is one).
#[test]
fn audit_names_what_was_tampered() {
    let t = tempfile::tempdir().unwrap();
    let base = t.path().join("base");
    init(&base, "example.org/log");
    let lines: Vec<String> = (0..300).map(|i| doc_line(i, &format!("T-{}", i % 5))).collect();
    append(&base, &lines);
    assert!(run(&["audit", "--data", d(&base)], "").status.success());

    let cases: &[(&str, &str, &str)] = &[
        (
            "leaf byte",
            "UPDATE leaves SET leaf = CAST(substr(leaf, 1, 40) || X'00' || substr(leaf, 42) AS BLOB) WHERE idx = 123",
            "entry 123",
        ),
        ("leaf type", "UPDATE leaves SET leaf = 'text' WHERE idx = 7", "canonical leaf at entry 7"),
        ("leaf deleted", "DELETE FROM leaves WHERE idx = 200", "leaf sequence"),
        ("last leaf deleted", "DELETE FROM leaves WHERE idx = 299", "leaf sequence at entry 299"),
        (
            "tile hash",
            "UPDATE tiles SET hashes = CAST(X'00' || substr(hashes, 2) AS BLOB) WHERE id = (1 << 56)",
            "tree node",
        ),
        ("leaf index row", "DELETE FROM leaf_hashes WHERE idx = 17", "index leaf_hashes"),
        (
            "tender index row",
            "UPDATE tender_events SET idx = idx + 1 WHERE idx = 250",
            "index tender_events",
        ),
        ("content index row", "DELETE FROM contents WHERE idx = 3", "index contents"),
        ("document index row", "INSERT INTO documents VALUES (42, 42)", "index documents"),
        (
            "checkpoint note",
            "UPDATE checkpoints SET note = replace(note, 'example.org/log', 'example.org/lug') WHERE size = (SELECT MIN(size) FROM checkpoints WHERE size > 0)",
            "checkpoint signature",
        ),
        (
            "checkpoint root",
            "UPDATE checkpoints SET root = zeroblob(32) WHERE size = (SELECT MIN(size) FROM checkpoints WHERE size > 0)",
            "checkpoint signature",
        ),
        ("extra tile", "INSERT INTO tiles VALUES ((5 << 56) | 9, zeroblob(32))", "tile extent"),
        (
            "stray checkpoint",
            "INSERT INTO checkpoints (size, root, note, signed_ms) VALUES (-3, zeroblob(32), 'x', 0)",
            "checkpoints stored",
        ),
        ("index ahead", "UPDATE meta SET value = '301' WHERE key = 'indexed_upto'", "index extent"),
        (
            "index behind",
            "UPDATE meta SET value = '299' WHERE key = 'indexed_upto'",
            "index leaf_hashes",
        ),
    ];
    for (what, sql, needle) in cases {
        let dir = t.path().join(what.replace(' ', "-"));
        copy_dir(&base, &dir);
        let projection = ["leaf_hashes", "tender_events", "contents", "documents", "meta"]
            .iter()
            .any(|t| sql.contains(&format!(" {t} ")));
        let file = if projection { "index.db" } else { "tenderlog.db" };
        let conn = rusqlite::Connection::open(dir.join(file)).unwrap();
        conn.execute_batch(sql).unwrap();
        drop(conn);
        let o = run(&["audit", "--data", d(&dir)], "");
        assert_eq!(o.status.code(), Some(1), "{what}: audit did not fail: {} {}", out(&o), err(&o));
        assert!(err(&o).contains(needle), "{what}: {:?} lacks {needle:?}", err(&o));
        // The integrity audit catches every change to the log itself, and
        // does not read index.db.
        let o = run(&["audit", "--data", d(&dir), "--integrity"], "");
        if projection {
            assert!(o.status.success(), "{what}: integrity audit read index.db: {}", err(&o));
            assert!(out(&o).contains("integrity checks only"), "{what}: {}", out(&o));
        } else {
            assert_eq!(o.status.code(), Some(1), "{what}: integrity audit passed: {}", out(&o));
            assert!(err(&o).contains(needle), "{what} (integrity): {:?} lacks {needle:?}", err(&o));
        }
    }

    // The index is a projection: deleted, it is rebuilt by the next writer.
    let dir = t.path().join("rebuilt");
    copy_dir(&base, &dir);
    for f in ["index.db", "index.db-wal", "index.db-shm"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    let o = run(&["audit", "--data", d(&dir), "--json"], "");
    assert!(o.status.success(), "{}", err(&o));
    let a: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(a["report"]["indexed"], 0);
    let o = run(
        &["prove", "inclusion", "--data", d(&dir), "--leaf-hash", &leaf_hash_of(&dir, 250)],
        "",
    );
    assert!(o.status.success(), "lookup by leaf hash without an index: {}", err(&o));
    append(&dir, &[doc_line(1000, "T-new")]);
    let o = run(&["audit", "--data", d(&dir), "--json"], "");
    let a: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(a["report"]["indexed"], 301);
}

fn leaf_hash_of(dir: &Path, index: u64) -> String {
    let store = ledger::Store::open(dir).unwrap();
    leaf_hash(&store.leaf(index).unwrap()).to_hex()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// The README's main command: one tender through the HTTP API, receipts
/// checked, the bundle exported and verified; run twice, it is idempotent.
#[test]
fn demo_plays_a_tender_and_verifies_its_bundle() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("demo-data");
    let o = run(&["demo", "--data", d(&dir)], "");
    assert!(o.status.success(), "{}", err(&o));
    let text = out(&o);
    // Fourteen certificate events (bidder D's reported lost; four SM2 seal
    // certificates), four unit seals bound, the rule pack, the tender's
    // registration and schedule, twelve documents (two refused, their
    // refusals logged; four under seal), three sealed records of who
    // obtained the documents, seven reveals, and fifteen steps of the
    // procedure (the clarification's delivery, five phases of the opening,
    // the committee, candidates, decision, result notices, three refunds,
    // the performance security, the report).
    assert_eq!(text.matches("receipt #").count(), 59, "{text}");
    assert!(text.contains("定标 award decided: bidder A"), "{text}");
    assert_eq!(text.matches("unit seal bound").count(), 4, "{text}");
    assert!(
        text.contains("REFUSED (certificate status at trusted time), refusal logged"),
        "{text}"
    );
    assert!(text.contains("after the deadline: REFUSED (procedure), refusal logged"), "{text}");
    assert_eq!(text.matches(": under seal").count(), 7, "{text}");
    assert_eq!(text.matches("reveal: ").count(), 7, "{text}");
    // The tender's 39 events, 8 signer certificate chains (13 events), 3
    // seal signer chains and 3 seal bindings, the rule pack and the
    // holiday calendar the report counts days by.
    assert!(text.contains("VERIFIED: 55 entries"), "{text}");
    assert!(text.contains("pass          T07"), "{text}");
    assert!(text.contains("pass          L02"), "{text}");
    assert!(text.contains("calendar cn-state-council v1 (entry "), "{text}");
    // The compliance report: the tender ran in seconds, not 20 days (T02,
    // T04, T05 and the fine behind them, T35), and its committee of three
    // experts is too small (T21): what only the report catches.
    assert!(text.contains("5 rule(s) broken") && text.contains("FAIL          T04"), "{text}");
    assert!(text.contains("FAIL          T21"), "{text}");
    assert!(text.contains("13 signatures, 12 e-seal checks, 19 certificate chains"), "{text}");
    assert!(text.contains("7 sealed documents opened"), "{text}");
    assert!(text.contains("not accredited"), "{text}");
    assert!(dir.join("demo/ZB2026-DEMO-001.bundle.zip").is_file());
    let o = run(&["demo", "--data", d(&dir)], "");
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(out(&o).matches("already logged: same entry").count(), 59);
    let o = run(&["audit", "--data", d(&dir)], "");
    assert!(o.status.success(), "{}", err(&o));
}

/// A reader that goes away (`tenderlog policy default | head`) is not an
/// error: no panic, exit 0.
#[test]
fn a_closed_pipe_is_not_a_panic() {
    let mut child = common::bin()
        .args(["policy", "default"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end before the child writes (it has to start first).
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

/// `policy publish` while the server holds the writer lock says how to
/// publish through the server instead (exit 2, nothing written).
#[test]
fn policy_publish_while_serving_says_to_post_it() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("data");
    common::init(&dir, "policy.tenderlog.example/log");
    let (mut server, _url) = common::serve(d(&dir), &[]);
    let o = run(&["policy", "publish", "--data", d(&dir)], "");
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("the server is running"), "{}", err(&o));
    assert!(err(&o).contains("POST http://") && err(&o).contains("/v1/events"), "{}", err(&o));
    server.kill().unwrap();
    server.wait().unwrap();
}

/// Every help page, found by walking the commands each page lists; and
/// every example a page gives run as written (`tenderlog_tests::help`), in
/// a folder holding a log (`tenderlog-data`) and its `log.vkey`. Example
/// URLs are pointed at a closed local port.
#[test]
fn every_help_page_and_every_example_in_them() {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_tenderlog"));
    let pages = tenderlog_tests::help::pages(bin);
    assert!(pages.len() > 20, "only {} help pages", pages.len());
    let t = tempfile::tempdir().unwrap();
    init(&t.path().join("tenderlog-data"), "help.tenderlog.example/log");
    std::fs::copy(t.path().join("tenderlog-data/log.vkey"), t.path().join("log.vkey")).unwrap();
    let ran = tenderlog_tests::help::run_examples(
        bin,
        "tenderlog",
        &pages,
        t.path(),
        &[("TENDERLOG_DATA", "tenderlog-data".as_ref())],
        &[
            ("https://log.example.gov.cn", "http://127.0.0.1:9"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:9"),
        ],
    );
    assert!(ran >= 2, "only {ran} examples found in the help");
}

/// `init` puts the shipped rule pack and holiday calendar in force (entries
/// 0 and 1): an unsigned award notice — a bidder's or anyone's — is refused
/// and the refusal logged; `--rules none` makes a log that takes unsigned
/// documents; the compliance report names the calendar's entry.
#[test]
fn init_puts_the_shipped_rules_in_force() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("log");
    let o = run(&["init", "--data", d(&dir), "--origin", "example.org/log", "--json"], "");
    assert!(o.status.success(), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v["rule_pack"]["index"], 0, "{v}");
    assert_eq!(v["calendar"]["index"], 1, "{v}");
    let award = r#"{"kind":"document","tender":"ZB2026-009","principal":"bidder-a","body":{"document_type":"award_notice","sha256":"1111111111111111111111111111111111111111111111111111111111111111","size":10,"media_type":"application/pdf"}}"#;
    let o = run(&["append", "--data", d(&dir)], &format!("{award}\n"));
    assert_eq!(o.status.code(), Some(2), "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("\"index\":2"), "the refusal is logged: {}", out(&o));
    let o = run(&["report", "--data", d(&dir), "--tender", "ZB2026-009"], "");
    assert!(out(&o).contains("calendar cn-state-council v1 (entry 1)"), "{}", out(&o));

    let open = t.path().join("open");
    let o =
        run(&["init", "--data", d(&open), "--origin", "example.org/log", "--rules", "none"], "");
    assert!(o.status.success(), "{}", err(&o));
    assert!(err(&o).contains("none in force"), "{}", err(&o));
    let o = run(&["append", "--data", d(&open)], &format!("{award}\n"));
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains("\"index\":0"), "{}", out(&o));
}
