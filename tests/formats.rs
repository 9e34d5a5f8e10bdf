//! Every output format on the same fixture site (the example shop read as a local folder, with the
//! README's remaps), as snapshots in `tests/snapshots/formats/`, plus the validations: the JSON
//! report against `schema/report.schema.json` (itself checked against the types), SARIF against the
//! official SARIF 2.1.0 schema, JUnit parsed back, and `--report FORMAT=PATH`.
//!
//! To accept changed snapshots after reviewing the diff: `UPDATE_SNAPSHOTS=1 cargo test --test formats`;
//! to regenerate the shipped schema: `UPDATE_SCHEMA=1 cargo test --test formats`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{heap_audit, Server};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `scan` of the example shop as a local folder: deterministic paths and lines.
fn shop_args(format: &str) -> Vec<String> {
    let mut args: Vec<String> = ["scan", "fixtures/sites/shop", "--format", format]
        .map(String::from)
        .to_vec();
    args.extend(common::file_remaps());
    args
}

/// Run the shop in `format` with the default fail level (its error findings exit with 1).
fn shop(format: &str) -> String {
    let (code, stdout, stderr) = heap_audit(&shop_args(format));
    assert_eq!(code, 1, "{stderr}");
    stdout
}

/// The shop crawled over the loopback server, the port replaced by `SITE` for snapshots.
struct Crawled {
    server: Server,
    _vendor: Server,
    stdout: String,
}

fn crawled(format: &str) -> Crawled {
    let server = Server::site("shop");
    let vendor = Server::root(common::fixtures().join("gtm"));
    let mut args = vec![
        "scan".into(),
        server.url("/"),
        "--format".into(),
        format.into(),
    ];
    args.extend(vendor.remaps());
    let (code, stdout, stderr) = heap_audit(&args);
    assert_eq!(code, 1, "{stderr}");
    Crawled {
        server,
        _vendor: vendor,
        stdout,
    }
}

impl Crawled {
    fn stable(&self) -> String {
        self.stdout.replace(&self.server.url(""), "SITE")
    }
}

/// The tool version is not part of a snapshot.
fn versionless(text: &str) -> String {
    text.replace(&format!("\"{}\"", env!("CARGO_PKG_VERSION")), "\"VERSION\"")
}

fn check_snapshot(name: &str, actual: &str) {
    common::check_snapshot_file(&root().join("tests/snapshots/formats").join(name), actual);
}

fn validator(schema_path: &Path) -> (boon::Schemas, boon::SchemaIndex) {
    let text = std::fs::read_to_string(schema_path)
        .unwrap_or_else(|e| panic!("{}: {e}", schema_path.display()));
    let schema: Value = serde_json::from_str(&text).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    let location = format!("file://{}", schema_path.display());
    compiler.add_resource(&location, schema).unwrap();
    let index = compiler
        .compile(&location, &mut schemas)
        .unwrap_or_else(|e| panic!("{}: {e:#}", schema_path.display()));
    (schemas, index)
}

fn assert_valid(schema_path: &Path, document: &str, what: &str) {
    let (schemas, index) = validator(schema_path);
    let value: Value = serde_json::from_str(document).unwrap();
    if let Err(e) = schemas.validate(&value, index) {
        panic!("{what} does not match {}:\n{e:#}", schema_path.display());
    }
}

fn report_schema() -> PathBuf {
    root().join(heap_audit::report::json::SCHEMA_PATH)
}

fn sarif_schema() -> PathBuf {
    root().join("tests/schemas/sarif-schema-2.1.0.json")
}

// --- the JSON report and its schema ---

#[test]
fn the_shipped_schema_is_the_one_the_types_generate() {
    let path = report_schema();
    let generated = heap_audit::report::json::schema_text();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        shipped == generated,
        "{} differs from what src/model.rs generates: run `UPDATE_SCHEMA=1 cargo test --test formats`, review and commit it",
        path.display()
    );
}

#[test]
fn json_snapshot_and_schema() {
    let out = shop("json");
    assert_valid(&report_schema(), &out, "the shop's JSON report");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["summary"]["pages"], 5);
    check_snapshot("shop.json", &versionless(&out));
}

#[test]
fn reports_of_crawled_sites_match_the_schema() {
    for site in ["shop", "segment-gtm", "mixed-env", "clean", "faults"] {
        let server = Server::site(site);
        let vendor = Server::root(common::fixtures().join("gtm"));
        let mut args = vec![
            "scan".into(),
            server.url("/"),
            "--format".into(),
            "json".into(),
        ];
        args.extend(vendor.remaps());
        args.extend(["--fail-on".into(), "never".into()]);
        let (code, stdout, stderr) = heap_audit(&args);
        assert_eq!(code, 0, "{site}: {stderr}");
        assert_valid(&report_schema(), &stdout, &format!("the {site} report"));
    }
}

