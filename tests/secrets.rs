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
    assert_hides(&[TOKEN, COOKIE], what, text);
}

fn assert_hides(secrets: &[&str], what: &str, text: &str) {
    for secret in secrets {
        assert!(!text.contains(secret), "{what} shows a secret:\n{text}");
    }
}

/// Run `scan` with `args` in every format (each run also writing every format with `--report`,
/// and `--verbose`) and check that no output shows any of `secrets`.
fn every_output_hides(secrets: &[&str], args: &[String]) {
    let formats = formats();
    assert!(formats.len() >= 4, "formats: {formats:?}");
    // Tests run at once: each its own folder.
    let dir = std::env::temp_dir().join(format!(
        "heap-audit-secrets-{}-{}",
        std::process::id(),
        secrets[0]
    ));
    std::fs::create_dir_all(&dir).unwrap();
    for format in &formats {
        let mut args: Vec<String> = [&["scan".to_owned()], args].concat();
        args.extend(["--format".into(), format.clone()]);
        args.extend(["--fail-on".into(), "never".into()]);
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
        assert_hides(secrets, &format!("--format {format} (stdout)"), &stdout);
        assert_hides(secrets, &format!("--format {format} (stderr)"), &stderr);
        for file in files {
            let text = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert_hides(secrets, &file.display().to_string(), &text);
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn header_values_never_appear_in_any_output() {
    let server = Server::site("shop");
    let mut args: Vec<String> = vec![
        server.url("/"),
        // Faults, so error messages are part of what is checked.
        server.url("/__status/500"),
        server.url("/__redirect-loop/a"),
        "--header".into(),
        format!("X-Test-Auth: Bearer {TOKEN}"),
        "--header".into(),
        format!("Cookie: session={COOKIE}"),
    ];
    args.extend(server.remaps());
    every_output_hides(&[TOKEN, COOKIE], &args);
    // The headers were sent: the secrets were there to leak.
    assert!(server.requests_for("[auth]") > 0);
}

#[test]
fn credentials_in_target_urls_are_sent_but_never_shown() {
    // A staging site behind basic auth, written the way browsers and curl take it.
    const PASSWORD: &str = "url-SECRET-91d3e2a7";
    let server = Server::site("shop");
    let with_credentials =
        |path: &str| format!("http://qa-bot:{PASSWORD}@127.0.0.1:{}{path}", server.port);
    // GTM and Segment are another site (another port): they must not get the credentials, nor
    // must a site the target redirects to.
    let vendor = Server::site("shop");
    let elsewhere = vendor
        .url("/pricing.html")
        .replace(':', "%3A")
        .replace('/', "%2F");
    let mut args = vec![
        with_credentials("/"),
        with_credentials("/__status/500"),
        with_credentials("/__redirect-loop/a"),
        with_credentials(&format!("/__redirect-to/{elsewhere}")),
    ];
    args.extend(vendor.remaps());
    every_output_hides(&[PASSWORD, "qa-bot"], &args);
    // Sent as Basic auth (base64 of qa-bot:PASSWORD) to every page of the site, and nowhere else.
    let basic = "[basic cWEtYm90OnVybC1TRUNSRVQtOTFkM2UyYTc=]";
    let log = server.log.lock().unwrap().clone();
    assert!(
        log.iter()
            .any(|l| l.starts_with("/pricing.html") && l.ends_with(basic)),
        "{log:?}"
    );
    let elsewhere = vendor.log.lock().unwrap().clone();
    assert!(vendor.requests_for("gtm.js") > 0, "{elsewhere:?}");
    assert!(vendor.requests_for("/pricing.html") > 0, "{elsewhere:?}");
    assert!(
        !elsewhere.iter().any(|l| l.contains("[basic")),
        "{elsewhere:?}"
    );
    // The report names the targets without the user info.
    let (_, report, _) = common::scan_json(&args);
    assert_eq!(report["targets"][0], server.url("/").as_str());
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

    // A value the HTTP client would refuse (and quote in its error): refused up front.
    let (code, stdout, stderr) = heap_audit(&[
        "scan",
        "http://127.0.0.1:9/",
        "--header",
        &format!("X-Test-Auth: {TOKEN}-caf\u{e9}"),
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not ASCII"), "{stderr}");
    assert_clean("the non-ASCII header error", &format!("{stdout}{stderr}"));
}

/// Run heap-audit with an extra environment variable.
fn heap_audit_env(args: &[String], var: (&str, &str)) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        .args(args)
        .env("NO_COLOR", "1")
        .env(var.0, var.1)
        .output()
        .expect("run heap-audit");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn headers_from_the_config_file_and_the_environment_stay_secret() {
    let server = Server::site("shop");
    let dir = std::env::temp_dir().join(format!("heap-audit-secrets-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("heap-audit.toml");
    std::fs::write(
        &config,
        "header = [\"X-Test-Auth: Bearer ${HEAP_AUDIT_SECRET_TOKEN}\"]\nfail_on = \"never\"\n",
    )
    .unwrap();
    let var = ("HEAP_AUDIT_SECRET_TOKEN", TOKEN);
    for format in formats() {
        let mut args: Vec<String> = vec![
            "scan".into(),
            server.url("/"),
            server.url("/__status/500"),
            "--config".into(),
            config.display().to_string(),
            "--format".into(),
            format.clone(),
            "--verbose".into(),
        ];
        args.extend(server.remaps());
        let (code, stdout, stderr) = heap_audit_env(&args, var);
        assert_eq!(code, 0, "--format {format}: {stderr}");
        assert_clean(
            &format!("config header, --format {format} (stdout)"),
            &stdout,
        );
        assert_clean(
            &format!("config header, --format {format} (stderr)"),
            &stderr,
        );
    }
    assert!(server.requests_for("[auth]") > 0, "the header was not sent");

    // A batch: one JSONL line per site, the same header.
    let list = dir.join("targets.txt");
    std::fs::write(
        &list,
        format!("{}\n{}\n", server.url("/"), "http://127.0.0.1:9/"),
    )
    .unwrap();
    let mut args: Vec<String> = vec![
        "scan".into(),
        "--targets-from".into(),
        list.display().to_string(),
        "--config".into(),
        config.display().to_string(),
        "--format".into(),
        "jsonl".into(),
    ];
    args.extend(server.remaps());
    let (code, stdout, stderr) = heap_audit_env(&args, var);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert_clean("batch (stdout)", &stdout);
    assert_clean("batch (stderr)", &stderr);

    // A variable holding a byte the HTTP client would refuse: refused, the value not shown.
    std::fs::write(
        &config,
        "header = [\"X-Test-Auth: ${HEAP_AUDIT_SECRET_TOKEN}\"]\n",
    )
    .unwrap();
    let args: Vec<String> = vec![
        "scan".into(),
        server.url("/"),
        "--config".into(),
        config.display().to_string(),
    ];
    let accented = format!("{TOKEN}\u{20ac}");
    let (code, stdout, stderr) = heap_audit_env(&args, ("HEAP_AUDIT_SECRET_TOKEN", &accented));
    assert_eq!(code, 2, "{stderr}");
    assert_clean(
        "a non-ASCII header from the environment",
        &format!("{stdout}{stderr}"),
    );

    // A header that is malformed once substituted: refused, the value not shown.
    std::fs::write(&config, "header = [\"${HEAP_AUDIT_SECRET_TOKEN}\"]\n").unwrap();
    let args: Vec<String> = vec![
        "scan".into(),
        server.url("/"),
        "--config".into(),
        config.display().to_string(),
    ];
    let (code, stdout, stderr) = heap_audit_env(&args, var);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("header"), "{stderr}");
    assert_clean(
        "a malformed header from the environment",
        &format!("{stdout}{stderr}"),
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Run `init` with `args` (writing to `out`): the file it wrote, which must hold the shop's id
/// (its Segment settings' Heap destination), and what it printed.
fn run_init(args: &[String], out: &std::path::Path) -> (String, String) {
    let (code, stdout, stderr) = heap_audit(args);
    assert_eq!(code, 0, "{stderr}");
    let written = std::fs::read_to_string(out).unwrap();
    assert!(
        written.contains("heap_app_id = \"2682025610\""),
        "init found the shop's id: {written}"
    );
    (written, format!("{stdout}{stderr}"))
}

#[test]
fn init_sends_headers_but_never_writes_or_echoes_them() {
    let server = Server::site("shop");
    let dir = std::env::temp_dir().join(format!("heap-audit-secrets-init-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("heap-audit.toml");
    let mut args: Vec<String> = vec![
        "init".into(),
        server.url("/"),
        "--output".into(),
        out.display().to_string(),
        "--header".into(),
        format!("X-Test-Auth: Bearer {TOKEN}"),
    ];
    args.extend(server.remaps());
    let (written, printed) = run_init(&args, &out);
    assert_clean("init's file", &written);
    assert_clean("init's output", &printed);
    assert!(server.requests_for("[auth]") > 0, "the header was not sent");

    // Credentials in the URL: used for the scan, not written, not echoed.
    const PASSWORD: &str = "init-SECRET-3e8d21f0";
    let mut args: Vec<String> = vec![
        "init".into(),
        format!("http://ops:{PASSWORD}@127.0.0.1:{}/", server.port),
        "--output".into(),
        out.display().to_string(),
        "--force".into(),
    ];
    args.extend(server.remaps());
    let (written, printed) = run_init(&args, &out);
    assert!(written.contains(&server.url("/")), "{written}");
    assert_hides(&[PASSWORD, "ops:"], "init's file", &written);
    assert_hides(&[PASSWORD], "init's output", &printed);
    assert!(
        server.requests_for("[basic ") > 0,
        "the credentials were not sent"
    );

    let (code, stdout, stderr) = heap_audit(&[
        "init",
        "http://127.0.0.1:9/",
        "--header",
        &format!("Authorization Bearer {TOKEN}"),
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--header"), "{stderr}");
    assert_clean("init's usage error", &format!("{stdout}{stderr}"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn credentials_in_a_batch_list_are_sent_but_never_shown() {
    const PASSWORD: &str = "list-SECRET-0c5b7e19";
    let server = Server::site("shop");
    let dir = std::env::temp_dir().join(format!("heap-audit-secret-list-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let list = dir.join("sites.txt");
    let target = format!("http://support:{PASSWORD}@127.0.0.1:{}/", server.port);
    // The same site twice, with and without the credentials: audited once.
    let list_text = format!(
        "# staging, behind basic auth\n{target}\n{}\n",
        server.url("/")
    );
    std::fs::write(&list, list_text).unwrap();
    let args = [
        "scan",
        "--targets-from",
        list.to_str().unwrap(),
        "--format",
        "jsonl",
        "--offline",
        "--verbose",
        "--fail-on",
        "never",
    ];
    let (code, stdout, stderr) = heap_audit(&args);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(code, 0, "{stderr}");
    assert_hides(&[PASSWORD], "the batch's report", &stdout);
    assert_hides(&[PASSWORD], "the batch's stderr", &stderr);
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(report["targets"][0], server.url("/").as_str());
    assert!(server.requests_for("[basic ") > 0);
}
