//! C2SP `tlog-cosignature` v1.1: a cosigner's signed statement that, as of
//! a time, the largest consistent tree head it has seen for a log has the
//! checkpoint's root. A cosignature is one more signature line on the
//! checkpoint note; its key ID and signed message differ from a log's
//! Ed25519 signature, so neither can pass for the other.
//!
//! Two algorithms, each with its own key-ID byte and signed message:
//!
//! * **Ed25519** (`0x04`): `cosignature/v1\n` `time <POSIX seconds>\n`
//!   then the whole checkpoint body (extension lines included).
//! * **ML-DSA-44** (`0x06`, post-quantum): the binary `subtree/v1`
//!   message — label `subtree/v1\n\0`, the cosigner's name and the log's
//!   origin each with a one-byte length, the timestamp, `start` 0, `end` the
//!   tree size, the root hash — signed with FIPS 204 ML-DSA-44 and an empty
//!   context. It names the cosigner and does not cover extension lines.
//!
//! The signature bytes after the key ID are the timestamp as a big-endian
//! u64, then the 64- or 2420-byte signature. The log signs its own
//! checkpoints with an ML-DSA-44 "cosignature" too (the checkpoint spec
//! recommends it): the same code under the log's name.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use libcrux_ml_dsa::ml_dsa_44;
use sha2::{Digest, Sha256};

use crate::Error;
use crate::checkpoint::Checkpoint;
use crate::note::Note;

/// The key-ID algorithm byte of Ed25519 cosignatures (and their vkeys).
pub const ALG_COSIGNATURE_V1: u8 = 0x04;
/// The key-ID algorithm byte of ML-DSA-44 subtree cosignatures.
pub const ALG_MLDSA44: u8 = 0x06;
/// The largest timestamp a cosignature may carry (2^63 − 1).
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;
/// Bytes of an ML-DSA-44 public key.
pub const MLDSA44_PUBLIC_KEY_BYTES: usize = 1312;
/// Bytes of an ML-DSA-44 signature.
pub const MLDSA44_SIGNATURE_BYTES: usize = 2420;

/// The cosignature algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// `cosignature/v1`, Ed25519.
    Ed25519,
    /// `subtree/v1`, ML-DSA-44.
    MlDsa44,
}

impl Algorithm {
    /// Its key-ID (and vkey) byte.
    pub fn byte(self) -> u8 {
        match self {
            Algorithm::Ed25519 => ALG_COSIGNATURE_V1,
            Algorithm::MlDsa44 => ALG_MLDSA44,
        }
    }

    /// Its name as reports show it.
    pub fn label(self) -> &'static str {
        match self {
            Algorithm::Ed25519 => "Ed25519",
            Algorithm::MlDsa44 => "ML-DSA-44",
        }
    }
}

fn key_id_of(name: &str, alg: u8, key: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', alg]);
    h.update(key);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// `SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key)[:4]`.
pub fn key_id(name: &str, key: &VerifyingKey) -> u32 {
    key_id_of(name, ALG_COSIGNATURE_V1, key.as_bytes())
}

/// What an Ed25519 cosigner signs over `body` (a checkpoint's text, with
/// its final newline and no signature lines) at `timestamp`.
pub fn signed_message(body: &str, timestamp: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{body}").into_bytes()
}

/// The ML-DSA-44 `cosigned_message` for cosigner `name` over checkpoint
/// `body` at `timestamp` (a whole tree: start 0, end its size).
pub fn subtree_message(name: &str, body: &str, timestamp: u64) -> Result<Vec<u8>, Error> {
    let c = Checkpoint::parse_text(body)?;
    if name.is_empty() || name.len() > 255 || c.origin.len() > 255 {
        return Err(Error::NoteFormat("a cosigner name or origin of more than 255 bytes"));
    }
    let mut m = Vec::with_capacity(12 + 1 + name.len() + 8 + 1 + c.origin.len() + 16 + 32);
    m.extend_from_slice(b"subtree/v1\n\0");
    m.push(name.len() as u8);
    m.extend_from_slice(name.as_bytes());
    m.extend_from_slice(&timestamp.to_be_bytes());
    m.push(c.origin.len() as u8);
    m.extend_from_slice(c.origin.as_bytes());
    m.extend_from_slice(&0u64.to_be_bytes());
    m.extend_from_slice(&c.size.to_be_bytes());
    m.extend_from_slice(&c.root.0);
    Ok(m)
}

#[derive(Clone)]
enum PublicKey {
    Ed25519(VerifyingKey),
    /// The encoded key (FIPS 204 pkEncode).
    MlDsa44(Box<ml_dsa_44::MLDSA44VerificationKey>),
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({})", self.algorithm().label(), B64.encode(self.bytes()))
    }
}

