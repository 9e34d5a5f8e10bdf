//! The hash maps and sets of the work after reading (rules, advice, inventory, baseline, report
//! indexes): foldhash rather than the standard SipHash, which was the largest single cost of the
//! rules on a 10,000-page folder (hashing each page's URL and evidence in every group). Seeded
//! at random once per run, so a site cannot pick keys that collide.

use std::hash::{BuildHasher, Hash};
use std::sync::LazyLock;

pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

/// The run's one seed for [`hash_of`]: equal values hash the same within a run.
static SEEDED: LazyLock<foldhash::fast::RandomState> = LazyLock::new(Default::default);

/// A value's 64-bit hash, the same for equal values within a run (never stored across runs).
pub fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
    SEEDED.hash_one(value)
}
