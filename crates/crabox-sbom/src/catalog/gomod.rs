//! `go.mod` with `go.sum` beside it: the required modules (direct and `// indirect`), `replace`
//! directives, and the `h1:` hashes of the module archives.

use std::collections::HashMap;

use super::{Context, Parsed};
use crate::encoding::{base64_decode, hex};
use crate::error::SbomError;
use crate::model::{Ecosystem, Hash, HashAlg, Package, Source};

struct Require {
    path: String,
    version: String,
    indirect: bool,
    line: u32,
}

/// The words of a directive line, without a trailing `// comment` (kept apart).
fn split_comment(line: &str) -> (&str, &str) {
    match line.find("//") {
        Some(i) => (line[..i].trim(), line[i + 2..].trim()),
        None => (line.trim(), ""),
    }
}

fn unquote(word: &str) -> String {
    word.trim_matches('"').trim_matches('`').to_owned()
}

pub fn parse(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let mut parsed = Parsed::new();
    let mut requires = Vec::new();
    let mut replaces: HashMap<(String, Option<String>), (String, Option<String>)> = HashMap::new();
    let mut block: Option<String> = None;
    let mut saw_module = false;
    for (i, raw) in text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let (content, comment) = split_comment(raw);
        if content.is_empty() {
            continue;
        }
        if content == ")" {
            block = None;
            continue;
        }
        let (verb, rest) = match &block {
            Some(verb) => (verb.as_str(), content),
            None => {
                let (verb, rest) = content
                    .split_once(char::is_whitespace)
                    .unwrap_or((content, ""));
                let rest = rest.trim();
                if rest == "(" {
                    block = Some(verb.to_owned());
                    continue;
                }
                (verb, rest)
            }
        };
        let words: Vec<String> = rest.split_whitespace().map(unquote).collect();
        match verb {
            "module" => saw_module = true,
            "require" => match words.as_slice() {
                [path, version] => requires.push(Require {
                    path: path.clone(),
                    version: version.clone(),
                    indirect: comment.split(';').any(|c| c.trim() == "indirect"),
                    line,
                }),
                _ => parsed.skip(context.diagnostic(
                    line,
                    format!("`require {rest}`: expected a module path and a version"),
                )),
            },
            "replace" => {
                let Some(arrow) = words.iter().position(|w| w == "=>") else {
                    parsed
                        .skip(context.diagnostic(line, format!("`replace {rest}`: expected `=>`")));
                    continue;
                };
                let (from, to) = words.split_at(arrow);
                let to = &to[1..];
                if from.is_empty() || to.is_empty() {
                    parsed.skip(context.diagnostic(
                        line,
                        format!("`replace {rest}`: expected a module on each side of `=>`"),
                    ));
                    continue;
                }
                replaces.insert(
                    (from[0].clone(), from.get(1).cloned()),
                    (to[0].clone(), to.get(1).cloned()),
                );
            }
            // go, toolchain, godebug, exclude, retract, tool: not modules the build uses.
            _ => {}
        }
    }
    if !saw_module {
        return Err(context.parse_error(1, "not a go.mod: expected a `module` directive"));
    }
    let sums = super::sibling(&context.dir, "go.sum")
        .map(|t| go_sum(&t))
        .unwrap_or_default();
    for require in requires {
        let replacement = replaces
            .get(&(require.path.clone(), Some(require.version.clone())))
            .or_else(|| replaces.get(&(require.path.clone(), None)));
        let (path, version, source) = match replacement {
            Some((to, Some(to_version))) => (to.clone(), to_version.clone(), Source::Registry),
            Some((to, None)) => (
                require.path.clone(),
                require.version.clone(),
                Source::Path(to.clone()),
            ),
            None => (
                require.path.clone(),
                require.version.clone(),
                Source::Registry,
            ),
        };
        let mut package = Package::new(Ecosystem::Golang, path.clone(), version.clone());
        package.line = require.line;
        package.source = source;
        if let Some(hash) = sums.get(&(path, version)) {
            package.hashes.push(hash.clone());
        }
        let index = parsed.packages.len();
        if !require.indirect {
            parsed.direct.push(index);
        }
        parsed.packages.push(package);
    }
    // go.mod lists every module the build needs but not who needs whom.
    parsed.graph_complete = false;
    Ok(parsed)
}

/// `path version h1:BASE64` lines of go.sum (module archives, not `/go.mod` files).
fn go_sum(text: &str) -> HashMap<(String, String), Hash> {
    let mut out = HashMap::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some(path), Some(version), Some(sum)) = (words.next(), words.next(), words.next())
        else {
            continue;
        };
        if version.ends_with("/go.mod") {
            continue;
        }
        let Some(bytes) = sum.strip_prefix("h1:").and_then(base64_decode) else {
            continue;
        };
        if let Some(hash) = Hash::from_hex(HashAlg::Sha256, &hex(&bytes)) {
            out.insert((path.to_owned(), version.to_owned()), hash);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requires_replaces_and_sums() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(
            dir.path().join("go.sum"),
            "github.com/a/b v1.0.0 h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\ngithub.com/a/b v1.0.0/go.mod h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        )
        .unwrap();
        let text = "module example.com/app\n\ngo 1.22\n\ngodebug default=go1.21\n\nrequire (\n\tgithub.com/a/b v1.0.0\n\tgolang.org/x/sys v0.1.0 // indirect\n\tgithub.com/old/c v1.0.0\n)\n\nrequire github.com/d/e v2.0.0+incompatible\n\nreplace github.com/old/c => github.com/new/c v1.1.0\n\nretract v0.9.0\n";
        let context = Context {
            dir: dir.path().to_owned(),
            display: "go.mod".into(),
            cargo_home: None,
            ..Context::default()
        };
        let parsed = parse(text, &context).unwrap();
        let names = parsed.names();
        assert_eq!(
            names,
            [
                "github.com/a/b@v1.0.0",
                "golang.org/x/sys@v0.1.0",
                "github.com/new/c@v1.1.0",
                "github.com/d/e@v2.0.0+incompatible"
            ]
        );
        assert_eq!(parsed.direct, [0, 2, 3]);
        assert_eq!(
            parsed.packages[0].hashes[0].hex,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(parsed.packages[0].line, 8);
        assert!(!parsed.graph_complete);
    }

    #[test]
    fn not_a_go_mod() {
        let err = parse("hello", &Context::default()).unwrap_err();
        assert!(err.to_string().contains("module"), "{err}");
    }
}
