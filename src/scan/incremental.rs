//! Repeated scans that do not redo the whole `/proc/*/fd` walk: what `prt watch` runs.
//!
//! The walk is a scan's cost (one `readlinkat` per open fd of every process). Between two
//! ticks almost nothing changes, so [`Scanner`] keeps each process's fd table and re-reads a
//! process only when there is a sign it changed: it is new, or its fd count moved. Even then
//! only fd numbers it did not have before are read, unless its start time differs (the pid
//! was reused) and the whole table is read afresh.
//!
//! Trusting fd numbers is the one guess here; the socket dump checks it. A socket that no
//! known process holds is looked for, reading tables afresh, first in the processes that
//! hold sockets on the same local port (an accepted connection belongs to its listener's
//! process), and only then in every other process. A socket not found even so (another
//! user's, without privileges) is remembered as unfindable until it goes away, so it does
//! not cost a full walk every tick. One whose holder this scan should see (root's, or this
//! user's) is looked for again the next scan if any process's fds changed meanwhile: it
//! may be a connection `accept` had not given its fd yet, or an fd in flight.

use crate::hashing::{Map, Set};

use super::owners::{self, FdTable, InodeOwners};
use super::process::{fd_count, parent_pid, start_ticks};
use super::{Error, Found, Scan, ScanOptions, Socket, dump, walk_threads};

/// What the scanner remembers of one process.
#[derive(Debug, Clone, Default)]
struct Known {
    fd_count: Option<u64>,
    start: Option<u64>,
    fds: FdTable,
}

impl Known {
    /// The socket inodes this process held when last read.
    fn sockets(&self) -> impl Iterator<Item = u64> + '_ {
        self.fds
            .iter()
            .map(|&(_, inode)| inode)
            .filter(|&inode| inode != 0)
    }
}

/// How to read a process's fds again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reread {
    /// Only fd numbers not seen before.
    New,
    /// Every fd.
    All,
}

/// A scanner that carries the socket-to-process map from one scan to the next.
#[derive(Debug)]
pub struct Scanner {
    options: ScanOptions,
    threads: usize,
    processes: Map<u32, Known>,
    unfindable: Set<u64>,
    /// Sockets of root's or this user's that the last scan found no holder for: looked for
    /// again before they count as unfindable.
    missed: Set<u64>,
    /// Sockets the last scan found still there without a holder ([`super::drop_closed`]).
    ownerless: Set<u64>,
    /// Processes whose fds were read in the last scan (for tests and benchmarks).
    walked_last: usize,
}

impl Scanner {
    /// A scanner for `options`; its first scan walks every process.
    #[must_use]
    pub fn new(options: ScanOptions) -> Scanner {
        Scanner {
            options,
            threads: walk_threads(),
            processes: Map::default(),
            unfindable: Set::default(),
            missed: Set::default(),
            ownerless: Set::default(),
            walked_last: 0,
        }
    }

    /// Takes one snapshot, as [`super::scan`] would, reading only what may have changed.
    /// Nothing is withheld: a socket without a holder yet is shown without one.
    pub fn scan(&mut self) -> Result<Scan, Error> {
        match self.find()? {
            Some(mut found) => {
                found.restore(|_| true);
                Ok(found.into_scan())
            }
            // lsof attributes sockets itself; there is no fd table to keep.
            None => super::scan_with_lsof(&self.options),
        }
    }

    /// The sockets and their holders, as [`super::find`] gives them, reading only what may
    /// have changed; `None` for the lsof backend. A socket still there without a holder,
    /// which the last scan did not already find so, is withheld ([`Found::restore`] puts
    /// it back).
    pub fn find(&mut self) -> Result<Option<Found>, Error> {
        if self.options.backend == super::Backend::Lsof {
            return Ok(None);
        }
        let dumped = dump(&self.options)?;
        self.walked_last = 0;
        if self.options.attribute {
            self.refresh(&dumped.sockets);
        }
        let owners = InodeOwners::from_pairs(self.inode_owners().collect());
        Ok(Some(Found::new(
            dumped,
            owners,
            self.options.attribute,
            Some(&mut self.ownerless),
        )))
    }

