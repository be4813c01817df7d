//! Questions on the controlling terminal, answered there while stdin is a pipe.

use std::io::{self, IsTerminal, Write};

use super::ctx::Ctx;
use crate::i18n::{self, Msg};
use crate::output;

/// The answer to a question asked on the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The user said yes.
    Yes,
    /// The user said anything else, or closed the terminal.
    No,
    /// Nobody to ask: no terminal is attached (cron, a script, CI).
    NoTerminal,
}

/// Shows `lines` and asks `question` on the controlling terminal, reading the answer there
/// too, so it works while stdin is a pipe of records. A terminal counts as attached when
/// stdin or stderr is one and `/dev/tty` opens.
#[must_use]
pub fn ask_on_terminal(ctx: &Ctx, lines: &[String], question: &str) -> Answer {
    use std::io::BufRead as _;
    if !(ctx.stderr_tty || io::stdin().is_terminal()) {
        return Answer::NoTerminal;
    }
    let Ok(tty) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
    else {
        return Answer::NoTerminal;
    };
    let mut writer = &tty;
    let mut shown = String::new();
    for line in lines {
        shown.push_str(&output::sanitize::terminal(line));
        shown.push('\n');
    }
    shown.push_str(question);
    shown.push(' ');
    shown.push_str(i18n::tr(Msg::YesNo));
    shown.push(' ');
    if writer
        .write_all(shown.as_bytes())
        .and_then(|()| writer.flush())
        .is_err()
    {
        return Answer::NoTerminal;
    }
    let mut reply = String::new();
    match io::BufReader::new(&tty).read_line(&mut reply) {
        Ok(_) if i18n::is_yes(&reply) => Answer::Yes,
        _ => Answer::No,
    }
}
