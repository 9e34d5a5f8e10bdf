//! The `heap-audit` binary: parse arguments, run, map the outcome to an exit status:
//! 0 no finding at the fail level, 1 at least one, 2 the audit could not run (or bad usage),
//! 128 + the signal when one stopped the run: 130 Ctrl-C (SIGINT), 143 SIGTERM, 129 SIGHUP (the
//! report of what was audited is still written).

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context as _};
use clap::CommandFactory;

use heap_audit::audit::{self, Settings};
use heap_audit::batch::{self, Row};
use heap_audit::cli::{Cli, Command, ScanArgs};
use heap_audit::model::Phase;
use heap_audit::observer::Observer;
use heap_audit::options::{Choice, FailOn, Format};
use heap_audit::progress::{self, Bar, Progress};
use heap_audit::report::{Outputs, RenderOptions};
use heap_audit::scan::{Cancel, Signal, Stop, Target};
use heap_audit::source::site;
use heap_audit::{baseline, config, init, report, rules};

fn main() -> ExitCode {
    keep_big_buffers_out_of_the_heap();
    let argv: Vec<OsString> = std::env::args_os().collect();
    let matches = config::first_pass(&argv);
    // Complete the command line with heap-audit.toml (exit 2 on a bad file).
    let parsed = match config::resolve(&argv, &matches) {
        Ok(parsed) => parsed,
        // clap's own message and usage, as for any command-line error.
        Err(config::ConfigError::Cli(e)) => e.exit(),
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
        Command::Completions { shell } => completions(shell),
        Command::Man { command } => man(command.as_deref()),
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

fn run_scan(args: &ScanArgs, file: config::Settings) -> anyhow::Result<ExitCode> {
    if args.batch.targets_from.is_some() {
        batch_usage(args)?;
    }
    let config = file.path.clone();
    let (mut settings, fail_on) = settings(args, file)?;
    let targets = take_credentials(&args.targets, &mut settings);
    if args.batch.targets_from.is_none() {
        // A target that cannot be one is bad usage (exit 2) before anything is fetched; in a
        // batch it is that site's error and the others go on.
        for target in &targets {
            Target::of(target).map_err(anyhow::Error::msg)?;
        }
    }
    interrupt_on_signals(&settings.scan.cancel);
    let progress = Arc::new(Progress::new(args.verbosity()));
    // A heap-audit.toml found in the current folder changes the run: say which file is in use.
    if let Some(path) = &config {
        progress.note(&format!("using the configuration in {}", path.display()));
    }
    settings.scan.observer = Some(Arc::clone(&progress) as Arc<dyn Observer>);
    let ci = std::env::var_os("CI");
    let bar = progress::bar_wanted(
        io::stderr().is_terminal(),
        ci.as_deref(),
        args.no_progress,
        args.quiet,
    )
    .then(|| Bar::start(Arc::clone(&progress)));
    match &args.batch.targets_from {
        Some(list) => run_batch(args, list, settings, fail_on, &progress, bar),
        None => run_single(args, &targets, &settings, fail_on, &progress, bar),
    }
}

/// Take the user info out of target URLs (`https://user:password@staging.example.com/`): the
/// targets are shown without it, and the credentials are sent to their own site only, in a
/// header (never shown).
fn take_credentials(targets: &[String], settings: &mut Settings) -> Vec<String> {
    targets
        .iter()
        .map(|target| {
            let (target, credentials) = site::split_credentials(target);
            settings.scan.fetch.credentials.extend(credentials);
            target
        })
        .collect()
}

/// The targets on the command line, audited together as one site.
fn run_single(
    args: &ScanArgs,
    targets: &[String],
    settings: &Settings,
    fail_on: FailOn,
    progress: &Progress,
    bar: Option<Bar>,
) -> anyhow::Result<ExitCode> {
    let cancel = &settings.scan.cancel;
    let audit = audit::site(targets, settings)?;
    let nothing_audited = !audit.fatal.is_empty() && audit.fatal.len() == targets.len();
    if let Some(path) = &args.write_baseline {
        // Only a whole audit may replace a baseline: a partial one would forget what it missed.
        match (audit.stopped, nothing_audited) {
            (None, false) => baseline::write(path, &audit.report, audit.to_record())?,
            (Some(stop), _) => progress.error(&format!(
                "{} not written: {}, so the audit is partial",
                path.display(),
                stop.reason()
            )),
            (None, true) => progress.error(&format!(
                "{} not written: nothing could be audited",
                path.display()
            )),
        }
    }
    drop(bar); // wiped before the report is printed on the same terminal
    let ran = rules::enabled(&settings.rules, &settings.select, &settings.ignore)?;
    let short = args
        .min_coverage
        .map(|min| report::human::below_min_coverage(&audit.report, min))
        .unwrap_or_default();
    let failed = !short.is_empty()
        || audit
            .report
            .findings
            .iter()
            .any(|f| fail_on.fails(f.severity));
    let site = targets.first().map_or("", String::as_str);
    progress.phase(Phase::Writing, site);
    let written = report::write_outputs_within(
        audit.report,
        &Outputs {
            format: args.format,
            output: args.output.as_deref(),
            reports: &args.reports,
            color: color_for(args, io::stdout().is_terminal()),
            // A run that audited nothing prints its error once (below), not an empty human
            // report around it; the machine formats still write a valid report with the problem.
            quiet_stdout: nothing_audited && args.format == Format::Human,
        },
        &RenderOptions {
            color: false,
            fail_on,
            rules: &ran,
            min_coverage: args.min_coverage,
        },
        cancel,
    );
    if let Err(e) = written {
        // Left behind after a stop (standard output blocked): the run still ends on time.
        if e.downcast_ref::<report::LeftBehind>().is_none() {
            return Err(e);
        }
        progress.error(&format!("{e:#}"));
        return Ok(ExitCode::from(stop_status(cancel).unwrap_or(2)));
    }
    for message in &short {
        progress.error(message);
    }
    for message in &audit.fatal {
        if nothing_audited {
            progress.error(message);
        } else {
            progress.warn(message);
        }
    }
    if let Some(signal) = cancel.stopped().and_then(Stop::signal) {
        progress.error(&format!(
            "interrupted by {}: the report has what was audited before it",
            signal_name(signal)
        ));
        return Ok(ExitCode::from(signal.exit_status()));
    }
    if nothing_audited {
        return Ok(ExitCode::from(2));
    }
    Ok(exit_status(failed))
}

/// The audit settings and fail level. The config file's options are already in `args` (the
/// command line wins); `file` has what is not an option: rule levels and environments.
fn settings(args: &ScanArgs, file: config::Settings) -> anyhow::Result<(Settings, FailOn)> {
    // Check rule names before a crawl that could take minutes.
    if let Some(bad) = args
        .select
        .iter()
        .chain(&args.ignore)
        .find(|r| rules::find(r).is_none())
    {
        bail!(rules::UnknownRule(bad.clone()));
    }
    let settings = Settings {
        scan: args.scan_options(),
        rules: file.rule_config(args)?,
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        render: args.render_options(),
    };
    Ok((settings, args.fail_on.unwrap_or(FailOn::Error)))
}

/// Options a batch cannot honour are refused before anything is read.
fn batch_usage(args: &ScanArgs) -> anyhow::Result<()> {
    if !matches!(args.format, Format::Human | Format::Jsonl) {
        bail!(
            "--targets-from writes one report per site: use --format jsonl or human, not {}",
            args.format.name()
        );
    }
    if !args.reports.is_empty() || args.write_baseline.is_some() || args.baseline.is_some() {
        // A baseline matches pages by path, which every site of a list shares (`/`).
        bail!(
            "--report, --baseline and --write-baseline are for one site; with --targets-from, \
             use --format jsonl"
        );
    }
    Ok(())
}

/// `--targets-from`: each listed target is its own site; reports are written as sites complete.
fn run_batch(
    args: &ScanArgs,
    list: &Path,
    mut settings: Settings,
    fail_on: FailOn,
    progress: &Progress,
    bar: Option<Bar>,
) -> anyhow::Result<ExitCode> {
    let targets = if list == Path::new("-") {
        batch::read_targets(io::stdin().lock()).context("reading targets from standard input")?
    } else {
        let file = std::fs::File::open(list).with_context(|| format!("{}", list.display()))?;
        batch::read_targets(io::BufReader::new(file))
            .with_context(|| format!("{}", list.display()))?
    };
    let listed = targets.len();
    // Without their user info, two lines may name the same site.
    let targets = batch::dedup(take_credentials(&targets, &mut settings));
    let targets: Vec<String> = match args.batch.shard {
        Some(shard) => targets.into_iter().filter(|t| shard.contains(t)).collect(),
        None => targets,
    };
    if listed == 0 {
        bail!(
            "{}: no targets (one URL or folder per line)",
            list.display()
        );
    }
    if targets.is_empty() {
        // Possible when a short list is split into many shards: nothing to do is not a failure.
        progress.warn(&format!(
            "none of the {listed} targets falls in this shard; nothing to audit"
        ));
        return Ok(ExitCode::SUCCESS);
    }

    let (mut out, color) = open_output(args)?;
    let paint = report::human::Paint(color);
    let ran = rules::enabled(&settings.rules, &settings.select, &settings.ignore)?;
    let options = RenderOptions {
        color,
        fail_on,
        rules: &ran,
        min_coverage: args.min_coverage,
    };
    let mut short = false;
    let total = targets.len();
    let mut rows: Vec<(usize, Row)> = Vec::new();
    batch::run(
        &targets,
        &settings,
        usize::from(args.batch.sites_at_once),
        |site| {
            progress.suspend(|| -> io::Result<()> {
                if args.format == Format::Human {
                    let heading = format!("== {} ({}/{total}) ==", site.target, rows.len() + 1);
                    writeln!(out, "{}\n", paint.bold(&heading))?;
                }
                report::render(&site.report, args.format, &options, &mut out)?;
                out.flush()
            })?;
            if let Some(error) = &site.error {
                progress.warn(error);
            }
            if let Some(min) = args.min_coverage {
                for message in report::human::below_min_coverage(&site.report, min) {
                    progress.error(&message);
                    short = true;
                }
            }
            rows.push((site.index, Row::of(&site)));
            Ok(())
        },
    )?;
    drop(bar); // wiped before the closing table
    rows.sort_by_key(|(index, _)| *index);
    let rows: Vec<Row> = rows.into_iter().map(|(_, row)| row).collect();
    if args.format == Format::Human {
        writeln!(out, "\n{}", paint.bold(&format!("Sites ({total})")))?;
        write!(out, "{}", batch::table(&rows))?;
        out.flush()?;
    }

    if let Some(signal) = settings.scan.cancel.stopped().and_then(Stop::signal) {
        progress.error(&format!(
            "interrupted by {}: {} of the {total} sites were audited before it; each one not reached has its interrupted problem",
            signal_name(signal),
            rows.iter().filter(|r| r.audited).count()
        ));
        return Ok(ExitCode::from(signal.exit_status()));
    }
    let audited = rows
        .iter()
        .filter(|r| !r.status.starts_with("error"))
        .count();
    if audited == 0 {
        progress.error(&format!("none of the {total} sites could be audited"));
        return Ok(ExitCode::from(2));
    }
    let failed = short
        || rows
            .iter()
            .filter_map(Row::worst)
            .any(|worst| fail_on.fails(worst));
    Ok(exit_status(failed))
}

/// 1 when a finding reached the fail level or a target's coverage fell below --min-coverage,
/// else 0.
fn exit_status(failed: bool) -> ExitCode {
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Where the report goes (`-o FILE` or standard output), and whether to colour it.
fn open_output(args: &ScanArgs) -> anyhow::Result<(Box<dyn Write>, bool)> {
    Ok(match &args.output {
        Some(path) => {
            let file =
                std::fs::File::create(path).with_context(|| format!("{}", path.display()))?;
            (Box::new(io::BufWriter::new(file)), color_for(args, false))
        }
        None => (
            Box::new(io::BufWriter::new(io::stdout().lock())),
            color_for(args, io::stdout().is_terminal()),
        ),
    })
}

/// Whether to colour the report (going to a terminal or not): decided once, here, and handed to
/// `colored` as well, so that its own guess (from `CLICOLOR` and whether standard output is a
/// terminal) never overrides `--color`.
fn color_for(args: &ScanArgs, is_terminal: bool) -> bool {
    let color = args.color.enabled(is_terminal);
    colored::control::set_override(color);
    color
}

/// The exit status of a run a signal stopped (128 + the signal, as shells report it: 130 for
/// Ctrl-C, 143 for SIGTERM, 129 for SIGHUP): the report is written but the audit is incomplete,
/// so scripts must not mistake it for a clean run. `None` when no signal stopped the run.
fn stop_status(cancel: &Cancel) -> Option<u8> {
    cancel
        .stopped()
        .and_then(Stop::signal)
        .map(Signal::exit_status)
}

/// `SIGTERM`, or `SIGINT (Ctrl-C)`.
fn signal_name(signal: Signal) -> String {
    match signal {
        Signal::Int => "SIGINT (Ctrl-C)".to_owned(),
        _ => signal.name().to_owned(),
    }
}

/// The first Ctrl-C, SIGTERM or SIGHUP stops the scan, which then reports what it audited and
/// exits with 128 + the signal; a second one exits at once (with 128 + that signal). If a handler
/// cannot be installed, that signal simply kills the process.
fn interrupt_on_signals(cancel: &Cancel) {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::flag;
    let mut signals = vec![(Signal::Int, SIGINT), (Signal::Term, SIGTERM)];
    #[cfg(unix)]
    signals.push((Signal::Hup, signal_hook::consts::SIGHUP));
    for (signal, number) in signals {
        let status = i32::from(signal.exit_status());
        // The shutdown is registered first, so it fires only on a signal after the flag is set;
        // then the signal is recorded (which one stopped the run), then the flag set.
        let _ = flag::register_conditional_shutdown(number, status, cancel.flag());
        let slot = usize::try_from(signal.number()).unwrap_or(0);
        let _ = flag::register_usize(number, cancel.signal_slot(), slot);
        let _ = flag::register(number, cancel.flag());
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

fn completions(shell: clap_complete::Shell) -> anyhow::Result<ExitCode> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    clap_complete::generate(shell, &mut Cli::command(), "heap-audit", &mut out);
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The manual page of `heap-audit`, or of one subcommand (`heap-audit-scan(1)`).
fn man(subcommand: Option<&str>) -> anyhow::Result<ExitCode> {
    let cli = Cli::command();
    let page = match subcommand {
        None => cli,
        Some(name) => {
            let sub = cli.find_subcommand(name).cloned().ok_or_else(|| {
                let names: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
                anyhow!(
                    "no subcommand '{name}': expected one of {}",
                    names.join(", ")
                )
            })?;
            let full = format!("heap-audit-{name}");
            sub.name(full.clone())
                .bin_name(format!("heap-audit {name}"))
                .display_name(full)
        }
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    clap_mangen::Man::new(page).render(&mut out)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Page bodies (up to --max-body each) are read on several threads. glibc's malloc raises its
/// mmap threshold each time such a buffer is freed, so later ones come from per-thread heaps that
/// never shrink: on a site of 10 MB pages the peak RSS was 172 MB that way, 104 MB without
/// (bench/linkfarm.sh). A fixed threshold keeps every buffer of 1 MB or more in its own mapping,
/// given back to the system when freed.
///
/// glibc also gives each thread that allocates its own heap (an arena), up to 8 per core: the
/// pages' reports, made on the crawl's workers, end up spread over them with the free room each
/// keeps. One arena per core holds a 10,000-page crawl at 58 MB instead of 63 (bench/run.sh), for
/// about 5% more time.
fn keep_big_buffers_out_of_the_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get().max(2));
        let arenas = libc::c_int::try_from(cores).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only sets allocator parameters; it is called before any other thread.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}
