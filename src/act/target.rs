//! Which processes an acting stage (kill, detail) works on: the owners of records read from
//! NDJSON, or arguments (`1234`, `:8080`, `8080/tcp`, `53/udp`) resolved against a scan.
//!
//! A process is named by its pid *and* what the record says it was (name, start time), so
//! the stage can tell later whether the pid still belongs to that process. Several records
//! of one process make one target.

use std::fmt;
use std::str::FromStr;

use crate::i18n::{self, Msg};
use crate::model::{PortEntry, Proto, Timestamp};
use crate::raw::{Key, RawRecord, RawValue};
use crate::scan::owners::InodeOwners;
use crate::scan::process::{BootClock, ProcessInfo};

/// A target named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetSpec {
    /// A process id.
    Pid(u32),
    /// The processes listening on (TCP) or bound to (UDP, unconnected) a local port;
    /// `None` means both protocols.
    Port(u16, Option<Proto>),
}

/// Why an argument is not a target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", i18n::trf(Msg::BadSpec, &[&format!("'{}'", self.0)]))]
pub struct BadSpec(pub String);

impl FromStr for TargetSpec {
    type Err = BadSpec;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || BadSpec(text.to_owned());
        let port = |digits: &str| digits.parse::<u16>().ok().filter(|&p| p > 0);
        if let Some(digits) = text.strip_prefix(':') {
            return port(digits)
                .map(|p| TargetSpec::Port(p, None))
                .ok_or_else(bad);
        }
        if let Some((digits, proto)) = text.split_once('/') {
            let proto = match proto.to_ascii_lowercase().as_str() {
                "tcp" => Proto::Tcp,
                "udp" => Proto::Udp,
                _ => return Err(bad()),
            };
            return port(digits)
                .map(|p| TargetSpec::Port(p, Some(proto)))
                .ok_or_else(bad);
        }
        // Digits only: `-1` (a process group) or `+5` must never become a pid.
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        text.parse().map(TargetSpec::Pid).map_err(|_| bad())
    }
}

impl fmt::Display for TargetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetSpec::Pid(pid) => write!(f, "{pid}"),
            TargetSpec::Port(port, None) => write!(f, ":{port}"),
            TargetSpec::Port(port, Some(proto)) => write!(f, "{port}/{}", proto.as_str()),
        }
    }
}

impl TargetSpec {
    /// Whether `entry` is one of the sockets this spec names: a port spec takes listeners
    /// only, never a client whose ephemeral port happens to be the same number.
    #[must_use]
    pub fn names_socket(self, entry: &PortEntry) -> bool {
        match self {
            TargetSpec::Pid(pid) => entry.pids.contains(&pid),
            TargetSpec::Port(port, proto) => {
                entry.local_port == port
                    && entry.state.is_listening()
                    && proto.is_none_or(|p| p == entry.proto)
            }
        }
    }
}

/// One process to act on, as its source described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The process id.
    pub pid: u32,
    /// Its name (`comm`) as the record gave it.
    pub process: Option<String>,
    /// Its start time as the record gave it (or as read just now, for an argument).
    pub started: Option<Timestamp>,
    /// Why a record's start time cannot be used (missing, null, not a time): without it a
    /// newer process at the same pid cannot be told from the one the record named.
    pub unverifiable: Option<String>,
    /// Found holding a socket the run aims at, rather than named by a record or argument:
    /// one that is gone by the time its turn comes (its master took it down) is no failure.
    pub holder: bool,
    /// Where the target came from, for messages: `line 3`, `:8080`, `pid 1234`.
    pub source: String,
    /// `proto/port` of the sockets that made it a target (sorted, distinct).
    pub ports: Vec<String>,
}

impl Target {
    /// Whether both name the same process: pid, name and start time.
    #[must_use]
    pub fn same_process(&self, other: &Target) -> bool {
        self.pid == other.pid && self.started == other.started && self.process == other.process
    }

