//! Reads the arguments of a JavaScript call (`heap.load("123", {disableTextCapture: !0})`,
//! `analytics.load("key", {integrations: {Heap: false}})`) into JSON values.
//!
//! Snippets are often minified (`!0`, single quotes, unquoted keys), so this understands JavaScript
//! literal syntax rather than JSON. Anything that is not a literal (a variable, a call) is kept as
//! its source text in a string, so a reader can still see that an option was set.

use serde_json::{Map, Number, Value};

/// Deepest nesting followed; deeper values are kept as source text.
const MAX_DEPTH: usize = 24;

/// A call's arguments and where the call ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    pub values: Vec<Arg>,
    /// Byte offset just past the closing `)` (or the end of input).
    pub end: usize,
}

/// One argument.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// A literal, possibly nested (object, array, string, number, boolean, null).
    Literal(Value),
    /// Anything else, as its source text (`e`, `this.options.appId`, `getKey()`).
    Expr(String),
    /// One of several literals, each with the condition that picks it (`prod ? "A" : "B"`);
    /// only the JavaScript reader (`js.rs`) makes these.
    Choice(Vec<(Value, String)>),
}

impl Arg {
    /// The argument as text when it is a string or number literal.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Arg::Literal(Value::String(s)) => Some(s.clone()),
            Arg::Literal(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
    }

