//! Walking targets: breadth-first crawl of a live site (robots.txt, include/exclude, depth), or
//! every HTML file of a local folder, with pages audited in parallel.

use super::frontier::{self, Offer, Tally};
use super::parallel::{parallel_bounded, parallel_in_order, Budget};
use super::*;

impl Ctx {
    /// Breadth-first crawl of one site from a start URL.
    pub(super) fn crawl(self: &Arc<Self>, target: &str, all: &mut Vec<Page>) -> Result<(), String> {
        let mut pages = Vec::new();
        let result = self.crawl_site(target, &mut pages);
        all.extend(inventory::fold_redirects(pages));
        result
    }

    fn crawl_site(self: &Arc<Self>, target: &str, pages: &mut Vec<Page>) -> Result<(), String> {
        let start = Url::parse(target).map_err(|e| format!("{target}: not a valid URL: {e}"))?;
        let mut site = Site::web(&start);
        let robots = self.robots(&start);
        // What was queued is kept as hashes, what is waiting as URLs (at most --max-pages), and
        // what the caps leave out as a count: memory follows the cap, not the site.
        let frontier = Arc::new(Frontier::default());
        frontier.queue(start.as_str());
        frontier.queue(site::normalize(start.clone()).as_str());
        let mut traps = Traps::default();
        let disallowed = Tally::default();
        traps.admit(&start, self.opts.max_per_pattern);
        let max_pages = self.opts.max_pages;
        let mut level = vec![start.clone()];
        let mut audited = 0;
        let mut depth = 0u32;
        while !level.is_empty() && audited < max_pages {
            if let Some(stop) = self.opts.cancel.stopped() {
                self.stopped(target, stop, pages.len());
                break;
            }
            level.truncate(max_pages - audited);
            audited += level.len();
            if audited >= max_pages {
                frontier.set_full();
            }
            self.queued(level.len());
            let follow = self.opts.max_depth.is_none_or(|max| depth < max);
            let mut next: Vec<Url> = Vec::new();
            // Pages are taken in level order, so the report and the next level are the same
            // whatever the number of workers; a page's links are dropped once taken.
            let mut take = |result: Audited| {
                // A page is done here: audited (or failed, with its error on the page).
                pages.push(result.page);
                frontier.take(&result.links, |link| {
                    if audited + next.len() >= max_pages {
                        return Offer::Full;
                    }
                    let Ok(link) = Url::parse(link) else {
                        return Offer::Skipped;
                    };
                    if robots
                        .as_ref()
                        .is_some_and(|r| !r.allows(&path_and_query(&link)))
                    {
                        let count = disallowed.add(frontier::key(link.as_str()));
                        if count.is_some_and(|n| n <= MAX_DISALLOWED_LISTED) {
                            self.problem(
                                link.as_str(),
                                ProblemKind::RobotsDisallowed,
                                "skipped: disallowed by robots.txt (use --ignore-robots to audit it)",
                            );
                        }
                        return Offer::Skipped;
                    }
                    match traps.admit(&link, self.opts.max_per_pattern) {
                        Admit::Yes => {}
                        Admit::No(pattern) => return Offer::Sampled(pattern),
                        Admit::FirstRefused(pattern) => {
                            // Workers stop keeping links of this pattern from now on. Pages of
                            // one template (`/blog/page-N`) are sampling, stated in the
                            // coverage; endless query permutations are a likely trap.
                            frontier.refuse(&pattern);
                            if is_trap(&pattern) {
                                let cap = self.opts.max_per_pattern;
                                let message = format!("skipped, with every further link like {pattern}: more than {cap} pages share that pattern, a likely crawler trap (query permutations or a calendar; --max-per-pattern)");
                                self.problem(link.as_str(), ProblemKind::CrawlTrap, message);
                            }
                            return Offer::Sampled(pattern);
                        }
                    }
                    // A page is queued here.
                    next.push(link);
                    Offer::Queued
                });
                if audited + next.len() >= max_pages {
                    frontier.set_full();
                }
            };
            let level_now = std::mem::take(&mut level);
            let stop = if depth > 0 {
                self.audit_level(&site, level_now, depth, follow, &frontier, take)
            } else {
                let mut results = Vec::new();
                let mut stop =
                    self.audit_level(&site, level_now, 0, follow, &frontier, |r| results.push(r));
                if let Some((url, why)) = results.first().and_then(|r| auth::wall(&start, &r.page))
                {
                    // The sign-in page is audited (it often carries Heap); nothing behind it is.
                    let message = format!(
                        "{why}: {url} is a sign-in, so the pages behind it were not audited; pass \
                         credentials with --header 'Cookie: …' or 'Authorization: …', or in the \
                         URL (https://user:password@host/): see docs/network.md"
                    );
                    self.problem(&url, ProblemKind::AuthRequired, message.clone());
                    pages.extend(results.into_iter().map(|r| r.page));
                    return Err(format!("{target}: {message}"));
                }
                if let Some(first) = results.first() {
                    if let Some(error) = &first.page.error {
                        let message =
                            format!("{target}: the start page could not be audited: {error}");
                        pages.extend(results.into_iter().map(|r| r.page));
                        return Err(message);
                    }
                    // A start URL that redirects (http → https, apex → www) defines the site. The
                    // start page is audited again as part of it, so its own scripts count as
                    // first-party.
                    let landed = first
                        .page
                        .redirects
                        .last()
                        .and_then(|u| Url::parse(u).ok())
                        .map(|u| Site::web(&u));
                    if let Some(landed) = landed.filter(|l| *l != site) {
                        site = landed;
                        // After a stop, the first audit is kept (the run is reported as cut).
                        if stop.is_none() {
                            self.queued(1);
                            let mut again = Vec::new();
                            stop = self.audit_level(
                                &site,
                                vec![start.clone()],
                                0,
                                follow,
                                &frontier,
                                |r| again.push(r),
                            );
                            if !again.is_empty() {
                                results = again;
                            }
                        }
                    }
                }
                results.into_iter().for_each(&mut take);
                stop
            };
            if let Some(stop) = stop {
                self.stopped(target, stop, pages.len());
                break;
            }
            level = next;
            depth += 1;
        }
        let (count, more) = disallowed.count();
        if count > MAX_DISALLOWED_LISTED {
            let left = count - MAX_DISALLOWED_LISTED;
            let at_least = if more { "at least " } else { "" };
            let message = format!("{at_least}{left} more links disallowed by robots.txt were skipped (the first {MAX_DISALLOWED_LISTED} are listed)");
            self.problem(target, ProblemKind::RobotsDisallowed, message);
        }
        let (urls_left_out, at_least) = frontier.beyond.count();
        let stop = self.stop.get().copied();
        let caps = [
            (frontier.is_full(), "max-pages"),
            (frontier.depth_capped(), "max-depth"),
            (stop == Some(Stop::OutOfTime), "max-time"),
            (stop.is_some_and(|s| s.signal().is_some()), "interrupted"),
        ];
        let sampled = frontier.sampled();
        let sampled = if sampled.is_empty() {
            Vec::new()
        } else {
            // Pages audited of each sampled pattern: one count each, from the pages.
            let mut audited: std::collections::HashMap<&str, usize> =
                sampled.iter().map(|(p, _)| (p.as_str(), 0)).collect();
            for page in pages.iter() {
                if let Ok(url) = Url::parse(&page.url) {
                    if let Some(n) = audited.get_mut(site::pattern(&url).as_str()) {
                        *n += 1;
                    }
                }
            }
            sampled
                .iter()
                .map(|(pattern, left)| {
                    let audited = audited.get(pattern.as_str()).copied().unwrap_or(0);
                    crate::model::Sampled {
                        pattern: pattern.clone(),
                        audited,
                        found: audited + left,
                        trap: is_trap(pattern),
                    }
                })
                .collect()
        };
        let coverage = crate::model::Coverage {
            target: target.to_owned(),
            pages_audited: pages.len(),
            urls_left_out,
            at_least,
            stopped_by: caps
                .into_iter()
                .filter(|(hit, _)| *hit)
                .map(|(_, cap)| cap.to_owned())
                .collect(),
            pages_found: pages.len() + urls_left_out,
            kind: "crawl".to_owned(),
            sampled,
        };
        self.covered(coverage);
        Ok(())
    }

