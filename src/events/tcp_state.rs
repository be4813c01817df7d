//! Every TCP state change as it happens: the kernel's `sock:inet_sock_set_state`
//! tracepoint, read through `perf_event_open` — no compiled BPF program, no kprobes.
//!
//! The tracepoint fires in `inet_sk_set_state` whenever a TCP socket changes state: a
//! `connect` (CLOSE -> SYN_SENT), a `listen` (CLOSE -> LISTEN), a handshake finished
//! (SYN_RECV -> ESTABLISHED on the server side), a close (ESTABLISHED -> FIN_WAIT1 ...
//! -> CLOSE). Its record carries the kernel address of the socket (an opaque id that links
//! the changes of one socket), the old and new state, the family, protocol, ports and
//! addresses. Where the fields lie is read from the event's `format` file in tracefs, not
//! assumed, so a kernel that moves them still parses.
//!
//! One perf event per online CPU, each with its own ring buffer, all polled together. Each
//! sample also carries the process and thread the CPU was running and a `CLOCK_MONOTONIC`
//! time. Root only (tracefs and a system-wide perf event); tracefs is mounted at
//! `/sys/kernel/tracing` when it is not mounted anywhere. Linux only. CPUs brought online
//! after [`TcpStateEvents::open`] are not watched.
//!
//! # Which pid is trustworthy
//!
//! A tracepoint records the task the CPU was running, which is the socket's owner only when
//! the change is made by a system call of that process. [`StateChange::pid`] is `Some`
//! only for those changes ([`made_by_owner`]):
//!
//! - `connect` (CLOSE -> SYN_SENT) and `listen` (CLOSE -> LISTEN);
//! - the owner's `close` or `shutdown` (ESTABLISHED -> FIN_WAIT1, SYN_RECV -> FIN_WAIT1,
//!   CLOSE_WAIT -> LAST_ACK, LISTEN -> CLOSE); a process that exits closes its sockets in
//!   its own context too.
//!
//! Everything else happens as packets arrive or timers fire, in softirq context, on top of
//! whatever task was interrupted: on loopback often the peer process (SYN_RECV ->
//! ESTABLISHED, FIN received -> CLOSE_WAIT, the last ACK -> CLOSE, an RST). Those carry
//! `pid: None`. So do changes that either a system call or a packet can cause (SYN_SENT ->
//! CLOSE: the owner gave up, or the peer refused; ESTABLISHED -> CLOSE: a close with
//! unread data, or an RST). What the rule cannot see: a close happens where the last
//! file reference is dropped. A process that forks while a thread closes a socket leaves
//! the child holding a copy until its `exec`, so the close is the child's (measured: 1
//! connection in 22,000 when a benchmark runs `ss` beside its connections); a socket in
//! an fd message never received is closed by a kernel thread.
//!
//! The pid is the process (thread group) id, as the reader's pid namespace sees it. At
//! CLOSE -> SYN_SENT the local port is still 0: the kernel picks it just after changing
//! the state; the socket's next change has it.
//!
//! [`Connections`] turns the stream into connections that begin and end, with the best pid
//! known for each.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::model::{Proto, State};
use crate::sys;

/// Where tracefs is looked for, in order; the first is where it is mounted when missing.
const TRACEFS: [&str; 2] = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];
/// The event's directory under tracefs.
const EVENT_DIR: &str = "events/sock/inet_sock_set_state";

/// How long an event is held before it is handed out. Each CPU has its own ring, read one
/// after the other: a record stamped just before another on a different CPU can reach its
/// ring after that ring was read, and come a read later. Events are handed out in time
/// order once this much older than the read, so one socket's changes (and a freed
/// socket's CLOSE before the next socket at its address) never come out of order unless a
/// CPU takes longer than this between stamping a record and publishing it (a virtual CPU
/// the host stopped, at worst).
pub const REORDER_WINDOW: Duration = Duration::from_millis(2);

/// Ring buffer pages per CPU (256 KiB with 4 KiB pages): about 2,300 state changes, a
/// burst of a few hundred connections, before the kernel drops records.
const DEFAULT_PAGES: usize = 64;

/// What each sample holds, in this order after its header: pid and tid (u32 each), time
/// (u64), then the raw tracepoint record (u32 size, bytes).
const SAMPLE_TYPE: u64 = sys::PERF_SAMPLE_TID | sys::PERF_SAMPLE_TIME | sys::PERF_SAMPLE_RAW;

/// `perf_event_header.type` values.
const PERF_RECORD_LOST: u32 = 2;
const PERF_RECORD_SAMPLE: u32 = 9;

const AF_INET: u64 = 2;
const AF_INET6: u64 = 10;
const IPPROTO_TCP: u64 = 6;

/// One change of one TCP socket's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StateChange {
    /// The process that made the change, only where that is certain (see the module's
    /// rule, [`made_by_owner`]): `connect`, `listen`, the owner's `close`/`shutdown`.
    pub pid: Option<u32>,
    /// The thread of `pid` that made it: its network namespace is the socket's (a thread
    /// may have joined another than its process's).
    pub tid: Option<u32>,
    /// The state before.
    pub old: State,
    /// The state after.
    pub new: State,
    /// Local address and port (IPv4-mapped IPv6 addresses as IPv4).
    pub local: SocketAddr,
    /// Remote address and port; unspecified with port 0 for a listener.
    pub remote: SocketAddr,
    /// The kernel's address of the socket: the same for every change of one socket while
    /// it lives, reused by a later socket once it is freed. An opaque id.
    pub sk: u64,
    /// When, on `CLOCK_MONOTONIC` ([`sys::monotonic_now`] is now on that clock).
    pub time: Duration,
}

/// What the tracepoint source reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TcpStateEvent {
    /// A TCP socket changed state.
    StateChange(StateChange),
    /// The kernel dropped `count` records because a CPU's ring buffer was full: the reader
    /// fell behind. Only a scan can tell what is open now. The kernel writes this notice
    /// with the next record it has room for, so it comes with the next state change on
    /// that CPU after the reader caught up.
    Lost {
        /// How many records were dropped.
        count: u64,
    },
}

/// Whether the change `old -> new` is made by a system call of the socket's owner, so the
/// task a sample names is that process (the module's rule).
#[must_use]
pub fn made_by_owner(old: State, new: State) -> bool {
    matches!(
        (old, new),
        (State::Close, State::SynSent | State::Listen)
            | (State::Established | State::SynRecv, State::FinWait1)
            | (State::CloseWait, State::LastAck)
            | (State::Listen, State::Close)
    )
}

/// A field of the tracepoint's record: where it is and how wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Field {
    offset: usize,
    size: usize,
}

