//! The release range: which tags are releases (`[notes] tag-pattern`, a glob or, starting with
//! `^`, a regular expression), the release tag at the end of the range, and the previous
//! release: the highest version among the release tags reachable from the end.

use std::cmp::Ordering;

use crabox_git::history::Tag;
use regex::Regex;

use crate::NotesError;

/// Which tag names are releases.
#[derive(Debug, Clone)]
pub struct TagPattern(Regex);

impl TagPattern {
    /// A glob (`v*`, `release-?.*`, `v[0-9]*`: `*`, `?` and character classes `[…]`, negated
    /// with `[!…]`) or, when the pattern starts with `^`, a regular expression.
    pub fn new(pattern: &str) -> Result<TagPattern, NotesError> {
        let source = if pattern.starts_with('^') {
            pattern.to_owned()
        } else {
            let mut re = String::from("^");
            let chars: Vec<char> = pattern.chars().collect();
            let mut i = 0;
            while i < chars.len() {
                match chars[i] {
                    '*' => re.push_str(".*"),
                    '?' => re.push('.'),
                    '[' => match class(&chars[i + 1..]) {
                        Some((class, used)) => {
                            re.push_str(&class);
                            i += used;
                        }
                        None => re.push_str(r"\["),
                    },
                    c => re.push_str(&regex::escape(&c.to_string())),
                }
                i += 1;
            }
            re.push('$');
            re
        };
        Regex::new(&source)
            .map(TagPattern)
            .map_err(|e| NotesError::TagPattern {
                pattern: pattern.to_owned(),
                message: e.to_string(),
            })
    }

    pub fn matches(&self, name: &str) -> bool {
        self.0.is_match(name)
    }
}

/// The regular-expression class of a glob's `[…]` whose text (after the `[`) starts `rest`, and
/// how many characters it took (the `]` included); `None` when it is not closed.
fn class(rest: &[char]) -> Option<(String, usize)> {
    let mut out = String::from("[");
    let mut i = 0;
    if matches!(rest.first(), Some('!' | '^')) {
        out.push('^');
        i += 1;
    }
    let start = i;
    while i < rest.len() {
        let c = rest[i];
        if c == ']' && i > start {
            out.push(']');
            return Some((out, i + 1));
        }
        if c == '-' && i > start && rest.get(i + 1).is_some_and(|n| *n != ']') {
            out.push('-');
        } else {
            out.push_str(&regex::escape(&c.to_string()));
        }
        i += 1;
    }
    None
}

/// The version a tag names: what follows the last non-digit prefix (`v1.2.0`, `app-1.2`,
/// `release/1.2.0-rc.1`), with missing minor or patch numbers read as 0.
pub fn tag_version(name: &str) -> Option<semver::Version> {
    let start = name.find(|c: char| c.is_ascii_digit())?;
    let text = &name[start..];
    if let Ok(version) = semver::Version::parse(text) {
        return Some(version);
    }
    // `1.2` or `1` (with an optional pre-release or build after them).
    let split = text.find(['-', '+']).unwrap_or(text.len());
    let (core, rest) = text.split_at(split);
    let parts = core.split('.').count();
    if !(1..=2).contains(&parts) {
        return None;
    }
    let padded = format!("{core}{}{rest}", ".0".repeat(3 - parts));
    semver::Version::parse(&padded).ok()
}

/// Release order: versioned tags by version (then time), above tags without a version (by time).
fn order(a: &Tag, b: &Tag) -> Ordering {
    match (tag_version(&a.name), tag_version(&b.name)) {
        (Some(x), Some(y)) => x.cmp(&y).then(a.time.cmp(&b.time)),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => a.time.cmp(&b.time),
    }
    .then_with(|| a.name.cmp(&b.name))
}

/// The release tag at commit `to`: the highest matching tag on it.
pub fn release_at<'a>(tags: &'a [Tag], pattern: &TagPattern, to: &str) -> Option<&'a Tag> {
    tags.iter()
        .filter(|t| t.commit == to && pattern.matches(&t.name))
        .max_by(|a, b| order(a, b))
}

