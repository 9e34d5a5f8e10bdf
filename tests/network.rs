//! The network stack, against real servers on 127.0.0.1 (tests/common/net.rs) and the real
//! binary: proxies (environment, `--proxy`, NO_PROXY, CONNECT, credentials), trust (platform
//! store, SSL_CERT_FILE, SSL_CERT_DIR, `--ca-cert`, `--insecure`), HTTP/2 by ALPN and h2c-only
//! servers, content encodings, cookies, cut bodies, login walls and `--expect-app-id`.
//!
//! Every child starts from a clean environment for what these tests control: no proxy variable
//! and neither SSL_CERT_FILE nor SSL_CERT_DIR (CI machines set them); each test sets what it
//! means on its own command.

mod common;
#[path = "common/net.rs"]
mod net;

use std::process::Command;

use base64::Engine as _;
use clap::CommandFactory;
use common::{page, problems_of_kind, PROXY_VARS};
use heap_audit::cli::Cli;
use net::{
    heap_page, heap_snippet, sign_in_page, Coding, Pki, Proxy, Reply, Request, Site, TempDir,
};
use net::{HEAP_ID, VIA};
use serde_json::Value;

/// Variables every child is started without, besides the proxy variables.
const TRUST_VARS: &[&str] = &["SSL_CERT_FILE", "SSL_CERT_DIR"];

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| (*a).to_owned()).collect()
}

/// Run `heap-audit ARGS` with `env` set, in an environment without proxy or trust variables;
/// returns (exit code, stdout, stderr).
fn run(args: &[String], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_heap-audit"));
    for var in PROXY_VARS.iter().chain(TRUST_VARS) {
        command.env_remove(var);
    }
    command.env("NO_COLOR", "1").args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    let out = command.output().expect("run heap-audit");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

/// The arguments every scan here gets: nothing fetched beyond the targets, short timeouts, no
/// retries.
fn scan_args(format: &str, args: &[String]) -> Vec<String> {
    let mut all = strings(&[
        "scan",
        "--format",
        format,
        "--offline",
        "--timeout",
        "5",
        "--max-retries",
        "0",
    ]);
    all.extend_from_slice(args);
    all
}

/// `heap-audit scan --format json ARGS` with `env`; returns (exit code, report, stderr).
fn scan(args: &[String], env: &[(&str, &str)]) -> (i32, Value, String) {
    let (code, stdout, stderr) = run(&scan_args("json", args), env);
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (code, report, stderr)
}

/// The values `scan --format` accepts.
fn formats() -> Vec<String> {
    let scan = Cli::command()
        .find_subcommand("scan")
        .cloned()
        .expect("a scan subcommand");
    let formats: Vec<String> = scan
        .get_arguments()
        .find(|a| a.get_long() == Some("format"))
        .expect("a --format option")
        .get_possible_values()
        .iter()
        .map(|v| v.get_name().to_owned())
        .collect();
    assert!(formats.len() >= 7, "formats: {formats:?}");
    formats
}

/// The Heap app ids found on a page.
fn heap_ids(page: &Value) -> Vec<String> {
    page["installs"]
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|i| i["vendor"] == "heap")
        .map(|i| i["id"].as_str().unwrap_or("-").to_owned())
        .collect()
}

/// The page of a report fetched at a URL ending with `suffix`: its own URL, or where its
/// redirects led (a page is reported at the URL asked for, with the redirects it followed).
fn page_reached<'a>(report: &'a Value, suffix: &str) -> &'a Value {
    let ends = |v: &Value| v.as_str().is_some_and(|u| u.ends_with(suffix));
    report["pages"]
        .as_array()
        .and_then(|pages| {
            pages.iter().find(|p| {
                ends(&p["url"])
                    || p["redirects"]
                        .as_array()
                        .is_some_and(|r| r.last().is_some_and(ends))
            })
        })
        .unwrap_or_else(|| panic!("no page reached at {suffix}: {}", pretty(&report["pages"])))
}

