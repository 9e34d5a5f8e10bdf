//! Test helpers: a real HTTP server on 127.0.0.1 serving a fixture site plus the GTM and Segment
//! routes, and a runner for the real `heap-audit` binary.
//!
//! Routes, besides the site's own files (a folder serves its `index.html`):
//! - `/gtm.js?id=GTM-X`               → `fixtures/gtm/GTM-X.js`
//! - `/v1/projects/KEY/settings`      → `fixtures/segment/KEY.json`
//! - `/_redirects` in the site folder → Netlify-style `FROM TO [STATUS]` lines
//! - `/_headers` in the site folder   → `PATH Header-Name: value` lines
//! - `/__status/NNN`                  → that status, with a small HTML body
//! - `/__redirect-loop/a` ↔ `/__redirect-loop/b`
//! - `/__redirect-to/<percent-encoded URL>` → 302 there
//! - `/__binary`                      → NUL-laden bytes labelled text/html
//! - `/__huge`                        → 3 MB of HTML with a Heap snippet at the very end
//! - `/__slow`                        → answers after 4 s
#![allow(dead_code)]

pub mod faults;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub struct Server {
    pub port: u16,
    /// Requests served, by path and query.
    pub log: Arc<std::sync::Mutex<Vec<String>>>,
    pub hits: Arc<AtomicUsize>,
    server: Arc<tiny_http::Server>,
}

impl Server {
    /// Serve `fixtures/sites/<site>` on a free loopback port.
    pub fn site(site: &str) -> Server {
        Server::root(fixtures().join("sites").join(site))
    }

    pub fn root(root: PathBuf) -> Server {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1"));
        let port = server.server_addr().to_ip().expect("ip address").port();
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let hits = Arc::new(AtomicUsize::new(0));
        let (s, l, h) = (Arc::clone(&server), Arc::clone(&log), Arc::clone(&hits));
        std::thread::spawn(move || {
            for request in s.incoming_requests() {
                let root = root.clone();
                let auth = request
                    .headers()
                    .iter()
                    .any(|h| h.field.equiv("X-Test-Auth"));
                let entry = if auth {
                    format!("{} [auth]", request.url())
                } else {
                    request.url().to_owned()
                };
                l.lock().unwrap().push(entry);
                h.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || respond(&root, request));
            }
        });
        Server {
            port,
            log,
            hits,
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// `--remap` arguments pointing GTM's and Segment's CDN at this server.
    pub fn remaps(&self) -> Vec<String> {
        vec![
            "--remap".into(),
            format!(
                "https://www\\.googletagmanager\\.com/(.*) http://127.0.0.1:{}/$1",
                self.port
            ),
            "--remap".into(),
            format!(
                "https://cdn\\.segment\\.com/(.*) http://127.0.0.1:{}/$1",
                self.port
            ),
        ]
    }

    pub fn requests_for(&self, needle: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|u| u.contains(needle))
            .count()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
}

fn respond(root: &Path, request: tiny_http::Request) {
    let url = request.url().to_owned();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let fixtures = fixtures();
    let response = |status: u16, ty: &str, body: Vec<u8>| {
        tiny_http::Response::from_data(body)
            .with_status_code(status)
            .with_header(header("Content-Type", ty))
    };
    let reply = if path == "/gtm.js" {
        let id = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("id="))
            .unwrap_or("");
        file_or_404(
            &fixtures.join("gtm").join(format!("{id}.js")),
            "application/javascript",
        )
    } else if let Some(key) = path
        .strip_prefix("/v1/projects/")
        .and_then(|r| r.strip_suffix("/settings"))
    {
        file_or_404(
            &fixtures.join("segment").join(format!("{key}.json")),
            "application/json",
        )
    } else if let Some(code) = path.strip_prefix("/__status/") {
        let code: u16 = code.parse().unwrap_or(500);
        response(
            code,
            "text/html",
            format!("<!doctype html><title>{code}</title><h1>Error {code}</h1>").into_bytes(),
        )
    } else if path == "/__redirect-loop/a" || path == "/__redirect-loop/b" {
        let to = if path.ends_with('a') {
            "/__redirect-loop/b"
        } else {
            "/__redirect-loop/a"
        };
        response(302, "text/html", Vec::new()).with_header(header("Location", to))
    } else if let Some(to) = path.strip_prefix("/__redirect-to/") {
        // `/__redirect-to/http%3A%2F%2F127.0.0.1%3A1234%2F` → 302 to that URL.
        let to = to.replace("%3A", ":").replace("%2F", "/");
        response(302, "text/html", Vec::new()).with_header(header("Location", &to))
    } else if path == "/__binary" {
        response(200, "text/html", (0u8..=255).cycle().take(4096).collect())
    } else if path == "/__huge" {
        let mut body = b"<!doctype html><html><head><title>Catalogue</title></head><body>".to_vec();
        while body.len() < 3_000_000 {
            body.extend_from_slice(
                b"<div class=\"product\"><h2>Item</h2><p>A fine item for a fine price.</p></div>\n",
            );
        }
        body.extend_from_slice(b"<script>window.heap=window.heap||[],heap.load=function(e,t){window.heap.appid=e;var r=document.createElement(\"script\");r.src=\"https://cdn.heapanalytics.com/js/heap-\"+e+\".js\"};heap.load(\"999999999\");</script></body></html>");
        response(200, "text/html; charset=utf-8", body)
    } else if path == "/__slow" {
        std::thread::sleep(Duration::from_secs(4));
        response(
            200,
            "text/html",
            b"<!doctype html><title>slow</title>".to_vec(),
        )
    } else if let Some((to, status)) = redirect_for(root, path) {
        response(status, "text/html", Vec::new()).with_header(header("Location", &to))
    } else {
        let mut file = root.join(path.trim_start_matches('/'));
        if file.is_dir() {
            file = file.join("index.html");
        }
        let mut reply = file_or_404(&file, content_type(&file));
        for (name, value) in headers_for(root, path) {
            reply = reply.with_header(header(&name, &value));
        }
        reply
    };
    let _ = request.respond(reply);
}

