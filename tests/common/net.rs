//! Network test servers on 127.0.0.1, for tests/network.rs: each runs on its own tokio runtime
//! (one worker thread), records what it received, and stops when dropped.
//!
//! - [`Site`]: a scriptable web server. A closure maps each [`Request`] to a [`Reply`]: a whole
//!   response, an encoded one (gzip, deflate, br, zstd), or one whose body is cut (a chunk cut in
//!   the middle, a short `Content-Length`, a reset). It speaks HTTP/1.1 with persistent
//!   connections over plain TCP ([`Site::http`]) or TLS ([`Site::https`]), or HTTP/2 only over TLS
//!   by ALPN `h2` ([`Site::https_h2`]), or HTTP/2 prior knowledge only on plain TCP ([`Site::h2c`]:
//!   an HTTP/1.1 request is answered with an HTTP/2 SETTINGS frame and a GOAWAY, as h2c-only
//!   servers do).
//! - [`Proxy`]: a forward proxy. It logs each request line (`GET http://…` for HTTP, `CONNECT
//!   host:port` for HTTPS) with the `Proxy-Authorization` it got, forwards plain requests, and
//!   tunnels CONNECT.
//! - [`Pki`]: a CA made for the test, a server certificate it issued for 127.0.0.1 and localhost,
//!   and the CA in a temporary PEM file (alone in its folder, for `SSL_CERT_DIR`).
//!
//! Pages: [`heap_page`] is a full document with Heap's snippet (app id [`HEAP_ID`]) at the end of
//! its body, after some content, so a body cut in the middle loses it.
#![allow(dead_code)]

use std::future::Future;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;

/// The app id of every Heap snippet served here.
pub const HEAP_ID: &str = "3748201956";

/// Heap's snippet, loading `id_expr` (a quoted id like `"3748201956"`, or an expression).
pub fn heap_snippet(id_expr: &str) -> String {
    format!(
        r#"<script type="text/javascript">
  window.heap=window.heap||[],heap.load=function(e,t){{window.heap.appid=e,window.heap.config=t=t||{{}};var r=document.createElement("script");r.type="text/javascript",r.async=!0,r.src="https://cdn.heapanalytics.com/js/heap-"+e+".js";var a=document.getElementsByTagName("script")[0];a.parentNode.insertBefore(r,a);for(var n=function(e){{return function(){{heap.push([e].concat(Array.prototype.slice.call(arguments,0)))}}}},p=["addEventProperties","addUserProperties","clearEventProperties","identify","resetIdentity","removeEventProperty","setEventProperties","track","unsetEventProperty"],o=0;o<p.length;o++)heap[p[o]]=n(p[o])}};
  heap.load({id_expr});
</script>"#
    )
}

/// A full page titled `title` linking to `links`, with `main` as its main content and `script`
/// (usually Heap's snippet) at the end of its body, after 4 KB of catalogue.
pub fn document(title: &str, links: &[&str], main: &str, script: &str) -> String {
    let items: String = links
        .iter()
        .map(|l| format!("      <li><a href=\"{l}\">{l}</a></li>\n"))
        .collect();
    let catalogue = "    <div class=\"product\"><h2>Trail tent</h2><p>Two people, 1.9 kg, three seasons.</p></div>\n".repeat(40);
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} | Loopback Outdoors</title>
</head>
<body>
  <header class="site-header"><a class="logo" href="/">Loopback Outdoors</a></header>
  <main id="content">
    <h1>{title}</h1>
{main}
    <ul>
{items}    </ul>
{catalogue}  </main>
  <footer class="site-footer"><p>&copy; 2026 Loopback Outdoors.</p></footer>
{script}
</body>
</html>
"#
    )
}

/// A healthy page with Heap's snippet (app id [`HEAP_ID`]) at the end of its body.
pub fn heap_page(title: &str, links: &[&str]) -> String {
    document(
        title,
        links,
        "    <p>Tents, packs and stoves for every trail.</p>",
        &heap_snippet(&format!("\"{HEAP_ID}\"")),
    )
}

/// A sign-in page titled `title`: its main content is a form with a password field; it carries
/// Heap's snippet.
pub fn sign_in_page(title: &str) -> String {
    document(
        title,
        &[],
        r#"    <form method="post" action="/session">
      <label>Email <input type="email" name="email" autocomplete="username"></label>
      <label>Password <input type="password" name="password" autocomplete="current-password"></label>
      <button type="submit">Sign in</button>
    </form>"#,
        &heap_snippet(&format!("\"{HEAP_ID}\"")),
    )
}

