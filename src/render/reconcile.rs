//! Putting what ran in the browser beside what the static read found: each install of a rendered
//! page is marked `confirmed`, `not-seen` (with the likeliest reason the browser gives) or, for
//! what only the browser saw, added as a `runtime-only` install, so that every rule sees it.

use serde_json::Value;

use crate::model::{Evidence, HeapLoad, Install, Page, Runtime, Sdk, Seen, Vendor, Via};

const CONFIRMED: &str = "confirmed";
const NOT_SEEN: &str = "not-seen";
const RUNTIME_ONLY: &str = "runtime-only";

/// Mark the installs of `page` from its `runtime`, and add what only the browser saw.
pub fn reconcile(page: &mut Page) {
    let Some(runtime) = page.runtime.take() else {
        return;
    };
    let mut calls: Vec<Option<&HeapLoad>> = runtime.heap_loads.iter().map(Some).collect();
    // Heap loaders, the most specific first: Segment's and tag managers' calls can be told by
    // their calling script; the page's own by what is left.
    let mut order: Vec<usize> = (0..page.installs.len()).collect();
    order.sort_by_key(|&i| match page.installs[i].via {
        Via::Segment => 0,
        Via::Native => 2,
        _ => 1,
    });
    for i in order {
        let install = &page.installs[i];
        let seen = match install.vendor {
            Vendor::Heap => heap(install, &mut calls, &runtime, &page.url),
            Vendor::Segment => segment(install, &runtime),
            _ => tag_manager(install, &runtime),
        };
        page.installs[i].runtime = Some(Box::new(seen));
    }
    let sdk = if runtime
        .requests
        .iter()
        .any(|r| r.vendor == Vendor::Heap && r.url.contains("heap_config.js"))
    {
        Sdk::V5
    } else {
        Sdk::Classic
    };
    for call in calls.into_iter().flatten() {
        page.installs.push(runtime_only_heap(call, sdk, &page.url));
    }
    if let Some(segment) = runtime_only_segment(page, &runtime) {
        page.installs.push(segment);
    }
    page.runtime = Some(runtime);
}

fn seen(status: &str, reason: Option<&str>, detail: String, calls: Vec<Evidence>) -> Seen {
    Seen {
        status: status.to_owned(),
        reason: reason.map(str::to_owned),
        detail,
        calls,
    }
}

/// Where a call ran, as evidence.
fn call_evidence(call: &HeapLoad, page: &str) -> Evidence {
    let options = call
        .options
        .as_ref()
        .map(|o| format!(", {o}"))
        .unwrap_or_default();
    Evidence {
        source: call.script.clone().unwrap_or_else(|| page.to_owned()),
        line: call.line,
        snippet: format!(
            "(ran in the browser) heap.load({}{options})",
            call.id
                .as_deref()
                .map_or_else(|| "undefined".to_owned(), |id| format!("\"{id}\""))
        ),
        signature: "runtime:heap.load".to_owned(),
        tag: None,
        offset: None,
    }
}

fn ids_match(install: &Install, call: &HeapLoad) -> bool {
    match (&install.id, &call.id) {
        (None, _) => true,
        (Some(id), Some(called)) => id == called || install.alternative_ids.contains(called),
        (Some(_), None) => false,
    }
}

fn heap(install: &Install, calls: &mut [Option<&HeapLoad>], runtime: &Runtime, page: &str) -> Seen {
    let by = match install.via {
        Via::Segment => &["segment"][..],
        Via::Native => &["page", "unknown"][..],
        _ => &["tag-manager", "unknown"][..],
    };
    if install.active && !is_cloud(install) {
        let found = calls
            .iter_mut()
            .find(|c| c.is_some_and(|c| by.contains(&c.by.as_str()) && ids_match(install, c)));
        if let Some(slot) = found {
            if let Some(call) = slot.take() {
                return seen(
                    CONFIRMED,
                    None,
                    format!("heap.load ran in the browser ({})", where_called(call)),
                    vec![call_evidence(call, page)],
                );
            }
        }
    }
    let (reason, detail) = heap_not_seen(install, runtime);
    seen(NOT_SEEN, Some(reason), detail, Vec::new())
}

