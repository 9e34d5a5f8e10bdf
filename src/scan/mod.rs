//! The scan: walk each target (crawl a site, or read a build folder), audit every page, and follow
//! what the pages load: first-party script files, tag manager containers, Segment settings.
//!
//! This is the only stage that decides what to fetch; all reading of text is delegated to the pure
//! parsers in `extract`, and all assembly to `inventory`. `crawl` walks targets, `page` audits one
//! page, `follow` reads what a page loads (tag managers, Segment settings).

mod auth;
mod crawl;
mod follow;
mod frontier;
mod memo;
mod page;
mod parallel;
mod source;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use regex::Regex;
use url::Url;

use crate::extract::decode::{self, Body};
use crate::extract::detect::{self, Origin, Scan};
use crate::extract::gtm;
use crate::extract::html::{self, Lines, ScriptKind};
use crate::extract::js;
use crate::extract::segment_settings::{self, Settings};
use crate::extract::signatures::{SignatureError, Signatures};
use crate::inventory;
use crate::model::{
    Csp, Gate, Install, Page, Phase, Problem, ProblemKind, Report, Tool, Unverified, Vendor, Via,
    SCHEMA_VERSION,
};
use crate::observer::Observer;
use crate::source::fetch::{remap, FetchConfig, FetchError, Fetched, Fetcher};
pub use crate::source::limits::{Cancel, Signal, Stop};
use crate::source::repo;
use crate::source::robots::Robots;
use crate::source::site::{self, Site};
use crate::source::{folder, local};
use frontier::{Frontier, Links};
use memo::Memo;

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// The most pages audited per site: a crawl stops there (200 by default).
    pub max_pages: usize,
    /// Whether `max_pages` was asked for (`--max-pages`, or the configuration file): only then
    /// does it cap a local folder too, which is otherwise read whole (reading files is cheap, and
    /// a build check wants every page).
    pub max_pages_set: bool,
    pub max_depth: Option<u32>,
    pub concurrency: usize,
    pub include: Vec<Regex>,
    pub exclude: Vec<Regex>,
    pub ignore_robots: bool,
    /// Fetch nothing beyond the targets: no tag manager containers, no Segment settings.
    pub offline: bool,
    /// Crawl at most this many pages whose URLs share a pattern (digits as `N`, query values as
    /// `*`: `/page/N`, `/cal/N/N/N`, `/search?q=*`), so generated links cannot starve the rest of
    /// the site (`--max-per-pattern`; 0: no cap).
    pub max_per_pattern: usize,
    /// When to stop early (a signal, `--max-time`): the pages audited so far are reported.
    pub cancel: Cancel,
    pub fetch: FetchConfig,
    /// Who is told of pages queued and audited (the CLI's progress line and `--verbose`);
    /// `None`: nobody.
    pub observer: Option<Arc<dyn Observer>>,
    /// How a local folder is read: `None` decides from the tree (`--mode`).
    pub mode: Option<repo::Mode>,
    /// Source mode: globs over paths relative to the repository; only matching files are read
    /// (`--include-path`).
    pub include_paths: Vec<String>,
    /// Source mode: globs over paths relative to the repository; matching files are left out
    /// (`--exclude-path`).
    pub exclude_paths: Vec<String>,
}

impl Default for ScanOptions {
    fn default() -> ScanOptions {
        ScanOptions {
            max_pages: 200,
            max_pages_set: false,
            max_depth: None,
            concurrency: 8,
            include: Vec::new(),
            exclude: Vec::new(),
            ignore_robots: false,
            offline: false,
            max_per_pattern: 50,
            cancel: Cancel::new(),
            fetch: FetchConfig::default(),
            observer: None,
            mode: None,
            include_paths: Vec::new(),
            exclude_paths: Vec::new(),
        }
    }
}

