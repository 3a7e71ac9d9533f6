//! `tenderlog demo`: one tender through the HTTP API on the embedded default,
//! every receipt checked, the tender's evidence bundle exported and verified
//! offline — what a platform, a bidder and an arbitrator each do.

use std::path::Path;

use anyhow::Context as _;
use ledger::SystemClock;
use sha2::{Digest, Sha256};
use verifier::Hash;
use verifier::bundle::Bundle;
use verifier::log_keys::LogAnchor;
use verifier::note::NoteVerifier;
use verifier::report::{GivenDocument, Status, verify_receipt};

use crate::demo_pki::{self, DemoPki, PARTICIPANTS};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use p256::ecdsa::signature::Signer as _;

/// The origin of a log `demo` creates.
pub(crate) const DEMO_ORIGIN: &str = "demo.tenderlog.local/log";

/// The tender: (principal, document type, file name, title, signers). The
/// evaluation report is signed by every expert; bidder D's certificate was
/// reported lost before it bid, so its bid is refused and the refusal logged.
const STEPS: &[(&str, &str, &str, &str, &[&str])] = &[
    (
        "agency-01",
        "tender_notice",
        "01-tender-notice.txt",
        "招标公告 tender notice",
        &["agency-01"],
    ),
    (
        "agency-01",
        "tender_documents",
        "02-tender-documents.txt",
        "招标文件 tender documents",
        &["agency-01"],
    ),
    (
        "bidder-a",
        "tender_documents_obtained",
        "02a-obtained-a.txt",
        "获取招标文件 bidder A obtained the tender documents",
        &[],
    ),
    (
        "bidder-b",
        "tender_documents_obtained",
        "02b-obtained-b.txt",
        "获取招标文件 bidder B obtained the tender documents",
        &[],
    ),
    (
        "bidder-c",
        "tender_documents_obtained",
        "02c-obtained-c.txt",
        "获取招标文件 bidder C obtained the tender documents",
        &[],
    ),
    (
        "agency-01",
        "tender_documents_clarification",
        "03-clarification.txt",
        "澄清 clarification no. 1",
        &["agency-01"],
    ),
    ("bidder-a", "bid", "04-bid-a.txt", "投标文件 bid of bidder A", &["bidder-a"]),
    ("bidder-b", "bid", "05-bid-b.txt", "投标文件 bid of bidder B", &["bidder-b"]),
    ("bidder-c", "bid", "06-bid-c.txt", "投标文件 bid of bidder C", &["bidder-c"]),
    ("bidder-d", "bid", "07-bid-d.txt", "投标文件 bid of bidder D", &["bidder-d"]),
    (
        "bidder-c",
        "bid",
        "07b-late-bid-c.txt",
        "投标文件 a second bid of bidder C, after the deadline",
        &["bidder-c"],
    ),
    (
        "agency-01",
        "opening_record",
        "08-opening-record.txt",
        "开标记录 opening record",
        &["agency-01"],
    ),
    (
        "committee",
        "evaluation_report",
        "09-evaluation-report.txt",
        "评标报告 evaluation report",
        &["expert-1", "expert-2", "expert-3"],
    ),
    ("agency-01", "award_notice", "10-award-notice.txt", "中标通知书 award notice", &["buyer-01"]),
    ("buyer-01", "contract", "11-contract.txt", "合同 contract", &["buyer-01", "bidder-a"]),
];

const TENDER: &str = "ZB2026-DEMO-001";

/// Filed under seal (电子招标投标办法 art. 21, 28): the log shows a commitment
/// until the reveal — who obtained the documents and the bids until the
/// opening, the evaluation report (and with it the
/// committee's membership) until the award.
const SEALED: &[&str] = &[
    "02a-obtained-a.txt",
    "02b-obtained-b.txt",
    "02c-obtained-c.txt",
    "04-bid-a.txt",
    "05-bid-b.txt",
    "06-bid-c.txt",
    "07-bid-d.txt",
    "07b-late-bid-c.txt",
    "09-evaluation-report.txt",
];

