//! Reporters: each output format is one file that renders the whole [`Report`] to a writer.
//! Rules and the scan produce data; nothing here decides anything.
//!
//! [`write_outputs`] writes one run's reports: the `--format` one to standard output (or `-o`),
//! every `--report FORMAT=PATH` to its file, and the job summary on GitHub Actions.

use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::path::Path;

use anyhow::Context as _;

use crate::cli::{Color, FailOn, ReportFile};
use crate::model::Report;
use crate::rules::Rule;

pub mod github;
pub mod human;
pub mod json;
pub mod jsonl;
pub mod junit;
pub mod markdown;
pub mod sarif;

pub use crate::cli::Format;

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
        Format::Human => human::render(report, options.color, out),
        Format::Json => json::render(report, out),
        Format::Jsonl => jsonl::render(report, out),
        Format::Sarif => sarif::render(report, out),
        Format::Github => github::render(report, out),
        Format::Junit => junit::render(report, options, out),
        Format::Markdown => markdown::render(report, out),
    }
}

/// Where and how one run's reports go.
pub struct Outputs<'a> {
    /// The `--format` for standard output (or `output`).
    pub format: Format,
    /// `-o FILE`: the `--format` report goes there instead of standard output.
    pub output: Option<&'a Path>,
    /// `--report FORMAT=PATH`, each written to its file.
    pub reports: &'a [ReportFile],
    /// `--color`, for standard output only.
    pub color: Color,
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
            let stdout = io::stdout();
            let color = outputs.color.enabled(stdout.is_terminal());
            let mut out = io::BufWriter::new(stdout.lock());
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
    markdown::render(report, &mut out)
        .and_then(|()| out.flush())
        .with_context(context)
}
