//! Fetching: every URL heap-audit reads goes through [`Fetcher::get`], which remaps it
//! (`--remap`), follows redirects itself (so each hop is recorded and loops are named), caps the
//! body size, and turns every failure into a [`FetchError`]. `file:` URLs (local build folders, or
//! a `--remap` to a local mirror) are read from disk.
//!
//! The network is reqwest on tokio, a runtime per lane driven by the fetching thread: proxies
//! from the environment (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`) or `--proxy`;
//! trust in the platform's store (which `SSL_CERT_FILE` and `SSL_CERT_DIR` replace), Mozilla's
//! roots bundled, and `--ca-cert`; HTTP/2 by ALPN; gzip, deflate, brotli and zstd bodies; a
//! cookie store for the run.
//! Callers stay plain threads: each fetch is driven to its end on the calling thread, raced
//! against the run's stop, so Ctrl-C and `--max-time` cut it at whatever it awaits.
//!
//! Every HTTP request waits for a slot on its host ([`Politeness`]), has one overall deadline
//! (`--timeout`) covering connect, headers and body, and 429 and 503 answers are retried
//! (`--max-retries`) after the wait their `Retry-After` asks for (capped at [`MAX_RETRY_WAIT`]) or
//! an exponential back-off. A body cut short (a reset, a chunk or a `Content-Length` not reached)
//! is never taken as complete: what arrived is kept and the response says why it is incomplete.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use regex::Regex;

use crate::model::ProblemKind;
use crate::source::limits::{self, Cancel, Politeness, Stop};
use crate::source::local;
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
    /// Every request goes through this proxy (`--proxy`); `None`: the environment's
    /// `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY`, if set.
    pub proxy: Option<Proxy>,
    /// Certificates trusted besides the platform's store and the bundled roots (`--ca-cert`).
    pub ca_certs: Vec<CaCert>,
    /// Accept any certificate (`--insecure`).
    pub insecure: bool,
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
            proxy: None,
            ca_certs: Vec::new(),
            insecure: false,
        }
    }
}

/// A `--proxy` URL. Its credentials (`http://user:password@proxy:3128`) go to the proxy only and
/// are never shown: `Debug` and [`Proxy::shown`] leave them out.
#[derive(Clone)]
pub struct Proxy {
    url: url::Url,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Proxy({})", self.shown())
    }
}

impl std::str::FromStr for Proxy {
    type Err = String;

    fn from_str(s: &str) -> Result<Proxy, String> {
        // The value is never echoed: it may hold a password.
        let url = url::Url::parse(s.trim())
            .map_err(|e| format!("not a proxy URL (http://host:port): {e}"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!(
                "a proxy is an http:// or https:// URL with a host, not {}:",
                url.scheme()
            ));
        }
        Ok(Proxy { url })
    }
}

impl Proxy {
    /// The proxy as it may be shown: without user name or password.
    pub fn shown(&self) -> String {
        let mut url = self.url.clone();
        let _ = url.set_username("");
        let _ = url.set_password(None);
        url.to_string()
    }
}

/// A `--ca-cert` file: PEM certificates, read and checked once, when the options are parsed.
#[derive(Debug, Clone)]
pub struct CaCert {
    pub path: PathBuf,
    pem: Vec<u8>,
}

