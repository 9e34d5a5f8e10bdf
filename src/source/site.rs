//! What a target is (a web origin, or a local build folder), which URLs belong to it, and how
//! URLs are shown in the report.

use std::path::Path;

use url::Url;

/// One site being audited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Site {
    /// A live site; pages and first-party scripts share this origin (`https://example.com`).
    Web { origin: String },
    /// A local folder: `root` is its `file:` URL (ending in `/`); `display` is the folder as the
    /// user wrote it, used to show page paths.
    Dir { root: Url, display: String },
}

impl Site {
    /// A local folder (or the folder of a single file).
    pub fn dir(path: &Path, display: &str) -> Option<Site> {
        let abs = std::path::absolute(path).ok()?;
        let mut root = Url::from_directory_path(abs).ok()?;
        root.set_fragment(None);
        Some(Site::Dir {
            root,
            display: display.trim_end_matches('/').to_owned(),
        })
    }

    pub fn web(url: &Url) -> Site {
        Site::Web {
            origin: url.origin().ascii_serialization(),
        }
    }

    /// The name of the site in the report.
    pub fn name(&self) -> &str {
        match self {
            Site::Web { origin } => origin,
            Site::Dir { display, .. } => display,
        }
    }

    /// Whether a URL is part of this site (same origin, or inside the folder).
    pub fn contains(&self, url: &Url) -> bool {
        match self {
            // A URL without user info serialises its origin first (`https://host[:port]`, the
            // default port left out): comparing that text needs no allocation. With user info,
            // the origin is worked out.
            Site::Web { origin } if url.username().is_empty() && url.password().is_none() => url
                .as_str()
                .strip_prefix(origin.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#'])),
            Site::Web { origin } => url.origin().ascii_serialization() == *origin,
            Site::Dir { root, .. } => {
                url.scheme() == "file" && url.as_str().starts_with(root.as_str())
            }
        }
    }

    /// Resolve an `href`/`src` written on a page. In a folder, `/x` means the folder's root.
    pub fn resolve(&self, base: &Url, href: &str) -> Option<Url> {
        let href = href.trim();
        if href.is_empty() {
            return None;
        }
        if let Site::Dir { root, .. } = self {
            if let Some(rooted) = href.strip_prefix('/').filter(|h| !h.starts_with('/')) {
                return root.join(rooted).ok();
            }
        }
        let mut url = base.join(href).ok()?;
        url.set_fragment(None);
        Some(url)
    }

    /// How a URL is shown: unchanged on the web, as a path under the folder for local files.
    pub fn display(&self, url: &Url) -> String {
        match self {
            Site::Dir { root, display } if url.as_str().starts_with(root.as_str()) => {
                let rest = &url.as_str()[root.as_str().len()..];
                let rest = percent_decode(rest);
                if display.is_empty() || display == "." {
                    rest
                } else {
                    format!("{display}/{rest}")
                }
            }
            _ => url.to_string(),
        }
    }
}

/// Credentials written in a target URL (`https://user:password@staging.example.com/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The site they are for, as `scheme://host[:port]`: they are sent there only.
    pub site: String,
    /// The `Authorization` header value (`Basic …`), as a browser would send it.
    pub authorization: String,
}

/// Take the user info out of a target URL. The target without it is the one shown everywhere
/// (reports, progress lines, errors); the credentials go in an `Authorization` header sent to that
/// site only, and headers are never shown. A target without user info is returned as it is.
///
/// A password with a character a URL reserves (`#`, `/`, `?`, `@`) should be percent-encoded;
/// when it is not, the URL as written does not parse (`p#ss` ends the host at `#`), and the user
/// info is taken up to the last `@` before the host instead. If that does not give a URL either,
/// the user info is replaced by `***`, so that the error naming the target does not show it.
pub fn split_credentials(target: &str) -> (String, Option<Credentials>) {
    match Url::parse(target) {
        Ok(url) if url.username().is_empty() && url.password().is_none() => {
            (target.to_owned(), None)
        }
        Ok(url) => take_user_info(url),
        Err(_) => {
            // `scheme:` or `scheme://`, then user info up to the last `@`, then the rest.
            let Some((scheme, rest)) = target.split_once(':') else {
                return (target.to_owned(), None);
            };
            let rest = rest.trim_start_matches('/');
            let Some((user_info, host_on)) = rest.rsplit_once('@') else {
                return (target.to_owned(), None);
            };
            let escaped: String = user_info
                .chars()
                .map(|c| match c {
                    '#' | '/' | '?' | '@' | '\\' | ' ' => format!("%{:02X}", c as u32),
                    c => c.to_string(),
                })
                .collect();
            match Url::parse(&format!("{scheme}://{escaped}@{host_on}")) {
                Ok(url) if !url.username().is_empty() || url.password().is_some() => {
                    take_user_info(url)
                }
                _ => (format!("{scheme}://***@{host_on}"), None),
            }
        }
    }
}

