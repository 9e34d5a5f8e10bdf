//! The whole audit of one site, from targets to a finished report: scan, rules, summary,
//! recommendation. Used by a single `scan` run and by each site of a batch.
//!
//! **Stops.** A stop (a signal, `--max-time`: [`crate::scan::Cancel`]) ends whichever phase it
//! lands in, and the report is made of what exists. The crawl (with the following of what pages
//! load) stops by itself (see `scan`). The rules and the advice run on a thread of their own (the
//! rules on it and on a second one) that the calling thread watches: once the run stops, they get
//! [`GRACE`] more to finish (so that a run cut in the crawl still has the findings of the pages it
//! audited), then they are left behind and the report has the findings of the rules that ran, no
//! recommendation if it was not worked out, and an `interrupted` problem naming the phase cut. A
//! rule slow on a huge site cannot hold a stop back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::extract::signatures::SignatureError;
use crate::model::{Finding, Phase, Problem, ProblemKind, Recommendation, Report};
use crate::rules::{self, Rule as _, UnknownRule};
use crate::scan::{self, ScanOptions, Stop};
use crate::{advise, inventory};

/// How long the rules and the advice may go on after the run stops (after the deadline, or the
/// signal), before they are cut.
pub const GRACE: Duration = Duration::from_millis(500);

/// The least time the rules and the advice get, even long after a stop: enough for a small site.
const LEAST: Duration = Duration::from_millis(50);

/// How often the thread watching the rules looks at the stop flag.
const POLL: Duration = Duration::from_millis(20);

/// Everything an audit needs besides its targets, resolved from flags and the config file.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub scan: ScanOptions,
    pub rules: rules::Config,
    /// Rules to run (names or codes); empty means all.
    pub select: Vec<String>,
    /// Rules not to run (names or codes).
    pub ignore: Vec<String>,
    /// `--render`: render a sample of the pages in headless Chromium before the rules run.
    pub render: Option<crate::render::RenderOptions>,
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
    /// Why the audit stopped before its end (a signal, `--max-time`), if it did: some phase was
    /// cut, and the report's `interrupted` problems say which.
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
/// baseline applied), summarise and recommend. Returns within about [`GRACE`] of a stop.
pub fn site(targets: &[String], settings: &Settings) -> Result<Audit, AuditError> {
    let enabled = rules::enabled(&settings.rules, &settings.select, &settings.ignore)?;
    let mut outcome = scan::run(targets, &settings.scan).map_err(AuditError::Signatures)?;
    if let Some(render) = &settings.render {
        if settings.scan.cancel.stopped().is_none() {
            if let Some(observer) = &settings.scan.observer {
                observer.phase(Phase::Render, targets.first().map_or("", String::as_str));
            }
            crate::render::run(
                &mut outcome.report,
                render,
                &settings.scan.fetch,
                settings.scan.offline,
                &settings.scan.cancel,
            );
            outcome.stopped = outcome.stopped.or(settings.scan.cancel.stopped());
        }
    }
    let report = Arc::new(outcome.report);
    let site = targets.first().cloned().unwrap_or_default();
    let judged = judge(
        Arc::clone(&report),
        &settings.rules,
        enabled,
        &settings.scan,
        &site,
    );
    // The thread left behind by a cut still holds the pages: the report gets its own copy.
    let mut report = Arc::try_unwrap(report).unwrap_or_else(|shared| (*shared).clone());
    let mut stopped = outcome.stopped;
    if let Some((stop, cut)) = judged.cut {
        stopped = stopped.or(Some(stop));
        report
            .problems
            .extend(cut.into_iter().map(|(phase, message)| Problem {
                url: site.clone(),
                kind: ProblemKind::Interrupted,
                message,
                phase: Some(phase),
            }));
    }
    report.findings = judged.rules.findings;
    report.summary = inventory::summarize(&report.pages, &report.problems, report.findings.len());
    report.summary.findings_by_severity = inventory::by_severity(&report.findings);
    report.summary.suppressed = judged.rules.baselined.len() + judged.rules.suppressed_inline;
    report.recommendation = judged.advice;
    rules::group::point_at_removed(&mut report);
    Ok(Audit {
        report,
        fatal: outcome.fatal,
        baselined: judged.rules.baselined,
        stopped,
    })
}

