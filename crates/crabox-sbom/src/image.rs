//! Operating-system packages of a container image or a root file system (`crabox sbom --image`,
//! `[sbom] images`): a directory that is a root file system, an OCI image layout directory, or a
//! `docker save` / OCI archive (`.tar`, `.tar.gz`). An image's layers are applied in order with
//! their whiteouts (`.wh.NAME` removes NAME below, `.wh..wh..opq` empties the directory below),
//! and each layer blob of an OCI layout is checked against its digest while it is read.
//!
//! Only the package databases and `os-release` are read out of the layers: dpkg's
//! `var/lib/dpkg/status` and `status.d/`, apk's `lib/apk/db/installed`. Names in an archive are
//! compared with that fixed list and never become paths; a digest becomes a path only when it is
//! `sha256:` and 64 hex digits. Limits: 256 MiB per database file, 4 MiB per JSON document, two
//! million entries per layer, 256 layers.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::catalog::{self, Context};
use crate::error::SbomError;
use crate::model::{Diagnostic, Format, Lockfile};

const MAX_FILE: u64 = 256 << 20;
const MAX_JSON: u64 = 4 << 20;
const MAX_ENTRIES: usize = 2_000_000;
const MAX_LAYERS: usize = 256;
/// All the JSON documents (manifests, indexes, configs) of an archive together.
const MAX_DOCUMENTS: u64 = 64 << 20;

/// What an image or root file system holds.
#[derive(Debug, Clone, Default)]
pub struct ImageScan {
    /// One per package database found.
    pub lockfiles: Vec<Lockfile>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The files of a root file system that are read (besides `var/lib/dpkg/status.d/*`).
const FILES: [&str; 9] = [
    "etc/os-release",
    "usr/lib/os-release",
    "var/lib/dpkg/status",
    "lib/apk/db/installed",
    "var/lib/rpm/rpmdb.sqlite",
    "usr/lib/sysimage/rpm/rpmdb.sqlite",
    "var/lib/rpm/rpmdb.sqlite-wal",
    "usr/lib/sysimage/rpm/rpmdb.sqlite-wal",
    "var/lib/rpm/Packages",
];

fn wanted(path: &str) -> bool {
    FILES.contains(&path)
        || path
            .strip_prefix("var/lib/dpkg/status.d/")
            .is_some_and(|f| !f.is_empty() && !f.contains('/') && !f.contains('.'))
}

/// An archive member's name as a relative path (`./etc/x`, `/etc/x` → `etc/x`).
fn member_name(raw: &[u8]) -> String {
    let name = String::from_utf8_lossy(raw);
    let name = name.trim_start_matches("./").trim_start_matches('/');
    name.trim_end_matches('/').to_owned()
}

/// The files of the root file system that matter, as the layers left them: path → content
/// (`None` for a symbolic link or other non-regular file).
type Files = BTreeMap<String, Option<Vec<u8>>>;

/// What one layer changes.
#[derive(Debug, Default)]
struct Layer {
    files: Files,
    /// Paths removed below (`.wh.NAME`).
    whiteouts: Vec<String>,
    /// Directories emptied below (`.wh..wh..opq`).
    opaque: Vec<String>,
}

impl Layer {
    fn apply(self, files: &mut Files) {
        let under = |path: &str, dir: &str| {
            dir.is_empty() || path == dir || path.starts_with(&format!("{dir}/"))
        };
        for dir in &self.opaque {
            files.retain(|path, _| !(path != dir && under(path, dir)));
        }
        for gone in &self.whiteouts {
            files.retain(|path, _| !under(path, gone));
        }
        files.extend(self.files);
    }
}

fn bad(shown: &str, message: impl Into<String>) -> SbomError {
    SbomError::Parse {
        file: shown.to_owned(),
        line: 0,
        message: message.into(),
    }
}

fn read_error(path: &Path) -> impl FnOnce(std::io::Error) -> SbomError + '_ {
    move |source| SbomError::Read {
        path: path.to_owned(),
        source,
    }
}

