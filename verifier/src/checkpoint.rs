//! C2SP `tlog-checkpoint`: the signed tree head of the log.

use crate::Error;
use crate::hash::Hash;
use crate::log_keys::LogKey;
use crate::note::Note;

/// A checkpoint body: origin, tree size, root hash, and opaque extension lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line.
    pub origin: String,
    /// The number of leaves.
    pub size: u64,
    /// The RFC 6962 root of the first `size` leaves.
    pub root: Hash,
    /// Extension lines (tenderlog writes none; other logs may).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: &str, size: u64, root: Hash) -> Self {
        Checkpoint { origin: origin.to_owned(), size, root, extensions: Vec::new() }
    }

    /// The note text: `<origin>\n<size>\n<base64 root>\n[<extension>\n]...`.
    pub fn to_text(&self) -> String {
        let mut s = format!("{}\n{}\n{}\n", self.origin, self.size, self.root.to_base64());
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// Parses a note text strictly; rejects anything [`Checkpoint::to_text`]
    /// would not produce again byte for byte.
    pub fn parse_text(text: &str) -> Result<Self, Error> {
        let body = text.strip_suffix('\n').ok_or(Error::CheckpointFormat("no final newline"))?;
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or("");
        if origin.is_empty() {
            return Err(Error::CheckpointFormat("empty origin"));
        }
        let size_line = lines.next().ok_or(Error::CheckpointFormat("no tree size line"))?;
        if size_line.is_empty()
            || !size_line.bytes().all(|b| b.is_ascii_digit())
            || (size_line.len() > 1 && size_line.starts_with('0'))
        {
            return Err(Error::CheckpointFormat("tree size is not a canonical decimal"));
        }
        let size: u64 =
            size_line.parse().map_err(|_| Error::CheckpointFormat("tree size is too large"))?;
        let root_line = lines.next().ok_or(Error::CheckpointFormat("no root hash line"))?;
        let root = Hash::from_base64(root_line)
            .map_err(|_| Error::CheckpointFormat("root hash is not base64 of 32 bytes"))?;
        if root.to_base64() != root_line {
            return Err(Error::CheckpointFormat("root hash base64 is not canonical"));
        }
        let mut extensions = Vec::new();
        for l in lines {
            if l.is_empty() {
                return Err(Error::CheckpointFormat("empty extension line"));
            }
            extensions.push(l.to_owned());
        }
        Ok(Checkpoint { origin: origin.to_owned(), size, root, extensions })
    }
}

/// A checkpoint together with the exact signed note it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The parsed body.
    pub checkpoint: Checkpoint,
    /// The signed note, byte-exact.
    pub note: String,
}

impl SignedCheckpoint {
    /// Parses and verifies a signed checkpoint: the note must carry a valid
    /// signature of `key` (of a key in force at its size, for a key
    /// history) and of each ML-DSA-44 key anchored with it, and its origin
    /// must equal the key's name.
    pub fn verify(note: &[u8], key: &(impl LogKey + ?Sized)) -> Result<Self, Error> {
        use sha2::Digest as _;
        let parsed = Note::parse(note)?;
        let digest: [u8; 32] = sha2::Sha256::digest(note).into();
        let checkpoint = if key.verified_before(&digest) {
            // The very same bytes passed every signature check below.
            Checkpoint::parse_text(&parsed.text)?
        } else {
            let text = key.open(&parsed, &|t| Checkpoint::parse_text(t).ok().map(|c| c.size))?;
            let checkpoint = Checkpoint::parse_text(text)?;
            // The ML-DSA-44 signature covers origin, size and root only, so
            // it is checked beside the Ed25519 one (which covers the text).
            for pq in key.post_quantum() {
                pq.verify(&parsed).map_err(|e| Error::PostQuantumSignature {
                    name: pq.name().to_owned(),
                    id: pq.key_id(),
                    reason: match e {
                        Error::NoteUnsigned { .. } => "no signature",
                        _ => "an invalid signature",
                    },
                })?;
            }
            checkpoint
        };
        if checkpoint.origin != key.origin() {
            return Err(Error::CheckpointOrigin {
                expected: key.origin().to_owned(),
                got: checkpoint.origin,
            });
        }
        key.remember_verified(digest);
        Ok(SignedCheckpoint { checkpoint, note: String::from_utf8_lossy(note).into_owned() })
    }
}
