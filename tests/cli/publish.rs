//! `crabox publish` against a GitHub API served by wiremock on 127.0.0.1: a new release (a 503
//! then success, a 429 with `Retry-After`), an existing draft whose asset of the same name is
//! replaced, a release already published; the token never printed.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use crabox_test::{TestContext, output_text};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::repo;

const TOKEN: &str = "ghs_publishtesttoken0123456789";

fn project() -> TestContext {
    let context = repo();
    context.write("crabox.toml", "[product]\nname = \"app\"\n");
    context.write(".gitignore", "crabox-evidence/\n");
    context.git(&["add", "-A"]);
    context.git(&["commit", "-qm", "feat: the first feature"]);
    context.git(&["tag", "v1.0.0"]);
    // A bundle as `crabox bundle` leaves it (its content is not read, only attached).
    context.write("crabox-evidence/app-1.0.0/sbom/app.cdx.json", "{}\n");
    context.write(
        "crabox-evidence/app-1.0.0/artifacts/SHA256SUMS",
        "00  app\n",
    );
    context.write("crabox-evidence/app-1.0.0/manifest.sigstore.json", "{}\n");
    context.write("crabox-evidence/app-1.0.0.tar.gz", "archive bytes");
    context.write("dist/app-linux.tar.gz", "the binary");
    context
}

fn release(
    server: &MockServer,
    id: u64,
    draft: bool,
    assets: &serde_json::Value,
) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "tag_name": "v1.0.0",
        "draft": draft,
        "html_url": format!("https://github.example/acme/app/releases/tag/v1.0.0#{id}"),
        "upload_url": format!("{}/uploads/repos/acme/app/releases/{id}/assets{{?name,label}}", server.uri()),
        "assets": assets,
    })
}

