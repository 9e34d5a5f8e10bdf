//! Running a level's items on worker threads, taking their results in order, with what is held
//! at once bounded (backpressure) and a stop that never waits on a stalled worker.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::{Cancel, Stop};

/// How long a stop waits for the items in progress before leaving them behind, and how often the
/// waiting taker looks at the stop flag: together, at most 50 ms.
const STOP_GRACE: Duration = Duration::from_millis(40);
const STOP_POLL: Duration = Duration::from_millis(10);

/// What the workers of [`parallel_bounded`] share with the taker.
struct Shared<T, R> {
    items: Vec<T>,
    state: Mutex<InOrder<R>>,
    /// The taker waits on it for results to take (or the last worker to end).
    done: Condvar,
    /// Workers wait on it for room to start an item.
    room: Condvar,
}

/// Items handed out, results not yet taken, and how many workers still run.
struct InOrder<R> {
    /// The next item to start.
    next: usize,
    /// Results taken so far: an item starts only within [`window`] of it, so the results waiting
    /// behind a slow one stay few (backpressure).
    taken: usize,
    /// Set when the taker leaves the workers behind: no item starts after it.
    closed: bool,
    /// Each item's result once done (a panic is handed over too, and raised by the taker), with
    /// its weight.
    slots: Vec<Option<(std::thread::Result<R>, usize)>>,
    live: usize,
    /// Bytes held: a reservation for each item running, the weight of each result not taken.
    held: usize,
    /// Workers waiting for room, and whether the taker waits for results: each side is woken
    /// only when it waits and the other has done enough to be worth it (see
    /// [`InOrder::worth_taking`]; a wake-up is two thread switches, and one per page was a tenth
    /// of a small-page folder's CPU time).
    waiting: usize,
    taker_waits: bool,
}

impl<R> InOrder<R> {
    /// Whether the waiting taker is worth waking now that an item is done or a worker waits for
    /// room: the results ready in order from the next one to take make a batch (half a window),
    /// or the workers need it to go on (they wait for room, or nothing is left to start). Waking
    /// it for each result cost two thread switches a page, and a worker its core, a tenth of a
    /// small-page folder's time; a result left waiting is taken at the taker's next look
    /// ([`STOP_POLL`]) at most.
    fn worth_taking(&self, n: usize, workers: usize) -> bool {
        if self.slots.get(self.taken).is_none_or(Option::is_none) {
            return false;
        }
        if self.waiting > 0 || self.next >= n {
            return true;
        }
        let batch = (window(workers) / 2).max(1);
        self.slots[self.taken..]
            .iter()
            .take(batch)
            .take_while(|slot| slot.is_some())
            .count()
            >= batch
    }
}

