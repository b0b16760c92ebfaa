//! The on-disk index of an advisory database: every advisory already parsed into the common
//! shape and grouped by package, so that an audit reads one file and deserialises only the
//! records of the packages its lockfiles pin, and of those in full only the ones that affect a
//! pinned version.
//!
//! One index file per database path, under `<cache>/index/`, rebuilt when the database changed.
//! Change is detected without reading the advisories: the index keeps the size and modification
//! time of what it was built from, and each load re-checks
//! - the `.zip` export itself, or for a directory tree: every directory that holds
//!   subdirectories or the records of more than one package (a new advisory file changes its
//!   directory's modification time), and every file that could not be parsed;
//! - for each package being audited: its advisory files and the directories that hold only its
//!   records (RustSec's `crates/<name>/`).
//!
//! So the check costs a few dozen `stat` calls instead of hundreds, and trusts the layout in one
//! respect: an advisory about package B written into a directory that otherwise holds only
//! package A's records is noticed when A is audited (or the index is rebuilt for another
//! reason), not when only B is. Both RustSec and osv.dev place records by package.
//!
//! File format (version 5): the line `crabox-index 4`, the header length in bytes on the next
//! line, the JSON header, then per package two JSON values the header points into: first what a
//! load always reads (the stamps to re-check and each advisory's version matcher, with
//! RustSec's ranges already derived), then the advisories in full, read only when one affects a
//! pinned version. The header's table of packages is one string per ecosystem, a line
//! `name offset probe-length advisories-length` per package, so that a load splits lines and
//! reads the numbers of the wanted packages only, instead of deserialising every entry.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crabox_types::component::Ecosystem;
use serde::{Deserialize, Serialize};

use crate::advisory::{Advisory, Event};
use crate::db::{self, Database, Layout, Parsed, Wanted};
use crate::error::AuditError;

impl Database {
    /// Loads the advisories for the packages in `wanted`. With a cache directory, through the
    /// on-disk index kept there: built on the first use of each database version (and rebuilt
    /// when an advisory file it covers changed), after which only the wanted packages' records
    /// are read. Without one, or when the index cannot be written, every file is parsed. (Here,
    /// beside the index, so that `db` does not depend on this module.)
    pub fn open_for(
        path: &Path,
        wanted: &Wanted,
        cache: Option<&Path>,
    ) -> Result<Database, AuditError> {
        match cache {
            Some(cache) => open(path, wanted, cache),
            None => Database::open(path),
        }
    }
}

const MAGIC: &str = "crabox-index 5\n";

/// A file or directory below the database root, its size and its modification time
/// (nanoseconds since the epoch); written as a JSON array, the path read in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp<'a>(#[serde(borrow)] Cow<'a, str>, u64, u64);

impl Stamp<'_> {
    fn of(root: &Root, rel: &str) -> Option<Stamp<'static>> {
        let (size, mtime) = Stamp::measure(root, rel)?;
        Some(Stamp(Cow::Owned(rel.to_owned()), size, mtime))
    }

    /// Size and modification time; a directory's size says nothing stable on every file system
    /// (its mtime does), so it counts as 0.
    fn measure(root: &Root, rel: &str) -> Option<(u64, u64)> {
        let (is_dir, size, mtime) = root.stat(rel)?;
        Some((if is_dir { 0 } else { size }, mtime))
    }

    fn current(&self, root: &Root) -> bool {
        Stamp::measure(root, &self.0) == Some((self.1, self.2))
    }
}

/// The root of a database (a directory, or a `.zip` export), opened once where the platform
/// allows, so that each stamp is a lookup of a short path relative to it rather than a walk of
/// the whole path from `/`: a load checks a few hundred stamps.
struct Root<'a> {
    path: &'a Path,
    #[cfg(unix)]
    dir: Option<rustix::fd::OwnedFd>,
}

