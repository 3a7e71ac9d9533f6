//! `tenderlog audit --url`: the audit of a log from its public tiles alone.
//!
//! A log is served by `tenderlog serve`; its checkpoint, entry bundles and
//! hash tiles are copied to a directory and served again by an independent
//! static server (Python's `http.server`), as a CDN would. The audit over
//! the copy passes with the root the data directory's audit finds; every
//! sampled single-bit change to any served file, a missing file, and a
//! wrong key are each refused.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{doc_line, err, init, out, run};
use verifier::tiles::{TilePath, tile_width_at};

use common::Killed;

fn serve(data: &str) -> (Killed, String) {
    let (child, url) = common::serve(data, &[]);
    (Killed(child), url)
}

/// Every file of the tlog-tiles layout for a tree of `size` leaves.
fn tile_paths(size: u64) -> Vec<TilePath> {
    let mut paths = Vec::new();
    let part = |w: u16| (w < 256).then_some(w);
    for index in 0.. {
        let Some(w) = tile_width_at(0, index, size) else { break };
        paths.push(TilePath::Entries { index, width: part(w) });
    }
    for level in 0..8u8 {
        for index in 0.. {
            let Some(w) = tile_width_at(level, index, size) else { break };
            paths.push(TilePath::Hashes { level, index, width: part(w) });
        }
    }
    paths
}

/// Copies the served checkpoint and tiles into `dir`; returns the files.
fn mirror(url: &str, size: u64, dir: &Path) -> Vec<PathBuf> {
    let client = reqwest::blocking::Client::new();
    let mut files = Vec::new();
    let mut get = |path: String| {
        let body = client.get(format!("{url}/{path}")).send().unwrap();
        assert!(body.status().is_success(), "{path}: {}", body.status());
        let file = dir.join(&path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, body.bytes().unwrap()).unwrap();
        files.push(file);
    };
    get("checkpoint".into());
    for p in tile_paths(size) {
        get(format!("tile/{}", p.to_path()));
    }
    files
}

fn static_server(dir: &Path) -> (Killed, String) {
    let (child, url) = common::static_server(dir);
    (Killed(child), url)
}

/// Audits the tiles at `url` against `key` (the log's vkey text, or its
/// data directory: then against both of its keys, from their files).
fn audit_url(url: &str, key: &str, extra: &[&str]) -> Output {
    let files;
    let mut args = vec!["audit", "--url", url, "--json"];
    if Path::new(key).is_dir() {
        files = [Path::new(key).join("log.vkey"), Path::new(key).join("log-mldsa44.vkey")];
        for f in &files {
            args.extend(["--key", f.to_str().unwrap()]);
        }
    } else {
        args.extend(["--key", key]);
    }
    args.extend_from_slice(extra);
    run(&args, "")
}

fn root_of(o: &Output) -> String {
    let v: serde_json::Value = serde_json::from_str(&out(o)).unwrap();
    v["report"]["root"].as_str().unwrap().to_owned()
}

