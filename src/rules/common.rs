//! What several rules need to read the inventory the same way: which installs count as loaders
//! on a page, how to name a loader in a message, which evidence goes with it, and how findings
//! are grouped across pages (one finding per distinct situation, listing every page).

use crate::hashing::HashMap;
use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::hash::Hash;

use serde_json::{Map, Value};

use crate::model::{
    Condition, Evidence, Install, Mode, Page, Report, SegmentCall, Unverified, Vendor, Via,
};

/// Pages that were audited (fetched and parsed).
pub fn audited(report: &Report) -> impl Iterator<Item = &Page> {
    report.pages.iter().filter(|p| p.error.is_none())
}

/// Installs of `vendor` that run on the page, one per loader. Every native, tag-manager and
/// Segment install found on the page is its own loader, wherever it sits: two Heap snippets on the
/// same line of a minified page are two loaders, and so are two classic `<script src>` references
/// to the same file, which the browser runs twice (telling apart copies that never run, such as a
/// `nomodule` script, is the scan's job: it does not report them). The one exception is
/// a Heap install derived from Segment settings that repeats another exactly (same write key,
/// destination and app id): that is one destination of one source, which analytics.js loads once
/// however many times the settings were read for the page.
///
/// In source mode, loaders in different arms of one template block (`{% if production %}` the
/// native snippet `{% else %}` Segment) never load together: of those, the largest set that can
/// load together is the one counted.
pub fn active(page: &Page, vendor: Vendor) -> Vec<&Install> {
    let mut out: Vec<&Install> = Vec::new();
    for install in page
        .installs
        .iter()
        // A tag whose container a render saw load without firing it on this page does not load
        // here (`--render`).
        .filter(|i| i.vendor == vendor && i.active && !not_fired(i))
    {
        if !out.iter().any(|seen| same_destination(seen, install)) {
            out.push(install);
        }
    }
    together(out)
}

/// The largest subset of `installs` whose template conditions allow them on one rendering, in
/// page order (all of them when none sits in a template's arm).
fn together(installs: Vec<&Install>) -> Vec<&Install> {
    let exclusive = |a: &Install, b: &Install| Condition::exclusive(&a.conditions, &b.conditions);
    let conflict = installs
        .iter()
        .enumerate()
        .any(|(i, a)| installs[i + 1..].iter().any(|b| exclusive(a, b)));
    if !conflict {
        return installs;
    }
    // Greedy from each starting install; a page has a handful of loaders.
    let mut best: Vec<usize> = Vec::new();
    for start in 0..installs.len() {
        let mut chosen = vec![start];
        for (j, candidate) in installs.iter().enumerate() {
            if j != start && chosen.iter().all(|&c| !exclusive(installs[c], candidate)) {
                chosen.push(j);
            }
        }
        if chosen.len() > best.len() {
            best = chosen;
        }
    }
    best.sort_unstable();
    best.into_iter().map(|i| installs[i]).collect()
}

/// The loaders of `vendor` that load it on the page: [`active`], less a copy inside the page's own
/// guard (`if (!window.heap) {…}`) that runs after another loader has set the global, where it
/// does nothing. A page's inline and first-party code runs before tag managers and Segment's
/// destinations (which load asynchronously), so a guarded copy is a no-op after a native loader
/// earlier in the page, or, when it comes through a tag manager, after any native loader.
pub fn loaders(page: &Page, vendor: Vendor) -> Vec<&Install> {
    let installs = active(page, vendor);
    installs
        .iter()
        .enumerate()
        .filter(|(i, install)| {
            install.guard.is_none()
                || !installs.iter().enumerate().any(|(j, other)| {
                    j != *i
                        && other.via == Via::Native
                        && other.gate.is_none()
                        && (install.via != Via::Native || j < *i)
                })
        })
        .map(|(_, install)| *install)
        .collect()
}

/// A loader that a render showed not to run on its page because a tag manager's trigger did not
/// fire there (consent-gated loaders still count: they run once consent is given).
pub fn not_fired(install: &Install) -> bool {
    install
        .runtime
        .as_ref()
        .is_some_and(|r| r.reason.as_deref() == Some("trigger-gated"))
}

/// Whether a render saw every one of `installs` run on its page (`--render`).
pub fn all_ran(installs: &[&Install]) -> bool {
    !installs.is_empty()
        && installs.iter().all(|i| {
            i.runtime
                .as_ref()
                .is_some_and(|r| r.status == "confirmed" || r.status == "runtime-only")
        })
}

