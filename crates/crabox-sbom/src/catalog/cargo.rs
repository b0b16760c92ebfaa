//! `Cargo.lock` v1–v4, with the workspace's `Cargo.toml` files to tell members, build and
//! development dependencies apart.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::ops::Range;
use std::path::Path;

use super::{Context, Parsed};
use crate::error::SbomError;
use crate::model::{Diagnostic, Ecosystem, Hash, HashAlg, Package, Scope, Source};

const CRATES_IO: [&str; 2] = [
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
];

/// A source string of Cargo.lock as a [`Source`].
fn source(text: Option<&str>) -> Source {
    let Some(text) = text else {
        return Source::Path(String::new());
    };
    if CRATES_IO.contains(&text) {
        return Source::Registry;
    }
    if let Some(url) = text.strip_prefix("git+") {
        let (url, rev) = match url.split_once('#') {
            Some((url, rev)) => (url, Some(rev.to_owned())),
            None => (url, None),
        };
        let url = url.split('?').next().unwrap_or(url);
        return Source::Git {
            url: url.to_owned(),
            rev,
        };
    }
    if let Some(url) = text
        .strip_prefix("registry+")
        .or_else(|| text.strip_prefix("sparse+"))
    {
        return Source::OtherRegistry(url.to_owned());
    }
    if let Some(path) = text.strip_prefix("path+") {
        return Source::Path(path.to_owned());
    }
    Source::OtherRegistry(text.to_owned())
}

/// One `[[package]]` entry before edges are resolved (borrowed from the text when Cargo wrote
/// it: a large lockfile is mostly these strings).
struct Entry<'a> {
    name: Cow<'a, str>,
    version: Cow<'a, str>,
    source_text: Option<Cow<'a, str>>,
    dependencies: Deps,
}

/// A package's dependency references: where they are in the lockfile's one list of references
/// that the reading of Cargo's layout fills (the quoted text of each line of a
/// `dependencies = [` block, checked as it was read), or the list the TOML parser gave. One list
/// for the whole lockfile, so that a large one needs no list per package, and the blocks are
/// not read twice.
#[derive(Debug)]
enum Deps {
    References(Range<usize>),
    List(Vec<String>),
}

impl Deps {
    fn iter<'s>(&'s self, references: &'s [&'s str]) -> impl Iterator<Item = &'s str> {
        let (given, list) = match self {
            Deps::References(range) => (references.get(range.clone()), None),
            Deps::List(list) => (None, Some(list)),
        };
        given
            .into_iter()
            .flatten()
            .copied()
            .chain(list.into_iter().flatten().map(String::as_str))
    }
}

/// Where `needle` first is in `haystack`. On x86-64 16 bytes at a time with SSE2, which every
/// x86-64 processor has, so nothing asks the CPU for its features first (a `cpuid` instruction,
/// which traps to the hypervisor on a virtual machine and costs more than the search saves on
/// one lockfile). The standard library's search, a word at a time, took twice as long on uv's
/// Cargo.lock (6,000 lines).
fn find_byte(needle: u8, haystack: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if let Some(search) = memchr::arch::x86_64::sse2::memchr::One::new(needle) {
        return search.find(haystack);
    }
    haystack.iter().position(|&b| b == needle)
}

/// Whether `a` or `b` is in `haystack`, searched as in [`find_byte`].
fn contains_either(a: u8, b: u8, haystack: &[u8]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if let Some(search) = memchr::arch::x86_64::sse2::memchr::Two::new(a, b) {
        return search.find(haystack).is_some();
    }
    haystack.iter().any(|&c| c == a || c == b)
}

/// The lines of a text, each with its line break, as `str::split_inclusive('\n')` gives them,
/// found with [`find_byte`].
struct Lines<'a> {
    text: &'a str,
    start: usize,
}

fn lines(text: &str) -> Lines<'_> {
    Lines { text, start: 0 }
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self
            .text
            .as_bytes()
            .get(self.start..)
            .filter(|r| !r.is_empty())?;
        let end = find_byte(b'\n', rest).map_or(self.text.len(), |at| self.start + at + 1);
        let line = &self.text[self.start..end];
        self.start = end;
        Some(line)
    }
}

/// What [`sections`] finds besides the packages: the v1 `[metadata]` body, and the first line
/// outside any section that is neither blank, a comment nor `version = N`.
struct Rest<'a> {
    metadata: Option<&'a str>,
    stray: Option<u32>,
}

