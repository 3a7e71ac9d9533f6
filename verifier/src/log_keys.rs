//! The keys a log has signed with, and the history that hands one to the next.
//!
//! A log rotates its checkpoint key by signing a **rotation checkpoint**: the
//! checkpoint of its tree at the moment of the change, with one extension
//! line `key-rotation/v1 <old vkey> <new vkey>`, signed by both keys. The old
//! key's signature names its successor, so nobody can co-sign one of its
//! checkpoints and claim to succeed it; the new key's signature shows the
//! successor is held. Being a checkpoint, it also fixes the tree the new key
//! takes over: everything the new key signs must extend that root.
//!
//! A [`KeyHistory`] is the list of rotation notes, oldest first, and links
//! every key the log has used. Pin any one of them and the verifier follows
//! the history both ways ([`LogKeys::follow`]): each key is trusted for the
//! tree sizes it was in force, from the rotation that made it to the one that
//! retired it (both inclusive), and for no other.
//!
//! A log may also sign every checkpoint with an **ML-DSA-44** key (a C2SP
//! `subtree/v1` cosignature named for its origin, which tlog-checkpoint
//! recommends). Readers that do not anchor that key ignore its line, as
//! signed-note requires; a reader that anchors it ([`LogAnchor`]) requires
//! it on every checkpoint, beside the Ed25519 signature, never instead of
//! it: the Ed25519 key is what the key history and the log's other
//! statements (tender heads, rotations) are signed with.

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::checkpoint::{Checkpoint, SignedCheckpoint};
use crate::cosignature::{Algorithm, CosignerKey};
use crate::note::{Note, NoteVerifier};

/// The format name of a [`KeyHistory`] file.
pub const HISTORY_FORMAT_V1: &str = "tenderlog-key-history/v1";
/// The first word of a rotation checkpoint's extension line.
pub const ROTATION_V1: &str = "key-rotation/v1";
/// Rotations a history may hold: far above any real log's, small enough to
/// keep a hostile file cheap.
pub const MAX_ROTATIONS: usize = 256;

/// Why a key history cannot be followed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyHistoryError {
    /// The file is not a key history of this format.
    #[error("couldn't read key history: {0}")]
    Format(String),
    /// A rotation note is malformed or not signed by both of its keys.
    #[error("rotation {index}: {reason}")]
    Rotation {
        /// Its position in the history, from 0.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The rotations do not form one chain of keys.
    #[error("rotation {index} does not continue the history: {reason}")]
    Broken {
        /// Its position in the history, from 0.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// None of the pinned keys is one the history links.
    #[error(
        "none of the pinned keys is in the log's key history (its keys: {keys}); pin one of them"
    )]
    NotPinned {
        /// The history's keys, as vkeys separated by commas.
        keys: String,
    },
    /// Only the log's ML-DSA-44 key is pinned: it is checked beside the
    /// log's Ed25519 key, which must be pinned too.
    #[error(
        "only the log's ML-DSA-44 key {vkey} is pinned; it is checked beside the log's Ed25519 \
         key, not instead of it: pin that key too (the log's log.vkey)"
    )]
    PostQuantumAlone {
        /// The ML-DSA-44 vkey.
        vkey: String,
    },
}

/// A key a user anchors for a log: its Ed25519 checkpoint key (vkey type
/// 0x01), or its ML-DSA-44 checkpoint key (type 0x06).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogAnchor {
    /// The key every checkpoint and statement of the log is signed with.
    Ed25519(NoteVerifier),
    /// The post-quantum key that also signs every checkpoint.
    MlDsa44(CosignerKey),
}

impl LogAnchor {
    /// Parses a vkey of either type.
    pub fn parse(vkey: &str) -> Result<LogAnchor, crate::Error> {
        match crate::note::split_vkey(vkey)?.2 {
            crate::cosignature::ALG_MLDSA44 => Ok(LogAnchor::MlDsa44(CosignerKey::parse(vkey)?)),
            _ => Ok(LogAnchor::Ed25519(NoteVerifier::parse(vkey)?)),
        }
    }

