//! Where sockets come from: one snapshot of every TCP and UDP socket, with its owner.
//!
//! First stage of the data flow (scan -> track -> enrich -> query -> act -> output).
//! [`scan`] runs two jobs at once: a socket dump (netlink sock_diag by default, `/proc/net`
//! as the fallback) and a walk of every process's open file descriptors that maps socket
//! inodes to pids ([`owners`]). It then joins them. A socket whose owner cannot be found
//! is kept with `pid: None`; it is never dropped.

pub mod incremental;
pub mod lsof;
#[cfg(target_os = "linux")]
pub mod netlink;
pub mod netns;
pub mod owners;
pub mod process;
pub mod procfs;

use std::cmp::Ordering;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use crate::hashing::Set;
use crate::model::{PortEntry, Proto, State, Traffic};

/// Where the socket list comes from (`--backend`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Backend {
    /// Netlink sock_diag, like ss.
    Netlink,
    /// /proc/net/{tcp,tcp6,udp,udp6}.
    Proc,
    /// lsof -F and one ps call.
    Lsof,
}

impl Backend {
    /// netlink on Linux (falling back to `/proc/net` for any protocol and family netlink
    /// cannot dump: no `CONFIG_INET_DIAG`, seccomp), lsof elsewhere (macOS: only sockets
    /// some process holds).
    #[must_use]
    pub const fn for_platform() -> Backend {
        if cfg!(target_os = "linux") {
            Backend::Netlink
        } else {
            Backend::Lsof
        }
    }
}

impl Default for Backend {
    fn default() -> Self {
        Backend::for_platform()
    }
}

/// Address families to include.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// IPv4 (`AF_INET`).
    V4,
    /// IPv6 (`AF_INET6`), including IPv4-mapped addresses on IPv6 sockets.
    V6,
}

impl Family {
    /// The `AF_*` constant.
    #[must_use]
    pub fn af(self) -> u8 {
        match self {
            Family::V4 => libc::AF_INET as u8,
            Family::V6 => libc::AF_INET6 as u8,
        }
    }
}

/// What to scan: the resolved form of `prt scan`'s flags.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScanOptions {
    /// Socket source.
    pub backend: Backend,
    /// Protocols to include; never empty.
    pub protocols: Vec<Proto>,
    /// Families to include; never empty.
    pub families: Vec<Family>,
    /// Only TCP `LISTEN` and UDP `UNCONN` sockets.
    pub listening_only: bool,
    /// Whether to look for owning processes at all (the `/proc/*/fd` walk).
    pub attribute: bool,
    /// Every network namespace on the machine, not only this process's.
    pub all_netns: bool,
    /// TCP counters (`tcp_info`) in every record: the dump asks the kernel for them, which
    /// costs more, so only when wanted. Records then carry [`crate::model::Traffic`], with
    /// nulls where a socket has none.
    pub traffic: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            backend: Backend::Netlink,
            protocols: vec![Proto::Tcp, Proto::Udp],
            families: vec![Family::V4, Family::V6],
            listening_only: false,
            attribute: true,
            all_netns: false,
            traffic: false,
        }
    }
}

/// One socket as a backend reports it, before attribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Socket {
    /// Transport protocol.
    pub proto: Proto,
    /// Socket state.
    pub state: State,
    /// Local address and port.
    pub local: SocketAddr,
    /// Peer address and port; unspecified address and port 0 when not connected.
    pub remote: SocketAddr,
    /// Owner uid as the kernel reports it (meaningless for TIME_WAIT and request sockets).
    pub uid: u32,
    /// Socket inode, 0 when there is none.
    pub inode: u64,
    /// The network namespace it lives in (its inode), once the dump has tagged it.
    pub netns: Option<u64>,
    /// Index of the device the socket is bound to (`SO_BINDTODEVICE`, or the scope of a
    /// link-local address), 0 when none or when the source does not say.
    pub ifindex: u32,
    /// Receive queue as the kernel counts it (for a listener: connections waiting to be
    /// accepted); `None` when the source does not say.
    pub recv_q: Option<u32>,
    /// Send queue (for a listener: its backlog limit); `None` when the source does not say.
    pub send_q: Option<u32>,
    /// TCP counters, when asked for ([`ScanOptions::traffic`]) and the dump had them.
    /// Boxed because most scans do not ask: inline they made every socket of a scan 200
    /// bytes instead of 144, the biggest thing a scan of 100,000 sockets holds.
    pub traffic: Option<Box<crate::model::Traffic>>,
    /// The kernel's socket cookie (`idiag_cookie`): unique for the boot and kept by the
    /// socket from creation to destruction (its TIME_WAIT remnant too), so a destroy event,
    /// whose inode is usually 0, names the socket a dump listed. `None` where the source
    /// does not say (`/proc/net`, lsof).
    pub cookie: Option<u64>,
}

