//! The witness (C2SP tlog-witness) against a log that lies: every status
//! path of `add-checkpoint` in the spec's order, the split-view evidence
//! kept and shown, the compare-and-swap under a race, the list of logs
//! reloaded, and — with the real `tenderlog witness serve` killed by SIGKILL
//! at random moments under load — never two roots cosigned for one size and
//! never a step back after a restart.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use ed25519_dalek::SigningKey;
use verifier::cosignature::CosignerKey;
use verifier::hash::{EMPTY_ROOT, Hash, leaf_hash};
use verifier::merkle::{MemoryTree, consistency_proof, tree_root};
use verifier::note::{Note, NoteSigner};
use verifier::witness_request::AddCheckpoint;

use common::witnesses::{make_witness, wait_cosigned, witness_process};

/// A log under the test's control: it can sign any root for any size.
struct FakeLog {
    signer: NoteSigner,
    tree: MemoryTree,
}

impl FakeLog {
    fn new(origin: &str, seed: u8) -> FakeLog {
        FakeLog {
            signer: NoteSigner::new(origin, SigningKey::from_bytes(&[seed; 32])).unwrap(),
            tree: MemoryTree::new(),
        }
    }

    fn origin(&self) -> String {
        self.signer.verifier().name().to_owned()
    }

    fn grow_to(&mut self, size: u64) {
        while self.tree.size() < size {
            self.tree.push(leaf_hash(format!("entry {}", self.tree.size()).as_bytes()));
        }
    }

    fn root(&mut self, size: u64) -> Hash {
        self.grow_to(size);
        tree_root(&mut self.tree, size).unwrap()
    }

    fn note(&self, size: u64, root: &Hash) -> String {
        let origin = self.signer.verifier().name().to_owned();
        self.signer.sign(&format!("{origin}\n{size}\n{}\n", root.to_base64())).unwrap()
    }

    /// An honest request from `old` to `size`.
    fn request(&mut self, old: u64, size: u64) -> Vec<u8> {
        let root = self.root(size);
        let proof =
            if old == 0 { vec![] } else { consistency_proof(&mut self.tree, old, size).unwrap() };
        AddCheckpoint { old, proof, checkpoint: self.note(size, &root).into_bytes() }.to_bytes()
    }
}

struct Served {
    rt: tokio::runtime::Runtime,
    running: api::witness::RunningWitness,
    url: String,
    http: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
}

fn serve(dir: &std::path::Path) -> Served {
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut config = api::witness::WitnessConfig::new(dir.to_owned());
    config.listen = "127.0.0.1:0".parse().unwrap();
    let running = rt
        .block_on(api::witness::start_witness(config, async {
            let _ = stopped.await;
        }))
        .unwrap();
    let url = format!("http://{}", running.addr);
    Served { rt, running, url, http: reqwest::Client::new(), _stop: stop }
}

impl Served {
    fn post(&self, body: Vec<u8>) -> (u16, String, String) {
        self.rt.block_on(async {
            let r = self.http.post(format!("{}/add-checkpoint", self.url)).body(body).send().await;
            let r = r.unwrap();
            let status = r.status().as_u16();
            let ctype = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            (status, ctype, r.text().await.unwrap())
        })
    }

    fn get(&self, path: &str) -> (u16, String) {
        self.rt.block_on(async {
            let r = self.http.get(format!("{}{path}", self.url)).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        })
    }
}

fn witness_dir(logs: &[&FakeLog]) -> (tempfile::TempDir, Vec<CosignerKey>) {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("w");
    let keys = ledger::witness::init(&dir, "witness.fgw.example.gov.cn").unwrap();
    let lines: String =
        logs.iter().map(|l| format!("log {}\n", l.signer.verifier().vkey())).collect();
    std::fs::write(dir.join("logs"), lines).unwrap();
    (t, keys)
}

fn origin_hash(origin: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(origin.as_bytes()))
}

