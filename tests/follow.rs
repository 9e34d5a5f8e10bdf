//! Following what a page loads: each GTM container fixture and each Segment settings fixture, read
//! through a real fixture page whose container or settings URL is remapped to that file, and the
//! page's `analytics.load` options applied on top.

use std::path::PathBuf;

use heap_audit::model::{Install, Mode, Page, Sdk, Vendor, Via};
use heap_audit::scan::{self, ScanOptions};
use heap_audit::source::fetch::FetchConfig;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Scan one fixture page with every GTM container URL remapped to `gtm` and every Segment settings
/// URL to `settings`.
fn scan_with(page: &str, gtm: &str, settings: &str) -> (Page, Vec<heap_audit::model::Problem>) {
    let f = fixtures();
    let remaps = vec![
        format!(
            "https://www\\.googletagmanager\\.com/gtm\\.js.* {}",
            f.join("gtm").join(gtm).display()
        )
        .parse()
        .unwrap(),
        format!(
            "https://cdn\\.segment\\.com/v1/projects/.* {}",
            f.join("segment").join(settings).display()
        )
        .parse()
        .unwrap(),
    ];
    let opts = ScanOptions {
        fetch: FetchConfig {
            remaps,
            ..FetchConfig::default()
        },
        ..ScanOptions::default()
    };
    let target = f.join("pages").join(page).to_string_lossy().into_owned();
    let outcome = scan::run(&[target], &opts).unwrap();
    let report = outcome.report;
    (report.pages.into_iter().next().unwrap(), report.problems)
}

fn heap(page: &Page) -> Vec<&Install> {
    page.installs
        .iter()
        .filter(|i| i.vendor == Vendor::Heap)
        .collect()
}

#[test]
fn gtm_custom_html_heap_classic_with_a_constant_macro() {
    let (page, _) = scan_with("gtm-standard.html", "GTM-HEAPG1.js", "none.json");
    let heap = heap(&page);
    assert_eq!(heap.len(), 1);
    assert_eq!(heap[0].id.as_deref(), Some("3180826004"));
    assert_eq!((heap[0].via, heap[0].sdk), (Via::Gtm, Some(Sdk::Classic)));
    assert_eq!(heap[0].container.as_deref(), Some("GTM-1QSSK38"));
}

#[test]
fn gtm_custom_html_heap_v5_with_options() {
    let (page, _) = scan_with("gtm-standard.html", "GTM-HEAPV5.js", "none.json");
    let heap = heap(&page);
    assert_eq!(heap.len(), 1);
    assert_eq!(heap[0].id.as_deref(), Some("262759952"));
    assert_eq!(heap[0].sdk, Some(Sdk::V5));
    assert_eq!(heap[0].options["disableTextCapture"], true);
}

#[test]
fn gtm_templates_that_inject_heap_or_segment() {
    let (page, _) = scan_with("gtm-standard.html", "GTM-TPLHEAP.js", "none.json");
    let heap = heap(&page);
    assert_eq!(heap.len(), 1, "{:?}", page.installs);
    assert_eq!(heap[0].id.as_deref(), Some("1535634150"));
    assert_eq!(heap[0].evidence.signature, "gtm-template-inject-script");
    assert!(heap[0]
        .evidence
        .tag
        .as_deref()
        .unwrap()
        .contains("__cvt_5839201_12"));

    let (page, _) = scan_with(
        "gtm-standard.html",
        "GTM-TPLSEG.js",
        "q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH.json",
    );
    let segment: Vec<_> = page
        .installs
        .iter()
        .filter(|i| i.vendor == Vendor::Segment)
        .collect();
    assert_eq!(segment.len(), 1);
    assert_eq!(
        segment[0].id.as_deref(),
        Some("Zx81LmQp3RstUvW0yAbC4dEfGh5iJkLm")
    );
    assert_eq!(segment[0].via, Via::Gtm);
    // …and the Segment it injects is followed to its settings.
    assert_eq!(heap_ids(&page), vec!["2682025610"]);
}

