//! Which process holds which socket: the `/proc/*/fd` walk, and the join that turns
//! backend [`Socket`]s into [`PortEntry`] records.
//!
//! The kernel's socket dump knows a socket's inode but not its process; the only way to
//! learn the process is to read every open file descriptor of every process and keep the
//! ones that are links to `socket:[INODE]` — what `ss -p`, `lsof` and `fuser` all do. That walk
//! is the cost of a scan, so it reads each fd directory with raw `getdents64` and
//! `readlinkat` (no per-fd allocation), splits the processes over threads, and never
//! touches a process's other files. Details (name, command line, parent, start time) are
//! read afterwards, once per process that owns a listed socket.

use std::collections::HashMap;
use std::ffi::CStr;
use std::io::Write as _;
use std::mem::MaybeUninit;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::Socket;
use super::process::{BootClock, ProcessInfo, UserNames, parent_pid};
use crate::hashing::Map;
use crate::model::PortEntry;
use crate::sys::FdDir;

/// Every (socket inode, pid) pair found in `/proc/*/fd`, sorted, for lookup by inode.
#[derive(Debug, Clone, Default)]
pub struct InodeOwners {
    pairs: Vec<(u64, u32)>,
}

impl InodeOwners {
    /// Walks `/proc/*/fd` of every visible process on `threads` threads. Processes that exit
    /// or deny access during the walk own nothing; that is not an error.
    #[must_use]
    pub fn collect(threads: usize) -> InodeOwners {
        InodeOwners::from_pairs(walk(&list_pids(), threads))
    }

    /// Builds the map from known pairs (for tests and for callers with their own walk).
    #[must_use]
    pub fn from_pairs(mut pairs: Vec<(u64, u32)>) -> InodeOwners {
        pairs.sort_unstable();
        pairs.dedup();
        InodeOwners { pairs }
    }

    /// The pids holding `inode`, ascending; empty when none is visible.
    pub fn pids(&self, inode: u64) -> impl Iterator<Item = u32> + '_ {
        let start = self.pairs.partition_point(|&(i, _)| i < inode);
        self.pairs[start..]
            .iter()
            .take_while(move |&&(i, _)| i == inode)
            .map(|&(_, pid)| pid)
    }

    /// Number of (inode, pid) pairs found.
    #[must_use]
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether no process holds any socket that the walk could see.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// Turns backend sockets into records: owners from `owners`, process details read once per
/// owning process, user names once per uid, device names from `interfaces` (see
/// [`Attributor`]). Every socket gives exactly one record.
#[must_use]
pub fn attribute(
    sockets: &[Socket],
    owners: &InodeOwners,
    interfaces: &Interfaces,
) -> Vec<PortEntry> {
    let mut attributor = Attributor::new(owners, interfaces);
    sockets
        .iter()
        .map(|socket| attributor.record(socket))
        .collect()
}

/// Makes records of sockets: each socket with the processes holding it, the one it names
/// ([`master`]) and that process's facts, read once per process however many records
/// (or blocks of records) ask for them.
#[derive(Debug)]
pub struct Attributor<'a> {
    owners: &'a InodeOwners,
    interfaces: &'a Interfaces,
    clock: Option<BootClock>,
    processes: Map<u32, Option<Owner>>,
    parents: Map<u32, Option<u32>>,
    users: UserNames,
    /// The holders of the socket at hand ([`Attributor::process_key`]), reused.
    holders: Vec<u32>,
}

