//! What each install fetches from the network once it runs: the script URLs its loader inserts
//! and the URLs it connects to (settings, event uploads). Used to check Content-Security-Policies
//! (`csp-blocks-heap`); hosts per domain.md §1.3 and §2.4.
//!
//! Everything comes from the inventory's own fields: the Heap SDK's host is `Install.cdn` (the
//! classic CDN, the v5 region's CDN, the Heap Web (Actions) `hostname`, or a self-hosted file),
//! Segment's CDN its `cdn`, and Segment's tracking API its `api_host` (from its settings).

use url::Url;

use crate::inventory::settings_url;
use crate::model::{Install, Page, Sdk, Vendor};

use super::common::{active, skipped_actions};
use super::csp::Kind;

const CLASSIC_CDN: &str = "https://cdn.heapanalytics.com";
const SEGMENT_CDN: &str = "https://cdn.segment.com";
const SEGMENT_API: &str = "api.segment.io/v1";

/// One fetch an install makes; any of `urls` will do (a v5 snippet's region may be unknown).
pub struct Need<'a> {
    pub kind: Kind,
    pub urls: Vec<String>,
    pub install: &'a Install,
}

/// Every fetch the running Heap and Segment installs of a page make.
pub fn needs(page: &Page) -> Vec<Need<'_>> {
    let mut out = Vec::new();
    for heap in active(page, Vendor::Heap) {
        if skipped_actions(heap, page) {
            continue;
        }
        let id = heap.id.as_deref().unwrap_or("0");
        let source = sdk_source(heap.cdn.as_deref(), page);
        let v5 = match heap.sdk {
            Some(sdk) => sdk == Sdk::V5,
            None => matches!(&source, SdkSource::Origin(o) if o.contains("heap-api.com")),
        };
        let scripts: Vec<String> = match &source {
            SdkSource::Origin(origin) if v5 => {
                vec![format!("{origin}/config/{id}/heap_config.js")]
            }
            SdkSource::Origin(origin) => vec![format!("{origin}/js/heap-{id}.js")],
            SdkSource::File(url) => vec![url.clone()],
            // A site-relative file on a page whose origin is not known (a local file).
            SdkSource::Relative => Vec::new(),
            SdkSource::Unknown if v5 => regions(&source)
                .iter()
                .map(|r| format!("https://cdn.{r}.heap-api.com/config/{id}/heap_config.js"))
                .collect(),
            SdkSource::Unknown => vec![format!("{CLASSIC_CDN}/js/heap-{id}.js")],
        };
        let server = ["ingestServer", "trackingServer"]
            .into_iter()
            .find_map(|k| {
                heap.options
                    .get(k)
                    .and_then(|v| v.as_str())
                    .filter(|s| s.starts_with("http"))
            });
        let uploads: Vec<String> = match server {
            Some(server) => vec![server.to_owned()],
            None if v5 => regions(&source)
                .iter()
                .map(|r| format!("https://c.{r}.heap-api.com/api/capture/v2/track"))
                .collect(),
            None => vec!["https://heapanalytics.com/h".to_owned()],
        };
        push(&mut out, Kind::Script, scripts, heap);
        push(&mut out, Kind::Connect, uploads, heap);
    }
    for segment in active(page, Vendor::Segment) {
        let key = segment.id.as_deref().unwrap_or("0");
        let cdn = segment
            .cdn
            .as_deref()
            .unwrap_or(SEGMENT_CDN)
            .trim_end_matches('/');
        if crate::inventory::is_snippet(segment) {
            push(
                &mut out,
                Kind::Script,
                vec![format!("{cdn}/analytics.js/v1/{key}/analytics.min.js")],
                segment,
            );
        }
        if segment.settings.as_deref() != Some("embedded") {
            push(
                &mut out,
                Kind::Connect,
                vec![settings_url(segment)],
                segment,
            );
        }
        push(
            &mut out,
            Kind::Connect,
            vec![tracking_url(segment.api_host.as_deref())],
            segment,
        );
    }
    out
}

/// Where a Heap loader gets the SDK from, read from `Install.cdn`.
#[derive(Debug, PartialEq)]
enum SdkSource {
    /// An origin (`https://cdn.eu.heap-api.com`, an Actions `hostname`): the standard paths apply.
    Origin(String),
    /// The SDK file itself (the self-hosted `heap.load(id, "/static/heap-<id>.js", config)` form).
    File(String),
    /// A site-relative file on a page whose origin is not known.
    Relative,
    /// Not named by the code.
    Unknown,
}

