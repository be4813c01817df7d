//! The whole pipeline in one call: scan -> enrich -> filter -> sort, once ([`snapshot`]) or
//! again and again with change tracking ([`Session`]).
//!
//! This is what `prt scan` and `prt watch` run, and what a program embedding prt calls: the
//! command line adds only flags and output. A [`Session`] keeps its caches between
//! refreshes (each process's fd table, what enrichment learnt of each process, the live
//! sockets of the last scan), so a refresh where little changed costs little.
//!
//! ```
//! use prt::session::{Options, Session};
//!
//! let mut session = Session::new(Options::default());
//! let first = session.refresh()?; // every socket open now, as `new`
//! assert!(first.changes.iter().all(|c| c.is_reportable()));
//! let next = session.refresh()?;
//! let changelog: Vec<_> = next.changes.iter().filter(|c| c.is_reportable()).collect();
//! assert!(changelog.len() <= next.changes.len());
//! # Ok::<(), prt::scan::Error>(())
//! ```

use std::collections::{BTreeMap, HashSet};
use std::ops::ControlFlow;
use std::time::Instant;

use crate::config::Config;
use crate::enrich::Enricher;
#[cfg(target_os = "linux")]
use crate::events::process::ProcessEvent;
use crate::model::{PortEntry, Proto, Timestamp};
use crate::query::Query;
use crate::scan::netns::Namespace;
use crate::scan::{self, Family, NamespaceReport, Scan, ScanOptions, Socket, SortKey, incremental};
use crate::track::{Change, Tracker};
use crate::traffic::Meter;

/// Seconds a gone socket stays in [`Tracker::retained_gone`] unless set otherwise.
pub const DEFAULT_GONE_RETENTION_SECS: u64 = 5;

/// [`Session::refresh_unless_settled`] scans at least every this many calls, settled or
/// not: the reconciliation that catches what no event and no fd count shows (a socket
/// passed between processes, a TIME_WAIT remnant that expired, a namespace that appeared).
pub const RECONCILE_EVERY: u32 = 10;

/// What to scan and how to present it. Start from [`Options::default`] (every TCP and UDP
/// socket of this namespace, with owners, in port order) and change what you need.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// Which sockets, and whether to look for their owners.
    pub scan: ScanOptions,
    /// Port names and suspicious-socket settings (a parsed configuration file, or none).
    pub config: Config,
    /// Only the records this matches.
    pub filter: Option<Query>,
    /// Order of the records.
    pub sort: SortKey,
    /// Reverse the order.
    pub reverse: bool,
    /// Whether to ask `docker` and `podman` for container names.
    pub container_names: bool,
    /// Seconds a session keeps gone sockets for display.
    pub gone_retention_secs: u64,
    /// Whether the caller feeds destroy events ([`Session::destroyed`]): sockets are then
    /// followed by their cookie when they lose their inode
    /// ([`Tracker::following_cookies`]).
    pub events: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            scan: ScanOptions::default(),
            config: Config::default(),
            filter: None,
            sort: SortKey::Port,
            reverse: false,
            container_names: true,
            gone_retention_secs: DEFAULT_GONE_RETENTION_SECS,
            events: false,
        }
    }
}

impl Options {
    /// The same options, scanning as `scan` says.
    #[must_use]
    pub fn with_scan(mut self, scan: ScanOptions) -> Options {
        self.scan = scan;
        self
    }

    /// Only listening sockets (TCP `LISTEN`, UDP `UNCONN`): the cheaper scan.
    #[must_use]
    pub fn listening_only(mut self) -> Options {
        self.scan.listening_only = true;
        self
    }

    /// Only these protocols.
    #[must_use]
    pub fn protocols(mut self, protocols: &[Proto]) -> Options {
        self.scan.protocols = protocols.to_vec();
        self
    }

    /// Only these address families.
    #[must_use]
    pub fn families(mut self, families: &[Family]) -> Options {
        self.scan.families = families.to_vec();
        self
    }

    /// Port names and suspicious-socket rules from a configuration.
    #[must_use]
    pub fn with_config(mut self, config: Config) -> Options {
        self.config = config;
        self
    }

