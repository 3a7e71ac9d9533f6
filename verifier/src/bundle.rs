//! Evidence bundle v1: one zip file an arbitrator checks offline.
//!
//! Members (all stored uncompressed; names fixed by the manifest):
//!
//! | member | what |
//! |---|---|
//! | `manifest.json` | what the bundle holds, in canonical JSON (see [`Manifest`]) |
//! | `leaves/<index>.cbor` | each entry's leaf, byte-exact |
//! | `proofs/<index>.tlog-proof` | its inclusion in the checkpoint the log signed with its batch (C2SP tlog-proof) |
//! | `checkpoints/<size>.note` | the newest checkpoint at export |
//! | `tender-head.note` | (tender bundles) the log's signed statement of the tender's latest event at that size |
//! | `consistency/<from>-<to>.proof` | a consistency proof from each entry's checkpoint to the newest, one base64 hash per line |
//! | `documents/<sha256 hex>` | optionally, the documents themselves |
//!
//! Every byte of every member is authenticated by some check or makes the
//! bundle unreadable: the manifest must be canonical (re-serialising it gives
//! the same bytes) and must list exactly the members present; leaves are
//! bound by inclusion proofs to signed checkpoints; proofs and checkpoints are
//! checked; documents are bound by their digests. The one exception is the
//! tlog-proof `extra` line, which the C2SP spec leaves unauthenticated; bundles
//! written by tenderlog never have one, and the verifier rejects it.

use std::io::{Cursor, Read as _, Write as _};

use serde::{Deserialize, Serialize};

use crate::Hash;

/// The format name in every v1 manifest.
pub const FORMAT_V1: &str = "tenderlog-bundle/1";
/// Largest bundle read, and largest member.
pub const MAX_BUNDLE_BYTES: u64 = 1 << 30;
/// Most members in a bundle.
pub const MAX_MEMBERS: usize = 1_000_000;

/// The names of a bundle's members: the one place they are spelled. A
/// writer names members with these; the verifier refuses a manifest whose
/// members are named otherwise.
pub mod members {
    use crate::Hash;

    /// The manifest.
    pub const MANIFEST: &str = "manifest.json";

    /// The leaf of entry `index`.
    pub fn leaf(index: u64) -> String {
        format!("leaves/{index}.cbor")
    }

    /// The tlog-proof of entry `index`.
    pub fn proof(index: u64) -> String {
        format!("proofs/{index}.tlog-proof")
    }

    /// A document file carried in the bundle, by its SHA-256.
    pub fn document(sha256: &Hash) -> String {
        format!("documents/{sha256}")
    }

    /// The signed checkpoint of tree size `size`.
    pub fn checkpoint(size: u64) -> String {
        format!("checkpoints/{size}.note")
    }

    /// The RFC 3161 token over the checkpoint of size `size`.
    pub fn checkpoint_token(size: u64) -> String {
        format!("checkpoints/{size}.tst")
    }

    /// A consistency proof from size `from` to size `to`.
    pub fn consistency(from: u64, to: u64) -> String {
        format!("consistency/{from}-{to}.proof")
    }

    /// The signed head of the selected tender's chain.
    pub const TENDER_HEAD: &str = "tender-head.note";

    /// The log's key history, when it has rotated its key.
    pub const KEY_HISTORY: &str = "key-history.json";

    /// The signed head of the `n`-th certificate (`kind` `certificate`) or
    /// seal (`seal`) chain the bundle lists.
    pub fn chain_head(kind: &str, n: usize) -> String {
        format!("heads/{kind}-{n}.note")
    }
}

/// What was selected for the bundle.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Selection {
    /// Every event of one tender.
    Tender(String),
    /// The given entries.
    Indexes(Vec<u64>),
    /// The events that logged a document with this SHA-256.
    Document(Hash),
}

/// One entry in the bundle.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EntryRef {
    /// The entry's index.
    pub index: u64,
    /// Member holding the leaf.
    pub leaf: String,
    /// Member holding its tlog-proof.
    pub proof: String,
}

/// A chain of events (a "tender") the bundle holds completely, with the
/// member holding the log's signed [`TenderHead`] for it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ChainHead {
    /// The chain, e.g. `cert:<fingerprint hex>`.
    pub tender: String,
    /// Member holding its signed head.
    pub head: String,
}

/// A consistency proof between two checkpointed sizes.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyRef {
    /// The older size.
    pub from: u64,
    /// The newer size (the bundle's newest checkpoint).
    pub to: u64,
    /// Member holding the proof.
    pub proof: String,
}

