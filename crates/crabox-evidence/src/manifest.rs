//! `manifest.json`: every file of the bundle with its size and SHA-256, the tool, and the inputs
//! the bundle was made from. Paths are relative, `/`-separated and sorted, so the same bundle
//! gives the same manifest bytes.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::EvidenceError;

/// The version of the manifest's layout; bumped when a field changes meaning.
pub const SCHEMA_VERSION: u32 = 1;

/// The manifest's own name, and its signature's: neither is listed in `files`.
pub const MANIFEST: &str = "manifest.json";
pub const MANIFEST_SIGNATURE: &str = "manifest.sigstore.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema_version: u32,
    pub tool: Tool,
    pub inputs: Inputs,
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// What the bundle was made from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inputs {
    /// The repository's remote URL, or its directory name without one.
    pub repository: Option<String>,
    pub commit: Option<String>,
    pub tag: Option<String>,
    /// Whether the work tree had changes not in `commit`; `None` when it was not determined.
    pub dirty: Option<bool>,
    pub lockfiles: Vec<Digested>,
    pub databases: Vec<Database>,
    /// Lockfiles found in the repository and not read as the product's (test data, examples,
    /// `[sbom] exclude`), with the rule that skipped each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_lockfiles: Vec<SkippedInput>,
}

/// A lockfile not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedInput {
    pub path: String,
    pub rule: String,
}

/// An input file by path and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digested {
    pub path: String,
    pub sha256: String,
}

/// An advisory database snapshot the audit read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Database {
    pub source: String,
    pub id: String,
}

/// One file of the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

impl Manifest {
    /// The manifest of the bundle directory `dir`: every regular file below it except the
    /// manifest and its signature. A symbolic link or other special file is an error (a bundle
    /// holds only regular files).
    pub fn of_directory(dir: &Path, tool: Tool, inputs: Inputs) -> Result<Manifest, EvidenceError> {
        let mut files = Vec::new();
        for entry in entries(dir)? {
            match entry.kind {
                Kind::Directory => {}
                Kind::File if entry.path == MANIFEST || entry.path == MANIFEST_SIGNATURE => {}
                Kind::File => {
                    let (size, sha256) = digest_file(&dir.join(&entry.path))?;
                    files.push(FileEntry {
                        path: entry.path,
                        size,
                        sha256,
                    });
                }
                Kind::Other => return Err(not_regular(entry.path)),
            }
        }
        Ok(Manifest {
            schema_version: SCHEMA_VERSION,
            tool,
            inputs,
            files,
        })
    }

    /// The manifest as written to `manifest.json`: pretty JSON with a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// Reads a `manifest.json`; `name` is how errors refer to it.
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<Manifest, EvidenceError> {
        let manifest: Manifest =
            serde_json::from_slice(bytes).map_err(|e| EvidenceError::Malformed {
                what: name.to_owned(),
                message: format!("line {}: not a crabox manifest: {e}", e.line()),
            })?;
        if manifest.schema_version != SCHEMA_VERSION {
            return Err(EvidenceError::Malformed {
                what: name.to_owned(),
                message: format!(
                    "schema_version {} (this crabox reads {SCHEMA_VERSION})",
                    manifest.schema_version
                ),
            });
        }
        Ok(manifest)
    }
}

/// What a directory entry of a bundle is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Directory,
    File,
    /// A link or special file: never part of a bundle.
    Other,
}

pub(crate) struct Entry {
    /// Relative to the bundle root, `/`-separated.
    pub path: String,
    pub kind: Kind,
}

pub(crate) fn not_regular(path: String) -> EvidenceError {
    EvidenceError::Malformed {
        what: path,
        message: "not a regular file (a bundle holds no links or special files)".into(),
    }
}

/// Every entry below `root`, sorted by relative path (directories before their contents).
pub(crate) fn entries(root: &Path) -> Result<Vec<Entry>, EvidenceError> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<Entry>) -> Result<(), EvidenceError> {
        let io = |path: &Path, source| EvidenceError::Io {
            path: path.to_owned(),
            source,
        };
        for entry in fs_err::read_dir(dir).map_err(|e| io(dir, e))? {
            let entry = entry.map_err(|e| io(dir, e))?;
            let path = entry.path();
            let file_type = entry.file_type().map_err(|e| io(&path, e))?;
            let kind = if file_type.is_dir() {
                Kind::Directory
            } else if file_type.is_file() {
                Kind::File
            } else {
                Kind::Other
            };
            out.push(Entry {
                path: relative(root, &path)?,
                kind,
            });
            if kind == Kind::Directory {
                walk(root, &path, out)?;
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(root, root, &mut out)?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// `path` below `root` as a `/`-separated relative path.
pub(crate) fn relative(root: &Path, path: &Path) -> Result<String, EvidenceError> {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    parts
        .map(|p| p.join("/"))
        .ok_or_else(|| EvidenceError::Malformed {
            what: rel.to_string_lossy().into_owned(),
            message: "a file name that is not UTF-8".into(),
        })
}

/// Size and lowercase hex SHA-256 of a file, read as a stream.
pub fn digest_file(path: &Path) -> Result<(u64, String), EvidenceError> {
    let io = |source| EvidenceError::Io {
        path: path.to_owned(),
        source,
    };
    let file = fs_err::File::open(path).map_err(io)?;
    let (size, digest) = crabox_types::digest::sha256_reader(file).map_err(io)?;
    Ok((size, crabox_types::encoding::hex(&digest)))
}
