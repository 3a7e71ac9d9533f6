//! `tenderlog bench rules`: the compliance report of one large tender from a
//! store, and judging every tender of a large log, decoded from its leaves.

use std::path::PathBuf;
use std::time::Instant;

use ledger::{ManualClock, Store};
use verifier::Hash;
use verifier::event::{Body, Content, Document, DocumentType, Event, EventLink, Request, Schedule};
use verifier::registration::{Method, Party, Registration};
use verifier::rules::{Context, Reading, Step, judge};

use crate::bench::{median, scratch};

/// 2026-03-02 10:00 +08:00.
const START_MS: u64 = 1_772_416_800_000;

fn registration() -> Body {
    let party = |name: &str, uscc: &str, p: &str| Party {
        name: name.into(),
        uscc: verifier::ids::Uscc::parse(uscc).unwrap_or_else(|_| unreachable!("a valid USCC")),
        principals: vec![p.into()],
    };
    Body::Registration(Registration {
        project: "bench project".into(),
        tenderer: party("tenderer", "91350100M000100Y43", "owner"),
        agency: Some(party("agency", "91110000600037341L", "agency")),
        method: Method::Open,
        prequalification: false,
        must_tender: true,
        state_capital: true,
        estimate_fen: Some(500_000_000),
        max_price_fen: None,
        bid_security_fen: Some(8_000_000),
        bid_validity_days: Some(90),
        supervisors: Vec::new(),
    })
}

/// Event `k` of a tender: its registration, its schedule, then mostly bids
/// by many bidders, with the owner's documents among them.
fn tender_event(tender: &str, k: u64) -> Content {
    let deadline = START_MS + 30 * 86_400_000;
    let (principal, body) = match k {
        0 => ("agency".to_owned(), registration()),
        1 => ("agency".to_owned(), Body::Schedule(Schedule::new(deadline, deadline))),
        _ => {
            let (who, kind) = match k % 10 {
                0 => ("agency".to_owned(), DocumentType::TenderDocumentsClarification),
                5 => ("agency".to_owned(), DocumentType::TenderNotice),
                _ => (format!("bidder-{}", k % 997), DocumentType::Bid),
            };
            let digest: [u8; 32] =
                <sha2::Sha256 as sha2::Digest>::digest(format!("{tender}/{k}")).into();
            (
                who,
                Body::Document(Document::new(kind, Hash(digest), 1_000_000 + k, "application/pdf")),
            )
        }
    };
    Content { tender: tender.to_owned(), principal, body }
}

/// How a bench event is filed: a bid sealed, as a registered tender takes
/// it (电子招标投标办法 art. 26), anything else as it is.
fn filed(c: Content) -> Request {
    match c.body {
        Body::Document(d) if d.document_type == DocumentType::Bid => {
            Request::Seal(verifier::event::SealRequest {
                tender: c.tender,
                principal: c.principal,
                document: d,
            })
        }
        body => Request::Log(Content { body, ..c }),
    }
}

/// What the log holds for a bench event: a bid as its sealed commitment.
fn logged(c: Content) -> anyhow::Result<Content> {
    Ok(match c.body {
        Body::Document(d) if d.document_type == DocumentType::Bid => Content {
            body: Body::SealedDocument(verifier::event::SealedDocument {
                document_type: DocumentType::Bid,
                commitment: verifier::event::commitment(&[7; 32], &c.tender, &c.principal, &d)?,
            }),
            principal: verifier::event::SEALED_PRINCIPAL.into(),
            tender: c.tender,
        },
        body => Content { body, ..c },
    })
}

