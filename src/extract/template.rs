//! Templates read as structure: the conditional blocks of each templating dialect (ERB, Liquid,
//! Jinja/Django/Twig/Nunjucks, Blade, Handlebars/Mustache, Go templates, PHP, JSP/ASP, Svelte,
//! Vue, Astro), the files a template includes or extends, and its text with the template's own
//! control tags blanked out (same length, same line breaks), so that the HTML and script scanners
//! read what a visitor would get from one arm or another, at the offsets of the file.
//!
//! Output tags (`<%= … %>`, `{{ … }}`) are kept as written: a Heap id written as one is a value
//! the template fills in, reported with that expression (`id_from`), never read as an id.
//! Include tags are blanked: the included file is composed into the page instead (see
//! `crate::compose`).

use std::sync::LazyLock;

use regex::Regex;

/// A templating dialect, told from a file's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Plain HTML (no template tags are read).
    Html,
    /// ERB (`.erb`, `.html.erb`, `.rhtml`).
    Erb,
    /// Liquid (`.liquid`, and Jekyll's `.html`/`.md`).
    Liquid,
    /// Jinja, Django, Twig, Nunjucks (`.j2`, `.jinja`, `.twig`, `.njk`, and `.html` under `templates/`).
    Jinja,
    /// Laravel Blade (`.blade.php`).
    Blade,
    /// Handlebars and Mustache (`.hbs`, `.handlebars`, `.mustache`).
    Handlebars,
    /// Go templates (Hugo layouts, `.gohtml`, `.tmpl`).
    Go,
    /// PHP (`.php`, `.phtml`).
    Php,
    /// JSP (`.jsp`, `.jspf`, `.tag`) and classic ASP (`.asp`, `.aspx`, `.cshtml` partly).
    Jsp,
    /// Svelte components (`.svelte`).
    Svelte,
    /// Vue single-file components (`.vue`).
    Vue,
    /// Astro components (`.astro`).
    Astro,
}

impl Dialect {
    /// The dialect of a file, from its name; `None` for a file that is no template (scripts,
    /// and anything else).
    pub fn of_path(path: &str) -> Option<Dialect> {
        let name = path
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(path)
            .to_ascii_lowercase();
        let ends = |s: &str| name.ends_with(s);
        Some(if ends(".blade.php") {
            Dialect::Blade
        } else if ends(".erb") || ends(".rhtml") {
            Dialect::Erb
        } else if ends(".liquid") {
            Dialect::Liquid
        } else if ends(".j2") || ends(".jinja") || ends(".jinja2") || ends(".twig") || ends(".njk")
        {
            Dialect::Jinja
        } else if ends(".hbs") || ends(".handlebars") || ends(".mustache") {
            Dialect::Handlebars
        } else if ends(".gohtml") || ends(".tmpl") || ends(".gotmpl") {
            Dialect::Go
        } else if ends(".php") || ends(".phtml") {
            Dialect::Php
        } else if ends(".jsp") || ends(".jspf") || ends(".asp") || ends(".aspx") {
            Dialect::Jsp
        } else if ends(".svelte") {
            Dialect::Svelte
        } else if ends(".vue") {
            Dialect::Vue
        } else if ends(".astro") {
            Dialect::Astro
        } else if ends(".html") || ends(".htm") || ends(".md") || ends(".markdown") {
            Dialect::Html
        } else {
            return None;
        })
    }

    /// The dialect of an `.html`/`.md` file from its text, for ecosystems that write templates
    /// in `.html` (Jekyll, Hugo, Django, Nunjucks, Handlebars).
    pub fn sniff(text: &str) -> Dialect {
        static GO: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"\{\{-?\s*(?:partial|partialCached|define|block|range|with|template|if\s+(?:\.|hugo|eq|ne|not|and|or)|\.Site|\.Params|\.Title|\.Content|end\s*-?\}\})").expect("go pattern")
        });
        static LIQUID: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"\{\{-?\s*(?:site|page|jekyll|layout|include|content)\b|\{%-?\s*(?:include_relative|include\s+[\w./-]+\.html|seo|feed_meta|capture|assign|unless)\b|jekyll\.environment").expect("liquid pattern")
        });
        static HANDLEBARS: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"\{\{[#/>^]").expect("handlebars pattern"));
        if GO.is_match(text) {
            Dialect::Go
        } else if HANDLEBARS.is_match(text) {
            Dialect::Handlebars
        } else if LIQUID.is_match(text) {
            Dialect::Liquid
        } else if text.contains("{%") || text.contains("{{") && text.contains("}}") {
            Dialect::Jinja
        } else if text.contains("<%") {
            Dialect::Erb
        } else {
            Dialect::Html
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Html => "html",
            Dialect::Erb => "erb",
            Dialect::Liquid => "liquid",
            Dialect::Jinja => "jinja",
            Dialect::Blade => "blade",
            Dialect::Handlebars => "handlebars",
            Dialect::Go => "go-template",
            Dialect::Php => "php",
            Dialect::Jsp => "jsp",
            Dialect::Svelte => "svelte",
            Dialect::Vue => "vue",
            Dialect::Astro => "astro",
        }
    }
}

/// A template, read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Template {
    /// The text with control tags, comments and includes blanked (same length, same lines).
    pub text: String,
    /// Conditional blocks, in order of their opening tag.
    pub blocks: Vec<Block>,
    /// Files the template includes, renders or extends, as written.
    pub includes: Vec<Include>,
    /// Component code (Vue/Svelte `<script>` blocks, Astro front matter): offset and text. It is
    /// blanked in `text` and read as a script module of its own.
    pub code: Vec<(usize, String)>,
    /// The layout a Jekyll page or layout names in its front matter.
    pub layout: Option<String>,
    /// Whether the file has front matter (`---` first line): a Jekyll page.
    pub front_matter: bool,
    /// Output tags, as written: in `text`, each is replaced by a stand-in of the same length,
    /// `${_T<n>_   }`, that reads as one value wherever the tag sits (inside a JavaScript string
    /// whose quotes the tag's own quotes would break, in an attribute, in code). Scanners take
    /// the stand-in for an expression; [`Template::restore`] puts the tag back.
    pub outputs: Vec<String>,
}

/// An `if` (or `unless`, `case`, `@production`, `v-if`, `{#if}`, `cond && …`) and its arms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Offset of the opening tag.
    pub offset: usize,
    pub arms: Vec<Arm>,
}

/// One arm of a block: the text between two of its tags, and the condition as written (`else`
/// for the last arm without one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arm {
    pub start: usize,
    pub end: usize,
    pub condition: String,
}

/// How a template names another file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IncludeKind {
    /// Its text is rendered here (`include`, `render`, `partial`, `{{> x}}`, a component).
    Partial,
    /// This template is rendered inside it (`extends`, `@extends`, a Jekyll `layout:`).
    Layout,
    /// A JavaScript module it imports, or a `<script src>` of the site's own.
    Import,
}

