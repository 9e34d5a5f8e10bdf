//! Reporters: each output format is one file that renders the whole [`Report`] to a writer.
//! Rules and the scan produce data; nothing here decides anything.
//!
//! [`write_outputs`] writes one run's reports: the `--format` one to standard output (or `-o`),
//! every `--report FORMAT=PATH` to its file, and the job summary on GitHub Actions.
//! [`write_outputs_within`] does it within a stop: each is written on a thread of its own, and
//! one stuck in a write a moment after the run stopped (a file on a hung mount, a named pipe
//! nobody reads, a terminal that does not scroll) is left behind, so the run ends on time.

use std::borrow::Cow;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::model::{Phase, Problem, ProblemKind, Report};
use crate::rules::Rule;
use crate::source::limits::Cancel;

pub mod apps;
pub mod github;
pub mod human;
pub mod json;
pub mod jsonl;
pub mod junit;
pub mod markdown;
pub mod sarif;

use crate::options::Choice as _;
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
    /// `--min-coverage`: the human report names each target audited below it.
    pub min_coverage: Option<f64>,
}

/// Render a report.
pub fn render(
    report: &Report,
    format: Format,
    options: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::render_with(
            &printable_report(report),
            options.color,
            options.min_coverage,
            out,
        ),
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
    // Most reports have no control character: found by streaming the report as JSON through a
    // scanner, without building it as a `Value` (twice the report's memory).
    let mut scan = ControlScan::default();
    if serde_json::to_writer(&mut scan, report).is_ok() {
        return Cow::Borrowed(report);
    }
    let Ok(mut value) = serde_json::to_value(report) else {
        return Cow::Borrowed(report);
    };
    if !clean(&mut value) {
        return Cow::Borrowed(report);
    }
    serde_json::from_value(value).map_or(Cow::Borrowed(report), Cow::Owned)
}

/// A writer that reads JSON text as serde_json writes it and fails at the first control character
/// [`printable`] would replace, escaped (`\u001b`, `\r`, `\b`, `\f`) or not (DEL and the C1
/// controls are written as they are).
#[derive(Default)]
struct ControlScan {
    state: Scan,
}

#[derive(Default, Clone, Copy)]
enum Scan {
    #[default]
    Text,
    /// After a backslash.
    Escape,
    /// In a `\uXXXX` escape: the digits read and their value.
    Unicode(u8, u32),
    /// After 0xC2, the lead byte of U+0080..U+00BF.
    Latin,
}

