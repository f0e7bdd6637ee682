//! `tta_router_decisions_total`: which route a router or conditional took.

use std::sync::OnceLock;

use metrics::{Counter, counter};

use super::Meta;
use crate::catalog;
use crate::context::WorkflowContext;
use crate::labels;

/// One counter per route of a closed set, registered on first use.
pub(crate) struct Decisions {
    routes: Vec<String>,
    counters: OnceLock<Vec<Counter>>,
}

impl Decisions {
    /// The route labels, fixed when the router is built.
    pub(crate) fn new(routes: impl IntoIterator<Item = String>) -> Self {
        Self {
            routes: routes.into_iter().collect(),
            counters: OnceLock::new(),
        }
    }

    /// Counts a decision for the route at `index` and puts its label on the
    /// router's span.
    pub(crate) fn record(&self, meta: &Meta, ctx: &WorkflowContext, index: usize) {
        let counters = self.counters.get_or_init(|| {
            let name = labels::bounded("primitive_name", meta.name());
            self.routes
                .iter()
                .map(|route| {
                    counter!(
                        catalog::ROUTER_DECISIONS_TOTAL,
                        "primitive_name" => name.clone(),
                        "route" => labels::bounded("route", route)
                    )
                })
                .collect()
        });
        if let Some(counter) = counters.get(index) {
            counter.increment(1);
        }
        if let Some(route) = self.routes.get(index) {
            super::record_on_own_span(ctx, super::fields::ROUTE, route.as_str());
        }
    }
}