    /// Forgets process `pid`'s fd table at once (it exited): its pid may be reused before
    /// the next scan, and a table kept would name the wrong sockets until the start times
    /// were compared.
    pub fn forget(&mut self, pid: u32) {
        self.processes.remove(&pid);
    }

    /// Whether process `pid` held sockets when last read.
    #[must_use]
    pub fn holds_sockets(&self, pid: u32) -> bool {
        self.processes
            .get(&pid)
            .is_some_and(|known| known.sockets().next().is_some())
    }

    /// How many processes the last scan read the fds of.
    #[must_use]
    pub fn walked_last(&self) -> usize {
        self.walked_last
    }

    fn inode_owners(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.processes
            .iter()
            .flat_map(|(&pid, known)| known.sockets().map(move |inode| (inode, pid)))
    }

    fn refresh(&mut self, sockets: &[Socket]) {
        let pids = owners::list_pids();
        let present: Set<u32> = pids.iter().copied().collect();
        self.processes.retain(|pid, _| present.contains(pid));
        // Processes read in full this tick: the later searches need not read them again.
        let mut read_in_full: Set<u32> = Set::default();

        let changed = self.changed(&pids);
        let newcomers: Vec<u32> = changed
            .iter()
            .map(|&(pid, _)| pid)
            .filter(|pid| !self.processes.contains_key(pid))
            .collect();
        let held_before: Set<u64> = if newcomers.is_empty() {
            Set::default()
        } else {
            self.inode_owners().map(|(inode, _)| inode).collect()
        };
        self.reread(&changed, &mut read_in_full);
        self.read_parents_of(&newcomers, &held_before, &mut read_in_full);
        let read_now: Set<u32> = changed.iter().map(|&(pid, _)| pid).collect();
        self.recheck_shared(&read_now, &mut read_in_full);

        let mut unknown = self.unknown_inodes(sockets);
        if unknown.is_empty() {
            self.missed.clear();
            return;
        }
        // First the processes holding sockets on the same local ports.
        let known_by_inode: Map<u64, u32> = self.inode_owners().collect();
        let ports: Set<u16> = sockets
            .iter()
            .filter(|s| unknown.contains(&s.inode))
            .map(|s| s.local.port())
            .collect();
        let neighbours: Vec<(u32, Reread)> = sockets
            .iter()
            .filter(|s| ports.contains(&s.local.port()))
            .filter_map(|s| known_by_inode.get(&s.inode).copied())
            .filter(|pid| !read_in_full.contains(pid))
            .collect::<Set<u32>>()
            .into_iter()
            .map(|pid| (pid, Reread::All))
            .collect();
        self.reread(&neighbours, &mut read_in_full);
        unknown = self.unknown_inodes(sockets);
        // A socket the last scan searched every process for is searched for again only
        // if some process's fds changed since: a socket no process holds, on a quiet
        // machine, costs one walk of every process, not two.
        if !changed.is_empty() || unknown.iter().any(|inode| !self.missed.contains(inode)) {
            let rest: Vec<(u32, Reread)> = pids
                .iter()
                .copied()
                .filter(|pid| !read_in_full.contains(pid))
                .map(|pid| (pid, Reread::All))
                .collect();
            self.reread(&rest, &mut read_in_full);
            unknown = self.unknown_inodes(sockets);
        }
        if !unknown.is_empty() {
            // A process forked after the list was taken may hold them alone by now (its
            // parent closed its copy): the processes that appeared since, once.
            let appeared: Vec<(u32, Reread)> = owners::list_pids()
                .into_iter()
                .filter(|pid| !read_in_full.contains(pid) && !self.processes.contains_key(pid))
                .map(|pid| (pid, Reread::All))
                .collect();
            if !appeared.is_empty() {
                self.reread(&appeared, &mut read_in_full);
                unknown = self.unknown_inodes(sockets);
            }
        }
        self.give_up_on(unknown, sockets);
    }

