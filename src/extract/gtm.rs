//! Reads a downloaded Google Tag Manager container (`gtm.js?id=GTM-…`).
//!
//! A site that installs Heap or Segment through GTM shows nothing of it in its pages: the snippet
//! lives in a Custom HTML tag or a custom template inside the container file. This module finds
//! the `var data = {…}` JSON at the top of that file and hands back, as plain text, each Custom
//! HTML tag (GTM's escaping undone, constant variables filled in) and each script URL a custom
//! template may inject, with the parameters its tags set. Recognising Heap or Segment in that text
//! is the caller's job. Pure: no I/O.

use serde_json::{Map, Value};

/// What a container holds that can load a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// `resource.version`: the published container version.
    pub version: Option<String>,
    /// Every Custom HTML tag (`"function":"__html"`), in container order.
    pub html_tags: Vec<HtmlTag>,
    /// One entry per `inject_script` URL in `permissions`, in container order.
    pub templates: Vec<TemplateScript>,
}

/// A Custom HTML tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlTag {
    /// `tag_id` as text.
    pub tag_id: Option<String>,
    /// The HTML with JSON and `\xHH` escapes undone and `["macro",N]` references resolved:
    /// constants (`__c`) to their value, anything else to `{{macro:N}}`.
    pub html: String,
}

/// A script URL that a custom template (`__cvt_*`) is allowed to inject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateScript {
    /// Template id, e.g. `__cvt_1434782_401`.
    pub template: String,
    /// The URL pattern as listed (may contain `*`).
    pub url: String,
    /// `vtp_*` parameters of the tags running this template, name without `vtp_`. Strings, numbers
    /// and booleans as text, macro references resolved as in [`HtmlTag::html`]; tables and lists
    /// are left out.
    pub params: Vec<(String, String)>,
    /// `tag_id` of the first tag running this template.
    pub tag_id: Option<String>,
}

/// Why a text could not be read as a GTM container.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GtmError {
    #[error("not a GTM container: no `var data = {{` found")]
    NoData,
    /// Line and column are 1-based positions in the whole container text.
    #[error("GTM container data is not valid JSON at line {line} column {column}: {message}")]
    InvalidJson {
        message: String,
        line: usize,
        column: usize,
    },
    #[error("GTM container data has no `resource` object")]
    NoResource,
}

/// How deep macro references may chain (a constant whose value names another constant) before
/// they are left as placeholders; this also stops reference cycles.
const MAX_MACRO_DEPTH: usize = 16;

/// Parses the text of a `gtm.js` file.
pub fn parse_container(text: &str) -> Result<Container, GtmError> {
    let start = find_data(text).ok_or(GtmError::NoData)?;
    let data = match serde_json::Deserializer::from_str(&text[start..])
        .into_iter::<Value>()
        .next()
    {
        Some(Ok(value)) => value,
        Some(Err(err)) => return Err(invalid_json(text, start, &err)),
        None => return Err(GtmError::NoData),
    };
    let resource = data
        .get("resource")
        .and_then(Value::as_object)
        .ok_or(GtmError::NoResource)?;
    let macros = Macros(array(resource.get("macros")));
    let tags: Vec<&Map<String, Value>> = array(resource.get("tags"))
        .iter()
        .filter_map(Value::as_object)
        .collect();

    let html_tags = tags
        .iter()
        .filter(|tag| function(tag) == Some("__html"))
        .map(|tag| HtmlTag {
            tag_id: tag.get("tag_id").and_then(scalar_text),
            html: tag
                .get("vtp_html")
                .map(|html| macros.render(html, 0, true))
                .unwrap_or_default(),
        })
        .collect();

    let mut templates = Vec::new();
    let permissions = data.get("permissions").and_then(Value::as_object);
    for (id, permission) in permissions.into_iter().flatten() {
        let urls = permission
            .get("inject_script")
            .and_then(|inject| inject.get("urls"));
        let urls: Vec<&str> = array(urls).iter().filter_map(Value::as_str).collect();
        if urls.is_empty() {
            continue;
        }
        let users: Vec<_> = tags
            .iter()
            .filter(|tag| function(tag) == Some(id.as_str()))
            .collect();
        let params: Vec<(String, String)> = users
            .iter()
            .flat_map(|tag| tag.iter())
            .filter_map(|(key, value)| {
                let name = key.strip_prefix("vtp_")?;
                Some((name.to_string(), macros.param(value)?))
            })
            .collect();
        let tag_id = users
            .first()
            .and_then(|tag| tag.get("tag_id"))
            .and_then(scalar_text);
        templates.extend(urls.into_iter().map(|url| TemplateScript {
            template: id.clone(),
            url: url.to_string(),
            params: params.clone(),
            tag_id: tag_id.clone(),
        }));
    }

    Ok(Container {
        version: resource.get("version").and_then(scalar_text),
        html_tags,
        templates,
    })
}

