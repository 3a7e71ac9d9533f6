//! The demo's stand-in PKI: a demo CA (not a real CA, and labelled so), one
//! certificate per participant, and the data directory's local TSA (not
//! accredited). Made once in `DIR/demo/pki/` (keys 0600) and reused, so a
//! second demo run submits the same signed content and gets the same entries.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use ledger::issue::{Issued, LeafUsage};
use p256::ecdsa::SigningKey;

/// Subject of the demo CA.
pub const DEMO_CA: &str = "CN=tenderlog demo CA (not a real CA),O=tenderlog demo,C=CN";

/// A participant of the demo tender.
pub struct Participant {
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
pub const PARTICIPANTS: &[Participant] = &[
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
pub fn uscc(p: &Participant) -> anyhow::Result<String> {
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
pub struct DemoPki {
    /// When it was made, ms since the epoch: the demo's lifecycle times.
    pub epoch_ms: u64,
    /// Each participant's key and certificate, in [`PARTICIPANTS`] order.
    pub certs: Vec<(SigningKey, Vec<u8>)>,
    /// The local TSA.
    pub tsa: ledger::tsa::LocalTsa,
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
    pub fn open_or_create(dir: &Path) -> anyhow::Result<DemoPki> {
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
        Ok(DemoPki { epoch_ms, certs, tsa: ledger::tsa::load(dir)? })
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
    pub fn index(name: &str) -> anyhow::Result<usize> {
        PARTICIPANTS
            .iter()
            .position(|p| p.name == name)
            .with_context(|| format!("no demo participant {name}"))
    }
}