/// The result of one scan.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Scan {
    /// One record per socket, in the kernel's order.
    pub entries: Vec<PortEntry>,
    /// Sockets with an inode that no visible process holds and that belong to another user,
    /// while not running as root: their owners are hidden for lack of privilege.
    pub hidden_owners: usize,
    /// Protocol/family pairs that netlink could not dump and `/proc/net` served instead.
    pub fell_back: Vec<(Proto, Family)>,
    /// With `all_netns`: the namespaces listed, and those that could not be.
    pub namespaces: NamespaceReport,
}

/// What an `all_netns` scan saw of the machine's network namespaces.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct NamespaceReport {
    /// Namespaces whose sockets are in the scan, this process's own included.
    pub listed: Vec<netns::Namespace>,
    /// Namespaces found but not entered: joining one needs CAP_SYS_ADMIN.
    pub denied: usize,
    /// Processes whose namespace could not even be read (other users', without
    /// privileges): there may be namespaces nobody found.
    pub unreadable: usize,
}

/// Errors of a scan: no source of sockets could be read at all.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An external tool (lsof, ps) could not run or failed.
    #[error("{program}: {message}")]
    Tool {
        /// The tool.
        program: &'static str,
        /// What went wrong.
        message: String,
    },
    /// A `/proc` file could not be read.
    #[error("cannot read {path}: {source}")]
    Proc {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A `/proc/net` table line that does not have the kernel's shape.
    #[error("{path} line {line}: {what}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        what: String,
    },
}

/// Takes one snapshot of the sockets `options` selects, each with its owning process.
///
/// The socket dump runs on one thread while the `/proc/*/fd` walk runs on the others. A
/// process that exits or denies access during the walk simply owns nothing.
pub fn scan(options: &ScanOptions) -> Result<Scan, Error> {
    match find(options)? {
        Some(found) => Ok(found.into_scan()),
        None => scan_with_lsof(options),
    }
}

/// A scan's sockets with their holders found, not yet made into records: what a scan that
/// writes its records as it makes them orders and then walks a block at a time
/// ([`crate::session::snapshot_each`]). Sockets closed during the scan are left out.
#[derive(Debug)]
pub struct Found {
    sockets: Vec<Socket>,
    /// Sockets left out of this scan for want of a holder, which the next scan will show
    /// ([`drop_closed`]); [`Found::restore`] puts back those the caller knew before.
    withheld: Vec<Socket>,
    owners: owners::InodeOwners,
    interfaces: owners::Interfaces,
    /// Protocol/family pairs that the netlink dump could not serve (read from `/proc/net`).
    pub fell_back: Vec<(Proto, Family)>,
    /// With every namespace scanned: which were listed and which could not be entered.
    pub namespaces: NamespaceReport,
}

/// Dumps the sockets and finds their holders, as [`scan`] does, without making records.
/// `None` for the lsof backend, which makes its records itself.
pub fn find(options: &ScanOptions) -> Result<Option<Found>, Error> {
    if options.backend == Backend::Lsof {
        return Ok(None);
    }
    let (dumped, owners) = std::thread::scope(|scope| {
        let walker = options
            .attribute
            .then(|| scope.spawn(|| owners::InodeOwners::collect(walk_threads())));
        let dumped = dump(options);
        let owners = walker.map(|handle| match handle.join() {
            Ok(owners) => owners,
            Err(panic) => std::panic::resume_unwind(panic),
        });
        (dumped, owners)
    });
    Ok(Some(Found::new(
        dumped?,
        owners.unwrap_or_default(),
        options.attribute,
        None,
    )))
}

