//! ## What it does
//! Flags web pages where Heap is reachable only as a cloud-mode Segment destination: Segment's
//! settings list a Heap destination, but in cloud mode (for the classic destination:
//! `bundlingStatus: "unbundled"` or listed in `Segment.io.unbundledIntegrations`), and no Heap
//! loader runs on the page. One finding per destination, listing every page.
//!
//! ## Why is this bad?
//! In cloud mode Segment's servers call Heap's server-side API; nothing loads in the browser.
//! Heap's guide: "Setting up Heap in this way won't enable autocapture functionality, and only
//! Segment-tracked events will be sent to Heap (as server-side events)." No pageviews, clicks or
//! sessions are autocaptured, which is most of what Heap is for on the web.
//!
//! ## Example
//! ```html
//! <script>!function(){/* Segment snippet */ analytics.load("Cl0udM0deHeapKey0000000000000000");analytics.page()}}();</script>
//! <!-- settings: "Heap": { "appId": "1535634150", "bundlingStatus": "unbundled" } (cloud mode) -->
//! ```
//!
//! ## Use instead
//! Switch Segment's Heap destination to device mode for the web source, so analytics.js loads
//! Heap; or add Heap's snippet to the pages (Heap's guide: native plus cloud mode gives both
//! autocaptured and Segment-tracked events, with server-side events limiting within-session
//! analysis).
//! ```html
//! <script>/* Heap snippet */ heap.load("1535634150");</script>
//! <script>!function(){/* Segment snippet */ analytics.load("Cl0udM0deHeapKey0000000000000000");analytics.page()}}();</script>
//! ```
//!
//! ## References
//! - Heap, Segment installation (cloud mode): <https://help.heap.io/installation/third-party-installations/segment-installation/>
//! - analytics-next, device vs cloud mode: <https://github.com/segmentio/analytics-next/blob/master/packages/browser/src/plugins/ajs-destination/utils.ts>

use super::common::{active, audited, count, describe, evidence_of, Groups};
use super::{finding, Context, Rule};
use crate::model::{Finding, Mode, Severity, Vendor, Via};

pub struct HeapCloudModeOnly;

impl Rule for HeapCloudModeOnly {
    fn name(&self) -> &'static str {
        "heap-cloud-mode-only"
    }
    fn code(&self) -> &'static str {
        "HA009"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "on the web, Heap is reachable only as a cloud-mode Segment destination: no autocapture"
    }
    fn doc(&self) -> String {
        super::doc_from_source(include_str!("heap_cloud_mode_only.rs"))
    }

    /// Linear in pages and installs: one pass, grouped by hash ([`Groups`]).
    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut groups = Groups::new();
        for page in audited(cx.report) {
            if !active(page, Vendor::Heap).is_empty() {
                continue;
            }
            for install in page.installs.iter().filter(|i| {
                i.vendor == Vendor::Heap && i.via == Via::Segment && i.mode == Some(Mode::Cloud)
            }) {
                let group = groups.entry(describe(install, page)).or_default();
                group.page(&page.url);
                group.evidence(evidence_of(install, page));
            }
        }
        groups
            .into_iter()
            .map(|(destination, g)| {
                let message = format!(
                    "heap reaches {} only through the cloud-mode {destination}: no autocapture, only Segment-tracked events arrive, as server-side events",
                    count(g.pages.len(), "page")
                );
                let help = "switch Segment's Heap destination to device mode for this web source so analytics.js loads Heap, or add Heap's snippet to the pages (Heap's guide: native plus cloud mode gives both autocaptured and Segment-tracked events)".to_owned();
                finding(self, self.severity(), message, help, g.pages, g.evidence)
            })
            .collect()
    }
}
