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
    write(out, report, true)
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
