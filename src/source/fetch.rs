//! Fetching: every URL heap-audit reads goes through [`Fetcher::get`], which remaps it
//! (`--remap`), fetches it at most once per run, follows redirects itself (so each hop is recorded
//! and loops are named), caps the body size, and turns every failure into a [`FetchError`].
//! `file:` URLs (local build folders, or a `--remap` to a local mirror) are read from disk.
//!
//! Every HTTP request waits for a slot on its host ([`Politeness`]), has one overall deadline
//! (`--timeout`, shortened to what is left of `--max-time`) covering connect, headers and body, and
//! 429 and 503 answers are retried (`--max-retries`) after the wait their `Retry-After` asks for
//! (capped at [`MAX_RETRY_WAIT`]) or an exponential back-off. Waits wake up on Ctrl-C.

use std::collections::HashSet;
use std::io::Read;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use regex::Regex;

use crate::model::ProblemKind;
use crate::source::limits::{self, Cancel, Politeness, Slot, Stop};
use crate::source::site::Credentials;

/// The longest wait before a retry, whatever `Retry-After` asks for.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);
/// The first back-off when a 429/503 has no usable `Retry-After`; doubled on each retry.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);

/// One `--remap 'REGEX REPLACEMENT'` rule (lychee's syntax): the first rule whose regex matches a
/// URL rewrites it with `Regex::replace` (so `$1` works). A replacement that is not a URL is a
/// local path.
#[derive(Debug, Clone)]
pub struct Remap {
    pattern: Regex,
    replacement: String,
}

impl std::str::FromStr for Remap {
    type Err = String;

    fn from_str(s: &str) -> Result<Remap, String> {
        let mut parts = s.split_whitespace();
        let (Some(pattern), Some(replacement), None) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!("expected 'REGEX REPLACEMENT', got '{s}'"));
        };
        let pattern = Regex::new(pattern).map_err(|e| format!("invalid regex '{pattern}': {e}"))?;
        Ok(Remap {
            pattern,
            replacement: replacement.to_owned(),
        })
    }
}

/// Apply the first matching remap rule.
pub fn remap(rules: &[Remap], url: &str) -> String {
    for rule in rules {
        if rule.pattern.is_match(url) {
            let out = rule
                .pattern
                .replace(url, rule.replacement.as_str())
                .into_owned();
            if url::Url::parse(&out).is_err() {
                if let Ok(abs) = std::path::absolute(&out) {
                    if let Ok(file) = url::Url::from_file_path(abs) {
                        return file.to_string();
                    }
                }
            }
            return out;
        }
    }
    url.to_owned()
}

/// How to fetch.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    pub timeout: Duration,
    pub user_agent: String,
    /// Extra request headers (`--header`), sent only to the target sites: to URLs whose host (and
    /// explicit port) is one of `header_hosts`, give or take a `www.` (so http → https and
    /// apex → www redirects keep them, and an SSO or third-party host never sees them).
    pub headers: Vec<(String, String)>,
    pub header_hosts: Vec<String>,
    /// `Authorization` headers for the sites whose target URL carried user info
    /// (`https://user:password@host/`), each sent to its own site only, like `headers`.
    pub credentials: Vec<Credentials>,
    /// Bodies above this many bytes are cut.
    pub max_body: usize,
    pub max_redirects: usize,
    pub remaps: Vec<Remap>,
    /// How many times a 429 or 503 answer is retried (`--max-retries`).
    pub max_retries: u32,
    /// Requests per second per host (`--rate`); `None`: as fast as the workers go.
    pub rate: Option<f64>,
    /// Requests in flight per host (`--max-host-connections`).
    pub max_host_connections: usize,
}

impl Default for FetchConfig {
    fn default() -> FetchConfig {
        FetchConfig {
            timeout: Duration::from_secs(20),
            user_agent: concat!("heap-audit/", env!("CARGO_PKG_VERSION")).to_owned(),
            headers: Vec::new(),
            header_hosts: Vec::new(),
            credentials: Vec::new(),
            max_body: 10 * 1024 * 1024,
            max_redirects: 10,
            remaps: Vec::new(),
            max_retries: 2,
            rate: None,
            max_host_connections: 8,
        }
    }
}

