//! The help a program prints, walked page by page, and the examples in it
//! run as written: a help text that teaches what the program does not do
//! fails. Used for `tenderlog` and `tenderlog-verify` alike (the verifier's
//! tests include this file by path: they cannot depend on this crate).

use std::path::Path;
use std::process::Command;

/// Every help page of `bin`: the top one and, recursively, one per command
/// each page lists under `Commands:`, with the words that reach it.
pub fn pages(bin: &Path) -> Vec<(Vec<String>, String)> {
    let mut all = Vec::new();
    walk(bin, Vec::new(), &mut all);
    all
}

fn walk(bin: &Path, prefix: Vec<String>, all: &mut Vec<(Vec<String>, String)>) {
    let out = Command::new(bin).args(&prefix).arg("--help").output().expect("run the program");
    assert!(out.status.success(), "{prefix:?} --help failed");
    let text = String::from_utf8(out.stdout).expect("help is UTF-8");
    let mut subs = Vec::new();
    let mut in_commands = false;
    for line in text.lines() {
        if line.starts_with("Commands:") {
            in_commands = true;
        } else if in_commands && !line.starts_with("   ") {
            // Two spaces, a name, its summary; deeper lines wrap a summary.
            match line.strip_prefix("  ").and_then(|l| l.split_whitespace().next()) {
                Some("help") => {}
                Some(name) => subs.push(name.to_owned()),
                None => in_commands = false,
            }
        }
    }
    all.push((prefix.clone(), text));
    for s in subs {
        let mut p = prefix.clone();
        p.push(s);
        walk(bin, p, all);
    }
}

/// Runs, with bash in `dir`, every example of `pages`: each line (trimmed)
/// starting with `name` and a space, after `replace` is applied to it, with
/// `bin`'s folder first on the PATH and `envs` set. Each must be a command
/// line the program takes (clap's own `error:` means it is not) and must
/// not crash (exit above 3). An example folded into the prose (on a line
/// with `Example`) fails too: it would be neither shown nor run. Returns
/// how many ran.
pub fn run_examples(
    bin: &Path,
    name: &str,
    pages: &[(Vec<String>, String)],
    dir: &Path,
    envs: &[(&str, &std::ffi::OsStr)],
    replace: &[(&str, &str)],
) -> usize {
    let folder = bin.parent().expect("the program's folder");
    let path = format!("{}:{}", folder.display(), std::env::var("PATH").unwrap_or_default());
    let prefix = format!("{name} ");
    let mut ran = 0;
    for (page, text) in pages {
        for line in text.lines().filter(|l| l.contains("Example")) {
            assert!(
                !line.contains(name),
                "an example in the help of {page:?} is folded into its prose: {line}"
            );
        }
        for line in text.lines().map(str::trim).filter(|l| l.starts_with(&prefix)) {
            let cmd = replace.iter().fold(line.to_owned(), |c, (from, to)| c.replace(from, to));
            let mut command = Command::new("bash");
            command.args(["-c", &cmd]).current_dir(dir).env("PATH", &path);
            for (k, v) in envs {
                command.env(k, v);
            }
            let o = command.output().expect("run bash");
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert!(
                !stderr.starts_with("error:"),
                "the example `{line}` of `{name} {}` is not a command line it takes: {stderr}",
                page.join(" ")
            );
            assert!(o.status.code().is_some_and(|c| c <= 3), "`{line}` crashed: {stderr}");
            ran += 1;
        }
    }
    ran
}
