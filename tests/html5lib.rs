//! The HTML scanner (`heap_audit::extract::html::parse`) against the html5lib-tests conformance data,
//! with html5ever (the parser of Servo, used through `scraper`) as the oracle.
//!
//! The data is read from `../shared/html5lib-tests` beside the checkout (never copied into the
//! repository); the test fails when it is missing.
//!
//! # Inputs
//!
//! * Tree construction (`tree-construction/*.dat`): the `#data` of every case, as it stands and
//!   followed by a marker `<script>MARK</script>` (so a state left open is visible).
//!   `#document-fragment` cases are skipped (the scanner only reads whole documents).
//! * Tokenizer (`tokenizer/*.test`): every case's input, fed as the content of the element its
//!   initial state belongs to (`Script data state` in `<script>`, `RCDATA state` in `<title>` or
//!   the case's `lastStartTag`, `RAWTEXT state` in `<style>` or `lastStartTag`, `PLAINTEXT state`
//!   in `<plaintext>`, `CDATA section state` in `<svg><![CDATA[`), always followed by the marker.
//!   The character-reference files are also fed as the `src` of a script, where the attribute
//!   rules apply. `doubleEscaped` cases (lone surrogates) cannot be a Rust `str` and are skipped.
//!
//! # The oracle
//!
//! html5ever builds the tree with scripting **enabled** (explicit below, not left to a default):
//! the browser that matters is one that runs scripts, and there `<noscript>` content is text.
//! `#script-off` cases are also parsed with scripting disabled, see below.
//! Every element named `script` in the HTML or SVG namespace is listed in creation order (the order
//! its start tag was seen, which is execution order; tree order differs under foster parenting),
//! including those removed from the document later (a `<frameset>` replacing a body whose scripts
//! have run): html5ever creates an element only when it inserts it.
//! For each: `src` (for an SVG script `None`: SVG loads from `href`/`xlink:href`, which the scanner
//! does not read), the text (its direct text children, as the spec's "child text content"),
//! and whether it runs. It does not run when it is inside `<template>` contents, when it is a
//! classic script with `nomodule` (a modern browser), or when its `type` (or, without one, its
//! `language`) does not name JavaScript or `module`. MathML `script` elements never run and are
//! left out on both sides.
//!
//! # The mapping of the scanner's list
//!
//! * Scripts the scanner marks `in_noscript` are left out: for a browser with scripting they are
//!   text, which is what the flag says.
//! * "Runs" is `kind == Code` and not (`nomodule` and not `module`).
//! * heap-audit deliberately counts as code some types a browser does not run as they stand:
//!   consent-gated `text/plain`, `text/partytown`, `text/gtmscript`, and JavaScript MIME types
//!   with parameters (`text/javascript; charset=utf-8`). For those the oracle's answer is
//!   mapped to "runs" when the script would run under a JavaScript type.
//! * A script still open at the end of input is marked "already started" by a browser and never
//!   runs; the scanner keeps it as code on purpose (heap-audit reads bodies capped at a size, where
//!   the end tag was cut off, not left out). The tree does not record "already started", so the
//!   oracle, like the scanner, counts such a script as one that runs.
//! * Text is compared after the input stream preprocessing a browser does and the scanner does not
//!   (CR LF and CR to LF, NUL to U+FFFD) has been applied to the scanner's side; CR from a
//!   character reference (`&#13;`) is lowered to LF on both sides.
//!
//! With scripting disabled (`#script-off` cases) nothing runs, so only the `(src, text)` list of
//! script elements is compared, the scanner's `in_noscript` scripts included.
//!
//! Disagreements that cannot change what runs are listed in `ALLOWED` with the reason; any other
//! disagreement fails the test. The count of allowed ones is printed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use heap_audit::extract::html::{self, ScriptKind};
use html5ever::tendril::TendrilSink;
use html5ever::tree_builder::TreeBuilderOpts;
use html5ever::{ns, ParseOpts};
use scraper::{Html, HtmlTreeSink, Node};

/// Appended to inputs so that a tokenizer state left open shows in the script list.
const MARK: &str = "<script>MARK</script>";

