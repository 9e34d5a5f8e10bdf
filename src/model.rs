//! The data every stage hands to the next, and the JSON report contract.
//!
//! Field names here are part of the JSON contract documented in the README: add fields, never
//! rename or remove them, and bump [`SCHEMA_VERSION`] only for a breaking change.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Version of the JSON report layout. Additions keep the number; renames or removals bump it.
pub const SCHEMA_VERSION: u32 = 1;

/// Who loads or is loaded.
#[derive(
    Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
)]
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
#[derive(
    Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// In the page itself or in one of the site's own script files.
    Native,
    /// A destination in the Segment settings of a Segment install on the page.
    Segment,
    /// A Custom HTML tag or a template of a GTM container.
    Gtm,
    /// A tag of a Tealium iQ profile.
    Tealium,
    /// A rule of an Adobe Experience Platform Launch library.
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
#[derive(
    Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
)]
#[serde(rename_all = "kebab-case")]
pub enum Sdk {
    /// heap.js v4 and older: `cdn.heapanalytics.com/js/heap-<id>.js`, `heap.appid`.
    Classic,
    /// heap.js v5: `heap-api.com/config/<id>/heap_config.js`, `heap.envId`.
    V5,
}

/// Segment destination connection mode.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Loaded in the browser by analytics.js.
    Device,
    /// Sent from Segment's servers; nothing loads on the page.
    Cloud,
}

/// Where a fact was found.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Evidence {
    /// URL of the page, script file, GTM container or Segment settings (a path for local files).
    pub source: String,
    /// 1-based line in `source`, where it has lines worth counting.
    #[schemars(range(min = 1))]
    pub line: Option<u32>,
    /// A short excerpt around the match.
    pub snippet: String,
    /// Name of the signature (in `rules/`) that matched.
    #[serde(default)]
    pub signature: String,
    /// GTM tag id, template id or Segment destination name, when the source is a container or settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Byte offset in `source` where `line` is known: how source mode places a loader inside a
    /// template's `if`/`else` arms. Not part of the report.
    #[serde(skip)]
    #[schemars(skip)]
    pub offset: Option<usize>,
}

impl From<&Evidence> for Evidence {
    fn from(e: &Evidence) -> Evidence {
        e.clone()
    }
}

/// One loader of Heap, Segment or a tag manager on one page.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq)]
pub struct Install {
    /// What is loaded.
    pub vendor: Vendor,
    /// Heap app/env id, Segment write key, or container id; `null` when it could not be read.
    pub id: Option<String>,
    /// How it reaches the page.
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
    #[schemars(extend("enum" = ["fetched", "offline", "error", "unavailable", "embedded"]))]
    pub settings: Option<String>,
    /// Tag managers only: what became of the container or library: `fetched`, `offline`,
    /// `error`, `unavailable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["fetched", "offline", "error", "unavailable"]))]
    pub library: Option<String>,
    /// Heap through Segment only: `classic` (the `Heap` integration) or `actions` (Heap Web (Actions)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["classic", "actions"]))]
    pub destination_kind: Option<String>,
    /// Other ids the same loader may use, e.g. `heap.load(prod ? "A" : "B")` or an if/else on the
    /// environment around `heap.load` or `analytics.load`; `id` is the first one. For Segment,
    /// only the settings of `id` are read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternative_ids: Vec<String>,
    /// The arms of the either/or that chooses between `id` and `alternative_ids`, each with its
    /// condition as written (`location.hostname === 'www.example.com'`, `else`), when the code
    /// says.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub branches: Vec<Branch>,
    /// Where the id comes from when it is not in the code (`id` is then `null`): the expression
    /// that supplies it at build or run time, as written (`process.env.NEXT_PUBLIC_HEAP_ID`,
    /// `import.meta.env.VITE_HEAP_APP_ID`, a function's parameter `appId`, a GTM variable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_from: Option<String>,
    /// The id is a documentation placeholder (`YOUR_APP_ID`, `YOUR_WRITE_KEY`): the install was
    /// pasted and never finished (`id` is `null`; nothing is fetched with it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// The loader runs only after something happens (consent, an event, a feature flag), so it is
    /// not an unconditional load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<Gate>,
    /// The page's own no-op guard around the loader (`if (!window.heap) { … }`): a second copy
    /// inside such a guard does nothing once the first has run. The snippets' built-in guards
    /// (`window.heap=window.heap||[]`, Segment's `analytics.invoked`) are not recorded here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<String>,
    /// Source mode: the template conditions the loader is rendered under, outermost first
    /// (`Rails.env.production?`, `jekyll.environment == "production"`, an include's `if`
    /// modifier). Loaders in different arms of one block never load together.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Where the loader was found.
    pub evidence: Evidence,
    /// What a browser made of it (`--render`): confirmed, not seen, or seen only at run time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Box<Seen>>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// What a browser made of one install (`--render`).
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// `confirmed`: it ran in the browser; `not-seen`: it did not (`reason` says why, as far as
    /// the browser tells); `runtime-only`: only the browser saw it (assembled at run time,
    /// injected by a bundle or a container that could not be read).
    #[schemars(extend("enum" = ["confirmed", "not-seen", "runtime-only"]))]
    pub status: String,
    /// For `not-seen`: `consent-gated` (it waits for consent, not given in the browser),
    /// `trigger-gated` (a tag manager's trigger did not fire on this page), `skipped` (Heap Web
    /// (Actions) found `window.heap` already set), `unreachable` (its script failed to load) or
    /// `not-run`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["consent-gated", "trigger-gated", "skipped", "unreachable", "not-run"]))]
    pub reason: Option<String>,
    /// The same in words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// Where the browser saw it run: the calling script and line of each `heap.load`, or the
    /// request that loaded a library or container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<Evidence>,
}

