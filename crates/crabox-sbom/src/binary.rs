//! What a built binary says it was linked from (`--artifact` files): Go's build information
//! (`runtime/debug.BuildInfo`, Go 1.18+: the `\xff Go buildinf:` header with the Go version and
//! the module list inline) and Rust's `cargo auditable` data (a `.dep-v0` section of ELF, PE or
//! Mach-O holding zlib-compressed JSON). Either becomes a lockfile of the artifact, so a release
//! binary's SBOM and audit list what was linked, including the Go standard library.
//!
//! Hostile input: the binary is read whole up to 1 GiB, the module list is bounded by the file,
//! the compressed JSON is inflated to at most 16 MiB, and nothing read becomes a path.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::catalog::{Context, Parsed};
use crate::error::SbomError;
use crate::model::{Ecosystem, Format, Lockfile, Package, Scope, Source};

const MAX_BINARY: u64 = 1 << 30;
const MAX_JSON: u64 = 16 << 20;
const GO_MAGIC: &[u8] = b"\xff Go buildinf:";
const GO_SENTINEL_START: &[u8] =
    b"\x30\x77\xaf\x0c\x92\x74\x08\x02\x41\xe1\xc1\x07\xe6\xd6\x18\xe6";

/// A Go uvarint.
fn uvarint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

fn go_string<'a>(bytes: &'a [u8], at: &mut usize) -> Option<&'a [u8]> {
    let length = usize::try_from(uvarint(bytes, at)?).ok()?;
    let text = bytes.get(*at..at.checked_add(length)?)?;
    *at += length;
    Some(text)
}

/// Where Go's linker puts the build information: the `.go.buildinfo` section of an ELF file,
/// `__go_buildinfo` of a Mach-O one, a PE file's `.data`; bytes that are no object file `object`
/// reads are searched whole. Another section of a parsed file is never searched: the magic bytes
/// in a program's constants (crabox's own, which reads Go binaries) are not build information.
fn go_region(data: &[u8]) -> &[u8] {
    use object::{Object as _, ObjectSection as _};
    let Ok(file) = object::File::parse(data) else {
        return data;
    };
    let name = match file.format() {
        object::BinaryFormat::Elf => ".go.buildinfo",
        object::BinaryFormat::MachO => "__go_buildinfo",
        object::BinaryFormat::Pe => ".data",
        _ => return &[],
    };
    file.section_by_name(name)
        .and_then(|section| section.file_range())
        .and_then(|(offset, size)| {
            let start = usize::try_from(offset).ok()?;
            data.get(start..start.checked_add(usize::try_from(size).ok()?)?)
        })
        .unwrap_or_default()
}

/// The offset of the build information header: the magic at a 16-byte boundary of the region
/// with a pointer size of 4 or 8 after it, as Go's `debug/buildinfo` looks for it.
fn go_header(region: &[u8]) -> Option<usize> {
    memchr::memmem::find_iter(region, GO_MAGIC)
        .find(|&at| at % 16 == 0 && matches!(region.get(at + GO_MAGIC.len()), Some(4 | 8)))
}

/// The Go version and module lines of a Go binary's build information, when it has them.
fn go_build_info(data: &[u8]) -> Option<Result<(String, String), String>> {
    let data = go_region(data);
    let at = go_header(data)?;
    let flags = *data.get(at + 15)?;
    if flags & 2 == 0 {
        return Some(Err(
            "Go build information older than Go 1.18 (pointers, not inline): its modules are not read"
                .to_owned(),
        ));
    }
    let mut cursor = at + 32;
    let mut parse = || -> Option<(String, String)> {
        let version = go_string(data, &mut cursor)?;
        let modules = go_string(data, &mut cursor)?;
        let modules = if modules.len() >= 33 && modules.starts_with(GO_SENTINEL_START) {
            &modules[16..modules.len() - 16]
        } else {
            modules
        };
        Some((
            String::from_utf8_lossy(version).into_owned(),
            String::from_utf8_lossy(modules).into_owned(),
        ))
    };
    Some(parse().ok_or_else(|| "a Go build information header without its strings".to_owned()))
}

