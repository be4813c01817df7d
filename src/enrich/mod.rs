//! What a socket means: its well-known service, the reasons it looks suspicious, and the
//! container its process runs in.
//!
//! Sits between scan and query in the data flow. [`Enricher`] fills those fields on the
//! records of a scan, reading what it needs of each owning process once (its executable,
//! capabilities and cgroup) and asking container runtimes for names once per scan, in a
//! batch. The rules that need only a record's own fields are also used by the query
//! evaluator for records that arrive without `service` or `suspicious`.

pub mod containers;
pub mod services;
pub mod suspicious;

use std::collections::BTreeMap;

use crate::hashing::{Interner, Map, Set};
use std::net::IpAddr;
use std::os::unix::fs::MetadataExt;

pub use services::{PortNames, service_for};
pub use suspicious::{Rules, SocketFacts, suspicious_reasons};

use crate::config::Config;
use crate::model::{PortEntry, Proto, State, Timestamp};
use crate::scan::netns::Namespace;
use crate::scan::process;
use containers::{ContainerId, Containers};

/// Fills `service`, `suspicious` and `container` on scan records.
///
/// Keep one for the life of a watch: what it learnt of a process (keyed by pid and start
/// time, so a reused pid is read again) and container names carry over between scans.
#[derive(Debug)]
pub struct Enricher {
    ports: PortNames,
    rules: Rules,
    containers: Option<Containers>,
    processes: Map<ProcessKey, ProcessFacts>,
    /// Service and container names, one shared copy each.
    texts: Interner,
}

/// A process as enrichment remembers it: pid and start time, so a reused pid is new.
type ProcessKey = (u32, Option<Timestamp>);

/// What enrichment knows of one process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessFacts {
    /// The executable's path, without the kernel's ` (deleted)` mark.
    pub exe: Option<String>,
    /// The executable was deleted and nothing is at its path now.
    pub exe_deleted: bool,
    /// CAP_NET_BIND_SERVICE is in the process's effective set.
    pub may_bind_privileged: bool,
    /// The container its cgroup names.
    pub container: Option<ContainerId>,
}

impl ProcessFacts {
    /// Reads `/proc/<pid>/exe`, `/proc/<pid>/status` and `/proc/<pid>/cgroup`. What cannot
    /// be read (the process exited, or is not ours to inspect) stays unknown.
    #[must_use]
    pub fn read(pid: u32) -> ProcessFacts {
        let mut facts = ProcessFacts::default();
        if let Ok((path, marked_deleted)) = process::executable(pid) {
            // An upgrade puts a new file at the path; a self-deleting binary does not.
            facts.exe_deleted = marked_deleted && std::fs::symlink_metadata(&path).is_err();
            facts.exe = Some(path);
        }
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            facts.may_bind_privileged =
                effective_caps(&status).is_some_and(|caps| caps & (1 << CAP_NET_BIND_SERVICE) != 0);
        }
        if let Ok(cgroup) = std::fs::read_to_string(format!("/proc/{pid}/cgroup")) {
            facts.container = containers::parse_cgroup(&cgroup);
        }
        facts
    }
}

/// The capability number of CAP_NET_BIND_SERVICE (linux/capability.h).
const CAP_NET_BIND_SERVICE: u32 = 10;

/// The `CapEff:` mask of a `/proc/<pid>/status` text.
fn effective_caps(status: &str) -> Option<u64> {
    let line = status.lines().find_map(|l| l.strip_prefix("CapEff:"))?;
    u64::from_str_radix(line.trim(), 16).ok()
}

impl Enricher {
    /// An enricher with the configuration's port names and suspicious settings, asking
    /// `docker` and `podman` for container names.
    #[must_use]
    pub fn new(config: &Config) -> Enricher {
        let mut ports = PortNames::builtin();
        for entry in &config.known_ports {
            ports.set(entry.port, entry.proto, &entry.name);
        }
        Enricher {
            ports,
            rules: Rules::new(&config.suspicious),
            containers: Some(Containers::new()),
            processes: Map::default(),
            texts: Interner::default(),
        }
    }