impl Found {
    /// The sockets of `dump` held as `owners` says; with owners `looked_for`, those that
    /// closed during the scan are left out, and with a memory of the previous scan's
    /// `ownerless` sockets, those without a holder yet ([`drop_closed`]).
    fn new(
        dump: Dump,
        owners: owners::InodeOwners,
        looked_for: bool,
        ownerless: Option<&mut Set<u64>>,
    ) -> Found {
        let Dump {
            mut sockets,
            fell_back,
            namespaces,
            interfaces,
        } = dump;
        let withheld = if looked_for {
            drop_closed(&mut sockets, &owners, ownerless)
        } else {
            Vec::new()
        };
        Found {
            sockets,
            withheld,
            owners,
            interfaces,
            fell_back,
            namespaces,
        }
    }

    /// Puts back the sockets withheld for want of a holder that `known` says were seen
    /// before: a socket that is no longer new is shown as it is (without a holder) rather
    /// than missing, which would read as closed. Call before [`Found::sort`].
    pub fn restore(&mut self, known: impl Fn(&Socket) -> bool) {
        let (back, still): (Vec<Socket>, Vec<Socket>) = std::mem::take(&mut self.withheld)
            .into_iter()
            .partition(known);
        self.sockets.extend(back);
        self.withheld = still;
    }

    /// Every record, in the sockets' order.
    #[must_use]
    pub fn into_scan(self) -> Scan {
        let entries = owners::attribute(&self.sockets, &self.owners, &self.interfaces);
        Scan {
            hidden_owners: count_hidden_owners(&entries),
            entries,
            fell_back: self.fell_back,
            namespaces: self.namespaces,
        }
    }

    /// How many sockets.
    #[must_use]
    pub fn len(&self) -> usize {
        self.sockets.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.sockets.is_empty()
    }

    /// Puts the sockets in the order [`sort`] would put their records in, when the key is
    /// a socket's own (port, protocol, state); `false`, leaving them as they are, for a key
    /// that needs the records (pid, process, user, service).
    pub fn sort(&mut self, key: SortKey, reverse: bool) -> bool {
        // The enums' order is their declaration's, as their derived `Ord` has it.
        let primary: fn(&Socket) -> u8 = match key {
            SortKey::Port => |_| 0,
            SortKey::Proto => |socket| socket.proto as u8,
            SortKey::State => |socket| socket.state as u8,
            SortKey::Pid | SortKey::Process | SortKey::User | SortKey::Service => return false,
        };
        // Each socket's key made once, not twice per comparison.
        self.sockets
            .sort_by_cached_key(|socket| (primary(socket), Place::of_socket(socket)));
        if reverse {
            self.sockets.reverse();
        }
        true
    }

    /// The sockets, in their order.
    #[must_use]
    pub fn sockets(&self) -> &[Socket] {
        &self.sockets
    }

    /// An attributor for these sockets: [`owners::Attributor::record`] makes each record.
    #[must_use]
    pub fn attributor(&self) -> owners::Attributor<'_> {
        owners::Attributor::new(&self.owners, &self.interfaces)
    }
}

/// The lsof backend, which attributes sockets itself: what both [`scan`] and the watch's
/// scanner run for it.
fn scan_with_lsof(options: &ScanOptions) -> Result<Scan, Error> {
    if options.all_netns {
        return Err(Error::Tool {
            program: "lsof",
            message: "--all-netns needs the netlink or proc backend".to_owned(),
        });
    }
    let mut scan = lsof::scan(options)?;
    if options.traffic {
        // lsof has no byte counters: the fields are there, null.
        for entry in &mut scan.entries {
            entry.traffic.get_or_insert_with(Traffic::default);
        }
    }
    Ok(scan)
}

