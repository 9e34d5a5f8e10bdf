//! Fetching: every URL heap-audit reads goes through [`Fetcher::get`], which remaps it
//! (`--remap`), fetches it at most once per run, follows redirects itself (so each hop is recorded
//! and loops are named), caps the body size, and turns every failure into a [`FetchError`].
//! `file:` URLs (local build folders, or a `--remap` to a local mirror) are read from disk.

use std::collections::HashSet;
use std::io::Read;
use std::time::Duration;

use regex::Regex;

use crate::model::ProblemKind;

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
    /// Bodies above this many bytes are cut.
    pub max_body: usize,
    pub max_redirects: usize,
    pub remaps: Vec<Remap>,
}

impl Default for FetchConfig {
    fn default() -> FetchConfig {
        FetchConfig {
            timeout: Duration::from_secs(20),
            user_agent: concat!("heap-audit/", env!("CARGO_PKG_VERSION")).to_owned(),
            headers: Vec::new(),
            header_hosts: Vec::new(),
            max_body: 10 * 1024 * 1024,
            max_redirects: 10,
            remaps: Vec::new(),
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

pub type Fetched = Result<Response, FetchError>;

pub struct Fetcher {
    agent: ureq::Agent,
    config: FetchConfig,
}

impl Fetcher {
    pub fn new(config: FetchConfig) -> Fetcher {
        let agent = ureq::AgentBuilder::new()
            .timeout(config.timeout)
            .redirects(0)
            .user_agent(&config.user_agent)
            .build();
        Fetcher { agent, config }
    }

    /// Fetch a URL (as written on the page, before remapping). Bodies are not kept: what is
    /// shared between pages (script files, containers, settings) is memoised by the caller on
    /// what it extracted, so a run holds one body at a time per worker.
    pub fn get(&self, url: &str) -> Fetched {
        self.fetch(url)
    }

    fn fetch(&self, original: &str) -> Fetched {
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
            let response = self.request(&parsed)?;
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
                url = remap(&self.config.remaps, next.as_str());
                redirects.push(next.to_string());
                continue;
            }
            return self.read_response(response, url, redirects);
        }
    }

    fn request(&self, url: &url::Url) -> Result<ureq::Response, FetchError> {
        let mut request = self.agent.request_url("GET", url);
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
        match request.call() {
            Ok(response) => Ok(response),
            Err(ureq::Error::Status(status, response)) => {
                let reason = response.status_text().to_owned();
                Err(FetchError {
                    kind: ProblemKind::HttpStatus,
                    message: format!("HTTP {status} {reason}"),
                    status: Some(status),
                })
            }
            Err(ureq::Error::Transport(t)) => {
                let text = t.to_string();
                let kind = if text.contains("timed out") || text.contains("timeout") {
                    ProblemKind::Timeout
                } else {
                    ProblemKind::Unreachable
                };
                Err(error(kind, text))
            }
        }
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
        let (body, truncated) = read_capped(response.into_reader(), self.config.max_body)
            .map_err(|e| error(io_kind(&e), format!("reading the body failed: {e}")))?;
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
        let (body, truncated) = read_capped(file, self.config.max_body)
            .map_err(|e| error(ProblemKind::Io, format!("{}: {e}", path.display())))?;
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

/// Whether a URL is on a target site: same host give or take a leading `www.`, same explicit
/// port (so http → https and apex → www keep the headers; another host or port does not).
fn same_site(target: &str, url: &url::Url) -> bool {
    let strip = |h: &str| h.strip_prefix("www.").unwrap_or(h).to_ascii_lowercase();
    let (target_host, target_port) = target
        .rsplit_once(':')
        .filter(|(_, p)| p.parse::<u16>().is_ok())
        .map_or((target, None), |(h, p)| (h, p.parse().ok()));
    url.host_str()
        .is_some_and(|h| strip(h) == strip(target_host))
        && url.port() == target_port
}

fn error(kind: ProblemKind, message: String) -> FetchError {
    FetchError {
        kind,
        message,
        status: None,
    }
}

fn io_kind(e: &std::io::Error) -> ProblemKind {
    if matches!(
        e.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    ) {
        ProblemKind::Timeout
    } else {
        ProblemKind::Unreachable
    }
}

fn read_capped(reader: impl Read, cap: usize) -> std::io::Result<(Vec<u8>, bool)> {
    let mut body = Vec::new();
    reader.take(cap as u64 + 1).read_to_end(&mut body)?;
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
        assert!(same_site("www.example.com", &url("https://example.com/a")));
        assert!(same_site("example.com", &url("http://www.example.com/")));
        assert!(!same_site(
            "example.com",
            &url("https://login.example.com/")
        ));
        assert!(same_site("127.0.0.1:8080", &url("http://127.0.0.1:8080/x")));
        assert!(!same_site(
            "127.0.0.1:8080",
            &url("http://127.0.0.1:9090/x")
        ));
        assert!(!same_site("example.com", &url("https://example.com:8443/")));
    }

    #[test]
    fn bad_remaps_are_refused() {
        assert!("onlyone".parse::<Remap>().is_err());
        assert!("( x".parse::<Remap>().is_err());
        assert!("a b c".parse::<Remap>().is_err());
    }

    #[test]
    fn body_cap() {
        let (body, cut) = read_capped(&b"0123456789"[..], 4).unwrap();
        assert_eq!((body.as_slice(), cut), (&b"0123"[..], true));
        let (_, cut) = read_capped(&b"0123"[..], 4).unwrap();
        assert!(!cut);
    }
}
