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
//!
//! Memory. A watch keeps a record of every live socket from tick to tick, so at 100,000
//! sockets the tracker is most of a watch's footprint, and its bytes per socket are what
//! count. A record keeps the socket's own fields (`Kept`, 144 bytes where a [`PortEntry`]
//! takes 376); what its process says (pids, names, command line) is one `Facts` shared
//! by all the sockets of that process. The records sit in one dense vector (`Slots`, 176
//! bytes a socket), and the four lookup tables (by identity, by cookie, by place) hold
//! 4-byte slot numbers rather than keys: 5 bytes a bucket, about 7 a socket each, so one
//! grows by copying a few hundred KiB instead of holding two copies of a table of records.
//! Measured with 100,000 established loopback sockets, `prt watch --ndjson`: `HashMap`s of
//! identities to whole records and of keys to identities took about 1,300 bytes a socket
//! at the peak (the record table's old copy while it grew was a third of that), a 174 MiB
//! peak RSS; these take about 200, a 55 MiB peak (of which the scan's list of sockets is
//! about 20 MB).

use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;
use std::net::IpAddr;
use std::sync::Arc;

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;

use crate::hashing::{RandomState, Set};
use crate::model::{PortEntry, Proto, Source, State, Status, Timestamp, TrackedEntry, Traffic};

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
        Identity::at(Place::of(entry), entry.inode)
    }

    /// The identity of the socket at `place` with `inode` (0: none).
    fn at(place: Place, inode: u64) -> Identity {
        if inode == 0 {
            Identity::Tuple {
                netns: place.netns,
                proto: place.proto,
                local: place.local,
                remote: place.remote,
            }
        } else {
            Identity::Socket {
                netns: place.netns,
                proto: place.proto,
                inode,
            }
        }
    }
}

/// Where a socket is: what a socket without an inode is known by, and how a scan's socket
/// is matched to one first known from an event or a destroy event without a cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Place {
    /// Network namespace.
    netns: Option<u64>,
    /// Protocol.
    proto: Proto,
    /// Local address and port.
    local: (IpAddr, u16),
    /// Peer address and port.
    remote: (Option<IpAddr>, Option<u16>),
}

impl Place {
    /// Where `entry` is.
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
    /// The key a socket at `place` with `cookie` is found by: its cookie, else its place.
    fn at(place: Place, cookie: Option<u64>) -> EventKey {
        cookie.map_or(EventKey::Tuple(place), EventKey::Cookie)
    }

    /// The key of `entry`'s place.
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
    /// The scan's number.
    seq: u64,
    /// Tombstones a record of this scan showed are still listed.
    still_listed: Set<EventKey>,
}

/// What a record says beyond the socket itself: its holders and their facts, and what
/// enrichment added. All the sockets of one process (a server's 100,000 connections) say
/// the same, so the tracker keeps one copy ([`FactsSet`]) rather than one per socket.
/// The fields are [`PortEntry`]'s of the same names.
#[derive(Debug)]
struct Facts {
    pid: Option<u32>,
    pids: Vec<u32>,
    process: Option<Arc<str>>,
    cmdline: Option<Arc<str>>,
    user: Option<Arc<str>>,
    ppid: Option<u32>,
    started: Option<Timestamp>,
    service: Option<Arc<str>>,
    suspicious: Vec<String>,
    container: Option<Arc<str>>,
    interface: Option<Arc<str>>,
    traffic: Option<Traffic>,
}

impl Facts {
    /// The facts `entry` says.
    fn of(entry: &PortEntry) -> Facts {
        Facts {
            pid: entry.pid,
            pids: entry.pids.clone(),
            process: entry.process.clone(),
            cmdline: entry.cmdline.clone(),
            user: entry.user.clone(),
            ppid: entry.ppid,
            started: entry.started,
            service: entry.service.clone(),
            suspicious: entry.suspicious.clone(),
            container: entry.container.clone(),
            interface: entry.interface.clone(),
            traffic: entry.traffic,
        }
    }

    /// Whether `entry` says these facts.
    fn same(&self, entry: &PortEntry) -> bool {
        self.pid == entry.pid
            && self.pids == entry.pids
            && self.process == entry.process
            && self.cmdline == entry.cmdline
            && self.user == entry.user
            && self.ppid == entry.ppid
            && self.started == entry.started
            && self.service == entry.service
            && self.suspicious == entry.suspicious
            && self.container == entry.container
            && self.interface == entry.interface
            && self.traffic == entry.traffic
    }
}

