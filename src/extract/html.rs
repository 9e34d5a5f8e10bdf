//! A small, forgiving HTML scanner that pulls out what an audit needs: scripts (inline code and
//! `src`), links to follow, noscript iframes, CSP `<meta>` tags and Heap's privacy attributes.
//!
//! It is not a tree builder: it follows the tokenizer rules that decide what is *code* and what is
//! *text* (comments, `<textarea>`/`<title>` RCDATA, `<style>`/`<iframe>` raw text, `<script>` data),
//! which is exactly what separates a real snippet from one shown as text. It keeps byte offsets so
//! findings can name a line, which tree builders such as `scraper` throw away. It never fails:
//! broken markup degrades to fewer facts, not to an error.

use std::borrow::Cow;

use crate::model::Privacy;

/// How a `<script>` element's content is treated by a browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptKind {
    /// Classic or module JavaScript (including GTM's `text/gtmscript` and consent-gated `text/plain`).
    Code,
    /// A data block (`application/ld+json`, `text/template`, ...) or a script inside a
    /// `<template>`: not executed as it stands.
    Data,
}

/// One `<script>` element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    /// The `src` attribute, entity-decoded, unresolved.
    pub src: Option<String>,
    /// The inline text between the tags.
    pub code: String,
    /// Byte offset of the inline text in the document.
    pub offset: usize,
    pub kind: ScriptKind,
    /// Inside `<noscript>`: does not run in a browser with JavaScript.
    pub in_noscript: bool,
    /// Has the `nomodule` attribute: the legacy-browser twin of a module script; modern
    /// browsers skip it.
    pub nomodule: bool,
    /// `type="module"`: a browser runs each module URL once per page, however often it is listed.
    pub module: bool,
    /// Held back by a consent manager until the visitor consents (`type="text/plain"` with the
    /// manager's marker): the script runs only then.
    pub blocked: Option<Blocked>,
}

/// A script a consent manager holds back: which manager (when its marker is recognised), the
/// category, purpose or service it waits for, and the attributes that say so, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocked {
    pub manager: Option<&'static str>,
    pub category: Option<String>,
    pub condition: String,
}

/// The consent marker of a `type="text/plain"` script: Cookiebot's `data-cookieconsent`,
/// OneTrust's `optanon-category-*` class, Usercentrics' `data-usercentrics`, Klaro's `data-name`
/// (with `data-type`), iubenda's `_iub_cs_activate` class with `data-iub-purposes`, and the
/// `data-category` of other managers. Anything else `text/plain` is data to a browser, but a
/// consent manager may still release it: it is kept as blocked by an unknown manager.
fn blocked(tag: &StartTag) -> Option<Blocked> {
    let ty = tag.attr("type")?.trim();
    if !ty.eq_ignore_ascii_case("text/plain") {
        return None;
    }
    let class = tag.attr("class").unwrap_or("");
    let with = |manager: &'static str, category: Option<&str>, attribute: String| Blocked {
        manager: Some(manager),
        category: category.map(str::to_owned),
        condition: format!("type=\"text/plain\" {attribute}"),
    };
    if let Some(c) = tag.attr("data-cookieconsent") {
        if c.trim().eq_ignore_ascii_case("ignore") {
            return None;
        }
        return Some(with(
            "cookiebot",
            Some(c),
            format!("data-cookieconsent=\"{c}\""),
        ));
    }
    if let Some(c) = class
        .split_whitespace()
        .find_map(|c| c.strip_prefix("optanon-category-"))
    {
        return Some(with("onetrust", Some(c), format!("class=\"{class}\"")));
    }
    if let Some(service) = tag.attr("data-usercentrics") {
        let attribute = format!("data-usercentrics=\"{service}\"");
        return Some(with("usercentrics", Some(service), attribute));
    }
    if class.split_whitespace().any(|c| c == "_iub_cs_activate") {
        let purposes = tag.attr("data-iub-purposes");
        return Some(with("iubenda", purposes, format!("class=\"{class}\"")));
    }
    if let (Some(name), Some(_)) = (tag.attr("data-name"), tag.attr("data-type")) {
        return Some(with("klaro", Some(name), format!("data-name=\"{name}\"")));
    }
    let category = tag
        .attr("data-category")
        .or_else(|| tag.attr("data-consent"))
        .map(str::to_owned);
    Some(Blocked {
        manager: None,
        condition: "type=\"text/plain\"".to_owned(),
        category,
    })
}

/// The facts of one HTML document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Document {
    pub scripts: Vec<Script>,
    /// `href`s of `<a>`, `<area>` and `<link rel=alternate>`, unresolved.
    pub links: Vec<String>,
    /// `src` of each `<iframe>` with its byte offset and whether it sits in `<noscript>`.
    pub iframes: Vec<(String, usize, bool)>,
    /// `<meta http-equiv="Content-Security-Policy" content=...>` values.
    pub meta_csp: Vec<String>,
    /// `<base href>`, if any.
    pub base_href: Option<String>,
    pub privacy: Privacy,
}