impl PublicKey {
    fn algorithm(&self) -> Algorithm {
        match self {
            PublicKey::Ed25519(_) => Algorithm::Ed25519,
            PublicKey::MlDsa44(..) => Algorithm::MlDsa44,
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            PublicKey::Ed25519(k) => k.as_bytes(),
            PublicKey::MlDsa44(key) => key.as_slice(),
        }
    }

    fn mldsa(raw: &[u8]) -> Result<PublicKey, Error> {
        let raw: [u8; MLDSA44_PUBLIC_KEY_BYTES] =
            raw.try_into().map_err(|_| Error::VerifierKey("an ML-DSA-44 key has 1312 bytes"))?;
        Ok(PublicKey::MlDsa44(Box::new(ml_dsa_44::MLDSA44VerificationKey::new(raw))))
    }
}

/// A cosigner's public key, as a policy or a verifier is configured with it.
#[derive(Clone, Debug)]
pub struct CosignerKey {
    name: String,
    key_id: u32,
    key: PublicKey,
}

impl PartialEq for CosignerKey {
    fn eq(&self, other: &CosignerKey) -> bool {
        self.name == other.name && self.same_key(other)
    }
}

impl Eq for CosignerKey {}

impl CosignerKey {
    /// The Ed25519 key of cosigner `name`.
    pub fn new(name: &str, key: VerifyingKey) -> Result<CosignerKey, Error> {
        CosignerKey::with(name, PublicKey::Ed25519(key))
    }

    /// The ML-DSA-44 key (its 1312-byte encoding) of cosigner `name`.
    pub fn mldsa44(name: &str, key: &[u8]) -> Result<CosignerKey, Error> {
        CosignerKey::with(name, PublicKey::mldsa(key)?)
    }

    fn with(name: &str, key: PublicKey) -> Result<CosignerKey, Error> {
        if !crate::note::valid_key_name(name) || name.len() > 255 {
            return Err(Error::VerifierKey("invalid key name"));
        }
        let key_id = key_id_of(name, key.algorithm().byte(), key.bytes());
        Ok(CosignerKey { name: name.to_owned(), key_id, key })
    }

    /// Parses `<name>+<hex key id>+<base64(alg ‖ key)>` with `alg` 0x04
    /// (Ed25519) or 0x06 (ML-DSA-44); the ID must match.
    pub fn parse(vkey: &str) -> Result<CosignerKey, Error> {
        let (name, id, alg, raw) = crate::note::split_vkey(vkey)?;
        let key = match alg {
            ALG_COSIGNATURE_V1 => {
                let pk: [u8; 32] = raw
                    .try_into()
                    .map_err(|_| Error::VerifierKey("an Ed25519 key has 32 bytes"))?;
                PublicKey::Ed25519(
                    VerifyingKey::from_bytes(&pk)
                        .map_err(|_| Error::VerifierKey("invalid Ed25519 key"))?,
                )
            }
            ALG_MLDSA44 => PublicKey::mldsa(&raw)?,
            _ => {
                return Err(Error::VerifierKey(
                    "not a cosigner key (type 0x04 Ed25519 or 0x06 ML-DSA-44); a log's Ed25519 key has type 0x01",
                ));
            }
        };
        let k = CosignerKey::with(name, key)?;
        if k.key_id != id {
            return Err(Error::VerifierKey("key ID does not match the key"));
        }
        Ok(k)
    }