/// What the rules and the advice came to, and what a stop cut of them.
struct Judged {
    rules: rules::Audit,
    advice: Option<Recommendation>,
    /// The stop that cut them, with a message per phase cut.
    cut: Option<(Stop, Vec<(Phase, String)>)>,
}

/// What the thread running the rules and the advice has done so far.
#[derive(Default)]
struct Progress {
    /// Each rule's code and findings once it ran, at its place in the rules' order (whatever
    /// order they ran in), so that a cut keeps every rule that ran.
    done: Vec<Option<(&'static str, Vec<Finding>)>>,
    /// Every rule ran, and their findings are finished.
    rules: Option<Arc<rules::Audit>>,
    /// The rules' findings are being finished: taken from `done`, not yet in `rules`.
    finishing: bool,
    /// The advice was worked out (`Some(None)`: nothing was audited to advise on).
    advice: Option<Option<Recommendation>>,
    /// The thread ended (done, or panicked).
    ended: bool,
}

struct Shared {
    progress: Mutex<Progress>,
    changed: Condvar,
    /// Set when the watcher leaves the thread behind: it starts nothing more.
    cut: AtomicBool,
}

impl Progress {
    /// The findings of the rules that ran, in the rules' order, and their codes.
    fn take_done(&mut self) -> (Vec<Finding>, Vec<&'static str>) {
        let mut findings = Vec::new();
        let mut ran = Vec::new();
        for (code, found) in self.done.iter_mut().filter_map(Option::take) {
            findings.extend(found);
            ran.push(code);
        }
        (findings, ran)
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Says the thread ended, however it ends.
struct Ended(Arc<Shared>);

impl Drop for Ended {
    fn drop(&mut self) {
        self.0.lock().ended = true;
        self.0.changed.notify_all();
    }
}

/// Run the rules, then the advice, on a thread of their own, and wait for them, or for the run
/// to stop and [`GRACE`] to pass. Only this thread tells the observer (never one left behind).
fn judge(
    report: Arc<Report>,
    config: &rules::Config,
    enabled: Vec<&'static dyn rules::Rule>,
    scan: &ScanOptions,
    site: &str,
) -> Judged {
    let cancel = &scan.cancel;
    let tell = |phase: Phase| {
        if let Some(observer) = &scan.observer {
            observer.phase(phase, site);
        }
    };
    let shared = Arc::new(Shared {
        progress: Mutex::default(),
        changed: Condvar::new(),
        cut: AtomicBool::new(false),
    });
    let checks = rules::checks(&enabled);
    if report.pages.is_empty() {
        // Nothing was audited (a site a stop never reached): nothing to judge, at once.
        let rules = judge_here(&report, config, &enabled, &checks);
        return Judged {
            rules,
            advice: None,
            cut: None,
        };
    }
    tell(Phase::Rules);
    let started = Instant::now();
    let worker = {
        let (shared, config, enabled, checks) = (
            Arc::clone(&shared),
            config.clone(),
            enabled.clone(),
            checks.clone(),
        );
        let report = Arc::clone(&report);
        std::thread::Builder::new()
            .name("heap-audit-rules".into())
            .spawn(move || {
                let ended = Ended(Arc::clone(&shared));
                judge_on(&shared, report, &config, &enabled, &checks);
                drop(ended);
            })
    };
    let Ok(worker) = worker else {
        // Not one thread: judge here, and a stop waits for the end.
        let rules = judge_here(&report, config, &enabled, &checks);
        let advice = advise::recommend(&report, &rules.findings, config);
        return Judged {
            rules,
            advice,
            cut: None,
        };
    };
    let mut progress = shared.lock();
    let mut advising = false;
    let stop = loop {
        if progress.advice.is_some() {
            break None;
        }
        if progress.rules.is_some() && !advising {
            advising = true;
            tell(Phase::Advice);
        }
        if progress.ended {
            // Ended without its advice: it panicked. Raised here, as the rules did before they
            // had a thread.
            drop(progress);
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
            progress = shared.lock();
            break cancel.stopped();
        }
        let stopped_long = cancel.stopped_for().is_some_and(|since| since >= GRACE);
        if stopped_long && started.elapsed() >= LEAST && !progress.finishing {
            break cancel.stopped();
        }
        progress = shared
            .changed
            .wait_timeout(progress, POLL)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    };
    shared.cut.store(true, Ordering::SeqCst);
    let advice = progress.advice.take();
    // The rules' thread lets its share go before the advice is told: a copy only on a cut.
    let done = progress
        .rules
        .take()
        .map(|rules| Arc::try_unwrap(rules).unwrap_or_else(|rules| (*rules).clone()));
    let (findings, ran) = progress.take_done();
    drop(progress);
    let Some(stop) = stop.filter(|_| advice.is_none()) else {
        // Everything was done (within the grace, if the run stopped).
        return Judged {
            rules: done.unwrap_or_default(),
            advice: advice.flatten(),
            cut: None,
        };
    };
    let reason = stop.reason();
    let mut cut = Vec::new();
    let rules = match done {
        Some(rules) => rules,
        None => {
            let not_run: Vec<&str> = checks
                .iter()
                .filter(|r| !ran.contains(&r.code()))
                .map(|r| r.name())
                .collect();
            cut.push((
                Phase::Rules,
                format!(
                    "the rules were not all run: {reason}; {} of {} ran, so the findings are theirs only; not run: {}",
                    ran.len(),
                    checks.len(),
                    names(&not_run)
                ),
            ));
            rules::finish(&report, config, &enabled, &ran, findings)
        }
    };
    cut.push((
        Phase::Advice,
        format!("advice not given: {reason} before the recommended install path was worked out"),
    ));
    Judged {
        rules,
        advice: None,
        cut: Some((stop, cut)),
    }
}

/// The rules' work, on their thread: every rule, on this thread and a second one (each rule's
/// findings handed over as it ends), their findings finished, then the advice. Stops between two
/// steps once left behind.
fn judge_on(
    shared: &Shared,
    report: Arc<Report>,
    config: &rules::Config,
    enabled: &[&'static dyn rules::Rule],
    checks: &[&'static dyn rules::Rule],
) {
    test_pause(Phase::Rules);
    check_all(shared, &report, config, checks);
    if shared.cut.load(Ordering::SeqCst) {
        return;
    }
    // The findings are finished where they are taken, not copied: while they are, a stop waits
    // (finishing is linear in the findings, a fraction of a second on 100,000 pages).
    let (findings, ran) = {
        let mut progress = shared.lock();
        progress.finishing = true;
        progress.take_done()
    };
    let rules = Arc::new(rules::finish(&report, config, enabled, &ran, findings));
    {
        let mut progress = shared.lock();
        progress.rules = Some(Arc::clone(&rules));
        progress.finishing = false;
    }
    shared.changed.notify_all();
    if shared.cut.load(Ordering::SeqCst) {
        return;
    }
    test_pause(Phase::Advice);
    let advice = advise::recommend(&report, &rules.findings, config);
    // The pages and the findings are let go before the watcher is told, so it need not copy
    // them.
    drop(report);
    drop(rules);
    shared.lock().advice = Some(advice);
    shared.changed.notify_all();
}

/// The rules that take longest on a large site, started first so that the two threads end
/// together. On the 10,000-page benchmark folder app-id-mismatch takes about as long as all the
/// others on the second thread; taken last in rule order, heap-options-differ ran alone for
/// 15-20 ms while the other thread had nothing left.
const LONGEST_FIRST: &[&str] = &[
    "app-id-mismatch",
    "heap-options-differ",
    "mixed-heap-sdk-versions",
    "duplicate-heap-load",
];

/// Every rule of `checks` (the longest first: [`LONGEST_FIRST`]), on this thread and a second
/// one (each takes the next rule not taken), each rule's findings handed over as it ends at its
/// place in the rules' order: a cut keeps every rule that ran, and the findings come in the same
/// order whatever the timing. Alone if no second thread can be started; stops taking rules once
/// cut.
fn check_all(
    shared: &Shared,
    report: &Report,
    config: &rules::Config,
    checks: &[&'static dyn rules::Rule],
) {
    let next = std::sync::atomic::AtomicUsize::new(0);
    // The longest first, the others in their order.
    let mut order: Vec<usize> = (0..checks.len()).collect();
    order.sort_by_key(|&i| {
        LONGEST_FIRST
            .iter()
            .position(|name| *name == checks[i].name())
            .unwrap_or(LONGEST_FIRST.len())
    });
    // The next rule not taken by either thread, until all are or the run is cut.
    let next_rule = || {
        if shared.cut.load(Ordering::SeqCst) {
            return None;
        }
        let k = next.fetch_add(1, Ordering::SeqCst);
        order.get(k).map(|&i| (i, checks[i]))
    };
    shared.lock().done = vec![None; checks.len()];
    // Each thread takes the next rule and hands its findings over as it ends.
    let work = || {
        while let Some((i, rule)) = next_rule() {
            let found = rules::check(rule, report, config);
            if let Some(slot) = shared.lock().done.get_mut(i) {
                *slot = Some((rule.code(), found));
            }
        }
    };
    std::thread::scope(|scope| {
        // A second thread that cannot be started leaves the rules to this one.
        let _ = std::thread::Builder::new()
            .name("heap-audit-rules".into())
            .spawn_scoped(scope, work);
        work();
    });
}

/// Every rule of `checks` run here, then finished (for when no thread can be started).
fn judge_here(
    report: &Report,
    config: &rules::Config,
    enabled: &[&'static dyn rules::Rule],
    checks: &[&'static dyn rules::Rule],
) -> rules::Audit {
    let mut findings = Vec::new();
    let mut ran = Vec::new();
    for rule in checks {
        findings.extend(rules::check(*rule, report, config));
        ran.push(rule.code());
    }
    rules::finish(report, config, enabled, &ran, findings)
}

/// `a, b, c and 4 more`.
fn names(names: &[&str]) -> String {
    const SHOWN: usize = 5;
    let shown = names
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    match names.len().saturating_sub(SHOWN) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

/// **Test hook**, compiled into debug builds only (release builds ignore it):
/// `HEAP_AUDIT_TEST_PAUSE=rules:5` makes the phase named (`rules` or `advice`; several are
/// separated by commas) last 5 s longer, without looking at the stop flag, as a rule stuck on a
/// huge site would. `tests/stops.rs` uses it where a stop must land in that phase at a time fixed
/// in advance (`--max-time`), which the time the crawl takes on a busy machine makes unreliable on
/// a real site; no user-facing behaviour depends on it.
#[doc(hidden)]
pub fn test_pause(phase: Phase) {
    #[cfg(debug_assertions)]
    {
        let Some(value) = std::env::var_os("HEAP_AUDIT_TEST_PAUSE") else {
            return;
        };
        let value = value.to_string_lossy();
        let pause = value.split(',').find_map(|entry| {
            let (name, seconds) = entry.split_once(':')?;
            (name.trim() == phase.name())
                .then(|| seconds.trim().parse::<f64>().ok())
                .flatten()
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
        });
        if let Some(pause) = pause {
            std::thread::sleep(pause);
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = phase;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_that_ran_are_taken_in_rule_order_whatever_order_they_ended_in() {
        let finding = |message: &str| {
            rules::finding(
                rules::RULES[0],
                crate::model::Severity::Warning,
                message.to_owned(),
                String::new(),
                Vec::new(),
                Vec::new(),
            )
        };
        let mut progress = Progress {
            done: vec![
                None,
                Some(("HA002", vec![finding("b1"), finding("b2")])),
                None,
                Some(("HA004", vec![finding("d")])),
            ],
            ..Progress::default()
        };
        // Rule 4 ended first, rule 2 next; rules 1 and 3 had not ended at the cut.
        let (findings, ran) = progress.take_done();
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(messages, ["b1", "b2", "d"]);
        assert_eq!(ran, ["HA002", "HA004"]);
        assert!(progress.done.iter().all(Option::is_none));
    }

    #[test]
    fn the_rules_started_first_are_rules() {
        // A name that is no rule's would silently start nothing first.
        for name in LONGEST_FIRST {
            assert!(
                rules::RULES.iter().any(|r| r.name() == *name),
                "{name} is not a rule"
            );
        }
    }
}
