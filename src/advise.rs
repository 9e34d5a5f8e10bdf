//! The recommended install path: Heap through Segment, or Heap's snippet installed natively, with
//! the reasons (from Heap's Segment installation guide) and concrete steps built from what the
//! scan found. Pure: inventory + findings + what the user said → a [`Recommendation`].
//!
//! The guide's rule: install Heap via Segment when the site uses Segment on the web, unless
//! Segment is loaded through Google Tag Manager, text capture must be disabled, or the team is
//! not committed to Segment long-term; then (and when the site has no Segment) install natively.
//! A site with neither Heap nor Segment still gets advice (native): heap-audit is usually run
//! before or while installing. No advice is given when no page could be audited.
//!
//! Steps are worked out page by page: direct Heap code is removed only where Segment's
//! device-mode Heap takes over (at once where it already runs, after the Segment steps where it
//! does not yet), and pages with Heap but no Segment get their own step (add Segment there, or
//! keep Heap's snippet on them, with what that costs). "Heap is loaded both directly and by
//! Segment" is said only of pages where both run.
//!
//! Linear in pages and installs: the facts are gathered in one pass over the pages, and how each
//! page stands with Segment is looked up by URL, never searched for in the lists of installs.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use crate::model::{Finding, Install, Mode, Page, Recommendation, Report, Vendor, Via};
use crate::rules::common::{
    active, audited, count, describe, heap_with_data, list, manager_label, text_capture_option,
    through_tag_manager,
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
    /// What runs on the pages of each URL, for [`Facts::standing`].
    by_url: HashMap<&'a str, OnPage>,
}

/// What runs on the pages of one URL.
#[derive(Default, Clone, Copy)]
struct OnPage {
    /// Segment's Heap runs there (an active Heap install through Segment).
    segment_heap: bool,
    /// An active Segment install is there.
    segment: bool,
    /// An active Segment install that is not loaded through a tag manager is there.
    segment_in_page: bool,
}

impl<'a> Facts<'a> {
    fn gather(report: &'a Report) -> Facts<'a> {
        let mut f = Facts::default();
        let mut text_capture = HashSet::new();
        for page in audited(report) {
            f.pages.push(page);
            let on = f.by_url.entry(page.url.as_str()).or_default();
            for segment in active(page, Vendor::Segment) {
                on.segment = true;
                on.segment_in_page |= !through_tag_manager(segment.via);
                f.segments.push((page, segment));
            }
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
                on.segment_heap |= heap.active;
                f.via_segment.push((page, heap));
            }
            for install in &page.installs {
                // Load options that reached a Heap destination are named by that destination.
                let reached = install.vendor == Vendor::Segment
                    && install.id.is_some()
                    && page.installs.iter().any(|h| {
                        h.via == Via::Segment && h.write_key == install.id && disables_text(h)
                    });
                if disables_text(install) && !reached {
                    let name = describe(install, page);
                    if text_capture.insert(name.clone()) {
                        f.text_capture.push(name);
                    }
                }
            }
        }
        f
    }

    /// How a page stands with Segment: whether Segment's device-mode Heap runs there, or only
    /// Segment, or neither.
    fn standing(&self, page: &Page) -> Standing {
        let on = self.on(page);
        if on.segment_heap {
            Standing::SegmentLoadsHeap
        } else if on.segment {
            Standing::SegmentWithoutHeap
        } else {
            Standing::NoSegment
        }
    }

    /// What runs on the pages of this page's URL.
    fn on(&self, page: &Page) -> OnPage {
        self.by_url
            .get(page.url.as_str())
            .copied()
            .unwrap_or_default()
    }

