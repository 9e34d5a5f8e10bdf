//! The JSON report: the contract support teams and scripts parse (fields documented in the README),
//! and its JSON Schema, generated from the types in [`crate::model`] and shipped as
//! `schema/report.schema.json`.

use std::io::{self, Write};

use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::model::Report;

/// Where the schema lives in the repository, relative to its root.
pub const SCHEMA_PATH: &str = "schema/report.schema.json";

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_WORKERS));
    render_on(report, out, CHUNK, workers)
}

/// Pages (or findings) rendered at a time by one thread: about 1 MB of text for 5 KB pages.
const CHUNK: usize = 512;
/// Threads rendering the report's pages and findings; beyond four, the writing thread waits.
const MAX_WORKERS: usize = 4;
/// Rendered chunks a thread may hold that the writing thread has not taken yet.
const AHEAD: usize = 2;

/// The report, pretty, byte for byte as [`serde_json::to_writer_pretty`] writes it, with its pages
/// and findings rendered `chunk` at a time on `workers` threads and written in order as they come
/// (text held at once: about `workers * (AHEAD + 1)` chunks). The pages are most of a big site's
/// report: on one thread, writing a 10,000-page folder's report was a sixth of its audit.
fn render_on(report: &Report, out: &mut dyn Write, chunk: usize, workers: usize) -> io::Result<()> {
    if workers < 2 || report.pages.len() + report.findings.len() <= chunk {
        return write(out, report, true);
    }
    // Everything else, with the two lists empty: spliced at their places.
    let skeleton = Report {
        schema_version: report.schema_version,
        tool: report.tool.clone(),
        targets: report.targets.clone(),
        pages: Vec::new(),
        findings: Vec::new(),
        recommendation: report.recommendation.clone(),
        problems: report.problems.clone(),
        unverified: report.unverified.clone(),
        summary: report.summary.clone(),
        sources: report.sources.clone(),
        coverage: report.coverage.clone(),
        render: report.render.clone(),
    };
    let text = serde_json::to_string_pretty(&skeleton)?;
    // A field of the report's object: a line of its own, two spaces in (a string holds no raw
    // line break, and what is deeper is indented more).
    let place = |key: &str, from: usize| {
        let marker = format!("\n  \"{key}\": []");
        text[from..]
            .find(&marker)
            .map(|at| from + at + marker.len() - "[]".len())
            .ok_or_else(|| io::Error::other(format!("no {key} in the report's JSON")))
    };
    let pages = place("pages", 0)?;
    let findings = place("findings", pages)?;
    let mut out = io::BufWriter::with_capacity(64 * 1024, out);
    out.write_all(&text.as_bytes()[..pages])?;
    write_list(&mut out, &report.pages, chunk, workers)?;
    out.write_all(&text.as_bytes()[pages + "[]".len()..findings])?;
    write_list(&mut out, &report.findings, chunk, workers)?;
    out.write_all(&text.as_bytes()[findings + "[]".len()..])?;
    writeln!(out)?;
    out.flush()
}

/// A list that is a field of the report's object (its items two levels in), pretty: chunk `k` is
/// rendered by thread `k % workers` and written when its turn comes.
fn write_list<T: serde::Serialize + Sync>(
    out: &mut impl Write,
    items: &[T],
    chunk: usize,
    workers: usize,
) -> io::Result<()> {
    if items.is_empty() {
        return out.write_all(b"[]");
    }
    out.write_all(b"[")?;
    let chunks: Vec<&[T]> = items.chunks(chunk.max(1)).collect();
    let workers = workers.clamp(1, chunks.len());
    let render = |k: usize| -> io::Result<Vec<u8>> {
        let mut text = Vec::with_capacity(64 * 1024);
        for (i, item) in chunks[k].iter().enumerate() {
            text.extend_from_slice(if k == 0 && i == 0 {
                b"\n    "
            } else {
                b",\n    "
            });
            let mut ser = serde_json::Serializer::with_formatter(&mut text, Indented::at(2));
            item.serialize(&mut ser)?;
        }
        Ok(text)
    };
    let (render, n) = (&render, chunks.len());
    std::thread::scope(|scope| -> io::Result<()> {
        let mut lanes = Vec::with_capacity(workers);
        for w in 0..workers {
            let (send, receive) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(AHEAD);
            let spawned = std::thread::Builder::new()
                .name("heap-audit-json".into())
                .spawn_scoped(scope, move || {
                    for k in (w..n).step_by(workers) {
                        // The writer gave up (an error): nothing more to render.
                        if send.send(render(k)).is_err() {
                            break;
                        }
                    }
                });
            // No thread: its chunks are rendered here, in turn.
            lanes.push(spawned.ok().map(|_| receive));
        }
        for k in 0..n {
            let text = match &lanes[k % workers] {
                Some(lane) => lane
                    .recv()
                    .map_err(|_| io::Error::other("a thread rendering the report ended early"))??,
                None => render(k)?,
            };
            out.write_all(&text)?;
        }
        Ok(())
    })?;
    out.write_all(b"\n  ]")
}