    /// Only the records `filter` matches (see [`crate::query::parse`]).
    #[must_use]
    pub fn with_filter(mut self, filter: Query) -> Options {
        self.filter = Some(filter);
        self
    }

    /// Records in the order of `key`, reversed when `reverse`.
    #[must_use]
    pub fn sorted_by(mut self, key: SortKey, reverse: bool) -> Options {
        self.sort = key;
        self.reverse = reverse;
        self
    }

    /// Without asking container engines for names (container ids are still filled in).
    #[must_use]
    pub fn without_container_names(mut self) -> Options {
        self.container_names = false;
        self
    }

    fn enricher(&self) -> Enricher {
        let enricher = Enricher::new(&self.config);
        if self.container_names {
            enricher
        } else {
            enricher.with_containers(None)
        }
    }
}

/// One scan's records and what the scan could not see.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Snapshot {
    /// The records, enriched, filtered and sorted.
    pub entries: Vec<PortEntry>,
    /// Sockets of other users whose owners are hidden for lack of privilege.
    pub hidden_owners: usize,
    /// Protocol/family pairs that the netlink dump could not serve (read from `/proc/net`).
    pub fell_back: Vec<(Proto, Family)>,
    /// With every namespace scanned: which were listed and which could not be entered.
    pub namespaces: NamespaceReport,
    /// With every namespace scanned: names (`ip netns` names, container names) for the
    /// namespaces listed, keyed by namespace inode; empty otherwise.
    pub namespace_names: BTreeMap<u64, String>,
}

/// Scans once: every socket with its owner, enriched, filtered and sorted as `options` say.
///
/// ```
/// let listeners = prt::session::snapshot(&prt::session::Options::default().listening_only())?;
/// let ports: Vec<u16> = listeners.entries.iter().map(|entry| entry.local_port).collect();
/// assert!(ports.is_sorted()); // in port order unless the options say otherwise
/// # Ok::<(), prt::scan::Error>(())
/// ```
pub fn snapshot(options: &Options) -> Result<Snapshot, scan::Error> {
    let mut entries = Vec::new();
    let mut snapshot = snapshot_taking(options, |block| {
        entries.append(block);
        ControlFlow::Continue(())
    })?;
    snapshot.entries = entries;
    Ok(snapshot)
}

/// Records [`snapshot_each`] hands over at a time.
const BLOCK: usize = 4096;

/// [`snapshot`], handing the records to `each` in order a block at a time as they are
/// made, rather than holding them all: what `prt scan` runs, so that 100,000 sockets cost
/// the sockets and one block of records, not 100,000 records. `each` returns
/// [`ControlFlow::Break`] to stop early (a closed pipe, say). The snapshot returned has
/// everything but the entries.
///
/// For the order of port, protocol or state the sockets are sorted before any record is
/// made. An order that needs the records (pid, process, user, service), and the lsof
/// backend, make every record first, sort them, and hand them over at once.
pub fn snapshot_each(
    options: &Options,
    mut each: impl FnMut(&[PortEntry]) -> ControlFlow<()>,
) -> Result<Snapshot, scan::Error> {
    snapshot_taking(options, |block| {
        if block.is_empty() {
            ControlFlow::Continue(())
        } else {
            each(block)
        }
    })
}

/// [`snapshot_each`], handing each block as a vector the caller may take the records
/// out of ([`snapshot`] keeps them without copying).
fn snapshot_taking(
    options: &Options,
    mut each: impl FnMut(&mut Vec<PortEntry>) -> ControlFlow<()>,
) -> Result<Snapshot, scan::Error> {
    let mut enricher = options.enricher();
    let mut found = scan::find(&options.scan)?;
    let sorted = found
        .as_mut()
        .is_some_and(|found| found.sort(options.sort, options.reverse));
    let mut snapshot = match found {
        Some(found) if sorted => Snapshot {
            hidden_owners: in_blocks(&found, &mut enricher, options.filter.as_ref(), &mut each),
            fell_back: found.fell_back,
            namespaces: found.namespaces,
            ..Snapshot::default()
        },
        Some(found) => hand_over(
            present(found.into_scan(), &mut enricher, options),
            &mut each,
        ),
        None => {
            let scan = scan::scan(&options.scan)?;
            hand_over(present(scan, &mut enricher, options), &mut each)
        }
    };
    if options.scan.all_netns {
        snapshot.namespace_names = enricher.namespace_names(&snapshot.namespaces.listed);
    }
    Ok(snapshot)
}

