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

/// The width of the human report: prose is wrapped to it. Fixed, not the terminal's: the same
/// report reads the same in a terminal, a CI log and a file.
pub const WIDTH: usize = 100;

/// A hanging indent deeper than this, or too deep for the text's widest token to fit after it,
/// is replaced by [`NARROW_HANG`], so a continuation line keeps room for its words.
const MAX_HANG: usize = 48;
const NARROW_HANG: usize = 4;

/// Width on screen: ANSI colour sequences take none, wide characters two.
pub(crate) fn width(text: &str) -> usize {
    textwrap::core::display_width(text)
}

/// `prefix` then `text`, wrapped at [`WIDTH`] columns: broken at spaces only (never inside a
/// URL, a path or any other token without spaces, nor inside a colour sequence), continuation
/// lines indented by `hang` spaces. A token wider than the room left goes on a line of its own,
/// however wide. No trailing newline.
pub(crate) fn wrap(prefix: &str, text: &str, hang: usize) -> String {
    // Deep enough to show the structure, shallow enough for the widest token that may start a
    // continuation line (not the first) to fit.
    let widest = text.split(' ').skip(1).map(width).max().unwrap_or(0);
    let hang = if hang > MAX_HANG || (hang > NARROW_HANG && hang + widest > WIDTH) {
        NARROW_HANG
    } else {
        hang
    };
    let indent = " ".repeat(hang);
    let options = textwrap::Options::new(WIDTH)
        .initial_indent(prefix)
        .subsequent_indent(&indent)
        .break_words(false)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit);
    textwrap::wrap(text, options).join("\n")
}

/// As [`wrap`], for text made of clauses joined by `; `: lines break between clauses, and inside
/// one only when the clauses do not fit whole.
pub(crate) fn wrap_clauses(prefix: &str, text: &str, hang: usize) -> String {
    let indent = " ".repeat(hang);
    let mut lines = vec![prefix.to_owned()];
    let clauses: Vec<&str> = text.split("; ").collect();
    for (n, clause) in clauses.iter().enumerate() {
        let piece = if n + 1 < clauses.len() {
            format!("{clause};")
        } else {
            (*clause).to_owned()
        };
        let line = lines.last_mut().expect("one line at least");
        if n == 0 {
            line.push_str(&piece);
        } else if width(line) + 1 + width(&piece) <= WIDTH {
            line.push(' ');
            line.push_str(&piece);
        } else {
            lines.push(format!("{indent}{piece}"));
        }
    }
    if lines.iter().any(|l| width(l) > WIDTH) {
        return wrap(prefix, text, hang);
    }
    lines.join("\n")
}