/// What a loader waits for, in words (`after consent (cookiebot: statistics)`), if anything.
pub fn gate_words(install: &Install) -> Option<String> {
    let gate = install.gate.as_ref()?;
    Some(match (gate.kind.as_str(), &gate.manager, &gate.category) {
        ("consent", Some(m), Some(c)) => format!("after consent ({m}: {c})"),
        ("consent", Some(m), None) => format!("after consent ({m})"),
        ("consent", None, _) => "after consent".to_owned(),
        _ => format!("only when {}", gate.condition),
    })
}

/// The same Heap destination of the same Segment source: `via: segment`, equal write key (known),
/// destination name and app id.
fn same_destination(a: &Install, b: &Install) -> bool {
    a.vendor == Vendor::Heap
        && b.vendor == Vendor::Heap
        && a.via == Via::Segment
        && b.via == Via::Segment
        && a.write_key.is_some()
        && a.write_key == b.write_key
        && a.destination == b.destination
        && a.id == b.id
}

/// Heap installs whose data reaches a Heap project: the active ones plus cloud-mode Segment
/// destinations (Segment's servers send to that app id), each destination once.
pub fn heap_with_data(page: &Page) -> Vec<&Install> {
    let mut out = active(page, Vendor::Heap);
    for install in page
        .installs
        .iter()
        .filter(|i| i.vendor == Vendor::Heap && !i.active && i.mode == Some(Mode::Cloud))
    {
        if !out.iter().any(|seen| same_destination(seen, install)) {
            out.push(install);
        }
    }
    out
}

/// Segment's Heap Web (Actions) destination (`destination_kind: actions`).
pub fn is_actions(install: &Install) -> bool {
    install.vendor == Vendor::Heap
        && install.via == Via::Segment
        && install.destination_kind.as_deref() == Some("actions")
}

/// Heap Web (Actions) on a page where another Heap loader runs: its `initialize` returns early
/// when `window.heap` exists, so it loads nothing and its settings are ignored.
pub fn skipped_actions(install: &Install, page: &Page) -> bool {
    is_actions(install)
        && active(page, Vendor::Heap)
            .into_iter()
            .any(|other| !is_actions(other))
}

/// Segment's classic `Heap` destination, analytics.js-integration-heap
/// (`destination_kind: classic`).
pub fn is_classic_destination(install: &Install) -> bool {
    install.vendor == Vendor::Heap
        && install.via == Via::Segment
        && install.destination_kind.as_deref() == Some("classic")
}

/// Whether the container or library of this tag manager install was read: this install's, or
/// that of another install of the same container on the page (a library can name itself, and
/// that copy is never fetched on its own).
pub fn container_read(install: &Install, page: &Page) -> bool {
    let fetched = |i: &Install| i.library.as_deref() == Some("fetched");
    fetched(install)
        || install.id.is_some()
            && page
                .installs
                .iter()
                .any(|i| i.vendor == install.vendor && i.id == install.id && fetched(i))
}

/// Whether an audited page is where something found at `url` was found: the page itself, a file
/// or container whose installs or Segment calls are reported on the page, or the container of a
/// tag manager on the page.
pub fn found_on(page: &Page, url: &str) -> bool {
    page.url == url
        || page.installs.iter().any(|i| {
            i.evidence.source == url
                || i.vendor.is_tag_manager() && i.id.as_deref().is_some_and(|id| url.contains(id))
        })
        || page.segment_calls.iter().any(|c| c.evidence.source == url)
}

