//! `tenderlog demo`: one tender through the HTTP API on the embedded default,
//! every receipt checked, the tender's evidence bundle exported and verified
//! offline — what a platform, a bidder and an arbitrator each do.

use std::path::Path;

use anyhow::Context as _;
use ledger::SystemClock;
use sha2::{Digest, Sha256};
use verifier::Hash;
use verifier::bundle::Bundle;
use verifier::note::NoteVerifier;
use verifier::report::{GivenDocument, verify_bundle, verify_receipt};

/// The origin of a log `demo` creates.
pub const DEMO_ORIGIN: &str = "demo.tenderlog.local/log";

/// The tender: (principal, document type, file name, title).
const STEPS: &[(&str, &str, &str, &str)] = &[
    ("agency-01", "tender_notice", "01-tender-notice.txt", "招标公告 tender notice"),
    ("agency-01", "tender_documents", "02-tender-documents.txt", "招标文件 tender documents"),
    (
        "agency-01",
        "tender_documents_clarification",
        "03-clarification.txt",
        "澄清 clarification no. 1",
    ),
    ("bidder-a", "bid", "04-bid-a.txt", "投标文件 bid of bidder A"),
    ("bidder-b", "bid", "05-bid-b.txt", "投标文件 bid of bidder B"),
    ("bidder-c", "bid", "06-bid-c.txt", "投标文件 bid of bidder C"),
    ("agency-01", "opening_record", "07-opening-record.txt", "开标记录 opening record"),
    ("committee", "evaluation_report", "08-evaluation-report.txt", "评标报告 evaluation report"),
    ("agency-01", "award_notice", "09-award-notice.txt", "中标通知书 award notice"),
    ("buyer-01", "contract", "10-contract.txt", "合同 contract"),
];

const TENDER: &str = "ZB2026-DEMO-001";

pub fn run(dir: &Path) -> anyhow::Result<()> {
    if !ledger::store::db_path(dir).exists() {
        let vkey = ledger::init(dir, DEMO_ORIGIN, &SystemClock)?;
        println!("created a log in {}\n  verifier key: {}", dir.display(), vkey.vkey());
    } else {
        println!("using the log in {}", dir.display());
    }
    let out = dir.join("demo");
    std::fs::create_dir_all(&out).with_context(|| format!("couldn't create {}", out.display()))?;
    let key = ledger::Store::open(dir)?.verifier().clone();

    // One token per principal, as a platform would issue them.
    let mut tokens = std::collections::BTreeMap::new();
    for (who, ..) in STEPS {
        if !tokens.contains_key(who) {
            tokens.insert(*who, api::tokens::create(dir, who, api::tokens::Role::Submitter)?);
        }
    }
    // The documents themselves stay with their owners; the log gets digests.
    let mut files = Vec::new();
    for (_, _, name, title) in STEPS {
        let path = out.join(name);
        std::fs::write(
            &path,
            format!("{TENDER}\n{title}\n(stand-in for the signed PDF/OFD file)\n"),
        )?;
        files.push(path);
    }

    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let (bundle_path, url) = rt.block_on(async {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let mut config = api::ServerConfig::new(dir.to_owned());
        config.listen = "127.0.0.1:0".parse()?;
        let running = api::start(config, async move {
            let _ = stopped.await;
        })
        .await?;
        let base = format!("http://{}", running.addr);
        println!("\nserver on {base}; playing tender {TENDER} through POST /v1/events:");
        let http = reqwest::Client::new();
        for ((who, kind, name, title), path) in STEPS.iter().zip(&files) {
            let bytes = std::fs::read(path)?;
            let body = serde_json::json!({
                "kind": "document",
                "tender": TENDER,
                "body": {
                    "document_type": kind,
                    "sha256": Hash(Sha256::digest(&bytes).into()),
                    "size": bytes.len(),
                    "media_type": "text/plain",
                    "title": title,
                },
            });
            let r = http
                .post(format!("{base}/v1/events"))
                .bearer_auth(&tokens[who])
                .json(&body)
                .send()
                .await?;
            let status = r.status();
            let receipt = r.bytes().await?;
            anyhow::ensure!(
                status.is_success(),
                "the server refused {name}: {}",
                String::from_utf8_lossy(&receipt)
            );
            // What the submitter checks at once, offline, from the receipt alone.
            let report = verify_receipt(&receipt, &key, None).map_err(|e| anyhow::anyhow!(e))?;
            anyhow::ensure!(
                report.verified,
                "receipt for {name} does not verify:\n{}",
                report.to_text()
            );
            let v: serde_json::Value = serde_json::from_slice(&receipt)?;
            let index = v["index"].as_u64().unwrap_or_default();
            std::fs::write(out.join(format!("receipt-{index}.json")), &receipt)?;
            println!(
                "  receipt #{index:<5} {}…  {who:<10} {title}{}",
                &v["leaf_hash"].as_str().unwrap_or_default()[..16],
                if v["duplicate"] == true { "  (already logged: same entry)" } else { "" }
            );
        }
        let r = http.get(format!("{base}/v1/bundles?tender={TENDER}")).send().await?;
        anyhow::ensure!(r.status().is_success(), "couldn't fetch the bundle: {}", r.status());
        let bundle_path = out.join(format!("{TENDER}.bundle.zip"));
        std::fs::write(&bundle_path, r.bytes().await?)?;
        let _ = stop.send(());
        running.task.await??;
        anyhow::Ok((bundle_path, base))
    })?;

    // What the arbitrator does: verify the bundle offline, with the documents.
    let bundle = Bundle::from_zip(&std::fs::read(&bundle_path)?)?;
    let given: Vec<GivenDocument> = files
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p)?;
            Ok(GivenDocument {
                name: p.display().to_string(),
                sha256: Hash(Sha256::digest(&bytes).into()),
            })
        })
        .collect::<std::io::Result<_>>()?;
    let report = verify_bundle(&bundle, Some(&[NoteVerifier::parse(&key.vkey())?]), &given);
    println!(
        "\ntenderlog-verify {}:\n  {}",
        bundle_path.display(),
        report.to_text().lines().next().unwrap_or_default()
    );
    anyhow::ensure!(report.verified, "the bundle does not verify:\n{}", report.to_text());

    let d = dir.display();
    let b = bundle_path.display();
    let vk = key.vkey();
    println!(
        "\nfiles in {}: the documents, one receipt per submission, and the bundle.\nnext:\n  tenderlog-verify {b} --key '{vk}' --document {}\n  tenderlog-verify receipt {} --key '{vk}'\n  tenderlog serve --data {d}        # the API again, on http://127.0.0.1:8080 (this run used {url})\n  tenderlog audit --data {d}\n  (run the demo again: the same submissions come back as the same entries)",
        out.display(),
        files[3].display(),
        out.join("receipt-0.json").display(),
    );
    Ok(())
}
