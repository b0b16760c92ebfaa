//! Links `crabox` with a start-up symbol order when `CRABOX_SYMBOL_ORDER` names one, as
//! `cargo xtask dist` does for the x86-64 Linux release: the functions a run executes are then
//! laid out together at the start of `.text`, so that they are read into memory by a few dozen
//! page faults instead of a few hundred spread over 16 MiB of code (docs/benchmarks.md). The
//! order decides where code is placed, never what it does; a symbol the order names that the
//! binary no longer has is passed over. Unset (every other build), nothing is added: the option
//! needs LLD, the linker Rust uses by default on x86-64 Linux since 1.90.

// A build script talks to cargo on stdout; the ban on print macros is for crabox's crates.
#![allow(clippy::disallowed_macros)]

fn main() {
    println!("cargo::rerun-if-env-changed=CRABOX_SYMBOL_ORDER");
    let Some(order) = std::env::var_os("CRABOX_SYMBOL_ORDER") else {
        return;
    };
    let order = std::path::PathBuf::from(order);
    println!("cargo::rerun-if-changed={}", order.display());
    println!(
        "cargo::rustc-link-arg-bin=crabox=-Wl,--symbol-ordering-file={}",
        order.display()
    );
    println!("cargo::rustc-link-arg-bin=crabox=-Wl,--no-warn-symbol-ordering");
}
