//! `Gemfile.lock` (Bundler): the `specs:` of each `GEM`, `GIT` and `PATH` source (`name
//! (version[-platform])`, then their dependencies one level deeper), `DEPENDENCIES` for the
//! direct ones and `CHECKSUMS` (Bundler 2.6+) for SHA-256 sums. A gem pinned for several
//! platforms is one package. The lockfile does not say which Gemfile group a gem is in: the
//! `Gemfile` beside it is read for `group … do` blocks, and what only development and test gems
//! reach is development scope.

use std::collections::{HashMap, HashSet};

use super::{Context, Parsed};
use crate::error::SbomError;
use crate::model::{Ecosystem, Hash, HashAlg, Package, Source};

/// `name (version)` → (name, version without the platform, the text in parentheses).
fn spec(text: &str) -> Option<(&str, &str, &str)> {
    let (name, rest) = text.split_once(" (")?;
    let inside = rest.strip_suffix(')')?;
    // A platform (`x86_64-linux`, `java`) follows the version after the first `-`.
    let version = inside.split_once('-').map_or(inside, |(v, _)| v);
    (!name.is_empty() && !version.is_empty()).then_some((name, version, inside))
}

/// The gems the `Gemfile` beside the lockfile puts only in development or test groups.
fn development_gems(context: &Context) -> HashSet<String> {
    let mut out = HashSet::new();
    let Some(text) = super::sibling(&context.dir, "Gemfile") else {
        return out;
    };
    let mut depth = 0usize;
    let mut dev_depth = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("group ") && line.ends_with(" do") {
            depth += 1;
            let groups = &line["group ".len()..line.len() - " do".len()];
            let only_dev = groups
                .split(',')
                .map(|g| g.trim().trim_start_matches(':').trim_matches(['"', '\'']))
                .all(|g| matches!(g, "development" | "test"));
            if only_dev && dev_depth.is_none() {
                dev_depth = Some(depth);
            }
        } else if line == "end" {
            if dev_depth == Some(depth) {
                dev_depth = None;
            }
            depth = depth.saturating_sub(1);
        } else if dev_depth.is_some()
            && let Some(rest) = line.strip_prefix("gem ")
        {
            let name = rest
                .split(',')
                .next()
                .unwrap_or_default()
                .trim()
                .trim_matches(['"', '\'']);
            out.insert(name.to_owned());
        }
    }
    out
}

pub fn parse(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let mut parsed = Parsed::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut requires: Vec<Vec<String>> = Vec::new();
    let mut direct_names = Vec::new();
    let mut checksums: HashMap<String, Hash> = HashMap::new();
    let mut section = "";
    let mut source = Source::Registry;
    let (mut remote, mut revision) = (None::<String>, None::<String>);
    let mut current: Option<usize> = None;
    let mut saw_section = false;
    for (i, line) in text.lines().enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            section = line.trim();
            saw_section = true;
            (remote, revision, current) = (None, None, None);
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let content = line.trim();
        match section {
            "GEM" | "GIT" | "PATH" | "PLUGIN SOURCE" => {
                match indent {
                    2 => {
                        if let Some(url) = content.strip_prefix("remote: ") {
                            remote = Some(url.to_owned());
                        } else if let Some(rev) = content.strip_prefix("revision: ") {
                            revision = Some(rev.to_owned());
                        } else if content == "specs:" {
                            source = match (section, remote.clone()) {
                                ("GIT", Some(url)) => Source::Git {
                                    url,
                                    rev: revision.clone(),
                                },
                                ("PATH", Some(path)) => Source::Path(path),
                                (_, Some(url))
                                    if url.trim_end_matches('/') != "https://rubygems.org" =>
                                {
                                    Source::OtherRegistry(url)
                                }
                                _ => Source::Registry,
                            };
                        }
                    }
                    4 => {
                        let Some((name, version, _)) = spec(content) else {
                            parsed.skip(context.diagnostic(
                                number,
                                format!("`{content}`: expected `name (version)`"),
                            ));
                            current = None;
                            continue;
                        };
                        if let Some(&known) = by_name.get(name) {
                            // The same gem for another platform.
                            current = Some(known);
                            continue;
                        }
                        let mut package = Package::new(Ecosystem::RubyGems, name, version);
                        package.line = number;
                        package.source = source.clone();
                        by_name.insert(name.to_owned(), parsed.packages.len());
                        current = Some(parsed.packages.len());
                        parsed.packages.push(package);
                        requires.push(Vec::new());
                    }
                    6 => {
                        if let Some(from) = current {
                            let name = content.split(" (").next().unwrap_or(content);
                            requires[from].push(name.to_owned());
                        }
                    }
                    _ => {}
                }
            }
            "DEPENDENCIES" if indent == 2 => {
                let name = content
                    .split(" (")
                    .next()
                    .unwrap_or(content)
                    .trim_end_matches('!');
                direct_names.push(name.to_owned());
            }
            "CHECKSUMS" if indent == 2 => {
                let Some((spec_text, sums)) = content.rsplit_once(") ") else {
                    continue;
                };
                let key = format!("{spec_text})");
                let Some((name, _, inside)) = spec(&key) else {
                    continue;
                };
                // The platform-less gem's sum, else the first one given.
                let hash = sums
                    .split(',')
                    .find_map(|s| s.strip_prefix("sha256="))
                    .and_then(|hex| Hash::from_hex(HashAlg::Sha256, hex));
                if let Some(hash) = hash
                    && (!inside.contains('-') || !checksums.contains_key(name))
                {
                    checksums.insert(name.to_owned(), hash);
                }
            }
            _ => {}
        }
    }
    if !saw_section {
        return Err(context.parse_error(
            1,
            "not a Gemfile.lock: expected sections such as `GEM` with `specs:`",
        ));
    }
    super::edges_by_name(&mut parsed.packages, &requires, &by_name);
    for package in &mut parsed.packages {
        package.hashes.extend(checksums.remove(&package.name));
    }
    let mut direct: Vec<usize> = direct_names
        .iter()
        .filter_map(|n| by_name.get(n).copied())
        .collect();
    direct.sort_unstable();
    direct.dedup();
    let development = development_gems(context);
    if !development.is_empty() {
        let shipped: Vec<usize> = direct
            .iter()
            .copied()
            .filter(|&i| !development.contains(&parsed.packages[i].name))
            .collect();
        super::mark_unreached_dev(&mut parsed.packages, &shipped);
    }
    parsed.direct = direct;
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Scope;

    const LOCK: &str = "GIT
  remote: https://github.com/acme/widget.git
  revision: 0123456789abcdef0123456789abcdef01234567
  specs:
    widget (0.3.0)
      rack

