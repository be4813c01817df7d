//! Layer rules from STYLE.md: only `src/cli` knows clap, the terminal and the environment;
//! lower layers never reach up; only `src/sys.rs` touches the OS beyond std.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn only_cli_knows_clap_terminals_and_environment_and_only_sys_the_os() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(files.len() > 5);
    for file in files {
        let relative = file.strip_prefix(&root).expect("under src");
        let text = std::fs::read_to_string(&file).expect("readable");
        // A setting's one enum serves clap too, derived only with the command line built.
        let text = text.replace(
            r#"#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]"#,
            "",
        );
        let in_cli = relative.starts_with("cli") || relative.starts_with("bin");
        if !in_cli {
            for forbidden in [
                "clap",
                "is_terminal",
                "env::var",
                "crate::cli",
                "println!",
                "eprintln!",
                // The library's errors are typed; anyhow is the command line's (cli feature).
                "anyhow",
            ] {
                assert!(
                    !text.contains(forbidden),
                    "{} uses {forbidden}",
                    relative.display()
                );
            }
        }
        // One place touches the OS beyond std (rustix, nix): `unsafe` and libc calls
        // nowhere else (libc's constants are plain numbers and stay usable).
        if !relative.starts_with("sys.rs") {
            assert!(
                !text.contains("unsafe"),
                "{} uses unsafe: it belongs in src/sys.rs",
                relative.display()
            );
            for call in [
                "libc::syscall",
                "libc::ioctl",
                "libc::kill(",
                "libc::socket(",
            ] {
                assert!(
                    !text.contains(call),
                    "{} calls {call}: it belongs in src/sys.rs",
                    relative.display()
                );
            }
        }
        if relative.starts_with("model.rs") {
            for upper in ["crate::scan", "crate::output"] {
                assert!(!text.contains(upper), "model reaches up to {upper}");
            }
        }
        if relative.starts_with("scan") {
            assert!(
                !text.contains("crate::output"),
                "{} reaches up to output",
                relative.display()
            );
        }
    }
}