/// The Segment-like snippets that could not be confirmed (`report.unverified` of kind
/// `segment-candidate`), indexed by URL so that finding those of a page ([`found_on`] it) costs
/// the page's own installs and calls, not a search of every candidate: O(1) per URL looked up, and
/// the candidates whose URL contains a tag manager id are searched once per distinct id.
pub struct Candidates<'a> {
    pub list: Vec<&'a Unverified>,
    by_url: HashMap<&'a str, Vec<usize>>,
    by_id: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Candidates<'a> {
    pub fn of(report: &'a Report) -> Candidates<'a> {
        let list: Vec<&Unverified> = report
            .unverified
            .iter()
            .filter(|u| u.kind == "segment-candidate")
            .collect();
        let mut by_url: HashMap<&str, Vec<usize>> = HashMap::default();
        for (i, u) in list.iter().enumerate() {
            by_url.entry(u.url.as_str()).or_default().push(i);
        }
        Candidates {
            list,
            by_url,
            by_id: HashMap::default(),
        }
    }

    /// The candidates found on `page`, by index in [`Candidates::list`], in order, each once.
    pub fn on(&mut self, page: &'a Page) -> Vec<usize> {
        if self.list.is_empty() {
            return Vec::new();
        }
        let mut out: Vec<usize> = Vec::new();
        let urls = std::iter::once(page.url.as_str())
            .chain(page.installs.iter().map(|i| i.evidence.source.as_str()))
            .chain(
                page.segment_calls
                    .iter()
                    .map(|c| c.evidence.source.as_str()),
            );
        for url in urls {
            out.extend(self.by_url.get(url).into_iter().flatten());
        }
        for install in page.installs.iter().filter(|i| i.vendor.is_tag_manager()) {
            let Some(id) = install.id.as_deref() else {
                continue;
            };
            let list = &self.list;
            let with_id = self.by_id.entry(id).or_insert_with(|| {
                (0..list.len())
                    .filter(|&c| list[c].url.contains(id))
                    .collect()
            });
            out.extend(with_id.iter());
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Whether what loads Heap on an audited page is unknown, so that the page is not judged (neither
/// told it lacks Heap nor told to add a loader): a body cut short, a Segment install whose settings
/// were not read, a tag manager whose container or library was not read, or a Segment-like snippet
/// on another host that could not be confirmed (`segment-candidate`).
pub fn not_judged<'a>(page: &'a Page, candidates: &mut Candidates<'a>) -> bool {
    page.incomplete
        || page
            .installs
            .iter()
            .filter(|i| i.active)
            .any(|i| match i.vendor {
                Vendor::Segment => i.settings.as_deref() != Some("fetched"),
                v if v.is_tag_manager() => !container_read(i, page),
                _ => false,
            })
        || !candidates.on(page).is_empty()
}

/// Loaded by a tag manager's container or library.
pub fn through_tag_manager(via: Via) -> bool {
    matches!(via, Via::Gtm | Via::Tealium | Via::AdobeLaunch)
}

/// `GTM container`, `Tealium profile`, `Adobe Launch library`.
pub fn manager_label(via: Via) -> &'static str {
    match via {
        Via::Gtm => "GTM container",
        Via::Tealium => "Tealium profile",
        Via::AdobeLaunch => "Adobe Launch library",
        Via::Native | Via::Segment => "page",
    }
}

/// Where an install's code sits, independent of the page it was found on when it is inline.
fn place(install: &Install, page: &Page) -> String {
    let tag = install
        .evidence
        .tag
        .as_deref()
        .map(|t| format!(" {t}"))
        .unwrap_or_default();
    match install.via {
        Via::Native if install.evidence.source == page.url => "in the page".to_owned(),
        Via::Native => format!("in {}", install.evidence.source),
        Via::Segment => String::new(),
        via => format!(
            "in {} {}{tag}",
            manager_label(via),
            install.container.as_deref().unwrap_or("(unknown id)")
        ),
    }
}

fn id_text(install: &Install) -> &str {
    install.id.as_deref().unwrap_or("unreadable")
}

/// A loader named for a message, e.g. `native snippet in the page (app id 2682025610)`,
/// `Segment destination "Heap" of write key q8Xk… (app id 2682025610)`,
/// `GTM container GTM-HEAPG1 tag 7 (app id 3180826004)`. The same loader on several pages gets
/// the same text, so it also serves as a grouping key.
pub fn describe(install: &Install, page: &Page) -> String {
    match (install.vendor, install.via) {
        (Vendor::Heap, Via::Segment) => {
            let through = install
                .container
                .as_deref()
                .map(|c| {
                    let manager = segment_of(install, page)
                        .map(|s| s.via)
                        .filter(|via| through_tag_manager(*via))
                        .map(|via| format!("{} ", manager_label(via)))
                        .unwrap_or_default();
                    format!(", Segment loaded through {manager}{c}")
                })
                .unwrap_or_default();
            format!(
                "Segment destination \"{}\" of write key {} (app id {}{through})",
                install.destination.as_deref().unwrap_or("Heap"),
                install.write_key.as_deref().unwrap_or("unreadable"),
                id_text(install)
            )
        }
        (Vendor::Heap, Via::Native) => {
            format!(
                "native Heap snippet {} (app id {})",
                place(install, page),
                id_text(install)
            )
        }
        (Vendor::Heap, _) => format!(
            "Heap {} (app id {})",
            place(install, page),
            id_text(install)
        ),
        (Vendor::Segment, _) => format!(
            "Segment {} (write key {})",
            place(install, page),
            id_text(install)
        ),
        (vendor, _) => format!(
            "{} {} {}",
            vendor.as_str(),
            place(install, page),
            id_text(install)
        ),
    }
}

/// The install's own evidence, plus, for Heap through Segment, the evidence of the Segment
/// install on the page that fetched those settings. Borrowed: a [`Group`] copies only what it
/// does not have yet.
pub fn evidence_of<'a>(install: &'a Install, page: &'a Page) -> impl Iterator<Item = &'a Evidence> {
    let through_segment = install.vendor == Vendor::Heap && install.via == Via::Segment;
    std::iter::once(&install.evidence).chain(
        page.installs
            .iter()
            .filter(move |i| {
                through_segment
                    && i.vendor == Vendor::Segment
                    && i.id.is_some()
                    && i.id == install.write_key
            })
            .map(|i| &i.evidence),
    )
}

/// The Segment install on the page whose settings brought this Heap install (same known write
/// key, and the same tag manager container, if any).
fn segment_of<'a>(install: &Install, page: &'a Page) -> Option<&'a Install> {
    let of =
        |i: &&Install| i.vendor == Vendor::Segment && i.id.is_some() && i.id == install.write_key;
    page.installs
        .iter()
        .filter(of)
        .find(|i| i.container == install.container)
        .or_else(|| page.installs.iter().find(of))
}

