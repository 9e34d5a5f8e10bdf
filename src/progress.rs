//! Everything heap-audit says on standard error while it works: warnings (silenced by `--quiet`),
//! one line per page audited (`--verbose`), and a single self-rewriting progress line on a terminal.
//!
//! The scan reports to a shared [`Progress`] through atomic counters; a [`Bar`] thread redraws
//! the line ten times a second. The line is plain text rewritten with a carriage return and
//! padding, no colour and no terminal escapes, so `NO_COLOR` and dumb terminals are respected by
//! construction. It is shown only when standard error is a terminal and `CI` is not set (see
//! [`bar_wanted`]); piped or in CI nothing of it is written.

use std::ffi::OsStr;
use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::model::Page;

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
    /// Width of the progress line on screen (0: none). Held while writing, so lines never mix.
    drawn: Mutex<usize>,
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

    /// `n` more pages are waiting to be audited.
    pub fn queued(&self, n: usize) {
        self.queued.fetch_add(n, Ordering::Relaxed);
    }

    /// A page was audited (fetched and read, or failed): counted, and listed with `--verbose`.
    pub fn page_done(&self, page: &Page) {
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
    }

    /// A batch of `total` sites starts.
    pub fn sites(&self, total: usize) {
        self.sites_total.store(total, Ordering::Relaxed);
    }

    /// One site of a batch is finished.
    pub fn site_done(&self) {
        self.sites_done.fetch_add(1, Ordering::Relaxed);
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

    /// Write a whole line to standard error, first wiping the progress line if one is shown (the
    /// bar redraws it on its next tick).
    fn line(&self, text: &str) {
        let mut drawn = self.drawn.lock().unwrap_or_else(|e| e.into_inner());
        let mut err = io::stderr().lock();
        let _ = write!(err, "{}", wipe(*drawn));
        *drawn = 0;
        let _ = writeln!(err, "{}", crate::report::printable(text));
    }

    /// Run `write` (which prints to standard output) with the progress line wiped first, so the
    /// two never share a line on a terminal; the bar redraws it on its next tick.
    pub fn suspend<T>(&self, write: impl FnOnce() -> T) -> T {
        let mut drawn = self.drawn.lock().unwrap_or_else(|e| e.into_inner());
        if *drawn > 0 {
            let mut err = io::stderr().lock();
            let _ = write!(err, "{}", wipe(*drawn));
            let _ = err.flush();
            *drawn = 0;
        }
        write()
    }

    fn draw(&self) {
        let text = self.status();
        let width = text.chars().count();
        let mut drawn = self.drawn.lock().unwrap_or_else(|e| e.into_inner());
        let pad = " ".repeat(drawn.saturating_sub(width));
        let mut err = io::stderr().lock();
        let _ = write!(err, "\r{text}{pad}");
        let _ = err.flush();
        *drawn = width;
    }

    fn clear(&self) {
        let mut drawn = self.drawn.lock().unwrap_or_else(|e| e.into_inner());
        let mut err = io::stderr().lock();
        let _ = write!(err, "{}", wipe(*drawn));
        let _ = err.flush();
        *drawn = 0;
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Characters that blank a progress line of `width` columns and return to its start.
fn wipe(width: usize) -> String {
    if width == 0 {
        String::new()
    } else {
        format!("\r{}\r", " ".repeat(width))
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

/// The progress line, redrawn by a background thread until dropped (which wipes it).
pub struct Bar {
    progress: Arc<Progress>,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Bar {
    /// Start redrawing `progress` every 100 ms.
    pub fn start(progress: Arc<Progress>) -> Bar {
        let (stop, stopped) = mpsc::channel::<()>();
        let shown = Arc::clone(&progress);
        let thread = std::thread::spawn(move || loop {
            shown.draw();
            match stopped.recv_timeout(Duration::from_millis(100)) {
                Err(RecvTimeoutError::Timeout) => continue,
                Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
            }
        });
        Bar {
            progress,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.progress.clear();
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