/// One include, extend or import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include {
    pub offset: usize,
    /// The name as written (`layouts/heap`, `partials.segment`, `head.html`, `@/components/X`).
    pub name: String,
    pub kind: IncludeKind,
    /// The dialect's own resolution rule applies (`Dialect` of the including file).
    pub dialect: Dialect,
    /// A condition on the include itself (`render 'x' if ENV['X']`, `@includeWhen(cond, 'x')`).
    pub condition: Option<String>,
}

/// A control tag, as classified.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ctl {
    If(String),
    Elif(String),
    Else,
    /// `when`/`case` arm of a `case` block.
    Case(String),
    /// The end of a block; `Some(name)` for a named end (`endif`, `/if`, `@endforeach`).
    End(Option<String>),
    /// A block that is not conditional but has an end (`for`, `each`, `block`, `define`).
    Open(String),
    Include(String, IncludeKind, Option<String>),
    Other,
}

/// Read a template of `dialect`.
pub fn read(text: &str, dialect: Dialect) -> Template {
    let mut out = Template {
        text: text.to_owned(),
        ..Template::default()
    };
    let mut bytes = std::mem::take(&mut out.text).into_bytes();
    let body_start = front_matter(text, &mut out, &mut bytes);
    let tags = match dialect {
        Dialect::Html => Vec::new(),
        Dialect::Vue => {
            component_code(text, dialect, &mut out, &mut bytes);
            vue_arms(text, &mut out);
            Vec::new()
        }
        Dialect::Astro => {
            astro_arms(text, body_start, &mut out);
            Vec::new()
        }
        Dialect::Svelte => {
            component_code(text, dialect, &mut out, &mut bytes);
            tags(text, body_start, dialect)
        }
        _ => tags(text, body_start, dialect),
    };
    let mut stack: Vec<Frame> = Vec::new();
    for tag in tags {
        let blank_it = tag.blank;
        match tag.ctl {
            Ctl::If(condition) => {
                out.blocks.push(Block {
                    offset: tag.start,
                    arms: vec![Arm {
                        start: tag.end,
                        end: text.len(),
                        condition,
                    }],
                });
                stack.push(Frame {
                    name: tag.name,
                    block: Some(out.blocks.len() - 1),
                });
            }
            Ctl::Elif(condition) | Ctl::Case(condition) => {
                if let Some(block) = stack.last().and_then(|f| f.block) {
                    next_arm(
                        &mut out.blocks[block],
                        tag.start,
                        tag.end,
                        text.len(),
                        condition,
                    );
                }
            }
            Ctl::Else => {
                if let Some(block) = stack.last().and_then(|f| f.block) {
                    next_arm(
                        &mut out.blocks[block],
                        tag.start,
                        tag.end,
                        text.len(),
                        "else".into(),
                    );
                }
            }
            Ctl::End(name) => {
                // A named end closes up to the block of that name (tolerating unclosed ones).
                let at = match &name {
                    Some(n) => stack.iter().rposition(|f| &f.name == n),
                    None => stack.len().checked_sub(1),
                };
                if let Some(at) = at {
                    for frame in stack.drain(at..) {
                        if let Some(block) = frame.block {
                            if let Some(arm) = out.blocks[block].arms.last_mut() {
                                arm.end = arm.end.min(tag.start);
                            }
                        }
                    }
                }
            }
            Ctl::Open(name) => stack.push(Frame { name, block: None }),
            Ctl::Include(name, kind, condition) => out.includes.push(Include {
                offset: tag.start,
                name,
                kind,
                dialect,
                condition,
            }),
            Ctl::Other => {}
        }
        if blank_it {
            blank(&mut bytes, tag.start, tag.end);
        } else if tag.output {
            stand_in(&mut bytes, tag.start, tag.end, text, &mut out.outputs);
        }
    }
    // A block left open ends with the file (its arms already do).
    out.text = String::from_utf8(bytes).unwrap_or_else(|_| text.to_owned());
    imports(&out.text.clone(), dialect, &mut out);
    out
}

struct Frame {
    name: String,
    block: Option<usize>,
}

/// Close the block's current arm at `start` and open the next one after the tag, running to the
/// end of the text until the block's end tag says otherwise.
/// Replace the output tag at `start..end` by `${_T<n>_}` padded with spaces to its length (line
/// breaks kept), and remember it. A tag too short for a stand-in stays as written.
fn stand_in(bytes: &mut [u8], start: usize, end: usize, text: &str, outputs: &mut Vec<String>) {
    let token = format!("${{_T{}_", outputs.len());
    let Some(original) = text.get(start..end) else {
        return;
    };
    if end - start < token.len() + 1 || original.contains('\n') {
        return;
    }
    outputs.push(original.to_owned());
    let slot = &mut bytes[start..end];
    slot.fill(b' ');
    slot[..token.len()].copy_from_slice(token.as_bytes());
    if let Some(last) = slot.last_mut() {
        *last = b'}';
    }
}

impl Template {
    /// Put the output tags back in a value read from `text` (an id, an expression, a snippet).
    pub fn restore(&self, value: &str) -> String {
        static TOKEN: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"(?:\$\{)?_T(\d+)_ *\}?").expect("stand-in pattern"));
        if !Template::has_output(value) {
            return value.to_owned();
        }
        TOKEN
            .replace_all(value, |c: &regex::Captures<'_>| {
                c.get(1)
                    .and_then(|n| n.as_str().parse::<usize>().ok())
                    .and_then(|n| self.outputs.get(n))
                    .cloned()
                    .unwrap_or_else(|| c[0].to_owned())
            })
            .into_owned()
    }

    /// Whether a value holds an output tag's stand-in.
    pub fn has_output(value: &str) -> bool {
        static TOKEN: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"_T\d+_").expect("stand-in pattern"));
        TOKEN.is_match(value)
    }
}

fn next_arm(block: &mut Block, start: usize, end: usize, len: usize, condition: String) {
    if let Some(last) = block.arms.last_mut() {
        last.end = start;
    }
    block.arms.push(Arm {
        start: end,
        end: len,
        condition,
    });
}

/// Blank `bytes[start..end]`, keeping line breaks (and UTF-8: multi-byte characters become
/// spaces byte for byte).
fn blank(bytes: &mut [u8], start: usize, end: usize) {
    let end = end.min(bytes.len());
    for b in bytes.iter_mut().take(end).skip(start) {
        if *b != b'\n' && *b != b'\r' {
            *b = b' ';
        }
    }
}

/// Jekyll/Hugo/Astro front matter: `---` on the first line up to the next `---`. Its `layout:`
/// is kept; the front matter itself is blanked (Astro's is component code). Returns where the
/// body starts.
fn front_matter(text: &str, out: &mut Template, bytes: &mut [u8]) -> usize {
    let Some(rest) = text.strip_prefix("---") else {
        return 0;
    };
    if !rest.starts_with(['\n', '\r']) {
        return 0;
    }
    let Some(close) = rest.find("\n---") else {
        return 0;
    };
    let end = 3 + close + 4;
    let matter = &text[3..3 + close];
    out.front_matter = true;
    for line in matter.lines() {
        if let Some(value) = line.trim().strip_prefix("layout:") {
            let value = value.trim().trim_matches(['"', '\'']);
            if !value.is_empty() && value != "null" && value != "none" {
                out.layout = Some(value.to_owned());
            }
        }
    }
    if matter.contains("import ") || matter.contains("const ") {
        // Astro's front matter is TypeScript run on the server at build time.
        out.code.push((3, matter.to_owned()));
    }
    blank(bytes, 0, end);
    end
}

