//! End-to-end site scenarios over the loopback server, with snapshots of the JSON findings and the
//! recommendation in `tests/snapshots/`. The server's port is replaced by `SITE` so snapshots are
//! stable. To accept a changed snapshot after reviewing the diff: `UPDATE_SNAPSHOTS=1 cargo test`.

mod common;

use common::{scan_json, Server};
use serde_json::{json, Value};

fn scenario(site: &str) -> Value {
    let server = Server::site(site);
    let vendor = Server::root(common::fixtures().join("gtm"));
    let mut args = vec![server.url("/"), "--fail-on".into(), "never".into()];
    args.extend(vendor.remaps());
    let (code, report, stderr) = scan_json(&args);
    assert_eq!(code, 0, "{stderr}");
    let text = serde_json::to_string(&json!({
        "findings": report["findings"],
        "recommendation": report["recommendation"],
    }))
    .unwrap()
    .replace(&server.url(""), "SITE");
    serde_json::from_str(&text).unwrap()
}

fn check_snapshot(name: &str, actual: &Value) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.json"));
    let pretty = serde_json::to_string_pretty(actual).unwrap() + "\n";
    common::check_snapshot_file(&path, &pretty);
}

fn rules_of(v: &Value) -> Vec<&str> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect()
}

#[test]
fn native_and_segment_with_mismatched_ids() {
    let v = scenario("shop");
    let rules = rules_of(&v);
    assert!(
        rules.contains(&"duplicate-heap-load") && rules.contains(&"app-id-mismatch"),
        "{rules:?}"
    );
    assert_eq!(v["recommendation"]["install_path"], "segment");
    check_snapshot("shop", &v);
}

#[test]
fn segment_through_gtm() {
    let v = scenario("segment-gtm");
    assert_eq!(rules_of(&v), vec!["segment-via-gtm"]);
    assert_eq!(v["recommendation"]["install_path"], "native");
    check_snapshot("segment-gtm", &v);
}

#[test]
fn a_site_mixing_environments() {
    let v = scenario("mixed-env");
    assert_eq!(
        rules_of(&v),
        vec!["app-id-mismatch", "mixed-heap-sdk-versions"]
    );
    check_snapshot("mixed-env", &v);
}

#[test]
fn a_clean_segment_install() {
    let v = scenario("clean");
    // The snippet's own analytics.page() is boilerplate, not a finding: nothing to say at all.
    assert_eq!(v["findings"], json!([]), "{}", v["findings"]);
    assert_eq!(v["recommendation"]["install_path"], "segment");
    check_snapshot("clean", &v);
}
