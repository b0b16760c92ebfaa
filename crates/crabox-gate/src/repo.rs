//! Repository practice checks, offline from the checkout: a security policy with a contact and
//! the ISO/IEC 29147 disclosure elements, `security.txt` per RFC 9116, a dependency-update tool,
//! fuzz targets, no committed binaries, a licence file.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use crabox_types::Timestamp;
use regex::Regex;

use crabox_types::{Code, codes};

use crate::{Category, Check, Outcome};

fn check(code: Code, name: &str, outcome: Outcome, message: impl Into<String>) -> Check {
    Check::new(Category::Repository, code, name, outcome, message)
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// The first of `candidates` (relative paths) that is a file.
fn first_file(root: &Path, candidates: &[&str]) -> Option<PathBuf> {
    candidates
        .iter()
        .map(|c| root.join(c))
        .find(|p| p.is_file())
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").expect("a valid pattern")
});
static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"https?://[^\s)>\]]+").expect("a valid pattern"));

/// The disclosure-policy elements of ISO/IEC 29147 a SECURITY.md should state, with words that
/// show it does.
const ELEMENTS: &[(&str, &[&str])] = &[
    (
        "what a report should include",
        &[
            "include",
            "steps to reproduce",
            "proof of concept",
            "details",
        ],
    ),
    (
        "when reporters hear back",
        &[
            "acknowledg",
            "respond",
            "response",
            "within",
            "business day",
            "working day",
        ],
    ),
    (
        "how and when vulnerabilities are disclosed",
        &["disclos", "embargo", "advisory", "advisories", "publish"],
    ),
    (
        "which versions get security fixes",
        &[
            "supported version",
            "security fixes",
            "security updates",
            "latest release",
            "supported",
        ],
    ),
];

/// Where a security policy is looked for (where GitHub looks), in order.
pub const SECURITY_POLICY_FILES: &[&str] = &[
    "SECURITY.md",
    ".github/SECURITY.md",
    "docs/SECURITY.md",
    "SECURITY.rst",
    "SECURITY.txt",
];

/// SECURITY.md (at the root, in `.github/` or `docs/`, where GitHub looks): present, with a
/// contact, and with each disclosure element.
pub fn security_policy(root: &Path) -> Check {
    let name = "security policy";
    let Some(path) = first_file(root, SECURITY_POLICY_FILES) else {
        return check(
            codes::REPO_SECURITY_POLICY,
            name,
            Outcome::Fail,
            "no SECURITY.md (root, .github/ or docs/): reporters do not know where to report (`crabox init` writes one)",
        );
    };
    let shown = relative(root, &path);
    let text = fs_err::read_to_string(&path).unwrap_or_default();
    let lower = text.to_lowercase();
    let has_contact = EMAIL.is_match(&text) || URL.is_match(&text);
    let missing: Vec<&str> = ELEMENTS
        .iter()
        .filter(|(_, words)| !words.iter().any(|w| lower.contains(w)))
        .map(|(element, _)| *element)
        .collect();
    let (outcome, message) = if !has_contact {
        (
            Outcome::Fail,
            "no contact: neither an email address nor a URL to report to".to_owned(),
        )
    } else if missing.contains(&"how and when vulnerabilities are disclosed") {
        (
            Outcome::Fail,
            format!(
                "a contact, but no disclosure terms; also missing: {}",
                missing.join(", ")
            ),
        )
    } else if missing.is_empty() {
        (
            Outcome::Pass,
            "a contact and every disclosure element (what to include, response times, disclosure, supported versions)".to_owned(),
        )
    } else {
        (
            Outcome::Warn,
            format!(
                "a contact and disclosure terms; missing: {}",
                missing.join(", ")
            ),
        )
    };
    check(codes::REPO_SECURITY_POLICY, name, outcome, message).at(shown, 0)
}