/// A template tag found in the text.
struct Tag {
    start: usize,
    end: usize,
    ctl: Ctl,
    /// The tag leaves nothing in the rendered text (control, comment, include).
    blank: bool,
    /// The block name a `Ctl::If`/`Ctl::Open` opens (`if`, `unless`, `for`).
    name: String,
    /// An output tag left in the text (a value the template fills in).
    output: bool,
}

/// Delimiters of a dialect's tags: (open, close, is an output tag).
fn delimiters(dialect: Dialect) -> &'static [(&'static str, &'static str, TagKind)] {
    use TagKind::*;
    match dialect {
        Dialect::Erb => &[
            ("<%#", "%>", Comment),
            ("<%=", "%>", Output),
            ("<%", "%>", Code),
        ],
        Dialect::Jsp => &[
            ("<%--", "--%>", Comment),
            ("<!--#include", "-->", Code),
            ("<%@", "%>", Code),
            ("<%=", "%>", Output),
            ("<%", "%>", Code),
            ("<jsp:include", ">", Code),
            ("<c:if", ">", Code),
            ("</c:if", ">", Code),
            ("<c:choose", ">", Code),
            ("</c:choose", ">", Code),
            ("<c:when", ">", Code),
            ("</c:when", ">", Code),
            ("<c:otherwise", ">", Code),
            ("</c:otherwise", ">", Code),
        ],
        Dialect::Liquid | Dialect::Jinja => &[
            ("{#", "#}", Comment),
            ("{%", "%}", Code),
            ("{{", "}}", Output),
        ],
        Dialect::Blade => &[
            ("{{--", "--}}", Comment),
            ("{!!", "!!}", Output),
            ("{{", "}}", Output),
        ],
        Dialect::Handlebars => &[
            ("{{!--", "--}}", Comment),
            ("{{!", "}}", Comment),
            ("{{{", "}}}", Output),
            ("{{", "}}", Code),
        ],
        Dialect::Go => &[
            ("{{/*", "*/}}", Comment),
            ("{{- /*", "*/ -}}", Comment),
            ("{{", "}}", Code),
        ],
        Dialect::Php => &[("<?php", "?>", Code), ("<?=", "?>", Output)],
        Dialect::Svelte => &[("{#", "}", Code), ("{:", "}", Code), ("{/", "}", Code)],
        Dialect::Html | Dialect::Vue | Dialect::Astro => &[],
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagKind {
    Comment,
    Output,
    Code,
}

/// Every tag of the dialect in `text` from `from`, classified.
fn tags(text: &str, from: usize, dialect: Dialect) -> Vec<Tag> {
    let delims = delimiters(dialect);
    let mut out = Vec::new();
    let mut at = from;
    let starts: Vec<u8> = {
        let mut s: Vec<u8> = delims.iter().filter_map(|d| d.0.bytes().next()).collect();
        if dialect == Dialect::Blade {
            s.push(b'@');
        }
        s.sort_unstable();
        s.dedup();
        s
    };
    let bytes = text.as_bytes();
    while at < text.len() {
        let Some(next) = bytes[at..].iter().position(|b| starts.contains(b)) else {
            break;
        };
        let start = at + next;
        if dialect == Dialect::Blade && bytes[start] == b'@' {
            match blade_directive(text, start) {
                Some(tag) => {
                    at = tag.end;
                    out.push(tag);
                }
                None => at = start + 1,
            }
            continue;
        }
        let rest = &text[start..];
        let Some(&(open, close, kind)) = delims.iter().find(|d| rest.starts_with(d.0)) else {
            at = start + 1;
            continue;
        };
        let inner_start = start + open.len();
        let Some(close_at) = text[inner_start..].find(close) else {
            // An unclosed tag runs to the end (PHP files often end inside `<?php`).
            let end = text.len();
            if kind == TagKind::Code {
                let content = clean(&text[inner_start..end]);
                let (ctl, blank, name) = classify(dialect, open, &content);
                out.push(Tag {
                    start,
                    end,
                    ctl,
                    blank,
                    name,
                    output: false,
                });
            }
            break;
        };
        let end = inner_start + close_at + close.len();
        let content = clean(&text[inner_start..inner_start + close_at]);
        let tag = match kind {
            TagKind::Comment => Tag {
                start,
                end,
                ctl: Ctl::Other,
                blank: true,
                name: String::new(),
                output: false,
            },
            TagKind::Output => {
                let (ctl, blank, name) = classify_output(dialect, &content);
                // Handlebars and Go write values with the same delimiters as control tags.
                Tag {
                    start,
                    end,
                    ctl,
                    blank,
                    name,
                    output: !blank,
                }
            }
            TagKind::Code => {
                let (ctl, blank, name) = classify(dialect, open, &content);
                // Handlebars and Go write values with the same delimiters as control tags.
                Tag {
                    start,
                    end,
                    ctl,
                    blank,
                    name,
                    output: !blank,
                }
            }
        };
        // Liquid/Django/Jinja comment and raw blocks: skip to their end.
        if let Ctl::Open(name) = &tag.ctl {
            if matches!(dialect, Dialect::Liquid | Dialect::Jinja)
                && matches!(name.as_str(), "comment" | "raw" | "verbatim")
            {
                let end_tag = format!("end{name}");
                let close = text[end..]
                    .find(&end_tag)
                    .and_then(|i| {
                        text[end + i..]
                            .find(close)
                            .map(|j| end + i + j + close.len())
                    })
                    .unwrap_or(text.len());
                out.push(Tag {
                    start,
                    end: if name == "comment" { close } else { end },
                    ctl: Ctl::Other,
                    blank: true,
                    name: String::new(),
                    output: false,
                });
                at = close;
                continue;
            }
        }
        at = end;
        out.push(tag);
    }
    out
}

/// A tag's content without whitespace-control marks (`{%- … -%}`, `<%- … -%>`, `{{~ … ~}}`).
fn clean(content: &str) -> String {
    content
        .trim()
        .trim_start_matches(['-', '~', '='])
        .trim_end_matches(['-', '~'])
        .trim()
        .to_owned()
}

/// The first word of a tag's content and the rest.
fn word(content: &str) -> (&str, &str) {
    let content = content.trim_start();
    let end = content
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(content.len());
    (&content[..end], content[end..].trim())
}

/// A control (or code) tag: what it does, whether it is blanked, and the block name it opens.
fn classify(dialect: Dialect, open: &str, content: &str) -> (Ctl, bool, String) {
    let c = content;
    let named = |ctl: Ctl, name: &str| (ctl, true, name.to_owned());
    match dialect {
        Dialect::Erb => erb(c),
        Dialect::Liquid | Dialect::Jinja => {
            let (w, rest) = word(c);
            match w {
                "if" | "unless" | "ifchanged" => named(Ctl::If(cond(w, rest)), w),
                "elsif" | "elif" | "elseif" => named(Ctl::Elif(rest.to_owned()), ""),
                "else" => named(Ctl::Else, ""),
                "case" => named(Ctl::If(String::new()), "case"),
                "when" => named(Ctl::Case(format!("when {rest}")), ""),
                "include" | "include_relative" | "render" | "section" | "import" | "from"
                | "embed" | "sections" => {
                    let kind = if w == "embed" {
                        IncludeKind::Layout
                    } else {
                        IncludeKind::Partial
                    };
                    let name = first_name(rest);
                    let condition = None;
                    let name = if w == "include_relative" {
                        format!("./{name}")
                    } else {
                        name
                    };
                    named(Ctl::Include(name, kind, condition), "")
                }
                "extends" | "layout" => named(
                    Ctl::Include(first_name(rest), IncludeKind::Layout, None),
                    "",
                ),
                w if w.starts_with("end") => named(Ctl::End(Some(w[3..].to_owned())), ""),
                "for" | "block" | "capture" | "tablerow" | "with" | "macro" | "filter"
                | "spaceless" | "autoescape" | "comment" | "raw" | "verbatim" | "call"
                | "paginate" | "form" | "schema" | "javascript" | "stylesheet" | "set"
                    if !(w == "set" && rest.contains('=')) =>
                {
                    named(Ctl::Open(w.to_owned()), w)
                }
                _ => named(Ctl::Other, ""),
            }
        }
        Dialect::Handlebars => {
            let c = c.trim_start_matches('~');
            if let Some(rest) = c.strip_prefix('#') {
                let (w, rest) = word(rest);
                return match w {
                    "if" | "unless" => named(Ctl::If(cond(w, rest)), w),
                    _ => named(Ctl::Open(w.to_owned()), w),
                };
            }
            if let Some(rest) = c.strip_prefix('/') {
                return named(Ctl::End(Some(word(rest).0.to_owned())), "");
            }
            if let Some(rest) = c.strip_prefix('>') {
                return named(
                    Ctl::Include(first_name(rest), IncludeKind::Partial, None),
                    "",
                );
            }
            if let Some(rest) = c.strip_prefix("else") {
                let rest = rest.trim();
                return match rest.strip_prefix("if ") {
                    Some(cond) => named(Ctl::Elif(cond.trim().to_owned()), ""),
                    None if rest.is_empty() => named(Ctl::Else, ""),
                    None => named(Ctl::Elif(rest.to_owned()), ""),
                };
            }
            if let Some(rest) = c.strip_prefix('^') {
                return named(Ctl::If(format!("not {rest}")), "^");
            }
            // `{{ x }}`: an output tag.
            (Ctl::Other, false, String::new())
        }
        Dialect::Go => go(c),
        Dialect::Php => php(c),
        Dialect::Jsp => jsp(open, c),
        Dialect::Svelte => {
            let w = open.chars().nth(1).unwrap_or(' ');
            let (kw, rest) = word(c);
            match (w, kw) {
                ('#', "if") => named(Ctl::If(rest.to_owned()), "if"),
                ('#', name) => named(Ctl::Open(name.to_owned()), name),
                (':', "else") => match rest.strip_prefix("if") {
                    Some(cond) => named(Ctl::Elif(cond.trim().to_owned()), ""),
                    None => named(Ctl::Else, ""),
                },
                (':', _) => named(Ctl::Other, ""),
                ('/', name) => named(Ctl::End(Some(name.to_owned())), ""),
                _ => (Ctl::Other, false, String::new()),
            }
        }
        _ => (Ctl::Other, true, String::new()),
    }
}

/// `unless x` is recorded as written.
fn cond(word: &str, rest: &str) -> String {
    if word == "if" {
        rest.to_owned()
    } else {
        format!("{word} {rest}")
    }
}

/// The first quoted or bare name in an include's arguments (`'layouts/heap'`, `head.html`,
/// `partial: "x"`).
fn first_name(rest: &str) -> String {
    static NAME: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"^\s*\(?\s*(?:partial:\s*|template:\s*|:partial\s*=>\s*)?(?:"([^"]*)"|'([^']*)'|([^\s,)'"%}]+))"#)
            .expect("include name pattern")
    });
    NAME.captures(rest)
        .and_then(|c| c.get(1).or(c.get(2)).or(c.get(3)))
        .map(|m| m.as_str().trim().to_owned())
        .unwrap_or_default()
}