/// What ran on a page in headless Chromium (`--render`).
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
pub struct Runtime {
    /// The URL the browser loaded (a build folder's page is served on 127.0.0.1).
    pub url: String,
    /// Why the page could not be rendered, if it could not (what was seen is kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `none` (no consent given), `accepted` (through `manager`), or `no-manager` (`accept`
    /// was asked and no known consent manager was on the page).
    #[schemars(extend("enum" = ["none", "accepted", "no-manager"]))]
    pub consent: String,
    /// The consent managers accepted through (`onetrust`, `cookiebot`, `usercentrics`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consent_managers: Vec<String>,
    /// A consent manager's script loaded on the page (OneTrust, Cookiebot, Usercentrics hosts):
    /// with no consent given, a tag that did not fire may be waiting for it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub consent_manager_loaded: bool,
    /// Requests refused by `--render-block-third-party` or `--offline` (the first 20).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked: Vec<String>,
    /// `heap_loads` and `requests` past the first 200 of each, which are not listed (a page that
    /// sends a beacon a second for 30 s): how many were left out.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub not_listed: usize,
    /// Milliseconds from navigation to the end of the render.
    pub elapsed_ms: u64,
    /// Every `heap.load` call, in order.
    pub heap_loads: Vec<HeapLoad>,
    /// Every request to Heap's, Segment's or a tag manager's hosts.
    pub requests: Vec<VendorRequest>,
    /// Heap's globals at the end: `appid`/`config` (classic), `envId`/`clientConfig` (v5),
    /// `loaded`; absent when `window.heap` was never set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heap: Option<Map<String, Value>>,
    /// Segment's analytics.js at the end; absent when `window.analytics` was never set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analytics: Option<AnalyticsRuntime>,
    /// GTM containers that loaded (`GTM-…`).
    #[serde(default)]
    pub containers: Vec<String>,
    /// Errors thrown or logged by Heap's, Segment's or a tag manager's code (and errors naming
    /// them), as the console shows them.
    #[serde(default)]
    pub console_errors: Vec<String>,
}

/// One `heap.load` call seen in the browser.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq)]
pub struct HeapLoad {
    /// The app id or environment id passed.
    pub id: Option<String>,
    /// The options object passed (`null` when none).
    pub options: Option<Value>,
    /// The script that called it: a URL (the page's own URL for an inline script), or `null`
    /// for code with no URL (a script inserted at run time by code without one).
    pub script: Option<String>,
    /// 1-based line and column in `script`.
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// Who called it: `page` (the page or its own scripts), `segment` (analytics.js or one of
    /// its destinations), `tag-manager` (a container's tag), or `unknown`.
    #[schemars(extend("enum" = ["page", "segment", "tag-manager", "unknown"]))]
    pub by: String,
    /// The calling scripts, innermost first, as the DevTools protocol's stack shows them
    /// (asynchronous parents included): `url:line:column`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stack: Vec<String>,
}

