//! One audit of a site whose home page links to every fault (tests/common/faults.rs): each fault
//! is a problem with its URL, every healthy page is audited, and the run ends within its bounds.

mod common;

use std::time::{Duration, Instant};

use common::faults::{FaultSite, HEAP_ID};
use common::{page, page_urls, problems_of_kind, scan_json};
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
        assert!(
            problem(&report, "timeout", slow).is_some(),
            "{slow}: {problems}"
        );
    }
    // 503 always: retried once after its Retry-After, then reported.
    let down = problem(&report, "http-status", "/down.html").expect(&problems);
    assert!(
        down["message"].as_str().unwrap().contains("after 1 retry"),
        "{down}"
    );
    assert_eq!(site.requests_for("/down.html"), 2);
    // Broken bodies.
    assert!(
        problem(&report, "corrupt-body", "/bad-gzip.html").is_some(),
        "{problems}"
    );
    let compress = problem(&report, "corrupt-body", "/compress.html").expect(&problems);
    assert!(
        compress["message"].as_str().unwrap().contains("'compress'"),
        "{compress}"
    );
    assert!(
        problem(&report, "incomplete-body", "/reset.html").is_some(),
        "{problems}"
    );
    // Labelled text/html: read as text whatever its bytes, as a browser does.
    assert!(
        problem(&report, "binary", "/binary.html").is_none(),
        "{problems}"
    );
    assert!(
        problem(&report, "truncated", "/huge.html").is_some(),
        "{problems}"
    );
    assert_eq!(page(&report, "/huge.html")["truncated"], true);
    // Redirects: off the site (recorded, never fetched), a loop, an endless chain.
    let away = problem(&report, "off-site-redirect", "/away.html").expect(&problems);
    assert!(away["message"]
        .as_str()
        .unwrap()
        .contains("http://elsewhere.invalid/landing"));
    assert_eq!(page(&report, "/away.html")["status"], 302);
    assert!(
        problem(&report, "redirect-loop", "/loop/a").is_some(),
        "{problems}"
    );
    assert!(
        problem(&report, "too-many-redirects", "/chain/0").is_some(),
        "{problems}"
    );
    // Patterns: five pages of each generated one. A numbered listing is sampling, stated in
    // the coverage; the endless calendar is a trap, one problem.
    assert_eq!(pages_matching(&report, "/page/").len(), 5);
    assert_eq!(
        problems_of_kind(&report, "crawl-trap").len(),
        1,
        "{problems}"
    );
    let trap_on = |path: &str| {
        problems_of_kind(&report, "crawl-trap")
            .into_iter()
            .any(|p| p["url"].as_str().is_some_and(|u| u.contains(path)))
    };
    assert!(trap_on("/cal/"), "{problems}");
    assert!(!trap_on("/page/"), "{problems}");
    let sampled = &report["coverage"][0]["sampled"];
    let listing = sampled
        .as_array()
        .and_then(|s| s.iter().find(|s| s["pattern"] == "/page/N"))
        .unwrap_or_else(|| panic!("{sampled}"));
    assert_eq!(listing["audited"], 5, "{sampled}");
    assert!(listing["found"].as_u64().unwrap_or(0) > 5, "{sampled}");
    assert!(listing.get("trap").is_none(), "{sampled}");
    let calendar = sampled
        .as_array()
        .and_then(|s| s.iter().find(|s| s["pattern"] == "/cal/N/N/N"))
        .unwrap_or_else(|| panic!("{sampled}"));
    assert_eq!(calendar["trap"], true, "{sampled}");
    assert!(pages_matching(&report, "/cal/").len() <= 5);
    // Spellings of one URL are one page: query order, tracking and session parameters.
    assert_eq!(pages_matching(&report, "/list").len(), 1);
    assert_eq!(site.requests_for("/list"), 1);
    assert_eq!(site.requests_for("/ok.html"), 1);

    // Healthy pages are all audited, with their Heap install: the one behind a 429, the
    // legacy-encoded ones (decoded: the option keeps its é), and the one behind the traps.
    for healthy in [
        "/",
        "/ok.html",
        "/about.html",
        "/team.html",
        "/busy.html",
        "/latin1.html",
        "/meta-1252.html",
    ] {
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

/// Start `heap-audit scan` on a site of slow pages (400 ms each), the JSON report going to a file.
fn start_slow_crawl(site: &FaultSite, extra: &[&str]) -> (std::process::Child, std::path::PathBuf) {
    let out = std::env::temp_dir().join(format!(
        "heap-audit-interrupt-{}-{}.json",
        std::process::id(),
        site.port
    ));
    let _ = std::fs::remove_file(&out);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        .args([
            "scan",
            &site.url("/slow/0"),
            "--format",
            "json",
            "--offline",
        ])
        .args([
            "--concurrency",
            "2",
            "--timeout",
            "5",
            "--fail-on",
            "never",
            "-o",
        ])
        .arg(&out)
        .args(extra)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run heap-audit");
    (child, out)
}

/// Wait for the child to exit, at most `limit`; its exit code and stderr.
fn wait_at_most(mut child: std::process::Child, limit: Duration) -> (i32, String) {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for heap-audit") {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
            }
            return (status.code().unwrap_or(-1), stderr);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("heap-audit did not stop within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every page of the report: audited (no error), or cut by the interruption and saying so.
fn assert_pages_done_or_cut(report: &Value) {
    for p in report["pages"].as_array().unwrap() {
        let error = p["error"].as_str().unwrap_or("");
        assert!(
            error.is_empty() || error.contains("interrupted") || error.contains("--max-time"),
            "{p}"
        );
    }
}

#[test]
fn ctrl_c_stops_the_run_and_still_writes_what_was_audited() {
    let site = FaultSite::start();
    let (child, out) = start_slow_crawl(&site, &[]);
    let waited = Instant::now();
    while site.requests_for("/slow/") < 5 {
        assert!(
            waited.elapsed() < Duration::from_secs(30),
            "the crawl did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = child.id().to_string();
    let interrupted = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status();
    assert!(kill.is_ok_and(|s| s.success()));
    // In-flight pages answer within 400 ms; nothing new starts.
    let (code, stderr) = wait_at_most(child, Duration::from_secs(10));
    assert!(
        interrupted.elapsed() < Duration::from_secs(5),
        "{:?}",
        interrupted.elapsed()
    );
    assert_eq!(code, 130, "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");

    let text = std::fs::read_to_string(&out).expect("the report was written");
    let _ = std::fs::remove_file(&out);
    let report: Value = serde_json::from_str(&text).expect("the report is JSON");
    let audited: Vec<&Value> = report["pages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["error"].is_null())
        .collect();
    assert!(audited.len() >= 3, "{}", report["pages"]);
    assert!(audited.iter().all(|p| heap_ids(p) == [HEAP_ID]));
    assert_pages_done_or_cut(&report);
    // Far fewer requests than the 41 pages of the site: the crawl stopped.
    assert!(site.requests_for("/slow/") < 41);
    let note = problem(&report, "interrupted", "/slow/0").expect("an interrupted problem");
    assert!(
        note["message"].as_str().unwrap().contains("Ctrl-C"),
        "{note}"
    );
    assert_eq!(
        report["summary"]["pages"],
        report["pages"].as_array().unwrap().len()
    );
}

#[test]
fn ctrl_c_leaves_stalled_pages_behind_and_keeps_the_pages_done_after_them() {
    // The home page links every route: /slow.html, /stall.html and /trickle.html hold their
    // workers (--timeout 60), and the pages after them in crawl order are done meanwhile.
    let site = FaultSite::start();
    let out = std::env::temp_dir().join(format!(
        "heap-audit-stalled-{}-{}.json",
        std::process::id(),
        site.port
    ));
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        .args(["scan", &site.url("/"), "--offline", "--format", "json"])
        .args([
            "--timeout",
            "60",
            "--max-retries",
            "0",
            "--fail-on",
            "never",
            "-o",
        ])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run heap-audit");
    let waited = Instant::now();
    // The pages checked below, all after /stall.html in crawl order, have been asked for.
    let asked = || {
        [
            "/stall.html",
            "/binary.html",
            "/huge.html",
            "/loop/b",
            "/ok.html",
        ]
        .iter()
        .all(|p| site.requests_for(p) > 0)
    };
    while !asked() {
        assert!(waited.elapsed() < Duration::from_secs(30), "no request");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Time for their answers to be read and audited (they are small, but the machine may be busy).
    std::thread::sleep(Duration::from_millis(1500));
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    assert!(kill.is_ok_and(|s| s.success()));
    let interrupted = Instant::now();
    let (code, stderr) = wait_at_most(child, Duration::from_secs(20));
    assert!(
        interrupted.elapsed() < Duration::from_secs(3),
        "Ctrl-C waited for the stalled reads: {:?}",
        interrupted.elapsed()
    );
    assert_eq!(code, 130, "{stderr}");
    let text = std::fs::read_to_string(&out).expect("the report was written");
    let _ = std::fs::remove_file(&out);
    let report: Value = serde_json::from_str(&text).expect("the report is JSON");
    let urls = page_urls(&report);
    let mut unique = urls.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), urls.len(), "a page listed twice: {urls:?}");
    // Each stalled page is listed once, cut by the interruption.
    for stalled in ["/slow.html", "/stall.html", "/trickle.html"] {
        let page = page(&report, stalled);
        let error = page["error"].as_str().unwrap_or("");
        assert!(error.contains("interrupted"), "{stalled}: {page}");
    }
    // Pages after them in crawl order, done while they stalled, are kept with what they gave.
    assert_eq!(heap_ids(page(&report, "/ok.html")), [HEAP_ID]);
    // Labelled text/html, NUL bytes and all: parsed as text, as a browser does.
    assert!(problem(&report, "binary", "/binary.html").is_none());
    assert!(
        page(&report, "/binary.html")["error"].is_null(),
        "{}",
        page(&report, "/binary.html")
    );
    assert!(problem(&report, "redirect-loop", "/loop/a").is_some());
    assert!(
        page(&report, "/huge.html")["error"].is_null(),
        "{}",
        page(&report, "/huge.html")
    );
    assert_eq!(
        report["summary"]["pages"],
        report["pages"].as_array().unwrap().len()
    );
}

#[test]
fn max_time_ends_the_run_with_the_report_of_what_was_audited() {
    let site = FaultSite::start();
    let started = Instant::now();
    let (child, out) = start_slow_crawl(&site, &["--max-time", "2"]);
    let (code, stderr) = wait_at_most(child, Duration::from_secs(15));
    let elapsed = started.elapsed();
    // The budget, plus at most the pages in flight (400 ms), plus process start and slack.
    assert!(elapsed < Duration::from_secs(6), "{elapsed:?}");
    assert_eq!(code, 0, "the budget is the normal end of the run: {stderr}");
    let text = std::fs::read_to_string(&out).expect("the report was written");
    let _ = std::fs::remove_file(&out);
    let report: Value = serde_json::from_str(&text).expect("the report is JSON");
    let pages = report["pages"].as_array().unwrap();
    assert!(pages.len() >= 3 && pages.len() < 41, "{}", pages.len());
    assert_pages_done_or_cut(&report);
    let note = problem(&report, "interrupted", "/slow/0").expect("an interrupted problem");
    assert!(
        note["message"].as_str().unwrap().contains("--max-time"),
        "{note}"
    );
}

/// Gaps between consecutive requests to the site after `/robots.txt`.
fn gaps(site: &FaultSite) -> Vec<Duration> {
    let times: Vec<Instant> = site
        .requests()
        .into_iter()
        .filter(|(p, _)| p != "/robots.txt")
        .map(|(_, t)| t)
        .collect();
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

#[test]
fn rate_and_connection_caps_per_host() {
    let site = FaultSite::start();
    let (code, report, stderr) = scan_json(&[
        site.url("/page/1").as_str(),
        "--rate",
        "5",
        "--max-pages",
        "6",
        "--offline",
        "--fail-on",
        "never",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["pages"].as_array().unwrap().len(), 6);
    let gaps = gaps(&site);
    assert_eq!(gaps.len(), 5);
    // 5 per second: 200 ms apart (less a little for the clocks of two processes).
    assert!(
        gaps.iter().all(|g| *g >= Duration::from_millis(170)),
        "{gaps:?}"
    );

    let site = FaultSite::start();
    let (code, report, stderr) = scan_json(&[
        site.url("/slow/0").as_str(),
        "--max-host-connections",
        "2",
        "--concurrency",
        "8",
        "--max-pages",
        "10",
        "--offline",
        "--fail-on",
        "never",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["pages"].as_array().unwrap().len(), 10);
    assert_eq!(site.max_in_flight(), 2);
}

#[test]
fn robots_crawl_delay_is_honoured() {
    let site = FaultSite::with_robots(Some(
        "User-agent: *\nCrawl-delay: 0.3\nDisallow: /private/\n",
    ));
    let (code, report, stderr) = scan_json(&[
        site.url("/page/1").as_str(),
        "--max-pages",
        "5",
        "--offline",
        "--fail-on",
        "never",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["pages"].as_array().unwrap().len(), 5);
    let gaps = gaps(&site);
    assert!(
        gaps.iter().all(|g| *g >= Duration::from_millis(270)),
        "{gaps:?}"
    );

    // --ignore-robots ignores its Crawl-delay too.
    let site = FaultSite::with_robots(Some("User-agent: *\nCrawl-delay: 5\n"));
    let started = Instant::now();
    let (code, _, stderr) = scan_json(&[
        site.url("/page/1").as_str(),
        "--max-pages",
        "5",
        "--offline",
        "--ignore-robots",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn ctrl_c_on_the_start_page_exits_130_and_keeps_the_baseline() {
    // The start page stalls: the interruption lands before any page is audited.
    let site = FaultSite::start();
    let dir = std::env::temp_dir().join(format!("heap-audit-stall-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let baseline = dir.join("baseline.json");
    let recorded = r#"{"version":1,"findings":[]}"#;
    std::fs::write(&baseline, recorded).unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        .args([
            "scan",
            &site.url("/stall.html"),
            "--offline",
            // Far longer than the test waits: the stalled request is abandoned, not waited for.
            "--timeout",
            "60",
        ])
        .arg("--write-baseline")
        .arg(&baseline)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run heap-audit");
    let waited = Instant::now();
    while site.requests_for("/stall.html") == 0 {
        assert!(waited.elapsed() < Duration::from_secs(20), "no request");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    assert!(kill.is_ok_and(|s| s.success()));
    let interrupted = Instant::now();
    let (code, stderr) = wait_at_most(child, Duration::from_secs(10));
    assert!(
        interrupted.elapsed() < Duration::from_secs(3),
        "Ctrl-C waited for the stalled read: {:?}",
        interrupted.elapsed()
    );
    assert_eq!(code, 130, "{stderr}");
    assert!(stderr.contains("not written"), "{stderr}");
    // A partial audit does not replace the baseline.
    assert_eq!(std::fs::read_to_string(&baseline).unwrap(), recorded);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_batch_out_of_time_reports_the_sites_it_never_reached() {
    let first = FaultSite::start();
    let second = FaultSite::start();
    let dir = std::env::temp_dir().join(format!("heap-audit-batch-time-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let list = dir.join("targets.txt");
    std::fs::write(
        &list,
        format!(
            "{}\n{}\n",
            first.url("/stall.html"),
            second.url("/stall.html")
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        .args(["scan", "--targets-from"])
        .arg(&list)
        .args(["--offline", "--max-time", "2", "--timeout", "10"])
        .args(["--sites-at-once", "1", "--format", "jsonl"])
        .output()
        .expect("run heap-audit");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Neither site was audited: the first was cut, the second never started.
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "one line per site, reached or not");
    let never = lines
        .iter()
        .find(|r| r["targets"][0] == second.url("/stall.html").as_str())
        .expect("the second site's line");
    assert!(never["pages"].as_array().unwrap().is_empty(), "{never}");
    assert_eq!(never["problems"][0]["kind"], "interrupted", "{never}");
    assert_eq!(second.requests_for("/stall.html"), 0);
    let _ = std::fs::remove_dir_all(&dir);
}