/// Known disagreements: (file, case index, variant) and why it cannot change what runs.
const ALLOWED: &[(&str, usize, &str, &str)] = &[
    // After a `<col>` in template contents the template is in "in column group" mode, which drops
    // a `<script>` start tag; the scanner lists it as `Data` (template contents). Neither runs.
    ("template.dat", 38, "+mark", TEMPLATE_COL),
    ("template.dat", 70, "+mark", TEMPLATE_COL),
    ("template.dat", 71, "+mark", TEMPLATE_COL),
    ("template.dat", 73, "+mark", TEMPLATE_COL),
    ("template.dat", 74, "+mark", TEMPLATE_COL),
    ("template.dat", 75, "+mark", TEMPLATE_COL),
    ("template.dat", 89, "+mark", TEMPLATE_COL),
    // Scripting off: `<noscript><iframe></noscript>X<script>`: the iframe's raw text swallows the
    // rest; the scanner reads noscript content only up to `</noscript>`, as a browser with
    // scripting does. With scripting off nothing runs; with it on both agree.
    ("tests16.dat", 88, "script-off+mark", NOSCRIPT_OFF),
    ("tests16.dat", 185, "script-off+mark", NOSCRIPT_OFF),
];

const TEMPLATE_COL: &str =
    "script dropped in a template's column group; template scripts never run";
const NOSCRIPT_OFF: &str = "raw text past </noscript> with scripting off; nothing runs then";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    src: Option<String>,
    code: String,
    runs: bool,
}

fn data_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/html5lib-tests");
    assert!(
        dir.join("tree-construction").is_dir() && dir.join("tokenizer").is_dir(),
        "html5lib-tests data not found at {} (CI provides it beside the checkout as \
         shared/html5lib-tests; it is not copied into the repository)",
        dir.display()
    );
    dir
}

/// Browser rule: does this `type`/`language` pair name a script the browser runs?
/// Returns (runs as the browser would, is module).
fn browser_type(ty: Option<&str>, language: Option<&str>) -> (bool, bool) {
    let ty = match (ty, language) {
        (Some(t), _) => t.trim_matches(|c: char| c.is_ascii_whitespace()).to_owned(),
        (None, Some(l)) if !l.is_empty() => format!("text/{l}"),
        _ => String::new(),
    };
    let ty = ty.to_ascii_lowercase();
    if ty.is_empty() {
        return (true, false);
    }
    if ty == "module" {
        return (true, true);
    }
    (is_js_mime(&ty), false)
}

fn is_js_mime(ty: &str) -> bool {
    matches!(
        ty,
        "application/ecmascript"
            | "application/javascript"
            | "application/x-ecmascript"
            | "application/x-javascript"
            | "text/ecmascript"
            | "text/javascript"
            | "text/javascript1.0"
            | "text/javascript1.1"
            | "text/javascript1.2"
            | "text/javascript1.3"
            | "text/javascript1.4"
            | "text/javascript1.5"
            | "text/jscript"
            | "text/livescript"
            | "text/x-ecmascript"
            | "text/x-javascript"
    )
}

/// Types heap-audit counts as code although a browser does not run them as they stand.
fn heap_gated(ty: Option<&str>) -> bool {
    let Some(ty) = ty else { return false };
    let ty = ty.trim().to_ascii_lowercase();
    let essence = ty.split(';').next().unwrap_or("").trim();
    matches!(essence, "text/plain" | "text/partytown" | "text/gtmscript")
        || (ty.contains(';') && is_js_mime(essence))
}

