//! `tenderlog bench signed`: ingest of signature-checked document events,
//! per signature algorithm, fsync on.
//!
//! Each run makes a fresh store with a CA root trusted, one trader
//! certificate of the algorithm registered and the default rule pack in force,
//! signs `events` contracts (a document type whose rule needs a trader's
//! signature and no timestamp) outside the timed part, then times
//! `Ledger::append` in batches: every event's signature, certificate chain,
//! certificate status and rule is checked before it is logged.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use ledger::SystemClock;
use ledger::issue::{Issued, LeafUsage};
use sha2::{Digest as _, Sha256};
use signature::{SignatureEncoding as _, Signer as _};
use spki::{EncodePublicKey as _, SubjectPublicKeyInfoOwned};
use verifier::Hash;
use verifier::event::{
    Body, Bytes, CertKind, CertificateEvent, Content, DocSignature, Document, DocumentType,
    Lifecycle, SignatureFormat,
};

/// The algorithms measured.
pub(crate) const ALGS: &[&str] = &["ed25519", "ecdsa", "rsa", "sm2"];

/// Signs a message, returning the encoded signature.
type SignFn = Box<dyn Fn(&[u8]) -> Vec<u8>>;

/// A signer of one algorithm: its public key and how it signs a message.
struct Signer {
    spki: SubjectPublicKeyInfoOwned,
    sign: SignFn,
}

