//! Bytes to text: the declared charset (BOM, `Content-Type`, `<meta charset>`), and a clear note
//! when a page is not what it says it is.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// How a body could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Text, with a note when decoding had to guess or replace bytes.
    Text { text: String, note: Option<String> },
    /// Not text at all (NUL bytes near the start).
    Binary,
}

/// Whether a `Content-Type` (or its absence, with a sniff of the body) means HTML.
pub fn is_html(content_type: Option<&str>, body: &[u8]) -> bool {
    match content_type.map(|c| {
        c.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    }) {
        Some(ty) if !ty.is_empty() => ty == "text/html" || ty == "application/xhtml+xml",
        _ => body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<'),
    }
}

/// Decode a body using the charset a browser would use.
pub fn decode(body: &[u8], content_type: Option<&str>) -> Body {
    match read(body, content_type) {
        Some((text, note)) => Body::Text {
            text: text.into_owned(),
            note,
        },
        None => Body::Binary,
    }
}

/// [`decode`], keeping the buffer when the body is already UTF-8 (the common case): a page is
/// then held once, not twice.
pub fn decode_owned(body: Vec<u8>, content_type: Option<&str>) -> Body {
    let owned = match read(&body, content_type) {
        None => return Body::Binary,
        Some((Cow::Borrowed(text), note)) if text.len() == body.len() => note,
        Some((text, note)) => {
            return Body::Text {
                text: text.into_owned(),
                note,
            }
        }
    };
    match String::from_utf8(body) {
        Ok(text) => Body::Text { text, note: owned },
        Err(e) => decode(e.as_bytes(), content_type),
    }
}

/// The text of a body and a note when decoding had to guess or replace bytes; `None` if binary.
fn read<'b>(body: &'b [u8], content_type: Option<&str>) -> Option<(Cow<'b, str>, Option<String>)> {
    let head = &body[..body.len().min(8192)];
    if head.contains(&0) && Encoding::for_bom(body).is_none() {
        return None;
    }
    let declared = Encoding::for_bom(body)
        .map(|(e, _)| e)
        .or_else(|| {
            content_type
                .and_then(charset_param)
                .and_then(|l| Encoding::for_label(l.as_bytes()))
        })
        .or_else(|| meta_charset(head).and_then(|l| Encoding::for_label(l.as_bytes())));
    match declared {
        Some(encoding) => {
            let (text, _, errors) = encoding.decode(body);
            let note = errors.then(|| {
                format!(
                    "some bytes are not valid {}; they were replaced",
                    encoding.name()
                )
            });
            Some((text, note))
        }
        None => {
            let (text, _, errors) = UTF_8.decode(body);
            if !errors {
                return Some((text, None));
            }
            let (text, _, _) = WINDOWS_1252.decode(body);
            let note = "not valid UTF-8 and no charset declared; read as windows-1252";
            Some((text, Some(note.into())))
        }
    }
}

fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']).to_owned())
    })
}

/// `<meta charset=...>` or `<meta http-equiv=Content-Type content="...; charset=...">` in the head.
///
/// Works on the bytes, ASCII case-insensitively: everything it looks for is ASCII, so no copy of
/// the head is needed (this runs on every page).
fn meta_charset(head: &[u8]) -> Option<String> {
    let at = find_ascii_ci(head, b"charset=")?;
    let before = &head[..at];
    let meta = rfind_ascii_ci(before, b"<meta")?;
    if meta < memchr::memrchr(b'>', before).unwrap_or(0) {
        return None;
    }
    let value = &head[at + 8..];
    let start = value
        .iter()
        .position(|b| !matches!(b, b'"' | b'\''))
        .unwrap_or(value.len());
    let value: String = value[start..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'))
        .map(|b| char::from(b.to_ascii_lowercase()))
        .collect();
    (!value.is_empty()).then_some(value)
}

/// First ASCII case-insensitive occurrence of a lower-case needle.
fn find_ascii_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Last ASCII case-insensitive occurrence of a lower-case needle.
fn rfind_ascii_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .rposition(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_charsets() {
        let latin1 = b"<html><head><meta charset=\"iso-8859-1\"></head><body>caf\xe9</body></html>";
        let Body::Text { text, note } = decode(latin1, None) else {
            panic!()
        };
        assert!(text.contains("café") && note.is_none());
        let Body::Text { text, .. } = decode(b"caf\xe9", Some("text/html; charset=windows-1252"))
        else {
            panic!()
        };
        assert_eq!(text, "café");
        let sjis = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=Shift_JIS\">\x93\xfa\x96\x7b";
        let Body::Text { text, .. } = decode(sjis, None) else {
            panic!()
        };
        assert!(text.ends_with("日本"), "{text}");
    }

    #[test]
    fn undeclared_non_utf8_is_noted() {
        let Body::Text { text, note } = decode(b"<p>caf\xe9</p>", Some("text/html")) else {
            panic!()
        };
        assert!(text.contains("café"));
        assert!(note.unwrap().contains("windows-1252"));
    }

    #[test]
    fn binary_and_html_sniffing() {
        assert_eq!(decode(b"\x89PNG\r\n\x1a\n\0\0\0", None), Body::Binary);
        assert!(is_html(Some("text/html; charset=utf-8"), b""));
        assert!(!is_html(Some("application/pdf"), b"<"));
        assert!(is_html(None, b"  <!doctype html>"));
        assert!(!is_html(None, b"%PDF"));
    }
}
