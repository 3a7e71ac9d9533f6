//! Sealed bids (电子招标投标办法 art. 21, 28) through `tenderlog append`: the
//! ledger checks a `sealed_document` in the clear and logs only a salted
//! commitment under the principal "sealed"; the public leaf holds neither the
//! bidder's USCC or name, nor the bid's digest, its signer's certificate or
//! its signature, in any encoding. The receipt gives the bidder the opening;
//! a reveal that matches is logged, a wrong one refused; the tender's bundle
//! verifies the reveal and the revealed bid's signature, chain, status and
//! timestamp. A sealed bid that fails a check is refused with a rejection
//! that names neither the bidder nor the bid.
#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD};
use common::{err, init, out, run};
use p256::ecdsa::signature::Signer as _;
use serde_json::{Value, json};
use sha2::Digest as _;

const USCC: &str = "91350100M000100Y43";
const UNIT: &str = "某某建设有限公司";
const TENDER: &str = "ZB2026-SEALED";

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

fn append(d: &str, line: &Value) -> std::process::Output {
    run(&["append", "--data", d], &(line.to_string() + "\n"))
}

fn last(o: &std::process::Output) -> Value {
    serde_json::from_str(out(o).lines().last().unwrap()).unwrap()
}

fn leaf(d: &str, index: &Value) -> (Vec<u8>, Value) {
    let o = run(&["entry", "--data", d, "--index", &index.to_string()], "");
    assert!(o.status.success(), "{}", err(&o));
    let v: Value = serde_json::from_str(&out(&o)).unwrap();
    (B64.decode(v["leaf"].as_str().unwrap()).unwrap(), v["event"].clone())
}

