//! Verifying an evidence bundle: every check by name, with pass / fail / not
//! applicable and the reason.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::bundle::{Bundle, ChainHead, Manifest, Selection, consistency_from_text};
use crate::chain::{ChainBreak, LastEvent, follows, follows_leaf};
use crate::check::CheckName;
use crate::checkpoint::{Checkpoint, SignedCheckpoint};
use crate::event::{Body, Event};
use crate::log_keys::{KeyHistory, LogAnchor, LogKey as _, LogKeys};
use crate::merkle::verify_consistency;
use crate::note::NoteVerifier;
use crate::pki::{Cert, TrustStore};
use crate::policy::RulePack;
use crate::signing::{CertRecord, SealRecord};
use crate::tlog_proof::TlogProof;
use crate::{Hash, leaf_hash};

/// A check's outcome.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The check passed.
    Pass,
    /// The check failed: the evidence does not hold.
    Fail,
    /// The check does not apply to this bundle.
    NotApplicable,
}

/// One check on one subject.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// The check's name (stable; see [`CHECKS`]).
    pub check: CheckName,
    /// What it was applied to, e.g. `entry 17` or `bundle`.
    pub subject: String,
    /// The outcome.
    pub status: Status,
    /// Why.
    pub detail: String,
}

/// Every check the verifier runs, in report order.
pub const CHECKS: &[CheckName] = &[
    CheckName::BundleFormat,
    CheckName::CheckpointOriginAndKey,
    CheckName::CheckpointSignature,
    CheckName::WitnessQuorum,
    CheckName::CanonicalLeaf,
    CheckName::LeafHash,
    CheckName::Inclusion,
    CheckName::ConsistencyToNewest,
    CheckName::GlobalChainLink,
    CheckName::PerTenderChainCompleteness,
    CheckName::Selection,
    CheckName::DocumentDigest,
    CheckName::Signature,
    CheckName::CertificateChain,
    CheckName::CertificateStatus,
    CheckName::Seal,
    CheckName::Timestamp,
    CheckName::Policy,
    CheckName::CommitmentReveal,
];

/// The CA or TSA roots to use: the given ones, else the bundle's (recorded
/// as anchors either way). A root that does not parse fails "bundle format".
fn roots(
    from_bundle: &[String],
    given: Option<&[Cert]>,
    what: &str,
    anchors: &mut Vec<String>,
    out: &mut Out,
) -> TrustStore {
    use base64::Engine as _;
    let certs: Vec<Cert> = match given {
        Some(g) => {
            anchors.extend(g.iter().map(|c| format!("{what} root {} (given)", c.subject())));
            g.to_vec()
        }
        None => {
            let mut v = Vec::new();
            for (n, b) in from_bundle.iter().enumerate() {
                let parsed = base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .map_err(|e| e.to_string())
                    .and_then(|der| Cert::from_der(&der).map_err(|e| e.to_string()));
                match parsed {
                    Ok(c) => {
                        anchors.push(format!("{what} root {} (from the bundle)", c.subject()));
                        v.push(c);
                    }
                    Err(e) => out.add(CheckName::BundleFormat, format!("{what} root {n}"), Err(e)),
                }
            }
            v
        }
    };
    TrustStore::new(certs).unwrap_or_else(|e| {
        out.add(CheckName::BundleFormat, format!("{what} roots"), Err(e.to_string()));
        TrustStore::default()
    })
}

/// The rule pack an event names: `Ok(None)` when it names none, `Err(index)`
/// when the named entry is not in the bundle as that policy event.
fn rule_pack(
    events: &BTreeMap<u64, (Event, Hash)>,
    link: Option<crate::event::EventLink>,
) -> Result<Option<&crate::policy::RulePack>, u64> {
    let Some(link) = link else { return Ok(None) };
    match events.get(&link.index) {
        Some((Event { body: Body::Policy(p), .. }, lh)) if *lh == link.leaf_hash => Ok(Some(p)),
        _ => Err(link.index),
    }
}

/// Walks a chain of events back from its latest to sequence 0 (each links to
/// the one before, so none is missing) and checks that its latest is the one
/// the log's signed head note names at the newest checkpoint's size.
fn chain_complete(
    mut chain: Vec<(u64, &Event, &Hash)>,
    t: &str,
    head_note: &[u8],
    key: Option<&LogKeys>,
    newest: Option<&SignedCheckpoint>,
) -> Result<String, String> {
    if chain.is_empty() {
        return Err("the bundle holds no verifiable events of the chain".into());
    }
    chain.sort_by_key(|(_, ev, _)| ev.seq);
    let mut head: Option<LastEvent> = None;
    for &(i, ev, lh) in &chain {
        follows(head.as_ref(), ev.seq, ev.prev_tender).map_err(|b| match b {
            ChainBreak::Seq { want, got } => {
                format!("event seq {want} is missing (entry {i} has seq {got})")
            }
            ChainBreak::LinkAtStart => format!("entry {i} claims a predecessor but has seq 0"),
            ChainBreak::NoLink => format!("entry {i} has no link to its predecessor"),
            ChainBreak::WrongLink { want, got } if want == got => format!(
                "entry {i} links to entry {got} by another leaf hash than that entry's: one of the two was changed"
            ),
            ChainBreak::WrongLink { want, got } => {
                format!("entry {i} links to entry {got}, not to entry {want}")
            }
        })?;
        head = Some(LastEvent { index: i, seq: ev.seq, leaf_hash: *lh });
    }
    let k = key.ok_or("no trusted key")?;
    let head =
        crate::bundle::TenderHead::verify(head_note, k).map_err(|e| format!("chain head: {e}"))?;
    if head.tender != t {
        return Err(format!("the signed head is for {:?}", head.tender));
    }
    if Some(head.size) != newest.map(|n| n.checkpoint.size) {
        return Err(format!(
            "the signed head is for tree size {}, not the newest checkpoint's",
            head.size
        ));
    }
    let (li, lev, llh) = chain[chain.len() - 1];
    if (li, lev.seq, *llh) != (head.index, head.seq, head.leaf_hash) {
        return Err(format!(
            "the log's latest event of the {} is seq {} (entry {}); the bundle ends at seq {} (entry {li})",
            if t.starts_with(crate::event::CERT_TENDER_PREFIX) {
                "certificate"
            } else if t.starts_with(crate::event::SEAL_TENDER_PREFIX) {
                "seal"
            } else {
                "tender"
            },
            head.seq,
            head.index,
            lev.seq
        ));
    }
    Ok(format!(
        "{} events, seq 0 to {}, each linked to the one before; the last is the latest at size {}",
        chain.len(),
        chain.len() - 1,
        head.size
    ))
}

/// A document given on the command line: a name for the report and its digest.
#[derive(Clone, Debug)]
pub struct GivenDocument {
    /// How the user named it (a path).
    pub name: String,
    /// Its SHA-256.
    pub sha256: Hash,
    /// Its SM3, when computed: then an event that states an SM3 must state
    /// this one (what binds an SM2 signature or SM3 token to the file).
    pub sm3: Option<Hash>,
    /// When the file is an OFD package: the e-seals inside it.
    pub ofd: Option<GivenOfd>,
}

/// The e-seals found inside a given OFD package, to compare with the ones
/// its entry logged.
#[derive(Clone, Debug)]
pub struct GivenOfd {
    /// Its e-seals, as a document event carries them.
    pub seals: Vec<crate::event::OfdSeal>,
    /// Whether every part each signature references is as signed (else
    /// what is not).
    pub intact: Result<(), String>,
}

impl GivenOfd {
    /// Reads the package in `bytes`; `None` when it is not one.
    pub fn read(bytes: &[u8]) -> Option<GivenOfd> {
        let pkg = crate::ofd::Package::read(bytes).ok()?;
        let report = crate::ofd::verify_package(&pkg, None).ok()?;
        let broken: Vec<String> = report
            .signatures
            .iter()
            .flat_map(|sig| {
                sig.modified()
                    .into_iter()
                    .map(|p| format!("{p} changed after {} signed it", sig.location))
            })
            .collect();
        let intact = if broken.is_empty() { Ok(()) } else { Err(broken.join("; ")) };
        Some(GivenOfd { seals: crate::ofd::ofd_seals(&pkg, &report), intact })
    }
}

impl GivenDocument {
    /// Digests `bytes` (SHA-256 and SM3).
    pub fn of_bytes(name: impl Into<String>, bytes: &[u8]) -> GivenDocument {
        GivenDocument {
            name: name.into(),
            sha256: Hash(<sha2::Sha256 as sha2::Digest>::digest(bytes).into()),
            sm3: Some(Hash(<sm3::Sm3 as sm3::Digest>::digest(bytes).into())),
            ofd: bytes.starts_with(b"PK\x03\x04").then(|| GivenOfd::read(bytes)).flatten(),
        }
    }
}

/// The full report.
#[derive(Serialize, Clone, Debug)]
pub struct Report {
    /// True when every check passed or did not apply.
    pub verified: bool,
    /// True when the log key was one the user gave, not one the evidence
    /// carries: only then does a passing report say VERIFIED (anyone can
    /// make a bundle that passes against its own key).
    pub anchored: bool,
    /// The trust anchors used, and where they came from.
    pub trust_anchors: Vec<String>,
    /// The log's origin.
    pub origin: String,
    /// The newest checkpoint's size.
    pub tree_size: u64,
    /// Entries checked.
    pub entries: usize,
    /// Every check.
    pub checks: Vec<Check>,
    /// For each given document: where it was logged.
    pub documents: Vec<serde_json::Value>,
    /// The tender's compliance report ([`crate::rules`]; a tender bundle
    /// only). A broken rule does not make the evidence unverified: it is
    /// what the authentic record shows.
    pub compliance: Option<crate::rules::Compliance>,
    /// The selected documents in plain words: what each is, what became of
    /// it, who filed and signed it, when, and what held or was not checked.
    pub filings: Vec<crate::filing::Filing>,
    /// What the verdict rests on that a reader must weigh: a demo CA, a TSA
    /// that is not accredited, roots taken from the evidence itself.
    pub caveats: Vec<String>,
}

