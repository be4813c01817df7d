//! The expression tree and its evaluation over a record.

use std::borrow::Cow;
use std::net::IpAddr;

use regex::Regex;

use super::Fields;
use crate::model::{Proto, State, Status};

/// A field the language can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Field {
    Port,
    Rport,
    Laddr,
    Raddr,
    Pid,
    Ppid,
    Uid,
    Inode,
    Netns,
    RecvQ,
    SendQ,
    Interface,
    User,
    Process,
    Cmdline,
    State,
    Proto,
    Service,
    Container,
    Status,
    Suspicious,
    BytesSent,
    BytesReceived,
    Retrans,
    RttUs,
    RateSent,
    RateReceived,
}

/// How a field's values compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Number,
    Address,
    Text,
    State,
    Proto,
    Status,
    Reasons,
}

impl Field {
    /// Every field with its names: the first is canonical, the rest are aliases.
    pub(super) const NAMES: &[(Field, &[&str])] = &[
        (Field::Port, &["port", "lport", "local_port"]),
        (Field::Rport, &["rport", "remote_port"]),
        (Field::Laddr, &["laddr", "local", "local_addr"]),
        (Field::Raddr, &["raddr", "remote", "remote_addr"]),
        (Field::Pid, &["pid"]),
        (Field::Ppid, &["ppid"]),
        (Field::Uid, &["uid"]),
        (Field::Inode, &["inode"]),
        (Field::Netns, &["netns"]),
        (Field::RecvQ, &["recv_q", "recvq"]),
        (Field::SendQ, &["send_q", "sendq"]),
        (Field::Interface, &["interface", "iface", "dev"]),
        (Field::User, &["user"]),
        (Field::Process, &["process", "comm"]),
        (Field::Cmdline, &["cmdline", "cmd"]),
        (Field::State, &["state"]),
        (Field::Proto, &["proto", "protocol"]),
        (Field::Service, &["service"]),
        (Field::Container, &["container"]),
        (Field::Status, &["status"]),
        (Field::Suspicious, &["suspicious"]),
        (Field::BytesSent, &["bytes_sent"]),
        (Field::BytesReceived, &["bytes_received"]),
        (Field::Retrans, &["retrans"]),
        (Field::RttUs, &["rtt_us", "rtt"]),
        (Field::RateSent, &["rate_sent"]),
        (Field::RateReceived, &["rate_received"]),
    ];

    /// Every field, in the order the help lists them.
    pub fn all() -> impl Iterator<Item = Field> {
        Field::NAMES.iter().map(|&(field, _)| field)
    }

    /// The field's names: the canonical one first, then its aliases.
    #[must_use]
    pub fn names(self) -> &'static [&'static str] {
        Field::NAMES
            .iter()
            .find(|(field, _)| *field == self)
            .map_or(&[], |&(_, names)| names)
    }

    /// The field called `name` (case-insensitive), aliases included.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Field> {
        let lower = name.to_ascii_lowercase();
        Field::NAMES
            .iter()
            .find(|(_, names)| names.contains(&lower.as_str()))
            .map(|&(field, _)| field)
    }

    /// The canonical name.
    #[must_use]
    pub fn name(self) -> &'static str {
        self.names().first().copied().unwrap_or("?")
    }

    /// The largest value a numeric field can hold on the wire (ports are 16-bit, pids and
    /// uids 32-bit); `None` for fields that are not numbers.
    #[must_use]
    pub fn max(self) -> Option<u64> {
        match self {
            Field::Port | Field::Rport => Some(u64::from(u16::MAX)),
            Field::Pid | Field::Ppid | Field::Uid => Some(u64::from(u32::MAX)),
            Field::Inode
            | Field::Netns
            | Field::RecvQ
            | Field::SendQ
            | Field::BytesSent
            | Field::BytesReceived
            | Field::Retrans
            | Field::RttUs
            | Field::RateSent
            | Field::RateReceived => Some(u64::MAX),
            _ => None,
        }
    }

    pub(super) fn kind(self) -> Kind {
        match self {
            Field::Port
            | Field::Rport
            | Field::Pid
            | Field::Ppid
            | Field::Uid
            | Field::Inode
            | Field::Netns
            | Field::RecvQ
            | Field::SendQ
            | Field::BytesSent
            | Field::BytesReceived
            | Field::Retrans
            | Field::RttUs
            | Field::RateSent
            | Field::RateReceived => Kind::Number,
            Field::Laddr | Field::Raddr => Kind::Address,
            Field::User
            | Field::Process
            | Field::Cmdline
            | Field::Service
            | Field::Container
            | Field::Interface => Kind::Text,
            Field::State => Kind::State,
            Field::Proto => Kind::Proto,
            Field::Status => Kind::Status,
            Field::Suspicious => Kind::Reasons,
        }
    }
}