impl CaCert {
    /// Read a PEM file of one or more certificates.
    pub fn read(path: &Path) -> Result<CaCert, String> {
        let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        match reqwest::Certificate::from_pem_bundle(&pem) {
            Ok(certs) if !certs.is_empty() => Ok(CaCert {
                path: path.to_path_buf(),
                pem,
            }),
            _ => Err(format!(
                "{}: no PEM certificate in this file (expected -----BEGIN CERTIFICATE-----)",
                path.display()
            )),
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
    /// The body ended before its end (a reset, a chunk or a `Content-Length` not reached): `body`
    /// holds what arrived, and this says what happened.
    pub incomplete: Option<FetchError>,
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
/// behind an `Arc`, so threads share one connection pool and one cookie store.
///
/// [`Fetcher::get`] blocks its thread until the answer, a failure, `--timeout`, or the run's stop,
/// whichever comes first: a read stalled on a dead server is dropped as soon as the run stops.
pub struct Fetcher {
    inner: Arc<Inner>,
}

struct Inner {
    /// The client and the runtime that drives its connections; an error if they could not be
    /// set up (every HTTP fetch then fails with it).
    net: Result<Net, String>,
    config: FetchConfig,
    politeness: Politeness,
    cancel: Cancel,
}

/// The network: a set of lanes, each a reqwest client on a tokio runtime of its own, driven by
/// the thread that holds it. A fetch takes a free lane (or makes one) for its request and gives
/// it back: the request, the connection and the body are then all handled on the fetching
/// thread, with no hand-over to network threads (with one shared multi-thread runtime, a thread
/// switch per request and per body chunk was ~15% of a crawl's time). The lanes share one
/// cookie store. A lane left behind by a stop (on a stalled server) is never given back.
struct Net {
    lanes: std::sync::Mutex<Vec<Lane>>,
    parts: ClientParts,
}

/// One client and the runtime its connections live on.
struct Lane {
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    /// When it was last given back (`None`: never used).
    returned: Option<std::time::Instant>,
}

/// What every lane's client is built from (checked once, when the fetcher is made).
struct ClientParts {
    user_agent: String,
    timeout: Duration,
    insecure: bool,
    certificates: Vec<reqwest::Certificate>,
    proxy: Option<reqwest::Proxy>,
    cookies: Arc<reqwest::cookie::Jar>,
}

/// How long a connection may wait unused in a lane's pool before it is not reused. A lane's
/// connections are only looked after while it fetches, so a lane taken after [`LANE_UNDRIVEN`]
/// first lets them see what came meanwhile (a server closing one: [`Net::take`]); past this, one
/// is not trusted at all. Long enough to keep connections across a `--rate` of one request in
/// many seconds.
const LANE_IDLE: Duration = Duration::from_secs(30);

/// How long a lane may go undriven before it is taken again without first looking at its
/// connections: a busy crawl takes its lanes back within milliseconds.
const LANE_UNDRIVEN: Duration = Duration::from_millis(50);

/// A lane taken from [`Net`], given back when dropped.
struct Taken<'a> {
    net: &'a Net,
    lane: Option<Lane>,
}

impl std::ops::Deref for Taken<'_> {
    type Target = Lane;
    fn deref(&self) -> &Lane {
        // Set from construction to drop.
        self.lane.as_ref().expect("a taken lane")
    }
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        if let Some(mut lane) = self.lane.take() {
            lane.returned = Some(std::time::Instant::now());
            self.net.free().push(lane);
        }
    }
}

