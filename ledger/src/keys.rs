//! The log's signing keys on disk.
//!
//! File format (one line per key): `PRIVATE+KEY+<name>+<key id hex>+<base64(alg ‖ seed)>`,
//! the same layout as a note verifier key with a `PRIVATE+KEY+` prefix, so the
//! key name and ID can be checked before the key is used. Written 0600.
//!
//! A log has two: `log.key` (Ed25519, type 0x01), which signs checkpoints,
//! tender heads and key rotations, and `log-mldsa44.key` (ML-DSA-44, type
//! 0x06), which adds a post-quantum `subtree/v1` signature to every
//! checkpoint ([`LogSigner`]). Logs made before the second existed sign
//! with the first alone.

use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::SigningKey;
use verifier::cosignature::{Cosigner, CosignerKey};
use verifier::note::{ALG_ED25519, NoteSigner, NoteVerifier};

use crate::error::{LedgerError, Result};

const PREFIX: &str = "PRIVATE+KEY+";

/// Generates a new key for `name` and writes it to `path` (which must not
/// exist), readable by the owner only. Returns the signer.
pub fn create(path: &Path, name: &str) -> Result<NoteSigner> {
    let seed = random_seed(path)?;
    let signer = NoteSigner::new(name, SigningKey::from_bytes(&seed))?;
    let mut raw = vec![ALG_ED25519];
    raw.extend_from_slice(&seed);
    let line = format!("{PREFIX}{}+{:08x}+{}\n", name, signer.verifier().key_id(), B64.encode(raw));
    write_private(path, &line)?;
    Ok(signer)
}

/// Reads the key at `path` and checks it is the key of `name`.
pub fn load(path: &Path, name: &str) -> Result<NoteSigner> {
    let bad = |reason: &str| LedgerError::Key { path: path.to_owned(), reason: reason.to_owned() };
    let text = std::fs::read_to_string(path).map_err(|source| LedgerError::Io {
        action: "read key file",
        path: path.to_owned(),
        source,
    })?;
    let rest = text.trim_end().strip_prefix(PREFIX).ok_or_else(|| bad("not a tenderlog key"))?;
    // The base64 part may itself contain '+'; the name and ID cannot.
    let mut parts = rest.splitn(3, '+');
    let (Some(key_name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("expected PRIVATE+KEY+name+id+key"));
    };
    if key_name != name {
        return Err(bad(&format!("key is for {key_name:?}, the store's origin is {name:?}")));
    }
    let raw = B64.decode(b64).map_err(|_| bad("key is not base64"))?;
    if raw.len() != 33 || raw[0] != ALG_ED25519 {
        return Err(bad("not an Ed25519 key"));
    }
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&raw[1..]);
    let signer = NoteSigner::new(name, SigningKey::from_bytes(&seed))?;
    if format!("{:08x}", signer.verifier().key_id()) != id {
        return Err(bad("key ID does not match the key"));
    }
    Ok(signer)
}

/// The commitment key of a data directory (`DIR/commit.key`, 32 random bytes,
/// mode 0600), made on first use. Sealed documents' salts are derived from it
/// (HMAC-SHA256 over the submission), so the same submission always gets the
/// same commitment — resubmitting is recognised as a duplicate — while no one
/// without the key can guess a salt. Losing it loses only that recognition:
/// every commitment still opens with the salt its receipt gave.
pub fn commit_key(dir: &Path) -> Result<[u8; 32]> {
    let path = dir.join("commit.key");
    let io = |action| {
        let path = path.clone();
        move |source| LedgerError::Io { action, path, source }
    };
    match std::fs::read(&path) {
        Ok(bytes) => bytes.try_into().map_err(|_| LedgerError::Key {
            path: path.clone(),
            reason: "a commitment key is 32 bytes".into(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0u8; 32];
            getrandom::fill(&mut key).map_err(|e| LedgerError::Key {
                path: path.clone(),
                reason: format!("no randomness from the operating system: {e}"),
            })?;
            let tmp = dir.join("commit.key.tmp");
            let _ = std::fs::remove_file(&tmp);
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt as _;
                opts.mode(0o600);
            }
            let mut f = opts.open(&tmp).map_err(io("create commitment key"))?;
            f.write_all(&key).map_err(io("write commitment key"))?;
            f.sync_all().map_err(io("sync commitment key"))?;
            std::fs::rename(&tmp, &path).map_err(io("install commitment key"))?;
            std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io("sync directory of"))?;
            Ok(key)
        }
        Err(e) => Err(io("read commitment key")(e)),
    }
}

