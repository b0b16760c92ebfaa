//! `gradle.lockfile` (Gradle dependency locking, one file per project): a line
//! `group:artifact:version=configuration,…` per resolved module, `#` comments, and
//! `empty=…` naming configurations that resolved to nothing. A module is shipped when a
//! compile or runtime class path that is not a test one holds it (`compileClasspath`,
//! `releaseRuntimeClasspath`); tooling (`checkstyle`, `jacocoAnt`) and test class paths are
//! development scope. The lockfile records no edges. SHA-256 sums come from
//! `gradle/verification-metadata.xml` when the project has one (beside the lockfile or above it).

use super::{Context, Parsed};
use crate::error::SbomError;
use crate::model::{Ecosystem, Hash, HashAlg, Package, Scope};

/// Whether a configuration is a class path of the shipped code.
fn shipped(configuration: &str) -> bool {
    let lower = configuration.to_ascii_lowercase();
    let class_path = lower.ends_with("compileclasspath") || lower.ends_with("runtimeclasspath");
    // `testRuntimeClasspath`, `java17TestCompileClasspath` (a test suite),
    // `androidTestReleaseRuntimeClasspath`, `testFixturesCompileClasspath`.
    let test = configuration.starts_with("test") || configuration.contains("Test");
    class_path && !test
}

pub fn parse(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let mut parsed = Parsed::new();
    parsed.graph_complete = false;
    for (n, line) in text.lines().enumerate() {
        let number = u32::try_from(n + 1).unwrap_or(u32::MAX);
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("empty=") {
            continue;
        }
        let Some((module, configurations)) = line.split_once('=') else {
            return Err(context.parse_error(
                number,
                "expected `group:artifact:version=configurations` (a gradle.lockfile line)",
            ));
        };
        let parts: Vec<&str> = module.split(':').collect();
        let [group, artifact, version] = parts[..] else {
            parsed.skip(context.diagnostic(
                number,
                format!("`{module}` is not `group:artifact:version`"),
            ));
            continue;
        };
        if group.is_empty() || artifact.is_empty() || version.is_empty() {
            parsed.skip(context.diagnostic(number, format!("`{module}` has an empty part")));
            continue;
        }
        let mut package = Package::new(Ecosystem::Maven, format!("{group}:{artifact}"), version);
        package.line = number;
        if !configurations.split(',').any(shipped) {
            package.scope = Scope::Dev;
        }
        parsed.packages.push(package);
    }
    if let Some(metadata) = verification_metadata(context) {
        add_hashes(&mut parsed.packages, &metadata);
    }
    super::maven_cache::describe(&mut parsed.packages, context);
    Ok(parsed)
}

/// `gradle/verification-metadata.xml` of the build: beside the lockfile or in a directory above
/// it (a sub-project's lockfile sits below the root project).
fn verification_metadata(context: &Context) -> Option<String> {
    let mut dir = Some(context.dir.as_path());
    for _ in 0..4 {
        let here = dir?;
        // Not above the repository.
        if context
            .root
            .as_ref()
            .is_some_and(|root| !here.starts_with(root))
        {
            return None;
        }
        if let Some(text) = super::sibling(here, "gradle/verification-metadata.xml") {
            return Some(text);
        }
        dir = here.parent();
    }
    None
}