fn publish(context: &TestContext, server: &MockServer) -> (Option<i32>, String, String) {
    let output = context
        .crabox()
        .env("GITHUB_API_URL", server.uri())
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_REPOSITORY", "acme/app")
        .args([
            "publish",
            "--tag",
            "v1.0.0",
            "--asset",
            "dist/app-linux.tar.gz",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = output_text(&output);
    assert!(
        !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
        "the token was printed"
    );
    (output.status.code(), stdout, stderr)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
#[allow(clippy::too_many_lines)] // the mocks of one release, then what the server saw
fn a_new_release_is_drafted_given_its_assets_and_published_through_503_and_429() {
    let rt = runtime();
    let context = project();
    let server = rt.block_on(async {
        let server = MockServer::start().await;
        let auth = header("authorization", format!("Bearer {TOKEN}").as_str());
        // The release list: a 503 first, then no release.
        Mock::given(method("GET"))
            .and(path("/repos/acme/app/releases"))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/repos/acme/app/releases"))
            .and(auth)
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
            .mount(&server)
            .await;
        // Creating the draft: a 429 with Retry-After first.
        Mock::given(method("POST"))
            .and(path("/repos/acme/app/releases"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/repos/acme/app/releases"))
            .and(body_partial_json(
                serde_json::json!({"tag_name": "v1.0.0", "draft": true, "name": "app 1.0.0"}),
            ))
            .respond_with(ResponseTemplate::new(201).set_body_json(release(
                &server,
                1,
                true,
                &serde_json::json!([]),
            )))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/uploads/repos/acme/app/releases/1/assets"))
            .and(header("content-type", "application/octet-stream"))
            .respond_with(
                ResponseTemplate::new(201)
                    .set_body_json(serde_json::json!({"id": 10, "name": "x"})),
            )
            .expect(5)
            .mount(&server)
            .await;
        Mock::given(method("PATCH"))
            .and(path("/repos/acme/app/releases/1"))
            .and(body_partial_json(serde_json::json!({"draft": false})))
            .respond_with(ResponseTemplate::new(200).set_body_json(release(
                &server,
                1,
                false,
                &serde_json::json!([]),
            )))
            .expect(1)
            .mount(&server)
            .await;
        server
    });
    let start = Instant::now();
    let (code, stdout, stderr) = publish(&context, &server);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
    assert_eq!(
        stdout,
        "https://github.example/acme/app/releases/tag/v1.0.0#1\n"
    );
    assert!(stderr.contains("HTTP 503; retrying"), "{stderr}");
    assert!(stderr.contains("HTTP 429; retrying in 1.0 s"), "{stderr}");
    let requests = rt.block_on(server.received_requests()).unwrap();
    let uploads: Vec<String> = requests
        .iter()
        .filter(|r| r.url.path().starts_with("/uploads/"))
        .map(|r| r.url.query().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        uploads,
        [
            "name=app-1.0.0.tar.gz",
            "name=app.cdx.json",
            "name=SHA256SUMS",
            "name=manifest.sigstore.json",
            "name=app-linux.tar.gz"
        ]
    );
    let create = requests
        .iter()
        .find(|r| {
            r.method == wiremock::http::Method::POST
                && r.url.path() == "/repos/acme/app/releases"
                && r.body.starts_with(b"{")
        })
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&create.body).unwrap();
    assert!(
        body["body"].as_str().unwrap().contains("the first feature"),
        "{body}"
    );
    rt.block_on(server.verify());
}

#[test]
fn an_existing_draft_is_updated_and_its_asset_replaced_and_a_published_release_left_alone() {
    let rt = runtime();
    let context = project();
    let server = rt.block_on(async {
        let server = MockServer::start().await;
        let existing = serde_json::json!([{"id": 7, "name": "app-1.0.0.tar.gz"}]);
        Mock::given(method("GET"))
            .and(path("/repos/acme/app/releases"))
            .and(query_param("per_page", "100"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!([release(&server, 2, true, &existing)])),
            )
            .mount(&server)
            .await;
        Mock::given(method("PATCH"))
            .and(path("/repos/acme/app/releases/2"))
            .and(body_partial_json(serde_json::json!({"name": "app 1.0.0"})))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(release(&server, 2, true, &existing)),
            )
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("DELETE"))
            .and(path("/repos/acme/app/releases/assets/7"))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/uploads/repos/acme/app/releases/2/assets"))
            .respond_with(
                ResponseTemplate::new(201)
                    .set_body_json(serde_json::json!({"id": 11, "name": "x"})),
            )
            .expect(5)
            .mount(&server)
            .await;
        Mock::given(method("PATCH"))
            .and(path("/repos/acme/app/releases/2"))
            .and(body_partial_json(serde_json::json!({"draft": false})))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(release(&server, 2, false, &existing)),
            )
            .expect(1)
            .mount(&server)
            .await;
        server
    });
    let (code, _, stderr) = publish(&context, &server);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("updated the draft and uploaded 5 assets (1 replaced)"),
        "{stderr}"
    );
    rt.block_on(server.verify());

    // Published already: nothing is changed.
    let published =
        rt.block_on(async {
            let server = MockServer::start().await;
            Mock::given(method("GET"))
                .and(path("/repos/acme/app/releases"))
                .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([
                    release(&server, 3, false, &serde_json::json!([]))
                ])))
                .mount(&server)
                .await;
            server
        });
    let (code, _, stderr) = publish(&context, &published);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("already published; nothing was changed"),
        "{stderr}"
    );
    let requests = rt.block_on(published.received_requests()).unwrap();
    assert!(
        requests
            .iter()
            .all(|r| r.method == wiremock::http::Method::GET)
    );

    // A lasting failure names the request and status, after the retries.
    let failing = rt.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(500).set_body_json(serde_json::json!({"message": "boom"})),
            )
            .mount(&server)
            .await;
        server
    });
    let (code, _, stderr) = publish(&context, &failing);
    assert_ne!(code, Some(0));
    assert!(
        stderr.contains("HTTP 500: boom (after 4 attempts)"),
        "{stderr}"
    );
}
