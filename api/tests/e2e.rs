//! The HTTP API end to end, against a real server on 127.0.0.1: receipts
//! verified offline with the pure verifier, proofs for past sizes,
//! consistency between checkpoints, concurrency, and every route's bad input.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use reqwest::StatusCode;
use serde_json::Value;
use verifier::checkpoint::SignedCheckpoint;
use verifier::event::Event;
use verifier::merkle::{verify_consistency, verify_inclusion};
use verifier::note::NoteVerifier;
use verifier::tlog_proof::TlogProof;
use verifier::{Hash, leaf_hash};

struct Server {
    base: String,
    dir: tempfile::TempDir,
    key: NoteVerifier,
    submitter: String,
    admin: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), api::ServeError>>>,
    http: reqwest::Client,
}

async fn start() -> Server {
    start_with(|_| {}).await
}

async fn start_with(tune: impl FnOnce(&mut api::ServerConfig)) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let key = ledger::init(dir.path(), "e2e.tenderlog.example/log", &ledger::SystemClock).unwrap();
    let submitter =
        api::tokens::create(dir.path(), "agency-01", api::tokens::Role::Submitter).unwrap();
    let admin = api::tokens::create(dir.path(), "operator", api::tokens::Role::Admin).unwrap();
    let mut config = api::ServerConfig::new(dir.path().to_owned());
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.body_bytes = 8 * 1024;
    tune(&mut config);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let running = api::start(config, async move {
        let _ = rx.await;
    })
    .await
    .unwrap();
    Server {
        base: format!("http://{}", running.addr),
        dir,
        key,
        submitter,
        admin,
        stop: Some(tx),
        task: Some(running.task),
        http: reqwest::Client::new(),
    }
}

impl Server {
    async fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }

    async fn post(&self, token: Option<&str>, body: &str) -> (StatusCode, Value) {
        let mut req = self
            .http
            .post(format!("{}/v1/events", self.base))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let r = self.http.get(format!("{}{path}", self.base)).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    }

    async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        let (s, t) = self.get(path).await;
        (s, serde_json::from_str(&t).unwrap_or(Value::Null))
    }
}

fn doc(i: u64, tender: &str) -> String {
    format!(
        r#"{{"kind":"document","tender":"{tender}","body":{{"document_type":"bid","sha256":"{:064x}","size":{},"media_type":"application/pdf"}}}}"#,
        i + 1,
        100 + i
    )
}

fn hashes(v: &Value) -> Vec<Hash> {
    v.as_array().unwrap().iter().map(|h| Hash::from_hex(h.as_str().unwrap()).unwrap()).collect()
}

