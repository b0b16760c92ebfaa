//! The product's name and version from the repository's own manifest, for the defaults of
//! `[product] name` and `version`.

use std::path::{Path, PathBuf};

/// What a manifest says about the product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestFacts {
    /// The manifest the facts came from.
    pub file: PathBuf,
    pub name: Option<String>,
    pub version: Option<String>,
}

/// Name and version, as far as a manifest states them; `None` when it is not readable.
type Reader = fn(&str) -> Option<(Option<String>, Option<String>)>;

/// Reads the first manifest found at `root`, in the order `Cargo.toml`, `package.json`,
/// `pyproject.toml`, `go.mod`. Unreadable or malformed manifests are skipped: this is a default,
/// and the step that parses the manifest for real reports its errors.
pub fn detect(root: &Path) -> Option<ManifestFacts> {
    let readers: [(&str, Reader); 4] = [
        ("Cargo.toml", cargo),
        ("package.json", npm),
        ("pyproject.toml", python),
        ("go.mod", go),
    ];
    readers.iter().find_map(|(name, read)| {
        let file = root.join(name);
        let text = fs_err::read_to_string(&file).ok()?;
        let (name, version) = read(crabox_types::encoding::strip_bom(&text))?;
        (name.is_some() || version.is_some()).then_some(ManifestFacts {
            file,
            name,
            version,
        })
    })
}

fn string_at(value: &toml::Value, path: &[&str]) -> Option<String> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))
        .and_then(toml::Value::as_str)
        .map(str::to_owned)
}

fn cargo(text: &str) -> Option<(Option<String>, Option<String>)> {
    let doc: toml::Value = toml::from_str(text).ok()?;
    let name = string_at(&doc, &["package", "name"]);
    let version = string_at(&doc, &["package", "version"])
        .or_else(|| string_at(&doc, &["workspace", "package", "version"]));
    Some((name, version))
}

fn npm(text: &str) -> Option<(Option<String>, Option<String>)> {
    let doc: serde_json::Value = serde_json::from_str(text).ok()?;
    let get = |key: &str| {
        doc.get(key)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    Some((get("name"), get("version")))
}

fn python(text: &str) -> Option<(Option<String>, Option<String>)> {
    let doc: toml::Value = toml::from_str(text).ok()?;
    let name = string_at(&doc, &["project", "name"])
        .or_else(|| string_at(&doc, &["tool", "poetry", "name"]));
    let version = string_at(&doc, &["project", "version"])
        .or_else(|| string_at(&doc, &["tool", "poetry", "version"]));
    Some((name, version))
}

fn go(text: &str) -> Option<(Option<String>, Option<String>)> {
    let module = text.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("module")?;
        rest.starts_with(char::is_whitespace)
            .then(|| rest.trim().trim_matches('"').to_owned())
    })?;
    // The module path's last element, without a major-version suffix (`/v2`).
    let mut parts = module.rsplit('/');
    let last = parts.next()?;
    let is_major =
        last.len() > 1 && last.starts_with('v') && last[1..].bytes().all(|b| b.is_ascii_digit());
    let name = if is_major {
        parts.next().unwrap_or(last)
    } else {
        last
    };
    Some((Some(name.to_owned()), None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(file: &str, text: &str) -> Facts {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(dir.path().join(file), text).unwrap();
        detect(dir.path()).map(|f| (f.name, f.version))
    }

    type Facts = Option<(Option<String>, Option<String>)>;

    fn pair(name: Option<&str>, version: Option<&str>) -> (Option<String>, Option<String>) {
        (name.map(str::to_owned), version.map(str::to_owned))
    }

    #[test]
    fn reads_each_ecosystem() {
        assert_eq!(
            facts("Cargo.toml", "[package]\nname = 'gw'\nversion = '1.4.0'\n"),
            Some(pair(Some("gw"), Some("1.4.0")))
        );
        assert_eq!(
            facts(
                "Cargo.toml",
                "[workspace]\nmembers = []\n[workspace.package]\nversion = '2.0.0'\n"
            ),
            Some(pair(None, Some("2.0.0")))
        );
        assert_eq!(
            facts(
                "package.json",
                r#"{"name": "@acme/gw", "version": "0.3.1"}"#
            ),
            Some(pair(Some("@acme/gw"), Some("0.3.1")))
        );
        assert_eq!(
            facts(
                "pyproject.toml",
                "[tool.poetry]\nname = 'gw'\nversion = '5.0'\n"
            ),
            Some(pair(Some("gw"), Some("5.0")))
        );
        assert_eq!(
            facts("go.mod", "module github.com/acme/gw/v2\n\ngo 1.22\n"),
            Some(pair(Some("gw"), None))
        );
    }

    #[test]
    fn malformed_or_absent_manifests_give_nothing() {
        assert_eq!(facts("Cargo.toml", "[package\n"), None);
        assert_eq!(facts("package.json", "{"), None);
        assert_eq!(facts("README.md", "# hi"), None);
    }
}
