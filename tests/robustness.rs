//! No panic on any input: every fixture, cut at many points and with bytes flipped, goes through
//! every pure parser (HTML scanner, detector, GTM container, Segment settings, robots.txt, decoder).
//! Property tests (proptest) add arbitrary bytes, a soup of the tokens the parsers care about, and
//! random edits of real fixtures, signature files and config files. The case count is bounded
//! (`PROPTEST_CASES` overrides it) so the suite stays quick in CI.

use std::path::{Path, PathBuf};

use heap_audit::config;
use heap_audit::extract::{
    decode, detect, gtm, html, jsobj, segment_settings, signatures::Signatures,
};
use heap_audit::source::robots::Robots;
use proptest::prelude::*;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn all_parsers(text: &str) {
    let sigs = Signatures::builtin().unwrap();
    let doc = html::parse(text);
    let lines = html::Lines::new(text);
    let origin = detect::Origin {
        source: "x",
        lines: Some(&lines),
        offset: 0,
        tag: None,
    };
    for script in &doc.scripts {
        let origin = detect::Origin {
            offset: script.offset,
            ..origin
        };
        let _ = detect::scan_code(sigs, &script.code, &origin);
        if let Some(src) = &script.src {
            let _ = detect::scan_src(sigs, src, &origin);
        }
    }
    let _ = detect::scan_code(sigs, text, &origin);
    let _ = gtm::parse_container(text);
    if let Ok(settings) = segment_settings::parse_settings(text) {
        // Load options are page input too: feed the text's own call arguments back in.
        for (open, _) in text.match_indices('(').take(8) {
            for arg in jsobj::call_args(text, open).values {
                if let Some(options) = arg.as_object() {
                    let _ = segment_settings::apply_load_options(&settings, options);
                }
            }
        }
    }
    for (open, _) in text.match_indices('(').take(64) {
        let _ = jsobj::call_args(text, open);
    }
    let robots = Robots::parse(text, "heap-audit/0.1");
    let _ = robots.allows("/a");
    let _ = robots.allows("/%E2%82%AC/*?q=$");
}

/// A small deterministic generator, so failures reproduce.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn truncated_and_mutated_fixtures_never_panic() {
    let mut paths = Vec::new();
    files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        &mut paths,
    );
    assert!(paths.len() > 50, "fixtures went missing");
    let mut rng = Lcg(0x5eed);
    for path in paths {
        let bytes = std::fs::read(&path).unwrap();
        let decode::Body::Text { text, .. } = decode::decode(&bytes, None) else {
            continue;
        };
        all_parsers(&text);
        // Cut at 24 points spread over the file (on char boundaries).
        for k in 1..24 {
            let mut cut = text.len() * k / 24;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            all_parsers(&text[..cut]);
        }
        // Flip 8 random bytes to punctuation that matters to the parsers, 6 times.
        for _ in 0..6 {
            let mut mutated = bytes.clone();
            for _ in 0..8 {
                let i = (rng.next() as usize) % mutated.len().max(1);
                if let Some(b) = mutated.get_mut(i) {
                    *b = b"<>\"'{}[]()\\/=,:!;\0"[(rng.next() % 18) as usize];
                }
            }
            let _ = decode::decode(&mutated, Some("text/html"));
            all_parsers(&String::from_utf8_lossy(&mutated));
        }
    }
}

