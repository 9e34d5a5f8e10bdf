//! Baselines: the findings of a run recorded in a file (`--write-baseline FILE`), so that later
//! runs (`--baseline FILE`) report only what is new. A team can adopt heap-audit on a messy site
//! and fail CI only on new problems.
//!
//! An entry identifies a finding by what it is about, not by how it is worded or where the code
//! sits: its `fingerprint` hashes the rule code and the ids of the installs the finding names
//! (`heap:1535634150`, `segment:q8Xk…`, `gtm:GTM-K7PQ2XD`); `pages` lists the pages concerned,
//! as paths (a URL's origin is left out, so a baseline written on one preview deployment holds on
//! the next). A finding is recorded when an entry has its fingerprint and lists all its pages
//! (fixing a page keeps it recorded; a new page with the problem is new). An entry that no finding
//! of a rule that ran uses, on a page that was audited, is stale: the rules report it as an
//! `unused-suppression`. `rule`, `url` and `message` are for people reviewing the file.
//!
//! Entries are of the findings as the rules made them ([`Finding::as_made`]): a reported finding
//! that merges several of one cause records one entry per part, and the baseline is applied before
//! findings are merged, so a baseline written before findings were grouped keeps matching.
//!
//! Linear in pages, installs and findings: what a fingerprint or a page path needs from the
//! report is indexed once ([`Index`]), and entries are looked up by fingerprint.

use crate::hashing::{HashMap, HashSet};
use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::{Evidence, Finding, Report};

/// The baseline file layout version.
pub const VERSION: u32 = 1;

/// A baseline file.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// [`VERSION`].
    pub version: u32,
    /// The heap-audit version that wrote it.
    #[serde(default)]
    pub tool: String,
    /// One entry per finding.
    pub findings: Vec<Entry>,
    /// The file it was read from, for messages.
    #[serde(skip)]
    pub path: String,
}

/// One recorded finding.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Rule code (`HA001`).
    pub code: String,
    /// Rule name, for people.
    pub rule: String,
    /// Hash of the rule code and the ids: see the module documentation.
    pub fingerprint: String,
    /// The ids of the installs the finding names (`vendor:id`).
    #[serde(default)]
    pub ids: Vec<String>,
    /// The pages concerned, as paths.
    pub pages: Vec<String>,
    /// The finding's first page as reported, for people.
    #[serde(default)]
    pub url: String,
    /// The finding's message when it was recorded, for people.
    #[serde(default)]
    pub message: String,
}

/// Why a baseline file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    // The causes are in the messages, not `source()`: `{:#}` would print them twice.
    #[error("baseline {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("baseline {path}: not a heap-audit baseline: {error}")]
    Parse {
        path: String,
        error: serde_json::Error,
    },
    #[error("baseline {path}: version {found} is not supported (expected {VERSION})")]
    Version { path: String, found: u32 },
    #[error("baseline {path}: {error}")]
    Write { path: String, error: std::io::Error },
}

/// Write a baseline that records `findings` of this report (`audit::Audit::to_record` says which
/// findings of a run belong in it).
pub fn write<'a>(
    path: &Path,
    report: &Report,
    findings: impl IntoIterator<Item = &'a Finding>,
) -> Result<(), BaselineError> {
    std::fs::write(path, Baseline::record(report, findings).to_json()).map_err(|error| {
        BaselineError::Write {
            path: path.display().to_string(),
            error,
        }
    })
}

/// What a baseline did to a run's findings.
#[derive(Debug, Default)]
pub struct Applied<'a> {
    /// Findings left out because an entry records them.
    pub baselined: Vec<Finding>,
    /// Entries that matched nothing (of rules that ran, on pages that were audited).
    pub stale: Vec<&'a Entry>,
}

