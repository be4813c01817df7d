//! Change tracking between scans: which sockets are new, which persist, which are gone.
//!
//! Second stage of the data flow (scan -> track -> enrich -> query -> act -> output).
//! A socket with an inode is the same socket while its namespace, protocol and inode stay:
//! its state, owners and queues may change, and are reported as a change of an `unchanged`
//! socket, never as one socket gone and another new. That matters most where a scan cannot
//! be exact — in the tick a socket closes, the dump may still list it while the `/proc`
//! walk no longer finds its owner; a reload hands a listener to new workers. Sockets
//! without an inode (TIME_WAIT, orphans, request sockets) have nothing else to go by and
//! are identified by namespace, protocol and addresses. The clock is passed in (`now`), so
//! tests pin it.
//!
//! Between scans a watch may learn of a socket's end from the kernel at once
//! ([`Tracker::destroyed`], fed by [`crate::events::destroy`]). Such a socket is reported
//! gone then, and leaves the table, so the scan that follows does not report it again. The
//! event names the socket by its cookie (its inode is usually 0 by then), or, where the
//! scan had no cookie (`/proc/net`), by namespace, protocol and addresses. Two races are
//! closed here: a scan that still lists a socket an event already reported (its dump began
//! before the close, or the socket lingers as TIME_WAIT under the same cookie) does not
//! bring it back as `new` — a destroyed cookie stays a tombstone while scans list it, a
//! destroyed address pair until the next scan; and an event that arrives after a scan
//! already reported the socket gone is not reported twice.
//!
//! A watch may also learn of a socket as it begins, before any scan lists it
//! ([`Tracker::began`], fed by the TCP state tracepoint): it is `new` then, known by its
//! addresses, and the scan that lists it with its inode takes it over as the same socket.

use std::net::IpAddr;

use crate::hashing::{Map, Set};
use crate::model::{PortEntry, Proto, Source, Status, Timestamp, TrackedEntry};

/// What makes two records from different scans the same socket.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identity {
    /// A socket the kernel gave an inode: it stays the same socket whoever holds it.
    Socket {
        /// Network namespace.
        netns: Option<u64>,
        /// Protocol.
        proto: Proto,
        /// Socket inode (unique within a boot).
        inode: u64,
    },
    /// A socket without an inode, known only by where it is.
    Tuple {
        /// Network namespace.
        netns: Option<u64>,
        /// Protocol.
        proto: Proto,
        /// Local address and port.
        local: (IpAddr, u16),
        /// Peer address and port.
        remote: (Option<IpAddr>, Option<u16>),
    },
}

impl Identity {
    /// The identity of `entry`.
    #[must_use]
    pub fn of(entry: &PortEntry) -> Identity {
        if entry.inode == 0 {
            Identity::Tuple {
                netns: entry.netns,
                proto: entry.proto,
                local: (entry.local_addr, entry.local_port),
                remote: (entry.remote_addr, entry.remote_port),
            }
        } else {
            Identity::Socket {
                netns: entry.netns,
                proto: entry.proto,
                inode: entry.inode,
            }
        }
    }
}

/// Where a socket is: what a socket without an inode is known by, and how a scan's socket
/// is matched to one first known from an event or a destroy event without a cookie.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Place {
    netns: Option<u64>,
    proto: Proto,
    local: (IpAddr, u16),
    remote: (Option<IpAddr>, Option<u16>),
}

impl Place {
    fn of(entry: &PortEntry) -> Place {
        Place {
            netns: entry.netns,
            proto: entry.proto,
            local: (entry.local_addr, entry.local_port),
            remote: (entry.remote_addr, entry.remote_port),
        }
    }
}

/// How a destroy event finds the socket a scan saw: by cookie when the scan had one, else
/// by where it was.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum EventKey {
    /// The kernel's socket cookie, unique for the boot.
    Cookie(u64),
    /// Namespace, protocol, local and remote address.
    Tuple(Place),
}

impl EventKey {
    /// The key a scanned `entry` is found by: its cookie, else its addresses.
    fn of(entry: &PortEntry) -> EventKey {
        entry
            .cookie
            .map_or_else(|| EventKey::tuple(entry), EventKey::Cookie)
    }

    fn tuple(entry: &PortEntry) -> EventKey {
        EventKey::Tuple(Place::of(entry))
    }
}

/// One record of an observation, and what moved since the previous scan.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Change {
    /// The record, with status, first_seen, seq and ts.
    pub record: TrackedEntry,
    /// For an unchanged socket: its state differs from the previous scan's.
    pub state_changed: bool,
    /// For an unchanged socket: the set of processes holding it differs (a reload handed
    /// it to new workers, its owner exited while a child keeps it, or it became visible).
    pub owners_changed: bool,
}

impl Change {
    /// Whether a changelog reports it: new, gone, or a change of state or owners.
    #[must_use]
    pub fn is_reportable(&self) -> bool {
        self.record.status != Status::Unchanged || self.state_changed || self.owners_changed
    }
}

/// A scan the tracker is taking in a part at a time ([`Tracker::begin_scan`]).
#[derive(Debug)]
pub struct ScanPass {
    seq: u64,
    /// Tombstones a record of this scan showed are still listed.
    still_listed: Set<EventKey>,
}

/// What the tracker remembers of a live socket.
#[derive(Debug, Clone)]
struct Live {
    first_seen: Timestamp,
    entry: PortEntry,
    /// The last scan that listed it; for a socket first known from an event that no scan
    /// has listed yet, the last scan before the event.
    seen: u64,
    /// First known from an event ([`Tracker::began`]) and listed by no scan since.
    event_born: bool,
}

