//! `tta_router_decisions_total`: which route a router or conditional took.

use metrics::Label;

use super::Meta;
use super::family::CounterFamily;
use crate::catalog;
use crate::context::WorkflowContext;
use crate::labels;

/// One counter per route of a closed set.
pub(crate) struct Decisions {
    routes: Vec<String>,
    counters: CounterFamily,
}

impl Decisions {
    /// The route labels, fixed when the router is built.
    pub(crate) fn new(routes: impl IntoIterator<Item = String>) -> Self {
        let routes: Vec<String> = routes.into_iter().collect();
        let series = routes
            .iter()
            .map(|route| vec![Label::new("route", labels::bounded("route", route))]);
        Self {
            counters: CounterFamily::new(catalog::ROUTER_DECISIONS_TOTAL, series),
            routes,
        }
    }

    /// Counts a decision for the route at `index` and puts its label on the
    /// router's span.
    pub(crate) fn record(&self, meta: &Meta, ctx: &WorkflowContext, index: usize) {
        self.counters.increment(meta.name(), index);
        if let Some(route) = self.routes.get(index) {
            super::record_on_own_span(ctx, super::fields::ROUTE, route.as_str());
        }
    }
}
