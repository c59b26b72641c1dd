//! SIDs and unique names. A path segment that names a Device or an App is either a SID of the
//! right kind or a unique name, and a unique name may never look like a SID.

use std::fmt;

/// Length of every SID: a two-letter prefix and 32 hex digits.
pub const SID_LEN: usize = 34;
/// Longest unique name the console accepts. The vendor documents no limit; 128 is our choice,
/// generous for names and short enough to keep tables and URLs readable.
pub const UNIQUE_NAME_MAX_LEN: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SidKind {
    Device,
    App,
    Account,
}

impl SidKind {
    pub const fn prefix(self) -> &'static str {
        match self {
            SidKind::Device => "UV",
            SidKind::App => "KA",
            SidKind::Account => "AC",
        }
    }
}

/// A validated SID of a known kind.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Sid(String);

impl Sid {
    /// Parses `text` as a SID of `kind`: its prefix, then exactly 32 hex digits.
    pub fn parse(kind: SidKind, text: &str) -> Option<Sid> {
        (text.starts_with(kind.prefix()) && is_sid_shaped(text)).then(|| Sid(text.to_owned()))
    }

    /// Builds a SID of `kind` from 128 bits, as the emulator mints them.
    pub fn from_bits(kind: SidKind, bits: u128) -> Sid {
        Sid(format!("{}{bits:032x}", kind.prefix()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// True when `text` has the shape of any SID: two ASCII capitals and 32 hex digits.
pub fn is_sid_shaped(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == SID_LEN
        && bytes[..2].iter().all(u8::is_ascii_uppercase)
        && bytes[2..].iter().all(u8::is_ascii_hexdigit)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UniqueNameError {
    #[error("A unique name cannot be empty.")]
    Empty,
    #[error("A unique name cannot look like a SID (two capitals and 32 hex digits).")]
    SidShaped,
    #[error("A unique name can be at most {max} characters; this one has {actual}.")]
    TooLong { max: usize, actual: usize },
    #[error("A unique name cannot start or end with spaces.")]
    SurroundingWhitespace,
    #[error("A unique name cannot contain control characters or '/'.")]
    ForbiddenCharacter,
}

/// Checks a proposed unique name. `/` is refused because the name is used as a path segment.
pub fn validate_unique_name(name: &str) -> Result<(), UniqueNameError> {
    if name.is_empty() {
        return Err(UniqueNameError::Empty);
    }
    if name.trim() != name {
        return Err(UniqueNameError::SurroundingWhitespace);
    }
    let actual = name.chars().count();
    if actual > UNIQUE_NAME_MAX_LEN {
        return Err(UniqueNameError::TooLong {
            max: UNIQUE_NAME_MAX_LEN,
            actual,
        });
    }
    if is_sid_shaped(name) {
        return Err(UniqueNameError::SidShaped);
    }
    if name.chars().any(|c| c.is_control() || c == '/') {
        return Err(UniqueNameError::ForbiddenCharacter);
    }
    Ok(())
}

/// How a path addresses a Device or an App: by SID, or by unique name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceRef {
    Sid(Sid),
    UniqueName(String),
}

impl ResourceRef {
    /// Reads a path segment: a SID of `kind` if it has that shape, a unique name otherwise.
    pub fn parse(kind: SidKind, segment: &str) -> ResourceRef {
        match Sid::parse(kind, segment) {
            Some(sid) => ResourceRef::Sid(sid),
            None => ResourceRef::UniqueName(segment.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEVICE: &str = "UV0123456789abcdef0123456789ABCDEF";

    #[test]
    fn parses_sids_of_the_right_kind_only() {
        assert_eq!(
            Sid::parse(SidKind::Device, DEVICE).unwrap().as_str(),
            DEVICE
        );
        assert!(Sid::parse(SidKind::App, DEVICE).is_none());
        assert!(Sid::parse(SidKind::Device, &DEVICE[..33]).is_none());
        assert!(Sid::parse(SidKind::Device, "UV0123456789abcdef0123456789ABCDEG").is_none());
    }

    #[test]
    fn minted_sids_round_trip() {
        let sid = Sid::from_bits(SidKind::App, 0xabc);
        assert_eq!(sid.as_str(), "KA00000000000000000000000000000abc");
        assert_eq!(Sid::parse(SidKind::App, sid.as_str()), Some(sid));
    }

    #[test]
    fn unique_name_rules() {
        assert_eq!(validate_unique_name(""), Err(UniqueNameError::Empty));
        assert_eq!(
            validate_unique_name(DEVICE),
            Err(UniqueNameError::SidShaped)
        );
        assert_eq!(
            validate_unique_name("KA0123456789abcdef0123456789abcdef"),
            Err(UniqueNameError::SidShaped)
        );
        assert_eq!(
            validate_unique_name(" pump"),
            Err(UniqueNameError::SurroundingWhitespace)
        );
        assert_eq!(
            validate_unique_name("a/b"),
            Err(UniqueNameError::ForbiddenCharacter)
        );
        let long = "é".repeat(UNIQUE_NAME_MAX_LEN + 1);
        assert_eq!(
            validate_unique_name(&long),
            Err(UniqueNameError::TooLong {
                max: UNIQUE_NAME_MAX_LEN,
                actual: UNIQUE_NAME_MAX_LEN + 1
            })
        );
        assert_eq!(validate_unique_name("pump-station 7 <b>ü&amp;"), Ok(()));
    }

    #[test]
    fn resource_ref_prefers_sid_shape() {
        assert!(matches!(
            ResourceRef::parse(SidKind::Device, DEVICE),
            ResourceRef::Sid(_)
        ));
        assert_eq!(
            ResourceRef::parse(SidKind::Device, "pump-7"),
            ResourceRef::UniqueName("pump-7".into())
        );
    }
}