/// `text` with every `url` in it said as "this URL": for a line that names `url` already.
/// Only URLs: a file path is left as it is.
pub(crate) fn once<'a>(text: &'a str, url: &str) -> std::borrow::Cow<'a, str> {
    if url.contains("://") && text.contains(url) {
        std::borrow::Cow::Owned(text.replace(url, "this URL"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// A problem or unverified fact: `  kind  URL  message`, the message wrapped under the URL and
/// saying "this URL" where it repeats it.
fn kind_line(
    kind: &str,
    url: &str,
    message: &str,
    p: Paint,
    style: fn(Paint, &str) -> String,
) -> String {
    let kind = format!("  {kind:<20} ");
    let text = format!("{url}  {}", p.dim(&once(message, url)));
    wrap(&style(p, &kind), &text, width(&kind))
}

/// An evidence line, `  --> location  snippet`: the location whole, the snippet cut with an
/// ellipsis to fit [`WIDTH`] (on a line of its own under a location too wide to leave it room),
/// and a URL the location names already said as `…` in the snippet.
fn evidence_line(e: &Evidence, p: Paint) -> String {
    let location = location(e);
    let snippet = e.snippet.trim();
    let snippet = if e.source.contains("://") {
        snippet.replace(e.source.as_str(), "…")
    } else {
        snippet.to_owned()
    };
    let head = format!("  {} {location}", p.dim("-->"));
    if snippet.is_empty() {
        return head;
    }
    let room = WIDTH.saturating_sub(width(&head) + 2);
    if room >= MIN_SNIPPET {
        format!("{head}  {}", p.dim(&cut(&snippet, room)))
    } else {
        let indent = "      ";
        let snippet = cut(&snippet, WIDTH - indent.len());
        format!("{head}\n{indent}{}", p.dim(&snippet))
    }
}

/// The fewest columns a snippet is shown in beside its location.
const MIN_SNIPPET: usize = 20;

/// `text` in at most `room` columns: cut with `…` when wider.
fn cut(text: &str, room: usize) -> String {
    if width(text) <= room {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = width(c.encode_utf8(&mut [0; 4]));
        if used + w + 1 > room {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
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
    // The apps section is written by its own module: its lines are wrapped here, continuation
    // lines two columns deeper than the line they continue.
    let mut apps = Vec::new();
    super::apps::human(report, p, &mut apps)?;
    for line in String::from_utf8_lossy(&apps).lines() {
        let text = line.trim_start_matches(' ');
        let indent = line.len() - text.len();
        writeln!(out, "{}", wrap(&line[..indent], text, indent + 2))?;
    }
    render_findings(report, p, out)?;
    if let Some(rec) = &report.recommendation {
        let head = format!("{} install Heap", p.bold("Recommendation:"));
        let path = p.bold(install_path(&rec.install_path));
        writeln!(out, "{}", wrap(&format!("{head} "), &path, 2))?;
        for reason in &rec.reasons {
            writeln!(out, "{}", wrap("  - ", reason, 4))?;
        }
        for (n, step) in rec.steps.iter().enumerate() {
            let number = format!("  {}. ", n + 1);
            writeln!(out, "{}", wrap(&number, step, number.len()))?;
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
            let line = kind_line(&kind, &problem.url, &problem.message, p, Paint::red);
            writeln!(out, "{line}")?;
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
            let line = kind_line(&u.kind, &u.url, &u.reason, p, Paint::yellow);
            writeln!(out, "{line}")?;
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
    let summary = format!(
        "{}, {} failed to load, {} with Heap; {}: {}, {}, {} info; {}; Heap app ids: {ids}",
        plural(s.pages_audited, "page audited", "pages audited"),
        s.pages_failed,
        s.pages_with_heap,
        plural(s.findings, "finding", "findings"),
        plural(severity("error"), "error", "errors"),
        plural(severity("warning"), "warning", "warnings"),
        severity("info"),
        plural(s.problems, "problem", "problems"),
    );
    let prefix = format!("{} ", p.bold("Summary:"));
    writeln!(out, "{}", wrap_clauses(&prefix, &summary, 9))?;
    for line in coverage_lines(report) {
        let text = line.trim_start_matches(' ');
        let indent = line.len() - text.len();
        writeln!(out, "{}", wrap(&line[..indent], &p.dim(text), indent + 2))?;
    }
    if let Some(render) = &report.render {
        writeln!(out, "{}", wrap("", &p.dim(&render_line(render)), 2))?;
    }
    if let Some(min) = min_coverage {
        for line in below_min_coverage(report, min) {
            writeln!(out, "{}", wrap("", &p.red(&line), 2))?;
        }
    }
    if s.suppressed > 0 {
        let line = format!(
            "{} not shown: the baseline records them or the page suppresses them inline",
            plural(s.suppressed, "finding", "findings")
        );
        writeln!(out, "{}", wrap("", &p.dim(&line), 2))?;
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
        let text = format!(
            "read as a source repository ({}{ecosystems}): {}",
            read.why,
            plural(read.files, "file", "files")
        );
        writeln!(
            out,
            "{}",
            wrap(&format!("{} ", p.bold(&read.target)), &text, 2)
        )?;
        for skipped in &read.skipped {
            let text = format!(
                "{} {}",
                skipped.reason,
                p.dim(&format!(
                    "{} (e.g. {})",
                    skipped.count,
                    skipped.examples.join(", ")
                ))
            );
            writeln!(
                out,
                "{}",
                wrap(&format!("  {} ", p.dim("left out:")), &text, 12)
            )?;
        }
        for note in &read.notes {
            writeln!(out, "{}", wrap(&format!("  {} ", p.dim("note:")), note, 8))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn render_page(page: &Page, p: Paint, out: &mut dyn Write) -> io::Result<()> {
    let status = match (page.status, &page.error) {
        (_, Some(error)) => p.red(&format!("error: {}", once(error, &page.url))),
        (Some(code), None) => p.dim(&format!("{code}")),
        (None, None) => String::new(),
    };
    if status.is_empty() {
        writeln!(out, "{}", p.bold(&page.url))?;
    } else {
        writeln!(
            out,
            "{}",
            wrap(&format!("{} ", p.bold(&page.url)), &status, 2)
        )?;
    }
    if !page.redirects.is_empty() {
        let prefix = format!("  {} ", p.dim("redirected via"));
        writeln!(out, "{}", wrap(&prefix, &page.redirects.join(" -> "), 4))?;
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
        let prefix = format!("  {} ", p.dim("renders"));
        writeln!(out, "{}", wrap(&prefix, &page.renders[1..].join(", "), 4))?;
    }
    if page.error.is_none() && page.installs.is_empty() {
        writeln!(out, "  {}", p.dim("no Heap, Segment or tag manager found"))?;
    }
    for install in &page.installs {
        writeln!(out, "{}", install_line(install, p))?;
    }
    let privacy = &page.privacy;
    if privacy.redact_text + privacy.redact_attributes + privacy.heap_ignore > 0 {
        let text = format!(
            "data-heap-redact-text ×{}, data-heap-redact-attributes ×{}, heap-ignore ×{}",
            privacy.redact_text, privacy.redact_attributes, privacy.heap_ignore
        );
        let prefix = format!("  {} ", p.dim("privacy attributes:"));
        writeln!(out, "{}", wrap(&prefix, &text, 4))?;
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
    let inactive = i.inactive_reason.as_ref().filter(|_| !i.active);
    // An inactive install is dimmed whole, its reason in yellow after it.
    let dim = |text: &str| {
        if inactive.is_some() {
            p.dim(text)
        } else {
            text.to_owned()
        }
    };
    let mut text = format!("{id:<34} {how}");
    if !details.is_empty() {
        text.push_str(&format!("  {}", details.join(", ")));
    }
    let mut line = wrap(&format!("  {} ", dim(&vendor)), &dim(&text), NARROW_HANG);
    // Where it was found stays whole: on the last line if it fits there, else on its own.
    let at = p.dim(&format!("at {place}"));
    let last = line.rsplit('\n').next().unwrap_or_default();
    if width(last) + 2 + width(&at) <= WIDTH {
        line.push_str(&format!("  {at}"));
    } else {
        line.push_str(&format!("\n    {at}"));
    }
    if let Some(reason) = inactive {
        let last = line.rsplit('\n').next().unwrap_or_default();
        let prefix = format!("{last} ");
        let reason = p.yellow(&format!("[inactive: {reason}]"));
        let lines = line.len() - last.len();
        line = format!("{}{}", &line[..lines], wrap(&prefix, &reason, NARROW_HANG));
    }
    line
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
        let head = format!("{sev}[{}] {}: ", f.code, p.bold(&f.rule));
        writeln!(out, "{}", wrap(&head, &f.message, width(&head)))?;
        for e in &f.evidence {
            writeln!(out, "{}", evidence_line(e, p))?;
        }
        if f.pages.len() > 1 {
            writeln!(out, "  {} {} pages", p.dim("on"), f.pages.len())?;
        }
        writeln!(
            out,
            "{}",
            wrap(&format!("  {} ", p.cyan("help:")), &f.help, 8)
        )?;
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

    /// The widest line of `text`, in columns.
    fn widest(text: &str) -> usize {
        text.lines().map(width).max().unwrap_or(0)
    }

    #[test]
    fn prose_wraps_at_spaces_under_its_hanging_indent() {
        let url = format!("https://cdn.example.test/{}/settings", "k".repeat(90));
        let text = format!("{} {url} and {}", "word ".repeat(30), "more ".repeat(10));
        let wrapped = wrap("  - ", &text, 4);
        let lines: Vec<&str> = wrapped.lines().collect();
        assert!(lines.len() > 2, "{wrapped}");
        assert!(lines[0].starts_with("  - word"));
        for line in &lines[1..] {
            assert!(
                line.starts_with("    ") && !line.starts_with("     "),
                "{wrapped}"
            );
        }
        // The URL is whole, alone on its line, the one line wider than 100.
        let long: Vec<&&str> = lines.iter().filter(|l| width(l) > WIDTH).collect();
        assert_eq!(long, [&format!("    {url}").as_str()], "{wrapped}");
        // No word is broken, no hyphen split (`heap-missing-on-some-pages`).
        let words = "heap-missing-on-some-pages fixtures/sites/shop/blog/spring-collection.html ";
        let wrapped = wrap("x: ", &words.repeat(6), 3);
        assert_eq!(
            wrapped.split_whitespace().collect::<Vec<_>>()[1..],
            words.repeat(6).split_whitespace().collect::<Vec<_>>()[..]
        );
        assert!(widest(&wrapped) <= WIDTH, "{wrapped}");
    }

    #[test]
    fn colour_takes_no_width_and_is_never_split() {
        colored::control::set_override(true);
        let p = Paint(true);
        let text = p.dim(&"dimmed words ".repeat(20));
        let plain = wrap("  ", &"dimmed words ".repeat(20), 2);
        let coloured = wrap("  ", &text, 2);
        colored::control::unset_override();
        // The same breaks as without colour: escapes are not counted.
        assert_eq!(
            plain.lines().count(),
            coloured.lines().count(),
            "{coloured}"
        );
        assert!(widest(&coloured) <= WIDTH);
        // Every escape sequence is whole (`ESC [ digits m`).
        for piece in coloured.split('\x1b').skip(1) {
            let end = piece.find('m').expect("an escape ends with m");
            assert!(piece[..end].starts_with('['), "{coloured:?}");
            assert!(piece[1..end]
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b';'));
        }
    }

    #[test]
    fn a_deep_hang_gives_way_to_a_wide_token() {
        let path = format!("fixtures/repos/{}/segment.blade.php", "p".repeat(50));
        let text = format!("segment loads 2 times on 1 page: Segment in {path} (write key)");
        let head = "warning[HA005] segment-loaded-twice: ";
        let wrapped = wrap(head, &text, head.len());
        assert!(widest(&wrapped) <= WIDTH, "{wrapped}");
        assert!(wrapped.contains(&format!("\n    {path}")), "{wrapped}");
    }

    #[test]
    fn summary_breaks_between_clauses() {
        let text = "5 pages audited, 0 failed to load, 5 with Heap; 4 findings: 2 errors, 0 \
                    warnings, 2 info; 0 problems; Heap app ids: 1535634150, 2682025610";
        assert_eq!(
            wrap_clauses("Summary: ", text, 9),
            "Summary: 5 pages audited, 0 failed to load, 5 with Heap; 4 findings: 2 errors, 0 \
             warnings, 2 info;\n         0 problems; Heap app ids: 1535634150, 2682025610"
        );
    }

    fn evidence(source: &str, snippet: &str) -> Evidence {
        Evidence {
            source: source.into(),
            line: Some(12),
            snippet: snippet.into(),
            ..Default::default()
        }
    }

    #[test]
    fn evidence_snippets_are_cut_and_locations_kept_whole() {
        let p = Paint(false);
        let e = evidence("site/index.html", &"analytics.load(x);".repeat(10));
        let line = evidence_line(&e, p);
        assert_eq!(width(&line), WIDTH, "{line}");
        assert!(line.starts_with("  --> site/index.html:12  analytics.load(x);"));
        assert!(line.ends_with('…'));
        // A location too wide to leave the snippet room: the snippet on the next line.
        let source = format!("https://cdn.example.test/{}.js", "a".repeat(90));
        let line = evidence_line(&evidence(&source, "heap.load(1)"), p);
        assert_eq!(line, format!("  --> {source}:12\n      heap.load(1)"));
        // A short one is left as it is.
        let line = evidence_line(&evidence("a.html", "heap.load(1)"), p);
        assert_eq!(line, "  --> a.html:12  heap.load(1)");
    }

    #[test]
    fn a_url_is_named_once_a_line() {
        let p = Paint(false);
        let url = "https://cdn.example.test/heap-1.js";
        let e = evidence(url, &format!("<script src=\"{url}\"></script>"));
        assert_eq!(
            evidence_line(&e, p),
            format!("  --> {url}:12  <script src=\"…\"></script>")
        );
        let wall = "https://a.test/login";
        let line = kind_line(
            "auth-required",
            wall,
            &format!("its path names a sign-in page: {wall} is a sign-in, so ..."),
            p,
            Paint::red,
        );
        assert_eq!(
            line,
            format!(
                "  auth-required        {wall}  its path names a sign-in page: this URL is a \
                 sign-in,\n{}so ...",
                " ".repeat(23)
            )
        );
        let mut page = Page::new(wall.into(), "https://a.test/".into(), 0);
        page.error = Some(format!("could not fetch {wall}: timed out"));
        let mut out = Vec::new();
        render_page(&page, p, &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert_eq!(
            out.lines().next(),
            Some(format!("{wall} error: could not fetch this URL: timed out").as_str())
        );
        // A path is not a URL: left as it is.
        assert_eq!(once("in site/a.html", "site/a.html"), "in site/a.html");
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
