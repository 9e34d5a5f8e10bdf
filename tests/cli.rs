//! The command line as users run it: exit codes, `--fail-on`, `--select`/`--ignore`, the config
//! file, `rules`, `explain`, `--output`.

mod common;

use common::{fixtures, heap_audit, scan_json};
use serde_json::Value;

/// `scan --format json` of a fixture site folder, GTM and Segment read from fixtures/.
fn scan_site(site: &str, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec![fixtures()
        .join("sites")
        .join(site)
        .to_string_lossy()
        .into_owned()];
    args.extend(common::file_remaps());
    args.extend(extra.iter().map(|s| s.to_string()));
    scan_json(&args)
}

fn rules_found(report: &Value) -> Vec<String> {
    let mut rules: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect();
    rules.dedup();
    rules
}

#[test]
fn exit_status_follows_the_fail_level() {
    // The shop loads Heap twice: errors.
    let (code, report, _) = scan_site("shop", &[]);
    assert_eq!(code, 1);
    assert!(rules_found(&report).contains(&"duplicate-heap-load".to_owned()));
    assert_eq!(scan_site("shop", &["--fail-on", "never"]).0, 0);

    // Segment through GTM: a warning, no error.
    let (code, report, _) = scan_site("segment-gtm", &[]);
    assert_eq!(code, 0, "{:?}", rules_found(&report));
    assert!(rules_found(&report).contains(&"segment-via-gtm".to_owned()));
    assert_eq!(scan_site("segment-gtm", &["--fail-on", "warning"]).0, 1);

    // A clean Segment install: only info findings at most.
    let (code, report, _) = scan_site("clean", &["--fail-on", "warning"]);
    assert_eq!(code, 0, "{}", report["findings"]);
    assert_eq!(
        scan_site("clean", &["--fail-on", "info"]).0,
        i32::from(!report["findings"].as_array().unwrap().is_empty())
    );
}

#[test]
fn select_and_ignore_by_name_or_code() {
    let (_, report, _) = scan_site("shop", &["--select", "HA001"]);
    assert_eq!(rules_found(&report), vec!["duplicate-heap-load"]);
    let (_, report, _) = scan_site("shop", &["--ignore", "duplicate-heap-load,HA003"]);
    let found = rules_found(&report);
    assert!(
        !found.contains(&"duplicate-heap-load".to_owned())
            && !found.contains(&"app-id-mismatch".to_owned())
    );
    assert!(!found.is_empty());
    assert_eq!(
        report["summary"]["findings"],
        report["findings"].as_array().unwrap().len()
    );
}