/// Calls `package` with each `[[package]]` (or the old `[root]`) section as it ends: the line of
/// its header, its body, and its fields when Cargo's own layout gave them in passing. One pass,
/// and nothing collected: a large lockfile's sections are handed on as they are read.
fn sections<'a>(
    text: &'a str,
    references: &mut Vec<&'a str>,
    mut package: impl FnMut(u32, &'a str, Option<Fields<'a>>),
) -> Rest<'a> {
    enum Kind {
        Preamble,
        Package(u32),
        Metadata,
        Other,
    }
    let mut out = Rest {
        metadata: None,
        stray: None,
    };
    let mut kind = Kind::Preamble;
    let mut body_start = 0;
    let mut offset = 0;
    let mut canonical = Canonical::default();
    let mut close =
        |kind: &Kind, body: &'a str, canonical: Canonical, out: &mut Rest<'a>| match kind {
            Kind::Package(line) => package(*line, body, canonical.finish(text)),
            Kind::Metadata => out.metadata = Some(body),
            Kind::Preamble | Kind::Other => {}
        };
    for (i, line) in lines(text).enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let trimmed = line.trim_ascii();
        if trimmed.starts_with('[') {
            let done = std::mem::take(&mut canonical);
            close(&kind, &text[body_start..offset], done, &mut out);
            kind = match trimmed {
                "[[package]]" | "[root]" => Kind::Package(number),
                "[metadata]" => Kind::Metadata,
                _ => Kind::Other,
            };
            body_start = offset + line.len();
        } else if matches!(kind, Kind::Package(_)) {
            let at = offset + (line.len() - line.trim_ascii_start().len());
            canonical.line(trimmed, at, references);
        } else if matches!(kind, Kind::Preamble)
            && !trimmed.is_empty()
            && !trimmed.starts_with('#')
            && !trimmed.starts_with("version")
            && out.stray.is_none()
        {
            out.stray = Some(number);
        }
        offset += line.len();
    }
    close(&kind, &text[body_start..], canonical, &mut out);
    out
}

/// The fields of one `[[package]]` body.
struct Fields<'a> {
    name: Cow<'a, str>,
    version: Cow<'a, str>,
    source: Option<Cow<'a, str>>,
    checksum: Option<Cow<'a, str>>,
    dependencies: Deps,
}

/// The fields, or where in the body (lines below the header) and what is wrong.
type FieldsResult<'a> = Result<Fields<'a>, (u32, String)>;

/// The value of a `key = "text"` line as Cargo writes it: a basic string without escapes.
fn plain_string(value: &str) -> Option<&str> {
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    // (A word-at-a-time test measured slower than the SSE2 search here.)
    (!contains_either(b'"', b'\\', inner.as_bytes())).then_some(inner)
}

/// Reads the fields of a body in the exact layout Cargo writes (one `key = "value"` per line,
/// `dependencies = [` with one quoted entry per line), one trimmed line at a time, without a TOML
/// parser, which is most of the cost of a large lockfile. Anything else (comments, escapes,
/// inline arrays, other keys) makes it give up, and the TOML parser then reads and judges the
/// body.
///
/// Fields are kept as byte ranges of the lockfile text, so that reading a section allocates
/// nothing.
#[derive(Default)]
struct Canonical {
    name: Option<Range<usize>>,
    version: Option<Range<usize>>,
    source: Option<Range<usize>>,
    checksum: Option<Range<usize>>,
    /// Where the references of the `dependencies = [` block are in the lockfile's list.
    dependencies: Option<Range<usize>>,
    in_dependencies: bool,
    seen_dependencies: bool,
    given_up: bool,
}

impl Canonical {
    /// Takes one line, trimmed, which starts at `at` in the text; a dependency reference goes
    /// onto `references`.
    fn line<'a>(&mut self, line: &'a str, at: usize, references: &mut Vec<&'a str>) {
        if !self.given_up && self.take(line, at, references).is_none() {
            self.given_up = true;
        }
    }

    fn take<'a>(&mut self, line: &'a str, at: usize, references: &mut Vec<&'a str>) -> Option<()> {
        if self.in_dependencies {
            if line == "]" {
                self.in_dependencies = false;
            } else {
                references.push(plain_string(line.strip_suffix(',')?)?);
                let end = references.len();
                self.dependencies.get_or_insert(end - 1..end).end = end;
            }
            return Some(());
        }
        if line.is_empty() {
            return Some(());
        }
        // `key = value` with one of Cargo's keys, told apart by the first byte (no search for
        // the `=`).
        let (key, slot) = match line.as_bytes().first()? {
            b'n' => ("name", &mut self.name),
            b'v' => ("version", &mut self.version),
            b's' => ("source", &mut self.source),
            b'c' => ("checksum", &mut self.checksum),
            b'd' if line == "dependencies = [" && !self.seen_dependencies => {
                (self.in_dependencies, self.seen_dependencies) = (true, true);
                return Some(());
            }
            _ => return None,
        };
        let value = line.strip_prefix(key)?.strip_prefix(" = ")?;
        if slot.is_some() {
            return None;
        }
        let inner = plain_string(value)?;
        // `key = "inner"`: the inner text starts after the `= "`.
        let start = at + key.len() + 4;
        *slot = Some(start..start + inner.len());
        Some(())
    }

    fn finish(self, text: &str) -> Option<Fields<'_>> {
        if self.given_up || self.in_dependencies {
            return None;
        }
        let field = |range: Range<usize>| Cow::Borrowed(&text[range]);
        Some(Fields {
            name: field(self.name?),
            version: field(self.version?),
            source: self.source.map(field),
            checksum: self.checksum.map(field),
            dependencies: Deps::References(self.dependencies.unwrap_or_default()),
        })
    }
}