impl Write for ControlScan {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let found = || Err(io::Error::other("a control character"));
        for &b in buf {
            self.state = match (self.state, b) {
                (Scan::Text, b'\\') => Scan::Escape,
                (Scan::Text, 0x7f) => return found(),
                (Scan::Text, 0xc2) => Scan::Latin,
                (Scan::Latin, 0x80..=0x9f) => return found(),
                (Scan::Escape, b'r' | b'b' | b'f') => return found(),
                (Scan::Escape, b'u') => Scan::Unicode(0, 0),
                (Scan::Unicode(n, value), _) => {
                    let digit = char::from(b).to_digit(16).unwrap_or(0);
                    let value = value * 16 + digit;
                    if n < 3 {
                        Scan::Unicode(n + 1, value)
                    } else if value < 0x20 && value != 0x0a && value != 0x09 {
                        return found();
                    } else {
                        Scan::Text
                    }
                }
                _ => Scan::Text,
            };
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Let a report go on a thread of its own: freeing the pages and findings of a big site takes a
/// moment (a fifth of the writing phase in a profile of 10,000 small pages) that whoever waits
/// for the written report, often about to exit, need not wait for. Freed here if no thread
/// starts.
fn drop_aside<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("heap-audit-free".into())
        .spawn(move || drop(value));
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
    /// Write nothing on standard output (a human report of a run that audited nothing would only
    /// repeat its error); files are written all the same.
    pub quiet_stdout: bool,
}

/// Write every report of the run. Files never get colour. When a `github` report is written and
/// `GITHUB_STEP_SUMMARY` names a file, the Markdown report is appended to it (the job summary).
pub fn write_outputs(
    report: &Report,
    outputs: &Outputs,
    options: &RenderOptions,
) -> anyhow::Result<()> {
    write_outputs_within(report.clone(), outputs, options, &Cancel::new())
}

/// After a stop, a `--report` file or the job summary that has been stuck in one read or write
/// (or in opening its file) for [`STUCK`] once the run has been stopped this long is left
/// behind.
pub const FILES_BY: Duration = Duration::from_millis(1750);
/// After a stop, the `--format` report, if stuck in one write for [`STUCK`] once the run has been
/// stopped this long, is left behind: the run ends without the rest of it.
pub const REPORT_BY: Duration = Duration::from_millis(2500);
/// How long one write (or the opening of a file) must have been waiting for a report to count as
/// stuck. A report being rendered is never stuck: cutting it would lose the report a stop is
/// meant to keep, and it ends on its own.
pub const STUCK: Duration = Duration::from_millis(500);
/// How often a wait for a report looks at the stop flag.
const POLL: Duration = Duration::from_millis(20);

/// The `--format` report was stuck in a write long after the run stopped (standard output that
/// nobody reads, a file on a hung mount), and was left behind: it may be incomplete.
#[derive(Debug, thiserror::Error)]
#[error("the report could not be written ({reason}): it may be incomplete")]
pub struct LeftBehind {
    pub reason: String,
}

/// [`write_outputs`], within a stop (see the module's documentation): the `--report` files and
/// the job summary first, each on a thread of its own; those the stop cut are named in the
/// `--format` report, written last, by an `interrupted` problem each (phase `writing`). That
/// report is left behind too if it is stuck after the stop: the error is then [`LeftBehind`].
pub fn write_outputs_within(
    report: Report,
    outputs: &Outputs,
    options: &RenderOptions,
    cancel: &Cancel,
) -> anyhow::Result<()> {
    // What the writing threads need, owned.
    let (fail_on, min_coverage) = (options.fail_on, options.min_coverage);
    let rules: Arc<[&'static dyn Rule]> = options.rules.into();
    let mut report = Arc::new(report);
    let mut cut = Vec::new();
    let summary = std::env::var_os("GITHUB_STEP_SUMMARY")
        .filter(|s| !s.is_empty())
        .filter(|_| {
            std::iter::once(outputs.format)
                .chain(outputs.reports.iter().map(|r| r.format))
                .any(|f| f == Format::Github)
        })
        .map(PathBuf::from);
    let files = outputs
        .reports
        .iter()
        .map(|file| (Some(file.format), file.path.clone()))
        .chain(summary.map(|path| (None, path)));
    for (format, path) in files {
        let what = match format {
            Some(format) => format!("the {} report", format.name()),
            None => "the GitHub job summary".to_owned(),
        };
        let (shared, rules, target) = (Arc::clone(&report), Arc::clone(&rules), path.clone());
        let written = within(cancel, FILES_BY, move |watch| {
            let options = RenderOptions {
                color: false,
                fail_on,
                rules: &rules,
                min_coverage,
            };
            match format {
                Some(format) => write_file(&shared, format, &target, &options, &watch),
                None => append_job_summary(&shared, &target, &watch),
            }
        });
        match written {
            Some(result) => result?,
            None => cut.push((path, what, reason(cancel))),
        }
    }
    if !cut.is_empty() {
        let report = Arc::make_mut(&mut report);
        for (path, what, reason) in cut {
            report.problems.push(Problem {
                url: path.display().to_string(),
                kind: ProblemKind::Interrupted,
                message: format!(
                    "the reports were not all written: {what} was not (or not completely): {reason}"
                ),
                phase: Some(Phase::Writing),
            });
        }
        report.summary.problems = report.problems.len();
    }
    let (format, output, color, quiet_stdout) = (
        outputs.format,
        outputs.output.map(Path::to_path_buf),
        outputs.color,
        outputs.quiet_stdout,
    );
    let written = within(cancel, REPORT_BY, move |watch| {
        let options = RenderOptions {
            color: false,
            fail_on,
            rules: &rules,
            min_coverage,
        };
        let written = match output {
            Some(path) => write_file(&report, format, &path, &options, &watch),
            None if quiet_stdout => Ok(()),
            None => {
                // Watched under the buffer: only the writes to the system are.
                let mut out = io::BufWriter::new(Watched::new(io::stdout().lock(), &watch));
                render(
                    &report,
                    format,
                    &RenderOptions { color, ..options },
                    &mut out,
                )
                .and_then(|()| out.flush())
                .map_err(anyhow::Error::from)
            }
        };
        drop_aside(report);
        written
    });
    match written {
        Some(result) => result,
        None => Err(LeftBehind {
            reason: reason(cancel),
        }
        .into()),
    }
}

/// Why the run stopped, in words (the `--max-time` budget, a signal).
fn reason(cancel: &Cancel) -> String {
    cancel
        .stopped()
        .map_or_else(String::new, |s| s.reason().to_owned())
}

/// Whether a writing thread is waiting on the system now, and since when.
#[derive(Debug)]
struct Io {
    origin: Instant,
    /// Milliseconds after `origin` at which the current wait began, plus one; 0 when not waiting.
    since: AtomicU64,
}

impl Io {
    fn new() -> Io {
        Io {
            origin: Instant::now(),
            since: AtomicU64::new(0),
        }
    }

    /// Run `call` (a write, the opening of a file) noting that it waits on the system.
    fn wait<T>(&self, call: impl FnOnce() -> T) -> T {
        let now = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        self.since.store(now + 1, Ordering::SeqCst);
        let result = call();
        self.since.store(0, Ordering::SeqCst);
        result
    }

    /// Whether one wait has lasted [`STUCK`] already.
    fn stuck(&self) -> bool {
        match self.since.load(Ordering::SeqCst) {
            0 => false,
            since => {
                let began = self.origin + Duration::from_millis(since - 1);
                began.elapsed() >= STUCK
            }
        }
    }
}

/// A writer whose writes are watched by [`Io`] (put under a buffer: only the writes that reach
/// the system are, not each small piece a renderer writes).
struct Watched<'a, W> {
    inner: W,
    io: &'a Io,
}

impl<'a, W: Write> Watched<'a, W> {
    fn new(inner: W, io: &'a Io) -> Watched<'a, W> {
        Watched { inner, io }
    }
}

impl<W: Write> Write for Watched<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let inner = &mut self.inner;
        self.io.wait(|| inner.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        let inner = &mut self.inner;
        self.io.wait(|| inner.flush())
    }
}

/// Run `write` on a thread of its own and wait for it; `None` once the run has been stopped for
/// `by` and `write` has been stuck in one wait on the system for [`STUCK`]: it is left behind, to
/// end on its own or with the process. A panic in `write` is raised here.
fn within<T: Send + 'static>(
    cancel: &Cancel,
    by: Duration,
    write: impl FnOnce(Arc<Io>) -> T + Send + 'static,
) -> Option<T> {
    let io = Arc::new(Io::new());
    // Taken by the thread, or back here if no thread can be started.
    let job = Arc::new(Mutex::new(Some(write)));
    let (send, receive) = mpsc::sync_channel(1);
    let (mine, theirs) = (Arc::clone(&job), Arc::clone(&io));
    let spawned = std::thread::Builder::new()
        .name("heap-audit-write".into())
        .spawn(move || {
            let write = mine.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(write) = write {
                let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| write(theirs)));
                let _ = send.send(done);
            }
        });
    if spawned.is_err() {
        let write = job.lock().unwrap_or_else(|e| e.into_inner()).take();
        return write.map(|write| write(io));
    }
    loop {
        match receive.recv_timeout(POLL) {
            Ok(Ok(value)) => return Some(value),
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(mpsc::RecvTimeoutError::Disconnected) => return None,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let stopped_long = cancel.stopped_for().is_some_and(|since| since >= by);
                if stopped_long && io.stuck() {
                    return None;
                }
            }
        }
    }
}

