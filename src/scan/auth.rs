//! Login walls: a start URL that answers 401 or 403, or that redirects to a sign-in page, is a
//! site behind a sign-in. heap-audit says so (`auth-required`, with the URL it ended on) instead
//! of auditing the sign-in page as if it were the site: the sign-in page is still audited (SaaS
//! sign-in pages often carry Heap), but nothing behind the wall is, and the run says that too.

use url::Url;

use crate::model::Page;

/// Words of a URL path that name a sign-in page: `/login`, `/users/sign_in`, `/u/login`
/// (Auth0), `/auth/realms/…` (Keycloak), `/sso/…`, `/saml/…`, `/oauth2/authorize`.
const SIGN_IN_WORDS: &[&str] = &[
    "login",
    "logon",
    "signin",
    "sso",
    "auth",
    "oauth",
    "oauth2",
    "saml",
    "cas",
    "authorize",
];

/// Why the start page is a wall, and the URL it ended on; `None`: the site is open.
///
/// `start` is the start URL, `page` its audit (or its failure). A wall is a 401 or 403 answer,
/// or a redirect to another path that reads as a sign-in page: its path has a sign-in word, or
/// its body is a form with a password field.
pub(super) fn wall(start: &Url, page: &Page) -> Option<(String, String)> {
    let landed = page
        .redirects
        .last()
        .and_then(|u| Url::parse(u).ok())
        .unwrap_or_else(|| start.clone());
    if let Some(status @ (401 | 403)) = page.status.filter(|_| page.error.is_some()) {
        let what = if status == 401 {
            "asks for credentials"
        } else {
            "refuses access"
        };
        return Some((
            landed.to_string(),
            format!("the start URL {what} (HTTP {status})"),
        ));
    }
    if page.error.is_some() || page.redirects.is_empty() {
        return None;
    }
    let moved = landed.host_str() != start.host_str() || landed.path() != start.path();
    if !moved {
        return None;
    }
    let by_path = names_sign_in(landed.path());
    if !by_path && !page.sign_in {
        return None;
    }
    let why = if by_path {
        "its path names a sign-in page"
    } else {
        "it is a form with a password field"
    };
    Some((
        landed.to_string(),
        format!("the start URL redirects to a sign-in page ({why})"),
    ))
}

/// Whether a URL path names a sign-in page: one of [`SIGN_IN_WORDS`] as a word of it, or `sign`
/// followed by `in` (`/sign-in`, `/users/sign_in`, `/log-in`).
fn names_sign_in(path: &str) -> bool {
    let words: Vec<String> = path
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    words.iter().any(|w| SIGN_IN_WORDS.contains(&w.as_str()))
        || words
            .windows(2)
            .any(|p| matches!(p[0].as_str(), "sign" | "log") && p[1] == "in")
}

/// Whether an HTML page has a password field (`<input type="password">`, any quoting or case).
pub(super) fn has_password_field(html: &str) -> bool {
    let bytes = html.as_bytes();
    let mut from = 0;
    while let Some(at) = find_ignore_case(&bytes[from..], b"type") {
        let mut i = from + at + 4;
        from = i;
        // `type` `=` (spaces allowed) then an optional quote, then `password`.
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if matches!(bytes.get(i), Some(b'"' | b'\'')) {
            i += 1;
        }
        let word = bytes.get(i..i + 8).unwrap_or_default();
        if word.eq_ignore_ascii_case(b"password") {
            return true;
        }
    }
    false
}

fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, _) = needle.split_first()?;
    // Jump from one possible first byte to the next (memchr), not byte by byte.
    memchr::memchr2_iter(
        first.to_ascii_lowercase(),
        first.to_ascii_uppercase(),
        haystack,
    )
    .find(|&at| {
        haystack
            .get(at..at + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(status: Option<u16>, error: bool, redirects: &[&str], sign_in: bool) -> Page {
        let mut page = Page::new("https://app.example.com/".into(), "site".into(), 0);
        page.status = status;
        page.error = error.then(|| "HTTP error".to_owned());
        page.redirects = redirects.iter().map(|s| (*s).to_owned()).collect();
        page.sign_in = sign_in;
        page
    }

    fn start() -> Url {
        Url::parse("https://app.example.com/dashboard").unwrap()
    }

    #[test]
    fn a_401_or_403_is_a_wall_and_other_errors_are_not() {
        let (url, why) = wall(&start(), &page(Some(401), true, &[], false)).unwrap();
        assert_eq!(url, "https://app.example.com/dashboard");
        assert!(why.contains("HTTP 401"), "{why}");
        let (url, _) = wall(
            &start(),
            &page(Some(403), true, &["https://app.example.com/private"], false),
        )
        .unwrap();
        assert_eq!(url, "https://app.example.com/private");
        assert!(wall(&start(), &page(Some(404), true, &[], false)).is_none());
        assert!(wall(&start(), &page(Some(500), true, &[], false)).is_none());
        assert!(wall(&start(), &page(Some(200), false, &[], true)).is_none());
    }

    #[test]
    fn redirects_to_sign_in_pages_are_walls() {
        for landed in [
            "https://app.example.com/login?next=%2Fdashboard",
            "https://app.example.com/users/sign_in",
            "https://app.example.com/sign-in",
            "https://example.auth0.com/u/login?state=x",
            "https://id.example.com/auth/realms/main/protocol/openid-connect/auth",
            "https://example.okta.com/oauth2/v1/authorize",
            "https://app.example.com/Account/LogIn",
        ] {
            let (url, _) = wall(&start(), &page(Some(200), false, &[landed], false))
                .unwrap_or_else(|| panic!("{landed}"));
            assert_eq!(url, landed);
        }
    }

    #[test]
    fn a_password_form_after_a_redirect_is_a_wall_but_ordinary_redirects_are_not() {
        let moved = ["https://app.example.com/welcome"];
        assert!(wall(&start(), &page(Some(200), false, &moved, true)).is_some());
        assert!(wall(&start(), &page(Some(200), false, &moved, false)).is_none());
        // http → https and apex → www keep the path: the site itself, not a wall.
        let same = ["https://www.example.com/dashboard"];
        let start = Url::parse("http://www.example.com/dashboard").unwrap();
        assert!(wall(&start, &page(Some(200), false, &same, true)).is_none());
        // Words that merely contain a sign-in word are not one.
        let blog = ["https://app.example.com/blog/authors/catalogue"];
        assert!(wall(&start, &page(Some(200), false, &blog, false)).is_none());
    }

    #[test]
    fn password_fields_are_found_in_any_quoting() {
        for html in [
            r#"<form><input type="password" name="pw"></form>"#,
            "<input name=pw type=PASSWORD>",
            "<input type = 'password'>",
        ] {
            assert!(has_password_field(html), "{html}");
        }
        for html in [
            r#"<input type="email"><a href="/reset-password">Forgot password?</a>"#,
            r#"<script type="text/javascript">var password;</script>"#,
        ] {
            assert!(!has_password_field(html), "{html}");
        }
    }
}
