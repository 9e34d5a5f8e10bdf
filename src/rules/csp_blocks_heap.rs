//! ## What it does
//! Checks each Content-Security-Policy of a page (HTTP header or `<meta http-equiv>`) against
//! the hosts the Heap and Segment installs found on that page need:
//! - scripts (`script-src-elem` → `script-src` → `default-src`): classic Heap
//!   `https://cdn.heapanalytics.com`, v5 `https://cdn.us.heap-api.com` (or `cdn.eu.heap-api.com`),
//!   Segment's CDN (`https://cdn.segment.com`, or the snippet's `_cdn`); **error** when blocked;
//! - connections (`connect-src` → `default-src`): Segment's settings on its CDN and
//!   `https://api.segment.io`, v5 Heap's `c.us.heap-api.com` / `c.eu.heap-api.com`, classic Heap's
//!   `heapanalytics.com` (or the configured `trackingServer`/`ingestServer`); **warning**, as the
//!   exact transport (fetch, beacon or image) is not verified for every SDK version.
//!
//! It understands `*`, `https:`, scheme-less hosts, `*.heapanalytics.com` wildcards, ports, paths,
//! `'none'` and `'strict-dynamic'` (which lets loader-inserted scripts through). It does not judge
//! inline snippets against `'unsafe-inline'`, nonces or hashes. One finding per policy and set of
//! blocked hosts, listing every page.
//!
//! ## Why is this bad?
//! A blocked loader means no Heap at all on those pages, silently apart from a console error; a
//! blocked upload means Heap or Segment runs but its data never leaves the browser. Heap's web
//! installation guide lists the hosts to allow for exactly this reason.
//!
//! ## Example
//! ```html
//! <meta http-equiv="Content-Security-Policy" content="script-src 'self' 'unsafe-inline' https://www.googletagmanager.com">
//! <script>/* Heap snippet */ heap.load("3748201956");</script>
//! ```
//!
//! ## Use instead
//! ```html
//! <meta http-equiv="Content-Security-Policy" content="script-src 'self' 'unsafe-inline' https://www.googletagmanager.com https://cdn.heapanalytics.com; connect-src 'self' https://heapanalytics.com">
//! ```
//!
//! ## References
//! - Heap, web installation (Content Security Policy): <https://help.heap.io/installation/standard-installations/web-installation/>
//! - CSP Level 3, matching source expressions: <https://www.w3.org/TR/CSP3/#match-url-to-source-expression>

use url::Url;

use super::common::{active, audited, count, describe, evidence_of, skipped_actions, Groups};
use super::csp::{Kind, Policy};
use super::{finding, Context, Rule};
use crate::model::{Evidence, Finding, Install, Page, Sdk, Severity, Vendor, Via};

pub struct CspBlocksHeap;

/// Something an install fetches; any of `urls` will do (a v5 snippet's region may be unknown).
struct Need<'a> {
    kind: Kind,
    urls: Vec<String>,
    install: &'a Install,
}

impl Rule for CspBlocksHeap {
    fn name(&self) -> &'static str {
        "csp-blocks-heap"
    }
    fn code(&self) -> &'static str {
        "HA012"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "a Content-Security-Policy blocks the hosts the Heap or Segment install needs"
    }
    fn doc(&self) -> String {
        super::doc_from_source(include_str!("csp_blocks_heap.rs"))
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut groups = Groups::new();
        for page in audited(cx.report).filter(|p| !p.csp.is_empty()) {
            let needs = needs(page);
            let here = Url::parse(&page.url).ok().filter(|u| u.scheme() != "file");
            for csp in &page.csp {
                let policy = Policy::parse(&csp.policy);
                let mut blocked: Vec<Blocked> = Vec::new();
                let mut involved: Vec<&Install> = Vec::new();
                for need in &needs {
                    let verdicts: Vec<_> = need
                        .urls
                        .iter()
                        .filter_map(|u| Url::parse(u).ok())
                        .map(|u| (policy.allows(need.kind, &u, here.as_ref()), u))
                        .collect();
                    if verdicts.is_empty() || verdicts.iter().any(|(v, _)| v.allowed) {
                        continue;
                    }
                    let hosts: Vec<String> = verdicts
                        .iter()
                        .map(|(_, u)| u.origin().ascii_serialization())
                        .collect();
                    let directive = verdicts[0].0.directive.clone().unwrap_or_default();
                    let what = match need.kind {
                        Kind::Script => "scripts from",
                        Kind::Connect => "connections to",
                    };
                    blocked.push(Blocked {
                        text: format!(
                            "{what} {} are blocked by {directive} (needed by {})",
                            hosts.join(" or "),
                            describe(need.install, page)
                        ),
                        script: need.kind == Kind::Script,
                        directive,
                        host: hosts[0].clone(),
                    });
                    involved.push(need.install);
                }
                if blocked.is_empty() {
                    continue;
                }
                blocked.dedup_by(|a, b| a.text == b.text);
                let key: Vec<&str> = blocked.iter().map(|b| b.text.as_str()).collect();
                let group = groups
                    .entry(format!(
                        "{}\u{0}{}\u{0}{}",
                        csp.source,
                        csp.policy,
                        key.join("\u{1}")
                    ))
                    .or_default();
                for b in &blocked {
                    let kind = if b.script { 'S' } else { 'C' };
                    group.note(format!("{kind}{}\u{0}{}", b.directive, b.host));
                }
                group.page(&page.url);
                group.evidence([Evidence {
                    source: page.url.clone(),
                    line: None,
                    snippet: format!("Content-Security-Policy ({}): {}", csp.source, csp.policy),
                    signature: format!("csp-{}", csp.source),
                    tag: None,
                }]);
                for install in involved {
                    group.evidence(evidence_of(install, page));
                }
            }
        }
        groups
            .into_iter()
            .map(|(key, g)| self.report(&key, g))
            .collect()
    }
}

impl CspBlocksHeap {
    fn report(&self, key: &str, g: super::common::Group) -> Finding {
        let mut parts = key.split('\u{0}');
        let source = parts.next().unwrap_or("");
        let items: Vec<&str> = parts.nth(1).unwrap_or("").split('\u{1}').collect();
        let message = format!(
            "the content-security-policy ({source}) on {} blocks what the installs need: {}",
            count(g.pages.len(), "page"),
            items.join("; ")
        );
        // "add https://a https://b to script-src; https://c to connect-src"
        let mut additions: Vec<(String, Vec<String>)> = Vec::new();
        for note in &g.notes {
            let (directive, host) = note
                .get(1..)
                .unwrap_or("")
                .split_once('\u{0}')
                .unwrap_or(("", ""));
            match additions.iter_mut().find(|(d, _)| d == directive) {
                Some((_, hosts)) if !hosts.iter().any(|h| h == host) => hosts.push(host.to_owned()),
                Some(_) => {}
                None => additions.push((directive.to_owned(), vec![host.to_owned()])),
            }
        }
        let additions: Vec<String> = additions
            .iter()
            .map(|(d, hosts)| format!("{} to {d}", hosts.join(" ")))
            .collect();
        let help = format!(
            "add {} in the policy (or remove the install that is not wanted)",
            additions.join("; ")
        );
        let scripts = g.notes.iter().any(|n| n.starts_with('S'));
        let severity = if scripts {
            Severity::Error
        } else {
            Severity::Warning
        };
        finding(self, severity, message, help, g.pages, g.evidence)
    }
}

/// One blocked fetch on one page.
struct Blocked {
    text: String,
    script: bool,
    directive: String,
    host: String,
}

fn needs(page: &Page) -> Vec<Need<'_>> {
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
