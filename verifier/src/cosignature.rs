//! C2SP `tlog-cosignature` v1 (Ed25519): a witness's signed statement that,
//! as of a time, the largest consistent tree head it has seen for a log has
//! the checkpoint's root. A cosignature is one more signature line on the
//! checkpoint note; its key ID and signed message differ from the log's, so
//! no log signature can pass for a cosignature or the reverse.
//!
//! Signed message: `cosignature/v1\n` `time <POSIX seconds>\n` then the whole
//! checkpoint body (extension lines included). Signature bytes after the key
//! ID: the timestamp as a big-endian u64, then the 64-byte Ed25519 signature.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::note::Note;

/// The key-ID algorithm byte of Ed25519 cosignatures (and their vkeys).
pub const ALG_COSIGNATURE_V1: u8 = 0x04;
/// The largest timestamp a cosignature may carry (2^63 − 1).
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;

/// `SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key)[:4]`.
pub fn key_id(name: &str, key: &VerifyingKey) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ALG_COSIGNATURE_V1]);
    h.update(key.as_bytes());
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// What a cosigner signs over `body` (a checkpoint's text, with its final
/// newline and no signature lines) at `timestamp`.
pub fn signed_message(body: &str, timestamp: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{body}").into_bytes()
}

/// A witness's public key, as a policy or a verifier is configured with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosignerKey {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

impl CosignerKey {
    /// The key of cosigner `name`.
    pub fn new(name: &str, key: VerifyingKey) -> Result<CosignerKey, Error> {
        if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == '+') {
            return Err(Error::VerifierKey("invalid key name"));
        }
        Ok(CosignerKey { name: name.to_owned(), key_id: key_id(name, &key), key })
    }

    /// Parses `<name>+<hex key id>+<base64(0x04 ‖ key)>`; the ID must match.
    pub fn parse(vkey: &str) -> Result<CosignerKey, Error> {
        let (name, id, pk) = crate::note::parse_vkey(
            vkey,
            ALG_COSIGNATURE_V1,
            "not an Ed25519 cosigner key (type 0x04, 32 bytes); a log's key has type 0x01",
        )?;
        let key =
            VerifyingKey::from_bytes(&pk).map_err(|_| Error::VerifierKey("invalid Ed25519 key"))?;
        let k = CosignerKey::new(name, key)?;
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

    /// Whether `other` wraps the same public key (a policy's duplicate).
    pub fn same_key(&self, other: &CosignerKey) -> bool {
        self.key == other.key
    }

    /// The vkey text.
    pub fn vkey(&self) -> String {
        let mut raw = vec![ALG_COSIGNATURE_V1];
        raw.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.key_id, B64.encode(raw))
    }

    /// The time of this cosigner's valid cosignature on `note`. Lines of
    /// other keys are ignored; one of this key that does not verify (or a
    /// note it did not cosign) is an error.
    pub fn verify(&self, note: &Note) -> Result<u64, Error> {
        let bad = || Error::NoteSignature { name: self.name.clone() };
        let mut time = None;
        for sig in note.signatures.iter().filter(|s| s.name == self.name && s.key_id == self.key_id)
        {
            let raw: &[u8; 72] = sig.signature.as_slice().try_into().map_err(|_| bad())?;
            let (ts, signature) = raw.split_at(8);
            let ts = u64::from_be_bytes(ts.try_into().map_err(|_| bad())?);
            if ts > MAX_TIMESTAMP {
                return Err(bad());
            }
            let signature = ed25519_dalek::Signature::from_slice(signature).map_err(|_| bad())?;
            self.key
                .verify_strict(&signed_message(&note.text, ts), &signature)
                .map_err(|_| bad())?;
            time = Some(time.map_or(ts, |t: u64| t.max(ts)));
        }
        time.ok_or_else(|| Error::NoteUnsigned { name: self.name.clone(), id: self.key_id })
    }
}

/// A witness's signing key.
pub struct Cosigner {
    public: CosignerKey,
    key: SigningKey,
}

impl std::fmt::Debug for Cosigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cosigner({}+{:08x})", self.public.name, self.public.key_id)
    }
}

impl Cosigner {
    /// Cosigner `name` with `key`.
    pub fn new(name: &str, key: SigningKey) -> Result<Cosigner, Error> {
        Ok(Cosigner { public: CosignerKey::new(name, key.verifying_key())?, key })
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
        let sig = self.key.sign(&signed_message(body, timestamp));
        let mut raw = Vec::with_capacity(76);
        raw.extend_from_slice(&self.public.key_id.to_be_bytes());
        raw.extend_from_slice(&timestamp.to_be_bytes());
        raw.extend_from_slice(&sig.to_bytes());
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

    #[test]
    fn a_cosignature_verifies_with_its_time_and_every_bit_flip_is_refused() {
        let (log, note) = signed();
        let w = Cosigner::new("witness.example/w1", SigningKey::from_bytes(&[2; 32])).unwrap();
        let cosigned = w.cosign(&note, 1_679_315_147).unwrap();
        let parsed = Note::parse(cosigned.as_bytes()).unwrap();
        assert_eq!(w.public().verify(&parsed).unwrap(), 1_679_315_147);
        // The log's own signature still verifies; neither passes for the other.
        assert!(parsed.verify(&log.verifier()).is_ok());
        assert_eq!(CosignerKey::parse(&w.public().vkey()).unwrap(), *w.public());
        let line_start = note.len();
        for at in line_start..cosigned.len() {
            for bit in 0..8 {
                let mut bad = cosigned.clone().into_bytes();
                bad[at] ^= 1 << bit;
                let Ok(p) = Note::parse(&bad) else { continue };
                assert!(w.public().verify(&p).is_err(), "byte {at} bit {bit}");
            }
        }
        // A different body, or the same key under another name: refused.
        let other = Note::parse(cosigned.replace("\n7\n", "\n8\n").as_bytes()).unwrap();
        assert!(w.public().verify(&other).is_err());
        let renamed = CosignerKey::new("witness.example/w2", w.public().key).unwrap();
        assert!(renamed.verify(&parsed).is_err());
        // A log key is not a cosigner key.
        assert!(CosignerKey::parse(&log.verifier().vkey()).is_err());
    }
}
