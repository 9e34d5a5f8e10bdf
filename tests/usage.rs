//! Bad usage exits 2 with one message that names the bad value, before anything is fetched: a
//! target that cannot be one, a remap that does not compile, a bad number, a bad config value.

mod common;

use common::{fixtures, heap_audit, Server};

/// Run `heap-audit ARGS` and check the usage error: exit 2, no report, no panic, and a message
/// holding every piece of `names`.
fn refused(args: &[&str], names: &[&str]) -> String {
    let (code, stdout, stderr) = heap_audit(args);
    assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
    assert!(
        stdout.is_empty(),
        "{args:?}: a report was written: {stdout}"
    );
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    for name in names {
        assert!(stderr.contains(name), "{args:?}: '{name}' not in: {stderr}");
    }
    stderr
}

#[test]
fn targets_that_cannot_be_targets_are_named() {
    for (target, why) in [
        ("ftp://files.example.com/site/", "unsupported scheme 'ftp'"),
        ("FILE:///var/www/dist", "unsupported scheme 'FILE'"),
        ("mailto:web@example.com", "unsupported scheme 'mailto'"),
        ("http://", "not a valid URL"),
        ("https://exa mple.com/", "not a valid URL"),
        ("https://example.com:99999/", "not a valid URL"),
    ] {
        refused(&["scan", target], &[target, why]);
    }
}

#[test]
fn a_bad_target_stops_the_run_before_any_request() {
    // The good target comes first: nothing of it may be fetched when another target is invalid.
    let server = Server::site("shop");
    let good = server.url("/");
    refused(&["scan", &good, "ftp://shop.example.com/"], &["ftp://"]);
    assert_eq!(server.requests_for("/"), 0);
}