/// What the parsers look for, so random input reaches deep paths instead of bouncing off the
/// first check: tags, snippet anchors, GTM container structure, settings keys, robots lines.
const TOKENS: &[&str] = &[
    "<script>", "</script>", "<script type=\"text/plain\">", "<script nomodule>",
    "<script src=\"https://cdn.segment.com/analytics.js/v1/q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH/analytics.min.js\">",
    "<script src=\"https://cdn.heapanalytics.com/js/heap-1535634150.js\">",
    "<script src=\"https://www.googletagmanager.com/gtm.js?id=GTM-ABC123\">",
    "<!--", "-->", "<template>", "</template>", "<noscript>", "</noscript>", "<textarea>", "<pre>",
    "<iframe src=\"https://www.googletagmanager.com/ns.html?id=GTM-ABC123\">", "<![CDATA[", "]]>",
    "<meta charset=\"windows-1252\">", "<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'self'\">",
    "<a href=\"/x?a=1#f\">", "<a href='", "<base href=\"/b/\">", "&amp;", "&#x3c;", "&lt;",
    "window.heap=window.heap||[],heap.load=function(e,t){", "heap.load(\"", "heap.load('",
    "heap.appid=", "heap.config=", "disableTextCapture:!0", "disableTargetText:true",
    "https://cdn.us.heap-api.com/config/", "/heap_config.js", "window.heapReadyCb=window.heapReadyCb||[]",
    "!function(){var analytics=window.analytics=window.analytics||[];", "analytics.load=function(key,e){",
    "analytics._writeKey=\"", "analytics.SNIPPET_VERSION=\"4.15.3\";", "analytics.load(\"", "analytics.page()",
    "analytics.identify(\"u1\",{email:", "AnalyticsBrowser.load({writeKey:", "integrations:{Heap:false}",
    "{", "}", "(", ")", "[", "]", "\"", "'", "`", "${", "\\", "\\\"", "/*", "*/", "//", "\n", ",", ":", ";",
    "=", "!0", "if(", "else", "switch(", "case ", "?", "||", "&&",
    "{\"resource\":{\"version\":\"7\",\"macros\":[", "\"tags\":[", "{\"function\":\"__html\",\"vtp_html\":\"",
    "\\u003cscript\\u003e", "\\x3c", "[\"escape\",", "[\"macro\",1]", "[\"template\",", "\"vtp_\":",
    "{\"integrations\":{\"Heap\":{\"appId\":\"", "\"remotePlugins\":[", "\"Segment.io\":{\"apiKey\":\"k\"}",
    "{\"name\":\"Heap Web (Actions)\",\"creationName\":\"Heap Web (Actions)\",\"settings\":{\"appId\":\"1\"}}",
    "\"unbundledIntegrations\":[\"Heap\"]", "null", "true", "false", "1535634150", "0", "-1e999",
    "User-agent: *\n", "User-agent: heap-audit\n", "Disallow: /", "Allow: /a", "Crawl-delay: 5\n", "*", "$",
    "\u{feff}", "\u{0}", "é", "\u{10ffff}",
];

/// A piece of input: a meaningful token, or any character at all.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(TOKENS).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
        1 => "[a-zA-Z0-9 ._-]{1,12}",
    ]
}

/// An edit of a real file: where (as a fraction of its length) and what.
#[derive(Debug, Clone)]
enum Edit {
    Delete(f64, usize),
    Insert(f64, String),
    Duplicate(f64, usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        (0.0..1.0f64, 1usize..200).prop_map(|(at, n)| Edit::Delete(at, n)),
        (0.0..1.0f64, piece()).prop_map(|(at, s)| Edit::Insert(at, s)),
        (0.0..1.0f64, 1usize..400).prop_map(|(at, n)| Edit::Duplicate(at, n)),
    ];
    prop::collection::vec(edit, 1..12)
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut s = text.to_owned();
    for edit in edits {
        match edit {
            Edit::Delete(at, n) => {
                let a = floor_boundary(&s, (s.len() as f64 * at) as usize);
                let b = floor_boundary(&s, a + n);
                s.replace_range(a..b, "");
            }
            Edit::Insert(at, piece) => {
                let a = floor_boundary(&s, (s.len() as f64 * at) as usize);
                s.insert_str(a, piece);
            }
            Edit::Duplicate(at, n) => {
                let a = floor_boundary(&s, (s.len() as f64 * at) as usize);
                let b = floor_boundary(&s, a + n);
                let span = s[a..b].to_owned();
                s.insert_str(b, &span);
            }
        }
    }
    s
}

/// Every text fixture (pages, containers, settings, sites), read once.
fn fixture_texts() -> &'static [String] {
    static TEXTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    TEXTS.get_or_init(|| {
        let mut paths = Vec::new();
        files(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
            &mut paths,
        );
        paths.sort();
        paths
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .filter_map(|b| String::from_utf8(b).ok())
            .collect()
    })
}

