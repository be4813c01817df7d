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
use std::net::IpAddr;

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

mod apply;
mod iptables;
mod nft;
mod pf;
mod steps;

pub use apply::{FwResult, HEADERS, Outcome, apply};
pub use steps::{Check, Invocation, Step, TARGET, script};
#[cfg(test)]
mod tests;