    /// Record how much of a target was audited.
    pub(super) fn covered(&self, coverage: crate::model::Coverage) {
        self.coverage
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(coverage);
    }

    /// Audit one level of the crawl on the workers, handing each page to `take` in level order.
    /// Workers run on threads that a stop leaves behind if they do not finish within a moment (a
    /// read stalled on a dead server must not hold Ctrl-C back), so they own what they use; a
    /// page cut short that way is taken with an `interrupted` error. A site's pages are read by
    /// at most as many workers as the host takes connections: more would only hold more bodies.
    fn audit_level(
        self: &Arc<Self>,
        site: &Site,
        level: Vec<Url>,
        depth: u32,
        follow: bool,
        frontier: &Arc<Frontier>,
        take: impl FnMut(Audited),
    ) -> Option<Stop> {
        let work = {
            let (ctx, site, frontier) = (Arc::clone(self), site.clone(), Arc::clone(frontier));
            move |url: &Url| ctx.audited(ctx.audit(&site, url, depth, Some((&frontier, follow))))
        };
        let workers = self
            .opts
            .concurrency
            .min(self.opts.fetch.max_host_connections)
            .max(1);
        // Each page being read may hold a body of up to --max-body; each page waiting to be taken
        // holds its links. Together they stay within a body per worker.
        let body = self.opts.fetch.max_body;
        let budget = Budget {
            bytes: body.saturating_mul(workers),
            reserve: body,
        };
        parallel_bounded(
            level,
            workers,
            budget,
            &self.opts.cancel,
            work,
            |result: &Audited| result.links.bytes(),
            take,
            |url, stop| self.unread(site, url, depth, &FetchError::stopped(stop)),
        )
    }

