//! The C2SP tlog-tiles read paths checked by an independent client: the
//! `tlog_tiles` crate (a port of Go's sumdb `tlog`) names the tiles a tree
//! needs, reads hashes out of them, recomputes the checkpoint root from the
//! served tiles and, separately, from the served entries, and checks every
//! entry's inclusion proof. No tile hash is trusted on its own: each served
//! tile is either authenticated against the signed checkpoint by
//! `TileHashReader` or equal byte for byte to the tile rebuilt from the
//! entries, and usually both.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE};
use serde_json::Value;
use tlog_tiles::{
    Checkpoint as TlogCheckpoint, Error as TlogError, HASH_SIZE, Hash as TlogHash, HashReader,
    Tile, TileHashReader, TileReader, check_record, check_tree, prove_record, record_hash,
    stored_hash_index, stored_hashes, tree_hash,
};
use verifier::checkpoint::SignedCheckpoint;
use verifier::note::NoteVerifier;
use verifier::tiles::{TilePath, tile_width_at};

/// Tile height: C2SP tiles are 2^8 = 256 hashes wide.
const H: u8 = 8;
/// 5 full level-0 tiles and a partial one of 57; a partial level-1 tile of 5.
const ENTRIES: u64 = 5 * 256 + 57;
/// Concurrent submitters.
const CLIENTS: u64 = 16;

struct Server {
    base: String,
    _dir: tempfile::TempDir,
    key: NoteVerifier,
    submitter: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), api::ServeError>>>,
    http: reqwest::Client,
}

async fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let key =
        ledger::init(dir.path(), "tiles.tenderlog.example/log", &ledger::SystemClock).unwrap();
    let submitter =
        api::tokens::create(dir.path(), "agency-01", api::tokens::Role::Submitter).unwrap();
    let mut config = api::ServerConfig::new(dir.path().to_owned());
    config.listen = "127.0.0.1:0".parse().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let running = api::start(config, async move {
        let _ = rx.await;
    })
    .await
    .unwrap();
    Server {
        base: format!("http://{}", running.addr),
        _dir: dir,
        key,
        submitter,
        stop: Some(tx),
        task: Some(running.task),
        http: reqwest::Client::new(),
    }
}

/// One HTTP answer, body kept as bytes.
struct Got {
    status: StatusCode,
    content_type: String,
    cache_control: String,
    body: Vec<u8>,
}

impl Server {
    async fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }

    async fn get(&self, path: &str) -> Got {
        let r = self.http.get(format!("{}/{path}", self.base)).send().await.unwrap();
        let header = |name| {
            r.headers()
                .get(name)
                .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        let (content_type, cache_control) = (header(CONTENT_TYPE), header(CACHE_CONTROL));
        let status = r.status();
        Got { status, content_type, cache_control, body: r.bytes().await.unwrap().to_vec() }
    }

    async fn get_ok(&self, path: &str) -> Got {
        let g = self.get(path).await;
        assert_eq!(g.status, StatusCode::OK, "GET /{path}: {}", String::from_utf8_lossy(&g.body));
        g
    }

    async fn get_json(&self, path: &str) -> Value {
        let g = self.get_ok(path).await;
        serde_json::from_slice(&g.body).unwrap()
    }
}

fn doc(i: u64, tender: &str) -> String {
    format!(
        r#"{{"kind":"document","tender":"{tender}","body":{{"document_type":"bid","sha256":"{:064x}","size":{},"media_type":"application/pdf"}}}}"#,
        i + 1,
        100 + i
    )
}

