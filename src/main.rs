//! The `keyfence` binary: everything is in the library's command line ([`keyfence::cli`]).

fn main() -> std::process::ExitCode {
    keyfence::cli::main()
}