    /// The cosigner's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID its signature lines carry.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// Its algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.key.algorithm()
    }

    /// Whether `other` wraps the same public key (a policy's duplicate).
    pub fn same_key(&self, other: &CosignerKey) -> bool {
        self.algorithm() == other.algorithm() && self.key.bytes() == other.key.bytes()
    }

    /// The vkey text.
    pub fn vkey(&self) -> String {
        let mut raw = vec![self.algorithm().byte()];
        raw.extend_from_slice(self.key.bytes());
        format!("{}+{:08x}+{}", self.name, self.key_id, B64.encode(raw))
    }

    /// Whether `line` (the bytes after the key ID) is a valid cosignature of
    /// checkpoint `body`; its timestamp if so.
    fn verify_line(&self, body: &str, line: &[u8]) -> Option<u64> {
        let (ts, signature) = line.split_first_chunk::<8>()?;
        let ts = u64::from_be_bytes(*ts);
        if ts > MAX_TIMESTAMP {
            return None;
        }
        match &self.key {
            PublicKey::Ed25519(key) => {
                let signature = ed25519_dalek::Signature::from_slice(signature).ok()?;
                key.verify_strict(&signed_message(body, ts), &signature).ok()?;
            }
            PublicKey::MlDsa44(key) => {
                let signature: [u8; MLDSA44_SIGNATURE_BYTES] = signature.try_into().ok()?;
                let signature = ml_dsa_44::MLDSA44Signature::new(signature);
                let message = subtree_message(&self.name, body, ts).ok()?;
                // FIPS 204 ML-DSA.Verify with an empty context.
                ml_dsa_44::verify(key, &message, b"", &signature).ok()?;
            }
        }
        Some(ts)
    }

    /// The time of this cosigner's valid cosignature on `note`. Lines of
    /// other keys are ignored; one of this key that does not verify (or a
    /// note it did not cosign) is an error.
    pub fn verify(&self, note: &Note) -> Result<u64, Error> {
        let mut time = None;
        for sig in note.signatures.iter().filter(|s| s.name == self.name && s.key_id == self.key_id)
        {
            let ts = self
                .verify_line(&note.text, &sig.signature)
                .ok_or_else(|| Error::NoteSignature { name: self.name.clone() })?;
            time = Some(time.map_or(ts, |t: u64| t.max(ts)));
        }
        time.ok_or_else(|| Error::NoteUnsigned { name: self.name.clone(), id: self.key_id })
    }
}

enum SecretKey {
    Ed25519(Box<SigningKey>),
    MlDsa44(Box<ml_dsa_44::MLDSA44SigningKey>),
}

/// A cosigner's signing key (a witness's, or a log's ML-DSA-44 key).
pub struct Cosigner {
    public: CosignerKey,
    key: SecretKey,
}

impl std::fmt::Debug for Cosigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cosigner({}+{:08x})", self.public.name, self.public.key_id)
    }
}

impl Cosigner {
    /// Ed25519 cosigner `name` with `key`.
    pub fn new(name: &str, key: SigningKey) -> Result<Cosigner, Error> {
        Ok(Cosigner {
            public: CosignerKey::new(name, key.verifying_key())?,
            key: SecretKey::Ed25519(Box::new(key)),
        })
    }

    /// ML-DSA-44 cosigner `name` with the key FIPS 204 derives from `seed`
    /// (the 32-byte ξ of `ML-DSA.KeyGen_internal`, the form keys are kept in).
    pub fn mldsa44(name: &str, seed: &[u8; 32]) -> Result<Cosigner, Error> {
        let pair = ml_dsa_44::generate_key_pair(*seed);
        Ok(Cosigner {
            public: CosignerKey::mldsa44(name, pair.verification_key.as_slice())?,
            key: SecretKey::MlDsa44(Box::new(pair.signing_key)),
        })
    }

    /// Its public key.
    pub fn public(&self) -> &CosignerKey {
        &self.public
    }

    /// The signature line (with its newline) cosigning checkpoint `body` at
    /// `timestamp`.
    pub fn line(&self, body: &str, timestamp: u64) -> Result<String, Error> {
        if timestamp > MAX_TIMESTAMP {
            return Err(Error::NoteFormat("cosignature timestamp above 2^63 - 1"));
        }
        let mut raw = Vec::with_capacity(12 + MLDSA44_SIGNATURE_BYTES);
        raw.extend_from_slice(&self.public.key_id.to_be_bytes());
        raw.extend_from_slice(&timestamp.to_be_bytes());
        match &self.key {
            SecretKey::Ed25519(key) => {
                raw.extend_from_slice(&key.sign(&signed_message(body, timestamp)).to_bytes());
            }
            SecretKey::MlDsa44(key) => {
                let message = subtree_message(&self.public.name, body, timestamp)?;
                // FIPS 204's deterministic variant (rnd = 0, empty context):
                // the same key and message always give the same line.
                let sig = ml_dsa_44::sign(key, &message, b"", [0; 32])
                    .map_err(|_| Error::NoteFormat("ML-DSA-44 signing failed"))?;
                raw.extend_from_slice(sig.as_slice());
            }
        }
        Ok(format!("\u{2014} {} {}\n", self.public.name, B64.encode(raw)))
    }

