//! The configuration file through the real binary: found in the current directory or given with
//! `--config`; every option a key, the command line winning; `[rules]`, `[[environments]]`,
//! `${VAR}` headers whose values never show; errors naming file, line and key; `init`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{fixtures, Server};
use serde_json::Value;

/// A temporary folder of its own for one test.
fn temp(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("heap-audit-config-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run the binary in `dir` with extra environment variables: (exit code, stdout, stderr).
fn run_in(dir: &Path, args: &[String], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .output()
        .expect("run heap-audit");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn site(name: &str) -> String {
    fixtures()
        .join("sites")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// `scan` of a fixture folder in `dir` (so `dir/heap-audit.toml` applies), GTM and Segment from
/// fixtures/.
fn scan_in(dir: &Path, site_name: &str, extra: &[&str]) -> (i32, String, String) {
    let mut all = args(&["scan", &site(site_name)]);
    all.extend(common::file_remaps());
    all.extend(args(extra));
    run_in(dir, &all, &[])
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

fn rules_of(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_file_in_the_current_directory_sets_options_and_the_command_line_wins() {
    let dir = temp("cwd");
    std::fs::write(
        dir.join("heap-audit.toml"),
        "# the team's settings\nformat = \"json\"\nfail-on = \"never\"\nselect = [\"HA001\", \"app-id-mismatch\"]\nmax_pages = 50\noffline = false\n",
    )
    .unwrap();
    // format, fail_on and select come from the file.
    let (code, stdout, stderr) = scan_in(&dir, "shop", &[]);
    assert_eq!(code, 0, "{stderr}");
    let report = json(&stdout);
    let mut found = rules_of(&report);
    found.dedup();
    assert_eq!(found, vec!["duplicate-heap-load", "app-id-mismatch"]);
    // Flags win: --select and --fail-on replace the file's values.
    let (code, stdout, _) = scan_in(&dir, "shop", &["--select", "HA006", "--fail-on", "info"]);
    assert_eq!(code, 1);
    let mut found = rules_of(&json(&stdout));
    found.dedup();
    assert_eq!(found, vec!["heap-via-tag-manager"]);
    // The file in use is named on stderr (a file found here changes the run without a flag),
    // but not with --quiet.
    assert!(
        stderr.contains("heap-audit: using the configuration in heap-audit.toml"),
        "{stderr}"
    );
    let (_, _, quiet) = scan_in(&dir, "shop", &["--quiet"]);
    assert!(!quiet.contains("using the configuration"), "{quiet}");
    // Another file given with --config replaces the one here.
    std::fs::write(dir.join("other.toml"), "format = \"github\"\n").unwrap();
    let (_, stdout, stderr) = scan_in(&dir, "shop", &["--config", "other.toml"]);
    assert!(stdout.starts_with("::error "), "{stdout}");
    assert!(
        stderr.contains("using the configuration in other.toml"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Each kind of bad file: exit 2 and a message naming file, line and key.
#[test]
fn config_errors_name_the_file_line_and_key() {
    let dir = temp("errors");
    let cases: &[(&str, &str, &[&str])] = &[
        // (file text, the error's "file:line: key" part, more words the message must have)
        (
            "fail_on = \"error\"\nmax_page = 10\n",
            "bad.toml:2: max_page:",
            &["unknown key", "max_pages"],
        ),
        (
            "\n\nmax_pages = \"lots\"\n",
            "bad.toml:3: max_pages:",
            &["invalid value 'lots'", "--max-pages"],
        ),
        (
            "concurrency = 0\n",
            "bad.toml:1: concurrency:",
            &["invalid value '0'"],
        ),
        (
            "fail_on = \"sometimes\"\n",
            "bad.toml:1: fail_on:",
            &["sometimes", "error, warning, info, never"],
        ),
        (
            "segment_commitment = \"maybe\"\n",
            "bad.toml:1: segment_commitment:",
            &["maybe", "committed, not-committed, unknown"],
        ),
        (
            "\ndisable_text_capture = true\n",
            "bad.toml:2: disable_text_capture:",
            &["needed, not-needed, unknown"],
        ),
        (
            "offline = \"yes\"\n",
            "bad.toml:1: offline:",
            &["expected true or false"],
        ),
        (
            "include = [\"/blog/\", 3.5, { a = 1 }]\n",
            "bad.toml:1: include:",
            &["an array of strings or numbers"],
        ),
        (
            "include = [\"(unclosed\"]\n",
            "bad.toml:1: include:",
            &["(unclosed"],
        ),
        (
            "config = \"other.toml\"\n",
            "bad.toml:1: config:",
            &["unknown key"],
        ),
        (
            "[rules]\nduplicate-heap-load = \"warning\"\nheap-loaded-twice = \"off\"\n",
            "bad.toml:3: heap-loaded-twice:",
            &["unknown rule"],
        ),
        (
            "[rules]\nHA001 = \"loud\"\n",
            "bad.toml:2: HA001:",
            &["\"error\", \"warning\", \"info\" or \"off\""],
        ),
        (
            "[[environments]]\nname = \"production\"\nhost = [\"www.example.com\"]\n",
            "bad.toml:3: host:",
            &["unknown key in [[environments]]"],
        ),
        (
            "[[environments]]\nname = \"staging\"\nurls = [\"^https://(preview\"]\n",
            "bad.toml:3: urls:",
            &["invalid regular expression"],
        ),
        (
            "[[environments]]\nhosts = [\"www.example.com\"]\n",
            "bad.toml:1: environments:",
            &["needs a name"],
        ),
        (
            "[[environments]]\nname = \"a\"\n[[environments]]\nname = \"a\"\n",
            "bad.toml:3: environments:",
            &["defined twice"],
        ),
        ("max_pages = 10\nselect = [\"HA001\"\n", "bad.toml:2:", &[]),
    ];
    for (text, location, words) in cases {
        std::fs::write(dir.join("bad.toml"), text).unwrap();
        let (code, stdout, stderr) = scan_in(&dir, "clean", &["--config", "bad.toml", "--offline"]);
        assert_eq!(code, 2, "{text}: {stderr}");
        assert!(stdout.is_empty(), "{text}: nothing is audited");
        assert!(
            stderr.contains(location),
            "{text}: expected {location:?} in {stderr}"
        );
        for word in *words {
            assert!(
                stderr.contains(word),
                "{text}: expected {word:?} in {stderr}"
            );
        }
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    }
    let (code, _, stderr) = scan_in(&dir, "clean", &["--config", "absent.toml"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("absent.toml"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_teams_stated_intent_changes_the_install_path() {
    let dir = temp("intent");
    let path_of = |text: &str| {
        std::fs::write(dir.join("heap-audit.toml"), text).unwrap();
        let (code, out, err) = scan_in(&dir, "shop", &["--format", "json", "--fail-on", "never"]);
        assert_eq!(code, 0, "{err}");
        let report = json(&out);
        let rec = &report["recommendation"];
        (
            rec["install_path"].as_str().unwrap_or_default().to_owned(),
            rec["reasons"][0].as_str().unwrap_or_default().to_owned(),
        )
    };
    let (path, _) = path_of("");
    assert_eq!(path, "segment");
    let (path, reason) = path_of("segment_commitment = \"not-committed\"\n");
    assert_eq!(path, "native");
    assert!(
        reason.contains("segment_commitment = \"not-committed\""),
        "{reason}"
    );
    let (path, reason) = path_of("disable_text_capture = \"needed\"\n");
    assert_eq!(path, "native");
    assert!(
        reason.starts_with("You state that text capture must be disabled"),
        "{reason}"
    );
    let (path, reason) = path_of("segment_commitment = \"committed\"\n");
    assert_eq!(path, "segment");
    assert!(reason.contains("committed to Segment"), "{reason}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rule_levels_change_severities_and_turn_rules_off() {
    let dir = temp("levels");
    let (code, stdout, _) = scan_in(&dir, "shop", &["--format", "json"]);
    assert_eq!(code, 1);
    assert!(rules_of(&json(&stdout)).contains(&"app-id-mismatch".to_owned()));

    std::fs::write(
        dir.join("heap-audit.toml"),
        "[rules]\nduplicate-heap-load = \"warning\"\nHA003 = \"off\"\nheap-via-tag-manager = \"error\"\n",
    )
    .unwrap();
    let (code, stdout, _) = scan_in(&dir, "shop", &["--format", "json", "--fail-on", "error"]);
    let report = json(&stdout);
    let severity_of = |rule: &str| -> Vec<&str> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| f["severity"].as_str().unwrap())
            .collect()
    };
    assert!(severity_of("app-id-mismatch").is_empty());
    assert!(
        !severity_of("duplicate-heap-load").is_empty()
            && severity_of("duplicate-heap-load")
                .iter()
                .all(|s| *s == "warning")
    );
    assert_eq!(severity_of("heap-via-tag-manager"), vec!["error"]);
    assert_eq!(code, 1, "heap-via-tag-manager is an error now");
    // The override reaches every format: SARIF levels follow it.
    let (_, stdout, _) = scan_in(&dir, "shop", &["--format", "sarif"]);
    let sarif = json(&stdout);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results
        .iter()
        .filter(|r| r["ruleId"] == "HA001")
        .all(|r| r["level"] == "warning"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn headers_take_secrets_from_the_environment_and_never_show_them() {
    let dir = temp("headers");
    let server = Server::site("clean");
    let secret = "tok-5f3a9c1e-never-print-me";
    std::fs::write(
        dir.join("heap-audit.toml"),
        "format = \"json\"\nmax_pages = 2\nheader = [\"X-Test-Auth: Bearer ${HEAP_AUDIT_TEST_TOKEN}\"]\n",
    )
    .unwrap();
    let mut all = args(&["scan", &server.url("/")]);
    all.extend(server.remaps());
    let (code, stdout, stderr) = run_in(&dir, &all, &[("HEAP_AUDIT_TEST_TOKEN", secret)]);
    assert_ne!(code, 2, "{stderr}");
    let log = server.log.lock().unwrap().clone();
    assert!(
        log.iter()
            .any(|l| l.starts_with("/ ") && l.ends_with("[auth]")),
        "the header reached the site: {log:?}"
    );
    assert!(!stdout.contains(secret) && !stderr.contains(secret));
    json(&stdout);

    // Unset: the error names the variable.
    let (code, _, stderr) = run_in(&dir, &all, &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("heap-audit.toml:3: header:")
            && stderr.contains("HEAP_AUDIT_TEST_TOKEN is not set"),
        "{stderr}"
    );
    // A header that becomes invalid once substituted: the error shows the text as written only.
    std::fs::write(
        dir.join("heap-audit.toml"),
        "header = [\"${HEAP_AUDIT_TEST_HEADER}\"]\n",
    )
    .unwrap();
    let bad_secret = "Bad Name: hunter2-secret";
    let (code, _, stderr) = run_in(&dir, &all, &[("HEAP_AUDIT_TEST_HEADER", bad_secret)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("heap-audit.toml:1: header:"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn environments_name_both_environments_in_app_id_mismatch() {
    let dir = temp("environments");
    let production = Server::site("clean");
    let staging = Server::site("clean");
    std::fs::write(
        dir.join("heap-audit.toml"),
        format!(
            "format = \"json\"\n\n\
             [[environments]]\nname = \"production\"\nhosts = [\"127.0.0.1:{}\"]\nheap_app_id = 1535634150\nsegment_write_key = \"Zx81LmQp3RstUvW0yAbC4dEfGh5iJkLm\"\n\n\
             [[environments]]\nname = \"staging\"\nurls = ['^http://127\\.0\\.0\\.1:{}/']\nheap_app_id = \"2682025610\"\nsegment_write_key = \"StagingWriteKey0000000000000000a\"\n",
            production.port, staging.port
        ),
    )
    .unwrap();
    let scan = |server: &Server| {
        let mut all = args(&["scan", &server.url("/")]);
        all.extend(server.remaps());
        let (code, stdout, stderr) = run_in(&dir, &all, &[]);
        assert_ne!(code, 2, "{stderr}");
        json(&stdout)
    };
    let mismatches = |report: &Value| -> Vec<String> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "app-id-mismatch")
            .map(|f| f["message"].as_str().unwrap().to_owned())
            .collect()
    };
    // Production uses production's ids.
    assert!(mismatches(&scan(&production)).is_empty());
    // The staging deployment still carries production's ids.
    let report = scan(&staging);
    let found = mismatches(&report);
    let host = format!("127.0.0.1:{}", staging.port);
    assert!(
        found.iter().any(|m| m.starts_with(&format!(
            "{host} uses production's Heap app id 1535634150; staging expects 2682025610"
        ))),
        "{found:?}"
    );
    assert!(
        found.iter().any(|m| m.starts_with(&format!(
            "{host} uses production's Segment write key Zx81LmQp3RstUvW0yAbC4dEfGh5iJkLm; staging expects StagingWriteKey0000000000000000a"
        ))),
        "{found:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `key = value`, the form of a commented-out setting (not of an explanation).
fn is_setting(line: &str) -> bool {
    line.split_once(" = ").is_some_and(|(key, _)| {
        !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-')
    })
}

#[test]
fn init_writes_a_starter_file_that_loads_back() {
    let dir = temp("init");
    let server = Server::site("clean");
    let mut all = args(&["init", &server.url("/")]);
    all.extend(server.remaps());
    let (code, _, stderr) = run_in(&dir, &all, &[]);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(dir.join("heap-audit.toml")).unwrap();
    assert!(
        text.contains(&format!("hosts = [\"127.0.0.1:{}\"]", server.port)),
        "{text}"
    );
    assert!(text.contains("heap_app_id = \"1535634150\""), "{text}");
    assert!(
        text.contains("segment_write_key = \"Zx81LmQp3RstUvW0yAbC4dEfGh5iJkLm\""),
        "{text}"
    );
    // No one default: a crawl stops at 200 pages, a local folder is read whole.
    assert!(
        text.contains(
            "# Stop after this many pages per site (default: 200 for a crawl; a local folder is \
             read whole)\n# max_pages = \"N\"   # no default"
        ),
        "{text}"
    );

    // It loads back: a scan with it runs, and the site matches its own environment.
    let mut scan = args(&["scan", &server.url("/"), "--format", "json"]);
    scan.extend(server.remaps());
    let (code, stdout, stderr) = run_in(&dir, &scan, &[]);
    assert_ne!(code, 2, "{stderr}");
    assert!(!rules_of(&json(&stdout)).contains(&"app-id-mismatch".to_owned()));
    // Every commented key is valid too, once uncommented (placeholders aside).
    let uncommented: String = text
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest) if is_setting(rest) && !rest.contains("# no default") => rest,
            _ => l,
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.join("all.toml"), uncommented).unwrap();
    let (code, _, stderr) = run_in(
        &dir,
        &[scan.clone(), args(&["--config", "all.toml", "--offline"])].concat(),
        &[],
    );
    assert_ne!(code, 2, "{stderr}");

    // It does not overwrite without --force; `--output -` prints.
    let (code, _, stderr) = run_in(&dir, &all, &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--force"), "{stderr}");
    let (code, _, _) = run_in(&dir, &[all.clone(), args(&["--force"])].concat(), &[]);
    assert_eq!(code, 0);
    let (code, stdout, _) = run_in(
        &dir,
        &args(&["init", &site("shop"), "--output", "-", "--offline"]),
        &[],
    );
    assert_eq!(code, 0);
    assert!(
        stdout.contains("[[environments]]") && stdout.contains("heap_app_id = \""),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_first_mistake_in_the_file_is_the_one_reported() {
    // Keys in reverse alphabetical order: the report follows the file, not the key names.
    let dir = std::env::temp_dir().join(format!("heap-audit-config-order-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("heap-audit.toml");
    std::fs::write(&file, "timeout = \"slow\"\nmax_pages = \"many\"\n").unwrap();
    let shop = common::fixtures().join("sites/shop");
    let (code, _, stderr) = common::heap_audit(&[
        "scan",
        shop.to_str().unwrap(),
        "--config",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(":1: timeout"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_file_can_hold_the_targets_and_the_command_line_still_wins() {
    let dir =
        std::env::temp_dir().join(format!("heap-audit-config-targets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let list = dir.join("sites.txt");
    let clean = common::fixtures().join("sites/clean");
    let shop = common::fixtures().join("sites/shop");
    std::fs::write(&list, format!("{}\n", clean.display())).unwrap();
    let file = dir.join("heap-audit.toml");
    std::fs::write(
        &file,
        format!(
            "targets_from = {:?}\nformat = \"jsonl\"\nverbose = true\noffline = true\nfail_on = \"never\"\n",
            list.display().to_string()
        ),
    )
    .unwrap();
    let config = file.to_str().unwrap();

    // No target on the command line: the file's list is audited, as a batch.
    let (code, stdout, stderr) = common::heap_audit(&["scan", "--config", config]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(report["targets"][0], clean.to_str().unwrap());
    assert!(
        stderr.contains(&format!("fetched {}", clean.join("index.html").display())),
        "the file's verbose = true: {stderr}"
    );

    // A target on the command line replaces the file's list; -q replaces its `verbose`.
    let (code, stdout, stderr) =
        common::heap_audit(&["scan", shop.to_str().unwrap(), "--config", config, "-q"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "-q: {stderr}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(report["targets"][0], shop.to_str().unwrap());

    // Neither a target nor a list: clap's own usage error.
    std::fs::write(&file, "offline = true\n").unwrap();
    let (code, _, stderr) = common::heap_audit(&["scan", "--config", config]);
    assert_eq!(code, 2);
    assert!(stderr.contains("<TARGET>"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
