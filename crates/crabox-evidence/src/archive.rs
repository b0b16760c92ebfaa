//! The bundle as a deterministic `.tar.gz`: entries sorted by path under one top-level directory,
//! every mtime the same (`SOURCE_DATE_EPOCH` or the commit's time), uid and gid 0 with no names,
//! modes normalised (0755 directories, 0644 files), and a gzip header without name or time. The
//! same directory gives the same bytes.
//!
//! Reading one back is bounded ([`Limits`]): the bytes it may expand to (in all, per entry, and as
//! a ratio of the compressed size), the number of entries and the depth of their paths. The gzip
//! stream is read to its end, so a bad CRC or size field and trailing bytes are refused, and
//! nothing is unpacked to disk: [`walk`] streams each file to a visitor, [`read`] keeps them in
//! memory.

use std::collections::BTreeMap;
use std::io::{self, BufRead as _, Read, Write};
use std::path::Path;

use crate::error::EvidenceError;
use crate::manifest::{Kind, entries, not_regular};

/// Writes the directory `dir` as a `.tar.gz` to `out`, every entry under `top/`.
pub fn write(dir: &Path, top: &str, mtime: u64, out: impl Write) -> Result<(), EvidenceError> {
    let io = |path: &Path, source| EvidenceError::Io {
        path: path.to_owned(),
        source,
    };
    let entries = entries(dir)?;
    let gzip = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(out, flate2::Compression::default());
    let mut tar = tar::Builder::new(gzip);
    tar.mode(tar::HeaderMode::Deterministic);
    let header = |kind: tar::EntryType, mode: u32, size: u64| {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_size(size);
        header.set_mtime(mtime);
        header.set_uid(0);
        header.set_gid(0);
        header
    };
    let mut top_header = header(tar::EntryType::Directory, 0o755, 0);
    tar.append_data(&mut top_header, format!("{top}/"), io::empty())
        .map_err(|e| io(dir, e))?;
    for entry in entries {
        let path = dir.join(&entry.path);
        let name = format!("{top}/{}", entry.path);
        if entry.kind == Kind::Other {
            return Err(not_regular(entry.path));
        }
        if entry.kind == Kind::Directory {
            let mut h = header(tar::EntryType::Directory, 0o755, 0);
            tar.append_data(&mut h, format!("{name}/"), io::empty())
                .map_err(|e| io(&path, e))?;
        } else {
            let file = fs_err::File::open(&path).map_err(|e| io(&path, e))?;
            let size = file.metadata().map_err(|e| io(&path, e))?.len();
            let mut h = header(tar::EntryType::Regular, 0o644, size);
            tar.append_data(&mut h, &name, file)
                .map_err(|e| io(&path, e))?;
        }
    }
    let gzip = tar.into_inner().map_err(|e| io(dir, e))?;
    gzip.finish().map_err(|e| io(dir, e))?;
    Ok(())
}

/// How far reading an archive may go before it is refused.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Size of the `.tar.gz` file itself.
    pub compressed: u64,
    /// Bytes the gzip stream may expand to (headers and padding included).
    pub total: u64,
    /// Size of one entry.
    pub entry: u64,
    /// Number of entries.
    pub entries: usize,
    /// Components of an entry's path.
    pub depth: usize,
    /// Expanded bytes per compressed byte, once more than [`RATIO_FLOOR`] bytes were expanded
    /// (gzip of JSON is 5-30x; a bomb of zeros is ~1000x).
    pub ratio: u64,
}

/// Expansion below this many bytes is never refused for its ratio.
pub const RATIO_FLOOR: u64 = 16 << 20;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            compressed: 1 << 30,
            total: 2 << 30,
            entry: 1 << 30,
            entries: 100_000,
            depth: 32,
            ratio: 200,
        }
    }
}

/// An entry of an archive that is not read, and why (a name that could escape the bundle, a
/// link or special file, a second top-level directory, a duplicate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub path: String,
    pub why: String,
}

/// What [`walk`] found besides the files: the top-level directory and the refused entries.
#[derive(Debug, Default)]
pub struct Walked {
    pub top: Option<String>,
    pub refused: Vec<Refusal>,
}

/// Counts the bytes read through it and fails once they pass `limit`.
struct Bounded<R> {
    inner: R,
    read: u64,
    limit: u64,
    why: &'static str,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} ({} bytes)", self.why, self.limit),
            ));
        }
        Ok(n)
    }
}

