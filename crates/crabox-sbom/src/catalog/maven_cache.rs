//! BSI component fields of Maven packages from the build's local caches, offline: Maven's local
//! repository (`~/.m2/repository`, or `<localRepository>` of `~/.m2/settings.xml`) and Gradle's
//! module cache (`$GRADLE_USER_HOME/caches/modules-2/files-2.1`).
//!
//! - The jar `ARTIFACT-VERSION.jar` is the package's distribution file: its SHA-256 and SHA-512
//!   are computed, and it is used only when the lockfile's own hashes of it (Gradle's
//!   verification metadata) agree, or when the lockfile has none.
//! - Its pom gives the creator (its own `<url>`, else the `<organization>` URL, else a
//!   developer's e-mail) and the licence: one `<license>` whose name or URL is one of the
//!   common spellings of an SPDX licence, or an SPDX identifier. Licences and the organisation
//!   are inherited through `<parent>` poms found in the same cache; a project `<url>` is not (Maven
//!   appends the child's path to it). Several licences, or a name crabox does not know, give
//!   none: a licence is never guessed.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::Context;
use super::pom::{Element, parse_xml};
use crate::model::{Ecosystem, Hash, HashAlg, Package};

/// The largest pom read and jar hashed.
const MAX_POM: u64 = 4 << 20;
const MAX_JAR: u64 = 512 << 20;
/// How many parent poms are followed.
const MAX_PARENTS: usize = 8;

/// Common licence names and URLs in poms, lower case, and their SPDX identifiers.
const LICENCES: &[(&str, &str)] = &[
    ("apache license, version 2.0", "Apache-2.0"),
    ("the apache license, version 2.0", "Apache-2.0"),
    ("the apache software license, version 2.0", "Apache-2.0"),
    ("apache license 2.0", "Apache-2.0"),
    ("apache 2.0", "Apache-2.0"),
    ("apache-2.0", "Apache-2.0"),
    ("https://www.apache.org/licenses/license-2.0", "Apache-2.0"),
    (
        "https://www.apache.org/licenses/license-2.0.txt",
        "Apache-2.0",
    ),
    ("http://www.apache.org/licenses/license-2.0", "Apache-2.0"),
    (
        "http://www.apache.org/licenses/license-2.0.txt",
        "Apache-2.0",
    ),
    ("mit license", "MIT"),
    ("the mit license", "MIT"),
    ("https://opensource.org/licenses/mit", "MIT"),
    ("http://www.opensource.org/licenses/mit-license.php", "MIT"),
    ("eclipse public license - v 2.0", "EPL-2.0"),
    ("eclipse public license 2.0", "EPL-2.0"),
    ("eclipse public license v2.0", "EPL-2.0"),
    ("https://www.eclipse.org/legal/epl-2.0/", "EPL-2.0"),
    ("eclipse public license - v 1.0", "EPL-1.0"),
    ("eclipse public license 1.0", "EPL-1.0"),
    ("bsd 3-clause license", "BSD-3-Clause"),
    ("the bsd 3-clause license", "BSD-3-Clause"),
    ("new bsd license", "BSD-3-Clause"),
    (
        "https://opensource.org/licenses/bsd-3-clause",
        "BSD-3-Clause",
    ),
    ("bsd 2-clause license", "BSD-2-Clause"),
    ("the bsd 2-clause license", "BSD-2-Clause"),
    ("mozilla public license, version 2.0", "MPL-2.0"),
    ("https://www.mozilla.org/en-us/mpl/2.0/", "MPL-2.0"),
];

/// The SPDX identifier of a pom's `<license>`: its name, else its URL, in [`LICENCES`], or a
/// name that is an SPDX identifier itself.
fn licence_id(license: &Element) -> Option<String> {
    let known = |text: &str| {
        let key = text.trim().to_ascii_lowercase();
        LICENCES
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, id)| (*id).to_owned())
    };
    let name = license.text_of("name");
    name.and_then(known)
        .or_else(|| license.text_of("url").and_then(known))
        .or_else(|| {
            let name = name?.trim();
            spdx::license_id(name)
                .filter(|id| id.name == name)
                .map(|id| id.name.to_owned())
        })
}

