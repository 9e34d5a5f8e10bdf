//! ## What it does
//! Flags a `heap.load` option that is not the same on every page of a site (or of one environment
//! of the config file's `[[environments]]`): `disableTextCapture` on some pages and not on others,
//! and likewise `secureCookie`, `forceSSL`, `disablePageviewAutocapture`, `disableSessionReplay`,
//! `trackingServer` and `ingestServer`. One finding per option and site; its pages are the **odd
//! pages**, those that differ from what most pages do (on a tie, the pages that set the option),
//! and its message counts both sides.
//!
//! Compared: the Heap loaders that run on a page. Segment's classic Heap destination passes no
//! option to `heap.load`, so on its pages every option counts as not set; Heap Web (Actions) is
//! compared for text capture only (its other settings are not `heap.load` options), and not at all
//! where another loader defined `window.heap` first. Pages where what loads Heap is unknown
//! (Segment settings or a tag manager container not read) are left out.
//!
//! Not this rule's: different app ids across pages are reported by `app-id-mismatch`, and classic
//! (v4) and v5 SDKs on different pages by `mixed-heap-sdk-versions`; this rule covers the options
//! only, so that no difference is reported twice.
//!
//! Severity: **warning**. Nothing fails to load, but the setting applies to part of the site only:
//! with text capture, target text (button labels, names and emails shown on the page) is captured
//! on the pages without the option, the privacy setting the other pages show is not kept; with the
//! other options, cookies, page views or the tracking endpoint differ from page to page, so the
//! same visitor is recorded differently across the site.
//!
//! ## Why is this bad?
//! An option set in one template and not in the others is usually an accident (a blog or docs
//! template with its own copy of the snippet). It also misleads the choice of install path: one page
//! with `disableTextCapture` is not a site that needs text capture disabled, and a site that needs
//! it must have it on every page (Heap's guide lists "data collection privacy concerns" with
//! disableTargetText as a reason to install Heap natively).
//!
//! ## Example
//! ```html
//! <!-- index.html, pricing.html, docs.html --> <script>/* Heap snippet */ heap.load("2682025610");</script>
//! <!-- blog/launch.html --> <script>/* Heap snippet */ heap.load("2682025610", { disableTextCapture: true });</script>
//! ```
//!
//! ## Use instead
//! The same options on every page, usually from the shared layout's snippet; or Heap's Target Text
//! Autocapture setting (Account > Manage > Privacy & Security), which applies to every page and
//! works with any install method.
//! ```html
//! <!-- every page --> <script>/* Heap snippet */ heap.load("2682025610", { disableTextCapture: true });</script>
//! ```
//!
//! ## References
//! - Heap, ignoring sensitive data: <https://developers.heap.io/docs/ignoring-sensitive-data-and-pii>
//! - Heap, web installation: <https://help.heap.io/installation/standard-installations/web-installation/>
//! - Segment classic Heap integration (passes only appId): <https://github.com/segmentio/analytics.js-integrations/blob/master/integrations/heap/lib/index.js>

use crate::hashing::{HashMap, HashSet};
use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::Value;

use super::common::{
    active, audited, evidence_of, is_actions, list, not_judged, skipped_actions,
    text_capture_option, Candidates, Group,
};
use super::{environment_of, finding, Context, Rule};
use crate::model::{Finding, Install, Severity, Vendor, Via};

pub struct HeapOptionsDiffer;

/// The `heap.load` options compared (text capture is compared under `disableTextCapture`,
/// whichever of its names the page uses).
const OPTIONS: &[&str] = &[
    "disableTextCapture",
    "secureCookie",
    "forceSSL",
    "disablePageviewAutocapture",
    "disableSessionReplay",
    "trackingServer",
    "ingestServer",
];

const NOT_SET: &str = "not set";

/// What one loader says of an option.
type Said<'a> = (&'a Install, Cow<'a, str>);

/// A page's value of `option`, and what each of its loaders says: the first loader that says
/// one; Heap Web (Actions) says one for text capture only.
fn value_on<'a>(loaders: &[&'a Install], option: &str) -> Option<(Cow<'a, str>, Vec<Said<'a>>)> {
    let said: Vec<Said> = loaders
        .iter()
        .filter(|i| !is_actions(i) || option == "disableTextCapture")
        .map(|i| (*i, value_of(i, option)))
        .collect();
    let value = said
        .iter()
        .find(|(_, v)| v != NOT_SET)
        .or_else(|| said.first())
        .map(|(_, v)| v.clone())?;
    Some((value, said))
}