/// Output tags: kept (a value the template fills in), except those that render a file.
fn classify_output(dialect: Dialect, content: &str) -> (Ctl, bool, String) {
    let (w, rest) = word(content);
    let include = |name: String, condition: Option<String>| {
        (
            Ctl::Include(name, IncludeKind::Partial, condition),
            true,
            String::new(),
        )
    };
    match dialect {
        Dialect::Erb if w == "render" || w == "yield" && !rest.is_empty() => {
            if w == "yield" {
                return (Ctl::Other, true, String::new());
            }
            let (args, condition) = modifier(rest);
            include(first_name(&args), condition)
        }
        Dialect::Erb if w == "yield" || w == "content_for" => (Ctl::Other, true, String::new()),
        Dialect::Php if w == "include" || w == "require" => include(php_path(rest), None),
        _ => (Ctl::Other, false, String::new()),
    }
}

/// `x if cond` / `x unless cond`: the arguments and the modifier's condition.
fn modifier(rest: &str) -> (String, Option<String>) {
    for kw in [" if ", " unless "] {
        if let Some(at) = rest.rfind(kw) {
            let condition = rest[at + 1..].trim();
            let condition = condition.strip_prefix("if ").unwrap_or(condition).trim();
            return (rest[..at].to_owned(), Some(condition.to_owned()));
        }
    }
    (rest.to_owned(), None)
}

/// ERB code tags: Ruby's `if`/`unless`/`case`/`elsif`/`else`/`when`/`end`, blocks with `do`.
fn erb(c: &str) -> (Ctl, bool, String) {
    let (w, rest) = word(c);
    let named = |ctl: Ctl, name: &str| (ctl, true, name.to_owned());
    match w {
        "if" | "unless" if !ends_with_end(rest) => named(Ctl::If(cond(w, rest)), "block"),
        "case" => named(Ctl::If(String::new()), "block"),
        "elsif" => named(Ctl::Elif(rest.to_owned()), ""),
        "else" => named(Ctl::Else, ""),
        "when" | "in" => named(Ctl::Case(format!("when {rest}")), ""),
        "end" => named(Ctl::End(None), ""),
        "render" => {
            let (args, condition) = modifier(rest);
            named(
                Ctl::Include(first_name(&args), IncludeKind::Partial, condition),
                "",
            )
        }
        _ if opens_ruby_block(c) => named(Ctl::Open("block".into()), "block"),
        _ => named(Ctl::Other, ""),
    }
}

fn ends_with_end(rest: &str) -> bool {
    rest.trim_end().ends_with(" end") || rest.contains(" then ")
}

