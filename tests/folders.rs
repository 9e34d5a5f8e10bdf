//! Local folders as real build outputs are: symbolic links (and their loops), folders and files
//! that cannot be read, FIFOs named like pages, pages with NUL bytes, folders larger than
//! `--max-pages` (a sample, and a count of what was left out), and the exit status of a single
//! file that fails. Every tree is made here, in a temporary folder.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

const HEAP_ID: &str = "4141414141";

/// A page that loads Heap natively.
fn page_with_heap(title: &str) -> String {
    format!(
        "<!doctype html><html><head><title>{title}</title><script>window.heap=window.heap||[],\
         heap.load=function(e,t){{window.heap.appid=e;var r=document.createElement(\"script\");\
         r.src=\"https://cdn.heapanalytics.com/js/heap-\"+e+\".js\"}};heap.load(\"{HEAP_ID}\");\
         </script></head><body><h1>{title}</h1></body></html>"
    )
}

/// A fresh temporary folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("heap-audit-folders-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("make the scratch folder");
    dir
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("make the folder");
    }
    std::fs::write(path, text).expect("write the page");
}

fn text(path: &Path) -> String {
    path.to_str().expect("a UTF-8 path").to_owned()
}

/// `scan --format json --offline ARGS`, cut by `--max-time` should anything hang.
fn scan(args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["--offline", "--fail-on", "never", "--max-time", "120"];
    all.extend_from_slice(args);
    common::scan_json(&all)
}

