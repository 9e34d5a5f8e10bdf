//! Rendering one page in one tab: the probe installed first, every request seen (and the ones
//! `--remap`, `--offline`, `--render-block-third-party` or a tracking endpoint concern answered or
//! refused here), the page's load and network idle waited for, consent given if asked, and what
//! ran read back.

use std::collections::HashMap;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

use super::cdp::{next_event, Browser, CdpError, Event};
use super::hosts::{self, Hosts};
use crate::model::{AnalyticsRuntime, HeapLoad, Runtime, VendorRequest};
use crate::source::fetch::{remap, Fetcher, Remap};
use crate::source::limits::Cancel;

const PROBE: &str = include_str!("probe.js");
const STATE: &str = include_str!("state.js");
const CONSENT: &str = include_str!("consent.js");
const PROBE_URL: &str = "heap-audit-probe.js";

/// How long the network must stay quiet for a page to be done.
pub const IDLE: Duration = Duration::from_millis(500);
/// A request in flight longer than this (a long poll, a stream) no longer keeps a page busy.
const LONG_POLL: Duration = Duration::from_secs(3);
/// The most `heap_loads` and `requests` listed per page.
const LISTED: usize = 200;
/// How long a DevTools command may take.
const COMMAND: Duration = Duration::from_secs(10);

/// What a tab needs besides its page.
pub struct TabConfig<'a> {
    pub fetcher: &'a Fetcher,
    pub remaps: &'a [Remap],
    pub hosts: &'a Hosts,
    pub block_third_party: bool,
    pub offline: bool,
    pub accept_consent: bool,
    /// Extra time after the load event and network idle (`--render-wait`).
    pub wait: Duration,
    /// The most a page may take, from navigation to the end.
    pub timeout: Duration,
    pub cancel: &'a Cancel,
    pub user_agent: Option<&'a str>,
    /// `-H` headers, sent to the audited site's hosts only (as the crawl sends them).
    pub headers: &'a [(String, String)],
}

/// Render `url` in a new tab of `browser`. Failures after the page started loading keep what
/// was seen, with the error.
pub fn render(browser: &Browser, url: &str, config: &TabConfig) -> Runtime {
    let started = Instant::now();
    let mut runtime = Runtime {
        url: url.to_owned(),
        consent: "none".to_owned(),
        ..Runtime::default()
    };
    let (target, session, events) = match browser.open_tab(COMMAND) {
        Ok(tab) => tab,
        Err(e) => {
            runtime.error = Some(format!("could not open a tab: {e}"));
            return runtime;
        }
    };
    let mut tab = Tab {
        browser,
        session: &session,
        events,
        config,
        runtime,
        in_flight: HashMap::new(),
        answered: std::collections::HashSet::new(),
        last_activity: Instant::now(),
        loaded: false,
        deadline: started + config.timeout,
    };
    if let Err(e) = tab.run(url) {
        tab.runtime.error = Some(e);
    }
    let mut runtime = tab.runtime;
    browser.close_tab(&target, &session);
    runtime.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    runtime
}

struct Tab<'a> {
    browser: &'a Browser,
    session: &'a str,
    events: Receiver<Event>,
    config: &'a TabConfig<'a>,
    runtime: Runtime,
    /// Requests in flight (by the browser's request id): when each started, and the index of
    /// its entry in `runtime.requests` if it is a vendor's.
    in_flight: HashMap<String, (Instant, Option<usize>)>,
    /// Requests answered here (tracking calls): never waited for, whatever the browser reports
    /// of them (a beacon may never get its `loadingFinished`).
    answered: std::collections::HashSet<String>,
    last_activity: Instant,
    loaded: bool,
    deadline: Instant,
}

