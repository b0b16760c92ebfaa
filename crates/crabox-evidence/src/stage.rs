//! Staging and the atomic swap: a bundle is assembled in a temporary directory inside the
//! destination folder (named with the process id), archived to a temporary file, then the
//! directory exchanged with the previous bundle in one `renameat2(RENAME_EXCHANGE)` (Linux;
//! elsewhere two renames, and a run killed between them leaves the previous bundle under
//! `.<name>.previous-<pid>` for the next run to put back) and the archive renamed into place.
//! A run killed at any point leaves a whole bundle; the next run removes what it left.

use std::path::{Path, PathBuf};

use crate::EvidenceError;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EvidenceError + '_ {
    move |source| EvidenceError::Io {
        path: path.to_owned(),
        source,
    }
}

/// A bundle being assembled: its temporary directory, and where it goes.
pub struct Staging {
    temp: tempfile::TempDir,
    out: PathBuf,
    name: String,
    pid: u32,
}

/// Where a finished bundle was put.
#[derive(Debug, Clone)]
pub struct Placed {
    pub directory: PathBuf,
    pub archive: PathBuf,
}

impl Staging {
    /// Cleans up after killed runs for `name` in `out`, then makes the temporary directory.
    pub fn begin(out: &Path, name: &str) -> Result<Staging, EvidenceError> {
        fs_err::create_dir_all(out).map_err(io(out))?;
        recover(out, name)?;
        let pid = std::process::id();
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{name}.tmp-{pid}-"))
            .tempdir_in(out)
            .map_err(io(out))?;
        Ok(Staging {
            temp,
            out: out.to_owned(),
            name: name.to_owned(),
            pid,
        })
    }

    /// The directory the bundle's files are written into.
    pub fn dir(&self) -> &Path {
        self.temp.path()
    }

    /// Archives the finished directory (entries dated `mtime`) to a temporary file, then puts
    /// both in place: the directory replaces the previous bundle only once it is complete.
    pub fn finish(self, mtime: u64) -> Result<Placed, EvidenceError> {
        let Staging {
            temp,
            out,
            name,
            pid,
        } = self;
        let dir = temp.path().to_owned();
        let archive_temp = tempfile::Builder::new()
            .prefix(&format!(".{name}.tmp-{pid}-"))
            .suffix(".tar.gz")
            .tempfile_in(&out)
            .map_err(io(&out))?;
        {
            let mut writer = std::io::BufWriter::new(archive_temp.as_file());
            crate::archive::write(&dir, &name, mtime, &mut writer)?;
            std::io::Write::flush(&mut writer).map_err(io(archive_temp.path()))?;
        }
        // Temporary files and directories are private (0600, 0700); the bundle is not.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            archive_temp
                .as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))
                .map_err(io(archive_temp.path()))?;
            fs_err::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))
                .map_err(io(&dir))?;
        }
        archive_temp
            .as_file()
            .sync_all()
            .map_err(io(archive_temp.path()))?;
        let destination = out.join(&name);
        let archive = out.join(format!("{name}.tar.gz"));
        let temp_path = temp.keep();
        let previous = out.join(format!(".{name}.previous-{pid}"));
        let had_previous = destination.exists();
        if had_previous {
            swap_into_place(&temp_path, &destination, &previous)?;
        } else if let Err(err) = fs_err::rename(&temp_path, &destination) {
            let _ = fs_err::remove_dir_all(&temp_path);
            return Err(io(&destination)(err));
        }
        archive_temp
            .persist(&archive)
            .map_err(|e| io(&archive)(e.error))?;
        if had_previous {
            fs_err::remove_dir_all(&previous).map_err(io(&previous))?;
        }
        Ok(Placed {
            directory: destination,
            archive,
        })
    }
}

/// Puts the finished directory `new` at `destination` and the bundle that was there at
/// `previous`. On Linux one `renameat2(RENAME_EXCHANGE)`: there is no moment without a whole
/// bundle at `destination`. Elsewhere two renames; a run killed between them leaves the previous
/// bundle at `previous`, which the next run puts back.
fn swap_into_place(new: &Path, destination: &Path, previous: &Path) -> Result<(), EvidenceError> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        renameat_with(CWD, new, CWD, destination, RenameFlags::EXCHANGE)
            .map_err(|e| io(destination)(e.into()))?;
        fs_err::rename(new, previous).map_err(io(new))?;
    }
    #[cfg(not(target_os = "linux"))]
    {
        fs_err::rename(destination, previous).map_err(io(destination))?;
        if let Err(err) = fs_err::rename(new, destination) {
            let _ = fs_err::rename(previous, destination);
            let _ = fs_err::remove_dir_all(new);
            return Err(io(destination)(err));
        }
    }
    Ok(())
}

/// Whether the process `pid` is gone (only known where `/proc` exists; elsewhere assumed alive,
/// so nothing of a concurrent run is touched).
fn gone(pid: u32) -> bool {
    cfg!(target_os = "linux") && !Path::new(&format!("/proc/{pid}")).exists()
}

/// Leftovers of runs that were killed: a previous bundle moved aside is put back when the bundle
/// is missing (else removed), and temporary directories and archives are removed.
fn recover(out: &Path, name: &str) -> Result<(), EvidenceError> {
    let destination = out.join(name);
    let prefix = format!(".{name}.");
    for entry in fs_err::read_dir(out).map_err(io(out))? {
        let entry = entry.map_err(io(out))?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file_name.strip_prefix(&prefix) else {
            continue;
        };
        let (previous, pid) = match (rest.strip_prefix("previous-"), rest.strip_prefix("tmp-")) {
            (Some(pid), _) => (true, pid),
            (None, Some(rest)) => (false, rest.split('-').next().unwrap_or_default()),
            (None, None) => continue,
        };
        if !pid.parse().is_ok_and(gone) {
            continue;
        }
        let path = entry.path();
        if previous && !destination.exists() {
            tracing::warn!("putting back the bundle an interrupted run had moved aside");
            fs_err::rename(&path, &destination).map_err(io(&path))?;
        } else if path.is_dir() {
            fs_err::remove_dir_all(&path).map_err(io(&path))?;
        } else {
            fs_err::remove_file(&path).map_err(io(&path))?;
        }
    }
    Ok(())
}