/// The records of `found` in its order, [`BLOCK`] sockets' worth at a time: made,
/// enriched, and those `filter` matches handed to `each` (which may take them), until it
/// breaks. Returns how many sockets of other users have their owners hidden.
fn in_blocks(
    found: &scan::Found,
    enricher: &mut Enricher,
    filter: Option<&Query>,
    mut each: impl FnMut(&mut Vec<PortEntry>) -> ControlFlow<()>,
) -> usize {
    let mut attributor = found.attributor();
    // Every process the records will name, and every listener, before the first block:
    // enrichment reads each process once and judges a connection by all the listeners.
    let processes: HashSet<_> = found
        .sockets()
        .iter()
        .filter_map(|socket| attributor.process_key(socket))
        .collect();
    let listening = enricher.prepare(processes, found.sockets());
    let mut hidden_owners = 0;
    let mut block = Vec::with_capacity(BLOCK);
    for sockets in found.sockets().chunks(BLOCK) {
        block.clear();
        block.extend(sockets.iter().map(|socket| attributor.record(socket)));
        hidden_owners += scan::count_hidden_owners(&block);
        enricher.enrich_block(&mut block, &listening);
        if let Some(filter) = filter {
            block.retain(|entry| filter.matches(entry));
        }
        if each(&mut block).is_break() {
            break;
        }
    }
    hidden_owners
}

/// Hands the reportable changes of `refresh` to `each` a block at a time; the refresh
/// without them.
fn hand_over_changes(
    mut refresh: Refresh,
    each: &mut impl FnMut(&mut [Change]) -> ControlFlow<()>,
) -> Refresh {
    refresh.changes.retain(Change::is_reportable);
    for block in refresh.changes.chunks_mut(BLOCK) {
        if each(block).is_break() {
            break;
        }
    }
    refresh.changes = Vec::new();
    refresh
}

/// Hands every record of `snapshot` to `each` at once; the snapshot without them.
fn hand_over(
    mut snapshot: Snapshot,
    each: &mut impl FnMut(&mut Vec<PortEntry>) -> ControlFlow<()>,
) -> Snapshot {
    // Stopped or not, nothing is left to hand over.
    let _ = each(&mut snapshot.entries);
    snapshot.entries = Vec::new();
    snapshot
}

/// The part of every scan after the socket source: enrich, filter, sort.
fn present(scan: Scan, enricher: &mut Enricher, options: &Options) -> Snapshot {
    let mut entries = scan.entries;
    enricher.enrich(&mut entries);
    if let Some(filter) = &options.filter {
        entries.retain(|entry| filter.matches(entry));
    }
    scan::sort(&mut entries, options.sort, options.reverse);
    Snapshot {
        entries,
        hidden_owners: scan.hidden_owners,
        fell_back: scan.fell_back,
        namespaces: scan.namespaces,
        namespace_names: BTreeMap::new(),
    }
}

/// What one [`Session::refresh`] found.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Refresh {
    /// Every socket of this scan (`new` or `unchanged`) in the options' order, then the
    /// sockets gone since the previous refresh; see [`Change::is_reportable`] for a
    /// changelog.
    pub changes: Vec<Change>,
    /// Sockets of other users whose owners are hidden for lack of privilege.
    pub hidden_owners: usize,
    /// Protocol/family pairs that the netlink dump could not serve.
    pub fell_back: Vec<(Proto, Family)>,
    /// With every namespace scanned: which were listed and which could not be entered.
    pub namespaces: NamespaceReport,
}

