//! The scan: walk each target (crawl a site, or read a build folder), audit every page, and follow
//! what the pages load: first-party script files, tag manager containers, Segment settings.
//!
//! This is the only stage that decides what to fetch; all reading of text is delegated to the pure
//! parsers in `extract`, and all assembly to `inventory`. `crawl` walks targets, `page` audits one
//! page, `follow` reads what a page loads (tag managers, Segment settings).

mod crawl;
mod follow;
mod memo;
mod page;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use regex::Regex;
use url::Url;

use crate::extract::decode::{self, Body};
use crate::extract::detect::{self, Origin, Scan};
use crate::extract::gtm;
use crate::extract::html::{self, Lines, ScriptKind};
use crate::extract::segment_settings::{self, Settings};
use crate::extract::signatures::{SignatureError, Signatures};
use crate::inventory;
use crate::model::{
    Csp, Install, Page, Problem, ProblemKind, Report, Tool, Unverified, Vendor, Via, SCHEMA_VERSION,
};
use crate::source::fetch::{FetchConfig, Fetcher};
use crate::source::robots::Robots;
use crate::source::site::{self, Site};
use memo::Memo;

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub max_pages: usize,
    pub max_depth: Option<u32>,
    pub concurrency: usize,
    pub include: Vec<Regex>,
    pub exclude: Vec<Regex>,
    pub ignore_robots: bool,
    /// Fetch nothing beyond the targets: no tag manager containers, no Segment settings.
    pub offline: bool,
    pub fetch: FetchConfig,
}

impl Default for ScanOptions {
    fn default() -> ScanOptions {
        ScanOptions {
            max_pages: 200,
            max_depth: None,
            concurrency: 8,
            include: Vec::new(),
            exclude: Vec::new(),
            ignore_robots: false,
            offline: false,
            fetch: FetchConfig::default(),
        }
    }
}

/// The report, and the targets that could not be audited at all.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub report: Report,
    /// One message per target that yielded nothing (start URL unreachable, folder missing).
    pub fatal: Vec<String>,
}

/// Scan every target.
pub fn run(targets: &[String], opts: &ScanOptions) -> Result<Outcome, &'static SignatureError> {
    let sigs = Signatures::builtin()?;
    let mut fetch = opts.fetch.clone();
    fetch.header_hosts = targets
        .iter()
        .filter_map(|t| Url::parse(t).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .filter_map(|u| {
            let host = u.host_str()?;
            Some(u.port().map_or(host.to_owned(), |p| format!("{host}:{p}")))
        })
        .collect();
    let ctx = Ctx {
        sigs,
        opts,
        fetcher: Fetcher::new(fetch),
        problems: Mutex::default(),
        unverified: Mutex::default(),
        scripts: Memo::default(),
        followed: Memo::default(),
        settings: Memo::default(),
    };
    let mut pages = Vec::new();
    let mut fatal = Vec::new();
    for target in targets {
        let result = if target.starts_with("http://") || target.starts_with("https://") {
            ctx.crawl(target, &mut pages)
        } else {
            ctx.walk(target, &mut pages)
        };
        if let Err(message) = result {
            fatal.push(message);
        }
    }
    let mut problems = ctx.problems.into_inner().unwrap_or_else(|e| e.into_inner());
    problems.sort_by(|a, b| (&a.url, a.kind).cmp(&(&b.url, b.kind)));
    problems.dedup_by(|a, b| a.url == b.url && a.kind == b.kind);
    let mut unverified = ctx
        .unverified
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    unverified.sort_by(|a, b| (&a.kind, &a.url).cmp(&(&b.kind, &b.url)));
    unverified.dedup();
    let summary = inventory::summarize(&pages, &problems, 0);
    let report = Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "heap-audit".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        targets: targets.to_vec(),
        pages,
        findings: Vec::new(),
        recommendation: None,
        problems,
        unverified,
        summary,
    };
    Ok(Outcome { report, fatal })
}

struct Ctx<'a> {
    sigs: &'a Signatures,
    opts: &'a ScanOptions,
    fetcher: Fetcher,
    problems: Mutex<Vec<Problem>>,
    unverified: Mutex<Vec<Unverified>>,
    /// First-party script files, scanned once each.
    scripts: Memo<Scan>,
    /// Tag manager containers and libraries, scanned once each.
    followed: Memo<Option<Scan>>,
    /// Segment settings by URL; `None` when they could not be read.
    settings: Memo<Option<Settings>>,
}

/// What auditing one page yields.
struct Audited {
    page: Page,
    links: Vec<Url>,
}

impl Ctx<'_> {
    fn problem(&self, url: &str, kind: ProblemKind, message: impl Into<String>) {
        let problem = Problem {
            url: url.to_owned(),
            kind,
            message: message.into(),
        };
        self.problems
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(problem);
    }

    fn unverified(&self, kind: &str, url: &str, reason: impl Into<String>) {
        let entry = Unverified {
            kind: kind.to_owned(),
            url: url.to_owned(),
            reason: reason.into(),
        };
        self.unverified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(entry);
    }
}
