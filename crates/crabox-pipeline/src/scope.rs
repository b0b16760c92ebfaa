//! One scope for every command. `-C DIR` is the repository (git, workflows, SECURITY.md,
//! configuration); `--path` narrows which lockfiles are read. Without `-C`, the repository is the
//! one that contains `--path` (found upward from it, as git does); a `--path` in no repository is
//! scanned as a plain directory. With `-C`, a `--path` outside it is an error naming both.

use std::path::{Path, PathBuf};

use crate::Error;

/// Where a command works.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The working directory (`-C` applied): paths on the command line are relative to it, and
    /// paths are shown relative to it.
    pub dir: PathBuf,
    /// The repository's work tree, or the plain directory scanned outside git.
    pub root: PathBuf,
    /// Whether `root` is a git repository.
    pub git: bool,
    /// The directory whose lockfiles are read: `--path`, else `root`.
    pub scan: PathBuf,
    /// Where `crabox.toml` is looked for (upward to the repository root).
    pub config_dir: PathBuf,
}

/// A path with `.` and `..` taken out and symbolic links resolved where the path exists.
fn normal(path: &Path) -> PathBuf {
    fs_err::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}

impl Scope {
    /// The scope of `dir` (the working directory after `-C`; `directory_given` when `-C` was
    /// given) and `--path`, with the repository handle when there is one.
    pub fn resolve(
        dir: &Path,
        directory_given: bool,
        path: Option<&Path>,
    ) -> anyhow::Result<(Scope, Option<crabox_git::Repo>)> {
        let scan = path.map(|p| dir.join(p));
        if let Some(scan) = &scan
            && !scan.exists()
        {
            return Err(Error::PathMissing {
                path: path.unwrap_or(scan).to_owned(),
            }
            .into());
        }
        let from = match &scan {
            Some(scan) if !directory_given => scan.clone(),
            _ => dir.to_owned(),
        };
        let start = if from.is_dir() {
            from.clone()
        } else {
            from.parent()
                .map_or_else(|| from.clone(), Path::to_path_buf)
        };
        let repo = crabox_git::Repo::discover(&start)?;
        // Outside git the working directory is the root when it holds the path (as before
        // `--path` could leave it), else the path's own directory.
        let root = match &repo {
            Some(repo) => repo.root(),
            None if normal(&start).starts_with(normal(dir)) => dir.to_owned(),
            None => start.clone(),
        };
        if let Some(scan) = &scan
            && !normal(scan).starts_with(normal(&root))
        {
            return Err(Error::PathOutside {
                path: path.unwrap_or(scan).to_owned(),
                root: root.clone(),
            }
            .into());
        }
        // The configuration of the repository worked in: from the working directory when it is
        // inside, else from the repository's root.
        let config_dir = if directory_given || normal(dir).starts_with(normal(&root)) {
            dir.to_owned()
        } else {
            root.clone()
        };
        let scope = Scope {
            dir: dir.to_owned(),
            git: repo.is_some(),
            scan: scan.unwrap_or_else(|| root.clone()),
            root,
            config_dir,
        };
        Ok((scope, repo))
    }

    /// A scope for commands without `--path`: the repository around `dir`.
    pub fn of_directory(dir: &Path) -> anyhow::Result<(Scope, Option<crabox_git::Repo>)> {
        Scope::resolve(dir, true, None)
    }

    /// A fresh handle on the repository (the handle is not `Sync`: a thread opens its own).
    pub fn open_repo(&self) -> anyhow::Result<Option<crabox_git::Repo>> {
        if !self.git {
            return Ok(None);
        }
        Ok(crabox_git::Repo::discover(&self.root)?)
    }

    /// The scanned directory relative to the repository root (`None`: the whole repository),
    /// for reading the lockfiles of a commit from git objects.
    pub fn relative_scan(&self) -> Option<PathBuf> {
        let relative = normal(&self.scan)
            .strip_prefix(normal(&self.root))
            .ok()?
            .to_owned();
        (!relative.as_os_str().is_empty()).then_some(relative)
    }

    /// A path as the user would like to read it: relative to the working directory when inside.
    pub fn show(&self, path: &Path) -> String {
        path.strip_prefix(&self.dir)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git_init(dir: &Path) {
        fs_err::create_dir_all(dir.join(".git")).unwrap();
        let status = std::process::Command::new("git")
            .args(["init", "-q"])
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .status()
            .unwrap();
        assert!(status.success());
    }

    #[test]
    fn without_c_the_repository_is_the_one_holding_the_path() {
        let temp = tempfile::tempdir().unwrap();
        let (a, b) = (temp.path().join("a"), temp.path().join("b"));
        fs_err::create_dir_all(a.join("sub")).unwrap();
        fs_err::create_dir_all(&b).unwrap();
        git_init(&a);
        git_init(&b);
        let (scope, repo) = Scope::resolve(&b, false, Some(Path::new("../a/sub"))).unwrap();
        assert!(repo.is_some());
        assert_eq!(normal(&scope.root), normal(&a));
        assert_eq!(scope.relative_scan(), Some(PathBuf::from("sub")));
        assert_eq!(normal(&scope.config_dir), normal(&a));
        // With -C, the same path outside is refused, naming both.
        let Err(err) = Scope::resolve(&b, true, Some(Path::new("../a/sub"))) else {
            panic!("a --path outside -C is refused");
        };
        let message = err.to_string();
        assert!(
            message.contains("../a/sub") && message.contains("-C"),
            "{message}"
        );
        // A path in no repository is a plain directory.
        let plain = temp.path().join("plain");
        fs_err::create_dir_all(&plain).unwrap();
        let (scope, repo) = Scope::resolve(&b, false, Some(&plain)).unwrap();
        assert!(repo.is_none() && !scope.git);
        assert_eq!(scope.root, plain);
    }
}
