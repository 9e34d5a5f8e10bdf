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
    /// Literals every match contains, for a pattern that does not begin with one: a text without
    /// one of them is skipped with memmem passes instead of a regex scan (see
    /// [`required_literals`]).
    pub required: Vec<memchr::memmem::Finder<'static>>,
}

impl Pattern {
    /// Whether `hay` can hold a match: `false` means it holds none.
    pub fn may_match(&self, hay: &str) -> bool {
        self.required
            .iter()
            .all(|f| f.find(hay.as_bytes()).is_some())
    }

    /// `regex.find_iter`, without scanning a text that cannot match.
    pub fn find_iter<'h>(&'h self, hay: &'h str) -> impl Iterator<Item = regex::Match<'h>> + 'h {
        self.may_match(hay)
            .then(|| self.regex.find_iter(hay))
            .into_iter()
            .flatten()
    }

    /// `regex.captures_iter`, without scanning a text that cannot match.
    pub fn captures_iter<'h>(
        &'h self,
        hay: &'h str,
    ) -> impl Iterator<Item = regex::Captures<'h>> + 'h {
        self.may_match(hay)
            .then(|| self.regex.captures_iter(hay))
            .into_iter()
            .flatten()
    }

    /// `regex.captures`, without scanning a text that cannot match.
    pub fn captures<'h>(&self, hay: &'h str) -> Option<regex::Captures<'h>> {
        self.may_match(hay)
            .then(|| self.regex.captures(hay))
            .flatten()
    }
}

/// Literals that every match of `pattern` contains, when the pattern does not begin with a
/// literal (the regex engine uses a leading literal itself; an inner one it often cannot, and then
/// runs its automaton over the whole text): the literal parts of the pattern's top-level
/// sequence of three bytes or more, longest first. Empty when there are none.
fn required_literals(pattern: &str) -> Vec<memchr::memmem::Finder<'static>> {
    use regex_syntax::hir::{Hir, HirKind};
    fn sequence(hir: &Hir) -> Option<&[Hir]> {
        match hir.kind() {
            HirKind::Concat(parts) => Some(parts),
            HirKind::Capture(group) => sequence(&group.sub),
            _ => None,
        }
    }
    let Ok(hir) = regex_syntax::Parser::new().parse(pattern) else {
        return Vec::new();
    };
    let Some(parts) = sequence(&hir) else {
        return Vec::new();
    };
    let first = parts.iter().find(|p| !matches!(p.kind(), HirKind::Look(_)));
    if first.is_none_or(|p| matches!(p.kind(), HirKind::Literal(_))) {
        return Vec::new();
    }
    let mut literals: Vec<&[u8]> = parts
        .iter()
        .filter_map(|p| match p.kind() {
            HirKind::Literal(literal) => Some(&literal.0[..]),
            _ => None,
        })
        .filter(|literal| literal.len() >= 3)
        .collect();
    literals.sort_by_key(|literal| std::cmp::Reverse(literal.len()));
    literals
        .into_iter()
        .map(|literal| memchr::memmem::Finder::new(literal).into_owned())
        .collect()
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
    /// Every vendor's `src` patterns in one set: a script URL that matches none (most of a
    /// site's own files) is passed over in one scan instead of one per pattern.
    pub any_src: regex::RegexSet,
    /// Scans of the short scripts these signatures found something in, by text: a site repeats
    /// the same inline snippets on every page, and each is matched once.
    pub(crate) memo: super::detect::ScanMemo,
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
        let (heap, segment, gtm) = (
            take(Vendor::Heap)?,
            take(Vendor::Segment)?,
            take(Vendor::Gtm)?,
        );
        let (tealium, adobe_launch) = (take(Vendor::Tealium)?, take(Vendor::AdobeLaunch)?);
        let src = [&heap, &segment, &gtm, &tealium, &adobe_launch]
            .into_iter()
            .flat_map(|v| v.src.iter().map(|p| p.regex.as_str()));
        let any_src = regex::RegexSet::new(src).map_err(|source| SignatureError::Regex {
            file: "rules/".into(),
            name: "src (all vendors)".into(),
            source,
        })?;

        Ok(Signatures {
            heap,
            segment,
            gtm,
            tealium,
            adobe_launch,
            any_src,
            memo: Default::default(),
        })
    }
}

impl Signatures {
    /// Whether code can hold anything a signature looks for (an anchor, a call, an API call):
    /// code that cannot is neither parsed nor scanned. Each pattern's required literals are
    /// looked for first (memchr), so most scripts of a page are passed over without a regex.
    pub fn may_hold(&self, code: &str) -> bool {
        [
            &self.heap,
            &self.segment,
            &self.gtm,
            &self.tealium,
            &self.adobe_launch,
        ]
        .into_iter()
        .flat_map(|v| v.anchor.iter().chain(&v.call).chain(&v.api))
        .any(|p| p.may_match(code) && p.regex.is_match(code))
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
                    required: required_literals(&p.pattern),
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

    fn literals(pattern: &str) -> Vec<String> {
        required_literals(pattern)
            .iter()
            .map(|f| String::from_utf8_lossy(f.needle()).into_owned())
            .collect()
    }

    #[test]
    fn required_literals_are_the_sequence_literals() {
        // The literal parts of the top-level sequence, longest first.
        assert_eq!(
            literals(r"(?P<host>[a-z.]+)\\?/analytics\.js\\?/v1\\?/"),
            ["/analytics.js", "/v1"]
        );
        assert_eq!(literals(r"[A-Za-z0-9_$\]]\.load\s*\("), [".load"]);
        assert_eq!(
            literals(r"(?P<value>[A-Za-z_$][\w$]*)\.load\s*=\s*function"),
            ["function", ".load"]
        );
        // A leading literal is the regex engine's own prefilter (also after `\b`).
        assert!(literals(r"heap\.load\(").is_empty());
        assert!(literals(r"\banalytics\.(page|track)\s*\(").is_empty());
        // Nothing outside the top-level sequence: alternatives, optional or repeated parts.
        assert_eq!(literals(r"[a-z]+(?:foo|bar)baz"), ["baz"]);
        assert!(literals(r"[a-z]+(?:foobar)?x").is_empty());
        assert!(literals(r"x|[a-z]+foobar").is_empty());
        // Case-insensitive text is not a literal.
        assert!(literals(r"[a-z]+(?i:foobar)").is_empty());
    }

    /// Every match of every built-in signature, on every fixture, contains its required literals:
    /// the prefilter never hides a match.
    #[test]
    fn required_literals_never_hide_a_match() {
        let sigs = Signatures::builtin().expect("built-in signatures are valid");
        let mut texts = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from("fixtures")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if let Ok(text) = std::fs::read_to_string(&path) {
                    texts.push(text);
                }
            }
        }
        assert!(texts.len() > 50, "fixtures found: {}", texts.len());
        let mut checked = 0;
        for v in [
            &sigs.heap,
            &sigs.segment,
            &sigs.gtm,
            &sigs.tealium,
            &sigs.adobe_launch,
        ] {
            for p in [&v.src, &v.iframe, &v.anchor, &v.capture, &v.call, &v.api]
                .into_iter()
                .flatten()
                .filter(|p| !p.required.is_empty())
            {
                for text in &texts {
                    for m in p.regex.find_iter(text) {
                        assert!(p.may_match(m.as_str()), "{}: {:?}", p.name, m.as_str());
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 0);
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
