//! The `crabox` executable: everything happens in the library's [`crabox::main`].

// crabox allocates many small values (parsed lockfiles, JSON trees); mimalloc makes that
// measurably cheaper than the system allocator (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    crabox::main()
}
