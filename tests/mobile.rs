//! Mobile apps and server-side services in a repository (`fixtures/apps/`), through the real
//! binary: what each app uses (packages with versions, init calls with ids), where (file and
//! line), which findings it gets, and that apps are not web pages.

mod common;

use common::{fixtures, heap_audit, scan_json};
use serde_json::Value;

fn fixture(name: &str) -> String {
    fixtures()
        .join("apps")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Scan a fixture offline; the report, with paths shown relative to `fixtures/apps/<name>`.
fn scan(name: &str, extra: &[&str]) -> Value {
    let path = fixture(name);
    let mut args = vec![path.as_str(), "--offline"];
    args.extend(extra);
    let (code, report, stderr) = scan_json(&args);
    assert!(code == 0 || code == 1, "{name}: exit {code}: {stderr}");
    report
}

fn apps(report: &Value) -> Vec<&Value> {
    report["sources"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["apps"].as_array().into_iter().flatten())
        .collect()
}

/// The one app of a report.
fn only_app(report: &Value) -> &Value {
    let all = apps(report);
    assert_eq!(
        all.len(),
        1,
        "{}",
        serde_json::to_string_pretty(&all).unwrap_or_default()
    );
    all[0]
}

/// `file:line` with the fixture's path cut off.
fn at(evidence: &Value) -> String {
    let source = evidence["source"].as_str().unwrap_or_default();
    let rel = source
        .rsplit_once("fixtures/apps/")
        .map_or(source, |(_, r)| r);
    let rel = rel.split_once('/').map_or(rel, |(_, r)| r);
    format!("{rel}:{}", evidence["line"])
}

/// `(name, version, file:line)` of each package.
fn packages(app: &Value) -> Vec<(String, String, String)> {
    app["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_owned(),
                p["version"].as_str().unwrap_or_default().to_owned(),
                at(&p["evidence"]),
            )
        })
        .collect()
}

/// `(vendor, id or id_from, file:line)` of each init call.
fn inits(app: &Value) -> Vec<(String, String, String)> {
    app["installs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| {
            let id = i["id"]
                .as_str()
                .or(i["id_from"].as_str())
                .unwrap_or_default();
            (
                i["vendor"].as_str().unwrap_or_default().to_owned(),
                id.to_owned(),
                at(&i["evidence"]),
            )
        })
        .collect()
}

fn rules(report: &Value) -> Vec<&str> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["rule"].as_str())
        .collect()
}

fn finding<'a>(report: &'a Value, rule: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .and_then(|all| all.iter().find(|f| f["rule"] == rule))
        .unwrap_or_else(|| panic!("no {rule}: {}", report["findings"]))
}

fn owned(v: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    v.iter()
        .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
        .collect()
}

#[test]
fn ios_app_with_heaps_sdk_from_the_podfile_lock() {
    let report = scan("ios-pass", &[]);
    let app = only_app(&report);
    assert_eq!(app["platform"], "ios");
    assert_eq!(app["language"], "swift");
    assert_eq!(
        packages(app),
        owned(&[
            ("HeapIOSAutocapture", "0.8.1", "Podfile.lock:3"),
            ("HeapSwiftCore", "0.8.8", "Podfile.lock:5"),
        ])
    );
    // The classic init in a comment (line 15) is not an install.
    assert_eq!(
        inits(app),
        owned(&[("heap", "1620493857", "Acme/App/AppDelegate.swift:17")])
    );
    assert_eq!(app["calls"][0]["event"], "Order Placed");
    assert_eq!(rules(&report), Vec::<&str>::new());
    assert!(!report["recommendation"]["steps"]
        .to_string()
        .contains("ios app"));
    // An app-only repository: no web page.
    assert_eq!(report["summary"]["pages"], 0);
}

