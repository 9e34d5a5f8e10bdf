//! The `heap-audit` binary: parse arguments, run, map the outcome to an exit status:
//! 0 no finding at the fail level, 1 at least one, 2 the audit could not run (or bad usage).

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{anyhow, bail};
use clap::Parser;

use heap_audit::cli::{Cli, Command, FailOn, ScanArgs};
use heap_audit::{advise, config, inventory, report, rules, scan};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => run_scan(&args),
        Command::Rules => list_rules(),
        Command::Explain { rule } => explain(&rule),
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("heap-audit: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run_scan(args: &ScanArgs) -> anyhow::Result<ExitCode> {
    let file = config::load(args.config.as_deref())?;
    let select = if args.select.is_empty() {
        file.select.clone()
    } else {
        args.select.clone()
    };
    let ignore = if args.ignore.is_empty() {
        file.ignore.clone()
    } else {
        args.ignore.clone()
    };
    // Check rule names before a crawl that could take minutes.
    if let Some(bad) = select
        .iter()
        .chain(&ignore)
        .find(|r| rules::find(r).is_none())
    {
        bail!(rules::UnknownRule(bad.clone()));
    }
    let fail_on = match (args.fail_on, file.fail_on.as_deref()) {
        (Some(level), _) => level,
        (None, Some(text)) => FailOn::parse(text).ok_or_else(|| {
            anyhow!(
                "fail_on = \"{text}\" in the config file: expected error, warning, info or never"
            )
        })?,
        (None, None) => FailOn::Error,
    };
    let rule_config = rules::Config {
        expect_app_id: args.expect_app_id.clone().or(file.expect_app_id.clone()),
        not_committed_to_segment: args.not_committed_to_segment
            || file.not_committed_to_segment.unwrap_or(false),
    };

    let outcome = scan::run(&args.targets, &args.scan_options())
        .map_err(|e| anyhow!("built-in signatures are invalid: {e}"))?;
    let mut report = outcome.report;
    report.findings = rules::run(&report, &rule_config, &select, &ignore)?;
    report.summary = inventory::summarize(&report.pages, &report.problems, report.findings.len());
    report.recommendation = advise::recommend(&report, &report.findings, &rule_config);

    // The rules that ran, for the formats that list them (JUnit's test cases).
    let named = |list: &[String], rule: &dyn rules::Rule| {
        list.iter()
            .any(|s| rules::find(s).is_some_and(|r| r.code() == rule.code()))
    };
    let ran: Vec<&'static dyn rules::Rule> = rules::RULES
        .iter()
        .copied()
        .filter(|r| (select.is_empty() || named(&select, *r)) && !named(&ignore, *r))
        .collect();
    report::write_outputs(
        &report,
        &report::Outputs {
            format: args.format,
            output: args.output.as_deref(),
            reports: &args.reports,
            color: args.color,
        },
        &report::RenderOptions {
            color: false,
            fail_on,
            rules: &ran,
        },
    )?;
    for message in &outcome.fatal {
        eprintln!("heap-audit: error: {message}");
    }
    if !outcome.fatal.is_empty() && outcome.fatal.len() == args.targets.len() {
        return Ok(ExitCode::from(2));
    }
    let failed = report.findings.iter().any(|f| fail_on.fails(f.severity));
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn list_rules() -> anyhow::Result<ExitCode> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    for rule in rules::RULES {
        let severity = serde_json::to_value(rule.severity())?;
        let severity = severity.as_str().unwrap_or("");
        writeln!(
            out,
            "{}  {:<31} {:<8} {}",
            rule.code(),
            rule.name(),
            severity,
            rule.summary()
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn explain(name: &str) -> anyhow::Result<ExitCode> {
    let rule = rules::find(name).ok_or_else(|| rules::UnknownRule(name.to_owned()))?;
    let severity = serde_json::to_value(rule.severity())?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    writeln!(out, "# {} ({})\n", rule.name(), rule.code())?;
    writeln!(
        out,
        "Default severity: {}\n",
        severity.as_str().unwrap_or("")
    )?;
    writeln!(out, "{}", rule.doc().trim_end())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
