//! Signed documents end to end through `tenderlog append`, with certificates,
//! signatures and timestamp tokens made by `openssl`: a signed, stamped bid is
//! logged naming the rule pack in force; a refused one is not logged as
//! submitted, but a `submission_rejected` event naming the failed check is,
//! and the submitter gets its receipt; a revocation bites signatures made
//! after it; lifecycle steps out of order change nothing; the audit passes.
#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::{err, init, out, run};
use serde_json::{Value, json};
use tenderlog_tests::fixtures::{Alg, Fixtures, Made, UNIT, USCC, have_openssl};

fn fp(m: &Made) -> String {
    verifier::pki::fingerprint_of(&m.der).to_hex()
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

fn cert_line(m: &Made, kind: &str, lifecycle: &str, effective_ms: u64) -> String {
    let mut body = json!({
        "der": B64.encode(&m.der), "cert_kind": kind, "lifecycle": lifecycle,
        "effective_ms": effective_ms,
    });
    if kind == "trader" {
        body["uscc"] = json!(USCC);
        body["unit_name"] = json!(UNIT);
    }
    json!({"kind": "certificate", "principal": "ca-registry", "body": body}).to_string() + "\n"
}

fn bid_line(sha: &[u8; 32], signer: &Made, sig: &[u8], token: Option<&[u8]>) -> String {
    let mut body = json!({
        "document_type": "bid", "sha256": hex(sha), "size": 42, "media_type": "application/pdf",
        "signatures": [{"format": "raw", "cert": fp(signer), "value": B64.encode(sig)}],
    });
    if let Some(t) = token {
        body["timestamps"] = json!([B64.encode(t)]);
    }
    json!({"kind": "document", "tender": "ZB2026-001", "principal": "bidder-a", "body": body})
        .to_string()
        + "\n"
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn entry(d: &str, index: u64) -> Value {
    let o = run(&["entry", "--data", d, "--index", &index.to_string()], "");
    assert!(o.status.success(), "{}", err(&o));
    serde_json::from_str(&out(&o)).unwrap()
}

fn receipt(o: &std::process::Output) -> Value {
    serde_json::from_str(out(o).lines().last().unwrap()).unwrap()
}

#[test]
fn signed_documents_are_checked_and_refusals_are_logged() {
    if !have_openssl() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let fx = Fixtures::new(&t.path().join("fx"));
    let dir = t.path().join("log");
    init(&dir, "signed.example/log");
    let d = dir.to_str().unwrap();
    let (sha, _) = fx.document("bid.pdf", b"the bid of bidder A\n");
    let ca = fx.ca("ca", Alg::Ecdsa);
    let trader = fx.trader(&ca, "trader", Alg::Ecdsa);
    let tsa_root = fx.tsa("tsa", "critical,timeStamping");
    for (cmd, m) in [("add-ca", &ca), ("add-tsa", &tsa_root)] {
        let o = run(
            &["trust", cmd, "--data", d, fx.dir.join(format!("{}.der", m.stem)).to_str().unwrap()],
            "",
        );
        assert!(o.status.success(), "{}", err(&o));
    }
    let o = run(&["trust", "list", "--data", d], "");
    assert!(out(&o).contains("ca  ") && out(&o).contains("tsa  "), "{}", out(&o));

    // Register the trader's certificate (its tender is fixed: cert:<fingerprint>).
    let o = run(
        &["append", "--data", d],
        &cert_line(&trader, "trader", "issued", now_ms() - 86_400_000),
    );
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(entry(d, 0)["event"]["tender"], format!("cert:{}", fp(&trader)));
    // Registering it twice as issued is a lifecycle error, and logs nothing.
    let o = run(&["append", "--data", d], &cert_line(&trader, "trader", "issued", now_ms()));
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("already registered"), "{}", err(&o));

    // The default rule pack comes into force.
    let o = run(&["policy", "publish", "--data", d], "");
    assert!(o.status.success(), "{}", err(&o));
    let policy: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(policy["index"], 1);

    // A signed, stamped bid is logged and names the pack.
    let sig = fx.raw_sign(&trader, &sha, "");
    let token = fx.stamp("tsa", "bid.pdf");
    let o = run(&["append", "--data", d], &bid_line(&sha, &trader, &sig, Some(&token)));
    assert!(o.status.success(), "{}", err(&o));
    let r = receipt(&o);
    let e = entry(d, r["index"].as_u64().unwrap());
    assert_eq!(e["event"]["kind"], "document");
    assert_eq!(e["event"]["policy"]["index"], 1);
    assert_eq!(e["event"]["body"]["signatures"][0]["cert"], fp(&trader));

    // No timestamp on a bid: the platform stamps it on receipt with the data
    // directory's TSA; the same line again is the same entry.
    let (sha2, _) = fx.document("bid2.pdf", b"a second bid\n");
    let sig2 = fx.raw_sign(&trader, &sha2, "");
    let line = bid_line(&sha2, &trader, &sig2, None);
    let o = run(&["append", "--data", d], &line);
    assert!(o.status.success(), "{}", err(&o));
    let r = receipt(&o);
    let e = entry(d, r["index"].as_u64().unwrap());
    assert!(e["event"]["body"]["received_timestamp"].is_string(), "{e}");
    let o = run(&["append", "--data", d], &line);
    assert_eq!(receipt(&o)["index"], r["index"]);
    assert_eq!(receipt(&o)["duplicate"], true);

    // With no TSA to ask (the local one removed), such a bid is refused by
    // the policy, and the refusal is logged.
    std::fs::remove_dir_all(ledger::tsa::tsa_dir(std::path::Path::new(d))).unwrap();
    let (sha_r, _) = fx.document("bid-unstamped.pdf", b"an unstamped bid\n");
    let line = bid_line(&sha_r, &trader, &fx.raw_sign(&trader, &sha_r, ""), None);
    let o = run(&["append", "--data", d], &line);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("refused by the policy check"), "{}", err(&o));
    let rej = receipt(&o);
    assert!(rej["rejected"].as_str().unwrap().contains("timestamp"), "{rej}");
    let e = entry(d, rej["index"].as_u64().unwrap());
    assert_eq!(e["event"]["kind"], "submission_rejected");
    assert_eq!(e["event"]["body"]["check"], "policy");
    assert_eq!(e["event"]["body"]["sha256"], hex(&sha_r));
    assert_eq!(e["event"]["principal"], "bidder-a");
    assert_eq!(e["event"]["tender"], "ZB2026-001");
    // The same refusal again is the same logged rejection.
    let o = run(&["append", "--data", d], &line);
    assert_eq!(receipt(&o)["index"], rej["index"]);
    assert_eq!(receipt(&o)["duplicate"], true);

    // A signature over another document: refused by the signature check.
    let token2 = fx.stamp("tsa", "bid2.pdf");
    let o = run(&["append", "--data", d], &bid_line(&sha2, &trader, &sig, Some(&token2)));
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("refused by the signature check"), "{}", err(&o));
    assert_eq!(
        entry(d, receipt(&o)["index"].as_u64().unwrap())["event"]["body"]["check"],
        "signature"
    );

    // Revoked from a moment ago: a bid stamped now is refused; the earlier bid
    // (stamped before the revocation) stays as it was logged.
    let o =
        run(&["append", "--data", d], &cert_line(&trader, "trader", "revoked", now_ms() - 1_000));
    assert!(o.status.success(), "{}", err(&o));
    let (sha3, _) = fx.document("bid3.pdf", b"a third bid\n");
    let token3 = fx.stamp("tsa", "bid3.pdf");
    let o = run(
        &["append", "--data", d],
        &bid_line(&sha3, &trader, &fx.raw_sign(&trader, &sha3, ""), Some(&token3)),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("certificate status at trusted time"), "{}", err(&o));
    assert!(err(&o).contains("revoked"), "{}", err(&o));

    // A second rule pack by file: the contract needs no signature now.
    let mut pack = verifier::policy::RulePack::default_pack();
    pack.version = 2;
    pack.rules.retain(|r| r.document_type != verifier::event::DocumentType::Contract);
    let pack_file = t.path().join("pack.json");
    std::fs::write(&pack_file, serde_json::to_string(&pack).unwrap()).unwrap();
    let o = run(&["policy", "publish", "--data", d, pack_file.to_str().unwrap()], "");
    assert!(o.status.success(), "{}", err(&o));
    let v2: Value = serde_json::from_str(&out(&o)).unwrap();
    let contract = json!({"kind": "document", "tender": "ZB2026-001", "principal": "agency",
        "body": {"document_type": "contract", "sha256": hex(&[9; 32]), "size": 1, "media_type": "application/pdf"}});
    let o = run(&["append", "--data", d], &(contract.to_string() + "\n"));
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(
        entry(d, receipt(&o)["index"].as_u64().unwrap())["event"]["policy"]["index"],
        v2["index"]
    );

    // Only the ledger writes rejections.
    let forged = json!({"kind": "submission_rejected", "tender": "ZB2026-001",
        "body": {"document_type": "bid", "sha256": hex(&[1; 32]), "check": "x", "reason": "y"}});
    let o = run(&["append", "--data", d], &(forged.to_string() + "\n"));
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("unknown event kind"), "{}", err(&o));

    let o = run(&["audit", "--data", d], "");
    assert!(o.status.success(), "{}", err(&o));
}