#[test]
fn a_missing_folder_is_named_in_the_message_and_the_report() {
    // Not bad usage but nothing to audit: exit 2, and the report says why, with the target.
    let (code, report, stderr) = common::scan_json(&["dist-that-is-not-there"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("dist-that-is-not-there: cannot read"),
        "{stderr}"
    );
    assert!(!stderr.contains("https://"), "no hint for a path: {stderr}");
    assert_eq!(report["problems"][0]["url"], "dist-that-is-not-there");
    assert_eq!(report["problems"][0]["kind"], "io");
    // A bare host name is more likely a site: the message says how to audit it.
    let (code, _, stderr) = heap_audit(&["scan", "www.example.com"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("(a site is audited by URL: https://www.example.com/)"),
        "{stderr}"
    );
    // A developer's own machine serves over http, with or without a dot in its name.
    for (target, url) in [
        ("localhost:8765", "http://localhost:8765/"),
        ("127.0.0.1:8765", "http://127.0.0.1:8765/"),
        ("192.168.1.20", "http://192.168.1.20/"),
        (
            "staging.example.com:8443",
            "https://staging.example.com:8443/",
        ),
    ] {
        let (code, _, stderr) = heap_audit(&["scan", target]);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains(&format!("(a site is audited by URL: {url})")),
            "{target}: {stderr}"
        );
    }
}

#[test]
fn bad_option_values_are_named() {
    let shop = fixtures().join("sites/shop");
    let shop = shop.to_str().unwrap();
    for (option, value, names) in [
        ("--remap", "([x http://mirror/", vec!["([x", "regex"]),
        ("--remap", "just-a-pattern", vec!["just-a-pattern"]),
        ("--rate", "0", vec!["'0'", "--rate"]),
        ("--rate", "fast", vec!["'fast'"]),
        ("--max-time", "soon", vec!["'soon'", "--max-time"]),
        // Values that would overflow a deadline, an interval or a read cap.
        (
            "--max-time",
            "18446744073709551615",
            vec!["18446744073709551615"],
        ),
        ("--rate", "1e-300", vec!["'1e-300'"]),
        (
            "--max-body",
            "18446744073709551615",
            vec!["18446744073709551615"],
        ),
        ("--max-pages", "0", vec!["'0'", "--max-pages"]),
        ("--timeout", "-1", vec!["-1"]),
        ("--report", "xml=out.xml", vec!["'xml'", "junit"]),
        ("--select", "no-such-rule", vec!["'no-such-rule'"]),
        ("--fail-on", "sometimes", vec!["'sometimes'"]),
        ("--include", "(unclosed", vec!["(unclosed"]),
    ] {
        refused(&["scan", shop, option, value], &names);
    }
    refused(
        &["scan", "--targets-from", "-", "--shard", "4/4"],
        &["'4/4'", "below COUNT"],
    );
}

#[test]
fn bad_config_values_name_the_file_line_and_key() {
    let dir = std::env::temp_dir().join(format!("heap-audit-usage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("heap-audit.toml");
    let shop = fixtures().join("sites/shop");
    let shop = shop.to_str().unwrap();
    for (text, names) in [
        (
            "fail_on = \"error\"\nmax_pages = \"lots\"\n",
            vec![":2:", "max_pages", "lots"],
        ),
        (
            "remap = [\"([x http://mirror/\"]\n",
            vec![":1:", "remap", "([x"],
        ),
        ("\n\nmax_pagez = 5\n", vec![":3:", "max_pagez", "max_pages"]),
        ("[rules]\nHA001 = \"loud\"\n", vec![":2:", "HA001", "loud"]),
    ] {
        std::fs::write(&file, text).unwrap();
        let mut expected = vec![file.to_str().unwrap()];
        expected.extend(names);
        refused(
            &["scan", shop, "--config", file.to_str().unwrap()],
            &expected,
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mistakes_people_make_get_a_hint() {
    // An app id that is not one.
    refused(
        &["scan", "dist/", "--expect-app-id", "abc"],
        &["--expect-app-id", "'abc'", "expected a Heap app id"],
    );
    // A misspelt rule gets the closest name; the option's name is an alias of its rule.
    refused(
        &["scan", "dist/", "--ignore", "duplicate-heap-lod"],
        &[
            "unknown rule 'duplicate-heap-lod'",
            "did you mean 'duplicate-heap-load'?",
        ],
    );
    let (code, stdout, stderr) = heap_audit(&["explain", "disable-text-capture"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("# disable-target-text (HA004)"),
        "{stdout}"
    );
    // Far from every rule: no guess, the list instead.
    refused(
        &["scan", "dist/", "--select", "zzzz"],
        &["unknown rule 'zzzz'", "heap-audit rules"],
    );
}

#[test]
fn offline_still_reads_what_a_remap_turns_into_a_local_file() {
    // How a CI job supplies a saved container and saved settings without touching the network.
    let shop = fixtures().join("sites/shop").to_string_lossy().into_owned();
    let segment = format!(
        r"https://cdn\.segment\.com/v1/projects/([^/]+)/settings {}/segment/$1.json",
        fixtures().display()
    );
    let gtm = format!(
        r"https://www\.googletagmanager\.com/gtm\.js\?id=([^&]+).* {}/gtm/$1.js",
        fixtures().display()
    );
    let args = [
        shop.as_str(),
        "--offline",
        "--remap",
        &segment,
        "--remap",
        &gtm,
        "--fail-on",
        "never",
    ];
    let (code, report, stderr) = common::scan_json(&args);
    assert_eq!(code, 0, "{stderr}");
    let installs: Vec<&serde_json::Value> = report["pages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["installs"].as_array().unwrap())
        .collect();
    let states =
        |field: &str| -> Vec<&str> { installs.iter().filter_map(|i| i[field].as_str()).collect() };
    assert!(!states("settings").is_empty() && states("settings").iter().all(|s| *s == "fetched"));
    assert!(!states("library").is_empty() && states("library").iter().all(|s| *s == "fetched"));
    // Without the remaps, --offline fetches nothing.
    let (_, report, _) = common::scan_json(&[shop.as_str(), "--offline", "--fail-on", "never"]);
    assert!(report.to_string().contains("\"offline\""));
}
