//! crabox L2: evidence bundles in OCI registries (Distribution spec 1.1) through `oci-client`.
//!
//! A bundle is pushed as one artifact: an image manifest with `artifactType`
//! [`ARTIFACT_TYPE`], the empty config, and every bundle file as a layer (`manifest.json`
//! first) named by its `org.opencontainers.image.title` annotation, with annotations for the
//! product, version, commit and the report's verdict. Given a subject digest it is attached as a
//! referrer; a registry without the referrers API gets the OCI 1.1 referrers tag schema (the
//! index under the tag `sha256-<hex>`).
//!
//! Pulling reads into memory only: every layer within [`Limits`], its SHA-256 recomputed and
//! compared with its digest (a tampered layer is refused with its digest named), titles that
//! could escape the bundle refused. Every request is retried on 5xx, 429 and transport errors (4
//! attempts, 0.5, 1, 2 s apart). Credentials go only into the client's `Authorization` header:
//! no error or log line carries them.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::str::FromStr as _;
use std::time::Duration;

use futures_util::StreamExt as _;
use oci_client::Reference;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::manifest::OciDescriptor;
use oci_client::secrets::RegistryAuth;
use serde_json::{Value, json};
use sha2::Digest as _;

/// The bundle's manifest, the first layer.
pub const BUNDLE_MANIFEST: &str = "manifest.json";

/// What a pull accepts, as the archive reader's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of all layers together.
    pub total: u64,
    /// Bytes of one layer.
    pub entry: u64,
    /// Number of layers.
    pub entries: usize,
    /// Components of a layer's title (its path in the bundle).
    pub depth: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            total: 2 << 30,
            entry: 1 << 30,
            entries: 100_000,
            depth: 32,
        }
    }
}

/// The `artifactType` of an evidence bundle.
pub const ARTIFACT_TYPE: &str = "application/vnd.crabox.evidence.v1";
/// The media type of the bundle's `manifest.json` layer.
pub const MANIFEST_LAYER: &str = "application/vnd.crabox.evidence.manifest.v1+json";
/// The media type of every other bundle file's layer.
pub const FILE_LAYER: &str = "application/vnd.crabox.evidence.file.v1";
/// The annotation that names a layer's file in the bundle.
pub const TITLE: &str = "org.opencontainers.image.title";

const IMAGE_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const IMAGE_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const EMPTY_CONFIG: &str = "application/vnd.oci.empty.v1+json";
const EMPTY_BYTES: &[u8] = b"{}";
/// The largest manifest or index read.
const MAX_MANIFEST: usize = 4 << 20;
/// Tags listed per request, and in all.
const TAG_PAGE: usize = 1000;
const MAX_TAGS: usize = 100_000;
/// Attempts per request.
const ATTEMPTS: u32 = 4;

/// What went wrong; no variant carries a credential.
#[derive(Debug, thiserror::Error)]
pub enum OciError {
    #[error("`{reference}`: {message}")]
    Reference { reference: String, message: String },
    #[error("{reference}: {message}")]
    Registry { reference: String, message: String },
    #[error("{reference}: layer {digest} (`{title}`): {message}")]
    Layer {
        reference: String,
        digest: String,
        title: String,
        message: String,
    },
    #[error("{reference}: not a crabox evidence bundle: {message}")]
    NotEvidence { reference: String, message: String },
    #[error("could not start the OCI client: {0}")]
    Runtime(std::io::Error),
}

/// Registry credentials.
#[derive(Clone, Default)]
pub enum Auth {
    #[default]
    Anonymous,
    Basic {
        username: String,
        password: String,
    },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Anonymous => f.write_str("Anonymous"),
            Auth::Basic { username, .. } => write!(f, "Basic({username}, <redacted>)"),
        }
    }
}

impl Auth {
    /// The credentials a Docker client's `config.json` (in `dir`) holds for `registry`
    /// (`auths.<registry>.auth`, base64 `user:password`); `None` when there are none. Credential
    /// helpers (`credsStore`) are not run.
    pub fn from_docker_config(dir: &Path, registry: &str) -> Option<Auth> {
        use base64::Engine as _;
        let text = fs_err::read(dir.join("config.json")).ok()?;
        let config: Value = serde_json::from_slice(&text).ok()?;
        let auths = config.get("auths")?.as_object()?;
        let entry = auths.iter().find_map(|(key, value)| {
            let host = key
                .trim_start_matches("https://")
                .trim_start_matches("http://")
                .split('/')
                .next()
                .unwrap_or_default();
            (host == registry).then_some(value)
        })?;
        let encoded = entry.get("auth")?.as_str()?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (username, password) = decoded.split_once(':')?;
        Some(Auth::Basic {
            username: username.to_owned(),
            password: password.to_owned(),
        })
    }
}

