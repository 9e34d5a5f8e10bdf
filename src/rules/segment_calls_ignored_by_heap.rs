//! ## What it does
//! Notes `analytics.page()`, `analytics.alias()` and `analytics.group()` calls that the site's own
//! code makes on pages where Heap is loaded by Segment's classic `Heap` destination in device
//! mode. The snippet's own default `analytics.page()` right after `analytics.load(...)` does not
//! count: every Segment install has it, and Heap autocaptures pageviews anyway, so a clean
//! install gives no finding. A `page` call with a name or properties, or made elsewhere (a
//! single-page app's router), does. One finding per destination, listing the methods and every
//! page.
//!
//! ## Why is this bad?
//! It is not broken, but nothing those calls carry reaches Heap. Heap's guide: "Heap supports
//! Segment API calls in 'device mode' to identify and track … We do not currently support page,
//! alias, or group calls." The classic integration defines only `identify` and `track`; Segment's
//! catalog marks `page`, `alias` and `group` as unsupported. Page names and categories, merged
//! identities and account traits sent that way are missing in Heap.
//!
//! ## Example
//! ```html
//! <script>/* Segment snippet */ analytics.load("Zx81LmQp3RstUvW0yAbC4dEfGh5iJkLm"); analytics.page("Pricing");</script>
//! <script>analytics.group("acct_81", { plan: "team" });</script>
//! ```
//!
//! ## Use instead
//! Rely on Heap's autocaptured pageviews, and send what Heap needs as `track` events or
//! `identify` traits.
//! ```html
//! <script>analytics.identify("u_1729", { company_plan: "team" }); analytics.track("Plan Viewed", { plan: "team" });</script>
//! ```
//!
//! ## References
//! - Heap, Segment installation (mapping Segment APIs to Heap): <https://help.heap.io/installation/third-party-installations/segment-installation/>
//! - Segment classic Heap integration: <https://github.com/segmentio/analytics.js-integrations/blob/master/integrations/heap/lib/index.js>

use super::common::{calls_through_classic_destination, count};
use super::{finding, Context, Rule};
use crate::model::{Finding, SegmentCall, Severity};

pub struct SegmentCallsIgnoredByHeap;

const IGNORED: [&str; 3] = ["page", "alias", "group"];

impl Rule for SegmentCallsIgnoredByHeap {
    fn name(&self) -> &'static str {
        "segment-calls-ignored-by-heap"
    }
    fn code(&self) -> &'static str {
        "HA010"
    }
    fn severity(&self) -> Severity {
        Severity::Info
    }
    fn summary(&self) -> &'static str {
        "analytics.page, alias or group calls never reach Heap through Segment's classic destination"
    }
    fn doc(&self) -> String {
        super::doc_from_source(include_str!("segment_calls_ignored_by_heap.rs"))
    }

    /// Linear in pages, installs and calls: [`calls_through_classic_destination`] is one pass.
    fn check(&self, cx: &Context) -> Vec<Finding> {
        let groups = calls_through_classic_destination(cx.report, |c: &SegmentCall| {
            IGNORED.contains(&c.method.as_str()) && !c.from_snippet
        });
        groups
            .into_iter()
            .map(|(destination, mut g)| {
                g.notes.sort();
                let message = format!(
                    "{} calls on {} never reach Heap: the {destination} handles only identify and track",
                    g.notes.join(", "),
                    count(g.pages.len(), "page")
                );
                let help = "expect no Heap data from these calls: Heap autocaptures pageviews itself; send what Heap needs as analytics.track events or analytics.identify traits".to_owned();
                finding(self, self.severity(), message, help, g.pages, g.evidence)
            })
            .collect()
    }
}