impl Tab<'_> {
    fn call(&self, method: &str, params: Value) -> Result<Value, String> {
        self.browser
            .call(Some(self.session), method, params, COMMAND)
            .map_err(|e| e.to_string())
    }

    /// Send a command and handle events until its answer comes (or the page's time is up).
    fn call_pumping(&mut self, method: &str, params: Value) -> Result<Value, String> {
        let answer = self
            .browser
            .start(Some(self.session), method, params)
            .map_err(|e| e.to_string())?;
        loop {
            match answer.try_recv() {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(message)) => return Err(format!("the browser refused {method}: {message}")),
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    return Err("the browser closed (it crashed or was killed)".to_owned())
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => {}
            }
            if Instant::now() >= self.deadline {
                return Err(format!(
                    "the page took longer than {} s ({method})",
                    self.config.timeout.as_secs()
                ));
            }
            let step = (Instant::now() + Duration::from_millis(10)).min(self.deadline);
            self.pump(step)?;
        }
    }

    fn run(&mut self, url: &str) -> Result<(), String> {
        self.call("Runtime.enable", json!({}))?;
        self.call("Page.enable", json!({}))?;
        self.call("Network.enable", json!({}))?;
        self.call("Runtime.setAsyncCallStackDepth", json!({"maxDepth": 16}))?;
        self.call(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": PROBE}),
        )?;
        self.call(
            "Fetch.enable",
            json!({"patterns": [{"urlPattern": "*", "requestStage": "Request"}]}),
        )?;
        if let Some(agent) = self.config.user_agent {
            self.call("Network.setUserAgentOverride", json!({"userAgent": agent}))?;
        }
        if self.config.accept_consent {
            self.call(
                "Network.setCookies",
                json!({"cookies": consent_cookies(url)}),
            )?;
        }
        let navigated = self.call_pumping("Page.navigate", json!({"url": url}))?;
        if let Some(error) = navigated["errorText"].as_str().filter(|e| !e.is_empty()) {
            return Err(format!("the browser could not load the page: {error}"));
        }
        self.settle(self.deadline)?;
        if self.config.accept_consent {
            let accepted = self.evaluate(CONSENT)?;
            let managers: Vec<String> = accepted
                .as_str()
                .unwrap_or_default()
                .split(',')
                .filter(|m| !m.is_empty())
                .map(str::to_owned)
                .collect();
            self.runtime.consent = if managers.is_empty() {
                "no-manager".to_owned()
            } else {
                "accepted".to_owned()
            };
            self.runtime.consent_managers = managers;
            self.last_activity = Instant::now();
            self.settle(self.deadline)?;
        }
        if !self.config.wait.is_zero() {
            let until = (Instant::now() + self.config.wait).min(self.deadline);
            while self.pump(until)? {}
        }
        let state = self.evaluate(STATE)?;
        self.read_state(state.as_str().unwrap_or("{}"));
        Ok(())
    }

    /// Handle events until the page has loaded and the network has been quiet for [`IDLE`], or
    /// `until`. Running out of time is not an error: what was seen is what ran.
    fn settle(&mut self, until: Instant) -> Result<(), String> {
        loop {
            let now = Instant::now();
            let busy = self
                .in_flight
                .values()
                .any(|(since, _)| now.duration_since(*since) < LONG_POLL);
            if self.loaded && !busy && now.duration_since(self.last_activity) >= IDLE {
                return Ok(());
            }
            if now >= until {
                return Ok(());
            }
            let step = (now + Duration::from_millis(100)).min(until);
            self.pump(step)?;
        }
    }

    /// Handle the events that arrive until `until`. `false` once `until` passes.
    fn pump(&mut self, until: Instant) -> Result<bool, String> {
        if let Some(stop) = self.config.cancel.stopped() {
            return Err(format!("the run stopped ({})", stop_words(stop)));
        }
        match next_event(&self.events, until) {
            Ok(Some(event)) => {
                self.handle(event);
                Ok(true)
            }
            Ok(None) => Ok(false),
            Err(CdpError::Closed) => Err("the browser closed (it crashed or was killed)".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    fn evaluate(&mut self, expression: &str) -> Result<Value, String> {
        let result = self.call_pumping(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": false}),
        )?;
        Ok(result["result"]["value"].clone())
    }

    fn handle(&mut self, event: Event) {
        let p = &event.params;
        match event.method.as_str() {
            "Page.loadEventFired" => {
                self.loaded = true;
                self.last_activity = Instant::now();
            }
            "Fetch.requestPaused" => self.paused(p),
            "Network.requestWillBeSent" => {
                self.last_activity = Instant::now();
                let id = p["requestId"].as_str().unwrap_or_default().to_owned();
                let url = p["request"]["url"].as_str().unwrap_or_default();
                if self.config.hosts.is_consent(url) {
                    self.runtime.consent_manager_loaded = true;
                }
                let full = self.runtime.requests.len() >= LISTED;
                if full && self.config.hosts.classify(url).is_some() {
                    self.runtime.not_listed += 1;
                }
                let entry =
                    self.config
                        .hosts
                        .classify(url)
                        .filter(|_| !full)
                        .map(|(vendor, kind)| {
                            self.runtime.requests.push(VendorRequest {
                                vendor,
                                kind: kind.to_owned(),
                                url: url.to_owned(),
                                status: None,
                                failed: None,
                                initiator: initiator(&p["initiator"]),
                            });
                            if kind == "container" {
                                if let Some(id) = hosts::container_id(url) {
                                    if !self.runtime.containers.contains(&id) {
                                        self.runtime.containers.push(id);
                                    }
                                }
                            }
                            self.runtime.requests.len() - 1
                        });
                if !self.answered.contains(&id) {
                    self.in_flight.insert(id, (Instant::now(), entry));
                }
            }
            "Network.responseReceived" => {
                let id = p["requestId"].as_str().unwrap_or_default();
                if let Some((_, Some(i))) = self.in_flight.get(id) {
                    let status = p["response"]["status"].as_u64();
                    if let Some(request) = self.runtime.requests.get_mut(*i) {
                        request.status = status.and_then(|s| u16::try_from(s).ok());
                    }
                }
            }
            "Network.loadingFinished" => {
                self.last_activity = Instant::now();
                let id = p["requestId"].as_str().unwrap_or_default();
                self.in_flight.remove(id);
            }
            "Network.loadingFailed" => {
                self.last_activity = Instant::now();
                let id = p["requestId"].as_str().unwrap_or_default();
                if let Some((_, Some(i))) = self.in_flight.remove(id) {
                    if let Some(request) = self.runtime.requests.get_mut(i) {
                        request.failed = p["errorText"].as_str().map(str::to_owned);
                    }
                }
            }
            "Runtime.consoleAPICalled" => self.console(p),
            "Runtime.exceptionThrown" => {
                let details = &p["exceptionDetails"];
                let text = details["exception"]["description"]
                    .as_str()
                    .or(details["text"].as_str())
                    .unwrap_or_default();
                let url = details["url"].as_str().unwrap_or_default();
                self.error(
                    text.lines().next().unwrap_or_default(),
                    url,
                    &details["stackTrace"],
                );
            }
            _ => {}
        }
    }

    /// A console message: the probe's reports, and errors.
    fn console(&mut self, p: &Value) {
        let args = p["args"].as_array().map(Vec::as_slice).unwrap_or_default();
        let first = args.first().and_then(|a| a["value"].as_str());
        if first == Some("__heap_audit__") {
            let data: Value = args
                .get(1)
                .and_then(|a| a["value"].as_str())
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_default();
            self.heap_load(&data, &p["stackTrace"]);
            return;
        }
        if p["type"].as_str() == Some("error") {
            let text: Vec<String> = args
                .iter()
                .map(|a| {
                    a["value"]
                        .as_str()
                        .map(str::to_owned)
                        .or_else(|| a["description"].as_str().map(str::to_owned))
                        .unwrap_or_default()
                })
                .collect();
            self.error(&text.join(" "), "", &p["stackTrace"]);
        }
    }

    /// Keep an error if it comes from, or names, Heap, Segment or a tag manager.
    fn error(&mut self, text: &str, url: &str, stack: &Value) {
        let frames = frames(stack);
        let from_vendor = std::iter::once(url)
            .chain(frames.iter().map(|f| f.url.as_str()))
            .any(|u| self.config.hosts.classify(u).is_some());
        let lower = text.to_ascii_lowercase();
        let names = ["heap", "analytics", "segment", "gtm", "googletagmanager"]
            .iter()
            .any(|w| lower.contains(w));
        if (from_vendor || names) && self.runtime.console_errors.len() < 50 {
            let text: String = text.chars().take(300).collect();
            if !self.runtime.console_errors.contains(&text) {
                self.runtime.console_errors.push(text);
            }
        }
    }

    fn heap_load(&mut self, data: &Value, stack: &Value) {
        let frames = frames(stack);
        let callers: Vec<&Frame> = frames.iter().filter(|f| f.url != PROBE_URL).collect();
        // The calling script: the innermost frame with a URL (code inserted at run time has
        // none; the code that inserted it, further out or in an asynchronous parent, does).
        let script = callers.iter().find(|f| !f.url.is_empty());
        let by = callers
            .iter()
            .filter(|f| !f.url.is_empty())
            .find_map(|f| match self.config.hosts.classify(&f.url) {
                Some((crate::model::Vendor::Segment, _)) => Some("segment"),
                Some((v, _)) if v.is_tag_manager() => Some("tag-manager"),
                _ => None,
            })
            .unwrap_or(if script.is_some() { "page" } else { "unknown" });
        if self.runtime.heap_loads.len() >= LISTED {
            self.runtime.not_listed += 1;
            return;
        }
        self.runtime.heap_loads.push(HeapLoad {
            id: data["id"].as_str().map(str::to_owned),
            options: Some(data["options"].clone()).filter(|o| !o.is_null()),
            script: script.map(|f| f.url.clone()),
            line: script.map(|f| f.line),
            column: script.map(|f| f.column),
            by: by.to_owned(),
            stack: callers
                .iter()
                .take(8)
                .map(|f| {
                    let url = if f.url.is_empty() {
                        "(inserted script)"
                    } else {
                        &f.url
                    };
                    format!("{url}:{}:{}", f.line, f.column)
                })
                .collect(),
        });
    }

    /// A request paused before it is sent: answered from a remap, answered locally (a tracking
    /// call), refused, or let through.
    fn paused(&mut self, p: &Value) {
        let id = p["requestId"].as_str().unwrap_or_default().to_owned();
        let url = p["request"]["url"].as_str().unwrap_or_default().to_owned();
        let kind = self.config.hosts.classify(&url).map(|(_, kind)| kind);
        let session = Some(self.session);
        let post = |method: &str, params: Value| {
            let _ = self.browser.post(session, method, params);
        };
        if kind == Some("tracking") {
            // Recorded (Network.requestWillBeSent), answered here, never sent: an audit adds no
            // sessions or events to the team's Heap or Segment.
            if let Some(network) = p["networkId"].as_str() {
                self.in_flight.remove(network);
                self.answered.insert(network.to_owned());
            }
            post(
                "Fetch.fulfillRequest",
                json!({"requestId": id, "responseCode": 200, "responseHeaders": cors(None),
                       "body": base64::engine::general_purpose::STANDARD.encode(GIF)}),
            );
            return;
        }
        if !url.starts_with("http") {
            post("Fetch.continueRequest", json!({"requestId": id}));
            return;
        }
        if remap(self.config.remaps, &url) != url {
            let fulfilled = match self.config.fetcher.get(&url) {
                Ok(response) => json!({
                    "requestId": id,
                    "responseCode": response.status.unwrap_or(200),
                    "responseHeaders": cors(response.content_type.as_deref().or(guess_type(&url))),
                    "body": base64::engine::general_purpose::STANDARD.encode(&response.body),
                }),
                Err(e) if e.status.is_some() => json!({
                    "requestId": id,
                    "responseCode": e.status.unwrap_or(404),
                    "responseHeaders": cors(None),
                    "body": "",
                }),
                Err(_) => {
                    post(
                        "Fetch.failRequest",
                        json!({"requestId": id, "errorReason": "ConnectionFailed"}),
                    );
                    return;
                }
            };
            post("Fetch.fulfillRequest", fulfilled);
            return;
        }
        let allowed =
            self.config.hosts.is_site(&url) || kind.is_some() || self.config.hosts.is_consent(&url);
        let refused = (self.config.offline && !self.config.hosts.is_site(&url))
            || (self.config.block_third_party && !allowed);
        if refused {
            if self.runtime.blocked.len() < 20 {
                self.runtime.blocked.push(url.clone());
            }
            post(
                "Fetch.failRequest",
                json!({"requestId": id, "errorReason": "BlockedByClient"}),
            );
        } else if self.config.hosts.is_site(&url) && !self.config.headers.is_empty() {
            let mut headers: Vec<Value> = p["request"]["headers"]
                .as_object()
                .map(|h| {
                    h.iter()
                        .filter(|(k, _)| {
                            !self
                                .config
                                .headers
                                .iter()
                                .any(|(name, _)| name.eq_ignore_ascii_case(k))
                        })
                        .map(|(k, v)| json!({"name": k, "value": v}))
                        .collect()
                })
                .unwrap_or_default();
            headers.extend(
                self.config
                    .headers
                    .iter()
                    .map(|(k, v)| json!({"name": k, "value": v})),
            );
            post(
                "Fetch.continueRequest",
                json!({"requestId": id, "headers": headers}),
            );
        } else {
            post("Fetch.continueRequest", json!({"requestId": id}));
        }
    }

    fn read_state(&mut self, state: &str) {
        let Ok(state) = serde_json::from_str::<Value>(state) else {
            return;
        };
        if let Some(heap) = state["heap"].as_object() {
            self.runtime.heap = Some(heap.clone());
        }
        if let Some(analytics) = state["analytics"].as_object() {
            self.runtime.analytics = Some(AnalyticsRuntime {
                initialized: analytics["initialized"].as_bool().unwrap_or(false),
                integrations: analytics
                    .get("integrations")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
        for id in state["containers"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            if let Some(id) = id.as_str() {
                if !self.runtime.containers.iter().any(|c| c == id) {
                    self.runtime.containers.push(id.to_owned());
                }
            }
        }
    }
}

/// A 1×1 transparent GIF: the answer to a tracking call.
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

/// Response headers for an answer heap-audit gives: any page may read it (the stand-ins and
/// saved copies a `--remap` serves are read cross-origin, as the vendors' CDNs allow).
fn cors(content_type: Option<&str>) -> Value {
    let mut headers = vec![
        json!({"name": "Access-Control-Allow-Origin", "value": "*"}),
        json!({"name": "Cache-Control", "value": "no-store"}),
    ];
    if let Some(t) = content_type {
        headers.push(json!({"name": "Content-Type", "value": t}));
    }
    Value::Array(headers)
}

/// A content type for a local file a remap serves, from its URL's extension.
fn guess_type(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let ext = path.rsplit('.').next().unwrap_or_default();
    Some(match ext {
        "js" | "mjs" => "application/javascript",
        "json" => "application/json",
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css",
        "gif" => "image/gif",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        // Segment's settings have no extension.
        _ if path.ends_with("/settings") => "application/json",
        _ => return None,
    })
}

/// The documented consent cookies of OneTrust and Cookiebot, every category granted, for the
/// page's host. (Usercentrics keeps consent in local storage: it is given through its API or
/// its button once the page is up.)
fn consent_cookies(url: &str) -> Value {
    let now = "2026-01-01T00:00:00.000Z";
    json!([
        {"name": "OptanonAlertBoxClosed", "value": now, "url": url},
        {"name": "OptanonConsent",
         "value": "isGpcEnabled=0&datestamp=Thu+Jan+01+2026&version=202401.1.0&isIABGlobal=false&hosts=&consentId=heap-audit&interactionCount=1&landingPath=NotLandingPage&groups=C0001%3A1%2CC0002%3A1%2CC0003%3A1%2CC0004%3A1%2CC0005%3A1",
         "url": url},
        {"name": "CookieConsent",
         "value": "{stamp:%27heap-audit%27%2Cnecessary:true%2Cpreferences:true%2Cstatistics:true%2Cmarketing:true%2Cmethod:%27explicit%27%2Cver:1}",
         "url": url},
    ])
}

/// One frame of a DevTools stack trace (1-based line and column).
struct Frame {
    url: String,
    line: u32,
    column: u32,
}

/// The frames of a DevTools `StackTrace`, innermost first, asynchronous parents after.
fn frames(stack: &Value) -> Vec<Frame> {
    let mut out = Vec::new();
    let mut trace = stack;
    for _ in 0..16 {
        for f in trace["callFrames"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let n = |k: &str| u32::try_from(f[k].as_u64().unwrap_or(0)).unwrap_or(0) + 1;
            out.push(Frame {
                url: f["url"].as_str().unwrap_or_default().to_owned(),
                line: n("lineNumber"),
                column: n("columnNumber"),
            });
        }
        if trace["parent"].is_object() {
            trace = &trace["parent"];
        } else {
            break;
        }
    }
    out
}

/// The script behind a request, from the DevTools initiator: the innermost frame with a URL,
/// else the initiating document or script.
fn initiator(initiator: &Value) -> Option<String> {
    frames(&initiator["stack"])
        .into_iter()
        .find(|f| !f.url.is_empty() && f.url != PROBE_URL)
        .map(|f| format!("{}:{}:{}", f.url, f.line, f.column))
        .or_else(|| initiator["url"].as_str().map(str::to_owned))
}

fn stop_words(stop: crate::source::limits::Stop) -> &'static str {
    match stop {
        crate::source::limits::Stop::OutOfTime => "--max-time",
        crate::source::limits::Stop::InterruptedBy(_) => "a signal",
    }
}
