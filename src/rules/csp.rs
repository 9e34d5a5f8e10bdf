//! A small Content-Security-Policy reader (CSP Level 3, the parts that decide whether a page may
//! load a script from, or connect to, an https URL). Enough for `csp-blocks-heap`; it does not
//! judge inline scripts, nonces or hashes, which heap-audit cannot check from static HTML.
//!
//! What it handles: directive fallback (`script-src-elem` → `script-src` → `default-src`,
//! `connect-src` → `default-src`), the first occurrence of a directive winning, `'none'`, `*`,
//! scheme sources (`https:`), host sources with or without a scheme, `*.` wildcards, ports and
//! paths, `'self'` when the page's origin is known, and `'strict-dynamic'` (host lists are then
//! ignored for scripts inserted by trusted scripts, as Heap's and Segment's loaders are).

use url::Url;

/// A fetch that a policy may allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A `<script src>` inserted by a loader.
    Script,
    /// `fetch`/XHR/beacon: settings downloads and event uploads.
    Connect,
}

impl Kind {
    /// Directives consulted, most specific first.
    fn directives(self) -> &'static [&'static str] {
        match self {
            Kind::Script => &["script-src-elem", "script-src", "default-src"],
            Kind::Connect => &["connect-src", "default-src"],
        }
    }
}

/// One parsed policy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Policy {
    /// Directive names (lowercase) with their source lists, first occurrence only.
    pub directives: Vec<(String, Vec<String>)>,
}

/// Whether a URL may be fetched, and which directive decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    /// The directive that applied (`None` when no directive restricts this kind of fetch).
    pub directive: Option<String>,
}

impl Policy {
    /// Parse a serialized policy (`default-src 'self'; script-src https://cdn.example.com`).
    pub fn parse(text: &str) -> Policy {
        let mut directives: Vec<(String, Vec<String>)> = Vec::new();
        for part in text.split(';') {
            let mut tokens = part.split_ascii_whitespace();
            let Some(name) = tokens.next() else { continue };
            let name = name.to_ascii_lowercase();
            if directives.iter().any(|(n, _)| *n == name) {
                continue;
            }
            directives.push((name, tokens.map(str::to_owned).collect()));
        }
        Policy { directives }
    }

    /// The directive that governs `kind`, with its sources.
    pub fn governing(&self, kind: Kind) -> Option<(&str, &[String])> {
        kind.directives().iter().find_map(|wanted| {
            self.directives
                .iter()
                .find(|(name, _)| name == wanted)
                .map(|(name, sources)| (name.as_str(), sources.as_slice()))
        })
    }

    /// Whether the policy lets the page (at `page`, if known) fetch `url` as `kind`.
    pub fn allows(&self, kind: Kind, url: &Url, page: Option<&Url>) -> Verdict {
        let Some((name, sources)) = self.governing(kind) else {
            return Verdict {
                allowed: true,
                directive: None,
            };
        };
        let strict_dynamic = kind == Kind::Script
            && sources
                .iter()
                .any(|s| s.eq_ignore_ascii_case("'strict-dynamic'"));
        let allowed = strict_dynamic || sources.iter().any(|s| source_matches(s, url, page));
        Verdict {
            allowed,
            directive: Some(name.to_owned()),
        }
    }
}

/// Whether one source expression matches `url`.
pub fn source_matches(source: &str, url: &Url, page: Option<&Url>) -> bool {
    let source = source.trim();
    let lower = source.to_ascii_lowercase();
    if lower == "'self'" {
        return page.is_some_and(|p| p.origin() == url.origin());
    }
    if lower.starts_with('\'') {
        // 'none', 'unsafe-inline', nonces, hashes: never match a URL.
        return false;
    }
    if lower == "*" {
        return matches!(url.scheme(), "http" | "https" | "ws" | "wss" | "ftp");
    }
    if let Some(scheme) = lower.strip_suffix(':') {
        if !scheme.contains('/') {
            return scheme_matches(scheme, url.scheme());
        }
    }
    host_source_matches(&lower, url)
}

