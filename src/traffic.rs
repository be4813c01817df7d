//! Traffic: byte rates per socket, and per process or per remote host, from the TCP
//! counters a `--traffic` scan carries.
//!
//! Sits after tracking in the data flow (scan -> track -> *traffic* -> output): it reads
//! the [`Change`]s of a [`crate::track::Tracker`] and writes nothing back but their
//! `rates`. The kernel's `tcp_info` counters are totals over a socket's life, so a rate is
//! the difference between two observations of the same socket (its [`Identity`]: the
//! inode) over the real time elapsed between the two dumps, measured on the monotonic clock
//! ([`Instant`]) so a wall-clock step cannot make a rate. A socket seen for the first time
//! has no rate (null), not a rate computed over the unknown time it existed before.
//!
//! Grouping ([`Aggregator`]) sums sockets per process (sockets whose owner is hidden from
//! this user are grouped under their uid) or per remote address, and remembers the last
//! counters of every socket that closed, so a group's totals include connections that
//! ended between ticks instead of dropping when they close.

use crate::hashing::Map;
use std::cmp::Ordering;
use std::net::IpAddr;
use std::time::Instant;

use serde::Serialize;

use crate::model::{PortEntry, Proto, Rates, State, Status, Timestamp, Traffic};
use crate::track::{Change, Identity};

/// Per-socket rates between consecutive observations.
#[derive(Debug, Default)]
pub struct Meter {
    /// The counters of each live socket at its last observation, and when that was.
    last: Map<Identity, (Instant, Traffic)>,
}

impl Meter {
    /// A meter that has seen nothing yet.
    #[must_use]
    pub fn new() -> Meter {
        Meter::default()
    }

    /// Sets `rates` on every record of `changes` (the result of one tracker observation,
    /// made from a dump taken at `at`) whose entry carries counters. Gone sockets get null
    /// rates: nothing is known of them since their last observation.
    pub fn observe(&mut self, changes: &mut [Change], at: Instant) {
        let mut seen =
            Map::with_capacity_and_hasher(self.last.len(), foldhash::fast::RandomState::default());
        for change in changes.iter_mut() {
            let record = &mut change.record;
            let Some(traffic) = record.entry.traffic else {
                continue;
            };
            if record.status == Status::Gone {
                record.rates = Some(Rates::default());
                continue;
            }
            let identity = Identity::of(&record.entry);
            let rates = match self.last.get(&identity) {
                Some(&(before, previous)) => {
                    rates_between(previous, traffic, at.saturating_duration_since(before))
                }
                None => Rates::default(),
            };
            record.rates = Some(rates);
            seen.insert(identity, (at, traffic));
        }
        self.last = seen;
    }
}

/// Bytes per second from `before` to `after` over `elapsed`; null where a counter is
/// missing on either side, went backwards (another socket took the identity), or no time
/// passed.
#[must_use]
pub fn rates_between(before: Traffic, after: Traffic, elapsed: std::time::Duration) -> Rates {
    let seconds = elapsed.as_secs_f64();
    let rate = |a: Option<u64>, b: Option<u64>| -> Option<u64> {
        let gained = b?.checked_sub(a?)?;
        if seconds <= 0.0 {
            return None;
        }
        #[allow(
            clippy::cast_precision_loss,
            reason = "a byte count needs no more than 52 bits of precision for a rate"
        )]
        let per_second = gained as f64 / seconds;
        Some(per_second.round() as u64)
    };
    Rates {
        rate_sent: rate(before.bytes_sent, after.bytes_sent),
        rate_received: rate(before.bytes_received, after.bytes_received),
    }
}

/// What sockets are grouped by (`prt watch --by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum GroupBy {
    /// The owning process; sockets whose owner is hidden, by their uid.
    Process,
    /// The remote address.
    Remote,
}

/// The key of one group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    /// A process, by pid and start time (a reused pid is another process).
    Process(u32, Option<Timestamp>),
    /// Sockets of this uid whose process this user may not see.
    Uid(u32),
    /// A remote address.
    Remote(IpAddr),
}

