//! `init`, `checkpoint`, `entry`, `prove` and `audit`: everything but appends
//! and benchmarks.

use ledger::storage::Lookups as _;
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use base64::Engine as _;
use indicatif::{ProgressBar, ProgressStyle};
use ledger::{Store, SystemClock};
use serde_json::json;
use verifier::Hash;
use verifier::event::Event;
use verifier::witness_policy::WitnessPolicy;

fn hexes(hs: &[Hash]) -> Vec<String> {
    hs.iter().map(Hash::to_hex).collect()
}

fn print_json(v: &serde_json::Value) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

/// Which rules a new log starts with.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rules {
    /// The shipped rule pack and holiday calendar, in force from entries 0
    /// and 1: every document must be signed and stamped as the pack asks.
    Shipped,
    /// None: an empty log that takes unsigned documents (to try tenderlog;
    /// publish a pack later with `tenderlog policy publish`).
    None,
}

pub(crate) fn init(
    at: &ledger::Location,
    origin: &str,
    rules: Rules,
    json: bool,
) -> anyhow::Result<()> {
    let dir = at.dir.as_path();
    let vkey = ledger::init_at(at, origin, &SystemClock)?;
    let in_force = match rules {
        Rules::Shipped => Some(shipped_rules(at)?),
        Rules::None => None,
    };
    if json {
        return print_json(&json!({
            "origin": origin,
            "vkey": vkey.vkey(),
            "mldsa44_vkey": std::fs::read_to_string(ledger::keys::post_quantum_vkey_path(dir))?.trim_end(),
            "data": dir,
            "store": if at.postgres.is_some() { "postgresql" } else { "sqlite" },
            "key_file": ledger::store::key_path(dir),
            "mldsa44_key_file": ledger::keys::post_quantum_key_path(dir),
            "tsa": ledger::tsa::tsa_dir(dir),
            "tsa_accredited": false,
            "rule_pack": in_force.as_ref().map(|(p, _)| receipt(p)),
            "calendar": in_force.as_ref().map(|(_, c)| receipt(c)),
        }));
    }
    println!("{}", vkey.vkey());
    let next = match &at.postgres {
        None => format!("tenderlog append --data {} events.jsonl", dir.display()),
        Some(_) => format!(
            "tenderlog serve --data {} --store \"$TENDERLOG_STORE\" (the same URL; every front-end gets a copy of {} with the keys)",
            dir.display(),
            dir.display()
        ),
    };
    let rules = match &in_force {
        Some((p, c)) => {
            let pack = verifier::policy::RulePack::default_pack();
            let cal = verifier::calendar::HolidayCalendar::shipped();
            format!(
                "rules: the shipped rule pack {} v{} (entry {}) and holiday calendar {} v{} (entry {}) are in force: documents must be signed and stamped as the pack asks (`tenderlog policy default` shows it; `--rules none` makes a log that takes unsigned documents, to try tenderlog)",
                pack.name, pack.version, p.appended.index, cal.name, cal.version, c.appended.index
            )
        }
        None => "rules: none in force; documents are taken unsigned until a rule pack is published (`tenderlog policy publish`)".to_owned(),
    };
    eprintln!(
        "tenderlog: created a log with origin {origin} in {at}\n\
         the line above is the verifier key (also in {}): give it to everyone who checks receipts\n\
         every checkpoint is also signed with a post-quantum ML-DSA-44 key, verifier key in {} (checked when given as a second --key)\n\
         the signing keys are {} and {} (mode 0600): keep them secret and backed up\n\
         trusted time: {} in {} (its root is trusted; for production, `tenderlog trust add-tsa` an accredited TSA's root)\n\
         {rules}\n\
         next: {next}",
        ledger::store::vkey_path(dir).display(),
        ledger::keys::post_quantum_vkey_path(dir).display(),
        ledger::store::key_path(dir).display(),
        ledger::keys::post_quantum_key_path(dir).display(),
        ledger::tsa::NAME,
        ledger::tsa::tsa_dir(dir).display(),
    );
    Ok(())
}