/// `.well-known/security.txt` per RFC 9116: `Contact` (a URI) at least once, `Expires` exactly
/// once and in the future (as of `now`, Unix seconds), no line that is not a field or comment.
pub fn security_txt(root: &Path, now: i64) -> Check {
    let name = "security.txt";
    let Some(path) = first_file(root, &[".well-known/security.txt", "security.txt"]) else {
        return check(
            codes::REPO_SECURITY_TXT,
            name,
            Outcome::NotApplicable,
            "no .well-known/security.txt (RFC 9116 is for products with a web presence; add one to publish the contact there)",
        );
    };
    let shown = relative(root, &path);
    let text = fs_err::read_to_string(&path).unwrap_or_default();
    let problems = security_txt_problems(&text, now);
    match problems.first() {
        None => check(
            codes::REPO_SECURITY_TXT,
            name,
            Outcome::Pass,
            "valid per RFC 9116, not expired",
        )
        .at(shown, 0),
        Some((line, _)) => check(
            codes::REPO_SECURITY_TXT,
            name,
            Outcome::Fail,
            problems
                .iter()
                .map(|(line, p)| format!("line {line}: {p}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
        .at(shown, *line),
    }
}

/// What is wrong with a security.txt, by line (0: the file as a whole).
pub fn security_txt_problems(text: &str, now: i64) -> Vec<(u32, String)> {
    let mut problems = Vec::new();
    let mut contacts = 0;
    let mut expires: Vec<(u32, &str)> = Vec::new();
    let mut in_signature = false;
    for (index, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let line = raw.trim_end_matches('\r');
        if line.starts_with("-----BEGIN PGP SIGNATURE") {
            in_signature = true;
        }
        if in_signature {
            if line.starts_with("-----END PGP SIGNATURE") {
                in_signature = false;
            }
            continue;
        }
        if line.is_empty()
            || line.starts_with('#')
            || line.starts_with("-----BEGIN PGP SIGNED MESSAGE")
            || line.starts_with("Hash:")
        {
            continue;
        }
        let Some((field, value)) = line.split_once(':') else {
            problems.push((
                line_no,
                format!("`{line}` is neither a field (`Name: value`) nor a comment"),
            ));
            continue;
        };
        let value = value.trim();
        match field.to_ascii_lowercase().as_str() {
            "contact" => {
                contacts += 1;
                if !(value.starts_with("mailto:")
                    || value.starts_with("https://")
                    || value.starts_with("tel:"))
                {
                    problems.push((
                        line_no,
                        format!("Contact `{value}` is not a mailto:, https:// or tel: URI"),
                    ));
                }
            }
            "expires" => expires.push((line_no, value)),
            "encryption" | "policy" | "acknowledgments" | "canonical" | "hiring" | "csaf"
                if value.starts_with("http://") =>
            {
                problems.push((line_no, format!("`{field}` must use https://, not http://")));
            }
            _ => {}
        }
    }
    if contacts == 0 {
        problems.push((0, "no Contact field (required)".to_owned()));
    }
    match expires.as_slice() {
        [] => problems.push((0, "no Expires field (required)".to_owned())),
        [(line, value)] => match value.parse::<Timestamp>() {
            Ok(t) if value.len() > 10 => {
                if t.unix_seconds() <= now {
                    problems.push((*line, format!("expired on {value}")));
                } else if t.unix_seconds() > now + 366 * 86_400 {
                    problems.push((
                        *line,
                        format!(
                            "Expires {value} is more than a year ahead (RFC 9116 advises less)"
                        ),
                    ));
                }
            }
            _ => problems.push((
                *line,
                format!("Expires `{value}` is not an RFC 3339 date and time"),
            )),
        },
        [_, (line, _), ..] => problems.push((*line, "Expires appears more than once".to_owned())),
    }
    problems.sort();
    problems
}

/// A Dependabot or Renovate configuration.
pub fn dependency_updates(root: &Path) -> Check {
    let name = "dependency updates";
    let found = first_file(
        root,
        &[
            ".github/dependabot.yml",
            ".github/dependabot.yaml",
            "renovate.json",
            "renovate.json5",
            ".github/renovate.json",
            ".github/renovate.json5",
            ".gitlab/renovate.json",
            ".renovaterc",
            ".renovaterc.json",
        ],
    );
    match found {
        Some(path) => check(
            codes::REPO_DEPENDENCY_UPDATES,
            name,
            Outcome::Pass,
            format!("configured in {}", relative(root, &path)),
        ),
        None => check(
            codes::REPO_DEPENDENCY_UPDATES,
            name,
            Outcome::Fail,
            "no Dependabot (.github/dependabot.yml) or Renovate (renovate.json) configuration: vulnerable dependencies wait for someone to notice",
        ),
    }
}

/// The files of the checkout, `.gitignore` honoured, `.git/` and build output skipped.
fn walk(root: &Path) -> impl Iterator<Item = PathBuf> {
    ignore::WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .ignore(false)
        .git_global(false)
        .filter_entry(|e| {
            !(e.file_type().is_some_and(|t| t.is_dir())
                && matches!(
                    e.file_name().to_str(),
                    Some(".git" | "target" | "node_modules")
                ))
        })
        .build()
        .flatten()
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .map(ignore::DirEntry::into_path)
}

/// Fuzz targets: a cargo-fuzz crate, Go `Fuzz…` functions, libFuzzer entry points, atheris.
fn fuzzing(root: &Path, files: &[PathBuf]) -> Check {
    let name = "fuzzing";
    if let Some(path) = first_file(root, &["fuzz/Cargo.toml"]) {
        return check(
            codes::REPO_FUZZING,
            name,
            Outcome::Pass,
            format!("cargo-fuzz targets ({})", relative(root, &path)),
        );
    }
    for path in files {
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let marker = if file.ends_with("_test.go") {
            "func Fuzz"
        } else if Path::new(file)
            .extension()
            .is_some_and(|e| matches!(e.to_str(), Some("c" | "cc" | "cpp" | "cxx")))
        {
            "LLVMFuzzerTestOneInput"
        } else if Path::new(file)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("py"))
        {
            "import atheris"
        } else {
            continue;
        };
        if fs_err::metadata(path).is_ok_and(|m| m.len() > 1 << 20) {
            continue;
        }
        if fs_err::read_to_string(path).is_ok_and(|t| t.contains(marker)) {
            return check(
                codes::REPO_FUZZING,
                name,
                Outcome::Pass,
                format!("fuzz target in {}", relative(root, path)),
            );
        }
    }
    check(
        codes::REPO_FUZZING,
        name,
        Outcome::Fail,
        "no fuzz targets (cargo-fuzz `fuzz/`, Go `func Fuzz…`, libFuzzer, atheris)",
    )
}

/// Committed binaries: executables and libraries (ELF, PE, Mach-O) and compiled archives
/// (`.jar`, `.class`, `.pyc`), found by their first bytes or their extension.
fn binary_artifacts(root: &Path, files: &[PathBuf]) -> Vec<Check> {
    let mut found = Vec::new();
    for path in files {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let by_name = matches!(
            extension.as_str(),
            "exe" | "dll" | "so" | "dylib" | "jar" | "class" | "pyc" | "war" | "o" | "a" | "lib"
        );
        let mut magic = [0_u8; 4];
        let by_magic = fs_err::File::open(path)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
            .is_ok()
            && (magic == *b"\x7fELF"
                || magic[..2] == *b"MZ"
                || matches!(
                    magic,
                    [0xfe, 0xed, 0xfa, 0xce | 0xcf] | [0xce | 0xcf, 0xfa, 0xed, 0xfe]
                ));
        if by_name || by_magic {
            found.push(relative(root, path));
        }
    }
    found.sort();
    if found.is_empty() {
        return vec![check(
            codes::REPO_BINARY_ARTIFACT,
            "committed binaries",
            Outcome::Pass,
            "no executable, library or compiled archive in the checkout",
        )];
    }
    found
        .into_iter()
        .map(|file| {
            check(
                codes::REPO_BINARY_ARTIFACT,
                &format!("committed binary: {file}"),
                Outcome::Fail,
                format!("{file} is a binary: it cannot be reviewed; build it from source instead"),
            )
            .at(file, 0)
        })
        .collect()
}

/// A licence file at the root.
pub fn license_file(root: &Path) -> Check {
    let name = "licence file";
    let found = fs_err::read_dir(root).ok().and_then(|entries| {
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| {
                let upper = n.to_ascii_uppercase();
                upper.starts_with("LICENSE")
                    || upper.starts_with("LICENCE")
                    || upper.starts_with("COPYING")
                    || upper.starts_with("UNLICENSE")
            })
            .collect();
        names.sort();
        names.into_iter().next()
    });
    match found {
        Some(file) => check(
            codes::REPO_LICENSE,
            name,
            Outcome::Pass,
            format!("{file} at the root"),
        ),
        None => check(
            codes::REPO_LICENSE,
            name,
            Outcome::Fail,
            "no LICENSE, LICENCE or COPYING file at the root",
        ),
    }
}

/// Every repository check; the checkout is walked once for the fuzz targets and the binaries.
pub fn checks(root: &Path, now: i64) -> Vec<Check> {
    let files: Vec<PathBuf> = walk(root).collect();
    let mut out = vec![
        security_policy(root),
        security_txt(root, now),
        dependency_updates(root),
        fuzzing(root, &files),
        license_file(root),
    ];
    out.extend(binary_artifacts(root, &files));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_132_800; // 2026-11-20

    #[test]
    fn security_txt_per_rfc_9116() {
        let good = "# ours\nContact: mailto:security@acme.example\nExpires: 2027-06-01T00:00:00Z\nPolicy: https://acme.example/policy\n";
        assert_eq!(security_txt_problems(good, NOW), []);
        let signed = format!(
            "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n{good}-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n"
        );
        assert_eq!(security_txt_problems(&signed, NOW), []);
        let expired = "Contact: https://acme.example/report\nExpires: 2026-01-01T00:00:00Z\n";
        assert_eq!(
            security_txt_problems(expired, NOW),
            [(2, "expired on 2026-01-01T00:00:00Z".to_owned())]
        );
        let bad = "Contact: security@acme.example\nthis is prose\nExpires: soon\nExpires: 2027-01-01T00:00:00Z\n";
        let problems: Vec<u32> = security_txt_problems(bad, NOW)
            .into_iter()
            .map(|(l, _)| l)
            .collect();
        assert_eq!(problems, [1, 2, 4]);
        assert_eq!(
            security_txt_problems("", NOW).len(),
            2,
            "no Contact, no Expires"
        );
        let far = "Contact: mailto:a@b.example\nExpires: 2030-01-01T00:00:00Z\n";
        assert!(
            security_txt_problems(far, NOW)[0]
                .1
                .contains("more than a year")
        );
    }

    #[test]
    fn repository_checks_pass_and_fail() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let outcome = |checks: &[Check], code: Code| {
            checks.iter().find(|c| c.code == code).map(|c| c.outcome)
        };
        let bare = checks(root, NOW);
        for code in [
            codes::REPO_SECURITY_POLICY,
            codes::REPO_DEPENDENCY_UPDATES,
            codes::REPO_FUZZING,
            codes::REPO_LICENSE,
        ] {
            assert_eq!(outcome(&bare, code), Some(Outcome::Fail), "{code}");
        }
        assert_eq!(
            outcome(&bare, codes::REPO_SECURITY_TXT),
            Some(Outcome::NotApplicable)
        );
        assert_eq!(
            outcome(&bare, codes::REPO_BINARY_ARTIFACT),
            Some(Outcome::Pass)
        );
        let write = |path: &str, text: &[u8]| {
            let p = root.join(path);
            fs_err::create_dir_all(p.parent().unwrap()).unwrap();
            fs_err::write(p, text).unwrap();
        };
        write("SECURITY.md", b"Report to security@acme.example. Include steps to reproduce. We acknowledge within 3 days and publish an advisory once fixed. Supported versions: the latest release.\n");
        write(".github/dependabot.yml", b"version: 2\n");
        write("fuzz/Cargo.toml", b"[package]\n");
        write("LICENSE-MIT", b"MIT\n");
        write("tools/helper.exe", b"MZ\x90\x00");
        write("lib/native.bin", b"\x7fELF\x02\x01");
        let checks = checks(root, NOW);
        for code in [
            codes::REPO_SECURITY_POLICY,
            codes::REPO_DEPENDENCY_UPDATES,
            codes::REPO_FUZZING,
            codes::REPO_LICENSE,
        ] {
            assert_eq!(
                outcome(&checks, code),
                Some(Outcome::Pass),
                "{code}: {checks:#?}"
            );
        }
        let binaries: Vec<&str> = checks
            .iter()
            .filter(|c| c.code == codes::REPO_BINARY_ARTIFACT)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(
            binaries,
            [
                "committed binary: lib/native.bin",
                "committed binary: tools/helper.exe"
            ]
        );
        write("SECURITY.md", b"Please be nice.\n");
        assert_eq!(security_policy(root).outcome, Outcome::Fail);
    }
}
