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
    let manifest: Manifest =
        toml::from_str(&std::fs::read_to_string(dir.join("expected.toml")).unwrap()).unwrap();
    assert!(manifest.page.len() >= 33, "the manifest lost pages");
    let mut failures = Vec::new();
    for expected in &manifest.page {
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
            continue;
        }
        for e in &expected.installs {
            let Some(found) = native.iter().find(|i| key(i).0 == e.vendor && i.id == e.id) else {
                continue;
            };
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
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
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