/// Adds the SHA-256 (else SHA-512, SHA-1) that the verification metadata records for each
/// module's jar.
fn add_hashes(packages: &mut [Package], xml: &str) {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut module: Option<(String, String)> = None;
    let mut jar = false;
    let mut sums: std::collections::HashMap<(String, String), Vec<Hash>> =
        std::collections::HashMap::new();
    loop {
        let event = match reader.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(event) => event,
        };
        let (Event::Start(e) | Event::Empty(e)) = &event else {
            if let Event::End(e) = &event {
                match e.local_name().as_ref() {
                    b"component" => module = None,
                    b"artifact" => jar = false,
                    _ => {}
                }
            }
            continue;
        };
        let attribute = |name: &[u8]| {
            e.attributes()
                .flatten()
                .find(|a| a.key.local_name().as_ref() == name)
                .and_then(|a| {
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .ok()
                        .map(std::borrow::Cow::into_owned)
                })
        };
        match e.local_name().as_ref() {
            b"component" => {
                module = match (
                    attribute(b"group"),
                    attribute(b"name"),
                    attribute(b"version"),
                ) {
                    (Some(g), Some(n), Some(v)) => Some((format!("{g}:{n}"), v)),
                    _ => None,
                };
            }
            b"artifact" => {
                jar = attribute(b"name").is_some_and(|n| {
                    std::path::Path::new(&n)
                        .extension()
                        .is_some_and(|x| x.eq_ignore_ascii_case("jar"))
                });
            }
            tag @ (b"sha1" | b"sha256" | b"sha512") if jar => {
                let alg = match tag {
                    b"sha1" => HashAlg::Sha1,
                    b"sha256" => HashAlg::Sha256,
                    _ => HashAlg::Sha512,
                };
                if let (Some(key), Some(hash)) = (
                    &module,
                    attribute(b"value").and_then(|v| Hash::from_hex(alg, &v)),
                ) {
                    sums.entry(key.clone()).or_default().push(hash);
                }
            }
            _ => {}
        }
    }
    for package in packages {
        if let Some(hashes) = sums.get(&(package.name.clone(), package.version.clone())) {
            let mut hashes = hashes.clone();
            hashes.sort();
            hashes.dedup();
            package.hashes = hashes;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = "# This is a Gradle generated file for dependency locking.
com.google.guava:guava:31.1-jre=checkstyle,compileClasspath
org.junit.jupiter:junit-jupiter-api:5.9.2=testCompileClasspath,testRuntimeClasspath
androidx.core:core:1.12.0=releaseRuntimeClasspath
org.jacoco:org.jacoco.agent:0.8.8=jacocoAgent,jacocoAnt
net.bytebuddy:byte-buddy:1.14.18=java17TestCompileClasspath,java17TestRuntimeClasspath
empty=annotationProcessor
";

    #[test]
    fn modules_with_their_scope_and_hashes() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(dir.path().join("gradle")).unwrap();
        fs_err::write(
            dir.path().join("gradle/verification-metadata.xml"),
            r#"<?xml version="1.0" encoding="UTF-8"?>
<verification-metadata xmlns="https://schema.gradle.org/dependency-verification">
   <components>
      <component group="com.google.guava" name="guava" version="31.1-jre">
         <artifact name="guava-31.1-jre.jar">
            <sha256 value="A42EDC9CAB792E39FE39BB94F3FCA655ED157FF87A8AF78E1D6BA5B07C4A00AB" origin="Generated by Gradle"/>
         </artifact>
         <artifact name="guava-31.1-jre.pom">
            <sha256 value="0000000000000000000000000000000000000000000000000000000000000000"/>
         </artifact>
      </component>
   </components>
</verification-metadata>"#,
        )
        .unwrap();
        let context = Context {
            dir: dir.path().join("app"),
            display: "app/gradle.lockfile".into(),
            ..Context::default()
        };
        let parsed = parse(LOCK, &context).unwrap();
        let listed: Vec<String> = parsed
            .packages
            .iter()
            .map(|p| format!("{}@{} {:?} line {}", p.name, p.version, p.scope, p.line))
            .collect();
        assert_eq!(
            listed,
            [
                "com.google.guava:guava@31.1-jre Required line 2",
                "org.junit.jupiter:junit-jupiter-api@5.9.2 Dev line 3",
                "androidx.core:core@1.12.0 Required line 4",
                "org.jacoco:org.jacoco.agent@0.8.8 Dev line 5",
                "net.bytebuddy:byte-buddy@1.14.18 Dev line 6",
            ]
        );
        assert_eq!(
            parsed.packages[0].purl(),
            "pkg:maven/com.google.guava/guava@31.1-jre"
        );
        assert_eq!(
            parsed.packages[0].hashes,
            [Hash::from_hex(
                HashAlg::Sha256,
                "a42edc9cab792e39fe39bb94f3fca655ed157ff87a8af78e1d6ba5b07c4a00ab"
            )
            .unwrap()],
            "the jar's sum, not the pom's"
        );
        assert!(!parsed.graph_complete);
    }

    #[test]
    fn bad_lines_are_named() {
        let err = parse("a:b:1\n", &Context::default()).unwrap_err();
        assert!(err.to_string().contains(":1"), "{err}");
        let parsed = parse("a:b=compileClasspath\n", &Context::default()).unwrap();
        assert!(!parsed.complete);
        assert_eq!(parsed.diagnostics[0].line, 1);
    }
}
