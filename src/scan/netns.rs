//! Network namespaces: finding every one on the machine, and dumping sockets inside one.
//!
//! A socket dump (netlink or `/proc/<thread>/net`) only ever shows the namespace of the
//! thread that asks. To list another namespace's sockets a thread joins it with `setns`
//! (which needs CAP_SYS_ADMIN), dumps, and ends: the joined thread is never reused.
//! Socket inodes are unique across namespaces, so the one `/proc/*/fd` walk attributes the
//! sockets of every namespace.

use std::collections::BTreeMap;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use super::owners::list_pids;

/// One network namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// Its inode: the `netns` of its records.
    pub inode: u64,
    /// Its `ip netns` name (`/run/netns/NAME`), if it has one.
    pub name: Option<String>,
    /// A process living in it, if any was found: its container names the namespace when
    /// it has no `ip netns` name.
    pub pid: Option<u32>,
    path: PathBuf,
}

/// What [`list`] found.
#[derive(Debug, Clone, Default)]
pub struct Namespaces {
    /// Every namespace found, by inode.
    pub found: Vec<Namespace>,
    /// Processes whose namespace could not be read (other users' processes, without
    /// privileges): namespaces may exist that are not listed.
    pub unreadable: usize,
}

/// Every network namespace that `/run/netns` names or some visible process lives in.
#[must_use]
pub fn list() -> Namespaces {
    let mut by_inode: BTreeMap<u64, Namespace> = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir("/run/netns") {
        for entry in entries.flatten() {
            let path = entry.path();
            // A name whose namespace is gone is a plain empty file, not on nsfs.
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if Some(meta.dev()) != nsfs_device() {
                continue;
            }
            by_inode.insert(
                meta.ino(),
                Namespace {
                    inode: meta.ino(),
                    name: Some(entry.file_name().to_string_lossy().into_owned()),
                    pid: None,
                    path,
                },
            );
        }
    }
    let root = crate::sys::is_root();
    let mut unreadable = 0;
    for pid in list_pids() {
        let path = PathBuf::from(format!("/proc/{pid}/ns/net"));
        match std::fs::metadata(&path) {
            Ok(meta) => {
                let namespace = by_inode.entry(meta.ino()).or_insert_with(|| Namespace {
                    inode: meta.ino(),
                    name: None,
                    pid: None,
                    path,
                });
                namespace.pid.get_or_insert(pid);
            }
            // Root is refused only by a process in the middle of changing credentials.
            Err(error) if error.kind() == io::ErrorKind::PermissionDenied && !root => {
                unreadable += 1;
            }
            Err(_) => {} // exited, or a kernel thread
        }
    }
    Namespaces {
        found: by_inode.into_values().collect(),
        unreadable,
    }
}

/// The device of the namespace filesystem (`nsfs`), from this process's own namespace
/// link: a `/run/netns` entry on another device is not a namespace.
fn nsfs_device() -> Option<u64> {
    std::fs::metadata("/proc/self/ns/net").ok().map(|m| m.dev())
}

/// Runs `work` on a new thread that has joined `namespace`. Fails with the `setns` error
/// (`PermissionDenied` without CAP_SYS_ADMIN) or when the namespace is gone.
pub fn run_inside<T: Send>(
    namespace: &Namespace,
    work: impl FnOnce() -> T + Send,
) -> io::Result<T> {
    let file = std::fs::File::open(&namespace.path)?;
    std::thread::scope(|scope| {
        let joined = scope.spawn(move || {
            crate::sys::enter_net_namespace(&file)?;
            Ok(work())
        });
        match joined.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_namespace_is_listed() {
        let own = super::super::process::own_netns().expect("own netns");
        let namespaces = list();
        let me = std::process::id();
        let found = namespaces
            .found
            .iter()
            .find(|ns| ns.inode == own)
            .expect("own namespace listed");
        assert!(found.pid.is_some_and(|pid| pid <= me), "{found:?}");
    }

    #[test]
    fn joining_own_namespace_runs_the_work() {
        let own = super::super::process::own_netns().expect("own netns");
        let namespace = list()
            .found
            .into_iter()
            .find(|ns| ns.inode == own)
            .expect("own namespace listed");
        // Joining the namespace one is already in still needs CAP_SYS_ADMIN.
        match run_inside(&namespace, || 42) {
            Ok(answer) => assert_eq!(answer, 42),
            Err(error) => assert_eq!(error.kind(), io::ErrorKind::PermissionDenied),
        }
    }
}