pub(crate) fn checkpoint(dir: &Path, json: bool) -> anyhow::Result<()> {
    let store = Store::open(dir)?;
    let cp = store.latest_checkpoint()?;
    if json {
        print_json(&json!({
            "origin": cp.checkpoint.origin,
            "size": cp.checkpoint.size,
            "root": cp.checkpoint.root,
            "note": cp.note,
        }))
    } else {
        std::io::stdout().write_all(cp.note.as_bytes())?;
        Ok(())
    }
}

pub(crate) fn entry(dir: &Path, index: u64) -> anyhow::Result<()> {
    let store = Store::open(dir)?;
    let leaf = store.leaf(index)?;
    let event = Event::decode(&leaf).with_context(|| format!("entry {index} is malformed"))?;
    print_json(&json!({
        "index": index,
        "leaf_hash": verifier::leaf_hash(&leaf),
        "leaf": base64::engine::general_purpose::STANDARD.encode(&leaf),
        "event": event.to_json(),
    }))
}

pub(crate) fn prove_inclusion(
    dir: &Path,
    index: Option<u64>,
    leaf_hash: Option<&str>,
    size: Option<u64>,
) -> anyhow::Result<()> {
    let store = Store::open(dir)?;
    let size = match size {
        Some(s) => s,
        None => store.tree_size()?,
    };
    let index = match (index, leaf_hash) {
        (Some(i), _) => i,
        (None, Some(h)) => {
            let h = Hash::from_hex(h).context("--leaf-hash must be 64 hex digits")?;
            store
                .index_of_leaf_hash(&h)?
                .ok_or_else(|| anyhow::anyhow!("no entry has leaf hash {h}"))?
        }
        (None, None) => anyhow::bail!("give --index or --leaf-hash"),
    };
    let proof = store.inclusion_proof(index, size)?;
    let leaf = store.leaf(index)?;
    print_json(&json!({
        "index": index,
        "tree_size": size,
        "leaf_hash": verifier::leaf_hash(&leaf),
        "root": store.root_at(size)?,
        "proof": hexes(&proof),
        "checkpoint": store.checkpoint_at(size)?,
    }))
}

pub(crate) fn prove_consistency(dir: &Path, from: u64, to: Option<u64>) -> anyhow::Result<()> {
    let store = Store::open(dir)?;
    let to = match to {
        Some(t) => t,
        None => store.tree_size()?,
    };
    if from > to {
        anyhow::bail!("--from {from} is larger than --to {to}");
    }
    let proof = store.consistency_proof(from, to)?;
    print_json(&json!({
        "size1": from,
        "size2": to,
        "root1": store.root_at(from)?,
        "root2": store.root_at(to)?,
        "proof": hexes(&proof),
    }))
}

/// The log an audit reads.
pub(crate) enum Audited {
    /// A data directory's store.
    Dir(std::path::PathBuf),
    /// A log's public tiles, and the key its checkpoint must verify with.
    Url { url: String, keys: Vec<String> },
    /// A log kept in PostgreSQL.
    Postgres(String),
}

/// The keys of `--key`: each a vkey (`<origin>+<hash>+<key>`, Ed25519 or
/// ML-DSA-44) or a file of them, one per line.
fn log_anchors(args: &[String]) -> anyhow::Result<Vec<verifier::log_keys::LogAnchor>> {
    let mut out = Vec::new();
    for arg in args {
        let text = if Path::new(arg).is_file() {
            std::fs::read_to_string(arg).with_context(|| format!("couldn't read key file {arg}"))?
        } else {
            arg.clone()
        };
        out.extend(verifier::log_keys::LogAnchor::parse_lines(&text).with_context(|| {
            format!(
                "--key {arg:?} must be a verifier key, <origin>+<hash>+<key>, or a file of them"
            )
        })?);
    }
    anyhow::ensure!(!out.is_empty(), "--key: no key given");
    Ok(out)
}

