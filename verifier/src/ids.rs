//! Chinese identifiers with check characters: the 统一社会信用代码 (USCC,
//! unified social credit code) of an organisation, and the 18-character
//! resident ID number (居民身份证号码) of a person.
//!
//! [`Uscc::parse`] and [`ResidentId::parse`] accept a value only if it has the
//! exact written form and its check character is right. They never trim,
//! change case or drop separators. A value the ledger records is then byte for
//! byte what the bidder or platform submitted, and two spellings of one code
//! can never become two different leaves.
//!
//! Rules and where they come from (`DOMAIN.md` is the project's domain
//! reference, §3 "Identifier check digits"):
//!
//! | Rule | Source |
//! |---|---|
//! | USCC: 18 characters, alphabet `0123456789ABCDEFGHJKLMNPQRTUWXY` (value = index) | GB 32100-2015, DOMAIN.md §3.1 **\[V\]** |
//! | USCC: positions 3–8 are digits (GB/T 2260 division code); 1–2 and 9–18 are code characters | DOMAIN.md §3.1 layout and regex, §3.3 tested code |
//! | USCC check: weights `3^(i−1) mod 31`, check value `(31 − S mod 31) mod 31` | DOMAIN.md §3.1 **\[V\]** |
//! | USCC embedded organisation code (GB 11714): reported, **not** enforced | DOMAIN.md §3.1 ("a warning, not a rejection") |
//! | Resident ID: 17 digits + check `0-9X`, ISO 7064 MOD 11-2 | GB 11643-1999, DOMAIN.md §3.2 **\[V\]** |
//! | Resident ID: positions 7–14 are a real `YYYYMMDD` date | DOMAIN.md §3.2 ("also validate the birth date") |
//!
//! What is deliberately *not* checked:
//!
//! * The USCC registration-authority / entity-category table (DOMAIN.md §3.1,
//!   tagged **\[C\]**: corroborated, not checked against the official text).
//!   The table is not closed (it ends in `Y` 其他, "other"), and a missing row
//!   would reject a real bidder's code, so it is not enforced.
//!   [`Uscc::registration_authority`] and [`Uscc::entity_category`] expose
//!   the two characters for a caller's own policy.
//! * Division and address codes against the GB/T 2260 table, for both
//!   identifiers (DOMAIN.md calls it optional; the table changes over time).
//! * A resident ID's birth date against today: this crate has no clock. Any
//!   real date from 1800-01-01 on is accepted.
//! * Legacy 15-digit resident IDs, which have no check digit (DOMAIN.md §3.2):
//!   they fail with [`IdError::Length`].
//!
//! Positions in errors are 1-based and count characters, not bytes, as the
//! standards number them.
//!
//! # Privacy
//!
//! A resident ID is personal data (个人信息; it names a birth date, sex and
//! home district). The ledger must never put one in a leaf in clear: it goes
//! in a salted commitment (a later issue). [`ResidentId`] has no `Serialize`,
//! and its `Debug` shows only the last four characters, so it cannot reach a
//! leaf or a log by accident; [`ResidentId::as_str`] and its `Display` give the
//! full number to code that asks for it explicitly. An [`IdError`] about a
//! resident ID carries at most one character or the birth-date digits, never
//! the whole number.

use std::fmt;
use std::str::FromStr;

/// Every identifier here is 18 characters long.
const ID_LEN: usize = 18;

/// The USCC code alphabet; a character's value is its index. It has no I, O,
/// S, V or Z, so those letters are rejected, not mapped to look-alikes.
const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// USCC weights for positions 1..17: `3^(i−1) mod 31` (DOMAIN.md §3.1). A test
/// recomputes them from that formula.
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// GB 11714 organisation-code weights for its first 8 characters.
const ORG_CODE_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// Resident ID weights for positions 1..17: `2^(18−i) mod 11` (ISO 7064
/// MOD 11-2, DOMAIN.md §3.2). A test recomputes them from that formula.
const RESIDENT_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Resident ID check character, indexed by `S mod 11`.
const RESIDENT_CHECK: &[u8; 11] = b"10X98765432";

/// Earliest birth year accepted. Without a clock there is no "today" to
/// compare with; this only rejects years that are surely typos.
const MIN_BIRTH_YEAR: u16 = 1800;

/// What the `expected` of [`IdError::Character`] says for each class.
const DIGIT: &str = "a digit 0-9";
const CODE_CHAR: &str = "a code character (0-9, or a capital letter other than I, O, S, V, Z)";
const DIGIT_OR_X: &str = "a digit 0-9 or X";

/// Which identifier an [`IdError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdKind {
    /// A 统一社会信用代码 (unified social credit code), GB 32100-2015.
    Uscc,
    /// A resident ID number (居民身份证号码), GB 11643-1999.
    ResidentId,
}

impl fmt::Display for IdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdKind::Uscc => "USCC",
            IdKind::ResidentId => "resident ID",
        })
    }
}

/// Why the birth date inside a resident ID is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFault {
    /// The year is before 1800.
    YearTooEarly,
    /// The month is not 01 to 12.
    Month,
    /// The day is 00 or past the end of the month.
    Day {
        /// The last day of that month in that year (28 to 31).
        last_day: u8,
    },
}

impl fmt::Display for DateFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DateFault::YearTooEarly => write!(f, "years before {MIN_BIRTH_YEAR} are not accepted"),
            DateFault::Month => f.write_str("the month must be 01 to 12"),
            DateFault::Day { last_day } => {
                write!(f, "the day must be 01 to {last_day:02} in that month")
            }
        }
    }
}

