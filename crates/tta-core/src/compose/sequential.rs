//! [`Sequential`]: `a >> b >> c`, each step's output the next step's input.

use std::future::Future;
use std::ops::Shr;

use crate::context::WorkflowContext;
use crate::error::Result;
use crate::graph::Graph;
use crate::instrument::{Kind, Meta, Position};
use crate::primitive::{Primitive, PrimitiveExt};

/// Steps that run one after another; built with `>>`.
///
/// `a >> b >> c` is one sequential of three steps (indices 0, 1, 2), not a
/// sequential nested in another: `>>` on a sequential appends. Parentheses
/// nest, so `a >> (b >> c)` has two steps, the second a sequential of its
/// own, and the span tree shows exactly that.
///
/// The steps are a type-level list, so a chain of any length is one
/// concrete type with no boxing and no allocation per call.
///
/// Its default name joins the step names: `"a >> b >> c"`. Rename it with
/// [`named`](crate::PrimitiveExt::named).
///
/// ```
/// use tta_core::{from_fn, Primitive, PrimitiveExt, Sequential};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> tta_core::Result<()> {
/// let double = from_fn("double", |x: u32, _ctx| async move { Ok(x * 2) });
/// let inc = from_fn("inc", |x: u32, _ctx| async move { Ok(x + 1) });
/// let pipeline = Sequential::new(double, inc); // same as `double >> inc`
/// assert_eq!(pipeline.name(), "double >> inc");
/// assert_eq!(pipeline.run(20).await?, 41);
/// # Ok(())
/// # }
/// ```
pub struct Sequential<S> {
    steps: S,
    meta: Meta,
}

/// A step followed by more steps. Part of [`Sequential`]'s type.
pub struct Chain<P, Next> {
    step: P,
    next: Next,
}

/// The last step. Part of [`Sequential`]'s type.
pub struct Last<P>(P);

/// A non-empty list of steps whose types line up.
pub trait Steps: Send + Sync + 'static {
    /// The first step's input.
    type Input: Send + 'static;
    /// The last step's output.
    type Output: Send + 'static;

    /// Runs the steps from `index` on.
    fn run<'a>(
        &'a self,
        input: Self::Input,
        ctx: &'a WorkflowContext,
        index: u32,
    ) -> impl Future<Output = Result<Self::Output>> + Send + 'a;

    /// Adds each step's [`Graph`] to `out`, in order.
    fn graphs(&self, out: &mut Vec<Graph>);
}

impl<P: Primitive> Steps for Last<P> {
    type Input = P::Input;
    type Output = P::Output;

    fn run<'a>(
        &'a self,
        input: Self::Input,
        ctx: &'a WorkflowContext,
        index: u32,
    ) -> impl Future<Output = Result<Self::Output>> + Send + 'a {
        self.0.call_at(input, ctx, Position::Step(index))
    }

    fn graphs(&self, out: &mut Vec<Graph>) {
        out.push(self.0.graph());
    }
}

impl<P, Next> Steps for Chain<P, Next>
where
    P: Primitive,
    Next: Steps<Input = P::Output>,
{
    type Input = P::Input;
    type Output = Next::Output;

    async fn run(
        &self,
        input: Self::Input,
        ctx: &WorkflowContext,
        index: u32,
    ) -> Result<Self::Output> {
        let intermediate = self.step.call_at(input, ctx, Position::Step(index)).await?;
        self.next.run(intermediate, ctx, index + 1).await
    }

    fn graphs(&self, out: &mut Vec<Graph>) {
        out.push(self.step.graph());
        self.next.graphs(out);
    }
}

/// Appends a step at the end of a step list.
pub trait Append<P> {
    /// The longer list.
    type Appended;

    /// Appends `step`.
    fn append(self, step: P) -> Self::Appended;
}

impl<Q, P> Append<P> for Last<Q> {
    type Appended = Chain<Q, Last<P>>;

    fn append(self, step: P) -> Self::Appended {
        Chain {
            step: self.0,
            next: Last(step),
        }
    }
}

impl<Q, Next: Append<P>, P> Append<P> for Chain<Q, Next> {
    type Appended = Chain<Q, Next::Appended>;

    fn append(self, step: P) -> Self::Appended {
        Chain {
            step: self.step,
            next: self.next.append(step),
        }
    }
}

impl<A, B> Sequential<Chain<A, Last<B>>>
where
    A: Primitive,
    B: Primitive<Input = A::Output>,
{
    /// `first`, then `second` on its output. Same as `first >> second`.
    pub fn new(first: A, second: B) -> Self {
        let name = format!(
            "{} >> {}",
            first.meta().nested_name(),
            second.meta().nested_name()
        );
        Self {
            steps: Chain {
                step: first,
                next: Last(second),
            },
            meta: Meta::new(name, Kind::SEQUENTIAL),
        }
    }
}

impl<S: Steps> Primitive for Sequential<S> {
    type Input = S::Input;
    type Output = S::Output;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn execute<'a>(
        &'a self,
        input: Self::Input,
        ctx: &'a WorkflowContext,
    ) -> impl Future<Output = Result<Self::Output>> + Send + 'a {
        self.steps.run(input, ctx, 0)
    }

    fn children(&self) -> Vec<Graph> {
        let mut steps = Vec::new();
        self.steps.graphs(&mut steps);
        steps
    }
}

/// `>>` on a sequential appends a step instead of nesting.
impl<S, P> Shr<P> for Sequential<S>
where
    S: Steps + Append<P>,
    S::Appended: Steps,
    P: Primitive<Input = S::Output>,
{
    type Output = Sequential<S::Appended>;

    fn shr(self, step: P) -> Self::Output {
        let name = format!("{} >> {}", self.meta.name(), step.meta().nested_name());
        Sequential {
            steps: self.steps.append(step),
            meta: Meta::new(name, Kind::SEQUENTIAL),
        }
    }
}

crate::impl_operators!(bitor impl [S,] for Sequential<S>);
