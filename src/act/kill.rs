//! Signalling processes safely enough to run from a script.
//!
//! Every target passes three checks before a signal leaves: it is not pid 0 or 1 or this
//! process; the pid still belongs to the process its record named (name and start time);
//! and the signal goes through a pidfd opened *before* that comparison, so if the process
//! exits and its pid is reused in between, the signal hits nothing rather than the
//! stranger. Kernels without pidfds (before 5.3) get `kill(2)` right after a re-check of
//! the start time: a window of microseconds instead of none.
//!
//! Nothing here asks for confirmation or prints; the command line layer does that, and
//! writes the [`KillResult`] records this module returns.

use std::io;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::target::{AimedSocket, Target, TargetSpec, Targets};
use crate::duration;
use crate::i18n::{self, Msg};
use crate::model::{PortEntry, Timestamp};
use crate::scan::process::{BootClock, ProcessInfo};
use crate::scan::{self, ScanOptions};

/// What happened to one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The signal was delivered.
    Signalled,
    /// With `--escalate`: the process ended after the first signal.
    Exited,
    /// With `--escalate`: it outlived the first signal and ended by KILL.
    Killed,
    /// The kernel refused: another user's process, without the privilege to signal it.
    NotPermitted,
    /// The process the record names is no longer there (exited, or its pid now belongs to
    /// another process).
    Gone,
    /// prt would not signal it: pid 0 or 1, itself, a record that names no process, or no
    /// confirmation.
    Refused,
    /// `--dry-run`: it passed every check and would have been signalled.
    SkippedDryRun,
    /// Not a process but a socket: after the signals, a process still holds it (or a
    /// listener on its port), so the port is not free.
    StillHeld,
}

impl Outcome {
    /// The word a table shows for it, in the language in use.
    #[must_use]
    pub fn word(self) -> Msg {
        match self {
            Outcome::Signalled => Msg::Signalled,
            Outcome::Exited => Msg::Exited,
            Outcome::Killed => Msg::Killed,
            Outcome::NotPermitted => Msg::NotPermitted,
            Outcome::Gone => Msg::Gone,
            Outcome::Refused => Msg::Refused,
            Outcome::SkippedDryRun => Msg::SkippedDryRun,
            Outcome::StillHeld => Msg::StillHeld,
        }
    }
}

/// The record `prt kill` writes for each target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct KillResult {
    /// The process id; `None` for a record that named no process.
    pub pid: Option<u32>,
    /// Its name, as the record gave it.
    pub process: Option<String>,
    /// Its start time, as the record gave it.
    pub started: Option<Timestamp>,
    /// `proto/port` of the sockets that made it a target.
    pub ports: Vec<String>,
    /// The last signal sent (`KILL` when escalation ended it); `None` when none was sent.
    pub signal: Option<String>,
    /// What happened.
    pub outcome: Outcome,
    /// The same in words, with the reason.
    pub message: String,
    /// The target was a holder prt found itself (see [`Target::holder`]), not one the
    /// input named: its being gone is no failure. Not on the wire.
    #[serde(skip)]
    pub holder: bool,
}

impl KillResult {
    fn of(target: &Target, outcome: Outcome, message: String) -> KillResult {
        KillResult {
            pid: Some(target.pid),
            process: target.process.clone(),
            started: target.started,
            ports: target.ports.clone(),
            signal: None,
            outcome,
            message,
            holder: target.holder,
        }
    }

    /// A result for every target, refused for one reason (no confirmation).
    #[must_use]
    pub fn refused(target: &Target, message: &str) -> KillResult {
        KillResult::of(target, Outcome::Refused, message.to_owned())
    }

    /// The result for a record with no pid: reported, never guessed.
    #[must_use]
    pub fn unowned(socket: &str, reason: &str, source: &str) -> KillResult {
        KillResult {
            pid: None,
            process: None,
            started: None,
            ports: if socket.is_empty() {
                Vec::new()
            } else {
                vec![socket.to_owned()]
            },
            signal: None,
            outcome: Outcome::Refused,
            message: format!("{source}: no pid: {reason}"),
            holder: false,
        }
    }

    /// The table's cells: PID, PROCESS, PORTS, SIGNAL, OUTCOME, MESSAGE.
    #[must_use]
    pub fn cells(&self) -> Vec<String> {
        vec![
            self.pid.map_or_else(String::new, |p| p.to_string()),
            self.process.clone().unwrap_or_default(),
            self.ports.join(" "),
            self.signal.clone().unwrap_or_default(),
            i18n::tr(self.outcome.word()).to_owned(),
            self.message.clone(),
        ]
    }
}