/// Scans again and again, reporting what changed: what one `prt watch` tick does.
#[derive(Debug)]
pub struct Session {
    options: Options,
    scanner: incremental::Scanner,
    enricher: Enricher,
    tracker: Tracker,
    meter: Meter,
    namespaces: Vec<Namespace>,
    /// User names of the uids destroy events named, looked up once each.
    users: scan::process::UserNames,
    /// The boot time and clock rate, for the start times of processes events name.
    #[cfg(target_os = "linux")]
    clock: Option<scan::process::BootClock>,
    /// This process's network namespace, read once: every event the tracepoint reports
    /// is checked against it.
    #[cfg(target_os = "linux")]
    own_netns: Option<u64>,
    /// An event since the last scan told of a change a scan must confirm.
    unsettled: bool,
    /// Scans skipped in a row by [`Session::refresh_unless_settled`].
    skipped: u32,
}

impl Session {
    /// A session for `options`; its first refresh reads every process.
    #[must_use]
    pub fn new(options: Options) -> Session {
        Session {
            scanner: incremental::Scanner::new(options.scan.clone()),
            enricher: options.enricher(),
            tracker: if options.events {
                Tracker::new(options.gone_retention_secs).following_cookies()
            } else {
                Tracker::new(options.gone_retention_secs)
            },
            meter: Meter::new(),
            namespaces: Vec::new(),
            users: scan::process::UserNames::default(),
            #[cfg(target_os = "linux")]
            clock: scan::process::BootClock::read(),
            #[cfg(target_os = "linux")]
            own_netns: scan::process::own_netns(),
            unsettled: false,
            skipped: 0,
            options,
        }
    }

    /// Scans now and compares with the previous refresh: the first refresh reports every
    /// socket as `new`. With counters asked for (`ScanOptions::traffic`), each record's
    /// `rates` are over the real time since the previous refresh saw the same socket.
    pub fn refresh(&mut self) -> Result<Refresh, scan::Error> {
        self.refresh_at(Timestamp::now())
    }

    /// [`Session::refresh`] with the clock given, for callers that pace and stamp ticks
    /// themselves.
    pub fn refresh_at(&mut self, now: Timestamp) -> Result<Refresh, scan::Error> {
        self.unsettled = false;
        self.skipped = 0;
        // The dump is the scan's first step: rates are over the time between dumps, not
        // the process walks that follow them.
        let dumped_at = Instant::now();
        let scan = match self.find()? {
            Some(found) => found.into_scan(),
            None => self.scanner.scan()?,
        };
        Ok(self.take_in(scan, now, dumped_at))
    }

    /// The scanner's sockets and holders ([`incremental::Scanner::find`]), with those it
    /// withheld for want of a holder put back where the tracker knew them already, and all
    /// of them in the first scan, which has every open socket: only a socket new to the
    /// watch since waits a scan for its holder. `None` for the lsof backend.
    fn find(&mut self) -> Result<Option<scan::Found>, scan::Error> {
        let mut found = self.scanner.find()?;
        if let Some(found) = &mut found {
            let first = self.tracker.seq() == 0;
            // Only sockets with an inode are ever withheld.
            found.restore(|socket| {
                first || self.tracker.knows(socket.netns, socket.proto, socket.inode)
            });
        }
        Ok(found)
    }

    /// The rest of a refresh once the scan is made: enrich, filter, sort, track, rates.
    fn take_in(&mut self, scan: Scan, now: Timestamp, dumped_at: Instant) -> Refresh {
        let snapshot = present(scan, &mut self.enricher, &self.options);
        self.namespaces.clone_from(&snapshot.namespaces.listed);
        let mut changes = self.tracker.observe(snapshot.entries, now);
        if self.options.scan.traffic {
            self.meter.observe(&mut changes, dumped_at);
        }
        Refresh {
            changes,
            hidden_owners: snapshot.hidden_owners,
            fell_back: snapshot.fell_back,
            namespaces: snapshot.namespaces,
        }
    }

