//! ## What it does
//! Notes every Heap loader that runs from a tag manager: a Custom HTML tag or custom template of a
//! GTM container, or a Tealium / Adobe Launch library. One finding per container and app id,
//! listing every page. (Heap through Segment through GTM is `segment-via-gtm`.)
//!
//! ## Why is this bad?
//! It works, but it is the usual source of double loads: Heap's FAQ on `heap.push is not a
//! function` says the error "occurs when Heap is unintentionally loaded twice on a site … once
//! from the Heap snippet in your </head> tag … and also through a tag manager such as Google Tag
//! Manager (GTM), Tealium, or Segment". A tag is easy to forget when someone later adds the snippet
//! or turns on Segment's Heap destination, and it starts later than a snippet in the `<head>`.
//!
//! ## Example
//! ```html
//! <script>(function(w,d,s,l,i){/* GTM snippet */})(window,document,'script','dataLayer','GTM-HEAPG1');</script>
//! <!-- GTM-HEAPG1, Custom HTML tag 7: if(!window.heap){ … heap.load("3180826004") } -->
//! ```
//!
//! ## Use instead
//! Heap's snippet directly in the page `<head>` (or Segment's Heap destination, if the site uses
//! Segment), and no Heap tag in the container.
//! ```html
//! <script>window.heap=window.heap||[],heap.load=function(e,t){/* … */};heap.load("3180826004");</script>
//! ```
//!
//! ## References
//! - Heap FAQ, `heap.push is not a function`: <https://help.heap.io/getting-started/getting-started-faqs/heap-push-is-not-a-function-console-error/>
//! - Heap, web installation: <https://help.heap.io/installation/standard-installations/web-installation/>

use super::common::{active, audited, count, describe, evidence_of, through_tag_manager, Groups};
use super::{finding, Context, Rule};
use crate::model::{Finding, Severity, Vendor};

pub struct HeapViaTagManager;

impl Rule for HeapViaTagManager {
    fn name(&self) -> &'static str {
        "heap-via-tag-manager"
    }
    fn code(&self) -> &'static str {
        "HA006"
    }
    fn severity(&self) -> Severity {
        Severity::Info
    }
    fn summary(&self) -> &'static str {
        "Heap is loaded through a tag manager, the usual source of double loads"
    }
    fn doc(&self) -> String {
        super::doc_from_source(include_str!("heap_via_tag_manager.rs"))
    }

    /// Linear in pages and installs: one pass, grouped by hash ([`Groups`]).
    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut groups = Groups::new();
        for page in audited(cx.report) {
            for install in active(page, Vendor::Heap) {
                if !through_tag_manager(install.via) {
                    continue;
                }
                let group = groups.entry(describe(install, page)).or_default();
                group.page(&page.url);
                group.evidence(evidence_of(install, page));
            }
        }
        groups
            .into_iter()
            .map(|(loader, g)| {
                let message = format!(
                    "heap is loaded from a tag manager on {}: {loader}",
                    count(g.pages.len(), "page")
                );
                let help = "prefer Heap's snippet in the page <head> (or Segment's Heap destination if the site uses Segment) and remove the tag; if you keep the tag, make sure no snippet or Segment destination loads Heap too".to_owned();
                finding(self, self.severity(), message, help, g.pages, g.evidence)
            })
            .collect()
    }
}