impl Baseline {
    /// Record these findings of this report.
    pub fn record<'a>(
        report: &Report,
        findings: impl IntoIterator<Item = &'a Finding>,
    ) -> Baseline {
        let index = Index::of(report);
        // The findings as the rules made them: a finding merged from several records each.
        let findings = findings
            .into_iter()
            .flat_map(Finding::as_made)
            .map(|f| {
                let key = Key::of(&index, f);
                Entry {
                    code: f.code.clone(),
                    rule: f.rule.clone(),
                    fingerprint: key.fingerprint,
                    ids: key.ids,
                    pages: key.pages.into_iter().collect(),
                    url: f.pages.first().cloned().unwrap_or_default(),
                    message: f.message.clone(),
                }
            })
            .collect();
        Baseline {
            version: VERSION,
            tool: format!("heap-audit {}", env!("CARGO_PKG_VERSION")),
            findings,
            path: String::new(),
        }
    }

    /// Read a baseline file.
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| BaselineError::Read {
            path: shown.clone(),
            error,
        })?;
        let mut baseline: Baseline =
            serde_json::from_str(&text).map_err(|error| BaselineError::Parse {
                path: shown.clone(),
                error,
            })?;
        if baseline.version != VERSION {
            return Err(BaselineError::Version {
                path: shown,
                found: baseline.version,
            });
        }
        baseline.path = shown;
        Ok(baseline)
    }

    /// The file's text: pretty JSON, entries in a stable order, so that it diffs well.
    pub fn to_json(&self) -> String {
        let mut sorted = self.clone();
        sorted.findings.sort_by(|a, b| {
            (&a.code, &a.pages, &a.fingerprint).cmp(&(&b.code, &b.pages, &b.fingerprint))
        });
        let mut text = serde_json::to_string_pretty(&sorted).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Take the recorded findings out of `findings`; `ran` are the codes of the rules that ran.
    pub fn apply(&self, report: &Report, findings: &mut Vec<Finding>, ran: &[&str]) -> Applied<'_> {
        let index = Index::of(report);
        let keys: Vec<Key> = findings.iter().map(|f| Key::of(&index, f)).collect();
        // The entries by fingerprint, each with its pages as a set.
        let mut entries: HashMap<&str, Vec<HashSet<&str>>> = HashMap::default();
        for e in &self.findings {
            entries
                .entry(e.fingerprint.as_str())
                .or_default()
                .push(e.pages.iter().map(String::as_str).collect());
        }
        let recorded = |key: &Key| {
            entries.get(key.fingerprint.as_str()).is_some_and(|pages| {
                pages
                    .iter()
                    .any(|e| key.pages.iter().all(|p| e.contains(p.as_str())))
            })
        };
        let by_fingerprint: HashMap<&str, Vec<&Key>> =
            keys.iter().fold(HashMap::default(), |mut map, k| {
                map.entry(k.fingerprint.as_str()).or_default().push(k);
                map
            });
        let audited: BTreeSet<String> = report
            .pages
            .iter()
            .map(|p| index.page_key(&p.url))
            .collect();
        let stale = self
            .findings
            .iter()
            .filter(|e| ran.contains(&e.code.as_str()))
            .filter(|e| e.pages.is_empty() || e.pages.iter().any(|p| audited.contains(p)))
            .filter(|e| {
                !by_fingerprint
                    .get(e.fingerprint.as_str())
                    .into_iter()
                    .flatten()
                    .any(|k| {
                        e.pages.iter().any(|p| k.pages.contains(p))
                            || (k.pages.is_empty() && e.pages.is_empty())
                    })
            })
            .collect();
        let mut baselined = Vec::new();
        let mut kept = Vec::new();
        for (finding, key) in findings.drain(..).zip(&keys) {
            if recorded(key) {
                baselined.push(finding);
            } else {
                kept.push(finding);
            }
        }
        *findings = kept;
        Applied { baselined, stale }
    }
}

/// What identifies a finding across runs.
struct Key {
    fingerprint: String,
    ids: Vec<String>,
    pages: BTreeSet<String>,
}

impl Key {
    fn of(index: &Index, finding: &Finding) -> Key {
        // The ids named are those of the installs whose evidence the finding cites.
        let ids: BTreeSet<String> = finding
            .evidence
            .iter()
            .flat_map(|e| index.ids_of(e))
            .cloned()
            .collect();
        let ids: Vec<String> = ids.into_iter().collect();
        let mut text = finding.code.clone();
        for id in &ids {
            text.push('\0');
            text.push_str(id);
        }
        Key {
            fingerprint: format!("{:016x}", fnv1a(text.as_bytes())),
            ids,
            pages: finding.pages.iter().map(|p| index.page_key(p)).collect(),
        }
    }
}

/// What fingerprints and page paths need from a report, indexed once: each page's site by URL,
/// and the install ids by their evidence. Built in O(pages + installs); each lookup is O(1) (a
/// hash, then equality within the bucket).
pub struct Index<'a> {
    /// Page URL -> the site of the first page with that URL.
    site_of: HashMap<&'a str, &'a str>,
    /// Hash of an evidence -> the evidences with that hash and the `vendor:id` of every install
    /// that has it.
    ids: HashMap<u64, Vec<(&'a Evidence, BTreeSet<String>)>>,
}