#[test]
fn gtm_container_without_heap_is_clean_even_with_a_heap_push_helper() {
    let (page, problems) = scan_with("gtm-standard.html", "GTM-CLEAN01.js", "none.json");
    assert_eq!(
        page.installs.len(),
        1,
        "only the container itself: {:?}",
        page.installs
    );
    assert!(
        problems.iter().all(|p| !p.url.contains("googletagmanager")),
        "{problems:?}"
    );
}

#[test]
fn gtm_container_with_segment_snippet() {
    let (page, _) = scan_with(
        "gtm-standard.html",
        "GTM-SEG4GTM.js",
        "bKVNiLl0RNlUfe2nS5JiKvEjrZX5mbKY.json",
    );
    let segment = page
        .installs
        .iter()
        .find(|i| i.vendor == Vendor::Segment)
        .unwrap();
    assert_eq!(
        segment.id.as_deref(),
        Some("bKVNiLl0RNlUfe2nS5JiKvEjrZX5mbKY")
    );
    assert_eq!(
        (segment.via, segment.snippet_version.as_deref()),
        (Via::Gtm, Some("4.1.0"))
    );
    assert_eq!(heap_ids(&page), vec!["1884442793"]);
}

fn heap_ids(page: &Page) -> Vec<&str> {
    page.installs
        .iter()
        .filter(|i| i.vendor == Vendor::Heap && i.active)
        .filter_map(|i| i.id.as_deref())
        .collect()
}

fn from_segment(page: &Page) -> &Install {
    page.installs
        .iter()
        .find(|i| i.vendor == Vendor::Heap && i.via == Via::Segment)
        .expect("a Heap destination")
}

#[test]
fn settings_device_mode_classic() {
    let (page, _) = scan_with(
        "segment-5.2.1.html",
        "none.js",
        "q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH.json",
    );
    let heap = from_segment(&page);
    assert_eq!(
        (heap.id.as_deref(), heap.mode, heap.active),
        (Some("2682025610"), Some(Mode::Device), true)
    );
    assert_eq!(heap.sdk, Some(Sdk::Classic));
    assert_eq!(heap.destination.as_deref(), Some("Heap"));
}

#[test]
fn settings_cloud_mode_is_recorded_but_does_not_load() {
    let (page, _) = scan_with(
        "segment-5.2.1.html",
        "none.js",
        "Cl0udM0deHeapKey0000000000000000.json",
    );
    let heap = from_segment(&page);
    assert_eq!(
        (heap.id.as_deref(), heap.mode, heap.active),
        (Some("1535634150"), Some(Mode::Cloud), false)
    );
    assert!(heap
        .inactive_reason
        .as_deref()
        .unwrap()
        .contains("cloud mode"));
    assert!(heap_ids(&page).is_empty());
}

#[test]
fn settings_heap_web_actions_plugin() {
    let (page, _) = scan_with(
        "segment-5.2.1.html",
        "none.js",
        "Act1onsHeapWebKey00000000000000a.json",
    );
    let heap = from_segment(&page);
    assert_eq!(
        (heap.id.as_deref(), heap.mode, heap.active),
        (Some("4062471324"), Some(Mode::Device), true)
    );
    assert_eq!(heap.sdk, Some(Sdk::V5));
    assert_eq!(heap.options["disableTextCapture"], true);
    assert!(heap.destination.as_deref().unwrap().contains("Actions"));
}

#[test]
fn settings_without_heap_add_nothing() {
    let (page, _) = scan_with(
        "segment-5.2.1.html",
        "none.js",
        "N0HeapAtAllKey000000000000000000.json",
    );
    assert!(heap(&page).is_empty());
    assert_eq!(page.installs[0].settings.as_deref(), Some("fetched"));
}

#[test]
fn invalid_settings_are_a_problem_not_a_crash() {
    let (page, problems) = scan_with(
        "segment-5.2.1.html",
        "none.js",
        "InvalidJsonKey000000000000000000.json",
    );
    assert!(heap(&page).is_empty());
    assert_eq!(page.installs[0].settings.as_deref(), Some("error"));
    assert!(problems.iter().any(
        |p| p.kind == heap_audit::model::ProblemKind::InvalidSettings
            && p.url.contains("/v1/projects/")
    ));
}