/// Elements whose content is RCDATA or raw text up to their end tag (in HTML content).
const RAW_TEXT: &[&str] = &[
    "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes",
];

/// Start tags that break out of SVG/MathML content back into HTML.
const BREAKOUT: &[&str] = &[
    "b",
    "big",
    "blockquote",
    "body",
    "br",
    "center",
    "code",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "hr",
    "i",
    "img",
    "li",
    "listing",
    "menu",
    "meta",
    "nobr",
    "ol",
    "p",
    "pre",
    "ruby",
    "s",
    "small",
    "span",
    "strong",
    "strike",
    "sub",
    "sup",
    "table",
    "tt",
    "u",
    "ul",
    "var",
];

/// HTML elements that commonly hold inline SVG or MathML: their end tag in that content is taken
/// to close an open element around it (the scanner keeps no stack of HTML elements).
const CONTAINERS: &[&str] = &[
    "a", "article", "aside", "b", "button", "center", "dd", "details", "div", "dl", "dt", "em",
    "figure", "font", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "i", "label",
    "li", "main", "nav", "object", "ol", "picture", "section", "small", "span", "strong",
    "summary", "table", "tbody", "td", "th", "tr", "ul",
];

/// HTML elements that have no end tag.
const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img", "input",
    "keygen", "link", "meta", "param", "source", "track", "wbr",
];

