//! ## What it does
//! Flags a page on which Heap is loaded more than once: two or more *active* Heap loaders among a
//! native snippet (in the page or in a first-party script), a tag manager (GTM, Tealium, Adobe
//! Launch) and Segment's Heap destination in device mode.
//!
//! Not counted: a Segment Heap destination in cloud mode (Segment's servers send the events,
//! nothing loads on the page), one disabled by the page's `analytics.load` options, code that
//! never runs (commented out, a data block), a loader whose ids are alternatives of one either/or
//! (`isProd ? "A" : "B"`: one loader), and a copy inside the page's own guard
//! (`if (!window.heap) {…}`) that runs after another loader has set `window.heap`. A loader that
//! waits for consent or a run-time condition still counts: the message says when the second load
//! happens (`after consent (cookiebot: statistics)`). Two
//! snippets count twice even on the same line of a minified page; only the same Segment
//! destination reached twice (same write key, destination and app id) counts once. One finding is
//! reported per site, naming each combination of loaders and listing every page that has one; its
//! primary location is a loader that the recommended install path removes.
//!
//! ## Why is this bad?
//! Heap's Segment guide: "It's critical that Heap libraries load only once, so you must NOT install
//! the Heap snippet directly AND install via Segment." Segment's docs say the same. The usual
//! symptom is the console error `heap.push is not a function`, and Heap's FAQ names tag managers
//! and Segment as the usual second loader. Segment's classic destination replaces `heap.load`,
//! calls it with its own app id and injects a second `heap-<id>.js`. Segment's Heap Web (Actions)
//! destination skips loading when `window.heap` already exists, so the app id and settings
//! configured for it in Segment (such as `disableTextCapture`) are silently ignored: the finding
//! then says Heap is *configured* to load more than once, and stays an error, since what the
//! team set up in Segment does not happen.
//!
//! ## Example
//! ```html
//! <script>window.heap=window.heap||[],heap.load=function(e,t){/* … */};heap.load("2682025610");</script>
//! <script>!function(){/* Segment snippet 5.2.1 */ analytics.load("q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH");analytics.page()}}();</script>
//! <!-- Segment settings of that write key: "Heap": { "appId": "2682025610" }, device mode -->
//! ```
//!
//! ## Use instead
//! Keep exactly one loader on every page. Either remove the native snippet and let Segment load
//! Heap, or keep the snippet and disable the Heap destination in Segment (or switch it to cloud
//! mode). The recommendation in the report says which one fits the site.
//! ```html
//! <script>!function(){/* Segment snippet 5.2.1 */ analytics.load("q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH");analytics.page()}}();</script>
//! ```
//!
//! ## References
//! - Heap, Segment installation: <https://help.heap.io/installation/third-party-installations/segment-installation/>
//! - Heap FAQ, `heap.push is not a function`: <https://help.heap.io/getting-started/getting-started-faqs/heap-push-is-not-a-function-console-error/>
//! - Segment, Heap destination: <https://segment.com/docs/connections/destinations/catalog/heap/>
//! - Heap Web (Actions) skips loading when `window.heap` exists: <https://github.com/segmentio/action-destinations/pull/958>

use super::common::{count, is_actions, multiple_loaders, RAN_IN_BROWSER, SKIPPED_IN_BROWSER};
use super::{finding, Context, Rule};
use crate::model::{Finding, Install, Severity, Vendor, Via};

pub struct DuplicateHeapLoad;

impl Rule for DuplicateHeapLoad {
    fn name(&self) -> &'static str {
        "duplicate-heap-load"
    }
    fn code(&self) -> &'static str {
        "HA001"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "Heap is loaded more than once on a page (native, tag manager, Segment device mode)"
    }
    fn doc(&self) -> String {
        super::doc_from_source(include_str!("duplicate_heap_load.rs"))
    }

    /// Linear in pages: [`multiple_loaders`] compares each page's loaders with each other (a
    /// handful) and groups pages by hash.
    fn check(&self, cx: &Context) -> Vec<Finding> {
        let groups = multiple_loaders(cx.report, Vendor::Heap, kind_note);
        let site_of: crate::hashing::HashMap<&str, &str> = cx
            .report
            .pages
            .iter()
            .map(|p| (p.url.as_str(), p.site.as_str()))
            .collect();
        groups
            .into_iter()
            .map(|(loaders, g)| {
                let n = loaders.split(" + ").count();
                let pages = count(g.pages.len(), "page");
                let actions = g.notes.iter().any(|n| n == ACTIONS);
                // Heap Web (Actions) loads nothing when window.heap exists: Heap is *configured*
                // to load n times, and what is lost is the destination's own app id and settings.
                let mut message = if actions {
                    format!("heap is configured to load {n} times on {pages}: {loaders}; Heap Web (Actions) skips loading because window.heap already exists, so the app id and settings configured for it in Segment are silently ignored")
                } else {
                    format!("heap loads {n} times on {pages}: {loaders}")
                };
                if g.notes.iter().any(|n| n == SKIPPED_IN_BROWSER) {
                    message.push_str("; confirmed in a browser (--render): Heap Web (Actions) loaded and skipped, and Heap ran with the other loader's id");
                }
                let ran = g.notes.iter().filter(|n| n.starts_with(RAN_IN_BROWSER)).count();
                if ran > 0 {
                    message.push_str(&format!(
                        "; confirmed in a browser (--render) on {}: each loader called heap.load",
                        if ran == g.pages.len() {
                            "every one of them".to_owned()
                        } else {
                            format!("{ran} of them")
                        }
                    ));
                }
                // A gated loader makes the double load conditional: say when it happens.
                for gate in g.notes.iter().filter_map(|n| n.strip_prefix("gate:")) {
                    message.push_str(&format!("; {gate}"));
                }
                let mut f = finding(self, self.severity(), message, help(&g.notes, actions), g.pages, g.evidence);
                // One cause per site: Heap installed more than one way there.
                f.cause = f
                    .pages
                    .first()
                    .and_then(|p| site_of.get(p.as_str()))
                    .map(|site| format!("site:{site}"));
                f
            })
            .collect()
    }
}

const ACTIONS: &str = "segment:actions";

fn kind_note(install: &Install) -> String {
    if is_actions(install) {
        return ACTIONS.to_owned();
    }
    match install.via {
        Via::Segment => format!(
            "segment:{}",
            install.write_key.as_deref().unwrap_or("unreadable")
        ),
        via => via.as_str().to_owned(),
    }
}

fn help(notes: &[String], actions: bool) -> String {
    let through_segment = notes.iter().any(|n| n.starts_with("segment:"));
    let others = notes.iter().any(|n| {
        !n.starts_with("segment:") && !n.starts_with("gate:") && !n.starts_with("runtime:")
    });
    let mut help = if through_segment && others {
        "Heap's guide: do not install the Heap snippet directly AND via Segment; keep one loader: remove the native/tag-manager Heap code and let Segment load Heap, or disable the Heap destination in Segment".to_owned()
    } else {
        "keep exactly one Heap loader per page and remove the others (see the recommended install path)".to_owned()
    };
    if actions {
        help.push_str(
            "; with Heap Web (Actions), removing the other loader is what makes Segment's app id and settings take effect",
        );
    }
    help
}