impl<'a> Root<'a> {
    fn open(path: &'a Path) -> Self {
        #[cfg(unix)]
        {
            use rustix::fs::{Mode, OFlags};
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            Root {
                path,
                dir: rustix::fs::open(path, flags, Mode::empty()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            Root { path }
        }
    }

    /// Whether `rel` (below the root; empty for the root itself) is a directory, its size, and
    /// its modification time in nanoseconds since the epoch. Symbolic links are followed.
    fn stat(&self, rel: &str) -> Option<(bool, u64, u64)> {
        #[cfg(unix)]
        if let Some(dir) = &self.dir {
            let rel = if rel.is_empty() { "." } else { rel };
            let stat = rustix::fs::statat(dir, rel, rustix::fs::AtFlags::empty()).ok()?;
            let is_dir = rustix::fs::FileType::from_raw_mode(stat.st_mode)
                == rustix::fs::FileType::Directory;
            // The field types differ between targets; on some the conversion is the identity.
            #[allow(clippy::useless_conversion)]
            let (seconds, nanos, size) = (
                u64::try_from(i64::from(stat.st_mtime)).ok()?,
                u64::try_from(stat.st_mtime_nsec).ok()?,
                u64::try_from(stat.st_size).ok()?,
            );
            let mtime = seconds.checked_mul(1_000_000_000)?.checked_add(nanos)?;
            return Some((is_dir, size, mtime));
        }
        let path = if rel.is_empty() {
            self.path.to_owned()
        } else {
            self.path.join(rel)
        };
        let metadata = fs_err::metadata(path).ok()?;
        let mtime = metadata
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        Some((
            metadata.is_dir(),
            metadata.len(),
            u64::try_from(mtime.as_nanos()).ok()?,
        ))
    }
}

/// The first part of a package's entry, read on every load: what to re-check before trusting
/// the entry, and the matcher of each advisory (in the order of the advisories that follow).
#[derive(Debug, Serialize, Deserialize)]
struct Probe<'a, M> {
    #[serde(borrow)]
    stamps: Vec<Stamp<'a>>,
    matchers: Vec<M>,
}

/// An indexed [`crate::advisory::Matcher`] as a load reads it (what [`ProbeMatcherRef`] wrote):
/// of a RustSec advisory only the derived ranges.
#[derive(Debug, Deserialize)]
enum ProbeMatcher {
    RustSec {
        affected: Vec<(Option<rustsec::Version>, Option<rustsec::Version>)>,
    },
    Osv {
        ranges: Vec<Vec<Event>>,
        versions: Vec<String>,
    },
}

/// What a probe holds of a [`Matcher`](crate::advisory::Matcher): of a RustSec advisory only
/// the derived ranges (the advisory in full, which follows, has the `patched` requirements).
#[derive(Serialize)]
enum ProbeMatcherRef<'a> {
    RustSec {
        affected: &'a [(Option<rustsec::Version>, Option<rustsec::Version>)],
    },
    Osv {
        ranges: &'a [Vec<Event>],
        versions: &'a [String],
    },
}

impl<'a> ProbeMatcherRef<'a> {
    fn of(matcher: &'a crate::advisory::Matcher) -> Self {
        match matcher {
            crate::advisory::Matcher::RustSec(versions) => ProbeMatcherRef::RustSec {
                affected: &versions.affected,
            },
            crate::advisory::Matcher::Osv { ranges, versions } => {
                ProbeMatcherRef::Osv { ranges, versions }
            }
        }
    }
}

impl ProbeMatcher {
    fn affects(&self, ecosystem: Ecosystem, version: &str) -> bool {
        match self {
            ProbeMatcher::RustSec { affected } => crate::advisory::in_spans(affected, version),
            ProbeMatcher::Osv { ranges, versions } => {
                crate::advisory::osv_affects(ecosystem, ranges, versions, version)
            }
        }
    }
}

/// Where one package's entry is in the body: offset, length of the [`Probe`], length of the
/// advisories that follow it.
type Slot = (u64, u32, u32);

#[derive(Debug, Serialize, Deserialize)]
struct Header<'a> {
    kind: String,
    /// The database path the index was built from.
    path: PathBuf,
    id: String,
    records: usize,
    skipped: Vec<(String, String)>,
    /// Checked on every load.
    #[serde(borrow)]
    always: Vec<Stamp<'a>>,
    /// Per ecosystem, a line `name offset probe-length advisories-length` per package, sorted
    /// by name; read in place from the file (package names have no escapes to decode).
    #[serde(borrow)]
    packages: BTreeMap<Ecosystem, Cow<'a, str>>,
}

/// The index file for the database at `path`: named by a 64-bit FNV-1a hash of the path (a
/// name, not a seal: the header records the path, and an index of another path is rebuilt).
/// SHA-256 here, with its CPU-feature detection, was 0.4% of a whole audit run.
pub(crate) fn index_path(cache: &Path, path: &Path) -> PathBuf {
    let hash = path
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    cache.join("index").join(format!("{hash:016x}.idx"))
}