impl Live {
    /// Whether the sweep after scan `seq` keeps it: that scan listed it, or it began after
    /// the scan before (whose dump may have started before the event, so may miss it).
    fn kept_after(&self, seq: u64) -> bool {
        self.seen == seq || (self.event_born && self.seen.saturating_add(1) == seq)
    }
}

/// The diff between consecutive scans.
///
/// It updates in place: a socket stays in the table from tick to tick, marked with the
/// last scan that listed it, so a tick where nothing changed neither moves nor copies a
/// record (a profile of a 20,000-socket watch found 13% of the process moving records
/// from one tick's map into the next's).
#[derive(Debug)]
pub struct Tracker {
    seq: u64,
    live: Map<Identity, Live>,
    /// Sockets gone, with when they went, kept for [`Tracker::retained_gone`].
    gone: Vec<(Timestamp, TrackedEntry)>,
    retention: u64,
    /// The live sockets by what a destroy event names them by (and, following cookies, by
    /// what a scan of a socket that lost its inode names it by).
    by_event: Map<EventKey, Identity>,
    /// The live sockets by where they are: how an event finds that a socket it tells of
    /// is known, and a scan the socket an event told of.
    by_place: Map<Place, Identity>,
    /// Sockets destroy events reported: not to be reported again, by scan or event.
    tombstones: Set<EventKey>,
    /// Sockets the last scan reported gone: a destroy event about one comes late.
    scan_gone: Set<EventKey>,
    /// Whether a socket is followed by its cookie when it loses its inode (see
    /// [`Tracker::following_cookies`]).
    cookies: bool,
}

/// Files `identity` under the keys of `entry`.
fn index(
    by_event: &mut Map<EventKey, Identity>,
    by_place: &mut Map<Place, Identity>,
    identity: &Identity,
    entry: &PortEntry,
) {
    by_event.insert(EventKey::of(entry), identity.clone());
    by_place.insert(Place::of(entry), identity.clone());
}

/// Takes the keys of `entry` off, where they still name `identity` (another socket may
/// have taken one since: the last one listed under a key is the one it names).
fn unindex(
    by_event: &mut Map<EventKey, Identity>,
    by_place: &mut Map<Place, Identity>,
    identity: &Identity,
    entry: &PortEntry,
) {
    let key = EventKey::of(entry);
    if by_event.get(&key) == Some(identity) {
        by_event.remove(&key);
    }
    let place = Place::of(entry);
    if by_place.get(&place) == Some(identity) {
        by_place.remove(&place);
    }
}

/// Takes in `entry`, scan `seq`'s listing of the socket `live` remembers, and returns its
/// `unchanged` record.
fn refresh(live: &mut Live, mut entry: PortEntry, seq: u64, now: Timestamp) -> Change {
    // A socket whose file closed while it lingers (an orphan in FIN_WAIT or LAST_ACK,
    // followed by its cookie) has no inode any more; it is still the socket earlier
    // records named by that inode, which is what consumers key a socket by.
    if entry.inode == 0
        && live.entry.inode != 0
        && entry.cookie.is_some()
        && entry.cookie == live.entry.cookie
    {
        entry.inode = live.entry.inode;
    }
    let state_changed = live.entry.state != entry.state;
    let owners_changed = live.entry.pids != entry.pids;
    // Most sockets are as the last scan listed them: comparing costs a few loads where
    // copying would allocate each string again.
    if live.entry != entry {
        live.entry.clone_from(&entry);
    }
    live.seen = seq;
    live.event_born = false;
    Change {
        record: TrackedEntry {
            entry,
            status: Status::Unchanged,
            first_seen: Some(live.first_seen),
            seq,
            ts: now,
            rates: None,
            source: None,
        },
        state_changed,
        owners_changed,
    }
}

impl Tracker {
    /// A tracker that keeps gone sockets for `retention_secs` seconds for display.
    #[must_use]
    pub fn new(retention_secs: u64) -> Tracker {
        Tracker {
            seq: 0,
            live: Map::default(),
            gone: Vec::new(),
            retention: retention_secs,
            by_event: Map::default(),
            by_place: Map::default(),
            tombstones: Set::default(),
            scan_gone: Set::default(),
            cookies: false,
        }
    }

    /// The same tracker, following a socket by its cookie when its file closes and it
    /// lingers without an inode (an orphan in FIN_WAIT, LAST_ACK): one socket, whose state
    /// changed, rather than one gone and another new. For a watch fed destroy events, which
    /// end a socket by its cookie: without this a connection closing under a scan would be
    /// gone twice, once as its inode and once as its remnant.
    #[must_use]
    pub fn following_cookies(mut self) -> Tracker {
        self.cookies = true;
        self
    }

    /// Takes in one scan made at `now`. Returns every socket of the scan (new or unchanged)
    /// in its order, then the sockets gone since the previous scan, all with the new `seq`.
    pub fn observe(&mut self, entries: Vec<PortEntry>, now: Timestamp) -> Vec<Change> {
        let mut pass = self.begin_scan();
        let mut changes = Vec::with_capacity(entries.len());
        self.observe_part(&mut pass, entries, now, &mut changes);
        self.end_scan(pass, now, &mut changes);
        changes
    }

    /// Starts taking in a scan a part at a time ([`Tracker::observe_part`], then
    /// [`Tracker::end_scan`]): what [`Tracker::observe`] does in one call, for a caller that
    /// makes the scan's records a block at a time and lets each go once written.
    pub fn begin_scan(&mut self) -> ScanPass {
        self.seq += 1;
        ScanPass {
            seq: self.seq,
            still_listed: Set::default(),
        }
    }

