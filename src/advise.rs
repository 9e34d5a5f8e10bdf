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

use crate::hashing::{HashMap, HashSet};
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::model::{Finding, Install, Mode, Page, Recommendation, Report, Vendor, Via};
use crate::rules::common::{
    active, audited, count, describe, heap_with_data, is_actions, list, manager_label, not_judged,
    text_capture_option, through_tag_manager, Candidates,
};
use crate::rules::{environment_of, Config, Intent};

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
    /// The pages where something disables text capture, each once.
    text_pages: Vec<&'a Page>,
    /// The pages where an active Segment install runs, each once.
    segment_pages: Vec<&'a Page>,
    /// The pages that get Segment only through a tag manager, each once.
    tm_segment_pages: Vec<&'a Page>,
    /// URLs of pages where what loads Heap is unknown ([`not_judged`]): never told to add a loader.
    unjudged: HashSet<&'a str>,
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
        let mut text_capture = HashSet::default();
        let mut candidates = Candidates::of(report);
        for page in audited(report) {
            f.pages.push(page);
            if not_judged(page, &mut candidates) {
                f.unjudged.insert(page.url.as_str());
            }
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
        // Page by page, after every install of a URL was seen (a URL can be audited twice).
        let mut seen: HashSet<&str> = HashSet::default();
        for page in &f.pages {
            if !seen.insert(page.url.as_str()) {
                continue;
            }
            let on = f.on(page);
            if on.segment {
                f.segment_pages.push(page);
                if !on.segment_in_page {
                    f.tm_segment_pages.push(page);
                }
            }
            if page.installs.iter().any(disables_text) {
                f.text_pages.push(page);
            }
        }
        f
    }

    /// Audited pages, each URL once.
    fn total(&self) -> usize {
        self.by_url.len()
    }

    /// Whether the Segment path in use can pass disableTextCapture to Heap: only Heap Web
    /// (Actions) can, so every Heap destination that runs must be one (a private beta, and one
    /// that ignores its settings when window.heap already exists).
    fn segment_carries_text_option(&self) -> bool {
        let running: Vec<&Install> = self
            .via_segment
            .iter()
            .filter(|(_, h)| h.active)
            .map(|(_, h)| *h)
            .collect();
        !running.is_empty() && running.iter().all(|h| is_actions(h))
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
    fn direct_pages(&self, standing: Standing, native_only: bool) -> Vec<&str> {
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
        let keys: BTreeSet<&str> = self
            .segments
            .iter()
            .filter_map(|(_, s)| s.id.as_deref())
            .collect();
        keys.into_iter().map(str::to_owned).collect()
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
///
/// The decision weighs the whole site. First the guide's hard conditions, each of which makes the
/// advice native whatever the page counts: no Segment on any page, a team not committed to Segment
/// (as stated in the configuration), Segment loaded through a tag manager, and a need to disable
/// text capture that the Segment destination in use cannot carry (stated, or, when not stated, shown
/// by most of the pages). Then the pages: Segment when the team states it is committed to Segment,
/// or when Segment runs on at least half of the audited pages; native otherwise. The reasons name
/// the evidence that decided, and what was seen but did not decide (one page of five disabling text
/// capture is reported, not taken as the site's need).
pub fn recommend(report: &Report, findings: &[Finding], config: &Config) -> Option<Recommendation> {
    let facts = Facts::gather(report);
    if facts.pages.is_empty() {
        return None;
    }
    let decision = decide(&facts, config);
    let path = if decision.native { "native" } else { "segment" };
    let app_id = choose_app_id(&facts, path, config);
    let mut reasons = decision.reasons;
    let mut steps = if decision.native {
        native_steps(&facts, findings, app_id.as_deref(), &decision.text, config)
    } else {
        segment_steps(&facts, findings, app_id.as_deref(), &decision.text)
    };
    reasons.extend(decision.notes);
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
    steps.extend(not_judged_step(&facts));
    steps.extend(app_steps(report, config));
    Some(Recommendation {
        install_path: path.to_owned(),
        reasons,
        steps,
    })
}

/// What the text-capture evidence comes to.
struct TextCapture<'a> {
    /// Text capture must be disabled on every page (stated, or shown by most pages).
    needed: bool,
    /// The team said so (`--disable-text-capture`), rather than the pages.
    stated: bool,
    /// The pages that disable it today.
    pages: Vec<&'a str>,
}

/// The install path and the reasons that decided it.
struct Decision<'a> {
    native: bool,
    /// The evidence that decided, first the hard conditions.
    reasons: Vec<String>,
    /// Evidence that was weighed and did not decide.
    notes: Vec<String>,
    text: TextCapture<'a>,
}