fn http_url(text: &str) -> Option<String> {
    let text = text.trim();
    ((text.starts_with("https://") || text.starts_with("http://"))
        && !text.contains(char::is_whitespace)
        && !text.contains("${"))
    .then(|| text.to_owned())
}

fn email(text: &str) -> Option<String> {
    let text = text.trim();
    let (local, domain) = text.split_once('@')?;
    (!local.is_empty() && domain.contains('.') && !text.contains(char::is_whitespace))
        .then(|| text.to_owned())
}

/// The directories that may hold `group:artifact:version`'s files.
fn candidates(context: &Context, group: &str, artifact: &str, version: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(repository) = &context.maven_repository {
        let mut dir = repository.clone();
        dir.extend(group.split('.'));
        out.push(dir.join(artifact).join(version));
    }
    if let Some(gradle) = &context.gradle_home {
        let dir = gradle
            .join("caches/modules-2/files-2.1")
            .join(group)
            .join(artifact)
            .join(version);
        // One directory per file, named by the file's SHA-1.
        if let Ok(entries) = fs_err::read_dir(&dir) {
            let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            dirs.sort();
            out.extend(dirs);
        }
    }
    out
}

/// A plain file of at most `limit` bytes in one of `dirs`.
fn find(dirs: &[PathBuf], name: &str, limit: u64) -> Option<PathBuf> {
    dirs.iter()
        .map(|d| d.join(name))
        .find(|path| fs_err::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.len() <= limit))
}

fn read_pom(dirs: &[PathBuf], artifact: &str, version: &str, context: &Context) -> Option<Element> {
    let path = find(dirs, &format!("{artifact}-{version}.pom"), MAX_POM)?;
    let text = fs_err::read_to_string(path).ok()?;
    parse_xml(crabox_types::encoding::strip_bom(&text), context).ok()
}

/// The licence and creator a pom and its parents in the caches state.
fn about(pom: &Element, context: &Context) -> (Option<String>, Option<String>) {
    let own_url = pom.text_of("url").and_then(http_url);
    let mut licence = None;
    let mut organization = None;
    let mut developer = None;
    let mut current = Some(pom);
    let mut parents: Vec<Element> = Vec::new();
    while let Some(project) = current {
        if licence.is_none() {
            let licences: Vec<&Element> = project.all(&["licenses", "license"]).collect();
            // Declared licences stop the inheritance, known or not.
            if !licences.is_empty() {
                licence = Some(match licences.as_slice() {
                    [one] => licence_id(one),
                    _ => None,
                });
            }
        }
        organization = organization.or_else(|| {
            project
                .child("organization")
                .and_then(|o| o.text_of("url"))
                .and_then(http_url)
        });
        developer = developer.or_else(|| {
            project.all(&["developers", "developer"]).find_map(|d| {
                d.text_of("email")
                    .and_then(email)
                    .or_else(|| d.text_of("url").and_then(http_url))
            })
        });
        if parents.len() >= MAX_PARENTS {
            break;
        }
        let parent = project.child("parent").and_then(|p| {
            let (g, a, v) = (
                p.text_of("groupId")?,
                p.text_of("artifactId")?,
                p.text_of("version")?,
            );
            read_pom(&candidates(context, g, a, v), a, v, context)
        });
        match parent {
            Some(parent) => {
                parents.push(parent);
                current = parents.last();
            }
            None => current = None,
        }
    }
    (licence.flatten(), own_url.or(organization).or(developer))
}

