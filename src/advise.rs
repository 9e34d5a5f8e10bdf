//! The recommended install path: Heap through Segment, or Heap's snippet installed natively, with
//! the reasons (from Heap's Segment installation guide) and concrete steps built from what the
//! scan found. Pure: inventory + findings + what the user said → a [`Recommendation`].
//!
//! The guide's rule: install Heap via Segment when the site uses Segment on the web, unless
//! Segment is loaded through Google Tag Manager, text capture must be disabled, or the team is
//! not committed to Segment long-term; then (and when the site has no Segment) install natively.
//! A site with neither Heap nor Segment still gets advice (native): heap-audit is usually run
//! before or while installing. No advice is given when no page could be audited.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::{Finding, Install, Mode, Page, Recommendation, Report, Vendor, Via};
use crate::rules::common::{
    active, audited, count, describe, heap_with_data, list, manager_label, through_tag_manager,
    truthy,
};
use crate::rules::Config;

const GUIDE: &str = "Heap's Segment installation guide";
/// Stands for the app id when none was found or given.
const NO_ID: &str = "YOUR_APP_ID (Heap: Account > Manage > Projects)";

/// What the site has, page by page.
#[derive(Default)]
struct Facts<'a> {
    pages: Vec<&'a Page>,
    /// Active Segment installs with their page.
    segments: Vec<(&'a Page, &'a Install)>,
    /// Heap loaded natively or by a tag manager, with its page.
    direct: Vec<(&'a Page, &'a Install)>,
    /// Heap through Segment (any state), with its page.
    via_segment: Vec<(&'a Page, &'a Install)>,
    /// Where text capture is disabled (loader descriptions).
    text_capture: Vec<String>,
}

impl<'a> Facts<'a> {
    fn gather(report: &'a Report) -> Facts<'a> {
        let mut f = Facts::default();
        for page in audited(report) {
            f.pages.push(page);
            f.segments
                .extend(active(page, Vendor::Segment).into_iter().map(|i| (page, i)));
            for heap in active(page, Vendor::Heap) {
                if heap.via != Via::Segment {
                    f.direct.push((page, heap));
                }
            }
            for heap in page
                .installs
                .iter()
                .filter(|i| i.vendor == Vendor::Heap && i.via == Via::Segment)
            {
                f.via_segment.push((page, heap));
            }
            for install in &page.installs {
                // Load options that reached a Heap destination are named by that destination.
                let reached = install.vendor == Vendor::Segment
                    && page.installs.iter().any(|h| {
                        h.via == Via::Segment && h.write_key == install.id && disables_text(h)
                    });
                if disables_text(install) && !reached {
                    let name = describe(install, page);
                    if !f.text_capture.contains(&name) {
                        f.text_capture.push(name);
                    }
                }
            }
        }
        f
    }

    fn write_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .segments
            .iter()
            .filter_map(|(_, s)| s.id.clone())
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }
}

fn disables_text(install: &Install) -> bool {
    let set = |o: &serde_json::Map<String, Value>| {
        ["disableTextCapture", "disableTargetText"]
            .iter()
            .any(|k| o.get(*k).is_some_and(truthy))
    };
    match install.vendor {
        Vendor::Heap => set(&install.options),
        Vendor::Segment => install
            .options
            .get("integrations")
            .and_then(Value::as_object)
            .is_some_and(|i| {
                i.iter().any(|(k, v)| {
                    k.to_ascii_lowercase().contains("heap") && v.as_object().is_some_and(set)
                })
            }),
        _ => false,
    }
}

