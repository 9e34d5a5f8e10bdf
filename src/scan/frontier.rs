//! The crawl's memory of links: which URLs were queued (as 64-bit hashes, never as strings), the
//! links a page found that may be queued (one compact buffer per page), and a count of the URLs
//! the caps left out. Memory follows `--max-pages`, never the number of links a site has: once
//! the crawl has queued all it may, a page's links are only counted, and the count itself stops
//! growing at [`Tally::CAP`] distinct URLs ("at least").

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, RwLock};

use url::Url;

use crate::source::site;

/// Hash of a URL's text: the same in every run (a fixed seed), so the crawl is reproducible.
pub(super) fn key(url: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::with_seed(0x6865_6170_6175_6469).hash_one(url)
}

/// A set of keys that are already hashes: the key is its own hash.
type Keys = HashSet<u64, BuildHasherDefault<Identity>>;

#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; anything else is folded in, to stay correct.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// What one crawl shares between the thread that queues pages and the workers that read them.
#[derive(Default)]
pub(super) struct Frontier {
    /// Every URL queued (or audited) so far.
    queued: RwLock<Keys>,
    /// Set once no more pages may be queued: workers then only count their pages' links.
    full: AtomicBool,
    /// URLs found that the caps left out.
    pub(super) beyond: Tally,
    /// Set when a page past `--max-depth` had links to pages not queued.
    depth_capped: AtomicBool,
    /// URL patterns sampled enough (`--max-per-pattern`): their links are counted, not kept.
    refused: RwLock<Keys>,
    any_refused: AtomicBool,
    /// Distinct URLs of each refused pattern left out, by pattern (one count per pattern, never
    /// the URLs: they are in `beyond`, which stops at its cap, so these are lower bounds).
    sampled: Mutex<HashMap<String, usize>>,
}

impl Frontier {
    /// Record `url` as queued; false if it already was.
    pub(super) fn queue(&self, url: &str) -> bool {
        self.queue_key(key(url))
    }

    pub(super) fn was_queued(&self, key: u64) -> bool {
        self.queued
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&key)
    }

    fn queue_key(&self, key: u64) -> bool {
        self.queued
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key)
    }

    pub(super) fn is_full(&self) -> bool {
        self.full.load(Ordering::Acquire)
    }

    pub(super) fn set_full(&self) {
        self.full.store(true, Ordering::Release);
    }

    /// No more links of this URL pattern will be queued.
    pub(super) fn refuse(&self, pattern: &str) {
        self.refused
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key(pattern));
        self.sampled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(pattern.to_owned())
            .or_insert(0);
        self.any_refused.store(true, Ordering::Release);
    }

    /// The pattern of `url` when it is refused.
    fn refused_pattern(&self, url: &Url) -> Option<String> {
        if !self.any_refused.load(Ordering::Acquire) {
            return None;
        }
        let pattern = site::pattern(url);
        self.refused
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&key(&pattern))
            .then_some(pattern)
    }

    /// Count `key` as left out, and as one more URL of a sampled `pattern` when it is new.
    fn left_out(&self, key: u64, pattern: Option<&str>) {
        if self.beyond.add(key).is_some() {
            if let Some(pattern) = pattern {
                *self
                    .sampled
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(pattern.to_owned())
                    .or_insert(0) += 1;
            }
        }
    }

    /// Each refused pattern with the distinct URLs of it left out (a lower bound), by pattern.
    pub(super) fn sampled(&self) -> Vec<(String, usize)> {
        let sampled = self.sampled.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<(String, usize)> = sampled.iter().map(|(p, n)| (p.clone(), *n)).collect();
        out.sort();
        out
    }

    /// A link a page found, already resolved and on the site: kept in `links` while it may still
    /// be queued, counted otherwise (the crawl is full, or its pattern sampled enough). `follow`
    /// is false on a page whose links the depth cap leaves out: they are counted too.
    ///
    /// What a worker decides here is what the crawl would decide when it takes the page, whatever
    /// the timing: the crawl only ever fills up and refuses more patterns, and only pages taken
    /// before this one can have done so.
    pub(super) fn found(&self, links: &mut Links, url: &Url, follow: bool) {
        let refused = self.refused_pattern(url);
        if follow && !self.is_full() && refused.is_none() {
            links.push(url.as_str());
        } else {
            let key = key(url.as_str());
            if !self.was_queued(key) {
                if !follow {
                    self.depth_capped.store(true, Ordering::Release);
                }
                self.left_out(key, refused.as_deref());
            }
        }
    }

    pub(super) fn depth_capped(&self) -> bool {
        self.depth_capped.load(Ordering::Acquire)
    }

    /// Take a page's links in order: each one not queued before is offered to `offer`, which
    /// queues it or says why not; what is not queued is counted as left out.
    pub(super) fn take(&self, links: &Links, mut offer: impl FnMut(&str) -> Offer) {
        for url in links.iter() {
            let key = key(&url);
            if self.was_queued(key) {
                continue;
            }
            if self.is_full() {
                self.beyond.add(key);
                continue;
            }
            match offer(&url) {
                Offer::Queued => {
                    self.queue_key(key);
                }
                Offer::Skipped => {
                    self.beyond.add(key);
                }
                Offer::Sampled(pattern) => {
                    self.left_out(key, Some(&pattern));
                }
                Offer::Full => {
                    self.set_full();
                    self.beyond.add(key);
                }
            }
        }
    }
}