/// One group's traffic after a scan: the record `prt watch --traffic --by` emits in a
/// pipe, one per group per scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// What the groups are of: `process` or `remote`.
    pub by: GroupBy,
    /// The process (`--by process`); null for a group of sockets whose owner is hidden,
    /// and with `--by remote`.
    pub pid: Option<u32>,
    /// Its name; null when hidden or with `--by remote`.
    pub process: Option<std::sync::Arc<str>>,
    /// Socket owner's user name (`--by process`).
    pub user: Option<std::sync::Arc<str>>,
    /// Socket owner's uid (`--by process`): what groups sockets whose owner is hidden.
    pub uid: Option<u32>,
    /// The process's container (`--by process`).
    pub container: Option<std::sync::Arc<str>>,
    /// The remote address (`--by remote`); null with `--by process`.
    pub remote_addr: Option<IpAddr>,
    /// The processes talking to that remote address (`--by remote`), sorted; with
    /// `--by process`, the group's pid when known.
    pub pids: Vec<u32>,
    /// Live TCP connections in the group now (listeners not counted).
    pub connections: usize,
    /// Bytes per second sent, summed over the group's sockets that have a rate; null when
    /// none has one yet (the first scan).
    pub rate_sent: Option<u64>,
    /// Bytes per second received, summed likewise.
    pub rate_received: Option<u64>,
    /// Bytes sent (acknowledged) over the life of the group's sockets: live ones and those
    /// that closed during the watch.
    pub bytes_sent: u64,
    /// Bytes received likewise.
    pub bytes_received: u64,
    /// Scan number, as in the TrackedEntry records of the same scan.
    pub seq: u64,
    /// Time of that scan.
    pub ts: Timestamp,
}

impl Group {
    /// The current rate in both directions, for sorting: a group without one counts 0.
    #[must_use]
    pub fn rate(&self) -> u64 {
        self.rate_sent
            .unwrap_or(0)
            .saturating_add(self.rate_received.unwrap_or(0))
    }
}

/// Totals of sockets that closed, per group, and who the group was.
#[derive(Debug, Clone)]
struct Closed {
    template: Group,
    bytes_sent: u64,
    bytes_received: u64,
}

/// Sums [`Change`]s into groups, scan after scan.
#[derive(Debug)]
pub struct Aggregator {
    by: GroupBy,
    closed: Map<Key, Closed>,
}

impl Aggregator {
    /// An aggregator grouping by `by`.
    #[must_use]
    pub fn new(by: GroupBy) -> Aggregator {
        Aggregator {
            by,
            closed: Map::default(),
        }
    }

    /// The groups after one scan (`changes`, rates already set by a [`Meter`]), sorted by
    /// current rate, highest first, then by total bytes. Gone sockets add their last
    /// counters to their group's totals for the rest of the watch.
    pub fn observe(&mut self, changes: &[Change], seq: u64, ts: Timestamp) -> Vec<Group> {
        let mut groups: Map<Key, Group> = Map::default();
        for change in changes {
            let record = &change.record;
            let entry = &record.entry;
            let Some(traffic) = counted(entry) else {
                continue;
            };
            let Some(key) = self.key(entry) else {
                continue;
            };
            if record.status == Status::Gone {
                let template = self.template(entry, seq, ts);
                let closed = self.closed.entry(key).or_insert(Closed {
                    template,
                    bytes_sent: 0,
                    bytes_received: 0,
                });
                closed.bytes_sent += traffic.bytes_sent.unwrap_or(0);
                closed.bytes_received += traffic.bytes_received.unwrap_or(0);
                continue;
            }
            let group = groups
                .entry(key)
                .or_insert_with(|| self.template(entry, seq, ts));
            if self.by == GroupBy::Remote
                && let Some(pid) = entry.pid
                && !group.pids.contains(&pid)
            {
                group.pids.push(pid);
            }
            group.connections += 1;
            group.bytes_sent += traffic.bytes_sent.unwrap_or(0);
            group.bytes_received += traffic.bytes_received.unwrap_or(0);
            let rates = record.rates.unwrap_or_default();
            add(&mut group.rate_sent, rates.rate_sent);
            add(&mut group.rate_received, rates.rate_received);
        }
        for (key, closed) in &self.closed {
            let group = groups.entry(key.clone()).or_insert_with(|| {
                let mut group = closed.template.clone();
                (group.seq, group.ts) = (seq, ts);
                group
            });
            group.bytes_sent += closed.bytes_sent;
            group.bytes_received += closed.bytes_received;
        }
        let mut groups: Vec<Group> = groups.into_values().collect();
        for group in &mut groups {
            group.pids.sort_unstable();
        }
        groups.sort_by(by_rate);
        groups
    }

    fn key(&self, entry: &PortEntry) -> Option<Key> {
        match self.by {
            GroupBy::Process => match (entry.pid, entry.uid) {
                (Some(pid), _) => Some(Key::Process(pid, entry.started)),
                (None, Some(uid)) => Some(Key::Uid(uid)),
                (None, None) => None,
            },
            GroupBy::Remote => entry.remote_addr.map(Key::Remote),
        }
    }

