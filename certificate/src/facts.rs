//! What a certificate says, gathered from a log's store: the entry, its
//! receipt against the first checkpoint stamped by the TSA that covers it,
//! that checkpoint's token, and the verifier's findings on the entry's
//! evidence (signers, seals, timestamps, at the trusted time).

use std::path::Path;

use serde::Serialize;
use sha2::{Digest as _, Sha256};
use verifier::checkpoint::SignedCheckpoint;
use verifier::event::{Body, Event};
use verifier::witness_policy::WitnessPolicy;

use crate::CertificateError;

/// The facts the template prints, as `/facts.json`.
#[derive(Serialize, Clone, Debug)]
pub struct Facts {
    /// The certificate number: derived from the log, the entry and its leaf.
    pub number: String,
    /// The tender.
    pub tender: String,
    /// The document type in words, Chinese first.
    pub what: String,
    /// The document's title, if the filing gave one.
    pub title: Option<String>,
    /// Who filed it (the submitter's principal).
    pub filed_by: String,
    /// The signers' certificate subjects, as the verifier found them.
    pub signers: Vec<String>,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// SM3 of the file, hex, where the filing gave it.
    pub sm3: Option<String>,
    /// When the platform received it (Beijing time and UTC).
    pub received: String,
    /// The document's trusted time and its TSA, as verified.
    pub trusted_time: String,
    /// The log's origin.
    pub origin: String,
    /// The entry's index.
    pub index: u64,
    /// The checkpoint's size.
    pub tree_size: u64,
    /// The checkpoint's root, hex.
    pub root: String,
    /// The log's keys that signed the checkpoint (name+key ID).
    pub checkpoint_signers: Vec<String>,
    /// The first checkpoint the witnesses cosigned that covers the entry:
    /// its size and time, and how it was tied to the checkpoint above.
    pub cosigned: Option<String>,
    /// Its cosigners: by the operator's witness policy when given (each
    /// witness whose cosignature verified, and whether the quorum was met),
    /// else each cosignature line's name and key ID.
    pub cosigners: Vec<String>,
    /// The checkpoint's RFC 3161 token: when and by which TSA.
    pub checkpoint_stamp: String,
    /// What the findings rest on.
    pub checked_by: String,
    /// What was checked and held.
    pub held: Vec<String>,
    /// What was checked and failed.
    pub problems: Vec<String>,
    /// What could not be checked.
    pub not_checked: Vec<String>,
    /// The one sentence on what is proven.
    pub proven: String,
    /// The entry's verification page.
    pub url: String,
    /// What the findings rest on that a reader must weigh.
    pub caveats: Vec<String>,
    /// The document date of the PDF: the checkpoint's trusted time (or the
    /// platform's received time), so the same entry gives the same bytes.
    pub date: Date,
}

/// A UTC date and time, as Typst's `datetime` takes it.
#[derive(Serialize, Clone, Copy, Debug)]
pub struct Date {
    /// Year.
    pub year: i16,
    /// Month, 1-12.
    pub month: i8,
    /// Day, 1-31.
    pub day: i8,
    /// Hour.
    pub hour: i8,
    /// Minute.
    pub minute: i8,
    /// Second.
    pub second: i8,
}

impl Date {
    fn of_ms(ms: u64) -> Date {
        let t = jiff::Timestamp::from_millisecond(ms as i64).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let d = t.to_zoned(jiff::tz::TimeZone::UTC).datetime();
        Date {
            year: d.year(),
            month: d.month(),
            day: d.day(),
            hour: d.hour(),
            minute: d.minute(),
            second: d.second(),
        }
    }
}

/// A certificate's content: the facts and the two files attached.
#[derive(Clone, Debug)]
pub struct Certificate {
    /// What it says.
    pub facts: Facts,
    /// The receipt (JSON) against the checkpoint the certificate names.
    pub receipt: Vec<u8>,
    /// That checkpoint's RFC 3161 token (DER), once the TSA stamped it.
    pub token: Option<Vec<u8>>,
}

