//! C2SP `signed-note`: parsing, Ed25519 signing and verification, verifier keys.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::Error;

/// Upper bound on a signed note's size; far above any checkpoint with 16
/// post-quantum cosignatures, well below anything that hurts to parse.
pub const MAX_NOTE_BYTES: usize = 128 * 1024;
/// Upper bound on signature lines in one note (the spec asks for at least 16).
pub const MAX_SIGNATURES: usize = 64;

/// The signature type byte of Ed25519 note signatures.
pub const ALG_ED25519: u8 = 0x01;

/// One signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The key ID: first four bytes of the decoded signature.
    pub key_id: u32,
    /// The signature bytes after the key ID.
    pub signature: Vec<u8>,
}

/// A parsed (not yet verified) signed note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The signed text, including its final newline.
    pub text: String,
    /// The signature lines, in order.
    pub signatures: Vec<NoteSignature>,
}

pub(crate) fn valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

impl Note {
    /// Parses a signed note, strictly: UTF-8, no control characters other than
    /// newline, text ending in a newline, a blank separator line, then one or
    /// more `— name base64` lines, each ending in a newline.
    pub fn parse(bytes: &[u8]) -> Result<Note, Error> {
        if bytes.len() > MAX_NOTE_BYTES {
            return Err(Error::NoteFormat("note is too large"));
        }
        let s = std::str::from_utf8(bytes).map_err(|_| Error::NoteFormat("not UTF-8"))?;
        if s.chars().any(|c| c < ' ' && c != '\n') {
            return Err(Error::NoteFormat("contains a control character"));
        }
        // The text is separated from the signatures by the last blank line.
        let sep = s.rfind("\n\n").ok_or(Error::NoteFormat("no blank line before signatures"))?;
        let text = &s[..sep + 1];
        let sigs = &s[sep + 2..];
        if !sigs.ends_with('\n') {
            return Err(Error::NoteFormat("signature block does not end in a newline"));
        }
        let mut signatures = Vec::new();
        for line in sigs[..sigs.len() - 1].split('\n') {
            if signatures.len() == MAX_SIGNATURES {
                return Err(Error::NoteFormat("too many signatures"));
            }
            let rest = line
                .strip_prefix("\u{2014} ")
                .ok_or(Error::NoteFormat("signature line does not start with an em dash"))?;
            let (name, b64) =
                rest.split_once(' ').ok_or(Error::NoteFormat("signature line has no signature"))?;
            if !valid_key_name(name) {
                return Err(Error::NoteFormat("invalid key name"));
            }
            let raw = B64.decode(b64).map_err(|_| Error::NoteFormat("signature is not base64"))?;
            if raw.len() < 5 {
                return Err(Error::NoteFormat("signature is too short"));
            }
            // Canonical base64 only: one encoding per signature.
            if B64.encode(&raw) != b64 {
                return Err(Error::NoteFormat("signature base64 is not canonical"));
            }
            let key_id = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
            signatures.push(NoteSignature {
                name: name.to_owned(),
                key_id,
                signature: raw[4..].to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(Error::NoteFormat("no signatures"));
        }
        Ok(Note { text: text.to_owned(), signatures })
    }

    /// Verifies the note with one trusted key and returns its text.
    ///
    /// Signatures by other keys are ignored, as the spec requires; the note is
    /// rejected if the trusted key did not sign it or its signature is invalid.
    pub fn verify(&self, key: &NoteVerifier) -> Result<&str, Error> {
        let mut found = false;
        for sig in &self.signatures {
            if sig.name != key.name || sig.key_id != key.key_id {
                continue;
            }
            found = true;
            let bytes: [u8; 64] = sig
                .signature
                .as_slice()
                .try_into()
                .map_err(|_| Error::NoteSignature { name: key.name.clone() })?;
            let signature = ed25519_dalek::Signature::from_bytes(&bytes);
            key.key
                .verify_strict(self.text.as_bytes(), &signature)
                .map_err(|_| Error::NoteSignature { name: key.name.clone() })?;
        }
        if !found {
            return Err(Error::NoteUnsigned { name: key.name.clone(), id: key.key_id });
        }
        Ok(&self.text)
    }
}

/// The C2SP key ID of an Ed25519 key: `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4]`.
pub fn ed25519_key_id(name: &str, key: &VerifyingKey) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ALG_ED25519]);
    h.update(key.as_bytes());
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// Splits a vkey `<name>+<hex key id>+<base64(alg ‖ key)>` (C2SP
/// signed-note): its name, key ID, algorithm byte and key bytes. The caller
/// checks the algorithm, the length and the ID against the key.
pub(crate) fn split_vkey(vkey: &str) -> Result<(&str, u32, u8, Vec<u8>), Error> {
    // The base64 part may itself contain '+'; the name and ID cannot.
    let mut parts = vkey.trim_end_matches('\n').splitn(3, '+');
    let (Some(name), Some(id_hex), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(Error::VerifierKey("expected name+id+key"));
    };
    if id_hex.len() != 8 || id_hex.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(Error::VerifierKey("key ID is not 8 lowercase hex digits"));
    }
    let id = u32::from_str_radix(id_hex, 16)
        .map_err(|_| Error::VerifierKey("key ID is not 8 lowercase hex digits"))?;
    let raw = B64.decode(b64).map_err(|_| Error::VerifierKey("key is not base64"))?;
    if B64.encode(&raw) != b64 {
        return Err(Error::VerifierKey("key base64 is not canonical"));
    }
    let Some((&alg, key)) = raw.split_first() else {
        return Err(Error::VerifierKey("empty key"));
    };
    Ok((name, id, alg, key.to_vec()))
}

