//! `tenderlog bench tiles`: the read path as static tiles. A log (1 M
//! entries by default) is published with `tenderlog publish` (timed), the
//! folder served by Debian's nginx, and a client proves inclusion of random
//! entries the way a tlog-tiles client does — fetching the tiles a proof
//! needs over one keep-alive connection, computing the proof from them and
//! verifying it against the checkpoint's root — beside the same proofs from
//! `tenderlog serve`'s `GET /v1/proof/inclusion` over the same log, in the
//! same run. One request (or one proof) at a time: latencies, not rates.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use clap::Args;
use verifier::Hash;
use verifier::merkle::NodeSource;
use verifier::tiles::{TilePath, tile_width_at};

use crate::bench::{build, percentile, scratch};

/// Flags of `tenderlog bench tiles`.
#[derive(Args, Debug)]
pub(crate) struct TilesBench {
    /// Use this store (made by `tenderlog bench build`) instead of building one.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Entries to build when no --data is given.
    #[arg(long, default_value_t = 1_000_000)]
    entries: u64,
    /// Where to build the scratch store and the published folder (a real disk).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Proofs of each kind.
    #[arg(long, default_value_t = 2000)]
    samples: usize,
    /// The nginx binary.
    #[arg(long, default_value = "/usr/sbin/nginx")]
    nginx: PathBuf,
}

/// Tree nodes from fetched C2SP tiles: node `(level, index)` is folded from
/// the `2^(level mod 8)` hashes of tile level `level / 8` under it.
struct TileNodes<'a> {
    tiles: &'a HashMap<(u8, u64), Vec<u8>>,
    /// With no tiles: the tiles asked for, so they can be fetched.
    wanted: Option<&'a mut BTreeSet<(u8, u64)>>,
}

impl NodeSource for TileNodes<'_> {
    type Error = anyhow::Error;
    fn node(&mut self, level: u32, index: u64) -> anyhow::Result<Hash> {
        let (tl, r) = ((level / 8) as u8, level % 8);
        let first = index << r;
        let key = (tl, first / 256);
        if let Some(w) = &mut self.wanted {
            w.insert(key);
            return Ok(Hash([0; 32]));
        }
        let bytes =
            self.tiles.get(&key).ok_or_else(|| anyhow::anyhow!("tile {key:?} not fetched"))?;
        let slot = (first % 256) as usize;
        let mut layer: Vec<Hash> = bytes
            .get(slot * 32..(slot + (1 << r)) * 32)
            .ok_or_else(|| anyhow::anyhow!("tile {key:?} too short for node {level}/{index}"))?
            .chunks(32)
            .map(|c| Hash::from_slice(c).map_err(anyhow::Error::from))
            .collect::<anyhow::Result<_>>()?;
        while layer.len() > 1 {
            layer = layer.chunks(2).map(|p| verifier::node_hash(&p[0], &p[1])).collect();
        }
        Ok(layer[0])
    }
}

/// nginx serving `root` on a free loopback port, in the foreground.
fn nginx(bin: &Path, root: &Path, scratch: &Path) -> anyhow::Result<(std::process::Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let s = scratch.display();
    let conf = scratch.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {s}/nginx.pid;\nerror_log {s}/error.log;\n\
             events {{ worker_connections 256; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {s}/body;\n\
             proxy_temp_path {s}/proxy;\n  fastcgi_temp_path {s}/fastcgi;\n  uwsgi_temp_path {s}/uwsgi;\n\
             scgi_temp_path {s}/scgi;\n  default_type application/octet-stream;\n  keepalive_requests 1000000;\n\
             server {{\n    listen 127.0.0.1:{port};\n    root {};\n  }}\n}}\n",
            root.display()
        ),
    )?;
    let child = Command::new(bin)
        .arg("-c")
        .arg(&conf)
        .arg("-e")
        .arg(scratch.join("error.log"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            anyhow::anyhow!("couldn't start {}: {e} (apt-get install nginx)", bin.display())
        })?;
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        anyhow::ensure!(started.elapsed().as_secs() < 20, "nginx never started");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Ok((child, format!("http://127.0.0.1:{port}")))
}

fn report(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    println!(
        "  {name:<58} median {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        percentile(&ms, 0.5),
        percentile(&ms, 0.99),
        ms[ms.len() - 1]
    );
}