/// The report, and the targets that could not be audited at all.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub report: Report,
    /// One message per target that yielded nothing (start URL unreachable, folder missing).
    pub fatal: Vec<String>,
    /// Why the run stopped before auditing everything (a signal, `--max-time`), if it did.
    pub stopped: Option<Stop>,
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
            let host = u.port().map_or(host.to_owned(), |p| format!("{host}:{p}"));
            Some(format!("{}://{host}", u.scheme()))
        })
        .collect();
    let ctx = Arc::new(Ctx {
        sigs,
        opts: opts.clone(),
        fetcher: Fetcher::new(fetch, opts.cancel.clone()),
        problems: Mutex::default(),
        unverified: Mutex::default(),
        scripts: Memo::default(),
        followed: Memo::default(),
        settings: Memo::default(),
        remapped_local: Memo::default(),
        sources: Mutex::default(),
        coverage: Mutex::default(),
        stop: std::sync::OnceLock::new(),
        closed: AtomicBool::new(false),
        following: Mutex::default(),
    });
    if opts.fetch.insecure {
        if let Some(first) = targets.iter().find(|t| t.starts_with("http")) {
            let message = "--insecure: TLS certificates were not checked, so a page could have \
                           come from anyone on the way; trust the site's CA with --ca-cert instead";
            ctx.problem(first, ProblemKind::InsecureTls, message);
        }
    }
    let mut pages = Vec::new();
    let mut fatal = Vec::new();
    for target in targets {
        if let Some(stop) = opts.cancel.stopped() {
            let _ = ctx.stop.set(stop);
            let message = format!("the crawl was cut: not audited: {}", stop.reason());
            ctx.problem(target, ProblemKind::Interrupted, message.clone());
            // Nothing of it was audited, and that is its coverage too.
            let kind = match Target::of(target) {
                Ok(Target::Url) => "crawl",
                _ => "folder",
            };
            ctx.coverage
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(crate::model::Coverage {
                    target: target.clone(),
                    stopped_by: vec![crawl::stop_name(stop).to_owned()],
                    kind: kind.to_owned(),
                    ..Default::default()
                });
            fatal.push(format!("{target}: {message}"));
            continue;
        }
        let kind = Target::of(target);
        let before = pages.len();
        let result = match kind {
            Ok(Target::Url) => ctx.crawl(target, &mut pages),
            Ok(Target::Path) => ctx.walk(target, &mut pages),
            Err(ref message) => Err(message.clone()),
        };
        if let Err(message) = result {
            // The report says it too, with the target, unless a page of the target does.
            if pages.len() == before {
                let kind = match kind {
                    Ok(Target::Path) => ProblemKind::Io,
                    _ => ProblemKind::Unreachable,
                };
                ctx.problem(target, kind, message.clone());
            }
            fatal.push(message);
        }
    }
    // A stop the crawl did not see itself (a start page cut by Ctrl-C) still counts.
    let stopped = ctx.stop.get().copied().or_else(|| opts.cancel.stopped());
    // Workers a stop left behind may still hold the context: what they would add now is dropped.
    ctx.closed.store(true, Ordering::SeqCst);
    let mut problems = std::mem::take(&mut *ctx.problems.lock().unwrap_or_else(|e| e.into_inner()));
    if let Some(stop) = stopped {
        ctx.name_the_cut(targets, stop, &mut problems);
    }
    problems.sort_by(|a, b| (&a.url, a.kind).cmp(&(&b.url, b.kind)));
    problems.dedup_by(|a, b| a.url == b.url && a.kind == b.kind);
    let mut unverified =
        std::mem::take(&mut *ctx.unverified.lock().unwrap_or_else(|e| e.into_inner()));
    unverified.sort_by(|a, b| (&a.kind, &a.url).cmp(&(&b.kind, &b.url)));
    unverified.dedup();
    let summary = inventory::summarize(&pages, &problems, 0);
    let sources = std::mem::take(&mut *ctx.sources.lock().unwrap_or_else(|e| e.into_inner()));
    let coverage = std::mem::take(&mut *ctx.coverage.lock().unwrap_or_else(|e| e.into_inner()));
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
        sources,
        coverage,
        render: None,
    };
    Ok(Outcome {
        report,
        fatal,
        stopped,
    })
}