/// A successful response (any status below 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The URL after redirects (after remapping, if a remap applied).
    pub final_url: String,
    /// HTTP status; `None` for local files.
    pub status: Option<u16>,
    /// Each `Location` followed, in order.
    pub redirects: Vec<String>,
    pub content_type: Option<String>,
    /// Every `Content-Security-Policy` header (browsers enforce all of them).
    pub csp: Vec<String>,
    pub body: Vec<u8>,
    /// The body was larger than the cap and was cut.
    pub truncated: bool,
}

/// Why a URL could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    pub kind: ProblemKind,
    pub message: String,
    /// The status, for HTTP errors.
    pub status: Option<u16>,
}

impl FetchError {
    /// A read given up, or never started, because the run stops.
    pub fn stopped(stop: Stop) -> FetchError {
        stopped(stop)
    }
}

pub type Fetched = Result<Response, FetchError>;

/// Fetches URLs for a run: remaps, redirects, retries, politeness, body limits. The state is
/// behind an `Arc`, so a fetch can run on a thread of its own (see [`Fetcher::get_detached`]).
///
/// [`Fetcher::get`] blocks its thread until the answer, a failure or `--timeout`: a read stalled
/// on a dead server holds it that long. The scan calls it on worker threads that a stop leaves
/// behind (see `scan::crawl`), so Ctrl-C is not held back; a thread that must answer a stop at
/// once (the one that writes the report) uses [`Fetcher::get_detached`].
pub struct Fetcher {
    inner: Arc<Inner>,
}

struct Inner {
    agent: ureq::Agent,
    config: FetchConfig,
    politeness: Politeness,
    cancel: Cancel,
}

impl Fetcher {
    /// A fetcher whose waits and reads stop when `cancel` says so, for up to `workers`
    /// concurrent fetches (the scan's concurrency).
    pub fn new(config: FetchConfig, cancel: Cancel, workers: usize) -> Fetcher {
        // `timeout` is ureq's overall deadline (connect, headers and the whole body: a server that
        // trickles its body cannot hold a worker past it), but the connect timeout is separate
        // (30 s by default in ureq 2), so it is set too. Each worker keeps its connection open for
        // its next request (ureq keeps one idle connection per host by default, so the other
        // workers would open a new one for every page).
        let agent = ureq::AgentBuilder::new()
            .timeout(config.timeout)
            .timeout_connect(config.timeout)
            .redirects(0)
            .max_idle_connections_per_host(workers.max(1))
            .user_agent(&config.user_agent)
            .build();
        let politeness = Politeness::new(config.rate, config.max_host_connections);
        Fetcher {
            inner: Arc::new(Inner {
                agent,
                config,
                politeness,
                cancel,
            }),
        }
    }

    /// Fetch a URL (as written on the page, before remapping), on this thread. Bodies are not
    /// kept: what is shared between pages (script files, containers, settings) is memoised by
    /// the caller on what it extracted, so a run holds one body at a time per worker.
    pub fn get(&self, url: &str) -> Fetched {
        self.get_within(url, |_| true)
    }

    /// Fetch a page, following redirects only while `stay` accepts their target: a redirect
    /// elsewhere (off the site's origin) is an [`ProblemKind::OffSiteRedirect`] error naming it.
    pub fn get_within(&self, url: &str, stay: impl Fn(&url::Url) -> bool) -> Fetched {
        if let Some(stop) = self.inner.cancel.stopped() {
            return Err(stopped(stop));
        }
        self.inner.fetch(url, &stay)
    }