#[test]
fn every_status_of_add_checkpoint_with_a_log_that_lies() {
    let mut log = FakeLog::new("ggzy.example.gov.cn/tenderlog", 1);
    let (t, keys) = witness_dir(&[&log]);
    let w = serve(&t.path().join("w"));
    assert_eq!(keys.len(), 2, "an Ed25519 and an ML-DSA-44 key");

    // 404: an origin the witness does not know.
    let mut stranger = FakeLog::new("other.example/log", 2);
    assert_eq!(w.post(stranger.request(0, 3)).0, 404);
    // 403: the known origin signed by another key; a trusted line that fails.
    let mut impostor = FakeLog::new("ggzy.example.gov.cn/tenderlog", 3);
    assert_eq!(w.post(impostor.request(0, 3)).0, 403);
    let good = log.request(0, 5);
    let mut forged = good.clone();
    let n = forged.len();
    forged[n - 10] ^= 1; // inside the signature's base64
    let (status, _, _) = w.post(forged);
    assert!(status == 403 || status == 400, "a forged signature: {status}");
    let mut flipped = String::from_utf8(good.clone()).unwrap();
    flipped = flipped.replacen("\n5\n", "\n6\n", 1);
    assert_eq!(w.post(flipped.into_bytes()).0, 403, "a changed size breaks the signature");
    // 400: malformed, and an old size above the checkpoint's.
    assert_eq!(w.post(b"old 1\n".to_vec()).0, 400);
    assert_eq!(w.post(b"hello".to_vec()).0, 400);
    assert_eq!(w.post(log.request(0, 5)).0, 200);
    let mut above = log.request(5, 7);
    above.splice(0..5, b"old 9".iter().copied());
    assert_eq!(w.post(above).0, 400);

    // 200 gave both cosignatures over what the log signed.
    let (status, ctype, lines) = w.post(log.request(5, 8));
    assert_eq!(status, 200, "{lines}");
    assert!(ctype.starts_with("text/plain"));
    let root8 = log.root(8);
    let cosigned = format!("{}{lines}", log.note(8, &root8));
    let parsed = Note::parse(cosigned.as_bytes()).unwrap();
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    for k in &keys {
        let ts = k.verify(&parsed).unwrap();
        assert!(ts <= now && ts + 60 > now, "{ts} vs {now}");
    }
    assert_eq!(lines.lines().count(), 2);

    // 409: a client that does not know the size held learns it.
    let (status, ctype, body) = w.post(log.request(0, 9));
    assert_eq!((status, ctype.as_str(), body.as_str()), (409, "text/x.tlog.size", "8\n"));
    // A rollback: to a smaller size from the size held is 400, from any other 409.
    assert_eq!(w.post(log.request(5, 5)).0, 409);
    let mut back = AddCheckpoint::parse(&log.request(5, 5)).unwrap();
    back.old = 8;
    assert_eq!(w.post(back.to_bytes()).0, 400);

    // 422: the same size with another root — kept as evidence.
    let other = leaf_hash(b"a different history");
    let split = AddCheckpoint { old: 8, proof: vec![], checkpoint: log.note(8, &other).into() };
    assert_eq!(w.post(split.to_bytes()).0, 422);
    // 422: a proof that does not verify — kept too.
    let mut bad_proof = AddCheckpoint::parse(&log.request(8, 12)).unwrap();
    bad_proof.proof[0] = leaf_hash(b"x");
    assert_eq!(w.post(bad_proof.to_bytes()).0, 422);
    // 422: a proof from size 0, and a checkpoint of size 0 with a root.
    let mut from_zero = AddCheckpoint::parse(&log.request(0, 3)).unwrap();
    from_zero.proof = vec![EMPTY_ROOT];
    let mut other_log = FakeLog::new("audit.example/log", 4);
    std::fs::write(
        t.path().join("w/logs"),
        format!(
            "log {}\nlog {}\n",
            log.signer.verifier().vkey(),
            other_log.signer.verifier().vkey()
        ),
    )
    .unwrap();
    assert_eq!(w.running.witness.reload().unwrap(), 2, "the list is reloaded");
    let zero = AddCheckpoint {
        old: 0,
        proof: vec![],
        checkpoint: other_log.note(0, &leaf_hash(b"not empty")).into(),
    };
    assert_eq!(w.post(zero.to_bytes()).0, 422);
    let mut zero_proof = AddCheckpoint::parse(&other_log.request(0, 3)).unwrap();
    zero_proof.proof = vec![EMPTY_ROOT];
    assert_eq!(w.post(zero_proof.to_bytes()).0, 422);
    assert_eq!(w.post(other_log.request(0, 3)).0, 200, "the reloaded log is witnessed");

    // The state moved only on 200s; the evidence is shown.
    let (status, body) = w.get("/status");
    assert_eq!(status, 200);
    let s: serde_json::Value = serde_json::from_str(&body).unwrap();
    let ours = &s["logs"][&log.origin()];
    assert_eq!(ours["latest"]["size"], 8);
    let ev = s["split_view_evidence"].as_array().unwrap();
    assert_eq!(ev.len(), 2, "{body}");
    assert_eq!(ev[0]["reason"], "same_size_different_root");
    assert_eq!(ev[1]["reason"], "consistency_proof_failed");
    // The pair proves the split view by itself: two roots for size 8, both
    // signed by the log's key.
    let held = Note::parse(ev[0]["held"].as_str().unwrap().as_bytes()).unwrap();
    let refused = Note::parse(ev[0]["refused"].as_str().unwrap().as_bytes()).unwrap();
    assert!(held.verify(&log.signer.verifier()).is_ok());
    assert!(refused.verify(&log.signer.verifier()).is_ok());
    assert_ne!(held.text, refused.text);
    let (_, metrics) = w.get("/metrics");
    assert!(metrics.contains("tenderlog_witness_split_view_evidence 2"), "{metrics}");
    assert!(metrics.contains("tenderlog_witness_refused_409_total 2"), "{metrics}");

    // The monitoring path serves the cosigned checkpoint; unknown logs 404.
    let (status, note) = w.get(&format!("/{}/checkpoint", origin_hash(&log.origin())));
    assert_eq!(status, 200);
    let note = Note::parse(note.as_bytes()).unwrap();
    assert!(note.verify(&log.signer.verifier()).is_ok());
    assert!(keys.iter().all(|k| k.verify(&note).is_ok()));
    assert_eq!(w.get(&format!("/{}/checkpoint", origin_hash("nobody"))).0, 404);
    assert_eq!(
        w.get(&format!("/{}/checkpoint", origin_hash(&stranger.origin()))).0,
        404,
        "never cosigned"
    );

    // A restart keeps the state: the next request must start from 8.
    let dir = t.path().join("w");
    drop(w);
    let w = serve(&dir);
    assert_eq!(w.post(log.request(0, 13)).2, "8\n");
    assert_eq!(w.post(log.request(8, 13)).0, 200);
}

