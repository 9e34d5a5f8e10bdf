//! The `heap-audit` binary: parse arguments, run, map the outcome to an exit status
//! (0 audited, 2 nothing could be audited or bad usage).

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use heap_audit::cli::{Cli, Color, Command, Format, ScanArgs};
use heap_audit::report;
use heap_audit::scan;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => match run_scan(&args) {
            Ok(code) => code,
            Err(e) => {
                if is_broken_pipe(&e) {
                    return ExitCode::SUCCESS;
                }
                eprintln!("heap-audit: error: {e:#}");
                ExitCode::from(2)
            }
        },
    }
}

fn run_scan(args: &ScanArgs) -> anyhow::Result<ExitCode> {
    let outcome = scan::run(&args.targets, &args.scan_options())
        .map_err(|e| anyhow::anyhow!("built-in signatures are invalid: {e}"))?;
    let format = match args.format {
        Format::Human => report::Format::Human,
        Format::Json => report::Format::Json,
    };
    match &args.output {
        Some(path) => {
            let mut file = io::BufWriter::new(
                std::fs::File::create(path)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
            );
            report::render(
                &outcome.report,
                format,
                args.color == Color::Always,
                &mut file,
            )?;
            file.flush()?;
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
            report::render(&outcome.report, format, color, &mut out)?;
            out.flush()?;
        }
    }
    for message in &outcome.fatal {
        eprintln!("heap-audit: error: {message}");
    }
    if !outcome.fatal.is_empty() && outcome.fatal.len() == args.targets.len() {
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