/// Everything a bidder can check offline from its receipt alone.
fn check_receipt(key: &NoteVerifier, r: &Value) -> (u64, Hash, SignedCheckpoint) {
    let index = r["index"].as_u64().unwrap();
    let leaf = B64.decode(r["leaf"].as_str().unwrap()).unwrap();
    let lh = leaf_hash(&leaf);
    assert_eq!(lh.to_hex(), r["leaf_hash"].as_str().unwrap());
    Event::decode(&leaf).unwrap();
    let cp = SignedCheckpoint::verify(r["checkpoint"].as_str().unwrap().as_bytes(), key).unwrap();
    verify_inclusion(
        index,
        cp.checkpoint.size,
        &lh,
        &hashes(&r["inclusion_proof"]),
        &cp.checkpoint.root,
    )
    .unwrap();
    let tp = TlogProof::parse(r["tlog_proof"].as_str().unwrap().as_bytes()).unwrap();
    assert_eq!(tp.index, index);
    assert_eq!(tp.verify(&lh, key).unwrap(), cp.checkpoint);
    (index, lh, cp)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_proofs_and_consistency() {
    let mut s = start().await;
    let mut receipts = Vec::new();
    for i in 0..12 {
        let (status, r) = s.post(Some(&s.submitter), &doc(i, &format!("T-{}", i % 2))).await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
        receipts.push(check_receipt(&s.key, &r));
    }
    // The leaf records the token's name as principal.
    let (_, e) = s.get_json("/v1/entries/3").await;
    assert_eq!(e["event"]["principal"], "agency-01");
    assert_eq!(e["leaf_hash"].as_str().unwrap(), receipts[3].1.to_hex());

    // Idempotent: same index, fresh proof against the latest checkpoint, 200.
    let (status, r) = s.post(Some(&s.submitter), &doc(4, "T-0")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["duplicate"], true);
    let (index, _, cp) = check_receipt(&s.key, &r);
    assert_eq!(index, 4);
    assert_eq!(cp.checkpoint.size, 12);

    // The checkpoint is served byte-exact on both paths.
    let (_, note) = s.get("/v1/checkpoint").await;
    let (_, note2) = s.get("/checkpoint").await;
    assert_eq!(note, note2);
    let latest = SignedCheckpoint::verify(note.as_bytes(), &s.key).unwrap();
    assert_eq!(latest.checkpoint.size, 12);

    // Every receipt's checkpoint is consistent with every later one.
    for (_, _, a) in &receipts {
        for (_, _, b) in &receipts {
            let (s1, s2) = (a.checkpoint.size, b.checkpoint.size);
            if s1 > s2 {
                continue;
            }
            let (st, c) = s.get_json(&format!("/v1/proof/consistency?from={s1}&to={s2}")).await;
            assert_eq!(st, StatusCode::OK);
            verify_consistency(
                s1,
                s2,
                &hashes(&c["proof"]),
                &a.checkpoint.root,
                &b.checkpoint.root,
            )
            .unwrap();
        }
    }
    // Inclusion proofs for past sizes, by index and by leaf hash.
    for (index, lh, _) in &receipts {
        for size in (index + 1)..=12 {
            let (st, p) =
                s.get_json(&format!("/v1/proof/inclusion?index={index}&size={size}")).await;
            assert_eq!(st, StatusCode::OK);
            let root = Hash::from_hex(p["root"].as_str().unwrap()).unwrap();
            verify_inclusion(*index, size, lh, &hashes(&p["proof"]), &root).unwrap();
        }
        let (st, p) = s.get_json(&format!("/v1/proof/inclusion?leaf_hash={lh}")).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(p["index"].as_u64().unwrap(), *index);
    }
    // Timelines and document lookups.
    let (st, t) = s.get_json("/v1/tenders/T-1/events").await;
    assert_eq!(st, StatusCode::OK);
    let idx: Vec<u64> =
        t["events"].as_array().unwrap().iter().map(|e| e["index"].as_u64().unwrap()).collect();
    assert_eq!(idx, vec![1, 3, 5, 7, 9, 11]);
    assert!(t["next"].is_null(), "{t}");
    // A page at a time: following `next` gives every event once, in order.
    let mut paged = Vec::new();
    let mut after: Option<u64> = None;
    loop {
        let q = after.map_or(String::new(), |a| format!("&after={a}"));
        let (st, t) = s.get_json(&format!("/v1/tenders/T-1/events?limit=4{q}")).await;
        assert_eq!(st, StatusCode::OK, "{t}");
        let page = t["events"].as_array().unwrap();
        assert!(!page.is_empty() && page.len() <= 4, "{t}");
        paged.extend(page.iter().map(|e| e["index"].as_u64().unwrap()));
        match t["next"].as_u64() {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(paged, idx);
    for bad in ["limit=0", "limit=1001", "after=x"] {
        let (st, b) = s.get_json(&format!("/v1/tenders/T-1/events?{bad}")).await;
        assert_eq!((st.as_u16(), b["code"].as_str()), (400, Some("bad_parameter")), "{bad}");
    }
    let (st, d) = s.get_json(&format!("/v1/documents/{:064x}", 8)).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(d["events"][0]["index"], 7);

    // Operations.
    let (st, h) = s.get_json("/healthz").await;
    assert_eq!(st, StatusCode::OK, "{h}");
    let (st, m) = s.get("/metrics").await;
    assert_eq!(st, StatusCode::OK);
    assert!(m.contains("tenderlog_appends_total 12"), "{m}");
    let (st, o) = s.get_json("/v1/openapi.json").await;
    assert_eq!(st, StatusCode::OK);
    assert!(o["paths"]["/v1/events"]["post"].is_object());
    assert!(o["paths"]["/tile/{path}"]["get"].is_object());
    // Every answer has a schema; a receipt's names exactly what the server sends.
    for (path, methods) in o["paths"].as_object().unwrap() {
        for (method, op) in methods.as_object().unwrap() {
            for (status, resp) in op["responses"].as_object().unwrap() {
                for (media, content) in resp["content"].as_object().unwrap() {
                    assert!(
                        content["schema"].as_object().is_some_and(|s| !s.is_empty()),
                        "{method} {path} {status} {media} has no schema"
                    );
                }
            }
        }
    }
    let created = &o["paths"]["/v1/events"]["post"]["responses"]["201"]["content"];
    assert_eq!(created["application/json"]["schema"]["$ref"], "#/components/schemas/Receipt");
    let schema = &o["components"]["schemas"]["Receipt"];
    let (_, sample) = s.post(Some(&s.submitter), &doc(0, "T-0")).await;
    for field in schema["required"].as_array().unwrap() {
        assert!(sample.get(field.as_str().unwrap()).is_some(), "{field} missing: {sample}");
    }
    for field in sample.as_object().unwrap().keys() {
        assert!(schema["properties"].get(field).is_some(), "{field} not in the schema");
    }

    s.stop().await;
    let report = ledger::audit(s.dir.path(), &mut |_, _| {}).unwrap();
    assert_eq!(report.entries, 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_get_documented_codes() {
    let mut s = start().await;
    let (st, _) = s.post(Some(&s.submitter), &doc(1, "T")).await;
    assert_eq!(st, StatusCode::CREATED);
    let before = s.get("/v1/checkpoint").await.1;

    let get_cases: &[(&str, u16, &str)] = &[
        ("/v1/proof/inclusion?index=5", 404, "no_such_entry"),
        ("/v1/proof/inclusion?index=0&size=9", 400, "size_beyond_tree"),
        ("/v1/proof/inclusion?index=-1", 400, "bad_parameter"),
        ("/v1/proof/inclusion?index=01", 400, "bad_parameter"),
        ("/v1/proof/inclusion?index=x", 400, "bad_parameter"),
        ("/v1/proof/inclusion", 400, "bad_parameter"),
        ("/v1/proof/inclusion?index=0&leaf_hash=00", 400, "bad_hash"),
        ("/v1/proof/inclusion?leaf_hash=zz", 400, "bad_hash"),
        (
            "/v1/proof/inclusion?leaf_hash=ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB",
            400,
            "bad_hash",
        ),
        (
            "/v1/proof/inclusion?leaf_hash=0000000000000000000000000000000000000000000000000000000000000000",
            404,
            "no_such_entry",
        ),
        ("/v1/proof/consistency?from=1&to=0", 400, "sizes_out_of_order"),
        ("/v1/proof/consistency?from=0&to=2", 400, "size_beyond_tree"),
        ("/v1/proof/consistency", 400, "bad_parameter"),
        ("/v1/proof/consistency?from=0&to=0&to=0", 400, "bad_parameter"),
        ("/v1/proof/inclusion?index=%FF", 400, "bad_parameter"),
        ("/v1/entries/1", 404, "no_such_entry"),
        ("/v1/entries/abc", 400, "bad_parameter"),
        ("/v1/entries/18446744073709551616", 400, "bad_parameter"),
        ("/v1/tenders/nope/events", 404, "not_found"),
        ("/v1/documents/xyz", 400, "bad_hash"),
        (
            "/v1/documents/0000000000000000000000000000000000000000000000000000000000000000",
            404,
            "not_found",
        ),
        ("/v1/nothing", 404, "not_found"),
        ("/tile/0/x00", 404, "not_found"),
        ("/tile/0/001", 404, "not_found"),
        ("/tile/entries/000.p/2", 404, "not_found"),
    ];
    for (path, status, code) in get_cases {
        let (st, body) = s.get_json(path).await;
        assert_eq!(st.as_u16(), *status, "{path}: {body}");
        assert_eq!(body["code"], *code, "{path}: {body}");
        assert_eq!(body["status"], *status);
    }

    // Wrong methods.
    for (method, path) in [
        ("DELETE", "/v1/checkpoint"),
        ("PUT", "/v1/events"),
        ("GET", "/v1/events"),
        ("POST", "/v1/proof/inclusion"),
    ] {
        let r = s
            .http
            .request(method.parse().unwrap(), format!("{}{path}", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 405, "{method} {path}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "method_not_allowed");
    }

    // Writes: no token, bad token, revoked, wrong role cannot happen for admin (superset).
    let sub = s.submitter.clone();
    let post_cases: Vec<(Option<&str>, String, u16, &str)> = vec![
        (None, doc(2, "T"), 401, "unauthorized"),
        (Some("tlk_000000000000_nope"), doc(2, "T"), 401, "unauthorized"),
        (Some("garbage"), doc(2, "T"), 401, "unauthorized"),
        (Some(&sub), "{".into(), 400, "invalid_json"),
        (Some(&sub), r#"{"kind":"nope","tender":"T","body":{}}"#.into(), 422, "invalid_submission"),
        (
            Some(&sub),
            r#"{"kind":"document","tender":"T","principal":"someone-else","body":{}}"#.into(),
            403,
            "forbidden",
        ),
        (
            Some(&sub),
            format!(r#"{{"kind":"document","tender":"{}","body":{{}}}}"#, "x".repeat(20_000)),
            413,
            "body_too_large",
        ),
    ];
    for (token, body, status, code) in post_cases {
        let (st, b) = s.post(token, &body).await;
        assert_eq!(st.as_u16(), status, "{code}: {b}");
        assert_eq!(b["code"], code, "{b}");
    }
    // Admin routes: a submitter's token has the wrong role.
    let r =
        s.http.get(format!("{}/v1/tokens", s.base)).bearer_auth(&s.submitter).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "forbidden");
    let r = s
        .http
        .post(format!("{}/v1/tokens", s.base))
        .bearer_auth(&s.submitter)
        .body(r#"{"name":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let r = s.http.get(format!("{}/v1/tokens", s.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = s
        .http
        .post(format!("{}/v1/tokens", s.base))
        .bearer_auth(&s.admin)
        .body(r#"{"name":"agency-02","role":"root"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    // The admin makes a token over HTTP, and it works at once.
    let r = s
        .http
        .post(format!("{}/v1/tokens", s.base))
        .bearer_auth(&s.admin)
        .body(r#"{"name":"agency-02"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let made: Value = r.json().await.unwrap();
    let t2 = made["token"].as_str().unwrap().to_owned();
    let r = s.http.get(format!("{}/v1/tokens", s.base)).bearer_auth(&s.admin).send().await.unwrap();
    let listed: Value = r.json().await.unwrap();
    assert_eq!(listed["tokens"].as_array().unwrap().len(), 3);
    // The secret is everything after `tlk_<id>_` (base64url: it may hold `_`).
    let secret = t2.splitn(3, '_').nth(2).unwrap();
    assert!(!listed.to_string().contains(secret), "a secret was listed");
    // One name, one principal: again is 409 unless reissued; a look-alike
    // (Cyrillic а) is 409 always.
    for (body, status) in [
        (r#"{"name":"agency-02"}"#, 409),
        ("{\"name\":\"\u{0430}gency-02\",\"reissue\":true}", 409),
        (r#"{"name":"agency-02","reissue":true}"#, 201),
    ] {
        let r = s
            .http
            .post(format!("{}/v1/tokens", s.base))
            .bearer_auth(&s.admin)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{body}");
        if status == 409 {
            assert_eq!(r.json::<Value>().await.unwrap()["code"], "name_taken", "{body}");
        }
    }

    // Oversized request heads get problem+json too, not hyper's bare status.
    let long = format!("{}/v1/proof/inclusion?index=0&pad={}", s.base, "x".repeat(9 * 1024));
    let many = (0..70).fold(s.http.get(format!("{}/v1/checkpoint", s.base)), |r, i| {
        r.header(format!("x-pad-{i}"), "1")
    });
    let big = s.http.get(format!("{}/v1/checkpoint", s.base)).header("x-pad", "y".repeat(40_000));
    for (req, status, code) in [
        (s.http.get(long), 414, "uri_too_long"),
        (many, 431, "headers_too_large"),
        (big, 431, "headers_too_large"),
    ] {
        let r = req.send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{code}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], code);
    }

    // Media types compare case-insensitively.
    let r = s
        .http
        .post(format!("{}/v1/events", s.base))
        .bearer_auth(&s.submitter)
        .header("content-type", "Application/JSON; charset=utf-8")
        .body(doc(40, "T"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201, "{:?}", r.text().await);

    // Not JSON.
    let r = s
        .http
        .post(format!("{}/v1/events", s.base))
        .bearer_auth(&s.submitter)
        .header("content-type", "text/plain")
        .body(doc(3, "T"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);

    // A revoked token stops working (within the cache lifetime).
    let id = s.submitter.split('_').nth(1).unwrap().to_owned();
    api::tokens::revoke(s.dir.path(), &id).unwrap();
    tokio::time::sleep(Duration::from_millis(5200)).await;
    let (st, _) = s.post(Some(&s.submitter), &doc(4, "T")).await;
    assert_eq!(st.as_u16(), 401);
    // The admin may submit too, under its own name.
    let (st, r) = s.post(Some(&s.admin.clone()), &doc(5, "T")).await;
    assert_eq!(st.as_u16(), 201, "{r}");

    // The token made over HTTP submits under its own name.
    let (st, r) = s.post(Some(&t2), &doc(6, "T")).await;
    assert_eq!(st.as_u16(), 201, "{r}");
    let (_, e) = s.get_json(&format!("/v1/entries/{}", r["index"])).await;
    assert_eq!(e["event"]["principal"], "agency-02");
    // None of the bad requests changed the log.
    let a = SignedCheckpoint::verify(before.as_bytes(), &s.key).unwrap().checkpoint;
    let after = s.get("/v1/checkpoint").await.1;
    let b = SignedCheckpoint::verify(after.as_bytes(), &s.key).unwrap().checkpoint;
    assert_eq!(
        b.size,
        a.size + 3,
        "only the three authorised submissions (one with a mixed-case media type) were appended"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_submitters() {
    let mut s = start().await;
    let (clients, per) = (64u64, 200u64);
    let s_arc = Arc::new((s.base.clone(), s.submitter.clone()));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let sa = s_arc.clone();
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut out = Vec::new();
            for i in 0..per {
                let r = http
                    .post(format!("{}/v1/events", sa.0))
                    .bearer_auth(&sa.1)
                    .header("content-type", "application/json")
                    .body(doc(c * per + i, &format!("T-{c}")))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::CREATED);
                out.push(r.json::<Value>().await.unwrap());
            }
            out
        }));
    }
    let mut receipts = Vec::new();
    for t in tasks {
        receipts.extend(t.await.unwrap());
    }
    assert_eq!(receipts.len() as u64, clients * per);
    let (_, note) = s.get("/v1/checkpoint").await;
    let last = SignedCheckpoint::verify(note.as_bytes(), &s.key).unwrap().checkpoint;
    assert_eq!(last.size, clients * per);
    let mut seen = std::collections::HashSet::new();
    let mut sizes = std::collections::BTreeMap::new();
    for r in &receipts {
        let (index, _, cp) = check_receipt(&s.key, r);
        assert!(seen.insert(index), "index {index} given twice");
        sizes.insert(cp.checkpoint.size, cp.checkpoint.root);
    }
    // Every receipt's checkpoint is consistent with the final one.
    for (size, root) in sizes {
        let (_, c) =
            s.get_json(&format!("/v1/proof/consistency?from={size}&to={}", last.size)).await;
        verify_consistency(size, last.size, &hashes(&c["proof"]), &root, &last.root).unwrap();
    }
    s.stop().await;
    let report = ledger::audit(s.dir.path(), &mut |_, _| {}).unwrap();
    assert_eq!(report.entries, clients * per);
    assert_eq!(report.tenders, clients);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_fails_when_no_checkpoint_is_fresh() {
    let mut s = start_with(|c| {
        c.appender.heartbeat = Duration::from_secs(3600);
        c.health_max_age = Duration::from_millis(800);
    })
    .await;
    let (st, h) = s.get_json("/healthz").await;
    assert_eq!(st, StatusCode::OK, "{h}");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (st, h) = s.get_json("/healthz").await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{h}");
    assert_eq!(h["ok"], false);
    // A new entry means a new checkpoint: healthy again.
    let (st, _) = s.post(Some(&s.submitter), &doc(1, "T")).await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, _) = s.get_json("/healthz").await;
    assert_eq!(st, StatusCode::OK);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_re_signs_the_same_checkpoint() {
    let mut s = start_with(|c| {
        c.appender.heartbeat = Duration::from_millis(200);
        c.health_max_age = Duration::from_millis(1000);
    })
    .await;
    let (st, _) = s.post(Some(&s.submitter), &doc(1, "T")).await;
    assert_eq!(st, StatusCode::CREATED);
    let before = s.get("/v1/checkpoint").await.1;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Idle for longer than the health age, but the heartbeat kept it fresh,
    // and the note is byte-identical: no second checkpoint for a size.
    let (st, h) = s.get_json("/healthz").await;
    assert_eq!(st, StatusCode::OK, "{h}");
    assert_eq!(s.get("/v1/checkpoint").await.1, before);
    s.stop().await;
}

/// Signed documents over HTTP: certificates registered, a rule pack published
/// by an admin (a submitter may not), a signed and stamped bid answered with a
/// receipt, and a refused one answered 422 `rejected` with the receipt of the
/// logged refusal, which verifies offline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_documents_and_logged_refusals() {
    use p256::ecdsa::signature::Signer as _;
    use sha2::Digest as _;
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()
            as u64;
    let ca =
        ledger::issue::Issued::root("CN=e2e CA,C=CN", now - 86_400_000, now + 86_400_000 * 365)
            .unwrap();
    let trader = ca
        .issue(
            "CN=bidder,serialNumber=91350100M000100Y43,O=某某建设有限公司,C=CN",
            2,
            now - 3_600_000,
            now + 86_400_000 * 30,
            ledger::issue::LeafUsage::Signing,
        )
        .unwrap();
    let ca_der = ca.der.clone();
    let mut s = start_with(move |c| {
        ledger::trust::add_ca(&c.data, &ca_der).unwrap();
    })
    .await;
    let tsa = ledger::tsa::load(s.dir.path()).unwrap();
    let cert = serde_json::json!({"kind": "certificate", "body": {
        "der": B64.encode(&trader.der), "cert_kind": "trader", "uscc": "91350100M000100Y43",
        "unit_name": "某某建设有限公司", "lifecycle": "issued", "effective_ms": now - 3_600_000}});
    // Only the registry (an admin) registers certificates.
    let (st, r) = s.post(Some(&s.submitter.clone()), &cert.to_string()).await;
    assert_eq!((st.as_u16(), r["code"].as_str()), (403, Some("forbidden")), "{r}");
    let (st, r) = s.post(Some(&s.admin.clone()), &cert.to_string()).await;
    assert_eq!(st.as_u16(), 201, "{r}");

    let pack = serde_json::json!({"kind": "policy",
        "body": serde_json::to_value(verifier::policy::RulePack::default_pack()).unwrap()});
    let (st, r) = s.post(Some(&s.submitter.clone()), &pack.to_string()).await;
    assert_eq!((st.as_u16(), r["code"].as_str()), (403, Some("forbidden")), "{r}");
    let (st, r) = s.post(Some(&s.admin.clone()), &pack.to_string()).await;
    assert_eq!(st.as_u16(), 201, "{r}");
    let pack_index = r["index"].clone();
    // So is the holiday calendar every later verdict counts days by.
    let calendar = serde_json::json!({"kind": "calendar",
        "body": verifier::calendar::HolidayCalendar::shipped()});
    let (st, r) = s.post(Some(&s.submitter.clone()), &calendar.to_string()).await;
    assert_eq!((st.as_u16(), r["code"].as_str()), (403, Some("forbidden")), "{r}");
    let (st, r) = s.post(Some(&s.admin.clone()), &calendar.to_string()).await;
    assert_eq!(st.as_u16(), 201, "{r}");

    let bid = |doc: &[u8], stamped: bool| {
        let sha: [u8; 32] = sha2::Sha256::digest(doc).into();
        let sig: p256::ecdsa::Signature = trader.key.sign(&sha);
        let mut body = serde_json::json!({
            "document_type": "bid", "sha256": Hash(sha), "size": doc.len(),
            "media_type": "application/pdf",
            "signatures": [{"format": "raw", "cert": verifier::pki::fingerprint_of(&trader.der),
                            "value": B64.encode(sig.to_der().as_bytes())}],
        });
        if stamped {
            let t = tsa.stamp(&sha, ledger::tsa::ImprintAlg::Sha256, now).unwrap();
            body["timestamps"] = serde_json::json!([B64.encode(t)]);
        }
        serde_json::json!({"kind": "document", "tender": "ZB2026-100", "body": body}).to_string()
    };
    let (st, r) = s.post(Some(&s.submitter.clone()), &bid(b"bid one", true)).await;
    assert_eq!(st.as_u16(), 201, "{r}");
    let (_, e) = s.get_json(&format!("/v1/entries/{}", r["index"])).await;
    assert_eq!(e["event"]["policy"]["index"], pack_index);

    // No token on a bid, whose rule requires one: the platform stamps it on
    // receipt (`received_timestamp`), and the same submission again is the
    // same entry.
    let (st, r) = s.post(Some(&s.submitter.clone()), &bid(b"bid two", false)).await;
    assert_eq!(st.as_u16(), 201, "{r}");
    let (_, e) = s.get_json(&format!("/v1/entries/{}", r["index"])).await;
    assert!(e["event"]["body"]["received_timestamp"].is_string(), "{e}");
    let (st, again) = s.post(Some(&s.submitter.clone()), &bid(b"bid two", false)).await;
    assert_eq!((st.as_u16(), &again["index"]), (200, &r["index"]), "{again}");
    // A submitter may not set the platform's token.
    let mut forged: serde_json::Value = serde_json::from_str(&bid(b"bid x", true)).unwrap();
    forged["body"]["received_timestamp"] = forged["body"]["timestamps"][0].clone();
    let (st, f) = s.post(Some(&s.submitter.clone()), &forged.to_string()).await;
    assert_eq!((st.as_u16(), f["code"].as_str()), (422, Some("invalid_submission")), "{f}");
    // A signature over another document: refused, and the refusal logged.
    let mut wrong: serde_json::Value = serde_json::from_str(&bid(b"bid three", true)).unwrap();
    let one: serde_json::Value = serde_json::from_str(&bid(b"bid one", true)).unwrap();
    wrong["body"]["signatures"] = one["body"]["signatures"].clone();
    let (st, r) = s.post(Some(&s.submitter.clone()), &wrong.to_string()).await;
    assert_eq!((st.as_u16(), r["code"].as_str()), (422, Some("rejected")), "{r}");
    assert_eq!(r["check"], "signature");
    let receipt = serde_json::to_vec(&r["rejection"]).unwrap();
    let report = verifier::report::verify_receipt(&receipt, &s.key, None).unwrap();
    assert!(report.verified, "{}", report.to_text());
    let (_, e) = s.get_json(&format!("/v1/entries/{}", r["rejection"]["index"])).await;
    assert_eq!(e["event"]["kind"], "submission_rejected");
    assert_eq!(e["event"]["principal"], "agency-01");
    s.stop().await;
}
