//! The verifier's one error type.

/// Why a format could not be parsed or a check failed.
///
/// Messages follow "couldn't <verb> <object>: <reason>" where they describe a
/// failed operation, and carry the index or tree size they are about.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A hash was not 32 bytes long.
    #[error("couldn't read hash: expected 32 bytes, got {len}")]
    HashLength {
        /// The length found.
        len: usize,
    },
    /// A hash was not valid hex.
    #[error("couldn't read hash: not 64 hex digits")]
    HashHex,
    /// A hash was not valid base64.
    #[error("couldn't read hash: not valid base64")]
    HashBase64,
    /// A leaf index is not inside the tree.
    #[error("index {index} is outside the tree of size {tree_size}")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The tree size.
        tree_size: u64,
    },
    /// A consistency proof was asked from a larger to a smaller tree.
    #[error("tree size {size1} is larger than tree size {size2}")]
    SizeOrder {
        /// The older size.
        size1: u64,
        /// The newer size.
        size2: u64,
    },
    /// A proof has the wrong number of hashes for its sizes.
    #[error("couldn't verify proof: expected {expected} hashes, got {got}")]
    ProofLength {
        /// What the sizes call for.
        expected: usize,
        /// What the proof holds.
        got: usize,
    },
    /// A proof did not lead to the expected root.
    #[error("couldn't verify proof: computed root differs from the root of tree size {tree_size}")]
    RootMismatch {
        /// The size of the tree whose root did not match.
        tree_size: u64,
    },
    /// A node a proof needs was not found in an in-memory tree.
    #[error("node at level {level}, index {index} is missing")]
    MissingNode {
        /// Level of the node.
        level: u32,
        /// Index within the level.
        index: u64,
    },
    /// A signed note is malformed.
    #[error("couldn't parse signed note: {0}")]
    NoteFormat(&'static str),
    /// A verifier key is malformed.
    #[error("couldn't parse verifier key: {0}")]
    VerifierKey(&'static str),
    /// No signature of the trusted key on the note.
    #[error("couldn't verify note: no signature by key {name}+{id:08x}")]
    NoteUnsigned {
        /// The key name.
        name: String,
        /// The key ID.
        id: u32,
    },
    /// The trusted key's signature on a note is invalid.
    #[error("couldn't verify note: signature by key {name} is invalid")]
    NoteSignature {
        /// The key name.
        name: String,
    },
    /// A checkpoint lacks a valid ML-DSA-44 signature by the log's
    /// post-quantum key the user anchored.
    #[error("couldn't verify checkpoint: {reason} by the log's ML-DSA-44 key {name}+{id:08x}")]
    PostQuantumSignature {
        /// The key name (the log's origin).
        name: String,
        /// The key ID.
        id: u32,
        /// "no signature" or "an invalid signature".
        reason: &'static str,
    },
    /// A key of the log's history signed for a tree size outside its era.
    #[error(
        "couldn't verify note: key {id:08x} signed for tree size {size}, but was the log's key \
         only for sizes {from} to {}", until.map_or("now".to_owned(), |u| u.to_string())
    )]
    KeyOutOfEra {
        /// The key ID.
        id: u32,
        /// The tree size the note is about.
        size: u64,
        /// The first size the key signed for.
        from: u64,
        /// The last size it signed for, if it was retired.
        until: Option<u64>,
    },
    /// A checkpoint body is malformed.
    #[error("couldn't parse checkpoint: {0}")]
    CheckpointFormat(&'static str),
    /// A checkpoint names another origin than expected.
    #[error("checkpoint origin is {got:?}, expected {expected:?}")]
    CheckpointOrigin {
        /// The expected origin.
        expected: String,
        /// The origin found.
        got: String,
    },
    /// A leaf is larger than the format allows.
    #[error("leaf is {len} bytes; the limit is {max}")]
    LeafTooLarge {
        /// The leaf length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A leaf is not valid CBOR for the event format.
    #[error("couldn't decode event: {0}")]
    EventDecode(String),
    /// A leaf decodes, but is not in canonical form.
    #[error("couldn't decode event: not in canonical form (re-encoding differs)")]
    EventNotCanonical,
    /// An event field breaks a rule of the format.
    #[error("invalid event: {0}")]
    EventInvalid(String),
    /// A submission (JSON input) is not a valid event.
    #[error("couldn't read submission: {0}")]
    Submission(String),
    /// The submitter's role in the tender does not allow what it filed
    /// (a bidder filing an award notice, the agency filing a bid).
    #[error("not entitled: {0}")]
    NotEntitled(String),
    /// A submission failed one of the ledger's checks (signature, certificate
    /// chain, certificate status, timestamp, policy).
    #[error("refused by the {check} check: {reason}")]
    CheckFailed {
        /// The check, by its report name.
        check: String,
        /// Why.
        reason: String,
    },
}