struct Out(Vec<Check>);

impl Out {
    /// Whether a check failed so far.
    fn failed(&self) -> bool {
        self.0.iter().any(|c| c.status == Status::Fail)
    }

    /// The verdict, and the checks in report order.
    fn finish(self) -> (bool, Vec<Check>) {
        let verified = !self.0.iter().any(|c| c.status == Status::Fail);
        let mut checks = self.0;
        // Stable: within a check, subjects keep the order they were checked in.
        checks.sort_by_key(|c| CHECKS.iter().position(|n| *n == c.check).unwrap_or(usize::MAX));
        (verified, checks)
    }

    fn add(&mut self, check: CheckName, subject: impl Into<String>, ok: Result<String, String>) {
        let (status, detail) = match ok {
            Ok(d) => (Status::Pass, d),
            Err(d) => (Status::Fail, d),
        };
        self.0.push(Check { check, subject: subject.into(), status, detail });
    }
    fn na(&mut self, check: CheckName, subject: impl Into<String>, why: impl Into<String>) {
        self.0.push(Check {
            check,
            subject: subject.into(),
            status: Status::NotApplicable,
            detail: why.into(),
        });
    }
}

/// What the user gives the verifier besides the bundle.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options<'a> {
    /// Log keys to trust instead of the bundle's: Ed25519, and the log's
    /// ML-DSA-44 key to require on every checkpoint besides.
    pub keys: Option<&'a [LogAnchor]>,
    /// CA roots to trust instead of the bundle's.
    pub ca_roots: Option<&'a [Cert]>,
    /// TSA roots to trust instead of the bundle's.
    pub tsa_roots: Option<&'a [Cert]>,
    /// Files whose digests must have been logged.
    pub documents: &'a [GivenDocument],
    /// The witness policy to judge cosignatures by, instead of the
    /// bundle's proposal (`--policy FILE`).
    pub witness_policy: Option<&'a crate::witness_policy::WitnessPolicy>,
    /// The verdict is all the caller needs: when the log's part (keys,
    /// checkpoints, proofs, chains, selection) already failed, the
    /// signers, seals, timestamps and documents — most of the cost — are
    /// not checked, and the report lists only what was. A bundle that
    /// verifies is checked in full either way. (The bit-flip harnesses
    /// verify hundreds of thousands of mutants with it.)
    pub fail_fast: bool,
}

/// Verifies `bundle`. `keys` overrides the bundle's own log keys; `documents`
/// are files whose digests must have been logged. CA and TSA roots are the
/// bundle's; see [`verify_bundle_with`] to give others.
pub fn verify_bundle(
    bundle: &Bundle,
    keys: Option<&[NoteVerifier]>,
    documents: &[GivenDocument],
) -> Report {
    let keys: Option<Vec<LogAnchor>> =
        keys.map(|k| k.iter().cloned().map(LogAnchor::from).collect());
    verify_bundle_with(bundle, &Options { keys: keys.as_deref(), documents, ..Options::default() })
}

/// Verifies `bundle` with the trust and documents in `options`.
pub fn verify_bundle_with(bundle: &Bundle, options: &Options<'_>) -> Report {
    let m = &bundle.manifest;
    let mut out = Out(Vec::new());
    let mut anchors = Vec::new();

    let keys = log_keys(m, options.keys, &mut anchors, &mut out);
    let keys = origin_keys(bundle, &keys, &mut anchors, &mut out);
    let key = keys.as_ref();
    let newest = newest_checkpoint(bundle, key, &mut out);
    witness_quorum(bundle, options.witness_policy, newest.as_ref(), &mut anchors, &mut out);
    let head = LogHead { key, newest: newest.as_ref() };
    let consistency = consistency_proofs(bundle, head.newest, &mut out);
    let mut used_consistency = rotations_kept(key, head.newest, &consistency, &mut out);
    let events = entries(bundle, head, &consistency, &mut used_consistency, &mut out);
    global_chain(&events, &mut out);

    let mut context = context_entries(m, &events);
    open_sealed_entries(m, &events, &mut context);
    let selected = selected_entries(m, &events, &mut context);
    selection(bundle, head, &selected, &context, &mut out);

    let (found_docs, compliance) = if options.fail_fast && out.failed() {
        Default::default()
    } else {
        let certs = certificate_chains(bundle, head, &events, &mut out);
        let seals = seal_chains(bundle, head, &events, &mut out);
        let ca = roots(&m.trust.ca_roots, options.ca_roots, "CA", &mut anchors, &mut out);
        let tsa = roots(&m.trust.tsa_roots, options.tsa_roots, "TSA", &mut anchors, &mut out);
        let evidence =
            Evidence { events: &events, ca: &ca, tsa: &tsa, certs: &certs, seals: &seals };
        let mut checked = BTreeSet::new();
        newest_checkpoint_token(bundle, head.newest, &tsa, &mut checked, &mut out);
        selected_documents(&selected, &evidence, &mut checked, &mut out);
        let found_docs = documents(bundle, options.documents, &events, &certs, &mut out);
        let revealed = reveals(&selected, &evidence, &mut checked, &mut out);
        not_applicable(&checked, revealed, &mut out);
        (found_docs, tender_compliance(m, &selected, &events, &certs))
    };

    let (verified, checks) = out.finish();
    // A selected reveal's sealed entry is context (the bundle carries it to
    // open), but the filing a reader asks about is that sealed bid, opened.
    let opened = selected.iter().filter_map(|(_, ev, _)| match &ev.body {
        Body::Reveal(r) => events.get(&r.sealed.index).map(|(sealed, _)| (r.sealed.index, sealed)),
        _ => None,
    });
    let filings =
        crate::filing::filings(selected.iter().map(|(i, ev, _)| (*i, *ev)).chain(opened), &checks);
    Report {
        verified,
        anchored: options.keys.is_some(),
        caveats: caveats(&anchors),
        filings,
        trust_anchors: anchors,
        origin: m.origin.clone(),
        tree_size: newest.map_or(0, |n| n.checkpoint.size),
        entries: m.entries.len(),
        checks,
        documents: found_docs,
        compliance,
    }
}

/// The tender's compliance report, judged over its whole chain by each
/// event's received time with the rules the ledger judges by
/// ([`crate::rules`], which replays [`crate::procedure`] too), the holiday
/// calendar in force ([`Calendar::in_force`](crate::calendar::Calendar::in_force))
/// and the rule pack its documents were checked under.
/// Only a whole tender is judged.
fn tender_compliance(
    m: &Manifest,
    selected: &[Entry<'_>],
    events: &Events,
    certs: &HashMap<Hash, CertRecord>,
) -> Option<crate::rules::Compliance> {
    let Selection::Tender(t) = &m.selection else { return None };
    let mut chain: Vec<(u64, &Event)> =
        selected.iter().filter(|(_, ev, _)| ev.tender == *t).map(|(i, ev, _)| (*i, *ev)).collect();
    chain.sort_by_key(|(_, ev)| ev.seq);
    let pack = crate::rules::pack_link(&chain)
        .and_then(|link| match events.get(&link.index) {
            Some((Event { body: Body::Policy(p), .. }, _)) => Some(p.clone()),
            _ => None,
        })
        .unwrap_or_else(crate::policy::RulePack::default_pack);
    // The calendar the log had published by the bundle's tree (the bundle
    // carries the latest), else the shipped one; one that does not compile
    // was refused on admission, so it cannot judge.
    let calendar =
        crate::calendar::Calendar::in_force(events.iter().map(|(i, (e, _))| (*i, e))).ok()?;
    let steps: Vec<crate::rules::Step<'_>> =
        chain.iter().map(|(i, e)| crate::rules::Step::of(*i, e)).collect();
    let ctx = crate::rules::Context {
        calendar: &calendar,
        reading: crate::rules::Reading::default(),
        pack: &pack,
        certs: Some(certs),
    };
    Some(crate::rules::judge(t, &steps, &ctx))
}

/// The entries that decoded, by index: each event and its leaf hash.
type Events = BTreeMap<u64, (Event, Hash)>;

/// An entry that decoded: its index, event and leaf hash.
type Entry<'e> = (u64, &'e Event, &'e Hash);

/// What the log's signatures are checked by: the origin's trusted keys and the newest checkpoint.
#[derive(Clone, Copy)]
struct LogHead<'a> {
    key: Option<&'a LogKeys>,
    newest: Option<&'a SignedCheckpoint>,
}

/// What documents are checked by: the events, CA and TSA roots, registered certificates and seals.
struct Evidence<'a> {
    events: &'a Events,
    ca: &'a TrustStore,
    tsa: &'a TrustStore,
    certs: &'a HashMap<Hash, CertRecord>,
    seals: &'a HashMap<Hash, SealRecord>,
}

