//! dpkg's database of installed packages: `var/lib/dpkg/status` (one paragraph per package,
//! `Field: value` lines, continuation lines starting with white space) and the one-file-per-
//! package `var/lib/dpkg/status.d/` of distroless images (no `Status` field there). A package is
//! listed when its `Status` says `installed`; its `Source` (name and, after a binNMU, version) is
//! kept for advisories, which Debian publishes per source package; `Depends` and `Pre-Depends`
//! give the edges (alternatives to whichever is installed, architecture qualifiers dropped).

use std::collections::HashMap;

use super::{Context, Parsed};
use crate::error::SbomError;
use crate::model::{Distribution, Ecosystem, Package, Source};

/// One paragraph's fields, with the line it starts on.
pub(crate) struct Paragraph<'a> {
    pub line: u32,
    pub fields: Vec<(&'a str, String)>,
}

impl Paragraph<'_> {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Splits deb822 text into paragraphs. A line that is neither a field, a continuation nor blank
/// is an error naming its line.
pub(crate) fn paragraphs<'a>(
    text: &'a str,
    context: &Context,
) -> Result<Vec<Paragraph<'a>>, SbomError> {
    let mut out: Vec<Paragraph<'a>> = Vec::new();
    let mut current: Option<Paragraph<'a>> = None;
    for (n, line) in text.lines().enumerate() {
        let number = u32::try_from(n + 1).unwrap_or(u32::MAX);
        if line.trim().is_empty() {
            out.extend(current.take());
            continue;
        }
        if line.starts_with([' ', '\t']) {
            let Some(paragraph) = current.as_mut() else {
                return Err(context.parse_error(number, "a continuation line before any field"));
            };
            if let Some((_, value)) = paragraph.fields.last_mut() {
                value.push('\n');
                value.push_str(line.trim());
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(context.parse_error(
                number,
                format!(
                    "expected `Field: value` (a dpkg status paragraph), found `{}`",
                    line.chars().take(60).collect::<String>()
                ),
            ));
        };
        current
            .get_or_insert_with(|| Paragraph {
                line: number,
                fields: Vec::new(),
            })
            .fields
            .push((name.trim(), value.trim().to_owned()));
    }
    out.extend(current);
    Ok(out)
}

/// The names a `Depends` value lists (each alternative; version and architecture dropped).
fn depends(value: &str) -> impl Iterator<Item = &str> {
    value.split([',', '|']).filter_map(|d| {
        let name = d.trim().split([' ', '(', '[', '<']).next()?;
        let name = name.split(':').next()?;
        (!name.is_empty()).then_some(name)
    })
}

pub fn parse(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let mut parsed = Parsed::new();
    let (id, version_id) = context.distro.clone().unwrap_or_default();
    let id = if id.is_empty() {
        "debian".to_owned()
    } else {
        id
    };
    let mut requires: Vec<Vec<String>> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for paragraph in paragraphs(text, context)? {
        if let Some(status) = paragraph.get("Status") {
            // `want flag status`: only what is installed is on the system.
            if status.split_whitespace().nth(2) != Some("installed") {
                continue;
            }
        }
        let (Some(name), Some(version)) = (paragraph.get("Package"), paragraph.get("Version"))
        else {
            parsed.skip(context.diagnostic(
                paragraph.line,
                "a package paragraph without `Package` or `Version`",
            ));
            continue;
        };
        let (upstream, upstream_version) = match paragraph.get("Source") {
            Some(source) => {
                let (source_name, source_version) = match source.split_once('(') {
                    Some((n, v)) => (n.trim(), Some(v.trim_end_matches(')').trim())),
                    None => (source.trim(), None),
                };
                (
                    (source_name != name && !source_name.is_empty())
                        .then(|| source_name.to_owned()),
                    source_version
                        .filter(|v| *v != version && !v.is_empty())
                        .map(str::to_owned),
                )
            }
            None => (None, None),
        };
        let mut package = Package::new(Ecosystem::Debian, name, version);
        package.line = paragraph.line;
        package.source = Source::Distribution(Box::new(Distribution {
            id: id.clone(),
            version_id: version_id.clone(),
            arch: paragraph.get("Architecture").map(str::to_owned),
            upstream,
            upstream_version,
        }));
        by_name.insert(name.to_owned(), parsed.packages.len());
        requires.push(
            ["Pre-Depends", "Depends"]
                .iter()
                .filter_map(|f| paragraph.get(f))
                .flat_map(depends)
                .map(str::to_owned)
                .collect(),
        );
        parsed.packages.push(package);
    }
    let depended = super::edges_by_name(&mut parsed.packages, &requires, &by_name);
    // What nothing installed depends on was installed for itself: the image's direct packages.
    parsed.direct = super::not_depended(&depended);
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl
Version: 3.0.11-1~deb12u2
Depends: libc6 (>= 2.34)
Description: Secure Sockets Layer toolkit
 This package is part of the OpenSSL project.
 .
 More text.

Package: bash
Status: install ok installed
Architecture: amd64
Source: bash (5.2.15-2)
Version: 5.2.15-2+b2
Pre-Depends: libc6 (>= 2.36), libtinfo6 (>= 6)
Depends: base-files (>= 2.1.12), debianutils (>= 5.6-0.1) | other

Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.36-9+deb12u4

Package: removed
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0
";

    fn context() -> Context {
        Context {
            display: "var/lib/dpkg/status".into(),
            distro: Some(("debian".into(), "12".into())),
            ..Context::default()
        }
    }

    #[test]
    fn installed_packages_with_their_source_and_edges() {
        let parsed = parse(STATUS, &context()).unwrap();
        assert_eq!(
            parsed.names(),
            [
                "libssl3@3.0.11-1~deb12u2",
                "bash@5.2.15-2+b2",
                "libc6@2.36-9+deb12u4"
            ],
            "the package with only config files left is not installed"
        );
        assert_eq!(
            parsed.packages[0].purl(),
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"
        );
        assert_eq!(
            parsed.packages[1].purl(),
            "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12&upstream=bash%405.2.15-2"
        );
        assert_eq!(parsed.packages[0].line, 1);
        assert_eq!(parsed.packages[1].line, 12);
        assert_eq!(parsed.packages[0].dependencies, [2]);
        assert_eq!(parsed.packages[1].dependencies, [2], "only installed names");
        assert_eq!(parsed.direct, [0, 1]);
    }

    #[test]
    fn a_line_that_is_not_a_field_is_named() {
        let err = parse("Package: a\nnot a field\n", &context()).unwrap_err();
        assert!(err.to_string().contains(":2"), "{err}");
        let err = parse(" continuation first\n", &context()).unwrap_err();
        assert!(err.to_string().contains(":1"), "{err}");
    }

    #[test]
    fn a_paragraph_without_version_is_skipped_and_said() {
        let parsed = parse("Package: a\nStatus: install ok installed\n", &context()).unwrap();
        assert!(parsed.packages.is_empty());
        assert!(!parsed.complete);
        assert_eq!(parsed.diagnostics[0].line, 1);
    }
}