#[cfg(test)]
fn canonical_fields<'a>(body: &'a str, references: &mut Vec<&'a str>) -> Option<Fields<'a>> {
    let mut canonical = Canonical::default();
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let at = offset + (line.len() - line.trim_ascii_start().len());
        canonical.line(line.trim_ascii(), at, references);
        offset += line.len();
    }
    canonical.finish(body)
}

fn toml_fields(body: &str) -> FieldsResult<'static> {
    let table: toml::Table = toml::from_str(body).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start.min(body.len()));
        let below = u32::try_from(body[..at].matches('\n').count() + 1).unwrap_or(0);
        (below, format!("not valid TOML: {}", e.message()))
    })?;
    let text = |key: &str| {
        table
            .get(key)
            .and_then(toml::Value::as_str)
            .map(|s| Cow::Owned(s.to_owned()))
    };
    let (Some(name), Some(version)) = (text("name"), text("version")) else {
        return Err((
            0,
            "a `[[package]]` entry without `name` or `version`".to_owned(),
        ));
    };
    Ok(Fields {
        name,
        version,
        source: text("source"),
        checksum: text("checksum"),
        dependencies: Deps::List(
            table
                .get("dependencies")
                .and_then(toml::Value::as_array)
                .map(|d| {
                    d.iter()
                        .filter_map(toml::Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        ),
    })
}

/// Reads a Cargo.lock one `[[package]]` section at a time, so that a malformed
/// entry is reported with its line and skipped while the rest is still read.
pub fn parse(text: &str, context: &Context) -> Result<Parsed, SbomError> {
    let mut parsed = Parsed::new();
    // Room for every entry at once without counting them first: a `[[package]]` section takes
    // well over 64 bytes, and capacity that is never written is address space, not memory.
    let room = text.len() / 64 + 1;
    parsed.packages.reserve_exact(room);
    let mut entries = Vec::with_capacity(room);
    // Packages without a checksum in their entry: v1 keeps checksums in the `[metadata]` at the
    // end of the file.
    let mut unsummed = Vec::new();
    let mut seen = 0_usize;
    // Cargo writes a dependency reference in about 25 bytes.
    let mut references = Vec::with_capacity(text.len() / 32);
    let rest = sections(text, &mut references, |line, body, canonical| {
        seen += 1;
        let result = match canonical {
            Some(fields) => Ok(fields),
            None => toml_fields(body),
        };
        let fields = match result {
            Ok(fields) => fields,
            Err((below, message)) => {
                parsed.skip(context.diagnostic(line + below, message));
                return;
            }
        };
        let Fields {
            name,
            version,
            source: source_text,
            checksum,
            dependencies,
        } = fields;
        let mut package = Package::new(Ecosystem::Cargo, name.clone(), version.clone());
        package.line = line;
        package.source = source(source_text.as_deref());
        package.is_root = source_text.is_none();
        match checksum {
            Some(checksum) => {
                add_checksum(&mut package, &checksum, &mut parsed.diagnostics, context);
            }
            None => unsummed.push(parsed.packages.len()),
        }
        entries.push(Entry {
            name,
            version,
            source_text,
            dependencies,
        });
        parsed.packages.push(package);
    });
    if seen == 0
        && let Some(line) = rest.stray
    {
        return Err(context.parse_error(line, "not a Cargo.lock: expected `[[package]]` entries"));
    }
    // v1: "checksum NAME VERSION (SOURCE)" = "HEX".
    if let Some(metadata) = rest
        .metadata
        .and_then(|m| toml::from_str::<toml::Table>(m).ok())
    {
        let v1_checksums: HashMap<&str, &str> = metadata
            .iter()
            .filter_map(|(key, value)| Some((key.strip_prefix("checksum ")?, value.as_str()?)))
            .collect();
        for i in unsummed {
            let entry = &entries[i];
            let key = format!(
                "{} {} ({})",
                entry.name,
                entry.version,
                entry.source_text.as_deref().unwrap_or_default()
            );
            if let Some(checksum) = v1_checksums.get(key.as_str()) {
                let package = &mut parsed.packages[i];
                add_checksum(package, checksum, &mut parsed.diagnostics, context);
            }
        }
    }

    resolve_edges(&entries, &references, &mut parsed, context);
    let members: Vec<usize> = (0..parsed.packages.len())
        .filter(|&i| parsed.packages[i].is_root)
        .collect();
    let manifests = workspace_manifests(&context.dir);
    apply_scopes(&mut parsed, &entries, &members, &manifests);
    for &m in &members {
        if let Some(declared) = manifests.get(entries[m].name.as_ref()) {
            declared.about.clone().apply(&mut parsed.packages[m]);
        }
    }
    parsed.direct = members;
    if let Some(home) = &context.cargo_home {
        add_cached_metadata(&mut parsed.packages, home);
    }
    Ok(parsed)
}

/// The package's SHA-256 from its lockfile checksum, or a diagnostic when it is not one.
fn add_checksum(
    package: &mut Package,
    checksum: &str,
    diagnostics: &mut Vec<Diagnostic>,
    context: &Context,
) {
    match Hash::from_hex(HashAlg::Sha256, checksum) {
        // One allocation of the exact size: a push onto the empty list would reserve four.
        Some(hash) if package.hashes.is_empty() => package.hashes = vec![hash],
        Some(hash) => package.hashes.push(hash),
        None => diagnostics.push(context.diagnostic(
            package.line,
            format!(
                "`{} {}`: checksum is not a SHA-256 hex digest; left out",
                package.name, package.version
            ),
        )),
    }
}

/// Turns `"name"`, `"name version"` and `"name version (source)"` into package indices.
fn resolve_edges(entries: &[Entry], references: &[&str], parsed: &mut Parsed, context: &Context) {
    // Entry indices sorted by name (Cargo writes them so: the sort only checks that), and where
    // each name's run starts and ends in that order: one hash lookup per reference and no list
    // allocated per name (foldhash: the keys are short crate names).
    let mut by_name: Vec<usize> = (0..entries.len()).collect();
    by_name.sort_by(|&a, &b| entries[a].name.cmp(&entries[b].name));
    let mut runs: foldhash::HashMap<&str, (usize, usize)> =
        foldhash::HashMap::with_capacity_and_hasher(
            entries.len(),
            foldhash::fast::RandomState::default(),
        );
    for (at, &i) in by_name.iter().enumerate() {
        runs.entry(entries[i].name.as_ref())
            .and_modify(|run| run.1 = at + 1)
            .or_insert((at, at + 1));
    }
    // Edges are gathered in one scratch list and each package's copied out at its exact size.
    let mut edges = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        edges.clear();
        for reference in entry.dependencies.iter(references) {
            let mut parts = reference.splitn(3, ' ');
            let name = parts.next().unwrap_or_default();
            let version = parts.next();
            let source = parts
                .next()
                .map(|s| s.trim_start_matches('(').trim_end_matches(')'));
            let (start, end) = runs.get(name).copied().unwrap_or_default();
            let found = by_name[start..end].iter().copied().find(|&c| {
                version.is_none_or(|v| entries[c].version == v)
                    && source.is_none_or(|s| entries[c].source_text.as_deref() == Some(s))
            });
            match found {
                Some(target) => edges.push(target),
                None => parsed.diagnostics.push(context.diagnostic(
                    parsed.packages[i].line,
                    format!(
                        "`{} {}` depends on `{reference}`, which the lockfile does not list",
                        entry.name, entry.version
                    ),
                )),
            }
        }
        edges.sort_unstable();
        edges.dedup();
        parsed.packages[i].dependencies = Vec::from(edges.as_slice());
    }
}

/// Dependencies a member manifest declares, by kind.
#[derive(Debug, Default)]
struct Declared {
    normal: BTreeSet<String>,
    dev: BTreeSet<String>,
    /// The member's `license` and creator (`repository`, `homepage`, an author's e-mail),
    /// inherited from `[workspace.package]` where the member says `.workspace = true`.
    about: About,
    /// Not built by default: `[workspace] default-members` is declared and does not list it
    /// (a workspace's `xtask`). Shipped only when a default member depends on it.
    not_default: bool,
}

/// What a manifest says of its package's licence and maker.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct About {
    license: Option<String>,
    creator: Option<String>,
}