impl<'a> Evidence<'a> {
    /// The document checks' context, under the rule pack `policy`.
    fn context(&self, policy: Option<&'a RulePack>) -> crate::signing::Context<'a> {
        crate::signing::Context {
            ca: self.ca,
            tsa: self.tsa,
            certs: self.certs,
            seals: self.seals,
            policy,
        }
    }
}

/// Trust: the log keys given, else the bundle's (noted as anchors), to check the log's signatures.
fn log_keys(
    m: &Manifest,
    given: Option<&[LogAnchor]>,
    anchors: &mut Vec<String>,
    out: &mut Out,
) -> Vec<LogAnchor> {
    match given {
        Some(k) => {
            anchors.extend(k.iter().map(|v| format!("log key {} (given)", v.vkey())));
            k.to_vec()
        }
        None => {
            let mut v = Vec::new();
            for text in &m.trust.log_keys {
                match LogAnchor::parse(text) {
                    Ok(k) => {
                        anchors.push(format!("log key {} (from the bundle)", k.vkey()));
                        v.push(k);
                    }
                    Err(e) => out.add(
                        CheckName::CheckpointOriginAndKey,
                        "bundle",
                        Err(format!("log key {text:?}: {e}")),
                    ),
                }
            }
            v
        }
    }
}

/// The keys trusted for the log's origin: the pinned ones named for it, and
/// those the bundle's key history links to them (each for the tree sizes it
/// was in force). Without them nothing the log signed can be checked.
fn origin_keys(
    bundle: &Bundle,
    pinned: &[LogAnchor],
    anchors: &mut Vec<String>,
    out: &mut Out,
) -> Option<LogKeys> {
    let m = &bundle.manifest;
    let history = match &m.key_history {
        None => None,
        Some(member) => {
            let name_ok = member == crate::bundle::members::KEY_HISTORY;
            match KeyHistory::parse(bundle.member(member)) {
                Ok(h) if name_ok => Some(h),
                Ok(_) => {
                    out.add(
                        CheckName::KeyHistory,
                        "bundle",
                        Err(format!("the key history is in member {member:?}")),
                    );
                    return None;
                }
                Err(e) => {
                    out.add(CheckName::KeyHistory, "bundle", Err(e.to_string()));
                    return None;
                }
            }
        }
    };
    match LogKeys::from_anchors(&m.origin, pinned, history.as_ref()) {
        Ok(keys) => {
            let ids: Vec<String> = keys.keys().map(|k| format!("{:08x}", k.key_id())).collect();
            let pq: String = keys
                .post_quantum()
                .iter()
                .map(|k| format!(", and by ML-DSA-44 key {:08x}", k.key_id()))
                .collect();
            out.add(
                CheckName::CheckpointOriginAndKey,
                "bundle",
                Ok(format!("origin {} signed by key {}{pq}", m.origin, ids.join(", then "))),
            );
            if !keys.rotations().is_empty() {
                // The given keys are listed already; add those followed.
                anchors.extend(keys.anchors().into_iter().filter(|a| a.contains("(followed")));
                out.add(
                    CheckName::KeyHistory,
                    "bundle",
                    Ok(format!("{} rotations, each signed by both keys", keys.rotations().len())),
                );
            }
            Some(keys)
        }
        Err(e @ crate::log_keys::KeyHistoryError::PostQuantumAlone { .. }) => {
            out.add(CheckName::CheckpointOriginAndKey, "bundle", Err(e.to_string()));
            None
        }
        Err(crate::log_keys::KeyHistoryError::NotPinned { .. }) if history.is_none() => {
            out.add(
                CheckName::CheckpointOriginAndKey,
                "bundle",
                Err(format!("no trusted key is named for origin {:?}", m.origin)),
            );
            None
        }
        Err(e) => {
            out.add(CheckName::KeyHistory, "bundle", Err(e.to_string()));
            None
        }
    }
}

/// Each key rotation at or below the newest checkpoint's size handed over a
/// tree the newest one extends: its root, or a consistency proof from its
/// size (noted used). Returns the sizes used.
fn rotations_kept(
    key: Option<&LogKeys>,
    newest: Option<&SignedCheckpoint>,
    consistency: &BTreeMap<u64, Vec<Hash>>,
    out: &mut Out,
) -> BTreeSet<u64> {
    let mut used = BTreeSet::new();
    let (Some(key), Some(newest)) = (key, newest) else { return used };
    for r in key.rotations() {
        let subject = format!("key rotation at size {}", r.checkpoint.size);
        if r.checkpoint.size > newest.checkpoint.size {
            out.na(CheckName::KeyHistory, subject, "after the newest checkpoint");
            continue;
        }
        let plain = Checkpoint::new(&r.checkpoint.origin, r.checkpoint.size, r.checkpoint.root);
        let res = consistent_with_newest(&plain, Some(newest), consistency, &mut used)
            .map(|_| format!("the new key {:08x} took over this tree", r.new.key_id()));
        out.add(CheckName::KeyHistory, subject, res);
    }
    used
}

/// The newest checkpoint: signed by the origin's key, named for its size; every entry leads to it.
fn newest_checkpoint(
    bundle: &Bundle,
    key: Option<&LogKeys>,
    out: &mut Out,
) -> Option<SignedCheckpoint> {
    let m = &bundle.manifest;
    key.and_then(|k| {
        let r = SignedCheckpoint::verify(bundle.member(&m.checkpoint), k);
        let want =
            crate::bundle::members::checkpoint(r.as_ref().map_or(u64::MAX, |c| c.checkpoint.size));
        match r {
            Ok(c) if want == m.checkpoint => {
                out.add(
                    CheckName::CheckpointSignature,
                    "newest checkpoint",
                    Ok(format!("size {}, root {}", c.checkpoint.size, c.checkpoint.root)),
                );
                Some(c)
            }
            Ok(c) => {
                out.add(
                    CheckName::CheckpointSignature,
                    "newest checkpoint",
                    Err(format!(
                        "member {} holds the checkpoint of size {}",
                        m.checkpoint, c.checkpoint.size
                    )),
                );
                None
            }
            Err(e) => {
                out.add(CheckName::CheckpointSignature, "newest checkpoint", Err(e.to_string()));
                None
            }
        }
    })
}

/// Witness cosignatures on the newest checkpoint, judged by the policy
/// the user gave (`--policy`), else the one the bundle proposes (its
/// witness keys, any `witness_quorum` of them): each witness that cosigned,
/// with its algorithm and time, and whether the quorum is met.
fn witness_quorum(
    bundle: &Bundle,
    given: Option<&crate::witness_policy::WitnessPolicy>,
    newest: Option<&SignedCheckpoint>,
    anchors: &mut Vec<String>,
    out: &mut Out,
) {
    use crate::witness_policy::WitnessPolicy;
    let m = &bundle.manifest;
    // What the bundle proposes must be well formed even when the user's
    // policy is used instead: a malformed manifest is not evidence.
    let proposes = !m.trust.witness_keys.is_empty() || m.trust.witness_quorum != 0;
    if proposes && let Err(e) = WitnessPolicy::any_of(&m.trust.witness_keys, m.trust.witness_quorum)
    {
        out.add(
            CheckName::WitnessQuorum,
            "bundle",
            Err(format!("the witness policy the bundle proposes is malformed: {e}")),
        );
        return;
    }
    let proposed;
    let policy = match given {
        Some(p) => {
            anchors.push(format!("witness policy given: quorum {}", p.quorum()));
            p
        }
        None if m.trust.witness_keys.is_empty() && m.trust.witness_quorum == 0 => {
            out.na(
                CheckName::WitnessQuorum,
                "newest checkpoint",
                "no witness policy: give one with --policy FILE to check the witnesses' cosignatures",
            );
            return;
        }
        None => match WitnessPolicy::any_of(&m.trust.witness_keys, m.trust.witness_quorum) {
            Ok(p) => {
                anchors.push(format!(
                    "witness policy proposed by the bundle: {} of {} witness keys",
                    m.trust.witness_quorum,
                    m.trust.witness_keys.len()
                ));
                proposed = p;
                &proposed
            }
            Err(e) => {
                out.add(CheckName::WitnessQuorum, "newest checkpoint", Err(e.to_string()));
                return;
            }
        },
    };
    let Some(newest) = newest else {
        out.add(
            CheckName::WitnessQuorum,
            "newest checkpoint",
            Err("the newest checkpoint did not verify, so no cosignature on it counts".into()),
        );
        return;
    };
    let Ok(note) = crate::note::Note::parse(newest.note.as_bytes()) else {
        out.add(CheckName::WitnessQuorum, "newest checkpoint", Err("unreadable note".into()));
        return;
    };
    let c = policy.check(&note);
    let who: Vec<String> = c
        .cosigned
        .iter()
        .map(|(name, t)| {
            let alg = policy.witnesses.get(name).map_or("", |(k, _)| k.algorithm().label());
            let when = jiff::Timestamp::from_second(*t as i64)
                .map_or_else(|_| t.to_string(), |ts| ts.to_string());
            format!("{name} ({alg}) at {when}")
        })
        .collect();
    let subject = format!("checkpoint {}", newest.checkpoint.size);
    let mut why = format!(
        "quorum {}: cosigned by {}",
        policy.quorum(),
        if who.is_empty() { "no witness of the policy".to_owned() } else { who.join(", ") }
    );
    if !c.invalid.is_empty() {
        why += &format!("; cosignature lines that do not verify: {}", c.invalid.join(", "));
    }
    if c.met {
        out.add(CheckName::WitnessQuorum, subject, Ok(format!("{why} — met")));
    } else {
        out.add(
            CheckName::WitnessQuorum,
            subject,
            Err(format!("{why} — NOT met: the log's own word is all this checkpoint has")),
        );
    }
}

/// Consistency proofs by `from` size, each to the newest checkpoint: they tie older ones to it.
fn consistency_proofs(
    bundle: &Bundle,
    newest: Option<&SignedCheckpoint>,
    out: &mut Out,
) -> BTreeMap<u64, Vec<Hash>> {
    let mut consistency: BTreeMap<u64, Vec<Hash>> = BTreeMap::new();
    for c in &bundle.manifest.consistency {
        let subject = format!("consistency {}-{}", c.from, c.to);
        let name_ok = c.proof == crate::bundle::members::consistency(c.from, c.to);
        match consistency_from_text(bundle.member(&c.proof)) {
            Ok(p) if name_ok && newest.is_some_and(|n| n.checkpoint.size == c.to) => {
                if consistency.insert(c.from, p).is_some() {
                    out.add(CheckName::ConsistencyToNewest, subject, Err("listed twice".into()));
                }
            }
            Ok(_) => out.add(
                CheckName::ConsistencyToNewest,
                subject,
                Err("does not lead to the newest checkpoint, or its member is misnamed".into()),
            ),
            Err(e) => out.add(CheckName::ConsistencyToNewest, subject, Err(e)),
        }
    }
    consistency
}

/// Entries: canonical leaves, each in a checkpoint the newest one extends; returns the events.
fn entries(
    bundle: &Bundle,
    head: LogHead<'_>,
    consistency: &BTreeMap<u64, Vec<Hash>>,
    used_consistency: &mut BTreeSet<u64>,
    out: &mut Out,
) -> Events {
    let mut events: Events = BTreeMap::new();
    let mut last_index = None;
    for e in &bundle.manifest.entries {
        let subject = format!("entry {}", e.index);
        if last_index.is_some_and(|l| l >= e.index) {
            out.add(
                CheckName::BundleFormat,
                subject.clone(),
                Err("entries are not in ascending index order".into()),
            );
        }
        last_index = Some(e.index);
        if e.leaf != crate::bundle::members::leaf(e.index)
            || e.proof != crate::bundle::members::proof(e.index)
        {
            out.add(
                CheckName::BundleFormat,
                subject.clone(),
                Err("member names do not match the index".into()),
            );
        }
        let leaf = bundle.member(&e.leaf);
        let lh = leaf_hash(leaf);
        let event = match Event::decode(leaf) {
            Ok(ev) => {
                out.add(
                    CheckName::CanonicalLeaf,
                    subject.clone(),
                    Ok(format!("{} event of tender {:?}", ev.kind(), ev.tender)),
                );
                Some(ev)
            }
            Err(err) => {
                out.add(CheckName::CanonicalLeaf, subject.clone(), Err(err.to_string()));
                None
            }
        };
        out.add(CheckName::LeafHash, subject.clone(), Ok(lh.to_hex()));
        let proved = TlogProof::parse(bundle.member(&e.proof))
            .map_err(|err| err.to_string())
            .and_then(|p| {
                if p.extra.is_some() {
                    return Err("the tlog-proof has an (unauthenticated) extra line".into());
                }
                if p.index != e.index {
                    return Err(format!("the tlog-proof is for entry {}", p.index));
                }
                let k = head.key.ok_or("no trusted key")?;
                p.verify(&lh, k).map_err(|err| err.to_string())
            });
        match proved {
            Ok(cp) => {
                out.add(
                    CheckName::Inclusion,
                    subject.clone(),
                    Ok(format!("in the checkpoint of size {} signed with its batch", cp.size)),
                );
                let r = consistent_with_newest(&cp, head.newest, consistency, used_consistency);
                out.add(CheckName::ConsistencyToNewest, subject.clone(), r);
            }
            Err(err) => {
                out.add(CheckName::Inclusion, subject.clone(), Err(err));
                out.na(CheckName::ConsistencyToNewest, subject.clone(), "inclusion failed");
            }
        }
        if let Some(ev) = event {
            events.insert(e.index, (ev, lh));
        }
    }
    for from in consistency.keys() {
        if !used_consistency.contains(from) {
            out.add(
                CheckName::ConsistencyToNewest,
                format!("consistency {from}"),
                Err("proof for a checkpoint no entry uses".into()),
            );
        }
    }
    events
}

/// Whether an entry's checkpoint is the newest or, by a consistency proof (noted used), its prefix.
fn consistent_with_newest(
    cp: &Checkpoint,
    newest: Option<&SignedCheckpoint>,
    consistency: &BTreeMap<u64, Vec<Hash>>,
    used: &mut BTreeSet<u64>,
) -> Result<String, String> {
    match newest {
        Some(n) if n.checkpoint.size == cp.size => {
            if n.checkpoint.root == cp.root {
                Ok("its checkpoint is the newest".into())
            } else {
                Err("same size, different root: the log forked".into())
            }
        }
        Some(n) => match consistency.get(&cp.size) {
            Some(proof) => {
                used.insert(cp.size);
                match verify_consistency(
                    cp.size,
                    n.checkpoint.size,
                    proof,
                    &cp.root,
                    &n.checkpoint.root,
                ) {
                    Ok(()) => {
                        Ok(format!("size {} is a prefix of size {}", cp.size, n.checkpoint.size))
                    }
                    Err(err) => Err(format!("size {} to {}: {err}", cp.size, n.checkpoint.size)),
                }
            }
            None => Err(format!("no consistency proof from size {}", cp.size)),
        },
        None => Err("no verified newest checkpoint".into()),
    }
}

/// Global chain: consecutive entries link by leaf hash, so nothing was put in between.
fn global_chain(events: &Events, out: &mut Out) {
    let mut linked = 0;
    for (i, (ev, _)) in events {
        if let Some(prev) = i.checked_sub(1).and_then(|p| events.get(&p)) {
            linked += 1;
            if !follows_leaf(Some(&prev.1), ev.prev_leaf.as_ref()) {
                out.add(
                    CheckName::GlobalChainLink,
                    format!("entry {i}"),
                    Err(format!("prev_leaf is not the hash of entry {}", i - 1)),
                );
            }
        }
    }
    if linked == 0 {
        out.na(CheckName::GlobalChainLink, "bundle", "no two consecutive entries");
    } else if !out.0.iter().any(|c| c.check == CheckName::GlobalChainLink) {
        out.add(
            CheckName::GlobalChainLink,
            "bundle",
            Ok(format!("{linked} links between consecutive entries")),
        );
    }
}

/// Context: the listed certificate and seal chains, the rule packs named
/// and, for a tender, the holiday calendar it is judged by — to check the
/// rest by.
fn context_entries(m: &Manifest, events: &Events) -> BTreeSet<u64> {
    let chain_tenders: BTreeSet<&str> =
        m.certificates.iter().chain(&m.seals).map(|c| c.tender.as_str()).collect();
    let mut context: BTreeSet<u64> = events
        .iter()
        .filter(|(_, (ev, _))| {
            matches!(ev.body, Body::Certificate(_) | Body::SealBinding(_))
                && chain_tenders.contains(ev.tender.as_str())
        })
        .map(|(i, _)| *i)
        .collect();
    let policy_links: BTreeSet<u64> = events
        .iter()
        .filter(|(i, _)| !context.contains(i))
        .filter_map(|(_, (ev, _))| ev.policy.map(|l| l.index))
        .collect();
    for i in policy_links {
        if events.get(&i).is_some_and(|(ev, _)| matches!(ev.body, Body::Policy(_))) {
            context.insert(i);
        }
    }
    // One calendar, the latest the bundle carries: the one its compliance
    // report counts days by.
    if matches!(m.selection, Selection::Tender(_))
        && let Some(i) = events
            .iter()
            .filter(|(_, (ev, _))| matches!(ev.body, Body::Calendar(_)))
            .map(|(i, _)| *i)
            .max()
    {
        context.insert(i);
    }
    context
}

/// Sealed entries opened by reveals, and their rule packs, are context: reveals need them.
fn open_sealed_entries(m: &Manifest, events: &Events, context: &mut BTreeSet<u64>) {
    // A tender bundle holds them as the tender's own events anyway.
    if matches!(m.selection, Selection::Tender(_)) {
        return;
    }
    let opened: Vec<u64> = events
        .iter()
        .filter(|(i, _)| !context.contains(i))
        .filter_map(|(_, (ev, _))| match &ev.body {
            Body::Reveal(r) => Some(r.sealed.index),
            _ => None,
        })
        .collect();
    for i in opened {
        if let Some((ev, _)) = events.get(&i)
            && matches!(ev.body, Body::SealedDocument(_))
        {
            context.insert(i);
            if let Some(p) = ev.policy
                && events.get(&p.index).is_some_and(|(e, _)| matches!(e.body, Body::Policy(_)))
            {
                context.insert(p.index);
            }
        }
    }
}

/// What the user selected: every entry that is not context; entries selected by index never are.
fn selected_entries<'e>(
    m: &Manifest,
    events: &'e Events,
    context: &mut BTreeSet<u64>,
) -> Vec<Entry<'e>> {
    if let Selection::Indexes(list) = &m.selection {
        for i in list {
            context.remove(i);
        }
    }
    events.iter().filter(|(i, _)| !context.contains(i)).map(|(i, (ev, lh))| (*i, ev, lh)).collect()
}