#[test]
fn ios_app_with_segment_only_is_told_what_heap_would_miss() {
    let report = scan("ios-fail", &[]);
    let app = only_app(&report);
    assert_eq!(
        packages(app),
        owned(&[("Analytics", "4.1.8", "Podfile.lock:3")])
    );
    assert_eq!(app["packages"][0]["generation"], "classic");
    assert_eq!(
        inits(app),
        owned(&[(
            "segment",
            "Qm7Tz2LpXv9RwKd4NsYb8HcJf3GeAu6V",
            "Acme/App/AppDelegate.swift:14"
        )])
    );
    assert_eq!(rules(&report), ["segment-without-heap-sdk"]);
    let f = finding(&report, "segment-without-heap-sdk");
    assert_eq!(f["severity"], "info");
    let message = f["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("if Heap is a destination of this source"),
        "{message}"
    );
    assert!(message.contains("no autocapture"), "{message}");
    assert!(
        f["help"]
            .as_str()
            .unwrap_or_default()
            .contains("install Heap's iOS or Android SDK"),
        "{f}"
    );
    assert_eq!(at(&f["evidence"][0]), "Acme/App/AppDelegate.swift:14");
    // No web page, so no web install path to recommend: the finding carries the advice.
    assert!(
        report["recommendation"].is_null(),
        "{}",
        report["recommendation"]
    );
}

/// Copy a folder, leaving out the entries named in `skip`.
fn copy_dir(from: &std::path::Path, to: &std::path::Path, skip: &[&str]) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        if skip.iter().any(|s| entry.file_name() == *s) {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target, &[]);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

