//! Bearer tokens for writes, stored hashed in `tokens.db` of the data directory.
//!
//! A token reads `tlk_<id>_<secret>`: a 12-hex-digit public ID and 32 random
//! bytes (base64url). Only `SHA-256(secret)` is stored; it is compared in
//! constant time. Tokens live in their own SQLite file so that
//! `tenderlog token create` works while the server holds the writer lock.

use std::collections::HashMap;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use ledger::Location;
use ledger::storage::TokenRow;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

/// What a token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// May submit events.
    Submitter,
    /// May do everything a submitter may, and administer the log.
    Admin,
    /// May read the regulator's console (tenders, compliance, log health);
    /// may not submit or administer.
    Supervisor,
}

impl Role {
    /// Parses `submitter`, `admin` or `supervisor`.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "submitter" => Some(Role::Submitter),
            "admin" => Some(Role::Admin),
            "supervisor" => Some(Role::Supervisor),
            _ => None,
        }
    }

    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Submitter => "submitter",
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
        }
    }

    /// Whether this role includes `other`.
    pub fn includes(self, other: Role) -> bool {
        self == Role::Admin || self == other
    }
}

/// Why a token operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The database failed.
    #[error("couldn't use the token store: {0}")]
    Store(#[from] ledger::LedgerError),
    /// No randomness.
    #[error("couldn't make a token: no randomness from the operating system: {0}")]
    Random(String),
    /// A name that cannot be a principal.
    #[error("couldn't make a token: {0}")]
    BadName(String),
    /// No such token.
    #[error("no token with ID {0}")]
    NotFound(String),
    /// The name is another principal's, or looks like one.
    #[error("couldn't make a token: {0}")]
    NameTaken(String),
}

/// A token as listed (never its secret).
#[derive(Clone, Debug, serde::Serialize)]
pub struct TokenInfo {
    /// The public ID.
    pub id: String,
    /// The principal recorded for its submissions.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// When it was made, ms since the epoch.
    pub created_ms: u64,
    /// When it was revoked, if it was.
    pub revoked_ms: Option<u64>,
}

/// Who a valid token speaks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The token's public ID.
    pub id: String,
    /// The principal.
    pub name: String,
    /// The role.
    pub role: Role,
}

/// The token file inside a data directory (the store's, re-exported).
pub use ledger::sqlite::tokens::tokens_path;

/// Makes a token for `name` with `role` and returns its text: shown once,
/// never stored.
/// `at`: a data directory (its `tokens.db`), or a [`Location`] (a log in
/// PostgreSQL keeps the tokens every front-end shares).
pub fn create(at: impl Into<Location>, name: &str, role: Role) -> Result<String, TokenError> {
    issue(at.into(), name, role, false)
}

/// Makes another token for a principal that may already have one (a
/// rotation, or a second device): as [`create`], but the exact name of an
/// existing token is allowed.
pub fn reissue(at: impl Into<Location>, name: &str, role: Role) -> Result<String, TokenError> {
    issue(at.into(), name, role, true)
}

/// Makes a token; `again`: the exact name may exist already. A name that
/// only looks like an existing one (the same UTS #39 skeleton, case folded)
/// is always refused: it would pass for that principal in the log.
fn issue(at: Location, name: &str, role: Role, again: bool) -> Result<String, TokenError> {
    let ok = !name.is_empty()
        && name.len() <= verifier::event::MAX_PRINCIPAL_BYTES
        && !name.chars().any(|c| c.is_control())
        && name.trim() == name;
    if !ok {
        return Err(TokenError::BadName(format!(
            "name {name:?} must be 1-256 bytes, no control characters or outer spaces"
        )));
    }
    // Reserved in any case: `Sealed` must not pass for the filer of every
    // sealed document either.
    if name.eq_ignore_ascii_case(verifier::event::SEALED_PRINCIPAL) {
        return Err(TokenError::BadName(format!(
            "name {name:?} is reserved: it stands for the filer of every sealed document"
        )));
    }
    verifier::event::check_name("token name", name)
        .map_err(|e| TokenError::BadName(e.to_string()))?;
    let skeleton = verifier::event::name_skeleton(name);
    if skeleton == verifier::event::name_skeleton(verifier::event::SEALED_PRINCIPAL) {
        return Err(TokenError::BadName(format!(
            "name {name:?} looks like {:?}, which is reserved for the filer of every sealed document",
            verifier::event::SEALED_PRINCIPAL
        )));
    }
    let db = at.tokens()?;
    // Revoked tokens count: their names are principals in the log.
    for row in db.all()? {
        if row.name == name && !again {
            return Err(TokenError::NameTaken(format!(
                "{name:?} already has a token (ID {}); to issue another for the same principal, use --reissue (HTTP: \"reissue\": true)",
                row.id
            )));
        }
        if row.name != name && verifier::event::name_skeleton(&row.name) == skeleton {
            return Err(TokenError::NameTaken(format!(
                "{name:?} looks like the existing principal {:?}; choose a name no one could mistake for it",
                row.name
            )));
        }
    }
    let mut raw = [0u8; 38];
    getrandom::fill(&mut raw).map_err(|e| TokenError::Random(e.to_string()))?;
    let id = hex::encode(&raw[..6]);
    let secret = B64URL.encode(&raw[6..]);
    let hash: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
    db.insert(&TokenRow {
        id: id.clone(),
        secret_sha256: hash.to_vec(),
        role: role.as_str().to_owned(),
        name: name.to_owned(),
        created_ms: ledger::Clock::now_ms(&ledger::SystemClock),
        revoked_ms: None,
    })?;
    Ok(format!("tlk_{id}_{secret}"))
}