/// Opens the database at `path` through its index under `cache`, building the index first when
/// there is none or it is out of date.
pub fn open(path: &Path, wanted: &Wanted, cache: &Path) -> Result<Database, AuditError> {
    let path = fs_err::canonicalize(path).map_err(|_| AuditError::NoDatabase {
        path: path.to_owned(),
    })?;
    let file = index_path(cache, &path);
    if file.is_file() {
        match load(&file, &path, wanted) {
            Some(database) => return Ok(database),
            None => tracing::debug!("the index {} is out of date", file.display()),
        }
    }
    let layout = Layout::of(&path)?;
    let parsed = db::read_all(layout, &path)?;
    let database = db::assemble(layout, &path, &parsed);
    match build(layout, &path, &parsed, &database) {
        Some(bytes) => {
            if let Err(err) = crabox_report::atomic::write(&file, &bytes) {
                tracing::warn!(
                    "could not write the advisory index {}: {err}; the next run parses the database again",
                    file.display()
                );
            }
        }
        None => tracing::debug!(
            "not indexed: the database changed while it was read, or a package name has white space"
        ),
    }
    Ok(database)
}

/// The index of a database just read, or `None` when a file changed during the reading or a
/// package name has white space (the header's table separates fields with it).
fn build(layout: Layout, path: &Path, parsed: &[Parsed], database: &Database) -> Option<Vec<u8>> {
    let root = &Root::open(path);
    // The database's advisories (in its order, so that an index load and a direct load agree)
    // by package, and which packages each file and each directory holds records for.
    let mut by_package: BTreeMap<(Ecosystem, &str), Vec<&Advisory>> = BTreeMap::new();
    for advisory in &database.advisories {
        by_package
            .entry((advisory.ecosystem, advisory.package.as_str()))
            .or_default()
            .push(advisory);
    }
    let mut dir_packages: BTreeMap<String, BTreeSet<Option<(Ecosystem, &str)>>> = BTreeMap::new();
    let mut file_packages: Vec<(&str, BTreeSet<(Ecosystem, &str)>)> = Vec::new();
    let mut always: Vec<Stamp<'static>> = Vec::new();
    for file in parsed {
        let dir = file.file.rsplit_once('/').map_or("", |(d, _)| d).to_owned();
        let mut packages = BTreeSet::new();
        match &file.result {
            Ok(advisories) => {
                for advisory in advisories {
                    packages.insert((advisory.ecosystem, advisory.package.as_str()));
                }
            }
            Err(_) if layout != Layout::OsvZip => always.push(Stamp::of(root, &file.file)?),
            Err(_) => {}
        }
        let in_dir = dir_packages.entry(dir).or_default();
        if packages.is_empty() {
            in_dir.insert(None); // a withdrawn or unreadable file makes the directory shared
        }
        in_dir.extend(packages.iter().map(|&p| Some(p)));
        file_packages.push((&file.file, packages));
    }
    let mut package_stamps: BTreeMap<(Ecosystem, &str), Vec<Stamp<'static>>> = BTreeMap::new();
    if layout == Layout::OsvZip {
        always.push(Stamp::of(root, "")?);
    } else {
        always.extend(directory_stamps(root, &dir_packages, &mut package_stamps)?);
        for (file, packages) in &file_packages {
            if packages.is_empty() {
                continue;
            }
            let stamp = Stamp::of(root, file)?;
            for package in packages {
                package_stamps
                    .entry(*package)
                    .or_default()
                    .push(stamp.clone());
            }
        }
    }
    let mut body: Vec<u8> = Vec::new();
    // In (ecosystem, name) order, so each ecosystem's list is sorted by name.
    let mut packages: BTreeMap<Ecosystem, Cow<str>> = BTreeMap::new();
    for ((ecosystem, name), advisories) in &by_package {
        // The table's separators: no ecosystem allows white space in a package name, and a
        // database that has one anyway is read without an index.
        if name.contains(char::is_whitespace) {
            return None;
        }
        let at = body.len();
        let probe = Probe {
            stamps: package_stamps
                .remove(&(*ecosystem, *name))
                .unwrap_or_default(),
            matchers: advisories
                .iter()
                .map(|a| ProbeMatcherRef::of(&a.matcher))
                .collect(),
        };
        serde_json::to_writer(&mut body, &probe).ok()?;
        let probe_len = u32::try_from(body.len() - at).ok()?;
        serde_json::to_writer(&mut body, advisories).ok()?;
        let len = u32::try_from(body.len() - at).ok()? - probe_len;
        let table = packages.entry(*ecosystem).or_default().to_mut();
        writeln!(table, "{name} {at} {probe_len} {len}").ok()?;
    }
    let header = Header {
        kind: database.kind.to_owned(),
        path: path.to_owned(),
        id: database.id.clone(),
        records: database.records,
        skipped: parsed
            .iter()
            .filter_map(|f| f.result.as_ref().err().map(|e| (f.file.clone(), e.clone())))
            .collect(),
        always,
        packages,
    };
    let header = serde_json::to_vec(&header).ok()?;
    let mut out = Vec::with_capacity(MAGIC.len() + 24 + header.len() + body.len());
    out.extend_from_slice(MAGIC.as_bytes());
    out.extend_from_slice(format!("{}\n", header.len()).as_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&body);
    Some(out)
}

