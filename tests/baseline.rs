//! Baselines and inline suppressions, through the real binary on copies of the shop fixture (a
//! messy site: Heap loaded twice, three app ids, an email trait through the classic destination).

mod common;

use std::path::{Path, PathBuf};

use common::{fixtures, heap_audit, scan_json};
use serde_json::Value;

/// A fresh copy of `fixtures/sites/<site>` in a temporary folder of its own.
fn copy_site(site: &str, test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("heap-audit-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&fixtures().join("sites").join(site), &dir.join(site));
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{}: no {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

fn scan(site: &Path, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec![site.to_string_lossy().into_owned()];
    args.extend(common::file_remaps());
    args.extend(extra.iter().map(|s| s.to_string()));
    scan_json(&args)
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().unwrap()
}

fn rules_of(report: &Value) -> Vec<&str> {
    findings(report)
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect()
}

#[test]
fn baseline_round_trip_reports_only_new_findings_and_stale_entries() {
    let dir = copy_site("shop", "baseline");
    let site = dir.join("shop");
    let baseline = dir.join("heap-audit-baseline.json");
    let baseline_arg = baseline.to_string_lossy().into_owned();

    // 1. Record the messy site.
    let (code, report, stderr) = scan(&site, &["--write-baseline", &baseline_arg]);
    assert_eq!(code, 1, "{stderr}");
    let recorded = findings(&report).len();
    assert_eq!(
        recorded,
        4,
        "one finding per cause: {:?}",
        rules_of(&report)
    );
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    assert_eq!(file["version"], 1);
    // One entry per finding as the rules made it: a finding that merges several of one cause
    // (a duplicate load on two kinds of pages) records each.
    let entries = file["findings"].as_array().unwrap();
    assert!(entries.len() >= recorded, "{} entries", entries.len());
    for e in entries {
        let fingerprint = e["fingerprint"].as_str().unwrap();
        assert!(
            fingerprint.len() == 16 && fingerprint.bytes().all(|b| b.is_ascii_hexdigit()),
            "{e}"
        );
        assert!(e["code"].as_str().unwrap().starts_with("HA"), "{e}");
        assert!(!e["message"].as_str().unwrap().is_empty(), "{e}");
        // Pages are paths inside the folder, not where the folder happens to be.
        for page in e["pages"].as_array().unwrap() {
            let page = page.as_str().unwrap();
            assert!(
                page.starts_with('/') && !page.contains("heap-audit-baseline"),
                "{page}"
            );
        }
    }
    let duplicate = entries
        .iter()
        .find(|e| e["rule"] == "duplicate-heap-load")
        .unwrap();
    assert!(
        duplicate["ids"]
            .as_array()
            .unwrap()
            .iter()
            .any(|id| id.as_str().unwrap().starts_with("heap:")),
        "{duplicate}"
    );

    // 2. Nothing changed: nothing reported, exit 0, the recorded findings counted as suppressed.
    let (code, report, stderr) = scan(&site, &["--baseline", &baseline_arg]);
    assert_eq!(code, 0, "{stderr} {:?}", rules_of(&report));
    assert!(findings(&report).is_empty(), "{:?}", rules_of(&report));
    assert_eq!(report["summary"]["suppressed"], recorded);
    assert_eq!(report["summary"]["findings"], 0);
    // The formats people read say so too, so "0 findings" is not mistaken for a clean site.
    for (format, says) in [
        (
            "human",
            format!("{recorded} findings not shown: the baseline records them"),
        ),
        (
            "markdown",
            format!("**no findings** ({recorded} suppressed)"),
        ),
    ] {
        let mut args = vec!["scan".to_owned(), site.to_string_lossy().into_owned()];
        args.extend(common::file_remaps());
        args.extend(["--baseline", &baseline_arg, "--format", format].map(String::from));
        let (code, stdout, stderr) = heap_audit(&args);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains(&says), "--format {format}: {stdout}");
    }

    // 3. Fix one problem (the email trait), add another (a CSP that blocks Heap on the pricing
    //    page; it also moves every line below it).
    edit(&site.join("static/js/app.8c1f2e.js"), "email:e.email,", "");
    edit(
        &site.join("pricing.html"),
        "  <meta charset=\"utf-8\">\n",
        "  <meta charset=\"utf-8\">\n  <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self' 'unsafe-inline'; img-src *\">\n",
    );
    let (code, report, _) = scan(&site, &["--baseline", &baseline_arg]);
    assert_eq!(code, 1, "the new CSP finding is an error");
    let mut found = rules_of(&report);
    found.sort_unstable();
    assert_eq!(found, vec!["csp-blocks-heap", "unused-suppression"]);
    let new = &findings(&report)[0];
    assert_eq!(new["rule"], "csp-blocks-heap");
    assert!(new["pages"][0].as_str().unwrap().ends_with("pricing.html"));
    let stale = findings(&report)
        .iter()
        .find(|f| f["rule"] == "unused-suppression")
        .unwrap();
    assert_eq!(stale["severity"], "info");
    let message = stale["message"].as_str().unwrap();
    assert!(
        message.contains("email-trait-renamed") && message.contains("matches no finding"),
        "{message}"
    );
    assert_eq!(stale["evidence"][0]["source"], baseline_arg.as_str());
    // It does not claim the problem is gone: it may have changed into a new finding.
    let help = stale["help"].as_str().unwrap_or_default();
    assert!(
        help.contains("either the problem is gone, or it changed"),
        "{help}"
    );
    assert_eq!(report["summary"]["suppressed"], recorded - 1);

    // 4. Writing the baseline again records the new problem and forgets the fixed one.
    let (_, _, _) = scan(
        &site,
        &[
            "--baseline",
            &baseline_arg,
            "--write-baseline",
            &baseline_arg,
        ],
    );
    let (code, report, _) = scan(&site, &["--baseline", &baseline_arg]);
    assert_eq!(code, 0, "{:?}", rules_of(&report));
    assert!(findings(&report).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_baseline_is_a_usage_error_before_any_crawl() {
    let dir = std::env::temp_dir().join(format!("heap-audit-bad-baseline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let site = common::Server::site("clean");
    for (name, text, expected) in [
        ("missing.json", None, "missing.json"),
        ("garbage.json", Some("<html>"), "not a heap-audit baseline"),
        (
            "future.json",
            Some("{\"version\": 2, \"findings\": []}"),
            "version 2 is not supported",
        ),
    ] {
        let path = dir.join(name);
        if let Some(text) = text {
            std::fs::write(&path, text).unwrap();
        }
        let (code, _, stderr) =
            heap_audit(&["scan", &site.url("/"), "--baseline", path.to_str().unwrap()]);
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
    }
    assert_eq!(site.hits.load(std::sync::atomic::Ordering::SeqCst), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn inline_comments_suppress_a_rule_on_their_page_and_unused_ones_are_reported() {
    let dir = copy_site("shop", "inline");
    let site = dir.join("shop");
    let (_, before, _) = scan(&site, &[]);
    let blog_double = |report: &Value| {
        findings(report)
            .iter()
            .filter(|f| {
                f["rule"] == "duplicate-heap-load"
                    && f["pages"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|p| p.as_str().unwrap().contains("/blog/"))
            })
            .count()
    };
    assert_eq!(blog_double(&before), 1);

    // Both blog pages suppress the double load; the home page suppresses a rule it does not break.
    for page in ["blog/index.html", "blog/spring-collection.html"] {
        edit(
            &site.join(page),
            "</head>",
            "<!-- heap-audit-ignore: duplicate-heap-load -- the GTM tag is paused until the migration (WEB-412) -->\n</head>",
        );
    }
    edit(
        &site.join("index.html"),
        "</head>",
        "<!-- heap-audit-ignore: segment-via-gtm, HA001 -- kept from the old GTM set-up -->\n</head>",
    );
    let (_, after, _) = scan(&site, &[]);
    assert_eq!(blog_double(&after), 0, "{:?}", rules_of(&after));
    // The home page's own double load is not suppressed: its other pages do not say so.
    assert!(rules_of(&after).contains(&"duplicate-heap-load"));
    assert_eq!(after["summary"]["suppressed"], 1);
    let page = common::page(&after, "shop/blog/index.html");
    assert_eq!(page["suppressions"][0]["rules"][0], "duplicate-heap-load");
    assert_eq!(
        page["suppressions"][0]["reason"],
        "the GTM tag is paused until the migration (WEB-412)"
    );

    let unused: Vec<&Value> = findings(&after)
        .iter()
        .filter(|f| f["rule"] == "unused-suppression")
        .collect();
    assert_eq!(unused.len(), 1, "{unused:?}");
    let message = unused[0]["message"].as_str().unwrap();
    assert!(
        message.contains("segment-via-gtm") && !message.contains("HA001"),
        "HA001 applies to a finding of the page: {message}"
    );
    let evidence = &unused[0]["evidence"][0];
    assert!(evidence["source"]
        .as_str()
        .unwrap()
        .ends_with("shop/index.html"));
    let line = evidence["line"].as_u64().unwrap() as usize;
    let text = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(
        text.lines()
            .nth(line - 1)
            .unwrap()
            .contains("heap-audit-ignore"),
        "line {line}"
    );

    // `--ignore unused-suppression` keeps quiet about it; `--select` judges only the rules run.
    let (_, quiet, _) = scan(&site, &["--ignore", "unused-suppression"]);
    assert!(!rules_of(&quiet).contains(&"unused-suppression"));
    let (_, selected, _) = scan(&site, &["--select", "HA001,HA015"]);
    let unused: Vec<&Value> = findings(&selected)
        .iter()
        .filter(|f| f["rule"] == "unused-suppression")
        .collect();
    assert!(unused.is_empty(), "segment-via-gtm did not run: {unused:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A baseline written before findings were grouped by cause (one entry per loader combination,
/// per same-page mismatch: `fixtures/baselines/shop-ungrouped.json`, from the shop with 7
/// findings) still matches every finding: nothing new, nothing stale.
#[test]
fn a_baseline_written_before_grouping_still_matches() {
    let dir = copy_site("shop", "ungrouped");
    let site = dir.join("shop");
    let old = fixtures().join("baselines/shop-ungrouped.json");
    let text = std::fs::read_to_string(&old).unwrap();
    let entries: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(entries["findings"].as_array().unwrap().len(), 7);
    let (code, report, stderr) = scan(&site, &["--baseline", old.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr} {:?}", rules_of(&report));
    assert!(findings(&report).is_empty(), "{:?}", rules_of(&report));
    // Counted as reported now: one finding per cause.
    assert_eq!(report["summary"]["suppressed"], 4);
    let _ = std::fs::remove_dir_all(&dir);
}
