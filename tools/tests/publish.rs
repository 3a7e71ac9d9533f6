//! `tenderlog publish`: the log's read path as static C2SP tiles, served by
//! Debian's nginx and read through it by an independent tiles client (the
//! `tlog_tiles` crate, a port of Go's sumdb `tlog`) and by `tenderlog audit
//! --url`. The published files are byte for byte what `tenderlog serve`
//! serves; a second publication of a grown log writes only the new tiles
//! and never touches a full one; `--watch` follows the log; a folder of
//! another log, or a checkpoint going back, is refused.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeSet, HashMap};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{Killed, doc_line, err, init, out, run};
use serde_json::Value;
use tlog_tiles::{
    Error as TlogError, HashReader as _, Tile, TileHashReader, TileReader, record_hash,
    stored_hash_index, tree_hash,
};

const NGINX: &str = "/usr/sbin/nginx";

fn append(d: &str, from: u64, to: u64) {
    let lines: String = (from..to).map(|i| doc_line(i, &format!("T-{}", i % 5)) + "\n").collect();
    let o = run(&["append", "--data", d], &lines);
    assert!(o.status.success(), "append: {}", err(&o));
}

fn publish(d: &str, to: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["publish", "--data", d, "--to", to.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    run(&args, "")
}

fn published(d: &str, to: &Path) -> Value {
    let o = publish(d, to, &[]);
    assert!(o.status.success(), "publish: {}", err(&o));
    serde_json::from_str(out(&o).trim()).unwrap()
}

/// Every file under `dir`, relative, with its inode and modification time.
fn files(dir: &Path) -> HashMap<String, (u64, i64, i64)> {
    let mut found = HashMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let m = std::fs::metadata(&p).unwrap();
            if m.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_str().unwrap().to_owned();
                found.insert(rel, (m.ino(), m.mtime(), m.mtime_nsec()));
            }
        }
    }
    found
}

/// nginx, as a CDN's origin would run it: the folder as its root, on a free
/// loopback port, in the foreground, with its own configuration.
fn nginx(root: &Path, scratch: &Path) -> (Killed, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let conf = scratch.join("nginx.conf");
    let s = scratch.display();
    std::fs::write(
        &conf,
        format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {s}/nginx.pid;\nerror_log {s}/error.log;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {s}/body;\n  proxy_temp_path {s}/proxy;\n\
             fastcgi_temp_path {s}/fastcgi;\n  uwsgi_temp_path {s}/uwsgi;\n  scgi_temp_path {s}/scgi;\n\
             default_type application/octet-stream;\n\
             server {{\n    listen 127.0.0.1:{port};\n    root {};\n    location / {{ try_files $uri =404; }}\n  }}\n}}\n",
            root.display()
        ),
    )
    .unwrap();
    let child = Command::new(NGINX)
        .arg("-c")
        .arg(&conf)
        .arg("-e")
        .arg(scratch.join("error.log"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "nginx never started: {}",
            std::fs::read_to_string(scratch.join("error.log")).unwrap_or_default()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (Killed(child), format!("http://127.0.0.1:{port}"))
}

fn get(url: &str) -> Vec<u8> {
    let r = reqwest::blocking::get(url).unwrap();
    assert!(r.status().is_success(), "GET {url}: {}", r.status());
    r.bytes().unwrap().to_vec()
}

/// The C2SP path of a tlog_tiles tile (Go sumdb paths name the height and
/// call record tiles `data`; C2SP fixes the height at 8 and says `entries`).
fn c2sp(t: &Tile) -> String {
    let go = t.path();
    let rest = go.strip_prefix("tile/8/").unwrap();
    match rest.strip_prefix("data/") {
        Some(index) => format!("tile/entries/{index}"),
        None => format!("tile/{rest}"),
    }
}

/// Tiles fetched through nginx, handed to tlog_tiles.
struct Fetched(HashMap<Tile, Vec<u8>>);

impl TileReader for Fetched {
    fn height(&self) -> u8 {
        8
    }
    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, TlogError> {
        tiles
            .iter()
            .map(|t| self.0.get(t).cloned().ok_or_else(|| TlogError::InvalidInput(t.path())))
            .collect()
    }
    fn save_tiles(&self, _: &[Tile], _: &[Vec<u8>]) {}
}

/// An independent entry-bundle parser: big-endian u16 length, then the entry.
fn split_bundle(mut b: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let len = usize::from(u16::from_be_bytes([b[0], b[1]]));
        out.push(b[2..2 + len].to_vec());
        b = &b[2 + len..];
    }
    out
}

