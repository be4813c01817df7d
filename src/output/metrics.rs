//! Records as Prometheus metrics: the text exposition format (version 0.0.4) that
//! node_exporter's textfile collector reads and Prometheus scrapes.
//!
//! Last stage of the data flow, beside the record writers. [`Inventory`] keeps the sockets
//! of the latest scan, as few facts each as the metrics need: a plain scan replaces it
//! whole, and a `prt watch` changelog (records with a `status`) updates it socket by socket,
//! since a changelog tick names only what changed. [`Inventory::render`] aggregates it.
//!
//! Every label set is bounded by what the machine runs, never by its traffic: listeners
//! by port and process, connections by process and by the class of their remote port, never
//! a remote address or an ephemeral port. A thousand connections of one process are one
//! series, as are ten — fleets pay per series.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use crate::hashing::Map;
use crate::model::{State, Status};
use crate::query::{Field, Fields as _};
use crate::raw::{Key, RawRecord, RawValue};

/// The `Content-Type` of the exposition, for an HTTP server to send.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A label value, interned: records repeat a few names (processes, users, services)
/// thousands of times, so each is stored once and sockets hold numbers.
type Sym = u32;

/// The label values seen so far. Grows only with distinct names, which a machine has few of.
#[derive(Debug)]
struct Names {
    ids: Map<Box<str>, Sym>,
    texts: Vec<Box<str>>,
    /// The last name looked up in each [`Slot`]: records of one process come in runs, so
    /// most lookups end at one comparison instead of a hash (measured: a third of the
    /// per-record cost on 100k records went to hashing).
    recent: [(String, Sym); SLOTS],
}

/// The label a name is looked up for, each with its own [`Names::recent`] entry.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Proto,
    State,
    Process,
    User,
    Container,
    Service,
    Reason,
}

const SLOTS: usize = 7;

impl Default for Names {
    fn default() -> Names {
        let mut names = Names {
            ids: Map::default(),
            texts: Vec::new(),
            recent: Default::default(),
        };
        names.intern(""); // Sym 0: no value
        names.intern("ipv4"); // FAMILY_IPV4
        names.intern("ipv6"); // FAMILY_IPV6
        names
    }
}

impl Names {
    /// `name`'s symbol, through the slot's last lookup.
    fn lookup(&mut self, slot: Slot, name: &str) -> Sym {
        let recent = &self.recent[slot as usize];
        if recent.0 == name {
            return recent.1;
        }
        let id = self.intern(name);
        let recent = &mut self.recent[slot as usize];
        recent.0.clear();
        recent.0.push_str(name);
        recent.1 = id;
        id
    }

    fn intern(&mut self, name: &str) -> Sym {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = Sym::try_from(self.texts.len()).unwrap_or(Sym::MAX);
        self.texts.push(name.into());
        self.ids.insert(name.into(), id);
        id
    }

    fn get(&self, id: Sym) -> &str {
        self.texts.get(id as usize).map_or("", |name| name)
    }
}

/// The symbols of the address families, interned first.
const FAMILY_IPV4: Sym = 1;
const FAMILY_IPV6: Sym = 2;

/// The facts of one socket that the metrics use.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Socket {
    proto: Sym,
    state: Sym,
    family: Sym,
    process: Sym,
    user: Sym,
    container: Sym,
    service: Sym,
    port: Option<u16>,
    remote_port: Option<u16>,
    pid: Option<u32>,
    listening: bool,
    established: bool,
    suspicious: Vec<Sym>,
    /// TCP counters (`prt scan --traffic`): bytes sent and received over the socket's life.
    bytes: Option<(u64, u64)>,
}

/// What a socket is across the records of a watch: namespace, protocol and inode, or its
/// addresses when the kernel gives it no inode (DESIGN section 2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Identity {
    Inode(Option<u64>, Sym, u64),
    Addresses(Option<u64>, Sym, Box<str>, Box<str>),
}

/// Facts about the scan itself, measured by whoever fed the records in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScanMeta {
    /// How long the scan's records took to arrive.
    pub duration: Duration,
    /// When its last record arrived.
    pub finished: SystemTime,
}