    /// Remembers the sockets not found after a search of every process as unfindable, and
    /// forgets the unfindable ones that have gone. A socket whose holder this scan should
    /// see (root's, or this user's, in any namespace: the walk covers every process) is
    /// given up on only when the scan before missed it too.
    fn give_up_on(&mut self, unknown: Set<u64>, sockets: &[Socket]) {
        let live: Set<u64> = sockets.iter().map(|s| s.inode).collect();
        self.unfindable.retain(|inode| live.contains(inode));
        let euid = crate::sys::euid();
        let findable: Set<u64> = sockets
            .iter()
            .filter(|s| euid == 0 || s.uid == euid)
            .map(|s| s.inode)
            .filter(|inode| unknown.contains(inode))
            .collect();
        let missed_before = std::mem::take(&mut self.missed);
        for inode in unknown {
            if findable.contains(&inode) && !missed_before.contains(&inode) {
                self.missed.insert(inode);
            } else {
                self.unfindable.insert(inode);
            }
        }
    }

    /// The processes of `pids` with a sign of change since they were read, and how to read
    /// them again: new ones (in full), those whose fd count moved, those whose start time
    /// differs (the pid was reused: in full).
    fn changed(&self, pids: &[u32]) -> Vec<(u32, Reread)> {
        let mut changed = Vec::new();
        for &pid in pids {
            let Some(known) = self.processes.get(&pid) else {
                changed.push((pid, Reread::All));
                continue;
            };
            let count_moved = known.fd_count != fd_count(pid);
            // Reading the start time costs more than the fd count, so it is checked only
            // where a reused pid would matter now: a process about to be read, or one that
            // holds sockets.
            if count_moved || known.fds.iter().any(|&(_, inode)| inode != 0) {
                if known.start != start_ticks(pid) {
                    changed.push((pid, Reread::All));
                } else if count_moved {
                    changed.push((pid, Reread::New));
                }
            }
        }
        changed
    }

    /// Whether every process still holds the sockets the last scan found it holding,
    /// checked as a scan checks (processes new or gone, fd counts, start times) but without
    /// a socket dump: what lets a watch whose event sources report every TCP change skip a
    /// scan. The processes with a sign of change are read again now (the next scan need
    /// not); `false` as soon as one holds other sockets than before, a process that held
    /// sockets is gone, or a new one holds any.
    pub fn settled(&mut self) -> bool {
        if self.options.backend == super::Backend::Lsof || !self.options.attribute {
            return false;
        }
        let pids = owners::list_pids();
        let present: Set<u32> = pids.iter().copied().collect();
        if self
            .processes
            .iter()
            .any(|(pid, known)| !present.contains(pid) && known.sockets().next().is_some())
        {
            return false;
        }
        self.processes.retain(|pid, _| present.contains(pid));
        let changed = self.changed(&pids);
        if changed.is_empty() {
            return true;
        }
        let holdings = |scanner: &Scanner| -> Vec<(u32, Vec<u64>)> {
            changed
                .iter()
                .map(|&(pid, _)| {
                    let mut inodes: Vec<u64> = scanner
                        .processes
                        .get(&pid)
                        .map(|known| known.sockets().collect())
                        .unwrap_or_default();
                    inodes.sort_unstable();
                    (pid, inodes)
                })
                .collect()
        };
        let before = holdings(self);
        let mut read_in_full = Set::default();
        self.reread(&changed, &mut read_in_full);
        before == holdings(self)
    }

    /// Reads in full the parents of new processes that hold a socket nobody held before.
    ///
    /// A child forked this tick holds its parent's new socket too, and if the parent's fd
    /// count happens not to have moved (a thread closed one fd as another opened the
    /// socket), nothing else would make the parent be read: the socket would look as if only
    /// the child held it, until the child closed it.
    fn read_parents_of(
        &mut self,
        newcomers: &[u32],
        held_before: &Set<u64>,
        read_in_full: &mut Set<u32>,
    ) {
        let parents: Set<u32> = newcomers
            .iter()
            .filter(|pid| {
                self.processes
                    .get(pid)
                    .is_some_and(|known| known.sockets().any(|inode| !held_before.contains(&inode)))
            })
            .filter_map(|&pid| parent_pid(pid))
            .filter(|parent| self.processes.contains_key(parent) && !read_in_full.contains(parent))
            .collect();
        let parents: Vec<(u32, Reread)> =
            parents.into_iter().map(|pid| (pid, Reread::All)).collect();
        self.reread(&parents, read_in_full);
    }