/// Byte offset of the `{` that opens the container data: the first `var data = {`, with any
/// whitespace around `data` and `=`.
fn find_data(text: &str) -> Option<usize> {
    text.match_indices("var").find_map(|(at, _)| {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            return None;
        }
        let rest = &text[at + 3..];
        let spaced = rest.trim_start();
        if spaced.len() == rest.len() {
            return None;
        }
        let rest = spaced.strip_prefix("data")?.trim_start();
        let rest = rest.strip_prefix('=')?.trim_start();
        rest.starts_with('{').then(|| text.len() - rest.len())
    })
}

/// A JSON error with its position moved from the data slice to the whole text.
fn invalid_json(text: &str, start: usize, err: &serde_json::Error) -> GtmError {
    let before = &text[..start];
    let base_line = before.matches('\n').count() + 1;
    let base_column = before.len() - before.rfind('\n').map_or(0, |nl| nl + 1);
    let (line, column) = if err.line() <= 1 {
        (base_line, base_column + err.column())
    } else {
        (base_line + err.line() - 1, err.column())
    };
    let full = err.to_string();
    let position = format!(" at line {} column {}", err.line(), err.column());
    let message = full.strip_suffix(&position).unwrap_or(&full).to_string();
    GtmError::InvalidJson {
        message,
        line,
        column,
    }
}

fn array(value: Option<&Value>) -> &[Value] {
    value.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn function(tag: &Map<String, Value>) -> Option<&str> {
    tag.get("function").and_then(Value::as_str)
}

/// A string, number or boolean as text.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `resource.macros`, for resolving `["macro",N]` references.
struct Macros<'a>(&'a [Value]);

impl Macros<'_> {
    /// The text of a tag parameter, or `None` for tables, lists and other non-text values.
    fn param(&self, value: &Value) -> Option<String> {
        if let Some(text) = scalar_text(value) {
            return Some(text);
        }
        let op = value.as_array()?.first()?.as_str()?;
        matches!(op, "macro" | "template" | "escape").then(|| self.render(value, 0, false))
    }

    /// Renders a value as GTM would insert it. With `js`, literal strings are tag code, whose
    /// `\xHH` escapes are undone; macro values never are.
    fn render(&self, value: &Value, depth: usize, js: bool) -> String {
        let mut out = String::new();
        self.render_into(value, depth, js, &mut out);
        out
    }

    fn render_into(&self, value: &Value, depth: usize, js: bool, out: &mut String) {
        let items = match value {
            Value::Array(items) => items,
            Value::String(s) if js => return out.push_str(&unescape_js_hex(s)),
            other => return out.push_str(&scalar_text(other).unwrap_or_default()),
        };
        match items.first().and_then(Value::as_str) {
            Some("template") => {
                for item in &items[1..] {
                    self.render_into(item, depth, js, out);
                }
            }
            Some("escape") => {
                if let Some(inner) = items.get(1) {
                    self.render_into(inner, depth, js, out);
                }
            }
            Some("macro") => self.macro_into(items.get(1), depth, out),
            Some(op) => out.push_str(&format!("{{{{{op}}}}}")),
            None => out.push_str("{{?}}"),
        }
    }

    /// A constant's value, or the `{{macro:N}}` placeholder for anything that is only known at
    /// run time (and for indexes out of range).
    fn macro_into(&self, index: Option<&Value>, depth: usize, out: &mut String) {
        let constant = index
            .and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok())
            .and_then(|n| self.0.get(n))
            .filter(|m| m.get("function").and_then(Value::as_str) == Some("__c"))
            .and_then(|m| m.get("vtp_value"))
            .filter(|v| depth < MAX_MACRO_DEPTH && !v.is_null() && !v.is_object());
        match constant {
            Some(value) => self.render_into(value, depth + 1, false, out),
            None => {
                let label = match index {
                    Some(Value::Number(n)) => n.to_string(),
                    _ => "?".to_string(),
                };
                out.push_str(&format!("{{{{macro:{label}}}}}"));
            }
        }
    }
}