    /// The same, with container names taken from `containers` (or not looked up at all).
    #[must_use]
    pub fn with_containers(mut self, containers: Option<Containers>) -> Enricher {
        self.containers = containers;
        self
    }

    /// Forgets what it learnt of process `pid` (it exited, or ran a new program), so the
    /// next record of that pid reads its facts afresh.
    pub fn forget(&mut self, pid: u32) {
        self.processes.retain(|&(known, _), _| known != pid);
    }

    /// Fills `service`, `suspicious` and `container` on every entry. What it learnt of
    /// processes none of `entries` names any more is forgotten.
    pub fn enrich(&mut self, entries: &mut [PortEntry]) {
        let mut present: Set<ProcessKey> = Set::default();
        let mut last = None;
        for key in entries.iter().filter_map(|e| Some((e.pid?, e.started))) {
            // A process's sockets come together in a scan.
            if last != Some(key) {
                present.insert(key);
                last = Some(key);
            }
        }
        self.processes.retain(|key, _| present.contains(key));
        self.learn_processes(present);
        let listening = Listening::new(
            entries
                .iter()
                .filter(|e| e.state == State::Listen)
                .map(|e| (e.netns, e.proto, e.local_addr, e.local_port)),
        );
        self.enrich_block(entries, &listening);
    }

    /// Fills one record made between scans (from a kernel event), learning its process if
    /// new and forgetting nothing: unlike [`Enricher::enrich`], which takes a whole scan,
    /// the facts of every other process stay for the next scan.
    pub fn enrich_one(&mut self, entry: &mut PortEntry) {
        if let Some(pid) = entry.pid {
            self.learn_processes(std::iter::once((pid, entry.started)).collect());
        }
        let listening = Listening::new(
            std::iter::once(&*entry)
                .filter(|e| e.state == State::Listen)
                .map(|e| (e.netns, e.proto, e.local_addr, e.local_port)),
        );
        self.enrich_block(std::slice::from_mut(entry), &listening);
    }

    /// For the records of one scan made a block at a time
    /// ([`crate::session::snapshot_each`]): learns, once, the processes they will name
    /// (pid and start time, as [`crate::scan::owners::Attributor::process_key`] gives
    /// them) and the scan's listeners; [`Enricher::enrich_block`] then fills each block.
    /// What it learnt of processes not among them is forgotten.
    pub fn prepare(
        &mut self,
        processes: impl IntoIterator<Item = (u32, Option<Timestamp>)>,
        sockets: &[crate::scan::Socket],
    ) -> Listening {
        let present: Set<ProcessKey> = processes.into_iter().collect();
        self.processes.retain(|key, _| present.contains(key));
        self.learn_processes(present);
        Listening::new(
            sockets
                .iter()
                .filter(|s| s.state == State::Listen)
                .map(|s| (s.netns, s.proto, s.local.ip(), s.local.port())),
        )
    }