/// What a run's workers share (behind an `Arc`: a worker that a stop leaves behind keeps it).
struct Ctx {
    sigs: &'static Signatures,
    opts: ScanOptions,
    fetcher: Fetcher,
    problems: Mutex<Vec<Problem>>,
    unverified: Mutex<Vec<Unverified>>,
    /// First-party script files, scanned once each.
    scripts: Memo<Scan>,
    /// Tag manager containers and libraries, scanned once each.
    followed: Memo<Option<Scan>>,
    /// Segment settings by URL; `None` when they could not be read.
    settings: Memo<Option<Settings>>,
    /// Whether `--remap` sends a loader's URL to a local file (read even `--offline`).
    remapped_local: Memo<bool>,
    /// How each local target was read.
    sources: Mutex<Vec<crate::model::SourceRead>>,
    coverage: Mutex<Vec<crate::model::Coverage>>,
    /// Set when the run stopped before every target was fully audited.
    stop: std::sync::OnceLock<Stop>,
    /// Set once the report is assembled: a worker left behind by a stop adds nothing after it
    /// (no problem, no progress line).
    closed: AtomicBool,
    /// What pages load (tag manager containers and libraries, Segment settings) by URL, as it
    /// is read: a stop names what it cut there.
    following: Mutex<std::collections::HashMap<String, Following>>,
}

/// Something a page loads, read by [`Ctx::following`].
struct Following {
    /// What it is, in words (`the GTM container GTM-X`).
    what: String,
    /// How many workers are reading it now (one fetches; the others wait for its result).
    reading: usize,
}

/// What auditing one page yields.
struct Audited {
    page: Page,
    /// The links a crawl may follow: resolved, on the site, each once (empty unless crawling).
    links: Links,
}

impl Ctx {
    /// Workers for local files (a folder's pages, a repository's sources): `--concurrency`, but
    /// no more than the cores. A build folder is mostly read from the disk cache, which is work
    /// for a core, not a wait: more threads only take turns (a 10,000-page folder on 2 cores:
    /// 0.60 s with 8 workers, 0.53 s with 2, in one run). On a network mount, where reads do
    /// wait, this reads fewer files at once than `--concurrency` would.
    fn local_workers(&self) -> usize {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        self.opts.concurrency.min(cores)
    }

    fn problem(&self, url: &str, kind: ProblemKind, message: impl Into<String>) {
        if self.closed.load(Ordering::SeqCst) {
            return;
        }
        let problem = Problem {
            url: url.to_owned(),
            kind,
            message: message.into(),
            // Cut while reading pages; what was cut while following is renamed by `run`.
            phase: (kind == ProblemKind::Interrupted).then_some(Phase::Crawl),
        };
        self.problems
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(problem);
    }

    fn unverified(&self, kind: &str, url: &str, reason: impl Into<String>) {
        if self.closed.load(Ordering::SeqCst) {
            return;
        }
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

    /// Whether `--offline` keeps `url` from being fetched: anything but a URL a `--remap` turns
    /// into a local file (how a CI job supplies a saved container or settings).
    fn offline(&self, url: &str) -> bool {
        // Asked for every loader of every page: a loader URL is remapped once.
        self.opts.offline
            && !*self.remapped_local.get_or(url, || {
                remap(&self.opts.fetch.remaps, url).starts_with("file:")
            })
    }

    /// Read what a page loads (`what`, at `url`), noting while it is read: a stop then names it.
    fn following<T>(
        &self,
        url: &str,
        what: impl FnOnce() -> String,
        read: impl FnOnce() -> T,
    ) -> T {
        /// Takes the reader off the note, however the read ends.
        struct Read<'a>(&'a Ctx, &'a str);
        impl Drop for Read<'_> {
            fn drop(&mut self) {
                let mut following = self.0.following.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(entry) = following.get_mut(self.1) {
                    entry.reading = entry.reading.saturating_sub(1);
                }
            }
        }
        {
            let mut following = self.following.lock().unwrap_or_else(|e| e.into_inner());
            following
                .entry(url.to_owned())
                .or_insert_with(|| Following {
                    what: what(),
                    reading: 0,
                })
                .reading += 1;
        }
        let _read = Read(self, url);
        read()
    }

