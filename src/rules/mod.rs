//! Rules over the inventory: each rule looks at the whole [`Report`] (every page and what loads
//! Heap on it) and returns [`Finding`]s. Rules are data-in, data-out: no I/O, no printing.
//!
//! One rule, one file. A rule file starts with a `//!` block that *is* its documentation (the
//! sections What it does / Why is this bad? / Example / Use instead / References), then a unit
//! struct implementing [`Rule`]. Adding a rule = one file, one line in [`RULES`], one fixture
//! folder in `fixtures/rules/<name>/`. Codes are never reused, even for a removed rule.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use regex::Regex;

use crate::baseline::Baseline;
use crate::model::{Evidence, Finding, Report, Severity};

pub mod apps;
pub mod common;
pub mod csp;
pub mod fetches;
pub mod group;

mod app_id_differs_from_web;
mod app_id_mismatch;
mod csp_blocks_heap;
mod disable_target_text;
mod duplicate_heap_load;
mod email_trait_renamed;
mod heap_and_segment_in_app;
mod heap_cloud_mode_only;
mod heap_missing_on_some_pages;
mod heap_options_differ;
mod heap_via_tag_manager;
mod mixed_heap_sdk_versions;
mod placeholder_id;
mod segment_calls_ignored_by_heap;
mod segment_loaded_twice;
mod segment_settings_unverified;
mod segment_via_gtm;
mod segment_without_heap_sdk;
mod server_side_track_calls;
mod tag_manager_unverified;
mod unused_suppression;

pub use app_id_differs_from_web::AppIdDiffersFromWeb;
pub use app_id_mismatch::AppIdMismatch;
pub use csp_blocks_heap::CspBlocksHeap;
pub use disable_target_text::DisableTargetText;
pub use duplicate_heap_load::DuplicateHeapLoad;
pub use email_trait_renamed::EmailTraitRenamed;
pub use heap_and_segment_in_app::HeapAndSegmentInApp;
pub use heap_cloud_mode_only::HeapCloudModeOnly;
pub use heap_missing_on_some_pages::HeapMissingOnSomePages;
pub use heap_options_differ::HeapOptionsDiffer;
pub use heap_via_tag_manager::HeapViaTagManager;
pub use mixed_heap_sdk_versions::MixedHeapSdkVersions;
pub use placeholder_id::PlaceholderId;
pub use segment_calls_ignored_by_heap::SegmentCallsIgnoredByHeap;
pub use segment_loaded_twice::SegmentLoadedTwice;
pub use segment_settings_unverified::SegmentSettingsUnverified;
pub use segment_via_gtm::SegmentViaGtm;
pub use segment_without_heap_sdk::SegmentWithoutHeapSdk;
pub use server_side_track_calls::ServerSideTrackCalls;
pub use tag_manager_unverified::TagManagerUnverified;
pub use unused_suppression::UnusedSuppression;

/// What the user told heap-audit about their setup.
#[derive(Default, Clone, Debug)]
pub struct Config {
    /// The Heap app id the site should use (`--expect-app-id`).
    pub expect_app_id: Option<String>,
    /// The team is not committed to Segment long-term (Heap's guide: a reason to install natively).
    /// Kept for callers of the library; the same as `segment_commitment: NotCommitted`.
    pub not_committed_to_segment: bool,
    /// Severity overrides and disabled rules (`[rules]` in the config file), by rule code.
    pub rule_levels: BTreeMap<String, RuleLevel>,
    /// The ids each environment must use (`[[environments]]`); the first that matches a page
    /// applies to it.
    pub environments: Vec<Environment>,
    /// Findings recorded earlier (`--baseline`): not reported again.
    pub baseline: Option<Baseline>,
    /// What the team states about its commitment to Segment (`--segment-commitment`).
    pub segment_commitment: Intent,
    /// Whether the team needs Heap's text capture disabled in code (`--disable-text-capture`).
    pub disable_text_capture: Intent,
    /// What the team states about Segment sources (`[[segment_sources]]`): whether Heap is one of
    /// their destinations.
    pub segment_sources: Vec<SegmentSource>,
}

/// A Segment source, told by its write key, and whether Heap is a destination of it
/// (`[[segment_sources]]`): what a repository cannot show.
#[derive(Clone, Debug)]
pub struct SegmentSource {
    pub write_key: String,
    /// A name for the report (`iOS app (production)`).
    pub name: Option<String>,
    pub heap_destination: HeapDestination,
}