    /// Fetch a page to audit. Past the start URL (whose redirects define the site), redirects off
    /// the site's origin are recorded on the page, not followed.
    pub(super) fn fetch_page(&self, site: &Site, url: &Url, depth: u32) -> Fetched {
        if depth == 0 {
            self.fetcher.get(url.as_str())
        } else {
            let site = site.clone();
            self.fetcher
                .get_within(url.as_str(), move |next: &Url| site.contains(next))
        }
    }

    /// Note, once per target, that the run stopped before the target was fully audited.
    pub(super) fn stopped(&self, target: &str, stop: Stop, audited: usize) {
        let _ = self.stop.set(stop);
        let message = format!(
            "{}: {audited} pages of this target were audited and are in the report; the rest were not",
            stop.reason()
        );
        self.problem(target, ProblemKind::Interrupted, message);
    }

    fn robots(&self, start: &Url) -> Option<Robots> {
        if self.opts.ignore_robots {
            return None;
        }
        let url = start.join("/robots.txt").ok()?;
        // Fetched on the thread that writes the report: a stop drops the fetch at once.
        // Redirects are followed, across hosts too, up to the fetcher's limit (RFC 9309 §2.3.1.2).
        let fetched = self.fetcher.get(url.as_str());
        let response = match &fetched {
            Ok(response) => response,
            // A server error leaves the rules unknown: RFC 9309 §2.3.1.4 has the crawler assume
            // that everything is disallowed. The start URL is audited all the same.
            Err(e) if e.status.is_some_and(|s| (500..600).contains(&s)) => {
                let message = format!("{}: robots.txt could not be read, so every page but the start URL is skipped, as RFC 9309 asks on a server error (use --ignore-robots to crawl anyway)", e.message);
                self.problem(url.as_str(), ProblemKind::RobotsDisallowed, message);
                return Some(Robots::disallow_all());
            }
            // 4xx ("unavailable", RFC 9309 §2.3.1.3) allows everything; so do the other failures
            // (no answer at all, too many redirects): a site that does not answer fails its
            // start page anyway.
            Err(_) => return None,
        };
        let Body::Text { text, .. } =
            decode::decode(&response.body, response.content_type.as_deref())
        else {
            return None;
        };
        let robots = Robots::parse(&text, &self.opts.fetch.user_agent);
        if !robots.allows(&path_and_query(start)) {
            self.problem(start.as_str(), ProblemKind::RobotsDisallowed, "the start URL is disallowed by robots.txt; audited anyway because it was asked for");
        }
        if let Some(delay) = robots.crawl_delay() {
            // The start host, and the host robots.txt was served from when it redirected there
            // (apex → www): that is where the pages will be too.
            let landed = Url::parse(&response.final_url).ok();
            let hosts = [Some(start), landed.as_ref()];
            for host in hosts.into_iter().flatten().filter_map(host_and_port) {
                self.fetcher
                    .set_crawl_delay(&host, delay.min(MAX_CRAWL_DELAY));
            }
        }
        Some(robots)
    }

