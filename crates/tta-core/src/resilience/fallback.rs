//! [`Fallback`]: try alternatives in order until one succeeds.

use metrics::Label;
use std::borrow::Cow;

use crate::catalog;
use crate::compose::BoxPrimitive;
use crate::context::WorkflowContext;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::instrument::{CounterFamily, Kind, Meta, Position};
use crate::primitive::{Primitive, PrimitiveExt};

/// The `used` label of a call the primary answered.
pub const PRIMARY: &str = "primary";

/// Runs the primary primitive, and on failure each alternative in turn
/// with a copy of the input, until one succeeds.
///
/// - Each try is a child span with `tta.fallback.index` (0 for the
///   primary) and logs `fallback_attempt_*` events.
/// - `tta_fallback_total{used}` counts which one answered: `primary`, `1`,
///   `2`, ...
/// - If every one fails, the result is [`Error::AllFailed`] with every error
///   in the order they ran. When the run's context is cancelled, it stops
///   at once with [`Error::Cancelled`]: the alternatives would be refused
///   anyway. An alternative that returns `Cancelled` while the run is live
///   (it cancelled a child context of its own) is a failure like any other.
///
/// ```
/// use tta_core::{from_fn, Error, PrimitiveExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> tta_core::Result<()> {
/// let primary = from_fn("openai", |_: String, _ctx| async move { Err::<String, _>(Error::transient("429")) });
/// let secondary = from_fn("anthropic", |p: String, _ctx| async move { Ok(format!("claude: {p}")) });
/// let local = from_fn("local_model", |p: String, _ctx| async move { Ok(format!("llama: {p}")) });
///
/// let resilient = primary.fallback(secondary).or(local);
/// assert_eq!(resilient.run("hi".to_owned()).await?, "claude: hi");
/// # Ok(())
/// # }
/// ```
pub struct Fallback<P: Primitive> {
    primary: P,
    alternatives: Vec<BoxPrimitive<P::Input, P::Output>>,
    meta: Meta,
    used: CounterFamily,
}

impl<P> Fallback<P>
where
    P: Primitive,
    P::Input: Clone,
{
    /// Tries `primary`, then `alternative`. Same as [`PrimitiveExt::fallback`].
    pub fn new(
        primary: P,
        alternative: impl Primitive<Input = P::Input, Output = P::Output>,
    ) -> Self {
        Self::from_parts(primary, vec![alternative.boxed()])
    }

    /// Adds another alternative, tried after the ones already given.
    pub fn or(self, alternative: impl Primitive<Input = P::Input, Output = P::Output>) -> Self {
        let mut alternatives = self.alternatives;
        alternatives.push(alternative.boxed());
        Self::from_parts(self.primary, alternatives)
    }

    fn from_parts(primary: P, alternatives: Vec<BoxPrimitive<P::Input, P::Output>>) -> Self {
        let name = std::iter::once(primary.meta().nested_name())
            .chain(
                alternatives
                    .iter()
                    .map(|alternative| alternative.meta().nested_name()),
            )
            .collect::<Vec<_>>()
            .join(", ");
        let used = std::iter::once(PRIMARY.to_owned())
            .chain((1..=alternatives.len()).map(|index| index.to_string()))
            .map(|used| vec![Label::new("used", used)]);
        Self {
            meta: Meta::new(format!("fallback({name})"), Kind::FALLBACK),
            used: CounterFamily::new(catalog::FALLBACK_TOTAL, used),
            primary,
            alternatives,
        }
    }

    async fn attempt(
        &self,
        index: usize,
        input: P::Input,
        ctx: &WorkflowContext,
    ) -> Result<P::Output> {
        let position = Position::Alternative(u32::try_from(index).unwrap_or(u32::MAX));
        match index {
            0 => self.primary.call_at(input, ctx, position).await,
            _ => {
                self.alternatives[index - 1]
                    .call_at(input, ctx, position)
                    .await
            }
        }
    }
}

impl<P> Primitive for Fallback<P>
where
    P: Primitive,
    P::Input: Clone,
{
    type Input = P::Input;
    type Output = P::Output;

    fn meta(&self) -> &Meta {
        &self.meta
    }

    fn adopt_name(&mut self, name: &Cow<'static, str>) {
        self.meta = self.meta.renamed(name.clone());
    }

    async fn execute(&self, input: P::Input, ctx: &WorkflowContext) -> Result<P::Output> {
        let tries = self.alternatives.len() + 1;
        let mut errors = Vec::new();
        for index in 0..tries {
            match self.attempt(index, input.clone(), ctx).await {
                Ok(output) => {
                    self.used.increment(self.meta.name(), index);
                    return Ok(output);
                }
                // The run's own cancellation ends the fallback; an alternative
                // that returned `Cancelled` for a context of its own does not.
                Err(_) if ctx.is_cancelled() => return Err(Error::Cancelled),
                Err(error) => errors.push(error),
            }
        }
        Err(Error::AllFailed { errors })
    }

    fn children(&self) -> Vec<Graph> {
        std::iter::once(self.primary.graph())
            .chain(self.alternatives.iter().map(PrimitiveExt::graph))
            .collect()
    }
}

crate::impl_operators!(impl [P,] for Fallback<P> where [P: Primitive]);