    /// [`Session::refresh_at`] for a changelog: hands what changed to `each` a block at a
    /// time as the records are made, in order (the sockets' new and changed records, then
    /// the gone), rather than holding a record of every socket — 100,000 unchanged sockets
    /// cost nothing beyond what the tracker keeps of them. Only reportable changes
    /// ([`Change::is_reportable`]) are handed over; the refresh returned has no changes.
    ///
    /// In the order of port, protocol or state the sockets are sorted before any record is
    /// made; an order that needs the records, counters (rates need every socket) and the
    /// lsof backend take the way of [`Session::refresh_at`]. `listed` is told the
    /// namespaces the scan listed before any change is handed over (a caller subscribing
    /// to events in each is then listening before a consumer acts on a record). `each`
    /// may alter the changes it is handed (tag them, say), and returns
    /// [`ControlFlow::Break`] to be handed nothing more; the refresh still
    /// completes, so the session stays consistent.
    pub fn refresh_each(
        &mut self,
        now: Timestamp,
        listed: impl FnOnce(&[Namespace]),
        mut each: impl FnMut(&mut [Change]) -> ControlFlow<()>,
    ) -> Result<Refresh, scan::Error> {
        self.unsettled = false;
        self.skipped = 0;
        let dumped_at = Instant::now();
        let found = if self.options.scan.traffic {
            None
        } else {
            self.find()?
        };
        let Some(mut found) = found else {
            let refresh = self.refresh_at(now)?;
            listed(&refresh.namespaces.listed);
            return Ok(hand_over_changes(refresh, &mut each));
        };
        listed(&found.namespaces.listed);
        if !found.sort(self.options.sort, self.options.reverse) {
            let refresh = self.take_in(found.into_scan(), now, dumped_at);
            return Ok(hand_over_changes(refresh, &mut each));
        }
        self.namespaces.clone_from(&found.namespaces.listed);
        // Room for every record at once: grown as blocks come, the tracker's records would
        // be copied, the old with the new, at the peak of the tick.
        self.tracker.reserve(found.len());
        let mut pass = self.tracker.begin_scan();
        let mut changes = Vec::new();
        let mut handing = true;
        let tracker = &mut self.tracker;
        let hidden_owners = in_blocks(
            &found,
            &mut self.enricher,
            self.options.filter.as_ref(),
            |block| {
                changes.clear();
                tracker.observe_part(&mut pass, block.drain(..), now, &mut changes);
                changes.retain(Change::is_reportable);
                if handing && !changes.is_empty() {
                    handing = each(&mut changes).is_continue();
                }
                // Every block is taken in, handed over or not: the tracker sees the scan whole.
                ControlFlow::Continue(())
            },
        );
        changes.clear();
        self.tracker.end_scan(pass, now, &mut changes);
        if handing && !changes.is_empty() {
            let _ = each(&mut changes);
        }
        Ok(Refresh {
            changes: Vec::new(),
            hidden_owners,
            fell_back: std::mem::take(&mut found.fell_back),
            namespaces: std::mem::take(&mut found.namespaces),
        })
    }

    /// [`Session::refresh_at`], unless nothing a scan would report can have changed since
    /// the last one: then `None`, having read only the processes with a sign of change.
    ///
    /// For a caller whose event sources report every TCP state change as it happens (the
    /// `sock:inet_sock_set_state` tracepoint) and who tells the session of each
    /// ([`Session::note_change`], [`Session::began`], [`Session::process_event`]). A scan
    /// is skipped when no such event came since the last, every process holds the sockets
    /// it held then ([`incremental::Scanner::settled`]: a socket opened or closed moves its
    /// process's fd count), and fewer than [`RECONCILE_EVERY`] were skipped in a row. What
    /// a skipped scan would have refreshed is queue sizes and counters, which no record
    /// reports as a change: a caller that shows them every tick (a live table, rates)
    /// calls [`Session::refresh_at`].
    pub fn refresh_unless_settled(
        &mut self,
        now: Timestamp,
    ) -> Result<Option<Refresh>, scan::Error> {
        if self.settled() {
            return Ok(None);
        }
        self.refresh_at(now).map(Some)
    }

    /// Whether this tick's scan may be skipped, as [`Session::refresh_unless_settled`]
    /// decides (counting it skipped when so): for a caller that then refreshes its own way
    /// ([`Session::refresh_each`]).
    pub fn settled(&mut self) -> bool {
        if !self.unsettled
            && self.tracker.seq() > 0
            && self.skipped + 1 < RECONCILE_EVERY
            && self.scanner.settled()
        {
            self.skipped += 1;
            return true;
        }
        false
    }

