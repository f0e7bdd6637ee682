//! [`WorkflowLayer`]: a `tower::Layer` that runs requests through a workflow.

use std::borrow::Cow;
use std::marker::PhantomData;
use std::sync::Arc;

use tower_layer::Layer;

use super::{PrimitiveService, ServicePrimitive};
use crate::primitive::Primitive;

/// A `tower::Layer` that wraps the inner service in a workflow: `build`
/// receives the inner service as a [`ServicePrimitive`] named `name` and
/// returns the workflow to run each request through, served as a
/// [`PrimitiveService`].
///
/// ```
/// use std::time::Duration;
/// use tta_core::resilience::CircuitBreakerConfig;
/// use tta_core::tower::{PrimitiveService, WorkflowLayer};
/// use tta_core::{from_fn, Primitive, PrimitiveExt};
/// use tower_layer::Layer;
///
/// // The inner service: here a primitive served as one; usually a client.
/// let search = PrimitiveService::new(from_fn("search", |query: String, _ctx| async move {
///     Ok(format!("results for {query}"))
/// }));
/// // A timeout per call and a breaker around it, with their spans and metrics.
/// let config = CircuitBreakerConfig::builder().build().unwrap();
/// let layer = WorkflowLayer::new("search_api", move |inner| {
///     inner.timeout(Duration::from_secs(2)).circuit_breaker(config.clone())
/// });
/// let guarded = layer.layer(search);
/// assert_eq!(guarded.primitive().name(), "circuit_breaker(timeout(search_api))");
/// ```
///
/// `S` and `Req`, the inner service and its request type, are inferred from
/// where the layer is applied.
pub struct WorkflowLayer<F, S, Req> {
    name: Cow<'static, str>,
    build: Arc<F>,
    types: PhantomData<fn(S, Req)>,
}

impl<F, S, Req, W> WorkflowLayer<F, S, Req>
where
    F: Fn(ServicePrimitive<S, Req>) -> W,
{
    /// A layer whose inner service is named `name` in the workflow `build`
    /// makes.
    pub fn new(name: impl Into<Cow<'static, str>>, build: F) -> Self {
        Self {
            name: name.into(),
            build: Arc::new(build),
            types: PhantomData,
        }
    }
}

impl<F, S, Req> Clone for WorkflowLayer<F, S, Req> {
    fn clone(&self) -> Self {
        Self {
            name: self.name.clone(),
            build: Arc::clone(&self.build),
            types: PhantomData,
        }
    }
}

impl<F, S, Req> std::fmt::Debug for WorkflowLayer<F, S, Req> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkflowLayer")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<S, Req, F, W> Layer<S> for WorkflowLayer<F, S, Req>
where
    F: Fn(ServicePrimitive<S, Req>) -> W,
    W: Primitive<Input = Req>,
    ServicePrimitive<S, Req>: Primitive<Input = Req>,
{
    type Service = PrimitiveService<W>;

    fn layer(&self, inner: S) -> Self::Service {
        let workflow = (self.build)(ServicePrimitive::new(self.name.clone(), inner));
        PrimitiveService::new(workflow)
    }
}
