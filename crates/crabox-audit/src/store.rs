//! The advisory databases `crabox db update` keeps in the cache directory, and what
//! `crabox db status` and `crabox audit` (without `--db`) read back.
//!
//! Layout under `<cache>/db/`:
//! - `rustsec/mirror.git`: a bare, depth-1 mirror of the RustSec repository (fetched into on
//!   each update); `rustsec/tree-<commit>/`: its `crates/` advisories exported at one commit;
//! - `osv/<ecosystem>/export-<sha256>.zip`: the osv.dev export of one ecosystem;
//! - `…/state.json` per source: origin, version, dates, record count, and which copy is current.
//!
//! Swapping is atomic: a new copy is written beside the current one under a new name, checked
//! by loading it (which also builds its index), and only then does `state.json` (written by
//! rename) point at it; older copies are removed afterwards. An interrupted update leaves the
//! previous state and copy in place.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::db::{Database, Wanted};
use crabox_types::unix_now;

use crate::error::AuditError;

/// Where `crabox db update` fetches from.
#[derive(Debug, Clone)]
pub struct Origins {
    /// Git URL of the RustSec advisory database.
    pub rustsec: String,
    /// Base URL of the OSV exports: `<base>/<ecosystem>/all.zip`.
    pub osv: String,
    /// OSV ecosystems to fetch, as osv.dev names them (`crates.io`, `npm`, `PyPI`, `Go`).
    pub osv_ecosystems: Vec<String>,
}

/// One source as last fetched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// `rustsec` or `osv/<ecosystem>`.
    pub name: String,
    /// Where it was fetched from.
    pub origin: String,
    /// The current copy, relative to the store.
    pub copy: String,
    /// RustSec: the commit.
    pub commit: Option<String>,
    /// The database's own date (commit time, or the export's `Last-Modified`), Unix seconds.
    pub date: i64,
    /// When it was fetched, Unix seconds.
    pub fetched: i64,
    /// Advisories in it.
    pub records: usize,
    /// The database id (see [`Database::id`]).
    pub id: String,
}

/// The cache's databases.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    cache: PathBuf,
}

/// A directory name for an OSV ecosystem (`crates.io` stays, `PyPI` stays; anything else that is
/// not a plain name is refused).
fn ecosystem_dir(ecosystem: &str) -> Result<&str, AuditError> {
    let plain = !ecosystem.is_empty()
        && ecosystem != "."
        && ecosystem != ".."
        && ecosystem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if plain {
        Ok(ecosystem)
    } else {
        Err(AuditError::Update {
            source_name: format!("osv/{ecosystem}"),
            message: "not an OSV ecosystem name".to_owned(),
        })
    }
}

impl Store {
    /// The store of the cache directory `cache`.
    pub fn new(cache: &Path) -> Store {
        Store {
            root: cache.join("db"),
            cache: cache.to_owned(),
        }
    }

    fn state_file(&self, name: &str) -> PathBuf {
        self.root.join(name).join("state.json")
    }

    /// The state of the source `name`, if it was ever fetched.
    pub fn state(&self, name: &str) -> Option<State> {
        let text = fs_err::read(self.state_file(name)).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Every fetched source, RustSec first, then OSV ecosystems by name.
    pub fn states(&self) -> Vec<State> {
        let mut out: Vec<State> = self.state("rustsec").into_iter().collect();
        if let Ok(entries) = fs_err::read_dir(self.root.join("osv")) {
            let mut names: Vec<String> = entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            out.extend(names.iter().filter_map(|n| self.state(&format!("osv/{n}"))));
        }
        out
    }

    /// The path of a source's current copy.
    pub fn path(&self, state: &State) -> PathBuf {
        self.root.join(&state.copy)
    }

    /// Points `state.json` at the new copy, then removes the other copies of the source.
    fn commit(&self, state: &State, keep: &[&str]) -> Result<(), AuditError> {
        let file = self.state_file(&state.name);
        let json = serde_json::to_vec_pretty(state).map_err(|e| AuditError::Update {
            source_name: state.name.clone(),
            message: e.to_string(),
        })?;
        crabox_report::atomic::write(&file, &json).map_err(|e| AuditError::Update {
            source_name: state.name.clone(),
            message: format!("could not write {}: {e}", file.display()),
        })?;
        let dir = self.root.join(&state.name);
        for entry in fs_err::read_dir(&dir)
            .map_err(AuditError::read(&dir))?
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            let stale = (name.starts_with("tree-") || name.starts_with("export-"))
                && !keep.contains(&name.as_str())
                && format!("{}/{name}", state.name) != state.copy;
            if stale {
                self.discard(&entry.path());
            }
        }
        Ok(())
    }

    /// Removes a copy that is not current, and its index.
    fn discard(&self, path: &Path) {
        if let Ok(canonical) = fs_err::canonicalize(path) {
            let _ = fs_err::remove_file(crate::index::index_path(&self.cache, &canonical));
        }
        let _ = if path.is_dir() {
            fs_err::remove_dir_all(path)
        } else {
            fs_err::remove_file(path)
        };
    }

    /// Loads a new copy completely (which builds its index), so that a copy that does not load
    /// never becomes current.
    fn check(&self, name: &str, path: &Path) -> Result<Database, AuditError> {
        let database = crate::index::open(path, &Wanted::default(), &self.cache)?;
        if database.records == 0 {
            return Err(AuditError::Update {
                source_name: name.to_owned(),
                message: format!("no advisories in {}", path.display()),
            });
        }
        Ok(database)
    }

