//! ## What it does
//! Flags suppressions that suppress nothing:
//! - an inline `<!-- heap-audit-ignore: RULE -- reason -->` comment in a page when no finding of
//!   that rule concerns the page (or when it names no rule at all);
//! - an entry of the `--baseline` file that no finding matches any more.
//!
//! Only rules that ran are judged (with `--select HA001`, a suppression of HA003 is not unused),
//! and a baseline entry only when one of its pages was audited. A finding is suppressed inline
//! when every page it concerns carries the comment.
//!
//! ## Why is this bad?
//! A suppression outlives the problem it was written for: once the double load is fixed, the
//! comment or baseline entry stays and would silently hide the problem if it came back. Like
//! ruff's `unused-noqa`, reporting them keeps suppressions honest and the baseline shrinking.
//!
//! ## Example
//! ```html
//! <!-- heap-audit-ignore: segment-via-gtm -- Segment moves out of GTM in Q3 -->
//! <!-- ...but the page no longer loads Segment through GTM -->
//! <script>!function(){var analytics=window.analytics=window.analytics||[]; /* ... */}();</script>
//! ```
//!
//! ## Use instead
//! Remove the comment (or write the baseline again with `--write-baseline FILE`):
//! ```html
//! <script>!function(){var analytics=window.analytics=window.analytics||[]; /* ... */}();</script>
//! ```
//!
//! ## References
//! - ruff, unused-noqa (RUF100): <https://docs.astral.sh/ruff/rules/unused-noqa/>

use crate::hashing::HashMap;
use std::collections::BTreeSet;

use super::{find, finding, Rule};
use crate::baseline::{Baseline, Entry, Index};
use crate::model::{Evidence, Finding, Page, Report, Severity, Suppression};

pub struct UnusedSuppression;

impl Rule for UnusedSuppression {
    fn name(&self) -> &'static str {
        "unused-suppression"
    }
    fn code(&self) -> &'static str {
        "HA015"
    }
    fn severity(&self) -> Severity {
        Severity::Info
    }
    fn summary(&self) -> &'static str {
        "An inline heap-audit-ignore comment or a baseline entry that matches no finding"
    }
    fn doc(&self) -> String {
        super::doc_from_source(include_str!("unused_suppression.rs"))
    }

    /// Nothing here: [`super::audit`] judges suppressions once the other rules have run.
    fn check(&self, _cx: &super::Context) -> Vec<Finding> {
        Vec::new()
    }
}

/// The positions of a report's pages by path (`baseline::page_key`).
pub(super) struct PagePaths(HashMap<String, Vec<usize>>);

impl PagePaths {
    pub(super) fn of(report: &Report) -> PagePaths {
        let index = Index::of(report);
        let mut paths: HashMap<String, Vec<usize>> = HashMap::default();
        for (i, page) in report.pages.iter().enumerate() {
            paths.entry(index.page_key(&page.url)).or_default().push(i);
        }
        PagePaths(paths)
    }
}

impl UnusedSuppression {
    /// A baseline entry that matched nothing. `paths` are the report's pages by path, built once
    /// for all the stale entries: each costs its own pages, not a search of the report's.
    pub(super) fn stale(
        &self,
        report: &Report,
        paths: &PagePaths,
        baseline: &Baseline,
        entry: &Entry,
    ) -> Finding {
        let mut at: Vec<usize> = entry
            .pages
            .iter()
            .flat_map(|p| paths.0.get(p.as_str()).into_iter().flatten().copied())
            .collect();
        at.sort_unstable();
        at.dedup();
        let pages: Vec<String> = at
            .into_iter()
            .filter_map(|i| report.pages.get(i))
            .map(|p| p.url.clone())
            .collect();
        let pages = if pages.is_empty() {
            report.pages.iter().take(1).map(|p| p.url.clone()).collect()
        } else {
            pages
        };
        let message = format!(
            "baseline entry for {} ({}) on {} matches no finding any more: {}",
            entry.rule,
            entry.code,
            entry.pages.join(", "),
            entry.message
        );
        let help = format!(
            "either the problem is gone, or it changed (more pages, another id or loader) and is reported as a new finding: write the baseline again (--write-baseline {}) or delete the entry with fingerprint {}",
            baseline.path, entry.fingerprint
        );
        let evidence = Evidence {
            source: baseline.path.clone(),
            line: None,
            snippet: format!("\"fingerprint\": \"{}\"", entry.fingerprint),
            signature: "baseline".into(),
            tag: None,
            offset: None,
        };
        finding(self, self.severity(), message, help, pages, vec![evidence])
    }

