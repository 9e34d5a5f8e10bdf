//! ## What it does
//! Flags Heap app ids that disagree:
//! - on one page, two loaders use different ids (e.g. the native snippet and Segment's Heap
//!   destination); one finding per combination of loaders, listing every page;
//! - across the pages of one site, different pages use different ids; one finding per site,
//!   naming each id and how many pages use it;
//! - an id differs from the one given with `--expect-app-id`; one finding per wrong id. With
//!   `--expect-app-id`, no Heap install at all is an error too, and Heap installs whose ids all
//!   come from outside the page (`process.env.HEAP_ID`, a template variable) are a warning: the
//!   id is unverified, not passed;
//! - a page of one environment of the config file (`[[environments]]`: the hosts or URL patterns
//!   of production, staging, ...) uses another environment's Heap app id or Segment write key, or
//!   an id no environment has; the finding names both environments, e.g. "staging.example.com uses
//!   production's Heap app id 1535634150; staging expects 2682025610";
//! - in a source repository, the arm of a template `if`/`else` that an environment's `condition`
//!   selects (`condition = 'Rails\.env\.production\?'`) uses another id than the environment's.
//!
//! The first three are one cause per site and are reported as one finding, which leads with the
//! expected-id part, then the site-wide part; its pages are those with an id other than the one to
//! keep (the expected id, else the most used), and its primary location is the odd one out: a
//! loader with such an id, on a line of a page first.
//!
//! Counted: ids of Heap installs that run on the page, plus Segment's Heap destination in cloud
//! mode (its events still reach that app id). Not counted: a destination disabled by the page's
//! `analytics.load` options. The same id on several pages or loaders is fine.
//!
//! ## Why is this bad?
//! Each Heap environment has its own id. Heap: "be sure to use the app ID that corresponds to the
//! environment in Heap you want to send data to. If you send data to the wrong environment, it
//! will pollute the data in that environment." With two ids on one page, Segment's classic
//! destination overwrites `heap.appid` with its own id, while Heap Web (Actions) skips loading when
//! `window.heap` exists, so the id configured in Segment is silently ignored.
//!
//! ## Example
//! ```html
//! <script>/* Heap snippet */ heap.load("3748201956");</script>
//! <script>/* Segment snippet */ analytics.load("q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH");</script>
//! <!-- Segment settings of that write key: "Heap": { "appId": "2682025610" } -->
//! ```
//!
//! ## Use instead
//! One id everywhere: the id of the production environment on the production site.
//! ```html
//! <script>/* Segment snippet */ analytics.load("q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH");</script>
//! <!-- and no native snippet; Segment's Heap destination carries app id 2682025610 -->
//! ```
//!
//! ## References
//! - Heap, web installation (environments): <https://help.heap.io/installation/standard-installations/web-installation/>
//! - Heap, app id vs env id: <https://help.heap.io/getting-started/getting-started-faqs/whats-the-difference-between-the-app-id-and-env-id-in-heap/>
//! - Heap Web (Actions) skips loading when `window.heap` exists: <https://github.com/segmentio/action-destinations/pull/958>

use std::collections::{BTreeMap, BTreeSet};

use crate::hashing::{HashMap, HashSet};

use super::common::{
    audited, count, describe, evidence_of, heap_with_data, is_actions, list, Group, Groups,
    IdFamilies,
};
use super::group::{local_line, put_first};
use super::{environment_of, finding, Context, Environment, Rule};
use crate::model::{Evidence, Finding, Install, Page, Severity, Vendor, Via};

pub struct AppIdMismatch;