/// One request to a vendor's host seen in the browser.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
pub struct VendorRequest {
    pub vendor: Vendor,
    /// `library`, `settings`, `integration`, `container`, `tracking` (answered by heap-audit,
    /// never sent) or `other`.
    #[schemars(extend("enum" = ["library", "settings", "integration", "container", "tracking", "other"]))]
    pub kind: String,
    /// The URL as the page asked for it (before any `--remap`).
    pub url: String,
    /// The HTTP status answered, if any; `null` when it failed.
    pub status: Option<u16>,
    /// Why it failed, if it did (`net::ERR_BLOCKED_BY_CLIENT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
    /// The script that started it, when the browser says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiator: Option<String>,
}

/// Segment's analytics.js as the browser left it.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq, Default)]
pub struct AnalyticsRuntime {
    /// `analytics.initialized`.
    pub initialized: bool,
    /// The device-mode destinations it loaded (`Heap`, `Heap Web (Actions)`).
    pub integrations: Vec<String>,
}

/// What `--render` did over the whole run.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
pub struct RenderSummary {
    /// The browser (`Chromium/148.0.7778.167`).
    pub browser: String,
    /// Pages rendered, and how many of those failed.
    pub pages: usize,
    pub failed: usize,
    /// Audited pages not rendered (past `--render-pages`, source files, pages that failed to
    /// load).
    pub not_rendered: usize,
    /// Seconds the rendering added to the run, and per page rendered.
    pub seconds: f64,
    pub seconds_per_page: f64,
    /// Installs confirmed, not seen, and seen only at run time.
    pub confirmed: usize,
    pub not_seen: usize,
    pub runtime_only: usize,
}

/// One template condition a loader is rendered under.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// The block: `file:line` of its opening tag (or of the include that carries the condition).
    pub block: String,
    /// Which arm of the block, from 0.
    pub arm: u32,
    /// The arm's condition as written, or `else`.
    pub condition: String,
}

impl Condition {
    /// Whether two sets of conditions exclude each other: they take different arms of one block.
    pub fn exclusive(a: &[Condition], b: &[Condition]) -> bool {
        a.iter()
            .any(|x| b.iter().any(|y| x.block == y.block && x.arm != y.arm))
    }
}

/// One arm of an either/or that chooses an id.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
pub struct Branch {
    /// The id this arm uses (`null` when it could not be read).
    pub id: Option<String>,
    /// The arm's condition as written, or `else` / `default`.
    pub condition: String,
}

/// What a gated loader waits for.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
pub struct Gate {
    /// `consent`: released by a consent manager (a blocked `type="text/plain"` script or a
    /// consent callback); `runtime`: an event listener, a callback, a feature flag.
    #[schemars(extend("enum" = ["consent", "runtime"]))]
    pub kind: String,
    /// The consent manager, when one is recognised: `cookiebot`, `onetrust`, `usercentrics`,
    /// `klaro`, `iubenda`, `segment-consent-manager`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// The consent category, purpose or service as written (`statistics`, `C0002`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The condition or attribute that gates it, as written.
    pub condition: String,
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
            branches: Vec::new(),
            id_from: None,
            placeholder: None,
            gate: None,
            guard: None,
            conditions: Vec::new(),
            evidence,
            runtime: None,
        }
    }
}

/// Heap's privacy attributes found in the page markup. They work whatever the install path.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq, Default)]
pub struct Privacy {
    /// Elements with `data-heap-redact-text`.
    pub redact_text: usize,
    /// Elements with `data-heap-redact-attributes`.
    pub redact_attributes: usize,
    /// Elements with the `heap-ignore` class.
    pub heap_ignore: usize,
}

/// A Content-Security-Policy that applies to the page.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
pub struct Csp {
    /// `header` or `meta`.
    #[schemars(extend("enum" = ["header", "meta"]))]
    pub source: String,
    /// The policy text as served.
    pub policy: String,
}

/// A call to the Segment API made by the page's own code (`analytics.page()`, ...).
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
pub struct SegmentCall {
    /// The Segment method called: `page`, `identify`, `track`, ...
    pub method: String,
    /// For `identify`: an `email` trait is passed.
    #[serde(default)]
    pub email_trait: bool,
    /// The snippet's own default `analytics.page()` right after `analytics.load(...)`.
    #[serde(default)]
    pub from_snippet: bool,
    /// Where the call was found.
    pub evidence: Evidence,
}