#[test]
fn the_schema_rejects_what_the_contract_forbids() {
    let out = shop("json");
    let (schemas, index) = validator(&report_schema());
    let mut report: Value = serde_json::from_str(&out).unwrap();
    assert!(schemas.validate(&report, index).is_ok());
    report["findings"][0]["severity"] = "fatal".into();
    assert!(
        schemas.validate(&report, index).is_err(),
        "unknown severity"
    );
    let mut report: Value = serde_json::from_str(&out).unwrap();
    report["pages"][0]
        .as_object_mut()
        .unwrap()
        .remove("installs");
    assert!(schemas.validate(&report, index).is_err(), "missing field");
    let mut report: Value = serde_json::from_str(&out).unwrap();
    report["recommendation"]["install_path"] = "gtm".into();
    assert!(
        schemas.validate(&report, index).is_err(),
        "unknown install path"
    );
}

// --- SARIF ---

#[test]
fn sarif_snapshot_is_valid_sarif_located_at_files_and_lines() {
    let out = shop("sarif");
    assert_valid(&sarif_schema(), &out, "the shop's SARIF");
    let sarif: Value = serde_json::from_str(&out).unwrap();
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    let report: Value = serde_json::from_str(&shop("json")).unwrap();
    assert_eq!(results.len(), report["findings"].as_array().unwrap().len());
    for (result, finding) in results.iter().zip(report["findings"].as_array().unwrap()) {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert!(rules[index]["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## What it does"));
        let physical = &result["locations"][0]["physicalLocation"];
        let uri = physical["artifactLocation"]["uri"].as_str().unwrap();
        assert!(uri.starts_with("fixtures/sites/shop/"), "{uri}");
        assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        // At a line whenever the finding has evidence at a line of a local file.
        let local_line = finding["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["line"].is_u64() && !e["source"].as_str().unwrap().contains("://"));
        assert_eq!(
            physical["region"]["startLine"]
                .as_u64()
                .is_some_and(|l| l > 0),
            local_line,
            "{result}"
        );
        assert!(result["partialFingerprints"]["heapAuditFinding/v1"].is_string());
    }
    check_snapshot("shop.sarif", &versionless(&out));
}

#[test]
fn sarif_of_a_crawled_site_is_located_at_page_urls() {
    let run = crawled("sarif");
    assert_valid(&sarif_schema(), &run.stdout, "the crawled shop's SARIF");
    let sarif: Value = serde_json::from_str(&run.stdout).unwrap();
    for result in sarif["runs"][0]["results"].as_array().unwrap() {
        let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        let pages = result["properties"]["pages"].as_array().unwrap();
        assert!(
            pages.iter().any(|p| p == uri),
            "{uri} is not one of the finding's pages {pages:?}"
        );
    }
    // Fingerprints identify a finding across deployments: the same site on another port (a new
    // preview) gives the same ones, and no two results share one.
    let prints = |sarif: &Value| -> Vec<String> {
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["partialFingerprints"]["heapAuditFinding/v1"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    let first = prints(&sarif);
    let unique: std::collections::BTreeSet<&String> = first.iter().collect();
    assert_eq!(unique.len(), first.len(), "fingerprints repeat: {first:?}");
    let again: Value = serde_json::from_str(&crawled("sarif").stdout).unwrap();
    assert_eq!(prints(&again), first, "fingerprints changed with the port");
    let stable = run.stable();
    check_snapshot("shop-crawled.sarif", &versionless(&stable));
}

#[test]
fn the_sarif_schema_is_not_a_rubber_stamp() {
    let out = shop("sarif");
    let (schemas, index) = validator(&sarif_schema());
    let mut sarif: Value = serde_json::from_str(&out).unwrap();
    sarif["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(schemas.validate(&sarif, index).is_err());
}

// --- the other formats ---

#[test]
fn human_snapshot() {
    let out = shop("human");
    assert!(out.contains("Summary:") && !out.contains('\x1b'), "{out}");
    check_snapshot("shop.txt", &out);
}

#[test]
fn github_snapshot() {
    let out = shop("github");
    for line in out.lines() {
        assert!(
            line.starts_with("::error ")
                || line.starts_with("::warning ")
                || line.starts_with("::notice "),
            "{line}"
        );
    }
    assert!(out.contains("::error file=fixtures/sites/shop/"), "{out}");
    check_snapshot("shop.github.txt", &out);
}

#[test]
fn github_writes_the_markdown_report_as_the_job_summary() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("formats-job-summary");
    std::fs::create_dir_all(&dir).unwrap();
    let summary = dir.join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        .args(shop_args("github"))
        .env("NO_COLOR", "1")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let written = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(written, format!("earlier step\n{}", shop("markdown")));
}

#[test]
fn markdown_snapshot() {
    let out = shop("markdown");
    assert!(
        out.contains("| page | vendor | id | how | details |"),
        "{out}"
    );
    assert!(out.contains("### Recommendation: install Heap via Segment"));
    check_snapshot("shop.md", &out);
}

#[test]
fn junit_snapshot_parses_back_with_a_failure_per_page_and_failing_rule() {
    let out = shop("junit");
    let doc = roxmltree::Document::parse(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    let report: Value = serde_json::from_str(&shop("json")).unwrap();
    let pages = report["pages"].as_array().unwrap().len();
    let rules = heap_audit::rules::RULES.len();
    let count = |tag: &str| doc.descendants().filter(|n| n.has_tag_name(tag)).count();
    assert_eq!(count("testsuite"), 1);
    assert_eq!(count("testcase"), pages * rules);
    // A failure for each (page, rule) with a finding at the default fail level, error.
    let mut failing = std::collections::BTreeSet::new();
    for f in report["findings"].as_array().unwrap() {
        if f["severity"] == "error" {
            for page in f["pages"].as_array().unwrap() {
                failing.insert((page.as_str().unwrap(), f["code"].as_str().unwrap()));
            }
        }
    }
    assert!(!failing.is_empty());
    assert_eq!(count("failure"), failing.len());
    let root = doc.root_element();
    assert_eq!(
        root.attribute("failures"),
        Some(failing.len().to_string().as_str())
    );
    for case in doc.descendants().filter(|n| n.has_tag_name("testcase")) {
        let failed = case.children().any(|c| c.has_tag_name("failure"));
        let page = case.attribute("classname").unwrap();
        let code = case.attribute("name").unwrap().split(' ').next().unwrap();
        assert_eq!(failed, failing.contains(&(page, code)), "{page} {code}");
    }
    check_snapshot("shop.junit.xml", &out);
}

#[test]
fn junit_follows_the_fail_level() {
    let mut args = shop_args("junit");
    args.extend(["--fail-on".into(), "never".into()]);
    let (code, out, stderr) = heap_audit(&args);
    assert_eq!(code, 0, "{stderr}");
    let doc = roxmltree::Document::parse(&out).unwrap();
    assert_eq!(doc.root_element().attribute("failures"), Some("0"));
    assert!(doc.descendants().any(|n| n.has_tag_name("system-out")));
}

// --- several reports in one run ---

#[test]
fn report_files_are_written_while_stdout_gets_human() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("formats-report-files");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (json, sarif) = (dir.join("report.json"), dir.join("report.sarif"));
    let mut args = shop_args("human");
    args.extend([
        "--color".into(),
        "always".into(),
        "--report".into(),
        format!("json={}", json.display()),
        "--report".into(),
        format!("sarif={}", sarif.display()),
    ]);
    let (code, stdout, stderr) = heap_audit(&args);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.contains("Summary:") && stdout.contains('\x1b'),
        "{stdout}"
    );
    let json = std::fs::read_to_string(json).unwrap();
    assert_eq!(json, shop("json"));
    let sarif = std::fs::read_to_string(sarif).unwrap();
    assert_eq!(sarif, shop("sarif"));
}

#[test]
fn output_file_still_works_and_is_never_coloured() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("formats-output");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.txt");
    let mut args = shop_args("human");
    args.extend([
        "--color".into(),
        "always".into(),
        "-o".into(),
        file.display().to_string(),
    ]);
    let (code, stdout, stderr) = heap_audit(&args);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "");
    assert_eq!(std::fs::read_to_string(file).unwrap(), shop("human"));
}