    /// Tells the session of a change its caller's events reported that made no record (a
    /// TCP state change, events lost): the next [`Session::refresh_unless_settled`] scans.
    pub fn note_change(&mut self) {
        self.unsettled = true;
    }

    /// Takes in a socket the kernel reported destroyed in namespace `netns` at `now`, and
    /// returns its `gone` record when there is one to report (see
    /// [`crate::track::Tracker::destroyed`]): a socket the scans saw, or one they never saw
    /// that passes the options' protocols, families and filter and was worth a record — a
    /// TCP socket that had a peer, or a UDP socket. A listening-only session reports only
    /// sockets it saw. The record carries the final counters (null for UDP).
    pub fn destroyed(
        &mut self,
        netns: Option<u64>,
        socket: &Socket,
        now: Timestamp,
    ) -> Option<Change> {
        let mut entry = self.event_entry(netns, socket);
        let scan = &self.options.scan;
        let family = if socket.local.is_ipv4() {
            Family::V4
        } else {
            Family::V6
        };
        // Checked before the tracker, which would otherwise keep a tombstone for a socket
        // it could never have listed.
        if !scan.protocols.contains(&entry.proto) || !scan.families.contains(&family) {
            return None;
        }
        entry.traffic = Some(socket.traffic.as_deref().copied().unwrap_or_default());
        let record = self.tracker.destroyed(entry, now)?;
        if record.first_seen.is_none() {
            let worth = match record.entry.proto {
                Proto::Tcp => record.entry.remote_port.is_some_and(|port| port != 0),
                Proto::Udp => true,
            };
            if !worth || scan.listening_only {
                return None;
            }
        }
        let mut record = record;
        if record.first_seen.is_none() {
            self.enricher.enrich_one(&mut record.entry);
            if let Some(filter) = &self.options.filter
                && !filter.matches(&record.entry)
            {
                return None;
            }
            self.tracker.remember_gone(&record, now);
        }
        Some(Change {
            record,
            state_changed: false,
            owners_changed: false,
        })
    }

    /// Takes in a TCP connection or listener the tracepoint saw begin
    /// ([`crate::events::tcp_state::Lifecycle::Began`]) at `now`, and returns its `new`
    /// record when there is one to report: the socket belongs to a process whose pid the
    /// event names, in this session's namespace (any, with `--all-netns`), it passes the
    /// options' families, listening-only and filter, and no scan or earlier event reported
    /// it. The record has the process's facts, read now; the next scan adopts the socket
    /// rather than report it again ([`crate::track::Tracker::began`]).
    #[cfg(target_os = "linux")]
    pub fn began(
        &mut self,
        connection: &crate::events::tcp_state::Connection,
        now: Timestamp,
    ) -> Option<Change> {
        use crate::events::tcp_state::Role;
        use crate::model::State;
        // Without a pid, nothing places the socket in a namespace or names its owner: the
        // scan (or its destroy event) reports it.
        let pid = connection.pid?;
        // The thread's namespace: one that joined another than its process's made the
        // socket there.
        // A thread gone already (one made for the connection) leaves its process's.
        let netns = connection
            .tid
            .and_then(|tid| scan::process::netns_of_thread(pid, tid))
            .or_else(|| scan::process::netns_of(pid))?;
        let scan = &self.options.scan;
        let here = self.own_netns == Some(netns);
        if !scan.all_netns && !here {
            return None;
        }
        let listener = connection.role == Role::Listener;
        let family = if connection.local.is_ipv4() {
            Family::V4
        } else {
            Family::V6
        };
        if !scan.protocols.contains(&Proto::Tcp)
            || !scan.families.contains(&family)
            || (scan.listening_only && !listener)
        {
            return None;
        }
        let state = if listener {
            State::Listen
        } else {
            State::Established
        };
        let mut entry = PortEntry::new(Proto::Tcp, connection.local, state);
        entry.local_addr = connection.local.ip();
        if !listener {
            entry.remote_addr = Some(connection.remote.ip());
            entry.remote_port = Some(connection.remote.port());
        }
        entry.netns = Some(netns);
        entry.pid = Some(pid);
        entry.pids = vec![pid];
        entry.uid = scan::process::effective_uid(pid);
        // The socket as the next scan will list it — its inode (the identity every later
        // record and every consumer keys it by), cookie, uid, addresses as the kernel
        // spells them — asked for by its addresses, in this namespace. A socket gone
        // already (it lived a millisecond), or not accepted yet, keeps inode 0 and is
        // known by its addresses.
        #[cfg(target_os = "linux")]
        if here
            && let Ok(Some(socket)) =
                scan::netlink::lookup(Proto::Tcp, connection.local, connection.remote, 0)
            && socket.inode != 0
        {
            entry.local_addr = socket.local.ip();
            if !listener {
                entry.remote_addr = Some(socket.remote.ip());
            }
            entry.inode = socket.inode;
            entry.cookie = socket.cookie;
            entry.uid = Some(socket.uid);
            entry.state = socket.state;
            entry.recv_q = socket.recv_q.map(u64::from);
            entry.send_q = socket.send_q.map(u64::from);
        }
        if let Some(uid) = entry.uid {
            entry.user = self.users.name(uid);
        }
        if let Some(info) = scan::process::ProcessInfo::read(pid, self.clock.as_ref()) {
            entry.process = info.name.map(Into::into);
            entry.cmdline = info.cmdline.map(Into::into);
            entry.ppid = info.ppid;
            entry.started = info.started;
        }
        self.enricher.enrich_one(&mut entry);
        if let Some(filter) = &self.options.filter
            && !filter.matches(&entry)
        {
            return None;
        }
        // The scan confirms it (its inode, its holders) before any is skipped.
        self.unsettled = true;
        let record = self.tracker.began(entry, now)?;
        Some(Change {
            record,
            state_changed: false,
            owners_changed: false,
        })
    }