impl<'a> Index<'a> {
    pub fn of(report: &'a Report) -> Index<'a> {
        let mut site_of: HashMap<&str, &str> = HashMap::default();
        let mut ids: HashMap<u64, Vec<(&Evidence, BTreeSet<String>)>> = HashMap::default();
        for page in &report.pages {
            site_of
                .entry(page.url.as_str())
                .or_insert(page.site.as_str());
            for install in &page.installs {
                let bucket = ids.entry(evidence_hash(&install.evidence)).or_default();
                let at = match bucket.iter().position(|(e, _)| **e == install.evidence) {
                    Some(at) => at,
                    None => {
                        bucket.push((&install.evidence, BTreeSet::new()));
                        bucket.len() - 1
                    }
                };
                if let Some(id) = install.id.as_deref() {
                    bucket[at]
                        .1
                        .insert(format!("{}:{id}", install.vendor.as_str()));
                }
            }
        }
        Index { site_of, ids }
    }

    /// The `vendor:id` of the installs with this evidence.
    fn ids_of<'s>(&'s self, evidence: &'s Evidence) -> impl Iterator<Item = &'s String> {
        self.ids
            .get(&evidence_hash(evidence))
            .into_iter()
            .flatten()
            .filter(move |(e, _)| *e == evidence)
            .flat_map(|(_, ids)| ids)
    }

    /// [`page_key`], with the page's site looked up here.
    pub fn page_key(&self, page: &str) -> String {
        page_key_in(page, |url| self.site_of.get(url).copied())
    }
}

/// An [`Evidence`]'s hash over every field its equality compares (the same for equal evidence
/// within a run; not stable across releases, unlike the fingerprints).
pub fn evidence_hash(e: &Evidence) -> u64 {
    crate::hashing::hash_of(&(
        &e.source,
        e.line,
        &e.snippet,
        &e.signature,
        &e.tag,
        e.offset,
    ))
}

/// A finding's identity across runs, for code scanning (SARIF `partialFingerprints`): what the
/// baseline matches on (rule, install ids, pages as paths) plus where its evidence is (as paths)
/// and what it quotes, so two findings of one rule on one page stay apart, and a preview deployed
/// on another host or port keeps its alerts.
///
/// `index` is the report's [`Index`], built once for all its findings.
pub fn identity(index: &Index, finding: &Finding) -> String {
    match finding.as_made().as_slice() {
        [one] => made_identity(index, one),
        parts => grouped_identity(index, finding, parts),
    }
}

/// The identity of a finding merged from several of one cause: the rule, the fingerprints of its
/// parts (the cause), and its primary location as a path and what it quotes.
fn grouped_identity(index: &Index, finding: &Finding, parts: &[&Finding]) -> String {
    let mut fingerprints: Vec<String> = parts
        .iter()
        .map(|f| Key::of(index, f).fingerprint)
        .collect();
    fingerprints.sort();
    fingerprints.dedup();
    let mut text = finding.code.clone();
    for f in &fingerprints {
        text.push('\0');
        text.push_str(f);
    }
    if let Some(e) = finding.evidence.first() {
        text.push('\0');
        text.push_str(&index.page_key(&e.source));
        text.push('\0');
        text.push_str(&e.snippet);
    }
    format!("{:016x}", fnv1a(text.as_bytes()))
}

/// [`identity`] of a finding as a rule made it (unchanged since before findings were grouped).
fn made_identity(index: &Index, finding: &Finding) -> String {
    let key = Key::of(index, finding);
    let mut text = key.fingerprint;
    for page in &key.pages {
        text.push('\0');
        text.push_str(page);
    }
    for e in &finding.evidence {
        text.push('\0');
        text.push_str(&index.page_key(&e.source));
        text.push('\0');
        text.push_str(&e.snippet);
    }
    format!("{:016x}", fnv1a(text.as_bytes()))
}

/// A page as a path: a URL without its origin, a file relative to the folder audited. This
/// searches the report's pages for a local file's site: for many pages, use [`Index::page_key`].
pub fn page_key(report: &Report, page: &str) -> String {
    page_key_in(page, |url| {
        report
            .pages
            .iter()
            .find(|p| p.url == url)
            .map(|p| p.site.as_str())
    })
}

/// [`page_key`] with `site_of` giving the site of the page with a URL.
fn page_key_in<'s>(page: &str, site_of: impl FnOnce(&str) -> Option<&'s str>) -> String {
    if let Ok(url) = url::Url::parse(page) {
        if matches!(url.scheme(), "http" | "https") {
            return match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_owned(),
            };
        }
    }
    match site_of(page).and_then(|s| page.strip_prefix(s)) {
        Some(rest) => format!("/{}", rest.trim_start_matches('/')),
        None => page.to_owned(),
    }
}