    /// Pages where Heap is loaded directly (natively or by a tag manager) and stand so.
    fn direct_pages(&self, standing: Standing, native_only: bool) -> Vec<String> {
        pages_of(
            self.direct
                .iter()
                .filter(|(p, h)| {
                    (!native_only || h.via == Via::Native) && self.standing(p) == standing
                })
                .map(|(p, _)| *p),
        )
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

/// How a page where Heap is loaded directly stands with Segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// Segment's Heap destination also runs there in device mode.
    SegmentLoadsHeap,
    /// Segment runs there, but its Heap does not (no destination, cloud mode, disabled, unknown).
    SegmentWithoutHeap,
    /// No Segment on the page.
    NoSegment,
}

fn disables_text(install: &Install) -> bool {
    let set = |o: &serde_json::Map<String, Value>| text_capture_option(o).is_some();
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
    let mut named = HashSet::new();
    for (page, segment) in facts
        .segments
        .iter()
        .filter(|(_, s)| through_tag_manager(s.via))
    {
        let also_in_page = facts.on(page).segment_in_page;
        let name = format!(
            "{} {}",
            manager_label(segment.via),
            segment.container.as_deref().unwrap_or("(unknown id)")
        );
        if !also_in_page && named.insert(name.clone()) {
            through_tm.push(name);
        }
    }
    if !through_tm.is_empty() {
        let other = if through_tm
            .iter()
            .all(|c| c.starts_with(manager_label(Via::Gtm)))
        {
            ""
        } else {
            " The same extra script downloads before Heap starts apply to any tag manager."
        };
        native.push(format!("Segment is loaded through {}: {GUIDE} says \"If Segment is deployed via Google Tag Manager, direct installation of Heap is recommended to avoid delays in data collection or missed events.\"{other}", list(&through_tm, 3)));
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
        let keys_written = if keys.is_empty() {
            String::new()
        } else {
            format!(" (write key {})", list(&keys, 3))
        };
        let reason = format!("The site uses Segment on the web{keys_written} and nothing argues against it: {GUIDE} recommends installing Heap via Segment \"to leverage Segment for centralized tag management and to quickly extend Segment configuration to Heap\", and in device mode Heap keeps all native functionality, autocapture included.");
        (
            vec![reason],
            segment_steps(&facts, findings, app_id.as_deref()),
        )
    };
    // Only where both run on the same page is Heap loaded twice.
    let both = facts.direct_pages(Standing::SegmentLoadsHeap, false);
    if !both.is_empty() {
        let remove = if path == "segment" {
            "the native/tag-manager Heap code there"
        } else {
            "Segment's Heap destination"
        };
        reasons.push(format!(
            "Heap is loaded both directly and by Segment on the same page today ({}: {}); {GUIDE} says \"you must NOT install the Heap snippet directly AND install via Segment\": remove {remove}.",
            count(both.len(), "page"),
            list(&both, 3)
        ));
    }
    let mut steps = steps;
    steps.extend(app_steps(report));
    Some(Recommendation {
        install_path: path.to_owned(),
        reasons,
        steps,
    })
}

/// Steps for the repository's mobile apps: the web's install path does not apply to them, and
/// Heap's guide says autocapture there needs Heap's own SDK.
fn app_steps(report: &Report) -> Vec<String> {
    use crate::rules::apps;
    apps::all(report)
        .filter(|a| apps::is_mobile(a) && apps::uses(a, crate::model::Vendor::Segment))
        .filter(|a| !apps::uses(a, crate::model::Vendor::Heap))
        .map(|a| format!("in the {}, install Heap's own SDK for autocapture: through Segment a mobile app reaches Heap only in cloud mode, with Segment-tracked events only", apps::name(a)))
        .collect()
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
    // Ids an environment switch uses alongside `id` are not to be replaced (staging stays staging).
    let families = crate::rules::common::IdFamilies::from_pages(facts.pages.iter().copied());
    let mut others: Vec<String> = facts
        .pages
        .iter()
        .flat_map(|p| heap_with_data(p))
        .filter_map(|i| i.id.clone())
        .filter(|i| !families.same(i, id))
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

/// `loads` for one page, `load` for several.
fn verb(n: usize, base: &str) -> String {
    if n == 1 {
        format!("{base}s")
    } else {
        base.to_owned()
    }
}

/// The URLs of these pages, each once, in order.
fn pages_of<'a>(items: impl Iterator<Item = &'a Page>) -> Vec<String> {
    let mut seen: HashSet<&str> = HashSet::new();
    items
        .filter(|page| seen.insert(page.url.as_str()))
        .map(|page| page.url.clone())
        .collect()
}

fn native_steps(facts: &Facts, findings: &[Finding], app_id: Option<&str>) -> Vec<String> {
    let mut steps = Vec::new();
    let id = app_id.unwrap_or("YOUR_APP_ID");
    let options = if facts.text_capture.is_empty() {
        String::new()
    } else {
        ", { disableTextCapture: true }".to_owned()
    };
    let native: Vec<&(&Page, &Install)> = facts
        .direct
        .iter()
        .filter(|(_, h)| h.via == Via::Native)
        .collect();
    let with_native: HashSet<&str> = native.iter().map(|(n, _)| n.url.as_str()).collect();
    let missing = pages_of(
        facts
            .pages
            .iter()
            .copied()
            .filter(|p| !with_native.contains(p.url.as_str())),
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
    }
    // Only the native snippets that do not already disable text capture need the option.
    let lacking = pages_of(
        native
            .iter()
            .filter(|(_, h)| !disables_text(h))
            .map(|(p, _)| *p),
    );
    if !options.is_empty() && !lacking.is_empty() {
        steps.push(format!(
            "pass {{ disableTextCapture: true }} to heap.load(\"{id}\") in the native snippet of the {} that do not set it yet: {} (set today in {})",
            count(lacking.len(), "page"),
            list(&lacking, 5),
            list(&facts.text_capture, 3)
        ));
    }
    for (container, _) in by_container(&facts.direct) {
        steps.push(format!(
            "remove Heap from {container} once the snippet is in the page"
        ));
    }
    let mut destinations: Vec<String> = Vec::new();
    let mut named = HashSet::new();
    for (_, heap) in facts.via_segment.iter().filter(|(_, h)| h.active) {
        let step = format!(
            "disable the Heap destination \"{}\" (app id {}) of Segment source {} in device mode, or switch it to cloud mode if Segment-tracked events should also reach Heap as server-side events",
            heap.destination.as_deref().unwrap_or("Heap"),
            heap.id.as_deref().unwrap_or("unreadable"),
            heap.write_key.as_deref().unwrap_or("unreadable")
        );
        if named.insert(step.clone()) {
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
    let keys = facts.write_keys();
    // First make Segment load Heap in device mode, source by source.
    let id = app_id.unwrap_or(NO_ID);
    // Heap through Segment by write key, and the write keys whose settings some page did not read.
    let mut by_key: HashMap<&str, Vec<&(&Page, &Install)>> = HashMap::new();
    for pair in &facts.via_segment {
        if let Some(key) = pair.1.write_key.as_deref() {
            by_key.entry(key).or_default().push(pair);
        }
    }
    let unread_keys: HashSet<&str> = facts
        .segments
        .iter()
        .filter(|(_, s)| s.settings.as_deref() != Some("fetched"))
        .filter_map(|(_, s)| s.id.as_deref())
        .collect();
    for key in &keys {
        let heap: Vec<&(&Page, &Install)> = by_key.remove(key.as_str()).unwrap_or_default();
        let unread = unread_keys.contains(key.as_str());
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
    // Then remove the direct Heap code, page by page: only where Segment's Heap takes over.
    let lonely = facts.direct_pages(Standing::NoSegment, false);
    if !lonely.is_empty() {
        let key = match keys.as_slice() {
            [key] => format!("write key {key}"),
            _ => format!(
                "the site's write key ({})",
                list(&keys, 3).replace(" and ", " or ")
            ),
        };
        steps.push(format!(
            "add Segment's snippet ({key}) to the <head> of the {} that {} Heap directly but not Segment, and remove the direct Heap code there once Segment loads Heap: {}; or keep Heap's own snippet on those pages only, at a cost: two install paths to keep in sync by hand (app id, SDK version: Segment's classic destination loads the classic v4 SDK), and no page may ever get both",
            count(lonely.len(), "page"),
            verb(lonely.len(), "load"),
            list(&lonely, 5)
        ));
    }
    let doubled = facts.direct_pages(Standing::SegmentLoadsHeap, true);
    if !doubled.is_empty() {
        steps.push(format!(
            "remove the native Heap snippet from the {} where Segment's Heap destination also loads Heap: {}",
            count(doubled.len(), "page"),
            list(&doubled, 5)
        ));
    }
    let waiting = facts.direct_pages(Standing::SegmentWithoutHeap, true);
    if !waiting.is_empty() {
        steps.push(format!(
            "remove the native Heap snippet from the {} that {} Segment once Segment's Heap destination runs there (the steps above): {}",
            count(waiting.len(), "page"),
            verb(waiting.len(), "load"),
            list(&waiting, 5)
        ));
    }
    // A first-party file or a container serves many pages: it can go only where every page it
    // serves loads Segment.
    let mut files: BTreeMap<&str, Vec<&Page>> = BTreeMap::new();
    for (page, heap) in facts
        .direct
        .iter()
        .filter(|(p, h)| h.via == Via::Native && h.evidence.source != p.url)
    {
        files.entry(&heap.evidence.source).or_default().push(page);
    }
    for (file, pages) in files {
        let without = pages_of(
            pages
                .into_iter()
                .filter(|p| facts.standing(p) == Standing::NoSegment),
        );
        steps.push(if without.is_empty() {
            format!("the snippet is in the site's own script file {file}: remove it there")
        } else {
            format!(
                "the snippet is in the site's own script file {file}, which the {} without Segment also {} ({}): remove it there once {} Segment",
                count(without.len(), "page"),
                verb(without.len(), "use"),
                list(&without, 3),
                if without.len() == 1 { "it loads" } else { "they load" }
            )
        });
    }
    for (container, pages) in by_container(&facts.direct) {
        let without = pages_of(
            pages
                .into_iter()
                .filter(|p| facts.standing(p) == Standing::NoSegment),
        );
        steps.push(if without.is_empty() {
            format!("remove Heap from {container}")
        } else {
            format!(
                "remove Heap from {container} once the {} without Segment that {} it {} Segment: {}",
                count(without.len(), "page"),
                verb(without.len(), "use"),
                verb(without.len(), "load"),
                list(&without, 3)
            )
        });
    }
    let mut leftovers: Vec<String> = Vec::new();
    let mut named = HashSet::new();
    for (page, segment) in facts
        .segments
        .iter()
        .filter(|(_, s)| through_tag_manager(s.via))
    {
        let in_page = facts.on(page).segment_in_page;
        let step = format!(
            "remove the Segment snippet from {} {}: the pages load Segment themselves",
            manager_label(segment.via),
            segment.container.as_deref().unwrap_or("(unknown id)")
        );
        if in_page && named.insert(step.clone()) {
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

/// Tag manager tags that load Heap directly (`tag 7 of GTM container GTM-HEAPG1 (used on 3
/// pages)`), with the pages that use each.
fn by_container<'a>(direct: &[(&'a Page, &Install)]) -> Vec<(String, Vec<&'a Page>)> {
    let mut out: BTreeMap<String, Vec<&'a Page>> = BTreeMap::new();
    let mut seen: HashSet<(String, &str)> = HashSet::new();
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
        if seen.insert((name.clone(), page.url.as_str())) {
            out.entry(name).or_default().push(page);
        }
    }
    out.into_iter()
        .map(|(name, pages)| {
            (
                format!("{name} (used on {})", count(pages.len(), "page")),
                pages,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Evidence;
    use crate::rules::common::testing::{classic_destination, native_heap, page, report, segment};

    const KEY: &str = "q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH";

    fn heap_in_gtm(id: &str) -> Install {
        let mut heap = Install::new(
            Vendor::Heap,
            Some(id.into()),
            Via::Gtm,
            Evidence {
                source: "https://www.googletagmanager.com/gtm.js?id=GTM-K9X2".into(),
                line: None,
                snippet: String::new(),
                signature: "heap-load".into(),
                tag: Some("tag 7".into()),
                offset: None,
            },
        );
        heap.container = Some("GTM-K9X2".into());
        heap
    }

    #[test]
    fn unread_write_keys_are_not_the_same_source() {
        // A Segment install whose write key could not be read, with text capture disabled in its
        // load options, and a Heap destination whose write key is unknown: not the same source.
        let mut unread = segment("/", KEY);
        unread.id = None;
        unread.settings = Some("unavailable".into());
        unread.options =
            serde_json::json!({"integrations": {"Heap": {"disableTextCapture": true}}})
                .as_object()
                .cloned()
                .unwrap_or_default();
        let mut orphan = classic_destination(KEY, "2682025610");
        orphan.write_key = None;
        orphan.options = serde_json::json!({"disableTextCapture": true})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let r = report(vec![page("/", vec![unread, orphan])]);
        let facts = Facts::gather(&r);
        assert_eq!(facts.text_capture.len(), 2, "{:?}", facts.text_capture);
        assert!(
            facts.text_capture.iter().any(|t| t.starts_with("Segment")),
            "{:?}",
            facts.text_capture
        );
    }

    #[test]
    fn a_container_serving_pages_without_segment_waits_for_them() {
        let r = report(vec![
            page(
                "/",
                vec![
                    heap_in_gtm("2682025610"),
                    segment("/", KEY),
                    classic_destination(KEY, "2682025610"),
                ],
            ),
            page("/docs", vec![heap_in_gtm("2682025610")]),
        ]);
        let rec = recommend(&r, &[], &crate::rules::Config::default()).expect("advice");
        assert_eq!(rec.install_path, "segment", "{rec:#?}");
        assert!(
            rec.steps.iter().any(|s| s
                == "remove Heap from tag 7 of GTM container GTM-K9X2 (used on 2 pages) once the 1 page without Segment that uses it loads Segment: https://www.example.com/docs"),
            "{rec:#?}"
        );
        assert!(
            rec.reasons
                .iter()
                .any(|s| s.contains("on the same page today (1 page: https://www.example.com/)")),
            "{rec:#?}"
        );
        // Everything on Segment's side: the container step has no condition left.
        let r = report(vec![page(
            "/",
            vec![
                heap_in_gtm("2682025610"),
                segment("/", KEY),
                classic_destination(KEY, "2682025610"),
            ],
        )]);
        let rec = recommend(&r, &[], &crate::rules::Config::default()).expect("advice");
        assert!(
            rec.steps
                .iter()
                .any(|s| s == "remove Heap from tag 7 of GTM container GTM-K9X2 (used on 1 page)"),
            "{rec:#?}"
        );
    }

    #[test]
    fn native_pages_whose_segment_does_not_load_heap_yet_wait_for_it() {
        let mut cloud = classic_destination(KEY, "2682025610");
        cloud.mode = Some(Mode::Cloud);
        cloud.active = false;
        let r = report(vec![page(
            "/",
            vec![native_heap("/", "2682025610"), segment("/", KEY), cloud],
        )]);
        let rec = recommend(&r, &[], &crate::rules::Config::default()).expect("advice");
        assert_eq!(rec.install_path, "segment", "{rec:#?}");
        let steps = rec.steps.join("\n");
        let switch = steps.find("switch the Heap destination").expect(&steps);
        let remove = steps
            .find("remove the native Heap snippet from the 1 page that loads Segment once Segment's Heap destination runs there")
            .expect(&steps);
        assert!(switch < remove, "{steps}");
        assert!(
            !rec.reasons.iter().any(|s| s.contains("loaded both")),
            "{rec:#?}"
        );
    }
}
