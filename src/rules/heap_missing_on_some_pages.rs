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
    active, audited, container_read, count, describe, evidence_of, found_on, list, Group,
};
use super::{finding, Context, Rule};
use crate::model::{Finding, Page, Report, Severity, Vendor};

pub struct HeapMissingOnSomePages;

#[derive(Default)]
struct Site {
    with: Group,
    without: Vec<String>,
    unknown: usize,
    loaders: Vec<String>,
    ids: Vec<String>,
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

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut sites: BTreeMap<&str, Site> = BTreeMap::new();
        // A source file no page was found to render is not a page a visitor loads.
        for page in audited(cx.report).filter(|p| p.kind.as_deref() != Some("file")) {
            let site = sites.entry(&page.site).or_default();
            let heap = active(page, Vendor::Heap);
            if heap.is_empty() {
                // A page whose body was cut short is not known to lack Heap.
                if page.incomplete {
                    continue;
                }
                if unknown(page, cx.report) {
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
                if let Some(id) = install.id.as_ref().filter(|id| !site.ids.contains(id)) {
                    site.ids.push(id.clone());
                }
                let name = describe(install, page);
                if !site.loaders.contains(&name) {
                    site.with.evidence(evidence_of(install, page));
                    site.loaders.push(name);
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
            let help = format!(
                "add the loader the other pages use ({}) to these pages, usually in the shared layout's <head>",
                list(&site.loaders, 3)
            );
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

/// Whether Heap could be loaded by something heap-audit did not read: a Segment install whose
/// settings were not read, a tag manager whose container or library was not read, or a
/// Segment-like snippet on another host that could not be confirmed (`segment-candidate`).
fn unknown(page: &Page, report: &Report) -> bool {
    page.installs
        .iter()
        .filter(|i| i.active)
        .any(|i| match i.vendor {
            Vendor::Segment => i.settings.as_deref() != Some("fetched"),
            v if v.is_tag_manager() => !container_read(i, page),
            _ => false,
        })
        || report
            .unverified
            .iter()
            .any(|u| u.kind == "segment-candidate" && found_on(page, &u.url))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Problem, ProblemKind};
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
}