/// The option names that switch off Heap's text capture: `disableTextCapture`, the real
/// `heap.load` / Heap Web (Actions) option, and `disableTargetText`, the name Heap's Segment guide
/// uses, which Heap's SDK does not know (flagged where it is used).
pub const TEXT_CAPTURE_KEYS: [&str; 2] = ["disableTextCapture", "disableTargetText"];

/// The first text-capture option set (truthy) in these options.
pub fn text_capture_option(options: &Map<String, Value>) -> Option<&'static str> {
    TEXT_CAPTURE_KEYS
        .into_iter()
        .find(|k| options.get(*k).is_some_and(truthy))
}

/// Whether an option value as the scan recorded it turns a flag on, by JavaScript truthiness:
/// `true` (`!0` is read as `true`), a non-zero number, a non-empty string, an object or array;
/// not `false`, `0`, `null` or `""`. A value that is not a literal is kept by the scan as its
/// source text (`disableTextCapture: cfg.redact`) and counts as set: the code sets the option.
///
/// One deliberate exception: the strings `"false"` and `"0"` count as off, although JavaScript
/// would treat them as true. They are how tag manager parameters (GTM template fields, Tealium
/// and Launch data elements) and server-side templates (`disableTextCapture: "{{ flag }}"`) carry
/// a boolean that is off, and reporting such a setting as enabled would be a false alarm.
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !matches!(s.trim(), "" | "false" | "0"),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// `a, b, c, d, e and 3 more`.
pub fn list<S: AsRef<str>>(items: &[S], max: usize) -> String {
    let shown: Vec<&str> = items.iter().take(max).map(AsRef::as_ref).collect();
    let rest = items.len().saturating_sub(max);
    match (shown.split_last(), rest) {
        (None, _) => String::new(),
        (Some((last, [])), 0) => (*last).to_owned(),
        (Some((last, init)), 0) => format!("{} and {last}", init.join(", ")),
        (Some(_), rest) => format!("{} and {rest} more", shown.join(", ")),
    }
}

/// `1 page`, `3 pages`.
pub fn count(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The pages and evidence of one finding-to-be.
///
/// Each list holds every value once, in the order first added. Add through [`Group::page`],
/// [`Group::evidence`] and [`Group::note`]: each keeps a hash index beside its list, so adding is
/// O(1) and a group of n pages is built in O(n), not the O(n²) of searching the list each time.
/// The lists may be read, moved out or reordered once the group is complete.
#[derive(Debug, Default, Clone)]
pub struct Group {
    pub pages: Vec<String>,
    pub evidence: Vec<Evidence>,
    /// Free-form facts the rule collects (ids, methods, ...), deduplicated, in order.
    pub notes: Vec<String>,
    seen_pages: Seen,
    seen_evidence: Seen,
    seen_notes: Seen,
}

impl Group {
    pub fn page(&mut self, url: &str) {
        self.seen_pages.add_with(
            &mut self.pages,
            hash_of(url),
            url,
            |p, u| p == u,
            str::to_owned,
        );
    }

    /// Evidence owned or borrowed (copied only when the group does not have it yet).
    pub fn evidence<E: Borrow<Evidence> + Into<Evidence>>(
        &mut self,
        evidence: impl IntoIterator<Item = E>,
    ) {
        for e in evidence {
            let hash = crate::baseline::evidence_hash(e.borrow());
            self.seen_evidence.add_with(
                &mut self.evidence,
                hash,
                e,
                |a, b| a == b.borrow(),
                Into::into,
            );
        }
    }

    pub fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        let hash = hash_of(note.as_str());
        self.seen_notes.add(&mut self.notes, hash, note);
    }
}