impl Rule for AppIdMismatch {
    fn name(&self) -> &'static str {
        "app-id-mismatch"
    }
    fn code(&self) -> &'static str {
        "HA003"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "Heap app ids differ on a page, across the pages of a site, or from the expected id"
    }
    fn doc(&self) -> String {
        super::doc_from_source(include_str!("app_id_mismatch.rs"))
    }

    /// Linear in pages and installs: each part is one pass over the pages, grouping by hash
    /// ([`Group`]); a page's own loaders are compared with each other (a handful). The id families
    /// cost O(installs + distinct ids²) ([`IdFamilies::from_pages`]); the environments part adds a
    /// factor of the configured environments.
    ///
    /// The findings of one site share its cause (`site:<site>`) and are reported as one
    /// (`rules::group`): the one about the expected id leads, then the one across pages, then
    /// those on the same page; its primary location is the odd one out ([`odd_one`]).
    fn check(&self, cx: &Context) -> Vec<Finding> {
        // An environment switch's ids count as one (see IdFamilies): worked out once.
        let families = IdFamilies::of(cx.report);
        let mut out = self.unexpected(cx);
        // Each audited page's Heap installs whose data reaches a project, worked out once.
        let heap: Vec<(&Page, Vec<&Install>)> = audited(cx.report)
            .map(|page| (page, heap_with_data(page)))
            .collect();
        out.extend(self.across_pages(cx, &families, &heap));
        out.extend(self.same_page(&families, &heap));
        // The site of each finding's first page: one pass over the pages, looking up the few.
        let firsts: HashSet<&str> = out
            .iter()
            .filter_map(|f| f.pages.first())
            .map(String::as_str)
            .collect();
        let site_of: HashMap<&str, &str> = cx
            .report
            .pages
            .iter()
            .filter(|p| firsts.contains(p.url.as_str()))
            .map(|p| (p.url.as_str(), p.site.as_str()))
            .collect();
        let mut led: BTreeSet<String> = BTreeSet::new();
        for f in &mut out {
            let Some(site) = f.pages.first().and_then(|p| site_of.get(p.as_str())) else {
                continue;
            };
            f.cause = Some(format!("site:{site}"));
            if led.insert((*site).to_owned()) {
                if let Some(odd) = odd_one(cx, &families, site, &heap) {
                    put_first(&mut f.evidence, odd);
                }
            }
        }
        out.extend(self.environments(cx));
        out
    }
}

/// The Heap app ids of a site's pages (an environment switch counted as one id), with how many
/// pages use each.
fn ids_of_site<'a>(
    families: &'a IdFamilies,
    site: &str,
    heap: &[(&'a Page, Vec<&'a Install>)],
) -> BTreeMap<&'a str, usize> {
    let mut uses: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, installs) in heap.iter().filter(|(p, _)| p.site == site) {
        for id in page_ids(families, installs) {
            *uses.entry(id).or_default() += 1;
        }
    }
    uses
}

