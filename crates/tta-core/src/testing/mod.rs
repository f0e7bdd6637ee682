//! Test doubles for workflows: a scripted [`Mock`] primitive and a
//! [`Faulty`] wrapper that injects latency, errors and hangs,
//! deterministically under a seed.
//!
//! ```
//! use tta_core::{Error, PrimitiveExt};
//! use tta_core::resilience::RetryPolicy;
//! use tta_core::testing::Mock;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let model = Mock::new("model")
//!     .then_fail(Error::transient("503"))
//!     .then_return("answer".to_owned());
//! let robust = model.clone().retry(RetryPolicy::default());
//!
//! assert_eq!(robust.run("question".to_owned()).await?, "answer");
//! assert_eq!(model.calls(), ["question", "question"]);
//! # Ok(())
//! # }
//! ```

mod fault;
mod mock;

pub use fault::{FaultConfig, FaultConfigBuilder, Faulty};
pub use mock::Mock;