/// `3 of 5 audited pages`.
fn of_pages(n: usize, total: usize) -> String {
    format!(
        "{n} of {total} audited {}",
        if total == 1 { "page" } else { "pages" }
    )
}

/// The install path: the guide's hard conditions first, then the pages and the team's stated
/// commitment (see [`recommend`]).
fn decide<'a>(facts: &Facts<'a>, config: &Config) -> Decision<'a> {
    let total = facts.total();
    let commitment = config.segment();
    let text_pages = pages_of(facts.text_pages.iter().copied());
    let stated = config.disable_text_capture != Intent::Unknown;
    let text = TextCapture {
        needed: match config.disable_text_capture {
            Intent::Yes => true,
            Intent::No => false,
            // A need of the site, not of one page: most pages disable text capture.
            Intent::Unknown => text_pages.len() * 2 > total,
        },
        stated,
        pages: text_pages,
    };
    let mut hard = Vec::new();
    let mut notes = Vec::new();
    let keys = facts.write_keys();
    if facts.segments.is_empty() {
        hard.push("No audited page loads Segment, so Heap's own snippet is the way to install it (Heap's guide recommends Segment only for sites that use Segment on the web).".to_owned());
    } else if commitment == Intent::No {
        hard.push(format!("You state that the team is not committed to Segment long-term (segment_commitment = \"not-committed\"): {GUIDE} lists this as a reason to install Heap directly, because \"if Heap is implemented via Segment and Segment is removed, then Heap will need to be re-installed and re-configured\"."));
    }
    // Segment counts as deployed through a tag manager where a page gets it only that way; a
    // leftover copy in a container next to the page's own snippet is a cleanup step instead.
    let mut through_tm: Vec<String> = Vec::new();
    let mut named = HashSet::default();
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
        hard.push(format!("Segment is loaded through {} on {}: {GUIDE} says \"If Segment is deployed via Google Tag Manager, direct installation of Heap is recommended to avoid delays in data collection or missed events.\"{other}", list(&through_tm, 3), of_pages(facts.tm_segment_pages.len(), total)));
    }
    let carried = facts.segment_carries_text_option();
    let where_set = if text.pages.is_empty() {
        "no audited page disables it today".to_owned()
    } else {
        format!(
            "disabled today on {} ({})",
            of_pages(text.pages.len(), total),
            list(&facts.text_capture, 3)
        )
    };
    let why_text = format!("{GUIDE} lists \"data collection privacy concerns\" with disableTargetText as a reason to install Heap directly; Segment's classic Heap destination passes only the app id to heap.load, and Heap Web (Actions), which can pass disableTextCapture, is in private beta and ignores its settings when window.heap already exists (Heap's Target Text Autocapture setting works with any install method)");
    if text.needed && !facts.segments.is_empty() {
        let evidence = if stated {
            format!("You state that text capture must be disabled (disable_text_capture = \"needed\"; {where_set})")
        } else {
            format!(
                "Text capture is disabled on most pages: {} ({})",
                of_pages(text.pages.len(), total),
                list(&facts.text_capture, 3)
            )
        };
        if carried {
            notes.push(format!("{evidence}: every Heap destination that runs is Heap Web (Actions), which can pass disableTextCapture, so this does not rule out Segment; {why_text}."));
        } else {
            hard.push(format!("{evidence}: {why_text}."));
        }
    } else if !text.pages.is_empty() && !facts.segments.is_empty() {
        notes.push(if stated {
            format!("You state that text capture need not be disabled (disable_text_capture = \"not-needed\"), so the {} that {} it ({}) did not decide the install path.", count(text.pages.len(), "page"), verb(text.pages.len(), "disable"), list(&text.pages, 3))
        } else {
            format!("Text capture is disabled on only {} ({}): not taken as the whole site's need (heap-options-differ reports the pages that differ); state disable_text_capture = \"needed\" if every page needs it, which rules out Segment's classic Heap destination.", of_pages(text.pages.len(), total), list(&facts.text_capture, 3))
        });
    }
    if !hard.is_empty() {
        return Decision {
            native: true,
            reasons: hard,
            notes,
            text,
        };
    }
    let keys_written = if keys.is_empty() {
        String::new()
    } else {
        format!("write key {}; ", list(&keys, 3))
    };
    let on = of_pages(facts.segment_pages.len(), total);
    let why = format!("{GUIDE} recommends installing Heap via Segment \"to leverage Segment for centralized tag management and to quickly extend Segment configuration to Heap\", and in device mode Heap keeps all native functionality, autocapture included.");
    let (native, reason) = if commitment == Intent::Yes {
        (false, format!("The site uses Segment on the web ({keys_written}on {on}) and you state that the team is committed to Segment (segment_commitment = \"committed\"): {why}"))
    } else if facts.segment_pages.len() * 2 < total {
        (true, format!("Segment runs on only {on} ({keys_written}the team's commitment to Segment is not stated), and none of the guide's hard conditions applies: Heap's own snippet fits most of the site; state segment_commitment = \"committed\" to move every page to Segment instead."))
    } else {
        (false, format!("The site uses Segment on the web ({keys_written}on {on}) and nothing argues against it: {why}"))
    };
    Decision {
        native,
        reasons: vec![reason],
        notes,
        text,
    }
}

