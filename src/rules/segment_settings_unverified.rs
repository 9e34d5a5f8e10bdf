//! ## What it does
//! Says so whenever a Segment install's settings (`<cdn>/v1/projects/<write key>/settings`) could
//! not be read: not fetched (`--offline`), fetch or parse error, write key unreadable, or settings
//! embedded in an npm bundle (`cdnSettings`). One finding per write key and reason, listing every
//! page.
//!
//! Also a Segment-like snippet on a host that is not Segment's (a first-party proxy such as
//! `seg.example-proxy.net`, or a Segment-protocol clone) whose settings could not be read: heap-audit
//! cannot tell whether it is Segment, let alone whether it loads Heap. One finding per candidate
//! and reason, so a proxied Segment scanned offline is never silent.
//!
//! ## Why is this bad?
//! Whether Segment loads Heap, in device or cloud mode, with which app id and options, lives only
//! in those settings. Without them heap-audit cannot tell whether the page loads Heap twice
//! (`duplicate-heap-load`), which app id Segment uses (`app-id-mismatch`), or whether Heap is on
//! the page at all (`heap-missing-on-some-pages`). Those checks are incomplete for these pages, and
//! a clean report would be misleading.
//!
//! ## Example
//! ```html
//! <script>/* Segment snippet */ analytics.load("WZYvRSZeyx4Ag8SsaxTmknuj64AX6VM2");</script>
//! <!-- GET https://cdn.segment.com/v1/projects/WZYvRSZeyx4Ag8SsaxTmknuj64AX6VM2/settings fails -->
//! <script>/* Segment 4.15.3 snippet, analytics._cdn = "https://seg.example-proxy.net" */ analytics.load("Eb7PrxWq2Lm9TnV4cZ8sK1dH6fJ3gR5y");</script>
//! <!-- scanned with --offline: the proxy's settings are not read -->
//! ```
//!
//! ## Use instead
//! Run online, with network access to Segment's CDN (or `--remap` it to a saved copy of the
//! settings); or check in Segment (Connections > Sources > the source > Destinations) whether Heap
//! is enabled in device mode, and with which app id.
//!
//! ## References
//! - analytics-next, loading CDN settings: <https://github.com/segmentio/analytics-next/blob/master/packages/browser/src/browser/index.ts>
//! - Heap, Segment installation: <https://help.heap.io/installation/third-party-installations/segment-installation/>

use crate::hashing::HashMap;
use std::collections::BTreeSet;

use super::common::{audited, count, Candidates, Groups};
use super::{finding, Context, Rule};
use crate::inventory::settings_url;
use crate::model::{Evidence, Finding, Severity, Vendor};

pub struct SegmentSettingsUnverified;