fn builtin_signature_files() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// A config file using every kind of value the parser reads.
const CONFIG: &str = r#"
expect_app_id = "1535634150"
not_committed_to_segment = true
fail_on = "warning"
select = ["duplicate-heap-load", "HA002"]
ignore = ["heap-missing-on-some-pages"]
max_pages = 50
header = ["Authorization: Bearer ${HOME}"]
remap = ["https://cdn\\.segment\\.com/(.*) http://127.0.0.1:9/$1"]

[rules]
heap-via-tag-manager = "off"
HA008 = "error"

[[environments]]
name = "production"
hosts = ["www.example.com"]
heap_app_id = "1535634150"
segment_write_key = "q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH"

[[environments]]
name = "staging"
hosts = ["staging.example.com"]
heap_app_id = "2266164911"
"#;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096),
                                   declared in prop::sample::select(&[
                                       "", "text/html", "text/html; charset=shift_jis",
                                       "text/html; charset=utf-16", "application/json", "text/html; charset=bogus",
                                   ][..])) {
        let declared = (!declared.is_empty()).then_some(declared);
        let _ = decode::is_html(declared, &bytes);
        if let decode::Body::Text { text, .. } = decode::decode(&bytes, declared) {
            all_parsers(&text);
        }
        all_parsers(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn token_soup_never_panics(pieces in prop::collection::vec(piece(), 0..160)) {
        all_parsers(&pieces.concat());
    }

    #[test]
    fn edited_fixtures_never_panic(index in any::<prop::sample::Index>(), edits in edits()) {
        let texts = fixture_texts();
        prop_assume!(!texts.is_empty());
        all_parsers(&apply(index.get::<String>(texts), &edits));
    }

    #[test]
    fn edited_config_files_are_an_error_or_a_config(edits in edits()) {
        let _ = config::parse(&apply(CONFIG, &edits));
    }
}

proptest! {
    // Compiling the signatures' regexes is the slow part: fewer cases.
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn edited_signature_files_are_an_error_or_a_valid_set(which in any::<prop::sample::Index>(),
                                                          edits in edits()) {
        let mut files = builtin_signature_files();
        let i = which.index(files.len());
        files[i].1 = apply(&files[i].1, &edits);
        let borrowed: Vec<(&str, &str)> =
            files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
        if let Err(e) = Signatures::from_files(&borrowed) {
            // The error says which file is wrong.
            prop_assert!(e.to_string().contains(files[i].0.as_str()), "{e}");
        }
    }
}

#[test]
fn the_property_inputs_are_real() {
    // Guards against the properties silently running on nothing.
    assert!(fixture_texts().len() > 50, "fixtures went missing");
    assert_eq!(builtin_signature_files().len(), 5);
    let borrowed: Vec<(String, String)> = builtin_signature_files();
    let borrowed: Vec<(&str, &str)> = borrowed
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    assert!(Signatures::from_files(&borrowed).is_ok());
    // (`${HOME}` is set wherever tests run.)
    let settings = config::parse(CONFIG).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings.environments.len(), 2);
    assert_eq!(settings.rules.len(), 2);
}

/// Real snippets, each a whole script (statements a property test may put things around).
const SNIPPETS: &[&str] = &[
    // Heap classic, variant C.
    r#"window.heap=window.heap||[],heap.load=function(e,t){window.heap.appid=e,window.heap.config=t=t||{};var r=document.createElement("script");r.type="text/javascript",r.async=!0,r.src="https://cdn.heapanalytics.com/js/heap-"+e+".js";var a=document.getElementsByTagName("script")[0];a.parentNode.insertBefore(r,a);for(var n=function(e){return function(){heap.push([e].concat(Array.prototype.slice.call(arguments,0)))}},p=["addEventProperties","addUserProperties","clearEventProperties","identify","resetIdentity","removeEventProperty","setEventProperties","track","unsetEventProperty"],o=0;o<p.length;o++)heap[p[o]]=n(p[o])};"#,
    r#"heap.load("3180826004", {secureCookie: true, disableTextCapture: !0});"#,
    // Heap v5.
    r#"window.heapReadyCb=window.heapReadyCb||[],window.heap=window.heap||[],heap.load=function(e,t){window.heap.envId=e,window.heap.clientConfig=t=t||{},window.heap.clientConfig.shouldFetchServerConfig=!1;var a=document.createElement("script");a.type="text/javascript",a.async=!0,a.src="https://cdn.us.heap-api.com/config/"+e+"/heap_config.js";var r=document.getElementsByTagName("script")[0];r.parentNode.insertBefore(a,r)};"#,
    r#"heap.load("262759952");"#,
    // Segment 4.1.0.
    r#"!function(){var analytics=window.analytics=window.analytics||[];if(!analytics.initialize)if(analytics.invoked)window.console&&console.error&&console.error("Segment snippet included twice.");else{analytics.invoked=!0;analytics.methods=["trackSubmit","trackClick","trackLink","trackForm","pageview","identify","reset","group","track","ready","alias","debug","page","once","off","on"];analytics.factory=function(t){return function(){var e=Array.prototype.slice.call(arguments);e.unshift(t);analytics.push(e);return analytics}};for(var t=0;t<analytics.methods.length;t++){var e=analytics.methods[t];analytics[e]=analytics.factory(e)}analytics.load=function(t,e){var n=document.createElement("script");n.type="text/javascript";n.async=!0;n.src="https://cdn.segment.com/analytics.js/v1/"+t+"/analytics.min.js";var a=document.getElementsByTagName("script")[0];a.parentNode.insertBefore(n,a);analytics._loadOptions=e};analytics.SNIPPET_VERSION="4.1.0";
analytics.load("q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH", {integrations: {Heap: false}});
analytics.page();
}}();"#,
];

