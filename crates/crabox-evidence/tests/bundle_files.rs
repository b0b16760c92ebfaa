//! Manifest, archive and checks on a small bundle directory: deterministic bytes, and every
//! changed, missing, unexpected or unsafe entry named.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use crabox_evidence::archive;
use crabox_evidence::check::{self, Problem};
use crabox_evidence::manifest::{Digested, Inputs, MANIFEST, Manifest, Tool};

const FILES: &[(&str, &str)] = &[
    ("cra/report.json", "{\"rows\": []}\n"),
    ("sbom/app.cdx.json", "{\"bomFormat\": \"CycloneDX\"}\n"),
    ("audit/findings.json", "{\"findings\": []}\n"),
    ("declarations/risk-assessment.md", "# Risks\n"),
];

fn bundle(dir: &Path) {
    for (path, text) in FILES {
        let path = dir.join(path);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, text).unwrap();
    }
    let inputs = Inputs {
        repository: Some("https://github.com/acme/gateway".into()),
        commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        tag: Some("v1.4.0".into()),
        dirty: Some(false),
        lockfiles: vec![Digested {
            path: "Cargo.lock".into(),
            sha256: "00".repeat(32),
        }],
        databases: Vec::new(),
        skipped_lockfiles: Vec::new(),
    };
    let tool = Tool {
        name: "crabox".into(),
        version: "0.1.0".into(),
    };
    let manifest = Manifest::of_directory(dir, tool, inputs).unwrap();
    fs_err::write(dir.join(MANIFEST), manifest.to_bytes()).unwrap();
}

fn archive_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    archive::write(dir, "acme-gateway-1.4.0", 1_700_000_000, &mut out).unwrap();
    out
}

#[test]
fn the_manifest_lists_every_file_sorted_and_the_archive_is_byte_identical() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    bundle(a.path());
    bundle(b.path());
    let manifest =
        Manifest::from_bytes("m", &fs_err::read(a.path().join(MANIFEST)).unwrap()).unwrap();
    let paths: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "audit/findings.json",
            "cra/report.json",
            "declarations/risk-assessment.md",
            "sbom/app.cdx.json"
        ]
    );
    let (first, second) = (archive_bytes(a.path()), archive_bytes(b.path()));
    assert_eq!(
        first, second,
        "two bundles of the same files give the same archive"
    );
    let out = tempfile::tempdir().unwrap();
    let archived = out.path().join("b.tar.gz");
    fs_err::write(&archived, &first).unwrap();
    let checked = check::archive(&archived).unwrap();
    assert_eq!(checked.problems, []);
    assert_eq!(checked.manifest, manifest);
    assert_eq!(check::directory(a.path()).unwrap().problems, []);
}

#[test]
fn each_changed_file_is_named_with_both_digests_in_the_directory_and_the_archive() {
    for (path, _) in FILES {
        let dir = tempfile::tempdir().unwrap();
        bundle(dir.path());
        let target = dir.path().join(path);
        let mut bytes = fs_err::read(&target).unwrap();
        bytes[0] ^= 0x01;
        fs_err::write(&target, &bytes).unwrap();
        let problems = check::directory(dir.path()).unwrap().problems;
        assert!(
            matches!(problems.as_slice(), [Problem::Changed { path: p, expected, actual }] if p == path && expected != actual),
            "{path}: {problems:?}"
        );
        let archived = tempfile::NamedTempFile::new().unwrap();
        fs_err::write(archived.path(), archive_bytes(dir.path())).unwrap();
        let problems = check::archive(archived.path()).unwrap().problems;
        assert!(
            matches!(problems.as_slice(), [Problem::Changed { path: p, .. }] if p == path),
            "{path}: {problems:?}"
        );
        assert!(
            problems[0]
                .to_string()
                .starts_with(&format!("{path}: changed: sha256 "))
        );
    }
}

#[test]
fn missing_and_unexpected_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    bundle(dir.path());
    fs_err::remove_file(dir.path().join("sbom/app.cdx.json")).unwrap();
    fs_err::write(dir.path().join("extra.txt"), "x").unwrap();
    let problems = check::directory(dir.path()).unwrap().problems;
    assert_eq!(
        problems,
        [
            Problem::Missing {
                path: "sbom/app.cdx.json".into()
            },
            Problem::Unexpected {
                path: "extra.txt".into()
            },
        ]
    );
}

#[test]
fn archive_entries_that_could_escape_or_are_links_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    bundle(dir.path());
    let manifest = fs_err::read(dir.path().join(MANIFEST)).unwrap();
    let mut out = Vec::new();
    {
        let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
            &mut out,
            flate2::Compression::fast(),
        ));
        let mut add = |name: &str, kind: tar::EntryType, data: &[u8]| {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(kind);
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            if kind == tar::EntryType::Symlink {
                header.set_link_name("/etc/passwd").unwrap();
            }
            // Written raw: the tar crate refuses `..` in names it is given to set.
            let bytes = name.as_bytes();
            header.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
            header.set_cksum();
            tar.append(&header, data).unwrap();
        };
        add("b/manifest.json", tar::EntryType::Regular, &manifest);
        add("b/../evil.sh", tar::EntryType::Regular, b"x");
        add("/etc/cron.d/evil", tar::EntryType::Regular, b"x");
        add("b/link", tar::EntryType::Symlink, b"");
        tar.into_inner().unwrap().finish().unwrap();
    }
    let archived = tempfile::NamedTempFile::new().unwrap();
    fs_err::write(archived.path(), &out).unwrap();
    let problems = check::archive(archived.path()).unwrap().problems;
    let refused: Vec<&str> = problems
        .iter()
        .filter_map(|p| match p {
            Problem::Refused { path, .. } => Some(path.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        refused,
        ["b/../evil.sh", "/etc/cron.d/evil", "b/link"],
        "{problems:?}"
    );
    // And the files the manifest lists are missing from this archive.
    assert!(
        problems
            .iter()
            .any(|p| matches!(p, Problem::Missing { .. }))
    );
}
