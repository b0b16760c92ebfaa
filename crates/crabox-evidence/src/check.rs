//! Verification of a bundle's contents against its manifest, from a directory or a `.tar.gz`:
//! every file re-hashed, missing and unexpected files reported, and in an archive any entry that
//! could write outside the bundle (`..`, an absolute path) or is not a plain file or directory
//! refused. The manifest's signature is checked by the caller with the bytes returned here.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::EvidenceError;
use crate::manifest::{Kind, MANIFEST, MANIFEST_SIGNATURE, Manifest, digest_file, entries};

/// One thing wrong with a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// In the manifest, not in the bundle.
    Missing { path: String },
    /// In the bundle, not in the manifest.
    Unexpected { path: String },
    /// Present with other content than the manifest records.
    Changed {
        path: String,
        expected: String,
        actual: String,
    },
    /// An archive entry that is refused, and why.
    Refused { path: String, why: String },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Missing { path } => {
                write!(f, "{path}: in the manifest, missing from the bundle")
            }
            Problem::Unexpected { path } => write!(f, "{path}: in the bundle, not in the manifest"),
            Problem::Changed {
                path,
                expected,
                actual,
            } => write!(
                f,
                "{path}: changed: sha256 {actual}, the manifest says {expected}"
            ),
            Problem::Refused { path, why } => write!(f, "{path}: refused: {why}"),
        }
    }
}

/// What was found: the manifest (its bytes, for the signature check), the signature if the
/// bundle has one, and the problems (none when every file matches).
#[derive(Debug)]
pub struct Checked {
    pub manifest: Manifest,
    pub manifest_bytes: Vec<u8>,
    pub signature: Option<Vec<u8>>,
    pub problems: Vec<Problem>,
}

/// Size and SHA-256 of each file found, by relative path.
type Found = BTreeMap<String, (u64, String)>;

fn compare(manifest: &Manifest, found: &Found, problems: &mut Vec<Problem>) {
    for entry in &manifest.files {
        match found.get(&entry.path) {
            None => problems.push(Problem::Missing {
                path: entry.path.clone(),
            }),
            Some((size, sha256)) if *size != entry.size || *sha256 != entry.sha256 => {
                problems.push(Problem::Changed {
                    path: entry.path.clone(),
                    expected: entry.sha256.clone(),
                    actual: sha256.clone(),
                });
            }
            Some(_) => {}
        }
    }
    let listed: std::collections::BTreeSet<&str> =
        manifest.files.iter().map(|f| f.path.as_str()).collect();
    for path in found.keys() {
        if !listed.contains(path.as_str()) && path != MANIFEST && path != MANIFEST_SIGNATURE {
            problems.push(Problem::Unexpected { path: path.clone() });
        }
    }
}

/// Checks the bundle directory `dir`.
pub fn directory(dir: &Path) -> Result<Checked, EvidenceError> {
    let manifest_path = dir.join(MANIFEST);
    let manifest_bytes = fs_err::read(&manifest_path).map_err(|source| EvidenceError::Io {
        path: manifest_path.clone(),
        source,
    })?;
    let manifest = Manifest::from_bytes(MANIFEST, &manifest_bytes)?;
    let signature = fs_err::read(dir.join(MANIFEST_SIGNATURE)).ok();
    let mut found = Found::new();
    let mut problems = Vec::new();
    for entry in entries(dir)? {
        match entry.kind {
            Kind::Directory => {}
            Kind::File => {
                let digest = digest_file(&dir.join(&entry.path))?;
                found.insert(entry.path, digest);
            }
            Kind::Other => problems.push(Problem::Refused {
                path: entry.path,
                why: "not a regular file".into(),
            }),
        }
    }
    Ok(finish(
        manifest,
        manifest_bytes,
        signature,
        &found,
        problems,
    ))
}

/// The manifest compared with what was found.
fn finish(
    manifest: Manifest,
    manifest_bytes: Vec<u8>,
    signature: Option<Vec<u8>>,
    found: &Found,
    mut problems: Vec<Problem>,
) -> Checked {
    compare(&manifest, found, &mut problems);
    Checked {
        manifest,
        manifest_bytes,
        signature,
        problems,
    }
}

/// Checks a bundle archive (`.tar.gz`) without unpacking it, within the default
/// [`Limits`](crate::archive::Limits).
pub fn archive(path: &Path) -> Result<Checked, EvidenceError> {
    use sha2::Digest as _;
    let limits = crate::archive::Limits::default();
    let io = |source| EvidenceError::Io {
        path: path.to_owned(),
        source,
    };
    let mut found = Found::new();
    let mut problems = Vec::new();
    let mut manifest_bytes = None;
    let mut signature = None;
    let walked = crate::archive::walk(path, &limits, |rest, entry| {
        let mut hasher = sha2::Sha256::new();
        let mut buffer = vec![0u8; 64 * 1024];
        let mut size = 0u64;
        let keep = rest == MANIFEST || rest == MANIFEST_SIGNATURE;
        let mut kept = Vec::new();
        loop {
            let n = entry.read(&mut buffer).map_err(io)?;
            if n == 0 {
                break;
            }
            size += n as u64;
            hasher.update(&buffer[..n]);
            if keep {
                kept.extend_from_slice(&buffer[..n]);
            }
        }
        if rest == MANIFEST {
            manifest_bytes = Some(kept);
        } else if rest == MANIFEST_SIGNATURE {
            signature = Some(kept);
        }
        let digest = (size, crabox_types::encoding::hex(&hasher.finalize()));
        if found.insert(rest.to_owned(), digest).is_some() {
            problems.push(Problem::Refused {
                path: rest.to_owned(),
                why: "a second entry with this name".into(),
            });
        }
        Ok(())
    })?;
    let mut refused: Vec<Problem> = walked
        .refused
        .into_iter()
        .map(|r| Problem::Refused {
            path: r.path,
            why: r.why,
        })
        .collect();
    refused.extend(problems);
    let manifest_bytes = manifest_bytes.ok_or_else(|| EvidenceError::Malformed {
        what: path.to_string_lossy().into_owned(),
        message: format!("no `{MANIFEST}` in the archive"),
    })?;
    let manifest = Manifest::from_bytes(MANIFEST, &manifest_bytes)?;
    Ok(finish(manifest, manifest_bytes, signature, &found, refused))
}

/// Checks a bundle archive already read into memory ([`crate::archive::read`]): its refused
/// entries and every file against its manifest.
pub fn in_memory(what: &str, archive: &crate::archive::InMemory) -> Result<Checked, EvidenceError> {
    let manifest_bytes =
        archive
            .files
            .get(MANIFEST)
            .cloned()
            .ok_or_else(|| EvidenceError::Malformed {
                what: what.to_owned(),
                message: format!("no `{MANIFEST}` in the archive"),
            })?;
    let manifest = Manifest::from_bytes(MANIFEST, &manifest_bytes)?;
    let found: Found = archive
        .files
        .iter()
        .map(|(path, bytes)| {
            use sha2::Digest as _;
            let digest = sha2::Sha256::digest(bytes);
            (
                path.clone(),
                (bytes.len() as u64, crabox_types::encoding::hex(&digest)),
            )
        })
        .collect();
    let problems = archive
        .refused
        .iter()
        .map(|r| Problem::Refused {
            path: r.path.clone(),
            why: r.why.clone(),
        })
        .collect();
    let signature = archive.files.get(MANIFEST_SIGNATURE).cloned();
    Ok(finish(
        manifest,
        manifest_bytes,
        signature,
        &found,
        problems,
    ))
}