/// Where the Heap snippet starts in `page`: a cut before it loses the install.
pub fn snippet_offset(page: &str) -> usize {
    page.find("<script").expect("the page has a script")
}

// ---------------------------------------------------------------------------------------------
// Running a server

/// A listener on 127.0.0.1 served by its own runtime; dropping it stops the runtime, every
/// connection with it.
struct Running {
    port: u16,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Running {
    /// Accept connections on a free loopback port, each handled by `handle` in its own task.
    fn start<F, Fut>(handle: F) -> Running
    where
        F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("local address").port();
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        runtime.spawn(async move {
            let listener = TcpListener::from_std(listener).expect("tokio listener");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    // Out of descriptors, say: wait rather than spin.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                tokio::spawn(handle(stream));
            }
        });
        Running {
            port,
            runtime: Some(runtime),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Requests

/// A request as a server received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The request target as sent: origin-form (`/path?q`), absolute-form (`http://…`) or
    /// authority-form (`host:port`, for CONNECT).
    pub target: String,
    /// `HTTP/1.1`, or `HTTP/2` for a request received over HTTP/2.
    pub version: String,
    /// Every header line, names lowercased, in order (a name may repeat).
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The path of the target, without its query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every cookie sent, over all `Cookie` headers (HTTP/2 may split them), as `name=value`.
    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "cookie")
            .flat_map(|(_, v)| v.split(';'))
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect()
    }

    /// The value of cookie `name`, if sent.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies().into_iter().find_map(|c| {
            c.split_once('=')
                .filter(|(n, _)| *n == name)
                .map(|(_, v)| v.to_owned())
        })
    }

    fn request_line(&self) -> String {
        format!("{} {} {}", self.method, self.target, self.version)
    }
}

/// Read one HTTP/1.x request head; `None` when the connection closed, stayed idle for 30 s, or
/// sent something that is not HTTP/1.x.
async fn read_head<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> Option<Request> {
    let mut line = String::new();
    let read = tokio::time::timeout(Duration::from_secs(30), reader.read_line(&mut line)).await;
    if !matches!(read, Ok(Ok(n)) if n > 0) {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if !version.starts_with("HTTP/1.") {
        return None;
    }
    let mut request = Request {
        method: method.to_owned(),
        target: target.to_owned(),
        version: version.to_owned(),
        headers: Vec::new(),
    };
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header).await {
            Ok(n) if n > 0 => {}
            _ => return None,
        }
        let header = header.trim_end();
        if header.is_empty() {
            return Some(request);
        }
        let (name, value) = header.split_once(':')?;
        request
            .headers
            .push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
}

// ---------------------------------------------------------------------------------------------
// Replies

/// A content coding for [`Reply::encoded`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Gzip,
    Deflate,
    Br,
    Zstd,
}

impl Coding {
    pub const ALL: [Coding; 4] = [Coding::Gzip, Coding::Deflate, Coding::Br, Coding::Zstd];

    /// Its name in `Content-Encoding`.
    pub fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
            Coding::Br => "br",
            Coding::Zstd => "zstd",
        }
    }

    pub fn encode(self, body: &[u8]) -> Vec<u8> {
        match self {
            Coding::Gzip => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                e.write_all(body).unwrap();
                e.finish().unwrap()
            }
            // HTTP's "deflate" is the zlib format (RFC 9110, 8.4.1.2).
            Coding::Deflate => {
                let mut e =
                    flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
                e.write_all(body).unwrap();
                e.finish().unwrap()
            }
            Coding::Br => {
                let mut out = Vec::new();
                {
                    let mut e = brotli::CompressorWriter::new(&mut out, 4096, 9, 22);
                    e.write_all(body).unwrap();
                }
                out
            }
            Coding::Zstd => zstd::encode_all(body, 3).unwrap(),
        }
    }
}

/// How a reply's body is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delivery {
    /// Whole, with its `Content-Length`.
    Whole,
    /// `Transfer-Encoding: chunked`, one chunk of the whole body announced, the first N bytes
    /// sent, then the connection closed.
    CutChunk(usize),
    /// The whole `Content-Length` announced, the first N bytes sent, then the connection closed.
    ShortLength(usize),
    /// The whole `Content-Length` announced, the first N bytes sent, then the connection reset
    /// (RST).
    Reset(usize),
}

