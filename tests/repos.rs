//! Source mode on a small realistic repository per ecosystem (`fixtures/repos/<name>/`), each
//! against `fixtures/repos/<name>.toml`: the mode, the rendered pages, every loader at the file
//! and line where it is written (ids, alternatives, conditions), the pages that carry it, and
//! the rules that fire at warning or error level, exactly. See `fixtures/repos/README.md`.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    mode: String,
    pages: Vec<String>,
    findings: Vec<String>,
    #[serde(default)]
    installs: Vec<ExpectedInstall>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedInstall {
    vendor: String,
    #[serde(default = "native")]
    via: String,
    file: String,
    line: u64,
    id: Option<String>,
    id_from: Option<String>,
    placeholder: Option<String>,
    alternative_ids: Option<Vec<String>>,
    condition: Option<String>,
    #[serde(default)]
    on: Vec<String>,
}

fn native() -> String {
    "native".into()
}

fn scan(dir: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        .args(["scan", "--offline", "--format", "json", "--no-progress"])
        .arg(dir)
        .output()
        .expect("run heap-audit");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: no JSON report ({e}); stderr:\n{}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// A path of the report relative to the repository folder.
fn rel<'a>(path: &'a str, dir: &str) -> &'a str {
    path.strip_prefix(dir)
        .map_or(path, |p| p.trim_start_matches('/'))
}

