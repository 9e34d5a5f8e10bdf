//! JUnit XML, as GitLab, Jenkins and CircleCI read it: one `<testsuite>` per site and one
//! `<testcase>` per page and rule that ran (`classname` the page URL, `name` the rule's code and
//! name), and per mobile app or service and rule about it (`classname` the app's folder). A case fails when a finding of its rule on its page reaches the fail level; findings
//! below it go to the case's `<system-out>`. The rules of a page that could not be audited are
//! skipped, with the reason. A run without checked certificates (`--insecure`) or stopped by a
//! sign-in says so in each suite's `<system-err>`.

use crate::hashing::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{self, Write};

use crate::model::{Finding, Page, ProblemKind, Report, Severity};
use crate::report::{human, RenderOptions};
use crate::rules::Rule;

/// A finding with its evidence by source, worked out once: each page's case lists the evidence
/// on its own page, not the finding's evidence on every page.
struct Located<'a> {
    finding: &'a Finding,
    /// Evidence on each page of the finding.
    on: HashMap<&'a str, Vec<&'a crate::model::Evidence>>,
    /// Evidence elsewhere (a script or container the pages load).
    elsewhere: Vec<&'a crate::model::Evidence>,
}

impl<'a> Located<'a> {
    fn new(finding: &'a Finding) -> Located<'a> {
        let pages: HashSet<&str> = finding.pages.iter().map(String::as_str).collect();
        let mut located = Located {
            finding,
            on: HashMap::default(),
            elsewhere: Vec::new(),
        };
        for e in &finding.evidence {
            if pages.contains(e.source.as_str()) {
                located.on.entry(e.source.as_str()).or_default().push(e);
            } else {
                located.elsewhere.push(e);
            }
        }
        located
    }
}

/// One `<testcase>`.
struct Case<'a> {
    page: &'a str,
    rule: &'static dyn Rule,
    /// Findings at or above the fail level.
    failures: Vec<&'a Located<'a>>,
    /// Findings below it.
    notes: Vec<&'a Located<'a>>,
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
    let located: Vec<Located> = report.findings.iter().map(Located::new).collect();
    let mut on_page: HashMap<(&str, &str), Vec<&Located>> = HashMap::default();
    for located in &located {
        let f = located.finding;
        let mut seen = HashSet::default();
        for page in f.pages.iter().filter(|p| seen.insert(p.as_str())) {
            on_page
                .entry((f.code.as_str(), page.as_str()))
                .or_default()
                .push(located);
        }
    }
    // Sites in the order their first page appears, each with its cases.
    let mut suites: Vec<(&str, Vec<Case>)> = Vec::new();
    let mut suite_of: HashMap<&str, usize> = HashMap::default();
    for page in &report.pages {
        let at = *suite_of.entry(page.site.as_str()).or_insert_with(|| {
            suites.push((page.site.as_str(), Vec::new()));
            suites.len() - 1
        });
        if let Some((_, cases_of_site)) = suites.get_mut(at) {
            cases_of_site.extend(cases(&on_page, page, options));
        }
    }
    // Apps and services (not pages): a case per app and rule about its kind, in the suite of
    // their target (a suite of its own when the target has no page).
    for source in &report.sources {
        for app in &source.apps {
            let target = source.target.trim_end_matches('/');
            let at = match suites
                .iter()
                .position(|(site, _)| site.trim_end_matches('/') == target)
            {
                Some(at) => at,
                None => {
                    suites.push((source.target.as_str(), Vec::new()));
                    suites.len() - 1
                }
            };
            if let Some((_, cases_of_site)) = suites.get_mut(at) {
                cases_of_site.extend(app_cases(&on_page, app, options));
            }
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
        let covered: Vec<&crate::model::Coverage> = report
            .coverage
            .iter()
            .filter(|c| suite_of_target(&suites, &c.target) == Some(*site))
            .collect();
        if !covered.is_empty() {
            writeln!(out, "    <properties>")?;
            for c in covered {
                let mut lines = vec![human::coverage_line(c)];
                lines.extend(human::sampled_lines(c));
                for (name, value) in [
                    ("coverage", lines.join("; ")),
                    ("coverage.pages_audited", c.pages_audited.to_string()),
                    ("coverage.pages_found", c.pages_found.to_string()),
                    ("coverage.stopped_by", c.stopped_by.join(",")),
                ] {
                    if value.is_empty() {
                        continue;
                    }
                    writeln!(
                        out,
                        r#"      <property name="{name}" value="{}"/>"#,
                        attr(&value)
                    )?;
                }
            }
            writeln!(out, "    </properties>")?;
        }
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

/// The suite (site) a target's coverage belongs to: the site named as the target (a folder), or
/// of its origin (a crawl); else the first suite.
fn suite_of_target<'a>(suites: &[(&'a str, Vec<Case>)], target: &str) -> Option<&'a str> {
    let origin = url::Url::parse(target)
        .ok()
        .map(|u| u.origin().ascii_serialization());
    suites
        .iter()
        .map(|(site, _)| *site)
        .find(|site| {
            *site == target
                || site.trim_end_matches('/') == target.trim_end_matches('/')
                || origin.as_deref() == Some(*site)
        })
        .or_else(|| suites.first().map(|(site, _)| *site))
}

