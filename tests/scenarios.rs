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

/// The one finding of `rule`.
fn finding<'a>(v: &'a Value, rule: &str) -> &'a Value {
    let found: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect();
    assert_eq!(found.len(), 1, "{rule}: {}", v["findings"]);
    found[0]
}

/// A finding's pages and its primary evidence's source.
fn located(f: &Value) -> (Vec<&str>, &str) {
    let pages = f["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    (pages, f["evidence"][0]["source"].as_str().unwrap())
}

fn steps_of(v: &Value) -> Vec<&str> {
    v["recommendation"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

/// Every text that tells someone what to do: the steps and each finding's help.
fn advice_texts(v: &Value) -> Vec<&str> {
    let mut texts = steps_of(v);
    for f in v["findings"].as_array().unwrap() {
        texts.push(f["help"].as_str().unwrap());
    }
    texts
}

/// No clause of any advice asks to add a Heap snippet and a Segment destination (two loaders).
fn assert_never_two_loaders(v: &Value) {
    for text in advice_texts(v) {
        let lower = text.to_lowercase();
        assert!(
            !lower.contains("native snippet and the segment destination"),
            "{text}"
        );
        for clause in lower.split(';').filter_map(|c| c.split_once("add ")) {
            assert!(
                !(clause.1.contains("snippet") && clause.1.contains("destination")),
                "asks to add two loaders: {text}"
            );
        }
    }
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

#[test]
fn advice_for_pages_with_different_app_ids() {
    // A native site whose docs section (its own template) loads another app id.
    let v = scenario("advice-mixed-ids");
    assert_eq!(rules_of(&v), vec!["app-id-mismatch"]);
    let (pages, source) = located(finding(&v, "app-id-mismatch"));
    assert_eq!(pages, vec!["SITE/docs/", "SITE/docs/api.html"]);
    assert_eq!(source, "SITE/docs/");
    assert_eq!(v["recommendation"]["install_path"], "native");
    // Every page has Heap: nothing to add, only the odd id to replace by the site's.
    assert_eq!(
        steps_of(&v),
        vec!["keep the single app id 2682025610: replace 4062471324 wherever it is used"]
    );
    assert_never_two_loaders(&v);
    check_snapshot("advice-mixed-ids", &v);
}

#[test]
fn advice_when_one_page_of_five_disables_text_capture() {
    // Segment loads Heap on four pages; the blog's own template has Heap's snippet with
    // disableTextCapture and no Segment.
    let v = scenario("advice-one-page-option");
    assert_eq!(
        rules_of(&v),
        vec!["heap-options-differ", "disable-target-text"]
    );
    let differ = finding(&v, "heap-options-differ");
    assert_eq!(located(differ), (vec!["SITE/blog/"], "SITE/blog/"));
    assert!(
        differ["message"]
            .as_str()
            .unwrap()
            .contains("set on 1 of 5 pages with Heap (SITE/blog/)"),
        "{differ}"
    );
    assert_eq!(
        located(finding(&v, "disable-target-text")),
        (vec!["SITE/blog/"], "SITE/blog/")
    );
    // Its help agrees with the advice to move the page to Segment: no "keep Heap native".
    let help = finding(&v, "disable-target-text")["help"].as_str().unwrap();
    assert!(
        help.starts_with("nothing to change while Heap is installed natively here")
            && help.contains("Target Text Autocapture"),
        "{help}"
    );
    // One page does not flip the site to native.
    let rec = &v["recommendation"];
    assert_eq!(rec["install_path"], "segment");
    assert!(
        rec["reasons"][0]
            .as_str()
            .unwrap()
            .contains("on 4 of 5 audited pages"),
        "{rec}"
    );
    assert!(
        rec["reasons"][1]
            .as_str()
            .unwrap()
            .starts_with("Text capture is disabled on only 1 of 5 audited pages"),
        "{rec}"
    );
    let steps = steps_of(&v);
    assert_eq!(steps.len(), 3, "{steps:#?}");
    assert!(
        steps[0].starts_with("add Segment's snippet (write key Zx81LmQp3RstUvW0yAbC4dEfGh5iJkLm) to the <head> of the 1 page that loads Heap directly but not Segment, and remove the direct Heap code there once Segment loads Heap: SITE/blog/;")
            && steps[0].ends_with("and no page may ever get both"),
        "{steps:#?}"
    );
    assert!(
        steps[1].starts_with("the 1 page that disables text capture today (SITE/blog/) cannot keep it through Segment's classic Heap destination"),
        "{steps:#?}"
    );
    assert_eq!(steps[2], "keep the single app id 1535634150 everywhere");
    // Nothing asks to spread the blog's option to the other pages.
    assert!(
        !steps.iter().any(|s| s.contains("disableTextCapture: true")),
        "{steps:#?}"
    );
    assert_never_two_loaders(&v);
    check_snapshot("advice-one-page-option", &v);
}

#[test]
fn advice_when_segment_settings_or_a_container_cannot_be_read() {
    // A native site; the help centre's GTM container and the careers page's Segment settings
    // answer 404; the contact page has no analytics at all.
    let v = scenario("advice-unread-settings");
    assert_eq!(
        rules_of(&v),
        vec![
            "heap-missing-on-some-pages",
            "segment-settings-unverified",
            "tag-manager-unverified"
        ]
    );
    let missing = finding(&v, "heap-missing-on-some-pages");
    assert_eq!(located(missing), (vec!["SITE/contact.html"], "SITE/"));
    let settings = finding(&v, "segment-settings-unverified");
    assert_eq!(
        located(settings),
        (vec!["SITE/careers.html"], "SITE/careers.html")
    );
    assert_eq!(
        settings["evidence"][1]["source"],
        "https://cdn.segment.com/v1/projects/Wq3RtY7uIo9PaS1dFg5hJk2lZx4cVb6n/settings"
    );
    let container = finding(&v, "tag-manager-unverified");
    assert_eq!(located(container), (vec!["SITE/help/"], "SITE/help/"));
    assert_eq!(
        container["evidence"][1]["source"],
        "https://www.googletagmanager.com/gtm.js?id=GTM-5XK7P2Q"
    );
    assert_eq!(v["recommendation"]["install_path"], "native");
    let steps = steps_of(&v);
    // Only the contact page, which was judged, is told to add Heap.
    let add: Vec<&&str> = steps.iter().filter(|s| s.starts_with("add ")).collect();
    assert_eq!(
        add,
        vec![&"add Heap's snippet with heap.load(\"2682025610\") to the <head> of the 1 page without it: SITE/contact.html"]
    );
    for text in advice_texts(&v) {
        for clause in text.split(';').filter(|c| c.contains("add ")) {
            assert!(
                !clause.contains("SITE/help/") && !clause.contains("SITE/careers.html"),
                "a page not judged is told to add a loader: {text}"
            );
        }
    }
    assert!(
        steps.contains(&"check the 2 pages not judged before adding any loader there (Segment settings, a tag manager container or a Segment-like snippet could not be read, or the page was cut short; it may already load Heap): SITE/help/ and SITE/careers.html"),
        "{steps:#?}"
    );
    assert_never_two_loaders(&v);
    check_snapshot("advice-unread-settings", &v);
}

#[test]
fn advice_for_pages_already_loading_heap_twice() {
    // Segment's Heap destination runs on every page; two landing pages also paste Heap's snippet.
    let v = scenario("advice-doubled");
    assert_eq!(rules_of(&v), vec!["duplicate-heap-load"]);
    let duplicate = finding(&v, "duplicate-heap-load");
    assert_eq!(
        located(duplicate),
        (vec!["SITE/", "SITE/pricing.html"], "SITE/")
    );
    let rec = &v["recommendation"];
    assert_eq!(rec["install_path"], "segment");
    assert!(
        rec["reasons"][1]
            .as_str()
            .unwrap()
            .starts_with("Heap is loaded both directly and by Segment on the same page today (2 pages: SITE/ and SITE/pricing.html)"),
        "{rec}"
    );
    // The pages to fix are named; nothing is to be added.
    assert_eq!(
        steps_of(&v),
        vec![
            "remove the native Heap snippet from the 2 pages where Segment's Heap destination also loads Heap: SITE/ and SITE/pricing.html",
            "keep the single app id 1535634150 everywhere"
        ]
    );
    assert_never_two_loaders(&v);
    check_snapshot("advice-doubled", &v);
}

#[test]
fn advice_for_one_segment_page_on_a_native_site() {
    // Heap's snippet on four pages; the webinar landing page loads only Segment, whose Heap
    // destination loads the same app id.
    let v = scenario("advice-segment-page-on-native");
    assert_eq!(v["findings"], json!([]), "{}", v["findings"]);
    let rec = &v["recommendation"];
    assert_eq!(rec["install_path"], "native");
    assert!(
        rec["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("Segment runs on only 1 of 5 audited pages"),
        "{rec}"
    );
    // The webinar page gets the snippet as Segment's destination goes, never both at once.
    assert_eq!(
        steps_of(&v),
        vec![
            "add Heap's snippet with heap.load(\"1535634150\") to the <head> of the 1 page without it: SITE/webinar.html; where Segment's Heap destination loads Heap today (1 page: SITE/webinar.html), publish the snippet together with disabling that destination (the step below), so that Heap never loads twice there",
            "disable the Heap destination \"Heap\" (app id 1535634150) of Segment source Zx81LmQp3RstUvW0yAbC4dEfGh5iJkLm in device mode, or switch it to cloud mode if Segment-tracked events should also reach Heap as server-side events",
            "keep the single app id 1535634150 everywhere"
        ]
    );
    assert_never_two_loaders(&v);
    check_snapshot("advice-segment-page-on-native", &v);
}
