//! `tenderlog-verify`: check tenderlog evidence offline (`verifier::cli`),
//! installed with the operator's tools.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    verifier::cli::main()
}