/// Reads one layer (a tar stream, gzip-compressed or not).
fn read_layer(reader: impl Read, shown: &str) -> Result<Layer, SbomError> {
    let mut reader = BufReader::new(reader);
    let head = reader
        .fill_buf()
        .map_err(|e| bad(shown, format!("could not read a layer: {e}")))?;
    let stream: Box<dyn Read + '_> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::bufread::MultiGzDecoder::new(reader))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Err(bad(
            shown,
            "a zstd-compressed layer: crabox reads uncompressed and gzip layers",
        ));
    } else {
        Box::new(reader)
    };
    let mut archive = tar::Archive::new(stream);
    let mut layer = Layer::default();
    let entries = archive
        .entries()
        .map_err(|e| bad(shown, format!("not a tar layer: {e}")))?;
    for (count, entry) in entries.enumerate() {
        if count >= MAX_ENTRIES {
            return Err(bad(
                shown,
                format!("a layer with more than {MAX_ENTRIES} entries"),
            ));
        }
        let mut entry = entry.map_err(|e| bad(shown, format!("a broken tar layer: {e}")))?;
        let name = member_name(&entry.path_bytes());
        let (dir, file) = name.rsplit_once('/').unwrap_or(("", name.as_str()));
        if file == ".wh..wh..opq" {
            layer.opaque.push(dir.to_owned());
            continue;
        }
        if let Some(gone) = file.strip_prefix(".wh.") {
            layer.whiteouts.push(if dir.is_empty() {
                gone.to_owned()
            } else {
                format!("{dir}/{gone}")
            });
            continue;
        }
        if !wanted(&name) {
            continue;
        }
        let content = if entry.header().entry_type().is_file() {
            let size = entry.size();
            if size > MAX_FILE {
                return Err(bad(
                    shown,
                    format!("`{name}` is {size} bytes, over the limit of {MAX_FILE}"),
                ));
            }
            let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            entry
                .read_to_end(&mut bytes)
                .map_err(|e| bad(shown, format!("could not read `{name}`: {e}")))?;
            Some(bytes)
        } else {
            None
        };
        layer.files.insert(name, content);
    }
    Ok(layer)
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Reads a layer and checks that its bytes have `digest` (`sha256:HEX`).
fn read_checked_layer(reader: impl Read, digest: &str, shown: &str) -> Result<Layer, SbomError> {
    let mut hashing = Hashing {
        inner: reader,
        hasher: Sha256::new(),
    };
    let layer = read_layer(&mut hashing, shown)?;
    // The tar reader stops at the end-of-archive blocks: the rest counts for the digest too.
    std::io::copy(&mut hashing, &mut std::io::sink())
        .map_err(|e| bad(shown, format!("could not read layer {digest}: {e}")))?;
    let actual = format!(
        "sha256:{}",
        crate::encoding::hex(&hashing.hasher.finalize())
    );
    if actual != digest {
        return Err(bad(
            shown,
            format!("layer {digest} does not match its digest (its content is {actual})"),
        ));
    }
    Ok(layer)
}