fn where_called(call: &HeapLoad) -> String {
    match (&call.script, call.line) {
        (Some(script), Some(line)) => format!("called from {script}:{line}"),
        (Some(script), None) => format!("called from {script}"),
        _ => "called from a script inserted at run time".to_owned(),
    }
}

fn is_cloud(install: &Install) -> bool {
    install.mode == Some(crate::model::Mode::Cloud)
}

/// Why a Heap loader found statically did not run in the browser, as far as it tells.
fn heap_not_seen(install: &Install, runtime: &Runtime) -> (&'static str, String) {
    if !install.active || is_cloud(install) {
        let why = install
            .inactive_reason
            .clone()
            .unwrap_or_else(|| "cloud mode: Segment's servers send the data".to_owned());
        return ("not-run", format!("not expected to run ({why})"));
    }
    if let Some(gate) = &install.gate {
        if gate.kind == "consent" && runtime.consent != "accepted" {
            return (
                "consent-gated",
                "it waits for consent, which the render did not give (--render-consent accept gives it)".to_owned(),
            );
        }
    }
    match install.via {
        Via::Segment => {
            let actions = install.destination_kind.as_deref() == Some("actions");
            let initialized = runtime.analytics.as_ref().is_some_and(|a| a.initialized);
            if actions && initialized && !runtime.heap_loads.is_empty() {
                let current = runtime
                    .heap
                    .as_ref()
                    .and_then(|h| h.get("envId").or_else(|| h.get("appid")))
                    .and_then(Value::as_str)
                    .unwrap_or("another id");
                (
                    "skipped",
                    format!(
                        "Heap Web (Actions) found window.heap already set and loaded nothing: its app id {} and its settings are ignored; Heap runs with {current}",
                        install.id.as_deref().unwrap_or("(unknown)")
                    ),
                )
            } else if !initialized {
                (
                    "unreachable",
                    "analytics.js did not initialise in the browser".to_owned(),
                )
            } else {
                (
                    "not-run",
                    "analytics.js initialised but did not load this Heap destination".to_owned(),
                )
            }
        }
        Via::Native => {
            let failed = runtime
                .requests
                .iter()
                .find(|r| r.vendor == Vendor::Heap && r.kind == "library" && r.failed.is_some());
            match failed {
                Some(r) => (
                    "unreachable",
                    format!(
                        "its library failed to load ({}: {})",
                        r.url,
                        r.failed.as_deref().unwrap_or_default()
                    ),
                ),
                None => (
                    "not-run",
                    "the browser saw no heap.load from it (a run-time condition or an error kept it from running)".to_owned(),
                ),
            }
        }
        _ => {
            let container = install.container.as_deref().unwrap_or_default();
            if runtime.containers.iter().any(|c| c == container) {
                if runtime.consent != "accepted" && runtime.consent_manager_loaded {
                    (
                        "consent-gated",
                        format!("container {container} loaded, but this tag did not fire on this page without consent (a consent manager is on the page: render with --render-consent accept to tell a consent gate from a trigger)"),
                    )
                } else {
                    (
                        "trigger-gated",
                        format!("container {container} loaded, but this tag did not fire on this page: its trigger did not match"),
                    )
                }
            } else {
                (
                    "unreachable",
                    format!("container {container} did not load in the browser"),
                )
            }
        }
    }
}