#[test]
fn a_segment_only_app_next_to_a_web_site_adds_a_step_to_the_web_recommendation() {
    // The web shop of `web-and-android` with the iOS app of `ios-fail` in `ios/`.
    let dir = std::env::temp_dir().join(format!("heap-audit-web-ios-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&fixtures().join("apps/web-and-android"), &dir, &["android"]);
    copy_dir(&fixtures().join("apps/ios-fail"), &dir.join("ios"), &[]);
    let path = dir.to_string_lossy().into_owned();
    let (_, report, stderr) = scan_json(&[path.as_str(), "--offline"]);
    assert_eq!(only_app(&report)["platform"], "ios", "{stderr}");
    // The advice for the web stays; the app gets its own step.
    let steps = report["recommendation"]["steps"].to_string();
    assert!(
        steps.contains("ios app") && steps.contains("install Heap's own SDK for autocapture"),
        "{steps}"
    );
    // Not when the config says Heap is no destination of the app's Segment source.
    let (config_dir, config) = config_file(
        "web-ios-none",
        "[[segment_sources]]\nwrite_key = \"Qm7Tz2LpXv9RwKd4NsYb8HcJf3GeAu6V\"\nheap_destination = \"none\"\n",
    );
    let (_, report, stderr) = scan_json(&[path.as_str(), "--offline", "--config", &config]);
    let steps = report["recommendation"]["steps"].to_string();
    assert!(!steps.contains("ios app"), "{steps} {stderr}");
    let _ = std::fs::remove_dir_all(&config_dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn android_app_with_heap_core_from_the_version_catalog() {
    let report = scan("android-pass", &[]);
    let app = only_app(&report);
    assert_eq!(app["platform"], "android");
    assert_eq!(app["language"], "kotlin");
    assert_eq!(
        packages(app),
        owned(&[
            (
                "io.heap.core:heap-android-core",
                "0.7.1",
                "gradle/libs.versions.toml:10"
            ),
            (
                "io.heap.autocapture:heap-autocapture-view",
                "0.7.1",
                "gradle/libs.versions.toml:11"
            ),
        ])
    );
    assert_eq!(
        inits(app),
        owned(&[(
            "heap",
            "2750194836",
            "app/src/main/java/com/acme/shop/ShopApplication.kt:11"
        )])
    );
    assert_eq!(rules(&report), Vec::<&str>::new());
}

#[test]
fn android_app_with_both_sdks_and_another_heap_project() {
    let report = scan("android-fail", &[]);
    let app = only_app(&report);
    assert_eq!(
        inits(app),
        owned(&[
            (
                "heap",
                "604918273",
                "app/src/main/java/com/acme/shop/ShopApplication.kt:13"
            ),
            (
                "segment",
                "Qm7Tz2LpXv9RwKd4NsYb8HcJf3GeAu6V",
                "app/src/main/java/com/acme/shop/ShopApplication.kt:14"
            ),
        ])
    );
    // No web page in this repository: nothing to compare the app id with.
    assert_eq!(rules(&report), ["heap-and-segment-in-app"]);
    let both = finding(&report, "heap-and-segment-in-app");
    assert!(
        both["help"]
            .as_str()
            .unwrap_or_default()
            .contains("time window"),
        "{both}"
    );
}

#[test]
fn web_app_and_android_app_in_one_repository() {
    // A SvelteKit shop (Heap 2750194836) with its Android app in `android/` on another Heap
    // project: the app is listed apart, its id compared with the web's.
    let report = scan("web-and-android", &[]);
    let app = only_app(&report);
    assert_eq!(app["platform"], "android");
    assert_eq!(
        inits(app),
        owned(&[(
            "heap",
            "604918273",
            "android/app/src/main/java/com/acme/shop/ShopApplication.kt:11"
        )])
    );
    assert_eq!(rules(&report), ["app-id-differs-from-web"]);
    let ids = finding(&report, "app-id-differs-from-web");
    assert_eq!(ids["severity"], "info");
    let message = ids["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("604918273") && message.contains("2750194836"),
        "{message}"
    );
    assert!(
        ids["help"]
            .as_str()
            .unwrap_or_default()
            .contains("valid choice"),
        "{ids}"
    );
    assert_eq!(
        at(&ids["evidence"][0]),
        "android/app/src/main/java/com/acme/shop/ShopApplication.kt:11"
    );
    // The app is not a page: the shop's two pages are.
    assert_eq!(report["summary"]["pages"], 2);
}

#[test]
fn environments_that_name_one_app_id_make_a_differing_app_id_a_warning() {
    let dir = std::env::temp_dir().join(format!("heap-audit-mobile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = dir.join("heap-audit.toml");
    std::fs::write(
        &config,
        "[[environments]]\nname = \"production\"\nheap_app_id = \"2750194836\"\n",
    )
    .expect("config");
    let config = config.to_string_lossy().into_owned();
    let report = scan("android-fail", &["--config", &config]);
    let ids = finding(&report, "app-id-differs-from-web");
    assert_eq!(ids["severity"], "warning");
    // The app that uses the configured id is fine.
    let report = scan("android-pass", &["--config", &config]);
    assert!(!rules(&report).contains(&"app-id-differs-from-web"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A config file in a temporary folder; its path.
fn config_file(tag: &str, text: &str) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("heap-audit-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = dir.join("heap-audit.toml");
    std::fs::write(&config, text).expect("config");
    let path = config.to_string_lossy().into_owned();
    (dir, path)
}

#[test]
fn segment_sources_in_the_config_say_whether_heap_is_a_destination() {
    // Heap a destination of the app's source: the conditional becomes a warning, naming it.
    let (dir, config) = config_file(
        "sources-cloud",
        "[[segment_sources]]\nname = \"Cordova app (production)\"\nwrite_key = \"Qm7Tz2LpXv9RwKd4NsYb8HcJf3GeAu6V\"\nheap_destination = \"cloud\"\n",
    );
    let report = scan("cordova-fail", &["--config", &config]);
    let f = finding(&report, "segment-without-heap-sdk");
    assert_eq!(f["severity"], "warning");
    let message = f["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("the config says Heap is a destination of its Segment source Cordova app (production) (write key Qm7Tz2LpXv9RwKd4NsYb8HcJf3GeAu6V)"),
        "{message}"
    );
    assert!(!message.contains("if Heap is a destination"), "{message}");
    assert_eq!(at(&f["evidence"][0]), "config.xml:9");
    let _ = std::fs::remove_dir_all(&dir);

    // Device mode is what the team may believe; a mobile source reaches Heap in cloud mode.
    let (dir, config) = config_file(
        "sources-device",
        "[[segment_sources]]\nwrite_key = \"Qm7Tz2LpXv9RwKd4NsYb8HcJf3GeAu6V\"\nheap_destination = \"device\"\n",
    );
    let report = scan("ios-fail", &["--config", &config]);
    let f = finding(&report, "segment-without-heap-sdk");
    assert_eq!(f["severity"], "warning");
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("no device-mode Heap plugin"),
        "{f}"
    );
    let _ = std::fs::remove_dir_all(&dir);

    // Not a destination: Heap gets nothing from this app through Segment, as the team chose.
    let (dir, config) = config_file(
        "sources-none",
        "[[segment_sources]]\nwrite_key = \"Qm7Tz2LpXv9RwKd4NsYb8HcJf3GeAu6V\"\nheap_destination = \"none\"\n",
    );
    let report = scan("cordova-fail", &["--config", &config]);
    assert_eq!(rules(&report), Vec::<&str>::new());
    // Another source's statement says nothing about this app: information, as without it.
    let (other_dir, other) = config_file(
        "sources-other",
        "[[segment_sources]]\nwrite_key = \"Vb3Nq8RtKs2LmXw7PzYc4JdHf6GaEu9T\"\nheap_destination = \"cloud\"\n",
    );
    let report = scan("capacitor-fail", &["--config", &other]);
    assert_eq!(
        finding(&report, "segment-without-heap-sdk")["severity"],
        "info"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&other_dir);
}

#[test]
fn segment_sources_in_the_config_settle_what_an_app_with_both_sdks_sends_heap() {
    // Heap a destination of the app's source: said as a fact, naming the source.
    let (dir, config) = config_file(
        "both-cloud",
        "[[segment_sources]]\nname = \"Android app (production)\"\nwrite_key = \"Qm7Tz2LpXv9RwKd4NsYb8HcJf3GeAu6V\"\nheap_destination = \"cloud\"\n",
    );
    let report = scan("android-fail", &["--config", &config]);
    let both = finding(&report, "heap-and-segment-in-app");
    let message = both["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("the config says Heap is a destination of its Segment source Android app (production) (write key Qm7Tz2LpXv9RwKd4NsYb8HcJf3GeAu6V)"),
        "{message}"
    );
    assert!(!message.contains("if Heap is a destination"), "{message}");
    let _ = std::fs::remove_dir_all(&dir);
    // Not a destination: no Segment event reaches Heap, nothing to note.
    let (dir, config) = config_file(
        "both-none",
        "[[segment_sources]]\nwrite_key = \"Qm7Tz2LpXv9RwKd4NsYb8HcJf3GeAu6V\"\nheap_destination = \"none\"\n",
    );
    let report = scan("android-fail", &["--config", &config]);
    assert_eq!(rules(&report), Vec::<&str>::new());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn init_offers_a_segment_source_block_for_each_apps_write_key() {
    let (code, text, stderr) = heap_audit(&[
        "init",
        &fixture("android-fail"),
        "--output",
        "-",
        "--offline",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let block = format!(
        "# [[segment_sources]]\n#   name = \"{}\"\n#   write_key = \"Qm7Tz2LpXv9RwKd4NsYb8HcJf3GeAu6V\"\n\
         #   heap_destination = \"cloud\"",
        fixture("android-fail")
    );
    assert!(text.contains(&block), "{text}");
    assert_eq!(text.matches("# [[segment_sources]]").count(), 1, "{text}");
    // Uncommented as written, the file loads and settles the app's finding.
    let uncommented: String = text
        .lines()
        .map(|l| {
            if l == "# [[segment_sources]]" || l.starts_with("#   ") {
                l.trim_start_matches('#').trim_start()
            } else {
                l
            }
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let (dir, config) = config_file("init-sources", &uncommented);
    let report = scan("android-fail", &["--config", &config]);
    let message = finding(&report, "heap-and-segment-in-app")["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains("the config says Heap is a destination of its Segment source"),
        "{message}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_segment_source_in_the_config_names_its_line() {
    let (dir, config) = config_file(
        "sources-bad",
        "fail_on = \"never\"\n\n[[segment_sources]]\nwrite_key = \"Qm7Tz2LpXv9RwKd4NsYb8HcJf3GeAu6V\"\nheap_destination = \"yes\"\n",
    );
    let path = fixture("cordova-fail");
    let (code, _, stderr) = heap_audit(&["scan", &path, "--offline", "--config", &config]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(":5: heap_destination: expected \"cloud\", \"device\" or \"none\""),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn react_native_apps() {
    let report = scan("react-native-pass", &[]);
    let app = only_app(&report);
    assert_eq!(app["platform"], "react-native");
    assert_eq!(
        packages(app),
        owned(&[
            (
                "@heap/heap-react-native-autocapture",
                "0.7.4",
                "yarn.lock:5"
            ),
            ("@heap/heap-react-native-bridge", "0.8.1", "yarn.lock:9"),
        ])
    );
    assert_eq!(rules(&report), Vec::<&str>::new());
    assert_eq!(report["summary"]["pages"], 0);

    let report = scan("react-native-fail", &[]);
    let app = only_app(&report);
    assert_eq!(
        inits(app),
        owned(&[(
            "segment",
            "Qm7Tz2LpXv9RwKd4NsYb8HcJf3GeAu6V",
            "src/App.tsx:6"
        )])
    );
    assert_eq!(rules(&report), ["segment-without-heap-sdk"]);
}

#[test]
fn classic_react_native_heap_starts_from_heap_config_json() {
    // @heap/react-native-heap reads its app id per build from heap.config.json (heapAutoInit).
    let report = scan("react-native-classic", &[]);
    let app = only_app(&report);
    assert_eq!(app["platform"], "react-native");
    assert_eq!(
        packages(app),
        owned(&[("@heap/react-native-heap", "^0.22.8", "package.json:12")])
    );
    assert_eq!(app["packages"][0]["generation"], "classic");
    assert_eq!(
        inits(app),
        owned(&[
            ("heap", "3180826004", "heap.config.json:7"),
            ("heap", "2750194836", "heap.config.json:11"),
        ])
    );
    let calls: Vec<&str> = app["installs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["call"].as_str())
        .collect();
    assert_eq!(calls, ["heap.config.json dev", "heap.config.json prod"]);
    assert_eq!(app["installs"][0]["evidence"]["signature"], "app-config");
    assert_eq!(app["calls"][0]["event"], "Added To Cart");
    assert_eq!(rules(&report), Vec::<&str>::new());
}

#[test]
fn capacitor_apps() {
    // Heap's Capacitor bridge forwards to Heap's native SDK, started in the iOS app.
    let report = scan("capacitor-pass", &[]);
    let app = only_app(&report);
    assert_eq!(app["platform"], "capacitor");
    assert_eq!(
        packages(app),
        owned(&[("@heap/heap-capacitor-bridge", "^0.1.2", "package.json:16")])
    );
    assert_eq!(
        inits(app),
        owned(&[("heap", "2750194836", "ios/App/App/AppDelegate.swift:13")])
    );
    assert_eq!(rules(&report), Vec::<&str>::new());

    // Segment has no Capacitor SDK: a community plugin wraps its iOS and Android SDKs.
    let report = scan("capacitor-fail", &[]);
    let app = only_app(&report);
    assert_eq!(app["platform"], "capacitor");
    assert_eq!(
        packages(app),
        owned(&[("@joinflux/capacitor-segment", "^2.1.0", "package.json:15")])
    );
    assert_eq!(app["packages"][0]["generation"], "community");
    assert_eq!(
        inits(app),
        owned(&[(
            "segment",
            "Qm7Tz2LpXv9RwKd4NsYb8HcJf3GeAu6V",
            "src/analytics.ts:4"
        )])
    );
    assert_eq!(rules(&report), ["segment-without-heap-sdk"]);
    let f = finding(&report, "segment-without-heap-sdk");
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("the capacitor app"),
        "{f}"
    );
    assert_eq!(at(&f["evidence"][0]), "src/analytics.ts:4");
}

#[test]
fn cordova_app_with_segments_plugin_and_the_write_key_in_config_xml() {
    let report = scan("cordova-fail", &[]);
    let app = only_app(&report);
    assert_eq!(app["platform"], "cordova");
    assert_eq!(
        packages(app),
        owned(&[("cordova-plugin-segment", "^0.1.0", "package.json:17")])
    );
    // cordova-plugin-segment reads its write keys from config.xml's preferences.
    assert_eq!(
        inits(app),
        owned(&[
            (
                "segment",
                "Qm7Tz2LpXv9RwKd4NsYb8HcJf3GeAu6V",
                "config.xml:9"
            ),
            (
                "segment",
                "Zc5Hn1WqRt8MkVy3LpXd6BsJf9GaEu2T",
                "config.xml:10"
            ),
        ])
    );
    assert_eq!(app["calls"][0]["event"], "Checkout Started");
    assert_eq!(rules(&report), ["segment-without-heap-sdk"]);
    let f = finding(&report, "segment-without-heap-sdk");
    assert_eq!(at(&f["evidence"][0]), "config.xml:9");
    // www/ is the app's web view, not a web site: no page, no web recommendation.
    assert_eq!(report["summary"]["pages"], 0);
    assert!(
        report["recommendation"].is_null(),
        "{}",
        report["recommendation"]
    );
    let skipped = &report["sources"][0]["skipped"][0];
    assert_eq!(skipped["reason"], "web view of a Capacitor or Cordova app");
    assert_eq!(skipped["examples"][0], "www/index.html");
}

#[test]
fn flutter_apps() {
    let report = scan("flutter-pass", &[]);
    let app = only_app(&report);
    assert_eq!(app["platform"], "flutter");
    assert_eq!(
        packages(app),
        owned(&[
            ("heap_flutter_autocapture", "0.7.0", "pubspec.lock:12"),
            ("heap_flutter_bridge", "0.4.0", "pubspec.lock:20"),
        ])
    );
    // The staging id in the comment above is not an install.
    assert_eq!(
        inits(app),
        owned(&[("heap", "2750194836", "lib/main.dart:10")])
    );
    assert_eq!(rules(&report), Vec::<&str>::new());

    let report = scan("flutter-fail", &[]);
    let app = only_app(&report);
    assert_eq!(
        packages(app),
        owned(&[("segment_analytics", "^1.1.1", "pubspec.yaml:13")])
    );
    assert_eq!(
        inits(app),
        owned(&[(
            "segment",
            "Qm7Tz2LpXv9RwKd4NsYb8HcJf3GeAu6V",
            "lib/main.dart:7"
        )])
    );
    assert_eq!(rules(&report), ["segment-without-heap-sdk"]);
}

#[test]
fn node_services() {
    let report = scan("node-service-pass", &[]);
    let app = only_app(&report);
    assert_eq!(app["platform"], "server");
    assert_eq!(
        inits(app),
        owned(&[(
            "segment",
            "process.env.SEGMENT_WRITE_KEY",
            "src/server.js:4"
        )])
    );
    assert_eq!(rules(&report), Vec::<&str>::new());

    let report = scan("node-service-fail", &[]);
    let app = only_app(&report);
    assert_eq!(
        inits(app),
        owned(&[(
            "segment",
            "Vb3Nq8RtKs2LmXw7PzYc4JdHf6GaEu9T",
            "src/server.js:4"
        )])
    );
    assert_eq!(rules(&report), ["server-side-track-calls"]);
    let f = finding(&report, "server-side-track-calls");
    let message = f["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Invoice Paid, Order Completed"),
        "{message}"
    );
    assert!(message.contains("_email"), "{message}");
    assert!(
        f["help"]
            .as_str()
            .unwrap_or_default()
            .contains("offline events"),
        "{f}"
    );
    let places: Vec<String> = f["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .map(at)
        .collect();
    assert_eq!(
        places,
        ["src/server.js:16", "src/server.js:21", "src/server.js:9"]
    );
}

#[test]
fn python_services() {
    let report = scan("python-service-pass", &[]);
    let app = only_app(&report);
    assert_eq!(
        packages(app),
        owned(&[("segment-analytics-python", "==2.3.2", "requirements.txt:3")])
    );
    assert_eq!(
        inits(app),
        owned(&[(
            "segment",
            "os.environ[\"SEGMENT_WRITE_KEY\"]",
            "billing/analytics.py:5"
        )])
    );
    assert_eq!(rules(&report), Vec::<&str>::new());

    let report = scan("python-service-fail", &[]);
    let app = only_app(&report);
    assert_eq!(app["packages"][0]["generation"], "classic");
    // The old key in a comment is not an install; the call in a docstring is not a call.
    assert_eq!(
        inits(app),
        owned(&[(
            "segment",
            "Vb3Nq8RtKs2LmXw7PzYc4JdHf6GaEu9T",
            "billing/analytics.py:4"
        )])
    );
    let calls: Vec<String> = app["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| at(&c["evidence"]))
        .collect();
    assert_eq!(calls, ["billing/analytics.py:9", "billing/analytics.py:13"]);
    assert_eq!(rules(&report), ["server-side-track-calls"]);
}

#[test]
fn apps_do_not_count_as_pages_or_against_max_pages() {
    let report = scan("web-and-android", &["--max-pages", "1"]);
    assert_eq!(report["summary"]["pages"], 1);
    assert_eq!(apps(&report).len(), 1);
    assert!(!rules(&report).contains(&"heap-missing-on-some-pages"));
}

#[test]
fn reports_point_at_the_file_and_line() {
    let path = fixture("ios-fail");
    let (_, sarif, _) = heap_audit(&["scan", &path, "--offline", "--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&sarif).expect("SARIF is JSON");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "HA017");
    let location = &result["locations"][0]["physicalLocation"];
    let uri = location["artifactLocation"]["uri"]
        .as_str()
        .unwrap_or_default();
    assert!(uri.ends_with("Acme/App/AppDelegate.swift"), "{location}");
    assert_eq!(location["region"]["startLine"], 14);

    let (_, github, _) = heap_audit(&["scan", &path, "--offline", "--format", "github"]);
    assert!(
        github.contains("Acme/App/AppDelegate.swift,line=14,title=HA017"),
        "{github}"
    );

    let (_, human, _) = heap_audit(&["scan", &path, "--offline"]);
    let section = human
        .split("Apps and services (1), not web pages")
        .nth(1)
        .unwrap_or_else(|| panic!("no apps section: {human}"));
    assert!(
        section.contains("segment Analytics 4.1.8 (cocoapods)"),
        "{section}"
    );
    assert!(section.contains("Podfile.lock:3"), "{section}");

    let (_, markdown, _) = heap_audit(&["scan", &path, "--offline", "--format", "markdown"]);
    assert!(
        markdown.contains("### Apps and services (not web pages)"),
        "{markdown}"
    );
}

#[test]
fn a_repository_with_only_a_native_app_is_read_as_source() {
    // An Xcode project alone: no template, no web page, only a Podfile and Swift.
    let (code, report, stderr) = scan_json(&[fixture("ios-fail").as_str(), "--offline"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["sources"][0]["mode"], "source", "{report}");
    assert_eq!(only_app(&report)["platform"], "ios");
    assert_eq!(report["summary"]["pages"], 0);
}

#[test]
fn junit_has_a_case_per_app_or_service_and_rule_about_it() {
    // A web site and its Android app: the pages' cases, then the app's, in the target's suite.
    let (code, junit, stderr) = heap_audit(&[
        "scan",
        "fixtures/apps/web-and-android",
        "--offline",
        "--format",
        "junit",
        "--fail-on",
        "info",
    ]);
    assert_eq!(code, 1, "{stderr}");
    common::check_snapshot_file(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/snapshots/formats/web-and-android.junit.xml"),
        &junit,
    );
    assert!(
        junit.contains(r#"<testcase classname="fixtures/apps/web-and-android/android" name="HA019 app-id-differs-from-web">"#),
        "{junit}"
    );

    // An app-only repository has a suite of its own; the finding below the fail level is output.
    let (_, junit, _) = heap_audit(&[
        "scan",
        "fixtures/apps/ios-fail",
        "--offline",
        "--format",
        "junit",
    ]);
    assert!(
        junit.contains(r#"<testsuite name="fixtures/apps/ios-fail" tests="3" failures="0""#),
        "{junit}"
    );
    let case = junit
        .split(r#"<testcase classname="fixtures/apps/ios-fail" name="HA017 segment-without-heap-sdk">"#)
        .nth(1)
        .and_then(|rest| rest.split("</testcase>").next())
        .unwrap_or_else(|| panic!("no HA017 case: {junit}"));
    assert!(case.contains("<system-out>info[HA017]"), "{case}");
    assert!(
        case.contains("fixtures/apps/ios-fail/Acme/App/AppDelegate.swift:14"),
        "{case}"
    );

    // A service gets the service rule only, failing at the fail level.
    let (_, junit, _) = heap_audit(&[
        "scan",
        "fixtures/apps/node-service-fail",
        "--offline",
        "--format",
        "junit",
        "--fail-on",
        "info",
    ]);
    let cases: Vec<&str> = junit
        .lines()
        .filter(|l| l.contains(r#"classname="fixtures/apps/node-service-fail""#))
        .collect();
    assert_eq!(cases.len(), 1, "{junit}");
    assert!(
        cases[0].contains(r#"name="HA020 server-side-track-calls">"#),
        "{junit}"
    );
    assert!(
        junit.contains(r#"<failure message="#) && junit.contains("src/server.js:16"),
        "{junit}"
    );
}