/// Run `heap-audit ARGS`, killed if it has not ended within `limit` (a read that blocks forever
/// must fail the test, not hang it): (exit code, stderr), or `None` when it was killed.
fn run_within(args: &[&str], limit: Duration) -> Option<(i32, String)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run heap-audit");
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                use std::io::Read;
                let _ = pipe.read_to_string(&mut stderr);
            }
            return Some((status.code().unwrap_or(-1), stderr));
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn urls(report: &Value) -> Vec<String> {
    common::page_urls(report)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

fn no_interruption(report: &Value) {
    let cut = common::problems_of_kind(report, "interrupted");
    assert!(cut.is_empty(), "the run was cut: {cut:?}");
}

fn heap_on(report: &Value, suffix: &str) -> bool {
    common::installs(common::page(report, suffix))
        .iter()
        .any(|(vendor, id, _, _)| vendor == "heap" && id == HEAP_ID)
}

#[cfg(unix)]
fn symlink(target: &str, link: &Path) {
    std::os::unix::fs::symlink(target, link).expect("make the symbolic link");
}

#[cfg(unix)]
#[test]
fn symbolic_links_are_followed_and_a_loop_is_reported_once() {
    let dir = scratch("links");
    let root = dir.join("public");
    write(&root.join("index.html"), &page_with_heap("Home"));
    write(&root.join("blog/post.html"), &page_with_heap("Post"));
    // A folder and a file outside the tree, linked into it (a shared theme, a reused page).
    write(
        &dir.join("shared/docs/guide.html"),
        &page_with_heap("Guide"),
    );
    write(&dir.join("shared/single.html"), &page_with_heap("Single"));
    symlink("../shared/docs", &root.join("docs"));
    symlink("../shared/single.html", &root.join("alias.html"));
    // A second path to a folder inside the tree: its pages are listed once, under their own path.
    symlink("blog", &root.join("latest"));
    // A loop: a link to a folder that contains it.
    symlink("..", &root.join("blog/up"));
    // A link to a page that is gone.
    symlink("missing.html", &root.join("gone.html"));

    let started = Instant::now();
    let (code, report, stderr) = scan(&[&text(&root)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(60));
    no_interruption(&report);
    let mut pages = urls(&report);
    pages.sort();
    let shown = |rel: &str| format!("{}/{rel}", text(&root));
    assert_eq!(
        pages,
        [
            "alias.html",
            "blog/post.html",
            "docs/guide.html",
            "index.html"
        ]
        .map(shown),
        "{report}"
    );
    for page in ["alias.html", "docs/guide.html", "blog/post.html"] {
        assert!(heap_on(&report, page), "{page}: {report}");
    }
    let loops = common::problems_of_kind(&report, "symlink-loop");
    assert_eq!(loops.len(), 1, "{loops:?}");
    let url = loops[0]["url"].as_str().unwrap_or_default();
    assert!(url.ends_with("blog/up/"), "{url}");
    let io = common::problems_of_kind(&report, "io");
    assert_eq!(io.len(), 1, "{io:?}");
    assert!(io[0]["url"]
        .as_str()
        .is_some_and(|u| u.ends_with("/gone.html")));
    let message = io[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("broken symbolic link"), "{message}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn links_that_lead_to_each_other_are_a_loop_not_a_hang() {
    let dir = scratch("link-pair");
    write(&dir.join("index.html"), &page_with_heap("Home"));
    symlink("b", &dir.join("a"));
    symlink("a", &dir.join("b"));
    symlink("/", &dir.join("everything"));
    let (code, report, stderr) = scan(&[&text(&dir)]);
    assert_eq!(code, 0, "{stderr}");
    no_interruption(&report);
    assert_eq!(urls(&report).len(), 1, "{report}");
    let loops = common::problems_of_kind(&report, "symlink-loop");
    let mut named: Vec<&str> = loops.iter().filter_map(|p| p["url"].as_str()).collect();
    named.sort_unstable();
    assert_eq!(named.len(), 3, "{loops:?}");
    assert!(
        named[0].ends_with("/a") && named[1].ends_with("/b"),
        "{named:?}"
    );
    assert!(named[2].ends_with("/everything/"), "{named:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether this process runs as root (where file permissions do not bite).
#[cfg(unix)]
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Run `heap-audit scan --format json ARGS` in `dir` as a user who cannot read what root made
/// unreadable: as `nobody` (uid 65534) through `setpriv` when this runs as root. `None` (with the
/// reason printed) when that cannot be done here.
#[cfg(unix)]
fn scan_unprivileged(dir: &Path, args: &[&str]) -> Option<(i32, Value, String)> {
    let binary = env!("CARGO_BIN_EXE_heap-audit");
    let mut all = vec![
        "scan",
        "--format",
        "json",
        "--offline",
        "--fail-on",
        "never",
    ];
    all.extend_from_slice(args);
    let mut command = if is_root() {
        let mut command = Command::new("setpriv");
        command
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", binary])
            .args(&all);
        command
    } else {
        let mut command = Command::new(binary);
        command.args(&all);
        command
    };
    let out = match command.current_dir(dir).env("NO_COLOR", "1").output() {
        Ok(out) => out,
        Err(e) => {
            eprintln!("skipped: cannot run heap-audit as an unprivileged user (setpriv: {e})");
            return None;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if stdout.is_empty() && stderr.contains("setpriv") {
        eprintln!("skipped: setpriv cannot switch to uid 65534 here: {stderr}");
        return None;
    }
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    Some((out.status.code().unwrap_or(-1), report, stderr))
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A tree an unprivileged user can read, but for `private/` and `secret.html`.
#[cfg(unix)]
fn half_readable(name: &str) -> PathBuf {
    let dir = scratch(name);
    chmod(&dir, 0o755);
    write(&dir.join("index.html"), &page_with_heap("Home"));
    write(&dir.join("secret.html"), &page_with_heap("Secret"));
    write(&dir.join("private/report.html"), &page_with_heap("Private"));
    write(&dir.join("shop/cart.html"), &page_with_heap("Cart"));
    for path in ["", "shop"] {
        chmod(&dir.join(path), 0o755);
    }
    for page in ["index.html", "shop/cart.html", "private/report.html"] {
        chmod(&dir.join(page), 0o644);
    }
    chmod(&dir.join("private"), 0o000);
    chmod(&dir.join("secret.html"), 0o000);
    dir
}

#[cfg(unix)]
#[test]
fn an_unreadable_folder_or_file_is_one_problem_and_the_rest_is_audited() {
    let dir = half_readable("unreadable");
    let Some((code, report, stderr)) = scan_unprivileged(&dir, &["."]) else {
        return;
    };
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 0, "the readable pages were audited: {stderr}");
    assert!(heap_on(&report, "index.html"), "{report}");
    assert!(heap_on(&report, "shop/cart.html"), "{report}");
    let io = common::problems_of_kind(&report, "io");
    let folder: Vec<_> = io
        .iter()
        .filter(|p| p["url"].as_str().is_some_and(|u| u.ends_with("private/")))
        .collect();
    assert_eq!(folder.len(), 1, "{io:?}");
    let message = folder[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("ermission denied"), "{message}");
    // The unreadable file is a page with its error, and one problem naming it.
    let secret = common::page(&report, "secret.html");
    let error = secret["error"].as_str().unwrap_or_default();
    assert!(error.contains("ermission denied"), "{secret}");
    let named: Vec<_> = io
        .iter()
        .filter(|p| {
            p["url"]
                .as_str()
                .is_some_and(|u| u.ends_with("secret.html"))
        })
        .collect();
    assert_eq!(named.len(), 1, "{io:?}");
    assert!(!urls(&report).iter().any(|u| u.contains("private")));
}

#[cfg(unix)]
#[test]
fn a_single_file_that_fails_exits_2_as_a_start_url_does() {
    let dir = half_readable("single");
    let Some((code, report, stderr)) = scan_unprivileged(&dir, &["secret.html"]) else {
        return;
    };
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("secret.html"), "{stderr}");
    let error = common::page(&report, "secret.html")["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(error.contains("ermission denied"), "{error}");
}

#[cfg(unix)]
#[test]
fn a_folder_none_of_whose_pages_can_be_read_exits_2() {
    let dir = scratch("none-readable");
    chmod(&dir, 0o755);
    for page in ["a.html", "b.html"] {
        write(&dir.join(page), &page_with_heap(page));
        chmod(&dir.join(page), 0o000);
    }
    let Some((code, report, stderr)) = scan_unprivileged(&dir, &["."]) else {
        return;
    };
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("no page of this folder could be audited"),
        "{stderr}"
    );
    assert_eq!(urls(&report).len(), 2, "{report}");
}

/// Make a FIFO, or say why not.
#[cfg(unix)]
fn mkfifo(path: &Path) -> bool {
    let made = Command::new("mkfifo").arg(path).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo could not make {}", path.display());
        return false;
    }
    true
}

#[cfg(unix)]
#[test]
fn a_fifo_named_like_a_page_is_skipped_never_opened() {
    let dir = scratch("fifo");
    write(&dir.join("index.html"), &page_with_heap("Home"));
    if !mkfifo(&dir.join("pipe.html")) {
        return;
    }
    let started = Instant::now();
    let (code, report, stderr) = scan(&[&text(&dir)]);
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(code, 0, "{stderr}");
    no_interruption(&report);
    assert_eq!(urls(&report), [format!("{}/index.html", text(&dir))]);
    let skipped = common::problems_of_kind(&report, "not-a-file");
    assert_eq!(skipped.len(), 1, "{report}");
    assert!(skipped[0]["url"]
        .as_str()
        .is_some_and(|u| u.ends_with("pipe.html")));
    assert!(skipped[0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("FIFO")));

    // Named alone, it fails at once, as a start URL that cannot be read does.
    let pipe = text(&dir.join("pipe.html"));
    let (code, stderr) = run_within(&["scan", "--offline", &pipe], Duration::from_secs(60))
        .expect("heap-audit hung on a FIFO given as its target");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("FIFO"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_page_with_nul_bytes_is_parsed() {
    let dir = scratch("nul");
    let page = page_with_heap("Nul").replace("<body>", "<body>\0\0\0\0");
    write(&dir.join("nul.html"), &page);
    let (code, report, stderr) = scan(&[&text(&dir)]);
    assert_eq!(code, 0, "{stderr}");
    let page = common::page(&report, "nul.html");
    assert!(page["error"].is_null(), "{page}");
    assert!(heap_on(&report, "nul.html"), "{page}");
    assert!(common::problems_of_kind(&report, "binary").is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A build folder: a hundred numbered pages in `a/`, a few in `b/` and `c/sub/`, three at the
/// root: 113 pages.
fn build_folder(name: &str) -> PathBuf {
    let dir = scratch(name);
    for n in 1..=100 {
        write(&dir.join(format!("a/page-{n}.html")), &page_with_heap("A"));
    }
    for n in ["one", "two", "three", "four", "five"] {
        write(&dir.join(format!("b/{n}.html")), &page_with_heap("B"));
        write(&dir.join(format!("c/sub/{n}.html")), &page_with_heap("C"));
    }
    for n in ["index", "about", "contact"] {
        write(&dir.join(format!("{n}.html")), &page_with_heap(n));
    }
    dir
}

/// A capped folder: the count left out, and a sample spanning its folders and patterns.
fn assert_capped(report: &Value, root: &Path) {
    let pages = urls(report);
    assert_eq!(pages.len(), 10, "{pages:?}");
    let left = common::problems_of_kind(report, "pages-not-audited");
    assert_eq!(left.len(), 1, "{report}");
    let message = left[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("103 of the 113 pages"), "{message}");
    let rel: Vec<String> = pages
        .iter()
        .map(|p| p[text(root).len() + 1..].to_owned())
        .collect();
    for part in ["a/", "b/", "c/sub/"] {
        assert!(
            rel.iter().any(|p| p.starts_with(part)),
            "no {part}: {rel:?}"
        );
    }
    for page in ["index.html", "about.html", "contact.html"] {
        assert!(rel.iter().any(|p| p == page), "no {page}: {rel:?}");
    }
    assert!(
        rel.iter().filter(|p| p.starts_with("a/")).count() <= 4,
        "{rel:?}"
    );
}

#[test]
fn a_folder_above_max_pages_is_sampled_and_says_what_it_left_out() {
    let dir = build_folder("capped");
    let (code, report, stderr) = scan(&["--max-pages", "10", &text(&dir)]);
    assert_eq!(code, 0, "{stderr}");
    assert_capped(&report, &dir);
    // The same sample every time.
    let (_, again, _) = scan(&["--max-pages", "10", &text(&dir)]);
    assert_eq!(urls(&report), urls(&again));

    // The configuration file's max_pages caps it too.
    let config = dir.join("settings.toml");
    std::fs::write(&config, "max_pages = 10\n").expect("write the configuration");
    let (code, report, stderr) = scan(&["--config", &text(&config), &text(&dir)]);
    assert_eq!(code, 0, "{stderr}");
    assert_capped(&report, &dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_folder_is_read_whole_by_default() {
    let dir = scratch("whole");
    for n in 0..250 {
        write(
            &dir.join(format!("section-{}/page-{n}.html", n % 7)),
            &page_with_heap("Page"),
        );
    }
    let (code, report, stderr) = scan(&["--concurrency", "4", &text(&dir)]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(urls(&report).len(), 250);
    assert_eq!(
        report["summary"]["pages_with_heap"], 250,
        "{}",
        report["summary"]
    );
    assert!(common::problems_of_kind(&report, "pages-not-audited").is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_crawl_keeps_its_default_cap_of_200() {
    let dir = scratch("crawl");
    let links: String = (0..230)
        .map(|n| format!("<a href=\"/p{n}.html\">{n}</a>"))
        .collect();
    write(
        &dir.join("index.html"),
        &format!("<!doctype html><html><body>{links}</body></html>"),
    );
    for n in 0..230 {
        write(&dir.join(format!("p{n}.html")), &page_with_heap("Page"));
    }
    let server = common::Server::root(dir.clone());
    let (code, report, stderr) = scan(&["--max-per-pattern", "0", &server.url("/")]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(urls(&report).len(), 200);
    // The folder's own count is for folders only.
    assert!(common::problems_of_kind(&report, "pages-not-audited").is_empty());
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Run `heap-audit ARGS` with `GITHUB_STEP_SUMMARY` set to `summary`: (exit code, stdout,
/// stderr).
fn run_with_summary(args: &[&str], summary: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("GITHUB_STEP_SUMMARY", summary)
        .output()
        .expect("run heap-audit");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_capped_folder_states_its_coverage_in_every_format() {
    let dir = build_folder("coverage-formats");
    let out = scratch("coverage-formats-out");
    let file = |name: &str| text(&out.join(name));
    let (sarif, junit, markdown) = (file("r.sarif"), file("r.xml"), file("r.md"));
    let summary = out.join("summary.md");
    let reports = [
        format!("sarif={sarif}"),
        format!("junit={junit}"),
        format!("markdown={markdown}"),
        format!("github={}", file("r.github")),
    ];
    let mut args = vec![
        "scan",
        "--offline",
        "--fail-on",
        "never",
        "--max-pages",
        "10",
    ];
    for r in &reports {
        args.extend(["--report", r.as_str()]);
    }
    let folder = text(&dir);
    args.extend(["--format", "json", folder.as_str()]);
    let (code, stdout, stderr) = run_with_summary(&args, &summary);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("a JSON report");
    let line = format!("{folder}: 10 of 113 pages audited (--max-pages)");

    // JSON: one entry for the folder.
    let coverage = &report["coverage"];
    assert_eq!(coverage.as_array().map(Vec::len), Some(1), "{coverage}");
    let c = &coverage[0];
    assert_eq!(c["target"], folder.as_str());
    assert_eq!(c["kind"], "folder");
    assert_eq!(c["pages_audited"], 10);
    assert_eq!(c["pages_found"], 113);
    assert_eq!(c["urls_left_out"], 103);
    assert_eq!(c["stopped_by"], serde_json::json!(["max-pages"]));

    // SARIF: the run's properties, as in the JSON report and in words.
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).expect("the SARIF file"))
            .expect("SARIF is JSON");
    let properties = &sarif["runs"][0]["properties"];
    assert_eq!(&properties["coverage"], coverage, "{properties}");
    assert_eq!(properties["coverageText"][0], line.as_str(), "{properties}");

    // JUnit: properties of the folder's testsuite.
    let junit = std::fs::read_to_string(&junit).expect("the JUnit file");
    let suite = junit
        .find(&format!("<testsuite name=\"{folder}\""))
        .expect("a testsuite for the folder");
    let properties = junit[suite..].find("<properties>").expect("<properties>") + suite;
    let first_case = junit[suite..].find("<testcase").expect("a testcase") + suite;
    assert!(properties < first_case, "properties come first: {junit}");
    for property in [
        format!("<property name=\"coverage\" value=\"{line}\"/>"),
        "<property name=\"coverage.pages_audited\" value=\"10\"/>".to_owned(),
        "<property name=\"coverage.pages_found\" value=\"113\"/>".to_owned(),
        "<property name=\"coverage.stopped_by\" value=\"max-pages\"/>".to_owned(),
    ] {
        assert!(junit.contains(&property), "no {property}: {junit}");
    }

    // Markdown and the GitHub job summary: a line under the summary line.
    let expected = format!("- Coverage: {line}");
    let markdown = std::fs::read_to_string(&markdown).expect("the Markdown file");
    assert!(markdown.contains(&expected), "{markdown}");
    let summary = std::fs::read_to_string(&summary).expect("the job summary");
    assert!(summary.contains(&expected), "{summary}");

    // Human: after the summary line.
    let (code, human, stderr) = common::heap_audit(&[
        "scan",
        "--offline",
        "--fail-on",
        "never",
        "--max-pages",
        "10",
        folder.as_str(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let after = human.find("Summary:").map_or("", |at| &human[at..]);
    assert!(after.contains(&line), "{human}");

    // Read whole: all of it, in words.
    let (_, report, _) = scan(&[&folder]);
    assert_eq!(report["coverage"][0]["pages_audited"], 113);
    assert_eq!(report["coverage"][0]["pages_found"], 113);
    assert!(report["coverage"][0].get("stopped_by").is_none());
    let (_, human, _) = common::heap_audit(&["scan", "--offline", "--fail-on", "never", &folder]);
    assert!(
        human.contains(&format!("{folder}: all 113 pages audited")),
        "{human}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn min_coverage_fails_a_folder_audited_below_it() {
    let dir = build_folder("min-coverage");
    let folder = text(&dir);
    // 10 of 113 pages: 8.8%.
    let (code, report, stderr) = scan(&["--max-pages", "10", "--min-coverage", "50", &folder]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report["coverage"][0]["pages_audited"], 10);
    assert!(
        stderr.contains("coverage 8.8% is below --min-coverage 50%"),
        "{stderr}"
    );
    assert!(stderr.contains("10 of 113 pages audited"), "{stderr}");
    // Said in the human report too.
    let (code, human, _) = common::heap_audit(&[
        "scan",
        "--offline",
        "--fail-on",
        "never",
        "--max-pages",
        "10",
        "--min-coverage",
        "50",
        &folder,
    ]);
    assert_eq!(code, 1);
    assert!(
        human.contains("coverage 8.8% is below --min-coverage 50%"),
        "{human}"
    );

    // At or above it: a pass, and nothing said.
    let (code, _, stderr) = scan(&["--max-pages", "10", "--min-coverage", "8", &folder]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("--min-coverage"), "{stderr}");
    let (code, _, stderr) = scan(&["--min-coverage", "100", &folder]);
    assert_eq!(code, 0, "{stderr}");

    // The configuration file's min_coverage, with its max_pages.
    let config = dir.join("settings.toml");
    std::fs::write(&config, "max_pages = 10\nmin_coverage = 90\n").expect("write the config");
    let (code, _, stderr) = scan(&["--config", &text(&config), &folder]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("below --min-coverage 90%"), "{stderr}");

    // Not a percentage: refused.
    let (code, _, stderr) = common::heap_audit(&["scan", "--min-coverage", "120", &folder]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("percentage"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_repository_states_its_coverage_like_a_folder() {
    let repo = common::fixtures().join("repos").join("jekyll-fail");
    let target = repo.display().to_string();
    let (_, report, _) = common::scan_json(&[target.as_str(), "--offline"]);
    let c = &report["coverage"][0];
    assert_eq!(c["kind"], "source", "{report:#}");
    assert_eq!(c["pages_found"], c["pages_audited"]);
    assert!(c["stopped_by"].is_null(), "{c}");
    let found = c["pages_found"].as_u64().unwrap();
    assert!(found > 1);
    // --max-pages cuts it, and the coverage says by how much and why, in JSON and in words.
    let (_, report, _) = common::scan_json(&[target.as_str(), "--offline", "--max-pages", "1"]);
    let c = &report["coverage"][0];
    assert_eq!(c["pages_audited"], 1);
    assert_eq!(c["pages_found"], found);
    assert_eq!(c["stopped_by"][0], "max-pages");
    let (_, human, _) = common::heap_audit(&["scan", &target, "--offline", "--max-pages", "1"]);
    assert!(
        human.contains(&format!("1 of {found} pages audited (--max-pages)")),
        "{human}"
    );
}
