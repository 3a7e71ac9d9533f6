//! Evidence bundles from a real end-to-end run: a tender played through the
//! HTTP API, its bundle fetched over HTTP (byte-identical to the one the
//! store exports for `tenderlog bundle`), verified offline, with and without
//! the documents on disk, and rejected when evidence is removed or the key is
//! wrong.
#![allow(clippy::unwrap_used)]

mod common;

use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use verifier::Hash;
use verifier::bundle::{Bundle, Selection};
use verifier::note::NoteVerifier;
use verifier::report::{GivenDocument, Status, verify_bundle};

const STEPS: &[(&str, &str)] = &[
    ("tender_notice", "招标公告"),
    ("tender_documents", "招标文件"),
    ("tender_documents_clarification", "澄清 1"),
    ("bid", "bid A"),
    ("bid", "bid B"),
    ("bid", "bid C"),
    ("opening_record", "开标记录"),
    ("evaluation_report", "评标报告"),
    ("award_notice", "中标通知书"),
];

fn failed(report: &verifier::report::Report) -> Vec<&'static str> {
    report.checks.iter().filter(|c| c.status == Status::Fail).map(|c| c.check.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tender_bundle_from_a_real_run_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let key =
        ledger::init(dir.path(), "bundle.tenderlog.example/log", &ledger::SystemClock).unwrap();
    let token = api::tokens::create(dir.path(), "agency-01", api::tokens::Role::Submitter).unwrap();
    let (running, base, stop) = common::start(api::ServerConfig::new(dir.path().to_owned())).await;
    let http = reqwest::Client::new();

    // The tender, interleaved with another tender's events, so its chain
    // skips over entries that are not in its bundle.
    let mut docs = Vec::new();
    for (i, (kind, title)) in STEPS.iter().enumerate() {
        for (tender, text) in
            [("ZB2026-007", format!("{title} of ZB2026-007")), ("OTHER", format!("other {i}"))]
        {
            let digest = Hash(Sha256::digest(text.as_bytes()).into());
            if tender == "ZB2026-007" {
                docs.push((text.clone(), digest));
            }
            let body = serde_json::json!({
                "kind": "document", "tender": tender,
                "body": {"document_type": kind, "sha256": digest, "size": text.len(), "media_type": "application/pdf", "title": title},
            });
            let r = http
                .post(format!("{base}/v1/events"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
        }
    }

    // Once the stamper has the newest checkpoint's token, both exports carry it.
    let cp = http.get(format!("{base}/v1/checkpoint")).send().await.unwrap().text().await.unwrap();
    let size = cp.lines().nth(1).unwrap().to_owned();
    let mut stamped = false;
    for _ in 0..200 {
        let url = format!("{base}/v1/checkpoint/timestamp?size={size}");
        if http.get(url).send().await.unwrap().status() == StatusCode::OK {
            stamped = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(stamped, "checkpoint {size} was not stamped");
    let r = http.get(format!("{base}/v1/bundles?tender=ZB2026-007")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/zip");
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"ZB2026-007.bundle.zip\"; filename*=UTF-8''ZB2026-007.bundle.zip"
    );
    let over_http = r.bytes().await.unwrap().to_vec();
    let r = http.get(format!("{base}/v1/bundles?tender=NOPE")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = http.get(format!("{base}/v1/bundles?tender=A&document=00")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let _ = stop.send(());
    running.task.await.unwrap().unwrap();

    // The same bytes as the CLI's export.
    let store = ledger::Store::open(dir.path()).unwrap();
    let signer = ledger::keys::load(&dir.path().join("log.key"), store.origin()).unwrap();
    let exported = store
        .export_bundle(
            &Selection::Tender("ZB2026-007".into()),
            Some(&signer),
            &ledger::trust::bundle_roots(dir.path()).unwrap(),
        )
        .unwrap()
        .to_zip()
        .unwrap();
    assert_eq!(exported, over_http, "HTTP and CLI bundles differ");

    let bundle = Bundle::from_zip(&over_http).unwrap();
    assert_eq!(bundle.manifest.entries.len(), STEPS.len());
    assert!(bundle.manifest.checkpoint_timestamp.is_some());
    let trusted = [NoteVerifier::parse(&key.vkey()).unwrap()];
    let report = verify_bundle(&bundle, Some(&trusted), &[]);
    assert!(report.verified, "{}", report.to_text());
    let chain =
        report.checks.iter().find(|c| c.check.as_str() == "per-tender chain completeness").unwrap();
    assert_eq!(chain.status, Status::Pass);
    assert!(
        report.checks.iter().any(|c| c.check.as_str() == "consistency to the newest checkpoint"
            && c.status == Status::Pass)
    );

    // With the documents on disk: each is found, with the event that logged it.
    let given: Vec<GivenDocument> = docs
        .iter()
        .map(|(text, d)| GivenDocument { name: text.clone(), sha256: *d, sm3: None, ofd: None })
        .collect();
    let report = verify_bundle(&bundle, Some(&trusted), &given);
    assert!(report.verified, "{}", report.to_text());
    assert_eq!(report.documents.len(), STEPS.len());
    let not_logged =
        GivenDocument { name: "forged.pdf".into(), sha256: Hash([9; 32]), sm3: None, ofd: None };
    let report = verify_bundle(&bundle, Some(&trusted), &[not_logged]);
    assert_eq!(failed(&report), vec!["document digest"]);

    // Another key: nothing verifies.
    let other = ledger::init(
        &dir.path().join("other"),
        "bundle.tenderlog.example/log",
        &ledger::SystemClock,
    )
    .unwrap();
    let report = verify_bundle(&bundle, Some(&[other]), &[]);
    assert!(!report.verified);
    assert!(failed(&report).contains(&"checkpoint signature"), "{}", report.to_text());

    // Removing any event of the tender is caught by the completeness check.
    // The latest one included: the log's signed tender head names it.
    for drop in 0..bundle.manifest.entries.len() {
        let mut b = bundle.clone();
        let gone = b.manifest.entries.remove(drop);
        b.members.remove(&gone.leaf);
        b.members.remove(&gone.proof);
        // Keep the member set consistent so only the evidence is missing.
        let sizes: Vec<u64> = b
            .manifest
            .entries
            .iter()
            .map(|e| {
                let p = verifier::tlog_proof::TlogProof::parse(&b.members[&e.proof]).unwrap();
                let note = verifier::note::Note::parse(p.checkpoint.as_bytes()).unwrap();
                verifier::checkpoint::Checkpoint::parse_text(&note.text).unwrap().size
            })
            .collect();
        b.manifest.consistency.retain(|c| sizes.contains(&c.from));
        let used: std::collections::BTreeSet<String> =
            b.manifest.member_names().into_iter().map(str::to_owned).collect();
        b.members.retain(|k, _| used.contains(k));
        let zip = b.to_zip().unwrap();
        let report = verify_bundle(&Bundle::from_zip(&zip).unwrap(), Some(&trusted), &[]);
        assert!(!report.verified, "dropping entry {} went unnoticed", gone.index);
        assert!(
            failed(&report).contains(&"per-tender chain completeness"),
            "dropping entry {}: {:?}",
            gone.index,
            failed(&report)
        );
    }
}