fn opens_ruby_block(c: &str) -> bool {
    static DO: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:\bdo(?:\s*\|[^|]*\|)?|\b(?:while|until|for|begin)\b.*)\s*$")
            .expect("ruby block pattern")
    });
    DO.is_match(c) && !c.trim_end().ends_with("end")
}

/// Go templates (Hugo): `if`, `else if`, `else`, `with`, `range`, `define`, `block`, `end`,
/// `partial`, `template`.
fn go(c: &str) -> (Ctl, bool, String) {
    let (w, rest) = word(c);
    let named = |ctl: Ctl, name: &str| (ctl, true, name.to_owned());
    match w {
        "if" => named(Ctl::If(rest.to_owned()), "block"),
        "with" => named(Ctl::If(format!("with {rest}")), "block"),
        "else" => match word(rest) {
            ("if", cond) => named(Ctl::Elif(cond.to_owned()), ""),
            ("with", cond) => named(Ctl::Elif(format!("with {cond}")), ""),
            _ => named(Ctl::Else, ""),
        },
        "end" => named(Ctl::End(None), ""),
        "range" | "define" | "block" => named(Ctl::Open("block".into()), "block"),
        "partial" | "partialCached" | "template" => {
            let name = first_name(rest);
            if name.starts_with("_internal/") {
                return named(Ctl::Other, "");
            }
            named(Ctl::Include(name, IncludeKind::Partial, None), "")
        }
        _ => (Ctl::Other, false, String::new()),
    }
}

/// PHP code tags: `if (…):`/`elseif`/`else:`/`endif;`, brace style `if (…) {` … `} else {` …
/// `}`, and `include`/`require`/`get_template_part`/`get_header`.
fn php(c: &str) -> (Ctl, bool, String) {
    static IF: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\}?\s*(if|elseif|else\s+if)\s*\((.*)\)\s*[:{]\s*$").expect("php if")
    });
    let named = |ctl: Ctl, name: &str| (ctl, true, name.to_owned());
    let code = c.trim().trim_end_matches(';').trim();
    if let Some(m) = IF.captures(code) {
        let condition = m.get(2).map_or("", |m| m.as_str()).trim().to_owned();
        return match m.get(1).map_or("", |m| m.as_str()) {
            "if" => named(Ctl::If(condition), "block"),
            _ => named(Ctl::Elif(condition), ""),
        };
    }
    let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    match compact.as_str() {
        "else:" | "}else{" | "else{" => return named(Ctl::Else, ""),
        "endif" | "}" | "endforeach" | "endwhile" | "endfor" => return named(Ctl::End(None), ""),
        _ => {}
    }
    if (compact.starts_with("foreach(")
        || compact.starts_with("while(")
        || compact.starts_with("for("))
        && (compact.ends_with(':') || compact.ends_with('{'))
    {
        return named(Ctl::Open("block".into()), "block");
    }
    static INCLUDE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b(include|include_once|require|require_once|get_template_part|get_header|get_footer|get_sidebar)\b\s*\(?([^;]*)")
            .expect("php include")
    });
    if let Some(m) = INCLUDE.captures(code) {
        let what = m.get(1).map_or("", |m| m.as_str());
        let args = m.get(2).map_or("", |m| m.as_str());
        let name = match what {
            "get_header" | "get_footer" | "get_sidebar" => {
                let base = &what[4..];
                match first_quoted(args) {
                    Some(n) => format!("{base}-{n}.php"),
                    None => format!("{base}.php"),
                }
            }
            "get_template_part" => format!("{}.php", first_quoted(args).unwrap_or_default()),
            _ => php_path(args),
        };
        if !name.is_empty() {
            return (
                Ctl::Include(name, IncludeKind::Partial, None),
                false,
                String::new(),
            );
        }
    }
    (Ctl::Other, true, String::new())
}

fn first_quoted(s: &str) -> Option<String> {
    let q = s.find(['"', '\''])?;
    let quote = s[q..].chars().next()?;
    let body = &s[q + 1..];
    let end = body.find(quote)?;
    Some(body[..end].to_owned())
}

/// The path a PHP include names: its last quoted piece (`__DIR__ . '/partials/x.php'`).
fn php_path(args: &str) -> String {
    let mut last = None;
    let mut rest = args;
    while let Some(q) = rest.find(['"', '\'']) {
        let quote = rest[q..].chars().next().unwrap_or('"');
        let body = &rest[q + 1..];
        let Some(end) = body.find(quote) else { break };
        last = Some(body[..end].to_owned());
        rest = &body[end + 1..];
    }
    last.map(|p| {
        if args.contains("__DIR__") || args.contains("dirname(__FILE__)") {
            format!("./{}", p.trim_start_matches('/'))
        } else {
            p
        }
    })
    .unwrap_or_default()
}

