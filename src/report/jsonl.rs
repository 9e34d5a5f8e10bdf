//! `--format jsonl`: the JSON report on one line. A batch (`--targets-from`) writes one line per
//! site as each completes, so a stopped batch keeps every finished site and `jq -s` or `cat`
//! merges the lines of several shards.

use std::io::{self, Write};

use crate::model::Report;

/// Write the report as one compact JSON line.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    super::json::write(out, report, false)
}
