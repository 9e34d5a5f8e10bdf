//! A headless Chromium driven over the DevTools protocol through a pipe
//! (`--remote-debugging-pipe`: the browser reads commands on its fd 3 and writes answers and
//! events on its fd 4, each a JSON message ended by a NUL byte).
//!
//! Why not a crate: the DevTools crates (chromiumoxide, headless_chrome) bring generated bindings
//! for the whole protocol (tens of thousands of lines to compile on a 2-core machine) and a
//! WebSocket stack, for the dozen commands heap-audit sends. A pipe needs no port, cannot be
//! reached by anything else on the machine, and closes when either side dies.
//!
//! **The browser never outlives heap-audit.** It is started under `setpriv --pdeathsig KILL`
//! (util-linux, on every Debian), so the kernel kills it when the thread that started it ends,
//! even if heap-audit is killed with SIGKILL; [`Browser`]'s `Drop` kills its process group on
//! every other exit path (a stop, a panic unwinding, the end of the render).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A DevTools event: its method, parameters and the session (tab) it belongs to.
#[derive(Debug, Clone)]
pub struct Event {
    pub method: String,
    pub params: Value,
}

/// Why talking to the browser failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CdpError {
    #[error("{0}")]
    Launch(String),
    #[error("the browser did not answer {method} within {seconds} s")]
    Timeout { method: String, seconds: u64 },
    #[error("the browser refused {method}: {message}")]
    Refused { method: String, message: String },
    #[error("the browser closed its DevTools pipe (it crashed or was killed)")]
    Closed,
}

type Waiters = HashMap<u64, Sender<Result<Value, String>>>;

struct Shared {
    waiters: Mutex<Waiters>,
    /// Where each session's events go.
    sessions: Mutex<HashMap<String, Sender<Event>>>,
    closed: std::sync::atomic::AtomicBool,
}

/// A running headless Chromium.
pub struct Browser {
    child: Child,
    input: Mutex<ChildStdin>,
    next: AtomicU64,
    shared: Arc<Shared>,
    /// The browser's profile, deleted with it.
    profile: PathBuf,
    pub version: String,
}