    /// Fills `service`, `suspicious` and `container` on every entry, with the processes
    /// learnt and the listeners of the whole scan (see [`Enricher::prepare`]).
    pub fn enrich_block(&mut self, entries: &mut [PortEntry], listening: &Listening) {
        // A process's sockets come together in a scan: look its facts up once per run.
        let mut last: Option<(ProcessKey, Option<&ProcessFacts>)> = None;
        for entry in entries.iter_mut() {
            let facts = entry.pid.and_then(|pid| {
                let key = (pid, entry.started);
                match last {
                    Some((seen, facts)) if seen == key => facts,
                    _ => {
                        let facts = self.processes.get(&key);
                        last = Some((key, facts));
                        facts
                    }
                }
            });
            entry.service = self
                .ports
                .service_for(
                    entry.proto,
                    Some(entry.state),
                    Some(entry.local_port),
                    entry.remote_port,
                )
                .map(|name| self.texts.get(name));
            // Which way a connection goes matters only to root_high_port_outgoing: skip
            // the lookups for every socket that rule cannot apply to.
            let maybe_outgoing = entry.state == State::Established
                && entry.uid == Some(0)
                && entry.remote_addr.is_some_and(|ip| {
                    let ip = ip.to_canonical();
                    !ip.is_loopback() && !ip.is_unspecified()
                });
            let socket = SocketFacts {
                state: Some(entry.state),
                local_port: Some(entry.local_port),
                remote_addr: entry.remote_addr,
                remote_port: entry.remote_port,
                uid: entry.uid,
                process: entry.process.as_deref(),
                exe: facts.and_then(|f| f.exe.as_deref()),
                exe_deleted: facts.is_some_and(|f| f.exe_deleted),
                may_bind_privileged: facts.is_some_and(|f| f.may_bind_privileged),
                local_port_listened: maybe_outgoing.then(|| listening.accepts(entry)),
                remote_port_named: maybe_outgoing
                    && entry
                        .remote_port
                        .is_some_and(|port| self.ports.name(entry.proto, port).is_some()),
            };
            entry.suspicious = self
                .rules
                .reasons(&socket)
                .into_iter()
                .map(str::to_owned)
                .collect();
            entry.container = facts.and_then(|f| f.container.as_ref()).map(|id| {
                self.texts
                    .get(&container_name(self.containers.as_ref(), id))
            });
        }
    }

    /// Reads the facts of the processes of `present` not seen before, and asks for the
    /// names of containers not named yet — once.
    fn learn_processes(&mut self, present: Set<ProcessKey>) {
        for key in present {
            self.processes
                .entry(key)
                .or_insert_with(|| ProcessFacts::read(key.0));
        }
        if let Some(containers) = &mut self.containers {
            let ids: Vec<&ContainerId> = self
                .processes
                .values()
                .filter_map(|facts| facts.container.as_ref())
                .collect::<Set<_>>()
                .into_iter()
                .collect();
            if !ids.is_empty() {
                containers.resolve(&ids);
            }
        }
    }
}

impl Enricher {
    /// Names for the namespaces of an `--all-netns` scan: the `ip netns` name, else the
    /// container of a process living there, else `host` for the namespace of pid 1 and
    /// `current` for this process's. Namespaces with none of these are left out (shown by
    /// number).
    pub fn namespace_names(&mut self, namespaces: &[Namespace]) -> BTreeMap<u64, String> {
        let host = std::fs::metadata("/proc/1/ns/net").ok().map(|m| m.ino());
        let own = std::fs::metadata("/proc/self/ns/net").ok().map(|m| m.ino());
        let containers: Vec<(u64, ContainerId)> = namespaces
            .iter()
            .filter(|ns| ns.name.is_none())
            .filter_map(|ns| Some((ns.inode, ProcessFacts::read(ns.pid?).container?)))
            .collect();
        if let Some(lookup) = &mut self.containers {
            let ids: Vec<&ContainerId> = containers.iter().map(|(_, id)| id).collect();
            if !ids.is_empty() {
                lookup.resolve(&ids);
            }
        }
        let mut names = BTreeMap::new();
        for namespace in namespaces {
            if let Some(name) = &namespace.name {
                names.insert(namespace.inode, name.clone());
            } else if Some(namespace.inode) == host {
                names.insert(namespace.inode, "host".to_owned());
            } else if Some(namespace.inode) == own {
                names.insert(namespace.inode, "current".to_owned());
            }
        }
        for (inode, id) in &containers {
            names
                .entry(*inode)
                .or_insert_with(|| container_name(self.containers.as_ref(), id));
        }
        names
    }
}

/// The name of container `id`: the engine's, or its short id without one.
fn container_name(containers: Option<&Containers>, id: &ContainerId) -> String {
    match containers {
        Some(containers) => containers.name(id).to_string(),
        None => id.short().to_owned(),
    }
}