impl Fetcher {
    /// A fetcher whose waits and reads stop when `cancel` says so. It may be shared by any
    /// number of threads: each fetch uses a network lane of its own.
    pub fn new(config: FetchConfig, cancel: Cancel) -> Fetcher {
        let net = Net::new(&config);
        let politeness = Politeness::new(config.rate, config.max_host_connections);
        Fetcher {
            inner: Arc::new(Inner {
                net,
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

    /// Space requests to `host` (as in a URL: `example.com`, `127.0.0.1:8080`) by at least
    /// `delay`: robots.txt's `Crawl-delay`.
    pub fn set_crawl_delay(&self, host: &str, delay: Duration) {
        self.inner.politeness.set_delay(host, delay);
    }
}

impl Net {
    fn new(config: &FetchConfig) -> Result<Net, String> {
        // ring, not aws-lc: reqwest is built without a provider and this one is installed for
        // the process (an error only says one was installed before).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut certificates: Vec<reqwest::Certificate> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .filter_map(|der| reqwest::Certificate::from_der(der).ok())
            .collect();
        for ca in &config.ca_certs {
            let certs = reqwest::Certificate::from_pem_bundle(&ca.pem)
                .map_err(|e| format!("{}: {}", ca.path.display(), chain(&e)))?;
            certificates.extend(certs);
        }
        let proxy = match &config.proxy {
            // An explicit proxy replaces the environment's, but NO_PROXY still applies.
            Some(proxy) => Some(
                reqwest::Proxy::all(proxy.url.as_str())
                    .map_err(|e| format!("--proxy {}: {}", proxy.shown(), chain(&e)))?
                    .no_proxy(reqwest::NoProxy::from_env()),
            ),
            None => None,
        };
        let net = Net {
            lanes: std::sync::Mutex::new(Vec::new()),
            parts: ClientParts {
                user_agent: config.user_agent.clone(),
                timeout: config.timeout,
                insecure: config.insecure,
                certificates,
                proxy,
                cookies: Arc::new(reqwest::cookie::Jar::default()),
            },
        };
        // The first lane now, so that a client that cannot be set up is said at once.
        let first = net.lane()?;
        net.free().push(first);
        Ok(net)
    }

    fn free(&self) -> std::sync::MutexGuard<'_, Vec<Lane>> {
        self.lanes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A free lane, or a new one.
    fn take(&self) -> Result<Taken<'_>, String> {
        let free = self.free().pop();
        let lane = match free {
            Some(lane) => lane,
            None => self.lane()?,
        };
        // Taken right before a request: if it was not driven for a while, first let its
        // connections see what came meanwhile (a server closing an idle one), so that its pool
        // does not hand out one that is closed. A lane taken again at once (a busy crawl) is not.
        if lane
            .returned
            .is_some_and(|at| at.elapsed() >= LANE_UNDRIVEN)
        {
            lane.runtime.block_on(async {
                tokio::task::yield_now().await;
                tokio::task::yield_now().await;
            });
        }
        Ok(Taken {
            net: self,
            lane: Some(lane),
        })
    }

    fn lane(&self) -> Result<Lane, String> {
        let parts = &self.parts;
        let mut builder = reqwest::Client::builder()
            .user_agent(parts.user_agent.as_str())
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(parts.timeout)
            .timeout(parts.timeout)
            // A lane fetches one thing at a time: its next request reuses the connection.
            .pool_max_idle_per_host(1)
            .pool_idle_timeout(LANE_IDLE)
            .cookie_provider(Arc::clone(&parts.cookies))
            .tls_certs_merge(parts.certificates.iter().cloned())
            .tls_danger_accept_invalid_certs(parts.insecure);
        if let Some(proxy) = &parts.proxy {
            builder = builder.proxy(proxy.clone());
        }
        let client = builder
            .build()
            .map_err(|e| format!("the HTTP client could not be set up: {}", chain(&e)))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("the network runtime could not be started: {e}"))?;
        Ok(Lane {
            client,
            runtime,
            returned: None,
        })
    }
}

/// How often a fetch in progress looks at the stop flag.
const STOP_CHECK: Duration = Duration::from_millis(50);

/// One HTTP exchange: the answer's head, and its body when it is a page (2xx).
struct Exchange {
    status: u16,
    reason: String,
    location: Option<String>,
    retry_after: Option<String>,
    content_type: Option<String>,
    csp: Vec<String>,
    body: Vec<u8>,
    truncated: bool,
    incomplete: Option<FetchError>,
}

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
            let exchange = self.request(&parsed)?;
            let status = exchange.status;
            if (300..400).contains(&status) {
                let Some(location) = exchange.location else {
                    return Err(FetchError {
                        kind: ProblemKind::HttpStatus,
                        message: format!("HTTP {status} without a Location header"),
                        status: Some(status),
                    });
                };
                let next = parsed.join(&location).map_err(|e| {
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
            return Ok(Response {
                final_url: url,
                status: Some(status),
                redirects,
                content_type: exchange.content_type,
                csp: exchange.csp,
                body: exchange.body,
                truncated: exchange.truncated,
                incomplete: exchange.incomplete,
            });
        }
    }

    /// One request, retried on 429 and 503 (each attempt waits for a slot on the host, held
    /// until the body is read). An answer of 400 or more is an error.
    fn request(&self, url: &url::Url) -> Result<Exchange, FetchError> {
        let net = self
            .net
            .as_ref()
            .map_err(|e| error(ProblemKind::Unreachable, e.clone()))?;
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
            // Taken once the wait for the host is over, and given back before a retry waits:
            // a lane is never held idle.
            let lane = net.take().map_err(|e| error(ProblemKind::Unreachable, e))?;
            let exchange = self.until_stopped(&lane, self.exchange(&lane, url))?;
            drop(lane);
            drop(slot);
            let status = exchange.status;
            if status < 400 {
                return Ok(exchange);
            }
            let mut failure = FetchError {
                kind: ProblemKind::HttpStatus,
                message: format!("HTTP {status} {}", exchange.reason)
                    .trim_end()
                    .to_owned(),
                status: Some(status),
            };
            if attempt > 0 {
                let plural = if attempt == 1 { "retry" } else { "retries" };
                failure
                    .message
                    .push_str(&format!(" (still after {attempt} {plural})"));
            }
            if !matches!(status, 429 | 503) || attempt >= self.config.max_retries {
                return Err(failure);
            }
            let wait = exchange
                .retry_after
                .as_deref()
                .and_then(|v| limits::retry_after(v, SystemTime::now()))
                .unwrap_or(FIRST_BACKOFF * 2u32.saturating_pow(attempt))
                .min(MAX_RETRY_WAIT);
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
    }

    /// Drive `work` to its end on this thread, unless the run stops first: then it is dropped
    /// (whatever it was waiting for) and the error says why.
    fn until_stopped<T>(
        &self,
        lane: &Lane,
        work: impl std::future::Future<Output = Result<T, FetchError>>,
    ) -> Result<T, FetchError> {
        let cancel = &self.cancel;
        let stop = async {
            loop {
                if let Some(stop) = cancel.stopped() {
                    return stop;
                }
                tokio::time::sleep(STOP_CHECK).await;
            }
        };
        lane.runtime.block_on(async {
            tokio::select! {
                result = work => result,
                stop = stop => Err(stopped(stop)),
            }
        })
    }

    /// Send the request, with the target sites' extra headers, and read the answer: its head
    /// always, its body (up to the cap) when it is a page.
    async fn exchange(&self, lane: &Lane, url: &url::Url) -> Result<Exchange, FetchError> {
        let mut request = lane.client.get(url.clone());
        for credentials in &self.config.credentials {
            if same_site(&credentials.site, url) {
                request = request.header("Authorization", &credentials.authorization);
            }
        }
        if self
            .config
            .header_hosts
            .iter()
            .any(|target| same_site(target, url))
        {
            for (name, value) in &self.config.headers {
                request = request.header(name, value);
            }
        }
        let mut response = request.send().await.map_err(|e| request_error(&e))?;
        let status = response.status();
        let headers = response.headers();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let mut exchange = Exchange {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_owned(),
            location: header("location"),
            retry_after: header("retry-after"),
            content_type: header("content-type"),
            csp: headers
                .get_all("content-security-policy")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .map(str::to_owned)
                .collect(),
            body: Vec::new(),
            truncated: false,
            incomplete: None,
        };
        if !status.is_success() {
            return Ok(exchange);
        }
        // reqwest decodes the encodings it asked for and removes the header; anything left is
        // one it did not ask for, and would be read as garbage.
        let encoding = header("content-encoding")
            .map(|e| e.trim().to_ascii_lowercase())
            .filter(|e| !matches!(e.as_str(), "" | "identity"));
        if let Some(encoding) = encoding {
            return Err(FetchError {
                kind: ProblemKind::CorruptBody,
                message: format!(
                    "the body is encoded with '{encoding}' (Content-Encoding), which heap-audit \
                     did not ask for and does not decode"
                ),
                status: Some(exchange.status),
            });
        }
        let cap = self.config.max_body;
        // A declared length sizes the buffer once (up to the cap, whatever a server claims); a
        // body of unknown length grows it, never past the cap, so a page is held in at most
        // --max-body bytes.
        let expected = response.content_length().map_or(0, |n| n.min(cap as u64));
        let mut body = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = cap - body.len();
                    if chunk.len() > room {
                        body.extend_from_slice(&chunk[..room]);
                        exchange.truncated = true;
                        break;
                    }
                    grow_within(&mut body, chunk.len(), cap);
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    let failure = body_error(&e, body.len());
                    if failure.kind != ProblemKind::IncompleteBody {
                        return Err(FetchError {
                            status: Some(exchange.status),
                            ..failure
                        });
                    }
                    exchange.incomplete = Some(failure);
                    break;
                }
            }
        }
        exchange.body = body;
        Ok(exchange)
    }

    fn read_file(&self, url: &url::Url, redirects: Vec<String>) -> Fetched {
        let path = url
            .to_file_path()
            .map_err(|()| error(ProblemKind::Io, format!("not a local path: {url}")))?;
        // On a helper thread, within --timeout (a stalled mount must not hang the run); a FIFO
        // or device is refused, never waited on.
        let (file, cap, cancel) = (path.clone(), self.config.max_body, self.cancel.clone());
        let read = local::guarded(self.config.timeout, &self.cancel, move || {
            let (file, length) = local::open_sized(&file).map_err(BodyError::Io)?;
            read_capped(file, cap, Some(length), &cancel)
        });
        let (body, truncated) = match read {
            Ok(read) => read,
            Err(local::Cut::Stopped(stop)) => Err(BodyError::Stopped(stop)),
            Err(cut) => {
                let message = format!("{}: {}", path.display(), cut.message());
                return Err(error(ProblemKind::Timeout, message));
            }
        }
        .map_err(|e| match e {
            BodyError::Io(e) => error(ProblemKind::Io, format!("{}: {e}", path.display())),
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
            incomplete: None,
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

/// A request that got no answer, as a [`FetchError`] that says why in words: the URL is left
/// out (the page is named beside it), and so are proxy credentials and raw bytes.
fn request_error(e: &reqwest::Error) -> FetchError {
    if e.is_builder() {
        // The message of a refused header may quote it, value and all: never pass it on.
        return error(
            ProblemKind::Unreachable,
            "the request could not be made: a request header or the URL was refused by the HTTP \
             client (the header is not shown)"
                .into(),
        );
    }
    if e.is_timeout() {
        return error(ProblemKind::Timeout, "no answer in time (--timeout)".into());
    }
    let text = chain(e);
    let lower = text.to_ascii_lowercase();
    let message = if let Some(plain) = plain_cause(e, &lower) {
        plain
    } else if lower.contains("invalid http version")
        || (lower.contains("http2") && lower.contains("preface"))
    {
        "the server did not answer in HTTP/1.x: it looks like an HTTP/2-only server without TLS \
         (h2c), which heap-audit does not speak; serve the site over https (HTTP/2 is negotiated \
         there) or HTTP/1.1"
            .to_owned()
    } else if lower.contains("certificate") || lower.contains("unknownissuer") {
        let what = tls_problem(e).unwrap_or(text);
        format!(
            "the site's TLS certificate is not trusted ({what}): add its CA with --ca-cert FILE \
             or SSL_CERT_FILE, or use --insecure for a self-signed staging site"
        )
    } else if e.is_connect() {
        format!("could not connect: {text}")
    } else {
        text
    };
    error(ProblemKind::Unreachable, message)
}

/// The cause of a failed connection in a person's words, where it is a common one: the HTTP
/// library's own chain of messages (`client error (Connect): tcp connect error: …`) says the same
/// thing at four levels.
fn plain_cause(e: &reqwest::Error, lower: &str) -> Option<String> {
    use std::io::ErrorKind;
    let io = causes(e).find_map(|c| c.downcast_ref::<std::io::Error>().map(|io| io.kind()));
    let plain = match io {
        Some(ErrorKind::ConnectionRefused) => "connection refused: nothing listens on that port",
        Some(ErrorKind::ConnectionReset) => "the connection was reset by the server",
        Some(ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable) => {
            "the host cannot be reached from this network"
        }
        _ if lower.contains("dns error") => {
            "could not resolve the host name (DNS): check the URL, or the network's DNS and proxy \
             settings (HTTPS_PROXY)"
        }
        _ => return None,
    };
    Some(plain.to_owned())
}

/// A TLS certificate failure named for a person: `unknown certificate authority`, `expired`, ...
fn tls_problem(e: &reqwest::Error) -> Option<String> {
    use rustls::{CertificateError, Error};
    // rustls's error may come wrapped in an io::Error, whose `source()` skips it, or be known
    // only by its text (`invalid peer certificate: UnknownIssuer`).
    let tls = causes(e).find_map(|c| {
        c.downcast_ref::<Error>().cloned().or_else(|| {
            c.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<Error>())
                .cloned()
        })
    });
    let text = chain(e);
    let named = |name: &str| text.contains(&format!("invalid peer certificate: {name}"));
    let tls = tls.or_else(|| {
        [
            ("UnknownIssuer", CertificateError::UnknownIssuer),
            ("Expired", CertificateError::Expired),
            ("NotValidForName", CertificateError::NotValidForName),
            ("BadSignature", CertificateError::BadSignature),
        ]
        .into_iter()
        .find(|(name, _)| named(name))
        .map(|(_, cert)| Error::InvalidCertificate(cert))
    })?;
    let what = match tls {
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "TLS: unknown certificate authority"
        }
        Error::InvalidCertificate(CertificateError::Expired) => "TLS: the certificate has expired",
        Error::InvalidCertificate(CertificateError::NotValidForName) => {
            "TLS: the certificate is not valid for this host name"
        }
        Error::InvalidCertificate(CertificateError::BadSignature) => {
            "TLS: the certificate's signature is wrong"
        }
        _ => return None,
    };
    Some(what.to_owned())
}

/// An error and each of its sources, outermost first.
fn causes<'e>(
    e: &'e (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'e (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(e), |c| c.source())
}