/// The sockets of the latest scan, kept between ticks of a live stream.
#[derive(Debug, Default)]
pub struct Inventory {
    names: Names,
    /// Sockets of a changelog (records with a `status`), by identity.
    tracked: Map<Identity, Socket>,
    /// Sockets of plain scan records since the last [`Inventory::complete`].
    snapshot: Vec<Socket>,
    /// Plain records are coming in: the next complete scan replaces everything.
    snapshot_open: bool,
    /// What the last complete scan left: which of the two the metrics come from.
    from_snapshot: bool,
    /// The last complete plain scan.
    published: Vec<Socket>,
}

/// Port as a key part: `u32::MAX` for none.
fn port_key(port: Option<u16>) -> u32 {
    port.map_or(u32::MAX, u32::from)
}

impl Inventory {
    /// An empty inventory.
    #[must_use]
    pub fn new() -> Inventory {
        Inventory::default()
    }

    /// Takes in one record: a plain scan record joins the scan being read, a watch record
    /// (with `status`) adds, updates or (when `gone`) removes its socket.
    pub fn add(&mut self, record: &RawRecord<'_>) {
        let status = record.str(Key::Status);
        match status.as_deref() {
            None => {
                self.snapshot_open = true;
                let socket = self.socket_of(record);
                self.snapshot.push(socket);
            }
            Some(gone) if gone == Status::Gone.as_str() => {
                let identity = self.identity_of(record);
                self.tracked.remove(&identity);
            }
            Some(_) => {
                let identity = self.identity_of(record);
                let socket = self.socket_of(record);
                self.tracked.insert(identity, socket);
            }
        }
    }

    /// Marks the end of a scan (the input ended, or a live producer paused between ticks):
    /// what [`Inventory::render`] shows from now on.
    pub fn complete(&mut self) {
        if self.snapshot_open {
            self.published = std::mem::take(&mut self.snapshot);
            self.snapshot_open = false;
            self.from_snapshot = true;
        } else if !self.tracked.is_empty() {
            self.from_snapshot = false;
        }
    }

    /// How many sockets the last complete scan holds.
    #[must_use]
    pub fn len(&self) -> usize {
        if self.from_snapshot {
            self.published.len()
        } else {
            self.tracked.len()
        }
    }

