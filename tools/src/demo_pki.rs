//! The demo's stand-in PKI: a demo CA (not a real CA, and labelled so), one
//! certificate per participant, a seal authority and each bidder's SM2 seal
//! certificate and unit seal, and the data directory's local TSA (not
//! accredited). Made once in `DIR/demo/pki/` (keys 0600) and reused, so a
//! second demo run submits the same signed content and gets the same entries.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use ledger::issue::{Issued, LeafUsage};
use p256::ecdsa::SigningKey;

use crate::seal_maker::{SealSpec, Sm2Holder, issue_sm2, make_seal};

/// Subject of the demo CA.
pub(crate) const DEMO_CA: &str = "CN=tenderlog demo CA (not a real CA),O=tenderlog demo,C=CN";
/// Subject of the demo's seal authority (制章者): its SM2 key signs the
/// traders' unit seals; its certificate is issued by the demo CA.
pub(crate) const DEMO_SEAL_MAKER: &str =
    "CN=tenderlog demo seal authority (not a real seal platform),O=tenderlog demo,C=CN";
/// The traders whose unit seals (单位公章) the demo makes: the bidders.
pub(crate) const SEALED_TRADERS: &[&str] = &["bidder-a", "bidder-b", "bidder-c", "bidder-d"];

/// A participant of the demo tender.
pub(crate) struct Participant {
    /// The platform account (and token) name.
    pub name: &'static str,
    /// `trader` or `expert`.
    pub kind: &'static str,
    /// For a trader, the unit's name.
    pub unit: &'static str,
    /// For a trader, the first 17 characters of its USCC (the check
    /// character is computed).
    pub uscc17: &'static str,
}

/// Everyone who signs in the demo.
pub(crate) const PARTICIPANTS: &[Participant] = &[
    p("agency-01", "trader", "某某招标代理有限公司", "91420100MA4K00001"),
    p("buyer-01", "trader", "某某市城市建设投资有限公司", "91420100MA4K00002"),
    p("bidder-a", "trader", "甲建设工程有限公司", "91420100MA4K0000A"),
    p("bidder-b", "trader", "乙建筑集团有限公司", "91420100MA4K0000B"),
    p("bidder-c", "trader", "丙市政工程有限公司", "91420100MA4K0000C"),
    p("bidder-d", "trader", "丁工程有限公司", "91420100MA4K0000D"),
    p("expert-1", "expert", "", ""),
    p("expert-2", "expert", "", ""),
    p("expert-3", "expert", "", ""),
];

const fn p(
    name: &'static str,
    kind: &'static str,
    unit: &'static str,
    uscc17: &'static str,
) -> Participant {
    Participant { name, kind, unit, uscc17 }
}

/// A participant's USCC: its 17 characters and the right check character.
pub(crate) fn uscc(p: &Participant) -> anyhow::Result<String> {
    let trial = format!("{}0", p.uscc17);
    match verifier::ids::Uscc::parse(&trial) {
        Ok(_) => Ok(trial),
        Err(verifier::ids::IdError::CheckChar { expected, .. }) => {
            Ok(format!("{}{expected}", p.uscc17))
        }
        Err(e) => Err(anyhow::anyhow!("demo USCC {}: {e}", p.uscc17)),
    }
}

/// The demo PKI on disk.
pub(crate) struct DemoPki {
    /// When it was made, ms since the epoch: the demo's lifecycle times.
    pub epoch_ms: u64,
    /// Each participant's key and certificate, in [`PARTICIPANTS`] order.
    pub certs: Vec<(SigningKey, Vec<u8>)>,
    /// The local TSA.
    pub tsa: ledger::tsa::LocalTsa,
    /// Per [`SEALED_TRADERS`] entry: the trader's SM2 seal key and
    /// certificate (e-seals are SM2), and its unit seal (`SESeal` DER).
    pub seals: Vec<(Sm2Holder, Vec<u8>)>,
}

fn folder(dir: &Path) -> PathBuf {
    dir.join("demo").join("pki")
}

fn write_secret(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).with_context(|| format!("couldn't create {}", path.display()))?;
    f.write_all(bytes).with_context(|| format!("couldn't write {}", path.display()))?;
    Ok(())
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

const YEAR_MS: u64 = 365 * 24 * 3600 * 1000;