/// `sha256:HEX` as the path of its blob in an OCI layout, when it is one.
fn blob_path(digest: &str) -> Option<String> {
    let hex = digest.strip_prefix("sha256:")?;
    (hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    .then(|| format!("blobs/sha256/{hex}"))
}

/// A layer to apply: where it is in the image, and its digest when it has one to check.
#[derive(Debug, Clone)]
struct LayerRef {
    path: String,
    digest: Option<String>,
}

/// The layers of an image, in order, from its `manifest.json` (docker save) or `index.json`
/// (OCI layout); `json` gives a document of the image by its path.
fn layers_of(
    json: &dyn Fn(&str) -> Result<Option<serde_json::Value>, SbomError>,
    shown: &str,
) -> Result<Vec<LayerRef>, SbomError> {
    if let Some(manifest) = json("manifest.json")? {
        let first = manifest
            .as_array()
            .and_then(|m| m.first())
            .ok_or_else(|| bad(shown, "`manifest.json` lists no image"))?;
        let layers = first["Layers"]
            .as_array()
            .ok_or_else(|| bad(shown, "`manifest.json` has no `Layers`"))?;
        return layers
            .iter()
            .map(|l| {
                let path = l
                    .as_str()
                    .ok_or_else(|| bad(shown, "a layer of `manifest.json` is not a path"))?;
                let path = member_name(path.as_bytes());
                // OCI-style paths (docker 25+) name their digest.
                let digest = path
                    .strip_prefix("blobs/sha256/")
                    .map(|hex| format!("sha256:{hex}"))
                    .filter(|d| blob_path(d).is_some());
                Ok(LayerRef { path, digest })
            })
            .collect();
    }
    let Some(index) = json("index.json")? else {
        return Err(bad(
            shown,
            "neither `manifest.json` (docker save) nor `index.json` (OCI image layout): not an image",
        ));
    };
    // Down through image indexes to one image manifest: linux/amd64 when there is a choice.
    let mut document = index;
    for _ in 0..8 {
        if let Some(layers) = document["layers"].as_array() {
            return layers
                .iter()
                .map(|l| {
                    let digest = l["digest"].as_str().unwrap_or_default();
                    let path = blob_path(digest).ok_or_else(|| {
                        bad(
                            shown,
                            format!("a layer digest that is not sha256:HEX: `{digest}`"),
                        )
                    })?;
                    Ok(LayerRef {
                        path,
                        digest: Some(digest.to_owned()),
                    })
                })
                .collect();
        }
        let manifests = document["manifests"]
            .as_array()
            .ok_or_else(|| bad(shown, "an image index without `manifests`"))?;
        let usable: Vec<&serde_json::Value> = manifests
            .iter()
            .filter(|m| m["platform"]["os"].as_str() != Some("unknown"))
            .collect();
        let chosen = usable
            .iter()
            .find(|m| {
                m["platform"]["os"].as_str() == Some("linux")
                    && m["platform"]["architecture"].as_str() == Some("amd64")
            })
            .or_else(|| usable.first())
            .ok_or_else(|| bad(shown, "an image index that lists no image"))?;
        let digest = chosen["digest"].as_str().unwrap_or_default();
        let path = blob_path(digest).ok_or_else(|| {
            bad(
                shown,
                format!("a manifest digest that is not sha256:HEX: `{digest}`"),
            )
        })?;
        document = json(&path)?
            .ok_or_else(|| bad(shown, format!("manifest {digest} is not in the image")))?;
    }
    Err(bad(shown, "image indexes nested more than 8 deep"))
}

fn parse_json(bytes: &[u8], what: &str, shown: &str) -> Result<serde_json::Value, SbomError> {
    serde_json::from_slice(bytes).map_err(|e| bad(shown, format!("`{what}` is not JSON: {e}")))
}

/// Opens an archive file as a tar stream (gzip or not).
fn open_archive(path: &Path) -> Result<tar::Archive<Box<dyn Read>>, SbomError> {
    let file = fs_err::File::open(path).map_err(read_error(path))?;
    let mut reader = BufReader::new(file);
    let gzip = reader
        .fill_buf()
        .map_err(read_error(path))?
        .starts_with(&[0x1f, 0x8b]);
    let stream: Box<dyn Read> = if gzip {
        Box::new(flate2::bufread::MultiGzDecoder::new(reader))
    } else {
        Box::new(reader)
    };
    Ok(tar::Archive::new(stream))
}

/// The root file system's files from an image archive: two passes, one for the JSON documents,
/// one for the layers.
fn files_of_archive(path: &Path, shown: &str) -> Result<Files, SbomError> {
    let mut documents: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut kept: u64 = 0;
    let mut archive = open_archive(path)?;
    for entry in archive.entries().map_err(read_error(path))? {
        let mut entry = entry.map_err(|e| bad(shown, format!("not a tar archive: {e}")))?;
        let name = member_name(&entry.path_bytes());
        let json =
            name == "manifest.json" || name == "index.json" || name.starts_with("blobs/sha256/");
        if json && entry.header().entry_type().is_file() && entry.size() <= MAX_JSON {
            let mut bytes = Vec::new();
            entry
                .read_to_end(&mut bytes)
                .map_err(|e| bad(shown, format!("could not read `{name}`: {e}")))?;
            // Only JSON documents are kept: a small layer is read in the second pass.
            let is_json = bytes
                .iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(|b| matches!(b, b'{' | b'['));
            if is_json {
                kept += entry.size();
                if kept > MAX_DOCUMENTS {
                    return Err(bad(
                        shown,
                        format!(
                            "more than {MAX_DOCUMENTS} bytes of JSON documents (manifests, configs): not an image crabox reads"
                        ),
                    ));
                }
                documents.insert(name, bytes);
            }
        }
    }
    let json = |name: &str| -> Result<Option<serde_json::Value>, SbomError> {
        documents
            .get(name)
            .map(|b| parse_json(b, name, shown))
            .transpose()
    };
    let layers = layers_of(&json, shown)?;
    if layers.len() > MAX_LAYERS {
        return Err(bad(shown, format!("more than {MAX_LAYERS} layers")));
    }
    // Each layer is read once, in one pass: one listed twice is not an image docker writes.
    let mut seen = std::collections::BTreeSet::new();
    if let Some(twice) = layers.iter().find(|l| !seen.insert(&l.path)) {
        return Err(bad(
            shown,
            format!("layer `{}` is listed twice", twice.path),
        ));
    }
    let mut read: BTreeMap<String, Layer> = BTreeMap::new();
    let mut archive = open_archive(path)?;
    for entry in archive.entries().map_err(read_error(path))? {
        let entry = entry.map_err(|e| bad(shown, format!("not a tar archive: {e}")))?;
        let name = member_name(&entry.path_bytes());
        let Some(layer) = layers.iter().find(|l| l.path == name) else {
            continue;
        };
        if read.contains_key(&name) {
            continue;
        }
        let contents = match &layer.digest {
            Some(digest) => read_checked_layer(entry, digest, shown)?,
            None => read_layer(entry, shown)?,
        };
        read.insert(name, contents);
    }
    let mut files = Files::new();
    for layer in &layers {
        let contents = read.remove(&layer.path).ok_or_else(|| {
            bad(
                shown,
                format!("layer `{}` is not in the archive", layer.path),
            )
        })?;
        contents.apply(&mut files);
    }
    Ok(files)
}

/// The root file system's files from an OCI image layout directory.
fn files_of_layout(dir: &Path, shown: &str) -> Result<Files, SbomError> {
    let json = |name: &str| -> Result<Option<serde_json::Value>, SbomError> {
        let path = dir.join(name);
        match fs_err::metadata(&path) {
            Ok(meta) if meta.is_file() && meta.len() <= MAX_JSON => {
                let bytes = fs_err::read(&path).map_err(read_error(&path))?;
                parse_json(&bytes, name, shown).map(Some)
            }
            Ok(_) => Err(bad(
                shown,
                format!("`{name}` is not a file of at most {MAX_JSON} bytes"),
            )),
            Err(_) => Ok(None),
        }
    };
    let layers = layers_of(&json, shown)?;
    if layers.len() > MAX_LAYERS {
        return Err(bad(shown, format!("more than {MAX_LAYERS} layers")));
    }
    let mut files = Files::new();
    for layer in layers {
        let path = dir.join(&layer.path);
        let file = fs_err::File::open(&path).map_err(read_error(&path))?;
        let contents = match &layer.digest {
            Some(digest) => read_checked_layer(file, digest, shown)?,
            None => read_layer(file, shown)?,
        };
        contents.apply(&mut files);
    }
    Ok(files)
}

/// The root file system's files from a directory, regular files only: a symbolic link in it
/// (`etc/os-release` usually is one) is not followed out of the root.
fn files_of_root(dir: &Path) -> Result<Files, SbomError> {
    let mut files = Files::new();
    let mut read = |name: String| -> Result<(), SbomError> {
        let path = dir.join(&name);
        match fs_err::symlink_metadata(&path) {
            Ok(meta) if meta.is_file() => {
                if meta.len() > MAX_FILE {
                    return Err(bad(
                        &path.display().to_string(),
                        format!("{} bytes, over the limit of {MAX_FILE}", meta.len()),
                    ));
                }
                files.insert(name, Some(fs_err::read(&path).map_err(read_error(&path))?));
            }
            Ok(_) => {
                files.insert(name, None);
            }
            Err(_) => {}
        }
        Ok(())
    };
    for name in FILES {
        read(name.to_owned())?;
    }
    let status_d = dir.join("var/lib/dpkg/status.d");
    if fs_err::symlink_metadata(&status_d).is_ok_and(|m| m.is_dir()) {
        let mut names: Vec<String> = fs_err::read_dir(&status_d)
            .map_err(read_error(&status_d))?
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .map(|n| format!("var/lib/dpkg/status.d/{n}"))
            .filter(|n| wanted(n))
            .collect();
        names.sort();
        for name in names {
            read(name)?;
        }
    }
    Ok(files)
}

/// `ID` and `VERSION_ID` of an `os-release` file.
fn os_release(text: &str) -> (String, String) {
    let mut id = String::new();
    let mut version_id = String::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches(['"', '\'']).to_owned();
        match key.trim() {
            "ID" => id = value,
            "VERSION_ID" => version_id = value,
            _ => {}
        }
    }
    (id, version_id)
}

