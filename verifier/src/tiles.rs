//! C2SP `tlog-tiles`: tile and entry bundle paths, entry bundles, and which
//! tiles a tree of a given size has. Pure functions; no I/O.
//!
//! A tile at level `L` with index `N` holds the hashes of the complete
//! subtrees of `256^L` leaves (Merkle level `8L`, as [`crate::merkle`] counts
//! levels) numbered `256N` to `256N + 255`. Full tiles hold all 256; the
//! rightmost tile of a level is partial (1 to 255 hashes) unless the level's
//! node count is a multiple of 256. Entry bundle `N` holds the entries whose
//! leaf hashes make up level 0 tile `N`, and has the same width.
//!
//! Paths are written and read relative to `<prefix>/tile/`:
//! `<L>/<N>[.p/<W>]` for hash tiles and `entries/<N>[.p/<W>]` for entry
//! bundles, where `<N>` is split into 3-digit groups (`x001/x234/067`). The
//! parsers accept exactly what the writers produce, so each tile has one path.

/// Merkle levels covered by one tile: a tile is a subtree of height 8.
pub const TILE_HEIGHT: u32 = 8;

/// Hashes in a full tile, and entries in a full entry bundle.
pub const TILE_WIDTH: u64 = 256;

/// The highest tile level a path may name.
pub const MAX_LEVEL: u8 = 63;

/// Largest entry an entry bundle can hold: its length prefix is a uint16.
pub const MAX_ENTRY_BYTES: usize = 65_535;

/// Why a tile path or an entry bundle could not be read or written.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TileError {
    /// A tile index is not in the canonical `x001/x234/067` form.
    #[error("couldn't parse tile index: {0}")]
    Index(&'static str),
    /// A tile path is malformed.
    #[error("couldn't parse tile path: {0}")]
    Path(&'static str),
    /// An entry does not fit a uint16 length prefix.
    #[error("couldn't encode entry bundle: entry {index} is {len} bytes; the limit is 65535")]
    EntryTooLarge {
        /// Position of the entry in the bundle.
        index: usize,
        /// Its length.
        len: usize,
    },
    /// A bundle to encode has no entries or more than [`TILE_WIDTH`].
    #[error("couldn't encode entry bundle: {count} entries; a bundle holds 1 to 256")]
    BundleCount {
        /// The number of entries given.
        count: usize,
    },
    /// Entry bundle bytes are malformed.
    #[error("couldn't parse entry bundle: {0}")]
    Bundle(&'static str),
}

/// Encodes a tile index as 3-digit path elements, most significant first, each
/// but the last prefixed with `x`: `1234067` is `x001/x234/067`, `5` is `005`.
/// Uses as few elements as the number needs, like the Go reference.
pub fn encode_index(n: u64) -> String {
    // u64::MAX has 20 decimal digits: at most 7 groups of 3.
    let mut groups = [0u64; 7];
    let mut count = 0;
    let mut rest = n;
    loop {
        groups[count] = rest % 1000;
        count += 1;
        rest /= 1000;
        if rest == 0 {
            break;
        }
    }
    let mut s = String::with_capacity(count * 5);
    for (i, g) in groups[..count].iter().rev().enumerate() {
        if i + 1 < count {
            s.push_str(&format!("x{g:03}/"));
        } else {
            s.push_str(&format!("{g:03}"));
        }
    }
    s
}

/// Parses a tile index written by [`encode_index`], and nothing else: every
/// element exactly three ASCII digits, all but the last prefixed with `x`, no
/// leading `x000` element (it would give a second spelling of the same
/// number), no empty elements (so no leading, trailing or doubled slashes),
/// and a value that fits in 64 bits.
pub fn decode_index(s: &str) -> Result<u64, TileError> {
    let mut n: u64 = 0;
    let mut parts = s.split('/').peekable();
    let mut first = true;
    while let Some(part) = parts.next() {
        let last = parts.peek().is_none();
        let digits = if last {
            part
        } else {
            part.strip_prefix('x')
                .ok_or(TileError::Index("an element before the last does not start with x"))?
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TileError::Index("an element is not exactly three digits"));
        }
        let value = digits.bytes().fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0'));
        if first && !last && value == 0 {
            return Err(TileError::Index("leading zero element"));
        }
        n = n
            .checked_mul(1000)
            .and_then(|n| n.checked_add(value))
            .ok_or(TileError::Index("index does not fit 64 bits"))?;
        first = false;
    }
    Ok(n)
}

/// A tile or entry bundle, as named by its path under `<prefix>/tile/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TilePath {
    /// A Merkle tree tile: `<level>/<index>[.p/<width>]`.
    Hashes {
        /// Tile level, 0 to [`MAX_LEVEL`]; level `L` holds Merkle level `8L`.
        level: u8,
        /// Tile index within the level.
        index: u64,
        /// `Some(W)` for a partial tile of `W` hashes (1 to 255); `None` for
        /// a full tile of 256.
        width: Option<u16>,
    },
    /// An entry bundle: `entries/<index>[.p/<width>]`.
    Entries {
        /// Bundle index (the index of the matching level 0 tile).
        index: u64,
        /// `Some(W)` for a partial bundle of `W` entries (1 to 255); `None`
        /// for a full bundle of 256.
        width: Option<u16>,
    },
}