#[test]
fn load_options_disable_heap() {
    let (page, _) = scan_with(
        "segment-5.2.1-heap-disabled.html",
        "none.js",
        "q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH.json",
    );
    let heap = from_segment(&page);
    assert!(!heap.active);
    assert!(
        heap.inactive_reason.as_deref().unwrap().contains("Heap"),
        "{:?}",
        heap.inactive_reason
    );

    // `All: false` with only Google Analytics enabled leaves Heap off too.
    let (page, _) = scan_with(
        "segment-4.1.0-integrations.html",
        "none.js",
        "q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH.json",
    );
    assert!(!from_segment(&page).active);
}

#[test]
fn load_options_override_the_app_id() {
    let (page, _) = scan_with(
        "segment-4.15.3-heap-appid.html",
        "none.js",
        "q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH.json",
    );
    let heap = from_segment(&page);
    let expected = page.installs[0].options["integrations"]["Heap"]["appId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(expected, "2682025610");
    assert_eq!(heap.id.as_deref(), Some(expected.as_str()));
    assert!(heap.active);
}

#[test]
fn a_missing_container_is_reported() {
    let (page, problems) = scan_with("gtm-standard.html", "GTM-DOESNOTEXIST.js", "none.json");
    assert_eq!(page.installs.len(), 1);
    assert!(
        problems.iter().any(|p| p
            .url
            .starts_with("https://www.googletagmanager.com/gtm.js?id=GTM-1QSSK38")),
        "{problems:?}"
    );
}

/// Scan a fixture page with one extra remap (a tag manager library to a local file).
fn scan_remapped(page: &str, remap: String) -> Page {
    let opts = ScanOptions {
        fetch: FetchConfig {
            remaps: vec![remap.parse().unwrap()],
            ..FetchConfig::default()
        },
        ..ScanOptions::default()
    };
    let target = fixtures()
        .join("pages")
        .join(page)
        .to_string_lossy()
        .into_owned();
    scan::run(&[target], &opts).unwrap().report.pages.remove(0)
}

#[test]
fn tealium_library_and_its_tag_files_are_scanned() {
    let dir = fixtures().join("tag-managers/tealium");
    let page = scan_remapped(
        "tealium-utag.html",
        format!(
            "https://tags\\.tiqcdn\\.com/utag/acme/main/prod/(.*) {}/$1",
            dir.display()
        ),
    );
    let heap = heap(&page);
    assert_eq!(heap.len(), 1, "{:?}", page.installs);
    assert_eq!(
        (heap[0].id.as_deref(), heap[0].via),
        (Some("1535634150"), Via::Tealium)
    );
    assert_eq!(heap[0].container.as_deref(), Some("acme/main/prod"));
    // The Heap tag is not bundled: it lives in utag.12.js, listed in utag.loader.cfg.
    assert_eq!(
        heap[0].evidence.source,
        "https://tags.tiqcdn.com/utag/acme/main/prod/utag.12.js"
    );
    let tealium = page
        .installs
        .iter()
        .find(|i| i.vendor == Vendor::Tealium)
        .unwrap();
    assert_eq!(tealium.library.as_deref(), Some("fetched"));
}

#[test]
fn adobe_launch_library_is_scanned() {
    let lib = fixtures().join("tag-managers/launch-EN3c4d5e6f7a8b.min.js");
    let page = scan_remapped(
        "adobe-launch.html",
        format!("https://assets\\.adobedtm\\.com/.* {}", lib.display()),
    );
    let segment: Vec<_> = page
        .installs
        .iter()
        .filter(|i| i.vendor == Vendor::Segment)
        .collect();
    assert_eq!(segment.len(), 1, "{:?}", page.installs);
    assert_eq!(
        segment[0].id.as_deref(),
        Some("Zx81LmQp3RstUvW0yAbC4dEfGh5iJkLm")
    );
    assert_eq!(segment[0].via, Via::AdobeLaunch);
}
