//! Code of apps and services: comments told from code and strings, the calls that start Heap or
//! Segment (with their app id or write key), and `track`/`identify` calls.

use std::sync::LazyLock;

use regex::Regex;

use crate::model::{AppCall, AppInstall, Evidence, Vendor};

/// The language of a code file, by extension.
pub fn language(name: &str) -> Option<&'static str> {
    let ext = name.rsplit('.').next()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "swift" => "swift",
        "m" | "mm" => "objective-c",
        "kt" => "kotlin",
        "java" => "java",
        "dart" => "dart",
        "js" | "mjs" | "cjs" | "jsx" => "javascript",
        "ts" | "mts" | "cts" | "tsx" => "typescript",
        "py" => "python",
        "rb" => "ruby",
        "go" => "go",
        "php" => "php",
        "cs" => "csharp",
        _ => return None,
    })
}

/// Code with comments blanked (newlines kept) and, for each byte, whether it is inside a string.
pub struct Code {
    pub text: String,
    pub in_string: Vec<bool>,
}

/// Blank a file's comments and mark its strings, by the language's rules.
pub fn lex(src: &str, lang: &str) -> Code {
    let hash = matches!(lang, "python" | "ruby" | "php");
    let slash = !matches!(lang, "python" | "ruby");
    let triple = matches!(lang, "python" | "swift" | "kotlin" | "dart" | "java");
    let backtick = matches!(lang, "javascript" | "typescript" | "go");
    let b = src.as_bytes();
    let mut out = b.to_vec();
    let mut in_string = vec![false; b.len()];
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in out.iter_mut().take(to).skip(from) {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if slash && c == b'/' && b.get(i + 1) == Some(&b'/') || hash && c == b'#' {
            let end = src[i..].find('\n').map_or(b.len(), |e| i + e);
            blank(&mut out, i, end);
            i = end;
        } else if slash && c == b'/' && b.get(i + 1) == Some(&b'*') {
            let end = src[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
            blank(&mut out, i, end);
            i = end;
        } else if c == b'"' || c == b'\'' || backtick && c == b'`' {
            let quote = if triple && src[i..].starts_with(&format!("{0}{0}{0}", c as char)) {
                format!("{0}{0}{0}", c as char)
            } else {
                (c as char).to_string()
            };
            let mut j = i + quote.len();
            while j < b.len() {
                if b[j] == b'\\' && c != b'`' {
                    j += 2;
                    continue;
                }
                if src[j..].starts_with(&quote) {
                    break;
                }
                if b[j] == b'\n' && quote.len() == 1 && c != b'`' {
                    break;
                }
                j += 1;
            }
            let end = (j + quote.len()).min(b.len());
            for s in in_string.iter_mut().take(end.saturating_sub(1)).skip(i + 1) {
                *s = true;
            }
            i = end;
        } else {
            i += 1;
        }
    }
    Code {
        text: String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        in_string,
    }
}

/// Init calls: the vendor, the call as reported, and a regex whose match ends where the id
/// argument starts.
static INITS: LazyLock<Vec<(Vendor, &'static str, Regex)>> = LazyLock::new(|| {
    let r = |s: &str| Regex::new(s).expect("regex");
    vec![
        // Heap: iOS (Swift core, classic), Android (core, classic), Flutter, React Native
        // and Capacitor bridges, Xamarin, server libraries.
        (
            Vendor::Heap,
            "Heap.shared.startRecording",
            r(r"\bHeap\.shared\.startRecording\s*\(\s*"),
        ),
        (
            Vendor::Heap,
            "Heap.startRecording",
            r(r"\bHeap(?:\(\))?\.startRecording\s*\(\s*(?:[A-Za-z_][\w.]*(?:\(\))?\s*,\s*)?"),
        ),
        (
            Vendor::Heap,
            "Heap.StartRecording",
            r(r"\bHeap\.StartRecording\s*\(\s*"),
        ),
        (
            Vendor::Heap,
            "Heap.initialize",
            r(r"\bHeap\.initialize\s*\(\s*"),
        ),
        (
            Vendor::Heap,
            "[Heap initialize:]",
            r(r"\[\s*Heap\s+(?:initialize|setAppId)\s*:\s*"),
        ),
        (
            Vendor::Heap,
            "Heap.setAppId",
            r(r"\bHeap\.setAppId\s*\(\s*"),
        ),
        (
            Vendor::Heap,
            "Heap.init",
            r(r"\bHeap\.init\s*\(\s*[A-Za-z_][\w.]*(?:\(\))?\s*,\s*"),
        ),
        (
            Vendor::Heap,
            "require('heap-api')",
            r(r#"require\s*\(\s*['"]heap-api['"]\s*\)\s*\(\s*"#),
        ),
        (Vendor::Heap, "HeapAPIClient", r(r"\bHeapAPIClient\s*\(\s*")),
        // Segment: analytics-swift, analytics-ios, analytics-kotlin, analytics-android, React
        // Native, Flutter, server libraries.
        (
            Vendor::Segment,
            "Configuration(writeKey:)",
            r(r"\b(?:SEGAnalytics|Analytics)?Configuration\s*\(\s*writeKey\s*:\s*"),
        ),
        (
            Vendor::Segment,
            "[SEGAnalyticsConfiguration configurationWithWriteKey:]",
            r(r"\[\s*SEGAnalyticsConfiguration\s+configurationWithWriteKey\s*:\s*"),
        ),
        (
            Vendor::Segment,
            "Analytics.Builder",
            r(r"\bAnalytics\.Builder\s*\(\s*[A-Za-z_][\w.]*(?:\(\))?\s*,\s*"),
        ),
        (
            Vendor::Segment,
            "new Analytics",
            r(r"\bnew\s+Analytics\s*\(\s*(?:\{[^}]*?\bwriteKey\s*:\s*)?"),
        ),
        (
            Vendor::Segment,
            "Analytics",
            r(r"(?m)(?:^|[=(,\s])Analytics\s*\(\s*(?:writeKey\s*=\s*)?"),
        ),
        (
            Vendor::Segment,
            "Analytics.builder",
            r(r"\bAnalytics\.builder\s*\(\s*"),
        ),
        (
            Vendor::Segment,
            "Analytics.Initialize",
            r(r"\bAnalytics\.Initialize\s*\(\s*"),
        ),
        (
            Vendor::Segment,
            "createClient",
            r(r"\bcreateClient\s*\(\s*\{[^}]*?\bwriteKey\s*:\s*"),
        ),
        (
            Vendor::Segment,
            "CapacitorSegment.initialize",
            r(r"\bCapacitorSegment\.initialize\s*\(\s*\{[^}]*?\bkey\s*:\s*"),
        ),
        (
            Vendor::Segment,
            "createClient(Configuration())",
            r(r"\bcreateClient\s*\(\s*Configuration\s*\(\s*"),
        ),
        (
            Vendor::Segment,
            "analytics.write_key =",
            r(r"\banalytics\.write_key\s*=\s*"),
        ),
        (
            Vendor::Segment,
            "Segment::Analytics.new",
            r(r"\bSegment::Analytics\.new\s*\(?\s*\{?\s*(?:write_key\s*:|:write_key\s*=>)\s*"),
        ),
        (
            Vendor::Segment,
            "analytics.New",
            r(r"\banalytics\.New(?:WithConfig)?\s*\(\s*"),
        ),
        (
            Vendor::Segment,
            "Segment::init",
            r(r"\bSegment::init\s*\(\s*"),
        ),
    ]
});

/// The init calls of one code file.
pub fn installs(src: &str, code: &Code) -> Vec<AppInstall> {
    let mut out: Vec<AppInstall> = Vec::new();
    let mut seen = Vec::new();
    for (vendor, call, re) in INITS.iter() {
        for m in re.find_iter(&code.text) {
            // The call's own first character must be code, not a string's.
            let first = m.as_str().len() - m.as_str().trim_start().len() + m.start();
            if code.in_string.get(first).copied().unwrap_or(true) {
                continue;
            }
            // One init per line and vendor: the more specific pattern (listed first) names it.
            let line = line_of(src, first);
            if seen.contains(&(*vendor, line)) {
                continue;
            }
            seen.push((*vendor, line));
            let (id, id_from) = argument(src, m.end());
            let placeholder = id.as_ref().filter(|i| is_placeholder(i)).cloned();
            out.push(AppInstall {
                vendor: *vendor,
                call: (*call).to_owned(),
                id: id.filter(|_| placeholder.is_none()),
                id_from,
                placeholder,
                evidence: evidence(src, line),
            });
        }
    }
    out.sort_by_key(|i| i.evidence.line);
    out
}

fn is_placeholder(id: &str) -> bool {
    let upper = id.to_ascii_uppercase();
    upper.starts_with("YOUR_")
        || upper.starts_with("YOUR ")
        || upper.contains("APP_ID_HERE")
        || upper.contains("WRITE_KEY_HERE")
}

/// The id argument that starts at `at`: a string literal (`"…"`, `'…'`, `@"…"`), or the
/// expression as written.
fn argument(src: &str, at: usize) -> (Option<String>, Option<String>) {
    let rest = src.get(at..).unwrap_or_default();
    let rest = rest.strip_prefix('@').unwrap_or(rest);
    if let Some(q) = rest
        .chars()
        .next()
        .filter(|c| matches!(c, '"' | '\'' | '`'))
    {
        if let Some(end) = rest[1..].find(q) {
            let lit = &rest[1..1 + end];
            if !lit.contains("${") && !lit.contains('\n') {
                return (Some(lit.to_owned()), None);
            }
        }
    }
    let mut depth = 0i32;
    let mut end = rest.len();
    for (i, c) in rest.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => {
                end = i;
                break;
            }
            ')' | ']' | '}' => depth -= 1,
            ',' | ';' | '\n' if depth == 0 => {
                end = i;
                break;
            }
            _ => {}
        }
        if i > 200 {
            end = i;
            break;
        }
    }
    let expr = rest[..end].trim();
    (None, (!expr.is_empty()).then(|| expr.to_owned()))
}

static CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b((?:[a-z_]\w*)?(?:analytics|segment|heap)\w*(?:\(\))?(?:\.shared(?:\(\))?)?)\s*(?:\.|::|->)\s*(track|identify)\s*\(").expect("regex")
});
static GO_TRACK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\banalytics\.(Track|Identify)\s*\{").expect("regex"));
static EVENT_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:\bevent\b|["']event["']|\bEvent\b|\bname\b)\s*(?::|=>|=)\s*["']([^"'\n]+)["']"#,
    )
    .expect("regex")
});
static EMAIL_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(?:\bemail\b|["']email["'])\s*(?::|=>|=|,)"#).expect("regex")
});
static FIRST_STRING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"["']([^"'\n]+)["']"#).expect("regex"));

/// The `track`/`identify` calls of one code file.
pub fn calls(src: &str, code: &Code, lang: &str) -> Vec<AppCall> {
    let mut out = Vec::new();
    let mut push = |start: usize, args_at: usize, receiver: &str, method: &str| {
        if code.in_string.get(start).copied().unwrap_or(true) {
            return;
        }
        let args = balanced(&code.text, src, args_at);
        let method = method.to_ascii_lowercase();
        let event = (method == "track")
            .then(|| {
                EVENT_KEY
                    .captures(&args)
                    .or_else(|| {
                        // Positional: the first string argument (after the user id in Python
                        // and the Heap server API, which are usually variables).
                        FIRST_STRING.captures(&args)
                    })
                    .map(|c| c[1].to_owned())
            })
            .flatten();
        let vendor = if receiver.to_ascii_lowercase().contains("heap") {
            Vendor::Heap
        } else {
            Vendor::Segment
        };
        let _ = lang;
        out.push(AppCall {
            vendor,
            method: method.clone(),
            event,
            email_trait: method == "identify" && EMAIL_KEY.is_match(&args),
            evidence: evidence(src, line_of(src, start)),
        });
    };
    for c in CALL.captures_iter(&code.text) {
        let (Some(all), Some(recv), Some(method)) = (c.get(0), c.get(1), c.get(2)) else {
            continue;
        };
        push(all.start(), all.end(), recv.as_str(), method.as_str());
    }
    for c in GO_TRACK.captures_iter(&code.text) {
        let (Some(all), Some(method)) = (c.get(0), c.get(1)) else {
            continue;
        };
        push(all.start(), all.end(), "analytics", method.as_str());
    }
    out.sort_by_key(|c| c.evidence.line);
    out
}

/// The argument text from `at` to the closing bracket (comments blanked, strings kept), at most
/// 1,000 bytes.
fn balanced(code: &str, _src: &str, at: usize) -> String {
    let rest = code.get(at..).unwrap_or_default();
    let mut depth = 0i32;
    for (i, c) in rest.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => return rest[..i].to_owned(),
            ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
        if i > 1000 {
            return rest[..i].to_owned();
        }
    }
    rest.to_owned()
}