/// The previous release: the highest matching tag reachable from `to` (`reachable` says which
/// commits are) and not on `to` itself; `None` for a first release.
pub fn previous<'a>(
    tags: &'a [Tag],
    pattern: &TagPattern,
    reachable: impl Fn(&str) -> bool,
    to: &str,
) -> Option<&'a Tag> {
    tags.iter()
        .filter(|t| t.commit != to && pattern.matches(&t.name) && reachable(&t.commit))
        .max_by(|a, b| order(a, b))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn tag(name: &str, commit: &str, time: i64) -> Tag {
        Tag {
            name: name.into(),
            commit: commit.into(),
            time,
        }
    }

    #[test]
    fn glob_character_classes_match() {
        let digits = TagPattern::new("v[0-9]*").unwrap();
        assert!(digits.matches("v1.2.0") && !digits.matches("vx1") && !digits.matches("v"));
        let not_v = TagPattern::new("[!v]*").unwrap();
        assert!(not_v.matches("1.0.0") && !not_v.matches("v1.0.0"));
        assert!(TagPattern::new("a[").unwrap().matches("a["));
        assert!(TagPattern::new("[]x]").unwrap().matches("]"));
    }

    #[test]
    fn globs_and_regular_expressions() {
        let glob = TagPattern::new("v*").unwrap();
        assert!(glob.matches("v1.2.0") && !glob.matches("release-1"));
        let question = TagPattern::new("app-v?.?.?").unwrap();
        assert!(question.matches("app-v1.2.3") && !question.matches("app-v1.22.3"));
        let dots = TagPattern::new("1.*").unwrap();
        assert!(
            dots.matches("1.2") && !dots.matches("1x2"),
            "a dot is literal"
        );
        let re = TagPattern::new(r"^v[0-9]+\.[0-9]+\.[0-9]+$").unwrap();
        assert!(re.matches("v1.2.3") && !re.matches("v1.2.3-rc.1"));
        let err = TagPattern::new("^v(").unwrap_err().to_string();
        assert!(err.starts_with("`[notes] tag-pattern = \"^v(\"`:"), "{err}");
    }

    #[test]
    fn versions_order_releases_not_names() {
        assert_eq!(
            tag_version("v1.10.0"),
            semver::Version::parse("1.10.0").ok()
        );
        assert_eq!(tag_version("app-1.2"), semver::Version::parse("1.2.0").ok());
        assert_eq!(
            tag_version("release/2-rc.1"),
            semver::Version::parse("2.0.0-rc.1").ok()
        );
        assert_eq!(tag_version("latest"), None);
        let tags = [
            tag("v1.9.0", "c9", 90),
            tag("v1.10.0", "c10", 100),
            tag("v2.0.0-rc.1", "c11", 110),
            tag("v2.0.0", "c12", 120),
            tag("other-3.0.0", "c12", 120),
            tag("v9.0.0", "elsewhere", 130),
        ];
        let pattern = TagPattern::new("v*").unwrap();
        let ancestors: HashSet<String> = ["c9", "c10", "c11", "c12"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert_eq!(
            release_at(&tags, &pattern, "c12").map(|t| t.name.as_str()),
            Some("v2.0.0")
        );
        // v9.0.0 is not reachable; v2.0.0 is on `to` itself.
        assert_eq!(
            previous(&tags, &pattern, |c| ancestors.contains(c), "c12").map(|t| t.name.as_str()),
            Some("v2.0.0-rc.1")
        );
        assert_eq!(
            previous(&tags, &pattern, |c| ancestors.contains(c), "c10").map(|t| t.name.as_str()),
            Some("v2.0.0"),
            "reachability is the caller's set"
        );
        assert_eq!(previous(&tags, &pattern, |_| false, "c9"), None);
    }
}
