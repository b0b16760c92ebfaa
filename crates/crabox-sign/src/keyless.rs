//! Keyless signing: an OIDC identity token (GitHub Actions' ambient token, audience `sigstore`)
//! buys a short-lived Fulcio certificate for an ephemeral P-256 key; each signature is entered in
//! Rekor (v1 or v2) and timestamped by an RFC 3161 authority. The services are called one at a
//! time here (not through `sigstore-sign`'s one-shot signer) so that each call is retried on its
//! own with backoff on timeouts, 5xx and 429, and a final failure names the service and status.
//! One certificate serves every artifact of a run.

use std::future::Future;
use std::time::Duration;

use sigstore_bundle::BundleV03;
use sigstore_crypto::KeyPair;
use sigstore_sign::fulcio::FulcioClient;
use sigstore_sign::oidc::IdentityToken;
use sigstore_sign::rekor::{
    DsseEntry, HashedRekord, HashedRekordV2, RekorClient, RekorV2Client, RekorV2KeyDetails,
};
use sigstore_sign::reqwest;
use sigstore_sign::tsa::TimestampClient;
use sigstore_types::{
    Bundle, DerCertificate, KindVersion, Sha256Hash, SignatureBytes, TimestampToken,
    TransparencyLogEntry,
};

use crate::error::{KeyProblem, SignError, source};
use crate::sign::{IN_TOTO_PAYLOAD_TYPE, dsse_envelope, pae, sign_digest};

/// Where keyless signatures go.
#[derive(Debug, Clone)]
pub struct Services {
    pub fulcio_url: String,
    pub rekor_url: String,
    /// Rekor API major version: 1 or 2.
    pub rekor_version: u8,
    /// The RFC 3161 timestamp endpoint; required with Rekor v2.
    pub tsa_url: Option<String>,
}

/// How often and how patiently a service call is retried.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Attempts in all (the first one included).
    pub attempts: u32,
    /// Wait before the second attempt; doubled before each further one.
    pub first_wait: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 4,
            first_wait: Duration::from_millis(500),
        }
    }
}

/// The OIDC token the environment offers for audience `sigstore` (GitHub Actions with
/// `id-token: write`, and the other CI systems `ambient-id` knows), or `None`.
pub fn ambient_token() -> Result<Option<IdentityToken>, SignError> {
    runtime()?
        .block_on(IdentityToken::detect_ambient())
        .map_err(|e| SignError::Service {
            service: "OIDC",
            status: None,
            attempts: 1,
            source: source(e),
        })
}