/// Where a rotation keeps the new signing key until the store has recorded
/// it (`DIR/log.key.next`).
pub fn next_key_path(dir: &Path) -> std::path::PathBuf {
    dir.join("log.key.next")
}

/// Where a rotation moves the retired signing key
/// (`DIR/log.key.retired-<key id>`): out of use, kept for the operator to
/// destroy or lock away.
pub fn retired_key_path(dir: &Path, key_id: u32) -> std::path::PathBuf {
    dir.join(format!("log.key.retired-{key_id:08x}"))
}

/// The new key of a rotation under way: the one a crash left in
/// `log.key.next`, or a fresh one written there.
pub(crate) fn next_key(dir: &Path, name: &str) -> Result<NoteSigner> {
    let path = next_key_path(dir);
    if path.exists() { load(&path, name) } else { create(&path, name) }
}

/// Finishes a rotation the store has recorded: when `log.key` is not the
/// key the store signs with (`current`) but `log.key.next` is, the old key
/// is retired and the new one put in place (a crash between the two steps
/// of [`crate::rotate_key`] leaves exactly this). Otherwise does nothing.
pub(crate) fn finish_rotation(dir: &Path, current: &verifier::note::NoteVerifier) -> Result<()> {
    let key_path = dir.join("log.key");
    let in_place = load(&key_path, current.name())?;
    if in_place.verifier() == *current {
        return Ok(());
    }
    let next_path = next_key_path(dir);
    if !next_path.exists() || load(&next_path, current.name())?.verifier() != *current {
        // Not a rotation: the caller reports the mismatch.
        return Ok(());
    }
    let io = |action, path: &Path| {
        let path = path.to_owned();
        move |source| LedgerError::Io { action, path, source }
    };
    let retired = retired_key_path(dir, in_place.verifier().key_id());
    std::fs::rename(&key_path, &retired).map_err(io("retire the old key", &key_path))?;
    std::fs::rename(&next_path, &key_path).map_err(io("install the new key", &next_path))?;
    let vkey = dir.join("log.vkey");
    std::fs::write(&vkey, format!("{}\n", current.vkey())).map_err(io("write", &vkey))?;
    std::fs::File::open(&vkey).and_then(|f| f.sync_all()).map_err(io("sync", &vkey))?;
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io("sync", dir))?;
    Ok(())
}

/// The ML-DSA-44 checkpoint key file inside a data directory.
pub fn post_quantum_key_path(dir: &Path) -> std::path::PathBuf {
    dir.join("log-mldsa44.key")
}

/// Its verifier key (C2SP vkey, type 0x06), public.
pub fn post_quantum_vkey_path(dir: &Path) -> std::path::PathBuf {
    dir.join("log-mldsa44.vkey")
}

/// Makes the log's ML-DSA-44 checkpoint key for `origin` in `dir` (the key
/// file must not exist) and writes its vkey beside it.
pub(crate) fn create_post_quantum(dir: &Path, origin: &str) -> Result<Cosigner> {
    let path = post_quantum_key_path(dir);
    let key = create_cosigners(&path, origin, &[verifier::cosignature::Algorithm::MlDsa44])?
        .pop()
        .ok_or_else(|| LedgerError::Key { path: path.clone(), reason: "no key made".into() })?;
    let vkey = post_quantum_vkey_path(dir);
    let io = |source| LedgerError::Io { action: "write", path: vkey.clone(), source };
    std::fs::write(&vkey, format!("{}\n", key.public().vkey())).map_err(io)?;
    std::fs::File::open(&vkey).and_then(|f| f.sync_all()).map_err(io)?;
    Ok(key)
}

