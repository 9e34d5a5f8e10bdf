//! Per-run memoisation: what is shared between pages (a script file's scan, a container, a
//! Segment source's settings) is fetched and extracted once, even by concurrent workers.

use crate::hashing::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Memoises a value per key; concurrent callers for the same key wait for the first one.
pub struct Memo<T> {
    cells: Mutex<HashMap<String, Arc<OnceLock<Arc<T>>>>>,
}

impl<T> Default for Memo<T> {
    fn default() -> Memo<T> {
        Memo {
            cells: Mutex::new(HashMap::default()),
        }
    }
}

impl<T> Memo<T> {
    pub fn get_or(&self, key: &str, make: impl FnOnce() -> T) -> Arc<T> {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(cells.entry(key.to_owned()).or_default())
        };
        Arc::clone(cell.get_or_init(|| Arc::new(make())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memo_runs_once() {
        let memo = Memo::default();
        let mut calls = 0;
        let a = memo.get_or("k", || {
            calls += 1;
            1
        });
        let b = memo.get_or("k", || 2);
        assert_eq!((*a, *b, calls), (1, 1, 1));
    }
}