#[test]
fn bad_report_values_are_usage_errors_naming_the_value() {
    for bad in ["xml=out.xml", "sarif", "json="] {
        let mut args = shop_args("human");
        args.extend(["--report".into(), bad.into()]);
        let (code, stdout, stderr) = heap_audit(&args);
        assert_eq!(code, 2, "{bad}: {stdout}");
        assert!(stderr.contains(bad), "{bad}: {stderr}");
        assert!(stdout.is_empty());
    }
}

#[test]
fn github_annotations_of_a_crawled_site_name_no_file() {
    let run = crawled("github");
    assert!(run.stdout.lines().count() > 0);
    for line in run.stdout.lines() {
        assert!(
            line.starts_with("::error title=")
                || line.starts_with("::notice title=")
                || line.starts_with("::warning title="),
            "{line}"
        );
    }
}

#[test]
fn text_from_a_page_cannot_drive_the_terminal() {
    // An escape sequence in a page (here in a suppression comment, which an unused-suppression
    // finding quotes) is shown as U+FFFD by the formats read on a terminal or in a CI log.
    let dir = std::env::temp_dir().join(format!("heap-audit-escape-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = std::fs::read_to_string(root().join("fixtures/sites/clean/index.html")).unwrap();
    let page = page.replacen(
        "</head>",
        "<!-- heap-audit-ignore: HA001\u{1b}]0;pwned\u{7}\u{1b}[2J -- reason -->\n</head>",
        1,
    );
    assert!(page.contains('\u{1b}'));
    std::fs::write(dir.join("index.html"), page).unwrap();
    for format in ["human", "markdown", "github"] {
        let (code, stdout, stderr) = heap_audit(&[
            "scan",
            dir.to_str().unwrap(),
            "--offline",
            "--format",
            format,
            "--color",
            "never",
            "--fail-on",
            "never",
        ]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("HA001"), "--format {format}: {stdout}");
        assert!(stdout.contains('\u{FFFD}'), "--format {format}: {stdout}");
        for control in ['\u{1b}', '\u{7}'] {
            assert!(!stdout.contains(control), "--format {format}: {stdout:?}");
            assert!(!stderr.contains(control), "--format {format}: {stderr:?}");
        }
    }
    // JSON keeps the text as it was, escaped by JSON itself.
    let (_, stdout, _) = heap_audit(&[
        "scan",
        dir.to_str().unwrap(),
        "--offline",
        "--format",
        "json",
    ]);
    assert!(stdout.contains("\\u001b"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// One finding per root cause in the shop (Heap loaded twice, three app ids, plus the two notes),
/// and every format puts it where a person must change something: the JSON's first evidence (the
/// primary location) is the native snippet the recommended Segment path removes, which also has
/// the odd app id; SARIF's location and GitHub's annotation are that line, SARIF lists the rest as
/// `relatedLocations`; JUnit fails only the pages the findings concern.
#[test]
fn findings_are_grouped_by_cause_and_every_format_follows_the_primary_location() {
    let json: Value = serde_json::from_str(&shop("json")).unwrap();
    let findings = json["findings"].as_array().unwrap();
    let rules: Vec<&str> = findings
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        vec![
            "duplicate-heap-load",
            "app-id-mismatch",
            "heap-via-tag-manager",
            "email-trait-renamed"
        ]
    );
    let primary = "fixtures/sites/shop/docs/install.html";
    for f in &findings[..2] {
        assert_eq!(f["evidence"][0]["source"], primary, "{f}");
        assert_eq!(f["evidence"][0]["line"], 24, "{f}");
        // Few locations: all listed, no count of the rest.
        assert!(f.get("related_total").is_none(), "{f}");
    }

    let sarif: Value = serde_json::from_str(&shop("sarif")).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    for r in &results[..2] {
        let at = &r["locations"][0]["physicalLocation"];
        assert_eq!(at["artifactLocation"]["uri"], primary, "{r}");
        assert_eq!(at["region"]["startLine"], 24, "{r}");
        let related = r["relatedLocations"].as_array().unwrap();
        assert!(related.len() >= 5, "{r}");
    }

    let github = shop("github");
    let annotations: Vec<&str> = github
        .lines()
        .filter(|l| l.starts_with("::error"))
        .collect();
    assert_eq!(annotations.len(), 2, "{github}");
    for a in annotations {
        assert!(
            a.starts_with(&format!("::error file={primary},line=24,")),
            "{a}"
        );
    }

    // JUnit: a page fails only for the findings that name it.
    let junit = shop("junit");
    let involved: std::collections::BTreeSet<&str> = findings
        .iter()
        .filter(|f| f["severity"] == "error")
        .flat_map(|f| f["pages"].as_array().unwrap())
        .map(|p| p.as_str().unwrap())
        .collect();
    let failures = junit.matches("<failure").count();
    let named: usize = findings
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| f["pages"].as_array().unwrap().len())
        .sum();
    assert!(!involved.is_empty());
    assert_eq!(failures, named, "{junit}");
}

/// The summary counts say what they mean: pages audited (loaded), pages that failed to load,
/// findings by severity; the old fields stay.
#[test]
fn the_summary_counts_pages_audited_failed_and_findings_by_severity() {
    let json: Value = serde_json::from_str(&shop("json")).unwrap();
    let s = &json["summary"];
    assert_eq!(s["pages_audited"], 5);
    assert_eq!(s["pages_failed"], 0);
    assert_eq!(s["pages"], 5);
    assert_eq!(s["pages_with_errors"], 0);
    assert_eq!(
        s["findings_by_severity"],
        serde_json::json!({ "error": 2, "warning": 0, "info": 2 })
    );
    let human = shop("human");
    assert!(
        human.contains("5 pages audited, 0 failed to load, 5 with Heap; 4 findings: 2 errors, 0 warnings, 2 info"),
        "{human}"
    );
    assert!(!human.contains("with errors"), "{human}");
    let markdown = shop("markdown");
    assert!(
        markdown.contains("audited (0 failed to load, 5 with Heap)"),
        "{markdown}"
    );
}