/// What became of a link offered to the crawl.
pub(super) enum Offer {
    Queued,
    /// Left out for a reason of its own (robots.txt, sampling).
    Skipped,
    /// Left out because its URL pattern (named) was sampled enough (`--max-per-pattern`).
    Sampled(String),
    /// No room left: no later link will be queued either.
    Full,
}

/// A page's links, resolved, in page order: one text buffer and the ends of its URLs, not a
/// string each, and each URL on the page's origin kept as its path alone. A link the page repeats
/// is kept each time (the crawl skips it once queued): telling them apart would cost a set per
/// page.
#[derive(Default, Debug)]
pub(super) struct Links {
    /// `scheme://host[:port]` of the page's site: what a kept path starts with.
    origin: String,
    text: String,
    ends: Vec<u32>,
}

impl Links {
    /// Links of a page on `origin` (`https://example.com`).
    pub(super) fn on(origin: &str) -> Links {
        Links {
            origin: origin.to_owned(),
            ..Links::default()
        }
    }

    pub(super) fn push(&mut self, url: &str) {
        // A path starts with `/`; anything else (another origin, user info) is kept whole.
        let kept = url
            .strip_prefix(self.origin.as_str())
            .filter(|path| path.starts_with('/') && !self.origin.is_empty())
            .unwrap_or(url);
        let Ok(end) = u32::try_from(self.text.len() + kept.len()) else {
            // Past 4 GB of links on one page (a body cap keeps pages far smaller).
            return;
        };
        self.text.push_str(kept);
        self.ends.push(end);
    }

