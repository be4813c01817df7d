//! The records every stage reads and writes: the wire format.
//!
//! Sits at the bottom of the data flow (scan -> track -> enrich -> query -> act -> output):
//! every other module may use it, it uses nothing of theirs.
//!
//! A [`PortEntry`] is one socket as `prt scan` emits it, one JSON object per line (NDJSON):
//!
//! ```json
//! {"proto":"tcp","local_addr":"127.0.0.1","local_port":8080,"remote_addr":null,
//!  "remote_port":null,"state":"LISTEN","inode":48151,"uid":1000,"pid":4242,"pids":[4242],
//!  "process":"python3","cmdline":"python3 -m http.server 8080","user":"alice","ppid":4100,
//!  "started":"2026-11-22T09:30:00Z","service":null,"suspicious":[],"container":null,
//!  "netns":4026531840,"interface":null,"recv_q":0,"send_q":128}
//! ```
//!
//! Field names are snake_case and stable; a field without a value is `null`, never omitted,
//! so `jq` filters and CSV columns are predictable. `docs/schema.md` documents each field and
//! `docs/port-entry.schema.json` is the JSON Schema. A [`TrackedEntry`] (what `prt watch`
//! emits) is the same object with `status`, `first_seen`, `seq` and `ts` added.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Transport protocol of a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl Proto {
    /// The wire spelling: `tcp` or `udp`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Socket state, spelled on the wire as in the kernel's TCP state names.
///
/// UDP sockets are `UNCONN` (bound, no peer) or `ESTABLISHED` (connected).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum State {
    /// Waiting for connections.
    Listen,
    /// Connected.
    Established,
    /// Connection requested, waiting for the peer's SYN-ACK.
    SynSent,
    /// SYN received, handshake not finished (includes the kernel's request sockets).
    SynRecv,
    /// Closed locally, waiting for the peer's FIN or ACK.
    #[serde(rename = "FIN_WAIT1")]
    FinWait1,
    /// Closed locally and acknowledged, waiting for the peer's FIN.
    #[serde(rename = "FIN_WAIT2")]
    FinWait2,
    /// Closed; lingering to absorb late packets. No process owns it.
    TimeWait,
    /// Closed.
    Close,
    /// The peer closed; the local process has not closed yet.
    CloseWait,
    /// Both sides closed, waiting for the last ACK.
    LastAck,
    /// Both sides closed at once.
    Closing,
    /// A UDP socket with no peer.
    Unconn,
}

impl State {
    /// Every state, in the order of [`State::as_str`]'s table.
    pub const ALL: [State; 12] = [
        State::Listen,
        State::Established,
        State::SynSent,
        State::SynRecv,
        State::FinWait1,
        State::FinWait2,
        State::TimeWait,
        State::Close,
        State::CloseWait,
        State::LastAck,
        State::Closing,
        State::Unconn,
    ];

