//! TLS for `serve` (rustls, with the *ring* provider): the certificate
//! chain and private key from PEM files, TLS 1.2 and 1.3 with rustls's safe
//! defaults, HTTP/1.1 by ALPN. Without them the server speaks plain HTTP
//! (behind a TLS-terminating proxy, or on loopback).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

/// Where the certificate chain and its key are.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// The certificate chain, PEM, leaf first.
    pub cert: PathBuf,
    /// The private key, PEM (PKCS #8, PKCS #1 or SEC 1).
    pub key: PathBuf,
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("couldn't set up TLS with {path}: {reason}")]
pub struct TlsError {
    /// The file at fault.
    pub path: PathBuf,
    /// Why.
    pub reason: String,
}

/// The acceptor for `files`.
pub fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor, TlsError> {
    let bad = |path: &Path, reason: String| TlsError { path: path.to_owned(), reason };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| bad(&files.cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad(&files.cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(bad(&files.cert, "no CERTIFICATE block in the file".into()));
    }
    let key =
        PrivateKeyDer::from_pem_file(&files.key).map_err(|e| bad(&files.key, e.to_string()))?;
    // *ring*, not aws-lc-rs: no C toolchain beyond cc, and the same crate
    // the rest of the build can share. rustls deprecates it for lacking
    // post-quantum key exchange; hybrid ML-KEM waits on aws-lc-rs here.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(&files.cert, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            bad(&files.key, format!("the key does not fit the certificate, or is not usable: {e}"))
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