    /// The URLs, whole again.
    pub(super) fn iter(&self) -> impl Iterator<Item = std::borrow::Cow<'_, str>> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .filter_map(|(start, end)| self.text.get(start as usize..end as usize))
            .map(|kept| {
                if kept.starts_with('/') {
                    std::borrow::Cow::Owned(format!("{}{kept}", self.origin))
                } else {
                    std::borrow::Cow::Borrowed(kept)
                }
            })
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Bytes held, about.
    pub(super) fn bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * 4 + self.origin.capacity()
    }

    /// Give back the spare room once the page is scanned.
    pub(super) fn seal(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

/// Distinct URLs counted up to [`Tally::CAP`], then "at least that many": a site with millions of
/// links costs a bounded set.
#[derive(Default)]
pub(super) struct Tally {
    keys: Mutex<Keys>,
    saturated: AtomicBool,
}

impl Tally {
    pub(super) const CAP: usize = 100_000;

    /// Count `key`; the count so far when it is new.
    pub(super) fn add(&self, key: u64) -> Option<usize> {
        if self.saturated() {
            return None;
        }
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if keys.len() < Self::CAP {
            keys.insert(key).then_some(keys.len())
        } else {
            self.saturated.store(true, Ordering::Release);
            None
        }
    }

    pub(super) fn saturated(&self) -> bool {
        self.saturated.load(Ordering::Acquire)
    }

    /// How many, and whether that is a lower bound.
    pub(super) fn count(&self) -> (usize, bool) {
        let keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        (keys.len(), self.saturated())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn links_keep_page_order_and_paths_on_the_origin() {
        let mut links = Links::on("https://a.test");
        let urls = [
            "https://a.test/x",
            "https://a.test/y?q=1",
            "https://a.test/x",
            "https://a.test.evil/z",
            "https://a.test",
        ];
        for url in urls {
            links.push(url);
        }
        links.seal();
        assert_eq!(links.iter().collect::<Vec<_>>(), urls);
        assert_eq!(links.len(), 5);
        // Paths only: "/x/y?q=1/x" and the two URLs kept whole.
        assert_eq!(links.text, "/x/y?q=1/xhttps://a.test.evil/zhttps://a.test");
    }

    #[test]
    fn take_queues_new_links_while_there_is_room_and_counts_the_rest() {
        let frontier = Frontier::default();
        assert!(frontier.queue("https://a.test/"));
        let mut links = Links::on("https://a.test");
        for i in 0..10 {
            links.push(&format!("https://a.test/{}", i % 7));
        }
        links.push("https://a.test/");
        let mut queued = Vec::new();
        frontier.take(&links, |url| {
            if queued.len() == 3 {
                Offer::Full
            } else if url.ends_with("/5") {
                Offer::Skipped
            } else {
                queued.push(url.to_owned());
                Offer::Queued
            }
        });
        assert_eq!(
            queued,
            ["https://a.test/0", "https://a.test/1", "https://a.test/2"]
        );
        assert!(frontier.is_full());
        // 3..=6 left out; the start URL was queued before, so it is not.
        assert_eq!(frontier.beyond.count(), (4, false));

        // Once full, a worker counts instead of keeping.
        let mut more = Links::default();
        frontier.found(&mut more, &url("https://a.test/9"), true);
        frontier.found(&mut more, &url("https://a.test/1"), true);
        assert_eq!(more.len(), 0);
        assert_eq!(frontier.beyond.count(), (5, false));
    }

    #[test]
    fn a_link_queued_before_is_not_offered_again() {
        let frontier = Frontier::default();
        let mut links = Links::default();
        links.push("https://a.test/a");
        links.push("https://a.test/b");
        let mut offered = 0;
        frontier.take(&links, |_| {
            offered += 1;
            Offer::Queued
        });
        frontier.take(&links, |_| {
            offered += 1;
            Offer::Queued
        });
        assert_eq!(offered, 2);
        assert!(!frontier.is_full());
        assert_eq!(frontier.beyond.count(), (0, false));
    }

    #[test]
    fn links_of_a_refused_pattern_or_past_the_depth_cap_are_counted_not_kept() {
        let frontier = Frontier::default();
        frontier.queue("https://a.test/page/1");
        frontier.refuse("/page/N");
        let mut links = Links::default();
        frontier.found(&mut links, &url("https://a.test/page/2"), true);
        frontier.found(&mut links, &url("https://a.test/page/1"), true);
        frontier.found(&mut links, &url("https://a.test/about"), true);
        assert_eq!(links.iter().collect::<Vec<_>>(), ["https://a.test/about"]);
        assert!(!frontier.depth_capped());
        frontier.found(&mut links, &url("https://a.test/deep"), false);
        assert!(frontier.depth_capped());
        assert_eq!(links.len(), 1);
        // /page/2 and /deep; /page/1 was queued.
        assert_eq!(frontier.beyond.count(), (2, false));
        // /page/2 counts as a page of the sampled pattern, once however often it is found.
        frontier.found(&mut links, &url("https://a.test/page/2"), true);
        frontier.found(&mut links, &url("https://a.test/page/3"), true);
        assert_eq!(frontier.sampled(), [("/page/N".to_owned(), 2)]);
    }

    #[test]
    fn the_tally_stops_at_its_cap_and_says_so() {
        let tally = Tally::default();
        for k in 0..(Tally::CAP as u64 + 10) {
            tally.add(k);
        }
        assert_eq!(tally.count(), (Tally::CAP, true));
    }
}
