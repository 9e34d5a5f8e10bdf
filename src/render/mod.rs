//! `--render`: a sample of the audited pages rendered in headless Chromium, and what ran put
//! beside the static inventory ([`reconcile`]).
//!
//! One browser for the run, with `concurrency` tabs at a time (a thread each); pages chosen by
//! [`sample`]; a build folder served on 127.0.0.1 ([`serve`]); every request seen by the tab
//! ([`tab`]): `--remap` answered from its target (so tests and air-gapped CI serve the vendors'
//! files from local copies), tracking calls answered locally and never sent, and, if asked,
//! third-party requests refused. A stop (`--max-time`, a signal) ends the render: the pages
//! rendered so far keep their runtime, the rest are counted as not rendered.

pub mod cdp;
pub mod hosts;
pub mod reconcile;
pub mod serve;
pub mod tab;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::model::{Page, Problem, ProblemKind, RenderSummary, Report, Vendor};
use crate::source::fetch::{FetchConfig, Fetcher};
use crate::source::limits::Cancel;

/// How `--render` runs.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// The browser (`--chromium`); `None`: `chromium` on `PATH`.
    pub chromium: Option<PathBuf>,
    /// The most pages rendered (`--render-pages`).
    pub pages: usize,
    /// Extra time after the load event and network idle (`--render-wait`).
    pub wait: Duration,
    /// `--render-consent accept`.
    pub accept_consent: bool,
    /// `--render-block-third-party`.
    pub block_third_party: bool,
    /// Tabs at a time (`--render-concurrency`).
    pub concurrency: usize,
    /// The most one page may take.
    pub page_timeout: Duration,
}

impl Default for RenderOptions {
    fn default() -> RenderOptions {
        RenderOptions {
            chromium: None,
            pages: 10,
            wait: Duration::ZERO,
            accept_consent: false,
            block_third_party: false,
            concurrency: 2,
            page_timeout: Duration::from_secs(30),
        }
    }
}