    /// Fetch a URL on a thread of its own and wait for it, or for the run to stop: the caller
    /// gets an `interrupted` error within [`STOP_CHECK`] of a stop, and the abandoned fetch ends
    /// at its own `--timeout`, or with the process. For the few fetches made on the thread that
    /// writes the report (robots.txt); local files are read here (they do not stall).
    pub fn get_detached(&self, url: &str) -> Fetched {
        if let Some(stop) = self.inner.cancel.stopped() {
            return Err(stopped(stop));
        }
        if !remap(&self.inner.config.remaps, url).starts_with("http") {
            return self.inner.fetch(url, &|_| true);
        }
        let (send, receive) = mpsc::sync_channel(1);
        let inner = Arc::clone(&self.inner);
        let owned = url.to_owned();
        let spawned = std::thread::Builder::new()
            .name("heap-audit-fetch".into())
            .spawn(move || {
                let _ = send.send(inner.fetch(&owned, &|_| true));
            });
        if spawned.is_err() {
            // No thread could be started: fetch here.
            return self.inner.fetch(url, &|_| true);
        }
        loop {
            match receive.recv_timeout(STOP_CHECK) {
                Ok(fetched) => return fetched,
                Err(RecvTimeoutError::Timeout) => {
                    if let Some(stop) = self.inner.cancel.stopped() {
                        return Err(stopped(stop));
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(error(
                        ProblemKind::Unreachable,
                        "the request ended without an answer".into(),
                    ))
                }
            }
        }
    }

    /// Space requests to `host` (as in a URL: `example.com`, `127.0.0.1:8080`) by at least
    /// `delay`: robots.txt's `Crawl-delay`.
    pub fn set_crawl_delay(&self, host: &str, delay: Duration) {
        self.inner.politeness.set_delay(host, delay);
    }
}

/// How often a thread waiting on a detached request looks at the stop flag.
const STOP_CHECK: Duration = Duration::from_millis(50);

impl Inner {
    fn fetch(&self, original: &str, stay: &dyn Fn(&url::Url) -> bool) -> Fetched {
        let mut url = remap(&self.config.remaps, original);
        let mut redirects = Vec::new();
        let mut seen = HashSet::new();
        loop {
            if !seen.insert(url.clone()) {
                return Err(error(
                    ProblemKind::RedirectLoop,
                    format!(
                        "redirect loop: {} leads back to {url}",
                        redirects.join(" -> ")
                    ),
                ));
            }
            let parsed = url::Url::parse(&url)
                .map_err(|e| error(ProblemKind::Unreachable, format!("invalid URL {url}: {e}")))?;
            if parsed.scheme() == "file" {
                return self.read_file(&parsed, redirects);
            }
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(error(
                    ProblemKind::Unreachable,
                    format!("unsupported URL scheme `{}`", parsed.scheme()),
                ));
            }
            // The host's slot is held until the body is read.
            let (response, _slot) = self.request(&parsed)?;
            let status = response.status();
            if (300..400).contains(&status) {
                let Some(location) = response.header("location") else {
                    return Err(error(
                        ProblemKind::HttpStatus,
                        format!("HTTP {status} without a Location header"),
                    ));
                };
                let next = parsed.join(location).map_err(|e| {
                    error(
                        ProblemKind::Unreachable,
                        format!("bad redirect Location '{location}': {e}"),
                    )
                })?;
                if redirects.len() >= self.config.max_redirects {
                    return Err(error(
                        ProblemKind::TooManyRedirects,
                        format!("more than {} redirects", self.config.max_redirects),
                    ));
                }
                if !matches!(next.scheme(), "http" | "https") {
                    // A web server must not make heap-audit read a local file (`file:`) or speak
                    // another protocol.
                    return Err(FetchError {
                        kind: ProblemKind::OffSiteRedirect,
                        message: format!(
                            "HTTP {status}: redirects to a {} URL ({next}): not followed",
                            next.scheme()
                        ),
                        status: Some(status),
                    });
                }
                if !stay(&next) {
                    return Err(FetchError {
                        kind: ProblemKind::OffSiteRedirect,
                        message: format!(
                            "HTTP {status}: redirects off the site to {next}: not followed"
                        ),
                        status: Some(status),
                    });
                }
                url = remap(&self.config.remaps, next.as_str());
                redirects.push(next.to_string());
                continue;
            }
            return self.read_response(response, url, redirects);
        }
    }

