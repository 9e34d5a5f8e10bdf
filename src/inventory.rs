//! The inventory: what loads Heap on each page, and through which path. Pure functions that turn
//! what `extract` found (and what the scan followed) into the installs of one page.

use crate::hashing::{HashMap, HashSet};
use std::collections::{BTreeMap, BTreeSet};

use crate::extract::segment_settings::{DestinationKind, HeapDestination, Settings};
use crate::model::{Branch, Evidence, Install, Mode, Page, Problem, Sdk, Summary, Vendor, Via};

/// The Heap installs that a Segment install brings to the page, from its settings with the page's
/// `analytics.load` options applied. Cloud-mode and disabled destinations are kept, inactive.
pub fn heap_from_settings(
    segment: &Install,
    settings: &Settings,
    settings_url: &str,
) -> Vec<Install> {
    crate::extract::segment_settings::apply_load_options(settings, &segment.options)
        .into_iter()
        .map(|dest| heap_install(segment, &dest, settings_url))
        .collect()
}

fn heap_install(segment: &Install, dest: &HeapDestination, settings_url: &str) -> Install {
    let (signature, label) = match dest.kind {
        DestinationKind::Classic => ("segment-settings-heap-classic", "classic destination"),
        DestinationKind::Actions => ("segment-settings-heap-actions", "Actions destination"),
    };
    let evidence = Evidence {
        source: settings_url.to_owned(),
        line: None,
        snippet: format!(
            "\"{}\": appId {} ({label}, {} mode)",
            dest.name,
            dest.app_id.as_deref().unwrap_or("missing"),
            mode_name(dest.mode)
        ),
        signature: signature.to_owned(),
        tag: Some(dest.name.clone()),
        offset: None,
    };
    let mut install = Install::new(Vendor::Heap, dest.app_id.clone(), Via::Segment, evidence);
    install.mode = Some(dest.mode);
    install.destination = Some(dest.name.clone());
    install.destination_kind = Some(
        match dest.kind {
            DestinationKind::Classic => "classic",
            DestinationKind::Actions => "actions",
        }
        .into(),
    );
    install.write_key = segment.id.clone();
    install.container = segment.container.clone();
    install.options = dest.settings.clone();
    let setting = |k: &str| {
        dest.settings
            .get(k)
            .and_then(|v| v.as_str())
            .filter(|v| !v.is_empty())
    };
    install.cdn = match dest.kind {
        DestinationKind::Classic => Some("https://cdn.heapanalytics.com".into()),
        DestinationKind::Actions => Some(match setting("hostname") {
            Some(host) => format!("https://{}", host.trim_start_matches("https://")),
            None => "https://cdn.us.heap-api.com".into(),
        }),
    };
    install.sdk = match (dest.mode, dest.kind) {
        (Mode::Cloud, _) => None,
        // analytics.js-integration-heap always loads the classic heap-<id>.js.
        (Mode::Device, DestinationKind::Classic) => Some(Sdk::Classic),
        // Heap Web (Actions) loads v5 unless both hostname and trackingServer are set.
        (Mode::Device, DestinationKind::Actions) => {
            let set = |k: &str| {
                dest.settings
                    .get(k)
                    .is_some_and(|v| !v.is_null() && v != "")
            };
            Some(if set("hostname") && set("trackingServer") {
                Sdk::Classic
            } else {
                Sdk::V5
            })
        }
    };
    if dest.mode == Mode::Cloud {
        install.active = false;
        install.inactive_reason = Some(
            "cloud mode: Segment's servers send events to Heap; nothing loads on the page".into(),
        );
    } else if !dest.enabled {
        install.active = false;
        install.inactive_reason = dest
            .disabled_reason
            .clone()
            .or_else(|| Some("disabled by analytics.load options".into()));
    } else if !segment.active {
        install.active = false;
        install.inactive_reason =
            Some("the Segment install that would load it does not run".into());
    }
    install
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Device => "device",
        Mode::Cloud => "cloud",
    }
}

/// The write key of the Segment snippet that runs first on a page: native snippets in document
/// order, then those a tag manager injects. A later snippet on the same `analytics` global only
/// logs "Segment snippet included twice" and loads nothing (npm `AnalyticsBrowser` instances are
/// separate and not counted).
pub fn first_segment_snippet(installs: &[Install]) -> Option<String> {
    installs
        .iter()
        .filter(|i| i.vendor == Vendor::Segment && i.active && is_snippet(i))
        .min_by_key(|i| (i.via != Via::Native, i.evidence.line.unwrap_or(u32::MAX)))
        .and_then(|i| i.id.clone())
}