fn check(name: &str) -> Vec<String> {
    let dir = Path::new("fixtures/repos").join(name);
    let text = std::fs::read_to_string(dir.with_extension("toml")).expect("expectation file");
    let want: Expected = toml::from_str(&text).unwrap_or_else(|e| panic!("{name}.toml: {e}"));
    let report = scan(&dir);
    let prefix = dir.to_string_lossy().into_owned();
    let mut errors = Vec::new();
    let mode = report["sources"][0]["mode"].as_str().unwrap_or("none");
    if mode != want.mode {
        errors.push(format!("mode {mode}, expected {}", want.mode));
    }
    let pages: Vec<&Value> = report["pages"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let rendered: BTreeSet<&str> = pages
        .iter()
        .filter(|p| p["kind"] != "file")
        .filter_map(|p| p["url"].as_str())
        .map(|u| rel(u, &prefix))
        .collect();
    let expected: BTreeSet<&str> = want.pages.iter().map(String::as_str).collect();
    if rendered != expected {
        errors.push(format!("pages {rendered:?}, expected {expected:?}"));
    }
    let findings: BTreeSet<&str> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["severity"] != "info")
        .filter_map(|f| f["rule"].as_str())
        .collect();
    let expected: BTreeSet<&str> = want.findings.iter().map(String::as_str).collect();
    if findings != expected {
        errors.push(format!("findings {findings:?}, expected {expected:?}"));
    }
    // Every loader found, by where it is written.
    let mut found: BTreeSet<(String, String, u64)> = BTreeSet::new();
    for page in &pages {
        for install in page["installs"].as_array().into_iter().flatten() {
            let source = install["evidence"]["source"].as_str().unwrap_or("");
            if install["via"] == "native" && source.starts_with(&prefix) {
                found.insert((
                    install["vendor"].as_str().unwrap_or("").to_owned(),
                    rel(source, &prefix).to_owned(),
                    install["evidence"]["line"].as_u64().unwrap_or(0),
                ));
            }
        }
    }
    for want in &want.installs {
        let key = (want.vendor.clone(), want.file.clone(), want.line);
        found.remove(&key);
        let carriers: Vec<(&str, &Value)> = pages
            .iter()
            .flat_map(|p| {
                let url = rel(p["url"].as_str().unwrap_or(""), &prefix);
                p["installs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(move |i| (url, i))
            })
            .filter(|(_, i)| {
                i["vendor"] == want.vendor.as_str()
                    && i["via"] == want.via.as_str()
                    && rel(i["evidence"]["source"].as_str().unwrap_or(""), &prefix) == want.file
                    && i["evidence"]["line"].as_u64() == Some(want.line)
            })
            .collect();
        let Some((_, install)) = carriers.first() else {
            errors.push(format!(
                "no {} loader at {}:{}",
                want.vendor, want.file, want.line
            ));
            continue;
        };
        let what = format!("{} at {}:{}", want.vendor, want.file, want.line);
        if let Some(id) = &want.id {
            if install["id"] != id.as_str() {
                errors.push(format!("{what}: id {}, expected {id}", install["id"]));
            }
        }
        if let Some(from) = &want.id_from {
            if !install["id_from"]
                .as_str()
                .is_some_and(|f| f.contains(from.as_str()))
            {
                errors.push(format!(
                    "{what}: id_from {}, expected it to hold {from}",
                    install["id_from"]
                ));
            }
        }
        if let Some(placeholder) = &want.placeholder {
            if install["placeholder"] != placeholder.as_str() || !install["id"].is_null() {
                errors.push(format!(
                    "{what}: placeholder {} (id {}), expected {placeholder}",
                    install["placeholder"], install["id"]
                ));
            }
        }
        if let Some(alternatives) = &want.alternative_ids {
            let got: Vec<&str> = install["alternative_ids"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if got != alternatives.iter().map(String::as_str).collect::<Vec<_>>() {
                errors.push(format!(
                    "{what}: alternative ids {got:?}, expected {alternatives:?}"
                ));
            }
        }
        if let Some(condition) = &want.condition {
            let recorded: Vec<&str> = ["conditions", "branches"]
                .iter()
                .flat_map(|k| install[*k].as_array().into_iter().flatten())
                .filter_map(|c| c["condition"].as_str())
                .chain(install["gate"]["condition"].as_str())
                .collect();
            if !recorded.iter().any(|c| c.contains(condition.as_str())) {
                errors.push(format!(
                    "{what}: conditions {recorded:?}, expected one holding {condition}"
                ));
            }
        }
        for page in &want.on {
            if !carriers.iter().any(|(p, _)| p == page) {
                errors.push(format!("{what}: not on page {page}"));
            }
        }
    }
    for (vendor, file, line) in found {
        errors.push(format!("unexpected {vendor} loader at {file}:{line}"));
    }
    errors
}

fn fixtures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("fixtures/repos")
        .expect("fixtures/repos")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

#[test]
fn every_repository_fixture_is_audited_as_expected() {
    let names = fixtures();
    assert!(
        names.len() >= 18,
        "a pass and a fail repository per ecosystem: {names:?}"
    );
    let mut failed = Vec::new();
    for name in &names {
        for error in check(name) {
            failed.push(format!("{name}: {error}"));
        }
    }
    assert!(failed.is_empty(), "\n{}", failed.join("\n"));
}

/// A repository written on the fly: what is left out, and why; globs; the mode override; a
/// missing include and an include cycle are problems, never fatal; a single source file.
#[test]
fn left_out_files_globs_modes_and_broken_includes() {
    let root = std::env::temp_dir().join(format!("heap-audit-repo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    let heap = |id: &str| {
        format!("<script>window.heap=window.heap||[],heap.load=function(e,t){{window.heap.appid=e}};\nheap.load(\"{id}\");</script>\n")
    };
    write("package.json", "{\"name\": \"site\"}\n");
    write(".gitignore", "generated/\n");
    write(
        "templates/index.njk",
        r#"<html><head>{% include "partials/head.njk" %}{% include "partials/theme.njk" %}{% include "a.njk" %}</head><body></body></html>"#,
    );
    write("templates/partials/head.njk", &heap("1111111111"));
    write("templates/a.njk", "<html>{% include \"b.njk\" %}</html>\n");
    write("templates/b.njk", "<p>{% include \"a.njk\" %}</p>\n");
    write(
        "templates/legacy/old.njk",
        &format!("<html>{}</html>", heap("2222222222")),
    );
    write("generated/page.html", &heap("3333333333"));
    write("node_modules/pkg/index.js", "heap.load(\"4444444444\");\n");
    write("assets/vendor.min.js", "heap.load(\"5555555555\");\n");
    write("src/app.test.js", "heap.load(\"6666666666\");\n");
    let run = |args: &[&str]| -> Value {
        let out = Command::new(env!("CARGO_BIN_EXE_heap-audit"))
            .args(["scan", "--offline", "--format", "json", "--no-progress"])
            .args(args)
            .output()
            .expect("run heap-audit");
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
    };
    let target = root.to_string_lossy().into_owned();
    let ids = |report: &Value| -> BTreeSet<String> {
        report["pages"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|p| p["installs"].as_array().into_iter().flatten())
            .filter_map(|i| i["id"].as_str().map(str::to_owned))
            .collect()
    };
    let report = run(&[&target]);
    assert_eq!(report["sources"][0]["mode"], "source");
    assert_eq!(
        ids(&report),
        BTreeSet::from(["1111111111".to_owned(), "2222222222".to_owned()]),
        "ignored, dependencies, minified and tests are left out"
    );
    let skipped: BTreeSet<&str> = report["sources"][0]["skipped"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["reason"].as_str())
        .collect();
    for reason in ["dependencies", "minified", "tests"] {
        assert!(skipped.contains(reason), "{reason} in {skipped:?}");
    }
    let kinds: Vec<&str> = report["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"missing-include"), "{kinds:?}");
    assert!(kinds.contains(&"include-cycle"), "{kinds:?}");
    // The index page renders its partial: the install is on the page, written in the partial.
    let index = report["pages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| {
            p["url"]
                .as_str()
                .is_some_and(|u| u.ends_with("templates/index.njk"))
        })
        .expect("the index page");
    assert_eq!(
        index["installs"][0]["evidence"]["source"]
            .as_str()
            .map(|s| s.ends_with("templates/partials/head.njk")),
        Some(true)
    );
    // --max-pages counts rendered pages (2 here: the partials are not), and says what it left out.
    assert_eq!(report["pages"].as_array().map(Vec::len), Some(2));
    let report = run(&["--max-pages", "1", &target]);
    assert_eq!(report["pages"].as_array().map(Vec::len), Some(1));
    let notes = report["sources"][0]["notes"].to_string();
    assert!(
        notes.contains("1 more page(s) were not audited (--max-pages 1)"),
        "{notes}"
    );
    // Globs choose files.
    let report = run(&["--exclude-path", "templates/legacy", &target]);
    assert_eq!(ids(&report), BTreeSet::from(["1111111111".to_owned()]));
    let report = run(&["--include-path", "templates/legacy/**", &target]);
    assert_eq!(ids(&report), BTreeSet::from(["2222222222".to_owned()]));
    // --mode pages reads the folder's .html files as pages, as before.
    let report = run(&["--mode", "pages", &target]);
    assert_eq!(report["sources"][0]["mode"], "pages");
    assert_eq!(ids(&report), BTreeSet::from(["3333333333".to_owned()]));
    // One source file.
    let file = root
        .join("templates/partials/head.njk")
        .to_string_lossy()
        .into_owned();
    let report = run(&[&file]);
    assert_eq!(report["sources"][0]["mode"], "source");
    assert_eq!(ids(&report), BTreeSet::from(["1111111111".to_owned()]));
    let _ = std::fs::remove_dir_all(&root);
}

/// GitHub annotations and SARIF point at the source file and line to edit, not at a page.
#[test]
fn annotations_point_at_the_partial_that_holds_the_loader() {
    let out = Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        .args([
            "scan",
            "--offline",
            "--no-progress",
            "--format",
            "github",
            "fixtures/repos/rails-fail",
        ])
        .output()
        .expect("run heap-audit");
    let text = String::from_utf8_lossy(&out.stdout);
    for at in [
        "::error file=fixtures/repos/rails-fail/app/views/layouts/_heap.html.erb,line=4,title=HA001",
        "fixtures/repos/rails-fail/app/views/shared/_marketing_tags.html.erb",
    ] {
        assert!(text.contains(at), "{at} in:\n{text}");
    }
    assert_eq!(
        out.status.code(),
        Some(1),
        "an error-level finding fails the run"
    );
    // The recommendation does not name a write key the code does not hold.
    let out = Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        .args([
            "scan",
            "--offline",
            "--no-progress",
            "fixtures/repos/rails-fail",
        ])
        .output()
        .expect("run heap-audit");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("(write key )"));
}

/// A partial found by its name in another folder (Express + Handlebars keep partials where
/// `app.js` registers them): the page that names it carries its loader.
#[test]
fn a_partial_elsewhere_in_the_repository_is_found_by_its_name() {
    let root = std::env::temp_dir().join(format!("heap-audit-hbs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for (rel, text) in [
        ("package.json", "{\"dependencies\": {\"express-handlebars\": \"^7.1.2\"}}\n"),
        ("views/home.hbs", "<!DOCTYPE html>\n<html><head>{{> analytics}}</head><body>{{{body}}}</body></html>\n"),
        ("views/shared/analytics.hbs", "<script>window.heap=window.heap||[],heap.load=function(e,t){window.heap.appid=e};\nheap.load(\"7777777777\");</script>\n"),
    ] {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let report = scan(&root);
    let pages: Vec<&Value> = report["pages"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    assert_eq!(
        pages.len(),
        1,
        "the partial is no page of its own: {pages:?}"
    );
    assert!(pages[0]["url"]
        .as_str()
        .is_some_and(|u| u.ends_with("views/home.hbs")));
    assert_eq!(pages[0]["installs"][0]["id"], "7777777777");
    assert!(
        report["problems"].as_array().is_some_and(Vec::is_empty),
        "{}",
        report["problems"]
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_repository_is_read_whole_unless_max_pages_is_given() {
    // 230 Jinja templates, each its own page: more than a crawl's default cap of 200.
    let dir =
        std::env::temp_dir().join(format!("heap-audit-many-templates-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("templates")).expect("create dir");
    for i in 1..=230 {
        let page = format!("<html><head><title>{{{{ title }}}}</title></head><body>{{% if user %}}Hi {{{{ user.name }}}}{{% endif %}} page {i}</body></html>\n");
        std::fs::write(dir.join(format!("templates/page{i}.html.j2")), page).expect("write");
    }
    let target = dir.to_string_lossy().into_owned();
    let run = |args: &[&str]| -> Value {
        let out = Command::new(env!("CARGO_BIN_EXE_heap-audit"))
            .args(["scan", "--offline", "--format", "json", "--no-progress"])
            .args(args)
            .output()
            .expect("run heap-audit");
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
    };
    let report = run(&[&target]);
    assert_eq!(report["sources"][0]["mode"], "source");
    assert_eq!(report["pages"].as_array().map(Vec::len), Some(230));
    let report = run(&["--max-pages", "200", &target]);
    assert_eq!(report["pages"].as_array().map(Vec::len), Some(200));
    let _ = std::fs::remove_dir_all(&dir);
}