/// Start tags in body after which a `<frameset>` is ignored (the spec's "frameset-ok" flag).
const FRAMESET_NOT_OK: &[&str] = &[
    "body", "pre", "listing", "li", "dd", "dt", "button", "applet", "marquee", "object", "table",
    "area", "br", "embed", "img", "image", "keygen", "wbr", "hr", "textarea", "xmp", "iframe",
    "select",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ns {
    Html,
    Svg,
    Math,
}

/// An element open inside SVG or MathML content (or an HTML element inside an integration point
/// there), so that end tags and break-out tags find their way back to HTML.
#[derive(Debug)]
struct Frame {
    ns: Ns,
    name: String,
    /// A MathML `annotation-xml` whose encoding makes it an HTML integration point.
    html_annotation: bool,
    /// Index in `Document::scripts` of an SVG script collecting its text.
    script: Option<usize>,
}

impl Frame {
    fn html_integration(&self) -> bool {
        match self.ns {
            Ns::Svg => matches!(&*self.name, "foreignobject" | "desc" | "title"),
            Ns::Math => self.html_annotation,
            Ns::Html => false,
        }
    }

    fn text_integration(&self) -> bool {
        self.ns == Ns::Math && matches!(&*self.name, "mi" | "mo" | "mn" | "ms" | "mtext")
    }
}

struct Scanner<'a, 's> {
    html: &'a str,
    doc: Document,
    /// Where links go as they are found: `doc.links`, or the caller's own sink.
    links: Option<&'s mut dyn FnMut(&str)>,
    in_noscript: bool,
    /// Scripts inside <template> are inert until the template is cloned by code.
    template_depth: usize,
    /// Open elements since the last entry into SVG/MathML content; empty in plain HTML.
    foreign: Vec<Frame>,
    /// False once something makes a later `<frameset>` be ignored.
    frameset_ok: bool,
    /// Everything after this point is text or ignored (`<plaintext>`, a `<frameset>` in effect).
    done: bool,
    /// One attribute buffer for the whole document: a start tag costs no allocation unless a name
    /// has upper case or a value has a character reference.
    attrs: Attrs<'a>,
}

/// Scan a whole document.
pub fn parse(html: &str) -> Document {
    scan(html, None)
}

/// Scan a whole document, handing each link's `href` (entity-decoded, unresolved) to `link` as it
/// is found instead of keeping it in [`Document::links`]: a page of a hundred thousand links then
/// costs no memory for them.
pub fn parse_streaming(html: &str, link: &mut dyn FnMut(&str)) -> Document {
    scan(html, Some(link))
}

fn scan(html: &str, links: Option<&mut dyn FnMut(&str)>) -> Document {
    let mut scanner = Scanner {
        html,
        doc: Document::default(),
        links,
        in_noscript: false,
        template_depth: 0,
        foreign: Vec::new(),
        frameset_ok: true,
        done: false,
        attrs: Vec::new(),
    };
    scanner.run(0, html.len());
    scanner.doc
}

impl<'a> Scanner<'a, '_> {
    /// Is a start tag seen now processed as HTML (not as SVG/MathML content)?
    fn html_start(&self, name: &str) -> bool {
        match self.foreign.last() {
            None => true,
            Some(top) => {
                top.ns == Ns::Html
                    || top.html_integration()
                    || (top.text_integration() && !matches!(name, "mglyph" | "malignmark"))
                    || (top.ns == Ns::Math && top.name == "annotation-xml" && name == "svg")
            }
        }
    }

    /// Is the current node an SVG or MathML element (which decides CDATA sections)?
    fn in_foreign(&self) -> bool {
        self.foreign.last().is_some_and(|f| f.ns != Ns::Html)
    }

    /// Pop SVG/MathML elements until the current node is HTML or an integration point.
    fn break_out(&mut self) {
        while let Some(top) = self.foreign.last() {
            if top.ns == Ns::Html || top.html_integration() || top.text_integration() {
                break;
            }
            self.pop();
        }
    }

    fn pop(&mut self) {
        if let Some(frame) = self.foreign.pop() {
            if frame.ns == Ns::Html && frame.name == "template" {
                self.template_depth = self.template_depth.saturating_sub(1);
            }
        }
    }

    /// Text between tags: what it means for `<frameset>` and for an SVG script's text.
    fn text(&mut self, from: usize, to: usize) {
        if from >= to {
            return;
        }
        let text = &self.html[from..to];
        if self.frameset_ok && !text.bytes().all(|b| b.is_ascii_whitespace() || b == 0) {
            self.frameset_ok = false;
        }
        if let Some(index) = self.foreign.last().and_then(|f| f.script) {
            if let Some(script) = self.doc.scripts.get_mut(index) {
                script.code.push_str(&htmlize::unescape(text));
            }
        }
    }

    fn run(&mut self, from: usize, to: usize) {
        let html = self.html;
        let bytes = &html.as_bytes()[..to];
        let mut i = from;
        while !self.done {
            let Some(rel) = memchr(b'<', &bytes[i..]) else {
                self.text(i, to);
                break;
            };
            let lt = i + rel;
            self.text(i, lt);
            let rest = &bytes[lt..];
            if rest.starts_with(b"<!--") {
                i = comment_end(bytes, lt + 4);
                continue;
            }
            if rest.starts_with(b"<![CDATA[") && self.in_foreign() {
                let end = find(bytes, b"]]>", lt + 9);
                if let Some(index) = self.foreign.last().and_then(|f| f.script) {
                    if let Some(script) = self.doc.scripts.get_mut(index) {
                        script
                            .code
                            .push_str(&html[lt + 9..end.unwrap_or(bytes.len())]);
                    }
                }
                i = end.map_or(bytes.len(), |e| e + 3);
                continue;
            }
            if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
                i = memchr(b'>', &bytes[lt..]).map_or(bytes.len(), |e| lt + e + 1);
                continue;
            }
            if rest.starts_with(b"</") {
                match rest.get(2) {
                    None => {
                        self.text(lt, to);
                        break;
                    }
                    Some(b'>') => i = lt + 3,
                    Some(b) if b.is_ascii_alphabetic() => {
                        let mut attrs = std::mem::take(&mut self.attrs);
                        let tag = parse_tag(html, bytes, lt + 2, &mut attrs);
                        if !tag.complete {
                            break;
                        }
                        i = tag.end;
                        self.end_tag(&tag.name);
                        self.attrs = attrs;
                    }
                    Some(_) => {
                        i = memchr(b'>', &bytes[lt..]).map_or(bytes.len(), |e| lt + e + 1);
                    }
                }
                continue;
            }
            if !rest.get(1).is_some_and(u8::is_ascii_alphabetic) {
                self.text(lt, lt + 1);
                i = lt + 1;
                continue;
            }
            let mut attrs = std::mem::take(&mut self.attrs);
            let tag = parse_tag(html, bytes, lt + 1, &mut attrs);
            if !tag.complete {
                self.attrs = attrs;
                break;
            }
            i = self.start_tag(&tag, lt, bytes);
            self.attrs = attrs;
        }
    }

    fn end_tag(&mut self, name: &str) {
        if self.in_foreign() {
            if matches!(name, "p" | "br") {
                self.break_out();
                if name == "br" {
                    self.frameset_ok = false;
                }
                return;
            }
            // SVG/MathML content: the nearest open element of that name, looking down to the
            // first HTML element.
            for at in (0..self.foreign.len()).rev() {
                if self.foreign[at].ns == Ns::Html {
                    break;
                }
                if self.foreign[at].name == name {
                    while self.foreign.len() > at {
                        self.pop();
                    }
                    return;
                }
            }
        }
        // HTML rules.
        let open = self
            .foreign
            .iter()
            .rposition(|f| f.ns == Ns::Html && f.name == name);
        match open {
            Some(at) => {
                while self.foreign.len() > at {
                    self.pop();
                }
            }
            None if name == "template" && self.template_depth > 0 => {
                // The template is below the SVG/MathML content: all of it closes.
                self.template_depth -= 1;
                self.foreign.clear();
            }
            None if name == "br" => self.frameset_ok = false,
            // Most likely an HTML element open around the SVG/MathML content (`<div><svg></div>`),
            // which the HTML rules close, SVG/MathML included, unless an integration point (a
            // scope boundary) is in the way. The scanner keeps no HTML stack: it assumes it.
            None if CONTAINERS.contains(&name)
                && !self
                    .foreign
                    .iter()
                    .any(|f| f.html_integration() || f.text_integration()) =>
            {
                while !self.foreign.is_empty() {
                    self.pop();
                }
            }
            None => {}
        }
    }

    /// Handle a start tag (complete, starting at `lt`); returns where scanning goes on.
    fn start_tag(&mut self, tag: &StartTag<'a, '_>, lt: usize, bytes: &[u8]) -> usize {
        let name = &*tag.name;
        let mut i = tag.end;
        let html_tag = self.html_start(name)
            || if BREAKOUT.contains(&name)
                || (name == "font"
                    && ["color", "face", "size"]
                        .iter()
                        .any(|a| tag.attr(a).is_some()))
            {
                self.break_out();
                true
            } else {
                false
            };
        note_privacy(tag, &mut self.doc.privacy);
        if !html_tag {
            // An element of SVG or MathML content.
            let ns = self.foreign.last().map_or(Ns::Svg, |f| f.ns);
            let mut script = None;
            if ns == Ns::Svg && name == "script" {
                script = Some(self.doc.scripts.len());
                self.doc.scripts.push(Script {
                    src: None,
                    code: String::new(),
                    offset: i,
                    kind: self.kind(tag),
                    in_noscript: self.in_noscript,
                    nomodule: tag.attr("nomodule").is_some(),
                    module: is_module(tag),
                    blocked: blocked(tag),
                });
            }
            if !tag.self_closing {
                let html_annotation = ns == Ns::Math
                    && name == "annotation-xml"
                    && tag.attr("encoding").is_some_and(|e| {
                        e.eq_ignore_ascii_case("text/html")
                            || e.eq_ignore_ascii_case("application/xhtml+xml")
                    });
                self.foreign.push(Frame {
                    ns,
                    name: name.to_owned(),
                    html_annotation,
                    script,
                });
            }
            return i;
        }
        if self.frameset_ok
            && (FRAMESET_NOT_OK.contains(&name)
                || (name == "input"
                    && !tag
                        .attr("type")
                        .is_some_and(|t| t.eq_ignore_ascii_case("hidden"))))
        {
            self.frameset_ok = false;
        }
        match name {
            "svg" | "math" => {
                if !tag.self_closing {
                    self.foreign.push(Frame {
                        ns: if name == "svg" { Ns::Svg } else { Ns::Math },
                        name: name.to_owned(),
                        html_annotation: false,
                        script: None,
                    });
                }
                return i;
            }
            "script" => {
                let close = script_end(bytes, i);
                self.doc.scripts.push(Script {
                    src: tag.attr("src").map(str::to_owned),
                    code: self.html[i..close].to_owned(),
                    offset: i,
                    kind: self.kind(tag),
                    in_noscript: self.in_noscript,
                    nomodule: tag.attr("nomodule").is_some(),
                    module: is_module(tag),
                    blocked: blocked(tag),
                });
                return self.after_end_tag(bytes, close);
            }
            "plaintext" => {
                self.done = true;
                return bytes.len();
            }
            "frameset" if self.frameset_ok && self.template_depth == 0 && !self.in_noscript => {
                self.done = true;
                return bytes.len();
            }
            "noscript" => {
                // With scripting on, its content is raw text; what it holds is what a browser
                // without JavaScript would see.
                let close = raw_text_end(bytes, b"noscript", i);
                let saved = (
                    std::mem::take(&mut self.foreign),
                    self.in_noscript,
                    self.template_depth,
                    self.frameset_ok,
                );
                self.in_noscript = true;
                self.run(i, close);
                self.done = false;
                (
                    self.foreign,
                    self.in_noscript,
                    self.template_depth,
                    self.frameset_ok,
                ) = saved;
                return self.after_end_tag(bytes, close);
            }
            "template" => self.template_depth += 1,
            "a" | "area" => self.link(tag.attr("href")),
            "link" => {
                let alternate = tag.attr("rel").is_some_and(|r| {
                    r.split_ascii_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("alternate"))
                });
                if alternate {
                    self.link(tag.attr("href"));
                }
            }
            "meta" => {
                let csp = tag
                    .attr("http-equiv")
                    .is_some_and(|h| h.eq_ignore_ascii_case("content-security-policy"));
                if csp {
                    self.doc
                        .meta_csp
                        .extend(tag.attr("content").map(str::to_owned));
                }
            }
            "base" if self.doc.base_href.is_none() => {
                self.doc.base_href = tag.attr("href").map(str::to_owned)
            }
            _ => {}
        }
        if name == "iframe" {
            if let Some(src) = tag.attr("src") {
                self.doc
                    .iframes
                    .push((src.to_owned(), lt, self.in_noscript));
            }
        }
        if RAW_TEXT.contains(&name) {
            let close = raw_text_end(bytes, name.as_bytes(), i);
            i = self.after_end_tag(bytes, close);
        } else if !self.foreign.is_empty()
            && !VOID.contains(&name)
            // Ignored in body (or merged into the open element): nothing is opened.
            && !matches!(name, "html" | "head" | "body" | "frameset" | "frame")
        {
            self.foreign.push(Frame {
                ns: Ns::Html,
                name: name.to_owned(),
                html_annotation: false,
                script: None,
            });
        }
        i
    }

    fn kind(&self, tag: &StartTag) -> ScriptKind {
        if self.template_depth > 0 {
            return ScriptKind::Data;
        }
        match (tag.attr("type"), tag.attr("language")) {
            (Some(ty), _) => script_kind(Some(ty)),
            (None, Some(lang)) if !lang.is_empty() => script_kind(Some(&format!("text/{lang}"))),
            _ => ScriptKind::Code,
        }
    }

    /// Past the end tag that starts at `close` (`</name`), or the end of input when there is
    /// none or it is cut off.
    /// A link found: to the caller's sink, or kept.
    fn link(&mut self, href: Option<&str>) {
        let Some(href) = href else { return };
        match &mut self.links {
            Some(sink) => sink(href),
            None => self.doc.links.push(href.to_owned()),
        }
    }

    fn after_end_tag(&mut self, bytes: &[u8], close: usize) -> usize {
        if close >= bytes.len() {
            return bytes.len();
        }
        let mut attrs = std::mem::take(&mut self.attrs);
        let tag = parse_tag(self.html, bytes, close + 2, &mut attrs);
        let end = if tag.complete { tag.end } else { bytes.len() };
        self.attrs = attrs;
        end
    }
}