/// A document carried in the bundle.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DocumentRef {
    /// Its SHA-256.
    pub sha256: Hash,
    /// The member holding it.
    pub path: String,
}

/// The trust the bundle proposes. A verifier uses it only when not told
/// otherwise (`--key`), and always reports which anchors it used.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct TrustPolicy {
    /// C2SP verifier keys of the log.
    pub log_keys: Vec<String>,
    /// C2SP verifier keys of witnesses.
    pub witness_keys: Vec<String>,
    /// Witness cosignatures required on the newest checkpoint.
    pub witness_quorum: u32,
    /// CA root certificates (DER, base64), for signature checks.
    pub ca_roots: Vec<String>,
    /// TSA root certificates (DER, base64), for timestamp checks.
    pub tsa_roots: Vec<String>,
}

/// `manifest.json`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT_V1`].
    pub format: String,
    /// The log's origin.
    pub origin: String,
    /// What was selected.
    pub selection: Selection,
    /// Member holding the newest checkpoint.
    pub checkpoint: String,
    /// Member holding an RFC 3161 token over the newest checkpoint's body
    /// (`checkpoints/<size>.tst`): trusted time by which every entry below
    /// its size was in the log. Omitted when the log had none yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_timestamp: Option<String>,
    /// For a tender bundle: member holding the signed [`TenderHead`], which
    /// names the tender's latest event at the newest checkpoint's size.
    pub tender_head: Option<String>,
    /// The lifecycle chains (`cert:<fingerprint>`) of the certificates the
    /// selected entries' signatures name, each with the log's signed head:
    /// their events are among `entries`, so a verifier sees every lifecycle
    /// step of every signer's certificate. Omitted when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<ChainHead>,
    /// The binding chains (`seal:<fingerprint>`) of the e-seals on the
    /// selected documents, each with the log's signed head (members
    /// `heads/seal-N.note`): a verifier sees every binding step of every
    /// seal used. Omitted when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seals: Vec<ChainHead>,
    /// The entries, in index order: the selected ones, and the context they
    /// need (certificate chains above, the rule packs their events name).
    pub entries: Vec<EntryRef>,
    /// Consistency proofs to the newest checkpoint, by ascending `from`.
    pub consistency: Vec<ConsistencyRef>,
    /// Documents carried, by ascending digest.
    pub documents: Vec<DocumentRef>,
    /// The proposed trust policy.
    pub trust: TrustPolicy,
    /// Member holding the log's [key history](crate::log_keys::KeyHistory)
    /// (`key-history.json`), when the log has rotated its key: a verifier
    /// that pinned any of the log's keys follows it to the others. Omitted
    /// (and absent from the bytes) for a log that never rotated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_history: Option<String>,
}

/// Why a bundle could not be read (not: why it failed verification).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum BundleError {
    /// Not a zip we can read.
    #[error("couldn't read bundle: {0}")]
    Container(String),
    /// A member is missing, extra, or too large.
    #[error("couldn't read bundle: {0}")]
    Members(String),
    /// The manifest is malformed or not canonical.
    #[error("couldn't read bundle manifest: {0}")]
    Manifest(String),
}

/// A bundle's members, read and size-checked, manifest parsed.
#[derive(Clone, Debug)]
pub struct Bundle {
    /// The manifest.
    pub manifest: Manifest,
    /// Members other than the manifest, by name.
    pub members: std::collections::BTreeMap<String, Vec<u8>>,
}

impl Manifest {
    /// The canonical bytes: compact JSON in field order, with a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec(self).unwrap_or_default();
        v.push(b'\n');
        v
    }

    /// Every member name the manifest refers to.
    pub fn member_names(&self) -> Vec<&str> {
        let mut names = vec![self.checkpoint.as_str()];
        if let Some(t) = &self.checkpoint_timestamp {
            names.push(t);
        }
        if let Some(h) = &self.tender_head {
            names.push(h);
        }
        for c in self.certificates.iter().chain(&self.seals) {
            names.push(&c.head);
        }
        for e in &self.entries {
            names.push(&e.leaf);
            names.push(&e.proof);
        }
        for c in &self.consistency {
            names.push(&c.proof);
        }
        for d in &self.documents {
            names.push(&d.path);
        }
        if let Some(k) = &self.key_history {
            names.push(k);
        }
        names
    }
}

/// The first line of a tender head statement.
pub const TENDER_HEAD_V1: &str = "tenderlog.tender-head/v1";