    /// Parses vkeys one per line, skipping blank lines and `#` comments
    /// (a `--key` argument, or a key file such as `log.vkey`).
    pub fn parse_lines(text: &str) -> Result<Vec<LogAnchor>, crate::Error> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(LogAnchor::parse)
            .collect()
    }

    /// The log the anchors are for: the name of the first Ed25519 key,
    /// else of the first key.
    pub fn origin(anchors: &[LogAnchor]) -> Option<&str> {
        anchors
            .iter()
            .find(|k| matches!(k, LogAnchor::Ed25519(_)))
            .or(anchors.first())
            .map(LogAnchor::name)
    }

    /// The key name (the log's origin).
    pub fn name(&self) -> &str {
        match self {
            LogAnchor::Ed25519(k) => k.name(),
            LogAnchor::MlDsa44(k) => k.name(),
        }
    }

    /// The key ID.
    pub fn key_id(&self) -> u32 {
        match self {
            LogAnchor::Ed25519(k) => k.key_id(),
            LogAnchor::MlDsa44(k) => k.key_id(),
        }
    }

    /// The vkey text.
    pub fn vkey(&self) -> String {
        match self {
            LogAnchor::Ed25519(k) => k.vkey(),
            LogAnchor::MlDsa44(k) => k.vkey(),
        }
    }

    /// The Ed25519 ones of `anchors`.
    pub fn classic(anchors: &[LogAnchor]) -> Vec<NoteVerifier> {
        anchors
            .iter()
            .filter_map(|a| match a {
                LogAnchor::Ed25519(k) => Some(k.clone()),
                LogAnchor::MlDsa44(_) => None,
            })
            .collect()
    }

    /// The ML-DSA-44 ones of `anchors`.
    pub fn post_quantum(anchors: &[LogAnchor]) -> Vec<CosignerKey> {
        anchors
            .iter()
            .filter_map(|a| match a {
                LogAnchor::MlDsa44(k) => Some(k.clone()),
                LogAnchor::Ed25519(_) => None,
            })
            .collect()
    }
}

impl From<NoteVerifier> for LogAnchor {
    fn from(k: NoteVerifier) -> LogAnchor {
        LogAnchor::Ed25519(k)
    }
}

/// The key history a log publishes: its rotation notes, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyHistory {
    /// [`HISTORY_FORMAT_V1`].
    pub format: String,
    /// The log's origin.
    pub origin: String,
    /// The signed rotation checkpoints, oldest first.
    pub rotations: Vec<String>,
}

impl KeyHistory {
    /// An empty history of `origin`.
    pub fn new(origin: &str) -> KeyHistory {
        KeyHistory { format: HISTORY_FORMAT_V1.into(), origin: origin.into(), rotations: vec![] }
    }

    /// Parses a key history file (JSON), checking its format name and size.
    pub fn parse(bytes: &[u8]) -> Result<KeyHistory, KeyHistoryError> {
        let h: KeyHistory =
            serde_json::from_slice(bytes).map_err(|e| KeyHistoryError::Format(e.to_string()))?;
        if h.format != HISTORY_FORMAT_V1 {
            return Err(KeyHistoryError::Format(format!(
                "format is {:?}, expected {HISTORY_FORMAT_V1:?}",
                h.format
            )));
        }
        if h.rotations.len() > MAX_ROTATIONS {
            return Err(KeyHistoryError::Format(format!(
                "{} rotations; at most {MAX_ROTATIONS}",
                h.rotations.len()
            )));
        }
        Ok(h)
    }

    /// The file's bytes: pretty JSON with a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = serde_json::to_vec_pretty(self).unwrap_or_default();
        b.push(b'\n');
        b
    }
}

/// One verified rotation: the tree it hands over, and the two keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rotation {
    /// The checkpoint both keys signed (its extension line included).
    pub checkpoint: Checkpoint,
    /// The key retired.
    pub old: NoteVerifier,
    /// The key that takes over.
    pub new: NoteVerifier,
    /// The signed note, byte-exact.
    pub note: String,
}

impl Rotation {
    /// The rotation checkpoint's text for a tree of `size` leaves with `root`.
    pub fn text(
        origin: &str,
        size: u64,
        root: crate::Hash,
        old: &NoteVerifier,
        new: &NoteVerifier,
    ) -> String {
        let mut c = Checkpoint::new(origin, size, root);
        c.extensions.push(format!("{ROTATION_V1} {} {}", old.vkey(), new.vkey()));
        c.to_text()
    }