/// Selection: the entries are the ones selected; a tender's chain is complete to its signed head.
fn selection(
    bundle: &Bundle,
    head: LogHead<'_>,
    selected: &[Entry<'_>],
    context: &BTreeSet<u64>,
    out: &mut Out,
) {
    let m = &bundle.manifest;
    match &m.selection {
        Selection::Tender(t) => {
            let mut chain: Vec<Entry<'_>> = Vec::new();
            let mut ok = true;
            for &(i, ev, lh) in selected {
                if ev.tender != *t {
                    ok = false;
                    out.add(
                        CheckName::Selection,
                        format!("entry {i}"),
                        Err(format!("belongs to tender {:?}, not {t:?}", ev.tender)),
                    );
                } else {
                    chain.push((i, ev, lh));
                }
            }
            if ok {
                out.add(
                    CheckName::Selection,
                    "bundle",
                    Ok(format!("every entry belongs to tender {t:?}")),
                );
            }
            let complete = match m.tender_head.as_deref() {
                None => Err("the bundle has no signed tender head".into()),
                Some(member) if member != crate::bundle::members::TENDER_HEAD => {
                    Err("the tender head member is misnamed".into())
                }
                Some(member) => {
                    chain_complete(chain, t, bundle.member(member), head.key, head.newest)
                }
            };
            out.add(CheckName::PerTenderChainCompleteness, format!("tender {t:?}"), complete);
        }
        Selection::Indexes(_) | Selection::Document(_) if m.tender_head.is_some() => {
            out.add(
                CheckName::Selection,
                "bundle",
                Err("a tender head in a bundle that is not a tender's".into()),
            );
        }
        Selection::Indexes(list) => {
            let have: Vec<u64> =
                m.entries.iter().map(|e| e.index).filter(|i| !context.contains(i)).collect();
            out.add(
                CheckName::Selection,
                "bundle",
                if *list == have {
                    Ok(format!("entries {list:?}"))
                } else {
                    Err("the entries are not the selected ones".into())
                },
            );
            out.na(CheckName::PerTenderChainCompleteness, "bundle", "not a tender bundle");
        }
        Selection::Document(h) => {
            let all = !selected.is_empty()
                && selected
                    .iter()
                    .all(|(_, ev, _)| ev.body.document().is_some_and(|d| d.sha256 == *h));
            out.add(
                CheckName::Selection,
                "bundle",
                if all && selected.len() + context.len() == m.entries.len() {
                    Ok(format!("every entry logged document {h}"))
                } else {
                    Err(format!("not every entry logged document {h}"))
                },
            );
            out.na(CheckName::PerTenderChainCompleteness, "bundle", "not a tender bundle");
        }
    }
}

/// A listed certificate or seal chain, complete to its signed head: the walk, its entries by seq.
fn listed_chain<'e>(
    bundle: &Bundle,
    head: LogHead<'_>,
    events: &'e Events,
    c: &ChainHead,
    member: &str,
    prefix: &str,
) -> Result<(String, Vec<Entry<'e>>), String> {
    let chain: Vec<Entry<'e>> = events
        .iter()
        .filter(|(_, (ev, _))| ev.tender == c.tender)
        .map(|(i, (ev, lh))| (*i, ev, lh))
        .collect();
    if c.head != member || !c.tender.starts_with(prefix) {
        return Err(format!(
            "the chain head member is misnamed, or the chain is not a {prefix} chain"
        ));
    }
    let done =
        chain_complete(chain.clone(), &c.tender, bundle.member(&c.head), head.key, head.newest)?;
    let mut sorted = chain;
    sorted.sort_by_key(|(_, ev, _)| ev.seq);
    Ok((done, sorted))
}