/// `http:` also allows `https:` (and `ws:` → `wss:`), as CSP Level 3 upgrades do.
fn scheme_matches(source: &str, actual: &str) -> bool {
    source == actual || matches!((source, actual), ("http", "https") | ("ws", "wss"))
}

fn host_source_matches(source: &str, url: &Url) -> bool {
    let (scheme, rest) = match source.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, source),
    };
    match scheme {
        Some(scheme) if !scheme_matches(scheme, url.scheme()) => return false,
        None if !matches!(url.scheme(), "http" | "https") => return false,
        _ => {}
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let Some(actual) = url.host_str().map(str::to_ascii_lowercase) else {
        return false;
    };
    let host_ok = match host.strip_prefix("*.") {
        Some(parent) => actual.ends_with(&format!(".{parent}")),
        None => host == "*" || actual == host,
    };
    let port_ok = match port {
        Some("*") => true,
        Some(p) => p.parse::<u16>().ok() == url.port_or_known_default(),
        None => url.port().is_none(),
    };
    let path_ok = path.is_empty()
        || path == "/"
        || if path.ends_with('/') {
            url.path().starts_with(path)
        } else {
            url.path() == path
        };
    host_ok && port_ok && path_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("test url")
    }

    fn script(policy: &str, u: &str) -> bool {
        Policy::parse(policy)
            .allows(Kind::Script, &url(u), None)
            .allowed
    }

    const HEAP: &str = "https://cdn.heapanalytics.com/js/heap-2682025610.js";

    #[test]
    fn fallback_and_first_directive_wins() {
        assert!(script("img-src 'self'", HEAP));
        assert!(!script("default-src 'self'", HEAP));
        assert!(script(
            "default-src 'self'; script-src https://cdn.heapanalytics.com",
            HEAP
        ));
        assert!(!script(
            "script-src 'self'; script-src https://cdn.heapanalytics.com",
            HEAP
        ));
        assert!(!script(
            "script-src https://cdn.heapanalytics.com; script-src-elem 'self'",
            HEAP
        ));
        assert!(script("SCRIPT-SRC  CDN.HEAPANALYTICS.COM", HEAP));
    }

    #[test]
    fn sources() {
        assert!(script("script-src *", HEAP));
        assert!(script("script-src https:", HEAP));
        assert!(script("script-src http:", HEAP));
        assert!(!script("script-src data: blob:", HEAP));
        assert!(script("script-src cdn.heapanalytics.com", HEAP));
        assert!(script("script-src *.heapanalytics.com", HEAP));
        assert!(!script(
            "script-src *.heapanalytics.com",
            "https://heapanalytics.com/h"
        ));
        assert!(!script("script-src 'none'", HEAP));
        assert!(!script("script-src 'unsafe-inline' 'nonce-abc'", HEAP));
        assert!(script("script-src 'nonce-abc' 'strict-dynamic'", HEAP));
        assert!(script("script-src https://cdn.heapanalytics.com:443", HEAP));
        assert!(!script(
            "script-src https://cdn.heapanalytics.com:8443",
            HEAP
        ));
        assert!(script("script-src https://cdn.heapanalytics.com/js/", HEAP));
        assert!(!script(
            "script-src https://cdn.heapanalytics.com/v5/",
            HEAP
        ));
        assert!(!script(
            "script-src https://cdn.heapanalytics.com.evil.example",
            HEAP
        ));
    }

    #[test]
    fn self_needs_the_page_origin() {
        let policy = Policy::parse("script-src 'self'");
        let own = url("https://www.example.com/js/heap.js");
        assert!(!policy.allows(Kind::Script, &own, None).allowed);
        let page = url("https://www.example.com/pricing");
        assert!(policy.allows(Kind::Script, &own, Some(&page)).allowed);
    }

    #[test]
    fn connect() {
        let p = Policy::parse("default-src 'self'; connect-src 'self' https://*.heap-api.com");
        let capture = url("https://c.us.heap-api.com/api/capture/v2/track");
        assert!(p.allows(Kind::Connect, &capture, None).allowed);
        let segment = url("https://api.segment.io/v1/t");
        let v = p.allows(Kind::Connect, &segment, None);
        assert!(!v.allowed);
        assert_eq!(v.directive.as_deref(), Some("connect-src"));
    }
}