    /// Takes in the next records of the scan `pass` began, adding a change for each to
    /// `changes` (new or unchanged).
    pub fn observe_part(
        &mut self,
        pass: &mut ScanPass,
        entries: impl IntoIterator<Item = PortEntry>,
        now: Timestamp,
        changes: &mut Vec<Change>,
    ) {
        let seq = pass.seq;
        // A destroyed socket's remnant (TIME_WAIT, which has no inode) is not reported: its
        // cookie and addresses stay tombstones while scans list it. The remnant keeps the
        // socket's cookie only when one was made before it (a dump asked), so the addresses
        // serve too. Addresses of a socket with an inode are a tombstone only until this
        // scan, as another socket may take them.
        let still_listed = &mut pass.still_listed;
        for entry in entries {
            let identity = Identity::of(&entry);
            if let Some(live) = self.live.get_mut(&identity) {
                if live.seen == seq {
                    continue; // the same socket twice in one scan: keep the first
                }
                if live.entry.cookie != entry.cookie || Place::of(&live.entry) != Place::of(&entry)
                {
                    unindex(
                        &mut self.by_event,
                        &mut self.by_place,
                        &identity,
                        &live.entry,
                    );
                    index(&mut self.by_event, &mut self.by_place, &identity, &entry);
                }
                changes.push(refresh(live, entry, seq, now));
                continue;
            }
            // Only a socket the consumer does not hold as live is suppressed: one it does
            // (a remnant reported before another connection took its addresses) goes on,
            // to be reported gone in its turn.
            if !self.tombstones.is_empty() {
                let cookie = entry
                    .cookie
                    .map(EventKey::Cookie)
                    .filter(|key| self.tombstones.contains(key));
                let tuple = (entry.cookie.is_none() || entry.inode == 0)
                    .then(|| EventKey::tuple(&entry))
                    .filter(|key| self.tombstones.contains(key));
                if cookie.is_some() || tuple.is_some() {
                    // An event reported it gone: what the scan saw was from before that,
                    // or its remnant.
                    still_listed.extend(cookie);
                    still_listed.extend(tuple.filter(|_| entry.inode == 0));
                    continue;
                }
            }
            if let Some((before, mut live)) = self.followed(&entry, seq) {
                // The same socket under another identity: re-filed under this one.
                unindex(&mut self.by_event, &mut self.by_place, &before, &live.entry);
                index(&mut self.by_event, &mut self.by_place, &identity, &entry);
                changes.push(refresh(&mut live, entry, seq, now));
                self.live.insert(identity, live);
                continue;
            }
            index(&mut self.by_event, &mut self.by_place, &identity, &entry);
            self.live.insert(
                identity,
                Live {
                    first_seen: now,
                    entry: entry.clone(),
                    seen: seq,
                    event_born: false,
                },
            );
            changes.push(Change {
                record: TrackedEntry {
                    entry,
                    status: Status::New,
                    first_seen: Some(now),
                    seq,
                    ts: now,
                    rates: None,
                    source: None,
                },
                state_changed: false,
                owners_changed: false,
            });
        }
    }

    /// Ends the scan `pass` began: adds to `changes` the sockets gone since the previous
    /// one.
    pub fn end_scan(&mut self, pass: ScanPass, now: Timestamp, changes: &mut Vec<Change>) {
        let seq = pass.seq;
        self.tombstones = pass.still_listed;
        self.gone
            .retain(|(when, _)| when.until(now).as_secs() < self.retention);
        self.scan_gone.clear();
        for (identity, before) in self.live.extract_if(|_, live| !live.kept_after(seq)) {
            unindex(
                &mut self.by_event,
                &mut self.by_place,
                &identity,
                &before.entry,
            );
            self.scan_gone.insert(EventKey::of(&before.entry));
            let record = TrackedEntry {
                entry: before.entry,
                status: Status::Gone,
                first_seen: Some(before.first_seen),
                seq,
                ts: now,
                rates: None,
                // What it says came from the event that told of it, when no scan listed it.
                source: before.event_born.then_some(Source::Event),
            };
            self.gone.push((now, record.clone()));
            changes.push(Change {
                record,
                state_changed: false,
                owners_changed: false,
            });
        }
    }

    /// The live socket that `entry`, which scan `seq` lists under an identity the tracker
    /// does not hold, was known as before, taken out of the table: by its cookie, when it
    /// lost its inode and cookies are followed; or, when an event told of it before any
    /// scan listed it, by where it is. Only one no scan has listed yet in this scan.
    fn followed(&mut self, entry: &PortEntry, seq: u64) -> Option<(Identity, Live)> {
        let by_cookie = entry
            .cookie
            .filter(|_| self.cookies)
            .and_then(|cookie| self.by_event.get(&EventKey::Cookie(cookie)))
            .filter(|identity| {
                self.live
                    .get(*identity)
                    .is_some_and(|live| live.seen != seq)
            });
        let before = by_cookie
            .or_else(|| {
                self.by_place
                    .get(&Place::of(entry))
                    .filter(|identity| self.live.get(*identity).is_some_and(|live| live.event_born))
            })?
            .clone();
        let live = self.live.remove(&before)?;
        Some((before, live))
    }

    /// Takes in a socket the kernel told of as it began at `now` (a connection or a
    /// listener, from the `sock:inet_sock_set_state` tracepoint), before any scan lists it:
    /// `entry` has its addresses, namespace and owner, no inode and no cookie. Returns its
    /// `new` record (`first_seen` now, the last scan's `seq`, source `event`), or `None`
    /// when a live socket at the same place (namespace, protocol, local and remote
    /// address) is known already, from a scan or an earlier event: one socket is new once.
    ///
    /// The scan that lists it (with its inode and cookie) takes it over as `unchanged`,
    /// `first_seen` kept; a destroy event at its place makes its `gone` record. A socket
    /// no scan lists is gone at the scan after next: the next one's dump may have started
    /// before the event.
    pub fn began(&mut self, entry: PortEntry, now: Timestamp) -> Option<TrackedEntry> {
        let identity = Identity::of(&entry);
        if self.by_place.contains_key(&Place::of(&entry)) || self.live.contains_key(&identity) {
            return None;
        }
        // Its end was reported already (a destroy event read before the beginning came
        // out): never a `new` after the socket's own `gone`.
        if self.tombstones.contains(&EventKey::tuple(&entry)) {
            return None;
        }
        index(&mut self.by_event, &mut self.by_place, &identity, &entry);
        self.live.insert(
            identity,
            Live {
                first_seen: now,
                entry: entry.clone(),
                seen: self.seq,
                event_born: true,
            },
        );
        Some(TrackedEntry {
            entry,
            status: Status::New,
            first_seen: Some(now),
            seq: self.seq,
            ts: now,
            rates: None,
            source: Some(Source::Event),
        })
    }