    /// What a destroy event tells of a socket, as a record: addresses, state, uid (and its
    /// user), cookie, namespace; no owner, no queues.
    fn event_entry(&mut self, netns: Option<u64>, socket: &Socket) -> PortEntry {
        let mut entry = PortEntry::new(socket.proto, socket.local, socket.state);
        // As a scan writes it: the address as the kernel gave it, not canonicalised.
        entry.local_addr = socket.local.ip();
        let connected = !(socket.remote.ip().is_unspecified() && socket.remote.port() == 0);
        entry.remote_addr = connected.then(|| socket.remote.ip());
        entry.remote_port = connected.then(|| socket.remote.port());
        entry.inode = socket.inode;
        entry.uid = Some(socket.uid);
        entry.user = self.users.name(socket.uid);
        entry.netns = netns;
        entry.cookie = socket.cookie;
        // The queues of a socket being freed mean nothing (the kernel leaves what it
        // leaves): null, as for a source that does not say.
        entry
    }

    /// Takes in a process event: an exited process's fd table and facts are dropped from
    /// the caches at once, an exec'd one's facts (a new program) too.
    #[cfg(target_os = "linux")]
    pub fn process_event(&mut self, event: &ProcessEvent) {
        if let Some(pid) = event.ends_process() {
            // Its sockets have other holders now, or none: a scan tells which.
            self.unsettled |= self.scanner.holds_sockets(pid);
            self.scanner.forget(pid);
            self.enricher.forget(pid);
        } else if let ProcessEvent::Exec { tgid } = *event {
            // A new program: its records' process and command line change.
            self.unsettled |= self.scanner.holds_sockets(tgid);
            self.enricher.forget(tgid);
        }
    }

    /// The change tracker: counts, the sequence number, recently gone sockets.
    #[must_use]
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// Names (`ip netns` names, container names) for the namespaces of the last refresh,
    /// keyed by namespace inode.
    pub fn namespace_names(&mut self) -> BTreeMap<u64, String> {
        self.enricher.namespace_names(&self.namespaces)
    }

