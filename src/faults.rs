//! Injected failure points, for the tests that kill a run mid-way.
//!
//! `CERTBATCH_FAIL_AT=<point>` makes the process abort at that point, as `kill -9` would:
//! no destructor runs, no transaction commits, no buffer is flushed. Points are named
//! where a crash is most likely to break an all-or-nothing promise.

/// Aborts the process when `CERTBATCH_FAIL_AT` names `point`.
pub fn point(point: &str) {
    if std::env::var("CERTBATCH_FAIL_AT").is_ok_and(|p| p == point) {
        eprintln!("certbatch: injected failure at {point}");
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
