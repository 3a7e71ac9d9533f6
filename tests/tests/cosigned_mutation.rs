//! Every single-bit change of a cosigned checkpoint — its body, the log's
//! two signature lines (Ed25519 and its own ML-DSA-44), each witness's
//! cosignature line (Ed25519 and ML-DSA-44) — is refused by a verifier
//! holding both of the log's keys and a policy that needs both witnesses:
//! the note no longer parses, a log signature fails, or the quorum is not
//! met.
#![allow(clippy::unwrap_used)]

use ed25519_dalek::SigningKey;
use verifier::checkpoint::SignedCheckpoint;
use verifier::cosignature::Cosigner;
use verifier::log_keys::LogKeys;
use verifier::note::{Note, NoteSigner};
use verifier::witness_policy::WitnessPolicy;

#[test]
fn every_bit_flip_of_a_cosigned_checkpoint_is_refused() {
    let log =
        NoteSigner::new("ggzy.example.gov.cn/tenderlog", SigningKey::from_bytes(&[7; 32])).unwrap();
    let ed = Cosigner::new("witness.fgw.example.gov.cn", SigningKey::from_bytes(&[8; 32])).unwrap();
    let pq = Cosigner::mldsa44("witness.audit.example.gov.cn", &[9; 32]).unwrap();
    let log_pq = Cosigner::mldsa44("ggzy.example.gov.cn/tenderlog", &[6; 32]).unwrap();
    let keys = LogKeys::from(log.verifier()).with_post_quantum(vec![log_pq.public().clone()]);
    let log_vkey = log.verifier().vkey();
    let log = ledger::keys::LogSigner::new(log, Some(log_pq));
    let note = log
        .sign_checkpoint(
            "ggzy.example.gov.cn/tenderlog\n59\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
            1_795_999_999_000,
        )
        .unwrap();
    let cosigned = pq.cosign(&ed.cosign(&note, 1_796_000_000).unwrap(), 1_796_000_001).unwrap();
    let policy = WitnessPolicy::parse(&format!(
        "log {}\nwitness fgw {}\nwitness audit {}\ngroup both all fgw audit\nquorum both\n",
        log_vkey,
        ed.public().vkey(),
        pq.public().vkey()
    ))
    .unwrap();
    let accepted = |bytes: &[u8]| {
        let Ok(n) = Note::parse(bytes) else { return false };
        SignedCheckpoint::verify(bytes, &keys).is_ok() && policy.check(&n).met
    };
    assert!(accepted(cosigned.as_bytes()), "the unchanged note is accepted");
    let mut flips = 0;
    for at in 0..cosigned.len() {
        for bit in 0..8 {
            let mut bad = cosigned.clone().into_bytes();
            bad[at] ^= 1 << bit;
            assert!(!accepted(&bad), "byte {at} bit {bit} was not refused");
            flips += 1;
        }
    }
    assert_eq!(Note::parse(cosigned.as_bytes()).unwrap().signatures.len(), 4);
    assert!(flips > 8 * 6000, "both ML-DSA-44 lines are in the note: {flips}");
}