/// A Segment install from a snippet (or a script URL), not an npm `AnalyticsBrowser` instance.
pub fn is_snippet(install: &Install) -> bool {
    install.snippet_version.as_deref() != Some("npm")
}

/// Whether this Segment install is a snippet that runs after another one with a different key.
pub fn snippet_shadowed(segment: &Install, first_key: &str) -> bool {
    is_snippet(segment) && segment.id.as_deref().is_some_and(|key| key != first_key)
}

/// Heap destinations of a snippet that never loads analytics.js: listed, but inactive.
pub fn shadow(destinations: &mut [Install], first_key: &str) {
    for heap in destinations.iter_mut().filter(|h| h.active) {
        heap.active = false;
        heap.inactive_reason = Some(format!(
            "another Segment snippet (write key {first_key}) runs first on this page, so this one only logs \"Segment snippet included twice\" and its analytics.js, with this destination, never loads"
        ));
    }
}

/// One install per tag manager container on a page: a script loader and the `<noscript>` iframe of
/// the same GTM container are one install. An iframe alone is kept, inactive.
pub fn merge_tag_managers(installs: &mut Vec<Install>) {
    let mut merged: Vec<Install> = Vec::with_capacity(installs.len());
    for install in installs.drain(..) {
        let same = merged.iter_mut().find(|m| {
            m.vendor.is_tag_manager()
                && m.vendor == install.vendor
                && m.via == install.via
                && m.id == install.id
                && m.id.is_some()
        });
        match same {
            Some(existing) => {
                if !existing.active && install.active {
                    *existing = install;
                }
            }
            None => merged.push(install),
        }
    }
    *installs = merged;
}

/// Mark a GTM install found only through its `ns.html` iframe.
pub fn noscript_only(mut install: Install) -> Install {
    install.active = false;
    install.inactive_reason =
        Some("only the <noscript> iframe is present: the container's tags do not run in browsers with JavaScript".into());
    install
}

/// Re-label installs found inside a tag manager's container or library.
pub fn through_tag_manager(installs: &mut [Install], manager: &Install) {
    let Some(via) = Via::for_tag_manager(manager.vendor) else {
        return;
    };
    for install in installs {
        install.via = via;
        install.container = manager.id.clone();
    }
}

/// A crawled URL that redirects to another crawled page is the same page: keep the page once and
/// list the redirecting URL in its `aliases`. Redirects to pages not otherwise crawled stay.
///
/// Linear in pages: the URLs and redirect targets are looked up in hash maps.
pub fn fold_redirects(pages: Vec<Page>) -> Vec<Page> {
    let direct: HashSet<String> = pages
        .iter()
        .filter(|p| p.redirects.is_empty())
        .map(|p| p.url.clone())
        .collect();
    let mut kept: Vec<Page> = Vec::with_capacity(pages.len());
    // The final URL of each kept page that was reached through redirects.
    let mut landed: HashSet<String> = HashSet::default();
    let mut moved: Vec<(String, String)> = Vec::new();
    for page in pages {
        let target = page
            .redirects
            .last()
            .filter(|last| direct.contains(*last) || landed.contains(*last));
        match target {
            Some(target) => moved.push((target.clone(), page.url)),
            None => {
                if let Some(last) = page.redirects.last() {
                    landed.insert(last.clone());
                }
                kept.push(page);
            }
        }
    }
    if moved.is_empty() {
        return kept;
    }
    // The first kept page whose URL, or whose last redirect, is each target.
    let mut owner_of: HashMap<String, usize> = HashMap::default();
    for (i, k) in kept.iter().enumerate() {
        owner_of.entry(k.url.clone()).or_insert(i);
        if let Some(last) = k.redirects.last() {
            owner_of.entry(last.clone()).or_insert(i);
        }
    }
    for (target, alias) in moved {
        if let Some(owner) = owner_of.get(&target).and_then(|&i| kept.get_mut(i)) {
            owner.aliases.push(alias);
        }
    }
    kept
}

/// Where a Segment install's settings are read from: `<cdn>/v1/projects/<write key>/settings`.
pub fn settings_url(install: &Install) -> String {
    let cdn = install
        .cdn
        .as_deref()
        .unwrap_or("https://cdn.segment.com")
        .trim_end_matches('/');
    format!(
        "{cdn}/v1/projects/{}/settings",
        install.id.as_deref().unwrap_or("")
    )
}

