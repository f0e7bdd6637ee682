//! [`Conditional`]: run a branch when a predicate holds.

use std::borrow::Cow;
use std::future::Future;

use crate::context::WorkflowContext;
use crate::error::Result;
use crate::graph::Graph;
use crate::instrument::{Decisions, Kind, Meta, Position};
use crate::primitive::{Primitive, PrimitiveExt};

/// Runs `then` when the predicate holds, otherwise the `otherwise` branch;
/// without one, the input passes through unchanged.
///
/// The branch taken is the span's `tta.route` (`then` or `else`) and is
/// counted in `tta_router_decisions_total`.
///
/// ```
/// use tta_core::{from_fn, Conditional, PrimitiveExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> tta_core::Result<()> {
/// let trim = from_fn("trim", |s: String, _ctx| async move { Ok(s.trim().to_owned()) });
/// let tidy = Conditional::new("tidy_if_padded", |s: &String, _ctx: &_| s.starts_with(' '), trim);
/// assert_eq!(tidy.run("  hi".to_owned()).await?, "hi");
/// assert_eq!(tidy.run("ok ".to_owned()).await?, "ok "); // passthrough
/// # Ok(())
/// # }
/// ```
pub struct Conditional<F, T, E = Passthrough> {
    predicate: F,
    then: T,
    otherwise: E,
    meta: Meta,
    decisions: Decisions,
}

/// The `else` of a [`Conditional`] without one: returns the input unchanged.
#[derive(Debug, Clone, Copy, Default)]
pub struct Passthrough;

/// What a [`Conditional`] runs when its predicate fails: a primitive, or [`Passthrough`].
pub trait Otherwise<I, O>: Send + Sync + 'static {
    /// Runs the branch.
    fn run<'a>(
        &'a self,
        input: I,
        ctx: &'a WorkflowContext,
    ) -> impl Future<Output = Result<O>> + Send + 'a;

    /// Its [`Graph`], or `None` for [`Passthrough`], which runs nothing.
    fn branch_graph(&self) -> Option<Graph>;
}

impl<I: Send + 'static> Otherwise<I, I> for Passthrough {
    async fn run(&self, input: I, _ctx: &WorkflowContext) -> Result<I> {
        Ok(input)
    }

    fn branch_graph(&self) -> Option<Graph> {
        None
    }
}

impl<P: Primitive> Otherwise<P::Input, P::Output> for P {
    fn run<'a>(
        &'a self,
        input: P::Input,
        ctx: &'a WorkflowContext,
    ) -> impl Future<Output = Result<P::Output>> + Send + 'a {
        self.call_at(input, ctx, Position::Route)
    }

    fn branch_graph(&self) -> Option<Graph> {
        Some(PrimitiveExt::graph(self))
    }
}

const THEN: usize = 0;
const ELSE: usize = 1;

impl<F, T> Conditional<F, T, Passthrough>
where
    T: Primitive,
    F: Fn(&T::Input, &WorkflowContext) -> bool + Send + Sync + 'static,
{
    /// Runs `then` when `predicate` holds. Until [`otherwise`](Self::otherwise)
    /// gives an `else` branch, the input passes through unchanged, which
    /// needs `then` to output its input type.
    pub fn new(name: impl Into<Cow<'static, str>>, predicate: F, then: T) -> Self {
        Self {
            predicate,
            then,
            otherwise: Passthrough,
            meta: Meta::new(name, Kind::CONDITIONAL),
            decisions: Decisions::new(["then".to_owned(), "else".to_owned()]),
        }
    }

    /// Runs `otherwise` when the predicate does not hold.
    pub fn otherwise<E>(self, otherwise: E) -> Conditional<F, T, E>
    where
        E: Primitive<Input = T::Input, Output = T::Output>,
    {
        Conditional {
            predicate: self.predicate,
            then: self.then,
            otherwise,
            meta: self.meta,
            decisions: self.decisions,
        }
    }
}

impl<F, T, E> Primitive for Conditional<F, T, E>
where
    T: Primitive,
    E: Otherwise<T::Input, T::Output>,
    F: Fn(&T::Input, &WorkflowContext) -> bool + Send + Sync + 'static,
{
    type Input = T::Input;
    type Output = T::Output;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    async fn execute(&self, input: T::Input, ctx: &WorkflowContext) -> Result<T::Output> {
        if (self.predicate)(&input, ctx) {
            self.decisions.record(&self.meta, ctx, THEN);
            self.then.call_at(input, ctx, Position::Route).await
        } else {
            self.decisions.record(&self.meta, ctx, ELSE);
            self.otherwise.run(input, ctx).await
        }
    }

    fn children(&self) -> Vec<Graph> {
        std::iter::once(self.then.graph())
            .chain(self.otherwise.branch_graph())
            .collect()
    }
}

crate::impl_operators!(impl [F, T, E,] for Conditional<F, T, E>);