    /// Whether the last complete scan holds no socket.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn sockets(&self) -> Box<dyn Iterator<Item = &Socket> + '_> {
        if self.from_snapshot {
            Box::new(self.published.iter())
        } else {
            Box::new(self.tracked.values())
        }
    }

    /// The exposition of the last complete scan: every metric with its HELP and TYPE, the
    /// series of each in sorted order (so two renderings of one scan are byte-identical).
    #[must_use]
    pub fn render(&self, meta: &ScanMeta) -> String {
        let mut listening: Map<[u32; 7], u64> = Map::default();
        let mut sockets: Map<[u32; 2], u64> = Map::default();
        let mut established: Map<[u32; 3], u64> = Map::default();
        let mut suspicious: Map<[u32; 2], u64> = Map::default();
        let mut pids: Vec<u32> = Vec::new();
        let mut total: u64 = 0;
        for socket in self.sockets() {
            total += 1;
            *sockets.entry([socket.proto, socket.state]).or_default() += 1;
            pids.extend(socket.pid);
            if socket.listening {
                let key = [
                    socket.proto,
                    port_key(socket.port),
                    socket.family,
                    socket.process,
                    socket.user,
                    socket.container,
                    socket.service,
                ];
                *listening.entry(key).or_default() += 1;
            }
            if socket.established {
                let class = port_class(socket.remote_port);
                *established
                    .entry([socket.proto, socket.process, class])
                    .or_default() += 1;
            }
            for &reason in &socket.suspicious {
                *suspicious.entry([reason, socket.process]).or_default() += 1;
            }
        }
        // Label sets as text; the port (second) is a number, not a name.
        let text = |key: &[u32], port_at: Option<usize>| -> Vec<String> {
            key.iter()
                .enumerate()
                .map(|(i, &part)| {
                    if Some(i) == port_at {
                        if part == u32::MAX {
                            String::new()
                        } else {
                            part.to_string()
                        }
                    } else {
                        self.names.get(part).to_owned()
                    }
                })
                .collect()
        };
        let class_text = |key: &[u32; 3]| {
            vec![
                self.names.get(key[0]).to_owned(),
                self.names.get(key[1]).to_owned(),
                PORT_CLASSES[key[2] as usize].to_owned(),
            ]
        };

        let mut out = String::with_capacity(4096 + 160 * listening.len());
        family(
            &mut out,
            "prt_listening",
            "Listening sockets (TCP LISTEN, bound unconnected UDP) by protocol, port, address family, process, user, container and service.",
            &[
                "proto",
                "port",
                "family",
                "process",
                "user",
                "container",
                "service",
            ],
            listening.iter().map(|(k, &n)| (text(k, Some(1)), n)),
        );
        family(
            &mut out,
            "prt_sockets",
            "Sockets by protocol and state.",
            &["proto", "state"],
            sockets.iter().map(|(k, &n)| (text(k, None), n)),
        );
        family(
            &mut out,
            "prt_established_connections",
            "Established connections by protocol, process and class of the remote port (well_known below 1024, registered below 49152, dynamic above).",
            &["proto", "process", "remote_port_class"],
            established.iter().map(|(k, &n)| (class_text(k), n)),
        );
        family(
            &mut out,
            "prt_suspicious_sockets",
            "Sockets prt finds suspicious, by reason code and process.",
            &["reason", "process"],
            suspicious.iter().map(|(k, &n)| (text(k, None), n)),
        );
        self.byte_families(&mut out);
        pids.sort_unstable();
        pids.dedup();
        scan_gauges(&mut out, pids.len(), total, meta);
        out
    }

    /// `prt_process_sent_bytes` and `prt_process_received_bytes`, when any record carried
    /// counters.
    fn byte_families(&self, out: &mut String) {
        // Per process (name, user, container): bytes sent and received.
        let mut traffic: Map<[u32; 3], (u64, u64)> = Map::default();
        for socket in self.sockets() {
            if let Some((sent, received)) = socket.bytes {
                let sums = traffic
                    .entry([socket.process, socket.user, socket.container])
                    .or_default();
                sums.0 = sums.0.saturating_add(sent);
                sums.1 = sums.1.saturating_add(received);
            }
        }
        if traffic.is_empty() {
            return;
        }
        let labels = |key: &[u32; 3]| key.iter().map(|&s| self.names.get(s).to_owned()).collect();
        family(
            out,
            "prt_process_sent_bytes",
            "Bytes sent (acknowledged by the peer) over the life of the TCP sockets a process holds now, by process, user and container (records from prt scan --traffic). A gauge: a connection that closes leaves the sum.",
            &["process", "user", "container"],
            traffic.iter().map(|(k, &(sent, _))| (labels(k), sent)),
        );
        family(
            out,
            "prt_process_received_bytes",
            "Bytes received over the life of the TCP sockets a process holds now, by process, user and container (records from prt scan --traffic).",
            &["process", "user", "container"],
            traffic
                .iter()
                .map(|(k, &(_, received))| (labels(k), received)),
        );
    }

    /// The facts of one record. Missing service and suspicious reasons are worked out from
    /// the record's own fields, as the filter does.
    fn socket_of(&mut self, record: &RawRecord<'_>) -> Socket {
        let names = &mut self.names;
        let mut sym =
            |slot, value: Option<Cow<'_, str>>| value.map_or(0, |v| names.lookup(slot, &v));
        let state_text = record.str(Key::State);
        let state: Option<State> = state_text.as_deref().and_then(|s| s.parse().ok());
        let proto = record.str(Key::Proto);
        let proto = match proto.as_deref() {
            Some("TCP") => Some(Cow::Borrowed("tcp")),
            Some("UDP") => Some(Cow::Borrowed("udp")),
            _ => proto,
        };
        let family = match record.value(Key::LocalAddr) {
            Some(RawValue::String(addr)) if addr.contains(':') => FAMILY_IPV6,
            Some(RawValue::String(_)) => FAMILY_IPV4,
            _ => 0,
        };
        let port = |key| record.u64(key).and_then(|p| u16::try_from(p).ok());
        Socket {
            state: sym(
                Slot::State,
                state.map_or(state_text.clone(), |s| Some(Cow::Borrowed(s.as_str()))),
            ),
            proto: sym(Slot::Proto, proto),
            family,
            process: sym(Slot::Process, record.str(Key::Process)),
            user: sym(Slot::User, record.str(Key::User)),
            container: sym(Slot::Container, record.str(Key::Container)),
            service: sym(Slot::Service, record.text(Field::Service)),
            suspicious: record
                .reasons()
                .into_iter()
                .map(|reason| names.lookup(Slot::Reason, &reason))
                .collect(),
            listening: state.is_some_and(State::is_listening),
            established: state == Some(State::Established),
            port: port(Key::LocalPort),
            remote_port: port(Key::RemotePort),
            pid: record.u64(Key::Pid).and_then(|p| u32::try_from(p).ok()),
            bytes: record
                .u64(Key::BytesSent)
                .zip(record.u64(Key::BytesReceived)),
        }
    }

    fn identity_of(&mut self, record: &RawRecord<'_>) -> Identity {
        let netns = record.u64(Key::Netns);
        let proto = record.str(Key::Proto).map_or(0, |p| self.names.intern(&p));
        match record.u64(Key::Inode) {
            Some(inode) if inode != 0 => Identity::Inode(netns, proto, inode),
            _ => {
                let end = |addr, port| {
                    let addr = record.str(addr).unwrap_or_default();
                    let port = record.u64(port).map(|p| p.to_string()).unwrap_or_default();
                    Box::from(format!("{addr}|{port}"))
                };
                Identity::Addresses(
                    netns,
                    proto,
                    end(Key::LocalAddr, Key::LocalPort),
                    end(Key::RemoteAddr, Key::RemotePort),
                )
            }
        }
    }
}

