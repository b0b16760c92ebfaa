//! One commit as the release notes show it: Conventional Commits 1.0 (type, scope, `!`,
//! `BREAKING CHANGE` and other footers) parsed with `git-conventional`, references to issues and
//! pull requests, co-authors, reverts, and the advisory ids a security fix names.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

/// A link to an issue or pull request (`#12`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    /// As written: `#12`.
    pub text: String,
    /// `https://github.com/owner/name/issues/12` when the remote is on GitHub.
    pub url: Option<String>,
}

/// A footer (`Refs: #12`, `Reviewed-by: …`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Footer {
    pub token: String,
    pub value: String,
}

/// One commit of the range. (Its flags are what templates test, one field each.)
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub id: String,
    pub short_id: String,
    /// The commit on the forge, when the remote is on GitHub.
    pub url: Option<String>,
    /// Whether the message follows Conventional Commits.
    pub conventional: bool,
    /// The type (`feat`, `fix`, …), lower-cased; `None` for a free-form message.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub scope: Option<String>,
    /// The description (conventional) or the subject line (free-form).
    pub description: String,
    pub body: Option<String>,
    pub breaking: bool,
    /// What breaks: the `BREAKING CHANGE` footer, or the description for a `!` commit.
    pub breaking_description: Option<String>,
    pub footers: Vec<Footer>,
    pub references: Vec<Reference>,
    pub author: String,
    /// `Co-authored-by` trailers: `Name <email>`, names only in the notes.
    pub co_authors: Vec<String>,
    /// A merge commit (two or more parents).
    pub merge: bool,
    /// A revert: the id of the reverted commit, when the message gives it.
    pub reverts: Option<String>,
    pub revert: bool,
    /// Type `security`, or a message naming a CVE, GHSA or RUSTSEC id.
    pub security: bool,
    /// The advisory ids the message names.
    pub advisories: Vec<String>,
    /// Unix seconds of the author date.
    #[serde(skip)]
    pub time: i64,
}

static ISSUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[\s(\[,;:])#([0-9]+)\b").expect("a valid pattern"));
static ADVISORY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(CVE-[0-9]{4}-[0-9]{4,}|GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}|RUSTSEC-[0-9]{4}-[0-9]{4}|PYSEC-[0-9]{4}-[0-9]+|GO-[0-9]{4}-[0-9]{4})\b",
    )
    .expect("a valid pattern")
});
static REVERTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)this reverts commit ([0-9a-f]{7,40})").expect("a valid pattern")
});

/// Input: what git says about one commit.
#[derive(Debug, Clone)]
pub struct Raw<'a> {
    pub id: &'a str,
    pub message: &'a str,
    pub author: &'a str,
    pub time: i64,
    pub parents: usize,
}

/// The commit as the notes show it. `github` is `owner/name` of a GitHub remote.
pub fn parse(raw: &Raw<'_>, github: Option<&str>) -> Entry {
    let message = raw.message.trim_end();
    let subject = message.lines().next().unwrap_or_default().trim().to_owned();
    let mut entry = Entry {
        id: raw.id.to_owned(),
        short_id: raw.id.chars().take(7).collect(),
        url: github.map(|slug| format!("https://github.com/{slug}/commit/{}", raw.id)),
        conventional: false,
        kind: None,
        scope: None,
        description: subject.clone(),
        body: None,
        breaking: false,
        breaking_description: None,
        footers: Vec::new(),
        references: Vec::new(),
        author: raw.author.to_owned(),
        co_authors: Vec::new(),
        merge: raw.parents > 1,
        reverts: None,
        revert: false,
        security: false,
        advisories: Vec::new(),
        time: raw.time,
    };
    if let Ok(commit) = git_conventional::Commit::parse(message) {
        entry.conventional = true;
        entry.kind = Some(commit.type_().as_str().to_ascii_lowercase());
        entry.scope = commit.scope().map(|s| s.as_str().to_owned());
        commit.description().clone_into(&mut entry.description);
        entry.body = commit
            .body()
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(str::to_owned);
        entry.breaking = commit.breaking();
        entry.breaking_description = commit
            .breaking_description()
            .filter(|_| commit.breaking())
            .map(str::to_owned);
        entry.footers = commit
            .footers()
            .iter()
            .map(|f| Footer {
                token: f.token().as_str().to_owned(),
                value: f.value().trim().to_owned(),
            })
            .collect();
    } else {
        let body = message
            .split_once('\n')
            .map(|(_, rest)| rest.trim())
            .filter(|b| !b.is_empty());
        entry.body = body.map(str::to_owned);
    }
    // Reverts: git's own message (`Revert "…"` / "This reverts commit …") or a `revert:` type.
    entry.revert = entry.kind.as_deref() == Some("revert")
        || (!entry.conventional && subject.starts_with("Revert \""));
    if entry.revert {
        entry.reverts = REVERTED
            .captures(message)
            .map(|c| c[1].to_ascii_lowercase())
            .or_else(|| {
                entry
                    .footers
                    .iter()
                    .find(|f| f.token.eq_ignore_ascii_case("refs"))
                    .map(|f| f.value.to_ascii_lowercase())
                    .filter(|v| v.len() >= 7 && v.bytes().all(|b| b.is_ascii_hexdigit()))
            });
    }
    for line in message.lines() {
        let line = line.trim();
        if line.len() > 15 && line[..15].eq_ignore_ascii_case("co-authored-by:") {
            let who = line[15..].trim();
            if !who.is_empty() && !entry.co_authors.iter().any(|c| c == who) {
                entry.co_authors.push(who.to_owned());
            }
        }
    }
    let mut seen = Vec::new();
    for capture in ISSUE.captures_iter(message) {
        let number = &capture[1];
        if seen.iter().any(|n| n == number) {
            continue;
        }
        seen.push(number.to_owned());
        entry.references.push(Reference {
            text: format!("#{number}"),
            url: github.map(|slug| format!("https://github.com/{slug}/issues/{number}")),
        });
    }
    for capture in ADVISORY.captures_iter(message) {
        let id = capture[1].to_owned();
        if !entry.advisories.contains(&id) {
            entry.advisories.push(id);
        }
    }
    entry.security = entry.kind.as_deref() == Some("security") || !entry.advisories.is_empty();
    entry
}