/// The stamps of the directories of a tree database: those that hold the records of exactly one
/// package go to that package, all others are returned (checked on every load).
fn directory_stamps<'a>(
    root: &Root,
    dir_packages: &BTreeMap<String, BTreeSet<Option<(Ecosystem, &'a str)>>>,
    package_stamps: &mut BTreeMap<(Ecosystem, &'a str), Vec<Stamp<'static>>>,
) -> Option<Vec<Stamp<'static>>> {
    let mut always = Vec::new();
    // Every directory on the way to a record file, and those that hold none directly.
    let mut dirs: BTreeSet<String> = BTreeSet::from([String::new()]);
    for dir in dir_packages.keys() {
        let mut at = dir.as_str();
        loop {
            dirs.insert(at.to_owned());
            match at.rsplit_once('/') {
                Some((parent, _)) => at = parent,
                None if at.is_empty() => break,
                None => at = "",
            }
        }
    }
    let parents: BTreeSet<&str> = dirs
        .iter()
        .filter(|d| !d.is_empty())
        .map(|d| d.rsplit_once('/').map_or("", |(parent, _)| parent))
        .collect();
    for dir in &dirs {
        let has_subdirs = parents.contains(dir.as_str());
        let owners: Vec<_> = dir_packages.get(dir).into_iter().flatten().collect();
        let stamp = Stamp::of(root, dir)?;
        match owners.as_slice() {
            [Some(owner)] if !has_subdirs => {
                package_stamps.entry(*owner).or_default().push(stamp);
            }
            _ => always.push(stamp),
        }
    }
    Some(always)
}

/// Fills `buffer` from `offset` of the file, in one system call where the platform has one.
fn read_at(file: &fs_err::File, buffer: &mut [u8], offset: u64) -> Option<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file.file(), buffer, offset).ok()
    }
    #[cfg(not(unix))]
    {
        use std::io::{Read as _, Seek as _, SeekFrom};
        let mut file = file.file();
        file.seek(SeekFrom::Start(offset)).ok()?;
        file.read_exact(buffer).ok()
    }
}

