//! The Markdown format: a compact report for a pull request comment, a support ticket or a GitHub
//! Actions job summary: a summary line, the installs of each page as a table, the findings grouped
//! by rule, the recommendation with its reasons and steps, and the problems.

use std::io::{self, Write};

use crate::model::{Finding, Page, Report, Severity};
use crate::report::human;

/// At most this many pages or pieces of evidence are listed per finding; the rest are counted.
const LIST_LIMIT: usize = 3;

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## heap-audit\n")?;
    writeln!(out, "{}\n", summary_line(report))?;
    let coverage = human::coverage_lines(report);
    if !coverage.is_empty() {
        for line in &coverage {
            // Sampled patterns are indented under their target: a nested item.
            match line.strip_prefix("  ") {
                Some(line) => writeln!(out, "  - {}", text(line))?,
                None => writeln!(out, "- Coverage: {}", text(line))?,
            }
        }
        writeln!(out)?;
    }
    render_installs(report, out)?;
    super::apps::markdown(report, out)?;
    render_findings(&report.findings, out)?;
    if let Some(rec) = &report.recommendation {
        writeln!(
            out,
            "### Recommendation: install Heap {}\n",
            text(human::install_path(&rec.install_path))
        )?;
        if !rec.reasons.is_empty() {
            writeln!(out, "Why:\n")?;
            for reason in &rec.reasons {
                writeln!(out, "- {}", text(reason))?;
            }
            writeln!(out)?;
        }
        if !rec.steps.is_empty() {
            writeln!(out, "Steps:\n")?;
            for (n, step) in rec.steps.iter().enumerate() {
                writeln!(out, "{}. {}", n + 1, text(step))?;
            }
            writeln!(out)?;
        }
    }
    if !report.problems.is_empty() {
        writeln!(out, "### Problems ({})\n", report.problems.len())?;
        writeln!(out, "| URL | kind | message |\n|---|---|---|")?;
        for problem in &report.problems {
            let kind = problem.kind.name();
            writeln!(
                out,
                "| {} | {} | {} |",
                code(&problem.url),
                cell(&kind),
                cell(&human::once(&problem.message, &problem.url))
            )?;
        }
        writeln!(out)?;
    }
    if !report.unverified.is_empty() {
        writeln!(out, "### Not verified ({})\n", report.unverified.len())?;
        for u in &report.unverified {
            let reason = human::once(&u.reason, &u.url);
            writeln!(out, "- {} {}: {}", u.kind, code(&u.url), text(&reason))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// `**5 pages** audited (0 failed to load, 5 with Heap) · **4 findings**: 2 errors, 2 info · ...`
fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let count = |severity| {
        report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    };
    let by_severity: Vec<String> = [
        (Severity::Error, "error", "errors"),
        (Severity::Warning, "warning", "warnings"),
        (Severity::Info, "info", "info"),
    ]
    .into_iter()
    .filter_map(|(severity, one, many)| {
        let n = count(severity);
        (n > 0).then(|| format!("{n} {}", if n == 1 { one } else { many }))
    })
    .collect();
    let mut findings = if by_severity.is_empty() {
        "**no findings**".to_owned()
    } else {
        format!(
            "**{}**: {}",
            plural(s.findings, "finding", "findings"),
            by_severity.join(", ")
        )
    };
    if s.suppressed > 0 {
        findings.push_str(&format!(" ({} suppressed)", s.suppressed));
    }
    let ids = if s.heap_app_ids.is_empty() {
        "none".to_owned()
    } else {
        s.heap_app_ids
            .iter()
            .map(|id| code(id))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "**{}** audited ({} failed to load, {} with Heap) · {findings} · {} · Heap app ids: {ids}",
        plural(s.pages_audited, "page", "pages"),
        s.pages_failed,
        s.pages_with_heap,
        plural(s.problems, "problem", "problems"),
    )
}

fn render_installs(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if report.pages.is_empty() {
        return Ok(());
    }
    writeln!(out, "### Installs per page\n")?;
    writeln!(
        out,
        "| page | vendor | id | how | details |\n|---|---|---|---|---|"
    )?;
    for page in &report.pages {
        render_page(page, out)?;
    }
    writeln!(out)
}

fn render_page(page: &Page, out: &mut dyn Write) -> io::Result<()> {
    let url = code(&page.url);
    if let Some(error) = &page.error {
        let error = human::once(error, &page.url);
        return writeln!(out, "| {url} | | | | error: {} |", cell(&error));
    }
    if page.installs.is_empty() {
        return writeln!(
            out,
            "| {url} | | | | no Heap, Segment or tag manager found |"
        );
    }
    for (n, install) in page.installs.iter().enumerate() {
        let mut details = human::details(install);
        if !install.active {
            let reason = install.inactive_reason.as_deref().unwrap_or("not loaded");
            details.insert(0, format!("inactive: {reason}"));
        }
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            if n == 0 { url.as_str() } else { "" },
            install.vendor.as_str(),
            install
                .id
                .as_deref()
                .map(code)
                .unwrap_or_else(|| "?".into()),
            cell(&human::how(install)),
            cell(&details.join(", "))
        )?;
    }
    Ok(())
}

