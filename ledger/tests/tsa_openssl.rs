//! The local (not accredited) TSA and the certificate issuer, checked against
//! the project's verifier and against OpenSSL: tokens verify with
//! `verifier::tsp::verify_token` and `openssl ts -verify`; a token over
//! another digest and every single-bit change of a token are refused; the TSA
//! certificate verifies with `openssl verify` and its extended key usage is
//! critical; a signing certificate with a UTF-8 subject carrying a USCC
//! chains to its root; the TSA key file is mode 0600.
//!
//! The OpenSSL checks are skipped (with a note on stderr) when the `openssl`
//! command is missing; the others always run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use ledger::issue::{self, Issued, LeafUsage};
use ledger::tsa::{self, ImprintAlg};
use sha2::{Digest as _, Sha256};
use verifier::pki::{Cert, TrustStore};
use verifier::tsp::{TspError, token_from_response, verify_token};

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

fn have_openssl() -> bool {
    let ok = Command::new("openssl").arg("version").output().is_ok_and(|o| o.status.success());
    if !ok {
        // The stderr handle, not eprintln!: the test harness does not capture
        // it, so the skip shows in `cargo test`.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: the `openssl` command is missing: the OpenSSL checks"
        );
    }
    ok
}

fn openssl(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("openssl").args(args).current_dir(dir).output().unwrap()
}

