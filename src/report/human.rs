//! The human format: per page, what loads Heap and how; then problems, unverified facts and a
//! summary. Colour is decided once by the caller and applied through [`Paint`].

use std::io::{self, Write};

use colored::{ColoredString, Colorize};

use crate::model::{Evidence, Install, Mode, Page, Report, Severity, Vendor, Via};

/// Terminal styling through `colored`, a no-op when colour is off. With colour on, `colored`'s
/// global control still applies: the CLI sets it from `--color` (a library caller may leave it to
/// `colored`'s own reading of `NO_COLOR`, `CLICOLOR` and the terminal).
#[derive(Clone, Copy)]
pub struct Paint(pub bool);

impl Paint {
    fn paint(self, text: &str, style: fn(&str) -> ColoredString) -> String {
        if self.0 {
            style(text).to_string()
        } else {
            text.to_owned()
        }
    }
    pub fn bold(self, t: &str) -> String {
        self.paint(t, |t| t.bold())
    }
    pub fn dim(self, t: &str) -> String {
        self.paint(t, |t| t.dimmed())
    }
    pub fn red(self, t: &str) -> String {
        self.paint(t, |t| t.red())
    }
    pub fn yellow(self, t: &str) -> String {
        self.paint(t, |t| t.yellow())
    }
    pub fn green(self, t: &str) -> String {
        self.paint(t, |t| t.green())
    }
    pub fn cyan(self, t: &str) -> String {
        self.paint(t, |t| t.cyan())
    }
    pub fn magenta(self, t: &str) -> String {
        self.paint(t, |t| t.magenta())
    }
}

pub fn render(report: &Report, color: bool, out: &mut dyn Write) -> io::Result<()> {
    render_with(report, color, None, out)
}

/// As [`render`], and with `min_coverage` (`--min-coverage`), a line for each target audited
/// below it.
pub fn render_with(
    report: &Report,
    color: bool,
    min_coverage: Option<f64>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let p = Paint(color);
    render_sources(report, p, out)?;
    for page in &report.pages {
        render_page(page, p, out)?;
    }
    super::apps::human(report, p, out)?;
    render_findings(report, p, out)?;
    if let Some(rec) = &report.recommendation {
        writeln!(
            out,
            "{} install Heap {}",
            p.bold("Recommendation:"),
            p.bold(install_path(&rec.install_path))
        )?;
        for reason in &rec.reasons {
            writeln!(out, "  - {reason}")?;
        }
        for (n, step) in rec.steps.iter().enumerate() {
            writeln!(out, "  {}. {step}", n + 1)?;
        }
        writeln!(out)?;
    }
    if !report.problems.is_empty() {
        writeln!(
            out,
            "{}",
            p.bold(&format!("Problems ({})", report.problems.len()))
        )?;
        for problem in &report.problems {
            let kind = problem.kind.name();
            writeln!(
                out,
                "  {} {}  {}",
                p.red(&format!("{kind:<20}")),
                problem.url,
                p.dim(&problem.message)
            )?;
        }
        writeln!(out)?;
    }
    if !report.unverified.is_empty() {
        writeln!(
            out,
            "{}",
            p.bold(&format!("Not verified ({})", report.unverified.len()))
        )?;
        for u in &report.unverified {
            writeln!(
                out,
                "  {} {}  {}",
                p.yellow(&format!("{:<20}", u.kind)),
                u.url,
                p.dim(&u.reason)
            )?;
        }
        writeln!(out)?;
    }
    let s = &report.summary;
    let ids = if s.heap_app_ids.is_empty() {
        "none".to_owned()
    } else {
        s.heap_app_ids.join(", ")
    };
    let severity = |name: &str| s.findings_by_severity.get(name).copied().unwrap_or(0);
    writeln!(
        out,
        "{} {}, {} failed to load, {} with Heap; {}: {}, {}, {} info; {}; Heap app ids: {ids}",
        p.bold("Summary:"),
        plural(s.pages_audited, "page audited", "pages audited"),
        s.pages_failed,
        s.pages_with_heap,
        plural(s.findings, "finding", "findings"),
        plural(severity("error"), "error", "errors"),
        plural(severity("warning"), "warning", "warnings"),
        severity("info"),
        plural(s.problems, "problem", "problems"),
    )?;
    for line in coverage_lines(report) {
        writeln!(out, "{}", p.dim(&line))?;
    }
    if let Some(render) = &report.render {
        writeln!(out, "{}", p.dim(&render_line(render)))?;
    }
    if let Some(min) = min_coverage {
        for line in below_min_coverage(report, min) {
            writeln!(out, "{}", p.red(&line))?;
        }
    }
    if s.suppressed > 0 {
        writeln!(
            out,
            "{}",
            p.dim(&format!(
                "{} not shown: the baseline records them or the page suppresses them inline",
                plural(s.suppressed, "finding", "findings")
            ))
        )?;
    }
    Ok(())
}

