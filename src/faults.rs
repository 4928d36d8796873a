//! Injected failure points, for the tests that kill a run mid-way.
//!
//! `CERTBATCH_FAIL_AT=<point>` makes the process abort at that point, as `kill -9` would:
//! no destructor runs, no transaction commits, no buffer is flushed. Points are named
//! where a crash is most likely to break an all-or-nothing promise.

/// Aborts the process when `CERTBATCH_FAIL_AT` names `point`; `point#N` aborts at its
/// N-th pass (the card station's second card, say).
pub fn point(point: &str) {
    static PASSES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let Ok(wanted) = std::env::var("CERTBATCH_FAIL_AT") else { return };
    let (name, nth) = match wanted.split_once('#') {
        Some((name, n)) => (name, n.parse().unwrap_or(1)),
        None => (wanted.as_str(), 1),
    };
    if name == point && PASSES.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == nth {
        eprintln!("certbatch: injected failure at {wanted}");
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_unnamed_point_does_nothing() {
        super::point("a-point-no-test-sets");
    }
}