fn write_file(
    report: &Report,
    format: Format,
    path: &Path,
    options: &RenderOptions,
    watch: &Io,
) -> anyhow::Result<()> {
    let file = watch
        .wait(|| File::create(path))
        .with_context(|| format!("cannot write {}", path.display()))?;
    let mut out = io::BufWriter::new(Watched::new(file, watch));
    render(report, format, options, &mut out)
        .and_then(|()| out.flush())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Append the Markdown report to a GitHub Actions job summary file.
fn append_job_summary(report: &Report, path: &Path, watch: &Io) -> anyhow::Result<()> {
    let context = || format!("cannot append the job summary to {}", path.display());
    let file = watch
        .wait(|| OpenOptions::new().create(true).append(true).open(path))
        .with_context(context)?;
    let mut out = io::BufWriter::new(Watched::new(file, watch));
    markdown::render(&printable_report(report), &mut out)
        .and_then(|()| out.flush())
        .with_context(context)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::limits::Signal;

    #[test]
    fn a_report_is_cleaned_only_when_a_string_holds_a_control_character() {
        use crate::rules::common::testing::{native_heap, page, report};
        let with = |text: &str| {
            let mut r = report(vec![page("/", vec![native_heap("/", "123")])]);
            r.pages[0].installs[0].evidence.snippet = format!("heap.load(\"123\"); {text}");
            r
        };
        // Line breaks, tabs, quotes, backslashes and printable non-ASCII (U+00A0 and U+00E9 are
        // two bytes from 0xC2 and 0xC3; U+2028 three) are left alone, and the report is not copied.
        let clean = with("a\n\tb \"q\" \\r \\u001b \u{a0}\u{e9}\u{2028}");
        assert!(matches!(printable_report(&clean), Cow::Borrowed(_)));
        // Each control character is replaced, escaped by JSON or not.
        for control in [
            "\u{1b}[31m",
            "\r",
            "\u{8}",
            "\u{c}",
            "\u{0}",
            "\u{7f}",
            "\u{85}",
            "\u{9f}",
        ] {
            let dirty = with(control);
            let Cow::Owned(cleaned) = printable_report(&dirty) else {
                panic!("{control:?} was left in the report");
            };
            let snippet = &cleaned.pages[0].installs[0].evidence.snippet;
            assert!(
                snippet.ends_with('\u{FFFD}') || snippet.contains("\u{FFFD}[31m"),
                "{control:?}: {snippet:?}"
            );
            assert!(!snippet
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t'));
        }
    }

    #[test]
    fn a_write_stuck_after_a_stop_is_left_behind_and_one_at_work_is_not() {
        let cancel = Cancel::new();
        cancel.interrupt_by(Signal::Term);
        // Stuck in a write (a pipe nobody reads): left behind once the stop is old enough.
        let started = Instant::now();
        let stuck = within(&cancel, Duration::from_millis(100), |io| {
            io.wait(|| std::thread::sleep(Duration::from_secs(30)));
        });
        assert!(stuck.is_none());
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        // At work, never waiting on the system long (a big report being rendered): finished.
        let busy = within(&cancel, Duration::ZERO, |io| {
            for _ in 0..10 {
                std::thread::sleep(Duration::from_millis(100));
                io.wait(|| ());
            }
            "whole"
        });
        assert_eq!(busy, Some("whole"));
        // Without a stop, a slow write is waited for.
        let slow = within(&Cancel::new(), Duration::ZERO, |io| {
            io.wait(|| std::thread::sleep(Duration::from_millis(700)));
            "written"
        });
        assert_eq!(slow, Some("written"));
    }
}
