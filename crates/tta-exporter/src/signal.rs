//! Waiting for the signal that asks a process to stop, so that telemetry
//! is flushed under `docker stop`, systemd and Kubernetes (SIGTERM) as well
//! as under Ctrl-C (SIGINT).

use std::fmt;

/// The signal that asked the process to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StopSignal {
    /// SIGINT: Ctrl-C in a terminal.
    Interrupt,
    /// SIGTERM: `docker stop`, `systemctl stop`, a Kubernetes pod deletion.
    Terminate,
}

impl StopSignal {
    /// The exit status a shell reports for a process killed by this signal
    /// (128 + its number): 130 or 143. Use it when a second signal asks to
    /// exit at once.
    pub const fn exit_code(self) -> u8 {
        match self {
            StopSignal::Interrupt => 130,
            StopSignal::Terminate => 143,
        }
    }
}

impl fmt::Display for StopSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StopSignal::Interrupt => "SIGINT",
            StopSignal::Terminate => "SIGTERM",
        })
    }
}

/// Waits for SIGINT or SIGTERM, whichever comes first. On platforms without
/// SIGTERM, only for Ctrl-C.
///
/// Needs a tokio runtime with its I/O driver (`#[tokio::main]` has one).
/// Fails only if the signal handlers cannot be registered. Call it again
/// after a first signal to wait for a second one.
///
/// ```no_run
/// # #[tokio::main] async fn main() -> std::io::Result<()> {
/// let signal = tta_exporter::stop_signal().await?;
/// eprintln!("{signal}: stopping");
/// # Ok(()) }
/// ```
pub async fn stop_signal() -> std::io::Result<StopSignal> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            _ = interrupt.recv() => Ok(StopSignal::Interrupt),
            _ = terminate.recv() => Ok(StopSignal::Terminate),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await?;
        Ok(StopSignal::Interrupt)
    }
}