/// One audited page.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq)]
pub struct Page {
    /// The page's URL after redirects; a path for local files.
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
    /// The body ended before its end (a reset, a chunk or a `Content-Length` not reached): what
    /// arrived was audited, and rules that judge what a page lacks leave it out.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub incomplete: bool,
    /// The start page is a sign-in form (it has a password field): set on start pages only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sign_in: bool,
    /// Every loader of Heap, Segment or a tag manager found on the page.
    pub installs: Vec<Install>,
    /// Heap's privacy attributes in the markup.
    #[serde(default)]
    pub privacy: Privacy,
    /// The Content-Security-Policies that apply to the page.
    #[serde(default)]
    pub csp: Vec<Csp>,
    /// Calls to the Segment API made by the page's own code.
    #[serde(default)]
    pub segment_calls: Vec<SegmentCall>,
    /// Inline suppressions in the page (`<!-- heap-audit-ignore: RULE -- reason -->`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<Suppression>,
    /// Source mode only: `page` (a file a visitor loads, with its layouts), `layout` (a layout
    /// counted as one page because the pages it wraps could not be told) or `file` (a file with
    /// a loader that no page was found to render, audited alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["page", "layout", "file"]))]
    pub kind: Option<String>,
    /// Source mode only: the files rendered into this page (layouts, partials, components,
    /// imported modules), the page's own file first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub renders: Vec<String>,
    /// What ran on the page in headless Chromium (`--render`), when it was rendered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Box<Runtime>>,
}

/// An HTML comment in a page that suppresses rules for that page:
/// `<!-- heap-audit-ignore: duplicate-heap-load, HA006 -- the GTM tag is paused -->`.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    /// Rule names or codes, as written.
    pub rules: Vec<String>,
    /// Why, when the comment says (after `--`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// 1-based line of the comment in the page.
    pub line: u32,
    /// The comment itself.
    pub snippet: String,
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
            incomplete: false,
            sign_in: false,
            installs: Vec::new(),
            privacy: Privacy::default(),
            csp: Vec::new(),
            segment_calls: Vec::new(),
            suppressions: Vec::new(),
            kind: None,
            renders: Vec::new(),
            runtime: None,
        }
    }
}

/// Something that went wrong while auditing; the audit went on.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The URL (or path) concerned.
    pub url: String,
    /// What kind of problem.
    pub kind: ProblemKind,
    /// What happened, for people.
    pub message: String,
    /// `interrupted` problems: the phase of the run that the stop cut. Left out otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
}

/// The phases of a run, in order, as an `interrupted` problem names the one a stop cut.
#[derive(
    Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Reading the pages (a crawl, a folder, a repository): the pages not audited are missing.
    Crawl,
    /// Reading what pages load (tag manager containers and libraries, Segment settings): what
    /// it loads is missing from the pages.
    Following,
    /// Running the rules: the findings are those of the rules that ran.
    Rules,
    /// Working out the recommendation: there is none.
    Advice,
    /// Writing the reports: the ones not written are named.
    Writing,
    /// `--render`: the pages not rendered keep their static audit only.
    Render,
}

impl Phase {
    /// The phase as the JSON report names it (`crawl`, `following`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Phase::Crawl => "crawl",
            Phase::Following => "following",
            Phase::Rules => "rules",
            Phase::Advice => "advice",
            Phase::Writing => "writing",
            Phase::Render => "render",
        }
    }
}

/// The kinds of [`Problem`].
#[derive(
    Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
)]
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
    /// The run stopped early (Ctrl-C, SIGTERM, SIGHUP, `--max-time`): what was audited is in the
    /// report, and `phase` says which phase the stop cut.
    Interrupted,
    /// Source mode: a template includes a file that is not in the repository (a theme's, a
    /// gem's, or a typo); the page is composed without it.
    MissingInclude,
    /// Source mode: templates include each other in a cycle; the cycle is cut.
    IncludeCycle,
    /// The start URL asks for a sign-in (401, 403, or a redirect to a sign-in page): the pages
    /// behind it were not audited. Pass credentials with `--header` or in the URL.
    AuthRequired,
    /// `--insecure`: TLS certificates were not checked.
    InsecureTls,
    /// A local folder: a symbolic link to a folder that contains it (`loop -> ..`): not followed,
    /// so the folder is read once.
    SymlinkLoop,
    /// A local folder: a FIFO, socket or device named like a page (`*.html`): skipped, never
    /// opened (opening a FIFO waits for a writer).
    NotAFile,
    /// A local folder larger than an explicit `--max-pages`: the message counts the pages not
    /// audited (those audited are a sample spanning every folder and file-name pattern).
    PagesNotAudited,
    /// `--render`: the browser could not start, or a page could not be rendered (the static
    /// audit of the page stands).
    Render,
}