fn go_packages(version: &str, modules: &str, context: &Context) -> Parsed {
    let mut parsed = Parsed::new();
    parsed.graph_complete = false;
    // The standard library the binary was built with: Go's own advisories name it `stdlib`.
    if let Some(go) = version.strip_prefix("go") {
        let go = go.split([' ', '-', 'X']).next().unwrap_or(go);
        let mut stdlib = Package::new(Ecosystem::Golang, "stdlib", go);
        stdlib.line = 1;
        parsed.direct.push(0);
        parsed.packages.push(stdlib);
    }
    for (n, line) in modules.lines().enumerate() {
        let number = u32::try_from(n + 1).unwrap_or(u32::MAX);
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["mod", path, version, ..] => {
                let mut package = Package::new(Ecosystem::Golang, *path, *version);
                package.line = number;
                package.is_root = true;
                package.source = Source::Path((*path).to_owned());
                parsed.packages.push(package);
            }
            ["dep", path, version, ..] => {
                let mut package = Package::new(Ecosystem::Golang, *path, *version);
                package.line = number;
                parsed.direct.push(parsed.packages.len());
                parsed.packages.push(package);
            }
            // The module above is replaced by this one (a local directory when no version).
            ["=>", path, rest @ ..] => {
                if let Some(last) = parsed.packages.last_mut() {
                    match rest.first().filter(|v| !v.is_empty()) {
                        Some(version) => {
                            (*path).clone_into(&mut last.name);
                            (*version).clone_into(&mut last.version);
                        }
                        None => last.source = Source::Path((*path).to_owned()),
                    }
                }
            }
            ["path" | "build", ..] | [""] => {}
            _ => parsed.skip(context.diagnostic(
                number,
                format!("an unknown build information line `{line}`"),
            )),
        }
    }
    parsed
}

/// The `cargo auditable` JSON of a Rust binary, when it has the section.
fn auditable_json(data: &[u8]) -> Option<Result<Vec<u8>, String>> {
    use object::{Object as _, ObjectSection as _};
    let file = object::File::parse(data).ok()?;
    let section = file.section_by_name(".dep-v0")?;
    let compressed = match section.data() {
        Ok(bytes) => bytes,
        Err(e) => return Some(Err(format!("the `.dep-v0` section cannot be read: {e}"))),
    };
    let mut json = Vec::new();
    let inflated = flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_JSON + 1)
        .read_to_end(&mut json);
    Some(match inflated {
        Err(e) => Err(format!("the `.dep-v0` section is not zlib data: {e}")),
        Ok(_) if json.len() as u64 > MAX_JSON => Err(format!(
            "the `.dep-v0` section inflates past {MAX_JSON} bytes"
        )),
        Ok(_) => Ok(json),
    })
}

fn auditable_packages(json: &[u8], context: &Context) -> Result<Parsed, SbomError> {
    let document: serde_json::Value = serde_json::from_slice(json).map_err(|e| {
        context.parse_error(
            0,
            format!("the `.dep-v0` section is not cargo-auditable JSON: {e}"),
        )
    })?;
    let Some(packages) = document
        .get("packages")
        .and_then(serde_json::Value::as_array)
    else {
        return Err(context.parse_error(0, "the `.dep-v0` JSON has no `packages`"));
    };
    let mut parsed = Parsed::new();
    let mut edges = Vec::new();
    for (i, entry) in packages.iter().enumerate() {
        let text = |key: &str| entry.get(key).and_then(serde_json::Value::as_str);
        let (Some(name), Some(version)) = (text("name"), text("version")) else {
            parsed.skip(context.diagnostic(
                0,
                format!("package {i} of `.dep-v0` has no name or version"),
            ));
            edges.push(Vec::new());
            continue;
        };
        let mut package = Package::new(Ecosystem::Cargo, name, version);
        package.line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        package.source = match text("source") {
            Some("crates.io") | None => Source::Registry,
            Some("local") => Source::Path(name.to_owned()),
            Some("git") => Source::Git {
                url: String::new(),
                rev: None,
            },
            Some(other) => Source::OtherRegistry(other.to_owned()),
        };
        if text("kind") == Some("build") {
            // Build scripts and proc macros ran at build time; they are not in the binary.
            package.scope = Scope::Dev;
        }
        package.is_root = entry.get("root").and_then(serde_json::Value::as_bool) == Some(true);
        let to: Vec<usize> = entry
            .get("dependencies")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|d| usize::try_from(d.as_u64()?).ok())
            .filter(|&d| d < packages.len())
            .collect();
        edges.push(to);
        parsed.packages.push(package);
    }
    // Indices refer to the JSON list; every entry was pushed unless skipped, so map them.
    if parsed.packages.len() == packages.len() {
        for (package, to) in parsed.packages.iter_mut().zip(&edges) {
            package.dependencies.clone_from(to);
        }
        parsed.direct = parsed
            .packages
            .iter()
            .enumerate()
            .filter(|(_, p)| p.is_root)
            .flat_map(|(i, _)| edges[i].clone())
            .collect();
        parsed.direct.sort_unstable();
        parsed.direct.dedup();
    } else {
        parsed.graph_complete = false;
    }
    Ok(parsed)
}

