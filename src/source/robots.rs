//! robots.txt (RFC 9309): which paths of a site heap-audit may crawl.
//!
//! The crawler fetches `/robots.txt` once per site and asks [`Robots::allows`] before each page.
//! Parsing never fails: lines that are not `key: value` records are ignored, as the RFC asks.
//! `Crawl-delay` (not in the RFC, but common) is read for the matched group.

use std::time::Duration;

/// The rules that apply to one user agent on one site.
///
/// The default value allows everything (as for a missing robots.txt).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Robots {
    rules: Vec<Rule>,
    /// `Crawl-delay` of the matched groups (the longest, if several), in seconds.
    crawl_delay: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    allow: bool,
    /// Normalized (see [`normalize`]); never empty.
    pattern: String,
}

#[derive(Debug, Default)]
struct Group {
    /// Lowercased product tokens, or `*`.
    agents: Vec<String>,
    rules: Vec<Rule>,
    crawl_delay: Option<Duration>,
}

impl Robots {
    /// Reads robots.txt for `user_agent` (e.g. `heap-audit/0.1.0`): the groups naming its product
    /// token (case-insensitively) if any, else the `*` groups; several matching groups are merged.
    pub fn parse(text: &str, user_agent: &str) -> Robots {
        let product = product_token(user_agent);
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);

        let mut groups: Vec<Group> = Vec::new();
        // The previous record was a user-agent line, so another one joins the same group.
        let mut in_agent_lines = false;
        for line in text.split(['\n', '\r']) {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match key.trim().to_ascii_lowercase().as_str() {
                "user-agent" => {
                    if !in_agent_lines {
                        groups.push(Group::default());
                    }
                    if let Some(group) = groups.last_mut() {
                        group.agents.push(product_token(value));
                    }
                    in_agent_lines = true;
                }
                key @ ("allow" | "disallow") => {
                    in_agent_lines = false;
                    // Rules before any user-agent line belong to no group. An empty path matches
                    // nothing: `Disallow:` allows everything.
                    if let (Some(group), false) = (groups.last_mut(), value.is_empty()) {
                        group.rules.push(Rule {
                            allow: key == "allow",
                            pattern: normalize(value),
                        });
                    }
                }
                // Not a rule (RFC 9309 leaves it out) but widely sent: seconds between requests.
                "crawl-delay" => {
                    let delay = value
                        .parse::<f64>()
                        .ok()
                        .filter(|d| d.is_finite() && *d > 0.0)
                        .and_then(|d| Duration::try_from_secs_f64(d.min(86_400.0)).ok());
                    if let (Some(group), Some(delay)) = (groups.last_mut(), delay) {
                        group.crawl_delay = Some(delay);
                    }
                }
                // Sitemap, ...: not rules and not group boundaries.
                _ => {}
            }
        }