/// The state groups of `ss`'s filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateGroup {
    /// Every state but LISTEN and CLOSE (and UDP's UNCONN).
    Connected,
    /// Connected, but not SYN_SENT.
    Synchronized,
    /// Minisockets: TIME_WAIT and SYN_RECV.
    Bucket,
    /// Everything that is not a bucket.
    Big,
}

impl StateGroup {
    /// Every group with its name.
    pub const ALL: [(StateGroup, &'static str); 4] = [
        (StateGroup::Connected, "connected"),
        (StateGroup::Synchronized, "synchronized"),
        (StateGroup::Bucket, "bucket"),
        (StateGroup::Big, "big"),
    ];

    /// The group called `name` (case-insensitive).
    #[must_use]
    pub fn from_name(name: &str) -> Option<StateGroup> {
        StateGroup::ALL
            .iter()
            .find(|(_, known)| known.eq_ignore_ascii_case(name))
            .map(|&(group, _)| group)
    }

    /// Whether `state` is in the group.
    #[must_use]
    pub fn contains(self, state: State) -> bool {
        let connected = !matches!(state, State::Listen | State::Close | State::Unconn);
        match self {
            StateGroup::Connected => connected,
            StateGroup::Synchronized => connected && state != State::SynSent,
            StateGroup::Bucket => matches!(state, State::TimeWait | State::SynRecv),
            StateGroup::Big => !matches!(state, State::TimeWait | State::SynRecv),
        }
    }
}

/// A value to compare a field with, already parsed for that field's kind.
#[derive(Debug, Clone)]
pub enum Value {
    /// A number.
    Number(u64),
    /// An inclusive range `A..B`.
    Range(u64, u64),
    /// An address.
    Ip(IpAddr),
    /// Text, compared case-insensitively (held in lower case).
    Text(String),
    /// One state.
    State(State),
    /// A state group.
    Group(StateGroup),
    /// A protocol.
    Proto(Proto),
    /// A change status; `None` is `active` (new or unchanged).
    Status(Option<Status>),
}

/// An ordering or equality operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A node of the expression tree.
#[derive(Debug, Clone)]
pub enum Expr {
    /// Every one holds. A chain `a and b and c` is one node, so a long chain costs no
    /// depth: evaluating and dropping the tree recurse only as deep as the nesting.
    And(Vec<Expr>),
    /// Any one holds.
    Or(Vec<Expr>),
    /// Negation.
    Not(Box<Expr>),
    /// `field OP value`.
    Compare(Field, Cmp, Value),
    /// `field ~ regex` (or `!~` when negated).
    Regex(Field, Regex, bool),
    /// `field in network/prefix`.
    InNet(Field, IpAddr, u8),
    /// `field:needle`: case-insensitive substring (needle in lower case).
    Contains(Field, String),
    /// A bare word (lower case), and the number it spells, if any.
    Bare(String, Option<u64>),
    /// `!`: any suspicious reason.
    Suspicious,
}

impl Expr {
    /// Evaluates over `record`.
    pub fn eval(&self, record: &impl Fields) -> bool {
        match self {
            Expr::And(all) => all.iter().all(|e| e.eval(record)),
            Expr::Or(any) => any.iter().any(|e| e.eval(record)),
            Expr::Not(inner) => !inner.eval(record),
            Expr::Compare(field, cmp, value) => compare(record, *field, *cmp, value),
            Expr::Regex(field, regex, negated) => {
                let hit = texts(record, *field)
                    .iter()
                    .any(|text| regex.is_match(text));
                hit != *negated
            }
            Expr::InNet(field, net, prefix) => record
                .addr(*field)
                .is_some_and(|addr| in_network(addr, *net, *prefix)),
            Expr::Contains(field, needle) => texts(record, *field)
                .iter()
                .any(|text| contains_folded(text, needle)),
            Expr::Bare(word, number) => bare(record, word, *number),
            Expr::Suspicious => !record.reasons().is_empty(),
        }
    }
}

/// The field's text forms: one for most fields, one per reason for `suspicious`.
fn texts(record: &impl Fields, field: Field) -> Vec<String> {
    match field.kind() {
        Kind::Number => record
            .number(field)
            .map(|n| n.to_string())
            .into_iter()
            .collect(),
        Kind::Address => record
            .addr(field)
            .map(|a| a.to_string())
            .into_iter()
            .collect(),
        Kind::Reasons => record.reasons().into_iter().map(Cow::into_owned).collect(),
        _ => record
            .text(field)
            .map(Cow::into_owned)
            .into_iter()
            .collect(),
    }
}

fn contains_folded(haystack: &str, needle_lower: &str) -> bool {
    if haystack.is_ascii() {
        haystack
            .as_bytes()
            .windows(needle_lower.len().max(1))
            .any(|window| window.eq_ignore_ascii_case(needle_lower.as_bytes()))
            || needle_lower.is_empty()
    } else {
        haystack.to_lowercase().contains(needle_lower)
    }
}

fn compare(record: &impl Fields, field: Field, cmp: Cmp, value: &Value) -> bool {
    let ordering_holds = |actual: u64, wanted: u64| match cmp {
        Cmp::Eq => actual == wanted,
        Cmp::Ne => actual != wanted,
        Cmp::Lt => actual < wanted,
        Cmp::Le => actual <= wanted,
        Cmp::Gt => actual > wanted,
        Cmp::Ge => actual >= wanted,
    };
    let equal = match value {
        Value::Number(wanted) => {
            return match record.number(field) {
                Some(actual) => ordering_holds(actual, *wanted),
                None => cmp == Cmp::Ne,
            };
        }
        Value::Range(low, high) => record.number(field).map(|n| (*low..=*high).contains(&n)),
        Value::Ip(wanted) => record
            .addr(field)
            .map(|a| a.to_canonical() == wanted.to_canonical()),
        Value::Text(wanted) => {
            if field.kind() == Kind::Reasons {
                Some(
                    record
                        .reasons()
                        .iter()
                        .any(|r| r.eq_ignore_ascii_case(wanted)),
                )
            } else {
                record.text(field).map(|t| t.to_lowercase() == *wanted)
            }
        }
        Value::State(wanted) => record.text(Field::State).map(|text| {
            // Records spell states exactly; other spellings are parsed.
            text == wanted.as_str() || text.parse::<State>().is_ok_and(|s| s == *wanted)
        }),
        Value::Group(group) => state_of(record).map(|s| group.contains(s)),
        Value::Proto(wanted) => record
            .text(Field::Proto)
            .map(|p| p.eq_ignore_ascii_case(wanted.as_str())),
        Value::Status(wanted) => record.text(Field::Status).map(|s| match wanted {
            Some(status) => s == status.as_str(),
            None => s == "new" || s == "unchanged",
        }),
    };
    match (equal, cmp) {
        (Some(equal), Cmp::Eq) => equal,
        (Some(equal), Cmp::Ne) => !equal,
        (None, Cmp::Ne) => true,
        _ => false,
    }
}

fn state_of(record: &impl Fields) -> Option<State> {
    record.text(Field::State)?.parse().ok()
}

fn in_network(addr: IpAddr, net: IpAddr, prefix: u8) -> bool {
    // IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) count as the IPv4 address they carry.
    match (addr.to_canonical(), net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// A bare word: a number is a local port or pid; text is a substring of the fields a
/// person means by "this word" (process, user, service, state, protocol, remote, container).
fn bare(record: &impl Fields, word: &str, number: Option<u64>) -> bool {
    if let Some(number) = number {
        return record.number(Field::Port) == Some(number)
            || record.number(Field::Pid) == Some(number);
    }
    let text_fields = [
        Field::Process,
        Field::User,
        Field::Service,
        Field::State,
        Field::Proto,
        Field::Container,
    ];
    text_fields.iter().any(|&field| {
        record
            .text(field)
            .is_some_and(|t| contains_folded(&t, word))
    }) || record
        .addr(Field::Raddr)
        .is_some_and(|a| contains_folded(&a.to_string(), word))
}
