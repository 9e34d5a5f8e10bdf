//! The limits a run lives within: when to stop ([`Cancel`]: Ctrl-C, SIGTERM, SIGHUP, `--max-time`),
//! how hard to press on one host ([`Politeness`]: `--rate`, `--max-host-connections`, robots.txt
//! `Crawl-delay`), and how long a server asks us to wait before retrying ([`retry_after`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How often a waiting worker looks at the cancel flag.
const TICK: Duration = Duration::from_millis(50);

/// A signal that stops the run: Ctrl-C (SIGINT), SIGTERM (`kill`, `docker stop`, a CI job's
/// timeout) or SIGHUP (the terminal closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    Int,
    Term,
    Hup,
}

impl Signal {
    /// Every signal that stops a run, as the binary listens for them.
    pub const ALL: [Signal; 3] = [Signal::Int, Signal::Term, Signal::Hup];

    /// Its number (POSIX: SIGHUP 1, SIGINT 2, SIGTERM 15).
    pub fn number(self) -> i32 {
        match self {
            Signal::Hup => 1,
            Signal::Int => 2,
            Signal::Term => 15,
        }
    }

    /// The signal with this number, if it is one that stops a run.
    pub fn from_number(number: i32) -> Option<Signal> {
        Signal::ALL.into_iter().find(|s| s.number() == number)
    }

    /// `SIGINT`, `SIGTERM`, `SIGHUP`.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Int => "SIGINT",
            Signal::Term => "SIGTERM",
            Signal::Hup => "SIGHUP",
        }
    }

    /// The exit status of a run it stopped: 128 + its number, as shells report a process the
    /// signal killed (130, 143, 129), so a script sees the run did not end on its own.
    pub fn exit_status(self) -> u8 {
        // The numbers are 1, 2 and 15.
        128 + self.number().unsigned_abs().min(127) as u8
    }
}

/// Why a run stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// A signal: Ctrl-C (SIGINT), SIGTERM or SIGHUP.
    InterruptedBy(Signal),
    /// The `--max-time` budget is spent.
    OutOfTime,
}

impl Stop {
    /// Ctrl-C: the stop [`Cancel::interrupt`] asks for. (Named for the callers that predate
    /// [`Stop::InterruptedBy`]; it is that variant with [`Signal::Int`], so use
    /// [`Stop::signal`] to ask whether any signal stopped the run.)
    #[allow(non_upper_case_globals)]
    pub const Interrupted: Stop = Stop::InterruptedBy(Signal::Int);

    /// Why, in words, for problem messages: the signal is named.
    pub fn reason(self) -> &'static str {
        match self {
            Stop::InterruptedBy(Signal::Int) => "the run was interrupted (Ctrl-C)",
            Stop::InterruptedBy(Signal::Term) => "the run was interrupted by SIGTERM",
            Stop::InterruptedBy(Signal::Hup) => "the run was interrupted by SIGHUP",
            Stop::OutOfTime => "the --max-time budget was spent",
        }
    }

    /// The signal that stopped the run, if one did (not the `--max-time` budget).
    pub fn signal(self) -> Option<Signal> {
        match self {
            Stop::InterruptedBy(signal) => Some(signal),
            Stop::OutOfTime => None,
        }
    }
}

/// Whether the run must stop: a signal a handler records, and an optional wall-clock deadline.
/// Cheap to clone; clones share the signal.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    /// The number of the first signal received (0: none yet).
    signal: Arc<AtomicUsize>,
    /// Set with `signal`: what a handler that exits on a second signal looks at.
    flag: Arc<AtomicBool>,
    /// When a signal was first seen (a handler cannot read the clock).
    signalled_at: Arc<OnceLock<Instant>>,
    deadline: Option<Instant>,
}

impl Cancel {
    /// A run with no deadline that nothing has interrupted yet.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// The same flag, with a deadline `budget` from now.
    pub fn with_budget(self, budget: Option<Duration>) -> Cancel {
        Cancel {
            // A budget too far out to represent is no deadline at all.
            deadline: budget.and_then(|b| Instant::now().checked_add(b)),
            ..self
        }
    }

