//! Batch audits: `--targets-from` (a file or standard input), each line its own site, `--format
//! jsonl` streamed per site, the closing table, exit statuses, and `--shard`.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::{fixtures, Server};
use serde_json::Value;

/// Run the binary with `stdin` fed to it; returns (exit code, stdout, stderr).
fn run_with_stdin(args: &[String], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run heap-audit");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait for heap-audit");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run(args: &[String]) -> (i32, String, String) {
    run_with_stdin(args, "")
}

/// A target list file with these lines, in a fresh temporary folder removed when the file is
/// dropped.
fn list_file(name: &str, lines: &[String]) -> ListFile {
    let dir = std::env::temp_dir().join(format!("heap-audit-batch-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("targets.txt");
    std::fs::write(&path, lines.join("\n")).expect("write list");
    ListFile(path)
}

struct ListFile(PathBuf);

impl std::ops::Deref for ListFile {
    type Target = PathBuf;
    fn deref(&self) -> &PathBuf {
        &self.0
    }
}

impl Drop for ListFile {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A loopback URL nobody listens on.
fn unreachable_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}/")
}

/// Each JSONL line parsed, keyed by its target.
fn reports_by_target(stdout: &str) -> Vec<(String, Value)> {
    stdout
        .lines()
        .map(|line| {
            let report: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not one JSON report per line ({e}): {line}"));
            let target = report["targets"][0].as_str().unwrap_or("").to_owned();
            (target, report)
        })
        .collect()
}

fn site_folder(name: &str) -> String {
    fixtures()
        .join("sites")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn scan_args(list: &str, extra: &[String]) -> Vec<String> {
    let mut args: Vec<String> = vec!["scan".into(), "--targets-from".into(), list.into()];
    args.extend(extra.iter().cloned());
    args
}

#[test]
fn an_unreachable_site_is_reported_and_the_others_complete() {
    let shop = Server::site("shop");
    let clean = Server::site("clean");
    let gtm = Server::site("segment-gtm");
    let down = unreachable_url();
    let sites = vec![shop.url("/"), down.clone(), clean.url("/"), gtm.url("/")];
    let list = list_file("unreachable", &sites);
    let mut extra = shop.remaps();
    extra.extend(["--format".into(), "jsonl".into()]);
    let (code, stdout, stderr) = run(&scan_args(list.to_str().unwrap(), &extra));

    // The shop loads Heap twice: an error finding, so the batch exits 1.
    assert_eq!(code, 1, "{stderr}");
    let reports = reports_by_target(&stdout);
    assert_eq!(reports.len(), 4, "one line per site:\n{stdout}");
    let mut targets: Vec<&str> = reports.iter().map(|(t, _)| t.as_str()).collect();
    targets.sort_unstable();
    let mut expected: Vec<&str> = sites.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(targets, expected);

    for (target, report) in &reports {
        let pages = report["pages"].as_array().unwrap();
        // Each report holds its own site's pages only.
        assert!(
            pages
                .iter()
                .all(|p| p["url"].as_str().unwrap().starts_with(target.as_str())),
            "{target}: {pages:?}"
        );
        if *target == down {
            assert_eq!(report["problems"][0]["kind"], "unreachable", "{report}");
            assert_eq!(report["summary"]["pages_with_errors"], 1);
        } else {
            assert!(pages.len() >= 2, "{target} was crawled: {pages:?}");
            assert_eq!(report["summary"]["pages_with_errors"], 0, "{target}");
        }
    }
    let rules = |target: &str| -> Vec<String> {
        let (_, report) = reports.iter().find(|(t, _)| t == target).unwrap();
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_owned())
            .collect()
    };
    // Rules run per site: the shop's double load is not the clean site's.
    assert!(rules(&shop.url("/")).contains(&"duplicate-heap-load".to_owned()));
    assert!(!rules(&clean.url("/")).contains(&"duplicate-heap-load".to_owned()));
    assert!(rules(&gtm.url("/")).contains(&"segment-via-gtm".to_owned()));
    // The unreachable site is also a warning on stderr.
    assert!(
        stderr.contains(&down) && stderr.contains("warning"),
        "{stderr}"
    );
}

#[test]
fn the_human_format_ends_with_a_table_of_sites() {
    let clean = Server::site("clean");
    let down = unreachable_url();
    let missing = "/no/such/build/folder".to_owned();
    let list = list_file("table", &[clean.url("/"), down.clone(), missing.clone()]);
    let mut extra = clean.remaps();
    extra.extend(["--fail-on".into(), "never".into()]);
    let (code, stdout, stderr) = run(&scan_args(list.to_str().unwrap(), &extra));
    assert_eq!(code, 0, "{stderr}");
    let table: Vec<&str> = stdout
        .lines()
        .skip_while(|l| *l != "Sites (3)")
        .skip(1)
        .collect();
    assert_eq!(table.len(), 4, "header and three rows:\n{stdout}");
    assert!(table[0].starts_with("SITE") && table[0].contains("STATUS"));
    // Rows in list order, whatever order the sites completed in.
    let row = |i: usize, site: &str| {
        assert!(table[i].starts_with(site), "row {i}: {}", table[i]);
    };
    row(1, &clean.url("/"));
    row(2, &down);
    row(3, &missing);
    assert!(table[1].contains("segment") && table[1].trim_end().ends_with("ok"));
    assert!(table[2].contains("error:"), "{}", table[2]);
    assert!(table[3].contains("error:") && table[3].contains("cannot read"));
    // Each site's own report came first, under its heading.
    assert!(
        stdout.contains(&format!("== {} (", clean.url("/"))),
        "{stdout}"
    );
}

#[test]
fn no_site_audited_exits_2() {
    let list = list_file("none", &[unreachable_url(), "/no/such/folder".into()]);
    let (code, stdout, stderr) = run(&scan_args(
        list.to_str().unwrap(),
        &["--format".into(), "jsonl".into()],
    ));
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        reports_by_target(&stdout).len(),
        2,
        "still one line per site"
    );
    assert!(stderr.contains("none of the 2 sites"), "{stderr}");

    // An empty list is bad usage, named.
    let list = list_file("empty", &["# nothing yet".into(), String::new()]);
    let (code, _, stderr) = run(&scan_args(list.to_str().unwrap(), &[]));
    assert_eq!(code, 2);
    assert!(stderr.contains("no targets"), "{stderr}");
}

