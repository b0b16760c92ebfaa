//! The bundle as a deterministic `.tar.gz`: entries sorted by path under one top-level directory,
//! every mtime the same (`SOURCE_DATE_EPOCH` or the commit's time), uid and gid 0 with no names,
//! modes normalised (0755 directories, 0644 files), and a gzip header without name or time. The
//! same directory gives the same bytes.

use std::io::Write;
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
    tar.append_data(&mut top_header, format!("{top}/"), std::io::empty())
        .map_err(|e| io(dir, e))?;
    for entry in entries {
        let path = dir.join(&entry.path);
        let name = format!("{top}/{}", entry.path);
        if entry.kind == Kind::Other {
            return Err(not_regular(entry.path));
        }
        if entry.kind == Kind::Directory {
            let mut h = header(tar::EntryType::Directory, 0o755, 0);
            tar.append_data(&mut h, format!("{name}/"), std::io::empty())
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

/// Unpacks a bundle archive into `into` and returns its one top-level directory. Links, special
/// files and entries that would leave `into` are refused.
pub fn unpack(path: &Path, into: &Path) -> Result<std::path::PathBuf, EvidenceError> {
    let io = |source| EvidenceError::Io {
        path: path.to_owned(),
        source,
    };
    let malformed = |message: &str| EvidenceError::Malformed {
        what: path.display().to_string(),
        message: message.to_owned(),
    };
    let file = fs_err::File::open(path).map_err(io)?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for entry in archive.entries().map_err(io)? {
        let mut entry = entry.map_err(io)?;
        if !matches!(
            entry.header().entry_type(),
            tar::EntryType::Regular | tar::EntryType::Directory
        ) {
            return Err(malformed("the archive holds a link or special file"));
        }
        // `unpack_in` refuses `..` and absolute paths.
        if !entry.unpack_in(into).map_err(io)? {
            return Err(malformed("an entry would leave the bundle"));
        }
    }
    let mut dirs = fs_err::read_dir(into)
        .map_err(io)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir());
    match (dirs.next(), dirs.next()) {
        (Some(dir), None) => Ok(dir),
        _ => Err(malformed("expected one bundle directory in the archive")),
    }
}
