//! A plan's commands: what each runs, the check that decides whether it is needed, and the
//! plan written as an sh script (`prt ... | prt fw | sudo sh`).

use super::{Action, Backend, Block};

/// A command: a program and its arguments, and text for its stdin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// Fed to stdin (an nft or pf ruleset).
    pub stdin: Option<String>,
}

impl Invocation {
    pub(super) fn new(argv: &[&str]) -> Invocation {
        Invocation {
            argv: argv.iter().map(|&a| a.to_owned()).collect(),
            stdin: None,
        }
    }

    pub(super) fn with_stdin(mut self, text: String) -> Invocation {
        self.stdin = Some(text);
        self
    }

    /// The command line, quoted for sh where needed.
    #[must_use]
    pub fn shell(&self) -> String {
        self.argv
            .iter()
            .map(|arg| shell_quote(arg))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// When a step's check says it is not needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Skip the step when this command succeeds (the rule is already there).
    SkipIfSucceeds(Invocation),
    /// Skip the step when this command fails (nothing there to remove).
    SkipIfFails(Invocation),
}

/// One command of a plan, with what it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Block, unblock, setup or reset.
    pub action: Action,
    /// What it blocks or unblocks (`203.0.113.5`, `tcp/8080`); empty for setup and reset.
    pub targets: Vec<Block>,
    /// The command.
    pub run: Invocation,
    /// Whether it is needed, asked first.
    pub check: Option<Check>,
    /// Run once per target, with the word [`TARGET`] in `run` and `check` replaced by the
    /// target's address or port number; otherwise once for all of them.
    pub per_target: bool,
}

/// The word a [`Step::per_target`] command has where each target goes.
pub const TARGET: &str = "{target}";

/// Targets of a per-target step written one command each in a script; more are looped.
pub(super) const SPELLED_OUT: usize = 8;

impl Block {
    /// The word that stands for this block in a per-target command: the address, or the
    /// port number (the protocol is in the command).
    pub(super) fn word(self) -> String {
        match self {
            Block::Address(addr) => addr.to_string(),
            Block::Port(_, port) => port.to_string(),
        }
    }
}

impl Invocation {
    /// This command for one target: [`TARGET`] replaced by `word`.
    pub(super) fn for_target(&self, word: &str) -> Invocation {
        Invocation {
            argv: self
                .argv
                .iter()
                .map(|arg| {
                    if arg == TARGET {
                        word.to_owned()
                    } else {
                        arg.clone()
                    }
                })
                .collect(),
            stdin: self.stdin.clone(),
        }
    }

    /// The command line for a script's loop: [`TARGET`] becomes `"$target"`.
    pub(super) fn shell_looped(&self) -> String {
        self.argv
            .iter()
            .map(|arg| {
                if arg == TARGET {
                    "\"$target\"".to_owned()
                } else {
                    shell_quote(arg)
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl Check {
    pub(super) fn invocation(&self) -> &Invocation {
        match self {
            Check::SkipIfSucceeds(check) | Check::SkipIfFails(check) => check,
        }
    }

    pub(super) fn for_target(&self, word: &str) -> Check {
        match self {
            Check::SkipIfSucceeds(check) => Check::SkipIfSucceeds(check.for_target(word)),
            Check::SkipIfFails(check) => Check::SkipIfFails(check.for_target(word)),
        }
    }

    /// `CHECK >/dev/null 2>&1 || ` (or `! CHECK ...`), the check's words from `words`.
    pub(super) fn shell_prefix(&self, words: impl Fn(&Invocation) -> String) -> String {
        let words = words(self.invocation());
        match self {
            Check::SkipIfSucceeds(_) => format!("{words} >/dev/null 2>&1 || "),
            Check::SkipIfFails(_) => format!("! {words} >/dev/null 2>&1 || "),
        }
    }
}

impl Step {
    pub(super) fn new(action: Action, targets: Vec<Block>, run: Invocation) -> Step {
        Step {
            action,
            targets,
            run,
            check: None,
            per_target: false,
        }
    }

    /// The same step run once per target ([`Step::per_target`]).
    pub(super) fn each(mut self) -> Step {
        self.per_target = true;
        self
    }

    /// The steps this one stands for: itself, or one per target with the words filled in
    /// (made as they are asked for, so a long plan is never held expanded).
    pub(super) fn expanded(&self) -> impl Iterator<Item = Step> + '_ {
        let whole = (!self.per_target).then(|| self.clone());
        let each = self.per_target.then_some(&self.targets);
        whole
            .into_iter()
            .chain(each.into_iter().flatten().map(|&target| {
                let word = target.word();
                Step {
                    action: self.action,
                    targets: vec![target],
                    run: self.run.for_target(&word),
                    check: self.check.as_ref().map(|check| check.for_target(&word)),
                    per_target: false,
                }
            }))
    }

    pub(super) fn unless(mut self, check: Invocation) -> Step {
        self.check = Some(Check::SkipIfSucceeds(check));
        self
    }

    pub(super) fn only_if(mut self, check: Invocation) -> Step {
        self.check = Some(Check::SkipIfFails(check));
        self
    }
}

/// The plan as an sh script: `prt ... | prt fw | sudo sh`.
#[must_use]
pub fn script(backend: Backend, action: Action, steps: &[Step]) -> String {
    let mut text = String::from("#!/bin/sh\n");
    let what = match action {
        Action::Block | Action::Setup => "block",
        Action::Unblock => "unblock",
        Action::Reset => "remove every rule prt added",
    };
    text.push_str(&format!(
        "# prt fw: {what} with {}; review, then run with: sh FILE (as root)\n",
        backend.as_str()
    ));
    if backend == Backend::Pfctl {
        text.push_str("# pf reads these only with 'anchor \"prt\"' in /etc/pf.conf and pf enabled (pfctl -e)\n");
    }
    text.push_str("set -eu\n");
    for step in steps {
        if step.per_target && step.targets.len() > SPELLED_OUT {
            looped(step, &mut text);
            continue;
        }
        for step in step.expanded() {
            spelled_out(&step, &mut text);
        }
    }
    text
}

/// A per-target step as a loop over its targets, one per line of a here-document.
pub(super) fn looped(step: &Step, text: &mut String) {
    let check = step
        .check
        .as_ref()
        .map(|check| check.shell_prefix(Invocation::shell_looped))
        .unwrap_or_default();
    text.push_str(&format!(
        "# {} targets\nwhile read -r target; do\n  {check}{}\ndone <<'PRT_EOF'\n",
        step.targets.len(),
        step.run.shell_looped()
    ));
    for target in &step.targets {
        text.push_str(&target.word());
        text.push('\n');
    }
    text.push_str("PRT_EOF\n");
}

/// One step as one command line (its stdin a here-document).
pub(super) fn spelled_out(step: &Step, text: &mut String) {
    {
        if !step.targets.is_empty() {
            let targets: Vec<String> = step.targets.iter().map(ToString::to_string).collect();
            text.push_str(&format!("# {}\n", targets.join(" ")));
        }
        let mut line = step
            .check
            .as_ref()
            .map(|check| check.shell_prefix(Invocation::shell))
            .unwrap_or_default();
        line.push_str(&step.run.shell());
        if let Some(stdin) = &step.run.stdin {
            text.push_str(&format!("{line} <<'PRT_EOF'\n{stdin}PRT_EOF\n"));
        } else {
            text.push_str(&line);
            text.push('\n');
        }
    }
}

/// `arg` as one sh word: bare when it is plainly safe, else in single quotes.
pub(super) fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@%+,".contains(&b));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}
