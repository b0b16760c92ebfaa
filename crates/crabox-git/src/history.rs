//! History for release notes: tags peeled to commits, the commits of a range, and the files of a
//! commit read from git objects (no checkout).

use std::collections::HashSet;

use gix::ObjectId;
use gix::bstr::ByteSlice;

use crate::{GitError, Repo};

/// A tag, peeled to its commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The short name (`v1.2.0`).
    pub name: String,
    /// The commit's full hex id.
    pub commit: String,
    /// Unix seconds: the tagger's time for an annotated tag, else the commit's time.
    pub time: i64,
}

/// One commit of a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: String,
    /// The whole message (subject, body, trailers).
    pub message: String,
    pub author: String,
    pub email: String,
    /// Unix seconds of the author date.
    pub time: i64,
    /// How many parents: 2 or more is a merge.
    pub parents: usize,
}

/// A file of a commit's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// `/`-separated path from the repository root.
    pub path: String,
    pub bytes: Vec<u8>,
}

fn read_err(
    repo: &Repo,
    what: &'static str,
) -> impl Fn(Box<dyn std::error::Error + Send + Sync>) -> GitError {
    let path = repo.root();
    move |source| GitError::Read {
        path: path.clone(),
        what,
        source,
    }
}

impl Repo {
    /// Whether this is a shallow clone: its history stops before the first commit.
    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow().unwrap_or(false)
    }

    /// The commit `rev` names (a tag, branch, id or any revision `git rev-parse` takes), peeled
    /// through annotated tags; its full hex id.
    pub fn resolve(&self, rev: &str) -> Result<String, GitError> {
        let err = read_err(self, "a revision");
        let id = self
            .repo
            .rev_parse_single(rev)
            .map_err(|e| err(Box::new(e)))?;
        let commit = id
            .object()
            .map_err(|e| err(Box::new(e)))?
            .peel_to_commit()
            .map_err(|e| err(Box::new(e)))?;
        Ok(commit.id.to_string())
    }

    /// The committer time of commit `id` (Unix seconds).
    pub fn commit_time(&self, id: &str) -> Result<i64, GitError> {
        let err = read_err(self, "a commit's time");
        let oid = ObjectId::from_hex(id.as_bytes()).map_err(|e| err(Box::new(e)))?;
        let commit = self.repo.find_commit(oid).map_err(|e| err(Box::new(e)))?;
        Ok(commit.time().map_err(|e| err(Box::new(e)))?.seconds)
    }

    /// Every tag, peeled to a commit (tags of trees or blobs are left out), sorted by name.
    pub fn tags(&self) -> Result<Vec<Tag>, GitError> {
        let err = read_err(self, "tags");
        let platform = self.repo.references().map_err(|e| err(Box::new(e)))?;
        let mut tags = Vec::new();
        for reference in platform.tags().map_err(|e| err(Box::new(e)))? {
            let mut reference = reference.map_err(|e| err(Box::new(e)))?;
            let name = reference.name().shorten().to_string();
            let tagger_time = reference
                .target()
                .try_id()
                .and_then(|id| self.repo.find_object(id).ok())
                .filter(|o| o.kind == gix::object::Kind::Tag)
                .and_then(|o| {
                    o.into_tag()
                        .tagger()
                        .ok()
                        .flatten()
                        .and_then(|t| t.time().ok())
                })
                .map(|t| t.seconds);
            let Ok(commit) = reference.peel_to_commit() else {
                continue;
            };
            let time = match tagger_time {
                Some(time) => time,
                None => commit.time().map_err(|e| err(Box::new(e)))?.seconds,
            };
            tags.push(Tag {
                name,
                commit: commit.id.to_string(),
                time,
            });
        }
        tags.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(tags)
    }

    /// The ids of every commit reachable from `tip` (itself included).
    pub fn ancestors(&self, tip: &str) -> Result<HashSet<String>, GitError> {
        let err = read_err(self, "the history");
        let tip = ObjectId::from_hex(tip.as_bytes()).map_err(|e| err(Box::new(e)))?;
        let walk = self
            .repo
            .rev_walk([tip])
            .all()
            .map_err(|e| err(Box::new(e)))?;
        let mut out = HashSet::new();
        for info in walk {
            out.insert(info.map_err(|e| err(Box::new(e)))?.id.to_string());
        }
        Ok(out)
    }

    /// The commits reachable from `to` and not from `from`, newest first (by commit time).
    pub fn commits(&self, to: &str, from: Option<&str>) -> Result<Vec<CommitInfo>, GitError> {
        let err = read_err(self, "the commits of the range");
        let hex = |id: &str| ObjectId::from_hex(id.as_bytes()).map_err(|e| err(Box::new(e)));
        let mut walk =
            self.repo
                .rev_walk([hex(to)?])
                .sorting(gix::revision::walk::Sorting::ByCommitTime(
                    gix::traverse::commit::simple::CommitTimeOrder::NewestFirst,
                ));
        if let Some(from) = from {
            walk = walk.with_hidden([hex(from)?]);
        }
        let mut out = Vec::new();
        for info in walk.all().map_err(|e| err(Box::new(e)))? {
            let info = info.map_err(|e| err(Box::new(e)))?;
            let parents = info.parent_ids.len();
            let commit = info.object().map_err(|e| err(Box::new(e)))?;
            let message = commit.message_raw_sloppy().to_str_lossy().into_owned();
            let author = commit.author().map_err(|e| err(Box::new(e)))?;
            out.push(CommitInfo {
                id: info.id.to_string(),
                message,
                author: author.name.to_str_lossy().into_owned(),
                email: author.email.to_str_lossy().into_owned(),
                time: author.time().map(|t| t.seconds).unwrap_or_default(),
                parents,
            });
        }
        Ok(out)
    }

    /// The files of commit `id` whose file name `wanted` accepts, read from git objects.
    pub fn files_at(&self, id: &str, wanted: impl Fn(&str) -> bool) -> Result<Vec<File>, GitError> {
        let err = read_err(self, "a commit's files");
        let oid = ObjectId::from_hex(id.as_bytes()).map_err(|e| err(Box::new(e)))?;
        let tree = self
            .repo
            .find_commit(oid)
            .map_err(|e| err(Box::new(e)))?
            .tree()
            .map_err(|e| err(Box::new(e)))?;
        let mut recorder = gix::traverse::tree::Recorder::default();
        tree.traverse()
            .breadthfirst(&mut recorder)
            .map_err(|e| err(Box::new(e)))?;
        let mut files = Vec::new();
        for entry in recorder.records {
            if !entry.mode.is_blob() {
                continue;
            }
            let path = entry.filepath.to_str_lossy().into_owned();
            let name = path.rsplit('/').next().unwrap_or(&path);
            if !wanted(name) {
                continue;
            }
            let blob = self
                .repo
                .find_object(entry.oid)
                .map_err(|e| err(Box::new(e)))?;
            files.push(File {
                path,
                bytes: blob.data.clone(),
            });
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }
}
