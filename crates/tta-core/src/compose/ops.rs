//! The `>>` and `|` operators.
//!
//! Rust's orphan rule forbids `impl<P: Primitive> Shr for P`, so each
//! primitive type gets its own operator impls. They all come from this one
//! macro: the built-ins here, and user types through `#[primitive]`.

/// Implements `>>` (into a [`Sequential`](crate::Sequential)) and `|` (into a
/// [`Parallel`](crate::Parallel)) for a primitive type you implemented
/// [`Primitive`](crate::Primitive) for by hand. `#[primitive]` types get
/// them without it.
///
/// ```
/// use tta_core::{impl_operators, Kind, Meta, Primitive, PrimitiveExt, Result, WorkflowContext};
///
/// struct Echo;
///
/// impl Primitive for Echo {
///     type Input = String;
///     type Output = String;
///     fn meta(&self) -> &Meta {
///         static META: Meta = Meta::from_static("echo", Kind::CUSTOM);
///         &META
///     }
///     async fn execute(&self, input: String, _ctx: &WorkflowContext) -> Result<String> {
///         Ok(input)
///     }
/// }
///
/// impl_operators!(Echo);
///
/// let both = Echo >> (Echo | Echo);
/// assert_eq!(both.name(), "echo >> (echo | echo)");
/// ```
///
/// Generic types list their parameters, each followed by a comma, and may
/// add bounds: `impl_operators!(impl [T,] for Wrapper<T> where [T: Send]);`.
#[macro_export]
macro_rules! impl_operators {
    (impl [$($generics:tt)*] for $ty:ty $(where [$($bounds:tt)*])?) => {
        $crate::impl_operators!(shr impl [$($generics)*] for $ty $(where [$($bounds)*])?);
        $crate::impl_operators!(bitor impl [$($generics)*] for $ty $(where [$($bounds)*])?);
    };
    (shr impl [$($generics:tt)*] for $ty:ty $(where [$($bounds:tt)*])?) => {
        #[allow(deprecated)]
        impl<$($generics)* __TtaNext> ::core::ops::Shr<__TtaNext> for $ty
        where
            Self: $crate::Primitive,
            __TtaNext: $crate::Primitive<Input = <Self as $crate::Primitive>::Output>,
            $($($bounds)*)?
        {
            type Output = $crate::Sequential<$crate::compose::Chain<Self, $crate::compose::Last<__TtaNext>>>;

            fn shr(self, next: __TtaNext) -> Self::Output {
                $crate::Sequential::new(self, next)
            }
        }
    };
    (bitor impl [$($generics:tt)*] for $ty:ty $(where [$($bounds:tt)*])?) => {
        #[allow(deprecated)]
        impl<$($generics)* __TtaOther> ::core::ops::BitOr<__TtaOther> for $ty
        where
            Self: $crate::Primitive,
            __TtaOther: $crate::Primitive<Input = <Self as $crate::Primitive>::Input>,
            // Named through the generic `__TtaOther`, so it is checked where
            // `|` is used, not for every type the macro is applied to
            // (rust-lang/rust#48214).
            <__TtaOther as $crate::Primitive>::Input: $crate::ParallelInput,
            $($($bounds)*)?
        {
            type Output = $crate::Parallel<(Self, __TtaOther)>;

            fn bitor(self, other: __TtaOther) -> Self::Output {
                $crate::Parallel::new(self, other)
            }
        }
    };
    ($ty:ty) => {
        $crate::impl_operators!(impl [] for $ty);
    };
}
