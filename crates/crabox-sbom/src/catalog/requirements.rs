//! `requirements*.txt`: pinned `name==version` lines (with extras, markers and `--hash`
//! options). Anything not pinned to one version is reported and makes the SBOM incomplete.

use crabox_types::codes;

use super::{Context, Parsed};
use crate::error::SbomError;
use crate::model::{Ecosystem, Hash, Package, Source};

/// Logical lines (backslash continuations joined) with the line number each starts on.
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (i, raw) in text.lines().enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if current.is_empty() {
            start = number;
        }
        let line = raw.trim_end();
        if let Some(stripped) = line.strip_suffix('\\') {
            current.push_str(stripped);
            current.push(' ');
        } else {
            current.push_str(line);
            out.push((start, std::mem::take(&mut current)));
        }
    }
    if !current.is_empty() {
        out.push((start, current));
    }
    out
}

/// The project name of a requirement's name part (extras dropped), if it is one.
fn package_name(text: &str) -> Option<&str> {
    let name = text.split('[').next().unwrap_or(text).trim();
    (!name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
    .then_some(name)
}

pub fn parse(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let mut parsed = Parsed::new();
    for (line, content) in logical_lines(text) {
        // A comment starts at `#` preceded by whitespace (or at the line start).
        let content = match content
            .find(" #")
            .or_else(|| content.starts_with('#').then_some(0))
        {
            Some(i) => &content[..i],
            None => content.as_str(),
        };
        let content = content.trim();
        if content.is_empty() {
            continue;
        }
        if content.starts_with('-') {
            if content.starts_with("-e") || content.starts_with("--editable") {
                parsed.complete = false;
                parsed.diagnostics.push(unpinned(context, line, content));
            }
            continue; // -r, -c, --index-url and other options
        }
        let mut tokens = content.split_whitespace();
        let requirement = tokens.next().unwrap_or_default();
        let hashes: Vec<Hash> = content
            .split_whitespace()
            .filter_map(|t| {
                t.strip_prefix("--hash=")
                    .or_else(|| t.strip_prefix("--hash:"))
            })
            .filter_map(Hash::from_prefixed)
            .collect();
        let requirement = content
            .split(';')
            .next()
            .unwrap_or(requirement)
            .split(" --")
            .next()
            .unwrap_or_default()
            .trim();
        // `name @ url` direct references
        if let Some((name, url)) = requirement.split_once(" @ ").or_else(|| {
            requirement
                .split_once('@')
                .filter(|(_, u)| u.contains("://"))
        }) {
            // `name==1.0 @ url` states the version as well as where it comes from.
            let (name, stated) = match name.split_once("===").or_else(|| name.split_once("==")) {
                Some((name, version)) => (name, Some(version.trim())),
                None => (name, None),
            };
            let Some(name) = package_name(name) else {
                parsed.skip(
                    context.diagnostic(line, format!("`{requirement}` is not a requirement")),
                );
                continue;
            };
            let url = url.trim();
            let mut package = Package::new(Ecosystem::Pypi, name, stated.unwrap_or_default());
            package.line = line;
            package.hashes = hashes;
            package.source = if let Some(git) = url.strip_prefix("git+") {
                let (url, rev) = match git.rsplit_once('@') {
                    Some((u, r)) if !r.contains('/') => (u.to_owned(), Some(r.to_owned())),
                    _ => (git.to_owned(), None),
                };
                if package.version.is_empty() {
                    package.version = rev.clone().unwrap_or_default();
                }
                Source::Git { url, rev }
            } else {
                Source::Url(url.to_owned())
            };
            if package.version.is_empty() {
                parsed.complete = false;
                parsed
                    .diagnostics
                    .push(unpinned(context, line, requirement));
                continue;
            }
            parsed.packages.push(package);
            continue;
        }
        let pinned = requirement
            .split_once("===")
            .or_else(|| requirement.split_once("=="))
            .filter(|(_, v)| !v.contains(',') && !v.contains('*') && !v.trim().is_empty());
        match pinned {
            Some((name, version)) => {
                let Some(name) = package_name(name) else {
                    parsed.skip(
                        context.diagnostic(line, format!("`{requirement}` is not a requirement")),
                    );
                    continue;
                };
                let mut package = Package::new(Ecosystem::Pypi, name, version.trim());
                package.line = line;
                package.hashes = hashes;
                parsed.packages.push(package);
            }
            None => {
                parsed.complete = false;
                parsed
                    .diagnostics
                    .push(unpinned(context, line, requirement));
            }
        }
    }
    parsed.direct = (0..parsed.packages.len()).collect();
    parsed.graph_complete = false;
    Ok(parsed)
}

fn unpinned(context: &Context, line: u32, requirement: &str) -> crate::model::Diagnostic {
    let mut diagnostic = context.diagnostic(
        line,
        format!(
            "`{requirement}` is not pinned to one version (`name==version`); it is not in the SBOM"
        ),
    );
    diagnostic.code = codes::SBOM_UNPINNED;
    diagnostic
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_lines_become_packages() {
        let text = "# comment\nrequests[socks]==2.31.0 ; python_version >= \"3.8\" \\\n    --hash=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nflask>=2\n-r other.txt\nDjango===4.2  # pinned\ntool @ git+https://github.com/x/tool@v1.0\nnumpy==1.*\n";
        let parsed = parse(text, &Context::default()).unwrap();
        let names = parsed.names();
        assert_eq!(names, ["requests@2.31.0", "Django@4.2", "tool@v1.0"]);

        assert_eq!(parsed.packages[0].hashes.len(), 1);
        assert_eq!(parsed.packages[0].line, 2);
        assert!(!parsed.complete);
        let unpinned: Vec<u32> = parsed.diagnostics.iter().map(|d| d.line).collect();
        assert_eq!(unpinned, [4, 8]);
        assert!(
            parsed
                .diagnostics
                .iter()
                .all(|d| d.code == codes::SBOM_UNPINNED)
        );
    }

    #[test]
    fn a_direct_reference_with_a_stated_version_keeps_both() {
        // `name==1.0 @ url`: pinned to 1.0, from that repository (it was dropped as unpinned,
        // or listed under the name `other==2.0`).
        let text = "tool == 1.0 @ git+https://github.com/x/tool\nother==2.0 @ git+https://github.com/x/other@abc123\n";
        let parsed = parse(text, &Context::default()).unwrap();
        assert_eq!(parsed.names(), ["tool@1.0", "other@2.0"]);
        assert!(parsed.complete);
        assert_eq!(
            parsed.packages[1].source,
            Source::Git {
                url: "https://github.com/x/other".into(),
                rev: Some("abc123".into())
            }
        );
    }
}
