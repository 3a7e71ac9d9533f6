//! `tenderlog bench seal` and `tenderlog bench tsa`: e-seal verification per
//! core, and the cost of trusted time per checkpoint batch.

use std::path::PathBuf;
use std::time::Instant;

use ledger::SystemClock;
use verifier::seal::SealSignature;

use crate::seal_maker::{SealSpec, apply_seal, issue_sm2, make_seal};

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Verifies one GB/T 38540 v4 seal (SM2 signer and maker) `iterations`
/// times per run on one thread: the parse, the data hash, both SM2
/// signatures, the certificate list and the validity windows.
pub(crate) fn seal(iterations: usize, runs: usize) -> anyhow::Result<()> {
    let now = now_ms();
    let ca = ledger::issue::Issued::root("CN=bench CA", now - 3_600_000, now + 86_400_000)?;
    let holder = |subject: &str, serial: u64| {
        issue_sm2(&ca, subject, serial, now - 3_600_000, now + 86_400_000).map(|(_, h)| h)
    };
    let maker = holder("CN=bench seal maker", 1)?;
    let signer = holder("CN=bench signer", 2)?;
    let seal = make_seal(
        &SealSpec {
            vid: "BENCH",
            es_id: "1",
            seal_type: 1,
            name: "bench seal",
            cert_list: vec![signer.cert.clone()],
            create_ms: now - 60_000,
            valid_end_ms: now + 86_400_000,
        },
        &maker,
    )?;
    let sm3 = [9u8; 32];
    let ses = apply_seal(&seal, &signer, &sm3, now, "bench")?;
    let check = || -> anyhow::Result<()> {
        let s = SealSignature::parse(&ses)?;
        let bad: Vec<_> = s
            .verify_digest(Some(&sm3), now)
            .into_iter()
            .filter_map(|c| c.outcome.err().map(|e| format!("{}: {e}", c.check)))
            .collect();
        anyhow::ensure!(bad.is_empty(), "the bench seal does not verify: {bad:?}");
        Ok(())
    };
    check()?;
    let mut rates = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        for _ in 0..iterations {
            check()?;
        }
        rates.push(iterations as f64 / t.elapsed().as_secs_f64());
    }
    println!(
        "seal verification (GB/T 38540 v4, SM2 signer + maker, {} byte SES_Signature), one thread: median {:.0} seals/s over {runs} runs of {iterations}",
        ses.len(),
        median(&mut rates)
    );
    Ok(())
}

/// Appends `events` schedule events in batches of each size, with fsync,
/// and after each batch runs one stamping round (one token per checkpoint):
/// the TSA round trip per token, and what it costs per event.
pub(crate) fn tsa(
    events: u64,
    batches: &[usize],
    urls: &[String],
    dir: &Option<PathBuf>,
) -> anyhow::Result<()> {
    for &batch in batches {
        let t = crate::bench::scratch(dir)?;
        let data = t.path();
        ledger::init(data, "bench.tenderlog.example/log", &SystemClock)?;
        let stamper =
            ledger::stamper::Stamper::open(data, urls)?.ok_or_else(|| anyhow::anyhow!("no TSA"))?;
        let stamps = ledger::stamper::Stamps::open(data)?;
        let l = crate::bench::appender(data, batch)?;
        let (mut stamp_s, mut tokens, mut round_trips) = (0.0, 0usize, Vec::new());
        let start = Instant::now();
        let mut i = 0;
        while i < events {
            let n = (batch as u64).min(events - i);
            let contents = (i..i + n)
                .map(|k| {
                    // Deadlines far ahead: a schedule is fixed once its
                    // deadline has passed.
                    let at = 4_000_000_000_000 + k;
                    let line = format!(
                        r#"{{"kind":"schedule","tender":"T-{}","body":{{"bid_deadline_ms":{at},"opening_ms":{at}}}}}"#,
                        k % 1000
                    );
                    verifier::event::Submission::from_json(line.as_bytes())?
                        .into_content(Some("bench"))
                        .map_err(anyhow::Error::from)
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            crate::bench::append_all(&l, contents)?;
            i += n;
            let t0 = Instant::now();
            let store = ledger::Store::open(data)?;
            let k = ledger::stamper::stamp_checkpoints(&store, &stamper, &stamps, now_ms)?;
            let dt = t0.elapsed().as_secs_f64();
            stamp_s += dt;
            tokens += k;
            if k > 0 {
                round_trips.push(dt * 1000.0 / k as f64);
            }
        }
        let total = start.elapsed().as_secs_f64();
        println!(
            "batch {batch:>5}: {events} events, {tokens} checkpoint tokens from {}; median {:.3} ms per token; {:.2} µs of TSA time per event; {:.0} events/s with stamping",
            stamper.label(),
            median(&mut round_trips),
            stamp_s * 1e6 / events as f64,
            events as f64 / total
        );
    }
    Ok(())
}
