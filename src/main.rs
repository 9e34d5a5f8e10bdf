//! The `heap-audit` binary: parse arguments, run, map the outcome to an exit status:
//! 0 no finding at the fail level, 1 at least one, 2 the audit could not run (or bad usage).

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{anyhow, bail};
use clap::CommandFactory;

use heap_audit::cli::{Cli, Command, FailOn, ScanArgs};
use heap_audit::{advise, baseline, config, init, inventory, report, rules, scan};

fn main() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().collect();
    let matches = Cli::command().get_matches_from(&argv);
    // Complete the command line with heap-audit.toml (exit 2 on a bad file).
    let parsed = match config::resolve(&argv, &matches) {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("heap-audit: error: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match parsed.cli.command {
        Command::Scan(args) => run_scan(&args, parsed.settings),
        Command::Init(args) => init::run(&args).map(|()| ExitCode::SUCCESS),
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

fn run_scan(args: &ScanArgs, settings: config::Settings) -> anyhow::Result<ExitCode> {
    // Check rule names before a crawl that could take minutes.
    if let Some(bad) = args
        .select
        .iter()
        .chain(&args.ignore)
        .find(|r| rules::find(r).is_none())
    {
        bail!(rules::UnknownRule(bad.clone()));
    }
    let fail_on = args.fail_on.unwrap_or(FailOn::Error);
    let rule_config = settings.rule_config(args)?;

    let outcome = scan::run(&args.targets, &args.scan_options())
        .map_err(|e| anyhow!("built-in signatures are invalid: {e}"))?;
    let mut report = outcome.report;
    let audit = rules::audit(&report, &rule_config, &args.select, &args.ignore)?;
    if let Some(path) = &args.write_baseline {
        baseline::write(path, &report, &audit)?;
    }
    // The rules that ran, for the formats that list them (JUnit's test cases).
    let ran: Vec<&'static dyn rules::Rule> = rules::RULES
        .iter()
        .copied()
        .filter(|r| audit.ran.contains(&r.code()))
        .collect();
    report.findings = audit.findings;
    report.summary = inventory::summarize(&report.pages, &report.problems, report.findings.len());
    report.summary.suppressed = audit.baselined.len() + audit.suppressed_inline;
    report.recommendation = advise::recommend(&report, &report.findings, &rule_config);

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
