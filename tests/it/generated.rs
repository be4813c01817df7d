//! The man pages under `man/` and completion scripts under `completions/` are generated
//! from the clap definitions; this test fails when they are stale. Regenerate with
//!
//!     PRT_BLESS=1 cargo test --test it generated

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|entry| entry.expect("entry").path())
        .map(|path| {
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&path).expect("readable"))
        })
        .collect()
}

#[test]
fn man_pages_and_completions_are_current() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let fresh = tempfile::tempdir().expect("temp dir");
    let (man, completions) = (fresh.path().join("man"), fresh.path().join("completions"));
    prt::cli::completions::generate(&man, &completions).expect("generated");
    if std::env::var_os("PRT_BLESS").is_some() {
        for dir in ["man", "completions"] {
            let _ = std::fs::remove_dir_all(root.join(dir));
        }
        prt::cli::completions::generate(&root.join("man"), &root.join("completions"))
            .expect("written");
        return;
    }
    for (generated, committed) in [
        (man, root.join("man")),
        (completions, root.join("completions")),
    ] {
        let want = files(&generated);
        let have = files(&committed);
        assert_eq!(
            want.keys().collect::<Vec<_>>(),
            have.keys().collect::<Vec<_>>(),
            "{} is stale: run PRT_BLESS=1 cargo test --test it generated",
            committed.display()
        );
        for (name, text) in &want {
            assert!(
                have.get(name) == Some(text),
                "{}/{name} is stale: run PRT_BLESS=1 cargo test --test it generated",
                committed.display()
            );
        }
    }
    for page in [
        "prt.1",
        "prt-scan.1",
        "prt-kill.1",
        "prt-fw.1",
        "prt-detail.1",
    ] {
        assert!(root.join("man").join(page).exists(), "{page}");
    }
}

#[test]
fn every_flag_has_help_and_every_subcommand_ends_with_examples() {
    let command = prt::cli::command();
    for sub in command.get_subcommands() {
        let name = sub.get_name();
        if name == "help" {
            continue;
        }
        let after = sub
            .get_after_help()
            .map(ToString::to_string)
            .unwrap_or_default();
        assert!(
            after.contains("Examples:"),
            "prt {name} --help has no examples"
        );
        for arg in sub.get_arguments() {
            let id = arg.get_id().as_str();
            if matches!(id, "help" | "version") {
                continue;
            }
            assert!(
                arg.get_help().is_some(),
                "prt {name}: argument {id} has no help text"
            );
        }
    }
}

#[test]
fn completions_subcommand_prints_the_committed_script() {
    let output = crate::common::run_ok(crate::common::prt().args(["completions", "bash"]));
    let committed =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/prt.bash"))
            .expect("committed");
    assert_eq!(output, committed);
    assert!(output.contains("kill") && output.contains("--escalate"));
}