/// Pages where what loads Heap could not be read are told to check, never to add a loader.
fn not_judged_step(facts: &Facts) -> Option<String> {
    let pages = pages_of(
        facts
            .pages
            .iter()
            .copied()
            .filter(|p| facts.unjudged.contains(p.url.as_str())),
    );
    (!pages.is_empty()).then(|| {
        format!(
            "check the {} not judged before adding any loader there (Segment settings, a tag manager container or a Segment-like snippet could not be read, or the page was cut short; it may already load Heap): {}",
            count(pages.len(), "page"),
            list(&pages, 5)
        )
    })
}

/// Pages grouped by an app id: `on the 4 pages with 1234567890 (a, b, c and d); on about.html
/// (9876543210)`, the largest group first.
fn per_id(groups: BTreeMap<String, Vec<String>>) -> String {
    let mut groups: Vec<(String, Vec<String>)> = groups.into_iter().collect();
    groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    groups
        .iter()
        .map(|(id, pages)| match pages.as_slice() {
            [one] => format!("on {one} ({id})"),
            _ => format!(
                "on the {} with {id} ({})",
                count(pages.len(), "page"),
                list(pages, 5)
            ),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Steps for the repository's mobile apps: the web's install path does not apply to them, and
/// Heap's guide says autocapture there needs Heap's own SDK.
fn app_steps(report: &Report, config: &Config) -> Vec<String> {
    use crate::rules::apps;
    apps::all(report)
        .filter(|a| apps::is_mobile(a) && apps::uses(a, crate::model::Vendor::Segment))
        .filter(|a| !apps::uses(a, crate::model::Vendor::Heap))
        .filter(|a| !apps::heap_not_a_destination(a, config))
        .map(|a| format!("in the {}, install Heap's own SDK for autocapture: through Segment a mobile app reaches Heap only in cloud mode, with Segment-tracked events only", apps::name(a)))
        .collect()
}

/// The expected id, else the id that sends data from the most pages (the whole site weighs, not
/// the loaders of one path: one native page does not outvote four pages of Segment's Heap), ties
/// going to the id the recommended path uses most, then to the smallest id.
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
    let mut path_uses: BTreeMap<&str, usize> = BTreeMap::new();
    for id in on_path.iter().filter_map(|i| i.id.as_deref()) {
        *path_uses.entry(id).or_default() += 1;
    }
    let mut pages: BTreeMap<&str, HashSet<&str>> = BTreeMap::new();
    for page in &facts.pages {
        for id in heap_with_data(page)
            .into_iter()
            .filter_map(|i| i.id.as_deref())
        {
            pages.entry(id).or_default().insert(page.url.as_str());
        }
    }
    let uses = |id: &str| path_uses.get(id).copied().unwrap_or(0);
    pages
        .iter()
        .max_by(|a, b| {
            a.1.len()
                .cmp(&b.1.len())
                .then(uses(a.0).cmp(&uses(b.0)))
                .then(b.0.cmp(a.0))
        })
        .map(|(id, _)| (*id).to_owned())
        .or_else(|| {
            path_uses
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(id, _)| (*id).to_owned())
        })
}

fn keep_id_step(facts: &Facts, app_id: Option<&str>) -> Option<String> {
    let id = app_id?;
    // Ids an environment switch uses alongside `id` are not to be replaced (staging stays staging).
    let families = crate::rules::common::IdFamilies::from_pages(facts.pages.iter().copied());
    let others: BTreeSet<&str> = facts
        .pages
        .iter()
        .flat_map(|p| heap_with_data(p))
        .filter_map(|i| i.id.as_deref())
        .filter(|i| !families.same(i, id))
        .collect();
    let others: Vec<&str> = others.into_iter().collect();
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
fn pages_of<'a>(items: impl Iterator<Item = &'a Page>) -> Vec<&'a str> {
    let mut seen: HashSet<&str> = HashSet::default();
    items
        .map(|page| page.url.as_str())
        .filter(|url| seen.insert(url))
        .collect()
}

