//! No panic on any input: every fixture, cut at many points and with bytes flipped, goes through
//! every pure parser (HTML scanner, detector, GTM container, Segment settings, robots.txt, decoder).

use std::path::{Path, PathBuf};

use heap_audit::extract::{decode, detect, gtm, html, segment_settings, signatures::Signatures};
use heap_audit::source::robots::Robots;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn all_parsers(text: &str) {
    let sigs = Signatures::builtin().unwrap();
    let doc = html::parse(text);
    let lines = html::Lines::new(text);
    let origin = detect::Origin {
        source: "x",
        lines: Some(&lines),
        offset: 0,
        tag: None,
    };
    for script in &doc.scripts {
        let origin = detect::Origin {
            offset: script.offset,
            ..origin
        };
        let _ = detect::scan_code(sigs, &script.code, &origin);
        if let Some(src) = &script.src {
            let _ = detect::scan_src(sigs, src, &origin);
        }
    }
    let _ = detect::scan_code(sigs, text, &origin);
    let _ = gtm::parse_container(text);
    let _ = segment_settings::parse_settings(text);
    let _ = Robots::parse(text, "heap-audit/0.1").allows("/a");
}

/// A small deterministic generator, so failures reproduce.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn truncated_and_mutated_fixtures_never_panic() {
    let mut paths = Vec::new();
    files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        &mut paths,
    );
    assert!(paths.len() > 50, "fixtures went missing");
    let mut rng = Lcg(0x5eed);
    for path in paths {
        let bytes = std::fs::read(&path).unwrap();
        let decode::Body::Text { text, .. } = decode::decode(&bytes, None) else {
            continue;
        };
        all_parsers(&text);
        // Cut at 24 points spread over the file (on char boundaries).
        for k in 1..24 {
            let mut cut = text.len() * k / 24;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            all_parsers(&text[..cut]);
        }
        // Flip 8 random bytes to punctuation that matters to the parsers, 6 times.
        for _ in 0..6 {
            let mut mutated = bytes.clone();
            for _ in 0..8 {
                let i = (rng.next() as usize) % mutated.len().max(1);
                if let Some(b) = mutated.get_mut(i) {
                    *b = b"<>\"'{}[]()\\/=,:!;\0"[(rng.next() % 18) as usize];
                }
            }
            let _ = decode::decode(&mutated, Some("text/html"));
            all_parsers(&String::from_utf8_lossy(&mutated));
        }
    }
}