/// What the binary at `path` was linked from (shown relative to `root`): a lockfile for Go
/// build information or `cargo auditable` data, `None` for a file that has neither.
pub fn scan(root: &Path, path: &Path) -> Result<Option<Lockfile>, SbomError> {
    let read_error = |source| SbomError::Read {
        path: path.to_owned(),
        source,
    };
    let mut file = fs_err::File::open(path).map_err(read_error)?;
    // Only an executable (ELF, PE, Mach-O) carries build information: anything else (an archive,
    // a document) is not read whole.
    let mut head = [0u8; 8];
    let read = file.read(&mut head).map_err(read_error)?;
    if !crate::artifact::is_executable(&head[..read]) {
        return Ok(None);
    }
    std::io::Seek::rewind(&mut file).map_err(read_error)?;
    let mut data = Vec::new();
    file.take(MAX_BINARY)
        .read_to_end(&mut data)
        .map_err(read_error)?;
    let shown = crate::display(root, path);
    let context = Context {
        dir: PathBuf::new(),
        display: shown.clone(),
        ..Context::default()
    };
    if let Some(found) = go_build_info(&data) {
        let parsed = match found {
            Ok((version, modules)) => go_packages(&version, &modules, &context),
            Err(why) => {
                let mut parsed = Parsed::new();
                parsed.skip(context.diagnostic(0, why));
                parsed
            }
        };
        return Ok(Some(parsed.into_lockfile(shown, Format::GoBinary)));
    }
    if let Some(found) = auditable_json(&data) {
        let json = found.map_err(|why| context.parse_error(0, why))?;
        let parsed = auditable_packages(&json, &context)?;
        return Ok(Some(parsed.into_lockfile(shown, Format::RustAuditable)));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(out: &mut Vec<u8>, mut value: usize) {
        while value >= 0x80 {
            out.push(u8::try_from(value & 0x7f).unwrap() | 0x80);
            value >>= 7;
        }
        out.push(u8::try_from(value).unwrap());
    }

    /// Go 1.18+ build information, as the linker lays it out, inside other bytes.
    fn go_binary(modules: &str) -> Vec<u8> {
        let mut data = b"\x7fELF and other bytes before\xff Go buildinf:\x08\x02".to_vec();
        data.resize(48, 0); // The header is 16-byte aligned; the magic before it is not.
        data.extend_from_slice(GO_MAGIC);
        data.push(8);
        data.push(2);
        data.resize(data.len() + 16, 0);
        let version = b"go1.22.1";
        varint(&mut data, version.len());
        data.extend_from_slice(version);
        let mut info = GO_SENTINEL_START.to_vec();
        info.extend_from_slice(modules.as_bytes());
        info.extend_from_slice(b"\xf9\x32\x43\x31\x86\x18\x20\x72\x00\x82\x42\x10\x41\x16\xd8\xf2");
        varint(&mut data, info.len());
        data.extend_from_slice(&info);
        data.extend_from_slice(b"more bytes after");
        data
    }

    #[test]
    fn go_modules_and_the_standard_library() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server");
        fs_err::write(
            &path,
            go_binary(
                "path\texample.com/server\nmod\texample.com/server\t(devel)\t\n\
                 dep\tgolang.org/x/net\tv0.17.0\th1:abc=\n\
                 dep\tgithub.com/old/lib\tv1.0.0\th1:def=\n=>\tgithub.com/new/lib\tv1.2.0\th1:ghi=\n\
                 build\t-compiler=gc\nbuild\tGOOS=linux\n",
            ),
        )
        .unwrap();
        let lockfile = scan(dir.path(), &path).unwrap().unwrap();
        let listed: Vec<String> = lockfile
            .packages
            .iter()
            .filter(|p| !p.is_root)
            .map(|p| format!("{}@{} line {}", p.name, p.version, p.line))
            .collect();
        assert_eq!(
            listed,
            [
                "stdlib@1.22.1 line 1",
                "golang.org/x/net@v0.17.0 line 3",
                "github.com/new/lib@v1.2.0 line 4",
            ]
        );
        assert_eq!(lockfile.path, "server");
        assert_eq!(lockfile.format, Format::GoBinary);
    }

    #[test]
    fn a_file_without_build_information_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.bin");
        fs_err::write(&path, b"\x7fELF not really").unwrap();
        assert!(scan(dir.path(), &path).unwrap().is_none());
        // A truncated header is said, not a panic.
        let mut data = b"\x7fELF".to_vec();
        data.resize(16, 0);
        data.extend_from_slice(GO_MAGIC);
        data.extend_from_slice(&[8, 2]);
        fs_err::write(&path, &data).unwrap();
        let lockfile = scan(dir.path(), &path).unwrap().unwrap();
        assert!(!lockfile.complete);
    }

    #[test]
    fn the_magic_in_a_programs_constants_is_not_build_information() {
        // This test program is an object file with `GO_MAGIC` among its constants (crabox's
        // own binary too): only the section Go's linker writes is read, so it is no Go binary.
        let exe = std::env::current_exe().unwrap();
        let data = fs_err::read(&exe).unwrap();
        assert!(memchr::memmem::find(&data, GO_MAGIC).is_some());
        assert!(go_build_info(&data).is_none());
        let dir = tempfile::tempdir().unwrap();
        assert!(
            scan(dir.path(), &exe)
                .unwrap()
                .is_none_or(|l| l.format != Format::GoBinary)
        );
    }

    #[test]
    fn cargo_auditable_json() {
        let json = br#"{"packages":[
            {"name":"gateway","version":"1.4.0","source":"local","root":true,"dependencies":[1,2]},
            {"name":"itoa","version":"1.0.11","source":"crates.io"},
            {"name":"serde_derive","version":"1.0.200","source":"crates.io","kind":"build"}
        ]}"#;
        let parsed = auditable_packages(json, &Context::default()).unwrap();
        assert_eq!(
            parsed.names(),
            ["gateway@1.4.0", "itoa@1.0.11", "serde_derive@1.0.200"]
        );
        assert!(parsed.packages[0].is_root);
        assert_eq!(parsed.packages[2].scope, Scope::Dev);
        assert_eq!(parsed.direct, [1, 2]);
    }

    /// A real ELF (the C compiler's output) with a `.dep-v0` section added by objcopy, as
    /// cargo-auditable's linker step leaves it.
    #[test]
    #[allow(clippy::disallowed_macros)] // A test that cannot run says so on stdout (a SKIP line).
    fn a_dep_v0_section_of_a_real_elf() {
        let dir = tempfile::tempdir().unwrap();
        let c = dir.path().join("main.c");
        fs_err::write(&c, "int main(void) { return 0; }\n").unwrap();
        let elf = dir.path().join("main");
        let built = std::process::Command::new("cc")
            .arg(&c)
            .arg("-o")
            .arg(&elf)
            .status();
        if !built.is_ok_and(|s| s.success()) {
            println!("SKIP: no C compiler to build an ELF");
            return;
        }
        let json = br#"{"packages":[{"name":"gateway","version":"1.4.0","source":"local","root":true,"dependencies":[1]},{"name":"itoa","version":"1.0.11","source":"crates.io"}]}"#;
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut encoder, json).unwrap();
        let section = dir.path().join("dep-v0");
        fs_err::write(&section, encoder.finish().unwrap()).unwrap();
        let added = std::process::Command::new("objcopy")
            .arg(format!("--add-section=.dep-v0={}", section.display()))
            .arg(&elf)
            .status();
        if !added.is_ok_and(|s| s.success()) {
            println!("SKIP: no objcopy to add a section");
            return;
        }
        let lockfile = scan(dir.path(), &elf).unwrap().unwrap();
        assert_eq!(lockfile.format, Format::RustAuditable);
        let names: Vec<String> = lockfile
            .packages
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert_eq!(names, ["gateway@1.4.0", "itoa@1.0.11"]);
        // The same ELF without the section is no lockfile.
        fs_err::remove_file(&elf).unwrap();
        std::process::Command::new("cc")
            .arg(&c)
            .arg("-o")
            .arg(&elf)
            .status()
            .unwrap();
        assert!(scan(dir.path(), &elf).unwrap().is_none());
    }
}
