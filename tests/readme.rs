//! The documentation stays true: `docs/cli.md` shows `heap-audit scan --help` verbatim (after
//! changing a flag, `UPDATE_README=1 cargo test --test readme` rewrites the block), the README stays
//! a short front door, and every relative link in it and in `docs/` leads to a file that exists.

mod common;

use std::path::Path;

const START: &str = "<!-- scan-help:start";
const END: &str = "<!-- scan-help:end -->";

/// Lines without trailing blanks (clap indents its blank lines; editors strip them).
fn tidy(text: &str) -> String {
    text.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_docs_show_the_real_scan_help() {
    let (code, help, stderr) = common::heap_audit(&["scan", "--help"]);
    assert_eq!(code, 0, "{stderr}");
    let help = tidy(&help);

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cli.md");
    let readme = std::fs::read_to_string(&path).expect("read docs/cli.md");
    let start = readme
        .find(START)
        .unwrap_or_else(|| panic!("docs/cli.md has no '{START} ... -->' marker"));
    let end = readme
        .find(END)
        .unwrap_or_else(|| panic!("docs/cli.md has no '{END}' marker"));
    let marker_end = start
        + readme[start..]
            .find("-->")
            .expect("the start marker closes")
        + 3;
    let block = readme[marker_end..end].trim();
    let shown = block
        .strip_prefix("```text")
        .and_then(|b| b.strip_suffix("```"))
        .map(|b| tidy(b.trim_matches('\n')))
        .unwrap_or_default();

    if shown == help {
        return;
    }
    if std::env::var_os("UPDATE_README").is_some() {
        let updated = format!(
            "{}\n```text\n{help}\n```\n{}",
            &readme[..marker_end],
            &readme[end..]
        );
        std::fs::write(&path, updated).expect("write docs/cli.md");
        eprintln!("docs/cli.md: the scan --help block was rewritten; review the diff");
        return;
    }
    let first_difference = shown
        .lines()
        .zip(help.lines())
        .position(|(a, b)| a != b)
        .unwrap_or(shown.lines().count().min(help.lines().count()));
    panic!(
        "docs/cli.md's `heap-audit scan --help` block is out of date (first difference at line {}: \
         README {:?}, real {:?}).\nRun `UPDATE_README=1 cargo test --test readme` to rewrite it, \
         then review the diff.",
        first_difference + 1,
        shown.lines().nth(first_difference).unwrap_or("<end>"),
        help.lines().nth(first_difference).unwrap_or("<end>"),
    );
}

#[test]
fn the_readme_is_a_short_front_door() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("read README.md");
    let lines = readme.lines().count();
    assert!(
        lines <= 320,
        "README.md has {lines} lines: keep it near 300 and move reference material to docs/"
    );
    for command in [
        "cargo run --release -- scan fixtures/sites/shop",
        "cargo test",
    ] {
        assert!(
            readme.contains(command),
            "the set-up command `{command}` is gone"
        );
    }
}

#[test]
fn every_relative_link_in_the_docs_leads_to_a_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md"), root.join("bench/RESULTS.md")];
    for entry in std::fs::read_dir(root.join("docs")).expect("docs/") {
        files.push(entry.expect("entry").path());
    }
    let link = regex::Regex::new(r"\]\(([^)#\s]*)(#[^)]*)?\)").unwrap();
    let mut broken = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read a doc");
        for target in link.captures_iter(&text).map(|c| c[1].to_owned()) {
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let dir = file.parent().expect("a folder");
            if !dir.join(&target).exists() {
                broken.push(format!("{}: {target}", file.display()));
            }
        }
    }
    assert!(broken.is_empty(), "links to nothing: {broken:#?}");
    assert!(files.len() > 5, "the docs are there: {files:?}");
}
