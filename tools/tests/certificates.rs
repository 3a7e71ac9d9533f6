//! Certificate events end to end, with certificates made by `openssl`: a
//! trader certificate is registered only when a trusted CA issued it and its
//! subject carries a valid USCC; refusals name the reason and log nothing.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{err, init, out, run};

use tenderlog_tests::fixtures::openssl;

/// A CA named `ca` and a trader leaf under it whose subject carries `uscc`.
fn pki(dir: &Path, ca: &str, uscc: &str) -> (Vec<u8>, Vec<u8>) {
    let p = |s: &str| format!("{ca}-{s}");
    tenderlog_tests::fixtures::p256_key(dir, &p("ca.key"));
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            &p("ca.key"),
            "-days",
            "3650",
            "-subj",
            &format!("/CN={ca} root"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
            "-outform",
            "DER",
            "-out",
            &p("ca.der"),
        ],
    );
    openssl(dir, &["x509", "-inform", "DER", "-in", &p("ca.der"), "-out", &p("ca.pem")]);
    tenderlog_tests::fixtures::p256_key(dir, &p("leaf.key"));
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-key",
            &p("leaf.key"),
            "-utf8",
            "-subj",
            &format!("/C=CN/O=某某建设有限公司/serialNumber={uscc}/CN=trader"),
            "-out",
            &p("leaf.csr"),
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &p("leaf.csr"),
            "-CA",
            &p("ca.pem"),
            "-CAkey",
            &p("ca.key"),
            "-set_serial",
            "9",
            "-days",
            "365",
            "-outform",
            "DER",
            "-out",
            &p("leaf.der"),
        ],
    );
    (std::fs::read(dir.join(p("ca.der"))).unwrap(), std::fs::read(dir.join(p("leaf.der"))).unwrap())
}

fn line(der: &[u8], uscc: &str) -> String {
    use base64::Engine as _;
    serde_json::json!({
        "kind": "certificate", "principal": "ca-registry",
        "body": {
            "der": base64::engine::general_purpose::STANDARD.encode(der),
            "cert_kind": "trader", "uscc": uscc, "unit_name": "某某建设有限公司",
            "lifecycle": "issued", "effective_ms": 1_790_000_000_000u64,
        },
    })
    .to_string()
        + "\n"
}

#[test]
fn trader_certificates_are_registered_only_when_trusted_and_valid() {
    if Command::new("openssl").arg("version").output().is_err() {
        tenderlog_tests::skipped("the openssl command is not installed");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("log");
    init(&dir, "pki.example/log");
    let d = dir.to_str().unwrap();
    let uscc = "91350100M000100Y43";
    let (ca, leaf) = pki(t.path(), "good", uscc);
    let (_, foreign) = pki(t.path(), "foreign", uscc);
    let checkpoint = || out(&run(&["checkpoint", "--data", d], ""));
    let before = checkpoint();

    // No trusted root yet: refused, with the command that fixes it.
    let o = run(&["append", "--data", d], &line(&leaf, uscc));
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("tenderlog trust add-ca"), "{}", err(&o));
    assert_eq!(checkpoint(), before);

    std::fs::write(t.path().join("ca.der"), &ca).unwrap();
    let o = run(&["trust", "add-ca", "--data", d, t.path().join("ca.der").to_str().unwrap()], "");
    assert!(o.status.success(), "{}", err(&o));
    let o = run(&["trust", "list", "--data", d], "");
    assert!(out(&o).contains("good root"));

    // A USCC with a wrong check character, or one the subject does not carry.
    for (bad, why) in
        [("91350100M000100Y44", "check character"), ("91110000600037341L", "does not carry USCC")]
    {
        let o = run(&["append", "--data", d], &line(&leaf, bad));
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert!(err(&o).contains(why), "{bad}: {}", err(&o));
    }
    // Issued by a CA that is not trusted.
    let o = run(&["append", "--data", d], &line(&foreign, uscc));
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("no trusted or intermediate CA"), "{}", err(&o));
    assert_eq!(checkpoint(), before, "refusals logged nothing");

    // The genuine one is registered.
    let o = run(&["append", "--data", d], &line(&leaf, uscc));
    assert!(o.status.success(), "{}", err(&o));
    let o = run(&["entry", "--data", d, "--index", "0"], "");
    let e: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(e["event"]["kind"], "certificate");
    assert_eq!(e["event"]["body"]["uscc"], uscc);
    assert!(run(&["audit", "--data", d], "").status.success());
}