/// serde_json's `PrettyFormatter` (two spaces), starting `depth` levels in: a value rendered with
/// it is the text the pretty printer writes for it at that depth.
struct Indented {
    depth: usize,
    has_value: bool,
}

impl Indented {
    fn at(depth: usize) -> Indented {
        Indented {
            depth,
            has_value: false,
        }
    }

    fn indent<W: ?Sized + Write>(&self, out: &mut W) -> io::Result<()> {
        for _ in 0..self.depth {
            out.write_all(b"  ")?;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for Indented {
    fn begin_array<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        out.write_all(b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            out.write_all(b"\n")?;
            self.indent(out)?;
        }
        out.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        out.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(out)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        out.write_all(b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            out.write_all(b"\n")?;
            self.indent(out)?;
        }
        out.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        out.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(out)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// `value` as JSON (pretty or on one line) and a line end: the JSON, JSONL and SARIF reports.
/// serde_json writes a token at a time: buffered here, each is a copy, not a call through
/// `dyn Write` (a 22 MB report: 0.14 s to write before, 0.11 s after).
pub(super) fn write(
    out: &mut dyn Write,
    value: &impl serde::Serialize,
    pretty: bool,
) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(64 * 1024, out);
    if pretty {
        serde_json::to_writer_pretty(&mut out, value)?;
    } else {
        serde_json::to_writer(&mut out, value)?;
    }
    writeln!(out)?;
    out.flush()
}

/// The JSON Schema (draft 2020-12) of the report as heap-audit writes it: a field is required when
/// it is always written, optional when it is left out where it does not apply.
pub fn schema() -> Value {
    let generator = SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator();
    let generated = generator.into_root_schema_for::<Report>().to_value();
    // The keywords that say what the document is come first, then the layout.
    let mut ordered = serde_json::Map::new();
    if let Value::Object(mut map) = generated {
        for key in [
            "$schema",
            "title",
            "description",
            "type",
            "properties",
            "required",
        ] {
            if let Some(value) = map.remove(key) {
                ordered.insert(key.to_owned(), value);
            }
        }
        ordered.extend(map);
    }
    Value::Object(ordered)
}

/// [`schema`] as the pretty-printed text of the shipped file.
pub fn schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&schema()).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{self, Settings};

    /// A report of real audits: every fixture site of a few kinds, read offline.
    fn audited() -> Report {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sites");
        let targets: Vec<String> = ["shop", "advice-doubled", "mixed-env", "faults"]
            .iter()
            .map(|site| root.join(site).to_string_lossy().into_owned())
            .collect();
        let mut settings = Settings::default();
        settings.scan.offline = true;
        audit::site(&targets, &settings).expect("audit").report
    }

    fn pretty(report: &Report) -> String {
        let mut text = serde_json::to_string_pretty(report).expect("json");
        text.push('\n');
        text
    }

    fn parallel(report: &Report, chunk: usize, workers: usize) -> String {
        let mut out = Vec::new();
        render_on(report, &mut out, chunk, workers).expect("render");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn pages_and_findings_rendered_on_threads_are_the_pretty_report_byte_for_byte() {
        let mut report = audited();
        assert!(report.pages.len() >= 5 && report.findings.len() >= 3);
        assert!(!report.problems.is_empty() && report.recommendation.is_some());
        // Many more of each, so that there are many chunks and threads that take turns.
        let (pages, findings) = (report.pages.clone(), report.findings.clone());
        for round in 1..30 {
            report.pages.extend(pages.iter().cloned().map(|mut page| {
                page.url = format!("{}?copy={round}", page.url);
                page
            }));
            report.findings.extend(findings.iter().cloned());
        }
        let expected = pretty(&report);
        for (chunk, workers) in [(1, 2), (3, 2), (7, 3), (64, 4), (1000, 2), (5, 1)] {
            let got = parallel(&report, chunk, workers);
            assert!(
                got == expected,
                "chunk {chunk}, {workers} workers: first difference at byte {}",
                got.bytes()
                    .zip(expected.bytes())
                    .position(|(a, b)| a != b)
                    .unwrap_or(got.len().min(expected.len()))
            );
        }
        // Either list empty: left as the pretty printer writes it.
        let mut no_findings = report.clone();
        no_findings.findings.clear();
        assert_eq!(parallel(&no_findings, 4, 2), pretty(&no_findings));
        let mut no_pages = report;
        no_pages.pages.clear();
        assert_eq!(parallel(&no_pages, 4, 2), pretty(&no_pages));
    }

    #[test]
    fn a_write_that_fails_is_an_error_and_the_threads_end() {
        struct Full(usize);
        impl Write for Full {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                if self.0 < buf.len() {
                    return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
                }
                self.0 -= buf.len();
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut report = audited();
        let pages = report.pages.clone();
        for _ in 0..50 {
            report.pages.extend(pages.iter().cloned());
        }
        let whole = pretty(&report).len();
        // Room for a third of it: the error comes back (the scope joined every thread).
        let err = render_on(&report, &mut Full(whole / 3), 2, 3).expect_err("the disk is full");
        assert_eq!(err.kind(), io::ErrorKind::StorageFull);
    }
}
