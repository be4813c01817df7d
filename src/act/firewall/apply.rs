//! Running a plan (`prt fw --apply`): each step after its check, one result record per
//! target, a failed step never stopping the rest.

use std::io::Write as _;
use std::process::{Command, Stdio};

use serde::Serialize;

use super::{Action, Backend, Check, Invocation, Step};
use crate::i18n::{self, Msg};

/// What running one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The command ran and succeeded.
    Applied,
    /// Its check said it was not needed (already blocked, or nothing to remove).
    Unchanged,
    /// The command failed, or could not be started.
    Failed,
}

/// The record `prt fw --apply` writes per target of each step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FwResult {
    /// The firewall.
    pub backend: &'static str,
    /// block, unblock, setup or reset.
    pub action: Action,
    /// The address or `proto/port`; `None` for setup and reset.
    pub target: Option<String>,
    /// The command, as a shell would show it.
    pub command: String,
    /// What happened.
    pub outcome: Outcome,
    /// The command's error output when it failed, else empty.
    pub message: String,
}

impl FwResult {
    /// The table's cells: ACTION, TARGET, OUTCOME, COMMAND, MESSAGE.
    #[must_use]
    pub fn cells(&self) -> Vec<String> {
        let action = match self.action {
            Action::Block => Msg::ActionBlock,
            Action::Unblock => Msg::ActionUnblock,
            Action::Setup => Msg::ActionSetup,
            Action::Reset => Msg::ActionReset,
        };
        let outcome = match self.outcome {
            Outcome::Applied => Msg::Applied,
            Outcome::Unchanged => Msg::Unchanged,
            Outcome::Failed => Msg::Failed,
        };
        vec![
            i18n::tr(action).to_owned(),
            self.target.clone().unwrap_or_default(),
            i18n::tr(outcome).to_owned(),
            self.command.clone(),
            self.message.clone(),
        ]
    }
}

/// Column headers for [`FwResult::cells`].
pub const HEADERS: [Msg; 5] = [
    Msg::HeadAction,
    Msg::HeadTarget,
    Msg::HeadOutcome,
    Msg::HeadCommand,
    Msg::HeadMessage,
];

/// Runs the steps in order, each after its check; one result per target of each step
/// (one for a step without targets). A failed step does not stop the rest.
#[must_use]
pub fn apply(backend: Backend, steps: &[Step]) -> Vec<FwResult> {
    let mut results = Vec::new();
    for step in steps.iter().flat_map(Step::expanded) {
        let step = &step;
        let needed = match &step.check {
            None => true,
            Some(Check::SkipIfSucceeds(check)) => !succeeds(check),
            Some(Check::SkipIfFails(check)) => succeeds(check),
        };
        let (outcome, message) = if needed {
            match run(&step.run) {
                Ok(()) => (Outcome::Applied, String::new()),
                Err(message) => (Outcome::Failed, message),
            }
        } else {
            (Outcome::Unchanged, String::new())
        };
        let result = |target: Option<String>| FwResult {
            backend: backend.as_str(),
            action: step.action,
            target,
            command: step.run.shell(),
            outcome,
            message: message.clone(),
        };
        if step.targets.is_empty() {
            results.push(result(None));
        } else {
            results.extend(step.targets.iter().map(|t| result(Some(t.to_string()))));
        }
    }
    results
}

/// Whether a check command exits 0 (its output is not wanted).
pub(super) fn succeeds(check: &Invocation) -> bool {
    let Some((program, args)) = check.argv.split_first() else {
        return false;
    };
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Runs a command, feeding its stdin; its error output on failure.
pub(super) fn run(invocation: &Invocation) -> Result<(), String> {
    let Some((program, args)) = invocation.argv.split_first() else {
        return Err("empty command".to_owned());
    };
    let mut child = Command::new(program)
        .args(args)
        .stdin(if invocation.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| format!("cannot run {program}: {err}"))?;
    if let (Some(text), Some(mut stdin)) = (&invocation.stdin, child.stdin.take()) {
        // A program that exits without reading says why on stderr; that is the message.
        let _ = stdin.write_all(text.as_bytes());
    }
    let output = child
        .wait_with_output()
        .map_err(|err| format!("waiting for {program}: {err}"))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    Err(if stderr.is_empty() {
        format!("{program} failed: {}", output.status)
    } else {
        stderr
    })
}