impl TilePath {
    /// Parses the part of a tile URL after `<prefix>/tile/`, such as
    /// `0/x001/234.p/7` or `entries/005`, strictly: the level a decimal from 0
    /// to 63 without leading zeros, the index as [`decode_index`] reads it,
    /// and the partial width a decimal from 1 to 255 without leading zeros.
    ///
    /// Paths are checked for form only: whether the tile exists in a tree of
    /// a given size is [`tile_width_at`]'s question.
    pub fn parse(path: &str) -> Result<TilePath, TileError> {
        // '.' appears nowhere else in a valid path, so the first ".p/" is the
        // only candidate for the partial suffix; any later one makes the
        // width malformed.
        let (base, width) = match path.split_once(".p/") {
            Some((base, w)) => (
                base,
                Some(
                    parse_canonical_decimal(w, 255)
                        .filter(|&w| w >= 1)
                        .and_then(|w| u16::try_from(w).ok())
                        .ok_or(TileError::Path(
                            "partial width is not a decimal from 1 to 255 without leading zeros",
                        ))?,
                ),
            ),
            None => (path, None),
        };
        let (head, index) =
            base.split_once('/').ok_or(TileError::Path("expected <level>/<index>"))?;
        let index = decode_index(index)?;
        if head == "entries" {
            return Ok(TilePath::Entries { index, width });
        }
        let level = parse_canonical_decimal(head, u64::from(MAX_LEVEL))
            .and_then(|l| u8::try_from(l).ok())
            .ok_or(TileError::Path(
                "level is not `entries` or a decimal from 0 to 63 without leading zeros",
            ))?;
        Ok(TilePath::Hashes { level, index, width })
    }

    /// The path under `<prefix>/tile/`. For every value [`TilePath::parse`]
    /// returns, parsing the path gives the value back; a level above 63 or a
    /// width outside 1 to 255 gives a path that `parse` rejects.
    pub fn to_path(&self) -> String {
        let (head, index, width) = match *self {
            TilePath::Hashes { level, index, width } => (level.to_string(), index, width),
            TilePath::Entries { index, width } => ("entries".to_owned(), index, width),
        };
        let mut s = format!("{head}/{}", encode_index(index));
        if let Some(w) = width {
            s.push_str(&format!(".p/{w}"));
        }
        s
    }
}

