//! SARIF 2.1.0, for code scanning dashboards (GitHub code scanning and others): one run, the rules
//! as `tool.driver.rules`, one result per finding located at its first piece of evidence.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::model::{Evidence, Finding, Report, Severity};
use crate::rules::RULES;

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.code(),
                "name": r.name(),
                "shortDescription": { "text": r.summary() },
                "fullDescription": { "text": r.doc() },
                "help": { "text": r.doc(), "markdown": r.doc() },
                "defaultConfiguration": { "level": level(r.severity()) },
            })
        })
        .collect();
    let results: Vec<Value> = report.findings.iter().map(result).collect();
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "heap-audit",
                "version": report.tool.version,
                "rules": rules,
            }},
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &sarif)?;
    writeln!(out)
}

fn result(f: &Finding) -> Value {
    let index = RULES.iter().position(|r| r.code() == f.code);
    let mut locations = f.evidence.iter().map(location);
    let first = locations.next();
    let mut result = json!({
        "ruleId": f.code,
        "level": level(f.severity),
        "message": { "text": format!("{} ({}): {}\nhelp: {}", f.rule, f.code, f.message, f.help) },
        "locations": first.into_iter().collect::<Vec<_>>(),
        "relatedLocations": locations.collect::<Vec<_>>(),
        "properties": { "pages": f.pages },
    });
    if let Some(i) = index {
        result["ruleIndex"] = json!(i);
    }
    result
}

fn location(e: &Evidence) -> Value {
    let mut physical = json!({ "artifactLocation": { "uri": e.source } });
    if let Some(line) = e.line {
        physical["region"] = json!({ "startLine": line, "snippet": { "text": e.snippet } });
    }
    let mut loc = json!({ "physicalLocation": physical });
    if let Some(tag) = &e.tag {
        loc["message"] = json!({ "text": tag });
    }
    loc
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}