/// Why a string is not a valid identifier.
///
/// Checks run in this order, and the first failure is reported: whitespace
/// anywhere, length, each character in turn (whether it may stand at its
/// position), the birth date (resident IDs), the check character.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdError {
    /// The value is not 18 characters long.
    #[error("couldn't read {kind}: expected 18 characters, got {len}")]
    Length {
        /// Which identifier.
        kind: IdKind,
        /// Characters found (not bytes).
        len: usize,
    },
    /// The value contains whitespace (a space, tab, newline, U+3000 全角空格…).
    #[error("couldn't read {kind}: whitespace {found:?} at position {position}")]
    Whitespace {
        /// Which identifier.
        kind: IdKind,
        /// 1-based character position of the first whitespace.
        position: usize,
        /// The whitespace character.
        found: char,
    },
    /// A lowercase letter stands where its uppercase form would be allowed.
    /// Lowercase is rejected rather than folded, so a ledger value is always
    /// exactly what was submitted.
    #[error(
        "couldn't read {kind}: lowercase {found:?} at position {position}; it must be uppercase"
    )]
    Lowercase {
        /// Which identifier.
        kind: IdKind,
        /// 1-based character position.
        position: usize,
        /// The lowercase letter.
        found: char,
    },
    /// A character that may not stand at its position.
    #[error("couldn't read {kind}: {found:?} at position {position} is not {expected}")]
    Character {
        /// Which identifier.
        kind: IdKind,
        /// 1-based character position.
        position: usize,
        /// The character found.
        found: char,
        /// What the position allows, in words.
        expected: &'static str,
    },
    /// The last character is not the one the first 17 call for.
    #[error("couldn't read {kind}: check character should be {expected:?}, got {found:?}")]
    CheckChar {
        /// Which identifier.
        kind: IdKind,
        /// The check character computed from positions 1..17.
        expected: char,
        /// The check character found at position 18.
        found: char,
    },
    /// A resident ID's positions 7–14 are not an accepted `YYYYMMDD` date.
    #[error("couldn't read resident ID: bad birth date {year:04}-{month:02}-{day:02}: {fault}")]
    BirthDate {
        /// The year as written.
        year: u16,
        /// The month as written.
        month: u8,
        /// The day as written.
        day: u8,
        /// What is wrong with it.
        fault: DateFault,
    },
}

impl IdError {
    /// Which identifier the error is about.
    pub fn kind(&self) -> IdKind {
        match self {
            IdError::Length { kind, .. }
            | IdError::Whitespace { kind, .. }
            | IdError::Lowercase { kind, .. }
            | IdError::Character { kind, .. }
            | IdError::CheckChar { kind, .. } => *kind,
            IdError::BirthDate { .. } => IdKind::ResidentId,
        }
    }
}

/// A 统一社会信用代码 (unified social credit code), GB 32100-2015: the
/// 18-character identifier of a company, public institution or other
/// organisation in China, and so of every bidder and tendering party.
///
/// Layout (DOMAIN.md §3.1): `[1]` registration authority, `[2]` entity
/// category, `[3–8]` administrative-division code, `[9–17]` organisation code
/// (GB 11714), `[18]` check character. A parsed value is 18 ASCII characters
/// from the code alphabet, positions 3–8 digits, with a correct check
/// character.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uscc(String);

impl Uscc {
    /// Parses a USCC written exactly: 18 characters, uppercase, no spaces.
    ///
    /// Checks: no whitespace; length; each character is in the code alphabet
    /// `0123456789ABCDEFGHJKLMNPQRTUWXY` (a lowercase letter is reported as
    /// such); positions 3–8 are digits; the check character at position 18 is
    /// `(31 − Σ value(cᵢ)·3^(i−1) mod 31) mod 31`. The registration-authority
    /// table and the embedded GB 11714 check are not enforced (see the module
    /// docs and [`Uscc::organisation_code_check_ok`]).
    pub fn parse(s: &str) -> Result<Uscc, IdError> {
        let kind = IdKind::Uscc;
        let chars = eighteen_chars(kind, s)?;
        let mut values = [0u8; 17];
        for (index, &c) in chars.iter().enumerate() {
            // Positions 3..8 are the GB/T 2260 division code, which is decimal.
            let value = if (2..8).contains(&index) {
                value_at(kind, index, c, digit_value, DIGIT)?
            } else {
                value_at(kind, index, c, uscc_value, CODE_CHAR)?
            };
            // Position 18 has no slot: it is compared below as a character.
            if let Some(slot) = values.get_mut(index) {
                *slot = value;
            }
        }
        let expected = uscc_check_char(&values);
        if chars[17] != expected {
            return Err(IdError::CheckChar { kind, expected, found: chars[17] });
        }
        Ok(Uscc(s.to_owned()))
    }

    /// The code as written, 18 ASCII characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Position 1, the registration-authority code (`9` is 工商 / market
    /// regulation, under which nearly every bidding company is registered).
    pub fn registration_authority(&self) -> char {
        char::from(self.0.as_bytes()[0])
    }

    /// Position 2, the entity category within the authority (`91…` is an
    /// enterprise).
    pub fn entity_category(&self) -> char {
        char::from(self.0.as_bytes()[1])
    }

