//! English.

use super::Msg;

/// The English text of `msg`.
#[allow(clippy::match_same_arms)] // one line per key reads better than merged arms
pub(super) fn text(msg: Msg) -> &'static str {
    match msg {
        Msg::HeadProto => "PROTO",
        Msg::HeadLocal => "LOCAL",
        Msg::HeadRemote => "REMOTE",
        Msg::HeadState => "STATE",
        Msg::HeadPid => "PID",
        Msg::HeadProcess => "PROCESS",
        Msg::HeadUser => "USER",
        Msg::HeadService => "SERVICE",
        Msg::HeadAge => "AGE",
        Msg::HeadNetns => "NETNS",
        Msg::HeadPorts => "PORTS",
        Msg::HeadSignal => "SIGNAL",
        Msg::HeadOutcome => "OUTCOME",
        Msg::HeadMessage => "MESSAGE",
        Msg::HeadAction => "ACTION",
        Msg::HeadTarget => "TARGET",
        Msg::HeadCommand => "COMMAND",
        Msg::WatchHeader => {
            "prt watch  {0}  scan {1}  {2} sockets, {3} new, {4} gone{5}  every {6}"
        }
        Msg::WatchTraffic => "  RX {0}  TX {1}",
        Msg::Up => "UP",
        Msg::Down => "DOWN",
        Msg::Since => "since {0}",
        Msg::Signalled => "signalled",
        Msg::Exited => "exited",
        Msg::Killed => "killed",
        Msg::NotPermitted => "not permitted",
        Msg::Gone => "gone",
        Msg::Refused => "refused",
        Msg::SkippedDryRun => "dry run",
        Msg::Applied => "applied",
        Msg::Unchanged => "unchanged",
        Msg::Failed => "failed",
        Msg::ActionBlock => "block",
        Msg::ActionUnblock => "unblock",
        Msg::ActionSetup => "setup",
        Msg::ActionReset => "reset",
        Msg::LabelPid => "pid",
        Msg::LabelProcess => "process",
        Msg::LabelExe => "exe",
        Msg::LabelCmdline => "cmdline",
        Msg::LabelCwd => "cwd",
        Msg::LabelUser => "user",
        Msg::LabelParents => "parents",
        Msg::LabelStarted => "started",
        Msg::LabelState => "state",
        Msg::LabelCpu => "cpu",
        Msg::LabelRss => "rss",
        Msg::LabelThreads => "threads",
        Msg::LabelOpenFiles => "open files",
        Msg::LabelSockets => "sockets",
        Msg::LabelCgroup => "cgroup",
        Msg::LabelContainer => "container",
        Msg::LabelUnit => "systemd unit",
        Msg::LabelEnvironment => "environment",
        Msg::LabelNotes => "notes",
        Msg::Uptime => "{0} (up {1})",
        Msg::FilesHint => "{0} (--files lists them)",
        Msg::Deleted => "{0} (deleted)",
        Msg::AskOne => "Send {0} to this process?",
        Msg::AskMany => "Send {0} to these {1} processes?",
        Msg::AskOneEscalate => "Send {0} to this process, then KILL if still alive after {2}?",
        Msg::AskManyEscalate => {
            "Send {0} to these {1} processes, then KILL those still alive after {2}?"
        }
        Msg::YesNo => "[y/N]",
        Msg::NotConfirmed => "not confirmed",
        Msg::NoTerminal => "not confirmed: no terminal to ask on (pass --yes)",
        Msg::NoTerminalNote => "no terminal to confirm on: pass --yes to signal from a script",
        Msg::NothingToSignal => "nothing to signal",
        Msg::NothingToBlock => "nothing to block",
        Msg::NothingListens => "nothing listens on {0}",
        Msg::NoPid => "{0}: {1}: no pid: {2}",
        Msg::SkippedLine => "skipped {0}",
        Msg::SkippedLines => "skipped {0} malformed lines in all",
        Msg::NoRules => {
            "no rules (--when, --rules or [[alerts]] in the configuration): nothing can fire"
        }
        Msg::NoTargets => {
            "no targets: give PIDs or :PORT as arguments, or pipe records in (prt scan | prt filter ... | {0})"
        }
        Msg::NoBlockTargets => {
            "nothing to block: give addresses as arguments, or pipe records in (prt scan | prt filter ... | {0})"
        }
        Msg::NetnsDenied => {
            "{0} network namespaces need root to enter and are not listed; `sudo` lists them"
        }
        Msg::NetnsUnreadable => {
            "the namespaces of {0} processes of other users cannot be read without root; only the visible ones are listed"
        }
        Msg::HiddenOwners => {
            "{0} sockets belong to other users' processes and show no pid; `sudo prt scan` shows them"
        }
        Msg::FellBack => "netlink could not list {0} {1} sockets; read /proc/net instead",
    }
}
