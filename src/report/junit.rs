//! JUnit XML, as GitLab, Jenkins and CircleCI read it: one `<testsuite>` per site and one
//! `<testcase>` per page and rule that ran (`classname` the page URL, `name` the rule's code and
//! name). A case fails when a finding of its rule on its page reaches the fail level; findings
//! below it go to the case's `<system-out>`. The rules of a page that could not be audited are
//! skipped, with the reason. A run without checked certificates (`--insecure`) or stopped by a
//! sign-in says so in each suite's `<system-err>`.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{self, Write};

use crate::model::{Finding, Page, ProblemKind, Report, Severity};
use crate::report::{human, RenderOptions};
use crate::rules::Rule;

/// One `<testcase>`.
struct Case<'a> {
    page: &'a str,
    rule: &'static dyn Rule,
    /// Findings at or above the fail level.
    failures: Vec<&'a Finding>,
    /// Findings below it.
    notes: Vec<&'a Finding>,
    /// Why the rule could not run on the page.
    skipped: Option<&'a str>,
}

/// Counts for a `<testsuite>` or `<testsuites>` element.
#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    skipped: usize,
}

impl Counts {
    fn add(&mut self, case: &Case) {
        self.tests += 1;
        self.failures += usize::from(!case.failures.is_empty());
        self.skipped += usize::from(case.skipped.is_some());
    }

    fn attributes(&self) -> String {
        format!(
            "tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\"",
            self.tests, self.failures, self.skipped
        )
    }
}

pub fn render(report: &Report, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    // The findings of each rule and page, in report order: each case looks its findings up.
    let mut on_page: HashMap<(&str, &str), Vec<&Finding>> = HashMap::new();
    for f in &report.findings {
        let mut seen = HashSet::new();
        for page in f.pages.iter().filter(|p| seen.insert(p.as_str())) {
            on_page
                .entry((f.code.as_str(), page.as_str()))
                .or_default()
                .push(f);
        }
    }
    // Sites in the order their first page appears, each with its cases.
    let mut suites: Vec<(&str, Vec<Case>)> = Vec::new();
    let mut suite_of: HashMap<&str, usize> = HashMap::new();
    for page in &report.pages {
        let at = *suite_of.entry(page.site.as_str()).or_insert_with(|| {
            suites.push((page.site.as_str(), Vec::new()));
            suites.len() - 1
        });
        if let Some((_, cases_of_site)) = suites.get_mut(at) {
            cases_of_site.extend(cases(&on_page, page, options));
        }
    }

    let mut total = Counts::default();
    suites
        .iter()
        .flat_map(|(_, cases)| cases)
        .for_each(|c| total.add(c));
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="heap-audit" {}>"#,
        total.attributes()
    )?;
    for (site, cases) in &suites {
        let mut counts = Counts::default();
        cases.iter().for_each(|c| counts.add(c));
        writeln!(
            out,
            r#"  <testsuite name="{}" {}>"#,
            attr(site),
            counts.attributes()
        )?;
        for case in cases {
            out.write_all(case_xml(case).as_bytes())?;
        }
        // What changes what the run is worth, and no test case carries.
        let warnings: Vec<String> = report
            .problems
            .iter()
            .filter(|p| matches!(p.kind, ProblemKind::InsecureTls | ProblemKind::AuthRequired))
            .map(|p| format!("warning: {}: {}: {}", p.kind.name(), p.url, p.message))
            .collect();
        if !warnings.is_empty() {
            writeln!(
                out,
                "    <system-err>{}</system-err>",
                text(&warnings.join("\n"))
            )?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// The cases of one page: one per rule that ran. `on_page` holds the findings of each rule code
/// and page, in report order.
fn cases<'a>(
    on_page: &HashMap<(&str, &str), Vec<&'a Finding>>,
    page: &'a Page,
    options: &RenderOptions,
) -> Vec<Case<'a>> {
    options
        .rules
        .iter()
        .map(|&rule| {
            let (failures, notes) = on_page
                .get(&(rule.code(), page.url.as_str()))
                .into_iter()
                .flatten()
                .copied()
                .partition(|f| options.fail_on.fails(f.severity));
            Case {
                page: &page.url,
                rule,
                failures,
                notes,
                skipped: page.error.as_deref(),
            }
        })
        .collect()
}

fn case_xml(case: &Case) -> String {
    let mut xml = format!(
        r#"    <testcase classname="{}" name="{} {}""#,
        attr(case.page),
        case.rule.code(),
        case.rule.name()
    );
    if case.skipped.is_none() && case.failures.is_empty() && case.notes.is_empty() {
        xml.push_str("/>\n");
        return xml;
    }
    xml.push_str(">\n");
    if let Some(reason) = case.skipped {
        let _ = writeln!(
            xml,
            r#"      <skipped message="{}"/>"#,
            attr(&format!("the page could not be audited: {reason}"))
        );
    }
    if let Some(first) = case.failures.first() {
        let body: Vec<String> = case.failures.iter().map(|f| describe(f)).collect();
        let _ = writeln!(
            xml,
            r#"      <failure message="{}" type="{}">{}</failure>"#,
            attr(&first.message),
            severity(first.severity),
            text(&body.join("\n\n"))
        );
    }
    if !case.notes.is_empty() {
        let body: Vec<String> = case.notes.iter().map(|f| describe(f)).collect();
        let _ = writeln!(
            xml,
            "      <system-out>{}</system-out>",
            text(&body.join("\n\n"))
        );
    }
    xml.push_str("    </testcase>\n");
    xml
}

/// A finding in full, for a failure's body or the system output.
fn describe(f: &Finding) -> String {
    let mut s = format!(
        "{}[{}] {}: {}",
        severity(f.severity),
        f.code,
        f.rule,
        f.message
    );
    for e in &f.evidence {
        let _ = write!(s, "\n  --> {}  {}", human::location(e), e.snippet);
    }
    let _ = write!(s, "\n  help: {}", f.help);
    s
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// Character data: markup characters escaped, characters XML 1.0 forbids replaced.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// An attribute value in double quotes; line breaks kept as character references.
fn attr(s: &str) -> String {
    text(s)
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
        .replace('\t', "&#9;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(text("a < b && c > d"), "a &lt; b &amp;&amp; c &gt; d");
        assert_eq!(
            attr("say \"hi\"\n'x'"),
            "say &quot;hi&quot;&#10;&apos;x&apos;"
        );
        assert_eq!(text("nul\u{0}bell\u{7}"), "nul\u{FFFD}bell\u{FFFD}");
    }
}