impl<T, R> Shared<T, R> {
    fn lock(&self) -> std::sync::MutexGuard<'_, InOrder<R>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// How far past the last result taken an item may start: eight per worker, so that a slow item
/// holds back at most that many results, and workers seldom wait for the taker.
fn window(workers: usize) -> usize {
    workers * 8
}

/// What [`parallel_bounded`] may hold at once, in bytes: each item running counts `reserve`
/// (what it may read: a page's body), each result waiting to be taken its weight.
#[derive(Clone, Copy, Debug)]
pub(super) struct Budget {
    pub bytes: usize,
    pub reserve: usize,
}

impl Budget {
    /// No bound but the window.
    pub const NONE: Budget = Budget {
        bytes: usize::MAX,
        reserve: 0,
    };
}

/// [`parallel_bounded`] with no bound but the window.
pub(super) fn parallel_in_order<T, R>(
    items: Vec<T>,
    workers: usize,
    cancel: &Cancel,
    f: impl Fn(&T) -> R + Send + Sync + 'static,
    take: impl FnMut(R),
    abandon: impl FnMut(&T, Stop) -> R,
) -> Option<Stop>
where
    T: Send + Sync + 'static,
    R: Send + 'static,
{
    parallel_bounded(
        items,
        workers,
        Budget::NONE,
        cancel,
        f,
        |_| 0,
        take,
        abandon,
    )
}

/// Run `f` over `items` on up to `workers` threads, handing each result to `take` on the calling
/// thread in input order, while the workers go on: once it and every result before it are ready,
/// the results ready are taken in a batch, when the workers need room, when nothing is left to
/// start, or at the latest at the taker's next look ([`STOP_POLL`]).
///
/// What is held stays bounded whatever the number of items (backpressure): an item starts only
/// within [`window`] of the last result taken, and only while the bytes held (`budget.reserve`
/// for each item running, `weigh(result)` for each result waiting) leave room for one more. The
/// next item to be taken always starts, so a result heavier than the budget cannot stall the run.
///
/// Once `cancel` says stop, no new item is started, and the reason is returned. The items in
/// progress get [`STOP_GRACE`] to finish; those still running then (a read stalled on a dead
/// server) are taken as `abandon(item, stop)` and their threads are left behind, to end on their
/// own or with the process: the caller is not held by a blocked worker. (Only if not one thread
/// can be started does the caller run the items itself, and then a stalled read holds it.)
#[allow(clippy::too_many_arguments)]
pub(super) fn parallel_bounded<T, R>(
    items: Vec<T>,
    workers: usize,
    budget: Budget,
    cancel: &Cancel,
    f: impl Fn(&T) -> R + Send + Sync + 'static,
    weigh: impl Fn(&R) -> usize + Send + Sync + 'static,
    mut take: impl FnMut(R),
    mut abandon: impl FnMut(&T, Stop) -> R,
) -> Option<Stop>
where
    T: Send + Sync + 'static,
    R: Send + 'static,
{
    let n = items.len();
    let workers = workers.clamp(1, n.max(1));
    let shared = Arc::new(Shared {
        items,
        state: Mutex::new(InOrder {
            next: 0,
            taken: 0,
            closed: false,
            slots: (0..n).map(|_| None).collect(),
            live: workers,
            held: 0,
            waiting: 0,
            taker_waits: false,
        }),
        done: Condvar::new(),
        room: Condvar::new(),
    });
    let f = Arc::new(f);
    let weigh = Arc::new(weigh);
    let mut threads = Vec::with_capacity(workers);
    for _ in 0..workers {
        let (mine, f, cancel) = (Arc::clone(&shared), Arc::clone(&f), cancel.clone());
        let weigh = Arc::clone(&weigh);
        let spawned = std::thread::Builder::new()
            .name("heap-audit-worker".into())
            .spawn(move || {
                loop {
                    // Claimed under the lock, so the taker knows every item started.
                    let i = {
                        let mut state = mine.lock();
                        loop {
                            // Nothing left to start: the worker ends (it must not wait for room).
                            if state.closed || cancel.stopped().is_some() || state.next >= n {
                                break None;
                            }
                            let head = state.next == state.taken;
                            let room = state.held.saturating_add(budget.reserve) <= budget.bytes;
                            if state.next < state.taken + window(workers) && (head || room) {
                                state.next += 1;
                                state.held = state.held.saturating_add(budget.reserve);
                                break Some(state.next - 1);
                            }
                            state.waiting += 1;
                            // Only the taker makes room: if a result waits for it, it is woken
                            // now, not at its next look.
                            if state.taker_waits && state.worth_taking(n, workers) {
                                mine.done.notify_one();
                            }
                            state = mine
                                .room
                                .wait_timeout(state, STOP_POLL)
                                .unwrap_or_else(|e| e.into_inner())
                                .0;
                            state.waiting -= 1;
                        }
                    };
                    let Some(i) = i else {
                        break;
                    };
                    let Some(item) = mine.items.get(i) else {
                        break;
                    };
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(item)));
                    let weight = r.as_ref().map_or(0, |r| weigh(r));
                    let (wake, freed) = {
                        let mut state = mine.lock();
                        state.held = state.held.saturating_sub(budget.reserve) + weight;
                        state.slots[i] = Some((r, weight));
                        // Room is only ever made here when the result weighs less than what
                        // the item reserved.
                        let freed = state.waiting > 0 && weight < budget.reserve;
                        (state.taker_waits && state.worth_taking(n, workers), freed)
                    };
                    if wake {
                        mine.done.notify_one();
                    }
                    if freed {
                        mine.room.notify_all();
                    }
                }
                mine.lock().live -= 1;
                mine.done.notify_one();
                mine.room.notify_all();
            });
        match spawned {
            Ok(thread) => threads.push(thread),
            // A thread that cannot be started leaves the others to do its share.
            Err(_) => shared.lock().live -= 1,
        }
    }
    if threads.is_empty() {
        // Not one thread: do the work here.
        for item in &shared.items {
            if cancel.stopped().is_some() {
                break;
            }
            take(f(item));
        }
        return cancel.stopped();
    }
    // Every item started is finished (or abandoned), so the items done are always the first
    // ones: once no worker runs, a missing result means the run was stopped there.
    let mut stopped_at = None;
    for i in 0..n {
        let mut guard = shared.lock();
        let r = loop {
            if let Some(r) = guard.slots[i].take() {
                break Some(r);
            }
            if guard.live == 0 {
                break None;
            }
            if let Some(stop) = cancel.stopped() {
                let since = *stopped_at.get_or_insert_with(std::time::Instant::now);
                if since.elapsed() >= STOP_GRACE {
                    // Leave the workers behind: take what is done, in order, and the rest of
                    // what was started as abandoned.
                    guard.closed = true;
                    let started = guard.next.min(n);
                    let mut done: Vec<_> = (i..started).map(|j| guard.slots[j].take()).collect();
                    drop(guard);
                    for (j, r) in (i..started).zip(done.drain(..)) {
                        match r.map(|(r, _)| r) {
                            Some(Ok(r)) => take(r),
                            Some(Err(panic)) => std::panic::resume_unwind(panic),
                            None => take(abandon(&shared.items[j], stop)),
                        }
                    }
                    return Some(stop);
                }
            }
            guard.taker_waits = true;
            guard = shared
                .done
                .wait_timeout(guard, STOP_POLL)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            guard.taker_waits = false;
        };
        guard.taken = i + 1;
        if let Some((_, weight)) = &r {
            guard.held = guard.held.saturating_sub(*weight);
        }
        let waiting = guard.waiting > 0;
        drop(guard);
        if waiting {
            shared.room.notify_all();
        }
        match r.map(|(r, _)| r) {
            Some(Ok(r)) => take(r),
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => break,
        }
    }
    // Every worker has ended, or is about to (nothing is left to start).
    for thread in threads {
        let _ = thread.join();
    }
    cancel.stopped()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An item is never abandoned in these tests unless they say so.
    fn never<T: std::fmt::Debug, R>(item: &T, stop: Stop) -> R {
        panic!("{item:?} abandoned ({stop:?})")
    }

    /// A state of `n` items with those of `done` finished, `next` started, `taken` taken.
    fn state(n: usize, done: &[usize], next: usize, taken: usize) -> InOrder<usize> {
        let mut slots: Vec<Option<(std::thread::Result<usize>, usize)>> =
            (0..n).map(|_| None).collect();
        for &i in done {
            slots[i] = Some((Ok(i), 0));
        }
        InOrder {
            next,
            taken,
            closed: false,
            slots,
            live: 2,
            held: 0,
            waiting: 0,
            taker_waits: true,
        }
    }

    #[test]
    fn the_taker_is_woken_for_a_batch_or_when_the_workers_need_it_not_for_each_result() {
        // Two workers: a window of 16, a batch of 8.
        assert_eq!(window(2) / 2, 8);
        // The next result to take is not ready: never worth waking for.
        assert!(!state(100, &[3, 4, 5], 10, 2).worth_taking(100, 2));
        // Ready, but fewer than a batch, more items to start and no worker waiting: not yet.
        assert!(!state(100, &[2, 3, 4], 10, 2).worth_taking(100, 2));
        // A batch in order from the next one to take.
        let batch: Vec<usize> = (2..10).collect();
        assert!(state(100, &batch, 12, 2).worth_taking(100, 2));
        // A gap makes the run ready in order shorter than a batch.
        let gap: Vec<usize> = (2..10).filter(|&i| i != 5).collect();
        assert!(!state(100, &gap, 12, 2).worth_taking(100, 2));
        // A worker waits for room: wake the taker at once.
        let mut waiting = state(100, &[2], 18, 2);
        waiting.waiting = 1;
        assert!(waiting.worth_taking(100, 2));
        // Nothing is left to start: every result is worth taking (the last ones too).
        assert!(state(100, &[98], 100, 98).worth_taking(100, 2));
    }

    #[test]
    fn results_are_taken_in_input_order_whatever_finishes_first() {
        let items: Vec<u64> = (0..200).collect();
        let mut taken = Vec::new();
        let stop = parallel_in_order(
            items.clone(),
            8,
            &Cancel::new(),
            |&i| {
                // Early items take longest, so later ones finish first.
                std::thread::sleep(std::time::Duration::from_micros(200 - i));
                i * 2
            },
            |r| taken.push(r),
            never,
        );
        assert_eq!(stop, None);
        assert_eq!(taken, items.iter().map(|i| i * 2).collect::<Vec<_>>());
    }

    #[test]
    fn a_slow_item_holds_back_at_most_a_window_of_results() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let started = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&started);
        let mut at_first_take = None;
        let stop = parallel_in_order(
            (0..500usize).collect(),
            4,
            &Cancel::new(),
            move |&i| {
                counter.fetch_add(1, Ordering::SeqCst);
                if i == 0 {
                    std::thread::sleep(Duration::from_millis(300));
                }
                i
            },
            |i| {
                if i == 0 {
                    at_first_take = Some(started.load(Ordering::SeqCst));
                }
            },
            never,
        );
        assert_eq!(stop, None);
        // Without the window, the 3 other workers would have run through all 500 items. The
        // window moves on as item 0 is handed to `take`, so one more may start before it reads.
        let n = at_first_take.unwrap_or(usize::MAX);
        assert!(n <= window(4) + 1, "{n} items started behind the slow one");
    }

    #[test]
    fn a_stop_takes_the_items_done_and_no_more() {
        let items: Vec<usize> = (0..1000).collect();
        let cancel = Cancel::new();
        let mut taken = Vec::new();
        let interrupt = cancel.clone();
        let stop = parallel_in_order(
            items,
            4,
            &cancel,
            move |&i| {
                if i == 100 {
                    interrupt.interrupt();
                }
                i
            },
            |r| taken.push(r),
            never,
        );
        assert_eq!(stop, Some(Stop::Interrupted));
        // Every item started was finished and taken, in order, with no gap.
        assert!(taken.len() > 100 && taken.len() < 1000, "{}", taken.len());
        assert_eq!(taken, (0..taken.len()).collect::<Vec<_>>());
    }

    #[test]
    fn a_stop_leaves_a_blocked_item_behind_and_takes_it_as_abandoned() {
        let items: Vec<usize> = (0..100).collect();
        let cancel = Cancel::new();
        let interrupt = cancel.clone();
        let mut taken = Vec::new();
        let started = std::time::Instant::now();
        let stop = parallel_in_order(
            items,
            4,
            &cancel,
            move |&i| {
                if i == 10 {
                    // A read on a server that never answers.
                    interrupt.interrupt();
                    std::thread::sleep(Duration::from_secs(30));
                }
                format!("done {i}")
            },
            |r| taken.push(r),
            |&i, stop| format!("abandoned {i} ({})", stop.reason()),
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(stop, Some(Stop::Interrupted));
        // The items before the blocked one are done; it is abandoned; nothing after it is lost
        // that was done, and nothing is taken twice.
        assert_eq!(
            taken[..10],
            (0..10).map(|i| format!("done {i}")).collect::<Vec<_>>()
        );
        assert_eq!(taken[10], "abandoned 10 (the run was interrupted (Ctrl-C))");
        assert!(taken.len() < 100, "{}", taken.len());
        // Each item started is taken once, in order: done, or abandoned if still running.
        for (k, r) in taken.iter().enumerate() {
            assert!(
                *r == format!("done {k}") || r.starts_with(&format!("abandoned {k} ")),
                "{k}: {r}"
            );
        }
    }

    #[test]
    fn a_panicking_item_is_raised_on_the_calling_thread() {
        let items: Vec<usize> = (0..50).collect();
        let outcome = std::panic::catch_unwind(|| {
            parallel_in_order(
                items,
                4,
                &Cancel::new(),
                |&i| {
                    assert!(i != 7, "item 7");
                    i
                },
                |_| {},
                never,
            )
        });
        assert!(outcome.is_err());
    }

    #[test]
    fn heavy_results_waiting_hold_back_new_items_but_never_the_next_one() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        // Each result weighs 40 of a 100-byte budget and each item reserves 10: item 0 is slow.
        // Four may start at once (4 × 10); as two of them finish (10 + 40 + 40 + 10 = 100) one more
        // fits, then none: five at most, six counting the one that may start as item 0 is handed
        // over. Without the budget the three free workers would run through all 100 items.
        let started = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&started);
        let mut at_first_take = None;
        let stop = parallel_bounded(
            (0..100usize).collect(),
            4,
            Budget {
                bytes: 100,
                reserve: 10,
            },
            &Cancel::new(),
            move |&i| {
                counter.fetch_add(1, Ordering::SeqCst);
                if i == 0 {
                    std::thread::sleep(Duration::from_millis(300));
                }
                i
            },
            |_| 40,
            |i| {
                if i == 0 {
                    at_first_take = Some(started.load(Ordering::SeqCst));
                }
            },
            never,
        );
        assert_eq!(stop, None);
        let n = at_first_take.unwrap_or(usize::MAX);
        assert!(n <= 6, "{n} items started behind the slow one");
    }

    #[test]
    fn a_worker_waiting_for_room_wakes_the_taker_rather_than_wait_for_its_next_look() {
        // One worker, room for one result: after each item it waits for the taker to take the
        // result. Unwoken, the taker would only find it at its next look, 100 items taking
        // 100 looks (1 s); woken, they take a few milliseconds.
        let started = std::time::Instant::now();
        let mut taken = Vec::new();
        let stop = parallel_bounded(
            (0..100usize).collect(),
            1,
            Budget {
                bytes: 1,
                reserve: 1,
            },
            &Cancel::new(),
            |&i| i,
            |_| 1,
            |i| taken.push(i),
            never,
        );
        assert_eq!(stop, None);
        assert_eq!(taken, (0..100).collect::<Vec<_>>());
        let looks = started.elapsed().as_millis() / STOP_POLL.as_millis();
        assert!(looks < 50, "{:?} for 100 items", started.elapsed());
    }

    #[test]
    fn a_result_heavier_than_the_budget_does_not_stall_the_run() {
        let mut taken = Vec::new();
        let stop = parallel_bounded(
            (0..20usize).collect(),
            3,
            Budget {
                bytes: 10,
                reserve: 5,
            },
            &Cancel::new(),
            |&i| i,
            |_| 1000,
            |i| taken.push(i),
            never,
        );
        assert_eq!(stop, None);
        assert_eq!(taken, (0..20).collect::<Vec<_>>());
    }
}
