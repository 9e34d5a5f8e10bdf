//! The `heap-audit` binary: parse arguments, run, map the outcome to an exit status:
//! 0 no finding at the fail level, 1 at least one, 2 the audit could not run (or bad usage),
//! 130 interrupted by Ctrl-C (the report of what was audited is still written).

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context as _};
use clap::Parser;

use heap_audit::cli::{Cli, Color, Command, FailOn, Format, ScanArgs};
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

    let options = args.scan_options();
    interrupt_on_ctrl_c(&options.cancel);
    let outcome = scan::run(&args.targets, &options)
        .map_err(|e| anyhow!("built-in signatures are invalid: {e}"))?;
    let mut report = outcome.report;
    report.findings = rules::run(&report, &rule_config, &select, &ignore)?;
    report.summary = inventory::summarize(&report.pages, &report.problems, report.findings.len());
    report.recommendation = advise::recommend(&report, &report.findings, &rule_config);

    let format = match args.format {
        Format::Human => report::Format::Human,
        Format::Json => report::Format::Json,
        Format::Sarif => report::Format::Sarif,
        Format::Github => report::Format::Github,
    };
    match &args.output {
        Some(path) => {
            let file =
                std::fs::File::create(path).with_context(|| format!("{}", path.display()))?;
            let mut out = io::BufWriter::new(file);
            report::render(&report, format, args.color == Color::Always, &mut out)?;
            out.flush()?;
        }
        None => {
            let stdout = io::stdout();
            let color = match args.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => {
                    stdout.is_terminal()
                        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                }
            };
            let mut out = io::BufWriter::new(stdout.lock());
            report::render(&report, format, color, &mut out)?;
            out.flush()?;
        }
    }
    for message in &outcome.fatal {
        eprintln!("heap-audit: error: {message}");
    }
    if outcome.stopped == Some(scan::Stop::Interrupted) {
        eprintln!("heap-audit: interrupted: the report has the pages audited before Ctrl-C");
        return Ok(ExitCode::from(INTERRUPTED));
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

/// Exit status after Ctrl-C (128 + SIGINT, as shells report it): the report is written but the
/// audit is incomplete, so scripts must not mistake it for a clean run.
const INTERRUPTED: u8 = 130;

/// The first Ctrl-C (or SIGTERM) stops the scan, which then reports what it audited; a second one
/// exits at once. If the handler cannot be installed, Ctrl-C simply kills the process.
fn interrupt_on_ctrl_c(cancel: &scan::Cancel) {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::flag;
    for signal in [SIGINT, SIGTERM] {
        // The shutdown is registered first, so it fires only on a signal after the flag is set.
        let _ = flag::register_conditional_shutdown(signal, i32::from(INTERRUPTED), cancel.flag());
        let _ = flag::register(signal, cancel.flag());
    }
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