fn is_module(tag: &StartTag) -> bool {
    tag.attr("type")
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("module"))
}

/// Past the end of a comment whose text starts at `from` (just after `<!--`): `-->`, `--!>`, and
/// the abrupt `<!-->` and `<!--->`.
fn comment_end(bytes: &[u8], from: usize) -> usize {
    match bytes.get(from..) {
        Some([b'>', ..]) => return from + 1,
        Some([b'-', b'>', ..]) => return from + 2,
        _ => {}
    }
    let mut at = from;
    while let Some(dashes) = find(bytes, b"--", at) {
        match bytes.get(dashes + 2..) {
            Some([b'>', ..]) => return dashes + 3,
            Some([b'!', b'>', ..]) => return dashes + 4,
            _ => at = dashes + 1,
        }
    }
    bytes.len()
}

/// Is there an end tag `</name` at `at`, followed by what ends a tag name?
fn end_tag_at(bytes: &[u8], at: usize, name: &[u8]) -> bool {
    bytes.get(at..at + 2) == Some(b"</")
        && bytes
            .get(at + 2..at + 2 + name.len())
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
        && bytes
            .get(at + 2 + name.len())
            .is_some_and(|&b| b.is_ascii_whitespace() || b == b'/' || b == b'>')
}

/// Where the RCDATA or raw text content starting at `from` ends: its end tag, or the end of input.
fn raw_text_end(bytes: &[u8], name: &[u8], from: usize) -> usize {
    let mut at = from;
    while let Some(lt) = find(bytes, b"</", at) {
        if end_tag_at(bytes, lt, name) {
            return lt;
        }
        at = lt + 2;
    }
    bytes.len()
}