/// The wanted packages' advisories from the index file, or `None` when it is not a current
/// index of the database at `path`. Reads the header, then only the wanted packages' entries.
/// (On one thread: a second one for half of the entries measured slower on the two-core machine
/// the benchmarks run on, where waking the other core costs more than the work it takes over.)
fn load(file: &Path, path: &Path, wanted: &Wanted) -> Option<Database> {
    use std::io::Read as _;
    let mut index = std::io::BufReader::new(fs_err::File::open(file).ok()?);
    let mut magic = [0; MAGIC.len()];
    index.read_exact(&mut magic).ok()?;
    if magic != MAGIC.as_bytes() {
        return None;
    }
    let mut length = String::new();
    std::io::BufRead::read_line(&mut index, &mut length).ok()?;
    let length: usize = length.trim_end().parse().ok()?;
    let mut header = vec![0; length];
    index.read_exact(&mut header).ok()?;
    let header: Header = serde_json::from_slice(&header).ok()?;
    let body_at = u64::try_from(MAGIC.len() + length.to_string().len() + 1 + length).ok()?;
    let root = Root::open(path);
    if header.path != path || !header.always.iter().all(|s| s.current(&root)) {
        return None;
    }
    let kind = match header.kind.as_str() {
        "rustsec" => "rustsec",
        "osv" => "osv",
        _ => return None,
    };
    // The header's names each looked up in the hash map of wanted ones: cheaper than a binary
    // search of the sorted names for each wanted package. They come in the order the entries
    // were written, so the reads below go forward through the file.
    let mut slots: Vec<(Slot, Ecosystem, &[&str])> = Vec::new();
    for (&ecosystem, table) in &header.packages {
        // Byte loops, not `split`: the lines are short, and the standard library's searcher
        // costs more per call than these scans (a tenth of the audit's instructions otherwise).
        let mut rest: &str = table;
        while !rest.is_empty() {
            let space = rest.bytes().position(|b| b == b' ')?;
            let end = rest.bytes().position(|b| b == b'\n').unwrap_or(rest.len());
            let (name, numbers) = (rest.get(..space)?, rest.get(space + 1..end)?);
            rest = rest.get(end + 1..).unwrap_or_default();
            let Some(versions) = wanted.get(&(ecosystem, Cow::Borrowed(name))) else {
                continue;
            };
            let mut numbers = numbers.split(' ');
            let slot = (
                numbers.next()?.parse().ok()?,
                numbers.next()?.parse().ok()?,
                numbers.next()?.parse().ok()?,
            );
            slots.push((slot, ecosystem, versions.as_slice()));
        }
    }
    let index = index.into_inner();
    let mut advisories = Vec::new();
    let (mut buffer, mut rest) = (Vec::new(), Vec::new());
    for ((at, probe_len, len), ecosystem, versions) in slots {
        // The probe first; the advisories in full (two thirds of the bytes) are read and parsed
        // only when one affects a pinned version, which few do.
        buffer.resize(probe_len as usize, 0);
        read_at(&index, &mut buffer, body_at + at)?;
        let probe: Probe<ProbeMatcher> = serde_json::from_slice(&buffer).ok()?;
        if !probe.stamps.iter().all(|s| s.current(&root)) {
            return None;
        }
        let keep: Vec<bool> = probe
            .matchers
            .iter()
            .map(|m| versions.is_empty() || versions.iter().any(|v| m.affects(ecosystem, v)))
            .collect();
        if keep.contains(&true) {
            rest.resize(len as usize, 0);
            read_at(&index, &mut rest, body_at + at + u64::from(probe_len))?;
            let full: Vec<Advisory> = serde_json::from_slice(&rest).ok()?;
            if full.len() != keep.len() {
                return None;
            }
            advisories.extend(
                full.into_iter()
                    .zip(keep)
                    .filter_map(|(advisory, keep)| keep.then_some(advisory)),
            );
        }
    }
    Some(Database {
        kind,
        path: path.to_owned(),
        advisories,
        skipped: header
            .skipped
            .into_iter()
            .map(|(file, why)| (path.join(file), why))
            .collect(),
        id: header.id,
        records: header.records,
        indexed: true,
        ecosystems: header
            .packages
            .iter()
            .filter(|(_, table)| !table.is_empty())
            .map(|(ecosystem, _)| *ecosystem)
            .collect(),
        releases: releases_of(&header.packages),
    })
}

