//! Java archives given as artifacts (`.jar`, `.war`, `.ear`): the Maven coordinates each archive
//! records in `META-INF/maven/<group>/<artifact>/pom.properties`, for the archive itself and for
//! every archive nested in it (`BOOT-INF/lib/`, `WEB-INF/lib/`, `lib/`, shaded ones), with the
//! SHA-256 and SHA-512 of each nested archive. A nested archive without `pom.properties` is named
//! from its `MANIFEST.MF` in a diagnostic (its Maven group is not known, so it cannot be
//! audited) and the listing is incomplete.
//!
//! Hostile input: nesting is followed three deep, at most 100,000 entries per archive, a nested
//! archive is read into memory up to 256 MiB, text files up to 1 MiB; names are only compared.

use std::io::{Cursor, Read, Seek};
use std::path::Path;

use sha2::{Digest, Sha256, Sha512};

use crate::catalog::{Context, Parsed};
use crate::error::SbomError;
use crate::model::{Ecosystem, Format, Hash, HashAlg, Lockfile, Package};

const MAX_DEPTH: usize = 3;
const MAX_ENTRIES: usize = 100_000;
const MAX_NESTED: u64 = 256 << 20;
const MAX_TEXT: u64 = 1 << 20;

/// Whether a file name is a Java archive's.
pub fn is_java_archive(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".jar", ".war", ".ear"].iter().any(|x| lower.ends_with(x))
}

fn properties(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| l.split_once(['=', ':']))
        .map(|(k, v)| (k.trim(), v.trim()))
}

/// `MANIFEST.MF` main attributes (continuation lines joined).
fn manifest(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if let Some(rest) = line.strip_prefix(' ') {
            if let Some((_, value)) = out.last_mut() {
                value.push_str(rest);
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    out
}

fn read_text<R: Read + Seek>(archive: &mut zip::ZipArchive<R>, index: usize) -> Option<String> {
    let entry = archive.by_index(index).ok()?;
    let mut text = String::new();
    entry.take(MAX_TEXT).read_to_string(&mut text).ok()?;
    Some(text)
}

/// Reads one archive (and what it nests) into `parsed`; `label` names it in messages.
fn read_archive<R: Read + Seek>(
    reader: R,
    label: &str,
    depth: usize,
    hashes: &[Hash],
    parsed: &mut Parsed,
    context: &Context,
) -> Result<(), String> {
    let mut archive = zip::ZipArchive::new(reader)
        .map_err(|e| format!("`{label}` is not a Java archive: {e}"))?;
    if archive.len() > MAX_ENTRIES {
        return Err(format!("`{label}` has more than {MAX_ENTRIES} entries"));
    }
    let names: Vec<String> = (0..archive.len())
        .map(|i| {
            archive
                .name_for_index(i)
                .and_then(Result::ok)
                .map(std::borrow::Cow::into_owned)
                .unwrap_or_default()
        })
        .collect();
    let mut found_here = 0;
    for (i, name) in names.iter().enumerate() {
        if !(name.starts_with("META-INF/maven/") && name.ends_with("/pom.properties")) {
            continue;
        }
        let Some(text) = read_text(&mut archive, i) else {
            continue;
        };
        let get = |key: &str| {
            properties(&text)
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_owned())
        };
        if let (Some(group), Some(artifact), Some(version)) =
            (get("groupId"), get("artifactId"), get("version"))
        {
            let mut package =
                Package::new(Ecosystem::Maven, format!("{group}:{artifact}"), version);
            // The archive's own coordinates carry its sums; a shaded dependency's have none.
            let own = label
                .rsplit('/')
                .next()
                .is_some_and(|file| file.starts_with(&artifact));
            if own || found_here == 0 {
                package.hashes = hashes.to_vec();
            }
            found_here += 1;
            // The artifact given is the product itself (described as such), not a component.
            if depth == 0 && own {
                continue;
            }
            parsed.packages.push(package);
        }
    }
    if found_here == 0 && depth > 0 {
        let title = manifest_title(&mut archive, &names);
        parsed.skip(context.diagnostic(
            0,
            format!(
                "`{label}` has no Maven coordinates (pom.properties){}: its group is not known, so it is not audited",
                title.map(|t| format!("; its manifest says `{}`", t.trim())).unwrap_or_default()
            ),
        ));
    }
    if depth < MAX_DEPTH {
        nested(&mut archive, &names, label, depth, parsed, context);
    }
    Ok(())
}

/// `Bundle-SymbolicName`/`Implementation-Title` and version of an archive's manifest.
fn manifest_title<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    names: &[String],
) -> Option<String> {
    let index = names.iter().position(|n| n == "META-INF/MANIFEST.MF")?;
    let attributes = manifest(&read_text(archive, index)?);
    let get = |k: &str| {
        attributes
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let name = get("Bundle-SymbolicName").or_else(|| get("Implementation-Title"))?;
    let version = get("Bundle-Version").or_else(|| get("Implementation-Version"));
    Some(format!("{name} {}", version.unwrap_or_default()))
}

/// Reads the archives nested in `archive`, one level deeper.
fn nested<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    names: &[String],
    label: &str,
    depth: usize,
    parsed: &mut Parsed,
    context: &Context,
) {
    for (i, name) in names.iter().enumerate() {
        if !is_java_archive(name) {
            continue;
        }
        let Ok(entry) = archive.by_index(i) else {
            continue;
        };
        if entry.size() > MAX_NESTED {
            parsed.skip(context.diagnostic(
                0,
                format!("`{label}!/{name}` is over {MAX_NESTED} bytes: not read"),
            ));
            continue;
        }
        let mut bytes = Vec::new();
        if entry.take(MAX_NESTED).read_to_end(&mut bytes).is_err() {
            parsed.skip(context.diagnostic(0, format!("`{label}!/{name}` could not be read")));
            continue;
        }
        let sums: Vec<Hash> = [
            (
                HashAlg::Sha256,
                crate::encoding::hex(&Sha256::digest(&bytes)),
            ),
            (
                HashAlg::Sha512,
                crate::encoding::hex(&Sha512::digest(&bytes)),
            ),
        ]
        .into_iter()
        .filter_map(|(alg, hex)| Hash::from_hex(alg, &hex))
        .collect();
        let nested_label = format!("{label}!/{name}");
        if let Err(why) = read_archive(
            Cursor::new(bytes),
            &nested_label,
            depth + 1,
            &sums,
            parsed,
            context,
        ) {
            parsed.skip(context.diagnostic(0, why));
        }
    }
}

