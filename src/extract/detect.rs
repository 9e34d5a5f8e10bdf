//! Turns script code and script URLs into installs, using the signatures in `rules/`.
//!
//! Pure: the caller says where the code came from ([`Origin`]) and decides what to follow. Every
//! install found here is `via: native`; the caller re-labels installs found inside a tag manager.

use serde_json::{Map, Value};

use super::html::{self, Lines, ScriptKind};
use super::js::{self, blank_comments_by_tokens, Js};
use super::jsobj::{self, Arg};
use super::signatures::{Pattern, Signatures, VendorSignatures};
use crate::model::{Branch, Evidence, Gate, Install, SegmentCall, Vendor, Via};

/// Where a piece of code or a URL was found, for evidence.
#[derive(Clone, Copy, Debug)]
pub struct Origin<'a> {
    /// URL or path shown as `evidence.source`.
    pub source: &'a str,
    /// Line index of the whole source, when line numbers are meaningful.
    pub lines: Option<&'a Lines<'a>>,
    /// Byte offset of the scanned code inside `text`.
    pub offset: usize,
    /// GTM tag id, or another label inside the source.
    pub tag: Option<&'a str>,
}

impl Origin<'_> {
    fn evidence(&self, code: &str, at: usize, len: usize, signature: &str) -> Evidence {
        Evidence {
            source: self.source.to_owned(),
            line: self.lines.map(|l| l.line(self.offset + at)),
            snippet: excerpt(code, at, len),
            signature: signature.to_owned(),
            tag: self.tag.map(str::to_owned),
            offset: self.lines.map(|_| self.offset + at),
        }
    }
}

/// What one piece of code holds.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Scan {
    pub installs: Vec<Install>,
    /// Segment-shaped snippets on a host that is neither Segment's nor a known look-alike (a custom
    /// proxy, or a clone): Segment only if their settings carry the `Segment.io` integration.
    pub segment_candidates: Vec<Install>,
    pub calls: Vec<SegmentCall>,
    /// Names a Segment snippet gives its global instead of `analytics` (`globalAnalyticsKey`):
    /// the page's other scripts call Segment through them.
    pub globals: Vec<String>,
    /// Write keys in `window.consentManagerConfig` (Segment's consent manager, which loads
    /// analytics.js once the visitor consents), with where each was found.
    pub consent_manager: Vec<(String, Evidence)>,
}

impl Scan {
    pub fn extend(&mut self, other: Scan) {
        self.installs.extend(other.installs);
        self.segment_candidates.extend(other.segment_candidates);
        self.calls.extend(other.calls);
        self.globals.extend(other.globals);
        self.consent_manager.extend(other.consent_manager);
    }
}

/// Scan JavaScript code (an inline classic script, a script file, a tag's code).
pub fn scan_code(sigs: &Signatures, code: &str, origin: &Origin) -> Scan {
    scan_script(sigs, code, js::Kind::Classic, origin)
}

/// Scan JavaScript code run as `kind`. Code that no signature can match is passed over; the rest
/// is read as code ([`Js`]): signatures match the code with its comments taken out, and calls
/// are read from the syntax tree with their constants and conditions.
pub fn scan_script(sigs: &Signatures, code: &str, kind: js::Kind, origin: &Origin) -> Scan {
    // A short script at its place in its source (so that its lines are the source's) is scanned
    // on its first two sights only, then taken from the memo ([`js::ByScript`]) and placed where
    // it is met; one that no signature can match as well, so that the inline scripts every page
    // repeats are not looked through again on each.
    let memoised = origin.tag.is_none()
        && code.len() <= js::CACHED_SCRIPT
        && origin.lines.is_none_or(|l| l.holds(origin.offset, code));
    if !memoised {
        return scan_script_once(sigs, code, kind, origin);
    }
    let scan = sigs.memo.0.get_or(code, kind, || {
        let lines = Lines::new(code);
        let at_start = Origin {
            source: "",
            lines: Some(&lines),
            offset: 0,
            tag: None,
        };
        scan_script_once(sigs, code, kind, &at_start)
    });
    let mut scan = Scan::clone(&scan);
    scan.place(origin);
    scan
}

/// The scans [`scan_script`] keeps, by script. A copy of the signatures starts with none.
#[derive(Default)]
pub struct ScanMemo(js::ByScript<Scan>);

impl Clone for ScanMemo {
    fn clone(&self) -> ScanMemo {
        ScanMemo::default()
    }
}

impl std::fmt::Debug for ScanMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScanMemo")
    }
}

impl Scan {
    /// Place a scan made at the start of its own code (source `""`, lines of the code alone)
    /// where the code is met: `origin`'s source, and its lines, of which the code is the text at
    /// `origin.offset` ([`Lines::holds`]), so each line is the one the source has there.
    fn place(&mut self, origin: &Origin) {
        let base = origin.lines.map(|l| l.line(origin.offset));
        let place = |ev: &mut Evidence| {
            ev.source = origin.source.to_owned();
            ev.line = base
                .zip(ev.line)
                .map(|(base, line)| base.saturating_add(line.saturating_sub(1)));
            ev.offset = origin.lines.and(ev.offset).map(|at| origin.offset + at);
        };
        // Every field named, so that a new one with evidence is placed too.
        let Scan {
            installs,
            segment_candidates,
            calls,
            globals: _,
            consent_manager,
        } = self;
        installs
            .iter_mut()
            .chain(segment_candidates.iter_mut())
            .for_each(|i| place(&mut i.evidence));
        calls.iter_mut().for_each(|c| place(&mut c.evidence));
        consent_manager.iter_mut().for_each(|(_, ev)| place(ev));
    }
}

/// Whether a `consentManagerConfig … writeKey: "…"` match has its `writeKey` within 3,000
/// characters of `consentManagerConfig`: the configuration's own key, not one further down.
fn within_consent_config(matched: &str) -> bool {
    const CONFIG: &str = "consentManagerConfig";
    const WITHIN: usize = 3000;
    let between = matched
        .get(CONFIG.len()..)
        .and_then(|rest| rest.rfind("writeKey").map(|at| &rest[..at]))
        .unwrap_or_default();
    between.chars().count() <= WITHIN
}

fn scan_script_once(sigs: &Signatures, code: &str, kind: js::Kind, origin: &Origin) -> Scan {
    let mut scan = Scan::default();
    if code.contains("consentManagerConfig") {
        let code = blank_comments_by_tokens(code, kind);
        for p in sigs.segment.captures("consent_manager_write_key") {
            for c in p.captures_iter(&code) {
                if let (Some(m), Some(key)) = (c.get(0), group(&c, "value")) {
                    if !within_consent_config(&code[m.range()]) {
                        continue;
                    }
                    let evidence = origin.evidence(&code, m.start(), m.len(), &p.name);
                    scan.consent_manager.push((key, evidence));
                }
            }
        }
    }
    if !sigs.may_hold(code) {
        return scan;
    }
    // The calls the signatures match (in the raw text: a superset of the code's) are the ones
    // the reader works out; the rest of a bundle is only walked.
    let calls = || {
        [&sigs.heap, &sigs.segment]
            .into_iter()
            .flat_map(|v| v.call.iter().chain(&v.api))
            .flat_map(|p| p.find_iter(code).map(|m| m.end() - 1))
            .collect()
    };
    let js = js::read_cached(code, kind, calls);
    let js: &Js = &js;
    heap_in_code(&sigs.heap, js, origin, &mut scan.installs);
    segment_in_code(&sigs.segment, js, origin, &mut scan);
    // Strings read on their own (below) are not matched again here.
    let outer = js.outer_code();
    gtm_in_code(&sigs.gtm, outer, origin, &mut scan.installs);
    for tm in [&sigs.tealium, &sigs.adobe_launch] {
        library_in_code(tm, outer, origin, &mut scan.installs);
    }
    scan.calls = segment_calls(&sigs.segment, js, origin);

    // What the code writes, runs or loads as a script (`script.text = "heap.load(…)"`,
    // `document.write("\x3cscript src=…\x3e")`, `<Script src=…>`, `<Script>{`…`}</Script>`, a
    // head manager's `{ innerHTML: … }`) is read on its own; what it holds sits where the string
    // sits.
    let mut nested = Nested::default();
    for w in js.injected() {
        let origin = Origin {
            offset: origin.offset + w.at,
            ..*origin
        };
        nested.take(js, w, scan_code(sigs, &w.text, &origin), &mut scan);
    }
    for w in js.markup() {
        let origin = Origin {
            offset: origin.offset + w.at,
            ..*origin
        };
        for script in html::parse(&w.text).scripts {
            if script.kind != ScriptKind::Code {
                continue;
            }
            let found = match &script.src {
                Some(src) => scan_src(sigs, src, &origin),
                None => scan_code(sigs, &script.code, &origin),
            };
            nested.take(js, w, found, &mut scan);
        }
    }
    for w in js.sources() {
        let origin = Origin {
            offset: origin.offset + w.at,
            ..*origin
        };
        nested.take(js, w, scan_src(sigs, &w.text, &origin), &mut scan);
    }
    scan.installs.extend(merge_by_arm(nested.installs));
    scan.segment_candidates
        .extend(merge_by_arm(nested.candidates));
    scan
}