        let named = |agent: &str| !product.is_empty() && product != "*" && agent == product;
        let select = if groups.iter().any(|g| g.agents.iter().any(|a| named(a))) {
            groups
                .into_iter()
                .filter(|g| g.agents.iter().any(|a| named(a)))
                .collect::<Vec<_>>()
        } else {
            groups
                .into_iter()
                .filter(|g| g.agents.iter().any(|a| a == "*"))
                .collect()
        };
        Robots {
            crawl_delay: select.iter().filter_map(|g| g.crawl_delay).max(),
            rules: select.into_iter().flat_map(|g| g.rules).collect(),
        }
    }

    /// The `Crawl-delay` asked of us, if any (uncapped: the crawler caps it).
    pub fn crawl_delay(&self) -> Option<Duration> {
        self.crawl_delay
    }

    /// Whether `path` (the URL path plus `?query` if any) may be fetched. The longest matching
    /// rule wins; Allow wins a tie; no matching rule allows.
    pub fn allows(&self, path: &str) -> bool {
        let path = normalize(if path.is_empty() { "/" } else { path });
        if path.split('?').next() == Some("/robots.txt") {
            return true;
        }
        let mut best: Option<(usize, bool)> = None;
        for rule in &self.rules {
            if !matches(&rule.pattern, &path) {
                continue;
            }
            let len = rule.pattern.len();
            let better = match best {
                None => true,
                Some((best_len, best_allow)) => {
                    len > best_len || (len == best_len && rule.allow && !best_allow)
                }
            };
            if better {
                best = Some((len, rule.allow));
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }
}

/// The product token of a user agent or a `User-agent:` value, lowercased: `heap-audit` for
/// `heap-audit/0.1.0 (+https://…)`.
fn product_token(user_agent: &str) -> String {
    user_agent
        .trim()
        .split(|c: char| c == '/' || c.is_whitespace())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Puts a path or a pattern in one form so both sides compare alike: percent-escapes of
/// unreserved characters (`A-Z a-z 0-9 - . _ ~`) are decoded, other escapes get upper-case hex,
/// and bytes outside US-ASCII are percent-encoded.
fn normalize(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            if let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).and_then(|c| hex_value(*c)),
                bytes.get(i + 2).and_then(|c| hex_value(*c)),
            ) {
                let decoded = hi * 16 + lo;
                if decoded.is_ascii_alphanumeric() || matches!(decoded, b'-' | b'.' | b'_' | b'~') {
                    out.push(char::from(decoded));
                } else {
                    push_escape(&mut out, decoded);
                }
                i += 3;
                continue;
            }
        }
        if b.is_ascii() {
            out.push(char::from(b));
        } else {
            push_escape(&mut out, b);
        }
        i += 1;
    }
    out
}