/// The script list of html5ever's tree.
pub fn oracle(input: &str, scripting: bool) -> Vec<Seen> {
    let opts = ParseOpts {
        tree_builder: TreeBuilderOpts {
            scripting_enabled: scripting,
            ..TreeBuilderOpts::default()
        },
        ..ParseOpts::default()
    };
    let doc = html5ever::parse_document(HtmlTreeSink::new(Html::new_document()), opts).one(input);
    let mut found = Vec::new();
    // All nodes, not only those still in the document: a script that ran and was then removed
    // (a `<frameset>` replacing the body) still ran.
    for node in doc.tree.nodes() {
        let Node::Element(el) = node.value() else {
            continue;
        };
        if &*el.name.local != "script" || el.name.ns == ns!(mathml) {
            continue;
        }
        let svg = el.name.ns == ns!(svg);
        let in_template = node.ancestors().any(|a| {
            matches!(a.value(), Node::Element(e) if e.name.ns == ns!(html) && &*e.name.local == "template")
        });
        let code: String = node
            .children()
            .filter_map(|c| c.value().as_text().map(|t| t.to_string()))
            .collect();
        let ty = el.attr("type");
        let (js, module) = browser_type(ty, el.attr("language"));
        let nomodule = !module && el.attr("nomodule").is_some();
        let runs = !in_template && !nomodule && (js || heap_gated(ty));
        found.push((
            node.id(),
            Seen {
                src: if svg {
                    None
                } else {
                    el.attr("src").map(str::to_owned)
                },
                code,
                runs,
            },
        ));
    }
    found.sort_by_key(|(id, _)| *id);
    found.into_iter().map(|(_, s)| s).collect()
}

fn normalise(s: &str) -> String {
    s.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\0', "\u{fffd}")
}

/// The scanner's list, mapped as the module doc says.
pub fn scanner(input: &str, with_noscript: bool) -> Vec<Seen> {
    html::parse(input)
        .scripts
        .iter()
        .filter(|s| with_noscript || !s.in_noscript)
        .map(|s| Seen {
            src: s.src.as_deref().map(normalise),
            code: normalise(&s.code),
            runs: s.kind == ScriptKind::Code && (s.module || !s.nomodule),
        })
        .collect()
}

/// Compare one input; `None` when both agree, else a description.
pub fn compare(input: &str, scripting: bool) -> Option<String> {
    let (want, got) = if scripting {
        (oracle(input, true), scanner(input, false))
    } else {
        let strip = |v: Vec<Seen>| {
            v.into_iter()
                .map(|s| Seen { runs: false, ..s })
                .collect::<Vec<_>>()
        };
        (strip(oracle(input, false)), strip(scanner(input, true)))
    };
    let want: Vec<Seen> = want
        .into_iter()
        .map(|s| Seen {
            src: s.src.as_deref().map(normalise),
            code: normalise(&s.code),
            ..s
        })
        .collect();
    (want != got).then(|| format!("html5ever: {want:?}\n  scanner:  {got:?}"))
}

struct Case {
    file: String,
    index: usize,
    variant: &'static str,
    input: String,
    scripting: bool,
}

/// The `#data` text and the section headers of each case of a `.dat` file. A case's `#data` runs
/// to its `#errors` line (data may itself contain lines starting with `#`).
fn dat_cases(text: &str) -> Vec<(String, Vec<String>)> {
    let mut cases: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_data = false;
    for line in text.split('\n') {
        if in_data {
            if line.starts_with("#errors") {
                in_data = false;
                let case = cases.last_mut().unwrap();
                case.0.pop(); // the newline before #errors is not data
                case.1.push(line.to_owned());
            } else {
                let data = &mut cases.last_mut().unwrap().0;
                data.push_str(line);
                data.push('\n');
            }
        } else if line == "#data" {
            in_data = true;
            cases.push((String::new(), Vec::new()));
        } else if line.starts_with('#') {
            if let Some(case) = cases.last_mut() {
                case.1.push(line.to_owned());
            }
        }
    }
    assert!(!in_data, "a #data section without #errors");
    cases
}

fn tree_cases(dir: &Path, out: &mut Vec<Case>, skipped: &mut usize) {
    let mut files: Vec<_> = std::fs::read_dir(dir.join("tree-construction"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "dat"))
        .collect();
    files.sort();
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        for (index, (data, flags)) in dat_cases(&text).into_iter().enumerate() {
            if flags.iter().any(|f| f == "#document-fragment") {
                *skipped += 1;
                continue;
            }
            let off = flags.iter().any(|f| f == "#script-off");
            for (variant, input) in [
                ("as is", data.to_owned()),
                ("+mark", format!("{data}{MARK}")),
            ] {
                out.push(Case {
                    file: file.clone(),
                    index,
                    variant,
                    input: input.clone(),
                    scripting: true,
                });
                if off {
                    out.push(Case {
                        file: file.clone(),
                        index,
                        variant: if variant == "as is" {
                            "script-off"
                        } else {
                            "script-off+mark"
                        },
                        input,
                        scripting: false,
                    });
                }
            }
        }
    }
}

