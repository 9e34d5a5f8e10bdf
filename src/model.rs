//! The data every stage hands to the next, and the JSON report contract.
//!
//! Field names here are part of the JSON contract documented in the README: add fields, never
//! rename or remove them, and bump [`SCHEMA_VERSION`] only for a breaking change.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Version of the JSON report layout. Additions keep the number; renames or removals bump it.
pub const SCHEMA_VERSION: u32 = 1;

/// Who loads or is loaded.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Vendor {
    Heap,
    Segment,
    Gtm,
    Tealium,
    AdobeLaunch,
}

impl Vendor {
    pub fn as_str(self) -> &'static str {
        match self {
            Vendor::Heap => "heap",
            Vendor::Segment => "segment",
            Vendor::Gtm => "gtm",
            Vendor::Tealium => "tealium",
            Vendor::AdobeLaunch => "adobe-launch",
        }
    }

    /// Tag managers: vendors whose containers are followed and scanned.
    pub fn is_tag_manager(self) -> bool {
        matches!(self, Vendor::Gtm | Vendor::Tealium | Vendor::AdobeLaunch)
    }
}

/// The path through which an install reaches the page.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// In the page itself or in one of the site's own script files.
    Native,
    /// A destination in the Segment settings of a Segment install on the page.
    Segment,
    /// A Custom HTML tag or a template of a GTM container.
    Gtm,
    Tealium,
    AdobeLaunch,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Native => "native",
            Via::Segment => "segment",
            Via::Gtm => "gtm",
            Via::Tealium => "tealium",
            Via::AdobeLaunch => "adobe-launch",
        }
    }

    /// The path a tag manager vendor gives to what it loads.
    pub fn for_tag_manager(vendor: Vendor) -> Option<Via> {
        match vendor {
            Vendor::Gtm => Some(Via::Gtm),
            Vendor::Tealium => Some(Via::Tealium),
            Vendor::AdobeLaunch => Some(Via::AdobeLaunch),
            Vendor::Heap | Vendor::Segment => None,
        }
    }
}

/// Heap SDK generation.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Sdk {
    /// heap.js v4 and older: `cdn.heapanalytics.com/js/heap-<id>.js`, `heap.appid`.
    Classic,
    /// heap.js v5: `heap-api.com/config/<id>/heap_config.js`, `heap.envId`.
    V5,
}

/// Segment destination connection mode.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Loaded in the browser by analytics.js.
    Device,
    /// Sent from Segment's servers; nothing loads on the page.
    Cloud,
}

/// Where a fact was found.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct Evidence {
    /// URL of the page, script file, GTM container or Segment settings (a path for local files).
    pub source: String,
    /// 1-based line in `source`, where it has lines worth counting.
    pub line: Option<u32>,
    /// A short excerpt around the match.
    pub snippet: String,
    /// Name of the signature (in `rules/`) that matched.
    #[serde(default)]
    pub signature: String,
    /// GTM tag id, template id or Segment destination name, when the source is a container or settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

/// One loader of Heap, Segment or a tag manager on one page.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Install {
    pub vendor: Vendor,
    /// Heap app/env id, Segment write key, or container id; `null` when it could not be read.
    pub id: Option<String>,
    pub via: Via,
    /// Heap only: SDK generation.
    pub sdk: Option<Sdk>,
    /// Heap through Segment only: device or cloud mode.
    pub mode: Option<Mode>,
    /// Whether this install runs on the page. `false` for a cloud-mode destination, a destination
    /// disabled by the page's `analytics.load` options, or a GTM `<noscript>` iframe alone.
    pub active: bool,
    /// Why `active` is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactive_reason: Option<String>,
    /// Options as found: the `heap.load` config, the `analytics.load` options, the GTM parameters,
    /// or a Segment destination's settings. Values that are not literals are kept as their source text.
    pub options: Map<String, Value>,
    /// Tag manager container (GTM id, Tealium `account/profile/env`, Launch file) this came through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// Segment write key whose settings this Heap destination came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_key: Option<String>,
    /// Segment destination name (`Heap`, `Heap Web (Actions)`, ...), for Heap through Segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// Where the SDK is loaded from: Segment's CDN (analytics.js and its settings), or Heap's
    /// (`https://cdn.heapanalytics.com`, `https://cdn.us.heap-api.com`, `https://cdn.eu.heap-api.com`,
    /// or a self-hosted origin) when the code names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cdn: Option<String>,
    /// Segment only: the tracking API host from its settings (`Segment.io.apiHost`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_host: Option<String>,
    /// Segment only: `SNIPPET_VERSION` of the snippet, or `npm` for `AnalyticsBrowser.load`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet_version: Option<String>,
    /// Segment only: what became of its settings: `fetched`, `offline`, `error`, `unavailable`
    /// (no write key to fetch with), `embedded` (settings inside an npm bundle).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<String>,
    /// Tag managers only: what became of the container or library: `fetched`, `offline`,
    /// `error`, `unavailable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub library: Option<String>,
    /// Heap through Segment only: `classic` (the `Heap` integration) or `actions` (Heap Web (Actions)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_kind: Option<String>,
    /// Other ids the same loader may use, e.g. `heap.load(prod ? "A" : "B")` or an if/else on the
    /// environment around `heap.load` or `analytics.load`; `id` is the first one. For Segment,
    /// only the settings of `id` are read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternative_ids: Vec<String>,
    pub evidence: Evidence,
}