/// Column headers for [`KillResult::cells`].
pub const HEADERS: [Msg; 6] = [
    Msg::HeadPid,
    Msg::HeadProcess,
    Msg::HeadPorts,
    Msg::HeadSignal,
    Msg::HeadOutcome,
    Msg::HeadMessage,
];

/// What to do to every target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct KillOptions {
    /// The signal to send first.
    pub signal: Signal,
    /// Wait this long for the targets to end, then send KILL to those still alive.
    pub escalate: Option<Duration>,
    /// Check everything, signal nothing.
    pub dry_run: bool,
}

impl KillOptions {
    /// Send `signal`, once, for real.
    #[must_use]
    pub fn new(signal: Signal) -> KillOptions {
        KillOptions {
            signal,
            escalate: None,
            dry_run: false,
        }
    }

    /// The same, then KILL for the targets still alive after `wait`.
    #[must_use]
    pub fn escalating(mut self, wait: Duration) -> KillOptions {
        self.escalate = Some(wait);
        self
    }

    /// The same, checking everything and signalling nothing.
    #[must_use]
    pub fn dry_run(mut self) -> KillOptions {
        self.dry_run = true;
        self
    }

    /// Whether `outcome` is what was asked for: delivered, ended under escalation, or
    /// passed the checks in a dry run.
    #[must_use]
    pub fn as_asked(&self, outcome: Outcome) -> bool {
        match outcome {
            Outcome::SkippedDryRun => self.dry_run,
            Outcome::Signalled => self.escalate.is_none() && !self.dry_run,
            Outcome::Exited | Outcome::Killed => self.escalate.is_some(),
            Outcome::NotPermitted | Outcome::Gone | Outcome::Refused | Outcome::StillHeld => false,
        }
    }
    /// Whether `result` is what was asked: [`KillOptions::as_asked`] of its outcome, or a
    /// holder prt found itself that ended before its turn (its master took it down) — the
    /// socket's release is judged on its own, by [`still_held`].
    #[must_use]
    pub fn result_as_asked(&self, result: &KillResult) -> bool {
        (result.holder && result.outcome == Outcome::Gone) || self.as_asked(result.outcome)
    }
}

/// Everything `prt kill --yes` does to one set of targets: a result for each record that
/// named no process, then [`kill`], then — when the signal frees sockets and was sent —
/// [`still_held`] for the sockets aimed at. Call [`Targets::find_holders`] first so a
/// pre-forked server's workers are targets too.
pub fn kill_and_verify(
    targets: &Targets,
    options: &KillOptions,
) -> Result<Vec<KillResult>, scan::Error> {
    let mut results: Vec<KillResult> = targets
        .unowned
        .iter()
        .map(|u| KillResult::unowned(&u.socket, &u.reason, &u.source))
        .collect();
    if targets.targets.is_empty() {
        return Ok(results);
    }
    let signalled = kill(&targets.targets, options);
    let sent = signalled.iter().any(|r| r.signal.is_some());
    results.extend(signalled);
    if options.frees_sockets() && sent {
        results.extend(still_held(&targets.sockets, RELEASE_WAIT)?);
    }
    Ok(results)
}

/// How long KILL may take to end a process before prt reports it still alive.
const KILL_GRACE: Duration = Duration::from_secs(2);

/// Checks and signals every target; one result each, in order. With `escalate`, every
/// target gets the first signal before any waiting starts, so N targets take one wait,
/// not N.
#[must_use]
pub fn kill(targets: &[Target], options: &KillOptions) -> Vec<KillResult> {
    let own_pid = std::process::id();
    let clock = BootClock::read();
    let mut results = Vec::with_capacity(targets.len());
    let mut pending: Vec<(usize, Handle)> = Vec::new();
    for target in targets {
        let handle = match check(target, own_pid, clock.as_ref()) {
            Ok(handle) => handle,
            Err((outcome, message)) => {
                results.push(KillResult::of(target, outcome, message));
                continue;
            }
        };
        if options.dry_run {
            let mut message = format!("would send {}", options.signal);
            if let Some(wait) = options.escalate {
                message.push_str(&format!(", then KILL after {}", duration::exact(wait)));
            }
            results.push(KillResult::of(target, Outcome::SkippedDryRun, message));
            continue;
        }
        let mut result = KillResult::of(target, Outcome::Signalled, String::new());
        match handle.send(options.signal) {
            Ok(()) => {
                result.signal = Some(options.signal.to_string());
                result.message = format!("sent {}", options.signal);
                if options.escalate.is_some() {
                    pending.push((results.len(), handle));
                }
            }
            Err(err) => (result.outcome, result.message) = send_failure(&err, target),
        }
        results.push(result);
    }
    if let Some(wait) = options.escalate {
        escalate(&mut results, pending, options.signal, wait);
    }
    results
}