    /// An empty group named after `entry`'s process or remote address.
    fn template(&self, entry: &PortEntry, seq: u64, ts: Timestamp) -> Group {
        let by_process = self.by == GroupBy::Process;
        Group {
            by: self.by,
            pid: entry.pid.filter(|_| by_process),
            process: entry.process.clone().filter(|_| by_process),
            user: entry.user.clone().filter(|_| by_process),
            uid: entry.uid.filter(|_| by_process),
            container: entry.container.clone().filter(|_| by_process),
            remote_addr: entry.remote_addr.filter(|_| !by_process),
            pids: entry.pid.filter(|_| by_process).into_iter().collect(),
            connections: 0,
            rate_sent: None,
            rate_received: None,
            bytes_sent: 0,
            bytes_received: 0,
            seq,
            ts,
        }
    }
}

/// The counters of a socket that counts as a connection: TCP, not a listener, with at
/// least one byte counter from the kernel.
fn counted(entry: &PortEntry) -> Option<Traffic> {
    let traffic = entry.traffic?;
    let connection = entry.proto == Proto::Tcp && entry.state != State::Listen;
    let has_bytes = traffic.bytes_sent.is_some() || traffic.bytes_received.is_some();
    (connection && has_bytes).then_some(traffic)
}

fn add(total: &mut Option<u64>, rate: Option<u64>) {
    if let Some(rate) = rate {
        *total = Some(total.unwrap_or(0).saturating_add(rate));
    }
}

