//! Everything heap-audit says on standard error while it works: warnings (silenced by `--quiet`),
//! one line per page audited (`--verbose`), and a single progress line on a terminal.
//!
//! This is the command line's [`Observer`]: the scan reports to a shared [`Progress`] through
//! atomic counters, and while a [`Bar`] lives, indicatif redraws the line from them ten times a
//! second. The line has no colour (indicatif only moves the cursor to rewrite it), and it is shown
//! only when standard error is a terminal and `CI` is not set (see [`bar_wanted`]); piped or in CI
//! nothing of it is written.

use std::ffi::OsStr;
use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::model::{Page, Phase};
use crate::observer::Observer;

/// How much heap-audit says on standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verbosity {
    /// The report only: no progress, no warnings (errors that stop the run are still printed).
    Quiet,
    #[default]
    Normal,
    /// Also each page as it is audited.
    Verbose,
}

/// Counters shared by every worker of a run, and the one writer of standard error.
#[derive(Debug, Default)]
pub struct Progress {
    verbosity: Verbosity,
    pages: AtomicUsize,
    queued: AtomicUsize,
    errors: AtomicUsize,
    sites_done: AtomicUsize,
    sites_total: AtomicUsize,
    /// The progress line while a [`Bar`] is shown. Held while writing, so lines never mix.
    bar: Mutex<Option<ProgressBar>>,
}

impl Observer for Progress {
    fn queued(&self, n: usize) {
        self.queued.fetch_add(n, Ordering::Relaxed);
        self.redraw();
    }

    /// Counted, and listed with `--verbose`.
    fn page_done(&self, page: &Page) {
        self.pages.fetch_add(1, Ordering::Relaxed);
        // Saturating: a page audited without being queued must not wrap the counter.
        let _ = self
            .queued
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |q| q.checked_sub(1));
        if page.error.is_some() {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        if self.verbosity == Verbosity::Verbose {
            let status = page.status.map(|s| format!(" {s}")).unwrap_or_default();
            match &page.error {
                Some(error) => self.line(&format!("failed{status} {}: {error}", page.url)),
                None => self.line(&format!("fetched{status} {}", page.url)),
            }
        }
        self.redraw();
    }

    fn sites(&self, total: usize) {
        self.sites_total.store(total, Ordering::Relaxed);
        self.redraw();
    }

    fn site_done(&self) {
        self.sites_done.fetch_add(1, Ordering::Relaxed);
        self.redraw();
    }

    /// Said with `--verbose`: on a big site the rules take a while after the last page.
    fn phase(&self, phase: Phase, site: &str) {
        if self.verbosity == Verbosity::Verbose {
            let doing = match phase {
                Phase::Crawl => "crawling",
                Phase::Following => "following what pages load",
                Phase::Rules => "running the rules",
                Phase::Advice => "working out the advice",
                Phase::Writing => "writing the reports",
                Phase::Render => "rendering pages in Chromium",
            };
            self.line(&format!("heap-audit: {site}: {doing}"));
        }
    }
}

impl Progress {
    pub fn new(verbosity: Verbosity) -> Progress {
        Progress {
            verbosity,
            ..Progress::default()
        }
    }

    pub fn verbosity(&self) -> Verbosity {
        self.verbosity
    }

    /// Something the user should know about the run (the configuration file in use): printed
    /// unless `--quiet`.
    pub fn note(&self, message: &str) {
        if self.verbosity != Verbosity::Quiet {
            self.line(&format!("heap-audit: {message}"));
        }
    }

    /// A warning: printed unless `--quiet`.
    pub fn warn(&self, message: &str) {
        if self.verbosity != Verbosity::Quiet {
            self.line(&format!("heap-audit: warning: {message}"));
        }
    }

    /// An error that explains the exit status: printed even with `--quiet`.
    pub fn error(&self, message: &str) {
        self.line(&format!("heap-audit: error: {message}"));
    }