/// The backend's sockets, where netlink had to give way to `/proc/net`, and the
/// namespaces dumped.
struct Dump {
    sockets: Vec<Socket>,
    fell_back: Vec<(Proto, Family)>,
    namespaces: NamespaceReport,
    interfaces: owners::Interfaces,
}

/// Dumps the selected sockets of this namespace, and with `all_netns` of every other one
/// this process may enter, each socket tagged with its namespace.
fn dump(options: &ScanOptions) -> Result<Dump, Error> {
    let own = process::own_netns();
    let mut sockets = Vec::new();
    let mut fell_back = Vec::new();
    dump_here(options, &mut sockets, &mut fell_back)?;
    for socket in &mut sockets {
        socket.netns = own;
    }
    let mut interfaces = owners::Interfaces::default();
    name_interfaces(&sockets, &mut interfaces);
    let mut namespaces = NamespaceReport::default();
    if !options.all_netns {
        return Ok(Dump {
            sockets,
            fell_back,
            namespaces,
            interfaces,
        });
    }
    let found = netns::list();
    namespaces.unreadable = found.unreadable;
    for namespace in found.found {
        if Some(namespace.inode) == own {
            namespaces.listed.push(namespace);
            continue;
        }
        let inside = netns::run_inside(&namespace, || {
            let mut sockets = Vec::new();
            let mut fell_back = Vec::new();
            dump_here(options, &mut sockets, &mut fell_back)?;
            for socket in &mut sockets {
                socket.netns = Some(namespace.inode);
            }
            // Interface indexes mean something only inside their own namespace.
            let mut names = owners::Interfaces::default();
            name_interfaces(&sockets, &mut names);
            Ok::<_, Error>((sockets, names))
        });
        match inside {
            Ok(dumped) => {
                let (dumped, names) = dumped?;
                sockets.extend(dumped);
                interfaces.extend(names);
                namespaces.listed.push(namespace);
            }
            Err(error) if error.kind() == io::ErrorKind::PermissionDenied => {
                namespaces.denied += 1;
            }
            // The namespace went away between listing and joining it.
            Err(_) => {}
        }
    }
    Ok(Dump {
        sockets,
        fell_back,
        namespaces,
        interfaces,
    })
}

/// Names the devices `sockets` are bound to, in the calling thread's namespace.
fn name_interfaces(sockets: &[Socket], interfaces: &mut owners::Interfaces) {
    for socket in sockets.iter().filter(|s| s.ifindex != 0) {
        if !interfaces.contains(socket.netns, socket.ifindex)
            && let Some(name) = interface_name(socket.ifindex)
        {
            interfaces.insert(socket.netns, socket.ifindex, name);
        }
    }
}

/// The name of interface `index` in the calling thread's network namespace.
#[cfg(target_os = "linux")]
fn interface_name(index: u32) -> Option<String> {
    netlink::interface_name(index)
}

/// Only Linux sources report interface indexes.
#[cfg(not(target_os = "linux"))]
fn interface_name(_: u32) -> Option<String> {
    None
}

/// Dumps the selected sockets from the chosen backend in the calling thread's namespace,
/// falling back per protocol/family.
fn dump_here(
    options: &ScanOptions,
    sockets: &mut Vec<Socket>,
    fell_back: &mut Vec<(Proto, Family)>,
) -> Result<(), Error> {
    for &proto in &options.protocols {
        for &family in &options.families {
            let from_netlink = match options.backend {
                Backend::Netlink => netlink_dump(proto, family, options, sockets),
                Backend::Proc | Backend::Lsof => false,
            };
            if !from_netlink {
                if options.backend == Backend::Netlink && !fell_back.contains(&(proto, family)) {
                    fell_back.push((proto, family));
                }
                procfs::read(proto, family, options.listening_only, sockets)?;
            }
        }
    }
    if options.traffic {
        // Asked for: every record carries the fields, null where the kernel had no
        // tcp_info (UDP, TIME_WAIT, request sockets, the /proc/net fallback).
        for socket in sockets.iter_mut() {
            socket.traffic.get_or_insert_with(Box::default);
        }
    }
    Ok(())
}

