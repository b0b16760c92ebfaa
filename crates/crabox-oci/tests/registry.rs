//! Against a real registry (Debian's `docker-registry`, Distribution 2.8, which has no referrers
//! API) on 127.0.0.1, and a fake one (wiremock) that answers 503 before 200.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use crabox_oci::{Auth, Limits, OciError, Options, Referrers, Registry};
use crabox_test::TestRegistry;

fn bundle() -> BTreeMap<String, Vec<u8>> {
    BTreeMap::from([
        ("manifest.json".to_owned(), br#"{"files":[]}"#.to_vec()),
        (
            "cra/report.json".to_owned(),
            br#"{"verdict":"pass"}"#.to_vec(),
        ),
        (
            "sbom/acme.cdx.json".to_owned(),
            b"{\"bomFormat\":\"CycloneDX\"}".to_vec(),
        ),
    ])
}

fn plain() -> Registry {
    Registry::new(&Options {
        plain_http: true,
        auth: Auth::Anonymous,
    })
    .unwrap()
    .with_backoff(Duration::from_millis(10))
}

#[test]
fn publish_list_pull_and_referrers_on_a_real_registry() {
    let Some(server) = TestRegistry::start("publish_list_pull_and_referrers_on_a_real_registry")
    else {
        return;
    };
    let registry = plain();
    let repo = format!("{}/acme/evidence", server.address);
    let annotations = BTreeMap::from([("dev.crabox.product".to_owned(), "acme".to_owned())]);

    let first = registry
        .push(&format!("{repo}:v1.0.0"), &bundle(), &annotations, None)
        .unwrap();
    assert_eq!(first.referrers, None);
    assert!(first.uploaded >= 4, "config and three files: {first:?}");
    // Pushing the same bundle again uploads nothing and gives the same digest.
    let again = registry
        .push(&format!("{repo}:v1.0.0"), &bundle(), &annotations, None)
        .unwrap();
    assert_eq!(
        (again.digest.as_str(), again.uploaded),
        (first.digest.as_str(), 0)
    );

    let pulled = registry
        .pull(&format!("{repo}:v1.0.0"), &Limits::default())
        .unwrap();
    assert_eq!(pulled.digest, first.digest);
    assert_eq!(pulled.files, bundle());
    assert!(pulled.refused.is_empty());
    assert_eq!(pulled.annotations["dev.crabox.product"], "acme");
    // By digest too.
    let by_digest = registry
        .pull(&format!("{repo}@{}", first.digest), &Limits::default())
        .unwrap();
    assert_eq!(by_digest.files, bundle());

    // Attached to a subject: the registry has no referrers API, so the tag schema holds it.
    let second = registry
        .push(
            &format!("{repo}:v1.0.0-evidence"),
            &bundle(),
            &annotations,
            Some(&first.digest),
        )
        .unwrap();
    let tag = first.digest.replace(':', "-");
    assert_eq!(second.referrers, Some(Referrers::TagSchema(tag.clone())));
    let referrers = registry
        .referrers(&format!("{repo}@{}", first.digest))
        .unwrap();
    assert_eq!(referrers.len(), 1, "{referrers:?}");
    assert_eq!(referrers[0].digest, second.digest);
    assert_eq!(
        referrers[0].artifact_type.as_deref(),
        Some(crabox_oci::ARTIFACT_TYPE)
    );

    let mut tags = registry.tags(&repo).unwrap();
    tags.sort();
    assert_eq!(
        tags,
        vec![tag, "v1.0.0".to_owned(), "v1.0.0-evidence".to_owned()]
    );
}

#[test]
fn a_tampered_layer_is_refused_with_its_digest_named() {
    let Some(server) = TestRegistry::start("a_tampered_layer_is_refused_with_its_digest_named")
    else {
        return;
    };
    let registry = plain();
    let reference = format!("{}/acme/evidence:v1", server.address);
    registry
        .push(&reference, &bundle(), &BTreeMap::new(), None)
        .unwrap();
    let report = &bundle()["cra/report.json"];
    let digest = format!(
        "sha256:{}",
        crabox_types::encoding::hex(&<sha2::Sha256 as sha2::Digest>::digest(report))
    );
    let blob = server.blob_path(&digest);
    fs_err::write(&blob, br#"{"verdict":"PASS"}"#).unwrap();
    let err = registry.pull(&reference, &Limits::default()).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, OciError::Layer { .. }), "{text}");
    assert!(
        text.contains(&digest) && text.contains("cra/report.json"),
        "{text}"
    );
    assert!(text.contains("tampered"), "{text}");
}

#[test]
fn an_artifact_of_another_type_is_not_evidence() {
    let Some(server) = TestRegistry::start("an_artifact_of_another_type_is_not_evidence") else {
        return;
    };
    let registry = plain();
    let reference = format!("{}/acme/evidence:v1", server.address);
    let pushed = registry
        .push(&reference, &bundle(), &BTreeMap::new(), None)
        .unwrap();
    // The referrers index of a subject is an index, not an evidence manifest.
    registry
        .push(
            &format!("{}/acme/evidence:v2", server.address),
            &bundle(),
            &BTreeMap::new(),
            Some(&pushed.digest),
        )
        .unwrap();
    let tag = pushed.digest.replace(':', "-");
    let err = registry
        .pull(
            &format!("{}/acme/evidence:{tag}", server.address),
            &Limits::default(),
        )
        .unwrap_err();
    assert!(err.to_string().contains(&tag), "{err}");
}

#[test]
fn a_registry_answering_503_then_200_is_retried() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(MockServer::start());
    let layer = br#"{"files":[]}"#;
    let layer_digest = format!(
        "sha256:{}",
        crabox_types::encoding::hex(&<sha2::Sha256 as sha2::Digest>::digest(layer))
    );
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": crabox_oci::ARTIFACT_TYPE,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "size": 2},
        "layers": [{"mediaType": crabox_oci::MANIFEST_LAYER, "digest": layer_digest, "size": layer.len(),
                    "annotations": {"org.opencontainers.image.title": "manifest.json"}}],
    }))
    .unwrap();
    runtime.block_on(async {
        Mock::given(method("GET"))
            .and(path("/v2/"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v2/acme/evidence/manifests/v1"))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v2/acme/evidence/manifests/v1"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                    .set_body_bytes(manifest.clone()),
            )
            .with_priority(2)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("/v2/acme/evidence/blobs/{layer_digest}")))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(layer.to_vec()))
            .mount(&server)
            .await;
    });
    let address = server.address().to_string();
    let pulled = plain()
        .pull(&format!("{address}/acme/evidence:v1"), &Limits::default())
        .unwrap();
    assert_eq!(pulled.files["manifest.json"], layer.to_vec());
    let requests = runtime.block_on(server.received_requests()).unwrap();
    let manifest_gets = requests
        .iter()
        .filter(|r| r.url.path() == "/v2/acme/evidence/manifests/v1")
        .count();
    assert_eq!(manifest_gets, 2, "one 503, then the 200");

    // Always 503: the error names the status after the last attempt.
    runtime.block_on(async {
        Mock::given(method("GET"))
            .and(path("/v2/acme/down/manifests/v1"))
            .respond_with(ResponseTemplate::new(503))
            .mount(&server)
            .await;
    });
    let err = plain()
        .pull(&format!("{address}/acme/down:v1"), &Limits::default())
        .unwrap_err();
    assert!(err.to_string().contains("503"), "{err}");
}
