//! Facts about the git repository crabox runs in, read with gix: its root, HEAD commit and
//! time, and its remote. Read-only: crabox never writes to a repository.

use std::path::{Path, PathBuf};

mod error;
pub mod history;
pub mod mirror;

pub use error::GitError;

/// A commit: its full hex id and committer time (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub id: String,
    pub time: i64,
}

/// An open repository.
pub struct Repo {
    repo: gix::Repository,
}

impl Repo {
    /// The repository containing `dir`, or `None` when `dir` is not inside one.
    pub fn discover(dir: &Path) -> Result<Option<Repo>, GitError> {
        // Only a directory with `.git` above it is a repository for crabox; this also keeps gix
        // from reading GIT_DIR and friends from the environment.
        if !dir.ancestors().any(|d| d.join(".git").exists()) {
            return Ok(None);
        }
        gix::discover(dir)
            .map(|repo| Some(Repo { repo }))
            .map_err(|source| GitError::Open {
                path: dir.to_owned(),
                source: Box::new(source),
            })
    }

    /// The work tree root (the git directory for a bare repository).
    pub fn root(&self) -> PathBuf {
        self.repo
            .workdir()
            .unwrap_or_else(|| self.repo.git_dir())
            .to_path_buf()
    }

    fn read_error(
        &self,
        what: &'static str,
    ) -> impl FnOnce(Box<dyn std::error::Error + Send + Sync>) -> GitError {
        let path = self.root();
        move |source| GitError::Read { path, what, source }
    }

    /// The commit HEAD points at; `None` in a repository without commits.
    pub fn head_commit(&self) -> Result<Option<Commit>, GitError> {
        let mut head = self
            .repo
            .head()
            .map_err(|e| self.read_error("HEAD")(Box::new(e)))?;
        let Some(id) = head
            .try_peel_to_id()
            .map_err(|e| self.read_error("HEAD")(Box::new(e)))?
        else {
            return Ok(None);
        };
        let commit = id
            .object()
            .map_err(|e| self.read_error("HEAD")(Box::new(e)))?
            .into_commit();
        let time = commit
            .time()
            .map_err(|e| self.read_error("HEAD commit time")(Box::new(e)))?;
        Ok(Some(Commit {
            id: id.to_string(),
            time: time.seconds,
        }))
    }

    /// Whether tracked files differ from HEAD, in the index or the working tree (submodules as
    /// configured; untracked files do not count, as with `git describe --dirty`).
    pub fn is_dirty(&self) -> Result<bool, GitError> {
        self.repo
            .is_dirty()
            .map_err(|e| self.read_error("the working tree's status")(Box::new(e)))
    }

    /// The short name of the branch HEAD is on (`main`), also before the first commit; `None` when
    /// HEAD is detached.
    pub fn head_branch(&self) -> Option<String> {
        let name = self.repo.head_name().ok()??;
        Some(name.shorten().to_string())
    }

    /// The fetch URL of the default remote (usually `origin`), without any credentials.
    pub fn remote_url(&self) -> Option<String> {
        let remote = self
            .repo
            .find_default_remote(gix::remote::Direction::Fetch)?
            .ok()?;
        let mut url = remote.url(gix::remote::Direction::Fetch)?.clone();
        // A user name in an http(s) URL is often a token; an ssh user (`git@`) is not a secret.
        if matches!(url.scheme, gix::url::Scheme::Http | gix::url::Scheme::Https) {
            url.set_user(None);
        }
        url.set_password(None);
        Some(url.to_bstring().to_string())
    }
}

/// `owner/name` of a GitHub remote URL (https, ssh or scp-like), if it is one.
pub fn github_slug(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://github.com/")
        .or_else(|| url.strip_prefix("http://github.com/"))
        .or_else(|| url.strip_prefix("ssh://git@github.com/"))
        .or_else(|| url.strip_prefix("git@github.com:"))
        .or_else(|| url.strip_prefix("git://github.com/"))?;
    let rest = rest.trim_end_matches('/');
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    let mut parts = rest.split('/');
    let (owner, name) = (parts.next()?, parts.next()?);
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    (parts.next().is_none() && valid(owner) && valid(name)).then(|| format!("{owner}/{name}"))
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_DATE", "1700000000 +0000")
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?}");
    }

    #[test]
    fn reads_root_head_and_remote() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Repo::discover(dir.path()).unwrap().is_none());
        git(dir.path(), &["init", "-q", "-b", "main"]);
        let repo = Repo::discover(dir.path()).unwrap().unwrap();
        assert_eq!(repo.head_commit().unwrap(), None, "no commits yet");
        assert_eq!(repo.head_branch().as_deref(), Some("main"));
        assert_eq!(repo.remote_url(), None);
        git(
            dir.path(),
            &[
                "remote",
                "add",
                "origin",
                "https://user:secret@github.com/acme/gateway.git",
            ],
        );
        git(dir.path(), &["commit", "-q", "--allow-empty", "-m", "init"]);
        let sub = dir.path().join("src");
        std::fs::create_dir(&sub).unwrap();
        let repo = Repo::discover(&sub).unwrap().unwrap();
        assert_eq!(
            repo.root().canonicalize().unwrap(),
            dir.path().canonicalize().unwrap()
        );
        let head = repo.head_commit().unwrap().unwrap();
        assert_eq!((head.id.len(), head.time), (40, 1_700_000_000));
        let url = repo.remote_url().unwrap();
        assert_eq!(url, "https://github.com/acme/gateway.git");
        assert_eq!(github_slug(&url).as_deref(), Some("acme/gateway"));
        git(
            dir.path(),
            &["remote", "set-url", "origin", "git@github.com:acme/gw.git"],
        );
        let repo = Repo::discover(&sub).unwrap().unwrap();
        assert_eq!(
            repo.remote_url().as_deref(),
            Some("git@github.com:acme/gw.git")
        );
    }

    #[test]
    fn github_slugs() {
        for (url, slug) in [
            ("git@github.com:acme/gw.git", Some("acme/gw")),
            ("ssh://git@github.com/acme/gw", Some("acme/gw")),
            ("https://github.com/acme/gw/", Some("acme/gw")),
            ("https://gitlab.com/acme/gw.git", None),
            ("https://github.com/acme", None),
            ("https://github.com/acme/gw/extra", None),
        ] {
            assert_eq!(github_slug(url).as_deref(), slug, "{url}");
        }
    }
}