/// The recommended install path, or `None` when no page could be audited.
pub fn recommend(report: &Report, findings: &[Finding], config: &Config) -> Option<Recommendation> {
    let facts = Facts::gather(report);
    if facts.pages.is_empty() {
        return None;
    }
    let mut native = Vec::new();
    let keys = facts.write_keys();
    if facts.segments.is_empty() {
        native.push("No audited page loads Segment, so Heap's own snippet is the way to install it (Heap's guide recommends Segment only for sites that use Segment on the web).".to_owned());
    } else if config.not_committed_to_segment {
        native.push(format!("You are not committed to Segment long-term: {GUIDE} lists this as a reason to install Heap directly, because \"if Heap is implemented via Segment and Segment is removed, then Heap will need to be re-installed and re-configured\"."));
    }
    // Segment counts as deployed through a tag manager where a page gets it only that way; a
    // leftover copy in a container next to the page's own snippet is a cleanup step instead.
    let mut through_tm: Vec<String> = Vec::new();
    for (page, segment) in facts
        .segments
        .iter()
        .filter(|(_, s)| through_tag_manager(s.via))
    {
        let also_in_page = facts
            .segments
            .iter()
            .any(|(p, s)| p.url == page.url && !through_tag_manager(s.via));
        if let Some(container) = segment
            .container
            .clone()
            .filter(|c| !also_in_page && !through_tm.contains(c))
        {
            through_tm.push(container);
        }
    }
    if !through_tm.is_empty() {
        native.push(format!("Segment is loaded through {}: {GUIDE} says \"If Segment is deployed via Google Tag Manager, direct installation of Heap is recommended to avoid delays in data collection or missed events.\"", list(&through_tm, 3)));
    }
    if !facts.text_capture.is_empty() && !facts.segments.is_empty() {
        native.push(format!("Text capture is disabled ({}): {GUIDE} lists \"data collection privacy concerns\" with disableTargetText as a reason to install Heap directly; Segment's classic Heap destination passes only the app id to heap.load, and Heap Web (Actions), which can pass disableTextCapture, is in private beta and ignores its settings when window.heap already exists (Heap's Target Text Autocapture setting works with any install method).", list(&facts.text_capture, 3)));
    }
    let path = if native.is_empty() {
        "segment"
    } else {
        "native"
    };
    let app_id = choose_app_id(&facts, path, config);
    let (mut reasons, steps) = if path == "native" {
        (native, native_steps(&facts, findings, app_id.as_deref()))
    } else {
        let reason = format!("The site uses Segment on the web (write key {}) and nothing argues against it: {GUIDE} recommends installing Heap via Segment \"to leverage Segment for centralized tag management and to quickly extend Segment configuration to Heap\", and in device mode Heap keeps all native functionality, autocapture included.", list(&keys, 3));
        (
            vec![reason],
            segment_steps(&facts, findings, app_id.as_deref()),
        )
    };
    if !facts.direct.is_empty() && facts.via_segment.iter().any(|(_, h)| h.active) {
        let remove = if path == "segment" {
            "the native/tag-manager Heap code"
        } else {
            "Segment's Heap destination"
        };
        let direct = pages_of(facts.direct.iter().map(|(p, _)| *p)).len();
        let segment = pages_of(
            facts
                .via_segment
                .iter()
                .filter(|(_, h)| h.active)
                .map(|(p, _)| *p),
        )
        .len();
        reasons.push(format!(
            "Heap is loaded both directly (on {}) and by Segment (on {}) today; {GUIDE} says \"you must NOT install the Heap snippet directly AND install via Segment\": remove {remove}.",
            count(direct, "page"),
            count(segment, "page")
        ));
    }
    Some(Recommendation {
        install_path: path.to_owned(),
        reasons,
        steps,
    })
}

/// The expected id, else the id most used by the recommended path, else the most used id.
fn choose_app_id(facts: &Facts, path: &str, config: &Config) -> Option<String> {
    if let Some(id) = config
        .expect_app_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        return Some(id.to_owned());
    }
    let on_path: Vec<&Install> = if path == "segment" {
        facts
            .via_segment
            .iter()
            .filter(|(_, h)| h.active || h.mode == Some(Mode::Cloud))
            .map(|(_, h)| *h)
            .collect()
    } else {
        facts.direct.iter().map(|(_, h)| *h).collect()
    };
    most_used(on_path.into_iter())
        .or_else(|| most_used(facts.pages.iter().flat_map(|p| heap_with_data(p))))
}