#[test]
fn a_log_is_audited_from_its_static_tiles_and_every_change_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("log");
    let key = init(&data, "audit.example/log");
    let data = data.to_str().unwrap();
    // 700 entries in three batches: full and partial level-0 tiles and
    // bundles, and a partial level-1 tile (two level-8 nodes).
    let size = 700u64;
    for part in [0..250u64, 250..600, 600..size] {
        let lines: String = part.map(|i| doc_line(i, &format!("T-{}", i % 9)) + "\n").collect();
        let o = run(&["append", "--data", data], &lines);
        assert!(o.status.success(), "append failed: {}", err(&o));
    }
    let local = run(&["audit", "--data", data, "--json"], "");
    assert!(local.status.success(), "{}", err(&local));

    let copy = tmp.path().join("tiles");
    let files = {
        let (_server, url) = serve(data);
        let o = audit_url(&url, &key, &[]);
        assert!(o.status.success(), "audit of the server failed: {}", err(&o));
        assert_eq!(root_of(&o), root_of(&local));
        mirror(&url, size, &copy)
    };
    assert!(files.iter().any(|f| f.ends_with("tile/1/000.p/2")), "no level-1 tile: {files:?}");

    let (_static, url) = static_server(&copy);
    for extra in [&[][..], &["--integrity"][..]] {
        let o = audit_url(&url, &key, extra);
        assert!(o.status.success(), "audit of the static copy failed: {}", err(&o));
        assert_eq!(root_of(&o), root_of(&local));
        let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
        assert_eq!(v["report"]["entries"], size);
    }

    // A key of another log: refused before anything else is read.
    let other = init(&tmp.path().join("other"), "audit.example/log");
    let o = audit_url(&url, &other, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("checkpoint signature"), "{}", err(&o));

    // Both of the log's keys (so its ML-DSA-44 line counts too); the
    // ML-DSA-44 key alone is no anchor.
    let o = audit_url(&url, data, &[]);
    assert!(o.status.success(), "audit with both keys failed: {}", err(&o));
    let pq = std::fs::read_to_string(Path::new(data).join("log-mldsa44.vkey")).unwrap();
    let o = audit_url(&url, pq.trim(), &[]);
    assert!(!o.status.success());
    assert!(err(&o).contains("pin that key too"), "{}", err(&o));

    // Every sampled single-bit change of every file is refused.
    let mut tried = 0;
    for file in &files {
        let genuine = std::fs::read(file).unwrap();
        let bits = genuine.len() * 8;
        let samples = bits.min(24);
        for s in 0..samples {
            let bit = s * bits / samples + s % 8;
            let bit = bit.min(bits - 1);
            let mut bytes = genuine.clone();
            bytes[bit / 8] ^= 1 << (bit % 8);
            std::fs::write(file, &bytes).unwrap();
            let o = audit_url(&url, data, &["--integrity"]);
            assert!(
                !o.status.success(),
                "bit {bit} of {} flipped, and the audit passed: {}",
                file.display(),
                out(&o)
            );
            tried += 1;
        }
        // And the file gone.
        std::fs::remove_file(file).unwrap();
        let o = audit_url(&url, data, &["--integrity"]);
        assert!(!o.status.success(), "{} missing, and the audit passed", file.display());
        std::fs::write(file, &genuine).unwrap();
    }
    assert!(tried > 100, "only {tried} mutations");
    let o = audit_url(&url, data, &[]);
    assert!(o.status.success(), "the restored copy fails: {}", err(&o));
}

/// The two readers of the storage seam agree: the store's
/// (`SqliteSource`) and the public tiles' (`TileSource`) give the same
/// head, leaves and published tile rows for one log.
#[test]
fn the_store_and_its_tiles_read_the_same() {
    use ledger::storage::{LogReader as _, LogSource as _};

    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("log");
    let key = init(&data, "readers.example/log");
    let size = 600u64;
    let lines: String = (0..size).map(|i| doc_line(i, &format!("T-{}", i % 5)) + "\n").collect();
    let o = run(&["append", "--data", data.to_str().unwrap()], &lines);
    assert!(o.status.success(), "append failed: {}", err(&o));
    let (_server, url) = serve(data.to_str().unwrap());
    let key = [verifier::log_keys::LogAnchor::parse(&key).unwrap()];

    let mut store = ledger::sqlite::audit::SqliteSource::new(&data).reader().unwrap();
    let (tiles, _) = ledger::remote::TileSource::open(&url, &key).unwrap();
    let mut remote = tiles.reader().unwrap();
    assert_eq!(store.latest().unwrap(), remote.latest().unwrap());
    let read = |r: &mut dyn ledger::storage::LogReader, from, to| {
        let mut got = Vec::new();
        r.leaves(from, to, &mut |i, leaf| {
            got.push((i, leaf.to_vec()));
            Ok(())
        })
        .unwrap();
        got
    };
    for (from, to) in [(0, size), (0, 1), (255, 257), (599, 600), (300, 1000)] {
        let want = read(&mut store, from, to);
        assert_eq!(want.len() as u64, to.min(size) - from, "{from}..{to}");
        assert_eq!(read(&mut remote, from, to), want, "leaves {from}..{to}");
    }
    for (level, tile) in [(0, 0), (0, 1), (0, 2), (8, 0)] {
        assert!(store.keeps_level(level) && remote.keeps_level(level));
        let want = store.tile(level, tile).unwrap().unwrap();
        assert_eq!(remote.tile(level, tile).unwrap().unwrap(), want, "tile {level}/{tile}");
    }
    assert_eq!(remote.tile(0, 3).unwrap(), None, "a tile beyond the tree");
    assert!(!remote.keeps_level(1), "tlog-tiles publish every eighth level only");
}
