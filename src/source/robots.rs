//! robots.txt (RFC 9309): which paths of a site heap-audit may crawl.
//!
//! The crawler fetches `/robots.txt` once per site and asks [`Robots::allows`] before each page.
//! Parsing never fails: lines that are not `key: value` records are ignored, as the RFC asks.
//! `Crawl-delay` (not in the RFC, but common) is read for the matched group.
//!
//! Hand-written on purpose: measured against the maintained robots.txt crates on the RFC 9309
//! and Google examples (issue 10), it was right more often than each of them, with no dependency.
//! Those examples are the `spec` tests below.

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
                            pattern: normalize(value, Side::Pattern),
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

    /// Every path disallowed but `/robots.txt`: what a crawler must assume when robots.txt is
    /// unreachable because of a server error (RFC 9309 §2.3.1.4).
    pub fn disallow_all() -> Robots {
        Robots {
            rules: vec![Rule {
                allow: false,
                pattern: "/".to_owned(),
            }],
            crawl_delay: None,
        }
    }

    /// The `Crawl-delay` asked of us, if any (uncapped: the crawler caps it).
    pub fn crawl_delay(&self) -> Option<Duration> {
        self.crawl_delay
    }

    /// Whether `path` (the URL path plus `?query` if any) may be fetched. The longest matching
    /// rule wins; Allow wins a tie; no matching rule allows.
    pub fn allows(&self, path: &str) -> bool {
        let path = normalize(if path.is_empty() { "/" } else { path }, Side::Path);
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
/// `heap-audit/0.1.0 (+https://…)`. Text after the token is ignored, as Google does: `FooBot/1.2`
/// and `FooBot*` are `foobot`. `*` alone is the any-agent token.
fn product_token(user_agent: &str) -> String {
    let value = user_agent.trim();
    if let Some(rest) = value.strip_prefix('*') {
        if rest.is_empty() || rest.starts_with(char::is_whitespace) {
            return "*".to_owned();
        }
    }
    value
        .split(|c: char| c == '/' || c == '*' || c.is_whitespace())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Which side of a comparison [`normalize`] prepares.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    /// A rule's pattern: `*` is a wildcard and a final `$` anchors the end.
    Pattern,
    /// The path (and query) of the URL asked about.
    Path,
}

/// Puts a path or a pattern in one form so both sides compare alike (RFC 9309 §2.2.2):
/// percent-escapes of unreserved characters (`A-Z a-z 0-9 - . _ ~`) are decoded, other escapes
/// get upper-case hex, and bytes outside US-ASCII are percent-encoded. A literal `*` or `$` in a
/// path is compared in escaped form (`%2A`, `%24`), the way a rule must write it to match it
/// (§2.2.3); so is a `$` that does not end a pattern, since only a final `$` anchors.
fn normalize(s: &str, side: Side) -> String {
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
        let special = match side {
            Side::Path => b == b'*' || b == b'$',
            Side::Pattern => b == b'$' && i + 1 < bytes.len(),
        };
        if b.is_ascii() && !special {
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
    fn disallow_all_is_disallow_root() {
        let all = Robots::disallow_all();
        assert_eq!(all, robots("User-agent: *\nDisallow: /\n"));
        assert!(!all.allows("/"));
        assert!(!all.allows("/page?x=1"));
        assert!(all.allows("/robots.txt"));
        assert_eq!(all.crawl_delay(), None);
        assert!(Robots::default().allows("/page"));
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
        assert_eq!(product_token("* # everyone"), "*");
        assert_eq!(product_token("FooBot*"), "foobot");
        assert_eq!(product_token("Foo Bar"), "foo");
        // Not the any-agent token, and no product either: it names no crawler.
        assert_eq!(product_token("*bot"), "");
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

    /// The examples of RFC 9309, of Google's "How Google interprets the robots.txt specification"
    /// page and of Google's robotstxt test suite (robots_test.cc), with the result the spec gives.
    /// They are the spec cases of the comparison that kept this parser over the robots.txt crates
    /// (issue 10); each names the rule it checks.
    mod spec {
        use super::*;

        const FOO: &str = "FooBot";

        /// Asserts, for the crawler `ua`, whether `text` allows each path.
        fn expect(text: &str, ua: &str, paths: &[(&str, bool)]) {
            let robots = Robots::parse(text, ua);
            for &(path, allowed) in paths {
                assert_eq!(robots.allows(path), allowed, "{ua} {path} in {text:?}");
            }
        }

        /// RFC 9309 §5.1: the simple example, one check per crawler it describes.
        #[test]
        fn rfc_5_1_simple_example() {
            let text = "User-Agent: *\nDisallow: *.gif$\nDisallow: /example/\nAllow: /publications/\n\nUser-Agent: foobot\nDisallow:/\nAllow:/example/page.html\nAllow:/example/allowed.gif\n\nUser-Agent: barbot\nUser-Agent: bazbot\nDisallow: /example/page.html\n\nUser-Agent: quxbot\n\nEOF\n";
            expect(
                text,
                "otherbot",
                &[
                    ("/example/page.html", false),
                    ("/publications/", true),
                    ("/images/cat.gif", false),
                    ("/images/cat.gif?size=2", true),
                    ("/publications/cat.gif", true),
                    ("/", true),
                ],
            );
            expect(
                text,
                "foobot",
                &[
                    ("/example/page.html", true),
                    ("/example/allowed.gif", true),
                    ("/example/other.html", false),
                    ("/", false),
                    ("/publications/", false),
                ],
            );
            let shared = [("/example/page.html", false), ("/example/other.gif", true)];
            expect(text, "barbot", &shared);
            expect(text, "bazbot", &shared);
            // An empty group at the end of the file: unrestricted.
            expect(
                text,
                "quxbot",
                &[("/example/page.html", true), ("/images/cat.gif", true)],
            );
        }

        /// RFC 9309 §5.2: the longest match is used.
        #[test]
        fn rfc_5_2_longest_match() {
            expect(
                "User-Agent: foobot\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n",
                "foobot",
                &[
                    ("/example/page/disallowed.gif", false),
                    ("/example/page/", true),
                    ("/example/page/other.gif", true),
                ],
            );
        }

        /// RFC 9309 §2.1 and §2.2.1 (robots_test.cc ID_LineSyntax_Groups): rules before any
        /// user-agent line are ignored, a blank line does not end a group that has no rule yet,
        /// and the groups of one crawler are combined.
        #[test]
        fn groups_and_rules_outside_groups() {
            let text = "allow: /foo/bar/\n\nuser-agent: FooBot\ndisallow: /\nallow: /x/\nuser-agent: BarBot\ndisallow: /\nallow: /y/\n\n\nallow: /w/\nuser-agent: BazBot\n\nuser-agent: FooBot\nallow: /z/\ndisallow: /\n";
            expect(
                text,
                FOO,
                &[
                    ("/x/b", true),
                    ("/z/d", true),
                    ("/y/c", false),
                    ("/foo/bar/", false),
                ],
            );
            expect(
                text,
                "BarBot",
                &[
                    ("/y/c", true),
                    ("/w/a", true),
                    ("/z/d", false),
                    ("/foo/bar/", false),
                ],
            );
            expect(text, "BazBot", &[("/z/d", true), ("/foo/bar/", false)]);
        }

        /// RFC 9309 §2.2 (robots_test.cc ID_REPLineNamesCaseInsensitive): record names are
        /// case-insensitive.
        #[test]
        fn record_names_are_case_insensitive() {
            for text in [
                "USER-AGENT: FooBot\nALLOW: /x/\nDISALLOW: /\n",
                "user-agent: FooBot\nallow: /x/\ndisallow: /\n",
                "uSeR-aGeNt: FooBot\nAlLoW: /x/\ndIsAlLoW: /\n",
            ] {
                expect(text, FOO, &[("/x/y", true), ("/a/b", false)]);
            }
        }

        /// RFC 9309 §2.2, ABNF `*WS ":" *WS`: blanks and tabs around the colon.
        #[test]
        fn whitespace_around_the_colon() {
            expect(
                "User-Agent : FooBot\nDisallow : /example/\n",
                FOO,
                &[("/example/x", false), ("/other", true)],
            );
            expect(
                "user-agent:\tFooBot\ndisallow:\t/x\n",
                FOO,
                &[("/x", false), ("/y", true)],
            );
        }

        /// RFC 9309 §2.2.4 (robots_test.cc ID_LineSyntax_Line): records other than user-agent,
        /// allow and disallow are not rules.
        #[test]
        fn unknown_records_are_not_rules() {
            expect("user-agent: FooBot\ndisallow: /\n", FOO, &[("/x/y", false)]);
            expect("foo: FooBot\nbar: /\n", FOO, &[("/x/y", true)]);
        }

        /// RFC 9309 §2.2.1 (robots_test.cc ID_UserAgentValueCaseInsensitive): the user-agent value
        /// is matched case-insensitively.
        #[test]
        fn user_agent_value_is_case_insensitive() {
            for text in [
                "User-Agent: FOOBOT\nAllow: /x/\nDisallow: /\n",
                "User-Agent: foobot\nAllow: /x/\nDisallow: /\n",
                "User-Agent: FoObOt\nAllow: /x/\nDisallow: /\n",
            ] {
                for ua in ["FooBot", "foobot"] {
                    expect(text, ua, &[("/x/y", true), ("/a/b", false)]);
                }
            }
        }

        /// RFC 9309 §2.2.1 (robots_test.cc ID_GlobalGroups_Secondary): the `*` group applies only
        /// when no group names the crawler; with neither, no rule applies.
        #[test]
        fn star_group_is_the_fallback() {
            let global = "user-agent: *\nallow: /\nuser-agent: FooBot\ndisallow: /\n";
            let only_specific = "user-agent: FooBot\nallow: /\nuser-agent: BarBot\ndisallow: /\nuser-agent: BazBot\ndisallow: /\n";
            expect("", FOO, &[("/x/y", true)]);
            expect(global, FOO, &[("/x/y", false)]);
            expect(global, "BarBot", &[("/x/y", true)]);
            expect(only_specific, "QuxBot", &[("/x/y", true)]);
        }

        /// RFC 9309 §2.2.1, Google's page (merging example): the groups naming a crawler are
        /// combined; the `*` group is not added to them.
        #[test]
        fn groups_for_the_same_agent_are_merged_star_is_not() {
            let text = "user-agent: googlebot-news\ndisallow: /fish\n\nuser-agent: *\ndisallow: /carrots\n\nuser-agent: googlebot-news\ndisallow: /shrimp\n";
            expect(
                text,
                "googlebot-news",
                &[("/fish", false), ("/shrimp", false), ("/carrots", true)],
            );
            expect(text, "otherbot", &[("/carrots", false), ("/fish", true)]);
        }

        /// RFC 9309 §2.2.1, Google's page (user agent precedence): one group per crawler.
        #[test]
        fn one_group_per_crawler() {
            let text = "user-agent: googlebot-news\ndisallow: /a\n\nuser-agent: *\ndisallow: /b\n\nuser-agent: googlebot\ndisallow: /c\n";
            expect(
                text,
                "googlebot-news",
                &[("/a", false), ("/b", true), ("/c", true)],
            );
            expect(
                text,
                "googlebot",
                &[("/c", false), ("/a", true), ("/b", true)],
            );
            expect(
                text,
                "otherbot",
                &[("/b", false), ("/a", true), ("/c", true)],
            );
        }

        /// RFC 9309 §2.1, Google's page (grouping example): consecutive user-agent lines share the
        /// rules that follow; a user-agent line after rules starts a new group.
        #[test]
        fn grouping_of_lines() {
            let text = "user-agent: a\ndisallow: /c\n\nuser-agent: b\ndisallow: /d\n\nuser-agent: e\nuser-agent: f\ndisallow: /g\n\nuser-agent: h\n";
            expect(text, "a", &[("/c", false), ("/d", true)]);
            expect(text, "b", &[("/d", false), ("/c", true)]);
            expect(text, "e", &[("/g", false)]);
            expect(text, "f", &[("/g", false), ("/c", true)]);
            expect(text, "h", &[("/g", true), ("/c", true)]);
        }

        /// RFC 9309 §2.2.4, Google's page: a record that is not a rule (sitemap) does not end a
        /// group, so `a` and `b` share `disallow: /`.
        #[test]
        fn other_records_do_not_end_a_group() {
            let text = "user-agent: a\nsitemap: https://example.com/sitemap.xml\n\nuser-agent: b\ndisallow: /\n";
            expect(text, "a", &[("/x", false)]);
            expect(text, "b", &[("/x", false)]);
        }

        /// Google's page: "both googlebot/1.2 and googlebot* are equivalent to googlebot"
        /// (text after the product token is ignored); robots_test.cc
        /// GoogleOnly_AcceptUserAgentUpToFirstSpace: `Foo Bar` is read as `Foo`.
        #[test]
        fn non_token_text_in_user_agent_is_ignored() {
            expect(
                "User-agent: FooBot/1.2\nDisallow: /a\n",
                FOO,
                &[("/a", false), ("/b", true)],
            );
            expect(
                "User-agent: FooBot*\nDisallow: /a\n",
                FOO,
                &[("/a", false), ("/b", true)],
            );
            expect(
                "User-Agent: *\nDisallow: /\nUser-Agent: Foo Bar\nAllow: /x/\nDisallow: /\n",
                "Foo",
                &[("/x/y", true), ("/a", false)],
            );
        }

        /// RFC 9309 §2.2.2 (robots_test.cc ID_AllowDisallow_Value_CaseSensitive): paths are
        /// matched case-sensitively.
        #[test]
        fn paths_are_case_sensitive() {
            expect(
                "user-agent: FooBot\ndisallow: /x/\n",
                FOO,
                &[("/x/y", false)],
            );
            expect(
                "user-agent: FooBot\ndisallow: /X/\n",
                FOO,
                &[("/x/y", true)],
            );
        }

        /// RFC 9309 §2.2.2 (robots_test.cc ID_LongestMatch): the match with the most octets wins,
        /// whatever the order of the rules.
        #[test]
        fn longest_match_by_octets() {
            expect(
                "user-agent: FooBot\ndisallow: /x/page.html\nallow: /x/\n",
                FOO,
                &[("/x/page.html", false)],
            );
            expect(
                "user-agent: FooBot\nallow: /x/page.html\ndisallow: /x/\n",
                FOO,
                &[("/x/page.html", true), ("/x/", false)],
            );
            expect(
                "user-agent: FooBot\ndisallow: /x\nallow: /x/\n",
                FOO,
                &[("/x", false), ("/x/", true)],
            );
        }

        /// RFC 9309 §2.2.2 (robots_test.cc ID_LongestMatch): of equivalent allow and disallow
        /// rules, allow is used.
        #[test]
        fn allow_wins_equivalent_rules() {
            for text in [
                "user-agent: FooBot\ndisallow: \nallow: \n",
                "user-agent: FooBot\ndisallow: /\nallow: /\n",
                "user-agent: FooBot\ndisallow: /x/page.html\nallow: /x/page.html\n",
            ] {
                expect(text, FOO, &[("/x/page.html", true)]);
            }
        }

        /// RFC 9309 §2.2.2 (robots_test.cc ID_LongestMatch): a pattern with wildcards counts its
        /// own octets; the crawler's own group beats the `*` group even where it says nothing.
        #[test]
        fn wildcard_rules_count_their_octets() {
            expect(
                "user-agent: FooBot\nallow: /page\ndisallow: /*.html\n",
                FOO,
                &[("/page.html", false), ("/page", true)],
            );
            expect(
                "user-agent: FooBot\nallow: /x/page.\ndisallow: /*.html\n",
                FOO,
                &[("/x/page.html", true), ("/x/y.html", false)],
            );
            expect(
                "User-agent: *\nDisallow: /x/\nUser-agent: FooBot\nDisallow: /y/\n",
                FOO,
                &[("/x/page", true), ("/y/page", false)],
            );
        }

        /// RFC 9309 §2.2.2: no matching rule, or no rule at all, allows; /robots.txt is always
        /// allowed.
        #[test]
        fn no_match_or_no_rules_allows_and_robots_txt_is_allowed() {
            expect(
                "User-agent: FooBot\nDisallow: /private\n",
                FOO,
                &[("/public", true)],
            );
            expect("User-agent: FooBot\n", FOO, &[("/anything", true)]);
            expect(
                "User-agent: FooBot\nDisallow: /\n",
                FOO,
                &[("/robots.txt", true), ("/other", false)],
            );
        }

        /// RFC 9309 §2.2.2 Figure 4 (robots_test.cc ID_Encoding): non-ASCII is compared
        /// percent-encoded, and a percent-encoded unreserved character is compared decoded:
        /// `/foo/bar/%62%61%7A` is matched as `/foo/bar/baz`. (Google's test expects the opposite
        /// for that row, calling the escape illegal; the RFC is followed here.)
        #[test]
        fn figure_4_percent_encoding() {
            let allow = |rule: &str, paths: &[(&str, bool)]| {
                expect(
                    &format!("User-agent: FooBot\nDisallow: /\nAllow: {rule}\n"),
                    FOO,
                    paths,
                );
            };
            allow(
                "/foo/bar?qux=taz&baz=http://foo.bar?tar&par",
                &[("/foo/bar?qux=taz&baz=http://foo.bar?tar&par", true)],
            );
            allow("/foo/bar?baz=quz", &[("/foo/bar?baz=quz", true)]);
            allow("/foo/bar/ツ", &[("/foo/bar/%E3%83%84", true)]);
            allow("/foo/bar/%E3%83%84", &[("/foo/bar/%E3%83%84", true)]);
            allow(
                "/foo/bar/%62%61%7A",
                &[("/foo/bar/baz", true), ("/foo/bar/%62%61%7A", true)],
            );
        }

        /// RFC 9309 §2.2.2 (with RFC 3986 §2.1: hex digits are case-insensitive): escapes compare
        /// alike on both sides; an escaped reserved character is not the character itself.
        #[test]
        fn escapes_compare_alike() {
            expect(
                "User-agent: FooBot\nDisallow: /foo/bar/baz\n",
                FOO,
                &[("/foo/bar/%62%61%7A", false)],
            );
            expect(
                "User-agent: FooBot\nDisallow: /foo/bar/%e3%83%84\n",
                FOO,
                &[("/foo/bar/%E3%83%84", false)],
            );
            expect(
                "User-agent: FooBot\nDisallow: /a%2Fb\n",
                FOO,
                &[("/a/b", true), ("/a%2fb", false)],
            );
        }

        /// RFC 9309 §2.2.3 (robots_test.cc ID_SpecialCharacters): `*`, a final `$`, and `#`.
        #[test]
        fn special_characters() {
            expect(
                "User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n",
                FOO,
                &[
                    ("/foo/bar/quz", false),
                    ("/foo/quz", true),
                    ("/foo//quz", true),
                    ("/foo/bax/quz", true),
                ],
            );
            expect(
                "User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n",
                FOO,
                &[
                    ("/foo/bar", false),
                    ("/foo/bar/qux", true),
                    ("/foo/bar/", true),
                    ("/foo/bar/baz", true),
                ],
            );
            expect(
                "User-agent: FooBot\n# Disallow: /\nDisallow: /foo/quz#qux\nAllow: /\n",
                FOO,
                &[("/foo/bar", true), ("/foo/quz", false)],
            );
        }

        /// RFC 9309 §2.2.3 Figure 6: to match a literal `*` or `$` in a URI, a rule writes it
        /// percent-encoded; `%2A` is then no wildcard.
        #[test]
        fn figure_6_escaped_star_and_dollar_are_literal() {
            expect(
                "User-agent: FooBot\nDisallow: /path/file-with-a-%2A.html\n",
                FOO,
                &[
                    ("/path/file-with-a-*.html", false),
                    ("/path/file-with-a-%2a.html", false),
                    ("/path/file-with-a-x.html", true),
                ],
            );
            expect(
                "User-agent: FooBot\nDisallow: /path/foo-%24\n",
                FOO,
                &[("/path/foo-$", false), ("/path/foo-", true)],
            );
            // Only a final `$` anchors: one inside a pattern is a literal dollar.
            expect(
                "User-agent: FooBot\nDisallow: /a$b\n",
                FOO,
                &[("/a$b/c", false), ("/a%24b", false), ("/ab", true)],
            );
        }

        /// RFC 9309 §2.2.3 Figure 5: the examples of `*` and `$`.
        #[test]
        fn rfc_special_character_examples() {
            expect(
                "User-agent: FooBot\nDisallow: /this/*/exactly\n",
                FOO,
                &[
                    ("/this/a/b/exactly", false),
                    ("/this//exactly", false),
                    ("/this/exactly", true),
                ],
            );
            expect(
                "User-agent: FooBot\nAllow: /\nDisallow: /this/path/exactly$\n",
                FOO,
                &[
                    ("/this/path/exactly", false),
                    ("/this/path/exactly/more", true),
                ],
            );
        }

        /// Google's page, "URL matching based on path values" (robots_test.cc
        /// GoogleOnly_DocumentationChecks): `/fish`, `/fish*` and `/fish/`.
        #[test]
        fn google_fish() {
            let fish = [
                ("/bar", false),
                ("/fish", true),
                ("/fish.html", true),
                ("/fish/salmon.html", true),
                ("/fishheads", true),
                ("/fishheads/yummy.html", true),
                ("/fish.html?id=anything", true),
                ("/Fish.asp", false),
                ("/catfish", false),
                ("/?id=fish", false),
            ];
            expect(
                "user-agent: FooBot\ndisallow: /\nallow: /fish\n",
                FOO,
                &fish,
            );
            // `/fish*` is `/fish`.
            expect(
                "user-agent: FooBot\ndisallow: /\nallow: /fish*\n",
                FOO,
                &fish,
            );
            expect(
                "user-agent: FooBot\ndisallow: /\nallow: /fish/\n",
                FOO,
                &[
                    ("/bar", false),
                    ("/fish/", true),
                    ("/fish/salmon", true),
                    ("/fish/?salmon", true),
                    ("/fish/salmon.html", true),
                    ("/fish/?id=anything", true),
                    ("/fish", false),
                    ("/fish.html", false),
                    ("/Fish/Salmon.html", false),
                ],
            );
        }

        /// Google's page, "URL matching based on path values": `/*.php`, `/*.php$` and
        /// `/fish*.php`.
        #[test]
        fn google_php() {
            expect(
                "user-agent: FooBot\ndisallow: /\nallow: /*.php\n",
                FOO,
                &[
                    ("/bar", false),
                    ("/filename.php", true),
                    ("/folder/filename.php", true),
                    ("/folder/filename.php?parameters", true),
                    ("//folder/any.php.file.html", true),
                    ("/filename.php/", true),
                    ("/index?f=filename.php/", true),
                    ("/php/", false),
                    ("/index?php", false),
                    ("/windows.PHP", false),
                ],
            );
            expect(
                "user-agent: FooBot\ndisallow: /\nallow: /*.php$\n",
                FOO,
                &[
                    ("/bar", false),
                    ("/filename.php", true),
                    ("/folder/filename.php", true),
                    ("/filename.php?parameters", false),
                    ("/filename.php/", false),
                    ("/filename.php5", false),
                    ("/php/", false),
                    ("/filename?php", false),
                    ("/aaaphpaaa", false),
                    ("//windows.PHP", false),
                ],
            );
            expect(
                "user-agent: FooBot\ndisallow: /\nallow: /fish*.php\n",
                FOO,
                &[
                    ("/bar", false),
                    ("/fish.php", true),
                    ("/fishheads/catfish.php?parameters", true),
                    ("/Fish.PHP", false),
                ],
            );
        }

        /// Google's page, "Order of precedence for rules".
        #[test]
        fn google_order_of_precedence() {
            expect(
                "user-agent: FooBot\nallow: /p\ndisallow: /\n",
                FOO,
                &[("/page", true)],
            );
            expect(
                "user-agent: FooBot\nallow: /folder\ndisallow: /folder\n",
                FOO,
                &[("/folder/page", true)],
            );
            expect(
                "user-agent: FooBot\nallow: /page\ndisallow: /*.htm\n",
                FOO,
                &[("/page.htm", false)],
            );
            expect(
                "user-agent: FooBot\nallow: /$\ndisallow: /\n",
                FOO,
                &[("/", true), ("/page.html", false)],
            );
        }

        /// Google's page (file format: a leading BOM is ignored); robots_test.cc
        /// ID_UTF8ByteOrderMarkIsSkipped: a BOM elsewhere spoils its line.
        #[test]
        fn bom_is_skipped() {
            expect(
                "\u{feff}User-Agent: foo\nDisallow: /AnyValue\n",
                "foo",
                &[("/AnyValue", false)],
            );
            expect(
                "User-Agent: foo\n\u{feff}Disallow: /AnyValue\n",
                "foo",
                &[("/AnyValue", true)],
            );
        }

        /// RFC 9309 §2.2, ABNF `NL = %x0D / %x0A / %x0D.0A` (robots_test.cc
        /// ID_LinesNumbersAreCountedCorrectly): every line ending, mixed, and none at the end.
        #[test]
        fn line_endings() {
            for text in [
                "User-Agent: foo\nAllow: /some/path\nUser-Agent: bar\n\n\nDisallow: /\n",
                "User-Agent: foo\r\nAllow: /some/path\r\nUser-Agent: bar\r\n\r\n\r\nDisallow: /\r\n",
                "User-Agent: foo\rAllow: /some/path\rUser-Agent: bar\r\r\rDisallow: /\r",
                "User-Agent: foo\nAllow: /some/path\nUser-Agent: bar\n\n\nDisallow: /",
                "User-Agent: foo\nAllow: /some/path\r\nUser-Agent: bar\n\r\n\nDisallow: /",
            ] {
                expect(text, "bar", &[("/x", false)]);
                expect(text, "foo", &[("/x", true)]);
            }
        }

        /// RFC 9309 §2.5: the parsing limit must be at least 500 KiB, so a rule near its end counts.
        #[test]
        fn rules_within_500_kib_are_honoured() {
            let mut text = String::from("User-agent: *\n");
            while text.len() < 500 * 1024 - 200 {
                text.push_str("# padding padding padding padding padding padding padding\n");
            }
            text.push_str("Disallow: /late\n");
            expect(&text, "otherbot", &[("/late", false), ("/early", true)]);
        }
    }
}
