//! A count of the bytes the slow paths visit (regex windows, line extents, directive searches),
//! kept in tests only: a test that doubles an input checks that the work doubles too, which
//! catches a quadratic path without timing anything.

#[cfg(test)]
thread_local! {
    static WORK: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts `n` units of work (in tests; nothing otherwise).
#[inline]
pub(crate) fn add(n: usize) {
    #[cfg(test)]
    WORK.with(|w| w.set(w.get() + n as u64));
    #[cfg(not(test))]
    let _ = n;
}

/// The work counted on this thread so far.
#[cfg(test)]
pub(crate) fn total() -> u64 {
    WORK.with(std::cell::Cell::get)
}