/// The hash of facts with these holders and service: the holders tell processes apart,
/// and the texts follow from them, so hashing those too would only cost time.
fn hash_facts(
    seed: &RandomState,
    pid: Option<u32>,
    pids: &[u32],
    started: Option<Timestamp>,
    service: Option<&str>,
) -> u64 {
    seed.hash_one((pid, pids, started, service))
}

/// One shared copy of each [`Facts`] the live records hold.
#[derive(Debug, Default)]
struct FactsSet {
    /// The facts, hashed by [`hash_facts`].
    table: HashTable<Arc<Facts>>,
    /// Seed of the hashes.
    seed: RandomState,
}

impl FactsSet {
    /// The shared copy of `entry`'s facts, made on first use: only a process not seen
    /// before has its facts copied out of `entry`.
    fn intern(&mut self, entry: &PortEntry) -> Arc<Facts> {
        let seed = &self.seed;
        let hash = hash_facts(
            seed,
            entry.pid,
            &entry.pids,
            entry.started,
            entry.service.as_deref(),
        );
        let rehash = |facts: &Arc<Facts>| {
            hash_facts(
                seed,
                facts.pid,
                &facts.pids,
                facts.started,
                facts.service.as_deref(),
            )
        };
        match self.table.entry(hash, |facts| facts.same(entry), rehash) {
            Entry::Occupied(found) => Arc::clone(found.get()),
            Entry::Vacant(room) => Arc::clone(room.insert(Arc::new(Facts::of(entry))).get()),
        }
    }

    /// Lets go of the facts no live record holds any more.
    fn prune(&mut self) {
        self.table.retain(|facts| Arc::strong_count(facts) > 1);
    }

    /// How many are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.table.len()
    }
}

/// A live socket's record as the tracker keeps it: the socket's own fields, its process's
/// shared ([`Facts`]). A third of a [`PortEntry`]'s size, and no allocation of its own.
/// The fields are [`PortEntry`]'s of the same names.
#[derive(Debug)]
struct Kept {
    /// Namespace, protocol, addresses.
    place: Place,
    state: State,
    inode: u64,
    uid: Option<u32>,
    recv_q: Option<u64>,
    send_q: Option<u64>,
    cookie: Option<u64>,
    /// What its process says, shared with the process's other sockets.
    facts: Arc<Facts>,
}

impl Kept {
    /// The record of `entry`, its facts shared through `facts`.
    fn new(facts: &mut FactsSet, entry: &PortEntry) -> Kept {
        Kept {
            place: Place::of(entry),
            state: entry.state,
            inode: entry.inode,
            uid: entry.uid,
            recv_q: entry.recv_q,
            send_q: entry.send_q,
            cookie: entry.cookie,
            facts: facts.intern(entry),
        }
    }

    /// Whether `entry` says what this record says.
    fn same(&self, entry: &PortEntry) -> bool {
        self.place == Place::of(entry)
            && self.state == entry.state
            && self.inode == entry.inode
            && self.uid == entry.uid
            && self.recv_q == entry.recv_q
            && self.send_q == entry.send_q
            && self.cookie == entry.cookie
            && self.facts.same(entry)
    }

    /// The whole record again.
    fn entry(&self) -> PortEntry {
        let facts = &*self.facts;
        PortEntry {
            proto: self.place.proto,
            local_addr: self.place.local.0,
            local_port: self.place.local.1,
            remote_addr: self.place.remote.0,
            remote_port: self.place.remote.1,
            state: self.state,
            inode: self.inode,
            uid: self.uid,
            pid: facts.pid,
            pids: facts.pids.clone(),
            process: facts.process.clone(),
            cmdline: facts.cmdline.clone(),
            user: facts.user.clone(),
            ppid: facts.ppid,
            started: facts.started,
            service: facts.service.clone(),
            suspicious: facts.suspicious.clone(),
            container: facts.container.clone(),
            netns: self.place.netns,
            interface: facts.interface.clone(),
            recv_q: self.recv_q,
            send_q: self.send_q,
            traffic: facts.traffic,
            cookie: self.cookie,
        }
    }

    /// The key a destroy event finds it by.
    fn event_key(&self) -> EventKey {
        EventKey::at(self.place, self.cookie)
    }
}