/// Lists the tokens.
pub fn list(at: impl Into<Location>) -> Result<Vec<TokenInfo>, TokenError> {
    Ok(at
        .into()
        .tokens()?
        .all()?
        .into_iter()
        .map(|r| TokenInfo {
            role: Role::parse(&r.role).unwrap_or(Role::Submitter),
            id: r.id,
            name: r.name,
            created_ms: r.created_ms,
            revoked_ms: r.revoked_ms,
        })
        .collect())
}

/// Revokes a token; requests with it fail from the next cache refresh on.
pub fn revoke(at: impl Into<Location>, id: &str) -> Result<(), TokenError> {
    if !at.into().tokens()?.revoke(id, ledger::Clock::now_ms(&ledger::SystemClock))? {
        return Err(TokenError::NotFound(id.to_owned()));
    }
    Ok(())
}

struct Entry {
    secret_sha256: [u8; 32],
    role: Role,
    name: String,
    revoked: bool,
}

/// Checks presented tokens against `tokens.db`, with a short-lived cache.
pub struct TokenStore {
    at: Location,
    cache: Mutex<(Instant, HashMap<String, Entry>)>,
}

/// How long a lookup is trusted before `tokens.db` is read again (so that a
/// revocation takes effect within this time).
const CACHE_TTL: Duration = Duration::from_secs(5);

/// How soon an unknown token ID may trigger a re-read of `tokens.db`.
const MISS_RELOAD: Duration = Duration::from_secs(1);

impl TokenStore {
    /// A store over `dir/tokens.db` (created when missing).
    pub fn new(at: impl Into<Location>) -> Result<TokenStore, TokenError> {
        let at = at.into();
        crate::state::off_runtime(|| at.tokens().map(drop))?;
        let store = TokenStore { at, cache: Mutex::new((Instant::now(), HashMap::new())) };
        let loaded = store.load()?;
        if let Ok(mut c) = store.cache.lock() {
            c.1 = loaded;
        }
        Ok(store)
    }

    fn load(&self) -> Result<HashMap<String, Entry>, TokenError> {
        let rows = crate::state::off_runtime(|| self.at.tokens()?.all())?;
        Ok(rows
            .into_iter()
            .map(|r| {
                // A stored hash of the wrong length matches no secret.
                let secret_sha256 =
                    <[u8; 32]>::try_from(r.secret_sha256.as_slice()).unwrap_or([0u8; 32]);
                let entry = Entry {
                    secret_sha256,
                    role: Role::parse(&r.role).unwrap_or(Role::Submitter),
                    name: r.name,
                    revoked: r.revoked_ms.is_some(),
                };
                (r.id, entry)
            })
            .collect())
    }

