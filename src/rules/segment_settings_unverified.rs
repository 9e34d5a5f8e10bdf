//! ## What it does
//! Says so whenever a Segment install's settings (`<cdn>/v1/projects/<write key>/settings`) could
//! not be read: not fetched (`--offline`), fetch or parse error, write key unreadable, or settings
//! embedded in an npm bundle (`cdnSettings`). One finding per write key and reason, listing every
//! page.
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

use super::common::{audited, count, Groups};
use super::{finding, Context, Rule};
use crate::model::{Evidence, Finding, Install, Severity, Vendor};

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

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut groups = Groups::new();
        for page in audited(cx.report) {
            for segment in page.installs.iter().filter(|i| i.vendor == Vendor::Segment) {
                let state = segment.settings.as_deref().unwrap_or("unknown");
                if state == "fetched" {
                    continue;
                }
                let key = segment.id.as_deref().unwrap_or("unreadable");
                let group = groups.entry(format!("{key}\u{0}{state}")).or_default();
                group.page(&page.url);
                group.evidence([segment.evidence.clone()]);
                if let Some(url) = settings_url(segment) {
                    let why = cx
                        .report
                        .problems
                        .iter()
                        .find(|p| p.url == url)
                        .map(|p| p.message.clone());
                    group.evidence([Evidence {
                        source: url,
                        line: None,
                        snippet: why.unwrap_or_else(|| format!("not read ({state})")),
                        signature: "segment-settings".into(),
                        tag: None,
                    }]);
                }
            }
        }
        groups
            .into_iter()
            .map(|(key, g)| {
                let (write_key, state) = key.split_once('\u{0}').unwrap_or((&key, ""));
                let (why, help) = reason(state);
                let message = format!(
                    "segment settings of write key {write_key} {why}: whether Segment loads Heap, and with which app id, is unknown on {}, so duplicate-heap-load and app-id-mismatch are incomplete there",
                    count(g.pages.len(), "page")
                );
                finding(self, self.severity(), message, help.to_owned(), g.pages, g.evidence)
            })
            .collect()
    }
}

fn reason(state: &str) -> (&'static str, &'static str) {
    match state {
        "offline" => ("were not fetched (--offline)", "run without --offline (or --remap Segment's CDN to a saved copy of the settings), or check in Segment whether the source has a Heap destination in device mode and its app id"),
        "error" => ("could not be fetched or read", "check network access to Segment's CDN and the write key (see the problems list), or check in Segment whether the source has a Heap destination in device mode and its app id"),
        "embedded" => ("are embedded in the bundle (cdnSettings) and were not read", "check the cdnSettings passed to AnalyticsBrowser.load, or in Segment whether the source has a Heap destination in device mode and its app id"),
        "unavailable" => ("could not be fetched because the write key could not be read", "make the write key a literal in the snippet, or check in Segment whether the source has a Heap destination in device mode and its app id"),
        _ => ("were not read", "check in Segment whether the source has a Heap destination in device mode and its app id"),
    }
}

fn settings_url(segment: &Install) -> Option<String> {
    let key = segment.id.as_deref()?;
    let cdn = segment
        .cdn
        .as_deref()
        .unwrap_or("https://cdn.segment.com")
        .trim_end_matches('/');
    Some(format!("{cdn}/v1/projects/{key}/settings"))
}