/// The log's signed statement: "in my tree of `size` entries, the latest
/// event of `tender` is entry `index`, its `seq`-th, with this leaf hash".
///
/// Hash chains let a verifier walk back from an event to the tender's first,
/// but no chain can show that no *later* event exists; a log cannot prove
/// absence. So the log signs this (with its checkpoint key, in a signed note
/// whose first line cannot be read as a checkpoint's origin) when it exports a
/// tender bundle, and the verifier checks the bundle ends at this event. A
/// party handing over a bundle with the tender's last events cut off cannot
/// forge it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenderHead {
    /// The log's origin.
    pub origin: String,
    /// The tree size the statement is about (the newest checkpoint's).
    pub size: u64,
    /// The tender.
    pub tender: String,
    /// The latest event's sequence number within the tender.
    pub seq: u64,
    /// The latest event's index.
    pub index: u64,
    /// The latest event's leaf hash.
    pub leaf_hash: Hash,
}

impl TenderHead {
    /// The note text: the header line, then origin, size, tender, seq, index
    /// and the base64 leaf hash, one per line.
    pub fn to_text(&self) -> String {
        format!(
            "{TENDER_HEAD_V1}\n{}\n{}\n{}\n{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.tender,
            self.seq,
            self.index,
            self.leaf_hash.to_base64()
        )
    }

    /// Parses a note text, strictly: it must be exactly what
    /// [`TenderHead::to_text`] writes.
    pub fn parse_text(text: &str) -> Result<TenderHead, String> {
        let lines: Vec<&str> =
            text.strip_suffix('\n').ok_or("no final newline")?.split('\n').collect();
        let [head, origin, size, tender, seq, index, hash] = lines.as_slice() else {
            return Err("expected seven lines".into());
        };
        if *head != TENDER_HEAD_V1 {
            return Err("not a tender head statement".into());
        }
        let num = |s: &str| -> Result<u64, String> {
            let n: u64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
            if n.to_string() != s {
                return Err(format!("{s:?} is not a canonical decimal"));
            }
            Ok(n)
        };
        let leaf_hash = Hash::from_base64(hash).map_err(|e| e.to_string())?;
        let h = TenderHead {
            origin: (*origin).to_owned(),
            size: num(size)?,
            tender: (*tender).to_owned(),
            seq: num(seq)?,
            index: num(index)?,
            leaf_hash,
        };
        if h.to_text() != text {
            return Err("not in canonical form".into());
        }
        Ok(h)
    }

    /// Verifies a signed tender head note with the log's key (in force at
    /// the head's tree size).
    pub fn verify(
        note: &[u8],
        key: &(impl crate::log_keys::LogKey + ?Sized),
    ) -> Result<TenderHead, String> {
        let parsed = crate::note::Note::parse(note).map_err(|e| e.to_string())?;
        let text = key
            .open(&parsed, &|t| TenderHead::parse_text(t).ok().map(|h| h.size))
            .map_err(|e| e.to_string())?;
        let h = TenderHead::parse_text(text)?;
        if h.origin != key.origin() {
            return Err(format!("signed for origin {:?}", h.origin));
        }
        Ok(h)
    }
}

/// The text of a consistency proof member: one base64 hash per line.
pub fn consistency_to_text(proof: &[Hash]) -> String {
    proof.iter().map(|h| format!("{}\n", h.to_base64())).collect()
}

/// Parses a consistency proof member, strictly.
pub fn consistency_from_text(bytes: &[u8]) -> Result<Vec<Hash>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_owned())?;
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let body = text.strip_suffix('\n').ok_or("no final newline")?;
    let mut out = Vec::new();
    for line in body.split('\n') {
        let h = Hash::from_base64(line).map_err(|e| e.to_string())?;
        if h.to_base64() != line {
            return Err("hash base64 is not canonical".into());
        }
        out.push(h);
        if out.len() > 64 {
            return Err("more than 64 hashes".into());
        }
    }
    Ok(out)
}