fn native_steps(
    facts: &Facts,
    findings: &[Finding],
    app_id: Option<&str>,
    text: &TextCapture,
    config: &Config,
) -> Vec<String> {
    let mut steps = Vec::new();
    let id = app_id.unwrap_or("YOUR_APP_ID");
    let options = if text.needed {
        ", { disableTextCapture: true }".to_owned()
    } else {
        String::new()
    };
    let native: Vec<&(&Page, &Install)> = facts
        .direct
        .iter()
        .filter(|(_, h)| h.via == Via::Native)
        .collect();
    let with_native: HashSet<&str> = native.iter().map(|(n, _)| n.url.as_str()).collect();
    // Pages not judged are never told to add a loader ([`not_judged_step`]).
    let missing: Vec<&Page> = facts
        .pages
        .iter()
        .copied()
        .filter(|p| !with_native.contains(p.url.as_str()))
        .filter(|p| !facts.unjudged.contains(p.url.as_str()))
        .collect();
    // The id each page gets: its environment's (`[[environments]]`), else the site's.
    let mut by_id: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for page in &missing {
        let env_id = environment_of(&config.environments, &page.url)
            .and_then(|e| e.heap_app_id.as_deref())
            .unwrap_or(id);
        by_id
            .entry(env_id.to_owned())
            .or_default()
            .push(page.url.clone());
    }
    for pages in by_id.values_mut() {
        pages.dedup();
    }
    // Pages where Segment's Heap runs today get the snippet only as its destination goes, so
    // that no page ever loads Heap twice.
    let from_segment = pages_of(
        missing
            .iter()
            .copied()
            .filter(|p| facts.standing(p) == Standing::SegmentLoadsHeap),
    );
    let missing = pages_of(missing.into_iter());
    let unknown_id = if app_id.is_none() {
        " (your app id is in Heap under Account > Manage > Projects)"
    } else {
        ""
    };
    if by_id.len() > 1 {
        let groups: Vec<String> = by_id
            .iter()
            .map(|(env_id, pages)| {
                let env_pages = match pages.as_slice() {
                    [one] => one.clone(),
                    _ => format!("the {}: {}", count(pages.len(), "page"), list(pages, 5)),
                };
                format!("heap.load(\"{env_id}\"{options}) on {env_pages}")
            })
            .collect();
        steps.push(format!(
            "add Heap's snippet to the <head> of the {} without it, with each page's environment id: {}",
            count(missing.len(), "page"),
            groups.join("; ")
        ));
    } else if let Some((env_id, _)) = by_id.iter().next() {
        let snippet = format!("Heap's snippet with heap.load(\"{env_id}\"{options}){unknown_id}");
        if missing.len() == facts.total() {
            steps.push(format!(
                "add {snippet} to the <head> of every page (usually the shared layout)"
            ));
        } else {
            steps.push(format!(
                "add {snippet} to the <head> of the {} without it: {}",
                count(missing.len(), "page"),
                list(&missing, 5)
            ));
        }
    }
    if let (false, Some(add)) = (from_segment.is_empty(), steps.last_mut()) {
        add.push_str(&format!(
            "; where Segment's Heap destination loads Heap today ({}: {}), publish the snippet together with disabling that destination (the step below), so that Heap never loads twice there",
            count(from_segment.len(), "page"),
            list(&from_segment, 5)
        ));
    }
    // Only the native snippets that do not already disable text capture need the option, each
    // named with the id it loads (a page of another id is not one of "the pages").
    let mut lacking: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut seen: HashSet<(&str, &str)> = HashSet::default();
    for (page, heap) in native.iter().filter(|(_, h)| !disables_text(h)) {
        let snippet_id = heap.id.as_deref().unwrap_or("an unreadable id");
        if seen.insert((page.url.as_str(), snippet_id)) {
            lacking
                .entry(snippet_id.to_owned())
                .or_default()
                .push(page.url.clone());
        }
    }
    let lacking_pages: usize = lacking.values().map(Vec::len).sum();
    if text.needed && !lacking.is_empty() {
        let today = if facts.text_capture.is_empty() {
            String::new()
        } else {
            format!(" (set today in {})", list(&facts.text_capture, 3))
        };
        steps.push(format!(
            "pass {{ disableTextCapture: true }} to heap.load in the native snippet of the {} that do not set it yet: {}{today}",
            count(lacking_pages, "page"),
            per_id(lacking)
        ));
    } else if !text.needed && !text.stated && !text.pages.is_empty() && !lacking.is_empty() {
        steps.push(format!(
            "make text capture the same on every page: disableTextCapture is set on {} ({}) and not on the others; decide whether the site needs it (disable_text_capture in heap-audit.toml), then pass it to heap.load on every page or on none, or use Heap's Target Text Autocapture setting (Account > Manage > Privacy & Security)",
            count(text.pages.len(), "page"),
            list(&text.pages, 3)
        ));
    }
    for (container, _) in by_container(&facts.direct) {
        steps.push(format!(
            "remove Heap from {container} once the snippet is in the page"
        ));
    }
    let mut destinations: Vec<String> = Vec::new();
    let mut named = HashSet::default();
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

fn segment_steps(
    facts: &Facts,
    findings: &[Finding],
    app_id: Option<&str>,
    text: &TextCapture,
) -> Vec<String> {
    let mut steps = Vec::new();
    let keys = facts.write_keys();
    // First make Segment load Heap in device mode, source by source.
    let id = app_id.unwrap_or(NO_ID);
    // Heap through Segment by write key, and the write keys whose settings some page did not read.
    let mut by_key: HashMap<&str, Vec<&(&Page, &Install)>> = HashMap::default();
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
    // Pages not judged are never told to add a loader ([`not_judged_step`]).
    let lonely: Vec<&str> = facts
        .direct_pages(Standing::NoSegment, false)
        .into_iter()
        .filter(|url| !facts.unjudged.contains(url))
        .collect();
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
    let mut named = HashSet::default();
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
    if !text.pages.is_empty() {
        steps.push(if facts.segment_carries_text_option() {
            format!(
                "set disableTextCapture in the Heap Web (Actions) destination's settings{}, as the {} that {} text capture today {} ({}); or use Heap's Target Text Autocapture setting (Account > Manage > Privacy & Security), which works with any install method",
                if text.needed { "" } else { " if the site needs it" },
                count(text.pages.len(), "page"),
                verb(text.pages.len(), "disable"),
                if text.pages.len() == 1 { "does" } else { "do" },
                list(&text.pages, 3)
            )
        } else {
            format!(
                "the {} that {} text capture today ({}) cannot keep it through Segment's classic Heap destination (it passes only the app id): if {} it, use Heap's Target Text Autocapture setting (Account > Manage > Privacy & Security), which works with any install method",
                count(text.pages.len(), "page"),
                verb(text.pages.len(), "disable"),
                list(&text.pages, 3),
                if text.pages.len() == 1 { "it needs" } else { "they need" }
            )
        });
    }
    steps.extend(keep_id_step(facts, app_id));
    steps
}

/// Tag manager tags that load Heap directly (`tag 7 of GTM container GTM-HEAPG1 (used on 3
/// pages)`), with the pages that use each.
fn by_container<'a>(direct: &[(&'a Page, &Install)]) -> Vec<(String, Vec<&'a Page>)> {
    let mut out: BTreeMap<String, Vec<&'a Page>> = BTreeMap::new();
    let mut seen: HashSet<(String, &str)> = HashSet::default();
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

    /// On the Segment path, a source whose settings could not be read may have Heap already: it
    /// is to be checked, never told to add the destination; a source read without Heap is.
    #[test]
    fn a_source_whose_settings_were_not_read_is_checked_not_given_a_second_heap() {
        let mut unread = segment("/", KEY);
        unread.settings = Some("unavailable".into());
        let mut docs = segment("/docs", KEY);
        docs.settings = Some("unavailable".into());
        let r = report(vec![page("/", vec![unread]), page("/docs", vec![docs])]);
        let rec = recommend(&r, &[], &crate::rules::Config::default()).expect("advice");
        assert_eq!(rec.install_path, "segment", "{rec:#?}");
        assert!(
            rec.steps.iter().any(|s| s.starts_with(&format!(
                "check in Segment that source {KEY} has the Heap destination in device mode"
            ))),
            "{rec:#?}"
        );
        assert!(
            !rec.steps
                .iter()
                .any(|s| s.starts_with("add ") || s.contains("add Heap's snippet")),
            "{rec:#?}"
        );
        // Read, and without Heap: the destination is added.
        let mut read = segment("/", KEY);
        read.settings = Some("fetched".into());
        let rec = recommend(
            &report(vec![page("/", vec![read])]),
            &[],
            &crate::rules::Config::default(),
        )
        .expect("advice");
        assert!(
            rec.steps.iter().any(|s| s.starts_with(&format!(
                "add the Heap destination to Segment source {KEY} in device mode"
            ))),
            "{rec:#?}"
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

    /// Four pages where Segment's classic destination loads Heap, and a blog page whose native
    /// snippet (another id) disables text capture.
    fn one_blog_page_disables_text() -> Report {
        let mut pages: Vec<Page> = ["/", "/pricing", "/docs", "/about"]
            .iter()
            .map(|p| {
                page(
                    p,
                    vec![segment(p, KEY), classic_destination(KEY, "2682025610")],
                )
            })
            .collect();
        let mut blog = native_heap("/blog", "1535634150");
        blog.options = serde_json::json!({"disableTextCapture": true})
            .as_object()
            .cloned()
            .unwrap_or_default();
        pages.push(page("/blog", vec![blog]));
        report(pages)
    }

    #[test]
    fn one_page_of_five_disabling_text_capture_does_not_flip_the_site() {
        let r = one_blog_page_disables_text();
        let rec = recommend(&r, &[], &Config::default()).expect("advice");
        assert_eq!(rec.install_path, "segment", "{rec:#?}");
        assert!(
            rec.reasons[0].contains("on 4 of 5 audited pages"),
            "{rec:#?}"
        );
        assert!(
            rec.reasons
                .iter()
                .any(|s| s.starts_with("Text capture is disabled on only 1 of 5 audited pages")),
            "{rec:#?}"
        );
        assert!(
            rec.steps
                .iter()
                .any(|s| s.contains("cannot keep it through Segment's classic Heap destination")),
            "{rec:#?}"
        );
    }

    #[test]
    fn a_stated_text_capture_need_is_a_hard_condition() {
        let r = one_blog_page_disables_text();
        let config = Config {
            disable_text_capture: Intent::Yes,
            ..Config::default()
        };
        let rec = recommend(&r, &[], &config).expect("advice");
        assert_eq!(rec.install_path, "native", "{rec:#?}");
        assert!(
            rec.reasons[0].starts_with("You state that text capture must be disabled (disable_text_capture = \"needed\"; disabled today on 1 of 5 audited pages"),
            "{rec:#?}"
        );
        // The option is added with the site's id where there is no native snippet yet; the blog
        // already sets it.
        assert!(
            rec.steps.iter().any(|s| s.starts_with(
                "add Heap's snippet with heap.load(\"2682025610\", { disableTextCapture: true }) to the <head> of the 4 pages without it"
            )),
            "{rec:#?}"
        );
        assert!(
            !rec.steps.iter().any(|s| s.starts_with("pass ")),
            "{rec:#?}"
        );
    }

    #[test]
    fn segment_through_gtm_on_some_pages_is_a_hard_condition() {
        let mut r = one_blog_page_disables_text();
        let mut in_gtm = segment("/about", KEY);
        in_gtm.via = Via::Gtm;
        in_gtm.container = Some("GTM-K9X2".into());
        r.pages[3].installs[0] = in_gtm;
        let rec = recommend(&r, &[], &Config::default()).expect("advice");
        assert_eq!(rec.install_path, "native", "{rec:#?}");
        assert!(
            rec.reasons[0].starts_with(
                "Segment is loaded through GTM container GTM-K9X2 on 1 of 5 audited pages: "
            ),
            "{rec:#?}"
        );
    }

    #[test]
    fn the_stated_commitment_weighs_against_the_page_count() {
        // Segment on 2 of 5 pages, Heap's snippet on the other 3.
        let mut pages: Vec<Page> = ["/", "/pricing"]
            .iter()
            .map(|p| {
                page(
                    p,
                    vec![segment(p, KEY), classic_destination(KEY, "2682025610")],
                )
            })
            .collect();
        for p in ["/docs", "/about", "/blog"] {
            pages.push(page(p, vec![native_heap(p, "2682025610")]));
        }
        let r = report(pages);
        let rec = recommend(&r, &[], &Config::default()).expect("advice");
        assert_eq!(rec.install_path, "native", "{rec:#?}");
        assert!(
            rec.reasons[0].starts_with("Segment runs on only 2 of 5 audited pages"),
            "{rec:#?}"
        );
        let committed = Config {
            segment_commitment: Intent::Yes,
            ..Config::default()
        };
        let rec = recommend(&r, &[], &committed).expect("advice");
        assert_eq!(rec.install_path, "segment", "{rec:#?}");
        assert!(
            rec.reasons[0].contains("segment_commitment = \"committed\""),
            "{rec:#?}"
        );
        // Not committed outranks a site where every page loads Segment.
        let not = Config {
            segment_commitment: Intent::No,
            ..Config::default()
        };
        let rec = recommend(&one_blog_page_disables_text(), &[], &not).expect("advice");
        assert_eq!(rec.install_path, "native", "{rec:#?}");
        assert!(rec.reasons[0].contains("not committed"), "{rec:#?}");
    }

    #[test]
    fn text_capture_steps_name_each_id_group() {
        let mut pages: Vec<Page> = ["/", "/pricing", "/docs", "/blog"]
            .iter()
            .map(|p| page(p, vec![native_heap(p, "1234567890")]))
            .collect();
        pages.push(page("/about", vec![native_heap("/about", "9876543210")]));
        let r = report(pages);
        let config = Config {
            disable_text_capture: Intent::Yes,
            ..Config::default()
        };
        let rec = recommend(&r, &[], &config).expect("advice");
        assert_eq!(rec.install_path, "native", "{rec:#?}");
        assert!(
            rec.steps.iter().any(|s| s
                == "pass { disableTextCapture: true } to heap.load in the native snippet of the 5 pages that do not set it yet: on the 4 pages with 1234567890 (https://www.example.com/, https://www.example.com/pricing, https://www.example.com/docs and https://www.example.com/blog); on https://www.example.com/about (9876543210)"),
            "{rec:#?}"
        );
    }

    #[test]
    fn a_page_heap_reaches_through_segment_gets_the_snippet_as_the_destination_goes() {
        // A native site, and one page where only Segment's Heap destination loads Heap.
        let mut pages: Vec<Page> = ["/", "/pricing", "/docs"]
            .iter()
            .map(|p| page(p, vec![native_heap(p, "2682025610")]))
            .collect();
        pages.push(page(
            "/webinar",
            vec![
                segment("/webinar", KEY),
                classic_destination(KEY, "2682025610"),
            ],
        ));
        let rec = recommend(&report(pages), &[], &Config::default()).expect("advice");
        assert_eq!(rec.install_path, "native", "{rec:#?}");
        let add: Vec<&String> = rec.steps.iter().filter(|s| s.starts_with("add ")).collect();
        assert_eq!(
            add,
            vec!["add Heap's snippet with heap.load(\"2682025610\") to the <head> of the 1 page without it: https://www.example.com/webinar; where Segment's Heap destination loads Heap today (1 page: https://www.example.com/webinar), publish the snippet together with disabling that destination (the step below), so that Heap never loads twice there"],
            "{rec:#?}"
        );
        assert!(
            rec.steps
                .iter()
                .any(|s| s.starts_with("disable the Heap destination \"Heap\" (app id 2682025610)")),
            "{rec:#?}"
        );
        // A page without Segment gets the snippet with no condition.
        let r = report(vec![
            page("/", vec![native_heap("/", "2682025610")]),
            page("/about", vec![]),
        ]);
        let rec = recommend(&r, &[], &Config::default()).expect("advice");
        assert!(
            rec.steps
                .iter()
                .any(|s| s.ends_with("the 1 page without it: https://www.example.com/about")),
            "{rec:#?}"
        );
    }

    #[test]
    fn pages_not_judged_are_never_told_to_add_a_loader() {
        let r = report(vec![
            page("/", vec![native_heap("/", "2682025610")]),
            page(
                "/help",
                vec![crate::rules::common::testing::gtm(
                    "/help", "GTM-K9X2", "offline",
                )],
            ),
            page("/about", vec![]),
        ]);
        let rec = recommend(&r, &[], &Config::default()).expect("advice");
        assert_eq!(rec.install_path, "native", "{rec:#?}");
        let add: Vec<&String> = rec.steps.iter().filter(|s| s.starts_with("add ")).collect();
        assert_eq!(add.len(), 1, "{rec:#?}");
        assert!(
            add[0].ends_with("the 1 page without it: https://www.example.com/about"),
            "{rec:#?}"
        );
        assert!(
            rec.steps
                .iter()
                .any(|s| s.starts_with("check the 1 page not judged")
                    && s.ends_with("https://www.example.com/help")),
            "{rec:#?}"
        );
    }
}