fn most_used<'a>(installs: impl Iterator<Item = &'a Install>) -> Option<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for id in installs.filter_map(|i| i.id.as_deref()) {
        *counts.entry(id).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(id, _)| id.to_owned())
}

fn keep_id_step(facts: &Facts, app_id: Option<&str>) -> Option<String> {
    let id = app_id?;
    let mut others: Vec<String> = facts
        .pages
        .iter()
        .flat_map(|p| heap_with_data(p))
        .filter_map(|i| i.id.clone())
        .filter(|i| i != id)
        .collect();
    others.sort();
    others.dedup();
    Some(if others.is_empty() {
        format!("keep the single app id {id} everywhere")
    } else {
        format!(
            "keep the single app id {id}: replace {} wherever it is used",
            list(&others, 5)
        )
    })
}

fn pages_of<'a>(items: impl Iterator<Item = &'a Page>) -> Vec<String> {
    let mut urls: Vec<String> = Vec::new();
    for page in items {
        if !urls.contains(&page.url) {
            urls.push(page.url.clone());
        }
    }
    urls
}

fn native_steps(facts: &Facts, findings: &[Finding], app_id: Option<&str>) -> Vec<String> {
    let mut steps = Vec::new();
    let id = app_id.unwrap_or("YOUR_APP_ID");
    let options = if facts.text_capture.is_empty() {
        String::new()
    } else {
        ", { disableTextCapture: true }".to_owned()
    };
    let with_native: Vec<&str> = facts
        .direct
        .iter()
        .filter(|(_, h)| h.via == Via::Native)
        .map(|(p, _)| p.url.as_str())
        .collect();
    let missing = pages_of(
        facts
            .pages
            .iter()
            .copied()
            .filter(|p| !with_native.contains(&p.url.as_str())),
    );
    let mut snippet = format!("Heap's snippet with heap.load(\"{id}\"{options})");
    if app_id.is_none() {
        snippet.push_str(" (your app id is in Heap under Account > Manage > Projects)");
    }
    if !missing.is_empty() && missing.len() == facts.pages.len() {
        steps.push(format!(
            "add {snippet} to the <head> of every page (usually the shared layout)"
        ));
    } else if !missing.is_empty() {
        steps.push(format!(
            "add {snippet} to the <head> of the {} without it: {}",
            count(missing.len(), "page"),
            list(&missing, 5)
        ));
    } else if !options.is_empty() {
        steps.push(format!(
            "pass {{ disableTextCapture: true }} to heap.load(\"{id}\") in the native snippet (set today in {})",
            list(&facts.text_capture, 3)
        ));
    }
    for (container, pages) in by_container(&facts.direct) {
        steps.push(format!(
            "remove Heap from {container} (used on {}) once the snippet is in the page",
            count(pages, "page")
        ));
    }
    let mut destinations: Vec<String> = Vec::new();
    for (_, heap) in facts.via_segment.iter().filter(|(_, h)| h.active) {
        let step = format!(
            "disable the Heap destination \"{}\" (app id {}) of Segment source {} in device mode, or switch it to cloud mode if Segment-tracked events should also reach Heap as server-side events",
            heap.destination.as_deref().unwrap_or("Heap"),
            heap.id.as_deref().unwrap_or("unreadable"),
            heap.write_key.as_deref().unwrap_or("unreadable")
        );
        if !destinations.contains(&step) {
            destinations.push(step);
        }
    }
    steps.extend(destinations);
    if findings.iter().any(|f| f.rule == "mixed-heap-sdk-versions") {
        steps.push("use the same Heap snippet version (v5 preferred) on every page".to_owned());
    }
    steps.extend(keep_id_step(facts, app_id));
    steps
}

