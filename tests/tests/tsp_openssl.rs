//! RFC 3161 tokens made by OpenSSL (`openssl ts -query` / `-reply` with a TSA
//! key and config) verify with `verifier::tsp`; a token over another digest,
//! a TSA outside the trust store, and a TSA certificate without the critical
//! timeStamping extended key usage are refused; every single-bit change of a
//! token is refused.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};
use verifier::pki::{Cert, TrustStore};
use verifier::tsp::{TspError, token_from_response, verify_token};

fn openssl(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("openssl").args(args).current_dir(dir).output().unwrap()
}

fn ok(dir: &Path, args: &[&str]) {
    let o = openssl(dir, args);
    assert!(
        o.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&o.stderr)
    );
}

const CNF: &str = "
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = .
serial = ./serial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.5
digests = sha256, sm3
accuracy = secs:1, millisecs:500
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
";

/// A CA, and a TSA certificate under it with `eku` as its extended key usage.
fn tsa(dir: &Path, name: &str, eku: &str) {
    tenderlog_tests::fixtures::p256_key(dir, &format!("{name}-ca.key"));
    ok(
        dir,
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            &format!("{name}-ca.key"),
            "-days",
            "3650",
            "-subj",
            &format!("/CN={name} TSA root"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
            "-out",
            &format!("{name}-ca.pem"),
        ],
    );
    tenderlog_tests::fixtures::p256_key(dir, &format!("{name}.key"));
    ok(
        dir,
        &[
            "req",
            "-new",
            "-key",
            &format!("{name}.key"),
            "-subj",
            &format!("/CN={name} TSA"),
            "-out",
            &format!("{name}.csr"),
        ],
    );
    std::fs::write(dir.join(format!("{name}.ext")), format!("extendedKeyUsage={eku}\n")).unwrap();
    ok(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{name}-ca.pem"),
            "-CAkey",
            &format!("{name}-ca.key"),
            "-set_serial",
            "7",
            "-days",
            "365",
            "-extfile",
            &format!("{name}.ext"),
            "-out",
            &format!("{name}.pem"),
        ],
    );
    ok(
        dir,
        &[
            "x509",
            "-in",
            &format!("{name}-ca.pem"),
            "-outform",
            "DER",
            "-out",
            &format!("{name}-ca.der"),
        ],
    );
}

fn stamp(dir: &Path, name: &str, digest_flag: &str) -> std::process::Output {
    std::fs::write(dir.join("serial"), "01\n").unwrap();
    ok(dir, &["ts", "-query", "-data", "doc.bin", digest_flag, "-cert", "-out", "req.tsq"]);
    reply(dir, name, "req.tsq")
}

/// TSA `name`'s reply to the request in file `query`, written to `NAME.tsr`.
fn reply(dir: &Path, name: &str, query: &str) -> std::process::Output {
    openssl(
        dir,
        &[
            "ts",
            "-reply",
            "-config",
            "tsa.cnf",
            "-section",
            "tsa_config",
            "-queryfile",
            query,
            "-inkey",
            &format!("{name}.key"),
            "-signer",
            &format!("{name}.pem"),
            "-out",
            &format!("{name}.tsr"),
        ],
    )
}

/// The trust store holding the root of TSA `name`.
fn roots_of(dir: &Path, name: &str) -> TrustStore {
    let der = std::fs::read(dir.join(format!("{name}-ca.der"))).unwrap();
    TrustStore::new(vec![Cert::from_der(&der).unwrap()]).unwrap()
}

/// A directory with the TSA config and a TSA "good"; `None` (the test
/// skips) without the openssl command.
fn good_tsa() -> Option<tempfile::TempDir> {
    if !tenderlog_tests::fixtures::have_openssl() {
        return None;
    }
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("tsa.cnf"), CNF).unwrap();
    tsa(t.path(), "good", "critical,timeStamping");
    Some(t)
}

