//! GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` annotation per finding,
//! on the file and line of its primary location (its first evidence: the line to change) when
//! that is a local file, else of its first local evidence, so a pull request shows the finding
//! next to the snippet. Problems that change what the run is worth get a warning of
//! their own: certificates not checked (`--insecure`), a site behind a sign-in.

use std::io::{self, Write};

use crate::model::{ProblemKind, Report, Severity};
use crate::rules::group::local_line;

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for p in report
        .problems
        .iter()
        .filter(|p| matches!(p.kind, ProblemKind::InsecureTls | ProblemKind::AuthRequired))
    {
        let title = property(&format!("heap-audit {}", p.kind.name()));
        let text = format!("{}: {}", p.url, p.message);
        writeln!(out, "::warning title={title}::{}", data(&text))?;
    }
    for f in &report.findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = vec![format!(
            "title={}",
            property(&format!("{} {}", f.code, f.rule))
        )];
        // Annotations attach to files of the repository: only local evidence has one. The
        // primary location (the first evidence, the line to change) when it is local.
        if let Some(e) = f.evidence.iter().find(|e| local_line(e)) {
            props.insert(0, format!("file={}", property(&e.source)));
            if let Some(line) = e.line {
                props.insert(1, format!("line={line}"));
            }
        }
        let pages = if f.pages.len() > 1 {
            format!(" (on {} pages)", f.pages.len())
        } else {
            String::new()
        };
        let text = format!("{}{pages}\nhelp: {}", f.message, f.help);
        writeln!(out, "::{command} {}::{}", props.join(","), data(&text))?;
    }
    Ok(())
}

/// Escape a workflow command's message.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a workflow command's property value.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(data("50%\nnext"), "50%25%0Anext");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }
}
