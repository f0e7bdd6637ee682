//! [`BoxPrimitive`]: a primitive with its type erased.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::context::WorkflowContext;
use crate::error::Result;
use crate::graph::Graph;
use crate::instrument::Meta;
use crate::primitive::Primitive;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The object-safe face of a [`Primitive`].
trait ErasedPrimitive<I, O>: Send + Sync {
    fn meta(&self) -> &Meta;
    fn execute_boxed<'a>(&'a self, input: I, ctx: &'a WorkflowContext) -> BoxFuture<'a, Result<O>>;
    fn children(&self) -> Vec<Graph>;
}

impl<P: Primitive> ErasedPrimitive<P::Input, P::Output> for P {
    fn meta(&self) -> &Meta {
        Primitive::meta(self)
    }

    fn execute_boxed<'a>(
        &'a self,
        input: P::Input,
        ctx: &'a WorkflowContext,
    ) -> BoxFuture<'a, Result<P::Output>> {
        Box::pin(self.execute(input, ctx))
    }

    fn children(&self) -> Vec<Graph> {
        Primitive::children(self)
    }
}

/// Any primitive from `I` to `O`, behind one type.
///
/// For collections of different primitives: routes, fallback chains and
/// [`Parallel::all`](crate::Parallel::all). Cloning shares the primitive.
/// It is transparent to telemetry: spans, logs and metrics carry the inner
/// primitive's name and kind. Each call costs one allocation for the boxed
/// future; static composition with `>>` and `|` costs none.
pub struct BoxPrimitive<I, O> {
    inner: Arc<dyn ErasedPrimitive<I, O>>,
}

impl<I: Send + 'static, O: Send + 'static> BoxPrimitive<I, O> {
    /// Erases `primitive`'s type. Same as [`PrimitiveExt::boxed`](crate::PrimitiveExt::boxed).
    pub fn new(primitive: impl Primitive<Input = I, Output = O>) -> Self {
        Self {
            inner: Arc::new(primitive),
        }
    }
}

impl<I, O> Clone for BoxPrimitive<I, O> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<I: Send + 'static, O: Send + 'static> fmt::Debug for BoxPrimitive<I, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BoxPrimitive")
            .field(self.inner.meta())
            .finish()
    }
}

impl<I: Send + 'static, O: Send + 'static> Primitive for BoxPrimitive<I, O> {
    type Input = I;
    type Output = O;

    fn meta(&self) -> &Meta {
        self.inner.meta()
    }

    fn execute<'a>(
        &'a self,
        input: I,
        ctx: &'a WorkflowContext,
    ) -> impl Future<Output = Result<O>> + Send + 'a {
        self.inner.execute_boxed(input, ctx)
    }

    fn children(&self) -> Vec<Graph> {
        self.inner.children()
    }
}

crate::impl_operators!(impl [I, O,] for BoxPrimitive<I, O>);
