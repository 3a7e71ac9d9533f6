//! `tenderlog demo`: one tender played through a local log, every receipt
//! checked with the pure verifier, then the audit.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use ledger::{Ledger, Store, SystemClock};
use sha2::{Digest, Sha256};
use verifier::Hash;
use verifier::checkpoint::SignedCheckpoint;
use verifier::event::{Body, Content, Document, DocumentType, Schedule};
use verifier::merkle::{verify_consistency, verify_inclusion};

/// The origin of a log `demo` creates.
pub const DEMO_ORIGIN: &str = "demo.tenderlog.local/log";

fn doc(tender: &str, who: &str, t: DocumentType, title: &str) -> Content {
    // Stand-in document bytes; a real platform logs the digest of the signed file.
    let bytes = format!("{tender}/{title}");
    Content {
        tender: tender.into(),
        principal: who.into(),
        body: Body::Document(Document {
            document_type: t,
            sha256: Hash(Sha256::digest(bytes.as_bytes()).into()),
            sm3: None,
            size: bytes.len() as u64,
            media_type: "application/pdf".into(),
            title: Some(title.into()),
        }),
    }
}

/// The events of one small tender, in the order a platform would log them.
pub fn sample_tender(tender: &str) -> Vec<Content> {
    use DocumentType as D;
    let deadline = 1_798_000_000_000; // 2026-12-23, 09:46 UTC
    vec![
        doc(tender, "agency-01", D::TenderNotice, "招标公告 tender notice"),
        doc(tender, "agency-01", D::TenderDocuments, "招标文件 tender documents"),
        Content {
            tender: tender.into(),
            principal: "agency-01".into(),
            body: Body::Schedule(Schedule { bid_deadline_ms: deadline, opening_ms: deadline }),
        },
        doc(tender, "agency-01", D::TenderDocumentsClarification, "澄清 clarification no. 1"),
        doc(tender, "bidder-a", D::Bid, "投标文件 bid of bidder A"),
        doc(tender, "bidder-b", D::Bid, "投标文件 bid of bidder B"),
        doc(tender, "bidder-c", D::Bid, "投标文件 bid of bidder C"),
        doc(tender, "agency-01", D::OpeningRecord, "开标记录 opening record"),
        doc(tender, "committee", D::EvaluationReport, "评标报告 evaluation report"),
        doc(tender, "agency-01", D::AwardNotice, "中标通知书 award notice"),
        doc(tender, "buyer-01", D::Contract, "合同 contract"),
    ]
}

pub fn run(dir: &Path) -> anyhow::Result<()> {
    if !ledger::store::db_path(dir).exists() {
        let vkey = ledger::init(dir, DEMO_ORIGIN, &SystemClock)?;
        println!("created a log in {} with verifier key\n  {}", dir.display(), vkey.vkey());
    } else {
        println!("using the log in {}", dir.display());
    }
    let tender = "ZB2026-DEMO-001";
    let before = Store::open(dir)?.latest_checkpoint()?;
    let outcome = {
        let mut ledger = Ledger::open(dir, Arc::new(SystemClock))?;
        ledger.append(sample_tender(tender))?
    };
    let store = Store::open(dir)?;
    let key = store.verifier().clone();
    let cp = SignedCheckpoint::verify(outcome.checkpoint.note.as_bytes(), &key)
        .context("the checkpoint does not verify")?;
    println!("\nreceipts for tender {tender} (each checked against the signed checkpoint):");
    for (content, r) in sample_tender(tender).iter().zip(&outcome.results) {
        let a = r.as_ref().map_err(|e| anyhow::anyhow!("{e}"))?;
        let proof = store.inclusion_proof(a.index, cp.checkpoint.size)?;
        verify_inclusion(a.index, cp.checkpoint.size, &a.leaf_hash, &proof, &cp.checkpoint.root)
            .context("an inclusion proof does not verify")?;
        let what = match &content.body {
            Body::Document(d) => d.title.clone().unwrap_or_default(),
            Body::Schedule(_) => "schedule: bid deadline and opening time".into(),
        };
        println!(
            "  #{:<6} {}  {}{}",
            a.index,
            &a.leaf_hash.to_hex()[..16],
            what,
            if a.duplicate { "  (already logged: same entry)" } else { "" }
        );
    }
    // The log did not rewrite anything signed before this run.
    let old = SignedCheckpoint::verify(before.note.as_bytes(), &key)?.checkpoint;
    let proof = store.consistency_proof(old.size, cp.checkpoint.size)?;
    verify_consistency(old.size, cp.checkpoint.size, &proof, &old.root, &cp.checkpoint.root)
        .context("the log is not consistent with its previous checkpoint")?;
    println!(
        "\nconsistent with the previous checkpoint (size {} -> {}, {} proof hashes)",
        old.size,
        cp.checkpoint.size,
        proof.len()
    );
    println!("\nsigned checkpoint:\n{}", cp.note);
    let report = ledger::audit(dir, &mut |_, _| {})?;
    println!(
        "audit passed: {} entries, {} checkpoints, {} tenders",
        report.entries, report.checkpoints, report.tenders
    );
    let d = dir.display();
    println!(
        "\nnext:\n  tenderlog checkpoint --data {d}\n  tenderlog entry --data {d} --index 0\n  tenderlog prove inclusion --data {d} --index 0\n  tenderlog audit --data {d}\n  (run the demo again: the same submissions come back as the same entries)"
    );
    Ok(())
}