/// What a [`Site`] answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    delivery: Delivery,
}

impl Reply {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".to_owned(), content_type.to_owned())],
            body: body.into(),
            delivery: Delivery::Whole,
        }
    }

    /// 200 with an HTML page.
    pub fn html(page: impl Into<Vec<u8>>) -> Reply {
        Reply::new(200, "text/html; charset=utf-8", page)
    }

    /// `status` with a small HTML page saying so.
    pub fn status(status: u16) -> Reply {
        Reply::new(
            status,
            "text/html; charset=utf-8",
            format!("<!doctype html><title>{status}</title><h1>Error {status}</h1>"),
        )
    }

    /// 404 Not Found.
    pub fn not_found() -> Reply {
        Reply::status(404)
    }

    /// 302 to `location`.
    pub fn redirect(location: &str) -> Reply {
        Reply::new(302, "text/html; charset=utf-8", "").header("Location", location)
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The body encoded with `coding`, labelled so.
    pub fn encoded(mut self, coding: Coding) -> Reply {
        self.body = coding.encode(&self.body);
        self.header("Content-Encoding", coding.name())
    }

    /// Chunked, cut in the middle of its one chunk after `sent` bytes.
    pub fn cut_chunk(mut self, sent: usize) -> Reply {
        self.delivery = Delivery::CutChunk(sent);
        self
    }

    /// A `Content-Length` longer than what is sent (`sent` bytes), then the connection closed.
    pub fn short_length(mut self, sent: usize) -> Reply {
        self.delivery = Delivery::ShortLength(sent);
        self
    }

    /// `sent` bytes of the body, then the connection reset.
    pub fn reset_after(mut self, sent: usize) -> Reply {
        self.delivery = Delivery::Reset(sent);
        self
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        407 => "Proxy Authentication Required",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        _ => "Unknown",
    }
}

/// A connection a reply can be reset on.
trait Conn: AsyncRead + AsyncWrite + Unpin + Send {
    /// Make the next close send RST instead of FIN.
    fn arm_reset(&self);
}

impl Conn for TcpStream {
    fn arm_reset(&self) {
        let _ = self.set_zero_linger();
    }
}

impl Conn for tokio_rustls::server::TlsStream<TcpStream> {
    fn arm_reset(&self) {
        let _ = self.get_ref().0.set_zero_linger();
    }
}

/// Write `reply` to `request`; whether the connection can serve another request.
async fn write_reply<C: Conn>(conn: &mut BufReader<C>, request: &Request, reply: &Reply) -> bool {
    let close = request
        .header("connection")
        .is_some_and(|v| v.eq_ignore_ascii_case("close"));
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let body = &reply.body;
    let sent = match reply.delivery {
        Delivery::Whole => {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
            if close {
                head.push_str("Connection: close\r\n");
            }
            head.push_str("\r\n");
            let mut out = head.into_bytes();
            out.extend_from_slice(body);
            return conn.write_all(&out).await.is_ok() && conn.flush().await.is_ok() && !close;
        }
        Delivery::CutChunk(sent) => {
            head.push_str("Transfer-Encoding: chunked\r\n\r\n");
            head.push_str(&format!("{:x}\r\n", body.len()));
            sent
        }
        Delivery::ShortLength(sent) | Delivery::Reset(sent) => {
            head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
            sent
        }
    };
    let mut out = head.into_bytes();
    out.extend_from_slice(&body[..sent.min(body.len())]);
    let _ = conn.write_all(&out).await;
    let _ = conn.flush().await;
    if let Delivery::Reset(_) = reply.delivery {
        // Let the client read the head and the first bytes, then reset.
        tokio::time::sleep(Duration::from_millis(300)).await;
        conn.get_ref().arm_reset();
    } else {
        let _ = conn.shutdown().await;
    }
    false
}

// ---------------------------------------------------------------------------------------------
// Sites

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

struct SiteState {
    handler: Box<Handler>,
    log: Mutex<Vec<Request>>,
    /// For h2c: the first line of each connection that did not speak HTTP/2.
    refused: Mutex<Vec<String>>,
}

