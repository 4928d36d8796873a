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

    /// Prints a figure measured elsewhere (a sum of CPU time), not a step.
    pub fn note(&self, what: &str, time: std::time::Duration) {
        if self.last.is_some() {
            eprintln!("certbatch timing: {what:<26} {:8.3} s", time.as_secs_f64());
        }
    }

    /// Ends the step `what` (the time since the last mark) and starts the next.
    pub fn mark(&mut self, what: &str) {
        if let Some(last) = self.last {
            eprintln!("certbatch timing: {what:<26} {:8.3} s", last.elapsed().as_secs_f64());
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
        t.note("nothing either", std::time::Duration::from_secs(1));
        assert!(t.last.is_none());
    }
}
