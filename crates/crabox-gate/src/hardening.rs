//! Binary hardening of ELF artifacts, read with the `object` crate, in the terms of Debian's
//! `hardening-check`: PIE, read-only relocations and immediate binding (full RELRO), a
//! non-executable stack, the stack protector, `FORTIFY_SOURCE`; and whether the binary is stripped
//! and, for Rust binaries, carries cargo-auditable dependency data.

use object::read::elf::{Dyn as _, FileHeader, ProgramHeader as _};
use object::{Object as _, ObjectSection as _, ObjectSymbol as _, elf};
use serde::Serialize;

use crabox_types::{Code, codes};

use crate::{Category, Check, Outcome};

/// What one binary has (one flag per property `hardening-check` reports).
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Hardening {
    /// `ET_DYN` with an interpreter or the PIE flag (a shared library is not an executable).
    pub pie: Option<bool>,
    pub shared_library: bool,
    /// `PT_GNU_RELRO` present.
    pub relro: bool,
    /// `BIND_NOW` (`DT_BIND_NOW`, `DF_BIND_NOW` or `DF_1_NOW`).
    pub bind_now: bool,
    /// `PT_GNU_STACK` without execute permission.
    pub nx: bool,
    /// `__stack_chk_fail` (or `__stack_chk_guard`) used.
    pub stack_protector: bool,
    /// `__*_chk` libc functions used.
    pub fortified: Vec<String>,
    /// libc functions `FORTIFY_SOURCE` would have replaced, used unprotected.
    pub unfortified: Vec<String>,
    pub stripped: bool,
    pub rust: bool,
    /// A `.dep-v0` section (cargo-auditable).
    pub auditable: bool,
}

/// libc functions with a `__*_chk` variant (glibc), as `hardening-check` lists them.
const FORTIFIABLE: &[&str] = &[
    "memcpy",
    "memmove",
    "mempcpy",
    "memset",
    "stpcpy",
    "stpncpy",
    "strcat",
    "strcpy",
    "strncat",
    "strncpy",
    "sprintf",
    "snprintf",
    "vsprintf",
    "vsnprintf",
    "printf",
    "fprintf",
    "vprintf",
    "vfprintf",
    "dprintf",
    "vdprintf",
    "asprintf",
    "vasprintf",
    "gets",
    "fgets",
    "fgets_unlocked",
    "read",
    "pread",
    "pread64",
    "recv",
    "recvfrom",
    "readlink",
    "readlinkat",
    "getcwd",
    "getwd",
    "realpath",
    "confstr",
    "getgroups",
    "gethostname",
    "getdomainname",
    "ttyname_r",
    "getlogin_r",
    "ptsname_r",
    "wcscpy",
    "wcsncpy",
    "wcscat",
    "wcsncat",
    "wmemcpy",
    "wmemmove",
    "wmemset",
    "swprintf",
    "fread",
    "fread_unlocked",
    "poll",
    "ppoll",
    "syslog",
    "vsyslog",
    "longjmp",
    "wctomb",
    "mbstowcs",
    "wcstombs",
    "fdelt",
    "obstack_printf",
    "obstack_vprintf",
];

/// Why a file could not be read as an ELF binary.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NotElf(pub String);

fn elf_facts<Elf: FileHeader<Endian = object::Endianness>>(
    data: &[u8],
    out: &mut Hardening,
) -> Result<(), NotElf> {
    let header = Elf::parse(data).map_err(|e| NotElf(e.to_string()))?;
    let endian = header.endian().map_err(|e| NotElf(e.to_string()))?;
    let headers = header
        .program_headers(endian, data)
        .map_err(|e| NotElf(e.to_string()))?;
    let mut interpreter = false;
    let mut flags_1 = 0_u64;
    let mut stack_header = false;
    for ph in headers {
        match ph.p_type(endian) {
            elf::PT_INTERP => interpreter = true,
            elf::PT_GNU_RELRO => out.relro = true,
            elf::PT_GNU_STACK => {
                stack_header = true;
                out.nx = ph.p_flags(endian) & elf::PF_X == 0;
            }
            _ => {}
        }
        if let Ok(Some(dynamic)) = ph.dynamic(endian, data) {
            for entry in dynamic {
                let tag: u64 = entry.d_tag(endian).into();
                let value: u64 = entry.d_val(endian).into();
                if tag == u64::from(elf::DT_BIND_NOW)
                    || (tag == u64::from(elf::DT_FLAGS) && value & u64::from(elf::DF_BIND_NOW) != 0)
                {
                    out.bind_now = true;
                }
                if tag == u64::from(elf::DT_FLAGS_1) {
                    flags_1 |= value;
                }
            }
        }
    }
    if flags_1 & u64::from(elf::DF_1_NOW) != 0 {
        out.bind_now = true;
    }
    // Without PT_GNU_STACK the stack is executable on most architectures.
    if !stack_header {
        out.nx = false;
    }
    match header.e_type(endian) {
        elf::ET_EXEC => out.pie = Some(false),
        elf::ET_DYN if flags_1 & u64::from(elf::DF_1_PIE) != 0 || interpreter => {
            out.pie = Some(true);
        }
        elf::ET_DYN => {
            out.shared_library = true;
            out.pie = None;
        }
        _ => out.pie = None,
    }
    Ok(())
}

