//! The composition primitives: sequential, parallel, conditional, router,
//! and the adapters that name, erase and wrap closures.

mod boxed;
mod conditional;
mod from_fn;
mod named;
mod ops;
mod parallel;
mod router;
mod sequential;

pub use boxed::BoxPrimitive;
pub use conditional::{Conditional, Otherwise, Passthrough};
pub use from_fn::{FromFn, from_fn};
pub use named::Named;
pub use parallel::{Parallel, Settled};
pub use router::{DEFAULT_ROUTE, NO_ROUTE, Router, RouterBuilder};
pub use sequential::{Append, Chain, Last, Sequential, Steps};