    pub(super) fn wanted(&self, url: &Url) -> bool {
        let s = url.as_str();
        let asset = Path::new(url.path())
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| ASSET_EXTENSIONS.iter().any(|a| a.eq_ignore_ascii_case(e)));
        !asset
            && (self.opts.include.is_empty() || self.opts.include.iter().any(|r| r.is_match(s)))
            && !self.opts.exclude.iter().any(|r| r.is_match(s))
    }

    /// Every HTML file of a local folder, or one local file.
    ///
    /// A folder is read whole unless `--max-pages` was given: then a sample spanning its folders
    /// and file-name patterns is audited, and a problem counts the pages left out. What cannot be
    /// listed (an unreadable folder, a symbolic link loop, a FIFO named like a page) is a problem
    /// each, and the rest is audited. A target that yields no audited page fails, as a start URL
    /// that cannot be audited does.
    pub(super) fn walk(
        self: &Arc<Self>,
        target: &str,
        pages: &mut Vec<Page>,
    ) -> Result<(), String> {
        let path = Path::new(target);
        let (timeout, cancel) = (self.opts.fetch.timeout, &self.opts.cancel);
        let meta = {
            let path = path.to_path_buf();
            local::within(timeout, cancel, move || std::fs::metadata(path))
                .map_err(|cut| format!("{target}: cannot read: {}", cut.message()))?
        };
        let meta = meta.map_err(|e| {
            let hint = match site_hint(target) {
                Some(url) if e.kind() == std::io::ErrorKind::NotFound => {
                    format!(" (a site is audited by URL: {url})")
                }
                _ => String::new(),
            };
            format!("{target}: cannot read: {e}{hint}")
        })?;
        if let Some(what) = local::special(&meta.file_type()) {
            return Err(format!("{target}: {what}, not a file or folder: not read"));
        }
        // How the target is read; a folder of built pages is recorded once its files are listed.
        let mut pages_read = None;
        let mut listed = None;
        let mode = if meta.is_dir() && self.opts.mode.is_none() && self.unmarked(path) {
            // A folder without a project file: its listing, needed anyway for built pages, tells
            // them from templates; only a template or manifest met calls for the full check.
            let listing = folder::list(path, timeout, cancel);
            let mode = match listing.source_hint {
                None => Some((repo::Mode::Pages, repo::PAGES_WHY.to_owned())),
                Some(_) => self.mode_of(path, true),
            };
            listed = Some(listing);
            mode
        } else {
            self.mode_of(path, meta.is_dir())
        };
        if let Some((mode, why)) = mode {
            if mode == repo::Mode::Source {
                let read = self.source(target, path, meta.is_dir(), why, pages)?;
                self.record(read);
                return Ok(());
            }
            pages_read = Some(crate::model::SourceRead {
                target: target.to_owned(),
                mode: mode.as_str().to_owned(),
                why,
                ..Default::default()
            });
        }
        let (root, listing) = if meta.is_dir() {
            let listing = listed.unwrap_or_else(|| folder::list(path, timeout, cancel));
            (path.to_path_buf(), listing)
        } else {
            let parent = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let listing = folder::Listing {
                files: vec![path.to_path_buf()],
                ..Default::default()
            };
            (parent.to_path_buf(), listing)
        };
        let display = if meta.is_dir() {
            target.to_owned()
        } else {
            root.to_string_lossy().into_owned()
        };
        let site = Site::dir(&root, &display)
            .ok_or_else(|| format!("{target}: cannot resolve the folder"))?;
        // The folder itself could not be listed: nothing else to say.
        if let Some(skip) = listing.skipped.iter().find(|s| s.path == root) {
            return Err(format!("{target}: {}", skip.message));
        }
        for skip in &listing.skipped {
            let url = std::path::absolute(&skip.path).ok().and_then(|a| {
                if skip.dir {
                    Url::from_directory_path(a).ok()
                } else {
                    Url::from_file_path(a).ok()
                }
            });
            let shown = url.map_or_else(|| skip.path.display().to_string(), |u| site.display(&u));
            self.problem(&shown, skip.kind, skip.message.clone());
        }
        let kind = if meta.is_dir() { "folder" } else { "file" };
        let local = |found: usize, audited: usize, stopped_by: Option<&str>, at_least: bool| {
            crate::model::Coverage {
                target: target.to_owned(),
                pages_audited: audited,
                urls_left_out: found.saturating_sub(audited),
                at_least,
                stopped_by: stopped_by.into_iter().map(str::to_owned).collect(),
                pages_found: found,
                kind: kind.to_owned(),
                sampled: Vec::new(),
            }
        };
        if let Some(stop) = listing.stopped {
            self.stopped(target, stop, 0);
            self.covered(local(listing.files.len(), 0, Some(stop_name(stop)), true));
            return Ok(());
        }
        let files = listing.files;
        if let Some(mut read) = pages_read {
            read.files = files.len();
            self.record(read);
        }
        if files.is_empty() {
            return Err(format!("{target}: no .html files in this folder"));
        }
        let found = files.len();
        let cap = self.opts.max_pages;
        let capped = self.opts.max_pages_set && found > cap;
        let files = if capped {
            let left = found - cap;
            let message = format!(
                "--max-pages {cap}: {left} of the {found} pages of this folder were not audited; \
                 the {cap} audited are a sample spanning its folders and file-name patterns \
                 (without --max-pages, a folder is read whole)"
            );
            self.problem(target, ProblemKind::PagesNotAudited, message);
            folder::sample(files, &root, cap)
        } else {
            files
        };
        self.queued(files.len());
        // Every page is kept: room for them all at once, not twice as much after a doubling.
        pages.reserve_exact(files.len());
        let before = pages.len();
        // A page's URL is made on the workers too. (A path that has none, which only a vanished
        // working directory gives, is left out, though the progress total counts it.)
        let url_of = |file: &std::path::PathBuf| {
            std::path::absolute(file)
                .ok()
                .and_then(|a| Url::from_file_path(a).ok())
        };
        // A folder's pages are all listed: their links are not needed.
        let work = {
            let (ctx, site) = (Arc::clone(self), site.clone());
            move |file: &std::path::PathBuf| {
                url_of(file).map(|url| ctx.audited(ctx.audit(&site, &url, 0, None)).page)
            }
        };
        let stop = parallel_in_order(
            files,
            self.local_workers(),
            &self.opts.cancel,
            work,
            |page| pages.extend(page),
            |file, stop| {
                url_of(file).map(|url| self.unread(&site, &url, 0, &FetchError::stopped(stop)).page)
            },
        );
        let audited = pages.len() - before;
        if let Some(stop) = stop {
            self.stopped(target, stop, pages.len());
            self.covered(local(found, audited, Some(stop_name(stop)), false));
            return Ok(());
        }
        self.covered(local(found, audited, capped.then_some("max-pages"), false));
        // As for a start URL: a target of which no page could be read has failed (exit 2).
        let read = &pages[before..];
        if !read.is_empty() && read.iter().all(|p| p.error.is_some()) {
            let why = read
                .first()
                .and_then(|p| p.error.as_deref())
                .unwrap_or_default();
            return Err(if meta.is_dir() {
                format!("{target}: no page of this folder could be audited (the first: {why})")
            } else {
                format!("{target}: could not be audited: {why}")
            });
        }
        Ok(())
    }
}

