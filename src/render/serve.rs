//! A build folder served on 127.0.0.1 for the browser: `GET` of files under the folder only
//! (`..` cannot leave it), `index.html` for a folder, one thread per connection, closed with
//! the render.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A running server; it stops when dropped.
pub struct Served {
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl Served {
    /// Serve `root` on a free loopback port.
    pub fn start(root: &Path) -> std::io::Result<Served> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let root = root.to_owned();
        std::thread::Builder::new()
            .name("heap-audit-serve".to_owned())
            .spawn(move || {
                for stream in listener.incoming() {
                    if stopped.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let root = root.clone();
                    let _ = std::thread::Builder::new()
                        .name("heap-audit-serve-conn".to_owned())
                        .spawn(move || {
                            let _ = answer(stream, &root);
                        });
                }
            })?;
        Ok(Served { port, stop })
    }

    /// The URL at which `file` (under `root`) is served.
    pub fn url_of(&self, root: &Path, file: &Path) -> Option<String> {
        let relative = file.strip_prefix(root).ok()?;
        let mut url = url::Url::parse(&format!("http://127.0.0.1:{}/", self.port)).ok()?;
        {
            let mut segments = url.path_segments_mut().ok()?;
            segments.pop_if_empty();
            for part in relative.components() {
                segments.push(&part.as_os_str().to_string_lossy());
            }
        }
        Some(url.into())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn answer(stream: TcpStream, root: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    // The headers are not needed: read them to the blank line.
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let mut out = stream;
    let file = (method == "GET" || method == "HEAD")
        .then(|| resolve(root, target))
        .flatten();
    match file.and_then(|f| std::fs::read(&f).ok().map(|body| (f, body))) {
        Some((file, body)) => {
            let kind = content_type(&file);
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            if method == "GET" {
                out.write_all(&body)?;
            }
        }
        None => {
            out.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )?;
        }
    }
    out.flush()
}

/// The file under `root` a request target names, if there is one (dot segments are resolved
/// before the path is joined to `root`, so a request cannot leave it).
fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let decoded = url::Url::parse(&format!("file://{path}"))
        .ok()?
        .to_file_path()
        .ok()?;
    let mut file = root.to_owned();
    for part in decoded.components() {
        if let std::path::Component::Normal(part) = part {
            file.push(part);
        }
    }
    if file.is_dir() {
        file.push("index.html");
    }
    file.is_file().then_some(file)
}

fn content_type(file: &Path) -> &'static str {
    match file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
    {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "application/javascript",
        "json" => "application/json",
        "css" => "text/css",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "gif" => "image/gif",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_inside_the_root_only() {
        let root = std::env::temp_dir().join(format!("heap-audit-serve-{}", std::process::id()));
        std::fs::create_dir_all(root.join("about")).unwrap();
        std::fs::write(root.join("about/index.html"), "a").unwrap();
        std::fs::write(root.join("a b.html"), "b").unwrap();
        assert_eq!(
            resolve(&root, "/about/"),
            Some(root.join("about/index.html"))
        );
        assert_eq!(
            resolve(&root, "/a%20b.html?x=1"),
            Some(root.join("a b.html"))
        );
        assert_eq!(resolve(&root, "/../etc/passwd"), None);
        assert_eq!(resolve(&root, "/missing.html"), None);
        let served = Served::start(&root).unwrap();
        assert_eq!(
            served.url_of(&root, &root.join("a b.html")).unwrap(),
            format!("http://127.0.0.1:{}/a%20b.html", served.port)
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