    /// The progress line's text, e.g. `sites 3/10 · 42 pages · 17 queued · 1 error`.
    pub fn status(&self) -> String {
        let mut parts = Vec::new();
        let total = self.sites_total.load(Ordering::Relaxed);
        if total > 0 {
            let done = self.sites_done.load(Ordering::Relaxed);
            parts.push(format!("sites {done}/{total}"));
        }
        let pages = self.pages.load(Ordering::Relaxed);
        parts.push(format!("{pages} page{}", plural(pages)));
        parts.push(format!("{} queued", self.queued.load(Ordering::Relaxed)));
        let errors = self.errors.load(Ordering::Relaxed);
        parts.push(format!("{errors} error{}", plural(errors)));
        format!("heap-audit: {}", parts.join(" · "))
    }

    fn bar(&self) -> MutexGuard<'_, Option<ProgressBar>> {
        self.bar.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Give the progress line its new text (indicatif draws it at most ten times a second).
    fn redraw(&self) {
        if let Some(bar) = self.bar().as_ref() {
            bar.set_message(self.status());
        }
    }

    /// Write a whole line to standard error, above the progress line if one is shown.
    fn line(&self, text: &str) {
        let text = crate::report::printable(text);
        self.suspend(|| {
            let _ = writeln!(io::stderr().lock(), "{text}");
        });
    }

    /// Run `write` (which prints to standard output or error) with the progress line wiped
    /// first, so the two never share a line on a terminal; the line comes back after it.
    pub fn suspend<T>(&self, write: impl FnOnce() -> T) -> T {
        match self.bar().as_ref() {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Whether to draw the progress line: standard error is a terminal, `CI` is not set (to anything
/// but empty, `0` or `false`), and neither `--no-progress` nor `--quiet` was given.
pub fn bar_wanted(
    stderr_is_terminal: bool,
    ci: Option<&OsStr>,
    no_progress: bool,
    quiet: bool,
) -> bool {
    let in_ci = ci.is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    stderr_is_terminal && !in_ci && !no_progress && !quiet
}

/// The progress line, shown on standard error until dropped (which wipes it).
pub struct Bar {
    progress: Arc<Progress>,
}

impl Bar {
    /// Show `progress` as a line that indicatif redraws ten times a second.
    pub fn start(progress: Arc<Progress>) -> Bar {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
        if let Ok(style) = ProgressStyle::with_template("{msg}") {
            bar.set_style(style);
        }
        bar.set_message(progress.status());
        bar.enable_steady_tick(Duration::from_millis(100));
        *progress.bar() = Some(bar);
        Bar { progress }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(bar) = self.progress.bar().take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_counts_pages_queue_errors_and_sites() {
        let p = Progress::new(Verbosity::Normal);
        p.queued(3);
        let mut page = Page::new("https://a.example/".into(), "https://a.example".into(), 0);
        p.page_done(&page);
        page.error = Some("connection refused".into());
        p.page_done(&page);
        assert_eq!(p.status(), "heap-audit: 2 pages · 1 queued · 1 error");
        p.sites(4);
        p.site_done();
        assert!(
            p.status().starts_with("heap-audit: sites 1/4 · 2 pages"),
            "{}",
            p.status()
        );
        // More pages done than queued never wraps around.
        p.page_done(&page);
        p.page_done(&page);
        assert!(p.status().contains("· 0 queued ·"), "{}", p.status());
    }

    #[test]
    fn the_bar_only_on_a_terminal_outside_ci() {
        assert!(bar_wanted(true, None, false, false));
        assert!(bar_wanted(true, Some(OsStr::new("")), false, false));
        assert!(bar_wanted(true, Some(OsStr::new("false")), false, false));
        assert!(!bar_wanted(true, Some(OsStr::new("true")), false, false));
        assert!(!bar_wanted(false, None, false, false));
        assert!(!bar_wanted(true, None, true, false));
        assert!(!bar_wanted(true, None, false, true));
    }
}
