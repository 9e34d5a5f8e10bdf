//! `--render`: real headless Chromium (Debian's `chromium`, installed by `.ci/run`) against
//! loopback fixture sites, with Heap's, Segment's, GTM's and OneTrust's files served from the
//! stand-ins in `fixtures/render/standins/` through `--remap` (see fixtures/render/README.md).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{fixtures, heap_audit, page, scan_json, Server};
use serde_json::Value;

/// The remaps of fixtures/render/README.md, for `scenario`.
fn remaps(scenario: &str) -> Vec<String> {
    let root = fixtures().join("render");
    let standins = root.join("standins");
    let here = root.join(scenario);
    let s = |p: &str| standins.join(p).display().to_string();
    let h = |p: &str| here.join(p).display().to_string();
    let rules = [
        (
            r"https://cdn\.heapanalytics\.com/js/heap-[^/]*\.js".to_owned(),
            s("heap-classic.js"),
        ),
        (
            r"https://cdn\.us\.heap-api\.com/config/[^/]+/heap_config\.js".to_owned(),
            s("heap-v5.js"),
        ),
        (r"https://heapanalytics\.com/.*".to_owned(), s("beacon.gif")),
        (
            r"https://cdn\.segment\.com/analytics\.js/v1/[^/]+/analytics\.min\.js".to_owned(),
            s("analytics.js"),
        ),
        (
            r"https://cdn\.segment\.com/v1/projects/([^/]+)/settings".to_owned(),
            h("segment/$1.json"),
        ),
        (
            r"https://cdn\.segment\.com/next-integrations/actions/heap/.*".to_owned(),
            s("heap-web-actions.js"),
        ),
        (r"https://api\.segment\.io/.*".to_owned(), s("beacon.gif")),
        (
            r"https://www\.googletagmanager\.com/standin/gtm-runtime\.js".to_owned(),
            s("gtm-runtime.js"),
        ),
        (
            r"https://www\.googletagmanager\.com/gtm\.js\?id=([^&]+).*".to_owned(),
            h("gtm/$1.js"),
        ),
        (
            r"https://cdn\.cookielaw\.org/.*otSDKStub\.js".to_owned(),
            s("onetrust.js"),
        ),
    ];
    rules
        .into_iter()
        .flat_map(|(regex, path)| ["--remap".to_owned(), format!("{regex} {path}")])
        .collect()
}

/// Render `scenario`'s site (served on loopback) with `extra` flags: the JSON report.
fn render(scenario: &str, extra: &[&str]) -> (Value, Server) {
    let server = Server::root(fixtures().join("render").join(scenario).join("site"));
    let mut args = vec![
        server.url("/"),
        "--render".into(),
        "--render-block-third-party".into(),
    ];
    args.extend(remaps(scenario));
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let (_, report, stderr) = scan_json(&args);
    assert!(
        report["render"]["pages"].as_u64().unwrap_or(0) > 0,
        "nothing rendered: {stderr}\n{}",
        serde_json::to_string_pretty(&report["problems"]).unwrap()
    );
    (report, server)
}