fn tokenizer_cases(dir: &Path, out: &mut Vec<Case>, skipped: &mut usize) {
    let mut files: Vec<_> = std::fs::read_dir(dir.join("tokenizer"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "test"))
        .collect();
    files.sort();
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let Some(tests) = json.get("tests").and_then(|t| t.as_array()) else {
            continue;
        };
        let entities = file.contains("ntities");
        for (index, test) in tests.iter().enumerate() {
            if test.get("doubleEscaped").and_then(|d| d.as_bool()) == Some(true) {
                *skipped += 1;
                continue;
            }
            let input = test["input"].as_str().unwrap();
            let last = test.get("lastStartTag").and_then(|l| l.as_str());
            let states: Vec<&str> = test
                .get("initialStates")
                .and_then(|s| s.as_array())
                .map(|s| s.iter().filter_map(|s| s.as_str()).collect())
                .unwrap_or_else(|| vec!["Data state"]);
            for state in states {
                let (variant, wrapped) = match state {
                    "Data state" => ("data", input.to_owned()),
                    "Script data state" => ("script data", format!("<script>{input}")),
                    "RCDATA state" => ("rcdata", format!("<{}>{input}", last.unwrap_or("title"))),
                    "RAWTEXT state" => ("rawtext", format!("<{}>{input}", last.unwrap_or("style"))),
                    "PLAINTEXT state" => ("plaintext", format!("<plaintext>{input}")),
                    "CDATA section state" => ("cdata", format!("<svg><![CDATA[{input}")),
                    other => panic!("{file} case {index}: unknown state {other}"),
                };
                out.push(Case {
                    file: file.clone(),
                    index,
                    variant,
                    input: format!("{wrapped}{MARK}"),
                    scripting: true,
                });
            }
            if entities && !input.contains('"') {
                out.push(Case {
                    file: file.clone(),
                    index,
                    variant: "src",
                    input: format!("<script src=\"{input}\"></script>"),
                    scripting: true,
                });
            }
        }
    }
}