    /// One request, retried on 429 and 503 (each attempt waits for a slot on the host).
    fn request(&self, url: &url::Url) -> Result<(ureq::Response, Slot<'_>), FetchError> {
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => String::new(),
        };
        let mut attempt = 0;
        loop {
            let slot = self
                .politeness
                .acquire(&host, &self.cancel)
                .map_err(stopped)?;
            let error = match self.call(url) {
                Ok(response) => return Ok((response, slot)),
                Err(error) => error,
            };
            drop(slot);
            let wait = match &error {
                ureq::Error::Status(429 | 503, response) => Some(
                    response
                        .header("retry-after")
                        .and_then(|v| limits::retry_after(v, SystemTime::now()))
                        .unwrap_or(FIRST_BACKOFF * 2u32.saturating_pow(attempt))
                        .min(MAX_RETRY_WAIT),
                ),
                _ => None,
            };
            let mut failure = self.blame(request_error(error, attempt));
            match wait {
                Some(wait) if attempt < self.config.max_retries => {
                    if self.cancel.remaining().is_some_and(|left| left < wait) {
                        failure.message.push_str(&format!(
                            "; not retried: waiting {} s would pass --max-time",
                            wait.as_secs_f32().ceil()
                        ));
                        return Err(failure);
                    }
                    self.cancel.sleep(wait).map_err(stopped)?;
                    attempt += 1;
                }
                _ => return Err(failure),
            }
        }
    }

    /// A timeout that came from the `--max-time` deadline (which shortens requests) is the run
    /// stopping, not the server being slow.
    fn blame(&self, e: FetchError) -> FetchError {
        match self.cancel.stopped() {
            Some(stop) if e.kind == ProblemKind::Timeout => stopped(stop),
            _ => e,
        }
    }

    /// Send the request, with the target sites' extra headers, within the time left.
    // The error is ureq's own, passed on unchanged and short-lived: boxing it buys nothing.
    #[allow(clippy::result_large_err)]
    fn call(&self, url: &url::Url) -> Result<ureq::Response, ureq::Error> {
        let mut request = self.agent.request_url("GET", url);
        if let Some(left) = self.cancel.remaining() {
            request = request.timeout(left.min(self.config.timeout));
        }
        for credentials in &self.config.credentials {
            if same_site(&credentials.site, url) {
                request = request.set("Authorization", &credentials.authorization);
            }
        }
        if self
            .config
            .header_hosts
            .iter()
            .any(|target| same_site(target, url))
        {
            for (name, value) in &self.config.headers {
                request = request.set(name, value);
            }
        }
        request.call()
    }

    fn read_response(
        &self,
        response: ureq::Response,
        final_url: String,
        redirects: Vec<String>,
    ) -> Fetched {
        let status = response.status();
        let content_type = response.header("content-type").map(str::to_owned);
        let csp = response
            .all("content-security-policy")
            .into_iter()
            .map(str::to_owned)
            .collect();
        // ureq decodes the gzip we ask for; anything else would be read as garbage.
        let encoding = response
            .header("content-encoding")
            .map(|e| e.trim().to_ascii_lowercase())
            .filter(|e| !matches!(e.as_str(), "" | "identity" | "gzip" | "x-gzip"));
        if let Some(encoding) = encoding {
            return Err(FetchError {
                kind: ProblemKind::CorruptBody,
                message: format!(
                    "the body is encoded with '{encoding}' (Content-Encoding), which heap-audit \
                     did not ask for and does not decode"
                ),
                status: Some(status),
            });
        }
        let length = response
            .header("content-length")
            .and_then(|n| n.trim().parse().ok());
        let (body, truncated) = read_capped(
            response.into_reader(),
            self.config.max_body,
            length,
            &self.cancel,
        )
        .map_err(|e| self.blame(body_error(e)))?;
        Ok(Response {
            final_url,
            status: Some(status),
            redirects,
            content_type,
            csp,
            body,
            truncated,
        })
    }

    fn read_file(&self, url: &url::Url, redirects: Vec<String>) -> Fetched {
        let path = url
            .to_file_path()
            .map_err(|()| error(ProblemKind::Io, format!("not a local path: {url}")))?;
        let file = std::fs::File::open(&path)
            .map_err(|e| error(ProblemKind::Io, format!("{}: {e}", path.display())))?;
        let length = file.metadata().ok().map(|m| m.len());
        let (body, truncated) = read_capped(file, self.config.max_body, length, &self.cancel)
            .map_err(|e| match e {
                BodyError::Io(e, _) => error(ProblemKind::Io, format!("{}: {e}", path.display())),
                BodyError::Stopped(stop) => stopped(stop),
            })?;
        Ok(Response {
            final_url: url.to_string(),
            status: None,
            redirects,
            content_type: content_type_for(&path),
            csp: Vec::new(),
            body,
            truncated,
        })
    }
}