impl Ctx {
    /// Whether a folder has none of the project files that make a source repository (read
    /// within the timeout; a folder that cannot be read counts as marked, and
    /// [`Ctx::mode_of`] says why).
    fn unmarked(&self, path: &Path) -> bool {
        let root = path.to_path_buf();
        local::within(self.opts.fetch.timeout, &self.opts.cancel, move || {
            repo::marked(&root).is_empty()
        })
        .unwrap_or(false)
    }

    /// How a local target is read, and why; `None` for an `.html` file read as a page, as
    /// always (not worth a line in the report).
    fn mode_of(&self, path: &Path, dir: bool) -> Option<(repo::Mode, String)> {
        if let Some(mode) = self.opts.mode {
            return Some((mode, format!("--mode {}", mode.as_str())));
        }
        let (timeout, cancel) = (self.opts.fetch.timeout, &self.opts.cancel);
        if dir {
            let root = path.to_path_buf();
            let mode = local::within(timeout, cancel, move || repo::mode_of(&root));
            return Some(mode.unwrap_or_else(|cut| {
                let why = format!(
                    "taken for built .html files: the folder was {}",
                    cut.message()
                );
                (repo::Mode::Pages, why)
            }));
        }
        let head = super::source::read_bounded(path, 64 * 1024, timeout, cancel)
            .map(|(text, _)| text)
            .unwrap_or_default();
        match repo::file_mode(path, &head) {
            (repo::Mode::Pages, _) => None,
            source => Some(source),
        }
    }

    /// Record how a local target was read.
    fn record(&self, read: crate::model::SourceRead) {
        self.sources
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(read);
    }