/// A hash index over a list whose values are unique: a value's hash to the position of the first
/// value with that hash. A value found at that position is in the list; a position that holds
/// another value (two values with one 64-bit hash, or a list reordered since) falls back to
/// searching the list, so the answer is always exact.
#[derive(Debug, Default, Clone)]
pub struct Seen(HashMap<u64, usize>);

impl Seen {
    /// Whether `item` is in `list` (the list this index was built with [`Seen::add`]).
    pub fn has<T: PartialEq>(&self, list: &[T], hash: u64, item: &T) -> bool {
        match self.0.get(&hash) {
            None => false,
            Some(&at) if list.get(at) == Some(item) => true,
            Some(_) => list.contains(item),
        }
    }

    /// Push `item` onto `list` unless it is there; whether it was pushed.
    pub fn add<T: PartialEq>(&mut self, list: &mut Vec<T>, hash: u64, item: T) -> bool {
        self.add_with(list, hash, item, |a, b| *a == *b, |x| x)
    }

    /// [`Seen::add`] for a value compared to the list's items by `same` and made into one by
    /// `own` only when pushed (a `&str` for a list of `String`s).
    pub fn add_with<T, Q>(
        &mut self,
        list: &mut Vec<T>,
        hash: u64,
        item: Q,
        same: impl Fn(&T, &Q) -> bool,
        own: impl FnOnce(Q) -> T,
    ) -> bool {
        match self.0.get(&hash) {
            Some(&at) if list.get(at).is_some_and(|x| same(x, &item)) => return false,
            Some(_) if list.iter().any(|x| same(x, &item)) => return false,
            Some(_) => {}
            None => {
                self.0.insert(hash, list.len());
            }
        }
        list.push(own(item));
        true
    }
}

/// A value's hash, the same for equal values within a run.
pub fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
    crate::hashing::hash_of(value)
}

/// Groups keyed by what makes two pages the same situation, in key order.
pub type Groups = BTreeMap<String, Group>;

/// Pages where Segment calls chosen by `pick` are made while Segment's classic Heap destination
/// loads Heap, one group per destination: the destination's and the calls' evidence, and each
/// call's `analytics.<method>` as a note.
pub fn calls_through_classic_destination(
    report: &Report,
    pick: impl Fn(&SegmentCall) -> bool,
) -> Groups {
    let mut groups = Groups::new();
    for page in audited(report) {
        let calls: Vec<&SegmentCall> = page.segment_calls.iter().filter(|c| pick(c)).collect();
        if calls.is_empty() {
            continue;
        }
        for heap in active(page, Vendor::Heap)
            .into_iter()
            .filter(|h| is_classic_destination(h))
        {
            let group = groups.entry(describe(heap, page)).or_default();
            group.page(&page.url);
            group.evidence(evidence_of(heap, page));
            for call in &calls {
                group.note(format!("analytics.{}", call.method));
                group.evidence([&call.evidence]);
            }
        }
    }
    groups
}

/// Heap app ids that one loader switches between (`heap.load(prod ? "A" : "B")`, an if/else on
/// the environment) belong to one family: using either is consistent with the other. Which one
/// is production cannot be told from the code, so the rules never ask to replace one by another.
#[derive(Debug, Default, Clone)]
pub struct IdFamilies {
    /// id -> the smallest id of its family.
    canonical: BTreeMap<String, String>,
}

impl IdFamilies {
    pub fn of(report: &Report) -> IdFamilies {
        IdFamilies::from_pages(&report.pages)
    }

    /// O(installs + distinct ids²): see the merge below.
    pub fn from_pages<'a>(pages: impl IntoIterator<Item = &'a Page>) -> IdFamilies {
        let mut families = IdFamilies::default();
        for install in pages.into_iter().flat_map(|p| &p.installs) {
            let (Some(id), false) = (&install.id, install.alternative_ids.is_empty()) else {
                continue;
            };
            let mut members: Vec<String> = std::iter::once(id.clone())
                .chain(install.alternative_ids.iter().cloned())
                .collect();
            // Merge with families the members already belong to.
            let roots: Vec<String> = members
                .iter()
                .map(|m| families.canonical(m).to_owned())
                .collect();
            members.extend(roots.iter().cloned());
            let root = members.iter().min().cloned().unwrap_or_default();
            // Families are merged (every id of the map visited) only when this loader joins
            // two, or brings a smaller id: at most once per distinct id. A loader seen again on
            // the next page costs its own ids only.
            if roots.iter().any(|r| *r != root) {
                for r in families.canonical.values_mut() {
                    if roots.contains(r) {
                        *r = root.clone();
                    }
                }
            }
            for m in members {
                families.canonical.insert(m, root.clone());
            }
        }
        families
    }

    /// The family's representative for an id (the id itself when it switches with nothing).
    pub fn canonical<'a>(&'a self, id: &'a str) -> &'a str {
        self.canonical.get(id).map_or(id, String::as_str)
    }

    /// Whether two ids are the same or switch with each other.
    pub fn same(&self, a: &str, b: &str) -> bool {
        self.canonical(a) == self.canonical(b)
    }
}

