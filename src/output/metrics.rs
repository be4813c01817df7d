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
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use crate::model::{State, Status};
use crate::query::{Field, Fields as _};
use crate::raw::{Key, RawRecord};

/// The `Content-Type` of the exposition, for an HTTP server to send.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The facts of one socket that the metrics use.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Socket {
    proto: Box<str>,
    state: Box<str>,
    listening: bool,
    established: bool,
    family: &'static str,
    port: Option<u16>,
    remote_port: Option<u16>,
    pid: Option<u32>,
    process: Box<str>,
    user: Box<str>,
    container: Box<str>,
    service: Box<str>,
    suspicious: Vec<Box<str>>,
}

/// What a socket is across the records of a watch: namespace, protocol and inode, or its
/// addresses when the kernel gives it no inode (DESIGN section 2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Identity {
    Inode(Option<u64>, Box<str>, u64),
    Addresses(Option<u64>, Box<str>, Box<str>, Box<str>),
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
    /// Sockets of a changelog (records with a `status`), by identity.
    tracked: HashMap<Identity, Socket>,
    /// Sockets of plain scan records since the last [`Inventory::complete`].
    snapshot: Vec<Socket>,
    /// Plain records are coming in: the next complete scan replaces everything.
    snapshot_open: bool,
    /// What the last complete scan left: which of the two the metrics come from.
    from_snapshot: bool,
    /// The last complete plain scan.
    published: Vec<Socket>,
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
                self.snapshot.push(socket_of(record));
            }
            Some(gone) if gone == Status::Gone.as_str() => {
                self.tracked.remove(&identity_of(record));
            }
            Some(_) => {
                self.tracked.insert(identity_of(record), socket_of(record));
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
        self.sockets().count()
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
        let mut listening: BTreeMap<[&str; 7], u64> = BTreeMap::new();
        let mut sockets: BTreeMap<[&str; 2], u64> = BTreeMap::new();
        let mut established: BTreeMap<[&str; 3], u64> = BTreeMap::new();
        let mut suspicious: BTreeMap<[&str; 2], u64> = BTreeMap::new();
        let mut pids: HashSet<u32> = HashSet::new();
        // Port numbers as text, made once: the label sets borrow from here.
        let ports: Vec<String> = self
            .sockets()
            .map(|s| s.port.map(|p| p.to_string()).unwrap_or_default())
            .collect();
        let mut total: u64 = 0;
        for (socket, port) in self.sockets().zip(&ports) {
            total += 1;
            *sockets.entry([&socket.proto, &socket.state]).or_default() += 1;
            if let Some(pid) = socket.pid {
                pids.insert(pid);
            }
            if socket.listening {
                let key = [
                    &*socket.proto,
                    port.as_str(),
                    socket.family,
                    &socket.process,
                    &socket.user,
                    &socket.container,
                    &socket.service,
                ];
                *listening.entry(key).or_default() += 1;
            }
            if socket.established {
                let class = port_class(socket.remote_port);
                *established
                    .entry([&socket.proto, &socket.process, class])
                    .or_default() += 1;
            }
            for reason in &socket.suspicious {
                *suspicious.entry([reason, &socket.process]).or_default() += 1;
            }
        }

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
            &listening,
        );
        family(
            &mut out,
            "prt_sockets",
            "Sockets by protocol and state.",
            &["proto", "state"],
            &sockets,
        );
        family(
            &mut out,
            "prt_established_connections",
            "Established connections by protocol, process and class of the remote port (well_known below 1024, registered below 49152, dynamic above).",
            &["proto", "process", "remote_port_class"],
            &established,
        );
        family(
            &mut out,
            "prt_suspicious_sockets",
            "Sockets prt finds suspicious, by reason code and process.",
            &["reason", "process"],
            &suspicious,
        );
        scan_gauges(&mut out, pids.len(), total, meta);
        out
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

/// `well_known`, `registered` or `dynamic`, as IANA divides the port space; `none` for a
/// connection with no remote port (should not happen for an established one).
fn port_class(port: Option<u16>) -> &'static str {
    match port {
        None => "none",
        Some(0..=1023) => "well_known",
        Some(1024..=49151) => "registered",
        Some(_) => "dynamic",
    }
}