impl ProblemKind {
    /// The kind as the JSON report names it (`http-status`, `crawl-trap`, ...).
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// Something heap-audit could not check, and why (e.g. `--offline`).
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
pub struct Unverified {
    /// `gtm-container`, `segment-settings`, `tag-manager-library`, or `segment-candidate` (a
    /// Segment-like snippet whose write key could not be read).
    #[schemars(extend("enum" = ["gtm-container", "segment-settings", "tag-manager-library", "segment-candidate"]))]
    pub kind: String,
    /// What could not be checked.
    pub url: String,
    /// Why not.
    pub reason: String,
}

/// How serious a finding is.
#[derive(
    Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// One thing a rule found wrong.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq)]
pub struct Finding {
    /// The rule's name (`duplicate-heap-load`).
    pub rule: String,
    /// The rule's code (`HA001`).
    #[schemars(regex(pattern = r"^HA[0-9]{3}$"))]
    pub code: String,
    /// The finding's severity (a rule's default unless the finding says otherwise).
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
    /// The pages concerned.
    pub pages: Vec<String>,
    /// Where it was seen. The first entry is the primary location: the line a person must change
    /// (the page whose app id is the odd one out, the loader the recommended path removes); the
    /// rest are related locations, at most [`Finding::RELATED_SHOWN`] of them (`related_total`
    /// counts them all when some were left out).
    pub evidence: Vec<Evidence>,
    /// How many related locations (evidence after the first) there are in all, when `evidence`
    /// lists only the first [`Finding::RELATED_SHOWN`] of them; absent when it lists them all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related_total: Option<usize>,
    /// What the finding is due to, for grouping: findings of one rule with the same cause are
    /// reported as one (`rules::group`). Not part of the report.
    #[serde(skip)]
    #[schemars(skip)]
    pub cause: Option<String>,
    /// The findings as the rule made them, when this one merges several or had its evidence cut
    /// to [`Finding::RELATED_SHOWN`]: what baselines record and match, so a baseline written
    /// before grouping keeps matching. Empty when the finding is as the rule made it. Not part of
    /// the report.
    #[serde(skip)]
    #[schemars(skip)]
    pub parts: Vec<Finding>,
}

impl Finding {
    /// The related locations a finding lists at most (after its primary location).
    pub const RELATED_SHOWN: usize = 20;

