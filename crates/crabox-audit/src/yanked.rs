//! Yanked crates: each crates.io package of the lockfiles looked up in the registry's sparse
//! index (<https://doc.rust-lang.org/cargo/reference/registry-index.html#sparse-protocol>). Only
//! when online; the caller says "not checked" otherwise.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crabox_types::component::{Ecosystem, Lockfile, Source};

/// One package's lookup: yanked, not listed (`None`), or why it failed.
type Lookup = ((usize, usize), Result<Option<bool>, String>);

/// What the check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Yanked {
    /// `(lockfile index, package index)` of each yanked package.
    pub yanked: Vec<(usize, usize)>,
    /// Packages looked up.
    pub checked: usize,
    /// `(lockfile index, package index)` of each package looked up with an answer.
    pub answered: Vec<(usize, usize)>,
    /// Packages that could not be looked up, with the first reason.
    pub unchecked: usize,
    pub reason: Option<String>,
}

/// The sparse-index path of a crate name.
pub fn index_path(name: &str) -> String {
    let name = name.to_ascii_lowercase();
    match name.len() {
        1 => format!("1/{name}"),
        2 => format!("2/{name}"),
        3 => format!("3/{}/{name}", &name[..1]),
        _ => format!("{}/{}/{name}", &name[..2], &name[2..4]),
    }
}

/// Whether `version` is marked yanked in an index file (JSON lines); `None` when the version is
/// not listed.
pub fn is_yanked(index_file: &str, version: &str) -> Option<bool> {
    #[derive(serde::Deserialize)]
    struct Line {
        vers: String,
        #[serde(default)]
        yanked: bool,
    }
    index_file
        .lines()
        .filter_map(|line| serde_json::from_str::<Line>(line).ok())
        .find(|line| line.vers == version)
        .map(|line| line.yanked)
}

/// Looks up every crates.io package of the lockfiles under `index_url` (8 requests at a time).
/// When the first lookup cannot reach the index, nothing more is tried.
/// The crates.io packages of the lockfiles, as `(lockfile index, package index)`: what
/// [`check`] looks up.
pub fn candidates(lockfiles: &[Lockfile]) -> Vec<(usize, usize)> {
    let mut wanted = Vec::new();
    for (l, lockfile) in lockfiles.iter().enumerate() {
        for (p, package) in lockfile.packages.iter().enumerate() {
            if package.ecosystem == Ecosystem::Cargo && package.source == Source::Registry {
                wanted.push((l, p));
            }
        }
    }
    wanted
}

pub fn check(lockfiles: &[Lockfile], index_url: &str) -> Yanked {
    let wanted = candidates(lockfiles);
    let mut out = Yanked::default();
    if wanted.is_empty() {
        return out;
    }
    let client = match crate::http_client(Duration::from_secs(5), Duration::from_secs(20)) {
        Ok(client) => client,
        Err(e) => {
            out.unchecked = wanted.len();
            out.reason = Some(e.to_string());
            return out;
        }
    };
    let base = index_url.trim_end_matches('/');
    let lookup = |(l, p): (usize, usize)| -> Result<Option<bool>, String> {
        let package = &lockfiles[l].packages[p];
        let url = format!("{base}/{}", index_path(&package.name));
        let response = client
            .get(&url)
            .send()
            .map_err(|e| format!("GET {url}: {e}"))?;
        match response.status().as_u16() {
            200 => {
                let text = response.text().map_err(|e| format!("GET {url}: {e}"))?;
                Ok(is_yanked(&text, &package.version))
            }
            404 | 410 => Ok(None),
            status => Err(format!("GET {url}: HTTP {status}")),
        }
    };
    // One probe first: an unreachable index fails once, not once per package.
    let probe = lookup(wanted[0]);
    let reachable = probe.is_ok();
    let results: Mutex<Vec<Lookup>> = Mutex::new(vec![(wanted[0], probe)]);
    if reachable {
        let next = AtomicUsize::new(1);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&key) = wanted.get(i) else { break };
                        let result = lookup(key);
                        if let Ok(mut results) = results.lock() {
                            results.push((key, result));
                        }
                    }
                });
            }
        });
    }
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(key, _)| *key);
    for (key, result) in results {
        match result {
            Ok(yanked) => {
                out.checked += 1;
                out.answered.push(key);
                if yanked == Some(true) {
                    out.yanked.push(key);
                }
            }
            Err(reason) => {
                out.unchecked += 1;
                out.reason.get_or_insert(reason);
            }
        }
    }
    out.unchecked += wanted.len() - out.checked - out.unchecked;
    out
}

#[cfg(test)]
mod tests {
    use super::{index_path, is_yanked};

    #[test]
    fn sparse_index_paths() {
        assert_eq!(index_path("a"), "1/a");
        assert_eq!(index_path("ab"), "2/ab");
        assert_eq!(index_path("abc"), "3/a/abc");
        assert_eq!(index_path("Serde_JSON"), "se/rd/serde_json");
    }

    #[test]
    fn yanked_versions_in_an_index_file() {
        let file = "{\"name\":\"x\",\"vers\":\"1.0.0\",\"yanked\":false}\n{\"name\":\"x\",\"vers\":\"1.0.1\",\"yanked\":true}\nnot json\n";
        assert_eq!(is_yanked(file, "1.0.0"), Some(false));
        assert_eq!(is_yanked(file, "1.0.1"), Some(true));
        assert_eq!(is_yanked(file, "2.0.0"), None);
    }
}