fn line_of(src: &str, at: usize) -> u32 {
    src.as_bytes()
        .iter()
        .take(at)
        .filter(|b| **b == b'\n')
        .count() as u32
        + 1
}

fn evidence(src: &str, line: u32) -> Evidence {
    Evidence {
        source: String::new(),
        line: Some(line),
        snippet: src
            .lines()
            .nth(line as usize - 1)
            .unwrap_or_default()
            .trim()
            .chars()
            .take(160)
            .collect(),
        signature: "app-code".into(),
        tag: None,
        offset: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commented_out_init_is_not_an_install() {
        let src = "// Heap.shared.startRecording(\"111\")\n/* Heap.shared.startRecording(\"222\") */\nlet s = \"Heap.shared.startRecording(\\\"333\\\")\"\nHeap.shared.startRecording(\"444\")\n";
        let code = lex(src, "swift");
        let found = installs(src, &code);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].id.as_deref(), Some("444"));
        assert_eq!(found[0].evidence.line, Some(4));
    }

    #[test]
    fn python_comments_and_expressions() {
        let src = "import os\n# analytics.write_key = 'old'\nanalytics.write_key = os.environ[\"SEGMENT_WRITE_KEY\"]\n";
        let found = installs(src, &lex(src, "python"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].id, None);
        assert_eq!(
            found[0].id_from.as_deref(),
            Some("os.environ[\"SEGMENT_WRITE_KEY\"]")
        );
    }

    #[test]
    fn track_event_names() {
        let src = "analytics.track(user_id, 'Order Completed', {'revenue': 42})\nanalytics.track({ userId: id, event: 'Invoice Paid' })\n";
        let found = calls(src, &lex(src, "python"), "python");
        let events: Vec<_> = found.iter().filter_map(|c| c.event.as_deref()).collect();
        assert_eq!(events, ["Order Completed", "Invoice Paid"]);
    }

    /// `(vendor, id or id_from, line)` of the inits of a snippet.
    fn inits(src: &str, lang: &str) -> Vec<(Vendor, String, u32)> {
        installs(src, &lex(src, lang))
            .into_iter()
            .map(|i| {
                let id = i.id.or(i.id_from).or(i.placeholder).unwrap_or_default();
                (i.vendor, id, i.evidence.line.unwrap_or(0))
            })
            .collect()
    }

    #[test]
    fn inits_in_every_language() {
        use Vendor::{Heap, Segment};
        let cases: &[(&str, &str, (Vendor, &str))] = &[
            ("objective-c", "[Heap initialize:@\"1620493857\"];", (Heap, "1620493857")),
            ("objective-c", "SEGAnalyticsConfiguration *c = [SEGAnalyticsConfiguration configurationWithWriteKey:@\"KEY1\"];", (Segment, "KEY1")),
            ("swift", "let config = Configuration(writeKey: \"KEY2\")", (Segment, "KEY2")),
            ("java", "Heap.init(getApplicationContext(), \"604918273\");", (Heap, "604918273")),
            ("java", "Analytics analytics = new Analytics.Builder(context, \"KEY3\").build();", (Segment, "KEY3")),
            ("kotlin", "Heap.startRecording(this, BuildConfig.HEAP_APP_ID)", (Heap, "BuildConfig.HEAP_APP_ID")),
            ("dart", "await Heap().startRecording('2750194836');", (Heap, "2750194836")),
            ("javascript", "const heap = require('heap-api')('3180826004');", (Heap, "3180826004")),
            ("javascript", "const analytics = new Analytics('KEY4');", (Segment, "KEY4")),
            ("python", "client = HeapAPIClient(\"1535634150\")", (Heap, "1535634150")),
            ("ruby", "Analytics = Segment::Analytics.new(write_key: ENV['SEGMENT_WRITE_KEY'])", (Segment, "ENV['SEGMENT_WRITE_KEY']")),
            ("go", "client := analytics.New(\"KEY5\")", (Segment, "KEY5")),
            ("php", "Segment::init(\"KEY6\");", (Segment, "KEY6")),
            ("java", "Analytics analytics = Analytics.builder(\"KEY7\").build();", (Segment, "KEY7")),
            ("csharp", "Analytics.Initialize(\"KEY8\");", (Segment, "KEY8")),
            ("csharp", "Heap.StartRecording(\"2682025610\");", (Heap, "2682025610")),
            ("swift", "Heap.shared.startRecording(\"YOUR_APP_ID\")", (Heap, "YOUR_APP_ID")),
        ];
        for (lang, src, (vendor, id)) in cases {
            let found = inits(src, lang);
            assert_eq!(found, [(*vendor, (*id).to_owned(), 1)], "{lang}: {src}");
        }
    }

    #[test]
    fn comments_by_language() {
        // `#` is a comment in Python, Ruby and PHP; `//` and `/* */` elsewhere (and in PHP).
        for (lang, src) in [
            ("ruby", "# Segment::Analytics.new(write_key: 'old')\n=begin\n"),
            ("php", "// Segment::init(\"old\");\n# Segment::init(\"old\");\n/* Segment::init(\"old\"); */\n"),
            ("go", "// client := analytics.New(\"old\")\n"),
            ("kotlin", "/* Heap.startRecording(this, \"1\") */\n"),
            ("csharp", "// Analytics.Initialize(\"old\");\n"),
            ("dart", "// await Heap().startRecording('1');\n"),
        ] {
            assert_eq!(inits(src, lang), [], "{lang}");
        }
        // A call inside a string is not an install either.
        let src = "let doc = \"call Heap.shared.startRecording(\\\"1\\\") at launch\"\n";
        assert_eq!(inits(src, "swift"), []);
    }

    #[test]
    fn go_track_structs_and_identify_email() {
        let src = "client.Enqueue(analytics.Track{\n\tUserId: id,\n\tEvent:  \"Invoice Paid\",\n})\nclient.Enqueue(analytics.Identify{UserId: id, Traits: analytics.NewTraits().SetEmail(e)})\n";
        let found = calls(src, &lex(src, "go"), "go");
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].event.as_deref(), Some("Invoice Paid"));
        assert_eq!(found[1].method, "identify");
        let src = "analytics.identify(user.id, {\"email\": user.email})\n";
        assert!(calls(src, &lex(src, "python"), "python")[0].email_trait);
    }
}