fn loads(page: &Value) -> Vec<(String, String)> {
    page["runtime"]["heap_loads"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap_or("-").to_owned(),
                c["by"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// `(vendor, via, id, runtime status, reason)` of a page's installs.
fn seen(page: &Value) -> Vec<(String, String, String, String, String)> {
    let mut out: Vec<_> = page["installs"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|i| {
            let s = |v: &Value| v.as_str().unwrap_or("-").to_owned();
            (
                s(&i["vendor"]),
                s(&i["via"]),
                s(&i["id"]),
                s(&i["runtime"]["status"]),
                s(&i["runtime"]["reason"]),
            )
        })
        .collect();
    out.sort();
    out
}

fn finding<'a>(report: &'a Value, rule: &str) -> Option<&'a Value> {
    report["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["rule"] == rule))
}

#[test]
fn a_missing_browser_is_a_clear_error_naming_the_package() {
    let site = fixtures().join("sites").join("clean");
    let (_, report, _) = scan_json(&[
        site.display().to_string(),
        "--render".into(),
        "--chromium".into(),
        "/nonexistent/chromium".into(),
    ]);
    let problems = common::problems_of_kind(&report, "render");
    assert_eq!(problems.len(), 1, "{report:#}");
    assert!(problems[0]["message"]
        .as_str()
        .unwrap()
        .contains("/nonexistent/chromium"));
    // The static audit stands.
    assert!(!report["pages"].as_array().unwrap().is_empty());
    // With no browser on PATH, the message names Debian's package.
    let out = Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        .args(["scan", "--format", "json", "--render"])
        .arg(&site)
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let message = common::problems_of_kind(&report, "render")[0]["message"].to_string();
    assert!(message.contains("apt-get install chromium"), "{message}");
}

/// A site whose page waits forever on a script: the render is in progress as long as we like.
fn hanging_site() -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(20) {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let _ = reader.read_line(&mut line);
            let mut header = String::new();
            while reader.read_line(&mut header).unwrap_or(0) > 2 {
                header.clear();
            }
            if line.contains("/hang.js") {
                held.push(stream); // never answered
                continue;
            }
            let body = "<html><head><script src=\"/hang.js\"></script></head><body>x</body></html>";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, handle)
}

/// Processes whose command line contains `needle`.
fn processes_with(needle: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(needle) {
            out.push(pid);
        }
    }
    out
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn chromium_dies_when_heap_audit_gets(signal: &str) -> PathBuf {
    let (port, _server) = hanging_site();
    let report = std::env::temp_dir().join(format!(
        "heap-audit-render-{signal}-{}.json",
        std::process::id()
    ));
    let mut child = Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        // The static read gives up on /hang.js after --timeout; the browser waits on it.
        .args([
            "scan",
            "--render",
            "--timeout",
            "1",
            "--format",
            "json",
            "-o",
        ])
        .arg(&report)
        .arg(format!("http://127.0.0.1:{port}/"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let profile = format!("heap-audit-chromium-{}-", child.id());
    wait_for("chromium to start", || !processes_with(&profile).is_empty());
    // Give it the page: the tab is waiting on /hang.js.
    std::thread::sleep(Duration::from_millis(700));
    Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    let _ = child.wait();
    wait_for("chromium to die with heap-audit", || {
        processes_with(&profile).is_empty()
    });
    // A killed heap-audit leaves its browser profile behind.
    for entry in std::fs::read_dir(std::env::temp_dir())
        .into_iter()
        .flatten()
        .flatten()
    {
        if entry.file_name().to_string_lossy().starts_with(&profile) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    report
}

#[test]
fn chromium_dies_with_heap_audit_even_on_sigkill() {
    chromium_dies_when_heap_audit_gets("-KILL");
}

#[test]
fn sigterm_kills_chromium_and_still_writes_the_report() {
    let report = chromium_dies_when_heap_audit_gets("-TERM");
    let text = std::fs::read_to_string(&report).expect("the report is written on SIGTERM");
    let _ = std::fs::remove_file(&report);
    let report: Value = serde_json::from_str(&text).unwrap();
    let interrupted = common::problems_of_kind(&report, "interrupted");
    assert!(
        interrupted.iter().any(|p| p["phase"] == "render"),
        "{:#}",
        report["problems"]
    );
}

#[test]
fn native_and_segment_device_mode_is_a_double_load_confirmed_in_the_browser() {
    let (report, _server) = render("double-load", &[]);
    let home = page(&report, "/");
    let calls = loads(home);
    assert_eq!(calls.len(), 2, "{:#}", home["runtime"]);
    assert!(calls.iter().any(|(_, by)| by == "page"), "{calls:?}");
    assert!(calls.iter().any(|(_, by)| by == "segment"), "{calls:?}");
    for install in seen(home).iter().filter(|i| i.0 == "heap") {
        assert_eq!(install.3, "confirmed", "{install:?}");
    }
    let duplicate = finding(&report, "duplicate-heap-load").expect("a duplicate");
    assert_eq!(duplicate["severity"], "error");
    let message = duplicate["message"].as_str().unwrap();
    assert!(message.contains("confirmed in a browser"), "{message}");
    // Both call sites are evidence: the page's inline snippet and analytics.js.
    let sources: Vec<&str> = duplicate["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["signature"] == "runtime:heap.load")
        .filter_map(|e| e["source"].as_str())
        .collect();
    assert!(
        sources.iter().any(|s| s.contains("analytics")),
        "{sources:?}"
    );
    assert!(
        sources.iter().any(|s| s.starts_with("http://127.0.0.1")),
        "{sources:?}"
    );
    assert_eq!(report["render"]["failed"], 0, "{:#}", report["render"]);
    // The human report and SARIF say so too.
    let server = Server::root(fixtures().join("render/double-load/site"));
    let mut args: Vec<String> = vec!["scan".into(), server.url("/"), "--render".into()];
    args.extend(remaps("double-load"));
    args.extend([
        "--report".into(),
        format!("sarif={}", sarif_path().display()),
    ]);
    let (_, human, _) = heap_audit(&args);
    // Read as words: the report wraps its prose at 100 columns.
    let words = human.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("ran in the browser"), "{human}");
    assert!(words.contains("Rendered 1 page in Chrome"), "{human}");
    assert!(words.contains("confirmed in a browser"), "{human}");
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(sarif_path()).unwrap()).unwrap();
    let _ = std::fs::remove_file(sarif_path());
    let run = &sarif["runs"][0];
    assert_eq!(run["properties"]["render"]["pages"], 1);
    let results = run["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["message"]["text"]
        .as_str()
        .is_some_and(|t| t.contains("confirmed in a browser"))));
}

#[test]
fn a_render_leaves_nothing_in_the_temporary_folder() {
    // Chromium's singleton socket folder used to stay in /tmp after every run, one per browser.
    let tmp = std::env::temp_dir().join(format!("heap-audit-render-tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let server = Server::root(fixtures().join("render/double-load/site"));
    let mut args = vec![
        "scan".to_owned(),
        server.url("/"),
        "--render".into(),
        "--render-block-third-party".into(),
        "--format".into(),
        "json".into(),
    ];
    args.extend(remaps("double-load"));
    let out = Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        .args(&args)
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["render"]["pages"].as_u64().unwrap_or(0) > 0,
        "nothing rendered: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let left: Vec<String> = std::fs::read_dir(&tmp)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
}

fn sarif_path() -> PathBuf {
    std::env::temp_dir().join(format!("heap-audit-render-{}.sarif", std::process::id()))
}

#[test]
fn a_cloud_mode_destination_seen_in_the_browser_settles_an_unreadable_write_key() {
    let server = Server::root(fixtures().join("render/cloud-refutes/site"));
    // Without --render: the write key is assembled at run time, so the settings are unknown and
    // the duplicate check is incomplete.
    let mut args = vec![server.url("/")];
    args.extend(remaps("cloud-refutes"));
    let (_, before, _) = scan_json(&args);
    let unverified = finding(&before, "segment-settings-unverified").expect("unverified settings");
    assert!(!unverified["message"].as_str().unwrap().contains("settled"));
    drop(server);
    // With --render: analytics.js initialised, loaded no Heap (cloud mode): no double load, and
    // the finding says the browser settled it.
    let (report, _server) = render("cloud-refutes", &[]);
    let home = page(&report, "/");
    assert_eq!(loads(home), vec![("5081736294".into(), "page".into())]);
    assert_eq!(
        home["runtime"]["analytics"]["initialized"], true,
        "{:#}",
        home["runtime"]
    );
    assert!(
        finding(&report, "duplicate-heap-load").is_none(),
        "{:#}",
        report["findings"]
    );
    let settled = finding(&report, "segment-settings-unverified").expect("the finding says why");
    let message = settled["message"].as_str().unwrap();
    assert!(message.contains("a browser settled it"), "{message}");
    assert!(message.contains("did not load Heap"), "{message}");
    let segment = seen(home).into_iter().find(|i| i.0 == "segment").unwrap();
    assert_eq!(segment.3, "confirmed");
}

#[test]
fn a_consent_gated_gtm_tag_runs_only_after_consent() {
    let (report, _server) = render("consent-gtm", &[]);
    let home = page(&report, "/");
    assert!(loads(home).is_empty(), "{:#}", home["runtime"]);
    assert_eq!(home["runtime"]["consent"], "none");
    assert!(home["runtime"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "GTM-K7QX2MF"));
    let tag = seen(home)
        .into_iter()
        .find(|i| i.0 == "heap")
        .expect("the Heap tag of the container, found statically");
    assert_eq!(
        (tag.3.as_str(), tag.4.as_str()),
        ("not-seen", "consent-gated"),
        "{tag:?}"
    );

    let (report, _server) = render("consent-gtm", &["--render-consent", "accept"]);
    let home = page(&report, "/");
    assert_eq!(
        home["runtime"]["consent"], "accepted",
        "{:#}",
        home["runtime"]
    );
    assert_eq!(home["runtime"]["consent_managers"][0], "onetrust");
    let calls = loads(home);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].1, "tag-manager", "{calls:?}");
    let tag = seen(home).into_iter().find(|i| i.0 == "heap").unwrap();
    assert_eq!(tag.3, "confirmed", "{tag:?}");
}

#[test]
fn a_gtm_trigger_on_one_path_fires_there_only() {
    let (report, server) = render("gtm-path", &[]);
    let checkout = page(&report, "/checkout/");
    assert_eq!(
        loads(checkout),
        vec![("8350472916".into(), "tag-manager".into())],
        "{:#}",
        checkout["runtime"]
    );
    let tag = seen(checkout).into_iter().find(|i| i.0 == "heap").unwrap();
    assert_eq!(tag.3, "confirmed", "{tag:?}");
    let home = report["pages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["url"] == server.url("/"))
        .expect("the home page");
    assert!(loads(home).is_empty(), "{:#}", home["runtime"]);
    let tag = seen(home).into_iter().find(|i| i.0 == "heap").unwrap();
    assert_eq!(
        (tag.3.as_str(), tag.4.as_str()),
        ("not-seen", "trigger-gated")
    );
}

#[test]
fn a_loader_assembled_at_run_time_is_seen_only_in_the_browser() {
    let server = Server::root(fixtures().join("render/runtime-loader/site"));
    let mut args = vec![server.url("/")];
    args.extend(remaps("runtime-loader"));
    let (_, before, _) = scan_json(&args);
    assert_eq!(
        before["summary"]["pages_with_heap"], 0,
        "static reading cannot see it"
    );
    drop(server);
    let (report, _server) = render("runtime-loader", &[]);
    let home = page(&report, "/");
    let heap: Vec<_> = home["installs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["vendor"] == "heap")
        .collect();
    assert_eq!(heap.len(), 1, "{:#}", home["installs"]);
    assert_eq!(heap[0]["id"], "748215930");
    assert_eq!(heap[0]["runtime"]["status"], "runtime-only");
    assert_eq!(heap[0]["sdk"], "v5");
    assert_eq!(heap[0]["options"]["disableTextCapture"], true);
    assert!(heap[0]["evidence"]["source"]
        .as_str()
        .unwrap()
        .ends_with("/assets/app.8c41d7e2.js"));
    assert_eq!(report["summary"]["pages_with_heap"], 1);
    assert_eq!(home["runtime"]["heap"]["envId"], "748215930");
}

#[test]
fn heap_web_actions_skipping_is_named_with_the_ignored_app_id() {
    let (report, _server) = render("actions-skip", &[]);
    let home = page(&report, "/");
    assert_eq!(loads(home), vec![("1947385062".into(), "page".into())]);
    let actions = home["installs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["vendor"] == "heap" && i["via"] == "segment")
        .expect("the Actions destination, from the settings");
    assert_eq!(actions["runtime"]["reason"], "skipped", "{actions:#}");
    let detail = actions["runtime"]["detail"].as_str().unwrap();
    assert!(
        detail.contains("3602819475") && detail.contains("1947385062"),
        "{detail}"
    );
    let duplicate = finding(&report, "duplicate-heap-load").expect("configured twice");
    let message = duplicate["message"].as_str().unwrap();
    assert!(message.contains("silently ignored"), "{message}");
    assert!(
        message.contains("Heap Web (Actions) loaded and skipped"),
        "{message}"
    );
    assert!(home["runtime"]["analytics"]["integrations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i == "Heap Web (Actions)"));
}

/// A build folder written by the test: `(name, html)` pages.
fn folder(name: &str, pages: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("heap-audit-render-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, html) in pages {
        std::fs::write(dir.join(file), html).unwrap();
    }
    dir
}

/// A consent manager's API or button that, once used, runs a Heap loader (what a consent-gated
/// tag does), as Cookiebot's and Usercentrics' are used by --render-consent accept.
const COOKIEBOT: &str = r#"<!doctype html><html><head><title>Cookiebot</title>
<script>window.Cookiebot = { consent: { statistics: false }, submitCustomConsent: function (p, s, m) {
  this.consent.statistics = s;
  var code = document.createElement('script');
  code.text = 'window.heap=window.heap||[];heap.load=function(e){window.heap.appid=e};heap.load("4100000001")';
  document.head.appendChild(code);
} };</script>
<script src="https://widgets.third-party.example/chat.js"></script>
<script>console.error("Segment snippet included twice."); console.error("unrelated: image failed");</script>
</head><body><a href="uc.html">next</a></body></html>"#;

const USERCENTRICS: &str = r#"<!doctype html><html><head><title>Usercentrics</title></head><body>
<div id="usercentrics-root"></div>
<script>
var root = document.getElementById('usercentrics-root').attachShadow({ mode: 'open' });
root.innerHTML = '<button data-testid="uc-accept-all-button">Accept all</button>';
root.querySelector('button').addEventListener('click', function () {
  window.heap = window.heap || []; heap.load = function (e) { window.heap.appid = e; };
  heap.load('4100000002');
});
</script></body></html>"#;

#[test]
fn a_build_folder_is_served_for_the_browser_and_consent_reaches_cookiebot_and_usercentrics() {
    let dir = folder(
        "consent",
        &[("index.html", COOKIEBOT), ("uc.html", USERCENTRICS)],
    );
    let (_, report, stderr) = scan_json(&[
        dir.display().to_string(),
        "--render".into(),
        "--render-consent".into(),
        "accept".into(),
        "--render-block-third-party".into(),
    ]);
    assert_eq!(
        report["render"]["pages"], 2,
        "{stderr}\n{:#}",
        report["problems"]
    );
    let cookiebot = page(&report, "index.html");
    assert_eq!(cookiebot["runtime"]["consent_managers"][0], "cookiebot");
    assert_eq!(loads(cookiebot), vec![("4100000001".into(), "page".into())]);
    // The runtime names the folder's files, not the loopback server's URLs.
    assert!(cookiebot["runtime"]["url"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    // Console errors about the vendors are kept; others are not.
    assert_eq!(
        cookiebot["runtime"]["console_errors"],
        serde_json::json!(["Segment snippet included twice."])
    );
    let blocked = cookiebot["runtime"]["blocked"].as_array().unwrap();
    assert_eq!(blocked[0], "https://widgets.third-party.example/chat.js");
    let uc = page(&report, "uc.html");
    assert_eq!(uc["runtime"]["consent_managers"][0], "usercentrics");
    assert_eq!(loads(uc).len(), 1, "{:#}", uc["runtime"]);
    let call = &uc["runtime"]["heap_loads"][0];
    assert_eq!(call["script"], dir.join("uc.html").display().to_string());
    // Without consent, nothing runs.
    let (_, report, _) = scan_json(&[
        dir.display().to_string(),
        "--render".into(),
        "--render-pages".into(),
        "1".into(),
        "--render-block-third-party".into(),
    ]);
    assert_eq!(report["render"]["pages"], 1);
    assert_eq!(report["render"]["not_rendered"], 1);
    assert!(report["pages"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["runtime"]["heap_loads"]
            .as_array()
            .is_none_or(Vec::is_empty)));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn render_is_a_config_key_and_source_files_are_not_rendered() {
    let dir = folder("config", &[("index.html", COOKIEBOT)]);
    let config = dir.join("heap-audit.toml");
    std::fs::write(
        &config,
        "render = true\nchromium = \"/nonexistent/chrome\"\n",
    )
    .unwrap();
    let (_, report, _) = scan_json(&[
        dir.join("index.html").display().to_string(),
        "--config".into(),
        config.display().to_string(),
    ]);
    let problems = common::problems_of_kind(&report, "render");
    assert!(
        problems[0]["message"]
            .as_str()
            .unwrap()
            .contains("/nonexistent/chrome"),
        "{problems:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    // A source repository: its templates are not pages yet.
    let repo = fixtures().join("repos").join("jekyll-fail");
    let (_, report, _) = scan_json(&[repo.display().to_string(), "--render".into()]);
    assert_eq!(report["render"]["pages"], 0, "{:#}", report["render"]);
    assert!(report["render"]["not_rendered"].as_u64().unwrap() > 0);
}

#[test]
fn max_time_covers_rendering() {
    let (port, _server) = hanging_site();
    let start = Instant::now();
    let (_, report, _) = scan_json(&[
        format!("http://127.0.0.1:{port}/"),
        "--render".into(),
        "--timeout".into(),
        "1".into(),
        "--max-time".into(),
        "4".into(),
    ]);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    let interrupted = common::problems_of_kind(&report, "interrupted");
    assert!(
        interrupted.iter().any(|p| p["phase"] == "render"),
        "{:#}",
        report["problems"]
    );
}

#[test]
fn a_page_calling_heap_load_in_a_loop_is_listed_up_to_the_cap_and_counted_beyond() {
    let page_html = r#"<!doctype html><html><head><script>
window.heap = window.heap || []; heap.load = function (e) { window.heap.appid = e; };
for (var i = 0; i < 250; i++) heap.load("4200000000");
</script></head><body></body></html>"#;
    let dir = folder("loop", &[("index.html", page_html)]);
    let (_, report, _) = scan_json(&[dir.display().to_string(), "--render".into()]);
    let runtime = &page(&report, "index.html")["runtime"];
    assert_eq!(runtime["heap_loads"].as_array().unwrap().len(), 200);
    assert_eq!(runtime["not_listed"], 50);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn headers_given_with_h_reach_the_site_in_the_browser_too() {
    let server = Server::root(fixtures().join("render/double-load/site"));
    let mut args = vec![
        server.url("/"),
        "--render".into(),
        "-H".into(),
        "X-Test-Auth: yes".into(),
    ];
    args.extend(remaps("double-load"));
    let (_, report, _) = scan_json(&args);
    assert_eq!(report["render"]["pages"], 1, "{:#}", report["problems"]);
    // The stylesheet is fetched by the browser only: it carried the header.
    let log = server.log.lock().unwrap().clone();
    assert!(
        log.iter()
            .any(|l| l.starts_with("/assets/site.css") && l.ends_with("[auth]")),
        "{log:?}"
    );
}