    /// Reads again the fds that hold a socket shared with a process read this tick.
    ///
    /// An fd number trusted from an earlier read may have been closed and reopened since.
    /// That misattributes a live socket only when the socket outlived the close, which
    /// means another process holds it too: a socket handed to a child, or a forked server's
    /// listener. So where a process read this tick shares a socket with others, every
    /// holder's fds for that socket are read again — a few `readlinkat`s, not a walk.
    fn recheck_shared(&mut self, read_now: &Set<u32>, read_in_full: &mut Set<u32>) {
        if read_now.is_empty() {
            return;
        }
        let mut holders: Map<u64, Vec<u32>> = Map::default();
        for (inode, pid) in self.inode_owners() {
            holders.entry(inode).or_default().push(pid);
        }
        let doubtful: Set<u64> = holders
            .iter()
            .filter(|(_, pids)| pids.len() > 1 && pids.iter().any(|pid| read_now.contains(pid)))
            .map(|(&inode, _)| inode)
            .collect();
        if doubtful.is_empty() {
            return;
        }
        let mut recheck: Vec<(u32, Reread)> = Vec::new();
        for (&pid, known) in &mut self.processes {
            if read_in_full.contains(&pid) {
                continue;
            }
            let before = known.fds.len();
            // Dropping the entries makes the next incremental read look them up again.
            known.fds.retain(|(_, inode)| !doubtful.contains(inode));
            if known.fds.len() != before {
                recheck.push((pid, Reread::New));
            }
        }
        self.reread(&recheck, read_in_full);
    }

    /// Reads the fds of `pids` again. The fd count and start time are taken before the
    /// read, so a change during it shows up as a difference on the next tick.
    fn reread(&mut self, pids: &[(u32, Reread)], read_in_full: &mut Set<u32>) {
        if pids.is_empty() {
            return;
        }
        let mut work: Vec<(u32, FdTable)> = Vec::with_capacity(pids.len());
        for &(pid, how) in pids {
            let known = self.processes.entry(pid).or_default();
            known.fd_count = fd_count(pid);
            known.start = start_ticks(pid);
            let previous = std::mem::take(&mut known.fds);
            if how == Reread::All {
                read_in_full.insert(pid);
                work.push((pid, FdTable::new()));
            } else {
                work.push((pid, previous));
            }
        }
        for (pid, table) in owners::read_fd_tables(&work, self.threads) {
            // A process that is gone or closed to us holds nothing we can see; it stays
            // known so that it is not tried again every tick while its fd count holds.
            if let Some(known) = self.processes.get_mut(&pid) {
                known.fds = table.unwrap_or_default();
            }
        }
        self.walked_last += pids.len();
    }

