//! Builds the in-browser verifier (`web/`, compiled to WebAssembly and
//! bound by wasm-bindgen) that `tenderlog serve`'s pages load, so the
//! server carries the very checks it asks readers to run.
//!
//! The WebAssembly build runs in its own target directory (`wasm/` under the
//! workspace's target), shared by every profile, so `check`, `test` and
//! `release` builds compile it once. Without the `wasm32-unknown-unknown`
//! target the server still builds: the pages then answer digest lookups
//! only and say how to get in-browser verification
//! (`rustup target add wasm32-unknown-unknown`).

use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest.parent().expect("api/ sits in the workspace").to_owned();
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it")).join("web");
    std::fs::create_dir_all(&out).expect("OUT_DIR is writable");
    for watched in ["web", "verifier/src", "verifier/Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");

    let missing = match wasm_target_missing() {
        Some(why) => Some(why),
        None => {
            build(&root, &out);
            None
        }
    };
    if let Some(why) = &missing {
        println!(
            "cargo:warning=the pages' in-browser verifier is not built ({why}); \
             run `rustup target add {TARGET}` and build again"
        );
        for name in ["tenderlog_web.js", "tenderlog_web_bg.wasm"] {
            std::fs::write(out.join(name), b"").expect("OUT_DIR is writable");
        }
    }
    println!("cargo:rustc-env=TENDERLOG_WEB_MISSING={}", missing.unwrap_or_default());
}

/// Why the WebAssembly target cannot be built for, if it cannot.
fn wasm_target_missing() -> Option<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = Command::new(rustc).args(["--print", "sysroot"]).output().ok()?;
    let sysroot = String::from_utf8_lossy(&sysroot.stdout).trim().to_owned();
    let lib = Path::new(&sysroot).join("lib/rustlib").join(TARGET);
    (!lib.exists()).then(|| format!("the {TARGET} target is not installed"))
}

/// Compiles `tenderlog-web` for the browser and writes its module and
/// JavaScript bindings into `out`.
fn build(root: &Path, out: &Path) {
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), PathBuf::from)
        .join("wasm");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    // The outer build's settings (its profile, wrappers such as clippy's,
    // flags, jobserver) are not this build's: start from a clean slate and
    // keep only what finds the toolchain, the registry and the network.
    cmd.env_clear();
    for (k, v) in std::env::vars_os() {
        let k_str = k.to_string_lossy();
        let keep = matches!(
            k_str.as_ref(),
            "PATH"
                | "HOME"
                | "CARGO_HOME"
                | "RUSTUP_HOME"
                | "RUSTUP_TOOLCHAIN"
                | "TMPDIR"
                | "CARGO_NET_OFFLINE"
                | "SSL_CERT_FILE"
                | "SSL_CERT_DIR"
        ) || k_str.starts_with("CARGO_HTTP_")
            || k_str.starts_with("CARGO_REGISTRIES_")
            || k_str.starts_with("CARGO_REGISTRY_")
            || k_str.to_ascii_lowercase().ends_with("_proxy");
        if keep {
            cmd.env(k, v);
        }
    }
    cmd.current_dir(root)
        .args(["build", "--locked", "--release", "-p", "tenderlog-web", "--target", TARGET])
        .arg("--target-dir")
        .arg(&target_dir)
        // Debug info would make the module ten times larger; the browser
        // has no use for it.
        .args(["--config", "profile.release.debug=false"]);
    let status = cmd.status().expect("cargo runs");
    assert!(status.success(), "building the in-browser verifier (web/) failed");

    let wasm = target_dir.join(TARGET).join("release/tenderlog_web.wasm");
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .web(true)
        .expect("the web target is known")
        .typescript(false)
        .generate(out)
        .expect("wasm-bindgen binds the module");
}