impl<'a> Attributor<'a> {
    /// An attributor for sockets whose holders `owners` lists and whose devices
    /// `interfaces` names.
    #[must_use]
    pub fn new(owners: &'a InodeOwners, interfaces: &'a Interfaces) -> Attributor<'a> {
        Attributor {
            owners,
            interfaces,
            clock: BootClock::read(),
            processes: Map::default(),
            parents: Map::default(),
            users: UserNames::default(),
            holders: Vec::new(),
        }
    }

    /// Every pid holding `socket`, sorted; empty for a socket without an inode.
    fn pids(&self, socket: &Socket) -> Vec<u32> {
        if socket.inode == 0 {
            Vec::new()
        } else {
            self.owners.pids(socket.inode).collect()
        }
    }

    /// The process a record of a socket held by `pids` names.
    fn master(&mut self, pids: &[u32]) -> Option<u32> {
        let parents = &mut self.parents;
        master(pids, |pid| {
            *parents.entry(pid).or_insert_with(|| parent_pid(pid))
        })
    }

    /// The facts of process `pid`, read on first asking.
    fn facts(&mut self, pid: u32) -> Option<&Owner> {
        let clock = self.clock.as_ref();
        self.processes
            .entry(pid)
            .or_insert_with(|| ProcessInfo::read(pid, clock).map(Owner::from))
            .as_ref()
    }

    /// The pid and start time a record of `socket` names: what enrichment keys a process
    /// by. Reads the facts it will need for the record. Runs for every socket before its
    /// record is made, so it allocates nothing.
    pub fn process_key(
        &mut self,
        socket: &Socket,
    ) -> Option<(u32, Option<crate::model::Timestamp>)> {
        let mut holders = std::mem::take(&mut self.holders);
        holders.clear();
        if socket.inode != 0 {
            holders.extend(self.owners.pids(socket.inode));
        }
        let pid = self.master(&holders);
        self.holders = holders;
        let pid = pid?;
        Some((pid, self.facts(pid).and_then(|info| info.started)))
    }

    /// The record of `socket`: its owners and their facts, nothing enriched yet.
    pub fn record(&mut self, socket: &Socket) -> PortEntry {
        let pids = self.pids(socket);
        let pid = self.master(&pids);
        let info = pid.and_then(|pid| self.facts(pid).cloned());
        // A socket without an inode has no socket file, so no process can hold it
        // (TIME_WAIT, an orphan the kernel is still closing, a request socket); the
        // kernel reports uid 0 for it, which is not root's.
        let uid = (socket.inode != 0).then_some(socket.uid);
        let connected = !(socket.remote.ip().is_unspecified() && socket.remote.port() == 0);
        let info = info.unwrap_or_default();
        PortEntry {
            proto: socket.proto,
            local_addr: socket.local.ip(),
            local_port: socket.local.port(),
            remote_addr: connected.then(|| socket.remote.ip()),
            remote_port: connected.then(|| socket.remote.port()),
            state: socket.state,
            inode: socket.inode,
            uid,
            pid,
            pids,
            process: info.name,
            cmdline: info.cmdline,
            user: uid.and_then(|uid| self.users.name(uid)),
            ppid: info.ppid,
            started: info.started,
            service: None,
            suspicious: Vec::new(),
            container: None,
            netns: socket.netns,
            interface: self.interfaces.name(socket.netns, socket.ifindex),
            recv_q: socket.recv_q.map(u64::from),
            send_q: socket.send_q.map(u64::from),
            traffic: socket.traffic.as_deref().copied(),
            cookie: socket.cookie,
        }
    }
}

/// A process's facts as records share them.
#[derive(Debug, Clone, Default)]
struct Owner {
    name: Option<Arc<str>>,
    cmdline: Option<Arc<str>>,
    ppid: Option<u32>,
    started: Option<crate::model::Timestamp>,
}

impl From<ProcessInfo> for Owner {
    fn from(info: ProcessInfo) -> Owner {
        Owner {
            name: info.name.map(Arc::from),
            cmdline: info.cmdline.map(Arc::from),
            ppid: info.ppid,
            started: info.started,
        }
    }
}

