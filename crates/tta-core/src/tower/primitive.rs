//! [`ServicePrimitive`]: a `tower::Service` as a primitive.

use std::borrow::Cow;
use std::marker::PhantomData;

use tower_service::Service;

use crate::context::WorkflowContext;
use crate::error::{BoxError, Error, Result};
use crate::instrument::{Kind, Meta};
use crate::primitive::Primitive;

/// A `tower::Service<Req>` as a primitive named `name`: each execution
/// waits for the service to be ready, then calls it, with a span and
/// metrics like any primitive's.
///
/// The service is cloned for each call, as tower services are meant to be
/// (`Buffer` and axum's routes are cheap to clone). Its error becomes a
/// permanent [`Error::User`] (a [`Error`] inside a boxed error comes back as
/// itself); wrap the primitive in `retry` with a predicate to retry some.
pub struct ServicePrimitive<S, Req> {
    service: S,
    meta: Meta,
    request: PhantomData<fn(Req)>,
}

impl<S, Req> ServicePrimitive<S, Req> {
    /// Wraps `service` as a primitive named `name`.
    pub fn new(name: impl Into<Cow<'static, str>>, service: S) -> Self {
        Self {
            service,
            meta: Meta::new(name, Kind::CUSTOM),
            request: PhantomData,
        }
    }

    /// The wrapped service.
    pub fn service(&self) -> &S {
        &self.service
    }
}

impl<S, Req> Primitive for ServicePrimitive<S, Req>
where
    S: Service<Req> + Clone + Send + Sync + 'static,
    S::Future: Send,
    S::Response: Send + 'static,
    S::Error: Into<BoxError>,
    Req: Send + 'static,
{
    type Input = Req;
    type Output = S::Response;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn adopt_name(&mut self, name: &Cow<'static, str>) {
        self.meta = self.meta.renamed(name.clone());
    }

    async fn execute(&self, input: Req, _ctx: &WorkflowContext) -> Result<S::Response> {
        let mut service = self.service.clone();
        std::future::poll_fn(|cx| service.poll_ready(cx))
            .await
            .map_err(|error| Error::from(error.into()))?;
        service
            .call(input)
            .await
            .map_err(|error| Error::from(error.into()))
    }
}

crate::impl_operators!(impl [S, Req,] for ServicePrimitive<S, Req>);