/// Submits `ENTRIES` distinct events from `CLIENTS` concurrent tasks.
async fn fill(s: &Server) {
    let shared = Arc::new((s.base.clone(), s.submitter.clone()));
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let shared = shared.clone();
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for i in (c..ENTRIES).step_by(CLIENTS as usize) {
                let r = http
                    .post(format!("{}/v1/events", shared.0))
                    .bearer_auth(&shared.1)
                    .header("content-type", "application/json")
                    .body(doc(i, &format!("T-{c}")))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// The C2SP URL path of a tlog_tiles tile. tlog_tiles formats Go sumdb paths,
/// `tile/<H>/<L>/<N>[.p/<W>]` with `data` as the level of record tiles; C2SP
/// drops the height (fixed at 8) and names record tiles `entries`. The index
/// encoding (`x001/x234/067`) and the `.p/<W>` suffix are tlog_tiles' own.
fn c2sp_path(t: &Tile) -> String {
    assert_eq!(t.height(), H);
    let go = t.path();
    assert_eq!(Tile::from_path(&go).unwrap(), *t, "tlog_tiles round trip of {go}");
    let rest = go.strip_prefix("tile/8/").unwrap();
    match rest.strip_prefix("data/") {
        Some(index) => format!("tile/entries/{index}"),
        None => format!("tile/{rest}"),
    }
}

/// The entry bundle matching level-0 tile `t`.
fn bundle_of(t: &Tile) -> Tile {
    assert_eq!(t.level(), 0);
    let mut d = *t;
    d.set_is_data();
    d
}

/// An independent, strict entry-bundle parser (tlog_tiles 0.2 has none):
/// big-endian u16 length, then that many bytes, using up the whole body.
fn split_bundle(mut b: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        assert!(b.len() >= 2, "truncated length prefix");
        let len = usize::from(u16::from_be_bytes([b[0], b[1]]));
        assert!(b.len() >= 2 + len, "truncated entry");
        out.push(b[2..2 + len].to_vec());
        b = &b[2 + len..];
    }
    out
}

fn tlog_hash(hex: &str) -> TlogHash {
    TlogHash(verifier::Hash::from_hex(hex).unwrap().0)
}

fn tlog_hashes(v: &Value) -> Vec<TlogHash> {
    v.as_array().unwrap().iter().map(|h| tlog_hash(h.as_str().unwrap())).collect()
}

/// Served tiles, handed to tlog_tiles; remembers which ones it read.
struct Fetched {
    tiles: HashMap<Tile, Vec<u8>>,
    read: RefCell<HashSet<Tile>>,
    saved: RefCell<HashSet<Tile>>,
}

impl TileReader for Fetched {
    fn height(&self) -> u8 {
        H
    }

    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, TlogError> {
        tiles
            .iter()
            .map(|t| {
                self.read.borrow_mut().insert(*t);
                self.tiles.get(t).cloned().ok_or_else(|| {
                    TlogError::InvalidInput(format!("tile {} was not fetched", t.path()))
                })
            })
            .collect()
    }

    fn save_tiles(&self, tiles: &[Tile], _data: &[Vec<u8>]) {
        self.saved.borrow_mut().extend(tiles.iter().copied());
    }
}

/// Reads hashes straight out of the fetched tiles, unauthenticated: what a
/// naive client would do. Used only to recompute a root that is then
/// compared with the signed one.
struct Unverified<'a> {
    size: u64,
    tiles: &'a HashMap<Tile, Vec<u8>>,
}

impl HashReader for Unverified<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<TlogHash>, TlogError> {
        indexes
            .iter()
            .map(|&x| {
                let t = Tile::from_index(H, x).parent(0, self.size).ok_or(TlogError::BadMath)?;
                let data = self.tiles.get(&t).ok_or(TlogError::IndexesNotInTree)?;
                t.hash_at_index(data, x)
            })
            .collect()
    }
}

/// Every stored hash of the tree, computed by tlog_tiles from the entries.
struct FromEntries(Vec<TlogHash>);

impl FromEntries {
    fn build(entries: &[Vec<u8>]) -> Self {
        let mut m = FromEntries(Vec::new());
        for (n, e) in entries.iter().enumerate() {
            let n = n as u64;
            assert_eq!(m.0.len() as u64, stored_hash_index(0, n));
            let new = stored_hashes(n, e, &m).unwrap();
            m.0.extend(new);
        }
        m
    }
}