/// Which of the processes holding one socket a record names: the holder every other holder
/// descends from (the master of a pre-forked server, whatever its pid), else — when none
/// or several holders have no holder among their ancestors — the lowest pid. `pids` is
/// sorted; `parent` gives a process's parent (`None` once it is unknown or gone).
///
/// The lowest pid alone is wrong after pid wrap-around, when workers forked later get
/// lower numbers than their master: killing or describing it would miss the server.
pub fn master(pids: &[u32], mut parent: impl FnMut(u32) -> Option<u32>) -> Option<u32> {
    let (&lowest, rest) = pids.split_first()?;
    if rest.is_empty() {
        return Some(lowest);
    }
    // A holder is a root when no other holder is among its ancestors. Chains are short
    // (a handful of generations); the bound only guards against a cycle read mid-reuse.
    let is_root = |holder: u32, parent: &mut dyn FnMut(u32) -> Option<u32>| {
        let mut current = holder;
        for _ in 0..MAX_GENERATIONS {
            match parent(current) {
                Some(up) if up != 0 && up != current => {
                    if pids.binary_search(&up).is_ok() {
                        return false;
                    }
                    current = up;
                }
                _ => break,
            }
        }
        true
    };
    let mut roots = pids.iter().copied().filter(|&h| is_root(h, &mut parent));
    match (roots.next(), roots.next()) {
        (Some(root), None) => Some(root),
        _ => Some(lowest),
    }
}

/// How far up the parent chain [`master`] looks.
const MAX_GENERATIONS: usize = 256;

/// Names of the devices sockets are bound to, by namespace and interface index: indexes
/// are per network namespace, so each is resolved inside its own while the dump is there.
#[derive(Debug, Clone, Default)]
pub struct Interfaces {
    names: HashMap<(Option<u64>, u32), Arc<str>>,
}

impl Interfaces {
    /// Records the name of interface `index` in namespace `netns`.
    pub fn insert(&mut self, netns: Option<u64>, index: u32, name: String) {
        self.names.insert((netns, index), name.into());
    }

    /// Adds every name `other` knows.
    pub fn extend(&mut self, other: Interfaces) {
        self.names.extend(other.names);
    }

    /// Whether `index` of `netns` is known already.
    #[must_use]
    pub fn contains(&self, netns: Option<u64>, index: u32) -> bool {
        self.names.contains_key(&(netns, index))
    }

    /// The name of interface `index` in `netns`; `None` for 0 (no device) or an index that
    /// went away before it could be named.
    #[must_use]
    pub fn name(&self, netns: Option<u64>, index: u32) -> Option<Arc<str>> {
        if index == 0 {
            return None;
        }
        self.names.get(&(netns, index)).cloned()
    }
}

/// `(socket inode, pid)` for every socket fd of `pids`, walked on `threads` threads.
pub(super) fn walk(pids: &[u32], threads: usize) -> Vec<(u64, u32)> {
    on_threads(pids, threads, |walker, pid, found| {
        walker.for_each_fd(pid, |dir, _, name| {
            if let Some(inode) = socket_inode(dir, name) {
                found.push((inode, pid));
            }
        });
    })
}

/// One process's open fds as `(fd number, socket inode)`, ascending by fd number, where the
/// inode is 0 for an fd that is not a socket.
pub(super) type FdTable = Vec<(u32, u64)>;

/// Reads the fd tables of `processes` on `threads` threads, reusing each one's previous
/// table: only fd numbers that table does not hold are read with `readlinkat`, so a process
/// with thousands of fds that opened one more costs one directory read and one link read.
///
/// Trusting an fd number seen before is what makes this cheap, and also its limit: an fd
/// closed and reopened between two reads keeps its old meaning here. Callers read a process
/// afresh (with an empty previous table) when a socket stays unaccounted for. A process that
/// cannot be read gets `None`.
pub(super) fn read_fd_tables(
    processes: &[(u32, FdTable)],
    threads: usize,
) -> Vec<(u32, Option<FdTable>)> {
    let pids: Vec<u32> = processes.iter().map(|&(pid, _)| pid).collect();
    let previous: HashMap<u32, &FdTable> = processes.iter().map(|(pid, t)| (*pid, t)).collect();
    on_threads(&pids, threads, |walker, pid, found| {
        let old = previous.get(&pid).map_or(&[][..], |table| table.as_slice());
        let mut old = old.iter().peekable();
        let mut table = FdTable::new();
        let opened = walker.for_each_fd(pid, |dir, fd, name| {
            // Both lists ascend by fd number: a merge, no lookups.
            while old.next_if(|&&(seen, _)| seen < fd).is_some() {}
            let inode = match old.next_if(|&&(seen, _)| seen == fd) {
                Some(&(_, inode)) => inode,
                None => socket_inode(dir, name).unwrap_or(0),
            };
            table.push((fd, inode));
        });
        found.push((pid, opened.then_some(table)));
    })
}