fn sdk_source(cdn: Option<&str>, page: &Page) -> SdkSource {
    let Some(cdn) = cdn.map(str::trim).filter(|c| !c.is_empty()) else {
        return SdkSource::Unknown;
    };
    let absolute = if cdn.starts_with("//") {
        Url::parse(&format!("https:{cdn}")).ok()
    } else {
        Url::parse(cdn).ok().filter(|u| u.has_host())
    };
    let url = match absolute {
        Some(url) => url,
        None => match Url::parse(&page.url)
            .ok()
            .filter(|p| matches!(p.scheme(), "http" | "https"))
            .and_then(|p| p.join(cdn).ok())
        {
            Some(url) => url,
            None => return SdkSource::Relative,
        },
    };
    if matches!(url.path(), "" | "/") && url.query().is_none() {
        SdkSource::Origin(url.origin().ascii_serialization())
    } else {
        SdkSource::File(url.to_string())
    }
}

/// The v5 regions a loader may use: the one its CDN names, else either.
fn regions(source: &SdkSource) -> Vec<&'static str> {
    match source {
        SdkSource::Origin(o) if o.contains("cdn.eu.heap-api.com") => vec!["eu"],
        SdkSource::Origin(o) if o.contains("cdn.us.heap-api.com") => vec!["us"],
        _ => vec!["us", "eu"],
    }
}

/// Segment's tracking endpoint (`…/t`) on the settings' `apiHost` (`api.segment.io/v1`,
/// `events.eu1.segmentapis.com/v1`), with `https://` unless it names a scheme.
fn tracking_url(api_host: Option<&str>) -> String {
    let host = api_host
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .unwrap_or(SEGMENT_API)
        .trim_end_matches('/');
    if host.starts_with("http://") || host.starts_with("https://") {
        format!("{host}/t")
    } else {
        format!("https://{host}/t")
    }
}

fn push<'a>(out: &mut Vec<Need<'a>>, kind: Kind, urls: Vec<String>, install: &'a Install) {
    if !urls.is_empty() {
        out.push(Need {
            kind,
            urls,
            install,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Sdk;
    use crate::rules::common::testing::{native_heap, page, segment};

    fn urls(page: &Page) -> Vec<String> {
        needs(page).into_iter().flat_map(|n| n.urls).collect()
    }

    #[test]
    fn the_heap_sdk_host_comes_from_the_install() {
        let mut eu = native_heap("/", "442235230");
        eu.sdk = Some(Sdk::V5);
        eu.cdn = Some("https://cdn.eu.heap-api.com".into());
        assert_eq!(
            urls(&page("/", vec![eu])),
            vec![
                "https://cdn.eu.heap-api.com/config/442235230/heap_config.js",
                "https://c.eu.heap-api.com/api/capture/v2/track"
            ]
        );
        let mut unknown = native_heap("/", "442235230");
        unknown.sdk = Some(Sdk::V5);
        unknown.cdn = None;
        assert_eq!(urls(&page("/", vec![unknown])).len(), 4, "either region");
    }

    #[test]
    fn self_hosted_sdk_files_are_resolved_against_the_page() {
        let mut heap = native_heap("/", "1714017845");
        heap.cdn = Some("/static/js/heap/heap-1714017845.js".into());
        assert_eq!(
            urls(&page("/", vec![heap.clone()]))[0],
            "https://www.example.com/static/js/heap/heap-1714017845.js"
        );
        let mut local = page("/", vec![heap]);
        local.url = "build/index.html".into();
        assert_eq!(urls(&local), vec!["https://heapanalytics.com/h"]);
    }

    #[test]
    fn an_actions_hostname_is_the_sdk_origin() {
        let mut heap = native_heap("/", "4062471324");
        heap.sdk = Some(Sdk::V5);
        heap.cdn = Some("https://heap.example.com".into());
        assert_eq!(
            urls(&page("/", vec![heap]))[0],
            "https://heap.example.com/config/4062471324/heap_config.js"
        );
    }

    #[test]
    fn segment_tracks_to_its_api_host() {
        let mut eu = segment("/", "q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH");
        eu.api_host = Some("events.eu1.segmentapis.com/v1".into());
        let all = urls(&page("/", vec![eu.clone()]));
        assert!(
            all.contains(&"https://events.eu1.segmentapis.com/v1/t".to_owned()),
            "{all:?}"
        );
        assert!(!all.iter().any(|u| u.contains("api.segment.io")), "{all:?}");
        eu.api_host = None;
        assert!(urls(&page("/", vec![eu])).contains(&"https://api.segment.io/v1/t".to_owned()));
    }
}