impl Field {
    /// The field as an unsigned integer (1, 2, 4 or 8 bytes, native order).
    fn uint(self, record: &[u8]) -> Option<u64> {
        let bytes = record.get(self.offset..self.offset + self.size)?;
        Some(match self.size {
            1 => u64::from(bytes[0]),
            2 => u64::from(u16::from_ne_bytes(bytes.try_into().ok()?)),
            4 => u64::from(u32::from_ne_bytes(bytes.try_into().ok()?)),
            8 => u64::from_ne_bytes(bytes.try_into().ok()?),
            _ => return None,
        })
    }

    /// The field's bytes, when it is exactly `N` wide.
    fn bytes<const N: usize>(self, record: &[u8]) -> Option<[u8; N]> {
        if self.size != N {
            return None;
        }
        record.get(self.offset..self.offset + N)?.try_into().ok()
    }
}

/// Where the fields prt reads lie in the record, from the event's `format` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    skaddr: Field,
    oldstate: Field,
    newstate: Field,
    sport: Field,
    dport: Field,
    family: Field,
    protocol: Field,
    saddr: Field,
    daddr: Field,
    saddr_v6: Field,
    daddr_v6: Field,
}

impl Layout {
    /// Reads the `field:TYPE NAME; offset:N; size:N; signed:N;` lines of a tracefs
    /// `format` file. Fails naming the first field prt needs that is not there.
    fn parse(format: &str) -> io::Result<Layout> {
        let mut fields: HashMap<&str, Field> = HashMap::new();
        for line in format.lines() {
            let mut parts = line.trim().split(';').map(str::trim);
            let Some(declaration) = parts.next().and_then(|p| p.strip_prefix("field:")) else {
                continue;
            };
            // The name is the declaration's last word, without an array suffix.
            let Some(name) = declaration
                .rsplit([' ', '*'])
                .next()
                .and_then(|word| word.split('[').next())
            else {
                continue;
            };
            let (mut offset, mut size) = (None, None);
            for part in parts {
                if let Some(value) = part.strip_prefix("offset:") {
                    offset = value.parse().ok();
                } else if let Some(value) = part.strip_prefix("size:") {
                    size = value.parse().ok();
                }
            }
            if let (Some(offset), Some(size)) = (offset, size) {
                fields.insert(name, Field { offset, size });
            }
        }
        let field = |name: &str| {
            fields.get(name).copied().ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("the inet_sock_set_state format has no field {name}"),
                )
            })
        };
        Ok(Layout {
            skaddr: field("skaddr")?,
            oldstate: field("oldstate")?,
            newstate: field("newstate")?,
            sport: field("sport")?,
            dport: field("dport")?,
            family: field("family")?,
            protocol: field("protocol")?,
            saddr: field("saddr")?,
            daddr: field("daddr")?,
            saddr_v6: field("saddr_v6")?,
            daddr_v6: field("daddr_v6")?,
        })
    }

    /// The state change in one raw tracepoint record; `None` for other protocols
    /// (SCTP, MPTCP), unknown states or families, and records cut short.
    fn change(&self, raw: &[u8], pid: u32, tid: u32, time: Duration) -> Option<StateChange> {
        if self.protocol.uint(raw)? != IPPROTO_TCP {
            return None;
        }
        let state = |field: Field| {
            let number = u8::try_from(field.uint(raw)?).ok()?;
            State::from_kernel(Proto::Tcp, number)
        };
        let (old, new) = (state(self.oldstate)?, state(self.newstate)?);
        let (local, remote) = match self.family.uint(raw)? {
            AF_INET => (
                IpAddr::V4(Ipv4Addr::from(self.saddr.bytes::<4>(raw)?)),
                IpAddr::V4(Ipv4Addr::from(self.daddr.bytes::<4>(raw)?)),
            ),
            AF_INET6 => (
                IpAddr::V6(Ipv6Addr::from(self.saddr_v6.bytes::<16>(raw)?)).to_canonical(),
                IpAddr::V6(Ipv6Addr::from(self.daddr_v6.bytes::<16>(raw)?)).to_canonical(),
            ),
            _ => return None,
        };
        // The tracepoint stores ports in host order already.
        let port = |field: Field| u16::try_from(field.uint(raw)?).ok();
        let owner = made_by_owner(old, new) && pid != 0;
        Some(StateChange {
            pid: owner.then_some(pid),
            tid: owner.then_some(tid),
            old,
            new,
            local: SocketAddr::new(local, port(self.sport)?),
            remote: SocketAddr::new(remote, port(self.dport)?),
            sk: self.skaddr.uint(raw)?,
            time,
        })
    }
}

/// One perf record (header included) as an event; `None` for records of other kinds and
/// samples that are not TCP state changes.
fn parse_record(layout: &Layout, record: &[u8]) -> Option<TcpStateEvent> {
    let u32_at = |at: usize| Some(u32::from_ne_bytes(record.get(at..at + 4)?.try_into().ok()?));
    let u64_at = |at: usize| Some(u64::from_ne_bytes(record.get(at..at + 8)?.try_into().ok()?));
    match u32_at(0)? {
        // id (u64), lost (u64).
        PERF_RECORD_LOST => Some(TcpStateEvent::Lost { count: u64_at(16)? }),
        PERF_RECORD_SAMPLE => {
            let (pid, tid) = (u32_at(8)?, u32_at(12)?);
            let time = Duration::from_nanos(u64_at(16)?);
            let raw_size = u32_at(24)? as usize;
            let raw = record.get(28..28 + raw_size)?;
            layout
                .change(raw, pid, tid, time)
                .map(TcpStateEvent::StateChange)
        }
        _ => None,
    }
}

/// The CPUs listed in `/sys/devices/system/cpu/online` (`0-3,6,8-9`).
fn parse_cpu_list(text: &str) -> Vec<u32> {
    let mut cpus = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        let (first, last) = part.split_once('-').unwrap_or((part, part));
        if let (Ok(first), Ok(last)) = (first.trim().parse::<u32>(), last.trim().parse::<u32>()) {
            cpus.extend(first..=last);
        }
    }
    cpus
}

/// The online CPUs; every CPU this process may run on when the list cannot be read.
fn online_cpus() -> Vec<u32> {
    let listed = std::fs::read_to_string("/sys/devices/system/cpu/online")
        .map(|text| parse_cpu_list(&text))
        .unwrap_or_default();
    if listed.is_empty() {
        let count = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        (0..count as u32).collect()
    } else {
        listed
    }
}