fn segment_steps(facts: &Facts, findings: &[Finding], app_id: Option<&str>) -> Vec<String> {
    let mut steps = Vec::new();
    let native_pages = pages_of(
        facts
            .direct
            .iter()
            .filter(|(_, h)| h.via == Via::Native)
            .map(|(p, _)| *p),
    );
    if !native_pages.is_empty() {
        steps.push(format!(
            "remove the native Heap snippet from {}: {}",
            count(native_pages.len(), "page"),
            list(&native_pages, 5)
        ));
    }
    let mut files: Vec<String> = facts
        .direct
        .iter()
        .filter(|(p, h)| h.via == Via::Native && h.evidence.source != p.url)
        .map(|(_, h)| h.evidence.source.clone())
        .collect();
    files.sort();
    files.dedup();
    if !files.is_empty() {
        steps.push(format!(
            "the snippet is in the site's own script file {}: remove it there",
            list(&files, 5)
        ));
    }
    for (container, pages) in by_container(&facts.direct) {
        steps.push(format!(
            "remove Heap from {container} (used on {})",
            count(pages, "page")
        ));
    }
    let id = app_id.unwrap_or(NO_ID);
    for key in facts.write_keys() {
        let heap: Vec<&(&Page, &Install)> = facts
            .via_segment
            .iter()
            .filter(|(_, h)| h.write_key.as_deref() == Some(key.as_str()))
            .collect();
        let unread = facts.segments.iter().any(|(_, s)| {
            s.id.as_deref() == Some(key.as_str()) && s.settings.as_deref() != Some("fetched")
        });
        if heap.iter().any(|(_, h)| h.mode == Some(Mode::Cloud)) {
            steps.push(format!("switch the Heap destination of Segment source {key} to device mode for the web, so analytics.js loads Heap with autocapture"));
        } else if heap.is_empty() && unread {
            steps.push(format!("check in Segment that source {key} has the Heap destination in device mode with app id {id} (its settings could not be read)"));
        } else if heap.is_empty() {
            steps.push(format!(
                "add the Heap destination to Segment source {key} in device mode with app id {id}"
            ));
        }
        let disabled = pages_of(
            heap.iter()
                .filter(|(_, h)| !h.active && h.mode == Some(Mode::Device))
                .map(|(p, _)| *p),
        );
        if !disabled.is_empty() {
            steps.push(format!(
                "stop disabling Heap in the analytics.load options of write key {key} on {}: {}",
                count(disabled.len(), "page"),
                list(&disabled, 5)
            ));
        }
    }
    let mut leftovers: Vec<String> = Vec::new();
    for (page, segment) in facts
        .segments
        .iter()
        .filter(|(_, s)| through_tag_manager(s.via))
    {
        let in_page = facts
            .segments
            .iter()
            .any(|(p, s)| p.url == page.url && !through_tag_manager(s.via));
        let step = format!(
            "remove the Segment snippet from {} {}: the pages load Segment themselves",
            manager_label(segment.via),
            segment.container.as_deref().unwrap_or("(unknown id)")
        );
        if in_page && !leftovers.contains(&step) {
            leftovers.push(step);
        }
    }
    steps.extend(leftovers);
    if findings.iter().any(|f| f.rule == "segment-loaded-twice") {
        steps.push("load Segment's snippet once per page".to_owned());
    }
    steps.extend(keep_id_step(facts, app_id));
    steps
}

/// Tag manager tags that load Heap directly (`tag 7 of GTM container GTM-HEAPG1`), with how
/// many pages use each.
fn by_container(direct: &[(&Page, &Install)]) -> Vec<(String, usize)> {
    let mut out: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (page, heap) in direct.iter().filter(|(_, h)| through_tag_manager(h.via)) {
        let container = format!(
            "{} {}",
            manager_label(heap.via),
            heap.container.as_deref().unwrap_or("(unknown id)")
        );
        let name = match &heap.evidence.tag {
            Some(tag) => format!("{tag} of {container}"),
            None => container,
        };
        let pages = out.entry(name).or_default();
        if !pages.contains(&page.url.as_str()) {
            pages.push(&page.url);
        }
    }
    out.into_iter().map(|(k, v)| (k, v.len())).collect()
}