/// Certificate chains: each certificate's whole lifecycle, so its status is judged on all of it.
fn certificate_chains(
    bundle: &Bundle,
    head: LogHead<'_>,
    events: &Events,
    out: &mut Out,
) -> HashMap<Hash, CertRecord> {
    let mut certs: HashMap<Hash, CertRecord> = HashMap::new();
    for (n, c) in bundle.manifest.certificates.iter().enumerate() {
        let member = crate::bundle::members::chain_head("certificate", n);
        let r = listed_chain(bundle, head, events, c, &member, crate::event::CERT_TENDER_PREFIX)
            .and_then(|(done, chain)| {
                let list: Vec<(u64, &crate::event::CertificateEvent)> = chain
                    .iter()
                    .filter_map(|(i, ev, _)| match &ev.body {
                        Body::Certificate(ce) => Some((*i, ce)),
                        _ => None,
                    })
                    .collect();
                if list.len() != chain.len() {
                    return Err("the chain holds events other than certificate events".into());
                }
                let rec = CertRecord::from_chain(&list).map_err(|e| e.to_string())?;
                let fp = rec.cert.fingerprint();
                if crate::event::cert_tender(&fp) != c.tender {
                    return Err("the chain's certificate does not match its name".into());
                }
                certs.insert(fp, rec);
                Ok(format!("{done} (lifecycle)"))
            });
        out.add(
            CheckName::PerTenderChainCompleteness,
            format!("certificate chain {}", c.tender),
            r,
        );
    }
    certs
}

/// Seal chains: each seal's whole binding history, so its bindings are judged on all of it.
fn seal_chains(
    bundle: &Bundle,
    head: LogHead<'_>,
    events: &Events,
    out: &mut Out,
) -> HashMap<Hash, SealRecord> {
    let mut seals: HashMap<Hash, SealRecord> = HashMap::new();
    for (n, c) in bundle.manifest.seals.iter().enumerate() {
        let member = crate::bundle::members::chain_head("seal", n);
        let r = listed_chain(bundle, head, events, c, &member, crate::event::SEAL_TENDER_PREFIX)
            .and_then(|(done, chain)| {
                let list: Vec<(u64, &crate::event::SealBinding)> = chain
                    .iter()
                    .filter_map(|(i, ev, _)| match &ev.body {
                        Body::SealBinding(sb) => Some((*i, sb)),
                        _ => None,
                    })
                    .collect();
                if list.len() != chain.len() {
                    return Err("the chain holds events other than seal bindings".into());
                }
                let rec = SealRecord::from_chain(&list)?;
                let fp = rec.seal.fingerprint();
                if crate::event::seal_tender(&fp) != c.tender {
                    return Err("the chain's seal does not match its name".into());
                }
                seals.insert(fp, rec);
                Ok(format!("{done} (seal bindings)"))
            });
        out.add(CheckName::PerTenderChainCompleteness, format!("seal chain {}", c.tender), r);
    }
    seals
}

/// The newest checkpoint's own token, if carried: a TSA's word on when the log held these entries.
fn newest_checkpoint_token(
    bundle: &Bundle,
    newest: Option<&SignedCheckpoint>,
    tsa: &TrustStore,
    checked: &mut BTreeSet<CheckName>,
    out: &mut Out,
) {
    let m = &bundle.manifest;
    let Some(member) = &m.checkpoint_timestamp else { return };
    let body = bundle.member(&m.checkpoint);
    let body = std::str::from_utf8(body).ok().map(|t| match t.find("\n\n") {
        Some(i) => &t[..=i],
        None => t,
    });
    let digest: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(body.unwrap_or("")).into();
    let r = match newest {
        _ if *member != m.checkpoint.replace(".note", ".tst") => {
            Err("the token member is misnamed".to_owned())
        }
        None => Err("the newest checkpoint did not verify".to_owned()),
        Some(n) => crate::tsp::verify_token(bundle.member(member), &digest, tsa)
            .map_err(|e| e.to_string())
            .and_then(|ts| {
                if ts.info.message_imprint.hash_algorithm.oid != crate::tsp::SHA256 {
                    return Err("the token's imprint is not SHA-256".into());
                }
                Ok(format!(
                    "entries 0..{} were in the log by {} ({}; token by {})",
                    n.checkpoint.size,
                    crate::calendar::when(ts.time_ms),
                    "RFC 3161 over the checkpoint body",
                    ts.tsa.subject()
                ))
            }),
    };
    out.add(CheckName::Timestamp, "newest checkpoint", r);
    checked.insert(CheckName::Timestamp);
}

/// Selected documents: signatures, certificates, seals, timestamps, rule pack, as the ledger ran.
fn selected_documents(
    selected: &[Entry<'_>],
    evidence: &Evidence<'_>,
    checked: &mut BTreeSet<CheckName>,
    out: &mut Out,
) {
    for &(i, ev, _) in selected {
        let Body::Document(d) = &ev.body else { continue };
        if d.signatures.is_empty()
            && d.timestamps.is_empty()
            && d.seal_ders().next().is_none()
            && ev.policy.is_none()
        {
            continue;
        }
        let pack = match rule_pack(evidence.events, ev.policy) {
            Ok(p) => p,
            Err(missing) => {
                let why = format!("its rule pack, entry {missing}, is not in the bundle");
                out.add(CheckName::Policy, format!("entry {i}"), Err(why));
                checked.insert(CheckName::Policy);
                None
            }
        };
        let ctx = evidence.context(pack);
        for f in crate::signing::check_document(d, ev.received_ms, &ctx) {
            checked.insert(f.check);
            out.add(f.check, format!("entry {i} {}", f.subject), f.result.map_err(|e| e.detail));
        }
        if pack.is_some() {
            checked.insert(CheckName::Policy);
        }
    }
}

/// The entries that logged the document `sha`: its document event, or a sealed one's reveal.
fn logged<'e>(events: &'e Events, sha: &Hash) -> Vec<(u64, &'e Event)> {
    events
        .iter()
        .filter(|(_, (ev, _))| match &ev.body {
            Body::Document(d) => d.sha256 == *sha,
            // A sealed document is logged by its reveal.
            Body::Reveal(r) => r.document.sha256 == *sha,
            _ => false,
        })
        .map(|(i, (ev, _))| (*i, ev))
        .collect()
}

/// Documents carried and given: each logged by an entry; returns where the given ones were logged.
fn documents(
    bundle: &Bundle,
    given: &[GivenDocument],
    events: &Events,
    certs: &HashMap<Hash, CertRecord>,
    out: &mut Out,
) -> Vec<serde_json::Value> {
    let m = &bundle.manifest;
    for d in &m.documents {
        let bytes = bundle.member(&d.path);
        let sha: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(bytes).into();
        let r = if d.path != crate::bundle::members::document(&d.sha256) {
            Err("member name does not match the digest".into())
        } else if Hash(sha) != d.sha256 {
            Err(format!("the carried file hashes to {}", Hash(sha)))
        } else if logged(events, &d.sha256).is_empty() {
            Err("no entry in the bundle logged it".into())
        } else {
            Ok(format!("{} bytes, logged", bytes.len()))
        };
        out.add(CheckName::DocumentDigest, format!("document {}", d.sha256), r);
    }
    let mut found_docs = Vec::new();
    for g in given {
        if let Some(found) = given_document(g, events, certs, out) {
            found_docs.push(found);
        }
    }
    if m.documents.is_empty() && given.is_empty() {
        out.na(CheckName::DocumentDigest, "bundle", "no document given or carried");
    }
    found_docs
}