    /// The caller a bearer token speaks for, or `None` for an unknown,
    /// malformed or revoked token.
    pub fn check(&self, token: &str) -> Result<Option<Caller>, TokenError> {
        let Some((id, secret)) = token.strip_prefix("tlk_").and_then(|t| t.split_once('_')) else {
            return Ok(None);
        };
        let presented: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        let mut cache = self.cache.lock().map_err(|_| TokenError::Random("poisoned".into()))?;
        // A new token is seen within a second; unknown IDs cannot make every
        // request read the database.
        let age = cache.0.elapsed();
        let stale = age > CACHE_TTL || (!cache.1.contains_key(id) && age > MISS_RELOAD);
        if stale {
            match self.load() {
                Ok(fresh) => *cache = (Instant::now(), fresh),
                // The tokens known stay valid (a full disk or a locked file
                // must not lock every submitter out); a revocation is seen
                // once the table can be read again.
                Err(e) if !cache.1.is_empty() => {
                    tracing::warn!(error = %e, "couldn't reload the token table; using the tokens loaded before");
                    cache.0 = Instant::now();
                }
                Err(e) => return Err(e),
            }
        }
        Ok(cache.1.get(id).and_then(|e| {
            let equal: bool = e.secret_sha256.ct_eq(&presented).into();
            (equal && !e.revoked).then(|| Caller {
                id: id.to_owned(),
                name: e.name.clone(),
                role: e.role,
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token table that can no longer be read (a full disk, a damaged
    /// file) does not lock out the submitters already known.
    #[test]
    fn known_tokens_keep_working_when_the_table_cannot_be_read() {
        let dir = tempfile::tempdir().unwrap();
        let token = create(dir.path(), "agency-01", Role::Submitter).unwrap();
        let store = TokenStore::new(dir.path()).unwrap();
        assert_eq!(store.check(&token).unwrap().unwrap().name, "agency-01");
        for suffix in ["", "-wal", "-shm"] {
            let p =
                std::path::PathBuf::from(format!("{}{suffix}", tokens_path(dir.path()).display()));
            let _ = std::fs::remove_file(&p);
        }
        std::fs::write(tokens_path(dir.path()), b"not a database at all, not even close").unwrap();
        assert!(
            ledger::sqlite::tokens::TokenDb::open(dir.path()).is_err(),
            "the damaged table still opens"
        );
        std::thread::sleep(CACHE_TTL + Duration::from_millis(100));
        assert_eq!(store.check(&token).unwrap().unwrap().name, "agency-01");
        // An unknown token is still unknown, not an error.
        assert!(store.check("tlk_000000000000_nope").unwrap().is_none());
    }

    /// A token's name is its holder's principal in every event it submits:
    /// no name that looks like another or like the reserved one.
    #[test]
    fn look_alike_token_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for name in
            ["sealed", "Sealed", "SEALED", "sealed\u{200b}", "agency\u{202e}10", "cafe\u{301}"]
        {
            let e = create(dir.path(), name, Role::Submitter).unwrap_err();
            assert!(matches!(e, TokenError::BadName(_)), "{name:?}: {e}");
        }
        create(dir.path(), "招标代理-01", Role::Submitter).unwrap();
        // Sealed with a Cyrillic е, with a dotless ı: look-alikes of the reserved name.
        for name in ["s\u{0435}aled", "seal\u{0435}d", "sea1ed"] {
            assert!(create(dir.path(), name, Role::Submitter).is_err(), "{name:?}");
        }
    }

    /// One principal, one name: an existing name needs `reissue` (another
    /// token for the same principal), and a name that only looks like an
    /// existing one — Cyrillic а for Latin a, 0 for O, another case — is
    /// refused always, revoked tokens included.
    #[test]
    fn token_names_are_unique_and_unmistakable() {
        let dir = tempfile::tempdir().unwrap();
        let first = create(dir.path(), "agency-01", Role::Submitter).unwrap();
        let e = create(dir.path(), "agency-01", Role::Submitter).unwrap_err();
        assert!(
            matches!(e, TokenError::NameTaken(_)) && e.to_string().contains("--reissue"),
            "{e}"
        );
        let second = reissue(dir.path(), "agency-01", Role::Submitter).unwrap();
        assert_ne!(first, second);
        for look_alike in ["\u{0430}gency-01", "Agency-01", "AGENCY-01", "agency-0l"] {
            let e = create(dir.path(), look_alike, Role::Submitter).unwrap_err();
            assert!(matches!(e, TokenError::NameTaken(_)), "{look_alike:?}: {e}");
            assert!(reissue(dir.path(), look_alike, Role::Submitter).is_err(), "{look_alike:?}");
        }
        let id = list(dir.path()).unwrap()[0].id.clone();
        revoke(dir.path(), &id).unwrap();
        assert!(
            create(dir.path(), "\u{0430}gency-01", Role::Submitter).is_err(),
            "revoked names count"
        );
        create(dir.path(), "agency-02", Role::Submitter).unwrap();
    }
}