    /// The findings as the rules made them: [`Finding::parts`], or the finding itself.
    pub fn as_made(&self) -> Vec<&Finding> {
        if self.parts.is_empty() {
            vec![self]
        } else {
            self.parts.iter().collect()
        }
    }
}

/// The install path heap-audit recommends.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq)]
pub struct Recommendation {
    /// `segment` or `native`.
    #[schemars(extend("enum" = ["segment", "native"]))]
    pub install_path: String,
    /// Why, from what was found and from Heap's guide.
    pub reasons: Vec<String>,
    /// What to do, in order.
    pub steps: Vec<String>,
}

/// The program that wrote the report.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
pub struct Tool {
    /// `heap-audit`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// Counts over the whole report.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq, Default)]
pub struct Summary {
    /// Pages audited (or attempted).
    pub pages: usize,
    /// Pages with an `error`.
    pub pages_with_errors: usize,
    /// Pages with an active Heap install.
    pub pages_with_heap: usize,
    /// Active installs counted by vendor.
    pub installs: std::collections::BTreeMap<String, usize>,
    /// Distinct Heap app/env ids in active installs.
    pub heap_app_ids: Vec<String>,
    /// Entries in `problems`.
    pub problems: usize,
    /// Entries in `findings`.
    pub findings: usize,
    /// Findings not reported because a page suppresses them inline or the baseline records them.
    #[serde(default)]
    pub suppressed: usize,
    /// Pages that loaded and were checked (`pages` less `pages_failed`).
    #[serde(default)]
    pub pages_audited: usize,
    /// Pages that failed to load (the same count as `pages_with_errors`, named for what it is).
    #[serde(default)]
    pub pages_failed: usize,
    /// Entries in `findings` by severity: `error`, `warning`, `info` (each present, 0 when none).
    #[serde(default)]
    pub findings_by_severity: std::collections::BTreeMap<String, usize>,
}

/// The whole result of a run.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq)]
pub struct Report {
    /// Version of this layout: 1 (it changes only when a field is renamed or removed).
    #[schemars(range(min = 1, max = 1))]
    pub schema_version: u32,
    /// The program that wrote the report.
    pub tool: Tool,
    /// The targets as given on the command line.
    pub targets: Vec<String>,
    /// Every page audited, in crawl order.
    pub pages: Vec<Page>,
    /// What the rules found, most severe first.
    pub findings: Vec<Finding>,
    /// The recommended install path; `null` only when no page could be audited.
    pub recommendation: Option<Recommendation>,
    /// What went wrong while auditing (the audit went on).
    pub problems: Vec<Problem>,
    /// What could not be checked, and why.
    #[serde(default)]
    pub unverified: Vec<Unverified>,
    /// Counts over the whole report.
    pub summary: Summary,
    /// How each local folder or file target was read: as built pages or as a source repository.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceRead>,
    /// How much of each target (crawled site, folder of built pages) was audited, and what was
    /// left out and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coverage: Vec<Coverage>,
    /// What `--render` did, when it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render: Option<RenderSummary>,
}

/// How much of one target was audited.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq, Default)]
pub struct Coverage {
    /// The target as given.
    pub target: String,
    /// Pages audited (or attempted) for this target.
    pub pages_audited: usize,
    /// Distinct URLs found on the site's pages and not audited: left out by a cap, robots.txt or
    /// sampling by URL pattern.
    pub urls_left_out: usize,
    /// `urls_left_out` is a lower bound: counting stops at 100,000.
    #[serde(default)]
    pub at_least: bool,
    /// What stopped the audit short of every page found: the caps `max-pages`, `max-depth`,
    /// and `max-time` (the `--max-time` budget was spent) or `interrupted` (a signal).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stopped_by: Vec<String>,
    /// Pages found: for a folder, its pages; for a crawl, the pages audited and the URLs left
    /// out (a lower bound when `at_least`).
    #[serde(default)]
    pub pages_found: usize,
    /// `crawl` (a site), `folder` (a local folder of built pages), `file` (one local page) or
    /// `source` (a repository read in source mode: the pages its templates compose).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schemars(extend("enum" = ["crawl", "folder", "file", "source"]))]
    pub kind: String,
    /// URL patterns sampled by `--max-per-pattern` (digit runs as `N`): the crawl audited a few
    /// pages of each and left the rest out, as pages of one template.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sampled: Vec<Sampled>,
}

impl Coverage {
    /// The share of the pages found that was audited, in percent: 100 when none were found,
    /// unless a stop kept the target from being read (0).
    pub fn percent(&self) -> f64 {
        if self.pages_found == 0 {
            if self.pages_audited == 0 && !self.stopped_by.is_empty() {
                0.0
            } else {
                100.0
            }
        } else {
            self.pages_audited.min(self.pages_found) as f64 * 100.0 / self.pages_found as f64
        }
    }
}

/// One URL pattern a crawl sampled (`--max-per-pattern`).
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq, Default)]
pub struct Sampled {
    /// The pattern, digit runs as `N` and query values as `*` (`/blog/page-N`).
    pub pattern: String,
    /// Pages of the pattern audited.
    pub audited: usize,
    /// Distinct URLs of the pattern found (audited or not): a lower bound, since links are
    /// only counted until the crawl's tally of URLs left out is full.
    pub found: usize,
    /// A likely crawler trap rather than pages of one template: query permutations
    /// (`/search?q=*`) or a calendar (`/cal/N/N/N`); also reported as a `crawl-trap` problem.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub trap: bool,
}

