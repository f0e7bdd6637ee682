//! What `#[primitive]` leaves to the type system, as traits whose messages
//! are written for the person who wrote the function: the return type is a
//! `Result` (under any alias), the context is a [`WorkflowContext`], and an
//! input run through `|` can be copied to each branch.

use crate::context::WorkflowContext;

/// The return types a primitive's `execute` may have: `Result<T, E>`,
/// under any name, such as `tta::Result<T>`, `anyhow::Result<T>` or an
/// alias of your own (`type AppResult<T> = Result<T, AppError>;`).
///
/// ```
/// use tta_core::PrimitiveReturn;
///
/// type AppResult<T> = Result<T, std::io::Error>;
/// fn output_of<R: PrimitiveReturn>() -> &'static str { std::any::type_name::<R::Ok>() }
/// assert_eq!(output_of::<AppResult<u32>>(), "u32");
/// ```
#[diagnostic::on_unimplemented(
    message = "a primitive returns a `Result`, not `{Self}`",
    label = "this must be `tta::Result<Output>` or `Result<Output, E>`",
    note = "return `Ok(value)`, and `Err(error)` for failures; an alias of `Result` works too"
)]
pub trait PrimitiveReturn {
    /// The primitive's output.
    type Ok;
    /// The error it fails with; see [`PrimitiveError`](crate::PrimitiveError).
    type Err;
}

impl<T, E> PrimitiveReturn for Result<T, E> {
    type Ok = T;
    type Err = E;
}

/// The context parameter's type: [`WorkflowContext`], under any name or
/// alias (`use tta::WorkflowContext as Ctx;`).
#[diagnostic::on_unimplemented(
    message = "a primitive's second parameter is the run's context, `&WorkflowContext`, not `&{Self}`",
    label = "write `ctx: &WorkflowContext` here",
    note = "`WorkflowContext` is in `tta::prelude`"
)]
pub trait ContextParameter {
    /// The context, as the parameter's type: `#[primitive]` passes the
    /// run's context through it, so a parameter of another type is this
    /// trait's one error rather than a type mismatch in generated code.
    fn of(ctx: &WorkflowContext) -> &Self;
}

impl ContextParameter for WorkflowContext {
    fn of(ctx: &WorkflowContext) -> &Self {
        ctx
    }
}

/// An input that `|` can copy to each branch of a [`Parallel`](crate::Parallel):
/// any `Clone` type. `>>` needs no such thing: a sequence moves its input.
#[diagnostic::on_unimplemented(
    message = "`{Self}` must be `Clone` to be run through `|`",
    label = "each parallel branch gets its own copy of this input",
    note = "derive or implement `Clone` for it, or put it behind an `Arc`; `>>` alone does not need it"
)]
pub trait ParallelInput: Clone {}

#[diagnostic::do_not_recommend]
impl<T: Clone> ParallelInput for T {}
