//! `tenderlog key rotate` end to end: receipts from before and after a
//! rotation verify against the key a bidder pinned before it, through the
//! key history the server publishes; `audit --url` follows it, from the
//! server and from a static copy, and refuses the copy without it.
#![allow(clippy::unwrap_used)]

mod common;

use common::{err, init, out, run};
use verifier::log_keys::{KeyHistory, LogKeys};
use verifier::note::NoteVerifier;

use common::Killed;

fn line(i: u64) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(&common::doc_line(i, "ZB2026-ROTATE")).unwrap();
    v.as_object_mut().unwrap().remove("principal");
    v.to_string()
}

/// Serves `data`, submits events `from..to` and returns their receipts.
fn submit(data: &str, token: &str, from: u64, to: u64) -> Vec<Vec<u8>> {
    let (child, base) = common::serve(data, &[]);
    let _server = Killed(child);
    let http = reqwest::blocking::Client::new();
    (from..to)
        .map(|i| {
            let r = http
                .post(format!("{base}/v1/events"))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(line(i))
                .send()
                .unwrap();
            assert_eq!(r.status(), 201);
            r.bytes().unwrap().to_vec()
        })
        .collect()
}

fn audit_url(url: &str, key: &str) -> std::process::Output {
    run(&["audit", "--url", url, "--key", key, "--integrity", "--json"], "")
}

#[test]
fn receipts_and_audits_follow_the_key_history_from_the_pinned_key() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data");
    let d = data.to_str().unwrap().to_owned();
    let old_text = init(&data, "rotate.tenderlog.example/log");
    let old = NoteVerifier::parse(&old_text).unwrap();
    let o = run(&["token", "create", "--data", &d, "--name", "agency-01"], "");
    assert!(o.status.success(), "{}", err(&o));
    let token = out(&o).trim().to_owned();
    let before = submit(&d, &token, 0, 3);

    // Never rotated: an empty history.
    let o = run(&["key", "history", "--data", &d], "");
    assert!(KeyHistory::parse(out(&o).as_bytes()).unwrap().rotations.is_empty());

    let o = run(&["key", "rotate", "--data", &d, "--json"], "");
    assert!(o.status.success(), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v["old_key"], old_text.as_str());
    assert_eq!(v["tree_size"], 3);
    let new = NoteVerifier::parse(v["new_key"].as_str().unwrap()).unwrap();
    assert_eq!(std::fs::read_to_string(data.join("log.vkey")).unwrap().trim(), new.vkey());

    let (child, base) = common::serve(&d, &[]);
    let server = Killed(child);
    let served = reqwest::blocking::get(format!("{base}/key-history.json")).unwrap();
    assert_eq!(served.status(), 200);
    let history = KeyHistory::parse(&served.bytes().unwrap()).unwrap();
    let o = run(&["key", "history", "--data", &d], "");
    assert_eq!(KeyHistory::parse(out(&o).as_bytes()).unwrap(), history);
    // audit --url, pinned to the old key, follows the history the server publishes.
    let o = audit_url(&base, &old_text);
    assert!(o.status.success(), "{}", err(&o));
    drop(server);

    let after = submit(&d, &token, 3, 6);
    let keys = LogKeys::follow(old.name(), std::slice::from_ref(&old), Some(&history)).unwrap();
    for r in before.iter().chain(&after) {
        let report = verifier::report::verify_receipt(r, &keys, None).unwrap();
        assert!(report.verified, "{}", report.to_text());
    }
    for r in &after {
        // Pinned to the old key without the history: not verified.
        let report = verifier::report::verify_receipt(r, &old, None).unwrap();
        assert!(!report.verified, "{}", report.to_text());
        assert!(verifier::report::verify_receipt(r, &new, None).unwrap().verified);
    }

    // A static copy of the tiles with and without the history file.
    let copy = t.path().join("static");
    std::fs::create_dir_all(copy.join("tile")).unwrap();
    {
        let (child, base) = common::serve(&d, &[]);
        let _server = Killed(child);
        let get = |p: &str| reqwest::blocking::get(format!("{base}/{p}")).unwrap().bytes().unwrap();
        std::fs::write(copy.join("checkpoint"), get("checkpoint")).unwrap();
        std::fs::write(copy.join("key-history.json"), get("key-history.json")).unwrap();
        std::fs::create_dir_all(copy.join("tile/entries")).unwrap();
        std::fs::create_dir_all(copy.join("tile/0/000.p")).unwrap();
        std::fs::create_dir_all(copy.join("tile/entries/000.p")).unwrap();
        std::fs::write(copy.join("tile/entries/000.p/6"), get("tile/entries/000.p/6")).unwrap();
        std::fs::write(copy.join("tile/0/000.p/6"), get("tile/0/000.p/6")).unwrap();
    }
    let (child, url) = common::static_server(&copy);
    let _static = Killed(child);
    let o = audit_url(&url, &old_text);
    assert!(o.status.success(), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v["report"]["entries"], 6);
    // A history changed in one byte is refused; so is none at all.
    let genuine = std::fs::read(copy.join("key-history.json")).unwrap();
    let mut flipped = genuine.clone();
    let at = genuine.len() / 2;
    flipped[at] ^= 0x01;
    std::fs::write(copy.join("key-history.json"), &flipped).unwrap();
    let o = audit_url(&url, &old_text);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    std::fs::remove_file(copy.join("key-history.json")).unwrap();
    let o = audit_url(&url, &old_text);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("checkpoint signature"), "{}", err(&o));
    // The new key alone needs no history.
    let o = audit_url(&url, &new.vkey());
    assert!(o.status.success(), "{}", err(&o));
}