    /// Takes in a socket the kernel reported destroyed at `now` (`destroyed`: what the
    /// event says, with its namespace, cookie and final counters), and returns its `gone`
    /// record, made from what the scans knew of it (owner, `first_seen`) with the event's
    /// state and counters; or, for a socket no scan saw, from the event alone with
    /// `first_seen` null. `None` when it was reported already: by an earlier event, or gone
    /// in the last scan. The record's `seq` is the last scan's; it leaves the table, so the
    /// next scan does not report it gone again. A socket no scan saw joins the recently
    /// gone only when the caller reports it ([`Tracker::remember_gone`]).
    pub fn destroyed(&mut self, destroyed: PortEntry, now: Timestamp) -> Option<TrackedEntry> {
        let cookie = destroyed.cookie.map(EventKey::Cookie);
        let tuple = EventKey::tuple(&destroyed);
        let keys = || cookie.iter().chain(std::iter::once(&tuple));
        // A second event about one socket: by its cookie, where it has one (another socket
        // may have had the same addresses since).
        let primary = cookie.as_ref().unwrap_or(&tuple);
        if self.tombstones.contains(primary) || keys().any(|key| self.scan_gone.contains(key)) {
            return None;
        }
        self.tombstones.extend(keys().cloned());
        let known = keys()
            .find_map(|key| self.by_event.get(key))
            .cloned()
            .and_then(|identity| Some((self.live.remove(&identity)?, identity)));
        let record = match known {
            Some((
                Live {
                    first_seen, entry, ..
                },
                identity,
            )) => {
                unindex(&mut self.by_event, &mut self.by_place, &identity, &entry);
                TrackedEntry {
                    entry: PortEntry {
                        state: destroyed.state,
                        traffic: destroyed.traffic,
                        recv_q: None,
                        send_q: None,
                        ..entry
                    },
                    status: Status::Gone,
                    first_seen: Some(first_seen),
                    seq: self.seq,
                    ts: now,
                    rates: None,
                    source: Some(Source::Event),
                }
            }
            None => TrackedEntry {
                entry: destroyed,
                status: Status::Gone,
                first_seen: None,
                seq: self.seq,
                ts: now,
                rates: None,
                source: Some(Source::Event),
            },
        };
        // A socket no scan saw is kept for display only when the caller reports it
        // ([`Tracker::remember_gone`]): its options may not want it.
        if record.first_seen.is_some() {
            self.gone.push((now, record.clone()));
        }
        Some(record)
    }

    /// Keeps `record`, a socket [`Tracker::destroyed`] reported that no scan saw, among
    /// the recently gone ([`Tracker::retained_gone`]) from `now`: the caller reports it.
    pub fn remember_gone(&mut self, record: &TrackedEntry, now: Timestamp) {
        self.gone.push((now, record.clone()));
    }

    /// Sockets gone within the retention time before `now`, most recent last.
    #[must_use]
    pub fn retained_gone(&self, now: Timestamp) -> Vec<&TrackedEntry> {
        self.gone
            .iter()
            .filter(|(when, _)| when.until(now).as_secs() < self.retention)
            .map(|(_, record)| record)
            .collect()
    }

    /// The number of the last scan observed (0 before the first).
    #[must_use]
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// How many sockets are live after the last scan.
    #[must_use]
    pub fn live_count(&self) -> usize {
        self.live.len()
    }
}

/// Whether something listens on a watched port, as `prt watch PORT...` reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PortEvent {
    /// The watched port.
    pub port: u16,
    /// `up` when a TCP socket listens or a UDP socket is bound there, else `down`.
    pub status: PortStatus,
    /// Protocol of the listener.
    pub proto: Option<Proto>,
    /// Owning pid of the listener, when visible.
    pub pid: Option<u32>,
    /// Its process name.
    pub process: Option<std::sync::Arc<str>>,
    /// When the port entered this status (first observation: when first seen so).
    pub since: Timestamp,
    /// Time of the scan that saw it.
    pub ts: Timestamp,
}

/// Up or down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PortStatus {
    /// Something listens.
    Up,
    /// Nothing listens.
    Down,
}

/// The UP/DOWN monitor over a set of ports. Up means a TCP LISTEN or bound UDP socket on
/// the port — never a connection whose ephemeral local port happens to be that number.
#[derive(Debug)]
pub struct PortWatch {
    current: Vec<PortEvent>,
    started: bool,
}

impl PortWatch {
    /// A monitor of `ports` (duplicates are watched once).
    #[must_use]
    pub fn new(mut ports: Vec<u16>) -> PortWatch {
        ports.sort_unstable();
        ports.dedup();
        let now = Timestamp::from_unix(0);
        PortWatch {
            current: ports
                .into_iter()
                .map(|port| PortEvent {
                    port,
                    status: PortStatus::Down,
                    proto: None,
                    pid: None,
                    process: None,
                    since: now,
                    ts: now,
                })
                .collect(),
            started: false,
        }
    }

