//! ## What it does
//! Flags Segment's analytics.js loaded through a tag manager: a Custom HTML tag or a custom template
//! of a GTM container, a Tealium profile's tag, or custom code in an Adobe Launch library that
//! holds the Segment snippet. One finding per container and write key, listing every page, naming
//! the tag manager and its container (GTM container id, Tealium `account/profile/env`, Launch
//! library) and the Heap app id that Segment loads there, if any. Not flagged: a page that also loads Segment itself, whose inline
//! snippet runs first and turns the container's copy into a no-op (that is `segment-loaded-twice`).
//!
//! ## Why is this bad?
//! Heap's Segment guide: "If Segment is deployed via Google Tag Manager, direct installation of
//! Heap is recommended to avoid delays in data collection or missed events." Heap loaded by
//! Segment loaded by GTM starts only after two extra script downloads, so early pageviews and
//! clicks are missed; the guide names GTM, and Tealium and Launch libraries add the same wait. Segment itself advises against loading analytics.js through a tag manager
//! (troubleshooting difficulty, risk of data loss, delays, cascading events).
//!
//! ## Example
//! ```html
//! <script>(function(w,d,s,l,i){/* GTM snippet */})(window,document,'script','dataLayer','GTM-SEG4GTM');</script>
//! <!-- GTM-SEG4GTM, Custom HTML tag 14: the Segment 4.1.0 snippet, a.load("bKVNiLl0RNlUfe2nS5JiKvEjrZX5mbKY") -->
//! ```
//!
//! ## Use instead
//! Install Heap's snippet directly in the page `<head>` (and disable Segment's Heap destination in
//! device mode), or move the Segment snippet out of GTM into the page.
//! ```html
//! <script>window.heap=window.heap||[],heap.load=function(e,t){/* … */};heap.load("1884442793");</script>
//! ```
//!
//! ## References
//! - Heap, Segment installation: <https://help.heap.io/installation/third-party-installations/segment-installation/>
//! - Segment, Segment vs. tag managers: <https://segment.com/docs/guides/segment-vs-tag-managers/>

use super::common::{
    active, audited, count, describe, evidence_of, manager_label, through_tag_manager, Groups,
};
use super::{finding, Context, Rule};
use crate::model::{Finding, Severity, Vendor, Via};

pub struct SegmentViaGtm;

impl Rule for SegmentViaGtm {
    fn name(&self) -> &'static str {
        "segment-via-gtm"
    }
    fn code(&self) -> &'static str {
        "HA002"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "Segment is loaded through Google Tag Manager (or another tag manager): install Heap directly"
    }
    fn doc(&self) -> String {
        super::doc_from_source(include_str!("segment_via_gtm.rs"))
    }

    /// Linear in pages and installs: one pass, grouped by hash ([`Groups`]).
    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut groups = Groups::new();
        for page in audited(cx.report) {
            let heap = active(page, Vendor::Heap);
            let segments = active(page, Vendor::Segment);
            if segments.iter().any(|s| !through_tag_manager(s.via)) {
                // The page's own snippet runs first; the container's copy is segment-loaded-twice.
                continue;
            }
            for segment in segments {
                if !through_tag_manager(segment.via) {
                    continue;
                }
                let key = format!(
                    "{}\u{0}{} {}\u{0}{}",
                    segment.via.as_str(),
                    manager_label(segment.via),
                    segment.container.as_deref().unwrap_or("(unknown id)"),
                    segment.id.as_deref().unwrap_or("unreadable")
                );
                let group = groups.entry(key).or_default();
                group.page(&page.url);
                group.evidence(evidence_of(segment, page));
                for h in heap.iter().filter(|h| {
                    h.via == Via::Segment && h.write_key.is_some() && h.write_key == segment.id
                }) {
                    group.note(describe(h, page));
                    group.evidence(evidence_of(h, page));
                }
            }
        }
        groups
            .into_iter()
            .map(|(key, g)| {
                let mut parts = key.split('\u{0}');
                let (via, container, write_key) = (
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or(""),
                );
                let heap = if g.notes.is_empty() {
                    String::new()
                } else {
                    format!(", and Segment loads Heap there: {}", g.notes.join(", "))
                };
                let message = format!(
                    "segment (write key {write_key}) is loaded through {container} on {}{heap}",
                    count(g.pages.len(), "page")
                );
                let fix = format!("install Heap directly (its snippet in the page <head>) and disable Segment's Heap destination in device mode; or move the Segment snippet out of {container} into the page");
                let help = if via == Via::Gtm.as_str() {
                    format!("Heap's guide: if Segment is deployed via Google Tag Manager, {fix}")
                } else {
                    format!("Heap's guide recommends a direct install when Segment is deployed via Google Tag Manager, and Segment loaded by {container} waits for the same extra script downloads before Heap starts: {fix}")
                };
                finding(self, self.severity(), message, help, g.pages, g.evidence)
            })
            .collect()
    }
}