/// Dumps one protocol and family over netlink; false when it cannot (then `/proc/net`).
#[cfg(target_os = "linux")]
fn netlink_dump(
    proto: Proto,
    family: Family,
    options: &ScanOptions,
    sockets: &mut Vec<Socket>,
) -> bool {
    let request = netlink::Request {
        proto,
        family,
        listening_only: options.listening_only,
        // Only TCP has tcp_info.
        counters: options.traffic && proto == Proto::Tcp,
    };
    netlink::dump(request, sockets).is_ok()
}

/// There is no netlink outside Linux.
#[cfg(not(target_os = "linux"))]
fn netlink_dump(_: Proto, _: Family, _: &ScanOptions, _: &mut Vec<Socket>) -> bool {
    false
}

/// How many threads walk `/proc/*/fd`: the walk is kernel time per fd, so use every core
/// but the one that runs the socket dump and the join, and at least one.
#[must_use]
pub fn walk_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 8))
}

/// The most sockets [`drop_closed`] looks up one by one in a scan: past that many
/// ownerless sockets something else is going on (processes this view cannot see), and
/// they are kept as they are.
const MAX_RECHECKS: usize = 256;

/// Drops the sockets that closed while the scan ran, and with a memory of the previous
/// scan (`ownerless`), withholds for one scan those that are there but have no holder yet.
///
/// The dump and the `/proc` walk cannot happen at one instant: a socket the dump listed
/// may be closed by the time the walk looks for its holder. It then looks like a socket
/// nobody holds — a phantom that a watch reports as new, ownerless, and gone again. A
/// socket with an inode is held by some process by definition, so where the walk should
/// have seen its holder (running as root, or a socket of this user's), prt asks the kernel
/// whether that socket is still there; the ones that are not are left out of this scan,
/// which then shows what exists when it completes. What their close left behind (a
/// TIME_WAIT, an orphan) is in the next scan.
///
/// A socket that is still there may have no holder for a moment too: `accept` gives the
/// connection its inode before the process's fd for it, and an fd sent over a unix socket
/// belongs to no process until it is received. With a memory of the previous scan
/// (`ownerless`, a watch's), such a socket is withheld from the first scan that finds it so
/// (returned, for the caller to put back if it knew the socket before): the next finds its
/// holder, or shows it without one (a kernel socket, an fd left in flight). `ownerless` is
/// replaced by this scan's ownerless sockets that are still there.
fn drop_closed(
    sockets: &mut Vec<Socket>,
    owners: &owners::InodeOwners,
    ownerless: Option<&mut Set<u64>>,
) -> Vec<Socket> {
    let euid = crate::sys::euid();
    let own = process::own_netns();
    // One pass over the scan (it runs every watch tick), stopping once there are too many.
    let suspects: Vec<usize> = sockets
        .iter()
        .enumerate()
        .filter(|(_, socket)| {
            socket.inode != 0
                && (euid == 0 || socket.uid == euid)
                && socket.netns == own
                && owners.pids(socket.inode).next().is_none()
        })
        .map(|(at, _)| at)
        .take(MAX_RECHECKS + 1)
        .collect();
    if suspects.len() > MAX_RECHECKS {
        // All are shown as they are; the next scan must not take them for first seen.
        if let Some(ownerless) = ownerless {
            *ownerless = suspects.iter().map(|&at| sockets[at].inode).collect();
        }
        return Vec::new();
    }
    let mut closed = Vec::new();
    let mut withheld = Vec::new();
    let mut still_ownerless = Set::default();
    for at in suspects {
        let socket = &sockets[at];
        if !still_there(socket) {
            closed.push(at);
        } else if let Some(before) = ownerless.as_deref() {
            still_ownerless.insert(socket.inode);
            if !before.contains(&socket.inode) {
                withheld.push(at);
            }
        }
    }
    if let Some(ownerless) = ownerless {
        *ownerless = still_ownerless;
    }
    if closed.is_empty() && withheld.is_empty() {
        return Vec::new();
    }
    let kept_back: Vec<Socket> = withheld.iter().map(|&at| sockets[at].clone()).collect();
    let mut at = 0;
    sockets.retain(|_| {
        let keep = closed.binary_search(&at).is_err() && withheld.binary_search(&at).is_err();
        at += 1;
        keep
    });
    kept_back
}