/// Undoes the `\xHH` escapes (ASCII only) that GTM's minifier leaves in string literals of the
/// tag code (`\x3d` for `=`, `\x3c` for `<`, …). An escaped backslash (`\\`) is kept as it is, so
/// `\\x3d` stays literal text.
fn unescape_js_hex(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('\\') {
            out.push_str("\\\\");
            rest = tail;
        } else if let Some(c) = hex_ascii(after) {
            out.push(c);
            rest = &after[3..];
        } else {
            out.push('\\');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The ASCII character of `xHH` at the start of `s`.
fn hex_ascii(s: &str) -> Option<char> {
    let digits = s.strip_prefix('x')?.get(..2)?;
    let code = u8::from_str_radix(digits, 16).ok()?;
    (code.is_ascii() && digits.bytes().all(|b| b.is_ascii_hexdigit())).then_some(char::from(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEG4GTM: &str = include_str!("../../fixtures/gtm/GTM-SEG4GTM.js");
    const HEAPG1: &str = include_str!("../../fixtures/gtm/GTM-HEAPG1.js");
    const HEAPV5: &str = include_str!("../../fixtures/gtm/GTM-HEAPV5.js");
    const TPLHEAP: &str = include_str!("../../fixtures/gtm/GTM-TPLHEAP.js");
    const TPLSEG: &str = include_str!("../../fixtures/gtm/GTM-TPLSEG.js");
    const CLEAN01: &str = include_str!("../../fixtures/gtm/GTM-CLEAN01.js");
    const BROKEN1: &str = include_str!("../../fixtures/gtm/GTM-BROKEN1.js");

    fn parse(text: &str) -> Container {
        parse_container(text).expect("container parses")
    }

    /// The one Custom HTML tag with this `tag_id`.
    fn tag<'a>(container: &'a Container, id: &str) -> &'a str {
        let found: Vec<_> = container
            .html_tags
            .iter()
            .filter(|t| t.tag_id.as_deref() == Some(id))
            .collect();
        assert_eq!(found.len(), 1, "tag {id}");
        &found[0].html
    }

    /// A container around hand-written resource JSON.
    fn wrap(resource: &str) -> String {
        format!("(function(){{\nvar data = {{\"resource\":{resource}}};\nvar aa;}})()")
    }

    fn ids(container: &Container) -> Vec<&str> {
        let ids = container.html_tags.iter().map(|t| t.tag_id.as_deref());
        ids.map(|id| id.unwrap_or("-")).collect()
    }

    fn no_escapes_left(container: &Container) {
        for tag in &container.html_tags {
            for left in ["\\u003C", "\\u003c", "\\/", "\\\"", "\\x3d", "\\x26", "\\n"] {
                assert!(!tag.html.contains(left), "{left} in {}", tag.html);
            }
        }
    }

    #[test]
    fn segment_snippet_is_decoded() {
        let c = parse(SEG4GTM);
        assert_eq!(c.version.as_deref(), Some("87"));
        assert_eq!(ids(&c), ["9", "14", "15", "21"]);
        assert!(c.templates.is_empty());
        no_escapes_left(&c);
        let html = tag(&c, "14");
        assert!(html.starts_with("<script type=\"text/gtmscript\">!function(){var a=window.analytics=window.analytics||[];"));
        assert!(html.ends_with("a.page()}}();</script>"));
        for code in [
            "console.error(\"Segment snippet included twice.\")",
            "a.methods=\"trackSubmit trackClick trackLink trackForm pageview identify reset group track ready alias debug page once off on\".split(\" \")",
            "for(var b=0;b<a.methods.length;b++)",
            "d.src=\"https://cdn.segment.com/analytics.js/v1/\"+b+\"/analytics.min.js\"",
            "a.SNIPPET_VERSION=\"4.1.0\";a.load(\"bKVNiLl0RNlUfe2nS5JiKvEjrZX5mbKY\");",
        ] {
            assert!(html.contains(code), "missing {code}");
        }
    }

    #[test]
    fn non_constant_macros_become_placeholders() {
        let c = parse(SEG4GTM);
        // macros[4] is a data-layer variable, [3] a URL variable, [5] custom JavaScript.
        assert_eq!(
            tag(&c, "15"),
            "<script type=\"text/gtmscript\">analytics.track(\"Signup Clicked\",{plan:{{macro:4}},\
             path:{{macro:3}},pageType:{{macro:5}},category:\"Account\"});</script>"
        );
    }

    #[test]
    fn entities_and_newlines_are_decoded() {
        let c = parse(SEG4GTM);
        let pixel = tag(&c, "9");
        assert!(pixel.contains(
            "fbq(\"track\",\"PageView\");</script>\n<noscript><img height=\"1\" width=\"1\" style=\"display:none\" \
             src=\"https://www.facebook.com/tr?id=602118734815337&amp;ev=PageView&amp;noscript=1\"></noscript>"
        ));
    }

    #[test]
    fn heap_classic_app_id_comes_from_a_constant_macro() {
        let c = parse(HEAPG1);
        assert_eq!(c.version.as_deref(), Some("23"));
        assert_eq!(ids(&c), ["7", "8", "11", "12"]);
        assert!(c.templates.is_empty(), "permissions without inject_script");
        no_escapes_left(&c);
        assert_eq!(
            tag(&c, "7"),
            concat!(
                "<script type=\"text/gtmscript\">(function(){if(!window.heap){window.heap=window.heap||[];",
                "heap.load=function(b,c){window.heap.appid=b;window.heap.config=c=c||{};",
                "var a=document.createElement(\"script\");a.type=\"text/javascript\";a.async=!0;",
                "a.src=\"https://cdn.heapanalytics.com/js/heap-\"+b+\".js\";",
                "var e=document.getElementsByTagName(\"script\")[0];e.parentNode.insertBefore(a,e);",
                "a=function(f){return function(){heap.push([f].concat(Array.prototype.slice.call(arguments,0)))}};",
                "for(var d=\"addEventProperties addUserProperties clearEventProperties identify removeEventProperty ",
                "setEventProperties track unsetEventProperty\".split(\" \"),g=0;g<d.length;g++)heap[d[g]]=a(d[g])};",
                "heap.load(\"3180826004\");}})();</script>"
            )
        );
        assert_eq!(
            tag(&c, "8"),
            "<script type=\"text/gtmscript\">window.heap&&heap.identify({{macro:2}});</script>"
        );
    }

    #[test]
    fn heap_v5_from_a_plain_string() {
        let c = parse(HEAPV5);
        assert_eq!(c.version.as_deref(), Some("112"));
        assert_eq!(ids(&c), ["5", "6", "10", "13"]);
        no_escapes_left(&c);
        let html = tag(&c, "5");
        assert!(html.starts_with(
            "<script type=\"text/gtmscript\">window.heapReadyCb=window.heapReadyCb||[],"
        ));
        assert!(
            html.contains("a.src=\"https://cdn.us.heap-api.com/config/\"+e+\"/heap_config.js\";")
        );
        assert!(html.contains("for(var p=0;p<n.length;p++)heap[n[p]]=i(n[p])};\nheap.load(\"262759952\",{disableTextCapture:!0});</script>"));
        assert!(!html.contains("{{"), "no macros in a string vtp_html");
    }

    #[test]
    fn heap_template_script_and_params() {
        let c = parse(TPLHEAP);
        assert_eq!(c.version.as_deref(), Some("9"));
        assert_eq!(ids(&c), ["33", "34"]);
        assert!(c.html_tags.iter().all(|t| !t.html.contains("heap")));
        assert_eq!(
            c.templates,
            [TemplateScript {
                template: "__cvt_5839201_12".into(),
                url: "https://cdn.heapanalytics.com/js/heap-*.js".into(),
                params: vec![
                    ("sdkVersion".into(), "4".into()),
                    ("appId".into(), "1535634150".into()),
                    ("disableTextCapture".into(), "true".into()),
                    ("secureCookie".into(), "false".into()),
                ],
                tag_id: Some("31".into()),
            }]
        );
    }

    #[test]
    fn segment_template_with_resolved_params() {
        let c = parse(TPLSEG);
        assert_eq!(c.version.as_deref(), Some("15"));
        assert_eq!(ids(&c), ["22"]);
        let urls: Vec<_> = c
            .templates
            .iter()
            .map(|t| (t.template.as_str(), t.url.as_str()))
            .collect();
        assert_eq!(
            urls,
            [
                (
                    "__cvt_7712045_3",
                    "https://cdn.segment.com/analytics.js/v1/*/analytics.min.js"
                ),
                ("__cvt_7712045_9", "https://www.clarity.ms/tag/*"),
            ]
        );
        let segment = &c.templates[0];
        assert_eq!(segment.tag_id.as_deref(), Some("18"));
        assert_eq!(
            segment.params,
            [
                ("loadMode", "standard"),
                ("writeKey", "Zx81LmQp3RstUvW0yAbC4dEfGh5iJkLm"),
                ("cdnHost", "cdn.segment.com"),
                ("trackPageview", "true"),
                ("userId", "{{macro:2}}"),
                ("snippetVersion", "4.15.3"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        assert_eq!(c.templates[1].tag_id.as_deref(), Some("19"));
        assert_eq!(
            c.templates[1].params,
            [("projectId".to_string(), "k7x2m9q4ab".to_string())]
        );
    }

    #[test]
    fn clean_container_has_no_heap_or_segment() {
        let c = parse(CLEAN01);
        assert_eq!(c.version.as_deref(), Some("204"));
        assert_eq!(ids(&c), ["8", "9", "11", "12"]);
        assert!(c.templates.is_empty());
        no_escapes_left(&c);
        for tag in &c.html_tags {
            for anchor in [
                "heapanalytics",
                "heap-api",
                "heap.load",
                "cdn.segment.com",
                "analytics",
            ] {
                assert!(!tag.html.contains(anchor), "{anchor} in {}", tag.html);
            }
        }
        // The trap: a priority queue that calls its array `heap`.
        assert!(tag(&c, "11").contains("\n    push(item) {\n      heap.push(item);\n"));
        assert!(tag(&c, "11").contains("const parent = (i - 1) >> 1;"));
        // Hex escapes of the minified code are undone.
        assert!(tag(&c, "9")
            .contains("(window,document,\"https://static.hotjar.com/c/hotjar-\",\".js?sv=\");"));
        assert!(tag(&c, "12").contains(
            "document.cookie=\"_utm_first=\"+c.join(\"&\")+\"; path=/; max-age=2592000; SameSite=Lax\""
        ));
    }

    #[test]
    fn truncated_container_is_an_error() {
        let err = parse_container(BROKEN1).expect_err("truncated");
        let GtmError::InvalidJson { message, line, .. } = &err else {
            panic!("{err:?}");
        };
        assert!(message.starts_with("EOF while parsing"), "{message}");
        assert_eq!(*line, BROKEN1.lines().count());
        assert!(err.to_string().contains("not valid JSON"));
    }

    #[test]
    fn text_that_is_not_a_container_is_an_error() {
        let html = "<!doctype html><html><script>var data = 5; var dataLayer = [];</script></html>";
        assert_eq!(parse_container(html), Err(GtmError::NoData));
        assert_eq!(parse_container(""), Err(GtmError::NoData));
        assert_eq!(
            parse_container("var metadata = {\"resource\":{}};"),
            Err(GtmError::NoData)
        );
        assert_eq!(
            parse_container("var data = {\"runtime\":[]};"),
            Err(GtmError::NoResource)
        );
        assert_eq!(
            parse_container("vardata = {\"resource\":{}};"),
            Err(GtmError::NoData)
        );
        assert_eq!(
            parse_container("_var data = {\"resource\":{}};"),
            Err(GtmError::NoData)
        );
        let err = parse_container("x\nvar data = {\"resource\":{\"tags\":[}]}};").expect_err("bad");
        assert!(
            matches!(
                err,
                GtmError::InvalidJson {
                    line: 2,
                    column: 33,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn data_marker_tolerates_whitespace_and_ignores_the_runtime() {
        let text = "var\tdata\n=\n  {\"resource\":{\"version\":7,\"tags\":[{\"function\":\"__html\",\"vtp_html\":\"a\"}]}};\
                    var data = {\"resource\":{\"version\":\"8\"}}; x = {";
        let c = parse(text);
        assert_eq!(c.version.as_deref(), Some("7"));
        assert_eq!(
            c.html_tags,
            [HtmlTag {
                tag_id: None,
                html: "a".into()
            }]
        );
    }

    #[test]
    fn macro_references_are_resolved_or_left_as_placeholders() {
        let text = wrap(
            r#"{"macros":[{"function":"__c","vtp_value":"abc"},{"function":"__c","vtp_value":42},
                {"function":"__v","vtp_name":"x"},{"function":"__c","vtp_value":["macro",3]},
                {"function":"__c","vtp_value":["template","id-",["macro",1]]},{"function":"__c"}],
             "tags":[{"function":"__html","tag_id":"t1","vtp_html":["template","[",["macro",0],"|",
                ["escape",["macro",1],8,16],"|",["macro",2],"|",["macro",99],"|",["macro",-1],"|",
                ["macro","x"],"|",["macro",3],"|",["macro",4],"|",["macro",5],"|",
                ["template","<",["template",["escape",["escape",["macro",0]]]],">"],"|",["list","a"],"]"]}]}"#,
        );
        let c = parse(&text);
        assert_eq!(
            c.html_tags,
            [HtmlTag {
                tag_id: Some("t1".into()),
                html:
                    "[abc|42|{{macro:2}}|{{macro:99}}|{{macro:-1}}|{{macro:?}}|{{macro:3}}|id-42|\
                       {{macro:5}}|<abc>|{{list}}]"
                        .into(),
            }]
        );
    }

    #[test]
    fn hex_escapes_are_undone_in_code_only() {
        let text = wrap(
            r#"{"macros":[{"function":"__c","vtp_value":"k\\x3dv"}],
             "tags":[{"function":"__html","tag_id":5,"vtp_html":["template",
                "a\\x3Cb\\x3e\\x3D\\x26\\x22\\x27\\x41|\\\\x3d|\\xe9|\\x4|\\u003c|",["macro",0]]},
                {"function":"__html"}]}"#,
        );
        let c = parse(&text);
        assert_eq!(ids(&c), ["5", "-"]);
        assert_eq!(
            c.html_tags[0].html,
            r#"a<b>=&"'A|\\x3d|\xe9|\x4|\u003c|k\x3dv"#
        );
        assert_eq!(c.html_tags[1].html, "");
    }

    #[test]
    fn template_params_skip_tables_and_other_tags() {
        let text = r#"var data = {"resource":{"macros":[{"function":"__c","vtp_value":"k"}],
            "tags":[{"function":"__cvt_1_2","vtp_a":"x","vtp_t":["list",["map","k","v"]],
                     "vtp_m":["map","k","v"],"vtp_n":null,"vtp_c":["macro",0],"priority":3,"tag_id":1},
                    {"function":"__cvt_9_9","vtp_b":"no","tag_id":2},
                    {"function":"__cvt_1_2","vtp_a":"y","tag_id":3}]},
            "permissions":{
              "__cvt_1_2":{"inject_script":{"urls":["https:\/\/a.example\/*","https:\/\/b.example\/x.js"]}},
              "__cvt_3_4":{"inject_script":{"urls":["https:\/\/c.example\/"]}},
              "__cvt_9_9":{"access_globals":{}}}};"#;
        let c = parse(text);
        let params: Vec<(String, String)> = [("a", "x"), ("c", "k"), ("a", "y")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        let expected = |url: &str| TemplateScript {
            template: "__cvt_1_2".into(),
            url: url.into(),
            params: params.clone(),
            tag_id: Some("1".into()),
        };
        assert_eq!(
            c.templates,
            [
                expected("https://a.example/*"),
                expected("https://b.example/x.js"),
                TemplateScript {
                    template: "__cvt_3_4".into(),
                    url: "https://c.example/".into(),
                    params: vec![],
                    tag_id: None,
                },
            ]
        );
    }

    #[test]
    fn odd_shapes_do_not_panic() {
        for text in [
            "var data = {\"resource\":{\"tags\":{},\"macros\":7}}",
            "var data = {\"resource\":{\"tags\":[1,\"x\",{\"function\":\"__html\",\"vtp_html\":[]}]},\"permissions\":[]}",
            "var data = {\"resource\":{\"tags\":[{\"function\":\"__html\",\"vtp_html\":[[\"macro\"],[7],{},null]}]}}",
            "var data = {\"resource\":{\"macros\":[{\"function\":\"__c\",\"vtp_value\":[\"macro\",0]}],\
             \"tags\":[{\"function\":\"__html\",\"vtp_html\":[\"macro\",0]}]}}",
        ] {
            parse(text);
        }
        let cycle = "var data = {\"resource\":{\"macros\":[{\"function\":\"__c\",\"vtp_value\":[\"macro\",0]}],\
                     \"tags\":[{\"function\":\"__html\",\"vtp_html\":[\"macro\",0]}]}}";
        assert_eq!(parse(cycle).html_tags[0].html, "{{macro:0}}");
        let deep = format!("var data = {{\"resource\":{}}}", "[".repeat(100_000));
        assert!(matches!(
            parse_container(&deep),
            Err(GtmError::InvalidJson { .. })
        ));
    }
}
