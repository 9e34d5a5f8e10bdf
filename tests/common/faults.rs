//! A fault-injection site on 127.0.0.1: a raw HTTP/1.1 server (one request per connection, then
//! close) so that a route can misbehave below HTTP: stall or trickle its body, close the connection
//! mid-body, send broken gzip. Every route is linked from the home page `/`.
//!
//! Healthy pages (each a full document with the Heap snippet):
//! - `/ok.html`, `/about.html` → `/team.html` (depth 2, behind the traps in crawl order)
//! - `/busy.html`       → 429 with `Retry-After: 1` on the first request, then the page
//! - `/latin1.html`     → ISO-8859-1, charset in the `Content-Type` header
//! - `/meta-1252.html`  → windows-1252, charset only in `<meta charset>`
//! - `/list?a=1&b=2` and `/list?b=2&a=1` (one page); `/ok.html?utm_source=news` (the same page)
//!
//! Faults:
//! - `/slow.html`       → headers only after 30 s (a slow response)
//! - `/stall.html`      → headers and 200 bytes of a 50 KB body, then nothing (a stalled body)
//! - `/trickle.html`    → a byte of body every 100 ms (each read succeeds; only an overall
//!   deadline stops it)
//! - `/down.html`       → 503 with `Retry-After: 1`, always
//! - `/bad-gzip.html`   → `Content-Encoding: gzip` on bytes that are not gzip
//! - `/compress.html`   → `Content-Encoding: compress`, never asked for (heap-audit asks for
//!   gzip, deflate, br and zstd)
//! - `/reset.html`      → `Content-Length: 20000`, 1 KB sent, then the connection is closed
//! - `/binary.html`     → NUL-laden bytes labelled text/html (read as text)
//! - `/huge.html`       → 3 MB of HTML, the Heap snippet at the very end
//! - `/away.html`       → 302 to `http://elsewhere.invalid/landing` (off the site's origin)
//! - `/loop/a` ↔ `/loop/b`; `/chain/N` → `/chain/N+1` forever
//! - `/page/N`          → links to `/page/N+1` … `/page/N+20` (an endless generated listing)
//! - `/cal/Y/M/D`       → links to the next day and the next month (an endless calendar)
//! - `/slow/N`          → a healthy page after 400 ms, linking to `/slow/1` … `/slow/40`
//!
//! `/robots.txt` is 404 unless a robots text is given.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The Heap snippet every healthy page carries.
pub const HEAP_ID: &str = "1535634150";

/// A running fault site; dropping it stops accepting connections.
pub struct FaultSite {
    pub port: u16,
    state: Arc<State>,
}

#[derive(Default)]
struct State {
    /// Requests served, path and query as sent, with the time each arrived.
    log: Mutex<Vec<(String, Instant)>>,
    /// Requests thinking now, and the most ever seen at once.
    active: Mutex<(usize, usize)>,
    robots: Option<String>,
    stop: std::sync::atomic::AtomicBool,
}

impl FaultSite {
    pub fn start() -> FaultSite {
        FaultSite::with_robots(None)
    }