/// Assert that the page reached at `suffix` was audited without error and carries the Heap
/// install.
fn assert_heap_found(report: &Value, suffix: &str) {
    let p = page_reached(report, suffix);
    assert_eq!(p["error"], Value::Null, "{suffix}: {p}");
    assert_eq!(heap_ids(p), [HEAP_ID], "{suffix}: {p}");
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap()
}

/// The messages of the problems of `kind` whose URL starts with `url`.
fn problem_messages(report: &Value, kind: &str, url: &str) -> Vec<String> {
    problems_of_kind(report, kind)
        .into_iter()
        .filter(|p| p["url"].as_str().is_some_and(|u| u.starts_with(url)))
        .map(|p| p["message"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn findings_of_rule<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .map(|a| a.iter().filter(|f| f["rule"] == rule).collect())
        .unwrap_or_default()
}

fn findings_of_severity<'a>(report: &'a Value, severity: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .map(|a| a.iter().filter(|f| f["severity"] == severity).collect())
        .unwrap_or_default()
}

/// Two pages with Heap: `/` linking to `/about`.
fn two_pages(req: &Request) -> Reply {
    match req.path() {
        "/" => Reply::html(heap_page("Home", &["/about"])),
        "/about" => Reply::html(heap_page("About", &[])),
        _ => Reply::not_found(),
    }
}

/// A port nobody listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

// ---------------------------------------------------------------------------------------------
// 1. Proxies

/// Every request the site received came through the proxy (it carries the proxy's `Via`).
fn assert_all_proxied(site: &Site) {
    let requests = site.requests();
    assert!(!requests.is_empty(), "the site was not reached");
    for request in &requests {
        assert_eq!(request.header("via"), Some(VIA), "not proxied: {request:?}");
    }
}

#[test]
fn proxy_variables_carry_plain_http_in_either_case() {
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        let site = Site::http(two_pages);
        let proxy = Proxy::start();
        let (code, report, stderr) = scan(&[site.url("/")], &[(var, &proxy.url())]);
        assert_eq!(code, 0, "{var}: {stderr}");
        assert_heap_found(&report, "/");
        assert_heap_found(&report, "/about");
        let lines = proxy.lines();
        for path in ["/", "/about"] {
            let line = format!("GET {} HTTP/1.1", site.url(path));
            assert!(lines.contains(&line), "{var}: no {line:?} in {lines:?}");
        }
        assert_all_proxied(&site);
    }
}