#[test]
fn openssl_tokens() {
    let Some(t) = good_tsa() else { return };
    let dir = t.path();
    let doc = b"evaluation report of ZB2026-001\n";
    std::fs::write(dir.join("doc.bin"), doc).unwrap();
    tsa(dir, "other", "critical,timeStamping");
    let out = stamp(dir, "good", "-sha256");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let resp = std::fs::read(dir.join("good.tsr")).unwrap();
    let token = token_from_response(&resp).unwrap();
    let roots = roots_of(dir, "good");
    let digest: [u8; 32] = Sha256::digest(doc).into();
    let ts = verify_token(&token, &digest, &roots).unwrap();
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()
            as u64;
    assert!(
        ts.time_ms <= now + 1000 && ts.time_ms + 60_000 > now,
        "genTime {} vs now {now}",
        ts.time_ms
    );
    assert_eq!(ts.accuracy_ms, 1500);
    assert!(ts.tsa.subject().contains("good TSA"));

    // Over another digest.
    let mut other = digest;
    other[0] ^= 1;
    assert!(matches!(verify_token(&token, &other, &roots), Err(TspError::Imprint)));
    // A TSA outside the trust store.
    let other_roots = roots_of(dir, "other");
    assert!(matches!(verify_token(&token, &digest, &other_roots), Err(TspError::Pki(_))));
    // Every single-bit change of the token.
    let mut accepted = 0;
    for i in 0..token.len() * 8 {
        let mut m = token.clone();
        m[i / 8] ^= 1 << (i % 8);
        if verify_token(&m, &digest, &roots).is_ok() {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 0, "{accepted} single-bit changes of the token still verified");

    // A TSA certificate whose timeStamping usage is not critical, or missing.
    for (name, eku) in [("weak", "timeStamping"), ("wrong", "critical,codeSigning")] {
        tsa(dir, name, eku);
        let out = stamp(dir, name, "-sha256");
        if !out.status.success() {
            // OpenSSL itself refuses to sign with such a certificate; fine.
            eprintln!("openssl refused to stamp with the {name} TSA certificate");
            continue;
        }
        let token =
            token_from_response(&std::fs::read(dir.join(format!("{name}.tsr"))).unwrap()).unwrap();
        let roots = roots_of(dir, name);
        assert!(
            matches!(verify_token(&token, &digest, &roots), Err(TspError::NotATsa(_))),
            "{name}"
        );
    }

    // OpenSSL's TSA will not sign with such certificates, so sign the same
    // TSTInfo as a CMS message with `openssl cms`, once with the genuine TSA
    // certificate (it verifies) and once with one lacking the usage.
    std::fs::write(dir.join("tst.der"), der::Encode::to_der(&ts.info).unwrap()).unwrap();
    for (name, good) in [("good", true), ("wrong", false)] {
        let out = format!("{name}-cms.tst");
        ok(
            dir,
            &[
                "cms",
                "-sign",
                "-binary",
                "-nodetach",
                "-in",
                "tst.der",
                "-econtent_type",
                "1.2.840.113549.1.9.16.1.4",
                "-signer",
                &format!("{name}.pem"),
                "-inkey",
                &format!("{name}.key"),
                "-md",
                "sha256",
                "-outform",
                "DER",
                "-out",
                &out,
            ],
        );
        let token = std::fs::read(dir.join(&out)).unwrap();
        let roots = roots_of(dir, name);
        let r = verify_token(&token, &digest, &roots);
        if good {
            r.unwrap();
        } else {
            assert!(matches!(r, Err(TspError::NotATsa(_))), "{r:?}");
        }
    }

    // An SM3 imprint, where this OpenSSL can make one.
    let out = stamp(dir, "good", "-sm3");
    if out.status.success() {
        let token = token_from_response(&std::fs::read(dir.join("good.tsr")).unwrap()).unwrap();
        let sm3 = <sm3::Sm3 as sm3::Digest>::digest(doc);
        verify_token(&token, &sm3, &roots).unwrap();
        assert!(matches!(verify_token(&token, &digest, &roots), Err(TspError::Imprint)));
    } else {
        tenderlog_tests::skipped(&format!(
            "the SM3 imprint (openssl cannot make it): {}",
            String::from_utf8_lossy(&out.stderr).lines().next().unwrap_or("")
        ));
    }
}

/// Our own `TimeStampReq` as OpenSSL reads it: for nonces of every length
/// (and both sides of each byte's sign bit) OpenSSL prints the nonce we
/// sent, its TSA grants the request, and the token echoes the nonce. A
/// nonce with a leading zero byte left in its encoding is not DER, and
/// OpenSSL's TSA answers "rejection".
#[test]
fn our_requests_are_granted_for_nonces_of_every_length() {
    use der::Encode as _;
    let Some(t) = good_tsa() else { return };
    let dir = t.path();
    let roots = roots_of(dir, "good");
    let digest: [u8; 32] = Sha256::digest(b"bid of ZB2026-001").into();
    let mut nonces = vec![0u64, 1, u64::MAX >> 1];
    for bits in (7..63).step_by(8) {
        nonces.extend([(1u64 << bits) - 1, 1u64 << bits]);
    }
    for (i, nonce) in nonces.into_iter().enumerate() {
        let req = verifier::tsp::TimeStampReq::new(&digest, verifier::tsp::SHA256, nonce).unwrap();
        std::fs::write(dir.join("ours.tsq"), req.to_der().unwrap()).unwrap();
        let text = openssl(dir, &["ts", "-query", "-in", "ours.tsq", "-text"]);
        assert!(
            text.status.success(),
            "nonce {nonce:#x}: {}",
            String::from_utf8_lossy(&text.stderr)
        );
        let shown = String::from_utf8_lossy(&text.stdout);
        let read = shown
            .lines()
            .find_map(|l| l.trim().strip_prefix("Nonce: 0x"))
            .and_then(|h| u64::from_str_radix(h, 16).ok());
        assert_eq!(read, Some(nonce), "openssl shows {shown}");
        std::fs::write(dir.join("serial"), format!("{:02x}\n", i + 1)).unwrap();
        let out = reply(dir, "good", "ours.tsq");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let resp = std::fs::read(dir.join("good.tsr")).unwrap();
        let token = token_from_response(&resp)
            .unwrap_or_else(|e| panic!("nonce {nonce:#x}: the TSA did not grant it: {e}"));
        let ts = verify_token(&token, &digest, &roots).unwrap();
        assert_eq!(ts.info.nonce, req.nonce, "nonce {nonce:#x} echoed");
    }
}
