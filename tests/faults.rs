//! Bad input: every fault becomes a problem with its URL, the audit goes on, and nothing panics.

mod common;

use common::{heap_audit, page, problems_of_kind, scan_json, Server};

fn faults_report(extra: &[&str]) -> (Server, Server, serde_json::Value, i32) {
    let site = Server::site("faults");
    let vendor = Server::root(common::fixtures().join("gtm"));
    let mut args = vec![site.url("/"), "--timeout".to_owned(), "2".to_owned()];
    if !extra.contains(&"--max-body") {
        args.extend(["--max-body".to_owned(), "1000000".to_owned()]);
    }
    args.extend(vendor.remaps());
    args.extend(extra.iter().map(|s| s.to_string()));
    let (code, report, stderr) = scan_json(&args);
    assert!(!stderr.contains("panicked"), "{stderr}");
    (site, vendor, report, code)
}

fn has_problem(report: &serde_json::Value, kind: &str, url_suffix: &str) -> bool {
    problems_of_kind(report, kind).iter().any(|p| {
        p["url"].as_str().is_some_and(|u| u.ends_with(url_suffix))
            && !p["message"].as_str().unwrap_or("").is_empty()
    })
}

#[test]
fn every_fault_is_reported_with_its_url_and_the_audit_goes_on() {
    let (_site, _vendor, report, code) = faults_report(&[]);
    assert_eq!(code, 0, "the start page was audited, so the run succeeds");
    let kinds = serde_json::to_string_pretty(&report["problems"]).unwrap();
    assert!(
        has_problem(&report, "http-status", "/__status/500"),
        "{kinds}"
    );
    assert!(
        has_problem(&report, "http-status", "/__status/404"),
        "{kinds}"
    );
    assert!(
        has_problem(&report, "redirect-loop", "/__redirect-loop/a"),
        "{kinds}"
    );
    // Bytes of every value labelled text/html are read as text, as a browser reads them: a
    // declared text/html wins over NUL bytes, so the page is parsed, not "binary".
    assert!(!has_problem(&report, "binary", "/__binary"), "{kinds}");
    assert!(page(&report, "/__binary")["error"].is_null(), "{kinds}");
    assert!(has_problem(&report, "truncated", "/__huge"), "{kinds}");
    assert!(has_problem(&report, "timeout", "/__slow"), "{kinds}");
    assert!(has_problem(&report, "not-html", "/api/status"), "{kinds}");
    assert!(
        has_problem(&report, "encoding", "/undeclared-latin1.html"),
        "{kinds}"
    );
    assert!(
        has_problem(&report, "unparsable-container", "gtm.js?id=GTM-BROKEN1"),
        "{kinds}"
    );
    assert!(
        has_problem(
            &report,
            "invalid-settings",
            "/v1/projects/InvalidJsonKey000000000000000000/settings"
        ),
        "{kinds}"
    );
    assert!(
        has_problem(
            &report,
            "http-status",
            "/v1/projects/NoSuchSourceKey00000000000000000/settings"
        ),
        "{kinds}"
    );

    // Pages with errors are in the report, with the status and the error.
    let five_hundred = page(&report, "/__status/500");
    assert_eq!(five_hundred["status"], 500);
    assert!(five_hundred["error"].as_str().unwrap().contains("500"));
    // The huge page was cut before its Heap snippet, and says so.
    let huge = page(&report, "/__huge");
    assert_eq!(huge["truncated"], true);
    assert!(huge["installs"].as_array().unwrap().is_empty());
    // A declared latin-1 page is decoded without complaint, and its snippet found.
    assert!(!has_problem(&report, "encoding", "/latin1.html"));
    assert_eq!(
        page(&report, "/latin1.html")["installs"][0]["id"],
        "1535634150"
    );
    assert_eq!(
        page(&report, "/undeclared-latin1.html")["installs"][0]["id"],
        "1535634150"
    );
    // Broken, unterminated HTML still yields its snippet.
    assert_eq!(
        page(&report, "/broken.html")["installs"][0]["id"],
        "1535634150"
    );
    // Settings that failed are marked so on the Segment install.
    assert_eq!(
        page(&report, "/bad-settings.html")["installs"][0]["settings"],
        "error"
    );
    assert_eq!(page(&report, "/ok.html")["error"], serde_json::Value::Null);
}

#[test]
fn a_bigger_body_cap_reads_the_whole_page() {
    let (_site, _vendor, report, _) =
        faults_report(&["--max-body", "5000000", "--include", "__huge"]);
    let huge = page(&report, "/__huge");
    assert_eq!(huge["truncated"], false);
    assert_eq!(huge["installs"][0]["id"], "999999999");
}

#[test]
fn nothing_to_audit_exits_2_with_a_reason() {
    let (code, _, stderr) = heap_audit(&["scan", "/no/such/folder"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("/no/such/folder") && stderr.contains("No such file"),
        "{stderr}"
    );

    // A port nobody listens on: unreachable start URL.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}/");
    let (code, report, stderr) = scan_json(&[url.as_str()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("start page could not be audited"),
        "{stderr}"
    );
    assert_eq!(report["problems"][0]["kind"], "unreachable");

    let site = Server::site("faults");
    let (code, _, stderr) = scan_json(&[site.url("/__status/503")]);
    assert_eq!(code, 2);
    assert!(stderr.contains("503"), "{stderr}");

    let (code, _, stderr) = heap_audit(&["scan", "--remap", "only-one-part", "x"]);
    assert_eq!(code, 2, "bad usage");
    assert!(stderr.contains("REGEX REPLACEMENT"), "{stderr}");
}

#[test]
fn one_bad_target_does_not_stop_the_others() {
    let dir = common::fixtures().join("sites/clean");
    let (code, report, stderr) =
        scan_json(&["/no/such/folder", dir.to_str().unwrap(), "--offline"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["pages"].as_array().unwrap().len(), 3);
    assert!(stderr.contains("/no/such/folder"));
}

#[test]
fn a_redirect_to_a_local_file_is_not_followed() {
    // A page of the site redirects to file:///etc/hostname: heap-audit must not read it.
    let site = Server::site("faults");
    let target = site.url("/__redirect-to/file%3A%2F%2F%2Fetc%2Fhostname");
    let (code, report, stderr) = scan_json(&[target.as_str(), "--offline"]);
    assert_eq!(code, 2, "the start page could not be audited: {stderr}");
    let redirect = problems_of_kind(&report, "off-site-redirect");
    assert_eq!(redirect.len(), 1, "{}", report["problems"]);
    let message = redirect[0]["message"].as_str().unwrap();
    assert!(
        message.contains("file:///etc/hostname") && message.contains("not followed"),
        "{message}"
    );
    assert!(
        page(&report, "/__redirect-to/file%3A%2F%2F%2Fetc%2Fhostname")["installs"]
            .as_array()
            .is_none_or(|i| i.is_empty())
    );
}