/// Installs found in the strings a script writes, runs or loads, each with the arm its string
/// sits in: those in different arms of one conditional are one install with alternatives.
#[derive(Default)]
struct Nested {
    installs: Vec<(Install, Option<Arm>)>,
    candidates: Vec<(Install, Option<Arm>)>,
}

impl Nested {
    /// What a string's scan found: its installs in the string's context, the rest as it is.
    fn take(&mut self, js: &Js, w: &js::Written, mut found: Scan, scan: &mut Scan) {
        for (from, into) in [
            (&mut found.installs, &mut self.installs),
            (&mut found.segment_candidates, &mut self.candidates),
        ] {
            for mut install in from.drain(..) {
                fill_holes(&w.holes, &mut install);
                in_written_context(js, &w.context, &mut install);
                into.push((install, w.context.arm.clone()));
            }
        }
        scan.extend(found);
    }
}

/// An id read from a script URL's stand-in ([`js::STAND_IN`]) comes from the expression it
/// stands for (`${process.env.NEXT_PUBLIC_SEGMENT_KEY}` in the URL's path).
fn fill_holes(holes: &[(String, String)], install: &mut Install) {
    for (stand_in, expr) in holes {
        install.evidence.snippet = install
            .evidence
            .snippet
            .replace(stand_in.as_str(), &format!("${{{expr}}}"));
        let Some(id) = install
            .id
            .as_deref()
            .filter(|id| id.contains(stand_in.as_str()))
        else {
            continue;
        };
        install.id_from = Some(if id == stand_in {
            expr.clone()
        } else {
            id.replace(stand_in.as_str(), &format!("${{{expr}}}"))
        });
        install.id = None;
    }
}

/// An install found in a string takes the context of where the string sits, as a call's does
/// ([`in_context`]): its one-armed environment test as a branch, its guard, its gate (outside
/// the string's own, which still holds).
fn in_written_context(js: &Js, context: &js::Context, install: &mut Install) {
    if let Some((conditional, _, condition)) = &context.arm {
        if js.arms(*conditional) == 1 && js.one_armed(*conditional) && install.branches.is_empty() {
            install.branches = vec![Branch {
                id: install.id.clone(),
                condition: condition.clone(),
            }];
        }
    }
    if install.guard.is_none() {
        install.guard.clone_from(&context.guard);
    }
    if let Some(outer) = context.gate.clone().map(gate_of) {
        install.gate = Some(match install.gate.take() {
            None => outer,
            Some(inner) => Gate {
                kind: if outer.kind == "consent" || inner.kind == "consent" {
                    "consent"
                } else {
                    "runtime"
                }
                .to_owned(),
                manager: outer.manager.or(inner.manager),
                category: outer.category.or(inner.category),
                condition: format!("{} && {}", outer.condition, inner.condition),
            },
        });
    }
}

/// Scan a `<script src>` URL (absolute, as written after resolution).
pub fn scan_src(sigs: &Signatures, url: &str, origin: &Origin) -> Scan {
    let mut scan = Scan::default();
    if !sigs.any_src.is_match(url) {
        return scan;
    }
    let evidence = |p: &Pattern| Evidence {
        source: origin.source.to_owned(),
        line: origin.lines.map(|l| l.line(origin.offset)),
        snippet: format!("<script src=\"{url}\">"),
        signature: p.name.clone(),
        tag: origin.tag.map(str::to_owned),
        offset: None,
    };
    for p in &sigs.heap.src {
        if let Some(c) = p.regex.captures(url) {
            let mut install = Install::new(Vendor::Heap, group(&c, "id"), Via::Native, evidence(p));
            install.sdk = p.sdk;
            install.cdn = host_of(&https(url)).map(|h| format!("https://{h}"));
            scan.installs.push(install);
        }
    }
    for p in &sigs.segment.src {
        if let Some(c) = p.regex.captures(url) {
            let host = group(&c, "host").unwrap_or_default();
            let mut install =
                Install::new(Vendor::Segment, group(&c, "id"), Via::Native, evidence(p));
            install.cdn = Some(format!("https://{host}"));
            classify_segment(&sigs.segment, &host, install, &mut scan);
        }
    }
    for p in &sigs.gtm.src {
        if let Some(c) = p.regex.captures(url) {
            let mut install = Install::new(Vendor::Gtm, group(&c, "id"), Via::Native, evidence(p));
            install.options = gtm_options(&sigs.gtm, url, group(&c, "host"));
            scan.installs.push(install);
        }
    }
    for tm in [&sigs.tealium, &sigs.adobe_launch] {
        for p in &tm.src {
            if let Some(c) = p.regex.captures(url) {
                let mut install =
                    Install::new(tm.vendor, group(&c, "id"), Via::Native, evidence(p));
                install
                    .options
                    .insert("url".into(), Value::String(https(url)));
                scan.installs.push(install);
            }
        }
    }
    scan
}

/// Scan an `<iframe src>`: GTM's `ns.html` noscript fallback names a container.
pub fn scan_iframe(sigs: &Signatures, url: &str, origin: &Origin) -> Vec<Install> {
    let mut out = Vec::new();
    for p in &sigs.gtm.iframe {
        if let Some(c) = p.regex.captures(url) {
            let evidence = Evidence {
                source: origin.source.to_owned(),
                line: origin.lines.map(|l| l.line(origin.offset)),
                snippet: format!("<iframe src=\"{url}\">"),
                signature: p.name.clone(),
                tag: None,
                offset: None,
            };
            let mut install = Install::new(Vendor::Gtm, group(&c, "id"), Via::Native, evidence);
            install.options = gtm_options(&sigs.gtm, url, None);
            out.push(install);
        }
    }
    out
}

fn heap_in_code(sigs: &VendorSignatures, js: &Js, origin: &Origin, out: &mut Vec<Install>) {
    let code = js.code();
    let anchors: Vec<(usize, usize, &Pattern)> = sigs
        .anchor
        .iter()
        .flat_map(|p| {
            p.regex
                .find_iter(code)
                .map(move |m| (m.start(), m.len(), p))
        })
        .collect();
    if anchors.is_empty() {
        return;
    }
    let sdk_near = |at: usize| {
        let before = anchors.iter().filter(|a| a.0 <= at).max_by_key(|a| a.0);
        let after = anchors.iter().filter(|a| a.0 > at).min_by_key(|a| a.0);
        before.or(after).and_then(|a| a.2.sdk)
    };
    let cdn_hosts: Vec<(usize, String)> = sigs
        .captures("cdn")
        .flat_map(|p| p.captures_iter(code))
        .filter_map(|c| Some((c.get(0)?.start(), group(&c, "value")?)))
        .collect();
    let mut unresolved: Option<(Install, usize)> = None;
    // Each install found, with the span of its call (to recognise if/else alternatives).
    let mut found: Vec<(Install, (usize, usize))> = Vec::new();
    for p in &sigs.call {
        let valid = |id: &String| p.id.as_ref().is_none_or(|re| re.is_match(id));
        for m in p.find_iter(code) {
            let open = m.end() - 1;
            // A call's text inside a string or a regular expression is no call.
            let Some(args) = js.call_args(open) else {
                continue;
            };
            let options = args
                .values
                .iter()
                .skip(1)
                .find_map(Arg::as_object)
                .cloned()
                .unwrap_or_default();
            let evidence = origin.evidence(code, m.start(), args.end - m.start(), &p.name);
            let mut install = Install::new(Vendor::Heap, None, Via::Native, evidence);
            install.sdk = sdk_near(m.start());
            install.cdn = heap_cdn(&cdn_hosts, m.start(), &args);
            install.options = options;
            in_context(js, open, &mut install);
            let mut ids = read_id(js, args.values.first(), &mut install);
            ids.retain(|(id, _)| valid(id));
            if ids.is_empty() {
                unresolved.get_or_insert((install, m.start()));
                continue;
            }
            set_ids(&mut install, ids);
            found.push((install, (m.start(), args.end)));
        }
    }
    if found.is_empty() {
        // A loader whose id we cannot read (an id supplied from outside the code, a placeholder,
        // an unresolved GTM macro). An anchor without any load call (code reading `heap.appid`)
        // is no loader.
        if let Some((mut install, _)) = unresolved {
            // A wrapper whose configuration in the same code names the id (gatsby-plugin-heap).
            if let Some(id) = first_capture(sigs, "app_id", code) {
                install.id = Some(id);
                install.id_from = None;
            }
            out.push(install);
        }
        return;
    }
    let anchor_starts: Vec<usize> = anchors.iter().map(|a| a.0).collect();
    out.extend(merge_alternatives(js, &anchor_starts, found));
}

