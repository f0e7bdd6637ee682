//! The telemetry thread: a small tokio runtime of its own that serves
//! `/metrics`, collects process metrics and pushes to a Pushgateway.
//!
//! Owning a thread keeps telemetry independent of the application's
//! runtime: `init()` works from a plain `main`, from `#[tokio::main]` of
//! either flavour, and its shutdown can close the endpoint for certain by
//! dropping the runtime on its own thread.

use std::future::Future;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::oneshot;

use crate::TelemetryError;

pub(crate) struct Background {
    handle: Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    pub(crate) fn start() -> Result<Self, TelemetryError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(TelemetryError::Thread)?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("tta-telemetry".to_owned())
            .spawn(move || {
                // Either a stop signal or a dropped sender ends the thread;
                // dropping the runtime here drops every task, listener included.
                let _ = runtime.block_on(stopped);
            })
            .map_err(TelemetryError::Thread)?;
        Ok(Self {
            handle,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Runs `future` on the telemetry thread and waits up to `limit` for it.
    pub(crate) fn run<T: Send + 'static>(
        &self,
        future: impl Future<Output = T> + Send + 'static,
        limit: Duration,
    ) -> Option<T> {
        let (sender, receiver) = mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let _ = sender.send(future.await);
        });
        receiver.recv_timeout(limit).ok()
    }

    /// Stops the runtime and waits for its thread.
    pub(crate) fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop();
    }
}