/// Find the browser: `explicit` (`--chromium`), else `chromium`, `chromium-browser`,
/// `google-chrome` on `PATH`.
pub fn find(explicit: Option<&Path>) -> Result<PathBuf, CdpError> {
    if let Some(path) = explicit {
        return if path.is_file() {
            Ok(path.to_owned())
        } else {
            Err(CdpError::Launch(format!(
                "--chromium {}: no such file",
                path.display()
            )))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(CdpError::Launch(
        "--render needs Chromium, and none was found on PATH: install Debian's package (`apt-get install chromium`) or give its path with --chromium PATH".to_owned(),
    ))
}

/// Whether this process runs as root (Chromium's sandbox refuses root: `--no-sandbox`).
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

impl Browser {
    /// Start `chromium` headless, with `extra` flags (a proxy, `--ignore-certificate-errors`).
    pub fn launch(chromium: &Path, extra: &[String]) -> Result<Browser, CdpError> {
        let profile = std::env::temp_dir().join(format!(
            "heap-audit-chromium-{}-{}",
            std::process::id(),
            PROFILES.fetch_add(1, Ordering::SeqCst)
        ));
        let mut flags: Vec<String> = [
            "--headless",
            "--disable-gpu",
            "--remote-debugging-pipe",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-extensions",
            "--disable-sync",
            "--disable-breakpad",
            "--disable-domain-reliability",
            "--disable-client-side-phishing-detection",
            "--disable-features=Translate,OptimizationHints,MediaRouter,InterestFeedContentSuggestions,AutofillServerCommunication,CertificateTransparencyComponentUpdater",
            "--metrics-recording-only",
            "--mute-audio",
            "--hide-scrollbars",
            "--disable-dev-shm-usage",
            "--password-store=basic",
            "--use-mock-keychain",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        if is_root() {
            flags.push("--no-sandbox".to_owned());
        }
        flags.push(format!("--user-data-dir={}", profile.display()));
        flags.extend(extra.iter().cloned());
        flags.push("about:blank".to_owned());
        // fd 3 and 4 are the pipe: a shell maps them from stdin and stdout, then becomes the
        // browser (exec keeps the parent-death signal).
        let script = r#"exec "$0" "$@" 3<&0 4>&1 </dev/null >/dev/null"#;
        let setpriv = Path::new("/usr/bin/setpriv");
        let mut command = if setpriv.is_file() {
            let mut c = Command::new(setpriv);
            c.args(["--pdeathsig", "KILL", "--", "sh", "-c", script]);
            c
        } else {
            let mut c = Command::new("sh");
            c.args(["-c", script]);
            c
        };
        // Chromium's own temporary files (the singleton socket's folder, left in /tmp by a
        // browser killed rather than closed) go in the profile, removed with it.
        let _ = std::fs::create_dir_all(&profile);
        command
            .arg(chromium)
            .args(&flags)
            .env("TMPDIR", &profile)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        // Its own process group, so that Drop kills the renderers and helpers with it.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command.spawn().map_err(|e| {
            CdpError::Launch(format!("could not start {}: {e}", chromium.display()))
        })?;
        let (Some(input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            return Err(CdpError::Launch("no pipe to the browser".to_owned()));
        };
        let shared = Arc::new(Shared {
            waiters: Mutex::new(HashMap::new()),
            sessions: Mutex::new(HashMap::new()),
            closed: std::sync::atomic::AtomicBool::new(false),
        });
        let reader = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("heap-audit-cdp".to_owned())
            .spawn(move || read(BufReader::new(output), &reader))
            .map_err(|e| CdpError::Launch(format!("could not start a thread: {e}")))?;
        let mut browser = Browser {
            child,
            input: Mutex::new(input),
            next: AtomicU64::new(1),
            shared,
            profile,
            version: String::new(),
        };
        let version = browser
            .call(None, "Browser.getVersion", json!({}), Duration::from_secs(30))
            .map_err(|e| match e {
                CdpError::Closed | CdpError::Timeout { .. } => CdpError::Launch(format!(
                    "{} did not start (is it a Chromium? as root it needs --no-sandbox, which heap-audit passes): {e}",
                    chromium.display()
                )),
                e => e,
            })?;
        browser.version = version["product"].as_str().unwrap_or("Chromium").to_owned();
        Ok(browser)
    }

    /// Send a command and wait for its answer.
    pub fn call(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, CdpError> {
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = mpsc::channel();
        lock(&self.shared.waiters).insert(id, tx);
        if let Err(e) = self.send(id, session, method, params) {
            lock(&self.shared.waiters).remove(&id);
            return Err(e);
        }
        match rx.recv_timeout(timeout) {
            Ok(Ok(result)) => Ok(result),
            Ok(Err(message)) => Err(CdpError::Refused {
                method: method.to_owned(),
                message,
            }),
            Err(RecvTimeoutError::Timeout) => {
                lock(&self.shared.waiters).remove(&id);
                if self.shared.closed.load(Ordering::SeqCst) {
                    return Err(CdpError::Closed);
                }
                Err(CdpError::Timeout {
                    method: method.to_owned(),
                    seconds: timeout.as_secs(),
                })
            }
            Err(RecvTimeoutError::Disconnected) => Err(CdpError::Closed),
        }
    }

    /// Send a command and return at once: its answer arrives on the receiver. For commands whose
    /// answer waits on events the caller must handle meanwhile (a navigation waits for its
    /// request, which is paused until answered).
    pub fn start(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Receiver<Result<Value, String>>, CdpError> {
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = mpsc::channel();
        lock(&self.shared.waiters).insert(id, tx);
        if let Err(e) = self.send(id, session, method, params) {
            lock(&self.shared.waiters).remove(&id);
            return Err(e);
        }
        Ok(rx)
    }

    /// Send a command without waiting for its answer (answers to requests the page is paused
    /// on: nothing depends on them).
    pub fn post(&self, session: Option<&str>, method: &str, params: Value) -> Result<(), CdpError> {
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        self.send(id, session, method, params)
    }

    fn send(
        &self,
        id: u64,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<(), CdpError> {
        if self.shared.closed.load(Ordering::SeqCst) {
            return Err(CdpError::Closed);
        }
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = serde_json::to_vec(&message).map_err(|_| CdpError::Closed)?;
        bytes.push(0);
        let mut input = lock(&self.input);
        input.write_all(&bytes).map_err(|_| CdpError::Closed)?;
        input.flush().map_err(|_| CdpError::Closed)
    }

    /// Open a tab on `about:blank` and attach to it: its session id and the receiver of its
    /// events.
    pub fn open_tab(
        &self,
        timeout: Duration,
    ) -> Result<(String, String, Receiver<Event>), CdpError> {
        let target = self.call(
            None,
            "Target.createTarget",
            json!({"url": "about:blank"}),
            timeout,
        )?;
        let target = target["targetId"].as_str().unwrap_or_default().to_owned();
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
            timeout,
        )?;
        let session = attached["sessionId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let (tx, rx) = mpsc::channel();
        lock(&self.shared.sessions).insert(session.clone(), tx);
        Ok((target, session, rx))
    }

    /// Close a tab opened by [`Browser::open_tab`].
    pub fn close_tab(&self, target: &str, session: &str) {
        lock(&self.shared.sessions).remove(session);
        let _ = self.call(
            None,
            "Target.closeTarget",
            json!({"targetId": target}),
            Duration::from_secs(5),
        );
    }

    /// The browser's process id (its process group's too).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

static PROFILES: AtomicU64 = AtomicU64::new(0);

impl Drop for Browser {
    fn drop(&mut self) {
        // The whole group: the browser, its zygotes and renderers.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Read NUL-ended messages until the pipe closes: answers go to their waiter, events to their
/// session.
fn read(mut output: impl BufRead, shared: &Shared) {
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match output.read_until(0, &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if buf.last() == Some(&0) {
            buf.pop();
        }
        let Ok(message) = serde_json::from_slice::<Value>(&buf) else {
            continue;
        };
        if let Some(id) = message["id"].as_u64() {
            if let Some(waiter) = lock(&shared.waiters).remove(&id) {
                let answer = match message.get("error") {
                    Some(error) => Err(error["message"]
                        .as_str()
                        .unwrap_or("unknown error")
                        .to_owned()),
                    None => Ok(message["result"].clone()),
                };
                let _ = waiter.send(answer);
            }
        } else if let Some(method) = message["method"].as_str() {
            let Some(session) = message["sessionId"].as_str() else {
                continue;
            };
            let sessions = lock(&shared.sessions);
            if let Some(tx) = sessions.get(session) {
                let _ = tx.send(Event {
                    method: method.to_owned(),
                    params: message["params"].clone(),
                });
            }
        }
    }
    shared.closed.store(true, Ordering::SeqCst);
    // Wake every waiter: the answers will never come.
    lock(&shared.waiters).clear();
    lock(&shared.sessions).clear();
}

/// Wait for the next event, at most until `until`.
pub fn next_event(events: &Receiver<Event>, until: Instant) -> Result<Option<Event>, CdpError> {
    let left = until.saturating_duration_since(Instant::now());
    match events.recv_timeout(left) {
        Ok(event) => Ok(Some(event)),
        Err(RecvTimeoutError::Timeout) => Ok(None),
        Err(RecvTimeoutError::Disconnected) => Err(CdpError::Closed),
    }
}