/// The ids a loader's first argument holds, each with the condition that picks it (empty when
/// there is one): a literal, a constant, or the arms of a `?:`. An argument the code does not
/// hold is recorded as `id_from` (or `placeholder`) on the install.
fn read_id(js: &Js, arg: Option<&Arg>, install: &mut Install) -> Vec<(String, String)> {
    let ids = match arg {
        Some(Arg::Choice(choices)) => choices
            .iter()
            .filter_map(|(v, condition)| Some((text_of(v)?, condition.clone())))
            .collect(),
        Some(Arg::Expr(expr)) if !js.parsed() => {
            // Code that did not parse: a constant declared in the same code, or every literal of
            // the expression (`isProd ? "2682025610" : "181194367"`).
            match resolve_ident(js.code(), expr) {
                Some(id) => vec![(id, String::new())],
                None => string_literals(expr)
                    .into_iter()
                    .map(|id| (id, String::new()))
                    .collect(),
            }
        }
        Some(Arg::Expr(expr)) => {
            install.id_from = Some(expr.clone());
            Vec::new()
        }
        Some(literal) => literal
            .as_text()
            .into_iter()
            .map(|id| (id, String::new()))
            .collect(),
        None => Vec::new(),
    };
    if let [(only, _)] = ids.as_slice() {
        // A value a template or a tag manager fills in (`{{macro:3}}` from a GTM variable,
        // `{{ site.heap_id }}`, `<%= ENV["HEAP_ID"] %>`): the id comes from there.
        if is_template_expression(only) {
            // `"${process.env.NEXT_PUBLIC_HEAP_APP_ID}"` (a template literal's expression,
            // written into code): the expression itself.
            let inner = only
                .trim()
                .strip_prefix("${")
                .and_then(|e| e.strip_suffix('}'))
                .filter(|e| !e.contains(['{', '}']))
                .map(str::trim);
            install.id_from = Some(inner.unwrap_or(only).to_owned());
            return Vec::new();
        }
        if is_placeholder(only) {
            install.placeholder = Some(only.clone());
            return Vec::new();
        }
    }
    ids
}

/// Put ids read by [`read_id`] on an install: the first as `id`, the others as alternatives, and
/// the conditions that choose them as branches.
fn set_ids(install: &mut Install, mut ids: Vec<(String, String)>) {
    if let ([(id, _)], [branch]) = (ids.as_slice(), install.branches.as_mut_slice()) {
        branch.id = Some(id.clone());
    }
    if ids.len() > 1 && ids.iter().all(|(_, c)| !c.is_empty()) {
        install.branches = ids
            .iter()
            .map(|(id, condition)| Branch {
                id: Some(id.clone()),
                condition: condition.clone(),
            })
            .collect();
    }
    let rest = ids.split_off(1);
    install.id = ids.pop().map(|(id, _)| id);
    install.alternative_ids = rest.into_iter().map(|(id, _)| id).collect();
}

/// The guard and gate the call whose `(` is at `open` sits in, and the environment test of a
/// one-armed `if` around it (`if (location.hostname !== "localhost")`), as its one branch.
fn in_context(js: &Js, open: usize, install: &mut Install) {
    let context = js.context(open);
    if let Some((conditional, _, condition)) = &context.arm {
        if js.arms(*conditional) == 1 && js.one_armed(*conditional) {
            install.branches = vec![Branch {
                id: None,
                condition: condition.clone(),
            }];
        }
    }
    install.guard = context.guard;
    install.gate = context.gate.map(gate_of);
}

/// A reader's gate as the report gives it.
fn gate_of(g: js::Gate) -> Gate {
    Gate {
        kind: if g.consent { "consent" } else { "runtime" }.to_owned(),
        manager: g.manager.map(str::to_owned),
        category: g.category,
        condition: g.condition,
    }
}

/// A literal's text, for a string or a number.
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Whether a literal is a template or tag-manager expression rather than a value.
fn is_template_expression(text: &str) -> bool {
    let t = text.trim();
    (t.contains("{{") && t.contains("}}"))
        || (t.contains("{%") && t.contains("%}"))
        || (t.contains("<%") && t.contains("%>"))
        || (t.starts_with("${") && t.ends_with('}'))
}

/// A documentation placeholder where an id or write key belongs: `YOUR_APP_ID`,
/// `YOUR_WRITE_KEY`, `<WRITE_KEY>`, `WRITE_KEY`, `{{APP_ID}}`.
fn is_placeholder(id: &str) -> bool {
    let upper = id.to_ascii_uppercase();
    let compact: String = upper.chars().filter(char::is_ascii_alphanumeric).collect();
    upper.contains("YOUR")
        || matches!(
            compact.as_str(),
            "WRITEKEY" | "APPID" | "ENVID" | "SEGMENTWRITEKEY" | "HEAPAPPID" | "XXXXXXXXXX"
        )
        || (id.starts_with('<') && id.ends_with('>'))
}

/// Calls of one loader in the branches of an `if/else`, a `switch` or a ternary (`if (prod)
/// heap.load("A"); else heap.load("B")`) are one install whose other ids are `alternative_ids`,
/// not two loads. Two calls are branches only when what separates them is a branch separator
/// (`else`, `:`, `case`, `default`) and no loader is defined in between.
fn merge_alternatives(
    js: &Js,
    anchors: &[usize],
    mut found: Vec<(Install, (usize, usize))>,
) -> Vec<Install> {
    if js.parsed() {
        return merge_arms(js, found);
    }
    let code = js.code();
    found.sort_by_key(|(_, span)| span.0);
    let mut merged: Vec<(Install, (usize, usize))> = Vec::with_capacity(found.len());
    for (install, span) in found {
        if let Some((last, last_span)) = merged.last_mut() {
            let between = code.get(last_span.1..span.0).unwrap_or("");
            let loader_between = anchors.iter().any(|&a| a >= last_span.1 && a < span.0);
            if !loader_between && is_branch_separator(between) && last.id != install.id {
                last.alternative_ids.extend(install.id);
                last.alternative_ids.extend(install.alternative_ids);
                *last_span = span;
                continue;
            }
        }
        merged.push((install, span));
    }
    merged.into_iter().map(|(install, _)| install).collect()
}

/// A conditional arm: which conditional, which arm, its condition.
type Arm = (u32, u32, String);

/// Calls in different arms of one conditional (read from the syntax tree) are one install: the
/// first arm's id is `id`, the others are alternatives, and each arm's condition is a branch.
fn merge_arms(js: &Js, mut found: Vec<(Install, (usize, usize))>) -> Vec<Install> {
    found.sort_by_key(|(_, span)| span.0);
    let armed = found
        .into_iter()
        .map(|(install, (start, _))| {
            let open = start + code_paren(js.code(), start);
            (install, js.context(open).arm)
        })
        .collect();
    merge_by_arm(armed)
}

/// Installs of one vendor in different arms of one conditional, in order, are one install: the
/// first arm's id is `id`, the others are alternatives, and each arm's condition is a branch.
fn merge_by_arm(found: Vec<(Install, Option<Arm>)>) -> Vec<Install> {
    let mut merged: Vec<(Install, Option<Arm>)> = Vec::with_capacity(found.len());
    for (mut install, arm) in found {
        if let Some((conditional, arm, condition)) = &arm {
            let into = merged.iter_mut().find(|(i, at)| {
                at.as_ref()
                    .is_some_and(|(c, a, _)| c == conditional && a != arm)
                    && i.id != install.id
                    && i.vendor == install.vendor
            });
            if let Some((first, Some((_, _, first_condition)))) = into {
                if first.branches.is_empty() {
                    first.branches.push(Branch {
                        id: first.id.clone(),
                        condition: first_condition.clone(),
                    });
                }
                first.branches.push(Branch {
                    id: install.id.clone(),
                    condition: condition.clone(),
                });
                first.alternative_ids.extend(install.id.take());
                first.alternative_ids.append(&mut install.alternative_ids);
                continue;
            }
        }
        merged.push((install, arm));
    }
    merged.into_iter().map(|(install, _)| install).collect()
}

/// The offset from a call's start to its `(`.
fn code_paren(code: &str, start: usize) -> usize {
    code.get(start..).and_then(|c| c.find('(')).unwrap_or(0)
}

/// `;} else {`, `) : (`, `; break; case "staging":` and the like: what stands between two
/// branches of one conditional, with nothing else in it.
fn is_branch_separator(between: &str) -> bool {
    let skip = |c: char| c.is_whitespace() || matches!(c, ';' | ')' | '}');
    let rest = between.trim_start_matches(skip);
    if rest.starts_with(':') {
        return rest.len() < 40;
    }
    let rest = rest
        .strip_prefix("break")
        .map_or(rest, |r| r.trim_start_matches(skip));
    let word_end = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    let (word, tail) = rest.split_at(word_end);
    match word {
        "else" => tail.len() < 40,
        "case" | "default" => tail.find(':').is_some_and(|colon| colon < 60) && tail.len() < 80,
        _ => false,
    }
}

/// The string literals inside an expression, e.g. both ids of a ternary.
fn string_literals(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(q) = rest.find(['"', '\'']) {
        let quote = rest[q..].chars().next().unwrap_or('"');
        let body = &rest[q + 1..];
        let Some(end) = body.find(quote) else { break };
        out.push(body[..end].to_owned());
        rest = &body[end + 1..];
    }
    out
}

/// The host a Heap loader fetches the SDK from: the second argument of the self-hosted
/// three-argument form, else the Heap CDN named nearest before the call (or first after it).
fn heap_cdn(hosts: &[(usize, String)], at: usize, args: &jsobj::Args) -> Option<String> {
    if let (3.., Some(path)) = (args.values.len(), args.values.get(1).and_then(Arg::as_text)) {
        return Some(path);
    }
    let before = hosts.iter().filter(|h| h.0 <= at).max_by_key(|h| h.0);
    let after = hosts.iter().filter(|h| h.0 > at).min_by_key(|h| h.0);
    before.or(after).map(|(_, host)| format!("https://{host}"))
}

