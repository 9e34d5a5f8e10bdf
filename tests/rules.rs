//! The rules against their fixtures, through the real scan: every `fixtures/rules/<rule>/fail_*`
//! must give at least one finding of that rule (with the expected severity, naming the ids
//! involved; exactly `count` of them when the manifest says so) and every `pass_*` none (and a
//! `pass_*` of duplicate-heap-load no error-level finding that is about a double load at all). Plus the cheap honesty checks: names and codes pinned,
//! documentation complete, fixtures on disk, message style, and the install-path advice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use heap_audit::advise::recommend;
use heap_audit::model::{Finding, Report, Severity};
use heap_audit::rules::{self, Config, UnknownRule, RULES};
use heap_audit::scan::{self, ScanOptions};
use heap_audit::source::fetch::{FetchConfig, Remap};
use serde::Deserialize;

#[derive(Deserialize)]
struct Manifest {
    fixture: BTreeMap<String, Entry>,
}

#[derive(Deserialize, Clone)]
struct Entry {
    about: String,
    severity: Option<String>,
    #[serde(default)]
    mentions: Vec<String>,
    expect_app_id: Option<String>,
    #[serde(default)]
    offline: bool,
    /// How many findings of the rule the fixture must give, when it matters (one per situation).
    count: Option<usize>,
}

/// One scanned fixture.
struct Case {
    rule: String,
    name: String,
    entry: Entry,
    report: Report,
    findings: Vec<Finding>,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules")
}

fn remaps() -> Vec<Remap> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    [
        format!(
            r"https://cdn\.segment\.com/v1/projects/([^/]+)/settings {}/segment/$1.json",
            fixtures.display()
        ),
        format!(
            r"https://www\.googletagmanager\.com/gtm\.js\?id=([^&]+).* {}/gtm/$1.js",
            fixtures.display()
        ),
        format!(
            r"https://assets\.adobedtm\.com/.*/(launch-[^/]+\.min\.js) {}/tag-managers/$1",
            fixtures.display()
        ),
    ]
    .iter()
    .map(|r| r.parse().expect("valid remap"))
    .collect()
}

fn scan(path: &Path, offline: bool) -> Report {
    let opts = ScanOptions {
        offline,
        // Offline fixtures have no saved copies: --offline reads what a remap makes local.
        fetch: FetchConfig {
            remaps: if offline { Vec::new() } else { remaps() },
            ..Default::default()
        },
        ..Default::default()
    };
    let outcome = scan::run(&[path.to_string_lossy().into_owned()], &opts).expect("signatures");
    assert!(
        outcome.fatal.is_empty(),
        "{}: {:?}",
        path.display(),
        outcome.fatal
    );
    outcome.report
}

fn config(entry: &Entry) -> Config {
    Config {
        expect_app_id: entry.expect_app_id.clone(),
        ..Config::default()
    }
}

/// The fixture file or folder for a manifest name.
fn fixture_path(rule: &str, name: &str) -> PathBuf {
    let dir = root().join(rule);
    let file = dir.join(format!("{name}.html"));
    if file.is_file() {
        file
    } else {
        dir.join(name)
    }
}

fn manifest(rule: &str) -> Manifest {
    let path = root().join(rule).join("expected.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn cases() -> &'static [Case] {
    static CASES: OnceLock<Vec<Case>> = OnceLock::new();
    CASES.get_or_init(|| {
        let mut out = Vec::new();
        for rule in RULES {
            for (name, entry) in manifest(rule.name()).fixture {
                let report = scan(&fixture_path(rule.name(), &name), entry.offline);
                let findings = rules::run(&report, &config(&entry), &[], &[]).expect("all rules");
                out.push(Case {
                    rule: rule.name().to_owned(),
                    name,
                    entry,
                    report,
                    findings,
                });
            }
        }
        out
    })
}

fn case(rule: &str, name: &str) -> &'static Case {
    cases()
        .iter()
        .find(|c| c.rule == rule && c.name == name)
        .unwrap_or_else(|| panic!("no fixture {rule}/{name}"))
}

