//! [`RetryBudget`]: a cap on retries and hedges in proportion to requests.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::Instant;

use crate::catalog;
use crate::config::ConfigError;
use crate::instrument::OwnCounter;

/// How many slices the window is kept in: requests and retries leave the
/// window one slice at a time.
const SLICES: u32 = 10;

/// A budget of extra attempts, shared by every [`Retry`](super::Retry) and
/// [`Hedge`](super::Hedge) it is given to: over any window, the extra
/// attempts they start are at most `ratio` × the requests they saw, plus a
/// `reserve` that lets a quiet workflow retry at all.
///
/// Retries multiply load exactly when a provider is failing; a budget keeps
/// a workflow from hammering it. With the defaults, against a provider that
/// fails every call, attempts stay at most 1.2 × requests plus the reserve,
/// where a plain three-attempt retry would send 3 ×. A refused retry or
/// hedge increments `tta_retry_budget_exhausted_total` under the refusing
/// primitive's name; the retry then gives up with
/// [`Error::RetriesExhausted`](crate::Error::RetriesExhausted), and the
/// hedge waits for its first attempt.
///
/// This is the scheme of tower's `TpsBudget` and Finagle's `RetryBudget`.
///
/// | setting | default |
/// |---|---|
/// | [`ratio`](RetryBudgetBuilder::ratio) | 0.2 extra attempts per request |
/// | [`reserve`](RetryBudgetBuilder::reserve) | 10 extra attempts per window |
/// | [`window`](RetryBudgetBuilder::window) | 10 s |
///
/// Clones share one budget: give a clone to each retry and hedge of a
/// workflow. A request is counted once however many of them it passes
/// through: in `retry(x).hedge(..)` sharing one budget, the retry inside
/// the hedge deposits nothing more.
///
/// ```
/// use std::time::Duration;
/// use tta_core::resilience::{RetryBudget, RetryPolicy};
///
/// let budget = RetryBudget::builder().ratio(0.1).reserve(5).window(Duration::from_secs(30)).build()?;
/// let policy = RetryPolicy::builder().max_attempts(4).budget(budget.clone()).build()?;
/// # let _ = policy;
/// # Ok::<(), tta_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct RetryBudget {
    inner: Arc<Inner>,
}

struct Inner {
    ratio: f64,
    reserve: u32,
    window: Duration,
    slices: Mutex<Slices>,
}

/// Requests and extra attempts per slice of the window, oldest first.
struct Slices {
    /// When the newest slice started.
    newest_started: Instant,
    counts: [(u64, u64); SLICES as usize],
    /// The index of the newest slice.
    newest: usize,
}

/// Builds a [`RetryBudget`]; every setting has the default documented there.
#[derive(Debug, Clone, Copy)]
#[must_use = "call `build()` to get the budget"]
pub struct RetryBudgetBuilder {
    ratio: f64,
    reserve: u32,
    window: Duration,
}

impl RetryBudget {
    /// Starts from the defaults in the table above.
    pub fn builder() -> RetryBudgetBuilder {
        RetryBudgetBuilder {
            ratio: 0.2,
            reserve: 10,
            window: Duration::from_secs(10),
        }
    }

    /// Records a request, unless a primitive sharing this budget is already
    /// running the call it belongs to.
    pub(crate) fn deposit_request(&self) {
        let id = self.id();
        if !COVERED.with_borrow(|covered| covered.contains(&id)) {
            self.deposit();
        }
    }

    fn id(&self) -> usize {
        Arc::as_ptr(&self.inner).addr()
    }

    /// Records a request: each one earns `ratio` extra attempts.
    pub fn deposit(&self) {
        self.with_slices(|slices, _| slices.counts[slices.newest].0 += 1);
    }

    /// Takes one extra attempt from the budget, if it has one left.
    pub fn try_withdraw(&self) -> bool {
        self.with_slices(|slices, allowed| {
            let granted = slices.extra() < allowed;
            if granted {
                slices.counts[slices.newest].1 += 1;
            }
            granted
        })
    }

    /// The extra attempts the budget would allow now.
    pub fn remaining(&self) -> u64 {
        self.with_slices(|slices, allowed| allowed.saturating_sub(slices.extra()))
    }

    /// Runs `f` on the window's slices, with the extra attempts the
    /// window's requests allow.
    fn with_slices<R>(&self, f: impl FnOnce(&mut Slices, u64) -> R) -> R {
        // Every change is a counter increment: a poisoned lock is sound.
        let mut slices = self
            .inner
            .slices
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        slices.advance(self.inner.window / SLICES);
        let requests: u64 = slices.counts.iter().map(|(requests, _)| requests).sum();
        // Counts stay far below 2^53, where f64 is exact.
        let earned = self.inner.ratio * requests as f64 + f64::from(self.inner.reserve);
        f(&mut slices, earned.floor() as u64)
    }
}

impl Slices {
    /// The extra attempts taken in the window.
    fn extra(&self) -> u64 {
        self.counts.iter().map(|(_, extra)| extra).sum()
    }

    /// Retires the slices that have left the window.
    fn advance(&mut self, slice: Duration) {
        let now = Instant::now();
        let mut passed = 0;
        while now.saturating_duration_since(self.newest_started) >= slice && passed < SLICES {
            self.newest = (self.newest + 1) % SLICES as usize;
            self.counts[self.newest] = (0, 0);
            self.newest_started += slice;
            passed += 1;
        }
        if passed == SLICES {
            // Idle for a whole window: every slice is empty; start afresh.
            self.newest_started = now;
        }
    }
}