/// Runs `visit` for every pid of `pids` on `threads` threads and gathers what it pushes.
///
/// Workers take the next pid from a shared counter rather than a fixed share: the cost is
/// in a few processes with thousands of fds, wherever they sit in the list.
fn on_threads<T, F>(pids: &[u32], threads: usize, visit: F) -> Vec<T>
where
    T: Send,
    F: Fn(&mut FdWalker, u32, &mut Vec<T>) + Sync,
{
    let threads = threads.clamp(1, pids.len().max(1));
    let next = AtomicUsize::new(0);
    let work = || {
        let mut found = Vec::new();
        let mut walker = FdWalker::new();
        while let Some(&pid) = pids.get(next.fetch_add(1, Ordering::Relaxed)) {
            visit(&mut walker, pid, &mut found);
        }
        found
    };
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut gathered = work();
        for helper in helpers {
            match helper.join() {
                Ok(found) => gathered.extend(found),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        gathered
    })
}

/// The numeric entries of `/proc`: every visible process.
pub(super) fn list_pids() -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// Reads fd directories with reusable buffers.
struct FdWalker {
    dirents: Vec<MaybeUninit<u8>>,
    path: Vec<u8>,
}

/// Size of the directory-read buffer: a process with 10k fds is read in a few calls.
const DIRENT_BUFFER: usize = 64 * 1024;

impl FdWalker {
    fn new() -> FdWalker {
        FdWalker {
            dirents: vec![MaybeUninit::uninit(); DIRENT_BUFFER],
            path: Vec::with_capacity(32),
        }
    }

    /// Calls `visit(directory, fd number, name)` for every open fd of `pid`, in the
    /// kernel's order (ascending). Returns false when the directory could not be opened:
    /// the process exited, or is not ours to read.
    fn for_each_fd(&mut self, pid: u32, mut visit: impl FnMut(&FdDir, u32, &CStr)) -> bool {
        self.path.clear();
        // Writing into a Vec cannot fail.
        let _ = write!(self.path, "/proc/{pid}/fd\0");
        let Ok(path) = CStr::from_bytes_with_nul(&self.path) else {
            return false;
        };
        let Ok(dir) = FdDir::open(path) else {
            return false;
        };
        dir.for_each_entry(&mut self.dirents, |name| {
            if let Some(fd) = fd_number(name.to_bytes()) {
                visit(&dir, fd, name);
            }
        });
        true
    }
}

/// The fd number a directory entry's name spells; `None` for `.` and `..`.
fn fd_number(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() {
        return None;
    }
    let mut fd: u32 = 0;
    for &digit in digits {
        if !digit.is_ascii_digit() {
            return None;
        }
        fd = fd.checked_mul(10)?.checked_add(u32::from(digit - b'0'))?;
    }
    Some(fd)
}

