//! C2SP tlog-cosignature v1.1 (Ed25519 and ML-DSA-44) against an
//! independent implementation written from the spec alone
//! (tests/py/cosign.py, Python's `cryptography`): its key ID and vkey equal
//! ours, its cosignature verifies here with the time it carries, ours
//! verifies there, and one changed byte of the body fails both. Skipped (and says so) where python3 with `cryptography` is missing,
//! unless `TENDERLOG_REQUIRE_FIXTURES` is set (CI sets it).
#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use ed25519_dalek::SigningKey;
use verifier::cosignature::{Cosigner, CosignerKey};
use verifier::note::{Note, NoteSigner};

fn have_python() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import cryptography.hazmat.primitives.asymmetric.ed25519, cryptography.hazmat.primitives.asymmetric.mldsa"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("TENDERLOG_REQUIRE_FIXTURES").is_none(),
            "TENDERLOG_REQUIRE_FIXTURES is set but python3 with cryptography (46 or later, for ML-DSA) is missing (pip install -r tests/py/requirements.txt)"
        );
        tenderlog_tests::skipped("python3 with cryptography is not installed");
    }
    ok
}

fn py(args: &[&str], stdin: &str) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("py").join("cosign.py");
    let mut child = Command::new("python3")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    (o.status.success(), String::from_utf8(o.stdout).unwrap())
}

fn log_note() -> String {
    let log =
        NoteSigner::new("ggzy.example.gov.cn/tenderlog", SigningKey::from_bytes(&[9; 32])).unwrap();
    log.sign("ggzy.example.gov.cn/tenderlog\n42\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")
        .unwrap()
}

/// Both directions for one algorithm. Ed25519 is deterministic, so both
/// sides write the same bytes; `cryptography` hedges ML-DSA-44 signatures.
fn agree(alg: &str, ours: &Cosigner, seed: [u8; 32]) {
    let name = ours.public().name();
    let (ok, vkey) = py(&["vkey", alg, name, &hex::encode(seed)], "");
    assert!(ok);
    assert_eq!(vkey.trim(), ours.public().vkey(), "{alg}: the same key ID and vkey");
    let note = log_note();

    // Theirs verifies here, with its time.
    let (ok, theirs) = py(&["sign", alg, name, &hex::encode(seed), "1796000000"], &note);
    assert!(ok);
    let key = CosignerKey::parse(vkey.trim()).unwrap();
    assert_eq!(key.verify(&Note::parse(theirs.as_bytes()).unwrap()).unwrap(), 1_796_000_000);
    if alg == "ed25519" {
        // Ed25519 is deterministic: both wrote the same line.
        assert_eq!(theirs, ours.cosign(&note, 1_796_000_000).unwrap());
    }

    // Ours verifies there; a changed body or timestamp fails both.
    let mine = ours.cosign(&note, 1_796_000_123).unwrap();
    let (ok, ts) = py(&["verify", vkey.trim()], &mine);
    assert!(ok, "{alg}: ours verifies in Python");
    assert_eq!(ts.trim(), "1796000123");
    let changed = mine.replace("\n42\n", "\n43\n");
    assert!(!py(&["verify", vkey.trim()], &changed).0);
    assert!(key.verify(&Note::parse(changed.as_bytes()).unwrap()).is_err());
}

#[test]
fn ed25519_cosignatures_agree_with_an_independent_implementation() {
    if !have_python() {
        return;
    }
    let seed = [0x5c; 32];
    let ours = Cosigner::new("witness.fgw.example.gov.cn", SigningKey::from_bytes(&seed)).unwrap();
    agree("ed25519", &ours, seed);
}

#[test]
fn mldsa44_cosignatures_agree_with_an_independent_implementation() {
    if !have_python() {
        return;
    }
    let seed = [0x6d; 32];
    let ours = Cosigner::mldsa44("witness.fgw.example.gov.cn", &seed).unwrap();
    agree("mldsa44", &ours, seed);
}

/// The log's own ML-DSA-44 signature on its checkpoints (a `subtree/v1`
/// cosignature named for its origin), as a real log writes it, verifies in
/// Python against the vkey in `log-mldsa44.vkey`; with the root changed, it
/// does not.
#[test]
fn a_logs_own_mldsa44_checkpoint_signature_verifies_in_python() {
    use verifier::event::{Body, Content, Schedule};
    if !have_python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let origin = "ggzy.example.gov.cn/tenderlog";
    ledger::init(dir, origin, &ledger::ManualClock::new(1_796_000_000_000)).unwrap();
    let config = ledger::AppenderConfig {
        clock: std::sync::Arc::new(ledger::ManualClock::new(1_796_000_042_000)),
        stamp_checkpoints: false,
        ..ledger::AppenderConfig::default()
    };
    let appender = ledger::Appender::open(dir, config).unwrap();
    let when = 1_900_000_000_000;
    let content = Content {
        tender: "ZB-PQ".into(),
        principal: "agency".into(),
        body: Body::Schedule(Schedule::new(when, when)),
    };
    let answer = appender.append(vec![content]).unwrap().pop().unwrap().unwrap();
    assert_eq!(appender.shutdown(), None);
    let note = answer.checkpoint.note.clone();
    let vkey = std::fs::read_to_string(ledger::keys::post_quantum_vkey_path(dir)).unwrap();
    let (ok, ts) = py(&["verify", vkey.trim()], &note);
    assert!(ok, "the log's ML-DSA-44 line verifies in Python:\n{note}");
    assert_eq!(ts.trim(), "1796000042");
    let root = answer.checkpoint.checkpoint.root.to_base64();
    let other = verifier::EMPTY_ROOT.to_base64();
    assert!(!py(&["verify", vkey.trim()], &note.replace(&root, &other)).0);
    // The empty tree's checkpoint `init` signed, too.
    let first = ledger::Store::open(dir).unwrap().checkpoint_at(0).unwrap().unwrap();
    assert!(py(&["verify", vkey.trim()], &first).0, "{first}");
}