/// The hardening facts of an ELF file's bytes.
pub fn inspect(data: &[u8]) -> Result<Hardening, NotElf> {
    let mut out = Hardening::default();
    match object::FileKind::parse(data).map_err(|e| NotElf(e.to_string()))? {
        object::FileKind::Elf64 => {
            elf_facts::<elf::FileHeader64<object::Endianness>>(data, &mut out)?;
        }
        object::FileKind::Elf32 => {
            elf_facts::<elf::FileHeader32<object::Endianness>>(data, &mut out)?;
        }
        other => return Err(NotElf(format!("not an ELF file ({other:?})"))),
    }
    let file = object::File::parse(data).map_err(|e| NotElf(e.to_string()))?;
    let mut names: Vec<String> = file
        .dynamic_symbols()
        .chain(file.symbols())
        .filter(|s| s.is_undefined() || s.is_definition())
        .filter_map(|s| s.name().ok().map(str::to_owned))
        .collect();
    // Imports (`printf@GLIBC_2.2.5`) without their version.
    for name in &mut names {
        if let Some((base, _)) = name.split_once('@') {
            *name = base.to_owned();
        }
    }
    names.sort();
    names.dedup();
    let undefined: Vec<String> = file
        .dynamic_symbols()
        .filter(object::ObjectSymbol::is_undefined)
        .filter_map(|s| {
            s.name()
                .ok()
                .map(|n| n.split('@').next().unwrap_or(n).to_owned())
        })
        .collect();
    out.stack_protector = names.iter().any(|n| {
        n == "__stack_chk_fail" || n == "__stack_chk_guard" || n == "__stack_chk_fail_local"
    });
    for name in &undefined {
        if let Some(base) = name.strip_prefix("__").and_then(|n| n.strip_suffix("_chk")) {
            if FORTIFIABLE.contains(&base) {
                out.fortified.push(base.to_owned());
            }
        } else if FORTIFIABLE.contains(&name.as_str()) {
            out.unfortified.push(name.clone());
        }
    }
    out.fortified.sort();
    out.fortified.dedup();
    out.unfortified.sort();
    out.unfortified.dedup();
    out.stripped = file.section_by_name(".symtab").is_none();
    out.auditable = file.section_by_name(".dep-v0").is_some();
    let comment = file
        .section_by_name(".comment")
        .and_then(|s| s.data().ok())
        .unwrap_or_default();
    out.rust = comment.windows(5).any(|w| w == b"rustc")
        || names
            .iter()
            .any(|n| n == "rust_eh_personality" || n.starts_with("_ZN4core9panicking"))
        || out.auditable;
    Ok(out)
}