fn file_or_404(path: &Path, ty: &str) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(body) => tiny_http::Response::from_data(body).with_header(header("Content-Type", ty)),
        Err(_) => {
            tiny_http::Response::from_data(b"<!doctype html><title>Not found</title>".to_vec())
                .with_status_code(404)
                .with_header(header("Content-Type", "text/html"))
        }
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        // No charset parameter: pages declare their own with <meta charset>.
        Some("html") => "text/html",
        Some("js") => "application/javascript",
        Some("json") => "application/json",
        Some("txt") => "text/plain",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}

fn redirect_for(root: &Path, path: &str) -> Option<(String, u16)> {
    let text = std::fs::read_to_string(root.join("_redirects")).ok()?;
    text.lines().find_map(|line| {
        let mut parts = line.split_whitespace();
        let (from, to) = (parts.next()?, parts.next()?);
        let status = parts.next().and_then(|s| s.parse().ok()).unwrap_or(301);
        (from == path).then(|| (to.to_owned(), status))
    })
}

fn headers_for(root: &Path, path: &str) -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string(root.join("_headers")) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| {
            let (p, rest) = line.split_once(' ')?;
            let (name, value) = rest.split_once(':')?;
            (p == path).then(|| (name.trim().to_owned(), value.trim().to_owned()))
        })
        .collect()
}

/// Run the real binary; returns (exit code, stdout, stderr).
pub fn heap_audit<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run heap-audit");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Run `heap-audit scan --format json ARGS` and parse the report.
pub fn scan_json<S: AsRef<str>>(args: &[S]) -> (i32, Value, String) {
    let mut all: Vec<String> = vec!["scan".into(), "--format".into(), "json".into()];
    all.extend(args.iter().map(|a| a.as_ref().to_owned()));
    let (code, stdout, stderr) = heap_audit(&all);
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (code, report, stderr)
}

/// The page of a report whose URL ends with `suffix`.
pub fn page<'a>(report: &'a Value, suffix: &str) -> &'a Value {
    report["pages"]
        .as_array()
        .and_then(|pages| {
            pages
                .iter()
                .find(|p| p["url"].as_str().is_some_and(|u| u.ends_with(suffix)))
        })
        .unwrap_or_else(|| {
            panic!(
                "no page ending in {suffix}: {}",
                serde_json::to_string_pretty(&report["pages"]).unwrap()
            )
        })
}

/// `(vendor, id, via, active)` of a page's installs, sorted.
pub fn installs(page: &Value) -> Vec<(String, String, String, bool)> {
    let mut out: Vec<_> = page["installs"]
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|i| {
            (
                i["vendor"].as_str().unwrap_or("").to_owned(),
                i["id"].as_str().unwrap_or("-").to_owned(),
                i["via"].as_str().unwrap_or("").to_owned(),
                i["active"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    out.sort();
    out
}

pub fn problems_of_kind<'a>(report: &'a Value, kind: &str) -> Vec<&'a Value> {
    report["problems"]
        .as_array()
        .map(|a| a.iter().filter(|p| p["kind"] == kind).collect())
        .unwrap_or_default()
}

/// `--remap` arguments pointing GTM's and Segment's CDN at the fixture files on disk.
pub fn file_remaps() -> Vec<String> {
    let f = fixtures();
    vec![
        "--remap".into(),
        format!(
            "https://cdn\\.segment\\.com/v1/projects/([^/]+)/settings {}/segment/$1.json",
            f.display()
        ),
        "--remap".into(),
        format!(
            "https://www\\.googletagmanager\\.com/gtm\\.js\\?id=([^&]+).* {}/gtm/$1.js",
            f.display()
        ),
    ]
}