/// Reads the whole log through `base` with tlog_tiles: the checkpoint's
/// root from the tiles (each authenticated against it), and every entry's
/// record hash equal to the leaf hash the tiles hold. Returns the size.
fn read_through(base: &str, key: &verifier::note::NoteVerifier) -> u64 {
    let note = get(&format!("{base}/checkpoint"));
    let cp = verifier::checkpoint::SignedCheckpoint::verify(&note, key).unwrap().checkpoint;
    let (size, root) = (cp.size, tlog_tiles::Hash(cp.root.0));
    let mut tiles = HashMap::new();
    for t in Tile::new_tiles(8, 0, size) {
        tiles.insert(t, get(&format!("{base}/{}", c2sp(&t))));
    }
    let fetched = Fetched(tiles);
    let reader = TileHashReader::new(size, root, &fetched);
    assert_eq!(tree_hash(size, &reader).unwrap(), root, "the root from the published tiles");
    let indexes: Vec<u64> = (0..size).map(|i| stored_hash_index(0, i)).collect();
    let leaf_hashes = reader.read_hashes(&indexes).unwrap();
    let mut entries = Vec::new();
    for t in Tile::new_tiles(8, 0, size).into_iter().filter(|t| t.level() == 0) {
        let mut d = t;
        d.set_is_data();
        let bundle = split_bundle(&get(&format!("{base}/{}", c2sp(&d))));
        assert_eq!(bundle.len(), t.width() as usize, "{}", c2sp(&d));
        entries.extend(bundle);
    }
    assert_eq!(entries.len() as u64, size);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(record_hash(e), leaf_hashes[i], "entry {i}");
    }
    size
}

fn audit(base: &str, data: &Path) -> Value {
    let keys = [data.join("log.vkey"), data.join("log-mldsa44.vkey")];
    let o = run(
        &[
            "audit",
            "--url",
            base,
            "--key",
            keys[0].to_str().unwrap(),
            "--key",
            keys[1].to_str().unwrap(),
            "--json",
        ],
        "",
    );
    assert!(o.status.success(), "audit --url through nginx: {}{}", out(&o), err(&o));
    serde_json::from_str(out(&o).trim()).unwrap()
}