/// The name part of a `Name <email>` co-author.
pub fn person_name(who: &str) -> &str {
    who.split_once('<').map_or(who, |(name, _)| name).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(message: &str) -> Entry {
        parse(
            &Raw {
                id: "0123456789abcdef0123456789abcdef01234567",
                message,
                author: "Ada",
                time: 0,
                parents: 1,
            },
            Some("acme/app"),
        )
    }

    #[test]
    fn conventional_commits_with_scope_bang_and_footers() {
        let e = entry(
            "feat(api)!: remove the v1 endpoints\n\nThey were deprecated.\n\nBREAKING CHANGE: clients must use /v2\nCloses: #12\nCo-authored-by: Grace Hopper <grace@example.com>\n",
        );
        assert!(e.conventional);
        assert_eq!(e.kind.as_deref(), Some("feat"));
        assert_eq!(e.scope.as_deref(), Some("api"));
        assert_eq!(e.description, "remove the v1 endpoints");
        assert_eq!(e.body.as_deref(), Some("They were deprecated."));
        assert!(e.breaking);
        assert_eq!(
            e.breaking_description.as_deref(),
            Some("clients must use /v2")
        );
        assert_eq!(e.co_authors, ["Grace Hopper <grace@example.com>"]);
        assert_eq!(person_name(&e.co_authors[0]), "Grace Hopper");
        assert_eq!(
            e.references,
            [Reference {
                text: "#12".into(),
                url: Some("https://github.com/acme/app/issues/12".into())
            }]
        );
        assert_eq!(e.short_id, "0123456");
        let bang = entry("fix!: drop TLS 1.0");
        assert!(bang.breaking);
        assert_eq!(bang.breaking_description.as_deref(), Some("drop TLS 1.0"));
        assert!(!entry("fix: a typo").breaking);
    }

    #[test]
    fn free_form_messages_reverts_and_security_references() {
        let e = entry("Update the README (#7)\n\nMore words.");
        assert!(!e.conventional);
        assert_eq!(e.kind, None);
        assert_eq!(e.description, "Update the README (#7)");
        assert_eq!(e.references[0].text, "#7");
        assert!(!e.security);
        let revert = entry(
            "Revert \"feat: add X\"\n\nThis reverts commit 89abcdef0123456789abcdef0123456789abcdef.",
        );
        assert!(revert.revert);
        assert_eq!(
            revert.reverts.as_deref(),
            Some("89abcdef0123456789abcdef0123456789abcdef")
        );
        let typed = entry("revert: feat: add X\n\nRefs: 89abcdef");
        assert!(typed.revert);
        assert_eq!(typed.reverts.as_deref(), Some("89abcdef"));
        let security =
            entry("fix(deps): bump foo to 1.2.0 for RUSTSEC-2099-0001 and CVE-2099-0001");
        assert!(security.security);
        assert_eq!(security.advisories, ["RUSTSEC-2099-0001", "CVE-2099-0001"]);
        assert!(entry("security: tighten the cookie flags").security);
        assert!(entry("fix: handle GHSA-jfh8-c2jp-5v3q").security);
        // Not an issue number: a colour, an anchor.
        assert!(entry("style: use #fff").references.is_empty());
        assert!(entry("docs: see README#install").references.is_empty());
    }
}
