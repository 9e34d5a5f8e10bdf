//! ## What it does
//! Notes `analytics.identify(…, { email: … })` calls on pages where Heap is loaded by Segment's
//! classic `Heap` destination in device mode: that destination renames the `email` trait, so it
//! arrives in Heap as the user property `_email`. One finding per destination, listing every page.
//! (Heap Web (Actions) does not rename it.)
//!
//! ## Why is this bad?
//! It is expected behaviour, not an error, but it surprises people: reports, segments and
//! integrations that look for `email` in Heap find nothing. Heap's guide: "If you are sending
//! emails to Heap as a user property or trait via Segment's analytics.identify() API, the email
//! user property in Heap will start with an underscore, _email. This is expected and won't suggest
//! issues with your implementation."
//!
//! ## Example
//! ```html
//! <script>/* Segment snippet */ analytics.load("Zx81LmQp3RstUvW0yAbC4dEfGh5iJkLm");</script>
//! <script>analytics.identify("u_1729", { email: "ada@example.com", plan: "team" });</script>
//! ```
//!
//! ## Use instead
//! Keep the call, and use `_email` in Heap (definitions, reports, syncs).
//! ```html
//! <script>analytics.identify("u_1729", { email: "ada@example.com", plan: "team" }); /* in Heap: _email */</script>
//! ```
//!
//! ## References
//! - Heap, Segment installation (user identity and properties): <https://help.heap.io/installation/third-party-installations/segment-installation/>
//! - Segment classic Heap integration (`traits({ email: '_email' })`): <https://github.com/segmentio/analytics.js-integrations/blob/master/integrations/heap/lib/index.js>

use super::common::{calls_through_classic_destination, count};
use super::{finding, Context, Rule};
use crate::model::{Finding, SegmentCall, Severity};

pub struct EmailTraitRenamed;

impl Rule for EmailTraitRenamed {
    fn name(&self) -> &'static str {
        "email-trait-renamed"
    }
    fn code(&self) -> &'static str {
        "HA011"
    }
    fn severity(&self) -> Severity {
        Severity::Info
    }
    fn summary(&self) -> &'static str {
        "an email trait sent through Segment's classic Heap destination arrives as _email"
    }
    fn doc(&self) -> String {
        super::doc_from_source(include_str!("email_trait_renamed.rs"))
    }

    /// Linear in pages, installs and calls: [`calls_through_classic_destination`] is one pass.
    fn check(&self, cx: &Context) -> Vec<Finding> {
        let groups = calls_through_classic_destination(cx.report, |c: &SegmentCall| {
            c.method == "identify" && c.email_trait
        });
        groups
            .into_iter()
            .map(|(destination, g)| {
                let message = format!(
                    "analytics.identify sends an email trait on {}, and the {destination} renames it: it arrives in Heap as _email",
                    count(g.pages.len(), "page")
                );
                let help = "expected behaviour per Heap's guide: use the _email user property in Heap (definitions, reports, syncs), not email".to_owned();
                finding(self, self.severity(), message, help, g.pages, g.evidence)
            })
            .collect()
    }
}
