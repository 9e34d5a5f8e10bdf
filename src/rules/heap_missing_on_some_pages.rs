//! ## What it does
//! Flags a site where Heap runs on some audited pages but not on others. A page counts as having
//! Heap when at least one Heap loader runs on it (a cloud-mode Segment destination does not load
//! Heap). Pages that could not be audited are left out, and so are pages where the answer is
//! unknown: a Segment install whose settings were not read, a tag manager whose container was
//! not read, or a Segment-like snippet on another host that could not be confirmed. One finding
//! per site; its pages are the pages without Heap.
//!
//! ## Why is this bad?
//! Autocapture only sees the pages Heap runs on: funnels and paths that cross a page without Heap
//! break, and sessions look shorter than they are. A page missing Heap usually means a template
//! (a blog, docs, a checkout app) that does not share the site's layout, or a page where Segment's
//! Heap destination is turned off by `analytics.load` options.
//!
//! ## Example
//! ```html
//! <!-- index.html, pricing.html --> <script>/* Heap snippet */ heap.load("2682025610");</script>
//! <!-- blog/launch.html: a separate blog template, no Heap -->
//! ```
//!
//! ## Use instead
//! The same loader on every page, usually in the shared layout's `<head>`.
//! ```html
//! <!-- every page, including blog/launch.html --> <script>/* Heap snippet */ heap.load("2682025610");</script>
//! ```
//!
//! ## References
//! - Heap, web installation: <https://help.heap.io/installation/standard-installations/web-installation/>

use std::collections::BTreeMap;

use super::common::{
    active, audited, count, describe, evidence_of, hash_of, list, not_judged, Candidates, Group,
    Seen,
};
use super::{finding, Context, Rule};
use crate::model::{Finding, Page, Severity, Vendor};

pub struct HeapMissingOnSomePages;

#[derive(Default)]
struct Site {
    with: Group,
    without: Vec<String>,
    unknown: usize,
    loaders: Vec<String>,
    seen_loaders: Seen,
    ids: Vec<String>,
    seen_ids: Seen,
    /// Pages without a running Heap where a Heap install is present but inactive, and why.
    inactive: Group,
}

impl Rule for HeapMissingOnSomePages {
    fn name(&self) -> &'static str {
        "heap-missing-on-some-pages"
    }
    fn code(&self) -> &'static str {
        "HA008"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "Heap runs on some pages of the site and is missing on others"
    }
    fn doc(&self) -> String {
        super::doc_from_source(include_str!("heap_missing_on_some_pages.rs"))
    }

    /// Linear in pages and installs: one pass; loaders and ids are deduplicated by hash, and a
    /// page's unconfirmed Segment-like snippets are looked up by URL ([`Candidates`]).
    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut sites: BTreeMap<&str, Site> = BTreeMap::new();
        let mut candidates = Candidates::of(cx.report);
        // A source file no page was found to render is not a page a visitor loads.
        for page in audited(cx.report).filter(|p| p.kind.as_deref() != Some("file")) {
            let site = sites.entry(&page.site).or_default();
            let heap = active(page, Vendor::Heap);
            if heap.is_empty() {
                // A page whose body was cut short is not known to lack Heap.
                if page.incomplete {
                    continue;
                }
                if unknown(page, &mut candidates) {
                    site.unknown += 1;
                    continue;
                }
                site.without.push(page.url.clone());
                for install in page.installs.iter().filter(|i| i.vendor == Vendor::Heap) {
                    site.inactive.page(&page.url);
                    site.inactive.evidence(evidence_of(install, page));
                    if let Some(reason) = &install.inactive_reason {
                        site.inactive.note(reason.clone());
                    }
                }
                continue;
            }
            site.with.page(&page.url);
            for install in heap {
                if let Some(id) = &install.id {
                    let hash = hash_of(id.as_str());
                    site.seen_ids
                        .add_with(&mut site.ids, hash, id, |a, b| a == *b, Clone::clone);
                }
                let name = describe(install, page);
                let hash = hash_of(name.as_str());
                if site.seen_loaders.add(&mut site.loaders, hash, name) {
                    site.with.evidence(evidence_of(install, page));
                }
            }
        }
        let mut out = Vec::new();
        for (name, site) in sites {
            if site.with.pages.is_empty() || site.without.is_empty() {
                continue;
            }
            let total = site.with.pages.len() + site.without.len() + site.unknown;
            let not_judged = if site.unknown > 0 {
                format!(
                    " ({} not judged: Segment settings or tag manager containers not read)",
                    count(site.unknown, "page")
                )
            } else {
                String::new()
            };
            let inactive = if site.inactive.pages.is_empty() {
                String::new()
            } else {
                format!(
                    "; on {} Heap is present but does not run ({})",
                    count(site.inactive.pages.len(), "page"),
                    site.inactive.notes.join("; ")
                )
            };
            let ids = if site.ids.is_empty() {
                String::new()
            } else {
                format!(" (app id {})", site.ids.join(", "))
            };
            let message = format!(
                "heap{ids} runs on {} of {total} audited pages of {name} and is missing on {}: {}{not_judged}{inactive}",
                site.with.pages.len(),
                site.without.len(),
                list(&site.without, 5)
            );
            // Never "add A and B": two loaders on a page load Heap twice.
            let help = match site.loaders.as_slice() {
                [one] => format!(
                    "add the loader the other pages use ({one}) to these pages, usually in the shared layout's <head>"
                ),
                _ => format!(
                    "add ONE of the loaders the other pages use ({}) to these pages, usually in the shared layout's <head>: the one the recommended install path keeps, never two (Heap would load twice)",
                    site.loaders.iter().take(3).cloned().collect::<Vec<_>>().join(" or ")
                ),
            };
            out.push(finding(
                self,
                self.severity(),
                message,
                help,
                site.without,
                site.with.evidence,
            ));
        }
        out
    }
}

