//! [`PrimitiveService`]: a primitive as a `tower::Service`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tower_service::Service;

use crate::context::WorkflowContext;
use crate::error::{Error, Result};
use crate::primitive::{Primitive, PrimitiveExt};

/// A primitive as a `tower::Service<Input>`: each request is one run of it,
/// in a fresh [`WorkflowContext`] unless [`with_context`](Self::with_context)
/// makes one from the request (to continue the caller's trace, say).
///
/// Always ready: a primitive has no capacity of its own to wait for. Put a
/// [`bulkhead`](crate::PrimitiveExt::bulkhead) or
/// [`rate_limit`](crate::PrimitiveExt::rate_limit) in the workflow to shed
/// load; they answer with errors rather than backpressure. Cheap to clone.
pub struct PrimitiveService<P: Primitive> {
    primitive: Arc<P>,
    context: Option<Arc<ContextFn<P::Input>>>,
}

type ContextFn<I> = dyn Fn(&I) -> WorkflowContext + Send + Sync;

/// The future of [`PrimitiveService::call`].
pub type ServiceFuture<O> = Pin<Box<dyn Future<Output = Result<O>> + Send>>;

impl<P: Primitive> PrimitiveService<P> {
    /// Serves `primitive`.
    pub fn new(primitive: P) -> Self {
        Self {
            primitive: Arc::new(primitive),
            context: None,
        }
    }

    /// Runs each request in the context `context` makes from it, for
    /// example from its `traceparent` header.
    pub fn with_context(
        mut self,
        context: impl Fn(&P::Input) -> WorkflowContext + Send + Sync + 'static,
    ) -> Self {
        self.context = Some(Arc::new(context));
        self
    }

    /// The served primitive.
    pub fn primitive(&self) -> &P {
        &self.primitive
    }
}

impl<P: Primitive> Clone for PrimitiveService<P> {
    fn clone(&self) -> Self {
        Self {
            primitive: Arc::clone(&self.primitive),
            context: self.context.clone(),
        }
    }
}

impl<P: Primitive> std::fmt::Debug for PrimitiveService<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrimitiveService")
            .field("primitive", &self.primitive.name())
            .finish_non_exhaustive()
    }
}

impl<P: Primitive> Service<P::Input> for PrimitiveService<P> {
    type Response = P::Output;
    type Error = Error;
    type Future = ServiceFuture<P::Output>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, input: P::Input) -> Self::Future {
        let primitive = Arc::clone(&self.primitive);
        match &self.context {
            Some(context) => {
                let ctx = context(&input);
                Box::pin(async move { primitive.run_with(input, ctx).await })
            }
            None => Box::pin(async move { primitive.run(input).await }),
        }
    }
}