/// What the tracker remembers of a live socket.
#[derive(Debug)]
struct Live {
    /// When it was first seen: its records' `first_seen`.
    first_seen: Timestamp,
    /// What the last scan (or the event, before any scan) said of it.
    entry: Kept,
    /// The last scan that listed it; for a socket first known from an event that no scan
    /// has listed yet, the last scan before the event.
    seen: u64,
    /// First known from an event ([`Tracker::began`]) and listed by no scan since.
    event_born: bool,
    /// Listed last without an inode, so known by its place: its record may still keep the
    /// inode earlier records named it by (see [`refresh`]), which is not its identity now.
    placed: bool,
}

impl Live {
    /// A socket first known from `entry` at `now`, listed by scan `seen`, or told of by
    /// an event after it (`event_born`).
    fn new(
        facts: &mut FactsSet,
        entry: &PortEntry,
        now: Timestamp,
        seen: u64,
        event_born: bool,
    ) -> Live {
        Live {
            first_seen: now,
            entry: Kept::new(facts, entry),
            seen,
            event_born,
            placed: entry.inode == 0,
        }
    }

    /// Whether the sweep after scan `seq` keeps it: that scan listed it, or it began after
    /// the scan before (whose dump may have started before the event, so may miss it).
    fn kept_after(&self, seq: u64) -> bool {
        self.seen == seq || (self.event_born && self.seen.saturating_add(1) == seq)
    }

    /// What it is filed under in [`Tracker`]'s table of identities: [`Identity::of`] the
    /// record that last listed it.
    fn identity(&self) -> Identity {
        let inode = if self.placed { 0 } else { self.entry.inode };
        Identity::at(self.entry.place, inode)
    }
}

/// The live records, each in a numbered slot that keeps its number while the socket lives.
/// Dense: a record costs its own size, where a hash map's buckets cost 1.2 to 2.3 times
/// theirs, and a scan of 100,000 sockets may grow it once ([`Tracker::reserve`]).
#[derive(Debug, Default)]
struct Slots {
    /// The records by slot number; `None` in a free slot.
    slots: Vec<Option<Live>>,
    /// Numbers of the empty slots, the next record's first.
    free: Vec<u32>,
}

impl Slots {
    /// The record in `slot`.
    fn get(&self, slot: u32) -> Option<&Live> {
        self.slots.get(slot as usize)?.as_ref()
    }

    /// The record in `slot`, to change (not its keys: see [`Indexes`]).
    fn get_mut(&mut self, slot: u32) -> Option<&mut Live> {
        self.slots.get_mut(slot as usize)?.as_mut()
    }

    /// Puts `live` in an empty slot, one freed before if there is one; returns its number.
    fn add(&mut self, live: Live) -> u32 {
        if let Some(slot) = self.free.pop()
            && let Some(empty) = self.slots.get_mut(slot as usize)
        {
            *empty = Some(live);
            return slot;
        }
        let slot = u32::try_from(self.slots.len()).expect("fewer than 2^32 live sockets");
        self.slots.push(Some(live));
        slot
    }

    /// Takes the record out of `slot`, which becomes free.
    fn take(&mut self, slot: u32) -> Option<Live> {
        let live = self.slots.get_mut(slot as usize)?.take()?;
        self.free.push(slot);
        Some(live)
    }

    /// The numbers of all slots, empty or not.
    fn numbers(&self) -> std::ops::Range<u32> {
        0..u32::try_from(self.slots.len()).unwrap_or(u32::MAX)
    }

    /// How many records there are.
    fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Makes room for `additional` more records.
    fn reserve(&mut self, additional: usize) {
        self.slots
            .reserve(additional.saturating_sub(self.free.len()));
    }
}

/// What one of the lookup tables files a live record under.
trait Key {
    /// The key.
    type Of: Hash + Eq;
    /// The key of `live`, or `None` when this table does not file it.
    fn of(live: &Live) -> Option<Self::Of>;
}

/// By [`Live::identity`]: every live socket.
#[derive(Debug, Default)]
struct ByIdentity;

impl Key for ByIdentity {
    type Of = Identity;
    fn of(live: &Live) -> Option<Identity> {
        Some(live.identity())
    }
}

/// By cookie: the sockets listed with one; what a destroy event names them by, and what a
/// scan of a socket that lost its inode does.
#[derive(Debug, Default)]
struct ByCookie;

impl Key for ByCookie {
    type Of = u64;
    fn of(live: &Live) -> Option<u64> {
        live.entry.cookie
    }
}

