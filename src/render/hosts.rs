//! Which requests are whose: Heap's, Segment's and the tag managers' hosts (with the first-party
//! Segment hosts the static read found), the consent managers' hosts, and the site's own.

use url::Url;

use crate::model::Vendor;

/// Consent managers' hosts: not a vendor of the audit, but never blocked as third party (a
/// page's consent banner must work for `--render-consent accept`).
const CONSENT_HOSTS: &[&str] = &[
    "cookielaw.org",
    "onetrust.com",
    "cookiebot.com",
    "usercentrics.eu",
];

/// The hosts a render tells apart.
#[derive(Debug, Clone, Default)]
pub struct Hosts {
    /// The audited sites' hosts (`host` or `host:port`).
    pub site: Vec<String>,
    /// Hosts serving Segment besides Segment's own (a first-party proxy found by the static read:
    /// `analytics._cdn`, `apiHost`).
    pub segment: Vec<String>,
}

fn host_of(url: &str) -> Option<(String, String)> {
    let parsed = Url::parse(url).ok()?;
    let host = parsed.host_str()?.to_ascii_lowercase();
    let with_port = match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.clone(),
    };
    Some((host, with_port))
}

fn under(host: &str, domain: &str) -> bool {
    host == domain || host.ends_with(&format!(".{domain}"))
}

impl Hosts {
    /// Whether `url` is on one of the audited sites.
    pub fn is_site(&self, url: &str) -> bool {
        host_of(url).is_some_and(|(host, with_port)| {
            self.site.iter().any(|s| *s == with_port || *s == host)
        })
    }

    /// The vendor of a request and what it is: `library`, `settings`, `integration`,
    /// `container`, `tracking` or `other`. `None` for anyone else's (consent managers' hosts
    /// give `None` too, but [`Hosts::is_consent`] says so).
    pub fn classify(&self, url: &str) -> Option<(Vendor, &'static str)> {
        let (host, with_port) = host_of(url)?;
        let path = url.split_once(&*with_port).map_or("", |(_, rest)| rest);
        if under(&host, "heapanalytics.com") || under(&host, "heap-api.com") {
            let kind = if path.starts_with("/js/heap") || path.contains("/heap_config.js") {
                "library"
            } else if host.starts_with("cdn.") {
                "other"
            } else {
                "tracking"
            };
            return Some((Vendor::Heap, kind));
        }
        let segment = under(&host, "segment.com")
            || under(&host, "segment.io")
            || under(&host, "segmentapis.com")
            || self.segment.iter().any(|s| *s == host || *s == with_port);
        if segment {
            let kind = if path.contains("/analytics.js/v1/") || path.contains("analytics.min.js") {
                "library"
            } else if path.starts_with("/v1/projects/") && path.contains("/settings") {
                "settings"
            } else if path.starts_with("/next-integrations/") || path.contains("/integrations/") {
                "integration"
            } else if host.starts_with("api.")
                || host.starts_with("events.")
                || path.starts_with("/v1/")
            {
                "tracking"
            } else {
                "other"
            };
            return Some((Vendor::Segment, kind));
        }
        if under(&host, "googletagmanager.com") {
            let kind = if path.starts_with("/gtm.js") {
                "container"
            } else {
                "other"
            };
            return Some((Vendor::Gtm, kind));
        }
        if under(&host, "tiqcdn.com") {
            return Some((Vendor::Tealium, "container"));
        }
        if under(&host, "adobedtm.com") {
            return Some((Vendor::AdobeLaunch, "container"));
        }
        None
    }

    /// Whether `url` is a consent manager's.
    pub fn is_consent(&self, url: &str) -> bool {
        host_of(url).is_some_and(|(host, _)| CONSENT_HOSTS.iter().any(|d| under(&host, d)))
    }
}

/// The container id of a `gtm.js?id=GTM-…` URL.
pub fn container_id(url: &str) -> Option<String> {
    let parsed = Url::parse(url).ok()?;
    parsed
        .query_pairs()
        .find(|(k, _)| k == "id")
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendors_and_kinds() {
        let hosts = Hosts {
            site: vec!["127.0.0.1:8080".into()],
            segment: vec!["seg.example.com".into()],
        };
        let c = |u: &str| hosts.classify(u);
        assert_eq!(
            c("https://cdn.heapanalytics.com/js/heap-123.js"),
            Some((Vendor::Heap, "library"))
        );
        assert_eq!(
            c("https://cdn.us.heap-api.com/config/123/heap_config.js"),
            Some((Vendor::Heap, "library"))
        );
        assert_eq!(
            c("https://heapanalytics.com/h?a=123"),
            Some((Vendor::Heap, "tracking"))
        );
        assert_eq!(
            c("https://cdn.segment.com/v1/projects/abc/settings"),
            Some((Vendor::Segment, "settings"))
        );
        assert_eq!(
            c("https://cdn.segment.com/analytics.js/v1/abc/analytics.min.js"),
            Some((Vendor::Segment, "library"))
        );
        assert_eq!(
            c("https://api.segment.io/v1/p"),
            Some((Vendor::Segment, "tracking"))
        );
        assert_eq!(
            c("https://seg.example.com/analytics.js/v1/abc/analytics.min.js"),
            Some((Vendor::Segment, "library"))
        );
        assert_eq!(
            c("https://www.googletagmanager.com/gtm.js?id=GTM-AB12CD"),
            Some((Vendor::Gtm, "container"))
        );
        assert_eq!(c("https://fonts.example.net/a.woff2"), None);
        assert!(hosts.is_site("http://127.0.0.1:8080/about/"));
        assert!(!hosts.is_site("http://127.0.0.1:9090/"));
        assert!(hosts.is_consent("https://cdn.cookielaw.org/scripttemplates/otSDKStub.js"));
        assert_eq!(
            container_id("https://www.googletagmanager.com/gtm.js?id=GTM-AB12CD&l=dataLayer"),
            Some("GTM-AB12CD".into())
        );
    }
}
