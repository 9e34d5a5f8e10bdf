//! End-to-end scans of the fixture sites over real HTTP on 127.0.0.1, with `--remap` pointing the
//! GTM and Segment hosts at a second loopback server. Nothing here touches the internet.

mod common;

use common::{heap_audit, installs, page, page_urls, problems_of_kind, scan_json, Server};
use serde_json::Value;

fn vendor_server() -> Server {
    // Serves only the /gtm.js and /v1/projects/…/settings routes (the site folder is empty).
    Server::root(common::fixtures().join("gtm"))
}

fn remaps_to(vendor: &Server) -> Vec<String> {
    vendor.remaps()
}

/// Crawl a fixture site from `/`, GTM and Segment remapped to a vendor server; extra args appended.
fn crawl(site: &str, extra: &[&str]) -> (Server, Server, i32, Value, String) {
    let site = Server::site(site);
    let vendor = vendor_server();
    let mut args = vec![site.url("/")];
    args.extend(remaps_to(&vendor));
    args.extend(extra.iter().map(|a| a.to_string()));
    let (code, report, stderr) = scan_json(&args);
    (site, vendor, code, report, stderr)
}

fn owned(v: &[(&str, &str, &str, bool)]) -> Vec<(String, String, String, bool)> {
    let mut out: Vec<_> = v
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), *d))
        .collect();
    out.sort();
    out
}