impl HashReader for FromEntries {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<TlogHash>, TlogError> {
        indexes
            .iter()
            .map(|&x| {
                usize::try_from(x)
                    .ok()
                    .and_then(|x| self.0.get(x).copied())
                    .ok_or(TlogError::IndexesNotInTree)
            })
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tlog_tiles_client_recomputes_and_verifies_everything() {
    let mut s = start().await;
    fill(&s).await;

    // 1. The checkpoint, verified with our key, and parsed again by tlog_tiles.
    let got = s.get_ok("checkpoint").await;
    assert_eq!(got.content_type, "text/plain; charset=utf-8");
    let cp = SignedCheckpoint::verify(&got.body, &s.key).unwrap().checkpoint;
    assert_eq!(cp.size, ENTRIES, "every receipt was checkpointed, so the latest covers all");
    let size = cp.size;
    let root = TlogHash(cp.root.0);
    let note = String::from_utf8(got.body).unwrap();
    let (body, _sigs) = note.split_once("\n\n").unwrap();
    let tc = TlogCheckpoint::from_bytes(format!("{body}\n").as_bytes()).unwrap();
    assert_eq!(tc.origin(), cp.origin);
    assert_eq!(tc.size(), size);
    assert_eq!(*tc.hash(), root);

    // 2. The hash tiles the tree needs, by tlog_tiles' own reckoning: full
    // and partial level-0 tiles and a partial level-1 tile.
    let needed = Tile::new_tiles(H, 0, size);
    let shape: Vec<(u8, u64, u32)> =
        needed.iter().map(|t| (t.level(), t.level_index(), t.width())).collect();
    assert_eq!(
        shape,
        [(0, 0, 256), (0, 1, 256), (0, 2, 256), (0, 3, 256), (0, 4, 256), (0, 5, 57), (1, 0, 5)]
    );
    let mut tiles = HashMap::new();
    for t in &needed {
        let path = c2sp_path(t);
        let got = s.get_ok(&path).await;
        assert_eq!(got.content_type, "application/octet-stream", "{path}");
        assert_eq!(got.body.len(), t.width() as usize * HASH_SIZE, "{path}");
        if t.width() == 256 {
            assert!(got.cache_control.contains("immutable"), "{path}: {}", got.cache_control);
        }
        tiles.insert(*t, got.body);
    }

    // The root recomputed from the served tiles alone equals the signed one.
    let unverified = Unverified { size, tiles: &tiles };
    assert_eq!(tree_hash(size, &unverified).unwrap(), root, "root from tiles");

    // The same through TileHashReader, which authenticates every tile it
    // reads against the checkpoint (and the full level-0 tiles against the
    // level-1 tile above them) before returning any hash.
    let fetched = Fetched { tiles, read: RefCell::default(), saved: RefCell::default() };
    let reader = TileHashReader::new(size, root, &fetched);
    assert_eq!(tree_hash(size, &reader).unwrap(), root);
    let leaf_indexes: Vec<u64> = (0..size).map(|i| stored_hash_index(0, i)).collect();
    let leaf_hashes = reader.read_hashes(&leaf_indexes).unwrap();
    let all: BTreeSet<String> = needed.iter().map(Tile::path).collect();
    let saved: BTreeSet<String> = fetched.saved.borrow().iter().map(Tile::path).collect();
    assert_eq!(saved, all, "every served hash tile was authenticated");

    // A wrong root is caught: the tiles are bound to the checkpoint.
    let mut bad = root;
    bad.0[0] ^= 1;
    let wrong = TileHashReader::new(size, bad, &fetched);
    assert!(matches!(wrong.read_hashes(&leaf_indexes[..1]), Err(TlogError::InconsistentTile)));

    // 3. Entry bundles, full and partial: split, hash as RFC 6962 leaves,
    // compare with the authenticated level-0 tile hashes.
    let mut entries = Vec::new();
    for t in needed.iter().filter(|t| t.level() == 0) {
        let path = c2sp_path(&bundle_of(t));
        let got = s.get_ok(&path).await;
        assert_eq!(got.content_type, "application/octet-stream", "{path}");
        if t.width() == 256 {
            assert!(got.cache_control.contains("immutable"), "{path}: {}", got.cache_control);
        }
        let bundle = split_bundle(&got.body);
        assert_eq!(bundle.len(), t.width() as usize, "{path}");
        entries.extend(bundle);
    }
    assert_eq!(entries.len() as u64, size);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(record_hash(e), leaf_hashes[i], "entry {i}");
        // Our own verifier hashes leaves the same way.
        assert_eq!(record_hash(e).0, verifier::leaf_hash(e).0);
    }

