//! Repeated scans that do not redo the whole `/proc/*/fd` walk: what `prt watch` runs.
//!
//! The walk is a scan's cost (one `readlinkat` per open fd of every process). Between two
//! ticks almost nothing changes, so [`Scanner`] keeps what each process held and re-reads a
//! process only when there is a sign it changed: it is new, its fd count moved, or (for a
//! process that holds sockets) its start time differs, which means the pid was reused.
//! Sockets that no known process holds are then looked for first in the processes that
//! hold sockets on the same local port (an accepted connection belongs to its listener's
//! process), and only then in every other process. A socket not found even so (another
//! user's, without privileges) is remembered as unfindable until it goes away, so it does
//! not cost a full walk every tick.

use std::collections::{HashMap, HashSet};

use super::owners::{self, InodeOwners};
use super::process::{fd_count, own_netns, start_ticks};
use super::{Dump, Error, Scan, ScanOptions, Socket, count_hidden_owners, dump, walk_threads};

/// What the scanner remembers of one process.
#[derive(Debug, Clone)]
struct Known {
    fd_count: Option<u64>,
    start: Option<u64>,
    inodes: Vec<u64>,
}

/// A scanner that carries the socket-to-process map from one scan to the next.
#[derive(Debug)]
pub struct Scanner {
    options: ScanOptions,
    threads: usize,
    processes: HashMap<u32, Known>,
    unfindable: HashSet<u64>,
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
            processes: HashMap::new(),
            unfindable: HashSet::new(),
            walked_last: 0,
        }
    }

    /// Takes one snapshot, as [`super::scan`] would, reading only what may have changed.
    pub fn scan(&mut self) -> Result<Scan, Error> {
        let Dump { sockets, fell_back } = dump(&self.options)?;
        self.walked_last = 0;
        if self.options.attribute {
            self.refresh(&sockets);
        }
        let pairs = self
            .processes
            .iter()
            .flat_map(|(&pid, known)| known.inodes.iter().map(move |&inode| (inode, pid)))
            .collect();
        let owners = InodeOwners::from_pairs(pairs);
        let entries = owners::attribute(&sockets, &owners, own_netns());
        let hidden_owners = count_hidden_owners(&entries);
        Ok(Scan {
            entries,
            hidden_owners,
            fell_back,
        })
    }

    /// How many processes the last scan read the fds of.
    #[must_use]
    pub fn walked_last(&self) -> usize {
        self.walked_last
    }

    fn refresh(&mut self, sockets: &[Socket]) {
        let pids = owners::list_pids();
        let present: HashSet<u32> = pids.iter().copied().collect();
        self.processes.retain(|pid, _| present.contains(pid));
        let mut walked: HashSet<u32> = HashSet::new();

        let changed: Vec<u32> = pids
            .iter()
            .copied()
            .filter(|&pid| match self.processes.get(&pid) {
                None => true,
                Some(known) => {
                    known.fd_count != fd_count(pid)
                        || (!known.inodes.is_empty() && known.start != start_ticks(pid))
                }
            })
            .collect();
        self.rewalk(&changed, &mut walked);

        let mut unknown = self.unknown_inodes(sockets);
        if unknown.is_empty() {
            return;
        }
        // First the processes holding sockets on the same local ports.
        let known_by_inode: HashMap<u64, u32> = self
            .processes
            .iter()
            .flat_map(|(&pid, known)| known.inodes.iter().map(move |&inode| (inode, pid)))
            .collect();
        let ports: HashSet<u16> = sockets
            .iter()
            .filter(|s| unknown.contains(&s.inode))
            .map(|s| s.local.port())
            .collect();
        let neighbours: Vec<u32> = sockets
            .iter()
            .filter(|s| ports.contains(&s.local.port()))
            .filter_map(|s| known_by_inode.get(&s.inode).copied())
            .filter(|pid| !walked.contains(pid))
            .collect::<HashSet<u32>>()
            .into_iter()
            .collect();
        self.rewalk(&neighbours, &mut walked);
        unknown = self.unknown_inodes(sockets);
        if !unknown.is_empty() {
            let rest: Vec<u32> = pids
                .iter()
                .copied()
                .filter(|pid| !walked.contains(pid))
                .collect();
            self.rewalk(&rest, &mut walked);
            unknown = self.unknown_inodes(sockets);
        }
        // Forget unfindable sockets that have gone, remember the new ones.
        let live: HashSet<u64> = sockets.iter().map(|s| s.inode).collect();
        self.unfindable.retain(|inode| live.contains(inode));
        self.unfindable.extend(unknown);
    }

    /// Re-reads the fds of `pids`. The fd count and start time are taken before the walk, so
    /// a change during it shows up as a difference on the next tick.
    fn rewalk(&mut self, pids: &[u32], walked: &mut HashSet<u32>) {
        if pids.is_empty() {
            return;
        }
        for &pid in pids {
            self.processes.insert(
                pid,
                Known {
                    fd_count: fd_count(pid),
                    start: start_ticks(pid),
                    inodes: Vec::new(),
                },
            );
            walked.insert(pid);
        }
        for (inode, pid) in owners::walk(pids, self.threads) {
            if let Some(known) = self.processes.get_mut(&pid) {
                known.inodes.push(inode);
            }
        }
        self.walked_last += pids.len();
    }

    /// Socket inodes in `sockets` that no known process holds and that are not known to be
    /// unfindable.
    fn unknown_inodes(&self, sockets: &[Socket]) -> HashSet<u64> {
        let held: HashSet<u64> = self
            .processes
            .values()
            .flat_map(|known| known.inodes.iter().copied())
            .collect();
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
    use std::net::TcpListener;
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::process::CommandExt;

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
    fn a_socket_passed_to_a_new_process_gets_the_new_owner() {
        let mut scanner = scanner();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let socket_inode = inode(&listener);
        let scan = scanner.scan().expect("scan");
        assert_eq!(
            owner(&scan, socket_inode).map(|e| e.pids.clone()),
            Some(vec![std::process::id()])
        );

        let raw = listener.as_raw_fd();
        let mut command = std::process::Command::new("sleep");
        command.arg("30");
        // SAFETY: fcntl is async-signal-safe; it clears CLOEXEC in the child only.
        unsafe {
            command.pre_exec(move || {
                libc::fcntl(raw, libc::F_SETFD, 0);
                Ok(())
            });
        }
        let mut child = command.spawn().expect("spawn");
        drop(listener);
        let scan = scanner.scan().expect("scan");
        let holders = owner(&scan, socket_inode).map(|e| e.pids.clone());
        child.kill().expect("kill");
        child.wait().expect("reap");
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
        known.inodes = vec![1];
        let scan = scanner.scan().expect("scan");
        assert_eq!(owner(&scan, inode(&listener)).and_then(|e| e.pid), Some(me));
        assert!(!scanner.processes[&me].inodes.contains(&1));
    }
}