impl Rule for SegmentSettingsUnverified {
    fn name(&self) -> &'static str {
        "segment-settings-unverified"
    }
    fn code(&self) -> &'static str {
        "HA013"
    }
    fn severity(&self) -> Severity {
        Severity::Info
    }
    fn summary(&self) -> &'static str {
        "Segment's settings could not be read, so the duplicate and app id checks are incomplete"
    }
    fn doc(&self) -> String {
        super::doc_from_source(include_str!("segment_settings_unverified.rs"))
    }

    /// One pass over the pages' installs, with the problems looked up by URL: linear in
    /// installs and problems. The candidates: see [`SegmentSettingsUnverified::candidates`].
    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut groups = Groups::new();
        // The first problem about each URL.
        let mut problems: HashMap<&str, &str> = HashMap::default();
        for p in &cx.report.problems {
            problems.entry(p.url.as_str()).or_insert(p.message.as_str());
        }
        for page in audited(cx.report) {
            // A placeholder key is placeholder-id's: there is nothing to fetch.
            for segment in page
                .installs
                .iter()
                .filter(|i| i.vendor == Vendor::Segment && i.placeholder.is_none())
            {
                let state = segment.settings.as_deref().unwrap_or("unknown");
                if state == "fetched" {
                    continue;
                }
                let from = segment.id_from.as_ref().map(|e| format!("from {e}"));
                let key = segment
                    .id
                    .as_deref()
                    .or(from.as_deref())
                    .unwrap_or("unreadable");
                // A render that saw analytics.js initialise settles the question for the page.
                let settled = segment
                    .runtime
                    .as_ref()
                    .filter(|r| r.status == "confirmed")
                    .map(|r| r.detail.clone());
                let group = groups
                    .entry(format!(
                        "{key}\u{0}{state}\u{0}{}",
                        settled.as_deref().unwrap_or_default()
                    ))
                    .or_default();
                group.page(&page.url);
                group.evidence([&segment.evidence]);
                if segment.id.is_some() {
                    let url = settings_url(segment);
                    let why = problems.get(url.as_str()).map(|m| (*m).to_owned());
                    group.evidence([Evidence {
                        source: url,
                        line: None,
                        snippet: why.unwrap_or_else(|| format!("not read ({state})")),
                        signature: "segment-settings".into(),
                        tag: None,
                        offset: None,
                    }]);
                }
            }
        }
        let mut out: Vec<Finding> =         groups
            .into_iter()
            .map(|(key, g)| {
                let mut parts = key.split('\u{0}');
                let write_key = parts.next().unwrap_or_default();
                let state = parts.next().unwrap_or_default();
                let settled = parts.next().unwrap_or_default();
                let (why, help) = reason(state);
                if !settled.is_empty() {
                    let message = format!(
                        "segment settings of write key {write_key} {why}, but a browser settled it on {} (--render): {settled}",
                        count(g.pages.len(), "page")
                    );
                    let help = "nothing to change for these pages: what Segment loads was seen in the browser (duplicate-heap-load and app-id-mismatch use it)";
                    return finding(self, self.severity(), message, help.to_owned(), g.pages, g.evidence);
                }
                let message = format!(
                    "segment settings of write key {write_key} {why}: whether Segment loads Heap, and with which app id, is unknown on {}, so duplicate-heap-load and app-id-mismatch are incomplete there",
                    count(g.pages.len(), "page")
                );
                finding(self, self.severity(), message, help.to_owned(), g.pages, g.evidence)
            })
            .collect();
        out.extend(self.candidates(cx));
        out
    }
}