/// Make room in `body` for `more` bytes: doubling as a `Vec` does, but never past `cap`.
fn grow_within(body: &mut Vec<u8>, more: usize, cap: usize) {
    let need = body.len() + more;
    if need > body.capacity() {
        let want = need.max(body.capacity() * 2).min(cap.max(need));
        body.reserve_exact(want - body.len());
    }
}

/// A body that stopped before its end, as a [`FetchError`]: cut (a reset, a chunk or a
/// `Content-Length` not reached: [`ProblemKind::IncompleteBody`]), undecodable (broken
/// compression or chunk framing: [`ProblemKind::CorruptBody`]), or too slow.
fn body_error(e: &reqwest::Error, read: usize) -> FetchError {
    if e.is_timeout() {
        return error(
            ProblemKind::Timeout,
            format!("the body was not read in time (--timeout), after {read} bytes"),
        );
    }
    let text = chain(e);
    let lower = text.to_ascii_lowercase();
    let io_kind = {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
        let mut kind = None;
        while let Some(s) = source {
            if let Some(io) = s.downcast_ref::<std::io::Error>() {
                kind = Some(io.kind());
            }
            source = s.source();
        }
        kind
    };
    use std::io::ErrorKind;
    let cut = matches!(
        io_kind,
        Some(ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted)
    ) || [
        "incomplete",
        "end of file",
        "connection reset",
        "connection closed",
        "unexpected eof",
    ]
    .iter()
    .any(|w| lower.contains(w));
    if cut {
        error(
            ProblemKind::IncompleteBody,
            format!("the connection closed before the end of the body, after {read} bytes: {text}"),
        )
    } else {
        error(
            ProblemKind::CorruptBody,
            format!(
                "the body could not be decoded (broken compression or framing), after {read} \
                 bytes: {text}"
            ),
        )
    }
}