#[test]
fn html5lib_tests_agree_on_what_runs() {
    let dir = data_dir();
    let mut cases = Vec::new();
    let mut skipped = 0;
    tree_cases(&dir, &mut cases, &mut skipped);
    tokenizer_cases(&dir, &mut cases, &mut skipped);
    assert!(cases.len() > 5000, "too few cases read: {}", cases.len());
    let allowed: BTreeMap<(&str, usize, &str), &str> = ALLOWED
        .iter()
        .map(|&(f, i, v, why)| ((f, i, v), why))
        .collect();
    let mut failures = Vec::new();
    let mut allowed_seen = 0;
    let mut with_scripts = 0;
    for case in &cases {
        if !oracle(&case.input, case.scripting).is_empty() {
            with_scripts += 1;
        }
        let Some(diff) = compare(&case.input, case.scripting) else {
            continue;
        };
        if allowed.contains_key(&(case.file.as_str(), case.index, case.variant)) {
            allowed_seen += 1;
            continue;
        }
        failures.push(format!(
            "{} #{} ({}): {:?}\n  {diff}",
            case.file, case.index, case.variant, case.input
        ));
    }
    println!(
        "html5lib: {} inputs compared ({with_scripts} with script elements), {} agree, \
         {allowed_seen} allow-listed differences, {} failures, {skipped} cases skipped",
        cases.len(),
        cases.len() - allowed_seen - failures.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

mod differential {
    //! Documents put together from pieces that decide what runs, cut at a random point, against
    //! the same oracle and mapping as above (scripting on).
    //!
    //! One known gap is kept out of the pieces: an HTML end tag inside SVG/MathML content. The
    //! scanner keeps no stack of HTML elements: for common containers (`div`, `span`, `td`, ...)
    //! it assumes the element is open around the SVG (`<div><svg></div>` closes the SVG), for
    //! other names that it is not; a stray `</div>`, or `</foreignObject>` closing an HTML
    //! `foreignObject` element from inside `<math>`, goes the other way in a browser. So the pieces
    //! hold no end tag of such containers (a unit test in `html.rs` covers `<div><svg></div>`), and
    //! `foreignObject`, `desc`, `mi` come inside their `<svg>`/`<math>`.
    use proptest::prelude::*;

    const PIECES: &[&str] = &[
        "<!-->",
        "<!--->",
        "<!--",
        "-->",
        "--!>",
        "<!-- x -->",
        "<!x>",
        "<?php x ?>",
        "<![CDATA[",
        "]]>",
        "<template>",
        "</template>",
        "<noscript>",
        "</noscript>",
        "<svg>",
        "</svg>",
        "<math>",
        "</math>",
        "<math><mi>",
        "<svg><foreignObject>",
        "</foreignObject>",
        "<title>",
        "</title>",
        "<style>",
        "</style>",
        "<textarea>",
        "</textarea>",
        "<svg><desc>",
        "<div>",
        "<p>",
        "</p>",
        "<table>",
        "<b>",
        "</script>",
        "</script",
        "</scriptx>",
        "</SCRIPT >",
        "</script a='>'>",
        "<script>",
        "<!--<script>",
        "x",
        " ",
        "\n",
        ">",
        "<",
        "&amp;",
        "heap.load(1)",
        "<iframe>",
        "</iframe>",
        "<xmp>",
        "</xmp>",
        "<plaintext>",
        "<frameset>",
        "<body>",
    ];

    const SRCS: &[&str] = &[
        "/heap.js",
        "https&colon;&sol;&sol;cdn.heapanalytics.com&sol;js&sol;heap-1.js",
        "/a?x=1&amp;y=2",
        "/a?x=1&copy=2&ampz",
        "/a&#47;b&#x2F;c&lt",
        "&NewLine;/x",
        "'/q'",
    ];

    const TYPES: &[&str] = &[
        "",
        "text/javascript",
        "module",
        "application/ld+json",
        "text/plain",
        "text/template",
        " TEXT/JAVASCRIPT ",
    ];

    fn script() -> impl Strategy<Value = String> {
        (
            proptest::option::of(0..SRCS.len()),
            proptest::option::of(0..TYPES.len()),
            any::<bool>(),
            any::<bool>(),
            0..4usize,
        )
            .prop_map(|(src, ty, nomodule, upper, body)| {
                let mut tag = String::from(if upper { "<SCRIPT" } else { "<script" });
                if let Some(src) = src {
                    tag.push_str(&format!(" src=\"{}\"", SRCS[src]));
                }
                if let Some(ty) = ty {
                    tag.push_str(&format!(" type='{}'", TYPES[ty]));
                }
                if nomodule {
                    tag.push_str(" nomodule");
                }
                tag.push('>');
                tag.push_str(["", "heap.load(\"1\")", "a<b", "<!--x-->"][body]);
                tag.push_str("</script>");
                tag
            })
    }

    fn document() -> impl Strategy<Value = (Vec<String>, usize)> {
        let piece = prop_oneof![
            3 => (0..PIECES.len()).prop_map(|i| PIECES[i].to_owned()),
            1 => script(),
        ];
        (prop::collection::vec(piece, 0..16), any::<usize>())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]
        #[test]
        fn same_scripts_as_html5ever((pieces, cut) in document()) {
            let html = pieces.concat();
            // Cut at a random char boundary (the whole document included).
            let cuts: Vec<usize> = html.char_indices().map(|(i, _)| i).chain([html.len()]).collect();
            let html = &html[..cuts[cut % cuts.len()]];
            if let Some(diff) = super::compare(html, true) {
                prop_assert!(false, "{html:?}\n  {diff}");
            }
        }
    }
}
