//! Test support shared by the integration tests and examples of TTA.dev.
//!
//! - [`child`]: the test binary run again as a child process.
//! - [`metrics`]: one process-wide debugging recorder, read as exact values.
//! - [`http`]: a raw HTTP client for scraping and abusing endpoints.
//! - [`tools`]: `promtool` and the Pushgateway, found on the `PATH`.
//! - [`openai_mock`]: an OpenAI-compatible server on loopback, scripted per request.
//! - [`scripted_stream`]: a streaming provider in the process, scripted per call.
//! - [`redis_server`]: Debian's `redis-server` on a free loopback port.
//! - [`otlp_http`]: an OTLP/HTTP trace receiver, over HTTP or HTTPS.
//! - [`tls`]: rustls server settings for those servers.
//! - [`spans`]: a subscriber that captures spans, their parents and fields,
//!   and log events, for the current thread.

// Test code: a failed lock or a missing value is a test failure, so panicking is right.
#![allow(missing_docs, unreachable_pub, clippy::unwrap_used)]

pub mod child;
pub mod http;
pub mod metrics;
pub mod openai_mock;
pub mod otlp_http;
pub mod primitives;
pub mod redis_server;
pub mod scripted_stream;
pub mod spans;
pub mod tls;
pub mod tools;
