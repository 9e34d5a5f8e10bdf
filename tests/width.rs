//! The human report fits 100 columns and names a URL once a line (issue #15), on the README demo
//! and on the fixture sites, pages, repositories and apps: with NO_COLOR, a line wider than 100
//! columns is one token that cannot be broken (a URL, a path) with at most a short fixed prefix
//! (an indent, `-->`, `at`, a problem kind) and a short tag after it; and no line holds the same
//! URL twice. The Markdown report is held to the second rule only (its lines may be long).

mod common;

use std::path::PathBuf;

use common::heap_audit;

const WIDTH: usize = 100;
/// The widest fixed prefix before an unbreakable token: `  unreachable          ` (a problem kind
/// padded to its column).
const PREFIX: usize = 24;
/// The widest text after it: ` (Heap)`, ` tag 7`.
const SUFFIX: usize = 10;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn columns(s: &str) -> usize {
    s.chars().count()
}

/// Why `line` breaks the width rule, if it does.
fn too_wide(line: &str) -> Option<String> {
    if columns(line) <= WIDTH {
        return None;
    }
    let widest = line
        .split(' ')
        .max_by_key(|t| columns(t))
        .unwrap_or_default();
    let at = line.find(widest).unwrap_or(0);
    let before = columns(&line[..at]);
    let after = columns(&line[at + widest.len()..]);
    if before <= PREFIX && after <= SUFFIX {
        return None;
    }
    Some(format!(
        "{} columns, and not one unbreakable token ({before} columns before `{widest}`, {after} after): {line}",
        columns(line)
    ))
}

/// The URLs on `line`, as written, less trailing punctuation and a `:line` suffix.
fn urls(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(start) = ["https://", "http://"]
        .iter()
        .filter_map(|s| rest.find(s))
        .min()
    {
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| c.is_whitespace() || "\"'<>()`|".contains(c))
            .unwrap_or(tail.len());
        let mut url = tail[..end].trim_end_matches(['.', ',', ';', ':']);
        if let Some((head, line_no)) = url.rsplit_once(':') {
            if !line_no.is_empty() && line_no.bytes().all(|b| b.is_ascii_digit()) {
                url = head;
            }
        }
        found.push(url.trim_end_matches('/').to_owned());
        rest = &tail[end..];
    }
    found
}

/// Why `line` names a URL twice, if it does.
fn repeats(line: &str) -> Option<String> {
    let all = urls(line);
    let twice = all
        .iter()
        .enumerate()
        .find(|(n, u)| all[..*n].contains(u))?;
    Some(format!("{} twice on: {line}", twice.1))
}

fn check(what: &str, output: &str, width: bool) -> Vec<String> {
    output
        .lines()
        .filter_map(|line| {
            let wide = if width { too_wide(line) } else { None };
            wide.or_else(|| repeats(line))
        })
        .map(|why| format!("{what}: {why}"))
        .collect()
}

/// `scan` of `target` in `format` with `extra` arguments, from the repository root.
fn scan(target: &str, format: &str, extra: &[String]) -> String {
    let mut args: Vec<String> = vec![
        "scan".into(),
        root().join(target).display().to_string(),
        "--format".into(),
        format.into(),
        "--fail-on".into(),
        "never".into(),
    ];
    args.extend(extra.iter().cloned());
    let (code, stdout, stderr) = heap_audit(&args);
    assert!(code == 0 || code == 2, "{target}: exit {code}: {stderr}");
    stdout
}

fn targets() -> Vec<(String, Vec<String>)> {
    let mut targets = Vec::new();
    let mut sites: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/sites"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    sites.sort();
    for site in sites {
        let name = site.file_name().unwrap().to_string_lossy().into_owned();
        targets.push((format!("fixtures/sites/{name}"), common::file_remaps()));
    }
    let offline = vec!["--offline".to_owned()];
    for other in [
        "fixtures/pages",
        "fixtures/repos/laravel-fail",
        "fixtures/repos/nextjs-pages-fail",
        "fixtures/repos/rails-fail",
        "fixtures/apps",
    ] {
        targets.push((other.to_owned(), offline.clone()));
    }
    targets
}

/// The README's first command (the shop with its two remaps), as a user sees it.
#[test]
fn the_readme_demo_fits_100_columns() {
    let out = scan("fixtures/sites/shop", "human", &common::file_remaps());
    let wrong = check("README demo", &out, true);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Wrapped, not cut: the findings and the recommendation are all there.
    assert!(
        out.contains("Recommendation: install Heap via Segment"),
        "{out}"
    );
    assert!(out.lines().count() > 80, "{out}");
}

#[test]
fn every_fixture_fits_100_columns_and_names_a_url_once_a_line() {
    let mut wrong = Vec::new();
    for (target, extra) in targets() {
        wrong.extend(check(&target, &scan(&target, "human", &extra), true));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn markdown_names_a_url_once_a_line() {
    let mut wrong = Vec::new();
    for (target, extra) in targets() {
        wrong.extend(check(&target, &scan(&target, "markdown", &extra), false));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_rules_themselves() {
    assert!(too_wide(&"x".repeat(100)).is_none());
    assert!(too_wide(&format!("  --> {}", "a".repeat(120))).is_none());
    assert!(too_wide(&format!("  --> {} (Heap)", "a".repeat(120))).is_none());
    assert!(too_wide(&format!("{} and more words here", "a".repeat(120))).is_some());
    assert!(too_wide(&format!("some words {}", "b ".repeat(60))).is_some());
    assert_eq!(
        urls("at https://a.test/x:12, see https://a.test/x/ (https://b.test)."),
        ["https://a.test/x", "https://a.test/x", "https://b.test"]
    );
    assert!(repeats("  --> https://a.test/s.js:3  <script src=\"https://a.test/s.js\">").is_some());
    assert!(repeats("  --> https://a.test/s.js:3  <script src=\"…\">").is_none());
}