/// Whether a URL is on a target site (`scheme://host[:port]`): same host give or take a leading
/// `www.`, same explicit port (so http → https and apex → www keep the headers; another host or
/// port does not), and never plain `http` for an `https` target (a header must not leave TLS).
fn same_site(target: &str, url: &url::Url) -> bool {
    let strip = |h: &str| h.strip_prefix("www.").unwrap_or(h).to_ascii_lowercase();
    let (scheme, target) = target.split_once("://").unwrap_or(("http", target));
    if scheme.eq_ignore_ascii_case("https") && url.scheme() != "https" {
        return false;
    }
    let (target_host, target_port) = target
        .rsplit_once(':')
        .filter(|(_, p)| p.parse::<u16>().is_ok())
        .map_or((target, None), |(h, p)| (h, p.parse().ok()));
    url.host_str()
        .is_some_and(|h| strip(h) == strip(target_host))
        && url.port() == target_port
}

/// A failed request as a [`FetchError`]; `retries` is how many retries came before it.
fn request_error(failure: ureq::Error, retries: u32) -> FetchError {
    match failure {
        ureq::Error::Status(status, response) => {
            let mut message = format!("HTTP {status} {}", response.status_text());
            if retries > 0 {
                let plural = if retries == 1 { "retry" } else { "retries" };
                message.push_str(&format!(" (still after {retries} {plural})"));
            }
            FetchError {
                kind: ProblemKind::HttpStatus,
                message,
                status: Some(status),
            }
        }
        // The message of a refused header quotes it, value and all: never pass it on.
        ureq::Error::Transport(t) if t.kind() == ureq::ErrorKind::BadHeader => error(
            ProblemKind::Unreachable,
            "a request header was refused by the HTTP client (the header is not shown)".into(),
        ),
        ureq::Error::Transport(t) => {
            let text = t.to_string();
            let kind = if text.contains("timed out") || text.contains("timeout") {
                ProblemKind::Timeout
            } else {
                ProblemKind::Unreachable
            };
            error(kind, text)
        }
    }
}

/// A fetch given up because the run stops.
fn stopped(stop: Stop) -> FetchError {
    error(
        ProblemKind::Interrupted,
        format!("not read: {}", stop.reason()),
    )
}

fn error(kind: ProblemKind, message: String) -> FetchError {
    FetchError {
        kind,
        message,
        status: None,
    }
}

/// Why a body could not be read to its end (or to the cap).
enum BodyError {
    /// An I/O error after this many bytes.
    Io(std::io::Error, usize),
    Stopped(Stop),
}

fn body_error(e: BodyError) -> FetchError {
    use std::io::ErrorKind;
    match e {
        BodyError::Stopped(stop) => stopped(stop),
        BodyError::Io(e, read) => {
            let (kind, what) = match e.kind() {
                ErrorKind::TimedOut | ErrorKind::WouldBlock => (
                    ProblemKind::Timeout,
                    "the body was not read in time (--timeout)",
                ),
                ErrorKind::UnexpectedEof
                | ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted => (
                    ProblemKind::IncompleteBody,
                    "the connection closed before the end of the body",
                ),
                ErrorKind::InvalidData | ErrorKind::InvalidInput => (
                    ProblemKind::CorruptBody,
                    "the body could not be decoded (broken compression or framing)",
                ),
                _ => (ProblemKind::Unreachable, "reading the body failed"),
            };
            error(kind, format!("{what}, after {read} bytes: {e}"))
        }
    }
}

/// Read at most `cap` bytes (and say whether there was more), stopping when the run stops.
fn read_capped(
    reader: impl Read,
    cap: usize,
    size_hint: Option<u64>,
    cancel: &Cancel,
) -> Result<(Vec<u8>, bool), BodyError> {
    /// How much is read between two looks at the stop flag.
    const STEP: u64 = 64 * 1024;
    let limit = (cap as u64).saturating_add(1);
    let mut reader = reader.take(limit);
    // A declared length sizes the buffer once, up to a few MB (whatever a server claims, a larger
    // body grows the buffer as it arrives).
    const MOST_RESERVED: u64 = 4 * 1024 * 1024;
    let expected = size_hint.map_or(0, |n| n.min(limit).min(MOST_RESERVED)) as usize;
    let mut body = Vec::with_capacity(expected);
    loop {
        if let Some(stop) = cancel.stopped() {
            return Err(BodyError::Stopped(stop));
        }
        // Straight into the buffer's spare room: no copy through a chunk.
        match (&mut reader).take(STEP).read_to_end(&mut body) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err(BodyError::Io(e, body.len())),
        }
    }
    let truncated = body.len() > cap;
    body.truncate(cap);
    Ok((body, truncated))
}