impl SegmentSource {
    /// `iOS app (production) (write key Qm7T…)`, or the write key alone.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("{n} (write key {})", self.write_key),
            None => format!("write key {}", self.write_key),
        }
    }
}

/// How Heap is connected to a Segment source, as the team states it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeapDestination {
    /// Heap is a destination in cloud mode.
    Cloud,
    /// Heap is a destination in device mode (on the web; Segment's mobile SDKs have no
    /// device-mode Heap plugin, so a mobile source reaches Heap in cloud mode).
    Device,
    /// Heap is not a destination of this source.
    None,
}

impl Config {
    /// The commitment to Segment, with `not_committed_to_segment` counted as a statement.
    pub fn segment(&self) -> Intent {
        match self.segment_commitment {
            Intent::Unknown if self.not_committed_to_segment => Intent::No,
            stated => stated,
        }
    }
}

/// What the team states about one question the install path depends on (Heap's guide): yes, no,
/// or not said, in which case the advice weighs what the pages show.
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intent {
    Yes,
    No,
    #[default]
    Unknown,
}

/// What the config file says about one rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleLevel {
    /// The rule does not run (as with `--ignore`).
    Off,
    /// Every finding of the rule gets this severity.
    Severity(Severity),
}

/// A deployment of the site (production, staging, ...) and the ids it must use.
#[derive(Clone, Debug, Default)]
pub struct Environment {
    pub name: String,
    /// Host names (`www.example.com`, or `host:port`) of its pages.
    pub hosts: Vec<String>,
    /// Patterns matching its page URLs (or paths, for a build folder).
    pub urls: Vec<Regex>,
    /// The Heap app (or env) id it must use.
    pub heap_app_id: Option<String>,
    /// The Segment write key it must use.
    pub segment_write_key: Option<String>,
    /// Source mode: a pattern over the template condition that selects this environment's arm
    /// (`Rails.env.production\?`, `jekyll.environment == "production"`); the loader in that arm
    /// must use this environment's ids.
    pub condition: Option<Regex>,
}

impl Environment {
    /// Whether a page belongs to this environment: its host is one of `hosts` or its URL matches
    /// one of `urls`; an environment with neither matches every page.
    pub fn matches(&self, page_url: &str) -> bool {
        if self.hosts.is_empty() && self.urls.is_empty() {
            // An environment told by its template condition is checked arm by arm instead.
            return self.condition.is_none();
        }
        let host = url::Url::parse(page_url).ok().and_then(|u| {
            let host = u.host_str()?.to_ascii_lowercase();
            Some((u.port().map(|p| format!("{host}:{p}")), host))
        });
        let host_matches = host.is_some_and(|(with_port, host)| {
            self.hosts.iter().any(|h| {
                let h = h.trim().to_ascii_lowercase();
                h == host || with_port.as_deref() == Some(h.as_str())
            })
        });
        host_matches || self.urls.iter().any(|r| r.is_match(page_url))
    }
}

/// The first environment a page belongs to.
pub fn environment_of<'a>(
    environments: &'a [Environment],
    page_url: &str,
) -> Option<&'a Environment> {
    environments.iter().find(|e| e.matches(page_url))
}

/// What a rule sees.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub report: &'a Report,
    pub config: &'a Config,
}

/// One check over the inventory.
pub trait Rule: Sync {
    /// Stable kebab-case name naming the flagged pattern (`duplicate-heap-load`).
    fn name(&self) -> &'static str;
    /// Short stable code for SARIF and the like (`HA001`); never reused.
    fn code(&self) -> &'static str;
    /// The severity of its findings unless a finding says otherwise.
    fn severity(&self) -> Severity;
    /// One line saying what the rule flags.
    fn summary(&self) -> &'static str;
    /// The rule's documentation: its file's `//!` block, as Markdown.
    fn doc(&self) -> String;
    /// The findings for this report.
    fn check(&self, cx: &Context) -> Vec<Finding>;
}