/// Runs openssl, asserting success; returns stdout.
fn ok(dir: &Path, args: &[&str]) -> String {
    let o = openssl(dir, args);
    assert!(
        o.status.success(),
        "openssl {} failed:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Writes `der` as `name.der` and converts it to `name.pem`.
fn pem(dir: &Path, name: &str, der: &[u8]) {
    std::fs::write(dir.join(format!("{name}.der")), der).unwrap();
    ok(
        dir,
        &["x509", "-inform", "DER", "-in", &format!("{name}.der"), "-out", &format!("{name}.pem")],
    );
}

#[test]
fn local_tsa_tokens_verify() {
    let data_dir = tempfile::tempdir().unwrap();
    let now = now_ms();
    let tsa = tsa::create(data_dir.path(), now).unwrap();
    assert!(tsa::exists(data_dir.path()));
    assert!(tsa::create(data_dir.path(), now).is_err(), "a second create is refused");
    let tsa = {
        let loaded = tsa::load(data_dir.path()).unwrap();
        assert_eq!(loaded.cert_der(), tsa.cert_der());
        loaded
    };

    // The root was added to the data directory's TSA trust roots.
    let roots = ledger::trust::load_tsa(data_dir.path()).unwrap();
    assert_eq!(roots.roots().len(), 1);
    assert_eq!(roots.roots()[0].der(), tsa.root_der());
    let trust = TrustStore::new(vec![Cert::from_der(tsa.root_der()).unwrap()]).unwrap();

    let data = b"tenderlog: bid document for tender ZB-2026-0001\n".repeat(10);
    let digest: [u8; 32] = Sha256::digest(&data).into();
    let token = tsa.stamp(&digest, ImprintAlg::Sha256, now).unwrap();
    eprintln!("token: {} bytes", token.len());

    let ts = verify_token(&token, &digest, &trust).unwrap();
    assert_eq!(ts.time_ms, now / 1000 * 1000);
    assert_eq!(ts.accuracy_ms, 1000);
    assert_eq!(ts.info.policy, tsa::LOCAL_POLICY);
    assert!(ts.tsa.subject().contains(tsa::NAME), "{}", ts.tsa.subject());
    assert!(Cert::from_der(tsa.root_der()).unwrap().subject().contains(tsa::NAME));

    // Another digest is refused.
    let mut other = digest;
    other[31] ^= 1;
    assert!(matches!(verify_token(&token, &other, &trust), Err(TspError::Imprint)));
    let token_other = tsa.stamp(&other, ImprintAlg::Sha256, now).unwrap();
    assert!(matches!(verify_token(&token_other, &digest, &trust), Err(TspError::Imprint)));
    // A TSA outside the trust store is refused.
    let stranger = Issued::root("CN=stranger", now - 1000, now + 86_400_000).unwrap();
    let strangers = TrustStore::new(vec![Cert::from_der(&stranger.der).unwrap()]).unwrap();
    assert!(verify_token(&token, &digest, &strangers).is_err());

    // SM3 imprints (the verifier only compares the imprint bytes).
    let sm3_digest = [0x5au8; 32];
    let sm3_token = tsa.stamp(&sm3_digest, ImprintAlg::Sm3, now).unwrap();
    verify_token(&sm3_token, &sm3_digest, &trust).unwrap();

    // The response wraps the token.
    let resp = tsa.response(&token).unwrap();
    assert_eq!(token_from_response(&resp).unwrap(), token);

    // The key file is readable by the owner only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(data_dir.path().join("tsa").join("tsa.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "tsa.key mode {:o}", mode & 0o777);
    }

    if !have_openssl() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    pem(w, "root", tsa.root_der());
    pem(w, "tsa", tsa.cert_der());
    std::fs::write(w.join("data.bin"), &data).unwrap();
    std::fs::write(w.join("token.der"), &token).unwrap();
    std::fs::write(w.join("resp.der"), &resp).unwrap();
    std::fs::write(w.join("other.der"), &token_other).unwrap();

    let out = ok(
        w,
        &[
            "ts",
            "-verify",
            "-data",
            "data.bin",
            "-in",
            "token.der",
            "-token_in",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "tsa.pem",
        ],
    );
    assert!(out.contains("Verification: OK"), "{out}");
    // The response form, too.
    ok(
        w,
        &[
            "ts",
            "-verify",
            "-data",
            "data.bin",
            "-in",
            "resp.der",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "tsa.pem",
        ],
    );
    // OpenSSL also refuses a token over other data.
    let o = openssl(
        w,
        &[
            "ts",
            "-verify",
            "-data",
            "data.bin",
            "-in",
            "other.der",
            "-token_in",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "tsa.pem",
        ],
    );
    assert!(!o.status.success(), "openssl accepted a token over another digest");
    // OpenSSL reads the token's fields as written.
    let text = ok(w, &["ts", "-reply", "-in", "token.der", "-token_in", "-token_out", "-text"]);
    assert!(text.contains("Policy OID: 1.3.6.1.4.1.99999.1"), "{text}");
    assert!(text.contains("Hash Algorithm: sha256"), "{text}");
    assert!(text.contains("Accuracy: 0x01 seconds"), "{text}");
    assert!(text.contains("not accredited"), "{text}");

    // The TSA certificate: chains, may sign timestamps, critical EKU.
    ok(w, &["verify", "-CAfile", "root.pem", "tsa.pem"]);
    ok(w, &["verify", "-CAfile", "root.pem", "-purpose", "timestampsign", "tsa.pem"]);
    let text = ok(w, &["x509", "-in", "tsa.pem", "-noout", "-text"]);
    let eku = text
        .lines()
        .position(|l| l.contains("X509v3 Extended Key Usage"))
        .unwrap_or_else(|| panic!("no EKU in\n{text}"));
    let lines: Vec<_> = text.lines().collect();
    assert!(lines[eku].contains("critical"), "EKU not critical:\n{text}");
    assert_eq!(lines[eku + 1].trim(), "Time Stamping", "{text}");
    assert!(text.contains("X509v3 Basic Constraints: critical"), "{text}");
    let root_text = ok(w, &["x509", "-in", "root.pem", "-noout", "-text"]);
    assert!(root_text.contains("CA:TRUE"), "{root_text}");
    assert!(root_text.contains("Certificate Sign, CRL Sign"), "{root_text}");
}

#[test]
fn signing_certificate_with_uscc_chains() {
    const USCC: &str = "91350100M000100Y43";
    let now = now_ms();
    let day = 86_400_000;
    let root =
        Issued::root("CN=tenderlog demo CA,O=tenderlog demo,C=CN", now - day, now + day).unwrap();
    let key = issue::new_key().unwrap();
    let subject = format!("CN=trader,serialNumber={USCC},O=某某建设有限公司,C=CN");
    let der = issue::leaf(
        &root.key,
        &root.der,
        key.verifying_key(),
        &subject,
        42,
        now - day,
        now + day,
        LeafUsage::Signing,
    )
    .unwrap();
    let leaf = Cert::from_der(&der).unwrap();
    let trust = TrustStore::new(vec![Cert::from_der(&root.der).unwrap()]).unwrap();
    let path = trust.chain(&leaf, &[], now).unwrap();
    assert_eq!(path.len(), 2);
    assert!(leaf.subject().contains(USCC), "{}", leaf.subject());
    assert!(leaf.subject().contains("某某建设有限公司"), "{}", leaf.subject());
    assert!(!leaf.is_ca());
    assert!(trust.chain(&leaf, &[], now + 2 * day).is_err(), "expired");

    if !have_openssl() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    pem(w, "root", &root.der);
    pem(w, "leaf", &der);
    ok(w, &["verify", "-CAfile", "root.pem", "leaf.pem"]);
    let text = ok(w, &["x509", "-in", "leaf.pem", "-noout", "-text", "-nameopt", "utf8"]);
    assert!(text.contains(USCC), "{text}");
    assert!(text.contains("某某建设有限公司"), "{text}");
    assert!(text.contains("Digital Signature, Non Repudiation"), "{text}");
    assert!(!text.contains("Extended Key Usage"), "{text}");
}

#[test]
fn every_bit_flip_is_refused() {
    let data_dir = tempfile::tempdir().unwrap();
    let now = now_ms();
    let tsa = tsa::create(data_dir.path(), now).unwrap();
    let trust = TrustStore::new(vec![Cert::from_der(tsa.root_der()).unwrap()]).unwrap();
    let digest: [u8; 32] = Sha256::digest(b"flip me").into();
    let token = tsa.stamp(&digest, ImprintAlg::Sha256, now).unwrap();
    verify_token(&token, &digest, &trust).unwrap();

    let mut accepted = Vec::new();
    for i in 0..token.len() {
        for bit in 0..8 {
            let mut m = token.clone();
            m[i] ^= 1 << bit;
            if verify_token(&m, &digest, &trust).is_ok() {
                accepted.push((i, bit));
            }
        }
    }
    assert!(
        accepted.is_empty(),
        "{} of {} single-bit mutants accepted (byte offset, bit): {accepted:?}",
        accepted.len(),
        token.len() * 8
    );
}