#[test]
fn an_unknown_rule_is_refused_before_any_crawl() {
    let site = common::Server::site("shop");
    let (code, _, stderr) = heap_audit(&["scan", &site.url("/"), "--select", "no-such-rule"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown rule 'no-such-rule'"), "{stderr}");
    assert_eq!(site.hits.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[test]
fn expect_app_id_and_the_not_committed_flag() {
    let (code, report, _) = scan_site("clean", &["--expect-app-id", "9999999999"]);
    assert_eq!(code, 1);
    let mismatch = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "app-id-mismatch")
        .unwrap();
    let message = mismatch["message"].as_str().unwrap();
    assert!(
        message.contains("9999999999") && message.contains("1535634150"),
        "{message}"
    );

    assert_eq!(
        scan_site("clean", &[]).1["recommendation"]["install_path"],
        "segment"
    );
    let (_, report, _) = scan_site("clean", &["--not-committed-to-segment"]);
    assert_eq!(report["recommendation"]["install_path"], "native");
}

#[test]
fn the_config_file_sets_what_flags_do_and_flags_win() {
    let dir = std::env::temp_dir().join(format!("heap-audit-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("heap-audit.toml");
    std::fs::write(&config, "expect_app_id = \"9999999999\"\nnot_committed_to_segment = true\nignore = [\"segment-calls-ignored-by-heap\"]\n").unwrap();
    let config = config.to_string_lossy().into_owned();
    let (code, report, _) = scan_site("clean", &["--config", &config]);
    assert_eq!(code, 1);
    assert_eq!(report["recommendation"]["install_path"], "native");
    assert!(rules_found(&report).contains(&"app-id-mismatch".to_owned()));
    assert!(!rules_found(&report).contains(&"segment-calls-ignored-by-heap".to_owned()));
    // A flag wins over the file.
    let (code, _, _) = scan_site(
        "clean",
        &[
            "--config",
            &config,
            "--expect-app-id",
            "1535634150",
            "--fail-on",
            "error",
        ],
    );
    assert_eq!(code, 0);

    std::fs::write(dir.join("bad.toml"), "fail_on = \"sometimes\"\n").unwrap();
    let bad = dir.join("bad.toml").to_string_lossy().into_owned();
    let (code, _, stderr) = heap_audit(&[
        "scan",
        "--config",
        &bad,
        "--offline",
        fixtures().join("sites/clean").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("sometimes"), "{stderr}");
    std::fs::write(dir.join("typo.toml"), "expect_appid = \"1\"\n").unwrap();
    let typo = dir.join("typo.toml").to_string_lossy().into_owned();
    let (code, _, stderr) = heap_audit(&[
        "scan",
        "--config",
        &typo,
        "--offline",
        fixtures().join("sites/clean").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("expect_appid"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rules_lists_every_rule_and_explain_prints_the_docs() {
    let (code, out, _) = heap_audit(&["rules"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), heap_audit::rules::RULES.len());
    for rule in heap_audit::rules::RULES {
        let line = out.lines().find(|l| l.starts_with(rule.code())).unwrap();
        assert!(
            line.contains(rule.name()) && line.contains(rule.summary()),
            "{line}"
        );
    }
    let (code, out, _) = heap_audit(&["explain", "segment-via-gtm"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("# segment-via-gtm (HA002)"), "{out}");
    for section in [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
        "## References",
    ] {
        assert!(out.contains(section), "{section} missing");
    }
    assert_eq!(
        heap_audit(&["explain", "ha001"]).1.lines().next(),
        Some("# duplicate-heap-load (HA001)")
    );
    let (code, _, stderr) = heap_audit(&["explain", "nope"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown rule 'nope'"));
}

#[test]
fn output_to_a_file_and_human_findings() {
    let out = std::env::temp_dir().join(format!("heap-audit-out-{}.json", std::process::id()));
    let mut args = vec![
        "scan".to_owned(),
        fixtures().join("sites/shop").to_string_lossy().into_owned(),
    ];
    args.extend(common::file_remaps());
    args.extend([
        "--format".into(),
        "json".into(),
        "-o".into(),
        out.to_string_lossy().into_owned(),
    ]);
    let (code, stdout, _) = heap_audit(&args);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(report["recommendation"]["install_path"], "segment");
    let _ = std::fs::remove_file(&out);

    let mut args = vec![
        "scan".to_owned(),
        fixtures().join("sites/shop").to_string_lossy().into_owned(),
    ];
    args.extend(common::file_remaps());
    let (_, text, _) = heap_audit(&args);
    assert!(text.contains("error[HA001] duplicate-heap-load:"), "{text}");
    assert!(
        text.contains("Recommendation: install Heap via Segment"),
        "{text}"
    );
    assert!(text.contains("help:"));
}

#[test]
fn sarif_and_github_annotations() {
    let mut args = vec![
        "scan".to_owned(),
        fixtures().join("sites/shop").to_string_lossy().into_owned(),
    ];
    args.extend(common::file_remaps());
    let (_, json_out, _) =
        heap_audit(&[args.clone(), vec!["--format".into(), "json".into()]].concat());
    let report: Value = serde_json::from_str(&json_out).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());

    let (code, out, _) =
        heap_audit(&[args.clone(), vec!["--format".into(), "sarif".into()]].concat());
    assert_eq!(code, 1);
    let sarif: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(
        run["tool"]["driver"]["rules"].as_array().unwrap().len(),
        heap_audit::rules::RULES.len()
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), findings.len());
    for (r, f) in results.iter().zip(findings) {
        assert_eq!(r["ruleId"], f["code"]);
        let level = match f["severity"].as_str().unwrap() {
            "info" => "note",
            other => other,
        };
        assert_eq!(r["level"], level);
        let rule = &run["tool"]["driver"]["rules"][r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], f["code"]);
    }
    let located = results
        .iter()
        .find(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"].is_u64())
        .unwrap();
    assert!(
        located["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .contains("fixtures/sites/shop/")
    );

    let (code, out, _) = heap_audit(&[args, vec!["--format".into(), "github".into()]].concat());
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), findings.len());
    assert!(
        lines[0].starts_with("::error file=")
            && lines[0].contains(",line=")
            && lines[0].contains("title=HA00"),
        "{}",
        lines[0]
    );
    assert!(
        lines.iter().any(|l| l.starts_with("::notice ")),
        "info findings are notices"
    );
    assert!(lines.iter().all(|l| !l.contains('\n')));
}
