//! Catching the panics of third-party parsers (the YAML event parser)
//! without printing them: a caught panic becomes an ordinary error, and
//! users see that error, not a backtrace.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

thread_local! {
    /// How many [`catch`] calls are running on this thread.
    static GUARDED: Cell<u32> = const { Cell::new(0) };
}

/// A panic caught by [`catch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the parser panicked")]
pub struct Panicked;

/// Runs `f`; a panic inside it becomes `Err(Panicked)`. While `f` runs, the hook
/// installed by [`install_quiet_hook`] prints nothing for panics on this thread.
///
/// # Errors
/// [`Panicked`] when `f` panicked.
pub fn catch<R>(f: impl FnOnce() -> R) -> Result<R, Panicked> {
    GUARDED.with(|g| g.set(g.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(g.get() - 1));
    result.map_err(|_| Panicked)
}

/// Installs, once per process, a panic hook that is silent for panics caught
/// by [`catch`] and defers to the previous hook for every other panic (a
/// real bug still prints its message and backtrace).
pub fn install_quiet_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if GUARDED.with(Cell::get) == 0 {
                previous(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caught_panics_are_errors() {
        install_quiet_hook();
        assert_eq!(catch(|| 1), Ok(1));
        assert_eq!(catch(|| -> u8 { panic!("boom") }), Err(Panicked));
        // The guard count is restored after a panic.
        assert_eq!(GUARDED.with(Cell::get), 0);
    }
}