/// JSP and ASP: `<%@ include file %>`, `<jsp:include page>`, `<!--#include file|virtual -->`,
/// JSTL `<c:if test>`/`<c:choose>`, and VBScript `If … Then`/`ElseIf`/`Else`/`End If`.
fn jsp(open: &str, c: &str) -> (Ctl, bool, String) {
    let named = |ctl: Ctl, name: &str| (ctl, true, name.to_owned());
    let attr = |name: &str| {
        let re = Regex::new(&format!(r#"\b{name}\s*=\s*(?:"([^"]*)"|'([^']*)')"#)).ok()?;
        re.captures(c)
            .and_then(|m| m.get(1).or(m.get(2)))
            .map(|m| m.as_str().to_owned())
    };
    match open {
        "<%@" | "<!--#include" | "<jsp:include" => {
            let name = attr("file")
                .or_else(|| attr("page"))
                .or_else(|| attr("virtual"));
            match name {
                Some(name) => named(Ctl::Include(name, IncludeKind::Partial, None), ""),
                None => named(Ctl::Other, ""),
            }
        }
        "<c:if" => named(Ctl::If(attr("test").unwrap_or_default()), "c:if"),
        "</c:if" => named(Ctl::End(Some("c:if".into())), ""),
        "<c:choose" => named(Ctl::If(String::new()), "c:choose"),
        "</c:choose" => named(Ctl::End(Some("c:choose".into())), ""),
        "<c:when" => named(Ctl::Case(attr("test").unwrap_or_default()), ""),
        "<c:otherwise" => named(Ctl::Else, ""),
        "</c:when" | "</c:otherwise" => named(Ctl::Other, ""),
        _ => {
            let (w, rest) = word(c);
            match w.to_ascii_lowercase().as_str() {
                "if" if rest.to_ascii_lowercase().trim_end().ends_with("then") => {
                    let condition = rest.trim_end();
                    named(
                        Ctl::If(condition[..condition.len() - 4].trim().to_owned()),
                        "block",
                    )
                }
                "elseif" => named(
                    Ctl::Elif(rest.trim_end_matches("Then").trim().to_owned()),
                    "",
                ),
                "else" => named(Ctl::Else, ""),
                "end" => named(Ctl::End(None), ""),
                _ => named(Ctl::Other, ""),
            }
        }
    }
}

/// A Blade directive at `start` (`@if(…)`, `@include('x')`, `@production`), with its
/// parenthesised arguments.
fn blade_directive(text: &str, start: usize) -> Option<Tag> {
    let bytes = text.as_bytes();
    if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'@') {
        return None; // an e-mail address, or `@@` escaping
    }
    let name_end = start
        + 1
        + text[start + 1..]
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .unwrap_or(text.len() - start - 1);
    let name = &text[start + 1..name_end];
    if name.is_empty() {
        return None;
    }
    let (args, end) = match text[name_end..]
        .trim_start_matches([' ', '\t'])
        .strip_prefix('(')
    {
        Some(_) => {
            let open = name_end + text[name_end..].find('(')?;
            let close = matching(text, open, b'(', b')')?;
            (text[open + 1..close].trim().to_owned(), close + 1)
        }
        None => (String::new(), name_end),
    };
    let named = |ctl: Ctl, n: &str| {
        Some(Tag {
            start,
            end,
            ctl,
            blank: true,
            name: n.to_owned(),
            output: false,
        })
    };
    match name {
        "if" | "isset" | "auth" | "guest" | "env" | "production" | "can" | "empty" | "unless"
        | "hasSection" => {
            let condition = match name {
                "if" => args,
                _ if args.is_empty() => format!("@{name}"),
                _ => format!("@{name}({args})"),
            };
            named(Ctl::If(condition), name)
        }
        "elseif" => named(Ctl::Elif(args), ""),
        "else" => named(Ctl::Else, ""),
        "switch" => named(Ctl::If(String::new()), "switch"),
        "case" => named(Ctl::Case(format!("case {args}")), ""),
        "default" => named(Ctl::Else, ""),
        "include" | "includeIf" | "includeFirst" | "each" | "component" | "livewire" => named(
            Ctl::Include(first_name(&args), IncludeKind::Partial, None),
            "",
        ),
        "includeWhen" | "includeUnless" => {
            // `@includeWhen(cond, 'view', [data])`: the condition runs to the first comma outside
            // brackets and quotes (`app()->environment('production')` has its own).
            let (condition, rest) = split_first_argument(&args);
            let view = first_quoted(rest).unwrap_or_default();
            let condition = if name == "includeUnless" {
                format!("unless {condition}")
            } else {
                condition.to_owned()
            };
            named(
                Ctl::Include(view, IncludeKind::Partial, Some(condition)),
                "",
            )
        }
        "extends" => named(
            Ctl::Include(first_name(&args), IncludeKind::Layout, None),
            "",
        ),
        "foreach" | "for" | "forelse" | "while" | "section" | "push" | "prepend" | "once"
        | "php" | "verbatim" | "slot" | "pushOnce" => {
            if name == "section" && args.contains(',') {
                return named(Ctl::Other, ""); // `@section('title', 'Home')` has no end
            }
            named(Ctl::Open(name.to_owned()), name)
        }
        n if n.starts_with("end") => named(Ctl::End(Some(n[3..].to_owned())), ""),
        "stop" | "show" | "overwrite" | "append" => named(Ctl::End(Some("section".into())), ""),
        "yield" | "stack" | "csrf" | "vite" | "method" | "json" | "livewireStyles"
        | "livewireScripts" => named(Ctl::Other, ""),
        _ => None,
    }
}

/// A call's first argument (trimmed) and the rest, split at the first comma outside brackets
/// and quotes.
fn split_first_argument(args: &str) -> (&str, &str) {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for (i, c) in args.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => return (args[..i].trim(), &args[i + 1..]),
            _ => {}
        }
    }
    (args.trim(), "")
}

/// The offset of the bracket closing the one at `open`, skipping quoted strings.
pub fn matching(text: &str, open: usize, left: u8, right: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            if b == b'\\' {
                i += 2;
                continue;
            }
            if b == q {
                quote = None;
            }
        } else if matches!(b, b'"' | b'\'' | b'`') {
            quote = Some(b);
        } else if b == left {
            depth += 1;
        } else if b == right {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

/// Vue and Svelte component code: top-level `<script>` blocks (not those inside
/// `<svelte:head>`, which are the page's). Astro's front matter is taken by [`front_matter`].
fn component_code(text: &str, dialect: Dialect, out: &mut Template, bytes: &mut [u8]) {
    let lower = text.to_ascii_lowercase();
    let mut at = 0;
    while let Some(i) = lower[at..].find("<script") {
        let start = at + i;
        let Some(open_end) = lower[start..].find('>').map(|j| start + j + 1) else {
            break;
        };
        let Some(close) = lower[open_end..].find("</script").map(|j| open_end + j) else {
            break;
        };
        let end = lower[close..]
            .find('>')
            .map_or(lower.len(), |j| close + j + 1);
        let in_head = dialect == Dialect::Svelte && {
            let before = &lower[..start];
            before
                .rfind("<svelte:head")
                .is_some_and(|h| before.rfind("</svelte:head").is_none_or(|c| c < h))
        };
        if !in_head {
            out.code.push((open_end, text[open_end..close].to_owned()));
            blank(bytes, start, end);
        }
        at = end;
    }
}

/// Vue `v-if` / `v-else-if` / `v-else` on sibling elements: each element is an arm.
fn vue_arms(text: &str, out: &mut Template) {
    static ATTR: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r#"<([A-Za-z][\w.-]*)\b[^>]*?\s(v-if|v-else-if|v-else)(?:\s*=\s*"([^"]*)")?[^>]*>"#,
        )
        .expect("vue v-if pattern")
    });
    let mut last_end: Option<(usize, usize)> = None; // (block index, end of previous arm)
    for m in ATTR.captures_iter(text) {
        let (Some(whole), Some(tag), Some(kind)) = (m.get(0), m.get(1), m.get(2)) else {
            continue;
        };
        let end = element_end(
            text,
            whole.end(),
            tag.as_str(),
            whole.as_str().ends_with("/>"),
        );
        let condition = m
            .get(3)
            .map_or("else".to_owned(), |c| c.as_str().to_owned());
        let arm = Arm {
            start: whole.start(),
            end,
            condition,
        };
        match (kind.as_str(), last_end) {
            ("v-if", _) | (_, None) => {
                out.blocks.push(Block {
                    offset: whole.start(),
                    arms: vec![arm],
                });
                last_end = Some((out.blocks.len() - 1, end));
            }
            (_, Some((block, prev_end))) => {
                let gap = text.get(prev_end..whole.start()).unwrap_or("x");
                if gap.trim().is_empty() {
                    out.blocks[block].arms.push(arm);
                } else {
                    out.blocks.push(Block {
                        offset: whole.start(),
                        arms: vec![arm],
                    });
                }
                last_end = Some((out.blocks.len() - 1, end));
            }
        }
    }
}

/// The end of an element that starts before `from` (after its start tag), counting nested
/// elements of the same name.
fn element_end(text: &str, from: usize, name: &str, self_closing: bool) -> usize {
    if self_closing {
        return from;
    }
    let lower = text.to_ascii_lowercase();
    let name = name.to_ascii_lowercase();
    let (open, close) = (format!("<{name}"), format!("</{name}"));
    let mut depth = 1;
    let mut at = from;
    while depth > 0 {
        let next_open = lower[at..].find(&open).map(|i| at + i);
        let Some(next_close) = lower[at..].find(&close).map(|i| at + i) else {
            return text.len();
        };
        match next_open {
            Some(o) if o < next_close => {
                depth += 1;
                at = o + open.len();
            }
            _ => {
                depth -= 1;
                at = lower[next_close..]
                    .find('>')
                    .map_or(text.len(), |i| next_close + i + 1);
            }
        }
    }
    at
}