/// Whether a `load=function(...)` body (the code that follows) is Segment's loader: it builds
/// the analytics.js URL or keeps the load options, within the next few hundred bytes.
fn loads_analytics_js(body: &str) -> bool {
    let mut end = body.len().min(700);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    let body = &body[..end];
    body.contains("analytics.js/v1")
        || body.contains("analytics.min.js")
        || body.contains("_loadOptions")
}

fn is_write_key(key: &str) -> bool {
    let upper = key.to_ascii_uppercase();
    (6..=64).contains(&key.len())
        && key.bytes().all(|b| b.is_ascii_alphanumeric())
        && key.bytes().any(|b| b.is_ascii_alphabetic())
        && !upper.contains("YOUR")
        && !upper.contains("WRITEKEY")
}

/// A Segment loader with a write key, where it was found: offset, length, the install.
type KeyAt = (usize, usize, Install);

fn segment_in_code(sigs: &VendorSignatures, js: &Js, origin: &Origin, scan: &mut Scan) {
    analytics_next_in_code(sigs, js, origin, scan);
    let code = js.code();
    let anchors: Vec<regex::Captures> = sigs
        .anchor
        .iter()
        .flat_map(|p| p.captures_iter(code))
        .collect();
    let Some(first) = anchors
        .iter()
        .filter_map(|c| c.get(0))
        .min_by_key(|m| m.start())
    else {
        return;
    };
    let loader_host = anchors.iter().find_map(|c| group(c, "host"));
    if let Some(global) = first_capture(sigs, "global_key", code).filter(|g| g != "analytics") {
        scan.globals.push(global);
    }
    let cdn = first_capture(sigs, "cdn", code);
    let snippet_version = first_capture(sigs, "snippet_version", code);

    // The objects the snippet defines `load` on; `analytics` is Segment's global in any case.
    let mut receivers: Vec<String> = sigs
        .captures("receiver")
        .flat_map(|p| p.captures_iter(code))
        .filter(|c| {
            c.get(0)
                .is_some_and(|m| loads_analytics_js(&code[m.end()..]))
        })
        .filter_map(|c| group(&c, "value"))
        .collect();
    receivers.push("analytics".into());
    // Write keys with their load options, in order of appearance.
    let mut keys: Vec<KeyAt> = Vec::new();
    // A load call whose key is not in the code (from outside, or a placeholder), if no other.
    let mut unresolved: Option<Install> = None;
    for p in sigs.call.iter().filter(|p| p.name == "segment-load") {
        for m in p.find_iter(code) {
            let dot = m.start() + 1;
            if !receivers.iter().any(|r| r == receiver_before(code, dot)) {
                continue;
            }
            let open = m.end() - 1;
            // A call's text inside a string or a regular expression is no call.
            let Some(args) = js.call_args(open) else {
                continue;
            };
            let options = args
                .values
                .get(1)
                .and_then(Arg::as_object)
                .cloned()
                .unwrap_or_default();
            let evidence = origin.evidence(code, m.start(), args.end - m.start(), &p.name);
            let mut install = Install::new(Vendor::Segment, None, Via::Native, evidence);
            install.options = options;
            in_context(js, open, &mut install);
            let mut ids = read_id(js, args.values.first(), &mut install);
            ids.retain(|(k, _)| is_write_key(k));
            if ids.is_empty() {
                if install.id_from.is_some() || install.placeholder.is_some() {
                    unresolved.get_or_insert(install);
                }
                continue;
            }
            set_ids(&mut install, ids);
            keys.push((m.start(), args.end - m.start(), install));
        }
    }
    // A snippet in a string the code runs on its own (`<Script>{`…`}</Script>`) is read there.
    let outer = js.outer_code();
    for p in sigs.captures("write_key") {
        for c in p.captures_iter(outer) {
            let (Some(m), Some(key)) = (c.get(0), group(&c, "value")) else {
                continue;
            };
            let known = keys
                .iter()
                .any(|k| k.2.id.as_ref() == Some(&key) || k.2.alternative_ids.contains(&key));
            if !known && is_write_key(&key) {
                let evidence = origin.evidence(code, m.start(), m.len(), &p.name);
                let install = Install::new(Vendor::Segment, Some(key), Via::Native, evidence);
                keys.push((m.start(), m.len(), install));
            }
        }
    }
    keys.sort_by_key(|k| k.0);
    if keys.is_empty() {
        let first_outside = sigs
            .anchor
            .iter()
            .flat_map(|p| p.find_iter(outer))
            .map(|m| (m.start(), m.len()))
            .min();
        let install = match (unresolved, first_outside) {
            (Some(install), _) => install,
            (None, Some((at, len))) => {
                let evidence = origin.evidence(code, at, len, "segment-snippet");
                Install::new(Vendor::Segment, None, Via::Native, evidence)
            }
            (None, None) => return,
        };
        keys.push((first.start(), first.len(), install));
    }
    let host = cdn
        .as_deref()
        .and_then(host_of)
        .or(loader_host)
        .or_else(|| script_host(sigs, code))
        .unwrap_or_else(|| "cdn.segment.com".to_owned());
    let mut found = Vec::with_capacity(keys.len());
    for (at, len, mut install) in keys {
        install.cdn = Some(cdn.clone().unwrap_or_else(|| format!("https://{host}")));
        install.snippet_version = snippet_version.clone();
        found.push((install, (at, at + len)));
    }
    // `if (prod) analytics.load("A"); else analytics.load("B")`: one source, two environments.
    let anchor_starts: Vec<usize> = anchors
        .iter()
        .filter_map(|c| c.get(0))
        .map(|m| m.start())
        .collect();
    for install in merge_alternatives(js, &anchor_starts, found) {
        classify_segment(sigs, &host, install, scan);
    }
}

/// `AnalyticsBrowser.load({ writeKey, cdnURL, cdnSettings }, options)` from `@segment/analytics-next`.
fn analytics_next_in_code(sigs: &VendorSignatures, js: &Js, origin: &Origin, scan: &mut Scan) {
    let code = js.code();
    let mut found: Vec<(String, Install)> = Vec::new();
    // `AnalyticsBrowser.load({...})`, or any `.load({writeKey: ...})` once a bundler has renamed
    // the class (`t.load({writeKey:"..."})`): the object argument with `writeKey` is the tell.
    let mut seen: Vec<usize> = Vec::new();
    for p in sigs
        .call
        .iter()
        .filter(|p| p.name == "segment-analytics-next" || p.name == "segment-load")
    {
        for m in p.find_iter(code) {
            let open = m.end() - 1;
            // A call's text inside a string or a regular expression is no call.
            let Some(args) = js.call_args(open) else {
                continue;
            };
            let Some(settings) = args.values.first().and_then(Arg::as_object) else {
                continue;
            };
            if !settings.contains_key("writeKey") || seen.contains(&args.end) {
                continue;
            }
            seen.push(args.end);
            // jsobj keeps a non-literal value as its source text: look at the source to tell which.
            let call = &code[m.start()..args.end];
            let literal = call.split("writeKey").skip(1).any(|rest| {
                let rest = rest.trim_start();
                rest.strip_prefix(':')
                    .is_some_and(|v| v.trim_start().starts_with(['"', '\'', '`']))
            });
            // The syntax tree resolves a constant; a value it could not resolve stays its source
            // text, which is where the key comes from.
            let written = written_value(call, "writeKey");
            let value = settings.get("writeKey").and_then(|v| v.as_str());
            let (key, id_from) = match value {
                Some(v) if literal || (js.parsed() && Some(v) != written.as_deref()) => {
                    (Some(v.to_owned()), None)
                }
                Some(v) if !js.parsed() => (resolve_ident(code, v), None),
                Some(v) => (None, Some(v.to_owned())),
                None => (None, None),
            };
            let mut install = Install::new(
                Vendor::Segment,
                None,
                Via::Native,
                origin.evidence(code, m.start(), args.end - m.start(), &p.name),
            );
            match key {
                Some(k) if is_placeholder(&k) => install.placeholder = Some(k),
                Some(k) if is_write_key(&k) => install.id = Some(k),
                _ => install.id_from = id_from,
            }
            in_context(js, open, &mut install);
            install.options = args
                .values
                .get(1)
                .and_then(Arg::as_object)
                .cloned()
                .unwrap_or_default();
            let cdn = settings
                .get("cdnURL")
                .and_then(|v| v.as_str())
                .filter(|v| v.starts_with("http"));
            install.cdn = Some(
                cdn.unwrap_or("https://cdn.segment.com")
                    .trim_end_matches('/')
                    .to_owned(),
            );
            install.snippet_version = Some("npm".into());
            if settings.contains_key("cdnSettings") {
                install.settings = Some("embedded".into());
            }
            let host = install.cdn.as_deref().and_then(host_of).unwrap_or_default();
            found.push((host, install));
        }
    }
    // The library's own wrapper forwards a parameter (`AnalyticsBrowser.standalone(writeKey)`
    // calls `load({writeKey: e})`): in the library's code, or beside the app's real call, such a
    // call is not an install.
    let forwards = |i: &Install| {
        i.id_from.as_deref().is_some_and(|e| {
            e.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        })
    };
    let library = code.contains("standalone");
    let real = found.iter().filter(|(_, i)| !forwards(i)).count();
    for (host, install) in found {
        if !forwards(&install) || (real == 0 && !library) {
            classify_segment(sigs, &host, install, scan);
        }
    }
}