/// Whether Heap could be loaded by something heap-audit did not read (see [`not_judged`]; a
/// page cut short is handled by the caller).
fn unknown<'a>(page: &'a Page, candidates: &mut Candidates<'a>) -> bool {
    not_judged(page, candidates)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Problem, ProblemKind, Report};
    use crate::rules::common::testing::{gtm, native_heap, page, report, unverified};
    use crate::rules::Config;

    fn missing(report: &Report) -> Vec<String> {
        let config = Config::default();
        let cx = Context {
            report,
            config: &config,
        };
        HeapMissingOnSomePages
            .check(&cx)
            .into_iter()
            .flat_map(|f| f.pages)
            .collect()
    }

    #[test]
    fn the_help_never_says_to_add_two_loaders() {
        let r = report(vec![
            page("/", vec![native_heap("/", "2682025610")]),
            page("/pricing", vec![native_heap("/pricing", "1535634150")]),
            page("/about", vec![]),
        ]);
        let config = Config::default();
        let cx = Context {
            report: &r,
            config: &config,
        };
        let findings = HeapMissingOnSomePages.check(&cx);
        let help = findings
            .first()
            .map(|f| f.help.as_str())
            .unwrap_or_default();
        assert!(help.starts_with("add ONE of the loaders"), "{help}");
        assert!(help.contains(" or ") && !help.contains(" and "), "{help}");
        assert!(help.contains("never two"), "{help}");
    }

    #[test]
    fn a_read_container_is_judged_even_if_a_problem_url_names_its_id() {
        let mut r = report(vec![
            page("/", vec![native_heap("/", "2682025610")]),
            page("/help", vec![gtm("/help", "GTM-K9X2", "fetched")]),
        ]);
        // A template script of that container failed: the container itself was read.
        r.problems.push(Problem {
            url: "https://cdn.example-widgets.com/loader.js?c=GTM-K9X2".into(),
            kind: ProblemKind::HttpStatus,
            message: "HTTP 404".into(),
            phase: None,
        });
        assert_eq!(missing(&r), vec!["https://www.example.com/help"]);
    }

    #[test]
    fn an_unread_container_leaves_the_page_unjudged() {
        for state in ["offline", "error", "unavailable"] {
            let r = report(vec![
                page("/", vec![native_heap("/", "2682025610")]),
                page("/help", vec![gtm("/help", "GTM-K9X2", state)]),
            ]);
            assert!(missing(&r).is_empty(), "{state}");
        }
    }

    #[test]
    fn a_library_naming_itself_does_not_hide_that_it_was_read() {
        let mut inner = gtm("/help", "GTM-K9X2", "fetched");
        inner.via = crate::model::Via::Gtm;
        inner.library = None;
        let r = report(vec![
            page("/", vec![native_heap("/", "2682025610")]),
            page("/help", vec![gtm("/help", "GTM-K9X2", "fetched"), inner]),
        ]);
        assert_eq!(missing(&r), vec!["https://www.example.com/help"]);
    }

    #[test]
    fn an_unconfirmed_segment_candidate_leaves_the_page_unjudged() {
        let mut r = report(vec![
            page("/", vec![native_heap("/", "2682025610")]),
            page("/help", vec![]),
        ]);
        assert_eq!(missing(&r), vec!["https://www.example.com/help"]);
        r.unverified.push(unverified(
            "segment-candidate",
            "https://www.example.com/help",
            "a Segment-like snippet (write key k) loads from https://seg.example-proxy.net, whose settings could not be read (offline): whether it is Segment, and loads Heap, is unknown",
        ));
        assert!(missing(&r).is_empty());
    }

    #[test]
    fn a_candidate_in_a_container_on_the_page_leaves_it_unjudged() {
        let page_with = |path: &str, id: &str| page(path, vec![gtm(path, id, "fetched")]);
        let candidate = unverified(
            "segment-candidate",
            "https://www.googletagmanager.com/gtm.js?id=GTM-K9X2",
            "a Segment-like snippet (write key k) whose settings could not be read",
        );
        let mut r = report(vec![
            page("/", vec![native_heap("/", "2682025610")]),
            page_with("/help", "GTM-K9X2"),
            page_with("/docs", "GTM-OTHER"),
        ]);
        r.unverified.push(candidate);
        assert_eq!(missing(&r), vec!["https://www.example.com/docs"]);
    }
}
