//! Event sources: what the kernel reports as it happens, between two scans.
//!
//! A scan sees the sockets open at the moment it runs; a connection that opens and closes
//! between two scans is never in one. The sources here are kernel notifications that need
//! no compiled BPF program, each read as a typed stream a caller polls with a timeout:
//!
//! - [`destroy::DestroyEvents`]: one [`destroy::SocketEvent::Destroyed`] per TCP or UDP
//!   socket (IPv4 and IPv6) as the kernel destroys it, with its last addresses, owner uid
//!   and, for TCP, the final byte counters — the `sock_diag` multicast groups `ss -E`
//!   listens to. Per network namespace: the one of the thread that opens it.
//! - [`process::ProcessEvents`]: fork, exec and exit of every process as it happens (the
//!   proc connector), so attribution can follow a new process and drop an exited one at
//!   once. The initial network namespace only; non-root on Linux 6.6 and later.
//! - [`tcp_state::TcpStateEvents`]: every TCP state change (`connect`, `listen`, handshake,
//!   close) as it happens, from the `sock:inet_sock_set_state` tracepoint through
//!   `perf_event_open`, with the pid where the owner made the change itself; every network
//!   namespace at once. Root only. [`tcp_state::Connections`] turns the changes into
//!   connections that begin and end, for `new` and `gone` records of connections shorter
//!   than a scan interval.
//!
//! The periodic scan stays the reconciliation pass: a source can lose events (the kernel
//! drops them when the reader falls behind, reported as
//! [`destroy::SocketEvent::Lost`]), and it never says which process held a socket.
//!
//! Linux only.
//!
//! # How a watch consumes them
//!
//! Each source is an [`EventSource`]: a file descriptor to poll and the next event already
//! waiting, never blocking. [`Sources`] holds the open ones of a watch (one destroy
//! subscription per network namespace, the proc connector) and waits on all their
//! descriptors at once until the next scan is due; a new kind of source is one more
//! [`Event`] variant and one more [`Feed`].
//!
//! - Between ticks the watch waits on [`Sources::wait`] with the time left to the next
//!   scan, drains every waiting event ([`Sources::drain`]) and writes each record at once,
//!   flushed; before each scan it drains once more, so events come before the scan that
//!   reconciles them.
//! - A `Destroyed` socket becomes a `gone` record now ([`crate::session::Session::destroyed`],
//!   [`crate::track::Tracker::destroyed`]): the socket the scans saw, matched by its cookie
//!   (by namespace, protocol and addresses where the scan had no cookie), with the event's
//!   final counters, and it leaves the tracker so the next scan does not report it again.
//!   One no scan saw is a `gone` record with `first_seen`, pid and process null and the
//!   event's uid; only TCP sockets that had a peer and UDP sockets are reported, or a watch
//!   would print every never-connected TCP socket.
//! - `seq` of an event record is the number of the last scan before it (the scan that
//!   reconciles it comes next), so records stay ordered by `seq`, and `connections_gt`,
//!   which counts per `seq`, counts a scan's records plus the events after it. `ts` is when
//!   the event was read, to the millisecond; `source` says `scan` or `event`.
//! - `Lost`: some sockets closed unreported; the next scan restores everything that is
//!   still open, the short-lived ones are gone for good. The watch says so once on stderr.
//! - `Exit` drops the exited process's fd table and process facts from the session's caches
//!   at once; `Exec` its process facts (a new program). `Fork` needs nothing: a new process
//!   is read on first need.
//! - `--all-netns`: one [`destroy::DestroyEvents`] per namespace, opened inside it; new
//!   namespaces at each scan. The proc connector is global (one, in the initial namespace).
//! - `Began` of [`tcp_state::Connections`] (as root) is the `new` record of a connection or
//!   listener with its pid, even one that lives a millisecond; the `Destroyed` of the same
//!   socket then makes its `gone` record, with the pid from `Began` and the final counters.
//!   The helper's listeners are seeded from each scan
//!   ([`tcp_state::Connections::note_listener`]) so accepted sockets get a pid. Its records
//!   are held [`tcp_state::REORDER_WINDOW`] (2 ms) to come out in time order: a loop
//!   polling [`tcp_state::TcpStateEvents::fds`] itself uses
//!   [`tcp_state::TcpStateEvents::next_due`] as the longest timeout.

use std::collections::HashSet;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use crate::sys;

pub mod destroy;
pub mod process;
pub mod tcp_state;

/// A kernel event source: a descriptor to poll, and the next event already waiting.
pub trait EventSource: AsFd {
    /// What it reports.
    type Event;

    /// The next event already waiting, without blocking; `Ok(None)` when none is.
    fn try_next(&mut self) -> io::Result<Option<Self::Event>>;
}

/// The next event of `source` if one arrives within `timeout` (`Duration::ZERO`: only one
/// already waiting); `Ok(None)` when none did.
pub fn next_within<S: EventSource + ?Sized>(
    source: &mut S,
    timeout: Duration,
) -> io::Result<Option<S::Event>> {
    let deadline = Instant::now().checked_add(timeout);
    loop {
        if let Some(event) = source.try_next()? {
            return Ok(Some(event));
        }
        let left = match deadline {
            Some(deadline) => deadline.saturating_duration_since(Instant::now()),
            None => timeout,
        };
        if left.is_zero() {
            return Ok(None);
        }
        // A wake-up without data (or a poll error) only goes round the loop, which ends at
        // the deadline.
        let _ = sys::readable_within(&[source.as_fd()], left);
    }
}