    /// Read a repository (or one source file) in source mode.
    fn source(
        self: &Arc<Self>,
        target: &str,
        path: &Path,
        dir: bool,
        why: String,
        pages: &mut Vec<Page>,
    ) -> Result<crate::model::SourceRead, String> {
        let filter = repo::PathFilter::new(&self.opts.include_paths, &self.opts.exclude_paths)?;
        let (root, listing) = if dir {
            (path.to_path_buf(), repo::list(path, &filter)?)
        } else {
            let root = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf();
            let name = path
                .file_name()
                .map(std::path::PathBuf::from)
                .unwrap_or_default();
            let listing = repo::Listing {
                files: vec![name],
                ..Default::default()
            };
            (root, listing)
        };
        if listing.files.is_empty() && listing.app_files.is_empty() {
            return Err(format!(
                "{target}: no template, component or script file to read in this folder"
            ));
        }
        let shown = if dir {
            target.to_owned()
        } else {
            root.to_string_lossy().into_owned()
        };
        self.walk_source(&shown, &root, listing, why, pages)
            .map(|mut read| {
                read.target = target.to_owned();
                read
            })
    }
}

/// A stop as `coverage[].stopped_by` names it.
pub(super) fn stop_name(stop: Stop) -> &'static str {
    if stop.signal().is_some() {
        "interrupted"
    } else {
        "max-time"
    }
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

/// The longest robots.txt `Crawl-delay` honoured: a site asking for more is crawled at this pace.
const MAX_CRAWL_DELAY: Duration = Duration::from_secs(10);

/// Links skipped for robots.txt listed one by one; the rest are counted (a site can disallow a
/// link on every page: `/cart?add=N`).
const MAX_DISALLOWED_LISTED: usize = 50;

/// `host` or `host:port`, as the fetcher keys hosts.
fn host_and_port(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(
        url.port()
            .map_or(host.to_owned(), |p| format!("{host}:{p}")),
    )
}

/// How many links of each URL pattern were admitted to the crawl.
#[derive(Default)]
struct Traps {
    counts: std::collections::HashMap<String, usize>,
}

enum Admit {
    Yes,
    /// The first link past the cap for its pattern (named here): the pattern is sampled now.
    FirstRefused(String),
    /// A later link of a sampled pattern (named here).
    No(String),
}

/// A sampled pattern that is a likely crawler trap rather than pages of one template: query
/// permutations (`/search?q=*&page=*`) or a calendar, three or more path segments in a row that
/// are only a number (`/cal/N/N/N`), where links go on without end. Anything else (`/blog/page-N`,
/// `/product/N`) is pages of one template, sampled.
fn is_trap(pattern: &str) -> bool {
    if pattern.contains('?') {
        return true;
    }
    let mut run = 0;
    for segment in pattern.split('/') {
        run = if segment == "N" { run + 1 } else { 0 };
        if run >= 3 {
            return true;
        }
    }
    false
}

impl Traps {
    fn admit(&mut self, url: &Url, cap: usize) -> Admit {
        let pattern = site::pattern(url);
        let count = self.counts.entry(pattern.clone()).or_insert(0);
        *count += 1;
        if cap == 0 || *count <= cap {
            Admit::Yes
        } else if *count == cap + 1 {
            Admit::FirstRefused(pattern)
        } else {
            Admit::No(pattern)
        }
    }
}

/// The URL a missing "folder" most likely meant: `www.example.com` is a site, and so are
/// `localhost:8765` and `127.0.0.1:8765`, which a developer's own machine serves over http.
fn site_hint(target: &str) -> Option<String> {
    if target.contains('/') || target.contains('\\') || target.ends_with(".html") {
        return None;
    }
    let host = target
        .rsplit_once(':')
        .filter(|(_, port)| port.parse::<u16>().is_ok())
        .map_or(target, |(host, _)| host);
    let local = host.eq_ignore_ascii_case("localhost")
        || host.to_ascii_lowercase().ends_with(".localhost")
        || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| {
            ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified()
        });
    if !local && !host.contains('.') {
        return None;
    }
    let scheme = if local { "http" } else { "https" };
    Some(format!("{scheme}://{target}/"))
}

#[cfg(test)]
mod tests {
    use super::is_trap;

    #[test]
    fn query_permutations_and_calendars_are_traps_and_templates_are_not() {
        assert!(is_trap("/search?q=*"));
        assert!(is_trap("/cal/N/N/N"));
        assert!(is_trap("/events/N/N/N/"));
        assert!(!is_trap("/blog/page-N"));
        assert!(!is_trap("/product/N"));
        assert!(!is_trap("/N/N/post-N"));
    }
}