/// The value most pages have (on a tie, "not set" is the norm and setting it the odd one), from
/// the number of pages with each value; `None` when all pages agree.
fn norm(values: &BTreeMap<String, usize>) -> Option<&String> {
    if values.len() < 2 {
        return None;
    }
    values
        .iter()
        .min_by(|a, b| by_use((a.0, *a.1), (b.0, *b.1)))
        .map(|(v, _)| v)
}

/// Most pages first; on a tie, "not set" first, then by value.
fn by_use(a: (&String, usize), b: (&String, usize)) -> std::cmp::Ordering {
    b.1.cmp(&a.1)
        .then((b.0 == NOT_SET).cmp(&(a.0 == NOT_SET)))
        .then(a.0.cmp(b.0))
}

impl Rule for HeapOptionsDiffer {
    fn name(&self) -> &'static str {
        "heap-options-differ"
    }
    fn code(&self) -> &'static str {
        "HA021"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "a heap.load option (disableTextCapture, secureCookie, ...) is set on some pages and not on others"
    }
    fn doc(&self) -> String {
        super::doc_from_source(include_str!("heap_options_differ.rs"))
    }

    /// Linear in pages and installs: one pass counts the pages with each value of each option,
    /// by site (and environment); a second keeps the pages and evidence of the values that are
    /// not the norm.
    fn check(&self, cx: &Context) -> Vec<Finding> {
        // (site, environment) -> option -> value -> how many pages
        type Values = BTreeMap<String, usize>;
        let mut sites: BTreeMap<(&str, &str), BTreeMap<&str, Values>> = BTreeMap::new();
        let mut candidates = Candidates::of(cx.report);
        let mut seen: HashSet<&str> = HashSet::default();
        // The pages judged, with their site key and Heap loaders.
        let mut judged = Vec::new();
        for page in audited(cx.report).filter(|p| p.kind.as_deref() != Some("file")) {
            if !seen.insert(page.url.as_str()) || not_judged(page, &mut candidates) {
                continue;
            }
            let loaders: Vec<&Install> = active(page, Vendor::Heap)
                .into_iter()
                .filter(|i| !skipped_actions(i, page))
                .collect();
            if loaders.is_empty() {
                continue;
            }
            let env =
                environment_of(&cx.config.environments, &page.url).map_or("", |e| e.name.as_str());
            judged.push(((page.site.as_str(), env), page, loaders));
        }
        // First pass: how many pages have each value of each option. Only pages whose value is
        // not the norm are kept, in the second pass: most options agree on every page, and
        // keeping every page's URL would cost memory and time in proportion to pages x options.
        for (key, _, loaders) in &judged {
            let site = sites.entry(*key).or_default();
            for option in OPTIONS {
                if let Some((value, _)) = value_on(loaders, option) {
                    let values = site.entry(option).or_default();
                    match values.get_mut(value.as_ref()) {
                        Some(n) => *n += 1,
                        None => {
                            values.insert(value.into_owned(), 1);
                        }
                    }
                }
            }
        }
        // Second pass: the pages, and the evidence, of the values that are not the norm.
        let norms: HashMap<(&(&str, &str), &str), &String> = sites
            .iter()
            .flat_map(|(key, options)| {
                options
                    .iter()
                    .filter_map(move |(option, values)| Some(((key, *option), norm(values)?)))
            })
            .collect();
        let mut odd: HashMap<(&(&str, &str), &str, String), Group> = HashMap::default();
        for (key, page, loaders) in &judged {
            for option in OPTIONS {
                let Some(norm) = norms.get(&(key, *option)) else {
                    continue;
                };
                let Some((value, said)) = value_on(loaders, option) else {
                    continue;
                };
                if value == norm.as_str() {
                    continue;
                }
                let group = odd.entry((key, *option, value.to_string())).or_default();
                group.page(&page.url);
                for (install, v) in &said {
                    if *v == value {
                        group.evidence(evidence_of(install, page));
                    }
                }
            }
        }
        let mut out = Vec::new();
        for (key, options) in &sites {
            let (site, env) = key;
            for (option, values) in options {
                let Some(norm) = norms.get(&(key, *option)).copied() else {
                    continue;
                };
                let total: usize = values.values().sum();
                let mut by_use: Vec<(&String, usize)> =
                    values.iter().map(|(v, n)| (v, *n)).collect();
                // Most pages first; on a tie, "not set" is the norm and setting it the odd one.
                by_use.sort_by(|a, b| self::by_use(*a, *b));
                let mut all = Group::default();
                let mut parts = Vec::new();
                for (value, _) in by_use.iter().filter(|(v, _)| *v != norm) {
                    let Some(g) = odd.remove(&(key, *option, (*value).clone())) else {
                        continue;
                    };
                    g.pages.iter().for_each(|p| all.page(p));
                    all.evidence(g.evidence);
                    parts.push(format!(
                        "{} on {} of {total} pages with Heap ({})",
                        said(option, value),
                        g.pages.len(),
                        list(&g.pages, 5)
                    ));
                }
                let scope = if env.is_empty() {
                    (*site).to_owned()
                } else {
                    format!("the {env} pages of {site}")
                };
                let message = format!(
                    "heap option {option} differs between pages of {scope}: {}, {} on the other {}",
                    parts.join("; "),
                    said(option, norm),
                    values.get(norm).copied().unwrap_or(0)
                );
                let help = if *option == "disableTextCapture" {
                    format!("decide whether the site needs text capture disabled, then pass disableTextCapture: true to heap.load on all {total} pages or on none (in the snippet of the shared layout); Heap's Target Text Autocapture setting (Account > Manage > Privacy & Security) applies to every page with any install method; Segment's classic Heap destination cannot pass the option")
                } else {
                    format!("pass the same {option} to heap.load on all {total} pages (in the snippet of the shared layout)")
                };
                out.push(finding(
                    self,
                    self.severity(),
                    message,
                    help,
                    all.pages,
                    all.evidence,
                ));
            }
        }
        out
    }
}

