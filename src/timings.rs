//! Where a run's time goes, for whoever profiles it: with `CERTBATCH_TIMINGS=1` each step
//! prints its wall time on stderr as it ends; otherwise nothing is measured or printed.

use std::time::Instant;

/// A stopwatch over consecutive steps.
pub struct Timings {
    last: Option<Instant>,
}

impl Timings {
    /// On when `CERTBATCH_TIMINGS` is set (to anything but `0`).
    pub fn start() -> Timings {
        let on = std::env::var_os("CERTBATCH_TIMINGS").is_some_and(|v| v != "0");
        Timings { last: on.then(Instant::now) }
    }

    /// Ends the step `what` (the time since the last mark) and starts the next.
    pub fn mark(&mut self, what: &str) {
        if let Some(last) = self.last {
            eprintln!("certbatch timing: {what:<20} {:8.3} s", last.elapsed().as_secs_f64());
            self.last = Some(Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn off_unless_asked() {
        // The test harness does not set CERTBATCH_TIMINGS.
        let mut t = super::Timings::start();
        t.mark("nothing");
        assert!(t.last.is_none());
    }
}