/// The distinct Heap app ids of one page's installs (an environment switch counted as one id),
/// sorted: a handful, in a vector rather than a set.
fn page_ids<'a>(families: &'a IdFamilies, installs: &[&'a Install]) -> Vec<&'a str> {
    let mut ids: Vec<&str> = installs
        .iter()
        .filter_map(|i| i.id.as_deref())
        .map(|id| families.canonical(id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The id a site should keep: the expected one (`--expect-app-id`), else the one most pages use
/// (the smallest of those most used, so the choice is stable).
fn kept_id<'a>(
    cx: &Context<'a>,
    families: &'a IdFamilies,
    uses: &BTreeMap<&'a str, usize>,
) -> Option<&'a str> {
    if let Some(expected) = cx.config.expect_app_id.as_deref() {
        return Some(families.canonical(expected.trim()));
    }
    uses.iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(id, _)| *id)
}

/// The line a person must change on a site whose pages disagree on the app id: the evidence of a
/// loader whose id is not the one to keep, on a line of a local file first (what a pull request
/// annotation can point at), then of the least used id, then of the first page.
fn odd_one(
    cx: &Context,
    families: &IdFamilies,
    site: &str,
    heap: &[(&Page, Vec<&Install>)],
) -> Option<Evidence> {
    let uses = ids_of_site(families, site, heap);
    let kept = kept_id(cx, families, &uses);
    let mut best: Option<((bool, usize, usize), &Evidence)> = None;
    for (n, (page, installs)) in heap.iter().filter(|(p, _)| p.site == site).enumerate() {
        for &install in installs {
            let Some(id) = install.id.as_deref().map(|id| families.canonical(id)) else {
                continue;
            };
            if Some(id) == kept {
                continue;
            }
            for e in evidence_of(install, page) {
                let rank = (!local_line(e), uses.get(&id).copied().unwrap_or(0), n);
                if best.as_ref().is_none_or(|(b, _)| rank < *b) {
                    best = Some((rank, e));
                }
            }
        }
    }
    best.map(|(_, e)| e.clone())
}

/// The pages of a site that use an id other than the one to keep: those a fix changes.
fn odd_pages(
    families: &IdFamilies,
    site: &str,
    kept: Option<&str>,
    heap: &[(&Page, Vec<&Install>)],
) -> Vec<String> {
    heap.iter()
        .filter(|(p, _)| p.site == site)
        .filter(|(_, installs)| {
            installs
                .iter()
                .filter_map(|i| i.id.as_deref())
                .any(|id| Some(families.canonical(id)) != kept)
        })
        .map(|(p, _)| p.url.clone())
        .collect()
}

impl AppIdMismatch {
    fn same_page(&self, families: &IdFamilies, heap: &[(&Page, Vec<&Install>)]) -> Vec<Finding> {
        let mut groups = Groups::new();
        for (page, installs) in heap {
            let page: &Page = page;
            let heap: Vec<&Install> = installs
                .iter()
                .copied()
                .filter(|i| i.id.is_some())
                .collect();
            if page_ids(families, &heap).len() < 2 {
                continue;
            }
            let mut names: Vec<String> = heap.iter().map(|i| describe(i, page)).collect();
            names.sort();
            let group = groups.entry(names.join(" vs ")).or_default();
            group.page(&page.url);
            for install in &heap {
                group.evidence(evidence_of(install, page));
                if install.via == Via::Segment && install.active {
                    group.note(if is_actions(install) {
                        format!("Heap Web (Actions) skips loading when window.heap exists, so its app id {} is ignored when another loader ran first", install.id.as_deref().unwrap_or(""))
                    } else {
                        "Segment's classic destination overwrites heap.appid with its own id".to_owned()
                    });
                }
            }
        }
        groups
            .into_iter()
            .map(|(loaders, g)| {
                let mut message = format!(
                    "heap app ids differ on the same page ({}): {loaders}",
                    count(g.pages.len(), "page")
                );
                for note in &g.notes {
                    message.push_str("; ");
                    message.push_str(note);
                }
                let help = "use the app id of the Heap environment you want to send data to on every loader, and keep a single loader per page (see duplicate-heap-load)".to_owned();
                finding(self, self.severity(), message, help, g.pages, g.evidence)
            })
            .collect()
    }

    fn across_pages(
        &self,
        cx: &Context,
        families: &IdFamilies,
        heap: &[(&Page, Vec<&Install>)],
    ) -> Vec<Finding> {
        // site -> id -> group of the pages using it
        let mut sites: BTreeMap<&str, BTreeMap<&str, Group>> = BTreeMap::new();
        // site -> the first page's set of ids, and whether another page has another set
        let mut page_sets: BTreeMap<&str, (Vec<&str>, bool)> = BTreeMap::new();
        for (page, heap) in heap {
            let page: &Page = page;
            let ids = page_ids(families, heap);
            if ids.is_empty() {
                continue;
            }
            let site = sites.entry(&page.site).or_default();
            for install in heap {
                let Some(id) = install.id.as_deref().map(|id| families.canonical(id)) else {
                    continue;
                };
                let group = site.entry(id).or_default();
                group.page(&page.url);
                group.evidence(evidence_of(install, page));
            }
            match page_sets.get_mut(page.site.as_str()) {
                Some((first, differs)) => *differs |= *first != ids,
                None => {
                    page_sets.insert(&page.site, (ids, false));
                }
            }
        }
        let mut out = Vec::new();
        for (site, ids) in sites {
            if ids.len() < 2 || page_sets.get(site).is_none_or(|(_, differs)| !differs) {
                continue;
            }
            let mut by_use: Vec<(&str, Group)> = ids.into_iter().collect();
            by_use.sort_by(|a, b| b.1.pages.len().cmp(&a.1.pages.len()).then(a.0.cmp(b.0)));
            let parts: Vec<String> = by_use
                .iter()
                .map(|(id, g)| format!("{id} on {}", count(g.pages.len(), "page")))
                .collect();
            let mut all = Group::default();
            for (_, g) in &mut by_use {
                all.evidence(std::mem::take(&mut g.evidence));
            }
            // The pages involved are those a fix changes: the ones with an id not to keep.
            let uses = ids_of_site(families, site, heap);
            let kept = kept_id(cx, families, &uses);
            odd_pages(families, site, kept, heap)
                .iter()
                .for_each(|p| all.page(p));
            let message = format!(
                "pages of {site} use different heap app ids: {}",
                parts.join(", ")
            );
            let help = format!(
                "use one app id on every page of the site, the id of the environment it should send data to (the most used here is {}); each Heap environment has its own id",
                by_use.first().map_or("", |(id, _)| *id)
            );
            out.push(finding(
                self,
                self.severity(),
                message,
                help,
                all.pages,
                all.evidence,
            ));
        }
        out
    }

    fn unexpected(&self, cx: &Context) -> Vec<Finding> {
        let Some(expected) = cx.config.expect_app_id.as_deref().map(str::trim) else {
            return Vec::new();
        };
        let mut groups = Groups::new();
        // Whether any Heap install was found at all, and whether one of them has a readable id.
        let (mut any_heap, mut any_known) = (false, false);
        let mut unread = Group::default();
        for page in audited(cx.report) {
            for install in page.installs.iter().filter(|i| i.vendor == Vendor::Heap) {
                any_heap = true;
                if install.id.is_some() || !install.alternative_ids.is_empty() {
                    any_known = true;
                } else {
                    unread.page(&page.url);
                    unread.evidence(evidence_of(install, page));
                    let from = install
                        .id_from
                        .as_deref()
                        .unwrap_or("code heap-audit cannot read");
                    unread.note(format!("{} (id from {from})", describe(install, page)));
                }
            }
            for install in heap_with_data(page) {
                // A loader that switches to the expected id in some environment is fine.
                let switches_to_expected = install.alternative_ids.iter().any(|a| a == expected);
                let Some(id) = install
                    .id
                    .as_deref()
                    .filter(|id| *id != expected && !switches_to_expected)
                else {
                    continue;
                };
                let group = groups.entry(id.to_owned()).or_default();
                group.page(&page.url);
                group.evidence(evidence_of(install, page));
                group.note(describe(install, page));
            }
        }
        if !any_heap {
            // Expecting an id where there is no Heap at all is the worst mismatch, not a pass.
            let pages: Vec<String> = audited(cx.report).map(|p| p.url.clone()).collect();
            let message = format!(
                "no Heap install on any page audited ({}): app id {expected} (--expect-app-id) \
                 is not there",
                count(pages.len(), "page")
            );
            let help = format!(
                "install Heap with app id {expected} (see the recommendation), or check that the \
                 pages audited are the ones that should carry it"
            );
            return vec![finding(
                self,
                self.severity(),
                message,
                help,
                pages,
                Vec::new(),
            )];
        }
        if !any_known {
            // Heap is there, but which id it loads is decided where heap-audit cannot look.
            let message = format!(
                "app id {expected} (--expect-app-id) is unverified: every Heap install found takes \
                 its id from outside the page ({})",
                count(unread.pages.len(), "page")
            );
            let help = format!(
                "check that these supply app id {expected} in production: {}",
                list(&unread.notes, 5)
            );
            return vec![finding(
                self,
                Severity::Warning,
                message,
                help,
                unread.pages,
                unread.evidence,
            )];
        }
        groups
            .into_iter()
            .map(|(id, g)| {
                let message = format!(
                    "heap app id {id} is not the expected app id {expected} ({})",
                    count(g.pages.len(), "page")
                );
                let help = format!(
                    "replace app id {id} with {expected} in: {}",
                    list(&g.notes, 5)
                );
                finding(self, self.severity(), message, help, g.pages, g.evidence)
            })
            .collect()
    }

    fn environments(&self, cx: &Context) -> Vec<Finding> {
        let envs = &cx.config.environments;
        let mut groups = Groups::new();
        let mut expected: BTreeMap<String, String> = BTreeMap::new();
        for page in audited(cx.report) {
            let Some(env) = environment_of(envs, &page.url) else {
                continue;
            };
            let segment = page.installs.iter().filter(|i| i.vendor == Vendor::Segment);
            for install in heap_with_data(page).into_iter().chain(segment) {
                let Some((message, want)) = wrong_environment(envs, env, install, page) else {
                    continue;
                };
                let group = groups.entry(message.clone()).or_default();
                group.page(&page.url);
                group.evidence(evidence_of(install, page));
                group.note(describe(install, page));
                expected.insert(message, want);
            }
        }
        // Environments told by a template condition: the loader's arm for that condition.
        for page in audited(cx.report) {
            for env in envs.iter().filter(|e| e.condition.is_some()) {
                for install in page
                    .installs
                    .iter()
                    .filter(|i| i.vendor == Vendor::Heap || i.vendor == Vendor::Segment)
                {
                    let Some((message, want)) = wrong_arm(env, install) else {
                        continue;
                    };
                    let group = groups.entry(message.clone()).or_default();
                    group.page(&page.url);
                    group.evidence(evidence_of(install, page));
                    group.note(describe(install, page));
                    expected.insert(message, want);
                }
            }
        }
        groups
            .into_iter()
            .map(|(message, g)| {
                let help = format!(
                    "use {} in: {}",
                    expected.get(&message).map_or("", String::as_str),
                    list(&g.notes, 5)
                );
                let message = format!("{message} ({})", count(g.pages.len(), "page"));
                finding(self, self.severity(), message, help, g.pages, g.evidence)
            })
            .collect()
    }
}

/// When the arm of a loader that an environment's `condition` selects uses another id: the
/// message and what to use instead. The arm is a branch of the loader (an if/else between ids)
/// or a condition it is rendered under.
fn wrong_arm(env: &Environment, install: &Install) -> Option<(String, String)> {
    let pattern = env.condition.as_ref()?;
    let (what, wanted) = match install.vendor {
        Vendor::Heap => ("Heap app id", env.heap_app_id.as_deref()?),
        Vendor::Segment => ("Segment write key", env.segment_write_key.as_deref()?),
        _ => return None,
    };
    let arm = install
        .branches
        .iter()
        .find(|b| pattern.is_match(&b.condition))
        .map(|b| (b.condition.as_str(), b.id.as_deref()))
        .or_else(|| {
            install
                .conditions
                .iter()
                .find(|c| pattern.is_match(&c.condition))
                .map(|c| (c.condition.as_str(), install.id.as_deref()))
        })?;
    let (condition, Some(found)) = arm else {
        return None;
    };
    (found != wanted).then(|| {
        (
            format!(
                "the {} arm ({condition}) uses {what} {found}; {} expects {wanted}",
                env.name, env.name
            ),
            format!("{}'s {what} {wanted}", env.name),
        )
    })
}

/// The id an environment expects for one vendor.
type IdOf = fn(&Environment) -> Option<&str>;

/// When an install of a page of `env` uses an id that is not the environment's: the message
/// (without the page count) and what to use instead.
fn wrong_environment(
    envs: &[Environment],
    env: &Environment,
    install: &Install,
    page: &Page,
) -> Option<(String, String)> {
    let (what, wanted, of): (&str, &str, IdOf) = match install.vendor {
        Vendor::Heap => ("Heap app id", env.heap_app_id.as_deref()?, |e| {
            e.heap_app_id.as_deref()
        }),
        Vendor::Segment => (
            "Segment write key",
            env.segment_write_key.as_deref()?,
            |e| e.segment_write_key.as_deref(),
        ),
        _ => return None,
    };
    let found = install.id.as_deref()?;
    // A loader that switches to the expected id in some environment is fine.
    if found == wanted || install.alternative_ids.iter().any(|a| a == wanted) {
        return None;
    }
    let here = url::Url::parse(&page.url)
        .ok()
        .and_then(|u| {
            let host = u.host_str()?;
            Some(u.port().map_or(host.to_owned(), |p| format!("{host}:{p}")))
        })
        .unwrap_or_else(|| page.site.clone());
    let owner = envs
        .iter()
        .find(|e| e.name != env.name && of(e) == Some(found));
    let message = match owner {
        Some(owner) => format!(
            "{here} uses {}'s {what} {found}; {} expects {wanted}",
            owner.name, env.name
        ),
        None => format!(
            "{here} uses {what} {found}, which is no environment's; {} expects {wanted}",
            env.name
        ),
    };
    Some((message, format!("{}'s {what} {wanted}", env.name)))
}

#[cfg(test)]
mod tests {
    use super::super::common::testing::{native_heap, page, report, segment};
    use super::super::{Config, Environment};
    use super::*;

    fn env(name: &str, host: &str, heap: &str, key: &str) -> Environment {
        Environment {
            name: name.into(),
            hosts: vec![host.into()],
            heap_app_id: Some(heap.into()),
            segment_write_key: Some(key.into()),
            ..Environment::default()
        }
    }

    fn messages(pages: Vec<Page>, environments: Vec<Environment>) -> Vec<String> {
        let report = report(pages);
        let config = Config {
            environments,
            ..Config::default()
        };
        AppIdMismatch
            .environments(&Context {
                report: &report,
                config: &config,
            })
            .into_iter()
            .map(|f| f.message)
            .collect()
    }

    #[test]
    fn an_environment_told_by_a_template_condition_checks_its_arm() {
        use crate::model::Branch;
        let mut heap = native_heap("/", "111");
        heap.alternative_ids = vec!["222".into()];
        heap.branches = vec![
            Branch {
                id: Some("111".into()),
                condition: "Rails.env.production?".into(),
            },
            Branch {
                id: Some("222".into()),
                condition: "else".into(),
            },
        ];
        let production = |id: &str| Environment {
            name: "production".into(),
            condition: Some(regex::Regex::new(r"production\?").expect("regex")),
            heap_app_id: Some(id.into()),
            ..Environment::default()
        };
        let pages = || vec![page("/", vec![heap.clone()])];
        assert!(messages(pages(), vec![production("111")]).is_empty());
        assert_eq!(
            messages(pages(), vec![production("333")]),
            vec!["the production arm (Rails.env.production?) uses Heap app id 111; production expects 333 (1 page)"]
        );
        // An environment with a condition is not matched to pages by host.
        assert!(!production("111").matches("https://www.example.com/"));
    }

    #[test]
    fn another_environments_ids_are_named_with_both_environments() {
        let mut staging = page(
            "/",
            vec![native_heap("/", "111"), segment("/", "prodKey0000000000")],
        );
        staging.url = "https://staging.example.com/".into();
        let envs = vec![
            env("production", "www.example.com", "111", "prodKey0000000000"),
            env(
                "staging",
                "staging.example.com",
                "222",
                "stagingKey00000000",
            ),
        ];
        let found = messages(vec![staging.clone()], envs.clone());
        assert_eq!(
            found,
            vec![
                "staging.example.com uses production's Heap app id 111; staging expects 222 (1 page)",
                "staging.example.com uses production's Segment write key prodKey0000000000; staging expects stagingKey00000000 (1 page)",
            ]
        );
        // The production site with production's ids, and a page of no environment: nothing.
        let production = page(
            "/",
            vec![native_heap("/", "111"), segment("/", "prodKey0000000000")],
        );
        let mut elsewhere = staging.clone();
        elsewhere.url = "https://blog.example.org/".into();
        assert!(messages(vec![production, elsewhere], envs.clone()).is_empty());
        // An id of no environment names the expected one.
        let mut stray = page("/", vec![native_heap("/", "999")]);
        stray.url = "https://staging.example.com/pricing".into();
        assert_eq!(
            messages(vec![stray], envs),
            vec!["staging.example.com uses Heap app id 999, which is no environment's; staging expects 222 (1 page)"]
        );
    }
}