    /// A fault site whose `/robots.txt` is `robots`.
    pub fn with_robots(robots: Option<&str>) -> FaultSite {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("local address").port();
        let state = Arc::new(State {
            robots: robots.map(str::to_owned),
            ..State::default()
        });
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if shared.stop.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let state = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        FaultSite { port, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Requests whose path and query start with `prefix`.
    pub fn requests_for(&self, prefix: &str) -> usize {
        self.requests()
            .iter()
            .filter(|(p, _)| p.starts_with(prefix))
            .count()
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<(String, Instant)> {
        self.state.log.lock().unwrap().clone()
    }

    /// The most requests ever in flight at once (counted while `/slow/N` pages think).
    pub fn max_in_flight(&self) -> usize {
        self.state.active.lock().unwrap().1
    }
}

impl Drop for FaultSite {
    fn drop(&mut self) {
        self.state
            .stop
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(mut stream: TcpStream, state: &State) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head);
    let Some(target) = head.split_whitespace().nth(1).map(str::to_owned) else {
        return;
    };
    let seen_before = {
        let mut log = state.log.lock().unwrap();
        let before = log.iter().filter(|(p, _)| *p == target).count();
        log.push((target.clone(), Instant::now()));
        before
    };
    respond(&mut stream, &target, seen_before, state);
}

impl State {
    /// Sleep as a slow server thinks, counting the requests thinking at once.
    fn think(&self, time: Duration) {
        {
            let mut active = self.active.lock().unwrap();
            active.0 += 1;
            active.1 = active.1.max(active.0);
        }
        std::thread::sleep(time);
        self.active.lock().unwrap().0 -= 1;
    }
}

/// Write a whole response and close.
fn reply(stream: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) {
    let mut out = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if !headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-length"))
    {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let _ = stream.write_all(out.as_bytes());
    let _ = stream.write_all(body);
    let _ = stream.flush();
}

const HTML: (&str, &str) = ("Content-Type", "text/html; charset=utf-8");

fn respond(stream: &mut TcpStream, target: &str, seen_before: usize, state: &State) {
    let (path, _query) = target.split_once('?').unwrap_or((target, ""));
    let redirect = |stream: &mut TcpStream, to: &str| {
        reply(stream, "302 Found", &[HTML, ("Location", to)], b"")
    };
    match path {
        "/" => reply(stream, "200 OK", &[HTML], home().as_bytes()),
        "/robots.txt" => match &state.robots {
            Some(text) => reply(
                stream,
                "200 OK",
                &[("Content-Type", "text/plain")],
                text.as_bytes(),
            ),
            None => reply(
                stream,
                "404 Not Found",
                &[HTML],
                b"<!doctype html><title>Not found</title>",
            ),
        },
        "/ok.html" | "/team.html" | "/list" => {
            reply(stream, "200 OK", &[HTML], page(path, &[]).as_bytes())
        }
        "/about.html" => reply(
            stream,
            "200 OK",
            &[HTML],
            page("About", &["/team.html".to_owned()]).as_bytes(),
        ),
        "/busy.html" if seen_before == 0 => reply(
            stream,
            "429 Too Many Requests",
            &[HTML, ("Retry-After", "1")],
            b"<!doctype html><title>Slow down</title>",
        ),
        "/busy.html" => reply(stream, "200 OK", &[HTML], page("Busy", &[]).as_bytes()),
        "/latin1.html" => reply(
            stream,
            "200 OK",
            &[("Content-Type", "text/html; charset=iso-8859-1")],
            &latin1_page(None),
        ),
        "/meta-1252.html" => reply(
            stream,
            "200 OK",
            &[("Content-Type", "text/html")],
            &latin1_page(Some("windows-1252")),
        ),
        "/slow.html" => {
            std::thread::sleep(Duration::from_secs(30));
            reply(stream, "200 OK", &[HTML], page("Slow", &[]).as_bytes());
        }
        "/stall.html" => {
            let body = page("Stalled", &[]);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: 50000\r\n\r\n{}",
                &body[..200]
            );
            let _ = stream.flush();
            std::thread::sleep(Duration::from_secs(30));
        }
        "/trickle.html" => {
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"
            );
            for byte in page("Trickle", &[]).bytes().cycle().take(600) {
                if stream
                    .write_all(&[byte])
                    .and_then(|()| stream.flush())
                    .is_err()
                {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        "/down.html" => reply(
            stream,
            "503 Service Unavailable",
            &[HTML, ("Retry-After", "1")],
            b"<!doctype html><title>Down for maintenance</title>",
        ),
        "/bad-gzip.html" => reply(
            stream,
            "200 OK",
            &[HTML, ("Content-Encoding", "gzip")],
            page("Not gzip", &[]).as_bytes(),
        ),
        "/compress.html" => reply(
            stream,
            "200 OK",
            &[HTML, ("Content-Encoding", "compress")],
            // LZW-looking bytes: the `compress` magic, then noise.
            &[
                0x1f, 0x9d, 0x90, 0x3c, 0x00, 0xa4, 0x8c, 0x95, 0x66, 0x0c, 0x3f, 0xe1,
            ],
        ),
        "/reset.html" => {
            let body = page("Reset", &[]);
            reply(
                stream,
                "200 OK",
                &[HTML, ("Content-Length", "20000")],
                &body.as_bytes()[..1000],
            );
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
        "/binary.html" => {
            let body: Vec<u8> = (0u8..=255).cycle().take(4096).collect();
            reply(stream, "200 OK", &[HTML], &body);
        }
        "/huge.html" => reply(stream, "200 OK", &[HTML], &huge()),
        "/away.html" => redirect(stream, "http://elsewhere.invalid/landing"),
        "/loop/a" => redirect(stream, "/loop/b"),
        "/loop/b" => redirect(stream, "/loop/a"),
        _ => {
            if let Some(n) = path
                .strip_prefix("/chain/")
                .and_then(|n| n.parse::<u64>().ok())
            {
                redirect(stream, &format!("/chain/{}", n + 1));
            } else if let Some(n) = path
                .strip_prefix("/page/")
                .and_then(|n| n.parse::<u64>().ok())
            {
                let links: Vec<String> = (1..=20).map(|i| format!("/page/{}", n + i)).collect();
                reply(
                    stream,
                    "200 OK",
                    &[HTML],
                    page(&format!("Page {n}"), &links).as_bytes(),
                );
            } else if let Some(date) = path.strip_prefix("/cal/") {
                let mut parts = date.split('/').filter_map(|p| p.parse::<u32>().ok());
                let (y, m, d) = (
                    parts.next().unwrap_or(2026),
                    parts.next().unwrap_or(1),
                    parts.next().unwrap_or(1),
                );
                let links = vec![
                    format!("/cal/{y}/{m}/{}", d + 1),
                    format!("/cal/{y}/{}/{d}", m + 1),
                ];
                reply(
                    stream,
                    "200 OK",
                    &[HTML],
                    page("Calendar", &links).as_bytes(),
                );
            } else if let Some(n) = path
                .strip_prefix("/slow/")
                .and_then(|n| n.parse::<u64>().ok())
            {
                state.think(Duration::from_millis(400));
                let links: Vec<String> = (1..=40).map(|i| format!("/slow/{i}")).collect();
                reply(
                    stream,
                    "200 OK",
                    &[HTML],
                    page(&format!("Slow {n}"), &links).as_bytes(),
                );
            } else {
                reply(
                    stream,
                    "404 Not Found",
                    &[HTML],
                    b"<!doctype html><title>Not found</title>",
                );
            }
        }
    }
}

/// Every route, as linked from the home page (traps first, so that without a cap they would fill
/// the crawl ahead of `/team.html`).
pub const ROUTES: &[&str] = &[
    "/page/1",
    "/cal/2026/11/29",
    "/ok.html",
    "/about.html",
    "/busy.html",
    "/latin1.html",
    "/meta-1252.html",
    "/list?a=1&b=2",
    "/list?b=2&a=1",
    "/ok.html?utm_source=news&utm_medium=email",
    "/ok.html;jsessionid=0A1B2C3D",
    "/slow.html",
    "/stall.html",
    "/trickle.html",
    "/down.html",
    "/bad-gzip.html",
    "/compress.html",
    "/reset.html",
    "/binary.html",
    "/huge.html",
    "/away.html",
    "/loop/a",
    "/chain/0",
];

fn home() -> String {
    let links: Vec<String> = ROUTES.iter().map(|r| (*r).to_owned()).collect();
    page("Home", &links)
}

fn snippet(options: &str) -> String {
    format!(
        r#"<script type="text/javascript">
  window.heap=window.heap||[],heap.load=function(e,t){{window.heap.appid=e,window.heap.config=t=t||{{}};var r=document.createElement("script");r.type="text/javascript",r.async=!0,r.src="https://cdn.heapanalytics.com/js/heap-"+e+".js";var a=document.getElementsByTagName("script")[0];a.parentNode.insertBefore(r,a);for(var n=function(e){{return function(){{heap.push([e].concat(Array.prototype.slice.call(arguments,0)))}}}},p=["addEventProperties","addUserProperties","clearEventProperties","identify","resetIdentity","removeEventProperty","setEventProperties","track","unsetEventProperty"],o=0;o<p.length;o++)heap[p[o]]=n(p[o])}};
  heap.load("{HEAP_ID}"{options});
</script>"#
    )
}

/// A full healthy page titled `title`, with the Heap snippet and `links` in its main section.
fn page(title: &str, links: &[String]) -> String {
    let items: String = links
        .iter()
        .map(|l| format!("      <li><a href=\"{l}\">{l}</a></li>\n"))
        .collect();
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} | Faulty Outdoors</title>
  <meta name="description" content="{title} at Faulty Outdoors: gear for the outdoors, shipped fast.">
  <link rel="stylesheet" href="/static/css/site.4e1a9b.css">
{snippet}
</head>
<body>
  <header class="site-header"><a class="logo" href="/">Faulty Outdoors</a></header>
  <main id="content">
    <h1>{title}</h1>
    <p>Tents, packs and stoves for every trail. Free returns within 30 days.</p>
    <ul>
{items}    </ul>
  </main>
  <footer class="site-footer"><p>&copy; 2026 Faulty Outdoors.</p></footer>
</body>
</html>
"#,
        snippet = snippet("")
    )
}

/// A page in ISO-8859-1 whose Heap options hold a non-ASCII value (`Café` as byte 0xE9), with the
/// charset in a `<meta>` tag when `meta` is given.
fn latin1_page(meta: Option<&str>) -> Vec<u8> {
    let head = meta.map_or(String::new(), |m| format!("  <meta charset=\"{m}\">\n"));
    let text = format!(
        r#"<!DOCTYPE html>
<html lang="fr">
<head>
{head}  <title>Caf@ des sports | Faulty Outdoors</title>
{snippet}
</head>
<body>
  <main><h1>Caf@ des sports</h1><p>Le caf@ est ouvert tous les jours.</p></main>
</body>
</html>
"#,
        snippet = snippet(r#", {"trackingLabel": "Caf@"}"#)
    );
    text.bytes()
        .map(|b| if b == b'@' { 0xE9 } else { b })
        .collect()
}

/// 3 MB of catalogue, the Heap snippet at the very end.
fn huge() -> Vec<u8> {
    let mut body = b"<!doctype html><html><head><title>Catalogue</title></head><body>\n".to_vec();
    while body.len() < 3_000_000 {
        body.extend_from_slice(
            b"<div class=\"product\"><h2>Trail tent</h2><p>Two people, 1.9 kg.</p></div>\n",
        );
    }
    body.extend_from_slice(snippet("").as_bytes());
    body.extend_from_slice(b"</body></html>");
    body
}