impl About {
    /// From a manifest's `[package]` table, `[workspace.package]` filling inherited keys.
    fn of(package: &toml::Table, workspace: Option<&toml::Table>) -> About {
        let field = |key: &str| -> Option<&toml::Value> {
            let value = package.get(key)?;
            if value.get("workspace").and_then(toml::Value::as_bool) == Some(true) {
                return workspace?.get(key);
            }
            Some(value)
        };
        let text = |key: &str| field(key).and_then(toml::Value::as_str).map(str::trim);
        let url = |key: &str| {
            text(key)
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                .filter(|u| !u.contains(char::is_whitespace))
        };
        let email = || {
            field("authors")?
                .as_array()?
                .iter()
                .filter_map(toml::Value::as_str)
                .find_map(author_email)
        };
        About {
            license: text("license")
                .filter(|l| !l.is_empty())
                .map(|l| l.replace('/', " OR ")),
            creator: url("repository")
                .or_else(|| url("homepage"))
                .map(str::to_owned)
                .or_else(email),
        }
    }

    /// Sets the package's licence (when it has none) and creator.
    fn apply(self, package: &mut Package) {
        if package.licenses.is_empty() {
            package.licenses.extend(self.license);
        }
        if let Some(creator) = self.creator {
            package.origin_mut().creator = Some(creator);
        }
    }
}

/// The e-mail address of an author written `Name <address>`.
fn author_email(author: &str) -> Option<String> {
    let (_, rest) = author.split_once('<')?;
    let (address, _) = rest.split_once('>')?;
    let address = address.trim();
    let (local, domain) = address.split_once('@')?;
    (!local.is_empty()
        && domain.contains('.')
        && !address.contains(|c: char| c.is_whitespace() || c == '<'))
    .then(|| address.to_owned())
}

