//! Inline suppressions: HTML comments in a page that turn rules off for that page, for audits of
//! a build folder where the page is the team's own source.
//!
//! ```html
//! <!-- heap-audit-ignore: duplicate-heap-load, HA006 -- the GTM tag is paused until March -->
//! ```
//!
//! Rule names or codes, comma-separated, then optionally `--` and the reason. The comment must
//! start with `heap-audit-ignore:`. Names are checked later, by the rules: a comment naming no rule
//! is reported like an unused suppression.

use std::sync::OnceLock;

use regex::Regex;

use crate::model::Suppression;

/// The word that starts a suppression comment.
pub const MARKER: &str = "heap-audit-ignore";

/// A suppression comment longer than this is not one (and a page full of unclosed markers costs
/// no more than this per marker).
const MAX_COMMENT: usize = 1024;

/// At most this many suppressions are read from one page.
const MAX_PER_PAGE: usize = 200;

/// Every suppression comment in a page's text, in order.
pub fn parse(text: &str) -> Vec<Suppression> {
    let mut out = Vec::new();
    let marker = memchr::memmem::Finder::new(MARKER);
    if marker.find(text.as_bytes()).is_none() {
        return out;
    }
    let scripts = script_spans(text);
    let mut script = scripts.iter().peekable();
    let (mut line, mut counted) = (1u32, 0usize);
    // memmem, not `str::match_indices`: this runs over every page, and the marker is rare.
    for at in marker.find_iter(text.as_bytes()) {
        if out.len() == MAX_PER_PAGE {
            break;
        }
        // The marker must open a comment: `<!--`, then only white space.
        let Some(open) = text[..at].trim_end().strip_suffix("<!--").map(str::len) else {
            continue;
        };
        // Not in a script, where `<!--` is only text (a string, a comment of the code).
        while script.next_if(|(_, end)| *end <= open).is_some() {}
        if script.peek().is_some_and(|(start, _)| *start < open) {
            continue;
        }
        let after = &text[at + MARKER.len()..];
        let Some(body) = after.trim_start().strip_prefix(':') else {
            continue;
        };
        let mut window = body.len().min(MAX_COMMENT);
        while !body.is_char_boundary(window) {
            window -= 1;
        }
        let Some(end) = body[..window].find("-->") else {
            continue;
        };
        // `body` is a suffix of `text`: the comment ends `end + 3` bytes into it.
        let close = text.len() - body.len() + end + 3;
        let body = &body[..end];
        // An unclosed comment followed by another one is not a suppression.
        if body.contains("<!--") {
            continue;
        }
        let (names, reason) = match body.split_once("--") {
            Some((names, reason)) => (names, Some(reason.trim()).filter(|r| !r.is_empty())),
            None => (body, None),
        };
        line += count_lines(&text[counted..open]);
        counted = open;
        out.push(Suppression {
            rules: names
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect(),
            reason: reason.map(str::to_owned),
            line,
            snippet: text[open..close].to_owned(),
        });
    }
    out
}

/// The byte ranges of the page's `<script>` elements, in order (one linear pass).
fn script_spans(text: &str) -> Vec<(usize, usize)> {
    static OPEN: OnceLock<Regex> = OnceLock::new();
    static CLOSE: OnceLock<Regex> = OnceLock::new();
    let open = OPEN.get_or_init(|| Regex::new(r"(?i)<script\b").expect("a valid regex"));
    let close = CLOSE.get_or_init(|| Regex::new(r"(?i)</script").expect("a valid regex"));
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(start) = open.find_at(text, from) {
        let end = close
            .find_at(text, start.end())
            .map_or(text.len(), |m| m.end());
        spans.push((start.start(), end));
        from = end;
    }
    spans
}

fn count_lines(text: &str) -> u32 {
    u32::try_from(memchr::memchr_iter(b'\n', text.as_bytes()).count()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_reason_and_line() {
        let page = "<!doctype html>\n<html><head>\n<!-- heap-audit-ignore: duplicate-heap-load, HA006 -- GTM tag paused -->\n<!--heap-audit-ignore:segment-via-gtm-->\n</head></html>\n";
        let found = parse(page);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].rules, vec!["duplicate-heap-load", "HA006"]);
        assert_eq!(found[0].reason.as_deref(), Some("GTM tag paused"));
        assert_eq!(found[0].line, 3);
        assert_eq!(
            found[0].snippet,
            "<!-- heap-audit-ignore: duplicate-heap-load, HA006 -- GTM tag paused -->"
        );
        assert_eq!(found[1].rules, vec!["segment-via-gtm"]);
        assert_eq!(found[1].reason, None);
        assert_eq!(found[1].line, 4);
    }

    #[test]
    fn only_comments_that_start_with_the_marker() {
        let page = "<p>Write heap-audit-ignore: HA001 in a comment.</p>\n<!-- see heap-audit-ignore: HA001 -->\n<!-- heap-audit-ignore HA001 -->\n<!-- heap-audit-ignore: HA001";
        assert!(parse(page).is_empty(), "{:?}", parse(page));
    }

    #[test]
    fn unclosed_markers_cost_little() {
        // Thousands of markers before one `-->`: none is a suppression, and parsing stays linear.
        let page = "<!-- heap-audit-ignore:HA001".repeat(4000) + " -->";
        let started = std::time::Instant::now();
        let found = parse(&page);
        assert!(found.len() <= 1, "{}", found.len());
        assert!(found.iter().all(|s| s.snippet.len() < MAX_COMMENT + 64));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // Many real comments: capped.
        let page = "<!-- heap-audit-ignore: HA001 -->\n".repeat(MAX_PER_PAGE + 50);
        assert_eq!(parse(&page).len(), MAX_PER_PAGE);
    }

    #[test]
    fn not_inside_scripts() {
        let page = "<html><head>\n<SCRIPT>var help = '<!-- heap-audit-ignore: HA001 -->';</SCRIPT>\n<script type=\"module\">\n// <!-- heap-audit-ignore: HA002 -->\n</script>\n<!-- heap-audit-ignore: HA003 -->\n</head></html>";
        let found = parse(page);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rules, vec!["HA003"]);
        assert_eq!(found[0].line, 6);
    }
}