#[test]
fn options_for_one_site_are_refused_in_a_batch() {
    let list = list_file("one-site-options", &[site_folder("shop")]);
    for extra in [
        vec!["--format", "sarif"],
        vec!["--report", "json=batch.json"],
        vec!["--baseline", "heap-audit-baseline.json"],
        vec!["--write-baseline", "heap-audit-baseline.json"],
    ] {
        let extra: Vec<String> = extra.into_iter().map(String::from).collect();
        let (code, stdout, stderr) = run(&scan_args(list.to_str().unwrap(), &extra));
        assert_eq!(code, 2, "{extra:?}: {stderr}");
        assert!(stdout.is_empty(), "{extra:?}: {stdout}");
        assert!(
            stderr.contains(&extra[0]) || stderr.contains("sarif"),
            "{extra:?}: {stderr}"
        );
    }
}

#[test]
fn targets_from_standard_input() {
    let text = format!(
        "# two build folders\n{}\n\n   {}   \n",
        site_folder("clean"),
        site_folder("spa")
    );
    let args = scan_args(
        "-",
        &[
            "--offline".into(),
            "--format".into(),
            "jsonl".into(),
            "--fail-on".into(),
            "never".into(),
        ],
    );
    let (code, stdout, stderr) = run_with_stdin(&args, &text);
    assert_eq!(code, 0, "{stderr}");
    let mut targets: Vec<String> = reports_by_target(&stdout)
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    targets.sort();
    assert_eq!(targets, vec![site_folder("clean"), site_folder("spa")]);
}

