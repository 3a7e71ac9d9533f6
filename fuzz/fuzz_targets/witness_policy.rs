//! Witness policies and cosigner keys (files a regulator or an arbitrator
//! hands the verifier): reading never panics, and a policy that parses
//! checks a cosigned note without panicking; a quorum of `none` is always
//! met, a named one never by a note no listed witness cosigned.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verifier::cosignature::CosignerKey;
use verifier::note::{Note, NoteSigner};
use verifier::witness_policy::WitnessPolicy;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = CosignerKey::parse(text);
    if let Ok(p) = WitnessPolicy::parse(text) {
        let log = ed25519_dalek::SigningKey::from_bytes(&[0x5a; 32]);
        let Ok(signer) = NoteSigner::new("fuzz.example/log", log) else { return };
        let Ok(note) =
            signer.sign("fuzz.example/log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")
        else {
            return;
        };
        let Ok(note) = Note::parse(note.as_bytes()) else { return };
        let c = p.check(&note);
        assert!(c.cosigned.is_empty());
        // Groups have a member and k ≥ 1: only `none` is met by nobody.
        assert_eq!(c.met, p.quorum() == "none");
    }
});