/// A token given as text (a JWT), for other identity providers.
pub fn token_from_jwt(jwt: &str) -> Result<IdentityToken, SignError> {
    IdentityToken::from_jwt(jwt).map_err(|e| SignError::Key {
        file: "identity token".to_owned(),
        problem: KeyProblem::NotJwt,
        source: Some(source(e)),
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, SignError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| SignError::Crypto {
            operation: "start the I/O runtime",
            source: Some(source(e)),
        })
}

/// A signer holding a Fulcio certificate for an ephemeral key.
pub struct KeylessSigner {
    services: Services,
    retry: Retry,
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    key: KeyPair,
    certificate: DerCertificate,
    identity: String,
}

/// A failed service call: the service, the HTTP status when there was one, and whether trying
/// again may help (timeouts, connection failures, 5xx, 429).
struct Failure {
    status: Option<u16>,
    message: String,
    transient: bool,
}

fn classify(status: Option<u16>, message: String) -> Failure {
    let transient = status.is_none_or(|s| s >= 500 || s == 429);
    Failure {
        status,
        message,
        transient,
    }
}

/// A service error: retried when it has a 5xx or 429 status or none (a transport failure).
fn service_failure(status: Option<u16>, transport: bool, message: String) -> Failure {
    if status.is_some() || transport {
        classify(status, message)
    } else {
        Failure {
            status: None,
            message,
            transient: false,
        }
    }
}

fn fulcio_failure(err: &sigstore_sign::fulcio::Error) -> Failure {
    use sigstore_sign::fulcio::Error;
    let (status, transport) = match err {
        Error::Status { status, .. } => (Some(*status), false),
        Error::Http(_) => (None, true),
        _ => (None, false),
    };
    service_failure(status, transport, err.to_string())
}

fn rekor_failure(err: &sigstore_sign::rekor::Error) -> Failure {
    use sigstore_sign::rekor::Error;
    let (status, transport) = match err {
        Error::Status { status, .. } => (Some(*status), false),
        Error::Http(_) => (None, true),
        _ => (None, false),
    };
    service_failure(status, transport, err.to_string())
}

fn tsa_failure(err: &sigstore_sign::tsa::Error) -> Failure {
    use sigstore_sign::tsa::Error;
    match err {
        // The TSA client reports a status only inside its message: "TSA returned status 503 …".
        Error::Http(message) => {
            let status = message
                .split_once("status ")
                .and_then(|(_, rest)| rest.get(..3))
                .and_then(|code| code.parse().ok());
            service_failure(status, true, err.to_string())
        }
        _ => service_failure(None, false, err.to_string()),
    }
}

/// Runs `call` until it succeeds, fails for good, or the attempts are used up.
async fn with_retries<T, E: std::error::Error + Send + Sync + 'static, F, Fut>(
    service: &'static str,
    retry: Retry,
    judge: impl Fn(&E) -> Failure,
    mut call: F,
) -> Result<T, SignError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut wait = retry.first_wait;
    let mut attempt = 1;
    loop {
        match call().await {
            Ok(value) => return Ok(value),
            Err(err) => {
                let failure = judge(&err);
                if !failure.transient || attempt >= retry.attempts {
                    return Err(SignError::Service {
                        service,
                        status: failure.status,
                        attempts: attempt,
                        source: source(err),
                    });
                }
                tracing::warn!(
                    "{service}: {}; trying again in {} ms",
                    failure.message,
                    wait.as_millis()
                );
                tokio::time::sleep(wait).await;
                wait *= 2;
                attempt += 1;
            }
        }
    }
}

