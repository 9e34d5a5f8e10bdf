//! SARIF 2.1.0, for code scanning dashboards (GitHub code scanning and others): one run, every rule
//! as `tool.driver.rules` (so `ruleIndex` is the rule's place in [`RULES`]), one result per finding.
//!
//! A result is located where it can be opened: at a line of a local file when the target is a
//! build folder (a relative path, based on `%SRCROOT%`, the folder heap-audit ran in), otherwise at
//! the page's URL: the finding's primary location (its first evidence) when that is a line of a
//! local file. The rest of the evidence is in `relatedLocations` (at most
//! [`Finding::RELATED_SHOWN`], with `properties.relatedTotal` when more were left out). Pages that could not be
//! audited are tool execution notifications. `partialFingerprints` identify a finding across runs
//! whatever its wording.

use crate::hashing::HashSet;
use std::io::{self, Write};

use serde_json::{json, Value};

use crate::baseline;
use crate::model::{Evidence, Finding, Report, Severity};
use crate::rules::{Rule, RULES};

/// The base of relative paths in `artifactLocation`s: the repository (or folder) heap-audit ran in.
const SRCROOT: &str = "%SRCROOT%";

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let rules: Vec<Value> = RULES.iter().map(|r| rule(*r)).collect();
    let index = baseline::Index::of(report);
    let results: Vec<Value> = report.findings.iter().map(|f| result(&index, f)).collect();
    let notifications: Vec<Value> = report
        .problems
        .iter()
        .map(|p| {
            json!({
                "level": "warning",
                "message": { "text": p.message },
                "locations": [{ "physicalLocation": { "artifactLocation": artifact(&p.url) } }],
            })
        })
        .collect();
    let mut properties = json!({
        "coverage": report.coverage,
        "coverageText": super::human::coverage_lines(report),
    });
    // `--render`: what the browser did, and the same in words.
    if let Some(render) = &report.render {
        properties["render"] = json!(render);
        properties["renderText"] = json!(super::human::render_line(render));
    }
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "heap-audit",
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
            // How much of each target was audited (as in the JSON report's `coverage`), and
            // the same in words.
            "properties": properties,
        }],
    });
    super::json::write(out, &sarif, true)
}

fn rule(r: &dyn Rule) -> Value {
    let doc = r.doc();
    json!({
        "id": r.code(),
        "name": r.name(),
        "shortDescription": { "text": r.summary() },
        "fullDescription": { "text": what_it_does(&doc).unwrap_or_else(|| r.summary().to_owned()) },
        "help": { "text": doc, "markdown": doc },
        "defaultConfiguration": { "level": level(r.severity()) },
        "properties": { "tags": ["heap", "analytics"] },
    })
}

/// The paragraph under the rule documentation's `## What it does`, joined into one line.
fn what_it_does(doc: &str) -> Option<String> {
    let section = doc.split("## What it does").nth(1)?;
    let paragraph = section
        .split("\n\n")
        .find(|p| !p.trim().is_empty())?
        .split("\n#")
        .next()?;
    let text = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

fn result(index: &baseline::Index, f: &Finding) -> Value {
    let primary = primary(f);
    let related: Vec<Value> = f
        .evidence
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != primary)
        .map(|(i, e)| {
            let mut loc = location(e);
            loc["id"] = json!(i);
            loc
        })
        .collect();
    let location = match primary.and_then(|i| f.evidence.get(i)) {
        Some(e) => location(e),
        // No evidence on a page or local file: the page itself.
        None => json!({ "physicalLocation": {
            "artifactLocation": artifact(f.pages.first().map_or("", String::as_str)),
        }}),
    };
    let mut result = json!({
        "ruleId": f.code,
        "level": level(f.severity),
        "message": { "text": format!("{}\nhelp: {}", f.message, f.help) },
        "locations": [location],
        "partialFingerprints": { "heapAuditFinding/v1": baseline::identity(index, f) },
        "properties": { "pages": f.pages },
    });
    if let Some(total) = f.related_total {
        result["properties"]["relatedTotal"] = json!(total);
    }
    if !related.is_empty() {
        result["relatedLocations"] = json!(related);
    }
    if let Some(i) = RULES.iter().position(|r| r.code() == f.code) {
        result["ruleIndex"] = json!(i);
    }
    result
}

/// The evidence a result is shown at: the finding's primary location (its first evidence: the
/// line to change) when it is a line of a local file, then a local file line on one of the
/// finding's pages (it annotates the code), then any local file line, then evidence on one of the
/// finding's pages.
fn primary(f: &Finding) -> Option<usize> {
    let pages: HashSet<&str> = f.pages.iter().map(String::as_str).collect();
    let on_page = |e: &Evidence| pages.contains(e.source.as_str());
    let local = |e: &Evidence| !is_url(&e.source);
    let first = f.evidence.first().filter(|e| local(e) && e.line.is_some());
    first
        .map(|_| 0)
        .or_else(|| {
            f.evidence
                .iter()
                .position(|e| local(e) && e.line.is_some() && on_page(e))
        })
        .or_else(|| f.evidence.iter().position(|e| local(e) && e.line.is_some()))
        .or_else(|| f.evidence.iter().position(on_page))
}

fn location(e: &Evidence) -> Value {
    let mut physical = json!({ "artifactLocation": artifact(&e.source) });
    if let Some(line) = e.line.filter(|l| *l > 0) {
        physical["region"] = json!({ "startLine": line, "snippet": { "text": e.snippet } });
    }
    let mut loc = json!({ "physicalLocation": physical });
    if let Some(tag) = &e.tag {
        loc["message"] = json!({ "text": tag });
    }
    loc
}

/// A URL as it is; a local path as a relative URI reference from `%SRCROOT%`, or a `file://` URI
/// when absolute.
fn artifact(source: &str) -> Value {
    if is_url(source) {
        return json!({ "uri": source });
    }
    let path = source.replace('\\', "/");
    let encoded = encode_path(&path);
    if path.starts_with('/') {
        json!({ "uri": format!("file://{encoded}") })
    } else {
        json!({ "uri": encoded.trim_start_matches("./"), "uriBaseId": SRCROOT })
    }
}

fn is_url(source: &str) -> bool {
    source.contains("://")
}

/// Percent-encode what a URI path cannot hold (spaces, `%`, `#`, `?`, non-ASCII).
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifacts() {
        assert_eq!(
            artifact("dist/a b/index.html"),
            json!({ "uri": "dist/a%20b/index.html", "uriBaseId": "%SRCROOT%" })
        );
        assert_eq!(
            artifact("/srv/site/index.html"),
            json!({ "uri": "file:///srv/site/index.html" })
        );
        assert_eq!(
            artifact("https://shop.example/?q=1"),
            json!({ "uri": "https://shop.example/?q=1" })
        );
    }

    #[test]
    fn what_it_does_is_the_first_paragraph() {
        let doc = "## What it does\nFlags a page\non which.\n\nMore.\n## Why\nx";
        assert_eq!(what_it_does(doc).as_deref(), Some("Flags a page on which."));
        assert_eq!(what_it_does("no sections"), None);
    }
}
