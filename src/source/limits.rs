//! The limits a run lives within: when to stop ([`Cancel`]: Ctrl-C and `--max-time`), how hard to
//! press on one host ([`Politeness`]: `--rate`, `--max-host-connections`, robots.txt
//! `Crawl-delay`), and how long a server asks us to wait before retrying ([`retry_after`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How often a waiting worker looks at the cancel flag.
const TICK: Duration = Duration::from_millis(50);

/// Why a run stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Ctrl-C (SIGINT) or SIGTERM.
    Interrupted,
    /// The `--max-time` budget is spent.
    OutOfTime,
}

impl Stop {
    /// Why, in words, for problem messages.
    pub fn reason(self) -> &'static str {
        match self {
            Stop::Interrupted => "the run was interrupted (Ctrl-C)",
            Stop::OutOfTime => "the --max-time budget was spent",
        }
    }
}

/// Whether the run must stop: a flag a signal handler sets, and an optional wall-clock deadline.
/// Cheap to clone; clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    flag: Arc<AtomicBool>,
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

    /// The flag to hand to a signal handler: setting it to `true` interrupts the run.
    pub fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.flag)
    }

    /// Interrupt the run (as Ctrl-C does).
    pub fn interrupt(&self) {
        self.flag.store(true, Ordering::SeqCst);
    }

    /// Why the run must stop now, if it must.
    pub fn stopped(&self) -> Option<Stop> {
        if self.flag.load(Ordering::SeqCst) {
            Some(Stop::Interrupted)
        } else if self.deadline.is_some_and(|d| Instant::now() >= d) {
            Some(Stop::OutOfTime)
        } else {
            None
        }
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