impl KillOptions {
    /// Whether the signal asks processes to end, so the sockets they held should be free
    /// afterwards: TERM, KILL, INT, QUIT, or anything escalated. HUP or USR1 ask a daemon
    /// to reload, and it keeps its ports.
    #[must_use]
    pub fn frees_sockets(&self) -> bool {
        !self.dry_run
            && (self.escalate.is_some()
                || [libc::SIGTERM, libc::SIGKILL, libc::SIGINT, libc::SIGQUIT]
                    .contains(&self.signal.number()))
    }
}

/// How long processes that were asked to end get to let go of their sockets before a
/// socket counts as still held (with `--escalate` they have ended already).
pub const RELEASE_WAIT: Duration = Duration::from_secs(2);

/// The sockets of `aimed` that a process still holds — by inode, or for a port argument
/// any listener on that port — waiting up to `wait` for them to be let go: one result per
/// held socket, naming its holders ("tcp/80 still held by 3 processes: nginx 32458, ...").
pub fn still_held(aimed: &[AimedSocket], wait: Duration) -> Result<Vec<KillResult>, scan::Error> {
    if aimed.is_empty() {
        return Ok(Vec::new());
    }
    let deadline = Instant::now() + wait;
    let listening_only = aimed.iter().all(|s| s.listening_port.is_some());
    let options = ScanOptions {
        listening_only,
        ..ScanOptions::default()
    };
    loop {
        let entries = scan::scan(&options)?.entries;
        let held: Vec<KillResult> = aimed
            .iter()
            .filter_map(|socket| held_by(socket, &entries))
            .collect();
        if held.is_empty() || Instant::now() >= deadline {
            return Ok(held);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The result for `socket` when some entry of a fresh scan shows it still held.
fn held_by(socket: &AimedSocket, entries: &[PortEntry]) -> Option<KillResult> {
    let holding: Vec<&PortEntry> = entries
        .iter()
        .filter(|e| {
            (socket.inode != 0 && e.inode == socket.inode)
                || socket
                    .listening_port
                    .is_some_and(|port| TargetSpec::Port(port, socket.proto).names_socket(e))
        })
        .collect();
    if holding.is_empty() {
        return None;
    }
    let mut holders: Vec<(u32, String)> = Vec::new();
    let mut hidden = false;
    for entry in &holding {
        if entry.pids.is_empty() {
            hidden = true;
        }
        for &pid in &entry.pids {
            if !holders.iter().any(|&(p, _)| p == pid) {
                let name = if Some(pid) == entry.pid {
                    entry.process.as_deref().map(str::to_owned)
                } else {
                    ProcessInfo::read(pid, None).and_then(|info| info.name)
                };
                holders.push((pid, name.unwrap_or_else(|| "?".to_owned())));
            }
        }
    }
    let mut named: Vec<String> = holders
        .iter()
        .map(|(pid, name)| format!("{name} {pid}"))
        .collect();
    if hidden {
        named.push("a process this user cannot see".to_owned());
    }
    let count = holders.len() + usize::from(hidden);
    let noun = if count == 1 { "process" } else { "processes" };
    Some(KillResult {
        pid: None,
        process: None,
        started: None,
        ports: vec![socket.label.clone()],
        signal: None,
        outcome: Outcome::StillHeld,
        holder: false,
        message: format!(
            "{} still held by {count} {noun}: {}",
            socket.label,
            named.join(", ")
        ),
    })
}

/// Waits for the signalled targets to end, then KILLs those that did not.
fn escalate(
    results: &mut [KillResult],
    pending: Vec<(usize, Handle)>,
    first: Signal,
    wait: Duration,
) {
    let started = Instant::now();
    let (ended, alive) = wait_for_exit(pending, started + wait);
    for (index, _) in ended {
        results[index].outcome = Outcome::Exited;
        results[index].message = format!(
            "ended by {first} within {}",
            duration::exact(started.elapsed().min(wait))
        );
    }
    let mut killed = Vec::new();
    for (index, handle) in alive {
        let result = &mut results[index];
        match handle.send(Signal::KILL) {
            Ok(()) => {
                result.signal = Some(Signal::KILL.to_string());
                killed.push((index, handle));
            }
            // It ended between the last look and KILL: TERM did it after all.
            Err(err) if err.raw_os_error() == Some(libc::ESRCH) => {
                result.outcome = Outcome::Exited;
                result.message = format!("ended by {first} after {}", duration::exact(wait));
            }
            Err(err) => {
                result.outcome = Outcome::NotPermitted;
                result.message = format!("still running after {first}; KILL failed: {err}");
            }
        }
    }
    let (ended, alive) = wait_for_exit(killed, Instant::now() + KILL_GRACE);
    for (index, _) in ended {
        results[index].outcome = Outcome::Killed;
        results[index].message = format!(
            "still running {} after {first}; ended by KILL",
            duration::exact(wait)
        );
    }
    for (index, _) in alive {
        results[index].outcome = Outcome::Signalled;
        results[index].message = format!(
            "sent KILL after {first}, but it was still there {} later (uninterruptible sleep?)",
            duration::exact(KILL_GRACE)
        );
    }
}

/// The safety checks, in order: never pid 0, 1 or prt itself; a record must name its
/// process; the pid must still hold that process. Returns the handle to signal it by.
fn check(
    target: &Target,
    own_pid: u32,
    clock: Option<&BootClock>,
) -> Result<Handle, (Outcome, String)> {
    let pid = target.pid;
    let refuse = |why: &str| Err((Outcome::Refused, why.to_owned()));
    match pid {
        0 => return refuse("pid 0 means this process group; never signalled"),
        1 => return refuse("pid 1 is init; never signalled"),
        _ if pid == own_pid => return refuse("that is prt itself"),
        _ => {}
    }
    // A thread id opens like a pid (/proc/TID exists, unlisted) but names no process.
    if let Some(process) = thread_group(pid).filter(|&group| group != pid) {
        return Err((
            Outcome::Refused,
            i18n::trf(Msg::KillThread, &[&pid, &process]),
        ));
    }
    // Open the handle first: whatever it refers to now is what a signal will reach, and
    // the comparison below is made against that same process.
    let handle = match Handle::open(pid) {
        Ok(handle) => handle,
        Err(err) if err.raw_os_error() == Some(libc::ESRCH) => {
            return Err((Outcome::Gone, format!("no process with pid {pid} any more")));
        }
        Err(err) => return Err((Outcome::Refused, format!("cannot open pid {pid}: {err}"))),
    };
    // A pid that holds nothing is gone, whatever the record says; one that holds a
    // process the record cannot be compared with is refused.
    if let Some(why) = &target.unverifiable {
        return refuse(&format!(
            "{why}, so a newer process with pid {pid} could not be told from the one it \
             named; give the pid or :PORT as an argument instead (arguments are resolved \
             afresh)"
        ));
    }
    if target.process.is_none() && target.started.is_none() {
        return refuse(
            "the record does not say which process it was (no process or started field); \
             give the pid as an argument instead",
        );
    }
    let Some(now) = ProcessInfo::read(pid, clock) else {
        return Err((Outcome::Gone, format!("no process with pid {pid} any more")));
    };
    let name = now.name.as_deref().unwrap_or("?");
    if now.kernel_thread {
        return refuse(&format!(
            "pid {pid} ({name}) is a kernel thread: there is no process to signal"
        ));
    }
    if now.is_zombie() {
        let parent = now.ppid.map_or_else(|| "?".to_owned(), |p| p.to_string());
        if target.holder {
            // A holder prt found itself held the socket when the targets were resolved: it
            // has ended since (its master, signalled first, took it down) and only waits
            // for that master to collect it. Ended, as asked; not a process to refuse.
            return Err((
                Outcome::Gone,
                format!(
                    "pid {pid} ({name}) has exited; its parent (pid {parent}) has not \
                     collected it yet"
                ),
            ));
        }
        return refuse(&format!(
            "pid {pid} ({name}) is a zombie: it has exited already and holds nothing; its \
             parent (pid {parent}) has not collected it"
        ));
    }
    if let Some(mismatch) = target.differs_from(&now) {
        return Err((
            Outcome::Gone,
            format!("pid {pid} now belongs to another process: {mismatch}"),
        ));
    }
    Ok(handle)
}

/// The process (thread group) that `pid` belongs to, from `/proc/PID/status`: `pid`
/// itself for a process, another for a thread; `None` when it cannot be read.
fn thread_group(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Tgid:"))
        .and_then(|group| group.trim().parse().ok())
}

/// What a failed send means for the result.
fn send_failure(err: &io::Error, target: &Target) -> (Outcome, String) {
    match err.raw_os_error() {
        Some(libc::ESRCH) => (
            Outcome::Gone,
            format!("pid {} exited before the signal", target.pid),
        ),
        Some(libc::EPERM) => (
            Outcome::NotPermitted,
            "not permitted to signal it (another user's process; run as root)".to_owned(),
        ),
        _ => (Outcome::Refused, format!("signal failed: {err}")),
    }
}

mod handle;
mod signal;
#[cfg(test)]
mod tests;

use handle::{Handle, wait_for_exit};
pub use signal::{BadSignal, Signal};
