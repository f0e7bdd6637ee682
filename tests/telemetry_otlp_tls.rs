//! OTLP to a hosted back end: spans over `https://` to a receiver with a
//! self-signed certificate made here, trusted through the builder, with an
//! API-key header on every export. (One process per telemetry install: the
//! untrusted case is `telemetry_otlp_tls_untrusted.rs`.)

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use tta::prelude::*;
use tta::telemetry::OtlpProtocol;
use tta_test_support::otlp_http::{self, OtlpHttpReceiver};

#[test]
fn spans_reach_an_https_receiver_with_the_api_key_header() {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let certificate = certified.cert.pem();
    let receiver =
        OtlpHttpReceiver::start_tls(&certificate, &certified.signing_key.serialize_pem());
    assert!(receiver.endpoint().starts_with("https://localhost:"));

    let telemetry = receiver.install(|builder| {
        builder
            .otlp(receiver.endpoint(), OtlpProtocol::HttpProtobuf)
            .otlp_root_certificates_pem(certificate.clone())
            .otlp_header("Authorization", "Bearer glc_test-token")
            .service_name("tls-batch")
    });
    otlp_http::runtime().block_on(async {
        let step = from_fn("tls_step", |n: u32, _ctx| async move { Ok(n + 1) });
        for n in 0..3 {
            step.run(n).await.unwrap();
        }
    });
    telemetry.shutdown().unwrap();

    let spans = receiver.spans(Duration::from_secs(10));
    let names: Vec<_> = spans.iter().map(|span| span.name.as_str()).collect();
    assert_eq!(names, ["tls_step"; 3], "every span arrived over TLS");
    let headers = receiver.last_headers();
    assert!(
        headers.contains(&(
            "authorization".to_owned(),
            "Bearer glc_test-token".to_owned()
        )),
        "{headers:?}"
    );
}
