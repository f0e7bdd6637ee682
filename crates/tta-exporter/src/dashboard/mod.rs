//! A live dashboard served by the process itself, beside `/metrics`: the
//! panels of the shipped Grafana dashboard, the last runs as span
//! waterfalls, and each registered workflow's graph with live figures. It
//! needs no Docker and no network: every asset is in the binary.
//!
//! - The history is sampled once a second from the rendered metrics, so an
//!   execution pays nothing for it.
//! - Runs are collected only while someone has the page open (see
//!   [`runs`]); with nobody watching, no span is opened for them.
//! - On an address other than loopback, the data needs a token.

mod api;
mod assets;
mod exposition;
mod history;
mod runs;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use metrics_exporter_prometheus::PrometheusHandle;
use tta_core::{Graph, Primitive, PrimitiveExt};

use history::History;
pub(crate) use runs::{Capture, RunStore, WhileWatched};

use crate::background::Background;

/// How long after its last request a page still counts as watching.
const WATCHING_FOR: Duration = Duration::from_secs(10);
/// How many workflows can be registered; the oldest goes first.
const MAX_WORKFLOWS: usize = 64;
/// The default number of recent runs kept.
pub const DEFAULT_RUNS: usize = 50;
/// The most recent runs that can be kept.
pub const MAX_RUNS: usize = 1_000;

static WORKFLOWS: Mutex<Vec<Graph>> = Mutex::new(Vec::new());

/// Shows `workflow`'s composition on the dashboard, with live rate, error
/// ratio and p95 on each node. Registering another workflow of the same
/// name replaces it; at most 64 are shown.
///
/// ```
/// use tta_core::{from_fn, PrimitiveExt};
///
/// let fetch = from_fn("fetch", |q: String, _ctx| async move { Ok(q) });
/// let answer = from_fn("answer", |q: String, _ctx| async move { Ok(q.len()) });
/// tta_exporter::register_workflow(&(fetch >> answer));
/// ```
pub fn register_workflow(workflow: &impl Primitive) {
    let graph = workflow.graph();
    let mut workflows = WORKFLOWS.lock().unwrap_or_else(PoisonError::into_inner);
    workflows.retain(|known| known.name() != graph.name());
    if workflows.len() == MAX_WORKFLOWS {
        workflows.remove(0);
    }
    workflows.push(graph);
}

fn workflows() -> Vec<Graph> {
    WORKFLOWS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// The dashboard's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    /// Recent runs kept.
    pub(crate) runs: usize,
    /// The token the data needs; generated when the address is not
    /// loopback and none was given.
    pub(crate) token: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            runs: DEFAULT_RUNS,
            token: None,
        }
    }
}

/// The dashboard's state, shared by the endpoint and its sampler.
pub(crate) struct Dashboard {
    history: Mutex<History>,
    runs: Arc<RunStore>,
    token: Option<String>,
    url: String,
    metrics: PrometheusHandle,
    /// When the page last asked for data, in unix seconds.
    last_view: AtomicU64,
}

impl Dashboard {
    pub(crate) fn new(settings: &Settings, address: SocketAddr, metrics: PrometheusHandle) -> Self {
        let token = settings.token.clone().or_else(|| {
            (!address.ip().is_loopback()).then(|| format!("{:032x}", fastrand::u128(..)))
        });
        let url = match &token {
            Some(token) => format!("http://{address}/?token={token}"),
            None => format!("http://{address}/"),
        };
        Self {
            history: Mutex::new(History::default()),
            runs: Arc::new(RunStore::new(settings.runs)),
            token,
            url,
            metrics,
            last_view: AtomicU64::new(0),
        }
    }

    /// Where a browser opens it, token included.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The store the span layer fills.
    pub(crate) fn runs(&self) -> Arc<RunStore> {
        Arc::clone(&self.runs)
    }

    /// Samples the metrics once a second, and collects runs while the
    /// page is open.
    pub(crate) fn spawn_sampler(self: &Arc<Self>, background: &Background) {
        let dashboard = Arc::clone(self);
        background.handle().spawn(async move {
            tracing::info!(url = %dashboard.url, "dashboard_ready");
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tick.tick().await;
                dashboard.sample();
            }
        });
    }

    fn sample(&self) {
        let samples = exposition::parse(&self.metrics.render());
        let now = unix_now();
        self.history().record(now, &samples);
        let last_view = self.last_view.load(Ordering::Relaxed) as f64;
        runs::set_capturing(now - last_view < WATCHING_FOR.as_secs_f64());
    }

    fn history(&self) -> std::sync::MutexGuard<'_, History> {
        self.history.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes that a page is watching, and starts collecting runs at once
    /// rather than at the next tick.
    fn viewed(&self) {
        self.last_view.store(unix_now() as u64, Ordering::Relaxed);
        runs::set_capturing(true);
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64())
}
