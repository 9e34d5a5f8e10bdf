//! ## What it does
//! Flags a page on which Segment's analytics.js is loaded more than once: two snippets (same or
//! different write keys), a snippet plus a direct `<script src=".../analytics.min.js">`, or one in
//! the page and one in a tag manager. Two snippets count twice even on the same line of a minified
//! page. One finding per distinct combination of loaders, listing every page. A copy inside the
//! page's own guard (`if (!window.analytics) {…}`) after another snippet does nothing and is not
//! counted; a copy that waits for consent counts, and the message says so.
//!
//! ## Why is this bad?
//! The Segment snippet guards against running twice: the second copy prints `Segment snippet
//! included twice.` and does nothing. With two write keys, the source of the second one receives
//! nothing from that page; with one key, the copies race and whoever edits one of them (load
//! options, Heap settings) may be editing the copy that never runs. It is also how Heap ends up
//! loaded twice when one copy sits in a tag manager.
//!
//! ## Example
//! ```html
//! <head><script>!function(){/* Segment 5.2.1 */ analytics.load("N0HeapAtAllKey000000000000000000");analytics.page()}}();</script></head>
//! <body>… <script>!function(){/* Segment 4.1.0, pasted by a plugin */ analytics.load("N0HeapAtAllKey000000000000000000");analytics.page()}}();</script></body>
//! ```
//!
//! ## Use instead
//! One Segment snippet per page, in the `<head>`.
//! ```html
//! <head><script>!function(){/* Segment 5.2.1 */ analytics.load("N0HeapAtAllKey000000000000000000");analytics.page()}}();</script></head>
//! ```
//!
//! ## References
//! - Segment snippet (the `included twice` guard): <https://github.com/segmentio/snippet/blob/master/template/snippet.js>
//! - Segment, quickstart: <https://segment.com/docs/connections/sources/catalog/libraries/website/javascript/quickstart/>

use super::common::{count, multiple_loaders};
use super::{finding, Context, Rule};
use crate::model::{Finding, Install, Severity, Vendor};

pub struct SegmentLoadedTwice;

impl Rule for SegmentLoadedTwice {
    fn name(&self) -> &'static str {
        "segment-loaded-twice"
    }
    fn code(&self) -> &'static str {
        "HA005"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "Segment's analytics.js is loaded more than once on a page"
    }
    fn doc(&self) -> String {
        super::doc_from_source(include_str!("segment_loaded_twice.rs"))
    }

    /// Linear in pages: [`multiple_loaders`] compares each page's loaders with each other (a
    /// handful) and groups pages by hash.
    fn check(&self, cx: &Context) -> Vec<Finding> {
        let groups = multiple_loaders(cx.report, Vendor::Segment, |i: &Install| {
            i.id.clone().unwrap_or_default()
        });
        groups
            .into_iter()
            .map(|(loaders, g)| {
                let n = loaders.split(" + ").count();
                let keys = g
                    .notes
                    .iter()
                    .filter(|n| !n.starts_with("gate:") && !n.starts_with("runtime:"))
                    .count();
                let consequence = if keys > 1 {
                    "only the first one to run loads analytics.js, so the other write key gets no data from these pages"
                } else {
                    "the second copy only logs \"Segment snippet included twice.\""
                };
                let mut message = format!(
                    "segment loads {n} times on {}: {loaders}; {consequence}",
                    count(g.pages.len(), "page")
                );
                for gate in g.notes.iter().filter_map(|n| n.strip_prefix("gate:")) {
                    message.push_str(&format!("; {gate}"));
                }
                let help = "load Segment once per page: keep one snippet (in the page <head>) with the right write key and remove the others".to_owned();
                finding(self, self.severity(), message, help, g.pages, g.evidence)
            })
            .collect()
    }
}
