//! An `https://` OTLP receiver whose certificate nobody trusts gets no
//! spans: the client verifies the server, and the lost spans are counted.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use tta::catalog::SPANS_DROPPED_TOTAL;
use tta::prelude::*;
use tta::telemetry::OtlpProtocol;
use tta_test_support::http::{parse_exposition, value};
use tta_test_support::otlp_http::{self, OtlpHttpReceiver};

#[test]
fn an_untrusted_certificate_is_refused_and_the_spans_are_counted_as_dropped() {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let receiver = OtlpHttpReceiver::start_tls(
        &certified.cert.pem(),
        &certified.signing_key.serialize_pem(),
    );
    let telemetry =
        receiver.install(|builder| builder.otlp(receiver.endpoint(), OtlpProtocol::HttpProtobuf));
    otlp_http::runtime().block_on(async {
        from_fn("untrusted_step", |n: u32, _ctx| async move { Ok(n) })
            .run(1)
            .await
            .unwrap();
    });
    telemetry.flush().unwrap_err();
    let dropped = value(
        &parse_exposition(&telemetry.render()),
        SPANS_DROPPED_TOTAL,
        &[],
    );
    assert_eq!(dropped, Some(1.0));
    drop(telemetry);
    assert!(receiver.spans(Duration::from_millis(500)).is_empty());
}