/// Astro (and JSX-like markup): `{cond && (<script …/>)}` is a one-armed block,
/// `{cond ? (<A/>) : (<B/>)}` two arms.
fn astro_arms(text: &str, from: usize, out: &mut Template) {
    let bytes = text.as_bytes();
    let mut at = from;
    while let Some(i) = text[at..].find('{') {
        let open = at + i;
        let Some(close) = matching(text, open, b'{', b'}') else {
            break;
        };
        let inner = &text[open + 1..close];
        if let Some(and) = inner
            .find("&&")
            .filter(|&a| inner[a + 2..].trim_start().starts_with(['<', '(']))
        {
            out.blocks.push(Block {
                offset: open,
                arms: vec![Arm {
                    start: open + 1 + and + 2,
                    end: close,
                    condition: inner[..and].trim().to_owned(),
                }],
            });
        } else if let Some(q) = inner
            .find('?')
            .filter(|&q| inner[q + 1..].trim_start().starts_with(['<', '(']))
        {
            let then_start = open + 1 + q + 1;
            // The `:` that separates the arms: at depth 0 of the then-arm.
            let mut depth = 0i32;
            let mut colon = None;
            for (j, &b) in bytes[then_start..close].iter().enumerate() {
                match b {
                    b'(' | b'{' | b'[' => depth += 1,
                    b')' | b'}' | b']' => depth -= 1,
                    b':' if depth == 0 && bytes[then_start + j - 1] != b'<' => {
                        colon = Some(then_start + j);
                        break;
                    }
                    _ => {}
                }
            }
            let condition = inner[..q].trim().to_owned();
            let mut arms = vec![Arm {
                start: then_start,
                end: colon.unwrap_or(close),
                condition: condition.clone(),
            }];
            if let Some(colon) = colon {
                arms.push(Arm {
                    start: colon + 1,
                    end: close,
                    condition: "else".into(),
                });
            }
            out.blocks.push(Block { offset: open, arms });
        }
        at = open + 1;
    }
}

/// JavaScript imports (in component code and scripts) and the `<script src>` of site files: the
/// modules a page pulls in.
fn imports(text: &str, dialect: Dialect, out: &mut Template) {
    let mut found = Vec::new();
    for (offset, code) in &out.code {
        found.extend(
            js_imports(code)
                .into_iter()
                .map(|(at, name)| (offset + at, name)),
        );
    }
    if dialect == Dialect::Astro {
        found.extend(js_imports(text));
    }
    for (at, name) in script_srcs(text) {
        found.push((at, name));
    }
    for (at, name) in found {
        out.includes.push(Include {
            offset: at,
            name,
            kind: IncludeKind::Import,
            dialect,
            condition: None,
        });
    }
}

/// `import … from "x"`, `import("x")`, `require("x")`, `export … from "x"`: relative and aliased
/// specifiers only (packages are not the repository's).
pub fn js_imports(code: &str) -> Vec<(usize, String)> {
    static IMPORT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']([^"'\n]+)["']"#)
            .expect("import pattern")
    });
    IMPORT
        .captures_iter(code)
        .filter_map(|c| {
            let m = c.get(1)?;
            let name = m.as_str();
            let local = name.starts_with('.')
                || name.starts_with('/')
                || name.starts_with("@/")
                || name.starts_with("~/")
                || name.starts_with("~~/")
                || name.starts_with("$lib")
                || name.starts_with('#');
            local.then(|| (m.start(), name.to_owned()))
        })
        .collect()
}

/// `<script src="/js/x.js">` of the site's own (not `//host/…`, not `http…`), written literally.
fn script_srcs(text: &str) -> Vec<(usize, String)> {
    static SRC: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i)<script\b[^>]*?\ssrc\s*=\s*["']([^"'{}<>%]+)["']"#)
            .expect("script src pattern")
    });
    SRC.captures_iter(text)
        .filter_map(|c| {
            let m = c.get(1)?;
            let src = m.as_str();
            let local = !src.contains("://") && !src.starts_with("//") && !src.starts_with("data:");
            local.then(|| (m.start(), src.to_owned()))
        })
        .collect()
}