/// The Maven packages of the Java archive at `path` (shown relative to `root`), `None` when it
/// is not a Java archive by name.
pub fn scan(root: &Path, path: &Path) -> Result<Option<Lockfile>, SbomError> {
    let shown = crate::display(root, path);
    if !is_java_archive(&shown) {
        return Ok(None);
    }
    let file = fs_err::File::open(path).map_err(|source| SbomError::Read {
        path: path.to_owned(),
        source,
    })?;
    let context = Context {
        display: shown.clone(),
        ..Context::default()
    };
    let mut parsed = Parsed::new();
    parsed.graph_complete = false;
    read_archive(
        std::io::BufReader::new(file),
        &shown,
        0,
        &[],
        &mut parsed,
        &context,
    )
    .map_err(|why| context.parse_error(0, why))?;
    // The same coordinates nested twice are one package.
    let mut seen = std::collections::HashSet::new();
    parsed
        .packages
        .retain(|p| seen.insert((p.name.clone(), p.version.clone())));
    Ok(Some(parsed.into_lockfile(shown, Format::JavaArchive)))
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn jar(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes) in entries {
            writer
                .start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            writer.write_all(bytes).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn a_fat_jar_lists_its_nested_archives() {
        let guava = jar(&[(
            "META-INF/maven/com.google.guava/guava/pom.properties",
            b"#Created by Maven\nartifactId=guava\ngroupId=com.google.guava\nversion=31.1-jre\n",
        )]);
        let unknown = jar(&[(
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\nImplementation-Title: vendor-blob\nImplementation-Version: 7\n",
        )]);
        let app = jar(&[
            (
                "META-INF/maven/com.acme/gateway/pom.properties",
                b"groupId=com.acme\nartifactId=gateway\nversion=1.4.0\n",
            ),
            ("BOOT-INF/lib/guava-31.1-jre.jar", &guava),
            ("BOOT-INF/lib/vendor-blob.jar", &unknown),
        ]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gateway-1.4.0.jar");
        fs_err::write(&path, &app).unwrap();
        let lockfile = scan(dir.path(), &path).unwrap().unwrap();
        let listed: Vec<String> = lockfile
            .packages
            .iter()
            .map(|p| format!("{}@{} sums={}", p.name, p.version, p.hashes.len()))
            .collect();
        assert_eq!(
            listed,
            ["com.google.guava:guava@31.1-jre sums=2"],
            "the jar given is the product, not a component"
        );
        assert_eq!(
            lockfile.packages[0].hashes[0].hex,
            crate::encoding::hex(&Sha256::digest(&guava))
        );
        assert!(!lockfile.complete);
        assert!(
            lockfile.diagnostics[0].message.contains("vendor-blob 7"),
            "{:?}",
            lockfile.diagnostics
        );
    }

    #[test]
    fn not_a_zip_is_an_error_and_other_names_are_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.jar");
        fs_err::write(&path, b"not a zip").unwrap();
        assert!(scan(dir.path(), &path).is_err());
        let other = dir.path().join("server");
        fs_err::write(&other, b"x").unwrap();
        assert!(scan(dir.path(), &other).unwrap().is_none());
    }
}
