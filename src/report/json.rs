//! The JSON report: the contract support teams and scripts parse (fields documented in the README).

use std::io::{self, Write};

use crate::model::Report;

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}