/// Reads the fd link `name` and returns the inode when it is `socket:[INODE]`.
fn socket_inode(dir: &FdDir, name: &CStr) -> Option<u64> {
    const PREFIX: &[u8] = b"socket:[";
    let mut target = [0u8; 64];
    let digits = dir
        .read_link(name, &mut target)?
        .strip_prefix(PREFIX)?
        .strip_suffix(b"]")?;
    let mut inode: u64 = 0;
    for &digit in digits {
        if !digit.is_ascii_digit() {
            return None;
        }
        inode = inode
            .checked_mul(10)?
            .checked_add(u64::from(digit - b'0'))?;
    }
    Some(inode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Proto, State};
    use std::net::TcpListener;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn the_master_is_the_holder_the_others_descend_from() {
        // nginx after pid wrap-around: master 32458, workers 300 and 301.
        let parents = HashMap::from([(300, 32458), (301, 32458), (32458, 1), (1, 0)]);
        let parent = |pid| parents.get(&pid).copied();
        assert_eq!(master(&[300, 301, 32458], parent), Some(32458));
        // A grandchild through a non-holder (a shell between them) still descends.
        let parents = HashMap::from([(50, 900), (900, 700), (700, 1)]);
        let parent = |pid| parents.get(&pid).copied();
        assert_eq!(master(&[50, 700], parent), Some(700));
        // Unrelated holders (a socket passed over a unix socket): the lowest pid.
        let parents = HashMap::from([(50, 1), (60, 1)]);
        let parent = |pid| parents.get(&pid).copied();
        assert_eq!(master(&[50, 60], parent), Some(50));
        // Parents unknown (gone mid-scan), one holder, none.
        assert_eq!(master(&[7, 9], |_| None), Some(7));
        assert_eq!(master(&[7], |_| None), Some(7));
        assert_eq!(master(&[], |_| None), None);
        // A cycle read while pids were reused does not hang.
        let parents = HashMap::from([(5, 6), (6, 5)]);
        let parent = |pid| parents.get(&pid).copied();
        assert_eq!(master(&[5, 6], parent), Some(5));
    }

    #[test]
    fn pids_are_found_by_inode_in_order() {
        let owners = InodeOwners::from_pairs(vec![(7, 30), (5, 2), (7, 10), (7, 30), (9, 1)]);
        assert_eq!(owners.pids(7).collect::<Vec<_>>(), [10, 30]);
        assert_eq!(owners.pids(5).collect::<Vec<_>>(), [2]);
        assert_eq!(owners.pids(6).count(), 0);
        assert_eq!(owners.len(), 4);
    }

    #[test]
    fn the_walk_finds_this_process_listener() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let fd_link = format!(
            "/proc/self/fd/{}",
            std::os::fd::AsRawFd::as_raw_fd(&listener)
        );
        let inode = std::fs::metadata(fd_link).expect("own fd").ino();
        let me = std::process::id();
        for threads in [1, 3] {
            let owners = InodeOwners::collect(threads);
            assert!(owners.pids(inode).any(|pid| pid == me), "threads={threads}");
        }
    }

    #[test]
    fn ownerless_sockets_have_no_uid_and_unconnected_no_remote() {
        let socket = |state, inode| Socket {
            proto: Proto::Tcp,
            state,
            local: "127.0.0.1:80".parse().expect("literal"),
            remote: "0.0.0.0:0".parse().expect("literal"),
            uid: 0,
            inode,
            netns: Some(1),
            ifindex: 0,
            recv_q: Some(0),
            send_q: Some(0),
            traffic: None,
            cookie: None,
        };
        let entries = attribute(
            &[
                socket(State::TimeWait, 0),
                socket(State::Listen, 99),
                socket(State::FinWait2, 0),
            ],
            &InodeOwners::default(),
            &Interfaces::default(),
        );
        assert_eq!((entries[2].uid, entries[2].user.as_deref()), (None, None));
        assert_eq!(entries[0].uid, None);
        assert_eq!(entries[0].user, None);
        assert_eq!(entries[1].uid, Some(0));
        assert_eq!(entries[1].user.as_deref(), Some("root"));
        assert_eq!(
            (entries[1].remote_addr, entries[1].remote_port),
            (None, None)
        );
        assert_eq!(entries[1].pid, None);
        assert_eq!(entries[1].netns, Some(1));
    }
}
