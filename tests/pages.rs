//! Every page in `fixtures/pages/` against `fixtures/pages/expected.toml`: the exact installs found
//! in the page itself (nothing followed), the options read, privacy attributes and Segment calls.
//! Each variant and each trap is a page, so a broken signature or a false positive fails here.

use std::path::Path;

use heap_audit::model::{Install, Page};
use heap_audit::scan::{self, ScanOptions};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Manifest {
    page: Vec<Expected>,
}

#[derive(Deserialize)]
struct Expected {
    file: String,
    about: String,
    /// What the detector does not get right yet on this page, and why: the page must still
    /// differ from its expectation (when it no longer does, the gap is closed: remove the key).
    known_gap: Option<String>,
    installs: Vec<ExpectedInstall>,
    privacy: Option<Value>,
    segment_calls: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct ExpectedInstall {
    vendor: String,
    id: Option<String>,
    sdk: Option<String>,
    active: Option<bool>,
    options: Option<toml::Table>,
    snippet_version: Option<String>,
    #[serde(default)]
    alternative_ids: Vec<String>,
    id_from: Option<String>,
    placeholder: Option<String>,
    /// `consent` or `runtime`; absent: not gated.
    gate: Option<String>,
    gate_manager: Option<String>,
    gate_category: Option<String>,
    /// A substring of the recorded condition (the gate's, or one of the branches').
    condition: Option<String>,
    /// Inside the page's own no-op guard.
    #[serde(default)]
    guard: bool,
}

fn audit(file: &Path) -> Page {
    let opts = ScanOptions {
        offline: true,
        ..ScanOptions::default()
    };
    let target = file.to_string_lossy().into_owned();
    let outcome = scan::run(&[target], &opts).expect("signatures");
    assert!(outcome.fatal.is_empty(), "{:?}", outcome.fatal);
    // Every file a fixture page references is there: a missing bundle would hide what it holds.
    assert!(
        outcome.report.problems.is_empty(),
        "{:?}",
        outcome.report.problems
    );
    outcome.report.pages.into_iter().next().expect("one page")
}

fn key(i: &Install) -> (String, Option<String>, Option<String>, bool) {
    let sdk = i.sdk.map(|s| {
        serde_json::to_value(s)
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    });
    (i.vendor.as_str().to_owned(), i.id.clone(), sdk, i.active)
}

#[test]
fn every_fixture_page_gives_exactly_the_expected_installs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pages");
    // expected.toml and every expected-*.toml beside it.
    let mut pages = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("expected") && name.ends_with(".toml") {
            let manifest: Manifest = toml::from_str(&std::fs::read_to_string(&path).unwrap())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            pages.extend(manifest.page);
        }
    }
    assert!(
        pages.len() >= 70,
        "the manifests lost pages: {}",
        pages.len()
    );
    let mut failures = Vec::new();
    let mut gaps = Vec::new();
    for expected in &pages {
        let before = failures.len();
        check_page(&dir, expected, &mut failures);
        if let Some(gap) = &expected.known_gap {
            if failures.len() == before {
                failures.push(format!(
                    "{}: the known gap is closed ({gap}): remove `known_gap`",
                    expected.file
                ));
            } else {
                failures.truncate(before);
                gaps.push(format!("{}: {gap}", expected.file));
            }
        }
    }
    eprintln!("{} known gaps:\n{}", gaps.len(), gaps.join("\n"));
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn check_page(dir: &Path, expected: &Expected, failures: &mut Vec<String>) {
    {
        let page = audit(&dir.join(&expected.file));
        let native: Vec<&Install> = page.installs.iter().collect();
        let mut got: Vec<_> = native.iter().map(|i| key(i)).collect();
        let mut want: Vec<_> = expected
            .installs
            .iter()
            .map(|e| {
                (
                    e.vendor.clone(),
                    e.id.clone(),
                    e.sdk.clone(),
                    e.active.unwrap_or(true),
                )
            })
            .collect();
        got.sort();
        want.sort();
        if got != want {
            failures.push(format!(
                "{} ({}):\n   want {want:?}\n    got {got:?}",
                expected.file, expected.about
            ));
            return;
        }
        // Each expectation against the next install of the same vendor and id, in order.
        let mut used = vec![false; native.len()];
        for e in &expected.installs {
            let Some(at) = (0..native.len())
                .find(|&n| !used[n] && key(native[n]).0 == e.vendor && native[n].id == e.id)
            else {
                continue;
            };
            used[at] = true;
            let found = native[at];
            if let Some(options) = &e.options {
                let want = serde_json::to_value(options).unwrap();
                for (k, v) in want.as_object().unwrap() {
                    if found.options.get(k) != Some(v) {
                        failures.push(format!(
                            "{}: option {k}: want {v}, got {:?}",
                            expected.file,
                            found.options.get(k)
                        ));
                    }
                }
            }
            if found.alternative_ids != e.alternative_ids {
                failures.push(format!(
                    "{}: alternative_ids {:?} != {:?}",
                    expected.file, found.alternative_ids, e.alternative_ids
                ));
            }
            let fail = |what: &str, got: &dyn std::fmt::Debug, want: &dyn std::fmt::Debug| {
                format!(
                    "{}: {} {what}: got {got:?}, want {want:?}",
                    expected.file, e.vendor
                )
            };
            if found.id_from != e.id_from {
                failures.push(fail("id_from", &found.id_from, &e.id_from));
            }
            if found.placeholder != e.placeholder {
                failures.push(fail("placeholder", &found.placeholder, &e.placeholder));
            }
            let gate = found.gate.as_ref();
            if gate.map(|g| g.kind.as_str()) != e.gate.as_deref() {
                failures.push(fail("gate", &found.gate, &e.gate));
            }
            if e.gate_manager.is_some() && gate.and_then(|g| g.manager.clone()) != e.gate_manager {
                failures.push(fail("gate_manager", &found.gate, &e.gate_manager));
            }
            if e.gate_category.is_some() && gate.and_then(|g| g.category.clone()) != e.gate_category
            {
                failures.push(fail("gate_category", &found.gate, &e.gate_category));
            }
            if let Some(want) = &e.condition {
                let conditions = gate
                    .map(|g| g.condition.as_str())
                    .into_iter()
                    .chain(found.branches.iter().map(|b| b.condition.as_str()));
                if !conditions.clone().any(|c| c.contains(want.as_str())) {
                    let got: Vec<&str> = conditions.collect();
                    failures.push(fail("condition", &got, want));
                }
            }
            if found.guard.is_some() != e.guard {
                failures.push(fail("guard", &found.guard, &e.guard));
            }
            if e.snippet_version.is_some() && found.snippet_version != e.snippet_version {
                failures.push(format!(
                    "{}: snippet_version {:?} != {:?}",
                    expected.file, found.snippet_version, e.snippet_version
                ));
            }
        }
        if let Some(privacy) = &expected.privacy {
            let got = serde_json::to_value(&page.privacy).unwrap();
            if &got != privacy {
                failures.push(format!("{}: privacy {got} != {privacy}", expected.file));
            }
        }
        if let Some(calls) = &expected.segment_calls {
            let got: Vec<String> = page
                .segment_calls
                .iter()
                .map(|c| {
                    if c.email_trait {
                        format!("{}:email", c.method)
                    } else {
                        c.method.clone()
                    }
                })
                .collect();
            if &got != calls {
                failures.push(format!(
                    "{}: segment_calls {got:?} != {calls:?}",
                    expected.file
                ));
            }
        }
    }
}

#[test]
fn evidence_points_at_the_line_of_the_snippet() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pages");
    let file = dir.join("heap-two-native-snippets.html");
    let page = audit(&file);
    let text = std::fs::read_to_string(&file).unwrap();
    for install in &page.installs {
        let line = install.evidence.line.expect("a line") as usize;
        let source_line = text.lines().nth(line - 1).unwrap();
        let id = install.id.as_deref().unwrap();
        assert!(
            source_line.contains(id),
            "line {line} should hold {id}: {source_line}"
        );
    }
}