    /// The argument as a JSON value: a literal as it is, anything else as its source text (a
    /// choice as its values joined by ` | `).
    pub fn into_value(self) -> Value {
        match self {
            Arg::Literal(v) => v,
            Arg::Expr(e) => Value::String(e),
            Arg::Choice(choices) => Value::String(
                choices
                    .iter()
                    .map(|(v, _)| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(" | "),
            ),
        }
    }

    pub fn as_object(&self) -> Option<&Map<String, Value>> {
        match self {
            Arg::Literal(Value::Object(m)) => Some(m),
            _ => None,
        }
    }
}

/// Parse the arguments of a call whose `(` is at `open` in `src`.
pub fn call_args(src: &str, open: usize) -> Args {
    let mut p = Parser {
        s: src.as_bytes(),
        src,
        pos: open + 1,
    };
    let mut values = Vec::new();
    loop {
        p.skip_ws();
        match p.peek() {
            None => break,
            Some(b')') => {
                p.pos += 1;
                break;
            }
            Some(b',') => p.pos += 1,
            Some(_) => {
                let start = p.pos;
                let value = p.value(0);
                if p.pos == start {
                    p.pos += 1; // make progress on anything unexpected
                }
                values.push(value);
            }
        }
        if values.len() > 16 {
            break;
        }
    }
    Args {
        values,
        end: p.pos.min(src.len()),
    }
}

struct Parser<'a> {
    s: &'a [u8],
    src: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        loop {
            while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
                self.pos += 1;
            }
            let rest = &self.s[self.pos.min(self.s.len())..];
            if rest.starts_with(b"//") {
                self.pos = self.find_from(b"\n").map_or(self.s.len(), |e| e + 1);
            } else if rest.starts_with(b"/*") {
                self.pos = self.find_from(b"*/").map_or(self.s.len(), |e| e + 2);
            } else {
                return;
            }
        }
    }

    fn find_from(&self, needle: &[u8]) -> Option<usize> {
        let from = self.pos.min(self.s.len());
        self.s[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    }

    fn value(&mut self, depth: usize) -> Arg {
        self.skip_ws();
        let start = self.pos;
        let literal = match self.peek() {
            Some(b'{') if depth < MAX_DEPTH => self.object(depth).map(Value::Object),
            Some(b'[') if depth < MAX_DEPTH => self.array(depth).map(Value::Array),
            Some(q @ (b'"' | b'\'' | b'`')) => self.string(q).map(Value::String),
            Some(b'!') => self.bang_bool(),
            Some(b'-' | b'.' | b'0'..=b'9') => self.number(),
            Some(b) if b.is_ascii_alphabetic() => self.keyword(),
            _ => None,
        };
        if let Some(v) = literal {
            // A literal followed by an operator (`"a"+b`) is an expression after all.
            let save = self.pos;
            self.skip_ws();
            if matches!(self.peek(), None | Some(b',' | b')' | b'}' | b']' | b';')) {
                self.pos = save;
                return Arg::Literal(v);
            }
        }
        self.pos = start;
        self.skip_expr();
        Arg::Expr(
            self.src
                .get(start..self.pos)
                .unwrap_or("")
                .trim()
                .to_owned(),
        )
    }

    /// Skip an expression up to a `,` `)` `}` `]` `;` at nesting level zero.
    fn skip_expr(&mut self) {
        let mut depth = 0usize;
        while let Some(b) = self.peek() {
            match b {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' if depth == 0 => return,
                b')' | b']' | b'}' => depth -= 1,
                b',' | b';' if depth == 0 => return,
                b'"' | b'\'' | b'`' => {
                    let _ = self.string(b);
                    continue;
                }
                _ => {}
            }
            self.pos += 1;
        }
    }

    fn object(&mut self, depth: usize) -> Option<Map<String, Value>> {
        self.pos += 1;
        let mut map = Map::new();
        loop {
            self.skip_ws();
            match self.peek()? {
                b'}' => {
                    self.pos += 1;
                    return Some(map);
                }
                b',' => {
                    self.pos += 1;
                    continue;
                }
                _ => {}
            }
            let key = self.key()?;
            self.skip_ws();
            let value = match self.peek()? {
                b':' => {
                    self.pos += 1;
                    self.value(depth + 1).into_value()
                }
                // Shorthand property `{ writeKey }`: keep the name as its source text.
                b',' | b'}' => Value::String(key.clone()),
                _ => return None,
            };
            map.insert(key, value);
        }
    }

    fn key(&mut self) -> Option<String> {
        match self.peek()? {
            q @ (b'"' | b'\'') => self.string(q),
            b'[' => None, // computed keys are not literals
            _ => {
                let start = self.pos;
                while self.peek().is_some_and(|b| {
                    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
                }) {
                    self.pos += 1;
                }
                (self.pos > start).then(|| self.src.get(start..self.pos).unwrap_or("").to_owned())
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<Vec<Value>> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.peek()? {
                b']' => {
                    self.pos += 1;
                    return Some(items);
                }
                b',' => self.pos += 1,
                _ => {
                    let start = self.pos;
                    items.push(self.value(depth + 1).into_value());
                    if self.pos == start {
                        return None;
                    }
                }
            }
        }
    }

    fn string(&mut self, quote: u8) -> Option<String> {
        self.pos += 1;
        let mut out = String::new();
        let mut run = self.pos;
        while let Some(b) = self.peek() {
            if b == quote {
                out.push_str(self.src.get(run..self.pos)?);
                self.pos += 1;
                return Some(out);
            }
            if b == b'\\' {
                out.push_str(self.src.get(run..self.pos)?);
                self.pos += 1;
                let esc = self.peek()?;
                self.pos += 1;
                match esc {
                    b'n' => out.push('\n'),
                    b't' => out.push('\t'),
                    b'r' => out.push('\r'),
                    b'x' => out.push(self.hex(2)?),
                    b'u' => out.push(self.hex(4)?),
                    _ => {
                        // Any other escaped character stands for itself (`\/`, `\"`, `\\`).
                        let c = self.src.get(self.pos - 1..)?.chars().next()?;
                        self.pos += c.len_utf8() - 1;
                        out.push(c);
                    }
                }
                run = self.pos;
                continue;
            }
            self.pos += 1;
        }
        None
    }

    fn hex(&mut self, n: usize) -> Option<char> {
        let digits = self.src.get(self.pos..self.pos + n)?;
        let code = u32::from_str_radix(digits, 16).ok()?;
        self.pos += n;
        char::from_u32(code)
    }

    fn bang_bool(&mut self) -> Option<Value> {
        let rest = &self.s[self.pos..];
        let value = match rest {
            [b'!', b'0', ..] => true,
            [b'!', b'1', ..] => false,
            _ => return None,
        };
        self.pos += 2;
        Some(Value::Bool(value))
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            self.pos += 1;
        }
        let text = self.src.get(start..self.pos)?;
        if let Ok(i) = text.parse::<i64>() {
            return Some(Value::Number(i.into()));
        }
        text.parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
    }

    fn keyword(&mut self) -> Option<Value> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
        {
            self.pos += 1;
        }
        match self.src.get(start..self.pos)? {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            "null" | "undefined" => Some(Value::Null),
            "void" => {
                self.skip_ws();
                (self.peek() == Some(b'0')).then(|| {
                    self.pos += 1;
                    Value::Null
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(src: &str) -> Vec<Arg> {
        call_args(src, src.find('(').unwrap()).values
    }

    #[test]
    fn minified_heap_load() {
        let a = args(
            r#"heap.load('1714017845',{disableTextCapture:!0,secureCookie:!1,trackingServer:"https://h.example.com"});"#,
        );
        assert_eq!(a[0].as_text().as_deref(), Some("1714017845"));
        assert_eq!(
            a[1],
            Arg::Literal(
                json!({"disableTextCapture": true, "secureCookie": false, "trackingServer": "https://h.example.com"})
            )
        );
    }

    #[test]
    fn nested_options_and_comments() {
        let a = args("analytics.load(\"k\", { // comment\n integrations: { 'All': false, \"Google Analytics\": true, Heap: { appId: 123 } }, obfuscate: true })");
        assert_eq!(
            a[1],
            Arg::Literal(
                json!({"integrations": {"All": false, "Google Analytics": true, "Heap": {"appId": 123}}, "obfuscate": true})
            )
        );
    }

    #[test]
    fn expressions_are_kept_as_text() {
        let a = args("heap.load(this.options.appId, {ingestServer: cfg.host + '/i', list: [1, f(2)]}, \"a\" + b)");
        assert_eq!(a[0], Arg::Expr("this.options.appId".into()));
        assert_eq!(
            a[1],
            Arg::Literal(json!({"ingestServer": "cfg.host + '/i'", "list": [1, "f(2)"]}))
        );
        assert_eq!(a[2], Arg::Expr("\"a\" + b".into()));
    }

    #[test]
    fn escapes_and_shorthand() {
        let a = args(r#"load("a\u0041\x42\/c", {writeKey, cdnURL: 'https:\/\/x'})"#);
        assert_eq!(a[0].as_text().as_deref(), Some("aAB/c"));
        assert_eq!(
            a[1],
            Arg::Literal(json!({"writeKey": "writeKey", "cdnURL": "https://x"}))
        );
    }

    #[test]
    fn garbage_never_panics() {
        for src in [
            "f(",
            "f({",
            "f({a:",
            "f('",
            "f(\"\\",
            "f({[x]:1})",
            "f(!",
            "f(-)",
            "f({a b})",
            "f(é{ü:1})",
            "f(\\u00",
        ] {
            let _ = call_args(src, 1);
        }
        let deep = format!("f({}1{})", "[".repeat(100), "]".repeat(100));
        let _ = call_args(&deep, 1);
    }
}