/// Reads the `Cargo.toml` files of the workspace beside the lockfile, keyed by package name: the
/// root manifest and its `[workspace] members` (plain paths and `dir/*` globs, as Cargo expands
/// them), without walking the tree.
fn workspace_manifests(dir: &Path) -> BTreeMap<String, Declared> {
    let mut out = BTreeMap::new();
    let Some(root) = read_manifest(&dir.join("Cargo.toml")) else {
        return out;
    };
    let workspace = root
        .get("workspace")
        .and_then(|w| w.get("package"))
        .and_then(toml::Value::as_table)
        .cloned();
    let list = |key: &str| -> Option<Vec<std::path::PathBuf>> {
        let patterns = root.get("workspace")?.get(key)?.as_array()?;
        Some(
            patterns
                .iter()
                .filter_map(toml::Value::as_str)
                .flat_map(|member| match member.strip_suffix("/*") {
                    Some(parent) => fs_err::read_dir(dir.join(parent))
                        .map(|entries| entries.flatten().map(|e| e.path()).collect())
                        .unwrap_or_default(),
                    None => vec![dir.join(member)],
                })
                .map(|p| p.components().collect::<std::path::PathBuf>())
                .collect(),
        )
    };
    let defaults = list("default-members");
    let is_default = |path: &Path| {
        defaults.as_ref().is_none_or(|d| {
            let path = path.components().collect::<std::path::PathBuf>();
            d.contains(&path)
        })
    };
    let mut manifests = vec![(root.clone(), is_default(dir))];
    for path in list("members").unwrap_or_default() {
        manifests.extend(read_manifest(&path.join("Cargo.toml")).map(|m| (m, is_default(&path))));
    }
    for (manifest, default) in manifests {
        let Some(name) = manifest
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
        else {
            continue;
        };
        let mut declared = Declared {
            not_default: !default,
            ..Declared::default()
        };
        if let Some(package) = manifest.get("package").and_then(toml::Value::as_table) {
            declared.about = About::of(package, workspace.as_ref());
        }
        collect(&manifest, &mut declared);
        if let Some(toml::Value::Table(targets)) = manifest.get("target") {
            for target in targets.values() {
                if let toml::Value::Table(target) = target {
                    collect(target, &mut declared);
                }
            }
        }
        out.insert(name.to_owned(), declared);
    }
    out
}

fn read_manifest(path: &Path) -> Option<toml::Table> {
    toml::from_str(crabox_types::encoding::strip_bom(
        &fs_err::read_to_string(path).ok()?,
    ))
    .ok()
}

fn collect(table: &toml::Table, declared: &mut Declared) {
    for (key, dev) in [
        ("dependencies", false),
        ("build-dependencies", false),
        ("build_dependencies", false),
        ("dev-dependencies", true),
        ("dev_dependencies", true),
    ] {
        let Some(toml::Value::Table(deps)) = table.get(key) else {
            continue;
        };
        for (name, spec) in deps {
            let real = spec
                .get("package")
                .and_then(|p| p.as_str())
                .unwrap_or(name)
                .to_owned();
            if dev {
                declared.dev.insert(real)
            } else {
                declared.normal.insert(real)
            };
        }
    }
}

/// Marks as `Dev` every package reachable from the members built by default only through
/// dev-dependencies, or not at all (a member only other members' tests use, a workspace tool
/// outside `default-members`).
fn apply_scopes(
    parsed: &mut Parsed,
    entries: &[Entry],
    members: &[usize],
    manifests: &BTreeMap<String, Declared>,
) {
    let known: Vec<&usize> = members
        .iter()
        .filter(|&&m| manifests.contains_key(entries[m].name.as_ref()))
        .collect();
    if known.is_empty() {
        return; // Without manifests every package counts as required.
    }
    let mut reached = vec![false; parsed.packages.len()];
    // From the members built by default; another member is shipped when one depends on it.
    let starts: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&m| {
            manifests
                .get(entries[m].name.as_ref())
                .is_none_or(|d| !d.not_default)
        })
        .collect();
    let mut queue: VecDeque<usize> = starts.iter().copied().collect();
    for &m in &starts {
        reached[m] = true;
    }
    while let Some(current) = queue.pop_front() {
        let declared = parsed.packages[current]
            .is_root
            .then(|| manifests.get(entries[current].name.as_ref()))
            .flatten();
        for &next in &parsed.packages[current].dependencies {
            let name: &str = &entries[next].name;
            let follows = match declared {
                // A member's edge counts when the member declares it outside dev-dependencies.
                Some(declared) => declared.normal.contains(name) || !declared.dev.contains(name),
                None => true,
            };
            if follows && !reached[next] {
                reached[next] = true;
                queue.push_back(next);
            }
        }
    }
    for (package, reached) in parsed.packages.iter_mut().zip(reached) {
        if !reached {
            package.scope = Scope::Dev;
        }
    }
}

