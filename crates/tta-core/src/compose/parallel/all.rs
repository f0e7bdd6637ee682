//! [`Parallel::all`] and [`Parallel::settled`]: any number of branches of one type.

use std::future::Future;

use futures_util::future::{join_all, try_join_all};

use super::{Parallel, Settled, joined_name};
use crate::compose::BoxPrimitive;
use crate::context::WorkflowContext;
use crate::error::Result;
use crate::graph::Graph;
use crate::instrument::{Kind, Meta, Position};
use crate::primitive::{Primitive, PrimitiveExt};

/// Branch names are joined into the default name up to this many branches;
/// wider fan-outs are named by their width, to keep the label short.
const MAX_NAMED_BRANCHES: usize = 8;

type Branches<I, O> = Vec<BoxPrimitive<I, O>>;

impl<I, O> Parallel<Branches<I, O>>
where
    I: Clone + Send + 'static,
    O: Send + 'static,
{
    /// Runs every branch concurrently and returns their outputs in
    /// declaration order. The first error cancels the rest.
    ///
    /// ```
    /// use tta_core::{from_fn, Parallel, PrimitiveExt};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> tta_core::Result<()> {
    /// let branches = (1..=3)
    ///     .map(|n| from_fn("times", move |x: u32, _ctx| async move { Ok(x * n) }).boxed())
    ///     .collect();
    /// assert_eq!(Parallel::all(branches).run(10).await?, vec![10, 20, 30]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn all(branches: Branches<I, O>) -> Self {
        Self {
            meta: Meta::new(fan_out_name(&branches), Kind::PARALLEL),
            branches,
        }
    }

    /// Runs every branch concurrently to completion and returns every
    /// result, in declaration order.
    pub fn settled(branches: Branches<I, O>) -> Settled<Branches<I, O>> {
        Self::all(branches).into_settled()
    }
}

fn fan_out_name<I: Send + 'static, O: Send + 'static>(branches: &Branches<I, O>) -> String {
    if branches.len() <= MAX_NAMED_BRANCHES {
        joined_name(branches.iter().map(|b| b.meta().nested_name()))
    } else {
        format!("parallel[{}]", branches.len())
    }
}

/// Starts one call per branch: clones of the input for all but the last,
/// which takes the original.
fn calls<'a, I, O>(
    branches: &'a Branches<I, O>,
    input: I,
    ctx: &'a WorkflowContext,
) -> Vec<impl Future<Output = Result<O>> + Send + 'a>
where
    I: Clone + Send + 'static,
    O: Send + 'static,
{
    let mut calls = Vec::with_capacity(branches.len());
    if let Some((last, rest)) = branches.split_last() {
        for (index, branch) in (0_u32..).zip(rest) {
            calls.push(branch.call_at(input.clone(), ctx, Position::Branch(index)));
        }
        let index = u32::try_from(rest.len()).unwrap_or(u32::MAX);
        calls.push(last.call_at(input, ctx, Position::Branch(index)));
    }
    calls
}

impl<I, O> Primitive for Parallel<Branches<I, O>>
where
    I: Clone + Send + 'static,
    O: Send + 'static,
{
    type Input = I;
    type Output = Vec<O>;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn execute<'a>(
        &'a self,
        input: I,
        ctx: &'a WorkflowContext,
    ) -> impl Future<Output = Result<Vec<O>>> + Send + 'a {
        try_join_all(calls(&self.branches, input, ctx))
    }

    fn children(&self) -> Vec<Graph> {
        self.branches.iter().map(PrimitiveExt::graph).collect()
    }
}

impl<I, O> Primitive for Settled<Branches<I, O>>
where
    I: Clone + Send + 'static,
    O: Send + 'static,
{
    type Input = I;
    type Output = Vec<Result<O>>;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    async fn execute(&self, input: I, ctx: &WorkflowContext) -> Result<Vec<Result<O>>> {
        Ok(join_all(calls(&self.branches, input, ctx)).await)
    }

    fn children(&self) -> Vec<Graph> {
        self.branches.iter().map(PrimitiveExt::graph).collect()
    }
}

crate::impl_operators!(impl [I, O,] for Parallel<Branches<I, O>>);
crate::impl_operators!(impl [I, O,] for Settled<Branches<I, O>>);
