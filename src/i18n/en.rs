//! English.

use super::Msg;

/// The English text of `msg`.
// One line per key reads better than merged arms, and a table is as long as it is.
#[allow(clippy::match_same_arms, clippy::too_many_lines)]
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
        Msg::HeadMark => "±",
        Msg::MoreRows => "+{0} more",
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
        Msg::StillHeld => "still held",
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
        Msg::AlsoHeldBy => "also held by {0}",
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
        Msg::JsonEmptyLine => "expected a JSON object, found an empty line",
        Msg::JsonNotObject => "expected a JSON object",
        Msg::JsonFieldName => "expected a field name in double quotes",
        Msg::JsonColon => "expected ':' after the field name",
        Msg::JsonAfterMember => "expected ',' or '}' after a value",
        Msg::JsonAfterElement => "expected ',' or ']' after an array element",
        Msg::JsonValue => "expected a value",
        Msg::JsonEndInValue => "unexpected end of line, expected a value",
        Msg::JsonNumber => "malformed number",
        Msg::JsonEscape => "malformed escape in a string",
        Msg::JsonUnicodeEscape => "malformed \\u escape",
        Msg::JsonControl => "control character in a string",
        Msg::JsonUnterminated => "unterminated string",
        Msg::JsonTrailing => "unexpected text after the object",
        Msg::JsonTooDeep => "nested too deeply",
        Msg::JsonUtf8 => "invalid UTF-8",
        Msg::JsonTooLong => "line longer than 4 GiB",
        Msg::AtColumn => "{0} at column {1}",
        Msg::AtLine => "{0}line {1}: {2}",
        Msg::CannotOpen => "cannot open {0}: {1}",
        Msg::CannotRead => "cannot read {0}: {1}",
        Msg::QEmpty => "empty filter expression",
        Msg::QUnmatchedClose => "unmatched ')'",
        Msg::QTooDeep => "nested more than {0} deep (parentheses and negations)",
        Msg::QUnexpected => "unexpected {0}",
        Msg::QAfter => "expected an expression after {0}",
        Msg::QBefore => "expected an expression before {0}",
        Msg::QLoneOp => {
            "'{0}' alone is not an operator: write '{0}{0}' or '{1}', or quote a value that holds it"
        }
        Msg::QExpression => "expected an expression",
        Msg::QInsideParens => "expected an expression inside '()'",
        Msg::QUnclosed => "unclosed '('",
        Msg::QFieldBefore => "expected a field name before '{0}'",
        Msg::QInField => "'in' takes an address field (laddr, raddr), not '{0}'",
        Msg::QInStart => "'in' needs an address field before it, as in 'remote in 10.0.0.0/8'",
        Msg::QValueAfterColon => "expected a value after '{0}:'",
        Msg::QValueAfterFound => "expected a value after '{0}', found {1}",
        Msg::QValueAfter => "expected a value after '{0}'",
        Msg::QUnknownField => "unknown field '{0}'",
        Msg::QDidYouMean => "{0}; did you mean '{1}'?",
        Msg::QUnknownValue => "unknown value '{0}' for {1}",
        Msg::QBadOp => "'{0}' does not apply to {1}",
        Msg::QBadRegex => "bad regular expression: {0}",
        Msg::QRangeOp => "a range needs '=' or '!='",
        Msg::QEmptyRange => "empty range {0}",
        Msg::QNumber => "expected a number for {0}, found '{1}'",
        Msg::QOutOfRange => "{0} must be 0 to {1}, found '{2}'",
        Msg::QAddress => "expected an IP address for {0}, found '{1}'",
        Msg::QState => {
            "unknown state '{0}'; states are {1} and the groups connected, synchronized, bucket, big"
        }
        Msg::QProto => "unknown protocol '{0}'; use tcp or udp",
        Msg::QStatus => "unknown status '{0}'; use new, gone, unchanged or active",
        Msg::QNetwork => "expected a network like 10.0.0.0/8, found '{0}'",
        Msg::QPrefix => "prefix length must be 0 to {0}, found '{1}'",
        Msg::QUnterminated => "unterminated {0}-quoted string",
        Msg::UnknownReason => "unknown reason code '{0}'; codes are {1}",
        Msg::CfgEmptyService => "a service name cannot be empty",
        Msg::CfgDuration => "'{0}' is not a duration like 500ms, 2s or 1m",
        Msg::CfgUnit => "unknown unit '{0}' in '{1}'; use ms, s, m or h",
        Msg::CfgRange => "'{0}' is out of range",
        Msg::CfgPort => "'{0}' is not a port (1-65535, optionally /tcp or /udp)",
        Msg::CfgProto => "unknown protocol '{0}' in '{1}'; use tcp or udp",
        Msg::RuleNeedsName => "a rule needs a name",
        Msg::RuleError => "rule '{0}': {1}{2}",
        Msg::FwBadProto => "proto {0} is not tcp or udp",
        Msg::FwNoLocalPort => "no local_port between 1 and 65535",
        Msg::FwNoRemote => "{0}: no remote address (a listener?); --local-port blocks its port",
        Msg::FwNotIp => "remote_addr {0} is not an IP address",
        Msg::FwSkipped => "{0}: skipped {1}: {2}",
        Msg::FwLoopback => "loopback",
        Msg::FwUnspecified => "unspecified address",
        Msg::FwOwn => "an address of this machine (--allow-private blocks it)",
        Msg::FwPrivate => "a private or link-local address (--allow-private blocks it)",
        Msg::BadSpec => "{0} is not a target: give a pid (1234), :PORT, PORT/tcp or PORT/udp",
        Msg::BadPid => "{0}: pid {1} is not a process id (a positive whole number)",
        Msg::BadStarted => {
            "{0}: started {1} is not a time that exists (RFC 3339, such as 2026-11-28T09:30:00Z)"
        }
        Msg::BadSignal => {
            "{0} is not a signal: give a name (TERM, SIGHUP, kill) or a number from 1 to 64"
        }
        Msg::BadBlock => "{0} is neither an IP address nor PORT/tcp or PORT/udp",
        // Issue 21 (safety).
        Msg::StdoutClosed => "standard output is closed: nothing can be written",
        Msg::StdoutWrite => "cannot write to standard output: {0}",
        Msg::NotesMore => "... and {0} more like this",
        Msg::ExecTimedOut => "timed out after {0} and was killed, with every process it started",
        Msg::KillThread => "{0} is a thread of process {1}, not a process; give the process's pid",
        Msg::JsonNumberRange => "number out of range",
        Msg::JsonSurrogate => "unpaired surrogate in a \\u escape",
        // Issue 18 (traffic).
        Msg::HeadContainer => "CONTAINER",
        Msg::HeadConns => "CONNS",
        Msg::HeadRateIn => "RATE IN",
        Msg::HeadRateOut => "RATE OUT",
        Msg::HeadTotalIn => "TOTAL IN",
        Msg::HeadTotalOut => "TOTAL OUT",
        Msg::HiddenOwner => "(hidden, uid {0})",
        Msg::TrafficHeader => "prt watch --traffic  {0}  scan {1}  {2} groups  every {3}",
        Msg::LiveSort => "sort {0} {1}",
        Msg::LivePaused => "PAUSED",
        Msg::LiveFilter => "filter {0}",
        Msg::LiveKeys => "q quit  s/S sort  / filter  p pause  ↑↓ select  Enter detail  k kill",
        Msg::LiveFilterPrompt => "filter (Enter applies, Esc cancels): {0}",
        Msg::LiveKillAsk => "send {0} to {1}?",
        Msg::LiveDetailKeys => "Esc back  ↑↓ PgUp PgDn scroll",
        Msg::LiveNoProcess => "no process of this row can be seen",
        Msg::CsvNoColumn => {
            "CSV row {0}: {1} not written: the header, set by the first record, has no column for it (put such records first, or use --format ndjson)"
        }
        Msg::WatchHeaderShort => "prt watch {0}  {1} sockets +{2} -{3}{4}",
        // Issue 19 (metrics).
        Msg::MetricsListen => "cannot serve metrics on {0}: {1}",
        Msg::MetricsWrite => "cannot write the metrics to {0}: {1}",
        // Issue 16 (events).
        Msg::EventsUnavailable => "no {0} events: {1}; the scans alone report what changed",
        Msg::EventsLost => {
            "the kernel dropped events (the watch fell behind): sockets that closed meanwhile go unreported; the next scan shows what is still open"
        }
        Msg::EventsDestroySource => "socket destroy",
        Msg::EventsProcessSource => "process",
        Msg::EventsTcpStateSource => "TCP state (tracepoint, root only)",
        Msg::MetricsNoInput => "no records: pipe them in (prt scan | {0}) or name files to read",
    }
}