/// How a local target was read.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq, Default)]
pub struct SourceRead {
    /// The target as given.
    pub target: String,
    /// `pages` (a built site: each `.html` file is a page) or `source` (a repository: templates,
    /// components and scripts, composed into the pages they render).
    #[schemars(extend("enum" = ["pages", "source"]))]
    pub mode: String,
    /// Why that mode (`--mode source`, `Gemfile and app/views/`, `only .html files`).
    pub why: String,
    /// The ecosystems recognised (`rails`, `jekyll`, `hugo`, `nextjs`, ...), if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ecosystems: Vec<String>,
    /// Files read.
    pub files: usize,
    /// What was left out, by reason, with a few examples each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
    /// What source mode could not decide, in words (e.g. each layout counted as one page).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Mobile apps and server-side services in the repository that use Heap or Segment (from
    /// their manifests, lock files and code). They are not web pages: they do not count in
    /// `pages`, `summary.pages` or `--max-pages`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<App>,
}

/// A mobile app or a server-side service found in a repository (source mode).
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
pub struct App {
    /// Its folder, as the report names files (the target's path joined with the folder).
    pub path: String,
    /// `ios`, `android`, `react-native` (Expo included), `capacitor`, `cordova`, `flutter`,
    /// or `server`.
    #[schemars(extend("enum" = ["ios", "android", "react-native", "capacitor", "cordova", "flutter", "server"]))]
    pub platform: String,
    /// The language of the code read (`swift`, `kotlin`, `dart`, `javascript`, `python`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Heap and Segment packages declared in its manifests and lock files.
    pub packages: Vec<AppPackage>,
    /// Where the code starts Heap or Segment, with the app id or write key.
    pub installs: Vec<AppInstall>,
    /// `track` and `identify` calls in its code.
    #[serde(default)]
    pub calls: Vec<AppCall>,
}

/// A Heap or Segment package an app depends on.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
pub struct AppPackage {
    /// `heap` or `segment`.
    pub vendor: Vendor,
    /// The package as its ecosystem names it (`Heap`, `com.heapanalytics.android:heap-android-client`,
    /// `@segment/analytics-react-native`, `segment-analytics-python`, ...).
    pub name: String,
    /// `cocoapods`, `spm`, `carthage`, `gradle`, `npm`, `pub`, `pypi`, `rubygems`, `go`,
    /// `composer`, `maven`, `nuget`.
    pub ecosystem: String,
    /// The version: resolved from a lock file when there is one, else the requirement as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// For Heap: `classic` (Heap's first mobile SDKs, `heap-android-client`, the `Heap` pod,
    /// `@heap/react-native-heap`) or `core` (`heap-swift-core`, `io.heap.core`, the bridges and
    /// autocapture SDKs); for Segment: `classic` (analytics-ios, analytics-android) or `current`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<String>,
    /// Where it is declared (the lock file's line when the version came from there).
    pub evidence: Evidence,
}

/// Where an app's code starts Heap or Segment.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
pub struct AppInstall {
    /// `heap` or `segment`.
    pub vendor: Vendor,
    /// The call as written, without its arguments (`Heap.shared.startRecording`,
    /// `Analytics.Builder`, `analytics.write_key =`).
    pub call: String,
    /// Heap app/env id or Segment write key, when it is a literal.
    pub id: Option<String>,
    /// The expression that supplies the id when it is not a literal (`BuildConfig.HEAP_APP_ID`,
    /// `os.environ["SEGMENT_WRITE_KEY"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_from: Option<String>,
    /// The id is a documentation placeholder (`YOUR_APP_ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// Where the call is.
    pub evidence: Evidence,
}

/// A `track` or `identify` call in an app's code.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
pub struct AppCall {
    /// Whose API: `heap` or `segment`.
    pub vendor: Vendor,
    /// `track` or `identify`.
    pub method: String,
    /// The event name of a `track` call, when it is a literal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// For `identify`: an `email` trait is passed.
    #[serde(default)]
    pub email_trait: bool,
    /// Where the call is.
    pub evidence: Evidence,
}

/// Files or folders left out of a source read, for one reason.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// `dependencies`, `build output`, `build cache`, `tests`, `minified`, `gitignore`,
    /// `--exclude-path`, `not a source file`.
    pub reason: String,
    /// How many files or folders.
    pub count: usize,
    /// Some of them (at most 5).
    pub examples: Vec<String>,
}