/// By place, the sockets listed without a cookie: what a destroy event names them by.
#[derive(Debug, Default)]
struct ByTuple;

impl Key for ByTuple {
    type Of = Place;
    fn of(live: &Live) -> Option<Place> {
        live.entry.cookie.is_none().then_some(live.entry.place)
    }
}

/// By place, every live socket: how an event finds that a socket it tells of is known,
/// and a scan the socket an event told of.
#[derive(Debug, Default)]
struct ByPlace;

impl Key for ByPlace {
    type Of = Place;
    fn of(live: &Live) -> Option<Place> {
        Some(live.entry.place)
    }
}

/// A lookup table of the live records: slot numbers, hashed and compared by the key `K`
/// finds in the record in each slot. Under a key shared by two records, the one filed last.
#[derive(Debug, Default)]
struct Index<K> {
    /// The slot numbers.
    table: HashTable<u32>,
    /// Seed of the hashes.
    seed: RandomState,
    /// Which key.
    key: PhantomData<K>,
}

impl<K: Key> Index<K> {
    /// The key of the record in `slot`.
    fn key(slots: &Slots, slot: u32) -> Option<K::Of> {
        slots.get(slot).and_then(K::of)
    }

    /// The slot filed under `key`.
    fn get(&self, slots: &Slots, key: &K::Of) -> Option<u32> {
        let hash = self.seed.hash_one(key);
        self.table
            .find(hash, |&slot| Self::key(slots, slot).as_ref() == Some(key))
            .copied()
    }

    /// Files `slot` under its record's key, in place of the slot filed there before.
    fn insert(&mut self, slots: &Slots, slot: u32) {
        let Some(key) = Self::key(slots, slot) else {
            return;
        };
        let seed = &self.seed;
        let rehash = |&filed: &u32| Self::key(slots, filed).map_or(0, |key| seed.hash_one(key));
        let same = |&filed: &u32| Self::key(slots, filed).as_ref() == Some(&key);
        match self.table.entry(seed.hash_one(&key), same, rehash) {
            Entry::Occupied(mut filed) => *filed.get_mut() = slot,
            Entry::Vacant(room) => {
                room.insert(slot);
            }
        }
    }

    /// Takes `slot` off, if it is filed under its record's key (another slot may have
    /// taken the key since).
    fn remove(&mut self, slots: &Slots, slot: u32) {
        let Some(key) = Self::key(slots, slot) else {
            return;
        };
        if let Ok(filed) = self
            .table
            .find_entry(self.seed.hash_one(&key), |&filed| filed == slot)
        {
            filed.remove();
        }
    }

    /// Makes room for `additional` more slots.
    fn reserve(&mut self, slots: &Slots, additional: usize) {
        let seed = &self.seed;
        self.table.reserve(additional, |&filed| {
            Self::key(slots, filed).map_or(0, |key| seed.hash_one(key))
        });
    }

    /// How many slots are filed.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.table.len()
    }
}

/// The live records' lookup tables.
#[derive(Debug, Default)]
struct Indexes {
    /// Every record, by identity: how a scan finds the socket it lists.
    identity: Index<ByIdentity>,
    /// Records with a cookie, by it: how a destroy event finds a socket, and how a
    /// socket that lost its inode is followed.
    cookie: Index<ByCookie>,
    /// Records without a cookie, by place: how a destroy event finds one.
    tuple: Index<ByTuple>,
    /// Every record, by place: how an event finds that a socket it tells of is known, and
    /// a scan the socket an event told of.
    place: Index<ByPlace>,
}

impl Indexes {
    /// Files `slot` under its record's identity and keys.
    fn file(&mut self, slots: &Slots, slot: u32) {
        self.identity.insert(slots, slot);
        self.file_keys(slots, slot);
    }

    /// Takes `slot` off, before its record leaves or its identity changes.
    fn unfile(&mut self, slots: &Slots, slot: u32) {
        self.identity.remove(slots, slot);
        self.unfile_keys(slots, slot);
    }

    /// Files `slot` under its record's cookie and place.
    fn file_keys(&mut self, slots: &Slots, slot: u32) {
        self.cookie.insert(slots, slot);
        self.tuple.insert(slots, slot);
        self.place.insert(slots, slot);
    }