/// How to reach a registry.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Plain HTTP (a registry on loopback in tests), as oras's `--plain-http`; HTTPS otherwise.
    pub plain_http: bool,
    pub auth: Auth,
}

/// A parsed `host[:port]/repository[:tag|@digest]`; the host must be named (no Docker Hub
/// default), so nothing goes to a registry the user did not name.
pub fn parse_reference(text: &str) -> Result<Reference, OciError> {
    let text = text.strip_prefix("oci://").unwrap_or(text);
    let bad = |message: &str| OciError::Reference {
        reference: text.to_owned(),
        message: message.to_owned(),
    };
    let host = text.split('/').next().unwrap_or_default();
    if !text.contains('/') || !(host.contains('.') || host.contains(':') || host == "localhost") {
        return Err(bad(
            "expected REGISTRY/REPOSITORY[:TAG|@DIGEST] with the registry named (e.g. ghcr.io/acme/evidence:v1.4.0)",
        ));
    }
    if text.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad("a space or control character in the reference"));
    }
    Reference::from_str(text).map_err(|e| bad(&e.to_string()))
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// `registry/repository:tag@sha256:…`
    pub reference: String,
    /// The artifact manifest's digest.
    pub digest: String,
    /// Blobs uploaded (those the registry already had are not).
    pub uploaded: usize,
    /// How the artifact is found from its subject, when one was given.
    pub referrers: Option<Referrers>,
}

/// How a referrer is listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Referrers {
    /// The registry's referrers API lists it.
    Api,
    /// The registry has no referrers API: the index under this tag lists it.
    TagSchema(String),
}

/// A bundle pulled into memory.
#[derive(Debug)]
pub struct Pulled {
    /// The artifact manifest's digest.
    pub digest: String,
    pub annotations: BTreeMap<String, String>,
    /// The files, by their path in the bundle.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Layers refused (path, why): a title that could escape the bundle, a second layer with
    /// the same title.
    pub refused: Vec<(String, String)>,
}

/// One listed referrer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referrer {
    pub digest: String,
    pub artifact_type: Option<String>,
    pub annotations: BTreeMap<String, String>,
}

fn sha256(bytes: &[u8]) -> String {
    format!(
        "sha256:{}",
        crabox_types::encoding::hex(&sha2::Sha256::digest(bytes))
    )
}

/// Whether an error is worth another attempt: a 5xx, a 429, a transport failure.
fn retryable(error: &OciDistributionError) -> bool {
    match error {
        OciDistributionError::ServerError { code, .. } => *code >= 500 || *code == 429,
        OciDistributionError::RegistryError { envelope, .. } => envelope
            .errors
            .iter()
            .any(|e| matches!(e.code, OciErrorCode::Toomanyrequests)),
        OciDistributionError::RequestError(e) => e.is_connect() || e.is_timeout(),
        _ => false,
    }
}

/// A client for one registry.
pub struct Registry {
    client: oci_client::Client,
    runtime: tokio::runtime::Runtime,
    auth: RegistryAuth,
    /// Delay before the second attempt; doubled each time.
    backoff: Duration,
}

