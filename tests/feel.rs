//! How the tool feels on a terminal and in pipes: the progress line (on a terminal only, not in
//! CI, not with --no-progress or --quiet), --quiet, --verbose, colour and NO_COLOR, shell
//! completions and the man page.
//!
//! Terminal cases run the binary under util-linux `script`, which gives it a pseudo-terminal.

mod common;

use std::process::Command;

use common::{fixtures, heap_audit, Server};

fn folder(name: &str) -> String {
    fixtures()
        .join("sites")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Text the progress line always contains, and nothing else prints.
const PROGRESS: &str = " queued · ";

/// Run the binary on a pseudo-terminal (stdout and stderr both), with `env` set and `CI` and
/// `NO_COLOR` unset unless given; returns everything it wrote.
fn on_terminal(args: &[&str], env: &[(&str, &str)]) -> String {
    let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_heap-audit"))
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect();
    let mut command = Command::new("script");
    command
        .args(["-qec", &quoted.join(" "), "/dev/null"])
        .env_remove("CI")
        .env_remove("NO_COLOR");
    for (name, value) in env {
        command.env(name, value);
    }
    let out = command
        .output()
        .expect("util-linux `script` runs the binary on a pseudo-terminal");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_progress_line_shows_on_a_terminal_only() {
    let args = ["scan", &folder("shop"), "--offline", "--format", "json"];
    let shown = on_terminal(&args, &[]);
    assert!(shown.contains(PROGRESS), "{shown}");
    // indicatif rewrites the line in place: back to its start, erase it, draw it again.
    assert!(
        shown.contains("\r\x1b[2Kheap-audit: "),
        "rewritten in place: {shown:?}"
    );

    for (why, output) in [
        ("CI set", on_terminal(&args, &[("CI", "true")])),
        (
            "--no-progress",
            on_terminal(&[&args[..], &["--no-progress"]].concat(), &[]),
        ),
        (
            "--quiet",
            on_terminal(&[&args[..], &["--quiet"]].concat(), &[]),
        ),
    ] {
        assert!(!output.contains(PROGRESS), "{why}: {output}");
        assert!(
            output.contains("\"schema_version\""),
            "{why}: the report is still there"
        );
    }

    // Piped (stderr captured): no progress and no carriage returns at all.
    let (_, stdout, stderr) = heap_audit(&args);
    assert!(
        !stderr.contains(PROGRESS) && !stderr.contains('\r'),
        "{stderr:?}"
    );
    assert!(stdout.contains("\"schema_version\""));
}

#[test]
fn no_color_is_honoured_on_a_terminal() {
    let args = ["scan", &folder("shop"), "--offline", "--fail-on", "never"];
    let coloured = on_terminal(&args, &[]);
    assert!(
        coloured.contains("\x1b[1m"),
        "auto colours a terminal: {coloured}"
    );
    // Colour is a Select Graphic Rendition sequence (`ESC [ … m`); the progress line's cursor
    // movements (`ESC [ 2K`) are not colour, and stay.
    let sgr = regex::Regex::new(r"\x1b\[[0-9;]*m").unwrap();
    for output in [
        on_terminal(&args, &[("NO_COLOR", "1")]),
        on_terminal(&[&args[..], &["--color", "never"]].concat(), &[]),
    ] {
        assert!(!sgr.is_match(&output), "{output:?}");
        assert!(output.contains(PROGRESS), "the progress line has no colour");
    }
    let (_, forced, _) = heap_audit(&[&args[..], &["--color", "always"]].concat());
    assert!(forced.contains("\x1b[1m"), "always colours even a pipe");
}

#[test]
fn quiet_prints_the_report_only() {
    let args = ["scan", &folder("clean"), "/no/such/folder", "--offline"];
    let (code, stdout, stderr) = heap_audit(&args);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("warning: /no/such/folder"), "{stderr}");
    let (code, quiet_stdout, quiet_stderr) = heap_audit(&[&args[..], &["--quiet"]].concat());
    assert_eq!(code, 0);
    assert_eq!(quiet_stderr, "", "no warnings with --quiet");
    assert_eq!(quiet_stdout, stdout, "the same report");

    // When nothing could be audited, the reason is still given.
    let (code, _, stderr) = heap_audit(&["scan", "/no/such/folder", "--quiet"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("/no/such/folder"), "{stderr}");
}

#[test]
fn verbose_lists_each_page_fetched_or_failed() {
    let site = Server::site("clean");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let down = format!(
        "http://127.0.0.1:{}/",
        listener.local_addr().expect("addr").port()
    );
    drop(listener);
    let mut args = vec![
        "scan".to_owned(),
        site.url("/"),
        down.clone(),
        "--verbose".into(),
    ];
    args.extend(site.remaps());
    args.extend(["--format".into(), "json".into()]);
    let (_, stdout, stderr) = heap_audit(&args);
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    let pages = report["pages"].as_array().expect("pages");
    assert!(pages.len() >= 3, "{stdout}");
    for page in pages {
        let url = page["url"].as_str().expect("url");
        if url == down {
            assert!(stderr.contains(&format!("failed {down}: ")), "{stderr}");
        } else {
            assert!(
                stderr.contains(&format!("fetched 200 {url}\n")),
                "{url}: {stderr}"
            );
        }
    }
    let (_, _, plain) = heap_audit(&args[..args.len() - 3]);
    assert!(!plain.contains("fetched"), "only with --verbose: {plain}");
}

#[test]
fn completions_and_man_pages_come_from_the_cli() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, script, stderr) = heap_audit(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {stderr}");
        for word in ["scan", "explain", "targets-from", "fail-on"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let (code, _, stderr) = heap_audit(&["completions", "tcsh"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("tcsh"), "{stderr}");

    let (code, page, _) = heap_audit(&["man"]);
    assert_eq!(code, 0);
    assert!(page.contains(".TH heap-audit 1"), "{page}");
    for sub in ["scan", "rules", "explain", "completions"] {
        assert!(page.contains(sub), "the man page lists {sub}");
    }
    let (code, page, _) = heap_audit(&["man", "scan"]);
    assert_eq!(code, 0);
    assert!(page.contains(".TH heap-audit-scan 1"), "{page}");
    for option in [
        r"\-\-targets\-from",
        r"\-\-shard",
        r"\-\-quiet",
        r"\-\-max\-pages",
    ] {
        assert!(page.contains(option), "heap-audit-scan(1) lacks {option}");
    }
    let (code, _, stderr) = heap_audit(&["man", "nope"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("'nope'"), "{stderr}");
}

#[test]
fn a_run_that_audits_nothing_prints_its_error_once_and_no_empty_report() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let url = format!("http://127.0.0.1:{port}/");
    let (code, stdout, stderr) = heap_audit(&["scan", &url]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stdout, "", "no empty human report");
    assert_eq!(
        stderr.matches("connection refused").count(),
        1,
        "the error once: {stderr}"
    );
    // A machine format still writes a valid report that carries the problem.
    let (code, stdout, _) = heap_audit(&["scan", &url, "--format", "json"]);
    assert_eq!(code, 2);
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("a JSON report");
    assert_eq!(report["problems"][0]["kind"], "unreachable");
    // Counts that mean what they say: the start page failed to load, nothing was audited.
    assert_eq!(
        report["summary"]["pages_audited"], 0,
        "{}",
        report["summary"]
    );
    assert_eq!(report["summary"]["pages_failed"], 1);
    // The Markdown summary says it in words.
    let (_, markdown, _) = heap_audit(&["scan", &url, "--format", "markdown"]);
    assert!(!markdown.contains("1 page audited"), "{markdown}");
}