/// The URL without its user info, and the user info as credentials for an `http(s)` URL.
fn take_user_info(mut url: Url) -> (String, Option<Credentials>) {
    let user = percent_decode(url.username());
    let password = url.password().map(percent_decode).unwrap_or_default();
    if url.set_username("").is_err() || url.set_password(None).is_err() {
        return ("***".to_owned(), None);
    }
    if !matches!(url.scheme(), "http" | "https") {
        return (url.to_string(), None);
    }
    let host = url.host_str().unwrap_or_default();
    let site = match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    };
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let credentials = Credentials {
        site,
        authorization: format!("Basic {encoded}"),
    };
    (url.to_string(), Some(credentials))
}

/// Query parameters that only track a visit or a session: the same page with or without them is
/// the same page, so they are dropped before crawling (`utm_*` too).
const NOISE_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "jsessionid",
    "phpsessid",
    "sessionid",
    "session_id",
    "aspsessionid",
];

/// The URL the crawler keys a link by: tracking and session parameters dropped (`utm_*`,
/// `fbclid`, `gclid`, `jsessionid`, ...), a `;jsessionid=` path parameter dropped, the remaining
/// query parameters sorted (so `?b=2&a=1` and `?a=1&b=2` are one page). Parameter order rarely
/// matters to a server, and an audit needs one copy of each page, not each spelling of its URL.
pub fn normalize(mut url: Url) -> Url {
    if url.fragment().is_some() {
        url.set_fragment(None);
    }
    if !matches!(url.scheme(), "http" | "https") {
        return url;
    }
    // Most paths have no `;`: the lower-cased copy is made only for those that do.
    let path = url.path();
    if path.contains(';') {
        if let Some(at) = path.to_ascii_lowercase().find(";jsessionid=") {
            let path = path[..at].to_owned();
            url.set_path(&path);
        }
    }
    if let Some(query) = url.query() {
        let mut params: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .filter(|p| {
                let key = p.split('=').next().unwrap_or("");
                !key.get(..4).is_some_and(|k| k.eq_ignore_ascii_case("utm_"))
                    && !NOISE_PARAMS.iter().any(|n| n.eq_ignore_ascii_case(key))
            })
            .collect();
        params.sort_unstable();
        let normal = params.join("&");
        if normal != query || normal.is_empty() {
            url.set_query((!normal.is_empty()).then_some(normal.as_str()));
        }
    }
    url
}

/// The shape of a URL, to spot generated links: every run of digits in the path becomes `N`,
/// every query value `*` (`/page/N`, `/cal/N/N/N`, `/search?q=*`). The origin is left out: the
/// crawl is per site.
pub fn pattern(url: &Url) -> String {
    let mut out = digits_as_n(url.path());
    if let Some(query) = url.query() {
        let mut keys: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split('=').next().unwrap_or(""))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        out.push('?');
        out.push_str(
            &keys
                .iter()
                .map(|k| format!("{k}=*"))
                .collect::<Vec<_>>()
                .join("&"),
        );
    }
    out
}

