//! Tests that need several processes run their own test binary again as a
//! child, selected by an environment variable, and talk to it through its
//! standard output. Every wait here is bounded.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// A copy of the current test binary running one test.
pub struct ChildTest {
    process: Child,
    lines: Receiver<String>,
}

impl ChildTest {
    /// Runs the test named `test` in a new process of this binary, with
    /// `env` added to its environment.
    pub fn spawn(test: &str, env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args(["--exact", test, "--nocapture", "--test-threads=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut process = command.spawn().unwrap();
        // Read on a thread of its own, so every wait below is bounded.
        let (sender, lines) = mpsc::channel();
        let stdout = process.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        Self { process, lines }
    }

    pub fn id(&self) -> u32 {
        self.process.id()
    }

    /// The text after `prefix` on the first line that holds it (the test
    /// harness prints the test's name on the same line as the child's first
    /// output). Kills the child and fails after `within`.
    pub fn wait_for(&mut self, prefix: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let Ok(line) = self.lines.recv_timeout(left) else {
                break;
            };
            if let Some((_, rest)) = line.split_once(prefix) {
                return rest.trim().to_owned();
            }
        }
        let _ = self.process.kill();
        panic!("the child printed no `{prefix}` within {within:?}");
    }

    /// Waits for the child to exit; kills it and fails after `within`.
    /// Returns its exit status and what it printed meanwhile.
    pub fn wait_exit(&mut self, within: Duration) -> (ExitStatus, Vec<String>) {
        let deadline = Instant::now() + within;
        let status = loop {
            if let Some(status) = self.process.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.process.kill();
                panic!("the child did not exit within {within:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let rest = std::iter::from_fn(|| self.lines.recv_timeout(Duration::from_secs(5)).ok());
        (status, rest.collect())
    }
}

impl Drop for ChildTest {
    fn drop(&mut self) {
        // A failed test must not leave its children running.
        if let Ok(None) = self.process.try_wait() {
            let _ = self.process.kill();
            let _ = self.process.wait();
        }
    }
}
