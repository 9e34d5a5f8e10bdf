//! JavaScript read as code, not as text: comments taken out, calls found with their arguments
//! resolved through the file's constants, and the conditions each call sits in told apart.
//!
//! [`Js::read`] parses a script with oxc (the fastest maintained JavaScript parser; see
//! `docs/dependencies.md`). The detector then matches its signatures on [`Js::code`], the text
//! with every comment blanked out (offsets and line breaks kept), and asks [`Js::call`] for the
//! call whose `(` a signature matched: its arguments as values, and its [`Context`].
//!
//! Code that does not parse (cut off, template syntax inside it) is read by a tokenizer that still
//! knows comments, strings, template literals and regular expressions: comments are blanked the
//! same way, and calls fall back to [`jsobj`]'s reading of literal arguments, without contexts.
//!
//! What a context is:
//! - a *guard*: the page's own `if (!window.heap) {…}` around a loader (the snippets' built-in
//!   guards, `analytics.invoked` and `analytics.initialize`, are part of the snippet, not recorded);
//! - an *arm*: one branch of an `if`/`else`, a `switch` or a `?:` (its condition as written); calls
//!   in different arms of one conditional are alternatives, never two loads;
//! - a *gate*: the call runs only when something happens: consent (a consent manager's callback or
//!   condition), an event listener for an event that does not always fire, or a condition that is
//!   neither an environment test nor a guard (a feature flag).

use std::collections::HashMap;

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    ArrowFunctionExpression, AssignmentExpression, AssignmentTarget, BindingPattern,
    CallExpression, ConditionalExpression, Expression, Function, IfStatement, JSXAttribute,
    JSXAttributeItem, JSXAttributeValue, JSXChild, JSXElement, JSXElementName, LogicalExpression,
    LogicalOperator, ObjectExpression, ObjectProperty, ObjectPropertyKind, PropertyKey, Statement,
    SwitchStatement, UnaryOperator, VariableDeclarator,
};
use oxc_ast_visit::{walk, Visit};
use oxc_span::{GetSpan, SourceType, Span};
use oxc_syntax::scope::ScopeFlags;
use serde_json::{Map, Number, Value};

use super::jsobj::{self, Arg, Args};

/// Deepest chain of constants followed when resolving a value.
const MAX_DEPTH: usize = 8;

/// How a script is run: classic scripts know HTML-like comments (`<!--`), modules do not.
/// TypeScript and JSX are a component's or a project's source files (read as modules).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Classic,
    Module,
    /// TypeScript (`.ts`, `.mts`, `.cts`, an Astro front matter, a `<script lang="ts">` block).
    Ts,
    /// JavaScript with JSX (`.jsx`).
    Jsx,
    /// TypeScript with JSX (`.tsx`).
    Tsx,
}

impl Kind {
    /// The kind of a source file, by its extension (`None`: not a script file).
    pub fn of_path(path: &str) -> Option<Kind> {
        let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        let (_, ext) = name.rsplit_once('.')?;
        match ext.to_ascii_lowercase().as_str() {
            "js" | "cjs" => Some(Kind::Classic),
            "mjs" => Some(Kind::Module),
            "ts" | "mts" | "cts" => Some(Kind::Ts),
            "jsx" => Some(Kind::Jsx),
            "tsx" => Some(Kind::Tsx),
            _ => None,
        }
    }

    /// The parser's readings to try, in order: a file given as a classic script may be a module
    /// (`import`, `export`), and a `.js` file may hold JSX.
    fn source_types(self) -> &'static [SourceType] {
        const CLASSIC: &[SourceType] = &[SourceType::cjs(), SourceType::mjs(), SourceType::jsx()];
        const MODULE: &[SourceType] = &[SourceType::mjs(), SourceType::jsx()];
        const TS: &[SourceType] = &[SourceType::ts(), SourceType::tsx()];
        const JSX: &[SourceType] = &[SourceType::jsx()];
        const TSX: &[SourceType] = &[SourceType::tsx()];
        match self {
            Kind::Classic => CLASSIC,
            Kind::Module => MODULE,
            Kind::Ts => TS,
            Kind::Jsx => JSX,
            Kind::Tsx => TSX,
        }
    }
}

/// A script, read.
#[derive(Debug)]
pub struct Js {
    code: String,
    parsed: bool,
    /// Calls by the offset of their `(`.
    calls: HashMap<usize, Call>,
    /// How many arms of each conditional hold a call.
    arms: HashMap<u32, usize>,
    /// Conditionals that have one arm only (an `if` without `else` on the environment).
    one_armed: Vec<u32>,
    /// Markup written from strings.
    markup: Vec<Written>,
    /// Code injected from strings (`script.text = "…"`, `script.innerHTML = \`…\``), or given
    /// to a script element (`<Script dangerouslySetInnerHTML={{__html: …}} />`, `<script>{…}</script>`,
    /// a head manager's `{ innerHTML: … }`).
    injected: Vec<Written>,
    /// Script URLs given to a script element (`<Script src="…">`, a head manager's `{ src: … }`).
    sources: Vec<Written>,
    /// The code with the strings of `markup`, `injected` and `sources` blanked as well (`None`
    /// when there are none): what those strings hold is read on its own.
    outer: Option<String>,
}

/// A string the code writes into the page, runs, or loads as a script: where it is written, its
/// value, and where it sits (the conditions around it).
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// Offset of the string's value (after its opening quote), or of the constant holding it,
    /// in the code.
    pub at: usize,
    /// Offset just past it.
    pub end: usize,
    /// Its value.
    pub text: String,
    /// Where it sits, as for a call.
    pub context: Context,
    /// Stand-ins the value holds for expressions the file does not hold (in script URLs only:
    /// `${process.env.NEXT_PUBLIC_SEGMENT_KEY}`): each stand-in, and the expression as written.
    pub holes: Vec<(String, String)>,
}

/// One call expression.
#[derive(Debug, Clone)]
struct Call {
    args: Args,
    context: Context,
}

/// Where a call sits.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    /// The page's own no-op guard around it, as written.
    pub guard: Option<String>,
    /// What it waits for, if anything.
    pub gate: Option<Gate>,
    /// The innermost conditional arm it is in: `(conditional, arm, condition)`.
    pub arm: Option<(u32, u32, String)>,
}

/// What a gated call waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    pub consent: bool,
    pub manager: Option<&'static str>,
    pub category: Option<String>,
    pub condition: String,
}

impl Js {
    /// Read `code` (a whole script, a file or a tag's code), every call in it.
    pub fn read(code: &str, kind: Kind) -> Js {
        Js::read_calls(code, kind, None)
    }

    /// Read `code`, recording only the calls whose `(` is at one of `calls` (`None`: all).
    pub fn read_calls(
        code: &str,
        kind: Kind,
        calls: Option<std::collections::HashSet<usize>>,
    ) -> Js {
        // The parser and the walk recurse with the nesting of the code: hostile or generated code
        // nested deeper than any real script is read by the tokenizer instead.
        if too_deep(code) {
            return Js {
                code: blank_comments_by_tokens(code, kind),
                parsed: false,
                ..Js::empty()
            };
        }
        let allocator = Allocator::default();
        let failed = |ret: &oxc_parser::ParserReturn| ret.panicked || !ret.diagnostics.is_empty();
        let mut parsed = None;
        // JSX has a closing tag or a self-closing one: a plain script without either is not read
        // a third time.
        let may_be_jsx = code.contains("/>") || code.contains("</");
        for &source_type in kind.source_types() {
            if source_type.is_jsx() && !may_be_jsx && matches!(kind, Kind::Classic | Kind::Module) {
                continue;
            }
            let ret = oxc_parser::Parser::new(&allocator, code, source_type).parse();
            if !failed(&ret) {
                parsed = Some((ret, source_type));
                break;
            }
        }
        let Some((ret, source_type)) = parsed else {
            return Js {
                code: blank_comments_by_tokens(code, kind),
                parsed: false,
                ..Js::empty()
            };
        };
        let mut blanked = code.as_bytes().to_vec();
        for comment in &ret.program.comments {
            blank(
                &mut blanked,
                comment.span.start as usize,
                comment.span.end as usize,
            );
        }
        let mut reader = Reader::new(code, source_type);
        reader.wanted = Wanted(calls);
        reader.collect_bindings(&ret.program.body);
        reader.visit_program(&ret.program);
        let code_text = String::from_utf8(blanked.clone()).unwrap_or_else(|_| code.to_owned());
        let written: Vec<&Written> = reader
            .markup
            .iter()
            .chain(&reader.injected)
            .chain(&reader.sources)
            .collect();
        let outer = (!written.is_empty()).then(|| {
            for w in written {
                blank(&mut blanked, w.at, w.end);
            }
            String::from_utf8(blanked).unwrap_or_else(|_| code_text.clone())
        });
        Js {
            code: code_text,
            parsed: true,
            calls: reader.calls,
            arms: reader.arms,
            one_armed: reader.one_armed,
            markup: reader.markup,
            injected: reader.injected,
            sources: reader.sources,
            outer,
        }
    }

    fn empty() -> Js {
        Js {
            code: String::new(),
            parsed: false,
            calls: HashMap::new(),
            arms: HashMap::new(),
            one_armed: Vec::new(),
            markup: Vec::new(),
            injected: Vec::new(),
            sources: Vec::new(),
            outer: None,
        }
    }

    /// The code with every comment blanked out: same length, same line breaks.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// Whether the code parsed (else only comments were taken out, by the tokenizer).
    pub fn parsed(&self) -> bool {
        self.parsed
    }

    /// The arguments of the call whose `(` is at `open`: read from the syntax tree, with constants
    /// resolved, when the code parsed (`None` when no call starts there: the text is inside a
    /// string or a regular expression); else read as literals by [`jsobj`].
    pub fn call_args(&self, open: usize) -> Option<Args> {
        if self.parsed {
            self.calls.get(&open).map(|call| call.args.clone())
        } else {
            Some(jsobj::call_args(&self.code, open))
        }
    }

    /// Where the call whose `(` is at `open` sits (nothing known when the code did not parse).
    pub fn context(&self, open: usize) -> Context {
        self.calls
            .get(&open)
            .map(|c| c.context.clone())
            .unwrap_or_default()
    }

    /// Markup the code writes from string literals (`document.write("\x3cscript …")`): their
    /// `<script>` elements are the page's too.
    pub fn markup(&self) -> &[Written] {
        &self.markup
    }