impl SiteState {
    fn answer(&self, request: Request) -> (Request, Reply) {
        self.log.lock().unwrap().push(request.clone());
        let reply = (self.handler)(&request);
        (request, reply)
    }
}

/// A scriptable web server (see the module's documentation).
pub struct Site {
    pub port: u16,
    scheme: &'static str,
    state: Arc<SiteState>,
    _running: Running,
}

impl Site {
    fn start<F, Fut>(
        scheme: &'static str,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
        serve: F,
    ) -> Site
    where
        F: Fn(TcpStream, Arc<SiteState>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let state = Arc::new(SiteState {
            handler: Box::new(handler),
            log: Mutex::new(Vec::new()),
            refused: Mutex::new(Vec::new()),
        });
        let shared = Arc::clone(&state);
        let running = Running::start(move |stream| serve(stream, Arc::clone(&shared)));
        Site {
            port: running.port,
            scheme,
            state,
            _running: running,
        }
    }

    /// HTTP/1.1 on plain TCP.
    pub fn http(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Site {
        Site::start("http", handler, serve_http1)
    }

    /// HTTP/1.1 over TLS with `pki`'s server certificate (ALPN `http/1.1`).
    pub fn https(pki: &Pki, handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Site {
        let acceptor = pki.acceptor(&[b"http/1.1"]);
        Site::start("https", handler, move |stream, state| {
            let acceptor = acceptor.clone();
            async move {
                if let Ok(tls) = acceptor.accept(stream).await {
                    serve_http1(tls, state).await;
                }
            }
        })
    }

    /// HTTP/2 only, over TLS with `pki`'s server certificate: ALPN offers `h2` alone, so a
    /// client without HTTP/2 fails the handshake. Every reply is sent whole.
    pub fn https_h2(
        pki: &Pki,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> Site {
        let acceptor = pki.acceptor(&[b"h2"]);
        Site::start("https", handler, move |stream, state| {
            let acceptor = acceptor.clone();
            async move {
                if let Ok(tls) = acceptor.accept(stream).await {
                    serve_h2(tls, state).await;
                }
            }
        })
    }

    /// HTTP/2 with prior knowledge only, on plain TCP (h2c). A connection that does not open
    /// with HTTP/2's preface gets a SETTINGS frame and a GOAWAY (PROTOCOL_ERROR), and is
    /// recorded in [`Site::refused`].
    pub fn h2c(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Site {
        Site::start("http", handler, serve_h2c)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}://127.0.0.1:{}{path}", self.scheme, self.port)
    }

    /// `host:port`, as a CONNECT request names it.
    pub fn authority(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.state.log.lock().unwrap().clone()
    }

    /// The requests for `path` (without query).
    pub fn requests_for(&self, path: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path() == path)
            .collect()
    }

    /// h2c: the first line of each connection refused for not speaking HTTP/2.
    pub fn refused(&self) -> Vec<String> {
        self.state.refused.lock().unwrap().clone()
    }
}

async fn serve_http1<C: Conn>(conn: C, state: Arc<SiteState>) {
    let mut conn = BufReader::new(conn);
    while let Some(request) = read_head(&mut conn).await {
        // heap-audit sends no request bodies; skip one if a client does.
        let length: u64 = request
            .header("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut skipped = Vec::new();
        if (&mut conn)
            .take(length)
            .read_to_end(&mut skipped)
            .await
            .is_err()
        {
            return;
        }
        let (request, reply) = state.answer(request);
        if !write_reply(&mut conn, &request, &reply).await {
            return;
        }
    }
}

async fn serve_h2<S>(io: S, state: Arc<SiteState>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let Ok(mut connection) = h2::server::handshake(io).await else {
        return;
    };
    while let Some(Ok((request, mut respond))) = connection.accept().await {
        let mut headers = vec![(
            ":authority".to_owned(),
            request
                .uri()
                .authority()
                .map(|a| a.to_string())
                .unwrap_or_default(),
        )];
        for (name, value) in request.headers() {
            headers.push((
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            ));
        }
        let seen = Request {
            method: request.method().to_string(),
            target: request
                .uri()
                .path_and_query()
                .map_or("/".to_owned(), |p| p.to_string()),
            version: "HTTP/2".to_owned(),
            headers,
        };
        let (_, reply) = state.answer(seen);
        let mut response = http::Response::builder().status(reply.status);
        for (name, value) in &reply.headers {
            response = response.header(name.as_str(), value.as_str());
        }
        response = response.header("content-length", reply.body.len());
        let Ok(response) = response.body(()) else {
            return;
        };
        if let Ok(mut body) = respond.send_response(response, reply.body.is_empty()) {
            if !reply.body.is_empty() {
                let _ = body.send_data(Bytes::from(reply.body), true);
            }
        }
    }
}

/// HTTP/2's connection preface.
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

async fn serve_h2c(stream: TcpStream, state: Arc<SiteState>) {
    // Peek until the preface is whole or the bytes so far stop matching it.
    let mut first = [0u8; 64];
    let seen = loop {
        let n = match tokio::time::timeout(Duration::from_secs(10), stream.peek(&mut first)).await {
            Ok(Ok(n)) if n > 0 => n,
            _ => return,
        };
        let common = n.min(PREFACE.len());
        if first[..common] != PREFACE[..common] || n >= PREFACE.len() {
            break n;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    if first[..seen].starts_with(PREFACE) {
        serve_h2(stream, state).await;
        return;
    }
    // Not HTTP/2: read the request's first line, answer as an h2c-only server does.
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    let _ = reader.read_line(&mut line).await;
    state
        .refused
        .lock()
        .unwrap()
        .push(line.trim_end().to_owned());
    let mut frames = Vec::new();
    // SETTINGS: empty payload, type 0x4, no flags, stream 0.
    frames.extend_from_slice(&[0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
    // GOAWAY: type 0x7, stream 0; last stream id 0, PROTOCOL_ERROR (0x1), debug data.
    let debug = b"HTTP/1.1 is not supported: h2c prior knowledge only";
    let length = (8 + debug.len()) as u32;
    frames.extend_from_slice(&length.to_be_bytes()[1..]);
    frames.extend_from_slice(&[0x7, 0, 0, 0, 0, 0]);
    frames.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0x1]);
    frames.extend_from_slice(debug);
    let mut stream = reader.into_inner();
    let _ = stream.write_all(&frames).await;
    let _ = stream.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Proxy

/// What a [`Proxy`] received: the request line and its `Proxy-Authorization`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyRequest {
    /// `GET http://127.0.0.1:PORT/ HTTP/1.1`, or `CONNECT 127.0.0.1:PORT HTTP/1.1`.
    pub line: String,
    pub authorization: Option<String>,
}

/// The `Via` header a [`Proxy`] adds to each request it forwards.
pub const VIA: &str = "1.1 heap-audit-test-proxy";

/// A forward proxy (see the module's documentation). An origin it cannot reach is a 502.
pub struct Proxy {
    pub port: u16,
    log: Arc<Mutex<Vec<ProxyRequest>>>,
    _running: Running,
}

impl Proxy {
    pub fn start() -> Proxy {
        let log = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::clone(&log);
        let running = Running::start(move |stream| proxy_connection(stream, Arc::clone(&shared)));
        Proxy {
            port: running.port,
            log,
            _running: running,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `http://USER:PASSWORD@127.0.0.1:PORT`.
    pub fn url_with_credentials(&self, user: &str, password: &str) -> String {
        format!("http://{user}:{password}@127.0.0.1:{}", self.port)
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<ProxyRequest> {
        self.log.lock().unwrap().clone()
    }

    /// The request lines received, in order.
    pub fn lines(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.line).collect()
    }
}

async fn proxy_connection(stream: TcpStream, log: Arc<Mutex<Vec<ProxyRequest>>>) {
    let mut client = BufReader::new(stream);
    while let Some(request) = read_head(&mut client).await {
        log.lock().unwrap().push(ProxyRequest {
            line: request.request_line(),
            authorization: request.header("proxy-authorization").map(str::to_owned),
        });
        if request.method.eq_ignore_ascii_case("CONNECT") {
            let Ok(mut upstream) = TcpStream::connect(&request.target).await else {
                let _ = client.write_all(bad_gateway().as_bytes()).await;
                return;
            };
            if client
                .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                .await
                .is_err()
            {
                return;
            }
            // Bytes the client sent after its CONNECT head, then a plain tunnel.
            let early = client.buffer().to_vec();
            let mut client = client.into_inner();
            if upstream.write_all(&early).await.is_ok() {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            }
            return;
        }
        // Absolute form: `GET http://host:port/path HTTP/1.1`.
        let Some(rest) = request.target.strip_prefix("http://") else {
            let _ = client.write_all(bad_gateway().as_bytes()).await;
            return;
        };
        let (authority, path) = rest
            .find('/')
            .map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
        let authority = authority.rsplit('@').next().unwrap_or(authority);
        let Ok(mut upstream) = TcpStream::connect(authority).await else {
            let _ = client.write_all(bad_gateway().as_bytes()).await;
            return;
        };
        let mut head = format!("{} {path} HTTP/1.1\r\n", request.method);
        for (name, value) in &request.headers {
            if !matches!(
                name.as_str(),
                "proxy-authorization" | "proxy-connection" | "connection"
            ) {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        // Marked, so the origin can tell a proxied request from a direct one; one request per
        // upstream connection: the response ends where the origin closes.
        head.push_str(&format!("Via: {VIA}\r\n"));
        head.push_str("Connection: close\r\n\r\n");
        let mut response = Vec::new();
        if upstream.write_all(head.as_bytes()).await.is_err()
            || upstream.read_to_end(&mut response).await.is_err()
        {
            let _ = client.write_all(bad_gateway().as_bytes()).await;
            return;
        }
        // The origin's framing (Content-Length or chunked) is passed on, so the client may send
        // its next request on this connection, unless the origin said it closes.
        let closes = String::from_utf8_lossy(&response)
            .split("\r\n\r\n")
            .next()
            .is_some_and(|h| h.to_ascii_lowercase().contains("connection: close"));
        if client.write_all(&response).await.is_err() || closes {
            return;
        }
    }
}

fn bad_gateway() -> String {
    let body = "<!doctype html><title>502</title><h1>Bad gateway</h1>";
    format!(
        "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

// ---------------------------------------------------------------------------------------------
// Certificates

static TEMP_DIRS: AtomicUsize = AtomicUsize::new(0);

/// A fresh folder under the system's temporary folder, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "heap-audit-net-{}-{}",
            std::process::id(),
            TEMP_DIRS.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp folder");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Write `text` to `name` in this folder; returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write a temp file");
        path
    }
}

impl Default for TempDir {
    fn default() -> TempDir {
        TempDir::new()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A CA made for the test and a server certificate it issued for `127.0.0.1` and `localhost`.
/// The CA's PEM is written to [`Pki::ca_file`], alone in [`Pki::ca_dir`] (files named by
/// content, as `SSL_CERT_DIR` folders hold, are not made: that needs OpenSSL's subject hash).
pub struct Pki {
    dir: TempDir,
    ca_pem: String,
    cert: rustls::pki_types::CertificateDer<'static>,
    key: Vec<u8>,
}

impl Pki {
    pub fn new() -> Pki {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.distinguished_name
            .push(DnType::CommonName, "heap-audit test CA");
        ca.distinguished_name
            .push(DnType::OrganizationName, "heap-audit tests");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca, ca_key);

        let key = KeyPair::generate().expect("server key");
        let mut server =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .expect("server params");
        server
            .distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        server.is_ca = IsCa::ExplicitNoCa;
        server.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = server.signed_by(&key, &issuer).expect("server certificate");

        let dir = TempDir::new();
        let ca_pem = ca_cert.pem();
        std::fs::create_dir(dir.path().join("certs")).expect("certs folder");
        dir.write("certs/ca.pem", &ca_pem);
        Pki {
            dir,
            ca_pem,
            cert: cert.der().clone(),
            key: key.serialize_der(),
        }
    }

    /// The CA certificate, PEM, in a file of its own.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("certs").join("ca.pem")
    }

    /// A folder holding only the CA certificate (as `SSL_CERT_DIR` names one).
    pub fn ca_dir(&self) -> PathBuf {
        self.dir.path().join("certs")
    }

    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// A TLS acceptor with the server certificate, offering `alpn`.
    fn acceptor(&self, alpn: &[&[u8]]) -> tokio_rustls::TlsAcceptor {
        // The provider is named: the process may have more than one (reqwest's, ours).
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(
            rustls::pki_types::PrivatePkcs8KeyDer::from(self.key.clone()),
        );
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![self.cert.clone()], key)
            .expect("server certificate and key");
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    }
}

impl Default for Pki {
    fn default() -> Pki {
        Pki::new()
    }
}
