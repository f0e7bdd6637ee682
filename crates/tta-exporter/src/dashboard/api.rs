//! The dashboard's routes: the page, its assets, and the JSON it polls.
//!
//! | route | what |
//! |---|---|
//! | `GET /` | the page |
//! | `GET /assets/{name}` | its script, styles and uPlot |
//! | `GET /api/dashboard?since=T&runs=V` | history after `T`, current figures, and the runs unless their version is still `V` |
//! | `GET /api/graphs` | every registered workflow: nodes with live figures, Mermaid and DOT |
//! | `GET /api/graphs/{index}.mmd`, `.dot` | one workflow's graph as Mermaid or DOT |
//!
//! Every answer forbids scripts and styles from anywhere but this origin,
//! framing, and content sniffing. The data routes need the token when the
//! dashboard has one.

use bytes::Bytes;
use http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HeaderValue, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use http::{Method, StatusCode};
use http_body_util::Full;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use super::assets::{self, Asset};
use super::{Dashboard, runs, workflows};

pub(crate) type Response = http::Response<Full<Bytes>>;

/// Scripts and styles from this origin only; no inline script, no frames,
/// no other origin to talk to.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

impl Dashboard {
    /// The answer to a dashboard route, or `None` for a path that is not one.
    pub(crate) fn respond(
        &self,
        method: &Method,
        path: &str,
        query: Option<&str>,
    ) -> Option<Response> {
        let asset = if path == "/" || path == "/index.html" {
            Some(assets::INDEX)
        } else if let Some(name) = path.strip_prefix("/assets/") {
            Some(assets::named(name)?)
        } else {
            None
        };
        let is_data = path.starts_with("/api/");
        if asset.is_none() && !is_data {
            return None;
        }
        if method != Method::GET && method != Method::HEAD {
            return Some(text(StatusCode::METHOD_NOT_ALLOWED, "use GET\n"));
        }
        if let Some(asset) = asset {
            return Some(static_asset(&asset));
        }
        if !self.authorised(query) {
            return Some(text(
                StatusCode::UNAUTHORIZED,
                "this dashboard needs its token: open the URL the process logged as `dashboard_ready`\n",
            ));
        }
        self.viewed();
        let body = match path {
            "/api/dashboard" => Ok(self.snapshot(query)),
            "/api/graphs" => Ok(graphs(|name| self.history().node(name))),
            _ => match graph_export(path) {
                Some(export) => Err(export),
                None => return Some(text(StatusCode::NOT_FOUND, "no such dashboard route\n")),
            },
        };
        Some(match body {
            Ok(value) => json_response(&value),
            Err((content_type, body)) => secured(StatusCode::OK, content_type, Bytes::from(body)),
        })
    }

    fn authorised(&self, query: Option<&str>) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        param(query, "token")
            .is_some_and(|given| constant_time_eq(given.as_bytes(), token.as_bytes()))
    }

    fn snapshot(&self, query: Option<&str>) -> Value {
        let since = param(query, "since")
            .and_then(|since| since.parse::<f64>().ok())
            .unwrap_or(0.0);
        let known_runs = param(query, "runs").and_then(|version| version.parse::<u64>().ok());
        let history = self.history();
        let mut snapshot = history.since(since);
        snapshot["distribution"] = history.distribution();
        snapshot["breakers"] = history.breakers();
        drop(history);
        let version = self.runs.version();
        snapshot["runs_version"] = json!(version);
        if known_runs != Some(version) {
            snapshot["runs"] = self.runs.to_json();
        }
        snapshot["capturing"] = json!(runs::is_capturing());
        snapshot
    }
}

/// Every registered workflow, each node with its live figures.
fn graphs(stats: impl Fn(&str) -> Option<super::history::NodeStats>) -> Value {
    let graphs: Vec<Value> = workflows()
        .iter()
        .map(|graph| {
            let nodes: Vec<Value> = graph
                .nodes()
                .into_iter()
                .map(|(parent, node)| {
                    let figures = stats(node.name());
                    json!({
                        "name": node.name(),
                        "kind": node.kind(),
                        "parent": parent,
                        "rate": figures.map(|f| f.rate),
                        "error_ratio": figures.and_then(|f| f.error_ratio),
                        "p95_ms": figures.and_then(|f| f.p95_ms),
                    })
                })
                .collect();
            json!({
                "name": graph.name(),
                "nodes": nodes,
                "mermaid": graph.to_mermaid(),
                "dot": graph.to_dot(),
            })
        })
        .collect();
    json!(graphs)
}

/// `/api/graphs/{index}.mmd` or `.dot`.
fn graph_export(path: &str) -> Option<(&'static str, String)> {
    let file = path.strip_prefix("/api/graphs/")?;
    let (index, extension) = file.rsplit_once('.')?;
    let graph = workflows().get(index.parse::<usize>().ok()?)?.clone();
    match extension {
        "mmd" => Some(("text/plain; charset=utf-8", graph.to_mermaid())),
        "dot" => Some(("text/vnd.graphviz; charset=utf-8", graph.to_dot())),
        _ => None,
    }
}

/// The decoded value of `name` in a query string.
fn param<'q>(query: Option<&'q str>, name: &str) -> Option<std::borrow::Cow<'q, str>> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .and_then(|(_, value)| percent_decode_str(value).decode_utf8().ok())
}

/// Compares without stopping at the first difference, so the time taken
/// says nothing about how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

fn static_asset(asset: &Asset) -> Response {
    let mut response = secured(
        StatusCode::OK,
        asset.content_type,
        Bytes::from_static(asset.body),
    );
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn json_response(value: &Value) -> Response {
    let mut response = secured(
        StatusCode::OK,
        "application/json",
        Bytes::from(value.to_string()),
    );
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn text(status: StatusCode, body: &'static str) -> Response {
    secured(
        status,
        "text/plain; charset=utf-8",
        Bytes::from_static(body.as_bytes()),
    )
}

fn secured(status: StatusCode, content_type: &'static str, body: Bytes) -> Response {
    let mut response = http::Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_decoded() {
        assert_eq!(
            param(Some("since=12.5&token=a%20b"), "token").as_deref(),
            Some("a b")
        );
        assert_eq!(param(Some("since=1"), "token"), None);
        assert_eq!(param(None, "token"), None);
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn the_page_and_its_assets_fit_in_200_kb() {
        assert!(
            assets::total_size() <= 200 * 1024,
            "{}",
            assets::total_size()
        );
    }
}