    /// Code the script injects from strings (`el.text = "…"`, `el.innerHTML = \`…\``), or
    /// renders as a script element's code (JSX, head managers): it runs as a script of its own.
    pub fn injected(&self) -> &[Written] {
        &self.injected
    }

    /// Script URLs the code renders as script elements (`<Script src="…" />`, `{ src: "…" }` in a
    /// head manager's `script` list).
    pub fn sources(&self) -> &[Written] {
        &self.sources
    }

    /// [`Js::code`] with the strings of [`Js::markup`], [`Js::injected`] and [`Js::sources`]
    /// blanked too: what is read on its own is not matched again in the code around it.
    pub fn outer_code(&self) -> &str {
        self.outer.as_deref().unwrap_or(&self.code)
    }

    /// Whether a conditional is an `if` without `else` (or `&&`): its one arm is a condition on
    /// the environment, not a choice between alternatives.
    pub fn one_armed(&self, conditional: u32) -> bool {
        self.one_armed.contains(&conditional)
    }

    /// How many arms of a conditional hold a call that was looked at.
    pub fn arms(&self, conditional: u32) -> usize {
        self.arms.get(&conditional).copied().unwrap_or(0)
    }
}

/// Deepest bracket nesting parsed: far beyond real scripts (minified bundles stay under 100),
/// well within the stack of a worker thread.
const MAX_NESTING: usize = 400;