    /// Parses and verifies a rotation note of `origin`: a checkpoint with
    /// exactly one extension line naming two distinct keys of the origin,
    /// signed by both.
    pub fn verify(note: &str, origin: &str) -> Result<Rotation, String> {
        let parsed = Note::parse(note.as_bytes()).map_err(|e| e.to_string())?;
        let checkpoint = Checkpoint::parse_text(&parsed.text).map_err(|e| e.to_string())?;
        if checkpoint.origin != origin {
            return Err(format!("for origin {:?}, not {origin:?}", checkpoint.origin));
        }
        let [line] = checkpoint.extensions.as_slice() else {
            return Err("a rotation checkpoint has exactly one extension line".into());
        };
        let words: Vec<&str> = line.split(' ').collect();
        let [ROTATION_V1, old, new] = words.as_slice() else {
            return Err(format!("extension line is not `{ROTATION_V1} <old vkey> <new vkey>`"));
        };
        let old = NoteVerifier::parse(old).map_err(|e| format!("old key: {e}"))?;
        let new = NoteVerifier::parse(new).map_err(|e| format!("new key: {e}"))?;
        if old.name() != origin || new.name() != origin {
            return Err("both keys must be named for the origin".into());
        }
        if old == new {
            return Err("the old and the new key are the same".into());
        }
        for (which, key) in [("old", &old), ("new", &new)] {
            parsed.verify(key).map_err(|e| format!("{which} key: {e}"))?;
        }
        Ok(Rotation { checkpoint, old, new, note: note.to_owned() })
    }
}

/// One key and the tree sizes it signed for.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Era {
    key: NoteVerifier,
    from: u64,
    until: Option<u64>,
}

/// The keys trusted for one log's signatures, each for the tree sizes it was
/// in force: what checkpoints, tlog-proofs and signed heads are checked by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogKeys {
    origin: String,
    eras: Vec<Era>,
    rotations: Vec<Rotation>,
    /// The IDs of the keys the user gave.
    pinned: Vec<u32>,
    /// The log's ML-DSA-44 keys the user anchored: each must also have
    /// signed every checkpoint.
    post_quantum: Vec<CosignerKey>,
    /// Notes these keys verified already.
    verified: VerifiedNotes,
}

/// The SHA-256 of each checkpoint note a [`LogKeys`] verified: a bundle's
/// entries share a few checkpoints (one per batch), and each would
/// otherwise cost an Ed25519 and an ML-DSA-44 verification again. Keyed by
/// the digest of the whole note, so no other bytes ever pass for one seen.
#[derive(Default)]
struct VerifiedNotes(std::sync::Mutex<std::collections::HashSet<[u8; 32]>>);

/// Notes remembered at most: far above a bundle's checkpoints.
const MAX_VERIFIED_NOTES: usize = 1 << 16;

impl VerifiedNotes {
    fn contains(&self, digest: &[u8; 32]) -> bool {
        self.0.lock().is_ok_and(|s| s.contains(digest))
    }

    fn insert(&self, digest: [u8; 32]) {
        if let Ok(mut s) = self.0.lock() {
            if s.len() >= MAX_VERIFIED_NOTES {
                s.clear();
            }
            s.insert(digest);
        }
    }
}

impl Clone for VerifiedNotes {
    fn clone(&self) -> Self {
        VerifiedNotes::default()
    }
}

impl PartialEq for VerifiedNotes {
    /// A cache: equal whatever it holds.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for VerifiedNotes {}

impl std::fmt::Debug for VerifiedNotes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerifiedNotes")
    }
}

impl From<NoteVerifier> for LogKeys {
    /// One key, trusted for every size (a log that never rotated).
    fn from(key: NoteVerifier) -> LogKeys {
        LogKeys {
            origin: key.name().to_owned(),
            pinned: vec![key.key_id()],
            eras: vec![Era { key, from: 0, until: None }],
            rotations: vec![],
            post_quantum: vec![],
            verified: VerifiedNotes::default(),
        }
    }
}

