//! A rate limit shared through Redis: GCRA in one Lua script, atomic on the
//! server and timed by the server's clock, so replicas with skewed clocks
//! still share one schedule.

use std::time::Duration;

use tta_core::resilience::{
    Acquire, Admission, BoxFuture, FailureMode, SharedRateLimiter, Unavailable,
};

use crate::metrics;
use crate::store::RedisStore;

/// The generic cell rate algorithm with reservations.
///
/// The key holds the theoretical arrival time (TAT) of the next unit, in
/// server milliseconds. A call of `cost` units moves it `cost` emission
/// intervals on and may start once it is within `burst` intervals of now.
/// A call that would wait longer than its patience changes nothing and is
/// told when to come back; one that may wait takes its slot now, so calls
/// are served in the order they asked, across every replica.
///
/// Returns `{admitted, wait_ms}`, with `wait_ms` as a string: Redis turns a
/// Lua number into an integer.
pub(crate) const GCRA: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local patience = tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next_tat = tat + interval * cost
local wait = next_tat - interval * burst - now
if wait < 0 then wait = 0 end
if wait > patience then
  return {0, tostring(wait)}
end
redis.call('SET', KEYS[1], string.format('%.3f', next_tat), 'PX', math.ceil(next_tat - now) + 1000)
return {1, tostring(wait)}
";

/// A [`SharedRateLimiter`] on Redis; give it to
/// [`RateLimit::shared`](tta_core::resilience::RateLimit::shared).
#[derive(Debug, Clone)]
pub struct RedisRateLimiter {
    store: RedisStore,
    key: String,
    mode: FailureMode,
    script: redis::Script,
}

impl RedisRateLimiter {
    pub(crate) fn new(store: &RedisStore, name: &str, mode: FailureMode) -> Self {
        Self {
            key: store.key(&["limit", name]),
            store: store.clone(),
            mode,
            script: redis::Script::new(GCRA),
        }
    }
}

impl SharedRateLimiter for RedisRateLimiter {
    fn acquire(&self, request: Acquire) -> BoxFuture<'_, Result<Admission, Unavailable>> {
        Box::pin(async move {
            let interval_ms = 1_000.0 / request.rate_per_second;
            let patience_ms = request.patience.as_secs_f64() * 1e3;
            let (admitted, wait_ms): (i64, String) = self
                .store
                .call("rate_limit", |mut connection| async move {
                    self.script
                        .key(&self.key)
                        .arg(interval_ms)
                        .arg(request.burst)
                        .arg(request.cost)
                        .arg(patience_ms.min(1e15))
                        .invoke_async(&mut connection)
                        .await
                })
                .await
                .map_err(|error| Unavailable {
                    what: "rate limit",
                    reason: error.reason,
                })?;
            let wait = wait_ms
                .parse::<f64>()
                .ok()
                .filter(|ms| ms.is_finite() && *ms >= 0.0)
                .map_or(Duration::ZERO, |ms| Duration::from_secs_f64(ms / 1e3));
            Ok(if admitted == 1 {
                Admission::After(wait)
            } else {
                Admission::Denied { retry_after: wait }
            })
        })
    }

    fn failure_mode(&self) -> FailureMode {
        self.mode
    }

    fn degraded(&self, primitive: &str) {
        metrics::degraded(primitive, "rate_limit", self.mode);
    }
}
