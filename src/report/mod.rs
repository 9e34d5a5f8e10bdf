//! Reporters: each output format is one file that renders the whole [`Report`] to a writer.
//! Rules and the scan produce data; nothing here decides anything.
//!
//! [`write_outputs`] writes one run's reports: the `--format` one to standard output (or `-o`),
//! every `--report FORMAT=PATH` to its file, and the job summary on GitHub Actions.

use std::borrow::Cow;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use anyhow::Context as _;

use crate::model::Report;
use crate::rules::Rule;

pub mod github;
pub mod human;
pub mod json;
pub mod jsonl;
pub mod junit;
pub mod markdown;
pub mod sarif;

pub use crate::options::{ColorChoice, FailOn, Format, ReportFile};

/// What renderers need besides the report itself.
#[derive(Clone, Copy)]
pub struct RenderOptions<'a> {
    /// ANSI colour (human format only; never in files).
    pub color: bool,
    /// The level at which a finding fails the run (JUnit failures).
    pub fail_on: FailOn,
    /// The rules that ran, in code order (JUnit test cases).
    pub rules: &'a [&'static dyn Rule],
}

/// Render a report.
pub fn render(
    report: &Report,
    format: Format,
    options: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::render(&printable_report(report), options.color, out),
        Format::Json => json::render(report, out),
        Format::Jsonl => jsonl::render(report, out),
        Format::Sarif => sarif::render(report, out),
        Format::Github => github::render(&printable_report(report), out),
        Format::Junit => junit::render(report, options, out),
        Format::Markdown => markdown::render(&printable_report(report), out),
    }
}

/// Text from the audited sites with its control characters (an escape sequence in a page, a file
/// name, a header) shown as `\u{FFFD}`, so it cannot drive the terminal or a CI log. Line breaks and
/// tabs stay.
pub fn printable(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if text.chars().any(unsafe_char) {
        Cow::Owned(
            text.chars()
                .map(|c| if unsafe_char(c) { '\u{FFFD}' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

/// The report with every string [`printable`], for the formats read on a terminal or in a log
/// (JSON, SARIF and JUnit escape control characters themselves).
fn printable_report(report: &Report) -> Cow<'_, Report> {
    fn clean(value: &mut serde_json::Value) -> bool {
        match value {
            serde_json::Value::String(s) => match printable(s) {
                Cow::Owned(p) => {
                    *s = p;
                    true
                }
                Cow::Borrowed(_) => false,
            },
            serde_json::Value::Array(items) => items.iter_mut().fold(false, |c, v| clean(v) | c),
            serde_json::Value::Object(map) => map.values_mut().fold(false, |c, v| clean(v) | c),
            _ => false,
        }
    }
    let Ok(mut value) = serde_json::to_value(report) else {
        return Cow::Borrowed(report);
    };
    if !clean(&mut value) {
        return Cow::Borrowed(report);
    }
    serde_json::from_value(value).map_or(Cow::Borrowed(report), Cow::Owned)
}

/// Where and how one run's reports go.
pub struct Outputs<'a> {
    /// The `--format` for standard output (or `output`).
    pub format: Format,
    /// `-o FILE`: the `--format` report goes there instead of standard output.
    pub output: Option<&'a Path>,
    /// `--report FORMAT=PATH`, each written to its file.
    pub reports: &'a [ReportFile],
    /// Whether to colour standard output (decided by the caller, e.g. with
    /// [`ColorChoice::enabled`]; files are never coloured).
    pub color: bool,
}

/// Write every report of the run. Files never get colour. When a `github` report is written and
/// `GITHUB_STEP_SUMMARY` names a file, the Markdown report is appended to it (the job summary).
pub fn write_outputs(
    report: &Report,
    outputs: &Outputs,
    options: &RenderOptions,
) -> anyhow::Result<()> {
    let plain = RenderOptions {
        color: false,
        ..*options
    };
    for file in outputs.reports {
        write_file(report, file.format, &file.path, &plain)?;
    }
    match outputs.output {
        Some(path) => write_file(report, outputs.format, path, &plain)?,
        None => {
            let color = outputs.color;
            let mut out = io::BufWriter::new(io::stdout().lock());
            render(
                report,
                outputs.format,
                &RenderOptions { color, ..plain },
                &mut out,
            )?;
            out.flush()?;
        }
    }
    let github = std::iter::once(outputs.format)
        .chain(outputs.reports.iter().map(|r| r.format))
        .any(|f| f == Format::Github);
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty()) {
        if github {
            append_job_summary(report, Path::new(&summary))?;
        }
    }
    Ok(())
}

fn write_file(
    report: &Report,
    format: Format,
    path: &Path,
    options: &RenderOptions,
) -> anyhow::Result<()> {
    let file = File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut out = io::BufWriter::new(file);
    render(report, format, options, &mut out)
        .and_then(|()| out.flush())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Append the Markdown report to a GitHub Actions job summary file.
fn append_job_summary(report: &Report, path: &Path) -> anyhow::Result<()> {
    let context = || format!("cannot append the job summary to {}", path.display());
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(context)?;
    let mut out = io::BufWriter::new(file);
    markdown::render(&printable_report(report), &mut out)
        .and_then(|()| out.flush())
        .with_context(context)
}