    /// One line for a confirmation prompt: `1234 nginx (started …) tcp/80 tcp/443`.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut text = format!(
            "{:>7}  {}",
            self.pid,
            self.process.as_deref().unwrap_or("?")
        );
        if let Some(started) = self.started {
            text.push_str(&format!("  started {started}"));
        }
        if !self.ports.is_empty() {
            text.push_str(&format!("  {}", self.ports.join(" ")));
        }
        text
    }

    /// How `now` (the process at the pid today) differs from the one the target names:
    /// another name or another start time means the pid was reused.
    #[must_use]
    pub fn differs_from(&self, now: &ProcessInfo) -> Option<String> {
        let name_differs = match (&self.process, &now.name) {
            // The kernel keeps 15 bytes of a name; a longer one from another tool is compared
            // by that much.
            (Some(want), Some(have)) => {
                !(want == have || (want.len() > 15 && want.starts_with(have.as_str())))
            }
            (Some(_), None) => true,
            (None, _) => false,
        };
        // On Linux both come from the same clock ticks since boot: equal to the tick, or
        // another process. Elsewhere start times come from `ps`'s elapsed time in whole
        // seconds, which may differ by one between two reads.
        let start_differs = match (self.started, now.started) {
            (Some(want), Some(have)) if cfg!(target_os = "linux") => want != have,
            (Some(want), Some(have)) => want.secs.abs_diff(have.secs) > 1,
            _ => false,
        };
        (name_differs || start_differs).then(|| {
            let describe = |name: &Option<String>, started: Option<Timestamp>| {
                format!(
                    "{} started {}",
                    name.as_deref().unwrap_or("?"),
                    started.map_or_else(|| "?".to_owned(), |s| s.to_string())
                )
            };
            format!(
                "{}, not {}",
                describe(&now.name, now.started),
                describe(&self.process, self.started)
            )
        })
    }
}

/// A record that names no process: reported, never guessed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unowned {
    /// Where it came from (`line 3`).
    pub source: String,
    /// The socket, `tcp/8080`, as far as the record tells.
    pub socket: String,
    /// Why there is no pid, in words.
    pub reason: String,
}

/// A record that cannot name a process safely: bad input, never guessed around.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadRecord {
    /// Its pid is not a usable process id.
    #[error("{}", i18n::trf(Msg::BadPid, &[place, value]))]
    Pid {
        /// Where (`line 3`).
        place: String,
        /// The value as written.
        value: String,
    },
    /// Its `started` is not a time that exists (`2026-02-31T00:00:00Z`, `yesterday`).
    #[error("{}", i18n::trf(Msg::BadStarted, &[place, value]))]
    Started {
        /// Where (`line 3`).
        place: String,
        /// The value as written.
        value: String,
    },
}

/// A socket a run aims at: `kill` signals every process holding it and then checks that
/// it is free.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AimedSocket {
    /// `tcp/8080`, for messages.
    pub label: String,
    /// Its inode; 0 when the source did not say.
    pub inode: u64,
    /// Its protocol, when the source said.
    pub proto: Option<Proto>,
    /// For a port argument: the port, whose listeners of `proto` are looked for afresh —
    /// a listener reopened by a supervisor holds the port too.
    pub listening_port: Option<u16>,
}

/// The distinct processes of a run, in the order they were first named.
#[derive(Debug, Default)]
pub struct Targets {
    /// The processes.
    pub targets: Vec<Target>,
    /// Records that named no process.
    pub unowned: Vec<Unowned>,
    /// The sockets the records and port arguments named.
    pub sockets: Vec<AimedSocket>,
    /// Whether `gone` records name no process (see [`Targets::closed_sockets_name_nothing`]).
    skip_gone: bool,
}

impl Targets {
    /// An empty set.
    #[must_use]
    pub fn new() -> Targets {
        Targets::default()
    }

    /// An empty set for a stage that acts on sockets (kill): a `gone` record names no
    /// process, as the socket it was about is closed; it is reported among the unowned.
    /// A stage that describes processes (detail) takes them still.
    #[must_use]
    pub fn closed_sockets_name_nothing(mut self) -> Targets {
        self.skip_gone = true;
        self
    }