/// Streams every regular file of the archive at `path` to `visit` (its path under the top-level
/// directory, and a reader of at most its declared size), within `limits`. Entries that could
/// escape the bundle, links and special files are refused (listed, not read); a limit passed, a
/// damaged gzip or tar stream, or bytes after the gzip stream are an error.
pub fn walk(
    path: &Path,
    limits: &Limits,
    mut visit: impl FnMut(&str, &mut dyn Read) -> Result<(), EvidenceError>,
) -> Result<Walked, EvidenceError> {
    let malformed = |message: String| EvidenceError::Malformed {
        what: path.display().to_string(),
        message,
    };
    let io = |source: io::Error| match source.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied => EvidenceError::Io {
            path: path.to_owned(),
            source,
        },
        _ => malformed(format!("not a readable .tar.gz: {source}")),
    };
    let file = fs_err::File::open(path).map_err(io)?;
    let compressed = file.metadata().map_err(io)?.len();
    if compressed > limits.compressed {
        return Err(malformed(format!(
            "the archive is {compressed} bytes, more than the limit of {}",
            limits.compressed
        )));
    }
    let expand = limits
        .total
        .min(compressed.saturating_mul(limits.ratio).max(RATIO_FLOOR));
    let gzip = flate2::bufread::GzDecoder::new(io::BufReader::new(file));
    let mut tar = tar::Archive::new(Bounded {
        inner: gzip,
        read: 0,
        limit: expand,
        why: "the archive expands beyond its limit",
    });
    let mut walked = Walked::default();
    let mut count = 0usize;
    let mut declared = 0u64;
    for entry in tar.entries().map_err(io)? {
        let mut entry = entry.map_err(io)?;
        count += 1;
        if count > limits.entries {
            return Err(malformed(format!(
                "more than {} entries in the archive",
                limits.entries
            )));
        }
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let kind = entry.header().entry_type();
        let size = entry.header().size().map_err(io)?;
        if size > limits.entry {
            return Err(malformed(format!(
                "`{name}` is {size} bytes, more than the limit of {} for one entry",
                limits.entry
            )));
        }
        // Refused on the declared sizes before their bytes are expanded.
        declared = declared.saturating_add(size);
        if declared > expand {
            return Err(malformed(format!(
                "the entries declare {declared} bytes, more than the {expand} this {compressed}-byte archive may expand to"
            )));
        }
        if let Some(why) = unsafe_name(&name) {
            walked.refused.push(Refusal { path: name, why });
            continue;
        }
        let trimmed = name.trim_end_matches('/');
        if trimmed.split('/').count() > limits.depth {
            return Err(malformed(format!(
                "`{}…` is nested more than {} levels deep",
                trimmed.chars().take(60).collect::<String>(),
                limits.depth
            )));
        }
        // Everything lives under one top-level directory: `<product>-<version>/`.
        let (first, rest) = trimmed.split_once('/').unwrap_or((trimmed, ""));
        match &walked.top {
            None => walked.top = Some(first.to_owned()),
            Some(t) if t != first => {
                let why = format!("outside the bundle's directory `{t}/`");
                walked.refused.push(Refusal { path: name, why });
                continue;
            }
            Some(_) => {}
        }
        match kind {
            tar::EntryType::Directory => {}
            tar::EntryType::Regular | tar::EntryType::Continuous if !rest.is_empty() => {
                let rest = rest.to_owned();
                visit(&rest, &mut entry)?;
                // Whatever the visitor left unread is read here, so that a short entry (a size
                // field larger than the data) fails.
                io::copy(&mut entry, &mut io::sink()).map_err(io)?;
            }
            other => walked.refused.push(Refusal {
                path: name,
                why: format!("a {other:?} entry (only files and directories are allowed)"),
            }),
        }
    }
    finish_stream(tar.into_inner()).map_err(|e| match e {
        Some(source) => io(source),
        None => malformed("data after the end of the tar archive or of the gzip stream".into()),
    })?;
    Ok(walked)
}

/// Reads the rest of the gzip stream (tar's end blocks and padding, which must be zeros) to its
/// end, where the gzip trailer's CRC-32 and size are checked, then makes sure nothing follows
/// it. `Err(None)`: non-zero data after the tar archive or bytes after the gzip stream.
fn finish_stream(
    mut rest: Bounded<flate2::bufread::GzDecoder<io::BufReader<fs_err::File>>>,
) -> Result<(), Option<io::Error>> {
    let mut tail = [0u8; 8192];
    loop {
        let n = rest.read(&mut tail).map_err(Some)?;
        if n == 0 {
            break;
        }
        if tail[..n].iter().any(|&b| b != 0) {
            return Err(None);
        }
    }
    let mut buffered = rest.inner.into_inner();
    if !buffered.fill_buf().map_err(Some)?.is_empty() {
        return Err(None);
    }
    Ok(())
}

/// A bundle archive read into memory: its files by path under its top-level directory, and the
/// entries refused.
#[derive(Debug, Default)]
pub struct InMemory {
    pub files: BTreeMap<String, Vec<u8>>,
    pub refused: Vec<Refusal>,
}

/// Reads the archive at `path` into memory within `limits` (see [`walk`]); a second entry with
/// the same path is refused.
pub fn read(path: &Path, limits: &Limits) -> Result<InMemory, EvidenceError> {
    let mut files = BTreeMap::new();
    let mut duplicates = Vec::new();
    let walked = walk(path, limits, |name, reader| {
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .map_err(|source| EvidenceError::Malformed {
                what: path.display().to_string(),
                message: format!("`{name}`: {source}"),
            })?;
        if files.insert(name.to_owned(), bytes).is_some() {
            duplicates.push(Refusal {
                path: name.to_owned(),
                why: "a second entry with this name".into(),
            });
        }
        Ok(())
    })?;
    let mut refused = walked.refused;
    refused.extend(duplicates);
    Ok(InMemory { files, refused })
}

/// Why an archive entry name could escape the bundle, if it could.
fn unsafe_name(name: &str) -> Option<String> {
    if name.starts_with('/') || name.contains('\\') || name.contains(':') {
        return Some("an absolute or non-portable path".into());
    }
    if name.split('/').any(|part| part == "..") {
        return Some("a path with `..`".into());
    }
    if name.chars().any(char::is_control) {
        return Some("a control character in the path".into());
    }
    None
}
