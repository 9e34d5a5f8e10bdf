//! The README shows `heap-audit scan --help` verbatim; this test keeps it so.
//! After changing a flag, `UPDATE_README=1 cargo test --test readme` rewrites the block.

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
fn the_readme_shows_the_real_scan_help() {
    let (code, help, stderr) = common::heap_audit(&["scan", "--help"]);
    assert_eq!(code, 0, "{stderr}");
    let help = tidy(&help);

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("read README.md");
    let start = readme
        .find(START)
        .unwrap_or_else(|| panic!("README.md has no '{START} ... -->' marker"));
    let end = readme
        .find(END)
        .unwrap_or_else(|| panic!("README.md has no '{END}' marker"));
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
        std::fs::write(&path, updated).expect("write README.md");
        eprintln!("README.md: the scan --help block was rewritten; review the diff");
        return;
    }
    let first_difference = shown
        .lines()
        .zip(help.lines())
        .position(|(a, b)| a != b)
        .unwrap_or(shown.lines().count().min(help.lines().count()));
    panic!(
        "README.md's `heap-audit scan --help` block is out of date (first difference at line {}: \
         README {:?}, real {:?}).\nRun `UPDATE_README=1 cargo test --test readme` to rewrite it, \
         then review the diff.",
        first_difference + 1,
        shown.lines().nth(first_difference).unwrap_or("<end>"),
        help.lines().nth(first_difference).unwrap_or("<end>"),
    );
}