#[test]
fn a_single_run_in_jsonl_is_one_line() {
    let (code, stdout, stderr) = run(&[
        "scan".into(),
        site_folder("clean"),
        "--offline".into(),
        "--format".into(),
        "jsonl".into(),
        "--fail-on".into(),
        "never".into(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 1);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["summary"]["pages"], 3);
}

#[test]
fn each_site_is_written_as_soon_as_it_completes() {
    // One site answers after 4 s; the folder's report must be out before then.
    let slow = Server::site("clean");
    let list = list_file("stream", &[slow.url("/__slow"), site_folder("clean")]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        .args(scan_args(
            list.to_str().unwrap(),
            &[
                "--format".into(),
                "jsonl".into(),
                "--offline".into(),
                "--ignore-robots".into(),
            ],
        ))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run heap-audit");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a first line").expect("read");
    let running = child.try_wait().expect("try_wait").is_none();
    let first: Value = serde_json::from_str(&first).expect("JSON");
    assert_eq!(first["targets"][0], site_folder("clean").as_str());
    assert!(
        running,
        "the first report arrived only when the batch ended"
    );
    let second: Value =
        serde_json::from_str(&lines.next().expect("a second line").expect("read")).expect("JSON");
    assert_eq!(second["targets"][0], slow.url("/__slow").as_str());
    child.wait().expect("wait");
}

#[test]
fn shards_split_the_list_without_overlap_and_stay_put_when_lines_are_added() {
    let names = [
        "clean",
        "faults",
        "mixed-env",
        "proxy",
        "segment-gtm",
        "shop",
        "spa",
    ];
    let all: Vec<String> = names.iter().map(|n| site_folder(n)).collect();
    let shard_targets = |list: &PathBuf, shard: &str| -> Vec<String> {
        let (code, stdout, stderr) = run(&scan_args(
            list.to_str().unwrap(),
            &[
                "--shard".into(),
                shard.into(),
                "--offline".into(),
                "--format".into(),
                "jsonl".into(),
                "--fail-on".into(),
                "never".into(),
                "--max-pages".into(),
                "1".into(),
            ],
        ));
        assert_eq!(code, 0, "{shard}: {stderr}");
        let mut targets: Vec<String> = reports_by_target(&stdout)
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        targets.sort();
        targets
    };

    let list = list_file("shards", &all[..5]);
    let shards: Vec<Vec<String>> = (0..3)
        .map(|i| shard_targets(&list, &format!("{i}/3")))
        .collect();
    let mut union: Vec<String> = shards.concat();
    union.sort();
    let mut expected = all[..5].to_vec();
    expected.sort();
    assert_eq!(union, expected, "every target in exactly one shard");
    assert_eq!(
        shard_targets(&list, "1/3"),
        shards[1],
        "the same split twice"
    );

    // Two more lines: every earlier target stays in its shard.
    let longer = list_file("shards-longer", &all);
    for (i, before) in shards.iter().enumerate() {
        let after = shard_targets(&longer, &format!("{i}/3"));
        assert!(
            before.iter().all(|t| after.contains(t)),
            "shard {i}: {before:?} → {after:?}"
        );
    }

    for bad in ["3/2", "x", "1/0"] {
        let (code, _, stderr) = run(&scan_args(
            list.to_str().unwrap(),
            &["--shard".into(), bad.into()],
        ));
        assert_eq!(code, 2, "{bad}");
        assert!(stderr.contains(&format!("'{bad}'")), "{stderr}");
    }
}

#[test]
fn min_coverage_fails_a_batch_when_one_site_is_audited_below_it() {
    // shop: 2 of its 5 pages (40%); clean: 2 of its 3 (67%).
    let list = list_file("min-coverage", &[site_folder("shop"), site_folder("clean")]);
    let args = |min: &str| {
        scan_args(
            &list.to_string_lossy(),
            &[
                "--format".into(),
                "jsonl".into(),
                "--offline".into(),
                "--fail-on".into(),
                "never".into(),
                "--max-pages".into(),
                "2".into(),
                "--min-coverage".into(),
                min.into(),
            ],
        )
    };
    let (code, stdout, stderr) = run(&args("50"));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("coverage 40.0% is below --min-coverage 50%"),
        "{stderr}"
    );
    assert!(!stderr.contains("66.7%"), "{stderr}");
    let reports = reports_by_target(&stdout);
    assert_eq!(reports.len(), 2, "{stdout}");
    for (_, report) in &reports {
        assert_eq!(report["coverage"][0]["pages_audited"], 2, "{report}");
    }
    let (code, _, stderr) = run(&args("40"));
    assert_eq!(code, 0, "{stderr}");
}