    /// Takes `slot` off its record's cookie and place, before they change.
    fn unfile_keys(&mut self, slots: &Slots, slot: u32) {
        self.cookie.remove(slots, slot);
        self.tuple.remove(slots, slot);
        self.place.remove(slots, slot);
    }

    /// The slot a destroy event's `key` names.
    fn by_event(&self, slots: &Slots, key: &EventKey) -> Option<u32> {
        match key {
            EventKey::Cookie(cookie) => self.cookie.get(slots, cookie),
            EventKey::Tuple(place) => self.tuple.get(slots, place),
        }
    }

    /// Makes room for `additional` more records in the tables every record is in.
    fn reserve(&mut self, slots: &Slots, additional: usize) {
        self.identity.reserve(slots, additional);
        self.place.reserve(slots, additional);
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
    /// The number of the last scan.
    seq: u64,
    /// The live sockets' records.
    slots: Slots,
    /// The live sockets by identity, by what destroy events name them by, by place.
    indexes: Indexes,
    /// The shared facts of the live sockets' records.
    facts: FactsSet,
    /// Sockets gone, with when they went, kept for [`Tracker::retained_gone`].
    gone: Vec<(Timestamp, TrackedEntry)>,
    /// Seconds a gone socket is kept in `gone`; 0: none is.
    retention: u64,
    /// Sockets destroy events reported: not to be reported again, by scan or event.
    tombstones: Set<EventKey>,
    /// Sockets the last scan reported gone: a destroy event about one comes late.
    scan_gone: Set<EventKey>,
    /// Whether a socket is followed by its cookie when it loses its inode (see
    /// [`Tracker::following_cookies`]).
    cookies: bool,
}

/// Takes in `entry`, scan `seq`'s listing of the socket `live` remembers, and returns its
/// `unchanged` record.
fn refresh(
    live: &mut Live,
    mut entry: PortEntry,
    seq: u64,
    now: Timestamp,
    facts: &mut FactsSet,
) -> Change {
    live.placed = entry.inode == 0;
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
    let owners_changed = live.entry.facts.pids != entry.pids;
    // Most sockets are as the last scan listed them: comparing costs a few loads where
    // copying would look their facts up again.
    if !live.entry.same(&entry) {
        live.entry = Kept::new(facts, &entry);
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
    /// A tracker that keeps gone sockets for `retention_secs` seconds for display; 0 keeps
    /// none (for a caller that never asks for them: a changelog).
    #[must_use]
    pub fn new(retention_secs: u64) -> Tracker {
        Tracker {
            seq: 0,
            slots: Slots::default(),
            indexes: Indexes::default(),
            facts: FactsSet::default(),
            gone: Vec::new(),
            retention: retention_secs,
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
        self.reserve(entries.len());
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

    /// Makes room for a scan of `sockets` sockets at once, rather than growing the records
    /// (and holding the old copy with the new) as they come. For a caller of
    /// [`Tracker::begin_scan`] that knows how many its scan lists.
    pub fn reserve(&mut self, sockets: usize) {
        let additional = sockets.saturating_sub(self.slots.len());
        self.slots.reserve(additional);
        self.indexes.reserve(&self.slots, additional);
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
            if let Some(slot) = self.indexes.identity.get(&self.slots, &identity) {
                changes.extend(self.relist(slot, entry, seq, now));
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
            if let Some(slot) = self.followed(&entry, seq) {
                // The same socket under another identity: re-filed under this one.
                self.indexes.unfile(&self.slots, slot);
                if let Some(live) = self.slots.get_mut(slot) {
                    changes.push(refresh(live, entry, seq, now, &mut self.facts));
                }
                self.indexes.file(&self.slots, slot);
                continue;
            }
            let live = Live::new(&mut self.facts, &entry, now, seq, false);
            self.add(live);
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

    /// Takes in `entry`, scan `seq`'s listing of the socket in `slot`, found by its
    /// identity; returns its `unchanged` record, or `None` when the scan listed it already.
    fn relist(&mut self, slot: u32, entry: PortEntry, seq: u64, now: Timestamp) -> Option<Change> {
        let live = self.slots.get(slot)?;
        if live.seen == seq {
            return None; // the same socket twice in one scan: keep the first
        }
        let moved = live.entry.cookie != entry.cookie || live.entry.place != Place::of(&entry);
        if moved {
            self.indexes.unfile_keys(&self.slots, slot);
        }
        let change = self
            .slots
            .get_mut(slot)
            .map(|live| refresh(live, entry, seq, now, &mut self.facts));
        if moved {
            self.indexes.file_keys(&self.slots, slot);
        }
        change
    }

    /// Adds `live` to the table, filed under its identity and keys.
    fn add(&mut self, live: Live) {
        let slot = self.slots.add(live);
        self.indexes.file(&self.slots, slot);
    }

    /// Takes the record in `slot` out of the table.
    fn remove(&mut self, slot: u32) -> Option<Live> {
        self.indexes.unfile(&self.slots, slot);
        self.slots.take(slot)
    }

    /// Keeps `record`, gone at `now`, for [`Tracker::retained_gone`], unless nothing is kept.
    fn keep_gone(&mut self, record: &TrackedEntry, now: Timestamp) {
        if self.retention > 0 {
            self.gone.push((now, record.clone()));
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
        for slot in self.slots.numbers() {
            if self.slots.get(slot).is_none_or(|live| live.kept_after(seq)) {
                continue;
            }
            let Some(before) = self.remove(slot) else {
                continue;
            };
            self.scan_gone.insert(before.entry.event_key());
            let record = TrackedEntry {
                entry: before.entry.entry(),
                status: Status::Gone,
                first_seen: Some(before.first_seen),
                seq,
                ts: now,
                rates: None,
                // What it says came from the event that told of it, when no scan listed it.
                source: before.event_born.then_some(Source::Event),
            };
            self.keep_gone(&record, now);
            changes.push(Change {
                record,
                state_changed: false,
                owners_changed: false,
            });
        }
        self.facts.prune();
    }

    /// The live socket that `entry`, which scan `seq` lists under an identity the tracker
    /// does not hold, was known as before: by its cookie, when it lost its inode and
    /// cookies are followed; or, when an event told of it before any scan listed it, by
    /// where it is. Only one no scan has listed yet in this scan.
    fn followed(&self, entry: &PortEntry, seq: u64) -> Option<u32> {
        let unlisted = |slot: &u32| self.slots.get(*slot).is_some_and(|live| live.seen != seq);
        let event_born = |slot: &u32| self.slots.get(*slot).is_some_and(|live| live.event_born);
        entry
            .cookie
            .filter(|_| self.cookies)
            .and_then(|cookie| self.indexes.cookie.get(&self.slots, &cookie))
            .filter(unlisted)
            .or_else(|| {
                self.indexes
                    .place
                    .get(&self.slots, &Place::of(entry))
                    .filter(event_born)
            })
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
        let known = self
            .indexes
            .place
            .get(&self.slots, &Place::of(&entry))
            .or_else(|| {
                self.indexes
                    .identity
                    .get(&self.slots, &Identity::of(&entry))
            });
        if known.is_some() {
            return None;
        }
        // Its end was reported already (a destroy event read before the beginning came
        // out): never a `new` after the socket's own `gone`.
        if self.tombstones.contains(&EventKey::tuple(&entry)) {
            return None;
        }
        let live = Live::new(&mut self.facts, &entry, now, self.seq, true);
        self.add(live);
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
            .find_map(|key| self.indexes.by_event(&self.slots, key))
            .and_then(|slot| self.remove(slot));
        let Some(Live {
            first_seen, entry, ..
        }) = known
        else {
            // A socket no scan saw is kept for display only when the caller reports it
            // ([`Tracker::remember_gone`]): its options may not want it.
            return Some(TrackedEntry {
                entry: destroyed,
                status: Status::Gone,
                first_seen: None,
                seq: self.seq,
                ts: now,
                rates: None,
                source: Some(Source::Event),
            });
        };
        let record = TrackedEntry {
            entry: PortEntry {
                state: destroyed.state,
                traffic: destroyed.traffic,
                recv_q: None,
                send_q: None,
                ..entry.entry()
            },
            status: Status::Gone,
            first_seen: Some(first_seen),
            seq: self.seq,
            ts: now,
            rates: None,
            source: Some(Source::Event),
        };
        self.keep_gone(&record, now);
        Some(record)
    }

    /// Keeps `record`, a socket [`Tracker::destroyed`] reported that no scan saw, among
    /// the recently gone ([`Tracker::retained_gone`]) from `now`: the caller reports it.
    pub fn remember_gone(&mut self, record: &TrackedEntry, now: Timestamp) {
        self.keep_gone(record, now);
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
        self.slots.len()
    }

    /// Whether a scan listed the socket with `inode` (not 0) of protocol `proto` in
    /// namespace `netns`, and it is live. A socket only an event told of is known by its
    /// place, not its inode: false for it.
    #[must_use]
    pub fn knows(&self, netns: Option<u64>, proto: Proto, inode: u64) -> bool {
        let identity = Identity::Socket {
            netns,
            proto,
            inode,
        };
        self.indexes.identity.get(&self.slots, &identity).is_some()
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

    /// A live record of `entry` as scan 1 listed it at 0 s.
    fn live(facts: &mut FactsSet, entry: &PortEntry) -> Live {
        Live::new(facts, entry, at(0), 1, false)
    }

    #[test]
    fn a_freed_slot_is_taken_by_the_next_record() {
        let mut facts = FactsSet::default();
        let mut slots = Slots::default();
        let a = slots.add(live(&mut facts, &socket(1, State::Listen)));
        let b = slots.add(live(&mut facts, &socket(2, State::Listen)));
        assert_eq!((a, b), (0, 1));
        let taken = slots.take(a).map(|live| live.entry.place.local.1);
        assert_eq!(taken, Some(1));
        assert!(
            slots.get(a).is_none() && slots.take(a).is_none(),
            "taken once"
        );
        assert_eq!(slots.len(), 1);
        assert_eq!(slots.add(live(&mut facts, &socket(3, State::Listen))), a);
        assert_eq!(slots.add(live(&mut facts, &socket(4, State::Listen))), 2);
        assert_eq!(slots.len(), 3);
        assert_eq!(slots.numbers(), 0..3);
    }

    #[test]
    fn an_index_names_the_last_slot_filed_under_a_key_and_forgets_a_removed_one() {
        let mut facts = FactsSet::default();
        let mut slots = Slots::default();
        let mut places = Index::<ByPlace>::default();
        let mut cookies = Index::<ByCookie>::default();
        let (one, two) = (connection(40050, Some(60)), connection(40051, None));
        let a = slots.add(live(&mut facts, &one));
        let b = slots.add(live(&mut facts, &two));
        for slot in [a, b] {
            places.insert(&slots, slot);
            cookies.insert(&slots, slot);
        }
        assert_eq!(places.get(&slots, &Place::of(&one)), Some(a));
        assert_eq!(places.get(&slots, &Place::of(&two)), Some(b));
        assert_eq!(cookies.get(&slots, &60), Some(a));
        assert_eq!(
            cookies.len(),
            1,
            "a record without a cookie is not filed by one"
        );
        // Another socket at the first one's place takes the key.
        let mut successor = one.clone();
        successor.inode = 99;
        let c = slots.add(live(&mut facts, &successor));
        places.insert(&slots, c);
        assert_eq!(places.get(&slots, &Place::of(&one)), Some(c));
        assert_eq!(places.len(), 2);
        places.remove(&slots, a);
        assert_eq!(
            places.get(&slots, &Place::of(&one)),
            Some(c),
            "not a's any more"
        );
        places.remove(&slots, c);
        slots.take(c);
        assert_eq!(places.get(&slots, &Place::of(&one)), None);
        // A freed slot's number names the record put in it, by that record's keys only.
        cookies.remove(&slots, a);
        slots.take(a);
        let three = connection(40052, Some(61));
        let d = slots.add(live(&mut facts, &three));
        assert_eq!(d, a);
        places.insert(&slots, d);
        cookies.insert(&slots, d);
        assert_eq!(places.get(&slots, &Place::of(&three)), Some(d));
        assert_eq!(cookies.get(&slots, &61), Some(d));
        assert_eq!(cookies.get(&slots, &60), None);
        assert_eq!(places.get(&slots, &Place::of(&two)), Some(b));
    }

    #[test]
    fn records_of_one_process_share_its_facts_until_its_last_socket_goes() {
        let mut tracker = Tracker::new(5);
        let (one, two) = (connection(40060, Some(70)), connection(40061, Some(71)));
        let mut other = connection(40062, Some(72));
        other.pid = Some(11);
        other.pids = vec![11];
        tracker.observe(vec![one.clone(), two.clone(), other.clone()], at(0));
        assert_eq!(tracker.facts.len(), 2);
        let shared = |a: u32, b: u32| {
            let facts = |slot| tracker.slots.get(slot).map(|live| &live.entry.facts);
            facts(a)
                .zip(facts(b))
                .is_some_and(|(a, b)| Arc::ptr_eq(a, b))
        };
        assert!(shared(0, 1) && !shared(0, 2));
        tracker.observe(vec![one.clone(), other], at(1));
        assert_eq!(tracker.facts.len(), 2, "one socket of the process is left");
        // A new owner: new facts, the old ones let go.
        let mut reloaded = one;
        reloaded.pids = vec![9, 10];
        tracker.observe(vec![reloaded.clone()], at(2));
        assert_eq!(tracker.facts.len(), 1);
        assert_eq!(
            tracker.slots.get(0).map(|l| l.entry.facts.pids.clone()),
            Some(vec![9, 10])
        );
        tracker.observe(vec![], at(3));
        assert_eq!(tracker.facts.len(), 0);
    }

    #[test]
    fn after_sockets_go_every_lookup_finds_the_ones_in_their_slots() {
        let mut tracker = Tracker::new(5).following_cookies();
        let all: Vec<PortEntry> = (0..1000)
            .map(|i| connection(30000 + i, Some(1000 + u64::from(i))))
            .collect();
        tracker.observe(all.clone(), at(0));
        let odd: Vec<PortEntry> = all
            .iter()
            .filter(|e| e.local_port % 2 == 1)
            .cloned()
            .collect();
        let next = tracker.observe(odd, at(1));
        assert_eq!(
            next.iter()
                .filter(|c| c.record.status == Status::Gone)
                .count(),
            500
        );
        assert_eq!(tracker.slots.free.len(), 500);
        // Others take the freed slots.
        let mut later = all.clone();
        for entry in later.iter_mut().filter(|e| e.local_port % 2 == 0) {
            entry.local_port += 10000;
            entry.inode += 10000;
            entry.cookie = entry.cookie.map(|cookie| cookie + 10000);
        }
        let next = tracker.observe(later.clone(), at(2));
        assert_eq!(
            next.iter()
                .filter(|c| c.record.status == Status::New)
                .count(),
            500
        );
        assert_eq!(
            (tracker.slots.slots.len(), tracker.slots.free.len()),
            (1000, 0)
        );
        let t = &tracker;
        for (before, now) in all.iter().zip(&later) {
            let slot = t.indexes.identity.get(&t.slots, &Identity::of(now));
            assert!(slot.is_some());
            assert_eq!(
                t.indexes.cookie.get(&t.slots, &now.cookie.unwrap_or(0)),
                slot
            );
            assert_eq!(t.indexes.place.get(&t.slots, &Place::of(now)), slot);
            let port = slot
                .and_then(|slot| t.slots.get(slot))
                .map(|l| l.entry.place.local.1);
            assert_eq!(port, Some(now.local_port));
            if before.local_port != now.local_port {
                assert_eq!(
                    t.indexes.identity.get(&t.slots, &Identity::of(before)),
                    None
                );
                assert_eq!(
                    t.indexes.cookie.get(&t.slots, &before.cookie.unwrap_or(0)),
                    None
                );
                assert_eq!(t.indexes.place.get(&t.slots, &Place::of(before)), None);
            }
        }
        assert_eq!(
            (
                t.indexes.identity.len(),
                t.indexes.cookie.len(),
                t.indexes.place.len()
            ),
            (1000, 1000, 1000)
        );
        assert_eq!(t.indexes.tuple.len(), 0);
        // Through the API: a destroy event finds a socket in a reused slot by its cookie.
        let gone = tracker
            .destroyed(destroyed(&later[0]), at(3))
            .expect("found");
        assert_eq!(
            (gone.first_seen, gone.entry.local_port),
            (Some(at(2)), 40000)
        );
        assert_eq!(tracker.live_count(), 999);
    }

    #[test]
    fn without_retention_no_gone_socket_is_kept() {
        let mut tracker = Tracker::new(0);
        let open = connection(40070, Some(80));
        tracker.observe(vec![socket(22, State::Listen), open.clone()], at(0));
        assert!(tracker.destroyed(destroyed(&open), at(1)).is_some());
        let next = tracker.observe(vec![], at(2));
        assert_eq!(summary(&next), [(22, Status::Gone, false)]);
        let unseen = tracker
            .destroyed(destroyed(&connection(40071, Some(81))), at(3))
            .expect("a record");
        tracker.remember_gone(&unseen, at(3));
        assert!(tracker.gone.is_empty());
        assert!(tracker.retained_gone(at(3)).is_empty());
    }
}
