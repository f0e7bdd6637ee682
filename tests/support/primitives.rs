//! Small primitives for tests: adders, failures, and a slow step that
//! reports whether it finished or was cancelled.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tta::{Error, Kind, Meta, Primitive, WorkflowContext};

/// Adds `n` to its input.
pub struct Add {
    meta: Meta,
    n: i64,
}

pub fn add(name: &'static str, n: i64) -> Add {
    Add {
        meta: Meta::from_static(name, Kind::CUSTOM),
        n,
    }
}

impl Primitive for Add {
    type Input = i64;
    type Output = i64;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    async fn execute(&self, input: i64, _ctx: &WorkflowContext) -> tta::Result<i64> {
        Ok(input + self.n)
    }
}

tta::impl_operators!(Add);

/// Always fails with `message`.
pub struct Fail {
    meta: Meta,
    message: &'static str,
}

pub fn fail(name: &'static str, message: &'static str) -> Fail {
    Fail {
        meta: Meta::from_static(name, Kind::CUSTOM),
        message,
    }
}

impl Primitive for Fail {
    type Input = i64;
    type Output = i64;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    async fn execute(&self, _input: i64, _ctx: &WorkflowContext) -> tta::Result<i64> {
        Err(Error::msg(self.message))
    }
}

tta::impl_operators!(Fail);
tta::impl_operators!(Observed);

/// Sleeps, then answers; flags whether it finished or was dropped first.
pub struct Observed {
    meta: Meta,
    delay: Duration,
    /// Set when `execute` ran to completion.
    pub finished: Arc<AtomicBool>,
    /// Set when the future was dropped before it completed.
    pub dropped_early: Arc<AtomicBool>,
}

impl Observed {
    pub fn new(name: &'static str, delay: Duration) -> Self {
        Self {
            meta: Meta::from_static(name, Kind::CUSTOM),
            delay,
            finished: Arc::default(),
            dropped_early: Arc::default(),
        }
    }
}

struct DropFlag {
    armed: bool,
    flag: Arc<AtomicBool>,
}

impl Drop for DropFlag {
    fn drop(&mut self) {
        if self.armed {
            self.flag.store(true, Ordering::SeqCst);
        }
    }
}

impl Primitive for Observed {
    type Input = i64;
    type Output = i64;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    async fn execute(&self, input: i64, _ctx: &WorkflowContext) -> tta::Result<i64> {
        let mut guard = DropFlag {
            armed: true,
            flag: self.dropped_early.clone(),
        };
        tokio::time::sleep(self.delay).await;
        guard.armed = false;
        self.finished.store(true, Ordering::SeqCst);
        Ok(input)
    }
}

/// Sleeps for a fixed time on tokio's clock, then passes its input on.
pub struct Sleepy {
    meta: Meta,
    delay: Duration,
}

pub fn sleepy(name: &'static str, millis: u64) -> Sleepy {
    Sleepy {
        meta: Meta::from_static(name, Kind::CUSTOM),
        delay: Duration::from_millis(millis),
    }
}

impl Primitive for Sleepy {
    type Input = i64;
    type Output = i64;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    async fn execute(&self, input: i64, _ctx: &WorkflowContext) -> tta::Result<i64> {
        tokio::time::sleep(self.delay).await;
        Ok(input)
    }
}

tta::impl_operators!(Sleepy);