/// What may stand next to a snippet without changing what it is: comments (holding loaders too),
/// white space, and unrelated statements and branches.
fn beside() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\n".to_owned()),
        Just("   \t".to_owned()),
        Just("// heap.load(\"1111111111\");\n".to_owned()),
        Just("/* analytics.load(\"Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp\"); heap.load('2222222222') */".to_owned()),
        Just("/*\n * Old Heap project:\n * heap.load(\"3333333333\");\n */\n".to_owned()),
        Just("var ga_id = 'G-ABC123'; window.dataLayer = window.dataLayer || [];\n".to_owned()),
        Just("if (document.cookie.indexOf('seen=') < 0) { document.cookie = 'seen=1'; }\n".to_owned()),
        Just("function track(x) { return x && x.load ? x.load('4444444444') : null; }\n".to_owned()),
        Just("var s = \"heap.load('5555555555')\"; console.log(s);\n".to_owned()),
        Just("window.addEventListener('scroll', function () { document.body.classList.add('s'); });\n".to_owned()),
        Just("switch (lang) { case 'fr': t = 'Bonjour'; break; default: t = 'Hello'; }\n".to_owned()),
        "[a-z]{1,8}".prop_map(|w| format!("var {w}_x = {};\n", w.len())),
    ]
}

/// The inventory of one inline script, without where things were found.
fn inventory(code: &str) -> Vec<String> {
    let sigs = Signatures::builtin().unwrap();
    let origin = detect::Origin {
        source: "p.html",
        lines: None,
        offset: 0,
        tag: None,
    };
    let scan = detect::scan_code(sigs, code, &origin);
    let mut out: Vec<String> = scan
        .installs
        .iter()
        .chain(&scan.segment_candidates)
        .map(|i| {
            let mut i = i.clone();
            i.evidence = Default::default();
            serde_json::to_string(&i).unwrap()
        })
        .collect();
    out.extend(
        scan.calls
            .iter()
            .map(|c| format!("{} {}", c.method, c.email_trait)),
    );
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// Comments, white space and unrelated statements put next to a snippet (before, between or
    /// after its statements, never inside one) never change the inventory.
    #[test]
    fn what_stands_beside_a_snippet_never_changes_the_inventory(
        which in 0usize..3,
        around in prop::collection::vec(beside(), 4),
    ) {
        let parts: &[&str] = match which {
            0 => &SNIPPETS[0..2],
            1 => &SNIPPETS[2..4],
            _ => &SNIPPETS[4..5],
        };
        let plain = parts.join("\n");
        let mut edited = around[0].clone();
        for (n, part) in parts.iter().enumerate() {
            edited.push_str(part);
            edited.push('\n');
            edited.push_str(&around[(n + 1) % around.len()]);
        }
        edited.push_str(&around[3]);
        let want = inventory(&plain);
        prop_assert!(!want.is_empty());
        prop_assert_eq!(inventory(&edited), want, "{}", edited);
    }
}