impl KeylessSigner {
    /// Generates the ephemeral key and obtains its certificate from Fulcio for `token`.
    pub fn new(services: Services, token: &IdentityToken, retry: Retry) -> Result<Self, SignError> {
        if services.rekor_version == 2 && services.tsa_url.is_none() {
            return Err(SignError::RekorV2WithoutTsa);
        }
        if !matches!(services.rekor_version, 1 | 2) {
            return Err(SignError::RekorVersion(services.rekor_version));
        }
        let runtime = runtime()?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("crabox/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SignError::Crypto {
                operation: "set up the HTTP client",
                source: Some(source(e)),
            })?;
        let key = KeyPair::generate_ecdsa_p256().map_err(|e| SignError::Crypto {
            operation: "generate the ephemeral key",
            source: Some(source(e)),
        })?;
        let fulcio = FulcioClient::builder(&services.fulcio_url)
            .with_http_client(http.clone())
            .build()
            .map_err(|e| service_setup("Fulcio", e))?;
        let response = runtime.block_on(with_retries("Fulcio", retry, fulcio_failure, || {
            fulcio.create_signing_certificate(token, &key)
        }))?;
        Ok(KeylessSigner {
            certificate: response.leaf_certificate().clone(),
            identity: token.identity().to_owned(),
            services,
            retry,
            runtime,
            http,
            key,
        })
    }

    /// The identity the certificate was issued for (the token's subject or e-mail).
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// A message-signature bundle over an artifact's SHA-256 digest.
    pub fn sign_digest(&self, digest: Sha256Hash) -> Result<Bundle, SignError> {
        let signature = sign_digest(&self.key, &digest)?;
        self.runtime.block_on(async {
            let entry = if self.services.rekor_version == 2 {
                self.rekor_v2(&digest, &signature).await?
            } else {
                let rekor = self.rekor_v1()?;
                let request = HashedRekord::new(&digest, &signature, &self.certificate);
                let entry = with_retries("Rekor", self.retry, rekor_failure, || {
                    rekor.create_entry(request.clone())
                })
                .await?;
                to_bundle_entry(&entry, KindVersion::HashedRekordV001)?
            };
            let mut bundle = BundleV03::with_certificate_and_signature(
                self.certificate.clone(),
                signature.clone(),
                digest,
            )
            .with_tlog_entry(entry);
            if let Some(token) = self.timestamp(&signature).await? {
                bundle = bundle.with_rfc3161_timestamp(token);
            }
            Ok(bundle.into_bundle())
        })
    }

    /// A DSSE bundle over an in-toto statement.
    pub fn sign_statement(&self, statement: &[u8]) -> Result<Bundle, SignError> {
        let envelope = dsse_envelope(&self.key, statement)?;
        let signature = envelope.signature.sig.clone();
        self.runtime.block_on(async {
            let entry = if self.services.rekor_version == 2 {
                use sha2::Digest as _;
                let digest: [u8; 32] =
                    sha2::Sha256::digest(pae(IN_TOTO_PAYLOAD_TYPE, statement)).into();
                self.rekor_v2(&Sha256Hash::new(digest), &signature).await?
            } else {
                let rekor = self.rekor_v1()?;
                let request = DsseEntry::new(&envelope, &self.certificate)
                    .map_err(|e| service_setup("Rekor", e))?;
                let entry = with_retries("Rekor", self.retry, rekor_failure, || {
                    rekor.create_dsse_entry(request.clone())
                })
                .await?;
                to_bundle_entry(&entry, KindVersion::DsseV001)?
            };
            let mut bundle =
                BundleV03::with_certificate_and_dsse(self.certificate.clone(), envelope)
                    .with_tlog_entry(entry);
            if let Some(token) = self.timestamp(&signature).await? {
                bundle = bundle.with_rfc3161_timestamp(token);
            }
            Ok(bundle.into_bundle())
        })
    }

    fn rekor_v1(&self) -> Result<RekorClient, SignError> {
        RekorClient::builder(&self.services.rekor_url)
            .with_http_client(self.http.clone())
            .build()
            .map_err(|e| service_setup("Rekor", e))
    }

    async fn rekor_v2(
        &self,
        digest: &Sha256Hash,
        signature: &SignatureBytes,
    ) -> Result<TransparencyLogEntry, SignError> {
        let rekor = RekorV2Client::builder(&self.services.rekor_url)
            .with_http_client(self.http.clone())
            .build()
            .map_err(|e| service_setup("Rekor", e))?;
        let request = HashedRekordV2::new_with_certificate(
            digest,
            signature,
            &self.certificate,
            RekorV2KeyDetails::PkixEcdsaP256Sha256,
        );
        with_retries("Rekor", self.retry, rekor_failure, || {
            rekor.create_entry(request.clone())
        })
        .await
    }

    async fn timestamp(
        &self,
        signature: &SignatureBytes,
    ) -> Result<Option<TimestampToken>, SignError> {
        let Some(url) = &self.services.tsa_url else {
            return Ok(None);
        };
        let tsa = TimestampClient::builder(url)
            .with_http_client(self.http.clone())
            .build()
            .map_err(|e| service_setup("TSA", e))?;
        with_retries("TSA", self.retry, tsa_failure, || {
            tsa.timestamp_signature(signature)
        })
        .await
        .map(Some)
    }
}

fn service_setup(
    service: &'static str,
    err: impl std::error::Error + Send + Sync + 'static,
) -> SignError {
    SignError::Service {
        service,
        status: None,
        attempts: 1,
        source: source(err),
    }
}

fn to_bundle_entry(
    entry: &sigstore_sign::rekor::LogEntry,
    kind: KindVersion,
) -> Result<TransparencyLogEntry, SignError> {
    entry
        .to_bundle_entry(kind)
        .map_err(|e| SignError::Response {
            service: "Rekor",
            what: "the log entry it returned is not usable",
            source: source(e),
        })
}
