//! Certificates and signatures made by an independent implementation — the
//! `openssl` CLI — at test time: an RSA, an ECDSA P-256, an Ed25519 and an SM2
//! CA, a trader leaf certificate under each (carrying a USCC in its subject),
//! and raw signatures over a document (`openssl dgst -sign` / `pkeyutl`).
//! Each verifies with `verifier::pki`, and each negative case fails: tampered
//! document, wrong CA, expired certificate, wrong SM2 ID. The real-world SM2
//! certificates in `../shared/vectors/real-world/cert/` parse and verify.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use tenderlog_tests::fixtures::{have_openssl, openssl};
use verifier::pki::{Cert, KeyAlg, PkiError, SM2_DEFAULT_ID, TrustStore, verify_detached_cms};

struct Pki {
    dir: PathBuf,
    ca: Cert,
    leaf: Cert,
    sig: Vec<u8>,
}

const DOC: &[u8] = b"tender ZB2026-001: bid of bidder A, 1,234,567.00 CNY\n";

/// Makes a CA and a trader leaf with `keygen` (genpkey arguments) and signs
/// the document with `sign` (arguments after the key).
fn make(root: &Path, name: &str, keygen: &[&str], md: &[&str], sign: &dyn Fn(&Path)) -> Pki {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("doc.bin"), DOC).unwrap();
    let mut gen_ca = vec!["genpkey", "-out", "ca.key"];
    gen_ca.extend(keygen);
    openssl(&dir, &gen_ca);
    let mut gen_leaf = vec!["genpkey", "-out", "leaf.key"];
    gen_leaf.extend(keygen);
    openssl(&dir, &gen_leaf);
    let subj_ca = format!("/C=CN/O=Test CA {name}/CN=Test {name} Root");
    let mut req_ca = vec![
        "req",
        "-x509",
        "-new",
        "-key",
        "ca.key",
        "-days",
        "3650",
        "-subj",
        &subj_ca,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-out",
        "ca.pem",
    ];
    req_ca.extend(md);
    openssl(&dir, &req_ca);
    let subj_leaf = "/C=CN/O=某某建设有限公司/serialNumber=91350100M000100Y43/CN=trader bidder-a";
    let mut req_leaf =
        vec!["req", "-new", "-key", "leaf.key", "-subj", subj_leaf, "-utf8", "-out", "leaf.csr"];
    req_leaf.extend(md);
    openssl(&dir, &req_leaf);
    let mut x509 = vec![
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-set_serial",
        "2",
        "-days",
        "365",
        "-outform",
        "DER",
        "-out",
        "leaf.der",
    ];
    x509.extend(md);
    if md.contains(&"-sm3") {
        // OpenSSL checks the request's own SM2 signature with the same ID.
        x509.extend(["-vfyopt", "distid:1234567812345678"]);
    }
    openssl(&dir, &x509);
    openssl(&dir, &["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"]);
    sign(&dir);
    Pki {
        ca: Cert::from_der(&std::fs::read(dir.join("ca.der")).unwrap()).unwrap(),
        leaf: Cert::from_der(&std::fs::read(dir.join("leaf.der")).unwrap()).unwrap(),
        sig: std::fs::read(dir.join("doc.sig")).unwrap(),
        dir,
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

fn check(p: &Pki, alg: KeyAlg, other: &Pki) {
    assert_eq!(p.leaf.key_alg().unwrap(), alg);
    assert!(p.leaf.subject().contains("91350100M000100Y43"), "{}", p.leaf.subject());
    // Good: the chain and the signature.
    let trust = TrustStore::new(vec![p.ca.clone()]).unwrap();
    let path = trust.chain(&p.leaf, &[], now_ms()).unwrap();
    assert_eq!(path.len(), 2);
    p.leaf.verify(DOC, &p.sig, SM2_DEFAULT_ID).unwrap();
    // Tampered document.
    let mut doc = DOC.to_vec();
    doc[7] ^= 1;
    assert!(matches!(
        p.leaf.verify(&doc, &p.sig, SM2_DEFAULT_ID),
        Err(PkiError::BadSignature { .. })
    ));
    // Every single-bit change of the signature.
    for i in 0..p.sig.len() * 8 {
        let mut s = p.sig.clone();
        s[i / 8] ^= 1 << (i % 8);
        assert!(
            p.leaf.verify(DOC, &s, SM2_DEFAULT_ID).is_err(),
            "{alg:?}: flipped bit {i} verified"
        );
    }
    // Wrong CA: a store with only the other provider's root; and both roots (two providers) works.
    let wrong = TrustStore::new(vec![other.ca.clone()]).unwrap();
    assert!(matches!(wrong.chain(&p.leaf, &[], now_ms()), Err(PkiError::Untrusted { .. })));
    let both = TrustStore::new(vec![other.ca.clone(), p.ca.clone()]).unwrap();
    assert_eq!(both.chain(&p.leaf, &[], now_ms()).unwrap().len(), 2);
    // Expired: the leaf is valid for a year; two years on it is not.
    let later = now_ms() + 2 * 365 * 24 * 3600 * 1000;
    assert!(matches!(trust.chain(&p.leaf, &[], later), Err(PkiError::Expired { .. })));
    // Not yet valid: before it was issued.
    assert!(matches!(trust.chain(&p.leaf, &[], 0), Err(PkiError::Expired { .. })));
    // A leaf is not a CA: it cannot serve as a root.
    assert!(TrustStore::new(vec![p.leaf.clone()]).is_err());
    let _ = &p.dir;
}

#[test]
fn openssl_made_certificates_and_signatures() {
    if !have_openssl() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let rsa = make(
        root,
        "rsa",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        &["-sha256"],
        &|d| {
            openssl(d, &["dgst", "-sha256", "-sign", "leaf.key", "-out", "doc.sig", "doc.bin"]);
        },
    );
    let ec = make(
        root,
        "ecdsa",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        &["-sha256"],
        &|d| {
            openssl(d, &["dgst", "-sha256", "-sign", "leaf.key", "-out", "doc.sig", "doc.bin"]);
        },
    );
    let ed = make(root, "ed25519", &["-algorithm", "ED25519"], &[], &|d| {
        openssl(
            d,
            &[
                "pkeyutl", "-sign", "-inkey", "leaf.key", "-rawin", "-in", "doc.bin", "-out",
                "doc.sig",
            ],
        );
    });
    let sm2 = make(
        root,
        "sm2",
        &["-algorithm", "SM2"],
        &["-sm3", "-sigopt", "distid:1234567812345678"],
        &|d| {
            openssl(
                d,
                &[
                    "pkeyutl",
                    "-sign",
                    "-inkey",
                    "leaf.key",
                    "-rawin",
                    "-digest",
                    "sm3",
                    "-pkeyopt",
                    "distid:1234567812345678",
                    "-in",
                    "doc.bin",
                    "-out",
                    "doc.sig",
                ],
            );
        },
    );
    for p in [&rsa, &ec, &ed, &sm2] {
        check_cms(p);
    }
    check(&rsa, KeyAlg::Rsa, &ec);
    check(&ec, KeyAlg::EcdsaP256, &rsa);
    check(&ed, KeyAlg::Ed25519, &sm2);
    check(&sm2, KeyAlg::Sm2, &ed);

    // SM2: the DER signature as raw r‖s verifies too; a wrong ID does not.
    let der = der_to_raw(&sm2.sig);
    sm2.leaf.verify(DOC, &der, SM2_DEFAULT_ID).unwrap();
    assert!(sm2.leaf.verify(DOC, &sm2.sig, "1234567812345679").is_err());
    assert!(sm2.leaf.verify(DOC, &sm2.sig, "").is_err());
    // A signature by one algorithm's key does not pass for another's.
    assert!(rsa.leaf.verify(DOC, &ec.sig, SM2_DEFAULT_ID).is_err());
    assert!(ec.leaf.verify(DOC, &rsa.sig, SM2_DEFAULT_ID).is_err());
}

/// Detached CMS SignedData made by `openssl cms -sign -binary -outform DER`,
/// with and without signed attributes.
fn check_cms(p: &Pki) {
    openssl(&p.dir, &["x509", "-inform", "DER", "-in", "leaf.der", "-out", "leaf.pem"]);
    let sm2 = p.leaf.key_alg().unwrap() == KeyAlg::Sm2;
    for attrs in [true, false] {
        let out = if attrs { "attrs.p7s" } else { "noattr.p7s" };
        let mut args = vec![
            "cms", "-sign", "-binary", "-in", "doc.bin", "-signer", "leaf.pem", "-inkey",
            "leaf.key", "-outform", "DER", "-out", out,
        ];
        if !attrs {
            args.push("-noattr");
        }
        if sm2 {
            args.extend(["-md", "sm3"]);
        }
        if p.leaf.key_alg().unwrap() == KeyAlg::Ed25519 {
            // RFC 8419: Ed25519 in CMS digests the content with SHA-512.
            args.extend(["-md", "sha512"]);
        }
        let made = Command::new("openssl").args(&args).current_dir(&p.dir).output().unwrap();
        let optional = sm2 || p.leaf.key_alg().unwrap() == KeyAlg::Ed25519;
        if optional && !made.status.success() {
            // OpenSSL 3.0 cannot make every SM2 or Ed25519 CMS signature (e.g.
            // Ed25519 with signed attributes); those keys are covered by the
            // raw signatures above. RSA and ECDSA must always work.
            tenderlog_tests::skipped(&format!(
                "{:?} CMS made by openssl ({out}): {}",
                p.leaf.key_alg().unwrap(),
                String::from_utf8_lossy(&made.stderr).lines().next().unwrap_or("")
            ));
            continue;
        }
        assert!(
            made.status.success(),
            "openssl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&made.stderr)
        );
        let cms = std::fs::read(p.dir.join(out)).unwrap();
        let v = verify_detached_cms(&cms, DOC, SM2_DEFAULT_ID)
            .unwrap_or_else(|e| panic!("{out} of {:?}: {e}", p.leaf.key_alg()));
        assert_eq!(v.signer, p.leaf);
        assert_eq!(v.signed_attributes, attrs);
        assert_eq!(v.claimed_time_ms.is_some(), attrs, "openssl adds signingTime with attributes");
        let trust = TrustStore::new(vec![p.ca.clone()]).unwrap();
        trust.chain(&v.signer, &v.certificates, now_ms()).unwrap();
        // A tampered document fails.
        let mut doc = DOC.to_vec();
        doc[0] ^= 0x20;
        assert!(verify_detached_cms(&cms, &doc, SM2_DEFAULT_ID).is_err());
        // Every single-bit change of the message fails (parse or verify), sampled.
        let mut accepted = 0;
        for i in (0..cms.len() * 8).step_by(3) {
            let mut m = cms.clone();
            m[i / 8] ^= 1 << (i % 8);
            if let Ok(v) = verify_detached_cms(&m, DOC, SM2_DEFAULT_ID) {
                // Unsigned parts (e.g. the certificate set's other certificates,
                // or the signing time outside signed attributes) may change
                // without breaking the signature; the signer and its chain
                // must then still be the genuine ones.
                if v.signer != p.leaf || trust.chain(&v.signer, &v.certificates, now_ms()).is_err()
                {
                    continue;
                }
                accepted += 1;
            }
        }
        assert_eq!(
            accepted, 0,
            "{out}: {accepted} bit flips still verified with the genuine signer"
        );
    }
}

/// DER `SEQUENCE { r INTEGER, s INTEGER }` to 64-byte r‖s, by hand on
/// purpose: the independent view of what a signing device returns.
fn der_to_raw(der: &[u8]) -> Vec<u8> {
    assert_eq!(der[0], 0x30);
    let mut i = 2;
    let mut out = Vec::new();
    for _ in 0..2 {
        assert_eq!(der[i], 0x02);
        let len = der[i + 1] as usize;
        let mut int = &der[i + 2..i + 2 + len];
        while int.len() > 32 && int[0] == 0 {
            int = &int[1..];
        }
        out.extend(std::iter::repeat_n(0u8, 32 - int.len()));
        out.extend_from_slice(int);
        i += 2 + len;
    }
    out
}

#[test]
fn real_world_sm2_certificates() {
    let Some(v) = tenderlog_tests::vectors_dir("real-world SM2 certificates") else { return };
    let root =
        Cert::from_der(&std::fs::read(v.join("real-world/cert/ofdrw-root.cer")).unwrap()).unwrap();
    assert_eq!(root.key_alg().unwrap(), KeyAlg::Sm2);
    assert!(root.is_ca());
    // Self-signed, so it can stand as a trust anchor.
    let store = TrustStore::new(vec![root.clone()]).unwrap();
    assert_eq!(store.roots().len(), 1);
    let (nb, na) = root.validity_ms();
    assert!(nb < na);
    let dms =
        Cert::from_der(&std::fs::read(v.join("real-world/cert/dms360-selfsigned.cer")).unwrap())
            .unwrap();
    dms.verify_issued_by(&dms).unwrap();
    assert!(dms.verify_issued_by(&root).is_err());
    // Every single-bit change of the root's signature breaks its self-signature.
    let der = root.der().to_vec();
    let sig_at = der.len() - 64;
    for i in (sig_at * 8..der.len() * 8).step_by(7) {
        let mut d = der.clone();
        d[i / 8] ^= 1 << (i % 8);
        if let Ok(c) = Cert::from_der(&d) {
            assert!(c.verify_issued_by(&c).is_err(), "bit {i}");
        }
    }
}