/// The distribution releases the header's package tables have advisories for.
fn releases_of(packages: &BTreeMap<Ecosystem, Cow<str>>) -> BTreeSet<(Ecosystem, String)> {
    packages
        .iter()
        .filter(|(ecosystem, _)| ecosystem.is_distribution())
        .flat_map(|(&ecosystem, table)| {
            table.lines().filter_map(move |line| {
                let name = line.split(' ').next()?;
                Some((ecosystem, db::release_of(ecosystem, name)?.to_owned()))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::path::Path;

    use crabox_types::component::Ecosystem;

    use crate::db::{Database, Versions, Wanted};

    fn advisory(id: &str, package: &str, patched: &str) -> String {
        format!(
            "```toml\n[advisory]\nid = \"{id}\"\npackage = \"{package}\"\ndate = \"2099-01-01\"\n\n[versions]\npatched = [\"{patched}\"]\n```\n\n# {id} in {package}\n"
        )
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, text).unwrap();
    }

    fn wanted<'a>(names: &[&'a str]) -> Wanted<'a> {
        names
            .iter()
            .map(|n| ((Ecosystem::Cargo, (*n).into()), Versions::new()))
            .collect()
    }

    fn summary(database: &Database) -> Vec<String> {
        database
            .advisories
            .iter()
            .map(|a| format!("{} {} {:?}", a.id, a.package, a.patched()))
            .collect()
    }

    #[test]
    fn built_once_then_read_and_rebuilt_when_the_database_changes() {
        let dir = tempfile::tempdir().unwrap();
        let (db, cache) = (dir.path().join("db"), dir.path().join("cache"));
        write(
            &db,
            "crates/foo/RUSTSEC-2099-0001.md",
            &advisory("RUSTSEC-2099-0001", "foo", ">= 1.2.0"),
        );
        write(
            &db,
            "crates/bar/RUSTSEC-2099-0002.md",
            &advisory("RUSTSEC-2099-0002", "bar", ">= 2.0.0"),
        );
        write(
            &db,
            "crates/bar/RUSTSEC-2099-0003.md",
            "```toml\n[advisory]\nid = \n```\n",
        );
        let want = wanted(&["foo", "bar", "baz"]);

        let first = Database::open_for(&db, &want, Some(&cache)).unwrap();
        assert!(!first.indexed);
        assert_eq!(first.records, 2);
        assert_eq!(first.skipped.len(), 1, "{:?}", first.skipped);
        let second = Database::open_for(&db, &want, Some(&cache)).unwrap();
        assert!(second.indexed, "the second run reads the index");
        assert_eq!(summary(&first), summary(&second));
        assert_eq!((&first.id, first.records), (&second.id, second.records));
        assert_eq!(second.skipped.len(), 1);

        // Only the wanted packages are read from the index.
        let only_foo = Database::open_for(&db, &wanted(&["foo"]), Some(&cache)).unwrap();
        assert!(only_foo.indexed);
        assert_eq!(summary(&only_foo), ["RUSTSEC-2099-0001 foo [\">=1.2.0\"]"]);
        assert_eq!(only_foo.id, first.id, "the id names the whole database");

        // With the pinned versions given, only the advisories that affect one of them.
        let pinned = |version: &'static str| -> Wanted<'static> {
            [(
                (Ecosystem::Cargo, "foo".into()),
                Versions::from_slice(&[version]),
            )]
            .into_iter()
            .collect()
        };
        let patched = Database::open_for(&db, &pinned("1.2.5"), Some(&cache)).unwrap();
        assert!(patched.indexed);
        assert!(patched.advisories.is_empty(), "{:?}", summary(&patched));
        let affected = Database::open_for(&db, &pinned("1.1.9"), Some(&cache)).unwrap();
        assert_eq!(summary(&affected), ["RUSTSEC-2099-0001 foo [\">=1.2.0\"]"]);

        // An advisory edited in place.
        write(
            &db,
            "crates/foo/RUSTSEC-2099-0001.md",
            &advisory("RUSTSEC-2099-0001", "foo", ">= 1.2.10"),
        );
        let edited = Database::open_for(&db, &want, Some(&cache)).unwrap();
        assert!(!edited.indexed, "a changed file rebuilds the index");
        assert_ne!(edited.id, first.id);
        assert!(summary(&edited).contains(&"RUSTSEC-2099-0001 foo [\">=1.2.10\"]".to_owned()));
        assert!(
            Database::open_for(&db, &want, Some(&cache))
                .unwrap()
                .indexed
        );

        // A new advisory for a package already in the database, and one for a new package.
        write(
            &db,
            "crates/foo/RUSTSEC-2099-0004.md",
            &advisory("RUSTSEC-2099-0004", "foo", ">= 3.0.0"),
        );
        let added = Database::open_for(&db, &want, Some(&cache)).unwrap();
        assert!(!added.indexed);
        assert_eq!(added.records, 3);
        assert!(
            Database::open_for(&db, &want, Some(&cache))
                .unwrap()
                .indexed
        );
        write(
            &db,
            "crates/baz/RUSTSEC-2099-0005.md",
            &advisory("RUSTSEC-2099-0005", "baz", ">= 1.0.0"),
        );
        let new_package = Database::open_for(&db, &want, Some(&cache)).unwrap();
        assert!(!new_package.indexed);
        assert!(new_package.advisories.iter().any(|a| a.package == "baz"));

        // Without a cache directory every file is parsed, with the same result.
        let direct = Database::open_for(&db, &want, None).unwrap();
        assert_eq!(summary(&direct), summary(&new_package));
        assert_eq!(direct.id, new_package.id);
    }

    #[test]
    fn an_index_that_is_not_one_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let (db, cache) = (dir.path().join("db"), dir.path().join("cache"));
        write(
            &db,
            "crates/foo/RUSTSEC-2099-0001.md",
            &advisory("RUSTSEC-2099-0001", "foo", ">= 1.2.0"),
        );
        let want = wanted(&["foo"]);
        Database::open_for(&db, &want, Some(&cache)).unwrap();
        let index = fs_err::read_dir(cache.join("index"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let table = |table: &str| {
            let header = serde_json::json!({
                "kind": "rustsec", "path": db, "id": "x", "records": 1, "skipped": [],
                "always": [], "packages": {"cargo": table},
            })
            .to_string();
            format!("crabox-index 4\n{}\n{header}", header.len())
        };
        for garbage in [
            String::new(),
            "crabox-index 3\n".to_owned(),
            "crabox-index 4\n999\n{}".to_owned(),
            "crabox-index 4\n2\n{}".to_owned(),
            table("foo 0 x 1\n"),
            table("foo 0 1\n"),
            table("foo\n"),
            table("foo 0 1 999999\n"),
        ] {
            fs_err::write(&index, &garbage).unwrap();
            let database = Database::open_for(&db, &want, Some(&cache)).unwrap();
            assert!(!database.indexed, "{garbage:?}");
            assert_eq!(database.advisories.len(), 1);
        }
    }

    #[test]
    fn a_package_name_with_white_space_is_read_without_an_index() {
        let dir = tempfile::tempdir().unwrap();
        let (db, cache) = (dir.path().join("db"), dir.path().join("cache"));
        for (file, name) in [("a.json", "left-pad"), ("b.json", "bad name")] {
            write(
                &db,
                file,
                &format!(
                    r#"{{"id": "{file}", "affected": [{{"package": {{"ecosystem": "npm", "name": "{name}"}},
                    "ranges": [{{"type": "SEMVER", "events": [{{"introduced": "0"}}, {{"fixed": "1.0.0"}}]}}]}}]}}"#
                ),
            );
        }
        let want: Wanted = ["left-pad", "bad name"]
            .into_iter()
            .map(|n| ((Ecosystem::Npm, n.into()), Versions::from_slice(&["0.1.0"])))
            .collect();
        for _ in 0..2 {
            let database = Database::open_for(&db, &want, Some(&cache)).unwrap();
            assert!(!database.indexed);
            assert_eq!(database.advisories.len(), 2);
        }
        let written = fs_err::read_dir(cache.join("index")).map_or(0, Iterator::count);
        assert_eq!(written, 0, "no index file is written");
    }

    #[test]
    fn osv_zip_exports_are_read_and_indexed() {
        use std::io::Write as _;
        let dir = tempfile::tempdir().unwrap();
        let (zip_path, cache) = (dir.path().join("all.zip"), dir.path().join("cache"));
        let make = |fixed: &str| {
            let mut zip = zip::ZipWriter::new(fs_err::File::create(&zip_path).unwrap());
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            zip.start_file("GHSA-0001.json", options).unwrap();
            write!(
                zip,
                r#"{{"id": "GHSA-0001", "affected": [{{"package": {{"ecosystem": "PyPI", "name": "Requests"}},
                "ranges": [{{"type": "ECOSYSTEM", "events": [{{"introduced": "0"}}, {{"fixed": "{fixed}"}}]}}]}}]}}"#
            )
            .unwrap();
            zip.start_file("README.txt", options).unwrap();
            zip.start_file("broken.json", options).unwrap();
            zip.write_all(b"{").unwrap();
            zip.finish().unwrap();
        };
        make("2.32.0");
        let want: Wanted = [((Ecosystem::Pypi, "requests".into()), Versions::new())]
            .into_iter()
            .collect();
        let first = Database::open_for(&zip_path, &want, Some(&cache)).unwrap();
        assert_eq!(first.kind, "osv");
        assert_eq!(first.skipped.len(), 1);
        assert_eq!(first.advisories[0].patched(), ["2.32.0"]);
        assert!(
            Database::open_for(&zip_path, &want, Some(&cache))
                .unwrap()
                .indexed
        );
        make("2.32.10");
        let updated = Database::open_for(&zip_path, &want, Some(&cache)).unwrap();
        assert!(!updated.indexed);
        assert_eq!(updated.advisories[0].patched(), ["2.32.10"]);
    }
}