fn signer(alg: &str) -> anyhow::Result<Signer> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(match alg {
        "ed25519" => {
            let sk = ed25519_dalek::SigningKey::from_bytes(&seed);
            let spki = SubjectPublicKeyInfoOwned {
                algorithm: spki::AlgorithmIdentifierOwned {
                    oid: spki::ObjectIdentifier::new_unwrap("1.3.101.112"),
                    parameters: None,
                },
                subject_public_key: der::asn1::BitString::from_bytes(
                    sk.verifying_key().as_bytes(),
                )?,
            };
            Signer { spki, sign: Box::new(move |m| sk.sign(m).to_bytes().to_vec()) }
        }
        "ecdsa" => {
            let sk = ledger::issue::new_key()?;
            let spki = SubjectPublicKeyInfoOwned::from_key(sk.verifying_key())?;
            Signer {
                spki,
                sign: Box::new(move |m| {
                    let s: p256::ecdsa::Signature = sk.sign(m);
                    s.to_der().to_vec()
                }),
            }
        }
        "rsa" => {
            let key = rsa::PrivateKey::new(&mut rand::rng(), 2048)?;
            let der = key.to_public_key().to_public_key_der()?;
            let spki = der::Decode::from_der(der.as_bytes())?;
            let sk = rsa::pkcs1v15::SigningKey::<Sha256>::new(key);
            Signer { spki, sign: Box::new(move |m| sk.sign(m).to_vec()) }
        }
        "sm2" => {
            let secret = sm2::SecretKey::from_slice(&seed)?;
            let spki = SubjectPublicKeyInfoOwned::from_key(&secret.public_key())?;
            let sk = sm2::dsa::SigningKey::new(verifier::pki::SM2_DEFAULT_ID, &secret)?;
            Signer {
                spki,
                sign: Box::new(move |m| {
                    let s: sm2::dsa::Signature = sk.sign(m);
                    s.to_bytes().to_vec()
                }),
            }
        }
        other => anyhow::bail!("unknown algorithm {other:?}; known: {}", ALGS.join(", ")),
    })
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// One run: events/s of signature-checked appends.
fn run_once(alg: &str, events: u64, batch: usize, dir: &Option<PathBuf>) -> anyhow::Result<f64> {
    let t = crate::bench::scratch(dir)?;
    let data = t.path();
    ledger::init(data, "bench.tenderlog.example/log", &SystemClock)?;
    let now = now_ms();
    let year = 365 * 24 * 3_600_000;
    let ca = Issued::root("CN=bench CA,C=CN", now - 3_600_000, now + year)?;
    ledger::trust::add_ca(data, &ca.der)?;
    let s = signer(alg)?;
    let uscc = "91350100M000100Y43";
    let der = ledger::issue::leaf_for(
        &ca.key,
        &ca.der,
        s.spki.clone(),
        &format!("CN=bench trader,serialNumber={uscc},C=CN"),
        2,
        now - 3_600_000,
        now + year,
        LeafUsage::Signing,
    )?;
    let fp = verifier::pki::fingerprint_of(&der);
    let ledger = crate::bench::appender(data, batch)?;
    crate::bench::append_all(
        &ledger,
        vec![
            Content {
                tender: verifier::event::cert_tender(&fp),
                principal: "bench".into(),
                body: Body::Certificate(CertificateEvent {
                    der: Bytes(der),
                    cert_kind: CertKind::Trader,
                    uscc: Some(uscc.parse()?),
                    unit_name: Some("bench trader".into()),
                    resident_id: None,
                    lifecycle: Lifecycle::Issued,
                    effective_ms: now - 3_600_000,
                }),
            },
            Content {
                tender: verifier::event::POLICY_TENDER.into(),
                principal: "bench".into(),
                body: Body::Policy(verifier::policy::RulePack::default_pack()),
            },
        ],
    )
    .context("bench setup refused")?;
    // Signed outside the timed part: the ledger's checks are what is measured.
    let contents: Vec<Content> = (0..events)
        .map(|i| {
            let sha: [u8; 32] = Sha256::digest(format!("{alg} contract {i}")).into();
            Content {
                tender: format!("ZB2026-{:04}", i % 1000),
                principal: "bench".into(),
                body: Body::Document(Document {
                    document_type: DocumentType::Contract,
                    sha256: Hash(sha),
                    sm3: Some(Hash(<sm3::Sm3 as sm3::Digest>::digest(sha).into())),
                    size: 1_000 + i,
                    media_type: "application/pdf".into(),
                    title: None,
                    signatures: vec![DocSignature {
                        format: SignatureFormat::Raw,
                        cert: fp,
                        sm2_id: None,
                        value: Bytes((s.sign)(&sha)),
                    }],
                    timestamps: Vec::new(),
                    seals: Vec::new(),
                    ofd_seals: Vec::new(),
                    received_timestamp: None,
                }),
            }
        })
        .collect();
    // SM2 signs the SM3 digest: re-sign those over the event's SM3.
    let contents: Vec<Content> = if alg == "sm2" {
        contents
            .into_iter()
            .map(|mut c| {
                if let Body::Document(d) = &mut c.body
                    && let Some(sm3) = d.sm3
                {
                    d.signatures[0].value = Bytes((s.sign)(&sm3.0));
                }
                c
            })
            .collect()
    } else {
        contents
    };
    let mut busy = Duration::ZERO;
    let mut it = contents.into_iter().peekable();
    while it.peek().is_some() {
        let chunk: Vec<Content> = it.by_ref().take(batch).collect();
        let started = Instant::now();
        crate::bench::append_all(&ledger, chunk).context("a signed bench event was refused")?;
        busy += started.elapsed();
    }
    Ok(events as f64 / busy.as_secs_f64())
}

/// Runs the benchmark for `algs` and prints the median rate of each.
pub(crate) fn run(
    algs: &[String],
    events: u64,
    batch: usize,
    runs: usize,
    dir: &Option<PathBuf>,
) -> anyhow::Result<()> {
    println!(
        "signature-checked ingest: {events} contracts per run, batch {batch}, {runs} runs, fsync on"
    );
    for alg in algs {
        let mut rates = Vec::with_capacity(runs);
        for _ in 0..runs.max(1) {
            rates.push(run_once(alg, events, batch, dir)?);
        }
        rates.sort_by(f64::total_cmp);
        let runs: Vec<String> = rates.iter().map(|r| format!("{r:.0}")).collect();
        println!(
            "  {alg:<8} median {:>8.0} events/s   (runs: {})",
            rates[rates.len() / 2],
            runs.join(" / ")
        );
    }
    Ok(())
}
