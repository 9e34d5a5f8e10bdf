//! ## What it does
//! Checks each Content-Security-Policy of a page (HTTP header or `<meta http-equiv>`) against
//! the hosts the Heap and Segment installs found on that page need:
//! - scripts (`script-src-elem` → `script-src` → `default-src`): the Heap SDK from the host the
//!   loader names (classic `https://cdn.heapanalytics.com`, v5 `https://cdn.us.heap-api.com` or
//!   `https://cdn.eu.heap-api.com`, the `hostname` of Heap Web (Actions), or a self-hosted file;
//!   either v5 region when the code does not say), Segment's CDN (`https://cdn.segment.com`, or
//!   the snippet's `_cdn`); **error** when blocked;
//! - connections (`connect-src` → `default-src`): Segment's settings on its CDN and its tracking
//!   API (`https://api.segment.io`, or the settings' `apiHost`, e.g.
//!   `events.eu1.segmentapis.com` for EU workspaces), v5 Heap's `c.us.heap-api.com` /
//!   `c.eu.heap-api.com` (the region of its CDN), classic Heap's `heapanalytics.com` (or the
//!   configured `trackingServer`/`ingestServer`); **warning**, as the exact transport (fetch,
//!   beacon or image) is not verified for every SDK version.
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

use std::collections::BTreeMap;

use url::Url;

use super::common::{audited, count, describe, evidence_of, Group};
use super::csp::{Kind, Policy};
use super::fetches::{needs, Need};
use super::{finding, Context, Rule};
use crate::model::{Evidence, Finding, Install, Page, Severity};

pub struct CspBlocksHeap;

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

    /// Linear in pages: for each page with a policy, its installs' fetches against each of its
    /// policies (a handful), grouped by hash ([`Group`]).
    fn check(&self, cx: &Context) -> Vec<Finding> {
        // (policy source, policy, what is blocked) -> pages and evidence
        let mut groups: BTreeMap<(String, String, Vec<Blocked>), Group> = BTreeMap::new();
        for page in audited(cx.report).filter(|p| !p.csp.is_empty()) {
            let needs = needs(page);
            let here = Url::parse(&page.url).ok().filter(|u| u.scheme() != "file");
            for csp in &page.csp {
                let policy = Policy::parse(&csp.policy);
                let mut blocked: Vec<Blocked> = Vec::new();
                let mut involved: Vec<&Install> = Vec::new();
                for need in &needs {
                    if let Some(b) = judge(&policy, need, page, here.as_ref()) {
                        if !blocked.contains(&b) {
                            blocked.push(b);
                        }
                        involved.push(need.install);
                    }
                }
                if blocked.is_empty() {
                    continue;
                }
                let key = (csp.source.clone(), csp.policy.clone(), blocked);
                let group = groups.entry(key).or_default();
                group.page(&page.url);
                group.evidence([Evidence {
                    source: page.url.clone(),
                    line: None,
                    snippet: format!("Content-Security-Policy ({}): {}", csp.source, csp.policy),
                    signature: format!("csp-{}", csp.source),
                    tag: None,
                    offset: None,
                }]);
                for install in involved {
                    group.evidence(evidence_of(install, page));
                }
            }
        }
        groups
            .into_iter()
            .map(|((source, _, blocked), g)| self.report(&source, &blocked, g))
            .collect()
    }
}

/// One blocked fetch: what the message says, and what to add to which directive.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Blocked {
    text: String,
    script: bool,
    directive: String,
    host: String,
}

fn judge(policy: &Policy, need: &Need, page: &Page, here: Option<&Url>) -> Option<Blocked> {
    let verdicts: Vec<_> = need
        .urls
        .iter()
        .filter_map(|u| Url::parse(u).ok())
        .map(|u| (policy.allows(need.kind, &u, here), u))
        .collect();
    let (first, _) = verdicts.first()?;
    if verdicts.iter().any(|(v, _)| v.allowed) {
        return None;
    }
    let hosts: Vec<String> = verdicts
        .iter()
        .map(|(_, u)| u.origin().ascii_serialization())
        .collect();
    let directive = first.directive.clone().unwrap_or_default();
    let what = match need.kind {
        Kind::Script => "scripts from",
        Kind::Connect => "connections to",
    };
    Some(Blocked {
        text: format!(
            "{what} {} are blocked by {directive} (needed by {})",
            hosts.join(" or "),
            describe(need.install, page)
        ),
        script: need.kind == Kind::Script,
        host: hosts.first().cloned().unwrap_or_default(),
        directive,
    })
}

impl CspBlocksHeap {
    fn report(&self, source: &str, blocked: &[Blocked], g: Group) -> Finding {
        let items: Vec<&str> = blocked.iter().map(|b| b.text.as_str()).collect();
        let message = format!(
            "the content-security-policy ({source}) on {} blocks what the installs need: {}",
            count(g.pages.len(), "page"),
            items.join("; ")
        );
        // "add https://a https://b to script-src; https://c to connect-src"
        let mut additions: Vec<(&str, Vec<&str>)> = Vec::new();
        for b in blocked {
            match additions.iter_mut().find(|(d, _)| *d == b.directive) {
                Some((_, hosts)) if !hosts.contains(&b.host.as_str()) => hosts.push(&b.host),
                Some(_) => {}
                None => additions.push((&b.directive, vec![&b.host])),
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
        let severity = if blocked.iter().any(|b| b.script) {
            Severity::Error
        } else {
            Severity::Warning
        };
        finding(self, severity, message, help, g.pages, g.evidence)
    }
}
