//! Test helpers: a real HTTP server on 127.0.0.1 serving a fixture site plus the GTM and Segment
//! routes, and a runner for the real `heap-audit` binary.
//!
//! The server is ours, on std alone, with persistent connections as real servers keep them.
//! tiny_http was used before, but its task pool can leave a new connection waiting while its
//! threads each hold an idle kept-alive one, so requests timed out once heap-audit reused
//! connections.
//!
//! Routes, besides the site's own files (a folder serves its `index.html`):
//! - `/gtm.js?id=GTM-X`               → `fixtures/gtm/GTM-X.js`
//! - `/v1/projects/KEY/settings`      → `fixtures/segment/KEY.json`
//! - `/_redirects` in the site folder → Netlify-style `FROM TO [STATUS]` lines
//! - `/_headers` in the site folder   → `PATH Header-Name: value` lines
//! - `/__status/NNN`                  → that status, with a small HTML body
//! - `/__redirect-loop/a` ↔ `/__redirect-loop/b`
//! - `/__redirect-to/<percent-encoded URL>` → 302 there
//! - `/__binary`                      → NUL-laden bytes labelled text/html (read as text)
//! - `/__huge`                        → 3 MB of HTML with a Heap snippet at the very end
//! - `/__slow`                        → answers after 4 s
#![allow(dead_code)]

pub mod faults;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
    /// Connections accepted.
    pub connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// Serve `fixtures/sites/<site>` on a free loopback port.
    pub fn site(site: &str) -> Server {
        Server::root(fixtures().join("sites").join(site))
    }

    /// Serve `root` on a free loopback port: an HTTP/1.1 server with persistent connections, a
    /// thread per connection (as nginx keeps them open, so heap-audit's reuse of connections is
    /// exercised), each answering its requests in turn.
    pub fn root(root: PathBuf) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("local address").port();
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let hits = Arc::new(AtomicUsize::new(0));
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let accepted = Arc::clone(&connections);
        let shared = Shared {
            root,
            log: Arc::clone(&log),
            hits: Arc::clone(&hits),
        };
        let stopped = Arc::clone(&stop);
        std::thread::spawn(move || {
            let shared = Arc::new(shared);
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                accepted.fetch_add(1, Ordering::SeqCst);
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        Server {
            port,
            log,
            hits,
            connections,
            stop,
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
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// What a server's connections share.
struct Shared {
    root: PathBuf,
    log: Arc<std::sync::Mutex<Vec<String>>>,
    hits: Arc<AtomicUsize>,
}

/// A response: status, headers and the whole body (sent with its `Content-Length`).
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn new(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".to_owned(), content_type.to_owned())],
            body,
        }
    }

    fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// Answer the requests of one connection in turn, until the client closes it, asks to close it,
/// or stays idle for 30 s.
fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(n) if n > 0 => {}
            _ => return,
        }
        let mut parts = line.split_whitespace();
        let (Some(_method), Some(target), version) = (parts.next(), parts.next(), parts.next())
        else {
            return;
        };
        let target = target.to_owned();
        let mut close = version != Some("HTTP/1.1");
        let (mut auth, mut basic, mut length) = (false, None, 0usize);
        loop {
            let mut header = String::new();
            match reader.read_line(&mut header) {
                Ok(n) if n > 0 => {}
                _ => return,
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else {
                return;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("x-test-auth") {
                auth = true;
            } else if name.eq_ignore_ascii_case("authorization") {
                basic = value.strip_prefix("Basic ").map(str::to_owned);
            } else if name.eq_ignore_ascii_case("connection") {
                close |= value.eq_ignore_ascii_case("close");
            } else if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().unwrap_or(0);
            }
        }
        // heap-audit sends no request bodies; skip one if a client does.
        if std::io::copy(&mut (&mut reader).take(length as u64), &mut std::io::sink()).is_err() {
            return;
        }
        let mut entry = target.clone();
        if auth {
            entry.push_str(" [auth]");
        }
        if let Some(basic) = basic {
            entry.push_str(&format!(" [basic {basic}]"));
        }
        shared.log.lock().unwrap().push(entry);
        shared.hits.fetch_add(1, Ordering::SeqCst);
        let reply = respond(&shared.root, &target);
        let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
        for (name, value) in &reply.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n", reply.body.len()));
        if close {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        let sent = writer
            .write_all(head.as_bytes())
            .and_then(|()| writer.write_all(&reply.body))
            .and_then(|()| writer.flush());
        if sent.is_err() || close {
            return;
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

fn respond(root: &Path, url: &str) -> Reply {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let fixtures = fixtures();
    let response = Reply::new;
    if path == "/gtm.js" {
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
        response(302, "text/html", Vec::new()).with_header("Location", to)
    } else if let Some(to) = path.strip_prefix("/__redirect-to/") {
        // `/__redirect-to/http%3A%2F%2F127.0.0.1%3A1234%2F` → 302 to that URL.
        let to = to.replace("%3A", ":").replace("%2F", "/");
        response(302, "text/html", Vec::new()).with_header("Location", &to)
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
        response(status, "text/html", Vec::new()).with_header("Location", &to)
    } else {
        let mut file = root.join(path.trim_start_matches('/'));
        if file.is_dir() {
            file = file.join("index.html");
        }
        let mut reply = file_or_404(&file, content_type(&file));
        for (name, value) in headers_for(root, path) {
            reply = reply.with_header(&name, &value);
        }
        reply
    }
}

fn file_or_404(path: &Path, ty: &str) -> Reply {
    match std::fs::read(path) {
        Ok(body) => Reply::new(200, ty, body),
        Err(_) => Reply::new(
            404,
            "text/html",
            b"<!doctype html><title>Not found</title>".to_vec(),
        ),
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

/// The proxy variables, in both cases: removed from every child's environment so that a machine
/// with a proxy set does not route the loopback tests through it (tests/network.rs sets them on
/// its own commands).
pub const PROXY_VARS: &[&str] = &[
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
];

/// Run the real binary; returns (exit code, stdout, stderr).
pub fn heap_audit<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_heap-audit"));
    for var in PROXY_VARS {
        command.env_remove(var);
    }
    let out = command
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

/// The URL of every page of a report, in report order.
pub fn page_urls(report: &Value) -> Vec<&str> {
    report["pages"]
        .as_array()
        .map(|pages| pages.iter().filter_map(|p| p["url"].as_str()).collect())
        .unwrap_or_default()
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

/// Compare `actual` with the snapshot file at `path` (a new one is written and the test fails,
/// for review); `UPDATE_SNAPSHOTS=1` rewrites it after a reviewed change.
pub fn check_snapshot_file(path: &std::path::Path, actual: &str) {
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, actual).unwrap();
        return;
    }
    let Ok(expected) = std::fs::read_to_string(path) else {
        std::fs::write(path, actual).unwrap();
        panic!(
            "new snapshot written to {}: review it and commit it",
            path.display()
        );
    };
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(10)
            .map(|(i, (a, b))| format!("line {}:\n  - {a}\n  + {b}", i + 1))
            .collect();
        panic!(
            "snapshot {} changed ({} vs {} lines); first differences:\n{}\n(UPDATE_SNAPSHOTS=1 to accept)",
            path.display(),
            expected.lines().count(),
            actual.lines().count(),
            diff.join("\n")
        );
    }
}