/// The cases of one page: one per rule that ran. `on_page` holds the findings of each rule code
/// and page, in report order.
fn cases<'a>(
    on_page: &HashMap<(&str, &str), Vec<&'a Located<'a>>>,
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
                .partition(|l| options.fail_on.fails(l.finding.severity));
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

/// The cases of one app or service: one per rule about its kind that ran (`classname` its folder,
/// as its findings name it).
fn app_cases<'a>(
    on_page: &HashMap<(&str, &str), Vec<&'a Located<'a>>>,
    app: &'a crate::model::App,
    options: &RenderOptions,
) -> Vec<Case<'a>> {
    options
        .rules
        .iter()
        .filter(|rule| crate::rules::apps::rule_applies(rule.code(), app))
        .map(|&rule| {
            let (failures, notes) = on_page
                .get(&(rule.code(), app.path.as_str()))
                .into_iter()
                .flatten()
                .copied()
                .partition(|l| options.fail_on.fails(l.finding.severity));
            Case {
                page: &app.path,
                rule,
                failures,
                notes,
                skipped: None,
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
    if let Some(first) = case.failures.first().map(|l| l.finding) {
        let body: Vec<String> = case
            .failures
            .iter()
            .map(|l| describe(l, case.page))
            .collect();
        let _ = writeln!(
            xml,
            r#"      <failure message="{}" type="{}">{}</failure>"#,
            attr(&first.message),
            severity(first.severity),
            text(&body.join("\n\n"))
        );
    }
    if !case.notes.is_empty() {
        let body: Vec<String> = case.notes.iter().map(|l| describe(l, case.page)).collect();
        let _ = writeln!(
            xml,
            "      <system-out>{}</system-out>",
            text(&body.join("\n\n"))
        );
    }
    xml.push_str("    </testcase>\n");
    xml
}

/// Evidence listed in one page's case at most: a finding across thousands of pages has evidence
/// on each, and repeating all of it in every page's case made the file grow with the square of
/// the pages.
const MOST_EVIDENCE: usize = 5;

/// A finding as it concerns one page, for a failure's body or the system output: its evidence on
/// that page first (then elsewhere, in scripts or containers the page loads), at most
/// [`MOST_EVIDENCE`] of it.
fn describe(located: &Located, page: &str) -> String {
    let f = located.finding;
    let mut s = format!(
        "{}[{}] {}: {}",
        severity(f.severity),
        f.code,
        f.rule,
        f.message
    );
    let here = located.on.get(page).into_iter().flatten();
    let mut shown = 0;
    for e in here.chain(&located.elsewhere).take(MOST_EVIDENCE) {
        let _ = write!(s, "\n  --> {}  {}", human::location(e), e.snippet);
        shown += 1;
    }
    let more = f.evidence.len() - shown;
    if more > 0 {
        let locations = if more == 1 { "location" } else { "locations" };
        let _ = write!(
            s,
            "\n  ({more} more {locations} on other pages or past the first {MOST_EVIDENCE}: see the JSON report)"
        );
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

    use crate::model::Evidence;
    use crate::rules::common::testing;

    /// One finding on `n` pages with evidence on each, rendered.
    fn junit_of(n: usize) -> String {
        let pages: Vec<_> = (0..n)
            .map(|i| testing::page(&format!("/p{i}"), Vec::new()))
            .collect();
        let mut report = testing::report(pages);
        let urls: Vec<String> = report.pages.iter().map(|p| p.url.clone()).collect();
        report.findings.push(Finding {
            rule: "app-id-mismatch".into(),
            code: "HA003".into(),
            severity: Severity::Error,
            message: "ids differ".into(),
            help: "use one".into(),
            evidence: urls
                .iter()
                .map(|u| Evidence {
                    source: u.clone(),
                    line: Some(3),
                    snippet: "heap.load(\"1\")".into(),
                    signature: "heap-load".into(),
                    tag: None,
                    offset: None,
                })
                .collect(),
            pages: urls,
            related_total: None,
            cause: None,
            parts: Vec::new(),
        });
        let options = RenderOptions {
            color: false,
            fail_on: crate::report::FailOn::Error,
            rules: crate::rules::RULES,
            min_coverage: None,
        };
        let mut out = Vec::new();
        let rendered = render(&report, &options, &mut out);
        assert!(rendered.is_ok());
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn a_page_case_lists_its_own_evidence_and_the_file_grows_linearly() {
        let small = junit_of(100);
        let big = junit_of(400);
        // Each page's failure names its own line, not the 99 others.
        let case = small
            .split("<testcase classname=\"https://www.example.com/p7\" name=\"HA003")
            .nth(1)
            .and_then(|rest| rest.split("</testcase>").next())
            .unwrap_or_default();
        assert!(
            case.contains("--&gt; https://www.example.com/p7:3"),
            "{case}"
        );
        assert_eq!(case.matches("--&gt;").count(), 1, "{case}");
        assert!(case.contains("99 more locations"), "{case}");
        // Four times the pages, about four times the bytes (it was sixteen).
        let ratio = big.len() as f64 / small.len() as f64;
        assert!(ratio < 4.5, "{ratio}");
    }
}
