//! Firewall commands from records: block (or unblock) remote addresses or local ports with
//! nft, iptables/ip6tables or pfctl.
//!
//! Everything that reaches a command is a parsed [`IpAddr`], a port number or a fixed word,
//! so nothing a record says can become shell text. Each backend keeps prt's rules in a
//! place of its own — an `inet prt` table with sets (nft), `prt-in`/`prt-out` chains
//! (iptables), a `prt` anchor with a `prt_blocked` table (pf) — so blocking twice adds
//! nothing, and undo or `--reset` removes exactly what prt added.
//!
//! The result is a list of [`Step`]s: printed as a shell script, or run one by one by
//! [`apply`]. A step may carry a check command that decides whether it is needed (the rule
//! is already there, or is not there to delete), which keeps both forms idempotent.
//!
//! A plan stays small however many targets there are: nft takes them all in one
//! transaction, and iptables' per-rule commands are one step per chain and kind of match,
//! run once per target ([`Step::per_target`]) — in a script, a loop over a here-document.

use std::collections::BTreeSet;
use std::fmt;
use std::io::Write as _;
use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::str::FromStr;

use serde::Serialize;

use crate::i18n::{self, Msg};
use crate::model::Proto;
use crate::raw::{Key, RawRecord, RawValue};

/// Which firewall to write commands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// nftables: table `inet prt`, sets `blocked_v4`, `blocked_v6`, `blocked_tcp`,
    /// `blocked_udp`.
    Nft,
    /// iptables and ip6tables: chains `prt-in` and `prt-out`, jumped to from INPUT/OUTPUT.
    Iptables,
    /// macOS / BSD pf: anchor `prt`, table `prt_blocked`; ports in anchors `prt/ports/*`.
    Pfctl,
}

impl Backend {
    /// The platform's usual firewall: pf on macOS and the BSDs, nftables elsewhere.
    #[must_use]
    pub fn for_platform() -> Backend {
        if cfg!(any(
            target_os = "macos",
            target_os = "freebsd",
            target_os = "openbsd"
        )) {
            Backend::Pfctl
        } else {
            Backend::Nft
        }
    }

    /// The name used in messages and records.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Nft => "nft",
            Backend::Iptables => "iptables",
            Backend::Pfctl => "pfctl",
        }
    }
}

/// One thing to block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Block {
    /// Traffic from and to a remote address.
    Address(IpAddr),
    /// Incoming traffic to a local port.
    Port(Proto, u16),
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Block::Address(addr) => write!(f, "{addr}"),
            Block::Port(proto, port) => write!(f, "{}/{port}", proto.as_str()),
        }
    }
}

/// Why an argument is not something to block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", i18n::trf(Msg::BadBlock, &[&format!("'{}'", self.0)]))]
pub struct BadBlock(pub String);

impl FromStr for Block {
    type Err = BadBlock;

    /// `203.0.113.5`, `2001:db8::1`, `8080/tcp`, `53/udp`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || BadBlock(text.to_owned());
        if let Some((port, proto)) = text.split_once('/') {
            let proto = match proto.to_ascii_lowercase().as_str() {
                "tcp" => Proto::Tcp,
                "udp" => Proto::Udp,
                _ => return Err(bad()),
            };
            let port = port
                .parse::<u16>()
                .ok()
                .filter(|&p| p > 0)
                .ok_or_else(bad)?;
            return Ok(Block::Port(proto, port));
        }
        text.parse::<IpAddr>()
            .map(|addr| Block::Address(addr.to_canonical()))
            .map_err(|_| bad())
    }
}

/// Whether to add or remove rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Add blocking rules.
    Block,
    /// Remove them (`--undo`).
    Unblock,
    /// Create prt's own table or chains (before the first block).
    Setup,
    /// Remove everything prt added (`--reset`).
    Reset,
}