    /// Socket inodes in `sockets` that no known process holds and that are not known to be
    /// unfindable.
    fn unknown_inodes(&self, sockets: &[Socket]) -> Set<u64> {
        let held: Set<u64> = self.inode_owners().map(|(inode, _)| inode).collect();
        sockets
            .iter()
            .map(|s| s.inode)
            .filter(|&inode| {
                inode != 0 && !held.contains(&inode) && !self.unfindable.contains(&inode)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PortEntry, Proto};
    #[cfg(target_os = "linux")]
    use crate::scan::tests::{fd_channel, receive_fd, send_fd};
    use std::net::TcpListener;
    use std::os::fd::{AsFd, AsRawFd, OwnedFd};
    use std::os::unix::fs::MetadataExt;

    fn scanner() -> Scanner {
        Scanner::new(ScanOptions {
            protocols: vec![Proto::Tcp],
            listening_only: true,
            ..ScanOptions::default()
        })
    }

    fn inode(listener: &TcpListener) -> u64 {
        std::fs::metadata(format!("/proc/self/fd/{}", listener.as_raw_fd()))
            .expect("own fd")
            .ino()
    }

    fn owner(scan: &Scan, inode: u64) -> Option<&PortEntry> {
        scan.entries.iter().find(|e| e.inode == inode)
    }

    // See: issue 16 — the proc connector's exit drops a process's fd table at once.
    #[test]
    fn a_forgotten_process_is_read_afresh() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let mut scanner = scanner();
        scanner.scan().expect("scan");
        let me = std::process::id();
        assert!(scanner.processes.contains_key(&me));
        scanner.forget(me);
        assert!(!scanner.processes.contains_key(&me));
        let again = scanner.scan().expect("scan");
        assert_eq!(
            owner(&again, inode(&listener)).and_then(|e| e.pid),
            Some(me)
        );
    }

    #[test]
    fn a_steady_tick_walks_few_processes_and_new_sockets_are_found() {
        let mut scanner = scanner();
        let first = scanner.scan().expect("scan");
        assert!(scanner.walked_last() > 0);
        drop(first);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let scan = scanner.scan().expect("scan");
        assert_eq!(
            owner(&scan, inode(&listener)).and_then(|e| e.pid),
            Some(std::process::id())
        );
    }

    #[test]
    fn a_socket_replacing_another_under_the_same_fd_count_is_found() {
        let mut scanner = scanner();
        let first = TcpListener::bind("127.0.0.1:0").expect("bind");
        scanner.scan().expect("scan");
        drop(first);
        // Same number of fds as before, a different socket.
        let second = TcpListener::bind("127.0.0.1:0").expect("bind");
        let scan = scanner.scan().expect("scan");
        assert_eq!(
            owner(&scan, inode(&second)).and_then(|e| e.pid),
            Some(std::process::id())
        );
    }

    #[test]
    fn a_reused_fd_number_in_a_process_read_incrementally_is_found() {
        let mut scanner = scanner();
        let held = TcpListener::bind("127.0.0.1:0").expect("bind");
        scanner.scan().expect("scan");
        // Put a new socket under the fd number the scanner has seen (dup2 closes the old
        // socket), and open one more so the fd count moves and the process is read again
        // incrementally: the reused number must not keep its old meaning.
        let replacement = TcpListener::bind("127.0.0.1:0").expect("bind");
        let mut held_fd = OwnedFd::from(held);
        rustix::io::dup2(&replacement, &mut held_fd).expect("dup2");
        let held = TcpListener::from(held_fd);
        let replacement_inode = inode(&replacement);
        drop(replacement);
        let extra = TcpListener::bind("127.0.0.1:0").expect("bind");
        let scan = scanner.scan().expect("scan");
        assert_eq!(inode(&held), replacement_inode);
        for socket_inode in [replacement_inode, inode(&extra)] {
            assert_eq!(
                owner(&scan, socket_inode).and_then(|e| e.pid),
                Some(std::process::id())
            );
        }
    }

    #[test]
    fn a_new_socket_shared_with_a_new_child_is_the_parents_too() {
        let mut scanner = scanner();
        let placeholder = std::fs::File::open("/dev/null").expect("open");
        scanner.scan().expect("scan");
        // The same fd count as at the first scan: one fd closed, one socket opened.
        drop(placeholder);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let mut command = std::process::Command::new("sleep");
        command.arg("30");
        crate::sys::share_with_child(&mut command, listener.as_fd());
        let mut child = command.spawn().expect("spawn");
        let scan = scanner.scan().expect("scan");
        let holders = owner(&scan, inode(&listener)).map(|e| e.pids.clone());
        child.kill().expect("kill");
        child.wait().expect("reap");
        assert_eq!(holders, Some(vec![std::process::id(), child.id()]));
    }

    // A socket whose only reference is an fd in flight in a unix socket has an inode and no
    // holder, as a connection has between `accept` giving it an inode and its fd: a watch
    // waits one scan before it shows such a socket without its holder.
    #[test]
    #[cfg(target_os = "linux")]
    fn a_socket_without_a_holder_yet_is_withheld_one_scan_then_shown_as_it_is() {
        let (sender, receiver) = fd_channel();
        let brief = TcpListener::bind("127.0.0.1:0").expect("bind");
        let lingering = TcpListener::bind("127.0.0.1:0").expect("bind");
        let (brief_inode, lingering_inode) = (inode(&brief), inode(&lingering));
        send_fd(&sender, brief.as_fd());
        send_fd(&sender, lingering.as_fd());
        drop((brief, lingering));
        let me = std::process::id();

        // A single scan has no earlier one to wait for: it shows them as they are.
        let options = scanner().options;
        let once = super::super::scan(&options).expect("scan");
        for socket in [brief_inode, lingering_inode] {
            assert_eq!(owner(&once, socket).map(|e| e.pid), Some(None));
        }

        let mut scanner = scanner();
        let mut found = scanner.find().expect("find").expect("netlink");
        let withheld: Vec<u64> = found.withheld.iter().map(|s| s.inode).collect();
        assert!(withheld.contains(&brief_inode) && withheld.contains(&lingering_inode));
        // A caller that knew one of them before puts it back.
        found.restore(|socket| socket.inode == lingering_inode);
        let first = found.into_scan();
        assert!(
            owner(&first, brief_inode).is_none(),
            "withheld while nobody holds it"
        );
        assert_eq!(owner(&first, lingering_inode).map(|e| e.pid), Some(None));

        let brief = receive_fd(&receiver);
        let second = scanner.scan().expect("scan");
        assert_eq!(
            owner(&second, brief_inode).and_then(|e| e.pid),
            Some(me),
            "shown first with the process that received it"
        );
        assert_eq!(
            owner(&second, lingering_inode).map(|e| e.pid),
            Some(None),
            "still without a holder a scan later: shown as it is"
        );
        let third = scanner.scan().expect("scan");
        assert_eq!(
            owner(&third, lingering_inode).map(|e| e.pid),
            Some(None),
            "not withheld again"
        );

        let lingering = receive_fd(&receiver);
        drop((brief, lingering));
    }

    #[test]
    fn a_socket_passed_to_a_new_process_gets_the_new_owner() {
        let mut scanner = scanner();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let socket_inode = inode(&listener);
        let scan = scanner.scan().expect("scan");
        assert_eq!(
            owner(&scan, socket_inode).map(|e| e.pids.clone()),
            Some(vec![std::process::id()])
        );

        let mut command = std::process::Command::new("sleep");
        command.arg("30");
        crate::sys::share_with_child(&mut command, listener.as_fd());
        let mut child = command.spawn().expect("spawn");
        // Close the parent's copy by putting another file under its fd number, so this
        // process's fd count need not move: its old entry must still not survive.
        let null = std::fs::File::open("/dev/null").expect("open /dev/null");
        let mut listener = OwnedFd::from(listener);
        rustix::io::dup2(&null, &mut listener).expect("dup2");
        drop(null);
        // `listener` now owns the /dev/null duplicate; dropping it at the end closes that.
        let scan = scanner.scan().expect("scan");
        let holders = owner(&scan, socket_inode).map(|e| e.pids.clone());
        child.kill().expect("kill");
        child.wait().expect("reap");
        drop(listener);
        assert_eq!(holders, Some(vec![child.id()]));
    }

    #[test]
    fn a_reused_pid_is_read_again() {
        let mut scanner = scanner();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        scanner.scan().expect("scan");
        // Make the remembered process look like an earlier one with the same pid, holding
        // a socket this one does not: as after pid reuse with an equal fd count.
        let me = std::process::id();
        let known = scanner.processes.get_mut(&me).expect("known");
        known.start = Some(0);
        known.fds = vec![(0, 1)];
        let scan = scanner.scan().expect("scan");
        assert_eq!(owner(&scan, inode(&listener)).and_then(|e| e.pid), Some(me));
        assert!(!scanner.processes[&me].sockets().any(|inode| inode == 1));
    }
}