/// Findings grouped by rule (they arrive sorted by severity, then rule).
fn render_findings(findings: &[Finding], out: &mut dyn Write) -> io::Result<()> {
    if findings.is_empty() {
        return Ok(());
    }
    writeln!(out, "### Findings ({})\n", findings.len())?;
    let mut rest = findings;
    while let Some(first) = rest.first() {
        let same = rest
            .iter()
            .take_while(|f| f.code == first.code && f.severity == first.severity)
            .count();
        let (group, tail) = rest.split_at(same);
        rest = tail;
        let severity = match first.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        writeln!(
            out,
            "#### {severity} · {} `{}` ({})\n",
            first.code,
            first.rule,
            group.len()
        )?;
        for f in group {
            writeln!(out, "- {}", text(&f.message))?;
            writeln!(out, "  - pages: {}", listed(&f.pages, |p| code(p)))?;
            if !f.evidence.is_empty() {
                let places: Vec<String> = f
                    .evidence
                    .iter()
                    .map(|e| {
                        let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
                        let tag = e
                            .tag
                            .as_ref()
                            .map(|t| format!(" ({})", text(t)))
                            .unwrap_or_default();
                        format!("{}{tag}", code(&format!("{}{line}", e.source)))
                    })
                    .collect();
                writeln!(out, "  - seen at: {}", listed(&places, |p| p.clone()))?;
            }
            writeln!(out, "  - help: {}", text(&f.help))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// The first [`LIST_LIMIT`] items, then how many more.
fn listed<T>(items: &[T], show: impl Fn(&T) -> String) -> String {
    let mut shown: Vec<String> = items.iter().take(LIST_LIMIT).map(show).collect();
    if items.len() > LIST_LIMIT {
        shown.push(format!("and {} more", items.len() - LIST_LIMIT));
    }
    shown.join(", ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Prose from the report: no raw HTML, one line.
fn text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace("\r\n", " ")
        .replace(['\n', '\r'], " ")
}

/// A table cell: prose that cannot end the cell.
fn cell(s: &str) -> String {
    text(s).replace('|', "\\|")
}

/// An inline code span (URLs, ids, paths), safe in a table cell: GitHub's tables split on `|`
/// before reading code spans, so it is escaped there too; a backtick in the text lengthens the
/// fence.
fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ").replace('|', "\\|");
    let fence = if s.contains('`') { "``" } else { "`" };
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(cell("a | b\nc <script>"), "a \\| b c &lt;script&gt;");
        assert_eq!(code("x|y"), "`x\\|y`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(
            listed(&[1, 2, 3, 4, 5], |n| n.to_string()),
            "1, 2, 3, and 2 more"
        );
    }

    #[test]
    fn a_url_is_named_once_a_row() {
        let url = "https://a.test/login";
        let mut page = Page::new(url.into(), "https://a.test/".into(), 0);
        page.error = Some(format!("could not fetch {url}: timed out"));
        let mut out = Vec::new();
        render_page(&page, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("| `{url}` | | | | error: could not fetch this URL: timed out |\n")
        );
    }
}
