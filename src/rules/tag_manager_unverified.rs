//! ## What it does
//! Says so whenever a tag manager's container or library could not be read: a GTM container
//! (`gtm.js?id=…`), a Tealium `utag.js` or an Adobe Launch library that was not fetched
//! (`--offline`), could not be fetched, or could not be parsed. One finding per container and
//! reason, listing every page that loads it.
//!
//! ## Why is this bad?
//! Heap's FAQ names tag managers as the usual second loader of Heap, and a Segment snippet inside a
//! container is what `segment-via-gtm` looks for. What a container loads is known only by reading
//! it: without it, heap-audit cannot tell whether these pages load Heap twice
//! (`duplicate-heap-load`), load Segment through GTM, or use another app id. A clean report for
//! these pages would be misleading.
//!
//! ## Example
//! ```html
//! <script>(function(w,d,s,l,i){/* GTM snippet */})(window,document,'script','dataLayer','GTM-K7PQ2XD');</script>
//! <!-- GET https://www.googletagmanager.com/gtm.js?id=GTM-K7PQ2XD fails, or is not fetched with --offline -->
//! ```
//!
//! ## Use instead
//! Run online with access to the tag manager's host (or `--remap` it to a saved copy of the
//! container), pass the environment's `gtm_auth`/`gtm_preview` parameters in the snippet if the
//! container is not published, or check the container's tags in the tag manager's UI for Heap or
//! Segment.
//!
//! ## References
//! - Heap, "heap.push is not a function": <https://help.heap.io/getting-started/getting-started-faqs/heap-push-is-not-a-function-console-error/>
//! - Google Tag Manager environments: <https://support.google.com/tagmanager/answer/6311518>

use crate::hashing::HashMap;

use super::common::{audited, container_read, count, Groups};
use super::{finding, Context, Rule};
use crate::model::{Evidence, Finding, Problem, Severity};

pub struct TagManagerUnverified;

impl Rule for TagManagerUnverified {
    fn name(&self) -> &'static str {
        "tag-manager-unverified"
    }
    fn code(&self) -> &'static str {
        "HA014"
    }
    fn severity(&self) -> Severity {
        Severity::Info
    }
    fn summary(&self) -> &'static str {
        "a tag manager container could not be read, so what it loads (Heap, Segment) is unknown"
    }
    fn doc(&self) -> String {
        super::doc_from_source(include_str!("tag_manager_unverified.rs"))
    }

    /// One pass over the pages' installs; the problems are searched once per distinct container
    /// (not once per page that loads it): linear in installs, plus containers times problems.
    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut groups = Groups::new();
        let mut problems: HashMap<(&str, &str), Option<&Problem>> = HashMap::default();
        for page in audited(cx.report) {
            for manager in page
                .installs
                .iter()
                .filter(|i| i.vendor.is_tag_manager() && i.active)
            {
                if container_read(manager, page) {
                    continue;
                }
                let state = manager.library.as_deref().unwrap_or("unknown");
                let id = manager.id.as_deref().unwrap_or("unreadable");
                let group = groups
                    .entry(format!("{}\u{0}{id}\u{0}{state}", manager.vendor.as_str()))
                    .or_default();
                group.page(&page.url);
                group.evidence([&manager.evidence]);
                let vendor = manager.vendor.as_str();
                let problem = *problems.entry((vendor, id)).or_insert_with(|| {
                    cx.report
                        .problems
                        .iter()
                        .find(|p| is_container_of(&p.url, vendor, id))
                });
                if let Some(problem) = problem {
                    group.evidence([Evidence {
                        source: problem.url.clone(),
                        line: None,
                        snippet: problem.message.clone(),
                        signature: "tag-manager-library".into(),
                        tag: None,
                        offset: None,
                    }]);
                }
            }
        }
        groups
            .into_iter()
            .map(|(key, g)| {
                let mut parts = key.split('\u{0}');
                let (vendor, id, state) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                let what = if vendor == "gtm" { format!("gtm container {id}") } else { format!("{vendor} library {id}") };
                let (why, help) = reason(state);
                let message = format!(
                    "{what} {why}: whether it loads Heap or Segment is unknown on {}, so duplicate-heap-load and segment-via-gtm are incomplete there",
                    count(g.pages.len(), "page")
                );
                finding(self, self.severity(), message, help.to_owned(), g.pages, g.evidence)
            })
            .collect()
    }
}

/// Whether a problem's URL is this tag manager's container or library.
fn is_container_of(url: &str, vendor: &str, id: &str) -> bool {
    match vendor {
        "gtm" => url.contains("/gtm.js?") && url.contains(&format!("id={id}")),
        _ => url.contains(id),
    }
}

fn reason(state: &str) -> (&'static str, &'static str) {
    match state {
        "offline" => ("was not fetched (--offline)", "run without --offline (or --remap the tag manager's host to a saved copy of the container), or check its tags for Heap and Segment in the tag manager"),
        "error" => ("could not be fetched or read", "check the problems list for why; for an unpublished GTM container, keep the environment's gtm_auth and gtm_preview in the snippet; or check its tags for Heap and Segment in the tag manager"),
        _ => ("could not be located", "check the container's tags for Heap and Segment in the tag manager"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Via;
    use crate::rules::common::testing::{gtm, page, report};
    use crate::rules::Config;

    #[test]
    fn a_library_that_names_itself_was_read_with_its_loader() {
        let mut inner = gtm("/", "GTM-K9X2", "fetched");
        inner.via = Via::Gtm;
        inner.container = Some("GTM-K9X2".into());
        inner.library = None;
        let config = Config::default();
        let r = report(vec![page(
            "/",
            vec![gtm("/", "GTM-K9X2", "fetched"), inner],
        )]);
        let cx = Context {
            report: &r,
            config: &config,
        };
        assert!(TagManagerUnverified.check(&cx).is_empty());
        let r = report(vec![page("/", vec![gtm("/", "GTM-K9X2", "offline")])]);
        let cx = Context {
            report: &r,
            config: &config,
        };
        assert_eq!(TagManagerUnverified.check(&cx).len(), 1);
    }
}