/// Gathers the certificate of entry `index` from the store in `dir`;
/// `url` is the base address of the log's pages (the QR code links to
/// `{url}/entries/{index}`); `signer` is the log's key, which signs the
/// heads of the signers' certificate chains in the entry's bundle;
/// `policy` is the operator's witness policy, which judges the cosigners.
pub fn gather(
    store: &ledger::Store,
    dir: &Path,
    index: u64,
    url: &str,
    signer: &verifier::note::NoteSigner,
    policy: Option<&WitnessPolicy>,
) -> Result<Certificate, CertificateError> {
    let size = store.tree_size()?;
    if index >= size {
        return Err(CertificateError::NoSuchEntry { index, size });
    }
    let leaf = store.leaf(index)?;
    let event = Event::decode(&leaf).map_err(|e| CertificateError::Corrupt(e.to_string()))?;
    let document = match &event.body {
        Body::Document(d) => d,
        Body::Reveal(r) => &r.document,
        Body::SealedDocument(_) => return Err(CertificateError::Sealed { index }),
        other => return Err(CertificateError::NotADocument { index, kind: other.kind() }),
    };

    // The first checkpoint the TSA stamped that covers the entry: its token
    // is the trusted time the whole checkpoint (and so the entry) existed by.
    let stamped = store.first_stamp_covering(index)?;
    let (checkpoint_size, note) = match &stamped {
        Some((s, _)) => (
            *s,
            store
                .checkpoint_at(*s)?
                .ok_or(CertificateError::Corrupt(format!("no checkpoint of size {s}")))?,
        ),
        None => store.receipt_checkpoint(index)?,
    };
    let receipt = store.receipt_at(index, checkpoint_size, note.clone(), false)?;
    let receipt_json = serde_json::to_vec_pretty(&receipt)
        .map_err(|e| CertificateError::Corrupt(e.to_string()))?;

    let keys = store.log_keys();
    let signed = keys
        .checkpoint(note.as_bytes())
        .map_err(|e| CertificateError::Corrupt(format!("checkpoint {checkpoint_size}: {e}")))?;
    let parsed = verifier::note::Note::parse(note.as_bytes())
        .map_err(|e| CertificateError::Corrupt(e.to_string()))?;
    let ours: Vec<String> = parsed
        .signatures
        .iter()
        .filter(|sig| sig.name == store.origin())
        .map(|sig| format!("{}+{:08x}", sig.name, sig.key_id))
        .collect();
    let (cosigned, cosigners) = cosigned_covering(store, index, &signed, policy)?;

    // The verifier's findings on the entry's own evidence bundle, against
    // the log's keys: the same wording the pages and tenderlog-verify use.
    let mut roots = ledger::trust::bundle_roots(dir)?;
    if let Some(p) = policy {
        roots = roots.with_witnesses(p);
    }
    let bundle = store.export_bundle(
        &verifier::bundle::Selection::Indexes(vec![index]),
        Some(signer),
        &roots,
    )?;
    let anchors = keys.current_anchors();
    let given = [verifier::report::GivenDocument {
        name: "the document".to_owned(),
        sha256: document.sha256,
        sm3: document.sm3,
        ofd: None,
    }];
    let report = verifier::report::verify_bundle_with(
        &bundle,
        &verifier::report::Options {
            keys: Some(&anchors),
            documents: &given,
            ..Default::default()
        },
    );
    let filing = report.filings.iter().find(|f| f.entry == index || f.opened_by == Some(index));
    let held = filing.map(|f| f.held.clone()).unwrap_or_default();
    let trusted_time = held
        .iter()
        .find(|h| h.starts_with("timestamp"))
        .map(|h| h.split_once("): ").map_or(h.as_str(), |(_, t)| t).to_owned())
        .unwrap_or_else(|| "无可信时间戳 no trusted timestamp on the document".to_owned());
    let signers: Vec<String> = report
        .documents
        .first()
        .and_then(|d| d.get("signed_by"))
        .and_then(|s| serde_json::from_value(s.clone()).ok())
        .unwrap_or_default();

    let leaf_hash = verifier::leaf_hash(&leaf);
    let number = {
        let mut h = Sha256::new();
        h.update(store.origin().as_bytes());
        h.update(b"\n");
        h.update(index.to_be_bytes());
        h.update(leaf_hash.0);
        let d = h.finalize();
        let hexed = hex::encode_upper(&d[..8]);
        format!("TL-{index}-{}-{}", &hexed[..8], &hexed[8..])
    };
    let checkpoint_stamp = match &stamped {
        Some((s, stamp)) => format!(
            "检查点 {s} 于 {} 由 {} 加盖时间戳 · checkpoint {s} stamped at that time by that TSA",
            verifier::calendar::when(stamp.gen_ms),
            stamp.tsa
        ),
        None => {
            "尚无 not stamped yet: the TSA stamps each new checkpoint within moments".to_owned()
        }
    };
    let date = Date::of_ms(stamped.as_ref().map_or(event.received_ms, |(_, s)| s.gen_ms));
    let verified = report.verified;
    let proven = if verified {
        format!(
            "日志 {origin} 的第 {index} 条记录了摘要如上的文件，该条目包含在日志以上述公钥签名、大小为 {size} 的检查点中{stamped}；自记录以来未被改动。本证书不证明文件内容属实。\
             Entry {index} of the log {origin} records the file with the digests above; it is included in the checkpoint of {size} entries signed by the log's keys above{stamped_en}, and has not changed since it was logged. It does not prove that what the file says is true.",
            origin = store.origin(),
            size = signed.checkpoint.size,
            stamped = if stamped.is_some() { "，该检查点带有可信时间戳" } else { "" },
            stamped_en = if stamped.is_some() { ", which a TSA stamped" } else { "" },
        )
    } else {
        "该条目的证据未通过验证，见上列问题。The entry's evidence did not verify: see the problems above.".to_owned()
    };
    let facts = Facts {
        number,
        tender: event.tender.clone(),
        what: verifier::filing::words(document.document_type),
        title: document.title.clone(),
        filed_by: match &event.body {
            Body::Reveal(r) => r.principal.clone(),
            _ => event.principal.clone(),
        },
        signers,
        sha256: document.sha256.to_hex(),
        sm3: document.sm3.map(|h| h.to_hex()),
        received: verifier::calendar::when(event.received_ms),
        trusted_time,
        origin: store.origin().to_owned(),
        index,
        tree_size: signed.checkpoint.size,
        root: signed.checkpoint.root.to_hex(),
        checkpoint_signers: ours,
        cosigned,
        cosigners,
        checkpoint_stamp,
        checked_by: "tenderlog verifier, against the log's keys".to_owned(),
        held,
        problems: filing.map(|f| f.problems.clone()).unwrap_or_default(),
        not_checked: filing.map(|f| f.not_checked.clone()).unwrap_or_default(),
        proven,
        url: format!("{}/entries/{index}", url.trim_end_matches('/')),
        caveats: report
            .caveats
            .iter()
            .filter(|c| !c.contains("taken from the bundle"))
            .cloned()
            .collect(),
        date,
    };
    Ok(Certificate { facts, receipt: receipt_json, token: stamped.map(|(_, s)| s.token) })
}