/// Where script data starting at `from` ends (its `</script` or the end of input), following the
/// tokenizer through escaped (`<!--`) and double-escaped (`<!--<script>`) text.
fn script_end(bytes: &[u8], from: usize) -> usize {
    #[derive(PartialEq)]
    enum State {
        Data,
        Escaped,
        DoubleEscaped,
    }
    let mut state = State::Data;
    // Where the text of the current escaped state starts: a `-->` needs its dashes after it.
    let mut since = from;
    let mut at = from;
    loop {
        let found = if state == State::Data {
            memchr(b'<', &bytes[at..])
        } else {
            memchr::memchr2(b'<', b'>', &bytes[at..])
        };
        let Some(rel) = found else {
            return bytes.len();
        };
        let p = at + rel;
        at = p + 1;
        if bytes[p] == b'>' {
            if p >= since + 2 && bytes[p - 2..p] == *b"--" {
                state = State::Data;
            }
            continue;
        }
        match state {
            State::Data => {
                if end_tag_at(bytes, p, b"script") {
                    return p;
                }
                if bytes[p..].starts_with(b"<!--") {
                    state = State::Escaped;
                    since = p + 2;
                    at = p + 4;
                }
            }
            State::Escaped => {
                if end_tag_at(bytes, p, b"script") {
                    return p;
                }
                let name = bytes.get(p + 1..p + 7);
                if name.is_some_and(|n| n.eq_ignore_ascii_case(b"script"))
                    && bytes
                        .get(p + 7)
                        .is_some_and(|&b| b.is_ascii_whitespace() || b == b'/' || b == b'>')
                {
                    state = State::DoubleEscaped;
                    at = p + 8;
                    since = at;
                }
            }
            State::DoubleEscaped => {
                if end_tag_at(bytes, p, b"script") {
                    state = State::Escaped;
                    at = p + 9;
                    since = at;
                }
            }
        }
    }
}