/// The event's tracefs directory, mounting tracefs at `/sys/kernel/tracing` when it is
/// mounted nowhere.
fn event_dir() -> io::Result<PathBuf> {
    let find = || {
        TRACEFS
            .iter()
            .map(|root| Path::new(root).join(EVENT_DIR))
            .find(|dir| dir.join("id").exists())
    };
    if let Some(dir) = find() {
        return Ok(dir);
    }
    let mounted = TRACEFS
        .iter()
        .any(|root| Path::new(root).join("events").exists());
    if !mounted {
        if !sys::is_root() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "the TCP state tracepoint needs root: tracefs is not mounted (or not readable) \
                 and only root may mount it",
            ));
        }
        sys::mount_tracefs(c"/sys/kernel/tracing").map_err(|err| {
            io::Error::new(
                err.kind(),
                format!(
                    "tracefs is not mounted and mounting it at /sys/kernel/tracing failed: {err}"
                ),
            )
        })?;
        if let Some(dir) = find() {
            return Ok(dir);
        }
    }
    Err(io::Error::new(
        io::ErrorKind::NotFound,
        "this kernel has no sock:inet_sock_set_state tracepoint in tracefs",
    ))
}

/// Reads a tracefs file, saying which one failed and why root is needed.
fn read_tracefs(path: &Path) -> io::Result<String> {
    std::fs::read_to_string(path).map_err(|err| {
        let hint = if err.kind() == io::ErrorKind::PermissionDenied {
            " (tracefs is root's)"
        } else {
            ""
        };
        io::Error::new(err.kind(), format!("{}: {err}{hint}", path.display()))
    })
}

/// A subscription to every TCP state change of this machine (all network namespaces: the
/// tracepoint is global), one perf ring per online CPU. Poll it with
/// [`TcpStateEvents::next_within`], or `poll(2)` on [`TcpStateEvents::fds`], or iterate
/// (which blocks).
#[derive(Debug)]
pub struct TcpStateEvents {
    rings: Vec<sys::PerfRing>,
    layout: Layout,
    scratch: Vec<u8>,
    /// Drained records not yet due, ordered by time (records of different CPUs
    /// interleave).
    held: Vec<(Duration, TcpStateEvent)>,
    pending: VecDeque<TcpStateEvent>,
}

impl TcpStateEvents {
    /// Opens the tracepoint on every online CPU with a 256 KiB ring each.
    ///
    /// Fails with a message saying why: not root (tracefs unreadable, or
    /// `kernel.perf_event_paranoid` forbids a system-wide event), tracefs missing and not
    /// mountable, or a kernel without the tracepoint.
    pub fn open() -> io::Result<TcpStateEvents> {
        TcpStateEvents::open_with_pages(DEFAULT_PAGES)
    }

    /// [`TcpStateEvents::open`] with `pages` pages of ring buffer per CPU (rounded up to a
    /// power of two): how large a burst can wait unread before [`TcpStateEvent::Lost`].
    pub fn open_with_pages(pages: usize) -> io::Result<TcpStateEvents> {
        let dir = event_dir()?;
        let id: u64 = read_tracefs(&dir.join("id"))?.trim().parse().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "the tracepoint's id is not a number",
            )
        })?;
        let layout = Layout::parse(&read_tracefs(&dir.join("format"))?)?;
        let mut rings = Vec::new();
        for cpu in online_cpus() {
            let ring = sys::PerfRing::open_tracepoint(id, cpu, SAMPLE_TYPE, pages)
                .map_err(|err| perf_error(&err, cpu))?;
            rings.push(ring);
        }
        // Enabled only once all are open, so no CPU starts long before another.
        for ring in &rings {
            ring.enable()?;
        }
        Ok(TcpStateEvents {
            rings,
            layout,
            scratch: Vec::new(),
            held: Vec::new(),
            pending: VecDeque::new(),
        })
    }

    /// The descriptors to `poll(2)` for input, one per CPU: when one is readable, records
    /// wait. They come out of [`TcpStateEvents::next_within`] once [`REORDER_WINDOW`] old,
    /// so a caller's own `poll` also needs a timeout no longer than
    /// [`TcpStateEvents::next_due`].
    #[must_use]
    pub fn fds(&self) -> Vec<BorrowedFd<'_>> {
        self.rings.iter().map(AsFd::as_fd).collect()
    }

    /// How long until the oldest record already read is handed out (zero when it is due
    /// now); `None` when none is held. A caller polling [`TcpStateEvents::fds`] itself
    /// waits no longer than this, then calls `next_within(Duration::ZERO)`.
    #[must_use]
    pub fn next_due(&self) -> Option<Duration> {
        let (time, _) = self.held.first()?;
        Some((*time + REORDER_WINDOW).saturating_sub(sys::monotonic_now()))
    }

    /// The next event if one arrives within `timeout` (`Duration::ZERO`: only one already
    /// waiting); `Ok(None)` when none did. Events come out in time order across CPUs, each
    /// held [`REORDER_WINDOW`] after it happened so that a slightly earlier record still
    /// being written on another CPU comes out before it.
    pub fn next_within(&mut self, timeout: Duration) -> io::Result<Option<TcpStateEvent>> {
        let deadline = Instant::now().checked_add(timeout);
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Ok(Some(event));
            }
            if self.fill() {
                continue;
            }
            let left = match deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => timeout,
            };
            if left.is_zero() {
                return Ok(None);
            }
            if let Some(due) = self.next_due() {
                // Records arriving meanwhile are later still: sleep until the oldest held
                // one is due and read them all then, one wake-up for a whole burst.
                std::thread::sleep(left.min(due.max(Duration::from_micros(50))));
                continue;
            }
            // A wake-up without a TCP record (or a poll error) only goes round the loop,
            // which ends at the deadline.
            let _ = sys::readable_within(&self.fds(), left);
        }
    }

    /// Drains every ring into `held`, and moves the events old enough that nothing
    /// earlier can still be unwritten into `pending`, in time order; whether any came.
    fn fill(&mut self) -> bool {
        let TcpStateEvents {
            rings,
            layout,
            scratch,
            held,
            pending,
        } = self;
        // Taken before reading: whatever happened before `now - REORDER_WINDOW` is in the
        // rings by the time they are read.
        let now = sys::monotonic_now();
        let before = held.len();
        for ring in rings.iter_mut() {
            let mut last = Duration::ZERO;
            ring.drain(scratch, |record| {
                if let Some(event) = parse_record(layout, record) {
                    if let TcpStateEvent::StateChange(change) = event {
                        last = change.time;
                    }
                    // A loss sorts after the last record before it on its CPU.
                    held.push((last, event));
                }
            });
        }
        if held.len() > before {
            held.sort_by_key(|(time, _)| *time);
        }
        let due = held.partition_point(|(time, _)| *time + REORDER_WINDOW <= now);
        pending.extend(held.drain(..due).map(|(_, event)| event));
        !pending.is_empty()
    }
}

impl Iterator for TcpStateEvents {
    type Item = io::Result<TcpStateEvent>;

    /// Blocks until the next event; never ends on its own.
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.next_within(Duration::from_secs(3600)) {
                Ok(Some(event)) => return Some(Ok(event)),
                Ok(None) => {}
                Err(err) => return Some(Err(err)),
            }
        }
    }
}