    /// Positions 3–8, the GB/T 2260 administrative-division code of the
    /// registering authority (six digits; not checked against the table).
    pub fn division_code(&self) -> &str {
        &self.0[2..8]
    }

    /// Positions 9–17, the GB 11714 organisation code, including its own check
    /// character.
    pub fn organisation_code(&self) -> &str {
        &self.0[8..17]
    }

    /// Whether the embedded organisation code's own check character is right
    /// (GB 11714: weights `3, 7, 9, 10, 5, 8, 4, 2`, letters A=10…Z=35,
    /// `11 − S mod 11` with 10 → `X` and 11 → `0`).
    ///
    /// DOMAIN.md §3.1 says to treat a failure as a warning, not a rejection:
    /// legacy and special codes exist whose positions 9–17 are not a checked
    /// organisation code, and the USCC's own check character already covers
    /// them. So [`Uscc::parse`] accepts such codes, and a caller that wants to
    /// flag them asks here.
    pub fn organisation_code_check_ok(&self) -> bool {
        let org = self.organisation_code().as_bytes();
        gb11714_check_char(&org[..8]) == Some(char::from(org[8]))
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Uscc {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uscc::parse(s)
    }
}

/// An 18-character resident ID number (居民身份证号码), GB 11643-1999.
///
/// Layout (DOMAIN.md §3.2): `[1–6]` address code, `[7–14]` birth date
/// `YYYYMMDD`, `[15–17]` sequence number (odd for men, even for women), `[18]`
/// check character `0-9` or `X`.
///
/// **Personal data.** A leaf carries one only for a registered-personnel
/// certificate, whose subject already shows it; anywhere else it belongs in
/// a salted commitment. Its `Debug` masks all but the last four characters
/// (so a printed event never shows it); `Display`, `Serialize` and
/// [`ResidentId::as_str`] give the full number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

impl ResidentId {
    /// Parses a resident ID written exactly: 17 digits and a check character.
    ///
    /// Checks: no whitespace; length 18 (15-digit legacy numbers are
    /// rejected); positions 1–17 are ASCII digits; position 18 is a digit or
    /// uppercase `X` (a lowercase `x` is rejected with [`IdError::Lowercase`],
    /// not normalised, so the stored value is what was submitted); positions
    /// 7–14 are a real calendar date (Gregorian leap years) in year 1800 or
    /// later; the check character is ISO 7064 MOD 11-2,
    /// `"10X98765432"[Σ dᵢ·2^(18−i) mod 11]`.
    pub fn parse(s: &str) -> Result<ResidentId, IdError> {
        let kind = IdKind::ResidentId;
        let chars = eighteen_chars(kind, s)?;
        let mut digits = [0u8; 17];
        for (index, (&c, slot)) in chars.iter().zip(digits.iter_mut()).enumerate() {
            *slot = value_at(kind, index, c, digit_value, DIGIT)?;
        }
        value_at(kind, 17, chars[17], resident_check_value, DIGIT_OR_X)?;
        // The date comes before the check character: a mistyped month or day
        // also breaks the check, but "bad birth date 1991-13-01" points at the
        // typo where "check character should be …" does not.
        let (year, month, day) = birth_date_of(&digits);
        check_date(year, month, day)?;
        let expected = resident_check_char(&digits);
        if chars[17] != expected {
            return Err(IdError::CheckChar { kind, expected, found: chars[17] });
        }
        Ok(ResidentId(s.to_owned()))
    }

    /// The full number as written. Personal data: see the type docs.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth date from positions 7–14, as `(year, month, day)`.
    pub fn birth_date(&self) -> (u16, u8, u8) {
        let mut digits = [0u8; 17];
        // The parser only admits ASCII digits at positions 1–17.
        for (slot, b) in digits.iter_mut().zip(self.0.bytes()) {
            *slot = b.wrapping_sub(b'0');
        }
        birth_date_of(&digits)
    }
}

impl fmt::Display for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ResidentId {
    /// Masked: `Debug` output ends up in logs, panic messages and test
    /// failures, which must not hold a full ID number. The last four
    /// characters (sequence and check) are kept, as Chinese forms do, so two
    /// values can still be told apart when debugging.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tail = self.0.get(14..).unwrap_or("");
        write!(f, "ResidentId(\"**************{tail}\")")
    }
}

impl FromStr for ResidentId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ResidentId::parse(s)
    }
}

/// Splits `s` into exactly 18 characters, after rejecting whitespace.
///
/// Whitespace is looked for first, over the whole string: a pasted code with a
/// trailing newline or a 全角空格 is the commonest way to get a wrong length,
/// and naming the space says what to fix where "got 19" does not.
fn eighteen_chars(kind: IdKind, s: &str) -> Result<[char; ID_LEN], IdError> {
    if let Some((index, found)) = s.chars().enumerate().find(|(_, c)| c.is_whitespace()) {
        return Err(IdError::Whitespace { kind, position: index + 1, found });
    }
    let mut out = ['\0'; ID_LEN];
    let mut len = 0;
    for c in s.chars() {
        if let Some(slot) = out.get_mut(len) {
            *slot = c;
        }
        len += 1;
    }
    if len != ID_LEN {
        return Err(IdError::Length { kind, len });
    }
    Ok(out)
}