impl SegmentSettingsUnverified {
    /// Segment-like snippets (`report.unverified` of kind `segment-candidate`): one finding per
    /// reason (which names the write key, the host and the state), on every page it was found on.
    ///
    /// One pass over the pages finds each page's candidates by URL ([`Candidates`]); a candidate
    /// found on no page lists every page, once per reason: linear in pages, installs and
    /// candidates (times the distinct reasons of such candidates, a handful).
    fn candidates(&self, cx: &Context) -> Vec<Finding> {
        let mut index = Candidates::of(cx.report);
        if index.list.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<Vec<&str>> = vec![Vec::new(); index.list.len()];
        for page in audited(cx.report) {
            for c in index.on(page) {
                found[c].push(page.url.as_str());
            }
        }
        let mut groups = Groups::new();
        // The reasons whose group already lists every page.
        let mut everywhere: BTreeSet<&str> = BTreeSet::new();
        for (candidate, pages) in index.list.iter().zip(found) {
            let group = if !pages.is_empty() {
                let group = groups.entry(candidate.reason.clone()).or_default();
                pages.into_iter().for_each(|p| group.page(p));
                group
            } else if everywhere.contains(candidate.reason.as_str()) {
                groups.entry(candidate.reason.clone()).or_default()
            } else {
                // Found in a file that no page's installs point to: somewhere on the audited site.
                let mut all = audited(cx.report).peekable();
                if all.peek().is_none() {
                    continue;
                }
                everywhere.insert(candidate.reason.as_str());
                let group = groups.entry(candidate.reason.clone()).or_default();
                all.for_each(|p| group.page(&p.url));
                group
            };
            group.evidence([Evidence {
                source: candidate.url.clone(),
                line: None,
                snippet: candidate.reason.clone(),
                signature: "segment-candidate".into(),
                tag: None,
                offset: None,
            }]);
        }
        groups
            .into_iter()
            .map(|(reason, g)| {
                // The scan's reason names the write key, the host and what became of the settings.
                let reason = lowercase_first(reason.trim().trim_end_matches('.'));
                let message = format!(
                    "{reason} on {}, so duplicate-heap-load, app-id-mismatch and heap-missing-on-some-pages are incomplete there",
                    count(g.pages.len(), "page")
                );
                let help = "run without --offline so heap-audit can read the settings from that host (<host>/v1/projects/<write key>/settings), or --remap them to a saved copy; if it is your Segment proxy, check in Segment whether the source has a Heap destination in device mode and its app id".to_owned();
                finding(self, self.severity(), message, help, g.pages, g.evidence)
            })
            .collect()
    }
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
fn reason(state: &str) -> (&'static str, &'static str) {
    match state {
        "offline" => ("were not fetched (--offline)", "run without --offline (or --remap Segment's CDN to a saved copy of the settings), or check in Segment whether the source has a Heap destination in device mode and its app id"),
        "error" => ("could not be fetched or read", "check network access to Segment's CDN and the write key (see the problems list), or check in Segment whether the source has a Heap destination in device mode and its app id"),
        "embedded" => ("are embedded in the bundle (cdnSettings) and were not read", "check the cdnSettings passed to AnalyticsBrowser.load, or in Segment whether the source has a Heap destination in device mode and its app id"),
        "unavailable" => ("could not be fetched because the write key is not in the code", "check in Segment whether that source has a Heap destination in device mode and its app id (or audit the built or deployed site, where the key is set)"),
        _ => ("were not read", "check in Segment whether the source has a Heap destination in device mode and its app id"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::common::testing::{page, report, unverified};
    use crate::rules::Config;

    const REASON: &str = "a Segment-like snippet (write key Eb7PrxWq2Lm9TnV4cZ8sK1dH6fJ3gR5y) loads from https://seg.example-proxy.net, whose settings could not be read (offline): whether it is Segment, and loads Heap, is unknown";

    fn findings(report: &crate::model::Report) -> Vec<Finding> {
        let config = Config::default();
        SegmentSettingsUnverified.check(&Context {
            report,
            config: &config,
        })
    }

    #[test]
    fn one_finding_per_candidate_reason_listing_its_pages() {
        let mut r = report(vec![
            page("/", vec![]),
            page("/rates", vec![]),
            page("/about", vec![]),
        ]);
        for path in ["/", "/rates"] {
            r.unverified.push(unverified(
                "segment-candidate",
                &format!("https://www.example.com{path}"),
                REASON,
            ));
        }
        let f = findings(&r);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(
            f[0].pages,
            vec!["https://www.example.com/", "https://www.example.com/rates"]
        );
        assert!(f[0]
            .message
            .starts_with("a Segment-like snippet (write key Eb7"));
        assert!(
            f[0].message.contains("seg.example-proxy.net") && f[0].message.contains("on 2 pages")
        );
        assert_eq!(f[0].evidence.len(), 2);
    }

    #[test]
    fn a_candidate_in_an_unlinked_file_is_still_reported() {
        let mut r = report(vec![page("/", vec![]), page("/rates", vec![])]);
        r.unverified.push(unverified(
            "segment-candidate",
            "https://www.example.com/static/js/vendor.4f1a.js",
            REASON,
        ));
        let f = findings(&r);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].pages.len(), 2);
        assert_eq!(
            f[0].evidence[0].source,
            "https://www.example.com/static/js/vendor.4f1a.js"
        );
    }

    #[test]
    fn other_unverified_kinds_are_not_candidates() {
        let mut r = report(vec![page("/", vec![])]);
        r.unverified.push(unverified(
            "gtm-container",
            "https://www.googletagmanager.com/gtm.js?id=GTM-K9X2",
            "--offline",
        ));
        assert!(findings(&r).is_empty());
    }
}
