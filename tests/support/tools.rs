//! External tools the tests run: Prometheus's `promtool` and the
//! Pushgateway, both from Debian packages that `.ci/run` installs.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The tool's path, or `None` outside CI when it is not installed, so a
/// developer without it still runs every other test. Under `CI=true` a
/// missing tool fails the test: CI must have installed it.
pub fn find(tool: &str, package: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(tool))
            .find(|path| path.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("CI").is_err(),
            "`{tool}` is missing under CI; `.ci/run` installs Debian's `{package}` package"
        );
        // Straight to stderr, past the test harness's capture, so a local
        // run shows what it did not check.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: the `{tool}` part of this test; install Debian's `{package}` package to run it"
        );
    }
    found
}

/// `promtool check metrics` finds nothing to report in `scrape`; skipped,
/// with a note, where promtool is missing and `CI` is not set.
pub fn promtool_check_metrics(scrape: &str) {
    let Some(promtool) = find("promtool", "prometheus") else {
        return;
    };
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(scrape.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "promtool check metrics:\n{report}");
    assert!(
        report.trim().is_empty(),
        "promtool check metrics:\n{report}"
    );
}