/// Line starts of a text, built once when first needed, so that naming the line of any offset is
/// a binary search (evidence for thousands of matches in a multi-megabyte page stays linear).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lines<'a> {
    text: &'a str,
    /// Where each line starts, worked out the first time a line is asked for: most pages have
    /// nothing to locate, and a page of short lines would hold 8 bytes a line for nothing.
    starts: std::cell::OnceCell<Vec<usize>>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Lines<'a> {
        Lines {
            text,
            starts: std::cell::OnceCell::new(),
        }
    }

    /// Whether `code` is this text's at `offset`.
    pub fn holds(&self, offset: usize, code: &str) -> bool {
        self.text.get(offset..offset.saturating_add(code.len())) == Some(code)
    }

    /// 1-based line number of a byte offset.
    pub fn line(&self, offset: usize) -> u32 {
        let starts = self.starts.get_or_init(|| {
            let mut starts = vec![0];
            starts.extend(memchr::memchr_iter(b'\n', self.text.as_bytes()).map(|i| i + 1));
            starts
        });
        let line = starts.partition_point(|&start| start <= offset);
        u32::try_from(line.max(1)).unwrap_or(u32::MAX)
    }
}

fn script_kind(ty: Option<&str>) -> ScriptKind {
    let Some(ty) = ty else {
        return ScriptKind::Code;
    };
    let ty = ty.trim().to_ascii_lowercase();
    let ty = ty.split(';').next().unwrap_or("").trim();
    let code = ty.is_empty()
        || ty == "module"
        || ty == "text/plain" // consent managers (OneTrust, Cookiebot) switch these on after consent
        || ty == "text/partytown" // Partytown (Next.js `strategy="worker"`, Astro) runs them in a worker
        || ty == "text/gtmscript"
        || ty.ends_with("javascript")
        || ty.ends_with("ecmascript")
        || ty == "text/jscript"
        || ty == "text/livescript";
    if code {
        ScriptKind::Code
    } else {
        ScriptKind::Data
    }
}

fn note_privacy(tag: &StartTag, privacy: &mut Privacy) {
    for (name, value) in tag.attrs.iter() {
        match &**name {
            "data-heap-redact-text" => privacy.redact_text += 1,
            "data-heap-redact-attributes" => privacy.redact_attributes += 1,
            "heap-ignore" => privacy.heap_ignore += 1,
            "class" if value.split_ascii_whitespace().any(|c| c == "heap-ignore") => {
                privacy.heap_ignore += 1
            }
            _ => {}
        }
    }
}

/// Attribute names (lower-cased) and values (entity-decoded), borrowed from the document where
/// they need no change.
type Attrs<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

struct StartTag<'a, 'b> {
    name: Cow<'a, str>,
    attrs: &'b Attrs<'a>,
    self_closing: bool,
    /// Byte offset just past the closing `>`.
    end: usize,
    /// False when the input ends inside the tag: a browser then drops the tag.
    complete: bool,
}

impl StartTag<'_, '_> {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| &**v)
    }
}

/// Parse a tag whose name begins at `start` (just after `<` or `</`), its attributes into `attrs`
/// (cleared first). `bytes` is `html` or a prefix of it: the tag ends with it at the latest.
fn parse_tag<'a, 'b>(
    html: &'a str,
    bytes: &[u8],
    start: usize,
    attrs: &'b mut Attrs<'a>,
) -> StartTag<'a, 'b> {
    let (name, mut i) = tag_name(html, bytes, start);
    attrs.clear();
    let mut self_closing = false;
    let mut complete = false;
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            self_closing = bytes[i] == b'/';
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        if bytes[i] == b'>' {
            i += 1;
            complete = true;
            break;
        }
        self_closing = false;
        let name_start = i;
        // The first character belongs to the name whatever it is (even `=`).
        i += 1;
        while i < bytes.len()
            && !matches!(bytes[i], b'=' | b'>' | b'/')
            && !bytes[i].is_ascii_whitespace()
        {
            i += 1;
        }
        let name_end = char_boundary(html, i);
        let attr_name = lowercase(&html[name_start..name_end]);
        i = name_end;
        let mut j = i;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        let mut value = Cow::Borrowed("");
        if j < bytes.len() && bytes[j] == b'=' {
            j += 1;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            let (raw, next) = attr_value(html, bytes, j);
            value = decode_entities_cow(raw);
            i = next;
        }
        if !attrs.iter().any(|(n, _)| *n == attr_name) {
            attrs.push((attr_name, value));
        }
    }
    StartTag {
        name,
        attrs,
        self_closing,
        end: i.min(bytes.len()),
        complete,
    }
}

/// `at`, or the next char boundary after it (a multi-byte character stays whole).
fn char_boundary(html: &str, mut at: usize) -> usize {
    while at < html.len() && !html.is_char_boundary(at) {
        at += 1;
    }
    at
}

