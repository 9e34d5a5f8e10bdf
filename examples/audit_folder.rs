//! Audit a build folder with heap-audit as a library and print its findings.
//!
//! ```sh
//! cargo run --example audit_folder -- fixtures/sites/shop
//! ```
//!
//! Nothing beyond the folder is fetched (`offline`), so GTM containers and Segment settings the
//! pages refer to are listed as unverified rather than read.

use std::process::ExitCode;

use heap_audit::audit::{self, Settings};
use heap_audit::options::FailOn;

fn main() -> ExitCode {
    let folder = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "fixtures/sites/shop".to_owned());
    let mut settings = Settings::default();
    settings.scan.offline = true;
    settings.scan.max_pages = usize::MAX; // a local folder is cheap to read whole
    let audit = match audit::site(std::slice::from_ref(&folder), &settings) {
        Ok(audit) => audit,
        Err(e) => {
            eprintln!("audit_folder: {e}");
            return ExitCode::from(2);
        }
    };
    for message in &audit.fatal {
        eprintln!("audit_folder: {message}");
    }
    let report = &audit.report;
    println!("{folder}: {} pages audited", report.pages.len());
    for finding in &report.findings {
        let severity = serde_json::to_value(finding.severity).unwrap_or_default();
        println!(
            "{} {} [{}]: {}",
            severity.as_str().unwrap_or("?"),
            finding.code,
            finding.rule,
            finding.message
        );
        for page in finding.pages.iter().take(3) {
            println!("    on {page}");
        }
    }
    if let Some(recommendation) = &report.recommendation {
        println!("recommended install path: {}", recommendation.install_path);
    }
    let failed = report
        .findings
        .iter()
        .any(|f| FailOn::Error.fails(f.severity));
    if audit.fatal.is_empty() && !failed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
