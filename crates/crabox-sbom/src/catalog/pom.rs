//! Maven `pom.xml`: the dependencies a project declares, with versions resolved as Maven would
//! from the project's properties, its parent chain (each parent read from `relativePath`,
//! default `../pom.xml`, when that file is the named parent) and the `dependencyManagement` of
//! the chain, and the BOMs it imports (`<scope>import</scope>`) that are in the repository (found
//! by their coordinates among its `pom.xml` files). A version that stays unresolved (a parent or
//! imported BOM outside the tree, a property nobody defines, a range) is said with its line and
//! the package is left out.
//!
//! A `pom.xml` declares direct dependencies only: what they depend on is not in the file, and
//! crabox does not resolve it from a repository. The lockfile is therefore always incomplete,
//! and says so; a `gradle.lockfile`, or the jars of the build, list the rest.

use std::collections::HashMap;
use std::path::Path;

use quick_xml::events::Event;

use super::{Context, Parsed};
use crate::encoding::LineIndex;
use crate::error::SbomError;
use crate::model::{Ecosystem, Package, Scope};

/// One XML element: its local name, text, children and line.
#[derive(Debug, Default)]
pub(super) struct Element {
    name: String,
    text: String,
    children: Vec<Element>,
    line: u32,
}

impl Element {
    pub(super) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub(super) fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }

    pub(super) fn all<'a>(
        &'a self,
        path: &'a [&str],
    ) -> Box<dyn Iterator<Item = &'a Element> + 'a> {
        match path {
            [] => Box::new(std::iter::once(self)),
            [first, rest @ ..] => Box::new(
                self.children
                    .iter()
                    .filter(move |c| c.name == *first)
                    .flat_map(move |c| c.all(rest)),
            ),
        }
    }
}

const MAX_DEPTH: usize = 64;