impl Template {
    /// The arms an offset sits in, outermost first: (block index, arm index, condition).
    pub fn arms_at(&self, offset: usize) -> Vec<(usize, usize, &str)> {
        let mut out: Vec<(usize, usize, &str)> = Vec::new();
        for (b, block) in self.blocks.iter().enumerate() {
            for (a, arm) in block.arms.iter().enumerate() {
                if offset >= arm.start && offset < arm.end {
                    out.push((b, a, arm.condition.as_str()));
                }
            }
        }
        out.sort_by_key(|(b, _, _)| self.blocks[*b].offset);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conditions(t: &Template, needle: &str) -> Vec<String> {
        let at = t.text.find(needle).expect("needle in text");
        t.arms_at(at)
            .into_iter()
            .map(|(_, _, c)| c.to_owned())
            .collect()
    }

    #[test]
    fn erb_if_else_makes_two_arms_and_keeps_output_tags() {
        let src = "<% if Rails.env.production? %>\n<script>heap.load(\"111\")</script>\n<% else %>\n<script>heap.load(\"<%= ENV['HEAP_ID'] %>\")</script>\n<% end %>\n<p>after</p>";
        let t = read(src, Dialect::Erb);
        assert_eq!(t.text.len(), src.len());
        assert_eq!(t.text.lines().count(), src.lines().count());
        assert!(!t.text.contains("Rails.env"), "control tags are blanked");
        // Output tags stand in as one value, whatever quotes they hold, and come back as written.
        let at = t.text.find("${_T0_").expect("a stand-in");
        assert_eq!(t.restore(&t.text[at..at + 21]), "<%= ENV['HEAP_ID'] %>");
        assert_eq!(conditions(&t, "\"111\""), ["Rails.env.production?"]);
        assert_eq!(conditions(&t, "${_T0_"), ["else"]);
        assert!(conditions(&t, "after").is_empty());
    }

    #[test]
    fn erb_blocks_with_do_do_not_close_the_if() {
        let src = "<% if x %><% items.each do |i| %><%= i %><% end %>A<% else %>B<% end %>";
        let t = read(src, Dialect::Erb);
        assert_eq!(conditions(&t, "A"), ["x"]);
        assert_eq!(conditions(&t, "B"), ["else"]);
    }

    #[test]
    fn erb_render_with_an_if_modifier_is_a_conditional_include() {
        let t = read("<%= render 'shared/segment' if Rails.env.production? %>\n<%= render partial: \"layouts/heap\" %>", Dialect::Erb);
        let got: Vec<_> = t
            .includes
            .iter()
            .map(|i| (i.name.as_str(), i.condition.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("shared/segment", Some("Rails.env.production?")),
                ("layouts/heap", None)
            ]
        );
    }

    #[test]
    fn liquid_front_matter_includes_and_environment() {
        let src = "---\nlayout: default\ntitle: x\n---\n{% include head.html %}\n{% if jekyll.environment == \"production\" %}P{% elsif site.staging %}S{% else %}D{% endif %}{% comment %}{% include old.html %}{% endcomment %}";
        let t = read(src, Dialect::Liquid);
        assert_eq!(t.layout.as_deref(), Some("default"));
        assert!(t.front_matter);
        assert_eq!(
            t.includes.len(),
            1,
            "the commented-out include is not one: {:?}",
            t.includes
        );
        assert_eq!(t.includes[0].name, "head.html");
        assert_eq!(
            conditions(&t, "P"),
            ["jekyll.environment == \"production\""]
        );
        assert_eq!(conditions(&t, "S"), ["site.staging"]);
        assert_eq!(conditions(&t, "D"), ["else"]);
    }

    #[test]
    fn jinja_extends_include_and_nested_blocks() {
        let src = "{% extends \"base.html\" %}{% block content %}{% if not debug %}{% include \"partials/heap.html\" %}X{% endif %}{% endblock %}";
        let t = read(src, Dialect::Jinja);
        let got: Vec<_> = t
            .includes
            .iter()
            .map(|i| (i.name.as_str(), i.kind))
            .collect();
        assert_eq!(
            got,
            [
                ("base.html", IncludeKind::Layout),
                ("partials/heap.html", IncludeKind::Partial)
            ]
        );
        assert_eq!(conditions(&t, "X"), ["not debug"]);
    }

    #[test]
    fn blade_directives() {
        let src = "@extends('layouts.app')\n@production\n@include('partials.segment')\n@else\nDEV\n@endproduction\n@if(app()->environment('production'))\nP\n@elseif(config('x'))\nQ\n@endif\nmail me at a@b.c";
        let t = read(src, Dialect::Blade);
        let got: Vec<_> = t.includes.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(got, ["layouts.app", "partials.segment"]);
        let seg = t.includes[1].offset;
        let arms: Vec<_> = t.arms_at(seg).into_iter().map(|a| a.2.to_owned()).collect();
        assert_eq!(arms, ["@production"]);
        assert_eq!(conditions(&t, "DEV"), ["else"]);
        assert_eq!(conditions(&t, "P\n"), ["app()->environment('production')"]);
        assert_eq!(conditions(&t, "Q"), ["config('x')"]);
        assert!(t.text.contains("a@b.c"));
        let t = read("@includeWhen(app()->environment('production'), 'partials.segment', ['key' => 1])\n@includeUnless($debug, 'partials.heap')", Dialect::Blade);
        let got: Vec<_> = t
            .includes
            .iter()
            .map(|i| (i.name.as_str(), i.condition.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("partials.segment", Some("app()->environment('production')")),
                ("partials.heap", Some("unless $debug"))
            ]
        );
    }

    #[test]
    fn go_templates_hugo() {
        let src = "{{ define \"main\" }}{{- if hugo.IsProduction -}}P{{ else }}D{{ end }}{{ partial \"analytics.html\" . }}{{ range .Pages }}{{ .Title }}{{ end }}{{ end }}";
        let t = read(src, Dialect::Go);
        assert_eq!(conditions(&t, "P"), ["hugo.IsProduction"]);
        assert_eq!(conditions(&t, "D"), ["else"]);
        assert_eq!(t.includes[0].name, "analytics.html");
        let at = t.text.find("${_T").expect("a stand-in");
        assert_eq!(t.restore(&t.text[at..at + 12]), "{{ .Title }}");
    }

    #[test]
    fn handlebars_and_svelte_and_php() {
        let t = read(
            "{{#if isProd}}P{{else}}D{{/if}}{{> head}}",
            Dialect::Handlebars,
        );
        assert_eq!(conditions(&t, "P"), ["isProd"]);
        assert_eq!(t.includes[0].name, "head");
        let t = read("<script>import X from './X.svelte';</script><svelte:head>{#if !dev}<script>P</script>{:else}D{/if}</svelte:head>", Dialect::Svelte);
        assert_eq!(conditions(&t, "<script>P"), ["!dev"]);
        assert_eq!(t.code.len(), 1, "the instance script is component code");
        assert_eq!(t.includes[0].name, "./X.svelte");
        let t = read("<?php if (WP_ENV === 'production') : ?>P<?php else : ?>D<?php endif; ?><?php get_header(); ?>", Dialect::Php);
        assert_eq!(conditions(&t, "P"), ["WP_ENV === 'production'"]);
        assert_eq!(conditions(&t, "D"), ["else"]);
        assert_eq!(t.includes[0].name, "header.php");
    }

    #[test]
    fn vue_and_astro_arms() {
        let t = read(
            "<template><div v-if=\"prod\"><b>P</b></div><div v-else>D</div></template>",
            Dialect::Vue,
        );
        assert_eq!(conditions(&t, "P"), ["prod"]);
        assert_eq!(conditions(&t, "D"), ["else"]);
        let t = read("---\nimport Heap from '../components/Heap.astro';\nconst prod = import.meta.env.PROD;\n---\n<head>{prod && <script is:inline>P</script>}{prod ? <Heap/> : <b>D</b>}</head>", Dialect::Astro);
        assert_eq!(conditions(&t, "P"), ["prod"]);
        assert_eq!(conditions(&t, "D"), ["else"]);
        assert_eq!(
            t.includes
                .iter()
                .filter(|i| i.kind == IncludeKind::Import)
                .count(),
            1
        );
    }

    #[test]
    fn jsp_and_asp() {
        let t = read("<%@ include file=\"/WEB-INF/jspf/heap.jspf\" %><c:choose><c:when test=\"${env == 'prod'}\">P</c:when><c:otherwise>D</c:otherwise></c:choose>", Dialect::Jsp);
        assert_eq!(t.includes[0].name, "/WEB-INF/jspf/heap.jspf");
        assert_eq!(conditions(&t, "P"), ["${env == 'prod'}"]);
        assert_eq!(conditions(&t, "D"), ["else"]);
        let t = read("<!--#include virtual=\"/inc/segment.asp\"--><% If Application(\"env\") = \"prod\" Then %>P<% Else %>D<% End If %>", Dialect::Jsp);
        assert_eq!(t.includes[0].name, "/inc/segment.asp");
        assert_eq!(conditions(&t, "P"), ["Application(\"env\") = \"prod\""]);
        assert_eq!(conditions(&t, "D"), ["else"]);
    }

    #[test]
    fn dialects_from_names() {
        assert_eq!(
            Dialect::of_path("app/views/layouts/application.html.erb"),
            Some(Dialect::Erb)
        );
        assert_eq!(
            Dialect::of_path("resources/views/a.blade.php"),
            Some(Dialect::Blade)
        );
        assert_eq!(Dialect::of_path("x.php"), Some(Dialect::Php));
        assert_eq!(Dialect::of_path("x.tsx"), None);
    }
}
