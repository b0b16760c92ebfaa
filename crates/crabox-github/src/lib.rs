//! crabox L2: GitHub releases through octocrab. A release is made in the order immutable
//! releases need (a draft, its assets, then published) and idempotently: a draft for the tag is
//! reused and updated, an asset of the same name is replaced, a published release is left alone.
//! Every request is retried on 5xx, 429 and transport errors (4 attempts; `Retry-After`
//! honoured, else 0.5, 1, 2 s). The token goes only into the `Authorization` header: errors
//! carry the method, URL, status and GitHub's message, never a header.

use std::time::Duration;

use http::{Method, StatusCode};
use octocrab::Octocrab;
use serde::Deserialize;
use serde_json::{Value, json};

mod error;

pub use error::GitHubError;

/// Attempts per request.
const ATTEMPTS: u32 = 4;
/// The longest `Retry-After` crabox waits.
const MAX_WAIT: Duration = Duration::from_secs(120);

/// A release as the API returns it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Release {
    pub id: u64,
    pub tag_name: String,
    pub draft: bool,
    pub upload_url: String,
    #[serde(default)]
    pub html_url: String,
    #[serde(default)]
    pub assets: Vec<Asset>,
}

/// A release asset.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Asset {
    pub id: u64,
    pub name: String,
    /// Bytes, as the API states it.
    #[serde(default)]
    pub size: u64,
}

/// A file to attach.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What `publish` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Published {
    pub url: String,
    /// A draft existed and was reused.
    pub reused_draft: bool,
    pub uploaded: Vec<String>,
    /// Assets that existed under the same name and were replaced.
    pub replaced: Vec<String>,
    /// The release was published before this run: nothing was changed.
    pub already_published: bool,
}

/// A client for one repository.
pub struct Client {
    octocrab: Octocrab,
    runtime: tokio::runtime::Runtime,
    api: String,
    owner: String,
    repo: String,
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// How long to wait before attempt `attempt` (1-based) after `status`, from `Retry-After`
/// (seconds or an HTTP date) when the server sent one.
fn wait(attempt: u32, retry_after: Option<&str>) -> Duration {
    if let Some(value) = retry_after {
        if let Ok(seconds) = value.trim().parse::<u64>() {
            return Duration::from_secs(seconds).min(MAX_WAIT);
        }
        if let Some(at) = crabox_types::parse_http_date(value.trim()) {
            let now = crabox_types::unix_now();
            return Duration::from_secs(u64::try_from(at - now).unwrap_or(0)).min(MAX_WAIT);
        }
    }
    Duration::from_millis(500 * (1 << (attempt - 1).min(4)))
}

/// A request to the API with the headers every call carries.
fn request(method: &Method, url: &str, accept: &str) -> http::request::Builder {
    http::Request::builder()
        .method(method.clone())
        .uri(url)
        .header(http::header::ACCEPT, accept)
        .header("X-GitHub-Api-Version", "2022-11-28")
        .header(http::header::USER_AGENT, "crabox")
}

/// One request's status, `Retry-After` and body, or its transport error.
type Exchanged<T> = Result<(StatusCode, Option<String>, T), String>;

/// Runs `exchange` (one request: its status, `Retry-After` and body, or a transport error)
/// until it succeeds, fails for good, or [`ATTEMPTS`] are spent: retried on 5xx, 429 and
/// transport errors, waiting as `Retry-After` says, else 0.5, 1, 2 s. The last result, and
/// the attempts made.
fn retrying<T>(
    method: &Method,
    url: &str,
    mut exchange: impl FnMut() -> Exchanged<T>,
) -> (Exchanged<T>, u32) {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = exchange();
        let retryable = match &result {
            Ok((status, _, _)) => {
                status.is_server_error() || *status == StatusCode::TOO_MANY_REQUESTS
            }
            Err(_) => true,
        };
        if !retryable || attempt >= ATTEMPTS {
            return (result, attempt);
        }
        let retry_after = result.as_ref().ok().and_then(|(_, r, _)| r.as_deref());
        let pause = wait(attempt, retry_after);
        tracing::warn!(
            "{method} {url}: {}; retrying in {:.1} s",
            match &result {
                Ok((status, _, _)) => format!("HTTP {}", status.as_u16()),
                Err(e) => e.clone(),
            },
            pause.as_secs_f64()
        );
        std::thread::sleep(pause);
    }
}