/// How much of a target was audited, in words: `https://example.com/: 200 pages audited; at
/// least 100,000 more URLs found on its pages were not (--max-pages)`, `site/: 40 of 120 pages
/// audited (--max-pages)`, `site/: all 120 pages audited`.
pub(crate) fn coverage_line(c: &crate::model::Coverage) -> String {
    let caps = if c.stopped_by.is_empty() {
        String::new()
    } else {
        let caps: Vec<String> = c
            .stopped_by
            .iter()
            .map(|cap| match cap.as_str() {
                "interrupted" => "interrupted".to_owned(),
                cap => format!("--{cap}"),
            })
            .collect();
        format!(" ({})", caps.join(", "))
    };
    if c.pages_audited == 0 && c.pages_found == 0 && !caps.is_empty() {
        return format!("{}: not audited{caps}", c.target);
    }
    if matches!(c.kind.as_str(), "folder" | "file" | "source") {
        return if c.pages_audited >= c.pages_found && caps.is_empty() {
            format!(
                "{}: all {} audited",
                c.target,
                count_of(c.pages_found, "page", "pages")
            )
        } else {
            let at_least = if c.at_least { "≥ " } else { "" };
            format!(
                "{}: {} of {at_least}{} pages audited{caps}",
                c.target,
                thousands(c.pages_audited),
                thousands(c.pages_found),
            )
        };
    }
    if c.urls_left_out == 0 {
        return format!(
            "{}: all {} found audited{caps}",
            c.target,
            count_of(c.pages_audited, "page", "pages")
        );
    }
    let at_least = if c.at_least { "at least " } else { "" };
    let (urls, were) = if c.urls_left_out == 1 {
        ("URL", "was")
    } else {
        ("URLs", "were")
    };
    format!(
        "{}: {} audited; {at_least}{} more {urls} found on its pages {were} not{caps}",
        c.target,
        count_of(c.pages_audited, "page", "pages"),
        thousands(c.urls_left_out),
    )
}

/// Each URL pattern a crawl sampled, in words: `audited 50 of ≥ 4,210 /blog/page-N pages (same
/// template)`.
pub(crate) fn sampled_lines(c: &crate::model::Coverage) -> Vec<String> {
    c.sampled
        .iter()
        .map(|s| {
            let why = if s.trap {
                "a likely crawler trap"
            } else {
                "same template"
            };
            format!(
                "audited {} of ≥ {} {} pages ({why}, --max-per-pattern)",
                thousands(s.audited),
                thousands(s.found),
                s.pattern
            )
        })
        .collect()
}

/// The coverage of every target, with its sampled patterns, one line each (patterns indented).
pub(crate) fn coverage_lines(report: &Report) -> Vec<String> {
    let mut lines = Vec::new();
    for c in &report.coverage {
        lines.push(coverage_line(c));
        lines.extend(sampled_lines(c).into_iter().map(|l| format!("  {l}")));
    }
    lines
}