/// What Cargo's registry cache says of each crates.io package, read in parallel: its licence and
/// creator from `$CARGO_HOME/registry/src/*/NAME-VERSION/Cargo.toml`, and its distribution file
/// `registry/cache/*/NAME-VERSION.crate` with its SHA-512, used only when the file's SHA-256 is
/// the lockfile's checksum (so the hash is of the very crate the lockfile pins).
fn add_cached_metadata(packages: &mut [Package], cargo_home: &Path) {
    use rayon::prelude::*;
    use sha2::Digest;
    let list = |dir: &str| -> Vec<std::path::PathBuf> {
        let Ok(entries) = fs_err::read_dir(cargo_home.join(dir)) else {
            return Vec::new();
        };
        let mut roots: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        roots.sort(); // The same registry first on every run.
        roots
    };
    let (sources, caches) = (list("registry/src"), list("registry/cache"));
    if sources.is_empty() && caches.is_empty() {
        return;
    }
    packages
        .par_iter_mut()
        .filter(|p| p.source == Source::Registry)
        .for_each(|package| {
            let dir_name = format!("{}-{}", package.name, package.version);
            if let Some(text) = sources.iter().find_map(|root| {
                fs_err::read_to_string(root.join(&dir_name).join("Cargo.toml")).ok()
            }) && let Ok(manifest) =
                toml::from_str::<toml::Table>(crabox_types::encoding::strip_bom(&text))
                && let Some(table) = manifest.get("package").and_then(toml::Value::as_table)
            {
                About::of(table, None).apply(package);
            }
            let file_name = format!("{dir_name}.crate");
            let Some(expected) = package.hashes.iter().find(|h| h.alg == HashAlg::Sha256) else {
                return; // Nothing to tell the cached file is the one the lockfile pins.
            };
            let Some(bytes) = caches
                .iter()
                .find_map(|root| crate_file(&root.join(&file_name)))
            else {
                return;
            };
            if crate::encoding::hex(&sha2::Sha256::digest(&bytes)) != expected.hex {
                return;
            }
            let sha512 = crate::encoding::hex(&sha2::Sha512::digest(&bytes));
            package
                .hashes
                .extend(Hash::from_hex(HashAlg::Sha512, &sha512));
            package.origin_mut().file_name = Some(file_name);
        });
}

/// A cached `.crate` file's bytes, when it is a plain file of at most 64 MiB (crates.io's limit
/// is 10 MiB).
fn crate_file(path: &Path) -> Option<Vec<u8>> {
    let metadata = fs_err::symlink_metadata(path).ok()?;
    if !metadata.is_file() || metadata.len() > 64 << 20 {
        return None;
    }
    fs_err::read(path).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_split_as_the_standard_library_does() {
        let long = format!(
            "{}\n\n{}é\r\n{}",
            "x".repeat(40),
            "ü".repeat(17),
            "y".repeat(33)
        );
        let texts = [
            "",
            "\n",
            "\n\n\n",
            "a",
            "a\n",
            "a\nb",
            "[[package]]\nname = \"a\"\r\nversion = \"1\"\n",
            long.as_str(),
        ];
        for text in texts {
            let ours: Vec<&str> = lines(text).collect();
            let std: Vec<&str> = text.split_inclusive('\n').collect();
            assert_eq!(ours, std, "{text:?}");
        }
    }

    #[test]
    fn canonical_fast_path_reads_what_the_toml_parser_reads_or_declines() {
        let bodies = [
            "name = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"ab\"\ndependencies = [\n \"b\",\n \"c 1.0.0\",\n]\n\n",
            "name = \"a\"\nversion = \"1.0.0\"\n",
            "name = \"a\"\nversion = \"1.0.0\"\ndependencies = [\"b\"]\n",
            "name = \"a\\u0062\"\nversion = \"1.0.0\"\n",
            "# comment\nname = \"a\"\nversion = \"1.0.0\"\n",
            "name = 'a'\nversion = \"1.0.0\"\n",
            "name = \"a\"\nname = \"b\"\nversion = \"1.0.0\"\n",
            "name = \"a\"\nversion = \"1.0.0\"\ndependencies = [\n]\ndependencies = [\n]\n",
            "name = \"a\"\nversion = \"1.0.0\"\ndependencies = [\n \"b\",\n",
            "name = \"a\"\n",
        ];
        let mut fast = 0;
        for body in bodies {
            let slow = toml_fields(body);
            let mut references = Vec::new();
            if let Some(f) = canonical_fields(body, &mut references) {
                fast += 1;
                let s = slow.unwrap_or_else(|e| panic!("fast path accepted {body:?}: {e:?}"));
                let (fast_deps, slow_deps): (Vec<&str>, Vec<&str>) = (
                    f.dependencies.iter(&references).collect(),
                    s.dependencies.iter(&[]).collect(),
                );
                assert_eq!(
                    (f.name, f.version, f.source, f.checksum, fast_deps),
                    (s.name, s.version, s.source, s.checksum, slow_deps),
                    "{body:?}"
                );
            }
        }
        assert_eq!(fast, 2, "the two canonical bodies take the fast path");
    }

    use super::*;

    fn context(dir: &Path) -> Context {
        Context {
            dir: dir.to_owned(),
            display: "Cargo.lock".into(),
            cargo_home: None,
            ..Context::default()
        }
    }

    const V3: &str = r#"# This file is automatically @generated by Cargo.
version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "serde",
 "tempfile",
 "cc",
]