/// The value of `c` at 0-based `index` under `value`, or the error naming what
/// is wrong with it. A lowercase letter whose uppercase form would be accepted
/// gets [`IdError::Lowercase`], so the message says the fix; any other
/// character (lowercase `i`, full-width digits, …) gets [`IdError::Character`].
fn value_at(
    kind: IdKind,
    index: usize,
    c: char,
    value: fn(char) -> Option<u8>,
    expected: &'static str,
) -> Result<u8, IdError> {
    if let Some(v) = value(c) {
        return Ok(v);
    }
    let position = index + 1;
    if c.is_ascii_lowercase() && value(c.to_ascii_uppercase()).is_some() {
        Err(IdError::Lowercase { kind, position, found: c })
    } else {
        Err(IdError::Character { kind, position, found: c, expected })
    }
}

/// An ASCII digit's value (`to_digit(10)` admits only `0`-`9`, not
/// full-width or other Unicode digits).
fn digit_value(c: char) -> Option<u8> {
    c.to_digit(10).and_then(|d| u8::try_from(d).ok())
}

/// A USCC code character's value: its index in the alphabet.
fn uscc_value(c: char) -> Option<u8> {
    let i = USCC_ALPHABET.iter().position(|&a| char::from(a) == c)?;
    u8::try_from(i).ok()
}

/// A resident ID check character's value: digits, and `X` for 10.
fn resident_check_value(c: char) -> Option<u8> {
    if c == 'X' { Some(10) } else { digit_value(c) }
}

/// The USCC check character for the values of positions 1..17.
fn uscc_check_char(values: &[u8; 17]) -> char {
    let sum: u32 = values.iter().zip(USCC_WEIGHTS).map(|(&v, w)| u32::from(v) * w).sum();
    // (31 − S mod 31) mod 31: the outer mod maps 31 to 0 (DOMAIN.md §3.1).
    let check = (31 - sum % 31) % 31;
    char::from(USCC_ALPHABET[check as usize])
}

/// The GB 11714 check character for an organisation code's first 8
/// characters, or `None` if one is not a digit or a letter.
fn gb11714_check_char(first8: &[u8]) -> Option<char> {
    let mut sum = 0u32;
    for (&b, w) in first8.iter().zip(ORG_CODE_WEIGHTS) {
        // GB 11714 values letters A=10…Z=35, which is base 36, not the USCC
        // alphabet index.
        sum += char::from(b).to_digit(36)? * w;
    }
    match 11 - sum % 11 {
        10 => Some('X'),
        11 => Some('0'),
        d => char::from_digit(d, 10),
    }
}

/// The resident ID check character for the digits of positions 1..17.
fn resident_check_char(digits: &[u8; 17]) -> char {
    let sum: u32 = digits.iter().zip(RESIDENT_WEIGHTS).map(|(&d, w)| u32::from(d) * w).sum();
    char::from(RESIDENT_CHECK[(sum % 11) as usize])
}

/// `(year, month, day)` from the digit values of positions 7..14.
fn birth_date_of(digits: &[u8; 17]) -> (u16, u8, u8) {
    let number = |range: std::ops::Range<usize>| {
        digits[range].iter().fold(0u16, |acc, &d| acc * 10 + u16::from(d))
    };
    // Month and day are two digits, at most 99, so they fit a u8.
    (number(6..10), number(10..12) as u8, number(12..14) as u8)
}

/// Whether `(year, month, day)` is a real Gregorian date in an accepted year.
fn check_date(year: u16, month: u8, day: u8) -> Result<(), IdError> {
    let fail = |fault| Err(IdError::BirthDate { year, month, day, fault });
    if year < MIN_BIRTH_YEAR {
        return fail(DateFault::YearTooEarly);
    }
    let last_day = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => return fail(DateFault::Month),
    };
    if day == 0 || day > last_day {
        return fail(DateFault::Day { last_day });
    }
    Ok(())
}

/// Gregorian leap years: every fourth year, except centuries not divisible by
/// 400 (so 1900 and 2100 are not, 2000 is).
fn is_leap_year(year: u16) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

/// In events an identifier is its text, validated whenever it is read (a
/// submission, a leaf, a bundle): an event can only ever carry a
/// well-formed one. A resident ID is logged only for a registered-personnel
/// certificate whose subject already carries it; its `Debug` masks it
/// wherever an event is printed.
macro_rules! serde_as_checked_text {
    ($($t:ident),*) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $t::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    )*};
}

serde_as_checked_text!(Uscc, ResidentId);

