//! The optional configuration file, `heap-audit.toml`: what a team states once instead of on every
//! command line. Flags given on the command line win over the file.
//!
//! ```toml
//! expect_app_id = "1535634150"        # the Heap app id production must use
//! not_committed_to_segment = true     # Heap's guide: then install Heap natively
//! fail_on = "warning"                 # error | warning | info | never
//! select = []                         # rule names or codes; empty = all
//! ignore = ["heap-missing-on-some-pages"]
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The file looked for in the current directory when `--config` is not given.
pub const DEFAULT_FILE: &str = "heap-audit.toml";

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub expect_app_id: Option<String>,
    pub not_committed_to_segment: Option<bool>,
    pub fail_on: Option<String>,
    #[serde(default)]
    pub select: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
}

/// Read the config file: the one given, else `heap-audit.toml` here if it exists, else defaults.
pub fn load(explicit: Option<&Path>) -> Result<FileConfig, ConfigError> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None if Path::new(DEFAULT_FILE).is_file() => PathBuf::from(DEFAULT_FILE),
        None => return Ok(FileConfig::default()),
    };
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
        path: path.clone(),
        source,
    })?;
    parse(&text).map_err(|message| ConfigError::Parse { path, message })
}

/// Parse the text of a config file.
pub fn parse(text: &str) -> Result<FileConfig, String> {
    toml::from_str(text).map_err(|e| e.to_string().trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_file() {
        let c = parse(
            "expect_app_id = \"1535634150\"\nnot_committed_to_segment = true\nfail_on = \"warning\"\nignore = [\"HA006\"]\n",
        )
        .unwrap();
        assert_eq!(c.expect_app_id.as_deref(), Some("1535634150"));
        assert_eq!(c.not_committed_to_segment, Some(true));
        assert_eq!(c.fail_on.as_deref(), Some("warning"));
        assert_eq!(c.ignore, vec!["HA006"]);
        assert!(c.select.is_empty());
    }

    #[test]
    fn typos_are_errors_not_silence() {
        let err = parse("expect_appid = \"1\"\n").unwrap_err();
        assert!(err.contains("expect_appid"), "{err}");
    }

    #[test]
    fn a_missing_explicit_file_is_an_error() {
        assert!(load(Some(Path::new("/no/such/heap-audit.toml"))).is_err());
    }
}
