//! Phase timings for benchmarks: with `PODMARK_TIMINGS` set in the environment, each [`lap`]
//! prints the milliseconds since the previous one (or since the build began) to stderr, e.g.
//! `podmark timing: site pages: 212.4 ms`. `benches/scale.sh` reads them to compare the time the
//! website takes with the feed's.

use std::cell::Cell;
use std::sync::OnceLock;
use std::time::Instant;

fn on() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("PODMARK_TIMINGS").is_some_and(|v| !v.is_empty()))
}

thread_local! {
    static LAST: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Starts the clock (the beginning of a build).
pub(super) fn start() {
    if on() {
        LAST.with(|l| l.set(Some(Instant::now())));
    }
}

/// Prints the time since the previous lap as `what`.
pub(super) fn lap(what: &str) {
    if !on() {
        return;
    }
    let now = Instant::now();
    let prev = LAST.with(|l| l.replace(Some(now))).unwrap_or(now);
    eprintln!("podmark timing: {what}: {:.1} ms", (now - prev).as_secs_f64() * 1000.0);
}

/// Prints `took` as `what`, a part of the current lap measured on its own (e.g. rendering the
/// feed's items among the episodes' work), and leaves it out of that lap.
pub(super) fn part(what: &str, took: std::time::Duration) {
    if !on() {
        return;
    }
    LAST.with(|l| l.set(l.get().map(|t| t + took)));
    eprintln!("podmark timing: {what}: {:.1} ms", took.as_secs_f64() * 1000.0);
}