/// Whether a socket is still there; when the kernel cannot be asked, it is kept.
#[cfg(target_os = "linux")]
fn still_there(socket: &Socket) -> bool {
    netlink::still_there(socket).unwrap_or(true)
}

/// Without netlink there is no asking: keep it.
#[cfg(not(target_os = "linux"))]
fn still_there(_: &Socket) -> bool {
    true
}

pub(crate) fn count_hidden_owners(entries: &[PortEntry]) -> usize {
    let euid = crate::sys::euid();
    if euid == 0 {
        return 0;
    }
    entries
        .iter()
        .filter(|e| e.inode != 0 && e.pid.is_none() && e.uid.is_some_and(|uid| uid != euid))
        .count()
}

/// A column to sort scan results by (`--sort`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum SortKey {
    /// Local port, then protocol and addresses.
    Port,
    /// Protocol, then port.
    Proto,
    /// State, then port.
    State,
    /// Pid (unknown last), then port.
    Pid,
    /// Process name (unknown last), then port.
    Process,
    /// User name (unknown last), then port.
    User,
    /// Service name (unknown last), then port.
    Service,
}

/// Sorts entries by `key`; ties are broken by port, protocol, addresses and inode, so the
/// order is the same from run to run. `reverse` reverses the whole order.
pub fn sort(entries: &mut [PortEntry], key: SortKey, reverse: bool) {
    entries.sort_unstable_by(|a, b| {
        let order = compare(a, b, key);
        if reverse { order.reverse() } else { order }
    });
}

/// The order [`sort`] puts two entries in (ascending), for callers that sort records
/// holding entries (the live view's tracked rows).
#[must_use]
pub fn compare(a: &PortEntry, b: &PortEntry, key: SortKey) -> Ordering {
    let primary = match key {
        SortKey::Port => Ordering::Equal,
        SortKey::Proto => a.proto.cmp(&b.proto),
        SortKey::State => a.state.cmp(&b.state),
        SortKey::Pid => none_last(a.pid.as_ref(), b.pid.as_ref()),
        SortKey::Process => none_last(a.process.as_ref(), b.process.as_ref()),
        SortKey::User => none_last(a.user.as_ref(), b.user.as_ref()),
        SortKey::Service => none_last(a.service.as_ref(), b.service.as_ref()),
    };
    primary.then_with(|| by_socket(a, b))
}

fn none_last<T: Ord>(a: Option<&T>, b: Option<&T>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.cmp(b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn by_socket(a: &PortEntry, b: &PortEntry) -> Ordering {
    Place::of(a).cmp(&Place::of(b))
}

/// What records are ordered by after a sort key: local port, protocol, local address,
/// peer (none first), inode. One definition for records and for the sockets they are
/// made of ([`Found::sort`]), so both orders agree.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Place {
    local_port: u16,
    proto: Proto,
    local_addr: IpAddr,
    remote_addr: Option<IpAddr>,
    remote_port: Option<u16>,
    inode: u64,
}

impl Place {
    fn of(entry: &PortEntry) -> Place {
        Place {
            local_port: entry.local_port,
            proto: entry.proto,
            local_addr: entry.local_addr,
            remote_addr: entry.remote_addr,
            remote_port: entry.remote_port,
            inode: entry.inode,
        }
    }

    /// The same for the record [`owners::Attributor::record`] makes of `socket`.
    fn of_socket(socket: &Socket) -> Place {
        let connected = !(socket.remote.ip().is_unspecified() && socket.remote.port() == 0);
        Place {
            local_port: socket.local.port(),
            proto: socket.proto,
            local_addr: socket.local.ip(),
            remote_addr: connected.then(|| socket.remote.ip()),
            remote_port: connected.then(|| socket.remote.port()),
            inode: socket.inode,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