/// The source text of `key`'s value in an object literal written in `call` (`writeKey: KEY`).
fn written_value(call: &str, key: &str) -> Option<String> {
    call.match_indices(key).find_map(|(at, _)| {
        let rest = &call[at + key.len()..];
        let value = rest.trim_start().strip_prefix(':')?.trim_start();
        let end = value.find([',', '}', '\n']).unwrap_or(value.len());
        Some(
            value[..end]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        )
    })
}

/// The host a Segment-shaped snippet without Segment's loader URL loads its library from: a
/// look-alike's host if one is named, else the first host of a script URL in the code, unless
/// one of them is Segment's.
fn script_host(sigs: &VendorSignatures, code: &str) -> Option<String> {
    let hosts: Vec<String> = sigs
        .captures("script_host")
        .flat_map(|p| p.captures_iter(code))
        .filter_map(|c| group(&c, "value"))
        .map(|h| h.to_ascii_lowercase())
        .collect();
    if hosts.iter().any(|h| sigs.hosts.contains(h)) {
        return None;
    }
    let lookalike = hosts.iter().find(|h| sigs.lookalike_hosts.contains(h));
    lookalike.or(hosts.first()).cloned()
}

/// Segment's own host: an install. A known look-alike: nothing. Anything else: a candidate.
fn classify_segment(sigs: &VendorSignatures, host: &str, install: Install, scan: &mut Scan) {
    let host = host.to_ascii_lowercase();
    if sigs.lookalike_hosts.contains(&host) {
        return;
    }
    if sigs.hosts.contains(&host) {
        scan.installs.push(install);
    } else {
        scan.segment_candidates.push(install);
    }
}

fn segment_calls(sigs: &VendorSignatures, js: &Js, origin: &Origin) -> Vec<SegmentCall> {
    let mut calls: Vec<SegmentCall> = sigs
        .api
        .iter()
        .flat_map(|p| p.captures_iter(js.code()).map(move |c| (p, c)))
        .filter_map(|(p, c)| segment_call(js, &c, &p.name, origin))
        .collect();
    calls.sort_by_key(|c| c.evidence.line);
    calls
}

/// Calls to Segment's API made through a renamed global (`segmentAnalytics.track(…)`).
pub fn segment_calls_through(
    sigs: &Signatures,
    code: &str,
    global: &str,
    origin: &Origin,
) -> Vec<SegmentCall> {
    if !code.contains(global) {
        return Vec::new();
    }
    let pattern = format!(
        r"\b{}\.(?P<method>page|identify|track|group|alias)\s*\(",
        regex::escape(global)
    );
    let Ok(regex) = regex::Regex::new(&pattern) else {
        return Vec::new();
    };
    let name = sigs
        .segment
        .api
        .first()
        .map_or("segment-api-call", |p| p.name.as_str());
    let js = Js::read(code, js::Kind::Classic);
    regex
        .captures_iter(js.code())
        .filter_map(|c| segment_call(&js, &c, name, origin))
        .collect()
}

/// One call to Segment's API, matched with its `method` captured: whether `identify` passes an
/// `email` trait, and whether it is the snippet's own `analytics.page()`.
fn segment_call(js: &Js, c: &regex::Captures, name: &str, origin: &Origin) -> Option<SegmentCall> {
    let code = js.code();
    let (m, method) = (c.get(0)?, group(c, "method")?);
    // A call's text inside a string or a regular expression is no call.
    let args = js.call_args(m.end() - 1)?;
    let email_trait = method == "identify"
        && args
            .values
            .iter()
            .any(|a| a.as_object().is_some_and(|o| o.contains_key("email")));
    let from_snippet =
        method == "page" && args.values.is_empty() && follows_load_call(&code[..m.start()]);
    Some(SegmentCall {
        method,
        email_trait,
        from_snippet,
        evidence: origin.evidence(code, m.start(), args.end - m.start(), name),
    })
}

/// Whether the code before a call ends with an `….load("…")` statement: the snippet's own
/// `analytics.load("KEY"); analytics.page();` pair.
fn follows_load_call(before: &str) -> bool {
    let before = before.trim_end().trim_end_matches(';').trim_end();
    let Some(open) = before.rfind(".load(") else {
        return false;
    };
    let tail = &before[open..];
    tail.ends_with(')') && !tail[6..tail.len() - 1].contains(';')
}

fn gtm_in_code(sigs: &VendorSignatures, code: &str, origin: &Origin, out: &mut Vec<Install>) {
    let Some(anchor) = sigs
        .anchor
        .iter()
        .find_map(|p| p.captures(code).map(|c| (c, p)))
    else {
        return;
    };
    let (caps, p) = anchor;
    let Some(m) = caps.get(0) else { return };
    let host = group(&caps, "host");
    let options = gtm_options(sigs, code, host);
    let mut ids: Vec<String> = Vec::new();
    for c in sigs.captures("id").flat_map(|p| p.captures_iter(code)) {
        if let Some(id) = group(&c, "value").filter(|id| !ids.contains(id)) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        ids.push(String::new());
    }
    for id in ids {
        let mut install = Install::new(
            Vendor::Gtm,
            (!id.is_empty()).then_some(id),
            Via::Native,
            origin.evidence(code, m.start(), m.len(), &p.name),
        );
        install.options = options.clone();
        out.push(install);
    }
}

/// GTM parameters that change which container is served, and where from.
fn gtm_options(sigs: &VendorSignatures, text: &str, host: Option<String>) -> Map<String, Value> {
    let mut options = Map::new();
    for field in ["data_layer", "gtm_auth", "gtm_preview"] {
        if let Some(v) = first_capture(sigs, field, text)
            .filter(|v| !(field == "data_layer" && v == "dataLayer"))
        {
            options.insert(field.into(), Value::String(v));
        }
    }
    if let Some(host) = host.filter(|h| Some(h) != sigs.default_host.as_ref()) {
        options.insert("host".into(), Value::String(host));
    }
    options
}

fn library_in_code(sigs: &VendorSignatures, code: &str, origin: &Origin, out: &mut Vec<Install>) {
    for p in &sigs.anchor {
        for c in p.captures_iter(code) {
            let Some(m) = c.get(0) else { continue };
            let id = group(&c, "id");
            if out.iter().any(|i| i.vendor == sigs.vendor && i.id == id) {
                continue;
            }
            let mut install = Install::new(
                sigs.vendor,
                id,
                Via::Native,
                origin.evidence(code, m.start(), m.len(), &p.name),
            );
            if let Some(url) = group(&c, "url") {
                install
                    .options
                    .insert("url".into(), Value::String(https(&url)));
            }
            out.push(install);
        }
    }
}

fn group(c: &regex::Captures, name: &str) -> Option<String> {
    c.name(name).map(|m| m.as_str().to_owned())
}

fn first_capture(sigs: &VendorSignatures, field: &str, text: &str) -> Option<String> {
    sigs.captures(field)
        .find_map(|p| p.captures(text).and_then(|c| group(&c, "value")))
}

/// `//host/path` and `http://host/path` as `https://host/path`.
fn https(url: &str) -> String {
    let rest = url.trim_start_matches("https:").trim_start_matches("http:");
    format!("https:{rest}")
}

fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
}

/// The identifier just before a `.` at `dot` (`analytics` in `analytics.load`).
fn receiver_before(code: &str, dot: usize) -> &str {
    let head = &code[..dot.min(code.len())];
    let start = head
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '$'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &head[start..]
}

/// The string literal a plain identifier is declared with in the same code (`const NAME =
/// "value"`, `var NAME="value"`, `let a="x",NAME='value'`). Names of one or two characters
/// (minified locals, reused in every function of a bundle) and member expressions are not
/// guessed at.
fn resolve_ident(code: &str, name: &str) -> Option<String> {
    let name = name.trim();
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    if name.len() <= 2 || !name.chars().all(ident) || name.starts_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    for (at, _) in code.match_indices(name) {
        if code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| ident(c) || c == '.')
        {
            continue;
        }
        let before = code[..at].trim_end();
        let keyword = ["var", "let", "const"].iter().any(|kw| {
            before
                .strip_suffix(kw)
                .is_some_and(|b| !b.chars().next_back().is_some_and(ident))
        });
        let in_list = before.ends_with(',') && declares_list(before);
        if !(keyword || in_list) {
            continue;
        }
        let rest = code[at + name.len()..].trim_start();
        let Some(rest) = rest.strip_prefix('=').filter(|r| !r.starts_with('=')) else {
            continue;
        };
        let rest = rest.trim_start();
        let Some(quote) = rest
            .chars()
            .next()
            .filter(|c| matches!(c, '"' | '\'' | '`'))
        else {
            continue;
        };
        let body = &rest[1..];
        if let Some(end) = body.find(quote).filter(|&e| e <= 80) {
            let value = &body[..end];
            if !value.contains('\\') {
                return Some(value.to_owned());
            }
        }
    }
    None
}

/// Whether a `,` continues a declaration list (`var a="x",NAME=...`).
fn declares_list(before: &str) -> bool {
    let statement = before.rsplit([';', '{', '}']).next().unwrap_or("");
    ["var ", "let ", "const "]
        .iter()
        .any(|kw| statement.trim_start().starts_with(kw))
}