    /// The flag that says a signal was received. A signal handler sets it after
    /// [`Cancel::signal_slot`]; one that exits on a second signal registers first, conditioned
    /// on it.
    pub fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.flag)
    }

    /// Where a signal handler writes the number of the signal (`signal_hook::flag::register_usize`),
    /// before it sets [`Cancel::flag`]. The first signal is the one reported.
    pub fn signal_slot(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.signal)
    }

    /// Interrupt the run (as Ctrl-C does).
    pub fn interrupt(&self) {
        self.interrupt_by(Signal::Int);
    }

    /// Interrupt the run as `signal` does.
    pub fn interrupt_by(&self, signal: Signal) {
        let number = usize::try_from(signal.number()).unwrap_or(2);
        let _ = self
            .signal
            .compare_exchange(0, number, Ordering::SeqCst, Ordering::SeqCst);
        self.flag.store(true, Ordering::SeqCst);
    }

    /// Why the run must stop now, if it must.
    pub fn stopped(&self) -> Option<Stop> {
        let number = self.signal.load(Ordering::SeqCst);
        if number != 0 || self.flag.load(Ordering::SeqCst) {
            self.signalled_at.get_or_init(Instant::now);
            let signal = i32::try_from(number)
                .ok()
                .and_then(Signal::from_number)
                .unwrap_or(Signal::Int);
            Some(Stop::InterruptedBy(signal))
        } else if self.deadline.is_some_and(|d| Instant::now() >= d) {
            Some(Stop::OutOfTime)
        } else {
            None
        }
    }

    /// How long ago the run stopped (`None`: it has not): since the deadline, or since a signal
    /// was first seen. What follows a stop (the rules, the reports) is given a little time from
    /// it, so that the run ends on time whatever phase the stop lands in.
    pub fn stopped_for(&self) -> Option<Duration> {
        let stop = self.stopped()?;
        let at = match stop {
            Stop::InterruptedBy(_) => self.signalled_at.get().copied(),
            Stop::OutOfTime => self.deadline,
        };
        Some(at.map_or(Duration::ZERO, |at| at.elapsed()))
    }

    /// Time left before the deadline (`None`: no deadline).
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// Sleep for `duration`, waking early if the run stops; `Err` says why it stopped.
    pub fn sleep(&self, duration: Duration) -> Result<(), Stop> {
        let until = Instant::now() + duration;
        loop {
            if let Some(stop) = self.stopped() {
                return Err(stop);
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            std::thread::sleep(left.min(TICK));
        }
    }
}

/// Per-host politeness: at most `max_connections` requests in flight to one host, and request
/// starts spaced by the host's interval (`1 / --rate`, or robots.txt's `Crawl-delay` if longer).
#[derive(Debug)]
pub struct Politeness {
    max_connections: usize,
    interval: Duration,
    hosts: Mutex<HashMap<String, Host>>,
    freed: Condvar,
}

#[derive(Debug, Default)]
struct Host {
    active: usize,
    /// When the next request may start.
    next: Option<Instant>,
    /// A `Crawl-delay` for this host, if longer than the global interval.
    delay: Option<Duration>,
}

/// A request slot on one host; dropping it frees the slot.
pub struct Slot<'a> {
    politeness: &'a Politeness,
    host: String,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut hosts = self
            .politeness
            .hosts
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(host) = hosts.get_mut(&self.host) {
            host.active = host.active.saturating_sub(1);
        }
        self.politeness.freed.notify_all();
    }
}

impl Politeness {
    /// `rate`: requests per second per host (`None`: unlimited); `max_connections`: requests in
    /// flight per host (at least 1).
    pub fn new(rate: Option<f64>, max_connections: usize) -> Politeness {
        let interval = rate
            .filter(|r| r.is_finite() && *r > 0.0)
            .and_then(|r| Duration::try_from_secs_f64(1.0 / r).ok())
            .unwrap_or(Duration::ZERO);
        Politeness {
            max_connections: max_connections.max(1),
            interval,
            hosts: Mutex::default(),
            freed: Condvar::new(),
        }
    }

    /// Space requests to `host` by at least `delay` (robots.txt `Crawl-delay`).
    pub fn set_delay(&self, host: &str, delay: Duration) {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        hosts.entry(host.to_owned()).or_default().delay = Some(delay);
    }