/// Render a sample of `report`'s pages, reconcile each with its static inventory, and record a
/// [`RenderSummary`]. A browser that cannot start is a problem in the report (and the static
/// audit stands).
pub fn run(
    report: &mut Report,
    options: &RenderOptions,
    fetch: &FetchConfig,
    offline: bool,
    cancel: &Cancel,
) {
    let started = Instant::now();
    let site = report.targets.first().cloned().unwrap_or_default();
    let problem = |message: String| Problem {
        url: site.clone(),
        kind: ProblemKind::Render,
        message,
        phase: None,
    };
    let chosen = sample(&report.pages, options.pages);
    let mut summary = RenderSummary {
        not_rendered: report.pages.len() - chosen.len(),
        ..RenderSummary::default()
    };
    if chosen.is_empty() {
        report.render = Some(summary);
        return;
    }
    let browser = match cdp::find(options.chromium.as_deref())
        .and_then(|path| cdp::Browser::launch(&path, &browser_flags(fetch)))
    {
        Ok(browser) => browser,
        Err(e) => {
            report.problems.push(problem(e.to_string()));
            summary.not_rendered = report.pages.len();
            report.render = Some(summary);
            return;
        }
    };
    summary.browser = browser.version.clone();
    // Build folders: served on loopback, one server per folder.
    let mut servers: Vec<(PathBuf, serve::Served)> = Vec::new();
    let mut urls: Vec<Option<String>> = Vec::with_capacity(chosen.len());
    for &i in &chosen {
        let page = &report.pages[i];
        if page.url.starts_with("http://") || page.url.starts_with("https://") {
            urls.push(Some(page.url.clone()));
            continue;
        }
        let root = PathBuf::from(&page.site);
        let root = if root.is_file() {
            root.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            root
        };
        if !servers.iter().any(|(r, _)| *r == root) {
            match serve::Served::start(&root) {
                Ok(served) => servers.push((root.clone(), served)),
                Err(e) => report.problems.push(problem(format!(
                    "could not serve {} on 127.0.0.1 for the browser: {e}",
                    root.display()
                ))),
            }
        }
        let url = servers
            .iter()
            .find(|(r, _)| *r == root)
            .and_then(|(r, s)| s.url_of(r, Path::new(&page.url)));
        urls.push(url);
    }
    let hosts = hosts::Hosts {
        site: site_hosts(&urls),
        segment: segment_hosts(&report.pages),
    };
    let fetcher = Fetcher::new(fetch.clone(), cancel.clone());
    let agent = user_agent(&browser);
    let config = tab::TabConfig {
        fetcher: &fetcher,
        remaps: &fetch.remaps,
        hosts: &hosts,
        block_third_party: options.block_third_party,
        offline,
        accept_consent: options.accept_consent,
        wait: options.wait,
        timeout: options.page_timeout,
        cancel,
        user_agent: agent.as_deref(),
        headers: &fetch.headers,
    };
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, crate::model::Runtime)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..options.concurrency.clamp(1, chosen.len()) {
            scope.spawn(|| loop {
                if cancel.stopped().is_some() {
                    break;
                }
                let n = next.fetch_add(1, Ordering::SeqCst);
                let (Some(&i), Some(url)) = (chosen.get(n), urls.get(n)) else {
                    break;
                };
                let Some(url) = url else { continue };
                let runtime = tab::render(&browser, url, &config);
                results
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((i, runtime));
            });
        }
    });
    drop(browser);
    // Call sites in a served folder are named by their files, as the static read names them.
    let served: Vec<(String, String)> = servers
        .iter()
        .map(|(root, s)| {
            (
                format!("http://127.0.0.1:{}/", s.port),
                format!("{}/", root.display()).replace("//", "/"),
            )
        })
        .collect();
    drop(servers);
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    let stopped = cancel.stopped();
    for (i, mut runtime) in results {
        local_names(&mut runtime, &served);
        summary.pages += 1;
        if let Some(error) = runtime.error.as_ref().filter(|_| stopped.is_none()) {
            summary.failed += 1;
            report.problems.push(Problem {
                url: report.pages[i].url.clone(),
                kind: ProblemKind::Render,
                message: format!("rendering failed: {error}"),
                phase: None,
            });
        }
        report.pages[i].runtime = Some(Box::new(runtime));
        reconcile::reconcile(&mut report.pages[i]);
    }
    summary.not_rendered = report.pages.len() - summary.pages;
    if let Some(stop) = stopped {
        let cause = match stop {
            crate::source::limits::Stop::OutOfTime => "--max-time",
            crate::source::limits::Stop::InterruptedBy(_) => "a signal",
        };
        report.problems.push(Problem {
            url: site.clone(),
            kind: ProblemKind::Interrupted,
            message: format!(
                "rendering stopped by {cause}: {} of {} pages chosen were rendered (a page cut short keeps what ran until then); the others have their static audit only",
                summary.pages.saturating_sub(summary.failed),
                chosen.len()
            ),
            phase: Some(crate::model::Phase::Render),
        });
    }
    let (confirmed, not_seen, runtime_only) = reconcile::counts(&report.pages);
    summary.confirmed = confirmed;
    summary.not_seen = not_seen;
    summary.runtime_only = runtime_only;
    summary.seconds = started.elapsed().as_secs_f64();
    if summary.pages > 0 {
        summary.seconds_per_page = summary.seconds / summary.pages as f64;
    }
    report.render = Some(summary);
}

/// Name the served folder's files by their paths in `runtime`'s call sites.
fn local_names(runtime: &mut crate::model::Runtime, served: &[(String, String)]) {
    let local = |text: &mut String| {
        if let Some((prefix, root)) = served.iter().find(|(p, _)| text.starts_with(p.as_str())) {
            let rest = &text[prefix.len()..];
            let decoded = url::Url::parse(&format!("file:///{rest}"))
                .ok()
                .and_then(|u| u.to_file_path().ok())
                .map_or_else(|| rest.to_owned(), |p| p.display().to_string());
            *text = format!("{root}{}", decoded.trim_start_matches('/'));
        }
    };
    for call in &mut runtime.heap_loads {
        if let Some(script) = &mut call.script {
            local(script);
        }
        call.stack.iter_mut().for_each(local);
    }
    for request in &mut runtime.requests {
        if let Some(initiator) = &mut request.initiator {
            local(initiator);
        }
    }
}