/// A given document: logged, with the file's SM3 where stated; where, when, by whom, who signed it.
fn given_document(
    g: &GivenDocument,
    events: &Events,
    certs: &HashMap<Hash, CertRecord>,
    out: &mut Out,
) -> Option<serde_json::Value> {
    let hits = logged(events, &g.sha256);
    if hits.is_empty() {
        // Not logged as filed: perhaps refused, which the log records too.
        let refusal = events.iter().find_map(|(i, (ev, _))| match &ev.body {
            Body::SubmissionRejected(r) if r.sha256 == g.sha256 => Some((*i, ev, r)),
            _ => None,
        });
        let Some((i, ev, r)) = refusal else {
            out.add(
                CheckName::DocumentDigest,
                g.name.clone(),
                Err(format!("SHA-256 {} was not logged by any entry in the bundle", g.sha256)),
            );
            return None;
        };
        out.add(
            CheckName::DocumentDigest,
            g.name.clone(),
            Err(format!(
                "REFUSED, not filed: entry {i} records that {:?} submitted it as a {} at {} and the platform refused it — {} check: {}",
                ev.principal,
                r.document_type.name(),
                crate::calendar::when(ev.received_ms),
                r.check,
                r.reason
            )),
        );
        return Some(serde_json::json!({
            "document": g.name, "sha256": g.sha256, "entry": i, "tender": ev.tender,
            "principal": ev.principal, "received_ms": ev.received_ms, "refused": true,
            "check": r.check, "reason": r.reason, "event": ev.to_json(),
        }));
    }
    if let Some((i, _)) = hits.iter().find(|(_, ev)| {
        let d = ev.body.document();
        matches!((d.and_then(|d| d.sm3), g.sm3), (Some(logged), Some(file)) if logged != file)
    }) {
        out.add(
            CheckName::DocumentDigest,
            g.name.clone(),
            Err(format!(
                "entry {i} states an SM3 for this SHA-256 that is not the file's SM3: its SM2 signatures or SM3 timestamps are not over this file"
            )),
        );
        return None;
    }
    let (i, ev) = hits[0];
    // For a sealed document: filed when and by whom its reveal says,
    // as the sealed entry it opens.
    let (entry, principal, received_ms, how) = match &ev.body {
        Body::Reveal(r) => match events.get(&r.sealed.index) {
            Some((sealed, _)) => (
                r.sealed.index,
                r.principal.clone(),
                sealed.received_ms,
                format!(" under seal, revealed as entry {i}"),
            ),
            None => {
                out.add(
                    CheckName::DocumentDigest,
                    g.name.clone(),
                    Err(format!(
                        "revealed by entry {i}, but the sealed entry {} is not in the bundle",
                        r.sealed.index
                    )),
                );
                return None;
            }
        },
        _ => (i, ev.principal.clone(), ev.received_ms, String::new()),
    };
    out.add(
        CheckName::DocumentDigest,
        g.name.clone(),
        Ok(format!(
            "logged as entry {entry} by {principal:?} at {}{how}",
            crate::calendar::when(received_ms)
        )),
    );
    // Who signed it, by the registered certificates the bundle holds.
    let doc = match &ev.body {
        Body::Document(d) => Some(d),
        Body::Reveal(r) => Some(&r.document),
        _ => None,
    };
    if let Some(d) = doc.filter(|d| !d.ofd_seals.is_empty()) {
        out.add(CheckName::Seal, format!("{} e-seals", g.name), ofd_seals_match(d, g));
    }
    let signed_by: Vec<String> = match doc {
        Some(d) => d
            .signatures
            .iter()
            .map(|sig| {
                certs.get(&sig.cert).map_or_else(
                    || format!("certificate {} (not in the bundle)", sig.cert),
                    |r| r.cert.subject(),
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    Some(serde_json::json!({
        "document": g.name, "sha256": g.sha256, "entry": entry, "tender": ev.tender,
        "principal": principal, "received_ms": received_ms,
        "revealed_by": (entry != i).then_some(i),
        "signed_by": signed_by, "event": ev.to_json(),
    }))
}

/// A given OFD package holds the e-seals its entry logged — the same seal
/// over a `Signature.xml` of the same SM3, at the same place — and every
/// part they sign is as signed.
fn ofd_seals_match(d: &crate::event::Document, g: &GivenDocument) -> Result<String, String> {
    let Some(pkg) = &g.ofd else {
        return Err("the entry logs e-seals inside an OFD package, and this file is not one".into());
    };
    for (n, logged) in d.ofd_seals.iter().enumerate() {
        let found = pkg.seals.iter().find(|s| s.signature_xml == logged.signature_xml);
        match found {
            None => {
                return Err(format!(
                    "logged e-seal {} ({}) is not in the package",
                    n + 1,
                    logged.signature_xml
                ));
            }
            Some(s) if s.signature_xml_sm3 != logged.signature_xml_sm3 => {
                return Err(format!(
                    "{} in the package is not the one logged: its SM3 is {}",
                    logged.signature_xml, s.signature_xml_sm3
                ));
            }
            Some(s) if s.seal != logged.seal => {
                return Err(format!(
                    "the e-seal over {} is not the one logged",
                    logged.signature_xml
                ));
            }
            Some(_) => {}
        }
    }
    pkg.intact.clone()?;
    Ok(format!(
        "the package's {} logged e-seal{} are in the file, over the same Signature.xml, and every part they sign is as signed",
        d.ofd_seals.len(),
        if d.ofd_seals.len() == 1 { "" } else { "s" }
    ))
}

/// Reveals: each opens its sealed entry, whose document then gets the same checks at its time.
fn reveals(
    selected: &[Entry<'_>],
    evidence: &Evidence<'_>,
    checked: &mut BTreeSet<CheckName>,
    out: &mut Out,
) -> bool {
    let mut revealed = false;
    for &(i, ev, _) in selected {
        let Body::Reveal(r) = &ev.body else { continue };
        revealed = true;
        let sealed = evidence.events.get(&r.sealed.index).map(|(e, lh)| (e, lh));
        let res = crate::signing::check_reveal(r, &ev.tender, sealed);
        let ok = res.is_ok();
        out.add(CheckName::CommitmentReveal, format!("entry {i}"), res);
        let Some((sev, _)) = sealed.filter(|_| ok) else { continue };
        let pack = match rule_pack(evidence.events, sev.policy) {
            Ok(p) => p,
            Err(missing) => {
                let why =
                    format!("the sealed entry's rule pack, entry {missing}, is not in the bundle");
                out.add(CheckName::Policy, format!("entry {i}"), Err(why));
                checked.insert(CheckName::Policy);
                None
            }
        };
        let ctx = evidence.context(pack);
        for f in crate::signing::check_document(&r.document, sev.received_ms, &ctx) {
            checked.insert(f.check);
            out.add(
                f.check,
                format!("entry {i} (revealed {}) {}", r.sealed.index, f.subject),
                f.result.map_err(|e| e.detail),
            );
        }
    }
    revealed
}

/// Document checks no selected entry ran, and reveals if none: not applicable, so each has a line.
fn not_applicable(checked: &BTreeSet<CheckName>, revealed: bool, out: &mut Out) {
    for check in [CheckName::Signature, CheckName::CertificateChain, CheckName::CertificateStatus] {
        if !checked.contains(&check) {
            out.na(check, "bundle", "no selected entry carries a signature");
        }
    }
    if !checked.contains(&CheckName::Timestamp) {
        out.na(CheckName::Timestamp, "bundle", "no selected entry carries a timestamp token");
    }
    if !checked.contains(&CheckName::Policy) {
        out.na(CheckName::Policy, "bundle", "no selected entry was checked under a rule pack");
    }
    if !checked.contains(&CheckName::Seal) {
        out.na(CheckName::Seal, "bundle", "no selected entry carries an e-seal");
    }
    if !revealed {
        out.na(CheckName::CommitmentReveal, "bundle", "no selected entry reveals a commitment");
    }
}

/// What a reader must weigh, from the trust anchors: a demo CA, a TSA
/// that is not accredited, CA or TSA roots the evidence brought itself.
fn caveats(anchors: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for a in anchors {
        // "CA root <subject> (given)": the subject, which may hold parentheses.
        let subject = a.rsplit_once(" (").map_or(a.as_str(), |(s, _)| s);
        if a.contains("not a real CA") {
            out.push(format!(
                "signatures and seals rest on a demo CA ({subject}), not a real one: they show only that the demo's keys signed"
            ));
        } else if a.contains("not accredited") && a.starts_with("TSA root") {
            out.push(format!(
                "trusted times rest on a TSA that is not accredited ({subject}): they are the platform's own clock, not an independent time"
            ));
        }
    }
    for what in ["CA", "TSA"] {
        let prefix = format!("{what} root ");
        if anchors.iter().any(|a| a.starts_with(&prefix) && a.ends_with("(from the bundle)")) {
            out.push(format!(
                "the {what} roots were taken from the bundle itself; give --{}-root to check against roots you trust",
                what.to_lowercase()
            ));
        }
    }
    out
}

impl Report {
    /// The report for people: the verdict and what it rests on, each
    /// document in plain words, the trust anchors, and of the checks only
    /// the failed ones and a count ([`Report::to_text_verbose`] lists all).
    pub fn to_text(&self) -> String {
        self.render(false)
    }

    /// [`Report::to_text`] with every check listed.
    pub fn to_text_verbose(&self) -> String {
        self.render(true)
    }

    fn render(&self, verbose: bool) -> String {
        let mut s = String::new();
        let failed: Vec<&Check> = self.checks.iter().filter(|c| c.status == Status::Fail).collect();
        let what = if self.entries == 1 {
            "1 entry".to_owned()
        } else {
            format!("{} entries", self.entries)
        };
        if self.verified && self.anchored {
            let how = if self.trust_anchors.iter().any(|a| a.contains("(pinned in ")) {
                "pinned"
            } else {
                "gave"
            };
            s.push_str(&format!(
                "VERIFIED: {what} of log {} in its checkpoint of size {}; every check passed, against the log key you {how}.\n",
                self.origin, self.tree_size
            ));
        } else if self.verified {
            let key = self
                .trust_anchors
                .iter()
                .find_map(|a| {
                    a.strip_prefix("log key ").and_then(|k| k.strip_suffix(" (from the bundle)"))
                })
                .unwrap_or("<the log's verifier key>");
            s.push_str(&format!(
                "NOT ANCHORED: every check of {what} of log {} passed, but against the log key the bundle itself carries — anyone can make a bundle that passes that way. Get the log's key from its operator and run again with --key '{key}' if it is the same, or pin it once: tenderlog-verify trust add '{key}'.\n",
                self.origin
            ));
        } else {
            s.push_str(&format!(
                "NOT VERIFIED: {} check(s) failed; first: {} ({}): {}\n",
                failed.len(),
                failed[0].check,
                failed[0].subject,
                failed[0].detail
            ));
        }
        for c in &self.caveats {
            s.push_str(&format!("CAUTION: {c}\n"));
        }
        // Trusted time for every entry at once: a token over the checkpoint.
        if let Some(c) = self.checks.iter().find(|c| {
            c.check == CheckName::Timestamp
                && c.subject == "newest checkpoint"
                && c.status == Status::Pass
        }) {
            s.push_str(&format!("TIME: {}\n", c.detail));
        }
        if self.compliance.is_some() && !self.verified {
            s.push_str(
                "COMPLIANCE: not judged here: a record that does not verify cannot show how the tender was run\n",
            );
        }
        if let Some(c) = self.compliance.as_ref().filter(|_| self.verified)
            && let Some(first) = c.failures().next()
        {
            s.push_str(&format!(
                "COMPLIANCE: the record shows {} rule(s) of the tender's procedure broken; first: {} {}: {}\n",
                c.failures().count(),
                first.rule,
                first.title,
                first.detail
            ));
        }
        for d in &self.documents {
            if d["refused"] == true {
                s.push_str(&format!(
                    "document {} was REFUSED, not filed: entry {} of tender {} records its submission by {} at {}; {} check: {}\n",
                    d["document"],
                    d["entry"],
                    d["tender"],
                    d["principal"],
                    crate::calendar::when(d["received_ms"].as_u64().unwrap_or_default()),
                    d["check"].as_str().unwrap_or_default(),
                    d["reason"].as_str().unwrap_or_default()
                ));
                continue;
            }
            let sealed = match d["revealed_by"].as_u64() {
                Some(r) => format!(", under seal, revealed as entry {r}"),
                None => String::new(),
            };
            s.push_str(&format!(
                "document {} was logged as entry {} of tender {} by {} at {}{sealed}\n",
                d["document"],
                d["entry"],
                d["tender"],
                d["principal"],
                crate::calendar::when(d["received_ms"].as_u64().unwrap_or_default())
            ));
            for signer in d["signed_by"].as_array().into_iter().flatten() {
                s.push_str(&format!("  signed by {}\n", signer.as_str().unwrap_or_default()));
            }
        }
        // Files given for a receipt (a bundle's are listed above).
        if self.documents.is_empty() {
            for c in self.checks.iter().filter(|c| {
                c.check == CheckName::DocumentDigest
                    && c.status == Status::Pass
                    && c.subject != "bundle"
                    && !c.subject.starts_with("document ")
            }) {
                s.push_str(&format!("document {:?} is {}\n", c.subject, c.detail));
            }
        }
        if !self.filings.is_empty() {
            s.push_str(&format!("\ndocuments ({}):\n", self.filings.len()));
            for f in &self.filings {
                s.push_str(&f.to_text());
            }
        }
        s.push_str("\ntrust anchors:\n");
        for a in &self.trust_anchors {
            s.push_str(&format!("  {a}\n"));
        }
        let count = |st: Status| self.checks.iter().filter(|c| c.status == st).count();
        let (passed, failed, na) =
            (count(Status::Pass), count(Status::Fail), count(Status::NotApplicable));
        s.push_str(&format!(
            "\nchecks: {} run — {passed} passed, {failed} failed, {na} not applicable{}\n",
            self.checks.len(),
            if verbose { "" } else { " (--verbose lists every one)" }
        ));
        for c in self.checks.iter().filter(|c| verbose || c.status == Status::Fail) {
            let mark = match c.status {
                Status::Pass => "pass",
                Status::Fail => "FAIL",
                Status::NotApplicable => "n/a ",
            };
            s.push_str(&format!("  {mark}  {:<38} {:<22} {}\n", c.check, c.subject, c.detail));
        }
        if let Some(c) = self.compliance.as_ref().filter(|_| self.verified) {
            s.push_str("\n(what the record shows; not part of the verdict above)\n");
            s.push_str(&c.to_text());
        }
        s
    }
}

/// Whether the file `g` is the one a receipt's entry logged: its SHA-256
/// (and SM3, where the entry states one) is the document's, the opened
/// document's, or the refused one's.
fn receipt_document(
    decoded: &Result<Event, crate::Error>,
    r: &Receipt,
    g: &GivenDocument,
    told: Option<&(String, String)>,
) -> Result<String, String> {
    let Ok(ev) = decoded else { return Err("the receipt's leaf did not decode".into()) };
    let (doc, how) = match (&ev.body, &r.sealed) {
        (Body::Document(d), _) => (d, "filed"),
        (Body::SealedDocument(_), Some(opening)) => (&opening.document, "filed under seal"),
        (Body::SealedDocument(_), None) => {
            return Err("a sealed entry, and the receipt carries no opening to compare with".into());
        }
        (Body::SubmissionRejected(rej), sealed) => {
            // A sealed refusal logs a commitment; its opening has the file's digest.
            let refused = sealed.as_ref().map_or(rej.sha256, |o| o.document.sha256);
            // For a sealed refusal, the check and reason the platform told
            // the submitter (the log holds neither).
            let (check, reason) = match (sealed, told) {
                (Some(_), Some((c, d))) if !d.is_empty() => (c.as_str(), d.as_str()),
                _ => (rej.check.as_str(), rej.reason.as_str()),
            };
            return if refused == g.sha256 {
                Err(format!(
                    "REFUSED, not filed: this file was submitted as a {} and refused — {check} check: {reason}",
                    crate::filing::words(rej.document_type),
                ))
            } else {
                Err(format!("the refused submission had SHA-256 {refused}, not this file's"))
            };
        }
        _ => return Err(format!("the entry is a {} event, not a document", ev.kind())),
    };
    if doc.sha256 != g.sha256 {
        return Err(format!("the file's SHA-256 is {}; the entry logged {}", g.sha256, doc.sha256));
    }
    if let (Some(logged), Some(file)) = (doc.sm3, g.sm3)
        && logged != file
    {
        return Err("the entry states another SM3 than the file's".into());
    }
    Ok(format!(
        "the {} {how} as entry {} (SHA-256 {})",
        crate::filing::words(doc.document_type),
        r.index,
        g.sha256
    ))
}

/// What a receipt's entry is, in words: the document (type and digest), or
/// the refusal (what, which check, why), or the kind of event.
fn receipt_subject(ev: &Event) -> String {
    match &ev.body {
        Body::Document(d) => format!("{} (SHA-256 {}), filed", d.document_type.name(), d.sha256),
        Body::SealedDocument(d) => {
            format!("{} filed under seal (commitment {})", d.document_type.name(), d.commitment)
        }
        Body::Reveal(r) => format!(
            "the opening of sealed entry {}: {} (SHA-256 {})",
            r.sealed.index,
            r.document.document_type.name(),
            r.document.sha256
        ),
        Body::SubmissionRejected(r) => format!(
            "a REFUSED {} (SHA-256 {}) — {} check: {}",
            r.document_type.name(),
            r.sha256,
            r.check,
            r.reason
        ),
        other => format!("a {} event", other.kind()),
    }
}

/// The receipt a submitter gets from `POST /v1/events` (and anyone from
/// `GET /v1/receipts/{index}`): the one type the server writes and the
/// verifier reads.
#[derive(serde::Deserialize, Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The entry's index.
    pub index: u64,
    /// The leaf, base64.
    pub leaf: String,
    /// The leaf hash, hex.
    pub leaf_hash: Hash,
    /// The signed checkpoint.
    pub checkpoint: String,
    /// The inclusion proof, hex.
    pub inclusion_proof: Vec<Hash>,
    /// The same as a C2SP tlog-proof.
    pub tlog_proof: String,
    /// Whether the content had been logged before.
    pub duplicate: bool,
    /// For a sealed document: the opening of its commitment (only its
    /// submitter ever gets it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<crate::event::Reveal>,
}

/// A newer checkpoint and the consistency proof to it, to show the log has
/// not rewritten the receipt's entry since.
pub struct Newer<'a> {
    /// The newer signed checkpoint.
    pub checkpoint: &'a [u8],
    /// The consistency proof from the receipt's checkpoint to it.
    pub proof: Option<Vec<Hash>>,
}

/// Verifies a receipt: the leaf is canonical and hashes to the receipt's
/// leaf hash, the checkpoint is signed by `key`, the leaf is included in it,
/// the JSON fields agree with the tlog-proof, and (given `newer`) the log is
/// consistent with a newer checkpoint. `Err` means the file is unreadable.
pub fn verify_receipt(
    bytes: &[u8],
    key: &(impl crate::log_keys::LogKey + ?Sized),
    newer: Option<Newer<'_>>,
) -> Result<Report, String> {
    verify_receipt_with(bytes, key, newer, &[])
}

/// [`verify_receipt`], and that each of `documents` is the file the
/// receipt's entry logged (filed, opened from its seal, or refused).
pub fn verify_receipt_with(
    bytes: &[u8],
    key: &(impl crate::log_keys::LogKey + ?Sized),
    newer: Option<Newer<'_>>,
    documents: &[GivenDocument],
) -> Result<Report, String> {
    use base64::Engine as _;
    // A 422 answer to a refused submission carries the refusal's receipt.
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not a receipt: {e}"))?;
    // What the platform told the submitter alone (a sealed refusal logs
    // neither the check nor the reason).
    let told = (value.get("code").is_some_and(|c| c == "rejected")).then(|| {
        let text = |k: &str| value.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        (text("check"), text("detail"))
    });
    let value = match value.get("rejection") {
        Some(rejection) if told.is_some() => rejection.clone(),
        _ => value,
    };
    let r: Receipt = serde_json::from_value(value).map_err(|e| format!("not a receipt: {e}"))?;
    let mut out = Out(Vec::new());
    let subject = format!("entry {}", r.index);
    // The checkpoint's origin (its first line) must be the key's name.
    let origin = r.checkpoint.split('\n').next().unwrap_or_default();
    out.add(
        CheckName::CheckpointOriginAndKey,
        "receipt",
        if origin == key.origin() {
            let ids: Vec<String> = key.key_ids().iter().map(|id| format!("{id:08x}")).collect();
            Ok(format!("key {} ({}), given", key.origin(), ids.join(", then ")))
        } else {
            Err(format!(
                "the receipt's checkpoint is of log {origin:?}; the key given is for {:?}",
                key.origin()
            ))
        },
    );
    let leaf = base64::engine::general_purpose::STANDARD
        .decode(&r.leaf)
        .map_err(|e| format!("leaf is not base64: {e}"))?;
    if base64::engine::general_purpose::STANDARD.encode(&leaf) != r.leaf {
        return Err("leaf base64 is not canonical".into());
    }
    let decoded = Event::decode(&leaf);
    match &decoded {
        Ok(ev) => out.add(
            CheckName::CanonicalLeaf,
            subject.clone(),
            Ok(format!(
                "{} of tender {:?} by {:?} at {}",
                receipt_subject(ev),
                ev.tender,
                ev.principal,
                crate::calendar::when(ev.received_ms)
            )),
        ),
        Err(e) => out.add(CheckName::CanonicalLeaf, subject.clone(), Err(e.to_string())),
    }
    for g in documents {
        let res = receipt_document(&decoded, &r, g, told.as_ref());
        out.add(CheckName::DocumentDigest, g.name.clone(), res);
    }
    let lh = leaf_hash(&leaf);
    // A sealed document's receipt carries the opening: it must open this leaf.
    match (&r.sealed, &decoded) {
        (Some(opening), Ok(ev)) => {
            let at = crate::event::EventLink { index: r.index, leaf_hash: lh };
            let res = if opening.sealed != at {
                Err("the opening names another entry than the receipt's".into())
            } else if let Body::SubmissionRejected(_) = &ev.body {
                crate::signing::check_refusal_opening(opening, &ev.tender, (ev, &lh))
            } else {
                crate::signing::check_reveal(opening, &ev.tender, Some((ev, &lh)))
            };
            out.add(CheckName::CommitmentReveal, subject.clone(), res);
        }
        (Some(_), Err(_)) => {
            out.na(CheckName::CommitmentReveal, subject.clone(), "the leaf did not decode")
        }
        (None, Ok(Event { body: Body::SealedDocument(_), .. })) => out.add(
            CheckName::CommitmentReveal,
            subject.clone(),
            Err("the receipt of a sealed document lacks its opening".into()),
        ),
        (None, _) => {}
    }
    out.add(
        CheckName::LeafHash,
        subject.clone(),
        if lh == r.leaf_hash {
            Ok(lh.to_hex())
        } else {
            Err(format!("the leaf hashes to {lh}, the receipt says {}", r.leaf_hash))
        },
    );
    let cp = SignedCheckpoint::verify(r.checkpoint.as_bytes(), key);
    match &cp {
        Ok(c) => out.add(
            CheckName::CheckpointSignature,
            "receipt checkpoint",
            Ok(format!("size {}, root {}", c.checkpoint.size, c.checkpoint.root)),
        ),
        Err(e) => out.add(CheckName::CheckpointSignature, "receipt checkpoint", Err(e.to_string())),
    }
    let inclusion =
        TlogProof::parse(r.tlog_proof.as_bytes()).map_err(|e| e.to_string()).and_then(|p| {
            if p.extra.is_some() {
                return Err("the tlog-proof has an (unauthenticated) extra line".into());
            }
            if p.index != r.index || p.proof != r.inclusion_proof || p.checkpoint != r.checkpoint {
                return Err("the tlog-proof and the receipt's fields disagree".into());
            }
            p.verify(&lh, key).map_err(|e| e.to_string())
        });
    match &inclusion {
        Ok(c) => out.add(
            CheckName::Inclusion,
            subject.clone(),
            Ok(format!("in the checkpoint of size {}", c.size)),
        ),
        Err(e) => out.add(CheckName::Inclusion, subject.clone(), Err(e.clone())),
    }
    let mut tree_size = cp.as_ref().map_or(0, |c| c.checkpoint.size);
    match (newer, &cp) {
        (None, _) => {
            out.na(CheckName::ConsistencyToNewest, subject.clone(), "no newer checkpoint given")
        }
        (Some(n), Ok(old)) => match SignedCheckpoint::verify(n.checkpoint, key) {
            Err(e) => {
                out.add(CheckName::CheckpointSignature, "newer checkpoint", Err(e.to_string()))
            }
            Ok(new) => {
                out.add(
                    CheckName::CheckpointSignature,
                    "newer checkpoint",
                    Ok(format!("size {}", new.checkpoint.size)),
                );
                tree_size = new.checkpoint.size;
                let (a, b) = (&old.checkpoint, &new.checkpoint);
                let r = if a.size == b.size {
                    if a.root == b.root {
                        Ok("the same checkpoint".into())
                    } else {
                        Err("same size, different root: the log forked".into())
                    }
                } else {
                    match &n.proof {
                        None => Err(format!(
                            "a consistency proof from {} to {} is needed (GET /v1/proof/consistency?from={}&to={})",
                            a.size, b.size, a.size, b.size
                        )),
                        Some(p) => verify_consistency(a.size, b.size, p, &a.root, &b.root)
                            .map(|()| format!("size {} is a prefix of size {}", a.size, b.size))
                            .map_err(|e| e.to_string()),
                    }
                };
                out.add(CheckName::ConsistencyToNewest, subject.clone(), r);
            }
        },
        (Some(_), Err(_)) => out.na(
            CheckName::ConsistencyToNewest,
            subject.clone(),
            "the receipt's checkpoint did not verify",
        ),
    }
    let (verified, checks) = out.finish();
    let mut filings = match &decoded {
        Ok(ev) => crate::filing::filings(std::iter::once((r.index, ev)), &checks),
        Err(_) => Vec::new(),
    };
    // The submitter's own receipt of a sealed filing holds its opening:
    // what was filed, and by whom, is known to its reader.
    if let (Some(opening), Some(f)) = (&r.sealed, filings.first_mut())
        && matches!(f.fate, crate::filing::Fate::Sealed | crate::filing::Fate::Refused)
    {
        f.sha256 = Some(opening.document.sha256);
        f.filed_by = opening.principal.clone();
        f.title = opening.document.title.clone();
    }
    if let (Some((check, detail)), Some(f)) = (&told, filings.first_mut())
        && f.fate == crate::filing::Fate::Refused
        && r.sealed.is_some()
        && !detail.is_empty()
    {
        f.refusal = Some((check.clone(), format!("{detail} (told to the submitter alone)")));
    }
    Ok(Report {
        verified,
        anchored: true,
        trust_anchors: key.anchors(),
        origin: key.origin().to_owned(),
        tree_size,
        entries: 1,
        checks,
        documents: Vec::new(),
        compliance: None,
        filings,
        caveats: Vec::new(),
    })
}

#[cfg(test)]
mod ofd_tests {
    use super::*;

    /// The real-world signed OFD (read in place; skipped without it).
    fn sample() -> Option<Vec<u8>> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/vectors/real-world/ofd/v4signed.ofd");
        let got = std::fs::read(&p).ok();
        if got.is_none() {
            eprintln!("SKIPPED: {} is absent", p.display());
        }
        got
    }

    fn logged(g: &GivenOfd) -> crate::event::Document {
        let mut d = crate::event::Document::new(
            crate::event::DocumentType::AwardNotice,
            Hash([0; 32]),
            1,
            "application/ofd",
        );
        d.ofd_seals = g.seals.clone();
        d
    }

    /// A given package holds its entry's e-seals, or the report says what
    /// differs: another Signature.xml, another seal, a seal not there, a
    /// signed part changed, or a file that is no package.
    #[test]
    fn a_given_package_is_compared_with_its_logged_seals() {
        let Some(bytes) = sample() else { return };
        let g = GivenDocument::of_bytes("invoice.ofd", &bytes);
        let pkg = g.ofd.clone().unwrap();
        assert_eq!(pkg.seals.len(), 1);
        let d = logged(&pkg);
        assert!(ofd_seals_match(&d, &g).is_ok(), "{:?}", ofd_seals_match(&d, &g));

        let mut other = d.clone();
        other.ofd_seals[0].signature_xml_sm3.0[5] ^= 1;
        assert!(ofd_seals_match(&other, &g).unwrap_err().contains("not the one logged"));
        let mut other = d.clone();
        *other.ofd_seals[0].seal.0.last_mut().unwrap() ^= 1;
        assert!(ofd_seals_match(&other, &g).unwrap_err().contains("e-seal over"));
        let mut other = d.clone();
        other.ofd_seals[0].signature_xml = "/Doc_0/Signs/Sign_9/Signature.xml".into();
        assert!(ofd_seals_match(&other, &g).unwrap_err().contains("not in the package"));

        let plain = GivenDocument::of_bytes("invoice.pdf", b"%PDF-1.7");
        assert!(ofd_seals_match(&d, &plain).unwrap_err().contains("not one"));

        // A signed part changed: the seals are the logged ones, the package is not as signed.
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes[..])).unwrap();
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        for i in 0..zip.len() {
            use std::io::{Read as _, Write as _};
            let mut f = zip.by_index(i).unwrap();
            let name = f.name().unwrap().into_owned();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            if name == "Doc_0/Document.xml" {
                data.push(b' ');
            }
            out.start_file(&name, opts).unwrap();
            out.write_all(&data).unwrap();
        }
        let changed = out.finish().unwrap().into_inner();
        let g2 = GivenDocument::of_bytes("invoice.ofd", &changed);
        let err = ofd_seals_match(&d, &g2).unwrap_err();
        assert!(err.contains("/Doc_0/Document.xml changed"), "{err}");
    }
}