/// Whether the brackets of `code` nest deeper than [`MAX_NESTING`] (brackets in strings and
/// comments count too: this is a bound, not a reading).
fn too_deep(code: &str) -> bool {
    let mut depth = 0usize;
    for b in code.bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return true;
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Scripts up to this size are kept once read twice: a site's pages repeat the same inline
/// snippets.
pub const CACHED_SCRIPT: usize = 16 * 1024;
/// At most this many scripts are kept (about 12 MB at the worst); when full, the cache starts over.
const CACHED_SCRIPTS: usize = 256;

/// At most this many scripts seen once are remembered, by hash only (about 130 KB when full).
const SEEN_ONCE: usize = 4096;

/// What was made of short scripts, by text and kind: what a site repeats on every page is made
/// once. A script is kept from the second time it is met: a script only one page has (page data,
/// a per-page config) is never copied in, so it neither takes room nor pushes out the snippets
/// every page repeats. Keyed by the text's hash, with the text kept to tell collisions; holds at
/// most [`CACHED_SCRIPTS`] entries, and starts over when full.
pub struct ByScript<T>(std::sync::Mutex<Scripts<T>>);

/// What a [`ByScript`] holds.
struct Scripts<T> {
    kept: HashMap<(u64, Kind), Kept<T>>,
    /// The scripts met once and not kept, by hash.
    seen_once: crate::hashing::HashSet<(u64, Kind)>,
}

/// A script's text, and what was made of it.
type Kept<T> = (String, std::sync::Arc<T>);

impl<T> Default for ByScript<T> {
    fn default() -> ByScript<T> {
        ByScript(std::sync::Mutex::new(Scripts {
            kept: HashMap::default(),
            seen_once: Default::default(),
        }))
    }
}

impl<T> ByScript<T> {
    /// What `make` makes of `code`: made on a text's first two sights, then taken from the memo
    /// (scripts over [`CACHED_SCRIPT`] bytes are made each time, not kept).
    pub fn get_or(&self, code: &str, kind: Kind, make: impl FnOnce() -> T) -> std::sync::Arc<T> {
        use std::sync::Arc;
        if code.len() > CACHED_SCRIPT {
            return Arc::new(make());
        }
        let key = (crate::hashing::hash_of(code), kind);
        let lock = || self.0.lock().unwrap_or_else(|e| e.into_inner());
        let again = {
            let mut memo = lock();
            if let Some((text, made)) = memo.kept.get(&key) {
                if text == code {
                    return Arc::clone(made);
                }
            }
            if memo.seen_once.remove(&key) {
                true
            } else {
                if memo.seen_once.len() >= SEEN_ONCE {
                    memo.seen_once.clear();
                }
                memo.seen_once.insert(key);
                false
            }
        };
        let made = Arc::new(make());
        if again {
            let mut memo = lock();
            if memo.kept.len() >= CACHED_SCRIPTS {
                memo.kept.clear();
            }
            memo.kept.insert(key, (code.to_owned(), Arc::clone(&made)));
        }
        made
    }
}

/// [`Js::read_calls`], by script ([`ByScript`]): the same inline snippet on every page of a site
/// is read on the first two pages only. `calls` is asked for only when the script is read.
pub fn read_cached(
    code: &str,
    kind: Kind,
    calls: impl FnOnce() -> std::collections::HashSet<usize>,
) -> std::sync::Arc<Js> {
    static CACHE: std::sync::OnceLock<ByScript<Js>> = std::sync::OnceLock::new();
    CACHE
        .get_or_init(ByScript::default)
        .get_or(code, kind, || Js::read_calls(code, kind, Some(calls())))
}

/// Replace `bytes[start..end]` by spaces, keeping line breaks.
fn blank(bytes: &mut [u8], start: usize, end: usize) {
    for b in bytes.iter_mut().take(end).skip(start) {
        if *b != b'\n' && *b != b'\r' {
            *b = b' ';
        }
    }
}

/// Blank comments with a tokenizer that knows strings, template literals (with `${…}` nesting)
/// and regular expression literals, for code the parser could not read.
pub fn blank_comments_by_tokens(code: &str, kind: Kind) -> String {
    let s = code.as_bytes();
    let mut out = s.to_vec();
    let mut i = 0;
    // Template literal nesting: each entry counts the braces open inside one `${`.
    let mut templates: Vec<usize> = Vec::new();
    // Whether a `/` here starts a regular expression (after an operator, at the start).
    let mut regex_allowed = true;
    let at_line_start = |i: usize| {
        s[..i]
            .iter()
            .rev()
            .take_while(|&&b| b != b'\n')
            .all(|b| b.is_ascii_whitespace())
    };
    while i < s.len() {
        let b = s[i];
        match b {
            b'/' if s.get(i + 1) == Some(&b'/') => {
                let end = memchr::memchr(b'\n', &s[i..]).map_or(s.len(), |n| i + n);
                blank(&mut out, i, end);
                i = end;
            }
            b'/' if s.get(i + 1) == Some(&b'*') => {
                let end = memchr::memmem::find(&s[i + 2..], b"*/").map_or(s.len(), |n| i + n + 4);
                blank(&mut out, i, end);
                i = end;
            }
            b'<' if kind == Kind::Classic && s[i..].starts_with(b"<!--") => {
                let end = memchr::memchr(b'\n', &s[i..]).map_or(s.len(), |n| i + n);
                blank(&mut out, i, end);
                i = end;
            }
            b'-' if kind == Kind::Classic && s[i..].starts_with(b"-->") && at_line_start(i) => {
                let end = memchr::memchr(b'\n', &s[i..]).map_or(s.len(), |n| i + n);
                blank(&mut out, i, end);
                i = end;
            }
            b'"' | b'\'' => {
                i = skip_string(s, i);
                regex_allowed = false;
            }
            b'`' => {
                i = skip_template(s, i + 1, &mut templates);
                regex_allowed = false;
            }
            b'}' if templates.last() == Some(&0) => {
                templates.pop();
                i = skip_template(s, i + 1, &mut templates);
                regex_allowed = false;
            }
            b'{' | b'}' => {
                if let Some(depth) = templates.last_mut() {
                    if b == b'{' {
                        *depth += 1;
                    } else {
                        *depth = depth.saturating_sub(1);
                    }
                }
                regex_allowed = true;
                i += 1;
            }
            b'/' if regex_allowed => {
                i = skip_regex(s, i);
                regex_allowed = false;
            }
            b')' | b']' => {
                regex_allowed = false;
                i += 1;
            }
            b if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80 => {
                let start = i;
                while i < s.len()
                    && (s[i].is_ascii_alphanumeric()
                        || s[i] == b'_'
                        || s[i] == b'$'
                        || s[i] >= 0x80)
                {
                    i += 1;
                }
                // After a keyword that takes an expression, `/` starts a regular expression.
                regex_allowed = matches!(
                    &s[start..i],
                    b"return"
                        | b"typeof"
                        | b"case"
                        | b"do"
                        | b"else"
                        | b"in"
                        | b"of"
                        | b"new"
                        | b"delete"
                        | b"void"
                        | b"throw"
                        | b"instanceof"
                        | b"yield"
                        | b"await"
                );
            }
            b if b.is_ascii_whitespace() => i += 1,
            _ => {
                regex_allowed = true;
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| code.to_owned())
}

/// Past a `'` or `"` string starting at `i` (or the end of the line, where an unclosed one ends).
fn skip_string(s: &[u8], i: usize) -> usize {
    let quote = s[i];
    let mut j = i + 1;
    while j < s.len() {
        match s[j] {
            b'\\' => j += 2,
            b'\n' => return j,
            c if c == quote => return j + 1,
            _ => j += 1,
        }
    }
    s.len()
}

/// Past the text of a template literal from `i` (just after `` ` `` or a `}` closing `${`): to
/// its closing backtick, or into a `${`, which pushes a nesting level.
fn skip_template(s: &[u8], mut i: usize, templates: &mut Vec<usize>) -> usize {
    while i < s.len() {
        match s[i] {
            b'\\' => i += 2,
            b'`' => return i + 1,
            b'$' if s.get(i + 1) == Some(&b'{') => {
                templates.push(0);
                return i + 2;
            }
            _ => i += 1,
        }
    }
    s.len()
}

/// Past a regular expression literal at `i` (its classes may hold `/`).
fn skip_regex(s: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    let mut class = false;
    while j < s.len() {
        match s[j] {
            b'\\' => j += 2,
            b'\n' => return j,
            b'[' => {
                class = true;
                j += 1;
            }
            b']' => {
                class = false;
                j += 1;
            }
            b'/' if !class => {
                j += 1;
                while j < s.len() && s[j].is_ascii_alphabetic() {
                    j += 1;
                }
                return j;
            }
            _ => j += 1,
        }
    }
    s.len()
}

/// A value an expression has, as far as the file tells.
#[derive(Debug, Clone)]
enum Val {
    Known(Value),
    /// One of several values, each with the condition that picks it.
    Choice(Vec<(Value, String)>),
    /// Not in this file: the expression as written.
    Unknown(String),
}

/// Longest text a written string is built to (a snippet is 1-2 kB; a bundle's templates may be
/// far longer and are not code to scan).
const MAX_WRITTEN: usize = 256 * 1024;

/// Longest constant read as a written string: a snippet held in a constant is a few kB; a
/// bundle may assign `el.textContent = x` often, and each constant is parsed again.
const MAX_BOUND_WRITTEN: usize = 32 * 1024;

/// The digits a script URL holds in place of an expression the file does not hold (followed by
/// the hole's number): digits, so that the URL patterns' id groups accept them.
pub const STAND_IN: &str = "0000000000000000";

/// A string built from code, with where it is written.
#[derive(Debug)]
struct Piece {
    text: String,
    span: Span,
    holes: Vec<(String, String)>,
}

impl Piece {
    fn at(span: Span) -> Piece {
        Piece {
            text: String::new(),
            span,
            holes: Vec::new(),
        }
    }
}

/// How a written string keeps the expressions the file does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holes {
    /// As `${expr}` inside quotes, bare outside them: code that reads them as outside values.
    Code,
    /// As stand-ins of digits ([`STAND_IN`]).
    Url,
}

/// Where a written string goes.
#[derive(Debug, Clone, Copy)]
enum Into {
    Markup,
    Injected,
    Source,
}

/// A script element's properties, as far as they matter.
#[derive(Debug, Default)]
struct ScriptProps {
    src: Option<Piece>,
    code: Vec<Piece>,
    ty: Option<String>,
    /// A consent manager's attribute (`data-cookieconsent`, `data-category`) and its value.
    consent: Option<(String, String)>,
}

/// A property's value: a JSX string attribute, or an expression.
#[derive(Clone, Copy)]
enum Prop<'r, 'a> {
    Str(&'r str, Span),
    Expr(&'r Expression<'a>),
}

/// Whether an expression holds text to write: a string or template literal, or a concatenation
/// with one.
fn has_text(expr: &Expression<'_>) -> bool {
    match expr.get_inner_expression() {
        Expression::StringLiteral(_) | Expression::TemplateLiteral(_) => true,
        Expression::BinaryExpression(b) if b.operator.as_str() == "+" => {
            has_text(&b.left) || has_text(&b.right)
        }
        _ => false,
    }
}

/// An arm that renders nothing: `null`, `undefined`, `false`, `""`.
fn is_nothing(expr: &Expression<'_>) -> bool {
    match expr.get_inner_expression() {
        Expression::NullLiteral(_) => true,
        Expression::BooleanLiteral(b) => !b.value,
        Expression::StringLiteral(s) => s.value.is_empty(),
        e => e.is_undefined(),
    }
}

/// A frame of the context stack while walking the tree.
#[derive(Debug, Clone)]
enum Frame {
    Guard(String),
    Gate(Gate),
    Arm(u32, u32, String),
    /// A function's name and parameter list, as spans: read only when a recorded call needs
    /// them (a bundle has thousands of functions).
    Params(Option<Span>, Span),
}

struct Reader<'s> {
    src: &'s str,
    /// Constants of the file: `name` (or `a.b` for `window.a.b = …`) → its value's source span.
    bindings: HashMap<String, Span>,
    /// How often each name is declared or assigned in the file.
    declared: HashMap<String, usize>,
    /// Functions passed by name to a listener or a consent API (`addEventListener(e, loadHeap)`):
    /// their bodies run behind that gate.
    callbacks: HashMap<String, Gate>,
    /// The file's source type (constants' values are parsed again with it).
    source_type: SourceType,
    /// Strings holding markup (`document.write("<script …>")`, `el.innerHTML = "…"`).
    markup: Vec<Written>,
    /// Strings run as code (`script.text = "…"`, a script element's code).
    injected: Vec<Written>,
    /// Script URLs of script elements.
    sources: Vec<Written>,
    /// The expression being visited is (an element of) a head manager's `script` list: an
    /// object in it is a script element's properties.
    script_list: bool,
    /// Functions by name → their parameter names (to resolve `f('123')` into `f`'s body).
    calls_by_name: HashMap<String, Vec<Span>>,
    stack: Vec<Frame>,
    next_conditional: u32,
    /// An `else if`: the conditional and arm its `if` continues.
    chain: Option<(u32, u32)>,
    calls: HashMap<usize, Call>,
    arms: HashMap<u32, usize>,
    /// Arms already counted, per conditional.
    counted: Vec<(u32, u32)>,
    one_armed: Vec<u32>,
    /// Offsets of the `(` of the calls to read (`None`: every call).
    wanted: Wanted,
}

/// The calls a reader records.
#[derive(Debug, Default)]
struct Wanted(Option<std::collections::HashSet<usize>>);

impl Wanted {
    fn contains(&self, open: &usize) -> bool {
        self.0.as_ref().is_none_or(|set| set.contains(open))
    }
}

impl<'s> Reader<'s> {
    fn new(src: &'s str, source_type: SourceType) -> Reader<'s> {
        Reader {
            src,
            source_type,
            bindings: HashMap::new(),
            declared: HashMap::new(),
            callbacks: HashMap::new(),
            markup: Vec::new(),
            injected: Vec::new(),
            sources: Vec::new(),
            script_list: false,
            calls_by_name: HashMap::new(),
            stack: Vec::new(),
            next_conditional: 0,
            chain: None,
            calls: HashMap::new(),
            arms: HashMap::new(),
            counted: Vec::new(),
            one_armed: Vec::new(),
            wanted: Wanted::default(),
        }
    }

    fn text(&self, span: Span) -> &'s str {
        self.src
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }

    /// Source text with its white space folded, for conditions and `id_from` (at most
    /// [`MAX_TEXT`] bytes of it: a condition that long is a whole function, not a test).
    fn folded(&self, span: Span) -> String {
        fold(cap(self.text(span)))
    }

    /// Every constant of the file: declarations and assignments anywhere (scopes are not told
    /// apart: a snippet and its ids live in one script), and calls by callee name.
    fn collect_bindings(&mut self, body: &[Statement<'_>]) {
        struct Collect<'r, 's> {
            reader: &'r mut Reader<'s>,
        }
        impl<'a> Visit<'a> for Collect<'_, '_> {
            fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
                if let (BindingPattern::BindingIdentifier(id), Some(init)) = (&it.id, &it.init) {
                    let name = id.name.to_string();
                    *self.reader.declared.entry(name.clone()).or_default() += 1;
                    self.reader.bindings.entry(name).or_insert(init.span());
                }
                walk::walk_variable_declarator(self, it);
            }
            fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
                let target = match &it.left {
                    AssignmentTarget::AssignmentTargetIdentifier(id) => Some(id.name.to_string()),
                    AssignmentTarget::StaticMemberExpression(m) => {
                        Some(path(self.reader.text(m.span)))
                    }
                    _ => None,
                };
                if let Some(name) = target {
                    let name = name.strip_prefix("window.").unwrap_or(&name).to_owned();
                    *self.reader.declared.entry(name.clone()).or_default() += 1;
                    self.reader.bindings.entry(name).or_insert(it.right.span());
                }
                walk::walk_assignment_expression(self, it);
            }
            fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
                if let Expression::Identifier(id) = &it.callee {
                    self.reader
                        .calls_by_name
                        .entry(id.name.to_string())
                        .or_default()
                        .push(it.span);
                }
                if let Some(Frame::Gate(gate)) = self.reader.callback_frame(it) {
                    for arg in &it.arguments {
                        if let Some(Expression::Identifier(id)) = arg.as_expression() {
                            self.reader
                                .callbacks
                                .insert(id.name.to_string(), gate.clone());
                        }
                    }
                }
                walk::walk_call_expression(self, it);
            }
        }
        let mut collect = Collect { reader: self };
        for statement in body {
            collect.visit_statement(statement);
        }
    }

    /// A new conditional, or the one an `else if` continues.
    fn conditional(&mut self) -> (u32, u32) {
        self.chain.take().unwrap_or_else(|| {
            self.next_conditional += 1;
            (self.next_conditional, 0)
        })
    }

    /// Visit `node` with `frame` on the context stack.
    fn within(&mut self, frame: Frame, visit: impl FnOnce(&mut Self)) {
        self.stack.push(frame);
        visit(self);
        self.stack.pop();
    }

    /// The frame a one-armed condition (`if` without `else`, `&&`) makes, from its test.
    fn one_armed(&mut self, test: &Expression<'_>) -> Option<Frame> {
        let text = self.folded(test.span());
        // A test with a constant value (`"object" !== "undefined"`, what a bundler leaves of
        // `typeof window !== "undefined"`), or a server-side-rendering check of the browser's
        // globals, holds in every browser.
        if is_builtin_guard(&text) || is_browser_check(&text) {
            return None;
        }
        let literal = |e: &Expression<'_>| {
            matches!(
                e,
                Expression::StringLiteral(_)
                    | Expression::NumericLiteral(_)
                    | Expression::BooleanLiteral(_)
                    | Expression::NullLiteral(_)
            )
        };
        let constant = match test {
            Expression::BinaryExpression(b) => literal(&b.left) && literal(&b.right),
            Expression::UnaryExpression(u) => literal(&u.argument),
            other => literal(other),
        };
        if constant {
            if let Val::Known(value) = self.eval(test, 0) {
                if truthy(&value) {
                    return None;
                }
            }
        }
        self.one_armed_text(text)
    }

    /// [`Reader::one_armed`] of a test's text.
    fn one_armed_text(&mut self, text: String) -> Option<Frame> {
        if is_page_guard(&text) {
            return Some(Frame::Guard(text));
        }
        if let Some(gate) = consent_gate(&text) {
            return Some(Frame::Gate(gate));
        }
        if is_environment(&text) {
            let (conditional, arm) = self.conditional();
            self.one_armed.push(conditional);
            return Some(Frame::Arm(conditional, arm, text));
        }
        Some(Frame::Gate(Gate {
            consent: false,
            manager: None,
            category: None,
            condition: text,
        }))
    }

    /// The frame a callback passed to `call` makes: a gate for consent APIs and listeners of
    /// events that do not always fire; nothing for wrappers that always run the callback.
    fn callback_frame(&self, call: &CallExpression<'_>) -> Option<Frame> {
        // Most calls are neither a listener nor a consent API: tell from the callee's text
        // without allocating (a long callee is a function expression, an IIFE).
        let raw = self.text(call.callee.span());
        if raw.len() > 120 || call.arguments.is_empty() {
            return None;
        }
        let listener_like = ["addEventListener", "attachEvent", "on", "one", "bind"]
            .iter()
            .any(|m| raw.trim_end().ends_with(m));
        let consent_like = raw.bytes().any(|b| b == b'_' || b.is_ascii_uppercase())
            && CONSENT_MARKERS
                .iter()
                .any(|m| raw.to_ascii_lowercase().contains(m));
        if !listener_like && !consent_like {
            return None;
        }
        let callee = path(raw);
        let first = call.arguments.first().map(|a| self.folded(a.span()));
        let text = match &first {
            Some(first) => format!("{callee}({first})"),
            None => callee.clone(),
        };
        if let Some(gate) = consent_gate(&text) {
            return Some(Frame::Gate(gate));
        }
        let listener = ["addEventListener", "attachEvent", ".on", ".one", ".bind"]
            .iter()
            .any(|m| callee.ends_with(m) || callee == m.trim_start_matches('.'));
        let event = first.as_deref().map(unquote).unwrap_or_default();
        let always = [
            "DOMContentLoaded",
            "load",
            "onload",
            "readystatechange",
            "onreadystatechange",
            "turbolinks:load",
            "turbo:load",
            "page:load",
            "pageshow",
        ];
        (listener && !event.is_empty() && !always.contains(&event)).then_some(Frame::Gate(Gate {
            consent: false,
            manager: None,
            category: None,
            condition: text,
        }))
    }

    fn record(&mut self, call: &CallExpression<'_>) {
        let callee_end = call.callee.span().end as usize;
        let Some(open) = self.src[callee_end.min(self.src.len())..]
            .find('(')
            .map(|n| callee_end + n)
        else {
            return;
        };
        // Only the calls a signature matched are read (their arguments evaluated, their context
        // worked out): a bundle has thousands of others.
        if !self.wanted.contains(&open) {
            return;
        }
        let mut values = Vec::with_capacity(call.arguments.len());
        for arg in &call.arguments {
            let value = match arg.as_expression() {
                Some(expr) => self.eval(expr, 0),
                None => Val::Unknown(self.folded(arg.span())),
            };
            let value = match value {
                Val::Unknown(text) => self.passed_by_caller(&text).unwrap_or(Val::Unknown(text)),
                other => other,
            };
            values.push(match value {
                Val::Known(v) => Arg::Literal(v),
                Val::Choice(choices) => Arg::Choice(choices),
                Val::Unknown(text) => Arg::Expr(text),
            });
        }
        // `id && heap.load(id)`: a test that the id is set is no gate.
        let arg_texts: Vec<String> = call
            .arguments
            .iter()
            .map(|a| self.folded(a.span()))
            .collect();
        let context = self.context_here(&arg_texts);
        let args = Args {
            values,
            end: call.span.end as usize,
        };
        self.calls.insert(open, Call { args, context });
    }

    /// The context of what is visited now: its guard, its gates (those whose condition is one of
    /// `skip` left out), its innermost arm, which is counted as an arm that holds something.
    fn context_here(&mut self, skip: &[String]) -> Context {
        let mut context = Context::default();
        for frame in &self.stack {
            match frame {
                Frame::Gate(gate) if skip.contains(&gate.condition) => {}
                Frame::Guard(text) => context.guard = Some(text.clone()),
                // Nested gates all hold: their conditions are joined, outermost first.
                Frame::Gate(gate) => match &mut context.gate {
                    Some(outer) => {
                        outer.consent |= gate.consent;
                        outer.manager = outer.manager.or(gate.manager);
                        outer.category = outer.category.take().or_else(|| gate.category.clone());
                        outer.condition = format!("{} && {}", outer.condition, gate.condition);
                    }
                    None => context.gate = Some(gate.clone()),
                },
                Frame::Arm(c, a, text) => context.arm = Some((*c, *a, text.clone())),
                Frame::Params(..) => {}
            }
        }
        if let Some((c, a, _)) = &context.arm {
            if !self.counted.contains(&(*c, *a)) {
                self.counted.push((*c, *a));
                *self.arms.entry(*c).or_default() += 1;
            }
        }
        context
    }

    /// Keep a string the code writes (markup), runs (injected code) or loads (a script URL), with
    /// the context it sits in.
    fn write(&mut self, into: Into, piece: Piece) {
        let context = self.context_here(&[]);
        // The value starts after the literal's opening quote: what it holds sits at the same
        // offsets as in the file (line numbers of a snippet inside a multi-line template literal).
        let start = piece.span.start as usize;
        let quoted = matches!(self.src.as_bytes().get(start), Some(b'"' | b'\'' | b'`'));
        let written = Written {
            at: start + usize::from(quoted),
            end: piece.span.end as usize,
            text: piece.text,
            context,
            holes: piece.holes,
        };
        match into {
            Into::Markup => self.markup.push(written),
            Into::Injected => self.injected.push(written),
            Into::Source => self.sources.push(written),
        }
    }

    /// The text an expression writes as code or as a URL: a string, a template literal, a
    /// concatenation, or a constant holding one. What the file does not hold (`${process.env.X}`)
    /// is kept as written (see [`Holes`]); anything else (a call, a function's result) is `None`.
    fn written_text(&self, expr: &Expression<'_>, holes: Holes) -> Option<Piece> {
        let expr = expr.get_inner_expression();
        if let Expression::Identifier(id) = expr {
            if self.shadowed(id.name.as_str()) {
                return None;
            }
            // A constant: its value is parsed again on its own (bindings keep spans).
            let span = *self.bindings.get(id.name.as_str())?;
            let text = self.text(span);
            // Only a constant that is a string is parsed again (a snippet is a few kB).
            if text.len() > MAX_BOUND_WRITTEN || !text.trim_start().starts_with(['"', '\'', '`']) {
                return None;
            }
            let allocator = Allocator::default();
            let wrapped = format!("({text})");
            let ret = oxc_parser::Parser::new(&allocator, &wrapped, self.source_type).parse();
            let Some(Statement::ExpressionStatement(statement)) = ret.program.body.first() else {
                return None;
            };
            let mut piece = Piece::at(span);
            let value = statement.expression.get_inner_expression();
            has_text(value).then_some(())?;
            self.build_text(&wrapped, value, holes, 1, &mut piece);
            return Some(piece);
        }
        has_text(expr).then_some(())?;
        let mut piece = Piece::at(expr.span());
        self.build_text(self.src, expr, holes, 0, &mut piece);
        Some(piece)
    }

    /// Append the text of `expr` (parsed from `src`) to `piece`: strings and template literals
    /// as they are, other expressions as [`Reader::hole`]s.
    fn build_text(
        &self,
        src: &str,
        expr: &Expression<'_>,
        holes: Holes,
        depth: usize,
        piece: &mut Piece,
    ) {
        if depth > MAX_DEPTH || piece.text.len() > MAX_WRITTEN {
            return;
        }
        match expr.get_inner_expression() {
            Expression::StringLiteral(s) => piece.text.push_str(&s.value),
            Expression::TemplateLiteral(t) => {
                for (i, quasi) in t.quasis.iter().enumerate() {
                    piece
                        .text
                        .push_str(quasi.value.cooked.as_deref().unwrap_or(&quasi.value.raw));
                    if let Some(e) = t.expressions.get(i) {
                        self.hole(src, e, holes, depth, piece);
                    }
                }
            }
            Expression::BinaryExpression(b) if b.operator.as_str() == "+" => {
                for side in [&b.left, &b.right] {
                    if has_text(side) {
                        self.build_text(src, side, holes, depth + 1, piece);
                    } else {
                        self.hole(src, side, holes, depth, piece);
                    }
                }
            }
            other => self.hole(src, other, holes, depth, piece),
        }
    }

    /// Append an expression inside a written string: its value when the file holds it; else
    /// the expression as written, as `${…}` inside quotes (`heap.load("${id}")`, which reads as
    /// an id that comes from `id`) or bare outside them (`heap.load(${id})` → `heap.load(id)`); in
    /// a URL, a stand-in of digits the URL's patterns accept, kept in `piece.holes`.
    fn hole(
        &self,
        src: &str,
        expr: &Expression<'_>,
        holes: Holes,
        depth: usize,
        piece: &mut Piece,
    ) {
        if let Val::Known(v) = self.eval_in(src, expr, depth + 1) {
            piece.text.push_str(&plain(&v));
            return;
        }
        let written = |e: &Expression<'_>| {
            let span = e.span();
            fold(cap(src
                .get(span.start as usize..span.end as usize)
                .unwrap_or("")))
        };
        let mut text = written(expr);
        let mut quoted = piece.text.ends_with(['"', '\'', '`']);
        // `${JSON.stringify(id)}` writes the value as a string literal.
        if let Expression::CallExpression(call) = expr.get_inner_expression() {
            let callee = written(&call.callee);
            if let ([arg], "JSON.stringify") = (call.arguments.as_slice(), callee.as_str()) {
                if let Some(arg) = arg.as_expression() {
                    text = written(arg);
                    if holes == Holes::Code && !quoted {
                        piece.text.push('"');
                        piece.text.push_str(&format!("${{{text}}}\""));
                        return;
                    }
                    quoted = true;
                }
            }
        }
        match holes {
            Holes::Code if quoted => piece.text.push_str(&format!("${{{text}}}")),
            Holes::Code => piece.text.push_str(&text),
            Holes::Url => {
                let stand_in = format!("{STAND_IN}{:04}", piece.holes.len());
                piece.text.push_str(&stand_in);
                piece.holes.push((stand_in, text));
            }
        }
    }

    /// A JSX `<script>` or `<Script>` (next/script, Gatsby's): its properties and its children.
    fn jsx_script(&self, it: &JSXElement<'_>) -> Option<ScriptProps> {
        let name = match &it.opening_element.name {
            JSXElementName::Identifier(id) => id.name.as_str(),
            JSXElementName::IdentifierReference(id) => id.name.as_str(),
            _ => return None,
        };
        if name != "script" && name != "Script" {
            return None;
        }
        let mut props = ScriptProps::default();
        for item in &it.opening_element.attributes {
            let JSXAttributeItem::Attribute(attr) = item else {
                continue;
            };
            let Some(key) = attr.name.as_identifier().map(|id| id.name.as_str()) else {
                continue;
            };
            let value = match &attr.value {
                Some(JSXAttributeValue::StringLiteral(s)) => Prop::Str(&s.value, s.span),
                Some(JSXAttributeValue::ExpressionContainer(c)) => {
                    match c.expression.as_expression() {
                        Some(e) => Prop::Expr(e),
                        None => continue,
                    }
                }
                _ => continue,
            };
            self.script_prop(&mut props, key, value);
        }
        for child in &it.children {
            match child {
                JSXChild::Text(t) if !t.value.trim().is_empty() => props.code.push(Piece {
                    text: t.value.to_string(),
                    span: t.span,
                    holes: Vec::new(),
                }),
                JSXChild::ExpressionContainer(c) => {
                    if let Some(piece) = c
                        .expression
                        .as_expression()
                        .and_then(|e| self.written_text(e, Holes::Code))
                    {
                        props.code.push(piece);
                    }
                }
                _ => {}
            }
        }
        Some(props)
    }

    /// One property of a script element (a JSX attribute, or a key of a head manager's entry).
    fn script_prop(&self, props: &mut ScriptProps, key: &str, value: Prop<'_, '_>) {
        let text = |holes: Holes| match value {
            Prop::Str(s, span) => Some(Piece {
                text: s.to_owned(),
                span,
                holes: Vec::new(),
            }),
            Prop::Expr(e) => self.written_text(e, holes),
        };
        match key {
            "src" => props.src = text(Holes::Url),
            "type" => props.ty = text(Holes::Code).map(|p| p.text),
            "data-cookieconsent" | "data-category" => {
                props.consent = text(Holes::Code).map(|p| (key.to_owned(), p.text));
            }
            "innerHTML" | "children" | "textContent" | "innerText" => {
                props.code.extend(text(Holes::Code));
            }
            "dangerouslySetInnerHTML" => {
                let Prop::Expr(Expression::ObjectExpression(o)) = value else {
                    return;
                };
                for property in &o.properties {
                    if let ObjectPropertyKind::ObjectProperty(p) = property {
                        if p.key.static_name().is_some_and(|n| n == "__html") {
                            props.code.extend(self.written_text(&p.value, Holes::Code));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// A script element the code renders: its URL and its code are kept, with where it sits. A
    /// data block (`type="application/ld+json"`) is not a script; a `type="text/plain"` one
    /// waits for a consent manager.
    fn script_element(&mut self, props: ScriptProps) {
        if props.src.is_none() && props.code.is_empty() {
            return;
        }
        let ty = props.ty.as_deref().map(|t| t.trim().to_ascii_lowercase());
        let gate = match ty.as_deref() {
            None
            | Some(
                ""
                | "module"
                | "text/partytown"
                | "text/javascript"
                | "application/javascript"
                | "text/ecmascript"
                | "application/ecmascript",
            ) => None,
            Some("text/plain") => {
                let (manager, category) = match &props.consent {
                    Some((attribute, c)) if attribute == "data-cookieconsent" => {
                        (Some("cookiebot"), Some(c.clone()))
                    }
                    Some((_, c)) => (None, Some(c.clone())),
                    None => (None, None),
                };
                Some(Gate {
                    consent: true,
                    manager,
                    category,
                    condition: "type=\"text/plain\"".to_owned(),
                })
            }
            Some(_) => return,
        };
        let gated = gate.is_some();
        if let Some(gate) = gate {
            self.stack.push(Frame::Gate(gate));
        }
        if let Some(src) = props.src {
            self.write(Into::Source, src);
        }
        for code in props.code {
            if !code.text.trim().is_empty() {
                self.write(Into::Injected, code);
            }
        }
        if gated {
            self.stack.pop();
        }
    }

    /// Whether `name` is a parameter of a function the walk is in.
    fn shadowed(&self, name: &str) -> bool {
        self.stack.iter().any(|f| match f {
            Frame::Params(_, params) => self.param_names(*params).contains(&name),
            _ => false,
        })
    }

    /// The plain parameter names of a parameter list (`(appId, options = {})`, `e`); patterns
    /// and rest parameters are left out.
    fn param_names(&self, params: Span) -> Vec<&'s str> {
        let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
        let text = self.text(params).trim();
        let text = text.strip_prefix('(').unwrap_or(text);
        let text = text.strip_suffix(')').unwrap_or(text);
        text.split(',')
            .filter_map(|p| {
                let p = p.trim();
                let end = p.find(|c: char| !ident(c)).unwrap_or(p.len());
                let rest = p[end..].trim_start();
                let plain = end > 0 && (rest.is_empty() || rest.starts_with(['=', ':', '?']));
                plain.then(|| &p[..end])
            })
            .collect()
    }

    /// A parameter of the enclosing function, resolved from the one call of that function in
    /// the file that passes a literal in its place (`initHeap('123')`).
    fn passed_by_caller(&self, name: &str) -> Option<Val> {
        let Some(Frame::Params(Some(function), params)) = self
            .stack
            .iter()
            .rev()
            .find(|f| matches!(f, Frame::Params(..)))
        else {
            return None;
        };
        let index = self.param_names(*params).iter().position(|p| *p == name)?;
        let calls = self.calls_by_name.get(self.text(*function))?;
        let mut found = None;
        for span in calls {
            let text = self.text(*span);
            let open = text.find('(')?;
            let args = jsobj::call_args(text, open);
            match args.values.get(index) {
                Some(Arg::Literal(v)) if found.is_none() => found = Some(v.clone()),
                _ => return None,
            }
        }
        found.map(Val::Known)
    }

    /// The value of an expression, following the file's constants.
    fn eval(&self, expr: &Expression<'_>, depth: usize) -> Val {
        self.eval_in(self.src, expr, depth)
    }

    /// [`Reader::eval`] of an expression parsed from `src` (the file, or a constant's value).
    fn eval_in(&self, src: &str, expr: &Expression<'_>, depth: usize) -> Val {
        let folded = |span: Span| {
            fold(
                src.get(span.start as usize..span.end as usize)
                    .unwrap_or(""),
            )
        };
        let unknown = || Val::Unknown(folded(expr.span()));
        if depth > MAX_DEPTH {
            return unknown();
        }
        match expr {
            Expression::StringLiteral(s) => Val::Known(Value::String(s.value.to_string())),
            Expression::NumericLiteral(n) => Val::Known(number(n.value)),
            Expression::BooleanLiteral(b) => Val::Known(Value::Bool(b.value)),
            Expression::NullLiteral(_) => Val::Known(Value::Null),
            Expression::ParenthesizedExpression(_)
            | Expression::TSAsExpression(_)
            | Expression::TSSatisfiesExpression(_)
            | Expression::TSNonNullExpression(_)
            | Expression::TSTypeAssertion(_) => {
                self.eval_in(src, expr.get_inner_expression(), depth)
            }
            Expression::UnaryExpression(u) if u.operator == UnaryOperator::LogicalNot => {
                match self.eval_in(src, &u.argument, depth + 1) {
                    Val::Known(v) => Val::Known(Value::Bool(!truthy(&v))),
                    _ => unknown(),
                }
            }
            Expression::UnaryExpression(u) if u.operator == UnaryOperator::UnaryNegation => {
                match self.eval_in(src, &u.argument, depth + 1) {
                    Val::Known(Value::Number(n)) => {
                        Val::Known(number(-n.as_f64().unwrap_or_default()))
                    }
                    _ => unknown(),
                }
            }
            Expression::TemplateLiteral(t) => {
                let mut text = String::new();
                for (i, quasi) in t.quasis.iter().enumerate() {
                    text.push_str(quasi.value.cooked.as_deref().unwrap_or(&quasi.value.raw));
                    if let Some(e) = t.expressions.get(i) {
                        match self.eval_in(src, e, depth + 1) {
                            Val::Known(v) => text.push_str(&plain(&v)),
                            _ => return unknown(),
                        }
                    }
                }
                Val::Known(Value::String(text))
            }
            Expression::BinaryExpression(b) if b.operator.as_str() == "+" => {
                match (
                    self.eval_in(src, &b.left, depth + 1),
                    self.eval_in(src, &b.right, depth + 1),
                ) {
                    (Val::Known(l), Val::Known(r)) => match (&l, &r) {
                        (Value::Number(x), Value::Number(y)) => Val::Known(number(
                            x.as_f64().unwrap_or_default() + y.as_f64().unwrap_or_default(),
                        )),
                        _ => Val::Known(Value::String(plain(&l) + &plain(&r))),
                    },
                    _ => unknown(),
                }
            }
            Expression::BinaryExpression(b) if b.operator.is_equality() => {
                match (
                    self.eval_in(src, &b.left, depth + 1),
                    self.eval_in(src, &b.right, depth + 1),
                ) {
                    (Val::Known(l), Val::Known(r)) => {
                        let equal = l == r;
                        let negated = matches!(b.operator.as_str(), "!=" | "!==");
                        Val::Known(Value::Bool(equal != negated))
                    }
                    _ => unknown(),
                }
            }
            Expression::ConditionalExpression(c) => self.choice(src, c, depth),
            // A parameter of an enclosing function shadows the file's constants; a name of one or
            // two characters (a minifier's locals, reused in every function) only counts when the
            // file declares it once.
            Expression::Identifier(id)
                if !self.shadowed(id.name.as_str())
                    && (id.name.len() > 2 || self.declared.get(id.name.as_str()) == Some(&1)) =>
            {
                match self.bindings.get(id.name.as_str()) {
                    Some(span) => self.eval_span(*span, depth + 1).unwrap_or_else(unknown),
                    None => unknown(),
                }
            }
            Expression::StaticMemberExpression(_) => {
                let path = path(&folded(expr.span()));
                let path = path.strip_prefix("window.").unwrap_or(&path);
                self.member(path, depth).unwrap_or_else(unknown)
            }
            Expression::ObjectExpression(o) => {
                let mut map = Map::new();
                for property in &o.properties {
                    let ObjectPropertyKind::ObjectProperty(p) = property else {
                        continue;
                    };
                    let key = match &p.key {
                        PropertyKey::StaticIdentifier(id) => id.name.to_string(),
                        PropertyKey::StringLiteral(s) => s.value.to_string(),
                        PropertyKey::NumericLiteral(n) => plain(&number(n.value)),
                        _ => continue,
                    };
                    let value = match self.eval_in(src, &p.value, depth + 1) {
                        Val::Known(v) => v,
                        _ => Value::String(folded(p.value.span())),
                    };
                    map.insert(key, value);
                }
                Val::Known(Value::Object(map))
            }
            Expression::ArrayExpression(a) => {
                let mut items = Vec::new();
                for element in &a.elements {
                    match element
                        .as_expression()
                        .map(|e| self.eval_in(src, e, depth + 1))
                    {
                        Some(Val::Known(v)) => items.push(v),
                        _ => items.push(Value::String(folded(element.span()))),
                    }
                }
                Val::Known(Value::Array(items))
            }
            _ => unknown(),
        }
    }

    /// The value of a constant, whose value is at `span` of the file. Bindings keep spans, not
    /// nodes (the tree borrows the parser's arena): the value is parsed again on its own (a
    /// literal, an object or a short expression), its identifiers resolved through the file's
    /// bindings.
    fn eval_span(&self, span: Span, depth: usize) -> Option<Val> {
        let text = self.text(span);
        if text.len() > 4096 || depth > MAX_DEPTH {
            return None;
        }
        let allocator = Allocator::default();
        let wrapped = format!("({text})");
        let ret = oxc_parser::Parser::new(&allocator, &wrapped, self.source_type).parse();
        let Some(Statement::ExpressionStatement(statement)) = ret.program.body.first() else {
            return None;
        };
        Some(self.eval_in(&wrapped, &statement.expression, depth))
    }

    /// `a.b.c` through the bindings: `a.b.c` itself, or `a` (or `a.b`) bound to an object.
    fn member(&self, path: &str, depth: usize) -> Option<Val> {
        if let Some(span) = self.bindings.get(path) {
            return self.eval_span(*span, depth + 1);
        }
        let mut parts: Vec<&str> = path.split('.').collect();
        let mut rest = Vec::new();
        while parts.len() > 1 {
            rest.insert(0, parts.pop()?);
            let head = parts.join(".");
            if let Some(span) = self.bindings.get(&head) {
                let Some(Val::Known(mut value)) = self.eval_span(*span, depth + 1) else {
                    return None;
                };
                for key in &rest {
                    value = value.get(key)?.clone();
                }
                return Some(Val::Known(value));
            }
        }
        None
    }

    fn choice(&self, src: &str, c: &ConditionalExpression<'_>, depth: usize) -> Val {
        let folded = |span: Span| {
            fold(
                src.get(span.start as usize..span.end as usize)
                    .unwrap_or(""),
            )
        };
        let test = folded(c.test.span());
        let mut choices = Vec::new();
        for (branch, condition) in [(&c.consequent, test), (&c.alternate, "else".to_owned())] {
            match self.eval_in(src, branch, depth + 1) {
                Val::Known(v) => choices.push((v, condition)),
                Val::Choice(inner) => choices.extend(inner),
                Val::Unknown(_) => return Val::Unknown(folded(c.span)),
            }
        }
        Val::Choice(choices)
    }
}

impl<'a> Visit<'a> for Reader<'_> {
    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        self.record(it);
        // Markup written as a string: a `<script` inside it is a script of the page.
        let callee = self.text(it.callee.span()).trim_end();
        if callee.ends_with("write") || callee.ends_with("writeln") {
            for arg in &it.arguments {
                let piece = arg
                    .as_expression()
                    .and_then(|e| self.written_text(e, Holes::Code));
                if let Some(piece) = piece.filter(|p| p.text.contains("<script")) {
                    self.write(Into::Markup, piece);
                }
            }
        }
        self.visit_expression(&it.callee);
        let frame = self.callback_frame(it);
        let visit_args = |reader: &mut Self| {
            for arg in &it.arguments {
                reader.visit_argument(arg);
            }
        };
        match frame {
            Some(frame) => self.within(frame, visit_args),
            None => visit_args(self),
        }
    }

    fn visit_if_statement(&mut self, it: &IfStatement<'a>) {
        let continued = self.chain.is_some();
        self.visit_expression(&it.test);
        if it.alternate.is_none() && !continued {
            match self.one_armed(&it.test) {
                Some(frame) => self.within(frame, |r| r.visit_statement(&it.consequent)),
                None => self.visit_statement(&it.consequent),
            }
            return;
        }
        let test = self.folded(it.test.span());
        let (conditional, arm) = self.conditional();
        self.within(Frame::Arm(conditional, arm, test), |r| {
            r.visit_statement(&it.consequent)
        });
        if let Some(alternate) = &it.alternate {
            if let Statement::IfStatement(_) = alternate {
                self.chain = Some((conditional, arm + 1));
                self.visit_statement(alternate);
                self.chain = None;
            } else {
                self.within(Frame::Arm(conditional, arm + 1, "else".into()), |r| {
                    r.visit_statement(alternate)
                });
            }
        }
    }

    fn visit_switch_statement(&mut self, it: &SwitchStatement<'a>) {
        self.visit_expression(&it.discriminant);
        let discriminant = self.folded(it.discriminant.span());
        let (conditional, _) = self.conditional();
        for (arm, case) in it.cases.iter().enumerate() {
            let condition = match &case.test {
                Some(test) => format!("{discriminant} == {}", self.folded(test.span())),
                None => "default".to_owned(),
            };
            let arm = u32::try_from(arm).unwrap_or(u32::MAX);
            self.within(Frame::Arm(conditional, arm, condition), |r| {
                for statement in &case.consequent {
                    r.visit_statement(statement);
                }
            });
        }
    }

    fn visit_conditional_expression(&mut self, it: &ConditionalExpression<'a>) {
        self.visit_expression(&it.test);
        // `{isProd ? <Script … /> : null}`: one arm, as `isProd && <Script … />`.
        match (is_nothing(&it.consequent), is_nothing(&it.alternate)) {
            (false, true) => {
                match self.one_armed(&it.test) {
                    Some(frame) => self.within(frame, |r| r.visit_expression(&it.consequent)),
                    None => self.visit_expression(&it.consequent),
                }
                return;
            }
            (true, false) => {
                let test = format!("!({})", self.folded(it.test.span()));
                match self.one_armed_text(test) {
                    Some(frame) => self.within(frame, |r| r.visit_expression(&it.alternate)),
                    None => self.visit_expression(&it.alternate),
                }
                return;
            }
            _ => {}
        }
        let test = self.folded(it.test.span());
        let (conditional, _) = self.conditional();
        self.within(Frame::Arm(conditional, 0, test), |r| {
            r.visit_expression(&it.consequent)
        });
        self.within(Frame::Arm(conditional, 1, "else".into()), |r| {
            r.visit_expression(&it.alternate)
        });
    }

    fn visit_logical_expression(&mut self, it: &LogicalExpression<'a>) {
        self.visit_expression(&it.left);
        let frame = match it.operator {
            LogicalOperator::And => self.one_armed(&it.left),
            _ => None,
        };
        match frame {
            Some(frame) => self.within(frame, |r| r.visit_expression(&it.right)),
            None => self.visit_expression(&it.right),
        }
    }

    fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
        // `script.text = "…"`, `el.innerHTML = \`…\``: code or markup held in a string.
        if let AssignmentTarget::StaticMemberExpression(m) = &it.left {
            let property = m.property.name.as_str();
            if matches!(property, "text" | "textContent" | "innerText" | "innerHTML") {
                if let Some(piece) = self.written_text(&it.right, Holes::Code) {
                    if piece.text.contains("<script") {
                        self.write(Into::Markup, piece);
                    } else if property != "innerHTML" || !piece.text.trim_start().starts_with('<') {
                        self.write(Into::Injected, piece);
                    }
                }
            }
        }
        walk::walk_assignment_expression(self, it);
    }

    fn visit_jsx_element(&mut self, it: &JSXElement<'a>) {
        if let Some(props) = self.jsx_script(it) {
            self.script_element(props);
        }
        let list = std::mem::replace(&mut self.script_list, false);
        walk::walk_jsx_element(self, it);
        self.script_list = list;
    }

    fn visit_jsx_attribute(&mut self, it: &JSXAttribute<'a>) {
        // react-helmet's `<Helmet script={[{ type: "text/javascript", innerHTML: … }]} />`.
        let list = std::mem::replace(&mut self.script_list, it.is_identifier("script"));
        walk::walk_jsx_attribute(self, it);
        self.script_list = list;
    }

    fn visit_object_property(&mut self, it: &ObjectProperty<'a>) {
        // `useHead({ script: [{ src: "…" }] })`, `app: { head: { script: […] } }`.
        let script = !it.computed && it.key.static_name().is_some_and(|n| n == "script");
        let list = std::mem::replace(&mut self.script_list, script);
        walk::walk_object_property(self, it);
        self.script_list = list;
    }

    fn visit_object_expression(&mut self, it: &ObjectExpression<'a>) {
        if self.script_list {
            let mut props = ScriptProps::default();
            for property in &it.properties {
                if let ObjectPropertyKind::ObjectProperty(p) = property {
                    if let (false, Some(key)) = (p.computed, p.key.static_name()) {
                        self.script_prop(&mut props, &key, Prop::Expr(&p.value));
                    }
                }
            }
            self.script_element(props);
        }
        let list = std::mem::replace(&mut self.script_list, false);
        walk::walk_object_expression(self, it);
        self.script_list = list;
    }

    fn visit_function(&mut self, it: &Function<'a>, flags: ScopeFlags) {
        let name = it.id.as_ref().map(|id| id.span);
        let mut frames = vec![Frame::Params(name, it.params.span)];
        // `function OptanonWrapper() {…}`, or a function passed by name to a listener.
        let gate = name.map(|n| self.text(n)).and_then(|n| {
            self.callbacks.get(n).cloned().or_else(|| {
                let lower = n.to_ascii_lowercase();
                CONSENT_MARKERS
                    .iter()
                    .any(|m| lower.contains(m))
                    .then(|| consent_gate(n))
                    .flatten()
            })
        });
        if let Some(gate) = gate {
            frames.push(Frame::Gate(gate));
        }
        let depth = self.stack.len();
        self.stack.extend(frames);
        let list = std::mem::replace(&mut self.script_list, false);
        walk::walk_function(self, it, flags);
        self.script_list = list;
        self.stack.truncate(depth);
    }

    fn visit_arrow_function_expression(&mut self, it: &ArrowFunctionExpression<'a>) {
        let list = std::mem::replace(&mut self.script_list, false);
        self.within(Frame::Params(None, it.params.span), |r| {
            walk::walk_arrow_function_expression(r, it)
        });
        self.script_list = list;
    }
}

/// Longest source text kept for a condition or an expression.
const MAX_TEXT: usize = 300;

/// `text` cut to at most [`MAX_TEXT`] bytes, on a character boundary.
fn cap(text: &str) -> &str {
    if text.len() <= MAX_TEXT {
        return text;
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Text with its runs of white space folded into one space.
fn fold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `window . heap . load` → `window.heap.load`.
fn path(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn unquote(text: &str) -> &str {
    text.trim_matches(|c| c == '"' || c == '\'' || c == '`')
}

fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        Value::Number(Number::from(n as i64))
    } else {
        Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// A value as JavaScript turns it into a string.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The snippets' own guards: part of every copy of the snippet, not a page's decision.
fn is_builtin_guard(test: &str) -> bool {
    let t = path(test);
    t.ends_with(".invoked")
        || t.ends_with(".initialize")
        || t == "window.console"
        || t.contains("console.error")
}

/// A test that a browser's global exists: true on every page (the check is for server-side
/// rendering).
fn is_browser_check(test: &str) -> bool {
    let t = path(test);
    [
        "typeofwindow!",
        "typeofdocument!",
        "typeofwindow==='object'",
        "typeofwindow!==",
    ]
    .iter()
    .any(|p| t.starts_with(p))
}

/// A page's own "only if not loaded yet" test of a vendor's global.
fn is_page_guard(test: &str) -> bool {
    if test.len() > 60 || !(test.contains("heap") || test.contains("analytics")) {
        return false;
    }
    let t = path(test).replace('"', "'");
    let global = |g: &str| {
        matches!(
            g,
            "heap" | "window.heap" | "analytics" | "window.analytics" | "window['heap']"
        )
    };
    if let Some(g) = t.strip_prefix('!') {
        let g = ["loaded", "appid", "envId", "initialized"]
            .iter()
            .find_map(|p| g.strip_suffix(&format!(".{p}")))
            .unwrap_or(g);
        return global(g);
    }
    t.strip_prefix("typeof")
        .and_then(|g| {
            g.strip_suffix("==='undefined'")
                .or_else(|| g.strip_suffix("=='undefined'"))
        })
        .is_some_and(global)
}

/// Tests of the environment: which host, which build. Loaders under them are alternatives.
fn is_environment(test: &str) -> bool {
    let t = test.to_ascii_lowercase();
    [
        "hostname",
        "location.host",
        "location.href",
        "location.origin",
        "node_env",
        "env",
        "production",
        "staging",
        "isprod",
        "isdev",
        "development",
        "prod",
    ]
    .iter()
    .any(|w| t.contains(w))
}

/// Words that name a consent manager or consent, lowercase.
const CONSENT_MARKERS: &[&str] = &[
    "cookiebot",
    "optanon",
    "onetrust",
    "usercentrics",
    "uc_ui",
    "klaro",
    "_iub",
    "iubenda",
    "consent",
    "__tcfapi",
];

/// A consent manager's marker in a condition or a callback: the gate it makes.
fn consent_gate(text: &str) -> Option<Gate> {
    const MANAGERS: &[(&str, &str)] = &[
        ("cookiebot", "cookiebot"),
        ("optanon", "onetrust"),
        ("onetrust", "onetrust"),
        ("usercentrics", "usercentrics"),
        ("uc_ui", "usercentrics"),
        ("klaro", "klaro"),
        ("_iub", "iubenda"),
        ("iubenda", "iubenda"),
        ("consentmanager", "segment-consent-manager"),
    ];
    let lower = text.to_ascii_lowercase();
    let manager = MANAGERS
        .iter()
        .find(|(marker, _)| lower.contains(marker))
        .map(|(_, name)| *name);
    if manager.is_none() && !lower.contains("consent") && !lower.contains("__tcfapi") {
        return None;
    }
    Some(Gate {
        consent: true,
        manager,
        category: consent_category(text),
        condition: text.to_owned(),
    })
}

/// The category a consent condition names: Cookiebot's `consent.statistics`, OneTrust's `C0002`.
fn consent_category(text: &str) -> Option<String> {
    if let Some(at) = text.find("consent.") {
        let rest = &text[at + "consent.".len()..];
        let word: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if !word.is_empty() {
            return Some(word);
        }
    }
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(4)).find_map(|i| {
        (bytes[i] == b'C' && bytes[i + 1..i + 5].iter().all(u8::is_ascii_digit))
            .then(|| text[i..i + 5].to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_is_kept_from_its_second_sight_and_one_met_once_never() {
        let memo: ByScript<usize> = ByScript::default();
        let made = std::cell::Cell::new(0);
        let get = |code: &str| {
            *memo.get_or(code, Kind::Classic, || {
                made.set(made.get() + 1);
                code.len()
            })
        };
        let snippet = "window.dataLayer = window.dataLayer || [];";
        for _ in 0..5 {
            assert_eq!(get(snippet), snippet.len());
        }
        assert_eq!(
            made.get(),
            2,
            "made on its first two sights, then taken from the memo"
        );
        // Scripts each page has its own of are made every time and never copied in.
        for n in 0..1000 {
            get(&format!("window.__PAGE__ = {{ id: {n} }};"));
        }
        let kept = memo.0.lock().map(|m| m.kept.len()).unwrap_or_default();
        assert_eq!(kept, 1, "only the repeated snippet is kept");
        made.set(0);
        get(snippet);
        assert_eq!(made.get(), 0, "the repeated snippet stayed");
        // Same text, other kind: its own entry.
        memo.get_or(snippet, Kind::Module, || 0);
        assert_eq!(memo.get_or(snippet, Kind::Module, || 1).as_ref(), &1);
        assert_eq!(memo.get_or(snippet, Kind::Module, || 2).as_ref(), &1);
    }

    /// The offset of the `(` of the call that starts with `call` (`heap.load('1'`).
    fn open(code: &str, call: &str) -> usize {
        let at = code.find(call).expect("the call is there");
        at + code[at..].find('(').expect("a call")
    }

    #[test]
    fn comments_are_blanked_with_offsets_and_lines_kept() {
        let code = "heap.load(\"1\"); // heap.load(\"2\")\n/* analytics.load(\"k\") */ x();";
        let js = Js::read(code, Kind::Classic);
        assert!(js.parsed());
        assert_eq!(js.code().len(), code.len());
        assert!(!js.code().contains("\"2\"") && !js.code().contains("analytics"));
        assert_eq!(js.code().lines().count(), 2);
    }

    #[test]
    fn html_like_comments_in_classic_scripts_comment_their_line_only() {
        let code = "<!--\nheap.load(\"1535634150\");\n//-->";
        let js = Js::read(code, Kind::Classic);
        assert!(
            js.code().contains("heap.load(\"1535634150\")"),
            "{}",
            js.code()
        );
        assert!(!js.code().contains("<!--"));
        let fallback = blank_comments_by_tokens(code, Kind::Classic);
        assert_eq!(fallback.trim(), "heap.load(\"1535634150\");");
    }

    #[test]
    fn the_tokenizer_knows_strings_templates_and_regexes() {
        let code = "var u = \"https://cdn.x.com/a.js\"; var r = /\\/\\//g; var t = `${a + \"//\"}//`; heap.load(\"1\") // x";
        let out = blank_comments_by_tokens(code, Kind::Classic);
        assert!(out.contains("https://cdn.x.com/a.js"), "{out}");
        assert!(out.contains("/\\/\\//g"), "{out}");
        assert!(
            out.contains("\"//\"}//`"),
            "a template's text is not a comment: {out}"
        );
        assert!(
            out.contains("heap.load(\"1\")") && !out.contains("// x"),
            "{out}"
        );
    }

    #[test]
    fn constants_are_followed() {
        let code = "const HEAP_ID = '1234567890'; var cfg = {analytics: {heapAppId: '222'}};\n\
                    heap.load(HEAP_ID); heap.load(cfg.analytics.heapAppId); heap.load('31' + '80');";
        let js = Js::read(code, Kind::Classic);
        let first = js.call_args(open(code, "heap.load(")).unwrap();
        assert_eq!(
            first.values[0],
            Arg::Literal(Value::String("1234567890".into()))
        );
        let second = js.call_args(open(code, "heap.load(cfg")).unwrap();
        assert_eq!(second.values[0], Arg::Literal(Value::String("222".into())));
        let third = js.call_args(open(code, "heap.load('31'")).unwrap();
        assert_eq!(third.values[0], Arg::Literal(Value::String("3180".into())));
    }

    #[test]
    fn ids_from_outside_keep_their_expression() {
        let code = "heap.load(process.env.NEXT_PUBLIC_HEAP_ID, {disableTextCapture: !0});";
        let js = Js::read(code, Kind::Module);
        let args = js.call_args(open(code, "heap.load(")).unwrap();
        assert_eq!(
            args.values[0],
            Arg::Expr("process.env.NEXT_PUBLIC_HEAP_ID".into())
        );
        assert_eq!(
            args.values[1].as_object().unwrap()["disableTextCapture"],
            Value::Bool(true)
        );
    }

    #[test]
    fn a_parameter_resolves_through_the_one_call_that_passes_it() {
        let code = "function initHeap(appId) { heap.load(appId); }\ninitHeap('1234567890');";
        let js = Js::read(code, Kind::Classic);
        let args = js.call_args(open(code, "heap.load(")).unwrap();
        assert_eq!(
            args.values[0],
            Arg::Literal(Value::String("1234567890".into()))
        );
        let uncalled = "function initHeap(appId) { heap.load(appId); }";
        let js = Js::read(uncalled, Kind::Classic);
        assert_eq!(
            js.call_args(open(uncalled, "heap.load(")).unwrap().values[0],
            Arg::Expr("appId".into())
        );
    }

    #[test]
    fn ternaries_are_choices_with_their_conditions() {
        let code =
            "var prod = '1', dev = '2'; heap.load(location.hostname === 'www.x.com' ? prod : dev);";
        let js = Js::read(code, Kind::Classic);
        let Arg::Choice(choices) = &js.call_args(open(code, "heap.load(")).unwrap().values[0]
        else {
            panic!("a choice");
        };
        assert_eq!(choices[0].0, Value::String("1".into()));
        assert_eq!(choices[1], (Value::String("2".into()), "else".to_owned()));
        assert!(choices[0].1.contains("location.hostname"));
    }

    #[test]
    fn contexts_tell_guards_arms_and_gates_apart() {
        let code = "if (!window.heap) { heap.load('1'); }\n\
                    if (location.host.indexOf('staging') > -1) { heap.load('2'); } else { heap.load('3'); }\n\
                    window.addEventListener('CookiebotOnAccept', function () { if (Cookiebot.consent.statistics) { heap.load('4'); } });\n\
                    if (window.__FLAGS__ && window.__FLAGS__.heapEnabled) { heap.load('5'); }\n\
                    document.addEventListener('DOMContentLoaded', function () { heap.load('6'); });";
        let js = Js::read(code, Kind::Classic);
        let ctx = |id: &str| js.context(open(code, &format!("heap.load('{id}'")));
        assert_eq!(ctx("1").guard.as_deref(), Some("!window.heap"));
        let (c2, a2, t2) = ctx("2").arm.unwrap();
        let (c3, a3, t3) = ctx("3").arm.unwrap();
        assert_eq!((c2, a2 + 1), (c3, a3));
        assert!(t2.contains("staging") && t3 == "else");
        assert_eq!(js.arms(c2), 2);
        let gate = ctx("4").gate.unwrap();
        assert!(
            gate.consent && gate.manager == Some("cookiebot"),
            "{gate:?}"
        );
        assert_eq!(gate.category.as_deref(), Some("statistics"));
        let flag = ctx("5").gate.unwrap();
        assert!(
            !flag.consent && flag.condition.contains("heapEnabled"),
            "{flag:?}"
        );
        assert_eq!(ctx("6"), Context::default());
    }

    #[test]
    fn the_snippets_own_guards_are_not_recorded() {
        let code = "!function(){var analytics=window.analytics=window.analytics||[];if(!analytics.initialize)if(analytics.invoked)window.console&&console.error&&console.error(\"Segment snippet included twice.\");else{analytics.invoked=!0;analytics.load=function(e){};analytics.load(\"KEY\");}}();";
        let js = Js::read(code, Kind::Classic);
        let ctx = js.context(open(code, "analytics.load(\"KEY\""));
        assert_eq!(ctx.guard, None);
        assert_eq!(ctx.gate, None);
    }

    #[test]
    fn a_repeated_script_is_read_twice_then_kept_and_another_is_not_taken_for_it() {
        let code = "heap.load('1234567890'); // the cache test";
        // Read on its first sight (not kept: it may be the only one), kept from its second.
        read_cached(code, Kind::Classic, Default::default);
        let second = read_cached(code, Kind::Classic, Default::default);
        let again = read_cached(code, Kind::Classic, || panic!("read again"));
        assert!(std::sync::Arc::ptr_eq(&second, &again));
        let other = "heap.load('1234567891');";
        read_cached(other, Kind::Classic, Default::default);
        let other = read_cached(other, Kind::Classic, Default::default);
        assert!(!std::sync::Arc::ptr_eq(&second, &other));
        read_cached(code, Kind::Module, Default::default);
        let module = read_cached(code, Kind::Module, Default::default);
        assert!(!std::sync::Arc::ptr_eq(&second, &module));
    }

    #[test]
    fn code_nested_beyond_any_real_script_is_read_without_the_parser() {
        let deep = format!(
            "{}heap.load(\"1\"){} // heap.load(\"2\")",
            "[".repeat(50_000),
            "]".repeat(50_000)
        );
        let js = Js::read(&deep, Kind::Classic);
        assert!(!js.parsed());
        assert!(js.code().contains("heap.load(\"1\")") && !js.code().contains("\"2\""));
    }

    #[test]
    fn code_that_does_not_parse_still_loses_its_comments() {
        let code = "heap.load(\"{{ site.heap_id }}\"); {% if x %} // heap.load(\"2\")";
        let js = Js::read(code, Kind::Classic);
        assert!(!js.parsed());
        assert!(!js.code().contains("\"2\""));
        assert_eq!(
            js.call_args(open(code, "heap.load(")).unwrap().values[0],
            Arg::Literal(Value::String("{{ site.heap_id }}".into()))
        );
    }

    #[test]
    fn kinds_by_extension() {
        assert_eq!(Kind::of_path("src/lib/heap.js"), Some(Kind::Classic));
        assert_eq!(Kind::of_path("gatsby-ssr.cjs"), Some(Kind::Classic));
        assert_eq!(Kind::of_path("analytics.mjs"), Some(Kind::Module));
        assert_eq!(Kind::of_path("plugins/segment.client.ts"), Some(Kind::Ts));
        assert_eq!(Kind::of_path("vite.config.MTS"), Some(Kind::Ts));
        assert_eq!(Kind::of_path("a.cts"), Some(Kind::Ts));
        assert_eq!(Kind::of_path("src/App.jsx"), Some(Kind::Jsx));
        assert_eq!(Kind::of_path("app\\layout.tsx"), Some(Kind::Tsx));
        assert_eq!(Kind::of_path("README.md"), None);
        assert_eq!(Kind::of_path("Makefile"), None);
    }

    #[test]
    fn typescript_with_imports_exports_and_types_parses() {
        // An Astro front matter, as handed over without its `---` fences.
        let code = "import Layout from '../layouts/Layout.astro';\n\
                    interface Props { title: string }\n\
                    const HEAP_ID = '2682025610' as const;\n\
                    export const prerender = true;\n\
                    const { title } = Astro.props as Props;\n\
                    heap.load(HEAP_ID satisfies string);";
        let js = Js::read(code, Kind::Ts);
        assert!(js.parsed());
        assert_eq!(
            js.call_args(open(code, "heap.load(")).unwrap().values[0],
            Arg::Literal(Value::String("2682025610".into()))
        );
        assert!(!Js::read("const a: number = <number>b; <div/>", Kind::Module).parsed());
    }

    #[test]
    fn a_js_file_holding_jsx_still_parses() {
        let code = "import React from 'react';\n\
                    export const onRenderBody = ({ setHeadComponents }) => {\n\
                      setHeadComponents([<script key=\"heap\" dangerouslySetInnerHTML={{ __html: `heap.load(\"2682025610\")` }} />]);\n\
                    };";
        for kind in [Kind::Classic, Kind::Module, Kind::Jsx] {
            let js = Js::read(code, kind);
            assert!(js.parsed(), "{kind:?}");
            assert_eq!(js.injected().len(), 1, "{kind:?}");
            assert_eq!(js.injected()[0].text, "heap.load(\"2682025610\")");
        }
    }

    #[test]
    fn script_elements_are_read_with_their_context() {
        let code = r#"export default function Analytics({ isProd }: { isProd: boolean }) {
  return (
    <>
      {/* <Script src="https://cdn.segment.com/analytics.js/v1/OLDKEY/analytics.min.js" /> */}
      {isProd && <Script id="heap" strategy="afterInteractive">{`heap.load("${process.env.NEXT_PUBLIC_HEAP_APP_ID}")`}</Script>}
      <Script src={`https://cdn.segment.com/analytics.js/v1/${process.env.NEXT_PUBLIC_SEGMENT_KEY}/analytics.min.js`} />
      <script type="application/ld+json" dangerouslySetInnerHTML={{ __html: JSON.stringify(schema) }} />
    </>
  );
}"#;
        let js = Js::read(code, Kind::Tsx);
        assert!(js.parsed());
        let [heap] = js.injected() else {
            panic!("{:?}", js.injected());
        };
        assert_eq!(
            heap.text,
            r#"heap.load("${process.env.NEXT_PUBLIC_HEAP_APP_ID}")"#
        );
        let (conditional, _, condition) = heap.context.arm.clone().expect("an arm");
        assert_eq!(condition, "isProd");
        assert!(js.one_armed(conditional) && js.arms(conditional) == 1);
        let [segment] = js.sources() else {
            panic!("{:?}", js.sources());
        };
        let stand_in = format!("{STAND_IN}0000");
        assert_eq!(
            segment.text,
            format!("https://cdn.segment.com/analytics.js/v1/{stand_in}/analytics.min.js")
        );
        assert_eq!(
            segment.holes,
            vec![(stand_in, "process.env.NEXT_PUBLIC_SEGMENT_KEY".to_owned())]
        );
        // What is read on its own is blanked from the code around it.
        assert!(
            !js.outer_code().contains("cdn.segment.com") && js.code().contains("cdn.segment.com")
        );
        assert_eq!(js.outer_code().len(), code.len());
    }

    #[test]
    fn head_manager_script_lists_are_script_elements() {
        let code = r#"export default defineNuxtConfig({
  app: { head: { script: [
    { src: 'https://cdn.heapanalytics.com/js/heap-2682025610.js', async: true },
    { innerHTML: 'window.heap=window.heap||[]', tagPosition: 'bodyClose' },
    { type: 'application/ld+json', children: '{"@type":"Organization"}' },
  ] } },
  runtimeConfig: { public: { script: 'not a list of scripts' } },
})"#;
        let js = Js::read(code, Kind::Ts);
        let sources: Vec<&str> = js.sources().iter().map(|w| w.text.as_str()).collect();
        assert_eq!(
            sources,
            ["https://cdn.heapanalytics.com/js/heap-2682025610.js"]
        );
        let injected: Vec<&str> = js.injected().iter().map(|w| w.text.as_str()).collect();
        assert_eq!(injected, ["window.heap=window.heap||[]"]);
    }

    #[test]
    fn outside_values_in_written_code_read_as_expressions() {
        let code = "const id = '2682025610';\n\
                    a.text = `heap.load(\"${id}\")`;\n\
                    b.text = `heap.load(\"${process.env.HEAP_ID}\")`;\n\
                    c.text = `heap.load(${window.HEAP_ID})`;\n\
                    d.text = `heap.load(${JSON.stringify(cfg.heapId)})`;\n\
                    e.text = 'heap.load(\"' + appId + '\")';";
        let js = Js::read(code, Kind::Module);
        let texts: Vec<&str> = js.injected().iter().map(|w| w.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "heap.load(\"2682025610\")",
                "heap.load(\"${process.env.HEAP_ID}\")",
                "heap.load(window.HEAP_ID)",
                "heap.load(\"${cfg.heapId}\")",
                "heap.load(\"${appId}\")",
            ]
        );
    }
}