[[package]]
name = "serde"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

[[package]]
name = "tempfile"
version = "3.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["fastrand"]

[[package]]
name = "fastrand"
version = "2.0.0"
source = "sparse+https://index.crates.io/"

[[package]]
name = "cc"
version = "1.0.0"
source = "git+https://github.com/rust-lang/cc-rs?branch=main#0123abcd"
"#;

    #[test]
    fn a_member_outside_default_members_ships_only_when_a_default_member_needs_it() {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let path = dir.path().join(path);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, text).unwrap();
        };
        write(
            "Cargo.toml",
            "[workspace]\nmembers = ['crates/*', 'xtask']\ndefault-members = ['./crates/*']\n[workspace.package]\nlicense = 'MIT'\nrepository = 'https://example.com/app'\n",
        );
        write(
            "crates/app/Cargo.toml",
            "[package]\nname = 'app'\nlicense.workspace = true\nrepository.workspace = true\n[dependencies]\nserde = '1'\n",
        );
        write(
            "xtask/Cargo.toml",
            "[package]\nname = 'xtask'\n[dependencies]\ntempfile = '3'\n",
        );
        let text = "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"serde\"]\n\n[[package]]\nname = \"xtask\"\nversion = \"0.1.0\"\ndependencies = [\"tempfile\"]\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"tempfile\"\nversion = \"3.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
        let parsed = parse(text, &context(dir.path())).unwrap();
        let by_name = |n: &str| parsed.packages.iter().find(|p| p.name == n).unwrap();
        assert_eq!(by_name("app").scope, Scope::Required);
        assert_eq!(by_name("serde").scope, Scope::Required);
        assert_eq!(by_name("xtask").scope, Scope::Dev, "not a default member");
        assert_eq!(
            by_name("tempfile").scope,
            Scope::Dev,
            "only the tool uses it"
        );
        // A member's licence and creator, inherited from the workspace.
        assert_eq!(by_name("app").licenses, ["MIT"]);
        let creator = by_name("app")
            .origin
            .as_ref()
            .and_then(|o| o.creator.clone());
        assert_eq!(creator.as_deref(), Some("https://example.com/app"));
        assert!(by_name("xtask").licenses.is_empty());
    }

    #[test]
    fn reads_v3_with_scopes_from_the_manifest() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = 'app'\n[dependencies]\nserde = '1'\n[build-dependencies]\ncc = '1'\n[dev-dependencies]\ntempfile = '3'\n",
        )
        .unwrap();
        let parsed = parse(V3, &context(dir.path())).unwrap();
        let by_name = |n: &str| parsed.packages.iter().find(|p| p.name == n).unwrap();
        assert!(parsed.complete);
        assert_eq!(parsed.packages.len(), 5);
        assert!(by_name("app").is_root);
        assert_eq!(parsed.direct, [0]);
        assert_eq!(by_name("serde").scope, Scope::Required);
        assert_eq!(
            by_name("cc").scope,
            Scope::Required,
            "build dependencies ship"
        );
        assert_eq!(by_name("tempfile").scope, Scope::Dev);
        assert_eq!(
            by_name("fastrand").scope,
            Scope::Dev,
            "reachable only through a dev dependency"
        );
        assert_eq!(by_name("serde").hashes[0].hex.len(), 64);
        assert_eq!(by_name("serde").line, 13);
        assert_eq!(
            by_name("cc").source,
            Source::Git {
                url: "https://github.com/rust-lang/cc-rs".into(),
                rev: Some("0123abcd".into())
            }
        );
        assert_eq!(by_name("app").dependencies.len(), 3);
    }

    #[test]
    fn without_manifests_everything_is_required() {
        let dir = tempfile::tempdir().unwrap();
        let parsed = parse(V3, &context(dir.path())).unwrap();
        assert!(parsed.packages.iter().all(|p| p.scope == Scope::Required));
    }

    #[test]
    fn reads_v1_metadata_checksums_and_versioned_edges() {
        let text = r#"[[package]]
name = "a"
version = "0.1.0"
dependencies = [
 "b 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)",
 "b 2.0.0 (registry+https://github.com/rust-lang/crates.io-index)",
]

[[package]]
name = "b"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "b"
version = "2.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[metadata]
"checksum b 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)" = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
"#;
        let dir = tempfile::tempdir().unwrap();
        let parsed = parse(text, &context(dir.path())).unwrap();
        assert_eq!(parsed.packages[0].dependencies, [1, 2]);
        assert_eq!(parsed.packages[1].hashes.len(), 1);
        assert!(parsed.packages[2].hashes.is_empty());
    }

    #[test]
    fn a_bad_entry_is_skipped_and_reported() {
        let text = "version = 4\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"broken\"\n\n[[package]]\nname = \"c\"\nversion = \"2.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
        let dir = tempfile::tempdir().unwrap();
        let parsed = parse(text, &context(dir.path())).unwrap();
        assert_eq!(parsed.packages.len(), 2);
        assert!(!parsed.complete);
        assert_eq!(parsed.diagnostics[0].line, 6);
    }

    #[test]
    fn licence_and_creator_of_a_manifest() {
        let table = |text: &str| toml::from_str::<toml::Table>(text).unwrap();
        let package = table(
            "license = \"MIT/Apache-2.0\"\nrepository = \"https://github.com/o/x\"\nhomepage = \"https://x.example\"\n",
        );
        let about = About::of(&package, None);
        assert_eq!(about.license.as_deref(), Some("MIT OR Apache-2.0"));
        assert_eq!(about.creator.as_deref(), Some("https://github.com/o/x"));
        // Not a URL: the home page, then an author's e-mail.
        let package = table(
            "repository = \"git@github.com:o/x\"\nauthors = [\"Nobody\", \"A B <a@b.example>\"]\n",
        );
        assert_eq!(
            About::of(&package, None).creator.as_deref(),
            Some("a@b.example")
        );
        // Inherited from the workspace; nothing inherited without one.
        let workspace = table("license = \"MIT\"\nrepository = \"https://w.example/r\"\n");
        let member = table("license.workspace = true\nrepository = { workspace = true }\n");
        let about = About::of(&member, Some(&workspace));
        assert_eq!(about.license.as_deref(), Some("MIT"));
        assert_eq!(about.creator.as_deref(), Some("https://w.example/r"));
        assert_eq!(About::of(&member, None), About::default());
        for bad in [
            "A <a@b>",
            "A <@b.example>",
            "A a@b.example",
            "A <a b@c.example>",
        ] {
            assert_eq!(author_email(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_cached_crate_gives_its_file_name_and_sha512_only_when_it_is_the_pinned_one() {
        use sha2::Digest;
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("cargo-home");
        let src = home.join("registry/src/index.crates.io-0/a-1.0.0");
        let cache = home.join("registry/cache/index.crates.io-0");
        fs_err::create_dir_all(&src).unwrap();
        fs_err::create_dir_all(&cache).unwrap();
        fs_err::write(src.join("Cargo.toml"), "[package]\nname = \"a\"\nversion = \"1.0.0\"\nlicense = \"MIT\"\nhomepage = \"https://a.example\"\n").unwrap();
        fs_err::write(cache.join("a-1.0.0.crate"), b"crate a").unwrap();
        fs_err::write(
            cache.join("b-1.0.0.crate"),
            b"not the crate the lockfile pins",
        )
        .unwrap();
        let sum = |bytes: &[u8]| crate::encoding::hex(&sha2::Sha256::digest(bytes));
        let text = format!(
            "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n\n[[package]]\nname = \"b\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n",
            sum(b"crate a"),
            sum(b"crate b")
        );
        let mut context = context(dir.path());
        context.cargo_home = Some(home);
        let parsed = parse(&text, &context).unwrap();
        let a = &parsed.packages[0];
        assert_eq!(a.licenses, ["MIT"]);
        let origin = a.origin.as_deref().unwrap();
        assert_eq!(origin.creator.as_deref(), Some("https://a.example"));
        assert_eq!(origin.file_name.as_deref(), Some("a-1.0.0.crate"));
        let sha512 = a.hashes.iter().find(|h| h.alg == HashAlg::Sha512).unwrap();
        assert_eq!(
            sha512.hex,
            crate::encoding::hex(&sha2::Sha512::digest(b"crate a"))
        );
        // A cached file whose SHA-256 is not the lockfile's checksum is not described.
        let b = &parsed.packages[1];
        assert!(b.origin.is_none());
        assert_eq!(b.hashes.len(), 1);
    }

    #[test]
    fn a_broken_entry_is_skipped_with_its_line_and_the_rest_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let text = "version = 3\n\n[[package]]\nname = \"a\n\n[[package]]\nname = \"b\"\nversion = \"1.0.0\"\n";
        let parsed = parse(text, &context(dir.path())).unwrap();
        assert_eq!(parsed.names(), ["b@1.0.0"]);
        assert!(!parsed.complete);
        assert_eq!(parsed.diagnostics[0].line, 4);
        assert!(
            parsed.diagnostics[0].message.contains("not valid TOML"),
            "{:?}",
            parsed.diagnostics
        );
    }

    #[test]
    fn a_file_that_is_not_a_cargo_lock_is_an_error_with_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let err = parse("# header\nhello world\n", &context(dir.path())).unwrap_err();
        assert!(matches!(err, SbomError::Parse { line: 2, .. }), "{err}");
        assert!(
            parse("version = 4\n", &context(dir.path()))
                .unwrap()
                .packages
                .is_empty()
        );
    }
}
