//! An unreachable collector is not fatal: start-up succeeds, and the spans
//! that cannot be delivered are counted in `tta_spans_dropped_total`.

#![allow(clippy::unwrap_used)]

use tta::prelude::*;
use tta::telemetry::{LogFormat, OtlpProtocol};
use tta_test_support::http::{self, parse_exposition, value};
use tta_test_support::otlp_http;

#[test]
fn an_unreachable_collector_is_counted_not_fatal() {
    // A port nothing listens on: bound, then released.
    let nowhere = http::free_port();
    let telemetry = tta::telemetry::builder()
        .without_metrics_endpoint()
        .log_format(LogFormat::Off)
        .otlp(format!("http://{nowhere}"), OtlpProtocol::HttpProtobuf)
        .install()
        .unwrap();

    let runtime = otlp_http::runtime();
    runtime.block_on(async {
        let step = from_fn("unreachable_step", |x: u8, _ctx| async move { Ok(x) });
        for x in 0..4 {
            assert_eq!(step.run(x).await.unwrap(), x, "workflows run as usual");
        }
    });
    assert!(
        telemetry.flush().is_err(),
        "the failed export is reported to the caller"
    );
    let samples = parse_exposition(&telemetry.render());
    assert_eq!(value(&samples, "tta_spans_dropped_total", &[]), Some(4.0));

    // Spans still queued at shutdown are lost too, and shutdown says so.
    runtime.block_on(async {
        let step = from_fn("unreachable_late", |x: u8, _ctx| async move { Ok(x) });
        step.run(9).await.unwrap();
    });
    let error = telemetry.shutdown().unwrap_err();
    assert!(
        matches!(error, tta::telemetry::TelemetryError::Flush(_)),
        "{error:?}"
    );
}
