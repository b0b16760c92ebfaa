//! A shallow mirror of a remote repository's default branch, for data kept in git (the RustSec
//! advisory database): cloned with depth 1 the first time, fetched with depth 1 afterwards, and
//! exported as plain files at one commit.

use std::num::NonZeroU32;
use std::path::{Component, Path};
use std::sync::atomic::AtomicBool;

use gix::remote::Direction;
use gix::remote::fetch::Shallow;

use crate::GitError;

/// The commit a fetch brought: its id and commit time (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub commit: String,
    pub time: i64,
}

fn err(context: &str, e: impl std::fmt::Display) -> GitError {
    GitError::Mirror(format!("{context}: {e}"))
}

fn depth_one() -> Shallow {
    Shallow::DepthAtRemote(NonZeroU32::MIN)
}

/// Clones (bare, depth 1) `url` into `repo_dir`, or fetches into it when it is already a clone,
/// and returns the commit the remote's `HEAD` points at.
pub fn fetch(url: &str, repo_dir: &Path) -> Result<Fetched, GitError> {
    let interrupt = AtomicBool::new(false);
    let (repo, outcome) = if repo_dir.join("HEAD").is_file() {
        let repo = gix::open(repo_dir).map_err(|e| err("could not open the mirror", e))?;
        // The remote's HEAD is all that is followed.
        let remote = repo
            .remote_at(url)
            .map_err(|e| err(&format!("not a git URL: {url}"), e))?
            .with_refspecs(Some("+HEAD:refs/remotes/origin/HEAD"), Direction::Fetch)
            .map_err(|e| err("bad refspec", e))?;
        let outcome = remote
            .connect(Direction::Fetch)
            .map_err(|e| err(&format!("could not connect to {url}"), e))?
            .prepare_fetch(
                gix::progress::Discard,
                gix::remote::ref_map::Options::default(),
            )
            .map_err(|e| err(&format!("could not list the refs of {url}"), e))?
            .with_shallow(depth_one())
            .receive(gix::progress::Discard, &interrupt)
            .map_err(|e| err(&format!("could not fetch {url}"), e))?;
        (repo, outcome)
    } else {
        fs_err::create_dir_all(repo_dir).map_err(|e| err("could not create the mirror", e))?;
        let mut prepare = gix::prepare_clone_bare(url, repo_dir)
            .map_err(|e| err(&format!("could not clone {url}"), e))?
            .with_shallow(depth_one());
        prepare
            .fetch_only(gix::progress::Discard, &interrupt)
            .map_err(|e| err(&format!("could not clone {url}"), e))?
    };
    let head = outcome
        .ref_map
        .remote_refs
        .iter()
        .map(gix::protocol::handshake::Ref::unpack)
        .find(|(name, _, _)| *name == "HEAD")
        .and_then(|(_, target, peeled)| peeled.or(target).map(ToOwned::to_owned))
        .ok_or_else(|| GitError::Mirror(format!("{url} has no HEAD to follow")))?;
    let commit = repo
        .find_commit(head)
        .map_err(|e| err("the fetched HEAD is not a commit", e))?;
    let time = commit
        .time()
        .map_err(|e| err("the fetched commit has no readable time", e))?
        .seconds;
    Ok(Fetched {
        commit: head.to_string(),
        time,
    })
}

/// Writes the files of `commit` in the mirror at `repo_dir` under `dest` (which must not
/// exist), keeping only paths for which `keep` says yes. Entry names that would leave `dest`
/// are refused.
pub fn export(
    repo_dir: &Path,
    commit: &str,
    dest: &Path,
    keep: impl Fn(&str) -> bool,
) -> Result<usize, GitError> {
    let repo = gix::open(repo_dir).map_err(|e| err("could not open the mirror", e))?;
    let id = gix::ObjectId::from_hex(commit.as_bytes()).map_err(|e| err("bad commit id", e))?;
    let tree = repo
        .find_commit(id)
        .map_err(|e| err("commit not in the mirror", e))?
        .tree()
        .map_err(|e| err("commit without a tree", e))?;
    let mut recorder = gix::traverse::tree::Recorder::default();
    tree.traverse()
        .breadthfirst(&mut recorder)
        .map_err(|e| err("could not read the tree", e))?;
    fs_err::create_dir(dest)
        .map_err(|e| err(&format!("could not create {}", dest.display()), e))?;
    let mut written = 0;
    for entry in recorder.records {
        if !entry.mode.is_blob() {
            continue;
        }
        let path = entry.filepath.to_string();
        if !keep(&path) {
            continue;
        }
        let relative = Path::new(&path);
        if !relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
        {
            return Err(GitError::Mirror(format!("refused the tree entry `{path}`")));
        }
        let target = dest.join(relative);
        if let Some(parent) = target.parent() {
            fs_err::create_dir_all(parent).map_err(|e| err("could not create a directory", e))?;
        }
        let blob = repo
            .find_object(entry.oid)
            .map_err(|e| err(&format!("missing object for `{path}`"), e))?;
        fs_err::write(&target, &blob.data)
            .map_err(|e| err(&format!("could not write `{path}`"), e))?;
        written += 1;
    }
    Ok(written)
}
