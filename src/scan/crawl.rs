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
        seen.insert(site::normalize(start.clone()).to_string());
        let mut traps = Traps::default();
        let mut disallowed = 0usize;
        traps.admit(&start, self.opts.max_per_pattern);
        let mut level = vec![start.clone()];
        let mut audited = 0;
        let mut depth = 0u32;
        while !level.is_empty() && audited < self.opts.max_pages {
            if let Some(stop) = self.opts.cancel.stopped() {
                self.stopped(target, stop, pages.len());
                break;
            }
            level.truncate(self.opts.max_pages - audited);
            audited += level.len();
            self.queued(level.len());
            let follow = self.opts.max_depth.is_none_or(|max| depth < max);
            // Workers keep only the links the crawl could follow (normalised, on the site, not an
            // asset, not excluded): pure checks, so this is the same as checking them here.
            let audit = |site: &Site, url: &Url| {
                let mut result = self.audit(site, url, depth, follow);
                result.links = std::mem::take(&mut result.links)
                    .into_iter()
                    .map(site::normalize)
                    .filter(|link| site.contains(link) && self.wanted(link))
                    .collect();
                result
            };
            let mut next = Vec::new();
            // Pages are taken in level order, so the report and the next level are the same
            // whatever the number of workers; a page's links are dropped once taken.
            let mut take = |result: Audited| {
                // A page is done here: audited (or failed, with its error on the page).
                pages.push(result.page);
                for link in result.links {
                    // Most links were seen before: look them up without allocating a key.
                    if seen.contains(link.as_str()) || !seen.insert(link.to_string()) {
                        continue;
                    }
                    if robots
                        .as_ref()
                        .is_some_and(|r| !r.allows(&path_and_query(&link)))
                    {
                        disallowed += 1;
                        if disallowed <= MAX_DISALLOWED_LISTED {
                            self.problem(
                                link.as_str(),
                                ProblemKind::RobotsDisallowed,
                                "skipped: disallowed by robots.txt (use --ignore-robots to audit it)",
                            );
                        }
                        continue;
                    }
                    match traps.admit(&link, self.opts.max_per_pattern) {
                        Admit::Yes => {}
                        Admit::No => continue,
                        Admit::FirstRefused(pattern) => {
                            let cap = self.opts.max_per_pattern;
                            let message = format!("skipped, with every further link like {pattern}: more than {cap} pages share that pattern, a likely crawler trap (--max-per-pattern)");
                            self.problem(link.as_str(), ProblemKind::CrawlTrap, message);
                            continue;
                        }
                    }
                    // A page is queued here.
                    next.push(link);
                }
            };
            let stop = if depth > 0 {
                parallel_in_order(
                    &level,
                    self.opts.concurrency,
                    &self.opts.cancel,
                    |url| self.audited(audit(&site, url)),
                    take,
                )
            } else {
                let (mut results, stop) =
                    parallel(&level, self.opts.concurrency, &self.opts.cancel, |url| {
                        self.audited(audit(&site, url))
                    });
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
                stop
            };
            if let Some(stop) = stop {
                self.stopped(target, stop, pages.len());
                break;
            }
            level = next;
            depth += 1;
        }
        if disallowed > MAX_DISALLOWED_LISTED {
            let more = disallowed - MAX_DISALLOWED_LISTED;
            let message = format!("{more} more links disallowed by robots.txt were skipped (the first {MAX_DISALLOWED_LISTED} are listed)");
            self.problem(target, ProblemKind::RobotsDisallowed, message);
        }
        Ok(())
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
    fn stopped(&self, target: &str, stop: Stop, audited: usize) {
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

    fn wanted(&self, url: &Url) -> bool {
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
    pub(super) fn walk(&self, target: &str, pages: &mut Vec<Page>) -> Result<(), String> {
        let path = Path::new(target);
        let meta = std::fs::metadata(path).map_err(|e| {
            // `www.example.com` is more likely a site than a missing folder.
            let host_like =
                !target.contains('/') && target.contains('.') && !target.ends_with(".html");
            let hint = if host_like && e.kind() == std::io::ErrorKind::NotFound {
                format!(" (a site is audited by URL: https://{target}/)")
            } else {
                String::new()
            };
            format!("{target}: cannot read: {e}{hint}")
        })?;
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
        self.queued(urls.len());
        // A folder's pages are all listed: their links are not needed.
        let (results, stop) = parallel(&urls, self.opts.concurrency, &self.opts.cancel, |url| {
            self.audited(self.audit(&site, url, 0, false)).page
        });
        pages.extend(results);
        if let Some(stop) = stop {
            self.stopped(target, stop, pages.len());
        }
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
    /// The first link past the cap for its pattern (named here): worth one problem.
    FirstRefused(String),
    No,
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
            Admit::No
        }
    }
}