/// The summary block of the report.
/// The findings counted by severity, every severity present.
pub fn by_severity(findings: &[crate::model::Finding]) -> BTreeMap<String, usize> {
    use crate::model::Severity;
    [
        (Severity::Error, "error"),
        (Severity::Warning, "warning"),
        (Severity::Info, "info"),
    ]
    .into_iter()
    .map(|(severity, name)| {
        let n = findings.iter().filter(|f| f.severity == severity).count();
        (name.to_owned(), n)
    })
    .collect()
}

pub fn summarize(pages: &[Page], problems: &[Problem], findings: usize) -> Summary {
    // Counted and gathered borrowed, made owned once at the end (not a copy per install).
    let mut installs: BTreeMap<&str, usize> = BTreeMap::new();
    let mut ids: BTreeSet<&str> = BTreeSet::new();
    let mut with_heap = 0;
    for page in pages {
        let mut heap_here = false;
        for install in page.installs.iter().filter(|i| i.active) {
            *installs.entry(install.vendor.as_str()).or_default() += 1;
            if install.vendor == Vendor::Heap {
                heap_here = true;
                ids.extend(
                    install
                        .id
                        .iter()
                        .chain(&install.alternative_ids)
                        .map(String::as_str),
                );
            }
        }
        with_heap += usize::from(heap_here);
    }
    let installs = installs
        .into_iter()
        .map(|(vendor, n)| (vendor.to_owned(), n))
        .collect();
    let failed = pages.iter().filter(|p| p.error.is_some()).count();
    Summary {
        pages: pages.len(),
        pages_with_errors: failed,
        pages_audited: pages.len() - failed,
        pages_failed: failed,
        findings_by_severity: by_severity(&[]),
        pages_with_heap: with_heap,
        installs,
        heap_app_ids: ids.into_iter().map(str::to_owned).collect(),
        problems: problems.len(),
        findings,
        suppressed: 0,
    }
}

/// Source mode: loaders of one vendor and path in different arms of one template block (`<% if
/// Rails.env.production? %>` one id `<% else %>` another) are one install whose other ids are
/// alternatives, with each arm's condition as a branch; they never load together. The
/// conditions they share stay on the merged install.
pub fn merge_conditions(installs: &mut Vec<Install>) {
    if installs.iter().all(|i| i.conditions.is_empty()) {
        return;
    }
    let mut out: Vec<Install> = Vec::with_capacity(installs.len());
    for install in installs.drain(..) {
        let into = out.iter_mut().find(|o| {
            o.vendor == install.vendor
                && o.via == install.via
                && o.container == install.container
                && o.destination == install.destination
                && crate::model::Condition::exclusive(&o.conditions, &install.conditions)
        });
        let Some(first) = into else {
            out.push(install);
            continue;
        };
        // The block where they part: each side's arm condition there becomes a branch.
        let parting = first.conditions.iter().find_map(|a| {
            install
                .conditions
                .iter()
                .find(|b| a.block == b.block && a.arm != b.arm)
                .map(|b| (a.condition.clone(), b.condition.clone(), a.block.clone()))
        });
        if let Some((mine, theirs, block)) = parting {
            if first.branches.is_empty() {
                first.branches.push(Branch {
                    id: first.id.clone(),
                    condition: mine,
                });
            }
            first.branches.push(Branch {
                id: install.id.clone(),
                condition: theirs,
            });
            first.conditions.retain(|c| c.block != block);
        }
        for id in install.id.into_iter().chain(install.alternative_ids) {
            if first.id.is_none() {
                first.id = Some(id);
            } else if first.id.as_deref() != Some(id.as_str())
                && !first.alternative_ids.contains(&id)
            {
                first.alternative_ids.push(id);
            }
        }
        if first.id_from.is_none() {
            first.id_from = install.id_from;
        }
    }
    *installs = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(url: &str, redirects: &[&str]) -> Page {
        let mut page = Page::new(url.into(), "s".into(), 0);
        page.redirects = redirects.iter().map(|r| r.to_string()).collect();
        page
    }

    #[test]
    fn redirects_to_crawled_pages_fold_into_them() {
        let pages = vec![
            page("/old", &["/new"]),
            page("/new", &[]),
            page("/gone", &["/elsewhere"]),
            page("/older", &["/elsewhere"]),
        ];
        let folded = fold_redirects(pages);
        let urls: Vec<_> = folded
            .iter()
            .map(|p| (p.url.as_str(), p.aliases.clone()))
            .collect();
        assert_eq!(
            urls,
            vec![
                ("/new", vec!["/old".to_owned()]),
                ("/gone", vec!["/older".to_owned()])
            ]
        );
    }
}
