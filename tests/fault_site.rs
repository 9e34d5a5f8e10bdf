//! One audit of a site whose home page links to every fault (tests/common/faults.rs): each fault
//! is a problem with its URL, every healthy page is audited, and the run ends within its bounds.

mod common;

use std::time::{Duration, Instant};

use common::faults::{FaultSite, HEAP_ID};
use common::{page, problems_of_kind, scan_json};
use serde_json::Value;

fn problem<'a>(report: &'a Value, kind: &str, url_suffix: &str) -> Option<&'a Value> {
    problems_of_kind(report, kind).into_iter().find(|p| {
        p["url"].as_str().is_some_and(|u| u.ends_with(url_suffix))
            && !p["message"].as_str().unwrap_or("").is_empty()
    })
}

fn pages_matching<'a>(report: &'a Value, needle: &str) -> Vec<&'a str> {
    report["pages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["url"].as_str())
        .filter(|u| u.contains(needle))
        .collect()
}

fn heap_ids(page: &Value) -> Vec<&str> {
    page["installs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["vendor"] == "heap")
        .filter_map(|i| i["id"].as_str())
        .collect()
}

#[test]
fn every_fault_is_survived_and_reported_and_every_healthy_page_audited() {
    let site = FaultSite::start();
    let started = Instant::now();
    let (code, report, stderr) = scan_json(&[
        site.url("/").as_str(),
        "--timeout",
        "2",
        "--max-retries",
        "1",
        "--max-per-pattern",
        "5",
        "--max-body",
        "1000000",
        "--max-pages",
        "60",
        "--offline",
        "--fail-on",
        "never",
    ]);
    let elapsed = started.elapsed();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(code, 0, "{stderr}");
    let problems = serde_json::to_string_pretty(&report["problems"]).unwrap();

    // Slow responses, stalled and trickled bodies: each ends at the 2 s deadline.
    for slow in ["/slow.html", "/stall.html", "/trickle.html"] {
        assert!(problem(&report, "timeout", slow).is_some(), "{slow}: {problems}");
    }
    // 503 always: retried once after its Retry-After, then reported.
    let down = problem(&report, "http-status", "/down.html").expect(&problems);
    assert!(down["message"].as_str().unwrap().contains("after 1 retry"), "{down}");
    assert_eq!(site.requests_for("/down.html"), 2);
    // Broken bodies.
    assert!(problem(&report, "corrupt-body", "/bad-gzip.html").is_some(), "{problems}");
    assert!(problem(&report, "incomplete-body", "/reset.html").is_some(), "{problems}");
    assert!(problem(&report, "binary", "/binary.html").is_some(), "{problems}");
    assert!(problem(&report, "truncated", "/huge.html").is_some(), "{problems}");
    assert_eq!(page(&report, "/huge.html")["truncated"], true);
    // Redirects: off the site (recorded, never fetched), a loop, an endless chain.
    let away = problem(&report, "off-site-redirect", "/away.html").expect(&problems);
    assert!(away["message"].as_str().unwrap().contains("http://elsewhere.invalid/landing"));
    assert_eq!(page(&report, "/away.html")["status"], 302);
    assert!(problem(&report, "redirect-loop", "/loop/a").is_some(), "{problems}");
    assert!(problem(&report, "too-many-redirects", "/chain/0").is_some(), "{problems}");
    // Traps: five pages of each generated pattern, then one problem for the pattern.
    assert_eq!(pages_matching(&report, "/page/").len(), 5);
    assert_eq!(problems_of_kind(&report, "crawl-trap").len(), 2, "{problems}");
    assert!(problem(&report, "crawl-trap", "/page/6").is_some(), "{problems}");
    assert!(pages_matching(&report, "/cal/").len() <= 5);
    // Spellings of one URL are one page: query order, tracking and session parameters.
    assert_eq!(pages_matching(&report, "/list").len(), 1);
    assert_eq!(site.requests_for("/list"), 1);
    assert_eq!(site.requests_for("/ok.html"), 1);

    // Healthy pages are all audited, with their Heap install: the one behind a 429, the
    // legacy-encoded ones (decoded: the option keeps its é), and the one behind the traps.
    for healthy in ["/", "/ok.html", "/about.html", "/team.html", "/busy.html", "/latin1.html", "/meta-1252.html"] {
        let p = page(&report, healthy);
        assert_eq!(p["error"], Value::Null, "{healthy}: {p}");
        assert_eq!(heap_ids(p), [HEAP_ID], "{healthy}");
        let url = site.url(healthy);
        let own: Vec<&Value> = report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["url"] == url.as_str())
            .collect();
        assert!(own.is_empty(), "{healthy}: {own:?}");
    }
    assert_eq!(page(&report, "/busy.html")["status"], 200);
    assert_eq!(site.requests_for("/busy.html"), 2);
    for legacy in ["/latin1.html", "/meta-1252.html"] {
        let options = &page(&report, legacy)["installs"][0]["options"];
        assert_eq!(options["trackingLabel"], "Café", "{legacy}: {options}");
        assert!(problem(&report, "encoding", legacy).is_none(), "{problems}");
    }

    // Bounds: every fault costs at most a 2 s timeout or a 1 s retry, on 8 workers; 40 s is the
    // sum of every timeout and wait, were they all in a row.
    assert!(elapsed < Duration::from_secs(40), "{elapsed:?}");
}
