//! Bytes to text: the declared charset (BOM, `Content-Type`, `<meta charset>`), and a clear note
//! when a page is not what it says it is.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// How a body could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Text, with a note when decoding had to guess or replace bytes.
    Text { text: String, note: Option<String> },
    /// Not text at all: no text type declared, and the body sniffs as binary (see [`decode`]).
    Binary,
}

/// Whether a `Content-Type` (or its absence, with a sniff of the body) means HTML.
pub fn is_html(content_type: Option<&str>, body: &[u8]) -> bool {
    match content_type.map(essence) {
        Some(ty) if !ty.is_empty() => ty == "text/html" || ty == "application/xhtml+xml",
        _ => body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<'),
    }
}

/// Decode a body using the charset a browser would use.
///
/// Whether it is text at all is told as browsers tell it (the WHATWG MIME Sniffing Standard): a
/// declared text type (`text/html`, any `text/*`, JavaScript, JSON, XML) wins, whatever bytes the
/// body holds: a NUL byte never makes it binary (a browser renders such a page, and runs such a
/// script). Only a body without a declared text type (none, `application/octet-stream`, ...) and
/// without a byte order mark is sniffed: text if it starts like HTML or XML, binary if it starts
/// with a binary file's signature or has a byte that text never has (NUL and most other C0 control
/// bytes) in its first 1,445 bytes.
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
    let kept = match read(&body, content_type) {
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
        Ok(text) => Body::Text { text, note: kept },
        Err(e) => decode(e.as_bytes(), content_type),
    }
}

/// The text of a body (borrowed where it is UTF-8 already) and a note when decoding had to guess
/// or replace bytes; `None` if binary.
fn read<'b>(body: &'b [u8], content_type: Option<&str>) -> Option<(Cow<'b, str>, Option<String>)> {
    let bom = Encoding::for_bom(body);
    let declared = content_type.map(essence).filter(|ty| is_text_type(ty));
    if bom.is_none() && declared.is_none() && sniffs_binary(body) {
        return None;
    }
    // Declared text that starts like a binary file is read as text all the same, and noted: a
    // page served compressed without its `Content-Encoding` is garbage to a browser too.
    let disguised = declared.as_ref().and_then(|ty| {
        signature(body).map(|what| {
            format!("labelled {ty} but starts like {what}: read as text, as a browser does")
        })
    });
    let head = &body[..body.len().min(8192)];
    let charset = bom
        .map(|(e, _)| e)
        .or_else(|| {
            content_type
                .and_then(charset_param)
                .and_then(|l| Encoding::for_label(l.as_bytes()))
        })
        .or_else(|| meta_charset(head).and_then(|l| Encoding::for_label(l.as_bytes())));
    let (text, note) = match charset {
        Some(encoding) => {
            let (text, _, errors) = encoding.decode(body);
            let note = errors.then(|| {
                format!(
                    "some bytes are not valid {}; they were replaced",
                    encoding.name()
                )
            });
            (text, note)
        }
        None => match UTF_8.decode_without_bom_handling_and_without_replacement(body) {
            Some(text) => (text, None),
            None => {
                let (text, _, _) = WINDOWS_1252.decode(body);
                let note = "not valid UTF-8 and no charset declared; read as windows-1252";
                (text, Some(note.to_owned()))
            }
        },
    };
    let note = match (disguised, note) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    };
    Some((text, note))
}

/// A `Content-Type`'s type and subtype, lower-cased, without parameters.
fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Whether a declared type says text: a browser reads the body as text without sniffing.
fn is_text_type(ty: &str) -> bool {
    ty.starts_with("text/")
        || ty.ends_with("+xml")
        || ty.ends_with("+json")
        || matches!(
            ty,
            "application/javascript"
                | "application/x-javascript"
                | "application/ecmascript"
                | "application/x-ecmascript"
                | "application/json"
                | "application/xml"
        )
}

/// How much of a body is sniffed (the MIME Sniffing Standard's resource header).
const SNIFFED: usize = 1445;

/// Whether an undeclared body is binary, as a browser sniffs it: not if it starts like HTML or
/// XML (after whitespace); yes if it starts with a binary file's signature or has a binary data
/// byte in its first [`SNIFFED`] bytes.
fn sniffs_binary(body: &[u8]) -> bool {
    let head = &body[..body.len().min(SNIFFED)];
    let start = head
        .iter()
        .position(|b| !matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' '))
        .unwrap_or(head.len());
    if starts_like_markup(&head[start..]) {
        return false;
    }
    signature(head).is_some() || head.iter().any(|&b| is_binary_byte(b))
}