/// A progress bar of `what` on standard error when it is a terminal and
/// the output is not JSON; hidden otherwise.
pub(crate) fn progress_bar(what: &str, json: bool) -> ProgressBar {
    if !std::io::stderr().is_terminal() || json {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(0);
    b.set_style(
        ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {what}, {{per_sec}}, eta {{eta}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    b
}

pub(crate) fn audit(log: &Audited, scope: ledger::AuditScope, json: bool) -> anyhow::Result<()> {
    let bar = progress_bar("entries", json);
    let started = std::time::Instant::now();
    let mut progress = |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let result = match log {
        Audited::Dir(dir) => ledger::audit_scope(dir, scope, &mut progress),
        Audited::Postgres(url) => ledger::postgres::audit(url, scope, &mut progress),
        Audited::Url { url, keys } => {
            let anchors = log_anchors(keys)?;
            ledger::remote::TileSource::open(url, &anchors).and_then(|(source, keys)| {
                ledger::remote::audit(&source, &keys, scope, &mut progress)
            })
        }
    };
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    match result {
        Ok(r) => {
            if json {
                print_json(&json!({"ok": true, "report": r, "seconds": secs}))
            } else {
                println!(
                    "audit passed: {} entries, {} checkpoints, {} tenders, root {} ({:.2} s)",
                    r.entries, r.checkpoints, r.tenders, r.root, secs
                );
                if let Audited::Url { .. } = log {
                    println!(
                        "from the public tiles: the operator's older checkpoints and index \
                         tables are not published, and were not checked"
                    );
                }
                if scope == ledger::AuditScope::Integrity {
                    println!(
                        "integrity checks only: leaves were not decoded in full and index.db was \
                         not compared; run without --integrity for every check"
                    );
                }
                Ok(())
            }
        }
        Err(e) => {
            if let (true, ledger::LedgerError::AuditFailed { check, index, detail }) = (json, &e) {
                print_json(
                    &json!({"ok": false, "check": check, "index": index, "detail": detail}),
                )?;
            }
            Err(e.into())
        }
    }
}

/// `tenderlog migrate`: a log copied between a data directory and
/// PostgreSQL.
pub(crate) fn migrate(from: &str, to: &str, json: bool) -> anyhow::Result<()> {
    let (from, to) = (ledger::migrate::Place::parse(from), ledger::migrate::Place::parse(to));
    let bar = progress_bar("leaves", json);
    let r = ledger::migrate::migrate(&from, &to, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .with_context(|| {
        format!("couldn't copy the log from {from} to {to} (run it again to continue)")
    })?;
    bar.finish_and_clear();
    if json {
        return print_json(&serde_json::to_value(&r)?);
    }
    println!(
        "copied the log from {from} to {to}: {} entries ({} copied now), {} tile rows, {} checkpoints, root {}",
        r.size, r.leaves_copied, r.tile_rows, r.checkpoints, r.root
    );
    println!(
        "check the copy: tenderlog audit {}",
        match &to {
            ledger::migrate::Place::Dir(d) => format!("--data {}", d.display()),
            ledger::migrate::Place::Postgres(_) => "--store '<the same address>'".to_owned(),
        }
    );
    Ok(())
}

/// Reads and parses a witness policy file (`--witness-policy`).
pub(crate) fn read_witness_policy(path: &Path) -> anyhow::Result<WitnessPolicy> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("couldn't read the witness policy {}", path.display()))?;
    let policy = WitnessPolicy::parse(&text)
        .with_context(|| format!("couldn't parse the witness policy {}", path.display()))?;
    Ok(policy)
}

/// `tenderlog certificate`: the entry's evidence certificate as a PDF.
pub(crate) fn certificate(
    dir: &Path,
    index: u64,
    url: &str,
    out: Option<PathBuf>,
    fonts: &[PathBuf],
    policy: Option<&WitnessPolicy>,
) -> anyhow::Result<()> {
    let store = Store::open(dir)?;
    let fonts = if fonts.is_empty() {
        certificate::Fonts::system()?
    } else {
        certificate::Fonts::from_files(fonts)?
    };
    // The entry's bundle signs its signers' chain heads: this runs where the key is.
    let signer = ledger::keys::load(&ledger::store::key_path(dir), store.origin())?;
    let cert = certificate::gather(&store, dir, index, url, &signer, policy)?;
    let pdf = certificate::render(&cert, &fonts)?;
    let out = out.unwrap_or_else(|| PathBuf::from(format!("certificate-{index}.pdf")));
    std::fs::write(&out, &pdf).with_context(|| format!("couldn't write {}", out.display()))?;
    eprintln!(
        "tenderlog: wrote {} (certificate {}, {} bytes; attached: receipt.json{})
         extract the attachments: pdfdetach -saveall {}
         check the receipt offline: tenderlog-verify receipt receipt.json --key {} --key {}",
        out.display(),
        cert.facts.number,
        pdf.len(),
        if cert.token.is_some() { ", checkpoint.tsr" } else { "" },
        out.display(),
        dir.join("log.vkey").display(),
        ledger::keys::post_quantum_vkey_path(dir).display(),
    );
    Ok(())
}

pub(crate) fn bundle(
    dir: &Path,
    tender: Option<String>,
    index: Vec<u64>,
    document: Option<&str>,
    out: &Path,
    policy: Option<&WitnessPolicy>,
) -> anyhow::Result<()> {
    use verifier::bundle::Selection;
    let selection = match (tender, index.is_empty(), document) {
        (Some(t), true, None) => Selection::Tender(t),
        (None, false, None) => Selection::Indexes(index),
        (None, true, Some(d)) => {
            Selection::Document(Hash::from_hex(d).context("--document must be 64 hex digits")?)
        }
        _ => anyhow::bail!("give one of --tender, --index or --document"),
    };
    let store = Store::open(dir)?;
    // The tender head is signed with the log's key: this runs where the key is.
    let signer = ledger::keys::load(&ledger::store::key_path(dir), store.origin())?;
    let mut roots = ledger::trust::bundle_roots(dir)?;
    if let Some(p) = policy {
        roots = roots.with_witnesses(p);
    }
    let bundle = store.export_bundle(&selection, Some(&signer), &roots)?;
    let bytes = bundle.to_zip()?;
    std::fs::write(out, &bytes).with_context(|| format!("couldn't write {}", out.display()))?;
    eprintln!(
        "tenderlog: wrote {} ({} entries, {} bytes, newest checkpoint {})\nverify it offline: tenderlog-verify {} --key '{}'",
        out.display(),
        bundle.manifest.entries.len(),
        bytes.len(),
        bundle.manifest.checkpoint,
        out.display(),
        store.verifier().vkey()
    );
    Ok(())
}

/// Reads a registry file (a rule pack, a holiday calendar) of at most 256
/// KiB as JSON; `hint` says where to start from.
fn read_registry_file<T: serde::de::DeserializeOwned>(
    f: &Path,
    what: &str,
    hint: &str,
) -> anyhow::Result<T> {
    let text = std::fs::read(f).with_context(|| format!("couldn't read {}", f.display()))?;
    anyhow::ensure!(text.len() <= 256 * 1024, "{} is over 256 KiB", f.display());
    serde_json::from_slice(&text).with_context(|| {
        format!("couldn't read the {what} in {}\nhint: start from `{hint}`", f.display())
    })
}

pub(crate) fn publish_policy(
    dir: &Path,
    file: Option<&Path>,
    principal: &str,
) -> anyhow::Result<()> {
    use verifier::event::{Body, POLICY_TENDER};
    let pack = match file {
        None => verifier::policy::RulePack::default_pack(),
        Some(f) => read_registry_file(f, "rule pack", "tenderlog policy default")?,
    };
    let c = publish(&dir.into(), POLICY_TENDER, principal, Body::Policy(pack), "rule pack", file)?;
    print_json(&receipt(&c))?;
    let a = c.appended.index;
    eprintln!(
        "tenderlog: the rule pack is in force from entry {a}; documents appended from now on are checked against it"
    );
    Ok(())
}

pub(crate) fn publish_calendar(
    dir: &Path,
    file: Option<&Path>,
    principal: &str,
) -> anyhow::Result<()> {
    use verifier::event::{Body, CALENDAR_TENDER};
    let calendar = match file {
        None => verifier::calendar::HolidayCalendar::shipped(),
        Some(f) => read_registry_file(f, "holiday calendar", "tenderlog calendar default")?,
    };
    let a = publish(
        &dir.into(),
        CALENDAR_TENDER,
        principal,
        Body::Calendar(calendar),
        "holiday calendar",
        file,
    )?;
    print_json(&receipt(&a))?;
    eprintln!(
        "tenderlog: the holiday calendar is in force from entry {}; compliance reports count days by it and name it",
        a.appended.index
    );
    Ok(())
}

/// Appends a registry event (kind `what`) through the writer; its receipt.
fn publish(
    at: &ledger::Location,
    tender: &str,
    principal: &str,
    body: verifier::event::Body,
    what: &str,
    file: Option<&Path>,
) -> anyhow::Result<ledger::Committed> {
    let kind = body.kind();
    let content =
        verifier::event::Content { tender: tender.into(), principal: principal.into(), body };
    content.validate()?;
    let config = ledger::AppenderConfig { postgres: at.postgres.clone(), ..Default::default() };
    let appender = match ledger::Appender::open(&at.dir, config) {
        Ok(a) => a,
        // The server holds the writer lock: the event goes through it.
        Err(e @ ledger::LedgerError::Locked { .. }) => {
            return Err(anyhow::Error::new(e).context(format!(
                "couldn't publish the {what} directly: the server is running
hint: send it to the server with an admin token instead:
  curl -X POST http://127.0.0.1:8080/v1/events -H \"Authorization: Bearer $ADMIN_TOKEN\" -H 'Content-Type: application/json' \\
    -d \"{{\\\"kind\\\":\\\"{kind}\\\",\\\"body\\\":$(cat {})}}\"",
                file.map_or_else(|| format!("{kind}.json"), |f| f.display().to_string())
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let result = appender
        .append(vec![content])?
        .pop()
        .with_context(|| format!("no result for the {what}"))?;
    result.map_err(|r| anyhow::anyhow!("{r}"))
}

/// A receipt as `policy publish` and `calendar publish` print it.
fn receipt(c: &ledger::Committed) -> serde_json::Value {
    json!({
        "index": c.appended.index,
        "leaf_hash": c.appended.leaf_hash,
        "checkpoint_size": c.checkpoint.checkpoint.size,
        "duplicate": c.appended.duplicate,
    })
}

/// Puts the shipped rule pack and holiday calendar in force in a new log
/// (its first two entries); their receipts.
pub(crate) fn shipped_rules(
    at: &ledger::Location,
) -> anyhow::Result<(ledger::Committed, ledger::Committed)> {
    use verifier::event::{Body, CALENDAR_TENDER, POLICY_TENDER};
    let pack = Body::Policy(verifier::policy::RulePack::default_pack());
    let calendar = Body::Calendar(verifier::calendar::HolidayCalendar::shipped());
    Ok((
        publish(at, POLICY_TENDER, "operator", pack, "rule pack", None)?,
        publish(at, CALENDAR_TENDER, "operator", calendar, "holiday calendar", None)?,
    ))
}