/// Highest current rate first, then most bytes, then a stable order by who the group is.
fn by_rate(a: &Group, b: &Group) -> Ordering {
    b.rate()
        .cmp(&a.rate())
        .then_with(|| (b.bytes_sent + b.bytes_received).cmp(&(a.bytes_sent + a.bytes_received)))
        // Hidden owners after the processes that can be named.
        .then_with(|| a.pid.is_none().cmp(&b.pid.is_none()))
        .then_with(|| a.pid.cmp(&b.pid))
        .then_with(|| a.uid.cmp(&b.uid))
        .then_with(|| a.remote_addr.cmp(&b.remote_addr))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TrackedEntry;
    use std::time::Duration;

    fn entry(inode: u64, pid: Option<u32>, uid: u32, remote: &str, sent: u64) -> PortEntry {
        PortEntry {
            proto: Proto::Tcp,
            local_addr: "127.0.0.1".parse().expect("literal"),
            local_port: 40000,
            remote_addr: remote.parse().ok(),
            remote_port: Some(443),
            state: State::Established,
            inode,
            uid: Some(uid),
            pid,
            pids: pid.into_iter().collect(),
            process: pid.map(|p| format!("p{p}").into()),
            cmdline: None,
            user: Some(format!("u{uid}").into()),
            ppid: None,
            started: None,
            service: None,
            suspicious: vec![],
            container: None,
            netns: Some(1),
            interface: None,
            recv_q: Some(0),
            send_q: Some(0),
            traffic: Some(Traffic {
                bytes_sent: Some(sent),
                bytes_received: Some(sent / 2),
                retrans: Some(0),
                rtt_us: Some(50),
            }),
            cookie: None,
        }
    }

    fn change(entry: PortEntry, status: Status) -> Change {
        Change {
            record: TrackedEntry {
                entry,
                status,
                first_seen: Some(Timestamp::from_unix(0)),
                seq: 1,
                ts: Timestamp::from_unix(0),
                rates: None,
                source: None,
            },
            state_changed: false,
            owners_changed: false,
        }
    }

    #[test]
    fn rates_need_two_observations_of_the_same_socket() {
        let start = Instant::now();
        let mut meter = Meter::new();
        let mut first = vec![change(entry(1, Some(10), 0, "10.0.0.1", 1000), Status::New)];
        meter.observe(&mut first, start);
        assert_eq!(first[0].record.rates, Some(Rates::default()), "first: null");
        let mut second = vec![
            change(entry(1, Some(10), 0, "10.0.0.1", 5000), Status::Unchanged),
            change(entry(2, Some(10), 0, "10.0.0.1", 9000), Status::New),
        ];
        meter.observe(&mut second, start + Duration::from_secs(2));
        assert_eq!(
            second[0].record.rates,
            Some(Rates {
                rate_sent: Some(2000),
                rate_received: Some(1000)
            })
        );
        assert_eq!(second[1].record.rates, Some(Rates::default()));
        // A counter that went backwards is not a negative rate.
        let mut third = vec![change(
            entry(1, Some(10), 0, "10.0.0.1", 10),
            Status::Unchanged,
        )];
        meter.observe(&mut third, start + Duration::from_secs(3));
        assert_eq!(third[0].record.rates, Some(Rates::default()));
    }

    #[test]
    fn records_without_counters_get_no_rates() {
        let mut plain = entry(1, Some(10), 0, "10.0.0.1", 0);
        plain.traffic = None;
        let mut changes = vec![change(plain, Status::New)];
        Meter::new().observe(&mut changes, Instant::now());
        assert_eq!(changes[0].record.rates, None);
    }

    #[test]
    fn groups_by_process_hidden_owners_by_uid_and_keep_closed_totals() {
        let start = Instant::now();
        let mut meter = Meter::new();
        let mut aggregate = Aggregator::new(GroupBy::Process);
        let mut first = vec![
            change(entry(1, Some(10), 0, "10.0.0.1", 1000), Status::New),
            change(entry(2, Some(10), 0, "10.0.0.2", 1000), Status::New),
            change(entry(3, Some(20), 0, "10.0.0.1", 100), Status::New),
            change(entry(4, None, 1000, "10.0.0.3", 50), Status::New),
            change(entry(5, None, 1000, "10.0.0.3", 50), Status::New),
        ];
        meter.observe(&mut first, start);
        let groups = aggregate.observe(&first, 1, Timestamp::from_unix(0));
        let summary: Vec<_> = groups
            .iter()
            .map(|g| (g.pid, g.uid, g.connections, g.bytes_sent, g.rate_sent))
            .collect();
        assert_eq!(
            summary,
            [
                (Some(10), Some(0), 2, 2000, None),
                (Some(20), Some(0), 1, 100, None),
                (None, Some(1000), 2, 100, None),
            ]
        );
        // pid 20 sends fast now; one of pid 10's connections closed.
        let mut second = vec![
            change(entry(1, Some(10), 0, "10.0.0.1", 1100), Status::Unchanged),
            change(
                entry(3, Some(20), 0, "10.0.0.1", 100_100),
                Status::Unchanged,
            ),
            change(entry(4, None, 1000, "10.0.0.3", 50), Status::Unchanged),
            change(entry(5, None, 1000, "10.0.0.3", 50), Status::Unchanged),
            change(entry(2, Some(10), 0, "10.0.0.2", 1000), Status::Gone),
        ];
        meter.observe(&mut second, start + Duration::from_secs(1));
        let groups = aggregate.observe(&second, 2, Timestamp::from_unix(1));
        let summary: Vec<_> = groups
            .iter()
            .map(|g| (g.pid, g.connections, g.bytes_sent, g.rate_sent))
            .collect();
        assert_eq!(
            summary,
            [
                (Some(20), 1, 100_100, Some(100_000)),
                (Some(10), 1, 2100, Some(100)),
                (None, 2, 100, Some(0)),
            ]
        );
        assert_eq!(groups[2].user.as_deref(), Some("u1000"));
        // Every connection of pid 10 closed: its totals stay.
        let mut third = vec![change(
            entry(1, Some(10), 0, "10.0.0.1", 1100),
            Status::Gone,
        )];
        meter.observe(&mut third, start + Duration::from_secs(2));
        let groups = aggregate.observe(&third, 3, Timestamp::from_unix(2));
        assert_eq!(
            groups
                .iter()
                .map(|g| (g.pid, g.connections, g.bytes_sent, g.seq))
                .collect::<Vec<_>>(),
            [(Some(10), 0, 2100, 3)]
        );
    }

    #[test]
    fn groups_by_remote_list_the_processes() {
        let mut aggregate = Aggregator::new(GroupBy::Remote);
        let mut listener = entry(9, Some(30), 0, "0.0.0.0", 0);
        listener.state = State::Listen;
        listener.remote_addr = None;
        let changes = vec![
            change(entry(1, Some(20), 0, "10.0.0.1", 10), Status::New),
            change(entry(2, Some(10), 0, "10.0.0.1", 10), Status::New),
            change(entry(3, Some(10), 0, "10.0.0.2", 500), Status::New),
            change(listener, Status::New),
        ];
        let groups = aggregate.observe(&changes, 1, Timestamp::from_unix(0));
        let summary: Vec<_> = groups
            .iter()
            .map(|g| (g.remote_addr, g.pids.clone(), g.connections, g.pid))
            .collect();
        assert_eq!(
            summary,
            [
                ("10.0.0.2".parse().ok(), vec![10], 1, None),
                ("10.0.0.1".parse().ok(), vec![10, 20], 2, None),
            ]
        );
    }
}
