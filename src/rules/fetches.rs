//! What each install fetches from the network once it runs: the script URLs its loader inserts
//! and the URLs it connects to (settings, event uploads). Used to check Content-Security-Policies
//! (`csp-blocks-heap`); hosts per domain.md §1.3 and §2.4.

use crate::model::{Install, Page, Sdk, Vendor, Via};

use super::common::{active, skipped_actions};
use super::csp::Kind;

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
        let opt = |k: &str| {
            heap.options
                .get(k)
                .and_then(|v| v.as_str())
                .filter(|s| s.starts_with("http") || k == "hostname")
        };
        let region = if heap.evidence.snippet.contains("cdn.eu.heap-api.com") {
            vec!["eu"]
        } else if heap.evidence.snippet.contains("cdn.us.heap-api.com") {
            vec!["us"]
        } else {
            vec!["us", "eu"]
        };
        let scripts: Vec<String> = match (heap.sdk, opt("hostname")) {
            (_, Some(host)) if heap.via == Via::Segment => {
                vec![format!("https://{host}/config/{id}/heap_config.js")]
            }
            _ if self_hosted(heap) => Vec::new(),
            (Some(Sdk::V5), _) => region
                .iter()
                .map(|r| format!("https://cdn.{r}.heap-api.com/config/{id}/heap_config.js"))
                .collect(),
            _ => vec![format!("https://cdn.heapanalytics.com/js/heap-{id}.js")],
        };
        let uploads: Vec<String> = match (opt("ingestServer").or(opt("trackingServer")), heap.sdk) {
            (Some(server), _) => vec![server.to_owned()],
            (None, Some(Sdk::V5)) => region
                .iter()
                .map(|r| format!("https://c.{r}.heap-api.com/api/capture/v2/track"))
                .collect(),
            (None, _) => vec!["https://heapanalytics.com/h".to_owned()],
        };
        push(&mut out, Kind::Script, scripts, heap);
        push(&mut out, Kind::Connect, uploads, heap);
    }
    for segment in active(page, Vendor::Segment) {
        let key = segment.id.as_deref().unwrap_or("0");
        let cdn = segment
            .cdn
            .as_deref()
            .unwrap_or("https://cdn.segment.com")
            .trim_end_matches('/');
        if segment.snippet_version.as_deref() != Some("npm") {
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
                vec![format!("{cdn}/v1/projects/{key}/settings")],
                segment,
            );
        }
        push(
            &mut out,
            Kind::Connect,
            vec!["https://api.segment.io/v1/t".to_owned()],
            segment,
        );
    }
    out
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

/// The non-standard `heap.load(id, "/path/heap-<id>.js", config)` form loads heap.js from the
/// site itself, whose origin is not known for local files.
fn self_hosted(heap: &Install) -> bool {
    let snippet = &heap.evidence.snippet;
    let Some(at) = snippet.find("heap.load(") else {
        return false;
    };
    let args = &snippet[at + "heap.load(".len()..];
    args.split_once(',')
        .is_some_and(|(_, rest)| rest.trim_start().starts_with(['"', '\'', '`', '/']))
}
