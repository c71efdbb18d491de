//! The Falco release an exception is validated for (`0.44.0`): which operators, keys and
//! warnings apply depends on it.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A Falco release, `MAJOR.MINOR.PATCH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FalcoVersion {
    major: u32,
    minor: u32,
    patch: u32,
}

impl FalcoVersion {
    /// The release `major.minor.patch`.
    pub const fn new(major: u32, minor: u32, patch: u32) -> FalcoVersion {
        FalcoVersion { major, minor, patch }
    }

    /// The first release with rule exceptions.
    pub const EXCEPTIONS: FalcoVersion = FalcoVersion::new(0, 28, 0);
    /// The first release with `override:` (and the deprecation of `append: true`).
    pub const OVERRIDE: FalcoVersion = FalcoVersion::new(0, 37, 0);
    /// The first release that warns about duplicate exception names and appends without
    /// values, and requires `fields` in replace mode.
    pub const STRICTER_EXCEPTIONS: FalcoVersion = FalcoVersion::new(0, 38, 0);
    /// The first release whose rules schema is checked on load (it required `values` until
    /// 0.41.0).
    pub const RULES_SCHEMA: FalcoVersion = FalcoVersion::new(0, 39, 0);
    /// The first release whose rules schema no longer requires `values`.
    pub const VALUES_OPTIONAL_IN_SCHEMA: FalcoVersion = FalcoVersion::new(0, 41, 0);
}

impl Default for FalcoVersion {
    /// The newest release in Saker's operators table.
    fn default() -> Self {
        crate::exceptions::operators::newest_known_falco()
    }
}

impl fmt::Display for FalcoVersion {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Why a Falco version could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("falco version {written:?} is not a release number; write MAJOR.MINOR or MAJOR.MINOR.PATCH, e.g. 0.44.0")]
pub struct FalcoVersionError {
    /// What was written.
    pub written: String,
}

impl FromStr for FalcoVersion {
    type Err = FalcoVersionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || FalcoVersionError { written: text.to_string() };
        let trimmed = text.trim();
        let trimmed = trimmed.strip_prefix('v').unwrap_or(trimmed);
        let parts: Vec<&str> = trimmed.split('.').collect();
        let number = |part: &str| -> Result<u32, FalcoVersionError> {
            if part.is_empty() || !part.chars().all(|character| character.is_ascii_digit()) {
                return Err(error());
            }
            part.parse().map_err(|_| error())
        };
        match parts[..] {
            [major, minor] => Ok(FalcoVersion::new(number(major)?, number(minor)?, 0)),
            [major, minor, patch] => Ok(FalcoVersion::new(number(major)?, number(minor)?, number(patch)?)),
            _ => Err(error()),
        }
    }
}

impl Serialize for FalcoVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FalcoVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for FalcoVersion {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FalcoVersion".into()
    }

    fn json_schema(_generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^v?[0-9]+\\.[0-9]+(\\.[0-9]+)?$",
            "description": "A Falco release, e.g. 0.44.0"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_compare_and_print() {
        let version: FalcoVersion = "0.44".parse().expect("short form");
        assert_eq!(version.to_string(), "0.44.0");
        assert!("0.38.1".parse::<FalcoVersion>().expect("full") > "0.38.0".parse().expect("full"));
        assert_eq!("v0.37.0".parse::<FalcoVersion>(), Ok(FalcoVersion::OVERRIDE));
        for bad in ["", "latest", "0", "0.x", "1.2.3.4", "-1.0", "0..1"] {
            let error = bad.parse::<FalcoVersion>().expect_err(bad);
            assert!(error.to_string().contains("MAJOR.MINOR"), "{error}");
        }
        assert_eq!(FalcoVersion::default(), FalcoVersion::new(0, 44, 0));
    }
}