/// What to block: built from records and arguments, deduplicated. What is left out is
/// handed back as a note, for the caller to give (capped) as it goes: a list of them could
/// grow with the input.
#[derive(Debug)]
pub struct Blocklist {
    /// Remote addresses (default) or local ports (`local_port`).
    local_port: bool,
    allow_private: bool,
    own: Vec<IpAddr>,
    blocks: BTreeSet<Block>,
}

/// A record that cannot be turned into a block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{place}: {what}")]
pub struct BadRecord {
    /// `line 3`.
    pub place: String,
    /// What is wrong.
    pub what: String,
}

impl Blocklist {
    /// An empty list: blocking remote addresses, or with `local_port` local ports.
    /// `own` are this machine's addresses, never blocked unless `allow_private`.
    #[must_use]
    pub fn new(local_port: bool, allow_private: bool, own: Vec<IpAddr>) -> Blocklist {
        Blocklist {
            local_port,
            allow_private,
            own,
            blocks: BTreeSet::new(),
        }
    }

    /// The blocks, sorted and distinct.
    #[must_use]
    pub fn blocks(&self) -> Vec<Block> {
        self.blocks.iter().copied().collect()
    }

    /// Adds what a record says to block: its remote address, or its local port. `Some`
    /// note when the record names nothing that may be blocked.
    pub fn add_record(
        &mut self,
        record: &RawRecord<'_>,
        place: &str,
    ) -> Result<Option<String>, BadRecord> {
        let bad = |what: String| BadRecord {
            place: place.to_owned(),
            what,
        };
        if self.local_port {
            let proto = match record.str(Key::Proto).as_deref() {
                Some("tcp") => Proto::Tcp,
                Some("udp") => Proto::Udp,
                other => {
                    let proto = other.map_or_else(|| "null".to_owned(), |p| format!("'{p}'"));
                    return Err(bad(i18n::trf(Msg::FwBadProto, &[&proto])));
                }
            };
            let port = record
                .u64(Key::LocalPort)
                .and_then(|p| u16::try_from(p).ok())
                .filter(|&p| p > 0)
                .ok_or_else(|| bad(i18n::tr(Msg::FwNoLocalPort).to_owned()))?;
            return Ok(self.add(Block::Port(proto, port), place));
        }
        match record.get(Key::RemoteAddr) {
            None | Some(RawValue::Null) => Ok(Some(i18n::trf(Msg::FwNoRemote, &[&place]))),
            Some(value) => {
                let addr = value
                    .as_ip()
                    .ok_or_else(|| bad(i18n::trf(Msg::FwNotIp, &[&value.cell()])))?;
                Ok(self.add(Block::Address(addr.to_canonical()), place))
            }
        }
    }

    /// Adds one block, unless it is an address that must not be blocked: then `Some` note
    /// saying why it was skipped.
    pub fn add(&mut self, block: Block, place: &str) -> Option<String> {
        if let Block::Address(addr) = block
            && let Some(reason) = self.never_blocked(addr)
        {
            return Some(i18n::trf(
                Msg::FwSkipped,
                &[&place, &addr, &i18n::tr(reason)],
            ));
        }
        self.blocks.insert(block);
        None
    }

    /// Why `addr` is left alone: blocking it would cut this machine off from itself or
    /// from its own network.
    fn never_blocked(&self, addr: IpAddr) -> Option<Msg> {
        if addr.is_loopback() {
            return Some(Msg::FwLoopback);
        }
        if addr.is_unspecified() {
            return Some(Msg::FwUnspecified);
        }
        if self.allow_private {
            return None;
        }
        if self.own.iter().any(|own| own.to_canonical() == addr) {
            return Some(Msg::FwOwn);
        }
        if is_private(addr) {
            return Some(Msg::FwPrivate);
        }
        None
    }
}

/// RFC 1918, shared (CGNAT), link-local, and IPv6 unique-local / link-local addresses.
#[must_use]
pub fn is_private(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private() || v4.is_link_local() || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

/// This machine's interface addresses (`getifaddrs`), for [`Blocklist::new`].
#[must_use]
pub fn own_addresses() -> Vec<IpAddr> {
    crate::sys::interface_addresses()
}

/// A command: a program and its arguments, and text for its stdin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// Fed to stdin (an nft or pf ruleset).
    pub stdin: Option<String>,
}