/// Reads the log's ML-DSA-44 key and checks it is `expected` (the key the
/// store records).
pub(crate) fn load_post_quantum(dir: &Path, expected: &CosignerKey) -> Result<Cosigner> {
    let path = post_quantum_key_path(dir);
    load_cosigners(&path)?.into_iter().find(|k| k.public() == expected).ok_or_else(|| {
        LedgerError::Key {
            path,
            reason: format!("holds no key matching the store's ML-DSA-44 key {}", expected.vkey()),
        }
    })
}

/// What signs the log's checkpoints: its Ed25519 key, and its ML-DSA-44
/// key when it has one.
pub struct LogSigner {
    classic: NoteSigner,
    post_quantum: Option<Cosigner>,
}

impl std::fmt::Debug for LogSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LogSigner({:?}, ML-DSA-44: {})", self.classic, self.post_quantum.is_some())
    }
}

/// The signing keys of the log `store` reads, from the data directory
/// `dir`: the Ed25519 key, which must be the log's current key, and the
/// ML-DSA-44 key when the log has one.
pub fn log_signer(dir: &Path, store: &crate::Store) -> Result<LogSigner> {
    let path = crate::store::key_path(dir);
    let signer = load(&path, store.origin())?;
    if signer.verifier() != *store.verifier() {
        let retired = store.log_keys().keys().any(|k| *k == signer.verifier());
        let reason = if retired {
            // Another front-end of the log (PostgreSQL) rotated the key.
            format!(
                "this is the retired key {:08x}: the log signs with key {:08x} since it was \
                 rotated; copy log.key (and log.vkey) from the data directory where \
                 `tenderlog key rotate` ran",
                signer.verifier().key_id(),
                store.verifier().key_id()
            )
        } else {
            "the key does not match the store's verifier key".into()
        };
        return Err(LedgerError::Key { path, reason });
    }
    let post_quantum = match store.log_keys().post_quantum().first() {
        Some(k) => Some(load_post_quantum(dir, k)?),
        None => None,
    };
    Ok(LogSigner::new(signer, post_quantum))
}

impl LogSigner {
    /// A signer of both keys (or of the Ed25519 one alone).
    pub fn new(classic: NoteSigner, post_quantum: Option<Cosigner>) -> LogSigner {
        LogSigner { classic, post_quantum }
    }

    /// The Ed25519 key, which also signs tender heads.
    pub fn classic(&self) -> &NoteSigner {
        &self.classic
    }

    /// The Ed25519 verifier key.
    pub fn verifier(&self) -> NoteVerifier {
        self.classic.verifier()
    }

    /// The ML-DSA-44 verifier key, if the log has one.
    pub fn post_quantum(&self) -> Option<&CosignerKey> {
        self.post_quantum.as_ref().map(Cosigner::public)
    }

    /// The signed note of checkpoint `text`: the Ed25519 signature line,
    /// then the ML-DSA-44 `subtree/v1` line timestamped `now_ms` (whole
    /// seconds), which covers origin, size and root.
    pub fn sign_checkpoint(&self, text: &str, now_ms: u64) -> Result<String> {
        let note = self.classic.sign(text)?;
        match &self.post_quantum {
            None => Ok(note),
            Some(pq) => Ok(pq.cosign(&note, now_ms / 1000)?),
        }
    }

    /// Whether `note` is what this signer's Ed25519 key makes of its text
    /// followed by nothing but one line of its ML-DSA-44 key: the check
    /// that the key in hand is the one the stored checkpoint was signed with.
    pub fn signed(&self, text: &str, note: &str) -> Result<bool> {
        let classic = self.classic.sign(text)?;
        let Some(rest) = note.strip_prefix(classic.as_str()) else { return Ok(false) };
        Ok(match &self.post_quantum {
            None => rest.is_empty(),
            Some(pq) => {
                let parsed = verifier::note::Note::parse(note.as_bytes())?;
                rest.lines().count() == 1 && pq.public().verify(&parsed).is_ok()
            }
        })
    }
}

