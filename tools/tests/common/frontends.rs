//! Helpers of the tests of front-ends on a log in PostgreSQL: submitters
//! under load, and the checks every acknowledged receipt must pass.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A receipt as a server returned it: index, leaf hash, the whole body, and
/// when its request was sent.
pub(crate) type Receipt = (u64, String, serde_json::Value, Instant);

/// Starts `tenderlog serve --data DATA --store DB` on a free port.
pub(crate) fn serve(data: &str, db: &str) -> (Child, String) {
    super::serve(data, &["--store", db, "--heartbeat-secs", "1"])
}

/// Stops a server with SIGTERM; it must exit 0.
pub(crate) fn stop(child: Child, what: &str) {
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "SIGTERM did not stop {what} cleanly: {:?}", out.status);
}

/// Posts distinct documents from `tasks` submitters to `url` until `stop`
/// says so, collecting the receipts; a refused or failed post is tried
/// again with the next document.
pub(crate) async fn load(
    url: String,
    token: String,
    tasks: u64,
    first: u64,
    sink: Arc<Mutex<Vec<Receipt>>>,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let mut running = Vec::new();
    for c in 0..tasks {
        let (http, url, token, sink, stop) =
            (http.clone(), url.clone(), token.clone(), sink.clone(), stop.clone());
        running.push(tokio::spawn(async move {
            for i in 0.. {
                if *stop.borrow() {
                    return;
                }
                let mut body: serde_json::Value = serde_json::from_str(&super::doc_line(
                    first + c * 100_000 + i,
                    &format!("T-{c}"),
                ))
                .unwrap();
                body.as_object_mut().unwrap().remove("principal");
                let at = Instant::now();
                let sent = http
                    .post(format!("{url}/v1/events"))
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .send()
                    .await;
                let ok = matches!(&sent, Ok(r) if r.status().is_success());
                if !ok {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
                let Ok(v) = sent.unwrap().json::<serde_json::Value>().await else { continue };
                let index = v["index"].as_u64().unwrap();
                let hash = v["leaf_hash"].as_str().unwrap().to_owned();
                sink.lock().unwrap().push((index, hash, v, at));
            }
        }));
    }
    for t in running {
        let _ = t.await;
    }
}

/// Every acknowledged entry is served by `url`, unchanged.
pub(crate) async fn check_served(url: &str, acked: &[Receipt], when: &str) {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    for (index, hash, _, _) in acked {
        let r = http.get(format!("{url}/v1/entries/{index}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{when}: acknowledged entry {index} is gone");
        let e: serde_json::Value = r.json().await.unwrap();
        assert_eq!(e["leaf_hash"].as_str().unwrap(), hash, "{when}: entry {index} changed");
    }
}

/// No index was acknowledged for two different entries.
pub(crate) fn no_index_twice(acked: &[Receipt]) {
    let mut by_index: HashMap<u64, &str> = HashMap::new();
    for (index, hash, _, _) in acked {
        if let Some(other) = by_index.insert(*index, hash) {
            assert_eq!(other, hash, "index {index} was acknowledged for two entries");
        }
    }
}

/// The log's keys, as a verifier anchors them.
pub(crate) fn log_keys(dir: &Path) -> verifier::log_keys::LogKeys {
    let keys = format!(
        "{}\n{}",
        std::fs::read_to_string(dir.join("log.vkey")).unwrap().trim(),
        std::fs::read_to_string(dir.join("log-mldsa44.vkey")).unwrap().trim()
    );
    let anchors = verifier::log_keys::LogAnchor::parse_lines(&keys).unwrap();
    let origin = verifier::log_keys::LogAnchor::origin(&anchors).unwrap();
    verifier::log_keys::LogKeys::from_anchors(origin, &anchors, None).unwrap()
}

/// Every receipt verifies offline against `url`'s newest checkpoint, with
/// the consistency proof from its own checkpoint (one per size).
pub(crate) async fn verify_against_final(url: &str, dir: &Path, acked: &[Receipt]) {
    let keys = log_keys(dir);
    let latest = reqwest::get(format!("{url}/v1/checkpoint")).await.unwrap().text().await.unwrap();
    let size: u64 = latest.lines().nth(1).unwrap().parse().unwrap();
    let mut proofs: HashMap<u64, Vec<verifier::Hash>> = HashMap::new();
    for (index, _, receipt, _) in acked {
        assert!(*index < size, "receipt {index} beyond the final checkpoint of {size}");
        let at = receipt["checkpoint"].as_str().unwrap().lines().nth(1).unwrap();
        let from: u64 = at.parse().unwrap();
        if let std::collections::hash_map::Entry::Vacant(slot) = proofs.entry(from) {
            let c: serde_json::Value =
                reqwest::get(format!("{url}/v1/proof/consistency?from={from}&to={size}"))
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
            let proof = c["proof"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| verifier::Hash::from_hex(h.as_str().unwrap()).unwrap())
                .collect();
            slot.insert(proof);
        }
        let newer = verifier::report::Newer {
            checkpoint: latest.as_bytes(),
            proof: Some(proofs[&from].clone()),
        };
        let bytes = serde_json::to_vec(receipt).unwrap();
        let report = verifier::report::verify_receipt(&bytes, &keys, Some(newer)).unwrap();
        assert!(report.verified, "receipt {index}: {}", report.to_text());
    }
    // And the server's inclusion proofs in the final tree (read in one
    // query per proof on PostgreSQL) verify against its root.
    let root = verifier::checkpoint::SignedCheckpoint::verify(latest.as_bytes(), &keys)
        .unwrap()
        .checkpoint
        .root;
    for (index, hash, _, _) in acked.iter().step_by(7) {
        let p: serde_json::Value =
            reqwest::get(format!("{url}/v1/proof/inclusion?index={index}&size={size}"))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
        let proof: Vec<verifier::Hash> = p["proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| verifier::Hash::from_hex(h.as_str().unwrap()).unwrap())
            .collect();
        let leaf = verifier::Hash::from_hex(hash).unwrap();
        verifier::merkle::verify_inclusion(*index, size, &leaf, &proof, &root)
            .unwrap_or_else(|e| panic!("inclusion proof of {index} in {size}: {e}"));
    }
}

/// A new log in `dir` (keys, no rules), moved into the database `db`: the
/// directory keeps the keys only. Returns a submitter's token, kept in the
/// database (shared by every front-end).
pub(crate) fn log_in_postgres(dir: &Path, db: &str) -> String {
    let data = dir.to_str().unwrap();
    let init = ["init", "--data", data, "--store", db, "--origin", "frontends.example/log"];
    let o = super::run(&[&init[..], &["--rules", "none", "--json"]].concat(), "");
    assert!(o.status.success(), "init --store: {}", super::err(&o));
    let made: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(made["store"], "postgresql", "{made}");
    // The log is in the database alone: the directory holds the keys.
    for f in ["tenderlog.db", "index.db"] {
        assert!(!dir.join(f).exists(), "init --store made {f}");
    }
    assert!(dir.join("log.key").exists());
    // A second log in the same database is refused, before any key is made.
    let other = dir.with_extension("second");
    let o = super::run(
        &["init", "--data", other.to_str().unwrap(), "--store", db, "--origin", "x.example/log"],
        "",
    );
    assert!(!o.status.success(), "a second log was made in the database");
    assert!(super::err(&o).contains("already holds a tenderlog log"), "{}", super::err(&o));
    assert!(!other.join("log.key").exists(), "a refused init left a key behind");
    let o =
        super::run(&["token", "create", "--data", data, "--store", db, "--name", "agency-01"], "");
    assert!(o.status.success(), "{}", super::err(&o));
    String::from_utf8(o.stdout).unwrap().trim().to_owned()
}

/// A new log in the database `db` and two front-ends' data directories for
/// it, `a` and `b` (the second a copy of the first's keys), in a new
/// temporary folder; and a submitter's token.
pub(crate) fn two_data_dirs(db: &str) -> (tempfile::TempDir, PathBuf, PathBuf, String) {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    let token = log_in_postgres(&a, db);
    let cp = std::process::Command::new("cp").arg("-a").arg(&a).arg(&b).status();
    assert!(cp.unwrap().success());
    (t, a, b, token)
}

/// Posts document `n` of `tender` to `url` with `token`, blocking: the
/// status and the body.
pub(crate) fn post_doc(url: &str, token: &str, n: u64, tender: &str) -> (u16, Vec<u8>) {
    let mut body: serde_json::Value = serde_json::from_str(&super::doc_line(n, tender)).unwrap();
    body.as_object_mut().unwrap().remove("principal");
    let r = reqwest::blocking::Client::new()
        .post(format!("{url}/v1/events"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .unwrap();
    (r.status().as_u16(), r.bytes().unwrap().to_vec())
}