/// `perf_event_open`'s refusal, with the reason a person can act on.
fn perf_error(err: &io::Error, cpu: u32) -> io::Error {
    let denied = matches!(err.raw_os_error(), Some(libc::EACCES | libc::EPERM));
    if !denied {
        return io::Error::new(err.kind(), format!("perf_event_open on CPU {cpu}: {err}"));
    }
    let paranoid = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .map_or_else(|_| "unknown".to_owned(), |text| text.trim().to_owned());
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!(
            "perf_event_open refused a system-wide tracepoint ({err}): it needs root or \
             CAP_PERFMON (kernel.perf_event_paranoid is {paranoid})"
        ),
    )
}

/// What a socket is to the [`Connections`] helper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// A listening socket (CLOSE -> LISTEN).
    Listener,
    /// The connecting end (CLOSE -> SYN_SENT).
    Client,
    /// An accepted connection (SYN_RECV -> ESTABLISHED).
    Server,
    /// A socket opened before the stream started, seen only later: which end it is cannot
    /// be told.
    Unknown,
}

/// Where [`Connection::pid`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PidSource {
    /// A change the socket's owner made in its own context (`connect`, `listen`, its
    /// `close`): the process that holds (or held) it.
    Owner,
    /// An accepted socket whose owner has not shown itself yet: the process that opened
    /// the listener it came from (for a forked server, the one that called `listen`,
    /// usually the master — as prt attributes a shared listener).
    Listener,
    /// Nothing known.
    Unknown,
}

/// A socket as [`Connections`] knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Connection {
    /// The kernel's socket address ([`StateChange::sk`]).
    pub sk: u64,
    /// Which end.
    pub role: Role,
    /// The best pid known, see [`Connection::pid_source`].
    pub pid: Option<u32>,
    /// Where `pid` came from.
    pub pid_source: PidSource,
    /// The thread of `pid` that made the change it came from, when it came from one
    /// ([`StateChange::tid`]).
    pub tid: Option<u32>,
    /// Local address and port.
    pub local: SocketAddr,
    /// Remote address and port (unspecified, port 0, for a listener).
    pub remote: SocketAddr,
    /// When it began (`CLOCK_MONOTONIC`); `None` when that was before the stream started.
    pub began: Option<Duration>,
    /// When it ended; `None` while it lives.
    pub ended: Option<Duration>,
}

impl Connection {
    /// A socket first seen at `change`, after its beginning: the change's pid, if any.
    fn unknown(change: &StateChange) -> Connection {
        Connection {
            sk: change.sk,
            role: if change.old == State::Listen {
                Role::Listener
            } else {
                Role::Unknown
            },
            pid: change.pid,
            pid_source: if change.pid.is_some() {
                PidSource::Owner
            } else {
                PidSource::Unknown
            },
            tid: change.tid,
            local: change.local,
            remote: change.remote,
            began: None,
            ended: None,
        }
    }
}

/// A socket's life as [`Connections`] tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lifecycle {
    /// A listener opened (LISTEN), a client connected (SYN_SENT, told once its local port
    /// is known) or a server side finished its handshake (ESTABLISHED from SYN_RECV): a
    /// `new` record.
    Began(Connection),
    /// The socket reached CLOSE: a `gone` record. Its pid is the owner's from a close it
    /// made itself when there was one, else what `Began` had.
    Ended(Connection),
}

/// A live socket: what is known, its place in the eviction order, whether `Began` was told.
#[derive(Debug, Clone, Copy)]
struct Live {
    connection: Connection,
    generation: u64,
    announced: bool,
}

/// Tells from the stream of [`StateChange`]s when a connection (or listener) begins and
/// ends, and with which process, so a watch can report `new` and `gone` for connections
/// shorter than a millisecond.
///
/// When: a listener begins at LISTEN; a client at SYN_SENT, but the kernel picks its local
/// port just after that change, so its `Began` is told at the socket's next change (the
/// handshake's end, or its failure), with `began` still the time of SYN_SENT; an accepted
/// socket at ESTABLISHED from SYN_RECV. Every one ends at CLOSE.
///
/// Pids: a client's and a listener's come from their `connect`/`listen`. An accepted
/// socket's handshake finishes in softirq, so at `Began` its pid is the listener's (from
/// that listener's `listen` seen in the stream, or from [`Connections::note_listener`]
/// for listeners older than the stream) with [`PidSource::Listener`]; at `Ended` it is the
/// owner's own when the owner's `close` was seen ([`PidSource::Owner`]), else still the
/// listener's. A socket older than the stream has only an `Ended`, with the pid of the
/// owner's close if seen. Memory is bounded: past `capacity` sockets the oldest is
/// forgotten (its end is then reported as that of a socket never seen beginning).
#[derive(Debug)]
pub struct Connections {
    live: HashMap<u64, Live>,
    /// (sk, generation) in the order they were added: the eviction order.
    order: VecDeque<(u64, u64)>,
    generation: u64,
    capacity: usize,
    /// Listeners by port: address, sk (0 when noted from a scan), pid.
    listeners: HashMap<u16, Vec<(IpAddr, u64, Option<u32>)>>,
}

impl Default for Connections {
    fn default() -> Self {
        Connections::with_capacity(65_536)
    }
}