fn attr_value<'a>(html: &'a str, bytes: &[u8], start: usize) -> (&'a str, usize) {
    match bytes.get(start) {
        Some(&q @ (b'"' | b'\'')) => {
            let end = memchr(q, &bytes[start + 1..]).map_or(bytes.len(), |e| start + 1 + e);
            (
                &html[start + 1..end],
                (end + 1).min(bytes.len().max(end + 1)),
            )
        }
        _ => {
            let mut end = start;
            while end < bytes.len() && !bytes[end].is_ascii_whitespace() && bytes[end] != b'>' {
                end += 1;
            }
            (&html[start..end], end)
        }
    }
}

/// A tag name runs to whitespace, `/` or `>`; ASCII upper case is lowered.
fn tag_name<'a>(html: &'a str, bytes: &[u8], start: usize) -> (Cow<'a, str>, usize) {
    let mut end = start;
    while end < bytes.len()
        && !bytes[end].is_ascii_whitespace()
        && !matches!(bytes[end], b'/' | b'>')
    {
        end += 1;
    }
    (lowercase(&html[start..end]), end)
}

/// ASCII lower case, borrowed when there is nothing to change.
fn lowercase(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    memchr::memchr(needle, hay)
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    memchr::memmem::find(&hay[from..], needle).map(|p| p + from)
}

/// Decode the character references of an attribute value, by the HTML rules for attributes
/// (all 2,231 named references, legacy ones without `;` unless an alphanumeric or `=` follows).
pub fn decode_entities(s: &str) -> String {
    decode_entities_cow(s).into_owned()
}