/// Every rule, in code order. One line per rule.
pub static RULES: &[&dyn Rule] = &[
    &DuplicateHeapLoad,
    &SegmentViaGtm,
    &AppIdMismatch,
    &DisableTargetText,
    &SegmentLoadedTwice,
    &HeapViaTagManager,
    &MixedHeapSdkVersions,
    &HeapMissingOnSomePages,
    &HeapCloudModeOnly,
    &SegmentCallsIgnoredByHeap,
    &EmailTraitRenamed,
    &CspBlocksHeap,
    &SegmentSettingsUnverified,
    &TagManagerUnverified,
    &UnusedSuppression,
    &PlaceholderId,
    &SegmentWithoutHeapSdk,
    &HeapAndSegmentInApp,
    &AppIdDiffersFromWeb,
    &ServerSideTrackCalls,
    &HeapOptionsDiffer,
];

/// A `--select`/`--ignore` entry that names no rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct UnknownRule(pub String);

impl std::fmt::Display for UnknownRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown rule '{}'", self.0)?;
        match suggest(&self.0) {
            Some(name) => write!(f, ": did you mean '{name}'?"),
            None => write!(
                f,
                ": expected a rule name (e.g. duplicate-heap-load) or code (e.g. HA001); `heap-audit rules` lists them"
            ),
        }
    }
}

/// Names people reach for that mean a rule: the option a rule is about, or its old wording.
const ALIASES: &[(&str, &str)] = &[
    ("disable-text-capture", "disable-target-text"),
    ("disabletextcapture", "disable-target-text"),
    ("text-capture", "disable-target-text"),
];

/// The rule with this name (exact), alias or code (any case).
pub fn find(name_or_code: &str) -> Option<&'static dyn Rule> {
    let wanted = name_or_code.trim();
    let name = ALIASES
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(wanted))
        .map_or(wanted, |(_, name)| *name);
    RULES
        .iter()
        .copied()
        .find(|r| r.name() == name || r.code().eq_ignore_ascii_case(name))
}

/// The rule name closest to a misspelt one, if one is close.
fn suggest(wrong: &str) -> Option<&'static str> {
    let wrong = wrong.trim().to_ascii_lowercase();
    RULES
        .iter()
        .map(|r| (strsim::levenshtein(&wrong, r.name()), r.name()))
        .filter(|(distance, name)| *distance <= 3.max(name.len() / 5))
        .min()
        .map(|(_, name)| name)
}

/// The outcome of the rules.
#[derive(Clone, Debug, Default)]
pub struct Audit {
    /// What is reported.
    pub findings: Vec<Finding>,
    /// Findings left out because the baseline records them.
    pub baselined: Vec<Finding>,
    /// Findings left out because every page they concern suppresses them inline.
    pub suppressed_inline: usize,
}

/// Run the selected rules (all when `select` is empty) minus the ignored ones, findings sorted by
/// severity (highest first), rule code, then first page. See [`audit`] for the steps.
pub fn run(
    report: &Report,
    config: &Config,
    select: &[String],
    ignore: &[String],
) -> Result<Vec<Finding>, UnknownRule> {
    audit(report, config, select, ignore).map(|a| a.findings)
}

/// The rules that run: the selected ones (all when `select` is empty), minus the ignored ones and
/// those the config file turns off, in code order.
pub fn enabled(
    config: &Config,
    select: &[String],
    ignore: &[String],
) -> Result<Vec<&'static dyn Rule>, UnknownRule> {
    let lookup = |list: &[String]| -> Result<Vec<&'static str>, UnknownRule> {
        list.iter()
            .map(|s| {
                find(s)
                    .map(|r| r.code())
                    .ok_or_else(|| UnknownRule(s.clone()))
            })
            .collect()
    };
    let selected = lookup(select)?;
    let ignored = lookup(ignore)?;
    let enabled = |code: &str| {
        (selected.is_empty() || selected.contains(&code))
            && !ignored.contains(&code)
            && config.rule_levels.get(code) != Some(&RuleLevel::Off)
    };
    Ok(RULES
        .iter()
        .copied()
        .filter(|r| enabled(r.code()))
        .collect())
}

/// Run the rules, then: drop what pages suppress inline and what the baseline records, merge the
/// findings of one cause ([`group`]), report the suppressions and baseline entries that matched
/// nothing (`unused-suppression`), cap the related locations, apply the severity overrides, and
/// sort.
pub fn audit(
    report: &Report,
    config: &Config,
    select: &[String],
    ignore: &[String],
) -> Result<Audit, UnknownRule> {
    let enabled = enabled(config, select, ignore)?;
    let mut findings = Vec::new();
    let mut ran = Vec::new();
    for rule in checks(&enabled) {
        findings.extend(check(rule, report, config));
        ran.push(rule.code());
    }
    Ok(finish(report, config, &enabled, &ran, findings))
}