fn severity(s: &str) -> Severity {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).expect("severity name")
}

/// What is wrong with one fixture's findings, if anything.
fn unmet(c: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    let mine: Vec<&Finding> = c.findings.iter().filter(|f| f.rule == c.rule).collect();
    if c.name.starts_with("pass_") {
        if !mine.is_empty() {
            problems.push(format!("expected no finding, got {mine:#?}"));
        }
        if c.rule == "duplicate-heap-load" {
            // A near miss of a double load must not show up as a double load anywhere else.
            for f in c
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Error && about_double_load(f))
            {
                problems.push(format!("expected no double-load error, got {f:#?}"));
            }
        }
        return problems;
    }
    let want = c.entry.severity.as_deref().map(severity);
    let matching = mine.iter().find(|f| {
        want.is_none_or(|s| f.severity == s)
            && c.entry
                .mentions
                .iter()
                .all(|m| f.message.contains(m.as_str()))
    });
    if matching.is_none() {
        problems.push(format!(
            "expected a {:?} finding naming {:?}, got {:#?}",
            want, c.entry.mentions, mine
        ));
    }
    if let Some(n) = c.entry.count.filter(|n| *n != mine.len()) {
        problems.push(format!(
            "expected {n} finding(s) of the rule, got {}: {mine:#?}",
            mine.len()
        ));
    }
    problems
}

#[test]
fn fixtures_reference_only_files_that_exist() {
    // A fixture page's own scripts must be on disk: a missing one would silently hide what a
    // real site's bundle holds (the scan reports it as an `io` problem).
    let missing: Vec<String> = cases()
        .iter()
        .flat_map(|c| {
            c.report
                .problems
                .iter()
                .filter(|p| p.kind == heap_audit::model::ProblemKind::Io && !p.url.contains("://"))
                .map(move |p| format!("{}/{}: {}", c.rule, c.name, p.url))
        })
        .collect();
    assert!(missing.is_empty(), "{missing:#?}");
}

