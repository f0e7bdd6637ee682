//! `a | b | c`: fixed sets of branches of different types, output as a tuple.

use std::future::Future;
use std::ops::BitOr;

use super::{Parallel, Settled, joined_name};
use crate::context::WorkflowContext;
use crate::error::Result;
use crate::graph::Graph;
use crate::instrument::{Kind, Meta, Position};
use crate::primitive::{Primitive, PrimitiveExt};

impl<A, B> Parallel<(A, B)>
where
    A: Primitive,
    A::Input: Clone,
    B: Primitive<Input = A::Input>,
{
    /// `a` and `b` concurrently. Same as `a | b`.
    pub fn new(a: A, b: B) -> Self {
        let name = joined_name([a.meta().nested_name(), b.meta().nested_name()]);
        Self {
            branches: (a, b),
            meta: Meta::new(name, Kind::PARALLEL),
        }
    }
}

/// Binds one call future per branch to the branch's own variable name. The
/// first branch gets the original input and the others get clones.
macro_rules! start_branches {
    ($self:ident, $input:ident, $ctx:ident; $b0:ident; $($b:ident $index:literal),+) => {
        let ($b0, $($b,)+) = &$self.branches;
        $(let $b = $b.call_at($input.clone(), $ctx, Position::Branch($index));)+
        let $b0 = $b0.call_at($input, $ctx, Position::Branch(0));
    };
}

/// Implements `Primitive` for `Parallel` and `Settled` of one tuple arity.
///
/// The first branch gets the original input and the others get clones, so
/// `n` branches cost `n - 1` clones.
macro_rules! parallel_tuple {
    ($P0:ident $b0:ident; $($P:ident $b:ident $index:literal),+) => {
        impl<$P0, $($P),+> Primitive for Parallel<($P0, $($P,)+)>
        where
            $P0: Primitive,
            $P0::Input: Clone,
            $($P: Primitive<Input = $P0::Input>,)+
        {
            type Input = $P0::Input;
            type Output = ($P0::Output, $($P::Output,)+);

            fn meta(&self) -> &Meta {
                &self.meta
            }

            fn execute<'a>(
        &'a self,
        input: Self::Input,
        ctx: &'a WorkflowContext,
    ) -> impl Future<Output = Result<Self::Output>> + Send + 'a {
                start_branches!(self, input, ctx; $b0; $($b $index),+);
                // `try_join!` returns on the first error and drops the
                // futures of the other branches, which cancels them.
                async move { tokio::try_join!($b0, $($b),+) }
            }

            fn children(&self) -> Vec<Graph> {
                let ($b0, $($b,)+) = &self.branches;
                vec![$b0.graph(), $($b.graph()),+]
            }
        }

        impl<$P0, $($P),+> Primitive for Settled<($P0, $($P,)+)>
        where
            $P0: Primitive,
            $P0::Input: Clone,
            $($P: Primitive<Input = $P0::Input>,)+
        {
            type Input = $P0::Input;
            type Output = (Result<$P0::Output>, $(Result<$P::Output>,)+);

            fn meta(&self) -> &Meta {
                &self.meta
            }

            fn execute<'a>(
        &'a self,
        input: Self::Input,
        ctx: &'a WorkflowContext,
    ) -> impl Future<Output = Result<Self::Output>> + Send + 'a {
                start_branches!(self, input, ctx; $b0; $($b $index),+);
                async move { Ok(tokio::join!($b0, $($b),+)) }
            }

            fn children(&self) -> Vec<Graph> {
                let ($b0, $($b,)+) = &self.branches;
                vec![$b0.graph(), $($b.graph()),+]
            }
        }

        crate::impl_operators!(shr impl [$P0, $($P,)+] for Parallel<($P0, $($P,)+)>);
        crate::impl_operators!(impl [$P0, $($P,)+] for Settled<($P0, $($P,)+)>);
    };
}

