//! Progress bars on stderr, only for a person watching a terminal.
//!
//! Hidden when stderr is not a terminal (pipes, cron, CI) or when `CI` is set, so logs stay
//! clean and nothing is drawn that nobody sees.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// True when a bar would be seen.
pub fn visible() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

/// A bar for `len` items of the step `label`, with rate and ETA; hidden when not visible.
pub fn bar(len: u64, label: &str) -> ProgressBar {
    if !visible() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    let style = ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} {per_sec} ETA {eta}")
        .expect("the template is valid")
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(label.to_string());
    bar
}

#[cfg(test)]
mod tests {
    #[test]
    fn hidden_in_tests() {
        // Test output is captured, so stderr is not a terminal here.
        let b = super::bar(10, "test");
        b.inc(1);
        assert!(b.is_hidden());
    }
}