    /// The wire spelling, e.g. `LISTEN`, `FIN_WAIT1`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            State::Listen => "LISTEN",
            State::Established => "ESTABLISHED",
            State::SynSent => "SYN_SENT",
            State::SynRecv => "SYN_RECV",
            State::FinWait1 => "FIN_WAIT1",
            State::FinWait2 => "FIN_WAIT2",
            State::TimeWait => "TIME_WAIT",
            State::Close => "CLOSE",
            State::CloseWait => "CLOSE_WAIT",
            State::LastAck => "LAST_ACK",
            State::Closing => "CLOSING",
            State::Unconn => "UNCONN",
        }
    }

    /// The state of a socket from the kernel's numeric TCP state (`include/net/tcp_states.h`),
    /// as sock_diag and `/proc/net/*` report it. UDP reuses the numbers: 7 (close) is an
    /// unconnected socket, 1 a connected one. `None` for numbers the kernel does not define.
    #[must_use]
    pub fn from_kernel(proto: Proto, state: u8) -> Option<State> {
        Some(match (proto, state) {
            (Proto::Udp, 7) => State::Unconn,
            (_, 1) => State::Established,
            (_, 2) => State::SynSent,
            // 12 is TCP_NEW_SYN_RECV, the kernel's request socket: a SYN_RECV to users (ss too).
            (_, 3 | 12) => State::SynRecv,
            (_, 4) => State::FinWait1,
            (_, 5) => State::FinWait2,
            (_, 6) => State::TimeWait,
            // 13 is TCP_BOUND_INACTIVE: bound, neither listening nor connected.
            (_, 7 | 13) => State::Close,
            (_, 8) => State::CloseWait,
            (_, 9) => State::LastAck,
            (_, 10) => State::Listen,
            (_, 11) => State::Closing,
            _ => return None,
        })
    }

    /// Whether this is the "something listens here" state for its protocol: TCP `LISTEN`,
    /// or a UDP socket bound without a peer.
    #[must_use]
    pub fn is_listening(self) -> bool {
        matches!(self, State::Listen | State::Unconn)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a state spelling that is not one of [`State::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown socket state '{0}'")]
pub struct UnknownState(pub String);

impl FromStr for State {
    type Err = UnknownState;

    /// Parses a wire spelling case-insensitively; `-` may stand for `_` (`syn-sent`, as ss
    /// writes it), and `ESTAB` is accepted for `ESTABLISHED`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Records spell states exactly; that common case costs no allocation.
        if let Some(state) = State::ALL.into_iter().find(|state| state.as_str() == s) {
            return Ok(state);
        }
        let wanted = s.trim().to_ascii_uppercase().replace('-', "_");
        match wanted.as_str() {
            "ESTAB" => return Ok(State::Established),
            "FIN_WAIT_1" => return Ok(State::FinWait1),
            "FIN_WAIT_2" => return Ok(State::FinWait2),
            _ => {}
        }
        State::ALL
            .into_iter()
            .find(|state| state.as_str() == wanted)
            .ok_or_else(|| UnknownState(s.to_owned()))
    }
}

/// One socket, with the process that holds it: the record `prt scan` emits.
///
/// Field order here is the order on the wire and in CSV columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PortEntry {
    /// Transport protocol.
    pub proto: Proto,
    /// Local address (IPv6 without brackets).
    pub local_addr: IpAddr,
    /// Local port.
    pub local_port: u16,
    /// Peer address; `None` when the socket is not connected.
    pub remote_addr: Option<IpAddr>,
    /// Peer port; `None` when the socket is not connected.
    pub remote_port: Option<u16>,
    /// Socket state.
    pub state: State,
    /// Socket inode; 0 when the kernel has none (TIME_WAIT, request sockets, connections
    /// waiting in a listener's accept queue). In a watch, a connection seen with an inode
    /// keeps it in later records once its file is closed and it lingers as an orphan
    /// (FIN_WAIT, LAST_ACK): the same socket, under the identity it was reported by.
    pub inode: u64,
    /// The socket owner's uid; `None` for sockets no process holds (no inode: TIME_WAIT,
    /// orphaned FIN_WAIT2, request sockets), for which the kernel reports 0.
    pub uid: Option<u32>,
    /// The holder the other holders descend from (a pre-forked server's master), or the
    /// lowest pid when none is an ancestor of the others; `None` when no process holds the
    /// socket or this user may not see which one does.
    pub pid: Option<u32>,
    /// Every pid holding the socket, sorted ascending; empty when unknown.
    pub pids: Vec<u32>,
    /// Process name (`comm`) of `pid`.
    pub process: Option<Arc<str>>,
    /// Full command line of `pid`, arguments joined by spaces.
    pub cmdline: Option<Arc<str>>,
    /// User name of the socket owner (`uid`).
    pub user: Option<Arc<str>>,
    /// Parent pid of `pid`.
    pub ppid: Option<u32>,
    /// Start time of `pid`; with `pid` it names one process across pid reuse.
    pub started: Option<Timestamp>,
    /// Well-known service name of the port.
    pub service: Option<Arc<str>>,
    /// Reason codes that make this socket suspicious; empty when none.
    pub suspicious: Vec<String>,
    /// Container name of the owning process.
    pub container: Option<Arc<str>>,
    /// Network namespace inode the socket lives in.
    pub netns: Option<u64>,
    /// The device the socket is bound to (`SO_BINDTODEVICE`), or the scope of a link-local
    /// address; `None` when neither. `ss` writes it after the address: `0.0.0.0%eth0:80`.
    pub interface: Option<Arc<str>>,
    /// Bytes waiting to be read; for a listener, connections waiting to be accepted.
    /// `None` where the source does not say (records from other tools, lsof).
    pub recv_q: Option<u64>,
    /// Bytes waiting to be sent (not yet acknowledged); for a listener, its backlog limit.
    pub send_q: Option<u64>,
    /// TCP counters (`--traffic` only): absent from the record when not asked for, their
    /// fields null where the kernel has none (UDP, TIME_WAIT, request sockets).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub traffic: Option<Traffic>,
    /// The kernel's socket cookie, when the scan had one (netlink): how a watch matches a
    /// destroy event to the socket a scan saw. Not on the wire; `None` on records read back.
    #[serde(skip)]
    pub cookie: Option<u64>,
}

/// A TCP socket's lifetime counters from the kernel's `tcp_info` (sock_diag
/// `INET_DIAG_INFO`), readable for every user's sockets without privileges.
///
/// The four fields come and go together: a record has all of them or none (deserializing
/// needs all four, so a record without them reads back as `traffic: None`).
/// Each field is null when the socket has no `tcp_info` (UDP, TIME_WAIT, request sockets,
/// the `/proc/net` and lsof sources) or the kernel's `tcp_info` is too short to hold it
/// (`bytes_sent` needs Linux 4.1, `bytes_received` 4.2). A gone record of a watch carries the
/// last counters observed, so a closed connection's transfer is not lost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Traffic {
    /// Payload bytes the peer acknowledged (`tcpi_bytes_acked`): what was delivered, not
    /// counting retransmissions.
    #[serde(deserialize_with = "Option::deserialize")]
    pub bytes_sent: Option<u64>,
    /// Payload bytes received in order (`tcpi_bytes_received`).
    #[serde(deserialize_with = "Option::deserialize")]
    pub bytes_received: Option<u64>,
    /// Segments retransmitted over the connection's life (`tcpi_total_retrans`).
    #[serde(deserialize_with = "Option::deserialize")]
    pub retrans: Option<u64>,
    /// Smoothed round-trip time in microseconds (`tcpi_rtt`).
    #[serde(deserialize_with = "Option::deserialize")]
    pub rtt_us: Option<u64>,
}

/// Bytes per second of one socket between two observations of a watch (`--traffic`).
///
/// Null on a socket's first observation, and where either observation lacks the counter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rates {
    /// `bytes_sent` gained per second of real time elapsed between the two dumps.
    #[serde(deserialize_with = "Option::deserialize")]
    pub rate_sent: Option<u64>,
    /// `bytes_received` gained per second of real time elapsed between the two dumps.
    #[serde(deserialize_with = "Option::deserialize")]
    pub rate_received: Option<u64>,
}

impl PortEntry {
    /// A record of a socket known only by its protocol, local address and state: no peer,
    /// no inode, no owner, nothing enriched. Set the other fields as you learn them (for
    /// tests, or records made from another source).
    #[must_use]
    pub fn new(proto: Proto, local: std::net::SocketAddr, state: State) -> PortEntry {
        PortEntry {
            proto,
            local_addr: local.ip().to_canonical(),
            local_port: local.port(),
            remote_addr: None,
            remote_port: None,
            state,
            inode: 0,
            uid: None,
            pid: None,
            pids: Vec::new(),
            process: None,
            cmdline: None,
            user: None,
            ppid: None,
            started: None,
            service: None,
            suspicious: Vec::new(),
            container: None,
            netns: None,
            interface: None,
            recv_q: None,
            send_q: None,
            traffic: None,
            cookie: None,
        }
    }
}

/// How a tracked socket changed since the previous scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Not present in the previous scan.
    New,
    /// Present in both scans.
    Unchanged,
    /// Present in the previous scan, missing from this one.
    Gone,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 3] = [Status::New, Status::Unchanged, Status::Gone];

    /// The wire spelling: `new`, `unchanged` or `gone`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Unchanged => "unchanged",
            Status::Gone => "gone",
        }
    }
}

/// The reason codes a record's `suspicious` field may hold: part of the wire format, named
/// once here for the rules that produce them (`enrich::suspicious`, which says what each
/// means), the configuration that disables them and the filter that tests for them.
pub mod reasons {
    /// An ordinary user's process listens on a port below 1024.
    pub const NON_ROOT_PRIVILEGED: &str = "non_root_privileged";
    /// A script interpreter (or a netcat relay) listens on a sensitive port.
    pub const SCRIPT_ON_SENSITIVE: &str = "script_on_sensitive";
    /// A root process connected out to a high port that has no service name.
    pub const ROOT_HIGH_PORT_OUTGOING: &str = "root_high_port_outgoing";
    /// A SOCKS or HTTP proxy port is open.
    pub const PROXY_LISTENING: &str = "proxy_listening";
    /// The process's executable was deleted and nothing replaced it.
    pub const DELETED_EXECUTABLE: &str = "deleted_executable";
    /// The process runs from /tmp, /var/tmp or /dev/shm.
    pub const EXE_IN_TEMP: &str = "exe_in_temp";
    /// Every code, in the order the rules run.
    pub const ALL: [&str; 6] = [
        NON_ROOT_PRIVILEGED,
        SCRIPT_ON_SENSITIVE,
        ROOT_HIGH_PORT_OUTGOING,
        PROXY_LISTENING,
        DELETED_EXECUTABLE,
        EXE_IN_TEMP,
    ];
}

/// A [`PortEntry`] with its change history: the record `prt watch` emits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TrackedEntry {
    /// The socket.
    #[serde(flatten)]
    pub entry: PortEntry,
    /// Change since the previous scan.
    pub status: Status,
    /// When this socket was first observed; `None` (null) for a socket a watch learnt of
    /// only from its destroy event, never having seen it open.
    #[serde(deserialize_with = "Option::deserialize")]
    pub first_seen: Option<Timestamp>,
    /// Scan number, from 1; records of one scan share it. An event record carries the
    /// number of the last scan before it (the one that reconciles it comes next).
    pub seq: u64,
    /// Time of that scan; for an event record, when the event was read.
    pub ts: Timestamp,
    /// With `--traffic`: bytes per second since the previous scan; absent otherwise.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub rates: Option<Rates>,
    /// Where the record came from, in a watch with event sources open: `scan` or `event`.
    /// Absent otherwise (`--no-events`, `prt scan`, records of other tools).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

/// What made a watch record: the periodic scan or a kernel event between two scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The periodic scan (the reconciliation pass).
    Scan,
    /// A kernel event read as it happened (a socket destroyed).
    Event,
}

/// A point in time, written as RFC 3339 UTC: `2026-11-22T09:30:00Z` when it falls on a
/// whole second (scan times), with the fraction it has otherwise
/// (`2026-11-22T09:30:00.37Z`: a process start time in the kernel's clock ticks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    pub secs: i64,
    /// Nanoseconds into that second, below 1,000,000,000.
    pub nanos: u32,
}

impl Timestamp {
    /// The timestamp `secs` seconds after the Unix epoch.
    #[must_use]
    pub fn from_unix(secs: i64) -> Timestamp {
        Timestamp { secs, nanos: 0 }
    }

    /// The timestamp `secs` seconds and `nanos` nanoseconds after the Unix epoch; nanoseconds
    /// beyond a second carry into `secs`.
    #[must_use]
    pub fn from_unix_nanos(secs: i64, nanos: u64) -> Timestamp {
        Timestamp {
            secs: secs.saturating_add((nanos / 1_000_000_000) as i64),
            nanos: (nanos % 1_000_000_000) as u32,
        }
    }

    /// The current time, truncated to the second.
    #[must_use]
    pub fn now() -> Timestamp {
        Timestamp::from_system_time(SystemTime::now())
    }

    /// The current time to the millisecond: when an event was read, which a second would
    /// not order among the many of one scan interval.
    #[must_use]
    pub fn now_millis() -> Timestamp {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(after) => Timestamp::from_unix_nanos(
                after.as_secs() as i64,
                u64::from(after.subsec_millis()) * 1_000_000,
            ),
            Err(_) => Timestamp::now(),
        }
    }

    /// Converts a [`SystemTime`], truncating to the second.
    #[must_use]
    pub fn from_system_time(time: SystemTime) -> Timestamp {
        let secs = match time.duration_since(UNIX_EPOCH) {
            Ok(after) => after.as_secs() as i64,
            Err(before) => -(before.duration().as_secs_f64().ceil() as i64),
        };
        Timestamp::from_unix(secs)
    }

    /// Time elapsed from `self` to `later`, zero if `later` is earlier.
    #[must_use]
    pub fn until(self, later: Timestamp) -> Duration {
        Duration::from_secs(later.secs.saturating_sub(self.secs).max(0) as u64)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // As few digits as the value needs, in groups: clock ticks (centiseconds) take 2.
        let precision = match self.nanos {
            0 => 0,
            n if n.is_multiple_of(10_000_000) => 2,
            n if n.is_multiple_of(1_000_000) => 3,
            n if n.is_multiple_of(1_000) => 6,
            _ => 9,
        };
        let printer = jiff::fmt::temporal::DateTimePrinter::new().precision(Some(precision));
        // jiff counts a time before the epoch down from a second, ours up.
        let stamp = if self.secs < 0 && self.nanos > 0 {
            jiff::Timestamp::new(self.secs + 1, self.nanos as i32 - 1_000_000_000)
        } else {
            jiff::Timestamp::new(self.secs, self.nanos as i32)
        };
        match stamp {
            Ok(stamp) => printer
                .print_timestamp(&stamp, jiff::fmt::StdFmtWrite(f))
                .map_err(|_| fmt::Error),
            // Beyond the years -9999..=9999 that RFC 3339 can write: the seconds, plainly.
            Err(_) => write!(f, "@{}", self.secs),
        }
    }
}

/// The error for text that is not an RFC 3339 timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an RFC 3339 timestamp: '{0}'")]
pub struct BadTimestamp(pub String);

impl FromStr for Timestamp {
    type Err = BadTimestamp;

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; the fraction is kept to the
    /// nanosecond (further digits are dropped).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_rfc3339(text).ok_or_else(|| BadTimestamp(text.to_owned()))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, checked by jiff: a date that does not exist
/// (February 31st) is an error, not a day of March.
fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    let stamp: jiff::Timestamp = match fraction_beyond_nanos(text) {
        // jiff stops at nanoseconds; digits beyond them are dropped, not an error.
        Some(extra) => format!("{}{}", &text[..extra.start], &text[extra.end..]).parse(),
        None => text.parse(),
    }
    .ok()?;
    let (secs, nanos) = (stamp.as_second(), stamp.subsec_nanosecond());
    // jiff gives a time before the epoch a negative fraction; ours counts up from a second.
    Some(if nanos < 0 {
        Timestamp::from_unix_nanos(
            secs - 1,
            u64::from(nanos.unsigned_abs().abs_diff(1_000_000_000)),
        )
    } else {
        Timestamp::from_unix_nanos(secs, u64::from(nanos.unsigned_abs()))
    })
}

/// Where the digits of a timestamp's fraction past the ninth are, if it has any.
fn fraction_beyond_nanos(text: &str) -> Option<std::ops::Range<usize>> {
    let dot = text.get(19..)?.find('.')? + 19;
    let digits = text[dot + 1..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    (digits > 9).then(|| dot + 10..dot + 1 + digits)
}

/// `127.0.0.1:80` or `[::1]:80`.
#[must_use]
pub fn endpoint(addr: IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}

#[cfg(test)]
mod tests;
