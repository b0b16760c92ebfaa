//! rpm's database of installed packages in its `SQLite` form (`rpmdb.sqlite`, RHEL 9, Fedora 33+,
//! `AlmaLinux` and Rocky 9): table `Packages`, one header blob per package. A header blob is the
//! index count and data length (big endian), the index entries (tag, type, offset, count) and
//! the data store; the tags read are name, version, release, epoch, arch, licence, the source
//! rpm, and what the package requires and provides (the edges). The Berkeley DB form of older
//! releases is not read (said, not guessed).
//!
//! Hostile input: the database is opened read-only in memory (the bytes given, at most the image
//! limit), each header's index is bounds-checked against its blob, and strings stop at their NUL.

use std::collections::HashMap;

use super::{Context, Parsed};
use crate::error::SbomError;
use crate::model::{Distribution, Ecosystem, Package, Source};

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_LICENSE: u32 = 1014;
const TAG_ARCH: u32 = 1022;
const TAG_SOURCERPM: u32 = 1044;
const TAG_PROVIDENAME: u32 = 1047;
const TAG_REQUIRENAME: u32 = 1049;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// The tags of one header that crabox reads.
#[derive(Debug, Default)]
struct Header {
    strings: HashMap<u32, Vec<String>>,
    epoch: Option<u32>,
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// Parses an rpmdb header blob (no lead, no magic).
fn header(blob: &[u8]) -> Option<Header> {
    let entries = usize::try_from(be32(blob, 0)?).ok()?;
    let data_length = usize::try_from(be32(blob, 4)?).ok()?;
    let store_at = 8usize.checked_add(entries.checked_mul(16)?)?;
    let store = blob.get(store_at..store_at.checked_add(data_length)?)?;
    let mut out = Header::default();
    for i in 0..entries {
        let at = 8 + i * 16;
        let (tag, kind, offset, count) = (
            be32(blob, at)?,
            be32(blob, at + 4)?,
            usize::try_from(be32(blob, at + 8)?).ok()?,
            usize::try_from(be32(blob, at + 12)?).ok()?,
        );
        if !matches!(
            tag,
            TAG_NAME
                | TAG_VERSION
                | TAG_RELEASE
                | TAG_EPOCH
                | TAG_LICENSE
                | TAG_ARCH
                | TAG_SOURCERPM
                | TAG_PROVIDENAME
                | TAG_REQUIRENAME
        ) {
            continue;
        }
        match kind {
            TYPE_INT32 if tag == TAG_EPOCH && count >= 1 => out.epoch = be32(store, offset),
            TYPE_STRING | TYPE_I18NSTRING | TYPE_STRING_ARRAY => {
                let mut strings = Vec::new();
                let mut cursor = offset;
                let wanted = if kind == TYPE_STRING {
                    1
                } else {
                    count.min(100_000)
                };
                for _ in 0..wanted {
                    let rest = store.get(cursor..)?;
                    let end = memchr::memchr(0, rest)?;
                    strings.push(String::from_utf8_lossy(&rest[..end]).into_owned());
                    cursor += end + 1;
                }
                out.strings.insert(tag, strings);
            }
            _ => {}
        }
    }
    Some(out)
}

/// `openssl-3.0.7-24.el9.src.rpm` → (`openssl`, `3.0.7-24.el9`).
fn source_rpm(text: &str) -> Option<(&str, &str)> {
    let stem = text.strip_suffix(".rpm")?;
    let stem = stem.rsplit_once('.').map_or(stem, |(s, _arch)| s);
    let (name_version, release) = stem.rsplit_once('-')?;
    let (name, version) = name_version.rsplit_once('-')?;
    let version_release = &stem[name.len() + 1..];
    let _ = (version, release);
    Some((name, version_release))
}

/// Reads the `Packages` table of an `rpmdb.sqlite` held in `bytes`.
pub fn parse_sqlite(bytes: &[u8], context: &Context) -> Result<Parsed, SbomError> {
    let fail = |e: rusqlite::Error| {
        context.parse_error(0, format!("not an rpm SQLite database (`Packages`): {e}"))
    };
    // rpm keeps its database in WAL mode (file format bytes 18 and 19 are 2); an in-memory
    // copy cannot be opened so, and reading needs no journal: mark the copy a rollback-journal
    // database (1). A write-ahead log beside the file is not applied (said by the caller).
    let mut copy = bytes.to_vec();
    if copy.len() > 19 && copy[18] == 2 && copy[19] == 2 {
        copy[18] = 1;
        copy[19] = 1;
    }
    let mut connection = rusqlite::Connection::open_in_memory().map_err(fail)?;
    connection
        .deserialize_read_exact(
            rusqlite::MAIN_DB,
            std::io::Cursor::new(&copy),
            copy.len(),
            true,
        )
        .map_err(fail)?;
    let mut statement = connection
        .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
        .map_err(fail)?;
    let rows = statement
        .query_map([], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?))
        })
        .map_err(fail)?;
    let (id, version_id) = context.distro.clone().unwrap_or_default();
    let mut parsed = Parsed::new();
    let mut by_provide: HashMap<String, usize> = HashMap::new();
    let mut requires: Vec<Vec<String>> = Vec::new();
    for row in rows {
        let (number, blob) = row.map_err(fail)?;
        let line = u32::try_from(number).unwrap_or(0);
        let Some(header) = header(&blob) else {
            parsed.skip(context.diagnostic(
                line,
                format!("package header {number} is not a valid rpm header"),
            ));
            continue;
        };
        let first = |tag: u32| header.strings.get(&tag).and_then(|s| s.first()).cloned();
        let (Some(name), Some(version), Some(release)) =
            (first(TAG_NAME), first(TAG_VERSION), first(TAG_RELEASE))
        else {
            parsed.skip(context.diagnostic(
                line,
                format!("package header {number} has no name, version or release"),
            ));
            continue;
        };
        // The GPG public keys rpm keeps as packages are not software.
        if name == "gpg-pubkey" {
            continue;
        }
        let evr = match header.epoch {
            Some(epoch) if epoch > 0 => format!("{epoch}:{version}-{release}"),
            _ => format!("{version}-{release}"),
        };
        let mut package = Package::new(Ecosystem::Rpm, name.clone(), evr);
        package.line = line;
        if let Some(license) = first(TAG_LICENSE).filter(|l| !l.is_empty()) {
            package.licenses.push(license);
        }
        let upstream = first(TAG_SOURCERPM)
            .as_deref()
            .and_then(source_rpm)
            .map(|(n, _)| n.to_owned())
            .filter(|n| *n != name);
        package.source = Source::Distribution(Box::new(Distribution {
            id: id.clone(),
            version_id: version_id.clone(),
            arch: first(TAG_ARCH),
            upstream,
            upstream_version: None,
        }));
        let index = parsed.packages.len();
        by_provide.entry(name).or_insert(index);
        for provided in header.strings.get(&TAG_PROVIDENAME).into_iter().flatten() {
            by_provide.entry(provided.clone()).or_insert(index);
        }
        requires.push(
            header
                .strings
                .get(&TAG_REQUIRENAME)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|r| !r.starts_with("rpmlib("))
                .collect(),
        );
        parsed.packages.push(package);
    }
    let depended = super::edges_by_name(&mut parsed.packages, &requires, &by_provide);
    // A package requiring itself (through a provide) is not an edge.
    for (i, package) in parsed.packages.iter_mut().enumerate() {
        package.dependencies.retain(|&d| d != i);
    }
    parsed.direct = super::not_depended(&depended);
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header blob with string tags (and an epoch), as rpm writes one.
    pub(crate) fn blob(strings: &[(u32, &[&str])], epoch: Option<u32>) -> Vec<u8> {
        let mut index = Vec::new();
        let mut store = Vec::new();
        for (tag, values) in strings {
            let kind = if values.len() == 1 {
                TYPE_STRING
            } else {
                TYPE_STRING_ARRAY
            };
            index.extend_from_slice(&tag.to_be_bytes());
            index.extend_from_slice(&kind.to_be_bytes());
            index.extend_from_slice(&u32::try_from(store.len()).unwrap().to_be_bytes());
            index.extend_from_slice(&u32::try_from(values.len()).unwrap().to_be_bytes());
            for value in *values {
                store.extend_from_slice(value.as_bytes());
                store.push(0);
            }
        }
        let mut count = strings.len();
        if let Some(epoch) = epoch {
            while store.len() % 4 != 0 {
                store.push(0);
            }
            index.extend_from_slice(&TAG_EPOCH.to_be_bytes());
            index.extend_from_slice(&TYPE_INT32.to_be_bytes());
            index.extend_from_slice(&u32::try_from(store.len()).unwrap().to_be_bytes());
            index.extend_from_slice(&1u32.to_be_bytes());
            store.extend_from_slice(&epoch.to_be_bytes());
            count += 1;
        }
        let mut out = u32::try_from(count).unwrap().to_be_bytes().to_vec();
        out.extend_from_slice(&u32::try_from(store.len()).unwrap().to_be_bytes());
        out.extend_from_slice(&index);
        out.extend_from_slice(&store);
        out
    }

    /// An `rpmdb.sqlite` with these header blobs, as bytes.
    pub(crate) fn database(blobs: &[Vec<u8>]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rpmdb.sqlite");
        let connection = rusqlite::Connection::open(&path).unwrap();
        // As rpm keeps it: in WAL mode.
        connection
            .execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);")
            .unwrap();
        for blob in blobs {
            connection
                .execute("INSERT INTO Packages (blob) VALUES (?1)", [blob])
                .unwrap();
        }
        drop(connection);
        fs_err::read(&path).unwrap()
    }

    #[test]
    fn installed_packages_with_epoch_source_and_edges() {
        let bytes = database(&[
            blob(
                &[
                    (TAG_NAME, &["glibc"]),
                    (TAG_VERSION, &["2.34"]),
                    (TAG_RELEASE, &["100.el9"]),
                    (TAG_ARCH, &["x86_64"]),
                    (TAG_LICENSE, &["LGPLv2+"]),
                    (TAG_SOURCERPM, &["glibc-2.34-100.el9.src.rpm"]),
                    (TAG_PROVIDENAME, &["glibc", "libc.so.6()(64bit)"]),
                ],
                None,
            ),
            blob(
                &[
                    (TAG_NAME, &["openssl-libs"]),
                    (TAG_VERSION, &["3.0.7"]),
                    (TAG_RELEASE, &["24.el9"]),
                    (TAG_ARCH, &["x86_64"]),
                    (TAG_SOURCERPM, &["openssl-3.0.7-24.el9.src.rpm"]),
                    (
                        TAG_REQUIRENAME,
                        &["libc.so.6()(64bit)", "rpmlib(PayloadIsZstd)"],
                    ),
                ],
                Some(1),
            ),
            blob(
                &[
                    (TAG_NAME, &["gpg-pubkey"]),
                    (TAG_VERSION, &["fd431d51"]),
                    (TAG_RELEASE, &["4ae0493b"]),
                ],
                None,
            ),
        ]);
        let context = Context {
            display: "var/lib/rpm/rpmdb.sqlite".into(),
            distro: Some(("almalinux".into(), "9.4".into())),
            ..Context::default()
        };
        let parsed = parse_sqlite(&bytes, &context).unwrap();
        assert_eq!(
            parsed.names(),
            ["glibc@2.34-100.el9", "openssl-libs@1:3.0.7-24.el9"]
        );
        assert_eq!(
            parsed.packages[1].purl(),
            "pkg:rpm/almalinux/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=almalinux-9.4&epoch=1&upstream=openssl"
        );
        assert_eq!(
            parsed.packages[1].dependencies,
            [0],
            "through what glibc provides"
        );
        assert_eq!(parsed.packages[0].licenses, ["LGPLv2+"]);
        assert_eq!(parsed.direct, [1]);
    }

    #[test]
    fn a_broken_header_and_a_broken_database_are_said() {
        let bytes = database(&[vec![0, 0, 0, 9, 0, 0, 0, 1]]);
        let parsed = parse_sqlite(&bytes, &Context::default()).unwrap();
        assert!(!parsed.complete);
        assert!(parse_sqlite(b"not sqlite", &Context::default()).is_err());
    }
}