/// What the workers of [`parallel_in_order`] share with the taker.
struct InOrder<R> {
    /// Each item's result once done (a panic is handed over too, and raised by the taker).
    slots: Vec<Option<std::thread::Result<R>>>,
    /// Workers still running.
    live: usize,
}

/// Run `f` over `items` on up to `workers` threads, handing each result to `take` on the calling
/// thread in input order, as soon as it and every result before it are ready (so `take` runs while
/// the workers go on, and only the results not yet taken are held). Once `cancel` says stop, no
/// new item is started: `take` gets the results of the items done, and the reason is returned.
fn parallel_in_order<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    cancel: &Cancel,
    f: impl Fn(&T) -> R + Sync,
    mut take: impl FnMut(R),
) -> Option<Stop> {
    let next = AtomicUsize::new(0);
    let workers = workers.clamp(1, items.len().max(1));
    let state = Mutex::new(InOrder {
        slots: (0..items.len()).map(|_| None).collect(),
        live: workers,
    });
    let ready = Condvar::new();
    let stop: Mutex<Option<Stop>> = Mutex::new(None);
    let lock = || state.lock().unwrap_or_else(|e| e.into_inner());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    if let Some(why) = cancel.stopped() {
                        *stop.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(item)));
                    lock().slots[i] = Some(r);
                    ready.notify_one();
                }
                lock().live -= 1;
                ready.notify_one();
            });
        }
        // Every item started is finished, so the items done are always the first ones: once no
        // worker runs, a missing result means the run was stopped there.
        for i in 0..items.len() {
            let mut guard = lock();
            let r = loop {
                if let Some(r) = guard.slots[i].take() {
                    break Some(r);
                }
                if guard.live == 0 {
                    break None;
                }
                guard = ready.wait(guard).unwrap_or_else(|e| e.into_inner());
            };
            drop(guard);
            match r {
                Some(Ok(r)) => take(r),
                Some(Err(panic)) => std::panic::resume_unwind(panic),
                None => break,
            }
        }
    });
    stop.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// Run `f` over `items` on up to `workers` threads, keeping the input order. Once `cancel` says
/// stop, no new item is started: the results are those of the items done, and why it stopped.
fn parallel<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    cancel: &Cancel,
    f: impl Fn(&T) -> R + Sync,
) -> (Vec<R>, Option<Stop>) {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    let stop: Mutex<Option<Stop>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, items.len().max(1)) {
            scope.spawn(|| loop {
                if let Some(why) = cancel.stopped() {
                    *stop.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
            });
        }
    });
    let results = results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect();
    (
        results,
        stop.into_inner().unwrap_or_else(|e| e.into_inner()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_taken_in_input_order_whatever_finishes_first() {
        let items: Vec<u64> = (0..200).collect();
        let mut taken = Vec::new();
        let stop = parallel_in_order(
            &items,
            8,
            &Cancel::new(),
            |&i| {
                // Early items take longest, so later ones finish first.
                std::thread::sleep(std::time::Duration::from_micros(200 - i));
                i * 2
            },
            |r| taken.push(r),
        );
        assert_eq!(stop, None);
        assert_eq!(taken, items.iter().map(|i| i * 2).collect::<Vec<_>>());
    }

    #[test]
    fn a_stop_takes_the_items_done_and_no_more() {
        let items: Vec<usize> = (0..1000).collect();
        let cancel = Cancel::new();
        let mut taken = Vec::new();
        let stop = parallel_in_order(
            &items,
            4,
            &cancel,
            |&i| {
                if i == 100 {
                    cancel.interrupt();
                }
                i
            },
            |r| taken.push(r),
        );
        assert_eq!(stop, Some(Stop::Interrupted));
        // Every item started was finished and taken, in order, with no gap.
        assert!(taken.len() > 100 && taken.len() < 1000, "{}", taken.len());
        assert_eq!(taken, (0..taken.len()).collect::<Vec<_>>());
    }

    #[test]
    fn a_panicking_item_is_raised_on_the_calling_thread() {
        let items: Vec<usize> = (0..50).collect();
        let outcome = std::panic::catch_unwind(|| {
            parallel_in_order(
                &items,
                4,
                &Cancel::new(),
                |&i| {
                    assert!(i != 7, "item 7");
                    i
                },
                |_| {},
            )
        });
        assert!(outcome.is_err());
    }
}