impl Connections {
    /// A helper remembering at most `capacity` live sockets.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Connections {
        Connections {
            live: HashMap::new(),
            order: VecDeque::new(),
            generation: 0,
            capacity: capacity.max(1),
            listeners: HashMap::new(),
        }
    }

    /// Tells the helper about a listener that was open before the stream started (from a
    /// scan), so connections it accepts get its pid.
    pub fn note_listener(&mut self, local: SocketAddr, pid: u32) {
        let entries = self.listeners.entry(local.port()).or_default();
        entries.retain(|(ip, _, _)| *ip != local.ip());
        entries.push((local.ip(), 0, Some(pid)));
    }

    /// How many sockets are remembered now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.live.len()
    }

    /// Whether no socket is remembered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// Takes one change and hands `emit` the beginnings and ends it makes (none, one, or
    /// for a client that failed to connect both).
    pub fn observe(&mut self, change: &StateChange, mut emit: impl FnMut(Lifecycle)) {
        let began = match (change.old, change.new) {
            (State::Close, State::Listen) => Some(Role::Listener),
            (State::Close, State::SynSent) => Some(Role::Client),
            (State::SynRecv, State::Established) => Some(Role::Server),
            _ => None,
        };
        if let Some(role) = began {
            if let Some(connection) = self.begin(role, change) {
                emit(Lifecycle::Began(connection));
            }
            return;
        }
        // A change older than the socket remembered at this address belongs to the socket
        // that was there before (records come a little out of order across CPUs).
        let stale = self
            .live
            .get(&change.sk)
            .is_some_and(|live| live.connection.began > Some(change.time));
        if stale {
            if change.new == State::Close {
                emit(Lifecycle::Ended(Connection {
                    ended: Some(change.time),
                    ..Connection::unknown(change)
                }));
            }
            return;
        }
        if let Some(live) = self.live.get_mut(&change.sk)
            && !live.announced
        {
            live.announced = true;
            live.connection.local = change.local;
            emit(Lifecycle::Began(live.connection));
        }
        if change.new == State::Close {
            let mut connection = match self.live.remove(&change.sk) {
                Some(live) => live.connection,
                None => Connection::unknown(change),
            };
            if let Some(pid) = change.pid {
                connection.pid = Some(pid);
                connection.pid_source = PidSource::Owner;
                connection.tid = change.tid;
            }
            connection.ended = Some(change.time);
            if connection.role == Role::Listener {
                self.forget_listener(&connection);
            }
            emit(Lifecycle::Ended(connection));
            return;
        }
        // A close or shutdown by the owner names it; remember that for the end.
        if let Some(pid) = change.pid {
            if let Some(live) = self.live.get_mut(&change.sk) {
                live.connection.pid = Some(pid);
                live.connection.pid_source = PidSource::Owner;
                live.connection.tid = change.tid;
            } else {
                self.remember(Connection::unknown(change), true);
            }
        }
    }

    /// Remembers a socket that begins as `role`; the connection to tell now, unless its
    /// local port is not chosen yet (a client at SYN_SENT: told at its next change).
    fn begin(&mut self, role: Role, change: &StateChange) -> Option<Connection> {
        let (pid, pid_source, tid) = match role {
            Role::Server => (self.listener_pid(change.local), PidSource::Listener, None),
            _ => (change.pid, PidSource::Owner, change.tid),
        };
        let connection = Connection {
            sk: change.sk,
            role,
            pid,
            pid_source: if pid.is_some() {
                pid_source
            } else {
                PidSource::Unknown
            },
            tid,
            local: change.local,
            remote: change.remote,
            began: Some(change.time),
            ended: None,
        };
        if role == Role::Listener {
            self.listeners
                .entry(change.local.port())
                .or_default()
                .push((change.local.ip(), change.sk, pid));
        }
        let announced = role != Role::Client || change.local.port() != 0;
        self.remember(connection, announced);
        announced.then_some(connection)
    }

    /// The pid of the listener a connection to `local` was accepted from: one bound to
    /// that address, else one bound to the wildcard address on that port.
    fn listener_pid(&self, local: SocketAddr) -> Option<u32> {
        let entries = self.listeners.get(&local.port())?;
        let exact = entries.iter().rev().find(|(ip, _, _)| *ip == local.ip());
        let wildcard = || entries.iter().rev().find(|(ip, _, _)| ip.is_unspecified());
        exact.or_else(wildcard).and_then(|(_, _, pid)| *pid)
    }

    /// Drops a closed listener from the index (and a noted one at the same address).
    fn forget_listener(&mut self, listener: &Connection) {
        let port = listener.local.port();
        if let Some(entries) = self.listeners.get_mut(&port) {
            entries.retain(|(ip, sk, _)| {
                *sk != listener.sk && !(*sk == 0 && *ip == listener.local.ip())
            });
            if entries.is_empty() {
                self.listeners.remove(&port);
            }
        }
    }

    /// Adds a live socket (replacing one whose close was lost), forgetting the oldest past
    /// capacity.
    fn remember(&mut self, connection: Connection, announced: bool) {
        self.generation += 1;
        let sk = connection.sk;
        let live = Live {
            connection,
            generation: self.generation,
            announced,
        };
        self.live.insert(sk, live);
        self.order.push_back((sk, self.generation));
        while self.live.len() > self.capacity {
            let Some((old, generation)) = self.order.pop_front() else {
                break;
            };
            if self
                .live
                .get(&old)
                .is_some_and(|l| l.generation == generation)
                && let Some(forgotten) = self.live.remove(&old)
                && forgotten.connection.role == Role::Listener
            {
                self.forget_listener(&forgotten.connection);
            }
        }
        // Closed and replaced sockets leave stale entries behind. Compacting once they
        // outnumber the live ones by 64 costs a pass that removes at least as many as it
        // keeps, each added by an earlier call; a bound by `capacity` instead let a watch
        // under steady churn grow this queue for ten minutes (to 131,072 entries, 4 MiB).
        if self.order.len() > 2 * self.live.len() + 64 {
            let live = &self.live;
            self.order.retain(|(sk, generation)| {
                live.get(sk).is_some_and(|l| l.generation == *generation)
            });
            // Room left by a burst is given back, not kept for the life of the watch; to
            // more than the next compaction needs, so steady churn does not shrink and
            // grow it again every time.
            if self.order.capacity() > 8 * self.order.len() + 256 {
                self.order.shrink_to(4 * self.order.len() + 128);
            }
            if self.live.capacity() > 8 * self.live.len() + 256 {
                self.live.shrink_to(4 * self.live.len() + 128);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `events/sock/inet_sock_set_state/format` of the development machine's kernel (6.18).
    const FORMAT: &str = r#"name: inet_sock_set_state
ID: 2287
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:const void * skaddr;	offset:8;	size:8;	signed:0;
	field:int oldstate;	offset:16;	size:4;	signed:1;
	field:int newstate;	offset:20;	size:4;	signed:1;
	field:__u16 sport;	offset:24;	size:2;	signed:0;
	field:__u16 dport;	offset:26;	size:2;	signed:0;
	field:__u16 family;	offset:28;	size:2;	signed:0;
	field:__u16 protocol;	offset:30;	size:2;	signed:0;
	field:__u8 saddr[4];	offset:32;	size:4;	signed:0;
	field:__u8 daddr[4];	offset:36;	size:4;	signed:0;
	field:__u8 saddr_v6[16];	offset:40;	size:16;	signed:0;
	field:__u8 daddr_v6[16];	offset:56;	size:16;	signed:0;

print fmt: "family=%s protocol=%s sport=%hu dport=%hu saddr=%pI4 daddr=%pI4 saddrv6=%pI6c daddrv6=%pI6c oldstate=%s newstate=%s", __print_symbolic(REC->family, { 2, "AF_INET" }, { 10, "AF_INET6" }), __print_symbolic(REC->protocol, { 6, "IPPROTO_TCP" }, { 132, "IPPROTO_SCTP" }, { 262, "IPPROTO_MPTCP" }), REC->sport, REC->dport, REC->saddr, REC->daddr, REC->saddr_v6, REC->daddr_v6, __print_symbolic(REC->oldstate, { 1, "TCP_ESTABLISHED" }, { 2, "TCP_SYN_SENT" }, { 3, "TCP_SYN_RECV" }, { 4, "TCP_FIN_WAIT1" }, { 5, "TCP_FIN_WAIT2" }, { 6, "TCP_TIME_WAIT" }, { 7, "TCP_CLOSE" }, { 8, "TCP_CLOSE_WAIT" }, { 9, "TCP_LAST_ACK" }, { 10, "TCP_LISTEN" }, { 11, "TCP_CLOSING" }, { 12, "TCP_NEW_SYN_RECV" }), __print_symbolic(REC->newstate, { 1, "TCP_ESTABLISHED" }, { 2, "TCP_SYN_SENT" }, { 3, "TCP_SYN_RECV" }, { 4, "TCP_FIN_WAIT1" }, { 5, "TCP_FIN_WAIT2" }, { 6, "TCP_TIME_WAIT" }, { 7, "TCP_CLOSE" }, { 8, "TCP_CLOSE_WAIT" }, { 9, "TCP_LAST_ACK" }, { 10, "TCP_LISTEN" }, { 11, "TCP_CLOSING" }, { 12, "TCP_NEW_SYN_RECV" })
"#;

    // Samples read from this machine's rings (one loopback listener, a connection to it
    // and its close, an IPv6 listener), header included: pid 21246, listener
    // 127.0.0.1:33437, client port 33194.
    /// LISTEN_V4
    const LISTEN_V4: [u8; 104] = [
        9, 0, 0, 0, 1, 0, 104, 0, 254, 82, 0, 0, 255, 82, 0, 0, 2, 26, 62, 0, 106, 0, 0, 0, 76, 0,
        0, 0, 239, 8, 0, 1, 255, 82, 0, 0, 128, 18, 111, 5, 129, 136, 255, 255, 7, 0, 0, 0, 10, 0,
        0, 0, 157, 130, 0, 0, 2, 0, 6, 0, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        255, 255, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    /// SYN_SENT
    const SYN_SENT: [u8; 104] = [
        9, 0, 0, 0, 1, 0, 104, 0, 254, 82, 0, 0, 255, 82, 0, 0, 31, 190, 62, 0, 106, 0, 0, 0, 76,
        0, 0, 0, 239, 8, 0, 1, 255, 82, 0, 0, 0, 37, 111, 5, 129, 136, 255, 255, 7, 0, 0, 0, 2, 0,
        0, 0, 0, 0, 157, 130, 2, 0, 6, 0, 127, 0, 0, 1, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        255, 255, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 127, 0, 0, 1, 0, 0, 0, 0,
    ];

    /// CLIENT_ESTABLISHED
    const CLIENT_ESTABLISHED: [u8; 104] = [
        9, 0, 0, 0, 1, 0, 104, 0, 254, 82, 0, 0, 255, 82, 0, 0, 93, 14, 64, 0, 106, 0, 0, 0, 76, 0,
        0, 0, 239, 8, 0, 1, 255, 82, 0, 0, 0, 37, 111, 5, 129, 136, 255, 255, 2, 0, 0, 0, 1, 0, 0,
        0, 170, 129, 157, 130, 2, 0, 6, 0, 127, 0, 0, 1, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 255, 255, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 127, 0, 0, 1, 0, 0, 0,
        0,
    ];

    /// SERVER_ESTABLISHED
    const SERVER_ESTABLISHED: [u8; 104] = [
        9, 0, 0, 0, 1, 0, 104, 0, 254, 82, 0, 0, 255, 82, 0, 0, 69, 157, 64, 0, 106, 0, 0, 0, 76,
        0, 0, 0, 239, 8, 16, 3, 255, 82, 0, 0, 128, 92, 111, 5, 129, 136, 255, 255, 3, 0, 0, 0, 1,
        0, 0, 0, 157, 130, 170, 129, 2, 0, 6, 0, 127, 0, 0, 1, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 255, 255, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 127, 0, 0, 1, 0,
        0, 0, 0,
    ];

    /// CLIENT_FIN_WAIT1
    const CLIENT_FIN_WAIT1: [u8; 104] = [
        9, 0, 0, 0, 1, 0, 104, 0, 254, 82, 0, 0, 255, 82, 0, 0, 247, 250, 64, 0, 106, 0, 0, 0, 76,
        0, 0, 0, 239, 8, 0, 1, 255, 82, 0, 0, 0, 37, 111, 5, 129, 136, 255, 255, 1, 0, 0, 0, 4, 0,
        0, 0, 170, 129, 157, 130, 2, 0, 6, 0, 127, 0, 0, 1, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 255, 255, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 127, 0, 0, 1, 0, 0,
        0, 0,
    ];

    /// CLIENT_CLOSE
    const CLIENT_CLOSE: [u8; 104] = [
        9, 0, 0, 0, 1, 0, 104, 0, 254, 82, 0, 0, 255, 82, 0, 0, 153, 18, 66, 0, 106, 0, 0, 0, 76,
        0, 0, 0, 239, 8, 16, 3, 255, 82, 0, 0, 0, 37, 111, 5, 129, 136, 255, 255, 5, 0, 0, 0, 7, 0,
        0, 0, 170, 129, 157, 130, 2, 0, 6, 0, 127, 0, 0, 1, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 255, 255, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 127, 0, 0, 1, 0, 0,
        0, 0,
    ];

    /// LISTEN_V6
    const LISTEN_V6: [u8; 104] = [
        9, 0, 0, 0, 1, 0, 104, 0, 254, 82, 0, 0, 255, 82, 0, 0, 0, 81, 67, 0, 106, 0, 0, 0, 76, 0,
        0, 0, 239, 8, 0, 1, 255, 82, 0, 0, 192, 176, 61, 5, 129, 136, 255, 255, 7, 0, 0, 0, 10, 0,
        0, 0, 189, 144, 0, 0, 10, 0, 6, 0, 127, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    const PID: u32 = 21246;

    fn layout() -> Layout {
        Layout::parse(FORMAT).expect("parses")
    }

    fn change(record: &[u8]) -> StateChange {
        match parse_record(&layout(), record) {
            Some(TcpStateEvent::StateChange(change)) => change,
            other => panic!("not a state change: {other:?}"),
        }
    }

    fn addr(text: &str) -> SocketAddr {
        text.parse().expect("address")
    }

    #[test]
    fn the_format_file_gives_every_field_offset_and_size() {
        let layout = layout();
        let f = |offset, size| Field { offset, size };
        assert_eq!(
            layout,
            Layout {
                skaddr: f(8, 8),
                oldstate: f(16, 4),
                newstate: f(20, 4),
                sport: f(24, 2),
                dport: f(26, 2),
                family: f(28, 2),
                protocol: f(30, 2),
                saddr: f(32, 4),
                daddr: f(36, 4),
                saddr_v6: f(40, 16),
                daddr_v6: f(56, 16),
            }
        );
        let without = FORMAT.replace("dport", "dest_port");
        let err = Layout::parse(&without).expect_err("dport is missing");
        assert!(err.to_string().contains("dport"), "{err}");
    }

    #[test]
    fn captured_samples_parse_into_state_changes() {
        let listen = change(&LISTEN_V4);
        assert_eq!((listen.old, listen.new), (State::Close, State::Listen));
        assert_eq!(listen.pid, Some(PID));
        assert_eq!(listen.local, addr("127.0.0.1:33437"));
        assert_eq!(listen.remote, addr("0.0.0.0:0"));
        assert_eq!(listen.sk, 0xffff_8881_056f_1280);
        assert_eq!(listen.time, Duration::from_nanos(455_270_603_266));

        // connect: the local port is chosen just after the change.
        let syn = change(&SYN_SENT);
        assert_eq!(
            (syn.old, syn.new, syn.pid),
            (State::Close, State::SynSent, Some(PID))
        );
        assert_eq!(
            (syn.local, syn.remote),
            (addr("127.0.0.1:0"), addr("127.0.0.1:33437"))
        );

        // The handshake ends in softirq: no pid, though the task was ours.
        let established = change(&CLIENT_ESTABLISHED);
        assert_eq!(
            (established.new, established.pid),
            (State::Established, None)
        );
        assert_eq!(established.local, addr("127.0.0.1:33194"));
        assert_eq!(established.sk, syn.sk);
        let server = change(&SERVER_ESTABLISHED);
        assert_eq!(
            (server.old, server.new, server.pid),
            (State::SynRecv, State::Established, None)
        );
        assert_eq!(
            (server.local, server.remote),
            (addr("127.0.0.1:33437"), addr("127.0.0.1:33194"))
        );

        let fin = change(&CLIENT_FIN_WAIT1);
        assert_eq!(
            (fin.old, fin.new, fin.pid),
            (State::Established, State::FinWait1, Some(PID))
        );
        let close = change(&CLIENT_CLOSE);
        assert_eq!(
            (close.old, close.new, close.pid),
            (State::FinWait2, State::Close, None)
        );

        let v6 = change(&LISTEN_V6);
        assert_eq!((v6.new, v6.pid), (State::Listen, Some(PID)));
        assert_eq!((v6.local, v6.remote), (addr("[::1]:37053"), addr("[::]:0")));
    }

    #[test]
    fn mapped_addresses_other_protocols_and_short_records() {
        // An IPv6 socket talking to an IPv4 peer: v4-mapped addresses read as IPv4.
        let mut mapped = LISTEN_V6;
        let raw = 28;
        let mapped_v4 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 10, 1, 2, 3];
        mapped[raw + 40..raw + 56].copy_from_slice(&mapped_v4);
        assert_eq!(change(&mapped).local, addr("10.1.2.3:37053"));

        // SCTP and MPTCP share the tracepoint: not TCP sockets of ours.
        let mut sctp = LISTEN_V4;
        sctp[raw + 30..raw + 32].copy_from_slice(&132u16.to_ne_bytes());
        assert_eq!(parse_record(&layout(), &sctp), None);

        // Cut short anywhere: nothing, no panic.
        for len in 0..LISTEN_V4.len() - 24 {
            assert_eq!(parse_record(&layout(), &LISTEN_V4[..len]), None, "{len}");
        }
        // An unknown state number.
        let mut odd = LISTEN_V4;
        odd[raw + 20] = 99;
        assert_eq!(parse_record(&layout(), &odd), None);
    }

    #[test]
    fn a_kernel_that_moves_the_fields_still_parses() {
        // Eight bytes more in front of every field (as a new common field would add).
        let mut moved = String::new();
        for line in FORMAT.lines() {
            let shifted = line.split_once("offset:").and_then(|(head, rest)| {
                let (number, tail) = rest.split_once(';')?;
                let number: usize = number.parse().ok()?;
                (number >= 8).then(|| format!("{head}offset:{};{tail}", number + 8))
            });
            moved.push_str(shifted.as_deref().unwrap_or(line));
            moved.push('\n');
        }
        let layout = Layout::parse(&moved).expect("parses");
        let mut record = LISTEN_V4[..28].to_vec();
        let raw = &LISTEN_V4[28..];
        let mut longer = raw[..8].to_vec();
        longer.extend_from_slice(&[0; 8]);
        longer.extend_from_slice(&raw[8..]);
        record[24..28].copy_from_slice(&(longer.len() as u32).to_ne_bytes());
        record.extend_from_slice(&longer);
        let Some(TcpStateEvent::StateChange(moved)) = parse_record(&layout, &record) else {
            panic!("not parsed");
        };
        assert_eq!(moved, change(&LISTEN_V4));
    }

    #[test]
    fn a_lost_record_says_how_many() {
        let mut lost = Vec::new();
        lost.extend_from_slice(&PERF_RECORD_LOST.to_ne_bytes());
        lost.extend_from_slice(&0u16.to_ne_bytes());
        lost.extend_from_slice(&24u16.to_ne_bytes());
        lost.extend_from_slice(&7u64.to_ne_bytes()); // id
        lost.extend_from_slice(&42u64.to_ne_bytes());
        assert_eq!(
            parse_record(&layout(), &lost),
            Some(TcpStateEvent::Lost { count: 42 })
        );
        // Other record kinds (a throttle, an unknown one) are skipped.
        lost[0..4].copy_from_slice(&5u32.to_ne_bytes());
        assert_eq!(parse_record(&layout(), &lost), None);
    }

    #[test]
    fn online_cpu_lists_are_read() {
        assert_eq!(parse_cpu_list("0-1\n"), [0, 1]);
        assert_eq!(parse_cpu_list("0,2-4,7"), [0, 2, 3, 4, 7]);
        assert_eq!(parse_cpu_list(""), Vec::<u32>::new());
        assert_eq!(parse_cpu_list("x,3"), [3]);
    }

    #[test]
    fn only_the_owners_own_calls_carry_a_pid() {
        use State::*;
        for (old, new) in [
            (Close, SynSent),
            (Close, Listen),
            (Listen, Close),
            (Established, FinWait1),
            (SynRecv, FinWait1),
            (CloseWait, LastAck),
        ] {
            assert!(made_by_owner(old, new), "{old:?} -> {new:?}");
        }
        for (old, new) in [
            (SynSent, Established),
            (SynRecv, Established),
            (Listen, SynRecv),
            (Established, CloseWait),
            (FinWait1, FinWait2),
            (FinWait2, Close),
            (LastAck, Close),
            (SynSent, Close),
            (Established, Close),
        ] {
            assert!(!made_by_owner(old, new), "{old:?} -> {new:?}");
        }
    }

    fn lifecycle(connections: &mut Connections, records: &[&[u8]]) -> Vec<Lifecycle> {
        let mut out = Vec::new();
        for record in records {
            connections.observe(&change(record), |event| out.push(event));
        }
        out
    }

    #[test]
    fn connections_begin_and_end_with_their_pids() {
        let mut connections = Connections::default();
        let events = lifecycle(
            &mut connections,
            &[
                &LISTEN_V4,
                &SYN_SENT,
                &CLIENT_ESTABLISHED,
                &SERVER_ESTABLISHED,
                &CLIENT_FIN_WAIT1,
                &CLIENT_CLOSE,
            ],
        );
        let [
            Lifecycle::Began(listener),
            Lifecycle::Began(client),
            Lifecycle::Began(server),
            Lifecycle::Ended(ended),
        ] = events[..]
        else {
            panic!("{events:?}");
        };
        assert_eq!((listener.role, listener.pid), (Role::Listener, Some(PID)));
        // Told once the port is known, dated from SYN_SENT.
        assert_eq!(
            (client.role, client.pid, client.pid_source),
            (Role::Client, Some(PID), PidSource::Owner)
        );
        assert_eq!(client.local, addr("127.0.0.1:33194"));
        assert_eq!(client.began, Some(change(&SYN_SENT).time));
        assert_eq!(
            (server.role, server.pid, server.pid_source),
            (Role::Server, Some(PID), PidSource::Listener)
        );
        assert_eq!(
            (ended.sk, ended.pid, ended.pid_source),
            (client.sk, Some(PID), PidSource::Owner)
        );
        assert_eq!(ended.ended, Some(change(&CLIENT_CLOSE).time));
        // The listener and the server side still live.
        assert_eq!(connections.len(), 2);
    }

    #[test]
    fn an_accepted_socket_takes_a_noted_wildcard_listeners_pid_and_later_its_owners() {
        let mut connections = Connections::default();
        connections.note_listener(addr("0.0.0.0:33437"), 7);
        let server = change(&SERVER_ESTABLISHED);
        let mut out = Vec::new();
        connections.observe(&server, |e| out.push(e));
        let owner_close = StateChange {
            pid: Some(99),
            old: State::CloseWait,
            new: State::LastAck,
            time: server.time + Duration::from_millis(1),
            ..server
        };
        let last_ack = StateChange {
            pid: None,
            old: State::LastAck,
            new: State::Close,
            time: server.time + Duration::from_millis(2),
            ..server
        };
        connections.observe(&owner_close, |e| out.push(e));
        connections.observe(&last_ack, |e| out.push(e));
        let [Lifecycle::Began(began), Lifecycle::Ended(ended)] = out[..] else {
            panic!("{out:?}");
        };
        assert_eq!(
            (began.pid, began.pid_source),
            (Some(7), PidSource::Listener)
        );
        assert_eq!((ended.pid, ended.pid_source), (Some(99), PidSource::Owner));
        assert!(connections.is_empty());
    }

    #[test]
    fn a_refused_connect_begins_and_ends_at_once_and_memory_is_bounded() {
        let mut connections = Connections::with_capacity(3);
        let syn = change(&SYN_SENT);
        let mut out = Vec::new();
        for n in 0..10u64 {
            let opened = StateChange { sk: n, ..syn };
            connections.observe(&opened, |e| out.push(e));
        }
        assert!(out.is_empty(), "no port yet: {out:?}");
        assert_eq!(connections.len(), 3);
        // The refusal of the newest: begun and ended together, with the connect's pid.
        let refused = StateChange {
            sk: 9,
            old: State::SynSent,
            new: State::Close,
            pid: None,
            local: addr("127.0.0.1:40000"),
            ..syn
        };
        connections.observe(&refused, |e| out.push(e));
        assert!(matches!(out[..], [Lifecycle::Began(b), Lifecycle::Ended(e)]
            if b.pid == Some(PID) && e.pid == Some(PID) && e.local.port() == 40000));
        // The oldest were forgotten: their end has no beginning.
        out.clear();
        connections.observe(&StateChange { sk: 0, ..refused }, |e| out.push(e));
        assert!(matches!(out[..], [Lifecycle::Ended(e)] if e.began.is_none() && e.pid.is_none()));
    }

    // A watch under churn: connections begin and end for ever, a few live at a time. What
    // is kept follows the live ones, however many came and went.
    #[test]
    fn under_endless_churn_memory_follows_the_live_connections() {
        let mut connections = Connections::default();
        let syn = change(&SYN_SENT);
        let open = |sk: u64| StateChange {
            sk,
            local: addr("127.0.0.1:40000"),
            ..syn
        };
        let close = |sk: u64| StateChange {
            old: State::Established,
            new: State::Close,
            pid: None,
            ..open(sk)
        };
        // A burst: 20,000 at once, then all closed.
        for sk in 0..20_000 {
            connections.observe(&open(sk), |_| {});
        }
        for sk in 0..20_000 {
            connections.observe(&close(sk), |_| {});
        }
        // Then 200,000 more, ten alive at a time: more than the capacity of 65,536.
        for sk in 20_000..220_000u64 {
            connections.observe(&open(sk), |_| {});
            if sk >= 20_010 {
                connections.observe(&close(sk - 10), |_| {});
            }
        }
        assert_eq!(connections.len(), 10);
        assert!(
            connections.order.len() <= 2 * 10 + 65,
            "{}",
            connections.order.len()
        );
        assert!(
            connections.order.capacity() <= 1024 && connections.live.capacity() <= 1024,
            "the burst's room was given back: {} and {}",
            connections.order.capacity(),
            connections.live.capacity()
        );
    }

    #[test]
    fn a_late_close_of_the_socket_before_at_the_same_address_leaves_the_new_one_alone() {
        let mut connections = Connections::default();
        let syn = change(&SYN_SENT);
        let mut out = Vec::new();
        connections.observe(&syn, |e| out.push(e));
        // The previous socket at this address closed just before, read just after.
        let old_close = StateChange {
            old: State::FinWait2,
            new: State::Close,
            pid: None,
            local: addr("127.0.0.1:50000"),
            time: syn.time.saturating_sub(Duration::from_micros(10)),
            ..syn
        };
        connections.observe(&old_close, |e| out.push(e));
        assert!(
            matches!(out[..], [Lifecycle::Ended(e)] if e.local.port() == 50000 && e.began.is_none()),
            "{out:?}"
        );
        out.clear();
        connections.observe(&change(&CLIENT_ESTABLISHED), |e| out.push(e));
        assert!(
            matches!(out[..], [Lifecycle::Began(b)] if b.pid == Some(PID) && b.local.port() == 33194),
            "{out:?}"
        );
    }
}
