//! The whole audit of one site, from targets to a finished report: scan, rules, summary,
//! recommendation. Used by a single `scan` run and by each site of a batch.

use crate::extract::signatures::SignatureError;
use crate::model::{Finding, Report};
use crate::rules::{self, Rule as _, UnknownRule};
use crate::scan::{self, ScanOptions, Stop};
use crate::{advise, inventory};

/// Everything an audit needs besides its targets, resolved from flags and the config file.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub scan: ScanOptions,
    pub rules: rules::Config,
    /// Rules to run (names or codes); empty means all.
    pub select: Vec<String>,
    /// Rules not to run (names or codes).
    pub ignore: Vec<String>,
}

/// A finished audit: the report, and the targets that yielded nothing at all.
#[derive(Debug, Clone)]
pub struct Audit {
    pub report: Report,
    /// One message per target that could not be audited (start URL unreachable, folder missing).
    pub fatal: Vec<String>,
    /// Findings left out of the report because the baseline records them (`--write-baseline`
    /// records them again with the reported ones).
    pub baselined: Vec<Finding>,
    /// Why the audit stopped before its end (Ctrl-C, `--max-time`), if it did.
    pub stopped: Option<Stop>,
}

impl Audit {
    /// The findings a baseline written now records: what the report shows and what the baseline
    /// it read recorded, not what pages suppress inline, nor the unused suppressions themselves.
    pub fn to_record(&self) -> impl Iterator<Item = &Finding> {
        let unused = rules::UnusedSuppression.code();
        self.report
            .findings
            .iter()
            .filter(move |f| f.code != unused)
            .chain(&self.baselined)
    }
}

/// Why an audit could not run at all (as opposed to a site that could not be reached).
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("built-in signatures are invalid: {0}")]
    Signatures(&'static SignatureError),
    #[error(transparent)]
    UnknownRule(#[from] UnknownRule),
}

/// Audit `targets` as one site: crawl or read them, run the rules (inline suppressions and the
/// baseline applied), summarise and recommend.
pub fn site(targets: &[String], settings: &Settings) -> Result<Audit, AuditError> {
    let outcome = scan::run(targets, &settings.scan).map_err(AuditError::Signatures)?;
    let mut report = outcome.report;
    let audit = rules::audit(&report, &settings.rules, &settings.select, &settings.ignore)?;
    report.findings = audit.findings;
    report.summary = inventory::summarize(&report.pages, &report.problems, report.findings.len());
    report.summary.suppressed = audit.baselined.len() + audit.suppressed_inline;
    report.recommendation = advise::recommend(&report, &report.findings, &settings.rules);
    Ok(Audit {
        report,
        fatal: outcome.fatal,
        baselined: audit.baselined,
        stopped: outcome.stopped,
    })
}
