//! The `>>` and `|` operators.
//!
//! Rust's orphan rule forbids `impl<P: Primitive> Shr for P`, so each
//! primitive type gets its own operator impls. They all come from this one
//! macro: the built-ins here, and user types through `#[primitive]`.

/// Implements `>>` (into a [`Sequential`](crate::Sequential)) and `|` (into a
/// [`Parallel`](crate::Parallel)) for a primitive type.
///
/// `impl_operators!(impl[<generics>,] for Type where [bounds])`; the generics
/// list, when present, ends with a comma. `shr` or `bitor` alone implements
/// just that operator.
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_operators {
    (impl [$($generics:tt)*] for $ty:ty $(where [$($bounds:tt)*])?) => {
        $crate::__impl_operators!(shr impl [$($generics)*] for $ty $(where [$($bounds)*])?);
        $crate::__impl_operators!(bitor impl [$($generics)*] for $ty $(where [$($bounds)*])?);
    };
    (shr impl [$($generics:tt)*] for $ty:ty $(where [$($bounds:tt)*])?) => {
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
        impl<$($generics)* __TtaOther> ::core::ops::BitOr<__TtaOther> for $ty
        where
            Self: $crate::Primitive,
            <Self as $crate::Primitive>::Input: ::core::clone::Clone,
            __TtaOther: $crate::Primitive<Input = <Self as $crate::Primitive>::Input>,
            $($($bounds)*)?
        {
            type Output = $crate::Parallel<(Self, __TtaOther)>;

            fn bitor(self, other: __TtaOther) -> Self::Output {
                $crate::Parallel::new(self, other)
            }
        }
    };
}