/// Where something listens in a scan: a connection whose local address and port a
/// listener covers was accepted, not made — whichever process holds the listener. The
/// per-session sshd, a pre-forked worker or a process the listener was handed to accept
/// connections without holding the listening socket themselves.
#[derive(Debug, Default)]
pub struct Listening {
    /// `(netns, proto, address, port)`; the address is `None` for a wildcard listener
    /// (`0.0.0.0` or `::`, which on a dual-stack socket takes IPv4 too).
    endpoints: Set<(Option<u64>, Proto, Option<IpAddr>, u16)>,
}

impl Listening {
    /// The listeners at `endpoints` (namespace, protocol, address, port of each TCP
    /// `LISTEN` socket; UDP is connectionless and has none).
    fn new(endpoints: impl Iterator<Item = (Option<u64>, Proto, IpAddr, u16)>) -> Listening {
        let endpoints = endpoints
            .map(|(netns, proto, addr, port)| {
                let addr = addr.to_canonical();
                let addr = (!addr.is_unspecified()).then_some(addr);
                (netns, proto, addr, port)
            })
            .collect();
        Listening { endpoints }
    }

    /// Whether a listener in `entry`'s namespace covers its local address and port.
    fn accepts(&self, entry: &PortEntry) -> bool {
        let addr = entry.local_addr.to_canonical();
        [Some(addr), None].into_iter().any(|addr| {
            self.endpoints
                .contains(&(entry.netns, entry.proto, addr, entry.local_port))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(state: State, local: &str, port: u16, remote: Option<&str>) -> PortEntry {
        PortEntry {
            proto: Proto::Tcp,
            local_addr: local.parse().expect("literal"),
            local_port: port,
            remote_addr: remote.map(|r| r.parse().expect("literal")),
            remote_port: remote.map(|_| 51000),
            state,
            inode: u64::from(port) + u64::from(remote.is_some()),
            uid: Some(0),
            pid: Some(if remote.is_some() { 900 } else { 800 }),
            pids: vec![if remote.is_some() { 900 } else { 800 }],
            process: Some("sshd".into()),
            cmdline: None,
            user: Some("root".into()),
            ppid: None,
            started: None,
            service: None,
            suspicious: vec![],
            container: None,
            netns: Some(1),
            interface: None,
            recv_q: None,
            send_q: None,
            traffic: None,
            cookie: None,
        }
    }

    fn reasons(entries: &mut [PortEntry]) -> Vec<Vec<String>> {
        let mut enricher = Enricher::new(&Config::default()).with_containers(None);
        enricher.enrich(entries);
        entries.iter().map(|e| e.suspicious.clone()).collect()
    }

    // See: issue 14 — every sshd session from a non-loopback client was flagged.
    #[test]
    fn a_connection_on_a_listened_address_is_inbound_whoever_holds_the_listener() {
        // sshd's per-session process (pid 900) does not hold the listener (pid 800).
        let session = record(State::Established, "192.0.2.1", 22, Some("198.51.100.7"));
        for listener in [
            record(State::Listen, "0.0.0.0", 22, None),
            record(State::Listen, "::", 22, None),
            record(State::Listen, "192.0.2.1", 22, None),
        ] {
            let mut entries = [listener, session.clone()];
            assert!(reasons(&mut entries)[1].is_empty());
        }
        // A dual-stack listener accepts IPv4 on AF_INET6 sockets.
        let mapped = record(
            State::Established,
            "::ffff:192.0.2.1",
            22,
            Some("::ffff:198.51.100.7"),
        );
        let mut entries = [record(State::Listen, "::", 22, None), mapped];
        assert!(reasons(&mut entries)[1].is_empty());
    }

    #[test]
    fn a_listener_elsewhere_does_not_make_a_connection_inbound() {
        let beacon = record(State::Established, "192.0.2.1", 40000, Some("198.51.100.7"));
        let mut other_address = record(State::Listen, "192.0.2.2", 40000, None);
        other_address.inode = 1;
        let mut other_namespace = record(State::Listen, "0.0.0.0", 40000, None);
        other_namespace.netns = Some(2);
        other_namespace.inode = 2;
        let mut entries = [other_address, other_namespace, beacon];
        assert_eq!(reasons(&mut entries)[2], ["root_high_port_outgoing"]);
    }
}
