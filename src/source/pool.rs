//! The worker threads every source runs on, and the one way their results meet: each worker
//! keeps its own part and merges it into a [`Merged`] once, when it is done.

use std::sync::Mutex;

/// The number of workers `threads` asks for: 0 is one per core.
pub(crate) fn worker_count(threads: usize) -> usize {
    if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    }
}

/// Runs `work` once on each of `threads` threads (0: one per core) and waits for them.
pub(crate) fn run(threads: usize, work: &(dyn Fn() + Sync)) {
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => {
            pool.broadcast(|_| work());
        }
        Err(_) => work(),
    }
}

/// A result that workers add their parts to.
#[derive(Debug, Default)]
pub(crate) struct Merged<T>(Mutex<T>);

impl<T> Merged<T> {
    /// Starts from `value`.
    pub(crate) fn new(value: T) -> Merged<T> {
        Merged(Mutex::new(value))
    }

    /// Adds one worker's part (a poisoned lock is taken over: a worker that panicked lost
    /// only its own part).
    pub(crate) fn add<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The merged result so far, leaving the default in its place.
    pub(crate) fn take(&self) -> T
    where
        T: Default,
    {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The merged result.
    pub(crate) fn into_inner(self) -> T {
        self.0.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}