/// Every encoding of `secret` a reader might search a leaf for.
fn encodings(secret: &[u8]) -> Vec<Vec<u8>> {
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    vec![
        secret.to_vec(),
        hex.clone().into_bytes(),
        hex.to_uppercase().into_bytes(),
        B64.encode(secret).into_bytes(),
        URL_SAFE_NO_PAD.encode(secret).into_bytes(),
    ]
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.len() <= hay.len() && hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn sealed_bids_hide_the_bidder_until_revealed() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("log");
    init(&dir, "sealed.example/log");
    let d = dir.to_str().unwrap();
    let now = now_ms();
    let ca = ledger::issue::Issued::root(
        "CN=sealed test CA,C=CN",
        now - 86_400_000,
        now + 86_400_000 * 365,
    )
    .unwrap();
    let trader = ca
        .issue(
            &format!("CN=bidder-a,serialNumber={USCC},O={UNIT},C=CN"),
            2,
            now - 3_600_000,
            now + 86_400_000 * 30,
            ledger::issue::LeafUsage::Signing,
        )
        .unwrap();
    ledger::trust::add_ca(&dir, &ca.der).unwrap();
    // `init` made the directory's local TSA (not accredited) and trusts its root.
    let tsa = ledger::tsa::load(&dir).unwrap();
    let fp = verifier::pki::fingerprint_of(&trader.der);
    let o = append(
        d,
        &json!({"kind": "certificate", "principal": "ca-registry", "body": {
        "der": B64.encode(&trader.der), "cert_kind": "trader", "uscc": USCC, "unit_name": UNIT,
        "lifecycle": "issued", "effective_ms": now - 3_600_000}}),
    );
    assert!(o.status.success(), "{}", err(&o));
    assert!(run(&["policy", "publish", "--data", d], "").status.success());

    let bid = |doc: &[u8], stamped: bool| {
        let sha: [u8; 32] = sha2::Sha256::digest(doc).into();
        let sig: p256::ecdsa::Signature = trader.key.sign(&sha);
        let sig = sig.to_der().as_bytes().to_vec();
        let mut body = json!({
            "document_type": "bid", "sha256": verifier::Hash(sha), "size": doc.len(),
            "media_type": "application/pdf", "title": format!("bid of {UNIT}"),
            "signatures": [{"format": "raw", "cert": fp, "value": B64.encode(&sig)}],
        });
        if stamped {
            let token = tsa.stamp(&sha, ledger::tsa::ImprintAlg::Sha256, now_ms()).unwrap();
            body["timestamps"] = json!([B64.encode(token)]);
        }
        (
            json!({"kind": "sealed_document", "tender": TENDER, "principal": "bidder-a", "body": body}),
            sha,
            sig,
        )
    };

    // Filed under seal: the receipt carries the opening.
    let (line, sha, sig) = bid(b"the priced bid of bidder A", true);
    let o = append(d, &line);
    assert!(o.status.success(), "{}", err(&o));
    let receipt = last(&o);
    let opening = receipt["sealed"].clone();
    assert_eq!(opening["principal"], "bidder-a");
    assert_eq!(opening["sealed"]["index"], receipt["index"]);
    assert_eq!(opening["document"]["sha256"], json!(verifier::Hash(sha)));

    // The public leaf: a sealed bid by "sealed", and nothing that identifies
    // the bidder or the bid, in any encoding.
    let (bytes, event) = leaf(d, &receipt["index"]);
    assert_eq!(event["kind"], "sealed_document");
    assert_eq!(event["principal"], "sealed");
    assert_eq!(event["body"]["document_type"], "bid");
    let secrets: Vec<(&str, Vec<u8>)> = vec![
        ("USCC", USCC.as_bytes().to_vec()),
        ("unit name", UNIT.as_bytes().to_vec()),
        ("bidder account", b"bidder-a".to_vec()),
        ("bid SHA-256", sha.to_vec()),
        ("signer certificate", fp.0.to_vec()),
        ("signature", sig.clone()),
    ];
    for (what, secret) in &secrets {
        for enc in encodings(secret) {
            assert!(!contains(&bytes, &enc), "the sealed leaf contains the {what}");
        }
    }

    // The same sealed submission again is the same entry.
    let o = append(d, &line);
    assert_eq!(last(&o)["index"], receipt["index"]);
    assert_eq!(last(&o)["duplicate"], true);

    // Wrong reveals are refused and log nothing.
    let before = out(&run(&["checkpoint", "--data", d], ""));
    let mut wrong_salt = opening.clone();
    let mut salt = B64.decode(wrong_salt["salt"].as_str().unwrap()).unwrap();
    salt[0] ^= 1;
    wrong_salt["salt"] = json!(B64.encode(salt));
    let mut wrong_filer = opening.clone();
    wrong_filer["principal"] = json!("bidder-b");
    let mut wrong_doc = opening.clone();
    wrong_doc["document"]["size"] = json!(1);
    for body in [wrong_salt, wrong_filer, wrong_doc] {
        let o = append(
            d,
            &json!({"kind": "reveal", "tender": TENDER, "principal": "agency", "body": body}),
        );
        assert_eq!(o.status.code(), Some(2));
        assert!(err(&o).contains("commitment reveal"), "{}", err(&o));
    }
    let o = append(
        d,
        &json!({"kind": "reveal", "tender": "ANOTHER-TENDER", "principal": "agency", "body": opening}),
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(out(&run(&["checkpoint", "--data", d], "")), before, "wrong reveals logged nothing");

    // After opening, the reveal that matches is logged.
    let o = append(
        d,
        &json!({"kind": "reveal", "tender": TENDER, "principal": "agency", "body": opening}),
    );
    assert!(o.status.success(), "{}", err(&o));
    let (_, event) = leaf(d, &last(&o)["index"]);
    assert_eq!(event["kind"], "reveal");

    // A sealed bid without a timestamp is refused; its rejection names
    // neither the bidder nor the bid.
    let (line, sha2, _) = bid(b"a second bid of bidder A", false);
    let o = append(d, &line);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("refused by the policy check"), "{}", err(&o));
    let (bytes, event) = leaf(d, &last(&o)["index"]);
    assert_eq!(event["kind"], "submission_rejected");
    assert_eq!(event["principal"], "sealed");
    // Nor which check refused it: that went to the submitter alone.
    let body = &event["body"];
    assert_eq!(body["check"], "sealed submission", "{event}");
    assert!(!body["reason"].as_str().unwrap().contains("policy"), "{event}");
    for secret in [USCC.as_bytes(), b"bidder-a", &sha2[..]] {
        for enc in encodings(secret) {
            assert!(!contains(&bytes, &enc), "the rejection of a sealed bid identifies it");
        }
    }

    // The tender's bundle: the sealed bid, its reveal, the rule pack and the
    // signer's certificate chain; the reveal and the revealed bid verify.
    let zip = t.path().join("sealed.zip");
    let o = run(&["bundle", "--data", d, "--tender", TENDER, "--out", zip.to_str().unwrap()], "");
    assert!(o.status.success(), "{}", err(&o));
    let b = verifier::bundle::Bundle::from_zip(&std::fs::read(&zip).unwrap()).unwrap();
    let r = verifier::report::verify_bundle(&b, None, &[]);
    assert!(r.verified, "{}", r.to_text());
    for check in [
        "commitment reveal",
        "signature",
        "certificate chain",
        "certificate status at trusted time",
        "timestamp",
        "policy",
    ] {
        assert!(
            r.checks
                .iter()
                .any(|c| c.check.as_str() == check && c.status == verifier::report::Status::Pass),
            "{check}:\n{}",
            r.to_text()
        );
    }
    let o = run(&["audit", "--data", d], "");
    assert!(o.status.success(), "{}", err(&o));
}
