//! The vendor signatures in the top-level `rules/` folder, embedded in the binary and compiled once.
//!
//! Recognising a new URL form or snippet variant is a change to those TOML files, not to Rust:
//! this module only loads and validates them. How each list is used is in `detect.rs`.

use std::sync::OnceLock;

use regex::Regex;
use serde::Deserialize;

use crate::model::{Sdk, Vendor};

/// The built-in signature files, in the order they are applied.
const BUILTIN: &[(&str, &str)] = &[
    ("rules/heap.toml", include_str!("../../rules/heap.toml")),
    (
        "rules/segment.toml",
        include_str!("../../rules/segment.toml"),
    ),
    ("rules/gtm.toml", include_str!("../../rules/gtm.toml")),
    (
        "rules/tealium.toml",
        include_str!("../../rules/tealium.toml"),
    ),
    (
        "rules/adobe-launch.toml",
        include_str!("../../rules/adobe-launch.toml"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    #[error("{file}: {message}")]
    Toml { file: String, message: String },
    #[error("{file}: signature `{name}`: {source}")]
    Regex {
        file: String,
        name: String,
        source: regex::Error,
    },
    #[error("{file}: no signatures for vendor `{vendor}`")]
    Missing { file: String, vendor: &'static str },
}

/// One compiled pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub name: String,
    pub regex: Regex,
    pub sdk: Option<Sdk>,
    /// For `[[capture]]`: which field the `value` group holds.
    pub field: Option<String>,
    /// For `[[call]]`: what an id read from the call's first argument must look like.
    pub id: Option<Regex>,
}

/// All signatures of one vendor.
#[derive(Debug, Clone)]
pub struct VendorSignatures {
    pub vendor: Vendor,
    pub src: Vec<Pattern>,
    pub iframe: Vec<Pattern>,
    pub anchor: Vec<Pattern>,
    pub capture: Vec<Pattern>,
    pub call: Vec<Pattern>,
    pub api: Vec<Pattern>,
    pub hosts: Vec<String>,
    pub lookalike_hosts: Vec<String>,
    pub follow: Option<String>,
    pub default_host: Option<String>,
}

impl VendorSignatures {
    /// The `[[capture]]` patterns for one field.
    pub fn captures<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a Pattern> + 'a {
        self.capture
            .iter()
            .filter(move |p| p.field.as_deref() == Some(field))
    }
}

/// Every vendor's signatures.
#[derive(Debug, Clone)]
pub struct Signatures {
    pub heap: VendorSignatures,
    pub segment: VendorSignatures,
    pub gtm: VendorSignatures,
    pub tealium: VendorSignatures,
    pub adobe_launch: VendorSignatures,
}

impl Signatures {
    /// The built-in signatures, parsed and compiled on first use.
    pub fn builtin() -> Result<&'static Signatures, &'static SignatureError> {
        static BUILT: OnceLock<Result<Signatures, SignatureError>> = OnceLock::new();
        BUILT
            .get_or_init(|| Signatures::from_files(BUILTIN))
            .as_ref()
    }

    /// Parse and compile signature files given as `(name, text)`.
    pub fn from_files(files: &[(&str, &str)]) -> Result<Signatures, SignatureError> {
        let mut all = Vec::new();
        for (file, text) in files {
            all.push(compile(file, text)?);
        }
        let mut take = |vendor: Vendor| {
            all.iter()
                .position(|v| v.vendor == vendor)
                .map(|i| all.swap_remove(i))
                .ok_or(SignatureError::Missing {
                    file: "rules/".into(),
                    vendor: vendor.as_str(),
                })
        };
        Ok(Signatures {
            heap: take(Vendor::Heap)?,
            segment: take(Vendor::Segment)?,
            gtm: take(Vendor::Gtm)?,
            tealium: take(Vendor::Tealium)?,
            adobe_launch: take(Vendor::AdobeLaunch)?,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    vendor: Vendor,
    #[serde(default)]
    src: Vec<RawPattern>,
    #[serde(default)]
    iframe: Vec<RawPattern>,
    #[serde(default)]
    anchor: Vec<RawPattern>,
    #[serde(default)]
    capture: Vec<RawPattern>,
    #[serde(default)]
    call: Vec<RawPattern>,
    #[serde(default)]
    api: Vec<RawPattern>,
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(default)]
    lookalike_hosts: Vec<String>,
    follow: Option<String>,
    default_host: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPattern {
    name: String,
    pattern: String,
    sdk: Option<Sdk>,
    field: Option<String>,
    id: Option<String>,
}

fn compile(file: &str, text: &str) -> Result<VendorSignatures, SignatureError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| SignatureError::Toml {
        file: file.to_owned(),
        message: e.to_string(),
    })?;
    let patterns = |list: Vec<RawPattern>| -> Result<Vec<Pattern>, SignatureError> {
        list.into_iter()
            .map(|p| {
                let regex = Regex::new(&p.pattern).map_err(|source| SignatureError::Regex {
                    file: file.to_owned(),
                    name: p.name.clone(),
                    source,
                })?;
                let id = match &p.id {
                    Some(id) => Some(Regex::new(id).map_err(|source| SignatureError::Regex {
                        file: file.to_owned(),
                        name: p.name.clone(),
                        source,
                    })?),
                    None => None,
                };
                Ok(Pattern {
                    name: p.name,
                    regex,
                    sdk: p.sdk,
                    field: p.field,
                    id,
                })
            })
            .collect()
    };
    Ok(VendorSignatures {
        vendor: raw.vendor,
        src: patterns(raw.src)?,
        iframe: patterns(raw.iframe)?,
        anchor: patterns(raw.anchor)?,
        capture: patterns(raw.capture)?,
        call: patterns(raw.call)?,
        api: patterns(raw.api)?,
        hosts: raw.hosts,
        lookalike_hosts: raw.lookalike_hosts,
        follow: raw.follow,
        default_host: raw.default_host,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_signatures_parse_and_compile() {
        let sigs = Signatures::builtin().expect("built-in signatures are valid");
        assert!(!sigs.heap.anchor.is_empty() && !sigs.heap.call.is_empty());
        assert!(sigs.segment.hosts.iter().any(|h| h == "cdn.segment.com"));
        assert!(sigs.gtm.follow.is_some());
    }

    #[test]
    fn a_bad_regex_names_its_file_and_signature() {
        let err = Signatures::from_files(&[(
            "rules/x.toml",
            "vendor = \"heap\"\n[[src]]\nname = \"bad\"\npattern = \"(\"\n",
        )])
        .unwrap_err();
        assert!(
            err.to_string().contains("rules/x.toml: signature `bad`"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = Signatures::from_files(&[("rules/x.toml", "vendor = \"heap\"\npatern = 1\n")])
            .unwrap_err();
        assert!(err.to_string().contains("patern"), "{err}");
    }
}