GEM
  remote: https://rubygems.org/
  specs:
    ffi (1.17.4)
    ffi (1.17.4-x86_64-linux-gnu)
    rack (3.1.8)
    rspec (3.13.0)
      rspec-core (~> 3.13.0)
    rspec-core (3.13.2)

PLATFORMS
  ruby
  x86_64-linux

DEPENDENCIES
  ffi
  rspec (~> 3)
  widget!

CHECKSUMS
  ffi (1.17.4) sha256=bcd1642e06f0d16fc9e09ac6d49c3a7298b9789bcb58127302f934e437d60acf
  ffi (1.17.4-x86_64-linux-gnu) sha256=0000000000000000000000000000000000000000000000000000000000000000

BUNDLED WITH
   2.6.2
";

    #[test]
    fn specs_of_every_source_once_per_gem_with_edges_sums_and_lines() {
        let parsed = parse(LOCK, &Context::default()).unwrap();
        assert_eq!(
            parsed.names(),
            [
                "widget@0.3.0",
                "ffi@1.17.4",
                "rack@3.1.8",
                "rspec@3.13.0",
                "rspec-core@3.13.2"
            ]
        );
        let lines: Vec<u32> = parsed.packages.iter().map(|p| p.line).collect();
        assert_eq!(lines, [5, 11, 13, 14, 16]);
        assert_eq!(parsed.packages[0].dependencies, [2]);
        assert_eq!(parsed.packages[3].dependencies, [4]);
        assert!(matches!(parsed.packages[0].source, Source::Git { .. }));
        assert_eq!(
            parsed.packages[1].hashes[0].hex,
            "bcd1642e06f0d16fc9e09ac6d49c3a7298b9789bcb58127302f934e437d60acf",
            "the platform-less gem's sum"
        );
        assert_eq!(parsed.direct, [0, 1, 3]);
        assert_eq!(
            crate::purl::for_package(&parsed.packages[2]),
            "pkg:gem/rack@3.1.8"
        );
    }

    #[test]
    fn development_groups_of_the_gemfile_are_development_scope() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(
            dir.path().join("Gemfile"),
            "source \"https://rubygems.org\"\ngem \"ffi\"\ngem \"widget\", git: \"https://github.com/acme/widget.git\"\n\ngroup :development, :test do\n  gem \"rspec\", \"~> 3\"\nend\n",
        )
        .unwrap();
        let context = Context {
            dir: dir.path().to_owned(),
            display: "Gemfile.lock".into(),
            cargo_home: None,
            ..Context::default()
        };
        let parsed = parse(LOCK, &context).unwrap();
        let scopes: Vec<Scope> = parsed.packages.iter().map(|p| p.scope).collect();
        assert_eq!(
            scopes,
            [
                Scope::Required,
                Scope::Required,
                Scope::Required,
                Scope::Dev,
                Scope::Dev
            ]
        );
    }

    #[test]
    fn text_that_is_not_a_gemfile_lock_is_an_error() {
        let err = parse("  indented only\n", &Context::default()).unwrap_err();
        assert!(err.to_string().contains("Gemfile.lock"), "{err}");
    }
}