impl LogKeys {
    /// The keys of `origin` reached from the `pinned` ones: without a
    /// history (or an empty one), the pinned keys named for the origin, each
    /// for every size; with one, every key the history links, each for its
    /// sizes, provided one of them is pinned. Fails if no pinned key is named
    /// for the origin, or the history is broken or does not hold a pinned key.
    pub fn follow(
        origin: &str,
        pinned: &[NoteVerifier],
        history: Option<&KeyHistory>,
    ) -> Result<LogKeys, KeyHistoryError> {
        let named: Vec<&NoteVerifier> = pinned.iter().filter(|k| k.name() == origin).collect();
        let history = history.filter(|h| !h.rotations.is_empty());
        let Some(history) = history else {
            if named.is_empty() {
                return Err(KeyHistoryError::NotPinned { keys: "none given".into() });
            }
            return Ok(LogKeys {
                origin: origin.to_owned(),
                pinned: named.iter().map(|k| k.key_id()).collect(),
                eras: named
                    .into_iter()
                    .map(|k| Era { key: k.clone(), from: 0, until: None })
                    .collect(),
                rotations: vec![],
                post_quantum: vec![],
                verified: VerifiedNotes::default(),
            });
        };
        if history.origin != origin {
            return Err(KeyHistoryError::Format(format!(
                "the history is of {:?}, not {origin:?}",
                history.origin
            )));
        }
        let mut rotations: Vec<Rotation> = Vec::with_capacity(history.rotations.len());
        for (index, note) in history.rotations.iter().enumerate() {
            let r = Rotation::verify(note, origin)
                .map_err(|reason| KeyHistoryError::Rotation { index, reason })?;
            if let Some(prev) = rotations.last() {
                if r.old != prev.new {
                    return Err(KeyHistoryError::Broken {
                        index,
                        reason: format!("it retires {}, not {}", r.old.vkey(), prev.new.vkey()),
                    });
                }
                if r.checkpoint.size < prev.checkpoint.size {
                    return Err(KeyHistoryError::Broken {
                        index,
                        reason: format!(
                            "its tree (size {}) is smaller than the rotation before (size {})",
                            r.checkpoint.size, prev.checkpoint.size
                        ),
                    });
                }
            }
            if rotations.iter().any(|p| p.old == r.new) {
                return Err(KeyHistoryError::Broken {
                    index,
                    reason: "it returns to a key already retired".into(),
                });
            }
            rotations.push(r);
        }
        let mut eras = vec![Era {
            key: rotations[0].old.clone(),
            from: 0,
            until: Some(rotations[0].checkpoint.size),
        }];
        for (i, r) in rotations.iter().enumerate() {
            let until = rotations.get(i + 1).map(|n| n.checkpoint.size);
            eras.push(Era { key: r.new.clone(), from: r.checkpoint.size, until });
        }
        if !eras.iter().any(|e| named.contains(&&e.key)) {
            let keys = eras.iter().map(|e| e.key.vkey()).collect::<Vec<_>>().join(", ");
            return Err(KeyHistoryError::NotPinned { keys });
        }
        let pinned = named.iter().map(|k| k.key_id()).collect();
        Ok(LogKeys {
            origin: origin.to_owned(),
            eras,
            rotations,
            pinned,
            post_quantum: vec![],
            verified: VerifiedNotes::default(),
        })
    }

    /// [`LogKeys::follow`] from anchors of either type: the Ed25519 ones
    /// are followed through the history, and the ML-DSA-44 ones named for
    /// the origin are required on every checkpoint besides. Fails when only
    /// ML-DSA-44 keys are named for the origin.
    pub fn from_anchors(
        origin: &str,
        anchors: &[LogAnchor],
        history: Option<&KeyHistory>,
    ) -> Result<LogKeys, KeyHistoryError> {
        let classic = LogAnchor::classic(anchors);
        let post_quantum: Vec<CosignerKey> =
            LogAnchor::post_quantum(anchors).into_iter().filter(|k| k.name() == origin).collect();
        if let Some(pq) = post_quantum.first()
            && !classic.iter().any(|k| k.name() == origin)
        {
            return Err(KeyHistoryError::PostQuantumAlone { vkey: pq.vkey() });
        }
        Ok(LogKeys::follow(origin, &classic, history)?.with_post_quantum(post_quantum))
    }

    /// These keys, each checkpoint also required to carry a valid
    /// ML-DSA-44 signature by every key of `keys` named for the origin.
    pub fn with_post_quantum(mut self, keys: Vec<CosignerKey>) -> LogKeys {
        self.verified = VerifiedNotes::default();
        self.post_quantum = keys
            .into_iter()
            .filter(|k| k.name() == self.origin && k.algorithm() == Algorithm::MlDsa44)
            .collect();
        self
    }