/// After the step with this file, the agency reveals these sealed ones.
const REVEALS: &[(&str, &[&str])] = &[
    (
        "08-opening-record.txt",
        &[
            "02a-obtained-a.txt",
            "02b-obtained-b.txt",
            "02c-obtained-c.txt",
            "04-bid-a.txt",
            "05-bid-b.txt",
            "06-bid-c.txt",
        ],
    ),
    ("10-award-notice.txt", &["09-evaluation-report.txt"]),
];

/// The steps whose refusal the demo expects: bidder D's (its certificate
/// was reported lost) and bidder C's second bid (after the deadline).
const REFUSED: &[&str] = &["07-bid-d.txt", LATE];

/// The step sent once the bid deadline has passed.
const LATE: &str = "07b-late-bid-c.txt";

/// How long after the schedule is set the bid deadline falls (the demo
/// waits for it before the late bid).
const DEADLINE_AFTER_MS: u64 = 6_000;

pub(crate) fn run(dir: &Path) -> anyhow::Result<()> {
    if !ledger::store::db_path(dir).exists() {
        let vkey = ledger::init(dir, DEMO_ORIGIN, &SystemClock)?;
        println!("created a log in {}\n  verifier key: {}", dir.display(), vkey.vkey());
    } else {
        println!("using the log in {}", dir.display());
    }
    let out = dir.join("demo");
    std::fs::create_dir_all(&out).with_context(|| format!("couldn't create {}", out.display()))?;
    // Before the server starts: it loads the trusted roots when it opens.
    let pki = DemoPki::open_or_create(dir)?;
    println!(
        "  signers: certificates and unit seals from the demo CA (not a real CA) in {}\n  trusted time: {} in {}",
        dir.join("demo/pki").display(),
        ledger::tsa::NAME,
        ledger::tsa::tsa_dir(dir).display()
    );
    // The log's keys that sign now: Ed25519, and ML-DSA-44 (a log made by
    // the demo has both).
    let (key, anchors) = {
        let store = ledger::Store::open(dir)?;
        (store.verifier().clone(), store.log_keys().current_anchors())
    };

    // One token per principal, as a platform would issue them.
    let mut tokens = std::collections::BTreeMap::new();
    for who in STEPS.iter().map(|s| s.0) {
        if !tokens.contains_key(who) {
            tokens.insert(who, api::tokens::reissue(dir, who, api::tokens::Role::Submitter)?);
        }
    }
    // The platform's administrator publishes the rule pack; its CA registry
    // (also an admin token: it decides whose keys count) the certificates.
    let admin = api::tokens::reissue(dir, "platform-admin", api::tokens::Role::Admin)?;
    let registry_token = api::tokens::reissue(dir, "ca-registry", api::tokens::Role::Admin)?;

    // The certificate registry's events: every participant's certificate,
    // issued an hour before the demo PKI was made, and bidder D's reported
    // lost half an hour later (so before anything it signs is stamped).
    let mut registry = Vec::new();
    for (p, (_, der)) in PARTICIPANTS.iter().zip(&pki.certs) {
        let mut body = serde_json::json!({
            "der": B64.encode(der), "cert_kind": p.kind, "lifecycle": "issued",
            "effective_ms": pki.epoch_ms - 3_600_000,
        });
        if p.kind == "trader" {
            body["uscc"] = serde_json::json!(demo_pki::uscc(p)?);
            body["unit_name"] = serde_json::json!(p.unit);
        }
        registry.push((p.name.to_owned(), body.clone()));
        if p.name == "bidder-d" {
            body["lifecycle"] = serde_json::json!("reported_lost");
            body["effective_ms"] = serde_json::json!(pki.epoch_ms - 1_800_000);
            registry.push(("bidder-d (reported lost)".to_owned(), body));
        }
    }

    // Each bidder's SM2 seal certificate (e-seals are SM2), then its unit
    // seal bound to it: the seal registry's records.
    let mut bindings = Vec::new();
    for (name, (holder, seal)) in demo_pki::SEALED_TRADERS.iter().zip(&pki.seals) {
        let p = &PARTICIPANTS[DemoPki::index(name)?];
        registry.push((
            format!("{name} (seal certificate)"),
            serde_json::json!({
                "der": B64.encode(&holder.cert), "cert_kind": "trader", "lifecycle": "issued",
                "effective_ms": pki.epoch_ms - 3_600_000,
                "uscc": demo_pki::uscc(p)?, "unit_name": p.unit,
            }),
        ));
        bindings.push((
            *name,
            serde_json::json!({
                "seal": B64.encode(seal), "role": "unit_seal",
                "cert": verifier::pki::fingerprint_of(&holder.cert), "action": "bound",
                "effective_ms": pki.epoch_ms - 3_600_000,
            }),
        ));
    }

    // The documents stay with their owners; the log gets digests, the
    // owners' signatures over them and a trusted timestamp for each.
    let mut files = Vec::new();
    let mut bodies = Vec::new();
    for (who, kind, name, title, signers) in STEPS {
        let path = out.join(name);
        let bytes = format!("{TENDER}\n{title}\n(stand-in for the signed PDF/OFD file)\n");
        std::fs::write(&path, &bytes)?;
        let sha: [u8; 32] = Sha256::digest(bytes.as_bytes()).into();
        let sm3: [u8; 32] = <sm3::Sm3 as sm3::Digest>::digest(bytes.as_bytes()).into();
        // A bidder's bid carries its unit seal, applied once and kept.
        let mut seals = Vec::new();
        if let Some(k) = demo_pki::SEALED_TRADERS.iter().position(|t| t == who) {
            let ses = out.join(format!("{name}.ses"));
            let applied = match std::fs::read(&ses) {
                Ok(a) => a,
                Err(_) => {
                    let (holder, seal) = &pki.seals[k];
                    let a = crate::seal_maker::apply_seal(seal, holder, &sm3, now_ms(), name)?;
                    std::fs::write(&ses, &a)?;
                    a
                }
            };
            seals.push(B64.encode(&applied));
        }
        let mut sigs = Vec::new();
        for who in *signers {
            let (sk, der) = &pki.certs[DemoPki::index(who)?];
            // The message is the document's SHA-256 (see DocSignature).
            let sig: p256::ecdsa::Signature = sk.sign(&sha);
            sigs.push(serde_json::json!({
                "format": "raw",
                "cert": verifier::pki::fingerprint_of(der),
                "value": B64.encode(sig.to_der().as_bytes()),
            }));
        }
        // Stamped once and kept, so a second run submits the same content.
        let tst = out.join(format!("{name}.tst"));
        let token = match std::fs::read(&tst) {
            Ok(t) => t,
            Err(_) => {
                let t = pki.tsa.stamp(&sha, ledger::tsa::ImprintAlg::Sha256, now_ms())?;
                std::fs::write(&tst, &t)?;
                t
            }
        };
        bodies.push(serde_json::json!({
            "document_type": kind,
            "sha256": Hash(sha),
            "sm3": Hash(sm3),
            "size": bytes.len(),
            "media_type": "text/plain",
            "title": title,
            "signatures": sigs,
            "timestamps": [B64.encode(&token)],
            "seals": seals,
        }));
        files.push(path);
    }

    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let policy_path = out.join("witness-policy.txt");
    let (bundle_path, url, compliance) = rt.block_on(async {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        // The supervising department's witness: its own keys and state
        // (here beside the log; on its own machine in earnest).
        let (witness, policy) = supervisor_witness(dir, &key, &policy_path).await?;
        let mut config = api::ServerConfig::new(dir.to_owned());
        config.listen = "127.0.0.1:0".parse()?;
        config.witnessing = Some(api::witnessing::WitnessingConfig {
            policy: std::sync::Arc::new(policy),
            timeout: std::time::Duration::from_secs(2),
        });
        let running = api::start(config, async move {
            let _ = stopped.await;
        })
        .await?;
        let base = format!("http://{}", running.addr);
        println!(
            "\nwitness: {} (the supervising department) on http://{}, cosigning every checkpoint (Ed25519 and ML-DSA-44)",
            witness.witness.name(),
            witness.addr
        );
        let http = reqwest::Client::new();
        let post = |token: String, body: serde_json::Value| {
            let req = http.post(format!("{base}/v1/events")).bearer_auth(token).json(&body);
            async move {
                let r = req.send().await?;
                let status = r.status();
                anyhow::Ok((status, r.bytes().await?))
            }
        };
        // A filing the server must take: its receipt, checked offline at once.
        let filed = |token: String, body: serde_json::Value, what: String| {
            let sent = post(token, body);
            let (key, out) = (&key, &out);
            async move {
                let (status, answer) = sent.await?;
                anyhow::ensure!(
                    status.is_success(),
                    "the server refused {what}: {}",
                    String::from_utf8_lossy(&answer)
                );
                check_receipt(&answer, key, out)
            }
        };
        println!("\nserver on {base}");
        println!("registering certificates, the rule pack and the holiday calendar:");
        for (who, body) in registry {
            let body = serde_json::json!({"kind": "certificate", "body": body});
            let v = filed(registry_token.clone(), body, format!("the certificate of {who}")).await?;
            print_receipt(&v, &who, "certificate");
        }
        for (who, body) in bindings {
            let body = serde_json::json!({"kind": "seal_binding", "body": body});
            let what = format!("the unit seal binding of {who}");
            let v = filed(registry_token.clone(), body, what).await?;
            print_receipt(&v, who, "unit seal bound");
        }
        let pack = verifier::policy::RulePack::default_pack();
        let calendar = verifier::calendar::HolidayCalendar::shipped();
        for (kind, body, what) in [
            (
                "policy",
                serde_json::to_value(&pack)?,
                format!("rule pack {} v{}", pack.name, pack.version),
            ),
            (
                "calendar",
                serde_json::to_value(&calendar)?,
                format!("holiday calendar {} v{}", calendar.name, calendar.version),
            ),
        ] {
            let body = serde_json::json!({"kind": kind, "body": body});
            let v = filed(admin.clone(), body, format!("the {what}")).await?;
            print_receipt(&v, "platform-admin", &what);
        }

        println!("opening tender {TENDER}: its registration (owner: buyer-01 and its agency agency-01) and schedule:");
        let v = filed(tokens["agency-01"].clone(), registration()?, "the registration".into())
            .await?;
        print_receipt(&v, "agency-01", "registration");
        // Kept from the first run: the same schedule comes back as the same entry.
        let schedule_file = out.join("schedule.json");
        let schedule: serde_json::Value = match std::fs::read(&schedule_file) {
            Ok(b) => serde_json::from_slice(&b)?,
            Err(_) => {
                let at = now_ms() + DEADLINE_AFTER_MS;
                // The documents are on sale until the deadline.
                let v = serde_json::json!({"bid_deadline_ms": at, "opening_ms": at,
                                           "documents_sale_end_ms": at});
                std::fs::write(&schedule_file, v.to_string())?;
                v
            }
        };
        let deadline = schedule["bid_deadline_ms"].as_u64().unwrap_or_default();
        let body = serde_json::json!({"kind": "schedule", "tender": TENDER, "body": schedule});
        let v = filed(tokens["agency-01"].clone(), body, "the schedule".into()).await?;
        print_receipt(
            &v,
            "agency-01",
            &format!("schedule: bids until {}", verifier::calendar::cst_text(deadline)),
        );
        println!(
            "playing tender {TENDER} through POST /v1/events (signed, timestamped; bids and the evaluation report under seal):"
        );
        let mut openings = std::collections::BTreeMap::new();
        // Every filed entry's link, by file: what later steps name.
        let mut links = std::collections::BTreeMap::new();
        for ((who, _, name, title, _), body) in STEPS.iter().zip(bodies) {
            let kind = if SEALED.contains(name) { "sealed_document" } else { "document" };
            if *name == LATE && now_ms() <= deadline {
                println!(
                    "  (waiting for the bid deadline, {})",
                    verifier::calendar::cst_text(deadline)
                );
                while now_ms() <= deadline {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
            let (status, answer) = post(
                tokens[who].clone(),
                serde_json::json!({"kind": kind, "tender": TENDER, "body": body}),
            )
            .await?;
            if REFUSED.contains(name) {
                // Refused, and the refusal itself is logged: the answer
                // carries the receipt of the submission_rejected event.
                let problem: serde_json::Value = serde_json::from_slice(&answer)?;
                anyhow::ensure!(
                    problem["code"] == "rejected",
                    "expected {name} to be refused: {}",
                    String::from_utf8_lossy(&answer)
                );
                let receipt = serde_json::to_vec(&problem["rejection"])?;
                let v = check_receipt(&receipt, &key, &out)?;
                print_receipt(
                    &v,
                    who,
                    &format!(
                        "{title}: REFUSED ({}), refusal logged",
                        problem["check"].as_str().unwrap_or("?")
                    ),
                );
            } else {
                anyhow::ensure!(
                    status.is_success(),
                    "the server refused {name}: {}",
                    String::from_utf8_lossy(&answer)
                );
                let v = check_receipt(&answer, &key, &out)?;
                if v["sealed"].is_object() {
                    // Only the filer gets the opening; the log shows a commitment.
                    print_receipt(&v, who, &format!("{title}: under seal"));
                    openings.insert(*name, (v["sealed"].clone(), *title));
                    links.insert(*name, v["sealed"]["sealed"].clone());
                } else {
                    print_receipt(&v, who, title);
                    links.insert(*name, serde_json::json!({"index": v["index"], "leaf_hash": v["leaf_hash"]}));
                }
                for (after, reveal) in REVEALS {
                    if after != name {
                        continue;
                    }
                    for sealed in *reveal {
                        let (opening, title) = openings
                            .get(sealed)
                            .with_context(|| format!("no opening for {sealed}"))?
                            .clone();
                        let body =
                            serde_json::json!({"kind": "reveal", "tender": TENDER, "body": opening});
                        let what = format!("the reveal of {sealed}");
                        let v = filed(tokens["agency-01"].clone(), body, what).await?;
                        print_receipt(&v, "agency-01", &format!("reveal: {title}"));
                    }
                }
            }
            for (what, step) in steps_after(name, deadline, &links)? {
                let body = serde_json::json!({"kind": "procedure", "tender": TENDER, "body": step});
                let v = filed(tokens["agency-01"].clone(), body, format!("the step {what}")).await?;
                print_receipt(&v, "agency-01", &what);
            }
        }
        // The stamper gets the newest checkpoint its token within moments;
        // the bundle then carries trusted time for the whole tender.
        let latest = http.get(format!("{base}/v1/checkpoint")).send().await?.text().await?;
        let size: u64 = latest.lines().nth(1).and_then(|l| l.parse().ok()).unwrap_or_default();
        for _ in 0..100 {
            let r = http.get(format!("{base}/v1/checkpoint/timestamp?size={size}")).send().await?;
            if r.status().is_success() {
                let v: serde_json::Value = r.json().await?;
                println!(
                    "  checkpoint {size} stamped by {} at {} (RFC 3161)",
                    v["tsa"].as_str().unwrap_or_default(),
                    verifier::calendar::cst_text(v["gen_ms"].as_u64().unwrap_or_default())
                );
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        // The bundle is proved against the newest checkpoint the witness
        // cosigned: wait for it to cover the whole tender (moments).
        // The log's size (not /checkpoint's: that is the cosigned one).
        let health: serde_json::Value =
            http.get(format!("{base}/healthz")).send().await?.json().await?;
        let size = health["tree_size"].as_u64().context("no tree size on /healthz")?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let v: serde_json::Value =
                http.get(format!("{base}/v1/witnesses")).send().await?.json().await?;
            if v["cosigned_size"].as_u64().is_some_and(|s| s >= size) {
                println!("  checkpoint {size} cosigned by the witness: GET /v1/witnesses");
                break;
            }
            anyhow::ensure!(
                std::time::Instant::now() < deadline,
                "the witness did not cosign checkpoint {size} within a minute: {v}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let r = http.get(format!("{base}/v1/bundles?tender={TENDER}")).send().await?;
        anyhow::ensure!(r.status().is_success(), "couldn't fetch the bundle: {}", r.status());
        let bundle_path = out.join(format!("{TENDER}.bundle.zip"));
        std::fs::write(&bundle_path, r.bytes().await?)?;
        // The regulator's question: was the tender run by the rules?
        let r = http.get(format!("{base}/v1/tenders/{TENDER}/compliance")).send().await?;
        anyhow::ensure!(r.status().is_success(), "couldn't fetch the compliance report: {}", r.status());
        let compliance: verifier::rules::Compliance =
            serde_json::from_value(r.json::<serde_json::Value>().await?["compliance"].take())?;
        let _ = stop.send(());
        running.task.await??;
        anyhow::Ok((bundle_path, base, compliance))
    })?;

    // What the arbitrator does: verify the bundle offline, with the documents.
    let bundle = Bundle::from_zip(&std::fs::read(&bundle_path)?)?;
    let given: Vec<GivenDocument> = files
        .iter()
        .filter(|p| !REFUSED.iter().any(|r| p.ends_with(r)))
        .map(|p| Ok(GivenDocument::of_bytes(p.display().to_string(), &std::fs::read(p)?)))
        .collect::<std::io::Result<_>>()?;
    let policy =
        verifier::witness_policy::WitnessPolicy::parse(&std::fs::read_to_string(&policy_path)?)?;

    let report = verifier::report::verify_bundle_with(
        &bundle,
        &verifier::report::Options {
            // Both keys: every checkpoint must carry both signatures.
            keys: Some(&anchors),
            documents: &given,
            witness_policy: Some(&policy),
            ..Default::default()
        },
    );
    use verifier::check::CheckName;
    let passed = |check: CheckName| {
        report.checks.iter().filter(|c| c.check == check && c.status == Status::Pass).count()
    };
    println!(
        "\ntenderlog-verify {}:\n  {}\n  {} signatures, {} e-seal checks, {} certificate chains and statuses at trusted time, {} timestamps, {} rule-pack checks and {} sealed documents opened by their reveals passed",
        bundle_path.display(),
        report.to_text().lines().next().unwrap_or_default(),
        passed(CheckName::Signature),
        passed(CheckName::Seal),
        passed(CheckName::CertificateChain),
        passed(CheckName::Timestamp),
        passed(CheckName::Policy),
        passed(CheckName::CommitmentReveal),
    );
    anyhow::ensure!(report.verified, "the bundle does not verify:\n{}", report.to_text());
    if let Some(q) = report.checks.iter().find(|c| c.check == CheckName::WitnessQuorum) {
        println!("  witness quorum ({}): {}", q.subject, q.detail);
    }
    anyhow::ensure!(
        report.compliance.as_ref() == Some(&compliance),
        "the offline compliance report differs from the server's"
    );
    println!(
        "\nGET /v1/tenders/{TENDER}/compliance (the same offline from the bundle; a tender played in seconds cannot keep the 20-day rule):\n{}",
        compliance.to_text().trim_end()
    );

    let d = dir.display();
    let b = bundle_path.display();
    // The log's keys as a verifier pins them: both, from their files.
    let ka = match anchors.as_slice() {
        [_, LogAnchor::MlDsa44(_)] => format!(
            "--key {} --key {}",
            ledger::store::vkey_path(dir).display(),
            ledger::keys::post_quantum_vkey_path(dir).display()
        ),
        _ => format!("--key '{}'", key.vkey()),
    };
    // Commands that work as printed: the installed programs, else the
    // same run from this checkout.
    let (tl, tv) = (program("tenderlog"), program("tenderlog-verify"));
    // The award notice's evidence certificate: the paper form of its evidence.
    let award = STEPS.iter().position(|s| s.1 == "award_notice").and_then(|k| files.get(k));
    let award_index = award.and_then(|p| std::fs::read(p).ok()).and_then(|bytes| {
        let store = ledger::Store::open(dir).ok()?;
        let sha = Hash(Sha256::digest(&bytes).into());
        ledger::storage::Lookups::document_events(&store, &sha).ok()?.last().copied()
    });
    let certificate = award_index.map_or_else(String::new, |i| {
        format!("\n  {tl} certificate --data {d} --index {i} --witness-policy {}   # the award notice's evidence certificate, a PDF (needs fonts-noto-cjk)", policy_path.display())
    });
    println!(
        "\nfiles in {}: the documents, their timestamp tokens, one receipt per submission, and the bundle.\nnext:\n  {tv} {b} {ka} --policy {} --document {}\n  {tv} receipt {} {ka}{certificate}\n  {tl} serve --data {d}        # the API again, on http://127.0.0.1:8080 (this run used {url})\n  {tl} audit --data {d}\n  (run the demo again: the same submissions come back as the same entries)",
        out.display(),
        policy_path.display(),
        files[3].display(),
        out.join("receipt-0.json").display(),
    );
    if tv != "tenderlog-verify" {
        println!("  (to call them by name: cargo install --locked --path tools)");
    }
    Ok(())
}

/// Starts the supervising department's witness (made in
/// `DIR/supervisor-witness` on the first run) and writes the witness policy
/// a verifier uses to `policy_path`: that one witness's ML-DSA-44 key, and
/// its cosignature required.
async fn supervisor_witness(
    dir: &Path,
    log_key: &NoteVerifier,
    policy_path: &Path,
) -> anyhow::Result<(api::witness::RunningWitness, verifier::witness_policy::WitnessPolicy)> {
    let wdir = dir.join("supervisor-witness");
    if !wdir.join(ledger::witness::KEY_FILE).exists() {
        ledger::witness::init(&wdir, "witness.fgw.example.gov.cn")?;
    }
    std::fs::write(
        wdir.join(ledger::witness::LOGS_FILE),
        format!("# the demo's log\nlog {}\n", log_key.vkey()),
    )?;
    let mut config = api::witness::WitnessConfig::new(wdir.clone());
    config.listen = "127.0.0.1:0".parse()?;
    // It serves until the demo's runtime ends.
    let running = api::witness::start_witness(config, std::future::pending()).await?;
    let pq = running
        .witness
        .keys()
        .into_iter()
        .find(|k| k.algorithm() == verifier::cosignature::Algorithm::MlDsa44)
        .context("the witness has no ML-DSA-44 key")?;
    let text = format!(
        "# Who must cosign this log's checkpoints (C2SP tlog-policy).\nlog {}\nwitness supervisor {} http://{}\nquorum supervisor\n",
        log_key.vkey(),
        pq.vkey(),
        running.addr
    );
    std::fs::write(policy_path, &text)?;
    Ok((running, verifier::witness_policy::WitnessPolicy::parse(&text)?))
}

/// How to call `name` from a shell: its name when it is on the PATH, else
/// `cargo run` of it from this checkout (the demo's first run, before the
/// README's install step).
fn program(name: &str) -> String {
    let on_path = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|dir| dir.join(name).is_file()));
    match (on_path, name) {
        (true, _) => name.to_owned(),
        (false, "tenderlog-verify") => {
            "cargo run -q --release -p tenderlog-tools --bin tenderlog-verify --".to_owned()
        }
        (false, _) => "cargo run -q --release -p tenderlog-tools --bin tenderlog --".to_owned(),
    }
}

/// The procedure's steps the agency records after the step with file
/// `name`: the candidates and the decision after the evaluation report, the
/// result notices with the award notice, the refunds and the report after
/// the contract. Their times derive from the kept schedule, so a second run
/// sends the same content.
fn steps_after(
    name: &str,
    deadline: u64,
    links: &std::collections::BTreeMap<&str, serde_json::Value>,
) -> anyhow::Result<Vec<(String, serde_json::Value)>> {
    let unit = |who: &str| -> anyhow::Result<serde_json::Value> {
        let p = &PARTICIPANTS[DemoPki::index(who)?];
        Ok(serde_json::json!({"name": p.unit, "uscc": demo_pki::uscc(p)?}))
    };
    use serde_json::json;
    Ok(match name {
        // The committee, by counts (its names stay sealed until the award):
        // the three experts who sign the report, drawn at random.
        // The clarification goes to everyone who obtained the documents,
        // named by their sealed records (法 23).
        "03-clarification.txt" => {
            let link = |f: &str| links.get(f).cloned().with_context(|| format!("no entry for {f}"));
            let clarification = link("03-clarification.txt")?;
            let to = ["02a-obtained-a.txt", "02b-obtained-b.txt", "02c-obtained-c.txt"]
                .into_iter()
                .map(link)
                .collect::<anyhow::Result<Vec<_>>>()?;
            vec![(
                "澄清送达 clarification delivered to the 3 who obtained the documents".into(),
                json!({"clarification_delivered": {"clarification": clarification, "to": to}}),
            )]
        }
        // The opening, as the seed's platform runs it: begun at the deadline
        // (after the late bid was refused), then once the bids are decrypted.
        LATE => vec![(
            "开标开始 opening started".into(),
            json!({"opening_phase": {"phase": "started"}}),
        )],
        "08-opening-record.txt" => vec![
            (
                "保证金信息提取 deposits extracted".into(),
                json!({"opening_phase": {"phase": "deposits_extracted"}}),
            ),
            ("标书验证 bids verified".into(), json!({"opening_phase": {"phase": "bids_verified"}})),
            (
                "唱标 prices announced".into(),
                json!({"opening_phase": {"phase": "prices_announced"}}),
            ),
            ("开标结束 opening ended".into(), json!({"opening_phase": {"phase": "ended"}})),
            (
                "评标委员会组建 committee formed: 3 experts drawn at random".into(),
                json!({"committee_formed": {
                    "representatives": 0, "experts_drawn": 3, "experts_designated": 0}}),
            ),
        ],
        "09-evaluation-report.txt" => vec![
            (
                "中标候选人公示 candidates published (A, B, C)".into(),
                json!({"candidates_published": {
                    "ranked": [unit("bidder-a")?, unit("bidder-b")?, unit("bidder-c")?],
                    "until_ms": deadline + 4 * 86_400_000}}),
            ),
            (
                "定标 award decided: bidder A".into(),
                json!({"award_decided": {"winner": unit("bidder-a")?, "exception": null}}),
            ),
        ],
        "10-award-notice.txt" => vec![(
            "中标结果通知 result notices to B and C".into(),
            json!({"result_notices_sent": {"recipients": [unit("bidder-b")?, unit("bidder-c")?]}}),
        )],
        "11-contract.txt" => {
            let mut v: Vec<(String, serde_json::Value)> = ["bidder-a", "bidder-b", "bidder-c"]
                .iter()
                .map(|b| {
                    (
                        format!("退还投标保证金 security refunded to {b}"),
                        json!({"security_refunded": {"bidder": b, "amount_fen": 20_000_000u64}}),
                    )
                })
                .collect();
            v.push((
                "履约保证金 performance security: 10% of the contract price".into(),
                json!({"performance_security_posted": {
                    "amount_fen": 115_000_000u64, "contract_price_fen": 1_150_000_000u64}}),
            ));
            v.push((
                "书面报告 report to the supervising department".into(),
                json!({"report_filed": {"department": "某某市发展和改革委员会"}}),
            ));
            v
        }
        _ => Vec::new(),
    })
}

/// The tender's registration: buyer-01 tenders through agency-01.
fn registration() -> anyhow::Result<serde_json::Value> {
    let party = |name: &str| -> anyhow::Result<serde_json::Value> {
        let p = &PARTICIPANTS[DemoPki::index(name)?];
        Ok(serde_json::json!({"name": p.unit, "uscc": demo_pki::uscc(p)?, "principals": [name]}))
    };
    Ok(serde_json::json!({"kind": "registration", "tender": TENDER, "body": {
        "project": "某某市城市道路改造工程施工",
        "tenderer": party("buyer-01")?,
        "agency": party("agency-01")?,
        "method": "open", "prequalification": false, "must_tender": true, "state_capital": true,
        "estimate_fen": 1_200_000_000u64, "max_price_fen": null,
        "bid_security_fen": 20_000_000u64, "bid_validity_days": 90, "supervisors": []}}))
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// What the submitter checks at once, offline, from the receipt alone; the
/// receipt is kept in `out`.
fn check_receipt(
    receipt: &[u8],
    key: &NoteVerifier,
    out: &Path,
) -> anyhow::Result<serde_json::Value> {
    let report = verify_receipt(receipt, key, None).map_err(|e| anyhow::anyhow!(e))?;
    anyhow::ensure!(report.verified, "a receipt does not verify:\n{}", report.to_text());
    let v: serde_json::Value = serde_json::from_slice(receipt)?;
    let index = v["index"].as_u64().unwrap_or_default();
    std::fs::write(out.join(format!("receipt-{index}.json")), receipt)?;
    Ok(v)
}

fn print_receipt(v: &serde_json::Value, who: &str, what: &str) {
    println!(
        "  receipt #{:<5} {}…  {who:<24} {what}{}",
        v["index"].as_u64().unwrap_or_default(),
        v["leaf_hash"].as_str().unwrap_or_default().get(..16).unwrap_or_default(),
        if v["duplicate"] == true { "  (already logged: same entry)" } else { "" }
    );
}