    /// Takes in one scan; returns the ports whose status changed (all of them the first
    /// time, as their initial status).
    pub fn observe(&mut self, entries: &[PortEntry], now: Timestamp) -> Vec<PortEvent> {
        let first = !self.started;
        self.started = true;
        let mut events = Vec::new();
        for watched in &mut self.current {
            let listener = entries
                .iter()
                .filter(|e| e.local_port == watched.port && e.state.is_listening())
                .min_by_key(|e| (e.pid.is_none(), e.proto, e.pid));
            let status = if listener.is_some() {
                PortStatus::Up
            } else {
                PortStatus::Down
            };
            let changed = first || status != watched.status;
            if changed {
                watched.since = now;
            }
            watched.status = status;
            watched.proto = listener.map(|e| e.proto);
            watched.pid = listener.and_then(|e| e.pid);
            watched.process = listener.and_then(|e| e.process.clone());
            watched.ts = now;
            if changed {
                events.push(watched.clone());
            }
        }
        events
    }

    /// The status of every watched port after the last scan, in port order.
    #[must_use]
    pub fn ports(&self) -> &[PortEvent] {
        &self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::State;

    fn socket(port: u16, state: State) -> PortEntry {
        PortEntry {
            proto: Proto::Tcp,
            local_addr: "127.0.0.1".parse().expect("literal"),
            local_port: port,
            remote_addr: None,
            remote_port: None,
            state,
            inode: u64::from(port),
            uid: Some(0),
            pid: Some(10),
            pids: vec![10],
            process: Some("x".into()),
            cmdline: None,
            user: None,
            ppid: None,
            started: None,
            service: None,
            suspicious: vec![],
            container: None,
            netns: Some(1),
            interface: None,
            recv_q: Some(0),
            send_q: Some(0),
            traffic: None,
            cookie: None,
        }
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_unix(1_800_000_000 + secs)
    }

    fn summary(changes: &[Change]) -> Vec<(u16, Status, bool)> {
        changes
            .iter()
            .map(|c| (c.record.entry.local_port, c.record.status, c.state_changed))
            .collect()
    }

    #[test]
    fn new_unchanged_gone_with_first_seen_carried() {
        let mut tracker = Tracker::new(5);
        let first = tracker.observe(vec![socket(22, State::Listen)], at(0));
        assert_eq!(summary(&first), [(22, Status::New, false)]);
        assert_eq!(first[0].record.seq, 1);

        let second = tracker.observe(
            vec![socket(22, State::Listen), socket(80, State::Listen)],
            at(2),
        );
        assert_eq!(
            summary(&second),
            [(22, Status::Unchanged, false), (80, Status::New, false)]
        );
        assert_eq!(second[0].record.first_seen, Some(at(0)));
        assert_eq!(second[1].record.first_seen, Some(at(2)));
        assert!(
            second
                .iter()
                .all(|c| c.record.seq == 2 && c.record.ts == at(2))
        );

        let third = tracker.observe(vec![socket(80, State::Listen)], at(4));
        assert_eq!(
            summary(&third),
            [(80, Status::Unchanged, false), (22, Status::Gone, false)]
        );
        assert_eq!(
            third[1].record.first_seen,
            Some(at(0)),
            "gone keeps first_seen"
        );
        assert_eq!(third[1].record.seq, 3);
        assert_eq!(tracker.live_count(), 1);
    }

    #[test]
    fn a_state_change_is_the_same_socket() {
        let mut tracker = Tracker::new(5);
        tracker.observe(vec![socket(5000, State::SynSent)], at(0));
        let next = tracker.observe(vec![socket(5000, State::Established)], at(1));
        assert_eq!(summary(&next), [(5000, Status::Unchanged, true)]);
        assert_eq!(next[0].record.first_seen, Some(at(0)));
        assert!(next[0].is_reportable());
        let again = tracker.observe(vec![socket(5000, State::Established)], at(2));
        assert!(!again[0].is_reportable());
    }

    // See: issue 14 — one socket reported new and gone at once when its owners changed.
    #[test]
    fn a_new_owner_is_a_change_of_the_same_socket() {
        let mut tracker = Tracker::new(5);
        tracker.observe(vec![socket(22, State::Listen)], at(0));
        // A reload: the master stays, new workers at lower pids hold the listener.
        let mut reloaded = socket(22, State::Listen);
        reloaded.pids = vec![7, 8, 10];
        let next = tracker.observe(vec![reloaded.clone()], at(1));
        assert_eq!(summary(&next), [(22, Status::Unchanged, false)]);
        assert!(next[0].owners_changed && next[0].is_reportable());
        assert_eq!(next[0].record.first_seen, Some(at(0)));
        // The owner invisible for a tick (the walk missed it while the socket closed).
        let mut ownerless = reloaded;
        ownerless.pid = None;
        ownerless.pids = vec![];
        ownerless.process = None;
        let next = tracker.observe(vec![ownerless], at(2));
        assert_eq!(summary(&next), [(22, Status::Unchanged, false)]);
        let next = tracker.observe(vec![], at(3));
        assert_eq!(summary(&next), [(22, Status::Gone, false)]);
    }

    #[test]
    fn a_new_inode_is_a_new_socket_and_no_inode_means_the_tuple() {
        // A scanned socket at the place of one already scanned is another socket: only
        // one first known from an event is taken over by its place.
        let mut tracker = Tracker::new(5);
        tracker.observe(vec![socket(22, State::Listen)], at(0));
        let mut replaced = socket(22, State::Listen);
        replaced.inode = 99;
        let next = tracker.observe(vec![replaced], at(1));
        assert_eq!(
            summary(&next),
            [(22, Status::New, false), (22, Status::Gone, false)]
        );
        // TIME_WAIT has no inode: the same addresses are the same socket.
        let mut tracker = Tracker::new(5);
        let mut closing = socket(40000, State::FinWait2);
        closing.inode = 0;
        closing.pid = None;
        closing.pids = vec![];
        tracker.observe(vec![closing.clone()], at(0));
        closing.state = State::TimeWait;
        let next = tracker.observe(vec![closing.clone()], at(1));
        assert_eq!(summary(&next), [(40000, Status::Unchanged, true)]);
        closing.remote_port = Some(1);
        let next = tracker.observe(vec![closing], at(2));
        assert_eq!(
            summary(&next),
            [(40000, Status::New, false), (40000, Status::Gone, false)]
        );
    }

    #[test]
    fn ports_go_up_and_down_only_for_listeners() {
        let mut watch = PortWatch::new(vec![8080, 22, 8080]);
        let first = watch.observe(&[socket(22, State::Listen)], at(0));
        let initial: Vec<(u16, PortStatus)> = first.iter().map(|e| (e.port, e.status)).collect();
        assert_eq!(initial, [(22, PortStatus::Up), (8080, PortStatus::Down)]);
        assert_eq!(first[0].pid, Some(10));

        let mut client = socket(8080, State::Established);
        client.remote_addr = "127.0.0.1".parse().ok();
        client.remote_port = Some(5432);
        assert!(
            watch
                .observe(&[socket(22, State::Listen), client], at(1))
                .is_empty(),
            "an ephemeral port is not up"
        );

        let events = watch.observe(&[socket(8080, State::Listen)], at(2));
        let changes: Vec<(u16, PortStatus)> = events.iter().map(|e| (e.port, e.status)).collect();
        assert_eq!(changes, [(22, PortStatus::Down), (8080, PortStatus::Up)]);
        assert!(events.iter().all(|e| e.since == at(2)));
        assert_eq!(watch.ports()[1].since, at(2));
    }

    #[test]
    fn empty_scans_and_duplicates() {
        let mut tracker = Tracker::new(5);
        assert!(tracker.observe(vec![], at(0)).is_empty());
        let twice = tracker.observe(
            vec![socket(22, State::Listen), socket(22, State::Listen)],
            at(1),
        );
        assert_eq!(
            summary(&twice),
            [(22, Status::New, false)],
            "one socket listed twice is one"
        );
        let emptied = tracker.observe(vec![], at(2));
        assert_eq!(summary(&emptied), [(22, Status::Gone, false)]);
        assert!(
            tracker.observe(vec![], at(3)).is_empty(),
            "gone is reported once"
        );
        assert_eq!(tracker.seq(), 4);
    }

    /// A connection from 127.0.0.1:`port` to 127.0.0.1:80 with `cookie`.
    fn connection(port: u16, cookie: Option<u64>) -> PortEntry {
        let mut entry = socket(port, State::Established);
        entry.remote_addr = "127.0.0.1".parse().ok();
        entry.remote_port = Some(80);
        entry.cookie = cookie;
        entry
    }

    /// What a destroy event says of `entry`: no inode, no owner, final state and counters.
    fn destroyed(entry: &PortEntry) -> PortEntry {
        let mut event = entry.clone();
        event.inode = 0;
        event.pid = None;
        event.pids = vec![];
        event.process = None;
        event.state = State::Close;
        event.traffic = Some(crate::model::Traffic {
            bytes_sent: Some(100),
            ..Default::default()
        });
        event
    }

    #[test]
    fn a_destroyed_socket_a_scan_saw_is_gone_once_with_its_owner() {
        let mut tracker = Tracker::new(5);
        let open = connection(40000, Some(7));
        tracker.observe(vec![open.clone()], at(0));
        let gone = tracker
            .destroyed(destroyed(&open), at(1))
            .expect("a gone record");
        assert_eq!(gone.status, Status::Gone);
        assert_eq!(gone.source, Some(Source::Event));
        assert_eq!((gone.first_seen, gone.seq), (Some(at(0)), 1));
        assert_eq!((gone.entry.pid, gone.entry.inode), (Some(10), 40000));
        assert_eq!(gone.entry.state, State::Close);
        assert_eq!(gone.entry.traffic.and_then(|t| t.bytes_sent), Some(100));
        assert!(tracker.destroyed(destroyed(&open), at(1)).is_none(), "once");
        // The next scan neither reports it gone nor (its dump began before the close)
        // brings it back; nor its TIME_WAIT remnant, which keeps the cookie.
        let mut remnant = destroyed(&open);
        remnant.state = State::TimeWait;
        assert!(tracker.observe(vec![open], at(2)).is_empty());
        assert!(tracker.observe(vec![remnant.clone()], at(3)).is_empty());
        assert!(tracker.observe(vec![remnant], at(4)).is_empty());
        assert_eq!(tracker.retained_gone(at(4)).len(), 1);
    }

    #[test]
    fn a_socket_no_scan_saw_is_gone_with_first_seen_null() {
        let mut tracker = Tracker::new(5);
        tracker.observe(vec![], at(0));
        let event = destroyed(&connection(40001, Some(8)));
        let gone = tracker.destroyed(event.clone(), at(1)).expect("a record");
        assert_eq!((gone.first_seen, gone.entry.pid), (None, None));
        // Its remnant, whose cookie the kernel made afresh: known by its addresses.
        let mut remnant = event;
        remnant.cookie = Some(9);
        remnant.state = State::TimeWait;
        assert!(tracker.observe(vec![remnant], at(2)).is_empty());
        // Another connection on the same addresses later (a reused port) is reported.
        let again = destroyed(&connection(40001, Some(10)));
        assert!(tracker.destroyed(again, at(3)).is_some());
    }

    #[test]
    fn an_event_after_the_scan_reported_it_gone_is_not_reported() {
        let mut tracker = Tracker::new(5);
        let open = connection(40002, Some(11));
        tracker.observe(vec![open.clone()], at(0));
        let next = tracker.observe(vec![], at(1));
        assert_eq!(summary(&next), [(40002, Status::Gone, false)]);
        assert!(tracker.destroyed(destroyed(&open), at(1)).is_none());
    }

    // See: issue 16 — a remnant a scan reported stays live when a later connection on its
    // addresses is destroyed, and is reported gone in its turn, never new twice.
    #[test]
    fn a_live_remnant_is_not_hidden_by_a_later_connections_tombstone() {
        let mut tracker = Tracker::new(5);
        let mut remnant = destroyed(&connection(40005, Some(14)));
        remnant.state = State::TimeWait;
        let first = tracker.observe(vec![remnant.clone()], at(0));
        assert_eq!(summary(&first), [(40005, Status::New, false)]);
        // A new connection reuses the addresses and is destroyed between two scans.
        assert!(
            tracker
                .destroyed(destroyed(&connection(40005, Some(15))), at(1))
                .is_some()
        );
        let next = tracker.observe(vec![remnant], at(2));
        assert_eq!(summary(&next), [(40005, Status::Unchanged, false)]);
        let last = tracker.observe(vec![], at(3));
        assert_eq!(summary(&last), [(40005, Status::Gone, false)]);
    }

    #[test]
    fn without_cookies_the_addresses_match() {
        let mut tracker = Tracker::new(5);
        let open = connection(40003, None);
        tracker.observe(vec![open.clone()], at(0));
        let mut event = destroyed(&open);
        event.cookie = Some(12);
        let gone = tracker
            .destroyed(event, at(1))
            .expect("matched by addresses");
        assert_eq!(gone.first_seen, Some(at(0)));
        assert!(
            tracker.observe(vec![open], at(2)).is_empty(),
            "not new again"
        );
    }

    #[test]
    fn following_cookies_a_socket_that_lost_its_inode_is_the_same() {
        let mut tracker = Tracker::new(5).following_cookies();
        let open = connection(40004, Some(13));
        tracker.observe(vec![open.clone()], at(0));
        let mut orphan = open;
        orphan.inode = 0;
        orphan.state = State::FinWait2;
        let next = tracker.observe(vec![orphan.clone()], at(1));
        assert_eq!(summary(&next), [(40004, Status::Unchanged, true)]);
        // Its records keep the inode they named it by: one identity for consumers.
        assert_eq!(next[0].record.entry.inode, 40004);
        let again = tracker.observe(vec![orphan.clone()], at(2));
        assert_eq!(again[0].record.entry.inode, 40004);
        let gone = tracker.destroyed(destroyed(&orphan), at(3)).expect("gone");
        assert_eq!(gone.first_seen, Some(at(0)));
        assert_eq!(gone.entry.inode, 40004);
    }

    /// What the state tracepoint tells of `entry` as it begins: its addresses and owner,
    /// no inode, no cookie.
    fn began(entry: &PortEntry) -> PortEntry {
        let mut event = entry.clone();
        event.inode = 0;
        event.cookie = None;
        event
    }

    #[test]
    fn a_socket_an_event_told_of_is_new_once_and_a_scan_adopts_it() {
        let mut tracker = Tracker::new(5).following_cookies();
        tracker.observe(vec![], at(0));
        let mut open = connection(40010, Some(20));
        open.state = State::SynSent;
        let new = tracker.began(began(&open), at(1)).expect("a new record");
        assert_eq!(new.status, Status::New);
        assert_eq!((new.first_seen, new.seq), (Some(at(1)), 1));
        assert_eq!(new.source, Some(Source::Event));
        assert_eq!((new.entry.pid, new.entry.inode), (Some(10), 0));
        assert!(tracker.began(began(&open), at(1)).is_none(), "new once");
        assert_eq!(tracker.live_count(), 1);
        // The scan lists it with its inode and cookie, established by now: the same
        // socket, its state changed, not a second `new`.
        open.state = State::Established;
        let next = tracker.observe(vec![open.clone()], at(2));
        assert_eq!(summary(&next), [(40010, Status::Unchanged, true)]);
        assert_eq!(next[0].record.first_seen, Some(at(1)));
        assert!(!next[0].owners_changed);
        assert_eq!(tracker.live_count(), 1);
        // Filed under its cookie now: a destroy event finds it by that.
        let mut event = destroyed(&open);
        event.local_port = 1; // not by its addresses
        let gone = tracker.destroyed(event, at(3)).expect("found by cookie");
        assert_eq!((gone.first_seen, gone.entry.inode), (Some(at(1)), 40010));
        assert_eq!(tracker.live_count(), 0);
        assert!(tracker.observe(vec![], at(4)).is_empty(), "gone once");
    }

    #[test]
    fn an_event_about_a_socket_a_scan_listed_is_not_new() {
        let mut tracker = Tracker::new(5);
        let listener = socket(8080, State::Listen);
        let open = connection(40011, Some(21));
        tracker.observe(vec![listener.clone(), open.clone()], at(0));
        assert!(tracker.began(began(&listener), at(1)).is_none());
        assert!(tracker.began(began(&open), at(1)).is_none());
        // Once the scan reports the connection gone, a new one at its place is new.
        tracker.observe(vec![listener], at(2));
        assert!(tracker.began(began(&open), at(3)).is_some());
    }

    #[test]
    fn a_socket_an_event_told_of_is_destroyed_by_its_place_with_its_owner() {
        let mut tracker = Tracker::new(5).following_cookies();
        tracker.observe(vec![], at(0));
        let open = connection(40012, Some(22));
        tracker.began(began(&open), at(1)).expect("new");
        let gone = tracker
            .destroyed(destroyed(&open), at(2))
            .expect("matched by addresses");
        assert_eq!(gone.status, Status::Gone);
        assert_eq!((gone.first_seen, gone.entry.pid), (Some(at(1)), Some(10)));
        assert_eq!(gone.entry.state, State::Close);
        assert_eq!(tracker.live_count(), 0);
        assert!(tracker.destroyed(destroyed(&open), at(2)).is_none(), "once");
        // A scan whose dump began before the close lists it: not new again, nor gone.
        assert!(tracker.observe(vec![open], at(3)).is_empty());
        assert!(tracker.observe(vec![], at(4)).is_empty());
        assert_eq!(tracker.retained_gone(at(4)).len(), 1);
    }

    #[test]
    fn a_socket_an_event_told_of_that_no_scan_lists_is_gone_at_the_scan_after_next() {
        let mut tracker = Tracker::new(5);
        tracker.observe(vec![], at(0));
        let listener = socket(8081, State::Listen);
        tracker.began(began(&listener), at(1)).expect("new");
        // The next scan's dump may have begun before the event.
        assert!(tracker.observe(vec![], at(2)).is_empty());
        let next = tracker.observe(vec![], at(3));
        assert_eq!(summary(&next), [(8081, Status::Gone, false)]);
        assert_eq!(next[0].record.first_seen, Some(at(1)));
        assert_eq!(next[0].record.entry.pid, Some(10));
        // What it says (an owner without an inode) is the event's.
        assert_eq!(next[0].record.source, Some(Source::Event));
        assert_eq!(tracker.live_count(), 0);
        assert!(tracker.observe(vec![], at(4)).is_empty(), "gone once");
    }

    #[test]
    fn a_socket_an_event_told_of_is_adopted_by_the_scan_after_next_too() {
        let mut tracker = Tracker::new(5);
        tracker.observe(vec![], at(0));
        let listener = socket(8082, State::Listen);
        tracker.began(began(&listener), at(1)).expect("new");
        assert!(tracker.observe(vec![], at(2)).is_empty());
        let next = tracker.observe(vec![listener.clone()], at(3));
        assert_eq!(summary(&next), [(8082, Status::Unchanged, false)]);
        assert_eq!(next[0].record.first_seen, Some(at(1)));
        // Adopted, it is a scanned socket: gone at the first scan that misses it.
        let next = tracker.observe(vec![], at(4));
        assert_eq!(summary(&next), [(8082, Status::Gone, false)]);
    }

    #[test]
    fn a_socket_whose_keys_change_is_found_by_the_new_ones() {
        let mut tracker = Tracker::new(5);
        // Bound, then connected: the same inode at another place, no cookie (/proc/net).
        let mut open = connection(40013, None);
        open.remote_addr = None;
        open.remote_port = None;
        tracker.observe(vec![open.clone()], at(0));
        open.remote_addr = "127.0.0.1".parse().ok();
        open.remote_port = Some(80);
        let next = tracker.observe(vec![open.clone()], at(1));
        assert_eq!(summary(&next), [(40013, Status::Unchanged, false)]);
        assert!(
            tracker.began(began(&open), at(2)).is_none(),
            "known at its place"
        );
        let gone = tracker
            .destroyed(destroyed(&open), at(2))
            .expect("found at its new place");
        assert_eq!(gone.first_seen, Some(at(0)));
        // A cookie it gains later is what finds it then.
        let mut tracker = Tracker::new(5);
        let mut open = connection(40014, None);
        tracker.observe(vec![open.clone()], at(0));
        open.cookie = Some(23);
        tracker.observe(vec![open.clone()], at(1));
        let mut event = destroyed(&open);
        event.local_port = 1;
        assert!(
            tracker
                .destroyed(event, at(2))
                .is_some_and(|g| g.first_seen == Some(at(0)))
        );
    }

    #[test]
    fn a_steady_scan_keeps_what_changed_and_first_seen() {
        let mut tracker = Tracker::new(5);
        let mut listener = socket(8084, State::Listen);
        tracker.observe(vec![listener.clone()], at(0));
        listener.recv_q = Some(3);
        tracker.observe(vec![listener.clone()], at(1));
        let next = tracker.observe(vec![], at(2));
        assert_eq!(summary(&next), [(8084, Status::Gone, false)]);
        assert_eq!(
            next[0].record.entry.recv_q,
            Some(3),
            "the last scan's record"
        );
        assert_eq!(next[0].record.first_seen, Some(at(0)));
    }

    #[test]
    fn an_unseen_socket_is_among_the_recently_gone_only_once_the_caller_reports_it() {
        let mut tracker = Tracker::new(5);
        tracker.observe(vec![], at(0));
        let mut unseen = socket(40000, State::Established);
        unseen.pid = None;
        unseen.pids.clear();
        let record = tracker
            .destroyed(destroyed(&unseen), at(1))
            .expect("a gone record");
        assert_eq!(record.first_seen, None);
        assert!(tracker.retained_gone(at(1)).is_empty(), "not asked for");
        tracker.remember_gone(&record, at(1));
        assert_eq!(tracker.retained_gone(at(1)).len(), 1);
    }

    #[test]
    fn gone_sockets_are_retained_for_the_retention_time() {
        let mut tracker = Tracker::new(5);
        tracker.observe(vec![socket(22, State::Listen)], at(0));
        tracker.observe(vec![], at(1));
        assert_eq!(tracker.retained_gone(at(1)).len(), 1);
        assert_eq!(tracker.retained_gone(at(5)).len(), 1);
        assert_eq!(tracker.retained_gone(at(6)).len(), 0);
        tracker.observe(vec![], at(7));
        assert!(
            tracker.gone.is_empty(),
            "expired entries are dropped, memory stays flat"
        );
    }
}