/// [`split_vkey`] for a 32-byte key of algorithm `alg`; `wrong_type` when
/// the algorithm byte or length is not that.
pub(crate) fn parse_vkey<'a>(
    vkey: &'a str,
    alg: u8,
    wrong_type: &'static str,
) -> Result<(&'a str, u32, [u8; 32]), Error> {
    let (name, id, got, key) = split_vkey(vkey)?;
    let pk: [u8; 32] = key.try_into().map_err(|_| Error::VerifierKey(wrong_type))?;
    if got != alg {
        return Err(Error::VerifierKey(wrong_type));
    }
    Ok((name, id, pk))
}

/// A trusted Ed25519 note key, from its vkey text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// Builds the verifier for `name` and an Ed25519 public key.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self, Error> {
        if !valid_key_name(name) {
            return Err(Error::VerifierKey("invalid key name"));
        }
        Ok(NoteVerifier { name: name.to_owned(), key_id: ed25519_key_id(name, &key), key })
    }

    /// Parses `<name>+<hex key id>+<base64(0x01 ‖ key)>`; the ID must match.
    pub fn parse(vkey: &str) -> Result<Self, Error> {
        let (name, id, pk) =
            parse_vkey(vkey, ALG_ED25519, "not an Ed25519 key (type 0x01, 32 bytes)")?;
        let key =
            VerifyingKey::from_bytes(&pk).map_err(|_| Error::VerifierKey("invalid Ed25519 key"))?;
        let v = Self::new(name, key)?;
        if v.key_id != id {
            return Err(Error::VerifierKey("key ID does not match the key"));
        }
        Ok(v)
    }

    /// The key name (for a log: its origin).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The vkey text, `<name>+<id>+<base64>`.
    pub fn vkey(&self) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.key_id, B64.encode(raw))
    }
}

/// An Ed25519 note signer.
pub struct NoteSigner {
    name: String,
    key_id: u32,
    key: SigningKey,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NoteSigner({}+{:08x})", self.name, self.key_id)
    }
}

impl NoteSigner {
    /// A signer for `name` with the given key.
    pub fn new(name: &str, key: SigningKey) -> Result<Self, Error> {
        let v = NoteVerifier::new(name, key.verifying_key())?;
        Ok(NoteSigner { name: v.name, key_id: v.key_id, key })
    }

    /// The matching verifier.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier { name: self.name.clone(), key_id: self.key_id, key: self.key.verifying_key() }
    }

    /// Signs `text` (which must end in a newline) and returns the signed note.
    pub fn sign(&self, text: &str) -> Result<String, Error> {
        if !text.ends_with('\n') {
            return Err(Error::NoteFormat("note text does not end in a newline"));
        }
        if text.chars().any(|c| c < ' ' && c != '\n') {
            return Err(Error::NoteFormat("contains a control character"));
        }
        let sig = self.key.sign(text.as_bytes());
        let mut raw = Vec::with_capacity(68);
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(&sig.to_bytes());
        Ok(format!("{text}\n\u{2014} {} {}\n", self.name, B64.encode(raw)))
    }

    /// Adds this key's signature to a signed note, after the others.
    pub fn cosign(&self, note: &str) -> Result<String, Error> {
        let parsed = Note::parse(note.as_bytes())?;
        let own = self.sign(&parsed.text)?;
        let line = &own[parsed.text.len() + 1..];
        Ok(format!("{note}{line}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_verify() {
        let s = NoteSigner::new("example.org/log", SigningKey::from_bytes(&[7u8; 32])).unwrap();
        let note = s.sign("hello\n").unwrap();
        let parsed = Note::parse(note.as_bytes()).unwrap();
        assert_eq!(parsed.verify(&s.verifier()).unwrap(), "hello\n");
        let v = NoteVerifier::parse(&s.verifier().vkey()).unwrap();
        assert_eq!(v, s.verifier());
    }
}
