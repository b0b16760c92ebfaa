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
    parsed.direct = members;
    if let Some(home) = &context.cargo_home {
        add_cached_licenses(&mut parsed.packages, home);
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
}

/// Reads the `Cargo.toml` files of the workspace beside the lockfile, keyed by package name: the
/// root manifest and its `[workspace] members` (plain paths and `dir/*` globs, as Cargo expands
/// them), without walking the tree.
fn workspace_manifests(dir: &Path) -> BTreeMap<String, Declared> {
    let mut out = BTreeMap::new();
    let Some(root) = read_manifest(&dir.join("Cargo.toml")) else {
        return out;
    };
    let mut manifests = vec![root.clone()];
    let members = root
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(toml::Value::as_array)
        .map(|m| m.iter().filter_map(toml::Value::as_str).collect::<Vec<_>>())
        .unwrap_or_default();
    for member in members {
        let paths: Vec<std::path::PathBuf> = match member.strip_suffix("/*") {
            Some(parent) => fs_err::read_dir(dir.join(parent))
                .map(|entries| entries.flatten().map(|e| e.path()).collect())
                .unwrap_or_default(),
            None => vec![dir.join(member)],
        };
        manifests.extend(
            paths
                .iter()
                .filter_map(|p| read_manifest(&p.join("Cargo.toml"))),
        );
    }
    for manifest in manifests {
        let Some(name) = manifest
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
        else {
            continue;
        };
        let mut declared = Declared::default();
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

/// Marks as `Dev` every package reachable from the members only through dev-dependencies.
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
    let mut queue: VecDeque<usize> = members.iter().copied().collect();
    for &m in members {
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

/// Licences from `$CARGO_HOME/registry/src/*/NAME-VERSION/Cargo.toml`, where the crate is cached.
/// Read in parallel, and only the `[package] license` line of each manifest is parsed.
fn add_cached_licenses(packages: &mut [Package], cargo_home: &Path) {
    use rayon::prelude::*;
    let Ok(registries) = fs_err::read_dir(cargo_home.join("registry/src")) else {
        return;
    };
    let roots: Vec<_> = registries.flatten().map(|e| e.path()).collect();
    packages
        .par_iter_mut()
        .filter(|p| p.source == Source::Registry)
        .for_each(|package| {
            let dir_name = format!("{}-{}", package.name, package.version);
            for root in &roots {
                let Ok(text) = fs_err::read_to_string(root.join(&dir_name).join("Cargo.toml"))
                else {
                    continue;
                };
                package
                    .licenses
                    .extend(manifest_license(&text).map(|l| l.replace('/', " OR ")));
                break;
            }
        });
}

/// The `license` of a manifest's `[package]` table.
fn manifest_license(text: &str) -> Option<String> {
    let mut in_package = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        let Some(rest) = line.strip_prefix("license").filter(|_| in_package) else {
            continue;
        };
        let rest = rest.trim_start();
        if rest.starts_with('=') {
            let value: toml::Table = toml::from_str(&format!("license {rest}")).ok()?;
            return value.get("license")?.as_str().map(str::to_owned);
        }
    }
    None
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
    fn licence_line_of_a_registry_manifest() {
        let text = "[package]\nname = \"x\"\nlicense-file = \"L\"\nlicense = \"MIT OR Apache-2.0\"\n[dependencies]\nlicense = \"no\"\n";
        assert_eq!(manifest_license(text).as_deref(), Some("MIT OR Apache-2.0"));
        assert_eq!(
            manifest_license("[dependencies]\nlicense = \"MIT\"\n"),
            None
        );
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
