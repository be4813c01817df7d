//! The man pages: clap_mangen's sections for what the clap tree knows (name, description,
//! options, commands), composed with prt's own: a SYNOPSIS with value names, EXAMPLES from
//! each stage's `--help`, prt-filter(1)'s LANGUAGE, EXIT STATUS, ENVIRONMENT, FILES and
//! SEE ALSO. The `.TH` line names prt and its version, and has no date, so the output is the
//! same on every run.

use std::io::Write as _;
use std::path::Path;

use clap::{Arg, ArgAction, Command};
use clap_mangen::Man;
use roff::{Roff, bold, italic, roman};

/// The section headers every page has.
pub const SECTIONS: &[&str] = &[
    "NAME",
    "SYNOPSIS",
    "DESCRIPTION",
    "OPTIONS",
    "EXAMPLES",
    "EXIT STATUS",
    "ENVIRONMENT",
    "FILES",
    "SEE ALSO",
];

const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "PRT_CONFIG",
        "The configuration file to read when --config is not given.",
    ),
    (
        "PRT_LANG",
        "The language of tables, the watch header, the detail view, prompts and notes \
         (en, ru or zh) when --lang is not given; it comes before the configuration's lang.",
    ),
    (
        "XDG_CONFIG_HOME",
        "Where the configuration file is looked for: $XDG_CONFIG_HOME/prt/config.toml; \
         ~/.config when unset.",
    ),
    (
        "NO_COLOR",
        "No colour, unless --color always, CLICOLOR_FORCE=1 or the configuration's color \
         asks for it.",
    ),
    (
        "CLICOLOR_FORCE",
        "Set to 1: colour even when standard output is not a terminal, unless --color never.",
    ),
    (
        "LC_ALL, LC_MESSAGES, LANG",
        "The first of them that is set chooses the language when neither --lang, PRT_LANG \
         nor the configuration's lang does; a language prt does not speak means English. \
         NDJSON, JSON and CSV output never change with the language.",
    ),
];

const FILES: &[(&str, &str)] = &[(
    "$XDG_CONFIG_HOME/prt/config.toml",
    "The configuration (TOML): ~/.config/prt/config.toml when XDG_CONFIG_HOME is unset; \
     --config FILE or PRT_CONFIG name another. A missing file at the default place is fine; \
     a file named on purpose must exist. prt config --path prints which file prt reads, \
     prt config --check checks it.",
)];

/// What every stage shares on top of its own statuses.
const EXIT_COMMON: &str = "Status 2 also means bad usage (an unknown flag or value), a broken \
    configuration file, or lost output (standard output closed or full). A reader that went \
    away (prt scan | head -1) ends prt quietly with status 0.";

#[allow(clippy::too_many_lines, reason = "one table, stage by stage")]
fn exit_status(stage: &str) -> &'static [(&'static str, &'static str)] {
    match stage {
        "prt" => &[
            (
                "0",
                "Success; see each stage's page for what success means there.",
            ),
            (
                "1",
                "A stage's \"no\": filter matched nothing, alert fired nothing, kill, fw or \
                 detail did not do all it was asked.",
            ),
            (
                "2",
                "An error: bad usage, a bad filter expression or rule, a broken \
                 configuration file, a malformed input line, no socket source, lost output; \
                 or prt NAME for a NAME that is neither built in nor prt-NAME on PATH.",
            ),
            (
                "130, 143",
                "prt watch ended by SIGINT (Ctrl-C) or SIGTERM: 128 + the signal.",
            ),
            (
                "other",
                "prt NAME ARGS... passes on the exit status of prt-NAME ARGS....",
            ),
        ],
        "scan" => &[
            ("0", "The snapshot was written."),
            ("2", "An error, or no socket source could be read."),
        ],
        "filter" => &[
            ("0", "A record matched."),
            ("1", "No record matched."),
            (
                "2",
                "An error: a bad expression, a malformed line (without --skip-invalid), or a \
                 FILE that could not be opened (reported, the next one read, status 2 at \
                 the end).",
            ),
        ],
        "watch" => &[
            (
                "0",
                "Success: --count scans were made, q ended the live view, or the output's reader went away.",
            ),
            ("2", "An error."),
            (
                "130",
                "Ended by SIGINT (Ctrl-C), after giving the terminal back, as a shell \
                 expects: 128 + 2.",
            ),
            (
                "143",
                "Ended by SIGTERM, after giving the terminal back: 128 + 15.",
            ),
        ],
        "alert" => &[
            ("0", "A rule fired."),
            ("1", "No rule fired (empty input included)."),
            (
                "2",
                "An error: a bad rule or expression, a malformed line, a FILE that could \
                 not be opened.",
            ),
        ],
        "kill" => &[
            ("0", "Every target ended up as asked."),
            (
                "1",
                "A target was gone, refused, not permitted or not confirmed, a socket it \
                 aimed at is still held afterwards, or there was nothing to signal.",
            ),
            (
                "2",
                "Bad input: a malformed record, a pid or port that is not one.",
            ),
        ],
        "fw" => &[
            (
                "0",
                "The script was written, or with --apply every command worked.",
            ),
            ("1", "Nothing was left to block, or a command failed."),
            (
                "2",
                "Bad input: a malformed record, an address that is not one.",
            ),
        ],
        "detail" => &[
            ("0", "Every process was described."),
            ("1", "A process was gone, or none was named."),
            ("2", "Bad input: a malformed record, a pid that is not one."),
        ],
        "metrics" => &[
            (
                "0",
                "The metrics were written. With --listen it serves until a signal ends it \
                 (SIGTERM: a shell sees 143).",
            ),
            (
                "2",
                "An error: a malformed line (without --skip-invalid), an ADDR that cannot \
                 be listened on, a --output FILE that cannot be written.",
            ),
        ],
        "config" => &[
            ("0", "The file is valid, or absent from its default place."),
            (
                "2",
                "The file is invalid or missing, with the first problem's line and column.",
            ),
        ],
        _ => &[("0", "Success."), ("2", "An error.")],
    }
}