    /// The options this session was made with.
    #[must_use]
    pub fn options(&self) -> &Options {
        &self.options
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;

    /// What `refresh_each` hands over in one refresh, as `pick` keeps it.
    fn handed_over<T>(session: &mut Session, pick: impl Fn(&Change) -> Option<T>) -> Vec<T> {
        let mut seen = Vec::new();
        session
            .refresh_each(
                Timestamp::now(),
                |_| {},
                |changes| {
                    seen.extend(changes.iter().filter_map(&pick));
                    ControlFlow::Continue(())
                },
            )
            .expect("a refresh");
        seen
    }

    /// What `refresh_each` hands over in one refresh: status, local port and pid.
    fn changelog(session: &mut Session) -> Vec<(Status, u16, Option<u32>)> {
        handed_over(session, |c| {
            let entry = &c.record.entry;
            Some((c.record.status, entry.local_port, entry.pid))
        })
    }

    /// What one refresh hands over about the sockets `inodes`, in that order: status,
    /// inode and pid.
    #[cfg(target_os = "linux")]
    fn changelog_of(session: &mut Session, inodes: &[u64]) -> Vec<(Status, u64, Option<u32>)> {
        let mut seen = handed_over(session, |c| {
            let entry = &c.record.entry;
            inodes
                .contains(&entry.inode)
                .then_some((c.record.status, entry.inode, entry.pid))
        });
        seen.sort_by_key(|&(_, inode, _)| inodes.iter().position(|&i| i == inode));
        seen
    }

    #[test]
    fn refresh_each_hands_over_a_listener_new_then_gone_and_nothing_unchanged() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let filter = crate::query::parse(&format!("port={port}")).expect("a filter");
        let mut session = Session::new(Options::default().with_filter(filter));
        let own = Some(std::process::id());
        assert_eq!(changelog(&mut session), [(Status::New, port, own)]);
        assert_eq!(changelog(&mut session), [], "unchanged: nothing");
        drop(listener);
        assert_eq!(changelog(&mut session), [(Status::Gone, port, own)]);
        assert_eq!(session.tracker().seq(), 3);
    }

    // A socket whose only reference is an fd in flight over a unix socket has no holder
    // for a while, as an accepted connection has before its fd. In the first scan, which
    // has every open socket, it is new without one; new to the watch later, it waits a scan
    // for its holder; known already, it is shown without one, never as gone.
    #[test]
    #[cfg(target_os = "linux")]
    fn a_socket_without_a_holder_for_a_moment_is_new_with_it_and_never_gone() {
        use crate::scan::tests::{fd_channel, receive_fd, send_fd};
        use std::os::fd::{AsFd, AsRawFd};
        use std::os::unix::fs::MetadataExt;
        let inode_of = |fd: &dyn AsRawFd| {
            std::fs::metadata(format!("/proc/self/fd/{}", fd.as_raw_fd()))
                .expect("own fd")
                .ino()
        };
        let (sender, receiver) = fd_channel();
        let early = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let known = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let (early_inode, known_inode) = (inode_of(&early), inode_of(&known));
        let mut session = Session::new(Options::default());
        let own = Some(std::process::id());

        send_fd(&sender, early.as_fd());
        drop(early);
        assert_eq!(
            changelog_of(&mut session, &[early_inode, known_inode]),
            [
                (Status::New, early_inode, None),
                (Status::New, known_inode, own)
            ],
            "the first scan has every socket, one without a holder too"
        );

        let early = receive_fd(&receiver);
        let fresh = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let fresh_inode = inode_of(&fresh);
        send_fd(&sender, fresh.as_fd());
        send_fd(&sender, known.as_fd());
        drop((fresh, known));
        let all = [early_inode, known_inode, fresh_inode];
        assert_eq!(
            changelog_of(&mut session, &all),
            [
                (Status::Unchanged, early_inode, own),
                (Status::Unchanged, known_inode, None)
            ],
            "a known socket without a holder is shown so, not gone; a new one waits"
        );

        let fresh = receive_fd(&receiver);
        let known = receive_fd(&receiver);
        assert_eq!(
            changelog_of(&mut session, &all),
            [
                (Status::Unchanged, known_inode, own),
                (Status::New, fresh_inode, own)
            ],
            "new with the holder it has by then"
        );
        drop((early, known, fresh));
    }
}
