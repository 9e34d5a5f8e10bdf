//! The layering of `src/lib.rs`, kept by a test: the core (every module but the command line's)
//! never names a command-line module or crate, and the core's modules import each other in one
//! direction only (no cycle).
//!
//! Imports are read from the source text: `crate::name` paths and the names inside
//! `use crate::{…}` groups, with `//` comments left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;

/// The command line's modules: they may use the core, never the reverse.
const CLI: &[&str] = &["cli", "config", "init", "progress", "main"];
/// Crates only the command line may use.
const CLI_CRATES: &[&str] = &["clap", "clap_complete", "clap_mangen", "indicatif"];

/// Top-level module name → the other top-level modules it names, and the crates it uses.
type Graph = BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src/") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// What each top-level module of `src/` imports.
fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let comment = Regex::new(r"(?m)(^|\s)//.*$").unwrap();
    let path = Regex::new(r"\bcrate::([a-z_]+)").unwrap();
    let group = Regex::new(r"use\s+crate::\{").unwrap();
    let external = Regex::new(r"(?m)(?:^\s*use\s+|[^:\w])([a-z_]+)::").unwrap();
    let mut graph = Graph::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("under src/");
        let first = relative.iter().next().expect("a file").to_string_lossy();
        let module = first.trim_end_matches(".rs").to_owned();
        let text = std::fs::read_to_string(&file).expect("read a source file");
        let text = comment.replace_all(&text, "$1");
        let (modules, crates) = graph.entry(module.clone()).or_default();
        modules.extend(path.captures_iter(&text).map(|c| c[1].to_owned()));
        for m in group.find_iter(&text) {
            modules.extend(group_names(&text[m.end()..]));
        }
        crates.extend(external.captures_iter(&text).map(|c| c[1].to_owned()));
        modules.remove(&module);
    }
    graph
}

/// The first-level names of a `use crate::{…}` group, given the text after its `{`.
fn group_names(rest: &str) -> Vec<String> {
    let (mut depth, mut names, mut word, mut first) = (1, Vec::new(), String::new(), true);
    for c in rest.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 1 => break,
            '}' => depth -= 1,
            ',' if depth == 1 => first = true,
            c if depth == 1 && first && (c.is_ascii_alphanumeric() || c == '_') => word.push(c),
            _ => {
                if !word.is_empty() {
                    names.push(std::mem::take(&mut word));
                    first = false;
                }
            }
        }
    }
    names.extend((!word.is_empty()).then_some(word));
    names
}

#[test]
fn the_reader_of_imports_sees_what_is_there() {
    let graph = graph();
    // A test that can fail: these imports exist, so a reader that misses them is broken.
    assert!(graph["audit"].0.contains("scan"), "{:?}", graph["audit"]);
    assert!(graph["main"].1.contains("clap"), "{:?}", graph["main"].1);
    assert!(graph["cli"].0.contains("options"), "{:?}", graph["cli"].0);
    assert_eq!(
        group_names(" model::{Finding, Report}, rules::{self, Rule}, advise };"),
        ["model", "rules", "advise"]
    );
}

#[test]
fn the_core_never_names_the_command_line() {
    let graph = graph();
    let mut wrong = Vec::new();
    for (module, (modules, crates)) in graph.iter().filter(|(m, _)| !CLI.contains(&m.as_str())) {
        for cli in modules.iter().filter(|m| CLI.contains(&m.as_str())) {
            wrong.push(format!("{module} names crate::{cli}"));
        }
        for krate in crates.iter().filter(|c| CLI_CRATES.contains(&c.as_str())) {
            wrong.push(format!("{module} uses the {krate} crate"));
        }
    }
    assert!(
        wrong.is_empty(),
        "the core must not depend on the CLI: {wrong:#?}"
    );
}

#[test]
fn the_core_modules_import_each_other_in_one_direction() {
    let graph = graph();
    let core: BTreeMap<&str, Vec<&str>> = graph
        .iter()
        .filter(|(m, _)| !CLI.contains(&m.as_str()) && m.as_str() != "lib")
        .map(|(m, (modules, _))| {
            let deps = modules
                .iter()
                .map(String::as_str)
                .filter(|d| graph.contains_key(*d))
                .collect();
            (m.as_str(), deps)
        })
        .collect();
    // Depth-first search; a module met again while still on the path closes a cycle.
    fn visit<'a>(
        m: &'a str,
        core: &BTreeMap<&'a str, Vec<&'a str>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(at) = path.iter().position(|p| *p == m) {
            let mut cycle = path[at..].to_vec();
            cycle.push(m);
            return Some(cycle);
        }
        if !done.insert(m) {
            return None;
        }
        path.push(m);
        for dep in core.get(m).into_iter().flatten() {
            if let Some(cycle) = visit(dep, core, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for module in core.keys() {
        let cycle = visit(module, &core, &mut Vec::new(), &mut done);
        assert!(
            cycle.is_none(),
            "import cycle: {}",
            cycle.unwrap().join(" -> ")
        );
    }
}