    /// Wait for a slot on `host`; `Err` if the run stops while waiting.
    pub fn acquire(&self, host: &str, cancel: &Cancel) -> Result<Slot<'_>, Stop> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(stop) = cancel.stopped() {
                return Err(stop);
            }
            let now = Instant::now();
            let state = hosts.entry(host.to_owned()).or_default();
            let wait = if state.active >= self.max_connections {
                TICK
            } else {
                match state.next.filter(|next| *next > now) {
                    Some(next) => (next - now).min(TICK),
                    None => {
                        let interval = state.delay.map_or(self.interval, |d| d.max(self.interval));
                        state.active += 1;
                        state.next = Some(now + interval);
                        return Ok(Slot {
                            politeness: self,
                            host: host.to_owned(),
                        });
                    }
                }
            };
            hosts = self
                .freed
                .wait_timeout(hosts, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// The wait a `Retry-After` header asks for: delay-seconds, or an HTTP date (RFC 9110 §10.2.3).
/// A date in the past means no wait; a value that is neither is ignored (`None`).
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form servers must send.
fn http_date(s: &str) -> Option<SystemTime> {
    let mut parts = s.split_whitespace();
    let (_weekday, day, month, year, time, zone) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if zone != "GMT" || parts.next().is_some() {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
    let day: i64 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    // Four digits, as the format says (and no arithmetic overflow on a hostile header).
    let year: i64 = year.parse().ok().filter(|y| (1970..=9999).contains(y))?;
    let mut hms = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + sec;
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).ok()?))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after("Thu, 01 Jan 1970 00:00:00 GMT", UNIX_EPOCH),
            Some(Duration::ZERO)
        );
        assert_eq!(
            http_date("Tue, 29 Feb 2028 12:00:00 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(1_835_438_400))
        );
        for bad in [
            "",
            "soon",
            "-5",
            "Sun, 06 Nov 1994 08:49:37 CET",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Sun, 06 Nov 99999999999999 08:49:37 GMT",
            "Sun, 06 Nov 10000 08:49:37 GMT",
        ] {
            assert_eq!(retry_after(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn cancel_wakes_a_sleeper_and_the_deadline_stops_the_run() {
        let cancel = Cancel::new();
        assert_eq!(cancel.stopped(), None);
        let other = cancel.clone();
        let started = Instant::now();
        let sleeper = std::thread::spawn(move || other.sleep(Duration::from_secs(30)));
        std::thread::sleep(Duration::from_millis(100));
        cancel.interrupt();
        assert_eq!(sleeper.join().unwrap(), Err(Stop::Interrupted));
        assert!(started.elapsed() < Duration::from_secs(5));

        let budget = Cancel::new().with_budget(Some(Duration::from_millis(100)));
        assert_eq!(budget.sleep(Duration::from_secs(30)), Err(Stop::OutOfTime));
        assert_eq!(budget.stopped(), Some(Stop::OutOfTime));
        assert_eq!(Cancel::new().sleep(Duration::from_millis(10)), Ok(()));
    }

    #[test]
    fn a_stop_names_its_signal_and_the_first_signal_is_the_one_reported() {
        assert_eq!(
            Signal::ALL.map(Signal::exit_status),
            [130, 143, 129],
            "128 + SIGINT, SIGTERM, SIGHUP"
        );
        for signal in Signal::ALL {
            assert_eq!(Signal::from_number(signal.number()), Some(signal));
        }
        assert_eq!(Signal::from_number(9), None);
        assert_eq!(Stop::Interrupted, Stop::InterruptedBy(Signal::Int));
        assert!(Stop::InterruptedBy(Signal::Int).reason().contains("Ctrl-C"));
        assert!(Stop::InterruptedBy(Signal::Term)
            .reason()
            .contains("SIGTERM"));
        assert!(Stop::InterruptedBy(Signal::Hup).reason().contains("SIGHUP"));
        assert!(Stop::OutOfTime.reason().contains("--max-time"));
        assert_eq!(Stop::OutOfTime.signal(), None);

        let cancel = Cancel::new();
        assert_eq!(cancel.stopped_for(), None);
        let clone = cancel.clone();
        clone.interrupt_by(Signal::Term);
        cancel.interrupt_by(Signal::Hup);
        assert_eq!(cancel.stopped(), Some(Stop::InterruptedBy(Signal::Term)));
        assert!(cancel.flag().load(Ordering::SeqCst));
        // As a signal handler records it: the number, then the flag.
        let handled = Cancel::new();
        handled.signal_slot().store(1, Ordering::SeqCst);
        handled.flag().store(true, Ordering::SeqCst);
        assert_eq!(handled.stopped(), Some(Stop::InterruptedBy(Signal::Hup)));
    }

    #[test]
    fn stopped_for_counts_from_the_deadline_or_the_first_sight_of_a_signal() {
        let budget = Cancel::new().with_budget(Some(Duration::from_millis(50)));
        assert_eq!(budget.stopped_for(), None);
        std::thread::sleep(Duration::from_millis(150));
        let since = budget.stopped_for().unwrap();
        assert!(since >= Duration::from_millis(90), "{since:?}");

        let signalled = Cancel::new();
        signalled.interrupt_by(Signal::Term);
        let first = signalled.stopped_for().unwrap();
        assert!(first < Duration::from_millis(50), "{first:?}");
        std::thread::sleep(Duration::from_millis(100));
        assert!(signalled.stopped_for().unwrap() >= Duration::from_millis(100));
    }

    #[test]
    fn politeness_caps_connections_and_spaces_requests() {
        let cancel = Cancel::new();
        let polite = Politeness::new(None, 2);
        let a = polite.acquire("h", &cancel).unwrap();
        let _b = polite.acquire("h", &cancel).unwrap();
        // A third request to the same host waits; another host does not.
        let _other = polite.acquire("other", &cancel).unwrap();
        let budget = cancel.clone().with_budget(Some(Duration::from_millis(200)));
        assert!(polite.acquire("h", &budget).is_err());
        drop(a);
        assert!(polite.acquire("h", &cancel).is_ok());

        let rated = Politeness::new(Some(10.0), 8);
        let started = Instant::now();
        for _ in 0..4 {
            drop(rated.acquire("h", &cancel).unwrap());
        }
        // Four starts at 10 per second: at least three intervals of 100 ms.
        assert!(started.elapsed() >= Duration::from_millis(300));

        let delayed = Politeness::new(None, 8);
        delayed.set_delay("h", Duration::from_millis(150));
        let started = Instant::now();
        drop(delayed.acquire("h", &cancel).unwrap());
        drop(delayed.acquire("h", &cancel).unwrap());
        assert!(started.elapsed() >= Duration::from_millis(150));
    }
}