fn content_type_for(path: &std::path::Path) -> Option<String> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    let ty = match ext.as_str() {
        "html" | "htm" => "text/html",
        "js" | "mjs" => "application/javascript",
        "json" => "application/json",
        "txt" => "text/plain",
        _ => return None,
    };
    Some(ty.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remap_first_match_wins_and_keeps_groups() {
        let rules: Vec<Remap> = [
            "https://www\\.googletagmanager\\.com/(.*) http://127.0.0.1:9/gtm/$1",
            "https://(.*) http://other/$1",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        assert_eq!(
            remap(&rules, "https://www.googletagmanager.com/gtm.js?id=GTM-X"),
            "http://127.0.0.1:9/gtm/gtm.js?id=GTM-X"
        );
        assert_eq!(
            remap(&rules, "https://cdn.segment.com/a"),
            "http://other/cdn.segment.com/a"
        );
        assert_eq!(remap(&rules, "http://plain/"), "http://plain/");
    }

    #[test]
    fn remap_to_a_local_path_becomes_a_file_url() {
        let rule: Remap =
            "https://cdn\\.segment\\.com/v1/projects/(\\w+)/settings fixtures/segment/$1.json"
                .parse()
                .unwrap();
        let out = remap(&[rule], "https://cdn.segment.com/v1/projects/abc/settings");
        assert!(
            out.starts_with("file:///") && out.ends_with("/fixtures/segment/abc.json"),
            "{out}"
        );
    }

    #[test]
    fn headers_go_to_the_target_sites_give_or_take_www() {
        let url = |u: &str| url::Url::parse(u).unwrap();
        assert!(same_site(
            "https://www.example.com",
            &url("https://example.com/a")
        ));
        assert!(same_site(
            "http://example.com",
            &url("http://www.example.com/")
        ));
        assert!(same_site(
            "http://example.com",
            &url("https://example.com/")
        ));
        assert!(!same_site(
            "https://example.com",
            &url("https://login.example.com/")
        ));
        assert!(same_site(
            "http://127.0.0.1:8080",
            &url("http://127.0.0.1:8080/x")
        ));
        assert!(!same_site(
            "http://127.0.0.1:8080",
            &url("http://127.0.0.1:9090/x")
        ));
        assert!(!same_site(
            "https://example.com",
            &url("https://example.com:8443/")
        ));
        // An https site's headers never go out in the clear, not even to its own host.
        assert!(!same_site(
            "https://example.com",
            &url("http://example.com/")
        ));
        assert!(!same_site(
            "https://www.example.com",
            &url("http://example.com/js/app.js")
        ));
    }

    #[test]
    fn bad_remaps_are_refused() {
        assert!("onlyone".parse::<Remap>().is_err());
        assert!("( x".parse::<Remap>().is_err());
        assert!("a b c".parse::<Remap>().is_err());
    }

    #[test]
    fn body_cap() {
        let cancel = Cancel::new();
        let Ok((body, cut)) = read_capped(&b"0123456789"[..], 4, None, &cancel) else {
            panic!("reading a slice fails")
        };
        assert_eq!((body.as_slice(), cut), (&b"0123"[..], true));
        let Ok((_, cut)) = read_capped(&b"0123"[..], 4, Some(4), &cancel) else {
            panic!("reading a slice fails")
        };
        assert!(!cut);
        // Bodies longer than a read step, whatever length the server declared.
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        for hint in [None, Some(10), Some(200_000), Some(u64::MAX)] {
            let Ok((body, cut)) = read_capped(&big[..], 300_000, hint, &cancel) else {
                panic!("reading a slice fails")
            };
            assert!(body == big && !cut, "hint {hint:?}");
            let Ok((body, cut)) = read_capped(&big[..], 150_000, hint, &cancel) else {
                panic!("reading a slice fails")
            };
            assert!(body == big[..150_000] && cut, "hint {hint:?}");
        }
        cancel.interrupt();
        assert!(matches!(
            read_capped(&b"0123"[..], 4, Some(4), &cancel),
            Err(BodyError::Stopped(Stop::Interrupted))
        ));
    }
}