    // The whole tree rebuilt by tlog_tiles from the entries alone: its root
    // is the signed one, and every served tile, full or partial, is exactly
    // the tile it rebuilds.
    let rebuilt = FromEntries::build(&entries);
    assert_eq!(tree_hash(size, &rebuilt).unwrap(), root, "root from entries");
    for t in &needed {
        assert_eq!(
            t.read_data(&rebuilt).unwrap(),
            fetched.tiles[t],
            "{} differs from the tile rebuilt from the entries",
            c2sp_path(t)
        );
    }

    // Inclusion of every entry: the server's proof checked by tlog_tiles
    // against the signed root, and equal to the proof tlog_tiles derives from
    // the authenticated tiles.
    for (i, e) in entries.iter().enumerate() {
        let i = i as u64;
        let v = s.get_json(&format!("v1/proof/inclusion?index={i}&size={size}")).await;
        assert_eq!(tlog_hash(v["root"].as_str().unwrap()), root);
        assert_eq!(tlog_hash(v["leaf_hash"].as_str().unwrap()), record_hash(e));
        let proof = tlog_hashes(&v["proof"]);
        check_record(&proof, size, root, i, record_hash(e)).unwrap();
        assert_eq!(proof, prove_record(size, i, &reader).unwrap(), "proof of {i}");
        // The proof is bound to the entry and its position.
        assert!(check_record(&proof, size, root, i, record_hash(b"not an entry")).is_err());
        if size > 1 {
            let j = (i + 1) % size;
            assert!(check_record(&proof, size, root, j, record_hash(e)).is_err());
        }
    }

    // Past sizes: inclusion and consistency proofs against roots that
    // tlog_tiles computes from the entries (no checkpoint needed).
    for m in [1, 2, 3, 255, 256, 257, 511, 512, 700, 1024, 1025, size - 1] {
        let root_m = tree_hash(m, &rebuilt).unwrap();
        for i in [0, m / 2, m - 1] {
            let v = s.get_json(&format!("v1/proof/inclusion?index={i}&size={m}")).await;
            assert_eq!(tlog_hash(v["root"].as_str().unwrap()), root_m, "root at {m}");
            let proof = tlog_hashes(&v["proof"]);
            check_record(&proof, m, root_m, i, record_hash(&entries[i as usize])).unwrap();
            assert_eq!(proof, prove_record(m, i, &rebuilt).unwrap());
        }
        let v = s.get_json(&format!("v1/proof/consistency?from={m}&to={size}")).await;
        check_tree(&tlog_hashes(&v["proof"]), size, root, m, root_m).unwrap();
    }

    // 4a. A full tile asked for as a partial `.p/W` is its first W hashes;
    // likewise a full bundle's first W entries.
    for (index, w) in [(0u64, 1u32), (0, 17), (2, 128), (4, 255)] {
        let full = Tile::new(H, 0, index, 256, false);
        let part = Tile::new(H, 0, index, w, false);
        let got = s.get_ok(&c2sp_path(&part)).await;
        assert_eq!(got.body, fetched.tiles[&full][..w as usize * HASH_SIZE], "{}", part.path());
        assert_eq!(got.body, part.read_data(&rebuilt).unwrap());
        let got = s.get_ok(&c2sp_path(&bundle_of(&part))).await;
        let first = (index * 256) as usize;
        assert_eq!(split_bundle(&got.body), entries[first..first + w as usize]);
    }
    // The partial level-1 tile's narrower prefixes too.
    for w in 1..5 {
        let part = Tile::new(H, 1, 0, w, false);
        let got = s.get_ok(&c2sp_path(&part)).await;
        assert_eq!(got.body, part.read_data(&rebuilt).unwrap(), "{}", part.path());
    }

