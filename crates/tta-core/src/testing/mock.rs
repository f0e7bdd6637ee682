//! [`Mock`]: a primitive that records its calls and answers from a script.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::context::WorkflowContext;
use crate::error::{Error, Result};
use crate::instrument::{Kind, Meta};
use crate::primitive::Primitive;

struct Script<I, O> {
    calls: Vec<I>,
    responses: VecDeque<Result<O>>,
}

/// A primitive that records every input it is called with and returns the
/// scripted outputs and errors in order. Once the script runs out, calls
/// fail with a permanent error that says so.
///
/// Clones share the script and the recorded calls, so keep a clone to
/// inspect after moving one into a workflow. Telemetry is the same as any
/// other primitive's, under the mock's name.
pub struct Mock<I, O> {
    state: Arc<Mutex<Script<I, O>>>,
    meta: Meta,
}

impl<I, O> Mock<I, O> {
    /// A mock named `name` with an empty script.
    pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
        Self {
            state: Arc::new(Mutex::new(Script {
                calls: Vec::new(),
                responses: VecDeque::new(),
            })),
            meta: Meta::new(name, Kind::CUSTOM),
        }
    }

    fn script(&self) -> MutexGuard<'_, Script<I, O>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends an output to the script.
    pub fn then_return(self, output: O) -> Self {
        self.script().responses.push_back(Ok(output));
        self
    }

    /// Appends an error to the script.
    pub fn then_fail(self, error: Error) -> Self {
        self.script().responses.push_back(Err(error));
        self
    }

    /// How many times the mock was called.
    pub fn call_count(&self) -> usize {
        self.script().calls.len()
    }

    /// Scripted responses not yet used.
    pub fn remaining(&self) -> usize {
        self.script().responses.len()
    }
}

impl<I: Clone, O> Mock<I, O> {
    /// The inputs of every call so far, in order.
    pub fn calls(&self) -> Vec<I> {
        self.script().calls.clone()
    }
}

impl<I, O> Clone for Mock<I, O> {
    fn clone(&self) -> Self {
        Self {
            state: Arc::clone(&self.state),
            meta: Meta::new(self.meta.name().to_owned(), self.meta.kind()),
        }
    }
}

impl<I: Send + 'static, O: Send + 'static> Primitive for Mock<I, O> {
    type Input = I;
    type Output = O;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    async fn execute(&self, input: I, _ctx: &WorkflowContext) -> Result<O> {
        let mut script = self.script();
        script.calls.push(input);
        script.responses.pop_front().unwrap_or_else(|| {
            Err(Error::msg(format!(
                "mock `{}` has no scripted response left for call {}",
                self.meta.name(),
                script.calls.len()
            )))
        })
    }
}

crate::impl_operators!(impl [I, O,] for Mock<I, O>);
