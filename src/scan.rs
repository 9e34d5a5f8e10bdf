//! The scan: walk each target (crawl a site, or read a build folder), audit every page, and follow
//! what the pages load: first-party script files, tag manager containers, Segment settings.
//!
//! This is the only stage that decides what to fetch; all reading of text is delegated to the pure
//! parsers in `extract`, and all assembly to `inventory`.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use regex::Regex;
use url::Url;

use crate::extract::decode::{self, Body};
use crate::extract::detect::{self, Origin, Scan};
use crate::extract::gtm;
use crate::extract::html::{self, ScriptKind};
use crate::extract::segment_settings::{self, Settings};
use crate::extract::signatures::{SignatureError, Signatures};
use crate::inventory;
use crate::model::{
    Csp, Install, Page, Problem, ProblemKind, Report, Tool, Unverified, Vendor, SCHEMA_VERSION,
};
use crate::source::fetch::{FetchConfig, Fetcher, Memo};
use crate::source::robots::Robots;
use crate::source::site::{self, Site};

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
    fetch.header_origins = targets
        .iter()
        .filter_map(|t| Url::parse(t).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(|u| u.origin().ascii_serialization())
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
    followed: Memo<Scan>,
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

    /// Breadth-first crawl of one site from a start URL.
    fn crawl(&self, target: &str, pages: &mut Vec<Page>) -> Result<(), String> {
        let start = Url::parse(target).map_err(|e| format!("{target}: not a valid URL: {e}"))?;
        let mut site = Site::web(&start);
        let robots = self.robots(&start);
        let mut seen = std::collections::HashSet::from([start.to_string()]);
        let mut level = vec![start.clone()];
        let mut audited = 0;
        let mut depth = 0u32;
        while !level.is_empty() && audited < self.opts.max_pages {
            level.truncate(self.opts.max_pages - audited);
            audited += level.len();
            let results = parallel(&level, self.opts.concurrency, |url| {
                self.audit(&site, url, depth)
            });
            if let (0, Some(first)) = (depth, results.first()) {
                if let Some(error) = &first.page.error {
                    let message = format!("{target}: the start page could not be audited: {error}");
                    pages.extend(results.into_iter().map(|r| r.page));
                    return Err(message);
                }
                // A start URL that redirects (http → https, apex → www) defines the site.
                if let Some(last) = first.page.redirects.last().and_then(|u| Url::parse(u).ok()) {
                    site = Site::web(&last);
                }
            }
            let mut next = Vec::new();
            for result in results {
                pages.push(result.page);
                if self.opts.max_depth.is_some_and(|max| depth >= max) {
                    continue;
                }
                for link in result.links {
                    if !site.contains(&link)
                        || !seen.insert(link.to_string())
                        || !self.wanted(&link)
                    {
                        continue;
                    }
                    if robots
                        .as_ref()
                        .is_some_and(|r| !r.allows(&path_and_query(&link)))
                    {
                        self.problem(
                            link.as_str(),
                            ProblemKind::RobotsDisallowed,
                            "skipped: disallowed by robots.txt (use --ignore-robots to audit it)",
                        );
                        continue;
                    }
                    next.push(link);
                }
            }
            level = next;
            depth += 1;
        }
        Ok(())
    }

    fn robots(&self, start: &Url) -> Option<Robots> {
        if self.opts.ignore_robots {
            return None;
        }
        let url = start.join("/robots.txt").ok()?;
        let fetched = self.fetcher.get(url.as_str());
        let response = fetched.as_ref().as_ref().ok()?;
        let Body::Text { text, .. } =
            decode::decode(&response.body, response.content_type.as_deref())
        else {
            return None;
        };
        let robots = Robots::parse(&text, &self.opts.fetch.user_agent);
        if !robots.allows(&path_and_query(start)) {
            self.problem(start.as_str(), ProblemKind::RobotsDisallowed, "the start URL is disallowed by robots.txt; audited anyway because it was asked for");
        }
        Some(robots)
    }

    fn wanted(&self, url: &Url) -> bool {
        let s = url.as_str();
        let asset = Path::new(url.path())
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| ASSET_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
        !asset
            && (self.opts.include.is_empty() || self.opts.include.iter().any(|r| r.is_match(s)))
            && !self.opts.exclude.iter().any(|r| r.is_match(s))
    }

    /// Every HTML file of a local folder, or one local file.
    fn walk(&self, target: &str, pages: &mut Vec<Page>) -> Result<(), String> {
        let path = Path::new(target);
        let meta = std::fs::metadata(path).map_err(|e| format!("{target}: cannot read: {e}"))?;
        let (root, files) = if meta.is_dir() {
            let files =
                site::html_files(path).map_err(|e| format!("{target}: cannot list: {e}"))?;
            (path.to_path_buf(), files)
        } else {
            let parent = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            (parent.to_path_buf(), vec![path.to_path_buf()])
        };
        let display = if meta.is_dir() {
            target.to_owned()
        } else {
            root.to_string_lossy().into_owned()
        };
        let site = Site::dir(&root, &display)
            .ok_or_else(|| format!("{target}: cannot resolve the folder"))?;
        if files.is_empty() {
            return Err(format!("{target}: no .html files in this folder"));
        }
        let urls: Vec<Url> = files
            .iter()
            .filter_map(|f| {
                std::path::absolute(f)
                    .ok()
                    .and_then(|a| Url::from_file_path(a).ok())
            })
            .take(self.opts.max_pages)
            .collect();
        let results = parallel(&urls, self.opts.concurrency, |url| {
            self.audit(&site, url, 0)
        });
        pages.extend(results.into_iter().map(|r| r.page));
        Ok(())
    }

    /// Audit one page.
    fn audit(&self, site: &Site, url: &Url, depth: u32) -> Audited {
        let display = site.display(url);
        let mut page = Page {
            url: display.clone(),
            status: None,
            error: None,
            site: site.name().to_owned(),
            depth,
            redirects: Vec::new(),
            truncated: false,
            installs: Vec::new(),
            privacy: Default::default(),
            csp: Vec::new(),
            segment_calls: Vec::new(),
        };
        let fetched = self.fetcher.get(url.as_str());
        let response = match &*fetched {
            Ok(response) => response,
            Err(e) => {
                page.status = e.status;
                page.error = Some(e.message.clone());
                self.problem(&display, e.kind, e.message.clone());
                return Audited {
                    page,
                    links: Vec::new(),
                };
            }
        };
        page.status = response.status;
        page.redirects = response.redirects.clone();
        let ct = response.content_type.as_deref();
        if response.truncated {
            page.truncated = true;
            let cap = self.opts.fetch.max_body;
            self.problem(
                &display,
                ProblemKind::Truncated,
                format!("body larger than {cap} bytes: only the first {cap} were audited"),
            );
        }
        if !decode::is_html(ct, &response.body) {
            let message = format!(
                "not an HTML page (Content-Type: {}): not parsed",
                ct.unwrap_or("none")
            );
            page.error = Some(message.clone());
            self.problem(&display, ProblemKind::NotHtml, message);
            return Audited {
                page,
                links: Vec::new(),
            };
        }
        let text = match decode::decode(&response.body, ct) {
            Body::Binary => {
                let message = "the body is binary, not HTML: not parsed".to_owned();
                page.error = Some(message.clone());
                self.problem(&display, ProblemKind::Binary, message);
                return Audited {
                    page,
                    links: Vec::new(),
                };
            }
            Body::Text { text, note } => {
                if let Some(note) = note {
                    self.problem(&display, ProblemKind::Encoding, note);
                }
                text
            }
        };
        // Links resolve against the page's final URL (after redirects), as in a browser.
        let here = response
            .redirects
            .last()
            .and_then(|u| Url::parse(u).ok())
            .unwrap_or_else(|| url.clone());
        let doc = html::parse(&text);
        let base = doc
            .base_href
            .as_deref()
            .and_then(|b| site.resolve(&here, b))
            .unwrap_or_else(|| here.clone());
        page.privacy = doc.privacy.clone();
        page.csp.extend(response.csp.iter().map(|p| Csp {
            source: "header".into(),
            policy: p.clone(),
        }));
        page.csp.extend(doc.meta_csp.iter().map(|p| Csp {
            source: "meta".into(),
            policy: p.clone(),
        }));

        let mut scan = Scan::default();
        for script in doc
            .scripts
            .iter()
            .filter(|s| s.kind == ScriptKind::Code && !s.in_noscript)
        {
            let origin = Origin {
                source: &display,
                text: Some(&text),
                offset: script.offset,
                tag: None,
            };
            match script.src.as_deref().map(|src| site.resolve(&base, src)) {
                Some(Some(src)) => {
                    scan.extend(detect::scan_src(self.sigs, src.as_str(), &origin));
                    if site.contains(&src) {
                        scan.extend((*self.first_party_script(site, &src)).clone());
                    }
                }
                Some(None) => {}
                None => scan.extend(detect::scan_code(self.sigs, &script.code, &origin)),
            }
        }
        for (src, offset, _) in &doc.iframes {
            let Some(src) = site.resolve(&base, src) else {
                continue;
            };
            let origin = Origin {
                source: &display,
                text: Some(&text),
                offset: *offset,
                tag: None,
            };
            scan.installs.extend(
                detect::scan_iframe(self.sigs, src.as_str(), &origin)
                    .into_iter()
                    .map(inventory::noscript_only),
            );
        }
        inventory::merge_tag_managers(&mut scan.installs);
        self.follow_tag_managers(&mut scan);
        self.follow_segment(&mut scan);
        // `analytics.*` calls are Segment calls only where Segment is loaded (clones share the API).
        if scan.installs.iter().any(|i| i.vendor == Vendor::Segment) {
            page.segment_calls = scan.calls;
        }
        page.installs = scan.installs;
        let links = doc
            .links
            .iter()
            .filter_map(|href| site.resolve(&base, href))
            .filter(|u| matches!(u.scheme(), "http" | "https" | "file"))
            .collect();
        Audited { page, links }
    }

    fn first_party_script(&self, site: &Site, url: &Url) -> std::sync::Arc<Scan> {
        self.scripts.get_or(url.as_str(), || {
            let display = site.display(url);
            let Some(text) = self.fetch_text(url.as_str(), &display) else {
                return Scan::default();
            };
            detect::scan_code(
                self.sigs,
                &text,
                &Origin {
                    source: &display,
                    text: Some(&text),
                    offset: 0,
                    tag: None,
                },
            )
        })
    }

    /// Fetch a URL as text, recording any failure as a problem under `display`.
    fn fetch_text(&self, url: &str, display: &str) -> Option<String> {
        let fetched = self.fetcher.get(url);
        let response = match &*fetched {
            Ok(r) => r,
            Err(e) => {
                self.problem(display, e.kind, e.message.clone());
                return None;
            }
        };
        if response.truncated {
            let cap = self.opts.fetch.max_body;
            self.problem(
                display,
                ProblemKind::Truncated,
                format!("body larger than {cap} bytes: only the first {cap} were scanned"),
            );
        }
        match decode::decode(&response.body, response.content_type.as_deref()) {
            Body::Text { text, .. } => Some(text),
            Body::Binary => {
                self.problem(
                    display,
                    ProblemKind::Binary,
                    "the body is binary, not text: not scanned",
                );
                None
            }
        }
    }

    /// Scan every active tag manager's container or library, and add what it loads.
    fn follow_tag_managers(&self, scan: &mut Scan) {
        let managers: Vec<Install> = scan
            .installs
            .iter()
            .filter(|i| i.active && i.vendor.is_tag_manager())
            .cloned()
            .collect();
        for manager in managers {
            let Some(url) = self.library_url(&manager) else {
                continue;
            };
            let kind = if manager.vendor == Vendor::Gtm {
                "gtm-container"
            } else {
                "tag-manager-library"
            };
            if self.opts.offline {
                self.unverified(
                    kind,
                    &url,
                    "--offline: not fetched, so what it loads is unknown",
                );
                continue;
            }
            let mut found = (*self
                .followed
                .get_or(&url, || self.scan_library(&url, manager.vendor)))
            .clone();
            inventory::through_tag_manager(&mut found.installs, &manager);
            inventory::through_tag_manager(&mut found.segment_candidates, &manager);
            scan.extend(found);
        }
    }

    fn library_url(&self, manager: &Install) -> Option<String> {
        if manager.vendor != Vendor::Gtm {
            return manager
                .options
                .get("url")
                .and_then(|u| u.as_str())
                .map(str::to_owned);
        }
        let id = manager.id.as_deref()?;
        let host = manager
            .options
            .get("host")
            .and_then(|h| h.as_str())
            .or(self.sigs.gtm.default_host.as_deref())?;
        let mut url = self
            .sigs
            .gtm
            .follow
            .as_deref()?
            .replace("{host}", host)
            .replace("{id}", id);
        let param = |k: &str| manager.options.get(k).and_then(|v| v.as_str());
        if let Some(auth) = param("gtm_auth") {
            url.push_str(&format!("&gtm_auth={auth}"));
            if let Some(preview) = param("gtm_preview") {
                url.push_str(&format!("&gtm_preview={preview}"));
            }
            url.push_str("&gtm_cookies_win=x");
        }
        Some(url)
    }

    fn scan_library(&self, url: &str, vendor: Vendor) -> Scan {
        let Some(text) = self.fetch_text(url, url) else {
            return Scan::default();
        };
        if vendor != Vendor::Gtm {
            return detect::scan_code(
                self.sigs,
                &text,
                &Origin {
                    source: url,
                    text: Some(&text),
                    offset: 0,
                    tag: None,
                },
            );
        }
        let container = match gtm::parse_container(&text) {
            Ok(c) => c,
            Err(e) => {
                self.problem(
                    url,
                    ProblemKind::UnparsableContainer,
                    format!("cannot read the GTM container: {e}"),
                );
                return Scan::default();
            }
        };
        let mut scan = Scan::default();
        for tag in &container.html_tags {
            let label = tag.tag_id.as_ref().map(|id| format!("tag {id}"));
            let origin = Origin {
                source: url,
                text: None,
                offset: 0,
                tag: label.as_deref(),
            };
            let doc = html::parse(&tag.html);
            for script in doc.scripts.iter().filter(|s| s.kind == ScriptKind::Code) {
                match script.src.as_deref() {
                    Some(src) => scan.extend(detect::scan_src(self.sigs, src, &origin)),
                    None => scan.extend(detect::scan_code(self.sigs, &script.code, &origin)),
                }
            }
        }
        for template in &container.templates {
            scan.extend(self.template_scan(url, template));
        }
        scan
    }

    /// A custom template allowed to inject a Heap or Segment script (`inject_script` permission).
    fn template_scan(&self, url: &str, template: &gtm::TemplateScript) -> Scan {
        let label = match &template.tag_id {
            Some(id) => format!("{} (tag {id})", template.template),
            None => template.template.clone(),
        };
        let origin = Origin {
            source: url,
            text: None,
            offset: 0,
            tag: Some(&label),
        };
        // Try the template's own parameters in place of the URL's wildcard, then a stand-in.
        let values = template.params.iter().map(|(_, v)| v.as_str()).chain(["0"]);
        for (n, value) in values.enumerate() {
            let mut scan = detect::scan_src(self.sigs, &template.url.replace('*', value), &origin);
            if scan.installs.is_empty() && scan.segment_candidates.is_empty() {
                continue;
            }
            let from_param = n < template.params.len();
            for install in scan
                .installs
                .iter_mut()
                .chain(scan.segment_candidates.iter_mut())
            {
                install.evidence.signature = "gtm-template-inject-script".into();
                install.evidence.snippet = format!(
                    "custom template {} may inject {}",
                    template.template, template.url
                );
                if !from_param {
                    install.id = None;
                }
            }
            return scan;
        }
        Scan::default()
    }

    /// Read each Segment install's settings, confirm candidates, and add the Heap it loads.
    fn follow_segment(&self, scan: &mut Scan) {
        let mut heap = Vec::new();
        for segment in scan
            .installs
            .iter_mut()
            .filter(|i| i.vendor == Vendor::Segment)
        {
            if let Some(settings) = self.segment_settings(segment) {
                heap.extend(inventory::heap_from_settings(
                    segment,
                    &settings,
                    &settings_url(segment),
                ));
            }
        }
        for mut candidate in std::mem::take(&mut scan.segment_candidates) {
            let Some(settings) = self.segment_settings(&mut candidate) else {
                continue;
            };
            if settings.has_segment_io {
                heap.extend(inventory::heap_from_settings(
                    &candidate,
                    &settings,
                    &settings_url(&candidate),
                ));
                scan.installs.push(candidate);
            }
        }
        scan.installs.extend(heap);
    }

    /// The settings of a Segment install, recording in `install.settings` what became of them.
    fn segment_settings(&self, install: &mut Install) -> Option<Settings> {
        if install.settings.as_deref() == Some("embedded") {
            self.unverified(
                "segment-settings",
                &install.evidence.source,
                "settings are embedded in the bundle (cdnSettings): not read",
            );
            return None;
        }
        let url = settings_url(install);
        if install.id.is_none() {
            install.settings = Some("unavailable".into());
            self.unverified(
                "segment-settings",
                &install.evidence.source,
                "the write key could not be read, so Segment's settings were not fetched",
            );
            return None;
        }
        if self.opts.offline {
            install.settings = Some("offline".into());
            self.unverified(
                "segment-settings",
                &url,
                "--offline: not fetched, so whether Segment loads Heap is unknown",
            );
            return None;
        }
        let settings = self.settings.get_or(&url, || {
            let text = self.fetch_text(&url, &url)?;
            match segment_settings::parse_settings(&text) {
                Ok(s) => Some(s),
                Err(e) => {
                    self.problem(
                        &url,
                        ProblemKind::InvalidSettings,
                        format!("cannot read Segment settings: {e}"),
                    );
                    None
                }
            }
        });
        install.settings = Some(
            if settings.is_some() {
                "fetched"
            } else {
                "error"
            }
            .into(),
        );
        (*settings).clone()
    }
}

fn settings_url(install: &Install) -> String {
    let cdn = install
        .cdn
        .as_deref()
        .unwrap_or("https://cdn.segment.com")
        .trim_end_matches('/');
    format!(
        "{cdn}/v1/projects/{}/settings",
        install.id.as_deref().unwrap_or("")
    )
}

fn path_and_query(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

/// Links to these are not pages.
const ASSET_EXTENSIONS: &[&str] = &[
    "pdf", "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "zip", "gz", "css", "js", "mjs",
    "json", "xml", "txt", "mp4", "mp3", "webm", "woff", "woff2", "ttf", "csv", "xlsx", "docx",
];

/// Run `f` over `items` on up to `workers` threads, keeping the input order.
fn parallel<T: Sync, R: Send>(items: &[T], workers: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, items.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}