impl RetryBudgetBuilder {
    /// Extra attempts each request earns: 0.0 to 1.0 (0.2 lets one in five
    /// requests retry once).
    pub fn ratio(mut self, ratio: f64) -> Self {
        self.ratio = ratio;
        self
    }

    /// Extra attempts allowed per window whatever the request count.
    pub fn reserve(mut self, reserve: u32) -> Self {
        self.reserve = reserve;
        self
    }

    /// How long a request or an extra attempt counts, from 1 s to 1 h.
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Checks the settings: an error names the field and the allowed range.
    pub fn build(self) -> Result<RetryBudget, ConfigError> {
        if !(0.0..=1.0).contains(&self.ratio) {
            return Err(ConfigError::new(
                "ratio",
                format!("must be between 0.0 and 1.0, got {}", self.ratio),
            ));
        }
        if !(Duration::from_secs(1)..=Duration::from_secs(3600)).contains(&self.window) {
            return Err(ConfigError::new(
                "window",
                format!("must be between 1 s and 1 h, got {:?}", self.window),
            ));
        }
        Ok(RetryBudget {
            inner: Arc::new(Inner {
                ratio: self.ratio,
                reserve: self.reserve,
                window: self.window,
                slices: Mutex::new(Slices {
                    newest_started: Instant::now(),
                    counts: [(0, 0); SLICES as usize],
                    newest: 0,
                }),
            }),
        })
    }
}

/// A retry's or a hedge's side of an optional shared budget: it deposits
/// the requests the primitive runs and counts, under the primitive's name,
/// the extra attempts the budget refuses.
pub(crate) struct BudgetGate {
    budget: Option<RetryBudget>,
    refusals: OwnCounter,
}

impl BudgetGate {
    pub(crate) fn new(budget: Option<RetryBudget>) -> Self {
        Self {
            budget,
            refusals: OwnCounter::new(catalog::RETRY_BUDGET_EXHAUSTED_TOTAL),
        }
    }

    pub(crate) fn budget(&self) -> Option<&RetryBudget> {
        self.budget.as_ref()
    }

    /// Deposits the request `name` is about to run. The refusal counter is
    /// exported from the first request on, so "never refused" reads as 0.
    pub(crate) fn request(&self, name: &str) {
        if let Some(budget) = &self.budget {
            self.refusals.register(name);
            budget.deposit_request();
        }
    }

    /// Whether `name` may start an extra attempt; a refusal is counted.
    pub(crate) fn allow_extra(&self, name: &str) -> bool {
        match &self.budget {
            Some(budget) if !budget.try_withdraw() => {
                self.refusals.increment(name);
                false
            }
            _ => true,
        }
    }
}

thread_local! {
    /// The budgets whose requests are being run by the current poll.
    static COVERED: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

pin_project! {
    /// An attempt run on behalf of a request that has deposited into
    /// `budget`: primitives inside it sharing the budget do not deposit again.
    pub(crate) struct Covered<'b, F> {
        #[pin]
        inner: F,
        budget: Option<&'b RetryBudget>,
    }
}

impl<'b, F> Covered<'b, F> {
    pub(crate) fn new(inner: F, budget: Option<&'b RetryBudget>) -> Self {
        Self { inner, budget }
    }
}

/// Takes a budget off [`COVERED`] even if the poll unwinds.
struct Uncover;

impl Drop for Uncover {
    fn drop(&mut self) {
        COVERED.with_borrow_mut(|covered| covered.pop());
    }
}

impl<F: Future> Future for Covered<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        match this.budget {
            Some(budget) => {
                COVERED.with_borrow_mut(|covered| covered.push(budget.id()));
                let _uncover = Uncover;
                this.inner.poll(cx)
            }
            None => this.inner.poll(cx),
        }
    }
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryBudget")
            .field("ratio", &self.inner.ratio)
            .field("reserve", &self.inner.reserve)
            .field("window", &self.inner.window)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(ratio: f64, reserve: u32) -> RetryBudget {
        RetryBudget::builder()
            .ratio(ratio)
            .reserve(reserve)
            .build()
            .expect("valid budget")
    }

    #[tokio::test(start_paused = true)]
    async fn extra_attempts_stay_within_ratio_times_requests_plus_reserve() {
        let budget = budget(0.2, 3);
        let mut granted = 0;
        for _ in 0..100 {
            budget.deposit();
            for _ in 0..5 {
                granted += u32::from(budget.try_withdraw());
            }
        }
        assert_eq!(granted, 20 + 3);
        assert_eq!(budget.remaining(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn what_was_spent_leaves_the_window_and_is_earned_again() {
        let budget = budget(0.0, 2);
        assert!(budget.try_withdraw() && budget.try_withdraw());
        assert!(!budget.try_withdraw());
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(!budget.try_withdraw(), "half a window later, still spent");
        tokio::time::advance(Duration::from_secs(6)).await;
        assert!(budget.try_withdraw(), "a window later, the reserve is back");
        tokio::time::advance(Duration::from_secs(3600)).await;
        assert_eq!(budget.remaining(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_inside_another_sharing_the_budget_deposits_once() {
        let budget = budget(1.0, 0);
        budget.deposit_request();
        Covered::new(async { budget.deposit_request() }, Some(&budget)).await;
        assert_eq!(budget.remaining(), 1, "one request, one extra attempt");
        Covered::new(async { budget.deposit_request() }, None).await;
        assert_eq!(budget.remaining(), 2);
    }

    #[test]
    fn invalid_settings_name_their_field() {
        let ratio = RetryBudget::builder().ratio(1.5).build().unwrap_err();
        assert_eq!(ratio.field(), "ratio");
        let window = RetryBudget::builder()
            .window(Duration::ZERO)
            .build()
            .unwrap_err();
        assert_eq!(window.field(), "window");
    }
}