#[test]
fn published_tiles_served_by_nginx_verify_and_are_never_rewritten() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("log");
    let d = data.to_str().unwrap();
    init(&data, "publish.tenderlog.example/log");
    let key = verifier::note::NoteVerifier::parse(
        std::fs::read_to_string(data.join("log.vkey")).unwrap().trim(),
    )
    .unwrap();
    // Two full level-0 tiles and a partial one; a partial level-1 tile.
    append(d, 0, 600);
    let site = t.path().join("site");
    let r = published(d, &site);
    assert_eq!(r["size"], 600);
    assert_eq!(r["written"], 7, "3 level-0 tiles, 1 level-1 tile, 3 entry bundles: {r}");
    assert_eq!(r["checkpoint_replaced"], true);

    // Exactly the C2SP layout, byte for byte what the server serves.
    let first = files(&site);
    let names: BTreeSet<&str> = first.keys().map(String::as_str).collect();
    let want: BTreeSet<&str> = [
        "checkpoint",
        "tile/0/000",
        "tile/0/001",
        "tile/0/002.p/88",
        "tile/1/000.p/2",
        "tile/entries/000",
        "tile/entries/001",
        "tile/entries/002.p/88",
    ]
    .into();
    assert_eq!(names, want);
    {
        let (server, base) = common::serve(d, &[]);
        let _server = Killed(server);
        for name in &names {
            let served = get(&format!("{base}/{name}"));
            assert_eq!(served, std::fs::read(site.join(name)).unwrap(), "{name}");
        }
    }
    // Published again unchanged: nothing written, nothing touched.
    let again = published(d, &site);
    assert_eq!(
        (again["written"].as_u64(), again["checkpoint_replaced"].as_bool()),
        (Some(0), Some(false))
    );
    assert_eq!(files(&site), first);

    if !Path::new(NGINX).exists() {
        return tenderlog_tests::tool_missing(
            "the publish test needs nginx (apt-get install nginx)",
        );
    }
    let scratch = t.path().join("nginx");
    std::fs::create_dir(&scratch).unwrap();
    let (_nginx, base) = nginx(&site, &scratch);
    assert_eq!(read_through(&base, &key), 600);
    let a = audit(&base, &data);
    assert_eq!(
        (a["ok"].as_bool(), a["report"]["entries"].as_u64()),
        (Some(true), Some(600)),
        "{a}"
    );

    // The log grows: only new tiles are written; every full tile stays the
    // same file (same inode and time); the checkpoint is replaced.
    append(d, 600, 1000);
    let r = published(d, &site);
    assert_eq!(r["size"], 1000);
    let now = files(&site);
    for (name, stamp) in &first {
        if !name.contains(".p/") && name != "checkpoint" {
            assert_eq!(now.get(name), Some(stamp), "{name} was rewritten");
        }
    }
    assert!(now.contains_key("tile/0/003.p/232") && now.contains_key("tile/entries/003.p/232"));
    assert_ne!(now["checkpoint"], first["checkpoint"]);
    assert!(!now.keys().any(|n| n.contains(".tmp")), "no temporary file is left");
    assert_eq!(read_through(&base, &key), 1000);
    assert_eq!(audit(&base, &data)["report"]["entries"], 1000);

    // --watch follows the log.
    let mut watcher = Killed(
        common::bin()
            .args([
                "publish",
                "--data",
                d,
                "--to",
                site.to_str().unwrap(),
                "--watch",
                "100",
                "--json",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    append(d, 1000, 1300);
    let started = std::time::Instant::now();
    loop {
        let note = get(&format!("{base}/checkpoint"));
        let cp = verifier::checkpoint::SignedCheckpoint::verify(&note, &key).unwrap().checkpoint;
        if cp.size == 1300 {
            break;
        }
        assert!(started.elapsed().as_secs() < 30, "--watch did not publish size 1300");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(watcher.0.try_wait().unwrap().is_none(), "--watch keeps running");
    drop(watcher);
    assert_eq!(read_through(&base, &key), 1300);
    assert_eq!(audit(&base, &data)["report"]["entries"], 1300);

    // Another log's folder, and a checkpoint going back, are refused.
    let other = t.path().join("other");
    init(&other, "other.tenderlog.example/log");
    let o = publish(other.to_str().unwrap(), &site, &[]);
    assert!(!o.status.success());
    assert!(err(&o).contains("holds the log"), "{}", err(&o));
    let older = t.path().join("older");
    let o = run(&["backup", "--data", d, "--to", older.to_str().unwrap()], "");
    assert!(o.status.success(), "{}", err(&o));
    append(d, 1300, 1301);
    let fresh = t.path().join("fresh");
    assert_eq!(published(d, &fresh)["size"], 1301);
    let o = publish(older.to_str().unwrap(), &fresh, &[]);
    assert!(!o.status.success());
    assert!(err(&o).contains("never goes back"), "{}", err(&o));
    let _: PathBuf = fresh;
}