/// The gauges about the scan as a whole.
fn scan_gauges(out: &mut String, processes: usize, total: u64, meta: &ScanMeta) {
    single(
        out,
        "prt_processes",
        "Processes holding at least one socket.",
        &processes.to_string(),
    );
    single(
        out,
        "prt_scan_sockets",
        "Sockets in the last scan.",
        &total.to_string(),
    );
    single(
        out,
        "prt_scan_duration_seconds",
        "How long the last scan's records took to arrive: for the first scan from the start of prt metrics, later from the tick's first record to its last.",
        &format!("{:.6}", meta.duration.as_secs_f64()),
    );
    let finished = meta
        .finished
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    single(
        out,
        "prt_last_scan_timestamp_seconds",
        "Unix time at which the last complete scan was received.",
        &format!("{:.3}", finished.as_secs_f64()),
    );
}

/// The classes of remote ports, as IANA divides the port space; `none` for a connection
/// with no remote port (an established socket should have one).
const PORT_CLASSES: [&str; 4] = ["none", "well_known", "registered", "dynamic"];

/// The index in [`PORT_CLASSES`] of `port`'s class.
fn port_class(port: Option<u16>) -> u32 {
    match port {
        None => 0,
        Some(0..=1023) => 1,
        Some(1024..=49151) => 2,
        Some(_) => 3,
    }
}

/// One gauge family: HELP, TYPE, then a series per label set, sorted.
fn family(
    out: &mut String,
    name: &str,
    help: &str,
    labels: &[&str],
    series: impl Iterator<Item = (Vec<String>, u64)>,
) {
    header(out, name, help);
    let mut series: Vec<(Vec<String>, u64)> = series.collect();
    series.sort_unstable();
    for (values, count) in series {
        out.push_str(name);
        out.push('{');
        let mut first = true;
        for (label, value) in labels.iter().zip(&values) {
            // An empty label value is the same as no label to Prometheus: leaving it out
            // keeps the line short and the meaning unchanged.
            if value.is_empty() {
                continue;
            }
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(label);
            out.push_str("=\"");
            escape_label(out, value);
            out.push('"');
        }
        let _ = writeln!(out, "}} {count}");
    }
}

/// A gauge with one series and no labels.
fn single(out: &mut String, name: &str, help: &str, value: &str) {
    header(out, name, help);
    let _ = writeln!(out, "{name} {value}");
}

fn header(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
}

/// A label value as the exposition format wants it: backslash, double quote and line feed
/// escaped; anything else (UTF-8 included) as it is.
fn escape_label(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests;
