//! Walking targets: breadth-first crawl of a live site (robots.txt, include/exclude, depth), or
//! every HTML file of a local folder, with pages audited in parallel.

use super::*;

impl Ctx<'_> {
    /// Breadth-first crawl of one site from a start URL.
    pub(super) fn crawl(&self, target: &str, all: &mut Vec<Page>) -> Result<(), String> {
        let mut pages = Vec::new();
        let result = self.crawl_site(target, &mut pages);
        all.extend(inventory::fold_redirects(pages));
        result
    }

    fn crawl_site(&self, target: &str, pages: &mut Vec<Page>) -> Result<(), String> {
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
            let follow = self.opts.max_depth.is_none_or(|max| depth < max);
            // Workers keep only the links the crawl could follow (on the site, not an asset, not
            // excluded): pure checks, so this is the same as checking them here, in parallel.
            let audit = |site: &Site, url: &Url| {
                let mut result = self.audit(site, url, depth, follow);
                result
                    .links
                    .retain(|link| site.contains(link) && self.wanted(link));
                result
            };
            let mut next = Vec::new();
            // Pages are taken in level order, so the report and the next level are the same
            // whatever the number of workers; a page's links are dropped once taken.
            let mut take = |result: Audited| {
                pages.push(result.page);
                for link in result.links {
                    if !seen.insert(link.to_string()) {
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
            };
            if depth > 0 {
                parallel_in_order(&level, self.opts.concurrency, |url| audit(&site, url), take);
            } else {
                let mut results = parallel(&level, self.opts.concurrency, |url| audit(&site, url));
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
                        results[0] = audit(&site, &start);
                    }
                }
                results.into_iter().for_each(&mut take);
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
        let response = fetched.as_ref().ok()?;
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
    pub(super) fn walk(&self, target: &str, pages: &mut Vec<Page>) -> Result<(), String> {
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
        // A folder's pages are all listed: their links are not needed.
        let results = parallel(&urls, self.opts.concurrency, |url| {
            self.audit(&site, url, 0, false).page
        });
        pages.extend(results);
        Ok(())
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

/// Run `f` over `items` on up to `workers` threads, handing each result to `take` on the calling
/// thread in input order, as soon as it and every result before it are ready (so `take` runs while
/// the workers go on, and only the results not yet taken are held).
fn parallel_in_order<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    f: impl Fn(&T) -> R + Sync,
    mut take: impl FnMut(R),
) {
    type Slot<R> = Option<std::thread::Result<R>>;
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Slot<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    let ready = Condvar::new();
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, items.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                // A panic is handed over too, so the taker never waits for a result that will
                // not come; it is raised again on the calling thread.
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(item)));
                slots.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                ready.notify_one();
            });
        }
        for i in 0..items.len() {
            let mut guard = slots.lock().unwrap_or_else(|e| e.into_inner());
            let r = loop {
                if let Some(r) = guard[i].take() {
                    break r;
                }
                guard = ready.wait(guard).unwrap_or_else(|e| e.into_inner());
            };
            drop(guard);
            match r {
                Ok(r) => take(r),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
}

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
