//! Every single-bit change of a cosigned checkpoint — its body, the log's
//! signature line, each witness's cosignature line (Ed25519 and ML-DSA-44)
//! — is refused by a verifier holding the log's key and a policy that
//! needs both witnesses: the note no longer parses, the log's signature
//! fails, or the quorum is not met.
#![allow(clippy::unwrap_used)]

use ed25519_dalek::SigningKey;
use verifier::cosignature::Cosigner;
use verifier::note::{Note, NoteSigner};
use verifier::witness_policy::WitnessPolicy;

#[test]
fn every_bit_flip_of_a_cosigned_checkpoint_is_refused() {
    let log =
        NoteSigner::new("ggzy.example.gov.cn/tenderlog", SigningKey::from_bytes(&[7; 32])).unwrap();
    let ed = Cosigner::new("witness.fgw.example.gov.cn", SigningKey::from_bytes(&[8; 32])).unwrap();
    let pq = Cosigner::mldsa44("witness.audit.example.gov.cn", &[9; 32]).unwrap();
    let note = log
        .sign("ggzy.example.gov.cn/tenderlog\n59\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")
        .unwrap();
    let cosigned = pq.cosign(&ed.cosign(&note, 1_796_000_000).unwrap(), 1_796_000_001).unwrap();
    let policy = WitnessPolicy::parse(&format!(
        "log {}\nwitness fgw {}\nwitness audit {}\ngroup both all fgw audit\nquorum both\n",
        log.verifier().vkey(),
        ed.public().vkey(),
        pq.public().vkey()
    ))
    .unwrap();
    let accepted = |bytes: &[u8]| {
        let Ok(n) = Note::parse(bytes) else { return false };
        n.verify(&log.verifier()).is_ok() && policy.check(&n).met
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
    assert!(flips > 8 * 3000, "the ML-DSA-44 line is in the note: {flips}");
}
