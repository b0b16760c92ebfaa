//! Untrusted names (a product's name, a version, a package) made into one safe path component.
//!
//! A name from `crabox.toml`, `package.json`, `Cargo.toml`, `pyproject.toml` or `go.mod` is text
//! an attacker may write: it never becomes a path as it is. [`component`] keeps ASCII letters,
//! digits, `.`, `-`, `_` and `+`, turns everything else into `-`, never gives `..`, a leading `.`
//! or `-`, or more than [`MAX_LEN`] bytes, and never an empty string.

/// The longest component [`component`] returns, in bytes (well under every file system's 255,
/// leaving room for suffixes such as `.cdx.json` and `.sigstore.json`).
pub const MAX_LEN: usize = 100;

/// `name` as one path component safe to join under a directory: `@scope/name` becomes
/// `scope-name`, separators, control characters and white space become `-`, runs of `-` and of
/// `.` are collapsed, leading `.` and `-` and trailing `.` are dropped, and the result is cut at
/// [`MAX_LEN`] bytes. An empty result is `unnamed`.
pub fn component(name: &str) -> String {
    let name = name.strip_prefix('@').unwrap_or(name);
    let mut out = String::with_capacity(name.len().min(MAX_LEN));
    for c in name.chars() {
        let c = if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+') {
            c
        } else {
            '-'
        };
        // No `..` (nor `--` runs, which only come from replaced characters).
        if (c == '.' || c == '-') && out.ends_with(c) {
            continue;
        }
        if out.is_empty() && (c == '.' || c == '-') {
            continue;
        }
        if out.len() >= MAX_LEN {
            break;
        }
        out.push(c);
    }
    while out.ends_with(['.', '-']) {
        out.pop();
    }
    if out.is_empty() {
        out.push_str("unnamed");
    }
    out
}

/// Whether `relative` is a relative path of plain components only (no `..`, no root, no `.`,
/// no empty component, no back-slash and no control character): joined under a directory, it
/// stays under it.
pub fn is_contained(relative: &str) -> bool {
    !relative.is_empty()
        && relative.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && !part.contains('\\')
                && !part.chars().any(char::is_control)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_become_one_component() {
        for (name, expected) in [
            ("../../../../tmp/x", "tmp-x"),
            ("@acme/widget", "acme-widget"),
            ("acme", "acme"),
            ("..", "unnamed"),
            ("", "unnamed"),
            ("-rf", "rf"),
            (".hidden", "hidden"),
            ("a\nb\r\u{0}c", "a-b-c"),
            ("C:\\Windows\\x", "C-Windows-x"),
            ("name 1.2.0", "name-1.2.0"),
            ("a..b", "a.b"),
            ("x/../../y", "x-.-.-y"),
            ("1.0.0+build", "1.0.0+build"),
            ("ünïcode", "n-code"),
        ] {
            assert_eq!(component(name), expected, "{name:?}");
        }
        let long = component(&"a".repeat(10_000));
        assert_eq!(long.len(), MAX_LEN);
    }

    #[test]
    fn components_never_escape() {
        for name in [
            "../x",
            "/etc/passwd",
            "..\\..",
            "a/b",
            ".",
            "...",
            "-",
            "\n",
        ] {
            let c = component(name);
            assert!(is_contained(&c), "{name:?} -> {c:?}");
            assert!(!c.contains('/') && !c.starts_with(['.', '-']), "{c:?}");
        }
    }

    #[test]
    fn containment() {
        assert!(is_contained("sbom/app.cdx.json"));
        for bad in ["", "../x", "a/../b", "/abs", "a//b", "./a", "a\\b", "a\nb"] {
            assert!(!is_contained(bad), "{bad:?}");
        }
    }
}