impl Client {
    /// A client for `owner/repo` at the API base `api` (`GITHUB_API_URL`), authenticated with
    /// `token`.
    pub fn new(api: &str, token: &str, slug: &str) -> Result<Client, GitHubError> {
        let (owner, repo) = slug
            .split_once('/')
            .ok_or_else(|| GitHubError::Client(format!("`{slug}` is not owner/name")))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| GitHubError::Client(e.to_string()))?;
        let octocrab = runtime.block_on(async {
            let builder = Octocrab::builder();
            // No token: anonymous, for reading a public repository's releases.
            let builder = if token.is_empty() {
                builder
            } else {
                builder.personal_token(token.to_owned())
            };
            builder
                .base_uri(api)
                .map_err(|e| GitHubError::Client(format!("GITHUB_API_URL `{api}`: {e}")))?
                .set_connect_timeout(Some(Duration::from_secs(30)))
                .set_read_timeout(Some(Duration::from_secs(300)))
                .build()
                .map_err(|e| GitHubError::Client(e.to_string()))
        })?;
        Ok(Client {
            octocrab,
            runtime,
            api: api.trim_end_matches('/').to_owned(),
            owner: owner.to_owned(),
            repo: repo.to_owned(),
        })
    }

    /// One request with retries; the response body as JSON (`Value::Null` when empty).
    fn send(
        &self,
        method: &Method,
        url: &str,
        body: Option<(&str, &[u8])>,
    ) -> Result<Value, GitHubError> {
        let (result, attempt) = retrying(method, url, || {
            self.runtime.block_on(async {
                let mut builder = request(method, url, "application/vnd.github+json");
                let request = match &body {
                    Some((content_type, bytes)) => builder
                        .header(http::header::CONTENT_TYPE, *content_type)
                        .body(octocrab::OctoBody::from(bytes.to_vec())),
                    None => {
                        builder = builder.header(http::header::CONTENT_LENGTH, "0");
                        builder.body(octocrab::OctoBody::empty())
                    }
                }
                .map_err(|e| e.to_string())?;
                let response = self
                    .octocrab
                    .execute(request)
                    .await
                    .map_err(|e| e.to_string())?;
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get(http::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let text = self
                    .octocrab
                    .body_to_string(response)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>((status, retry_after, text))
            })
        });
        match result {
            Ok((status, _, text)) if status.is_success() => {
                if text.trim().is_empty() {
                    Ok(Value::Null)
                } else {
                    serde_json::from_str(&text).map_err(|e| GitHubError::Response {
                        what: format!("{method} {url}"),
                        message: e.to_string(),
                    })
                }
            }
            Ok((status, _, text)) => Err(GitHubError::Status {
                method: method.to_string(),
                url: url.to_owned(),
                status: status.as_u16(),
                message: serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| v["message"].as_str().map(str::to_owned))
                    .unwrap_or_else(|| text.chars().take(200).collect()),
                attempts: attempt,
            }),
            Err(message) => Err(GitHubError::Transport {
                method: method.to_string(),
                url: url.to_owned(),
                message,
                attempts: attempt,
            }),
        }
    }

    fn json(&self, method: &Method, url: &str, body: &Value) -> Result<Value, GitHubError> {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        self.send(method, url, Some(("application/json", &bytes)))
    }

    fn releases_url(&self) -> String {
        format!("{}/repos/{}/{}/releases", self.api, self.owner, self.repo)
    }

    fn parse<T: serde::de::DeserializeOwned>(what: &str, value: Value) -> Result<T, GitHubError> {
        serde_json::from_value(value).map_err(|e| GitHubError::Response {
            what: what.to_owned(),
            message: e.to_string(),
        })
    }

    /// The release for `tag`, drafts included (the by-tag endpoint does not see drafts).
    pub fn find_release(&self, tag: &str) -> Result<Option<Release>, GitHubError> {
        let mut page = 1;
        loop {
            let url = format!("{}?per_page=100&page={page}", self.releases_url());
            let releases: Vec<Release> =
                Self::parse("releases", self.send(&Method::GET, &url, None)?)?;
            if let Some(found) = releases.iter().find(|r| r.tag_name == tag) {
                return Ok(Some(found.clone()));
            }
            if releases.len() < 100 {
                return Ok(None);
            }
            page += 1;
        }
    }

    /// Creates, or updates, the draft for `tag` with `name` and `body`.
    pub fn draft(
        &self,
        existing: Option<&Release>,
        tag: &str,
        name: &str,
        body: &str,
    ) -> Result<Release, GitHubError> {
        let value = match existing {
            Some(release) => self.json(
                &Method::PATCH,
                &format!("{}/{}", self.releases_url(), release.id),
                &json!({ "name": name, "body": body }),
            )?,
            None => self.json(
                &Method::POST,
                &self.releases_url(),
                &json!({ "tag_name": tag, "name": name, "body": body, "draft": true }),
            )?,
        };
        Self::parse("release", value)
    }

    /// Uploads an asset to `release` (to the `upload_url` the server gave).
    pub fn upload(&self, release: &Release, upload: &Upload) -> Result<Asset, GitHubError> {
        let base = release
            .upload_url
            .split('{')
            .next()
            .unwrap_or(&release.upload_url);
        let url = format!("{base}?name={}", url_encode(&upload.name));
        let value = self.send(
            &Method::POST,
            &url,
            Some(("application/octet-stream", &upload.bytes)),
        )?;
        Self::parse("asset", value)
    }

    pub fn delete_asset(&self, asset: &Asset) -> Result<(), GitHubError> {
        let url = format!(
            "{}/repos/{}/{}/releases/assets/{}",
            self.api, self.owner, self.repo, asset.id
        );
        self.send(&Method::DELETE, &url, None).map(|_| ())
    }

    /// Every published release (drafts left out), newest first as the API lists them.
    pub fn releases(&self) -> Result<Vec<Release>, GitHubError> {
        let mut out = Vec::new();
        for page in 1..=100 {
            let url = format!("{}?per_page=100&page={page}", self.releases_url());
            let releases: Vec<Release> =
                Self::parse("releases", self.send(&Method::GET, &url, None)?)?;
            let n = releases.len();
            out.extend(releases.into_iter().filter(|r| !r.draft));
            if n < 100 {
                break;
            }
        }
        Ok(out)
    }

    /// The content of `asset`, at most `limit` bytes, retried like every request. The API
    /// answers with the bytes or redirects to a storage URL, which is fetched without the
    /// token (it is signed).
    pub fn download(&self, asset: &Asset, limit: u64) -> Result<Vec<u8>, GitHubError> {
        let url = format!(
            "{}/repos/{}/{}/releases/assets/{}",
            self.api, self.owner, self.repo, asset.id
        );
        let too_large = || GitHubError::Response {
            what: format!("GET {url}"),
            message: format!("`{}` is larger than {limit} bytes", asset.name),
        };
        if asset.size > limit {
            return Err(too_large());
        }
        let limit_usize = usize::try_from(limit).unwrap_or(usize::MAX);
        let (result, attempt) = retrying(&Method::GET, &url, || {
            self.runtime.block_on(async {
                use http_body_util::BodyExt as _;
                let request = request(&Method::GET, &url, "application/octet-stream")
                    .header(http::header::CONTENT_LENGTH, "0")
                    .body(octocrab::OctoBody::empty())
                    .map_err(|e| e.to_string())?;
                let response = self
                    .octocrab
                    .execute(request)
                    .await
                    .map_err(|e| e.to_string())?;
                let status = response.status();
                if status.is_redirection() {
                    let location = response
                        .headers()
                        .get(http::header::LOCATION)
                        .and_then(|v| v.to_str().ok())
                        .ok_or("a redirect without a Location")?
                        .to_owned();
                    let mut redirected = reqwest::Client::new()
                        .get(&location)
                        .header(reqwest::header::USER_AGENT, "crabox")
                        .send()
                        .await
                        .map_err(|e| e.to_string())?;
                    let status = redirected.status();
                    let mut bytes = Vec::new();
                    while let Some(chunk) = redirected.chunk().await.map_err(|e| e.to_string())? {
                        bytes.extend_from_slice(&chunk);
                        if bytes.len() > limit_usize {
                            return Ok((StatusCode::PAYLOAD_TOO_LARGE, None, bytes));
                        }
                    }
                    return Ok::<_, String>((
                        StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY),
                        None,
                        bytes,
                    ));
                }
                let body = http_body_util::Limited::new(response.into_body(), limit_usize);
                match body.collect().await {
                    Ok(collected) => Ok((status, None, collected.to_bytes().to_vec())),
                    Err(e) if e.to_string().contains("length limit") => {
                        Ok((StatusCode::PAYLOAD_TOO_LARGE, None, Vec::new()))
                    }
                    Err(e) => Err(e.to_string()),
                }
            })
        });
        match result {
            Ok((StatusCode::PAYLOAD_TOO_LARGE, _, _)) => Err(too_large()),
            Ok((status, _, bytes)) if status.is_success() => Ok(bytes),
            Ok((status, _, bytes)) => Err(GitHubError::Status {
                method: "GET".into(),
                url,
                status: status.as_u16(),
                message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
                attempts: attempt,
            }),
            Err(message) => Err(GitHubError::Transport {
                method: "GET".into(),
                url,
                message,
                attempts: attempt,
            }),
        }
    }

    /// Publishes the draft.
    pub fn publish_draft(&self, release: &Release) -> Result<Release, GitHubError> {
        let value = self.json(
            &Method::PATCH,
            &format!("{}/{}", self.releases_url(), release.id),
            &json!({ "draft": false }),
        )?;
        Self::parse("release", value)
    }
}