/// A short one-line excerpt of `code` around a match.
pub fn excerpt(code: &str, at: usize, len: usize) -> String {
    const BEFORE: usize = 30;
    const MAX: usize = 160;
    let floor = |mut i: usize| {
        i = i.min(code.len());
        while !code.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    // Start at the statement the match is in (after the last `;`, `{`, `}` or line break of the
    // lead-in), so the excerpt neither opens mid-word nor drags in the previous statement.
    let mut start = floor(at.saturating_sub(BEFORE));
    if let Some(cut) = code[start..at.min(code.len()).max(start)].rfind([';', '\n', '{', '}']) {
        start += cut + 1;
    }
    let end = floor((at + len.max(1)).max(start + 40).min(start + MAX));
    let text: String = code[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    text.chars().take(MAX).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Sdk;

    fn scan(code: &str) -> Scan {
        let sigs = Signatures::builtin().unwrap();
        scan_code(
            sigs,
            code,
            &Origin {
                source: "t.html",
                lines: Some(&Lines::new(code)),
                offset: 0,
                tag: None,
            },
        )
    }

    #[test]
    fn a_consent_manager_key_is_taken_within_its_configuration_only() {
        let config = |gap: usize| {
            format!(
                "window.consentManagerConfig = function (exports) {{ var text = '{}';\n\
                 return {{ container: '#target-container', writeKey: 'AbCdEfGh12345678' }} }}",
                "x".repeat(gap)
            )
        };
        let keys = |code: &str| -> Vec<String> {
            scan(code)
                .consent_manager
                .into_iter()
                .map(|(k, _)| k)
                .collect()
        };
        assert_eq!(keys(&config(100)), ["AbCdEfGh12345678"]);
        assert_eq!(keys(&config(2900)), ["AbCdEfGh12345678"]);
        assert!(keys(&config(3100)).is_empty());
    }

    /// A script met again (on another page, further down a page) is placed where it is met:
    /// its scan from the memo equals a scan made there, line, offset and source included.
    #[test]
    fn a_memoised_scan_is_placed_where_the_script_is_met() {
        let sigs = Signatures::builtin().unwrap();
        // Heap, Segment (with a call and a nested `document.write`), over several lines.
        let code = "\n  window.heap=window.heap||[],heap.load=function(e,t){window.heap.appid=e;\n  \
                    var r=document.createElement(\"script\");r.src=\"https://cdn.heapanalytics.com/js/heap-\"+e+\".js\"};\n  \
                    heap.load(\"2682025610\");\n  \
                    !function(){var analytics=window.analytics=window.analytics||[];analytics.load=function(key){var t=document.createElement(\"script\");\n  \
                    t.src=\"https://cdn.segment.com/analytics.js/v1/\"+key+\"/analytics.min.js\"};\n  \
                    analytics.SNIPPET_VERSION=\"4.15.3\";analytics.load(\"AbCdEfGh12345678\");analytics.page();}();\n  \
                    analytics.identify(\"u1\", {email: \"a@b.example\"});\n  \
                    document.write('<script src=\"https://www.googletagmanager.com/gtm.js?id=GTM-ABC123\"><\\/script>');\n";
        let page = |before: &str| format!("<html>\n{before}<script>{code}</script>\n</html>");
        let (first, second) = (page(""), page("<p>\n\n\n</p>\n<div>text</div>\n"));
        for (text, source) in [(&first, "a.html"), (&second, "b.html"), (&first, "c.html")] {
            let lines = Lines::new(text);
            let offset = text.find(code).unwrap();
            let origin = Origin {
                source,
                lines: Some(&lines),
                offset,
                tag: None,
            };
            let memoised = scan_script(sigs, code, js::Kind::Classic, &origin);
            let once = scan_script_once(sigs, code, js::Kind::Classic, &origin);
            assert_eq!(memoised.installs.len(), 3, "{memoised:#?}");
            assert_eq!(memoised.calls.len(), 2, "{memoised:#?}");
            assert_eq!(memoised, once, "{source}");
            // Without lines (a script file's text given alone), none are made up.
            let bare = Origin {
                lines: None,
                ..origin
            };
            let memoised = scan_script(sigs, code, js::Kind::Classic, &bare);
            assert_eq!(
                memoised,
                scan_script_once(sigs, code, js::Kind::Classic, &bare)
            );
            assert!(memoised.installs.iter().all(|i| i.evidence.line.is_none()));
        }
        // The second page's lines are its own: the loader sits 5 lines further down.
        let line = |text: &String| {
            let lines = Lines::new(text);
            let origin = Origin {
                source: "x",
                lines: Some(&lines),
                offset: text.find(code).unwrap(),
                tag: None,
            };
            scan_script(sigs, code, js::Kind::Classic, &origin).installs[0]
                .evidence
                .line
        };
        assert_eq!(line(&second).unwrap(), line(&first).unwrap() + 5);
    }

    #[test]
    fn resolves_a_heap_id_held_in_a_variable() {
        let code = r#"var HEAP_APP_ID = "2682025610"; window.heap=window.heap||[],heap.load=function(e,t){window.heap.appid=e;var r=document.createElement("script");r.src="https://cdn.heapanalytics.com/js/heap-"+e+".js"}; heap.load(HEAP_APP_ID);"#;
        let s = scan(code);
        assert_eq!(s.installs.len(), 1);
        assert_eq!(s.installs[0].id.as_deref(), Some("2682025610"));
        assert_eq!(s.installs[0].sdk, Some(Sdk::Classic));
    }

    #[test]
    fn an_id_a_tag_manager_or_template_fills_in_is_id_from() {
        let snippet = r#"window.heap=window.heap||[],heap.load=function(e,t){window.heap.appid=e;var r=document.createElement("script");r.src="https://cdn.heapanalytics.com/js/heap-"+e+".js"};"#;
        for expr in [
            "{{macro:3}}",
            "{{ site.heap_app_id }}",
            "<%= ENV['HEAP_APP_ID'] %>",
        ] {
            let s = scan(&format!("{snippet} heap.load(\"{expr}\");"));
            assert_eq!(s.installs.len(), 1, "{expr}");
            assert_eq!(s.installs[0].id, None);
            assert_eq!(s.installs[0].id_from.as_deref(), Some(expr));
        }
    }

    #[test]
    fn heap_load_without_a_loader_is_not_heap() {
        let s = scan("const heap = new BinaryHeap(); heap.push(3); heap.load([1,2,3]); heap.load('1234567890');");
        assert!(s.installs.is_empty(), "{:?}", s.installs);
    }

    #[test]
    fn segment_key_excludes_heap_load_and_placeholders() {
        let code = r#"!function(){var a=window.analytics=window.analytics||[];a.load=function(b){d.src="https://cdn.segment.com/analytics.js/v1/"+b+"/analytics.min.js"};a.SNIPPET_VERSION="4.1.0";heap.load("1234567890");a.load("YOUR_WRITE_KEY");a.load("bKVNiLl0RNlUfe2nS5JiKvEjrZX5mbKY")}();"#;
        let s = scan(code);
        let keys: Vec<_> = s
            .installs
            .iter()
            .filter(|i| i.vendor == Vendor::Segment)
            .map(|i| i.id.clone())
            .collect();
        assert_eq!(
            keys,
            vec![Some("bKVNiLl0RNlUfe2nS5JiKvEjrZX5mbKY".to_owned())]
        );
        assert_eq!(s.installs[0].snippet_version.as_deref(), Some("4.1.0"));
    }

    #[test]
    fn custom_proxy_is_a_candidate_and_lookalike_is_nothing() {
        let proxy = r#"analytics.load=function(key,n){t.src="https://evs.example-proxy.com/yvbu21dbeC/x.min.js"};analytics._writeKey="Bj8l9tfy18TcGSOckGO9nm6RGkTWTWLB";analytics._cdn = "https://evs.example-proxy.com";analytics.SNIPPET_VERSION="4.15.3";analytics.load("Bj8l9tfy18TcGSOckGO9nm6RGkTWTWLB");"#;
        let s = scan(proxy);
        assert!(s.installs.is_empty());
        assert_eq!(s.segment_candidates.len(), 1);
        assert_eq!(
            s.segment_candidates[0].cdn.as_deref(),
            Some("https://evs.example-proxy.com")
        );
        let clone = r#"analytics.load=function(t){e.src="https://cdn.astronomer.io/analytics.js/v1/"+t+"/analytics.min.js"};analytics.SNIPPET_VERSION="4.1.0";analytics.load("AbCdEfGh12345678AbCdEfGh12345678");"#;
        let s = scan(clone);
        assert!(s.installs.is_empty() && s.segment_candidates.is_empty());
    }

    #[test]
    fn analytics_next_from_npm() {
        let code = r#"const WRITE_KEY="Zx81LmQp3RstUvW0yAbC4dEfGh5iJkLm";export const analytics=AnalyticsBrowser.load({writeKey:WRITE_KEY},{integrations:{Heap:false}});"#;
        let s = scan(code);
        assert_eq!(s.installs.len(), 1);
        assert_eq!(
            s.installs[0].id.as_deref(),
            Some("Zx81LmQp3RstUvW0yAbC4dEfGh5iJkLm")
        );
        assert_eq!(
            s.installs[0].options["integrations"]["Heap"],
            Value::Bool(false)
        );
    }

    #[test]
    fn other_load_calls_next_to_a_snippet_are_not_write_keys() {
        let code = r#"!function(){var analytics=window.analytics=window.analytics||[];analytics.load=function(key,e){var t=document.createElement("script");t.src="https://cdn.segment.com/analytics.js/v1/" + key + "/analytics.min.js"};analytics.SNIPPET_VERSION="4.15.3";analytics.load("Q1w2E3r4T5y6U7i8O9p0AsDfGhJkLzXc");analytics.page()}();i18n.load("translations");WebFont.load("Roboto");player.load("intro-video")"#;
        let s = scan(code);
        let keys: Vec<_> = s.installs.iter().map(|i| i.id.as_deref()).collect();
        assert_eq!(keys, vec![Some("Q1w2E3r4T5y6U7i8O9p0AsDfGhJkLzXc")]);
    }

    #[test]
    fn environment_switches_are_one_loader_with_alternatives() {
        let loader = r#"window.heap=window.heap||[],heap.load=function(e,t){window.heap.appid=e;r.src="https://cdn.heapanalytics.com/js/heap-"+e+".js"};"#;
        for code in [
            format!(
                r#"{loader}if(location.hostname==="www.example.com"){{heap.load("2682025610")}}else{{heap.load("181194367")}}"#
            ),
            format!(r#"{loader}heap.load(window.ENV==="production"?"2682025610":"181194367");"#),
        ] {
            let s = scan(&code);
            assert_eq!(s.installs.len(), 1, "{code}");
            assert_eq!(s.installs[0].id.as_deref(), Some("2682025610"));
            assert_eq!(s.installs[0].alternative_ids, vec!["181194367"]);
        }
        // Two snippets one after the other are two loads.
        let twice = format!(r#"{loader}heap.load("2682025610");{loader}heap.load("181194367");"#);
        assert_eq!(scan(&twice).installs.len(), 2);
    }

    const LOADER: &str = r#"window.heap=window.heap||[],heap.load=function(e,t){window.heap.appid=e,window.heap.config=t=t||{};var r=document.createElement("script");r.src="https://cdn.heapanalytics.com/js/heap-"+e+".js"};"#;

    #[test]
    fn switch_cases_are_alternatives_but_separate_snippets_are_not() {
        let switch = format!(
            r#"{LOADER}switch(window.ENV){{case "production":heap.load("2682025610");break;case "staging":heap.load("181194367");break}}"#
        );
        let s = scan(&switch);
        assert_eq!(s.installs.len(), 1, "{:?}", s.installs);
        assert_eq!(s.installs[0].alternative_ids, vec!["181194367"]);
        // Two whole snippets, with unrelated code holding an `else` between them: two loads.
        let two = format!(
            r#"{LOADER}heap.load("2682025610");if(a){{b()}}else{{c()}}{LOADER}heap.load("181194367");"#
        );
        assert_eq!(scan(&two).installs.len(), 2);
    }

    #[test]
    fn short_minified_names_are_not_resolved_to_ids() {
        let code = r#"var e="404";var a={initialize:function(e){window.heap=window.heap||[],window.heap.load=function(e,t){window.heap.appid=e;n.src="https://cdn.heapanalytics.com/js/heap-"+e+".js"},window.heap.load(e)}};"#;
        let s = scan(code);
        assert!(
            s.installs.iter().all(|i| i.id.as_deref() != Some("404")),
            "{:?}",
            s.installs
        );
    }

    #[test]
    fn reading_heap_appid_is_not_a_loader() {
        let code =
            r#"function sameApp(cfg){return window.heap&&window.heap.appid===cfg.heapAppId}"#;
        assert!(scan(code).installs.is_empty());
    }

    #[test]
    fn only_the_snippet_load_function_carries_write_keys() {
        let code = r#"!function(){var analytics=window.analytics=window.analytics||[];analytics.load=function(key,e){var t=document.createElement("script");t.src="https://cdn.segment.com/analytics.js/v1/" + key + "/analytics.min.js";analytics._loadOptions=e};analytics.SNIPPET_VERSION="4.15.3";analytics.load("Q1w2E3r4T5y6U7i8O9p0AsDfGhJkLzXc")}();var fonts={};fonts.load=function(n){return document.fonts.load("1em "+n)};fonts.load("InterRegular");"#;
        let keys: Vec<_> = scan(code).installs.iter().map(|i| i.id.clone()).collect();
        assert_eq!(
            keys,
            vec![Some("Q1w2E3r4T5y6U7i8O9p0AsDfGhJkLzXc".to_owned())]
        );
    }

    #[test]
    fn segment_write_key_switch_is_one_source_with_an_alternative() {
        let code = r#"!function(){var analytics=window.analytics=window.analytics||[];analytics.load=function(key,e){var t=document.createElement("script");t.src="https://cdn.segment.com/analytics.js/v1/" + key + "/analytics.min.js";analytics._loadOptions=e};analytics.SNIPPET_VERSION="4.1.0";if(location.hostname==="www.example.com"){analytics.load("q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH")}else{analytics.load("bKVNiLl0RNlUfe2nS5JiKvEjrZX5mbKY")}analytics.page()}();"#;
        let s = scan(code);
        assert_eq!(s.installs.len(), 1, "{:?}", s.installs);
        assert_eq!(
            s.installs[0].id.as_deref(),
            Some("q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH")
        );
        assert_eq!(
            s.installs[0].alternative_ids,
            vec!["bKVNiLl0RNlUfe2nS5JiKvEjrZX5mbKY"]
        );
    }

    #[test]
    fn bundler_renamed_analytics_browser() {
        let code = r#"import{A as t}from"./vendor.js";const o=t.load({writeKey:"Zx81LmQp3RstUvW0yAbC4dEfGh5iJkLm"},{integrations:{Heap:!1}});"#;
        let s = scan(code);
        assert_eq!(s.installs.len(), 1);
        assert_eq!(
            s.installs[0].id.as_deref(),
            Some("Zx81LmQp3RstUvW0yAbC4dEfGh5iJkLm")
        );
        assert_eq!(s.installs[0].snippet_version.as_deref(), Some("npm"));
    }

    #[test]
    fn wrapper_initialize_needs_a_heap_shaped_id() {
        let code = r#"var a={initialize:function(e){window.heap=window.heap||[],window.heap.load=function(e,t){window.heap.appid=e;n.src="https://cdn.heapanalytics.com/js/heap-"+e+".js"},window.heap.load(e)}};carousel.initialize(1);tabs.initialize("main");a.initialize("2682025610");"#;
        let ids: Vec<_> = scan(code).installs.iter().map(|i| i.id.clone()).collect();
        assert_eq!(ids, vec![Some("2682025610".to_owned())]);
    }

    #[test]
    fn member_expressions_are_not_guessed() {
        let code = r#"window.heap=window.heap||[],heap.load=function(e,t){window.heap.appid=e;r.src="https://cdn.heapanalytics.com/js/heap-"+e+".js"};var defaults={appId:"1111111111"};heap.load(this.options.appId);"#;
        let s = scan(code);
        assert_eq!(s.installs.len(), 1);
        assert_eq!(s.installs[0].id, None);
    }

    #[test]
    fn self_hosted_analytics_next_bundle() {
        let code = r#"var e=window.analyticsWriteKey="Q1w2E3r4T5y6U7i8O9p0AsDfGhJkLzXc";function t(){return/http.*\/analytics\.js\/v1\/([^/]*)(\/platform)?\/analytics.*/}"#;
        let s = scan(code);
        assert_eq!(s.installs.len(), 1, "{:?}", s);
        assert_eq!(
            s.installs[0].id.as_deref(),
            Some("Q1w2E3r4T5y6U7i8O9p0AsDfGhJkLzXc")
        );
        assert!(scan(r#"window.analyticsWriteKey="__WRITE_KEY__""#)
            .installs
            .is_empty());
    }

    #[test]
    fn segment_calls_with_email() {
        let s = scan(
            r#"analytics.identify("u1", {email: "a@b.c"}); analytics.page(); window.analytics.track("x")"#,
        );
        let calls: Vec<_> = s
            .calls
            .iter()
            .map(|c| (c.method.as_str(), c.email_trait))
            .collect();
        assert_eq!(
            calls,
            vec![("identify", true), ("page", false), ("track", false)]
        );
    }

    #[test]
    fn gtm_is_not_ga4() {
        assert!(scan("gtag('config','G-ABC123'); s.src='https://www.googletagmanager.com/gtag/js?id=G-ABC123'").installs.is_empty());
        let s = scan("(function(w,d,s,l,i){j.src='https://www.googletagmanager.com/gtm.js?id='+i+dl+ '&gtm_auth=abc&gtm_preview=env-2';})(window,document,'script','myLayer','GTM-ABC1234');");
        assert_eq!(s.installs.len(), 1);
        assert_eq!(s.installs[0].id.as_deref(), Some("GTM-ABC1234"));
        assert_eq!(s.installs[0].options["data_layer"], "myLayer");
        assert_eq!(s.installs[0].options["gtm_auth"], "abc");
    }

    #[test]
    fn excerpt_is_short_single_line_and_char_safe() {
        let code = "é\n\n  heap.load(\"1\")  \n".repeat(20);
        let e = excerpt(&code, 5, 10);
        assert!(!e.contains('\n') && e.chars().count() <= 160);
    }

    /// A source file of a project, scanned as the source mode does.
    fn scan_file(name: &str, code: &str) -> Scan {
        let sigs = Signatures::builtin().unwrap();
        let kind = js::Kind::of_path(name).expect("a script file");
        scan_script(
            sigs,
            code,
            kind,
            &Origin {
                source: name,
                lines: Some(&Lines::new(code)),
                offset: 0,
                tag: None,
            },
        )
    }

    fn conditions(install: &Install) -> Vec<(Option<&str>, &str)> {
        install
            .branches
            .iter()
            .map(|b| (b.id.as_deref(), b.condition.as_str()))
            .collect()
    }

    #[test]
    fn next_app_layout_heap_with_an_env_id_in_a_template() {
        let code = include_str!("../../fixtures/components/app-layout.tsx");
        let s = scan_file("app/layout.tsx", code);
        assert_eq!(s.installs.len(), 1, "{:#?}", s.installs);
        let heap = &s.installs[0];
        assert_eq!(heap.vendor, Vendor::Heap);
        assert_eq!(heap.sdk, Some(Sdk::V5));
        assert_eq!(heap.id, None);
        assert_eq!(
            heap.id_from.as_deref(),
            Some("process.env.NEXT_PUBLIC_HEAP_APP_ID")
        );
        assert_eq!(heap.options["disableTextCapture"], Value::Bool(true));
        assert!(heap.branches.is_empty() && heap.gate.is_none());
        // The evidence points into the file, at the `heap.load` of the template.
        let line = code
            .lines()
            .position(|l| l.contains("heap.load(\"${"))
            .unwrap();
        assert_eq!(heap.evidence.source, "app/layout.tsx");
        assert!(heap.evidence.line.is_some_and(|l| l as usize <= line + 1));
    }

    #[test]
    fn jsx_ternary_and_and_make_alternatives_and_branches() {
        let code = include_str!("../../fixtures/components/Analytics.tsx");
        let s = scan_file("components/Analytics.tsx", code);
        assert_eq!(s.installs.len(), 2, "{:#?}", s.installs);
        let segment = s
            .installs
            .iter()
            .find(|i| i.vendor == Vendor::Segment)
            .unwrap();
        assert_eq!(
            segment.id.as_deref(),
            Some("q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH")
        );
        assert_eq!(
            segment.alternative_ids,
            vec!["bKVNiLl0RNlUfe2nS5JiKvEjrZX5mbKY"]
        );
        assert_eq!(
            conditions(segment),
            vec![
                (
                    Some("q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH"),
                    "process.env.NEXT_PUBLIC_VERCEL_ENV === 'production'"
                ),
                (Some("bKVNiLl0RNlUfe2nS5JiKvEjrZX5mbKY"), "else"),
            ]
        );
        let heap = s
            .installs
            .iter()
            .find(|i| i.vendor == Vendor::Heap)
            .unwrap();
        assert_eq!(heap.id.as_deref(), Some("1884442793"));
        assert_eq!(conditions(heap), vec![(Some("1884442793"), "isProd")]);
        assert!(heap.alternative_ids.is_empty() && heap.gate.is_none());
    }

    #[test]
    fn next_document_reads_the_rendered_snippet_not_the_docs_string_or_comments() {
        let code = include_str!("../../fixtures/components/_document.tsx");
        let s = scan_file("pages/_document.tsx", code);
        let found: Vec<_> = s
            .installs
            .iter()
            .map(|i| (i.vendor, i.id.as_deref()))
            .collect();
        // Not the docs string's `1111111111`, not the commented-out Segment `<script>`.
        assert_eq!(found, vec![(Vendor::Heap, Some("2682025610"))]);
        assert_eq!(s.installs[0].options["secureCookie"], Value::Bool(true));
        assert!(s.segment_candidates.is_empty());
        // The same string, rendered, counts.
        let rendered = code.replace("__html: heapSnippet", "__html: docs");
        let s = scan_file("pages/_document.tsx", &rendered);
        let ids: Vec<_> = s.installs.iter().map(|i| i.id.as_deref()).collect();
        assert_eq!(ids, vec![Some("1111111111")]);
    }

    #[test]
    fn remix_root_with_a_loader_id_behind_a_production_ternary() {
        let code = include_str!("../../fixtures/components/root.tsx");
        let s = scan_file("app/root.tsx", code);
        assert_eq!(s.installs.len(), 1, "{:#?}", s.installs);
        let heap = &s.installs[0];
        assert_eq!(heap.vendor, Vendor::Heap);
        assert_eq!(heap.id, None);
        assert_eq!(heap.id_from.as_deref(), Some("data.ENV.HEAP_APP_ID"));
        assert_eq!(
            conditions(heap),
            vec![(None, "process.env.NODE_ENV === 'production'")]
        );
    }

    #[test]
    fn nuxt_plugin_use_head_inner_html() {
        let code = include_str!("../../fixtures/components/segment.client.ts");
        let s = scan_file("plugins/segment.client.ts", code);
        assert_eq!(s.installs.len(), 1, "{:#?}", s);
        let segment = &s.installs[0];
        assert_eq!(segment.vendor, Vendor::Segment);
        assert_eq!(segment.id, None);
        assert_eq!(
            segment.id_from.as_deref(),
            Some("config.public.segmentWriteKey")
        );
        assert_eq!(segment.snippet_version.as_deref(), Some("5.2.1"));
        assert_eq!(segment.options["integrations"]["Heap"], Value::Bool(false));
    }

    #[test]
    fn nuxt_config_app_head_script_src() {
        let code = include_str!("../../fixtures/components/nuxt.config.ts");
        let s = scan_file("nuxt.config.ts", code);
        let found: Vec<_> = s
            .installs
            .iter()
            .map(|i| (i.vendor, i.id.as_deref(), i.sdk))
            .collect();
        assert_eq!(
            found,
            vec![(Vendor::Heap, Some("3180826004"), Some(Sdk::Classic))]
        );
        assert_eq!(
            s.installs[0].evidence.snippet,
            "<script src=\"https://cdn.heapanalytics.com/js/heap-3180826004.js\">"
        );
    }

    #[test]
    fn gatsby_ssr_set_head_components_counts_the_snippet_once() {
        let code = include_str!("../../fixtures/components/gatsby-ssr.js");
        let s = scan_file("gatsby-ssr.js", code);
        let found: Vec<_> = s
            .installs
            .iter()
            .map(|i| (i.vendor, i.id.as_deref()))
            .collect();
        assert_eq!(
            found,
            vec![(Vendor::Segment, Some("Q1w2E3r4T5y6U7i8O9p0AsDfGhJkLzXc"))]
        );
        assert_eq!(s.installs[0].snippet_version.as_deref(), Some("4.15.3"));
        // The snippet's own `analytics.page()` is read as the snippet's.
        assert!(s.calls.iter().any(|c| c.method == "page" && c.from_snippet));
    }

    #[test]
    fn helmet_script_child_behind_a_flag_is_gated() {
        let code = include_str!("../../fixtures/components/SEO.jsx");
        let s = scan_file("src/components/SEO.jsx", code);
        assert_eq!(s.installs.len(), 1, "{:#?}", s.installs);
        let heap = &s.installs[0];
        assert_eq!(heap.id.as_deref(), Some("4062471324"));
        let gate = heap.gate.as_ref().expect("a gate");
        assert_eq!(
            (gate.kind.as_str(), gate.condition.as_str()),
            ("runtime", "enableHeap")
        );
        assert!(heap.branches.is_empty());
    }

    #[test]
    fn segment_script_src_with_an_env_key_is_id_from() {
        let code = r#"import Script from "next/script";
export default function Segment() {
  return <Script strategy="afterInteractive" src={`https://cdn.segment.com/analytics.js/v1/${process.env.NEXT_PUBLIC_SEGMENT_WRITE_KEY}/analytics.min.js`} />;
}"#;
        let s = scan_file("components/Segment.tsx", code);
        assert_eq!(s.installs.len(), 1, "{:#?}", s);
        let segment = &s.installs[0];
        assert_eq!(segment.vendor, Vendor::Segment);
        assert_eq!(segment.id, None);
        assert_eq!(
            segment.id_from.as_deref(),
            Some("process.env.NEXT_PUBLIC_SEGMENT_WRITE_KEY")
        );
        assert!(
            segment
                .evidence
                .snippet
                .contains("${process.env.NEXT_PUBLIC_SEGMENT_WRITE_KEY}"),
            "{}",
            segment.evidence.snippet
        );
    }

    #[test]
    fn gtm_in_a_next_script_is_one_container() {
        let code = r#"import Script from 'next/script';
export function GoogleTagManager() {
  return (
    <Script id="gtm" strategy="afterInteractive" dangerouslySetInnerHTML={{ __html: `(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':new Date().getTime(),event:'gtm.js'});var f=d.getElementsByTagName(s)[0],j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;j.src='https://www.googletagmanager.com/gtm.js?id='+i+dl;f.parentNode.insertBefore(j,f);})(window,document,'script','dataLayer','GTM-K9X2P4Q');` }} />
  );
}"#;
        let s = scan_file("components/GoogleTagManager.tsx", code);
        let found: Vec<_> = s
            .installs
            .iter()
            .map(|i| (i.vendor, i.id.as_deref()))
            .collect();
        assert_eq!(found, vec![(Vendor::Gtm, Some("GTM-K9X2P4Q"))]);
    }
}