/// The targets whose audited share of the pages found is below `min` percent, each with the
/// message that says so.
pub fn below_min_coverage(report: &Report, min: f64) -> Vec<String> {
    report
        .coverage
        .iter()
        .filter(|c| c.percent() < min)
        .map(|c| {
            format!(
                "coverage {:.1}% is below --min-coverage {min}%: {}",
                c.percent(),
                coverage_line(c)
            )
        })
        .collect()
}

/// `1 page`, `4,210 pages`.
fn count_of(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// `4210` as `4,210`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The recommended install path in words: `via Segment`, `natively (Heap's own snippet)`.
pub(crate) fn install_path(path: &str) -> &str {
    match path {
        "segment" => "via Segment",
        "native" => "natively (Heap's own snippet)",
        other => other,
    }
}

/// Where evidence is: `source:line (tag)`.
pub(crate) fn location(e: &Evidence) -> String {
    let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
    let tag = e
        .tag
        .as_ref()
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    format!("{}{line}{tag}", e.source)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// How each repository was read (source mode only: a built folder reads as it always has).
fn render_sources(report: &Report, p: Paint, out: &mut dyn Write) -> io::Result<()> {
    for read in report.sources.iter().filter(|r| r.mode == "source") {
        let ecosystems = if read.ecosystems.is_empty() {
            String::new()
        } else {
            format!(", {}", read.ecosystems.join(", "))
        };
        writeln!(
            out,
            "{} read as a source repository ({}{ecosystems}): {}",
            p.bold(&read.target),
            read.why,
            plural(read.files, "file", "files")
        )?;
        for skipped in &read.skipped {
            writeln!(
                out,
                "  {} {} {}",
                p.dim("left out:"),
                skipped.reason,
                p.dim(&format!(
                    "{} (e.g. {})",
                    skipped.count,
                    skipped.examples.join(", ")
                ))
            )?;
        }
        for note in &read.notes {
            writeln!(out, "  {} {note}", p.dim("note:"))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn render_page(page: &Page, p: Paint, out: &mut dyn Write) -> io::Result<()> {
    let status = match (page.status, &page.error) {
        (_, Some(error)) => p.red(&format!("error: {error}")),
        (Some(code), None) => p.dim(&format!("{code}")),
        (None, None) => String::new(),
    };
    if status.is_empty() {
        writeln!(out, "{}", p.bold(&page.url))?;
    } else {
        writeln!(out, "{} {status}", p.bold(&page.url))?;
    }
    if !page.redirects.is_empty() {
        writeln!(
            out,
            "  {} {}",
            p.dim("redirected via"),
            page.redirects.join(" -> ")
        )?;
    }
    match page.kind.as_deref() {
        Some("layout") => writeln!(out, "  {}", p.dim("a layout, counted as one page"))?,
        Some("file") => writeln!(
            out,
            "  {}",
            p.dim("rendered by no page found: audited alone")
        )?,
        _ => {}
    }
    if page.renders.len() > 1 {
        writeln!(
            out,
            "  {} {}",
            p.dim("renders"),
            page.renders[1..].join(", ")
        )?;
    }
    if page.error.is_none() && page.installs.is_empty() {
        writeln!(out, "  {}", p.dim("no Heap, Segment or tag manager found"))?;
    }
    for install in &page.installs {
        writeln!(out, "  {}", install_line(install, p))?;
    }
    let privacy = &page.privacy;
    if privacy.redact_text + privacy.redact_attributes + privacy.heap_ignore > 0 {
        writeln!(
            out,
            "  {} data-heap-redact-text ×{}, data-heap-redact-attributes ×{}, heap-ignore ×{}",
            p.dim("privacy attributes:"),
            privacy.redact_text,
            privacy.redact_attributes,
            privacy.heap_ignore
        )?;
    }
    writeln!(out)
}

fn install_line(i: &Install, p: Paint) -> String {
    let vendor = format!("{:<12}", i.vendor.as_str());
    let vendor = match i.vendor {
        Vendor::Heap => p.magenta(&vendor),
        Vendor::Segment => p.green(&vendor),
        _ => p.cyan(&vendor),
    };
    let id = match (&i.id, &i.placeholder, &i.id_from) {
        (Some(id), _, _) => id.clone(),
        (None, Some(placeholder), _) => format!("placeholder {placeholder}"),
        (None, None, Some(from)) => format!("(id from {from})"),
        (None, None, None) => "(id unknown)".into(),
    };
    let how = how(i);
    let details = details(i);
    let place = match (i.evidence.line, &i.evidence.tag) {
        (Some(line), _) => format!("{}:{line}", i.evidence.source),
        (None, Some(tag)) => format!("{} {tag}", i.evidence.source),
        (None, None) => i.evidence.source.clone(),
    };
    let mut line = format!("{vendor} {id:<34} {how}");
    if !details.is_empty() {
        line.push_str(&format!("  {}", details.join(", ")));
    }
    line.push_str(&format!("  {}", p.dim(&format!("at {place}"))));
    match &i.inactive_reason {
        Some(reason) if !i.active => format!(
            "{} {}",
            p.dim(&line),
            p.yellow(&format!("[inactive: {reason}]"))
        ),
        _ => line,
    }
}

/// How an install reaches the page: `native`, `via segment KEY`, `via gtm GTM-X`.
pub(crate) fn how(i: &Install) -> String {
    let mut how = match i.via {
        Via::Native => "native".to_owned(),
        Via::Segment => format!("via segment {}", i.write_key.as_deref().unwrap_or("?")),
        via => format!(
            "via {} {}",
            via.as_str(),
            i.container.as_deref().unwrap_or("?")
        ),
    };
    if i.via == Via::Segment && i.container.is_some() {
        how.push_str(&format!(
            " (itself via {})",
            i.container.as_deref().unwrap_or("")
        ));
    }
    how
}

/// What else is known about an install: SDK, alternative ids, destination, mode, options.
pub(crate) fn details(i: &Install) -> Vec<String> {
    let mut details = Vec::new();
    if let Some(sdk) = i.sdk {
        details.push(match sdk {
            crate::model::Sdk::Classic => "classic sdk".to_owned(),
            crate::model::Sdk::V5 => "v5 sdk".to_owned(),
        });
    }
    if !i.alternative_ids.is_empty() {
        details.push(format!(
            "or {} (environment switch)",
            i.alternative_ids.join(", ")
        ));
    }
    for condition in &i.conditions {
        details.push(format!("when {}", condition.condition));
    }
    if let Some(gate) = &i.gate {
        details.push(match (&gate.manager, &gate.category) {
            (Some(m), Some(c)) => format!("after consent ({m}: {c})"),
            (Some(m), None) => format!("after consent ({m})"),
            _ if gate.kind == "consent" => "after consent".to_owned(),
            _ => format!("only when {}", gate.condition),
        });
    }
    if let Some(guard) = &i.guard {
        details.push(format!("guarded by {guard}"));
    }
    if let Some(dest) = &i.destination {
        details.push(format!("destination \"{dest}\""));
    }
    if let Some(mode) = i.mode {
        details.push(if mode == Mode::Device {
            "device mode".into()
        } else {
            "cloud mode".into()
        });
    }
    if let Some(v) = &i.snippet_version {
        details.push(format!("snippet {v}"));
    }
    if let Some(s) = &i.settings {
        details.push(format!("settings {s}"));
    }
    if !i.options.is_empty() {
        details.push(serde_json::Value::Object(i.options.clone()).to_string());
    }
    if let Some(seen) = &i.runtime {
        details.push(match (seen.status.as_str(), &seen.reason) {
            ("confirmed", _) => "ran in the browser".to_owned(),
            ("runtime-only", _) => "seen only in the browser".to_owned(),
            (_, Some(reason)) => format!("not seen in the browser ({reason})"),
            _ => "not seen in the browser".to_owned(),
        });
    }
    details
}

/// What `--render` did, in one line.
pub(crate) fn render_line(r: &crate::model::RenderSummary) -> String {
    let failed = if r.failed > 0 {
        format!(", {} failed", r.failed)
    } else {
        String::new()
    };
    format!(
        "Rendered {} in {} ({:.1} s, {:.1} s per page{failed}): {} confirmed, {} not seen, {} seen only in the browser",
        plural(r.pages, "page", "pages"),
        if r.browser.is_empty() { "no browser" } else { &r.browser },
        r.seconds,
        r.seconds_per_page,
        plural(r.confirmed, "install", "installs"),
        r.not_seen,
        r.runtime_only,
    )
}

fn render_findings(report: &Report, p: Paint, out: &mut dyn Write) -> io::Result<()> {
    if report.findings.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{}",
        p.bold(&format!("Findings ({})", report.findings.len()))
    )?;
    for f in &report.findings {
        let sev = match f.severity {
            Severity::Error => p.red("error"),
            Severity::Warning => p.yellow("warning"),
            Severity::Info => p.cyan("info"),
        };
        writeln!(out, "{sev}[{}] {}: {}", f.code, p.bold(&f.rule), f.message)?;
        for e in &f.evidence {
            writeln!(
                out,
                "  {} {}  {}",
                p.dim("-->"),
                location(e),
                p.dim(&e.snippet)
            )?;
        }
        if f.pages.len() > 1 {
            writeln!(out, "  {} {} pages", p.dim("on"), f.pages.len())?;
        }
        writeln!(out, "  {} {}", p.cyan("help:"), f.help)?;
        writeln!(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Coverage, Sampled};

    fn folder(audited: usize, found: usize, stopped_by: &[&str]) -> Coverage {
        Coverage {
            target: "dist/".into(),
            pages_audited: audited,
            urls_left_out: found - audited,
            stopped_by: stopped_by.iter().map(|s| (*s).to_owned()).collect(),
            pages_found: found,
            kind: "folder".into(),
            ..Default::default()
        }
    }

    #[test]
    fn coverage_in_words() {
        assert_eq!(
            coverage_line(&folder(200, 100_001, &["max-pages"])),
            "dist/: 200 of 100,001 pages audited (--max-pages)"
        );
        assert_eq!(
            coverage_line(&folder(1, 1, &[])),
            "dist/: all 1 page audited"
        );
        let whole = Coverage {
            target: "https://a.test/".into(),
            pages_audited: 7,
            pages_found: 7,
            kind: "crawl".into(),
            ..Default::default()
        };
        assert_eq!(
            coverage_line(&whole),
            "https://a.test/: all 7 pages found audited"
        );
        assert_eq!(
            coverage_line(&folder(0, 0, &["max-time"])),
            "dist/: not audited (--max-time)"
        );
        let crawl = Coverage {
            target: "https://a.test/".into(),
            pages_audited: 51,
            urls_left_out: 4_160,
            at_least: true,
            stopped_by: vec!["max-pages".into(), "interrupted".into()],
            pages_found: 4_211,
            kind: "crawl".into(),
            sampled: vec![Sampled {
                pattern: "/blog/page-N".into(),
                audited: 50,
                found: 4_210,
                trap: false,
            }],
        };
        assert_eq!(
            coverage_line(&crawl),
            "https://a.test/: 51 pages audited; at least 4,160 more URLs found on its pages were \
             not (--max-pages, interrupted)"
        );
        assert_eq!(
            sampled_lines(&crawl),
            ["audited 50 of ≥ 4,210 /blog/page-N pages (same template, --max-per-pattern)"]
        );
    }

    #[test]
    fn the_share_audited() {
        assert!((folder(10, 113, &["max-pages"]).percent() - 8.849).abs() < 0.01);
        assert_eq!(folder(0, 0, &[]).percent(), 100.0);
        // A target a stop kept from being read has none of it audited.
        assert_eq!(folder(0, 0, &["max-time"]).percent(), 0.0);
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