#[test]
fn shop_inventory_over_http() {
    let (site, _vendor, code, report, stderr) = crawl("shop", &[]);
    assert_eq!(
        code, 1,
        "the shop loads Heap twice: findings at error level: {stderr}"
    );
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["tool"]["name"], "heap-audit");

    let native_and_segment = owned(&[
        ("heap", "1535634150", "native", true),
        (
            "segment",
            "q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH",
            "native",
            true,
        ),
        ("heap", "2682025610", "segment", true),
    ]);
    for path in ["/", "/pricing.html", "/docs/install.html"] {
        assert_eq!(
            installs(page(&report, &format!("{}{path}", site.port))),
            native_and_segment,
            "{path}"
        );
    }
    let blog = owned(&[
        ("gtm", "GTM-HEAPG1", "native", true),
        ("heap", "3180826004", "gtm", true),
        (
            "segment",
            "q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH",
            "native",
            true,
        ),
        ("heap", "2682025610", "segment", true),
    ]);
    assert_eq!(installs(page(&report, "/blog/")), blog);
    assert_eq!(
        installs(page(&report, "/blog/spring-collection.html")),
        blog
    );

    // The Heap from the GTM container names the container and the tag; the Segment one its settings.
    let blog = page(&report, "/blog/");
    let via_gtm = blog["installs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["via"] == "gtm")
        .unwrap();
    assert_eq!(via_gtm["container"], "GTM-HEAPG1");
    assert_eq!(
        via_gtm["evidence"]["source"],
        "https://www.googletagmanager.com/gtm.js?id=GTM-HEAPG1"
    );
    assert_eq!(via_gtm["evidence"]["tag"], "tag 7");
    let via_segment = blog["installs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["via"] == "segment")
        .unwrap();
    assert_eq!(via_segment["mode"], "device");
    assert_eq!(via_segment["sdk"], "classic");
    assert_eq!(via_segment["destination"], "Heap");
    assert_eq!(via_segment["write_key"], "q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH");
    assert_eq!(
        via_segment["evidence"]["source"],
        "https://cdn.segment.com/v1/projects/q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH/settings"
    );

    // The first-party bundle's identify call (with an email) is on every page that loads it.
    let calls: Vec<&str> = page(&report, "/pricing.html")["segment_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["method"].as_str().unwrap())
        .collect();
    assert!(
        calls.contains(&"identify") && calls.contains(&"page"),
        "{calls:?}"
    );
    assert_eq!(page(&report, "/pricing.html")["privacy"]["redact_text"], 1);
    assert_eq!(
        report["summary"]["heap_app_ids"],
        serde_json::json!(["1535634150", "2682025610", "3180826004"])
    );
}

#[test]
fn each_url_is_fetched_once_and_links_are_normalised() {
    let (site, vendor, code, report, _) = crawl("shop", &["--fail-on", "never"]);
    assert_eq!(code, 0);
    // Five pages use the same Segment source, two the same container, all the same bundle.
    assert_eq!(
        vendor.requests_for("/v1/projects/q8Xk2LmN4pR7sT1vW3yZ5aB6cD9eF0gH/settings"),
        1
    );
    assert_eq!(vendor.requests_for("/gtm.js?id=GTM-HEAPG1"), 1);
    assert_eq!(site.requests_for("/static/js/app.8c1f2e.js"), 1);
    // `spring-collection.html` is linked with and without a fragment: one visit.
    assert_eq!(site.requests_for("/blog/spring-collection.html"), 1);
    // Off-site links and documents are not crawled.
    assert_eq!(site.requests_for("terms.pdf"), 0);
    let urls = page_urls(&report);
    assert!(
        urls.iter().all(|u| u.starts_with(&site.url("/"))),
        "{urls:?}"
    );
}

#[test]
fn connections_to_a_host_are_reused() {
    // A catalogue of 40 product pages (under the default --max-per-pattern), each linking to its
    // neighbours.
    let dir = std::env::temp_dir().join(format!("heap-audit-keepalive-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let product = |n: usize| {
        let links: String = (1..=5)
            .map(|k| {
                format!(
                    "<li><a href=\"/p/{}.html\">Product {}</a></li>",
                    (n + k) % 40,
                    (n + k) % 40
                )
            })
            .collect();
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Product {n}</title>\
             <script>window.dataLayer=window.dataLayer||[];</script></head><body>\
             <nav><a href=\"/\">Home</a></nav><main><h1>Product {n}</h1><p>In stock.</p>\
             <ul class=\"related\">{links}</ul></main></body></html>"
        )
    };
    std::fs::create_dir_all(dir.join("p")).unwrap();
    for n in 0..40 {
        std::fs::write(dir.join(format!("p/{n}.html")), product(n)).unwrap();
    }
    let index: String = (0..40)
        .map(|n| format!("<a href=\"/p/{n}.html\">Product {n}</a>"))
        .collect();
    std::fs::write(
        dir.join("index.html"),
        format!(
            "<!doctype html><html><head><title>Catalogue</title></head><body>{index}</body></html>"
        ),
    )
    .unwrap();
    let site = Server::root(dir.clone());
    let (code, report, stderr) =
        scan_json(&[site.url("/").as_str(), "--concurrency", "4", "--offline"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["pages"].as_array().unwrap().len(), 41);
    let requests = site.hits.load(std::sync::atomic::Ordering::SeqCst);
    let connections = site.connections.load(std::sync::atomic::Ordering::SeqCst);
    // Four workers keep about four connections open (one more for robots.txt, fetched first); a
    // fresh connection per request would make as many as there are requests. hyper hands a
    // connection back to the pool on its own task once the body is read, so on a loaded machine a
    // worker's next request now and then opens another: twice the workers, at most.
    assert!(requests > 41, "{requests} requests");
    assert!(
        connections <= 9,
        "{connections} connections for {requests} requests"
    );
}

#[test]
fn robots_txt_is_honoured_unless_told_otherwise() {
    let (site, _vendor, _, report, _) = crawl("shop", &["--offline"]);
    assert_eq!(site.requests_for("/private/"), 0);
    let skipped = problems_of_kind(&report, "robots-disallowed");
    assert_eq!(skipped.len(), 1);
    assert!(skipped[0]["url"]
        .as_str()
        .unwrap()
        .ends_with("/private/admin.html"));

    let site = Server::site("shop");
    let (_, report, _) = scan_json(&[site.url("/"), "--offline".into(), "--ignore-robots".into()]);
    assert_eq!(site.requests_for("/private/admin.html"), 1);
    assert!(problems_of_kind(&report, "robots-disallowed").is_empty());
    // The staff page does not exist: a 404, reported with its URL, and the audit went on.
    let missing = problems_of_kind(&report, "http-status");
    assert!(
        missing
            .iter()
            .any(|p| p["url"].as_str().unwrap().ends_with("/private/admin.html")),
        "{missing:?}"
    );
}

#[test]
fn redirects_are_followed_and_recorded() {
    let site = Server::site("shop");
    let (_, report, _) = scan_json(&[site.url("/"), "--offline".into()]);
    // /old-pricing redirects to /pricing.html, which is crawled too: one page, with an alias.
    let pricing = page(&report, "/pricing.html");
    assert_eq!(
        pricing["aliases"],
        serde_json::json!([site.url("/old-pricing")])
    );
    assert!(report["pages"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| !p["url"].as_str().unwrap().ends_with("/old-pricing")));
    // Asked for directly, the redirecting URL is the page, and the hop is recorded.
    let (_, report, _) = scan_json(&[
        site.url("/old-pricing"),
        "--offline".into(),
        "--max-pages".into(),
        "1".into(),
    ]);
    let old = &report["pages"][0];
    assert_eq!(old["status"], 200);
    assert_eq!(
        old["redirects"],
        serde_json::json!([site.url("/pricing.html")])
    );
    assert_eq!(old["installs"][0]["id"], "1535634150");
}

#[test]
fn directory_and_url_modes_give_the_same_inventory() {
    let (site, _vendor, _, over_http, _) = crawl("shop", &[]);
    let dir = common::fixtures().join("sites/shop");
    let mut args = vec![dir.to_string_lossy().into_owned()];
    args.extend(common::file_remaps());
    let (code, from_disk, stderr) = scan_json(&args);
    assert_eq!(code, 1, "{stderr}");
    // The same findings too (messages name the site, so compare rule, severity and page count).
    let shape = |r: &Value| {
        let mut v: Vec<String> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{} {} {}",
                    f["rule"],
                    f["severity"],
                    f["pages"].as_array().unwrap().len()
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(shape(&from_disk), shape(&over_http));
    assert!(!shape(&from_disk).is_empty());
    let disk_pages = from_disk["pages"].as_array().unwrap();
    assert_eq!(disk_pages.len(), 5);
    for disk in disk_pages {
        let path = disk["url"]
            .as_str()
            .unwrap()
            .rsplit_once("sites/shop/")
            .unwrap()
            .1
            .to_owned();
        let web_path = path.trim_end_matches("index.html");
        let web = page(&over_http, &format!("{}/{web_path}", site.port));
        assert_eq!(installs(disk), installs(web), "{path}");
        let key = |p: &Value| {
            let mut v: Vec<_> = p["installs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    (
                        i["sdk"].to_string(),
                        i["mode"].to_string(),
                        i["options"].to_string(),
                    )
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(key(disk), key(web), "{path}");
    }
}

#[test]
fn segment_loaded_by_a_gtm_container() {
    let (site, _vendor, code, report, _) = crawl("segment-gtm", &[]);
    assert_eq!(code, 0);
    assert_eq!(report["pages"].as_array().unwrap().len(), 3);
    let home = page(&report, &format!("{}/", site.port));
    assert_eq!(
        installs(home),
        owned(&[
            ("gtm", "GTM-SEG4GTM", "native", true),
            ("segment", "bKVNiLl0RNlUfe2nS5JiKvEjrZX5mbKY", "gtm", true),
            ("heap", "1884442793", "segment", true),
        ])
    );
    let segment = home["installs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["vendor"] == "segment")
        .unwrap();
    assert_eq!(segment["container"], "GTM-SEG4GTM");
    assert_eq!(segment["snippet_version"], "4.1.0");
    assert_eq!(segment["settings"], "fetched");
    assert_eq!(segment["evidence"]["tag"], "tag 14");
    // The Custom HTML tag's analytics.track call is a call on the page.
    assert!(home["segment_calls"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["method"] == "track"));
}

#[test]
fn custom_proxy_is_confirmed_by_its_settings_and_a_clone_is_not_segment() {
    let site = Server::site("proxy");
    let vendor = vendor_server();
    let mut args = vec![site.url("/")];
    args.extend(remaps_to(&vendor));
    args.extend([
        "--remap".to_owned(),
        format!(
            "https://seg\\.lumenproxy\\.net/(.*) http://127.0.0.1:{}/$1",
            vendor.port
        ),
        "--remap".to_owned(),
        format!(
            "https://cdn\\.notsegment\\.example/(.*) http://127.0.0.1:{}/$1",
            vendor.port
        ),
    ]);
    let (_, report, _) = scan_json(&args);
    let home = page(&report, &format!("{}/", site.port));
    assert_eq!(
        installs(home),
        owned(&[
            (
                "segment",
                "Act1onsHeapWebKey00000000000000a",
                "native",
                true
            ),
            ("heap", "4062471324", "segment", true)
        ])
    );
    let heap = home["installs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["vendor"] == "heap")
        .unwrap();
    assert_eq!(heap["sdk"], "v5", "Heap Web (Actions) loads the v5 SDK");
    assert_eq!(heap["options"]["disableTextCapture"], true);
    assert_eq!(home["installs"][0]["cdn"], "https://seg.lumenproxy.net");
    // The clone's settings endpoint answers 404: not Segment, and the fetch failure is on record.
    assert!(installs(page(&report, "/clone.html")).is_empty());
    assert!(problems_of_kind(&report, "http-status")
        .iter()
        .any(|p| p["url"].as_str().unwrap().contains("notsegment.example")));
}

#[test]
fn bundles_are_scanned_for_npm_segment_and_react_heap() {
    let (site, _vendor, _, report, _) = crawl("spa", &[]);
    let home = page(&report, &format!("{}/", site.port));
    assert_eq!(
        installs(home),
        owned(&[
            ("heap", "2682025610", "native", true),
            (
                "segment",
                "Zx81LmQp3RstUvW0yAbC4dEfGh5iJkLm",
                "native",
                true
            ),
            ("heap", "1535634150", "segment", true),
        ])
    );
    // The same module listed twice runs once, and the nomodule legacy twin not at all.
    assert_eq!(installs(page(&report, "/settings.html")), installs(home));
    let heap = &home["installs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["via"] == "native" && i["vendor"] == "heap")
        .unwrap()["evidence"];
    assert!(heap["source"]
        .as_str()
        .unwrap()
        .ends_with("/static/js/main.3f9a1c.js"));
    assert_eq!(heap["line"], 15);
}

#[test]
fn offline_fetches_nothing_beyond_the_target_and_says_so() {
    let (_site, vendor, _, report, _) = crawl("shop", &["--offline"]);
    assert_eq!(vendor.hits.load(std::sync::atomic::Ordering::SeqCst), 0);
    let kinds: Vec<&str> = report["unverified"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"gtm-container") && kinds.contains(&"segment-settings"),
        "{kinds:?}"
    );
    assert_eq!(
        page(&report, "/pricing.html")["installs"][1]["settings"],
        "offline"
    );
}

#[test]
fn headers_go_to_the_site_only() {
    let (site, vendor, _, report, _) = crawl(
        "shop",
        &["--header", "X-Test-Auth: s3cret", "--max-pages", "2"],
    );
    assert_eq!(report["pages"].as_array().unwrap().len(), 2);
    assert!(site
        .log
        .lock()
        .unwrap()
        .iter()
        .all(|l| l.ends_with("[auth]")));
    assert!(vendor
        .log
        .lock()
        .unwrap()
        .iter()
        .all(|l| !l.ends_with("[auth]")));
}

#[test]
fn include_exclude_and_depth() {
    let site = Server::site("shop");
    let (_, report, _) = scan_json(&[
        site.url("/"),
        "--offline".into(),
        "--exclude".into(),
        "/blog/".into(),
    ]);
    assert!(report["pages"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| !p["url"].as_str().unwrap().contains("/blog/")));
    let (_, report, _) = scan_json(&[
        site.url("/"),
        "--offline".into(),
        "--include".into(),
        "pricing".into(),
    ]);
    let urls = page_urls(&report);
    assert_eq!(
        urls.len(),
        2,
        "the start page and /pricing.html (/old-pricing is its alias): {urls:?}"
    );
    let (_, report, _) = scan_json(&[
        site.url("/"),
        "--offline".into(),
        "--max-depth".into(),
        "0".into(),
    ]);
    assert_eq!(report["pages"].as_array().unwrap().len(), 1);
}

#[test]
fn human_format_lists_each_page_and_how_heap_loads() {
    let site = Server::site("segment-gtm");
    let vendor = vendor_server();
    let mut args = vec!["scan".to_owned(), site.url("/")];
    args.extend(remaps_to(&vendor));
    let (code, out, _) = heap_audit(&args);
    assert_eq!(code, 0);
    assert!(!out.contains('\x1b'), "no colour when piped");
    assert!(out.contains("via gtm GTM-SEG4GTM"), "{out}");
    assert!(
        out.contains("via segment bKVNiLl0RNlUfe2nS5JiKvEjrZX5mbKY"),
        "{out}"
    );
    assert!(
        out.contains("Summary: 3 pages audited, 0 failed to load, 3 with Heap"),
        "{out}"
    );
    let mut args = args.clone();
    args.extend(["--color".into(), "always".into()]);
    let (_, out, _) = heap_audit(&args);
    assert!(out.contains("\x1b[1m"), "colour when asked");
}

#[test]
fn gtm_environment_parameters_are_used_to_fetch_the_same_container() {
    let pages = Server::root(common::fixtures().join("pages"));
    let vendor = vendor_server();
    let mut args = vec![
        pages.url("/gtm-custom-datalayer-env.html"),
        "--max-pages".into(),
        "1".into(),
    ];
    args.extend(remaps_to(&vendor));
    let (_, report, _) = scan_json(&args);
    let gtm = &report["pages"][0]["installs"][0];
    assert_eq!(gtm["options"]["data_layer"], "shopDataLayer");
    let log = vendor.log.lock().unwrap().clone();
    assert!(
        log.iter().any(|u| u.starts_with(
            "/gtm.js?id=GTM-W3HN8ZPT&gtm_auth=Xk2mP9qRtY7vZ1aB3cD5eF&gtm_preview=env-7"
        )),
        "{log:?}"
    );
}

#[test]
fn every_csp_header_is_kept() {
    let (_site, _vendor, _, report, _) = crawl("clean", &[]);
    let about = page(&report, "/about.html");
    let headers: Vec<&str> = about["csp"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["source"] == "header")
        .map(|c| c["policy"].as_str().unwrap())
        .collect();
    assert_eq!(headers.len(), 2, "{headers:?}");
    assert!(headers[1].starts_with("frame-ancestors"));
}

#[test]
fn a_start_url_that_redirects_to_another_origin_keeps_its_first_party_scripts() {
    // www.lumen.test (remapped to the loopback server) redirects to the server's own origin, as
    // an apex or http:// start URL redirects to the canonical site.
    let site = Server::site("spa");
    let vendor = vendor_server();
    let home = site.url("/").replace(':', "%3A").replace('/', "%2F");
    let mut args = vec![
        "http://www.lumen.test/".to_owned(),
        "--remap".to_owned(),
        format!(
            "^http://www\\.lumen\\.test/.* {}",
            site.url(&format!("/__redirect-to/{home}"))
        ),
        "--max-pages".to_owned(),
        "1".to_owned(),
    ];
    args.extend(vendor.remaps());
    let (_, report, stderr) = scan_json(&args);
    let start = &report["pages"][0];
    assert_eq!(start["url"], "http://www.lumen.test/", "{stderr}");
    assert_eq!(start["site"], site.url("").trim_end_matches('/'));
    // The Heap snippet lives in the site's own bundle: found, because the bundle is first-party
    // for the site the start URL landed on.
    assert!(
        installs(start)
            .iter()
            .any(|i| i.0 == "heap" && i.1 == "2682025610"),
        "{}",
        start["installs"]
    );
}

#[test]
fn the_report_does_not_depend_on_concurrency() {
    let (site, _vendor, _, parallel_report, _) = crawl("shop", &["--fail-on", "never"]);
    let (site1, _vendor1, _, serial_report, _) =
        crawl("shop", &["--fail-on", "never", "--concurrency", "1"]);
    let normalise = |r: &Value, s: &Server| {
        let mut r = r.clone();
        r["targets"] = Value::Null;
        serde_json::to_string(&r)
            .unwrap()
            .replace(&s.url(""), "SITE")
    };
    assert_eq!(
        normalise(&parallel_report, &site),
        normalise(&serial_report, &site1)
    );
}

#[test]
fn the_user_agent_picks_the_robots_group() {
    // shop/robots.txt has a group for `acme-auditor` that disallows /blog/ (and not /private/).
    let (site, _vendor, _, report, _) = crawl(
        "shop",
        &[
            "--offline",
            "--user-agent",
            "acme-auditor/2.1 (+https://acme.example/bot)",
        ],
    );
    let skipped: Vec<&str> = problems_of_kind(&report, "robots-disallowed")
        .iter()
        .map(|p| p["url"].as_str().unwrap())
        .collect();
    assert!(
        skipped.iter().all(|u| u.contains("/blog/")) && !skipped.is_empty(),
        "{skipped:?}"
    );
    assert_eq!(site.requests_for("/blog/"), 0);
    assert_eq!(site.requests_for("/private/admin.html"), 1);
}

#[test]
fn a_robots_txt_server_error_disallows_all_but_the_start_url() {
    // RFC 9309 §2.3.1.4: robots.txt unreachable (a 5xx, here after a redirect) means complete
    // disallow. A 404 (the other fixture sites) allows everything.
    let dir = std::env::temp_dir().join(format!("heap-audit-robots-5xx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(common::fixtures().join("sites/clean")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    std::fs::write(dir.join("_redirects"), "/robots.txt /__status/500 302\n").unwrap();
    let site = Server::root(dir.clone());
    let (_, report, stderr) = scan_json(&[site.url("/"), "--offline".into()]);
    assert_eq!(site.requests_for("/robots.txt"), 1, "{stderr}");
    assert_eq!(site.requests_for("/about.html"), 0, "{stderr}");
    assert_eq!(report["pages"].as_array().unwrap().len(), 1, "{report}");
    let problems = problems_of_kind(&report, "robots-disallowed");
    let unread = problems
        .iter()
        .find(|p| p["url"].as_str().unwrap().ends_with("/robots.txt"))
        .expect("a problem naming robots.txt");
    let message = unread["message"].as_str().unwrap();
    assert!(message.contains("HTTP 500"), "{message}");
    assert!(
        problems
            .iter()
            .any(|p| p["url"].as_str().unwrap().ends_with("/about.html")),
        "{problems:?}"
    );

    let (_, _, stderr) = scan_json(&[site.url("/"), "--offline".into(), "--ignore-robots".into()]);
    assert_eq!(site.requests_for("/about.html"), 1, "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn links_disallowed_by_robots_are_listed_up_to_a_cap_then_counted() {
    // A shop whose every product links to its cart: robots.txt disallows the cart.
    let dir = std::env::temp_dir().join(format!("heap-audit-robots-cap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = std::fs::read_to_string(common::fixtures().join("sites/clean/index.html")).unwrap();
    let links: String = (1..=60)
        .map(|n| format!("<a href=\"/cart/add?item={n}\">Add item {n}</a>\n"))
        .collect();
    std::fs::write(
        dir.join("index.html"),
        page.replacen("</body>", &format!("{links}</body>"), 1),
    )
    .unwrap();
    std::fs::write(dir.join("robots.txt"), "User-agent: *\nDisallow: /cart/\n").unwrap();
    let site = Server::root(dir.clone());
    let (_, report, stderr) = scan_json(&[site.url("/"), "--offline".into()]);
    assert_eq!(site.requests_for("/cart/"), 0, "{stderr}");
    let skipped = problems_of_kind(&report, "robots-disallowed");
    assert_eq!(skipped.len(), 51, "{skipped:?}");
    let summary = skipped
        .iter()
        .find(|p| p["message"].as_str().unwrap().contains("10 more links"))
        .expect("a count of the links not listed");
    assert_eq!(summary["url"], site.url("/").as_str());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A generated site: `/` links to `/s/1` … `/s/N`, and each `/s/i` to `/s/i/1` … `/s/i/M` (pages
/// that exist too), with the home link repeated on every page.
fn tree_site(name: &str, n: usize, m: usize) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("heap-audit-tree-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let page = |links: Vec<String>| {
        let links: String = links
            .iter()
            .map(|l| format!("<li><a href=\"{l}\">{l}</a></li>\n"))
            .collect();
        format!("<!doctype html><html><head><title>t</title></head><body><a href=\"/\">Home</a><ul>\n{links}</ul></body></html>\n")
    };
    let write = |path: &str, body: String| {
        let file = dir.join(path.trim_start_matches('/')).join("index.html");
        std::fs::create_dir_all(file.parent().unwrap_or(&dir)).expect("create dir");
        std::fs::write(file, body).expect("write page");
    };
    write("/", page((1..=n).map(|i| format!("/s/{i}/")).collect()));
    for i in 1..=n {
        write(
            &format!("/s/{i}/"),
            page((1..=m).map(|j| format!("/s/{i}/{j}/")).collect()),
        );
        for j in 1..=m {
            write(&format!("/s/{i}/{j}/"), page(Vec::new()));
        }
    }
    dir
}

fn coverage(report: &Value) -> &Value {
    &report["coverage"][0]
}

#[test]
fn a_capped_crawl_counts_what_it_left_out_and_is_the_same_with_any_number_of_workers() {
    // 1 + 6 + 6×4 = 31 pages; a cap of 10 audits / and 9 of its 6 + 24 links' pages.
    let dir = tree_site("capped", 6, 4);
    let server = Server::root(dir.clone());
    let run = |concurrency: &str| {
        let args = [
            server.url("/"),
            "--max-pages".into(),
            "10".into(),
            "--max-per-pattern".into(),
            "0".into(),
            "--concurrency".into(),
            concurrency.into(),
        ];
        let (_, report, stderr) = scan_json(&args);
        assert_eq!(report["summary"]["pages"], 10, "{stderr}");
        report
    };
    let one = run("1");
    let c = coverage(&one);
    assert_eq!(c["pages_audited"], 10);
    assert_eq!(c["stopped_by"], serde_json::json!(["max-pages"]));
    assert_eq!(c["at_least"], false);
    // Every page but the 10 audited was linked from an audited page (/ and /s/1 … /s/6 were
    // read; /s/1/ … /s/3/ were the last ones queued), so the count is the other 21, or fewer if
    // some were only linked from pages never read.
    let left = c["urls_left_out"].as_u64().unwrap_or(0);
    assert!((1..=21).contains(&left), "{left}");
    let eight = run("8");
    assert_eq!(page_urls(&one), page_urls(&eight));
    assert_eq!(coverage(&one), coverage(&eight));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_depth_capped_crawl_counts_the_links_past_the_depth() {
    let dir = tree_site("depth", 3, 5);
    let server = Server::root(dir.clone());
    let args = [server.url("/"), "--max-depth".into(), "1".into()];
    let (_, report, stderr) = scan_json(&args);
    // / and /s/1 … /s/3; their 15 links to depth 2 are left out.
    assert_eq!(report["summary"]["pages"], 4, "{stderr}");
    let c = coverage(&report);
    assert_eq!(c["urls_left_out"], 15);
    assert_eq!(c["stopped_by"], serde_json::json!(["max-depth"]));
    let (_, human, _) = heap_audit(&[
        "scan".into(),
        server.url("/"),
        "--max-depth".into(),
        "1".into(),
        "--color".into(),
        "never".into(),
    ]);
    assert!(
        human.contains("4 pages audited; 15 more URLs found on its pages were not (--max-depth)"),
        "{human}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_whole_crawl_reports_nothing_left_out() {
    let dir = tree_site("whole", 2, 2);
    let server = Server::root(dir.clone());
    let (_, report, stderr) = scan_json(&[server.url("/")]);
    assert_eq!(report["summary"]["pages"], 7, "{stderr}");
    assert_eq!(coverage(&report)["urls_left_out"], 0);
    assert!(coverage(&report).get("stopped_by").is_none());
    let _ = std::fs::remove_dir_all(dir);
}

/// A blog of `n` numbered pages: `/` links to `/blog/page-1/` … `/blog/page-N/`, pages of one
/// template.
fn numbered_site(name: &str, n: usize) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("heap-audit-numbered-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let write = |path: &str, body: String| {
        let file = dir.join(path.trim_start_matches('/')).join("index.html");
        std::fs::create_dir_all(file.parent().unwrap_or(&dir)).expect("create dir");
        std::fs::write(file, body).expect("write page");
    };
    let links: String = (1..=n)
        .map(|i| format!("<li><a href=\"/blog/page-{i}/\">post {i}</a></li>\n"))
        .collect();
    write(
        "/",
        format!("<!doctype html><html><body><ul>\n{links}</ul></body></html>\n"),
    );
    for i in 1..=n {
        write(
            &format!("/blog/page-{i}/"),
            format!(
                "<!doctype html><html><body><a href=\"/\">Home</a><p>post {i}</p></body></html>\n"
            ),
        );
    }
    dir
}

#[test]
fn numbered_pages_are_sampled_and_said_so_not_a_crawler_trap() {
    let dir = numbered_site("sampled", 80);
    let server = Server::root(dir.clone());
    let (code, report, stderr) =
        scan_json(&[server.url("/"), "--max-per-pattern".into(), "50".into()]);
    assert_eq!(code, 0, "{stderr}");
    // The home page and 50 of the 80 posts.
    assert_eq!(report["summary"]["pages"], 51, "{stderr}");
    assert!(
        problems_of_kind(&report, "crawl-trap").is_empty(),
        "{}",
        report["problems"]
    );
    let c = coverage(&report);
    assert_eq!(c["kind"], "crawl");
    assert_eq!(c["pages_audited"], 51);
    assert_eq!(c["urls_left_out"], 30);
    assert_eq!(c["pages_found"], 81);
    assert_eq!(
        c["sampled"],
        serde_json::json!([{ "pattern": "/blog/page-N/", "audited": 50, "found": 80 }])
    );
    let (_, human, _) = heap_audit(&[
        "scan".into(),
        server.url("/"),
        "--color".into(),
        "never".into(),
    ]);
    assert!(
        human.contains("audited 50 of ≥ 80 /blog/page-N/ pages (same template, --max-per-pattern)"),
        "{human}"
    );
    assert!(
        human.contains("51 pages audited; 30 more URLs found on its pages were not"),
        "{human}"
    );

    // --min-coverage: 51 of 81 pages found is 63%.
    let min = |percent: &str| {
        heap_audit(&[
            "scan".into(),
            server.url("/"),
            "--min-coverage".into(),
            percent.to_owned(),
        ])
    };
    let (code, _, stderr) = min("60");
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = min("70");
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("coverage 63.0% is below --min-coverage 70%"),
        "{stderr}"
    );

    // Without a cap per pattern, every post is audited and nothing is sampled.
    let (_, report, stderr) = scan_json(&[server.url("/"), "--max-per-pattern".into(), "0".into()]);
    assert_eq!(report["summary"]["pages"], 81, "{stderr}");
    assert!(coverage(&report).get("sampled").is_none());
    assert_eq!(coverage(&report)["pages_found"], 81);
    let _ = std::fs::remove_dir_all(dir);
}