/// An error and its causes, `: `-joined, without the URL (the report names it beside), without
/// user info of any URL in it (a proxy's password), and without control characters (raw bytes a
/// server sent).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = Some(e);
    while let Some(s) = source {
        let text = s.to_string();
        // reqwest's own head ("error sending request for url (…)") names the URL.
        let text = match text.find(" for url (") {
            Some(at) => text[..at].to_owned(),
            None => text,
        };
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    let joined = parts.join(": ");
    without_user_info(&joined)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `scheme://user:password@host` anywhere in `text`, with the user info taken out.
fn without_user_info(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        // The authority ends at the first '/', whitespace, or closing bracket.
        let end = after
            .find(|c: char| c == '/' || c.is_whitespace() || c == ')' || c == '>')
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(i) => out.push_str(&authority[i + 1..]),
            None => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
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

/// Why a local file could not be read to its end (or to the cap).
enum BodyError {
    Io(std::io::Error),
    Stopped(Stop),
}

/// Read at most `cap` bytes (and say whether there was more), stopping when the run stops.
fn read_capped(
    reader: impl Read,
    cap: usize,
    size_hint: Option<u64>,
    cancel: &Cancel,
) -> Result<(Vec<u8>, bool), BodyError> {
    /// How much is read between two looks at the stop flag.
    const STEP: usize = 64 * 1024;
    let limit = cap.saturating_add(1);
    let mut reader = reader.take(limit as u64);
    // A file's size sizes the buffer once, with a byte to spare, so that a file read whole takes
    // two reads: its bytes, then the end (up to the cap and a byte, to tell a longer file).
    let expected = size_hint.map_or(STEP, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let mut body = vec![0; expected.saturating_add(1).min(limit)];
    let mut filled = 0;
    loop {
        if let Some(stop) = cancel.stopped() {
            return Err(BodyError::Stopped(stop));
        }
        if filled == body.len() {
            if filled >= limit {
                break;
            }
            // Longer than its size said (a file being written), or of unknown size: grow.
            body.resize(filled.saturating_mul(2).max(filled + STEP).min(limit), 0);
        }
        let end = body.len().min(filled + STEP);
        match reader.read(&mut body[filled..end]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(BodyError::Io(e)),
        }
    }
    body.truncate(filled);
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

    /// A keep-alive HTTP/1.1 server that closes a connection left idle for 300 ms, without a
    /// word (as servers with a short keep-alive timeout do), on 127.0.0.1. Returns its address
    /// and the number of connections it accepted.
    fn short_keep_alive_server() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        use std::io::{BufRead, BufReader, Write};
        use std::sync::atomic::{AtomicUsize, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address").to_string();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counter.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_millis(300)));
                    let mut reader = BufReader::new(stream);
                    loop {
                        let mut line = String::new();
                        // The request line and headers; a timeout or EOF ends the connection.
                        let mut head = 0;
                        loop {
                            line.clear();
                            match reader.read_line(&mut line) {
                                Ok(0) | Err(_) => return,
                                Ok(_) if line == "\r\n" => break,
                                Ok(_) => head += 1,
                            }
                        }
                        if head == 0 {
                            return;
                        }
                        let body = "<html><body>ok</body></html>";
                        let reply = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{body}", body.len());
                        if reader.get_mut().write_all(reply.as_bytes()).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        (address, accepted)
    }

    #[test]
    fn a_connection_the_server_closed_while_idle_is_not_reused() {
        use std::sync::atomic::Ordering;
        let (address, accepted) = short_keep_alive_server();
        let fetcher = Fetcher::new(FetchConfig::default(), Cancel::new());
        let url = format!("http://{address}/");
        let first = fetcher.get(&url);
        assert!(first.is_ok(), "{:?}", first.err());
        // Reused at once: one connection.
        let again = fetcher.get(&url);
        assert!(again.is_ok(), "{:?}", again.err());
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
        // Idle longer than the server keeps it: the server has closed it.
        std::thread::sleep(Duration::from_millis(700));
        let later = fetcher.get(&url);
        assert!(
            later.is_ok(),
            "after the server closed the idle connection: {:?}",
            later.err()
        );
        // On a new connection: the closed one was seen to be closed, not written to.
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_connection_closed_while_a_request_waits_for_rate_is_not_reused() {
        use std::sync::atomic::Ordering;
        let (address, accepted) = short_keep_alive_server();
        // One request every 700 ms to the host: longer than the server keeps a connection.
        let config = FetchConfig {
            rate: Some(1.0 / 0.7),
            ..FetchConfig::default()
        };
        let fetcher = Fetcher::new(config, Cancel::new());
        let url = format!("http://{address}/");
        for n in 1..=3 {
            let fetched = fetcher.get(&url);
            assert!(fetched.is_ok(), "request {n}: {:?}", fetched.err());
        }
        // Each request after a wait the server did not outlast is on a new connection.
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
    }

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
    fn messages_never_carry_user_info_or_raw_bytes() {
        assert_eq!(
            without_user_info("proxy http://ann:s3cret@10.0.0.1:3128 refused (https://u@h/x)"),
            "proxy http://10.0.0.1:3128 refused (https://h/x)"
        );
        assert_eq!(without_user_info("no url here"), "no url here");
        let io = std::io::Error::other("bad \u{0}\u{4} frame from http://a:b@host/");
        assert_eq!(chain(&io), "bad    frame from http://host/");
    }

    #[test]
    fn proxies_are_http_urls_shown_without_credentials() {
        let proxy: Proxy = "http://ann:s3cret@proxy.corp:3128".parse().unwrap();
        assert_eq!(proxy.shown(), "http://proxy.corp:3128/");
        assert!(!format!("{proxy:?}").contains("s3cret"));
        let refused = "socks5://ann:s3cret@proxy.corp:1080"
            .parse::<Proxy>()
            .unwrap_err();
        assert!(
            refused.contains("http://") && !refused.contains("s3cret"),
            "{refused}"
        );
        assert!("not a url".parse::<Proxy>().is_err());
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