/// `set (true)` or `not set`.
fn said(option: &str, value: &str) -> String {
    if value == NOT_SET {
        format!("{option} not set")
    } else if option == "disableTextCapture" {
        format!("{option} set")
    } else {
        format!("{option} = {value}")
    }
}

/// What an install passes to `heap.load` for `option`: the value's JSON text, or [`NOT_SET`].
fn value_of<'a>(install: &'a Install, option: &str) -> Cow<'a, str> {
    // Segment's classic destination calls heap.load with the app id only.
    if install.via == Via::Segment && !is_actions(install) {
        return Cow::Borrowed(NOT_SET);
    }
    if option == "disableTextCapture" {
        return Cow::Borrowed(match text_capture_option(&install.options) {
            Some(_) => "true",
            None => NOT_SET,
        });
    }
    match install.options.get(option) {
        None | Some(Value::Null) => Cow::Borrowed(NOT_SET),
        Some(Value::String(s)) => Cow::Borrowed(s),
        Some(v) => Cow::Owned(v.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::common::testing::{classic_destination, native_heap, page, report, segment};
    use crate::rules::Config;

    fn with_text_option(path: &str, id: &str) -> Install {
        let mut heap = native_heap(path, id);
        heap.options = serde_json::json!({"disableTextCapture": true})
            .as_object()
            .cloned()
            .unwrap_or_default();
        heap
    }

    fn findings(r: &crate::model::Report) -> Vec<Finding> {
        let config = Config::default();
        HeapOptionsDiffer.check(&Context {
            report: r,
            config: &config,
        })
    }

    #[test]
    fn names_the_odd_page_only() {
        let key = "q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH";
        let mut pages: Vec<_> = ["/", "/pricing", "/docs"]
            .iter()
            .map(|p| page(p, vec![native_heap(p, "2682025610")]))
            .collect();
        // Segment's classic destination passes no option: counts as not set.
        pages.push(page(
            "/about",
            vec![
                segment("/about", key),
                classic_destination(key, "9876543210"),
            ],
        ));
        pages.push(page("/blog", vec![with_text_option("/blog", "2682025610")]));
        let found = findings(&report(pages));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].pages, vec!["https://www.example.com/blog"]);
        assert_eq!(
            found[0].message,
            "heap option disableTextCapture differs between pages of https://www.example.com: disableTextCapture set on 1 of 5 pages with Heap (https://www.example.com/blog), disableTextCapture not set on the other 4"
        );
    }

    #[test]
    fn the_same_options_everywhere_and_different_ids_are_not_its_finding() {
        let r = report(vec![
            page("/", vec![with_text_option("/", "2682025610")]),
            page("/about", vec![with_text_option("/about", "9876543210")]),
        ]);
        assert!(findings(&r).is_empty());
    }
}