/// How many hashes tile (`level`, `index`) holds in a tree of `tree_size`
/// leaves: `Some(256)` when it is full, `Some(W)` (1 to 255) when it is the
/// partial rightmost tile of its level, `None` when the tree has no such tile
/// (yet). For entry bundles, use level 0: bundle `N` has as many entries as
/// level 0 tile `N` has hashes.
///
/// Level `L` counts the complete subtrees of `256^L` leaves, of which the tree
/// has `tree_size >> 8L`; tile `N` holds those numbered `256N` up to
/// `256N + 255`. That gives the spec's partial width,
/// `floor(s / 256^L) mod 256`, for the rightmost tile.
pub fn tile_width_at(level: u8, index: u64, tree_size: u64) -> Option<u16> {
    // A shift of 64 or more (level 8 and up) leaves no complete node: no tree
    // of at most u64::MAX leaves has a level-64 subtree.
    let nodes = tree_size.checked_shr(u32::from(level) * TILE_HEIGHT).unwrap_or(0);
    let full_tiles = nodes / TILE_WIDTH;
    let partial = nodes % TILE_WIDTH;
    if index < full_tiles {
        Some(256)
    } else if index == full_tiles && partial != 0 {
        u16::try_from(partial).ok()
    } else {
        None
    }
}

/// Encodes an entry bundle: each entry prefixed by its length as a big-endian
/// uint16. A bundle holds 1 to 256 entries (empty tiles are never served), each
/// at most [`MAX_ENTRY_BYTES`] long.
pub fn encode_entry_bundle(entries: &[&[u8]]) -> Result<Vec<u8>, TileError> {
    if entries.is_empty() || entries.len() as u64 > TILE_WIDTH {
        return Err(TileError::BundleCount { count: entries.len() });
    }
    let mut out = Vec::with_capacity(entries.iter().map(|e| 2 + e.len()).sum());
    for (index, entry) in entries.iter().enumerate() {
        let len = u16::try_from(entry.len())
            .map_err(|_| TileError::EntryTooLarge { index, len: entry.len() })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(entry);
    }
    Ok(out)
}

/// Decodes an entry bundle strictly: 1 to 256 length-prefixed entries that use
/// up every byte (a truncated prefix or entry, or bytes left over, is an
/// error). Whether the count matches the bundle's expected width is for the
/// caller to check with [`tile_width_at`].
pub fn decode_entry_bundle(bytes: &[u8]) -> Result<Vec<Vec<u8>>, TileError> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        if out.len() as u64 == TILE_WIDTH {
            return Err(TileError::Bundle("more than 256 entries"));
        }
        let [hi, lo, tail @ ..] = rest else {
            return Err(TileError::Bundle("truncated length prefix"));
        };
        let len = usize::from(u16::from_be_bytes([*hi, *lo]));
        if tail.len() < len {
            return Err(TileError::Bundle("truncated entry"));
        }
        let (entry, tail) = tail.split_at(len);
        out.push(entry.to_vec());
        rest = tail;
    }
    if out.is_empty() {
        return Err(TileError::Bundle("no entries"));
    }
    Ok(out)
}

