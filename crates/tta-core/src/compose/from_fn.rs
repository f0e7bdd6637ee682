//! [`from_fn`]: a closure as a primitive.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

use crate::context::WorkflowContext;
use crate::error::Result;
use crate::instrument::{GenAiCall, Kind, Meta};
use crate::primitive::Primitive;

/// A primitive made from a closure by [`from_fn`].
pub struct FromFn<F, I, O> {
    f: F,
    meta: Meta,
    types: PhantomData<fn(I) -> O>,
}

/// Wraps an async closure as a primitive named `name`, of kind `custom`.
///
/// The closure gets the input and a clone of the context (a reference-count
/// increment), so its future can own both.
///
/// ```
/// use tta_core::{from_fn, PrimitiveExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> tta_core::Result<()> {
/// let greet = from_fn("greet", |name: String, ctx| async move {
///     Ok(format!("hello {name} ({})", ctx.correlation_id().len()))
/// });
/// assert_eq!(greet.run("ada".to_owned()).await?, "hello ada (36)");
/// # Ok(())
/// # }
/// ```
pub fn from_fn<I, O, F, Fut>(name: impl Into<Cow<'static, str>>, f: F) -> FromFn<F, I, O>
where
    I: Send + 'static,
    O: Send + 'static,
    F: Fn(I, WorkflowContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<O>> + Send + 'static,
{
    FromFn {
        f,
        meta: Meta::new(name, Kind::CUSTOM),
        types: PhantomData,
    }
}

impl<F, I, O> FromFn<F, I, O> {
    /// Sets the `primitive_type` label (default `custom`).
    pub fn with_kind(mut self, kind: Kind) -> Self {
        self.meta = Meta::new(self.meta.name().to_owned(), kind);
        self
    }

    /// Declares the model call the closure makes: its spans become CLIENT
    /// spans named `{operation} {model}` and its kind [`Kind::LLM`]; see
    /// [`Meta::gen_ai`].
    pub fn with_gen_ai(mut self, call: GenAiCall) -> Self {
        self.meta = Meta::gen_ai(self.meta.name().to_owned(), call);
        self
    }
}

impl<F, I, O, Fut> Primitive for FromFn<F, I, O>
where
    I: Send + 'static,
    O: Send + 'static,
    F: Fn(I, WorkflowContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<O>> + Send + 'static,
{
    type Input = I;
    type Output = O;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    async fn execute(&self, input: I, ctx: &WorkflowContext) -> Result<O> {
        // Calling the closure inside the future keeps all of its code,
        // including any before its own `async` block, behind the
        // cancellation and deadline checks and inside the span.
        (self.f)(input, ctx.clone()).await
    }
}

impl<F, I, O> fmt::Debug for FromFn<F, I, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FromFn").field("meta", &self.meta).finish()
    }
}

crate::impl_operators!(impl [F, I, O,] for FromFn<F, I, O>);