    /// `note` (a signed checkpoint) with this cosigner's line added.
    pub fn cosign(&self, note: &str, timestamp: u64) -> Result<String, Error> {
        let parsed = Note::parse(note.as_bytes())?;
        Ok(format!("{note}{}", self.line(&parsed.text, timestamp)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::NoteSigner;

    fn signed() -> (NoteSigner, String) {
        let log = NoteSigner::new("example.com/log", SigningKey::from_bytes(&[1; 32])).unwrap();
        let note = log.sign("example.com/log\n7\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
        (log, note.unwrap())
    }

    fn cosigners() -> [Cosigner; 2] {
        [
            Cosigner::new("witness.example/w1", SigningKey::from_bytes(&[2; 32])).unwrap(),
            Cosigner::mldsa44("witness.example/w1", &[3; 32]).unwrap(),
        ]
    }

    #[test]
    fn a_cosignature_verifies_with_its_time_and_every_bit_flip_is_refused() {
        let (log, note) = signed();
        for w in cosigners() {
            let cosigned = w.cosign(&note, 1_679_315_147).unwrap();
            let parsed = Note::parse(cosigned.as_bytes()).unwrap();
            assert_eq!(w.public().verify(&parsed).unwrap(), 1_679_315_147);
            // The log's own signature still verifies; neither passes for the other.
            assert!(parsed.verify(&log.verifier()).is_ok());
            assert_eq!(CosignerKey::parse(&w.public().vkey()).unwrap(), *w.public());
            let line_start = note.len();
            // Every bit of an Ed25519 line; for ML-DSA-44 (3,000 bytes) every
            // bit of the header, key ID and timestamp and one bit a byte after.
            for at in line_start..cosigned.len() {
                let bits = if w.public().algorithm() == Algorithm::MlDsa44 && at > line_start + 80 {
                    vec![(at % 8) as u32]
                } else {
                    (0..8).collect()
                };
                for bit in bits {
                    let mut bad = cosigned.clone().into_bytes();
                    bad[at] ^= 1 << bit;
                    let Ok(p) = Note::parse(&bad) else { continue };
                    assert!(w.public().verify(&p).is_err(), "byte {at} bit {bit}");
                }
            }
            // A different body, or the same key under another name: refused.
            let other = Note::parse(cosigned.replace("\n7\n", "\n8\n").as_bytes()).unwrap();
            assert!(w.public().verify(&other).is_err());
            let renamed = CosignerKey::with("witness.example/w2", w.public().key.clone()).unwrap();
            assert!(renamed.verify(&parsed).is_err());
            // A log key is not a cosigner key.
            assert!(CosignerKey::parse(&log.verifier().vkey()).is_err());
        }
    }

    #[test]
    fn the_two_algorithms_are_told_apart() {
        let (_, note) = signed();
        let [ed, pq] = cosigners();
        assert_ne!(ed.public().key_id(), pq.public().key_id());
        let both = pq.cosign(&ed.cosign(&note, 5).unwrap(), 6).unwrap();
        let parsed = Note::parse(both.as_bytes()).unwrap();
        assert_eq!(ed.public().verify(&parsed).unwrap(), 5);
        assert_eq!(pq.public().verify(&parsed).unwrap(), 6);
        // ML-DSA-44 does not sign extension lines; Ed25519 does.
        let body = "example.com/log\n7\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        assert_eq!(
            subtree_message("w", body, 1).unwrap(),
            subtree_message("w", &format!("{body}ext\n"), 1).unwrap()
        );
        assert_ne!(signed_message(body, 1), signed_message(&format!("{body}ext\n"), 1));
        assert!(CosignerKey::mldsa44("w", &[0; 31]).is_err());
    }
}