#[test]
fn fail_fixtures_fire_and_pass_fixtures_do_not() {
    let mut failures = Vec::new();
    for c in cases() {
        let label = format!("{}/{} ({})", c.rule, c.name, c.entry.about);
        failures.extend(unmet(c).into_iter().map(|p| format!("{label}: {p}")));
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Whether a finding says that something loads twice on a page: the double-load rules, and any
/// other rule's message that explains a problem by a second loader.
fn about_double_load(f: &Finding) -> bool {
    ["duplicate-heap-load", "segment-loaded-twice"].contains(&f.rule.as_str())
        || [" times on ", "configured to load", "window.heap first"]
            .iter()
            .any(|m| f.message.contains(m))
}

#[test]
fn names_codes_and_severities_are_pinned() {
    let pinned: &[(&str, &str, Severity)] = &[
        ("duplicate-heap-load", "HA001", Severity::Error),
        ("segment-via-gtm", "HA002", Severity::Warning),
        ("app-id-mismatch", "HA003", Severity::Error),
        ("disable-target-text", "HA004", Severity::Info),
        ("segment-loaded-twice", "HA005", Severity::Warning),
        ("heap-via-tag-manager", "HA006", Severity::Info),
        ("mixed-heap-sdk-versions", "HA007", Severity::Warning),
        ("heap-missing-on-some-pages", "HA008", Severity::Warning),
        ("heap-cloud-mode-only", "HA009", Severity::Warning),
        ("segment-calls-ignored-by-heap", "HA010", Severity::Info),
        ("email-trait-renamed", "HA011", Severity::Info),
        ("csp-blocks-heap", "HA012", Severity::Error),
        ("segment-settings-unverified", "HA013", Severity::Info),
        ("tag-manager-unverified", "HA014", Severity::Info),
        ("unused-suppression", "HA015", Severity::Info),
        ("placeholder-id", "HA016", Severity::Error),
        ("segment-without-heap-sdk", "HA017", Severity::Info),
        ("heap-and-segment-in-app", "HA018", Severity::Info),
        ("app-id-differs-from-web", "HA019", Severity::Info),
        ("server-side-track-calls", "HA020", Severity::Info),
        ("heap-options-differ", "HA021", Severity::Warning),
    ];
    let actual: Vec<(&str, &str, Severity)> = RULES
        .iter()
        .map(|r| (r.name(), r.code(), r.severity()))
        .collect();
    assert_eq!(
        actual, pinned,
        "rule table changed: codes are never reused or renumbered"
    );
    for (i, (name, code, _)) in pinned.iter().enumerate() {
        assert!(
            pinned[i + 1..]
                .iter()
                .all(|(n, c, _)| n != name && c != code),
            "{name}/{code} twice"
        );
        assert!(
            name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
            "{name} is not kebab-case"
        );
        assert!(
            !["no-", "prefer-", "use-"]
                .iter()
                .any(|p| name.starts_with(p)),
            "{name}: names say what is flagged"
        );
        assert!(rules::find(name).is_some() && rules::find(code).is_some());
    }
    for rule in RULES {
        let summary = rule.summary();
        assert!(
            !summary.is_empty() && !summary.contains('\n') && !summary.ends_with('.'),
            "{}",
            rule.name()
        );
    }
}

#[test]
fn every_rule_is_documented() {
    for rule in RULES {
        let doc = rule.doc();
        let sections = [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Use instead",
            "## References",
        ];
        let mut at = 0;
        for section in sections {
            let found = doc[at..]
                .find(section)
                .unwrap_or_else(|| panic!("{}: missing or misplaced '{section}'", rule.name()));
            at += found + section.len();
        }
        let example = doc
            .split("## Example")
            .nth(1)
            .and_then(|rest| rest.split("## Use instead").next())
            .unwrap_or("");
        assert!(
            example.contains("```")
                && example.lines().filter(|l| !l.trim().is_empty()).count() >= 3,
            "{}: the example is empty",
            rule.name()
        );
        let references = doc.split("## References").nth(1).unwrap_or("");
        assert!(
            references.contains("https://"),
            "{}: no reference link",
            rule.name()
        );
        assert!(
            !doc.contains("//!"),
            "{}: comment markers left in the doc",
            rule.name()
        );
    }
}

#[test]
fn every_rule_has_pass_and_fail_fixtures_on_disk() {
    for rule in RULES {
        let dir = root().join(rule.name());
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("pass_") || n.starts_with("fail_"))
            .map(|n| n.trim_end_matches(".html").to_owned())
            .collect();
        on_disk.sort();
        let listed: Vec<String> = manifest(rule.name()).fixture.into_keys().collect();
        assert_eq!(
            on_disk,
            listed,
            "{}: fixtures on disk and in expected.toml differ",
            rule.name()
        );
        assert!(
            on_disk.iter().any(|n| n.starts_with("pass_")),
            "{}: no pass fixture",
            rule.name()
        );
        assert!(
            on_disk.iter().any(|n| n.starts_with("fail_")),
            "{}: no fail fixture",
            rule.name()
        );
        for name in &on_disk {
            let path = fixture_path(rule.name(), name);
            let pages: Vec<PathBuf> = if path.is_dir() {
                std::fs::read_dir(&path)
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .collect()
            } else {
                vec![path]
            };
            for page in pages
                .iter()
                .filter(|p| p.extension().is_some_and(|e| e == "html"))
            {
                let text = std::fs::read_to_string(page).unwrap_or_default();
                // A minified page is one or two lines: judge its size in bytes instead.
                let lines = text.lines().count();
                let minified = lines <= 2 && text.len() >= 1500;
                assert!(
                    text.starts_with("<!DOCTYPE html>") && (lines >= 40 || minified),
                    "{}: fixtures are realistic full pages",
                    page.display()
                );
            }
        }
    }
}

#[test]
fn findings_are_well_formed() {
    for c in cases() {
        for f in &c.findings {
            let at = format!("{}/{}: {} {}", c.rule, c.name, f.rule, f.message);
            assert!(
                f.message
                    .chars()
                    .next()
                    .is_some_and(|ch| !ch.is_uppercase()),
                "{at}: starts lowercase"
            );
            assert!(
                !f.message.ends_with('.') && !f.message.contains('\n'),
                "{at}: one line, no final period"
            );
            assert!(!f.help.is_empty(), "{at}: help");
            assert!(!f.pages.is_empty(), "{at}: pages");
            assert!(!f.evidence.is_empty(), "{at}: evidence");
            assert!(
                rules::find(&f.code).is_some_and(|r| r.name() == f.rule),
                "{at}: code"
            );
            for page in &f.pages {
                // Findings about a mobile app or a server-side service name its folder.
                let app = c
                    .report
                    .sources
                    .iter()
                    .flat_map(|s| s.apps.iter())
                    .any(|a| &a.path == page);
                assert!(
                    app || c.report.pages.iter().any(|p| &p.url == page),
                    "{at}: unknown page {page}"
                );
            }
        }
        let mut sorted = c.findings.clone();
        rules::sort(&mut sorted);
        assert_eq!(
            sorted, c.findings,
            "{}/{}: findings not sorted",
            c.rule, c.name
        );
    }
}

#[test]
fn one_finding_per_site_on_the_odd_page_with_every_loader_as_evidence() {
    let c = case("app-id-mismatch", "fail_across_pages");
    let site: Vec<&Finding> = c
        .findings
        .iter()
        .filter(|f| f.rule == "app-id-mismatch")
        .collect();
    assert_eq!(site.len(), 1, "{site:#?}");
    // The pages involved are the odd ones out (those whose id is not the most used), and the
    // primary location, the first evidence, is on one of them: the line to change.
    assert!(
        !site[0].pages.is_empty() && site[0].pages.len() < 3,
        "{site:#?}"
    );
    assert!(site[0].pages.contains(&site[0].evidence[0].source));
    // Evidence names every loader: the three pages' snippets.
    assert!(
        site[0]
            .evidence
            .iter()
            .filter(|e| e.signature == "heap-load")
            .count()
            >= 3
    );
}

#[test]
fn duplicate_evidence_names_every_loader() {
    let c = case("duplicate-heap-load", "fail_segment_and_gtm");
    let f = c
        .findings
        .iter()
        .find(|f| f.rule == "duplicate-heap-load")
        .expect("finding");
    let sources: Vec<&str> = f.evidence.iter().map(|e| e.source.as_str()).collect();
    assert!(
        sources.iter().any(|s| s.contains("gtm.js?id=GTM-HEAPG1")),
        "{sources:?}"
    );
    assert!(
        sources.iter().any(|s| s.ends_with("/settings")),
        "{sources:?}"
    );
    assert!(
        sources
            .iter()
            .any(|s| s.ends_with("fail_segment_and_gtm.html")),
        "{sources:?}"
    );
    assert!(
        f.evidence.iter().any(|e| e.tag.as_deref() == Some("tag 7")),
        "GTM tag named"
    );
}

#[test]
fn segment_via_a_tag_manager_names_that_tag_manager() {
    let launch = case("segment-via-gtm", "fail_segment_in_adobe_launch");
    let f = launch
        .findings
        .iter()
        .find(|f| f.rule == "segment-via-gtm")
        .expect("finding");
    let library = "Adobe Launch library 9f2a1c3b4d5e/6a7b8c9d0e1f/launch-EN3c4d5e6f7a8b";
    assert!(f.message.contains(library), "{}", f.message);
    assert!(
        f.help.contains(&format!("loaded by {library}"))
            && f.help.contains(&format!("out of {library}"))
            && !f
                .help
                .contains("if Segment is deployed via Google Tag Manager, install")
            && !f.help.contains("GTM container"),
        "{}",
        f.help
    );
    // The library names itself inside; it was read all the same.
    assert!(
        launch
            .findings
            .iter()
            .all(|f| f.rule != "tag-manager-unverified"),
        "{:#?}",
        launch.findings
    );
    let gtm = case("segment-via-gtm", "fail_segment_custom_html");
    let f = gtm
        .findings
        .iter()
        .find(|f| f.rule == "segment-via-gtm")
        .expect("finding");
    assert!(
        f.help
            .starts_with("Heap's guide: if Segment is deployed via Google Tag Manager, install")
            && f.help.contains("out of GTM container GTM-SEG4GTM"),
        "{}",
        f.help
    );
}

#[test]
fn select_and_ignore() {
    let report = &case("duplicate-heap-load", "fail_native_and_segment").report;
    let config = Config::default();
    let all = rules::run(report, &config, &[], &[]).expect("run");
    assert!(all.iter().any(|f| f.rule == "duplicate-heap-load"));
    let only = rules::run(report, &config, &["HA001".into()], &[]).expect("select by code");
    assert!(!only.is_empty() && only.iter().all(|f| f.rule == "duplicate-heap-load"));
    let by_name =
        rules::run(report, &config, &["duplicate-heap-load".into()], &[]).expect("by name");
    assert_eq!(only, by_name);
    let ignored = rules::run(
        report,
        &config,
        &[],
        &["duplicate-heap-load".into(), "ha002".into()],
    )
    .expect("ignore");
    assert!(ignored.iter().all(|f| f.rule != "duplicate-heap-load"));
    assert_eq!(
        rules::run(report, &config, &["duplicate-heap-lod".into()], &[]),
        Err(UnknownRule("duplicate-heap-lod".into()))
    );
    let err = rules::run(report, &config, &[], &["HA999".into()]).expect_err("unknown code");
    assert!(err.to_string().contains("HA999"));
}

// ------------------------------------------------------------------ the install-path advice

fn advice(rule: &str, name: &str, config: &Config) -> heap_audit::model::Recommendation {
    let c = case(rule, name);
    recommend(&c.report, &c.findings, config).expect("a recommendation")
}

#[test]
fn advice_for_native_plus_segment_names_what_to_remove() {
    let r = advice(
        "duplicate-heap-load",
        "fail_native_and_segment",
        &Config::default(),
    );
    assert_eq!(r.install_path, "segment", "{r:#?}");
    let steps = r.steps.join("\n");
    assert!(
        steps.contains("remove the native Heap snippet from")
            && steps.contains("fail_native_and_segment.html"),
        "{steps}"
    );
    assert!(
        steps.contains("keep the single app id 2682025610"),
        "{steps}"
    );
    assert!(
        r.reasons.iter().any(|s| s.contains("must NOT install")),
        "{r:#?}"
    );
}

#[test]
fn advice_removes_the_native_snippet_only_where_segment_loads_heap() {
    let r = advice(
        "duplicate-heap-load",
        "fail_native_everywhere_segment_on_some",
        &Config::default(),
    );
    assert_eq!(r.install_path, "segment", "{r:#?}");
    let remove: Vec<&String> = r
        .steps
        .iter()
        .filter(|s| s.starts_with("remove the native Heap snippet"))
        .collect();
    assert_eq!(remove.len(), 1, "{r:#?}");
    assert!(
        remove[0].contains("the 1 page where Segment's Heap destination also loads Heap")
            && remove[0].ends_with("fail_native_everywhere_segment_on_some/index.html")
            && !remove[0].contains("help.html"),
        "{r:#?}"
    );
    // The help center has Heap but no Segment: add Segment there, or keep native, said with its cost.
    let help = r
        .steps
        .iter()
        .find(|s| s.contains("help.html"))
        .expect("a step for the page without Segment");
    assert!(
        help.starts_with("add Segment's snippet (write key q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH)")
            && help.contains("keep Heap's own snippet on those pages only")
            && help.contains("two install paths"),
        "{help}"
    );
    let twice: Vec<&String> = r
        .reasons
        .iter()
        .filter(|s| s.contains("must NOT install"))
        .collect();
    assert_eq!(twice.len(), 1, "{r:#?}");
    assert!(
        twice[0].contains("on the same page today (1 page: ") && !twice[0].contains("help.html"),
        "{}",
        twice[0]
    );
}

#[test]
fn advice_says_heap_loads_twice_only_where_it_does() {
    let r = advice(
        "heap-missing-on-some-pages",
        "pass_heap_by_different_paths",
        &Config::default(),
    );
    assert_eq!(r.install_path, "segment", "{r:#?}");
    assert!(
        !r.reasons
            .iter()
            .any(|s| s.contains("loaded both") || s.contains("must NOT install")),
        "no page loads Heap twice: {r:#?}"
    );
    assert!(
        !r.steps
            .iter()
            .any(|s| s.starts_with("remove the native Heap snippet")),
        "the blog has no Segment: {r:#?}"
    );
    assert!(
        r.steps
            .iter()
            .any(|s| s.starts_with("add Segment's snippet") && s.contains("blog.html")),
        "{r:#?}"
    );
}

#[test]
fn advice_does_not_ask_to_add_text_capture_options_already_set() {
    let r = advice(
        "disable-target-text",
        "fail_native_with_classic_destination",
        &Config::default(),
    );
    assert_eq!(r.install_path, "native", "{r:#?}");
    assert!(
        r.reasons
            .iter()
            .any(|s| s.starts_with("Text capture is disabled")),
        "{r:#?}"
    );
    assert!(
        !r.steps.iter().any(|s| s.contains("disableTextCapture")),
        "the native snippet already sets it: {r:#?}"
    );
    assert!(
        r.steps
            .iter()
            .any(|s| s.starts_with("disable the Heap destination \"Heap\" (app id 2682025610)")),
        "{r:#?}"
    );
}

#[test]
fn advice_for_segment_via_gtm_is_native() {
    let r = advice(
        "segment-via-gtm",
        "fail_segment_custom_html",
        &Config::default(),
    );
    assert_eq!(r.install_path, "native", "{r:#?}");
    assert!(
        r.reasons
            .iter()
            .any(|s| s.contains("Google Tag Manager") && s.contains("GTM-SEG4GTM")),
        "{r:#?}"
    );
    let steps = r.steps.join("\n");
    assert!(steps.contains("heap.load(\"1884442793\")"), "{steps}");
    assert!(steps.contains("disable the Heap destination \"Heap\" (app id 1884442793) of Segment source bKVNiLl0RNlUfe2nS5JiKvEjrZX5mbKY"), "{steps}");
}

#[test]
fn advice_without_segment_is_native() {
    let r = advice(
        "heap-via-tag-manager",
        "pass_gtm_without_heap",
        &Config::default(),
    );
    assert_eq!(r.install_path, "native", "{r:#?}");
    assert!(
        r.reasons
            .iter()
            .any(|s| s.contains("No audited page loads Segment")),
        "{r:#?}"
    );
    assert!(
        r.steps
            .iter()
            .any(|s| s == "keep the single app id 3748201956 everywhere"),
        "{r:#?}"
    );
}

#[test]
fn advice_for_clean_segment_is_segment() {
    let r = advice(
        "segment-settings-unverified",
        "pass_settings_fetched",
        &Config::default(),
    );
    assert_eq!(r.install_path, "segment", "{r:#?}");
    assert!(
        r.reasons[0].contains("q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH"),
        "{r:#?}"
    );
    assert!(
        !r.steps.iter().any(|s| s.contains("remove")),
        "nothing to remove: {r:#?}"
    );
}

#[test]
fn advice_when_not_committed_to_segment_is_native() {
    let config = Config {
        not_committed_to_segment: true,
        ..Config::default()
    };
    let r = advice(
        "segment-settings-unverified",
        "pass_settings_fetched",
        &config,
    );
    assert_eq!(r.install_path, "native", "{r:#?}");
    assert!(
        r.reasons.iter().any(|s| s.contains("not committed")),
        "{r:#?}"
    );
    assert!(
        r.steps
            .iter()
            .any(|s| s.contains("disable the Heap destination \"Heap\"")),
        "{r:#?}"
    );
}

#[test]
fn advice_when_text_capture_is_disabled_is_native() {
    let r = advice(
        "disable-target-text",
        "fail_classic_segment_load_options",
        &Config::default(),
    );
    assert_eq!(r.install_path, "native", "{r:#?}");
    assert!(
        r.steps
            .iter()
            .any(|s| s.contains("disableTextCapture: true")),
        "{r:#?}"
    );
}

#[test]
fn advice_prefers_the_expected_app_id() {
    let config = Config {
        expect_app_id: Some("1535634150".into()),
        ..Config::default()
    };
    let r = advice("app-id-mismatch", "fail_native_vs_segment", &config);
    assert!(
        r.steps
            .iter()
            .any(|s| s.starts_with("keep the single app id 1535634150")),
        "{r:#?}"
    );
}

#[test]
fn no_advice_without_audited_pages() {
    let mut report = case("segment-settings-unverified", "pass_settings_fetched")
        .report
        .clone();
    for page in &mut report.pages {
        page.error = Some("unreachable".into());
    }
    assert_eq!(recommend(&report, &[], &Config::default()), None);
}

// ------------------------------------------------------------------ synthetic variations

fn with_report(rule: &str, name: &str, edit: impl FnOnce(&mut Report)) -> Vec<Finding> {
    let mut report = case(rule, name).report.clone();
    edit(&mut report);
    rules::run(&report, &Config::default(), &[], &[]).expect("run")
}

#[test]
fn csp_header_and_meta_are_each_enforced() {
    use heap_audit::model::Csp;
    // A permissive meta policy does not cancel a strict header policy: both apply.
    let findings = with_report(
        "segment-settings-unverified",
        "pass_settings_fetched",
        |r| {
            r.pages[0].csp = vec![
            Csp { source: "meta".into(), policy: "script-src * 'unsafe-inline'; connect-src *".into() },
            Csp { source: "header".into(), policy: "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.segment.com".into() },
        ];
        },
    );
    let csp: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.rule == "csp-blocks-heap")
        .collect();
    assert_eq!(csp.len(), 1, "{csp:#?}");
    assert_eq!(csp[0].severity, Severity::Error);
    assert!(
        csp[0].message.contains("(header)")
            && csp[0].message.contains("https://cdn.heapanalytics.com"),
        "{}",
        csp[0].message
    );
    assert!(csp[0].evidence.iter().any(|e| e.signature == "csp-header"));
}