#[test]
fn proxy_flag_sends_every_request_through_the_proxy() {
    let site = Site::http(two_pages);
    let proxy = Proxy::start();
    let args = vec![site.url("/"), "--proxy".into(), proxy.url()];
    let (code, report, stderr) = scan(&args, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_heap_found(&report, "/about");
    let lines = proxy.lines();
    for path in ["/", "/about"] {
        let line = format!("GET {} HTTP/1.1", site.url(path));
        assert!(lines.contains(&line), "no {line:?} in {lines:?}");
    }
    assert_all_proxied(&site);
    // The flag wins over the environment's proxy (a dead port here).
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let (code, report, stderr) = scan(&args, &[("HTTP_PROXY", &dead)]);
    assert_eq!(code, 0, "--proxy beside HTTP_PROXY: {stderr}");
    assert_heap_found(&report, "/");
}

#[test]
fn proxy_config_key_sends_every_request_through_the_proxy() {
    let site = Site::http(two_pages);
    let proxy = Proxy::start();
    let dir = TempDir::new();
    let config = dir.write("heap-audit.toml", &format!("proxy = \"{}\"\n", proxy.url()));
    let args = vec![
        site.url("/"),
        "--config".into(),
        config.display().to_string(),
    ];
    let (code, report, stderr) = scan(&args, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_heap_found(&report, "/");
    let line = format!("GET {} HTTP/1.1", site.url("/"));
    assert!(proxy.lines().contains(&line), "{:?}", proxy.lines());
    assert_all_proxied(&site);
}

#[test]
fn no_proxy_bypasses_the_proxy_in_either_case() {
    // (the proxy given with --proxy rather than HTTP_PROXY, NO_PROXY's spelling and value)
    for (flag, var, value) in [
        (true, "NO_PROXY", "127.0.0.1"),
        (true, "no_proxy", "localhost,127.0.0.1"),
        (false, "NO_PROXY", "127.0.0.1"),
        (false, "no_proxy", "example.com,127.0.0.1"),
    ] {
        let what = format!("{} and {var}", if flag { "--proxy" } else { "HTTP_PROXY" });
        let site = Site::http(two_pages);
        let proxy = Proxy::start();
        let proxy_url = proxy.url();
        let mut args = vec![site.url("/")];
        let mut env = vec![(var, value)];
        if flag {
            args.extend(["--proxy".into(), proxy_url.clone()]);
        } else {
            env.push(("HTTP_PROXY", &proxy_url));
        }
        let (code, report, stderr) = scan(&args, &env);
        assert_eq!(code, 0, "{what}: {stderr}");
        assert_heap_found(&report, "/about");
        assert!(
            proxy.requests().is_empty(),
            "{what}: the proxy was used: {:?}",
            proxy.lines()
        );
        let requests = site.requests();
        assert!(!requests.is_empty(), "{what}: the site was not reached");
        assert!(
            requests.iter().all(|r| r.header("via").is_none()),
            "{what}: {requests:?}"
        );
    }
}

#[test]
fn https_goes_through_the_proxy_by_connect() {
    let pki = Pki::new();
    let site = Site::https(&pki, two_pages);
    for how in ["HTTPS_PROXY", "https_proxy", "--proxy"] {
        let proxy = Proxy::start();
        let mut args = vec![
            site.url("/"),
            "--ca-cert".into(),
            pki.ca_file().display().to_string(),
        ];
        let proxy_url = proxy.url();
        let mut env = Vec::new();
        if how == "--proxy" {
            args.extend(["--proxy".into(), proxy.url()]);
        } else {
            env.push((how, proxy_url.as_str()));
        }
        let (code, report, stderr) = scan(&args, &env);
        assert_eq!(code, 0, "{how}: {stderr}");
        assert_heap_found(&report, "/");
        assert_heap_found(&report, "/about");
        let lines = proxy.lines();
        let connect = format!("CONNECT {} HTTP/1.1", site.authority());
        assert!(
            lines.contains(&connect),
            "{how}: no {connect:?} in {lines:?}"
        );
        // Tunnelled: the proxy never saw a request in the clear.
        assert!(
            lines.iter().all(|l| l.starts_with("CONNECT ")),
            "{how}: {lines:?}"
        );
    }
    assert!(!site.requests_for("/about").is_empty());
}

#[test]
fn proxy_credentials_are_sent_but_never_shown() {
    const USER: &str = "proxy-user-5d1c";
    const PASSWORD: &str = "s3cret-PROXY-8e41a7";
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    let secrets = [PASSWORD, USER, basic.as_str()];

    let pki = Pki::new();
    // A page with another app id, so that every format has a finding to write, and a fault.
    let plain = Site::http(|req| match req.path() {
        "/" => Reply::html(heap_page("Home", &["/legacy", "/broken"])),
        "/legacy" => Reply::html(net::document(
            "Legacy",
            &[],
            "<p>The old shop.</p>",
            &heap_snippet("\"1535634150\""),
        )),
        "/broken" => Reply::status(500),
        _ => Reply::not_found(),
    });
    let tls = Site::https(&pki, two_pages);
    let proxy = Proxy::start();
    // Besides the two sites, an origin the proxy cannot reach (a 502 from the proxy).
    let unreachable = format!("http://127.0.0.1:{}/", closed_port());
    let with_credentials = proxy.url_with_credentials(USER, PASSWORD);
    let ca = pki.ca_file().display().to_string();
    let targets = vec![
        plain.url("/"),
        tls.url("/"),
        unreachable,
        "--ca-cert".into(),
        ca.clone(),
        "--verbose".into(),
        "--fail-on".into(),
        "never".into(),
    ];

    // Sent: as Proxy-Authorization on plain requests and on CONNECT.
    let mut args = targets.clone();
    args.extend(["--proxy".into(), with_credentials.clone()]);
    let (_, report, _) = scan(&args, &[]);
    assert_heap_found(&report, &plain.url("/"));
    assert_heap_found(&report, &tls.url("/"));
    let requests = proxy.requests();
    let expected = format!("Basic {basic}");
    for kind in ["GET http://", "CONNECT "] {
        let of_kind: Vec<_> = requests
            .iter()
            .filter(|r| r.line.starts_with(kind))
            .collect();
        assert!(!of_kind.is_empty(), "no {kind} request: {requests:?}");
        for request in of_kind {
            assert_eq!(
                request.authorization.as_deref(),
                Some(expected.as_str()),
                "{request:?}"
            );
        }
    }

    // Never shown: in any format, through --proxy or the environment, whether the proxy works
    // or cannot be reached at all.
    let with_flag = |proxy: &str| [targets.clone(), strings(&["--proxy", proxy])].concat();
    let dead_proxy = format!("http://{USER}:{PASSWORD}@127.0.0.1:{}", closed_port());
    let never_shown = |what: &str, args: &[String], env: &[(&str, &str)]| {
        for format in formats() {
            let (_, stdout, stderr) = run(&scan_args(&format, args), env);
            // A report is written even when nothing could be fetched (other formats, such as
            // GitHub's annotations, may have nothing to say then).
            if format == "json" {
                assert!(!stdout.trim().is_empty(), "{what}: no report: {stderr}");
            }
            for secret in secrets {
                assert!(
                    !stdout.contains(secret),
                    "{what}, --format {format}: stdout shows {secret}:\n{stdout}"
                );
                assert!(
                    !stderr.contains(secret),
                    "{what}, --format {format}: stderr shows {secret}:\n{stderr}"
                );
            }
        }
    };
    never_shown("--proxy", &with_flag(&with_credentials), &[]);
    never_shown(
        "HTTP_PROXY and HTTPS_PROXY",
        &targets,
        &[
            ("HTTP_PROXY", &with_credentials),
            ("HTTPS_PROXY", &with_credentials),
        ],
    );
    never_shown("--proxy, unreachable", &with_flag(&dead_proxy), &[]);
    never_shown(
        "ALL_PROXY, unreachable",
        &targets,
        &[("ALL_PROXY", &dead_proxy)],
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Trust

#[test]
fn an_untrusted_certificate_fails_naming_the_problem() {
    let pki = Pki::new();
    let site = Site::https(&pki, two_pages);
    let (code, report, stderr) = scan(&[site.url("/")], &[]);
    assert_eq!(code, 2, "the start page could not be audited: {stderr}");
    assert!(site.requests().is_empty(), "{:?}", site.requests());
    let problems: Vec<&Value> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["url"] == site.url("/").as_str())
        .collect();
    assert!(!problems.is_empty(), "{}", pretty(&report));
    let error = page(&report, &site.url("/"))["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for message in problems
        .iter()
        .map(|p| p["message"].as_str().unwrap_or_default())
        .chain([error.as_str()])
    {
        let lower = message.to_lowercase();
        assert!(
            lower.contains("certificate") && (lower.contains("issuer") || lower.contains("trust")),
            "the message does not name the certificate problem: {message}"
        );
        // Named for a person, not as the TLS library's chain of errors.
        assert!(
            message.contains("TLS: unknown certificate authority")
                && !message.contains("client error"),
            "{message}"
        );
    }
}

#[test]
fn a_refused_connection_is_named_for_a_person() {
    // A port nothing listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let url = format!("http://127.0.0.1:{port}/");
    let (code, report, stderr) = scan(std::slice::from_ref(&url), &[]);
    assert_eq!(code, 2, "{stderr}");
    let message = page(&report, &url)["error"].as_str().unwrap_or_default();
    assert_eq!(message, "connection refused: nothing listens on that port");
    assert!(!stderr.contains("tcp connect error"), "{stderr}");
}

/// Audit the TLS site with `args` and `env` (the CA is trusted some way): the pages are found.
fn assert_trusted(pki: &Pki, args: &[String], env: &[(&str, &str)], how: &str) {
    let site = Site::https(pki, two_pages);
    let mut all = vec![site.url("/")];
    all.extend_from_slice(args);
    let (code, report, stderr) = scan(&all, env);
    assert_eq!(code, 0, "{how}: {stderr}\n{}", pretty(&report["problems"]));
    assert_heap_found(&report, &site.url("/"));
    assert_heap_found(&report, &site.url("/about"));
    assert!(problems_of_kind(&report, "insecure-tls").is_empty());
    assert_eq!(site.requests_for("/").len(), 1, "{how}");
}

#[test]
fn ssl_cert_file_is_trusted() {
    let pki = Pki::new();
    let ca = pki.ca_file().display().to_string();
    assert_trusted(&pki, &[], &[("SSL_CERT_FILE", &ca)], "SSL_CERT_FILE");
}

#[test]
fn ssl_cert_dir_is_trusted() {
    let pki = Pki::new();
    let dir = pki.ca_dir().display().to_string();
    assert_trusted(&pki, &[], &[("SSL_CERT_DIR", &dir)], "SSL_CERT_DIR");
}

#[test]
fn ca_cert_flag_is_trusted_and_repeatable() {
    let pki = Pki::new();
    let ca = pki.ca_file().display().to_string();
    assert_trusted(&pki, &strings(&["--ca-cert", &ca]), &[], "--ca-cert");
    // A second CA (another test's) beside ours.
    let other = Pki::new();
    let other_ca = other.ca_file().display().to_string();
    assert_trusted(
        &pki,
        &strings(&["--ca-cert", &other_ca, "--ca-cert", &ca]),
        &[],
        "--ca-cert twice",
    );
}

#[test]
fn ca_cert_config_key_is_trusted() {
    let pki = Pki::new();
    let ca = pki.ca_file().display().to_string();
    let dir = TempDir::new();
    let config = dir.write("heap-audit.toml", &format!("ca_cert = [{ca:?}]\n"));
    assert_trusted(
        &pki,
        &strings(&["--config", &config.display().to_string()]),
        &[],
        "ca_cert in the config file",
    );
}

#[test]
fn insecure_accepts_any_certificate_and_every_format_says_so() {
    let pki = Pki::new();
    let site = Site::https(&pki, two_pages);
    let args = vec![site.url("/"), "--insecure".into()];
    let (code, report, stderr) = scan(&args, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_heap_found(&report, &site.url("/"));
    assert_heap_found(&report, &site.url("/about"));
    let warnings = problems_of_kind(&report, "insecure-tls");
    assert!(!warnings.is_empty(), "{}", pretty(&report["problems"]));
    for format in formats() {
        let (code, stdout, stderr) = run(&scan_args(&format, &args), &[]);
        assert_eq!(code, 0, "--format {format}: {stderr}");
        assert!(
            stdout.contains("--insecure"),
            "--format {format} does not warn of --insecure:\n{stdout}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 3. HTTP/2

#[test]
fn http2_by_alpn_over_tls_is_audited() {
    let pki = Pki::new();
    let site = Site::https_h2(&pki, two_pages);
    let ca = pki.ca_file().display().to_string();
    let (code, report, stderr) = scan(&strings(&[&site.url("/"), "--ca-cert", &ca]), &[]);
    assert_eq!(code, 0, "{stderr}\n{}", pretty(&report["problems"]));
    assert_heap_found(&report, &site.url("/"));
    assert_heap_found(&report, &site.url("/about"));
    let home = site.requests_for("/");
    assert_eq!(home.len(), 1, "{:?}", site.requests());
    assert_eq!(home[0].version, "HTTP/2");
}

#[test]
fn an_h2c_only_server_is_named_http2_without_raw_bytes() {
    let site = Site::h2c(|req| match req.path() {
        "/" => Reply::html(heap_page("Home", &[])),
        _ => Reply::not_found(),
    });
    let (code, report, stderr) = scan(&[site.url("/")], &[]);
    assert_eq!(code, 2, "the start page could not be audited: {stderr}");
    let refused = site.refused();
    assert!(
        refused.iter().any(|l| l.starts_with("GET / HTTP/1.1")),
        "the server was not asked in HTTP/1.1: {refused:?}"
    );
    let url = site.url("/");
    let mut messages: Vec<String> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["url"] == url.as_str())
        .map(|p| p["message"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(!messages.is_empty(), "{}", pretty(&report));
    messages.push(page(&report, &url)["error"].as_str().unwrap_or("").into());
    for message in &messages {
        assert!(message.contains("HTTP/2"), "{message:?}");
        // Neither the frames' bytes themselves, nor a dump of them (`[0, 0, 0, 4, …]`, `\x00`).
        assert!(
            !message
                .chars()
                .any(|c| c.is_control() || c == char::REPLACEMENT_CHARACTER)
                && !message.contains("0, 0, 0")
                && !message.contains("\\x00")
                && !message.contains("\\0"),
            "raw bytes in {message:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Content encodings

/// A page sent in `coding` (whatever the request accepts) is decoded and audited.
fn assert_decoded(coding: Coding) {
    let site = Site::http(move |req| match req.path() {
        "/" => Reply::html(heap_page("Home", &[])).encoded(coding),
        _ => Reply::not_found(),
    });
    let name = coding.name();
    let (code, report, stderr) = scan(&[site.url("/")], &[]);
    assert_eq!(code, 0, "{name}: {stderr}\n{}", pretty(&report["problems"]));
    assert_heap_found(&report, "/");
    assert!(
        problems_of_kind(&report, "corrupt-body").is_empty(),
        "{name}: {}",
        pretty(&report["problems"])
    );
    let home = site.requests_for("/");
    let accepted = home[0].header("accept-encoding").unwrap_or_default();
    assert!(
        accepted.split(',').any(|c| c.trim() == name),
        "{name} is not in Accept-Encoding: {accepted:?}"
    );
}

#[test]
fn gzip_body_is_decoded() {
    assert_decoded(Coding::Gzip);
}

#[test]
fn deflate_body_is_decoded() {
    assert_decoded(Coding::Deflate);
}

#[test]
fn brotli_body_is_decoded() {
    assert_decoded(Coding::Br);
}

#[test]
fn zstd_body_is_decoded() {
    assert_decoded(Coding::Zstd);
}

// ---------------------------------------------------------------------------------------------
// 5. Cookies

/// `/` sets `session=abc` and redirects to `/home`, which is the real page only for a session.
fn cookie_site() -> Site {
    Site::http(|req| match req.path() {
        "/" => Reply::redirect("/home").header("Set-Cookie", "session=abc; Path=/; HttpOnly"),
        "/home" if req.cookie("session").is_some() => Reply::html(heap_page("Home", &[])),
        "/home" => Reply::status(403),
        _ => Reply::not_found(),
    })
}

#[test]
fn a_cookie_set_on_a_redirect_is_sent_back() {
    let site = cookie_site();
    let (code, report, stderr) = scan(&[site.url("/")], &[]);
    assert_eq!(code, 0, "{stderr}\n{}", pretty(&report["problems"]));
    assert_heap_found(&report, "/home");
    let home = site.requests_for("/home");
    assert!(!home.is_empty(), "{:?}", site.requests());
    assert_eq!(
        home[0].cookie("session").as_deref(),
        Some("abc"),
        "{home:?}"
    );
}

#[test]
fn an_explicit_cookie_header_wins_over_the_store() {
    let site = cookie_site();
    let args = vec![
        site.url("/"),
        "--header".into(),
        "Cookie: session=xyz".into(),
    ];
    let (code, report, stderr) = scan(&args, &[]);
    assert_eq!(code, 0, "{stderr}\n{}", pretty(&report["problems"]));
    assert_heap_found(&report, "/home");
    let home = site.requests_for("/home");
    assert!(!home.is_empty(), "{:?}", site.requests());
    for request in &home {
        let cookies = request.cookies();
        assert!(cookies.contains(&"session=xyz".to_owned()), "{cookies:?}");
        assert!(
            !cookies.contains(&"session=abc".to_owned()),
            "the store's cookie was sent too: {cookies:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Cut bodies

/// A two-page site whose `/catalogue` is sent by `cut`, its body stopping halfway to its Heap
/// snippet: the cut is a problem with the page's URL, the page says it is incomplete, and no rule
/// judges the Heap install it never saw.
fn assert_cut_reported(what: &str, cut: fn(Reply, usize) -> Reply) {
    let site = Site::http(move |req| match req.path() {
        "/" => Reply::html(heap_page("Home", &["/catalogue"])),
        "/catalogue" => {
            let body = heap_page("Catalogue", &[]);
            let half = net::snippet_offset(&body) / 2;
            cut(Reply::html(body), half)
        }
        _ => Reply::not_found(),
    });
    let (code, report, stderr) = scan(&[site.url("/")], &[]);
    let problems = pretty(&report["problems"]);
    assert_eq!(code, 0, "{what}: the start page was audited: {stderr}");
    assert!(!site.requests_for("/catalogue").is_empty(), "{what}");
    assert_heap_found(&report, "/");
    let url = site.url("/catalogue");
    let incomplete = problem_messages(&report, "incomplete-body", &url);
    assert!(
        incomplete.iter().any(|m| !m.is_empty()),
        "{what}: no incomplete-body problem for {url}: {problems}"
    );
    let catalogue = page(&report, "/catalogue");
    assert_eq!(catalogue["incomplete"], true, "{what}: {catalogue}");
    assert!(heap_ids(catalogue).is_empty(), "{what}: {catalogue}");
    let missing = findings_of_rule(&report, "heap-missing-on-some-pages");
    assert!(
        missing.is_empty(),
        "{what}: a page cut before its snippet is judged: {}",
        serde_json::to_string_pretty(&missing).unwrap()
    );
}

#[test]
fn a_chunk_cut_in_the_middle_is_an_incomplete_body() {
    assert_cut_reported("cut chunk", Reply::cut_chunk);
}

#[test]
fn a_short_content_length_is_an_incomplete_body() {
    assert_cut_reported("short Content-Length", Reply::short_length);
}

#[test]
fn a_reset_mid_body_is_an_incomplete_body() {
    assert_cut_reported("reset", Reply::reset_after);
}

// ---------------------------------------------------------------------------------------------
// 7. Login walls

/// A start URL that ends on a login wall: an `auth-required` problem whose URL is where it ended
/// (`ended_on`), exit 2; the sign-in page, when there is one, is audited.
fn assert_login_wall(what: &str, site: &Site, ended_on: &str, sign_in_audited: bool) {
    let (code, report, stderr) = scan(&[site.url("/")], &[]);
    let problems = pretty(&report["problems"]);
    assert_eq!(
        code, 2,
        "{what}: nothing behind the wall was audited: {stderr}"
    );
    let walls = problems_of_kind(&report, "auth-required");
    assert_eq!(walls.len(), 1, "{what}: {problems}");
    let url = walls[0]["url"].as_str().unwrap_or_default();
    assert!(
        url.starts_with(&site.url(ended_on)),
        "{what}: auth-required at {url}, not {ended_on}: {problems}"
    );
    assert!(!walls[0]["message"].as_str().unwrap_or("").is_empty());
    if sign_in_audited {
        assert_heap_found(&report, url);
    }
}

#[test]
fn a_redirect_to_a_login_path_is_auth_required() {
    let site = Site::http(|req| match req.path() {
        "/" => Reply::redirect("/login?next=%2F"),
        "/login" => Reply::html(sign_in_page("Sign in")),
        _ => Reply::redirect("/login"),
    });
    assert_login_wall("/login", &site, "/login", true);
    assert!(
        !site.requests_for("/login").is_empty(),
        "{:?}",
        site.requests()
    );
}

#[test]
fn a_redirect_to_a_password_form_is_auth_required() {
    // No login word in the path: the page is a sign-in form.
    let site = Site::http(|req| match req.path() {
        "/" => Reply::redirect("/welcome"),
        "/welcome" => Reply::html(sign_in_page("Welcome back")),
        _ => Reply::redirect("/welcome"),
    });
    assert_login_wall("password form", &site, "/welcome", true);
}

#[test]
fn status_401_is_auth_required() {
    let site =
        Site::http(|_| Reply::status(401).header("WWW-Authenticate", "Basic realm=\"staging\""));
    assert_login_wall("401", &site, "/", false);
}

#[test]
fn status_403_is_auth_required() {
    let site = Site::http(|_| Reply::status(403));
    assert_login_wall("403", &site, "/", false);
}

// ---------------------------------------------------------------------------------------------
// 8. --expect-app-id

#[test]
fn expect_app_id_fails_when_no_page_has_heap() {
    let site = Site::http(|req| match req.path() {
        "/" => Reply::html(net::document(
            "Home",
            &["/about"],
            "<p>No analytics.</p>",
            "",
        )),
        "/about" => Reply::html(net::document("About", &[], "<p>Still none.</p>", "")),
        _ => Reply::not_found(),
    });
    let args = vec![site.url("/"), "--expect-app-id".into(), HEAP_ID.into()];
    let (code, report, stderr) = scan(&args, &[]);
    assert_eq!(code, 1, "{stderr}\n{}", pretty(&report["findings"]));
    assert!(heap_ids(page(&report, "/about")).is_empty());
    let errors = findings_of_severity(&report, "error");
    assert!(
        errors.iter().any(|f| {
            let message = f["message"].as_str().unwrap_or("");
            message.contains(HEAP_ID) || message.contains("expect-app-id")
        }),
        "no error finding names the expected app id: {}",
        pretty(&report["findings"])
    );
}

#[test]
fn expect_app_id_warns_unverified_when_only_unknown_ids() {
    let site = Site::http(|req| match req.path() {
        "/" => Reply::html(net::document(
            "Home",
            &[],
            "<p>The app id comes from the page's settings.</p>",
            &heap_snippet("window.HEAP_APP_ID"),
        )),
        _ => Reply::not_found(),
    });
    let args = vec![site.url("/"), "--expect-app-id".into(), HEAP_ID.into()];
    let (code, report, stderr) = scan(&args, &[]);
    let findings = pretty(&report["findings"]);
    assert_eq!(code, 0, "{stderr}\n{findings}");
    let home = page(&report, "/");
    assert_eq!(
        heap_ids(home),
        ["-"],
        "one Heap install, id unknown: {home}"
    );
    assert!(
        findings_of_severity(&report, "error").is_empty(),
        "{findings}"
    );
    assert!(
        findings_of_severity(&report, "warning")
            .iter()
            .any(|f| f["message"].as_str().unwrap_or("").contains("unverified")),
        "no warning says the app id is unverified: {findings}"
    );
}