impl Install {
    /// A new active install with nothing but the essentials filled in.
    pub fn new(vendor: Vendor, id: Option<String>, via: Via, evidence: Evidence) -> Install {
        Install {
            vendor,
            id,
            via,
            sdk: None,
            mode: None,
            active: true,
            inactive_reason: None,
            options: Map::new(),
            container: None,
            write_key: None,
            destination: None,
            cdn: None,
            api_host: None,
            snippet_version: None,
            settings: None,
            library: None,
            destination_kind: None,
            alternative_ids: Vec::new(),
            evidence,
        }
    }
}

/// Heap's privacy attributes found in the page markup. They work whatever the install path.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct Privacy {
    pub redact_text: usize,
    pub redact_attributes: usize,
    pub heap_ignore: usize,
}

/// A Content-Security-Policy that applies to the page.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Csp {
    /// `header` or `meta`.
    pub source: String,
    pub policy: String,
}

/// A call to the Segment API made by the page's own code (`analytics.page()`, ...).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SegmentCall {
    pub method: String,
    /// For `identify`: an `email` trait is passed.
    #[serde(default)]
    pub email_trait: bool,
    /// The snippet's own default `analytics.page()` right after `analytics.load(...)`.
    #[serde(default)]
    pub from_snippet: bool,
    pub evidence: Evidence,
}

/// One audited page.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Page {
    pub url: String,
    /// HTTP status of the final response; `null` for local files and failed fetches.
    pub status: Option<u16>,
    /// Why the page could not be audited, if it could not.
    pub error: Option<String>,
    /// The site (origin, or local folder) the page belongs to.
    pub site: String,
    /// Crawl depth from the start URL.
    pub depth: u32,
    /// Each redirect hop followed to reach the page, in order.
    #[serde(default)]
    pub redirects: Vec<String>,
    /// Other crawled URLs that redirect to this page (audited once, here).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The body was larger than the size cap and was cut.
    #[serde(default)]
    pub truncated: bool,
    pub installs: Vec<Install>,
    #[serde(default)]
    pub privacy: Privacy,
    #[serde(default)]
    pub csp: Vec<Csp>,
    #[serde(default)]
    pub segment_calls: Vec<SegmentCall>,
}

impl Page {
    /// A page with nothing found yet.
    pub fn new(url: String, site: String, depth: u32) -> Page {
        Page {
            url,
            status: None,
            error: None,
            site,
            depth,
            redirects: Vec::new(),
            aliases: Vec::new(),
            truncated: false,
            installs: Vec::new(),
            privacy: Privacy::default(),
            csp: Vec::new(),
            segment_calls: Vec::new(),
        }
    }
}

/// Something that went wrong while auditing; the audit went on.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub url: String,
    pub kind: ProblemKind,
    pub message: String,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    Unreachable,
    Timeout,
    HttpStatus,
    RedirectLoop,
    TooManyRedirects,
    Truncated,
    Binary,
    NotHtml,
    Encoding,
    InvalidSettings,
    UnparsableContainer,
    RobotsDisallowed,
    Io,
    /// A page of the site redirects to another origin: recorded, not followed.
    OffSiteRedirect,
    /// Links matching one URL pattern (`/page/N`) past `--max-per-pattern`: skipped.
    CrawlTrap,
    /// The connection closed before the end of the body (Content-Length not reached).
    IncompleteBody,
    /// The body could not be decoded: broken gzip, broken chunked framing.
    CorruptBody,
    /// The run stopped early (Ctrl-C, `--max-time`): what was audited is in the report.
    Interrupted,
}

/// Something heap-audit could not check, and why (e.g. `--offline`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Unverified {
    /// `gtm-container`, `segment-settings`, `tag-manager-library`.
    pub kind: String,
    pub url: String,
    pub reason: String,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// One thing a rule found wrong.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Finding {
    pub rule: String,
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub help: String,
    pub pages: Vec<String>,
    pub evidence: Vec<Evidence>,
}

/// The install path heap-audit recommends.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Recommendation {
    /// `segment` or `native`.
    pub install_path: String,
    pub reasons: Vec<String>,
    pub steps: Vec<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct Summary {
    pub pages: usize,
    pub pages_with_errors: usize,
    pub pages_with_heap: usize,
    /// Active installs counted by vendor.
    pub installs: std::collections::BTreeMap<String, usize>,
    /// Distinct Heap app/env ids in active installs.
    pub heap_app_ids: Vec<String>,
    pub problems: usize,
    pub findings: usize,
}

/// The whole result of a run.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub targets: Vec<String>,
    pub pages: Vec<Page>,
    pub findings: Vec<Finding>,
    pub recommendation: Option<Recommendation>,
    pub problems: Vec<Problem>,
    #[serde(default)]
    pub unverified: Vec<Unverified>,
    pub summary: Summary,
}