    /// Fetches the RustSec database from `url` (a depth-1 clone the first time, a fetch
    /// afterwards) and makes its advisories at the remote `HEAD` current.
    pub fn update_rustsec(&self, url: &str) -> Result<State, AuditError> {
        let name = "rustsec";
        let dir = self.root.join(name);
        fs_err::create_dir_all(&dir).map_err(AuditError::read(&dir))?;
        let failed = |e: crabox_git::GitError| AuditError::Update {
            source_name: name.to_owned(),
            message: e.to_string(),
        };
        let mirror = dir.join("mirror.git");
        let fetched = crabox_git::mirror::fetch(url, &mirror).map_err(failed)?;
        let tree_name = format!("tree-{}", fetched.commit);
        let copy = format!("{name}/{tree_name}");
        let tree = dir.join(&tree_name);
        if self.state(name).is_none_or(|s| s.copy != copy) || !tree.is_dir() {
            // A leftover of an interrupted update is replaced whole.
            let scratch = dir.join(format!("partial-{}", std::process::id()));
            let _ = fs_err::remove_dir_all(&scratch);
            crabox_git::mirror::export(&mirror, &fetched.commit, &scratch, |path| {
                path.starts_with("crates/")
            })
            .map_err(failed)?;
            let _ = fs_err::remove_dir_all(&tree);
            fs_err::rename(&scratch, &tree).map_err(AuditError::read(&tree))?;
        }
        let database = self.check(name, &tree).inspect_err(|_| {
            if self.state(name).is_none_or(|s| s.copy != copy) {
                self.discard(&tree);
            }
        })?;
        let state = State {
            name: name.to_owned(),
            origin: url.to_owned(),
            copy,
            commit: Some(fetched.commit),
            date: fetched.time,
            fetched: unix_now(),
            records: database.records,
            id: database.id,
        };
        self.commit(&state, &[tree_name.as_str(), "mirror.git"])?;
        Ok(state)
    }

    /// Downloads the OSV export of `ecosystem` from `<base>/<ecosystem>/all.zip` and makes it
    /// current.
    pub fn update_osv(&self, base: &str, ecosystem: &str) -> Result<State, AuditError> {
        let name = format!("osv/{}", ecosystem_dir(ecosystem)?);
        let url = format!("{}/{ecosystem}/all.zip", base.trim_end_matches('/'));
        let dir = self.root.join(&name);
        fs_err::create_dir_all(&dir).map_err(AuditError::read(&dir))?;
        let scratch = dir.join(format!("partial-{}.zip", std::process::id()));
        let (digest, last_modified) = download(&url, &scratch).map_err(|failure| {
            let _ = fs_err::remove_file(&scratch);
            let (source_name, message) = (name.clone(), failure.message);
            if failure.unreachable {
                AuditError::Unreachable {
                    source_name,
                    message,
                }
            } else {
                AuditError::Update {
                    source_name,
                    message,
                }
            }
        })?;
        let file_name = format!("export-{}.zip", &digest[..16]);
        let export = dir.join(&file_name);
        fs_err::rename(&scratch, &export).map_err(AuditError::read(&export))?;
        let database = self.check(&name, &export).inspect_err(|_| {
            if self
                .state(&name)
                .is_none_or(|s| s.copy != format!("{name}/{file_name}"))
            {
                self.discard(&export);
            }
        })?;
        let state = State {
            name: name.clone(),
            origin: url,
            copy: format!("{name}/{file_name}"),
            commit: None,
            date: last_modified.unwrap_or_else(unix_now),
            fetched: unix_now(),
            records: database.records,
            id: database.id,
        };
        self.commit(&state, &[file_name.as_str()])?;
        Ok(state)
    }
}

/// Why a download failed, and whether the server could not be reached at all.
struct Failure {
    message: String,
    unreachable: bool,
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure {
            message,
            unreachable: false,
        }
    }
}

/// Downloads `url` to `dest` as a stream; returns the SHA-256 (hex) and the `Last-Modified`
/// time. Timeouts, 5xx and 429 are retried twice with a growing pause.
fn download(url: &str, dest: &Path) -> Result<(String, Option<i64>), Failure> {
    use sha2::Digest as _;
    let client = crate::http_client(Duration::from_secs(20), Duration::from_secs(600))
        .map_err(|e| e.to_string())?;
    let mut attempt = 0;
    let mut response = loop {
        attempt += 1;
        let retry = match client.get(url).send() {
            Ok(response) if response.status().is_success() => break response,
            Ok(response) => {
                let status = response.status();
                if attempt < 3 && (status.is_server_error() || status.as_u16() == 429) {
                    format!("HTTP {status}")
                } else {
                    return Err(format!("GET {url}: HTTP {status}").into());
                }
            }
            Err(e) if attempt < 3 && (e.is_timeout() || e.is_connect()) => e.to_string(),
            Err(e) => {
                return Err(Failure {
                    message: format!("GET {url}: {e}"),
                    unreachable: e.is_connect() || e.is_timeout(),
                });
            }
        };
        tracing::warn!("GET {url}: {retry}; retrying");
        std::thread::sleep(Duration::from_millis(500 * (1 << attempt)));
    };
    let last_modified = response
        .headers()
        .get(reqwest::header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .and_then(crabox_types::parse_http_date);
    let mut file = std::io::BufWriter::new(fs_err::File::create(dest).map_err(|e| e.to_string())?);
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    loop {
        let read = std::io::Read::read(&mut response, &mut buffer)
            .map_err(|e| format!("GET {url}: {e}"))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        file.write_all(&buffer[..read]).map_err(|e| e.to_string())?;
    }
    let file = file.into_inner().map_err(|e| e.to_string())?;
    file.sync_all().map_err(|e| e.to_string())?;
    Ok((
        crabox_types::encoding::hex(&hasher.finalize()),
        last_modified,
    ))
}