/// Writes `text` to a new file at `path`, readable by the owner only, and
/// syncs it (the file and its directory).
fn write_private(path: &Path, text: &str) -> Result<()> {
    let io = |source| LedgerError::Io { action: "write key file", path: path.to_owned(), source };
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
    }
    Ok(())
}

fn random_seed(path: &Path) -> Result<[u8; 32]> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| LedgerError::Key {
        path: path.to_owned(),
        reason: format!("no randomness from the operating system: {e}"),
    })?;
    Ok(seed)
}

/// Generates cosigning keys for `name`, one per algorithm in `algs`
/// (Ed25519 and ML-DSA-44), and writes them to `path` (which must not
/// exist), one `PRIVATE+KEY+<name>+<id>+<base64(alg ‖ seed)>` line each,
/// readable by the owner only. A witness keeps both; a log keeps its
/// ML-DSA-44 checkpoint key this way.
pub fn create_cosigners(
    path: &Path,
    name: &str,
    algs: &[verifier::cosignature::Algorithm],
) -> Result<Vec<verifier::cosignature::Cosigner>> {
    let mut text = String::new();
    let mut out = Vec::new();
    for &alg in algs {
        let seed = random_seed(path)?;
        let c = cosigner(name, alg, &seed)?;
        let mut raw = vec![alg.byte()];
        raw.extend_from_slice(&seed);
        text += &format!("{PREFIX}{name}+{:08x}+{}\n", c.public().key_id(), B64.encode(raw));
        out.push(c);
    }
    write_private(path, &text)?;
    Ok(out)
}

fn cosigner(
    name: &str,
    alg: verifier::cosignature::Algorithm,
    seed: &[u8; 32],
) -> Result<verifier::cosignature::Cosigner> {
    use verifier::cosignature::{Algorithm, Cosigner};
    Ok(match alg {
        Algorithm::Ed25519 => Cosigner::new(name, SigningKey::from_bytes(seed))?,
        Algorithm::MlDsa44 => Cosigner::mldsa44(name, seed)?,
    })
}

/// Reads the cosigning keys [`create_cosigners`] wrote, checking each
/// line's name and key ID.
pub fn load_cosigners(path: &Path) -> Result<Vec<verifier::cosignature::Cosigner>> {
    use verifier::cosignature::Algorithm;
    let bad = |reason: String| LedgerError::Key { path: path.to_owned(), reason };
    let text = std::fs::read_to_string(path).map_err(|source| LedgerError::Io {
        action: "read key file",
        path: path.to_owned(),
        source,
    })?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let rest = line
            .strip_prefix(PREFIX)
            .ok_or_else(|| bad(format!("line {}: not a tenderlog key", n + 1)))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad(format!("line {}: expected PRIVATE+KEY+name+id+key", n + 1)));
        };
        let raw = B64.decode(b64).map_err(|_| bad(format!("line {}: not base64", n + 1)))?;
        let alg = match raw.first() {
            Some(&verifier::cosignature::ALG_COSIGNATURE_V1) => Algorithm::Ed25519,
            Some(&verifier::cosignature::ALG_MLDSA44) => Algorithm::MlDsa44,
            _ => return Err(bad(format!("line {}: not a cosigning key", n + 1))),
        };
        let seed: [u8; 32] =
            raw[1..].try_into().map_err(|_| bad(format!("line {}: a seed is 32 bytes", n + 1)))?;
        let c = cosigner(name, alg, &seed)?;
        if format!("{:08x}", c.public().key_id()) != id {
            return Err(bad(format!("line {}: key ID does not match the key", n + 1)));
        }
        out.push(c);
    }
    if out.is_empty() {
        return Err(bad("no keys".into()));
    }
    Ok(out)
}
