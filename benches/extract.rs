//! Extraction throughput, as a ratio to a baseline measured in the same run on the same input
//! (the machine is small and shared, so absolute times mean little).
//!
//! Input: every fixture page and GTM container, repeated to ~20 MB, and one page with 8000 inline
//! calls (match-dense: evidence lines must not rescan the page). Baseline: a full pass of
//! `str::matches` per signature anchor word over the same text, the least any scanner must do.
//! Measured: the real pipeline per document: HTML scan, then the detector over every script.
//! Containers: `gtm::parse_container` against locating and deserializing the same JSON.
//!
//! Run: `cargo bench --bench extract`

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use heap_audit::extract::{detect, gtm, html, signatures::Signatures};

fn load(dir: &Path, ext: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    out.sort();
    out
}

fn best_of(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let pages = load(&fixtures.join("pages"), "html");
    let containers = load(&fixtures.join("gtm"), "js");
    let bytes: usize = pages.iter().map(String::len).sum();
    let copies = (20_000_000 / bytes.max(1)).max(1);
    let sigs = Signatures::builtin().expect("signatures");
    let words = [
        "heap",
        "analytics",
        "googletagmanager",
        "tiqcdn",
        "adobedtm",
        "segment",
    ];

    let baseline = best_of(5, || {
        for _ in 0..copies {
            for page in &pages {
                for w in words {
                    black_box(page.matches(w).count());
                }
            }
        }
    });
    let pipeline = best_of(5, || {
        for _ in 0..copies {
            for page in &pages {
                let doc = html::parse(page);
                let lines = html::Lines::new(page);
                for script in &doc.scripts {
                    let origin = detect::Origin {
                        source: "bench",
                        lines: Some(&lines),
                        offset: script.offset,
                        tag: None,
                    };
                    black_box(detect::scan_code(sigs, &script.code, &origin));
                }
            }
        }
    });
    let container_bytes: usize = containers.iter().map(String::len).sum();
    let container_copies = (5_000_000 / container_bytes.max(1)).max(1);
    let container_baseline = best_of(5, || {
        for _ in 0..container_copies {
            for c in &containers {
                // The floor: find the data object and deserialize it, nothing else.
                let start = c
                    .find("var data =")
                    .and_then(|i| c[i..].find('{').map(|j| i + j));
                if let Some(start) = start {
                    let mut values = serde_json::Deserializer::from_str(&c[start..])
                        .into_iter::<serde_json::Value>();
                    black_box(values.next().is_some());
                }
            }
        }
    });
    let container_parse = best_of(5, || {
        for _ in 0..container_copies {
            for c in &containers {
                black_box(gtm::parse_container(c).is_ok());
            }
        }
    });
    // One big page with many matches: evidence lines must not cost a rescan each.
    let mut big = String::from(
        pages
            .iter()
            .find(|p| p.contains("analytics.load"))
            .map_or("", |p| p.as_str()),
    );
    let insert = big.find("</body>").unwrap_or(big.len());
    let calls: String = (0..8000)
        .map(|i| format!("<script>analytics.track(\"Viewed {i}\", {{sku: \"A{i}\"}});</script>\n"))
        .collect();
    big.insert_str(insert, &calls);
    let big_baseline = best_of(5, || {
        for w in words {
            black_box(big.matches(w).count());
        }
    });
    let big_pipeline = best_of(5, || {
        let doc = html::parse(&big);
        let lines = html::Lines::new(&big);
        for script in &doc.scripts {
            let origin = detect::Origin {
                source: "bench",
                lines: Some(&lines),
                offset: script.offset,
                tag: None,
            };
            black_box(detect::scan_code(sigs, &script.code, &origin));
        }
    });
    let mb = (bytes * copies) as f64 / 1e6;
    println!("pages: {} documents x {copies} = {mb:.1} MB", pages.len());
    println!(
        "  baseline (str::matches x {} words): {baseline:?}",
        words.len()
    );
    println!("  html scan + detectors:              {pipeline:?}");
    println!(
        "  ratio pipeline/baseline:            {:.1}x",
        pipeline.as_secs_f64() / baseline.as_secs_f64()
    );
    println!(
        "  pipeline throughput:                {:.0} MB/s",
        mb / pipeline.as_secs_f64()
    );
    println!(
        "one page of {:.1} MB with 8000 inline analytics calls:",
        big.len() as f64 / 1e6
    );
    println!(
        "  baseline: {big_baseline:?}, pipeline: {big_pipeline:?}, ratio {:.0}x",
        big_pipeline.as_secs_f64() / big_baseline.as_secs_f64()
    );
    println!(
        "containers: {} files x {container_copies}",
        containers.len()
    );
    println!("  baseline (locate + serde_json the data object): {container_baseline:?}");
    println!("  parse_container (+ tags, macros, unescaping):   {container_parse:?}");
    println!(
        "  ratio parse/baseline:                           {:.2}x",
        container_parse.as_secs_f64() / container_baseline.as_secs_f64()
    );
}