    /// After a stop: say in the problems which phase it cut. A target's `interrupted` problem
    /// says the crawl was cut; what pages load that was being read (or could not be read for the
    /// stop) is named as cut while following, with an `interrupted` problem of its own.
    fn name_the_cut(&self, targets: &[String], stop: Stop, problems: &mut Vec<Problem>) {
        for problem in problems.iter_mut() {
            if problem.kind == ProblemKind::Interrupted
                && targets.contains(&problem.url)
                && !problem.message.starts_with("the crawl was cut")
            {
                problem.message = format!("the crawl was cut: {}", problem.message);
            }
        }
        let following = self.following.lock().unwrap_or_else(|e| e.into_inner());
        let cut = |what: &str| {
            format!(
                "following was cut: {what} was not read: {}, so what it loads is not in the report",
                stop.reason()
            )
        };
        for problem in problems.iter_mut() {
            if let Some(entry) = following
                .get(&problem.url)
                .filter(|_| problem.kind == ProblemKind::Interrupted)
            {
                problem.message = cut(&entry.what);
                problem.phase = Some(Phase::Following);
            }
        }
        let mut reading: Vec<(&String, &Following)> =
            following.iter().filter(|(_, f)| f.reading > 0).collect();
        reading.sort_by(|a, b| a.0.cmp(b.0));
        for (url, entry) in reading {
            let named = problems
                .iter()
                .any(|p| p.url == *url && p.kind == ProblemKind::Interrupted);
            if !named {
                problems.push(Problem {
                    url: url.clone(),
                    kind: ProblemKind::Interrupted,
                    message: cut(&entry.what),
                    phase: Some(Phase::Following),
                });
            }
        }
    }

    /// Count `n` pages as waiting to be audited.
    fn queued(&self, n: usize) {
        if let Some(observer) = &self.opts.observer {
            observer.queued(n);
        }
    }

    /// Count a page as audited.
    fn audited(&self, audited: Audited) -> Audited {
        if self.closed.load(Ordering::SeqCst) {
            return audited;
        }
        if let Some(observer) = &self.opts.observer {
            observer.page_done(&audited.page);
        }
        audited
    }
}

/// What a target names: a site to crawl, or local files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// An `http://` or `https://` URL (any case).
    Url,
    /// A folder or a file.
    Path,
}

impl Target {
    /// Tell a target's kind, or say plainly why it is not one: a URL of another scheme
    /// (`ftp://`, `file://`, `mailto:`) or an `http(s)` URL that does not parse. Paths are not
    /// checked here; reading them says whether they exist.
    pub fn of(target: &str) -> Result<Target, String> {
        let scheme = target
            .split_once("://")
            .map(|(scheme, _)| scheme)
            .filter(|s| is_scheme(s))
            .or_else(|| {
                let (scheme, _) = target.split_once(':')?;
                let known = ["mailto", "javascript", "data", "tel"];
                known
                    .iter()
                    .any(|k| scheme.eq_ignore_ascii_case(k))
                    .then_some(scheme)
            });
        let Some(scheme) = scheme else {
            return Ok(Target::Path);
        };
        if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
            return Err(format!(
                "{target}: unsupported scheme '{scheme}': a target is an http:// or https:// URL, \
                 a folder or an .html file"
            ));
        }
        match Url::parse(target) {
            Ok(url) if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(Target::Url),
            Ok(_) => Err(format!("{target}: not a valid URL: no host")),
            Err(e) => Err(format!("{target}: not a valid URL: {e}")),
        }
    }
}

/// RFC 3986: a letter, then letters, digits, `+`, `-` or `.`.
fn is_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}