impl DemoPki {
    /// Loads the demo PKI of `dir`, making it (and trusting its CA and TSA
    /// roots in the data directory) on first use.
    pub(crate) fn open_or_create(dir: &Path) -> anyhow::Result<DemoPki> {
        let f = folder(dir);
        if !f.join("epoch").is_file() {
            Self::create(dir, &f)?;
        }
        let epoch_ms: u64 = std::fs::read_to_string(f.join("epoch"))?
            .trim()
            .parse()
            .context("demo/pki/epoch is not a number")?;
        let mut certs = Vec::new();
        for p in PARTICIPANTS {
            let key = std::fs::read(f.join(format!("{}.key", p.name)))?;
            let key = SigningKey::from_slice(&key)
                .map_err(|e| anyhow::anyhow!("demo key of {}: {e}", p.name))?;
            certs.push((key, std::fs::read(f.join(format!("{}.der", p.name)))?));
        }
        let mut seals = Vec::new();
        for name in SEALED_TRADERS {
            let key = std::fs::read(f.join(format!("{name}.sm2.key")))?;
            let secret = sm2::SecretKey::from_slice(&key)
                .map_err(|e| anyhow::anyhow!("demo SM2 key of {name}: {e}"))?;
            let key = sm2::dsa::SigningKey::new(verifier::pki::SM2_DEFAULT_ID, &secret)?;
            let cert = std::fs::read(f.join(format!("{name}.sm2.der")))?;
            seals.push((Sm2Holder { key, cert }, std::fs::read(f.join(format!("{name}.seal")))?));
        }
        Ok(DemoPki { epoch_ms, certs, tsa: ledger::tsa::load(dir)?, seals })
    }

    /// Each sealed trader's SM2 seal certificate and unit seal.
    fn create_seals(ca: &Issued, f: &Path, now: u64) -> anyhow::Result<()> {
        let sm2_leaf = |subject: &str, serial: u64| {
            issue_sm2(ca, subject, serial, now - 3600 * 1000, now + 2 * YEAR_MS)
        };
        let (_, maker) = sm2_leaf(DEMO_SEAL_MAKER, 100)?;
        std::fs::write(f.join("seal-maker.der"), &maker.cert)?;
        for (n, name) in SEALED_TRADERS.iter().enumerate() {
            let p = &PARTICIPANTS[Self::index(name)?];
            let subject = format!("CN={},serialNumber={},O={},C=CN", p.name, uscc(p)?, p.unit);
            let (secret, holder) = sm2_leaf(&subject, 200 + n as u64)?;
            let es_id = format!("4201000000{:04}", n + 1);
            let seal = make_seal(
                &SealSpec {
                    vid: "TENDERLOG-DEMO",
                    es_id: &es_id,
                    seal_type: 1,
                    name: &format!("{}公章", p.unit),
                    cert_list: vec![holder.cert.clone()],
                    create_ms: now - 3600 * 1000,
                    valid_end_ms: now + 2 * YEAR_MS,
                },
                &maker,
            )?;
            write_secret(&f.join(format!("{name}.sm2.key")), &secret.to_bytes())?;
            std::fs::write(f.join(format!("{name}.sm2.der")), &holder.cert)?;
            std::fs::write(f.join(format!("{name}.seal")), &seal)?;
        }
        Ok(())
    }

    fn create(dir: &Path, f: &Path) -> anyhow::Result<()> {
        let now = now_ms();
        // A half-made folder from an interrupted run is simply made again.
        let _ = std::fs::remove_dir_all(f);
        std::fs::create_dir_all(f)?;
        let ca = Issued::root(DEMO_CA, now - 24 * 3600 * 1000, now + 10 * YEAR_MS)?;
        for (n, p) in PARTICIPANTS.iter().enumerate() {
            let subject = if p.kind == "trader" {
                format!("CN={},serialNumber={},O={},C=CN", p.name, uscc(p)?, p.unit)
            } else {
                format!("CN={},O=evaluation expert,C=CN", p.name)
            };
            let leaf = ca.issue(
                &subject,
                n as u64 + 1,
                now - 3600 * 1000,
                now + 2 * YEAR_MS,
                LeafUsage::Signing,
            )?;
            write_secret(&f.join(format!("{}.key", p.name)), &leaf.key.to_bytes())?;
            std::fs::write(f.join(format!("{}.der", p.name)), &leaf.der)?;
        }
        Self::create_seals(&ca, f, now)?;
        std::fs::write(f.join("ca.der"), &ca.der)?;
        ledger::trust::add_ca(dir, &ca.der)?;
        if !ledger::tsa::exists(dir) {
            ledger::tsa::create(dir, now)?;
        }
        // Last: its presence says the folder is complete.
        std::fs::write(f.join("epoch"), format!("{now}\n"))?;
        Ok(())
    }

    /// The participant named `name`: its index in [`PARTICIPANTS`].
    pub(crate) fn index(name: &str) -> anyhow::Result<usize> {
        PARTICIPANTS
            .iter()
            .position(|p| p.name == name)
            .with_context(|| format!("no demo participant {name}"))
    }
}