fn segment(install: &Install, runtime: &Runtime) -> Seen {
    let key = install.id.as_deref().unwrap_or_default();
    let library = runtime.requests.iter().find(|r| {
        r.vendor == Vendor::Segment
            && r.kind == "library"
            && (key.is_empty() || r.url.contains(key))
    });
    let analytics = runtime.analytics.as_ref();
    let initialized = analytics.is_some_and(|a| a.initialized);
    let from_segment = runtime
        .heap_loads
        .iter()
        .filter(|c| c.by == "segment")
        .count();
    if initialized && library.is_none_or(|r| r.failed.is_none()) {
        let integrations = analytics
            .map(|a| a.integrations.join(", "))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "none".to_owned());
        let heap = if from_segment > 0 {
            "it called heap.load".to_owned()
        } else {
            "it did not load Heap".to_owned()
        };
        let calls = library
            .map(|r| Evidence {
                source: r.url.clone(),
                line: None,
                snippet: "analytics.js".to_owned(),
                signature: "runtime:request".to_owned(),
                tag: None,
                offset: None,
            })
            .into_iter()
            .collect();
        return seen(
            CONFIRMED,
            None,
            format!("analytics.js initialised in the browser (device-mode destinations: {integrations}); {heap}"),
            calls,
        );
    }
    if let Some(gate) = &install.gate {
        if gate.kind == "consent" && runtime.consent != "accepted" {
            return seen(
                NOT_SEEN,
                Some("consent-gated"),
                "it waits for consent, which the render did not give".to_owned(),
                Vec::new(),
            );
        }
    }
    match library.and_then(|r| r.failed.as_deref().map(|f| (r, f))) {
        Some((r, failed)) => seen(
            NOT_SEEN,
            Some("unreachable"),
            format!("analytics.js failed to load ({}: {failed})", r.url),
            Vec::new(),
        ),
        None => seen(
            NOT_SEEN,
            Some("not-run"),
            "analytics.js did not initialise in the browser".to_owned(),
            Vec::new(),
        ),
    }
}

fn tag_manager(install: &Install, runtime: &Runtime) -> Seen {
    let id = install.id.as_deref().unwrap_or_default();
    let loaded = install.vendor != Vendor::Gtm
        && runtime
            .requests
            .iter()
            .any(|r| r.vendor == install.vendor && r.failed.is_none());
    if runtime.containers.iter().any(|c| c == id) || loaded {
        return seen(
            CONFIRMED,
            None,
            "the container loaded in the browser".to_owned(),
            Vec::new(),
        );
    }
    let consent =
        install.gate.as_ref().is_some_and(|g| g.kind == "consent") && runtime.consent != "accepted";
    if consent {
        seen(
            NOT_SEEN,
            Some("consent-gated"),
            "it waits for consent, which the render did not give".to_owned(),
            Vec::new(),
        )
    } else {
        seen(
            NOT_SEEN,
            Some("not-run"),
            "the container did not load in the browser".to_owned(),
            Vec::new(),
        )
    }
}

fn runtime_only_heap(call: &HeapLoad, sdk: Sdk, page: &str) -> Install {
    let via = match call.by.as_str() {
        "segment" => Via::Segment,
        "tag-manager" => Via::Gtm,
        _ => Via::Native,
    };
    let evidence = call_evidence(call, page);
    let mut install = Install::new(Vendor::Heap, call.id.clone(), via, evidence.clone());
    install.sdk = Some(sdk);
    if let Some(Value::Object(options)) = &call.options {
        install.options = options.clone();
    }
    if via == Via::Segment {
        install.mode = Some(crate::model::Mode::Device);
        install.destination = Some("Heap".to_owned());
    }
    install.runtime = Some(Box::new(seen(
        RUNTIME_ONLY,
        None,
        format!(
            "seen only in the browser: {} (assembled at run time, or in code heap-audit could not read)",
            where_called(call)
        ),
        vec![evidence],
    )));
    install
}