/// The release for `tag`: a draft (created or reused), every upload attached (an asset of the
/// same name replaced), then published. A release already published is left as it is.
pub fn publish(
    client: &Client,
    tag: &str,
    name: &str,
    body: &str,
    uploads: &[Upload],
) -> Result<Published, GitHubError> {
    let existing = client.find_release(tag)?;
    if let Some(release) = existing.as_ref().filter(|r| !r.draft) {
        return Ok(Published {
            url: release.html_url.clone(),
            already_published: true,
            ..Published::default()
        });
    }
    let release = client.draft(existing.as_ref(), tag, name, body)?;
    let mut out = Published {
        reused_draft: existing.is_some(),
        ..Published::default()
    };
    // The draft's assets as the server lists them now.
    let assets = if existing.is_some() {
        release.assets.clone()
    } else {
        Vec::new()
    };
    for upload in uploads {
        if let Some(old) = assets.iter().find(|a| a.name == upload.name) {
            client.delete_asset(old)?;
            out.replaced.push(upload.name.clone());
        }
        client.upload(&release, upload)?;
        out.uploaded.push(upload.name.clone());
    }
    let published = client.publish_draft(&release)?;
    out.url = published.html_url;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_follow_retry_after_or_back_off() {
        assert_eq!(wait(1, Some("3")), Duration::from_secs(3));
        assert_eq!(wait(1, Some("100000")), MAX_WAIT);
        assert_eq!(wait(1, None), Duration::from_millis(500));
        assert_eq!(wait(3, None), Duration::from_secs(2));
        assert_eq!(
            wait(2, Some("Sun, 06 Nov 1994 08:49:37 GMT")),
            Duration::ZERO
        );
        assert_eq!(url_encode("app 1.0.tar.gz"), "app%201.0.tar.gz");
    }
}