/// The first checkpoint the witnesses cosigned that covers entry `index`,
/// checked before it is named: the log's keys signed it, and it is
/// consistent with `receipt` (the checkpoint the certificate's receipt is
/// against) by a proof from the store. Its description and its cosigners.
fn cosigned_covering(
    store: &ledger::Store,
    index: u64,
    receipt: &SignedCheckpoint,
    policy: Option<&WitnessPolicy>,
) -> Result<(Option<String>, Vec<String>), CertificateError> {
    let Some(c) = store.first_cosigned_from(index + 1)? else {
        return Ok((None, Vec::new()));
    };
    let corrupt =
        |what: String| CertificateError::Corrupt(format!("cosigned checkpoint {}: {what}", c.size));
    let keys = store.log_keys();
    let signed = keys.checkpoint(c.note.as_bytes()).map_err(|e| corrupt(e.to_string()))?;
    let (a, b) = if signed.checkpoint.size <= receipt.checkpoint.size {
        (&signed.checkpoint, &receipt.checkpoint)
    } else {
        (&receipt.checkpoint, &signed.checkpoint)
    };
    let proof = store.consistency_proof(a.size, b.size)?;
    verifier::merkle::verify_consistency(a.size, b.size, &proof, &a.root, &b.root).map_err(
        |e| corrupt(format!("not consistent with checkpoint {}: {e}", receipt.checkpoint.size)),
    )?;
    let note =
        verifier::note::Note::parse(c.note.as_bytes()).map_err(|e| corrupt(e.to_string()))?;
    let when = if c.cosigned_ms > 0 {
        format!(
            "，{} 达到法定人数 quorum met at that time",
            verifier::calendar::when(c.cosigned_ms)
        )
    } else {
        String::new()
    };
    let described = format!(
        "检查点 {size}{when} · checkpoint {size}, consistent with checkpoint {r} (proof checked)",
        size = c.size,
        r = receipt.checkpoint.size,
    );
    let cosigners = match policy {
        Some(p) => {
            let check = p.check(&note);
            let mut names: Vec<String> = check
                .cosigned
                .iter()
                .map(|(name, t)| {
                    let key = p
                        .witnesses
                        .get(name)
                        .map_or(name.clone(), |(k, _)| format!("{}+{:08x}", k.name(), k.key_id()));
                    format!("{key} · {}", verifier::calendar::when(t.saturating_mul(1000)))
                })
                .collect();
            names.push(if check.met {
                format!("法定人数已满足 quorum {} met", p.quorum())
            } else {
                format!("法定人数未满足 quorum {} NOT met", p.quorum())
            });
            names
        }
        None => note
            .signatures
            .iter()
            .filter(|sig| sig.name != store.origin())
            .map(|sig| {
                format!(
                    "{}+{:08x} (未按见证策略核验 not checked against a witness policy)",
                    sig.name, sig.key_id
                )
            })
            .collect(),
    };
    Ok((Some(described), cosigners))
}