/// litewitness's race: request A is checked against size 8, then stalls
/// before its commit; B (also from 8) commits 12; A must not roll the
/// state back to 10 — it gets 409 with 12.
#[test]
fn a_request_stalled_between_check_and_commit_cannot_roll_back() {
    let mut log = FakeLog::new("ggzy.example.gov.cn/tenderlog", 1);
    let (t, _) = witness_dir(&[&log]);
    let w = serve(&t.path().join("w"));
    assert_eq!(w.post(log.request(0, 8)).0, 200);

    let (entered_tx, entered_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let gate = Arc::new(Mutex::new(Some((entered_tx, release_rx))));
    // Only the first request through the hook stalls.
    w.running.witness.pause_before_commit(Some(Arc::new(move || {
        let first = gate.lock().unwrap().take();
        if let Some((entered, release)) = first {
            entered.send(()).unwrap();
            release.recv().unwrap();
        }
    })));
    let a_body = log.request(8, 10);
    let b_body = log.request(8, 12);
    let (url, http) = (w.url.clone(), w.http.clone());
    let a = w.rt.spawn(async move {
        let r = http.post(format!("{url}/add-checkpoint")).body(a_body).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    });
    entered_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(w.post(b_body).0, 200, "B commits while A stalls");
    release_tx.send(()).unwrap();
    let (status, body) = w.rt.block_on(a).unwrap();
    assert_eq!((status, body.as_str()), (409, "12\n"), "A is refused, not committed");
    let (_, s) = w.get("/status");
    let s: serde_json::Value = serde_json::from_str(&s).unwrap();
    assert_eq!(s["logs"][&log.origin()]["latest"]["size"], 12);
}

/// The real witness process, killed with SIGKILL at random moments while a
/// log submits growing checkpoints: after each restart the size it holds is
/// at least every size it answered 200 for, and it refuses a second root
/// for any size it cosigned.
#[test]
fn a_witness_killed_at_random_moments_never_goes_back_or_cosigns_two_roots() {
    let rounds: u64 = std::env::var("TENDERLOG_WITNESS_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let mut log = FakeLog::new("ggzy.example.gov.cn/tenderlog", 1);
    let (t, _) = witness_dir(&[&log]);
    let dir = t.path().join("w");
    let seed = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_nanos() as u64;
    eprintln!("witness crash test seed {seed}");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let mut acked = 0u64; // the largest size answered 200
    for round in 0..rounds {
        let (mut child, url) = witness_process(&dir);
        let post = |body: Vec<u8>| {
            rt.block_on(async {
                let r = http.post(format!("{url}/add-checkpoint")).body(body).send().await?;
                let status = r.status().as_u16();
                Ok::<_, reqwest::Error>((status, r.text().await?))
            })
        };
        // What it holds is never below what it acknowledged.
        let (status, body) = post(log.request(0, acked + 1)).unwrap();
        let held: u64 = if acked == 0 && status == 200 {
            1
        } else {
            assert_eq!(status, 409, "round {round}: {body}");
            verifier::witness_request::parse_size(body.as_bytes()).unwrap()
        };
        assert!(held >= acked, "round {round}: the witness went back from {acked} to {held}");
        acked = held;
        // A second root for the size it holds is refused.
        let lie = AddCheckpoint {
            old: acked,
            proof: vec![],
            checkpoint: log.note(acked, &leaf_hash(&round.to_be_bytes())).into(),
        };
        assert_eq!(post(lie.to_bytes()).unwrap().0, 422, "round {round}");
        // Load, and SIGKILL from another thread at a random moment.
        let pid = child.id().to_string();
        let after = Duration::from_millis(100 + (seed.rotate_left(round as u32 * 9) % 500));
        let killer = std::thread::spawn(move || {
            std::thread::sleep(after);
            std::process::Command::new("kill").args(["-KILL", &pid]).status().unwrap();
        });
        let mut size = acked;
        loop {
            let next = size + 1 + (seed.rotate_left(size as u32) % 7);
            match post(log.request(size, next)) {
                Ok((200, _)) => {
                    size = next;
                    acked = next;
                }
                Ok((status, body)) => panic!("round {round}: {status} {body}"),
                Err(_) => break,
            }
        }
        killer.join().unwrap();
        child.wait().unwrap();
    }
    assert!(acked > 0);
}

/// Posts documents `from..from + n` of tender T-W; each must be taken.
fn post_docs(url: &str, token: &str, from: u64, n: u64) {
    for i in from..from + n {
        let (status, body) = common::frontends::post_doc(url, token, i, "T-W");
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    }
}

/// A log with two witnesses (the supervising department and an auditor),
/// both required: every receipt comes at once; the cosigned checkpoint
/// follows, `/checkpoint` serves it, the tender's bundle is proved against
/// it and the offline verifier finds the quorum met with the policy given —
/// and not met with a policy that asks for a witness that never cosigned.
/// After a restart the log sends each witness its size at once (no 409).
#[test]
fn a_log_with_two_witnesses_gets_its_checkpoints_cosigned_and_bundles_show_the_quorum() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("log");
    let log_vkey = common::init(&data, "ggzy.example.gov.cn/tenderlog");
    let (fgw_dir, audit_dir) = (t.path().join("fgw"), t.path().join("audit"));
    let fgw_key = make_witness(&fgw_dir, "witness.fgw.example.gov.cn", &log_vkey);
    let audit_key = make_witness(&audit_dir, "witness.audit.example.gov.cn", &log_vkey);
    let (mut fgw, fgw_url) = witness_process(&fgw_dir);
    let (mut audit, audit_url) = witness_process(&audit_dir);
    let policy = t.path().join("policy.txt");
    std::fs::write(
        &policy,
        format!(
            "log {log_vkey}\nwitness fgw {fgw_key} {fgw_url}\nwitness audit {audit_key} {audit_url}\n\
             group both all fgw audit\nquorum both\n"
        ),
    )
    .unwrap();
    let d = data.to_str().unwrap();
    let o = common::run(&["token", "create", "--data", d, "--name", "agency-01"], "");
    let token = common::out(&o).trim().to_owned();
    let serve_log = || {
        common::serve(d, &["--witness-policy", policy.to_str().unwrap(), "--heartbeat-secs", "1"])
    };
    let (mut server, url) = serve_log();
    post_docs(&url, &token, 0, 6);
    let v = wait_cosigned(&url, 6);
    assert_eq!(v["quorum"], "both");
    assert_eq!(v["witnesses"]["fgw"]["size"], 6, "{v}");

    // /checkpoint is the cosigned one: both witnesses verify on it.
    let note = reqwest::blocking::get(format!("{url}/checkpoint")).unwrap().text().unwrap();
    let parsed = Note::parse(note.as_bytes()).unwrap();
    for k in [&fgw_key, &audit_key] {
        assert!(CosignerKey::parse(k).unwrap().verify(&parsed).is_ok());
    }
    // The bundle is proved against it; the quorum is met with the policy.
    let zip =
        reqwest::blocking::get(format!("{url}/v1/bundles?tender=T-W")).unwrap().bytes().unwrap();
    let bundle = verifier::bundle::Bundle::from_zip(&zip).unwrap();
    let p =
        verifier::witness_policy::WitnessPolicy::parse(&std::fs::read_to_string(&policy).unwrap())
            .unwrap();
    let with = |p: Option<&verifier::witness_policy::WitnessPolicy>| {
        let options = verifier::report::Options { witness_policy: p, ..Default::default() };
        verifier::report::verify_bundle_with(&bundle, &options)
    };
    let quorum = |r: &verifier::report::Report| {
        r.checks
            .iter()
            .find(|c| c.check == verifier::check::CheckName::WitnessQuorum)
            .unwrap()
            .clone()
    };
    let r = with(Some(&p));
    assert!(r.verified, "{}", r.to_text());
    let q = quorum(&r);
    assert_eq!(q.status, verifier::report::Status::Pass, "{q:?}");
    assert!(q.detail.contains("fgw (ML-DSA-44)") && q.detail.contains("met"), "{q:?}");
    // The bundle proposes the server's policy (both of the two keys): a
    // verifier given none judges the quorum by it, and says so.
    assert_eq!(bundle.manifest.trust.witness_keys, [fgw_key.clone(), audit_key.clone()]);
    assert_eq!(bundle.manifest.trust.witness_quorum, 2);
    let r = with(None);
    assert!(r.verified, "{}", r.to_text());
    assert_eq!(quorum(&r).status, verifier::report::Status::Pass, "{:?}", quorum(&r));
    assert!(r.trust_anchors.iter().any(|a| a.contains("proposed by the bundle: 2 of 2")));
    // Without a proposal (tenderlog bundle without --witness-policy): not
    // judged, and said so.
    let mut unproposed = bundle.clone();
    unproposed.manifest.trust.witness_keys.clear();
    unproposed.manifest.trust.witness_quorum = 0;
    let r = verifier::report::verify_bundle_with(&unproposed, &Default::default());
    assert_eq!(quorum(&r).status, verifier::report::Status::NotApplicable);
    // A policy asking for a third witness that never cosigned: not met.
    let third = CosignerKey::parse(&make_witness(&t.path().join("third"), "w3.example", &log_vkey))
        .unwrap();
    let strict = verifier::witness_policy::WitnessPolicy::parse(&format!(
        "witness fgw {fgw_key}\nwitness w3 {}\ngroup g all fgw w3\nquorum g\n",
        third.vkey()
    ))
    .unwrap();
    let r = with(Some(&strict));
    assert!(!r.verified);
    assert_eq!(quorum(&r).status, verifier::report::Status::Fail);

    // A restart: the sizes were kept, so no witness answers 409.
    server.kill().unwrap();
    server.wait().unwrap();
    let (mut server, url) = serve_log();
    post_docs(&url, &token, 100, 3);
    wait_cosigned(&url, 9);
    for w in [&fgw_url, &audit_url] {
        let m = reqwest::blocking::get(format!("{w}/metrics")).unwrap().text().unwrap();
        assert!(m.contains("tenderlog_witness_refused_409_total 0"), "{m}");
    }

    // Every cosigned checkpoint is kept, not only the newest: entry 0's
    // first one is from before the restart, and both witnesses are on it.
    let store = ledger::Store::open(&data).unwrap();
    let first = store.first_cosigned_from(1).unwrap().unwrap();
    assert!(first.size <= 6, "the first cosigned checkpoint covering entry 0 is {}", first.size);
    let parsed = Note::parse(first.note.as_bytes()).unwrap();
    for k in [&fgw_key, &audit_key] {
        assert!(CosignerKey::parse(k).unwrap().verify(&parsed).is_ok());
    }
    assert_eq!(store.newest_cosigned().unwrap().unwrap().size, 9);
    let after = store.first_cosigned_from(7).unwrap().unwrap().size;
    assert!((7..=9).contains(&after), "the first covering entry 6 is {after}");
    assert_eq!(store.first_cosigned_from(10).unwrap(), None);
    // The entry's page names it, judged by the server's policy.
    let page = reqwest::blocking::get(format!("{url}/entries/0")).unwrap().text().unwrap();
    let shown = format!(
        "树大小 size {} · 见证 cosigned by audit, fgw · 法定人数已满足 quorum met",
        first.size
    );
    assert!(page.contains(&shown), "{page}");
    // A backup keeps them.
    let copy = t.path().join("backup");
    let o = common::run(&["backup", "--data", d, "--to", copy.to_str().unwrap()], "");
    assert!(o.status.success(), "{}", common::err(&o));
    assert_eq!(ledger::Store::open(&copy).unwrap().first_cosigned_from(1).unwrap(), Some(first));
    for c in [&mut server, &mut fgw, &mut audit] {
        c.kill().unwrap();
        c.wait().unwrap();
    }
}

/// A split view, end to end: a copy of the log (same key) takes other
/// entries; the witness that cosigned the original refuses the copy's
/// checkpoint, keeps the pair as evidence, and the copy's server raises an
/// alarm and stops asking.
#[test]
fn a_forked_log_is_caught_by_its_witness() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("log");
    let log_vkey = common::init(&data, "ggzy.example.gov.cn/tenderlog");
    let d = data.to_str().unwrap();
    let o = common::run(&["token", "create", "--data", d, "--name", "agency-01"], "");
    let token = common::out(&o).trim().to_owned();
    let wdir = t.path().join("fgw");
    let key = make_witness(&wdir, "witness.fgw.example.gov.cn", &log_vkey);
    let (mut witness, wurl) = witness_process(&wdir);
    let policy = t.path().join("policy.txt");
    std::fs::write(&policy, format!("witness fgw {key} {wurl}\nquorum fgw\n")).unwrap();
    // The fork: a byte copy of the data directory, before either grows.
    let fork = t.path().join("fork");
    std::fs::create_dir(&fork).unwrap();
    for e in std::fs::read_dir(&data).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), fork.join(e.file_name())).unwrap();
        }
    }
    let args = ["--witness-policy", policy.to_str().unwrap(), "--heartbeat-secs", "1"];
    let (mut honest, url) = common::serve(d, &args);
    post_docs(&url, &token, 0, 4);
    wait_cosigned(&url, 4);
    honest.kill().unwrap();
    honest.wait().unwrap();
    // The fork grows to the same size without its witness, then asks.
    let (mut quiet, qurl) = common::serve(fork.to_str().unwrap(), &[]);
    post_docs(&qurl, &token, 50, 4);
    quiet.kill().unwrap();
    quiet.wait().unwrap();
    let (mut forked, furl) = common::serve(fork.to_str().unwrap(), &args);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let v = loop {
        let v: serde_json::Value =
            reqwest::blocking::get(format!("{furl}/v1/witnesses")).unwrap().json().unwrap();
        if v["witnesses"]["fgw"]["alarm"].is_string() {
            break v;
        }
        assert!(std::time::Instant::now() < deadline, "no alarm: {v}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(v["cosigned"].is_null(), "the fork is never cosigned: {v}");
    let m = reqwest::blocking::get(format!("{furl}/metrics")).unwrap().text().unwrap();
    assert!(m.contains("tenderlog_witness_alarms_total 1"), "{m}");
    let s: serde_json::Value =
        reqwest::blocking::get(format!("{wurl}/status")).unwrap().json().unwrap();
    let ev = &s["split_view_evidence"][0];
    assert_eq!(ev["reason"], "same_size_different_root", "{s}");
    for c in [&mut forked, &mut witness] {
        c.kill().unwrap();
        c.wait().unwrap();
    }
}
