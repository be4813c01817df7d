//! The man pages under `man/` and completion scripts under `completions/` are generated
//! from the clap definitions; this test fails when they are stale. Regenerate with
//!
//!     PRT_BLESS=1 cargo test --test it generated

mod man;

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
    man::generate(&man).expect("man pages");
    prt::cli::completions::generate(&completions).expect("completions");
    if std::env::var_os("PRT_BLESS").is_some() {
        for dir in ["man", "completions"] {
            let _ = std::fs::remove_dir_all(root.join(dir));
        }
        man::generate(&root.join("man")).expect("man pages written");
        prt::cli::completions::generate(&root.join("completions")).expect("completions written");
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
fn every_man_page_has_every_section_and_names_prt_and_its_version() {
    let fresh = tempfile::tempdir().expect("temp dir");
    man::generate(fresh.path()).expect("man pages");
    let pages = files(fresh.path());
    assert_eq!(
        pages.len(),
        11,
        "prt.1 and one page per stage: {:?}",
        pages.keys()
    );
    let footer = format!(" 1 \"\" \"prt {}\"", env!("CARGO_PKG_VERSION"));
    for (name, text) in &pages {
        let text = String::from_utf8_lossy(text);
        for section in man::SECTIONS {
            let header = if section.contains(' ') {
                format!(".SH \"{section}\"")
            } else {
                format!(".SH {section}")
            };
            assert!(text.contains(&header), "{name} has no {header}");
        }
        let title = text
            .lines()
            .find(|line| line.starts_with(".TH "))
            .unwrap_or_default();
        assert!(title.ends_with(&footer), "{name}: {title}");
        assert_eq!(text.matches(".ds Aq").count(), 2, "{name}: one preamble");
    }
    let filter = String::from_utf8_lossy(&pages["prt-filter.1"]);
    assert!(filter.contains(".SH LANGUAGE"));
    assert!(
        filter.contains("\\fB\\-\\-format\\fR \\fIFORMAT\\fR"),
        "value names in the synopsis"
    );
    let watch = String::from_utf8_lossy(&pages["prt-watch.1"]);
    assert!(watch.contains("130") && watch.contains("143"));
}

#[test]
#[allow(clippy::print_stderr, reason = "says why the test is skipped")]
fn generated_filter_man_page_renders() {
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("man/prt-filter.1");
    let Ok(output) = std::process::Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("MANWIDTH", "80")
        .env("LC_ALL", "C.UTF-8")
        .output()
    else {
        eprintln!("skipped: man is not installed");
        return;
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "man -l failed: {stderr}");
    let text = String::from_utf8_lossy(&output.stdout);
    for want in [
        "NAME",
        "SYNOPSIS",
        "LANGUAGE",
        "EXIT STATUS",
        "SEE ALSO",
        "prt 0.",
    ] {
        assert!(
            text.contains(want),
            "{want} missing from the rendered page:\n{text}"
        );
    }
    assert!(text.contains("state=listen"), "{text}");
}

#[test]
fn filter_long_help_carries_the_language() {
    let long = crate::common::run_ok(crate::common::prt().args(["filter", "--help"]));
    for (form, _) in prt::cli::filter::LANGUAGE {
        assert!(long.contains(form), "prt filter --help lacks {form}");
    }
    assert!(long.contains("Examples:") && long.contains("Fields and their other names"));
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
