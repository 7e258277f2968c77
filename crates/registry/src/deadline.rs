//! A request's deadline, seen by the work it starts on a blocking thread.
//!
//! The server answers `408 timeout` once [`crate::server::REQUEST_TIMEOUT`] has passed, but that
//! only drops the request's future: a page's work on the blocking pool would go on (the issue's
//! probe saw a `/flags` view use 96 CPU-seconds, past its 30 s deadline). So the handlers run
//! their work under [`with`], which sets the deadline for the current thread; loops over rows
//! call [`check`], and SQLite statements are interrupted by a progress handler that asks
//! [`passed`] (`store::sqlite`). Work without a deadline (the writer thread, migrations, the
//! command line) is never stopped.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a request's work may run, in milliseconds ([`crate::server::WORK_DEADLINE`]
/// unless `registry serve --work-deadline-ms` says otherwise, for tests).
static WORK_LIMIT_MS: AtomicU64 = AtomicU64::new(crate::server::WORK_DEADLINE.as_millis() as u64);

/// Sets how long a request's work may run, for every request from now on.
pub fn set_work_limit(limit: Duration) {
    WORK_LIMIT_MS.store(limit.as_millis() as u64, Ordering::Relaxed);
}

/// The deadline of a request arriving now.
pub fn for_new_request() -> Instant {
    Instant::now() + Duration::from_millis(WORK_LIMIT_MS.load(Ordering::Relaxed))
}

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// The deadline passed: the work stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expired;

/// Runs `f` with `deadline` set for this thread (the previous one is restored after).
pub fn with<R>(deadline: Instant, f: impl FnOnce() -> R) -> R {
    let before = DEADLINE.with(|d| d.replace(Some(deadline)));
    let result = f();
    DEADLINE.with(|d| d.set(before));
    result
}

/// Whether this thread's deadline (if any) has passed.
pub fn passed() -> bool {
    DEADLINE.with(|d| d.get()).is_some_and(|d| Instant::now() >= d)
}

/// `Err` once this thread's deadline has passed.
pub fn check() -> Result<(), Expired> {
    if passed() {
        Err(Expired)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_holds_on_its_thread_only_and_is_restored() {
        assert!(check().is_ok(), "no deadline: never expired");
        let past = Instant::now() - Duration::from_millis(1);
        with(past, || {
            assert_eq!(check(), Err(Expired));
            std::thread::spawn(|| assert!(!passed(), "another thread has its own")).join().expect("thread");
            with(Instant::now() + Duration::from_secs(60), || assert!(!passed()));
            assert!(passed(), "the outer deadline is back");
        });
        assert!(!passed());
    }
}