#[test]
fn csp_none_blocks_everything() {
    use heap_audit::model::Csp;
    let findings = with_report("duplicate-heap-load", "pass_segment_only", |r| {
        r.pages[0].csp = vec![Csp {
            source: "header".into(),
            policy: "default-src 'none'".into(),
        }];
    });
    let f = findings
        .iter()
        .find(|f| f.rule == "csp-blocks-heap")
        .expect("finding");
    for host in [
        "https://cdn.segment.com",
        "https://cdn.heapanalytics.com",
        "https://api.segment.io",
        "https://heapanalytics.com",
    ] {
        assert!(f.message.contains(host), "{host}: {}", f.message);
    }
}

#[test]
fn every_unread_settings_state_is_reported() {
    for state in ["offline", "error", "unavailable", "embedded"] {
        let findings = with_report(
            "segment-settings-unverified",
            "pass_settings_fetched",
            |r| {
                for i in r.pages[0].installs.iter_mut() {
                    if i.vendor == heap_audit::model::Vendor::Segment {
                        i.settings = Some(state.into());
                    }
                }
                r.pages[0]
                    .installs
                    .retain(|i| i.via != heap_audit::model::Via::Segment);
            },
        );
        let f = findings
            .iter()
            .find(|f| f.rule == "segment-settings-unverified");
        assert!(
            f.is_some_and(|f| f.severity == Severity::Info && f.message.contains("incomplete")),
            "{state}: {findings:#?}"
        );
    }
}