/// Runs the benchmark.
pub(crate) fn run(
    events: u64,
    log_events: u64,
    tenders: u64,
    runs: usize,
    dir: &Option<PathBuf>,
) -> anyhow::Result<()> {
    let calendar = verifier::calendar::Calendar::shipped();
    let pack = verifier::policy::RulePack::default_pack();
    let ctx =
        Context { calendar: &calendar, reading: Reading::default(), pack: &pack, certs: None };

    // 1. One tender of `events` events in a store (fsync on).
    let t = scratch(dir)?;
    ledger::init(t.path(), "bench.tenderlog.example/log", &ManualClock::new(1))?;
    {
        let clock = std::sync::Arc::new(ManualClock::new(START_MS));
        let config = ledger::AppenderConfig {
            max_batch: 1000,
            stamp_checkpoints: false,
            clock: clock.clone(),
            ..ledger::AppenderConfig::default()
        };
        let l = ledger::Appender::open(t.path(), config)?;
        let mut k = 0;
        while k < events {
            let n = (events - k).min(1000);
            clock.set(START_MS + k * 1000);
            let requests: Vec<Request> =
                (k..k + n).map(|i| filed(tender_event("BENCH-TENDER", i))).collect();
            for r in l.append(requests)? {
                r?;
            }
            k += n;
        }
    }
    let store = Store::open(t.path())?;
    let mut report_ms = Vec::new();
    let mut judge_ms = Vec::new();
    let mut failures = 0;
    for _ in 0..runs {
        let s = Instant::now();
        let (_, c) = store
            .compliance("BENCH-TENDER", Reading::default())?
            .ok_or_else(|| anyhow::anyhow!("the bench tender has no events"))?;
        report_ms.push(s.elapsed().as_secs_f64() * 1e3);
        failures = c.failures().count();
    }
    // The judging alone, over the decoded chain.
    let mut chain = Vec::new();
    for i in 0..store.tree_size()? {
        chain.push((i, Event::decode(&store.leaf(i)?)?));
    }
    for _ in 0..runs {
        let s = Instant::now();
        let steps: Vec<Step<'_>> = chain.iter().map(|(i, e)| Step::of(*i, e)).collect();
        let c = judge("BENCH-TENDER", &steps, &ctx);
        judge_ms.push(s.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(c);
    }
    println!(
        "compliance report of a {events}-event tender: median {:.1} ms from the store ({:.1} ms judging alone); {failures} rule(s) broken",
        median(&mut report_ms),
        median(&mut judge_ms)
    );
    drop(store);

    // 2. Every tender of a `log_events`-event log, from its leaves in memory.
    let per = log_events / tenders;
    let mut leaves: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
    let mut index = 0u64;
    for t in 0..tenders {
        let tender = format!("ZB2026-{t:05}");
        let mut list = Vec::with_capacity(per as usize);
        for k in 0..per {
            let c = logged(tender_event(&tender, k))?;
            let e = Event {
                v: verifier::event::EVENT_VERSION,
                tender: c.tender,
                seq: k,
                prev_tender: (k > 0).then_some(EventLink {
                    index: index.saturating_sub(1),
                    leaf_hash: Hash([1; 32]),
                }),
                prev_leaf: Some(Hash([2; 32])),
                received_ms: START_MS + k * 1000,
                principal: c.principal,
                body: c.body,
                policy: None,
            };
            list.push(e.encode()?);
            index += 1;
        }
        leaves.push((tender, list));
    }
    let total = per * tenders;
    let mut rates = Vec::new();
    for _ in 0..runs {
        let s = Instant::now();
        let mut broken = 0;
        for (tender, list) in &leaves {
            let events: Vec<Event> =
                list.iter().map(|l| Event::decode(l)).collect::<Result<_, _>>()?;
            let steps: Vec<Step<'_>> = (0u64..).zip(&events).map(|(i, e)| Step::of(i, e)).collect();
            broken += judge(tender, &steps, &ctx).failures().count();
        }
        rates.push(total as f64 / s.elapsed().as_secs_f64());
        std::hint::black_box(broken);
    }
    println!(
        "judging every tender of a {total}-event log ({tenders} tenders, decoded from their leaves): median {:.0} events/s",
        median(&mut rates)
    );
    Ok(())
}