    /// The log's ML-DSA-44 keys required on every checkpoint besides.
    pub fn post_quantum(&self) -> &[CosignerKey] {
        &self.post_quantum
    }

    /// The keys that sign now, as a verifier anchors them: the current
    /// Ed25519 key, then the ML-DSA-44 ones.
    pub fn current_anchors(&self) -> Vec<LogAnchor> {
        std::iter::once(LogAnchor::Ed25519(self.current().clone()))
            .chain(self.post_quantum.iter().cloned().map(LogAnchor::MlDsa44))
            .collect()
    }

    /// The newest key: the one the log signs with now.
    pub fn current(&self) -> &NoteVerifier {
        &self.eras[self.eras.len() - 1].key
    }

    /// Every key, oldest first.
    pub fn keys(&self) -> impl Iterator<Item = &NoteVerifier> {
        self.eras.iter().map(|e| &e.key)
    }

    /// The verified rotations, oldest first.
    pub fn rotations(&self) -> &[Rotation] {
        &self.rotations
    }

    /// Parses and verifies a signed checkpoint of this log.
    pub fn checkpoint(&self, note: &[u8]) -> Result<SignedCheckpoint, Error> {
        SignedCheckpoint::verify(note, self)
    }
}

/// What a log's signatures are checked by: one pinned key (for every tree
/// size), or the [`LogKeys`] a key history links (each for its own sizes).
pub trait LogKey {
    /// The log's origin: the name its keys and notes carry.
    fn origin(&self) -> &str;

    /// The IDs of its keys, oldest first.
    fn key_ids(&self) -> Vec<u32>;

    /// Each key as a report names a trust anchor: given by the user, or
    /// followed from a given one.
    fn anchors(&self) -> Vec<String>;

    /// Verifies `note` as signed by a key in force for the tree size that
    /// `size_of` reads from its text, and returns the text.
    fn open<'n>(
        &self,
        note: &'n Note,
        size_of: &dyn Fn(&str) -> Option<u64>,
    ) -> Result<&'n str, Error>;

    /// The log's ML-DSA-44 keys that must also have signed every
    /// checkpoint (none unless the user anchored one).
    fn post_quantum(&self) -> &[CosignerKey] {
        &[]
    }

    /// Whether a checkpoint note with this SHA-256 passed every signature
    /// check of these keys before.
    fn verified_before(&self, _note_digest: &[u8; 32]) -> bool {
        false
    }

    /// Remembers that the checkpoint note with this SHA-256 passed.
    fn remember_verified(&self, _note_digest: [u8; 32]) {}
}

impl LogKey for NoteVerifier {
    fn origin(&self) -> &str {
        self.name()
    }

    fn key_ids(&self) -> Vec<u32> {
        vec![self.key_id()]
    }

    fn anchors(&self) -> Vec<String> {
        vec![format!("log key {} (given)", self.vkey())]
    }

    fn open<'n>(
        &self,
        note: &'n Note,
        _size_of: &dyn Fn(&str) -> Option<u64>,
    ) -> Result<&'n str, Error> {
        note.verify(self)
    }
}

impl LogKey for LogKeys {
    fn origin(&self) -> &str {
        &self.origin
    }

    fn key_ids(&self) -> Vec<u32> {
        self.keys().map(NoteVerifier::key_id).collect()
    }

    fn post_quantum(&self) -> &[CosignerKey] {
        &self.post_quantum
    }

    fn verified_before(&self, note_digest: &[u8; 32]) -> bool {
        self.verified.contains(note_digest)
    }

    fn remember_verified(&self, note_digest: [u8; 32]) {
        self.verified.insert(note_digest);
    }

    fn anchors(&self) -> Vec<String> {
        let pq = self.post_quantum.iter().map(|k| {
            format!("log key {} (ML-DSA-44, given; required on every checkpoint)", k.vkey())
        });
        self.eras
            .iter()
            .map(|e| {
                let sizes = match (self.eras.len(), e.until) {
                    (1, _) => String::new(),
                    (_, Some(u)) => format!(", tree sizes {}–{u}", e.from),
                    (_, None) => format!(", tree sizes {} on", e.from),
                };
                if self.pinned.contains(&e.key.key_id()) {
                    format!("log key {} (given{sizes})", e.key.vkey())
                } else {
                    format!(
                        "log key {} (followed from the given key by the log's key history{sizes})",
                        e.key.vkey()
                    )
                }
            })
            .chain(pq)
            .collect()
    }