/// Writes `prt.1` and `prt-STAGE.1` for every visible subcommand into `dir`.
pub fn generate(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut root = prt::cli::command().disable_help_subcommand(true);
    root.build();
    let stages: Vec<String> = root
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set())
        .map(|sub| sub.get_name().to_owned())
        .collect();
    let mut commands = vec![root.clone()];
    commands.extend(
        root.get_subcommands()
            .filter(|sub| !sub.is_hide_set())
            .cloned(),
    );
    for cmd in commands {
        let man = Man::new(cmd.clone());
        let mut file = std::fs::File::create(dir.join(man.get_filename()))?;
        file.write_all(&page(&cmd, &stages)?)?;
        file.flush()?;
    }
    Ok(())
}

fn page(cmd: &Command, stages: &[String]) -> std::io::Result<Vec<u8>> {
    let version = cmd.get_version().unwrap_or_default();
    let man = Man::new(cmd.clone());
    let stage = cmd.get_name();
    // Man::render_title leaves an empty date out of the .TH line altogether, so the source
    // would be read as the date: the line is written here, with an empty date ("") so the
    // page is the same on every run, and prt and its version as the footer's source.
    let preamble = Roff::new().render();
    let title = cmd.get_display_name().unwrap_or_else(|| cmd.get_name());
    let mut out = preamble.clone().into_bytes();
    writeln!(out, ".TH {title} 1 \"\" \"prt {version}\"")?;
    let append = |out: &mut Vec<u8>, render: &dyn Fn(&mut Vec<u8>) -> std::io::Result<()>| {
        let mut section = Vec::new();
        render(&mut section)?;
        out.extend_from_slice(
            section
                .strip_prefix(preamble.as_bytes())
                .unwrap_or(&section),
        );
        Ok::<_, std::io::Error>(())
    };
    append(&mut out, &|w| man.render_name_section(w))?;
    append(&mut out, &|w| synopsis(cmd).to_writer(w))?;
    append(&mut out, &|w| man.render_description_section(w))?;
    append(&mut out, &|w| man.render_options_section(w))?;
    if cmd.has_subcommands() {
        append(&mut out, &|w| man.render_subcommands_section(w))?;
    }
    let mut own = Roff::new();
    examples(&mut own, cmd);
    if stage == "filter" {
        language(&mut own);
    }
    own.control("SH", ["EXIT STATUS"]);
    list(&mut own, exit_status(stage));
    own.control("PP", []).text([roman(EXIT_COMMON)]);
    own.control("SH", ["ENVIRONMENT"]);
    list(&mut own, ENVIRONMENT);
    own.control("SH", ["FILES"]);
    list(&mut own, FILES);
    see_also(&mut own, stage, stages);
    append(&mut out, &|w| own.to_writer(w))?;
    Ok(out)
}