    /// An inline suppression naming `rules` that suppressed nothing on `page`.
    fn unused(&self, page: &Page, s: &Suppression, rules: &[&str], why: &str) -> Finding {
        let message = format!("heap-audit-ignore comment for {} {why}", rules.join(", "));
        let help = "remove the rule from the comment (or the comment), so it cannot hide the problem if it comes back".to_owned();
        let evidence = Evidence {
            source: page.url.clone(),
            line: Some(s.line),
            snippet: s.snippet.clone(),
            signature: crate::extract::suppress::MARKER.into(),
            tag: None,
            offset: None,
        };
        finding(
            self,
            self.severity(),
            message,
            help,
            vec![page.url.clone()],
            vec![evidence],
        )
    }
}

/// Drop the findings that every page they concern suppresses inline. Returns how many were
/// dropped, and a finding per suppression that suppressed nothing (of the rules in `ran`).
///
/// Linear in the findings' pages and the suppressions: pages that carry suppressions are looked
/// up by URL.
pub(super) fn apply_inline(
    report: &Report,
    findings: &mut Vec<Finding>,
    ran: &[&str],
) -> (usize, Vec<Finding>) {
    // The pages that carry suppressions, by URL (most sites: none, and nothing to do).
    let carrying: HashMap<&str, &Page> = report
        .pages
        .iter()
        .filter(|p| !p.suppressions.is_empty())
        .map(|p| (p.url.as_str(), p))
        .collect();
    if carrying.is_empty() {
        return (0, Vec::new());
    }
    // (page url, suppression index, rule code) that applied to a finding.
    let mut used: BTreeSet<(&str, usize, &str)> = BTreeSet::new();
    let suppressing = |page: &str, code: &str| -> Vec<usize> {
        carrying
            .get(page)
            .into_iter()
            .flat_map(|p| p.suppressions.iter().enumerate())
            .filter(|(_, s)| {
                s.rules
                    .iter()
                    .any(|r| find(r).is_some_and(|r| r.code() == code))
            })
            .map(|(i, _)| i)
            .collect()
    };
    let before = findings.len();
    findings.retain(|f| {
        let mut all = !f.pages.is_empty();
        for page in &f.pages {
            let here = suppressing(page, &f.code);
            all &= !here.is_empty();
            if let Some(p) = carrying.get(page.as_str()) {
                let code = find(&f.code).map_or("", |r| r.code());
                used.extend(here.into_iter().map(|i| (p.url.as_str(), i, code)));
            }
        }
        !all
    });
    let suppressed = before - findings.len();

    let mut unused = Vec::new();
    for page in &report.pages {
        for (i, s) in page.suppressions.iter().enumerate() {
            let unknown: Vec<&str> = s
                .rules
                .iter()
                .filter(|r| find(r).is_none())
                .map(String::as_str)
                .collect();
            if !unknown.is_empty() {
                unused.push(UnusedSuppression.unused(page, s, &unknown, "names no rule: expected rule names or codes, e.g. duplicate-heap-load or HA001"));
            }
            if s.rules.is_empty() {
                unused.push(UnusedSuppression.unused(
                    page,
                    s,
                    &["(no rule)"],
                    "names no rule: write heap-audit-ignore: RULE, RULE -- reason",
                ));
            }
            let idle: Vec<&str> = s
                .rules
                .iter()
                .filter(|r| {
                    find(r).is_some_and(|rule| {
                        ran.contains(&rule.code())
                            && !used.contains(&(page.url.as_str(), i, rule.code()))
                    })
                })
                .map(String::as_str)
                .collect();
            if !idle.is_empty() {
                unused.push(UnusedSuppression.unused(
                    page,
                    s,
                    &idle,
                    "suppresses nothing: no finding of it concerns this page",
                ));
            }
        }
    }
    (suppressed, unused)
}