    fn open<'n>(
        &self,
        note: &'n Note,
        size_of: &dyn Fn(&str) -> Option<u64>,
    ) -> Result<&'n str, Error> {
        let mut first_err = None;
        for era in &self.eras {
            let signed = note
                .signatures
                .iter()
                .any(|s| s.name == era.key.name() && s.key_id == era.key.key_id());
            if !signed {
                continue;
            }
            match note.verify(&era.key) {
                Ok(text) => {
                    let size = size_of(text).unwrap_or(u64::MAX);
                    if size >= era.from && era.until.is_none_or(|u| size <= u) {
                        return Ok(text);
                    }
                    first_err.get_or_insert(Error::KeyOutOfEra {
                        id: era.key.key_id(),
                        size,
                        from: era.from,
                        until: era.until,
                    });
                }
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        Err(first_err.unwrap_or_else(|| Error::NoteUnsigned {
            name: self.origin.clone(),
            id: self.current().key_id(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::NoteSigner;
    use ed25519_dalek::SigningKey;

    const ORIGIN: &str = "example.gov.cn/tenderlog";

    fn signer(b: u8) -> NoteSigner {
        NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[b; 32])).unwrap()
    }

    fn root(b: u8) -> crate::Hash {
        crate::Hash([b; 32])
    }

    fn rotation(old: &NoteSigner, new: &NoteSigner, size: u64) -> String {
        let text = Rotation::text(ORIGIN, size, root(size as u8), &old.verifier(), &new.verifier());
        new.cosign(&old.sign(&text).unwrap()).unwrap()
    }

    fn checkpoint(by: &NoteSigner, size: u64) -> String {
        by.sign(&Checkpoint::new(ORIGIN, size, root(size as u8)).to_text()).unwrap()
    }

    fn history(rotations: Vec<String>) -> KeyHistory {
        KeyHistory { rotations, ..KeyHistory::new(ORIGIN) }
    }

    #[test]
    fn each_key_signs_for_its_own_sizes_whichever_is_pinned() {
        let (k1, k2, k3) = (signer(1), signer(2), signer(3));
        let h = history(vec![rotation(&k1, &k2, 10), rotation(&k2, &k3, 20)]);
        for pinned in [&k1, &k2, &k3] {
            let keys = LogKeys::follow(ORIGIN, &[pinned.verifier()], Some(&h)).unwrap();
            assert_eq!(keys.current(), &k3.verifier());
            for (by, size, ok) in [
                (&k1, 0, true),
                (&k1, 10, true),
                (&k1, 11, false),
                (&k2, 9, false),
                (&k2, 10, true),
                (&k2, 20, true),
                (&k2, 21, false),
                (&k3, 19, false),
                (&k3, 20, true),
                (&k3, 1_000, true),
            ] {
                let r = keys.checkpoint(checkpoint(by, size).as_bytes());
                assert_eq!(r.is_ok(), ok, "key {} at size {size}: {r:?}", by.verifier().vkey());
                if !ok {
                    assert!(matches!(r, Err(Error::KeyOutOfEra { .. })), "{r:?}");
                }
            }
            // Each rotation note is itself a checkpoint both its keys sign.
            for note in &h.rotations {
                assert!(keys.checkpoint(note.as_bytes()).is_ok());
            }
        }
    }

    #[test]
    fn a_key_outside_the_history_is_not_followed() {
        let (k1, k2, k9) = (signer(1), signer(2), signer(9));
        let h = history(vec![rotation(&k1, &k2, 10)]);
        let err = LogKeys::follow(ORIGIN, &[k9.verifier()], Some(&h)).unwrap_err();
        assert!(matches!(err, KeyHistoryError::NotPinned { .. }), "{err}");
        // Without a history only the pinned key is trusted, for every size.
        let keys = LogKeys::follow(ORIGIN, &[k1.verifier()], None).unwrap();
        assert!(keys.checkpoint(checkpoint(&k1, 99).as_bytes()).is_ok());
        assert!(keys.checkpoint(checkpoint(&k2, 99).as_bytes()).is_err());
    }

    #[test]
    fn a_rotation_needs_both_signatures_and_must_name_the_successor() {
        let (k1, k2, k3) = (signer(1), signer(2), signer(3));
        let text = Rotation::text(ORIGIN, 10, root(10), &k1.verifier(), &k2.verifier());
        // Only the new key signed: anyone could claim to succeed k1.
        let only_new = k2.sign(&text).unwrap();
        assert!(Rotation::verify(&only_new, ORIGIN).unwrap_err().contains("old key"));
        let only_old = k1.sign(&text).unwrap();
        assert!(Rotation::verify(&only_old, ORIGIN).unwrap_err().contains("new key"));
        // An ordinary checkpoint of k1 co-signed by k3 names no successor.
        let cosigned = k3.cosign(&checkpoint(&k1, 10)).unwrap();
        assert!(Rotation::verify(&cosigned, ORIGIN).is_err());
        // A chain must continue from the key retired last.
        let h = history(vec![rotation(&k1, &k2, 10), rotation(&k1, &k3, 20)]);
        let err = LogKeys::follow(ORIGIN, &[k1.verifier()], Some(&h)).unwrap_err();
        assert!(matches!(err, KeyHistoryError::Broken { index: 1, .. }), "{err}");
        let h = history(vec![rotation(&k1, &k2, 20), rotation(&k2, &k3, 10)]);
        let err = LogKeys::follow(ORIGIN, &[k1.verifier()], Some(&h)).unwrap_err();
        assert!(matches!(err, KeyHistoryError::Broken { index: 1, .. }), "{err}");
        let h = history(vec![rotation(&k1, &k2, 10), rotation(&k2, &k1, 20)]);
        assert!(LogKeys::follow(ORIGIN, &[k1.verifier()], Some(&h)).is_err());
    }

    #[test]
    fn every_bit_flip_of_a_rotation_note_is_refused() {
        let (k1, k2) = (signer(1), signer(2));
        let note = rotation(&k1, &k2, 10);
        assert!(Rotation::verify(&note, ORIGIN).is_ok());
        let bytes = note.as_bytes();
        for i in 0..bytes.len() * 8 {
            let mut b = bytes.to_vec();
            b[i / 8] ^= 1 << (i % 8);
            let Ok(text) = String::from_utf8(b) else { continue };
            assert!(Rotation::verify(&text, ORIGIN).is_err(), "bit {i} flipped was accepted");
        }
    }

    #[test]
    fn history_files_round_trip_and_refuse_other_formats() {
        let h = history(vec![rotation(&signer(1), &signer(2), 10)]);
        assert_eq!(KeyHistory::parse(&h.to_bytes()).unwrap(), h);
        let other = KeyHistory { format: "v0".into(), ..h.clone() };
        assert!(KeyHistory::parse(&other.to_bytes()).is_err());
        assert!(KeyHistory::parse(b"{\"format\":1}").is_err());
    }

    #[test]
    fn remembered_notes_never_let_other_bytes_through() {
        let k = signer(1);
        let pq = crate::cosignature::Cosigner::mldsa44(ORIGIN, &[2; 32]).unwrap();
        let keys = LogKeys::from(k.verifier()).with_post_quantum(vec![pq.public().clone()]);
        let text = format!("{ORIGIN}\n3\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
        let note = pq.cosign(&k.sign(&text).unwrap(), 5).unwrap();
        for _ in 0..2 {
            keys.checkpoint(note.as_bytes()).unwrap();
        }
        // Seen once, yet a changed ML-DSA-44 line or a missing one is refused.
        let at = note.len() - 10;
        let mut bytes = note.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        assert!(keys.checkpoint(&bytes).is_err());
        let classic_only = k.sign(&text).unwrap();
        assert!(keys.checkpoint(classic_only.as_bytes()).is_err());
        // The ML-DSA-44 key alone anchors nothing.
        let only = [LogAnchor::MlDsa44(pq.public().clone())];
        assert!(matches!(
            LogKeys::from_anchors(ORIGIN, &only, None),
            Err(KeyHistoryError::PostQuantumAlone { .. })
        ));
        // Either vkey type parses as an anchor.
        for a in [LogAnchor::Ed25519(k.verifier()), LogAnchor::MlDsa44(pq.public().clone())] {
            assert_eq!(LogAnchor::parse(&a.vkey()).unwrap(), a);
        }
    }
}
