//! `ringex-replay`: the entry point only. It owns nothing and must never do
//! more than hand the command line to [`replay::cli::main`]; see the
//! library's documentation and `ringex-replay --help`.

fn main() -> std::process::ExitCode {
    replay::cli::main()
}