/// analytics.js initialised in the browser with no Segment loader found statically.
fn runtime_only_segment(page: &Page, runtime: &Runtime) -> Option<Install> {
    let analytics = runtime.analytics.as_ref().filter(|a| a.initialized)?;
    if page.installs.iter().any(|i| i.vendor == Vendor::Segment) {
        return None;
    }
    let library = runtime
        .requests
        .iter()
        .find(|r| r.vendor == Vendor::Segment && r.kind == "library")?;
    let key = library
        .url
        .split("/analytics.js/v1/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .map(str::to_owned);
    let evidence = Evidence {
        source: library.url.clone(),
        line: None,
        snippet: "analytics.js".to_owned(),
        signature: "runtime:request".to_owned(),
        tag: None,
        offset: None,
    };
    let mut install = Install::new(Vendor::Segment, key, Via::Native, evidence.clone());
    install.runtime = Some(Box::new(seen(
        RUNTIME_ONLY,
        None,
        format!(
            "seen only in the browser: analytics.js loaded from {} and initialised (destinations: {})",
            library.url,
            analytics.integrations.join(", ")
        ),
        vec![evidence],
    )));
    Some(install)
}

/// Counts of installs by runtime status, over pages.
pub fn counts(pages: &[Page]) -> (usize, usize, usize) {
    let mut out = (0, 0, 0);
    for seen in pages
        .iter()
        .flat_map(|p| &p.installs)
        .filter_map(|i| i.runtime.as_ref())
    {
        match seen.status.as_str() {
            CONFIRMED => out.0 += 1,
            NOT_SEEN => out.1 += 1,
            _ => out.2 += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Gate, Mode};

    fn load(id: &str, by: &str, script: &str) -> HeapLoad {
        HeapLoad {
            id: Some(id.into()),
            options: None,
            script: Some(script.into()),
            line: Some(3),
            column: Some(1),
            by: by.into(),
            stack: Vec::new(),
        }
    }

    fn native(id: &str) -> Install {
        Install::new(
            Vendor::Heap,
            Some(id.into()),
            Via::Native,
            Evidence::default(),
        )
    }

    fn status(page: &Page) -> Vec<(Via, Option<String>, String, Option<String>)> {
        page.installs
            .iter()
            .map(|i| {
                let seen = i.runtime.clone().unwrap();
                (i.via, i.id.clone(), seen.status, seen.reason)
            })
            .collect()
    }

    #[test]
    fn calls_confirm_loaders_and_what_is_left_is_runtime_only() {
        let mut page = Page::new("http://s/".into(), "http://s".into(), 0);
        let mut segment = native("222");
        segment.via = Via::Segment;
        segment.mode = Some(Mode::Device);
        page.installs = vec![native("111"), segment];
        page.runtime = Some(Box::new(Runtime {
            heap_loads: vec![
                load("111", "page", "http://s/"),
                load("222", "segment", "https://cdn.segment.com/a.js"),
                load("333", "page", "http://s/app.js"),
            ],
            ..Runtime::default()
        }));
        reconcile(&mut page);
        assert_eq!(
            status(&page),
            vec![
                (Via::Native, Some("111".into()), CONFIRMED.into(), None),
                (Via::Segment, Some("222".into()), CONFIRMED.into(), None),
                (Via::Native, Some("333".into()), RUNTIME_ONLY.into(), None),
            ]
        );
        assert_eq!(page.installs[2].evidence.source, "http://s/app.js");
    }

    #[test]
    fn not_seen_says_why() {
        let mut page = Page::new("http://s/".into(), "http://s".into(), 0);
        let mut gated = native("111");
        gated.gate = Some(Gate {
            kind: "consent".into(),
            manager: Some("onetrust".into()),
            category: None,
            condition: "C0002".into(),
        });
        let mut tag = native("444");
        tag.via = Via::Gtm;
        tag.container = Some("GTM-ABC123".into());
        let mut actions = native("555");
        actions.via = Via::Segment;
        actions.destination_kind = Some("actions".into());
        page.installs = vec![gated, tag, actions, native("666")];
        page.runtime = Some(Box::new(Runtime {
            consent: "none".into(),
            containers: vec!["GTM-ABC123".into()],
            heap_loads: vec![load("666", "page", "http://s/")],
            analytics: Some(crate::model::AnalyticsRuntime {
                initialized: true,
                integrations: vec!["Heap Web (Actions)".into()],
            }),
            ..Runtime::default()
        }));
        reconcile(&mut page);
        let reasons: Vec<Option<String>> = status(&page).into_iter().map(|s| s.3).collect();
        assert_eq!(
            reasons,
            vec![
                Some("consent-gated".into()),
                Some("trigger-gated".into()),
                Some("skipped".into()),
                None
            ]
        );
    }
}