/// The rules of `enabled` that look at the report, in code order: all but `unused-suppression`,
/// which [`finish`] works out from what the others found. [`audit`] runs them in turn; a caller
/// that may be stopped runs them one by one with [`check`] and [`finish`]es with those that ran.
pub fn checks(enabled: &[&'static dyn Rule]) -> Vec<&'static dyn Rule> {
    enabled
        .iter()
        .copied()
        .filter(|r| r.code() != UnusedSuppression.code())
        .collect()
}

/// The findings of one rule, named with it.
pub fn check(rule: &dyn Rule, report: &Report, config: &Config) -> Vec<Finding> {
    let cx = Context { report, config };
    rule.check(&cx)
        .into_iter()
        .map(|mut f| {
            f.rule = rule.name().to_owned();
            f.code = rule.code().to_owned();
            // Kept to the end of the run: without the room left by growing them.
            f.evidence.shrink_to_fit();
            f.pages.shrink_to_fit();
            f
        })
        .collect()
}

/// The rules' findings made into the outcome (see [`audit`]): `ran` are the codes of the rules
/// whose findings `findings` holds, so that a suppression or baseline entry of a rule that did not
/// run is not called unused; `enabled` says whether `unused-suppression` itself is wanted.
pub fn finish(
    report: &Report,
    config: &Config,
    enabled: &[&'static dyn Rule],
    ran: &[&'static str],
    mut findings: Vec<Finding>,
) -> Audit {
    let (suppressed_inline, mut unused) =
        unused_suppression::apply_inline(report, &mut findings, ran);
    let baselined = match &config.baseline {
        Some(baseline) => {
            let applied = baseline.apply(report, &mut findings, ran);
            if !applied.stale.is_empty() {
                let paths = unused_suppression::PagePaths::of(report);
                unused.extend(
                    applied
                        .stale
                        .iter()
                        .map(|e| UnusedSuppression.stale(report, &paths, baseline, e)),
                );
            }
            applied.baselined
        }
        None => Vec::new(),
    };
    // The baseline matched the findings as the rules made them; those of one cause are now one
    // (showing what `cap` would: the rest of their locations is in their parts).
    let mut findings = group::merge_showing(findings, Finding::RELATED_SHOWN);
    let baselined = group::merge(baselined);
    if enabled.iter().any(|r| r.code() == UnusedSuppression.code()) {
        findings.extend(unused);
    }
    group::cap(&mut findings);
    for f in &mut findings {
        if let Some(RuleLevel::Severity(s)) = config.rule_levels.get(&f.code) {
            f.severity = *s;
        }
    }
    sort(&mut findings);
    Audit {
        findings,
        baselined,
        suppressed_inline,
    }
}

/// Deterministic order: severity (highest first), rule code, first page, message.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        let key = |f: &Finding| {
            (
                Reverse(f.severity),
                f.code.clone(),
                f.pages.first().cloned().unwrap_or_default(),
                f.message.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
}

/// A finding of `rule`.
pub fn finding(
    rule: &dyn Rule,
    severity: Severity,
    message: String,
    help: String,
    pages: Vec<String>,
    evidence: Vec<Evidence>,
) -> Finding {
    Finding {
        rule: rule.name().to_owned(),
        code: rule.code().to_owned(),
        severity,
        message,
        help,
        pages,
        evidence,
        related_total: None,
        cause: None,
        parts: Vec::new(),
    }
}

/// The leading `//!` block of a rule's source, without the comment markers.
pub fn doc_from_source(source: &str) -> String {
    let mut out = String::new();
    for line in source.lines() {
        let Some(rest) = line.trim_start().strip_prefix("//!") else {
            break;
        };
        out.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_is_the_leading_comment_block() {
        let src = "//! ## What it does\n//! Flags.\n//!\n//!     code\nuse x;\n//! not this\n";
        assert_eq!(
            doc_from_source(src),
            "## What it does\nFlags.\n\n    code\n"
        );
    }

    #[test]
    fn lookup_by_name_or_code() {
        assert_eq!(find("duplicate-heap-load").map(|r| r.code()), Some("HA001"));
        assert_eq!(find("ha003").map(|r| r.name()), Some("app-id-mismatch"));
        assert!(find("no-such-rule").is_none());
    }
}