#[cfg(test)]
// Positions are the standard's 1-based character positions; indexing reads closer to it.
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;

    /// DOMAIN.md §3.1 test vectors; the second is GB 32100's own sample.
    const USCC_VALID: [&str; 2] = ["91110000600037341L", "91350100M000100Y43"];
    /// DOMAIN.md §3.2 test vectors.
    const RESIDENT_VALID: [&str; 2] = ["11010519491231002X", "360426199101010071"];

    /// All 31 code characters.
    fn uscc_alphabet() -> impl Iterator<Item = char> {
        USCC_ALPHABET.iter().map(|&b| char::from(b))
    }

    /// Whether `s` satisfies the USCC check relation alone, ignoring every
    /// positional rule: 18 code characters whose first 17 call for the 18th.
    fn uscc_checksum_ok(s: &str) -> bool {
        let Some(values) = s.chars().map(uscc_value).collect::<Option<Vec<u8>>>() else {
            return false;
        };
        let Ok(values) = <[u8; 18]>::try_from(values) else { return false };
        let first17: [u8; 17] = values[..17].try_into().unwrap();
        uscc_check_char(&first17) == char::from(USCC_ALPHABET[usize::from(values[17])])
    }

    /// Whether `s` satisfies the MOD 11-2 relation alone: 17 digits and the
    /// check character they call for (the date is not looked at).
    fn resident_checksum_ok(s: &str) -> bool {
        let c: Vec<char> = s.chars().collect();
        if c.len() != 18 {
            return false;
        }
        let digits: Option<Vec<u8>> = c[..17].iter().map(|&c| digit_value(c)).collect();
        let Some(digits) = digits else { return false };
        resident_check_char(&digits.try_into().unwrap()) == c[17]
    }

    /// A USCC body of 17 code characters completed with its check character.
    fn uscc_complete(body: &str) -> String {
        let values: Vec<u8> = body.chars().map(|c| uscc_value(c).unwrap()).collect();
        format!("{body}{}", uscc_check_char(&values.try_into().unwrap()))
    }

    /// 17 digits completed with their MOD 11-2 check character.
    fn resident_complete(body: &str) -> String {
        let digits: Vec<u8> = body.chars().map(|c| digit_value(c).unwrap()).collect();
        format!("{body}{}", resident_check_char(&digits.try_into().unwrap()))
    }

    /// `s` with the character at 0-based `index` replaced by `c`.
    fn substitute(s: &str, index: usize, c: char) -> String {
        s.chars().enumerate().map(|(i, x)| if i == index { c } else { x }).collect()
    }

    /// `s` with the characters at `index` and `index + 1` swapped.
    fn swap_adjacent(s: &str, index: usize) -> String {
        let mut c: Vec<char> = s.chars().collect();
        c.swap(index, index + 1);
        c.into_iter().collect()
    }

    #[test]
    fn weights_are_the_documented_powers() {
        let mut w = 1u32;
        for (i, &uscc) in USCC_WEIGHTS.iter().enumerate() {
            assert_eq!(uscc, w, "USCC weight of position {}", i + 1);
            w = w * 3 % 31;
        }
        for (i, &resident) in RESIDENT_WEIGHTS.iter().enumerate() {
            assert_eq!(
                resident,
                2u32.pow(17 - i as u32) % 11,
                "resident weight of position {}",
                i + 1
            );
        }
        // The alphabet is 0-9 and A-Z without I, O, S, V, Z, in order.
        let expected: String =
            ('0'..='9').chain('A'..='Z').filter(|c| !"IOSVZ".contains(*c)).collect();
        assert_eq!(USCC_ALPHABET.as_slice(), expected.as_bytes());
    }

    #[test]
    fn uscc_known_valid_codes() {
        assert_eq!(uscc_complete("91110000600037341"), "91110000600037341L");
        assert_eq!(uscc_complete("91350100M000100Y4"), "91350100M000100Y43");
        for s in USCC_VALID {
            let u = Uscc::parse(s).unwrap();
            assert_eq!(u.as_str(), s);
            assert_eq!(u.to_string(), s);
            assert_eq!(s.parse::<Uscc>().unwrap(), u);
            assert!(u.organisation_code_check_ok(), "{s}");
        }
        let u = Uscc::parse("91350100M000100Y43").unwrap();
        assert_eq!(u.registration_authority(), '9');
        assert_eq!(u.entity_category(), '1');
        assert_eq!(u.division_code(), "350100");
        assert_eq!(u.organisation_code(), "M000100Y4");
    }

    #[test]
    fn uscc_known_invalid_code() {
        let e = Uscc::parse("91110000600037341X").unwrap_err();
        assert_eq!(e, IdError::CheckChar { kind: IdKind::Uscc, expected: 'L', found: 'X' });
        assert_eq!(e.to_string(), "couldn't read USCC: check character should be 'L', got 'X'");
        assert_eq!(e.kind(), IdKind::Uscc);
    }

    #[test]
    fn gb11714_inner_check() {
        // DOMAIN.md: verified on 600037341; GB 32100's sample holds M000100Y4.
        assert_eq!(gb11714_check_char(b"60003734"), Some('1'));
        assert_eq!(gb11714_check_char(b"M000100Y"), Some('4'));
        // A wrong inner check is only reported, not rejected (DOMAIN.md: a
        // warning), as long as the USCC's own check character is right.
        let s = uscc_complete("91110000600037342");
        let u = Uscc::parse(&s).unwrap();
        assert!(!u.organisation_code_check_ok());
        // The two special results: S = 0 gives 11 → '0'; S = 3·4 = 12 ≡ 1
        // gives 10 → 'X'.
        assert_eq!(gb11714_check_char(b"00000000"), Some('0'));
        assert_eq!(gb11714_check_char(b"40000000"), Some('X'));
        // Not a digit or letter: no check character.
        assert_eq!(gb11714_check_char(b"6000373-"), None);
    }

    /// Every single-character substitution of a valid USCC, at every position,
    /// by every other code character, breaks the check relation: 31 is prime,
    /// no weight is 0 mod 31 (the check character has weight 1), and two code
    /// characters differ by 1..30, so the sum always moves. Any other
    /// character (lowercase, I/O/S/V/Z, punctuation, non-ASCII) is rejected by
    /// the alphabet before the check.
    #[test]
    fn uscc_every_single_substitution_is_caught() {
        let mut by_check = 0;
        let mut by_parse = 0;
        for s in USCC_VALID {
            let original: Vec<char> = s.chars().collect();
            for index in 0..18 {
                for c in uscc_alphabet().filter(|&c| c != original[index]) {
                    let bad = substitute(s, index, c);
                    assert!(!uscc_checksum_ok(&bad), "{bad}");
                    assert!(Uscc::parse(&bad).is_err(), "{bad}");
                    by_check += 1;
                }
                let others = (0u8..128).map(char::from).chain(['９', 'Ａ', 'О', '·', '\u{3000}']);
                for c in others.filter(|&c| c != original[index] && uscc_value(c).is_none()) {
                    assert!(Uscc::parse(&substitute(s, index, c)).is_err());
                    by_parse += 1;
                }
            }
        }
        assert_eq!(by_check, 2 * 18 * 30);
        assert_eq!(by_parse, 2 * 18 * (128 - 31 + 5));
    }

    /// Adjacent transpositions in a USCC: swapping values a ≠ b at positions
    /// i, i+1 moves the check sum by (a − b)(wᵢ − wᵢ₊₁). For i < 17 that is
    /// (a − b)·wᵢ·(1 − 3) = −2·wᵢ·(a − b), and for the pair 17/18 it is
    /// (a − b)(28 − 1). 31 is prime and none of these factors is 0 mod 31,
    /// so mod 31 with these weights catches **every** adjacent transposition,
    /// including those with the check character. Asserted for all 17 pairs
    /// and all 31 × 30 ordered pairs of distinct characters, then on the
    /// sample codes.
    #[test]
    fn uscc_every_adjacent_transposition_is_caught() {
        let weights: Vec<i64> = USCC_WEIGHTS.iter().map(|&w| i64::from(w)).chain([1]).collect();
        let mut cases = 0;
        for i in 0..17 {
            for a in 0..31i64 {
                for b in (0..31i64).filter(|&b| b != a) {
                    assert_ne!(
                        (a - b) * (weights[i] - weights[i + 1]) % 31,
                        0,
                        "pair {i}, {a}, {b}"
                    );
                    cases += 1;
                }
            }
        }
        assert_eq!(cases, 17 * 31 * 30);

        let mut swaps = 0;
        for s in USCC_VALID {
            for i in 0..17 {
                let bad = swap_adjacent(s, i);
                if bad == s {
                    continue; // equal neighbours: nothing to catch
                }
                assert!(!uscc_checksum_ok(&bad), "{bad}");
                assert!(Uscc::parse(&bad).is_err(), "{bad}");
                swaps += 1;
            }
        }
        // Of the 17 neighbour pairs, 91110000600037341L has 7 equal ones
        // (11, 11, 00, 00, 00, 00, 00) and 91350100M000100Y43 has 4 (all 00).
        assert_eq!(swaps, (17 - 7) + (17 - 4));
    }

    #[test]
    fn uscc_positions_3_to_8_are_digits() {
        // A letter there is a structural error even when the check holds.
        let s = uscc_complete("9111000A600037341");
        assert!(uscc_checksum_ok(&s));
        assert_eq!(
            Uscc::parse(&s).unwrap_err(),
            IdError::Character { kind: IdKind::Uscc, position: 8, found: 'A', expected: DIGIT }
        );
        // Positions 1–2 take any code character (authorities A, N, Y exist).
        for body in ["N2110000600037341", "Y1110000600037341", "A1110000600037341"] {
            Uscc::parse(&uscc_complete(body)).unwrap();
        }
    }

    #[test]
    fn uscc_excluded_letters() {
        for c in ['I', 'O', 'S', 'V', 'Z'] {
            let e = Uscc::parse(&substitute(USCC_VALID[0], 9, c)).unwrap_err();
            assert_eq!(
                e,
                IdError::Character {
                    kind: IdKind::Uscc,
                    position: 10,
                    found: c,
                    expected: CODE_CHAR
                }
            );
        }
    }

    #[test]
    fn uscc_lowercase_is_named() {
        let e = Uscc::parse("91110000600037341l").unwrap_err();
        assert_eq!(e, IdError::Lowercase { kind: IdKind::Uscc, position: 18, found: 'l' });
        assert_eq!(
            e.to_string(),
            "couldn't read USCC: lowercase 'l' at position 18; it must be uppercase"
        );
        let e = Uscc::parse("91350100m000100Y43").unwrap_err();
        assert_eq!(e, IdError::Lowercase { kind: IdKind::Uscc, position: 9, found: 'm' });
        // Lowercase i would still be wrong in uppercase: a character error.
        let e = Uscc::parse(&substitute(USCC_VALID[0], 9, 'i')).unwrap_err();
        assert!(matches!(e, IdError::Character { position: 10, found: 'i', .. }), "{e:?}");
        // All lowercase, as pasted from a form that folds case.
        let e = Uscc::parse(&USCC_VALID[1].to_ascii_lowercase()).unwrap_err();
        assert_eq!(e, IdError::Lowercase { kind: IdKind::Uscc, position: 9, found: 'm' });
    }

    #[test]
    fn whitespace_is_named() {
        let cases = [
            (" 91110000600037341L", 1, ' '),
            ("91110000600037341L ", 19, ' '),
            ("91110000600037341L\n", 19, '\n'),
            ("9111\t0000600037341L", 5, '\t'),
            ("91110000\u{3000}600037341L", 9, '\u{3000}'),
            ("9111 0000 6000 3734", 5, ' '),
        ];
        for (s, position, found) in cases {
            assert_eq!(
                Uscc::parse(s).unwrap_err(),
                IdError::Whitespace { kind: IdKind::Uscc, position, found },
                "{s:?}"
            );
        }
        let e = ResidentId::parse("11010519491231002X\r\n").unwrap_err();
        assert_eq!(e, IdError::Whitespace { kind: IdKind::ResidentId, position: 19, found: '\r' });
        assert_eq!(e.to_string(), "couldn't read resident ID: whitespace '\\r' at position 19");
    }

    #[test]
    fn length_errors() {
        for (s, len) in [("", 0), ("91110000600037341", 17), ("91110000600037341LL", 19)] {
            assert_eq!(Uscc::parse(s).unwrap_err(), IdError::Length { kind: IdKind::Uscc, len });
        }
        // A legacy 15-digit ID has no check digit and is not accepted.
        let e = ResidentId::parse("110105491231002").unwrap_err();
        assert_eq!(e, IdError::Length { kind: IdKind::ResidentId, len: 15 });
        assert_eq!(e.to_string(), "couldn't read resident ID: expected 18 characters, got 15");
        assert_eq!(
            Uscc::parse("1234").unwrap_err().to_string(),
            "couldn't read USCC: expected 18 characters, got 4"
        );
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        // A full-width digit (3 bytes in UTF-8): still 18 characters.
        let s = "91110000６00037341L";
        assert_eq!(s.len(), 20);
        assert_eq!(
            Uscc::parse(s).unwrap_err(),
            IdError::Character {
                kind: IdKind::Uscc,
                position: 9,
                found: '６',
                expected: CODE_CHAR
            }
        );
        let e = ResidentId::parse("11010519491231002Ｘ").unwrap_err();
        assert_eq!(
            e,
            IdError::Character {
                kind: IdKind::ResidentId,
                position: 18,
                found: 'Ｘ',
                expected: DIGIT_OR_X
            }
        );
        assert_eq!(
            e.to_string(),
            "couldn't read resident ID: 'Ｘ' at position 18 is not a digit 0-9 or X"
        );
    }

    #[test]
    fn resident_known_valid_ids() {
        assert_eq!(resident_complete("11010519491231002"), "11010519491231002X");
        assert_eq!(resident_complete("36042619910101007"), "360426199101010071");
        for s in RESIDENT_VALID {
            let id = ResidentId::parse(s).unwrap();
            assert_eq!(id.as_str(), s);
            assert_eq!(id.to_string(), s);
            assert_eq!(s.parse::<ResidentId>().unwrap(), id);
        }
        assert_eq!(ResidentId::parse(RESIDENT_VALID[0]).unwrap().birth_date(), (1949, 12, 31));
        assert_eq!(ResidentId::parse(RESIDENT_VALID[1]).unwrap().birth_date(), (1991, 1, 1));
    }

    #[test]
    fn resident_check_characters_cover_every_remainder() {
        // The table maps S mod 11 = 0..10 to 1, 0, X, 9, …, 2: ISO 7064
        // MOD 11-2's check value a satisfies S + a ≡ 1 (mod 11), X = 10.
        for (r, &c) in RESIDENT_CHECK.iter().enumerate() {
            let a = resident_check_value(char::from(c)).unwrap();
            assert_eq!((r + usize::from(a)) % 11, 1, "remainder {r}");
        }
    }

    #[test]
    fn resident_wrong_check_character() {
        let e = ResidentId::parse("360426199101010072").unwrap_err();
        assert_eq!(e, IdError::CheckChar { kind: IdKind::ResidentId, expected: '1', found: '2' });
        assert_eq!(
            e.to_string(),
            "couldn't read resident ID: check character should be '1', got '2'"
        );
        assert_eq!(e.kind(), IdKind::ResidentId);
    }

    #[test]
    fn resident_lowercase_x_is_rejected() {
        let e = ResidentId::parse("11010519491231002x").unwrap_err();
        assert_eq!(e, IdError::Lowercase { kind: IdKind::ResidentId, position: 18, found: 'x' });
        assert_eq!(
            e.to_string(),
            "couldn't read resident ID: lowercase 'x' at position 18; it must be uppercase"
        );
        // X is only a check character; elsewhere it is a character error.
        let e = ResidentId::parse("1101051949123100XX").unwrap_err();
        assert_eq!(
            e,
            IdError::Character {
                kind: IdKind::ResidentId,
                position: 17,
                found: 'X',
                expected: DIGIT
            }
        );
        let e = ResidentId::parse("1101051949123100x1").unwrap_err();
        assert!(matches!(e, IdError::Character { position: 17, found: 'x', .. }), "{e:?}");
    }

    /// Every single substitution of a valid resident ID is rejected. For
    /// digits at positions 1–17 and any other check character at 18 the MOD
    /// 11-2 relation itself catches it (11 is prime, no weight is 0 mod 11,
    /// two digits differ by 1..9, check values by 1..10), whatever the date.
    /// `X` at positions 1–17 is rejected by the format.
    #[test]
    fn resident_every_single_substitution_is_caught() {
        let mut by_check = 0;
        let mut by_format = 0;
        for s in RESIDENT_VALID {
            let original: Vec<char> = s.chars().collect();
            for index in 0..18 {
                for c in "0123456789X".chars().filter(|&c| c != original[index]) {
                    let bad = substitute(s, index, c);
                    assert!(ResidentId::parse(&bad).is_err(), "{bad}");
                    if c == 'X' && index < 17 {
                        by_format += 1;
                    } else {
                        assert!(!resident_checksum_ok(&bad), "{bad}");
                        by_check += 1;
                    }
                }
            }
        }
        assert_eq!(by_check, 2 * (17 * 9 + 10));
        assert_eq!(by_format, 2 * 17);
    }

    /// Adjacent transpositions in a resident ID: with the check character at
    /// weight 1 (S + a ≡ 1 mod 11), consecutive weights are 2^k and 2^(k−1),
    /// so a swap moves the sum by (a − b)·2^(k−1), never 0 mod 11. MOD 11-2
    /// catches every adjacent transposition. Asserted for all 17 pairs and all
    /// ordered pairs of distinct values (digits; 0..10 for the check), then on
    /// the sample IDs.
    #[test]
    fn resident_every_adjacent_transposition_is_caught() {
        let weights: Vec<i64> = RESIDENT_WEIGHTS.iter().map(|&w| i64::from(w)).chain([1]).collect();
        let mut cases = 0;
        for i in 0..17 {
            let b_max = if i == 16 { 10 } else { 9 };
            for a in 0..=9i64 {
                for b in (0..=b_max).filter(|&b| b != a) {
                    assert_ne!(
                        (a - b) * (weights[i] - weights[i + 1]) % 11,
                        0,
                        "pair {i}, {a}, {b}"
                    );
                    cases += 1;
                }
            }
        }
        assert_eq!(cases, 16 * 10 * 9 + 10 * 10);

        let mut swaps = 0;
        for s in RESIDENT_VALID {
            for i in 0..17 {
                let bad = swap_adjacent(s, i);
                if bad == s {
                    continue;
                }
                assert!(ResidentId::parse(&bad).is_err(), "{bad}");
                // Swapping X into position 17 is a format error; every other
                // swap also fails the check relation itself.
                if !(i == 16 && s.ends_with('X')) {
                    assert!(!resident_checksum_ok(&bad), "{bad}");
                }
                swaps += 1;
            }
        }
        // Of the 17 neighbour pairs, 11010519491231002X has 2 equal ones
        // (11, 00) and 360426199101010071 has 2 (99, 00).
        assert_eq!(swaps, (17 - 2) + (17 - 2));
    }

    /// A resident ID with the given birth date and a correct check character,
    /// so only the date can be wrong.
    fn resident_born(date: &str) -> String {
        resident_complete(&format!("110105{date}002"))
    }

    #[test]
    fn birth_dates_must_exist() {
        let bad = |date: &str| ResidentId::parse(&resident_born(date)).unwrap_err();
        let fault = |date: &str| match bad(date) {
            IdError::BirthDate { fault, .. } => fault,
            other => panic!("{date}: {other:?}"),
        };
        // 29 February outside leap years, including centuries not divisible by 400.
        for date in ["19000229", "20230229", "19990229", "21000229"] {
            assert_eq!(fault(date), DateFault::Day { last_day: 28 }, "{date}");
        }
        assert_eq!(fault("19911301"), DateFault::Month);
        assert_eq!(fault("19910001"), DateFault::Month);
        assert_eq!(fault("19910100"), DateFault::Day { last_day: 31 });
        assert_eq!(fault("19910132"), DateFault::Day { last_day: 31 });
        assert_eq!(fault("19910431"), DateFault::Day { last_day: 30 });
        assert_eq!(fault("17991231"), DateFault::YearTooEarly);
        assert_eq!(fault("00000000"), DateFault::YearTooEarly);
        assert_eq!(
            bad("20230229").to_string(),
            "couldn't read resident ID: bad birth date 2023-02-29: the day must be 01 to 28 in that month"
        );
        assert_eq!(
            bad("19911301").to_string(),
            "couldn't read resident ID: bad birth date 1991-13-01: the month must be 01 to 12"
        );
        assert_eq!(bad("19911301").kind(), IdKind::ResidentId);

        // Leap days that exist, month ends, and the earliest accepted date.
        for (date, ymd) in [
            ("20000229", (2000, 2, 29)),
            ("20240229", (2024, 2, 29)),
            ("19600229", (1960, 2, 29)),
            ("19910430", (1991, 4, 30)),
            ("19911231", (1991, 12, 31)),
            ("18000101", (1800, 1, 1)),
        ] {
            assert_eq!(ResidentId::parse(&resident_born(date)).unwrap().birth_date(), ymd);
        }
    }

    #[test]
    fn resident_debug_is_masked() {
        let id = ResidentId::parse(RESIDENT_VALID[0]).unwrap();
        let debug = format!("{id:?}");
        assert_eq!(debug, "ResidentId(\"**************002X\")");
        assert!(!debug.contains("19491231"));
    }

    #[test]
    fn errors_name_the_identifier() {
        let uscc = ["", "91110000600037341l", "91110000600037341X", "9111000A600037341K", " "];
        for s in uscc {
            let e = Uscc::parse(s).unwrap_err();
            assert!(e.to_string().starts_with("couldn't read USCC: "), "{e}");
        }
        let resident = ["", "11010519491231002x", "360426199101010072", "110105199113010021", "A"];
        for s in resident {
            let e = ResidentId::parse(s).unwrap_err();
            assert!(e.to_string().starts_with("couldn't read resident ID: "), "{e}");
        }
    }
}
