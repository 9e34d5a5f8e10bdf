//! Secrets stay secret: values given with `--header` (auth tokens, cookies) reach the site but
//! never appear in any report format, in any file written with `--report`, on standard error
//! (warnings, `--verbose` lines, error messages), whatever the pages and faults.
//!
//! The list of formats comes from the CLI definition itself, so a new format is covered the day
//! it is added.

mod common;

use clap::CommandFactory;
use common::{heap_audit, Server};
use heap_audit::cli::Cli;

const TOKEN: &str = "hdr-SECRET-7f3a91c4";
const COOKIE: &str = "ck-SECRET-55e2b0d8";

/// The values `scan --format` accepts, and whether `scan` has a given long flag.
fn scan_command() -> clap::Command {
    Cli::command()
        .find_subcommand("scan")
        .cloned()
        .expect("a scan subcommand")
}

fn formats() -> Vec<String> {
    scan_command()
        .get_arguments()
        .find(|a| a.get_long() == Some("format"))
        .expect("a --format option")
        .get_possible_values()
        .iter()
        .map(|v| v.get_name().to_owned())
        .collect()
}

fn has_flag(long: &str) -> bool {
    scan_command()
        .get_arguments()
        .any(|a| a.get_long() == Some(long))
}

fn assert_clean(what: &str, text: &str) {
    for secret in [TOKEN, COOKIE] {
        assert!(
            !text.contains(secret),
            "{what} shows a secret header value:\n{text}"
        );
    }
}

#[test]
fn header_values_never_appear_in_any_output() {
    let server = Server::site("shop");
    let formats = formats();
    assert!(formats.len() >= 4, "formats: {formats:?}");
    let dir = std::env::temp_dir().join(format!("heap-audit-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    for format in &formats {
        let mut args: Vec<String> = vec![
            "scan".into(),
            server.url("/"),
            // Faults, so error messages are part of what is checked.
            server.url("/__status/500"),
            server.url("/__redirect-loop/a"),
            "--format".into(),
            format.clone(),
            "--fail-on".into(),
            "never".into(),
            "--header".into(),
            format!("X-Test-Auth: Bearer {TOKEN}"),
            "--header".into(),
            format!("Cookie: session={COOKIE}"),
        ];
        args.extend(server.remaps());
        if has_flag("verbose") {
            args.push("--verbose".into());
        }
        let mut files = Vec::new();
        if has_flag("report") {
            for other in &formats {
                let path = dir.join(format!("{format}-report.{other}"));
                args.push("--report".into());
                args.push(format!("{other}={}", path.display()));
                files.push(path);
            }
        }
        let (code, stdout, stderr) = heap_audit(&args);
        assert_eq!(code, 0, "--format {format}: {stderr}");
        assert!(!stdout.trim().is_empty(), "--format {format} wrote nothing");
        assert_clean(&format!("--format {format} (stdout)"), &stdout);
        assert_clean(&format!("--format {format} (stderr)"), &stderr);
        for file in files {
            let text = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert_clean(&file.display().to_string(), &text);
        }
    }
    // The headers were sent: the secrets were there to leak.
    assert!(server.requests_for("[auth]") > 0);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_malformed_header_is_refused_without_echoing_it() {
    // A header typed without its colon is mostly the secret itself.
    let (code, stdout, stderr) = heap_audit(&[
        "scan",
        "http://127.0.0.1:9/",
        "--header",
        &format!("Authorization Bearer {TOKEN}"),
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--header"), "{stderr}");
    assert_clean("the usage error", &format!("{stdout}{stderr}"));
}