/// Adds the jar, its hashes, licence and creator of each Maven package found in the caches.
pub fn describe(packages: &mut [Package], context: &Context) {
    if context.maven_repository.is_none() && context.gradle_home.is_none() {
        return;
    }
    packages
        .par_iter_mut()
        .filter(|p| p.ecosystem == Ecosystem::Maven && !p.version.is_empty())
        .for_each(|package| {
            let Some((group, artifact)) = package.name.split_once(':') else {
                return;
            };
            let (group, artifact) = (group.to_owned(), artifact.to_owned());
            let version = package.version.clone();
            let dirs = candidates(context, &group, &artifact, &version);
            if dirs.is_empty() {
                return;
            }
            let jar_name = format!("{artifact}-{version}.jar");
            if let Some(jar) = find(&dirs, &jar_name, MAX_JAR)
                && let Ok(described) = crate::artifact::describe(&jar)
            {
                let agrees = |alg: HashAlg, hex: &str| {
                    package
                        .hashes
                        .iter()
                        .filter(|h| h.alg == alg)
                        .all(|h| h.hex == hex)
                };
                // A jar the lockfile's own hashes disagree with is another file: not described.
                if agrees(HashAlg::Sha256, &described.sha256)
                    && agrees(HashAlg::Sha512, &described.sha512)
                {
                    for (alg, hex) in [
                        (HashAlg::Sha256, &described.sha256),
                        (HashAlg::Sha512, &described.sha512),
                    ] {
                        if !package.hashes.iter().any(|h| h.alg == alg) {
                            package.hashes.extend(Hash::from_hex(alg, hex));
                        }
                    }
                    package.origin_mut().file_name = Some(jar_name);
                }
            }
            if let Some(pom) = read_pom(&dirs, &artifact, &version, context) {
                let (licence, creator) = about(&pom, context);
                if package.licenses.is_empty() {
                    package.licenses.extend(licence);
                }
                if let Some(creator) = creator {
                    package.origin_mut().creator = Some(creator);
                }
            }
        });
}

