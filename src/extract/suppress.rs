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

use crate::model::Suppression;

/// The word that starts a suppression comment.
pub const MARKER: &str = "heap-audit-ignore";

/// Every suppression comment in a page's text, in order.
pub fn parse(text: &str) -> Vec<Suppression> {
    let mut out = Vec::new();
    let (mut line, mut counted) = (1u32, 0usize);
    // memmem, not `str::match_indices`: this runs over every page, and the marker is rare.
    for at in memchr::memmem::find_iter(text.as_bytes(), MARKER) {
        // The marker must open a comment: `<!--`, then only white space.
        let Some(open) = text[..at].trim_end().strip_suffix("<!--").map(str::len) else {
            continue;
        };
        let after = &text[at + MARKER.len()..];
        let Some(body) = after.trim_start().strip_prefix(':') else {
            continue;
        };
        let Some(end) = body.find("-->") else {
            continue;
        };
        // `body` is a suffix of `text`: the comment ends `end + 3` bytes into it.
        let close = text.len() - body.len() + end + 3;
        let body = &body[..end];
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
}