    /// Whether nothing at all was named (no process, no pid-less record).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty() && self.unowned.is_empty()
    }

    /// Forgets the targets in `done` (already acted on in an earlier batch of a stream).
    pub fn remove_done(&mut self, done: &[Target]) {
        self.targets
            .retain(|t| !done.iter().any(|d| d.same_process(t)));
    }

    /// Adds the owner of a record read from NDJSON. A pid that is not a positive integer
    /// (negative, zero, fractional, text) is bad input: signalling `-1` or `0` would hit a
    /// whole process group or every process.
    pub fn add_record(&mut self, record: &RawRecord<'_>, source: &str) -> Result<(), BadRecord> {
        let socket = socket_text(
            record.str(Key::Proto).as_deref(),
            record.u64(Key::LocalPort),
        );
        // A `gone` record (a watch's, from a scan or a destroy event) names a socket that
        // is closed: no process holds it any more, so it names nothing to signal.
        if self.skip_gone && record.str(Key::Status).as_deref() == Some("gone") {
            self.unowned.push(Unowned {
                source: source.to_owned(),
                reason: "the record says the socket is gone: nothing holds it now".to_owned(),
                socket,
            });
            return Ok(());
        }
        let pid = match record.get(Key::Pid) {
            None | Some(RawValue::Null) => {
                self.unowned.push(Unowned {
                    source: source.to_owned(),
                    reason: if record.u64(Key::Inode).unwrap_or(0) == 0 {
                        "no process holds this socket".to_owned()
                    } else {
                        "its owner is not visible to this user".to_owned()
                    },
                    socket,
                });
                return Ok(());
            }
            Some(value) => parse_pid(value).ok_or_else(|| BadRecord::Pid {
                place: source.to_owned(),
                value: value.cell().into_owned(),
            })?,
        };
        let process = record.str(Key::Process).map(std::borrow::Cow::into_owned);
        let (started, unverifiable) = match record.get(Key::Started) {
            None => (None, Some("the record has no started field".to_owned())),
            Some(RawValue::Null) => (None, Some("the record's started is null".to_owned())),
            Some(value) => match record
                .str(Key::Started)
                .map(|text| text.parse::<Timestamp>())
            {
                Some(Ok(started)) => (Some(started), None),
                // Checking a process against a guess of its start time could pass the
                // wrong one: the record is bad input.
                _ => {
                    return Err(BadRecord::Started {
                        place: source.to_owned(),
                        value: value.cell().into_owned(),
                    });
                }
            },
        };
        if let Some(inode) = record.u64(Key::Inode).filter(|&inode| inode != 0) {
            self.aim(AimedSocket {
                label: socket.clone(),
                inode,
                proto: record.str(Key::Proto).and_then(|p| match p.as_ref() {
                    "tcp" => Some(Proto::Tcp),
                    "udp" => Some(Proto::Udp),
                    _ => None,
                }),
                listening_port: None,
            });
        }
        self.add(Target {
            pid,
            process,
            started,
            unverifiable,
            holder: false,
            source: source.to_owned(),
            ports: if socket.is_empty() {
                Vec::new()
            } else {
                vec![socket]
            },
        });
        Ok(())
    }

    /// Adds the owners of the scanned sockets `spec` names; a pid spec with no socket is
    /// still a target (read from `/proc`), so `prt kill 1234` works on any process.
    /// Returns how many targets the spec gave.
    pub fn add_spec(&mut self, spec: TargetSpec, entries: &[PortEntry]) -> usize {
        let before = self.targets.len();
        let mut found = 0;
        for entry in entries.iter().filter(|e| spec.names_socket(e)) {
            let Some(pid) = (match spec {
                TargetSpec::Pid(pid) => Some(pid),
                TargetSpec::Port(..) => entry.pid,
            }) else {
                self.unowned.push(Unowned {
                    source: spec.to_string(),
                    socket: socket_text(Some(entry.proto.as_str()), Some(entry.local_port.into())),
                    reason: "its owner is not visible to this user".to_owned(),
                });
                continue;
            };
            found += 1;
            if let TargetSpec::Port(port, _) = spec {
                self.aim(AimedSocket {
                    label: socket_text(Some(entry.proto.as_str()), Some(entry.local_port.into())),
                    inode: entry.inode,
                    proto: Some(entry.proto),
                    listening_port: Some(port),
                });
            }
            let (process, started) = if Some(pid) == entry.pid {
                (entry.process.as_deref().map(str::to_owned), entry.started)
            } else {
                described(pid)
            };
            self.add(Target {
                pid,
                process,
                started,
                unverifiable: None,
                holder: false,
                source: spec.to_string(),
                ports: vec![socket_text(
                    Some(entry.proto.as_str()),
                    Some(entry.local_port.into()),
                )],
            });
        }
        if let (TargetSpec::Pid(pid), 0) = (spec, found) {
            let (process, started) = described(pid);
            self.add(Target {
                pid,
                process,
                started,
                unverifiable: None,
                holder: false,
                source: spec.to_string(),
                ports: Vec::new(),
            });
        }
        self.targets.len() - before
    }

    /// [`Targets::add_holders`] with a fresh walk of every process's fds, when a record or
    /// port named a socket by inode (nothing to look for otherwise).
    pub fn find_holders(&mut self) {
        if self.sockets.iter().any(|s| s.inode != 0) {
            self.add_holders(&InodeOwners::collect(crate::scan::walk_threads()));
        }
    }

    /// Adds every process that holds one of the aimed sockets now and is not a target yet,
    /// after the targets named so far: a record or a port names one process (a pre-forked
    /// server's master), but the socket stays open while any of its workers or children
    /// holds it. Each is described as it is now, so the kill's identity check still guards
    /// against its pid being reused before the signal.
    pub fn add_holders(&mut self, owners: &InodeOwners) {
        let aimed: Vec<(u64, String)> = self
            .sockets
            .iter()
            .filter(|s| s.inode != 0)
            .map(|s| (s.inode, s.label.clone()))
            .collect();
        for (inode, label) in aimed {
            for pid in owners.pids(inode) {
                if let Some(existing) = self.targets.iter_mut().find(|t| t.pid == pid) {
                    if !existing.ports.contains(&label) {
                        existing.ports.push(label.clone());
                        existing.ports.sort();
                    }
                    continue;
                }
                let (process, started) = described(pid);
                if process.is_none() {
                    continue; // exited since the walk
                }
                self.targets.push(Target {
                    pid,
                    process,
                    started,
                    unverifiable: None,
                    holder: true,
                    source: format!("holder of {label}"),
                    ports: vec![label.clone()],
                });
            }
        }
    }

    /// Remembers a socket the run aims at, once.
    fn aim(&mut self, socket: AimedSocket) {
        if !self.sockets.contains(&socket) {
            self.sockets.push(socket);
        }
    }

    /// Adds a target, merging it into an earlier one for the same process.
    fn add(&mut self, target: Target) {
        let same = self.targets.iter_mut().find(|t| t.same_process(&target));
        match same {
            Some(existing) => {
                for port in target.ports {
                    if !existing.ports.contains(&port) {
                        existing.ports.push(port);
                    }
                }
                existing.ports.sort();
            }
            None => self.targets.push(target),
        }
    }
}

/// The process now at `pid`, as a record would name it; nothing if it is gone.
fn described(pid: u32) -> (Option<String>, Option<Timestamp>) {
    let clock = BootClock::read();
    ProcessInfo::read(pid, clock.as_ref()).map_or((None, None), |info| (info.name, info.started))
}

/// A pid value from a record: a JSON integer from 1 to `u32::MAX`, nothing else.
fn parse_pid(value: RawValue<'_>) -> Option<u32> {
    match value {
        RawValue::Number(text) if text.bytes().all(|b| b.is_ascii_digit()) => {
            text.parse::<u32>().ok().filter(|&pid| pid > 0)
        }
        _ => None,
    }
}

/// `tcp/8080` as far as a record tells; empty when it names no socket at all.
fn socket_text(proto: Option<&str>, port: Option<u64>) -> String {
    match (proto, port) {
        (Some(proto), Some(port)) => format!("{proto}/{port}"),
        (None, Some(port)) => format!("port {port}"),
        (Some(proto), None) => proto.to_owned(),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
pub(crate) mod tests;