/// Every run of ASCII digits as `N` (`post-12.html` → `post-N.html`).
pub(crate) fn digits_as_n(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_digits = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('N');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_root_relative_paths_stay_inside() {
        let site = Site::dir(Path::new("/srv/dist"), "dist/").unwrap();
        let page = Url::parse("file:///srv/dist/blog/post.html").unwrap();
        let js = site.resolve(&page, "/static/app.js").unwrap();
        assert_eq!(js.as_str(), "file:///srv/dist/static/app.js");
        assert!(site.contains(&js));
        assert_eq!(site.display(&js), "dist/static/app.js");
        let rel = site.resolve(&page, "../img/a%20b.png").unwrap();
        assert_eq!(site.display(&rel), "dist/img/a b.png");
        let cdn = site.resolve(&page, "https://cdn.segment.com/x.js").unwrap();
        assert!(!site.contains(&cdn));
    }

    #[test]
    fn web_same_origin() {
        let start = Url::parse("https://shop.example.com/a/b?x=1#top").unwrap();
        let site = Site::web(&start);
        assert_eq!(site.name(), "https://shop.example.com");
        let link = site.resolve(&start, "../c#frag").unwrap();
        assert_eq!(link.as_str(), "https://shop.example.com/c");
        assert!(site.contains(&link));
        assert!(!site.contains(&Url::parse("http://shop.example.com/").unwrap()));
        assert!(!site.contains(&Url::parse("https://blog.example.com/").unwrap()));
        for same in [
            "https://shop.example.com",
            "https://shop.example.com:443/x",
            "https://SHOP.example.com?q",
            "https://user:secret@shop.example.com/account",
        ] {
            assert!(site.contains(&Url::parse(same).unwrap()), "{same}");
        }
        for other in [
            "https://shop.example.com:8443/",
            "https://shop.example.com.evil.example/",
            "https://user@shop.example.com.evil.example/",
            "https://shop.example.co/",
        ] {
            assert!(!site.contains(&Url::parse(other).unwrap()), "{other}");
        }
        let local = Site::web(&Url::parse("http://127.0.0.1:8080/").unwrap());
        assert!(local.contains(&Url::parse("http://127.0.0.1:8080/a.html").unwrap()));
        assert!(!local.contains(&Url::parse("http://127.0.0.1:80/a.html").unwrap()));
        assert!(!local.contains(&Url::parse("http://127.0.0.1:8081/").unwrap()));
    }

    #[test]
    fn credentials_are_taken_out_of_target_urls() {
        let (target, credentials) =
            split_credentials("https://alice:s%40cret@staging.example.com:8443/shop?x=1");
        assert_eq!(target, "https://staging.example.com:8443/shop?x=1");
        let credentials = credentials.unwrap();
        assert_eq!(credentials.site, "https://staging.example.com:8443");
        // base64("alice:s@cret")
        assert_eq!(credentials.authorization, "Basic YWxpY2U6c0BjcmV0");
        let (target, credentials) = split_credentials("http://bob@preview.example.com");
        assert_eq!(target, "http://preview.example.com/");
        assert_eq!(credentials.unwrap().authorization, "Basic Ym9iOg==");
        // Nothing to take: the target is unchanged.
        for plain in [
            "https://example.com/a@b",
            "https://example.com/?mail=a@b.example",
            "./build",
            "user@host",
        ] {
            assert_eq!(split_credentials(plain), (plain.to_owned(), None));
        }
        // Other schemes: the user info is cut all the same (Target::of refuses them, naming the
        // target).
        assert_eq!(
            split_credentials("ftp://alice:pw@files.example.com/x"),
            ("ftp://files.example.com/x".to_owned(), None)
        );
        // Forms the URL parser accepts without `//`.
        for loose in [
            "https:alice:pw@host.example/",
            "https:/alice:pw@host.example/",
        ] {
            let (target, credentials) = split_credentials(loose);
            assert_eq!(target, "https://host.example/", "{loose}");
            assert_eq!(credentials.unwrap().authorization, "Basic YWxpY2U6cHc=");
        }
        // A password with reserved characters, not encoded: read up to the last `@`.
        for (written, password) in [
            ("https://alice:p#ss@host.example/shop", "p#ss"),
            ("https://alice:p/ss?x@host.example/shop", "p/ss?x"),
            ("https://alice:p@ss@host.example/shop", "p@ss"),
        ] {
            let (target, credentials) = split_credentials(written);
            assert_eq!(target, "https://host.example/shop", "{written}");
            let expected = format!("alice:{password}");
            use base64::Engine as _;
            let expected = base64::engine::general_purpose::STANDARD.encode(expected);
            assert_eq!(
                credentials.unwrap().authorization,
                format!("Basic {expected}"),
                "{written}"
            );
        }
        // Still not a URL: the user info is masked, so an error naming the target hides it.
        assert_eq!(
            split_credentials("https://alice:pw@host:99999/"),
            ("https://***@host:99999/".to_owned(), None)
        );
    }

    #[test]
    fn normalize_drops_tracking_and_sorts_the_query() {
        let n = |u: &str| normalize(Url::parse(u).unwrap()).to_string();
        assert_eq!(
            n("https://a.example/p?b=2&a=1#x"),
            n("https://a.example/p?a=1&b=2")
        );
        assert_eq!(
            n("https://a.example/p?utm_source=mail&UTM_Medium=x&fbclid=abc&gclid=1&id=7"),
            "https://a.example/p?id=7"
        );
        assert_eq!(
            n("https://a.example/p?utm_source=mail"),
            "https://a.example/p"
        );
        assert_eq!(
            n("https://a.example/cart;jsessionid=0A1B2C?x=1&PHPSESSID=zz"),
            "https://a.example/cart?x=1"
        );
        assert_eq!(n("file:///srv/a.html?b&a"), "file:///srv/a.html?b&a");
        // An empty query is no query.
        assert_eq!(n("https://a.example/p?"), "https://a.example/p");
        assert_eq!(n("https://a.example/p?#x"), "https://a.example/p");
        assert_eq!(n("https://a.example/p?&"), "https://a.example/p");
    }

    #[test]
    fn patterns_fold_digits_and_query_values() {
        let p = |u: &str| pattern(&Url::parse(u).unwrap());
        assert_eq!(p("https://a.example/page/12"), "/page/N");
        assert_eq!(p("https://a.example/page/3"), "/page/N");
        assert_eq!(p("https://a.example/cal/2026/11/29"), "/cal/N/N/N");
        assert_eq!(
            p("https://a.example/list?page=2&sort=asc"),
            "/list?page=*&sort=*"
        );
        assert_eq!(
            p("https://a.example/list?sort=desc&page=9"),
            "/list?page=*&sort=*"
        );
        assert_ne!(p("https://a.example/about"), p("https://a.example/pricing"));
    }
}
