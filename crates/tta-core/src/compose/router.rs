//! [`Router`]: pick one of a closed set of routes by a key computed from the input.

use std::borrow::Cow;
use std::marker::PhantomData;

use crate::compose::BoxPrimitive;
use crate::config::ConfigError;
use crate::context::WorkflowContext;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::instrument::{Decisions, Kind, Meta, Position};
use crate::primitive::{Primitive, PrimitiveExt};

/// Runs the route whose key matches the key computed from the input.
///
/// The routes are fixed when the router is built, so the `route` metric
/// label has a known, small set of values. A key with no route takes the
/// default route if there is one, and otherwise fails with
/// [`Error::NoRoute`] naming the key.
///
/// ```
/// use tta_core::{from_fn, PrimitiveExt, Router};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let cheap = from_fn("cheap_model", |p: String, _ctx| async move { Ok(format!("cheap: {p}")) });
/// let quality = from_fn("quality_model", |p: String, _ctx| async move { Ok(format!("quality: {p}")) });
///
/// let router = Router::builder("model_router", |prompt: &String, _ctx: &_| {
///         if prompt.len() < 20 { "short" } else { "long" }
///     })
///     .route("short", cheap)
///     .route("long", quality)
///     .build()?;
///
/// assert_eq!(router.run("hi".to_owned()).await?, "cheap: hi");
/// # Ok(())
/// # }
/// ```
pub struct Router<I, O, K, R> {
    key: K,
    routes: Vec<(String, BoxPrimitive<I, O>)>,
    default: Option<BoxPrimitive<I, O>>,
    meta: Meta,
    decisions: Decisions,
    key_type: PhantomData<fn() -> R>,
}

/// Builds a [`Router`]; see [`Router::builder`].
#[must_use = "call `build()` to get the router"]
pub struct RouterBuilder<I, O, K, R> {
    name: Cow<'static, str>,
    key: K,
    routes: Vec<(String, BoxPrimitive<I, O>)>,
    default: Option<BoxPrimitive<I, O>>,
    key_type: PhantomData<fn() -> R>,
}

/// The `route` label of a decision for the default route.
pub const DEFAULT_ROUTE: &str = "default";
/// The `route` label of a key with no route and no default.
pub const NO_ROUTE: &str = "no_route";

impl<I, O, K, R> Router<I, O, K, R>
where
    I: Send + 'static,
    O: Send + 'static,
    K: Fn(&I, &WorkflowContext) -> R + Send + Sync + 'static,
    R: AsRef<str>,
{
    /// Starts a router named `name` that routes on `key(input, ctx)`.
    ///
    /// Return `&'static str` from the key function where you can: it avoids
    /// an allocation per call.
    pub fn builder(name: impl Into<Cow<'static, str>>, key: K) -> RouterBuilder<I, O, K, R> {
        RouterBuilder {
            name: name.into(),
            key,
            routes: Vec::new(),
            default: None,
            key_type: PhantomData,
        }
    }
}

impl<I, O, K, R> RouterBuilder<I, O, K, R>
where
    I: Send + 'static,
    O: Send + 'static,
    K: Fn(&I, &WorkflowContext) -> R + Send + Sync + 'static,
    R: AsRef<str>,
{
    /// Adds the route taken when the key equals `key`.
    pub fn route(
        mut self,
        key: impl Into<String>,
        primitive: impl Primitive<Input = I, Output = O>,
    ) -> Self {
        self.routes.push((key.into(), primitive.boxed()));
        self
    }

    /// Sets the route taken when no key matches.
    pub fn default_route(mut self, primitive: impl Primitive<Input = I, Output = O>) -> Self {
        self.default = Some(primitive.boxed());
        self
    }

    /// Builds the router. Fails when there is no route at all, or when two
    /// routes share a key or use a reserved label (`default`, `no_route`).
    pub fn build(self) -> std::result::Result<Router<I, O, K, R>, ConfigError> {
        if self.routes.is_empty() && self.default.is_none() {
            return Err(ConfigError::new(
                "routes",
                "a router needs at least one route or a default route",
            ));
        }
        for (index, (key, _)) in self.routes.iter().enumerate() {
            if key == DEFAULT_ROUTE || key == NO_ROUTE {
                return Err(ConfigError::new(
                    "routes",
                    format!(
                        "`{key}` is reserved for the router's own decisions; choose another key"
                    ),
                ));
            }
            if self.routes[..index]
                .iter()
                .any(|(earlier, _)| earlier == key)
            {
                return Err(ConfigError::new(
                    "routes",
                    format!("the key `{key}` is routed twice; each key needs exactly one route"),
                ));
            }
        }
        let labels = self
            .routes
            .iter()
            .map(|(key, _)| key.clone())
            .chain([DEFAULT_ROUTE.to_owned(), NO_ROUTE.to_owned()]);
        Ok(Router {
            decisions: Decisions::new(labels),
            meta: Meta::new(self.name, Kind::ROUTER),
            key: self.key,
            routes: self.routes,
            default: self.default,
            key_type: PhantomData,
        })
    }
}

impl<I, O, K, R> Router<I, O, K, R> {
    /// The route keys, in the order they were added.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.routes.iter().map(|(key, _)| key.as_str())
    }
}

impl<I, O, K, R> Primitive for Router<I, O, K, R>
where
    I: Send + 'static,
    O: Send + 'static,
    K: Fn(&I, &WorkflowContext) -> R + Send + Sync + 'static,
    R: AsRef<str> + 'static,
{
    type Input = I;
    type Output = O;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    async fn execute(&self, input: I, ctx: &WorkflowContext) -> Result<O> {
        let chosen = {
            // The key is dropped before the route runs, so it need not be `Send`.
            let key = (self.key)(&input, ctx);
            let key = key.as_ref();
            let matched = self
                .routes
                .iter()
                .enumerate()
                .find(|(_, (route, _))| route == key)
                .map(|(index, (_, primitive))| (index, primitive));
            matched
                .or_else(|| self.default.as_ref().map(|d| (self.routes.len(), d)))
                .ok_or_else(|| key.to_owned())
        };
        let (index, primitive) = match chosen {
            Ok(chosen) => chosen,
            Err(key) => {
                self.decisions
                    .record(&self.meta, ctx, self.routes.len() + 1);
                return Err(Error::NoRoute { key });
            }
        };
        self.decisions.record(&self.meta, ctx, index);
        primitive.call_at(input, ctx, Position::Route).await
    }

    /// Every route, then the default.
    fn children(&self) -> Vec<Graph> {
        self.routes
            .iter()
            .map(|(_, route)| route)
            .chain(&self.default)
            .map(PrimitiveExt::graph)
            .collect()
    }
}

crate::impl_operators!(impl [I, O, K, R,] for Router<I, O, K, R>);