/// The facts of one record. Missing service and suspicious reasons are worked out from the
/// record's own fields, as the filter does.
fn socket_of(record: &RawRecord<'_>) -> Socket {
    let text = |key| {
        record
            .str(key)
            .map_or_else(Box::default, |s: Cow<'_, str>| Box::from(s.as_ref()))
    };
    let state_text = record.str(Key::State);
    let state: Option<State> = state_text.as_deref().and_then(|s| s.parse().ok());
    let proto = record
        .str(Key::Proto)
        .map_or_else(Box::default, |p| Box::from(p.to_ascii_lowercase()));
    let family = match record.str(Key::LocalAddr) {
        Some(addr) if addr.contains(':') => "ipv6",
        Some(_) => "ipv4",
        None => "",
    };
    let port = |key| record.u64(key).and_then(|p| u16::try_from(p).ok());
    Socket {
        state: state.map_or_else(
            || Box::from(state_text.as_deref().unwrap_or_default()),
            |s| Box::from(s.as_str()),
        ),
        listening: state.is_some_and(State::is_listening),
        established: state == Some(State::Established),
        proto,
        family,
        port: port(Key::LocalPort),
        remote_port: port(Key::RemotePort),
        pid: record.u64(Key::Pid).and_then(|p| u32::try_from(p).ok()),
        process: text(Key::Process),
        user: text(Key::User),
        container: text(Key::Container),
        service: record
            .text(Field::Service)
            .map_or_else(Box::default, |s| Box::from(s.as_ref())),
        suspicious: record
            .reasons()
            .into_iter()
            .map(|r| Box::from(r.as_ref()))
            .collect(),
    }
}

fn identity_of(record: &RawRecord<'_>) -> Identity {
    let netns = record.u64(Key::Netns);
    let proto: Box<str> = record.str(Key::Proto).map_or_else(Box::default, Into::into);
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

/// One gauge family: HELP, TYPE, then a series per label set.
fn family<const N: usize>(
    out: &mut String,
    name: &str,
    help: &str,
    labels: &[&str; N],
    series: &BTreeMap<[&str; N], u64>,
) {
    header(out, name, help);
    for (values, count) in series {
        out.push_str(name);
        out.push('{');
        let mut first = true;
        for (label, value) in labels.iter().zip(values) {
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
mod tests {
    use super::*;

    fn meta() -> ScanMeta {
        ScanMeta {
            duration: Duration::from_millis(5),
            finished: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        }
    }

    fn add(inventory: &mut Inventory, line: &str) {
        let record = RawRecord::parse(line.as_bytes()).expect("a record");
        inventory.add(&record);
    }

    fn listener(port: u16, pid: u32, extra: &str) -> String {
        format!(
            r#"{{"proto":"tcp","local_addr":"127.0.0.1","local_port":{port},"remote_addr":null,"remote_port":null,"state":"LISTEN","inode":{port}{pid},"pid":{pid},"process":"p\"x","user":"root","suspicious":[]{extra}}}"#
        )
    }

    #[test]
    fn a_listener_is_one_series_with_escaped_labels() {
        let mut inventory = Inventory::new();
        add(&mut inventory, &listener(22, 7, ""));
        inventory.complete();
        let text = inventory.render(&meta());
        assert!(
            text.contains(
                "prt_listening{proto=\"tcp\",port=\"22\",family=\"ipv4\",process=\"p\\\"x\",user=\"root\",service=\"ssh\"} 1\n"
            ),
            "{text}"
        );
        assert!(text.contains("prt_sockets{proto=\"tcp\",state=\"LISTEN\"} 1\n"));
        assert!(text.contains("prt_processes 1\n"));
        assert!(text.contains("prt_last_scan_timestamp_seconds 1700000000.000\n"));
    }

    #[test]
    fn a_watch_changelog_adds_and_removes() {
        let mut inventory = Inventory::new();
        add(&mut inventory, &listener(80, 1, r#","status":"new""#));
        add(&mut inventory, &listener(81, 1, r#","status":"new""#));
        inventory.complete();
        assert_eq!(inventory.len(), 2);
        // The next tick names only the socket that went.
        add(&mut inventory, &listener(80, 1, r#","status":"gone""#));
        inventory.complete();
        assert_eq!(inventory.len(), 1);
        assert!(!inventory.render(&meta()).contains("port=\"80\""));
    }

    #[test]
    fn a_plain_scan_is_shown_only_once_complete() {
        let mut inventory = Inventory::new();
        add(&mut inventory, &listener(80, 1, ""));
        inventory.complete();
        add(&mut inventory, &listener(81, 1, ""));
        assert_eq!(inventory.len(), 1, "the second scan is not complete yet");
        inventory.complete();
        let text = inventory.render(&meta());
        assert!(text.contains("port=\"81\"") && !text.contains("port=\"80\""));
    }

    #[test]
    fn connections_share_series_whatever_their_number() {
        let render = |n: u16| {
            let mut inventory = Inventory::new();
            for i in 0..n {
                let line = format!(
                    r#"{{"proto":"tcp","local_addr":"10.0.0.1","local_port":{},"remote_addr":"10.0.0.{}","remote_port":443,"state":"ESTABLISHED","inode":{},"pid":9,"process":"curl","user":"u"}}"#,
                    30000 + i,
                    i % 250,
                    i + 1
                );
                add(&mut inventory, &line);
            }
            inventory.complete();
            let text = inventory.render(&meta());
            text.lines()
                .filter(|l| !l.starts_with('#') && !l.contains("scan_"))
                .map(|l| {
                    l.rsplit_once(' ')
                        .map_or(l, |(series, _)| series)
                        .to_owned()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(render(3), render(3000));
        assert!(
            render(3).contains(
                &"prt_established_connections{proto=\"tcp\",process=\"curl\",remote_port_class=\"well_known\"}"
                    .to_owned()
            )
        );
    }
}