/// The MIME Sniffing Standard's HTML patterns (a tag name it knows, then a space or `>`; here any
/// ASCII whitespace too), `<!--`, and XML's `<?xml`.
fn starts_like_markup(head: &[u8]) -> bool {
    const TAGS: &[&[u8]] = &[
        b"<!doctype html",
        b"<html",
        b"<head",
        b"<script",
        b"<iframe",
        b"<h1",
        b"<div",
        b"<font",
        b"<table",
        b"<a",
        b"<style",
        b"<title",
        b"<b",
        b"<body",
        b"<br",
        b"<p",
        b"<!--",
    ];
    if head.starts_with(b"<?xml") {
        return true;
    }
    TAGS.iter().any(|tag| {
        head.get(..tag.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(tag))
            && head
                .get(tag.len())
                .is_some_and(|&b| b == b'>' || b.is_ascii_whitespace())
    })
}

/// The MIME Sniffing Standard's binary data bytes: C0 controls that text does not hold.
fn is_binary_byte(b: u8) -> bool {
    matches!(b, 0x00..=0x08 | 0x0b | 0x0e..=0x1a | 0x1c..=0x1f)
}

/// What a body starts like, if it starts with a common binary file's signature.
fn signature(body: &[u8]) -> Option<&'static str> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"\x1f\x8b\x08", "a gzip stream"),
        (b"\x28\xb5\x2f\xfd", "a zstd stream"),
        (b"PK\x03\x04", "a ZIP archive"),
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF87a", "a GIF image"),
        (b"GIF89a", "a GIF image"),
        (b"%PDF-", "a PDF document"),
        (b"wOFF", "a WOFF font"),
        (b"wOF2", "a WOFF2 font"),
        (b"\0asm", "a WebAssembly module"),
    ];
    if body.len() >= 12 && body.starts_with(b"RIFF") && &body[8..12] == b"WEBP" {
        return Some("a WebP image");
    }
    SIGNATURES
        .iter()
        .find(|(magic, _)| body.starts_with(magic))
        .map(|(_, what)| *what)
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

    fn text_of(body: &[u8], content_type: Option<&str>) -> String {
        match decode(body, content_type) {
            Body::Text { text, .. } => text,
            Body::Binary => panic!("{body:?} ({content_type:?}) was taken as binary"),
        }
    }

    #[test]
    fn a_declared_text_type_wins_over_nul_bytes() {
        let page =
            b"<!doctype html><html><body>\0\0\0\0<script>heap.load('1')</script></body></html>";
        assert!(text_of(page, Some("text/html")).contains("heap.load('1')"));
        assert!(text_of(page, Some("text/html; charset=utf-8")).contains("heap.load"));
        // Undeclared, it still starts like HTML: a browser sniffs text/html.
        assert!(text_of(page, None).contains("heap.load"));
        assert!(text_of(b"  \n<HTML>\0</HTML>", None).contains("HTML"));
        // Scripts too, with any declared text type.
        for ty in [
            "application/javascript",
            "text/javascript; charset=utf-8",
            "application/json",
            "application/ld+json",
            "image/svg+xml",
        ] {
            assert!(
                text_of(b"var a = '\0';", Some(ty)).contains("var a"),
                "{ty}"
            );
        }
        // Every byte value, labelled text/html: text (garbage, as a browser shows it).
        let all: Vec<u8> = (0u8..=255).cycle().take(4096).collect();
        assert!(matches!(decode(&all, Some("text/html")), Body::Text { .. }));
    }

    #[test]
    fn an_undeclared_body_is_sniffed() {
        assert_eq!(decode(b"var a = 1;\0\0", None), Body::Binary);
        assert_eq!(
            decode(b"\x01\x02 data", Some("application/octet-stream")),
            Body::Binary
        );
        assert_eq!(decode(b"\x1f\x8b\x08\0rest", None), Body::Binary);
        assert_eq!(decode(b"%PDF-1.7 text-like", None), Body::Binary);
        assert_eq!(decode(b"<x-app>\0</x-app>", None), Body::Binary);
        assert!(text_of(b"var a = 1;\n", None).contains("var a"));
        assert!(text_of(b"var a = 1;", Some("application/octet-stream")).contains("var"));
        assert!(text_of(b"<?xml version=\"1.0\"?>\0", None).contains("xml"));
        // A byte order mark says text.
        assert!(text_of(b"\xff\xfe<\0p\0>\0", None).contains("<p>"));
    }

    #[test]
    fn declared_text_that_starts_like_a_binary_file_is_noted() {
        let Body::Text { note, .. } = decode(b"\x1f\x8b\x08\0\0\0", Some("text/html")) else {
            panic!("taken as binary")
        };
        let note = note.unwrap_or_default();
        assert!(
            note.contains("gzip") && note.contains("text/html"),
            "{note}"
        );
        let Body::Text { note, .. } = decode(b"<p>\0</p>", Some("text/html")) else {
            panic!("taken as binary")
        };
        assert_eq!(note, None);
    }

    #[test]
    fn a_declared_utf16_charset_decodes_without_a_bom() {
        let body: Vec<u8> = "<p>hi</p>"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(
            text_of(&body, Some("text/html; charset=utf-16le")),
            "<p>hi</p>"
        );
    }
}
