//! Interop with [tower](https://docs.rs/tower), the service abstraction of
//! axum, tonic, hyper and reqwest-middleware. Needs the `tower` feature.
//!
//! - [`PrimitiveService`]: a primitive (or a whole workflow) as a
//!   `tower::Service`; each request is one run.
//! - [`ServicePrimitive`]: a `tower::Service` as a primitive, so a client
//!   stack composes with `>>`, `|` and the resilience wrappers, and its
//!   calls get spans and metrics.
//! - [`WorkflowLayer`]: a `tower::Layer` that runs each request through a
//!   workflow built around the inner service, such as
//!   `|inner| inner.timeout(d).circuit_breaker(config)`: TTA's resilience,
//!   with its telemetry, as tower middleware.
//!
//! ```
//! use std::convert::Infallible;
//! use std::time::Duration;
//!
//! use tta_core::tower::{PrimitiveService, WorkflowLayer};
//! use tta_core::PrimitiveExt;
//! use tower_layer::Layer;
//! use tower_service::Service;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> tta_core::Result<()> {
//! // Any tower service: here one that shouts.
//! let shout = tower_service_fn(|text: String| async move { Ok::<_, Infallible>(text.to_uppercase()) });
//! let layer = WorkflowLayer::new("shout_guarded", |inner| inner.timeout(Duration::from_secs(1)));
//! let mut service = layer.layer(shout);
//! std::future::poll_fn(|cx| service.poll_ready(cx)).await?;
//! assert_eq!(service.call("hi".to_owned()).await?, "HI");
//! # Ok(())
//! # }
//! # #[derive(Clone)]
//! # struct ServiceFn<F>(F);
//! # fn tower_service_fn<F>(f: F) -> ServiceFn<F> { ServiceFn(f) }
//! # impl<F, Fut> Service<String> for ServiceFn<F>
//! # where F: Fn(String) -> Fut, Fut: std::future::Future<Output = Result<String, Infallible>> {
//! #     type Response = String;
//! #     type Error = Infallible;
//! #     type Future = Fut;
//! #     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Infallible>> {
//! #         std::task::Poll::Ready(Ok(()))
//! #     }
//! #     fn call(&mut self, text: String) -> Fut { (self.0)(text) }
//! # }
//! ```

mod layer;
mod primitive;
mod service;

pub use layer::WorkflowLayer;
pub use primitive::ServicePrimitive;
pub use service::{PrimitiveService, ServiceFuture};