impl Bundle {
    /// Writes the bundle: a zip with every member stored, in a fixed order,
    /// with fixed timestamps, so the same content gives the same bytes.
    pub fn to_zip(&self) -> Result<Vec<u8>, BundleError> {
        let mut out = Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut out);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored)
                .last_modified_time(zip::DateTime::default())
                .unix_permissions(0o644);
            let err = |e: zip::result::ZipError| BundleError::Container(e.to_string());
            zip.start_file(members::MANIFEST, opts).map_err(err)?;
            zip.write_all(&self.manifest.to_bytes())
                .map_err(|e| BundleError::Container(e.to_string()))?;
            for (name, bytes) in &self.members {
                zip.start_file(name.as_str(), opts).map_err(err)?;
                zip.write_all(bytes).map_err(|e| BundleError::Container(e.to_string()))?;
            }
            zip.finish().map_err(err)?;
        }
        Ok(out.into_inner())
    }

    /// Reads a bundle: the zip container, the canonical manifest, and exactly
    /// the members it names.
    pub fn from_zip(bytes: &[u8]) -> Result<Bundle, BundleError> {
        if bytes.len() as u64 > MAX_BUNDLE_BYTES {
            return Err(BundleError::Container("bundle is larger than 1 GiB".into()));
        }
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
            BundleError::Container(format!(
                "not a zip archive, and a tenderlog evidence bundle is one ({e}); is this the file from `tenderlog bundle` or GET /v1/bundles?"
            ))
        })?;
        if zip.len() > MAX_MEMBERS {
            return Err(BundleError::Members("too many members".into()));
        }
        // Before anything is decompressed: every member stored, and all of
        // them together no larger than the limit (a deflated member could
        // claim a few bytes and expand to gigabytes).
        let mut total = 0u64;
        for i in 0..zip.len() {
            let f = zip.by_index_raw(i).map_err(|e| BundleError::Container(e.to_string()))?;
            let name = f.name().map_err(|e| BundleError::Container(e.to_string()))?.into_owned();
            if f.compression() != zip::CompressionMethod::Stored {
                return Err(BundleError::Container(format!(
                    "member {name} is compressed ({}); a bundle stores its members as they are",
                    f.compression()
                )));
            }
            total = total.saturating_add(f.size());
            if f.size() > MAX_BUNDLE_BYTES || total > MAX_BUNDLE_BYTES {
                return Err(BundleError::Members(format!("member {name} is too large")));
            }
        }
        let mut files = std::collections::BTreeMap::new();
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).map_err(|e| BundleError::Container(e.to_string()))?;
            if f.is_dir() {
                continue;
            }
            let name = f.name().map_err(|e| BundleError::Container(e.to_string()))?.into_owned();
            if f.size() > MAX_BUNDLE_BYTES {
                return Err(BundleError::Members(format!("member {name} is too large")));
            }
            let mut data = Vec::with_capacity(f.size() as usize);
            // Reading to the end checks the member's CRC.
            f.read_to_end(&mut data)
                .map_err(|e| BundleError::Container(format!("member {name}: {e}")))?;
            if files.insert(name.clone(), data).is_some() {
                return Err(BundleError::Members(format!("member {name} appears twice")));
            }
        }
        let raw = files
            .remove(members::MANIFEST)
            .ok_or_else(|| BundleError::Members("no manifest.json".into()))?;
        let manifest: Manifest =
            serde_json::from_slice(&raw).map_err(|e| BundleError::Manifest(e.to_string()))?;
        if manifest.to_bytes() != raw {
            return Err(BundleError::Manifest("not in canonical form".into()));
        }
        if manifest.format != FORMAT_V1 {
            return Err(BundleError::Manifest(format!("unsupported format {:?}", manifest.format)));
        }
        let named: std::collections::BTreeSet<&str> = manifest.member_names().into_iter().collect();
        if named.len() != manifest.member_names().len() {
            return Err(BundleError::Manifest("a member is named twice".into()));
        }
        for name in &named {
            if !files.contains_key(*name) {
                return Err(BundleError::Members(format!("member {name} is missing")));
            }
        }
        if let Some(extra) = files.keys().find(|k| !named.contains(k.as_str())) {
            return Err(BundleError::Members(format!("member {extra} is not in the manifest")));
        }
        let bundle = Bundle { manifest, members: files };
        // One container per content: the bytes must be exactly what
        // `to_zip` writes for what was read. Two copies of a member (zip
        // readers differ on which one counts), bytes before or after the
        // archive, a comment, other headers, times or order: each would let
        // two readers see two bundles, or a changed file verify.
        if bundle.to_zip()? != bytes {
            return Err(BundleError::Container(
                "not in canonical form (exactly as tenderlog writes a bundle); export it again \
                 with `tenderlog bundle`"
                    .into(),
            ));
        }
        Ok(bundle)
    }

    /// A member's bytes.
    pub fn member(&self, name: &str) -> &[u8] {
        self.members.get(name).map(Vec::as_slice).unwrap_or_default()
    }
}
