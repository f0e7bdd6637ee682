//! External tools the tests run: Prometheus's `promtool` and the
//! Pushgateway, both from Debian packages that `.ci/run` installs.

use std::path::PathBuf;

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
        eprintln!("skipping the `{tool}` part: install Debian's `{package}` package to run it");
    }
    found
}