/// Reads the package databases of the image or root file system at `image` (shown relative to
/// `root`).
pub fn scan(root: &Path, image: &Path) -> Result<ImageScan, SbomError> {
    let shown = crate::display(root, image);
    let meta = fs_err::metadata(image).map_err(read_error(image))?;
    let (files, separator) = if meta.is_dir() {
        if image.join("oci-layout").is_file() || image.join("index.json").is_file() {
            (files_of_layout(image, &shown)?, "!/")
        } else {
            (files_of_root(image)?, "/")
        }
    } else {
        (files_of_archive(image, &shown)?, "!/")
    };
    let release = ["etc/os-release", "usr/lib/os-release"]
        .iter()
        .find_map(|p| files.get(*p).and_then(Option::as_ref))
        .map(|bytes| os_release(&String::from_utf8_lossy(bytes)));
    let mut scan = ImageScan::default();
    for (path, content) in &files {
        let format = match path.as_str() {
            "var/lib/dpkg/status" => Format::DpkgStatus,
            "lib/apk/db/installed" => Format::ApkInstalled,
            "var/lib/rpm/rpmdb.sqlite" | "usr/lib/sysimage/rpm/rpmdb.sqlite" => Format::RpmSqlite,
            p if p.starts_with("var/lib/dpkg/status.d/") => Format::DpkgStatus,
            "var/lib/rpm/Packages" => {
                scan.diagnostics.push(Diagnostic {
                    code: crabox_types::codes::SBOM_ENTRY_SKIPPED,
                    file: PathBuf::from(&shown),
                    line: 0,
                    message: "rpm's Berkeley DB database (`var/lib/rpm/Packages`, RHEL 8 and older) is not read: its packages are not listed".to_owned(),
                });
                continue;
            }
            _ => continue,
        };
        let Some(content) = content else {
            continue;
        };
        let display = format!("{}{separator}{path}", shown.trim_end_matches('/'));
        if format == Format::RpmSqlite {
            let context = Context {
                display: display.clone(),
                distro: release.clone(),
                ..Context::default()
            };
            let mut parsed = catalog::rpm::parse_sqlite(content, &context)?;
            let wal = files.get(&format!("{path}-wal")).and_then(Option::as_ref);
            if wal.is_some_and(|w| !w.is_empty()) {
                parsed.skip(context.diagnostic(
                    0,
                    "the database has a write-ahead log not yet checkpointed: packages installed since the last checkpoint may be missing",
                ));
            }
            scan.lockfiles.push(parsed.into_lockfile(display, format));
            continue;
        }
        let text = std::str::from_utf8(content).map_err(|e| SbomError::Parse {
            file: display.clone(),
            line: 1,
            message: format!("not UTF-8 text: {e}"),
        })?;
        let context = Context {
            display: display.clone(),
            distro: release.clone(),
            ..Context::default()
        };
        scan.lockfiles
            .push(catalog::parse(format, text, &context)?.into_lockfile(display, format));
    }
    if scan.lockfiles.is_empty() {
        scan.diagnostics.push(Diagnostic {
            code: crabox_types::codes::SBOM_NO_LOCKFILE,
            file: PathBuf::from(&shown),
            line: 0,
            message: "no package database (dpkg `var/lib/dpkg/status`, apk `lib/apk/db/installed`, rpm `rpmdb.sqlite`) in the image: its operating-system packages are not listed".to_owned(),
        });
    }
    if release.is_none() && !scan.lockfiles.is_empty() {
        scan.diagnostics.push(Diagnostic {
            code: crabox_types::codes::SBOM_ENTRY_SKIPPED,
            file: PathBuf::from(&shown),
            line: 0,
            message: "no `etc/os-release`: the distribution release is not known, so no advisory database covers these packages".to_owned(),
        });
    }
    Ok(scan)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar layer of `(path, content)` files; content `None` is a whiteout marker file.
    fn layer(files: &[(&str, &str)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, content) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            builder
                .append_data(&mut header, path, content.as_bytes())
                .unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut encoder, bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn sha(bytes: &[u8]) -> String {
        format!("sha256:{}", crate::encoding::hex(&Sha256::digest(bytes)))
    }

    const STATUS_1: &str = "Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\n\nPackage: libssl3\nStatus: install ok installed\nVersion: 3.0.11-1~deb12u1\nArchitecture: amd64\nSource: openssl\n";
    const STATUS_2: &str = "Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\n\nPackage: libssl3\nStatus: install ok installed\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\nSource: openssl\n";

    /// An OCI layout with three layers: the base, an upgrade of the status file and a whiteout
    /// of a distroless status.d entry, written to `dir`; returns the layer blobs' digests.
    fn oci_layout(dir: &Path, tamper: bool) -> Vec<String> {
        let layers = [
            gzip(&layer(&[
                ("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
                ("var/lib/dpkg/status", STATUS_1),
                (
                    "var/lib/dpkg/status.d/tzdata",
                    "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n",
                ),
                ("usr/bin/other", "x"),
            ])),
            layer(&[("./var/lib/dpkg/status", STATUS_2)]),
            layer(&[("var/lib/dpkg/status.d/.wh.tzdata", "")]),
        ];
        fs_err::create_dir_all(dir.join("blobs/sha256")).unwrap();
        let mut digests = Vec::new();
        for layer in &layers {
            let digest = sha(layer);
            let mut content = layer.clone();
            if tamper && digests.is_empty() {
                content = gzip(&self::layer(&[("var/lib/dpkg/status", STATUS_2)]));
            }
            fs_err::write(dir.join(blob_path(&digest).unwrap()), content).unwrap();
            digests.push(digest);
        }
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "layers": digests.iter().map(|d| serde_json::json!({"digest": d})).collect::<Vec<_>>(),
        })
        .to_string();
        let manifest_digest = sha(manifest.as_bytes());
        fs_err::write(dir.join(blob_path(&manifest_digest).unwrap()), &manifest).unwrap();
        fs_err::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        fs_err::write(
            dir.join("index.json"),
            serde_json::json!({"schemaVersion": 2, "manifests": [
                {"digest": manifest_digest, "platform": {"os": "linux", "architecture": "amd64"}}
            ]})
            .to_string(),
        )
        .unwrap();
        digests
    }

    fn names(scan: &ImageScan) -> Vec<String> {
        scan.lockfiles
            .iter()
            .flat_map(|l| &l.packages)
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect()
    }

    #[test]
    fn layers_apply_in_order_with_whiteouts() {
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("image");
        oci_layout(&image, false);
        let scan = scan(dir.path(), &image).unwrap();
        assert_eq!(
            names(&scan),
            ["base-files@12.4", "libssl3@3.0.11-1~deb12u2"],
            "the second layer's status file, and tzdata whited out by the third"
        );
        assert_eq!(scan.lockfiles[0].path, "image!/var/lib/dpkg/status");
        assert_eq!(
            scan.lockfiles[0].packages[1].purl(),
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"
        );
    }

    #[test]
    fn a_tampered_layer_is_refused_with_its_digest() {
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("image");
        let digests = oci_layout(&image, true);
        let err = scan(dir.path(), &image).unwrap_err().to_string();
        assert!(
            err.contains(&digests[0]) && err.contains("does not match"),
            "{err}"
        );
    }

    #[test]
    fn a_docker_save_archive_and_an_opaque_directory() {
        let dir = tempfile::tempdir().unwrap();
        let layers = [
            layer(&[
                ("etc/os-release", "ID=debian\nVERSION_ID=12\n"),
                ("var/lib/dpkg/status", STATUS_1),
            ]),
            // An opaque var/lib/dpkg: the status below is gone, this layer's stays.
            layer(&[
                ("var/lib/dpkg/.wh..wh..opq", ""),
                (
                    "var/lib/dpkg/status.d/base",
                    "Package: base-files\nVersion: 12.5\nArchitecture: amd64\n",
                ),
            ]),
        ];
        let mut outer = tar::Builder::new(Vec::new());
        let mut add = |name: &str, bytes: &[u8]| {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            outer.append_data(&mut header, name, bytes).unwrap();
        };
        // Layers before the manifest, as some writers order them.
        add("aaa/layer.tar", &layers[0]);
        add("bbb/layer.tar", &layers[1]);
        add(
            "manifest.json",
            br#"[{"Config":"c.json","RepoTags":["x:1"],"Layers":["aaa/layer.tar","bbb/layer.tar"]}]"#,
        );
        let archive = dir.path().join("image.tar.gz");
        fs_err::write(&archive, gzip(&outer.into_inner().unwrap())).unwrap();
        let scan = scan(dir.path(), &archive).unwrap();
        assert_eq!(names(&scan), ["base-files@12.5"]);
        assert_eq!(
            scan.lockfiles[0].path,
            "image.tar.gz!/var/lib/dpkg/status.d/base"
        );
    }

    #[test]
    fn a_root_directory_does_not_follow_links_out_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        fs_err::create_dir_all(root.join("lib/apk/db")).unwrap();
        fs_err::create_dir_all(root.join("etc")).unwrap();
        fs_err::create_dir_all(root.join("usr/lib")).unwrap();
        fs_err::write(
            root.join("usr/lib/os-release"),
            "ID=alpine\nVERSION_ID=3.20.3\n",
        )
        .unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc/hostname", root.join("etc/os-release")).unwrap();
        fs_err::write(
            root.join("lib/apk/db/installed"),
            "P:musl\nV:1.2.5-r0\nA:x86_64\n",
        )
        .unwrap();
        let scan = scan(dir.path(), &root).unwrap();
        assert_eq!(names(&scan), ["musl@1.2.5-r0"]);
        assert_eq!(
            scan.lockfiles[0].packages[0].purl(),
            "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3"
        );
        assert_eq!(scan.lockfiles[0].path, "root/lib/apk/db/installed");
    }

    #[test]
    fn not_an_image_is_said() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.tar");
        fs_err::write(&file, layer(&[("a", "b")])).unwrap();
        let err = scan(dir.path(), &file).unwrap_err().to_string();
        assert!(err.contains("not an image"), "{err}");
        let empty = dir.path().join("empty");
        fs_err::create_dir_all(&empty).unwrap();
        let scan = scan(dir.path(), &empty).unwrap();
        assert!(scan.lockfiles.is_empty());
        assert!(scan.diagnostics[0].message.contains("no package database"));
    }
}
