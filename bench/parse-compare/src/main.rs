//! Pages per second on 2 threads for four ways of reading the generated pages:
//! heap-audit's own scanner (alone, and with the detectors: what `scan` does per page), scraper
//! (html5ever tree building, then selecting links and scripts), lol_html (streaming rewriter with
//! element and text handlers) and html5gum (a WHATWG tokenizer). Each peer extracts the same facts
//! the scanner needs: link hrefs, script srcs and inline script text.
//!
//! Usage: parse-compare SITE_DIR [MAX_PAGES]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use heap_audit::extract::{detect, html, signatures::Signatures};

fn html_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            html_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "html") {
            out.push(p);
        }
    }
}

/// Run `f` over all pages on 2 threads; best wall time of 3 runs, in seconds.
fn time2(pages: &[String], f: impl Fn(&str) -> usize + Sync) -> f64 {
    (0..3)
        .map(|_| {
            let t = Instant::now();
            let half = pages.len() / 2;
            let total: usize = std::thread::scope(|s| {
                let (a, b) = pages.split_at(half);
                let f = &f;
                let ha = s.spawn(move || a.iter().map(|p| f(p)).sum::<usize>());
                let hb = s.spawn(move || b.iter().map(|p| f(p)).sum::<usize>());
                ha.join().unwrap_or(0) + hb.join().unwrap_or(0)
            });
            black_box(total);
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn ours_parse(page: &str) -> usize {
    let doc = html::parse(page);
    doc.links.len() + doc.scripts.len()
}

fn ours_full(sigs: &Signatures, page: &str) -> usize {
    let doc = html::parse(page);
    let lines = html::Lines::new(page);
    let mut n = doc.links.len();
    for script in doc
        .scripts
        .iter()
        .filter(|s| s.kind == html::ScriptKind::Code)
    {
        let origin = detect::Origin {
            source: "bench",
            lines: Some(&lines),
            offset: script.offset,
            tag: None,
        };
        let scan = match &script.src {
            Some(src) => detect::scan_src(sigs, src, &origin),
            None => detect::scan_code(sigs, &script.code, &origin),
        };
        n += scan.installs.len() + scan.calls.len();
    }
    n
}

fn scraper(page: &str) -> usize {
    let doc = scraper::Html::parse_document(page);
    let (Ok(a), Ok(script)) = (
        scraper::Selector::parse("a[href]"),
        scraper::Selector::parse("script"),
    ) else {
        return 0;
    };
    let links = doc
        .select(&a)
        .filter_map(|e| e.value().attr("href"))
        .count();
    let scripts: usize = doc
        .select(&script)
        .map(|e| {
            e.value()
                .attr("src")
                .map_or_else(|| e.text().map(str::len).sum(), str::len)
        })
        .sum();
    links + scripts
}

fn lol(page: &str) -> usize {
    use lol_html::{element, text, HtmlRewriter, Settings};
    let mut links = 0usize;
    let mut script_bytes = 0usize;
    let mut srcs = Vec::new();
    {
        let mut rewriter = HtmlRewriter::new(
            Settings {
                element_content_handlers: vec![
                    element!("a[href]", |el| {
                        if el.get_attribute("href").is_some() {
                            links += 1;
                        }
                        Ok(())
                    }),
                    element!("script[src]", |el| {
                        srcs.extend(el.get_attribute("src"));
                        Ok(())
                    }),
                    text!("script", |t| {
                        script_bytes += t.as_str().len();
                        Ok(())
                    }),
                ],
                ..Settings::new()
            },
            |_: &[u8]| {},
        );
        if rewriter.write(page.as_bytes()).is_err() || rewriter.end().is_err() {
            return 0;
        }
    }
    links + script_bytes + srcs.len()
}

fn gum(page: &str) -> usize {
    use html5gum::{Token, Tokenizer};
    let mut n = 0;
    for token in Tokenizer::new(page).flatten() {
        match token {
            Token::StartTag(tag) if tag.name.as_slice() == b"a" => {
                n += usize::from(tag.attributes.contains_key(b"href".as_slice()));
            }
            Token::StartTag(tag) if tag.name.as_slice() == b"script" => {
                n += usize::from(tag.attributes.contains_key(b"src".as_slice()));
            }
            Token::String(s) => n += s.len(),
            _ => {}
        }
    }
    n
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(dir) = args.get(1) else {
        eprintln!("usage: parse-compare SITE_DIR [MAX_PAGES]");
        std::process::exit(2);
    };
    let max: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(2000);
    let mut files = Vec::new();
    html_files(Path::new(dir), &mut files);
    files.truncate(max);
    let pages: Vec<String> = files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .collect();
    let mb = pages.iter().map(String::len).sum::<usize>() as f64 / 1e6;
    let Ok(sigs) = Signatures::builtin() else {
        eprintln!("parse-compare: the built-in signatures do not load");
        std::process::exit(1);
    };
    println!(
        "parse comparison: {} pages, {mb:.0} MB, 2 threads, best of 3 (heap-audit's = its scanner + detectors)",
        pages.len()
    );
    let n = pages.len() as f64;
    let runs: Vec<(&str, f64)> = vec![
        (
            "heap-audit scan + detectors",
            time2(&pages, |p| ours_full(sigs, p)),
        ),
        ("heap-audit scan only", time2(&pages, ours_parse)),
        ("html5gum tokenizer", time2(&pages, gum)),
        ("lol_html streaming", time2(&pages, lol)),
        ("scraper (html5ever tree)", time2(&pages, scraper)),
    ];
    let ours = runs[0].1;
    for (name, secs) in &runs {
        println!(
            "  {name:<28} {secs:>7.3} s  {:>8.0} pages/s  {:>6.0} MB/s  {:>6.2}x the time of heap-audit's",
            n / secs,
            mb / secs,
            secs / ours
        );
    }
}
