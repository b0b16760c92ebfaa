//! The `crabox` executable: everything happens in the library's [`crabox::main`].

fn main() -> std::process::ExitCode {
    crabox::main()
}
