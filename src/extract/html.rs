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

/// Elements whose content is raw text up to their end tag.
const RAW_TEXT: &[&str] = &[
    "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes",
];

/// Scan a whole document.
pub fn parse(html: &str) -> Document {
    let mut doc = Document::default();
    let bytes = html.as_bytes();
    let mut noscript_depth = 0usize;
    // Scripts inside <template> are inert until the template is cloned by code.
    let mut template_depth = 0usize;
    let mut i = 0;
    // One attribute buffer for the whole document: a start tag costs no allocation unless a name
    // has upper case or a value has a character reference.
    let mut attrs = Vec::new();
    while let Some(rel) = memchr(b'<', &bytes[i..]) {
        let lt = i + rel;
        let rest = &bytes[lt..];
        if rest.starts_with(b"<!--") {
            i = find(bytes, b"-->", lt + 4).map_or(bytes.len(), |e| e + 3);
            continue;
        }
        if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
            i = memchr(b'>', &bytes[lt..]).map_or(bytes.len(), |e| lt + e + 1);
            continue;
        }
        if rest.starts_with(b"</") {
            let (name, end) = tag_name(bytes, lt + 2);
            match &*name {
                "noscript" => noscript_depth = noscript_depth.saturating_sub(1),
                "template" => template_depth = template_depth.saturating_sub(1),
                _ => {}
            }
            i = memchr(b'>', &bytes[end..]).map_or(bytes.len(), |e| end + e + 1);
            continue;
        }
        if !rest.get(1).is_some_and(u8::is_ascii_alphabetic) {
            i = lt + 1;
            continue;
        }
        let tag = parse_start_tag(html, lt + 1, &mut attrs);
        i = tag.end;
        note_privacy(&tag, &mut doc.privacy);
        match &*tag.name {
            "script" => {
                let close = find_ci(bytes, b"</script", i).unwrap_or(bytes.len());
                doc.scripts.push(Script {
                    src: tag.attr("src").map(str::to_owned),
                    code: html[i..close].to_owned(),
                    offset: i,
                    kind: if template_depth > 0 {
                        ScriptKind::Data
                    } else {
                        script_kind(tag.attr("type"))
                    },
                    in_noscript: noscript_depth > 0,
                    nomodule: tag.attr("nomodule").is_some(),
                    module: tag
                        .attr("type")
                        .is_some_and(|t| t.trim().eq_ignore_ascii_case("module")),
                });
                i = skip_end_tag(bytes, close);
            }
            "noscript" if !tag.self_closing => noscript_depth += 1,
            "template" if !tag.self_closing => template_depth += 1,
            "a" | "area" => doc.links.extend(tag.attr("href").map(str::to_owned)),
            "link" => {
                let alternate = tag.attr("rel").is_some_and(|r| {
                    r.split_ascii_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("alternate"))
                });
                if alternate {
                    doc.links.extend(tag.attr("href").map(str::to_owned));
                }
            }
            "meta" => {
                let csp = tag
                    .attr("http-equiv")
                    .is_some_and(|h| h.eq_ignore_ascii_case("content-security-policy"));
                if csp {
                    doc.meta_csp.extend(tag.attr("content").map(str::to_owned));
                }
            }
            "base" if doc.base_href.is_none() => {
                doc.base_href = tag.attr("href").map(str::to_owned)
            }
            _ => {}
        }
        if tag.name == "iframe" {
            if let Some(src) = tag.attr("src") {
                doc.iframes.push((src.to_owned(), lt, noscript_depth > 0));
            }
        }
        if RAW_TEXT.contains(&&*tag.name) && !tag.self_closing {
            let mut end_tag = b"</".to_vec();
            end_tag.extend_from_slice(tag.name.as_bytes());
            let close = find_ci(bytes, &end_tag, i).unwrap_or(bytes.len());
            i = skip_end_tag(bytes, close);
        }
    }
    doc
}