/// The pages to render, in report order: the start page, then one page per template (the first
/// path segment, digits folded), then the rest, up to `max`. Pages that failed to load and
/// source-mode files are never rendered.
pub fn sample(pages: &[Page], max: usize) -> Vec<usize> {
    let candidates: Vec<usize> = (0..pages.len())
        .filter(|&i| pages[i].error.is_none() && pages[i].kind.is_none())
        .collect();
    let mut chosen: Vec<usize> = Vec::new();
    let mut templates = HashSet::new();
    let start = candidates.iter().copied().min_by_key(|&i| pages[i].depth);
    if let Some(i) = start {
        chosen.push(i);
        templates.insert(template(&pages[i].url));
    }
    for &i in &candidates {
        if chosen.len() >= max {
            break;
        }
        if !chosen.contains(&i) && templates.insert(template(&pages[i].url)) {
            chosen.push(i);
        }
    }
    for &i in &candidates {
        if chosen.len() >= max {
            break;
        }
        if !chosen.contains(&i) {
            chosen.push(i);
        }
    }
    chosen.truncate(max);
    chosen
}

/// A page's template, roughly: its first path segment (digits folded) and whether it goes
/// deeper (`/blog/*` for every post).
fn template(url: &str) -> String {
    let path = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]));
    let path = path.split(['?', '#']).next().unwrap_or("/");
    let mut parts = path.split('/').filter(|p| !p.is_empty());
    let first = parts.next().unwrap_or("");
    let deeper = parts.next().is_some();
    let first: String = first
        .chars()
        .map(|c| if c.is_ascii_digit() { 'N' } else { c })
        .collect();
    format!("/{first}{}", if deeper { "/*" } else { "" })
}

fn site_hosts(urls: &[Option<String>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for url in urls.iter().flatten() {
        if let Ok(parsed) = url::Url::parse(url) {
            if let Some(host) = parsed.host_str() {
                let host = match parsed.port() {
                    Some(port) => format!("{host}:{port}"),
                    None => host.to_owned(),
                };
                if !out.contains(&host) {
                    out.push(host);
                }
            }
        }
    }
    out
}

/// First-party Segment hosts the static read found (`analytics._cdn`, `apiHost`).
fn segment_hosts(pages: &[Page]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for install in pages
        .iter()
        .flat_map(|p| &p.installs)
        .filter(|i| i.vendor == Vendor::Segment)
    {
        for host in [&install.cdn, &install.api_host].into_iter().flatten() {
            let host = url::Url::parse(host)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_else(|| host.trim_end_matches('/').to_owned());
            if !out.contains(&host) {
                out.push(host);
            }
        }
    }
    out
}

/// Flags the run's network settings give the browser: `--proxy` (the environment's proxy
/// variables reach it unchanged) and `--insecure`.
fn browser_flags(fetch: &FetchConfig) -> Vec<String> {
    let mut flags = Vec::new();
    if let Some(proxy) = &fetch.proxy {
        flags.push(format!("--proxy-server={}", proxy.shown()));
    }
    if fetch.insecure {
        flags.push("--ignore-certificate-errors".to_owned());
    }
    flags
}

/// The browser's own user agent without "Headless" (some sites serve headless browsers
/// differently).
fn user_agent(browser: &cdp::Browser) -> Option<String> {
    let version = browser
        .call(
            None,
            "Browser.getVersion",
            serde_json::json!({}),
            Duration::from_secs(10),
        )
        .ok()?;
    let agent = version["userAgent"].as_str()?;
    agent
        .contains("HeadlessChrome")
        .then(|| agent.replace("HeadlessChrome", "Chrome"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(url: &str, depth: u32) -> Page {
        Page::new(url.into(), "http://s".into(), depth)
    }

    #[test]
    fn the_start_page_then_one_per_template_then_the_rest() {
        let pages = vec![
            page("http://s/blog/a", 1),
            page("http://s/blog/b", 1),
            page("http://s/", 0),
            page("http://s/pricing", 1),
            page("http://s/blog/c", 2),
        ];
        assert_eq!(sample(&pages, 3), vec![2, 0, 3]);
        assert_eq!(sample(&pages, 10), vec![2, 0, 3, 1, 4]);
        let mut failed = page("http://s/x", 1);
        failed.error = Some("404".into());
        assert_eq!(sample(&[failed], 10), Vec::<usize>::new());
    }

    #[test]
    fn templates_fold_digits_and_depth() {
        assert_eq!(template("http://s/blog/2024/post"), "/blog/*");
        assert_eq!(template("http://s/page2"), "/pageN");
        assert_eq!(template("http://s/?q=1"), "/");
    }
}