impl Registry {
    pub fn new(options: &Options) -> Result<Registry, OciError> {
        let config = ClientConfig {
            protocol: if options.plain_http {
                ClientProtocol::Http
            } else {
                ClientProtocol::Https
            },
            platform_resolver: None,
            connect_timeout: Some(Duration::from_secs(10)),
            read_timeout: Some(Duration::from_secs(60)),
            user_agent: concat!("crabox/", env!("CARGO_PKG_VERSION")),
            ..ClientConfig::default()
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(OciError::Runtime)?;
        Ok(Registry {
            client: oci_client::Client::new(config),
            runtime,
            auth: match &options.auth {
                Auth::Anonymous => RegistryAuth::Anonymous,
                Auth::Basic { username, password } => {
                    RegistryAuth::Basic(username.clone(), password.clone())
                }
            },
            backoff: Duration::from_millis(500),
        })
    }

    /// Shorter waits between attempts (tests).
    #[must_use]
    pub fn with_backoff(mut self, backoff: Duration) -> Registry {
        self.backoff = backoff;
        self
    }

    /// Runs `attempt` until it succeeds, fails for good, or [`ATTEMPTS`] are spent.
    fn retry<T, F, Fut>(
        &self,
        reference: &Reference,
        what: &str,
        mut attempt: F,
    ) -> Result<T, OciError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, OciDistributionError>>,
    {
        self.runtime.block_on(async {
            self.client
                .store_auth_if_needed(reference.resolve_registry(), &self.auth)
                .await;
            let mut wait = self.backoff;
            let mut tries = 1;
            loop {
                match attempt().await {
                    Ok(value) => return Ok(value),
                    Err(error) if tries < ATTEMPTS && retryable(&error) => {
                        tracing::warn!(
                            "{reference}: {what}: {error}; attempt {} of {ATTEMPTS} in {wait:?}",
                            tries + 1
                        );
                        tokio::time::sleep(wait).await;
                        wait *= 2;
                        tries += 1;
                    }
                    Err(error) => {
                        return Err(OciError::Registry {
                            reference: reference.whole(),
                            message: format!("{what}: {error}"),
                        });
                    }
                }
            }
        })
    }

    /// The raw bytes and digest of the manifest at `reference`, within [`MAX_MANIFEST`]; the
    /// digest is checked when the reference names one.
    fn manifest(
        &self,
        reference: &Reference,
        accept: &[&str],
    ) -> Result<(Vec<u8>, String), OciError> {
        let (bytes, _) = self.retry(reference, "get the manifest", || {
            self.client.pull_manifest_raw(reference, &self.auth, accept)
        })?;
        if bytes.len() > MAX_MANIFEST {
            return Err(OciError::Registry {
                reference: reference.whole(),
                message: format!("the manifest is larger than {MAX_MANIFEST} bytes"),
            });
        }
        let digest = sha256(&bytes);
        if let Some(named) = reference.digest()
            && named != digest
        {
            return Err(OciError::Registry {
                reference: reference.whole(),
                message: format!("the manifest has digest {digest}, not the {named} asked for"),
            });
        }
        Ok((bytes.to_vec(), digest))
    }

    fn push_blob(
        &self,
        reference: &Reference,
        bytes: &[u8],
        digest: &str,
    ) -> Result<bool, OciError> {
        let exists = self.retry(reference, "check a blob", || {
            self.client.blob_exists(reference, digest)
        })?;
        if exists {
            return Ok(false);
        }
        self.retry(reference, &format!("upload blob {digest}"), || {
            self.client.push_blob(reference, bytes.to_vec(), digest)
        })?;
        Ok(true)
    }

    /// Pushes the bundle `files` (relative path → bytes; `manifest.json` among them) to
    /// `reference` (which names a tag) with `annotations`, attached to `subject` (a manifest
    /// digest in the same repository) when given.
    pub fn push(
        &self,
        reference: &str,
        files: &BTreeMap<String, Vec<u8>>,
        annotations: &BTreeMap<String, String>,
        subject: Option<&str>,
    ) -> Result<Pushed, OciError> {
        let target = parse_reference(reference)?;
        if target.digest().is_some() {
            return Err(OciError::Reference {
                reference: reference.to_owned(),
                message: "name a tag to push to, not a digest".into(),
            });
        }
        let manifest_name = BUNDLE_MANIFEST;
        if !files.contains_key(manifest_name) {
            return Err(OciError::NotEvidence {
                reference: reference.to_owned(),
                message: format!("no `{manifest_name}` among the files"),
            });
        }
        let subject = match subject {
            Some(digest) => Some(self.subject(&target, digest)?),
            None => None,
        };
        let mut uploaded =
            usize::from(self.push_blob(&target, EMPTY_BYTES, &sha256(EMPTY_BYTES))?);
        let ordered = files
            .iter()
            .filter(|(name, _)| name.as_str() == manifest_name)
            .chain(
                files
                    .iter()
                    .filter(|(name, _)| name.as_str() != manifest_name),
            );
        let mut layers = Vec::new();
        for (name, bytes) in ordered {
            let digest = sha256(bytes);
            uploaded += usize::from(self.push_blob(&target, bytes, &digest)?);
            layers.push(json!({
                "mediaType": if name == manifest_name { MANIFEST_LAYER } else { FILE_LAYER },
                "digest": digest,
                "size": bytes.len(),
                "annotations": { TITLE: name },
            }));
        }
        let mut manifest = json!({
            "schemaVersion": 2,
            "mediaType": IMAGE_MANIFEST,
            "artifactType": ARTIFACT_TYPE,
            "config": { "mediaType": EMPTY_CONFIG, "digest": sha256(EMPTY_BYTES), "size": EMPTY_BYTES.len() },
            "layers": layers,
        });
        if let Some(subject) = &subject {
            manifest["subject"] = subject.clone();
        }
        if !annotations.is_empty() {
            manifest["annotations"] = json!(annotations);
        }
        let body = serde_json::to_vec(&manifest).map_err(|e| OciError::Registry {
            reference: reference.to_owned(),
            message: e.to_string(),
        })?;
        let digest = sha256(&body);
        self.retry(&target, "push the manifest", || {
            self.client
                .push_manifest_raw(&target, body.clone(), http_header(IMAGE_MANIFEST))
        })?;
        let referrers = match &subject {
            Some(subject) => {
                Some(self.attach(&target, subject, &digest, body.len(), annotations)?)
            }
            None => None,
        };
        Ok(Pushed {
            reference: format!("{}@{digest}", target.whole()),
            digest,
            uploaded,
            referrers,
        })
    }

    /// The descriptor of the manifest `digest` in `target`'s repository.
    fn subject(&self, target: &Reference, digest: &str) -> Result<Value, OciError> {
        if !digest.starts_with("sha256:") || digest.len() != 71 {
            return Err(OciError::Reference {
                reference: digest.to_owned(),
                message: "expected a subject digest sha256:<64 hex digits>".into(),
            });
        }
        let reference = Reference::with_digest(
            target.resolve_registry().to_owned(),
            target.repository().to_owned(),
            digest.to_owned(),
        );
        let (bytes, _) = self.manifest(&reference, &[IMAGE_MANIFEST, IMAGE_INDEX])?;
        let media_type = serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|m| {
                m.get("mediaType")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| IMAGE_MANIFEST.to_owned());
        Ok(json!({ "mediaType": media_type, "digest": digest, "size": bytes.len() }))
    }

    /// Makes the artifact `digest` findable from `subject`: through the referrers API when the
    /// registry lists it there, else in the referrers tag schema's index.
    fn attach(
        &self,
        target: &Reference,
        subject: &Value,
        digest: &str,
        size: usize,
        annotations: &BTreeMap<String, String>,
    ) -> Result<Referrers, OciError> {
        let subject_digest = subject["digest"].as_str().unwrap_or_default().to_owned();
        let listed = self.referrers(&format!(
            "{}/{}@{subject_digest}",
            target.resolve_registry(),
            target.repository()
        ))?;
        let tag = subject_digest.replace(':', "-");
        let tag_ref = Reference::with_tag(
            target.resolve_registry().to_owned(),
            target.repository().to_owned(),
            tag.clone(),
        );
        let existing = match self.manifest(&tag_ref, &[IMAGE_INDEX]) {
            Ok((bytes, _)) => serde_json::from_slice::<Value>(&bytes).ok(),
            Err(_) => None,
        };
        if listed.iter().any(|r| r.digest == digest) && existing.is_none() {
            return Ok(Referrers::Api);
        }
        let mut index = existing
            .filter(|i| i.get("manifests").is_some_and(Value::is_array))
            .unwrap_or_else(
                || json!({ "schemaVersion": 2, "mediaType": IMAGE_INDEX, "manifests": [] }),
            );
        let manifests = index["manifests"].as_array_mut().expect("checked above");
        if !manifests.iter().any(|m| m["digest"] == digest) {
            manifests.push(json!({
                "mediaType": IMAGE_MANIFEST,
                "digest": digest,
                "size": size,
                "artifactType": ARTIFACT_TYPE,
                "annotations": annotations,
            }));
        }
        let body = serde_json::to_vec(&index).map_err(|e| OciError::Registry {
            reference: tag.clone(),
            message: e.to_string(),
        })?;
        self.retry(&tag_ref, "push the referrers index", || {
            self.client
                .push_manifest_raw(&tag_ref, body.clone(), http_header(IMAGE_INDEX))
        })?;
        Ok(Referrers::TagSchema(tag))
    }

    /// The referrers of `subject` (`registry/repository@sha256:…`): from the referrers API, or
    /// the tag schema's index where the registry has none.
    pub fn referrers(&self, subject: &str) -> Result<Vec<Referrer>, OciError> {
        let reference = parse_reference(subject)?;
        if reference.digest().is_none() {
            return Err(OciError::Reference {
                reference: subject.to_owned(),
                message: "referrers are listed for a digest (REPOSITORY@sha256:…)".into(),
            });
        }
        let index = self.retry(&reference, "list referrers", || {
            self.client.pull_referrers(&reference, None)
        })?;
        Ok(index
            .manifests
            .into_iter()
            .map(|m| Referrer {
                digest: m.digest,
                artifact_type: m.artifact_type,
                annotations: m.annotations.unwrap_or_default().into_iter().collect(),
            })
            .collect())
    }

    /// Whether the manifest at `reference` is an evidence artifact.
    pub fn is_evidence(&self, reference: &str) -> Result<bool, OciError> {
        let target = parse_reference(reference)?;
        let (bytes, _) = self.manifest(&target, &[IMAGE_MANIFEST, IMAGE_INDEX])?;
        Ok(serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|m| {
                m.get("artifactType")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .is_some_and(|t| t == ARTIFACT_TYPE))
    }

    /// Every tag of `repository` (`registry/repository`), in the registry's order.
    pub fn tags(&self, repository: &str) -> Result<Vec<String>, OciError> {
        let reference = parse_reference(repository)?;
        let mut tags: Vec<String> = Vec::new();
        loop {
            let last = tags.last().cloned();
            let page = self.retry(&reference, "list tags", || {
                self.client
                    .list_tags(&reference, &self.auth, Some(TAG_PAGE), last.as_deref())
            })?;
            let n = page.tags.len();
            tags.extend(page.tags);
            if n < TAG_PAGE || tags.len() >= MAX_TAGS {
                break;
            }
        }
        tags.truncate(MAX_TAGS);
        Ok(tags)
    }

    /// Pulls the evidence bundle at `reference` into memory: every layer within `limits`, its
    /// content checked against its digest.
    pub fn pull(&self, reference: &str, limits: &Limits) -> Result<Pulled, OciError> {
        let target = parse_reference(reference)?;
        let shown = target.whole();
        let (bytes, digest) = self.manifest(&target, &[IMAGE_MANIFEST])?;
        let not_evidence = |message: String| OciError::NotEvidence {
            reference: shown.clone(),
            message,
        };
        let manifest: Value = serde_json::from_slice(&bytes)
            .map_err(|e| not_evidence(format!("the manifest is not JSON: {e}")))?;
        let artifact_type = manifest
            .get("artifactType")
            .and_then(Value::as_str)
            .unwrap_or("none");
        if artifact_type != ARTIFACT_TYPE {
            return Err(not_evidence(format!(
                "artifactType `{artifact_type}`, expected `{ARTIFACT_TYPE}`"
            )));
        }
        let annotations: BTreeMap<String, String> = manifest
            .get("annotations")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect();
        let layers: Vec<OciDescriptor> =
            serde_json::from_value(manifest.get("layers").cloned().unwrap_or(Value::Null))
                .map_err(|e| not_evidence(format!("its layers: {e}")))?;
        if layers.len() > limits.entries {
            return Err(not_evidence(format!(
                "{} layers, more than {}",
                layers.len(),
                limits.entries
            )));
        }
        let total: i64 = layers.iter().map(|l| l.size.max(0)).sum();
        if u64::try_from(total).unwrap_or(u64::MAX) > limits.total {
            return Err(not_evidence(format!(
                "its layers hold {total} bytes, more than {}",
                limits.total
            )));
        }
        let mut files = BTreeMap::new();
        let mut refused = Vec::new();
        for layer in &layers {
            let title = layer
                .annotations
                .as_ref()
                .and_then(|a| a.get(TITLE))
                .cloned()
                .unwrap_or_default();
            if let Some(why) = unsafe_title(&title, limits.depth) {
                refused.push((title, format!("layer {}: {why}", layer.digest)));
                continue;
            }
            let size = u64::try_from(layer.size).unwrap_or(u64::MAX);
            if size > limits.entry {
                return Err(OciError::Layer {
                    reference: shown,
                    digest: layer.digest.clone(),
                    title,
                    message: format!("{size} bytes, more than {}", limits.entry),
                });
            }
            let content = self.layer(&target, layer, size, &title)?;
            if files.insert(title.clone(), content).is_some() {
                refused.push((title, "a second layer with this title".into()));
            }
        }
        Ok(Pulled {
            digest,
            annotations,
            files,
            refused,
        })
    }

    /// One layer's content, at most `size` bytes, checked against its digest.
    fn layer(
        &self,
        target: &Reference,
        layer: &OciDescriptor,
        size: u64,
        title: &str,
    ) -> Result<Vec<u8>, OciError> {
        let failed = |message: String| OciError::Layer {
            reference: target.whole(),
            digest: layer.digest.clone(),
            title: title.to_owned(),
            message,
        };
        if !layer.digest.starts_with("sha256:") {
            return Err(failed("only sha256 digests are read".into()));
        }
        let (content, stream_error) =
            self.retry(target, &format!("get layer {}", layer.digest), || async {
                let mut sized = self.client.pull_blob_stream(target, layer).await?;
                let mut content = Vec::new();
                let mut stream_error = None;
                while let Some(chunk) = sized.stream.next().await {
                    match chunk {
                        Ok(chunk) => {
                            content.extend_from_slice(&chunk);
                            if content.len() as u64 > size {
                                break;
                            }
                        }
                        Err(e) => {
                            stream_error = Some(e.to_string());
                            break;
                        }
                    }
                }
                Ok((content, stream_error))
            })?;
        let actual = sha256(&content);
        if content.len() as u64 != size || actual != layer.digest {
            return Err(failed(format!(
                "refused: its content ({} bytes, {actual}) does not match the digest and size ({size} bytes) its manifest names: tampered or damaged",
                content.len()
            )));
        }
        if let Some(error) = stream_error {
            return Err(failed(error));
        }
        Ok(content)
    }
}

fn http_header(media_type: &str) -> http::HeaderValue {
    http::HeaderValue::from_str(media_type).expect("a media type is a valid header")
}

/// Why a layer title could not be a path inside the bundle, if it could not.
fn unsafe_title(title: &str, depth: usize) -> Option<String> {
    if title.is_empty() {
        return Some(format!("no `{TITLE}` annotation"));
    }
    // A colon too: `C:` is a root elsewhere.
    if !crabox_types::file_name::is_contained(title) || title.contains(':') {
        return Some(
            "a path that could leave the bundle (absolute, `..`, `.`, an empty component, a back-slash, a colon or a control character)".into(),
        );
    }
    if title.split('/').count() > depth {
        return Some(format!("more than {depth} path components"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_must_name_its_registry() {
        assert!(parse_reference("acme/evidence:v1").is_err());
        assert!(parse_reference("evidence").is_err());
        let r = parse_reference("oci://127.0.0.1:5000/acme/evidence:v1").unwrap();
        assert_eq!(r.registry(), "127.0.0.1:5000");
        assert_eq!(r.repository(), "acme/evidence");
        assert_eq!(r.tag(), Some("v1"));
        assert!(parse_reference("ghcr.io/acme/evidence").is_ok());
        assert!(parse_reference("localhost/acme/evidence").is_ok());
        assert!(parse_reference("ghcr.io/acme/evi dence").is_err());
    }

    #[test]
    fn titles_that_could_escape_the_bundle_are_refused() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "c:\\x",
            "a\nb",
            "./a",
        ] {
            assert!(unsafe_title(bad, 32).is_some(), "{bad:?}");
        }
        assert!(unsafe_title("cra/report.json", 32).is_none());
        assert!(unsafe_title("a/b/c", 2).is_some());
    }

    #[test]
    fn credentials_come_from_the_docker_config_and_are_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        // base64("ci:s3cret")
        fs_err::write(
            dir.path().join("config.json"),
            r#"{"auths":{"https://registry.example:5000":{"auth":"Y2k6czNjcmV0"}}}"#,
        )
        .unwrap();
        let auth = Auth::from_docker_config(dir.path(), "registry.example:5000").unwrap();
        let shown = format!("{auth:?}");
        assert!(shown.contains("ci") && !shown.contains("s3cret"), "{shown}");
        assert!(Auth::from_docker_config(dir.path(), "other.example").is_none());
    }
}
