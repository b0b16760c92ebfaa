//! apk's database of installed packages, `lib/apk/db/installed`: one paragraph per package of
//! `X:value` lines (`P` name, `V` version, `A` architecture, `o` origin, `L` licence, `D`
//! dependencies, `p` what it provides, `F`/`R`/`Z`… its files). The origin is kept for advisories,
//! which Alpine publishes per origin package; `D` names (and `so:`/`cmd:` provides) give the edges.

use std::collections::HashMap;

use super::{Context, Parsed};
use crate::error::SbomError;
use crate::model::{Distribution, Ecosystem, Package, Source};

struct Entry<'a> {
    line: u32,
    name: Option<&'a str>,
    version: Option<&'a str>,
    arch: Option<&'a str>,
    origin: Option<&'a str>,
    license: Option<&'a str>,
    depends: Vec<&'a str>,
    provides: Vec<&'a str>,
}

impl<'a> Entry<'a> {
    fn new(line: u32) -> Entry<'a> {
        Entry {
            line,
            name: None,
            version: None,
            arch: None,
            origin: None,
            license: None,
            depends: Vec::new(),
            provides: Vec::new(),
        }
    }
}

/// `so:libc.musl-x86_64.so.1=1` → `so:libc.musl-x86_64.so.1`; `!conflict` is not a dependency.
fn dependency_name(d: &str) -> Option<&str> {
    if d.starts_with('!') {
        return None;
    }
    let end = d.find(['=', '<', '>', '~']).unwrap_or(d.len());
    Some(&d[..end]).filter(|n| !n.is_empty())
}

pub fn parse(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut current: Option<Entry> = None;
    for (n, line) in text.lines().enumerate() {
        let number = u32::try_from(n + 1).unwrap_or(u32::MAX);
        if line.trim().is_empty() {
            entries.extend(current.take());
            continue;
        }
        let Some((key, value)) = line.split_once(':').filter(|(k, _)| k.len() == 1) else {
            return Err(context.parse_error(
                number,
                format!(
                    "expected `X:value` (an apk installed-database line), found `{}`",
                    line.chars().take(60).collect::<String>()
                ),
            ));
        };
        let entry = current.get_or_insert_with(|| Entry::new(number));
        match key {
            "P" => entry.name = Some(value),
            "V" => entry.version = Some(value),
            "A" => entry.arch = Some(value),
            "o" => entry.origin = Some(value),
            "L" => entry.license = Some(value),
            "D" => entry
                .depends
                .extend(value.split_whitespace().filter_map(dependency_name)),
            "p" => entry
                .provides
                .extend(value.split_whitespace().filter_map(dependency_name)),
            _ => {}
        }
    }
    entries.extend(current);

    let (id, version_id) = context.distro.clone().unwrap_or_default();
    let id = if id.is_empty() {
        "alpine".to_owned()
    } else {
        id
    };
    let mut parsed = Parsed::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut requires: Vec<Vec<String>> = Vec::new();
    for entry in entries {
        let (Some(name), Some(version)) = (entry.name, entry.version) else {
            parsed.skip(context.diagnostic(entry.line, "a package without `P:` or `V:`"));
            continue;
        };
        let mut package = Package::new(Ecosystem::Alpine, name, version);
        package.line = entry.line;
        if let Some(license) = entry.license.filter(|l| !l.trim().is_empty()) {
            package.licenses.push(license.trim().to_owned());
        }
        package.source = Source::Distribution(Box::new(Distribution {
            id: id.clone(),
            version_id: version_id.clone(),
            arch: entry.arch.map(str::to_owned),
            upstream: entry.origin.filter(|o| *o != name).map(str::to_owned),
            upstream_version: None,
        }));
        let i = parsed.packages.len();
        by_name.insert(name.to_owned(), i);
        for provided in &entry.provides {
            by_name.entry((*provided).to_owned()).or_insert(i);
        }
        requires.push(entry.depends.iter().map(|d| (*d).to_owned()).collect());
        parsed.packages.push(package);
    }
    let depended = super::edges_by_name(&mut parsed.packages, &requires, &by_name);
    parsed.direct = super::not_depended(&depended);
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSTALLED: &str = "C:Q1abc=
P:musl
V:1.2.5-r0
A:x86_64
L:MIT
o:musl
p:so:libc.musl-x86_64.so.1=1
F:lib
R:ld-musl-x86_64.so.1

C:Q1def=
P:libcrypto3
V:3.3.2-r0
A:x86_64
L:Apache-2.0
o:openssl
D:so:libc.musl-x86_64.so.1
p:so:libcrypto.so.3=3

C:Q1ghi=
P:busybox
V:1.36.1-r29
A:x86_64
o:busybox
D:so:libc.musl-x86_64.so.1 so:libcrypto.so.3 !busybox-extras
";

    #[test]
    fn installed_packages_with_origin_licence_and_edges() {
        let context = Context {
            display: "lib/apk/db/installed".into(),
            distro: Some(("alpine".into(), "3.20.3".into())),
            ..Context::default()
        };
        let parsed = parse(INSTALLED, &context).unwrap();
        assert_eq!(
            parsed.names(),
            ["musl@1.2.5-r0", "libcrypto3@3.3.2-r0", "busybox@1.36.1-r29"]
        );
        assert_eq!(
            parsed.packages[1].purl(),
            "pkg:apk/alpine/libcrypto3@3.3.2-r0?arch=x86_64&distro=alpine-3.20.3&upstream=openssl"
        );
        assert_eq!(parsed.packages[1].licenses, ["Apache-2.0"]);
        assert_eq!(parsed.packages[1].line, 11);
        assert_eq!(
            parsed.packages[1].dependencies,
            [0],
            "through what musl provides"
        );
        assert_eq!(parsed.packages[2].dependencies, [0, 1]);
        assert_eq!(parsed.direct, [2]);
    }

    #[test]
    fn a_line_that_is_not_a_field_is_named() {
        let err = parse("P:a\nV:1\nnonsense\n", &Context::default()).unwrap_err();
        assert!(err.to_string().contains(":3"), "{err}");
    }
}