    // 4b. Tiles beyond the tree are 404 with code not_found.
    let beyond = [
        Tile::new(H, 0, 5, 256, false),    // the partial tile, asked for full
        Tile::new(H, 0, 5, 58, false),     // one wider than the tree
        Tile::new(H, 0, 6, 1, false),      // past the last tile
        Tile::new(H, 1, 0, 256, false),    // level 1 is partial
        Tile::new(H, 1, 0, 6, false),      // wider than the level-1 tile
        Tile::new(H, 2, 0, 1, false),      // no level-2 node yet
        Tile::new(H, 0, 1234, 256, false), // x001/234
    ];
    let bundles = beyond.iter().filter(|t| t.level() == 0).map(bundle_of);
    for t in beyond.into_iter().chain(bundles.collect::<Vec<_>>()) {
        let path = c2sp_path(&t);
        let got = s.get(&path).await;
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{path}");
        let v: Value = serde_json::from_slice(&got.body).unwrap();
        assert_eq!(v["code"], "not_found", "{path}: {v}");
    }

    // The reads above touched only tiles the tree needs.
    let read: BTreeSet<String> = fetched.read.borrow().iter().map(Tile::path).collect();
    assert!(read.is_subset(&all), "{read:?}");
    s.stop().await;
}

/// Pure cross-check of our path and geometry code against tlog_tiles.
#[test]
fn paths_and_shapes_agree_with_tlog_tiles() {
    for n in [0u64, 1, 5, 999, 1000, 1001, 123_456, 1_234_067, u64::MAX >> 8, u64::MAX] {
        for level in [0u8, 1, 2, 63] {
            for w in [1u32, 57, 255, 256] {
                let t = Tile::new(H, level, n, w, false);
                let width = (w < 256).then(|| u16::try_from(w).unwrap());
                let ours = TilePath::Hashes { level, index: n, width };
                assert_eq!(c2sp_path(&t), format!("tile/{}", ours.to_path()));
                let tail = c2sp_path(&t).strip_prefix("tile/").unwrap().to_owned();
                assert_eq!(TilePath::parse(&tail).unwrap(), ours);
                if level == 0 {
                    let ours = TilePath::Entries { index: n, width };
                    assert_eq!(c2sp_path(&bundle_of(&t)), format!("tile/{}", ours.to_path()));
                }
            }
        }
    }
    assert_eq!(c2sp_path(&Tile::new(H, 4, 1_234_067, 1, false)), "tile/4/x001/x234/067.p/1");

    // Which tiles a tree of size s has: tlog_tiles' new_tiles vs our
    // tile_width_at.
    for size in [1u64, 2, 255, 256, 257, 511, 512, 1337, 65_535, 65_536, 65_537, 70_000, 300_000] {
        let theirs: BTreeSet<(u8, u64, u32)> = Tile::new_tiles(H, 0, size)
            .iter()
            .map(|t| (t.level(), t.level_index(), t.width()))
            .collect();
        let mut ours = BTreeSet::new();
        for level in 0..8u8 {
            for index in 0..=(size >> (8 * u32::from(level))) / 256 + 1 {
                if let Some(w) = tile_width_at(level, index, size) {
                    ours.insert((level, index, u32::from(w)));
                }
            }
        }
        assert_eq!(ours, theirs, "tiles of a tree of size {size}");
    }
    // The spec's example: 70,000 entries.
    let t = Tile::new_tiles(H, 0, 70_000);
    let full0 = t.iter().filter(|t| t.level() == 0 && t.width() == 256).count();
    assert_eq!(full0, 273);
    let partial: Vec<(u8, u32)> =
        t.iter().filter(|t| t.width() < 256).map(|t| (t.level(), t.width())).collect();
    assert_eq!(partial, [(0, 112), (1, 17), (2, 1)]);
    assert!(t.iter().any(|t| t.level() == 1 && t.width() == 256));
}