/// [`decode_entities`], borrowing the input when there is nothing to decode.
fn decode_entities_cow(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    htmlize::unescape_attribute(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_inline_and_external_scripts_with_offsets() {
        let html = "<!doctype html>\n<html><head>\n<script src=\"/a.js?x=1&amp;y=2\" async></script>\n<script>var a = '<b>';</script></head></html>";
        let doc = parse(html);
        assert_eq!(doc.scripts.len(), 2);
        assert_eq!(doc.scripts[0].src.as_deref(), Some("/a.js?x=1&y=2"));
        assert_eq!(doc.scripts[1].code, "var a = '<b>';");
        assert_eq!(Lines::new(html).line(doc.scripts[1].offset), 4);
    }

    #[test]
    fn text_shown_as_text_is_not_a_script() {
        let html = "<pre><code>&lt;script&gt;heap.load(1)&lt;/script&gt;</code></pre>\
            <textarea name=c><script>heap.load(2)</script></textarea>\
            <!-- <script>heap.load(3)</script> -->\
            <title><script>x</script></title><style>a{} <script>y</script></style>\
            <script>real()</script>";
        let doc = parse(html);
        assert_eq!(doc.scripts.len(), 1);
        assert_eq!(doc.scripts[0].code, "real()");
    }

    #[test]
    fn data_blocks_and_noscript_are_marked() {
        let html = "<script type=\"application/ld+json\">{}</script><script type='text/template'>t</script>\
            <script type=module>m()</script><noscript><script>n()</script>\
            <iframe src=\"https://www.googletagmanager.com/ns.html?id=GTM-ABC123\"></iframe></noscript>";
        let doc = parse(html);
        let kinds: Vec<_> = doc
            .scripts
            .iter()
            .map(|s| (s.kind, s.in_noscript))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (ScriptKind::Data, false),
                (ScriptKind::Data, false),
                (ScriptKind::Code, false),
                (ScriptKind::Code, true)
            ]
        );
        assert_eq!(doc.iframes.len(), 1);
        assert!(doc.iframes[0].2, "iframe inside noscript");
    }

    #[test]
    fn partytown_runs_and_template_content_is_inert() {
        let html = "<script type=\"text/partytown\">a()</script><template id=row><script>b()</script></template><script>c()</script>";
        let kinds: Vec<_> = parse(html)
            .scripts
            .iter()
            .map(|s| (s.code.clone(), s.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("a()".to_owned(), ScriptKind::Code),
                ("b()".to_owned(), ScriptKind::Data),
                ("c()".to_owned(), ScriptKind::Code)
            ]
        );
    }

    #[test]
    fn links_csp_and_privacy() {
        let html = "<a href='/about#team'>a</a><area href=/map><link rel=\"alternate stylesheet\" href=\"/fr\">\
            <link rel=stylesheet href=/s.css><meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'self'\">\
            <div data-heap-redact-text>x</div><p data-heap-redact-attributes=\"title\" class=\"a heap-ignore\"></p><i heap-ignore></i>";
        let doc = parse(html);
        assert_eq!(doc.links, vec!["/about#team", "/map", "/fr"]);
        assert_eq!(doc.meta_csp, vec!["script-src 'self'"]);
        assert_eq!(
            doc.privacy,
            Privacy {
                redact_text: 1,
                redact_attributes: 1,
                heap_ignore: 2
            }
        );
    }

    #[test]
    fn broken_markup_never_panics() {
        for html in [
            "<",
            "<a",
            "<a href",
            "<a href=",
            "<a href='x",
            "<script>never closed",
            "</",
            "<!--",
            "<!x",
            "<a =b>",
            "<é>",
            "<a\u{0}>",
            "<script src=x/>",
            "<p ====>",
            "<svg><desc></p><math><mi></br>",
            "<svg><script>a<![CDATA[b",
        ] {
            let _ = parse(html);
        }
        let doc = parse("<script>unterminated heap");
        assert_eq!(doc.scripts[0].code, "unterminated heap");
    }

    #[test]
    fn line_numbers() {
        let lines = Lines::new("a\nbc\n\nd");
        let got: Vec<u32> = (0..8).map(|o| lines.line(o)).collect();
        assert_eq!(got, vec![1, 1, 2, 2, 2, 3, 4, 4]);
        assert_eq!(Lines::new("").line(10), 1);
    }

    #[test]
    fn entities() {
        assert_eq!(
            decode_entities("a&amp;b&#38;c&#x26;d&unknown;e&"),
            "a&b&c&d&unknown;e&"
        );
        // Named references beyond the handful that used to be known.
        assert_eq!(
            decode_entities("https&colon;&sol;&sol;cdn.heapanalytics.com&sol;js&NewLine;"),
            "https://cdn.heapanalytics.com/js\n"
        );
        // Numeric: decimal, hex, no semicolon, C1 remapped as windows-1252, out of range.
        assert_eq!(
            decode_entities("&#47;&#x2F;&#X2f&#128;&#0;&#x110000;"),
            "///\u{20ac}\u{fffd}\u{fffd}"
        );
        // Legacy references without `;`: decoded, unless an alphanumeric or `=` follows (in an
        // attribute value).
        assert_eq!(decode_entities("/a?x=1&amp y=2"), "/a?x=1& y=2");
        assert_eq!(
            decode_entities("/a?x=1&copy=2&ampx&lt"),
            "/a?x=1&copy=2&ampx<"
        );
        assert_eq!(
            decode_entities("&notin; &notit; &not;"),
            "\u{2209} &notit; \u{ac}"
        );
        let doc = parse("<script src=\"/heap.js?a=1&amp;b=2&ampc=3&lt=4&copy;\"></script>");
        assert_eq!(
            doc.scripts[0].src.as_deref(),
            Some("/heap.js?a=1&b=2&ampc=3&lt=4\u{a9}")
        );
    }

    #[test]
    fn tokenizer_corners_decide_what_is_code() {
        let codes = |html: &str| -> Vec<(String, ScriptKind, bool)> {
            parse(html)
                .scripts
                .into_iter()
                .map(|s| (s.code, s.kind, s.in_noscript))
                .collect()
        };
        let code = |c: &str| vec![(c.to_owned(), ScriptKind::Code, false)];
        // Abrupt comment closers.
        assert_eq!(codes("<!--><script>a</script>"), code("a"));
        assert_eq!(codes("<!---><script>a</script>"), code("a"));
        assert_eq!(codes("<!-- x --!><script>a</script>"), code("a"));
        // `</script` must be followed by whitespace, `/` or `>`.
        assert_eq!(codes("<script>a</scripty>b</script>"), code("a</scripty>b"));
        // Double-escaped script data: the inner `</script>` does not close.
        assert_eq!(
            codes("<script><!--<script>x</script>--></script>"),
            code("<!--<script>x</script>-->")
        );
        // End tags keep quoted attributes whole.
        assert_eq!(codes("<title>t</title a='>'><script>a</script>"), code("a"));
        // Everything after <plaintext> is text.
        assert!(codes("<plaintext><script>a</script>").is_empty());
        // A frameset in effect ignores what follows; after text it is itself ignored.
        assert!(codes("<frameset><script>a</script>").is_empty());
        assert_eq!(codes("x<frameset><script>a</script>"), code("a"));
        // SVG: title/style are not raw text; MathML scripts never run.
        assert_eq!(
            codes("<svg><title><script>a</script></title></svg>"),
            code("a")
        );
        assert_eq!(
            codes("<svg><style><script>a</script></style></svg>").len(),
            1
        );
        assert!(codes("<math><script>a</script></math>").is_empty());
        assert_eq!(codes("<svg><script>a&amp;b</script></svg>"), code("a&b"));
        // Noscript content is raw text for a browser with scripting: `</noscript>` inside a
        // "comment" ends it.
        assert_eq!(
            codes("<noscript><!-- </noscript> --><script>a</script>"),
            code("a")
        );
        // An unclosed SVG ends with the HTML element around it: the script after it is HTML.
        let doc = parse("<div><svg><path></div><script src=/heap.js></script>");
        assert_eq!(doc.scripts[0].src.as_deref(), Some("/heap.js"));
        // A tag cut off by the end of input is dropped.
        assert!(codes("<script src=/heap.js").is_empty());
    }
}
