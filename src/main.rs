//! The `terrawatt` command (the program is the library's [`terrawatt::app::main`]).

fn main() -> std::process::ExitCode {
    terrawatt::app::main()
}
