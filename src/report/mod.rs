//! Reporters: each output format is one file that renders the whole [`Report`] to a writer.
//! Rules and the scan produce data; nothing here decides anything.

use std::io::{self, Write};

use crate::model::Report;

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

/// Render a report.
pub fn render(report: &Report, format: Format, color: bool, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Human => human::render(report, color, out),
        Format::Json => json::render(report, out),
        Format::Sarif => sarif::render(report, out),
        Format::Github => github::render(report, out),
    }
}
