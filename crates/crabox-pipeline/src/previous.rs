//! The release range: the commit a release is made from, and the previous release (the highest
//! release tag reachable from it and not on it) or `--from`. Found once per run and shared by
//! the notes (the range of commits and the security comparison) and the gate (its baseline).

use crabox_git::history::Tag;
use crabox_notes::range::{self, TagPattern};
use crabox_sbom::Inventory;

use crate::{Error, Reason, Run, Step};

/// Where a range ends and where it starts.
#[derive(Debug, Clone)]
pub struct Range {
    /// The last commit (`--to`, else HEAD).
    pub to: String,
    /// The release tag on `to`, when there is one.
    pub tag: Option<Tag>,
    /// The first commit left out (`--from`, else the previous release), with the name shown.
    pub from: Option<(String, String)>,
    /// Whether `from` is the previous release tag (not a `--from` revision).
    pub from_is_previous_release: bool,
    /// Why no previous release was found although tags exist.
    pub tag_hint: Option<String>,
}

/// The tag pattern of `[notes] tag-pattern`.
pub fn pattern(run: &Run<'_>) -> Result<TagPattern, Error> {
    TagPattern::new(&run.settings().notes.tag_pattern).map_err(|e| Error::TagPattern {
        message: e.to_string(),
    })
}

/// The previous release: the highest release tag reachable from `to` and not on it. The history
/// is walked only when some release tag could be the one.
pub fn previous_release(
    repo: &crabox_git::Repo,
    tags: &[Tag],
    pattern: &TagPattern,
    to: &str,
) -> anyhow::Result<Option<Tag>> {
    let candidates = tags
        .iter()
        .any(|t| t.commit != to && pattern.matches(&t.name));
    if !candidates {
        return Ok(None);
    }
    let ancestors = repo.ancestors(to)?;
    Ok(range::previous(tags, pattern, |c| ancestors.contains(c), to).cloned())
}

/// The range ending at `to` (HEAD) and starting at `from` (the previous release). A shallow
/// clone without `--from` cannot tell the previous release: the step does not run.
pub fn range(
    run: &Run<'_>,
    repo: &crabox_git::Repo,
    from: Option<&str>,
    to: Option<&str>,
) -> anyhow::Result<Step<Range>> {
    let pattern = pattern(run)?;
    let resolve = |flag: &'static str, rev: &str| {
        repo.resolve(rev).map_err(|e| Error::Revision {
            flag,
            rev: rev.to_owned(),
            why: std::error::Error::source(&e).map(ToString::to_string),
        })
    };
    let to = resolve("--to", to.unwrap_or("HEAD"))?;
    let tags = repo.tags()?;
    let tag = range::release_at(&tags, &pattern, &to).cloned();
    let (from, from_is_previous_release) = match from {
        Some(rev) => {
            let commit = resolve("--from", rev)?;
            let name = range::release_at(&tags, &pattern, &commit)
                .map_or_else(|| rev.to_owned(), |t| t.name.clone());
            (Some((commit, name)), false)
        }
        None => {
            if repo.is_shallow() {
                return Ok(Step::NotRun(Reason::ShallowClone));
            }
            let previous = previous_release(repo, &tags, &pattern, &to)?;
            (previous.map(|t| (t.commit, t.name)), true)
        }
    };
    let tag_hint = if from.is_none() {
        let others: Vec<&str> = tags
            .iter()
            .filter(|t| t.commit != to && !pattern.matches(&t.name))
            .map(|t| t.name.as_str())
            .collect();
        others.first().map(|first| {
            let hint = format!(
                "{} tag(s) exist (`{first}`{}) but none matches `[notes] tag-pattern = \"{}\"`; for bare SemVer tags such as `1.2.0` set `tag-pattern = \"[0-9]*\"`, or name the range with --from",
                others.len(),
                if others.len() > 1 { ", …" } else { "" },
                run.settings().notes.tag_pattern
            );
            tracing::warn!("notes: no previous release tag: {hint}");
            hint
        })
    } else {
        None
    };
    Ok(Step::Ran(Range {
        to,
        tag,
        from,
        from_is_previous_release,
        tag_hint,
    }))
}

/// The lockfiles at both ends of a range, read from git objects.
#[derive(Debug, Clone, Default)]
pub struct Ends {
    /// At the start (empty without one).
    pub before: Inventory,
    /// At `to`.
    pub after: Inventory,
}

/// Reads the lockfiles at both ends of `range`.
pub fn ends(run: &Run<'_>, repo: &crabox_git::Repo, range: &Range) -> anyhow::Result<Ends> {
    let after = crate::inventory::at_commit(run, repo, &range.to)?;
    let before = match &range.from {
        Some((commit, _)) => crate::inventory::at_commit(run, repo, commit)?,
        None => Inventory::default(),
    };
    Ok(Ends { before, after })
}
