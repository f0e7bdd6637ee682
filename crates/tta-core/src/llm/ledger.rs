//! A run's running totals and budgets, shared with its child runs.

use std::sync::{Arc, Mutex, PoisonError};

use super::money::Usd;
use super::usage::{Budget, UsageTotals};
use crate::error::Error;

/// The limits one context sets; a child run is bound by its own and by
/// every ancestor's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) cost: Option<Usd>,
    pub(crate) tokens: Option<u64>,
}

/// What one run and its child runs reported.
#[derive(Debug)]
pub(crate) struct Ledger {
    totals: Mutex<UsageTotals>,
    limits: Limits,
    parent: Option<Arc<Ledger>>,
    /// Whether this ledger or an ancestor has a limit, so the check before
    /// every execution of an unlimited run is one branch.
    limited: bool,
}

impl Ledger {
    pub(crate) fn new(limits: Limits, parent: Option<Arc<Ledger>>) -> Self {
        let own = limits.cost.is_some() || limits.tokens.is_some();
        Self {
            totals: Mutex::new(UsageTotals::default()),
            limited: own || parent.as_ref().is_some_and(|parent| parent.limited),
            limits,
            parent,
        }
    }

    /// Adds one call to this run and every run above it.
    pub(crate) fn add(&self, call: UsageTotals) {
        let mut ledger = Some(self);
        while let Some(current) = ledger {
            *current
                .totals
                .lock()
                .unwrap_or_else(PoisonError::into_inner) += call;
            ledger = current.parent.as_deref();
        }
    }

    pub(crate) fn totals(&self) -> UsageTotals {
        *self.totals.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }

    /// [`Error::BudgetExceeded`] if this run or one above it has spent a budget.
    pub(crate) fn refusal(&self) -> Option<Error> {
        if !self.limited {
            return None;
        }
        let mut ledger = Some(self);
        while let Some(current) = ledger {
            if let Some(error) = current.spent() {
                return Some(error);
            }
            ledger = current.parent.as_deref();
        }
        None
    }

    fn spent(&self) -> Option<Error> {
        let totals = self.totals();
        if let Some(limit) = self.limits.cost
            && totals.cost >= limit
        {
            return Some(Error::BudgetExceeded {
                limit: Budget::Cost(limit),
                spent: Budget::Cost(totals.cost),
            });
        }
        if let Some(limit) = self.limits.tokens
            && totals.total_tokens() >= limit
        {
            return Some(Error::BudgetExceeded {
                limit: Budget::Tokens(limit),
                spent: Budget::Tokens(totals.total_tokens()),
            });
        }
        None
    }
}