/// The checks of one artifact (`shown` names it).
#[allow(clippy::too_many_lines)] // one check per property, each with its message
pub fn checks(shown: &str, data: &[u8]) -> Vec<Check> {
    let facts = match inspect(data) {
        Ok(facts) => facts,
        Err(NotElf(why)) => {
            return vec![
                Check::new(
                    Category::Hardening,
                    codes::HARDENING_PIE,
                    format!("{shown}: binary format"),
                    Outcome::NotApplicable,
                    format!("not an ELF binary, so not inspected: {why}"),
                )
                .at(shown, 0),
            ];
        }
    };
    let mut out = Vec::new();
    let mut add = |code: Code, what: &str, outcome: Outcome, message: String| {
        out.push(
            Check::new(
                Category::Hardening,
                code,
                format!("{shown}: {what}"),
                outcome,
                message,
            )
            .at(shown, 0),
        );
    };
    let yes_no = |ok: bool| if ok { Outcome::Pass } else { Outcome::Fail };
    match facts.pie {
        Some(true) => add(
            codes::HARDENING_PIE,
            "PIE",
            Outcome::Pass,
            "position-independent executable".into(),
        ),
        Some(false) => add(
            codes::HARDENING_PIE,
            "PIE",
            Outcome::Fail,
            "a normal executable, loaded at a fixed address (build with -pie)".into(),
        ),
        None => add(
            codes::HARDENING_PIE,
            "PIE",
            Outcome::NotApplicable,
            "a shared library: position-independent by nature".into(),
        ),
    }
    add(
        codes::HARDENING_RELRO,
        "RELRO",
        yes_no(facts.relro && facts.bind_now),
        match (facts.relro, facts.bind_now) {
            (true, true) => "full RELRO: read-only relocations and immediate binding".into(),
            (true, false) => {
                "partial RELRO: read-only relocations without immediate binding (link with -z now)"
                    .into()
            }
            (false, _) => "no read-only relocations (link with -z relro -z now)".into(),
        },
    );
    add(
        codes::HARDENING_NX,
        "NX",
        yes_no(facts.nx),
        if facts.nx {
            "non-executable stack".into()
        } else {
            "executable stack".into()
        },
    );
    if facts.rust && !facts.stack_protector {
        add(
            codes::HARDENING_STACK_PROTECTOR,
            "stack protector",
            Outcome::NotApplicable,
            "a Rust binary: safe Rust needs no stack canaries (no C code with them linked in)"
                .into(),
        );
    } else {
        add(
            codes::HARDENING_STACK_PROTECTOR,
            "stack protector",
            yes_no(facts.stack_protector),
            if facts.stack_protector {
                "stack protector in use (__stack_chk_fail)".into()
            } else {
                "no stack protector (build with -fstack-protector-strong)".into()
            },
        );
    }
    match (facts.fortified.is_empty(), facts.unfortified.is_empty()) {
        (true, false) if facts.rust => add(
            codes::HARDENING_FORTIFY,
            "FORTIFY_SOURCE",
            Outcome::NotApplicable,
            format!(
                "a Rust binary: the unfortified libc calls ({}) come from the Rust standard library, whose bounds checks do what FORTIFY_SOURCE does for C",
                facts.unfortified.join(", ")
            ),
        ),
        (false, _) => add(
            codes::HARDENING_FORTIFY,
            "FORTIFY_SOURCE",
            Outcome::Pass,
            format!("fortified libc functions: {}", facts.fortified.join(", ")),
        ),
        (true, false) => add(
            codes::HARDENING_FORTIFY,
            "FORTIFY_SOURCE",
            Outcome::Fail,
            format!(
                "only unprotected libc functions: {} (build with -O2 -D_FORTIFY_SOURCE=2)",
                facts.unfortified.join(", ")
            ),
        ),
        (true, true) => add(
            codes::HARDENING_FORTIFY,
            "FORTIFY_SOURCE",
            Outcome::NotApplicable,
            "no libc function FORTIFY_SOURCE protects is used".into(),
        ),
    }
    add(
        codes::HARDENING_STRIPPED,
        "symbols",
        Outcome::Pass,
        if facts.stripped {
            "stripped".into()
        } else {
            "not stripped: symbols present".into()
        },
    );
    if facts.rust {
        add(
            codes::HARDENING_AUDITABLE,
            "cargo-auditable",
            if facts.auditable {
                Outcome::Pass
            } else {
                Outcome::Warn
            },
            if facts.auditable {
                "carries its dependency list (cargo-auditable `.dep-v0`)".into()
            } else {
                "a Rust binary without cargo-auditable data: its dependencies cannot be audited from the binary".into()
            },
        );
    }
    if let Some(last) = out.last_mut() {
        *last = last
            .clone()
            .with("facts", serde_json::to_value(&facts).unwrap_or_default());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_running_test_binary_is_inspected() {
        // This test binary: a Rust executable built by cargo (PIE, NX on Linux).
        let me = std::env::current_exe().unwrap();
        let data = fs_err::read(me).unwrap();
        let facts = inspect(&data).unwrap();
        assert!(facts.rust, "{facts:?}");
        assert!(facts.nx, "{facts:?}");
        assert!(!facts.stripped, "test binaries keep symbols");
        assert!(inspect(b"#!/bin/sh\n").is_err());
        let checks = checks("x", b"not elf");
        assert_eq!(checks[0].outcome, Outcome::NotApplicable);
    }
}
