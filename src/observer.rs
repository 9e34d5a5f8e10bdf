//! How an audit tells its caller what it is doing, without knowing who listens.
//!
//! The scan, the audit and the batch call an [`Observer`] the caller passes in (`ScanOptions::observer`):
//! the command line draws a progress line and lists pages with `--verbose` (`progress.rs`),
//! another program may count pages or do nothing. Every method has an empty default, so an
//! observer implements only what it needs.

use std::fmt;

use crate::model::{Page, Phase};

/// Receives the events of an audit as they happen, from any worker thread.
pub trait Observer: Send + Sync + fmt::Debug {
    /// `n` more pages are waiting to be audited.
    fn queued(&self, n: usize) {
        let _ = n;
    }

    /// A page was audited (fetched and read, or failed: see `page.error`).
    fn page_done(&self, page: &Page) {
        let _ = page;
    }

    /// A batch of `total` sites starts.
    fn sites(&self, total: usize) {
        let _ = total;
    }

    /// One site of a batch is finished.
    fn site_done(&self) {}

    /// A phase after the crawl starts for `site` (the first target): the rules, the advice, the
    /// writing of the reports.
    fn phase(&self, phase: Phase, site: &str) {
        let _ = (phase, site);
    }
}