/// `prt filter [-v|--invert] ... [--format FORMAT] ... <EXPR> [FILE]...`: every option with
/// its value name, which clap_mangen's synopsis leaves out.
fn synopsis(cmd: &Command) -> Roff {
    let mut line = vec![bold(cmd.get_bin_name().unwrap_or_else(|| cmd.get_name()))];
    let args: Vec<&Arg> = cmd
        .get_arguments()
        .filter(|arg| !arg.is_hide_set())
        .collect();
    for arg in args.iter().filter(|arg| !arg.is_positional()) {
        let (open, close) = if arg.is_required_set() {
            ("", "")
        } else {
            ("[", "]")
        };
        line.push(roman(format!(" {open}")));
        match (arg.get_short(), arg.get_long()) {
            (Some(short), Some(long)) => {
                line.push(bold(format!("-{short}")));
                line.push(roman("|"));
                line.push(bold(format!("--{long}")));
            }
            (Some(short), None) => line.push(bold(format!("-{short}"))),
            (None, Some(long)) => line.push(bold(format!("--{long}"))),
            (None, None) => continue,
        }
        if arg.get_action().takes_values() {
            line.push(roman(" "));
            line.push(italic(value_name(arg)));
        }
        if matches!(arg.get_action(), ArgAction::Count | ArgAction::Append) {
            line.push(roman("..."));
        }
        line.push(roman(close));
    }
    for arg in args.iter().filter(|arg| arg.is_positional()) {
        let many = matches!(arg.get_action(), ArgAction::Append)
            || arg
                .get_num_args()
                .is_some_and(|range| range.max_values() > 1);
        let (open, close) = if arg.is_required_set() {
            ("<", ">")
        } else {
            ("[", "]")
        };
        line.push(roman(format!(" {open}")));
        line.push(italic(value_name(arg)));
        line.push(roman(close));
        if many {
            line.push(roman("..."));
        }
    }
    if cmd.has_subcommands() {
        line.push(roman(" "));
        line.push(italic("COMMAND"));
        line.push(roman(" ["));
        line.push(italic("ARGS"));
        line.push(roman("]..."));
    }
    let mut roff = Roff::new();
    roff.control("SH", ["SYNOPSIS"]).text(line);
    roff
}

fn value_name(arg: &Arg) -> String {
    arg.get_value_names()
        .and_then(|names| names.first())
        .map_or_else(|| arg.get_id().as_str().to_uppercase(), ToString::to_string)
}

/// The examples that end each stage's `--help`, kept as they are laid out there.
fn examples(roff: &mut Roff, cmd: &Command) {
    let text = cmd
        .get_after_help()
        .map(ToString::to_string)
        .unwrap_or_default();
    let text = text.strip_prefix("Examples:\n").unwrap_or(&text);
    roff.control("SH", ["EXAMPLES"]);
    let mut paragraphs = text.split("\n\n");
    if let Some(block) = paragraphs.next() {
        roff.control("nf", []);
        for line in block.lines() {
            roff.text([roman(line.trim_start())]);
        }
        roff.control("fi", []);
    }
    for paragraph in paragraphs {
        roff.control("PP", []).text([roman(fill(paragraph))]);
    }
}

/// prt-filter(1)'s LANGUAGE: the same forms `prt filter --help` lists.
fn language(roff: &mut Roff) {
    roff.control("SH", ["LANGUAGE"]);
    roff.text([roman(
        "An expression is made of the forms below; prt scan --where, prt watch --where and \
         alert rules take the same.",
    )]);
    for (form, meaning) in prt::cli::filter::LANGUAGE {
        roff.control("TP", [])
            .text([bold(*form)])
            .text([roman(fill(meaning))]);
    }
    for note in prt::cli::filter::LANGUAGE_NOTES {
        roff.control("PP", []).text([roman(fill(note))]);
    }
}

fn list(roff: &mut Roff, items: &[(&str, &str)]) {
    for (term, meaning) in items {
        roff.control("TP", [])
            .text([bold(*term)])
            .text([roman(*meaning)]);
    }
}

fn see_also(roff: &mut Roff, stage: &str, stages: &[String]) {
    let this = if stage == "prt" {
        "prt".to_owned()
    } else {
        format!("prt-{stage}")
    };
    let mut pages: Vec<String> = std::iter::once("prt".to_owned())
        .chain(stages.iter().map(|name| format!("prt-{name}")))
        .filter(|page| *page != this)
        .map(|page| format!("{page}(1)"))
        .collect();
    pages.extend(["ss(8)", "lsof(8)", "jq(1)"].map(str::to_owned));
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roman(pages.join(", "))]);
}

/// Help text wrapped for a terminal, as one line for roff to fill.
fn fill(text: &str) -> String {
    text.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}