/// The next event of `source`, however long it takes: what the sources' iterators yield.
pub(crate) fn next_blocking<S: EventSource + ?Sized>(source: &mut S) -> io::Result<S::Event> {
    loop {
        if let Some(event) = next_within(source, Duration::from_secs(3600))? {
            return Ok(event);
        }
    }
}

/// An event of any source a watch holds.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// From the destroy subscription of network namespace `netns`.
    Socket {
        /// The namespace the subscription lives in (its inode).
        netns: Option<u64>,
        /// What it reported.
        event: destroy::SocketEvent,
    },
    /// From the proc connector.
    Process(process::ProcessEvent),
    /// From the `sock:inet_sock_set_state` tracepoint (every namespace).
    TcpState(tcp_state::TcpStateEvent),
}

/// One open source as [`Sources`] holds it: its descriptors, and its waiting events as
/// [`Event`]s.
pub trait Feed: Send {
    /// Appends the descriptors that are readable when an event waits (one per CPU for the
    /// tracepoint, one for the others).
    fn fds<'a>(&'a self, out: &mut Vec<BorrowedFd<'a>>);
    /// How long until an event already read is due: a source that holds events back
    /// (the tracepoint, to put CPUs in time order) says so, and a wait ends then.
    fn due(&self) -> Option<Duration> {
        None
    }
    /// Appends every event already waiting to `out`, without blocking.
    fn drain(&mut self, out: &mut Vec<Event>) -> io::Result<()>;
}

/// A destroy subscription with the namespace it lives in.
#[derive(Debug)]
struct InNamespace {
    netns: Option<u64>,
    events: destroy::DestroyEvents,
}

impl Feed for InNamespace {
    fn fds<'a>(&'a self, out: &mut Vec<BorrowedFd<'a>>) {
        out.push(self.events.as_fd());
    }

    fn drain(&mut self, out: &mut Vec<Event>) -> io::Result<()> {
        while let Some(event) = self.events.try_next()? {
            out.push(Event::Socket {
                netns: self.netns,
                event,
            });
        }
        Ok(())
    }
}

impl Feed for process::ProcessEvents {
    fn fds<'a>(&'a self, out: &mut Vec<BorrowedFd<'a>>) {
        out.push(self.as_fd());
    }

    fn drain(&mut self, out: &mut Vec<Event>) -> io::Result<()> {
        while let Some(event) = self.try_next()? {
            out.push(Event::Process(event));
        }
        Ok(())
    }
}

impl Feed for tcp_state::TcpStateEvents {
    fn fds<'a>(&'a self, out: &mut Vec<BorrowedFd<'a>>) {
        out.extend(tcp_state::TcpStateEvents::fds(self));
    }

    fn due(&self) -> Option<Duration> {
        self.next_due()
    }

    fn drain(&mut self, out: &mut Vec<Event>) -> io::Result<()> {
        while let Some(event) = self.next_within(Duration::ZERO)? {
            out.push(Event::TcpState(event));
        }
        Ok(())
    }
}

/// The event sources a watch holds, waited on together.
#[derive(Default)]
pub struct Sources {
    feeds: Vec<Box<dyn Feed>>,
    namespaces: HashSet<Option<u64>>,
}

impl std::fmt::Debug for Sources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sources")
            .field("feeds", &self.feeds.len())
            .field("namespaces", &self.namespaces)
            .finish()
    }
}

impl Sources {
    /// No sources yet.
    #[must_use]
    pub fn new() -> Sources {
        Sources::default()
    }

    /// Adds the destroy subscription of namespace `netns`.
    pub fn add_destroy(&mut self, netns: Option<u64>, events: destroy::DestroyEvents) {
        self.namespaces.insert(netns);
        self.feeds.push(Box::new(InNamespace { netns, events }));
    }

    /// Whether namespace `netns` has its destroy subscription already.
    #[must_use]
    pub fn watches(&self, netns: Option<u64>) -> bool {
        self.namespaces.contains(&netns)
    }

    /// Marks namespace `netns` as handled without a subscription (it could not be made),
    /// so [`Sources::watches`] does not have it tried again.
    pub fn add_none(&mut self, netns: Option<u64>) {
        self.namespaces.insert(netns);
    }

    /// Adds any other source (the proc connector, a tracepoint).
    pub fn add(&mut self, feed: Box<dyn Feed>) {
        self.feeds.push(feed);
    }

    /// Whether no source is open.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.feeds.is_empty()
    }

    /// Waits up to `timeout` for an event on any source; whether one is waiting.
    #[must_use]
    pub fn wait(&self, timeout: Duration) -> bool {
        if self.feeds.is_empty() {
            std::thread::sleep(timeout);
            return false;
        }
        let mut fds: Vec<BorrowedFd<'_>> = Vec::with_capacity(self.feeds.len());
        for feed in &self.feeds {
            feed.fds(&mut fds);
        }
        // A source holding events back is waited for no longer than until they are due.
        let due = self.feeds.iter().filter_map(|feed| feed.due()).min();
        if let Some(due) = due.filter(|due| *due <= timeout) {
            let _ = sys::readable_within(&fds, due);
            return true;
        }
        sys::readable_within(&fds, timeout) > 0
    }

    /// Appends every event waiting on any source to `out`, without blocking. A source that
    /// fails is closed and its error returned with the others', the rest go on.
    pub fn drain(&mut self, out: &mut Vec<Event>) -> Vec<io::Error> {
        let mut errors = Vec::new();
        self.feeds.retain_mut(|feed| match feed.drain(out) {
            Ok(()) => true,
            Err(err) => {
                errors.push(err);
                false
            }
        });
        errors
    }
}
