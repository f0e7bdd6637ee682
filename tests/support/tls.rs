//! TLS for the loopback servers the tests start: a rustls server
//! configuration (with *ring*) from a PEM certificate chain and key, such
//! as a test's own `rcgen` certificate for `localhost`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

pub fn server_config(certificate_pem: &str, key_pem: &str) -> Arc<rustls::ServerConfig> {
    let chain = CertificateDer::pem_slice_iter(certificate_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    Arc::new(config)
}

/// A connection as a server reads it: plain TCP, or TLS over TCP.
pub trait Connection: Read + Write + Send {}

impl<T: Read + Write + Send> Connection for T {}

/// Serves every connection `listener` accepts on a thread of its own, over
/// TLS when `tls` is set; reads time out after `read_timeout`, so no test
/// server thread waits forever.
pub fn serve_each(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    read_timeout: Duration,
    serve: impl Fn(Box<dyn Connection>) + Clone + Send + 'static,
) {
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (tls, serve) = (tls.clone(), serve.clone());
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(read_timeout));
                if let Some(connection) = secure(stream, tls) {
                    serve(connection);
                }
            });
        }
    });
}

fn secure(
    stream: TcpStream,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> Option<Box<dyn Connection>> {
    match tls {
        None => Some(Box::new(stream)),
        Some(config) => {
            let connection = rustls::ServerConnection::new(config).ok()?;
            Some(Box::new(rustls::StreamOwned::new(connection, stream)))
        }
    }
}