/// Line starts of a text, built once, so that naming the line of any offset is a binary search
/// (evidence for thousands of matches in a multi-megabyte page stays linear).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Lines { starts }
    }

    /// 1-based line number of a byte offset.
    pub fn line(&self, offset: usize) -> u32 {
        let line = self.starts.partition_point(|&start| start <= offset);
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
}

impl StartTag<'_, '_> {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| &**v)
    }
}

/// Parse a start tag whose name begins at `start` (just after `<`), its attributes into `attrs`
/// (cleared first).
fn parse_start_tag<'a, 'b>(
    html: &'a str,
    start: usize,
    attrs: &'b mut Attrs<'a>,
) -> StartTag<'a, 'b> {
    let bytes = html.as_bytes();
    let (name, mut i) = tag_name(bytes, start);
    attrs.clear();
    let mut self_closing = false;
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
            break;
        }
        self_closing = false;
        let name_start = i;
        while i < bytes.len()
            && !matches!(bytes[i], b'=' | b'>' | b'/')
            && !bytes[i].is_ascii_whitespace()
        {
            i += 1;
        }
        // Always advance, even on a stray `=`: the loop must make progress on any input.
        if i == name_start {
            i += 1;
        }
        let attr_name = lowercase(&html[name_start..i]);
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
            let (raw, next) = attr_value(html, j);
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
    }
}

fn attr_value(html: &str, start: usize) -> (&str, usize) {
    let bytes = html.as_bytes();
    match bytes.get(start) {
        Some(&q @ (b'"' | b'\'')) => {
            let end = memchr(q, &bytes[start + 1..]).map_or(bytes.len(), |e| start + 1 + e);
            (&html[start + 1..end], (end + 1).min(bytes.len()))
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

fn tag_name(bytes: &[u8], start: usize) -> (Cow<'_, str>, usize) {
    let mut end = start;
    while end < bytes.len()
        && (bytes[end].is_ascii_alphanumeric() || matches!(bytes[end], b'-' | b':' | b'_'))
    {
        end += 1;
    }
    // Only ASCII bytes were taken, so this is always valid UTF-8.
    let name = std::str::from_utf8(&bytes[start..end]).map_or(Cow::Borrowed(""), lowercase);
    (name, end)
}

/// ASCII lower case, borrowed when there is nothing to change.
fn lowercase(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// Past the `>` of an end tag that starts at `at` (or the end of input).
fn skip_end_tag(bytes: &[u8], at: usize) -> usize {
    if at >= bytes.len() {
        return bytes.len();
    }
    memchr(b'>', &bytes[at..]).map_or(bytes.len(), |e| at + e + 1)
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

/// First case-insensitive match of an end tag (`</name`) at or after `from`.
fn find_ci(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    let Some((&first, rest)) = needle
        .split_first()
        .filter(|(f, _)| !f.is_ascii_alphabetic())
    else {
        return hay[from..]
            .windows(needle.len())
            .position(|w| w.eq_ignore_ascii_case(needle))
            .map(|p| p + from);
    };
    // The first byte has no case: jump between its occurrences, compare the rest in place.
    memchr::memchr_iter(first, &hay[from..])
        .map(|p| p + from)
        .find(|&at| {
            hay.get(at + 1..at + 1 + rest.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(rest))
        })
}

/// Decode the character references that matter in URLs and attribute values.
pub fn decode_entities(s: &str) -> String {
    decode_entities_cow(s).into_owned()
}

/// [`decode_entities`], borrowing the input when it has no `&`.
fn decode_entities_cow(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .map(|e| e + 1);
        let (entity, after) = match end {
            Some(e) => (&rest[1..e], &rest[e..]),
            None => (&rest[1..], ""),
        };
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => numeric_entity(entity),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = after.strip_prefix(';').unwrap_or(after);
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn numeric_entity(entity: &str) -> Option<char> {
    let num = entity.strip_prefix('#')?;
    let code = match num.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => num.parse().ok()?,
    };
    char::from_u32(code)
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
    }
}
