//! [`Parallel`]: `a | b | c`, branches run concurrently on clones of the input.

mod all;
mod tuple;

use crate::instrument::Meta;

/// Branches that run concurrently, each on a clone of the input; built with `|`.
///
/// - `a | b` outputs `(A, B)`, and `a | b | c` flattens to `(A, B, C)`, up to
///   twelve branches. Parentheses nest: `a | (b | c)` outputs `(A, (B, C))`.
/// - On the first error the other branches are **dropped**, which cancels
///   them, and that error is returned. [`into_settled`](Parallel::into_settled)
///   waits for every branch and returns each result instead.
/// - [`Parallel::all`] runs a `Vec` of [`BoxPrimitive`](crate::BoxPrimitive)s
///   and returns a `Vec` in declaration order; [`Parallel::settled`] is its
///   settled form.
///
/// Branches run on the caller's task (like `tokio::join!`), so their spans
/// are siblings under the parallel's span. Put CPU-heavy work behind
/// `spawn_blocking` inside the branch.
///
/// ```
/// use tta_core::{from_fn, Parallel, Primitive, PrimitiveExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> tta_core::Result<()> {
/// let len = from_fn("len", |s: String, _ctx| async move { Ok(s.len()) });
/// let upper = from_fn("upper", |s: String, _ctx| async move { Ok(s.to_uppercase()) });
/// let both = Parallel::new(len, upper);
/// assert_eq!(both.name(), "len | upper");
/// assert_eq!(both.run("abc".to_owned()).await?, (3, "ABC".to_owned()));
/// # Ok(())
/// # }
/// ```
pub struct Parallel<T> {
    branches: T,
    meta: Meta,
}

/// A parallel that waits for every branch and returns each branch's result.
///
/// Made by [`Parallel::into_settled`] or [`Parallel::settled`]. It never
/// fails on its own: the failures are in its output.
pub struct Settled<T> {
    branches: T,
    meta: Meta,
}

impl<T> Parallel<T> {
    /// Waits for every branch instead of cancelling on the first error.
    pub fn into_settled(self) -> Settled<T> {
        Settled {
            branches: self.branches,
            meta: self.meta,
        }
    }
}

fn joined_name<'a>(names: impl IntoIterator<Item = std::borrow::Cow<'a, str>>) -> String {
    names.into_iter().collect::<Vec<_>>().join(" | ")
}
