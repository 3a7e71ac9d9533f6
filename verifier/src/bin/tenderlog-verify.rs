//! `tenderlog-verify`: check tenderlog evidence offline (`verifier::cli`).
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    verifier::cli::main()
}