/// ASCII decimal with no sign and no leading zeros (except `0`), at most `max`.
fn parse_canonical_decimal(text: &str, max: u64) -> Option<u64> {
    if text.is_empty()
        || !text.bytes().all(|b| b.is_ascii_digit())
        || (text.len() > 1 && text.starts_with('0'))
    {
        return None;
    }
    text.parse::<u64>().ok().filter(|&v| v <= max)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every tile a tree of `size` leaves has, level by level, as paths.
    fn tiles_of(size: u64) -> Vec<String> {
        let mut out = Vec::new();
        for level in 0..=MAX_LEVEL {
            let mut index = 0;
            while let Some(w) = tile_width_at(level, index, size) {
                let width = (w != 256).then_some(w);
                out.push(TilePath::Hashes { level, index, width }.to_path());
                index += 1;
            }
        }
        out
    }

    /// The examples of c2sp.org/tlog-tiles (C2SP specifications, © The C2SP
    /// Authors, CC BY 4.0, github.com/C2SP/C2SP at commit 5ba5ee8).
    #[test]
    fn spec_examples() {
        // "index 1234067 will be encoded as x001/x234/067"
        assert_eq!(encode_index(1_234_067), "x001/x234/067");
        assert_eq!(decode_index("x001/x234/067"), Ok(1_234_067));

        // The templates `<L>/<N>[.p/<W>]` and `entries/<N>[.p/<W>]`, filled in
        // with that index.
        let cases = [
            ("0/x001/x234/067", TilePath::Hashes { level: 0, index: 1_234_067, width: None }),
            (
                "63/x001/x234/067.p/255",
                TilePath::Hashes { level: 63, index: 1_234_067, width: Some(255) },
            ),
            ("entries/x001/x234/067", TilePath::Entries { index: 1_234_067, width: None }),
            ("entries/x001/x234/067.p/1", TilePath::Entries { index: 1_234_067, width: Some(1) }),
            // The shape named in the brief: `0/x001/234.p/7`, `entries/005`.
            ("0/x001/234.p/7", TilePath::Hashes { level: 0, index: 1234, width: Some(7) }),
            ("entries/005", TilePath::Entries { index: 5, width: None }),
        ];
        for (path, tile) in cases {
            assert_eq!(TilePath::parse(path), Ok(tile), "{path}");
            assert_eq!(tile.to_path(), path);
        }

        // "a tree of size 70,000 will be represented by 273 full level 0
        // tiles, one partial level 0 tile of width 112, one full level 1 tile,
        // one partial level 1 tile of width 17, and one partial level 2 tile
        // of width 1."
        let mut expected: Vec<String> = (0..273).map(|n| format!("0/{n:03}")).collect();
        expected.extend(["0/273.p/112", "1/000", "1/001.p/17", "2/000.p/1"].map(String::from));
        assert_eq!(tiles_of(70_000), expected);
        for (level, expected) in [(0, 112), (1, 17), (2, 1)] {
            // "The partial tile at level l for a tree of size s has
            // floor(s / 256**l) mod 256 entries."
            assert_eq!((70_000u64 >> (8 * level)) % 256, expected);
        }

        // "a tree of size 256 will be represented by a full level 0 tile and a
        // partial level 1 tile of width 1."
        assert_eq!(tiles_of(256), ["0/000", "1/000.p/1"]);
        assert!(tiles_of(0).is_empty(), "empty tiles must not be served");
    }

    #[test]
    fn index_encoding_known_values() {
        let cases = [
            (0, "000"),
            (1, "001"),
            (999, "999"),
            (1000, "x001/000"),
            (1001, "x001/001"),
            (999_999, "x999/999"),
            (1_000_000, "x001/x000/000"),
            (123_456_789, "x123/x456/789"),
            (u64::MAX - 1, "x018/x446/x744/x073/x709/x551/614"),
            (u64::MAX, "x018/x446/x744/x073/x709/x551/615"),
        ];
        for (n, s) in cases {
            assert_eq!(encode_index(n), s);
            assert_eq!(decode_index(s), Ok(n));
        }
    }

    #[test]
    fn index_encoding_round_trips() {
        let mut values = vec![0, u64::MAX, u64::MAX - 1, 1 << 63, (1 << 63) - 1];
        let mut p = 1u64;
        while let Some(next) = p.checked_mul(10) {
            values.extend([p - 1, p, p + 1]);
            p = next;
        }
        values.extend([p - 1, p, p + 1]);
        // A deterministic spread over the whole range (64-bit LCG).
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            values.push(x >> (x % 64));
        }
        values.extend(0..3000);
        for n in values {
            let s = encode_index(n);
            assert_eq!(decode_index(&s), Ok(n), "{s}");
            // Every element is 3 digits, every non-final one x-prefixed.
            let elements: Vec<&str> = s.split('/').collect();
            for (i, e) in elements.iter().enumerate() {
                assert_eq!(e.len(), if i + 1 < elements.len() { 4 } else { 3 }, "{s}");
            }
        }
    }

    #[test]
    fn index_decoding_rejects_noncanonical_forms() {
        let bad = [
            "",
            "0",
            "00",
            "0000",
            "1234",
            "x000/000",
            "x000/123",
            "x000/x001/000",
            "001/000",
            "x001/x000",
            "x001",
            "X001/000",
            "x01/000",
            "x0001/000",
            "x001/0000",
            "/000",
            "000/",
            "/x001/000",
            "x001/000/",
            "x001//000",
            "//",
            "/",
            "+01",
            "-01",
            " 01",
            "01 ",
            "0a1",
            "xx001/000",
            "x-01/000",
            "x001/00\n",
            "\u{0660}\u{0660}\u{0660}",
            "x001\\000",
            "x018/x446/x744/x073/x709/x551/616",
            "x018/x446/x744/x073/x709/x552/000",
            "x019/x000/x000/x000/x000/x000/000",
            "x999/x999/x999/x999/x999/x999/999",
            "x001/x000/x000/x000/x000/x000/x000/000",
        ];
        for s in bad {
            assert!(decode_index(s).is_err(), "{s:?}");
        }
    }

    #[test]
    fn tile_paths_round_trip() {
        let indices = [0, 1, 999, 1000, 1_000_000, 1_234_067, u64::MAX];
        let widths = [None, Some(1), Some(7), Some(112), Some(255)];
        for index in indices {
            for width in widths {
                for level in [0, 1, 7, 8, 9, 10, 63] {
                    let t = TilePath::Hashes { level, index, width };
                    assert_eq!(TilePath::parse(&t.to_path()), Ok(t));
                }
                let t = TilePath::Entries { index, width };
                assert_eq!(TilePath::parse(&t.to_path()), Ok(t));
            }
        }
    }

    #[test]
    fn tile_path_parsing_rejects_bad_paths() {
        let bad = [
            "",
            "0",
            "0/",
            "/0/000",
            "0/000/",
            "64/000",
            "255/000",
            "256/000",
            "00/000",
            "01/000",
            "063/000",
            "-1/000",
            "+1/000",
            " 0/000",
            "0x1/000",
            "tile/0/000",
            "tile/entries/000",
            "8/0/000",
            "data/000",
            "Entries/000",
            "entries",
            "entries/",
            "entries/0",
            "entries//000",
            "entries/000/",
            "0/0",
            "0/x000/000",
            "0/000.p/0",
            "0/000.p/256",
            "0/000.p/1000",
            "0/000.p/007",
            "0/000.p/+7",
            "0/000.p/ 7",
            "0/000.p/",
            "0/000.p",
            "0/000.p/7/",
            "0/000.p/7.p/7",
            "0/000.p/1.p/2",
            "0/000.P/7",
            "0/000.q/7",
            "0/000p/7",
            "0/000./7",
            "0/.p/7",
            "0.p/7",
            "entries.p/7",
            "entries/000.p/0",
            "entries/000.p/256",
            "entries/x001/000.p/01",
            "0/x018/x446/x744/x073/x709/x551/616",
        ];
        for s in bad {
            assert!(TilePath::parse(s).is_err(), "{s:?}");
        }
    }

    #[test]
    fn tile_widths() {
        // Tree size 0: nothing anywhere.
        for level in [0, 1, 63] {
            assert_eq!(tile_width_at(level, 0, 0), None);
        }
        // One leaf: a level 0 tile of width 1 and nothing above.
        assert_eq!(tile_width_at(0, 0, 1), Some(1));
        assert_eq!(tile_width_at(1, 0, 1), None);
        assert_eq!(tile_width_at(0, 1, 1), None);
        // 255, 256, 257 leaves.
        assert_eq!(tile_width_at(0, 0, 255), Some(255));
        assert_eq!(tile_width_at(1, 0, 255), None);
        assert_eq!(tile_width_at(0, 0, 256), Some(256));
        assert_eq!(tile_width_at(0, 1, 256), None);
        assert_eq!(tile_width_at(1, 0, 256), Some(1));
        assert_eq!(tile_width_at(0, 1, 257), Some(1));
        // 65536 = 256^2: two full tiles below, and a partial level 2 tile.
        assert_eq!(tile_width_at(0, 255, 65_536), Some(256));
        assert_eq!(tile_width_at(0, 256, 65_536), None);
        assert_eq!(tile_width_at(1, 0, 65_536), Some(256));
        assert_eq!(tile_width_at(1, 1, 65_536), None);
        assert_eq!(tile_width_at(2, 0, 65_536), Some(1));
        // The largest tree: level 7 is the last level with any node.
        let max = u64::MAX;
        assert_eq!(tile_width_at(0, max >> 8, max), Some(255));
        assert_eq!(tile_width_at(0, (max >> 8) - 1, max), Some(256));
        assert_eq!(tile_width_at(0, max, max), None);
        assert_eq!(tile_width_at(6, 255, max), Some(255));
        assert_eq!(tile_width_at(7, 0, max), Some(255));
        assert_eq!(tile_width_at(7, 1, max), None);
        assert_eq!(tile_width_at(8, 0, max), None);
        assert_eq!(tile_width_at(63, 0, max), None);
        assert_eq!(tile_width_at(u8::MAX, 0, max), None);
        assert_eq!(tile_width_at(0, max, 1 << 63), None);
        assert_eq!(tile_width_at(7, 0, 1 << 63), Some(128));
    }

    /// Checks `tile_width_at` against the spec's definition directly: tile `n`
    /// at level `l` holds the hashes of `D[(256n + i) * 256^l : (256n + i + 1)
    /// * 256^l]` for each `i` whose range lies wholly inside the tree.
    #[test]
    fn tile_widths_match_the_definition() {
        let sizes = (0..=1100u64).chain([65_535, 65_536, 65_537, 70_000, 16_777_216 + 300]);
        for s in sizes {
            for level in 0..4u8 {
                let span = 256u64.pow(u32::from(level));
                for n in 0..5u64 {
                    let hashes =
                        (0..256).take_while(|i| ((256 * n + i + 1) * span) <= s).count() as u16;
                    let expected = (hashes > 0).then_some(hashes);
                    assert_eq!(
                        tile_width_at(level, n, s),
                        expected,
                        "size {s} level {level} n {n}"
                    );
                }
            }
        }
    }

    #[test]
    fn entry_bundles() {
        assert_eq!(encode_entry_bundle(&[b"ab", b""]), Ok(vec![0, 2, b'a', b'b', 0, 0]));
        assert_eq!(
            decode_entry_bundle(&[0, 2, b'a', b'b', 0, 0]),
            Ok(vec![b"ab".to_vec(), vec![]])
        );

        let big = vec![0xa5u8; MAX_ENTRY_BYTES];
        let many: Vec<Vec<u8>> =
            (0..256u32).map(|i| i.to_be_bytes()[..(i % 5) as usize].to_vec()).collect();
        let cases: [Vec<&[u8]>; 4] = [
            vec![b""],
            vec![&big],
            vec![b"x", &big, b""],
            many.iter().map(Vec::as_slice).collect(),
        ];
        for entries in cases {
            let bytes = encode_entry_bundle(&entries).unwrap();
            let decoded = decode_entry_bundle(&bytes).unwrap();
            assert_eq!(decoded, entries);
        }
        let with_big = encode_entry_bundle(&[&big]).unwrap();
        assert_eq!(&with_big[..2], &[0xff, 0xff]);
    }

    #[test]
    fn entry_bundle_rejections() {
        let too_big = vec![0u8; MAX_ENTRY_BYTES + 1];
        assert_eq!(
            encode_entry_bundle(&[b"ok", &too_big]),
            Err(TileError::EntryTooLarge { index: 1, len: 65_536 })
        );
        assert_eq!(encode_entry_bundle(&[]), Err(TileError::BundleCount { count: 0 }));
        let entries: Vec<&[u8]> = vec![b"e"; 257];
        assert_eq!(encode_entry_bundle(&entries), Err(TileError::BundleCount { count: 257 }));
        assert!(encode_entry_bundle(&entries[..256]).is_ok());

        let bad: [&[u8]; 7] = [
            &[],
            &[0],
            &[0, 3, b'a', b'b'],
            &[0, 0, 0],
            &[0, 1, b'a', 9],
            &[0, 1, b'a', 0, 2, b'b'],
            &[0xff, 0xff],
        ];
        for b in bad {
            assert!(decode_entry_bundle(b).is_err(), "{b:?}");
        }
        // 257 empty entries: one too many.
        assert!(decode_entry_bundle(&[0u8; 512]).is_ok());
        assert_eq!(
            decode_entry_bundle(&[0u8; 514]),
            Err(TileError::Bundle("more than 256 entries"))
        );
    }
}
