//! HTTPS for loopback fakes: a throw-away CA and a server certificate for 127.0.0.1 (an IP SAN,
//! which Go's TLS stack in kubectl, docker and terraform insists on) and `localhost`.

use super::Server;
use std::path::PathBuf;
use std::sync::Arc;
use tokex::loopback::{Conn, Request, Response};

pub struct Tls {
    /// The CA certificate, PEM: what clients must trust.
    pub ca_pem: String,
    /// `ca_pem` in a file, for `SSL_CERT_FILE` and `ca_file`.
    pub ca_file: PathBuf,
    config: Arc<rustls::ServerConfig>,
    _dir: tempfile::TempDir,
}

impl Tls {
    pub fn new() -> Tls {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "tokex test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);

        let key = KeyPair::generate().unwrap();
        let mut leaf =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
        leaf.distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.use_authority_key_identifier_extension = true;
        let cert = leaf.signed_by(&key, &issuer).unwrap();

        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone(), ca_cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca_cert.pem()).unwrap();
        Tls {
            ca_pem: ca_cert.pem(),
            ca_file,
            config: Arc::new(config),
            _dir: dir,
        }
    }

    /// A loopback server speaking HTTPS with this certificate.
    pub fn serve<F>(&self, handler: F) -> Server
    where
        F: Fn(&Request) -> Response + Send + Sync + 'static,
    {
        let config = self.config.clone();
        Server::start_with(
            handler,
            Arc::new(move |sock| {
                let conn =
                    rustls::ServerConnection::new(config.clone()).map_err(std::io::Error::other)?;
                Ok(Box::new(rustls::StreamOwned::new(conn, sock)) as Box<dyn Conn>)
            }),
        )
        .unwrap()
    }
}