pub(super) fn parse_xml(text: &str, context: &Context) -> Result<Element, SbomError> {
    let index = LineIndex::new(text);
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        let at = usize::try_from(reader.buffer_position()).unwrap_or(0);
        let event = reader.read_event().map_err(|e| {
            let line = index.line(usize::try_from(reader.error_position()).unwrap_or(at));
            context.parse_error(line, format!("not a valid pom.xml (XML): {e}"))
        })?;
        match event {
            Event::Start(e) => {
                if stack.len() > MAX_DEPTH {
                    return Err(context.parse_error(
                        index.line(at),
                        format!("elements nested more than {MAX_DEPTH} deep"),
                    ));
                }
                stack.push(Element {
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    line: index.line(at),
                    ..Element::default()
                });
            }
            Event::Empty(e) => {
                let element = Element {
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    line: index.line(at),
                    ..Element::default()
                };
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(element);
                }
            }
            Event::Text(t) => {
                if let (Some(top), Ok(text)) = (stack.last_mut(), t.xml10_content()) {
                    top.text.push_str(&text);
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::GeneralRef(r) => {
                if let Some(top) = stack.last_mut() {
                    let name = String::from_utf8_lossy(&r);
                    top.text.push_str(match name.as_ref() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    });
                }
            }
            Event::End(_) if stack.len() > 1 => {
                let done = stack.pop().unwrap_or_default();
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(done);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let document = stack.swap_remove(0);
    document
        .children
        .into_iter()
        .find(|c| c.name == "project")
        .ok_or_else(|| context.parse_error(1, "expected a `<project>` element (a Maven pom.xml)"))
}

/// What a pom contributes to its children: properties and managed versions.
#[derive(Debug, Default, Clone)]
struct Inherited {
    properties: HashMap<String, String>,
    /// `group:artifact` → version (as written, interpolated later).
    managed: HashMap<String, String>,
    /// BOMs imported by `dependencyManagement` (`<scope>import</scope>`): group, artifact,
    /// version as written.
    imports: Vec<(String, String, String)>,
}

fn coordinates(project: &Element) -> (Option<String>, Option<String>, Option<String>) {
    let parent = project.child("parent");
    let group = project
        .text_of("groupId")
        .or_else(|| parent.and_then(|p| p.text_of("groupId")));
    let version = project
        .text_of("version")
        .or_else(|| parent.and_then(|p| p.text_of("version")));
    (
        group.map(str::to_owned),
        project.text_of("artifactId").map(str::to_owned),
        version.map(str::to_owned),
    )
}

/// Adds what `project` declares to `into` (the child's own values win, so ancestors are added
/// first), and returns its parent's pom from the tree, when it is there.
fn inherit(project: &Element, into: &mut Inherited) {
    if let Some(properties) = project.child("properties") {
        for property in &properties.children {
            into.properties
                .insert(property.name.clone(), property.text.trim().to_owned());
        }
    }
    let (group, _, version) = coordinates(project);
    if let Some(group) = group {
        into.properties.insert("project.groupId".into(), group);
    }
    if let Some(version) = version {
        into.properties.insert("project.version".into(), version);
    }
    if let Some(v) = project.child("parent").and_then(|p| p.text_of("version")) {
        into.properties
            .insert("project.parent.version".into(), v.to_owned());
    }
    for dependency in project.all(&["dependencyManagement", "dependencies", "dependency"]) {
        if let (Some(g), Some(a), Some(v)) = (
            dependency.text_of("groupId"),
            dependency.text_of("artifactId"),
            dependency.text_of("version"),
        ) {
            if dependency.text_of("scope") == Some("import") {
                // A BOM: its own managed versions are imported (`imports`).
                into.imports
                    .push((g.to_owned(), a.to_owned(), v.to_owned()));
            } else {
                into.managed.insert(format!("{g}:{a}"), v.to_owned());
            }
        }
    }
}

/// The most `pom.xml` files looked at for imported BOMs, and how deep.
const MAX_POMS: usize = 4096;
const MAX_TREE_DEPTH: usize = 8;

/// The `pom.xml` files of the repository, by `group:artifact:version` (read once, and only when
/// a BOM is imported). Build outputs and hidden directories are not searched.
fn poms_in_tree(context: &Context) -> HashMap<String, Element> {
    let mut out = HashMap::new();
    let Some(root) = context.root.as_ref() else {
        return out;
    };
    let mut seen = 0;
    let mut stack = vec![(root.clone(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = fs_err::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(fs_err::DirEntry::file_name);
        for entry in entries {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if kind.is_dir()
                && depth < MAX_TREE_DEPTH
                && !name.starts_with('.')
                && !matches!(name.as_ref(), "target" | "build" | "node_modules")
            {
                stack.push((entry.path(), depth + 1));
            } else if kind.is_file() && name == "pom.xml" && seen < MAX_POMS {
                seen += 1;
                let Ok(text) = fs_err::read_to_string(entry.path()) else {
                    continue;
                };
                let Ok(element) = parse_xml(&text, context) else {
                    continue;
                };
                let mut own = Inherited::default();
                inherit(&element, &mut own);
                if let (Some(g), Some(a), Some(v)) = coordinates(&element) {
                    let version = interpolate(&v, &own.properties).unwrap_or(v);
                    out.insert(format!("{g}:{a}:{version}"), element);
                }
            }
        }
    }
    out
}

/// Adds the managed versions of the BOMs `inherited` imports that are in the tree (and of the
/// BOMs they import, five deep): a version managed explicitly wins, then the first import.
fn import_boms(inherited: &mut Inherited, context: &Context) {
    if inherited.imports.is_empty() {
        return;
    }
    let tree = poms_in_tree(context);
    let mut queue: Vec<(String, String, String, HashMap<String, String>)> = inherited
        .imports
        .iter()
        .map(|(g, a, v)| {
            (
                g.clone(),
                a.clone(),
                v.clone(),
                inherited.properties.clone(),
            )
        })
        .collect();
    let mut done = std::collections::HashSet::new();
    let mut depth = 0;
    while !queue.is_empty() && depth < 5 {
        depth += 1;
        let mut next = Vec::new();
        for (group, artifact, version, properties) in queue {
            let (Some(g), Some(a), Some(v)) = (
                interpolate(&group, &properties),
                interpolate(&artifact, &properties),
                interpolate(&version, &properties),
            ) else {
                continue;
            };
            let key = format!("{g}:{a}:{v}");
            let Some(bom) = tree.get(&key).filter(|_| done.insert(key.clone())) else {
                continue;
            };
            let mut own = Inherited::default();
            inherit(bom, &mut own);
            for (managed, written) in &own.managed {
                if !inherited.managed.contains_key(managed) {
                    // The BOM's own properties resolve its versions.
                    let resolved =
                        interpolate(written, &own.properties).unwrap_or_else(|| written.clone());
                    inherited.managed.insert(managed.clone(), resolved);
                }
            }
            next.extend(
                own.imports
                    .iter()
                    .map(|(g, a, v)| (g.clone(), a.clone(), v.clone(), own.properties.clone())),
            );
        }
        queue = next;
    }
}

/// The parent chain of `project` that is in the tree, nearest first.
fn parents(project: &Element, dir: &Path, context: &Context) -> Vec<Element> {
    let mut chain = Vec::new();
    let mut current_dir = dir.to_owned();
    let mut parent = project.child("parent").map(|p| {
        (
            p.text_of("groupId").map(str::to_owned),
            p.text_of("artifactId").map(str::to_owned),
            p.text_of("relativePath").unwrap_or("../pom.xml").to_owned(),
        )
    });
    while let Some((group, artifact, relative)) = parent.take() {
        if chain.len() >= 10 {
            break;
        }
        let mut path = current_dir.join(&relative);
        if path.is_dir() {
            path = path.join("pom.xml");
        }
        // `relativePath` is the file's text: it is followed only to a file in the repository.
        let Some(path) = context.within_root(&path) else {
            break;
        };
        let Ok(text) = fs_err::read_to_string(&path) else {
            break;
        };
        let Ok(element) = parse_xml(&text, context) else {
            break;
        };
        let (g, a, _) = coordinates(&element);
        if g != group || a != artifact {
            break;
        }
        current_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        parent = element.child("parent").map(|p| {
            (
                p.text_of("groupId").map(str::to_owned),
                p.text_of("artifactId").map(str::to_owned),
                p.text_of("relativePath").unwrap_or("../pom.xml").to_owned(),
            )
        });
        chain.push(element);
    }
    chain
}

/// `${name}` references replaced from `properties`, up to a depth; `None` when one stays.
fn interpolate(text: &str, properties: &HashMap<String, String>) -> Option<String> {
    let mut out = text.to_owned();
    for _ in 0..8 {
        let Some(start) = out.find("${") else {
            return Some(out);
        };
        let end = start + out[start..].find('}')?;
        let name = &out[start + 2..end];
        let name = if name == "version" || name == "pom.version" {
            "project.version"
        } else {
            name
        };
        let value = properties.get(name)?.clone();
        out.replace_range(start..=end, &value);
    }
    (!out.contains("${")).then_some(out)
}

pub fn parse(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let project = parse_xml(text, context)?;
    let mut inherited = Inherited::default();
    for ancestor in parents(&project, &context.dir, context).iter().rev() {
        inherit(ancestor, &mut inherited);
    }
    inherit(&project, &mut inherited);
    import_boms(&mut inherited, context);
    let (own_group, _, own_version) = coordinates(&project);
    let own_version = own_version.and_then(|v| interpolate(&v, &inherited.properties));

    let mut parsed = Parsed::new();
    parsed.graph_complete = false;
    for dependency in project.all(&["dependencies", "dependency"]) {
        let (Some(group), Some(artifact)) = (
            dependency
                .text_of("groupId")
                .and_then(|g| interpolate(g, &inherited.properties)),
            dependency
                .text_of("artifactId")
                .and_then(|a| interpolate(a, &inherited.properties)),
        ) else {
            parsed.skip(context.diagnostic(
                dependency.line,
                "a dependency without a resolvable `groupId` and `artifactId`",
            ));
            continue;
        };
        let key = format!("{group}:{artifact}");
        let written = dependency
            .text_of("version")
            .map(str::to_owned)
            .or_else(|| inherited.managed.get(&key).cloned());
        let version = written
            .as_deref()
            .and_then(|v| interpolate(v, &inherited.properties))
            .filter(|v| !v.starts_with(['[', '(']) && !v.contains(','));
        let Some(version) = version else {
            parsed.skip(context.diagnostic(
                dependency.line,
                match written {
                    Some(w) => format!(
                        "`{key}` has version `{w}`, which does not resolve within the files here (a property, parent or imported BOM outside the tree, or a range)"
                    ),
                    None => format!(
                        "`{key}` has no version here: it is managed by a parent or BOM outside the tree"
                    ),
                },
            ));
            continue;
        };
        let mut package = Package::new(Ecosystem::Maven, key, version.clone());
        package.line = dependency.line;
        package.scope = match dependency.text_of("scope") {
            Some("test") => Scope::Dev,
            Some("provided" | "system") => Scope::Optional,
            _ if dependency.text_of("optional") == Some("true") => Scope::Optional,
            _ => Scope::Required,
        };
        // A module of the same build (same group and version as this project) is the product.
        package.is_root = own_group.as_deref() == Some(group.as_str())
            && own_version.as_deref() == Some(&*version);
        parsed.direct.push(parsed.packages.len());
        parsed.packages.push(package);
    }
    super::maven_cache::describe(&mut parsed.packages, context);
    parsed.complete = false;
    parsed.diagnostics.push(context.diagnostic(
        project.line,
        "pom.xml declares direct dependencies only: their own dependencies are not listed (crabox does not resolve them from a Maven repository)",
    ));
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARENT: &str = r#"<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId>
  <artifactId>gateway-parent</artifactId>
  <version>1.4.0</version>
  <packaging>pom</packaging>
  <properties>
    <jackson.version>2.17.1</jackson.version>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>com.fasterxml.jackson.core</groupId>
        <artifactId>jackson-databind</artifactId>
        <version>${jackson.version}</version>
      </dependency>
      <dependency>
        <groupId>org.springframework.boot</groupId>
        <artifactId>spring-boot-dependencies</artifactId>
        <version>3.3.0</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
    </dependencies>
  </dependencyManagement>
</project>
"#;

    const MODULE: &str = r#"<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>com.acme</groupId>
    <artifactId>gateway-parent</artifactId>
    <version>1.4.0</version>
  </parent>
  <artifactId>gateway-server</artifactId>
  <properties>
    <netty.version>4.1.110.Final</netty.version>
  </properties>
  <dependencies>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
    </dependency>
    <dependency>
      <groupId>io.netty</groupId>
      <artifactId>netty-handler</artifactId>
      <version>${netty.version}</version>
    </dependency>
    <dependency>
      <groupId>com.acme</groupId>
      <artifactId>gateway-core</artifactId>
      <version>${project.version}</version>
    </dependency>
    <dependency>
      <groupId>org.junit.jupiter</groupId>
      <artifactId>junit-jupiter</artifactId>
      <version>5.10.2</version>
      <scope>test</scope>
    </dependency>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-web</artifactId>
    </dependency>
  </dependencies>
</project>
"#;

    #[test]
    fn versions_resolve_through_properties_and_the_parent_chain() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(dir.path().join("pom.xml"), PARENT).unwrap();
        fs_err::create_dir_all(dir.path().join("server")).unwrap();
        let context = Context {
            dir: dir.path().join("server"),
            display: "server/pom.xml".into(),
            root: Some(dir.path().to_owned()),
            ..Context::default()
        };
        let parsed = parse(MODULE, &context).unwrap();
        let listed: Vec<String> = parsed
            .packages
            .iter()
            .map(|p| {
                format!(
                    "{}@{} {:?} line {}{}",
                    p.name,
                    p.version,
                    p.scope,
                    p.line,
                    if p.is_root { " (module)" } else { "" }
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                "com.fasterxml.jackson.core:jackson-databind@2.17.1 Required line 14",
                "io.netty:netty-handler@4.1.110.Final Required line 18",
                "com.acme:gateway-core@1.4.0 Required line 23 (module)",
                "org.junit.jupiter:junit-jupiter@5.10.2 Dev line 28",
            ]
        );
        assert_eq!(
            parsed.packages[1].purl(),
            "pkg:maven/io.netty/netty-handler@4.1.110.Final"
        );
        // Managed by the imported BOM, which is not in the tree: said, with its line.
        assert!(!parsed.complete);
        assert_eq!(parsed.diagnostics[0].line, 34);
        assert!(
            parsed.diagnostics[0]
                .message
                .contains("spring-boot-starter-web")
        );
        assert!(
            parsed.diagnostics[1]
                .message
                .contains("direct dependencies only")
        );
    }

    #[test]
    fn imported_boms_in_the_tree_manage_versions() {
        let repo = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let path = repo.path().join(path);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, text).unwrap();
        };
        // A BOM module of the build, with its own property and an import of another BOM.
        write(
            "bom/pom.xml",
            r"<project><groupId>com.acme</groupId><artifactId>acme-bom</artifactId><version>2.0</version>
  <properties><netty.version>4.1.100.Final</netty.version></properties>
  <dependencyManagement><dependencies>
    <dependency><groupId>io.netty</groupId><artifactId>netty-codec</artifactId><version>${netty.version}</version></dependency>
    <dependency><groupId>com.acme</groupId><artifactId>base-bom</artifactId><version>1.0</version><type>pom</type><scope>import</scope></dependency>
  </dependencies></dependencyManagement></project>",
        );
        write(
            "base-bom/pom.xml",
            r"<project><groupId>com.acme</groupId><artifactId>base-bom</artifactId><version>1.0</version>
  <dependencyManagement><dependencies>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.9</version></dependency>
    <dependency><groupId>io.netty</groupId><artifactId>netty-codec</artifactId><version>4.0.0</version></dependency>
  </dependencies></dependencyManagement></project>",
        );
        // Build outputs are not searched.
        write(
            "target/classes/pom.xml",
            r"<project><groupId>com.other</groupId><artifactId>other-bom</artifactId><version>1</version>
  <dependencyManagement><dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId><version>9</version></dependency></dependencies></dependencyManagement></project>",
        );
        let app = r"<project><groupId>com.acme</groupId><artifactId>app</artifactId><version>2.0</version>
  <properties><bom.version>2.0</bom.version></properties>
  <dependencyManagement><dependencies>
    <dependency><groupId>com.acme</groupId><artifactId>acme-bom</artifactId><version>${bom.version}</version><type>pom</type><scope>import</scope></dependency>
    <dependency><groupId>com.other</groupId><artifactId>other-bom</artifactId><version>1</version><type>pom</type><scope>import</scope></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>io.netty</groupId><artifactId>netty-codec</artifactId></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId></dependency>
    <dependency><groupId>x</groupId><artifactId>y</artifactId></dependency>
  </dependencies></project>";
        write("app/pom.xml", app);
        let context = Context {
            dir: repo.path().join("app"),
            display: "app/pom.xml".into(),
            root: Some(repo.path().to_owned()),
            ..Context::default()
        };
        let parsed = parse(app, &context).unwrap();
        // The nearer BOM's netty wins over the one it imports; slf4j comes from the nested BOM.
        assert_eq!(
            parsed.names(),
            [
                "io.netty:netty-codec@4.1.100.Final",
                "org.slf4j:slf4j-api@2.0.9"
            ]
        );
        assert!(
            parsed
                .diagnostics
                .iter()
                .any(|d| d.message.contains("`x:y` has no version")),
            "{:?}",
            parsed.diagnostics
        );
    }

    #[test]
    fn bad_input_is_an_error_with_its_line() {
        let err = parse("<project>\n<a></b>\n</project>", &Context::default()).unwrap_err();
        assert!(err.to_string().contains(":2"), "{err}");
        let err = parse("<settings/>", &Context::default()).unwrap_err();
        assert!(err.to_string().contains("<project>"), "{err}");
        let deep = format!(
            "<project>{}{}</project>",
            "<a>".repeat(100),
            "</a>".repeat(100)
        );
        assert!(parse(&deep, &Context::default()).is_err());
    }

    #[test]
    fn a_parent_outside_the_repository_is_not_read() {
        // `relativePath` comes from the file: it must not read files outside the repository.
        let outside = tempfile::tempdir().unwrap();
        fs_err::write(outside.path().join("pom.xml"), PARENT).unwrap();
        let repo = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(repo.path().join("server")).unwrap();
        let relative = outside.path().join("pom.xml");
        let module = MODULE.replace(
            "<version>1.4.0</version>\n  </parent>",
            &format!(
                "<version>1.4.0</version>\n    <relativePath>{}</relativePath>\n  </parent>",
                relative.display()
            ),
        );
        assert!(module.contains("relativePath"));
        let context = Context {
            dir: repo.path().join("server"),
            display: "server/pom.xml".into(),
            root: Some(repo.path().to_owned()),
            ..Context::default()
        };
        let parsed = parse(&module, &context).unwrap();
        assert!(
            !parsed
                .names()
                .iter()
                .any(|n| n.starts_with("com.fasterxml")),
            "the managed version came from a file outside the repository: {:?}",
            parsed.names()
        );
    }
}