fn push_escape(out: &mut String, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(byte >> 4)]));
    out.push(char::from(HEX[usize::from(byte & 0x0f)]));
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Whether `pattern` matches the start of `path`: `*` matches any run of characters, and a
/// final `$` requires the match to reach the end of the path.
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p.as_bytes(), true),
        None => (pattern.as_bytes(), false),
    };
    let text = path.as_bytes();
    let (mut p, mut t) = (0, 0);
    // Position of the last `*` in the pattern and the text position it currently stands for.
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
            continue;
        }
        if p == pattern.len() && (!anchored || t == text.len()) {
            return true;
        }
        if p < pattern.len() && t < text.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
            continue;
        }
        match star {
            Some((sp, st)) if st < text.len() => {
                star = Some((sp, st + 1));
                p = sp + 1;
                t = st + 1;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UA: &str = "heap-audit/0.1.0 (+https://github.com/heap-audit)";

    fn robots(text: &str) -> Robots {
        Robots::parse(text, UA)
    }

    #[test]
    fn empty_file_allows_everything() {
        let r = robots("");
        assert!(r.allows("/"));
        assert!(r.allows("/anything?x=1"));
        assert!(Robots::default().allows("/x"));
    }

    #[test]
    fn star_group_applies_when_nothing_names_us() {
        let r = robots("User-agent: *\nDisallow: /private\n");
        assert!(!r.allows("/private/page"));
        assert!(r.allows("/public"));
    }

    #[test]
    fn our_group_replaces_the_star_group() {
        let text = "User-agent: *\nDisallow: /\n\nUser-agent: Heap-Audit\nDisallow: /admin\n";
        let r = robots(text);
        assert!(r.allows("/"));
        assert!(r.allows("/blog"));
        assert!(!r.allows("/admin/users"));
        // Another crawler gets the star group.
        let other = Robots::parse(text, "othercrawler/2.0");
        assert!(!other.allows("/blog"));
    }

    #[test]
    fn product_token_is_matched_exactly() {
        let text = "User-agent: heap\nDisallow: /\n\nUser-agent: heap-audit-pro\nDisallow: /\n";
        assert!(robots(text).allows("/page"));
        // A version in the robots.txt token is ignored, like in ours.
        assert!(!robots("User-agent: heap-audit/9.9\nDisallow: /\n").allows("/page"));
    }

    #[test]
    fn consecutive_user_agent_lines_share_a_group() {
        let r = robots("User-agent: heap-audit\nUser-agent: googlebot\nDisallow: /tmp\n");
        assert!(!r.allows("/tmp/file"));
        assert!(r.allows("/other"));
    }

    #[test]
    fn user_agent_after_rules_starts_a_new_group() {
        let r =
            robots("User-agent: heap-audit\nDisallow: /a\nUser-agent: googlebot\nDisallow: /b\n");
        assert!(!r.allows("/a"));
        assert!(r.allows("/b"));
    }

    #[test]
    fn matching_groups_are_merged() {
        let r = robots(
            "User-agent: heap-audit\nDisallow: /a\n\nUser-agent: *\nDisallow: /c\n\nUser-agent: HEAP-AUDIT\nDisallow: /b\n",
        );
        assert!(!r.allows("/a"));
        assert!(!r.allows("/b"));
        assert!(r.allows("/c"));
        let stars = robots("User-agent: *\nDisallow: /x\n\nUser-agent: *\nDisallow: /y\n");
        assert!(!stars.allows("/x"));
        assert!(!stars.allows("/y"));
    }

    #[test]
    fn longest_match_wins() {
        let r = robots(
            "User-agent: *\nDisallow: /shop\nAllow: /shop/public\nDisallow: /shop/public/secret\n",
        );
        assert!(!r.allows("/shop/cart"));
        assert!(r.allows("/shop/public/item"));
        assert!(!r.allows("/shop/public/secret/1"));
        // Order does not matter.
        let r = robots("User-agent: *\nAllow: /shop/public\nDisallow: /shop\n");
        assert!(r.allows("/shop/public/item"));
        assert!(!r.allows("/shop/x"));
    }

    #[test]
    fn allow_wins_a_tie() {
        let r = robots("User-agent: *\nDisallow: /page\nAllow: /page\n");
        assert!(r.allows("/page"));
        let r = robots("User-agent: *\nAllow: /page\nDisallow: /page\n");
        assert!(r.allows("/page"));
    }

    #[test]
    fn wildcard_matches_any_run() {
        let r = robots("User-agent: *\nDisallow: /*/private/\nDisallow: /*.pdf\n");
        assert!(!r.allows("/team/private/notes"));
        assert!(!r.allows("/a/b/private/"));
        assert!(r.allows("/private/"));
        assert!(!r.allows("/docs/file.pdf"));
        assert!(!r.allows("/docs/file.pdf?download=1"));
        assert!(r.allows("/docs/file.html"));
    }

    #[test]
    fn dollar_anchors_the_end() {
        let r = robots("User-agent: *\nDisallow: /*.php$\nDisallow: /exact$\n");
        assert!(!r.allows("/index.php"));
        assert!(r.allows("/index.php?page=2"));
        assert!(r.allows("/index.php/more"));
        assert!(!r.allows("/exact"));
        assert!(r.allows("/exactly"));
    }

    #[test]
    fn empty_disallow_allows_everything() {
        let r = robots("User-agent: *\nDisallow:\n");
        assert!(r.allows("/"));
        assert!(r.allows("/anything"));
        // And it still makes the group ours.
        let r = robots("User-agent: heap-audit\nDisallow:\n\nUser-agent: *\nDisallow: /\n");
        assert!(r.allows("/page"));
    }

    #[test]
    fn disallow_root_blocks_everything_but_robots_txt() {
        let r = robots("User-agent: *\nDisallow: /\n");
        assert!(!r.allows("/"));
        assert!(!r.allows("/page"));
        assert!(r.allows("/robots.txt"));
        let r = robots("User-agent: *\nDisallow: /robots.txt\n");
        assert!(r.allows("/robots.txt"));
    }

    #[test]
    fn comments_are_ignored() {
        let r = robots(
            "# robots for example.com\nUser-agent: * # everyone\nDisallow: /private # keep out\n#Disallow: /public\n",
        );
        assert!(!r.allows("/private"));
        assert!(r.allows("/public"));
        // The comment is not part of the pattern.
        assert!(!r.allows("/private/x"));
    }

    #[test]
    fn bom_and_crlf_are_tolerated() {
        let r = robots("\u{feff}User-agent: *\r\nDisallow: /private\r\n");
        assert!(!r.allows("/private"));
        assert!(r.allows("/public"));
        let r = robots("User-agent: *\rDisallow: /old-mac\r");
        assert!(!r.allows("/old-mac"));
    }

    #[test]
    fn keys_are_case_insensitive_and_garbage_is_ignored() {
        let r = robots(
            "<html>not robots</html>\nUSER-AGENT: *\nthis line has no colon\nCrawl-delay: 10\nSitemap: https://example.com/sitemap.xml\nDISALLOW: /x\nnonsense: /y\n",
        );
        assert!(!r.allows("/x"));
        assert!(r.allows("/y"));
    }

    #[test]
    fn rules_before_any_user_agent_are_ignored() {
        let r = robots("Disallow: /\nUser-agent: *\nDisallow: /x\n");
        assert!(r.allows("/page"));
        assert!(!r.allows("/x"));
    }

    #[test]
    fn query_is_part_of_the_path() {
        let r = robots("User-agent: *\nDisallow: /search?\nDisallow: /*?sessionid=\n");
        assert!(r.allows("/search"));
        assert!(!r.allows("/search?q=heap"));
        assert!(!r.allows("/cart?sessionid=1"));
    }

    #[test]
    fn percent_encoding_of_unreserved_characters_is_decoded() {
        let r =
            robots("User-agent: *\nDisallow: /%7Ejoe/\nDisallow: /caf%C3%A9\nDisallow: /a%2fb\n");
        assert!(!r.allows("/~joe/index.html"));
        assert!(!r.allows("/%7ejoe/index.html"));
        // Non-ASCII on either side is compared in encoded form.
        assert!(!r.allows("/café"));
        assert!(!r.allows("/caf%c3%a9"));
        // A reserved character stays escaped: `%2F` is not `/`.
        assert!(!r.allows("/a%2Fb"));
        assert!(r.allows("/a/b"));
        let r = robots("User-agent: *\nDisallow: /~joe/\nDisallow: /café\n");
        assert!(!r.allows("/%7Ejoe/x"));
        assert!(!r.allows("/caf%C3%A9"));
    }

    #[test]
    fn empty_path_means_root() {
        let r = robots("User-agent: *\nDisallow: /$\n");
        assert!(!r.allows(""));
        assert!(r.allows("/page"));
    }

    #[test]
    fn product_token_of_user_agents() {
        assert_eq!(product_token("heap-audit/0.1.0"), "heap-audit");
        assert_eq!(product_token("  Heap-Audit/1 (+x)"), "heap-audit");
        assert_eq!(product_token("Googlebot"), "googlebot");
        assert_eq!(product_token("*"), "*");
    }

    #[test]
    fn wildcard_matching_does_not_blow_up() {
        let pattern = format!("/{}b", "*a".repeat(50));
        let path = format!("/{}", "a".repeat(5000));
        assert!(!matches(&pattern, &path));
        assert!(matches("/*a*b", "/xxaxxbxx"));
        assert!(!matches("/*a*b$", "/xxaxxbxx"));
    }

    #[test]
    fn crawl_delay_of_the_matched_group() {
        let text = "User-agent: *\nCrawl-delay: 2.5\nDisallow: /x\n\nUser-agent: heap-audit\nCrawl-delay: 7\nDisallow: /y\n";
        assert_eq!(
            Robots::parse(text, "heap-audit/0.1").crawl_delay(),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            Robots::parse(text, "other-bot").crawl_delay(),
            Some(Duration::from_millis(2500))
        );
        for bad in ["soon", "-1", "NaN", "inf", ""] {
            let text = format!("User-agent: *\nCrawl-delay: {bad}\n");
            assert_eq!(Robots::parse(&text, "x").crawl_delay(), None, "{bad}");
        }
        assert_eq!(robots("User-agent: *\nDisallow: /\n").crawl_delay(), None);
    }
}
