//! Atomic file writing: a temporary file in the destination's directory, synced, then renamed
//! over the destination. A failure at any point leaves the previous file as it was and no
//! temporary file behind.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// An atomic write that did not happen; the destination is unchanged.
#[derive(Debug, thiserror::Error)]
#[error("could not write `{}`", path.display())]
pub struct AtomicWriteError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// Options for [`write_with`].
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions {
    /// Unix permission bits of the new file. Default: those of the file being replaced, or
    /// `0o644` for a new file. Use `0o600` for private keys.
    pub mode: Option<u32>,
}

/// Writes `contents` to `path` atomically, creating missing parent directories.
pub fn write(path: &Path, contents: &[u8]) -> Result<(), AtomicWriteError> {
    write_with(path, WriteOptions::default(), |file| {
        file.write_all(contents)
    })
}

/// Writes `contents` to `dir/relative` atomically, where `relative` is a `/`-separated path that
/// must stay under `dir`: no `..`, no root, no empty or `.` component, no back-slash (see
/// [`crabox_types::file_name::is_contained`]). Anything else is refused before a byte is written,
/// so a name that became part of `relative` can never write outside `dir`.
pub fn write_under(
    dir: &Path,
    relative: &str,
    contents: &[u8],
) -> Result<PathBuf, AtomicWriteError> {
    let path = dir.join(relative);
    if !crabox_types::file_name::is_contained(relative) {
        return Err(AtomicWriteError {
            path,
            source: io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "`{}` is not a path under `{}`",
                    relative.escape_debug(),
                    dir.display()
                ),
            ),
        });
    }
    write(&path, contents)?;
    Ok(path)
}

/// Streams into `path` atomically: `fill` writes the content; if it fails, the destination keeps
/// its previous content.
pub fn write_with(
    path: &Path,
    options: WriteOptions,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), AtomicWriteError> {
    let fail = |source| AtomicWriteError {
        path: path.to_owned(),
        source,
    };
    let file_name = path.file_name().ok_or_else(|| {
        fail(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a file path",
        ))
    })?;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    fs_err::create_dir_all(&dir).map_err(fail)?;
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{}.", file_name.to_string_lossy()))
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(fail)?;
    {
        let mut writer = io::BufWriter::new(temp.as_file_mut());
        fill(&mut writer).map_err(fail)?;
        writer.flush().map_err(fail)?;
    }
    set_mode(temp.as_file(), path, options.mode).map_err(fail)?;
    temp.as_file().sync_all().map_err(fail)?;
    temp.persist(path).map_err(|err| fail(err.error))?;
    sync_dir(&dir);
    Ok(())
}

#[cfg(unix)]
fn set_mode(file: &std::fs::File, path: &Path, mode: Option<u32>) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = match mode {
        Some(mode) => mode,
        None => match fs_err::metadata(path) {
            Ok(meta) => meta.permissions().mode() & 0o7777,
            Err(_) => 0o644,
        },
    };
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &std::fs::File, _path: &Path, _mode: Option<u32>) -> io::Result<()> {
    Ok(())
}

/// Makes the rename durable. Best effort: not every platform can open a directory.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = fs_err::File::open(dir) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        fs_err::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with('.'))
            .collect()
    }

    #[test]
    fn writes_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/out.json");
        write(&path, b"one").unwrap();
        write(&path, b"two").unwrap();
        assert_eq!(fs_err::read_to_string(&path).unwrap(), "two");
        assert!(leftovers(path.parent().unwrap()).is_empty());
    }

    #[test]
    fn a_failed_write_keeps_the_old_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        write(&path, b"previous").unwrap();
        let err = write_with(&path, WriteOptions::default(), |w| {
            w.write_all(b"half of the new con")?;
            Err(io::Error::other("disk on fire"))
        })
        .unwrap_err();
        assert_eq!(err.path, path);
        assert!(err.to_string().contains("report.json"), "{err}");
        assert_eq!(fs_err::read_to_string(&path).unwrap(), "previous");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn modes_are_kept_or_set() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| fs_err::metadata(p).unwrap().permissions().mode() & 0o777;
        let public = dir.path().join("a.pub");
        write(&public, b"x").unwrap();
        assert_eq!(mode(&public), 0o644);
        let key = dir.path().join("a.key");
        write_with(&key, WriteOptions { mode: Some(0o600) }, |w| {
            w.write_all(b"k")
        })
        .unwrap();
        assert_eq!(mode(&key), 0o600);
        write(&key, b"k2").unwrap();
        assert_eq!(mode(&key), 0o600, "replacing a file keeps its mode");
    }

    #[test]
    fn writes_under_a_directory_stay_under_it() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("bundle");
        write_under(&inner, "sbom/app.cdx.json", b"{}").unwrap();
        for bad in [
            "../escaped",
            "sbom/../../escaped",
            "/tmp/escaped",
            "a\\..\\b",
        ] {
            let err = write_under(&inner, bad, b"x").unwrap_err();
            assert!(
                err.source.to_string().contains("not a path under"),
                "{err:?}"
            );
        }
        assert!(!dir.path().join("escaped").exists());
    }

    #[test]
    fn a_directory_is_not_a_file_path() {
        assert!(write(Path::new("/"), b"x").is_err());
    }
}