impl Invocation {
    fn new(argv: &[&str]) -> Invocation {
        Invocation {
            argv: argv.iter().map(|&a| a.to_owned()).collect(),
            stdin: None,
        }
    }

    fn with_stdin(mut self, text: String) -> Invocation {
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
const SPELLED_OUT: usize = 8;

impl Block {
    /// The word that stands for this block in a per-target command: the address, or the
    /// port number (the protocol is in the command).
    fn word(self) -> String {
        match self {
            Block::Address(addr) => addr.to_string(),
            Block::Port(_, port) => port.to_string(),
        }
    }
}

impl Invocation {
    /// This command for one target: [`TARGET`] replaced by `word`.
    fn for_target(&self, word: &str) -> Invocation {
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
    fn shell_looped(&self) -> String {
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
    fn invocation(&self) -> &Invocation {
        match self {
            Check::SkipIfSucceeds(check) | Check::SkipIfFails(check) => check,
        }
    }

    fn for_target(&self, word: &str) -> Check {
        match self {
            Check::SkipIfSucceeds(check) => Check::SkipIfSucceeds(check.for_target(word)),
            Check::SkipIfFails(check) => Check::SkipIfFails(check.for_target(word)),
        }
    }

    /// `CHECK >/dev/null 2>&1 || ` (or `! CHECK ...`), the check's words from `words`.
    fn shell_prefix(&self, words: impl Fn(&Invocation) -> String) -> String {
        let words = words(self.invocation());
        match self {
            Check::SkipIfSucceeds(_) => format!("{words} >/dev/null 2>&1 || "),
            Check::SkipIfFails(_) => format!("! {words} >/dev/null 2>&1 || "),
        }
    }
}

impl Step {
    fn new(action: Action, targets: Vec<Block>, run: Invocation) -> Step {
        Step {
            action,
            targets,
            run,
            check: None,
            per_target: false,
        }
    }

    /// The same step run once per target ([`Step::per_target`]).
    fn each(mut self) -> Step {
        self.per_target = true;
        self
    }

    /// The steps this one stands for: itself, or one per target with the words filled in
    /// (made as they are asked for, so a long plan is never held expanded).
    fn expanded(&self) -> impl Iterator<Item = Step> + '_ {
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

    fn unless(mut self, check: Invocation) -> Step {
        self.check = Some(Check::SkipIfSucceeds(check));
        self
    }

    fn only_if(mut self, check: Invocation) -> Step {
        self.check = Some(Check::SkipIfFails(check));
        self
    }
}

/// The steps that block (`action` Block) or unblock (Unblock) `blocks`, or with Reset
/// remove everything prt added; `blocks` is ignored for a reset.
#[must_use]
pub fn plan(backend: Backend, action: Action, blocks: &[Block]) -> Vec<Step> {
    match backend {
        Backend::Nft => nft::plan(action, blocks),
        Backend::Iptables => iptables::plan(action, blocks),
        Backend::Pfctl => pf::plan(action, blocks),
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
fn looped(step: &Step, text: &mut String) {
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
fn spelled_out(step: &Step, text: &mut String) {
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
fn succeeds(check: &Invocation) -> bool {
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
fn run(invocation: &Invocation) -> Result<(), String> {
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

/// `arg` as one sh word: bare when it is plainly safe, else in single quotes.
fn shell_quote(arg: &str) -> String {
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

/// Addresses by family, and ports by protocol.
struct Split {
    v4: Vec<String>,
    v6: Vec<String>,
    tcp: Vec<String>,
    udp: Vec<String>,
}

impl Split {
    fn of(blocks: &[Block]) -> Split {
        let mut split = Split {
            v4: Vec::new(),
            v6: Vec::new(),
            tcp: Vec::new(),
            udp: Vec::new(),
        };
        for block in blocks {
            match block {
                Block::Address(IpAddr::V4(v4)) => split.v4.push(v4.to_string()),
                Block::Address(IpAddr::V6(v6)) => split.v6.push(v6.to_string()),
                Block::Port(Proto::Tcp, port) => split.tcp.push(port.to_string()),
                Block::Port(Proto::Udp, port) => split.udp.push(port.to_string()),
            }
        }
        split
    }
}

/// nftables: one atomic `nft -f -` transaction per run.
mod nft {
    use super::{Action, Block, Invocation, Split, Step};

    /// prt's table with its sets; declaring it again changes nothing that exists.
    const SETS: &str = "\
table inet prt {
\tset blocked_v4 { type ipv4_addr; }
\tset blocked_v6 { type ipv6_addr; }
\tset blocked_tcp { type inet_service; }
\tset blocked_udp { type inet_service; }
}
";

    /// The chains and their rules, rewritten whole (flush, then add) so they never pile
    /// up however often prt runs.
    const CHAINS: &str = "\
table inet prt {
\tchain input { type filter hook input priority -10; policy accept; }
\tchain output { type filter hook output priority -10; policy accept; }
}
flush chain inet prt input
flush chain inet prt output
add rule inet prt input ip saddr @blocked_v4 drop
add rule inet prt input ip6 saddr @blocked_v6 drop
add rule inet prt input tcp dport @blocked_tcp drop
add rule inet prt input udp dport @blocked_udp drop
add rule inet prt output ip daddr @blocked_v4 drop
add rule inet prt output ip6 daddr @blocked_v6 drop
";

    pub(super) fn plan(action: Action, blocks: &[Block]) -> Vec<Step> {
        let nft_f = || Invocation::new(&["nft", "-f", "-"]);
        if action == Action::Reset {
            return vec![
                Step::new(
                    Action::Reset,
                    Vec::new(),
                    Invocation::new(&["nft", "delete", "table", "inet", "prt"]),
                )
                .only_if(Invocation::new(&["nft", "list", "table", "inet", "prt"])),
            ];
        }
        if blocks.is_empty() {
            return Vec::new();
        }
        let split = Split::of(blocks);
        let sets = [
            ("blocked_v4", &split.v4),
            ("blocked_v6", &split.v6),
            ("blocked_tcp", &split.tcp),
            ("blocked_udp", &split.udp),
        ];
        let mut ruleset = String::from(SETS);
        match action {
            Action::Block => {
                ruleset.push_str(CHAINS);
                for (set, elements) in sets.iter().filter(|(_, e)| !e.is_empty()) {
                    ruleset.push_str(&format!(
                        "add element inet prt {set} {{ {} }}\n",
                        elements.join(", ")
                    ));
                }
            }
            // Adding then deleting in one transaction removes an element whether or not
            // it was there, so undo never fails on what is already gone.
            _ => {
                for (set, elements) in sets.iter().filter(|(_, e)| !e.is_empty()) {
                    let list = elements.join(", ");
                    ruleset.push_str(&format!("add element inet prt {set} {{ {list} }}\n"));
                    ruleset.push_str(&format!("delete element inet prt {set} {{ {list} }}\n"));
                }
            }
        }
        vec![Step::new(
            action,
            blocks.to_vec(),
            nft_f().with_stdin(ruleset),
        )]
    }
}

/// iptables and ip6tables: chains `prt-in` (from INPUT) and `prt-out` (from OUTPUT).
mod iptables {
    use std::net::IpAddr;

    use super::{Action, Block, Invocation, Step, TARGET};
    use crate::model::Proto;

    const CHAINS: [(&str, &str); 2] = [("prt-in", "INPUT"), ("prt-out", "OUTPUT")];

    fn cmd(program: &str, args: &[&str]) -> Invocation {
        let mut words = vec![program, "-w"];
        words.extend_from_slice(args);
        Invocation::new(&words)
    }

    /// The kinds of rule, one per chain and match, and the blocks each is made for: the
    /// program, the chain, and the match arguments with [`TARGET`] where each target goes.
    fn groups(
        blocks: &[Block],
    ) -> Vec<(&'static str, &'static str, Vec<&'static str>, Vec<Block>)> {
        let of = |wanted: &dyn Fn(&Block) -> bool| -> Vec<Block> {
            blocks.iter().copied().filter(|b| wanted(b)).collect()
        };
        let v4 = of(&|b| matches!(b, Block::Address(IpAddr::V4(_))));
        let v6 = of(&|b| matches!(b, Block::Address(IpAddr::V6(_))));
        let tcp = of(&|b| matches!(b, Block::Port(Proto::Tcp, _)));
        let udp = of(&|b| matches!(b, Block::Port(Proto::Udp, _)));
        let mut groups = Vec::new();
        for (program, addrs) in [("iptables", v4), ("ip6tables", v6)] {
            if addrs.is_empty() {
                continue;
            }
            groups.push((program, "prt-in", vec!["-s", TARGET], addrs.clone()));
            groups.push((program, "prt-out", vec!["-d", TARGET], addrs));
        }
        for (proto, ports) in [("tcp", tcp), ("udp", udp)] {
            if ports.is_empty() {
                continue;
            }
            for program in ["iptables", "ip6tables"] {
                let matches = vec!["-p", proto, "--dport", TARGET];
                groups.push((program, "prt-in", matches, ports.clone()));
            }
        }
        groups
    }

    fn programs_for(blocks: &[Block]) -> Vec<&'static str> {
        let v4 = blocks
            .iter()
            .any(|b| !matches!(b, Block::Address(IpAddr::V6(_))));
        let v6 = blocks
            .iter()
            .any(|b| !matches!(b, Block::Address(IpAddr::V4(_))));
        [("iptables", v4), ("ip6tables", v6)]
            .into_iter()
            .filter_map(|(program, wanted)| wanted.then_some(program))
            .collect()
    }

    pub(super) fn plan(action: Action, blocks: &[Block]) -> Vec<Step> {
        let mut steps = Vec::new();
        if action == Action::Reset {
            for program in ["iptables", "ip6tables"] {
                for (chain, hook) in CHAINS {
                    steps.push(
                        Step::new(
                            Action::Reset,
                            Vec::new(),
                            cmd(program, &["-D", hook, "-j", chain]),
                        )
                        .only_if(cmd(program, &["-C", hook, "-j", chain])),
                    );
                    steps.push(
                        Step::new(Action::Reset, Vec::new(), cmd(program, &["-F", chain]))
                            .only_if(cmd(program, &["-n", "-L", chain])),
                    );
                    steps.push(
                        Step::new(Action::Reset, Vec::new(), cmd(program, &["-X", chain]))
                            .only_if(cmd(program, &["-n", "-L", chain])),
                    );
                }
            }
            return steps;
        }
        if action == Action::Block {
            for program in programs_for(blocks) {
                for (chain, hook) in CHAINS {
                    steps.push(
                        Step::new(Action::Setup, Vec::new(), cmd(program, &["-N", chain]))
                            .unless(cmd(program, &["-n", "-L", chain])),
                    );
                    steps.push(
                        Step::new(
                            Action::Setup,
                            Vec::new(),
                            cmd(program, &["-I", hook, "-j", chain]),
                        )
                        .unless(cmd(program, &["-C", hook, "-j", chain])),
                    );
                }
            }
        }
        // One step per chain and kind of match, run for each of its targets.
        for (program, chain, matches, targets) in groups(blocks) {
            let rule = |verb: &str| {
                let mut args = vec![verb, chain];
                args.extend(&matches);
                args.extend(["-j", "DROP"]);
                cmd(program, &args)
            };
            let step = if action == Action::Block {
                Step::new(Action::Block, targets, rule("-A")).unless(rule("-C"))
            } else {
                Step::new(Action::Unblock, targets, rule("-D")).only_if(rule("-C"))
            };
            steps.push(step.each());
        }
        steps
    }
}

/// pf: anchor `prt` with table `prt_blocked`; each blocked port in anchor
/// `prt/ports/PROTO-PORT`.
mod pf {
    use super::{Action, Block, Invocation, Split, Step};
    use crate::model::Proto;

    const RULES: &str = "\
table <prt_blocked> persist
block drop quick from <prt_blocked> to any
block drop quick from any to <prt_blocked>
anchor \"ports/*\"
";

    pub(super) fn plan(action: Action, blocks: &[Block]) -> Vec<Step> {
        let table = |verb: &str, addrs: &[String]| {
            let mut argv = vec!["pfctl", "-a", "prt", "-t", "prt_blocked", "-T", verb];
            argv.extend(addrs.iter().map(String::as_str));
            Invocation::new(&argv)
        };
        if action == Action::Reset {
            return vec![Step::new(
                Action::Reset,
                Vec::new(),
                Invocation::new(&["pfctl", "-a", "prt", "-F", "all"]),
            )];
        }
        let split = Split::of(blocks);
        let addrs: Vec<String> = split.v4.into_iter().chain(split.v6).collect();
        let address_blocks: Vec<Block> = blocks
            .iter()
            .copied()
            .filter(|b| matches!(b, Block::Address(_)))
            .collect();
        let mut steps = Vec::new();
        if action == Action::Block && !blocks.is_empty() {
            steps.push(
                Step::new(
                    Action::Setup,
                    Vec::new(),
                    Invocation::new(&["pfctl", "-a", "prt", "-f", "-"])
                        .with_stdin(RULES.to_owned()),
                )
                .unless(table("show", &[])),
            );
        }
        if !addrs.is_empty() {
            let verb = if action == Action::Block {
                "add"
            } else {
                "delete"
            };
            steps.push(Step::new(action, address_blocks, table(verb, &addrs)));
        }
        for &block in blocks {
            let Block::Port(proto, port) = block else {
                continue;
            };
            let anchor = format!("prt/ports/{}-{port}", proto.as_str());
            let step = if action == Action::Block {
                let rule = format!(
                    "block drop in quick proto {} from any to any port {port}\n",
                    if proto == Proto::Tcp { "tcp" } else { "udp" }
                );
                Step::new(
                    action,
                    vec![block],
                    Invocation::new(&["pfctl", "-a", &anchor, "-f", "-"]).with_stdin(rule),
                )
            } else {
                Step::new(
                    action,
                    vec![block],
                    Invocation::new(&["pfctl", "-a", &anchor, "-F", "rules"]),
                )
            };
            steps.push(step);
        }
        steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(texts: &[&str]) -> Vec<Block> {
        texts.iter().map(|t| t.parse().expect("block")).collect()
    }

    #[test]
    fn blocks_parse_and_canonicalise() {
        assert_eq!(
            blocks(&["203.0.113.5", "::ffff:198.51.100.7", "8080/tcp", "53/UDP"]),
            [
                Block::Address("203.0.113.5".parse().expect("ip")),
                Block::Address("198.51.100.7".parse().expect("ip")),
                Block::Port(Proto::Tcp, 8080),
                Block::Port(Proto::Udp, 53),
            ]
        );
        for bad in [
            "",
            "1.2.3",
            "1.2.3.4; rm -rf /",
            "0/tcp",
            "80/icmp",
            "$(reboot)",
        ] {
            assert!(bad.parse::<Block>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn never_blocks_loopback_unspecified_own_or_private_unless_allowed() {
        let own: Vec<IpAddr> = vec!["203.0.113.9".parse().expect("ip")];
        let mut list = Blocklist::new(false, false, own.clone());
        let skipped = [
            "127.0.0.1",
            "::1",
            "0.0.0.0",
            "::",
            "203.0.113.9",
            "10.1.2.3",
            "192.168.1.1",
            "fe80::1",
            "fd00::1",
            "100.64.0.1",
            "198.51.100.7",
            "198.51.100.7",
        ]
        .map(|text| list.add(text.parse().expect("block"), "arg"));
        assert_eq!(list.blocks(), blocks(&["198.51.100.7"]));
        let skipped: Vec<String> = skipped.into_iter().flatten().collect();
        assert_eq!(skipped.len(), 10, "{skipped:?}");
        assert!(skipped[0].contains("loopback"));
        let mut allowed = Blocklist::new(false, true, own);
        for text in ["127.0.0.1", "203.0.113.9", "10.1.2.3"] {
            let _ = allowed.add(text.parse().expect("block"), "arg");
        }
        assert_eq!(allowed.blocks(), blocks(&["10.1.2.3", "203.0.113.9"]));
    }

    #[test]
    fn records_give_remote_addresses_or_local_ports() {
        let line = br#"{"proto":"tcp","local_addr":"10.0.0.2","local_port":8080,"remote_addr":"198.51.100.7","remote_port":5000}"#;
        let listener =
            br#"{"proto":"udp","local_addr":"0.0.0.0","local_port":53,"remote_addr":null}"#;
        let evil = br#"{"proto":"tcp","local_port":1,"remote_addr":"1.2.3.4 ; reboot"}"#;
        let record = |bytes: &'static [u8]| RawRecord::parse(bytes).expect("valid");
        let mut remote = Blocklist::new(false, false, Vec::new());
        assert_eq!(remote.add_record(&record(line), "line 1"), Ok(None));
        let note = remote.add_record(&record(listener), "line 2").expect("ok");
        assert_eq!(remote.blocks(), blocks(&["198.51.100.7"]));
        assert!(note.is_some_and(|n| n.starts_with("line 2: no remote address")));
        let err = remote
            .add_record(&record(evil), "line 3")
            .expect_err("not an address");
        assert_eq!(err.place, "line 3");
        let mut ports = Blocklist::new(true, false, Vec::new());
        ports.add_record(&record(line), "line 1").expect("ok");
        ports.add_record(&record(listener), "line 2").expect("ok");
        assert_eq!(ports.blocks(), blocks(&["8080/tcp", "53/udp"]));
    }

    #[test]
    fn nft_script_declares_its_own_table_and_undo_cannot_fail() {
        let list = blocks(&["198.51.100.7", "2001:db8::5", "8080/tcp"]);
        let block = script(
            Backend::Nft,
            Action::Block,
            &plan(Backend::Nft, Action::Block, &list),
        );
        assert!(block.starts_with("#!/bin/sh\n"));
        assert!(
            block.contains("nft -f - <<'PRT_EOF'\ntable inet prt {\n"),
            "{block}"
        );
        assert!(block.contains("flush chain inet prt input\n"));
        assert!(block.contains("add element inet prt blocked_v4 { 198.51.100.7 }\n"));
        assert!(block.contains("add element inet prt blocked_v6 { 2001:db8::5 }\n"));
        assert!(block.contains("add element inet prt blocked_tcp { 8080 }\n"));
        assert!(
            !block.contains("add element inet prt blocked_udp"),
            "{block}"
        );
        assert!(block.ends_with("PRT_EOF\n"));
        let undo = script(
            Backend::Nft,
            Action::Unblock,
            &plan(Backend::Nft, Action::Unblock, &list),
        );
        assert!(undo.contains("add element inet prt blocked_v4 { 198.51.100.7 }\ndelete element inet prt blocked_v4 { 198.51.100.7 }\n"), "{undo}");
        assert!(!undo.contains("chain"), "undo creates no chains: {undo}");
        let reset = script(
            Backend::Nft,
            Action::Reset,
            &plan(Backend::Nft, Action::Reset, &[]),
        );
        assert!(
            reset.contains(
                "! nft list table inet prt >/dev/null 2>&1 || nft delete table inet prt\n"
            ),
            "{reset}"
        );
    }

    #[test]
    fn iptables_uses_ip6tables_for_ipv6_and_checks_before_adding() {
        let list = blocks(&["198.51.100.7", "2001:db8::5"]);
        let text = script(
            Backend::Iptables,
            Action::Block,
            &plan(Backend::Iptables, Action::Block, &list),
        );
        for line in [
            "iptables -w -n -L prt-in >/dev/null 2>&1 || iptables -w -N prt-in",
            "iptables -w -C INPUT -j prt-in >/dev/null 2>&1 || iptables -w -I INPUT -j prt-in",
            "iptables -w -C prt-in -s 198.51.100.7 -j DROP >/dev/null 2>&1 || iptables -w -A prt-in -s 198.51.100.7 -j DROP",
            "iptables -w -C prt-out -d 198.51.100.7 -j DROP >/dev/null 2>&1 || iptables -w -A prt-out -d 198.51.100.7 -j DROP",
            "ip6tables -w -C prt-in -s 2001:db8::5 -j DROP >/dev/null 2>&1 || ip6tables -w -A prt-in -s 2001:db8::5 -j DROP",
        ] {
            assert!(
                text.contains(&format!("{line}\n")),
                "missing {line}\n{text}"
            );
        }
        assert!(!text.contains("iptables -w -A prt-in -s 2001"), "{text}");
        let ports = script(
            Backend::Iptables,
            Action::Block,
            &plan(Backend::Iptables, Action::Block, &blocks(&["8080/tcp"])),
        );
        assert!(
            ports.contains("|| iptables -w -A prt-in -p tcp --dport 8080 -j DROP\n"),
            "{ports}"
        );
        assert!(
            ports.contains("|| ip6tables -w -A prt-in -p tcp --dport 8080 -j DROP\n"),
            "{ports}"
        );
        let undo = script(
            Backend::Iptables,
            Action::Unblock,
            &plan(Backend::Iptables, Action::Unblock, &list),
        );
        assert!(undo.contains("! iptables -w -C prt-in -s 198.51.100.7 -j DROP >/dev/null 2>&1 || iptables -w -D prt-in -s 198.51.100.7 -j DROP\n"), "{undo}");
        assert!(!undo.contains(" -N "), "{undo}");
    }

    #[test]
    fn pf_uses_an_anchor_and_a_table() {
        let list = blocks(&["198.51.100.7", "2001:db8::5", "8080/tcp"]);
        let text = script(
            Backend::Pfctl,
            Action::Block,
            &plan(Backend::Pfctl, Action::Block, &list),
        );
        assert!(text.contains("anchor \"prt\"' in /etc/pf.conf"), "{text}");
        assert!(text.contains("pfctl -a prt -t prt_blocked -T show >/dev/null 2>&1 || pfctl -a prt -f - <<'PRT_EOF'\ntable <prt_blocked> persist\n"), "{text}");
        assert!(
            text.contains("\npfctl -a prt -t prt_blocked -T add 198.51.100.7 2001:db8::5\n"),
            "{text}"
        );
        assert!(text.contains("pfctl -a prt/ports/tcp-8080 -f - <<'PRT_EOF'\nblock drop in quick proto tcp from any to any port 8080\nPRT_EOF\n"), "{text}");
        let undo = script(
            Backend::Pfctl,
            Action::Unblock,
            &plan(Backend::Pfctl, Action::Unblock, &list),
        );
        assert!(
            undo.contains("pfctl -a prt -t prt_blocked -T delete 198.51.100.7 2001:db8::5\n"),
            "{undo}"
        );
        assert!(
            undo.contains("pfctl -a prt/ports/tcp-8080 -F rules\n"),
            "{undo}"
        );
    }

    #[test]
    fn quoting_keeps_odd_words_single() {
        assert_eq!(shell_quote("2001:db8::5"), "2001:db8::5");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn own_addresses_include_loopback() {
        let own = own_addresses();
        assert!(own.iter().any(IpAddr::is_loopback), "{own:?}");
    }
}