/// `|` on a parallel appends a branch, so `a | b | c` is one parallel of three.
macro_rules! parallel_append {
    ($($P:ident $b:ident),+) => {
        impl<$($P,)+ __Other> BitOr<__Other> for Parallel<($($P,)+)>
        where
            Self: Primitive,
            <Self as Primitive>::Input: Clone,
            __Other: Primitive<Input = <Self as Primitive>::Input>,
        {
            type Output = Parallel<($($P,)+ __Other)>;

            fn bitor(self, other: __Other) -> Self::Output {
                let name = joined_name([self.meta.name().into(), other.meta().nested_name()]);
                let ($($b,)+) = self.branches;
                Parallel {
                    branches: ($($b,)+ other),
                    meta: Meta::new(name, Kind::PARALLEL),
                }
            }
        }
    };
}

parallel_tuple!(P0 b0; P1 b1 1);
parallel_tuple!(P0 b0; P1 b1 1, P2 b2 2);
parallel_tuple!(P0 b0; P1 b1 1, P2 b2 2, P3 b3 3);
parallel_tuple!(P0 b0; P1 b1 1, P2 b2 2, P3 b3 3, P4 b4 4);
parallel_tuple!(P0 b0; P1 b1 1, P2 b2 2, P3 b3 3, P4 b4 4, P5 b5 5);
parallel_tuple!(P0 b0; P1 b1 1, P2 b2 2, P3 b3 3, P4 b4 4, P5 b5 5, P6 b6 6);
parallel_tuple!(P0 b0; P1 b1 1, P2 b2 2, P3 b3 3, P4 b4 4, P5 b5 5, P6 b6 6, P7 b7 7);
parallel_tuple!(P0 b0; P1 b1 1, P2 b2 2, P3 b3 3, P4 b4 4, P5 b5 5, P6 b6 6, P7 b7 7, P8 b8 8);
parallel_tuple!(P0 b0; P1 b1 1, P2 b2 2, P3 b3 3, P4 b4 4, P5 b5 5, P6 b6 6, P7 b7 7, P8 b8 8, P9 b9 9);
parallel_tuple!(P0 b0; P1 b1 1, P2 b2 2, P3 b3 3, P4 b4 4, P5 b5 5, P6 b6 6, P7 b7 7, P8 b8 8, P9 b9 9, P10 b10 10);
parallel_tuple!(P0 b0; P1 b1 1, P2 b2 2, P3 b3 3, P4 b4 4, P5 b5 5, P6 b6 6, P7 b7 7, P8 b8 8, P9 b9 9, P10 b10 10, P11 b11 11);

parallel_append!(P0 b0, P1 b1);
parallel_append!(P0 b0, P1 b1, P2 b2);
parallel_append!(P0 b0, P1 b1, P2 b2, P3 b3);
parallel_append!(P0 b0, P1 b1, P2 b2, P3 b3, P4 b4);
parallel_append!(P0 b0, P1 b1, P2 b2, P3 b3, P4 b4, P5 b5);
parallel_append!(P0 b0, P1 b1, P2 b2, P3 b3, P4 b4, P5 b5, P6 b6);
parallel_append!(P0 b0, P1 b1, P2 b2, P3 b3, P4 b4, P5 b5, P6 b6, P7 b7);
parallel_append!(P0 b0, P1 b1, P2 b2, P3 b3, P4 b4, P5 b5, P6 b6, P7 b7, P8 b8);
parallel_append!(P0 b0, P1 b1, P2 b2, P3 b3, P4 b4, P5 b5, P6 b6, P7 b7, P8 b8, P9 b9);
parallel_append!(P0 b0, P1 b1, P2 b2, P3 b3, P4 b4, P5 b5, P6 b6, P7 b7, P8 b8, P9 b9, P10 b10);

// Twelve branches is the widest flat tuple; `|` on it nests.
crate::impl_operators!(bitor impl [P0, P1, P2, P3, P4, P5, P6, P7, P8, P9, P10, P11,] for Parallel<(P0, P1, P2, P3, P4, P5, P6, P7, P8, P9, P10, P11)>);