/// Pages where two or more active installs of `vendor` load, one group per combination of
/// loaders (named by [`describe`]), with every loader's evidence and `note` per loader.
/// The prefix of the note [`multiple_loaders`] gives a group for each page where a render saw
/// every loader run (the page's URL follows).
pub const RAN_IN_BROWSER: &str = "runtime:ran:";

/// The note [`multiple_loaders`] gives a group when a render saw Heap Web (Actions) skip loading.
pub const SKIPPED_IN_BROWSER: &str = "runtime:skipped";

pub fn multiple_loaders(
    report: &Report,
    vendor: Vendor,
    note: impl Fn(&Install) -> String,
) -> Groups {
    let mut groups = Groups::new();
    for page in audited(report) {
        let loaders = loaders(page, vendor);
        if loaders.len() < 2 {
            continue;
        }
        let mut names: Vec<String> = loaders.iter().map(|i| describe(i, page)).collect();
        names.sort();
        let group = groups.entry(names.join(" + ")).or_default();
        group.page(&page.url);
        if all_ran(&loaders) {
            group.note(format!("{RAN_IN_BROWSER}{}", page.url));
        }
        for install in &loaders {
            group.evidence(evidence_of(install, page));
            if let Some(seen) = &install.runtime {
                group.evidence(&seen.calls);
                if seen.reason.as_deref() == Some("skipped") {
                    group.note(SKIPPED_IN_BROWSER);
                }
            }
            group.note(note(install));
            if let Some(words) = gate_words(install) {
                group.note(format!("gate:{} loads {words}", describe(install, page)));
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loaders_in_different_arms_of_a_template_block_never_load_together() {
        use super::testing::{native_heap, page};
        let arm = |n: u32, condition: &str| Condition {
            block: "app/views/layouts/application.html.erb:4".into(),
            arm: n,
            condition: condition.into(),
        };
        let mut production = native_heap("/", "111");
        production.conditions = vec![arm(0, "Rails.env.production?")];
        let mut through_segment = native_heap("/", "111");
        through_segment.via = Via::Segment;
        through_segment.conditions = vec![arm(1, "else")];
        let plain = native_heap("/", "111");
        let p = page("/", vec![production.clone(), through_segment.clone()]);
        assert_eq!(active(&p, Vendor::Heap).len(), 1, "one arm or the other");
        // A third loader outside the block loads with either arm: two load together.
        let p = page(
            "/",
            vec![production.clone(), through_segment, plain.clone()],
        );
        let together = active(&p, Vendor::Heap);
        assert_eq!(together.len(), 2);
        assert!(together.contains(&&plain));
        // The same arm of the block (a copy in each partial of one arm) is not exclusive.
        let p = page("/", vec![production.clone(), production]);
        assert_eq!(active(&p, Vendor::Heap).len(), 2);
    }

    #[test]
    fn a_tag_the_browser_saw_not_firing_is_not_a_loader_of_that_page() {
        use super::testing::{native_heap, page};
        let mut tag = native_heap("/", "222");
        tag.via = Via::Gtm;
        let seen = |status: &str, reason: Option<&str>| {
            Box::new(crate::model::Seen {
                status: status.into(),
                reason: reason.map(str::to_owned),
                detail: String::new(),
                calls: Vec::new(),
            })
        };
        let mut native = native_heap("/", "111");
        native.runtime = Some(seen("confirmed", None));
        tag.runtime = Some(seen("not-seen", Some("trigger-gated")));
        let p = page("/", vec![native.clone(), tag.clone()]);
        assert_eq!(loaders(&p, Vendor::Heap).len(), 1);
        assert!(!all_ran(&loaders(&p, Vendor::Heap)[..0]));
        // Waiting for consent, it still loads once a visitor consents.
        tag.runtime = Some(seen("not-seen", Some("consent-gated")));
        let p = page("/", vec![native.clone(), tag.clone()]);
        assert_eq!(loaders(&p, Vendor::Heap).len(), 2);
        assert!(!all_ran(&loaders(&p, Vendor::Heap)));
        tag.runtime = Some(seen("runtime-only", None));
        let p = page("/", vec![native, tag]);
        assert!(all_ran(&loaders(&p, Vendor::Heap)));
    }

    #[test]
    fn groups_keep_each_value_once_in_order() {
        let mut g = Group::default();
        for url in ["/b", "/a", "/b", "/c", "/a"] {
            g.page(url);
        }
        g.note("x");
        g.note(String::from("x"));
        let e = Evidence {
            source: "/a".into(),
            line: Some(3),
            ..Evidence::default()
        };
        g.evidence([e.clone(), e.clone(), Evidence::default(), e]);
        assert_eq!(g.pages, ["/b", "/a", "/c"]);
        assert_eq!(g.notes, ["x"]);
        assert_eq!(g.evidence.len(), 2);
        // Reordered once complete, the lists still answer exactly.
        g.pages.sort();
        g.page("/b");
        g.page("/d");
        assert_eq!(g.pages, ["/a", "/b", "/c", "/d"]);
    }

    #[test]
    fn values_with_one_hash_are_told_apart() {
        let (mut seen, mut list) = (Seen::default(), Vec::new());
        assert!(seen.add(&mut list, 7, "one"));
        assert!(seen.add(&mut list, 7, "two"));
        assert!(!seen.add(&mut list, 7, "two"));
        assert!(!seen.add(&mut list, 7, "one"));
        assert_eq!(list, ["one", "two"]);
        // Looked up the same way: the value at the hash's first position, or a search.
        assert!(seen.has(&list, 7, &"one"));
        assert!(seen.has(&list, 7, &"two"));
        assert!(!seen.has(&list, 7, &"three"));
        assert!(!seen.has(&list, 8, &"one"));
    }

    #[test]
    fn lists_are_capped() {
        let items: Vec<String> = (1..=7).map(|n| format!("p{n}")).collect();
        assert_eq!(list(&items[..1], 5), "p1");
        assert_eq!(list(&items[..3], 5), "p1, p2 and p3");
        assert_eq!(list(&items, 5), "p1, p2, p3, p4, p5 and 2 more");
        assert_eq!(count(1, "page"), "1 page");
        assert_eq!(count(2, "page"), "2 pages");
    }

    #[test]
    fn every_snippet_is_a_loader_and_a_destination_counts_once() {
        use super::testing::{classic_destination, native_heap, page, segment};
        let key = "q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH";
        // Two snippets on the same line of a minified page: same source, line and excerpt.
        let twice = page(
            "/",
            vec![
                native_heap("/", "3180826004"),
                native_heap("/", "3180826004"),
                segment("/", key),
                segment("/", key),
            ],
        );
        assert_eq!(active(&twice, Vendor::Heap).len(), 2);
        assert_eq!(active(&twice, Vendor::Segment).len(), 2);
        // The same destination of the same source, reached twice: one loader.
        let mut through_gtm = classic_destination(key, "2682025610");
        through_gtm.container = Some("GTM-K9X2".into());
        let once = page(
            "/",
            vec![classic_destination(key, "2682025610"), through_gtm],
        );
        assert_eq!(active(&once, Vendor::Heap).len(), 1);
        // Another destination, app id or an unknown write key is not the same.
        // Destination instances can be renamed in Segment: the kind decides, not the name.
        let mut actions = classic_destination(key, "2682025610");
        actions.destination = Some("Heap (web, prod)".into());
        actions.destination_kind = Some("actions".into());
        let mut unkeyed = classic_destination(key, "2682025610");
        unkeyed.write_key = None;
        let mut unkeyed2 = unkeyed.clone();
        unkeyed2.evidence.source = "elsewhere".into();
        let distinct = page(
            "/",
            vec![
                classic_destination(key, "2682025610"),
                classic_destination(key, "1535634150"),
                actions,
                unkeyed,
                unkeyed2,
            ],
        );
        assert_eq!(active(&distinct, Vendor::Heap).len(), 5);
        assert!(
            is_actions(&distinct.installs[2]) && !is_classic_destination(&distinct.installs[2])
        );
        assert!(is_classic_destination(&distinct.installs[0]));
        let mut renamed = classic_destination(key, "2682025610");
        renamed.destination = Some("Heap Actions migration".into());
        assert!(is_classic_destination(&renamed) && !is_actions(&renamed));
        assert!(skipped_actions(&distinct.installs[2], &distinct));
    }

    #[test]
    fn truthiness() {
        use serde_json::json;
        for on in [
            json!(true),
            json!(1),
            json!(-1),
            json!(0.5),
            json!("true"),
            json!("yes"),
            json!("cfg.redact"),
            json!({}),
            json!([]),
        ] {
            assert!(truthy(&on), "{on}");
        }
        for off in [
            json!(false),
            json!(0),
            json!(0.0),
            json!(null),
            json!(""),
            json!("  "),
            json!("false"),
            json!("0"),
        ] {
            assert!(!truthy(&off), "{off}");
        }
    }

    #[test]
    fn text_capture_option_prefers_the_real_name() {
        use serde_json::json;
        let opts = |v: Value| v.as_object().cloned().unwrap_or_default();
        assert_eq!(
            text_capture_option(&opts(
                json!({"disableTargetText": true, "disableTextCapture": true})
            )),
            Some("disableTextCapture")
        );
        assert_eq!(
            text_capture_option(&opts(json!({"disableTargetText": 1}))),
            Some("disableTargetText")
        );
        assert_eq!(
            text_capture_option(&opts(json!({"disableTextCapture": "false"}))),
            None
        );
    }
}

/// Small inventories for the rules' and the advice's unit tests.
#[cfg(test)]
pub mod testing {
    use crate::model::{
        Evidence, Install, Page, Report, Sdk, Summary, Tool, Unverified, Vendor, Via,
        SCHEMA_VERSION,
    };

    /// A report of these pages.
    pub fn report(pages: Vec<Page>) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: "heap-audit".into(),
                version: "test".into(),
            },
            targets: vec!["https://www.example.com/".into()],
            pages,
            findings: Vec::new(),
            recommendation: None,
            problems: Vec::new(),
            unverified: Vec::new(),
            summary: Summary::default(),
            sources: Vec::new(),
            coverage: Vec::new(),
            render: None,
        }
    }

    /// An audited page of `https://www.example.com` with these installs.
    pub fn page(path: &str, installs: Vec<Install>) -> Page {
        let mut page = Page::new(
            format!("https://www.example.com{path}"),
            "https://www.example.com".into(),
            0,
        );
        page.status = Some(200);
        page.installs = installs;
        page
    }

    fn evidence(path: &str, line: u32, signature: &str) -> Evidence {
        Evidence {
            source: format!("https://www.example.com{path}"),
            line: Some(line),
            snippet: String::new(),
            signature: signature.into(),
            tag: None,
            offset: None,
        }
    }

    /// A native classic Heap snippet in the page at `path`.
    pub fn native_heap(path: &str, id: &str) -> Install {
        let mut heap = Install::new(
            Vendor::Heap,
            Some(id.into()),
            Via::Native,
            evidence(path, 12, "heap-load"),
        );
        heap.sdk = Some(Sdk::Classic);
        heap.cdn = Some("https://cdn.heapanalytics.com".into());
        heap
    }

    /// A Segment snippet in the page at `path`, its settings fetched.
    pub fn segment(path: &str, key: &str) -> Install {
        let mut segment = Install::new(
            Vendor::Segment,
            Some(key.into()),
            Via::Native,
            evidence(path, 20, "segment-load"),
        );
        segment.cdn = Some("https://cdn.segment.com".into());
        segment.snippet_version = Some("5.2.1".into());
        segment.settings = Some("fetched".into());
        segment.api_host = Some("api.segment.io/v1".into());
        segment
    }

    /// Segment's classic Heap destination in device mode, from the settings of `key`.
    pub fn classic_destination(key: &str, id: &str) -> Install {
        let mut heap = Install::new(
            Vendor::Heap,
            Some(id.into()),
            Via::Segment,
            Evidence {
                source: format!("https://cdn.segment.com/v1/projects/{key}/settings"),
                line: None,
                snippet: format!("\"Heap\": appId {id} (classic destination, device mode)"),
                signature: "segment-settings-heap-classic".into(),
                tag: Some("Heap".into()),
                offset: None,
            },
        );
        heap.sdk = Some(Sdk::Classic);
        heap.mode = Some(crate::model::Mode::Device);
        heap.write_key = Some(key.into());
        heap.destination = Some("Heap".into());
        heap.destination_kind = Some("classic".into());
        heap.cdn = Some("https://cdn.heapanalytics.com".into());
        heap
    }

    /// A GTM container snippet in the page at `path`, its container in state `library`.
    pub fn gtm(path: &str, id: &str, library: &str) -> Install {
        let mut gtm = Install::new(
            Vendor::Gtm,
            Some(id.into()),
            Via::Native,
            evidence(path, 8, "gtm-snippet"),
        );
        gtm.library = Some(library.into());
        gtm
    }

    /// A `report.unverified` entry.
    pub fn unverified(kind: &str, url: &str, reason: &str) -> Unverified {
        Unverified {
            kind: kind.into(),
            url: url.into(),
            reason: reason.into(),
        }
    }
}