/// FNV-1a, 64 bits: stable across platforms and releases, unlike `std`'s hashers.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Evidence, Install, Page, Severity, Vendor, Via};

    fn report() -> Report {
        let mut page = Page::new(
            "https://preview-1.example.com/cart?x=1".into(),
            "https://preview-1.example.com".into(),
            0,
        );
        let evidence = Evidence {
            source: page.url.clone(),
            line: Some(12),
            ..Evidence::default()
        };
        page.installs.push(Install::new(
            Vendor::Heap,
            Some("123456".into()),
            Via::Native,
            evidence,
        ));
        let mut other = Page::new(
            "https://preview-1.example.com/".into(),
            "https://preview-1.example.com".into(),
            0,
        );
        other.status = Some(200);
        Report {
            schema_version: 1,
            tool: crate::model::Tool {
                name: "heap-audit".into(),
                version: "test".into(),
            },
            targets: Vec::new(),
            pages: vec![page, other],
            findings: Vec::new(),
            recommendation: None,
            problems: Vec::new(),
            unverified: Vec::new(),
            summary: Default::default(),
            sources: Vec::new(),
            coverage: Vec::new(),
            render: None,
        }
    }

    fn finding(message: &str, pages: &[&str], line: u32) -> Finding {
        Finding {
            rule: "duplicate-heap-load".into(),
            code: "HA001".into(),
            severity: Severity::Error,
            message: message.into(),
            help: String::new(),
            pages: pages.iter().map(|p| p.to_string()).collect(),
            evidence: vec![Evidence {
                source: pages[0].into(),
                line: Some(line),
                ..Evidence::default()
            }],
            related_total: None,
            cause: None,
            parts: Vec::new(),
        }
    }

    #[test]
    fn the_fingerprint_ignores_wording_lines_and_origin() {
        let r = report();
        let a = Key::of(
            &Index::of(&r),
            &finding(
                "heap loads 2 times",
                &["https://preview-1.example.com/cart?x=1"],
                12,
            ),
        );
        assert_eq!(a.ids, vec!["heap:123456"]);
        assert_eq!(a.pages.iter().collect::<Vec<_>>(), vec!["/cart?x=1"]);
        let mut moved = r.clone();
        moved.pages[0].installs[0].evidence.line = Some(40);
        let b = Key::of(
            &Index::of(&moved),
            &finding(
                "Heap is loaded twice",
                &["https://preview-1.example.com/cart?x=1"],
                40,
            ),
        );
        assert_eq!(a.fingerprint, b.fingerprint);
        let other_rule = Finding {
            code: "HA003".into(),
            ..finding("x", &["https://preview-1.example.com/cart?x=1"], 12)
        };
        assert_ne!(
            Key::of(&Index::of(&r), &other_rule).fingerprint,
            a.fingerprint
        );
    }

    #[test]
    fn recorded_findings_are_left_out_and_stale_entries_named() {
        let r = report();
        let cart = finding("m", &["https://preview-1.example.com/cart?x=1"], 12);
        let home = Finding {
            code: "HA005".into(),
            ..finding("m", &["https://preview-1.example.com/"], 1)
        };
        let baseline = Baseline::record(&r, [&cart, &home]);
        let text = baseline.to_json();
        let read: Baseline = serde_json::from_str(&text).unwrap();
        assert_eq!(read.findings.len(), 2);

        // The cart finding is still there, the home one is gone: one recorded, one stale.
        let mut findings = vec![cart.clone()];
        let applied = read.apply(&r, &mut findings, &["HA001", "HA005"]);
        assert!(findings.is_empty());
        assert_eq!(applied.baselined, vec![cart.clone()]);
        assert_eq!(
            applied
                .stale
                .iter()
                .map(|e| e.code.as_str())
                .collect::<Vec<_>>(),
            vec!["HA005"]
        );
        // A rule that did not run has no stale entries.
        let mut findings = vec![cart.clone()];
        assert!(read.apply(&r, &mut findings, &["HA001"]).stale.is_empty());
        // The same problem on a new page is new.
        let spread = finding(
            "m",
            &[
                "https://preview-1.example.com/cart?x=1",
                "https://preview-1.example.com/",
            ],
            12,
        );
        let mut findings = vec![spread];
        assert!(read
            .apply(&r, &mut findings, &["HA001"])
            .baselined
            .is_empty());
        assert_eq!(findings.len(), 1);
    }
}
