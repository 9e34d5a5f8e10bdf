//! Content-Security-Policy: whether a page's policies let it load a script from, or connect to,
//! a URL. The matching is Servo's `content-security-policy` crate (CSP Level 3: directive
//! fallback, `'self'`, scheme and host sources with wildcards, ports and paths, upgrades from
//! `http:` to `https:`, `'strict-dynamic'`); this file only says what heap-audit asks it.
//!
//! Heap's and Segment's loaders insert their scripts from a script (not the HTML parser), and
//! their settings and events go through `fetch`/XHR. The page's origin is the page's URL when it
//! is known; a local build file has none, so it is taken as an https page of an unknown host:
//! `'self'` then matches nothing and a source without a scheme matches `https:` URLs, as it will
//! on the deployed site. heap-audit does not judge inline scripts, nonces or hashes.

use content_security_policy as csp;
use url::{Origin, Url};

/// A fetch that a policy may allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A `<script src>` inserted by a loader.
    Script,
    /// `fetch`/XHR/beacon: settings downloads and event uploads.
    Connect,
}

impl Kind {
    /// Directives consulted, most specific first (to name the one that decided).
    fn directives(self) -> &'static [&'static str] {
        match self {
            Kind::Script => &["script-src-elem", "script-src", "default-src"],
            Kind::Connect => &["connect-src", "default-src"],
        }
    }
}

/// One parsed policy.
#[derive(Debug, Clone)]
pub struct Policy {
    list: csp::CspList,
    /// Directive names (lowercase) with their source lists, first occurrence only: to say which
    /// directive applied.
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
        let list = csp::CspList::parse(
            text,
            csp::PolicySource::Meta,
            csp::PolicyDisposition::Enforce,
        );
        Policy { list, directives }
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
        let origin = page
            .filter(|p| matches!(p.scheme(), "http" | "https"))
            .map(Url::origin)
            .unwrap_or_else(unknown_https_page);
        let (destination, initiator, parser_metadata) = match kind {
            Kind::Script => (
                csp::Destination::Script,
                csp::Initiator::None,
                csp::ParserMetadata::NotParserInserted,
            ),
            Kind::Connect => (
                csp::Destination::None,
                csp::Initiator::Fetch,
                csp::ParserMetadata::None,
            ),
        };
        let request = csp::Request {
            url: url.clone(),
            current_url: url.clone(),
            origin,
            redirect_count: 0,
            destination,
            initiator,
            nonce: String::new(),
            integrity_metadata: String::new(),
            parser_metadata,
        };
        let (result, _) = self.list.should_request_be_blocked(&request);
        Verdict {
            allowed: result == csp::CheckResult::Allowed,
            directive: self.governing(kind).map(|(name, _)| name.to_owned()),
        }
    }
}

/// The origin of a page whose URL is not known (a local build file): an https page of a host
/// that no source names.
fn unknown_https_page() -> Origin {
    Url::parse("https://page.heap-audit.invalid/")
        .map(|u| u.origin())
        .unwrap_or_else(|_| Origin::new_opaque())
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

    /// Cases where CSP Level 3 is subtler than a hand-written matcher (measured when the crate
    /// replaced one, which got none of them right).
    #[test]
    fn the_finer_points_of_the_spec() {
        // Paths are case-sensitive.
        let policy = "script-src https://cdn.example.com/Static/";
        assert!(!script(policy, "https://cdn.example.com/static/heap.js"));
        assert!(script(policy, "https://cdn.example.com/Static/heap.js"));
        // A host source never matches a bare IP address (CSP3 "host-part match").
        assert!(!script(
            "script-src https://10.0.0.5",
            "https://10.0.0.5/heap.js"
        ));
        // A source without a scheme matches the page's scheme (https here), not ftp.
        assert!(!script(
            "script-src cdn.heapanalytics.com",
            "ftp://cdn.heapanalytics.com/heap.js"
        ));
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