/// Maven's local repository: `<localRepository>` of `~/.m2/settings.xml` (with `${user.home}`),
/// else `~/.m2/repository`.
pub fn local_repository(home: &Path) -> PathBuf {
    let settings = fs_err::read_to_string(home.join(".m2/settings.xml")).unwrap_or_default();
    let configured = settings
        .split_once("<localRepository>")
        .and_then(|(_, rest)| rest.split_once("</localRepository>"))
        .map(|(path, _)| path.trim().replace("${user.home}", &home.to_string_lossy()))
        .filter(|p| !p.is_empty());
    configured.map_or_else(|| home.join(".m2/repository"), PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &[u8]) {
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, text).unwrap();
    }

    #[test]
    fn the_jar_and_the_pom_chain_in_the_local_repository() {
        use sha2::Digest as _;
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repository");
        let lang = repo.join("org/apache/commons/commons-lang3/3.12.0");
        write(&lang.join("commons-lang3-3.12.0.jar"), b"PK the jar");
        write(
            &lang.join("commons-lang3-3.12.0.pom"),
            b"<project><parent><groupId>org.apache.commons</groupId><artifactId>commons-parent</artifactId><version>52</version></parent>
              <artifactId>commons-lang3</artifactId><url>https://commons.apache.org/proper/commons-lang/</url></project>",
        );
        write(
            &repo.join("org/apache/commons/commons-parent/52/commons-parent-52.pom"),
            b"<project><parent><groupId>org.apache</groupId><artifactId>apache</artifactId><version>23</version></parent><artifactId>commons-parent</artifactId></project>",
        );
        write(
            &repo.join("org/apache/apache/23/apache-23.pom"),
            b"<project><artifactId>apache</artifactId><organization><name>ASF</name><url>https://www.apache.org/</url></organization>
              <licenses><license><name>Apache License, Version 2.0</name><url>https://www.apache.org/licenses/LICENSE-2.0.txt</url></license></licenses></project>",
        );
        // A second package: its pom names two licences (not chosen) and a developer.
        let two = repo.join("com/acme/two/1.0");
        write(
            &two.join("two-1.0.pom"),
            b"<project><licenses><license><name>MIT</name></license><license><name>Apache-2.0</name></license></licenses>
              <developers><developer><email>dev@acme.example</email></developer></developers></project>",
        );
        // A third: the lockfile's SHA-256 of the jar is another file's.
        let three = repo.join("com/acme/three/1.0");
        write(&three.join("three-1.0.jar"), b"PK a different build");
        let context = Context {
            maven_repository: Some(repo),
            ..Context::default()
        };
        let mut packages = vec![
            Package::new(
                Ecosystem::Maven,
                "org.apache.commons:commons-lang3",
                "3.12.0",
            ),
            Package::new(Ecosystem::Maven, "com.acme:two", "1.0"),
            Package::new(Ecosystem::Maven, "com.acme:three", "1.0"),
            Package::new(Ecosystem::Maven, "com.acme:absent", "1.0"),
        ];
        packages[2]
            .hashes
            .extend(Hash::from_hex(HashAlg::Sha256, &"ab".repeat(32)));
        describe(&mut packages, &context);
        let lang = &packages[0];
        assert_eq!(lang.licenses, ["Apache-2.0"]);
        let origin = lang.origin.as_deref().unwrap();
        assert_eq!(
            origin.creator.as_deref(),
            Some("https://commons.apache.org/proper/commons-lang/")
        );
        assert_eq!(
            origin.file_name.as_deref(),
            Some("commons-lang3-3.12.0.jar")
        );
        let sha512 = crate::encoding::hex(&sha2::Sha512::digest(b"PK the jar"));
        assert!(
            lang.hashes
                .iter()
                .any(|h| h.alg == HashAlg::Sha512 && h.hex == sha512)
        );
        let two = &packages[1];
        assert!(two.licenses.is_empty(), "two licences: none chosen");
        assert_eq!(
            two.origin.as_deref().unwrap().creator.as_deref(),
            Some("dev@acme.example")
        );
        assert!(
            packages[2].origin.is_none(),
            "the jar is not the one the lockfile pins"
        );
        assert_eq!(packages[2].hashes.len(), 1);
        assert!(packages[3].origin.is_none());
    }

    #[test]
    fn the_gradle_module_cache_and_the_settings_local_repository() {
        let dir = tempfile::tempdir().unwrap();
        let gradle = dir.path().join("gradle");
        let files = gradle.join("caches/modules-2/files-2.1/com.google.guava/guava/33.0.0-jre");
        write(&files.join("0a1b/guava-33.0.0-jre.jar"), b"PK guava");
        write(
            &files.join("9f8e/guava-33.0.0-jre.pom"),
            b"<project><url>https://github.com/google/guava</url><licenses><license><name>Apache License, Version 2.0</name></license></licenses></project>",
        );
        let context = Context {
            gradle_home: Some(gradle),
            ..Context::default()
        };
        let mut packages = vec![Package::new(
            Ecosystem::Maven,
            "com.google.guava:guava",
            "33.0.0-jre",
        )];
        describe(&mut packages, &context);
        assert_eq!(packages[0].licenses, ["Apache-2.0"]);
        let origin = packages[0].origin.as_deref().unwrap();
        assert_eq!(origin.file_name.as_deref(), Some("guava-33.0.0-jre.jar"));
        assert_eq!(
            origin.creator.as_deref(),
            Some("https://github.com/google/guava")
        );

        let home = dir.path().join("home");
        assert_eq!(local_repository(&home), home.join(".m2/repository"));
        write(
            &home.join(".m2/settings.xml"),
            b"<settings><localRepository>${user.home}/m2cache</localRepository></settings>",
        );
        assert_eq!(local_repository(&home), home.join("m2cache"));
    }
}
