//! [`SharedBudget`]: a spending ledger in Redis that every replica draws
//! on: reserve before the call, settle after it, never overspend.

use std::borrow::Cow;
use std::time::Duration;

use tta_core::llm::{Budget, Usd, measure};
use tta_core::resilience::{FailureMode, Unavailable};
use tta_core::{
    Error, Graph, Kind, Meta, Position, Primitive, PrimitiveExt, Result, WorkflowContext,
};

use crate::degraded::without_redis;
use crate::store::RedisStore;

/// Reserves `ARGV[2]` nano-dollars under the limit `ARGV[1]`, atomically;
/// the ledger expires `ARGV[3]` ms after it is created (0: never).
/// Returns `{reserved, spent}`.
const RESERVE: &str = r"
local spent = tonumber(redis.call('GET', KEYS[1]) or '0')
local amount = tonumber(ARGV[2])
if spent + amount > tonumber(ARGV[1]) then
  return {0, spent}
end
local total = redis.call('INCRBY', KEYS[1], amount)
local period = tonumber(ARGV[3])
if period > 0 and redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], period)
end
return {1, total}
";

/// A cost budget shared by every process that names the same ledger.
///
/// Before each call it reserves what `estimate` says the call may cost,
/// atomically against the limit, so concurrent replicas cannot together
/// go over it; after the call it settles the reservation to the cost the
/// call's model usage was priced at (the usage reported inside it with
/// [`WorkflowContext::record_usage`]), giving back the rest. A call that
/// would take the ledger past the limit fails with
/// [`Error::BudgetExceeded`], which is not retried.
///
/// The estimate must be an upper bound (the request's `max_tokens` at the
/// model's output price, say): a call that costs more than it reserved is
/// settled at its real cost, which can take the ledger past the limit by
/// the difference. A call cancelled while it runs keeps its reservation,
/// since the provider may have billed it.
///
/// When Redis is unavailable it follows its [`FailureMode`]: `Open` runs
/// the call unmetered by the shared ledger (the run's own budgets still
/// apply), `Closed` fails with a transient error. Either is counted in
/// `tta_shared_degraded_total`.
pub struct SharedBudget<P, E> {
    inner: P,
    estimate: E,
    store: RedisStore,
    key: String,
    limit: Usd,
    period: Option<Duration>,
    mode: FailureMode,
    script: redis::Script,
    meta: Meta,
}

impl<P, E> SharedBudget<P, E>
where
    P: Primitive,
    E: Fn(&P::Input) -> Usd + Send + Sync + 'static,
{
    /// Draws `inner`'s calls from the ledger `name` in `store`, up to `limit`.
    pub fn new(inner: P, store: &RedisStore, name: &str, limit: Usd, estimate: E) -> Self {
        Self {
            meta: Meta::new(
                format!("shared_budget({})", inner.name()),
                Kind::new("shared_budget"),
            ),
            key: store.key(&["budget", name]),
            store: store.clone(),
            limit,
            period: None,
            mode: FailureMode::Open,
            script: redis::Script::new(RESERVE),
            estimate,
            inner,
        }
    }

    /// Starts the ledger over every `period` (a daily budget: one day),
    /// counted from its first reservation.
    pub fn period(mut self, period: Duration) -> Self {
        self.period = Some(period);
        self
    }

    /// What to do when Redis is unavailable; [`FailureMode::Open`] by default.
    pub fn failure_mode(mut self, mode: FailureMode) -> Self {
        self.mode = mode;
        self
    }

    /// What the ledger holds now: spent and reserved, across every replica.
    pub async fn spent(&self) -> std::result::Result<Usd, Unavailable> {
        let nanos: Option<i64> = self
            .store
            .call("budget_read", |mut connection| async move {
                redis::cmd("GET")
                    .arg(&self.key)
                    .query_async(&mut connection)
                    .await
            })
            .await?;
        Ok(Usd::from_nanos(nanos.unwrap_or(0).max(0).unsigned_abs()))
    }

    async fn reserve(
        &self,
        amount: Usd,
    ) -> std::result::Result<std::result::Result<(), Usd>, Unavailable> {
        let period_ms = self.period.map_or(0, |period| period.as_millis());
        let (reserved, spent): (i64, i64) = self
            .store
            .call("budget_reserve", |mut connection| async move {
                self.script
                    .key(&self.key)
                    .arg(nanos(self.limit))
                    .arg(nanos(amount))
                    .arg(u64::try_from(period_ms).unwrap_or(u64::MAX))
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        let spent = Usd::from_nanos(spent.max(0).unsigned_abs());
        Ok(if reserved == 1 { Ok(()) } else { Err(spent) })
    }

    async fn settle(&self, reserved: Usd, actual: Usd) {
        let delta = nanos(actual) - nanos(reserved);
        if delta == 0 {
            return;
        }
        let settled = self
            .store
            .call("budget_settle", |mut connection| async move {
                redis::cmd("INCRBY")
                    .arg(&self.key)
                    .arg(delta)
                    .query_async::<i64>(&mut connection)
                    .await
            })
            .await;
        if let Err(error) = settled {
            // The reservation stays: the ledger errs on the side of spent.
            tracing::warn!(key = %self.key, %error, "shared_budget_settle_failed");
        }
    }
}

fn nanos(usd: Usd) -> i64 {
    i64::try_from(usd.nanos()).unwrap_or(i64::MAX)
}

impl<P, E> Primitive for SharedBudget<P, E>
where
    P: Primitive,
    E: Fn(&P::Input) -> Usd + Send + Sync + 'static,
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
        let amount = (self.estimate)(&input);
        match self.reserve(amount).await {
            Ok(Ok(())) => {
                let (outcome, usage) =
                    measure(self.inner.call_at(input, ctx, Position::Inner)).await;
                self.settle(amount, usage.cost).await;
                outcome
            }
            Ok(Err(spent)) => Err(Error::BudgetExceeded {
                limit: Budget::Cost(self.limit),
                spent: Budget::Cost(spent),
            }),
            Err(unavailable) => {
                let name = self.meta.name();
                without_redis(
                    &self.inner,
                    input,
                    ctx,
                    name,
                    "budget",
                    self.mode,
                    unavailable,
                )
                .await
            }
        }
    }

    fn children(&self) -> Vec<Graph> {
        vec![self.inner.graph()]
    }
}