/// The inclusion proof of entry `index` in the tree of `size` from the
/// server at `base` (`GET /v1/proof/inclusion`).
pub(crate) async fn proof_over_http(
    http: &reqwest::Client,
    base: &str,
    index: u64,
    size: u64,
) -> anyhow::Result<Vec<Hash>> {
    let r = http.get(format!("{base}/v1/proof/inclusion?index={index}&size={size}")).send().await?;
    anyhow::ensure!(r.status().is_success(), "proof of {index}: {}", r.status());
    let v: serde_json::Value = r.json().await?;
    v["proof"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("no proof in {v}"))?
        .iter()
        .map(|h| Hash::from_hex(h.as_str().unwrap_or_default()).map_err(anyhow::Error::from))
        .collect()
}

pub(crate) fn run(args: TilesBench) -> anyhow::Result<()> {
    let tmp = scratch(&args.dir)?;
    let data = match &args.data {
        Some(d) => d.clone(),
        None => {
            eprintln!("building a log of {} entries...", args.entries);
            let log = tmp.path().join("log");
            std::fs::create_dir(&log)?;
            build(&log, args.entries, 4096)?;
            log
        }
    };
    let store = ledger::Store::open(&data)?;
    let latest = store.latest_checkpoint()?;
    let (size, root) = (latest.checkpoint.size, latest.checkpoint.root);

    // Publishing, timed (fsync on: every file and directory is synced).
    let site = tmp.path().join("site");
    let t = Instant::now();
    let published = ledger::publish::Publisher::new(&site)?.publish(
        &store,
        &latest.note,
        size,
        &mut |_, _| {},
    )?;
    println!(
        "tenderlog publish of {size} entries: {} files, {:.1} MB in {:.2} s",
        published.written,
        published.bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let more = tmp.path().join("nginx");
    std::fs::create_dir_all(&more)?;
    let (mut server, site_url) = nginx(&args.nginx, &site, &more)?;

    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move |n: u64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (((seed >> 11) as u128 * n as u128) >> 53) as u64
    };
    let picks: Vec<(u64, Hash)> = (0..args.samples)
        .map(|_| {
            let i = next(size);
            Ok((i, store.leaf_hash(i)?))
        })
        .collect::<anyhow::Result<_>>()?;
    drop(store);
    println!("inclusion proofs at size {size}, {} of each kind, one at a time", args.samples);

    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let result = rt.block_on(async {
        let http = reqwest::Client::new();
        // From static tiles through nginx: fetch, compute, verify.
        let mut ms = Vec::with_capacity(picks.len());
        let mut fetched_tiles = 0usize;
        for (i, lh) in &picks {
            let t = Instant::now();
            let mut wanted = BTreeSet::new();
            let none = HashMap::new();
            verifier::merkle::inclusion_proof(
                &mut TileNodes { tiles: &none, wanted: Some(&mut wanted) },
                *i,
                size,
            )?;
            let mut tiles = HashMap::new();
            for (level, index) in wanted {
                let w = tile_width_at(level, index, size)
                    .ok_or_else(|| anyhow::anyhow!("no tile {level}/{index} at {size}"))?;
                let path = TilePath::Hashes { level, index, width: (w < 256).then_some(w) };
                let r = http.get(format!("{site_url}/tile/{}", path.to_path())).send().await?;
                anyhow::ensure!(r.status().is_success(), "{}: {}", path.to_path(), r.status());
                tiles.insert((level, index), r.bytes().await?.to_vec());
            }
            fetched_tiles += tiles.len();
            let proof = verifier::merkle::inclusion_proof(
                &mut TileNodes { tiles: &tiles, wanted: None },
                *i,
                size,
            )?;
            verifier::merkle::verify_inclusion(*i, size, lh, &proof, &root)?;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        report("static tiles via nginx: fetch tiles, prove, verify", ms);
        println!("    ({:.1} tiles fetched per proof)", fetched_tiles as f64 / picks.len() as f64);

        // The same from the server (SQLite), in this process.
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let mut config = api::ServerConfig::new(data.clone());
        config.listen = "127.0.0.1:0".parse()?;
        let running = api::start(config, async move {
            let _ = stopped.await;
        })
        .await?;
        let base = format!("http://{}", running.addr);
        let mut ms = Vec::with_capacity(picks.len());
        for (i, lh) in &picks {
            let t = Instant::now();
            let proof = proof_over_http(&http, &base, *i, size).await?;
            verifier::merkle::verify_inclusion(*i, size, lh, &proof, &root)?;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        report("tenderlog serve (SQLite): GET /v1/proof/inclusion, verify", ms);
        let _ = stop.send(());
        running.task.await??;
        anyhow::Ok(())
    });
    let _ = server.kill();
    let _ = server.wait();
    result
}
