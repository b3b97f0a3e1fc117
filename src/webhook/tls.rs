//! The webhook's certificate, reloaded when its files change (cert-manager rewrites the mounted
//! Secret's `tls.crt` and `tls.key` when it renews the certificate): a rustls certificate
//! resolver whose key is swapped in place, so new TLS handshakes use the new certificate and
//! open connections keep theirs.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// Reads a PEM certificate chain and its private key; the error names the file and the reason.
pub(crate) fn load(cert: &Path, key: &Path) -> Result<Arc<CertifiedKey>, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("{}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no PEM certificate in it", cert.display()));
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let signing =
        rustls::crypto::ring::sign::any_supported_type(&private).map_err(|e| format!("{}: {e}", key.display()))?;
    let certified = CertifiedKey::new(chain, signing);
    certified.keys_match().map_err(|e| format!("{} and {} do not match: {e}", cert.display(), key.display()))?;
    Ok(Arc::new(certified))
}

/// What identifies a version of the two files: their modification times and sizes.
type Stamp = [(SystemTime, u64); 2];

/// The stamp of the two files now (`None` while one is missing).
pub(crate) fn stamp(cert: &Path, key: &Path) -> Option<Stamp> {
    let of = |p: &Path| std::fs::metadata(p).ok().and_then(|m| Some((m.modified().ok()?, m.len())));
    Some([of(cert)?, of(key)?])
}

/// The current certificate, swapped when the files change.
#[derive(Debug)]
pub(crate) struct Reloading {
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
    current: RwLock<(Arc<CertifiedKey>, Option<Stamp>)>,
}

impl Reloading {
    /// Loads the files (an error when they cannot be used at start).
    pub(crate) fn new(cert: PathBuf, key: PathBuf) -> Result<Reloading, String> {
        let stamp = stamp(&cert, &key);
        let current = load(&cert, &key)?;
        Ok(Reloading { cert, key, current: RwLock::new((current, stamp)) })
    }

    /// Loads the files again when they changed: `Ok(true)` when the certificate was replaced,
    /// `Err` (the old one kept) when the new files cannot be used — for example while only one
    /// of the two has been rewritten; the next check tries again.
    pub(crate) fn reload_if_changed(&self) -> Result<bool, String> {
        let now = stamp(&self.cert, &self.key);
        let known = self.current.read().map(|c| c.1).unwrap_or(None);
        if now.is_none() || now == known {
            return Ok(false);
        }
        let fresh = load(&self.cert, &self.key)?;
        if let Ok(mut current) = self.current.write() {
            *current = (fresh, now);
        }
        Ok(true)
    }
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|c| Arc::clone(&c.0))
    }
}

/// The server configuration: TLS 1.2 and 1.3 with the ring provider, HTTP/1.1 (the API server
/// calls webhooks over HTTP/1.1 or HTTP/2; one protocol keeps the server simple).
pub(crate) fn server_config(resolver: Arc<Reloading>) -> Result<Arc<rustls::ServerConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
